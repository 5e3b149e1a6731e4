/**
 * KES API path patterns, as KES matches them.
 *
 * KES (kms-go `kes/policy.go`, used by every KES release since 2023): a pattern without `*`
 * matches exactly that URL path; a pattern ending in `*` matches every path that starts with
 * the part before the `*`; a pattern holds at most one `*`. So `/v1/key/delete/*`,
 * `/v1/key/*`, `/v1/*` and `*` all match `/v1/key/delete/my-key`.
 *
 * Older KES releases matched with Go's `path.Match` (a `*` stays within one path segment).
 * To be safe, {@link allowsUnder} answers true when either reading lets the pattern match.
 */

/** `/v1/key/delete/` from `/v1/key/delete/*`, `/v1/key/delete` or `/v1/key/delete/`. */
export function normalizePrefix(p: string): string {
  let s = p.trim();
  if (s.endsWith("*")) s = s.slice(0, -1);
  if (!s.endsWith("/")) s = `${s}/`;
  return s;
}

const GLOB_CHARS = /[*?[]/;

/**
 * Whether the pattern matches at least one request path below `prefix` (a prefix ending in
 * `/`, such as `/v1/key/delete/`), under the current or the old KES matching rules.
 */
export function allowsUnder(pattern: string, prefix: string): boolean {
  if (typeof pattern !== "string" || pattern === "") return false;
  const star = pattern.indexOf("*");
  // Current rules: exact path, or prefix before a trailing '*'.
  if (star === -1 && !GLOB_CHARS.test(pattern)) {
    return pattern.startsWith(prefix) && pattern.length > prefix.length;
  }
  if (star === pattern.length - 1) {
    const head = pattern.slice(0, -1);
    if (prefix.startsWith(head) || head.startsWith(prefix)) return true;
  }
  // Old rules: path.Match, segment by segment; the last segment is the key name (any non-empty).
  return globMatchesUnder(pattern, prefix);
}

/** Whether the pattern matches every request path below `prefix` (so a deny blocks them all). */
export function coversAll(pattern: string, prefix: string): boolean {
  if (typeof pattern !== "string" || !pattern.endsWith("*")) return false;
  const head = pattern.slice(0, -1);
  if (GLOB_CHARS.test(head)) return false;
  return prefix.startsWith(head);
}

function globMatchesUnder(pattern: string, prefix: string): boolean {
  const pat = pattern.split("/");
  const pre = prefix.split("/"); // "/v1/key/delete/" → ["", "v1", "key", "delete", ""]
  if (pat.length !== pre.length) return false;
  for (let i = 0; i < pre.length - 1; i++) {
    if (!segmentMatches(pat[i]!, pre[i]!)) return false;
  }
  // The last segment is a key name: any non-empty pattern segment matches some name.
  return pat[pat.length - 1] !== "";
}

/** path.Match for one segment: `*` any run of characters, `?` one character, `[…]` a class. */
function segmentMatches(pattern: string, text: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) return false;
      let cls = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (cls.startsWith("^")) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  try {
    return new RegExp(`${re}$`).test(text);
  } catch {
    return false;
  }
}
