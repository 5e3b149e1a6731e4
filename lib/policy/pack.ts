import { type Policies, PolicyPack, type PolicyPackArgs } from "@pulumi/policy";
import { bucketSseKmsPolicy } from "./bucket";
import { certificatePolicy } from "./certificates";
import { policyContext } from "./context";
import { sshHostKeyPolicy } from "./hostKeys";
import { kesKeyDeletionPolicy } from "./kesKeyDeletion";
import { filesystemKeystorePolicy } from "./keystore";
import type { MinioKesPolicyOptions } from "./types";

/** The default policy pack name. */
export const DEFAULT_PACK_NAME = "minio-kes";

/**
 * The pack's policies, to add to a policy pack of your own:
 * `new PolicyPack("mine", { policies: [...minioKesPolicies(), ...myPolicies] })`.
 *
 * All are stack validation policies: a local component's arguments never reach a policy pack
 * (the Node.js SDK does not send them), so the policies read the facts the components register
 * as outputs, plus the `@pulumi/command` and `@pulumi/tls` resources below them.
 */
export function minioKesPolicies(options: MinioKesPolicyOptions = {}): Policies {
  const ctx = policyContext(options);
  return [
    bucketSseKmsPolicy(ctx),
    sshHostKeyPolicy(ctx),
    kesKeyDeletionPolicy(ctx),
    certificatePolicy(ctx),
    filesystemKeystorePolicy(ctx),
  ];
}

/** The arguments of the pack (for `new PolicyPack(name, policyPackArgs(options))`). */
export function policyPackArgs(options: MinioKesPolicyOptions = {}): PolicyPackArgs {
  return {
    policies: minioKesPolicies(options),
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    description:
      "Compliance checks for pulumi-minio-kes: SSE-KMS buckets, pinned SSH host keys, no KES key deletion, certificate lifetimes, no filesystem keystore outside development.",
    displayName: "pulumi-minio-kes",
    tags: ["minio", "kes", "encryption", "ssh"],
  };
}

/**
 * Build and serve the policy pack. Call it once, from the `index.ts` of a policy pack directory
 * (beside its `PulumiPolicy.yaml` and `package.json`): constructing a `PolicyPack` starts the
 * gRPC server the Pulumi CLI talks to, and a process can serve only one pack.
 */
export function createPolicyPack(
  name: string = DEFAULT_PACK_NAME,
  options: MinioKesPolicyOptions = {},
): PolicyPack {
  return new PolicyPack(name, policyPackArgs(options));
}
