/**
 * systemd units for MinIO and KES, modelled on the official ones (kes-minio.md §4.3, §4.4)
 * with these deliberate differences, each explained in the rendered unit:
 * - `RestartSec=5s`, so a crash loop (e.g. KES not reachable yet) does not hit systemd's
 *   start-rate limit within seconds (§6 pitfall 1);
 * - when KES runs on the same host, MinIO gets `Wants=`/`After=` on the KES unit (§4.4: neither
 *   official unit orders them);
 * - KES gets `ExecReload=` sending SIGHUP (KES reloads its config on SIGHUP, §1.3), and an
 *   `EnvironmentFile=` holding the secrets its config references as `${VAR}`;
 * - capabilities are the minimum: `CAP_IPC_LOCK` for KES (mlockall, §1.3), and
 *   `CAP_NET_BIND_SERVICE` only when a port below 1024 is used. The 2026 AIStor unit adds
 *   `CAP_SYS_ADMIN CAP_DAC_OVERRIDE`, which community MinIO does not need.
 */
import { MANAGED_HEADER } from "./minioEnv";
import { assertRule, path as pathRule, resourceName } from "./rules";

/** The line that records which step owns a unit file (see `removeUnitScript`). */
export function unitOwnerLine(owner: string): string {
  assertRule("unit", "owner", owner, resourceName);
  return `# pulumi-minio-kes owner: ${owner}`;
}

function unitText(sections: Array<[string, Array<string | [string, string]>]>, owner?: string): string {
  const out: string[] = [`# ${MANAGED_HEADER}`];
  if (owner !== undefined) out.push(unitOwnerLine(owner));
  for (const [name, entries] of sections) {
    out.push("", `[${name}]`);
    for (const e of entries) out.push(typeof e === "string" ? e : `${e[0]}=${e[1]}`);
  }
  return `${out.join("\n")}\n`;
}

/** Inputs of the MinIO unit. */
export interface MinioUnitInput {
  /** Absolute path of the MinIO binary (`/usr/local/bin/minio`). */
  binaryPath: string;
  /** Service user, `User=` (`minio-user`). */
  user: string;
  /** Service group, `Group=` (`minio-user`). */
  group: string;
  /** MinIO's environment file (`/etc/default/minio`). */
  envFile: string;
  /** `WorkingDirectory=` (`/usr/local`). */
  workingDirectory?: string;
  /** Units MinIO must start after and pulls in, e.g. `["kes.service"]` when KES shares the host. */
  after?: string[];
  /** `Type=notify` (MinIO ≥ RELEASE.2023-05-04) or `simple` for older binaries and forks. */
  serviceType?: "notify" | "simple";
  /** Grant CAP_NET_BIND_SERVICE (a port below 1024). */
  bindPrivilegedPort?: boolean;
  /**
   * The step that owns the file (its resource name). Destroy removes the unit only when this
   * owner line still matches, so a renamed component does not stop what it just installed.
   */
  owner?: string;
}

/** Render `minio.service`. */
export function renderMinioUnit(u: MinioUnitInput): string {
  for (const f of ["binaryPath", "envFile"] as const) assertRule("renderMinioUnit", f, u[f], pathRule);
  const unit: Array<string | [string, string]> = [
    ["Description", "MinIO object storage"],
    ["Documentation", "https://github.com/minio/minio"],
    ["Wants", "network-online.target"],
    ["After", "network-online.target"],
  ];
  if (u.after && u.after.length > 0) {
    unit.push("# KES runs on this host: MinIO needs it at start (it fails with 'Failed to connect to KMS').");
    unit.push(["Wants", u.after.join(" ")], ["After", u.after.join(" ")]);
  }
  unit.push(["AssertFileIsExecutable", u.binaryPath], ["AssertFileNotEmpty", u.envFile]);
  const service: Array<string | [string, string]> = [
    ["Type", u.serviceType ?? "notify"],
    ["WorkingDirectory", u.workingDirectory ?? "/usr/local"],
    ["User", u.user],
    ["Group", u.group],
    ["ProtectProc", "invisible"],
    ["EnvironmentFile", u.envFile],
    [
      "ExecStartPre",
      `/bin/bash -c "if [ -z \\"\${MINIO_VOLUMES}\\" ]; then echo \\"Variable MINIO_VOLUMES not set in ${u.envFile}\\"; exit 1; fi"`,
    ],
    ["ExecStart", `${u.binaryPath} server $MINIO_OPTS $MINIO_VOLUMES`],
    ["Restart", "always"],
    "# Not in the official unit: a pause between restarts keeps a crash loop under systemd's start limit.",
    ["RestartSec", "5s"],
    ["LimitNOFILE", "1048576"],
    ["TasksMax", "infinity"],
    ["TimeoutSec", "infinity"],
    ["OOMScoreAdjust", "-1000"],
    ["SendSIGKILL", "no"],
  ];
  if (u.bindPrivilegedPort) service.push(["AmbientCapabilities", "CAP_NET_BIND_SERVICE"]);
  return unitText(
    [
      ["Unit", unit],
      ["Service", service],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
    u.owner,
  );
}

/** Inputs of the KES unit. */
export interface KesUnitInput {
  /** Absolute path of the KES binary (`/usr/local/bin/kes`). */
  binaryPath: string;
  /** Service user, `User=` (`kes`). */
  user: string;
  /** Service group, `Group=` (`kes`). */
  group: string;
  /** The config file (`/etc/kes/config.yaml`). */
  configPath: string;
  /** The root-only env file with the secrets the config references (`/etc/kes/kes.env`). */
  envFile: string;
  /** `WorkingDirectory=` (`/etc/kes`). */
  workingDirectory?: string;
  /** Grant CAP_NET_BIND_SERVICE (a port below 1024). */
  bindPrivilegedPort?: boolean;
  /** The step that owns the file (see {@link MinioUnitInput.owner}). */
  owner?: string;
}

/** Render `kes.service`. */
export function renderKesUnit(u: KesUnitInput): string {
  for (const f of ["binaryPath", "configPath", "envFile"] as const)
    assertRule("renderKesUnit", f, u[f], pathRule);
  const caps = ["CAP_IPC_LOCK"];
  if (u.bindPrivilegedPort) caps.push("CAP_NET_BIND_SERVICE");
  return unitText(
    [
      [
        "Unit",
        [
          ["Description", "KES key management server for MinIO"],
          ["Documentation", "https://github.com/minio/kes"],
          ["Wants", "network-online.target"],
          ["After", "network-online.target"],
          ["AssertFileIsExecutable", u.binaryPath],
          ["AssertFileNotEmpty", u.configPath],
        ],
      ],
      [
        "Service",
        [
          ["WorkingDirectory", u.workingDirectory ?? "/etc/kes"],
          "# mlockall keeps keys out of swap (KES tries it on Linux and needs CAP_IPC_LOCK).",
          ["AmbientCapabilities", caps.join(" ")],
          ["User", u.user],
          ["Group", u.group],
          ["ProtectProc", "invisible"],
          "# Secrets referenced as ${VAR} in the config; read by systemd as root, never by the kes user.",
          ["EnvironmentFile", u.envFile],
          ["ExecStart", `${u.binaryPath} server --config=${u.configPath}`],
          "# KES re-reads its config on SIGHUP.",
          ["ExecReload", "/bin/kill -HUP $MAINPID"],
          ["Restart", "always"],
          ["RestartSec", "5s"],
          ["LimitNOFILE", "65536"],
          ["TasksMax", "infinity"],
          ["TimeoutStopSec", "infinity"],
          ["SendSIGKILL", "no"],
        ],
      ],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
    u.owner,
  );
}
