import * as pulumi from "@pulumi/pulumi";
import type { HostArgs } from "pulumi-minio-kes";
import { deployProduction } from "./deploy";

const config = new pulumi.Config();
const sshKey = config.requireSecret("sshPrivateKey");
type HostConfig = { name: string; address: string; internalAddress?: string; hostKey: string };
const hosts = (key: string): HostArgs[] =>
  config.requireObject<HostConfig[]>(key).map((h) => ({
    name: h.name,
    address: h.address,
    internalAddress: h.internalAddress,
    hostKey: h.hostKey,
    privateKey: sshKey,
  }));
const binary = (name: string) =>
  config.requireObject<{ url?: string; localPath?: string; preinstalledPath?: string; sha256?: string }>(
    name,
  );

const { kes, minio, buckets } = deployProduction({
  minioHosts: hosts("minioHosts"),
  kesHosts: hosts("kesHosts"),
  vault: {
    endpoint: config.require("vaultEndpoint"),
    caCertPem: config.require("vaultCaCertPem"),
    roleId: config.requireSecret("vaultRoleId"),
    secretId: config.requireSecret("vaultSecretId"),
  },
  minioBinary: binary("minioBinary"),
  kesBinary: binary("kesBinary"),
  mcBinary: binary("mcBinary"),
  rootUser: config.require("rootUser"),
  rootPassword: config.requireSecret("rootPassword"),
  buckets: config.getObject<string[]>("buckets") ?? ["invoices", "backups"],
});

export const s3Endpoints = minio.endpoints;
export const volumes = minio.volumes;
export const kesEndpoints = kes.endpoints;
export const kesCertificateNotAfter = kes.certificateNotAfter;
export const minioCertificateNotAfter = minio.certificateNotAfter;
export const bucketEncryption = buckets.map((b) => ({
  bucket: b.bucket,
  algorithm: b.algorithm,
  key: b.keyName,
}));
