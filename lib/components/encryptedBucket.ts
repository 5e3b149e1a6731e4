import * as pulumi from "@pulumi/pulumi";
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
import { checkRule } from "../core/validate";
import type { EncryptedBucketArgs, EncryptedBucketsArgs } from "./args";
import { claim, hostStep, throwIfInvalid } from "./internal";
import {
  resolveBucket,
  validateEncryptedBucketArgs,
  validateEncryptedBucketsArgs,
} from "./resolve/encryptedBucket";

export { validateEncryptedBucketArgs, validateEncryptedBucketsArgs } from "./resolve/encryptedBucket";

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
