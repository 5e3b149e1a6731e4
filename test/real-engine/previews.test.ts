/**
 * The preview a reviewer reads, from the REAL engine: scenario c (a new bucket and a new MinIO
 * variable) as `pulumi preview --diff` prints it, after a fresh deployment of the scenario
 * program (./project.ts) on the scenario hosts. docs/ci-previews.md shows this output; the test
 * fails when the doc's sample and the real output differ (hashes and timings aside). Set
 * UPDATE_PREVIEW_DOCS=1 to rewrite the sample. Runs whenever the plugins and the language host
 * are installed; otherwise it says so and skips.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findEngine, realEngineSkip } from "./engine";
import { scenarioProjectFixture } from "./project";

const DOC = join(__dirname, "..", "..", "docs", "ci-previews.md");
const START = "<!-- real preview of scenario c: start -->";
const END = "<!-- real preview of scenario c: end -->";

const work = mkdtempSync(join(tmpdir(), "mkt-previews-"));
const engine = findEngine(work);
const skip = realEngineSkip(engine, "previews", { languageHost: true });

/** The CLI's text without what varies from run to run or machine to machine. */
export function normalise(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/warning: using pulumi-[a-z-]+ from \$PATH|Could not find a package\.json/.test(l))
    .join("\n")
    .replace(/[0-9a-f]{64}/g, "<sha256>")
    .replace(/\[id=([a-z0-9-]+?)[0-9a-f]{8}\]/g, "[id=$1…]")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/\b\d+(\.\d+)?s\b/g, "<t>")
    .replace(/\/tmp\/[A-Za-z0-9._/-]+/g, "<tmp>")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The preview's lines grouped into one block per resource (a header line and its details), sorted. */
function blocks(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*(\+-|[+~-])?\s*[a-z]+:[A-Za-z:/]+: \(/.test(line) || out.length === 0) out.push(line);
    else out[out.length - 1] += `\n${line}`;
  }
  return out.sort();
}

describe.skipIf(skip !== undefined)(`previews on the REAL engine${skip ? ` — SKIPPED: ${skip}` : ""}`, () => {
  const fx = scenarioProjectFixture(engine, work);

  it("docs/ci-previews.md shows what `pulumi preview --diff` prints for scenario c", async () => {
    const fresh = await fx.project.run({ kind: "scenario", env: fx.env });
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    const preview = await fx.project.run(
      { kind: "scenario", env: fx.env, variant: { change: true } },
      { preview: true, extra: ["--diff"] },
    );
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    const real = normalise(preview.stdout);
    // What the preview must say, whatever the doc says.
    expect(real).toMatch(/\+-command:remote:Command: \(replace\)\n\s+\[id=minio-minio1-service…\]/);
    // Every node is checked before any changes (the preflights are replaced).
    for (const n of [1, 2, 3])
      expect(real).toMatch(
        new RegExp(`\\+-command:remote:Command: \\(replace\\)\\n\\s+\\[id=minio-minio${n}-preflight…\\]`),
      );
    // The restart's reason, by name: the one variable added to MinIO's environment.
    expect(real).toMatch(
      /~ triggers: \[\n\s+~ \[0\]: \{\n\s+\+ MINIO_BROWSER: "env:hmac-sha256:<sha256>"\n\s+\}/,
    );
    expect(real).toMatch(
      /create\s+: "bash -s create # minio1: create bucket backups with sse-kms default encryption"/,
    );
    // The config steps (which stage the env file) name the variable too (their triggers), and
    // every node stops before any starts.
    for (const n of [1, 2, 3]) {
      expect(real).toMatch(
        new RegExp(`\\+-command:remote:Command: \\(replace\\)\\n\\s+\\[id=minio-minio${n}-config…\\]`),
      );
      expect(real).toMatch(
        new RegExp(`\\+-command:remote:Command: \\(replace\\)\\n\\s+\\[id=minio-minio${n}-stop…\\]`),
      );
    }
    // 3 preflights, the host-key check, 3 config steps, 3 stops, 3 services and the ready gate.
    expect(real).toMatch(/\+ 3 to create\n\s+\+-14 to replace\n\s+17 changes\. 39 unchanged/);
    const doc = readFileSync(DOC, "utf8");
    const block = `${START}\n\n\`\`\`text\n${real}\n\`\`\`\n\n${END}`;
    if (process.env.UPDATE_PREVIEW_DOCS === "1" && process.env.CI !== "true") {
      writeFileSync(DOC, doc.replace(new RegExp(`${START}[\\s\\S]*?${END}`), block));
      return;
    }
    const i = doc.indexOf(START);
    const j = doc.indexOf(END);
    expect(i, `docs/ci-previews.md has no "${START}" block`).toBeGreaterThan(-1);
    // The engine prints independent resources in the order they were planned, which varies:
    // compare the resource blocks as a set, the rest as text.
    expect(blocks(doc.slice(i, j + END.length))).toEqual(blocks(block));
  }, 900_000);
});
