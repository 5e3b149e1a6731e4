/**
 * Preview-mode regression tests: the examples and the end-to-end programs run as the preview of
 * a new stack (`setMocks(..., preview = true)`, every provider-computed output unknown), and what
 * would be sent to the engine is checked against what the real providers refuse
 * (scripts/lib/providerRules.ts). Both bugs that made every first `pulumi up` fail on the real
 * engine — a secret unknown inside `triggers`, and camelCase `allowedUses` for the tls provider —
 * were accepted by every other test.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployAws } from "../../examples/aws/deploy";
import { deployProduction } from "../../examples/production/deploy";
import { deployQuickstart } from "../../examples/quickstart/deploy";
import { makeCertificates } from "../../scripts/lib/binaries";
import { providerViolations, SECRET_SIG, SECRET_VAL, UNKNOWN } from "../../scripts/lib/providerRules";
import { scenarioProgram, tlsProgram } from "../e2e/programs";
import { captureGraph, type Graph, scriptOf } from "../helpers/mockGraph";

/** A placeholder in PEM form (the CA file is only written, never parsed). */
const VAULT_CA_PEM = "-----BEGIN CERTIFICATE-----\nVAULT-CA\n-----END CERTIFICATE-----\n";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock";
const host = (name: string, i: number) => ({
  name,
  address: `198.18.0.${10 + i}`,
  hostKey,
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nmock\n-----END OPENSSH PRIVATE KEY-----\n",
});
const bin = (n: string) => ({ url: `http://198.18.0.1:8799/${n}`, sha256: "a".repeat(64), name: n });
const binaries = { minio: bin("minio"), kes: bin("kes"), mc: bin("mc") };
// Bring-your-own KES certificates for the scenario program, made with OpenSSL as the e2e set-up does.
const pki = makeCertificates(mkdtempSync(join(tmpdir(), "mkt-preview-")), [
  { name: "kes1", address: "198.18.0.11" },
  { name: "kes2", address: "198.18.0.12" },
]);

/** Every violation in the graph, as `resource: path: message`. */
function violations(g: Graph): string[] {
  return g.nodes
    .filter((n) => n.custom)
    .flatMap((n) => providerViolations(n.type, n.wire).map((v) => `${n.name}: ${v}`));
}

const programs: Array<[string, () => void]> = [
  [
    "quickstart (generated KES certificates)",
    () => {
      deployQuickstart({
        host: host("node1", 1),
        kesBinary: binaries.kes,
        minioBinary: binaries.minio,
        mcBinary: binaries.mc,
        rootUser: "admin",
        rootPassword: "quickstart-password",
      });
    },
  ],
  [
    "production (Vault, 2 KES, 4 MinIO nodes, MinIO TLS)",
    () => {
      deployProduction({
        minioHosts: [1, 2, 3, 4].map((i) => ({
          ...host(`minio${i}`, i),
          internalAddress: `minio${i}.example.net`,
        })),
        kesHosts: [1, 2].map((i) => ({ ...host(`kes${i}`, 10 + i), internalAddress: `kes${i}.example.net` })),
        vault: {
          endpoint: "https://vault.example.net:8200",
          caCertPem: VAULT_CA_PEM,
          roleId: "role-id-1",
          secretId: "secret-id-1",
        },
        minioBinary: binaries.minio,
        kesBinary: binaries.kes,
        mcBinary: binaries.mc,
        rootUser: "admin",
        rootPassword: "production-password",
        buckets: ["invoices", "backups"],
      });
    },
  ],
  [
    "aws (KMS key and IAM credentials created in the same update)",
    () => {
      deployAws({
        region: "eu-central-1",
        kesHosts: [host("kes1", 1)],
        minioHosts: [host("minio1", 2), host("minio2", 3)],
        drives: ["/data1", "/data2"],
        minioBinary: binaries.minio,
        kesBinary: binaries.kes,
        mcBinary: binaries.mc,
        rootUser: "admin",
        rootPassword: "aws-root-password",
      });
    },
  ],
  [
    "end-to-end scenarios a–g",
    scenarioProgram(
      {
        kesHosts: [host("kes1", 1), host("kes2", 2)],
        minioHosts: [host("minio1", 3), host("minio2", 4), host("minio3", 5)],
        binaries,
        certs: { ca: pki.ca, kes: pki.certs },
        sharedKeys: "/var/lib/kes-shared",
      },
      { change: true, clientPolicy: "app" },
    ),
  ],
  [
    "end-to-end TLS, generated certificates with rotation",
    tlsProgram({ host: host("node1", 1), binaries, rotation: "2026-12" }),
  ],
];

describe("the preview of a new stack sends the engine only what the providers accept", () => {
  it.each(programs)("%s", async (_name, program) => {
    const g = await captureGraph(program, { preview: true });
    expect(g.nodes.filter((n) => n.type === "command:remote:Command").length).toBeGreaterThan(5);
    expect(violations(g)).toEqual([]);
    // Every action step's triggers are present, and none is a secret (known or not): a trigger
    // that is unknown in this preview is a plain unknown, which the provider accepts. The files
    // steps' triggers (each file's revision, keyed for secrets) likewise.
    const actions = g.nodes.filter(
      (n) => Array.isArray(n.wire.triggers) && /-(service|reload|ready)$/.test(n.name),
    );
    expect(actions.length).toBeGreaterThan(0);
    const files = g.nodes.filter(
      (n) => Array.isArray(n.wire.triggers) && /-(config|certs|files)$/.test(n.name),
    );
    expect(files.length).toBeGreaterThan(0);
    actions.push(...files);
    for (const a of actions)
      for (const t of a.wire.triggers as unknown[])
        expect(t && typeof t === "object" && SECRET_SIG in (t as object), `${a.name}: a secret trigger`).toBe(
          false,
        );
  });

  it("really is the preview of a new stack: keys, certificates and the env file are unknown", async () => {
    const g = await captureGraph(programs[0]![1], { preview: true });
    const step = g.byName("minio-node1-config");
    expect(scriptOf(step)).toContain("\npath='/etc/default/minio'\n");
    const env = step.wire.stdin as Record<string, unknown>;
    expect(env).toEqual({ [SECRET_SIG]: SECRET_VAL, value: UNKNOWN });
    const service = g.byName("minio-node1-service").wire.triggers as unknown[];
    expect(service).toContain(UNKNOWN);
  });
});

describe("the provider rules themselves", () => {
  it("refuse a secret whose value is unknown inside a list, as the engine does", () => {
    const secretUnknown = { [SECRET_SIG]: SECRET_VAL, value: UNKNOWN };
    expect(providerViolations("command:remote:Command", { triggers: ["a", "b", secretUnknown] })).toEqual([
      "triggers[2]: malformed secret: missing value",
    ]);
    // A known secret in a list, and a secret unknown outside any list, pass.
    expect(
      providerViolations("command:remote:Command", {
        triggers: [{ [SECRET_SIG]: SECRET_VAL, value: "x" }, UNKNOWN],
        stdin: secretUnknown,
      }),
    ).toEqual([]);
  });

  it("refuse the tls key usages the provider does not know (camelCase)", () => {
    const v = providerViolations("tls:index/selfSignedCert:SelfSignedCert", {
      allowedUses: ["certSigning", "crl_signing"],
      validityPeriodHours: 87600,
    });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/^allowed_uses\[0\]: Invalid Attribute Value Match: .*got: "certSigning"$/);
    expect(
      providerViolations("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P-256" }),
    ).toEqual([expect.stringMatching(/^ecdsa_curve: Invalid Attribute Value Match/)]);
  });
});
