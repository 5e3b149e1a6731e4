import type { StackValidationPolicy } from "@pulumi/policy";
import { configured, type PolicyContext, plain } from "./context";
import { allowsUnder, coversAll, normalizePrefix } from "./kesPaths";
import { DEFAULTS, POLICY_NAMES, TYPES } from "./types";
import { Deferred, label, read, stringArray } from "./util";

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
  return {
    name: POLICY_NAMES.kesKeyDeletion,
    description:
      "No KES policy allows /v1/key/delete/* (directly or through /v1/key/*, /v1/*, *), and every KES policy denies it.",
    enforcementLevel: o.enforcementLevel ?? ctx.enforcementLevel,
    configSchema: {
      properties: {
        forbiddenPaths: {
          type: "array",
          items: { type: "string" },
          default: defaults.forbiddenPaths,
          description: "KES API path prefixes no policy may allow and every policy must deny.",
        },
      },
    },
    remediationSteps:
      'In KesServer clients[], list only the API paths a client needs (e.g. /v1/key/generate/app-*) and add deny: ["/v1/key/delete/*"].',
    validateStack: (args, reportViolation) => {
      const cfg = configured(defaults, args);
      const prefixes = cfg.forbiddenPaths.map(normalizePrefix);
      const deferred = new Deferred();
      for (const r of args.resources) {
        if (r.type !== TYPES.kesServer) continue;
        // policyRules (names, allow, deny) is known at preview time; policies (with identities)
        // is not on a stack's first preview. Older versions only have policies.
        const facts = read(() => plain(r.props.policyRules ?? r.props.policies));
        if (!facts.known) {
          deferred.add(facts.error, `${label(r)} (policies)`);
          continue;
        }
        if (!Array.isArray(facts.value)) {
          reportViolation(
            `${label(r)} does not expose its KES policies, so key deletion cannot be ruled out. ` +
              "Fix: upgrade pulumi-minio-kes to a version whose KesServer registers the output policies.",
            r.urn,
          );
          continue;
        }
        for (const [i, p] of facts.value.entries()) {
          const pol = (p ?? {}) as { name?: unknown; allow?: unknown; deny?: unknown };
          const name = typeof pol.name === "string" ? pol.name : `#${i}`;
          const allow = stringArray(pol.allow) ?? [];
          const deny = stringArray(pol.deny) ?? [];
          const where = name === "minio" ? "MinIO's own policy" : `clients[] entry "${name}"`;
          for (const prefix of prefixes) {
            const bad = allow.filter((a) => allowsUnder(a, prefix));
            if (bad.length > 0) {
              reportViolation(
                `${label(r)}: KES policy "${name}" allows ${bad.map((b) => JSON.stringify(b)).join(", ")}, which matches ${prefix}… ` +
                  "(a deleted key cannot be recovered, nor can the objects it encrypted). " +
                  `Fix: in ${where}, replace ${bad.length === 1 ? "that pattern" : "those patterns"} with the exact API paths the client needs, e.g. /v1/key/generate/<key>, /v1/key/decrypt/<key>.`,
                r.urn,
              );
            }
            if (!deny.some((d) => coversAll(d, prefix))) {
              reportViolation(
                `${label(r)}: KES policy "${name}" does not deny ${prefix}*. ` +
                  `Fix: add deny: [${JSON.stringify(`${prefix}*`)}] to ${where}.`,
                r.urn,
              );
            }
          }
        }
      }
      deferred.finish();
    },
  };
}
