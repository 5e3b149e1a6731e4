import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { deployProduction } from "../../examples/production/deploy";
import { deployQuickstart } from "../../examples/quickstart/deploy";
import { EncryptedBucket, EncryptedBuckets, KesServer, KmsTarget, MinioDeployment } from "../../lib";
import { Revisions } from "../../lib/components/internal";
import { validateMinioDeploymentArgs } from "../../lib/components/minioDeployment";
import { captureGraph, filesOf, fileWritten, resolved, scriptOf } from "../helpers/mockGraph";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock";
const bin = (n: string) => ({ url: `https://mirror.example.net/${n}`, sha256: "d".repeat(64) });
const quick = (user?: string) => () =>
  void deployQuickstart({
    host: { name: "node1", address: "198.18.0.11", privateKey: "k", hostKey, user },
    kesBinary: bin("kes"),
    minioBinary: bin("minio"),
    mcBinary: bin("mc"),
    rootUser: "admin",
    rootPassword: "a-long-root-password",
  });

describe("action steps", () => {
  it("restart or reload only when their triggers change; an update only starts what is not running and checks health", async () => {
    const g = await captureGraph(quick());
    const cases: Array<[string, RegExp, RegExp]> = [
      [
        "kes-node1-service",
        /^# pulumi-minio-kes: restart kes\.service /m,
        /^# pulumi-minio-kes: start kes\.service /m,
      ],
      [
        "kes-node1-reload",
        /^# pulumi-minio-kes: reload kes\.service /m,
        /^# pulumi-minio-kes: check kes\.service /m,
      ],
      [
        "minio-node1-service",
        /^# pulumi-minio-kes: restart minio\.service /m,
        /^# pulumi-minio-kes: start minio\.service /m,
      ],
      [
        "minio-node1-ready",
        /^# pulumi-minio-kes: check minio\.service /m,
        /^# pulumi-minio-kes: check minio\.service /m,
      ],
    ];
    for (const [name, create, update] of cases) {
      const n = g.byName(name);
      expect(n.inputs.triggers, name).toBeDefined();
      expect(scriptOf(n, "create"), name).toMatch(create);
      expect(scriptOf(n, "update"), name).toMatch(update);
    }
    // The KES port is a restart trigger (a reload does not move KES to a new port).
    expect(g.byName("kes-node1-service").inputs.triggers).toContain("port:7373");
    // File steps re-run their (idempotent) write script on update.
    for (const [prefix, path] of [
      ["minio-node1", "/etc/default/minio"],
      ["kes-node1", "/etc/kes/config.yaml"],
    ] as const) {
      const { step } = fileWritten(g, prefix, path);
      expect(step.inputs.update, step.name).toBe(step.inputs.create);
    }
  });
});

describe("non-root SSH users", () => {
  it("run every step through sudo -n bash (-c with content on stdin, -s with the scripts on stdin)", async () => {
    const g = await captureGraph(quick("deploy"));
    for (const n of g.ofType("command:remote:Command")) {
      const line = String(n.inputs.create);
      // Steps without content run their scripts from stdin; the others carry content there.
      const scriptStep = /-(preflight|system|binary|service|reload|ready|key|bucket)$/.test(n.name);
      if (scriptStep) expect(line, n.name).toMatch(/^sudo -n bash -s create # node1: [a-z]/);
      else expect(line, n.name).toMatch(/^sudo -n bash -c '#!\/usr\/bin\/env bash/);
    }
    const root = await captureGraph(quick());
    // As root too, under bash whatever root's login shell is (dash on minimal images, where 12
    // of the scripts failed when they went to the login shell directly).
    expect(String(fileWritten(root, "minio-node1", "/etc/default/minio").step.inputs.create)).toMatch(
      /^bash -c '#!\/usr\/bin\/env bash/,
    );
    expect(String(root.byName("minio-node1-service").inputs.create)).toBe(
      "bash -s create # node1: restart minio.service and wait until MinIO is healthy",
    );
    expect(String(root.byName("minio-node1-service").inputs.update)).toBe(
      "bash -s update # node1: start minio.service and wait until MinIO is healthy",
    );
  });
});

describe("production: rolling KES, gates for a distributed MinIO", () => {
  const h = (name: string, i: number) => ({
    name,
    address: `203.0.113.${i}`,
    internalAddress: `${name}.example.net`,
    privateKey: "k",
    hostKey,
  });
  const prod = () =>
    void deployProduction({
      minioHosts: [1, 2, 3, 4].map((i) => h(`minio${i}`, 10 + i)),
      kesHosts: [1, 2].map((i) => h(`kes${i}`, 20 + i)),
      vault: {
        endpoint: "https://vault.example.net:8200",
        caCertPem: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
        roleId: "r",
        secretId: "s",
      },
      minioBinary: bin("minio"),
      kesBinary: bin("kes"),
      mcBinary: bin("mc"),
      rootUser: "admin",
      rootPassword: "production-password",
      buckets: ["invoices"],
    });

  it("restarts KES replicas one after the other when one is serving, so MinIO always has one", async () => {
    // The preflights report kes.service active: a change rolls through the replicas.
    const g = await captureGraph(prod, {
      stdoutOf: (n) => (n.endsWith("-preflight") ? "unit: kes.service active\nok: reachable" : undefined),
    });
    expect(g.dependsOn(g.byName("kes-kes2-service"), g.byName("kes-kes1-reload"))).toBe(true);
    expect(g.dependsOn(g.byName("kes-kes1-service"), g.byName("kes-kes2-reload"))).toBe(false);
  });

  it("starts every KES replica at once on a fresh install (no replica serving yet)", async () => {
    const g = await captureGraph(prod, {
      stdoutOf: (n) => (n.endsWith("-preflight") ? "unit: kes.service inactive\nok: reachable" : undefined),
    });
    expect(g.dependsOn(g.byName("kes-kes2-service"), g.byName("kes-kes1-reload"))).toBe(false);
    expect(g.dependsOn(g.byName("kes-kes2-service"), g.byName("kes-kes1-service"))).toBe(false);
    // Every MinIO node still starts only after every KES gate.
    for (const k of ["kes1", "kes2"])
      expect(g.dependsOn(g.byName("minio-minio1-service"), g.byName(`kes-${k}-reload`))).toBe(true);
  });

  it("never makes a node's start wait for its peers: per-node liveness, then one readiness gate for all nodes", async () => {
    const g = await captureGraph(prod);
    for (const i of [1, 2, 3, 4]) {
      const script = scriptOf(g.byName(`minio-minio${i}-service`));
      expect(script).toContain("live_only='1'");
      // A distributed node counts once it runs, though systemd shows it activating until its
      // peers answer (Type=notify).
      expect(script).toContain(`if [ "$state" != active ] && [ "$state" != activating ]; then`);
      expect(script).not.toContain("still starting, or keeps restarting");
    }
    const ready = scriptOf(g.byName("minio-minio1-ready"));
    expect(ready).toContain("wait until every MinIO node is ready (4 nodes)");
    for (const i of [1, 2, 3, 4]) expect(ready).toContain(`'minio${i}'`);
    for (const i of [1, 2, 3, 4])
      expect(g.dependsOn(g.byName("minio-minio1-ready"), g.byName(`minio-minio${i}-service`))).toBe(true);
  });

  it("stops every node after every node's files are staged, and starts none before all stopped, through barriers (edges grow linearly)", async () => {
    const g = await captureGraph(prod);
    const staged = g.byName("minio-all-staged");
    const stopped = g.byName("minio-all-stopped");
    for (const b of [staged, stopped]) {
      expect(b.type).toBe("command:local:Command");
      expect(b.inputs.create).toBeUndefined();
    }
    for (const i of [1, 2, 3, 4]) {
      const stop = g.byName(`minio-minio${i}-stop`);
      expect(stop.dependencies).toContain(staged.urn);
      expect(scriptOf(stop)).toContain("stop minio.service until every node starts again");
      expect(stopped.dependencies).toContain(stop.urn);
      const service = g.byName(`minio-minio${i}-service`);
      expect(service.dependencies).toContain(stopped.urn);
      expect(service.inputs.triggers).toEqual(stop.inputs.triggers);
      for (const j of [1, 2, 3, 4]) {
        const env = fileWritten(g, `minio-minio${j}`, "/etc/default/minio").step;
        // Its own node's staging steps directly (their output is in its triggers), the others'
        // only through the barriers.
        if (j === i) expect(service.dependencies).toContain(env.urn);
        else expect(service.dependencies).not.toContain(env.urn);
        expect(g.dependsOn(service, env)).toBe(true);
      }
    }
  });

  it("exposes policy rules known at preview time, without identities", async () => {
    let kes!: KesServer;
    await captureGraph(() => {
      const kms = new KmsTarget("k", { filesystem: { acknowledgeDevelopmentOnly: true } });
      kes = new KesServer("kes", {
        hosts: [h("kes1", 1)],
        kms,
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
    });
    expect(kes.policyRules).toEqual([
      {
        name: "minio",
        allow: [
          "/v1/key/create/minio-*",
          "/v1/key/generate/minio-*",
          "/v1/key/decrypt/minio-*",
          "/v1/key/describe/minio-*",
          "/v1/key/list/*",
          "/v1/status",
          "/v1/metrics",
          "/v1/api",
        ],
        deny: ["/v1/key/delete/*"],
      },
    ]);
  });
});

describe("existing deployments", () => {
  const node = { name: "old1", address: "203.0.113.5", privateKey: "k", hostKey };
  it("merge the KES variables into the existing env file and restart the existing unit, installing nothing", async () => {
    const g = await captureGraph(() => {
      const kms = new KmsTarget("k", { filesystem: { acknowledgeDevelopmentOnly: true } });
      const kes = new KesServer("kes", {
        hosts: [{ ...node, name: "kes1", address: "203.0.113.6" }],
        kms,
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
      new MinioDeployment("legacy", {
        nodes: [node],
        kes,
        defaultKeyName: "minio-default",
        existing: { envFile: "/etc/default/minio", unitName: "minio.service" },
      });
    });
    const steps = g
      .ofType("command:remote:Command")
      .filter((n) => n.name.startsWith("legacy-"))
      .map((n) => n.name)
      .sort();
    expect(steps).toEqual([
      "legacy-old1-config",
      "legacy-old1-env-merge",
      "legacy-old1-preflight",
      "legacy-old1-ready",
      "legacy-old1-service",
    ]);
    // The config step writes the KES CA, and nothing else.
    expect(Object.keys(filesOf(g.byName("legacy-old1-config")))).toEqual(["/etc/minio/kes-ca.crt"]);
    const merge = g.byName("legacy-old1-env-merge");
    expect(merge.secretPaths).toContain("stdin");
    expect(String(merge.inputs.stdin)).toMatch(/^MINIO_KMS_KES_ENDPOINT='https:\/\/203\.0\.113\.6:7373'$/m);
    expect(String(merge.inputs.stdin)).not.toMatch(/MINIO_ROOT_PASSWORD|MINIO_VOLUMES/);
    expect(
      validateMinioDeploymentArgs({
        nodes: [node],
        existing: {},
        rootUser: "admin",
        drives: ["/d"],
      }).list.map((i) => i.field),
    ).toEqual(["drives", "rootUser"]);
    expect(g.dependsOn(g.byName("legacy-old1-service"), g.byName("kes-kes1-reload"))).toBe(true);
  });

  it("install mc after a prerequisites step (curl) on the admin node", async () => {
    const g = await captureGraph(() => {
      new MinioDeployment("legacy", { nodes: [node], existing: {}, allowKesRemoval: true, mc: bin("mc") });
    });
    expect(g.dependsOn(g.byName("legacy-old1-mc-binary"), g.byName("legacy-old1-prereqs"))).toBe(true);
  });

  it("guard against dropping KES, in both modes, unless allowKesRemoval", async () => {
    const mk = (existing: boolean, allow: boolean) => () =>
      void new MinioDeployment("m", {
        nodes: [node],
        drives: existing ? undefined : ["/data"],
        rootUser: existing ? undefined : "admin",
        rootPassword: existing ? undefined : "a-long-root-password",
        binary: existing ? undefined : bin("minio"),
        existing: existing ? {} : undefined,
        allowKesRemoval: allow,
      });
    for (const existing of [true, false]) {
      const g = await captureGraph(mk(existing, false));
      const guard = g.byName("m-old1-kes-guard");
      const next = existing
        ? g.byName("m-old1-env-merge")
        : fileWritten(g, "m-old1", "/etc/default/minio").step;
      expect(g.dependsOn(next, guard)).toBe(true);
      const allowed = await captureGraph(mk(existing, true));
      expect(allowed.nodes.some((n) => n.name === "m-old1-kes-guard")).toBe(false);
    }
  });
});

describe("certificate rotation", () => {
  const host = { name: "kes1", address: "203.0.113.9", privateKey: "k", hostKey };
  const mk = (rotation?: string) => () => {
    const kms = new KmsTarget("k", { filesystem: { acknowledgeDevelopmentOnly: true } });
    new KesServer("kes", {
      hosts: [host],
      kms,
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      tls: { rotation },
    });
  };
  it("puts tls.rotation on every generated key and certificate as their replacement trigger", async () => {
    const g = await captureGraph(mk("2026-11"));
    // The revision key keys the triggers' HMACs: it must never rotate (that would restart
    // everything for nothing), so it is the one tls resource without the trigger.
    expect(g.byName("kes-revision-key").replacementTrigger).toBeUndefined();
    const tls = g.nodes.filter(
      (n) =>
        n.type.startsWith("tls:index/") &&
        n.type !== "tls:index/certRequest:CertRequest" &&
        n.name !== "kes-revision-key",
    );
    expect(tls.map((n) => n.name).sort()).toEqual(
      [
        "kes-ca-cert",
        "kes-ca-key",
        "kes-kes1-server-cert",
        "kes-kes1-server-key",
        "kes-minio-client-key",
      ].sort(),
    );
    for (const n of tls) expect(n.replacementTrigger, n.name).toBe("2026-11");
  });

  it("without rotation, what a rotation replaces carries an empty trigger, so the first rotation of a stack replaces it", async () => {
    // The engine replaces nothing when the trigger was unset before (shouldTriggerReplace,
    // pkg/resource/deploy/step_generator.go): with no trigger, setting tls.rotation for the
    // first time rotated nothing on the real engine.
    const g = await captureGraph(mk());
    const tls = g.nodes.filter((x) => x.type.startsWith("tls:"));
    for (const n of tls) {
      const rotates = !n.name.endsWith("-revision-key") && n.type !== "tls:index/certRequest:CertRequest";
      expect(n.replacementTrigger, n.name).toBe(rotates ? "" : undefined);
    }
    expect(tls.filter((n) => n.replacementTrigger === "").length).toBeGreaterThanOrEqual(5);
  });
});

describe("bucket verification result", () => {
  it("counts only a final result line that says verified=true", async () => {
    const { bucketResultVerified } = await import("../../lib/core/scripts");
    expect(
      bucketResultVerified("created\nresult: algorithm=sse-kms key=minio-invoices verified=true\n"),
    ).toBe(true);
    expect(bucketResultVerified("result: algorithm=sse-s3 verified=true")).toBe(true);
    expect(bucketResultVerified("result: algorithm=sse-kms key=minio-invoices verified=false")).toBe(false);
    expect(bucketResultVerified("result: algorithm=sse-kms key=k verified=true\nsomething after")).toBe(
      false,
    );
    expect(bucketResultVerified("verified=true")).toBe(false);
    expect(bucketResultVerified("")).toBe(false);
    expect(bucketResultVerified(undefined)).toBe(false);
  });
});

describe("what two components would both write on one host is refused (security review, row 14)", () => {
  const node = (name: string, address: string) => ({ name, address, privateKey: "k", hostKey });
  const kms = () => new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
  const minio = (name: string, n: ReturnType<typeof node>, extra: Record<string, unknown> = {}) =>
    new MinioDeployment(name, {
      nodes: [n],
      drives: ["/mnt/disk1"],
      rootUser: "admin",
      rootPassword: "a-long-root-password",
      binary: bin("minio"),
      ...extra,
    });
  // The error is caught inside the program, so the capture still waits for every registration
  // (an escaped throw would leave them to reject under the next test's mocks).
  const failure = async (program: () => void): Promise<string> => {
    let msg = "no error";
    await captureGraph(() => {
      try {
        program();
      } catch (e) {
        msg = String((e as Error).message);
      }
    });
    return msg;
  };

  it("two MinioDeployments on one host (the env file, unit, binary and ports of each)", async () => {
    const msg = await failure(() => {
      minio("a", node("m1", "10.0.0.7"));
      minio("b", node("other-name", "10.0.0.7"), { port: 9100, consolePort: 9101, drives: ["/mnt/disk9"] });
    });
    expect(msg).toContain("invalid arguments for MinioDeployment b:");
    expect(msg).toContain(
      "  - nodes[0]: host other-name already has file /etc/default/minio from MinioDeployment a, so the two would overwrite each other",
    );
    expect(msg).toContain("already has unit minio.service from MinioDeployment a");
  });

  it("MinIO installed as /usr/local/bin/kes on the host KES runs on, under another host name (rows 7, 14)", async () => {
    const msg = await failure(() => {
      new KesServer("kes", {
        hosts: [node("kes1", "10.0.0.8")],
        kms: kms(),
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
      minio("m", node("minio1", "10.0.0.8"), { binary: { ...bin("minio"), name: "kes" } });
    });
    expect(msg).toContain("host minio1 already has file /usr/local/bin/kes from KesServer kes");
  });

  it("two EncryptedBuckets for one bucket", async () => {
    const msg = await failure(() => {
      const kes = new KesServer("kes", {
        hosts: [node("kes1", "10.0.0.9")],
        kms: kms(),
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
      const d = minio("m", node("minio1", "10.0.0.10"), {
        kes,
        defaultKeyName: "minio-default",
        mc: bin("mc"),
      });
      new EncryptedBucket("b1", { deployment: d, bucket: "invoices" });
      new EncryptedBucket("b2", { deployment: d, bucket: "invoices", keyName: "minio-other" });
    });
    expect(msg).toContain("invalid arguments for EncryptedBucket b2:");
    expect(msg).toContain(
      '  - bucket: EncryptedBucket b1 already manages bucket "invoices" on this deployment',
    );
  });

  it("an EncryptedBuckets listing a bucket an EncryptedBucket manages", async () => {
    const msg = await failure(() => {
      const kes = new KesServer("kes", {
        hosts: [node("kes1", "10.0.0.29")],
        kms: kms(),
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
      const d = minio("m", node("minio1", "10.0.0.30"), {
        kes,
        defaultKeyName: "minio-default",
        mc: bin("mc"),
      });
      new EncryptedBucket("b1", { deployment: d, bucket: "invoices" });
      new EncryptedBuckets("all", { deployment: d, buckets: [{ bucket: "logs" }, { bucket: "invoices" }] });
    });
    expect(msg).toContain("invalid arguments for EncryptedBuckets all:");
    expect(msg).toContain(
      '  - buckets[1].bucket: EncryptedBucket b1 already manages bucket "invoices" on this deployment',
    );
  });

  it("KES and MinIO on one machine under two names order MinIO after KES (detected by address, row 7)", async () => {
    const g = await captureGraph(() => {
      const kes = new KesServer("kes", {
        hosts: [node("kes1", "10.0.0.11")],
        kms: kms(),
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
      minio("m", node("minio1", "10.0.0.11"), { kes, defaultKeyName: "minio-default" });
    });
    expect(String(g.byName("m-minio1-unit").inputs.stdin)).toMatch(/^After=.*kes\.service/m);
  });

  it("the same components on separate hosts are accepted", async () => {
    const g = await captureGraph(() => {
      minio("a", node("m1", "10.0.0.12"));
      minio("b", node("m2", "10.0.0.13"));
    });
    expect(fileWritten(g, "b-m2", "/etc/default/minio").step.type).toBe("command:remote:Command");
  });
});

describe("component names (security review, row 13)", () => {
  it.each(["prod minio", "eu/minio", "-minio", "minio:prod"])(
    "refuses %j before any child, naming the fix",
    async (name) => {
      let msg = "";
      await captureGraph(() => {
        try {
          new KmsTarget(name, { filesystem: { acknowledgeDevelopmentOnly: true } });
        } catch (e) {
          msg = String((e as Error).message);
        }
      });
      expect(msg).toContain("  - name: component name");
      expect(msg).toMatch(/rename it with letters, digits, '\.', '_' and '-'/);
    },
  );
});

describe("IPv6 addresses (security review, row 5)", () => {
  it("are bracketed in MINIO_VOLUMES, endpoints, KES endpoints and health checks, and are SANs as IPs", async () => {
    const g = await captureGraph(() => {
      const kms = new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
      const kes = new KesServer("kes", {
        hosts: [{ name: "kes1", address: "fd00::5", privateKey: "k", hostKey }],
        kms,
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
      new MinioDeployment("m", {
        nodes: [
          { name: "minio1", address: "198.18.0.21", internalAddress: "fd00::10", privateKey: "k", hostKey },
          { name: "minio2", address: "198.18.0.22", internalAddress: "fd00::11", privateKey: "k", hostKey },
        ],
        drives: ["/mnt/disk1", "/mnt/disk2"],
        rootUser: "admin",
        rootPassword: "a-long-root-password",
        binary: bin("minio"),
        kes,
        defaultKeyName: "minio-default",
        tls: true,
      });
    });
    const env = fileWritten(g, "m-minio1", "/etc/default/minio").content;
    expect(env).toContain(
      "MINIO_VOLUMES='https://[fd00::10]:9000/mnt/disk1 https://[fd00::10]:9000/mnt/disk2 https://[fd00::11]:9000/mnt/disk1 https://[fd00::11]:9000/mnt/disk2'",
    );
    expect(env).toContain("MINIO_KMS_KES_ENDPOINT='https://[fd00::5]:7373'");
    expect(scriptOf(g.byName("m-minio1-service"))).toContain("base_url='https://[fd00::10]:9000'");
    expect(g.byName("m-minio1-server-csr").inputs.ipAddresses).toEqual(["fd00::10", "127.0.0.1"]);
  });
});

describe("a secret binary URL (security review, row 12)", () => {
  it.each([
    ["a presigned URL (a query string)", "https://s3.example.net/minio?X-Amz-Signature=abc123sig"],
    ["an Output", "https://mirror.example.net/minio-from-secret"],
  ])("%s travels on stdin as a secret, never in a command line", async (_how, url) => {
    const g = await captureGraph(() => {
      new MinioDeployment("m", {
        nodes: [{ name: "minio1", address: "198.18.0.21", privateKey: "k", hostKey }],
        drives: ["/mnt/disk1"],
        rootUser: "admin",
        rootPassword: "a-long-root-password",
        binary: { url: url.includes("?") ? url : pulumi.secret(url), sha256: "d".repeat(64) },
      });
    });
    const step = g.byName("m-minio1-minio-binary");
    expect(step.secretPaths).toContain("stdin");
    expect(String(step.inputs.stdin)).toBe(`${url}\n`);
    expect(String(step.inputs.create)).not.toContain(url);
    expect(step.inputs.logging).toBe("none");
    for (const n of g.nodes) if (n !== step) expect(JSON.stringify(n.wire), n.name).not.toContain(url);
  });
});

describe("uploads of a local binary (review of the racer test)", () => {
  const dir = mkdtempSync(join(tmpdir(), "local-binary-"));
  const localPath = join(dir, "kes");
  writeFileSync(localPath, "#!/bin/sh\necho kes\n");
  const digest = createHash("sha256").update(readFileSync(localPath)).digest("hex");
  const kes = (sha: string) => () =>
    void new KesServer("kes", {
      hosts: [{ name: "kes1", address: "198.18.0.31", privateKey: "k", hostKey, user: "deploy" }],
      kms: new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } }),
      binary: { localPath, sha256: sha },
      minioKeyNames: ["minio-*"],
    });

  it("are checked on the deploying machine first: a wrong sha256 fails before anything is created", async () => {
    let msg = "";
    const g = await captureGraph(() => {
      try {
        kes("d".repeat(64))();
      } catch (e) {
        msg = String((e as Error).message);
      }
    });
    expect(g.nodes.filter((n) => n.custom)).toEqual([]);
    expect(msg).toContain(
      `  - binary.sha256: ${localPath} on this machine has sha256 ${digest}, not ${"d".repeat(64)}; nothing was uploaded.`,
    );
    expect(msg.split("\n")[0]).toBe("invalid arguments for KesServer kes:");
  });

  it("go into a directory private to the SSH user below /var/lib, made before each upload, never into /var/tmp", async () => {
    const g = await captureGraph(kes(digest));
    const dir = g.byName("kes-kes1-kes-upload-dir");
    const upload = g.byName("kes-kes1-kes-upload");
    expect(scriptOf(dir)).toContain("owner='deploy'");
    expect(scriptOf(dir)).toContain("dir='/var/lib/pulumi-minio-kes-upload'");
    expect(scriptOf(dir)).toContain(`for kes-${digest}`);
    expect(upload.inputs.remotePath).toBe(`/var/lib/pulumi-minio-kes-upload/kes-${digest}`);
    expect(g.dependsOn(upload, dir)).toBe(true);
    expect(g.dependsOn(g.byName("kes-kes1-kes-binary"), upload)).toBe(true);
  });
});

describe("a preview names the variable behind a restart (issue 12)", () => {
  const deploy =
    (extraEnv: Record<string, string>, rootPassword = "a-long-root-password") =>
    () =>
      void new MinioDeployment("m", {
        nodes: [{ name: "minio1", address: "198.18.0.41", privateKey: "k", hostKey }],
        drives: ["/mnt/disk1"],
        rootUser: "admin",
        rootPassword: pulumi.secret(rootPassword),
        binary: bin("minio"),
        extraEnv,
      });
  const envTriggers = async (p: () => void) => {
    const t = (await captureGraph(p)).byName("m-minio1-service").inputs.triggers as unknown[];
    const map = t.find((x) => typeof x === "object" && x !== null) as Record<string, string>;
    return Object.entries(map).map(([k, v]) => `${k}=${v}`);
  };

  it("the service step's triggers hold one labelled revision per variable, no value", async () => {
    const before = await envTriggers(deploy({}));
    const added = await envTriggers(deploy({ MINIO_BROWSER: "off" }));
    const name = (t: string) => t.split("=")[0];
    expect(before.map(name)).toEqual([
      "MINIO_OPTS",
      "MINIO_ROOT_PASSWORD",
      "MINIO_ROOT_USER",
      "MINIO_VOLUMES",
    ]);
    expect(added.map(name)).toEqual([
      "MINIO_BROWSER",
      "MINIO_OPTS",
      "MINIO_ROOT_PASSWORD",
      "MINIO_ROOT_USER",
      "MINIO_VOLUMES",
    ]);
    for (const t of [...before, ...added]) {
      expect(t).toMatch(/^[A-Z_]+=env:hmac-sha256:[0-9a-f]{64}$/);
      expect(t).not.toContain("a-long-root-password");
    }
  });

  it("under one key (as in a stack's state), adding a variable adds one revision and changing one changes one", async () => {
    let seen: string[][] = [];
    await captureGraph(async () => {
      const parent = new pulumi.ComponentResource("test:index:Holder", "holder");
      const rev = new Revisions(parent, "holder");
      const base: Array<[string, string]> = [
        ["MINIO_ROOT_USER", "admin"],
        ["MINIO_ROOT_PASSWORD", "pw-one-long"],
      ];
      seen = await Promise.all(
        [
          base,
          [...base, ["MINIO_BROWSER", "off"]] as Array<[string, string]>,
          [base[0]!, ["MINIO_ROOT_PASSWORD", "pw-two-long"]] as Array<[string, string]>,
        ].map((es) =>
          resolved(rev.eachVariable("env", es)).then((m) => Object.entries(m).map(([k, v]) => `${k}=${v}`)),
        ),
      );
    });
    const [before, added, rotated] = seen as [string[], string[], string[]];
    const name = (t: string) => t.split("=")[0];
    expect(added.filter((t) => !before.includes(t)).map(name)).toEqual(["MINIO_BROWSER"]);
    expect(before.filter((t) => !added.includes(t))).toEqual([]);
    expect(rotated.filter((t) => !before.includes(t)).map(name)).toEqual(["MINIO_ROOT_PASSWORD"]);
    expect(before.filter((t) => !rotated.includes(t)).map(name)).toEqual(["MINIO_ROOT_PASSWORD"]);
  });
});

describe("the preflight (issue 12: nothing changes anywhere unless every node is reachable)", () => {
  it("KES: every step of every replica waits for every replica's preflight (3 dials)", async () => {
    const g = await captureGraph(() => {
      new KesServer("kes", {
        hosts: ["kes1", "kes2"].map((n, i) => ({
          name: n,
          address: `198.18.0.6${i}`,
          privateKey: "k",
          hostKey,
        })),
        kms: new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } }),
        binary: bin("kes"),
        minioKeyNames: ["minio-*"],
      });
    });
    const preflights = g.nodes.filter((n) => n.name.endsWith("-preflight"));
    expect(preflights.map((n) => n.name).sort()).toEqual(["kes-kes1-preflight", "kes-kes2-preflight"]);
    for (const n of g.ofType("command:remote:Command")) {
      if (n.name.endsWith("-preflight")) continue;
      for (const p of preflights) expect(g.dependsOn(n, p), `${n.name} waits for ${p.name}`).toBe(true);
    }
    expect((preflights[0]!.inputs.connection as { dialErrorLimit: number }).dialErrorLimit).toBe(3);
    expect(scriptOf(preflights[0]!)).toContain("paths=('/etc/kes' '/usr/local/bin/kes' '/var/lib/kes/keys')");
  });

  const deploy =
    (extraEnv: Record<string, string> = {}) =>
    () =>
      void new MinioDeployment("m", {
        nodes: ["minio1", "minio2", "minio3"].map((n, i) => ({
          name: n,
          address: `198.18.0.5${i}`,
          privateKey: "k",
          hostKey,
        })),
        drives: ["/mnt/disk1", "/mnt/disk2"],
        rootUser: "admin",
        rootPassword: "a-long-root-password",
        binary: bin("minio"),
        extraEnv,
      });

  it("every step of every node waits for every node's preflight, which dials 3 times, not 20", async () => {
    const g = await captureGraph(deploy());
    const preflights = g.nodes.filter((n) => n.name.endsWith("-preflight"));
    expect(preflights.map((n) => n.name).sort()).toEqual([
      "m-minio1-preflight",
      "m-minio2-preflight",
      "m-minio3-preflight",
    ]);
    for (const n of g.ofType("command:remote:Command")) {
      if (n.name.endsWith("-preflight")) continue;
      for (const p of preflights) expect(g.dependsOn(n, p), `${n.name} waits for ${p.name}`).toBe(true);
    }
    for (const p of preflights) {
      const c = p.inputs.connection as { dialErrorLimit: number; perDialTimeout: number };
      expect([c.dialErrorLimit, c.perDialTimeout]).toEqual([3, 10]);
      expect(scriptOf(p)).toContain(
        "paths=('/etc/default/minio' '/etc/minio' '/usr/local/bin/minio')", // not the drives: data, not held to the minimum
      );
    }
    const other = g.byName("m-minio2-config").inputs.connection as { dialErrorLimit: number };
    expect(other.dialErrorLimit).toBe(20);
  });

  it("is replaced (runs again) exactly when something the deployment writes changes", async () => {
    const trigger = async (p: () => void) =>
      (await captureGraph(p)).byName("m-minio2-preflight").inputs.triggers;
    const a = await trigger(deploy());
    // Same program, same state key in a real stack; under mocks the revision key is new each run,
    // so compare the form here; test/e2e (scenarios b and c) checks no-op and change on hosts.
    expect(a).toEqual([expect.stringMatching(/^changes:sha256:[0-9a-f]{64}$/)]);
  });
});

describe("claims need a known address (review)", () => {
  it("two clusters whose nodes are both called node1, at addresses from Outputs, are not one host", async () => {
    let msg = "no error";
    await captureGraph(() => {
      try {
        for (const [c, a] of [
          ["east", "198.18.0.71"],
          ["west", "198.18.0.72"],
        ] as const)
          new MinioDeployment(`minio-${c}`, {
            nodes: [{ name: "node1", address: pulumi.output(a), privateKey: "k", hostKey }],
            drives: ["/mnt/disk1"],
            rootUser: "admin",
            rootPassword: "a-long-root-password",
            binary: bin("minio"),
          });
      } catch (e) {
        msg = String((e as Error).message);
      }
    });
    expect(msg).toBe("no error");
  });
});

describe("EncryptedBuckets: one step on the admin node for every bucket (issue 13: connections that stay flat)", () => {
  const node = (name: string, address: string) => ({ name, address, privateKey: "k", hostKey });
  const program = (buckets: ConstructorParameters<typeof EncryptedBuckets>[1]["buckets"]) => () => {
    const kes = new KesServer("kes", {
      hosts: [node("kes1", "10.0.1.1")],
      kms: new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } }),
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
    });
    const d = new MinioDeployment("m", {
      nodes: [node("minio1", "10.0.1.2"), node("minio2", "10.0.1.3")],
      drives: ["/mnt/disk1"],
      rootUser: "admin",
      rootPassword: "a-long-root-password",
      binary: bin("minio"),
      kes,
      defaultKeyName: "minio-default",
      mc: bin("mc"),
    });
    made = new EncryptedBuckets("data", { deployment: d, buckets });
  };
  let made: EncryptedBuckets | undefined;

  it("20 buckets are one command on the admin node, after the ready gate, whose trigger names each bucket", async () => {
    const buckets = Array.from({ length: 20 }, (_, i) => ({
      bucket: `bucket-${i + 1}`,
      keyName: `minio-b${i + 1}`,
    }));
    buckets.push({ bucket: "logs", algorithm: "sse-s3", verify: false } as never);
    const stdout = [
      ...buckets.map((b) => `key ${b.keyName}: created`).filter((l) => !l.includes("undefined")),
      ...buckets.map((b) =>
        b.keyName
          ? `bucket ${b.bucket}: result: algorithm=sse-kms key=${b.keyName} verified=true`
          : `bucket ${b.bucket}: result: algorithm=sse-s3 verified=false`,
      ),
    ].join("\n");
    const g = await captureGraph(
      () => {
        program(buckets)();
      },
      { stdoutOf: (name) => (name === "data-minio1-buckets" ? stdout : undefined) },
    );
    const component = g.byName("data");
    expect(component.type).toBe("minio-kes:minio:EncryptedBuckets");
    const children = g.nodes.filter((n) => n.parent === component.urn);
    expect(children.map((n) => n.name)).toEqual(["data-minio1-buckets"]);
    const step = children[0]!;
    expect(g.dependsOn(step, g.byName("m-minio1-ready"))).toBe(true);
    expect(step.inputs.triggers).toEqual([
      {
        ...Object.fromEntries(
          buckets
            .slice(0, 20)
            .map((b) => [b.bucket, `sse-kms with the key ${b.keyName}, checked with a probe object`]),
        ),
        logs: "sse-s3, not checked",
      },
    ]);
    expect(step.inputs.create).toBe(
      "bash -s create # minio1: set up 21 buckets with default encryption (bucket-1, bucket-2, bucket-3, ...)",
    );
    const script = scriptOf(step);
    expect(script.match(/^report \d+ 'key /gm)).toHaveLength(20);
    expect(script.match(/^report \d+ 'bucket /gm)).toHaveLength(21);
    // The component's outputs: each bucket, and whether its probe was checked.
    expect(made!.buckets[0]).toEqual({ bucket: "bucket-1", algorithm: "sse-kms", keyName: "minio-b1" });
    expect(made!.buckets[20]).toEqual({ bucket: "logs", algorithm: "sse-s3", keyName: "minio-default" });
    const verified = await resolved(made!.verified);
    expect(Object.keys(verified)).toHaveLength(21);
    expect(verified["bucket-7"]).toBe(true);
    expect(verified.logs).toBe(false);
  });

  it("refuses an empty list, a bucket listed twice and a bad entry, naming buckets[i]", async () => {
    for (const [buckets, want] of [
      [[], "  - buckets: list at least one bucket"],
      [
        [{ bucket: "logs" }, { bucket: "logs" }],
        '  - buckets[1].bucket: bucket "logs" is already buckets[0]; list each bucket once.',
      ],
      [
        [{ bucket: "logs" }, { bucket: "Logs" }],
        '  - buckets[1].bucket: bucket name "Logs" breaks the S3 naming rules',
      ],
      [
        [{ bucket: "logs", keyName: "other-key" }],
        '  - buckets[0].keyName: "other-key" is not in the KesServer\'s minioKeyNames',
      ],
    ] as const) {
      let msg = "no error";
      await captureGraph(() => {
        try {
          program(buckets as never)();
        } catch (e) {
          msg = (e as Error).message;
        }
      });
      expect(msg).toContain("invalid arguments for EncryptedBuckets data:");
      expect(msg).toContain(want);
    }
  });
});

describe("the drift check (issue 11): off by default, on request one step per host, after the host's last step", () => {
  const node = (name: string, address: string) => ({ name, address, privateKey: "k", hostKey });
  const program = (driftCheck?: { request: string; repair?: string }) => () => {
    const kes = new KesServer("kes", {
      hosts: [node("kes1", "10.0.2.1")],
      kms: new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } }),
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      driftCheck,
    });
    new MinioDeployment("m", {
      nodes: [node("minio1", "10.0.2.2"), node("minio2", "10.0.2.3")],
      drives: ["/mnt/disk1"],
      rootUser: "admin",
      rootPassword: "a-long-root-password",
      binary: bin("minio"),
      kes,
      defaultKeyName: "minio-default",
      driftCheck,
    });
  };

  it("adds no step without driftCheck", async () => {
    const g = await captureGraph(program());
    expect(g.nodes.filter((n) => n.name.endsWith("-drift"))).toEqual([]);
  });

  it("checks every host after its last step, with the manifest as a secret, and names what it compares", async () => {
    const g = await captureGraph(program({ request: "2026-12-01" }));
    expect(g.nodes.filter((n) => n.name.endsWith("-drift")).map((n) => n.name)).toEqual([
      "kes-kes1-drift",
      "m-minio1-drift",
      "m-minio2-drift",
    ]);
    const m1 = g.byName("m-minio1-drift");
    expect(g.dependsOn(m1, g.byName("m-minio1-ready"))).toBe(true);
    expect(g.dependsOn(g.byName("kes-kes1-drift"), g.byName("kes-kes1-reload"))).toBe(true);
    expect(m1.inputs.triggers).toEqual(["drift-check:2026-12-01"]);
    expect(m1.secretPaths).toContain("stdin");
    const manifest = String(m1.inputs.stdin).trim().split("\n");
    expect(
      manifest
        .filter((l) => l.startsWith("file "))
        .map((l) => l.split(" ").slice(5).join(" "))
        .sort(),
    ).toEqual(
      [
        "/etc/default/minio m-minio1-config",
        "/etc/systemd/system/minio.service m-minio1-unit",
        "/etc/minio/kes-ca.crt m-minio1-config",
        "/usr/local/bin/minio m-minio1-minio-binary",
      ].sort(),
    );
    expect(manifest).toContainEqual(
      expect.stringMatching(/^file [0-9a-f]{64} root root 600 \/etc\/default\/minio m-minio1-config$/),
    );
    expect(manifest).toContain(
      `file ${"d".repeat(64)} root root 755 /usr/local/bin/minio m-minio1-minio-binary`,
    );
    expect(manifest).toContain("unit minio.service m-minio1-service");
    const kesManifest = String(g.byName("kes-kes1-drift").inputs.stdin);
    expect(kesManifest).toMatch(/^file [0-9a-f]{64} root kes 640 \/etc\/kes\/config\.yaml kes-kes1-files$/m);
    expect(kesManifest).toMatch(/^file [0-9a-f]{64} root root 600 \S+ kes-kes1-files$/m);
    // No step but the checks runs again on a new request.
    expect(String(g.byName("m-minio1-config").inputs.create)).not.toContain("drift repair");
  });

  it("turns what the checks print into the driftReport output, host by host", async () => {
    let m!: MinioDeployment;
    const out = (n: string) =>
      n === "m-minio2-drift"
        ? [
            "drift: /etc/default/minio: its content differs from what the program declares (step m-minio2-config)",
            "drift: minio.service is inactive, not active (step m-minio2-service)",
            "drift: 2 differences on minio2 from what the program declares (listed above); to repair them, …",
          ].join("\n")
        : n.endsWith("-drift")
          ? "drift: none (4 files, 1 units as declared)"
          : undefined;
    await captureGraph(
      () => {
        const kes = new KesServer("kes", {
          hosts: [node("kes1", "10.0.2.1")],
          kms: new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } }),
          binary: bin("kes"),
          minioKeyNames: ["minio-*"],
        });
        m = new MinioDeployment("m", {
          nodes: [node("minio1", "10.0.2.2"), node("minio2", "10.0.2.3")],
          drives: ["/mnt/disk1"],
          rootUser: "admin",
          rootPassword: "a-long-root-password",
          binary: bin("minio"),
          kes,
          defaultKeyName: "minio-default",
          driftCheck: { request: "r1" },
        });
      },
      { stdoutOf: out },
    );
    expect(await resolved(m.driftReport)).toEqual([
      "minio2: /etc/default/minio: its content differs from what the program declares (step m-minio2-config)",
      "minio2: minio.service is inactive, not active (step m-minio2-service)",
    ]);
  });

  it("with repair, the file steps and service steps carry its label, so a new label re-runs them; KES restarts", async () => {
    const g = await captureGraph(program({ request: "r2", repair: "fix-1" }));
    for (const step of [
      "m-minio1-config",
      "m-minio1-unit",
      "m-minio1-minio-binary",
      "m-minio2-service",
      "kes-kes1-files",
      "kes-kes1-service",
    ])
      expect(String(g.byName(step).inputs.update), step).toMatch(/ # drift repair fix-1$/);
    // KES reads what was rewritten only when it restarts: the label is in its service trigger.
    expect(g.byName("kes-kes1-service").inputs.triggers).toContain("drift repair fix-1");
    expect(g.byName("m-minio1-service").inputs.triggers).not.toContain("drift repair fix-1");
    expect(String(g.byName("m-minio1-drift").inputs.create)).toMatch(/repair='\\''yes'\\''/);
  });

  it("refuses a request that is not a plain label, naming the field", async () => {
    let msg = "no error";
    await captureGraph(() => {
      try {
        program({ request: "today; reboot" })();
      } catch (e) {
        msg = (e as Error).message;
      }
    });
    expect(msg).toContain("invalid arguments for KesServer kes:");
    expect(msg).toContain(
      '  - driftCheck.request: set it to a label of 1–64 letters, digits, ".", "_", ":" or "-"',
    );
  });
});

describe("certificate expiry (issue 11): a warning when a server certificate expires within tls.expiryWarningDays", () => {
  const node = (name: string, address: string) => ({ name, address, privateKey: "k", hostKey });
  const program = (tls?: { expiryWarningDays?: number }) => () => {
    new KesServer("kes", {
      hosts: [node("kes1", "10.0.3.1")],
      kms: new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } }),
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      tls,
    });
  };
  // The mock tls provider's certificates end on 2027-11-27T10:00:00Z; the tests run "on" 2026-12-01.
  const today = Date.parse("2026-12-01T12:00:00Z");
  const warnings = async (p: () => void) => {
    const spy = vi.spyOn(pulumi.log, "warn");
    const now = vi.spyOn(Date, "now").mockReturnValue(today);
    try {
      await captureGraph(p);
      return spy.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("TLS certificate"));
    } finally {
      spy.mockRestore();
      now.mockRestore();
    }
  };

  it("warns, naming the host, the date and the fix, when the certificate expires within the days given", async () => {
    const left = Math.floor((Date.parse("2027-11-27T10:00:00Z") - today) / 86_400_000);
    expect(await warnings(program({ expiryWarningDays: left + 2 }))).toEqual([
      `KesServer kes: the TLS certificate of kes1 expires on 2027-11-27T10:00:00Z (in ${left} days; tls.expiryWarningDays is ${left + 2}). Renew it: change tls.rotation for generated certificates, or give a new one in tls.certificates.kes1.`,
    ]);
  });

  it("stays quiet with the default 30 days, and with 0", async () => {
    expect(await warnings(program())).toEqual([]);
    expect(await warnings(program({ expiryWarningDays: 0 }))).toEqual([]);
  });

  it("refuses a number of days that is not a whole number from 0 to 3650", async () => {
    let msg = "no error";
    await captureGraph(() => {
      try {
        program({ expiryWarningDays: -1 })();
      } catch (e) {
        msg = (e as Error).message;
      }
    });
    expect(msg).toContain(
      "  - tls.expiryWarningDays: set expiryWarningDays to a whole number of days from 0 (never warn) to 3650.",
    );
  });
});
