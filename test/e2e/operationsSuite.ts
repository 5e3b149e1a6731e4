/**
 * Day-two operations (issue 11) on the scenario layout (2 KES replicas sharing a filesystem
 * keystore, 3 MinIO nodes × 2 drives, one SSE-KMS bucket), each run while the load probe
 * (./probe.ts) writes and reads SSE-KMS objects without stopping:
 *
 * - upgrade KES: a new KES binary; the replicas restart one at a time, each gated on
 *   `/v1/ready` before the next, and MinIO fails over between them: no request fails;
 * - upgrade MinIO: a new MinIO binary on every node, one coordinated restart (MinIO does not
 *   run mixed versions); the probe reports the gap, and no object is lost;
 * - rotate MinIO's KES API key: once in one step (`tls.rotation`, measured for comparison), then
 *   through the other credential slot (`minioCredentialRotation`): KES admits the new key before
 *   any node uses it, and no request fails on KES authentication;
 * - rotate the KES CA: once in one step (for comparison), then with MinIO trusting the old and the
 *   new CA while KES's certificates change: no node loses KES;
 * - remove a KES replica and add it back; drift checks and repairs;
 * - grow MinIO by a server pool: two more nodes (the testbed boots 7 hosts), every node restarts
 *   with both pools in MINIO_VOLUMES, and every object stays readable;
 * - KES behind one service name (an /etc/hosts name with both replicas' addresses, as a DNS name
 *   would be): removing a replica and adding it back restarts no MinIO node and fails no request.
 *
 * A "new binary" is the same stand-in with bytes appended (a different sha256, as a new release
 * has); the stand-ins say which file they run from, not a version.
 */
import { appendFileSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvLine } from "../../lib/core/envfile";
import { kesIdentityFromApiKey } from "../../lib/core/identity";
import { locateBinaries, makeCertificates, serveBinaries } from "../../scripts/lib/binaries";
import type { RunResult } from "../../scripts/lib/harness";
import type { Testbed, TestHost } from "../hosts/testbed";
import { hostArgsOf } from "../hosts/testbed";
import { describeReport, LoadProbe, type ProbeReport } from "./probe";
import { SCENARIO_ROOT_PASSWORD, type ScenarioEnv, type ScenarioVariant, scenarioProgram } from "./programs";
import { bootScenarioHosts, journalTimes, type Runner, scenarioEnv, sshLogins } from "./scenarioSuite";

/** The operations with `runner`, skipped (with the reason in the name) when `skip` is set. */
export function operationsSuite(runner: Runner, skip: string | undefined): void {
  const work = mkdtempSync(join(tmpdir(), "mkt-ops-"));
  const statePath = join(work, "state.json");
  let tb: Testbed;
  const servers: Server[] = [];
  let env: ScenarioEnv;
  let next: ScenarioEnv["binaries"];
  let mcPath: string;
  let kesHosts: TestHost[];
  let minioHosts: TestHost[];
  /** What every later run keeps (a rotation, once made, stays in the program). */
  let variant: ScenarioVariant = {};
  // systemd logs "Starting" for MinIO's Type=notify unit, only "Started" for KES's simple one.
  const starts = async (h: TestHost, unit: "kes.service" | "minio.service") =>
    (
      await journalTimes(
        tb,
        h,
        unit,
        unit === "kes.service" ? /Started kes\.service/ : /Starting minio\.service/,
      )
    ).length;
  /** How often MinIO started on each of `hosts` (default: the MinIO nodes). */
  const restarts = (hosts?: TestHost[]) =>
    Promise.all((hosts ?? minioHosts).map((h) => starts(h, "minio.service")));
  /** Run `up` of the program in `e` while the probe runs; the probe's report and the up's wall time. */
  const underLoad = async (e: ScenarioEnv, v: ScenarioVariant = variant) => {
    const probe = new LoadProbe({
      mc: mcPath,
      // The admin node only: the stand-in keeps each node's objects on that node's drives (no
      // erasure coding across nodes), so a bucket exists on the node that made it.
      endpoints: [`http://${minioHosts[0]!.address}:9000`],
      user: "e2e-admin",
      password: SCENARIO_ROOT_PASSWORD,
      bucket: "invoices",
    });
    // Let the probe reach a steady state first, so the report is about the change.
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    const result = await runner.run(scenarioProgram(e, v), { statePath });
    const wallMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const report: ProbeReport = await probe.stop();
    return { result, report, wallMs };
  };

  describe.skipIf(skip !== undefined)(
    `day-two operations under load (${runner.label})${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      beforeAll(async () => {
        tb = await bootScenarioHosts(7);
        kesHosts = tb.hosts.slice(0, 2);
        // h6 and h7 join as a second pool in the last scenario.
        minioHosts = tb.hosts.slice(2, 5);
        const located = locateBinaries({
          minio: process.env.E2E_MINIO_BINARY,
          kes: process.env.E2E_KES_BINARY,
          mc: process.env.E2E_MC_BINARY,
        });
        mcPath = located.paths.mc;
        const first = await serveBinaries(located.paths);
        // The "new release": the same programs with bytes appended, served on another port.
        const newer = { ...located.paths };
        for (const k of ["minio", "kes"] as const) {
          newer[k] = join(work, `${k}-next`);
          copyFileSync(located.paths[k], newer[k]);
          appendFileSync(newer[k], "\npulumi-minio-kes test: the next release\n");
        }
        const second = await serveBinaries(newer, { host: "198.18.0.1", port: 8800 });
        servers.push(first.server, second.server);
        env = scenarioEnv(tb, first.sources, join(work, "pki"));
        next = second.sources;
        await runner.run(scenarioProgram(env), { statePath });
      }, 900_000);

      afterAll(async () => {
        for (const s of servers) s.close();
        await tb?.teardown();
        rmSync(work, { recursive: true, force: true });
      }, 300_000);

      it("upgrade KES: the replicas restart one at a time and no request fails", async () => {
        const before = await Promise.all(kesHosts.map((h) => starts(h, "kes.service")));
        const minioBefore = await Promise.all(minioHosts.map((h) => starts(h, "minio.service")));
        const { report, wallMs } = await underLoad({ ...env, binaries: { ...env.binaries, kes: next.kes } });
        console.log(describeReport(`upgrade KES (${runner.label})`, report, wallMs));
        const after = await Promise.all(kesHosts.map((h) => starts(h, "kes.service")));
        expect(after).toEqual(before.map((n) => n + 1));
        // One after the other: the later replica was stopped only after the earlier one had
        // started again (and its steps had seen /v1/ready); restarted together, both stop first.
        const last = async (h: TestHost, re: RegExp) =>
          Math.max(...(await journalTimes(tb, h, "kes.service", re)));
        const restarts = await Promise.all(
          kesHosts.map(async (h) => ({
            stopping: await last(h, /Stopping kes\.service/),
            started: await last(h, /Started kes\.service/),
          })),
        );
        restarts.sort((x, y) => x.stopping - y.stopping);
        expect(restarts[1]!.stopping).toBeGreaterThanOrEqual(restarts[0]!.started);
        for (const h of kesHosts)
          expect((await tb.exec(h, "sha256sum /usr/local/bin/kes")).stdout).toContain(next.kes.sha256);
        expect(await Promise.all(minioHosts.map((h) => starts(h, "minio.service")))).toEqual(minioBefore);
        expect(report.requests).toBeGreaterThan(20);
        expect(report.errors).toEqual([]);
        expect(report.failed).toBe(0);
        expect(report.lost).toEqual([]);
        env = { ...env, binaries: { ...env.binaries, kes: next.kes } };
      }, 600_000);

      it("upgrade MinIO: every node restarts once with the new binary and no object is lost", async () => {
        const before = await Promise.all(minioHosts.map((h) => starts(h, "minio.service")));
        const { report, wallMs } = await underLoad({
          ...env,
          binaries: { ...env.binaries, minio: next.minio },
        });
        console.log(describeReport(`upgrade MinIO (${runner.label})`, report, wallMs));
        expect(await Promise.all(minioHosts.map((h) => starts(h, "minio.service")))).toEqual(
          before.map((n) => n + 1),
        );
        for (const h of minioHosts)
          expect((await tb.exec(h, "sha256sum /usr/local/bin/minio")).stdout).toContain(next.minio.sha256);
        expect(report.requests).toBeGreaterThan(20);
        expect(report.lost).toEqual([]);
        // The coordinated restart is an outage of the whole cluster; the probe measured it.
        expect(report.longestGapMs).toBeLessThan(60_000);
        env = { ...env, binaries: { ...env.binaries, minio: next.minio } };
      }, 600_000);

      it("rotate MinIO's KES API key through the other slot: KES admits the new key before any node uses it, and no request fails on KES authentication", async () => {
        /** The API key in each MinIO node's env file. */
        const apiKeys = async () =>
          Promise.all(
            minioHosts.map(async (h) => {
              const text = (await tb.exec(h, "cat /etc/default/minio")).stdout;
              return text
                .split("\n")
                .map(parseEnvLine)
                .find((e) => e?.name === "MINIO_KMS_KES_API_KEY")!.value;
            }),
          );
        /** The identities MinIO's policy admits, on each KES replica. */
        const admitted = async () =>
          Promise.all(
            kesHosts.map(async (h) => {
              const c = load((await tb.exec(h, "cat /etc/kes/config.yaml")).stdout) as {
                policy: { minio: { identities: string[] } };
              };
              return c.policy.minio.identities;
            }),
          );

        // For comparison: the old way, a new key in one step (tls.rotation replaces it). KES's
        // reload drops the old identity while MinIO still uses the old key.
        const first = (await apiKeys())[0]!;
        const oneStep = await underLoad(env, { tlsRotation: "r1" });
        console.log(
          describeReport(`rotate the API key in one step (${runner.label})`, oneStep.report, oneStep.wallMs),
        );
        const k1 = await apiKeys();
        expect(new Set(k1).size).toBe(1);
        expect(k1[0]).not.toBe(first);
        expect(oneStep.report.lost).toEqual([]);
        variant = { tlsRotation: "r1" };

        // Slot b: a new key; KES admits both, then every node restarts with the new one.
        const before = await restarts();
        const switched = await underLoad(env, { ...variant, credentialRotation: { active: "b" } });
        console.log(
          describeReport(
            `rotate the API key, switch to slot b (${runner.label})`,
            switched.report,
            switched.wallMs,
          ),
        );
        const k2 = await apiKeys();
        expect(new Set(k2).size).toBe(1);
        expect(k2[0]).not.toBe(k1[0]);
        for (const ids of await admitted())
          expect(ids).toEqual([kesIdentityFromApiKey(k2[0]!), kesIdentityFromApiKey(k1[0]!)]);
        expect(await restarts()).toEqual(before.map((n) => n + 1));
        expect(switched.report.requests).toBeGreaterThan(20);
        expect(switched.report.authFailed).toBe(0);
        expect(switched.report.lost).toEqual([]);

        // Retire slot a: KES stops admitting the old key; MinIO does not restart.
        variant = { ...variant, credentialRotation: { active: "b", retirePrevious: true } };
        const retired = await underLoad(env);
        console.log(
          describeReport(
            `rotate the API key, retire slot a (${runner.label})`,
            retired.report,
            retired.wallMs,
          ),
        );
        for (const ids of await admitted()) expect(ids).toEqual([kesIdentityFromApiKey(k2[0]!)]);
        expect(await apiKeys()).toEqual(k2);
        expect(await restarts()).toEqual(before.map((n) => n + 1));
        expect(retired.report.requests).toBeGreaterThan(20);
        expect(retired.report.errors).toEqual([]);
        expect(retired.report.failed).toBe(0);
        expect(retired.report.lost).toEqual([]);
      }, 900_000);

      it("rotate the KES CA: MinIO trusts the old and the new CA while KES's certificates change, so no node loses KES", async () => {
        /** A new CA and KES certificates signed by it. */
        const pki = (dir: string): ScenarioEnv["certs"] => {
          const made = makeCertificates(join(work, dir), kesHosts);
          return {
            ca: made.ca,
            kes: Object.fromEntries(kesHosts.map((h, i) => [`kes${i + 1}`, made.certs[h.name]!])),
          };
        };
        const caOnNodes = () =>
          Promise.all(minioHosts.map(async (h) => (await tb.exec(h, "cat /etc/minio/kes-ca.crt")).stdout));
        const two = pki("pki-2");
        const three = pki("pki-3");

        // For comparison: the new CA and KES's new certificates in one step.
        const oneStep = await underLoad({ ...env, certs: two });
        console.log(
          describeReport(`rotate the KES CA in one step (${runner.label})`, oneStep.report, oneStep.wallMs),
        );
        expect(oneStep.report.lost).toEqual([]);
        env = { ...env, certs: two };

        // 1. MinIO trusts both CAs (a CA bundle in tls.caCertPem): every node restarts once.
        const both = { ca: `${two.ca}${three.ca}`, kes: two.kes };
        const trust = await underLoad({ ...env, certs: both });
        console.log(
          describeReport(`rotate the KES CA, trust both (${runner.label})`, trust.report, trust.wallMs),
        );
        for (const ca of await caOnNodes()) expect(ca).toBe(both.ca);
        expect(trust.report.kesFailed).toBe(0);
        expect(trust.report.lost).toEqual([]);

        // 2. KES's certificates from the new CA: the replicas reload one by one, MinIO stays up.
        const before = await restarts();
        const certs = await underLoad({ ...env, certs: { ca: both.ca, kes: three.kes } });
        console.log(
          describeReport(`rotate the KES CA, new certificates (${runner.label})`, certs.report, certs.wallMs),
        );
        expect(await restarts()).toEqual(before);
        expect(certs.report.requests).toBeGreaterThan(20);
        expect(certs.report.errors).toEqual([]);
        expect(certs.report.failed).toBe(0);

        // 3. The old CA goes: every node restarts once more, trusting the new CA only.
        const drop = await underLoad({ ...env, certs: three });
        console.log(
          describeReport(`rotate the KES CA, drop the old CA (${runner.label})`, drop.report, drop.wallMs),
        );
        for (const ca of await caOnNodes()) expect(ca).toBe(three.ca);
        expect(drop.report.kesFailed).toBe(0);
        expect(drop.report.lost).toEqual([]);
        env = { ...env, certs: three };
      }, 900_000);

      it("remove a KES replica, then add it back: every node's endpoint list follows, no object is lost", async () => {
        const endpoints = async () =>
          Promise.all(
            minioHosts.map(async (h) =>
              (await tb.exec(h, "grep '^MINIO_KMS_KES_ENDPOINT=' /etc/default/minio")).stdout.trim(),
            ),
          );
        const [kes1, kes2] = env.kesHosts as [
          ScenarioEnv["kesHosts"][number],
          ScenarioEnv["kesHosts"][number],
        ];
        const one: ScenarioEnv = {
          ...env,
          kesHosts: [kes1],
          certs: { ...env.certs, kes: { kes1: env.certs.kes.kes1! } },
        };
        const removed = await underLoad(one);
        console.log(describeReport(`remove a KES replica (${runner.label})`, removed.report, removed.wallMs));
        for (const line of await endpoints()) {
          expect(line).toContain(kes1.address as string);
          expect(line).not.toContain(kes2.address as string);
        }
        // Removed after every node uses the other replica: the deletes run last.
        expect((await tb.exec(kesHosts[1]!, "systemctl is-active kes || true")).stdout.trim()).not.toBe(
          "active",
        );
        expect(removed.report.lost).toEqual([]);

        const back = await underLoad(env);
        console.log(describeReport(`add a KES replica (${runner.label})`, back.report, back.wallMs));
        for (const line of await endpoints()) expect(line).toContain(kes2.address as string);
        expect((await tb.exec(kesHosts[1]!, "systemctl is-active kes || true")).stdout.trim()).toBe("active");
        expect(back.report.lost).toEqual([]);
      }, 600_000);

      it("drift: a hand-edited env file, a chmod on the KES config and a stopped unit are each named; a repair puts them back", async () => {
        const check = (request: string, repair?: string) =>
          runner.run(scenarioProgram(env, { ...variant, drift: { request, repair } }), { statePath });
        const out = (r: RunResult, step: string) => r.steps.find((s) => s.name === step)?.stdout ?? "";
        const drifts = (r: RunResult) => r.steps.filter((s) => s.name.endsWith("-drift"));
        /** The steps a run ran (not "same"), by name. */
        const ran = (r: RunResult) =>
          r.steps
            .filter((s) => s.op !== "same")
            .map((s) => s.name)
            .sort();
        const CHECKS = [
          "kes-kes1-drift",
          "kes-kes2-drift",
          "minio-minio1-drift",
          "minio-minio2-drift",
          "minio-minio3-drift",
        ];

        const clean = await check("check-1");
        expect(
          drifts(clean)
            .map((s) => s.name)
            .sort(),
        ).toEqual(CHECKS);
        for (const s of drifts(clean)) expect(s.stdout, s.name).toMatch(/^drift: none \(/m);

        await tb.exec(minioHosts[1]!, "echo '# edited by hand' >> /etc/default/minio");
        await tb.exec(kesHosts[0]!, "chmod 0644 /etc/kes/config.yaml");
        await tb.exec(minioHosts[2]!, "systemctl stop minio");
        const found = await check("check-2");
        // Only the checks ran: a check changes nothing.
        expect(ran(found)).toEqual(CHECKS);
        expect(out(found, "minio-minio2-drift")).toContain(
          "drift: /etc/default/minio: its content differs from what the program declares (step minio-minio2-config)",
        );
        expect(out(found, "kes-kes1-drift")).toContain(
          "drift: /etc/kes/config.yaml: mode 644, not 640 (step kes-kes1-files)",
        );
        expect(out(found, "minio-minio3-drift")).toContain(
          "drift: minio.service is inactive, not active (step minio-minio3-service)",
        );
        expect(out(found, "minio-minio1-drift")).toMatch(/^drift: none/m);

        // The repair runs the declared steps, then the check, which finds nothing left.
        const repaired = await check("check-3", "fix-1");
        for (const s of drifts(repaired)) expect(s.stdout, s.name).toMatch(/^drift: none \(/m);
        expect((await tb.exec(minioHosts[1]!, "cat /etc/default/minio")).stdout).not.toContain(
          "edited by hand",
        );
        expect((await tb.exec(kesHosts[0]!, "stat -c %a /etc/kes/config.yaml")).stdout.trim()).toBe("640");
        expect((await tb.exec(minioHosts[2]!, "systemctl is-active minio || true")).stdout.trim()).toBe(
          "active",
        );
        // A new check with the repair label left in place runs the checks only.
        const after = await check("check-4", "fix-1");
        expect(ran(after)).toEqual(CHECKS);
        for (const s of drifts(after)) expect(s.stdout, s.name).toMatch(/^drift: none \(/m);

        // The same request again: nothing runs, no SSH session anywhere.
        const logins = await Promise.all(tb.hosts.map((h) => sshLogins(tb, h)));
        const again = await check("check-4", "fix-1");
        expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
        expect(await Promise.all(tb.hosts.map((h) => sshLogins(tb, h)))).toEqual(logins);
      }, 600_000);

      it("grow MinIO by a server pool: the new nodes are installed, every node restarts with both pools, and no object is lost", async () => {
        const extra = tb.hosts.slice(5, 7);
        const grown: ScenarioEnv = {
          ...env,
          minioHosts: [...env.minioHosts, ...extra.map((h, i) => hostArgsOf(tb, h, `minio${i + 4}`))],
        };
        const pools = [{ nodes: ["minio1", "minio2", "minio3"] }, { nodes: ["minio4", "minio5"] }];
        const before = await Promise.all(minioHosts.map((h) => starts(h, "minio.service")));
        const { report, wallMs } = await underLoad(grown, { ...variant, pools });
        console.log(describeReport(`add a server pool (${runner.label})`, report, wallMs));
        const volumes = await Promise.all(
          [...minioHosts, ...extra].map(async (h) =>
            (await tb.exec(h, "grep '^MINIO_VOLUMES=' /etc/default/minio")).stdout.trim(),
          ),
        );
        const pool = (hs: TestHost[]) => {
          const last = (h: TestHost) => h.address.split(".").at(-1);
          const prefix = hs[0]!.address.slice(0, hs[0]!.address.lastIndexOf(".") + 1);
          return `http://${prefix}{${last(hs[0]!)}...${last(hs.at(-1)!)}}:9000/var/lib/minio/d{1...2}`;
        };
        for (const v of volumes) expect(v).toBe(`MINIO_VOLUMES='${pool(minioHosts)} ${pool(extra)}'`);
        expect(await Promise.all(minioHosts.map((h) => starts(h, "minio.service")))).toEqual(
          before.map((n) => n + 1),
        );
        for (const h of extra)
          expect((await tb.exec(h, "systemctl is-active minio || true")).stdout.trim()).toBe("active");
        expect(report.requests).toBeGreaterThan(20);
        expect(report.kesFailed).toBe(0);
        expect(report.lost).toEqual([]);
        env = grown;
        variant = { ...variant, pools };
      }, 600_000);

      it("KES behind a service name: removing a replica and adding it back restarts no MinIO node and fails no request", async () => {
        const service = "kes.service.test";
        const nodes = tb.hosts.slice(2, 2 + env.minioHosts.length);
        // What a DNS name with one address per replica does, on each MinIO node.
        for (const h of nodes)
          await tb.exec(
            h,
            `printf '%s ${service}\\n' ${kesHosts.map((k) => k.address).join(" ")} >> /etc/hosts`,
          );
        // KES certificates that also name the service, from the CA in use (pki-3, the CA scenario's).
        const made = makeCertificates(
          join(work, "pki-3"),
          kesHosts.map((h) => ({ name: `${h.name}-svc`, address: h.address, extraSans: [`DNS:${service}`] })),
        );
        expect(made.ca).toBe(env.certs.ca);
        const certs = {
          ca: env.certs.ca,
          kes: Object.fromEntries(kesHosts.map((h, i) => [`kes${i + 1}`, made.certs[`${h.name}-svc`]!])),
        };
        const endpoints = () =>
          Promise.all(
            nodes.map(async (h) =>
              (await tb.exec(h, "grep '^MINIO_KMS_KES_ENDPOINT=' /etc/default/minio")).stdout.trim(),
            ),
          );

        // Switching MinIO to the service name is a change of its endpoints: every node restarts once.
        variant = { ...variant, kesServiceName: service };
        env = { ...env, certs };
        const switched = await underLoad(env);
        console.log(
          describeReport(
            `switch MinIO to a KES service name (${runner.label})`,
            switched.report,
            switched.wallMs,
          ),
        );
        for (const line of await endpoints())
          expect(line).toBe(`MINIO_KMS_KES_ENDPOINT='https://${service}:7373'`);
        expect(switched.report.lost).toEqual([]);

        const before = await restarts(nodes);
        const kes2 = env.kesHosts[1]!;
        const one: ScenarioEnv = {
          ...env,
          kesHosts: [kes2],
          certs: { ...env.certs, kes: { kes2: env.certs.kes.kes2! } },
        };
        const removed = await underLoad(one);
        console.log(
          describeReport(
            `remove a KES replica behind the name (${runner.label})`,
            removed.report,
            removed.wallMs,
          ),
        );
        expect((await tb.exec(kesHosts[0]!, "systemctl is-active kes || true")).stdout.trim()).not.toBe(
          "active",
        );
        expect(await restarts(nodes)).toEqual(before);
        expect(removed.report.requests).toBeGreaterThan(20);
        expect(removed.report.errors).toEqual([]);
        expect(removed.report.failed).toBe(0);

        const back = await underLoad(env);
        console.log(
          describeReport(`add a KES replica behind the name (${runner.label})`, back.report, back.wallMs),
        );
        expect((await tb.exec(kesHosts[0]!, "systemctl is-active kes || true")).stdout.trim()).toBe("active");
        expect(await restarts(nodes)).toEqual(before);
        expect(back.report.requests).toBeGreaterThan(20);
        expect(back.report.errors).toEqual([]);
        expect(back.report.failed).toBe(0);
      }, 600_000);
    },
  );
}
