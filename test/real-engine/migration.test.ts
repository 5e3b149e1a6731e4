/**
 * Migration on the REAL engine (CLI + command and tls plugins, the Node language host running a
 * project on disk): a deployment made by the previous version of the library — the library at
 * git commit f04798a, the parent of e3f4e72 "Root owns what root reads", when MinIO's env file
 * was `minio-user` 0600 and `/etc/kes`, `/etc/minio` and the files in them belonged to the
 * service accounts — is fixed by ONE `pulumi up` of the current library on the same stack:
 *
 * 1. the old library deploys KES, MinIO over TLS (generated certificates) and an encrypted bucket
 *    on one host; the old ownership is really there (the env file is minio-user's and writable by
 *    it: the starting state is the vulnerable one); an object is written; then the accounts leave
 *    traps that state allows (kes links its config to a root-owned canary, minio-user plants a
 *    command in the env file);
 * 2. one `pulumi up` of the current library: every installed path has the owner, group and mode of
 *    the current ownership table (../e2e/ownership.ts), the services are active, the object still
 *    reads back with SSE-KMS (also after restarting both services), the traps did nothing, and as
 *    kes and minio-user nothing can be written or planted;
 * 3. `pulumi preview --expect-no-changes` and a further `pulumi up` change nothing.
 *
 * The old library comes from git (`git archive f04798a lib`): the test needs the repository's
 * history (CI runs on a full clone) and fails, saying so, without it. Needs the plugins and the
 * language host; otherwise it says so and skips.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BinarySourceArgs, HostArgs } from "../../lib";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { type CliProject, cliProject } from "../../scripts/lib/cli";
import type { RunResult } from "../../scripts/lib/harness";
import { expected, kesOwnership, minioOwnership, observe, SYSTEM_DIRS } from "../e2e/ownership";
import { CANARY, type CanaryState, canaryState, makeCanary } from "../e2e/racer";
import { bootTestbed, hostArgsOf, shq, type Testbed } from "../hosts/testbed";
import { collectEvents, findEngine, realEngineSkip } from "./engine";
import { writeTypeScriptProject } from "./project";

const repoRoot = join(__dirname, "..", "..");
/** The previous version: the parent of e3f4e72 "Root owns what root reads…". */
const PREVIOUS = "f04798a";
const work = mkdtempSync(join(tmpdir(), "mkt-migration-"));
const engine = findEngine(work);
const skip = realEngineSkip(engine, `migration from ${PREVIOUS}`, { languageHost: true });

const DRIVES = [1, 2, 3, 4].map((i) => `/var/lib/minio/d${i}`);
/** What the current library installs on the host (kes-server.md "Ownership", minio-deployment.md). */
const CURRENT = [
  ...kesOwnership({ keystoreDir: "/var/lib/kes/keys" }),
  ...minioOwnership({ tls: true, admin: true, drives: DRIVES }),
];

/**
 * The library at `PREVIOUS`, extracted to `dir/lib`, its packages resolved from the repository's
 * node_modules (`dir/node_modules` links there: one @pulumi/pulumi for both versions).
 */
function previousLibrary(dir: string): string {
  const git = (args: string[]) => execFileSync("git", ["-C", repoRoot, ...args], { stdio: "pipe" });
  try {
    git(["cat-file", "-e", `${PREVIOUS}^{commit}`]);
  } catch (e) {
    throw new Error(
      `the migration test needs the git history of ${repoRoot}: commit ${PREVIOUS} (the library before e3f4e72 "Root owns what root reads") is not there. Run it in a full clone (git fetch --unshallow). git said: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`,
    );
  }
  mkdirSync(dir, { recursive: true });
  execFileSync("bash", ["-c", `git -C ${shq(repoRoot)} archive ${PREVIOUS} lib | tar -x -C ${shq(dir)}`], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!existsSync(join(dir, "lib", "index.ts")))
    throw new Error(`git archive ${PREVIOUS} lib gave no lib/index.ts`);
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  return join(dir, "lib");
}

/** The program, importing the library from `libDir`: KES + MinIO over TLS on one host, one bucket. */
function programText(libDir: string, inputPath: string): string {
  return `import { readFileSync } from "node:fs";
import { EncryptedBucket, KesServer, KmsTarget, MinioDeployment } from ${JSON.stringify(libDir)};

const env = JSON.parse(readFileSync(${JSON.stringify(inputPath)}, "utf8"));
const kms = new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
const kes = new KesServer("kes", {
  hosts: [env.host],
  kms,
  binary: env.binaries.kes,
  minioKeyNames: ["minio-*"],
  healthTimeoutSeconds: 30,
});
const minio = new MinioDeployment("minio", {
  nodes: [env.host],
  drives: ${JSON.stringify(DRIVES)},
  rootUser: "migration-admin",
  rootPassword: "migration-Root-Password-9",
  kes,
  defaultKeyName: "minio-default",
  binary: env.binaries.minio,
  mc: env.binaries.mc,
  tls: {},
  healthTimeoutSeconds: 60,
});
new EncryptedBucket("secure", { deployment: minio, bucket: "secure", keyName: "minio-secure" });
`;
}

describe.skipIf(skip !== undefined)(
  `a deployment of the previous version (${PREVIOUS}) is fixed by one pulumi up (REAL engine, Node language host)${skip ? ` — SKIPPED: ${skip}` : ""}`,
  () => {
    let tb: Testbed;
    let server: Server | undefined;
    let project: CliProject;
    let oldLib: string;
    const projectDir = join(work, "project");
    const eventLog = join(work, "events.jsonl");
    const times: Record<string, number> = {};

    /** `pulumi up --yes` (or `preview`) of the program on `libDir`, with per-resource plans from the event log. */
    const pulumi = async (
      cmd: "up" | "preview",
      libDir: string,
      extra: string[] = [],
    ): Promise<{ code: number; out: string; result: RunResult; seconds: number }> => {
      writeFileSync(join(projectDir, "index.ts"), programText(libDir, join(projectDir, "input.json")));
      rmSync(eventLog, { force: true });
      const r = await project.run(
        [cmd, ...(cmd === "up" ? ["--yes"] : []), "--event-log", eventLog, ...extra],
        { check: false },
      );
      const events = collectEvents();
      if (existsSync(eventLog))
        for (const l of readFileSync(eventLog, "utf8").split("\n").filter(Boolean))
          events.onEvent(JSON.parse(l));
      return { code: r.code, out: r.stdout + r.stderr, result: events.result(), seconds: r.seconds };
    };
    const h = () => tb.hosts[0]!;
    /** mc on the host over HTTPS, trusting MinIO's CA (as tlsSuite's). */
    const mc = async (args: string) => {
      const script = `set -a; . /etc/default/minio; set +a; export MC_HOST_m="https://\${MINIO_ROOT_USER}:\${MINIO_ROOT_PASSWORD}@localhost:9000"; mkdir -p /tmp/mc-m/certs/CAs; cp /etc/minio/certs/CAs/ca.crt /tmp/mc-m/certs/CAs/; /usr/local/bin/mc --config-dir /tmp/mc-m ${args}`;
      return (await tb.exec(h(), `bash -c ${shq(script)}`, { timeoutMs: 60_000 })).stdout;
    };
    const table = async () =>
      observe(
        tb,
        h(),
        CURRENT.map((o) => o.path),
      );
    let before: Record<string, string>;
    let canary: CanaryState;

    beforeAll(async () => {
      oldLib = previousLibrary(join(work, "previous"));
      tb = await bootTestbed(1);
      const served = await serveTestBinaries("real engine (migration)");
      server = served.server;
      writeTypeScriptProject(projectDir, "migration", "a deployment of pulumi-minio-kes upgraded in place");
      symlinkSync(join(repoRoot, "node_modules"), join(projectDir, "node_modules"));
      const host: HostArgs = hostArgsOf(tb, h(), "node1");
      const input: { host: HostArgs; binaries: Record<string, BinarySourceArgs> } = {
        host,
        binaries: served.sources,
      };
      writeFileSync(join(projectDir, "input.json"), JSON.stringify(input), { mode: 0o600 });
      project = cliProject(engine, projectDir, join(work, "state"));
      // --event-log is one of the CLI's debug flags.
      project.env.PULUMI_DEBUG_COMMANDS = "true";
      await project.run(["stack", "select", "--create", "migration"]);
    }, 900_000);

    afterAll(async () => {
      server?.close();
      await tb?.teardown();
      console.log(`[real-engine] migration timings (s): ${JSON.stringify(times)}`);
      rmSync(work, { recursive: true, force: true });
    }, 300_000);

    it(`1. the previous version (${PREVIOUS}) deploys, with its ownership: the env file is minio-user's`, async () => {
      const up = await pulumi("up", oldLib);
      times[`up, ${PREVIOUS}`] = up.seconds;
      expect(up.code, up.out).toBe(0);
      expect(up.result.steps.filter((s) => s.op !== "create").map((s) => `${s.op} ${s.name}`)).toEqual([]);
      expect((await tb.exec(h(), "systemctl is-active kes minio")).stdout.split("\n").slice(0, 2)).toEqual([
        "active",
        "active",
      ]);
      before = await table();
      console.log(
        `[migration] ownership after the ${PREVIOUS} deployment:\n${Object.entries(before)
          .map(([p, v]) => `  ${p} ${v}`)
          .join("\n")}`,
      );
      // The state e3f4e72 fixed (security review rows 1–2): MinIO's env file, which root's systemd
      // and mc steps read, is minio-user's; the config directories are the service accounts'.
      expect(before["/etc/default/minio"]).toBe("file minio-user minio-user 0600");
      expect(before["/etc/kes"]).toBe("dir kes kes 0750");
      expect(before["/etc/kes/config.yaml"]).toBe("file kes kes 0600");
      expect(before["/etc/kes/server.key"]).toBe("file kes kes 0600");
      expect(before["/etc/minio/certs/private.key"]).toBe("file minio-user minio-user 0600");
      for (const p of ["/etc/minio/kes-ca.crt", "/etc/minio/certs/public.crt", "/etc/minio/certs/CAs/ca.crt"])
        expect(before[p], p).toBe("file minio-user minio-user 0644");
      // (Which of /etc/minio, /etc/minio/certs and /etc/minio/certs/CAs were minio-user's 0750 and
      // which root's 0755 depended on which parallel file step ran mkdir -p first.)
      // And it is exploitable: the accounts can write what root reads.
      await tb.exec(h(), "runuser -u minio-user -- test -w /etc/default/minio");
      await tb.exec(h(), "runuser -u kes -- test -w /etc/kes");
      expect(before).not.toEqual(expected(CURRENT));
      await mc("cp /etc/hostname m/secure/before-upgrade.txt");
      expect(await mc("stat m/secure/before-upgrade.txt")).toMatch(
        /Encryption: SSE-KMS \(arn:aws:kms:minio-secure\)/,
      );
      // What a compromised account could do in this state, left for the upgrade to meet: kes
      // replaces its config with a link to a root-owned canary, minio-user plants a command in the
      // env file root's steps source (security review row 1).
      canary = await makeCanary(tb, h());
      await tb.exec(
        h(),
        `runuser -u kes -- sh -c ${shq(`ln -s ${CANARY} /etc/kes/.link && mv -f -T /etc/kes/.link /etc/kes/config.yaml`)}`,
      );
      await tb.exec(
        h(),
        `runuser -u minio-user -- sh -c ${shq(`printf '%s\\n' 'X=$(id -un >/tmp/pwned)' >> /etc/default/minio`)}`,
      );
      expect((await observe(tb, h(), ["/etc/kes/config.yaml"]))["/etc/kes/config.yaml"]).toBe("link");
      expect(await tb.readFile(h(), "/etc/default/minio")).toContain("/tmp/pwned");
    }, 600_000);

    it("2. one pulumi up of the current library gives every path the current owner, group and mode; services stay up, data stays readable", async () => {
      const up = await pulumi("up", join(repoRoot, "lib"));
      times["up, current"] = up.seconds;
      expect(up.code, up.out).toBe(0);
      const ran = up.result.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
      console.log(`[migration] the current library's first up: ${ran.join(", ")}`);
      const after = await table();
      const fixed = Object.keys(after)
        .filter((p) => before[p] !== after[p])
        .map((p) => `${p}: ${before[p]} -> ${after[p]}`);
      console.log(`[migration] changed by the up:\n  ${fixed.join("\n  ")}`);
      expect(after).toEqual(expected(CURRENT));
      // The traps did nothing: the canary is as it was, the planted command never ran and is gone.
      expect(await canaryState(tb, h()), "the canary").toEqual(canary);
      await tb.exec(h(), "test ! -e /tmp/pwned");
      expect(await tb.readFile(h(), "/etc/default/minio")).not.toContain("pwned");
      expect((await tb.exec(h(), "systemctl is-active kes minio")).stdout.split("\n").slice(0, 2)).toEqual([
        "active",
        "active",
      ]);
      await tb.exec(
        h(),
        "curl -fsS --cacert /etc/minio/certs/CAs/ca.crt -o /dev/null https://localhost:9000/minio/health/ready",
      );
      expect(await mc("cat m/secure/before-upgrade.txt")).toBe(await tb.readFile(h(), "/etc/hostname"));
      expect(await mc("stat m/secure/before-upgrade.txt")).toMatch(
        /Encryption: SSE-KMS \(arn:aws:kms:minio-secure\)/,
      );
      // The services run from the new ownership too (the up restarted neither): restart both, as
      // the next restart after an upgrade would, then read the object again.
      await tb.exec(h(), "systemctl restart kes.service && systemctl restart minio.service");
      await tb.exec(
        h(),
        `for i in $(seq 60); do curl -fsS --cacert /etc/kes/ca.crt -o /dev/null https://${h().address}:7373/v1/ready && curl -fsS --cacert /etc/minio/certs/CAs/ca.crt -o /dev/null https://localhost:9000/minio/health/ready && exit 0; sleep 0.5; done; exit 1`,
        { timeoutMs: 60_000 },
      );
      expect(await mc("stat m/secure/before-upgrade.txt")).toMatch(
        /Encryption: SSE-KMS \(arn:aws:kms:minio-secure\)/,
      );
      // As in scenario d2: neither account can write what root reads or plant anything next to it.
      for (const user of ["kes", "minio-user"] as const) {
        for (const o of CURRENT.filter((x) => x.kind === "file")) {
          const r = await tb.exec(h(), `runuser -u ${user} -- sh -c ${shq(`: >> ${o.path}`)}`, {
            check: false,
          });
          expect(r.code, `${user} can write ${o.path}`).not.toBe(0);
        }
        for (const d of [
          ...CURRENT.filter((x) => x.kind === "dir" && x.of !== user).map((x) => x.path),
          ...SYSTEM_DIRS,
        ]) {
          const r = await tb.exec(
            h(),
            `runuser -u ${user} -- sh -c ${shq(`ln -s /etc/shadow ${d}/.planted`)}`,
            {
              check: false,
            },
          );
          expect(r.code, `${user} can plant a link in ${d}`).not.toBe(0);
        }
      }
    }, 600_000);

    it("3. pulumi preview --expect-no-changes, and a further pulumi up changes nothing", async () => {
      const preview = await pulumi("preview", join(repoRoot, "lib"), ["--expect-no-changes"]);
      expect(preview.code, preview.out).toBe(0);
      const up = await pulumi("up", join(repoRoot, "lib"), ["--expect-no-changes"]);
      times["no-op up"] = up.seconds;
      expect(up.code, up.out).toBe(0);
      expect(up.result.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual([]);
      expect(await table()).toEqual(expected(CURRENT));
    }, 600_000);
  },
);
