/**
 * A tiny, deterministic YAML emitter for the configuration files this library renders.
 *
 * Why not a YAML library: the output must be byte-for-byte stable (it is hashed for
 * replacement triggers and pinned by golden files), mappings must keep the order the
 * renderer chose, and the quoting rules must be obvious to a reader. The emitter
 * therefore supports only what the renderers need:
 *
 * - block mappings (in the insertion order given by the caller) and block sequences;
 * - empty mappings/sequences as `{}` / `[]` (flow style, the only flow style used);
 * - string scalars, **always** double-quoted in JSON style (a JSON string literal is a
 *   valid YAML double-quoted scalar), so no string value is ever re-typed by a YAML
 *   parser (`on`, `off`, `no`, `1e3`, `0x10`, `~`, ... all stay strings);
 * - mapping keys written plain when they are obviously safe (see {@link yamlKey}),
 *   double-quoted otherwise;
 * - booleans and finite numbers written plain (YAML 1.2 core schema spelling).
 *
 * Whole-value `${VAR}` references are ordinary strings here: `"${VAR}"` decodes to the
 * exact text `${VAR}`, which is what KES checks after YAML decoding (kes-minio.md §1.1).
 */

/** A scalar value: strings are always double-quoted, booleans and numbers are plain. */
export type YamlScalar = string | number | boolean;

/** Any value the emitter can write: a scalar, a block sequence or a block mapping. */
export type YamlValue = YamlScalar | YamlMap | readonly YamlValue[];

/**
 * An ordered block mapping. Build it with {@link ymap}, which drops `undefined` values
 * and rejects duplicate keys, rather than with the constructor.
 */
export class YamlMap {
  /**
   * @param entries Key/value pairs in output order. Keys must be unique (not checked
   * here; {@link ymap} checks).
   */
  constructor(
    /** Key/value pairs, in the order they are written. */
    readonly entries: ReadonlyArray<readonly [string, YamlValue]>,
  ) {}

  /** The value of `key`, or `undefined` (a linear scan; mappings here are small). */
  get(key: string): YamlValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.length;
  }
}

/**
 * Build an ordered mapping. Entries whose value is `undefined` are dropped, which is how
 * renderers omit unset optional keys. Throws on a duplicate key (a YAML mapping with
 * duplicate keys is rejected by Go's yaml.v3, which KES uses).
 */
export function ymap(entries: ReadonlyArray<readonly [string, YamlValue | undefined]>): YamlMap {
  const kept: Array<readonly [string, YamlValue]> = [];
  const seen = new Set<string>();
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    if (seen.has(k)) throw new Error(`duplicate YAML mapping key ${JSON.stringify(k)}`);
    seen.add(k);
    kept.push([k, v]);
  }
  return new YamlMap(kept);
}

/**
 * Characters that JSON.stringify leaves raw but YAML either forbids unescaped in a
 * double-quoted scalar (DEL, C1 controls, BOM, U+FFFE/U+FFFF) or treats as a line break
 * (NEL U+0085 is in the C1 range; LS U+2028; PS U+2029).
 */
const YAML_UNSAFE_RE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A lone UTF-16 surrogate (with the `u` flag, paired surrogates are one code point). */
const LONE_SURROGATE_RE = /\p{Cs}/u;

/**
 * Quote a string as a YAML double-quoted scalar, JSON style. The result decodes (in any
 * YAML 1.1 or 1.2 parser) to exactly `value`. Throws on lone UTF-16 surrogates, which
 * no YAML document can contain.
 */
export function quoteYamlString(value: string): string {
  if (LONE_SURROGATE_RE.test(value)) {
    throw new Error("YAML strings may not contain lone UTF-16 surrogates");
  }
  return JSON.stringify(value).replace(
    YAML_UNSAFE_RE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Plain-safe mapping keys: a letter, `_` or `/` first, then letters, digits, `_ . / -`. */
const PLAIN_KEY_RE = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;

/** Keys that some YAML parser could read as a boolean or null if written plain. */
const RESERVED_KEY_RE = /^(?:true|false|yes|no|on|off|y|n|null)$/i;

/**
 * Write a mapping key: plain when it matches `[A-Za-z_/][A-Za-z0-9_./-]*` and is not a
 * YAML 1.1 boolean/null word (so `version`, `skip_auth`, `/v1/ready`, `minio-sse` stay
 * plain), double-quoted otherwise.
 */
export function yamlKey(key: string): string {
  return PLAIN_KEY_RE.test(key) && !RESERVED_KEY_RE.test(key) ? key : quoteYamlString(key);
}

/** Write a scalar: strings double-quoted, booleans `true`/`false`, finite numbers plain. */
export function yamlScalar(value: YamlScalar): string {
  if (typeof value === "string") return quoteYamlString(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (!Number.isFinite(value)) throw new Error(`cannot write non-finite number ${value} as YAML`);
  return String(value);
}

const INDENT = 2;

function isMap(v: YamlValue): v is YamlMap {
  return v instanceof YamlMap;
}

function isSeq(v: YamlValue): v is readonly YamlValue[] {
  return Array.isArray(v);
}

/** Lines of a non-empty mapping, each indented by `indent` spaces. */
function emitMap(m: YamlMap, indent: number, out: string[]): void {
  const pad = " ".repeat(indent);
  for (const [k, v] of m.entries) {
    const head = `${pad}${yamlKey(k)}:`;
    if (isMap(v)) {
      if (v.size === 0) {
        out.push(`${head} {}`);
      } else {
        out.push(head);
        emitMap(v, indent + INDENT, out);
      }
    } else if (isSeq(v)) {
      if (v.length === 0) {
        out.push(`${head} []`);
      } else {
        out.push(head);
        emitSeq(v, indent + INDENT, out);
      }
    } else {
      out.push(`${head} ${yamlScalar(v)}`);
    }
  }
}

/** Lines of a non-empty sequence, the `- ` indicators indented by `indent` spaces. */
function emitSeq(items: readonly YamlValue[], indent: number, out: string[]): void {
  const pad = " ".repeat(indent);
  for (const item of items) {
    if (isMap(item) || isSeq(item)) {
      const size = isMap(item) ? item.size : item.length;
      if (size === 0) {
        out.push(`${pad}- ${isMap(item) ? "{}" : "[]"}`);
        continue;
      }
      // Emit the nested node two columns deeper, then put the "- " indicator in place of
      // the first line's indentation ("- key: v" / "- - v"), the usual compact block form.
      const nested: string[] = [];
      if (isMap(item)) emitMap(item, indent + INDENT, nested);
      else emitSeq(item, indent + INDENT, nested);
      nested[0] = `${pad}- ${nested[0]!.slice(indent + INDENT)}`;
      out.push(...nested);
    } else {
      out.push(`${pad}- ${yamlScalar(item)}`);
    }
  }
}

/**
 * Render a YAML document whose root is a block mapping. `header` lines become `# ...`
 * comments at the top. The output uses LF line ends, two-space indentation, and ends
 * with exactly one newline. An empty root mapping renders as `{}`.
 */
export function renderYaml(root: YamlMap, options: { header?: string } = {}): string {
  const lines: string[] = [];
  if (options.header) {
    for (const l of options.header.split("\n")) lines.push(l === "" ? "#" : `# ${l}`);
  }
  if (root.size === 0) lines.push("{}");
  else emitMap(root, 0, lines);
  return `${lines.join("\n")}\n`;
}
