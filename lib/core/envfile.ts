/**
 * Rendering and parsing of systemd `EnvironmentFile=` files.
 *
 * Values are quoted so that systemd and `bash` (`set -a; . FILE`) read exactly the same
 * string: single quotes when the value has no `'`, otherwise double quotes with `\`
 * before `\`, `"`, `$` and `` ` `` (the escapes both systemd's env-file parser and bash
 * honour inside double quotes). Newlines and NUL are rejected by validation before any
 * rendering: neither parser round-trips them the same way.
 */

import type * as rules from "./rules";
import { assertRule, envName, lineValue } from "./rules";

/** True when `name` is a valid environment variable name ({@link rules.envName}). */
export function isValidEnvName(name: string): boolean {
  return envName(name) === undefined;
}

/** Quote one value for a systemd EnvironmentFile (and bash). Throws on newline/NUL ({@link rules.lineValue}). */
export function quoteEnvValue(value: string): string {
  assertRule("env file", "value", value, lineValue);
  if (!value.includes("'")) {
    return `'${value}'`;
  }
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/** One `NAME=value` line. */
export function envLine(name: string, value: string): string {
  assertRule("env file", "name", name, envName);
  return `${name}=${quoteEnvValue(value)}`;
}

/**
 * Render an env file from ordered entries, with an optional header comment.
 * The output ends with a newline and has one variable per line.
 */
export function renderEnvFile(entries: ReadonlyArray<readonly [string, string]>, header?: string): string {
  const lines: string[] = [];
  if (header) {
    for (const l of header.split("\n")) lines.push(l === "" ? "#" : `# ${l}`);
  }
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (seen.has(name)) throw new Error(`environment variable ${name} is set twice`);
    seen.add(name);
    lines.push(envLine(name, value));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Parse one line in the subset of env-file syntax that upstream examples and our renderer use:
 * `NAME=value`, `NAME="value"`, `NAME='value'`, optional `export ` prefix. Returns `null` for
 * anything else (`#` comments, blank or unparseable lines), so that a merge can keep such lines
 * verbatim.
 */
export function parseEnvLine(line: string): {
  /** The variable name. */
  name: string;
  /** The value: surrounding quotes removed, and backslash escapes undone inside double quotes. */
  value: string;
} | null {
  // `s`: a value may hold U+2028/U+2029, which `.` does not match otherwise (found by test/unit/fuzz.test.ts).
  const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/s.exec(line);
  if (!m) return null;
  const name = m[1]!;
  const raw = m[2]!.trim();
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
    return { name, value: raw.slice(1, -1) };
  }
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    return { name, value: raw.slice(1, -1).replace(/\\([\\"$`])/g, "$1") };
  }
  return { name, value: raw };
}
