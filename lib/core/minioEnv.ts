/**
 * MinIO's environment file (kes-minio.md §4.1, §4.2, §4.3) and `MINIO_VOLUMES`.
 *
 * The rendered file is identical on every node: distributed MinIO compares the hashes of
 * every `MINIO_*` variable across nodes and refuses to start when they differ (§4.2), and
 * nothing node-specific is needed (node addresses live in `MINIO_VOLUMES`, the same list on
 * every node).
 */
import { parseEnvLine, renderEnvFile } from "./envfile";
import { assertRule, hostOrIp, path as pathRule, urlHost } from "./rules";
import type { MinioEnvInput, MinioTopology } from "./types";

/** Default S3 API port. */
export const MINIO_DEFAULT_PORT = 9000;

/** Header written at the top of every file we own on a host. */
export const MANAGED_HEADER =
  "Managed by pulumi-minio-kes: do not edit. `pulumi up` rewrites this file whenever its content changes in the program.";

/**
 * Try to write a list of strings as one MinIO ellipsis pattern `prefix{a...b}suffix`
 * (consecutive ascending integers without leading zeros, same prefix and suffix).
 * Returns undefined when the list does not have that shape.
 */
export function compressEllipsis(items: readonly string[]): string | undefined {
  if (items.length < 2) return undefined;
  const parsed = items.map((s) => /^(.*?)(0|[1-9][0-9]*)(\D*)$/.exec(s));
  // A number is the last run of digits; prefix and suffix must match across items.
  const first = parsed[0];
  // A prefix ending in a digit means a zero-padded number (`d01`): not compressed.
  if (!first || /\d$/.test(first[1]!)) return undefined;
  const start = Number(first[2]);
  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i];
    if (!p || p[1] !== first[1] || p[3] !== first[3] || Number(p[2]) !== start + i) return undefined;
  }
  return `${first[1]}{${start}...${start + items.length - 1}}${first[3]}`;
}

/**
 * Render `MINIO_VOLUMES` for the three supported layouts:
 * - single node, single drive: the drive path (`/mnt/data`);
 * - single node, several drives: `/mnt/disk{1...4}/minio`, or the explicit list;
 * - several nodes: `https://minio{1...4}.example.net:9000/mnt/disk{1...4}/minio`, or, when the
 *   host names do not form a sequence, a fully explicit list of `URL/drive` endpoints. Mixing an
 *   explicit host list with drive ellipses is avoided on purpose: MinIO treats every argument
 *   that contains an ellipsis as its own server pool.
 */
export function renderMinioVolumes(t: MinioTopology): string {
  const port = t.port ?? MINIO_DEFAULT_PORT;
  for (const d of t.drives) assertRule("renderMinioVolumes", "drives", d, pathRule);
  if (t.hosts.length === 1) {
    if (t.drives.length === 1) return t.drives[0]!;
    return compressEllipsis(t.drives) ?? t.drives.join(" ");
  }
  for (const h of t.hosts) assertRule("renderMinioVolumes", "hosts", h, hostOrIp);
  // IPv6 addresses go in brackets, and are never compressed into an ellipsis (MinIO's ellipsis
  // syntax is for decimal runs in host names, not for hex inside an address).
  const hosts = t.hosts.map(urlHost);
  const hostPattern = hosts.some((h) => h.startsWith("[")) ? undefined : compressEllipsis(hosts);
  const drivePattern = t.drives.length === 1 ? t.drives[0] : compressEllipsis(t.drives);
  if (hostPattern !== undefined && drivePattern !== undefined) {
    return `${t.scheme}://${hostPattern}:${port}${drivePattern}`;
  }
  const endpoints: string[] = [];
  for (const h of hosts) for (const d of t.drives) endpoints.push(`${t.scheme}://${h}:${port}${d}`);
  return endpoints.join(" ");
}

/**
 * One server pool's argument of `MINIO_VOLUMES` when there are several: always URLs, with the
 * nodes and the drives each written as one `{a...b}` range (a single node or a single drive as
 * itself), since MinIO takes each argument with an ellipsis as a pool and refuses an argument
 * without one among several (`all args must have ellipses for pool expansion`,
 * cmd/endpoint-ellipses.go). Undefined when the pool cannot be written so.
 */
export function renderMinioPool(t: MinioTopology): string | undefined {
  const port = t.port ?? MINIO_DEFAULT_PORT;
  for (const d of t.drives) assertRule("renderMinioPool", "drives", d, pathRule);
  for (const h of t.hosts) assertRule("renderMinioPool", "hosts", h, hostOrIp);
  const hosts = t.hosts.map(urlHost);
  if (hosts.some((h) => h.startsWith("["))) return undefined;
  const hostPattern = hosts.length === 1 ? hosts[0] : compressEllipsis(hosts);
  const drivePattern = t.drives.length === 1 ? t.drives[0] : compressEllipsis(t.drives);
  if (hostPattern === undefined || drivePattern === undefined) return undefined;
  if (hosts.length === 1 && t.drives.length === 1) return undefined;
  return `${t.scheme}://${hostPattern}:${port}${drivePattern}`;
}

/** `MINIO_VOLUMES` of several server pools: one argument per pool ({@link renderMinioPool}). */
export function renderMinioPools(t: {
  /** `http` or `https`. */
  scheme: MinioTopology["scheme"];
  /** MinIO's port. Default 9000. */
  port?: number;
  /** Each pool's node addresses and drives. */
  pools: ReadonlyArray<{ hosts: string[]; drives: string[] }>;
}): string {
  return t.pools
    .map((p, i) => {
      const arg = renderMinioPool({ scheme: t.scheme, port: t.port, hosts: p.hosts, drives: p.drives });
      if (arg === undefined)
        throw new Error(
          `renderMinioPools: pool ${i} (${p.hosts.join(", ")}; ${p.drives.join(", ")}) cannot be written as MinIO's {a...b} ranges`,
        );
      return arg;
    })
    .join(" ");
}

/**
 * `MINIO_VOLUMES` when the nodes have different drive lists: every `URL/drive` endpoint spelled
 * out, node by node (one server pool: no ellipsis anywhere).
 */
export function renderMinioNodeVolumes(t: {
  /** `http` or `https`. */
  scheme: MinioTopology["scheme"];
  /** MinIO's port. Default 9000. */
  port?: number;
  /** Each node's address (as the other nodes reach it) and its drives. */
  nodes: ReadonlyArray<{ host: string; drives: readonly string[] }>;
}): string {
  const port = t.port ?? MINIO_DEFAULT_PORT;
  return t.nodes
    .flatMap((n) => {
      assertRule("renderMinioNodeVolumes", "nodes.host", n.host, hostOrIp);
      return n.drives.map((d) => {
        assertRule("renderMinioNodeVolumes", "nodes.drives", d, pathRule);
        return `${t.scheme}://${urlHost(n.host)}:${port}${d}`;
      });
    })
    .join(" ");
}

/** The ordered `NAME=value` entries of MinIO's environment (without header). */
export function minioEnvEntries(input: MinioEnvInput): Array<[string, string]> {
  const e: Array<[string, string]> = [
    ["MINIO_ROOT_USER", input.rootUser],
    ["MINIO_ROOT_PASSWORD", input.rootPassword],
    ["MINIO_VOLUMES", input.volumes],
  ];
  if (input.opts !== undefined && input.opts !== "") e.push(["MINIO_OPTS", input.opts]);
  const kes = input.kes;
  if (kes) {
    e.push(["MINIO_KMS_KES_ENDPOINT", kes.endpoints.join(",")]);
    e.push(["MINIO_KMS_KES_KEY_NAME", kes.keyName]);
    if (kes.auth.kind === "apiKey") {
      e.push(["MINIO_KMS_KES_API_KEY", kes.auth.apiKey]);
    } else {
      e.push(["MINIO_KMS_KES_CERT_FILE", kes.auth.certFile]);
      e.push(["MINIO_KMS_KES_KEY_FILE", kes.auth.keyFile]);
      if (kes.auth.keyPassword !== undefined) e.push(["MINIO_KMS_KES_KEY_PASSWORD", kes.auth.keyPassword]);
    }
    if (kes.caPath !== undefined) e.push(["MINIO_KMS_KES_CAPATH", kes.caPath]);
  }
  for (const name of Object.keys(input.extra ?? {}).sort()) {
    e.push([name, input.extra![name]!]);
  }
  return e;
}

/** Render MinIO's whole environment file (the library owns the file). */
export function renderMinioEnvFile(input: MinioEnvInput): string {
  return renderEnvFile(minioEnvEntries(input), MANAGED_HEADER);
}

/**
 * Every KES variable MinIO reads (§4.1). In merge mode the ones we do not set are removed,
 * so switching from an API key to a client certificate (or back) never leaves both set,
 * which MinIO refuses.
 */
export const MINIO_KES_VARIABLES = [
  "MINIO_KMS_KES_ENDPOINT",
  "MINIO_KMS_KES_KEY_NAME",
  "MINIO_KMS_KES_API_KEY",
  "MINIO_KMS_KES_CERT_FILE",
  "MINIO_KMS_KES_KEY_FILE",
  "MINIO_KMS_KES_KEY_PASSWORD",
  "MINIO_KMS_KES_CAPATH",
] as const;

/**
 * Variables that configure another KMS. MinIO refuses KES together with them (§4.1,
 * "Exclusivity rule"). Merge mode never deletes them (data may be encrypted with that KMS):
 * it fails and says what to do.
 */
export const MINIO_CONFLICTING_KMS_VARIABLES = [
  "MINIO_KMS_SECRET_KEY",
  "MINIO_KMS_SECRET_KEY_FILE",
  "MINIO_KMS_SERVER",
  "MINIO_KMS_ENCLAVE",
  "MINIO_KMS_API_KEY",
  "MINIO_KMS_SSE_KEY",
] as const;

/** Result of merging our variables into an existing env file. */
export interface EnvMergeResult {
  /** The merged file text. */
  text: string;
  /** Names whose first setting line was replaced in place (later duplicates are dropped). */
  replaced: string[];
  /** Names that were not in the file and were appended at the end. */
  added: string[];
  /** Names from the `remove` list whose lines were dropped. */
  removed: string[];
}

/** Raised when an existing env file configures a KMS that cannot coexist with KES. */
export class EnvMergeConflictError extends Error {
  constructor(
    /** The conflicting variable, e.g. `MINIO_KMS_SECRET_KEY`. */
    readonly variable: string,
    /** Path of the env file that sets it. */
    readonly file: string,
  ) {
    super(
      `${variable} is set in ${file}: MinIO cannot use KES and another KMS at once. ` +
        "Objects encrypted with that KMS need it to stay readable; migrate them first (or remove the variable " +
        "yourself if nothing was encrypted with it), then run `pulumi up` again.",
    );
    this.name = "EnvMergeConflictError";
  }
}

/**
 * Merge mode for an existing deployment (MinIO's documented procedure edits the existing
 * environment file and restarts): each variable in `managed` replaces the first line that sets
 * it (later duplicates are dropped) or is appended; names in `remove` are dropped; every other
 * line, comment and blank line is kept byte for byte. This is the specification that the host
 * merge script (`envMergeScript`) is tested against.
 */
export function mergeEnvFile(
  existing: string,
  managed: ReadonlyArray<readonly [string, string]>,
  remove: readonly string[],
  options: { file: string; conflicts?: readonly string[] },
): EnvMergeResult {
  const managedMap = new Map(managed.map(([k, v]) => [k, v] as const));
  const removeSet = new Set(remove.filter((n) => !managedMap.has(n)));
  const conflicts = new Set(options.conflicts ?? []);
  const lines = existing === "" ? [] : existing.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  const done = new Set<string>();
  const replaced: string[] = [];
  const removed: string[] = [];
  for (const line of lines) {
    const parsed = parseEnvLine(line);
    if (parsed && conflicts.has(parsed.name) && parsed.value !== "") {
      throw new EnvMergeConflictError(parsed.name, options.file);
    }
    if (parsed && managedMap.has(parsed.name)) {
      if (!done.has(parsed.name)) {
        out.push(renderEnvFile([[parsed.name, managedMap.get(parsed.name)!]]).trimEnd());
        done.add(parsed.name);
        replaced.push(parsed.name);
      }
      continue;
    }
    if (parsed && removeSet.has(parsed.name)) {
      removed.push(parsed.name);
      continue;
    }
    out.push(line);
  }
  const added = managed.filter(([k]) => !done.has(k)).map(([k]) => k);
  if (added.length > 0) {
    out.push(`# Added by pulumi-minio-kes`);
    out.push(renderEnvFile(managed.filter(([k]) => !done.has(k))).trimEnd());
  }
  return { text: `${out.join("\n")}\n`, replaced, added, removed };
}
