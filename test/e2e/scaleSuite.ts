/**
 * The scale scenario (issue 13) on real Debian hosts with systemd and stock sshd (test/hosts): 3 KES
 * replicas and 13 MinIO nodes × 4 drives with 20 encrypted buckets, deployed fresh at
 * `--parallel 2`, then a no-op run and a change that restarts every node at the engine's default,
 * then back at `--parallel 2`. The same suite runs with the harness (which models the engine's
 * parallelism limit) and with the real engine.
 *
 * Before the fix, a fresh deployment of more MinIO nodes than `--parallel` failed: each node's
 * service step waited for its MinIO to be active, which a distributed MinIO only becomes once its
 * peers answer, and the peers' steps had no slot to start them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import type { RunResult } from "../../scripts/lib/harness";
import type { Testbed, TestHost } from "../hosts/testbed";
import { type ScaleEnv, type ScaleVariant, scaleProgram } from "./programs";
import { bootScaleHosts, SCALE, scaleEnv } from "./scale";
import type { Runner } from "./scenarioSuite";
import { sshLogins } from "./scenarioSuite";

const ops = (r: RunResult) => r.steps.filter((s) => s.op !== "same");

/** The scale scenario with `runner`, skipped (with the reason in the name) when `skip` is set. */
export function scaleSuite(runner: Runner, skip: string | undefined): void {
  const work = mkdtempSync(join(tmpdir(), "mkt-scale-"));
  const statePath = join(work, "state.json");
  let tb: Testbed;
  let server: Server | undefined;
  let env: ScaleEnv;
  let minioHosts: TestHost[];
  const run = (v: Partial<ScaleVariant>, parallel?: number) =>
    runner.run(scaleProgram(env, { buckets: SCALE.buckets, ...v }), { statePath, parallel });
  const starts = async (h: TestHost) =>
    (
      await tb.exec(h, "journalctl -u minio --no-pager -o cat | grep -c '^Starting minio.service' || true")
    ).stdout.trim();

  describe.skipIf(skip !== undefined)(
    `scale: ${SCALE.kes} KES + ${SCALE.minio} MinIO × 4 drives + ${SCALE.buckets} buckets (${runner.label})${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      beforeAll(async () => {
        tb = await bootScaleHosts(SCALE.kes, SCALE.minio);
        minioHosts = tb.hosts.slice(SCALE.kes);
        const served = await serveTestBinaries(`scale (${runner.label})`);
        server = served.server;
        env = scaleEnv(tb, SCALE.kes, served.sources);
      }, 900_000);

      afterAll(async () => {
        server?.close();
        await tb?.teardown();
        rmSync(work, { recursive: true, force: true });
      }, 300_000);

      it("a fresh install at --parallel 2 succeeds on the first try", async () => {
        const t0 = Date.now();
        const r = await run({}, 2);
        console.log(
          `scale (${runner.label}): fresh up at --parallel 2: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${r.steps.length} steps`,
        );
        expect(r.steps.every((s) => s.op === "create")).toBe(true);
        for (const h of minioHosts)
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
        const envs = await Promise.all(minioHosts.map((h) => tb.readFile(h, "/etc/default/minio")));
        expect(new Set(envs).size).toBe(1);
      }, 1_800_000);

      it("a second run at the default --parallel changes nothing and opens no SSH session", async () => {
        const before = await Promise.all(tb.hosts.map((h) => sshLogins(tb, h)));
        const r = await run({});
        expect(ops(r)).toEqual([]);
        const after = await Promise.all(tb.hosts.map((h) => sshLogins(tb, h)));
        // (tb.exec reuses one connection per host: counting logs in nobody.)
        expect(after).toEqual(before);
      }, 900_000);

      it("a change every node must agree on restarts every node once, at the default --parallel and at 2", async () => {
        for (const [browser, parallel] of [
          ["off", undefined],
          ["on", 2],
        ] as const) {
          const before = await Promise.all(minioHosts.map(starts));
          const t0 = Date.now();
          const r = await run({ browser }, parallel);
          console.log(
            `scale (${runner.label}): MINIO_BROWSER=${browser} at --parallel ${parallel ?? "default"}: ${((Date.now() - t0) / 1000).toFixed(1)} s`,
          );
          const replaced = r.steps.filter((s) => s.op === "replace").map((s) => s.name);
          for (let i = 1; i <= SCALE.minio; i++) expect(replaced).toContain(`minio-minio${i}-service`);
          const after = await Promise.all(minioHosts.map(starts));
          expect(after.map((a, i) => Number(a) - Number(before[i]))).toEqual(minioHosts.map(() => 1));
          for (const h of minioHosts) {
            expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
            expect(await tb.readFile(h, "/etc/default/minio")).toContain(`MINIO_BROWSER='${browser}'`);
          }
        }
      }, 1_800_000);

      it("a change that fails on one node after the checks changes no node's live env file, and one rerun converges", async () => {
        // The last node cannot stage its env file (a directory where the staged copy goes): its
        // config step fails after every preflight passed and the other nodes staged theirs.
        const last = minioHosts[minioHosts.length - 1]!;
        await tb.exec(last, "mkdir /etc/default/.minio.staged");
        const live = await Promise.all(minioHosts.map((h) => tb.readFile(h, "/etc/default/minio")));
        const before = await Promise.all(minioHosts.map(starts));
        const failed = await run({ browser: "off" }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(failed?.message).toContain("/etc/default/.minio.staged is a directory; remove it");
        // No node's live env file changed, no node restarted. The other nodes whose config step ran
        // before the engine stopped starting steps hold a staged copy (how many depends on timing).
        expect(await Promise.all(minioHosts.map((h) => tb.readFile(h, "/etc/default/minio")))).toEqual(live);
        expect(await Promise.all(minioHosts.map(starts))).toEqual(before);
        const copies = await Promise.all(
          minioHosts
            .slice(0, -1)
            .map(
              async (h) => (await tb.exec(h, "cat /etc/default/.minio.staged 2>/dev/null || true")).stdout,
            ),
        );
        for (const c of copies.filter(Boolean)) expect(c).toContain("MINIO_BROWSER='off'");
        console.log(
          `scale (${runner.label}): ${copies.filter(Boolean).length} of ${copies.length} other nodes had staged the change`,
        );

        await tb.exec(last, "rmdir /etc/default/.minio.staged");
        await run({ browser: "off" });
        for (const h of minioHosts) {
          expect(await tb.readFile(h, "/etc/default/minio")).toContain("MINIO_BROWSER='off'");
          expect((await tb.exec(h, "ls -A /etc/default")).stdout).not.toContain(".minio.staged");
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
        }
        const after = await Promise.all(minioHosts.map(starts));
        expect(after.map((a, i) => Number(a) - Number(before[i]))).toEqual(minioHosts.map(() => 1));
      }, 1_800_000);
    },
  );
}
