/**
 * Bad-input table for the four components' validators. Every row starts from a valid baseline,
 * breaks one thing, and checks that the validator reports it on the exact field, with a message
 * that says how to fix it (kes-minio.md §3, §4, §6 pitfalls 2, 3, 10, 11).
 *
 * Some rows need real component instances (a KesServer for MinioDeployment.kes, a
 * MinioDeployment for EncryptedBucket); those are created under Pulumi mocks in beforeAll.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  BinarySourceArgs,
  EncryptedBucketArgs,
  ExternalKesArgs,
  KesServerArgs,
  KmsTargetArgs,
  MinioDeploymentArgs,
} from "../../lib/components/args";
import { EncryptedBucket, validateEncryptedBucketArgs } from "../../lib/components/encryptedBucket";
import type { HostArgs } from "../../lib/components/hosts";
import { KesServer, validateKesServerArgs } from "../../lib/components/kesServer";
import { KmsTarget, validateKmsTargetArgs } from "../../lib/components/kmsTarget";
import { MinioDeployment, validateMinioDeploymentArgs } from "../../lib/components/minioDeployment";
import type { Issues } from "../../lib/core/validate";
import { mockState } from "../helpers/mockGraph";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/**
 * True when a message tells the user what to do: an imperative verb at the start of a
 * sentence or clause (after `.`, `;`, `:`, `(`, `,`, or "either/or/and/must").
 */
const ACTION_RE =
  /(?:^|[.;:(,!?—–]\s*|\b(?:either|or|and|then|must)\s+)(set|give|use|add|remove|write|list|choose|put|pass|say|compute|issue|make|rename|create|run|drop|replace|change|pick|keep|point|install|generate|delete)\b/i;

function isActionable(message: string): boolean {
  return ACTION_RE.test(message);
}

/** A plausible Ed25519 host key line (fake). */
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2UtaG9zdC1rZXktZm9yLXZhbGlkYXRpb24tdGVzdHM";
/** A well-formed KES API key (kes-minio.md §2 test vector). */
const API_KEY = "kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs";

const host = (name: string): HostArgs => ({
  name,
  address: `${name}.example.net`,
  privateKey: "k",
  hostKey: HOST_KEY,
});
const binary = (file: string): BinarySourceArgs => ({
  url: `https://mirror.example.net/${file}`,
  sha256: "a".repeat(64),
});

/** Certificates made with openssl in beforeAll (Node cannot issue X.509). */
const certs = {
  /** Self-signed CA certificate (PEM). */
  ca: "",
  caKey: "",
  /** SANs kes1/kes2/minio1/minio2.example.net. */
  good: "",
  /** SAN DNS:other.example.net only. */
  other: "",
  /** No subjectAltName at all. */
  noSan: "",
};

// ---------------------------------------------------------------------------------------
// Mocks and instances
// ---------------------------------------------------------------------------------------

/** Every resource registration the mocks saw, in order. */
const registered: Array<{ type: string; name: string; custom: boolean }> = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until no registration arrived for `quietMs`. */
async function settle(quietMs = 300, maxMs = 20_000): Promise<void> {
  const start = Date.now();
  let last = registered.length;
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    await sleep(25);
    if (registered.length !== last) {
      last = registered.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

const inst = {} as {
  kms: KmsTarget;
  kes: KesServer;
  /** With kes (the KesServer) and mc. */
  deployment: MinioDeployment;
  /** With mc, without kes. */
  noKes: MinioDeployment;
  /** With kes, without mc. */
  noMc: MinioDeployment;
  /** KES on host minio1 (shared with MinIO), listening on 9000 (MinIO's default port). */
  kesOnMinioPort: KesServer;
};

let workDir = "";

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "validation-test-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: workDir, stdio: "pipe" });
  const selfSigned = (base: string, cn: string, san?: string) => {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.crt`,
      "-subj",
      `/CN=${cn}`,
      "-days",
      "2",
      ...(san ? ["-addext", `subjectAltName=${san}`] : []),
    );
    return readFileSync(join(workDir, `${base}.crt`), "utf8");
  };
  certs.ca = selfSigned("ca", "validation test CA");
  certs.caKey = readFileSync(join(workDir, "ca.key"), "utf8");
  certs.good = selfSigned(
    "good",
    "kes1.example.net",
    "DNS:kes1.example.net,DNS:kes2.example.net,DNS:minio1.example.net,DNS:minio2.example.net",
  );
  certs.other = selfSigned("other", "other.example.net", "DNS:other.example.net");
  certs.noSan = selfSigned("nosan", "kes1.example.net");

  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        registered.push({ type: a.type, name: a.name, custom: a.custom ?? false });
        return {
          id: `${a.name}-id`,
          state: mockState(a.type, a.name, a.inputs, {
            certPem: certs.good,
            validityEndTime: "2030-01-01T00:00:00Z",
          }),
        };
      },
      call: (a) => a.inputs,
    },
    "validation",
    "test",
    false,
  );
  inst.kms = new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
  inst.kes = new KesServer("kes", {
    hosts: [host("kes1")],
    kms: inst.kms,
    binary: binary("kes"),
    minioKeyNames: ["minio-*"],
  });
  // Host "kes9" at minio9's address: one machine under two names (the deployments below have
  // their own hosts: two components writing the same files on one host are refused).
  inst.kesOnMinioPort = new KesServer("kes-shared", {
    hosts: [{ ...host("kes9"), address: "minio9.example.net" }],
    kms: inst.kms,
    binary: binary("kes"),
    port: 9000,
    minioKeyNames: ["minio-*"],
  });
  const minioArgs = (kes: boolean, mc: boolean, node = "minio1"): MinioDeploymentArgs => ({
    nodes: [host(node)],
    drives: ["/mnt/disk1"],
    rootUser: "admin",
    rootPassword: "correct-horse-battery",
    binary: binary("minio"),
    ...(kes ? { kes: inst.kes, defaultKeyName: "minio-default" } : {}),
    ...(mc ? { mc: binary("mc") } : {}),
  });
  inst.deployment = new MinioDeployment("minio", minioArgs(true, true));
  inst.noKes = new MinioDeployment("minio-nokes", minioArgs(false, true, "minio3"));
  inst.noMc = new MinioDeployment("minio-nomc", minioArgs(true, false, "minio4"));
  await settle();
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Baselines (one valid set of arguments per component; a fresh object on every call)
// ---------------------------------------------------------------------------------------

const kmsBaseline = (): KmsTargetArgs => ({
  vault: {
    endpoint: "https://vault.example.net:8200",
    version: "v2",
    engine: "kv",
    prefix: "minio-prod",
    approle: { roleId: "role-id", secretId: "secret-id" },
    statusPing: "10s",
  },
});

const kesBaseline = (): KesServerArgs => ({
  hosts: [host("kes1"), host("kes2")],
  kms: inst.kms,
  binary: binary("kes"),
  port: 7373,
  minioKeyNames: ["minio-default", "minio-*"],
  cache: { any: "5m", unused: "30s", offline: "0s" },
});

const externalKes = (): ExternalKesArgs => ({
  endpoints: ["https://kes1.example.net:7373", "https://kes2.example.net:7373"],
  caCertPem: "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n",
  apiKey: API_KEY,
});

const minioBaseline = (): MinioDeploymentArgs => ({
  nodes: [host("minio1"), host("minio2")],
  drives: ["/mnt/disk1", "/mnt/disk2"],
  rootUser: "admin",
  rootPassword: "correct-horse-battery",
  kes: externalKes(),
  defaultKeyName: "minio-default",
  binary: binary("minio"),
  mc: binary("mc"),
  port: 9000,
  consolePort: 9001,
  extraEnv: { MINIO_BROWSER: "off" },
});

const bucketBaseline = (): EncryptedBucketArgs => ({
  deployment: inst.deployment,
  bucket: "invoices",
  algorithm: "sse-kms",
  keyName: "minio-invoices",
});

/** The external KES of a MinIO baseline. */
const ext = (a: MinioDeploymentArgs) => a.kes as ExternalKesArgs;

// ---------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------

interface Row<T> {
  /** What is wrong. */
  desc: string;
  /** Break a fresh baseline. */
  bad: (a: T) => void;
  /** The exact field of the expected issue. */
  field: string;
  /** What the message must say (the fix). */
  fix: RegExp;
  /** Fields that must have no issue at all (the mistake must not be reported twice). */
  absent?: string[];
}

const kmsRows: Row<KmsTargetArgs>[] = [
  {
    desc: "vault endpoint with a path",
    bad: (a) => {
      a.vault!.endpoint = "https://vault.example.net:8200/v1/";
    },
    field: "vault.endpoint",
    fix: /remove them and write only https:\/\/host:port/,
  },
  {
    desc: "no keystore at all",
    bad: (a) => {
      delete a.vault;
    },
    field: "kmsTarget",
    fix: /give exactly one keystore \(filesystem, vault, aws.*\); got none/,
  },
  {
    desc: "two keystores (filesystem and vault)",
    bad: (a) => {
      a.filesystem = { acknowledgeDevelopmentOnly: true };
    },
    field: "kmsTarget",
    fix: /give exactly one keystore .*got filesystem and vault/,
  },
  {
    desc: "filesystem keystore in /etc (a system directory would be handed to kes)",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: true, path: "/etc" };
    },
    field: "filesystem.path",
    fix: /keystore directory "\/etc" is a system directory.*e\.g\. \/var\/lib\/kes\/keys/,
  },
  {
    desc: "filesystem keystore in /var/lib",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: true, path: "/var/lib" };
    },
    field: "filesystem.path",
    fix: /is a system directory/,
  },
  {
    desc: "filesystem keystore without acknowledgement",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: false };
    },
    field: "filesystem.acknowledgeDevelopmentOnly",
    fix: /set acknowledgeDevelopmentOnly: true/,
  },
  {
    desc: "vault without any auth method",
    bad: (a) => {
      delete a.vault!.approle;
    },
    field: "vault",
    fix: /give exactly one Vault auth method: approle \{ roleId, secretId \} or kubernetes/,
  },
  {
    desc: "vault with both approle and kubernetes auth",
    bad: (a) => {
      a.vault!.kubernetes = { role: "kes", jwt: "/var/run/secrets/kubernetes.io/serviceaccount/token" };
    },
    field: "vault",
    fix: /give exactly one Vault auth method/,
  },
  {
    desc: "vault endpoint that is not a URL",
    bad: (a) => {
      a.vault!.endpoint = "vault example net";
    },
    field: "vault.endpoint",
    fix: /write it as https:\/\/host:port/,
  },
  {
    desc: "vault statusPing that is not a duration",
    bad: (a) => {
      a.vault!.statusPing = "10 seconds";
    },
    field: "vault.statusPing",
    fix: /write it like 30s, 5m or 1h/,
  },
  {
    desc: "azure with both client credentials and a managed identity",
    bad: (a) => {
      delete a.vault;
      a.azure = {
        endpoint: "https://kes.vault.azure.net",
        credentials: { tenantId: "t", clientId: "c", clientSecret: "s" },
        managedIdentityClientId: "mi",
      };
    },
    field: "azure",
    fix: /give exactly one of credentials \{ tenantId, clientId, clientSecret \} and managedIdentityClientId/,
  },
  {
    desc: "azure with neither client credentials nor a managed identity",
    bad: (a) => {
      delete a.vault;
      a.azure = { endpoint: "https://kes.vault.azure.net" };
    },
    field: "azure",
    fix: /give exactly one of credentials/,
  },
  {
    desc: "azure endpoint over http",
    bad: (a) => {
      delete a.vault;
      a.azure = { endpoint: "http://kes.vault.azure.net", managedIdentityClientId: "mi" };
    },
    field: "azure.endpoint",
    fix: /write it with https:\/\//,
  },
  {
    desc: "aws region that is not a region",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "Frankfurt", useInstanceRole: true };
    },
    field: "aws.region",
    fix: /write it like "eu-central-1"/,
  },
  {
    desc: "aws generated credentials without secretNames",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1" };
    },
    field: "aws.secretNames",
    fix: /list the key names \(or prefixes like "minio-\*"\)/,
  },
  {
    desc: "aws with credentials and useInstanceRole",
    bad: (a) => {
      delete a.vault;
      a.aws = {
        region: "eu-central-1",
        credentials: { accessKey: "a", secretKey: "s" },
        useInstanceRole: true,
      };
    },
    field: "aws",
    fix: /choose one way for KES to get AWS credentials/,
  },
  {
    desc: "aws createKey together with kmsKeyId",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1", useInstanceRole: true, kmsKeyId: "alias/kes", createKey: true };
    },
    field: "aws.createKey",
    fix: /either create a key or name an existing one/,
  },
  {
    desc: "aws secretNames entry with a trailing space",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1", secretNames: ["minio-default "] };
    },
    field: "aws.secretNames[0]",
    fix: /remove them/,
  },
  {
    desc: "aws secretNames entry ''",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1", secretNames: [""] };
    },
    field: "aws.secretNames[0]",
    fix: /set a KES key name, e\.g\. `minio-default`/,
  },
  {
    desc: "aws secretNames pattern 'minio.*' (dot before '*')",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1", secretNames: ["minio.*"] };
    },
    field: "aws.secretNames[0]",
    fix: /use only letters, digits, '_' and '-' before '\*', e\.g\. "minio-\*"/,
  },
  {
    desc: "aws secretNames pattern '-minio-*' (leading '-')",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1", secretNames: ["minio-default", "-minio-*"] };
    },
    field: "aws.secretNames[1]",
    fix: /remove the leading '-'/,
  },
  {
    desc: "aws secretNames pattern 'mi*nio*' ('*' before the end)",
    bad: (a) => {
      delete a.vault;
      a.aws = { region: "eu-central-1", secretNames: ["mi*nio*"] };
    },
    field: "aws.secretNames[0]",
    fix: /put '\*' only at the end/,
  },
  {
    desc: "vault transit with an empty key",
    bad: (a) => {
      a.vault!.transit = { key: "" };
    },
    field: "vault.transit.key",
    fix: /set transit\.key to the name of the transit key/,
  },
  {
    desc: "vault KV version 'v3'",
    bad: (a) => {
      a.vault!.version = "v3" as never;
    },
    field: "vault.version",
    fix: /set it to "v1" or "v2"/,
  },
  {
    desc: "vault prefix with a leading '/'",
    bad: (a) => {
      a.vault!.prefix = "/minio";
    },
    field: "vault.prefix",
    fix: /remove the leading or trailing '\/'/,
  },
  {
    desc: "vault prefix with a trailing '/'",
    bad: (a) => {
      a.vault!.prefix = "minio/";
    },
    field: "vault.prefix",
    fix: /remove the leading or trailing '\/'/,
  },
  {
    desc: "vault kubernetes auth with an empty role",
    bad: (a) => {
      delete a.vault!.approle;
      a.vault!.kubernetes = { role: "", jwt: "/var/run/secrets/kubernetes.io/serviceaccount/token" };
    },
    field: "vault.kubernetes.role",
    fix: /set kubernetes\.role to the Vault role KES logs in with/,
  },
  {
    desc: "filesystem keystore with a relative path",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: true, path: "keys" };
    },
    field: "filesystem.path",
    fix: /must be an absolute path; write it from the root, e\.g\. \/var\/lib\/kes\/keys/,
  },
  {
    desc: "gcp with an empty projectId",
    bad: (a) => {
      delete a.vault;
      a.gcp = { projectId: "" };
    },
    field: "gcp.projectId",
    fix: /set projectId to the GCP project/,
  },
  {
    desc: "entrust with an empty vaultId",
    bad: (a) => {
      delete a.vault;
      a.entrust = {
        endpoint: "https://keycontrol.example.net",
        vaultId: "",
        boxId: "box",
        username: "u",
        password: "p",
      };
    },
    field: "entrust.vaultId",
    fix: /set vaultId to the KeyControl vault id/,
  },
  {
    desc: "entrust with an empty boxId",
    bad: (a) => {
      delete a.vault;
      a.entrust = {
        endpoint: "https://keycontrol.example.net",
        vaultId: "vault",
        boxId: "",
        username: "u",
        password: "p",
      };
    },
    field: "entrust.boxId",
    fix: /set boxId to the KeyControl box id/,
  },
];

const kesRows: Row<KesServerArgs>[] = [
  {
    desc: "healthTimeoutSeconds above 3600",
    bad: (a) => {
      a.healthTimeoutSeconds = 7200;
    },
    field: "healthTimeoutSeconds",
    fix: /set healthTimeoutSeconds to a whole number of seconds from 5 to 3600/,
  },
  {
    desc: "client identity that is not a SHA-256 hex string",
    bad: (a) => {
      a.clients = [{ name: "app", identities: ["not-an-identity"], allow: ["/v1/key/generate/app-*"] }];
    },
    field: "clients[0].identities[0]",
    fix: /write the identity as 64 lowercase hex characters/,
  },
  {
    desc: "key name of 81 characters",
    bad: (a) => {
      a.minioKeyNames = ["x".repeat(81)];
    },
    field: "minioKeyNames[0]",
    fix: /rename it to at most 80 characters/,
  },
  {
    desc: "key name with a leading space",
    bad: (a) => {
      a.minioKeyNames = [" minio-default"];
    },
    field: "minioKeyNames[0]",
    fix: /leading or trailing spaces; remove them/,
  },
  {
    desc: "key name '_' (reserved by KES)",
    bad: (a) => {
      a.minioKeyNames = ["minio-*", "_"];
    },
    field: "minioKeyNames[1]",
    fix: /choose another name/,
  },
  {
    desc: "no key names at all",
    bad: (a) => {
      a.minioKeyNames = [];
    },
    field: "minioKeyNames",
    fix: /list the key names MinIO may use.*"minio-\*"/,
  },
  {
    desc: "no hosts",
    bad: (a) => {
      a.hosts = [];
    },
    field: "hosts",
    fix: /list at least 1 host, each with name, address and privateKey/,
  },
  {
    desc: "duplicate host names",
    bad: (a) => {
      a.hosts[1]!.name = "kes1";
    },
    field: "hosts[1].name",
    fix: /used twice .*give each host its own name/,
  },
  {
    desc: "host without a private key",
    bad: (a) => {
      a.hosts[0]!.privateKey = "";
    },
    field: "hosts[0].privateKey",
    fix: /pass it from a secret: config\.requireSecret/,
  },
  {
    desc: "binary source missing",
    bad: (a) => {
      a.binary = undefined as never;
    },
    field: "binary",
    fix: /say where the kes binary comes from: \{ url, sha256 \}, \{ localPath, sha256 \} or \{ preinstalledPath \}/,
  },
  {
    desc: "binary source with none of url, localPath, preinstalledPath",
    bad: (a) => {
      a.binary = { sha256: "a".repeat(64) };
    },
    field: "binary",
    fix: /give exactly one of url, localPath and preinstalledPath \(got none\)/,
  },
  {
    desc: "binary source with url and localPath",
    bad: (a) => {
      a.binary.localPath = "/opt/build/kes";
    },
    field: "binary",
    fix: /give exactly one of url, localPath and preinstalledPath \(got url and localPath\)/,
  },
  {
    desc: "binary url without sha256",
    bad: (a) => {
      delete a.binary.sha256;
    },
    field: "binary.sha256",
    fix: /compute it with `sha256sum FILE`/,
  },
  {
    desc: "bring-your-own certificate whose SAN does not cover the host",
    bad: (a) => {
      a.tls = {
        ca: { certPem: certs.ca, keyPem: certs.caKey },
        certificates: { kes1: { certPem: certs.other, keyPem: "key" } },
      };
    },
    field: "tls.certificates.kes1.certPem",
    fix: /Add kes1\.example\.net as a SAN/,
  },
  {
    desc: "bring-your-own certificate without any SAN",
    bad: (a) => {
      a.tls = {
        ca: { certPem: certs.ca, keyPem: certs.caKey },
        certificates: { kes1: { certPem: certs.noSan, keyPem: "key" } },
      };
    },
    field: "tls.certificates.kes1.certPem",
    fix: /no DNS or IP SAN.*Issue it with a SAN/,
  },
  {
    desc: "bring-your-own certificates without caCertPem or ca",
    bad: (a) => {
      a.tls = {
        certificates: {
          kes1: { certPem: certs.good, keyPem: "key" },
          kes2: { certPem: certs.good, keyPem: "key" },
        },
      };
    },
    field: "tls.caCertPem",
    fix: /give the CA certificate that signed them \(caCertPem\)/,
  },
  {
    desc: "bring-your-own certificate for one host only, without a CA for the rest",
    bad: (a) => {
      a.tls = { caCertPem: certs.ca, certificates: { kes1: { certPem: certs.good, keyPem: "key" } } };
    },
    field: "tls.certificates",
    fix: /hosts kes2 have no certificate; give one for every host, or give tls\.ca/,
  },
  {
    desc: "cache.unused that is not a duration",
    bad: (a) => {
      a.cache = { any: "5m", unused: "thirty" };
    },
    field: "cache.unused",
    fix: /write it like 30s/,
  },
  {
    desc: "key name 'minio.key' (dot)",
    bad: (a) => {
      a.minioKeyNames = ["minio.key"];
    },
    field: "minioKeyNames[0]",
    fix: /no dots, slashes or spaces\); rename it, e\.g\. to "minio-key"/,
  },
  {
    desc: "key name 'minio/key' (slash)",
    bad: (a) => {
      a.minioKeyNames = ["minio-*", "minio/key"];
    },
    field: "minioKeyNames[1]",
    fix: /rename it, e\.g\. to "minio-key"/,
  },
  {
    desc: "key name 'minio key' (space)",
    bad: (a) => {
      a.minioKeyNames = ["minio key"];
    },
    field: "minioKeyNames[0]",
    fix: /rename it, e\.g\. to "minio-key"/,
  },
  {
    desc: "key name 'mi*nio' ('*' inside a plain name)",
    bad: (a) => {
      a.minioKeyNames = ["mi*nio"];
    },
    field: "minioKeyNames[0]",
    fix: /rename it, e\.g\. to "mi-nio"/,
  },
  {
    desc: "key name '-minio' (leading '-')",
    bad: (a) => {
      a.minioKeyNames = ["-minio"];
    },
    field: "minioKeyNames[0]",
    fix: /remove the leading or trailing '-'/,
  },
  {
    desc: "key name 'minio-' (trailing '-')",
    bad: (a) => {
      a.minioKeyNames = ["minio-default", "minio-"];
    },
    field: "minioKeyNames[1]",
    fix: /remove the leading or trailing '-'/,
  },
  {
    desc: "key name ''",
    bad: (a) => {
      a.minioKeyNames = ["minio-*", ""];
    },
    field: "minioKeyNames[1]",
    fix: /set a KES key name, e\.g\. `minio-default`/,
  },
  {
    desc: "key pattern 'mi*nio*' ('*' before the end)",
    bad: (a) => {
      a.minioKeyNames = ["mi*nio*"];
    },
    field: "minioKeyNames[0]",
    fix: /put '\*' only at the end, e\.g\. "minio-\*"/,
  },
  {
    desc: "key pattern 'minio.*' (dot before '*')",
    bad: (a) => {
      a.minioKeyNames = ["minio.*"];
    },
    field: "minioKeyNames[0]",
    fix: /use only letters, digits, '_' and '-' before '\*'/,
  },
  {
    desc: "key pattern '-minio-*' (leading '-')",
    bad: (a) => {
      a.minioKeyNames = ["minio-default", "-minio-*"];
    },
    field: "minioKeyNames[1]",
    fix: /can only match names starting with '-'.*remove the leading '-'/,
  },
  {
    desc: "host address with an underscore",
    bad: (a) => {
      a.hosts[0]!.address = "kes_1.example.net";
    },
    field: "hosts[0].address",
    fix: /write a DNS name \(letters, digits, '-', '\.'\) or an IP/,
  },
  {
    desc: "host address ''",
    bad: (a) => {
      a.hosts[0]!.address = "";
    },
    field: "hosts[0].address",
    fix: /set address to the IP or DNS name the deploying machine reaches over SSH/,
  },
  {
    desc: "host internalAddress with a space",
    bad: (a) => {
      a.hosts[0]!.internalAddress = "kes 1";
    },
    field: "hosts[0].internalAddress",
    fix: /write a DNS name \(letters, digits, '-', '\.'\) or an IP/,
  },
  {
    desc: "hostKey without its key type",
    bad: (a) => {
      a.hosts[0]!.hostKey = HOST_KEY.split(" ")[1]!;
    },
    field: "hosts[0].hostKey",
    fix: /set hostKey to the key part of `ssh-keyscan -t ed25519 HOST`/,
  },
  {
    desc: "KES port 65536",
    bad: (a) => {
      a.port = 65536;
    },
    field: "port",
    fix: /from 1 to 65535 \(got 65536\); use a free TCP port/,
  },
  {
    desc: "binary sha256 in uppercase hex",
    bad: (a) => {
      a.binary.sha256 = "A".repeat(64);
    },
    field: "binary.sha256",
    fix: /set sha256 to the 64 lowercase hex characters that `sha256sum FILE` prints/,
  },
  {
    desc: "binary sha256 'abc' (too short)",
    bad: (a) => {
      a.binary.sha256 = "abc";
    },
    field: "binary.sha256",
    fix: /set sha256 to the 64 lowercase hex characters/,
  },
  {
    desc: "kms missing",
    bad: (a) => {
      delete (a as Partial<KesServerArgs>).kms;
    },
    field: "kms",
    fix: /pass a KmsTarget resource: kms: new KmsTarget\(/,
  },
  {
    desc: "kms given as plain KmsTargetArgs instead of a KmsTarget",
    bad: (a) => {
      a.kms = { filesystem: { acknowledgeDevelopmentOnly: true } } as never;
    },
    field: "kms",
    fix: /pass a KmsTarget resource.*not its plain arguments/,
  },
  {
    desc: "minioAuth 'mtls'",
    bad: (a) => {
      a.minioAuth = "mtls" as never;
    },
    field: "minioAuth",
    fix: /set it to "apiKey" or "certificate"/,
  },
  {
    desc: "tls.validityHours 1",
    bad: (a) => {
      a.tls = { validityHours: 1 };
    },
    field: "tls.validityHours",
    fix: /set validityHours to a whole number of hours, at least 24/,
  },
  {
    desc: "bring-your-own certificate for an unknown host 'kes9'",
    bad: (a) => {
      a.tls = {
        ca: { certPem: certs.ca, keyPem: certs.caKey },
        certificates: { kes9: { certPem: certs.good, keyPem: "key" } },
      };
    },
    field: "tls.certificates.kes9",
    fix: /no host is named "kes9"; use host names as keys \(kes1, kes2\)/,
  },
  {
    desc: "bring-your-own certPem that is not PEM",
    bad: (a) => {
      a.tls = {
        ca: { certPem: certs.ca, keyPem: certs.caKey },
        certificates: { kes1: { certPem: "garbage", keyPem: "key" } },
      };
    },
    field: "tls.certificates.kes1.certPem",
    fix: /pass it in PEM form \(-----BEGIN CERTIFICATE-----\)/,
  },
  {
    desc: "client policy named 'minio' (reserved)",
    bad: (a) => {
      a.clients = [{ name: "minio", identities: ["a".repeat(64)], allow: ["/v1/key/generate/app-*"] }];
    },
    field: "clients[0].name",
    fix: /rename the policy.*"minio" is reserved/,
  },
  {
    desc: "client allow entry without a leading '/'",
    bad: (a) => {
      a.clients = [{ name: "app", identities: ["a".repeat(64)], allow: ["v1/key"] }];
    },
    field: "clients[0].allow[0]",
    fix: /write allow entries as API paths, like \/v1\/key\/generate\/app-\*/,
  },
];

const minioRows: Row<MinioDeploymentArgs>[] = [
  {
    desc: "existing deployment with a relative env file",
    bad: (a) => {
      delete a.binary;
      delete a.drives;
      delete a.rootUser;
      delete a.rootPassword;
      a.existing = { envFile: "default/minio" };
    },
    field: "existing.envFile",
    fix: /write it from the root, e\.g\. \/etc\/default\/minio/,
  },
  {
    desc: "existing deployment with a unit name that is not a unit",
    bad: (a) => {
      delete a.binary;
      delete a.drives;
      delete a.rootUser;
      delete a.rootPassword;
      a.existing = { unitName: "minio; rm -rf /" };
    },
    field: "existing.unitName",
    fix: /write it like "minio\.service"/,
  },
  {
    desc: "rootPassword with '@' (mc ends the secret at the first '@')",
    bad: (a) => {
      a.rootPassword = "pass@word-long";
    },
    field: "rootPassword",
    fix: /remove it: mc reads the secret in MC_HOST_<alias> up to the first '@'/,
  },
  {
    desc: "external KES endpoint with a path",
    bad: (a) => {
      ext(a).endpoints = ["https://kes1.example.net:7373/v1"];
    },
    field: "kes.endpoints[0]",
    fix: /remove them and write only https:\/\/host:port/,
  },
  {
    desc: "defaultKeyName of 81 characters",
    bad: (a) => {
      a.defaultKeyName = "x".repeat(81);
    },
    field: "defaultKeyName",
    fix: /rename it to at most 80 characters/,
  },
  {
    desc: "kes without defaultKeyName",
    bad: (a) => {
      delete a.defaultKeyName;
    },
    field: "defaultKeyName",
    fix: /set defaultKeyName, e\.g\. "minio-default"/,
  },
  {
    desc: "defaultKeyName not covered by KesServer.minioKeyNames",
    bad: (a) => {
      a.kes = inst.kes;
      a.defaultKeyName = "tenant-default";
    },
    field: "defaultKeyName",
    fix: /not in the KesServer's minioKeyNames \(minio-\*\).*Add it there or rename the key/,
  },
  {
    desc: "defaultKeyName with a trailing space",
    bad: (a) => {
      a.defaultKeyName = "minio-default ";
    },
    field: "defaultKeyName",
    fix: /remove them/,
  },
  {
    desc: "defaultKeyName '_'",
    bad: (a) => {
      a.defaultKeyName = "_";
    },
    field: "defaultKeyName",
    fix: /choose another name/,
  },
  {
    desc: "defaultKeyName without kes",
    bad: (a) => {
      delete a.kes;
    },
    field: "defaultKeyName",
    fix: /add kes or remove defaultKeyName/,
  },
  {
    desc: "external KES endpoint over http",
    bad: (a) => {
      ext(a).endpoints = ["http://kes1.example.net:7373"];
    },
    field: "kes.endpoints[0]",
    fix: /write it with https:\/\//,
  },
  {
    desc: "external KES endpoint that is not a URL",
    bad: (a) => {
      ext(a).endpoints = ["https://kes2.example.net:7373", "kes1 example net"];
    },
    field: "kes.endpoints[1]",
    fix: /write it as https:\/\/host:port/,
  },
  {
    desc: "external KES without endpoints",
    bad: (a) => {
      ext(a).endpoints = [];
    },
    field: "kes.endpoints",
    fix: /list every KES endpoint, e\.g\. \["https:\/\/kes1\.example\.net:7373"\]/,
  },
  {
    desc: "external KES with both apiKey and clientCertificate",
    bad: (a) => {
      ext(a).clientCertificate = { certPem: certs.good, keyPem: "key" };
    },
    field: "kes",
    fix: /give exactly one of apiKey and clientCertificate/,
  },
  {
    desc: "external KES with neither apiKey nor clientCertificate",
    bad: (a) => {
      delete ext(a).apiKey;
    },
    field: "kes",
    fix: /give exactly one of apiKey and clientCertificate/,
  },
  {
    desc: "external KES without caCertPem",
    bad: (a) => {
      ext(a).caCertPem = undefined as never;
    },
    field: "kes.caCertPem",
    fix: /give the CA certificate that signed the KES server certificates/,
  },
  {
    desc: "external KES apiKey that is not a kes:v1: key",
    bad: (a) => {
      ext(a).apiKey = "AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs";
    },
    field: "kes.apiKey",
    fix: /make one with kesApiKeyFromPrivateKey or `kes identity new`/,
  },
  {
    desc: "the same drive listed twice",
    bad: (a) => {
      a.drives = ["/mnt/disk1", "/mnt/disk1"];
    },
    field: "drives[1]",
    fix: /list each drive once/,
  },
  {
    desc: "the same drive listed twice in nodeDrives",
    bad: (a) => {
      a.nodeDrives = { minio2: ["/data/a", "/data/a"] };
    },
    field: "nodeDrives.minio2[1]",
    fix: /list each drive once/,
  },
  {
    desc: "MinIO ellipsis {1...4} in a drive path",
    bad: (a) => {
      a.drives = ["/mnt/disk{1...4}"];
    },
    field: "drives[0]",
    fix: /write drives one by one/,
  },
  {
    desc: "drive path with a space",
    bad: (a) => {
      a.drives = ["/mnt/disk 1", "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /use a plain path/,
  },
  {
    desc: "drive path with '..'",
    bad: (a) => {
      a.drives = ["/mnt/../etc", "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /contains '\.\.'; write the directory it means/,
  },
  {
    desc: "drive /etc (a system directory would be handed to minio-user)",
    bad: (a) => {
      a.drives = ["/etc", "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /is a system directory, which the library would hand to the service user; use a dedicated directory below it/,
  },
  {
    desc: "drive /var/lib/ (trailing slash, still a system directory)",
    bad: (a) => {
      a.drives = ["/mnt/disk1", "/var/lib/"];
    },
    field: "drives[1]",
    fix: /"\/var\/lib\/" is a system directory.*e\.g\. \/mnt\/disk1/,
  },
  {
    desc: "drive //usr//local (doubled slashes, still a system directory)",
    bad: (a) => {
      a.drives = ["//usr//local", "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /is a system directory/,
  },
  {
    desc: "drive path '/'",
    bad: (a) => {
      a.drives = ["/", "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /use a dedicated directory/,
  },
  {
    desc: "duplicate node names",
    bad: (a) => {
      a.nodes[1]!.name = "minio1";
    },
    field: "nodes[1].name",
    fix: /give each host its own name/,
  },
  {
    desc: "no nodes",
    bad: (a) => {
      a.nodes = [];
    },
    field: "nodes",
    fix: /list at least 1 host, each with name, address and privateKey/,
  },
  {
    desc: "node without a private key",
    bad: (a) => {
      delete (a.nodes[1] as Partial<HostArgs>).privateKey;
    },
    field: "nodes[1].privateKey",
    fix: /pass it from a secret/,
  },
  {
    desc: "rootPassword shorter than 8 characters",
    bad: (a) => {
      a.rootPassword = "1234567";
    },
    field: "rootPassword",
    fix: /use a generated secret/,
  },
  {
    desc: "extraEnv sets MINIO_ROOT_USER (managed)",
    bad: (a) => {
      a.extraEnv = { MINIO_ROOT_USER: "other" };
    },
    field: "extraEnv.MINIO_ROOT_USER",
    fix: /use the matching argument \(rootUser, drives, kes, …\) instead/,
  },
  {
    desc: "extraEnv sets MINIO_KMS_KES_API_KEY (managed)",
    bad: (a) => {
      a.extraEnv = { MINIO_KMS_KES_API_KEY: API_KEY };
    },
    field: "extraEnv.MINIO_KMS_KES_API_KEY",
    fix: /use the matching argument/,
  },
  {
    desc: "extraEnv sets MINIO_KMS_SECRET_KEY (static key conflicts with KES)",
    bad: (a) => {
      a.extraEnv = { MINIO_KMS_SECRET_KEY: "my-minio-key:bXltaW5pb2tleQ==" };
    },
    field: "extraEnv.MINIO_KMS_SECRET_KEY",
    fix: /configures another KMS.*remove it/,
  },
  {
    desc: "extraEnv sets MINIO_KMS_SERVER (MinKMS conflicts with KES)",
    bad: (a) => {
      a.extraEnv = { MINIO_BROWSER: "off", MINIO_KMS_SERVER: "https://kms.example.net:7373" };
    },
    field: "extraEnv.MINIO_KMS_SERVER",
    fix: /remove it/,
  },
  {
    desc: "MinIO binary source missing",
    bad: (a) => {
      delete a.binary;
    },
    field: "binary",
    fix: /say where the minio binary comes from/,
  },
  {
    desc: "MinIO binary with url and preinstalledPath",
    bad: (a) => {
      a.binary!.preinstalledPath = "/usr/local/bin/minio";
    },
    field: "binary",
    fix: /give exactly one of url, localPath and preinstalledPath \(got url and preinstalledPath\)/,
  },
  {
    desc: "mc localPath without sha256",
    bad: (a) => {
      a.mc = { localPath: "/opt/build/mc" };
    },
    field: "mc.sha256",
    fix: /sha256sum/,
  },
  {
    desc: "existing deployment with a binary",
    bad: (a) => {
      a.existing = {};
    },
    field: "binary",
    fix: /remove binary, or drop existing/,
  },
  {
    desc: "adminHost that is no node",
    bad: (a) => {
      a.adminHost = "minio3";
    },
    field: "adminHost",
    fix: /use one of minio1, minio2/,
  },
  {
    desc: "MinIO bring-your-own certificates without caCertPem or ca",
    bad: (a) => {
      a.tls = {
        certificates: {
          minio1: { certPem: certs.good, keyPem: "key" },
          minio2: { certPem: certs.good, keyPem: "key" },
        },
      };
    },
    field: "tls.caCertPem",
    fix: /give the CA certificate that signed them \(caCertPem\)/,
  },
  {
    desc: "MinIO bring-your-own certificate without any SAN",
    bad: (a) => {
      a.tls = { caCertPem: certs.ca, certificates: { minio1: { certPem: certs.noSan, keyPem: "key" } } };
    },
    field: "tls.certificates.minio1.certPem",
    fix: /Issue it with a SAN/,
  },
  {
    desc: "MinIO bring-your-own certificate whose SAN does not cover the node",
    bad: (a) => {
      a.tls = { caCertPem: certs.ca, certificates: { minio2: { certPem: certs.other, keyPem: "key" } } };
    },
    field: "tls.certificates.minio2.certPem",
    fix: /Add minio2\.example\.net as a SAN/,
  },
  {
    desc: "defaultKeyName 'minio.key' (dot)",
    bad: (a) => {
      a.defaultKeyName = "minio.key";
    },
    field: "defaultKeyName",
    fix: /rename it, e\.g\. to "minio-key"/,
  },
  {
    desc: "defaultKeyName 'mi*nio' ('*' in a name)",
    bad: (a) => {
      a.defaultKeyName = "mi*nio";
    },
    field: "defaultKeyName",
    fix: /rename it, e\.g\. to "mi-nio"/,
  },
  {
    desc: "defaultKeyName '-minio' (leading '-')",
    bad: (a) => {
      a.defaultKeyName = "-minio";
    },
    field: "defaultKeyName",
    fix: /remove the leading or trailing '-'/,
  },
  {
    desc: "defaultKeyName ''",
    bad: (a) => {
      a.defaultKeyName = "";
    },
    field: "defaultKeyName",
    fix: /set a KES key name, e\.g\. `minio-default`/,
  },
  {
    desc: "nodeDrives gives minio2 fewer drives than the others",
    bad: (a) => {
      a.nodeDrives = { minio2: ["/mnt/disk1"] };
    },
    field: "drives",
    fix: /give every node the same number/,
  },
  {
    desc: "relative drive path",
    bad: (a) => {
      a.drives = ["mnt/disk1", "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /write it from the root, e\.g\. \/mnt\/disk1/,
  },
  {
    desc: "nodeDrives for an unknown node",
    bad: (a) => {
      a.nodeDrives = { minio3: ["/mnt/disk1", "/mnt/disk2"] };
    },
    field: "nodeDrives.minio3",
    fix: /use node names as keys of nodeDrives \(minio1, minio2\)/,
  },
  {
    desc: "the same drive twice",
    bad: (a) => {
      a.drives = ["/mnt/disk1", "/mnt/disk1"];
    },
    field: "drives[1]",
    fix: /list each drive once/,
  },
  {
    desc: "a drive with a trailing slash (the renderer refused it later, outside the issue list)",
    bad: (a) => {
      a.drives = ["/mnt/disk1", "/mnt/disk2/"];
    },
    field: "drives[1]",
    fix: /ends in '\/'; write it without the trailing slash, e\.g\. "\/mnt\/disk2"/,
  },
  {
    desc: "two nodes with the same address",
    bad: (a) => {
      a.nodes[1]!.address = "minio1.example.net";
    },
    field: "nodes[1].address",
    fix: /list each host once/,
  },
  {
    desc: "two nodes whose addresses differ only in case",
    bad: (a) => {
      a.nodes[1]!.address = "MINIO1.Example.NET";
    },
    field: "nodes[1].address",
    fix: /list each host once/,
  },
  {
    desc: "node name with uppercase and '_'",
    bad: (a) => {
      a.nodes[0]!.name = "Minio_1";
    },
    field: "nodes[0].name",
    fix: /rename it to 1–32 lowercase letters, digits or '-'/,
  },
  {
    desc: "hostKey given as a full known_hosts line (with the host name)",
    bad: (a) => {
      a.nodes[0]!.hostKey = `minio1 ${HOST_KEY}`;
    },
    field: "nodes[0].hostKey",
    fix: /set hostKey to the key part of `ssh-keyscan.*without the host name/,
  },
  {
    desc: "node SSH port 0",
    bad: (a) => {
      a.nodes[0]!.port = 0;
    },
    field: "nodes[0].port",
    fix: /use a free TCP port/,
  },
  {
    desc: "port 0",
    bad: (a) => {
      a.port = 0;
    },
    field: "port",
    fix: /from 1 to 65535 \(got 0\); use a free TCP port/,
  },
  {
    desc: "port 70000",
    bad: (a) => {
      a.port = 70000;
    },
    field: "port",
    fix: /from 1 to 65535 \(got 70000\); use a free TCP port/,
  },
  {
    desc: "port equal to consolePort",
    bad: (a) => {
      a.port = 9100;
      a.consolePort = 9100;
    },
    field: "consolePort",
    fix: /both 9100; use two different ports/,
  },
  {
    desc: "consolePort 9000 with the default port",
    bad: (a) => {
      delete a.port;
      a.consolePort = 9000;
    },
    field: "consolePort",
    fix: /both 9000; use two different ports/,
  },
  {
    desc: "port 9001 with the default consolePort",
    bad: (a) => {
      delete a.consolePort;
      a.port = 9001;
    },
    field: "port",
    fix: /both 9001; use two different ports/,
  },
  {
    desc: "KES on a MinIO node (same address, another host name) listening on MinIO's port",
    bad: (a) => {
      a.kes = inst.kesOnMinioPort;
      a.nodes = [host("minio9"), host("minio2")];
      delete a.port;
    },
    field: "port",
    fix: /KES listens on 9000 on minio9, which MinIO shares; use different ports for KES and MinIO/,
  },
  {
    desc: "rootUser shorter than 3 characters",
    bad: (a) => {
      a.rootUser = "ab";
    },
    field: "rootUser",
    fix: /use at least 3/,
  },
  {
    desc: "rootUser missing",
    bad: (a) => {
      delete (a as Partial<MinioDeploymentArgs>).rootUser;
    },
    field: "rootUser",
    fix: /set rootUser \(at least 3 characters\)/,
  },
  {
    desc: "rootPassword missing",
    bad: (a) => {
      delete (a as Partial<MinioDeploymentArgs>).rootPassword;
    },
    field: "rootPassword",
    fix: /set rootPassword from a secret \(at least 8 characters\)/,
  },
  {
    desc: "rootPassword with a newline",
    bad: (a) => {
      a.rootPassword = "correct-horse\nbattery";
    },
    field: "rootPassword",
    fix: /contains a newline or NUL; remove it/,
  },
  {
    desc: "rootPassword with ':'",
    bad: (a) => {
      a.rootPassword = "correct:horse-battery";
    },
    field: "rootPassword",
    fix: /contains ':'; remove it/,
  },
  {
    desc: "rootUser with ':'",
    bad: (a) => {
      a.rootUser = "ad:min";
    },
    field: "rootUser",
    fix: /contains ':'; remove it/,
  },
  {
    desc: "extraEnv sets MINIO_KMS_KES_CA_PATH (misspelt CAPATH)",
    bad: (a) => {
      a.extraEnv = { MINIO_KMS_KES_CA_PATH: "/etc/minio/kes-ca.crt" };
    },
    field: "extraEnv.MINIO_KMS_KES_CA_PATH",
    fix: /is not a MinIO variable and is ignored; remove it/,
  },
  {
    desc: "extraEnv name 'MINIO-BROWSER' (not a variable name)",
    bad: (a) => {
      a.extraEnv = { "MINIO-BROWSER": "off" };
    },
    field: "extraEnv.MINIO-BROWSER",
    fix: /rename it with letters, digits and '_' only/,
  },
  {
    desc: "extraEnv value with a newline",
    bad: (a) => {
      a.extraEnv = { MINIO_BROWSER: "off\non" };
    },
    field: "extraEnv.MINIO_BROWSER",
    fix: /the value contains a newline; remove it/,
  },
  {
    desc: "extraEnv sets MINIO_ROOT_USER_FILE",
    bad: (a) => {
      a.extraEnv = { MINIO_ROOT_USER_FILE: "/run/secrets/user" };
    },
    field: "extraEnv.MINIO_ROOT_USER_FILE",
    fix: /override the root credentials.*remove it and set rootUser\/rootPassword instead/,
  },
  {
    desc: "extraEnv sets MINIO_ROOT_PASSWORD_FILE",
    bad: (a) => {
      a.extraEnv = { MINIO_ROOT_PASSWORD_FILE: "/run/secrets/password" };
    },
    field: "extraEnv.MINIO_ROOT_PASSWORD_FILE",
    fix: /remove it and set rootUser\/rootPassword instead/,
  },
  {
    desc: "extraEnv sets MINIO_ACCESS_KEY (legacy root user)",
    bad: (a) => {
      a.extraEnv = { MINIO_ACCESS_KEY: "admin2" };
    },
    field: "extraEnv.MINIO_ACCESS_KEY",
    fix: /remove it and set rootUser\/rootPassword instead/,
  },
  {
    desc: "extraEnv sets MINIO_SECRET_KEY (legacy root password)",
    bad: (a) => {
      a.extraEnv = { MINIO_SECRET_KEY: "another-password" };
    },
    field: "extraEnv.MINIO_SECRET_KEY",
    fix: /remove it and set rootUser\/rootPassword instead/,
  },
  {
    desc: "extraEnv sets MINIO_KMS_KES_ENCLAVE (removed)",
    bad: (a) => {
      a.extraEnv = { MINIO_KMS_KES_ENCLAVE: "tenant-1" };
    },
    field: "extraEnv.MINIO_KMS_KES_ENCLAVE",
    fix: /removed from MinIO.*is ignored; remove it/,
  },
  {
    desc: "binary url over ftp",
    bad: (a) => {
      a.binary!.url = "ftp://mirror.example.net/minio";
    },
    field: "binary.url",
    fix: /the URL is not usable; use an http\(s\) URL without spaces, quotes, backslashes or control characters \(the value is not shown: it may be secret\)/,
  },
  {
    desc: "binary url that is not a URL",
    bad: (a) => {
      a.binary!.url = "not a url";
    },
    field: "binary.url",
    fix: /the URL is not usable; use an http\(s\) URL without spaces, quotes, backslashes or control characters \(the value is not shown: it may be secret\)/,
  },
  {
    desc: "binary name '../minio' (path traversal)",
    bad: (a) => {
      a.binary!.name = "../minio";
    },
    field: "binary.name",
    fix: /is not a plain file name; use one like "minio"/,
  },
  {
    desc: "binary name 'bin/minio' (a path)",
    bad: (a) => {
      a.binary!.name = "bin/minio";
    },
    field: "binary.name",
    fix: /is not a plain file name; use one like "minio"/,
  },
  {
    desc: "binary localPath relative",
    bad: (a) => {
      a.binary = { localPath: "build/minio", sha256: "a".repeat(64) };
    },
    field: "binary.localPath",
    fix: /write it from the root, e\.g\. \/srv\/binaries\/minio/,
  },
  {
    desc: "binary preinstalledPath relative",
    bad: (a) => {
      a.binary = { preinstalledPath: "minio" };
    },
    field: "binary.preinstalledPath",
    fix: /write it from the root, e\.g\. \/usr\/local\/bin\/minio/,
  },
  {
    desc: "mc sha256 in uppercase hex",
    bad: (a) => {
      a.mc!.sha256 = "A".repeat(64);
    },
    field: "mc.sha256",
    fix: /set sha256 to the 64 lowercase hex characters/,
  },
  {
    desc: "healthTimeoutSeconds 1",
    bad: (a) => {
      a.healthTimeoutSeconds = 1;
    },
    field: "healthTimeoutSeconds",
    fix: /set healthTimeoutSeconds to a whole number of seconds from 5 to 3600/,
  },
];

const bucketRows: Row<EncryptedBucketArgs>[] = [
  {
    desc: "bucket keyName of 81 characters",
    bad: (a) => {
      a.keyName = `minio-${"x".repeat(75)}`;
    },
    field: "keyName",
    fix: /rename it to at most 80 characters/,
  },
  {
    desc: "sse-kms key not allowed by the KesServer",
    bad: (a) => {
      a.keyName = "tenant-invoices";
    },
    field: "keyName",
    fix: /not in the KesServer's minioKeyNames \(minio-\*\).*Add it there or use a matching name/,
  },
  {
    desc: "bucket on a deployment without kes",
    bad: (a) => {
      a.deployment = inst.noKes;
      delete a.keyName;
    },
    field: "deployment",
    fix: /Give the MinioDeployment a kes first/,
  },
  {
    desc: "bucket on a deployment without mc",
    bad: (a) => {
      a.deployment = inst.noMc;
    },
    field: "deployment",
    fix: /set MinioDeployment mc: \{ url, sha256 \}/,
  },
  {
    desc: "deployment that is not a MinioDeployment",
    bad: (a) => {
      a.deployment = { defaultKeyName: "minio-default" } as never;
    },
    field: "deployment",
    fix: /pass the MinioDeployment that holds the bucket/,
  },
  {
    desc: "keyName with a leading space",
    bad: (a) => {
      a.keyName = " minio-invoices";
    },
    field: "keyName",
    fix: /remove them/,
  },
  {
    desc: "keyName '_'",
    bad: (a) => {
      a.keyName = "_";
    },
    field: "keyName",
    fix: /choose another name/,
  },
  {
    desc: "keyName 'minio/key' (slash)",
    bad: (a) => {
      a.keyName = "minio/key";
    },
    field: "keyName",
    fix: /rename it, e\.g\. to "minio-key"/,
  },
  {
    desc: "keyName 'minio key' (space)",
    bad: (a) => {
      a.keyName = "minio key";
    },
    field: "keyName",
    fix: /rename it, e\.g\. to "minio-key"/,
  },
  {
    desc: "keyName 'minio-' (trailing '-')",
    bad: (a) => {
      a.keyName = "minio-";
    },
    field: "keyName",
    fix: /remove the leading or trailing '-'/,
  },
  {
    desc: "keyName ''",
    bad: (a) => {
      a.keyName = "";
    },
    field: "keyName",
    fix: /set a KES key name, e\.g\. `minio-default`/,
  },
  {
    desc: "bucket 'Invoices' (uppercase)",
    bad: (a) => {
      a.bucket = "Invoices";
    },
    field: "bucket",
    fix: /rename it with lowercase letters, digits, '\.' and '-'/,
  },
  {
    desc: "bucket '-invoices' (leading '-')",
    bad: (a) => {
      a.bucket = "-invoices";
    },
    field: "bucket",
    fix: /starting and ending with a letter or digit/,
  },
  {
    desc: "bucket 'in_voices' (underscore)",
    bad: (a) => {
      a.bucket = "in_voices";
    },
    field: "bucket",
    fix: /rename it with lowercase letters, digits, '\.' and '-'/,
  },
  {
    desc: "bucket 'ab' (too short)",
    bad: (a) => {
      a.bucket = "ab";
    },
    field: "bucket",
    fix: /has 2 characters; use 3–63/,
  },
  {
    desc: "bucket of 64 characters",
    bad: (a) => {
      a.bucket = "b".repeat(64);
    },
    field: "bucket",
    fix: /has 64 characters; use 3–63/,
  },
  {
    desc: "bucket 'in..voices'",
    bad: (a) => {
      a.bucket = "in..voices";
    },
    field: "bucket",
    fix: /has '\.\.', '\.-' or '-\.'; rename it/,
  },
  {
    desc: "bucket '192.168.1.10' (an IP address)",
    bad: (a) => {
      a.bucket = "192.168.1.10";
    },
    field: "bucket",
    fix: /looks like an IP address.*rename it/,
  },
  {
    desc: "bucket ''",
    bad: (a) => {
      a.bucket = "";
    },
    field: "bucket",
    fix: /set a bucket name, e\.g\. "invoices"/,
  },
  {
    desc: "bucket 'xn--invoices' (reserved prefix)",
    bad: (a) => {
      a.bucket = "xn--invoices";
    },
    field: "bucket",
    fix: /uses a prefix or suffix S3 reserves.*; rename it/,
  },
  {
    desc: "bucket 'sthree-invoices' (reserved prefix)",
    bad: (a) => {
      a.bucket = "sthree-invoices";
    },
    field: "bucket",
    fix: /uses a prefix or suffix S3 reserves.*; rename it/,
  },
  {
    desc: "bucket 'invoices-s3alias' (reserved suffix)",
    bad: (a) => {
      a.bucket = "invoices-s3alias";
    },
    field: "bucket",
    fix: /uses a prefix or suffix S3 reserves.*; rename it/,
  },
  {
    desc: "bucket 'invoices--ol-s3' (reserved suffix)",
    bad: (a) => {
      a.bucket = "invoices--ol-s3";
    },
    field: "bucket",
    fix: /uses a prefix or suffix S3 reserves.*; rename it/,
  },
  {
    desc: "algorithm 'aes' (reported once, not also as a keyName problem)",
    bad: (a) => {
      a.algorithm = "aes" as never;
    },
    field: "algorithm",
    fix: /set it to "sse-kms" or "sse-s3"/,
    absent: ["keyName"],
  },
  {
    desc: "sse-s3 with a keyName",
    bad: (a) => {
      a.algorithm = "sse-s3";
    },
    field: "keyName",
    fix: /keyName only applies to sse-kms; remove it/,
  },
];

// ---------------------------------------------------------------------------------------
// Rows of the security review (issue 9): rows 4-15 and the one-rulebook rows
// ---------------------------------------------------------------------------------------

const lazy = <T>(v: T) => pulumi.output(v) as unknown as never;
const PEM_NOT = "-----BEGIN CERT-----\nx\n-----END CERT-----\n";

kmsRows.push(
  ...(
    [
      [
        "vault",
        (a: KmsTargetArgs) => {
          a.vault!.endpoint = "http://vault.example.net:8200";
        },
      ],
      [
        "entrust",
        (a: KmsTargetArgs) => {
          delete a.vault;
          a.entrust = {
            endpoint: "http://kc.example.net",
            vaultId: "v",
            boxId: "b",
            username: "u",
            password: "p",
          };
        },
      ],
      [
        "fortanix",
        (a: KmsTargetArgs) => {
          delete a.vault;
          a.fortanix = { endpoint: "http://sdkms.example.net", apiKey: "k" };
        },
      ],
      [
        "thales",
        (a: KmsTargetArgs) => {
          delete a.vault;
          a.thales = { endpoint: "http://ctm.example.net", token: "t" };
        },
      ],
    ] as const
  ).map(
    ([b, bad]): Row<KmsTargetArgs> => ({
      desc: `${b} endpoint over plain http (credentials in clear, row 8)`,
      bad,
      field: `${b}.endpoint`,
      fix: /is plain http, so credentials and keys would cross the network in clear; write it with https:\/\/ \(for a development keystore on a trusted network, set allowInsecureHttp: true\)/,
    }),
  ),
  {
    desc: "azure endpoint over http, even with allowInsecureHttp (Azure Key Vault is https only)",
    bad: (a) => {
      delete a.vault;
      a.allowInsecureHttp = true;
      a.azure = { endpoint: "http://v.vault.azure.net", managedIdentityClientId: "c" };
    },
    field: "azure.endpoint",
    fix: /write it with https:\/\//,
  },
  {
    desc: "allowInsecureHttp with a keystore that has no http endpoint",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: true };
      a.allowInsecureHttp = true;
    },
    field: "allowInsecureHttp",
    fix: /only applies to vault, entrust, fortanix and thales endpoints; remove it/,
  },
  {
    desc: "vault kubernetes with both jwt and jwtFile",
    bad: (a) => {
      delete a.vault!.approle;
      a.vault!.kubernetes = { role: "kes", jwt: "a.b.c", jwtFile: "/var/run/token" };
    },
    field: "vault.kubernetes",
    fix: /give exactly one of jwt \(the token itself, from a secret\) and jwtFile/,
  },
  {
    desc: "vault kubernetes with neither jwt nor jwtFile",
    bad: (a) => {
      delete a.vault!.approle;
      a.vault!.kubernetes = { role: "kes" };
    },
    field: "vault.kubernetes",
    fix: /give exactly one of jwt/,
  },
  {
    desc: "vault kubernetes jwt with '/' (was written as a path into the plain config, row 11)",
    bad: (a) => {
      delete a.vault!.approle;
      a.vault!.kubernetes = { role: "kes", jwt: "eyJ/abc.def.ghi" };
    },
    field: "vault.kubernetes.jwt",
    fix: /jwt is not a JWT.*set jwtFile to the token's path on the KES hosts/,
  },
  {
    desc: "vault kubernetes jwtFile relative",
    bad: (a) => {
      delete a.vault!.approle;
      a.vault!.kubernetes = { role: "kes", jwtFile: "token" };
    },
    field: "vault.kubernetes.jwtFile",
    fix: /jwtFile must be an absolute path/,
  },
  {
    desc: "vault kubernetes jwtFile with a systemd specifier",
    bad: (a) => {
      delete a.vault!.approle;
      a.vault!.kubernetes = { role: "kes", jwtFile: "/run/%i/token" };
    },
    field: "vault.kubernetes.jwtFile",
    fix: /characters systemd or the shell would read differently/,
  },
  {
    desc: "filesystem keystore path with '%'",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: true, path: "/var/lib/kes/%i" };
    },
    field: "filesystem.path",
    fix: /characters systemd or the shell would read differently/,
  },
  {
    desc: "filesystem keystore path with a trailing slash",
    bad: (a) => {
      delete a.vault;
      a.filesystem = { acknowledgeDevelopmentOnly: true, path: "/var/lib/kes/keys/" };
    },
    field: "filesystem.path",
    fix: /write it without the trailing slash, e\.g\. "\/var\/lib\/kes\/keys"/,
  },
  {
    desc: "vault approle roleId empty",
    bad: (a) => {
      a.vault!.approle!.roleId = "";
    },
    field: "vault.approle.roleId",
    fix: /set a non-empty value/,
  },
  {
    desc: "vault approle secretId with a newline",
    bad: (a) => {
      a.vault!.approle!.secretId = "secret\nKES_X=1";
    },
    field: "vault.approle.secretId",
    fix: /contains a newline; remove it/,
  },
  {
    desc: "vault caCertPem not in PEM form",
    bad: (a) => {
      a.vault!.caCertPem = PEM_NOT;
    },
    field: "vault.caCertPem",
    fix: /pass the certificate in PEM form/,
  },
  ...(
    [
      ["fortanix.apiKey", { fortanix: { endpoint: "https://sdkms.example.net", apiKey: "" } }, /non-empty/],
      ["thales.token", { thales: { endpoint: "https://ctm.example.net", token: "t\r" } }, /newline/],
      [
        "entrust.password",
        {
          entrust: {
            endpoint: "https://kc.example.net",
            vaultId: "v",
            boxId: "b",
            username: "u",
            password: "",
          },
        },
        /non-empty/,
      ],
      [
        "gcp.credentials.privateKeyId",
        {
          gcp: {
            projectId: "p",
            credentials: { clientEmail: "e", clientId: "i", privateKeyId: "k\n", privateKey: "x" },
          },
        },
        /newline/,
      ],
      [
        "azure.credentials.clientSecret",
        {
          azure: {
            endpoint: "https://v.vault.azure.net",
            credentials: { tenantId: "t", clientId: "c", clientSecret: "" },
          },
        },
        /non-empty/,
      ],
      [
        "aws.credentials.secretKey",
        { aws: { region: "eu-central-1", credentials: { accessKey: "AKIA", secretKey: "s\nx" } } },
        /newline/,
      ],
    ] as const
  ).map(
    ([field, kms, fix]): Row<KmsTargetArgs> => ({
      desc: `${field} unusable`,
      bad: (a) => {
        delete a.vault;
        Object.assign(a, kms);
      },
      field,
      fix,
    }),
  ),
);

kesRows.push(
  {
    desc: "port given as an Output (it shapes endpoints and certificates)",
    bad: (a) => {
      a.port = lazy(7373);
    },
    field: "port",
    fix: /must be a plain value; pass it directly, e\.g\. 7373/,
  },
  {
    desc: "hosts given as an Output",
    bad: (a) => {
      a.hosts = lazy([host("kes1")]);
    },
    field: "hosts",
    fix: /must be a plain value/,
  },
  {
    desc: "internalAddress given as an Output (certificates and endpoints derive from it)",
    bad: (a) => {
      a.hosts[0]!.internalAddress = lazy("kes1.internal");
    },
    field: "hosts[0].internalAddress",
    fix: /must be a plain value/,
  },
  {
    desc: "IPv6 internalAddress written in brackets",
    bad: (a) => {
      a.hosts[0]!.internalAddress = "[fd00::10]";
    },
    field: "hosts[0].internalAddress",
    fix: /write the IPv6 address without brackets \("fd00::10"\); the library adds them in URLs/,
  },
  {
    desc: "SSH user with a space",
    bad: (a) => {
      a.hosts[0]!.user = "ro ot";
    },
    field: "hosts[0].user",
    fix: /set user to the SSH account/,
  },
  {
    desc: "two KES hosts with one service address (internalAddress)",
    bad: (a) => {
      a.hosts[0]!.internalAddress = "10.0.0.5";
      a.hosts[1]!.internalAddress = "10.0.0.5";
    },
    field: "hosts[1].internalAddress",
    fix: /also the service address of hosts\[0\].*give each host its own internalAddress/,
  },
  {
    desc: "two KES hosts at one IPv6 address written two ways",
    bad: (a) => {
      a.hosts[0]!.address = "fd00::10";
      a.hosts[1]!.address = "FD00:0:0::10";
    },
    field: "hosts[1].address",
    fix: /is the same host as hosts\[0\]; list each host once/,
  },
  ...(
    ["/usr/local/bin/%h", "/usr/local/bin/\\x41", '/usr/local/bin/ke"s', "/usr/local/bin/$KES"] as const
  ).map(
    (p): Row<KesServerArgs> => ({
      desc: `preinstalledPath ${JSON.stringify(p)} (systemd would run another file than the one checked, row 9)`,
      bad: (a) => {
        a.binary = { preinstalledPath: p };
      },
      field: "binary.preinstalledPath",
      fix: /characters systemd or the shell would read differently.*e\.g\. \/usr\/local\/bin\/kes/,
    }),
  ),
  {
    desc: "localPath that is no file on the deploying machine (checked there, before any upload)",
    bad: (a) => {
      a.binary = { localPath: "/srv/binaries/kes/", sha256: "a".repeat(64) };
    },
    field: "binary.localPath",
    fix: /there is no file \/srv\/binaries\/kes\/ on this machine.*put the binary there, or give binary\.url instead/,
  },
  {
    desc: "binary url with a user and password (row 13)",
    bad: (a) => {
      a.binary = { url: "https://ci:hunter2@mirror.example.net/kes", sha256: "a".repeat(64) };
    },
    field: "binary.url",
    fix: /carries a user name or password; remove them from the URL \(use a presigned URL passed as a secret/,
  },
  {
    desc: "binary url with a backslash",
    bad: (a) => {
      a.binary = { url: "https://mirror.example.net/k\\es", sha256: "a".repeat(64) };
    },
    field: "binary.url",
    fix: /without spaces, quotes, backslashes/,
  },
  {
    desc: "client identity in upper-case hex",
    bad: (a) => {
      a.clients = [{ name: "app", identities: ["A".repeat(64)], allow: ["/v1/key/generate/app-*"] }];
    },
    field: "clients[0].identities[0]",
    fix: /64 lowercase hex characters/,
  },
);

minioRows.push(
  {
    desc: "port given as an Output",
    bad: (a) => {
      a.port = lazy(9000);
    },
    field: "port",
    fix: /must be a plain value; pass it directly, e\.g\. 9000/,
  },
  {
    desc: "consolePort given as an Output",
    bad: (a) => {
      a.consolePort = lazy(9001);
    },
    field: "consolePort",
    fix: /must be a plain value/,
  },
  {
    desc: "a drive given as an Output (drive lists decide the graph)",
    bad: (a) => {
      a.drives = [lazy("/mnt/disk1"), "/mnt/disk2"];
    },
    field: "drives[0]",
    fix: /must be a plain value; pass it directly, e\.g\. "\/mnt\/disk1"/,
  },
  {
    desc: "nodes given as an Output",
    bad: (a) => {
      a.nodes = lazy([host("minio1")]);
    },
    field: "nodes",
    fix: /must be a plain value/,
  },
  {
    desc: "extraEnv given as an Output (its names decide the env file)",
    bad: (a) => {
      a.extraEnv = lazy({ MINIO_BROWSER: "off" });
    },
    field: "extraEnv",
    fix: /must be a plain value/,
  },
  ...(["LD_PRELOAD", "PATH", "GODEBUG"] as const).map(
    (n): Row<MinioDeploymentArgs> => ({
      desc: `extraEnv ${n} (not a MinIO setting, row 15)`,
      bad: (a) => {
        a.extraEnv = { [n]: "x" };
      },
      field: `extraEnv.${n}`,
      fix: /is not a MinIO setting \(MINIO_\*\); remove it, or set allowAnyExtraEnv: true/,
    }),
  ),
  {
    desc: "extraEnv value with NUL (was reported as a newline, row 13)",
    bad: (a) => {
      a.extraEnv = { MINIO_BROWSER: "of\0f" };
    },
    field: "extraEnv.MINIO_BROWSER",
    fix: /contains a NUL character; remove it/,
  },
  ...(
    [
      ["/mnt/./disk1", /has '\/\/' or '\/\.\/'; write it normalised, e\.g\. "\/mnt\/disk1"/],
      ["//mnt/disk1", /has '\/\/' or '\/\.\/'/],
      ["/mnt/disk%i", /characters systemd or the shell would read differently/],
      ['/mnt/"disk1"', /characters systemd or the shell/],
      ["/mnt/$HOME", /characters systemd or the shell/],
      ["/mnt/disk1\\", /characters systemd or the shell/],
    ] as const
  ).map(
    ([d, fix]): Row<MinioDeploymentArgs> => ({
      desc: `drive ${JSON.stringify(d)} (passed validation, then the renderer threw, row 13)`,
      bad: (a) => {
        a.drives = [d, "/mnt/disk2"];
      },
      field: "drives[0]",
      fix,
    }),
  ),
  ...(
    [
      ["envFile", "/etc/default/", /write it without the trailing slash/],
      ["envFile", "/etc/default/mi nio", /whitespace/],
      ["unitName", "-minio.service", /not a systemd service unit name.*not starting with '-' or '\.'/],
      ["unitName", ".minio.service", /not a systemd service unit name/],
      ["unitName", "minio", /write it like "minio\.service"/],
    ] as const
  ).map(
    ([f, v, fix]): Row<MinioDeploymentArgs> => ({
      desc: `existing.${f} ${JSON.stringify(v)}`,
      bad: (a) => {
        for (const k of ["drives", "rootUser", "rootPassword", "binary"] as const) delete a[k];
        a.existing = { [f]: v };
      },
      field: `existing.${f}`,
      fix,
    }),
  ),
  ...(
    [
      ["https://KES1.example.net:7373", "case"],
      ["https://kes1.example.net:7373/", "a trailing slash"],
    ] as const
  ).map(
    ([e, how]): Row<MinioDeploymentArgs> => ({
      desc: `external KES endpoints listing one endpoint twice (differing in ${how})`,
      bad: (a) => {
        ext(a).endpoints = ["https://kes1.example.net:7373", e];
      },
      field: "kes.endpoints[1]",
      fix: /is the same endpoint as kes\.endpoints\[0\]; list each KES endpoint once/,
    }),
  ),
  {
    desc: "external KES endpoints: the default https port written out and left out",
    bad: (a) => {
      ext(a).endpoints = ["https://kes1.example.net", "https://kes1.example.net:443"];
    },
    field: "kes.endpoints[1]",
    fix: /is the same endpoint as kes\.endpoints\[0\]/,
  },
  {
    desc: "external KES endpoint over http",
    bad: (a) => {
      ext(a).endpoints = ["http://kes1.example.net:7373"];
    },
    field: "kes.endpoints[0]",
    fix: /is plain http.*write it with https:\/\//,
  },
  {
    desc: "external KES caCertPem not in PEM form",
    bad: (a) => {
      ext(a).caCertPem = "CA";
    },
    field: "kes.caCertPem",
    fix: /pass the certificate in PEM form/,
  },
  {
    desc: "external KES apiKey with characters base64 does not use",
    bad: (a) => {
      ext(a).apiKey = "kes:v1:@@@@";
    },
    field: "kes.apiKey",
    fix: /has characters base64 does not use/,
  },
  {
    desc: "two nodes on one service address (internalAddress of one, address of the other, row 6)",
    bad: (a) => {
      a.nodes[1]!.internalAddress = "minio1.example.net";
    },
    field: "nodes[1].internalAddress",
    fix: /also the service address of nodes\[0\]/,
  },
  {
    desc: "two nodes at one IP on different SSH ports (one endpoint listed twice in MINIO_VOLUMES, row 6)",
    bad: (a) => {
      a.nodes[0]!.address = "10.0.0.5";
      a.nodes[1]!.address = "10.0.0.5";
      a.nodes[1]!.port = 2222;
    },
    field: "nodes[1].address",
    fix: /10\.0\.0\.5 is also the service address of nodes\[0\].*give each host its own internalAddress/,
  },
  {
    desc: "two nodes at one IPv6 internalAddress written two ways",
    bad: (a) => {
      a.nodes[0]!.internalAddress = "fd00::10";
      a.nodes[1]!.internalAddress = "fd00:0::10";
    },
    field: "nodes[1].internalAddress",
    fix: /also the service address of nodes\[0\]/,
  },
  {
    desc: "mc preinstalledPath with a systemd specifier",
    bad: (a) => {
      a.mc = { preinstalledPath: "/usr/local/bin/%m" };
    },
    field: "mc.preinstalledPath",
    fix: /characters systemd or the shell.*e\.g\. \/usr\/local\/bin\/mc/,
  },
  {
    desc: "binary url with user:pass@",
    bad: (a) => {
      a.binary = { url: "https://u:p@mirror.example.net/minio", sha256: "a".repeat(64) };
    },
    field: "binary.url",
    fix: /carries a user name or password/,
  },
  {
    desc: "rootPassword with NUL",
    bad: (a) => {
      a.rootPassword = "long-pass\0word";
    },
    field: "rootPassword",
    fix: /contains a newline or NUL; remove it/,
  },
  {
    desc: "node address as an IPv6 literal in brackets",
    bad: (a) => {
      a.nodes[0]!.address = "[fd00::10]";
    },
    field: "nodes[0].address",
    fix: /write the IPv6 address without brackets/,
  },
  {
    desc: "upper-case sha256 (the renderer refused it as the validator does now: one rule)",
    bad: (a) => {
      a.binary = { url: "https://mirror.example.net/minio", sha256: "A".repeat(64) };
    },
    field: "binary.sha256",
    fix: /64 lowercase hex characters/,
  },
);

bucketRows.push(
  {
    desc: "bucket 192.168.1.300 (dotted numbers, though not an IP; the renderer refused it, row 13)",
    bad: (a) => {
      a.bucket = "192.168.1.300";
    },
    field: "bucket",
    fix: /looks like an IP address/,
  },
  {
    desc: "bucket with '.-'",
    bad: (a) => {
      a.bucket = "inv.-oices";
    },
    field: "bucket",
    fix: /has '\.\.', '\.-' or '-\.'; rename it/,
  },
);

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

function table<T>(component: string, baseline: () => T, validate: (a: T) => Issues, rows: Row<T>[]): void {
  describe(`${component} bad inputs`, () => {
    it("baseline has no issues", () => {
      expect(validate(baseline()).list).toEqual([]);
    });
    it.each(rows)("$desc → $field", (row) => {
      const args = baseline();
      row.bad(args);
      const issues = validate(args).list;
      const onField = issues.filter((i) => i.field === row.field);
      expect(onField, `no issue on ${row.field}; got ${JSON.stringify(issues, null, 2)}`).not.toEqual([]);
      const hit = onField.find((i) => row.fix.test(i.message));
      expect(hit, `no message on ${row.field} matches ${row.fix}: ${JSON.stringify(onField)}`).toBeDefined();
      expect(isActionable(hit!.message), `not actionable: ${hit!.message}`).toBe(true);
      for (const f of row.absent ?? []) {
        const extra = issues.filter((i) => i.field === f);
        expect(extra, `unexpected issue on ${f}: ${JSON.stringify(extra)}`).toEqual([]);
      }
    });
  });
}

describe("isActionable", () => {
  it("accepts imperative fixes and rejects bare rules", () => {
    expect(isActionable("the fs keystore is unsafe; set acknowledgeDevelopmentOnly: true.")).toBe(true);
    expect(isActionable("give exactly one keystore.")).toBe(true);
    expect(isActionable("KES would answer 403. Add it there.")).toBe(true);
    expect(isActionable("port must be an integer from 1 to 65535; got 0.")).toBe(false);
    expect(isActionable("MINIO_X is set by the library.")).toBe(false);
    expect(isActionable("SSE-S3 always uses the default key.")).toBe(false);
  });
});

describe("row count", () => {
  it("has at least 240 rows across the four components (with test/unit/applyTime.test.ts's Output rows, over 300)", () => {
    expect(kmsRows.length + kesRows.length + minioRows.length + bucketRows.length).toBeGreaterThanOrEqual(
      240,
    );
  });
});

table("KmsTarget", kmsBaseline, validateKmsTargetArgs, kmsRows);
table("KesServer", kesBaseline, validateKesServerArgs, kesRows);
table("MinioDeployment", minioBaseline, validateMinioDeploymentArgs, minioRows);
table("EncryptedBucket", bucketBaseline, validateEncryptedBucketArgs, bucketRows);

describe("constructing a component with bad args", () => {
  interface ThrowCase {
    component: string;
    name: string;
    /** Build the component (throws). */
    build: (name: string) => unknown;
    /** The same args through the validator. */
    issues: () => Issues;
  }
  const badKms = (): KmsTargetArgs => {
    const a = kmsBaseline();
    delete a.vault!.approle;
    a.vault!.endpoint = "vault example net";
    return a;
  };
  const badKes = (): KesServerArgs => {
    const a = kesBaseline();
    a.minioKeyNames = [];
    delete a.binary.sha256;
    return a;
  };
  const badMinio = (): MinioDeploymentArgs => {
    const a = minioBaseline();
    a.rootPassword = "short";
    a.drives = ["/mnt/disk1", "/mnt/disk1"];
    delete a.defaultKeyName;
    return a;
  };
  const badBucket = (): EncryptedBucketArgs => {
    const a = bucketBaseline();
    a.deployment = inst.noMc;
    a.keyName = "tenant-invoices";
    return a;
  };
  const cases: ThrowCase[] = [
    {
      component: "KmsTarget",
      name: "bad-kms",
      build: (n) => new KmsTarget(n, badKms()),
      issues: () => validateKmsTargetArgs(badKms()),
    },
    {
      component: "KesServer",
      name: "bad-kes",
      build: (n) => new KesServer(n, badKes()),
      issues: () => validateKesServerArgs(badKes()),
    },
    {
      component: "MinioDeployment",
      name: "bad-minio",
      build: (n) => new MinioDeployment(n, badMinio()),
      issues: () => validateMinioDeploymentArgs(badMinio()),
    },
    {
      component: "EncryptedBucket",
      name: "bad-bucket",
      build: (n) => new EncryptedBucket(n, badBucket()),
      issues: () => validateEncryptedBucketArgs(badBucket()),
    },
  ];

  it.each(cases)(
    "$component throws one ResourceError listing every issue, before any child resource",
    async (c) => {
      const expected = c.issues().list;
      expect(new Set(expected.map((i) => i.field)).size).toBeGreaterThanOrEqual(2);

      await settle(100);
      const before = registered.length;
      let caught: unknown;
      try {
        c.build(c.name);
      } catch (e) {
        caught = e;
      }
      expect(caught, "the constructor did not throw").toBeDefined();
      expect(caught).toBeInstanceOf(pulumi.ResourceError);
      expect(pulumi.ResourceError.isInstance(caught)).toBe(true);
      const message = (caught as Error).message;
      expect(message).toContain(`invalid arguments for ${c.component} ${c.name}`);
      for (const i of expected) expect(message).toContain(`  - ${i.field}: ${i.message}`);

      // Only the component itself may have been registered: wait until its own registration
      // arrived, then for quiet, and look for anything else.
      const deadline = Date.now() + 10_000;
      while (!registered.slice(before).some((r) => r.name === c.name) && Date.now() < deadline) {
        await sleep(25);
      }
      await settle(300);
      const after = registered.slice(before);
      expect(after.filter((r) => r.name === c.name && !r.custom)).toHaveLength(1);
      expect(after.filter((r) => r.name !== c.name)).toEqual([]);
    },
  );
});
