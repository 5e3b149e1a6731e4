import * as pulumi from "@pulumi/pulumi";
import { BUCKET_DEFAULTS } from "../core/defaults";
import * as rules from "../core/rules";
import {
  bucketResultVerified,
  bucketSummary,
  bucketsResultVerified,
  mcBucketScript,
  mcBucketsScript,
  mcKeyCreateScript,
} from "../core/scripts";
import { TYPE_TOKENS } from "../core/tokens";
import { checkBucketName, checkKeyName, checkRule, Issues, keyAllowed } from "../core/validate";
import type { EncryptedBucketArgs, EncryptedBucketSpec, EncryptedBucketsArgs } from "./args";
import { claim, hostStep, throwIfInvalid } from "./internal";
import { MinioDeployment } from "./minioDeployment";

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
function resolveBucket(spec: EncryptedBucketSpec, d: MinioDeployment) {
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

/**
 * A bucket whose objects are encrypted by default, set up with `mc` on the deployment's admin
 * node after MinIO is ready: create the KES key if missing (an existing key is success), create
 * the bucket (`--ignore-existing`), set its default encryption (SSE-KMS with a named key, or
 * SSE-S3), and optionally write a probe object and read its encryption back with `mc stat`.
 *
 * Credentials reach `mc` only through `MC_HOST_<alias>`, read on the host from MinIO's env file,
 * never through an argument. Deleting this resource deletes nothing: not the bucket (it may hold
 * data) and never the key (objects encrypted with it would be lost).
 */
export class EncryptedBucket extends pulumi.ComponentResource {
  /** Bucket name. */
  readonly bucket: string;
  /** `sse-kms` or `sse-s3`. */
  readonly algorithm: "sse-kms" | "sse-s3";
  /** KES key that encrypts the bucket's objects (the default key for SSE-S3). */
  readonly keyName: string;
  /** Whether a probe object was checked with `mc stat`. */
  readonly verified: pulumi.Output<boolean>;

  constructor(name: string, args: EncryptedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE_TOKENS.encryptedBucket, name, {}, opts);
    const component = `EncryptedBucket ${name}`;
    const issues = validateEncryptedBucketArgs(args);
    checkRule(issues, "name", name, rules.componentName);
    if (issues.ok) {
      // Two EncryptedBuckets for one bucket would each overwrite the other's encryption settings.
      const prev = claim(args.deployment.bucketClaimKey, `bucket ${args.bucket}`, component);
      if (prev !== undefined)
        issues.add(
          "bucket",
          `${prev} already manages bucket ${JSON.stringify(args.bucket)} on this deployment, and the two would overwrite each other's encryption settings; keep one EncryptedBucket per bucket.`,
        );
    }
    throwIfInvalid(issues, component, this);
    const d = args.deployment;
    const b = resolveBucket(args, d);
    this.bucket = b.bucket;
    this.algorithm = b.algorithm;
    this.keyName = b.keyName;
    const target = d.mcTarget!;
    const deps: pulumi.Resource[] = [d.ready];
    if (this.algorithm === "sse-kms") {
      deps.push(
        hostStep(this, name, d.adminNode, "key", {
          create: mcKeyCreateScript({ target, keyName: this.keyName }),
          dependsOn: [d.ready],
        }),
      );
    }
    const bucketStep = hostStep(this, name, d.adminNode, "bucket", {
      create: mcBucketScript({ ...b.script, target }),
      dependsOn: deps,
    });
    this.verified = bucketStep.stdout.apply(bucketResultVerified);
    this.registerOutputs({
      bucket: this.bucket,
      algorithm: this.algorithm,
      keyName: this.keyName,
      verified: this.verified,
    });
  }
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

/** One bucket of {@link EncryptedBuckets}, as it was set up. */
export interface EncryptedBucketInfo {
  /** Bucket name. */
  bucket: string;
  /** `sse-kms` or `sse-s3`. */
  algorithm: "sse-kms" | "sse-s3";
  /** KES key that encrypts the bucket's objects (the default key for SSE-S3). */
  keyName: string;
}

/**
 * Several buckets whose objects are encrypted by default, set up as {@link EncryptedBucket} sets
 * up one, but by one step on the admin node for all of them. Use it when a deployment has more
 * than a few buckets: `@pulumi/command` keeps each step's SSH connection open until the run ends,
 * so N EncryptedBuckets hold 2·N connections on the admin node, and this holds one
 * (`docs/sizing.md`).
 *
 * The preview names each bucket: the step's trigger maps every bucket to what it is set up as,
 * so an added, removed or changed bucket reads as one line. Any change re-runs the set-up of
 * every bucket (each part is idempotent); removing a bucket from the list deletes nothing.
 */
export class EncryptedBuckets extends pulumi.ComponentResource {
  /** The buckets, in the order given. */
  readonly buckets: EncryptedBucketInfo[];
  /** Per bucket, whether a probe object was checked with `mc stat`. */
  readonly verified: pulumi.Output<Record<string, boolean>>;

  constructor(name: string, args: EncryptedBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE_TOKENS.encryptedBuckets, name, {}, opts);
    const component = `EncryptedBuckets ${name}`;
    const issues = validateEncryptedBucketsArgs(args);
    checkRule(issues, "name", name, rules.componentName);
    if (issues.ok) {
      args.buckets.forEach((spec, i) => {
        const prev = claim(args.deployment.bucketClaimKey, `bucket ${spec.bucket}`, component);
        if (prev !== undefined)
          issues.add(
            `buckets[${i}].bucket`,
            `${prev} already manages bucket ${JSON.stringify(spec.bucket)} on this deployment, and the two would overwrite each other's encryption settings; manage each bucket in one place.`,
          );
      });
    }
    throwIfInvalid(issues, component, this);
    const d = args.deployment;
    const specs = args.buckets.map((s) => resolveBucket(s, d));
    this.buckets = specs.map(({ bucket, algorithm, keyName }) => ({ bucket, algorithm, keyName }));
    const parts = specs.map((s) => s.script);
    const script = mcBucketsScript({ target: d.mcTarget!, buckets: parts });
    const step = hostStep(this, name, d.adminNode, "buckets", {
      create: script,
      update: script,
      triggers: [Object.fromEntries(parts.map((p) => [p.bucket, bucketSummary(p)]))],
      dependsOn: [d.ready],
    });
    const names = specs.map((s) => s.bucket);
    this.verified = step.stdout.apply((out) => bucketsResultVerified(out, names));
    this.registerOutputs({ buckets: this.buckets, verified: this.verified });
  }
}
