/**
 * Property-based tests (fast-check) of the three places where a value crosses a parser the
 * library does not own: shell quoting (bash and dash), the env-file format (systemd's
 * `EnvironmentFile=` and bash's `. FILE` must read back exactly the value, and so must the
 * library's own parser), and the KES config's YAML strings. Fixed seed and a bounded number of
 * cases, so a run is reproducible and its time is known; each property sends its cases to the
 * shell in one batch. The figures (cases per property) are in docs/testing.md.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { load } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnvLine, renderEnvFile } from "../../lib/core/envfile";
import { minioKesPolicy, renderKesConfig } from "../../lib/core/kesConfig";
import { renderMinioVolumes } from "../../lib/core/minioEnv";
import * as rules from "../../lib/core/rules";
import {
  checkPreinstalledBinaryScript,
  ENV_VALUE_OF,
  ensureDirectoriesScript,
  envMergeScript,
  mcBucketScript,
  mcKeyCreateScript,
  removeUnitScript,
  serviceActionScript,
} from "../../lib/core/scripts";
import { shQuote } from "../../lib/core/shell";
import { renderMinioUnit } from "../../lib/core/systemd";
import { quoteYamlString } from "../../lib/core/yaml";

/** The seed of every property (change it to explore; a failure prints the seed and path to replay). */
const SEED = 20261201;
/** Cases per property. */
const RUNS = 2000;

const work = mkdtempSync(join(tmpdir(), "fuzz-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Strings that stress quoting: any code point (no NUL), with quotes, `$`, backslashes, newlines weighted in. */
const nasty = (opts: { newlines: boolean }) =>
  fc
    .array(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            "'",
            '"',
            "\\",
            "$",
            "`",
            "$(",
            "${",
            "!",
            "*",
            "?",
            "[",
            "~",
            "#",
            " ",
            "\t",
            "%",
            ";",
            "&",
            "|",
            "<",
            ">",
            "=",
          ),
        },
        { weight: 1, arbitrary: opts.newlines ? fc.constantFrom("\n", "\r", "\r\n") : fc.constant("x") },
        { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
      ),
      { maxLength: 24 },
    )
    .map((parts) =>
      parts
        .join("")
        .replace(/\0/g, "")
        .replace(/[\uD800-\uDFFF]/g, "?"),
    );

/** The same values, NUL-separated, as a shell printed them. */
function printed(shell: string, script: string): string[] {
  const r = spawnSync(shell, ["-c", script], { encoding: "utf8", maxBuffer: 64 << 20 });
  expect(r.stderr, shell).toBe("");
  expect(r.status, shell).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

describe("shQuote: one word whose value is exactly the string", () => {
  const values = fc.sample(nasty({ newlines: true }), { seed: SEED, numRuns: RUNS });
  const script = values.map((v) => `printf '%s\\0' ${shQuote(v)}`).join("\n");
  it.each(["bash", "dash"])(`%s reads back all ${RUNS} values`, (shell) => {
    expect(printed(shell, script)).toEqual(values);
  });
  it("the property also holds case by case (shrinks a counterexample if one appears)", () => {
    fc.assert(
      fc.property(nasty({ newlines: true }), (v) => printed("bash", `printf '%s\\0' ${shQuote(v)}`)[0] === v),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe("env files: what the library renders is what bash and the library's parser read", () => {
  const values = fc.sample(
    nasty({ newlines: false }).filter((v) => rules.lineValue(v) === undefined),
    { seed: SEED, numRuns: RUNS },
  );
  const entries = values.map((v, i) => [`MINIO_FUZZ_${i}`, v] as const);
  const text = renderEnvFile(entries);
  const file = join(work, "env");
  writeFileSync(file, text);

  it(`bash (set -a; . FILE) reads back all ${RUNS} values`, () => {
    const script = `set -a; . ${shQuote(file)}; ${entries.map(([n]) => `printf '%s\\0' "$${n}"`).join("; ")}`;
    expect(printed("bash", script)).toEqual(values);
  });
  it("the mc steps' env_value_of (root parses the file, never sources it) reads back 300 of them", () => {
    const some = entries.slice(0, 300);
    const small = join(work, "env-small");
    writeFileSync(small, renderEnvFile(some));
    const script = [
      ...ENV_VALUE_OF,
      ...some.map(([n]) => `env_value_of ${shQuote(small)} ${n}; printf '\\0'`),
    ].join("\n");
    expect(printed("bash", script)).toEqual(some.map(([, v]) => v));
  });
  it(`parseEnvLine reads back all ${RUNS} values`, () => {
    const lines = text.split("\n").filter((l) => l.startsWith("MINIO_FUZZ_"));
    expect(lines.map((l) => parseEnvLine(l)?.value)).toEqual(values);
  });
  it("refuses what no parser reads back the same (newline, CR, NUL), by the rulebook's rule", () => {
    fc.assert(
      fc.property(nasty({ newlines: false }), fc.constantFrom("\n", "\r", "\0"), (v, bad) => {
        expect(() => renderEnvFile([["MINIO_X", `${v}${bad}${v}`]])).toThrow(
          /env file: value: the value contains/,
        );
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe("KES config: YAML strings read back exactly", () => {
  it(`quoteYamlString round-trips ${RUNS} strings through a YAML 1.2 parser`, () => {
    fc.assert(
      fc.property(nasty({ newlines: true }), (v) => {
        expect((load(`k: ${quoteYamlString(v)}\n`) as { k: string }).k).toBe(v);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it("a whole config with fuzzed Vault prefix, namespace and engine parses to the same values", () => {
    fc.assert(
      fc.property(
        nasty({ newlines: false }),
        nasty({ newlines: false }),
        nasty({ newlines: false }),
        (prefix, ns, engine) => {
          const { yaml } = renderKesConfig({
            tls: { keyFile: "/etc/kes/server.key", certFile: "/etc/kes/server.crt" },
            policies: [],
            keystore: {
              kind: "vault",
              endpoint: "https://vault.example.net:8200",
              prefix: `p${prefix}`,
              namespace: `n${ns}`,
              engine: `e${engine}`,
              approle: { id: "role", secret: "secret" },
            },
          });
          const v = (load(yaml) as { keystore: { vault: Record<string, string> } }).keystore.vault;
          expect([v.prefix, v.namespace, v.engine]).toEqual([`p${prefix}`, `n${ns}`, `e${engine}`]);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe("what a validator accepts, the renderers accept (one rulebook; security review, row 13)", () => {
  // Strings built from the characters that made validator and renderer disagree before.
  const odd = fc.constantFrom(
    "",
    ".",
    "..",
    "%h",
    "a b",
    "$X",
    "\\x41",
    "{1...2}",
    "é",
    "'q",
    '"q',
    ":",
    "~",
    "*",
  );
  const pathish = fc
    .tuple(
      fc.array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc.constantFrom("mnt", "disk1", "a", "data", "x-1", "v.2", "u_3", "@x", "+y", "k=v"),
          },
          { weight: 1, arbitrary: odd },
        ),
        { minLength: 1, maxLength: 4 },
      ),
      fc.constantFrom("", "", "", "/"),
    )
    .map(([segs, tail]) => `/${segs.join("/")}${tail}`);
  const nameish = fc
    .array(
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom("a", "z", "0", "9", "-", "_", "m", "k") },
        { weight: 1, arbitrary: fc.constantFrom(".", "A", " ", "/", "*", ":", "@", "é", "..", "-.") },
      ),
      { minLength: 1, maxLength: 14 },
    )
    .map((p) => p.join(""));
  const target = (envFile = "/etc/default/minio") => ({
    mcPath: "/usr/local/bin/mc",
    alias: "minio",
    url: "http://127.0.0.1:9000",
    configDir: "/root/.pulumi-minio-kes/mc",
    credentials: { from: "envFile" as const, envFile },
  });
  const agree = (rule: rules.Rule, arb: fc.Arbitrary<string>, render: (v: string) => unknown) => {
    let accepted = 0;
    fc.assert(
      fc.property(arb, (v) => {
        if (rule(v) !== undefined) return;
        accepted++;
        render(v);
      }),
      { seed: SEED, numRuns: 1000 },
    );
    return accepted;
  };

  it("drive paths (MINIO_VOLUMES, the drive directories of the system step, the env file)", () => {
    const n = agree(rules.absolutePath("drive path"), pathish, (d) => {
      renderMinioVolumes({ scheme: "https", hosts: ["minio1", "minio2"], drives: [d] });
      ensureDirectoriesScript({ paths: [d], owner: "minio-user", group: "minio-user" });
    });
    expect(n).toBeGreaterThan(20);
  });
  it("binary paths (the unit's ExecStart, the preinstalled check)", () => {
    const n = agree(rules.path, pathish, (p) => {
      checkPreinstalledBinaryScript({ path: p });
      renderMinioUnit({
        binaryPath: p,
        user: "minio-user",
        group: "minio-user",
        envFile: "/etc/default/minio",
      });
    });
    expect(n).toBeGreaterThan(20);
  });
  it("env file paths (existing.envFile: the merge and the mc steps)", () => {
    const n = agree(rules.path, pathish, (p) => {
      envMergeScript({ envFile: p, managedNames: ["MINIO_KMS_KES_ENDPOINT"] });
      mcKeyCreateScript({ target: target(p), keyName: "minio-default" });
    });
    expect(n).toBeGreaterThan(20);
  });
  it("unit names (existing.unitName)", () => {
    const n = agree(
      rules.unitName,
      nameish.map((u) => `${u}.service`),
      (u) => {
        removeUnitScript({ unitName: u });
        serviceActionScript({
          unit: u,
          action: "restart",
          health: { kind: "minio", baseUrl: "http://127.0.0.1:9000" },
          timeoutSeconds: 60,
        });
      },
    );
    expect(n).toBeGreaterThan(20);
  });
  it("key names and bucket names (the mc steps, the KES policy)", () => {
    const keys = agree(rules.keyName, nameish, (k) => {
      mcKeyCreateScript({ target: target(), keyName: k });
      minioKesPolicy({ keyNames: [k], identities: ["a".repeat(64)] });
    });
    const buckets = agree(rules.bucketName, nameish, (b) => {
      mcBucketScript({ target: target(), bucket: b, algorithm: "sse-s3", verify: false });
    });
    expect(keys).toBeGreaterThan(20);
    expect(buckets).toBeGreaterThan(20);
  });
  it("variable names and values (extraEnv, the env file)", () => {
    const n = agree(rules.envName, nameish, (name) => {
      renderEnvFile([[name, "v"]]);
    });
    expect(n).toBeGreaterThan(5);
  });
});
