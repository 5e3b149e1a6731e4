import * as pulumi from "@pulumi/pulumi";
import { deployQuickstart } from "./deploy";

const config = new pulumi.Config();
const host = config.requireObject<{ name: string; address: string; port?: number; hostKey?: string }>("host");
const binary = (name: string) =>
  config.requireObject<{ url?: string; localPath?: string; preinstalledPath?: string; sha256?: string }>(
    name,
  );

const { kes, minio, bucket } = deployQuickstart({
  host: { ...host, privateKey: config.requireSecret("sshPrivateKey") },
  kesBinary: binary("kesBinary"),
  minioBinary: binary("minioBinary"),
  mcBinary: binary("mcBinary"),
  rootUser: config.require("rootUser"),
  rootPassword: config.requireSecret("rootPassword"),
});

export const s3Endpoints = minio.endpoints;
export const kesEndpoints = kes.endpoints;
export const minioKesIdentity = kes.minioClient.identity;
export const bucketName = bucket.bucket;
export const bucketAlgorithm = bucket.algorithm;
export const bucketKey = bucket.keyName;
export const bucketVerified = bucket.verified;
