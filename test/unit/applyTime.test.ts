/**
 * Bad inputs that arrive as Outputs (the normal case for secrets and for values from other
 * resources). The validator cannot see them at construction; each component checks them with the
 * same rule (lib/core/rules.ts) once they resolve. Every row builds a whole stack under mocks with
 * one Output-valued input broken, and checks (security review, row 4):
 * - the program fails with the validator's words: `invalid arguments for <Component> <name>:`,
 *   then `  - <field>: <what to do>`;
 * - the steps that would use the value are never registered, so nothing that uses it reaches a
 *   host, and the bad value is in no registered resource's inputs.
 * The baseline (every such input a good Output) registers all of those steps, so each check can
 * fail.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  ExternalKesArgs,
  KesServerArgs,
  KmsTargetArgs,
  MinioDeploymentArgs,
} from "../../lib/components/args";
import { EncryptedBucket } from "../../lib/components/encryptedBucket";
import type { HostArgs } from "../../lib/components/hosts";
import { KesServer } from "../../lib/components/kesServer";
import { KmsTarget } from "../../lib/components/kmsTarget";
import { MinioDeployment } from "../../lib/components/minioDeployment";
import { makeCertificates } from "../../scripts/lib/binaries";
import { captureGraph, type Graph } from "../helpers/mockGraph";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2UtaG9zdC1rZXktZm9yLXZhbGlkYXRpb24tdGVzdHM";
const API_KEY = "kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs";
const o = <T>(v: T) => pulumi.output(v);
const s = <T>(v: T) => pulumi.secret(v);

const pem = { ca: "", caKey: "", good: "", goodKey: "", other: "" };
let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "apply-time-"));
  // The test CA and certificates the host tests use (OpenSSL): "good" covers kes1, minio1 and
  // localhost, "other" only other.example.net. The good pair also stands in as a CA pair (only its
  // PEM form is checked here).
  const { certs } = makeCertificates(work, [
    {
      name: "good",
      address: "192.0.2.1",
      extraSans: ["DNS:kes1.example.net", "DNS:minio1.example.net", "DNS:localhost"],
    },
    { name: "other", address: "192.0.2.2", extraSans: ["DNS:other.example.net"] },
  ]);
  pem.good = certs.good!.certPem;
  pem.goodKey = certs.good!.keyPem;
  pem.other = certs.other!.certPem;
  pem.ca = pem.good;
  pem.caKey = pem.goodKey;
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The arguments of one stack; `external` replaces the KesServer as MinIO's kes. */
interface Stack {
  kms: KmsTargetArgs;
  kes: Omit<KesServerArgs, "kms">;
  minio: Omit<MinioDeploymentArgs, "kes" | "defaultKeyName">;
  external?: ExternalKesArgs;
}

const host = (name: string): HostArgs => ({
  name,
  address: o(`${name}.example.net`),
  port: o(22),
  user: o("root"),
  privateKey: s("k"),
  hostKey: o(HOST_KEY),
});

/** Every input that can be an Output is one, with a good value. */
const baseline = (): Stack => ({
  kms: {
    vault: {
      endpoint: "https://vault.example.net:8200",
      approle: { roleId: s("role-id"), secretId: s("secret-id") },
      caCertPem: o(pem.ca),
    },
  },
  kes: {
    hosts: [host("kes1")],
    binary: { url: o("https://mirror.example.net/kes"), sha256: "a".repeat(64) },
    minioKeyNames: ["minio-*"],
    clients: [{ name: "app", identities: [o("b".repeat(64))], allow: ["/v1/key/generate/app-*"] }],
    tls: {
      ca: { certPem: o(pem.ca), keyPem: s(pem.caKey) },
      caCertPem: o(pem.ca),
      certificates: { kes1: { certPem: o(pem.good), keyPem: s(pem.goodKey) } },
    },
  },
  minio: {
    nodes: [
      { ...host("minio1"), bastion: { address: o("bastion.example.net"), port: o(22), privateKey: s("k") } },
    ],
    drives: ["/mnt/disk1"],
    rootUser: s("admin"),
    rootPassword: s("correct-horse-battery"),
    extraEnv: { MINIO_BROWSER: o("off") },
    binary: { url: o("https://mirror.example.net/minio"), sha256: "a".repeat(64) },
    mc: { url: o("https://mirror.example.net/mc"), sha256: "a".repeat(64) },
    tls: {
      ca: { certPem: o(pem.ca), keyPem: s(pem.caKey) },
      caCertPem: o(pem.ca),
      certificates: { minio1: { certPem: o(pem.good), keyPem: s(pem.goodKey) } },
    },
  },
});

const externalKes = (): ExternalKesArgs => ({
  endpoints: ["https://kes1.example.net:7373"],
  caCertPem: o(pem.ca),
  apiKey: s(API_KEY),
});

/** Run the stack; return the graph and every error the program raised. */
async function run(a: Stack): Promise<{ g: Graph; errors: string[] }> {
  const errors: string[] = [];
  const onRejection = (e: unknown) => errors.push(String((e as Error)?.message ?? e));
  process.on("unhandledRejection", onRejection);
  try {
    const g = await captureGraph(() => {
      const kms = new KmsTarget("kms", a.kms);
      const kes = new KesServer("kes", { ...a.kes, kms });
      const minio = new MinioDeployment("minio", {
        ...a.minio,
        kes: a.external ?? kes,
        defaultKeyName: "minio-default",
      });
      new EncryptedBucket("bucket", { deployment: minio, bucket: "invoices", keyName: "minio-invoices" });
    });
    await new Promise((r) => setTimeout(r, 50));
    return { g, errors };
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

interface Row {
  desc: string;
  bad: (a: Stack) => void;
  /** `KesServer kes`, `MinioDeployment minio`, `KmsTarget kms`. */
  component: string;
  field: string;
  fix: RegExp;
  /** Steps that use the value: they must never be registered. */
  blocked: string[];
  /**
   * The bad value, when it must not reach any registered resource (not one that could appear by
   * chance in a hex digest: "abc" once matched a revision hash).
   */
  value?: string;
}

const minioHost = (a: Stack) => a.minio.nodes[0]! as HostArgs & { bastion: NonNullable<HostArgs["bastion"]> };
/** MinIO's staged files: the env file, the KES CA, MinIO's CA. */
const ENV = "minio-minio1-config";
/** MinIO's own live files: its server certificate and key, its KES client certificate and key. */
const MINIO_CERTS = "minio-minio1-certs";
/** Every file KES reads: its certificate and key, the CA, the keystore's files, the config, the secrets. */
const KES_FILES = "kes-kes1-files";
const MINIO_ALL = ["minio-minio1-system", ENV, "minio-minio1-service"];
const KES_ALL = ["kes-kes1-system", KES_FILES, "kes-kes1-service"];

const rows: Row[] = [
  // MinIO's root credentials (secrets, so always Outputs in a real program).
  ...(
    [
      ["short1", /shorter than 8 characters.*use a generated secret of at least 8/],
      ["pass:word-long", /contains ':'; remove it/],
      ["pass@word-long", /contains '@'; remove it/],
      ["long-pass\nword", /contains a newline or NUL; remove it/],
      ["long-pass\0word", /contains a newline or NUL; remove it/],
    ] as const
  ).map(
    ([v, fix]): Row => ({
      desc: `rootPassword ${JSON.stringify(v)} as a secret`,
      bad: (a) => {
        a.minio.rootPassword = s(v);
      },
      component: "MinioDeployment minio",
      field: "rootPassword",
      fix,
      blocked: [ENV, "minio-minio1-service", "minio-minio1-ready", "bucket-minio1-bucket"],
      value: v,
    }),
  ),
  ...(
    [
      ["ab", /shorter than 3 characters.*use at least 3/],
      ["ad:min", /contains ':'; remove it/],
      ["ad\nmin", /contains a newline or NUL; remove it/],
    ] as const
  ).map(
    ([v, fix]): Row => ({
      desc: `rootUser ${JSON.stringify(v)} as a secret`,
      bad: (a) => {
        a.minio.rootUser = s(v);
      },
      component: "MinioDeployment minio",
      field: "rootUser",
      fix,
      blocked: [ENV, "minio-minio1-service"],
    }),
  ),
  {
    desc: "extraEnv value with a newline (would inject another variable)",
    bad: (a) => {
      a.minio.extraEnv = { MINIO_BROWSER: o("off\nMINIO_ROOT_PASSWORD=x") };
    },
    component: "MinioDeployment minio",
    field: "extraEnv.MINIO_BROWSER",
    fix: /contains a newline; remove it/,
    blocked: [ENV],
    value: "MINIO_ROOT_PASSWORD=x",
  },
  {
    desc: "extraEnv value with NUL",
    bad: (a) => {
      a.minio.extraEnv = { MINIO_BROWSER: o("of\0f") };
    },
    component: "MinioDeployment minio",
    field: "extraEnv.MINIO_BROWSER",
    fix: /contains a NUL character; remove it/,
    blocked: [ENV],
  },
  // Host fields (MinIO node and KES host).
  ...(
    [
      ["a b$(id)", /is not a host name or IP address; write a DNS name/],
      ["[fd00::10]", /write the IPv6 address without brackets/],
      ["", /set the IP or DNS name of the host/],
      ["minio1.example.net:22", /is not a host name or IP address/],
    ] as const
  ).flatMap(([v, fix]): Row[] => [
    {
      desc: `MinIO node address ${JSON.stringify(v)} as an Output`,
      bad: (a) => {
        minioHost(a).address = o(v);
      },
      component: "MinioDeployment minio",
      field: "nodes[0].address",
      fix,
      blocked: MINIO_ALL,
      value: v.length > 3 ? v : undefined,
    },
    {
      desc: `KES host address ${JSON.stringify(v)} as an Output`,
      bad: (a) => {
        a.kes.hosts[0]!.address = o(v);
      },
      component: "KesServer kes",
      field: "hosts[0].address",
      fix,
      blocked: KES_ALL,
      value: v.length > 3 ? v : undefined,
    },
  ]),
  ...([0, 70000, 22.5, "22"] as const).flatMap((v): Row[] => [
    {
      desc: `MinIO node SSH port ${JSON.stringify(v)} as an Output`,
      bad: (a) => {
        minioHost(a).port = o(v as number);
      },
      component: "MinioDeployment minio",
      field: "nodes[0].port",
      fix: /port must be an integer from 1 to 65535/,
      blocked: MINIO_ALL,
    },
    {
      desc: `KES host SSH port ${JSON.stringify(v)} as an Output`,
      bad: (a) => {
        a.kes.hosts[0]!.port = o(v as number);
      },
      component: "KesServer kes",
      field: "hosts[0].port",
      fix: /port must be an integer from 1 to 65535/,
      blocked: KES_ALL,
    },
  ]),
  {
    desc: "SSH user with a space as an Output",
    bad: (a) => {
      minioHost(a).user = o("ro ot");
    },
    component: "MinioDeployment minio",
    field: "nodes[0].user",
    fix: /is not a user name; set user to the SSH account/,
    blocked: MINIO_ALL,
  },
  {
    desc: "host key that is not a key line, as an Output",
    bad: (a) => {
      a.kes.hosts[0]!.hostKey = o("kes1.example.net ssh-ed25519");
    },
    component: "KesServer kes",
    field: "hosts[0].hostKey",
    fix: /set hostKey to the key part of `ssh-keyscan -t ed25519 HOST`/,
    blocked: KES_ALL,
  },
  {
    desc: "empty SSH private key from a secret",
    bad: (a) => {
      minioHost(a).privateKey = s("");
    },
    component: "MinioDeployment minio",
    field: "nodes[0].privateKey",
    fix: /an SSH private key is required/,
    blocked: MINIO_ALL,
  },
  {
    desc: "bastion address with a space",
    bad: (a) => {
      minioHost(a).bastion.address = o("bastion host");
    },
    component: "MinioDeployment minio",
    field: "nodes[0].bastion.address",
    fix: /is not a host name or IP address/,
    blocked: MINIO_ALL,
  },
  {
    desc: "bastion port 0",
    bad: (a) => {
      minioHost(a).bastion.port = o(0);
    },
    component: "MinioDeployment minio",
    field: "nodes[0].bastion.port",
    fix: /port must be an integer from 1 to 65535/,
    blocked: MINIO_ALL,
  },
  {
    desc: "bastion host key that is not a key",
    bad: (a) => {
      minioHost(a).bastion.hostKey = o("nope");
    },
    component: "MinioDeployment minio",
    field: "nodes[0].bastion.hostKey",
    fix: /set hostKey to the key part/,
    blocked: MINIO_ALL,
  },
  // An external KES.
  ...(
    [
      ["not-a-kes-key", /does not start with kes:v1:/],
      ["kes:v1:not base64!", /has characters base64 does not use/],
    ] as const
  ).map(
    ([v, fix]): Row => ({
      desc: `external KES apiKey ${JSON.stringify(v)} as a secret`,
      bad: (a) => {
        a.external = { ...externalKes(), apiKey: s(v) };
      },
      component: "MinioDeployment minio",
      field: "kes.apiKey",
      fix,
      blocked: [ENV, "minio-minio1-service"],
      value: v,
    }),
  ),
  {
    desc: "external KES CA that is not PEM",
    bad: (a) => {
      a.external = { ...externalKes(), caCertPem: o("CA") };
    },
    component: "MinioDeployment minio",
    field: "kes.caCertPem",
    fix: /pass the certificate in PEM form/,
    blocked: [ENV, "minio-minio1-service"],
  },
  {
    desc: "external KES client key that is not PEM",
    bad: (a) => {
      a.external = {
        endpoints: ["https://kes1.example.net:7373"],
        caCertPem: o(pem.ca),
        clientCertificate: { certPem: o(pem.good), keyPem: s("not a key") },
      };
    },
    component: "MinioDeployment minio",
    field: "kes.clientCertificate.keyPem",
    fix: /pass the private key in PEM form/,
    blocked: [MINIO_CERTS, "minio-minio1-service"],
    value: "not a key",
  },
  {
    desc: "external KES client certificate that is not PEM",
    bad: (a) => {
      a.external = {
        endpoints: ["https://kes1.example.net:7373"],
        caCertPem: o(pem.ca),
        clientCertificate: { certPem: o("cert"), keyPem: s(pem.goodKey) },
      };
    },
    component: "MinioDeployment minio",
    field: "kes.clientCertificate.certPem",
    fix: /pass the certificate in PEM form/,
    blocked: [MINIO_CERTS, "minio-minio1-service"],
  },
  // Bring-your-own TLS, for both components.
  ...(["MinioDeployment minio", "KesServer kes"] as const).flatMap((component): Row[] => {
    const isMinio = component.startsWith("Minio");
    const hostName = isMinio ? "minio1" : "kes1";
    const tlsOf = (a: Stack) => (isMinio ? (a.minio.tls as NonNullable<KesServerArgs["tls"]>) : a.kes.tls!);
    const prefix = isMinio ? "minio-minio1" : "kes-kes1";
    /** The step that writes the server's certificate and key. */
    const leaf = isMinio ? MINIO_CERTS : KES_FILES;
    return [
      {
        desc: `${component}: server certificate for another host`,
        bad: (a) => {
          tlsOf(a).certificates![hostName]!.certPem = o(pem.other);
        },
        component,
        field: `tls.certificates.${hostName}.certPem`,
        fix: new RegExp(`do not cover ${hostName}\\.example\\.net.*Add ${hostName}\\.example\\.net as a SAN`),
        blocked: [leaf, `${prefix}-service`],
      },
      {
        desc: `${component}: server certificate that is not PEM`,
        bad: (a) => {
          tlsOf(a).certificates![hostName]!.certPem = o("garbage");
        },
        component,
        field: `tls.certificates.${hostName}.certPem`,
        fix: /certPem is not a certificate; pass it in PEM form/,
        blocked: [leaf, `${prefix}-service`],
      },
      {
        desc: `${component}: server key that is not PEM`,
        bad: (a) => {
          tlsOf(a).certificates![hostName]!.keyPem = s("garbage-key");
        },
        component,
        field: `tls.certificates.${hostName}.keyPem`,
        fix: /pass the private key in PEM form/,
        blocked: [leaf, `${prefix}-service`],
        value: "garbage-key",
      },
      {
        desc: `${component}: caCertPem that is not PEM`,
        bad: (a) => {
          tlsOf(a).caCertPem = o("garbage");
        },
        component,
        field: "tls.caCertPem",
        fix: /pass the certificate in PEM form/,
        blocked: isMinio ? [ENV, "minio-minio1-service"] : [KES_FILES],
      },
    ];
  }),
  // Binary URLs given as Outputs (secret presigned URLs).
  ...(
    [
      ["minio", "ftp://mirror.example.net/minio"],
      ["minio", "https://user:pass@mirror.example.net/minio"],
      ["minio", "https://mirror.example.net/mi nio"],
      ["mc", "https://mirror.example.net/mc'quote"],
      ["kes", "file:///srv/kes"],
    ] as const
  ).map(
    ([which, v]): Row => ({
      desc: `${which} binary URL ${JSON.stringify(v)} as an Output`,
      bad: (a) => {
        if (which === "kes") a.kes.binary = { url: s(v), sha256: "a".repeat(64) };
        else a.minio[which === "mc" ? "mc" : "binary"] = { url: s(v), sha256: "a".repeat(64) };
      },
      component: which === "kes" ? "KesServer kes" : "MinioDeployment minio",
      field: which === "mc" ? "mc.url" : "binary.url",
      fix: /user name or password; remove them|the URL is not usable; use an http\(s\) URL/,
      blocked: [which === "kes" ? "kes-kes1-kes-binary" : `minio-minio1-${which}-binary`],
      value: v,
    }),
  ),
  {
    desc: "KES client identity that is not a SHA-256, as an Output",
    bad: (a) => {
      a.kes.clients = [{ name: "app", identities: [o("xyz")], allow: ["/v1/key/generate/app-*"] }];
    },
    component: "KesServer kes",
    field: "clients[0].identities[0]",
    fix: /write the identity as 64 lowercase hex characters/,
    blocked: [KES_FILES, "kes-kes1-service"],
  },
  // Keystore credentials.
  ...(
    [
      ["vault.approle.roleId", (a: Stack, v: string) => (a.kms.vault!.approle!.roleId = s(v)), ""],
      ["vault.approle.secretId", (a: Stack, v: string) => (a.kms.vault!.approle!.secretId = s(v)), "a\nb"],
      ["vault.approle.secretId", (a: Stack, v: string) => (a.kms.vault!.approle!.secretId = s(v)), ""],
    ] as const
  ).map(
    ([field, set, v]): Row => ({
      desc: `${field} ${JSON.stringify(v)} as a secret`,
      bad: (a) => {
        set(a, v);
      },
      component: "KmsTarget kms",
      field,
      fix: v === "" ? /set a non-empty value/ : /contains a newline; remove it/,
      blocked: [KES_FILES, "kes-kes1-service"],
    }),
  ),
  {
    desc: "Vault Kubernetes jwt with '/' (KES would read it as a path)",
    bad: (a) => {
      a.kms.vault = {
        endpoint: "https://vault.example.net:8200",
        kubernetes: { role: "kes", jwt: s("ab/cd.ef.gh") },
      };
    },
    component: "KmsTarget kms",
    field: "vault.kubernetes.jwt",
    fix: /jwt is not a JWT.*set jwtFile to the token's path/,
    blocked: [KES_FILES],
    value: "ab/cd.ef.gh",
  },
  {
    desc: "Vault CA that is not PEM",
    bad: (a) => {
      a.kms.vault!.caCertPem = o("CA");
    },
    component: "KmsTarget kms",
    field: "vault.caCertPem",
    fix: /pass the certificate in PEM form/,
    blocked: [KES_FILES],
  },
  {
    desc: "Vault mTLS client key that is not PEM",
    bad: (a) => {
      a.kms.vault!.clientCertificate = { certPem: o(pem.good), keyPem: s("nope-key") };
    },
    component: "KmsTarget kms",
    field: "vault.clientCertificate.keyPem",
    fix: /pass the private key in PEM form/,
    blocked: [KES_FILES],
    value: "nope-key",
  },
  ...(
    [
      [
        "entrust.password",
        {
          entrust: {
            endpoint: "https://kc.example.net",
            vaultId: "v",
            boxId: "b",
            username: o("kes"),
            password: s(""),
          },
        },
        /set a non-empty value/,
      ],
      [
        "entrust.username",
        {
          entrust: {
            endpoint: "https://kc.example.net",
            vaultId: "v",
            boxId: "b",
            username: o("k\nes"),
            password: s("p"),
          },
        },
        /contains a newline/,
      ],
      [
        "fortanix.apiKey",
        { fortanix: { endpoint: "https://sdkms.example.net", apiKey: s("") } },
        /non-empty/,
      ],
      ["thales.token", { thales: { endpoint: "https://ctm.example.net", token: s("t\r") } }, /newline/],
      [
        "gcp.credentials.privateKey",
        {
          gcp: {
            projectId: "p",
            credentials: { clientEmail: o("e"), clientId: o("i"), privateKeyId: o("k"), privateKey: s("x") },
          },
        },
        /pass the private key in PEM form/,
      ],
      [
        "gcp.credentials.clientEmail",
        {
          gcp: {
            projectId: "p",
            credentials: {
              clientEmail: o(""),
              clientId: o("i"),
              privateKeyId: o("k"),
              privateKey: s(pem.goodKey),
            },
          },
        },
        /non-empty/,
      ],
      [
        "azure.credentials.clientSecret",
        {
          azure: {
            endpoint: "https://v.vault.azure.net",
            credentials: { tenantId: o("t"), clientId: o("c"), clientSecret: s("") },
          },
        },
        /non-empty/,
      ],
      [
        "azure.managedIdentityClientId",
        { azure: { endpoint: "https://v.vault.azure.net", managedIdentityClientId: o("a\nb") } },
        /newline/,
      ],
      [
        "entrust.caCertPem",
        {
          entrust: {
            endpoint: "https://kc.example.net",
            vaultId: "v",
            boxId: "b",
            username: o("kes"),
            password: s("p"),
            caCertPem: o("x"),
          },
        },
        /PEM form/,
      ],
    ] as const
  ).map(
    ([field, kms, fix]): Row => ({
      desc: `${field} bad, as an Output`,
      bad: (a) => {
        a.kms = kms as KmsTargetArgs;
      },
      component: "KmsTarget kms",
      field,
      fix,
      blocked: field.endsWith("caCertPem") ? [KES_FILES] : [KES_FILES, "kes-kes1-service"],
    }),
  ),
];

describe("the baseline (every Output-valued input good)", () => {
  it("registers every step the rows block, and raises no error", async () => {
    const { g, errors } = await run(baseline());
    expect(errors).toEqual([]);
    const names = new Set(g.nodes.map((n) => n.name));
    // Optional parts the baseline does not have (a Vault client certificate, Entrust, an external
    // KES's client certificate) are written by steps it has (the files and certs steps).
    for (const r of rows) for (const b of r.blocked) expect(names, b).toContain(b);
  });
});

describe("Output-valued inputs are checked once they resolve, before any step that uses them", () => {
  it("has at least 60 rows", () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
  });
  it.each(rows)("$desc → $field", async (row) => {
    const a = baseline();
    row.bad(a);
    const { g, errors } = await run(a);
    const head = `invalid arguments for ${row.component}`;
    const ours = errors.filter((e) => e.includes(head) && e.includes(`  - ${row.field}: `));
    expect(ours.length, `errors: ${errors.join("\n---\n")}`).toBeGreaterThan(0);
    const line = ours[0]!.slice(ours[0]!.indexOf(`  - ${row.field}: `));
    expect(line).toMatch(row.fix);
    expect(line).toContain("checked once the Output resolved; nothing that uses it ran");
    const names = new Set(g.nodes.map((n) => n.name));
    for (const b of row.blocked) expect(names.has(b), `${b} was registered`).toBe(false);
    // A secret's value is in no error message either (a presigned URL, a password, a key).
    if (row.value !== undefined && /url|Password|apiKey|keyPem|jwt/.test(row.field))
      for (const e of errors) expect(e, "the error shows the secret value").not.toContain(row.value);
    if (row.value !== undefined) {
      expect(row.value, "a value that hex digests cannot contain by chance").not.toMatch(/^[0-9a-f]+$/);
      for (const n of g.nodes)
        expect(JSON.stringify(n.wire), n.name).not.toContain(JSON.stringify(row.value).slice(1, -1));
    }
  });
});
