/**
 * The library's type tokens (`<package>:<module>:<Type>`), declared once: the components register
 * with them, and the policy pack (`lib/policy/types.ts`) looks for them.
 */
export const TYPE_TOKENS = {
  /** KmsTarget component. */
  kmsTarget: "minio-kes:kms:KmsTarget",
  /** KesServer component. */
  kesServer: "minio-kes:kes:KesServer",
  /** MinioDeployment component. */
  minioDeployment: "minio-kes:minio:MinioDeployment",
  /** EncryptedBucket component. */
  encryptedBucket: "minio-kes:minio:EncryptedBucket",
  /** EncryptedBuckets component (several buckets set up by one step). */
  encryptedBuckets: "minio-kes:minio:EncryptedBuckets",
  /** CertificateAuthority component (the CA the library makes when you bring none). */
  certificateAuthority: "minio-kes:tls:CertificateAuthority",
} as const;
