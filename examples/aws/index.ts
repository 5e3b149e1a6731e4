import * as pulumi from "@pulumi/pulumi";
import type { HostArgs } from "pulumi-minio-kes";
import { deployAws } from "./deploy";

const config = new pulumi.Config();
const sshKey = config.requireSecret("sshPrivateKey");
type HostConfig = { name: string; address: string; internalAddress?: string; hostKey: string };
const hosts = (key: string): HostArgs[] =>
  config.requireObject<HostConfig[]>(key).map((h) => ({ ...h, privateKey: sshKey }));
const binary = (name: string) =>
  config.requireObject<{ url?: string; localPath?: string; preinstalledPath?: string; sha256?: string }>(
    name,
  );

const { kms, kes, minio, bucket } = deployAws({
  region: new pulumi.Config("aws").require("region"),
  kesHosts: hosts("kesHosts"),
  minioHosts: hosts("minioHosts"),
  drives: config.requireObject<string[]>("drives"),
  minioBinary: binary("minioBinary"),
  kesBinary: binary("kesBinary"),
  mcBinary: binary("mcBinary"),
  rootUser: config.require("rootUser"),
  rootPassword: config.requireSecret("rootPassword"),
});

export const kmsKeyArn = kms.awsKmsKeyArn;
export const kesIamUser = kms.awsIamUserName;
export const kesEndpoints = kes.endpoints;
export const s3Endpoints = minio.endpoints;
export const bucketKey = bucket.keyName;
