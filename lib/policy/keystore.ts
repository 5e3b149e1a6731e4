import type { StackValidationPolicy } from "@pulumi/policy";
import { configured, type PolicyContext } from "./context";
import { POLICY_NAMES, TYPES } from "./types";
import { Deferred, label, read, stackMatches } from "./util";

interface KeystoreConfig {
  developmentStacks: string[];
  allowDevelopmentKeystore: boolean;
}

const FILESYSTEM = new Set(["fs", "filesystem"]);

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
  return {
    name: POLICY_NAMES.filesystemKeystore,
    description:
      "No KmsTarget or KesServer uses the filesystem keystore unless the stack is marked for development.",
    enforcementLevel: o.enforcementLevel ?? ctx.enforcementLevel,
    configSchema: {
      properties: {
        developmentStacks: {
          type: "array",
          items: { type: "string" },
          default: defaults.developmentStacks,
          description:
            "Stack names (or patterns with *, or project/stack) that may use the filesystem keystore.",
        },
        allowDevelopmentKeystore: {
          type: "boolean",
          default: defaults.allowDevelopmentKeystore,
          description: "Allow the filesystem keystore in every stack.",
        },
      },
    },
    remediationSteps:
      "Use a real KMS in KmsTarget (vault, aws, gcp, azure, …), or list this stack in developmentStacks.",
    validateStack: (args, reportViolation) => {
      const cfg = configured(defaults, args);
      if (cfg.allowDevelopmentKeystore) return;
      const id = ctx.stack();
      if (stackMatches(id, cfg.developmentStacks)) return;
      const stackText = id.stack
        ? `stack "${id.stack}"`
        : "this stack (its name is unknown to the policy pack)";
      const devFix = id.stack
        ? `, or, if ${JSON.stringify(id.stack)} is a development stack, add it to this policy's developmentStacks`
        : ", or set this policy's developmentStacks/allowDevelopmentKeystore";
      const deferred = new Deferred();
      const flagged: string[] = [];
      const kesServers: typeof args.resources = [];
      for (const r of args.resources) {
        if (r.type === TYPES.kesServer) kesServers.push(r);
        if (r.type !== TYPES.kmsTarget) continue;
        const facts = read(() => ({
          kind: r.props.kind as unknown,
          dev: r.props.developmentOnly as unknown,
        }));
        if (!facts.known) {
          deferred.add(facts.error, `${label(r)} (kind)`);
          continue;
        }
        const { kind, dev } = facts.value;
        if (kind === undefined && dev === undefined) {
          reportViolation(
            `${label(r)} does not expose its keystore kind, so a filesystem keystore cannot be ruled out. ` +
              "Fix: upgrade pulumi-minio-kes to a version whose KmsTarget registers the output kind.",
            r.urn,
          );
          continue;
        }
        if ((typeof kind === "string" && FILESYSTEM.has(kind)) || dev === true) {
          flagged.push(r.urn);
          reportViolation(
            `${label(r)} uses the filesystem keystore in ${stackText}; it keeps KES keys unencrypted on the KES hosts and loses them with the hosts. ` +
              `Fix: replace filesystem with a KMS (vault, aws, gcp, azure, entrust, fortanix or thales) in ${label(r)}${devFix}.`,
            r.urn,
          );
        }
      }
      // A KesServer's keystore comes from a KmsTarget; report it only when no KmsTarget was flagged.
      if (flagged.length === 0) {
        for (const r of kesServers) {
          const kind = read(() => r.props.keystoreKind as unknown);
          if (!kind.known) {
            deferred.add(kind.error, `${label(r)} (keystoreKind)`);
            continue;
          }
          if (typeof kind.value === "string" && FILESYSTEM.has(kind.value)) {
            reportViolation(
              `${label(r)} stores its keys in the filesystem keystore in ${stackText}. ` +
                `Fix: give it a KmsTarget backed by a KMS (vault, aws, gcp, azure, …)${devFix}.`,
              r.urn,
            );
          }
        }
      }
      deferred.finish();
    },
  };
}
