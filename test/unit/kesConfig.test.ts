import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseEnvLine } from "../../lib/core/envfile";
import {
  KES_DEFAULT_PORT,
  KES_SECRET_ENV,
  kesKeystoreSecretEnv,
  minioKesPolicy,
  renderKesConfig,
  renderKesSecretEnvFile,
} from "../../lib/core/kesConfig";
import type { KesConfigInput, KesPolicy, Keystore } from "../../lib/core/types";
import { quoteYamlString, renderYaml, yamlKey, ymap } from "../../lib/core/yaml";
import { expectGolden } from "../helpers/golden";

// ---------------------------------------------------------------------------------------
// Fixtures (realistic, but every credential below is fake)
// ---------------------------------------------------------------------------------------

/** Identity of `kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs` (kes-minio.md §2 test vector). */
const MINIO_IDENTITY = "ea9826089311fe44d7590408ede9150f7c637b6cab0a91ee6fe1aa5d9fb366f6";
/** Identity of `kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw` (§2). */
const OTHER_IDENTITY = "0426fa9a04bc2756b92fbe8a97e1a1e07b53ecf04ed33da22c33e5c9faeb8cbb";

/** The whole-value env reference `${NAME}` as KES reads it (kes-minio.md §1.1). */
const ref = (name: string): string => `\${${name}}`;

const POLICY = minioKesPolicy({ keyNames: ["minio-*"], identities: [MINIO_IDENTITY] });

const TLS = { keyFile: "/etc/kes/certs/private.key", certFile: "/etc/kes/certs/public.crt" };

const K8S_JWT =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6Imtlcy1zYSJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwia3ViZXJuZXRlcy5pby9zZXJ2aWNlYWNjb3VudC9uYW1lc3BhY2UiOiJrZXMiLCJrdWJlcm5ldGVzLmlvL3NlcnZpY2VhY2NvdW50L3NlcnZpY2UtYWNjb3VudC5uYW1lIjoia2VzLXNlcnZlciIsInN1YiI6InN5c3RlbTpzZXJ2aWNlYWNjb3VudDprZXM6a2VzLXNlcnZlciJ9.bG9uZy1zaWduYXR1cmUtcGxhY2Vob2xkZXI";
const K8S_JWT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";

const GCP_PRIVATE_KEY = [
  "-----BEGIN PRIVATE KEY-----",
  "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC7VJTUt9Us8cKj",
  "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
  "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ",
  "-----END PRIVATE KEY-----",
  "",
].join("\n");

const VAULT_APPROLE_KV1: Keystore = {
  kind: "vault",
  endpoint: "https://vault.example.net:8200",
  engine: "kv",
  version: "v1",
  approle: {
    id: "db02de05-fa39-4855-059b-67221c5c2f63",
    secret: "6a174c20-f6de-a53c-74d2-6018fcceff64",
  },
  tls: { caFile: "/etc/kes/certs/vault-ca.crt" },
};

const VAULT_K8S_BASE = {
  kind: "vault",
  endpoint: "https://vault.example.net:8200",
  engine: "kv-minio",
  version: "v2",
  namespace: "ns1",
  prefix: "tenant-1",
  transit: { engine: "transit", key: "kes-wrapping-key" },
  tls: {
    keyFile: "/etc/kes/certs/vault-client.key",
    certFile: "/etc/kes/certs/vault-client.crt",
    caFile: "/etc/kes/certs/vault-ca.crt",
  },
  statusPing: "10s",
} as const;

const VAULT_K8S_TOKEN: Keystore = {
  ...VAULT_K8S_BASE,
  tls: { ...VAULT_K8S_BASE.tls },
  transit: { ...VAULT_K8S_BASE.transit },
  kubernetes: { namespace: "/", engine: "kubernetes", role: "kes-server", jwt: K8S_JWT },
};

const VAULT_K8S_PATH: Keystore = {
  ...VAULT_K8S_BASE,
  tls: { ...VAULT_K8S_BASE.tls },
  transit: { ...VAULT_K8S_BASE.transit },
  kubernetes: { namespace: "/", engine: "kubernetes", role: "kes-server", jwtFile: K8S_JWT_PATH },
};

const AWS_STATIC: Keystore = {
  kind: "aws",
  endpoint: "secretsmanager.eu-central-1.amazonaws.com",
  region: "eu-central-1",
  kmsKey: "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  credentials: {
    accessKey: "ASIAIOSFODNN7EXAMPLE",
    secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    sessionToken: "IQoJb3JpZ2luX2VjEDUaCWV1LWNlbnRyYWwtMSJHMEUCIQD6EXAMPLESESSIONTOKEN",
  },
};

const AWS_DEFAULT_CHAIN: Keystore = {
  kind: "aws",
  endpoint: "secretsmanager.us-east-1.amazonaws.com",
  region: "us-east-1",
};

const GCP_CREDENTIALS: Keystore = {
  kind: "gcp",
  projectId: "acme-kes-prod",
  scopes: ["https://www.googleapis.com/auth/cloud-platform"],
  credentials: {
    clientEmail: "kes-server@acme-kes-prod.iam.gserviceaccount.com",
    clientId: "103826472910384756123",
    privateKeyId: "3f1c9d2e4b5a69788c7d6e5f4a3b2c1d0e9f8a7b",
    privateKey: GCP_PRIVATE_KEY,
  },
};

const GCP_AMBIENT: Keystore = { kind: "gcp", projectId: "acme-kes-prod" };

const AZURE_CLIENT: Keystore = {
  kind: "azure",
  endpoint: "https://acme-kes.vault.azure.net",
  credentials: {
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    clientId: "5b1a9c1e-8d3f-4c0a-9b7e-2f6d4e8a1c3b",
    clientSecret: "Xy8Q~fake.Secret_value-0123456789abcdefGHIJ",
  },
};

const AZURE_MI: Keystore = {
  kind: "azure",
  endpoint: "https://acme-kes.vault.azure.net",
  managedIdentity: { clientId: "9d2c6a4e-3b1f-4e8d-a7c5-0f1e2d3c4b5a" },
};

const ENTRUST: Keystore = {
  kind: "entrust",
  endpoint: "https://keycontrol.example.net",
  vaultId: "e30497b5-5b3a-4b8c-9d6e-1f2a3b4c5d6e",
  boxId: "minio-sse-box",
  credentials: { username: "kes-server", password: "c0rrect-h0rse-b@ttery-staple" },
  tls: { caFile: "/etc/kes/certs/keycontrol-ca.crt" },
};

const FORTANIX: Keystore = {
  kind: "fortanix",
  endpoint: "https://sdkms.fortanix.com",
  groupId: "ef5e0e4c-3b9a-4c1e-8f6d-2a7b9c0d1e2f",
  credentials: {
    key: "NWMyYWQwZTgtYzIzZC00ZjZmLWE3YjMtZDVlMTRlNWI5YzFhOmZha2Utc2VjcmV0LWZha2Utc2VjcmV0",
  },
};

const THALES: Keystore = {
  kind: "thales",
  endpoint: "https://ciphertrust.example.net",
  credentials: {
    token: "8gHq1nmiOQpUeV3CGNYbFm8a4ZAqWvkq8gH2cDGHuKx1XzfyEvTzk2LtRFaZmjJ7",
    domain: "minio",
  },
  tls: { caFile: "/etc/kes/certs/ciphertrust-ca.crt" },
};

const FS: Keystore = { kind: "fs", path: "/var/lib/kes/keys" };

function configFor(keystore: Keystore): KesConfigInput {
  return { tls: { ...TLS }, policies: [POLICY], keystore };
}

interface Case {
  golden: string;
  keystore: Keystore;
  /** The exact `keystore` subtree after YAML decoding (kes-minio.md §1.2 key paths). */
  expected: unknown;
  /** Secret values of the input, as they must appear in secretEnv: [NAME, value]. */
  secrets: Array<[string, string]>;
}

const CASES: Case[] = [
  {
    golden: "kes/fs.yaml",
    keystore: FS,
    expected: { fs: { path: "/var/lib/kes/keys" } },
    secrets: [],
  },
  {
    golden: "kes/vault-approle-kv1.yaml",
    keystore: VAULT_APPROLE_KV1,
    expected: {
      vault: {
        endpoint: "https://vault.example.net:8200",
        engine: "kv",
        version: "v1",
        approle: { id: ref("KES_VAULT_APPROLE_ID"), secret: ref("KES_VAULT_APPROLE_SECRET") },
        tls: { ca: "/etc/kes/certs/vault-ca.crt" },
      },
    },
    secrets: [
      ["KES_VAULT_APPROLE_ID", "db02de05-fa39-4855-059b-67221c5c2f63"],
      ["KES_VAULT_APPROLE_SECRET", "6a174c20-f6de-a53c-74d2-6018fcceff64"],
    ],
  },
  {
    golden: "kes/vault-kubernetes-token-kv2.yaml",
    keystore: VAULT_K8S_TOKEN,
    expected: {
      vault: {
        endpoint: "https://vault.example.net:8200",
        engine: "kv-minio",
        version: "v2",
        namespace: "ns1",
        prefix: "tenant-1",
        transit: { engine: "transit", key: "kes-wrapping-key" },
        kubernetes: {
          namespace: "/",
          engine: "kubernetes",
          role: "kes-server",
          jwt: ref("KES_VAULT_KUBERNETES_JWT"),
        },
        tls: {
          key: "/etc/kes/certs/vault-client.key",
          cert: "/etc/kes/certs/vault-client.crt",
          ca: "/etc/kes/certs/vault-ca.crt",
        },
        status: { ping: "10s" },
      },
    },
    secrets: [["KES_VAULT_KUBERNETES_JWT", K8S_JWT]],
  },
  {
    golden: "kes/vault-kubernetes-path-kv2.yaml",
    keystore: VAULT_K8S_PATH,
    expected: {
      vault: {
        endpoint: "https://vault.example.net:8200",
        engine: "kv-minio",
        version: "v2",
        namespace: "ns1",
        prefix: "tenant-1",
        transit: { engine: "transit", key: "kes-wrapping-key" },
        kubernetes: { namespace: "/", engine: "kubernetes", role: "kes-server", jwt: K8S_JWT_PATH },
        tls: {
          key: "/etc/kes/certs/vault-client.key",
          cert: "/etc/kes/certs/vault-client.crt",
          ca: "/etc/kes/certs/vault-ca.crt",
        },
        status: { ping: "10s" },
      },
    },
    secrets: [],
  },
  {
    golden: "kes/aws-static-credentials.yaml",
    keystore: AWS_STATIC,
    expected: {
      aws: {
        secretsmanager: {
          endpoint: "secretsmanager.eu-central-1.amazonaws.com",
          region: "eu-central-1",
          kmskey: "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
          credentials: {
            accesskey: ref("KES_AWS_ACCESS_KEY"),
            secretkey: ref("KES_AWS_SECRET_KEY"),
            token: ref("KES_AWS_SESSION_TOKEN"),
          },
        },
      },
    },
    secrets: [
      ["KES_AWS_ACCESS_KEY", "ASIAIOSFODNN7EXAMPLE"],
      ["KES_AWS_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
      ["KES_AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEDUaCWV1LWNlbnRyYWwtMSJHMEUCIQD6EXAMPLESESSIONTOKEN"],
    ],
  },
  {
    golden: "kes/aws-default-chain.yaml",
    keystore: AWS_DEFAULT_CHAIN,
    expected: {
      aws: {
        secretsmanager: { endpoint: "secretsmanager.us-east-1.amazonaws.com", region: "us-east-1" },
      },
    },
    secrets: [],
  },
  {
    golden: "kes/gcp-credentials.yaml",
    keystore: GCP_CREDENTIALS,
    expected: {
      gcp: {
        secretmanager: {
          project_id: "acme-kes-prod",
          scopes: ["https://www.googleapis.com/auth/cloud-platform"],
          credentials: {
            client_email: ref("KES_GCP_CLIENT_EMAIL"),
            client_id: ref("KES_GCP_CLIENT_ID"),
            private_key_id: ref("KES_GCP_PRIVATE_KEY_ID"),
            private_key: ref("KES_GCP_PRIVATE_KEY"),
          },
        },
      },
    },
    // KES turns the two characters "\n" back into newlines (internal/keystore/gcp/config.go).
    // Every credential field goes through the env file, identifiers included: a user may pass
    // them as Pulumi secrets, and the config file is shown in previews.
    secrets: [
      ["KES_GCP_CLIENT_EMAIL", "kes-server@acme-kes-prod.iam.gserviceaccount.com"],
      ["KES_GCP_CLIENT_ID", "103826472910384756123"],
      ["KES_GCP_PRIVATE_KEY_ID", "3f1c9d2e4b5a69788c7d6e5f4a3b2c1d0e9f8a7b"],
      ["KES_GCP_PRIVATE_KEY", GCP_PRIVATE_KEY.replace(/\n/g, "\\n")],
    ],
  },
  {
    golden: "kes/gcp-ambient.yaml",
    keystore: GCP_AMBIENT,
    expected: { gcp: { secretmanager: { project_id: "acme-kes-prod" } } },
    secrets: [],
  },
  {
    golden: "kes/azure-client-credentials.yaml",
    keystore: AZURE_CLIENT,
    expected: {
      azure: {
        keyvault: {
          endpoint: "https://acme-kes.vault.azure.net",
          credentials: {
            tenant_id: ref("KES_AZURE_TENANT_ID"),
            client_id: ref("KES_AZURE_CLIENT_ID"),
            client_secret: ref("KES_AZURE_CLIENT_SECRET"),
          },
        },
      },
    },
    secrets: [
      ["KES_AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"],
      ["KES_AZURE_CLIENT_ID", "5b1a9c1e-8d3f-4c0a-9b7e-2f6d4e8a1c3b"],
      ["KES_AZURE_CLIENT_SECRET", "Xy8Q~fake.Secret_value-0123456789abcdefGHIJ"],
    ],
  },
  {
    golden: "kes/azure-managed-identity.yaml",
    keystore: AZURE_MI,
    expected: {
      azure: {
        keyvault: {
          endpoint: "https://acme-kes.vault.azure.net",
          managed_identity: { client_id: ref("KES_AZURE_MANAGED_IDENTITY_CLIENT_ID") },
        },
      },
    },
    secrets: [["KES_AZURE_MANAGED_IDENTITY_CLIENT_ID", "9d2c6a4e-3b1f-4e8d-a7c5-0f1e2d3c4b5a"]],
  },
  {
    golden: "kes/entrust.yaml",
    keystore: ENTRUST,
    expected: {
      entrust: {
        keycontrol: {
          endpoint: "https://keycontrol.example.net",
          vault_id: "e30497b5-5b3a-4b8c-9d6e-1f2a3b4c5d6e",
          box_id: "minio-sse-box",
          credentials: { username: ref("KES_ENTRUST_USERNAME"), password: ref("KES_ENTRUST_PASSWORD") },
          tls: { ca: "/etc/kes/certs/keycontrol-ca.crt" },
        },
      },
    },
    secrets: [
      ["KES_ENTRUST_USERNAME", "kes-server"],
      ["KES_ENTRUST_PASSWORD", "c0rrect-h0rse-b@ttery-staple"],
    ],
  },
  {
    golden: "kes/fortanix.yaml",
    keystore: FORTANIX,
    expected: {
      fortanix: {
        sdkms: {
          endpoint: "https://sdkms.fortanix.com",
          group_id: "ef5e0e4c-3b9a-4c1e-8f6d-2a7b9c0d1e2f",
          credentials: { key: ref("KES_FORTANIX_API_KEY") },
        },
      },
    },
    secrets: [
      [
        "KES_FORTANIX_API_KEY",
        "NWMyYWQwZTgtYzIzZC00ZjZmLWE3YjMtZDVlMTRlNWI5YzFhOmZha2Utc2VjcmV0LWZha2Utc2VjcmV0",
      ],
    ],
  },
  {
    golden: "kes/thales.yaml",
    keystore: THALES,
    expected: {
      gemalto: {
        keysecure: {
          endpoint: "https://ciphertrust.example.net",
          credentials: { token: ref("KES_THALES_TOKEN"), domain: "minio" },
          tls: { ca: "/etc/kes/certs/ciphertrust-ca.crt" },
        },
      },
    },
    secrets: [["KES_THALES_TOKEN", "8gHq1nmiOQpUeV3CGNYbFm8a4ZAqWvkq8gH2cDGHuKx1XzfyEvTzk2LtRFaZmjJ7"]],
  },
];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

type Doc = Record<string, unknown>;

function parse(yaml: string): Doc {
  const doc = load(yaml);
  expect(doc).toBeTypeOf("object");
  return doc as Doc;
}

function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Every mapping key anywhere in the decoded document. */
function allKeys(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) allKeys(x, out);
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      allKeys(x, out);
    }
  }
  return out;
}

/** Every string scalar anywhere in the decoded document. */
function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) allStrings(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) allStrings(x, out);
  return out;
}

/**
 * KES's `${VAR}` substitution (`kesconf/config.go` `env[T].UnmarshalYAML`, kes-minio.md §1.1):
 * a whole-value `${NAME}` (after TrimSpace) is replaced by the variable, and an unset
 * variable is an error. (Applied to every string here; KES applies it to env[T] fields,
 * which covers every field this renderer writes a reference into.)
 */
function kesSubstitute(v: unknown, env: Record<string, string>): unknown {
  if (typeof v === "string") {
    const t = v.trim();
    if (t.startsWith("${") && t.endsWith("}")) {
      const name = t.slice(2, -1).trim();
      if (!Object.hasOwn(env, name)) throw new Error(`referenced env. variable '${name}' not found`);
      return env[name];
    }
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => kesSubstitute(x, env));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, kesSubstitute(x, env)]));
  }
  return v;
}

/** KES policy pattern matching (`minio/kms-go kes/policy.go` `match`, kes-minio.md §1.1). */
function kesMatch(pattern: string, path: string): boolean {
  if (pattern === "") return false;
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1));
  return path === pattern;
}

/** `Policy.Verify`: allowed iff no deny pattern matches and at least one allow pattern matches. */
function kesAllows(policy: KesPolicy, path: string): boolean {
  if ((policy.deny ?? []).some((p) => kesMatch(p, path))) return false;
  return policy.allow.some((p) => kesMatch(p, path));
}

// ---------------------------------------------------------------------------------------
// Golden files
// ---------------------------------------------------------------------------------------

describe("renderKesConfig golden files", () => {
  for (const c of CASES) {
    it(c.golden, () => {
      expectGolden(c.golden, renderKesConfig(configFor(c.keystore)).yaml);
    });
  }

  it("kes/secrets.env (AWS static credentials with a session token)", () => {
    const { secretEnv } = renderKesConfig(configFor(AWS_STATIC));
    expectGolden("kes/secrets.env", renderKesSecretEnvFile(secretEnv));
  });
});

// ---------------------------------------------------------------------------------------
// Structure of every rendered file
// ---------------------------------------------------------------------------------------

describe("renderKesConfig structure", () => {
  for (const c of CASES) {
    describe(c.golden, () => {
      const rendered = renderKesConfig(configFor(c.keystore));
      const doc = parse(rendered.yaml);

      it("writes the keystore with exactly the §1.2 key paths and values", () => {
        expect(doc["keystore"]).toEqual(c.expected);
      });

      it("has exactly one keystore backend, with one sub-backend", () => {
        const ks = doc["keystore"] as Doc;
        expect(Object.keys(ks)).toHaveLength(1);
        const backend = Object.keys(ks)[0]!;
        if (backend !== "fs" && backend !== "vault") {
          expect(Object.keys(ks[backend] as Doc)).toHaveLength(1);
        }
      });

      it("keeps every secret out of the file and puts it in secretEnv", () => {
        expect(Object.entries(rendered.secretEnv).sort()).toEqual([...c.secrets].sort());
        for (const [, value] of c.secrets) {
          expect(rendered.yaml).not.toContain(value);
          // also no recognisable fragment (e.g. one line of a PEM key)
          for (const part of value.split("\\n")) {
            if (part.length >= 16 && !part.startsWith("-----")) expect(rendered.yaml).not.toContain(part);
          }
        }
      });

      it("references each secret once, as a whole-value dollar-brace NAME string", () => {
        const refs = allStrings(doc).filter((s) => s.includes("${"));
        for (const r of refs) expect(r).toMatch(/^\$\{[A-Z][A-Z0-9_]*\}$/);
        expect(refs.map((r) => r.slice(2, -1)).sort()).toEqual(Object.keys(rendered.secretEnv).sort());
      });

      it("resolves to the real secrets under KES's substitution rule", () => {
        const resolved = kesSubstitute(doc, rendered.secretEnv);
        for (const s of allStrings(resolved)) expect(s).not.toContain("${");
        // Every secret value lands in the resolved keystore subtree.
        const resolvedKs = allStrings((resolved as Doc)["keystore"]);
        for (const [, value] of c.secrets) expect(resolvedKs).toContain(value);
        if (c.secrets.length > 0) {
          expect(() => kesSubstitute(doc, {})).toThrow(/not found/);
        }
      });

      it("writes the fixed top-level settings", () => {
        expect(doc["version"]).toBe("v1");
        expect(doc["address"]).toBe(`0.0.0.0:${KES_DEFAULT_PORT}`);
        expect(at(doc, "admin.identity")).toBe("disabled");
        expect(doc["tls"]).toEqual({ key: TLS.keyFile, cert: TLS.certFile, auth: "off" });
        expect(doc["api"]).toEqual({ "/v1/ready": { skip_auth: true, timeout: "15s" } });
        expect(doc["cache"]).toEqual({ expiry: { any: "5m", unused: "30s", offline: "0s" } });
        expect(doc["log"]).toEqual({ error: "on", audit: "off" });
        expect(doc["policy"]).toEqual({
          minio: { allow: POLICY.allow, deny: ["/v1/key/delete/*"], identities: [MINIO_IDENTITY] },
        });
        expect(Object.keys(doc)).toEqual([
          "version",
          "address",
          "admin",
          "tls",
          "api",
          "policy",
          "cache",
          "log",
          "keystore",
        ]);
      });

      it("has no keys:, root:, retry or bulk anywhere", () => {
        const keys = allKeys(doc);
        expect(keys).not.toContain("keys");
        expect(keys).not.toContain("root");
        expect(keys).not.toContain("retry");
        expect(rendered.yaml).not.toMatch(/bulk/);
        expect(rendered.yaml).not.toMatch(/^(keys|root):/m);
        expect(rendered.yaml).not.toMatch(/--auth|--mlock/);
      });

      it("never writes an empty string", () => {
        expect(allStrings(doc)).not.toContain("");
      });

      it("is deterministic and independent of the secret values", () => {
        expect(renderKesConfig(configFor(c.keystore)).yaml).toBe(rendered.yaml);
        const mangled = JSON.parse(JSON.stringify(c.keystore), (_k, v) =>
          typeof v === "string" && c.secrets.some(([, s]) => s === v || s === v.replace(/\n/g, "\\n"))
            ? `${v}-rotated`
            : v,
        ) as Keystore;
        expect(renderKesConfig(configFor(mangled)).yaml).toBe(rendered.yaml);
      });
    });
  }

  it('writes skip_auth as a YAML boolean (a quoted "true" would not decode into Go\'s bool)', () => {
    const { yaml } = renderKesConfig(configFor(FS));
    expect(yaml).toContain("    skip_auth: true\n");
  });

  it("honours address, admin identity, tls ca/auth, cache, log and several policies", () => {
    const admin = "ab785e3b95d80d72cc9c27cb9fde886a0bf9068a69d40e3bd08a54e68c3f2bf7";
    const monitoring: KesPolicy = {
      name: "monitoring",
      allow: ["/v1/status", "/v1/metrics"],
      identities: [OTHER_IDENTITY],
    };
    const { yaml } = renderKesConfig({
      address: "10.0.0.5:7373",
      adminIdentity: admin,
      tls: { ...TLS, caFile: "/etc/kes/certs/clients-ca.crt", auth: "on" },
      policies: [POLICY, monitoring],
      cache: { any: "10m", unused: "1m", offline: "1h" },
      log: { error: "WARN", audit: "on" },
      keystore: FS,
    });
    const doc = parse(yaml);
    expect(doc["address"]).toBe("10.0.0.5:7373");
    expect(at(doc, "admin.identity")).toBe(admin);
    expect(doc["tls"]).toEqual({
      key: TLS.keyFile,
      cert: TLS.certFile,
      ca: "/etc/kes/certs/clients-ca.crt",
      auth: "on",
    });
    expect(doc["cache"]).toEqual({ expiry: { any: "10m", unused: "1m", offline: "1h" } });
    expect(doc["log"]).toEqual({ error: "WARN", audit: "on" });
    expect(Object.keys(doc["policy"] as Doc)).toEqual(["minio", "monitoring"]);
    // no deny list written when the policy has none
    expect(at(doc, "policy.monitoring")).toEqual({
      allow: ["/v1/status", "/v1/metrics"],
      identities: [OTHER_IDENTITY],
    });
  });

  it("always writes cache any+unused, even when only one is given (pitfall 9)", () => {
    const { yaml } = renderKesConfig({ ...configFor(FS), cache: { any: "2m" } });
    expect(at(parse(yaml), "cache.expiry")).toEqual({ any: "2m", unused: "30s", offline: "0s" });
    const { yaml: y2 } = renderKesConfig({ ...configFor(FS), cache: { unused: "", offline: "" } });
    expect(at(parse(y2), "cache.expiry")).toEqual({ any: "5m", unused: "30s", offline: "0s" });
  });

  it("omits the policy section when there are no policies", () => {
    const { yaml } = renderKesConfig({ ...configFor(FS), policies: [] });
    expect(parse(yaml)).not.toHaveProperty("policy");
  });

  it("omits unset optional keys instead of writing empty strings", () => {
    const { yaml } = renderKesConfig(
      configFor({
        kind: "vault",
        endpoint: "https://vault.example.net:8200",
        engine: "",
        namespace: "",
        prefix: "",
        approle: { namespace: "", engine: "", id: "role-id", secret: "secret-id" },
        tls: { keyFile: "", certFile: "", caFile: "" },
        statusPing: "",
      }),
    );
    expect(at(parse(yaml), "keystore")).toEqual({
      vault: {
        endpoint: "https://vault.example.net:8200",
        approle: { id: ref("KES_VAULT_APPROLE_ID"), secret: ref("KES_VAULT_APPROLE_SECRET") },
      },
    });
  });

  it("writes the AWS session token only when given", () => {
    const { yaml, secretEnv } = renderKesConfig(
      configFor({
        kind: "aws",
        endpoint: "secretsmanager.eu-central-1.amazonaws.com",
        region: "eu-central-1",
        credentials: { accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG" },
      }),
    );
    expect(at(parse(yaml), "keystore.aws.secretsmanager.credentials")).toEqual({
      accesskey: ref("KES_AWS_ACCESS_KEY"),
      secretkey: ref("KES_AWS_SECRET_KEY"),
    });
    expect(Object.keys(secretEnv).sort()).toEqual(["KES_AWS_ACCESS_KEY", "KES_AWS_SECRET_KEY"]);
  });

  it("writes GCP endpoint and several scopes when given", () => {
    const { yaml } = renderKesConfig(
      configFor({
        kind: "gcp",
        projectId: "acme-kes-prod",
        endpoint: "secretmanager.googleapis.com:443",
        scopes: ["https://www.googleapis.com/auth/cloud-platform", "openid"],
      }),
    );
    expect(at(parse(yaml), "keystore.gcp.secretmanager")).toEqual({
      project_id: "acme-kes-prod",
      endpoint: "secretmanager.googleapis.com:443",
      scopes: ["https://www.googleapis.com/auth/cloud-platform", "openid"],
    });
  });

  it("writes Fortanix and Thales without the optional group_id / domain / tls", () => {
    const f = renderKesConfig(
      configFor({ kind: "fortanix", endpoint: "https://sdkms.fortanix.com", credentials: { key: "k" } }),
    );
    expect(at(parse(f.yaml), "keystore")).toEqual({
      fortanix: {
        sdkms: { endpoint: "https://sdkms.fortanix.com", credentials: { key: ref("KES_FORTANIX_API_KEY") } },
      },
    });
    const t = renderKesConfig(
      configFor({ kind: "thales", endpoint: "https://ciphertrust.example.net", credentials: { token: "t" } }),
    );
    expect(at(parse(t.yaml), "keystore")).toEqual({
      gemalto: {
        keysecure: {
          endpoint: "https://ciphertrust.example.net",
          credentials: { token: ref("KES_THALES_TOKEN") },
        },
      },
    });
  });

  it("uses the documented secret variable names", () => {
    expect(Object.values(KES_SECRET_ENV).every((n) => /^KES_[A-Z0-9_]+$/.test(n))).toBe(true);
    expect(new Set(Object.values(KES_SECRET_ENV)).size).toBe(Object.values(KES_SECRET_ENV).length);
  });
});

// ---------------------------------------------------------------------------------------
// Errors where the file would be invalid
// ---------------------------------------------------------------------------------------

describe("renderKesConfig errors", () => {
  const approle = { id: "role-id", secret: "secret-id" };
  const kubernetes = { role: "kes-server", jwt: K8S_JWT };
  const vault = { kind: "vault", endpoint: "https://vault.example.net:8200" } as const;

  it("rejects Vault with both AppRole and Kubernetes, or neither", () => {
    expect(() => renderKesConfig(configFor({ ...vault, approle, kubernetes }))).toThrow(
      /keystore\.approle and keystore\.kubernetes/,
    );
    expect(() => renderKesConfig(configFor({ ...vault }))).toThrow(
      /keystore\.approle or keystore\.kubernetes/,
    );
  });

  it("rejects a Vault mTLS key without cert and vice versa", () => {
    expect(() =>
      renderKesConfig(configFor({ ...vault, approle, tls: { keyFile: "/etc/kes/certs/vault-client.key" } })),
    ).toThrow(/keystore\.tls\.keyFile and keystore\.tls\.certFile/);
    expect(() =>
      renderKesConfig(configFor({ ...vault, approle, tls: { certFile: "/etc/kes/certs/vault-client.crt" } })),
    ).toThrow(/keystore\.tls\.keyFile and keystore\.tls\.certFile/);
  });

  it("takes jwt as the token (a secret) and jwtFile as a path, exactly one; refuses a token KES would read as a path", () => {
    expect(() =>
      renderKesConfig(
        configFor({ ...vault, kubernetes: { role: "kes", jwt: K8S_JWT, jwtFile: K8S_JWT_PATH } }),
      ),
    ).toThrow(/exactly one of keystore\.kubernetes\.jwt and keystore\.kubernetes\.jwtFile/);
    // Before: a value with "/" was written into the (non-secret) config as a path.
    expect(() =>
      renderKesConfig(configFor({ ...vault, kubernetes: { role: "kes", jwt: "abc/def.ghi.jkl" } })),
    ).toThrow(/keystore\.kubernetes\.jwt: jwt is not a JWT/);
    expect(() =>
      renderKesConfig(
        configFor({ ...vault, kubernetes: { role: "kes", jwtFile: "/var/run/secrets/%h/token" } }),
      ),
    ).toThrow(/keystore\.kubernetes\.jwtFile/);
  });

  it("rejects transit without a key", () => {
    expect(() => renderKesConfig(configFor({ ...vault, approle, transit: { key: "" } }))).toThrow(
      /keystore\.transit\.key/,
    );
  });

  it("rejects empty secrets and empty required fields, naming the field", () => {
    expect(() => renderKesConfig(configFor({ ...vault, approle: { id: "role-id", secret: "" } }))).toThrow(
      /keystore\.approle\.secret/,
    );
    expect(() => renderKesConfig(configFor({ ...vault, kubernetes: { role: "kes", jwt: "" } }))).toThrow(
      /keystore\.kubernetes\.jwt/,
    );
    expect(() => renderKesConfig(configFor({ ...vault, endpoint: "", approle }))).toThrow(
      /keystore\.endpoint/,
    );
    expect(() =>
      renderKesConfig(configFor({ kind: "aws", endpoint: "secretsmanager.x", region: "" })),
    ).toThrow(/keystore\.region/);
    expect(() => renderKesConfig(configFor({ kind: "fs", path: "" }))).toThrow(/keystore\.path/);
    expect(() => renderKesConfig({ ...configFor(FS), tls: { keyFile: "", certFile: "/c" } })).toThrow(
      /tls\.keyFile/,
    );
    expect(() => renderKesConfig({ ...configFor(FS), adminIdentity: "" })).toThrow(/adminIdentity/);
  });

  it("rejects Azure with both or neither auth method", () => {
    const endpoint = "https://acme-kes.vault.azure.net";
    expect(() =>
      renderKesConfig(
        configFor({
          kind: "azure",
          endpoint,
          credentials: { tenantId: "t", clientId: "c", clientSecret: "s" },
          managedIdentity: { clientId: "m" },
        }),
      ),
    ).toThrow(/mutually exclusive/);
    expect(() => renderKesConfig(configFor({ kind: "azure", endpoint }))).toThrow(
      /keystore\.credentials or keystore\.managedIdentity/,
    );
  });

  it("rejects duplicate policy names, an identity in two policies, and the admin in a policy", () => {
    const p2 = { ...POLICY };
    expect(() => renderKesConfig({ ...configFor(FS), policies: [POLICY, p2] })).toThrow(/defined twice/);
    expect(() =>
      renderKesConfig({
        ...configFor(FS),
        policies: [POLICY, { name: "other", allow: ["/v1/status"], identities: [MINIO_IDENTITY] }],
      }),
    ).toThrow(/only one policy/);
    expect(() => renderKesConfig({ ...configFor(FS), adminIdentity: MINIO_IDENTITY })).toThrow(
      /admin identity/,
    );
  });
});

// ---------------------------------------------------------------------------------------
// Secret env file
// ---------------------------------------------------------------------------------------

describe("kesKeystoreSecretEnv", () => {
  it("is the secrets of the full config, whatever the policies, for every keystore", () => {
    for (const c of CASES) {
      const full = renderKesConfig(configFor(c.keystore)).secretEnv;
      expect(kesKeystoreSecretEnv(c.keystore), c.golden).toEqual(full);
      const withPolicy = renderKesConfig({
        ...configFor(c.keystore),
        policies: [{ name: "app", allow: ["/v1/key/generate/app-*"], identities: ["b".repeat(64)] }],
      }).secretEnv;
      expect(kesKeystoreSecretEnv(c.keystore), c.golden).toEqual(withPolicy);
    }
    expect(Object.keys(kesKeystoreSecretEnv(AWS_STATIC)).length).toBeGreaterThan(0);
  });
});

describe("renderKesSecretEnvFile", () => {
  it("sorts names, starts with a header comment, and round-trips every value", () => {
    const env = { KES_B: 'it\'s "quoted" $HOME `x` \\', KES_A: "plain", KES_C: "-----BEGIN-----\\nabc\\n" };
    const text = renderKesSecretEnvFile(env);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^# /);
    const vars = lines.map((l) => (l.startsWith("#") ? null : parseEnvLine(l))).filter((x) => x !== null);
    expect(vars.map((v) => v.name)).toEqual(["KES_A", "KES_B", "KES_C"]);
    for (const v of vars) expect(v.value).toBe(env[v.name as keyof typeof env]);
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toMatch(/0600/);
  });

  it("renders a header-only file when there are no secrets", () => {
    const text = renderKesSecretEnvFile(renderKesConfig(configFor(FS)).secretEnv);
    expect(text.split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toEqual([]);
  });

  it("encodes the GCP private key on one line, newlines as \\n (KES decodes them)", () => {
    const { secretEnv } = renderKesConfig(configFor(GCP_CREDENTIALS));
    const text = renderKesSecretEnvFile(secretEnv);
    const line = text.split("\n").find((l) => l.startsWith("KES_GCP_PRIVATE_KEY="))!;
    const value = parseEnvLine(line)!.value;
    expect(value).not.toContain("\n");
    // what KES does in internal/keystore/gcp/config.go: ReplaceAll(key, "\\n", "\n")
    expect(value.replaceAll("\\n", "\n")).toBe(GCP_PRIVATE_KEY);
  });
});

// ---------------------------------------------------------------------------------------
// minioKesPolicy
// ---------------------------------------------------------------------------------------

describe("minioKesPolicy", () => {
  it("exact allow/deny lists for one exact key name", () => {
    expect(minioKesPolicy({ keyNames: ["minio-default-key"], identities: [MINIO_IDENTITY] })).toEqual({
      name: "minio",
      allow: [
        "/v1/key/create/minio-default-key",
        "/v1/key/generate/minio-default-key",
        "/v1/key/decrypt/minio-default-key",
        "/v1/key/describe/minio-default-key",
        "/v1/key/list/*",
        "/v1/status",
        "/v1/metrics",
        "/v1/api",
      ],
      deny: ["/v1/key/delete/*"],
      identities: [MINIO_IDENTITY],
    });
  });

  it("exact allow/deny lists for a prefix pattern plus a name, custom policy name, duplicates dropped", () => {
    expect(
      minioKesPolicy({
        name: "minio-prod",
        keyNames: ["minio-*", "legacy-sse-key", "minio-*"],
        identities: [MINIO_IDENTITY, OTHER_IDENTITY],
      }),
    ).toEqual({
      name: "minio-prod",
      allow: [
        "/v1/key/create/minio-*",
        "/v1/key/generate/minio-*",
        "/v1/key/decrypt/minio-*",
        "/v1/key/describe/minio-*",
        "/v1/key/create/legacy-sse-key",
        "/v1/key/generate/legacy-sse-key",
        "/v1/key/decrypt/legacy-sse-key",
        "/v1/key/describe/legacy-sse-key",
        "/v1/key/list/*",
        "/v1/status",
        "/v1/metrics",
        "/v1/api",
      ],
      deny: ["/v1/key/delete/*"],
      identities: [MINIO_IDENTITY, OTHER_IDENTITY],
    });
  });

  it("never allows delete, import, hmac, bulk, policy/identity admin or logs", () => {
    const p = minioKesPolicy({ keyNames: ["minio-*"], identities: [MINIO_IDENTITY] });
    for (const a of p.allow) {
      expect(a).not.toMatch(/delete|import|bulk|hmac|\/v1\/policy|\/v1\/identity|\/v1\/log/);
    }
  });

  it("under KES matching, lets MinIO use its keys and nothing else (prefix pattern)", () => {
    const p = minioKesPolicy({ keyNames: ["minio-*"], identities: [MINIO_IDENTITY] });
    for (const op of ["create", "generate", "decrypt", "describe"]) {
      expect(kesAllows(p, `/v1/key/${op}/minio-default`), op).toBe(true);
      expect(kesAllows(p, `/v1/key/${op}/minio-bucket-photos`), op).toBe(true);
      expect(kesAllows(p, `/v1/key/${op}/other-tenant-key`), op).toBe(false);
      expect(kesAllows(p, `/v1/key/${op}/minio`), op).toBe(false); // no "-": not under the prefix
    }
    expect(kesAllows(p, "/v1/key/delete/minio-default")).toBe(false);
    expect(kesAllows(p, "/v1/key/delete/other-tenant-key")).toBe(false);
    expect(kesAllows(p, "/v1/key/import/minio-default")).toBe(false);
    expect(kesAllows(p, "/v1/key/encrypt/minio-default")).toBe(false);
    expect(kesAllows(p, "/v1/key/hmac/minio-default")).toBe(false);
    expect(kesAllows(p, "/v1/key/list/*")).toBe(true); // what mc sends
    expect(kesAllows(p, "/v1/status")).toBe(true);
    expect(kesAllows(p, "/v1/metrics")).toBe(true);
    expect(kesAllows(p, "/v1/api")).toBe(true);
    expect(kesAllows(p, "/v1/policy/list/*")).toBe(false);
    expect(kesAllows(p, "/v1/identity/list/*")).toBe(false);
    expect(kesAllows(p, "/v1/log/audit")).toBe(false);
  });

  it("under KES matching, an exact name matches only itself", () => {
    const p = minioKesPolicy({ keyNames: ["minio-default-key"], identities: [MINIO_IDENTITY] });
    expect(kesAllows(p, "/v1/key/generate/minio-default-key")).toBe(true);
    expect(kesAllows(p, "/v1/key/decrypt/minio-default-key")).toBe(true);
    expect(kesAllows(p, "/v1/key/create/minio-default-key")).toBe(true);
    expect(kesAllows(p, "/v1/key/generate/minio-default-key2")).toBe(false);
    expect(kesAllows(p, "/v1/key/generate/minio-default")).toBe(false);
    expect(kesAllows(p, "/v1/key/generate/other-key")).toBe(false);
    expect(kesAllows(p, "/v1/key/delete/minio-default-key")).toBe(false);
  });

  it("the explicit deny wins even over a broad allow (defence in depth)", () => {
    const p = minioKesPolicy({ keyNames: ["*"], identities: [MINIO_IDENTITY] });
    const widened: KesPolicy = { ...p, allow: [...p.allow, "/v1/key/*"] };
    expect(kesAllows(widened, "/v1/key/delete/minio-default")).toBe(false);
    expect(kesAllows(widened, "/v1/key/import/minio-default")).toBe(true); // only delete is denied
  });

  it("rejects patterns KES cannot express and empty input", () => {
    expect(() => minioKesPolicy({ keyNames: ["minio-*-key"], identities: [] })).toThrow(/only end in/);
    expect(() => minioKesPolicy({ keyNames: ["a/b"], identities: [] })).toThrow(/contains "\/"/);
    expect(() => minioKesPolicy({ keyNames: [], identities: [] })).toThrow(/keyNames/);
    expect(() => minioKesPolicy({ keyNames: [""], identities: [] })).toThrow(/keyNames/);
  });
});

// ---------------------------------------------------------------------------------------
// The YAML emitter
// ---------------------------------------------------------------------------------------

describe("yaml emitter", () => {
  const tricky = [
    "on",
    "off",
    "no",
    "yes",
    "y",
    "null",
    "~",
    "true",
    "1e3",
    "0x10",
    "0o17",
    "012",
    ".inf",
    "- item",
    "a: b",
    "# not a comment",
    "'single'",
    '"double"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "nel\u0085x",
    "ls\u2028ps\u2029",
    "del\u007f",
    "bom\ufeff",
    "emoji 🔐",
    "ünïcödé",
    ref("KES_VAULT_APPROLE_SECRET"),
    " leading and trailing ",
    "",
    "@at",
    "%percent",
    "*alias",
    "&anchor",
    "!tag",
    "|",
    ">",
  ];

  it("round-trips tricky strings as values and as keys", () => {
    for (const s of tricky) {
      const doc = load(renderYaml(ymap([["k", s]]))) as Doc;
      expect(doc["k"], JSON.stringify(s)).toBe(s);
      const doc2 = load(renderYaml(ymap([[s, "v"]]))) as Doc;
      expect(Object.keys(doc2), JSON.stringify(s)).toEqual([s]);
    }
  });

  it("keeps a dollar-brace VAR reference as an exact double-quoted string", () => {
    expect(quoteYamlString(ref("KES_X"))).toBe(`"\${KES_X}"`);
  });

  it("writes plain keys only when safe", () => {
    expect(yamlKey("skip_auth")).toBe("skip_auth");
    expect(yamlKey("/v1/ready")).toBe("/v1/ready");
    expect(yamlKey("minio-prod")).toBe("minio-prod");
    expect(yamlKey("on")).toBe('"on"');
    expect(yamlKey("1")).toBe('"1"');
    expect(yamlKey("a b")).toBe('"a b"');
    expect(yamlKey("-x")).toBe('"-x"');
  });

  it("renders nested structures, empties and scalars", () => {
    const text = renderYaml(
      ymap([
        [
          "a",
          ymap([
            [
              "b",
              [
                1,
                true,
                "s",
                ymap([
                  ["c", "d"],
                  ["e", ["f"]],
                ]),
                ["g", "h"],
                [],
                ymap([]),
              ],
            ],
          ]),
        ],
        ["empty_map", ymap([])],
        ["empty_seq", []],
        ["dropped", undefined],
      ]),
      { header: "line one\n\nline three" },
    );
    expect(text).toBe(
      [
        "# line one",
        "#",
        "# line three",
        "a:",
        "  b:",
        "    - 1",
        "    - true",
        '    - "s"',
        '    - c: "d"',
        "      e:",
        '        - "f"',
        '    - - "g"',
        '      - "h"',
        "    - []",
        "    - {}",
        "empty_map: {}",
        "empty_seq: []",
        "",
      ].join("\n"),
    );
    expect(load(text)).toEqual({
      a: { b: [1, true, "s", { c: "d", e: ["f"] }, ["g", "h"], [], {}] },
      empty_map: {},
      empty_seq: [],
    });
  });

  it("rejects duplicate keys, lone surrogates and non-finite numbers", () => {
    expect(() =>
      ymap([
        ["a", "1"],
        ["a", "2"],
      ]),
    ).toThrow(/duplicate/);
    expect(() => quoteYamlString("x\ud800y")).toThrow(/surrogate/);
    expect(() => renderYaml(ymap([["n", Number.NaN]]))).toThrow(/non-finite/);
  });
});
