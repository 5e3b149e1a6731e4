/**
 * Faults on the REAL engine (CLI + command and tls plugins, the Node language host running the
 * scenario program as a project on disk; ./project.ts), on the scenario hosts (2 KES, 3 MinIO):
 * a. `pulumi up` killed with SIGKILL in the middle of the MinIO restarts; what docs/runbooks.md
 *    says to type then makes the next run converge, every node healthy;
 * b. one MinIO host unreachable (its sshd stopped) during an update: the error names the host
 *    and the step, and once the host is back one rerun converges;
 * c. one MinIO host unreachable before a change of every node (a new variable): the host-key
 *    check of that host (on the deploying machine) fails within seconds, naming it, and no other
 *    node's files change or restart; once it is back one rerun converges;
 * d. a wrong pinned host key: the check fails within seconds naming the host, the address, both
 *    fingerprints, the field and the fix, and nothing changes.
 * (The sealed keystore is scenario e in ./scenarios.test.ts.)
 * Runs whenever the plugins and the language host are installed; otherwise it says so and skips.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findEngine, realEngineSkip } from "./engine";
import { scenarioProjectFixture } from "./project";

const work = mkdtempSync(join(tmpdir(), "mkt-faults-"));
const engine = findEngine(work);
const skip = realEngineSkip(engine, "faults", { languageHost: true });

describe.skipIf(skip !== undefined)(`faults on the REAL engine${skip ? ` — SKIPPED: ${skip}` : ""}`, () => {
  const fx = scenarioProjectFixture(engine, work);

  const minioActive = async () =>
    Promise.all(
      fx.tb.hosts
        .slice(2)
        .map(async (h) => (await fx.tb.exec(h, "systemctl is-active minio", { check: false })).stdout.trim()),
    );

  it("a. pulumi up killed with SIGKILL during the MinIO restarts: the runbook's commands converge", async () => {
    const fresh = await fx.project.run({ kind: "scenario", env: fx.env });
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    const killed = await fx.project.run(
      { kind: "scenario", env: fx.env, variant: { change: true } },
      { kill: (ev) => /-minio\d-service$/.test(ev.resourcePreEvent?.metadata.urn ?? "") },
    );
    expect(killed.code).toBe(137);
    console.log(
      `[faults a] killed at: ${killed.result.steps
        .filter((s) => s.startedAt)
        .map((s) => s.name)
        .join(", ")}`,
    );
    // docs/runbooks.md, "An interrupted pulumi up": the stack stays locked; cancel, then up.
    const locked = await fx.project.run({ kind: "scenario", env: fx.env, variant: { change: true } });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/the stack is currently locked by 1 lock\(s\)/);
    const cancel = await fx.project.cli.run(["cancel", "--yes"]);
    expect(cancel.stdout).toMatch(/has been canceled/);
    const next = await fx.project.run({ kind: "scenario", env: fx.env, variant: { change: true } });
    console.log(
      `[faults a] after cancel: ${
        next.stdout
          .split("\n")
          .filter((l) => /pending|interrupted/i.test(l))
          .join(" | ") || "no pending operations reported"
      }`,
    );
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(await minioActive()).toEqual(["active", "active", "active"]);
    const envs = await Promise.all(fx.tb.hosts.slice(2).map((h) => fx.tb.readFile(h, "/etc/default/minio")));
    for (const e of envs) {
      expect(e).toBe(envs[0]);
      expect(e).toContain("MINIO_BROWSER='off'");
    }
    await fx.tb.exec(fx.tb.hosts[2]!, "curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/ready");
    const again = await fx.project.run({ kind: "scenario", env: fx.env, variant: { change: true } });
    expect(again.result.steps.filter((x) => x.op !== "same").map((x) => x.name)).toEqual([]);
  }, 900_000);

  it("b. one MinIO host unreachable (sshd stopped) during an update: the error names the host and the step; once it is back, one rerun converges", async () => {
    const m3 = fx.tb.hosts[4]!;
    // Stop minio3's sshd when the update begins: at the first MinIO step that changes something
    // that the engine reports (in the preview `up` runs first, so the host-key check may be what
    // fails; sessions already open stay, as on a real host: the testbed's own connection can
    // start it again).
    let stopping: Promise<unknown> | undefined;
    const failed = await fx.project.run(
      { kind: "scenario", env: fx.env, variant: { change: false, clientPolicy: "app" } },
      {
        kill: (ev) => {
          const meta = ev.resourcePreEvent?.metadata;
          const name = meta?.urn.split("::").pop() ?? "";
          if (
            !stopping &&
            meta &&
            ["update", "replace", "create-replacement"].includes(meta.op) &&
            meta.type === "command:remote:Command" &&
            /^minio-minio\d+-/.test(name) &&
            !name.endsWith("-preflight")
          )
            stopping = fx.tb.exec(m3, "systemctl stop ssh");
          return false;
        },
      },
    );
    await stopping;
    // Back before anything is asserted, so that a failed assertion leaves no host down for c.
    await fx.tb.exec(m3, "systemctl start ssh");
    console.log(`[faults b] failed after ${failed.seconds} s: ${(failed.errorText ?? "").slice(0, 300)}`);
    expect(failed.code).not.toBe(0);
    // The step and the address: minio3's own step, or the host-key check of every node, whose
    // next line names minio3.
    const addr = m3.address.replace(/\./g, "\\.");
    expect(failed.errorText).toMatch(
      new RegExp(
        `minio-minio3-[a-z-]+: [^\\n]*\\n?[^\\n]*${addr}|minio-host-keys: [^\\n]*\\nerror: minio3 \\(${addr} `,
      ),
    );
    const rerun = await fx.project.run({
      kind: "scenario",
      env: fx.env,
      variant: { change: false, clientPolicy: "app" },
    });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(await minioActive()).toEqual(["active", "active", "active"]);
    for (const h of fx.tb.hosts.slice(0, 2))
      expect(await fx.tb.readFile(h, "/etc/kes/config.yaml")).toContain("/v1/key/generate/app-*");
    const envs = await Promise.all(fx.tb.hosts.slice(2).map((h) => fx.tb.readFile(h, "/etc/default/minio")));
    for (const e of envs) {
      expect(e).toBe(envs[0]);
      expect(e).not.toContain("MINIO_BROWSER");
    }
    const again = await fx.project.run({
      kind: "scenario",
      env: fx.env,
      variant: { change: false, clientPolicy: "app" },
    });
    expect(again.result.steps.filter((x) => x.op !== "same").map((x) => x.name)).toEqual([]);
  }, 900_000);

  it("c. one MinIO host unreachable before a change of every node: its preflight fails in seconds and no other node changes", async () => {
    const [m1, m2, m3] = fx.tb.hosts.slice(2) as [
      (typeof fx.tb.hosts)[0],
      (typeof fx.tb.hosts)[0],
      (typeof fx.tb.hosts)[0],
    ];
    const pid = (h: typeof m1) =>
      fx.tb.exec(h, "systemctl show -p MainPID --value minio").then((r) => r.stdout.trim());
    const before = {
      env: await fx.tb.readFile(m1, "/etc/default/minio"),
      pids: [await pid(m1), await pid(m2)],
    };
    await fx.tb.exec(m3, "systemctl stop ssh");
    const failed = await fx.project.run({
      kind: "scenario",
      env: fx.env,
      variant: { change: true, clientPolicy: "app" },
    });
    await fx.tb.exec(m3, "systemctl start ssh");
    const first = (failed.errorText ?? "").slice(0, 300);
    console.log(`[faults c] failed after ${failed.seconds} s: ${first}`);
    expect(failed.code).not.toBe(0);
    // The check on the deploying machine fails first, naming the host, the address and the fields.
    expect(first).toContain(
      `minio-host-keys: exit status 1: running "bash -s # minio: check the SSH host keys before any step connects":\nerror: minio3 (${m3.address} port 22): no SSH server offered a ssh-ed25519 host key within 5 s; check nodes[2].address and nodes[2].port`,
    );
    expect(failed.seconds).toBeLessThan(60);
    for (const h of [m1, m2]) {
      const env = await fx.tb.readFile(h, "/etc/default/minio");
      expect(env, `${h.name}'s env file`).toBe(before.env);
      expect(env).not.toContain("MINIO_BROWSER");
    }
    expect([await pid(m1), await pid(m2)], "MinIO on the other nodes was not restarted").toEqual(before.pids);
    const rerun = await fx.project.run({
      kind: "scenario",
      env: fx.env,
      variant: { change: true, clientPolicy: "app" },
    });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    for (const h of [m1, m2, m3])
      expect(await fx.tb.readFile(h, "/etc/default/minio")).toContain("MINIO_BROWSER='off'");
    expect(await minioActive()).toEqual(["active", "active", "active"]);
  }, 900_000);

  it("d. a wrong pinned host key fails in seconds, naming the host, the address, both fingerprints and the fix, and nothing changes", async () => {
    const [m1, , m3] = fx.tb.hosts.slice(2) as [
      (typeof fx.tb.hosts)[0],
      (typeof fx.tb.hosts)[0],
      (typeof fx.tb.hosts)[0],
    ];
    const before = await fx.tb.readFile(m1, "/etc/default/minio");
    // minio3 pinned with minio1's key (as after a reinstall, or with something in the middle).
    const env = {
      ...fx.env,
      minioHosts: fx.env.minioHosts.map((h, i) =>
        i === 2 ? { ...h, hostKey: fx.env.minioHosts[0]!.hostKey } : h,
      ),
    };
    const failed = await fx.project.run({
      kind: "scenario",
      env,
      variant: { change: false, clientPolicy: "app2" },
    });
    const text = failed.errorText ?? "";
    console.log(
      `[faults d] failed after ${failed.seconds} s (${text.length} characters): ${text.slice(0, 400)}`,
    );
    expect(failed.code).not.toBe(0);
    const fp = (k: string) =>
      execFileSync("ssh-keygen", ["-lf", "-"], { input: `${k}\n` })
        .toString()
        .split(" ")[1]!;
    expect(text.slice(0, 400)).toContain(
      `error: minio3 (${m3.address} port 22): the SSH host key is ${fp(m3.hostKey)}, not the pinned ${fp(m1.hostKey)} (nodes[2].hostKey).`,
    );
    expect(text).toContain("If minio3 was reinstalled, pin its new key");
    expect(failed.seconds).toBeLessThan(60);
    expect(await fx.tb.readFile(m1, "/etc/default/minio")).toBe(before);
  }, 900_000);
});
