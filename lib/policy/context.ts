/** @internal What every policy builder gets: the pack options, resolved. */
import type { EnforcementLevel } from "@pulumi/policy";
import { DEFAULTS, type MinioKesPolicyOptions, type StackIdentity } from "./types";
import { stackFromEnvironment } from "./util";

/** @internal */
export interface PolicyContext {
  options: MinioKesPolicyOptions;
  enforcementLevel: EnforcementLevel;
  now(): Date;
  stack(): StackIdentity;
}

/** @internal */
export function policyContext(options: MinioKesPolicyOptions = {}): PolicyContext {
  return {
    options,
    enforcementLevel: options.enforcementLevel ?? DEFAULTS.enforcementLevel,
    now: options.now ?? (() => new Date()),
    // Read when a policy runs, not when the pack is built: the engine sets it per run.
    stack: () => ({ ...stackFromEnvironment(), ...definedOnly(options.stack ?? {}) }),
  };
}

/**
 * The policy's settings: the pack options' values (already in `defaults`), overridden by policy
 * pack config. The engine sends config with the schema defaults filled in, and the schema
 * defaults are the pack options' values, so both routes agree.
 * @internal
 */
export function configured<T extends object>(defaults: T, args: { getConfig<U extends object>(): U }): T {
  const fromConfig = definedOnly((args.getConfig<Partial<T>>() ?? {}) as Partial<T>);
  return { ...defaults, ...fromConfig };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A deep plain copy of a value read through `@pulumi/policy`'s unknown-checking proxy: reading
 * every field here makes an unknown anywhere inside throw now (inside {@link read}), not later.
 * @internal
 */
export function plain(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return Array.from({ length: v.length }, (_, i) => plain(v[i]));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = plain((v as Record<string, unknown>)[k]);
  return out;
}
