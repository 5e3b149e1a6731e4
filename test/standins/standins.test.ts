import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// Runs the Go tests of the stand-ins (kes, minio, mc: STAND-INS for tests, not the real programs)
// so that `npm test` covers them. They start processes on 127.0.0.1 only.
describe("stand-ins (Go)", () => {
  it("go test ./... passes in test/standins", { timeout: 900_000 }, () => {
    const result = spawnSync("go", ["test", "-count=1", "./..."], {
      cwd: __dirname,
      encoding: "utf8",
      env: { ...process.env, CGO_ENABLED: "0" },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 880_000,
    });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    expect(result.error, `could not run go: ${result.error?.message}`).toBeUndefined();
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/^ok\s+example\.invalid\/standins\/e2e\s/m);
  });
});
