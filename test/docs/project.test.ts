/**
 * The top-level Pulumi.yaml runs the quickstart: it points at examples/quickstart, and its config
 * keys are exactly the ones the quickstart program reads (and those in the quickstart's own
 * Pulumi.yaml), so `pulumi config set` instructions work from either place.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
type Project = { name: string; main?: string; runtime: { name: string }; config: Record<string, unknown> };
const read = (p: string) => load(readFileSync(join(root, p), "utf8")) as Project;

describe("top-level Pulumi.yaml", () => {
  it("runs the quickstart program with the quickstart's config", () => {
    const top = read("Pulumi.yaml");
    const quick = read("examples/quickstart/Pulumi.yaml");
    expect(top.runtime.name).toBe("nodejs");
    expect(top.main).toBe("examples/quickstart/");
    expect(existsSync(join(root, top.main!, "index.ts"))).toBe(true);
    expect(top.config).toEqual(quick.config);
    const program = readFileSync(join(root, "examples/quickstart/index.ts"), "utf8");
    const read_ = [
      ...program.matchAll(/config\.(?:require|get)(?:Secret|Object)?(?:<[^>]+>)?\("([A-Za-z]+)"\)/g),
    ].map((m) => m[1]);
    const used = new Set([...read_, ...[...program.matchAll(/binary\("([A-Za-z]+)"\)/g)].map((m) => m[1])]);
    expect([...used].sort()).toEqual(Object.keys(top.config).sort());
  });
});
