/**
 * Builds `PolicyResource`s the way `@pulumi/policy` hands them to a stack policy (props behind
 * its unknown-checking proxy, secrets already unwrapped, parents linked), and runs one policy.
 */
import {
  type Policies,
  type PolicyResource,
  type StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { minioKesPolicies } from "../../lib/policy";
import type { MinioKesPolicyOptions } from "../../lib/policy/types";

export const STACK = "prod";
export const PROJECT = "minio";

/** The sentinels the engine sends for values unknown during preview (`@pulumi/policy` proxy.ts). */
export const UNKNOWN = {
  string: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
} as const;

/** A resource as a stack policy sees it; the URN is built like the engine's. */
export function res(
  type: string,
  name: string,
  props: Record<string, unknown>,
  parent?: PolicyResource,
): PolicyResource {
  const chain: string[] = [];
  for (let p = parent; p; p = p.parent) chain.unshift(p.type);
  const urn = `urn:pulumi:${STACK}::${PROJECT}::${[...chain, type].join("$")}::${name}`;
  return {
    type,
    name,
    urn,
    props: unknownCheckingProxy(props),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      parent: parent?.urn,
    },
    parent,
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

/** One reported violation. */
export interface Violation {
  message: string;
  urn?: string;
}

/** The result of running one policy. */
export interface Outcome {
  violations: Violation[];
  /** The "unknown during preview" error the policy rethrew, if any. */
  deferred?: Error;
}

/** Runs the named policy of the pack on the resources, with optional policy pack config. */
export function run(
  policyName: string,
  resources: PolicyResource[],
  config: Record<string, unknown> = {},
  options: MinioKesPolicyOptions = {},
): Outcome {
  const policy = find(
    minioKesPolicies({
      stack: { stack: STACK, project: PROJECT },
      now: () => new Date("2026-11-27T12:00:00Z"),
      ...options,
    }),
    policyName,
  );
  const violations: Violation[] = [];
  let deferred: Error | undefined;
  try {
    const r = policy.validateStack(
      {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
          throw new Error(`notApplicable: ${reason}`);
        },
      },
      (message, urn) => {
        violations.push({ message, urn });
      },
    );
    if (r instanceof Promise) throw new Error("policies are synchronous");
  } catch (e) {
    if ((e as Error).constructor.name !== "UnknownValueError") throw e;
    deferred = e as Error;
  }
  return { violations, deferred };
}

export function find(policies: Policies, name: string): StackValidationPolicy {
  const p = policies.find((x) => x.name === name);
  if (!p || !("validateStack" in p)) throw new Error(`no stack policy ${name}`);
  return p;
}
