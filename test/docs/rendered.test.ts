import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");

interface RenderDocs {
  renderRenderedDoc(root: string): string;
  RENDERED_DOC: string;
  RENDERED_GOLDENS: string[];
}

let mod: RenderDocs;

beforeAll(async () => {
  // A plain ESM script without type declarations: import it by URL.
  mod = (await import(pathToFileURL(join(root, "scripts", "render-docs.mjs")).href)) as RenderDocs;
});

describe("docs/rendered.md", () => {
  it("is exactly what scripts/render-docs.mjs generates from the golden files", () => {
    const expected = mod.renderRenderedDoc(root);
    const actual = readFileSync(join(root, mod.RENDERED_DOC), "utf8");
    expect(actual, "docs/rendered.md is out of date: run `node scripts/render-docs.mjs`").toBe(expected);
  });

  it("embeds every golden file it names byte for byte", () => {
    const doc = readFileSync(join(root, mod.RENDERED_DOC), "utf8");
    expect(mod.RENDERED_GOLDENS.length).toBeGreaterThanOrEqual(12);
    for (const name of mod.RENDERED_GOLDENS) {
      const golden = readFileSync(join(root, "test", "golden", name), "utf8");
      expect(doc.includes(`\`test/golden/${name}\`:`), name).toBe(true);
      expect(doc.includes(golden), `${name} is embedded verbatim`).toBe(true);
    }
  });
});
