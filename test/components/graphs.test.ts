/**
 * The full resource graph of every example, pinned (issue 10: a restructuring must not change
 * what a user's stack sees). For each resource: its URN (type, parent chain and name), whether
 * it is a custom resource, its dependencies, the names of its inputs, and which of them are
 * secret. A change here means every existing stack of that example sees creates, deletes or
 * replaces: make it only on purpose, then update with UPDATE_GOLDEN=1 and say so in the commit.
 */
import { describe, it } from "vitest";
import { deployAws } from "../../examples/aws/deploy";
import { deployProduction } from "../../examples/production/deploy";
import { deployQuickstart } from "../../examples/quickstart/deploy";
import { expectGolden } from "../helpers/golden";
import { captureGraph, type Graph } from "../helpers/mockGraph";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock";
const host = (name: string, i: number, dns?: string) => ({
  name,
  address: `203.0.113.${i}`,
  ...(dns ? { internalAddress: dns } : {}),
  privateKey: "mock-ssh-key",
  hostKey,
});
const bin = (n: string) => ({ url: `https://mirror.example.net/${n}`, sha256: "b".repeat(64) });
const binaries = { minioBinary: bin("minio"), kesBinary: bin("kes"), mcBinary: bin("mc") };

/** One line per resource, sorted by URN: what a stack's state is keyed on and wired by. */
function shape(g: Graph): string {
  const lines = g.nodes
    .map((n) =>
      [
        n.urn,
        `  ${n.custom ? "custom" : "component"}`,
        ...[...n.dependencies].sort().map((d) => `  depends on ${d}`),
        `  inputs ${Object.keys(n.inputs).sort().join(", ") || "-"}`,
        ...(n.secretPaths.length > 0 ? [`  secret ${[...n.secretPaths].sort().join(", ")}`] : []),
      ].join("\n"),
    )
    .sort();
  return `${lines.join("\n")}\n`;
}

const examples: Array<[string, () => void]> = [
  [
    "quickstart",
    () => {
      deployQuickstart({
        host: host("node1", 11),
        ...binaries,
        rootUser: "admin",
        rootPassword: "a-long-root-password",
      });
    },
  ],
  [
    "production",
    () => {
      deployProduction({
        minioHosts: [1, 2, 3, 4].map((i) => host(`minio${i}`, 10 + i, `minio${i}.example.net`)),
        kesHosts: [1, 2].map((i) => host(`kes${i}`, 20 + i, `kes${i}.example.net`)),
        vault: {
          endpoint: "https://vault.example.net:8200",
          caCertPem: "-----BEGIN CERTIFICATE-----\nVAULT-CA\n-----END CERTIFICATE-----\n",
          roleId: "role-id-1",
          secretId: "secret-id-1",
        },
        ...binaries,
        rootUser: "admin",
        rootPassword: "production-password",
        buckets: ["invoices", "backups"],
      });
    },
  ],
  [
    "aws",
    () => {
      deployAws({
        region: "eu-central-1",
        kesHosts: [host("kes1", 1)],
        minioHosts: [host("minio1", 2), host("minio2", 3)],
        drives: ["/data1", "/data2"],
        ...binaries,
        rootUser: "admin",
        rootPassword: "aws-root-password",
      });
    },
  ],
];

describe("the graph of every example is what existing stacks have (URNs, dependencies, secrets)", () => {
  for (const [name, program] of examples) {
    it(name, async () => {
      expectGolden(`graphs/${name}.txt`, shape(await captureGraph(program)));
    });
  }
});
