/**
 * @internal {@link EncryptedBucketArgs} and {@link EncryptedBucketsArgs} validated, and each
 * bucket resolved with every default decided.
 */
import { BUCKET_DEFAULTS } from "../../core/defaults";
import { checkBucketName, checkKeyName, Issues, keyAllowed } from "../../core/validate";
import type { EncryptedBucketArgs, EncryptedBucketSpec, EncryptedBucketsArgs } from "../args";
import { MinioDeployment } from "../minioDeployment";

/** Validate {@link EncryptedBucketArgs}; exported for the bad-input table tests. */
export function validateEncryptedBucketArgs(args: EncryptedBucketArgs): Issues {
  const issues = new Issues();
  const d = args?.deployment;
  if (!(d instanceof MinioDeployment)) {
    issues.add("deployment", "pass the MinioDeployment that holds the bucket.");
  }
  checkBucketName(issues, "bucket", args?.bucket);
  const algorithm = args?.algorithm ?? BUCKET_DEFAULTS.algorithm;
  if (algorithm !== "sse-kms" && algorithm !== "sse-s3") {
    issues.add(
      "algorithm",
      `algorithm ${JSON.stringify(args.algorithm)} is unknown; set it to "sse-kms" or "sse-s3".`,
    );
  }
  if (d instanceof MinioDeployment) {
    if (!d.sseEnabled) {
      issues.add(
        "deployment",
        "the deployment has no kes: MinIO answers 'KMS is not configured'. Give the MinioDeployment a kes first.",
      );
    }
    if (!d.mcTarget) {
      issues.add(
        "deployment",
        "the deployment installs no mc: set MinioDeployment mc: { url, sha256 } (or localPath / preinstalledPath).",
      );
    }
    const keyName = args.keyName ?? d.defaultKeyName;
    if (algorithm === "sse-kms") {
      if (keyName === undefined)
        issues.add("keyName", "SSE-KMS needs a key name: set keyName or the deployment's defaultKeyName.");
      else {
        checkKeyName(issues, "keyName", keyName);
        if (d.allowedKeyNames && !keyAllowed(keyName, d.allowedKeyNames)) {
          issues.add(
            "keyName",
            `${JSON.stringify(keyName)} is not in the KesServer's minioKeyNames (${d.allowedKeyNames.join(", ")}); KES would answer 403. Add it there or use a matching name.`,
          );
        }
      }
    } else if (algorithm === "sse-s3" && args.keyName !== undefined) {
      issues.add(
        "keyName",
        "keyName only applies to sse-kms; remove it (SSE-S3 always uses the deployment's default key).",
      );
    }
  }
  return issues;
}

/**
 * One bucket with every default decided, for {@link EncryptedBucket} and each bucket of
 * {@link EncryptedBuckets}: the algorithm, the key (the deployment's default key for SSE-S3),
 * whether a probe checks it, and the arguments of its `mc` script.
 */
export function resolveBucket(spec: EncryptedBucketSpec, d: MinioDeployment) {
  const algorithm = spec.algorithm ?? BUCKET_DEFAULTS.algorithm;
  const keyName = (algorithm === "sse-s3" ? d.defaultKeyName : (spec.keyName ?? d.defaultKeyName))!;
  const verify = spec.verify ?? BUCKET_DEFAULTS.verify;
  return {
    bucket: spec.bucket,
    algorithm,
    keyName,
    verify,
    /** What the bucket's `mc` script takes (a key only for SSE-KMS). */
    script: {
      bucket: spec.bucket,
      algorithm,
      keyName: algorithm === "sse-kms" ? keyName : undefined,
      verify,
    },
  };
}

/** Validate {@link EncryptedBucketsArgs}: each bucket as {@link validateEncryptedBucketArgs} would, fields prefixed `buckets[i].`. */
export function validateEncryptedBucketsArgs(args: EncryptedBucketsArgs): Issues {
  const issues = new Issues();
  const list = args?.buckets;
  if (!Array.isArray(list) || list.length === 0) {
    issues.add("buckets", "list at least one bucket ({ bucket, keyName?, algorithm?, verify? }).");
    if (!(args?.deployment instanceof MinioDeployment))
      issues.add("deployment", "pass the MinioDeployment that holds the buckets.");
    return issues;
  }
  const seen = new Map<string, number>();
  list.forEach((spec, i) => {
    const one = validateEncryptedBucketArgs({
      ...(spec ?? {}),
      deployment: args.deployment,
    } as EncryptedBucketArgs);
    for (const x of one.list) {
      if (x.field === "deployment") {
        if (i === 0) issues.add(x.field, x.message);
      } else issues.add(`buckets[${i}].${x.field}`, x.message);
    }
    const b = spec?.bucket;
    if (typeof b === "string") {
      const first = seen.get(b);
      if (first !== undefined)
        issues.add(
          `buckets[${i}].bucket`,
          `bucket ${JSON.stringify(b)} is already buckets[${first}]; list each bucket once.`,
        );
      else seen.set(b, i);
    }
  });
  return issues;
}
