/**
 * SSH connections held on the admin node with many buckets (issue 13, "connections that stay
 * flat"). `@pulumi/command` 1.2.1 keeps every step's SSH client open until the run ends, so a
 * host holds one connection per step that ran on it. Three deployments, each KES + MinIO on one
 * host of its own, are deployed in one `up`; the next `up` adds one bucket (`EncryptedBucket`),
 * 20 `EncryptedBucket`s, and one `EncryptedBuckets` of 20. The connections each host holds are
 * counted on the host during each `up`. (Counted over a fresh `up` with the buckets, the
 * deployment's own ~25 steps varied by up to 6 between runs, more than the 4 this measures.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BinarySourceArgs,
  EncryptedBucket,
  EncryptedBuckets,
  type HostArgs,
  KesServer,
  KmsTarget,
  MinioDeployment,
} from "../../lib";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { bootTestbed, hostArgsOf, type Testbed } from "../hosts/testbed";
import { SCENARIO_ROOT_PASSWORD } from "./programs";
import { countConnections } from "./scale";
import type { Runner } from "./scenarioSuite";

type Layout = "one" | "many" | "list";
const LAYOUTS: Layout[] = ["one", "many", "list"];

/**
 * KES and a one-node MinIO on `host`, with 1 bucket, 20 EncryptedBuckets, or a list of `n`
 * (`n` 0: no bucket yet).
 */
function layout(
  name: Layout,
  host: HostArgs,
  binaries: Record<"kes" | "minio" | "mc", BinarySourceArgs>,
  n = 20,
) {
  const kms = new KmsTarget(`${name}-kms`, { filesystem: { acknowledgeDevelopmentOnly: true } });
  const kes = new KesServer(`${name}-kes`, {
    hosts: [host],
    kms,
    binary: binaries.kes,
    minioKeyNames: ["minio-*"],
  });
  const deployment = new MinioDeployment(`${name}-minio`, {
    nodes: [host],
    drives: ["/var/lib/minio/d1", "/var/lib/minio/d2", "/var/lib/minio/d3", "/var/lib/minio/d4"],
    rootUser: `${name}-admin`,
    rootPassword: SCENARIO_ROOT_PASSWORD,
    kes,
    defaultKeyName: "minio-default",
    binary: binaries.minio,
    mc: binaries.mc,
  });
  const spec = (i: number) => ({ bucket: `bucket-${i}`, keyName: `minio-b${i}` });
  if (n === 0) return;
  if (name === "one") new EncryptedBucket(`${name}-b1`, { deployment, ...spec(1) });
  else if (name === "many")
    for (let i = 1; i <= 20; i++) new EncryptedBucket(`${name}-b${i}`, { deployment, ...spec(i) });
  else
    new EncryptedBuckets(`${name}-buckets`, {
      deployment,
      buckets: Array.from({ length: n }, (_, i) => spec(i + 1)),
    });
}

/** The connections scenario with `runner`, skipped (with the reason in the name) when `skip` is set. */
export function connectionsSuite(runner: Runner, skip: string | undefined): void {
  const work = mkdtempSync(join(tmpdir(), "mkt-conn-"));
  const statePath = join(work, "state.json");
  let tb: Testbed;
  let server: Server | undefined;
  let hosts: HostArgs[];
  let binaries: Record<"kes" | "minio" | "mc", BinarySourceArgs>;
  const program =
    (listed = 20) =>
    () => {
      for (const [i, l] of LAYOUTS.entries()) layout(l, hosts[i]!, binaries, listed);
    };

  describe.skipIf(skip !== undefined)(
    `SSH connections with 1 and 20 buckets (${runner.label})${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      beforeAll(async () => {
        tb = await bootTestbed(LAYOUTS.length);
        const served = await serveTestBinaries(`connections (${runner.label})`);
        server = served.server;
        binaries = served.sources as typeof binaries;
        hosts = tb.hosts.map((h, i) => hostArgsOf(tb, h, LAYOUTS[i]!));
      }, 900_000);

      afterAll(async () => {
        server?.close();
        await tb?.teardown();
        rmSync(work, { recursive: true, force: true });
      }, 300_000);

      it("a fresh up without buckets holds a connection per step on each host until it ends", async () => {
        const { max, result } = await countConnections(tb, tb.hosts, () =>
          runner.run(program(0), { statePath }),
        );
        console.log(`connections (${runner.label}), a fresh up without buckets: ${max.join(", ")}`);
        // One connection per step that ran on the host, all held until the run ends (now and
        // then a host holds a few more, which is why the buckets are measured in an up of their
        // own below).
        for (const [i, h] of hosts.entries()) {
          // Steps are named <component>-<host>-<concern> (the engine keeps the connection secret).
          const steps = result.steps.filter(
            (s) => s.type === "command:remote:Command" && s.name.includes(`-${h.name}-`) && s.op === "create",
          ).length;
          expect(steps, h.name).toBeGreaterThan(10);
          expect(max[i], h.name).toBeGreaterThanOrEqual(steps);
        }
      }, 600_000);

      it("adding 20 buckets in one EncryptedBuckets holds at most 4 connections more than 1 bucket; 20 EncryptedBuckets hold 2 per bucket", async () => {
        const { max } = await countConnections(tb, tb.hosts, () => runner.run(program(), { statePath }));
        const [one, many, list] = max as [number, number, number];
        console.log(
          `connections (${runner.label}), the up that adds the buckets: 1 bucket ${one}, 20 EncryptedBucket ${many}, EncryptedBuckets of 20 ${list}`,
        );
        // 1 EncryptedBucket: its key and bucket steps.
        expect(one).toBeGreaterThanOrEqual(2);
        expect(list).toBeLessThanOrEqual(one + 4);
        // Why EncryptedBuckets exists: one component per bucket costs its key and bucket steps.
        expect(many).toBeGreaterThanOrEqual(2 * 20);
      }, 600_000);

      it("a bucket added to the list re-runs the one step, which sets it up and reports it verified", async () => {
        const r = await runner.run(program(21), { statePath });
        const ran = r.steps.filter((s) => s.op !== "same");
        expect(ran.map((s) => `${s.name} ${s.op}`)).toEqual(["list-buckets-list-buckets replace"]);
        const step = ran[0]!;
        expect(step.stdout).toContain("key minio-b21: created");
        expect(step.stdout).toContain(
          "bucket bucket-21: result: algorithm=sse-kms key=minio-b21 verified=true",
        );
        expect(step.stdout).toContain("key minio-b1: exists");
        const ls = await tb.exec(tb.hosts[2]!, "ls /var/lib/minio/d1");
        expect(ls.stdout.split("\n")).toContain("bucket-21");
      }, 600_000);
    },
  );
}
