import type * as pulumi from "@pulumi/pulumi";
import {
  type BinarySourceArgs,
  EncryptedBucket,
  type HostArgs,
  KesServer,
  KmsTarget,
  MinioDeployment,
} from "pulumi-minio-kes";

/** Inputs of the production layout. */
export interface ProductionConfig {
  /** Four MinIO nodes (DNS names minio1…minio4.example.net as internalAddress). */
  minioHosts: HostArgs[];
  /** Two KES hosts. */
  kesHosts: HostArgs[];
  /** Vault: endpoint, CA, AppRole credentials. */
  vault: {
    endpoint: string;
    caCertPem: pulumi.Input<string>;
    roleId: pulumi.Input<string>;
    secretId: pulumi.Input<string>;
  };
  minioBinary: BinarySourceArgs;
  kesBinary: BinarySourceArgs;
  mcBinary: BinarySourceArgs;
  rootUser: pulumi.Input<string>;
  rootPassword: pulumi.Input<string>;
  /** Buckets to create, each with its own key. */
  buckets: string[];
}

/**
 * Production layout: 4 MinIO nodes × 4 drives over TLS, 2 KES replicas with Vault (KV v2,
 * AppRole), a key per bucket under the `minio-` prefix.
 */
export function deployProduction(c: ProductionConfig) {
  const kms = new KmsTarget("vault", {
    vault: {
      endpoint: c.vault.endpoint,
      engine: "kv",
      version: "v2",
      prefix: "minio-prod",
      approle: { roleId: c.vault.roleId, secretId: c.vault.secretId },
      caCertPem: c.vault.caCertPem,
      statusPing: "10s",
    },
  });
  const kes = new KesServer("kes", {
    hosts: c.kesHosts,
    kms,
    binary: c.kesBinary,
    minioKeyNames: ["minio-*"],
  });
  const minio = new MinioDeployment("minio", {
    nodes: c.minioHosts,
    drives: ["/mnt/disk1/minio", "/mnt/disk2/minio", "/mnt/disk3/minio", "/mnt/disk4/minio"],
    rootUser: c.rootUser,
    rootPassword: c.rootPassword,
    kes,
    defaultKeyName: "minio-default",
    binary: c.minioBinary,
    mc: c.mcBinary,
    tls: true,
  });
  const buckets = c.buckets.map(
    (b) => new EncryptedBucket(b, { deployment: minio, bucket: b, keyName: `minio-${b}` }),
  );
  return { kms, kes, minio, buckets };
}
