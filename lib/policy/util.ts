/**
 * @internal Helpers shared by the policies: reading resource properties that may be unknown
 * during preview, naming resources in messages, and walking the parent chain.
 */
import { type PolicyResource, UnknownValueError } from "@pulumi/policy";
import type { StackIdentity } from "./types";

/** Type tokens of this library start with this. */
export const LIBRARY_PREFIX = "minio-kes:";

/**
 * True for the error `@pulumi/policy` throws when a policy reads a value that is unknown during
 * preview. Checked by class and by name, in case two copies of `@pulumi/policy` are installed.
 */
export function isUnknownValueError(e: unknown): e is Error {
  return (
    e instanceof UnknownValueError || (e instanceof Error && e.constructor?.name === "UnknownValueError")
  );
}

/** The outcome of reading a property that may be unknown during preview. */
export type Read<T> = { known: true; value: T } | { known: false; error: Error };

/**
 * Run `get`, turning the "unknown during preview" error into `{ known: false }`. Any other
 * error propagates.
 */
export function read<T>(get: () => T): Read<T> {
  try {
    return { known: true, value: get() };
  } catch (e) {
    if (isUnknownValueError(e)) return { known: false, error: e };
    throw e;
  }
}

/**
 * Collects the values a policy could not read during preview. When a policy ends with
 * {@link Deferred.finish}, the first such error is rethrown with the resources that were not
 * checked: `@pulumi/policy` then reports "can't run policy … during preview" as an advisory
 * message, while every violation already reported stays.
 */
export class Deferred {
  private first?: Error;
  private readonly skipped: string[] = [];

  /** Note that `what` (a resource label and property) could not be checked. */
  add(error: Error, what: string): void {
    this.first ??= error;
    this.skipped.push(what);
  }

  /**
   * {@link read} `get`, a property (`what`) of `r`; when it is unknown, note `r (what)` as not
   * checked. Any other error propagates.
   */
  read<T>(r: { type: string; name: string }, what: string, get: () => T): Read<T> {
    const v = read(get);
    if (!v.known) this.add(v.error, `${label(r)} (${what})`);
    return v;
  }

  /** Rethrow if anything could not be checked. */
  finish(): void {
    if (!this.first) return;
    const e = this.first;
    e.message = `${e.message}; not checked until the values are known (after \`pulumi up\`, or in the next preview): ${this.skipped.join(", ")}`;
    throw e;
  }
}

/** `KesServer "kes"`: the short type name and the resource name, for messages. */
export function label(r: { type: string; name: string }): string {
  const short = r.type.slice(r.type.lastIndexOf(":") + 1);
  return `${short} "${r.name}"`;
}

/** The resource's ancestors, nearest first. */
export function ancestors(r: PolicyResource): PolicyResource[] {
  const out: PolicyResource[] = [];
  const seen = new Set<string>();
  for (let p = r.parent; p && !seen.has(p.urn); p = p.parent) {
    seen.add(p.urn);
    out.push(p);
  }
  return out;
}

/** The nearest ancestor that is one of this library's components, if any. */
export function libraryAncestor(r: PolicyResource): PolicyResource | undefined {
  return ancestors(r).find((a) => a.type.startsWith(LIBRARY_PREFIX));
}

/** A string array, or undefined when the value is not an array of strings. */
export function stringArray(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const x of v) {
    if (typeof x !== "string") return undefined;
    out.push(x);
  }
  return out;
}

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;

/** Parse an RFC 3339 time, or undefined. */
export function parseTime(v: unknown): Date | undefined {
  if (typeof v !== "string" || v === "") return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `2027-01-31` from a date. */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The stack being checked. The Node.js language host starts policy packs with
 * `PULUMI_NODEJS_STACK`, `PULUMI_NODEJS_PROJECT` and `PULUMI_NODEJS_ORGANIZATION` set from the
 * engine's stack configuration; newer engines also set the `PULUMI_*` forms.
 */
export function stackFromEnvironment(env: NodeJS.ProcessEnv = process.env): StackIdentity {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  return {
    stack: pick("PULUMI_NODEJS_STACK", "PULUMI_STACK"),
    project: pick("PULUMI_NODEJS_PROJECT", "PULUMI_PROJECT"),
    organization: pick("PULUMI_NODEJS_ORGANIZATION", "PULUMI_ORGANIZATION"),
  };
}

/**
 * Whether the stack matches one of the patterns: a stack name, `project/stack` or
 * `org/project/stack`, each with optional `*` wildcards.
 */
export function stackMatches(id: StackIdentity, patterns: string[]): string | undefined {
  if (!id.stack) return undefined;
  const names = [id.stack];
  if (id.project) names.push(`${id.project}/${id.stack}`);
  if (id.project && id.organization) names.push(`${id.organization}/${id.project}/${id.stack}`);
  for (const p of patterns) {
    const re = new RegExp(`^${p.split("*").map(escapeRegExp).join(".*")}$`);
    if (names.some((n) => re.test(n))) return p;
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
