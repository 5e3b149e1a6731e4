/**
 * The quickstart as the README runs it, on the REAL engine: a copy of the repository, the
 * README's set-up (`npm run build && (cd examples/quickstart && npm install)`), then `pulumi
 * config set` and `pulumi up` at the top level, where `Pulumi.yaml` points at the quickstart —
 * so the Node language host compiles and runs the TypeScript program. One test host; the
 * project's stand-ins for MinIO, KES and mc. Needs the command and tls plugins and the language
 * host installed (PATH, next to the CLI, or PULUMI_HOME); otherwise it says so and skips.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { type CliProject, cliProject } from "../../scripts/lib/cli";
import { sshLogins } from "../e2e/scenarioSuite";
import { bootTestbed, type Testbed } from "../hosts/testbed";
import { findEngine, realEngineSkip } from "./engine";

const repoRoot = join(__dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mkt-quickstart-"));
const engine = findEngine(work);
const skip = realEngineSkip(engine, "quickstart via Pulumi.yaml", { languageHost: true });

/** A copy of the working tree (tracked and new files, as `git ls-files` lists them). */
function copyRepo(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
  })
    .toString()
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    cpSync(join(repoRoot, f), join(to, f), { dereference: false, errorOnExist: false });
  }
  // The repository's own dependencies (what `npm ci` would install) for `npm run build`.
  symlinkSync(join(repoRoot, "node_modules"), join(to, "node_modules"));
}

describe.skipIf(skip !== undefined)(
  `the top-level Pulumi.yaml runs the quickstart (REAL engine, Node language host)${skip ? ` — SKIPPED: ${skip}` : ""}`,
  () => {
    let tb: Testbed;
    let server: Server | undefined;
    let project: CliProject;
    const times: Record<string, number> = {};

    beforeAll(async () => {
      tb = await bootTestbed(1);
      const copy = join(work, "repo");
      copyRepo(copy);
      const run = (cmd: string, args: string[], cwd: string) =>
        execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], env: process.env });
      // The README's set-up, word for word.
      run("npm", ["run", "build"], copy);
      run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline"],
        join(copy, "examples", "quickstart"),
      );
      project = cliProject(engine, copy, join(work, "state"));
      const served = await serveTestBinaries("real engine (quickstart)");
      server = served.server;
      const h = tb.hosts[0]!;
      await project.run(["stack", "init", "dev"]);
      // Values on stdin (a key would otherwise be an argv); objects field by field with --path,
      // since Pulumi.yaml declares them as objects.
      const set = (key: string, value: string, secret = false) =>
        project.run(["config", "set", ...(secret ? ["--secret"] : []), key], { input: value });
      const setObject = async (key: string, o: Record<string, string>) => {
        for (const [k, v] of Object.entries(o))
          await project.run(["config", "set", "--path", `${key}.${k}`], { input: v });
      };
      await setObject("host", { name: "node1", address: h.address, hostKey: h.hostKey });
      await set("sshPrivateKey", tb.privateKeyPem, true);
      await set("rootPassword", "quickstart-Root-Password-1", true);
      for (const b of ["kes", "minio", "mc"] as const)
        await setObject(`${b}Binary`, {
          url: served.sources[b].url as string,
          sha256: served.sources[b].sha256!,
        });
    }, 900_000);

    afterAll(async () => {
      server?.close();
      await tb?.teardown();
      console.log(`[real-engine] quickstart timings (s): ${JSON.stringify(times)}`);
      rmSync(work, { recursive: true, force: true });
    }, 300_000);

    it("pulumi up deploys KES, MinIO and an encrypted, verified bucket", async () => {
      const up = await project.run(["up", "--yes"]);
      times["fresh up"] = up.seconds;
      expect(up.stdout).toMatch(/Resources:\s*\n\s*\+ \d+ created/);
      const h = tb.hosts[0]!;
      expect((await tb.exec(h, "systemctl is-active kes minio")).stdout.split("\n").slice(0, 2)).toEqual([
        "active",
        "active",
      ]);
      const out = JSON.parse((await project.run(["stack", "output", "--json"])).stdout);
      expect(out).toMatchObject({ bucketName: "invoices", bucketAlgorithm: "sse-kms", bucketVerified: true });
    }, 600_000);

    it("a second pulumi up changes nothing and opens no SSH session", async () => {
      const before = await sshLogins(tb, tb.hosts[0]!);
      const pre = await project.run(["preview", "--expect-no-changes"]);
      expect(pre.code).toBe(0);
      const up = await project.run(["up", "--yes"]);
      times["no-op up"] = up.seconds;
      expect(up.stdout).toMatch(/Resources:\s*\n\s*\d+ unchanged/);
      expect(up.stdout).not.toMatch(/created|updated|replaced|deleted/);
      expect(await sshLogins(tb, tb.hosts[0]!)).toBe(before);
    }, 600_000);

    it("pulumi destroy stops the services and keeps binaries, configuration and data", async () => {
      const down = await project.run(["destroy", "--yes"]);
      times.destroy = down.seconds;
      expect(down.stdout).toMatch(/\d+ deleted/);
      const h = tb.hosts[0]!;
      const active = await tb.exec(h, "systemctl is-active kes minio", { check: false });
      expect(active.stdout).not.toMatch(/^active/m);
      await tb.exec(
        h,
        "test -x /usr/local/bin/minio && test -s /etc/default/minio && test -s /etc/kes/config.yaml",
      );
    }, 600_000);
  },
);
