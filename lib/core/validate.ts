/**
 * Validation of every argument, in one place, before any resource is created. Each check
 * returns issues `{ field, message }` whose message says what is wrong AND how to fix it;
 * components throw them together as one `pulumi.ResourceError`.
 *
 * Every check applies a rule of the rulebook (`rules.ts`). Values that are Pulumi Outputs or
 * Promises are unknown at construction time and are skipped here; the components check them with
 * the same rules once they resolve (`checked` in `lib/components/internal.ts`), before any step
 * that uses them reaches a host. This module imports nothing from Pulumi so it stays a pure,
 * fast-to-test core.
 */

import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { HOST_DEFAULTS } from "./defaults";
import { MINIO_CONFLICTING_KMS_VARIABLES, MINIO_KES_VARIABLES } from "./minioEnv";
import type { Rule } from "./rules";
import * as rules from "./rules";

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

/**
 * Apply `rule` to `value` when it is known now (an Output or Promise is checked when it resolves,
 * with the same rule). Returns true when the value is known and passed.
 */
export function checkRule(issues: Issues, field: string, value: unknown, rule: Rule): boolean {
  const v = known(value);
  if (v === undefined) return false;
  const m = rule(v);
  if (m !== undefined) {
    issues.add(field, m);
    return false;
  }
  return true;
}

/** KES key name rules ({@link rules.keyName}). */
export function checkKeyName(issues: Issues, field: string, name: unknown): void {
  checkRule(issues, field, name ?? "", rules.keyName);
}

/** A key name or a prefix pattern ending in `*` ({@link rules.keyPattern}). */
export function checkKeyPattern(issues: Issues, field: string, pattern: unknown): void {
  checkRule(issues, field, pattern ?? "", rules.keyPattern);
}

/** True when `name` is allowed by one of the key patterns. */
export function keyAllowed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : p === name));
}

/** An absolute, normalised path of plain characters ({@link rules.absolutePath}). */
export function checkAbsolutePath(
  issues: Issues,
  field: string,
  p: unknown,
  what = "path",
  example = "/mnt/disk1",
): void {
  checkRule(issues, field, p ?? "", rules.absolutePath(what, example));
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

/**
 * An `https://host[:port]` URL without path (KES/Vault/KMS endpoints, {@link rules.endpointUrl});
 * plain http only with `allowHttp` (a development flag the user sets).
 */
export function checkEndpointUrl(
  issues: Issues,
  field: string,
  url: unknown,
  opts: { allowHttp?: boolean } = {},
): void {
  checkRule(issues, field, url ?? "", rules.endpointUrl(opts));
}

/** A port number ({@link rules.port}). */
export function checkPort(issues: Issues, field: string, port: unknown): void {
  checkRule(issues, field, port, rules.port);
}

/** A health timeout in seconds (the scripts accept 5 to 3600). */
export function checkTimeout(issues: Issues, field: string, t: unknown): void {
  if (t === undefined) return;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 5 || t > 3600) {
    issues.add(field, `set ${field} to a whole number of seconds from 5 to 3600 (got ${JSON.stringify(t)}).`);
  }
}

/** The timing settings of `TlsArgs`: `validityHours` (whole, at least 24), `expiryWarningDays` (whole, 0–3650). */
export function checkTlsTiming(
  issues: Issues,
  t: { validityHours?: unknown; expiryWarningDays?: unknown } | undefined,
): void {
  const v = t?.validityHours;
  if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 24))
    issues.add("tls.validityHours", "set validityHours to a whole number of hours, at least 24.");
  const d = t?.expiryWarningDays;
  if (d !== undefined && (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > 3650))
    issues.add(
      "tls.expiryWarningDays",
      "set expiryWarningDays to a whole number of days from 0 (never warn) to 3650.",
    );
}

/** A KES duration ({@link rules.duration}). */
export function checkDuration(issues: Issues, field: string, d: unknown): void {
  if (d === undefined) return;
  checkRule(issues, field, d, rules.duration);
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
  /** `HostArgs.user`: SSH user. */
  user?: unknown;
}

/** True when `v` is a Pulumi Output or a Promise (known only later). */
export function isEventual(v: unknown): boolean {
  return v !== undefined && v !== null && known(v) === undefined;
}

/**
 * An argument that shapes the graph (a port, a list of hosts, a name) must be a plain value: it
 * decides which resources exist and what they are called before anything resolves.
 */
export function checkPlain(issues: Issues, field: string, v: unknown, example: string): boolean {
  if (!isEventual(v)) return true;
  issues.add(
    field,
    `${field} is an Output or a Promise, but it decides which resources exist and how they are named, so it must be a plain value; pass it directly, e.g. ${example} (read it with config.requireNumber/requireObject, not from another resource's output).`,
  );
  return false;
}

/** A list of hosts: names, addresses, ports, host keys, duplicates (by canonical address too). */
export function checkHosts(issues: Issues, field: string, hosts: unknown, opts: { min?: number } = {}): void {
  if (!checkPlain(issues, field, hosts, '[{ name: "minio1", address: "10.0.0.11", privateKey }]')) return;
  if (!Array.isArray(hosts) || hosts.length < (opts.min ?? 1)) {
    issues.add(field, `list at least ${opts.min ?? 1} host, each with name, address and privateKey.`);
    return;
  }
  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  const internal = new Map<string, number>();
  hosts.forEach((h: HostLike, i) => {
    const f = `${field}[${i}]`;
    if (checkRule(issues, `${f}.name`, h?.name ?? "", rules.hostName)) {
      const n = h.name as string;
      if (names.has(n)) {
        issues.add(
          `${f}.name`,
          `host name ${JSON.stringify(n)} is used twice (also ${field}[${names.get(n)}]); give each host its own name.`,
        );
      } else names.set(n, i);
    }
    let listedTwice = false;
    if (h?.address === undefined || h?.address === "") {
      issues.add(`${f}.address`, "set address to the IP or DNS name the deploying machine reaches over SSH.");
    } else if (checkRule(issues, `${f}.address`, h.address, rules.hostOrIp)) {
      const sshPort = known(h.port as number | undefined) ?? HOST_DEFAULTS.port;
      const key = `${rules.canonicalHost(h.address as string)}:${sshPort}`;
      if (addresses.has(key)) {
        issues.add(
          `${f}.address`,
          `${h.address} port ${sshPort} is the same host as ${field}[${addresses.get(key)}]; list each host once.`,
        );
        listedTwice = true;
      } else addresses.set(key, i);
    }
    if (h?.internalAddress !== undefined) {
      checkPlain(issues, `${f}.internalAddress`, h.internalAddress, '"minio1.internal"');
      checkRule(issues, `${f}.internalAddress`, h.internalAddress, rules.hostOrIp);
    }
    // The address other hosts use: two nodes there would be one endpoint listed twice.
    const service = known(h?.internalAddress ?? h?.address);
    if (typeof service === "string" && rules.hostOrIp(service) === undefined) {
      const key = rules.canonicalHost(service);
      const prev = internal.get(key);
      if (prev !== undefined && !listedTwice) {
        issues.add(
          `${f}.${h?.internalAddress !== undefined ? "internalAddress" : "address"}`,
          `${service} is also the service address of ${field}[${prev}], so other hosts would reach both at one endpoint; give each host its own internalAddress.`,
        );
      }
      if (prev === undefined) internal.set(key, i);
    }
    if (h?.port !== undefined) checkRule(issues, `${f}.port`, h.port, rules.port);
    if (h?.privateKey === undefined || h?.privateKey === "") {
      issues.add(`${f}.privateKey`, rules.sshPrivateKey(h?.privateKey) as string);
    }
    if (h?.hostKey !== undefined) checkRule(issues, `${f}.hostKey`, h.hostKey, rules.hostKey);
    if (h?.user !== undefined) checkRule(issues, `${f}.user`, h.user, rules.sshUser);
  });
}

/** Where a binary comes from. */
export function checkBinarySource(issues: Issues, field: string, src: unknown, defaultName: string): void {
  if (src === undefined || src === null || typeof src !== "object" || isEventual(src)) {
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
  if (s.url !== undefined) checkRule(issues, `${field}.url`, s.url, rules.downloadUrl);
  // A path on the deploying machine: it never reaches systemd or a shell, so any absolute path.
  if (
    s.localPath !== undefined &&
    (typeof s.localPath !== "string" || !s.localPath.startsWith("/") || /[\0\n\r]/.test(s.localPath))
  )
    issues.add(
      `${field}.localPath`,
      `localPath must be an absolute path on this machine; write it from the root, e.g. /srv/binaries/${defaultName} (got ${JSON.stringify(s.localPath)}).`,
    );
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
  if (s.sha256 !== undefined) checkRule(issues, `${field}.sha256`, s.sha256, rules.sha256);
  if (s.name !== undefined) checkRule(issues, `${field}.name`, s.name, rules.binaryName(defaultName));
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
  if (isIP(host)) return sans.ip.some((ip) => rules.canonicalHost(ip) === rules.canonicalHost(host));
  return sans.dns.some((d) => {
    if (d.toLowerCase() === host.toLowerCase()) return true;
    if (d.startsWith("*.")) {
      const rest = host.slice(host.indexOf(".") + 1);
      return host.includes(".") && rest.toLowerCase() === d.slice(2).toLowerCase();
    }
    return false;
  });
}

/** The `tls` fields {@link checkBroughtCertificates} reads. */
export interface BroughtCertificates {
  /** Certificates keyed by host name. */
  certificates?: Record<
    string,
    {
      /** The host's certificate (PEM). */
      certPem: unknown;
    }
  >;
  /** The CA certificate that signed them. */
  caCertPem?: unknown;
  /** A CA that generates certificates for the hosts without one. */
  ca?: unknown;
}

/** How {@link checkBroughtCertificates} words its issues for one component. */
export interface BroughtCertificateRules {
  /** What the component calls its hosts in messages. */
  word: "host" | "node";
  /** Another name a host's certificate must cover (a service name, `localhost`). */
  alsoCovers?: (hostName: string) => string | undefined;
  /** The end of the missing-CA message: who verifies with the CA. */
  caWhy: string;
  /** Name a missing CA before hosts without a certificate (KES's order). */
  caFirst: boolean;
  /** The host names messages list. Default: every host's. */
  names?: string[];
}

/**
 * Certificates brought in `tls.certificates` (keyed by host name) for `hosts`, one rule for KES
 * and MinIO: each key names a host (`word`: "host" or "node" in messages), each certificate has a
 * SAN for its host's address (when known) and for `alsoCovers(host)`, every host without one is
 * named unless `tls.ca` generates the rest, and the CA that signed them is given (`caWhy` says
 * who verifies with it). `caFirst` keeps each component's order of the last two issues.
 */
export function checkBroughtCertificates(
  issues: Issues,
  t: BroughtCertificates,
  hosts: ReadonlyArray<{ name: string; internalAddress?: string; address?: unknown }>,
  o: BroughtCertificateRules,
): void {
  const names = o.names ?? hosts.map((h) => h.name);
  for (const [hostName, pair] of Object.entries(t.certificates ?? {})) {
    const host = hosts.find((h) => h.name === hostName);
    const field = `tls.certificates.${hostName}`;
    if (!host)
      issues.add(
        field,
        `no ${o.word} is named ${JSON.stringify(hostName)}; use ${o.word} names as keys (${names.join(", ")}).`,
      );
    else
      checkCertificateForHost(
        issues,
        `${field}.certPem`,
        pair.certPem,
        known(host.internalAddress ?? (host.address as string)),
      );
    const also = host ? o.alsoCovers?.(hostName) : undefined;
    if (also !== undefined) checkCertificateForHost(issues, `${field}.certPem`, pair.certPem, also);
  }
  const missingCa = () => {
    if (t.caCertPem === undefined && t.ca === undefined)
      issues.add(
        "tls.caCertPem",
        `with your own certificates, give the CA certificate that signed them (caCertPem)${o.caWhy}`,
      );
  };
  if (o.caFirst) missingCa();
  const missing = names.filter((n) => !(n in (t.certificates ?? {})));
  if (missing.length > 0 && t.ca === undefined)
    issues.add(
      "tls.certificates",
      `${o.word}s ${missing.join(", ")} have no certificate; give one for every ${o.word}, or give tls.ca to generate the rest.`,
    );
  if (!o.caFirst) missingCa();
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

/** Root credentials as MinIO and mc check them ({@link rules.rootUser}, {@link rules.rootPassword}). */
export function checkRootCredentials(issues: Issues, field: string, user: unknown, password: unknown): void {
  if (user === undefined) issues.add(`${field}.rootUser`, "set rootUser (at least 3 characters).");
  else checkRule(issues, `${field}.rootUser`, user, rules.rootUser);
  if (password === undefined)
    issues.add(`${field}.rootPassword`, "set rootPassword from a secret (at least 8 characters).");
  else checkRule(issues, `${field}.rootPassword`, password, rules.rootPassword);
}

/** The variables the library sets itself, which extraEnv may not set. */
export const MANAGED_MINIO_VARIABLES: ReadonlySet<string> = new Set<string>([
  "MINIO_ROOT_USER",
  "MINIO_ROOT_PASSWORD",
  "MINIO_VOLUMES",
  "MINIO_OPTS",
  ...MINIO_KES_VARIABLES,
]);

/** Extra environment variables for MinIO (`MINIO_*` only, unless `allowAny`). */
export function checkExtraEnv(
  issues: Issues,
  field: string,
  env: unknown,
  opts: { allowAny?: boolean } = {},
): void {
  if (env === undefined) return;
  if (!checkPlain(issues, field, env, '{ MINIO_BROWSER: "off" }')) return;
  if (typeof env !== "object" || env === null || Array.isArray(env)) {
    issues.add(field, "pass extraEnv as an object of NAME: value.");
    return;
  }
  for (const [name, value] of Object.entries(env)) {
    const f = `${field}.${name}`;
    if (!checkRule(issues, f, name, opts.allowAny ? rules.envName : rules.minioVariable)) {
      // reported
    } else if (MANAGED_MINIO_VARIABLES.has(name))
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
    checkRule(issues, f, value, rules.lineValue);
  }
}

/** An S3 bucket name ({@link rules.bucketName}). */
export function checkBucketName(issues: Issues, field: string, name: unknown): void {
  checkRule(issues, field, name ?? "", rules.bucketName);
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
      if (!checkPlain(issues, `${f}[${i}]`, d, '"/mnt/disk1"')) return;
      if (typeof d === "string" && /[{}]/.test(d)) {
        issues.add(
          `${f}[${i}]`,
          `write drives one by one (${d} has '{…}'); the library renders MinIO's {1...n} notation itself.`,
        );
        return;
      }
      const ok = checkRule(issues, `${f}[${i}]`, d, rules.absolutePath("drive path"));
      // Also for a path written with trailing or doubled slashes, so the fix is not a second round.
      checkNotSystemDirectory(issues, `${f}[${i}]`, d, "drive", "/mnt/disk1 or /var/lib/minio/data1");
      if (!ok) return;
      if (seen.has(d as string))
        issues.add(`${f}[${i}]`, `drive ${d} is listed twice; list each drive once.`);
      seen.add(d as string);
    });
  }
  if (counts.size > 1) {
    issues.add(
      field,
      `nodes have different numbers of drives (${[...counts].sort().join(" and ")}); give every node the same number, since MinIO builds erasure sets across nodes.`,
    );
  }
}
