/**
 * `npm run bench`: the scale figures of issue 13 as ratios measured in one run, on this machine.
 *
 * 1. Mock evaluation (no hosts): the graph of KES + MinIO with N nodes × D drives and K KES
 *    replicas, each size in its own process: resources, dependency edges, wall time and peak
 *    memory, as ratios against 16×8+2.
 * 2. Hosts (test/hosts; needs Linux and root): 17 hosts boot; one deploys the 1-host layout (KES
 *    and MinIO on one host, one bucket), the other 16 the scale layout (3 KES + 13 MinIO × 4
 *    drives + 20 buckets). Fresh up, no-op up, and the SSH connections each host holds at most
 *    (counted on the hosts with `ss`), through the harness and, when the plugins are installed,
 *    the real engine (on fresh hosts), at the default `--parallel`.
 *
 * Nothing here is a test: it prints what it measured. `BENCH_SKIP_HOSTS=1` runs only part 1.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostArgs } from "../lib";
import { EncryptedBucket, KesServer, KmsTarget, MinioDeployment } from "../lib";
import { scaleProgram } from "../test/e2e/programs";
import { bootScaleHosts, countConnections, SCALE, scaleEnv } from "../test/e2e/scale";
import { captureGraph } from "../test/helpers/mockGraph";
import { hostArgsOf, testbedUnavailableReason } from "../test/hosts/testbed";
import { findEngine, runEngine } from "../test/real-engine/engine";
import { serveTestBinaries } from "./lib/binaries";
import { type RunOptions, type RunResult, runProgram } from "./lib/harness";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1cKm0p9mHkqTrbXYI3kAd0i3pWEyVhFx2mJm9b2Q2K";

/** The mock program: K KES replicas, N MinIO nodes × D drives, one bucket. */
function mockProgram(n: number, d: number, k: number): () => void {
  const host = (name: string, i: number): HostArgs => ({
    name,
    address: `10.${Math.floor(i / 250)}.${i % 250}.1`,
    hostKey,
    privateKey: "key",
  });
  const bin = (name: string) => ({
    url: `https://downloads.example.net/${name}`,
    sha256: "a".repeat(64),
  });
  return () => {
    const kms = new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
    const kes = new KesServer("kes", {
      hosts: Array.from({ length: k }, (_, i) => host(`kes${i + 1}`, i)),
      kms,
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
    });
    const minio = new MinioDeployment("minio", {
      nodes: Array.from({ length: n }, (_, i) => host(`minio${i + 1}`, 1000 + i)),
      drives: Array.from({ length: d }, (_, i) => `/data/d${i + 1}`),
      rootUser: "admin",
      rootPassword: "bench-password-123",
      kes,
      defaultKeyName: "minio-default",
      binary: bin("minio"),
      mc: bin("mc"),
    });
    new EncryptedBucket("b1", { deployment: minio, bucket: "bucket-1", keyName: "minio-b1" });
  };
}

/** Child mode: evaluate one size and print one JSON line. */
async function measureMock(n: number, d: number, k: number): Promise<void> {
  const t0 = performance.now();
  const g = await captureGraph(mockProgram(n, d, k));
  const ms = performance.now() - t0;
  const edges = g.nodes.reduce((sum, x) => sum + x.dependencies.length, 0);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ resources: g.nodes.length, edges, ms, rssMiB }));
}

type Mock = { resources: number; edges: number; ms: number; rssMiB: number; processMs?: number };

function mockPart(): void {
  const sizes: Array<[number, number, number]> = [
    [16, 8, 2],
    [64, 8, 4],
    [256, 8, 4],
  ];
  const out = new Map<string, Mock>();
  for (const [n, d, k] of sizes) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, __filename, "--mock", `${n}`, `${d}`, `${k}`],
      {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      },
    );
    if (r.status !== 0) throw new Error(`mock ${n}×${d}+${k} failed:\n${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as Mock;
    m.processMs = performance.now() - t0;
    out.set(`${n}×${d}+${k}`, m);
  }
  const base = out.get("16×8+2")!;
  console.log("\n## Mock evaluation (one process per size)\n");
  console.log(
    "| size | resources | edges | edges ÷ 16×8+2 | evaluation | ÷ 16×8+2 | process (start-up included) | ÷ 16×8+2 | peak RSS |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const [size, m] of out)
    console.log(
      `| ${size} | ${m.resources} | ${m.edges} | ${(m.edges / base.edges).toFixed(2)} | ${(m.ms / 1000).toFixed(1)} s | ${(m.ms / base.ms).toFixed(2)} | ${(m.processMs! / 1000).toFixed(1)} s | ${(m.processMs! / base.processMs!).toFixed(2)} | ${m.rssMiB.toFixed(0)} MiB |`,
    );
}

type Runner = { label: string; run: (p: () => void, o: RunOptions) => Promise<RunResult> };

async function hostsPart(runner: Runner): Promise<void> {
  const tb = await bootScaleHosts(SCALE.kes, SCALE.minio + 1);
  const served = await serveTestBinaries(`bench (${runner.label})`);
  try {
    const work = mkdtempSync(join(tmpdir(), "mkt-bench-"));
    // The last host deploys the 1-host layout; the others the scale layout.
    const single = tb.hosts[tb.hosts.length - 1]!;
    const scaleBed = { ...tb, hosts: tb.hosts.slice(0, -1) };
    const env = scaleEnv(scaleBed, SCALE.kes, served.sources);
    const oneHost: HostArgs = hostArgsOf(tb, single, "solo");
    const oneProgram = () => {
      const kms = new KmsTarget("solo-kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
      const kes = new KesServer("solo-kes", {
        hosts: [oneHost],
        kms,
        binary: served.sources.kes,
        minioKeyNames: ["minio-*"],
      });
      const minio = new MinioDeployment("solo-minio", {
        nodes: [oneHost],
        drives: ["/var/lib/minio/d1", "/var/lib/minio/d2", "/var/lib/minio/d3", "/var/lib/minio/d4"],
        rootUser: "bench-admin",
        rootPassword: "bench-Root-Password-1",
        kes,
        defaultKeyName: "minio-default",
        binary: served.sources.minio,
        mc: served.sources.mc,
      });
      new EncryptedBucket("solo-b1", { deployment: minio, bucket: "bucket-1", keyName: "minio-b1" });
    };
    const timed = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return (performance.now() - t0) / 1000;
    };
    const one = await timed(() => runner.run(oneProgram, { statePath: join(work, "one.json") }));
    const program = scaleProgram(env, { buckets: SCALE.buckets });
    const statePath = join(work, "scale.json");
    let fresh = 0;
    const counted = await countConnections(tb, scaleBed.hosts, async () => {
      fresh = await timed(() => runner.run(program, { statePath }));
    });
    const noop = await timed(() => runner.run(program, { statePath }));
    const admin = SCALE.kes; // minio1, the admin node
    const others = counted.max.filter((_, i) => i !== admin);
    console.log(`\n## Hosts, ${runner.label}, default --parallel\n`);
    console.log("| measure | value |");
    console.log("|---|---|");
    console.log(`| fresh up, 1 host (KES + MinIO + 1 bucket) | ${one.toFixed(1)} s |`);
    console.log(
      `| fresh up, 16 hosts (${SCALE.kes} KES + ${SCALE.minio} MinIO × 4 + ${SCALE.buckets} buckets) | ${fresh.toFixed(1)} s |`,
    );
    console.log(`| fresh 16 ÷ fresh 1 | ${(fresh / one).toFixed(2)} |`);
    console.log(`| no-op up, 16 hosts | ${noop.toFixed(1)} s |`);
    console.log(`| no-op ÷ fresh | ${(noop / fresh).toFixed(2)} |`);
    console.log(`| max SSH connections at once, admin node (minio1) | ${counted.max[admin]} |`);
    console.log(`| max SSH connections at once, any other host | ${Math.max(...others)} |`);
  } finally {
    served.server.close();
    await tb.teardown();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === "--mock") {
    const [n, d, k] = process.argv.slice(3).map(Number) as [number, number, number];
    await measureMock(n, d, k);
    return;
  }
  console.log(`# npm run bench (${new Date().toISOString()}, ${process.version})`);
  mockPart();
  if (process.env.BENCH_SKIP_HOSTS === "1") return;
  const reason = testbedUnavailableReason();
  if (reason !== undefined) {
    console.log(`\nHosts: NOT RUN (${reason})`);
    return;
  }
  await hostsPart({ label: "harness, not the engine", run: runProgram });
  const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-bench-engine-")));
  if (engine.missing) console.log(`\nReal engine: NOT RUN (${engine.missing})`);
  else await hostsPart({ label: "REAL engine", run: (p, o) => runEngine(engine, p, o) });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
