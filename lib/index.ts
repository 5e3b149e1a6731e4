/**
 * pulumi-minio-kes: MinIO with server-side encryption through KES and an external KMS,
 * on your own hosts, in one `pulumi up`.
 *
 * @packageDocumentation
 */
export type {
  AwsKmsArgs,
  AzureKmsArgs,
  BinarySourceArgs,
  CertificatePairArgs,
  DriftCheckArgs,
  EncryptedBucketArgs,
  EncryptedBucketSpec,
  EncryptedBucketsArgs,
  EntrustKmsArgs,
  ExternalKesArgs,
  FilesystemKmsArgs,
  FortanixKmsArgs,
  GcpKmsArgs,
  KesClientPolicyArgs,
  KesServerArgs,
  KmsTargetArgs,
  MinioDeploymentArgs,
  MinioPoolArgs,
  ThalesKmsArgs,
  TlsArgs,
  VaultKmsArgs,
} from "./components/args";
export { EncryptedBucket, type EncryptedBucketInfo, EncryptedBuckets } from "./components/encryptedBucket";
export type { BastionArgs, HostArgs } from "./components/hosts";
export { CertificateAuthority, type CertificateAuthorityArgs } from "./components/internal";
export { type KesClientCredentials, KesServer } from "./components/kesServer";
export type { KeystoreFile } from "./components/kmsTarget";
export { KmsTarget } from "./components/kmsTarget";
export { MinioDeployment } from "./components/minioDeployment";
export {
  KesIdentityError,
  kesApiKeyFromPrivateKey,
  kesIdentityFromApiKey,
  kesIdentityFromCertificate,
} from "./core/identity";
export * as render from "./render";
