import { beforeAll, describe, expect, it } from "vitest";
import { deployProduction } from "../../examples/production/deploy";
import { EncryptedBucket, KesServer, KmsTarget, MinioDeployment } from "../../lib";
import { captureGraph, fileWritten, type Graph, resolved, scriptOf } from "../helpers/mockGraph";

/** A placeholder in PEM form (the CA file is only written, never parsed). */
const VAULT_CA_PEM = "-----BEGIN CERTIFICATE-----\nVAULT-CA\n-----END CERTIFICATE-----\n";

const hk = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock";
const mk = (name: string, i: number, dns: string) => ({
  name,
  address: `203.0.113.${i}`,
  internalAddress: dns,
  privateKey: "mock-ssh-key",
  hostKey: hk,
});
const minioHosts = [1, 2, 3, 4].map((i) => mk(`minio${i}`, 10 + i, `minio${i}.example.net`));
const kesHosts = [1, 2].map((i) => mk(`kes${i}`, 20 + i, `kes${i}.example.net`));
const bin = (n: string) => ({ url: `https://mirror.example.net/${n}`, sha256: "b".repeat(64) });
const config = {
  minioHosts,
  kesHosts,
  vault: {
    endpoint: "https://vault.example.net:8200",
    caCertPem: VAULT_CA_PEM,
    roleId: "role-id-1",
    secretId: "secret-id-1",
  },
  minioBinary: bin("minio"),
  kesBinary: bin("kes"),
  mcBinary: bin("mc"),
  rootUser: "admin",
  rootPassword: "production-password",
  buckets: ["invoices", "backups"],
};

let g: Graph;
let out: ReturnType<typeof deployProduction>;
beforeAll(async () => {
  g = await captureGraph(() => {
    out = deployProduction(config);
  });
});

describe("production layout: 4 nodes x 4 drives, 2 KES replicas, Vault", () => {
  it("renders MINIO_VOLUMES with MinIO's ellipsis notation over TLS", async () => {
    expect(await resolved(out.minio.volumes)).toBe(
      "https://minio{1...4}.example.net:9000/mnt/disk{1...4}/minio",
    );
  });

  it("lists both KES endpoints for MinIO", async () => {
    expect(await resolved(out.minio.kesEndpoints)).toEqual([
      "https://kes1.example.net:7373",
      "https://kes2.example.net:7373",
    ]);
  });

  it("starts every MinIO node only after every KES replica's gates, across hosts", () => {
    for (const m of minioHosts) {
      const service = g.byName(`minio-${m.name}-service`);
      for (const k of kesHosts) {
        expect(g.dependsOn(service, g.byName(`kes-${k.name}-service`)), `${m.name} after ${k.name}`).toBe(
          true,
        );
        expect(
          g.dependsOn(service, g.byName(`kes-${k.name}-reload`)),
          `${m.name} after ${k.name} reload`,
        ).toBe(true);
      }
    }
  });

  it("restarts all nodes together: each node's restart waits for every node's files and has the same triggers", () => {
    const services = minioHosts.map((m) => g.byName(`minio-${m.name}-service`));
    for (const s of services) {
      for (const m of minioHosts) expect(g.dependsOn(s, g.byName(`minio-${m.name}-config`))).toBe(true);
      expect(s.inputs.triggers).toEqual(services[0]!.inputs.triggers);
    }
    for (const a of services) for (const b of services) if (a !== b) expect(g.dependsOn(a, b)).toBe(false);
  });

  it("writes an identical env file on every node (MinIO compares them across nodes)", () => {
    const envs = minioHosts.map((m) => fileWritten(g, `minio-${m.name}`, "/etc/default/minio").content);
    for (const e of envs) expect(e).toBe(envs[0]);
    expect(envs[0]).toContain(
      "MINIO_OPTS='--address :9000 --console-address :9001 --certs-dir /etc/minio/certs'",
    );
  });

  it("does not order MinIO after kes.service in systemd: they do not share hosts", () => {
    expect(String(g.byName("minio-minio1-unit").inputs.stdin)).not.toMatch(/kes\.service/);
  });

  it("renders the Vault keystore with the secrets as ${VAR} references only", () => {
    const yaml = fileWritten(g, "kes-kes1", "/etc/kes/config.yaml").content;
    expect(yaml).toContain('endpoint: "https://vault.example.net:8200"');
    expect(yaml).toContain('"${KES_VAULT_APPROLE_SECRET}"');
    expect(yaml).not.toContain("secret-id-1");
    const secrets = fileWritten(g, "kes-kes1", "/etc/kes/kes.env");
    expect(secrets.content).toContain("KES_VAULT_APPROLE_SECRET='secret-id-1'");
    expect(secrets.step.secretPaths).toContain("stdin");
    expect(fileWritten(g, "kes-kes1", "/etc/kes/vault-ca.crt").content).toBe(VAULT_CA_PEM);
  });

  it("gives each MinIO node a certificate for its DNS name, plus localhost", () => {
    const csr = g.byName("minio-minio3-server-csr");
    expect(csr.inputs.dnsNames).toEqual(["minio3.example.net", "localhost"]);
    expect(csr.inputs.ipAddresses).toEqual(["127.0.0.1"]);
  });

  it("creates one key and one bucket step per bucket, after the ready gate on the admin node", () => {
    for (const b of config.buckets) {
      const key = g.byName(`${b}-minio1-key`);
      const bucket = g.byName(`${b}-minio1-bucket`);
      expect(g.dependsOn(key, g.byName("minio-minio1-ready"))).toBe(true);
      expect(g.dependsOn(bucket, key)).toBe(true);
      expect(scriptOf(key)).toContain(`minio-${b}`);
    }
  });

  it("has 7 steps per KES replica and 8 per MinIO node over TLS (each incl. its preflight and its stop)", () => {
    const names = (prefix: string) =>
      g
        .ofType("command:remote:Command")
        .filter((n) => n.name.startsWith(prefix))
        .map((n) => n.name.slice(prefix.length))
        .sort();
    // Every file of a replica (certificate, key, CA, Vault CA, config, secrets) in one step.
    expect(names("kes-kes1-")).toEqual([
      "files",
      "kes-binary",
      "preflight",
      "reload",
      "service",
      "system",
      "unit",
    ]);
    // A node's shared, staged files (env, CAs) in one step, its own certificate and key in another.
    const node = ["certs", "config", "minio-binary", "preflight", "service", "stop", "system", "unit"];
    expect(names("minio-minio2-")).toEqual(node);
    // + mc and the ready gate on the admin node
    expect(names("minio-minio1-")).toEqual([...node, "mc-binary", "ready"].sort());
  });
});

describe("two deployments in one stack", () => {
  it("do not collide: distinct URNs, every child named after its own component", async () => {
    const g2 = await captureGraph(() => {
      for (const p of ["blue", "green"]) {
        const kms = new KmsTarget(`${p}-kms`, { filesystem: { acknowledgeDevelopmentOnly: true } });
        const kes = new KesServer(`${p}-kes`, {
          hosts: [mk("kes1", 21, `${p}-kes1.example.net`)],
          kms,
          binary: bin("kes"),
          minioKeyNames: ["minio-*"],
        });
        const minio = new MinioDeployment(`${p}-minio`, {
          nodes: [mk("minio1", 11, `${p}-minio1.example.net`)],
          drives: ["/data"],
          rootUser: "admin",
          rootPassword: "production-password",
          kes,
          defaultKeyName: "minio-default",
          binary: bin("minio"),
          mc: bin("mc"),
        });
        new EncryptedBucket(`${p}-invoices`, {
          deployment: minio,
          bucket: "invoices",
          keyName: "minio-invoices",
        });
      }
    });
    expect(new Set(g2.nodes.map((n) => n.urn)).size).toBe(g2.nodes.length);
    expect(new Set(g2.nodes.map((n) => n.name)).size).toBe(g2.nodes.length);
    const components = new Map(g2.nodes.filter((n) => !n.custom).map((n) => [n.urn, n.name] as const));
    for (const n of g2.nodes.filter((x) => x.custom)) {
      expect(n.name.startsWith(`${components.get(n.parent)}-`), n.name).toBe(true);
    }
    // Each MinIO waits for its own KES only.
    expect(g2.dependsOn(g2.byName("blue-minio-minio1-service"), g2.byName("blue-kes-kes1-reload"))).toBe(
      true,
    );
    expect(g2.dependsOn(g2.byName("blue-minio-minio1-service"), g2.byName("green-kes-kes1-reload"))).toBe(
      false,
    );
  });
});
