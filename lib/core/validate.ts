/**
 * Validation of every argument, in one place, before any resource is created. Each check
 * returns issues `{ field, message }` whose message says what is wrong AND how to fix it;
 * components throw them together as one `pulumi.ResourceError`.
 *
 * Values that are Pulumi Outputs or Promises are unknown at construction time and are skipped
 * here; the renderers reject malformed resolved values before anything is written to a host.
 * This module imports nothing from Pulumi so it stays a pure, fast-to-test core.
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { isValidEnvName } from "./envfile";
import { MINIO_CONFLICTING_KMS_VARIABLES, MINIO_KES_VARIABLES } from "./minioEnv";

/** One problem with the arguments. */
export interface ValidationIssue {
  /** Path of the argument, e.g. `nodes[1].hostKey`. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** Collects issues. */
export class Issues {
  /** The issues found so far, in the order they were added. */
  readonly list: ValidationIssue[] = [];
  /** Record one issue for the argument at path `field`. */
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  /** True when no issue was recorded. */
  get ok(): boolean {
    return this.list.length === 0;
  }
  /** All issues as one message, one per line. */
  format(component: string): string {
    return `invalid arguments for ${component}:\n${this.list.map((i) => `  - ${i.field}: ${i.message}`).join("\n")}`;
  }
}

/** The value when it is known now (not an Output or Promise), else undefined. */
export function known<T>(v: T | PromiseLike<T> | { apply: unknown } | undefined): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "object" || typeof v === "function") {
    const o = v as Record<string, unknown>;
    if (typeof o.then === "function" || typeof o.apply === "function") return undefined;
    if (o.__pulumiOutput === true || o.__pulumiOutput === "true") return undefined;
  }
  return v as T;
}

/** KES key name rules (kes-minio.md §3 and §6 pitfall 10; the fs keystore also rejects `.`). */
export function checkKeyName(issues: Issues, field: string, name: unknown): void {
  if (typeof name !== "string" || name === "") {
    issues.add(field, "set a KES key name, e.g. `minio-default`.");
    return;
  }
  if (name !== name.trim()) {
    issues.add(
      field,
      `key name ${JSON.stringify(name)} has leading or trailing spaces; remove them (MinIO rejects them).`,
    );
    return;
  }
  if (name.length > 80)
    issues.add(
      field,
      `key name is ${name.length} characters long; rename it to at most 80 characters (the KES limit).`,
    );
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    issues.add(
      field,
      `key name ${JSON.stringify(name)} may only contain letters, digits, '_' and '-' (no dots, slashes or spaces); rename it, e.g. to ${JSON.stringify(name.replace(/[^A-Za-z0-9_-]/g, "-"))}.`,
    );
  } else if (name.startsWith("-") || name.endsWith("-")) {
    issues.add(
      field,
      `key name ${JSON.stringify(name)} starts or ends with '-', which KES rejects; remove the leading or trailing '-'.`,
    );
  } else if (name === "_") {
    issues.add(field, "key name '_' is reserved by KES; choose another name.");
  }
}

/** A key name or a prefix pattern ending in `*` (KES policy prefix match, §1.1). */
export function checkKeyPattern(issues: Issues, field: string, pattern: unknown): void {
  if (typeof pattern === "string" && pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    if (prefix.includes("*")) {
      issues.add(
        field,
        `pattern ${JSON.stringify(pattern)} has '*' before the end, but KES only matches a trailing '*'; put '*' only at the end, e.g. "minio-*".`,
      );
    } else if (prefix.startsWith("-")) {
      issues.add(
        field,
        `pattern ${JSON.stringify(pattern)} can only match names starting with '-', which KES rejects; remove the leading '-'.`,
      );
    } else if (prefix !== "" && !/^[A-Za-z0-9_-]+$/.test(prefix)) {
      issues.add(
        field,
        `pattern ${JSON.stringify(pattern)} has characters KES key names cannot have; use only letters, digits, '_' and '-' before '*', e.g. "minio-*".`,
      );
    }
    return;
  }
  checkKeyName(issues, field, pattern);
}

/** True when `name` is allowed by one of the key patterns. */
export function keyAllowed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : p === name));
}

const HOSTNAME_RE =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A DNS name or an IP address. */
export function isHostOrIp(s: string): boolean {
  return isIP(s) !== 0 || HOSTNAME_RE.test(s);
}

/** An absolute path without unsafe characters. */
export function checkAbsolutePath(
  issues: Issues,
  field: string,
  p: unknown,
  what = "path",
  example = "/mnt/disk1",
): void {
  if (typeof p !== "string" || !p.startsWith("/")) {
    issues.add(
      field,
      `${what} must be an absolute path; write it from the root, e.g. ${example} (got ${JSON.stringify(p)}).`,
    );
  } else if (/[\n\r\0]/.test(p) || /\s/.test(p)) {
    issues.add(
      field,
      `${what} ${JSON.stringify(p)} contains whitespace or control characters; use a plain path.`,
    );
  } else if (p === "/" || p.split("/").includes("..")) {
    issues.add(
      field,
      `${what} ${JSON.stringify(p)} is the root directory or contains '..'; use a dedicated directory.`,
    );
  }
}

/**
 * Directories of the operating system. A drive or a keystore directory is handed to its service
 * user (`chown`), so one of these would give MinIO or KES a system directory (security review,
 * row 3).
 */
export const SYSTEM_DIRECTORIES: ReadonlySet<string> = new Set([
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/media",
  "/mnt",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/usr/bin",
  "/usr/lib",
  "/usr/local",
  "/usr/local/bin",
  "/usr/local/lib",
  "/usr/local/sbin",
  "/usr/sbin",
  "/usr/share",
  "/var",
  "/var/lib",
  "/var/log",
  "/var/tmp",
  "/var/cache",
  "/var/spool",
  "/etc/default",
  "/etc/systemd",
  "/etc/systemd/system",
  "/etc/kes",
  "/etc/minio",
]);

/** Refuse a system directory (or a path written with trailing or doubled slashes that names one). */
export function checkNotSystemDirectory(
  issues: Issues,
  field: string,
  p: unknown,
  what: string,
  example: string,
): void {
  if (typeof p !== "string" || !p.startsWith("/")) return;
  const norm = p.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  if (SYSTEM_DIRECTORIES.has(norm)) {
    issues.add(
      field,
      `${what} ${JSON.stringify(p)} is a system directory, which the library would hand to the service user; use a dedicated directory below it, e.g. ${example}.`,
    );
  }
}

/** An `https://host[:port]` URL without path (KES/Vault/KMS endpoints). */
export function checkEndpointUrl(
  issues: Issues,
  field: string,
  url: unknown,
  opts: { httpsOnly?: boolean } = {},
): void {
  if (typeof url !== "string") {
    issues.add(field, "set the endpoint URL, e.g. https://vault.example.net:8200.");
    return;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    issues.add(field, `${JSON.stringify(url)} is not a URL; write it as https://host:port.`);
    return;
  }
  if (u.protocol !== "https:" && (opts.httpsOnly || u.protocol !== "http:")) {
    issues.add(
      field,
      `${JSON.stringify(url)} is not https; write it with https:// (the service speaks TLS only).`,
    );
  }
  if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash || u.username) {
    issues.add(
      field,
      `${JSON.stringify(url)} has a path, query or credentials; remove them and write only https://host:port.`,
    );
  }
}

/** A port number. */
export function checkPort(issues: Issues, field: string, port: unknown): void {
  const p = known(port);
  if (p === undefined) return;
  if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 65535) {
    issues.add(
      field,
      `port must be an integer from 1 to 65535 (got ${JSON.stringify(p)}); use a free TCP port, e.g. 9000.`,
    );
  }
}

/** A health timeout in seconds (the scripts accept 5 to 3600). */
export function checkTimeout(issues: Issues, field: string, t: unknown): void {
  if (t === undefined) return;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 5 || t > 3600) {
    issues.add(field, `set ${field} to a whole number of seconds from 5 to 3600 (got ${JSON.stringify(t)}).`);
  }
}

/** A KES duration (`30s`, `5m`, `1h`, `0s`). */
export function checkDuration(issues: Issues, field: string, d: unknown): void {
  if (d === undefined) return;
  if (typeof d !== "string" || !/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(d)) {
    issues.add(field, `${JSON.stringify(d)} is not a duration; write it like 30s, 5m or 1h.`);
  }
}

/** Shape of a host as the validator sees it (a subset of HostArgs). */
export interface HostLike {
  /** `HostArgs.name`: 1–32 lowercase letters, digits and `-`, unique in the list. */
  name?: unknown;
  /** `HostArgs.address`: host name or IP the deploying machine reaches over SSH. */
  address?: unknown;
  /** `HostArgs.internalAddress`: host name or IP other hosts use. */
  internalAddress?: unknown;
  /** `HostArgs.port`: SSH port. */
  port?: unknown;
  /** `HostArgs.privateKey`: SSH private key; must be set. */
  privateKey?: unknown;
  /** `HostArgs.hostKey`: pinned SSH host key, `ssh-ed25519 AAAA…`. */
  hostKey?: unknown;
}

const HOST_KEY_RE =
  /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|rsa-sha2-(256|512)) [A-Za-z0-9+/]+={0,3}( .*)?$/;

/** A list of hosts: names, addresses, ports, host keys, duplicates. */
export function checkHosts(issues: Issues, field: string, hosts: unknown, opts: { min?: number } = {}): void {
  if (!Array.isArray(hosts) || hosts.length < (opts.min ?? 1)) {
    issues.add(field, `list at least ${opts.min ?? 1} host, each with name, address and privateKey.`);
    return;
  }
  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  hosts.forEach((h: HostLike, i) => {
    const f = `${field}[${i}]`;
    if (typeof h?.name !== "string" || !/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(h.name)) {
      issues.add(
        `${f}.name`,
        `host name ${JSON.stringify(h?.name)} is not usable in resource names; rename it to 1–32 lowercase letters, digits or '-', e.g. "minio1".`,
      );
    } else if (names.has(h.name)) {
      issues.add(
        `${f}.name`,
        `host name ${JSON.stringify(h.name)} is used twice (also ${field}[${names.get(h.name)}]); give each host its own name.`,
      );
    } else {
      names.set(h.name, i);
    }
    const addr = known(h?.address as string | undefined);
    if (h?.address === undefined || h?.address === "") {
      issues.add(`${f}.address`, "set address to the IP or DNS name the deploying machine reaches over SSH.");
    } else if (addr !== undefined) {
      if (typeof addr !== "string" || !isHostOrIp(addr)) {
        issues.add(
          `${f}.address`,
          `${JSON.stringify(addr)} is not a host name or IP address; write a DNS name (letters, digits, '-', '.') or an IP.`,
        );
      } else {
        const key = `${addr.toLowerCase()}:${known(h.port as number | undefined) ?? 22}`;
        if (addresses.has(key)) {
          issues.add(
            `${f}.address`,
            `${key} is the same host as ${field}[${addresses.get(key)}]; list each host once.`,
          );
        } else addresses.set(key, i);
      }
    }
    if (
      h?.internalAddress !== undefined &&
      (typeof h.internalAddress !== "string" || !isHostOrIp(h.internalAddress))
    ) {
      issues.add(
        `${f}.internalAddress`,
        `${JSON.stringify(h.internalAddress)} is not a host name or IP address; write a DNS name (letters, digits, '-', '.') or an IP.`,
      );
    }
    checkPort(issues, `${f}.port`, h?.port);
    if (h?.privateKey === undefined || h?.privateKey === "") {
      issues.add(
        `${f}.privateKey`,
        'an SSH private key is required (pass it from a secret: config.requireSecret("sshKey")).',
      );
    }
    const hk = known(h?.hostKey as string | undefined);
    if (hk !== undefined && (typeof hk !== "string" || !HOST_KEY_RE.test(hk.trim()))) {
      issues.add(
        `${f}.hostKey`,
        "set hostKey to the key part of `ssh-keyscan -t ed25519 HOST` (a line like 'ssh-ed25519 AAAA…', without the host name).",
      );
    }
  });
}

/** Where a binary comes from. */
export function checkBinarySource(issues: Issues, field: string, src: unknown, defaultName: string): void {
  if (src === undefined || src === null || typeof src !== "object") {
    issues.add(
      field,
      `say where the ${defaultName} binary comes from: { url, sha256 }, { localPath, sha256 } or { preinstalledPath }. The library never downloads from a default site.`,
    );
    return;
  }
  const s = src as Record<string, unknown>;
  const set = ["url", "localPath", "preinstalledPath"].filter((k) => s[k] !== undefined);
  if (set.length !== 1) {
    issues.add(
      field,
      `give exactly one of url, localPath and preinstalledPath (got ${set.length === 0 ? "none" : set.join(" and ")}).`,
    );
  }
  if (s.url !== undefined) {
    if (typeof s.url !== "string" || !/^https?:\/\/[^\s'"]+$/.test(s.url)) {
      issues.add(
        `${field}.url`,
        `${JSON.stringify(s.url)} is not usable; use an http(s) URL without spaces or quotes.`,
      );
    }
  }
  if (s.localPath !== undefined)
    checkAbsolutePath(issues, `${field}.localPath`, s.localPath, "localPath", `/srv/binaries/${defaultName}`);
  if (s.preinstalledPath !== undefined)
    checkAbsolutePath(
      issues,
      `${field}.preinstalledPath`,
      s.preinstalledPath,
      "preinstalledPath",
      `/usr/local/bin/${defaultName}`,
    );
  if ((s.url !== undefined || s.localPath !== undefined) && s.sha256 === undefined) {
    issues.add(
      `${field}.sha256`,
      "sha256 is required with url and localPath: compute it with `sha256sum FILE` from a copy you trust.",
    );
  }
  if (s.sha256 !== undefined && (typeof s.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(s.sha256))) {
    issues.add(
      `${field}.sha256`,
      "set sha256 to the 64 lowercase hex characters that `sha256sum FILE` prints.",
    );
  }
  if (
    s.name !== undefined &&
    (typeof s.name !== "string" || !/^[A-Za-z0-9._-]+$/.test(s.name) || s.name.startsWith("."))
  ) {
    issues.add(
      `${field}.name`,
      `binary name ${JSON.stringify(s.name)} is not a plain file name; use one like "${defaultName}" or "silo" (it is installed under /usr/local/bin).`,
    );
  }
}

/** SANs of a PEM certificate (DNS names and IPs), or undefined if it cannot be parsed. */
export function certificateSans(pem: string):
  | {
      /** DNS names (`DNS:` entries of subjectAltName). */
      dns: string[];
      /** IP addresses (`IP Address:` entries of subjectAltName). */
      ip: string[];
    }
  | undefined {
  try {
    const c = new X509Certificate(pem);
    const dns: string[] = [];
    const ip: string[] = [];
    for (const part of (c.subjectAltName ?? "").split(/,\s*/)) {
      if (part.startsWith("DNS:")) dns.push(part.slice(4));
      else if (part.startsWith("IP Address:")) ip.push(part.slice(11));
    }
    return { dns, ip };
  } catch {
    return undefined;
  }
}

/** True when a certificate's SANs cover `host` (exact DNS, single-label wildcard, or IP). */
export function sansCover(sans: { dns: string[]; ip: string[] }, host: string): boolean {
  if (isIP(host)) return sans.ip.includes(host);
  return sans.dns.some((d) => {
    if (d.toLowerCase() === host.toLowerCase()) return true;
    if (d.startsWith("*.")) {
      const rest = host.slice(host.indexOf(".") + 1);
      return host.includes(".") && rest.toLowerCase() === d.slice(2).toLowerCase();
    }
    return false;
  });
}

/** A certificate for `host` brought by the user: parseable and with a SAN for the host. */
export function checkCertificateForHost(
  issues: Issues,
  field: string,
  certPem: unknown,
  host: string | undefined,
): void {
  const pem = known(certPem as string | undefined);
  if (pem === undefined) return;
  const sans = certificateSans(String(pem));
  if (!sans) {
    issues.add(field, "certPem is not a certificate; pass it in PEM form (-----BEGIN CERTIFICATE-----).");
    return;
  }
  if (sans.dns.length === 0 && sans.ip.length === 0) {
    issues.add(
      field,
      "the certificate has no DNS or IP SAN; KES and MinIO refuse it. Issue it with a SAN for the host's address.",
    );
    return;
  }
  if (host !== undefined && !sansCover(sans, host)) {
    issues.add(
      field,
      `the certificate's SANs (${[...sans.dns, ...sans.ip].join(", ")}) do not cover ${host}; clients would fail with "certificate is valid for …". Add ${host} as a SAN.`,
    );
  }
}

/** Root credentials as MinIO checks them. */
export function checkRootCredentials(issues: Issues, field: string, user: unknown, password: unknown): void {
  const u = known(user as string | undefined);
  const p = known(password as string | undefined);
  if (user === undefined) issues.add(`${field}.rootUser`, "set rootUser (at least 3 characters).");
  else if (u !== undefined && (typeof u !== "string" || u.length < 3)) {
    issues.add(
      `${field}.rootUser`,
      "rootUser is shorter than 3 characters, which MinIO refuses; use at least 3.",
    );
  }
  if (password === undefined)
    issues.add(`${field}.rootPassword`, "set rootPassword from a secret (at least 8 characters).");
  else if (p !== undefined && (typeof p !== "string" || p.length < 8)) {
    issues.add(
      `${field}.rootPassword`,
      "rootPassword is shorter than 8 characters, which MinIO refuses; use a generated secret of at least 8.",
    );
  }
  for (const [f, v] of [
    ["rootUser", u],
    ["rootPassword", p],
  ] as const) {
    if (f === "rootPassword" && typeof v === "string" && v.includes("@")) {
      issues.add(
        `${field}.${f}`,
        "rootPassword contains '@'; remove it: mc reads the secret in MC_HOST_<alias> up to the first '@' (generate passwords without ':' and '@').",
      );
    }
    if (typeof v === "string" && v.includes(":")) {
      issues.add(
        `${field}.${f}`,
        `${f} contains ':'; remove it: mc reads MC_HOST_<alias> credentials up to the first ':' (generate passwords without ':').`,
      );
    }
    if (typeof v === "string" && /[\n\r\0]/.test(v))
      issues.add(`${field}.${f}`, `${f} contains a newline; remove it (env files cannot hold newlines).`);
  }
}

/** Extra environment variables for MinIO. */
export function checkExtraEnv(issues: Issues, field: string, env: unknown): void {
  if (env === undefined) return;
  if (typeof env !== "object" || env === null) {
    issues.add(field, "pass extraEnv as an object of NAME: value.");
    return;
  }
  const managed = new Set<string>([
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "MINIO_VOLUMES",
    "MINIO_OPTS",
    ...MINIO_KES_VARIABLES,
  ]);
  for (const [name, value] of Object.entries(env)) {
    const f = `${field}.${name}`;
    if (!isValidEnvName(name))
      issues.add(
        f,
        `${JSON.stringify(name)} is not a valid variable name; rename it with letters, digits and '_' only, not starting with a digit.`,
      );
    else if (managed.has(name))
      issues.add(
        f,
        `${name} is set by the library from its own arguments; use the matching argument (rootUser, drives, kes, …) instead.`,
      );
    else if ((MINIO_CONFLICTING_KMS_VARIABLES as readonly string[]).includes(name)) {
      issues.add(f, `${name} configures another KMS, which MinIO refuses together with KES; remove it.`);
    } else if (
      ["MINIO_ROOT_USER_FILE", "MINIO_ROOT_PASSWORD_FILE", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"].includes(
        name,
      )
    ) {
      issues.add(
        f,
        `${name} would override the root credentials the library writes (and mc reads); remove it and set rootUser/rootPassword instead.`,
      );
    } else if (name === "MINIO_KMS_KES_ENCLAVE") {
      issues.add(
        f,
        "MINIO_KMS_KES_ENCLAVE was removed from MinIO in RELEASE.2024-03-03 and is ignored; remove it.",
      );
    } else if (name === "MINIO_KMS_KES_CA_PATH") {
      issues.add(
        f,
        "MINIO_KMS_KES_CA_PATH is not a MinIO variable and is ignored; remove it: the CA comes from the kes argument as MINIO_KMS_KES_CAPATH.",
      );
    }
    const v = known(value as string | undefined);
    if (typeof v === "string" && /[\n\r\0]/.test(v))
      issues.add(f, "the value contains a newline; remove it (systemd env files cannot hold newlines).");
  }
}

/** An S3 bucket name (AWS rules, which MinIO follows). */
export function checkBucketName(issues: Issues, field: string, name: unknown): void {
  if (typeof name !== "string" || name === "") {
    issues.add(field, 'set a bucket name, e.g. "invoices".');
    return;
  }
  if (name.length < 3 || name.length > 63)
    issues.add(field, `bucket name ${JSON.stringify(name)} has ${name.length} characters; use 3–63.`);
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    issues.add(
      field,
      `bucket name ${JSON.stringify(name)} breaks the S3 naming rules; rename it with lowercase letters, digits, '.' and '-', starting and ending with a letter or digit.`,
    );
  } else if (/^(xn--|sthree-)/.test(name) || /(-s3alias|--ol-s3)$/.test(name)) {
    issues.add(
      field,
      `bucket name ${JSON.stringify(name)} uses a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3); rename it.`,
    );
  } else if (/\.\.|\.-|-\./.test(name) || isIP(name) === 4) {
    issues.add(
      field,
      `bucket name ${JSON.stringify(name)} looks like an IP address or has '..', '.-' or '-.'; rename it, e.g. "invoices".`,
    );
  }
}

/** Drive lists of a MinIO deployment. */
export function checkDrives(
  issues: Issues,
  field: string,
  drives: unknown,
  nodeDrives: Record<string, unknown> | undefined,
  hostNames: string[],
): void {
  const lists: Array<[string, unknown]> = [[field, drives]];
  for (const [k, v] of Object.entries(nodeDrives ?? {})) {
    if (!hostNames.includes(k)) {
      issues.add(
        `nodeDrives.${k}`,
        `no node is named ${JSON.stringify(k)}; use node names as keys of nodeDrives (${hostNames.join(", ")}).`,
      );
    }
    lists.push([`nodeDrives.${k}`, v]);
  }
  const counts = new Set<number>();
  for (const [f, list] of lists) {
    if (!Array.isArray(list) || list.length === 0) {
      issues.add(f, 'list at least one drive path, e.g. ["/mnt/disk1"].');
      continue;
    }
    counts.add(list.length);
    const seen = new Set<string>();
    list.forEach((d, i) => {
      checkAbsolutePath(issues, `${f}[${i}]`, d, "drive path");
      checkNotSystemDirectory(issues, `${f}[${i}]`, d, "drive", "/mnt/disk1 or /var/lib/minio/data1");
      if (typeof d === "string") {
        const norm = d.replace(/\/+$/, "");
        if (seen.has(norm)) issues.add(`${f}[${i}]`, `drive ${d} is listed twice; list each drive once.`);
        seen.add(norm);
        if (/[{}]/.test(d))
          issues.add(
            `${f}[${i}]`,
            `write drives one by one (${d} has '{…}'); the library renders MinIO's {1...n} notation itself.`,
          );
      }
    });
  }
  if (counts.size > 1) {
    issues.add(
      field,
      `nodes have different numbers of drives (${[...counts].sort().join(" and ")}); give every node the same number, since MinIO builds erasure sets across nodes.`,
    );
  }
}
