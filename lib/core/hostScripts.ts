/**
 * Host scripts specific to MinIO deployments: drive directories, the guard against dropping
 * KES, and the merge of our variables into an existing environment file. Same conventions as
 * `scripts.ts`: `set -euo pipefail`, values only as quoted assignments, secrets only on stdin.
 */
import { MINIO_CONFLICTING_KMS_VARIABLES, MINIO_KES_VARIABLES } from "./minioEnv";
import {
  assertRule,
  hostKey as hostKeyRule,
  hostName as hostNameRule,
  hostOrIp as hostRule,
  unitName as unitNameRule,
} from "./rules";
import {
  assertAbsolutePath,
  assertAccountName,
  assertMode,
  assignments,
  bashScript,
  STAGED_ECHO,
  shQuote,
  stagedPath,
  statModeString,
} from "./shell";
import { unitOwnerLine } from "./systemd";

const CTX = "hostScripts";

/**
 * Create missing drive directories owned by the service user. Existing directories (mounted
 * drives) keep their content; only their top directory's owner is set, never recursively. A
 * drive that is a symbolic link is refused (the service user may own the parent, e.g. its home
 * `/var/lib/minio`, and a planted link would otherwise hand its target to that user), and the
 * owner is set with `chown -h`, which never follows a link.
 */
export function ensureDirectoriesScript(a: {
  paths: string[];
  owner: string;
  group: string;
  mode?: string;
}): string {
  if (a.paths.length === 0) throw new Error(`${CTX}: paths must not be empty`);
  const paths = a.paths.map((p, i) => assertAbsolutePath(CTX, `paths[${i}]`, p));
  return bashScript("create drive directories owned by the service user", [
    ...assignments([
      ["owner", assertAccountName(CTX, "owner", a.owner)],
      ["group", assertAccountName(CTX, "group", a.group)],
      ["mode", assertMode(CTX, "mode", a.mode ?? "0750")],
    ]),
    `paths=(${paths.map(shQuote).join(" ")})`,
    "changed=0",
    'for p in "${paths[@]}"; do',
    '  if [ -L "$p" ] || [ "$(realpath -m -- "$p")" != "$p" ]; then',
    "    echo \"error: $p is, or goes through, a symbolic link; a drive must be a real directory (or a mount point) on a real path: remove the link, then run 'pulumi up' again\" >&2",
    "    exit 1",
    '  elif [ ! -d "$p" ]; then',
    '    install -d -o "$owner" -g "$group" -m "$mode" "$p"',
    "    changed=1",
    '  elif [ "$(stat -c %U:%G "$p")" != "$owner:$group" ]; then',
    '    chown -h -- "$owner:$group" "$p"',
    "    changed=1",
    "  fi",
    "done",
    'if [ "$changed" = 1 ]; then echo changed; else echo unchanged; fi',
  ]);
}

/**
 * Refuse to continue when the env file on the host configures KES but the new configuration
 * does not: MinIO cannot start without the keys that encrypted its data (kes-minio.md §6
 * pitfall 5; landscape.md §0.6). Runs before the env file is written.
 */
export function kesRemovalGuardScript(a: { envFile: string }): string {
  return bashScript("refuse to drop KES from a deployment that uses it", [
    ...assignments([["file", assertAbsolutePath(CTX, "envFile", a.envFile)]]),
    `if [ -f "$file" ] && grep -Eq '^[[:space:]]*(export[[:space:]]+)?MINIO_KMS_KES_ENDPOINT=' "$file"; then`,
    `  echo "error: $file configures KES (MINIO_KMS_KES_ENDPOINT) but the new configuration has no kes." >&2`,
    '  echo "MinIO cannot start without the keys that encrypted its IAM data and objects." >&2',
    '  echo "Put kes back into the MinioDeployment, or, if you really mean it, set allowKesRemoval: true." >&2',
    "  exit 1",
    "fi",
    "echo ok",
  ]);
}

/**
 * Merge our variables into an existing environment file (MinIO's procedure for existing
 * deployments edits that file and restarts). Our lines arrive on stdin, already rendered by
 * `renderEnvFile` (they hold secrets). Implements exactly `mergeEnvFile` of `minioEnv.ts`:
 * - a variable we set replaces the first line that sets it; later duplicates are dropped;
 * - variables of ours that the file lacks are appended under a marker comment;
 * - every other KES variable (§4.1) is removed, so an API key and a client certificate are
 *   never both left behind;
 * - a non-empty variable of another KMS (§4.1 "Exclusivity rule") stops the merge with an error;
 * - every other line is kept byte for byte. The file is replaced atomically, keeping its mode,
 *   owner and group, and only when the content changes. Prints changed/unchanged; with `stage`,
 *   the result goes to the staged copy ({@link stagedPath}) that the restart makes live, and
 *   prints staged/unchanged.
 */
export function envMergeScript(a: { envFile: string; managedNames: string[]; stage?: boolean }): string {
  const file = assertAbsolutePath(CTX, "envFile", a.envFile);
  for (const n of a.managedNames) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`${CTX}: managedNames: invalid name ${n}`);
  }
  const remove = MINIO_KES_VARIABLES.filter((n) => !a.managedNames.includes(n));
  return bashScript("merge pulumi-minio-kes variables into an existing MinIO env file", [
    ...assignments([
      ["file", file],
      ["remove", remove.join(" ")],
      ["conflicts", MINIO_CONFLICTING_KMS_VARIABLES.join(" ")],
    ]),
    'if [ ! -f "$file" ]; then echo "error: $file does not exist; existing mode needs the env file of the running deployment (set existing.envFile)." >&2; exit 1; fi',
    'dir=$(dirname "$file")',
    "# Root writes its temp files here: the directory must be root's, on a real path, and writable by",
    "# no one else (a service account could swap a temp file for a link).",
    'if [ -L "$file" ] || [ "$(realpath -e -- "$dir")" != "$dir" ]; then',
    '  echo "error: $file is, or is reached through, a symbolic link; point existing.envFile at the real file" >&2',
    "  exit 1",
    "fi",
    "read -r dir_owner dir_mode < <(stat -c '%U %a' -- \"$dir\")",
    'if [ "$dir_owner" != root ] || (((8#$dir_mode & 8#022) != 0)); then',
    '  echo "error: $dir (the directory of $file) is owned by $dir_owner with mode $dir_mode; make it root\'s and writable only by root (chown root: $dir; chmod go-w $dir), then run pulumi up again" >&2',
    "  exit 1",
    "fi",
    'managed=$(mktemp "$dir/.pulumi-merge-in.XXXXXX")',
    'tmp=$(mktemp "$dir/.pulumi-merge-out.XXXXXX")',
    'trap \'rm -f "$managed" "$tmp"\' EXIT',
    'chmod 0600 "$managed" "$tmp"',
    'cat >"$managed"',
    "# The awk program gets only names on its command line; values stay in files.",
    'awk -v remove="$remove" -v conflicts="$conflicts" -v target="$file" \'',
    "  function varname(line,   m) {",
    "    if (match(line, /^[ \\t]*(export[ \\t]+)?[A-Za-z_][A-Za-z0-9_]*[ \\t]*=/)) {",
    "      m = substr(line, RSTART, RLENGTH - 1)",
    '      sub(/^[ \\t]*(export[ \\t]+)?/, "", m); sub(/[ \\t]*$/, "", m)',
    "      return m",
    "    }",
    '    return ""',
    "  }",
    "  function value(line) {",
    '    sub(/^[^=]*=/, "", line); gsub(/^[ \\t]+|[ \\t]+$/, "", line)',
    '    if (line == "\\047\\047" || line == "\\"\\"") return ""',
    "    return line",
    "  }",
    "  BEGIN {",
    '    n = split(remove, r, " "); for (i = 1; i <= n; i++) rm[r[i]] = 1',
    '    n = split(conflicts, c, " "); for (i = 1; i <= n; i++) bad[c[i]] = 1',
    "  }",
    '  FNR == NR { name = varname($0); if (name != "") { order[++count] = name; line[name] = $0 } next }',
    "  {",
    "    name = varname($0)",
    '    if (name != "" && (name in bad) && value($0) != "") {',
    '      print "error: " name " is set in " target ": MinIO cannot use KES and another KMS at once. Objects encrypted with that KMS need it to stay readable; migrate them first (or remove the variable yourself if nothing was encrypted with it), then run `pulumi up` again." > "/dev/stderr"',
    "      failed = 1; exit 1",
    "    }",
    '    if (name != "" && (name in line)) { if (!(name in done)) { print line[name]; done[name] = 1 } next }',
    '    if (name != "" && (name in rm)) next',
    "    print",
    "  }",
    "  END {",
    "    if (failed) exit 1",
    "    added = 0",
    "    for (i = 1; i <= count; i++) if (!(order[i] in done)) {",
    '      if (!added) { print "# Added by pulumi-minio-kes"; added = 1 }',
    "      print line[order[i]]",
    "    }",
    "  }",
    '\' "$managed" "$file" >"$tmp"',
    ...(a.stage
      ? [
          ...assignments([["staged", stagedPath(file)]]),
          'if [ -d "$staged" ] && [ ! -L "$staged" ]; then echo "error: $staged is a directory; remove it (the library stages the merged file there until the restart makes it live)" >&2; exit 1; fi',
          'if cmp -s "$tmp" "$file"; then rm -f -- "$staged"; echo unchanged; exit 0; fi',
          'chown -h --reference="$file" "$tmp"',
          'chmod --reference="$file" "$tmp"',
          'mv -f -T -- "$tmp" "$staged"',
          STAGED_ECHO,
        ]
      : [
          'if cmp -s "$tmp" "$file"; then echo unchanged; exit 0; fi',
          'chown -h --reference="$file" "$tmp"',
          'chmod --reference="$file" "$tmp"',
          'mv -f -T -- "$tmp" "$file"',
          "echo changed",
        ]),
  ]);
}

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
 * Run on `pulumi destroy`: stop and disable a unit and remove its unit file. Binaries, config,
 * environment files, certificates, data, keys and the keystore stay on the host: MinIO's data
 * cannot be read without KES's keys, so the library never deletes either.
 */
export function removeUnitScript(a: { unitName: string; unitDir?: string; owner?: string }): string {
  const unit = assertRule<string>(CTX, "unitName", a.unitName, unitNameRule);
  const dir = assertAbsolutePath(CTX, "unitDir", a.unitDir ?? "/etc/systemd/system");
  return bashScript("stop and disable a unit on destroy; keep data, keys and configuration", [
    ...assignments([
      ["unit", unit],
      ["file", `${dir}/${unit}`],
    ]),
    'if [ ! -e "$file" ]; then echo absent; exit 0; fi',
    ...(a.owner === undefined
      ? []
      : [
          ...assignments([["owner_line", unitOwnerLine(a.owner)]]),
          "# Another step (a renamed component, a moved host) wrote this unit since: leave it alone.",
          'if ! grep -qxF "$owner_line" "$file"; then echo "kept: $unit belongs to another step"; exit 0; fi',
        ]),
    'systemctl disable --now "$unit" >/dev/null 2>&1 || systemctl stop "$unit" || true',
    'rm -f "$file"',
    "systemctl daemon-reload",
    'echo "removed: $unit (data, keys and configuration kept)"',
  ]);
}

/**
 * Read the last line `mcBucketScript` prints (`result: algorithm=… key=… verified=true|false`)
 * and tell whether a probe object was verified. Anything else (no result line, garbled output,
 * `verified=false`) is not a verification.
 */
export function bucketResultVerified(stdout: string | undefined): boolean {
  const lines = (stdout ?? "").trimEnd().split("\n");
  const last = lines[lines.length - 1] ?? "";
  return /^result: algorithm=sse-(kms|s3)( key=[A-Za-z0-9_-]+)? verified=true$/.test(last);
}

/**
 * Read what `mcBucketsScript` printed and tell, per bucket, whether a probe object was verified
 * (its line `bucket NAME: result: …`, read as {@link bucketResultVerified} reads one). A bucket
 * without such a line is not verified.
 */
export function bucketsResultVerified(
  stdout: string | undefined,
  buckets: ReadonlyArray<string>,
): Record<string, boolean> {
  const lines = (stdout ?? "").split("\n");
  return Object.fromEntries(
    buckets.map((b) => {
      const prefix = `bucket ${b}: `;
      const line = lines.find((l) => l.startsWith(prefix));
      return [b, line !== undefined && bucketResultVerified(line.slice(prefix.length))];
    }),
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
