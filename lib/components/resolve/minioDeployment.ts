/**
 * @internal {@link MinioDeploymentArgs} validated and resolved into a plan: every path, port,
 * user, drive list and unit decided once, before any resource exists. `MinioDeployment` turns
 * the plan into resources and decides nothing itself.
 */
import { BINARY_DIR, MINIO_DEFAULTS, MINIO_PATHS, TLS_DEFAULTS } from "../../core/defaults";
import { renderMinioPool } from "../../core/minioEnv";
import * as rules from "../../core/rules";
import { canonicalEndpoint } from "../../core/rules";
import { renderMinioUnit } from "../../core/systemd";
import {
  checkAbsolutePath,
  checkBinarySource,
  checkBroughtCertificates,
  checkDrives,
  checkEndpointUrl,
  checkExtraEnv,
  checkHosts,
  checkKeyName,
  checkPlain,
  checkPort,
  checkRootCredentials,
  checkRule,
  checkTimeout,
  checkTlsTiming,
  Issues,
  keyAllowed,
  known,
} from "../../core/validate";
import type { ExternalKesArgs, MinioDeploymentArgs, TlsArgs } from "../args";
import type { HostArgs } from "../hosts";
import { checkLocalBinary, driftRepairLabel, hostIdentity } from "../internal";
import { KesServer } from "../kesServer";
import { binaryInstallPath } from "../service";

/** Whether a node is one of the KES hosts: the same host name, or the same service address when known. */
export function colocated(kes: KesServer, node: HostArgs): boolean {
  const id = hostIdentity(node);
  return kes.hostNames.includes(node.name) || (id !== undefined && kes.hostIdentities.includes(id));
}

function isKesServer(k: unknown): k is KesServer {
  return k instanceof KesServer;
}

/** Where MinIO's KES settings come from. */
export type MinioKesSource =
  | { kind: "server"; server: KesServer }
  | { kind: "external"; external: ExternalKesArgs }
  | { kind: "none" };

/** A {@link MinioDeployment} with every default decided. */
export interface MinioPlan {
  /** The component's name, and how messages name it (`MinioDeployment minio`). */
  name: string;
  component: string;
  /** S3 and console ports. */
  port: number;
  consolePort: number;
  /** MinIO's own TLS (undefined: plain HTTP). */
  tls?: TlsArgs;
  scheme: "http" | "https";
  /** True for an existing deployment (only the KES variables are merged into its env file). */
  existing: boolean;
  /** The env file and unit MinIO runs with. */
  envFile: string;
  unitName: string;
  /** The node `mc` runs on. */
  adminHost: string;
  /** Each node's drives, and whether every node has the same. */
  drivesOf: Record<string, string[]>;
  drives: string[];
  /** With several server pools: each pool's nodes (names), one `MINIO_VOLUMES` argument each. */
  pools?: Array<{ nodes: string[]; drives: string[] }>;
  sameDrives: boolean;
  /** Where the MinIO binary is (undefined with `existing`). */
  binaryPath?: string;
  /** Each node's unit (none with `existing`). */
  units: Record<string, string>;
  /** `MINIO_OPTS` (undefined with `existing`). */
  opts?: string;
  /** The paths each node's preflight checks for free space. */
  preflightPaths: Record<string, string[]>;
  /** Seconds each service step and the ready gate wait for health. */
  timeoutSeconds: number;
  /** Generated certificates' validity, and the expiry warning. */
  validityHours: number;
  expiryWarningDays: number;
  /** What this deployment claims on all its nodes, and on each. */
  claims: { all: string[]; perNode: Record<string, string[]> };
  kes: MinioKesSource;
  /** A drift repair's label (hostStep `rerun`). */
  rerun?: string;
}

function checkExistingFields(issues: Issues, args: MinioDeploymentArgs): void {
  const what = {
    drives: "MINIO_VOLUMES",
    nodeDrives: "MINIO_VOLUMES",
    pools: "MINIO_VOLUMES",
    rootUser: "root credentials",
    rootPassword: "root credentials",
    consolePort: "MINIO_OPTS",
    serviceType: "unit",
  } as const;
  for (const f of Object.keys(what) as Array<keyof typeof what>) {
    if (args[f] !== undefined) {
      issues.add(
        f,
        `existing deployments keep their own ${what[f]}; remove ${f} (the library only merges the KES variables and extraEnv into the env file).`,
      );
    }
  }
}

/** What an existing deployment keeps for itself: its env file and unit, checked. */
function checkExistingFiles(issues: Issues, args: MinioDeploymentArgs): void {
  if (args.driftCheck !== undefined)
    issues.add(
      "driftCheck",
      "the drift check compares what the library installs, and with existing it installs only the KES variables; remove driftCheck or existing.",
    );
  if (args.existing?.envFile !== undefined) {
    checkAbsolutePath(issues, "existing.envFile", args.existing.envFile, "envFile", "/etc/default/minio");
  }
  if (args.existing?.unitName !== undefined)
    checkRule(issues, "existing.unitName", args.existing.unitName, rules.unitName);
}

/** Every node in exactly one pool; each pool's drives; several pools written as MinIO's ranges. */
function checkPools(issues: Issues, args: MinioDeploymentArgs, names: string[]): void {
  const pools = args.pools;
  if (pools === undefined) return;
  if (args.nodeDrives !== undefined)
    issues.add("pools", "give drives per pool (pools[i].drives), not nodeDrives; remove one of the two.");
  if (!Array.isArray(pools) || pools.length === 0) {
    issues.add("pools", "list at least one pool: { nodes: [node names], drives? }, or remove pools.");
    return;
  }
  const poolOf = new Map<string, number>();
  pools.forEach((p, i) => {
    if (!Array.isArray(p?.nodes) || p.nodes.length === 0)
      issues.add(`pools[${i}].nodes`, "name at least one node of nodes for this pool.");
    for (const [j, n] of (Array.isArray(p?.nodes) ? p.nodes : []).entries()) {
      if (!names.includes(n))
        issues.add(
          `pools[${i}].nodes[${j}]`,
          `no node is named ${JSON.stringify(n)}; use one of ${names.join(", ")}.`,
        );
      else if (poolOf.has(n))
        issues.add(
          `pools[${i}].nodes[${j}]`,
          `${n} is already in pools[${poolOf.get(n)}]; a node belongs to one pool.`,
        );
      else poolOf.set(n, i);
    }
    if (p?.drives !== undefined) checkDrives(issues, `pools[${i}].drives`, p.drives, undefined, names);
  });
  const missing = names.filter((n) => !poolOf.has(n));
  if (missing.length > 0)
    issues.add("pools", `nodes ${missing.join(", ")} are in no pool; name every node in one pool.`);
  if (!issues.ok || pools.length < 2) return;
  const byName = new Map(args.nodes.map((n) => [n.name, n]));
  pools.forEach((p, i) => {
    const hosts = p.nodes.map((n) =>
      known(byName.get(n)!.internalAddress ?? (byName.get(n)!.address as string)),
    );
    if (hosts.some((h) => h === undefined)) return; // checked by the renderer once known
    const drives = p.drives ?? args.drives ?? [];
    if (renderMinioPool({ scheme: "http", hosts: hosts as string[], drives }) === undefined)
      issues.add(
        `pools[${i}]`,
        `MinIO takes each pool as one {a...b} range, and ${hosts.join(", ")} with ${drives.join(", ")} is not one: give the pool's nodes consecutive numbers (minio5, minio6 or 10.0.0.5, 10.0.0.6) and its drives too (/mnt/disk1, /mnt/disk2), and more than one node or drive.`,
      );
  });
}

function checkPorts(issues: Issues, args: MinioDeploymentArgs): void {
  if (checkPlain(issues, "port", args?.port, String(MINIO_DEFAULTS.port)))
    checkPort(issues, "port", args?.port);
  if (checkPlain(issues, "consolePort", args?.consolePort, String(MINIO_DEFAULTS.consolePort)))
    checkPort(issues, "consolePort", args?.consolePort);
  const port = args?.port ?? MINIO_DEFAULTS.port;
  const consolePort = args?.consolePort ?? MINIO_DEFAULTS.consolePort;
  if (port === consolePort) {
    issues.add(
      args?.consolePort !== undefined ? "consolePort" : "port",
      `port and consolePort are both ${port}; use two different ports (defaults: ${MINIO_DEFAULTS.port} for S3, ${MINIO_DEFAULTS.consolePort} for the console).`,
    );
  }
  const kes = args?.kes;
  if (isKesServer(kes) && [port, consolePort].includes(kes.port) && Array.isArray(args.nodes)) {
    const shared = args.nodes.filter((n) => n && colocated(kes, n));
    if (shared.length > 0) {
      issues.add(
        "port",
        `KES listens on ${kes.port} on ${shared.map((n) => n.name).join(", ")}, which MinIO shares; use different ports for KES and MinIO.`,
      );
    }
  }
}

function checkExternalKes(issues: Issues, ext: ExternalKesArgs): void {
  if (!Array.isArray(ext.endpoints) || ext.endpoints.length === 0) {
    issues.add(
      "kes.endpoints",
      'list every KES endpoint, e.g. ["https://kes1.example.net:7373"] (MinIO balances across them).',
    );
  } else {
    const seen = new Map<string, number>();
    for (const [i, e] of ext.endpoints.entries()) {
      checkEndpointUrl(issues, `kes.endpoints[${i}]`, e, {});
      if (typeof e !== "string") continue;
      const c = canonicalEndpoint(e);
      if (seen.has(c))
        issues.add(
          `kes.endpoints[${i}]`,
          `${e} is the same endpoint as kes.endpoints[${seen.get(c)}]; list each KES endpoint once.`,
        );
      else seen.set(c, i);
    }
  }
  if ((ext.apiKey !== undefined ? 1 : 0) + (ext.clientCertificate !== undefined ? 1 : 0) !== 1) {
    issues.add(
      "kes",
      "give exactly one of apiKey and clientCertificate: MinIO refuses both (MINIO_KMS_KES_API_KEY excludes the cert/key pair).",
    );
  }
  if (ext.caCertPem === undefined)
    issues.add(
      "kes.caCertPem",
      "give the CA certificate that signed the KES server certificates (MINIO_KMS_KES_CAPATH).",
    );
  if (ext.apiKey !== undefined) checkRule(issues, "kes.apiKey", ext.apiKey, rules.kesApiKey);
  if (ext.caCertPem !== undefined) checkRule(issues, "kes.caCertPem", ext.caCertPem, rules.certificatePem);
}

function checkKes(issues: Issues, args: MinioDeploymentArgs): void {
  const kes = args?.kes;
  if (kes === undefined) {
    if (args?.defaultKeyName !== undefined)
      issues.add("defaultKeyName", "defaultKeyName only applies with kes; add kes or remove defaultKeyName.");
    return;
  }
  if (args.defaultKeyName === undefined) {
    issues.add(
      "defaultKeyName",
      'with kes, MinIO needs MINIO_KMS_KES_KEY_NAME: set defaultKeyName, e.g. "minio-default" (it must stay forever).',
    );
  } else {
    checkKeyName(issues, "defaultKeyName", args.defaultKeyName);
    if (isKesServer(kes) && !keyAllowed(args.defaultKeyName, kes.minioKeyNames)) {
      issues.add(
        "defaultKeyName",
        `${JSON.stringify(args.defaultKeyName)} is not in the KesServer's minioKeyNames (${kes.minioKeyNames.join(", ")}); KES would answer 403. Add it there or rename the key.`,
      );
    }
  }
  if (!isKesServer(kes)) checkExternalKes(issues, kes as ExternalKesArgs);
}

function checkTls(issues: Issues, args: MinioDeploymentArgs, names: string[]): void {
  const t = args?.tls;
  if (t !== undefined && typeof t === "object" && t.certificates) {
    const nodes = Array.isArray(args.nodes) ? args.nodes : [];
    const admin = args.adminHost ?? nodes[0]?.name;
    checkBroughtCertificates(issues, t, nodes, {
      word: "node",
      // mc on the admin node connects to https://localhost:<port> (the gates use the node's
      // address through 127.0.0.1).
      alsoCovers: (n) => (n === admin ? "localhost" : undefined),
      caWhy: ": nodes and mc verify each other with it.",
      caFirst: false,
      names,
    });
  }
  checkTlsTiming(issues, typeof t === "object" ? t : undefined);
}

function checkBinaries(issues: Issues, args: MinioDeploymentArgs, names: string[]): void {
  if (args?.existing === undefined) {
    checkBinarySource(issues, "binary", args?.binary, "minio");
  } else if (args.binary !== undefined) {
    issues.add(
      "binary",
      "existing deployments keep their own binary: remove binary, or drop existing to let the library install MinIO.",
    );
  }
  if (args?.existing !== undefined && args.tls !== undefined && args.tls !== false) {
    issues.add(
      "tls",
      "existing deployments keep their own TLS setup; remove tls (the library's health checks and mc then use http://127.0.0.1:<port> on the nodes).",
    );
  }
  if (args?.mc !== undefined) checkBinarySource(issues, "mc", args.mc, "mc");
  if (issues.ok) {
    checkLocalBinary(issues, "binary", args?.binary);
    checkLocalBinary(issues, "mc", args?.mc);
  }
  if (args?.adminHost !== undefined && !names.includes(args.adminHost)) {
    issues.add(
      "adminHost",
      `no node is named ${JSON.stringify(args.adminHost)}; use one of ${names.join(", ")}.`,
    );
  }
}

/** Validate {@link MinioDeploymentArgs}; exported for the bad-input table tests. */
export function validateMinioDeploymentArgs(args: MinioDeploymentArgs): Issues {
  const issues = new Issues();
  checkHosts(issues, "nodes", args?.nodes);
  const names = (Array.isArray(args?.nodes) ? args.nodes : [])
    .map((n) => n?.name)
    .filter((n): n is string => typeof n === "string");
  if (args?.existing === undefined) {
    checkDrives(issues, "drives", args?.drives, args?.nodeDrives, names);
    checkRootCredentials(issues, "", args?.rootUser, args?.rootPassword);
    // checkRootCredentials prefixes fields with ".": strip it for top-level args.
    for (const i of issues.list) if (i.field.startsWith(".")) i.field = i.field.slice(1);
    checkPools(issues, args, names);
  } else checkExistingFields(issues, args);
  checkPorts(issues, args);
  checkExtraEnv(issues, "extraEnv", args?.extraEnv, { allowAny: args?.allowAnyExtraEnv === true });
  checkBinaries(issues, args, names);
  checkKes(issues, args);
  checkTls(issues, args, names);
  checkTimeout(issues, "healthTimeoutSeconds", args?.healthTimeoutSeconds);
  if (args?.driftCheck !== undefined) {
    checkRule(issues, "driftCheck.request", args.driftCheck?.request, rules.driftRequest);
    if (args.driftCheck?.repair !== undefined)
      checkRule(issues, "driftCheck.repair", args.driftCheck.repair, rules.driftRequest);
  }
  if (args?.existing !== undefined) checkExistingFiles(issues, args);
  return issues;
}

/** Each node's unit, ordered after KES on a node that is also a KES host. */
function minioUnits(
  name: string,
  args: MinioDeploymentArgs,
  kes: MinioKesSource,
  u: { binaryPath: string; envFile: string; port: number; consolePort: number },
): Record<string, string> {
  return Object.fromEntries(
    args.nodes.map((node) => [
      node.name,
      renderMinioUnit({
        binaryPath: u.binaryPath,
        user: MINIO_PATHS.user,
        group: MINIO_PATHS.user,
        envFile: u.envFile,
        // Same host by address, not only by name (a KES host "kes1" and a MinIO node "minio1"
        // may be one machine).
        after: kes.kind === "server" && colocated(kes.server, node) ? ["kes.service"] : undefined,
        serviceType: args.serviceType,
        owner: `${name}-${node.name}-unit`,
        bindPrivilegedPort: u.port < 1024 || u.consolePort < 1024,
      }),
    ]),
  );
}

/** Each node's drives, from its pool, `nodeDrives` or `drives`, and the pools (with their drives). */
function minioDrives(args: MinioDeploymentArgs) {
  // One pool with drives of its own: those are every node's drives (rendered as ranges, as the
  // same pool is once a second one joins).
  const drives = (args.pools?.length === 1 ? args.pools[0]!.drives : undefined) ?? args.drives ?? [];
  const pools = args.pools?.map((p) => ({ nodes: [...p.nodes], drives: p.drives ?? drives }));
  const poolDrives = new Map(pools?.flatMap((p) => p.nodes.map((n) => [n, p.drives] as const)) ?? []);
  const drivesOf = Object.fromEntries(
    args.nodes.map((n) => [n.name, poolDrives.get(n.name) ?? args.nodeDrives?.[n.name] ?? drives]),
  );
  return { drives, pools, drivesOf };
}

/** What each node's preflight checks for room, and what the deployment claims on every node. */
function minioPaths(
  args: MinioDeploymentArgs,
  p: {
    envFile: string;
    unitName: string;
    binaryPath?: string;
    adminHost: string;
    port: number;
    consolePort: number;
  },
) {
  // Not the drives: the library writes nothing there, and a nearly full data drive must not
  // block a change of the env file or the certificates.
  const paths = p.binaryPath
    ? [p.envFile, MINIO_PATHS.configDir, p.binaryPath]
    : [p.envFile, MINIO_PATHS.configDir];
  const preflightPaths = Object.fromEntries(
    args.nodes.map((n) => [
      n.name,
      n.name === p.adminHost && args.mc ? [...paths, binaryInstallPath(args.mc, "mc")] : paths,
    ]),
  );
  const all = [`file ${p.envFile}`, `unit ${p.unitName}`];
  if (p.binaryPath)
    all.push(
      `file ${BINARY_DIR}/${args.binary?.name ?? MINIO_DEFAULTS.binaryName}`,
      `port ${p.port}`,
      `port ${p.consolePort}`,
      `dir ${MINIO_PATHS.configDir}`,
    );
  return { preflightPaths, all };
}

/**
 * Validate `args` and, when they are valid, decide everything the deployment needs: the plan.
 * Pure: it creates no resource and touches no host (claims on hosts are the caller's).
 */
export function resolveMinioDeployment(
  name: string,
  args: MinioDeploymentArgs,
): { issues: Issues; plan?: MinioPlan } {
  const component = `MinioDeployment ${name}`;
  const issues = validateMinioDeploymentArgs(args);
  checkRule(issues, "name", name, rules.componentName);
  if (!issues.ok) return { issues };
  const existing = args.existing !== undefined;
  const port = args.port ?? MINIO_DEFAULTS.port;
  const consolePort = args.consolePort ?? MINIO_DEFAULTS.consolePort;
  const tls: TlsArgs | undefined = args.tls === true ? {} : args.tls === false ? undefined : args.tls;
  const envFile = args.existing?.envFile ?? MINIO_PATHS.envFile;
  const unitName = args.existing?.unitName ?? MINIO_PATHS.unit;
  const { drives, pools, drivesOf } = minioDrives(args);
  const adminHost = args.adminHost ?? args.nodes[0]!.name;
  const kes: MinioKesSource = isKesServer(args.kes)
    ? { kind: "server", server: args.kes }
    : args.kes
      ? { kind: "external", external: args.kes as ExternalKesArgs }
      : { kind: "none" };
  const binaryPath = existing ? undefined : binaryInstallPath(args.binary!, MINIO_DEFAULTS.binaryName);
  const units = existing
    ? {}
    : minioUnits(name, args, kes, { binaryPath: binaryPath!, envFile, port, consolePort });
  const { preflightPaths, all } = minioPaths(args, {
    envFile,
    unitName,
    binaryPath,
    adminHost,
    port,
    consolePort,
  });
  const opts = [`--address :${port}`, `--console-address :${consolePort}`];
  if (tls) opts.push(`--certs-dir ${MINIO_PATHS.certsDir}`);
  return {
    issues,
    plan: {
      name,
      component,
      port,
      consolePort,
      tls,
      scheme: tls ? "https" : "http",
      existing,
      envFile,
      unitName,
      adminHost,
      drivesOf,
      drives,
      pools: pools && pools.length > 1 ? pools : undefined,
      sameDrives: args.nodes.every((n) => JSON.stringify(drivesOf[n.name]) === JSON.stringify(drives)),
      binaryPath,
      units,
      opts: existing ? undefined : opts.join(" "),
      preflightPaths,
      timeoutSeconds: args.healthTimeoutSeconds ?? MINIO_DEFAULTS.healthTimeoutSeconds,
      validityHours: tls?.validityHours ?? MINIO_DEFAULTS.certificateValidityHours,
      expiryWarningDays: tls?.expiryWarningDays ?? TLS_DEFAULTS.expiryWarningDays,
      claims: {
        all,
        perNode: Object.fromEntries(
          args.nodes.map((n) => [n.name, drivesOf[n.name]!.map((d) => `drive ${d}`)]),
        ),
      },
      kes,
      rerun: driftRepairLabel(args.driftCheck),
    },
  };
}
