/**
 * The pure core: validation and the renderers of everything that goes onto a host. Exported
 * for users who want to inspect or reuse what the components write, and for tests.
 */
export * from "./core/awsIam";
export * from "./core/envfile";
export * from "./core/kesConfig";
export * from "./core/minioEnv";
export type { Rule } from "./core/rules";
/** The rulebook: one rule per kind of value, shared by the validators, renderers and apply-time checks. */
export * as rules from "./core/rules";
export * from "./core/scripts";
export * from "./core/systemd";
export type * from "./core/types";
export * from "./core/validate";
