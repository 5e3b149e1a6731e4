/**
 * MinIO over TLS on a real host (harness, not the engine; see ./harness.ts): KES and MinIO on one
 * host, MinIO's S3 API on HTTPS with bring-your-own certificates (made with OpenSSL here), the
 * health gates over HTTPS with the CA, and mc trusting the CA through its config directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EncryptedBucket, KesServer, KmsTarget, MinioDeployment } from "../../lib";
import { bootTestbed, type Testbed, testbedSkipReason } from "../hosts/testbed";
import { runProgram } from "./harness";
import { locateBinaries, makeCertificates, serveBinaries } from "./support";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`TLS e2e skipped: ${skip}`);
const work = mkdtempSync(join(tmpdir(), "mkt-e2e-tls-"));

describe.skipIf(skip !== undefined)("MinIO over TLS on a real host (harness, not the engine)", () => {
  let tb: Testbed;
  let server: Server | undefined;

  beforeAll(async () => {
    tb = await bootTestbed(1);
  }, 900_000);

  afterAll(async () => {
    server?.close();
    await tb?.teardown();
    rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it("serves S3 over HTTPS with the given certificate, and the bucket is encrypted and verified", async () => {
    const h = tb.hosts[0]!;
    const located = locateBinaries({
      minio: process.env.E2E_MINIO_BINARY,
      kes: process.env.E2E_KES_BINARY,
      mc: process.env.E2E_MC_BINARY,
    });
    const served = await serveBinaries(located.paths);
    server = served.server;
    // One CA for both: the KES certificate (IP SAN) and MinIO's (IP and localhost, for mc).
    const pki = makeCertificates(join(work, "pki"), [
      { name: "kes", address: h.address },
      { name: "minio", address: h.address, extraSans: ["DNS:localhost", "IP:127.0.0.1"] },
    ]);
    const host = { name: "node1", address: h.address, hostKey: h.hostKey, privateKey: tb.privateKeyPem };
    const program = () => {
      const kms = new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
      const kes = new KesServer("kes", {
        hosts: [host],
        kms,
        binary: served.sources.kes,
        minioKeyNames: ["minio-*"],
        healthTimeoutSeconds: 30,
        tls: { caCertPem: pki.ca, certificates: { node1: pki.certs.kes! } },
      });
      const minio = new MinioDeployment("minio", {
        nodes: [host],
        drives: ["/var/lib/minio/d1", "/var/lib/minio/d2", "/var/lib/minio/d3", "/var/lib/minio/d4"],
        rootUser: "tls-admin",
        rootPassword: "tls-Root-Password-42",
        kes,
        defaultKeyName: "minio-default",
        binary: served.sources.minio,
        mc: served.sources.mc,
        tls: { caCertPem: pki.ca, certificates: { node1: pki.certs.minio! } },
        healthTimeoutSeconds: 60,
      });
      new EncryptedBucket("secure", { deployment: minio, bucket: "secure", keyName: "minio-secure" });
    };
    const statePath = join(work, "state.json");
    const run = await runProgram(program, { statePath });
    expect(run.steps.find((s) => s.name === "secure-node1-bucket")!.stdout).toMatch(
      /result: algorithm=sse-kms key=minio-secure verified=true/,
    );

    // The env file says HTTPS volumes (single node, 4 drives) and the certs dir.
    const env = await tb.readFile(h, "/etc/default/minio");
    expect(env).toContain("MINIO_VOLUMES='/var/lib/minio/d{1...4}'");
    expect(env).toContain("--certs-dir /etc/minio/certs");
    expect(await tb.stat(h, "/etc/minio/certs/private.key")).toEqual({
      mode: "0600",
      owner: "minio-user",
      group: "minio-user",
    });
    // The S3 port answers TLS with our certificate: curl checks it against the CA and the name.
    await tb.exec(
      h,
      "curl -fsS --cacert /etc/minio/certs/CAs/ca.crt -o /dev/null https://localhost:9000/minio/health/live",
    );
    const plain = await tb.exec(h, "curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/live", {
      check: false,
    });
    expect(plain.code).not.toBe(0);
    // And a second run changes nothing.
    const again = await runProgram(program, { statePath });
    expect(again.steps.filter((s) => s.op !== "same").map((s) => s.name)).toEqual([]);
  }, 900_000);
});
