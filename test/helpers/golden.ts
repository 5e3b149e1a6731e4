import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";

const goldenRoot = join(__dirname, "..", "golden");

/**
 * Compares `actual` with the pinned file `test/golden/<name>`. A missing golden file is a
 * failure, not a silent pass: run the suite once with `UPDATE_GOLDEN=1` to write it, then
 * review and commit it. In CI (`CI=true`) golden files are never written.
 */
export function expectGolden(name: string, actual: string): void {
  const file = join(goldenRoot, name);
  const update = process.env.UPDATE_GOLDEN === "1" && process.env.CI !== "true";
  if (update) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(
      `golden file test/golden/${name} is missing: run with UPDATE_GOLDEN=1, review it, commit it`,
    );
  }
  expect(actual, `rendered text differs from test/golden/${name}`).toBe(readFileSync(file, "utf8"));
}

/** Path of a golden file, for tests that hand it to an external checker (shellcheck). */
export function goldenPath(name: string): string {
  return join(goldenRoot, name);
}
