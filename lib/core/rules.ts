/**
 * The rulebook: one predicate per kind of value. Each rule returns `undefined` when the value is
 * fine, or a message that says what is wrong and how to fix it (without the field's name).
 *
 * Three callers use the same rules, so they can never disagree:
 * - the validators (`validate.ts`), on values known when a component is constructed;
 * - the apply-time checks (`lib/components/internal.ts`, `checked`), on values that arrive as
 *   Outputs, once they resolve and before any step that uses them reaches a host;
 * - the renderers' asserts ({@link assertRule}), which throw on a value that got past both
 *   (a renderer called directly, without a component).
 *
 * This module imports nothing from Pulumi.
 */
import { isIP } from "node:net";

/** A rule: undefined when `value` is fine, else what is wrong and how to fix it. */
export type Rule = (value: unknown) => string | undefined;

const q = JSON.stringify;

/** Throw `<context>: <field>: <message>` when `rule` refuses `value`; return the value. */
export function assertRule<T>(context: string, field: string, value: unknown, rule: Rule): T {
  const m = rule(value);
  if (m !== undefined) throw new Error(`${context}: ${field}: ${m}`);
  return value as T;
}

/** True when `s` holds an ASCII control character (U+0000–U+001F or U+007F). */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A value written on one line of a file (env file, config): no NUL, CR or LF. */
export const lineValue: Rule = (v) => {
  if (typeof v !== "string") return `pass a string (got ${typeof v}).`;
  if (v.includes("\0"))
    return "the value contains a NUL character; remove it (no file format here can hold one).";
  if (/[\r\n]/.test(v))
    return "the value contains a newline; remove it (systemd env files and one-line settings cannot hold newlines).";
  return undefined;
};

/** `driftCheck.request`: a label of 1–64 letters, digits and `._:-` (it is written into command lines). */
export const driftRequest: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9._:-]{1,64}$/.test(v))
    return 'set it to a label of 1–64 letters, digits, ".", "_", ":" or "-", e.g. the date: "2026-12-01".';
  return undefined;
};

/** A non-empty one-line value (credentials, ids). */
export const requiredLine: Rule = (v) => {
  if (v === undefined || v === null || v === "") return "set a non-empty value.";
  return lineValue(v);
};

/** Characters of a path segment the library writes anywhere (units, scripts, env files). */
const PATH_SEGMENT_RE = /^[A-Za-z0-9._@+,=-]+$/;

/**
 * An absolute, normalised path of plain characters: from the root, not `/` itself, no empty,
 * `.` or `..` segments, no trailing `/`, and only letters, digits and `._@+,=-` in its segments,
 * so systemd (`%` specifiers, `\` escapes, `$` variables, quotes in `ExecStart`) and the shell
 * read the same path the library checked.
 */
export function absolutePath(what = "path", example = "/mnt/disk1"): Rule {
  return (v) => {
    if (typeof v !== "string" || !v.startsWith("/"))
      return `${what} must be an absolute path; write it from the root, e.g. ${example} (got ${q(v)}).`;
    if (/\s/.test(v) || hasControlChars(v))
      return `${what} ${q(v)} contains whitespace or control characters; use a plain path, e.g. ${example}.`;
    if (v === "/") return `${what} "/" is the root directory; use a dedicated directory, e.g. ${example}.`;
    if (v.endsWith("/"))
      return `${what} ${q(v)} ends in '/'; write it without the trailing slash, e.g. ${q(v.replace(/\/+$/, "") || example)}.`;
    const segs = v.slice(1).split("/");
    if (segs.some((s) => s === ".."))
      return `${what} ${q(v)} contains '..'; write the directory it means, e.g. ${example}.`;
    if (segs.some((s) => s === "" || s === "."))
      return `${what} ${q(v)} has '//' or '/./'; write it normalised, e.g. ${q(`/${segs.filter((s) => s !== "" && s !== ".").join("/")}`)}.`;
    const bad = segs.find((s) => !PATH_SEGMENT_RE.test(s));
    if (bad !== undefined)
      return `${what} ${q(v)} has characters systemd or the shell would read differently (%, \\, $, quotes, …); rename it with letters, digits and '._@+,=-' only, e.g. ${example}.`;
    return undefined;
  };
}

/** The default absolute-path rule (message says "path"). */
export const path: Rule = absolutePath();

const HOSTNAME_RE =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A DNS name or an IP address (IPv6 without brackets). */
export const hostOrIp: Rule = (v) => {
  if (typeof v !== "string" || v === "")
    return "set the IP or DNS name of the host (letters, digits, '-', '.'; or an IP address).";
  if (v.startsWith("[") && v.endsWith("]") && isIP(v.slice(1, -1)) === 6)
    return `write the IPv6 address without brackets (${q(v.slice(1, -1))}); the library adds them in URLs.`;
  if (v.includes("%"))
    return `${q(v)} has a zone id ('%'); write the address without it (a zone id cannot go into the URLs the library writes).`;
  if (isIP(v) !== 0 || HOSTNAME_RE.test(v)) return undefined;
  return `${q(v)} is not a host name or IP address; write a DNS name (letters, digits, '-', '.') or an IP.`;
};

/** A host as it goes into a URL or `host:port`: IPv6 in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * The canonical form of a host for comparing two of them: lower case, IPv6 compressed as the
 * URL parser writes it (`fd00:0::10` and `FD00::10` are the same host).
 */
export function canonicalHost(host: string): string {
  if (isIP(host) === 6) {
    try {
      return new URL(`http://[${host}]/`).hostname.slice(1, -1);
    } catch {
      return host.toLowerCase();
    }
  }
  return host.toLowerCase().replace(/\.$/, "");
}

/** A TCP port number. */
export const port: Rule = (v) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535)
    return `port must be an integer from 1 to 65535 (got ${q(v)}); use a free TCP port, e.g. 9000.`;
  return undefined;
};

/** A host's short name in resource names (`HostArgs.name`). */
export const hostName: Rule = (v) => {
  if (typeof v !== "string" || !/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(v))
    return `host name ${q(v)} is not usable in resource names; rename it to 1–32 lowercase letters, digits or '-', e.g. "minio1".`;
  return undefined;
};

/** A resource name the library writes into files (a unit's owner line): one word. */
export const resourceName: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v))
    return `${q(v)} is not a resource name; use letters, digits, '.', '_' and '-', starting with a letter or digit.`;
  return undefined;
};

/**
 * A component's name: it prefixes every child's resource name and is written into unit files
 * and scripts as their owner, so it is one word of letters, digits, `.`, `_` and `-`.
 */
export const componentName: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v))
    return `component name ${q(v)} is not one word; rename it with letters, digits, '.', '_' and '-' (starting with a letter or digit, at most 63), e.g. ${q(typeof v === "string" ? v.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "minio" : "minio")}.`;
  return undefined;
};

/** KES key name rules (kes-minio.md §3 and §6 pitfall 10; the fs keystore also rejects `.`). */
export const keyName: Rule = (v) => {
  if (typeof v !== "string" || v === "") return "set a KES key name, e.g. `minio-default`.";
  if (v !== v.trim())
    return `key name ${q(v)} has leading or trailing spaces; remove them (MinIO rejects them).`;
  if (v.length > 80)
    return `key name is ${v.length} characters long; rename it to at most 80 characters (the KES limit).`;
  if (!/^[A-Za-z0-9_-]+$/.test(v))
    return `key name ${q(v)} may only contain letters, digits, '_' and '-' (no dots, slashes or spaces); rename it, e.g. to ${q(v.replace(/[^A-Za-z0-9_-]/g, "-"))}.`;
  if (v.startsWith("-") || v.endsWith("-"))
    return `key name ${q(v)} starts or ends with '-', which KES rejects; remove the leading or trailing '-'.`;
  if (v === "_") return "key name '_' is reserved by KES; choose another name.";
  return undefined;
};

/** A key name or a prefix pattern ending in `*` (KES policy prefix match, §1.1). */
export const keyPattern: Rule = (v) => {
  if (typeof v === "string" && v.endsWith("*")) {
    const prefix = v.slice(0, -1);
    if (prefix.includes("*"))
      return `pattern ${q(v)} has '*' before the end, but KES only matches a trailing '*'; put '*' only at the end, e.g. "minio-*".`;
    if (prefix.startsWith("-"))
      return `pattern ${q(v)} can only match names starting with '-', which KES rejects; remove the leading '-'.`;
    if (prefix !== "" && !/^[A-Za-z0-9_-]+$/.test(prefix))
      return `pattern ${q(v)} has characters KES key names cannot have; use only letters, digits, '_' and '-' before '*', e.g. "minio-*".`;
    return undefined;
  }
  return keyName(v);
};

/** An S3 bucket name (AWS rules, which MinIO follows). */
export const bucketName: Rule = (v) => {
  if (typeof v !== "string" || v === "") return 'set a bucket name, e.g. "invoices".';
  if (v.length < 3 || v.length > 63) return `bucket name ${q(v)} has ${v.length} characters; use 3–63.`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(v))
    return `bucket name ${q(v)} breaks the S3 naming rules; rename it with lowercase letters, digits, '.' and '-', starting and ending with a letter or digit.`;
  if (/^(xn--|sthree-)/.test(v) || /(-s3alias|--ol-s3)$/.test(v))
    return `bucket name ${q(v)} uses a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3); rename it.`;
  if (/\.\.|\.-|-\./.test(v) || /^\d+\.\d+\.\d+\.\d+$/.test(v))
    return `bucket name ${q(v)} looks like an IP address or has '..', '.-' or '-.'; rename it, e.g. "invoices".`;
  return undefined;
};

/** A systemd service unit name. */
export const unitName: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9:_.@-]{0,240}\.service$/.test(v))
    return `${q(v)} is not a systemd service unit name; write it like "minio.service" (letters, digits, ':_.@-', not starting with '-' or '.').`;
  return undefined;
};

/** An environment variable name. */
export const envName: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))
    return `${q(v)} is not a valid variable name; rename it with letters, digits and '_' only, not starting with a digit.`;
  return undefined;
};

/** A lowercase hex SHA-256 digest. */
export const sha256: Rule = (v) => {
  if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v))
    return "set sha256 to the 64 lowercase hex characters that `sha256sum FILE` prints.";
  return undefined;
};

/** A binary's file name under `/usr/local/bin`. */
export function binaryName(example: string): Rule {
  return (v) => {
    if (typeof v !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9._+-]{0,62}$/.test(v))
      return `binary name ${q(v)} is not a plain file name; use one like "${example}" or "silo" (it is installed under /usr/local/bin).`;
    return undefined;
  };
}

/** Where a binary is downloaded from: an http(s) URL of plain characters, without credentials. */
export const downloadUrl: Rule = (v) => {
  if (typeof v !== "string" || !/^https?:\/\/[^\s'"\\`]+$/.test(v) || hasControlChars(v))
    // The value is never echoed: a download URL may be a presigned one, whose signature is a
    // credential (the error would print it).
    return "the URL is not usable; use an http(s) URL without spaces, quotes, backslashes or control characters (the value is not shown: it may be secret).";
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return "the URL does not parse; write it as https://mirror.example.net/path/to/binary (the value is not shown: it may be secret).";
  }
  if (u.username !== "" || u.password !== "")
    return "the URL carries a user name or password; remove them from the URL (use a presigned URL passed as a secret, or a mirror that needs no login).";
  return undefined;
};

/**
 * A server endpoint `scheme://host[:port]` without path, query or credentials. With
 * `https: true` only https is allowed (the default: every keystore and KES endpoint carries
 * credentials or keys).
 */
export function endpointUrl(opts: { allowHttp?: boolean; example?: string } = {}): Rule {
  const example = opts.example ?? "https://vault.example.net:8200";
  return (v) => {
    if (typeof v !== "string" || v === "") return `set the endpoint URL, e.g. ${example}.`;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return `${q(v)} is not a URL; write it as https://host:port.`;
    }
    if (u.protocol !== "https:" && !(opts.allowHttp && u.protocol === "http:")) {
      return u.protocol === "http:"
        ? `${q(v)} is plain http, so credentials and keys would cross the network in clear; write it with https:// (for a development keystore on a trusted network, set allowInsecureHttp: true).`
        : `${q(v)} is not https; write it with https:// (the service speaks TLS only).`;
    }
    if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash || u.username || u.password)
      return `${q(v)} has a path, query or credentials; remove them and write only https://host:port.`;
    if (/\s/.test(v) || hasControlChars(v)) return `${q(v)} contains whitespace; remove it.`;
    return undefined;
  };
}

/**
 * The canonical form of an endpoint URL, for finding duplicates: lower-case scheme and host, the
 * default port written out (`https://KES1:443` and `https://kes1` are one endpoint).
 */
export function canonicalEndpoint(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    const p = u.port || (u.protocol === "https:" ? "443" : u.protocol === "http:" ? "80" : "");
    return `${u.protocol}//${urlHost(canonicalHost(host))}:${p}`;
  } catch {
    return url.toLowerCase();
  }
}

const HOST_KEY_RE =
  /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|rsa-sha2-(256|512)) [A-Za-z0-9+/]+={0,3}( .*)?$/;

/** A pinned SSH host key in authorized_keys form. */
export const hostKey: Rule = (v) => {
  if (typeof v !== "string" || !HOST_KEY_RE.test(v.trim()) || /[\r\n]/.test(v.trim()))
    return "set hostKey to the key part of `ssh-keyscan -t ed25519 HOST` (a line like 'ssh-ed25519 AAAA…', without the host name).";
  return undefined;
};

/** An SSH user name. */
export const sshUser: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(v))
    return `${q(v)} is not a user name; set user to the SSH account, e.g. "root" or "deploy" (with passwordless sudo).`;
  return undefined;
};

/** An SSH private key: set, PEM or OpenSSH. */
export const sshPrivateKey: Rule = (v) => {
  if (typeof v !== "string" || v.trim() === "")
    return 'an SSH private key is required (pass it from a secret: config.requireSecret("sshKey")).';
  return undefined;
};

/** MinIO's root user (`MINIO_ROOT_USER`), also read by mc from `MC_HOST_<alias>`. */
export const rootUser: Rule = (v) => {
  if (typeof v !== "string" || v.length < 3)
    return "rootUser is shorter than 3 characters, which MinIO refuses; use at least 3.";
  if (v.includes(":"))
    return "rootUser contains ':'; remove it: mc reads MC_HOST_<alias> credentials up to the first ':'.";
  if (/[\n\r\0]/.test(v))
    return "rootUser contains a newline or NUL; remove it (env files cannot hold them).";
  return undefined;
};

/** MinIO's root password (`MINIO_ROOT_PASSWORD`). */
export const rootPassword: Rule = (v) => {
  if (typeof v !== "string" || v.length < 8)
    return "rootPassword is shorter than 8 characters, which MinIO refuses; use a generated secret of at least 8.";
  if (v.includes("@"))
    return "rootPassword contains '@'; remove it: mc reads the secret in MC_HOST_<alias> up to the first '@' (generate passwords without ':' and '@').";
  if (v.includes(":"))
    return "rootPassword contains ':'; remove it: mc reads MC_HOST_<alias> credentials up to the first ':' (generate passwords without ':').";
  if (/[\n\r\0]/.test(v))
    return "rootPassword contains a newline or NUL; remove it (env files cannot hold them).";
  return undefined;
};

/** A KES API key (`kes:v1:` and base64, kes-minio.md §2). */
export const kesApiKey: Rule = (v) => {
  if (typeof v !== "string" || !v.startsWith("kes:v1:"))
    return "the API key does not start with kes:v1:; make one with kesApiKeyFromPrivateKey or `kes identity new`.";
  if (!/^kes:v1:[A-Za-z0-9+/]+={0,2}$/.test(v))
    return "the API key has characters base64 does not use; make a new one with kesApiKeyFromPrivateKey or `kes identity new` (kes:v1: followed by base64).";
  return undefined;
};

/** A KES identity: the hex SHA-256 of a public key (kes-minio.md §2). */
export const identity: Rule = (v) => {
  if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v))
    return "write the identity as 64 lowercase hex characters: the SHA-256 of the client's public key (kesIdentityFromCertificate or `kes identity of`).";
  return undefined;
};

/** A PEM certificate (the first block is a certificate). */
export const certificatePem: Rule = (v) => {
  if (typeof v !== "string" || !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(v))
    return "pass the certificate in PEM form (-----BEGIN CERTIFICATE-----).";
  return undefined;
};

/** A PEM private key. */
export const privateKeyPem: Rule = (v) => {
  if (
    typeof v !== "string" ||
    !/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END (?:[A-Z]+ )?PRIVATE KEY-----/.test(v)
  )
    return "pass the private key in PEM form (-----BEGIN PRIVATE KEY-----).";
  return undefined;
};

/** A KES duration (`30s`, `5m`, `1h`, `0s`). */
export const duration: Rule = (v) => {
  if (typeof v !== "string" || !/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(v))
    return `${q(v)} is not a duration; write it like 30s, 5m or 1h.`;
  return undefined;
};

/** A Vault Kubernetes service-account token (a JWT: three base64url parts). */
export const jwt: Rule = (v) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(v))
    return "jwt is not a JWT (three base64url parts joined by '.'); pass the token itself, or set jwtFile to the token's path on the KES hosts.";
  return undefined;
};

/**
 * Variable names MinIO reads. `extraEnv` is for further `MINIO_*` settings; other names
 * (`LD_PRELOAD`, `PATH`, …) change how the process runs and need `allowAnyExtraEnv`.
 */
export const minioVariable: Rule = (v) => {
  const m = envName(v);
  if (m !== undefined) return m;
  if (!/^MINIO_/.test(v as string))
    return `${v} is not a MinIO setting (MINIO_*); remove it, or set allowAnyExtraEnv: true if the process really needs it (it changes how minio runs, e.g. LD_PRELOAD or PATH).`;
  return undefined;
};
