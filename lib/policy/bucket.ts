import type { StackValidationPolicy } from "@pulumi/policy";
import { configured, type PolicyContext } from "./context";
import { POLICY_NAMES, TYPES } from "./types";
import { Deferred, label, read } from "./util";

/** Resolved options of the bucket policy. */
interface BucketConfig {
  exemptBuckets: string[];
}

/**
 * Every EncryptedBucket uses SSE-KMS with a named key: its `algorithm` output is `sse-kms` and
 * its `keyName` output is a non-empty name; so does every bucket of an EncryptedBuckets.
 */
export function bucketSseKmsPolicy(ctx: PolicyContext): StackValidationPolicy {
  const o = ctx.options.bucketSseKms ?? {};
  const defaults: BucketConfig = { exemptBuckets: o.exemptBuckets ?? [] };
  return {
    name: POLICY_NAMES.bucketSseKms,
    description:
      "Every EncryptedBucket encrypts by default with SSE-KMS and a named KES key (not SSE-S3, not unverifiable).",
    enforcementLevel: o.enforcementLevel ?? ctx.enforcementLevel,
    configSchema: {
      properties: {
        exemptBuckets: {
          type: "array",
          items: { type: "string" },
          default: defaults.exemptBuckets,
          description: "Bucket names or EncryptedBucket resource names that may use SSE-S3.",
        },
      },
    },
    remediationSteps:
      'Give the EncryptedBucket algorithm: "sse-kms" (the default) and keyName (or the MinioDeployment a defaultKeyName).',
    validateStack: (args, reportViolation) => {
      const cfg = configured(defaults, args);
      const deferred = new Deferred();
      const check = (
        r: (typeof args.resources)[number],
        what: string,
        algorithm: unknown,
        keyName: unknown,
        bucketName: string | undefined,
      ) => {
        if (cfg.exemptBuckets.includes(r.name) || (bucketName && cfg.exemptBuckets.includes(bucketName)))
          return;
        if (algorithm === undefined) {
          reportViolation(
            `${what} does not expose its encryption algorithm, so SSE-KMS cannot be verified. ` +
              "Fix: upgrade pulumi-minio-kes to a version whose EncryptedBucket registers the outputs algorithm and keyName.",
            r.urn,
          );
        } else if (algorithm !== "sse-kms") {
          reportViolation(
            `${what} encrypts with ${JSON.stringify(algorithm)}, not SSE-KMS, so all its objects share the deployment's default key. ` +
              'Fix: set algorithm: "sse-kms" (the default, so removing algorithm works too) and keyName to a KES key ' +
              "for this bucket, or list the bucket in this policy's exemptBuckets.",
            r.urn,
          );
        } else if (typeof keyName !== "string" || keyName.trim() === "") {
          reportViolation(
            `${what} uses SSE-KMS without a named key. Fix: set keyName on the EncryptedBucket (or defaultKeyName on its MinioDeployment) to a key allowed by KesServer minioKeyNames.`,
            r.urn,
          );
        }
      };
      for (const r of args.resources) {
        if (r.type === TYPES.encryptedBuckets) {
          const facts = read(() => r.props.buckets as unknown);
          if (!facts.known) {
            deferred.add(facts.error, `${label(r)} (buckets)`);
            continue;
          }
          const list = Array.isArray(facts.value) ? (facts.value as Record<string, unknown>[]) : [];
          if (list.length === 0) check(r, `${label(r)} (no buckets output)`, undefined, undefined, undefined);
          for (const b of list) {
            const bucketName = typeof b?.bucket === "string" ? b.bucket : undefined;
            check(
              r,
              `${label(r)} bucket ${JSON.stringify(bucketName)}`,
              b?.algorithm,
              b?.keyName,
              bucketName,
            );
          }
          continue;
        }
        if (r.type !== TYPES.encryptedBucket) continue;
        const facts = read(() => ({
          algorithm: r.props.algorithm as unknown,
          keyName: r.props.keyName as unknown,
          bucket: r.props.bucket as unknown,
        }));
        if (!facts.known) {
          deferred.add(facts.error, `${label(r)} (algorithm, keyName)`);
          continue;
        }
        const { algorithm, keyName, bucket } = facts.value;
        const bucketName = typeof bucket === "string" ? bucket : undefined;
        check(
          r,
          `${label(r)}${bucketName ? ` (bucket "${bucketName}")` : ""}`,
          algorithm,
          keyName,
          bucketName,
        );
      }
      deferred.finish();
    },
  };
}
