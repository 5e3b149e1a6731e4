/** KES behind one service name (issue 11): MinIO's endpoint list stops following the replicas. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KmsTarget } from "../../lib";
import { validateKesServerArgs } from "../../lib/components/kesServer";
import { parseEnvLine } from "../../lib/core/envfile";
import { makeCertificates } from "../../scripts/lib/binaries";
import { captureGraph, fileWritten, type Graph } from "../helpers/mockGraph";
import { kesAndMinio, mirrorBinary, mockHost } from "../helpers/stacks";

const host = mockHost;
const bin = mirrorBinary;
const program = (kesHosts: string[], serviceName?: string) =>
  kesAndMinio({
    kesHosts,
    nodes: ["n1", "n2"],
    kes: { serviceName },
    kms: () =>
      new KmsTarget("kms", {
        vault: { endpoint: "https://vault.example.net:8200", approle: { roleId: "r", secretId: "s" } },
      }),
  });

/** MINIO_KMS_KES_ENDPOINT in node n1's env file. */
const endpointOf = (g: Graph) =>
  fileWritten(g, "minio-n1", "/etc/default/minio")
    .content.split("\n")
    .map(parseEnvLine)
    .find((e) => e?.name === "MINIO_KMS_KES_ENDPOINT")?.value;

describe("KES serviceName", () => {
  it("MinIO names only the service, whatever the replicas; each generated certificate covers it", async () => {
    const two = await captureGraph(program(["kes1", "kes2"], "kes.example.net"));
    const one = await captureGraph(program(["kes2"], "kes.example.net"));
    expect(endpointOf(two)).toBe("https://kes.example.net:7373");
    expect(endpointOf(one)).toBe("https://kes.example.net:7373");
    expect(two.byName("kes-kes1-server-csr").inputs.dnsNames).toEqual(["kes.example.net"]);
    expect(two.byName("kes-kes1-server-csr").inputs.ipAddresses).toEqual(["203.0.113.1"]);
  });

  it("without it, MinIO lists each replica (and a replica change changes MinIO's env)", async () => {
    const two = await captureGraph(program(["kes1", "kes2"]));
    expect(endpointOf(two)).toBe("https://203.0.113.1:7373,https://203.0.113.2:7373");
  });

  it("refuses a service name that is not a host name", () => {
    const issues = validateKesServerArgs({
      hosts: [host("kes1", 1)],
      kms: undefined as never,
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      serviceName: "https://kes.example.net",
    });
    expect(issues.list.map((i) => i.field)).toContain("serviceName");
  });

  it("refuses a brought certificate that does not name the service", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-pki-"));
    const made = makeCertificates(dir, [{ name: "kes1", address: "203.0.113.1" }]);
    const issues = validateKesServerArgs({
      hosts: [host("kes1", 1)],
      kms: undefined as never,
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      serviceName: "kes.example.net",
      tls: { caCertPem: made.ca, certificates: { kes1: made.certs.kes1! } },
    });
    const mine = issues.list.filter((i) => i.field === "tls.certificates.kes1.certPem");
    expect(mine).toHaveLength(1);
    expect(mine[0]!.message).toContain("kes.example.net");
  });
});
