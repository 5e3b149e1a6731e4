import * as pulumi from "@pulumi/pulumi";
import { load } from "js-yaml";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { deployQuickstart } from "../../examples/quickstart/deploy";
import type { KesClientCredentials } from "../../lib";
import {
  captureGraph,
  fileWritten,
  type Graph,
  type GraphNode,
  isSecret,
  resolved,
  scriptOf,
} from "../helpers/mockGraph";

/** The API key of a KesServer whose MinIO client authenticates with one. */
function apiKeyOf(kes: { minioClient: KesClientCredentials }) {
  if (kes.minioClient.kind !== "apiKey") throw new Error("the MinIO client has no API key");
  return kes.minioClient.apiKey;
}

const host = {
  name: "node1",
  address: "198.18.0.11",
  privateKey:
    "-----BEGIN OPENSSH PRIVATE KEY-----\nmock-ssh-private-key\n-----END OPENSSH PRIVATE KEY-----\n",
  hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock",
};
const bin = (n: string) => ({ url: `https://mirror.example.net/${n}`, sha256: "a".repeat(64) });
const ROOT_PASSWORD = "a-long-root-password";

let g: Graph;
let out: ReturnType<typeof deployQuickstart>;

beforeAll(async () => {
  g = await captureGraph(() => {
    out = deployQuickstart({
      host,
      kesBinary: bin("kes"),
      minioBinary: bin("minio"),
      mcBinary: bin("mc"),
      rootUser: "admin",
      rootPassword: ROOT_PASSWORD,
    });
  });
});

const cmd = (name: string) => g.byName(name);
/** The step of `prefix` that writes `path`, and what it writes there. */
const written = (prefix: string, path: string) => fileWritten(g, prefix, path);
/**
 * The part of a files step's script that writes `path`: each file is written in its own
 * subshell (`\n(\n … \n)`), with its own `path=`, `mode=`, `owner=` and `group=`.
 */
function blockOf(n: GraphNode, path: string): string {
  const blocks = scriptOf(n)
    .split("\n(\n")
    .slice(1)
    .filter((b) => b.startsWith(`path='${path}'\n`));
  if (blocks.length !== 1) throw new Error(`${n.name}: ${blocks.length} blocks write ${path}`);
  return blocks[0]!;
}

describe("quickstart: resources, names and parents", () => {
  it("creates the four components with their type tokens", () => {
    expect(g.byName("dev-kms").type).toBe("minio-kes:kms:KmsTarget");
    expect(g.byName("kes").type).toBe("minio-kes:kes:KesServer");
    expect(g.byName("minio").type).toBe("minio-kes:minio:MinioDeployment");
    expect(g.byName("invoices").type).toBe("minio-kes:minio:EncryptedBucket");
  });

  it("parents every child to its component and derives its name from the component's", () => {
    const components = new Map(g.nodes.filter((n) => !n.custom).map((n) => [n.urn, n.name] as const));
    for (const n of g.nodes.filter((x) => x.custom)) {
      expect(n.parent, `${n.name} has a parent`).not.toBe("");
      const parentName = components.get(n.parent);
      expect(parentName, `${n.name}'s parent is a component`).toBeDefined();
      expect(n.name.startsWith(`${parentName}-`), `${n.name} starts with ${parentName}-`).toBe(true);
    }
  });

  it("runs exactly the expected steps on the host, one per concern", () => {
    const commands = g
      .ofType("command:remote:Command")
      .map((n) => n.name)
      .sort();
    expect(commands).toEqual(
      [
        "invoices-node1-bucket",
        "invoices-node1-key",
        "kes-node1-files",
        "kes-node1-preflight",
        "kes-node1-kes-binary",
        "kes-node1-reload",
        "kes-node1-service",
        "kes-node1-system",
        "kes-node1-unit",
        "minio-node1-config",
        "minio-node1-mc-binary",
        "minio-node1-minio-binary",
        "minio-node1-preflight",
        "minio-node1-ready",
        "minio-node1-service",
        "minio-node1-system",
        "minio-node1-unit",
      ].sort(),
    );
    // The one system step per host: the tools, the service user, and the drives (MinIO) or the
    // filesystem keystore's directory (KES), in that order.
    const parts = (n: string) =>
      [...scriptOf(cmd(n)).matchAll(/^printf '%s: %s\\n' '([a-z-]+)' "\$out"$/gm)].map((m) => m[1]);
    expect(parts("minio-node1-system")).toEqual(["prereqs", "user", "drives"]);
    expect(parts("kes-node1-system")).toEqual(["prereqs", "user", "keystore-dir"]);
    // The one files step per component: every file KES reads; MinIO's env file and the KES CA.
    const paths = (n: string) => [...scriptOf(cmd(n)).matchAll(/^path='(.*)'$/gm)].map((m) => m[1]);
    expect(paths("kes-node1-files")).toEqual([
      "/etc/kes/server.crt",
      "/etc/kes/server.key",
      "/etc/kes/ca.crt",
      "/etc/kes/config.yaml",
      "/etc/kes/kes.env",
    ]);
    expect(paths("minio-node1-config")).toEqual(["/etc/default/minio", "/etc/minio/kes-ca.crt"]);
  });

  it("makes the CA with ECDSA P-256 and the MinIO client key with Ed25519, never P-224", () => {
    for (const k of g.ofType("tls:index/privateKey:PrivateKey")) {
      if (["kes-minio-client-key", "kes-revision-key", "minio-revision-key"].includes(k.name))
        expect(k.inputs.algorithm).toBe("ED25519");
      else expect(k.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    }
  });

  it("gives the KES certificate the host's address as IP SAN", () => {
    const csr = g.byName("kes-node1-server-csr");
    expect(csr.inputs.ipAddresses).toEqual(["198.18.0.11"]);
    expect(csr.inputs.dnsNames).toEqual([]);
  });
});

describe("quickstart: order across the graph", () => {
  it("starts KES only after its files, and MinIO only after KES passed its gates", () => {
    const kesService = cmd("kes-node1-service");
    for (const path of [
      "/etc/kes/config.yaml",
      "/etc/kes/kes.env",
      "/etc/kes/server.crt",
      "/etc/kes/server.key",
    ]) {
      const { step } = written("kes-node1", path);
      expect(g.dependsOn(kesService, step), `kes service after ${path} (${step.name})`).toBe(true);
    }
    for (const f of ["kes-node1-unit", "kes-node1-kes-binary"]) {
      expect(g.dependsOn(kesService, cmd(f)), `kes service after ${f}`).toBe(true);
    }
    const minioService = cmd("minio-node1-service");
    expect(g.dependsOn(minioService, cmd("kes-node1-service"))).toBe(true);
    expect(g.dependsOn(minioService, cmd("kes-node1-reload"))).toBe(true);
    expect(g.dependsOn(minioService, written("minio-node1", "/etc/default/minio").step)).toBe(true);
    expect(g.dependsOn(cmd("kes-node1-service"), minioService)).toBe(false);
  });

  it("runs bucket steps after the MinIO ready gate, and the key before the bucket", () => {
    const ready = cmd("minio-node1-ready");
    expect(g.dependsOn(ready, cmd("minio-node1-service"))).toBe(true);
    expect(g.dependsOn(cmd("invoices-node1-key"), ready)).toBe(true);
    expect(g.dependsOn(cmd("invoices-node1-bucket"), cmd("invoices-node1-key"))).toBe(true);
  });

  it("orders MinIO after KES in systemd too, since they share the host", () => {
    const unit = String(cmd("minio-node1-unit").inputs.stdin);
    expect(unit).toMatch(/^Wants=kes\.service$/m);
    expect(unit).toMatch(/^After=kes\.service$/m);
  });
});

describe("quickstart: what reaches the host, with which mode and owner", () => {
  it("writes MinIO's env file 0600 root:root (systemd reads it as root; MinIO never owns it) with the KES variables and the API key", async () => {
    const { step, content: text } = written("minio-node1", "/etc/default/minio");
    const env = blockOf(step, "/etc/default/minio");
    for (const line of ["mode='0600'", "owner='root'", "group='root'"]) expect(env).toContain(`\n${line}\n`);
    // /etc/default is a system directory: the library does not take it over.
    expect(env).not.toContain("want_dir_stat");
    const apiKey = await resolved(apiKeyOf(out.kes));
    expect(text).toContain(`MINIO_KMS_KES_ENDPOINT='https://198.18.0.11:7373'`);
    expect(text).toContain(`MINIO_KMS_KES_KEY_NAME='minio-default'`);
    expect(text).toContain(`MINIO_KMS_KES_API_KEY='${apiKey}'`);
    expect(text).toContain(`MINIO_KMS_KES_CAPATH='/etc/minio/kes-ca.crt'`);
    expect(text).toContain(`MINIO_ROOT_PASSWORD='${ROOT_PASSWORD}'`);
    expect(text).toContain(`MINIO_VOLUMES='/var/lib/minio/data'`);
    expect(text).not.toMatch(/MINIO_KMS_KES_CERT_FILE|MINIO_KMS_KES_KEY_FILE/);
  });

  it("writes the KES config 0640 root:kes in a root:kes 0750 directory, with MinIO's identity in a delete-free policy", async () => {
    const { step, content: yaml } = written("kes-node1", "/etc/kes/config.yaml");
    const config = blockOf(step, "/etc/kes/config.yaml");
    for (const line of ["mode='0640'", "owner='root'", "group='kes'", "want_dir_stat='750 root kes'"])
      expect(config).toContain(`\n${line}\n`);
    const identity = await resolved(out.kes.minioClient.identity);
    expect(identity).toMatch(/^[0-9a-f]{64}$/);
    expect(yaml).toContain(identity);
    const doc = load(yaml) as {
      policy: Record<string, { allow: string[]; deny: string[]; identities: string[] }>;
      keystore: { fs: { path: string } };
    };
    expect(doc.policy.minio!.identities).toEqual([identity]);
    expect(doc.policy.minio!.allow).toContain("/v1/key/generate/minio-*");
    expect(doc.policy.minio!.allow.filter((p) => p.includes("delete"))).toEqual([]);
    expect(doc.policy.minio!.deny).toContain("/v1/key/delete/*");
    expect(doc.keystore.fs.path).toBe("/var/lib/kes/keys");
  });

  it("connects to the right host with the pinned host key", () => {
    for (const n of g.ofType("command:remote:Command")) {
      const c = n.inputs.connection as Record<string, unknown>;
      expect(c.host).toBe("198.18.0.11");
      expect(c.hostKey).toBe(host.hostKey);
      expect(c.user).toBe("root");
    }
  });

  it("never lets a previous output into the environment", () => {
    for (const n of g.ofType("command:remote:Command")) expect(n.inputs.addPreviousOutputInEnv).toBe(false);
  });
});

describe("quickstart: secrets", () => {
  it("sends connections and secret file contents as secrets, and hides their output", () => {
    for (const n of g.ofType("command:remote:Command")) {
      expect(n.secretPaths, `${n.name} connection is secret`).toContain("connection");
    }
    for (const [prefix, path] of [
      ["minio-node1", "/etc/default/minio"],
      ["kes-node1", "/etc/kes/kes.env"],
      ["kes-node1", "/etc/kes/server.key"],
    ] as const) {
      const n = written(prefix, path).step;
      expect(n.secretPaths, `${n.name} (${path}) stdin is secret`).toContain("stdin");
      expect(n.inputs.logging).toBe("none");
    }
  });

  it("keeps the KES config and unit readable in previews (no secrets in them)", () => {
    expect(cmd("minio-node1-unit").secretPaths).not.toContain("stdin");
    // The config shares its step (and so its secret stdin) with the key and the secrets; the
    // step's triggers show it in the clear, and name the secrets and the key by a keyed digest.
    const { step, content } = written("kes-node1", "/etc/kes/config.yaml");
    expect(step.secretPaths).not.toContain("triggers");
    const revisions = (step.inputs.triggers as unknown[])[0] as Record<string, string>;
    expect(revisions["/etc/kes/config.yaml"]).toBe(content);
    expect(content).toContain("policy:");
    expect(revisions["/etc/kes/kes.env"]).toMatch(/^secrets:hmac-sha256:[0-9a-f]{64}$/);
    expect(revisions["/etc/kes/server.key"]).toMatch(/^tls-key:hmac-sha256:[0-9a-f]{64}$/);
  });

  it("puts no secret into any script text (argv) or any non-secret input", async () => {
    const apiKey = await resolved(apiKeyOf(out.kes));
    for (const n of g.ofType("command:remote:Command")) {
      const visible = JSON.stringify({
        ...n.inputs,
        connection: undefined,
        ...Object.fromEntries(n.secretPaths.map((p) => [p, undefined])),
      });
      expect(visible, n.name).not.toContain(ROOT_PASSWORD);
      expect(visible, n.name).not.toContain(apiKey);
      expect(visible, n.name).not.toContain("mock-ssh-private-key");
    }
  });

  it("marks the API key secret and the identity plain", async () => {
    expect(await isSecret(apiKeyOf(out.kes))).toBe(true);
    expect(await isSecret(out.kes.minioClient.identity)).toBe(false);
  });
});

describe("quickstart: outputs", () => {
  it("exposes the facts a reviewer or a policy needs", async () => {
    expect(await resolved(out.kes.endpoints)).toEqual(["https://198.18.0.11:7373"]);
    expect(out.bucket.algorithm).toBe("sse-kms");
    expect(out.bucket.keyName).toBe("minio-invoices");
    expect(await resolved(out.bucket.verified)).toBe(true);
    expect(await resolved(out.minio.kesEndpoints)).toEqual(["https://198.18.0.11:7373"]);
    expect(await resolved(out.kes.certificateNotAfter)).toEqual({ node1: "2027-11-27T10:00:00Z" });
  });
});

describe("host keys", () => {
  it("warns once per host when no host key is pinned", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    await captureGraph(() => {
      deployQuickstart({
        host: { ...host, name: "nokey", hostKey: undefined },
        kesBinary: bin("kes"),
        minioBinary: bin("minio"),
        mcBinary: bin("mc"),
        rootUser: "admin",
        rootPassword: ROOT_PASSWORD,
      });
    });
    const msgs = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("nokey"));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/no hostKey pinned/);
    expect(msgs[0]).toMatch(/ssh-keyscan/);
    warn.mockRestore();
  });
});
