import type { EnforcementLevel } from "@pulumi/policy";
import { TYPE_TOKENS } from "../core/tokens";

/**
 * Type tokens the policies look for. The component tokens are this library's (`TYPE_TOKENS`, the
 * ones the components register with); the child tokens
 * are those of `@pulumi/command` 1.x and `@pulumi/tls` 5.x.
 */
export const TYPES = {
  /** KmsTarget component. */
  kmsTarget: TYPE_TOKENS.kmsTarget,
  /** KesServer component. */
  kesServer: TYPE_TOKENS.kesServer,
  /** MinioDeployment component. */
  minioDeployment: TYPE_TOKENS.minioDeployment,
  /** EncryptedBucket component. */
  encryptedBucket: TYPE_TOKENS.encryptedBucket,
  /** EncryptedBuckets component. */
  encryptedBuckets: TYPE_TOKENS.encryptedBuckets,
  /** CertificateAuthority component (the CA the library makes when you bring none). */
  certificateAuthority: TYPE_TOKENS.certificateAuthority,
  /** `@pulumi/command` remote command. */
  remoteCommand: "command:remote:Command",
  /** `@pulumi/command` file upload. */
  copyToRemote: "command:remote:CopyToRemote",
  /** `@pulumi/tls` certificate signed by a CA. */
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  /** `@pulumi/tls` self-signed certificate (the library's CA certificate). */
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
} as const;

/** The names of the policies in the pack, as used in policy pack config and in violation reports. */
export const POLICY_NAMES = {
  /** Every EncryptedBucket uses SSE-KMS with a named key. */
  bucketSseKms: "minio-kes-bucket-sse-kms",
  /** Every host is reached with a pinned SSH host key. */
  sshHostKeys: "minio-kes-ssh-host-key-pinned",
  /** No KES policy allows key deletion, and every KES policy denies it. */
  kesKeyDeletion: "minio-kes-kes-no-key-deletion",
  /** Certificates are short-lived enough and not about to expire. */
  certificates: "minio-kes-certificate-validity",
  /** No filesystem keystore outside development stacks. */
  filesystemKeystore: "minio-kes-no-filesystem-keystore",
} as const;

/** Settings shared by every policy of the pack. */
export interface PolicySettings {
  /**
   * How a violation is treated: `mandatory` (the default) fails the preview or update,
   * `advisory` only prints it, `disabled` turns the policy off. Policy pack config
   * (`--policy-pack-config`) overrides it.
   */
  enforcementLevel?: EnforcementLevel;
}

/** Options of the `minio-kes-bucket-sse-kms` policy. */
export interface BucketSseKmsOptions extends PolicySettings {
  /**
   * Bucket names (the `bucket` output, e.g. `logs`) or EncryptedBucket resource names that may
   * use SSE-S3 instead. Default: none.
   */
  exemptBuckets?: string[];
}

/** Options of the `minio-kes-ssh-host-key-pinned` policy. */
export interface SshHostKeyOptions extends PolicySettings {
  /**
   * Also check every `command:remote:Command` and `command:remote:CopyToRemote` in the stack
   * (their `connection.hostKey` and `connection.proxy.hostKey`), not only the components'
   * `unpinnedHosts` facts. Default `true`.
   */
  checkCommands?: boolean;
}

/** Options of the `minio-kes-kes-no-key-deletion` policy. */
export interface KesKeyDeletionOptions extends PolicySettings {
  /**
   * KES API path prefixes that no policy may allow and every policy must deny, e.g.
   * `/v1/key/delete/` (the default, the only entry). A trailing `*` is ignored.
   */
  forbiddenPaths?: string[];
}

/** Options of the `minio-kes-certificate-validity` policy. */
export interface CertificateOptions extends PolicySettings {
  /** Longest validity allowed for a server or client certificate, in days. Default 398. */
  maxValidityDays?: number;
  /** Longest validity allowed for a CA certificate, in days. Default 3650 (the library's CA). */
  maxCaValidityDays?: number;
  /** A certificate that expires within this many days is a violation. Default 30. */
  minRemainingDays?: number;
  /**
   * Which `@pulumi/tls` certificates to check: `library` (the default) checks those inside this
   * library's components; `stack` checks every certificate in the stack.
   */
  scope?: "library" | "stack";
}

/** Options of the `minio-kes-no-filesystem-keystore` policy. */
export interface FilesystemKeystoreOptions extends PolicySettings {
  /**
   * Stacks that may use the filesystem keystore. Each entry is a stack name (`dev`), a pattern
   * with `*` (`dev-*`, `*-sandbox`), or a qualified `project/stack` or `org/project/stack` name.
   * Default: none.
   */
  developmentStacks?: string[];
  /** Allow the filesystem keystore in every stack this pack checks. Default `false`. */
  allowDevelopmentKeystore?: boolean;
}

/** Options of the whole pack: one entry per policy, plus shared settings. */
export interface MinioKesPolicyOptions extends PolicySettings {
  /** {@link BucketSseKmsOptions} */
  bucketSseKms?: BucketSseKmsOptions;
  /** {@link SshHostKeyOptions} */
  sshHostKeys?: SshHostKeyOptions;
  /** {@link KesKeyDeletionOptions} */
  kesKeyDeletion?: KesKeyDeletionOptions;
  /** {@link CertificateOptions} */
  certificates?: CertificateOptions;
  /** {@link FilesystemKeystoreOptions} */
  filesystemKeystore?: FilesystemKeystoreOptions;
  /**
   * The stack being checked, for `developmentStacks`. Default: what the Pulumi CLI tells the
   * policy pack (`PULUMI_NODEJS_STACK`, set by the Node.js language host for policy packs).
   */
  stack?: StackIdentity;
  /** The current time; for tests. Default: `new Date()` at each check. */
  now?: () => Date;
}

/** Which stack is being checked. */
export interface StackIdentity {
  /** Stack name, e.g. `dev`. */
  stack?: string;
  /** Project name, e.g. `minio`. */
  project?: string;
  /** Organization name, e.g. `acme`. */
  organization?: string;
}

/** Built-in defaults of each policy's options. */
export const DEFAULTS = {
  /** Default enforcement of every policy. */
  enforcementLevel: "mandatory" as EnforcementLevel,
  /** Default of {@link CertificateOptions.maxValidityDays}. */
  maxValidityDays: 398,
  /** Default of {@link CertificateOptions.maxCaValidityDays}. */
  maxCaValidityDays: 3650,
  /** Default of {@link CertificateOptions.minRemainingDays}. */
  minRemainingDays: 30,
  /** Default of {@link KesKeyDeletionOptions.forbiddenPaths}. */
  forbiddenPaths: ["/v1/key/delete/"] as readonly string[],
} as const;
