/**
 * The API reference check (`npm run docs:check`): TypeDoc over both entry points with
 * `validation.notDocumented` and `treatWarningsAsErrors`, so an exported argument or output
 * without TSDoc fails CI. The second test proves the check catches one.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repoRoot = join(__dirname, "..", "..");
const bin = join(repoRoot, "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1", FORCE_COLOR: "0" };

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: repoRoot, env, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
      resolve({ code, out: `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, "") });
    });
  });
}

/** The warning lines, one per finding, without TypeDoc's code excerpts. */
function findings(out: string): string[] {
  return out
    .split("\n")
    .filter((l) => l.includes("[warning]") && !/Found \d+ errors/.test(l))
    .map((l) => l.replace(/^.*\[warning\]\s*/, "").trim());
}

const work: string[] = [];
afterAll(() => {
  for (const w of work) rmSync(w, { recursive: true, force: true });
});

describe("API reference (TypeDoc)", () => {
  it("npm run docs:check passes: every export of both entry points has TSDoc", async () => {
    const { code, out } = await run("npm", ["run", "--silent", "docs:check"]);
    const list = findings(out);
    expect(list, `TypeDoc findings (${list.length}):\n${list.join("\n")}`).toEqual([]);
    expect(code, out.slice(-3000)).toBe(0);
  }, 120_000);

  it("the check fails on an exported argument without TSDoc", async () => {
    mkdirSync(join(repoRoot, "test", ".work"), { recursive: true });
    const dir = mkdtempSync(join(repoRoot, "test", ".work", "docs-check-"));
    work.push(dir);
    writeFileSync(
      join(dir, "index.ts"),
      [
        "/** A module. @packageDocumentation */",
        "/** Arguments of a component. */",
        "export interface WidgetArgs {",
        "  /** Documented. */",
        "  size: number;",
        "  colour: string;",
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, types: [] }, files: ["index.ts"] }),
    );
    // Same options as the real check, on a one-file project.
    writeFileSync(
      join(dir, "typedoc.json"),
      JSON.stringify({
        extends: [join(repoRoot, "typedoc.json")],
        entryPoints: ["index.ts"],
        tsconfig: "tsconfig.json",
      }),
    );
    const { code, out } = await run("typedoc", ["--options", join(dir, "typedoc.json"), "--emit", "none"]);
    expect(code).not.toBe(0);
    expect(findings(out)).toEqual([
      expect.stringMatching(/WidgetArgs\.colour \(Property\).*does not have any documentation/),
    ]);
  }, 120_000);
});
