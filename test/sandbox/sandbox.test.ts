/**
 * The README's main-job command, run as a user runs it: `npm run sandbox` boots a host and deploys
 * the quickstart; a second run changes nothing; `npm run sandbox -- down` removes everything.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findEngine } from "../../scripts/lib/engine";
import { testbedSkipReason } from "../hosts/testbed";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`sandbox test skipped: ${skip}`);
const dir = join(mkdtempSync(join(tmpdir(), "mkt-sandbox-")), "sandbox");
// The sandbox uses the real engine when it is installed, the harness otherwise, and says which.
const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-sandbox-engine-")));
const withEngine = engine.missing === undefined && engine.languageHost !== undefined;
console.warn(
  `[sandbox] expecting ${withEngine ? "the REAL engine" : `the harness (${engine.missing ?? "no language host"})`}`,
);
const root = join(__dirname, "..", "..");
const sandbox = (...args: string[]) => {
  const r = spawnSync("npm", ["run", "--silent", "sandbox", "--", ...args], {
    cwd: root,
    env: { ...process.env, SANDBOX_DIR: dir },
    encoding: "utf8",
    timeout: 600_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe.skipIf(skip !== undefined)("npm run sandbox", () => {
  it("deploys the quickstart into a fresh host, says what it used, and tears down", () => {
    try {
      const first = sandbox("up");
      expect(first.code, first.out).toBe(0);
      expect(first.out).toMatch(/binaries: the project's STAND-INS/);
      expect(first.out).toMatch(
        withEngine
          ? /engine: the REAL engine: .*\n.*running the top-level Pulumi\.yaml/
          : /engine: the test HARNESS, not the Pulumi engine .*\n.*applying the quickstart with the test harness/,
      );
      expect(first.out).toMatch(/S3 API {7}http:\/\/198\.18\.0\.11:9000/);
      expect(first.out).toMatch(/npm run sandbox -- down/);

      // What it printed works: the bucket's default encryption, through the S3 API from here.
      const password = readFileSync(join(dir, "root-password"), "utf8").trim();
      const mc = join(process.env.PULUMI_MINIO_KES_CACHE ?? "/var/cache/pulumi-minio-kes", "standins", "mc");
      const info = spawnSync(mc, ["--config-dir", join(dir, "mc"), "encrypt", "info", "sandbox/invoices"], {
        env: { ...process.env, MC_HOST_sandbox: `http://minioadmin:${password}@198.18.0.11:9000` },
        encoding: "utf8",
      });
      expect(info.stdout).toMatch(/Auto encryption 'sse-kms' is enabled with KeyID: minio-invoices/);

      const again = sandbox("up");
      expect(again.code, again.out).toBe(0);
      expect(again.out).toMatch(/applied: 0 step\(s\) ran/);
    } finally {
      const down = sandbox("down");
      expect(down.code, down.out).toBe(0);
    }
    expect(existsSync(dir)).toBe(false);
    // Nothing of the sandbox's stack is left in the repository (its config file lives in the sandbox).
    expect(existsSync(join(root, "Pulumi.sandbox.yaml"))).toBe(false);
    expect(spawnSync("ip", ["link", "show", "br-mkt0"]).status).not.toBe(0);
  }, 900_000);
});
