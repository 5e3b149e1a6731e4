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

/** Paths KES uses on each host (not arguments: fixed by the library). */
export const KES_PATHS = {
  dir: "/etc/kes",
  config: "/etc/kes/config.yaml",
  secretEnv: "/etc/kes/kes.env",
  cert: "/etc/kes/server.crt",
  key: "/etc/kes/server.key",
  ca: "/etc/kes/ca.crt",
  home: "/var/lib/kes",
  unit: "kes.service",
  unitFile: "/etc/systemd/system/kes.service",
  user: "kes",
} as const;

/** Paths MinIO uses on each node (not arguments: fixed by the library, except with `existing`). */
export const MINIO_PATHS = {
  envFile: "/etc/default/minio",
  configDir: "/etc/minio",
  kesCa: "/etc/minio/kes-ca.crt",
  kesClientCert: "/etc/minio/kes-client.crt",
  kesClientKey: "/etc/minio/kes-client.key",
  certsDir: "/etc/minio/certs",
  /** The CA MinIO and mc verify MinIO's certificates with. */
  tlsCa: "/etc/minio/certs/CAs/ca.crt",
  unit: "minio.service",
  unitFile: "/etc/systemd/system/minio.service",
  user: "minio-user",
  home: "/var/lib/minio",
  mcConfigDir: "/root/.pulumi-minio-kes/mc",
} as const;

/** Where installed binaries go when no `preinstalledPath` is given. */
export const BINARY_DIR = "/usr/local/bin";
