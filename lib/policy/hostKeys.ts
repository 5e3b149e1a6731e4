import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  StackValidationPolicy,
} from "@pulumi/policy";
import { type PolicyContext, plain, stackPolicy } from "./context";
import { POLICY_NAMES, TYPES } from "./types";
import { type Deferred, label, libraryAncestor, read, stringArray } from "./util";

interface HostKeyConfig {
  checkCommands: boolean;
}

/** Host names reported through a component's `unpinnedHosts`, per component URN. */
type Reported = Map<string, { name: string; hosts: Set<string> }>;

const HOST_OWNERS: Record<string, string> = {
  [TYPES.kesServer]: "hosts",
  [TYPES.minioDeployment]: "nodes",
};

const KEYSCAN =
  "`ssh-keyscan -t ed25519 <address>` run over a trusted path (or the key from your provisioning)";

/**
 * Every host is reached with a pinned SSH host key. Without `hostKey`, `@pulumi/command`
 * accepts any server key (it uses `ssh.InsecureIgnoreHostKey`), so a machine in the middle gets root's commands
 * and the secrets on their stdin.
 *
 * Checks the `unpinnedHosts` output of KesServer and MinioDeployment and, as a second line,
 * the `connection` of every remote command (a secret output, which `@pulumi/policy` hands to
 * policies in plaintext) unless that command's host was already reported by its component.
 */
export function sshHostKeyPolicy(ctx: PolicyContext): StackValidationPolicy {
  const o = ctx.options.sshHostKeys ?? {};
  const defaults: HostKeyConfig = { checkCommands: o.checkCommands ?? true };
  return stackPolicy(ctx, o, {
    name: POLICY_NAMES.sshHostKeys,
    description:
      "Every host is reached over SSH with a pinned host key (hosts[].hostKey / connection.hostKey), also for bastions.",
    configSchema: hostKeyConfigSchema(defaults),
    defaults,
    remediationSteps: `Set hostKey on every host (and bastion.hostKey) to the output of ${KEYSCAN}.`,
    validate: (cfg, args, report, deferred) => {
      // Host names already reported, per component URN, so commands below them are not reported again.
      const reported: Reported = new Map();
      for (const r of args.resources) {
        const field = HOST_OWNERS[r.type];
        if (field) checkComponentHosts(r, field, reported, report, deferred);
      }
      if (cfg.checkCommands) {
        for (const r of args.resources) {
          if (r.type !== TYPES.remoteCommand && r.type !== TYPES.copyToRemote) continue;
          checkCommand(r, reported, deferred, report);
        }
      }
    },
  });
}

function hostKeyConfigSchema(defaults: HostKeyConfig): PolicyConfigSchema {
  return {
    properties: {
      checkCommands: {
        type: "boolean",
        default: defaults.checkCommands,
        description: "Also check connection.hostKey of every command:remote:Command and CopyToRemote.",
      },
    },
  };
}

/** A KesServer or MinioDeployment: its `unpinnedHosts` output (`field` names its host list). */
function checkComponentHosts(
  r: PolicyResource,
  field: string,
  reported: Reported,
  report: ReportViolation,
  deferred: Deferred,
): void {
  const facts = deferred.read(r, "unpinnedHosts", () => plain(r.props.unpinnedHosts));
  if (!facts.known) return;
  const hosts = stringArray(facts.value);
  if (hosts === undefined) {
    report(
      `${label(r)} does not expose unpinnedHosts, so pinned SSH host keys cannot be verified. ` +
        "Fix: upgrade pulumi-minio-kes to a version whose components register the output unpinnedHosts.",
      r.urn,
    );
    return;
  }
  if (hosts.length === 0) return;
  reported.set(r.urn, { name: r.name, hosts: new Set(hosts) });
  report(
    `${label(r)} reaches ${hosts.length === 1 ? "host" : "hosts"} ${hosts.join(", ")} without a pinned SSH host key, ` +
      "so @pulumi/command accepts any server key there. " +
      `Fix: set ${field}[].hostKey for ${hosts.join(", ")} to the output of ${KEYSCAN}.`,
    r.urn,
  );
}

function checkCommand(
  r: PolicyResource,
  reported: Reported,
  deferred: Deferred,
  reportViolation: ReportViolation,
): void {
  // Presence checks only ("in"), so a hostKey that is set but unknown during preview counts as set.
  const conn = deferred.read(r, "connection", () => {
    const c = r.props.connection as Record<string, unknown> | undefined;
    if (c === undefined || c === null || typeof c !== "object") return undefined;
    const proxy = c.proxy as Record<string, unknown> | undefined;
    return {
      hostKey: hasValue(c, "hostKey"),
      host: readString(c, "host"),
      proxy:
        proxy && typeof proxy === "object"
          ? { hostKey: hasValue(proxy, "hostKey"), host: readString(proxy, "host") }
          : undefined,
    };
  });
  if (!conn.known) return;
  if (conn.value === undefined) return; // connection not visible: nothing to check
  const { hostKey, host, proxy } = conn.value;
  const where = host ? ` to ${host}` : "";
  if (!hostKey && !coveredByComponent(r, reported)) {
    reportViolation(
      `${label(r)} connects${where} without connection.hostKey, so @pulumi/command accepts any server key. ` +
        `Fix: set hostKey on the host this command runs on (HostArgs.hostKey, or connection.hostKey) to the output of ${KEYSCAN}.`,
      r.urn,
    );
  }
  if (proxy && !proxy.hostKey) {
    reportViolation(
      `${label(r)} connects through the bastion${proxy.host ? ` ${proxy.host}` : ""} without connection.proxy.hostKey, so the bastion's key is not checked. ` +
        `Fix: set bastion.hostKey on the host (or connection.proxy.hostKey) to the output of ${KEYSCAN} for the bastion.`,
      r.urn,
    );
  }
}

/** A set, non-empty value (an unknown value counts as set). */
function hasValue(o: Record<string, unknown>, key: string): boolean {
  if (!(key in o)) return false;
  const v = read(() => o[key]);
  if (!v.known) return true;
  return typeof v.value === "string" ? v.value.trim() !== "" : v.value !== undefined && v.value !== null;
}

function readString(o: Record<string, unknown>, key: string): string | undefined {
  const v = read(() => o[key]);
  return v.known && typeof v.value === "string" ? v.value : undefined;
}

/**
 * The library names commands `<component>-<host>-<concern>`: a command below a component that
 * was reported for host h, or below a component of this library whose name-prefixed host h was
 * reported anywhere (EncryptedBucket runs on a MinioDeployment node), is already covered.
 */
function coveredByComponent(r: PolicyResource, reported: Reported): boolean {
  const owner = libraryAncestor(r);
  if (!owner) return false;
  const all = new Set<string>();
  for (const v of reported.values()) for (const h of v.hosts) all.add(h);
  for (const h of all) {
    if (r.name.startsWith(`${owner.name}-${h}-`)) return true;
  }
  return false;
}
