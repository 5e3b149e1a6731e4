/**
 * The bash prelude of the host scripts: the helper functions and fragments every script module
 * shares (`die`, temp-file cleanup, `sha256_of`, `env_value_of`), the checks of URLs and unit
 * names, and the atomic write of stdin to a file ({@link atomicWrite}).
 *
 * The host scripts (this folder) are pure functions from typed input to bash text. Components run
 * them with `remote.Command` (`create` = the script, `stdin` = file content or secrets).
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

import * as rules from "../rules";
import { assertRule } from "../rules";
import { assertText, basenameOf, dirnameOf, hasControlChars, stagedPath, statModeString } from "../shell";

/** Strip the first newline and the common indentation of a template block; split into lines. */
export function block(text: string): string[] {
  const lines = text
    .replace(/^\n/, "")
    .replace(/\n[ ]*$/, "")
    .split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut));
}

export const DIE = block(`
  die() {
    printf 'error: %s\\n' "$*" >&2
    exit 1
  }
`);

/** Removes the temp file named by `$tmp` on exit (empty `$tmp` = nothing to remove). */
export const TMP_CLEANUP = block(`
  tmp=''
  cleanup() {
    if [ -n "$tmp" ]; then
      rm -f -- "$tmp"
    fi
  }
  trap cleanup EXIT
`);

/** Prints the SHA-256 of file `$1` (hash read from stdin, so odd file names cannot alter it). */
export const SHA256_OF = block(`
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

export function optional<T>(v: T | undefined | null): v is T {
  return v !== undefined && v !== null;
}

export function assertUnitName(context: string, field: string, value: unknown): string {
  return assertRule<string>(context, field, value, rules.unitName);
}

export function assertUrl(context: string, field: string, value: unknown, protocols: readonly string[]): URL {
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
export function assertBaseUrl(context: string, field: string, value: unknown): URL {
  const u = assertUrl(context, field, value, ["http:", "https:"]);
  if ((u.pathname !== "/" && u.pathname !== "") || u.search !== "" || u.hash !== "" || u.host === "") {
    throw new Error(
      `${context}: ${field} must be scheme://host:port without a path, e.g. https://127.0.0.1:9000`,
    );
  }
  return u;
}

/**
 * The context that the errors of the scripts from the former `hostScripts.ts` name
 * (`hostScripts: …`), kept so that their messages stay as they were.
 */
export const HOST_SCRIPTS_CTX = "hostScripts";

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
  /**
   * The content is the next line of stdin, base64 ({@link encodeFilesStdin}), not the whole of
   * it: several files travel on one step's stdin.
   */
  fromLine?: boolean;
}

/**
 * Variable assignments and body that write stdin to `$path` atomically and set
 * `result=changed|unchanged`. Needs {@link DIE} and {@link TMP_CLEANUP} before it.
 */
export function atomicWrite(w: AtomicWrite): { vars: [string, string][]; body: string[] } {
  return { vars: atomicWriteVars(w), body: atomicWriteBody(w) };
}

/** The variable assignments of {@link atomicWrite}. */
function atomicWriteVars(w: AtomicWrite): [string, string][] {
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
  if (w.stage) vars.push(["staged", stagedPath(w.path)]);
  return vars;
}

/** The body of {@link atomicWrite}: checks, the temp file, and the rename over `$path` (or `$staged`). */
function atomicWriteBody(w: AtomicWrite): string[] {
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
  const read = w.fromLine
    ? 'IFS= read -r content_b64 || die "stdin ended before the content of $path"; printf \'%s\' "$content_b64" | base64 -d >"$tmp" || die "the content of $path on stdin is not base64"'
    : 'cat >"$tmp"';
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
    ${read}
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
    body.unshift(
      ...block(`
        if [ -d "$staged" ] && [ ! -L "$staged" ]; then
          die "$staged is a directory; remove it (the library stages $base there until the restart makes it live)"
        fi
      `),
    );
  }
  return body;
}
