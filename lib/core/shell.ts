/**
 * Small helpers for rendering bash: quoting, and render-time validation of values that get
 * embedded in scripts. Every validator throws an `Error` whose message starts with
 * `<context>: <field>` so that a caller can tell which input was wrong.
 *
 * Values are never interpolated into a script unquoted: they become `name=<shQuote(value)>`
 * assignments at the top of the script, and the script body only refers to `"$name"`.
 *
 * Paths, digests and names are checked with the rulebook's rules (`rules.ts`), the same ones the
 * validators apply, so a value a validator accepts is never refused here.
 */
import { assertRule, hasControlChars, path as pathRule, sha256 as sha256Rule } from "./rules";

export { hasControlChars };

/**
 * POSIX single-quote quoting: the result is one shell word whose value is exactly `s`.
 * Every `'` becomes `'\''`. The empty string becomes `''`. Works in bash, dash and any POSIX sh.
 */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * `bash -c '<script>'`: a command line that runs `script` with bash whatever the login shell
 * of the SSH user is. Useful as the `create` of a `remote.Command` when the login shell might
 * not be bash; with `sudo: true` it becomes `sudo -n bash -c '…'` for a non-root SSH user with
 * passwordless sudo (stdin still reaches the script). The script text becomes an argv
 * element, so it must hold no secret (none of the renderers in `scripts/` put secrets in
 * the script text: secrets come on stdin).
 */
export function bashCommand(script: string, opts: { sudo?: boolean } = {}): string {
  return `${opts.sudo ? "sudo -n " : ""}bash -c ${shQuote(script)}`;
}

/** Throws unless `value` is a non-empty string without NUL, CR or LF. */
export function assertText(context: string, field: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new Error(`${context}: ${field} must be a non-empty string`);
  }
  if (/[\0\r\n]/.test(value)) {
    throw new Error(`${context}: ${field} must not contain NUL, CR or newline characters`);
  }
  return value;
}

/**
 * Throws unless `value` is an absolute, normalised path of plain characters ({@link pathRule}):
 * starts with `/`, is not `/` itself, has no `.`/`..` or empty segments, no trailing `/`.
 */
export function assertAbsolutePath(context: string, field: string, value: unknown): string {
  return assertRule<string>(context, field, value, pathRule);
}

/** Throws unless `value` is 64 lowercase hex digits. */
export function assertSha256(context: string, field: string, value: unknown): string {
  return assertRule<string>(context, field, value, sha256Rule);
}

/** Throws unless `value` is an octal file mode of 3 or 4 digits (`640`, `0640`, `2750`). */
export function assertMode(context: string, field: string, value: unknown): string {
  if (typeof value !== "string" || !/^[0-7]{3,4}$/.test(value)) {
    throw new Error(`${context}: ${field} must be an octal mode such as "0640"`);
  }
  return value.length === 3 ? `0${value}` : value;
}

/** The mode as `stat -c %a` prints it: octal without leading zeros (`0640` → `640`). */
export function statModeString(mode: string): string {
  return Number.parseInt(mode, 8).toString(8);
}

const ACCOUNT_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const NEW_ACCOUNT_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Throws unless `value` is a user or group name (not numeric) that can own files. */
export function assertAccountName(context: string, field: string, value: unknown): string {
  if (typeof value !== "string" || !ACCOUNT_RE.test(value)) {
    throw new Error(`${context}: ${field} must be a user or group name such as "minio-user"`);
  }
  return value;
}

/** Throws unless `value` is a name Debian's `useradd`/`groupadd` accept without `--badname`. */
export function assertNewAccountName(context: string, field: string, value: unknown): string {
  if (typeof value !== "string" || !NEW_ACCOUNT_RE.test(value)) {
    throw new Error(
      `${context}: ${field} must be a lower-case account name ([a-z_][a-z0-9_-]*, at most 32 characters)`,
    );
  }
  return value;
}

/** Throws unless `value` is a positive integer no larger than `max`. */
export function assertPositiveInt(context: string, field: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${context}: ${field} must be an integer between 1 and ${max}`);
  }
  return value;
}

/** Directory part of an absolute path validated by {@link assertAbsolutePath} (`/a/b` → `/a`, `/a` → `/`). */
export function dirnameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Last segment of an absolute path validated by {@link assertAbsolutePath}. */
export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `name=<quoted value>` lines, one per entry, in order. Names must be shell identifiers. */
export function assignments(vars: ReadonlyArray<readonly [string, string]>): string[] {
  return vars.map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid shell variable name ${name}`);
    return `${name}=${shQuote(value)}`;
  });
}

/**
 * Assemble a script: shebang, a one-line summary comment, `set -euo pipefail`, then the
 * given lines. The result ends with exactly one newline.
 */
export function bashScript(summary: string, lines: ReadonlyArray<string>): string {
  if (/[\r\n]/.test(summary)) throw new Error("script summary must be one line");
  return ["#!/usr/bin/env bash", `# pulumi-minio-kes: ${summary}`, "set -euo pipefail", ...lines, ""].join(
    "\n",
  );
}

/**
 * One script made of several (each a full {@link bashScript}), in one step: each runs as a
 * function in a subshell (its `exit` and `set -e` stay its own), and each one's output is
 * printed as `<label>: <output>`. One after the other, the first failure stops the whole; with
 * `atOnce`, all run at once; once all ended, the errors of those that failed are printed first,
 * then each one's output, and the script fails if any did. The parts must not read stdin.
 */
export function combinedScript(
  summary: string,
  parts: ReadonlyArray<{ label: string; script: string }>,
  opts: { atOnce?: boolean } = {},
): string {
  if (parts.length === 0) throw new Error("combinedScript: parts must not be empty");
  const lines: string[] = [];
  parts.forEach((p, i) => {
    if (hasControlChars(p.label) || p.label.trim() === "")
      throw new Error(`combinedScript: parts[${i}].label: invalid ${JSON.stringify(p.label)}`);
    lines.push(`part_${i}() {`, p.script.replace(/\n$/, ""), "}");
  });
  if (!opts.atOnce) {
    parts.forEach((p, i) => {
      lines.push(`out=$(part_${i} </dev/null)`, `printf '%s: %s\\n' ${shQuote(p.label)} "$out"`);
    });
    return bashScript(summary, lines);
  }
  lines.push("out_dir=$(mktemp -d)", `trap 'rm -rf -- "$out_dir"' EXIT`, "pids=()");
  parts.forEach((_p, i) => {
    lines.push(`part_${i} </dev/null >"$out_dir/${i}.out" 2>"$out_dir/${i}.err" &`, 'pids+=("$!")');
  });
  // Errors first (what a failed step's message shows first), then every part's output.
  lines.push("failed=0", "status=()");
  parts.forEach((_p, i) => {
    lines.push(`if wait "\${pids[${i}]}"; then status+=(0); else status+=(1); failed=1; fi`);
  });
  parts.forEach((_p, i) => {
    lines.push(`[ "\${status[${i}]}" = 0 ] || cat -- "$out_dir/${i}.err" >&2`);
  });
  parts.forEach((p, i) => {
    lines.push(
      `printf '%s: %s\\n' ${shQuote(p.label)} "$(cat -- "$out_dir/${i}.out")"`,
      `[ "\${status[${i}]}" != 0 ] || cat -- "$out_dir/${i}.err" >&2`,
    );
  });
  lines.push('exit "$failed"');
  return bashScript(summary, lines);
}

/**
 * Where a staged file waits until the step that restarts the service makes it live: next to the
 * live file (same directory, so the rename is atomic), hidden, `.<name>.staged`.
 */
export function stagedPath(path: string): string {
  return `${dirnameOf(path)}/.${basenameOf(path)}.staged`;
}

/**
 * What a step prints when it staged a file: `staged <nanoseconds>`. The time makes the output of
 * every run that stages differ, so the service step, whose triggers include it, runs after any
 * run that staged something, even when its other triggers are back to what they were (a change
 * rolled back after a failed restart).
 */
export const STAGED_ECHO = 'echo "staged $(date +%s%N)"';
