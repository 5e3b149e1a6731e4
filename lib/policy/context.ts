/** @internal What every policy builder gets: the pack options, resolved. */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { DEFAULTS, type MinioKesPolicyOptions, type PolicySettings, type StackIdentity } from "./types";
import { Deferred, stackFromEnvironment } from "./util";

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
 * What a policy of the pack is made of: the fields `@pulumi/policy` shows, its settings'
 * defaults (the pack options' values) and its check.
 * @internal
 */
export interface PolicySpec<T extends object> {
  name: string;
  description: string;
  configSchema: PolicyConfigSchema;
  /** The settings when policy pack config gives none; also the config schema's defaults. */
  defaults: T;
  remediationSteps: string;
  /**
   * Check the stack with the resolved settings, reporting violations with `report` and values
   * unknown during preview with `deferred` (rethrown once the check returns).
   */
  validate(cfg: T, args: StackValidationArgs, report: ReportViolation, deferred: Deferred): void;
}

/**
 * A stack validation policy from its spec, enforced at its own `enforcementLevel` option (`o`)
 * or else the pack's. Each run resolves the settings ({@link configured}), runs the check, then
 * rethrows what could not be read ({@link Deferred.finish}).
 * @internal
 */
export function stackPolicy<T extends object>(
  ctx: PolicyContext,
  o: PolicySettings,
  spec: PolicySpec<T>,
): StackValidationPolicy {
  const { defaults, validate } = spec;
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: o.enforcementLevel ?? ctx.enforcementLevel,
    configSchema: spec.configSchema,
    remediationSteps: spec.remediationSteps,
    validateStack: (args, reportViolation) => {
      const cfg = configured(defaults, args);
      const deferred = new Deferred();
      validate(cfg, args, reportViolation, deferred);
      deferred.finish();
    },
  };
}

/** @internal A config schema property: a list of strings, with its default. */
export function stringListProperty(
  defaults: string[],
  description: string,
): PolicyConfigSchema["properties"][string] {
  return { type: "array", items: { type: "string" }, default: defaults, description };
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
