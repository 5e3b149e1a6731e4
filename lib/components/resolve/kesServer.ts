/**
 * @internal {@link KesServerArgs} validated and resolved into a plan: port, paths, units,
 * timeouts and certificate settings decided once, before any resource exists. `KesServer` turns
 * the plan into resources and decides nothing itself.
 */
import { BINARY_DIR, KES_DEFAULTS, KES_PATHS, TLS_DEFAULTS } from "../../core/defaults";
import * as rules from "../../core/rules";
import { renderKesUnit } from "../../core/systemd";
import {
  checkBinarySource,
  checkBroughtCertificates,
  checkDuration,
  checkHosts,
  checkKeyPattern,
  checkPlain,
  checkPort,
  checkRule,
  checkTimeout,
  checkTlsTiming,
  Issues,
} from "../../core/validate";
import type { KesServerArgs } from "../args";
import { checkLocalBinary, driftRepairLabel } from "../internal";
import { KmsTarget } from "../kmsTarget";
import { binaryInstallPath } from "../service";

/** A {@link KesServer} with every default decided. */
export interface KesPlan {
  /** The component's name, and how messages name it (`KesServer kes`). */
  name: string;
  component: string;
  port: number;
  /** Where the KES binary is. */
  binaryPath: string;
  /** Each host's unit. */
  units: Record<string, string>;
  /** How MinIO authenticates to KES. */
  minioAuth: "apiKey" | "certificate";
  /** The credential slot MinIO uses, and every slot that exists (KES admits each). */
  credentialSlots: { active: "a" | "b"; all: Array<"a" | "b"> };
  /** Seconds each service step waits for `/v1/ready`. */
  timeoutSeconds: number;
  /** Generated certificates' validity, and the expiry warning. */
  validityHours: number;
  expiryWarningDays: number;
  /** What this KES claims on each of its hosts. */
  claims: string[];
  /** The paths each host's preflight checks for free space. */
  preflightPaths: string[];
  /** A drift repair's label (hostStep `rerun`). */
  rerun?: string;
}

function checkTls(issues: Issues, args: KesServerArgs): void {
  const t = args?.tls;
  checkTlsTiming(issues, t);
  if (!t?.certificates) return;
  checkBroughtCertificates(issues, t, Array.isArray(args.hosts) ? args.hosts : [], {
    word: "host",
    // MinIO reaches every replica by the service name: each certificate must cover it.
    alsoCovers: () => (typeof args.serviceName === "string" ? args.serviceName : undefined),
    caWhy: " so MinIO can verify KES.",
    caFirst: true,
  });
}

function checkClients(issues: Issues, args: KesServerArgs): void {
  (args?.clients ?? []).forEach((c, i) => {
    if (!c.name || !/^[A-Za-z0-9_-]+$/.test(c.name) || c.name === "minio") {
      issues.add(
        `clients[${i}].name`,
        "rename the policy with letters, digits, '_' and '-' only; \"minio\" is reserved for MinIO's own policy.",
      );
    }
    for (const [j, id] of (c.identities ?? []).entries()) {
      checkRule(issues, `clients[${i}].identities[${j}]`, id, rules.identity);
    }
    for (const [j, p] of (c.allow ?? []).entries()) {
      if (typeof p !== "string" || !p.startsWith("/"))
        issues.add(
          `clients[${i}].allow[${j}]`,
          "write allow entries as API paths, like /v1/key/generate/app-*.",
        );
    }
  });
}

function checkMinioAccess(issues: Issues, args: KesServerArgs): void {
  if (!Array.isArray(args?.minioKeyNames) || args.minioKeyNames.length === 0) {
    issues.add(
      "minioKeyNames",
      'list the key names MinIO may use (its default key and bucket keys), or a prefix such as "minio-*".',
    );
  } else {
    args.minioKeyNames.forEach((k, i) => {
      checkKeyPattern(issues, `minioKeyNames[${i}]`, k);
    });
  }
  const rot = args?.minioCredentialRotation;
  if (rot !== undefined && rot?.active !== "a" && rot?.active !== "b") {
    issues.add(
      "minioCredentialRotation.active",
      `active ${JSON.stringify(rot?.active)} is not a slot; set it to "a" or "b" (the slot whose credential MinIO uses).`,
    );
  }
  if (rot !== undefined && (args?.minioAuth ?? KES_DEFAULTS.minioAuth) === "certificate") {
    issues.add(
      "minioCredentialRotation",
      'credential slots are for API keys: with client certificates MinIO reloads its certificate by itself (within 15 minutes), so the library cannot tell when every node uses the new one. Remove minioCredentialRotation, or use minioAuth: "apiKey".',
    );
  }
  if (rot?.retirePrevious !== undefined && typeof rot.retirePrevious !== "boolean") {
    issues.add("minioCredentialRotation.retirePrevious", "set retirePrevious to true or false.");
  }
  if (args?.minioAuth !== undefined && args.minioAuth !== "apiKey" && args.minioAuth !== "certificate") {
    issues.add(
      "minioAuth",
      `minioAuth ${JSON.stringify(args.minioAuth)} is unknown; set it to "apiKey" or "certificate".`,
    );
  }
}

/** Validate {@link KesServerArgs}; exported for the bad-input table tests. */
export function validateKesServerArgs(args: KesServerArgs): Issues {
  const issues = new Issues();
  checkHosts(issues, "hosts", args?.hosts);
  if (!(args?.kms instanceof KmsTarget)) {
    issues.add(
      "kms",
      'pass a KmsTarget resource: kms: new KmsTarget("kms", { vault: {…} }) (or filesystem for development), not its plain arguments.',
    );
  }
  checkBinarySource(issues, "binary", args?.binary, "kes");
  if (issues.ok) checkLocalBinary(issues, "binary", args?.binary);
  if (checkPlain(issues, "port", args?.port, String(KES_DEFAULTS.port)))
    checkPort(issues, "port", args?.port);
  checkMinioAccess(issues, args);
  if (args?.serviceName !== undefined) checkRule(issues, "serviceName", args.serviceName, rules.hostOrIp);
  checkTimeout(issues, "healthTimeoutSeconds", args?.healthTimeoutSeconds);
  if (args?.driftCheck !== undefined) {
    checkRule(issues, "driftCheck.request", args.driftCheck?.request, rules.driftRequest);
    if (args.driftCheck?.repair !== undefined)
      checkRule(issues, "driftCheck.repair", args.driftCheck.repair, rules.driftRequest);
  }
  checkDuration(issues, "cache.any", args?.cache?.any);
  checkDuration(issues, "cache.unused", args?.cache?.unused);
  checkDuration(issues, "cache.offline", args?.cache?.offline);
  checkTls(issues, args);
  checkClients(issues, args);
  return issues;
}

/**
 * MinIO's credential slots: `a` alone until a rotation; both while one rotates (the active one
 * and the previous one, which KES still admits); the active one alone once the previous one is
 * retired.
 */
function credentialSlots(args: KesServerArgs): KesPlan["credentialSlots"] {
  const rot = args.minioCredentialRotation;
  if (rot === undefined) return { active: "a", all: ["a"] };
  const other = rot.active === "a" ? "b" : "a";
  return { active: rot.active, all: rot.retirePrevious === true ? [rot.active] : [rot.active, other] };
}

/**
 * Validate `args` and, when they are valid, decide everything KES needs: the plan. Pure: it
 * creates no resource and touches no host (claims on hosts are the caller's).
 */
export function resolveKesServer(name: string, args: KesServerArgs): { issues: Issues; plan?: KesPlan } {
  const issues = validateKesServerArgs(args);
  checkRule(issues, "name", name, rules.componentName);
  if (!issues.ok) return { issues };
  const port = args.port ?? KES_DEFAULTS.port;
  const binaryPath = binaryInstallPath(args.binary, KES_DEFAULTS.binaryName);
  const kms: KmsTarget = args.kms;
  const units = Object.fromEntries(
    args.hosts.map((h) => [
      h.name,
      renderKesUnit({
        binaryPath,
        user: KES_PATHS.user,
        group: KES_PATHS.user,
        configPath: KES_PATHS.config,
        envFile: KES_PATHS.secretEnv,
        bindPrivilegedPort: port < 1024,
        owner: `${name}-${h.name}-unit`,
      }),
    ]),
  );
  return {
    issues,
    plan: {
      name,
      component: `KesServer ${name}`,
      port,
      binaryPath,
      units,
      minioAuth: args.minioAuth ?? KES_DEFAULTS.minioAuth,
      credentialSlots: credentialSlots(args),
      timeoutSeconds: args.healthTimeoutSeconds ?? KES_DEFAULTS.healthTimeoutSeconds,
      validityHours: args.tls?.validityHours ?? KES_DEFAULTS.certificateValidityHours,
      expiryWarningDays: args.tls?.expiryWarningDays ?? TLS_DEFAULTS.expiryWarningDays,
      claims: [
        `file ${BINARY_DIR}/${args.binary.name ?? KES_DEFAULTS.binaryName}`,
        `unit ${KES_PATHS.unit}`,
        `dir ${KES_PATHS.dir}`,
        `port ${port}`,
      ],
      preflightPaths: [KES_PATHS.dir, binaryPath, ...(kms.fsPath !== undefined ? [kms.fsPath] : [])],
      rerun: driftRepairLabel(args.driftCheck),
    },
  };
}
