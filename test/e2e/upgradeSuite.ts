/**
 * Upgrading the library on a running distributed deployment restarts nothing: the previous
 * version (`PREVIOUS`, the library before staging, barriers and stop steps) deploys KES and MinIO
 * on 2 nodes; one `pulumi up` of the current library on the same state creates the barriers, the
 * host-key checks and the stop steps, updates the steps whose scripts changed, replaces the env
 * and service steps and the ready gate (new triggers; they write and restart nothing), and
 * neither stops nor restarts KES or MinIO; a
 * further up changes nothing; a change then restarts every node once.
 *
 * The previous library comes from git (`git archive PREVIOUS lib`, into test/.work, which git
 * ignores): the test needs the repository's history, as the migration test does.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Lib from "../../lib";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { bootTestbed, hostArgsOf, shq, type Testbed, type TestHost } from "../hosts/testbed";
import type { Runner } from "./scenarioSuite";

/** The library before staging, the barriers and the stop steps. */
export const PREVIOUS = "ab7f69b";
const repoRoot = resolve(__dirname, "..", "..");

/** The library at PREVIOUS, extracted below test/.work (so it resolves the repository's packages). */
async function previousLibrary(): Promise<typeof Lib> {
  const dir = join(repoRoot, "test", ".work", `lib-${PREVIOUS}`);
  if (!existsSync(join(dir, "lib", "index.ts"))) {
    try {
      execFileSync("git", ["-C", repoRoot, "cat-file", "-e", `${PREVIOUS}^{commit}`], { stdio: "pipe" });
    } catch {
      throw new Error(
        `the upgrade test needs the git history of ${repoRoot} (commit ${PREVIOUS}); run it in a full clone (git fetch --unshallow)`,
      );
    }
    mkdirSync(dir, { recursive: true });
    execFileSync("bash", ["-c", `git -C ${shq(repoRoot)} archive ${PREVIOUS} lib | tar -x -C ${shq(dir)}`]);
  }
  return (await import(join(dir, "lib", "index.ts"))) as typeof Lib;
}

/** 1 KES replica and 2 MinIO nodes × 2 drives, one bucket, with the library `lib`. */
function program(
  lib: typeof Lib,
  tb: Testbed,
  binaries: Record<"minio" | "kes" | "mc", Lib.BinarySourceArgs>,
  browser?: "off",
  healthTimeoutSeconds = 60,
): () => void {
  const host = (h: TestHost, name: string): Lib.HostArgs => hostArgsOf(tb, h, name);
  return () => {
    const kms = new lib.KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
    const kes = new lib.KesServer("kes", {
      hosts: [host(tb.hosts[0]!, "kes1")],
      kms,
      binary: binaries.kes,
      minioKeyNames: ["minio-*"],
      healthTimeoutSeconds: 30,
    });
    const minio = new lib.MinioDeployment("minio", {
      nodes: [host(tb.hosts[1]!, "minio1"), host(tb.hosts[2]!, "minio2")],
      drives: ["/var/lib/minio/d1", "/var/lib/minio/d2"],
      rootUser: "upgrade-admin",
      rootPassword: "upgrade-Root-Password-3",
      kes,
      defaultKeyName: "minio-default",
      binary: binaries.minio,
      mc: binaries.mc,
      extraEnv: browser ? { MINIO_BROWSER: browser } : undefined,
      healthTimeoutSeconds,
    });
    new lib.EncryptedBucket("data", { deployment: minio, bucket: "data", keyName: "minio-data" });
  };
}

/** The upgrade scenario with `runner`, skipped (with the reason in the name) when `skip` is set. */
export function upgradeSuite(runner: Runner, skip: string | undefined): void {
  const work = mkdtempSync(join(tmpdir(), "mkt-upgrade-"));
  const statePath = join(work, "state.json");
  let tb: Testbed;
  let server: Server | undefined;
  let binaries: Record<"minio" | "kes" | "mc", Lib.BinarySourceArgs>;
  let previous: typeof Lib;
  /** How often each service started while the previous version deployed. */
  let deployed: number[];
  /** The inode of each file the upgrade must not rewrite (a write replaces it). */
  const inodes = () =>
    Promise.all([
      tb.exec(tb.hosts[0]!, "stat -c %i /etc/kes/config.yaml /etc/kes/kes.env").then((r) => r.stdout),
      tb.exec(tb.hosts[1]!, "stat -c %i /etc/default/minio /etc/minio/kes-ca.crt").then((r) => r.stdout),
    ]);
  const current = () => import("../../lib");
  // systemd logs "Starting" for MinIO (Type=notify) and only "Started" for KES (Type=simple).
  const starts = async (h: TestHost, line: string) =>
    Number((await tb.exec(h, `journalctl --no-pager -o cat | grep -c '^${line}' || true`)).stdout.trim());
  const allStarts = () =>
    Promise.all([
      starts(tb.hosts[0]!, "Started kes.service"),
      starts(tb.hosts[1]!, "Starting minio.service"),
      starts(tb.hosts[2]!, "Starting minio.service"),
    ]);

  describe.skipIf(skip !== undefined)(
    `upgrading the library from ${PREVIOUS} on 2 MinIO nodes restarts nothing (${runner.label})${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      beforeAll(async () => {
        previous = await previousLibrary();
        tb = await bootTestbed(3);
        const served = await serveTestBinaries(`upgrade (${runner.label})`);
        server = served.server;
        binaries = served.sources;
      }, 900_000);

      afterAll(async () => {
        server?.close();
        await tb?.teardown();
        rmSync(work, { recursive: true, force: true });
      }, 300_000);

      it(`the previous version (${PREVIOUS}) deploys`, async () => {
        const r = await runner.run(program(previous, tb, binaries), { statePath });
        expect(r.steps.every((s) => s.op === "create")).toBe(true);
        expect(r.steps.some((s) => s.name.endsWith("-stop"))).toBe(false);
        // (That version may start a distributed node twice on a fresh install: it had no
        // barriers; what follows compares with what it left.)
        deployed = await allStarts();
        for (const n of deployed) expect(n).toBeGreaterThanOrEqual(1);
      }, 600_000);

      it("one up of the current library adds the barriers, checks and stop steps, merges each host's steps, and restarts nothing", async () => {
        const lib = await current();
        const files = await inodes();
        const r = await runner.run(program(lib, tb, binaries), { statePath });
        const created = r.steps.filter((s) => s.op === "create").map((s) => s.name);
        const minio = (concern: string) => [`minio-minio1-${concern}`, `minio-minio2-${concern}`];
        expect(created.sort()).toEqual(
          [
            "kes-all-checked",
            "kes-host-keys",
            "minio-all-checked",
            "minio-all-staged",
            "minio-all-stopped",
            "minio-host-keys",
            ...minio("stop"),
            // One step per host for what several did (issue 13): they find everything as wanted.
            "kes-kes1-system",
            "kes-kes1-files",
            ...minio("system"),
            ...minio("config"),
          ].sort(),
        );
        // The steps they replace go, running nothing on the hosts (none has a delete script).
        const gone = [
          ...["prereqs", "user", "keystore-dir", "tls-cert", "tls-key", "ca-cert", "config", "secrets"].map(
            (c) => `kes-kes1-${c}`,
          ),
          ...["prereqs", "user", "drives", "env", "kes-ca"].flatMap(minio),
        ].sort();
        expect(r.deleted.sort()).toEqual(gone);
        expect(
          r.steps
            .filter((s) => s.op === "delete")
            .map((s) => s.name)
            .sort(),
        ).toEqual(gone);
        // The new steps find everything as wanted: no file is rewritten (its inode stays).
        expect(await inodes()).toEqual(files);
        expect(r.steps.find((s) => s.name === "minio-minio1-system")!.stdout).not.toMatch(/: changed/);
        // Replaced because their triggers are new (what the staging steps printed): the service
        // steps and the ready gate, which find nothing staged and restart nothing.
        expect(
          r.steps
            .filter((s) => s.op === "replace")
            .map((s) => s.name)
            .sort(),
        ).toEqual(["minio-minio1-ready", "minio-minio1-service", "minio-minio2-service"]);
        const service = r.steps.find((s) => s.name === "minio-minio1-service")!;
        expect(service.stdout).toBe("ready: minio.service (running; nothing of it changed)");
        expect(await allStarts()).toEqual(deployed);
        const stop = r.steps.find((s) => s.name === "minio-minio1-stop")!;
        expect(stop.stdout).toBe("unchanged: nothing is staged on this node; minio.service keeps running");
        for (const h of tb.hosts.slice(1))
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
      }, 600_000);

      it("a further up changes nothing, and a change then restarts every node once", async () => {
        const lib = await current();
        const again = await runner.run(program(lib, tb, binaries), { statePath });
        expect(again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual([]);
        const changed = await runner.run(program(lib, tb, binaries, "off"), { statePath });
        expect(changed.steps.filter((s) => s.op === "replace").map((s) => s.name)).toContain(
          "minio-minio2-service",
        );
        expect(await allStarts()).toEqual([deployed[0], deployed[1]! + 1, deployed[2]! + 1]);
        for (const h of tb.hosts.slice(1))
          expect(await tb.readFile(h, "/etc/default/minio")).toContain("MINIO_BROWSER='off'");
      }, 600_000);

      it("a new binary that does not start, rolled back, stops and starts every node with the old one", async () => {
        const lib = await current();
        // A "MinIO" that exits at once: every node's restart fails its health gate.
        const broken = join(work, "broken-minio");
        writeFileSync(
          broken,
          "#!/bin/sh\necho 'FATAL stand-in for a binary that does not start' >&2\nexit 1\n",
          {
            mode: 0o755,
          },
        );
        const sha256 = createHash("sha256").update(readFileSync(broken)).digest("hex");
        // Served on the bridge like the other binaries (the harness does not model uploads).
        const brokenServer = createServer((_req, res) => res.end(readFileSync(broken)));
        await new Promise<void>((r) => brokenServer.listen(0, "198.18.0.1", r));
        const port = (brokenServer.address() as AddressInfo).port;
        const bad = { ...binaries, minio: { url: `http://198.18.0.1:${port}/minio`, sha256, name: "minio" } };
        const failed = await runner
          .run(program(lib, tb, bad, "off", 10), { statePath })
          .then(
            () => undefined,
            (e: Error) => e,
          )
          .finally(() => brokenServer.close());
        expect(failed?.message).toContain("minio.service");
        // Rolled back: the previous binary (and everything else as before). Before the fix the
        // service steps' state still matched, so they did not run, the stop steps stopped every
        // node, and the rollback stayed staged: every node down, and `up` reported success.
        await runner.run(program(lib, tb, binaries, "off"), { statePath });
        const want = binaries.minio.sha256!;
        for (const h of tb.hosts.slice(1)) {
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
          expect((await tb.exec(h, "sha256sum /usr/local/bin/minio")).stdout.split(" ")[0]).toBe(want);
          expect((await tb.exec(h, "ls -A /usr/local/bin /etc/default")).stdout).not.toContain(".staged");
        }
        const again = await runner.run(program(lib, tb, binaries, "off"), { statePath });
        expect(again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual([]);
      }, 900_000);
    },
  );
}
