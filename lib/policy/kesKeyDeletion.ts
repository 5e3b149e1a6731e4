import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  StackValidationPolicy,
} from "@pulumi/policy";
import { type PolicyContext, plain, stackPolicy, stringListProperty } from "./context";
import { allowsUnder, coversAll, normalizePrefix } from "./kesPaths";
import { DEFAULTS, POLICY_NAMES, TYPES } from "./types";
import { type Deferred, label, stringArray } from "./util";

interface KesConfig {
  forbiddenPaths: string[];
}

/**
 * No KES policy allows deleting keys, and every KES policy denies it. A deleted key cannot be
 * brought back, and every object encrypted with it is lost (MinIO docs on SSE with KES), so no
 * identity should be able to call `/v1/key/delete/…`. Reads the KesServer `policyRules` output
 * (known at preview time), or `policies` from versions without it.
 *
 * Patterns are matched as KES matches them: `/v1/key/*`, `/v1/*` and `*` allow deletion too.
 */
export function kesKeyDeletionPolicy(ctx: PolicyContext): StackValidationPolicy {
  const o = ctx.options.kesKeyDeletion ?? {};
  const defaults: KesConfig = { forbiddenPaths: [...(o.forbiddenPaths ?? DEFAULTS.forbiddenPaths)] };
  return stackPolicy(ctx, o, {
    name: POLICY_NAMES.kesKeyDeletion,
    description:
      "No KES policy allows /v1/key/delete/* (directly or through /v1/key/*, /v1/*, *), and every KES policy denies it.",
    configSchema: kesConfigSchema(defaults),
    defaults,
    remediationSteps:
      'In KesServer clients[], list only the API paths a client needs (e.g. /v1/key/generate/app-*) and add deny: ["/v1/key/delete/*"].',
    validate: (cfg, args, report, deferred) => {
      const prefixes = cfg.forbiddenPaths.map(normalizePrefix);
      for (const r of args.resources) {
        if (r.type === TYPES.kesServer) checkKesServer(r, prefixes, report, deferred);
      }
    },
  });
}

function kesConfigSchema(defaults: KesConfig): PolicyConfigSchema {
  return {
    properties: {
      forbiddenPaths: stringListProperty(
        defaults.forbiddenPaths,
        "KES API path prefixes no policy may allow and every policy must deny.",
      ),
    },
  };
}

/** A KesServer: each of its KES policies, against each forbidden prefix. */
function checkKesServer(
  r: PolicyResource,
  prefixes: string[],
  report: ReportViolation,
  deferred: Deferred,
): void {
  // policyRules (names, allow, deny) is known at preview time; policies (with identities)
  // is not on a stack's first preview. Older versions only have policies.
  const facts = deferred.read(r, "policies", () => plain(r.props.policyRules ?? r.props.policies));
  if (!facts.known) return;
  if (!Array.isArray(facts.value)) {
    report(
      `${label(r)} does not expose its KES policies, so key deletion cannot be ruled out. ` +
        "Fix: upgrade pulumi-minio-kes to a version whose KesServer registers the output policies.",
      r.urn,
    );
    return;
  }
  for (const [i, p] of facts.value.entries()) {
    const pol = (p ?? {}) as { name?: unknown; allow?: unknown; deny?: unknown };
    const name = typeof pol.name === "string" ? pol.name : `#${i}`;
    const allow = stringArray(pol.allow) ?? [];
    const deny = stringArray(pol.deny) ?? [];
    for (const prefix of prefixes) checkKesPolicy(r, name, allow, deny, prefix, report);
  }
}

/** One KES policy (by name, with its allow and deny lists) against one forbidden prefix. */
function checkKesPolicy(
  r: PolicyResource,
  name: string,
  allow: string[],
  deny: string[],
  prefix: string,
  report: ReportViolation,
): void {
  const where = name === "minio" ? "MinIO's own policy" : `clients[] entry "${name}"`;
  const bad = allow.filter((a) => allowsUnder(a, prefix));
  if (bad.length > 0) {
    report(
      `${label(r)}: KES policy "${name}" allows ${bad.map((b) => JSON.stringify(b)).join(", ")}, which matches ${prefix}… ` +
        "(a deleted key cannot be recovered, nor can the objects it encrypted). " +
        `Fix: in ${where}, replace ${bad.length === 1 ? "that pattern" : "those patterns"} with the exact API paths the client needs, e.g. /v1/key/generate/<key>, /v1/key/decrypt/<key>.`,
      r.urn,
    );
  }
  if (!deny.some((d) => coversAll(d, prefix))) {
    report(
      `${label(r)}: KES policy "${name}" does not deny ${prefix}*. ` +
        `Fix: add deny: [${JSON.stringify(`${prefix}*`)}] to ${where}.`,
      r.urn,
    );
  }
}
