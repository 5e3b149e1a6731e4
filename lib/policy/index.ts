/**
 * `pulumi-minio-kes/policy`: a Pulumi policy pack (CrossGuard, `@pulumi/policy`) for stacks built
 * with pulumi-minio-kes. Needs the optional peer dependency `@pulumi/policy`.
 *
 * ```ts
 * // index.ts of a policy pack directory
 * import { createPolicyPack } from "pulumi-minio-kes/policy";
 * createPolicyPack("minio-kes", { filesystemKeystore: { developmentStacks: ["dev"] } });
 * ```
 *
 * @packageDocumentation
 */
export { createPolicyPack, DEFAULT_PACK_NAME, minioKesPolicies, policyPackArgs } from "./pack";
export {
  type BucketSseKmsOptions,
  type CertificateOptions,
  DEFAULTS,
  type FilesystemKeystoreOptions,
  type KesKeyDeletionOptions,
  type MinioKesPolicyOptions,
  POLICY_NAMES,
  type PolicySettings,
  type SshHostKeyOptions,
  type StackIdentity,
  TYPES,
} from "./types";
