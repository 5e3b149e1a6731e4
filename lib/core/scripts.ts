/**
 * Host scripts: pure functions from typed input to bash text. Components run them with
 * `remote.Command` (`create` = the script, `stdin` = file content or secrets).
 *
 * Conventions shared by every script:
 * - `#!/usr/bin/env bash` and `set -euo pipefail`. The scripts use bash features, so run
 *   them with bash (`bashCommand` in `shell.ts` wraps one as `bash -c '…'` when the SSH
 *   user's login shell might not be bash). Never feed a script through stdin: stdin carries
 *   the data.
 * - Every rendered value is validated here (an `Error` names the bad field) and appears only
 *   once, as a `name='…'` assignment at the top; the body refers to `"$name"`.
 * - Secrets arrive on stdin or are read on the host from a root-only file. They are never
 *   put on an argv, never printed, and redacted from any tool output the script relays.
 * - Stdout is one short, machine-readable line (documented per function). Diagnostics and
 *   errors go to stderr; a failure exits non-zero with `error: …` saying what to do.
 */

import * as rules from "./rules";
import { assertRule } from "./rules";
import {
  assertAbsolutePath,
  assertAccountName,
  assertMode,
  assertNewAccountName,
  assertPositiveInt,
  assertSha256,
  assertText,
  assignments,
  basenameOf,
  bashScript,
  dirnameOf,
  hasControlChars,
  STAGED_ECHO,
  shQuote,
  stagedPath,
  statModeString,
} from "./shell";

export { stagedPath };

// ---------------------------------------------------------------------------------------------
// Internal helpers

/** Strip the first newline and the common indentation of a template block; split into lines. */
function block(text: string): string[] {
  const lines = text
    .replace(/^\n/, "")
    .replace(/\n[ ]*$/, "")
    .split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut));
}

const DIE = block(`
  die() {
    printf 'error: %s\\n' "$*" >&2
    exit 1
  }
`);

/** Removes the temp file named by `$tmp` on exit (empty `$tmp` = nothing to remove). */
const TMP_CLEANUP = block(`
  tmp=''
  cleanup() {
    if [ -n "$tmp" ]; then
      rm -f -- "$tmp"
    fi
  }
  trap cleanup EXIT
`);

/** Prints the SHA-256 of file `$1` (hash read from stdin, so odd file names cannot alter it). */
const SHA256_OF = block(`
  sha256_of() {
    local sum
    sum=$(sha256sum <"$1")
    printf '%s' "\${sum%% *}"
  }
`);

/**
 * `env_value_of FILE NAME`: the value of NAME in an env file, parsed, never sourced (a root script
 * runs nothing from a file it reads). The last assignment wins, as for systemd and bash; the
 * quoting is envfile.ts's (single quotes verbatim; double quotes with `\\`, `\"`, `\$`, `` \` ``
 * escapes), an unquoted value is taken trimmed. Prints nothing when NAME is not set.
 */
export const ENV_VALUE_OF = block(`
  env_value_of() {
    local file=$1 name=$2 line raw value='' out c n i
    while IFS= read -r line || [ -n "$line" ]; do
      [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$ ]] || continue
      [ "\${BASH_REMATCH[2]}" = "$name" ] || continue
      raw=\${BASH_REMATCH[3]}
      raw=\${raw#"\${raw%%[![:space:]]*}"}
      raw=\${raw%"\${raw##*[![:space:]]}"}
      if [ "\${#raw}" -ge 2 ] && [ "\${raw:0:1}" = "'" ] && [ "\${raw: -1}" = "'" ]; then
        value=\${raw:1:\${#raw}-2}
      elif [ "\${#raw}" -ge 2 ] && [ "\${raw:0:1}" = '"' ] && [ "\${raw: -1}" = '"' ]; then
        raw=\${raw:1:\${#raw}-2}
        out=''
        i=0
        while [ "$i" -lt "\${#raw}" ]; do
          c=\${raw:i:1}
          n=\${raw:i+1:1}
          if [ "$c" = "\\\\" ] && { [ "$n" = "\\\\" ] || [ "$n" = '"' ] || [ "$n" = "\\$" ] || [ "$n" = "\\\`" ]; }; then
            out+=\${raw:i+1:1}
            i=$((i + 2))
          else
            out+=$c
            i=$((i + 1))
          fi
        done
        value=$out
      else
        value=$raw
      fi
    done <"$file"
    printf '%s' "$value"
  }
`);

function optional<T>(v: T | undefined | null): v is T {
  return v !== undefined && v !== null;
}

/** KES key-name rules ({@link rules.keyName}). */
function assertKeyName(context: string, field: string, value: unknown): string {
  return assertRule<string>(context, field, value, rules.keyName);
}

function assertUnitName(context: string, field: string, value: unknown): string {
  return assertRule<string>(context, field, value, rules.unitName);
}

function assertUrl(context: string, field: string, value: unknown, protocols: readonly string[]): URL {
  const s = assertText(context, field, value);
  if (/\s/.test(s) || hasControlChars(s)) {
    throw new Error(`${context}: ${field} must not contain whitespace or control characters`);
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`${context}: ${field} is not a valid URL: ${JSON.stringify(s)}`);
  }
  if (!protocols.includes(u.protocol)) {
    throw new Error(
      `${context}: ${field} must use ${protocols.map((p) => p.replace(/:$/, "")).join(" or ")}`,
    );
  }
  if (u.username !== "" || u.password !== "") {
    throw new Error(`${context}: ${field} must not contain credentials`);
  }
  return u;
}

/** A server base URL: http(s), host and optional port only. Returns `scheme://host[:port]`. */
function assertBaseUrl(context: string, field: string, value: unknown): URL {
  const u = assertUrl(context, field, value, ["http:", "https:"]);
  if ((u.pathname !== "/" && u.pathname !== "") || u.search !== "" || u.hash !== "" || u.host === "") {
    throw new Error(
      `${context}: ${field} must be scheme://host:port without a path, e.g. https://127.0.0.1:9000`,
    );
  }
  return u;
}

function assertHostPort(context: string, field: string, value: unknown): string {
  const s = assertText(context, field, value);
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new Error(`${context}: ${field} must be host:port, e.g. 127.0.0.1:7373 or [::1]:7373`);
  }
  return s;
}

interface AtomicWrite {
  path: string;
  mode: string;
  owner: string;
  group: string;
  dirMode: string;
  dirOwner: string;
  dirGroup?: string;
  /** The directory is the library's: an existing one gets `dirOwner:dirGroup` and `dirMode` too. */
  ownDir?: boolean;
  /** Write to {@link stagedPath} instead; the service step makes it live ({@link ServiceActionArgs.promote}). */
  stage?: boolean;
}

/**
 * Bash lines that make every staged file in `$promote_paths` live (rename over the live file)
 * and list them in `$promoted`. A staged file that is a link or not a regular file is refused
 * (the staged copies live next to the live files, in directories only root can write).
 * Needs a `fail` function.
 */
const PROMOTE_STAGED = block(`
  promoted=''
  for live in "\${promote_paths[@]}"; do
    staged="\${live%/*}/.\${live##*/}.staged"
    if [ ! -e "$staged" ] && [ ! -L "$staged" ]; then continue; fi
    if [ -L "$staged" ] || [ ! -f "$staged" ]; then
      fail "$staged is not a regular file; remove it, then run pulumi up again (the library stages $live there)"
    fi
    mv -f -T -- "$staged" "$live"
    promoted+=" $live"
  done
  if [ -n "$promoted" ]; then echo "made live:$promoted"; fi
`);

/**
 * Variable assignments and body that write stdin to `$path` atomically and set
 * `result=changed|unchanged`. Needs {@link DIE} and {@link TMP_CLEANUP} before it.
 */
function atomicWrite(w: AtomicWrite): { vars: [string, string][]; body: string[] } {
  const vars: [string, string][] = [
    ["path", w.path],
    ["dir", dirnameOf(w.path)],
    ["base", basenameOf(w.path)],
    ["mode", w.mode],
    ["owner", w.owner],
    ["group", w.group],
    ["want_stat", `${statModeString(w.mode)} ${w.owner} ${w.group}`],
    ["dir_mode", w.dirMode],
    ["dir_owner", w.dirOwner],
  ];
  if (optional(w.dirGroup)) vars.push(["dir_group", w.dirGroup]);
  if (w.ownDir) {
    if (!optional(w.dirGroup)) throw new Error("atomicWrite: ownDir needs dirGroup");
    vars.push(["want_dir_stat", `${statModeString(w.dirMode)} ${w.dirOwner} ${w.dirGroup}`]);
  }
  const chownDir = optional(w.dirGroup)
    ? `chown -h -- "$dir_owner:$dir_group" "$dir"`
    : `chown -h -- "$dir_owner:" "$dir" # the owner's login group`;
  // Hosts installed by earlier versions have the library's directories owned by the service
  // user: take them back before anything is written into them.
  const fixDir = w.ownDir
    ? block(`
      elif [ "$(stat -c '%a %U %G' -- "$dir")" != "$want_dir_stat" ]; then
        ${chownDir}
        chmod -- "$dir_mode" "$dir"
    `)
    : [];
  const body = block(`
    getent passwd "$owner" >/dev/null || die "user $owner does not exist on this host"
    getent group "$group" >/dev/null || die "group $group does not exist on this host"
    if [ -d "$path" ] && [ ! -L "$path" ]; then
      die "$path is a directory; expected a file"
    fi
    if [ -L "$dir" ]; then
      die "$dir is a symbolic link; the library writes only into real directories (replace the link with a directory)"
    fi
    # No link anywhere on the way either (a service account may own a directory above).
    if [ -e "$dir" ] && [ "$(realpath -e -- "$dir")" != "$dir" ]; then
      die "$dir goes through a symbolic link (it resolves to $(realpath -e -- "$dir")); the library writes only along real directories: replace the link"
    fi
    if [ ! -d "$dir" ]; then
      umask 022
      mkdir -p -- "$dir"
      ${chownDir}
      chmod -- "$dir_mode" "$dir"
  `)
    .concat(fixDir)
    .concat(
      block(`
    fi
    umask 077
    tmp=$(mktemp "$dir/.$base.XXXXXX")
    cat >"$tmp"
    if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" &&
      [ "$(stat -c '%a %U %G' -- "$path")" = "$want_stat" ]; then
  `),
    )
    .concat(w.stage ? ['  rm -f -- "$staged" # an older staged copy: the live file is what is wanted'] : [])
    .concat(
      block(`
      result=unchanged
    else
      # The temp file is root's, in a directory no service account can write: chown and chmod
      # cannot be redirected through a planted link (-h all the same), and mv replaces the name.
      chown -h -- "$owner:$group" "$tmp"
      chmod -- "$mode" "$tmp"
      mv -f -T -- "$tmp" "${w.stage ? "$staged" : "$path"}"
      tmp=''
      result=${w.stage ? "staged" : "changed"}
    fi
  `),
    );
  if (w.stage) {
    vars.push(["staged", stagedPath(w.path)]);
    body.unshift(
      ...block(`
        if [ -d "$staged" ] && [ ! -L "$staged" ]; then
          die "$staged is a directory; remove it (the library stages $base there until the restart makes it live)"
        fi
      `),
    );
  }
  return { vars, body };
}

// ---------------------------------------------------------------------------------------------
// Service user

/** Arguments of {@link ensureServiceUserScript}. */
export interface EnsureServiceUserArgs {
  /** System user to create, e.g. `kes` or `minio-user`. */
  user: string;
  /** Its primary group, created as a system group when missing, e.g. `kes`. */
  group: string;
  /** Home directory (absolute). Created `0750 user:group` when missing; an existing one is left as is. */
  home: string;
}

/**
 * Idempotently create a system group and a system user without login shell
 * (`groupadd --system G; useradd --system --no-create-home --gid G --home-dir H
 * --shell /usr/sbin/nologin U`, as the upstream units expect, kes-minio.md §4.3/§4.4), and the
 * home directory (`0750`, owned by the user) when it does not exist. An existing user,
 * group or directory is never modified.
 *
 * Stdout: `changed` when anything was created, else `unchanged`.
 */
export function ensureServiceUserScript(a: EnsureServiceUserArgs): string {
  const ctx = "ensureServiceUserScript";
  const user = assertNewAccountName(ctx, "user", a.user);
  const group = assertNewAccountName(ctx, "group", a.group);
  const home = assertAbsolutePath(ctx, "home", a.home);
  return bashScript(`ensure system user ${user}`, [
    ...assignments([
      ["user", user],
      ["group", group],
      ["home", home],
    ]),
    ...DIE,
    ...block(`
      changed=0
      if ! getent group "$group" >/dev/null; then
        groupadd --system "$group"
        changed=1
      fi
      if ! getent passwd "$user" >/dev/null; then
        useradd --system --no-create-home --gid "$group" --home-dir "$home" --shell /usr/sbin/nologin "$user"
        changed=1
      fi
      if [ ! -e "$home" ]; then
        umask 022
        mkdir -p -- "$home"
        chown -- "$user:$group" "$home"
        chmod -- 0750 "$home"
        changed=1
      elif [ ! -d "$home" ]; then
        die "$home exists but is not a directory"
      fi
      if [ "$changed" = 1 ]; then
        echo changed
      else
        echo unchanged
      fi
    `),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Binaries

/** Arguments of {@link installBinaryScript}. Exactly one of `url` and `uploadedPath`. */
export interface InstallBinaryArgs {
  /** Where the binary goes, e.g. `/usr/local/bin/kes`. */
  destPath: string;
  /** Expected SHA-256 of the binary (64 hex digits). Checked before anything is replaced. */
  sha256: string;
  /** Download URL (`https:`, `http:` or `file:`); the download is checked against `sha256`. */
  url?: string;
  /**
   * The download URL comes as the first line of stdin (a secret: a presigned URL). It reaches
   * curl through `--config -`, so it is on no command line, and errors do not print it.
   */
  urlOnStdin?: boolean;
  /** A file already copied to the host (e.g. by `remote.CopyToRemote`); removed after install. */
  uploadedPath?: string;
  /** Mode of the installed binary. Default `0755`. */
  mode?: string;
  /** Stage the binary at {@link stagedPath} (as {@link WriteFileArgs.stage}); the service step makes it live. */
  stage?: boolean;
}

/**
 * Install a binary atomically, verified by SHA-256.
 *
 * If `destPath` already has the digest: ensures its mode, removes the uploaded file (if any),
 * prints `unchanged`. Otherwise downloads (`curl --fail --location --silent --show-error`) or
 * copies the uploaded file to a temp file in the destination directory, verifies the digest
 * (a mismatch fails naming expected and actual digest; nothing is replaced), sets the mode,
 * `mv`s it over `destPath`, removes the uploaded file, prints `installed`.
 */
export function installBinaryScript(a: InstallBinaryArgs): string {
  const ctx = "installBinaryScript";
  const dest = assertAbsolutePath(ctx, "destPath", a.destPath);
  const sha = assertSha256(ctx, "sha256", a.sha256);
  const mode = assertMode(ctx, "mode", a.mode ?? "0755");
  if ([optional(a.url), optional(a.uploadedPath), a.urlOnStdin === true].filter(Boolean).length !== 1) {
    throw new Error(`${ctx}: exactly one of url, urlOnStdin and uploadedPath must be given`);
  }
  const vars: [string, string][] = [
    ["dest", dest],
    ["dest_dir", dirnameOf(dest)],
    ["dest_base", basenameOf(dest)],
    ["want", sha],
    ["mode", mode],
  ];
  if (a.stage) vars.push(["staged", stagedPath(dest)]);
  let fetch: string[];
  let source: string;
  let removeUpload: string[] = [];
  let precheck: string[] = [];
  if (a.urlOnStdin === true) {
    source = "the secret URL";
    precheck = block(`
      IFS= read -r url || true
      case "$url" in
        https://*|http://*) ;;
        *) die "no http(s) download URL on stdin; pass binary.url" ;;
      esac
      case "$url" in
        *'"'*|*\\\\*) die "the download URL has a quote or backslash; remove it" ;;
      esac
    `);
    fetch = block(`
      command -v curl >/dev/null 2>&1 || die "curl is not installed on this host: install it (apt-get install curl) or upload the binary instead"
      printf 'url = "%s"\n' "$url" | curl --fail --location --silent --show-error --retry 3 --output "$tmp" --config - ||
        die "download from the secret URL failed (not shown); $dest was left unchanged: check the URL has not expired"
    `);
  } else if (optional(a.url)) {
    const u = assertUrl(ctx, "url", a.url, ["https:", "http:", "file:"]);
    vars.push(["url", u.href]);
    source = "$url";
    fetch = block(`
      command -v curl >/dev/null 2>&1 || die "curl is not installed on this host: install it (apt-get install curl) or upload the binary instead"
      curl --fail --location --silent --show-error --retry 3 --output "$tmp" "$url" ||
        die "download of $url failed; $dest was left unchanged"
    `);
  } else {
    const up = assertAbsolutePath(ctx, "uploadedPath", a.uploadedPath);
    if (up === dest) throw new Error(`${ctx}: uploadedPath must differ from destPath`);
    vars.push(["uploaded", up]);
    source = "$uploaded";
    precheck = block(`
      if [ ! -f "$uploaded" ] || [ -L "$uploaded" ]; then
        die "the uploaded file $uploaded is missing (or a link): upload it again (replace the resource that copies it), then retry"
      fi
    `);
    fetch = ['cp -- "$uploaded" "$tmp"'];
    removeUpload = ['rm -f -- "$uploaded"'];
  }
  return bashScript(`${a.stage ? "stage" : "install"} ${basenameOf(dest)} verified by sha256`, [
    ...assignments(vars),
    ...DIE,
    ...TMP_CLEANUP,
    ...SHA256_OF,
    ...block(`
      if [ -d "$dest" ]; then
        die "$dest is a directory; expected a binary"
      fi${
        a.stage
          ? `
      if [ -d "$staged" ] && [ ! -L "$staged" ]; then
        die "$staged is a directory; remove it (the library stages $dest_base there until the restart makes it live)"
      fi`
          : ""
      }
      if [ -f "$dest" ] && [ "$(sha256_of "$dest")" = "$want" ]; then
        chmod -- "$mode" "$dest"
    `),
    ...(a.stage ? ['  rm -f -- "$staged" # an older staged copy: the live binary is what is wanted'] : []),
    ...removeUpload.map((l) => `  ${l}`),
    ...block(`
        echo unchanged
        exit 0
      fi
    `),
    ...precheck,
    ...block(`
      umask 022
      mkdir -p -- "$dest_dir"
      tmp=$(mktemp "$dest_dir/.$dest_base.XXXXXX")
    `),
    ...fetch,
    ...block(`
      got=$(sha256_of "$tmp")
      if [ "$got" != "$want" ]; then
    `),
    ...removeUpload.map((l) => `  ${l}`),
    ...block(`
        die "checksum mismatch for ${source}: expected sha256 $want, got $got; $dest was left unchanged${optional(a.uploadedPath) ? " and the upload removed (the file on the deploying machine was checked before it was copied, so the copy was damaged): copy it again with pulumi up --replace on the upload step" : ""}"
      fi
      chmod -- "$mode" "$tmp"
      mv -f -T -- "$tmp" "${a.stage ? "$staged" : "$dest"}"
      tmp=''
    `),
    ...removeUpload,
    a.stage ? STAGED_ECHO : "echo installed",
  ]);
}

/**
 * Where binaries from `localPath` are copied before they are installed: below `/var/lib`, which
 * only root can write (not the world-writable `/var/tmp`, whose entries systemd also ages away).
 */
export const UPLOAD_DIR = "/var/lib/pulumi-minio-kes-upload";

/**
 * Make the directory the upload `file` is copied into: a real directory, mode 0700, owned by the
 * SSH user that copies it (root, or the sudo user). Anything else at that path (a file, a link,
 * a directory of another owner or mode) is removed first. Runs before every upload (`file` names
 * the copy, so a new binary runs it again), and two of these at once on one host (KES's and
 * MinIO's) both succeed. Prints `changed` or `unchanged`.
 */
export function uploadDirScript(a: { dir?: string; owner: string; file: string }): string {
  const ctx = "uploadDirScript";
  if (typeof a.file !== "string" || !/^[A-Za-z0-9._-]+$/.test(a.file)) {
    throw new Error(`${ctx}: file must be a plain file name`);
  }
  return bashScript(`make the upload directory for ${a.file}, private to the SSH user`, [
    ...assignments([
      ["dir", assertAbsolutePath(ctx, "dir", a.dir ?? UPLOAD_DIR)],
      ["owner", assertAccountName(ctx, "owner", a.owner)],
    ]),
    ...DIE,
    ...block(`
      good() { [ -d "$dir" ] && [ ! -L "$dir" ] && [ "$(stat -c '%U %a' -- "$dir")" = "$owner 700" ]; }
      if good; then
        echo unchanged
        exit 0
      fi
      if { [ -L "$dir" ] || [ -e "$dir" ]; } && ! good; then
        rm -rf -- "$dir"
      fi
      # Made complete under another name, then renamed into place: the directory is never seen
      # half made (root's, before the chown), so a second copy of this step running at the same
      # time (KES's and MinIO's uploads on one host) never takes it for a bad one and removes it.
      new=$(mktemp -d "$dir.XXXXXX")
      chmod 0700 -- "$new"
      chown -h -- "$owner" "$new"
      if ! mv -T -- "$new" "$dir" 2>/dev/null; then
        rm -rf -- "$new"
        good || die "could not create $dir: run 'pulumi up' again"
        echo unchanged
        exit 0
      fi
      echo changed
    `),
  ]);
}

/** Arguments of {@link checkPreinstalledBinaryScript}. */
export interface CheckPreinstalledBinaryArgs {
  /** Path of a binary the user installed, e.g. `/usr/local/bin/minio`. */
  path: string;
  /** When given, the binary must have this SHA-256. */
  sha256?: string;
}

/**
 * Check a binary the user installed themselves: it must exist, be a regular file and be
 * executable, and match `sha256` when given. Fails with a message saying what to fix.
 *
 * Stdout: `ok sha256=<digest of the file>`.
 */
export function checkPreinstalledBinaryScript(a: CheckPreinstalledBinaryArgs): string {
  const ctx = "checkPreinstalledBinaryScript";
  const path = assertAbsolutePath(ctx, "path", a.path);
  const vars: [string, string][] = [["path", path]];
  if (optional(a.sha256)) vars.push(["want", assertSha256(ctx, "sha256", a.sha256)]);
  return bashScript(`check the preinstalled binary ${basenameOf(path)}`, [
    ...assignments(vars),
    ...DIE,
    ...SHA256_OF,
    ...block(`
      if [ ! -e "$path" ]; then
        die "$path does not exist: install it there, or let pulumi-minio-kes install it (give a download URL and sha256)"
      fi
      if [ ! -f "$path" ]; then
        die "$path is not a regular file"
      fi
      if [ ! -x "$path" ]; then
        die "$path is not executable: run 'chmod 0755 $path' on the host"
      fi
      got=$(sha256_of "$path")
    `),
    ...(optional(a.sha256)
      ? block(`
          if [ "$got" != "$want" ]; then
            die "$path has sha256 $got, expected $want: install the expected release there or change the configured sha256"
          fi
        `)
      : []),
    'echo "ok sha256=$got"',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Files

/** Arguments of {@link writeFileScript}. */
export interface WriteFileArgs {
  /** Absolute path of the file. */
  path: string;
  /** Octal mode, e.g. `0640`. */
  mode: string;
  /** Owning user (must exist on the host). */
  owner: string;
  /** Owning group (must exist on the host). */
  group: string;
  /** Mode of the parent directory when the script creates it. Default `0755`. An existing directory is left as is. */
  dirMode?: string;
  /** Owner of the parent directory when the script creates it. Default `root`. */
  dirOwner?: string;
  /** Group of the parent directory when the script creates it. Default: the login group of `dirOwner`. */
  dirGroup?: string;
  /**
   * The parent directory is the library's own (`/etc/kes`, `/etc/minio/…`): an existing one is
   * given `dirOwner:dirGroup` and `dirMode` too, so a host installed by an earlier version, whose
   * directories the service user owned, is fixed by the next write. Needs `dirGroup`. Never for
   * system directories such as `/etc/default`.
   */
  ownDir?: boolean;
  /**
   * Stage the file instead of replacing the live one: it goes to {@link stagedPath}, and the
   * step that restarts the service makes it live ({@link ServiceActionArgs.promote}), so a file
   * every node must agree on changes nowhere until it is staged everywhere. When the live file
   * is already what is wanted, an older staged copy is removed.
   */
  stage?: boolean;
}

/**
 * Write stdin (possibly secret) to `path` atomically: creates the parent directory when
 * missing, writes a temp file in the same directory under `umask 077`, sets owner, group and
 * mode on it, then `mv`s it over `path` (or, with `stage`, over {@link stagedPath}). When the
 * existing file already has identical bytes, mode, owner and group, it is left alone. The
 * content is never echoed.
 *
 * Stdout: `changed`, `staged` or `unchanged`.
 */
export function writeFileScript(a: WriteFileArgs): string {
  const ctx = "writeFileScript";
  const path = assertAbsolutePath(ctx, "path", a.path);
  const w = atomicWrite({
    path,
    mode: assertMode(ctx, "mode", a.mode),
    owner: assertAccountName(ctx, "owner", a.owner),
    group: assertAccountName(ctx, "group", a.group),
    dirMode: assertMode(ctx, "dirMode", a.dirMode ?? "0755"),
    dirOwner: assertAccountName(ctx, "dirOwner", a.dirOwner ?? "root"),
    dirGroup: optional(a.dirGroup) ? assertAccountName(ctx, "dirGroup", a.dirGroup) : undefined,
    ownDir: a.ownDir === true,
    stage: a.stage === true,
  });
  const what = a.stage
    ? `stage ${basenameOf(path)} from stdin (made live by the restart)`
    : `write ${basenameOf(path)} from stdin`;
  return bashScript(what, [
    ...assignments(w.vars),
    ...DIE,
    ...TMP_CLEANUP,
    ...w.body,
    ...(a.stage
      ? ['if [ "$result" = staged ]; then', `  ${STAGED_ECHO}`, "else", '  echo "$result"', "fi"]
      : ['echo "$result"']),
  ]);
}

/** Arguments of {@link removeFileScript}. */
export interface RemoveFileArgs {
  /** Absolute path of the file to remove. A directory is refused. */
  path: string;
}

/**
 * Remove a file (or symlink) if it exists. Refuses directories.
 *
 * Stdout: `removed` or `absent`.
 */
export function removeFileScript(a: RemoveFileArgs): string {
  const ctx = "removeFileScript";
  const path = assertAbsolutePath(ctx, "path", a.path);
  return bashScript(`remove ${basenameOf(path)}`, [
    ...assignments([["path", path]]),
    ...DIE,
    ...block(`
      if [ -d "$path" ] && [ ! -L "$path" ]; then
        die "$path is a directory; not removing it"
      fi
      if [ -e "$path" ] || [ -L "$path" ]; then
        rm -f -- "$path"
        echo removed
      else
        echo absent
      fi
    `),
  ]);
}

// ---------------------------------------------------------------------------------------------
// systemd

/** Arguments of {@link installUnitScript}. */
export interface InstallUnitArgs {
  /** Unit file name, e.g. `kes.service`. */
  unitName: string;
  /** Directory of the unit file. Default `/etc/systemd/system`. */
  unitDir?: string;
  /**
   * Stage the unit (as {@link WriteFileArgs.stage}); the service step makes it live, reloads
   * systemd and enables it.
   */
  stage?: boolean;
}

/**
 * Install a systemd unit whose text arrives on stdin: atomic write as in
 * {@link writeFileScript} (`0644 root:root`), `systemctl daemon-reload` only when the file
 * changed (or systemd reports `NeedDaemonReload=yes`), then `systemctl enable` (idempotent;
 * it does not start the unit).
 *
 * Stdout: `changed` or `unchanged`.
 */
export function installUnitScript(a: InstallUnitArgs): string {
  const ctx = "installUnitScript";
  const unit = assertUnitName(ctx, "unitName", a.unitName);
  const dir = assertAbsolutePath(ctx, "unitDir", a.unitDir ?? "/etc/systemd/system");
  const w = atomicWrite({
    path: `${dir}/${unit}`,
    mode: "0644",
    owner: "root",
    group: "root",
    dirMode: "0755",
    dirOwner: "root",
    dirGroup: "root",
    stage: a.stage === true,
  });
  return bashScript(a.stage ? `stage ${unit} (made live by the restart)` : `install and enable ${unit}`, [
    ...assignments([["unit", unit], ...w.vars]),
    ...DIE,
    ...TMP_CLEANUP,
    ...w.body,
    ...(a.stage ? ['if [ "$result" = staged ]; then', `  ${STAGED_ECHO}`, "  exit 0", "fi"] : []),
    ...block(`
      if [ "$result" = changed ] ||
        [ "$(systemctl show -p NeedDaemonReload --value "$unit" 2>/dev/null || true)" = yes ]; then
        systemctl daemon-reload
      fi
      systemctl enable --quiet "$unit"
      echo "$result"
    `),
  ]);
}

/** How {@link serviceActionScript} decides that a service is healthy. */
export type HealthCheck =
  | {
      /** KES: `GET /v1/ready` must answer 200 (the route needs `skip_auth: true`; the probe sends no client certificate). */
      kind: "kes";
      /** Full ready URL, e.g. `https://kes1.example.net:7373/v1/ready`. */
      url: string;
      /** CA file on the host that signs the KES server certificate. */
      caFile: string;
      /**
       * `host:port` to actually connect to, e.g. `127.0.0.1:7373` (curl `--connect-to`), so
       * that the certificate is still checked against the URL's host name.
       */
      connectTo?: string;
    }
  | {
      /** MinIO: `/minio/health/live`, then `/minio/health/ready` (which runs a KES generate). */
      kind: "minio";
      /** `http(s)://host:port` without path, e.g. `https://127.0.0.1:9000`. */
      baseUrl: string;
      /** CA file for an https `baseUrl` signed by a private CA. */
      caFile?: string;
      /** `host:port` to actually connect to (curl `--connect-to`). */
      connectTo?: string;
      /**
       * Check only that this node's MinIO runs and answers `/minio/health/live`, even while
       * systemd still shows it `activating`. For each node of a distributed deployment: a
       * distributed MinIO tells systemd it is ready (`Type=notify`) only once its peers answer,
       * and readiness needs a quorum, so a node's own step must not wait for either (the engine
       * may run the nodes' steps in batches of `--parallel`); the deployment's `ready` gate
       * checks every node once all of them were started ({@link clusterReadyScript}).
       */
      liveOnly?: boolean;
    };

/** Arguments of {@link serviceActionScript}. */
export interface ServiceActionArgs {
  /** The unit, e.g. `kes.service`. */
  unit: string;
  /**
   * `start`: start unless active. `restart`: restart. `reload`: `systemctl reload` when the
   * unit has an `ExecReload=`, else SIGHUP to the main process (KES reloads its config on
   * SIGHUP); start it when not active. `none`: only wait for health.
   */
  action: "start" | "restart" | "reload" | "none";
  /** The health probe. */
  health: HealthCheck;
  /** How long to wait for health, in seconds (1–3600). */
  timeoutSeconds: number;
  /**
   * Live paths whose staged copies ({@link stagedPath}) this step makes live before its action:
   * the files every node must agree on change only in the step that restarts. When one of them
   * is the unit file, systemd is reloaded and the unit enabled. With `start`, a running unit
   * whose files were just made live is restarted.
   */
  promote?: {
    /** The live paths, e.g. `/etc/default/minio`. */
    paths: string[];
    /** The unit file among them, e.g. `/etc/systemd/system/minio.service`. */
    unitFile?: string;
  };
}

function healthProbe(
  ctx: string,
  h: HealthCheck,
): { vars: [string, string][]; lines: string[]; hint: string; startupHint: string } {
  const curlOpts: string[] = [];
  const vars: [string, string][] = [];
  if (h.kind === "kes") {
    const u = assertUrl(ctx, "health.url", h.url, ["https:"]);
    vars.push(["url", u.href], ["ca_file", assertAbsolutePath(ctx, "health.caFile", h.caFile)]);
    curlOpts.push('--cacert "$ca_file"');
  } else if (h.kind === "minio") {
    const u = assertBaseUrl(ctx, "health.baseUrl", h.baseUrl);
    vars.push(["base_url", `${u.protocol}//${u.host}`], ["live_only", h.liveOnly ? "1" : "0"]);
    if (optional(h.caFile)) {
      vars.push(["ca_file", assertAbsolutePath(ctx, "health.caFile", h.caFile)]);
      curlOpts.push('--cacert "$ca_file"');
    }
  } else {
    throw new Error(`${ctx}: health.kind must be "kes" or "minio"`);
  }
  if (optional(h.connectTo)) {
    vars.push(["connect_to", assertHostPort(ctx, "health.connectTo", h.connectTo)]);
    curlOpts.push('--connect-to "::$connect_to"');
  }
  const httpGet = block(`
    # http_get URL: sets http_code (000 = no HTTP answer) and http_error (curl's message, if any).
    http_get() {
      local out
      out=$(curl --silent --show-error --output /dev/null --write-out '\\n%{http_code}' --max-time 5 \\
        ${curlOpts.join(" ")} "$1" 2>&1) || true
      http_code=\${out##*$'\\n'}
      http_error=\${out%$'\\n'*}
      case $http_code in
        [0-9][0-9][0-9]) ;;
        *)
          http_error=$out
          http_code=000
          ;;
      esac
    }
  `);
  if (h.kind === "kes") {
    return {
      vars,
      hint: "KES",
      startupHint:
        "KES exits at startup on configuration errors (an environment variable the config refers to is unset, a certificate or key is missing, the keystore section is wrong): see the journal below",
      lines: [
        ...httpGet,
        ...block(`
          probe() {
            http_get "$url"
            case $http_code in
              200) return 0 ;;
              504) problem="KES answers 504 on $url: the keystore is unreachable or sealed (for Vault: unseal it, then run 'pulumi up' again)" ;;
              502) problem="KES answers 502 on $url: the keystore is unavailable (check the keystore endpoint, its credentials and the network from this host)" ;;
              000) problem="KES is not answering on $url\${http_error:+ ($http_error)}. Check the journal below, the listen address, that /v1/ready has skip_auth: true in the KES config (the probe sends no client certificate), and that the server certificate is valid for the URL's host and signed by the CA in $ca_file" ;;
              401 | 403) problem="KES refused the probe with HTTP $http_code on $url: /v1/ready must allow requests without an identity (api: /v1/ready: skip_auth: true in the KES config)" ;;
              *) problem="KES answers HTTP $http_code on $url" ;;
            esac
            return 1
          }
        `),
      ],
    };
  }
  return {
    vars,
    hint: "MinIO",
    startupHint:
      "MinIO exits at startup when it cannot reach KES: look for 'Failed to connect to KMS' in the journal below",
    lines: [
      ...httpGet,
      ...block(`
        probe() {
          http_get "$base_url/minio/health/live"
          if [ "$http_code" = 000 ]; then
            problem="MinIO is not answering on $base_url\${http_error:+ ($http_error)}. MinIO exits at startup when it cannot reach KES: look for 'Failed to connect to KMS' in the journal below"
            return 1
          elif [ "$http_code" != 200 ]; then
            problem="MinIO answers HTTP $http_code on $base_url/minio/health/live"
            return 1
          fi
          if [ "$live_only" = 1 ]; then return 0; fi
          http_get "$base_url/minio/health/ready"
          if [ "$http_code" != 200 ]; then
            problem="MinIO is running but not ready (HTTP $http_code on $base_url/minio/health/ready). The readiness check runs a KES generate with the default key, so MinIO cannot use KES: check that KES is healthy, that the KES policy lets MinIO's identity create, generate and decrypt that key, and the MINIO_KMS_KES_* settings (endpoint, key name, API key, CA) in MinIO's env file; with several nodes, also that enough nodes are up"
            return 1
          fi
          return 0
        }
      `),
    ],
  };
}

/**
 * Start, restart or reload a unit (or do nothing), then poll its health once a second until
 * `timeoutSeconds` have passed. `start`/`restart` use `--no-block` so that this script, not
 * systemd, bounds the wait; a failed start-rate limit is cleared first (`reset-failed`).
 * After a restart, health only counts once systemd shows a new invocation of the unit, so a
 * stale answer from the old process cannot pass. Health also requires the unit to be active.
 *
 * KES: `/v1/ready` 200 = healthy; 504 = keystore unreachable or sealed; 502 = keystore
 * unavailable; anything else = KES not answering. MinIO: `/minio/health/live`, then
 * `/minio/health/ready` (a failure there means MinIO cannot use KES).
 *
 * On failure (unit `failed` with no pending job, or timeout) prints to stderr
 * `error: <what is wrong and what to do>`, then `journalctl -u UNIT -n 30 --no-pager`, and
 * exits 1.
 *
 * Stdout on success: `ready: UNIT (started|already running|restarted|reloaded|checked)`.
 */
export function serviceActionScript(a: ServiceActionArgs): string {
  const ctx = "serviceActionScript";
  const unit = assertUnitName(ctx, "unit", a.unit);
  const timeout = assertPositiveInt(ctx, "timeoutSeconds", a.timeoutSeconds, 3600);
  if (a.health === null || typeof a.health !== "object") throw new Error(`${ctx}: health is required`);
  const probe = healthProbe(ctx, a.health);
  const startIfInactive = block(`
    systemctl reset-failed "$unit" 2>/dev/null || true
    systemctl start --no-block "$unit" || fail "systemctl could not start $unit (is the unit installed?)"
  `);
  const promote = a.promote;
  const promoteLines: string[] = [];
  if (promote) {
    if (!Array.isArray(promote.paths) || promote.paths.length === 0)
      throw new Error(`${ctx}: promote.paths must not be empty`);
    const paths = promote.paths.map((p, i) => assertAbsolutePath(ctx, `promote.paths[${i}]`, p));
    promoteLines.push(`promote_paths=(${paths.map(shQuote).join(" ")})`, ...PROMOTE_STAGED);
    if (optional(promote.unitFile)) {
      const unitFile = assertAbsolutePath(ctx, "promote.unitFile", promote.unitFile);
      if (!paths.includes(unitFile)) throw new Error(`${ctx}: promote.unitFile must be one of promote.paths`);
      promoteLines.push(
        ...assignments([["unit_file", unitFile]]),
        ...block(`
          case "$promoted " in
            *" $unit_file "*)
              systemctl daemon-reload
              systemctl enable --quiet "$unit"
              ;;
          esac
        `),
      );
    }
  }
  let action: string[];
  switch (a.action) {
    case "start":
      action = [
        "old_invocation=''",
        ...(promote
          ? [
              'state=$(systemctl is-active "$unit" 2>/dev/null || true)',
              'if [ -n "$promoted" ] && { [ "$state" = active ] || [ "$state" = activating ] || [ "$state" = reloading ]; }; then',
              "  # What runs was started before these files changed: restart it.",
              "  old_invocation=$(invocation_id)",
              '  systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit"',
              "  what='restarted: its files changed'",
              'elif [ "$state" = active ] || [ "$state" = activating ] || [ "$state" = reloading ]; then',
            ]
          : ['if systemctl is-active --quiet "$unit"; then']),
        "  what='already running'",
        "else",
        ...startIfInactive.map((l) => `  ${l}`),
        "  what='started'",
        "fi",
      ];
      break;
    case "restart":
      // With staged files: restart only when some were made live (or the unit does not run).
      // The step also runs after a run that staged nothing new for this node (its triggers
      // include every staging step's output), and then it has nothing to restart for.
      action = promote
        ? block(`
            state=$(systemctl is-active "$unit" 2>/dev/null || true)
            if [ -z "$promoted" ] && { [ "$state" = active ] || [ "$state" = activating ] || [ "$state" = reloading ]; }; then
              old_invocation=''
              what='running; nothing of it changed'
            else
              old_invocation=$(invocation_id)
              systemctl reset-failed "$unit" 2>/dev/null || true
              systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit (is the unit installed?)"
              what='restarted'
            fi
          `)
        : block(`
            old_invocation=$(invocation_id)
            systemctl reset-failed "$unit" 2>/dev/null || true
            systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit (is the unit installed?)"
            what='restarted'
          `);
      break;
    case "reload":
      action = [
        ...block(`
          old_invocation=''
          if systemctl is-active --quiet "$unit"; then
            if [ "$(systemctl show -p CanReload --value "$unit" 2>/dev/null || true)" = yes ]; then
              systemctl reload "$unit" || fail "systemctl reload $unit failed"
            else
              systemctl kill --signal=HUP --kill-who=main "$unit" || fail "could not send SIGHUP to $unit"
            fi
            what='reloaded'
          else
        `),
        ...startIfInactive.map((l) => `  ${l}`),
        "  what='started'",
        "fi",
      ];
      break;
    case "none":
      action = ["old_invocation=''", "what='checked'"];
      break;
    default:
      throw new Error(`${ctx}: action must be one of start, restart, reload, none`);
  }
  const verb = a.action === "none" ? "check" : a.action;
  // A distributed MinIO node counts once it runs and answers, though systemd shows it
  // `activating` until its peers answer (see HealthCheck.liveOnly).
  const stateCheck =
    a.health.kind === "minio" && a.health.liveOnly
      ? block(`
          if [ "$state" != active ] && [ "$state" != activating ]; then
            problem="$unit is \${state:-unknown}, not running"
        `)
      : block(`
          if [ "$state" = activating ]; then
            problem="$unit is still starting, or keeps restarting after crashes (systemd state: activating). $startup_hint"
          elif [ "$state" != active ]; then
            problem="$unit is \${state:-unknown}, not active"
        `);
  return bashScript(`${verb} ${unit} and wait until ${probe.hint} is healthy`, [
    ...assignments([
      ["unit", unit],
      ["timeout", String(timeout)],
      ["startup_hint", probe.startupHint],
      ...probe.vars,
    ]),
    ...block(`
      fail() {
        printf 'error: %s\\n' "$1" >&2
        printf 'last 30 journal lines of %s:\\n' "$unit" >&2
        journalctl -u "$unit" -n 30 --no-pager >&2 || true
        exit 1
      }
      invocation_id() {
        systemctl show -p InvocationID --value "$unit" 2>/dev/null || true
      }
    `),
    ...probe.lines,
    ...block(`
      if ! command -v curl >/dev/null 2>&1; then
        printf 'error: %s\n' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
        exit 1
      fi
    `),
    ...promoteLines,
    ...action,
    ...block(`
      deadline=$((SECONDS + timeout))
      problem=''
      while :; do
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
        if [ "$state" = failed ] && [ -z "$(systemctl show -p Job --value "$unit" 2>/dev/null || true)" ]; then
          fail "$unit failed. $startup_hint; fix the cause, then run 'pulumi up' again"
        fi
    `),
    ...stateCheck.map((l) => `  ${l}`),
    ...block(`
        elif [ -n "$old_invocation" ] && [ "$(invocation_id)" = "$old_invocation" ]; then
          problem="$unit has not restarted yet"
        elif probe; then
          echo "ready: $unit ($what)"
          exit 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
          fail "$unit is not healthy after \${timeout}s: $problem"
        fi
        sleep 1
      done
    `),
  ]);
}

/**
 * The first half of a restart of every node of a distributed MinIO: when this node has staged
 * files (a change is coming), stop the unit and wait until it has stopped (at most
 * `timeoutSeconds`). Every node stops before any starts again, so no node that starts with the
 * new configuration meets a peer still running the old one (MinIO refuses peers whose `MINIO_*`
 * environment differs, kes-minio.md §4.2). With nothing staged (this node's files do not change,
 * or the library was upgraded), it stops nothing, and starts the unit if it is installed but not
 * running (a node left stopped by an interrupted run whose change was then reverted). Stdout:
 * `stopped: …`, `not running: …`, `unchanged: …` or `started: …`.
 */
export function serviceStopScript(a: { unit: string; timeoutSeconds: number; staged: string[] }): string {
  const ctx = "serviceStopScript";
  const unit = assertUnitName(ctx, "unit", a.unit);
  const timeout = assertPositiveInt(ctx, "timeoutSeconds", a.timeoutSeconds, 3600);
  if (!Array.isArray(a.staged) || a.staged.length === 0) throw new Error(`${ctx}: staged must not be empty`);
  const paths = a.staged.map((p, i) => assertAbsolutePath(ctx, `staged[${i}]`, p));
  return bashScript(`stop ${unit} until every node starts again with the new configuration`, [
    ...assignments([
      ["unit", unit],
      ["timeout", String(timeout)],
    ]),
    `live_paths=(${paths.map(shQuote).join(" ")})`,
    ...block(`
      staged_any=''
      for live in "\${live_paths[@]}"; do
        if [ -e "\${live%/*}/.\${live##*/}.staged" ]; then staged_any=1; fi
      done
      state=$(systemctl is-active "$unit" 2>/dev/null || true)
      running=''
      case $state in active | activating | reloading) running=1 ;; esac
      if [ -z "$staged_any" ]; then
        if [ -n "$running" ]; then
          echo "unchanged: nothing is staged on this node; $unit keeps running"
        elif [ "$(systemctl show -p LoadState --value "$unit" 2>/dev/null || true)" != loaded ]; then
          echo "unchanged: nothing is staged on this node, and $unit is not installed yet"
        elif systemctl start --no-block "$unit"; then
          echo "started: $unit (it was not running, and nothing changes on this node)"
        else
          echo "not running: $unit (\${state:-unknown}); systemctl could not start it, and nothing changes on this node"
        fi
        exit 0
      fi
      if [ -z "$running" ]; then
        echo "not running: $unit (\${state:-unknown})"
        exit 0
      fi
      systemctl stop --no-block "$unit" || { printf 'error: %s\\n' "systemctl could not stop $unit" >&2; exit 1; }
      deadline=$((SECONDS + timeout))
      while :; do
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
        case $state in
          inactive | failed | unknown | '')
            echo "stopped: $unit (it starts again with its staged files once every node has stopped)"
            exit 0
            ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then
          printf 'error: %s\\n' "$unit did not stop within \${timeout}s (systemd state: $state); see journalctl -u $unit, stop it by hand, then run pulumi up again" >&2
          exit 1
        fi
        sleep 0.2
      done
    `),
  ]);
}

/** What the stop step of a node runs on a plain update (no change of what it stops for). */
export function nothingToStopScript(unit: string): string {
  const u = assertUnitName("nothingToStopScript", "unit", unit);
  return bashScript(`nothing to stop: only a changed configuration stops ${u}`, ["echo unchanged"]);
}

/** Arguments of {@link clusterReadyScript}. */
export interface ClusterReadyArgs {
  /** The unit on this (the admin) node, which must be active, e.g. `minio.service`. */
  unit: string;
  /** Every node: its name (for messages) and `http(s)://host:port` as the other nodes reach it. */
  nodes: ReadonlyArray<{
    /** The node's name, e.g. `minio2`. */
    name: string;
    /** `http(s)://host:port`, e.g. `https://10.0.0.12:9000`. */
    baseUrl: string;
  }>;
  /** CA file on this host for https base URLs signed by a private CA. */
  caFile?: string;
  /** How long to wait for every node, in seconds (1–3600). */
  timeoutSeconds: number;
}

/**
 * The gate of a distributed MinIO deployment, run on the admin node once every node was started:
 * this node's unit is active (systemd heard MinIO's `READY=1`, sent once its peers answered) and
 * every node answers `/minio/health/ready` (which runs a KES generate) over the network, polled
 * once a second until `timeoutSeconds` have passed. A failure names each node that is not ready
 * and why: not answering at all (not running: its journal says why), or answering but not ready
 * (still waiting for peers, or unable to use KES).
 */
export function clusterReadyScript(a: ClusterReadyArgs): string {
  const ctx = "clusterReadyScript";
  const unit = assertUnitName(ctx, "unit", a.unit);
  const timeout = assertPositiveInt(ctx, "timeoutSeconds", a.timeoutSeconds, 3600);
  if (!Array.isArray(a.nodes) || a.nodes.length === 0) throw new Error(`${ctx}: nodes must not be empty`);
  const names = a.nodes.map((n, i) => assertRule<string>(ctx, `nodes[${i}].name`, n.name, rules.hostName));
  const urls = a.nodes.map((n, i) => {
    const u = assertBaseUrl(ctx, `nodes[${i}].baseUrl`, n.baseUrl);
    return `${u.protocol}//${u.host}`;
  });
  const curlOpts = optional(a.caFile) ? '--cacert "$ca_file"' : "";
  return bashScript(`wait until every MinIO node is ready (${a.nodes.length} nodes)`, [
    ...assignments([
      ["unit", unit],
      ["timeout", String(timeout)],
      ...(optional(a.caFile)
        ? ([["ca_file", assertAbsolutePath(ctx, "caFile", a.caFile)]] as [string, string][])
        : []),
    ]),
    `names=(${names.map(shQuote).join(" ")})`,
    `urls=(${urls.map(shQuote).join(" ")})`,
    ...block(`
      if ! command -v curl >/dev/null 2>&1; then
        printf 'error: %s\\n' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
        exit 1
      fi
      # code_of URL: the HTTP status, 000 when there is no HTTP answer.
      code_of() {
        local out
        out=$(curl --silent --output /dev/null --write-out '\\n%{http_code}' --max-time 5 ${curlOpts} "$1" 2>/dev/null) || true
        out=\${out##*$'\\n'}
        case $out in
          [0-9][0-9][0-9]) printf '%s' "$out" ;;
          *) printf '000' ;;
        esac
      }
      deadline=$((SECONDS + timeout))
      declare -A done_nodes=()
      while :; do
        problems=()
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
        if [ "$state" != active ]; then
          problems+=("this node's $unit is \${state:-unknown}, not active (systemd hears MinIO's READY only once its peers answer)")
        fi
        for i in "\${!names[@]}"; do
          [ -n "\${done_nodes[$i]:-}" ] && continue
          ready=$(code_of "\${urls[$i]}/minio/health/ready")
          if [ "$ready" = 200 ]; then
            done_nodes[$i]=1
            continue
          fi
          live=$(code_of "\${urls[$i]}/minio/health/live")
          case $live in
            200) problems+=("\${names[$i]} (\${urls[$i]}) runs but is not ready (HTTP $ready on /minio/health/ready): it waits for enough peers to answer, or cannot use KES (the readiness check runs a KES generate with the default key: see its journal, journalctl -u minio)") ;;
            000) problems+=("\${names[$i]} (\${urls[$i]}) is not answering: MinIO is not running there, or this node cannot reach it (see journalctl -u minio on \${names[$i]}, and the network between the nodes)") ;;
            *) problems+=("\${names[$i]} (\${urls[$i]}) answers HTTP $live on /minio/health/live") ;;
          esac
        done
        if [ "\${#problems[@]}" -eq 0 ]; then
          echo "ready: all \${#names[@]} MinIO nodes"
          exit 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
          printf 'error: not every MinIO node is ready after %ss; fix these, then run pulumi up again:\\n' "$timeout" >&2
          printf '  - %s\\n' "\${problems[@]}" >&2
          exit 1
        fi
        sleep 1
      done
    `),
  ]);
}

// ---------------------------------------------------------------------------------------------
// mc

/** How a script reaches MinIO with `mc`. */
export interface McTarget {
  /** Path of the mc binary on the host. */
  mcPath: string;
  /** Alias name, e.g. `minio`; the script sets `MC_HOST_<alias>`. Letters, digits, `_`; starts with a letter. */
  alias: string;
  /** MinIO server URL, e.g. `https://127.0.0.1:9000` (no path). */
  url: string;
  /** `MC_CONFIG_DIR`, e.g. `/root/.pulumi-minio-kes/mc`. Created `0700`; the CA goes in `certs/CAs/`. */
  configDir: string;
  /** CA file on the host, copied by the script into `configDir/certs/CAs/` when set. */
  caFile?: string;
  /** Where the MinIO root credentials come from. */
  credentials: McCredentials;
}

/**
 * Source of the MinIO root credentials for `mc`. Whatever the source, they reach mc only
 * through `MC_HOST_<alias>`, verbatim (mc does not percent-decode them), so neither may
 * contain `:` (the script refuses it with a clear error).
 */
export type McCredentials =
  | {
      /** Read `MINIO_ROOT_USER` and `MINIO_ROOT_PASSWORD` from an env file on the host (parsed, never sourced; never printed). */
      from: "envFile";
      /** Absolute path of MinIO's env file, e.g. `/etc/default/minio`. */
      envFile: string;
    }
  | {
      /** Two lines on stdin: the user, then the password. */
      from: "stdin";
    };

function mcPrelude(ctx: string, t: McTarget): { vars: [string, string][]; lines: string[] } {
  if (t === null || typeof t !== "object") throw new Error(`${ctx}: target is required`);
  const mcPath = assertAbsolutePath(ctx, "target.mcPath", t.mcPath);
  if (typeof t.alias !== "string" || !/^[A-Za-z][A-Za-z0-9_]{1,63}$/.test(t.alias)) {
    throw new Error(
      `${ctx}: target.alias must start with a letter and hold only letters, digits and '_' (2-64 characters)`,
    );
  }
  const u = assertBaseUrl(ctx, "target.url", t.url);
  const configDir = assertAbsolutePath(ctx, "target.configDir", t.configDir);
  const vars: [string, string][] = [
    ["mc", mcPath],
    ["mc_alias", t.alias],
    ["mc_scheme", u.protocol.replace(/:$/, "")],
    ["mc_hostport", u.host],
    ["MC_CONFIG_DIR", configDir],
  ];
  const lines: string[] = ["export MC_CONFIG_DIR"];
  if (optional(t.caFile)) {
    const ca = assertAbsolutePath(ctx, "target.caFile", t.caFile);
    vars.push(["ca_file", ca], ["ca_name", basenameOf(ca)]);
  }
  const creds = t.credentials;
  if (creds === null || typeof creds !== "object") throw new Error(`${ctx}: target.credentials is required`);
  if (creds.from === "envFile") {
    vars.push(["env_file", assertAbsolutePath(ctx, "target.credentials.envFile", creds.envFile)]);
  } else if (creds.from !== "stdin") {
    throw new Error(`${ctx}: target.credentials.from must be "envFile" or "stdin"`);
  }
  lines.push(
    "mc_user=''",
    "mc_password=''",
    "mc_out=''",
    ...DIE,
    ...block(`
      # redact TEXT: TEXT with the credentials replaced, for relaying mc's messages.
      redact() {
        local s=$1
        if [ -n "$mc_password" ]; then
          s=\${s//"$mc_password"/"<redacted>"}
        fi
        if [ -n "$mc_user" ]; then
          s=\${s//"$mc_user"/"<redacted>"}
        fi
        printf '%s' "$s"
      }
      # run_mc ARGS...: runs mc with its output captured in mc_out; returns mc's success.
      run_mc() {
        mc_out=$("$mc" --config-dir "$MC_CONFIG_DIR" --no-color "$@" 2>&1)
      }
      [ -x "$mc" ] || die "mc is not installed at $mc"
      umask 077
      mkdir -p -- "$MC_CONFIG_DIR/certs/CAs"
    `),
  );
  if (optional(t.caFile)) {
    lines.push(
      ...block(`
        [ -r "$ca_file" ] || die "cannot read the CA file $ca_file"
        cp -f -- "$ca_file" "$MC_CONFIG_DIR/certs/CAs/$ca_name"
      `),
    );
  }
  if (creds.from === "envFile") {
    lines.push(
      ...ENV_VALUE_OF,
      ...block(`
        [ -r "$env_file" ] || die "cannot read MinIO's env file $env_file"
        # Root sources nothing another account could change: the file and its directory must be
        # root's, not links, and writable by nobody else (an env file owned by minio-user would let
        # MinIO run commands as root here).
        env_dir=\${env_file%/*}
        for f in "$env_file" "\${env_dir:-/}"; do
          if [ -L "$f" ]; then
            die "$f is a symbolic link; root reads MinIO's credentials only from a real file in a real directory"
          fi
          read -r f_owner f_mode < <(stat -c '%U %a' -- "$f")
          if [ "$f_owner" != root ]; then
            die "$f is owned by $f_owner, who could make this root script run commands; make it root's (chown root:root $f), then run 'pulumi up' again"
          fi
          if (((8#$f_mode & 8#022) != 0)); then
            die "$f is writable by its group or others; remove that (chmod go-w $f), then run 'pulumi up' again"
          fi
        done
        # The two values are parsed from the file, which is never sourced (env_value_of).
        mc_user=$(env_value_of "$env_file" MINIO_ROOT_USER)
        mc_password=$(env_value_of "$env_file" MINIO_ROOT_PASSWORD)
        if [ -z "$mc_user" ] || [ -z "$mc_password" ]; then
          die "MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must both be set in $env_file"
        fi
      `),
    );
  } else {
    lines.push(
      ...block(`
        IFS= read -r mc_user || true
        IFS= read -r mc_password || true
        if [ -z "$mc_user" ] || [ -z "$mc_password" ]; then
          die "expected two lines on stdin: the MinIO root user, then its password"
        fi
      `),
    );
  }
  lines.push(
    ...block(`
      # mc takes MC_HOST_<alias> credentials verbatim (no percent-decoding) and splits them at ':'.
      case "$mc_user$mc_password" in
        *:*) die "the MinIO root user or password contains ':', which mc cannot take from MC_HOST_$mc_alias; choose credentials without ':'" ;;
      esac
      export MC_HOST_${t.alias}="$mc_scheme://$mc_user:$mc_password@$mc_hostport"
    `),
  );
  return { vars, lines };
}

/** Arguments of {@link mcKeyCreateScript}. */
export interface McKeyCreateArgs {
  /** How to reach MinIO. */
  target: McTarget;
  /** KES key name to create, e.g. `minio-bucket-data`. */
  keyName: string;
}

/**
 * Create a KES key through MinIO: `mc admin kms key create ALIAS KEY` (exactly two
 * arguments, kes-minio.md §5). Idempotent: an existing key is success.
 *
 * Stdout: `created` (mc exited 0) or `exists` (mc failed with a message containing
 * "already exi", which covers KES's "already exists" and MinIO's "already exits").
 * Anything else fails with mc's (redacted) message.
 */
export function mcKeyCreateScript(a: McKeyCreateArgs): string {
  const ctx = "mcKeyCreateScript";
  const key = assertKeyName(ctx, "keyName", a.keyName);
  const p = mcPrelude(ctx, a.target);
  return bashScript(`create the KES key ${key} through MinIO`, [
    ...assignments([...p.vars, ["key_name", key]]),
    ...p.lines,
    ...block(`
      if run_mc admin kms key create "$mc_alias" "$key_name"; then
        echo created
      elif [[ $mc_out == *"already exi"* ]]; then
        echo exists
      else
        die "mc admin kms key create $mc_alias $key_name failed: $(redact "$mc_out")"
      fi
    `),
  ]);
}

/** Arguments of {@link mcBucketScript}. */
export interface McBucketArgs {
  /** How to reach MinIO. */
  target: McTarget;
  /** Bucket name (S3 rules: 3-63 characters of `a-z 0-9 . -`). */
  bucket: string;
  /** Default encryption of the bucket. */
  algorithm: "sse-kms" | "sse-s3";
  /** KES key for `sse-kms` (required there, refused for `sse-s3`). */
  keyName?: string;
  /** Write a probe object and check with `mc stat` that MinIO encrypted it as configured. */
  verify: boolean;
  /** Object name of the probe. Default `.pulumi-minio-kes-probe`. Removed after the check. */
  probeObject?: string;
}

function assertBucket(ctx: string, value: unknown): string {
  return assertRule<string>(ctx, "bucket", value, rules.bucketName);
}

function assertObjectName(ctx: string, value: unknown): string {
  if (
    typeof value !== "string" ||
    !/^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,255}$/.test(value) ||
    value.endsWith("/") ||
    value.split("/").some((s) => s === "" || s === "." || s === "..")
  ) {
    throw new Error(
      `${ctx}: probeObject must be an object name of letters, digits, '.', '_', '-' and '/' (no empty, . or .. segments)`,
    );
  }
  return value;
}

/**
 * Create a bucket and set its default encryption with mc:
 * `mc mb --ignore-existing`, `mc encrypt set sse-kms KEY ALIAS/BUCKET` (or `sse-s3`), then
 * checks `mc encrypt info --json` reports it (`aws:kms` + the key id, or `AES256`). With
 * `verify`, copies a small probe object in, parses `mc stat` for
 * `Encryption: SSE-KMS (arn:aws:kms:KEY)` (or `SSE-S3`; older mc's
 * `X-Amz-Server-Side-Encryption*` metadata lines are accepted too), then removes the probe.
 * A mismatch fails with a clear error.
 *
 * Stdout (one line): `result: algorithm=sse-kms key=KEY verified=true|false` or
 * `result: algorithm=sse-s3 verified=true|false`.
 */
export function mcBucketScript(a: McBucketArgs): string {
  const ctx = "mcBucketScript";
  const bucket = assertBucket(ctx, a.bucket);
  if (a.algorithm !== "sse-kms" && a.algorithm !== "sse-s3") {
    throw new Error(`${ctx}: algorithm must be "sse-kms" or "sse-s3"`);
  }
  if (typeof a.verify !== "boolean") throw new Error(`${ctx}: verify must be a boolean`);
  const kms = a.algorithm === "sse-kms";
  let key: string | undefined;
  if (kms) {
    if (!optional(a.keyName)) throw new Error(`${ctx}: keyName is required for sse-kms`);
    key = assertKeyName(ctx, "keyName", a.keyName);
  } else if (optional(a.keyName)) {
    throw new Error(`${ctx}: keyName must not be set for sse-s3`);
  }
  const p = mcPrelude(ctx, a.target);
  const vars: [string, string][] = [...p.vars, ["bucket", bucket]];
  if (key) vars.push(["key_name", key]);
  const lines: string[] = [
    ...p.lines,
    'target="$mc_alias/$bucket"',
    ...block(`
      run_mc mb --ignore-existing "$target" || die "mc mb $target failed: $(redact "$mc_out")"
    `),
  ];
  if (kms) {
    lines.push(
      ...block(`
        run_mc encrypt set sse-kms "$key_name" "$target" ||
          die "mc encrypt set sse-kms $key_name $target failed (does the key exist, and may MinIO's KES identity use it?): $(redact "$mc_out")"
        run_mc --json encrypt info "$target" || die "mc encrypt info $target failed: $(redact "$mc_out")"
        info=\${mc_out//[[:space:]]/}
        case $info in
          *'"algorithm":"aws:kms"'*) ;;
          *) die "mc encrypt info $target does not report SSE-KMS after setting it: $(redact "$mc_out")" ;;
        esac
        case $info in
          *"\\"keyId\\":\\"$key_name\\""* | *"\\"keyId\\":\\"arn:aws:kms:$key_name\\""*) ;;
          *) die "mc encrypt info $target does not report the key $key_name: $(redact "$mc_out")" ;;
        esac
      `),
    );
  } else {
    lines.push(
      ...block(`
        run_mc encrypt set sse-s3 "$target" || die "mc encrypt set sse-s3 $target failed: $(redact "$mc_out")"
        run_mc --json encrypt info "$target" || die "mc encrypt info $target failed: $(redact "$mc_out")"
        info=\${mc_out//[[:space:]]/}
        case $info in
          *'"algorithm":"AES256"'*) ;;
          *) die "mc encrypt info $target does not report SSE-S3 after setting it: $(redact "$mc_out")" ;;
        esac
      `),
    );
  }
  const result = kms ? "result: algorithm=sse-kms key=$key_name" : "result: algorithm=sse-s3";
  if (a.verify) {
    vars.push(["probe_object", assertObjectName(ctx, a.probeObject ?? ".pulumi-minio-kes-probe")]);
    const ws = "[[:space:]]*";
    if (kms) {
      vars.push(
        ["stat_re", `^Encryption${ws}:${ws}SSE-KMS${ws}\\(arn:aws:kms:${key}\\)${ws}$`],
        ["stat_re_legacy_alg", `^${ws}X-Amz-Server-Side-Encryption${ws}:${ws}aws:kms${ws}$`],
        [
          "stat_re_legacy_key",
          `^${ws}X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id${ws}:${ws}(arn:aws:kms:)?${key}${ws}$`,
        ],
      );
    } else {
      vars.push(
        ["stat_re", `^Encryption${ws}:${ws}SSE-S3${ws}$`],
        ["stat_re_legacy_alg", `^${ws}X-Amz-Server-Side-Encryption${ws}:${ws}AES256${ws}$`],
      );
    }
    const expected = kms ? "SSE-KMS with the key $key_name" : "SSE-S3";
    const legacy = kms
      ? 'grep -Eqi -- "$stat_re_legacy_alg" <<<"$stat_out" && grep -Eqi -- "$stat_re_legacy_key" <<<"$stat_out"'
      : 'grep -Eqi -- "$stat_re_legacy_alg" <<<"$stat_out"';
    lines.push(
      ...TMP_CLEANUP,
      ...block(`
        tmp=$(mktemp)
        printf 'pulumi-minio-kes encryption probe\\n' >"$tmp"
        run_mc cp "$tmp" "$target/$probe_object" || die "could not write the probe object $target/$probe_object: $(redact "$mc_out")"
        run_mc stat "$target/$probe_object" || die "mc stat $target/$probe_object failed: $(redact "$mc_out")"
        stat_out=$mc_out
        run_mc rm "$target/$probe_object" ||
          printf 'warning: could not remove the probe object %s: %s\\n' "$target/$probe_object" "$(redact "$mc_out")" >&2
        if ! grep -Eq -- "$stat_re" <<<"$stat_out" && ! { ${legacy}; }; then
          die "the probe object $target/$probe_object is not encrypted with ${expected} (bucket default encryption is not applied). mc stat shows: $(redact "$stat_out")"
        fi
      `),
      `echo "${result} verified=true"`,
    );
  } else {
    lines.push(`echo "${result} verified=false"`);
  }
  return bashScript(`create bucket ${bucket} with ${a.algorithm} default encryption`, [
    ...assignments(vars),
    ...lines,
  ]);
}

/** How many parts of {@link mcBucketsScript} run at once (keys first, then buckets). */
export const MC_PARTS_AT_ONCE = 4;

/** Arguments of {@link mcBucketsScript}. */
export interface McBucketsArgs {
  /** How to reach MinIO. */
  target: McTarget;
  /** The buckets, each as for {@link mcBucketScript} (without `target`); names must differ. */
  buckets: ReadonlyArray<Omit<McBucketArgs, "target">>;
}

/**
 * What one bucket of {@link mcBucketsScript} is set up as, in words a reviewer reads in a
 * preview: `sse-kms with the key minio-logs, checked with a probe object`.
 */
export function bucketSummary(b: Omit<McBucketArgs, "target">): string {
  const how = b.algorithm === "sse-kms" ? `sse-kms with the key ${b.keyName}` : "sse-s3";
  return `${how}, ${b.verify ? "checked with a probe object" : "not checked"}`;
}

/**
 * Set up several buckets in one script, so that one SSH connection serves them all: first each
 * distinct SSE-KMS key ({@link mcKeyCreateScript}), then each bucket ({@link mcBucketScript}),
 * {@link MC_PARTS_AT_ONCE} at a time, each with its own mc config dir under `target.configDir`.
 * Each part runs as a function in its own subshell (its `exit` and `set -e` stay its own); a
 * failed part does not stop the others, and the script then fails naming every part that did.
 *
 * Stdout: one line per part, `key NAME: created|exists` and `bucket NAME: result: …` (the
 * line {@link mcBucketScript} prints).
 */
export function mcBucketsScript(a: McBucketsArgs): string {
  const ctx = "mcBucketsScript";
  if (!Array.isArray(a.buckets) || a.buckets.length === 0)
    throw new Error(`${ctx}: buckets must not be empty`);
  const names = a.buckets.map((b) => assertBucket(ctx, b.bucket));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`${ctx}: bucket ${dup} is listed twice`);
  const keys = [
    ...new Set(a.buckets.flatMap((b) => (b.algorithm === "sse-kms" && b.keyName ? [b.keyName] : []))),
  ];
  // Each part its own mc config dir, so that parts running at once never write the same file
  // (each copies the CA into its config dir).
  const own = (sub: string): McTarget => ({ ...a.target, configDir: `${a.target.configDir}/${sub}` });
  const parts: { label: string; script: string }[] = [
    ...keys.map((keyName) => ({
      label: `key ${keyName}`,
      script: mcKeyCreateScript({ target: own(`keys/${keyName}`), keyName }),
    })),
    ...a.buckets.map((b) => ({
      label: `bucket ${b.bucket}`,
      script: mcBucketScript({ ...b, target: own(`buckets/${b.bucket}`) }),
    })),
  ];
  const lines: string[] = [];
  parts.forEach((p, i) => {
    // A part's cleanup runs from its EXIT trap, which shellcheck does not see inside a function.
    lines.push("# shellcheck disable=SC2317", `part_${i + 1}() {`, p.script.replace(/\n$/, ""), "}");
  });
  lines.push(
    `at_once=${MC_PARTS_AT_ONCE}`,
    "out_dir=$(mktemp -d)",
    "trap 'rm -rf -- \"$out_dir\"' EXIT",
    ...block(`
      # run_parts FIRST LAST: run parts FIRST..LAST, at most $at_once at a time, each in its own
      # subshell (its exit and set -e stay its own), keeping its output, errors and status.
      run_parts() {
        local i running=0
        for ((i = $1; i <= $2; i++)); do
          if [ "$running" -ge "$at_once" ]; then
            wait -n || true
            running=$((running - 1))
          fi
          (
            set +e
            ("part_$i") >"$out_dir/$i.out" 2>"$out_dir/$i.err" </dev/null
            echo "$?" >"$out_dir/$i.rc"
          ) &
          running=$((running + 1))
        done
        wait
      }
      failed=()
      # report N LABEL: print part N's output after its label, and its errors; note a failure.
      report() {
        local out
        out=$(cat -- "$out_dir/$1.out")
        [ -z "$out" ] || printf '%s: %s\n' "$2" "$out"
        cat -- "$out_dir/$1.err" >&2
        [ "$(cat -- "$out_dir/$1.rc" 2>/dev/null)" = 0 ] || failed+=("$2")
      }
    `),
    ...(keys.length > 0 ? [`run_parts 1 ${keys.length}`] : []),
    `run_parts ${keys.length + 1} ${parts.length}`,
    ...parts.map((p, i) => `report ${i + 1} ${shQuote(p.label)}`),
    ...block(`
      if [ "\${#failed[@]}" -gt 0 ]; then
        list=$(printf '%s, ' "\${failed[@]}")
        die "\${#failed[@]} of ${parts.length} parts failed (\${list%, }); the errors above say why. The other parts are set up; fix those and run pulumi up again."
      fi
    `),
  );
  const shown = names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, ...`;
  return bashScript(
    `set up ${names.length} bucket${names.length === 1 ? "" : "s"} with default encryption (${shown})`,
    ["die() {", "  printf 'error: %s\\n' \"$*\" >&2", "  exit 1", "}", ...lines],
  );
}
