import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { KeystoreKind } from "../core/types";
import { type PolicyContext, stackPolicy, stringListProperty } from "./context";
import { POLICY_NAMES, type StackIdentity, TYPES } from "./types";
import { type Deferred, label, stackMatches } from "./util";

interface KeystoreConfig {
  developmentStacks: string[];
  allowDevelopmentKeystore: boolean;
}

/** How the messages name the stack, and the development-stack half of their fix. */
interface StackWording {
  stackText: string;
  devFix: string;
}

/** The filesystem keystore's kind, as KES's config spells it (`KmsTarget.kind`, `KesServer.keystoreKind`). */
const FILESYSTEM: KeystoreKind = "fs";

/**
 * No filesystem keystore outside development. The filesystem keystore keeps KES's keys
 * unencrypted on the KES host and loses them with it. Reads KmsTarget `kind`/`developmentOnly`
 * and KesServer `keystoreKind`; a stack is a development stack when its name matches
 * `developmentStacks`, or when `allowDevelopmentKeystore` is true.
 */
export function filesystemKeystorePolicy(ctx: PolicyContext): StackValidationPolicy {
  const o = ctx.options.filesystemKeystore ?? {};
  const defaults: KeystoreConfig = {
    developmentStacks: o.developmentStacks ?? [],
    allowDevelopmentKeystore: o.allowDevelopmentKeystore ?? false,
  };
  return stackPolicy(ctx, o, {
    name: POLICY_NAMES.filesystemKeystore,
    description:
      "No KmsTarget or KesServer uses the filesystem keystore unless the stack is marked for development.",
    configSchema: keystoreConfigSchema(defaults),
    defaults,
    remediationSteps:
      "Use a real KMS in KmsTarget (vault, aws, gcp, azure, …), or list this stack in developmentStacks.",
    validate: (cfg, args, report, deferred) => {
      if (cfg.allowDevelopmentKeystore) return;
      const id = ctx.stack();
      if (stackMatches(id, cfg.developmentStacks)) return;
      const wording = stackWording(id);
      let flagged = false;
      const kesServers: PolicyResource[] = [];
      for (const r of args.resources) {
        if (r.type === TYPES.kesServer) kesServers.push(r);
        if (r.type === TYPES.kmsTarget && checkKmsTarget(r, wording, report, deferred)) flagged = true;
      }
      // A KesServer's keystore comes from a KmsTarget; report it only when no KmsTarget was flagged.
      if (!flagged) for (const r of kesServers) checkKesServerKeystore(r, wording, report, deferred);
    },
  });
}

function keystoreConfigSchema(defaults: KeystoreConfig): PolicyConfigSchema {
  return {
    properties: {
      developmentStacks: stringListProperty(
        defaults.developmentStacks,
        "Stack names (or patterns with *, or project/stack) that may use the filesystem keystore.",
      ),
      allowDevelopmentKeystore: {
        type: "boolean",
        default: defaults.allowDevelopmentKeystore,
        description: "Allow the filesystem keystore in every stack.",
      },
    },
  };
}

function stackWording(id: StackIdentity): StackWording {
  return {
    stackText: id.stack ? `stack "${id.stack}"` : "this stack (its name is unknown to the policy pack)",
    devFix: id.stack
      ? `, or, if ${JSON.stringify(id.stack)} is a development stack, add it to this policy's developmentStacks`
      : ", or set this policy's developmentStacks/allowDevelopmentKeystore",
  };
}

/** A KmsTarget: its `kind` and `developmentOnly` outputs. True when it was reported as a filesystem keystore. */
function checkKmsTarget(
  r: PolicyResource,
  { stackText, devFix }: StackWording,
  report: ReportViolation,
  deferred: Deferred,
): boolean {
  const facts = deferred.read(r, "kind", () => ({
    kind: r.props.kind as unknown,
    dev: r.props.developmentOnly as unknown,
  }));
  if (!facts.known) return false;
  const { kind, dev } = facts.value;
  if (kind === undefined && dev === undefined) {
    report(
      `${label(r)} does not expose its keystore kind, so a filesystem keystore cannot be ruled out. ` +
        "Fix: upgrade pulumi-minio-kes to a version whose KmsTarget registers the output kind.",
      r.urn,
    );
    return false;
  }
  if (!((typeof kind === "string" && kind === FILESYSTEM) || dev === true)) return false;
  report(
    `${label(r)} uses the filesystem keystore in ${stackText}; it keeps KES keys unencrypted on the KES hosts and loses them with the hosts. ` +
      `Fix: replace filesystem with a KMS (vault, aws, gcp, azure, entrust, fortanix or thales) in ${label(r)}${devFix}.`,
    r.urn,
  );
  return true;
}

/** A KesServer: its `keystoreKind` output. */
function checkKesServerKeystore(
  r: PolicyResource,
  { stackText, devFix }: StackWording,
  report: ReportViolation,
  deferred: Deferred,
): void {
  const kind = deferred.read(r, "keystoreKind", () => r.props.keystoreKind as unknown);
  if (!kind.known) return;
  if (typeof kind.value === "string" && kind.value === FILESYSTEM) {
    report(
      `${label(r)} stores its keys in the filesystem keystore in ${stackText}. ` +
        `Fix: give it a KmsTarget backed by a KMS (vault, aws, gcp, azure, …)${devFix}.`,
      r.urn,
    );
  }
}
