/** Server pools (issue 11): one MINIO_VOLUMES argument per pool, each a {a...b} range. */
import { describe, expect, it } from "vitest";
import { MinioDeployment } from "../../lib";
import type { MinioDeploymentArgs } from "../../lib/components/args";
import { validateMinioDeploymentArgs } from "../../lib/components/minioDeployment";
import { parseEnvLine } from "../../lib/core/envfile";
import { renderMinioPool, renderMinioPools } from "../../lib/core/minioEnv";
import { captureGraph, fileWritten, scriptOf } from "../helpers/mockGraph";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock";
const bin = (n: string) => ({ url: `https://mirror.example.net/${n}`, sha256: "d".repeat(64) });
const node = (i: number) => ({
  name: `minio${i}`,
  address: `203.0.113.${i}`,
  internalAddress: `minio${i}.example.net`,
  privateKey: "k",
  hostKey,
});
const args = (nodes: number[], pools?: MinioDeploymentArgs["pools"]): MinioDeploymentArgs => ({
  nodes: nodes.map(node),
  drives: ["/mnt/disk1", "/mnt/disk2"],
  rootUser: "admin",
  rootPassword: "a-long-root-password",
  binary: bin("minio"),
  allowKesRemoval: true,
  pools,
});

describe("server pools", () => {
  it("render one argument per pool, each as MinIO's ranges", () => {
    expect(
      renderMinioPools({
        scheme: "https",
        pools: [
          { hosts: ["minio1.example.net", "minio2.example.net"], drives: ["/mnt/disk1", "/mnt/disk2"] },
          { hosts: ["minio3.example.net"], drives: ["/mnt/disk1", "/mnt/disk2", "/mnt/disk3"] },
        ],
      }),
    ).toBe(
      "https://minio{1...2}.example.net:9000/mnt/disk{1...2} https://minio3.example.net:9000/mnt/disk{1...3}",
    );
    // MinIO refuses an argument without an ellipsis among several: no such pool is rendered.
    expect(renderMinioPool({ scheme: "http", hosts: ["a.example.net"], drives: ["/data"] })).toBeUndefined();
    expect(
      renderMinioPool({ scheme: "http", hosts: ["a.example.net", "b.example.net"], drives: ["/d1", "/d2"] }),
    ).toBeUndefined();
  });

  it("every node's env file has both pools, and each node its pool's drives", async () => {
    const g = await captureGraph(() => {
      new MinioDeployment("m", {
        ...args(
          [1, 2, 3, 4],
          [{ nodes: ["minio1", "minio2"] }, { nodes: ["minio3", "minio4"], drives: ["/srv/d1", "/srv/d2"] }],
        ),
      });
    });
    for (const n of [1, 2, 3, 4]) {
      const env = fileWritten(g, `m-minio${n}`, "/etc/default/minio").content;
      const volumes = env
        .split("\n")
        .map(parseEnvLine)
        .find((e) => e?.name === "MINIO_VOLUMES")?.value;
      expect(volumes).toBe(
        "http://minio{1...2}.example.net:9000/mnt/disk{1...2} http://minio{3...4}.example.net:9000/srv/d{1...2}",
      );
    }
    expect(scriptOf(g.byName("m-minio3-system"))).toContain("\npaths=('/srv/d1' '/srv/d2')\n");
    expect(scriptOf(g.byName("m-minio1-system"))).toContain("\npaths=('/mnt/disk1' '/mnt/disk2')\n");
  });

  it("refuse a node in no pool, in two pools, an unknown node, and a pool MinIO cannot write as a range", () => {
    const messages = (a: MinioDeploymentArgs) =>
      validateMinioDeploymentArgs(a).list.map((i) => `${i.field}: ${i.message}`);
    expect(messages(args([1, 2, 3], [{ nodes: ["minio1"] }, { nodes: ["minio1", "minio9"] }]))).toEqual([
      "pools[1].nodes[0]: minio1 is already in pools[0]; a node belongs to one pool.",
      'pools[1].nodes[1]: no node is named "minio9"; use one of minio1, minio2, minio3.',
      "pools: nodes minio2, minio3 are in no pool; name every node in one pool.",
    ]);
    const gap = messages(args([1, 3, 4], [{ nodes: ["minio1", "minio3"] }, { nodes: ["minio4"] }]));
    expect(gap).toHaveLength(1);
    expect(gap[0]).toMatch(/^pools\[0\]: MinIO takes each pool as one \{a\.\.\.b\} range/);
  });

  it("one pool with drives of its own is written as ranges, as it will be once a second pool joins", async () => {
    const g = await captureGraph(() => {
      new MinioDeployment("m", {
        ...args([1, 2], [{ nodes: ["minio1", "minio2"], drives: ["/srv/d1", "/srv/d2"] }]),
      });
    });
    const env = fileWritten(g, "m-minio1", "/etc/default/minio").content;
    const volumes = env
      .split("\n")
      .map(parseEnvLine)
      .find((e) => e?.name === "MINIO_VOLUMES")?.value;
    expect(volumes).toBe("http://minio{1...2}.example.net:9000/srv/d{1...2}");
  });
});
