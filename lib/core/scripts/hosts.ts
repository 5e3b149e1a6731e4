/**
 * Host scripts about a host as a whole: the tools the other scripts need, the preflight check
 * before a change, the SSH host-key check (run on the deploying machine), and the drift check
 * with its manifest. Conventions: `prelude.ts`.
 */
import {
  assertRule,
  hostKey as hostKeyRule,
  hostName as hostNameRule,
  hostOrIp as hostRule,
  unitName as unitNameRule,
} from "../rules";
import {
  assertAbsolutePath,
  assertAccountName,
  assertMode,
  assignments,
  bashScript,
  combinedScript,
  shQuote,
  statModeString,
} from "../shell";
import { HOST_SCRIPTS_CTX as CTX } from "./prelude";

/**
 * Make sure the tools the other scripts use are present: bash 4+, coreutils, curl (downloads
 * and health checks), sha256sum, systemctl. Installs curl and ca-certificates with apt-get,
 * dnf or yum when missing; fails with a clear message elsewhere. Idempotent.
 */
export function ensurePrerequisitesScript(): string {
  return bashScript("check and install the tools the host scripts need", [
    "missing=()",
    "for tool in sha256sum install mktemp stat systemctl; do",
    '  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")',
    "done",
    'if [ "${#missing[@]}" -gt 0 ]; then',
    '  echo "error: this host lacks ${missing[*]}; pulumi-minio-kes needs a Linux host with systemd and GNU coreutils." >&2',
    "  exit 1",
    "fi",
    "if command -v curl >/dev/null 2>&1 && [ -e /etc/ssl/certs/ca-certificates.crt ]; then echo unchanged; exit 0; fi",
    "if command -v apt-get >/dev/null 2>&1; then",
    "  export DEBIAN_FRONTEND=noninteractive",
    "  # Another step on this host may be installing too: wait for dpkg's lock.",
    "  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null",
    "  apt-get -o DPkg::Lock::Timeout=300 install -y -qq curl ca-certificates >/dev/null",
    "elif command -v dnf >/dev/null 2>&1; then",
    "  dnf install -y -q curl ca-certificates >/dev/null",
    "elif command -v yum >/dev/null 2>&1; then",
    "  yum install -y -q curl ca-certificates >/dev/null",
    "else",
    '  echo "error: curl is missing and no apt-get, dnf or yum was found; install curl and ca-certificates, then run pulumi up again." >&2',
    "  exit 1",
    "fi",
    "echo changed",
  ]);
}

/**
 * The check before a change that touches several hosts: this host is reachable (the script runs),
 * we are root here, systemd runs, and each directory the change writes into has `minFreeMiB`
 * free (the nearest existing ancestor of each). Prints `ok: …` (after `unit: <unit> <state>` when
 * `unit` is given); fails with what to fix. It writes nothing, so a failed check on one host
 * leaves every host as it was.
 */
export function preflightScript(a: {
  host: string;
  paths: string[];
  minFreeMiB?: number;
  /** A unit whose state is reported on a line `unit: <name> <state>` (e.g. `active`), read by the wiring. */
  unit?: string;
}): string {
  if (a.paths.length === 0) throw new Error(`${CTX}: paths must not be empty`);
  const paths = a.paths.map((p, i) => assertAbsolutePath(CTX, `paths[${i}]`, p));
  const min = a.minFreeMiB ?? 64;
  if (!Number.isInteger(min) || min < 1) throw new Error(`${CTX}: minFreeMiB must be a positive integer`);
  return bashScript(`check ${a.host.replace(/[^\x20-\x7e]/g, "?")} before anything on any host changes`, [
    ...assignments([
      ["host", a.host],
      ["min_mib", String(min)],
    ]),
    `paths=(${paths.map(shQuote).join(" ")})`,
    'if [ "$(id -u)" != 0 ]; then',
    '  echo "error: $host: the steps do not run as root here; give the SSH user passwordless sudo (sudo -n must work), then run pulumi up again" >&2',
    "  exit 1",
    "fi",
    "if [ ! -d /run/systemd/system ]; then",
    '  echo "error: $host: systemd is not running (no /run/systemd/system); pulumi-minio-kes needs a host booted with systemd" >&2',
    "  exit 1",
    "fi",
    "free=''",
    'for p in "${paths[@]}"; do',
    "  d=$p",
    '  while [ ! -e "$d" ]; do d=${d%/*}; d=${d:-/}; done',
    `  avail=$(df -Pm -- "$d" | awk 'NR == 2 { print $4 }')`,
    '  if [ -n "$avail" ] && [ "$avail" -lt "$min_mib" ]; then',
    '    echo "error: $host: only ${avail} MiB free on the file system of $p (at least ${min_mib} MiB are needed); free some space there, then run pulumi up again" >&2',
    "    exit 1",
    "  fi",
    '  free+=" $p:${avail:-?}MiB"',
    "done",
    ...(a.unit === undefined
      ? []
      : [
          ...assignments([["unit", assertRule<string>(CTX, "unit", a.unit, unitNameRule)]]),
          'echo "unit: $unit $(systemctl is-active "$unit" 2>/dev/null || true)"',
        ]),
    'echo "ok: $host: reachable, root, systemd;$free"',
  ]);
}

/** `ssh-keyscan -t` names of the host key types `hostKey` may hold. */
const KEYSCAN_TYPE: Record<string, string> = {
  "rsa-sha2-256": "rsa",
  "rsa-sha2-512": "rsa",
  "ssh-ed25519": "ed25519",
  "ecdsa-sha2-nistp256": "ecdsa",
  "ecdsa-sha2-nistp384": "ecdsa",
  "ecdsa-sha2-nistp521": "ecdsa",
  "ssh-rsa": "rsa",
};

/**
 * Run on the deploying machine (a `command:local:Command`) before a host's preflight: the SSH
 * server at `address:port` answers within 5 s and offers the pinned `hostKey`. A mismatch fails
 * naming the host, the address, both fingerprints, the field and what to do; no answer fails
 * naming the address. Without `ssh-keyscan` here (OpenSSH's client tools), it says so and passes:
 * the steps still refuse a wrong key when they connect, in the provider's words.
 */
export function hostKeyCheckScript(a: {
  host: string;
  address: string;
  port: number;
  hostKey: string;
  /** The argument the host came from, e.g. `nodes[2]`. */
  field: string;
}): string {
  const key = assertRule<string>(CTX, "hostKey", a.hostKey, hostKeyRule).trim().split(/\s+/);
  const type = KEYSCAN_TYPE[key[0]!];
  if (!type) throw new Error(`${CTX}: hostKey: unsupported key type ${key[0]}`);
  const address = assertRule<string>(CTX, "address", a.address, hostRule);
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535)
    throw new Error(`${CTX}: port must be 1-65535`);
  return bashScript(`check ${a.host.replace(/[^\x20-\x7e]/g, "?")}'s SSH host key before any step connects`, [
    ...assignments([
      ["host", a.host],
      ["address", address],
      ["port", String(a.port)],
      ["field", a.field],
      // ssh-keyscan names an RSA key ssh-rsa whatever the signature algorithm.
      ["want_type", key[0]!.startsWith("rsa-sha2-") ? "ssh-rsa" : key[0]!],
      ["want_key", key[1]!],
      ["scan_type", type],
    ]),
    "if ! command -v ssh-keyscan >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then",
    '  echo "skipped: ssh-keyscan is not installed on this machine; the steps check the host key when they connect"',
    "  exit 0",
    "fi",
    "fingerprint() { { printf '%s %s\\n' \"$1\" \"$2\" | ssh-keygen -lf - 2>/dev/null || true; } | awk '{ print $2 }'; }",
    'want_fp=$(fingerprint "$want_type" "$want_key")',
    'if [ -z "$want_fp" ]; then',
    '  echo "error: $host: $field.hostKey is not a valid $want_type key (ssh-keygen cannot read it); set it to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust" >&2',
    "  exit 1",
    "fi",
    'out=$(ssh-keyscan -T 5 -p "$port" -t "$scan_type" -- "$address" 2>/dev/null || true)',
    "got_key=$(printf '%s\\n' \"$out\" | awk -v t=\"$want_type\" '$2 == t { print $3; exit }')",
    'if [ -z "$got_key" ]; then',
    '  echo "error: $host ($address port $port): no SSH server offered a $want_type host key within 5 s; check $field.address and $field.port, and that sshd runs there, then run pulumi up again" >&2',
    "  exit 1",
    "fi",
    'if [ "$got_key" != "$want_key" ]; then',
    '  echo "error: $host ($address port $port): the SSH host key is $(fingerprint "$want_type" "$got_key"), not the pinned $want_fp ($field.hostKey). If $host was reinstalled, pin its new key: set $field.hostKey to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust; if it was not, do not connect: something may be in the middle" >&2',
    "  exit 1",
    "fi",
    'echo "ok: $host ($address port $port) offers the pinned host key $want_fp"',
  ]);
}

/**
 * {@link hostKeyCheckScript} for several hosts at once (one `command:local:Command` per
 * component): every host is checked in parallel, each one's result is printed under its name,
 * and the script fails if any check did, after printing every host's error.
 */
export function hostKeysCheckScript(hosts: ReadonlyArray<Parameters<typeof hostKeyCheckScript>[0]>): string {
  const names = hosts.map((h) => h.host);
  const shown = names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, ...`;
  return combinedScript(
    `check the SSH host keys of ${names.length} host${names.length === 1 ? "" : "s"} (${shown.replace(/[^\x20-\x7e]/g, "?")}) before any step connects`,
    hosts.map((h) => ({ label: h.host, script: hostKeyCheckScript(h) })),
    { atOnce: true },
  );
}

/** One file a drift check compares with what the program declares. */
export interface DriftFile {
  /** Absolute path on the host. */
  path: string;
  /** SHA-256 of the declared content. */
  sha256: string;
  /** Owner the program declares. */
  owner: string;
  /** Group the program declares. */
  group: string;
  /** Octal mode, `0640`. */
  mode: string;
  /** The step that writes it (named in the report, and what `--replace` would take). */
  step: string;
}

/** What a drift check compares: files, and units that must be active. */
export interface DriftManifest {
  /** Files, compared by content, owner, group and mode. */
  files: DriftFile[];
  /** Units that must be active, each with the step that starts it. */
  units: Array<{
    /** Unit name, `minio.service`. */
    unit: string;
    /** The step that starts it. */
    step: string;
  }>;
}

/**
 * The manifest a drift check reads on stdin: one line per file (`file SHA256 OWNER GROUP MODE
 * PATH STEP`) and per unit (`unit UNIT STEP`). It holds hashes of secret content (the env file),
 * so it travels as a secret.
 */
export function renderDriftManifest(m: DriftManifest): string {
  const ctx = "renderDriftManifest";
  const word = (field: string, v: string) => {
    if (!/^[A-Za-z0-9_.:@/+-]+$/.test(v))
      throw new Error(`${ctx}: ${field} must be one word, got ${JSON.stringify(v)}`);
    return v;
  };
  const lines = [
    ...m.files.map((f) =>
      [
        "file",
        word("sha256", f.sha256),
        assertAccountName(ctx, "owner", f.owner),
        assertAccountName(ctx, "group", f.group),
        statModeString(assertMode(ctx, "mode", f.mode)),
        assertAbsolutePath(ctx, "path", f.path),
        word("step", f.step),
      ].join(" "),
    ),
    ...m.units.map((u) =>
      ["unit", assertRule<string>(ctx, "unit", u.unit, unitNameRule), word("step", u.step)].join(" "),
    ),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Compare the host with the manifest on stdin ({@link renderDriftManifest}): each file's content
 * (SHA-256), owner, group and mode, that it is a regular file and not a link, and that each unit
 * is active. Prints one `drift: …` line per difference, naming the path or unit and the step
 * that declares it, then a summary: `drift: none (N files, M units as declared)`, or the count
 * and how to repair (with `repair`, the check runs after the repair: what it finds remains). It
 * succeeds either way, so that every host is checked in the same `up` (the
 * engine starts no step after a failed one); the components turn the lines into warnings and
 * their `driftReport` output.
 */
export function driftCheckScript(a: { host: string; repair: boolean }): string {
  const host = assertRule<string>(CTX, "host", a.host, hostNameRule);
  return bashScript(`compare ${host} with what the program declares`, [
    ...assignments([
      ["host", host],
      ["repair", a.repair ? "yes" : "no"],
    ]),
    "drift=0 files=0 units=0",
    "report() {",
    "  printf 'drift: %s\\n' \"$*\"",
    "  drift=$((drift + 1))",
    "}",
    "while read -r kind a b c d e f; do",
    '  case "$kind" in',
    "    file)",
    "      files=$((files + 1))",
    '      if [ -L "$e" ]; then',
    '        report "$e is a symbolic link, not the file the program declares (step $f)"',
    '      elif [ ! -f "$e" ]; then',
    '        report "$e is missing (step $f)"',
    "      else",
    '        actual=$(sha256sum <"$e")',
    '        [ "${actual%% *}" = "$a" ] || report "$e: its content differs from what the program declares (step $f)"',
    "        read -r u g m < <(stat -c '%U %G %a' -- \"$e\")",
    '        [ "$u:$g" = "$b:$c" ] || report "$e: owner $u:$g, not $b:$c (step $f)"',
    '        [ "$m" = "$d" ] || report "$e: mode $m, not $d (step $f)"',
    "      fi",
    "      ;;",
    "    unit)",
    "      units=$((units + 1))",
    '      state=$(systemctl is-active "$a" 2>/dev/null || true)',
    '      [ "$state" = active ] || report "$a is ${state:-unknown}, not active (step $b)"',
    "      ;;",
    "    '') ;;",
    "    *) printf 'error: unknown manifest line: %s\\n' \"$kind\" >&2; exit 2 ;;",
    "  esac",
    "done",
    'if [ "$drift" -eq 0 ]; then',
    '  echo "drift: none ($files files, $units units as declared)"',
    'elif [ "$repair" = yes ]; then',
    '  echo "drift: $drift differences on $host remain after the repair (listed above); fix them by hand"',
    "else",
    '  echo "drift: $drift differences on $host from what the program declares (listed above); to repair them, set driftCheck.repair to a new label and driftCheck.request to a new value, then run pulumi up"',
    "fi",
  ]);
}
