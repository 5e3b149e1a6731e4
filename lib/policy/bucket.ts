import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  StackValidationPolicy,
} from "@pulumi/policy";
import { type PolicyContext, stackPolicy, stringListProperty } from "./context";
import { POLICY_NAMES, TYPES } from "./types";
import { type Deferred, label } from "./util";

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
  return stackPolicy(ctx, o, {
    name: POLICY_NAMES.bucketSseKms,
    description:
      "Every EncryptedBucket encrypts by default with SSE-KMS and a named KES key (not SSE-S3, not unverifiable).",
    configSchema: bucketConfigSchema(defaults),
    defaults,
    remediationSteps:
      'Give the EncryptedBucket algorithm: "sse-kms" (the default) and keyName (or the MinioDeployment a defaultKeyName).',
    validate: (cfg, args, report, deferred) => {
      for (const r of args.resources) {
        if (r.type === TYPES.encryptedBuckets) checkBucketList(r, cfg, report, deferred);
        else if (r.type === TYPES.encryptedBucket) checkBucket(r, cfg, report, deferred);
      }
    },
  });
}

function bucketConfigSchema(defaults: BucketConfig): PolicyConfigSchema {
  return {
    properties: {
      exemptBuckets: stringListProperty(
        defaults.exemptBuckets,
        "Bucket names or EncryptedBucket resource names that may use SSE-S3.",
      ),
    },
  };
}

/** An EncryptedBuckets: each entry of its `buckets` output. */
function checkBucketList(
  r: PolicyResource,
  cfg: BucketConfig,
  report: ReportViolation,
  deferred: Deferred,
): void {
  const facts = deferred.read(r, "buckets", () => r.props.buckets as unknown);
  if (!facts.known) return;
  const list = Array.isArray(facts.value) ? (facts.value as Record<string, unknown>[]) : [];
  if (list.length === 0) {
    checkEncryption(cfg, report, r, `${label(r)} (no buckets output)`, undefined, undefined, undefined);
  }
  for (const b of list) {
    const bucketName = typeof b?.bucket === "string" ? b.bucket : undefined;
    checkEncryption(
      cfg,
      report,
      r,
      `${label(r)} bucket ${JSON.stringify(bucketName)}`,
      b?.algorithm,
      b?.keyName,
      bucketName,
    );
  }
}

/** An EncryptedBucket: its `algorithm`, `keyName` and `bucket` outputs. */
function checkBucket(
  r: PolicyResource,
  cfg: BucketConfig,
  report: ReportViolation,
  deferred: Deferred,
): void {
  const facts = deferred.read(r, "algorithm, keyName", () => ({
    algorithm: r.props.algorithm as unknown,
    keyName: r.props.keyName as unknown,
    bucket: r.props.bucket as unknown,
  }));
  if (!facts.known) return;
  const { algorithm, keyName, bucket } = facts.value;
  const bucketName = typeof bucket === "string" ? bucket : undefined;
  const what = `${label(r)}${bucketName ? ` (bucket "${bucketName}")` : ""}`;
  checkEncryption(cfg, report, r, what, algorithm, keyName, bucketName);
}

/** One bucket's encryption, unless it is exempt. */
function checkEncryption(
  cfg: BucketConfig,
  report: ReportViolation,
  r: PolicyResource,
  what: string,
  algorithm: unknown,
  keyName: unknown,
  bucketName: string | undefined,
): void {
  if (cfg.exemptBuckets.includes(r.name) || (bucketName && cfg.exemptBuckets.includes(bucketName))) return;
  if (algorithm === undefined) {
    report(
      `${what} does not expose its encryption algorithm, so SSE-KMS cannot be verified. ` +
        "Fix: upgrade pulumi-minio-kes to a version whose EncryptedBucket registers the outputs algorithm and keyName.",
      r.urn,
    );
  } else if (algorithm !== "sse-kms") {
    report(
      `${what} encrypts with ${JSON.stringify(algorithm)}, not SSE-KMS, so all its objects share the deployment's default key. ` +
        'Fix: set algorithm: "sse-kms" (the default, so removing algorithm works too) and keyName to a KES key ' +
        "for this bucket, or list the bucket in this policy's exemptBuckets.",
      r.urn,
    );
  } else if (typeof keyName !== "string" || keyName.trim() === "") {
    report(
      `${what} uses SSE-KMS without a named key. Fix: set keyName on the EncryptedBucket (or defaultKeyName on its MinioDeployment) to a key allowed by KesServer minioKeyNames.`,
      r.urn,
    );
  }
}
