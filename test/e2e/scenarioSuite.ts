/**
 * End-to-end scenarios a–g on real Debian hosts with systemd (test/hosts), with the library's real
 * program (./programs.ts) and the real Pulumi SDK. The same scenarios run with two runners: the
 * harness (scripts/lib/harness.ts, NOT the engine; always, in CI) and the real engine with the real command
 * and tls plugins (test/real-engine, whenever the plugins are installed).
 *
 * MinIO, KES and mc are the project's stand-ins (test/standins, written from kes-minio.md), or
 * real binaries when E2E_MINIO_BINARY, E2E_KES_BINARY and E2E_MC_BINARY name them.
 *
 * Layout: kes1, kes2 (KES, filesystem keystore on one directory both mount, as shared storage),
 * minio1..minio3 (MinIO, 2 drives each), one encrypted bucket with verification.
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostArgs, kesIdentityFromApiKey } from "../../lib";
import { makeCertificates, serveTestBinaries } from "../../scripts/lib/binaries";
import type { RunOptions, RunResult } from "../../scripts/lib/harness";
import { bootTestbed, hostArgsOf, shq, type Testbed, type TestHost } from "../hosts/testbed";
import {
  SCENARIO_ROOT_PASSWORD as ROOT_PASSWORD,
  type ScenarioEnv,
  type ScenarioVariant,
  scenarioProgram,
} from "./programs";

/** Who applies the programs: the harness or the real engine. */
export interface Runner {
  /** Shown in the suite's name. */
  label: string;
  /** Apply (or, with `preview`, only plan) `program`, keeping state next to `opts.statePath`. */
  run(program: () => void | Promise<void>, opts: RunOptions): Promise<RunResult>;
  /** Whether a delete step's output is reported (the harness's is; the engine reports none). */
  deleteOutput: boolean;
  /**
   * Where the runner keeps Pulumi's files for a state path (backend with history and backups,
   * PULUMI_HOME with logs, the project): scanned for secrets. None for the harness, whose state
   * file is its own, not Pulumi's.
   */
  pulumiFiles?: (statePath: string) => string;
}

const SHARED_KEYS = "/var/lib/kes-shared";

/** Timestamps (ms) of the lines in a unit's journal matching `re`. */
export async function journalTimes(tb: Testbed, h: TestHost, unit: string, re: RegExp): Promise<number[]> {
  const j = await tb.journal(h, unit);
  return j
    .split("\n")
    .filter((l) => re.test(l))
    .map((l) => Date.parse(l.split(" ")[0]!));
}

/** Successful SSH logins recorded by a host's sshd. */
export async function sshLogins(tb: Testbed, h: TestHost): Promise<number> {
  const r = await tb.exec(h, "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey' || true");
  return Number(r.stdout.trim());
}

/** The scenario program's surroundings on a booted testbed of 5 hosts (kes1, kes2, minio1..3). */
export function scenarioEnv(tb: Testbed, binaries: ScenarioEnv["binaries"], pkiDir: string): ScenarioEnv {
  const kesHosts = tb.hosts.slice(0, 2);
  const made = makeCertificates(pkiDir, kesHosts);
  const hostArgs = (h: TestHost, name: string): HostArgs => hostArgsOf(tb, h, name);
  return {
    kesHosts: kesHosts.map((h, i) => hostArgs(h, `kes${i + 1}`)),
    minioHosts: tb.hosts.slice(2, 5).map((h, i) => hostArgs(h, `minio${i + 1}`)),
    binaries,
    certs: {
      ca: made.ca,
      kes: Object.fromEntries(kesHosts.map((h, i) => [`kes${i + 1}`, made.certs[h.name]!])),
    },
    sharedKeys: SHARED_KEYS,
  };
}

/** Boot the scenario layout: 5 hosts, kes1 and kes2 sharing the keystore directory. */
export function bootScenarioHosts(count = 5): Promise<Testbed> {
  return bootTestbed(count, { sharedDirs: [{ hosts: ["h1", "h2"], path: SHARED_KEYS }] });
}

/** Every file under `dir`, recursively (symbolic links not followed). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });
}

const ops = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.name, s.op]));

/** Scenarios a–g with `runner`, skipped (with the reason in the name) when `skip` is set. */
export function scenarioSuite(runner: Runner, skip: string | undefined): void {
  const work = mkdtempSync(join(tmpdir(), "mkt-e2e-"));
  const statePath = join(work, "state.json");
  let tb: Testbed;
  let server: Server | undefined;
  let kesHosts: TestHost[];
  let minioHosts: TestHost[];
  let senv: ScenarioEnv;
  const program = (change = false, clientPolicy?: string, minioName?: string) =>
    scenarioProgram(senv, { change, clientPolicy, minioName } satisfies ScenarioVariant);
  const runProgram = (p: () => void, o: RunOptions) => runner.run(p, o);
  const journal = (h: TestHost, unit: string, re: RegExp) => journalTimes(tb, h, unit, re);
  const logins = (h: TestHost) => sshLogins(tb, h);
  /** Run mc on minio1 with the alias from MinIO's env file (as the library's scripts do). */
  const mc = async (args: string): Promise<string> => {
    const script = `set -a; . /etc/default/minio; set +a; export MC_HOST_e2e="http://\${MINIO_ROOT_USER}:\${MINIO_ROOT_PASSWORD}@127.0.0.1:9000"; /usr/local/bin/mc --config-dir /tmp/mc-e2e ${args}`;
    return (await tb.exec(minioHosts[0]!, `bash -c ${shq(script)}`, { timeoutMs: 60_000 })).stdout;
  };

  describe.skipIf(skip !== undefined)(
    `end to end on real hosts (${runner.label})${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      let first: RunResult;
      let deployedAt: number;

      beforeAll(async () => {
        tb = await bootScenarioHosts();
        kesHosts = tb.hosts.slice(0, 2);
        minioHosts = tb.hosts.slice(2);
        const served = await serveTestBinaries(`e2e (${runner.label})`);
        server = served.server;
        senv = scenarioEnv(tb, served.sources, join(work, "pki"));
      }, 900_000);

      afterAll(async () => {
        server?.close();
        await tb?.teardown();
        rmSync(work, { recursive: true, force: true });
      }, 300_000);

      it("a. a fresh run deploys KES, then MinIO on 3 nodes, then an encrypted bucket", async () => {
        // Sample every process's argv on every host, 10 times a second, while the first run works
        // (scenario d reads the samples): short-lived processes are caught too.
        const sampler =
          "nohup bash -c 'while [ ! -e /run/stop-sampling ]; do ps -eo args --no-headers; sleep 0.1; done' >/var/tmp/argv-samples 2>&1 </dev/null &";
        for (const h of tb.hosts) await tb.exec(h, sampler);
        first = await runProgram(program(), { statePath });
        deployedAt = Date.now();
        for (const h of tb.hosts) await tb.exec(h, "touch /run/stop-sampling");
        expect(first.steps.every((s) => s.op === "create")).toBe(true);

        for (const h of kesHosts)
          expect((await tb.exec(h, "systemctl is-active kes")).stdout.trim()).toBe("active");
        for (const h of minioHosts)
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");

        // Every MinIO restart began only after every KES gate (/v1/ready) had passed.
        const at = (name: string) => first.steps.find((s) => s.name === name)!;
        const kesGatesDone = Math.max(
          ...["kes1", "kes2"].flatMap((k) => [
            at(`kes-${k}-service`).finishedAt!,
            at(`kes-${k}-reload`).finishedAt!,
          ]),
        );
        for (const m of ["minio1", "minio2", "minio3"])
          expect(at(`minio-${m}-service`).startedAt!).toBeGreaterThanOrEqual(kesGatesDone);
        // And systemd started KES before any MinIO (journal timestamps; the hosts share one clock).
        const kesStarted = Math.max(
          ...(await Promise.all(
            kesHosts.map(async (h) => Math.min(...(await journal(h, "kes", /Started kes\.service/)))),
          )),
        );
        const minioStarting = Math.min(
          ...(await Promise.all(
            minioHosts.map(async (h) => Math.min(...(await journal(h, "minio", /Starting minio\.service/)))),
          )),
        );
        expect(kesStarted).toBeLessThan(minioStarting);

        // The env file: content, mode, owner, identical on every node.
        const envs = await Promise.all(minioHosts.map((h) => tb.readFile(h, "/etc/default/minio")));
        for (const e of envs) expect(e).toBe(envs[0]);
        const env = envs[0]!;
        expect(env).toContain("MINIO_KMS_KES_ENDPOINT='https://198.18.0.11:7373,https://198.18.0.12:7373'");
        expect(env).toContain("MINIO_KMS_KES_KEY_NAME='minio-default'");
        expect(env).toContain("MINIO_VOLUMES='http://198.18.0.{13...15}:9000/var/lib/minio/d{1...2}'");
        for (const h of minioHosts)
          expect(await tb.stat(h, "/etc/default/minio")).toEqual({
            mode: "0600",
            owner: "root",
            group: "root",
          });

        // MinIO's identity (from the API key on the hosts) is the one KES's policy names.
        const apiKey = /MINIO_KMS_KES_API_KEY='([^']+)'/.exec(env)![1]!;
        for (const h of kesHosts) {
          const config = load(await tb.readFile(h, "/etc/kes/config.yaml")) as {
            policy: { minio: { identities: string[]; deny: string[] } };
          };
          expect(config.policy.minio.identities).toEqual([kesIdentityFromApiKey(apiKey)]);
          expect(config.policy.minio.deny).toContain("/v1/key/delete/*");
          expect(await tb.stat(h, "/etc/kes/config.yaml")).toEqual({
            mode: "0640",
            owner: "root",
            group: "kes",
          });
        }

        // The bucket's default encryption, and an object written to it.
        expect(await mc("encrypt info e2e/invoices")).toMatch(
          /Auto encryption 'sse-kms' is enabled with KeyID: minio-invoices/,
        );
        await mc("cp /etc/hostname e2e/invoices/check.txt");
        expect(await mc("stat e2e/invoices/check.txt")).toMatch(
          /Encryption: SSE-KMS \(arn:aws:kms:minio-invoices\)/,
        );
        const keys = (await tb.exec(kesHosts[1]!, `ls ${SHARED_KEYS}/keys`)).stdout.split("\n");
        expect(keys).toEqual(expect.arrayContaining(["minio-default", "minio-invoices"]));
      }, 900_000);

      it("b. a second run changes nothing and opens no SSH session on any host", async () => {
        const before = await Promise.all(tb.hosts.map(logins));
        const second = await runProgram(program(), { statePath });
        expect(second.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual([]);
        expect(second.deleted).toEqual([]);
        expect(await Promise.all(tb.hosts.map(logins))).toEqual(before);
      }, 300_000);

      it("c. a new bucket and a new env variable change exactly what they should, and all nodes restart together", async () => {
        const preview = await runProgram(program(true), { statePath, preview: true });
        const changed = Object.entries(ops(preview))
          .filter(([, op]) => op !== "same")
          .sort();
        expect(changed).toEqual(
          [
            ["backups-minio1-bucket", "create"],
            ["backups-minio1-key", "create"],
            // The config steps' triggers name the variables: a new one replaces them (they
            // stage the env file; the service steps make it live).
            ["minio-minio1-config", "replace"],
            ["minio-minio2-config", "replace"],
            ["minio-minio3-config", "replace"],
            // Every node is checked before any node changes (its host key from the deploying
            // machine, then the preflight on the host), then the change.
            ["minio-host-keys", "replace"],
            ["minio-minio1-preflight", "replace"],
            ["minio-minio2-preflight", "replace"],
            ["minio-minio3-preflight", "replace"],
            // Every node stops, then every node starts with the new env file.
            ["minio-minio1-stop", "replace"],
            ["minio-minio2-stop", "replace"],
            ["minio-minio3-stop", "replace"],
            ["minio-minio1-ready", "replace"],
            ["minio-minio1-service", "replace"],
            ["minio-minio2-service", "replace"],
            ["minio-minio3-service", "replace"],
          ].sort(),
        );
        const changeAt = Date.now();
        await runProgram(program(true), { statePath });
        const restarts = await Promise.all(
          minioHosts.map(async (h) =>
            (await journal(h, "minio", /Starting minio\.service/)).filter((t) => t >= changeAt - 1000),
          ),
        );
        for (const r of restarts) expect(r.length).toBe(1);
        const starts = restarts.map((r) => r[0]!);
        expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(15_000);
        for (const h of minioHosts)
          expect(await tb.readFile(h, "/etc/default/minio")).toContain("MINIO_BROWSER='off'");
        expect(await mc("encrypt info e2e/backups")).toMatch(/KeyID: minio-backups/);
        expect(deployedAt).toBeLessThan(changeAt);
      }, 600_000);

      it("d. no secret reaches a process argv, a journal, or the KES config on any host", async () => {
        const env = await tb.readFile(minioHosts[0]!, "/etc/default/minio");
        const apiKey = /MINIO_KMS_KES_API_KEY='([^']+)'/.exec(env)![1]!;
        const kesKey = senv.certs.kes.kes1!.keyPem.split("\n")[1]!;
        for (const h of tb.hosts) {
          // Every argv sampled during the first run, plus the processes running now.
          const argv = (await tb.exec(h, "cat /var/tmp/argv-samples; ps -eo args --no-headers")).stdout;
          expect(argv, `${h.name}: the sampler saw the deployment's scripts`).toMatch(
            /pulumi-minio-kes|systemctl|curl/,
          );
          const journal = (await tb.exec(h, "journalctl --no-pager -o cat")).stdout;
          for (const secret of [ROOT_PASSWORD, apiKey, kesKey]) {
            expect(argv.includes(secret), `${h.name}: secret in a process argv`).toBe(false);
            expect(journal.includes(secret), `${h.name}: secret in the journal`).toBe(false);
          }
        }
        // Pulumi's own files (state, history, backups, logs): no secret in plain text, and no
        // unsalted hash of the root password either (the env revision is keyed).
        if (runner.pulumiFiles) {
          const files = filesUnder(runner.pulumiFiles(statePath));
          expect(files.length).toBeGreaterThan(3);
          const hash = createHash("sha256").update(ROOT_PASSWORD).digest("hex");
          for (const f of files) {
            const text = readFileSync(f, "latin1");
            for (const secret of [ROOT_PASSWORD, hash, apiKey, kesKey])
              expect(text.includes(secret), `a secret in ${f}`).toBe(false);
          }
        }
        for (const h of kesHosts) {
          const config = await tb.readFile(h, "/etc/kes/config.yaml");
          expect(config.includes(apiKey)).toBe(false);
          expect(await tb.stat(h, "/etc/kes/kes.env")).toEqual({
            mode: "0600",
            owner: "root",
            group: "root",
          });
          expect(await tb.stat(h, "/etc/kes/server.key")).toEqual({
            mode: "0640",
            owner: "root",
            group: "kes",
          });
        }
      }, 120_000);

      it("d2. as kes and as minio-user, nothing the library installed can be written, replaced or linked into", async () => {
        // What root reads or runs, per service account: files must refuse a write, directories a
        // new entry (a temp file, a planted symlink, a rename over a file).
        const installed: Array<[TestHost[], string, string[], string[]]> = [
          [
            kesHosts,
            "kes",
            [
              "/etc/kes/config.yaml",
              "/etc/kes/kes.env",
              "/etc/kes/server.crt",
              "/etc/kes/server.key",
              "/etc/kes/ca.crt",
              "/etc/systemd/system/kes.service",
              "/usr/local/bin/kes",
            ],
            ["/etc/kes", "/etc/systemd/system", "/usr/local/bin"],
          ],
          [
            minioHosts,
            "minio-user",
            [
              "/etc/default/minio",
              "/etc/minio/kes-ca.crt",
              "/etc/systemd/system/minio.service",
              "/usr/local/bin/minio",
            ],
            ["/etc/default", "/etc/minio", "/etc/systemd/system", "/usr/local/bin"],
          ],
        ];
        let tried = 0;
        for (const [hosts, user, files, dirs] of installed) {
          for (const h of hosts) {
            for (const f of files) {
              // Row 1 of the security review: a command planted in the env file ran as root.
              const r = await tb.exec(
                h,
                `runuser -u ${user} -- sh -c ${shq(`printf '%s\n' 'X=$(id -un >/tmp/pwned)' >> ${f}`)}`,
                { check: false },
              );
              expect(r.code, `${h.name}: ${user} appended to ${f}`).not.toBe(0);
              tried++;
            }
            for (const d of dirs) {
              for (const attempt of [
                `: > ${d}/.planted`,
                `ln -s /etc/shadow ${d}/.planted`,
                `t=$(mktemp) && mv -f "$t" ${d}/.planted`,
              ]) {
                const r = await tb.exec(h, `runuser -u ${user} -- sh -c ${shq(attempt)}`, { check: false });
                expect(r.code, `${h.name}: ${user} could ${attempt}`).not.toBe(0);
                tried++;
              }
              await tb.exec(h, `test ! -e ${d}/.planted && test ! -L ${d}/.planted`);
            }
            await tb.exec(h, "test ! -e /tmp/pwned");
          }
        }
        expect(tried).toBeGreaterThan(50);
      }, 120_000);

      it("e. a KES config change reloads KES (SIGHUP, same process); a sealed keystore fails the gate and says what to do", async () => {
        const mainPid = async (h: TestHost) =>
          (await tb.exec(h, "systemctl show -p MainPID --value kes")).stdout.trim();
        const pidsBefore = await Promise.all(kesHosts.map(mainPid));
        const preview = await runProgram(program(true, "app"), { statePath, preview: true });
        expect(
          Object.entries(ops(preview))
            .filter(([, op]) => op !== "same")
            .sort(),
        ).toEqual(
          [
            // The files steps' triggers name each file's revision: the config's is new.
            ["kes-kes1-files", "replace"],
            ["kes-kes1-reload", "replace"],
            ["kes-kes2-files", "replace"],
            ["kes-kes2-reload", "replace"],
            // Both replicas are checked before either changes (the preflights).
            ["kes-host-keys", "replace"],
            ["kes-kes1-preflight", "replace"],
            ["kes-kes2-preflight", "replace"],
          ].sort(),
        );
        const reloadAt = Date.now();
        const reloaded = await runProgram(program(true, "app"), { statePath });
        const step = (n: string) => reloaded.steps.find((x) => x.name === n)!;
        // Rolled: the second replica's reload began after the first one's gate passed.
        expect(step("kes-kes2-reload").startedAt!).toBeGreaterThanOrEqual(
          step("kes-kes1-reload").finishedAt!,
        );
        expect(await Promise.all(kesHosts.map(mainPid))).toEqual(pidsBefore);
        for (const h of kesHosts) {
          expect(await journal(h, "kes", /Reloading kes\.service|Reloaded kes\.service/)).toEqual(
            expect.arrayContaining([expect.any(Number)]),
          );
          expect((await journal(h, "kes", /Reloaded kes\.service/)).some((t) => t >= reloadAt - 1000)).toBe(
            true,
          );
          expect(await tb.readFile(h, "/etc/kes/config.yaml")).toContain("/v1/key/generate/app-*");
        }

        // Seal the keystore (a stand-in knob: a .sealed file makes /v1/ready answer 504, as a sealed
        // Vault does) and change the config again: the reload gate fails with the fix in words.
        await tb.exec(kesHosts[0]!, `touch ${SHARED_KEYS}/keys/.sealed`);
        const failure = await runProgram(program(true, "app2"), { statePath }).then(
          () => "the run did not fail",
          (e: Error) => e.message,
        );
        // What a user reads first: the step, the host and what it does, then the gate's words.
        const head = failure.slice(0, 300);
        console.log(
          `e2e (${runner.label}): sealed keystore, the first 300 of ${failure.length} characters:\n${head}`,
        );
        expect(head).toMatch(
          /^kes-kes1-reload: Process exited with status 1: running "bash -s create # kes1: reload kes\.service and wait until KES is healthy":\nerror: kes\.service is not healthy after 15s: KES answers 504 on https:\/\/198\.18\.0\.11:7373\/v1\/ready: the keystore is unreachable or sealed \(for Vault: unseal it/,
        );
        await tb.exec(kesHosts[0]!, `rm -f ${SHARED_KEYS}/keys/.sealed`);
        const recovered = await runProgram(program(true, "app2"), { statePath });
        expect(recovered.steps.filter((x) => x.op !== "same").map((x) => x.name)).toEqual(
          expect.arrayContaining(["kes-kes1-reload", "kes-kes2-reload"]),
        );
        expect(await mc("encrypt info e2e/invoices")).toMatch(/KeyID: minio-invoices/);
      }, 600_000);

      it("f. renaming the MinIO component re-creates its steps and keeps MinIO running (the old unit step leaves the new unit alone)", async () => {
        const renamed = await runProgram(program(true, "app2", "objects"), { statePath });
        const ops2 = ops(renamed);
        expect(ops2["objects-minio1-unit"]).toBe("create");
        expect(ops2["minio-minio1-unit"]).toBe("delete");
        expect(renamed.deleted).toEqual(
          expect.arrayContaining(["minio-minio1-unit", "minio-minio2-unit", "minio-minio3-unit"]),
        );
        for (const h of minioHosts) {
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
          expect(await tb.readFile(h, "/etc/systemd/system/minio.service")).toContain(
            `# pulumi-minio-kes owner: objects-minio${minioHosts.indexOf(h) + 1}-unit`,
          );
        }
        // The engine reports no output of a delete; the unit files checked above say the same.
        if (runner.deleteOutput) {
          const deletes = renamed.steps.filter((x) => x.op === "delete" && x.name.endsWith("-unit"));
          for (const d of deletes)
            expect(d.stdout, d.name).toMatch(/kept: minio\.service belongs to another step/);
        }
        expect(await mc("encrypt info e2e/invoices")).toMatch(/KeyID: minio-invoices/);
      }, 600_000);

      it("g. destroy stops the services and keeps binaries, configuration, data, keys and the keystore", async () => {
        const destroyed = await runProgram(() => undefined, { statePath });
        expect(destroyed.steps.every((s) => s.op === "delete")).toBe(true);
        for (const h of minioHosts) {
          expect((await tb.exec(h, "systemctl is-active minio", { check: false })).stdout.trim()).not.toBe(
            "active",
          );
          await tb.exec(
            h,
            "test ! -e /etc/systemd/system/minio.service && test -x /usr/local/bin/minio && test -s /etc/default/minio",
          );
          await tb.exec(h, "test -d /var/lib/minio/d1 && test -d /var/lib/minio/d2");
        }
        // The stand-in keeps objects on the first drive of the node that received them (minio1).
        await tb.exec(minioHosts[0]!, 'test -n "$(ls -A /var/lib/minio/d1)"');
        for (const h of kesHosts) {
          expect((await tb.exec(h, "systemctl is-active kes", { check: false })).stdout.trim()).not.toBe(
            "active",
          );
          await tb.exec(h, "test -s /etc/kes/config.yaml && test -x /usr/local/bin/kes");
        }
        const keys = (await tb.exec(kesHosts[0]!, `ls ${SHARED_KEYS}/keys`)).stdout.split("\n");
        expect(keys).toEqual(expect.arrayContaining(["minio-default", "minio-invoices", "minio-backups"]));
      }, 300_000);
    },
  );
}
