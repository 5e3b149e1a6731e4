/**
 * Every default of the components' arguments, declared once. The components read them from here,
 * and the TSDoc `@default` tag of each argument is checked against them
 * (`test/unit/defaults.test.ts`), so the docs cannot drift from what the code does.
 */
import { KES_DEFAULT_PORT } from "./kesConfig";
import { MINIO_DEFAULT_PORT } from "./minioEnv";

/** Defaults of `KesServerArgs` (and the `KmsTarget` filesystem keystore). */
export const KES_DEFAULTS = {
  /** KES's listen port. */
  port: KES_DEFAULT_PORT,
  /** Seconds to wait for `/v1/ready`. */
  healthTimeoutSeconds: 60,
  /** Validity of generated server certificates, in hours (one year). */
  certificateValidityHours: 8760,
  /** How MinIO authenticates to KES. */
  minioAuth: "apiKey",
  /** The binary's file name under `/usr/local/bin`. */
  binaryName: "kes",
  /** The filesystem keystore's directory. */
  keystoreDir: "/var/lib/kes/keys",
} as const;

/** Defaults of `MinioDeploymentArgs`. */
export const MINIO_DEFAULTS = {
  /** S3 API port. */
  port: MINIO_DEFAULT_PORT,
  /** Console port. */
  consolePort: 9001,
  /** Seconds each service step and the ready gate wait for health. */
  healthTimeoutSeconds: 120,
  /** Validity of generated server certificates, in hours (one year). */
  certificateValidityHours: 8760,
  /** The binary's file name under `/usr/local/bin`. */
  binaryName: "minio",
} as const;

/** Defaults of `EncryptedBucketArgs` (and each bucket of `EncryptedBuckets`). */
export const BUCKET_DEFAULTS = {
  /** Default encryption. */
  algorithm: "sse-kms",
  /** Whether a probe object is written and checked. */
  verify: true,
} as const;

/** Defaults of `HostArgs` (and its bastion). */
export const HOST_DEFAULTS = {
  /** SSH port. */
  port: 22,
  /** SSH user. */
  user: "root",
} as const;

/** Defaults of `CertificateAuthorityArgs`. */
export const CA_DEFAULTS = {
  /** Validity of the CA certificate, in hours (ten years). */
  validityHours: 87600,
} as const;

/** Defaults of `TlsArgs` shared by KES and MinIO. */
export const TLS_DEFAULTS = {
  /** Warn when a certificate expires within this many days. */
  expiryWarningDays: 30,
} as const;
