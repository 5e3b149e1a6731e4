import type * as pulumi from "@pulumi/pulumi";
import {
  type BinarySourceArgs,
  EncryptedBucket,
  type HostArgs,
  KesServer,
  KmsTarget,
  MinioDeployment,
} from "pulumi-minio-kes";

/** Inputs of the AWS example. */
export interface AwsConfig {
  region: string;
  kesHosts: HostArgs[];
  minioHosts: HostArgs[];
  drives: string[];
  minioBinary: BinarySourceArgs;
  kesBinary: BinarySourceArgs;
  mcBinary: BinarySourceArgs;
  rootUser: pulumi.Input<string>;
  rootPassword: pulumi.Input<string>;
}

/**
 * AWS Secrets Manager + KMS as the keystore: the library creates the KMS key (alias
 * `alias/aws-kms`) and an IAM user whose policy allows exactly what KES needs on the secrets
 * named `minio-*`.
 */
export function deployAws(c: AwsConfig) {
  const keyNames = ["minio-*"];
  const kms = new KmsTarget("aws-kms", { aws: { region: c.region, secretNames: keyNames } });
  const kes = new KesServer("kes", { hosts: c.kesHosts, kms, binary: c.kesBinary, minioKeyNames: keyNames });
  const minio = new MinioDeployment("minio", {
    nodes: c.minioHosts,
    drives: c.drives,
    rootUser: c.rootUser,
    rootPassword: c.rootPassword,
    kes,
    defaultKeyName: "minio-default",
    binary: c.minioBinary,
    mc: c.mcBinary,
  });
  const bucket = new EncryptedBucket("data", { deployment: minio, bucket: "data", keyName: "minio-data" });
  return { kms, kes, minio, bucket };
}
