import type * as pulumi from "@pulumi/pulumi";
import {
  type BinarySourceArgs,
  EncryptedBucket,
  type HostArgs,
  KesServer,
  KmsTarget,
  MinioDeployment,
  type TlsArgs,
} from "pulumi-minio-kes";

/** What the quickstart needs: one host, three binaries, root credentials. */
export interface QuickstartConfig {
  /** The one host (KES and MinIO share it). */
  host: HostArgs;
  /** Your MinIO, KES and mc binaries (a URL with sha256, a local file, or preinstalled). */
  minioBinary: BinarySourceArgs;
  kesBinary: BinarySourceArgs;
  mcBinary: BinarySourceArgs;
  rootUser: pulumi.Input<string>;
  rootPassword: pulumi.Input<string>;
  /** Drives on the host. Default one drive at /var/lib/minio/data. */
  drives?: string[];
  /** KES TLS; by default a CA and certificate are generated with @pulumi/tls. */
  kesTls?: TlsArgs;
}

/**
 * Quickstart: KES with the filesystem keystore (development only) and MinIO on the same host,
 * one bucket encrypted with SSE-KMS and checked with `mc stat`.
 */
export function deployQuickstart(c: QuickstartConfig) {
  const kms = new KmsTarget("dev-kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
  const kes = new KesServer("kes", {
    hosts: [c.host],
    kms,
    binary: c.kesBinary,
    minioKeyNames: ["minio-*"],
    tls: c.kesTls,
  });
  const minio = new MinioDeployment("minio", {
    nodes: [c.host],
    drives: c.drives ?? ["/var/lib/minio/data"],
    rootUser: c.rootUser,
    rootPassword: c.rootPassword,
    kes,
    defaultKeyName: "minio-default",
    binary: c.minioBinary,
    mc: c.mcBinary,
  });
  const bucket = new EncryptedBucket("invoices", {
    deployment: minio,
    bucket: "invoices",
    keyName: "minio-invoices",
  });
  return { kes, minio, bucket };
}
