/**
 * Run from pack.test.ts (it shares that file's tarball: two `npm pack` at once would both
 * rebuild dist/).
 *
 * A new user's first stack, from README.md "Your first stack, from scratch" alone: a project made
 * outside the repository (the OS temp folder) by the README's commands, with the packed package
 * (`npm pack`) in place of the registry's, and the README's Pulumi.yaml, tsconfig.json and
 * index.ts. Then:
 * - it type-checks with the TypeScript the README installs (6) and with 5.0.4, the oldest the
 *   README supports;
 * - the `pulumi config set` keys of the README are the ones the program reads;
 * - through the harness (always, in CI: NOT the engine), the README's index.ts with those keys
 *   set deploys KES and two MinIO nodes with a verified bucket, and a second run changes nothing;
 * - with the command and tls plugins, the Node language host and the test hosts present, the
 *   README's `pulumi stack init`, `pulumi config set` and `pulumi up` on the REAL engine deploy
 *   KES and two MinIO nodes with a verified bucket, and a second `pulumi up` changes nothing.
 *
 * Installs pass `--prefer-offline --no-audit --no-fund` and `--ignore-scripts` (the provider
 * packages' install scripts would download plugins; the engine finds them in PULUMI_HOME or on
 * PATH).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { type CliProject, cliProject } from "../../scripts/lib/cli";
import { runProgram } from "../../scripts/lib/harness";
import { sshLogins } from "../e2e/scenarioSuite";
import { bootTestbed, type Testbed, testbedSkipReason } from "../hosts/testbed";
import { findEngine, realEngineSkip } from "../real-engine/engine";
import { repoRoot, sh } from "./sh";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
let work = "";
let dir = "";

/** The fenced block after `<!-- first-stack:<tag> -->` in README.md. */
function block(tag: string): string {
  const m = new RegExp(
    `<!-- first-stack:${tag.replace(/\./g, "\\.")} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\``,
  ).exec(readme);
  if (!m) throw new Error(`README.md has no block marked first-stack:${tag}`);
  return m[1]!;
}

const commands = block("commands")
  .split("\n")
  .map((l) => l.replace(/\s+#.*$/, "").trim())
  .filter((l) => l && !l.startsWith("#"));
/** The keys of the README's `pulumi config set` lines, e.g. `minioHosts[0].name`. */
const readmeKeys = commands
  .filter((l) => l.startsWith("pulumi config set"))
  .map((l) => /^pulumi config set (?:--secret |--path )*'?([^' ]+)'?/.exec(l)![1]!);

/** The README suites, installing the package from the tarball `getTarball` gives. */
export function readmeSuite(getTarball: () => Promise<string>): void {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "mkt-readme-"));
    dir = join(work, "minio-sse");
    const tarball = await getTarball();
    mkdirSync(dir);
    // The README's commands up to the files, word for word except for the package's source.
    for (const l of commands.filter((c) => c.startsWith("npm "))) {
      for (const part of l.split(" && ")) {
        const args = part.split(" ").slice(1);
        if (args[0] === "install") {
          const i = args.indexOf("pulumi-minio-kes");
          if (i >= 0) args[i] = tarball;
          args.push("--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
        }
        await sh("npm", args, dir);
      }
    }
    for (const f of ["Pulumi.yaml", "tsconfig.json", "index.ts"])
      writeFileSync(join(dir, f), block(`file ${f}`));
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe("README: your first stack, from scratch, outside the repository", () => {
    it("is made by the README's commands from the packed package", () => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      expect(pkg.main).toBe("index.ts");
      expect(pkg.dependencies["pulumi-minio-kes"]).toMatch(/^file:.*pulumi-minio-kes-.*\.tgz$/);
      expect(Object.keys(pkg.dependencies).sort()).toEqual(
        ["@pulumi/command", "@pulumi/pulumi", "@pulumi/tls", "pulumi-minio-kes"].sort(),
      );
      expect(Object.keys(pkg.devDependencies).sort()).toEqual(["@types/node", "typescript"]);
    });

    it("type-checks with the TypeScript the README installs (6)", async () => {
      const version = await sh(join(dir, "node_modules", ".bin", "tsc"), ["--version"], dir);
      expect(version).toMatch(/^Version 6\./);
      await sh(join(dir, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], dir);
    }, 120_000);

    it("type-checks with TypeScript 5.0.4, the oldest the README supports", async () => {
      const ts = join(work, "ts-5.0.4");
      mkdirSync(ts);
      await sh(
        "npm",
        [
          "install",
          "--prefix",
          ts,
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          "--loglevel=error",
          "typescript@5.0.4",
        ],
        work,
      );
      await sh(join(ts, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], dir);
    }, 300_000);

    it("sets with `pulumi config set` exactly the keys the program and Pulumi.yaml read", () => {
      const program = block("file index.ts");
      const read = [...program.matchAll(/require(?:Secret|Object<[^>]+>)?\("([A-Za-z]+)"\)/g)].map(
        (m) => m[1]!,
      );
      const binaries = [...program.matchAll(/binary\("(\w+)"\)/g)].map((m) => m[1]!);
      const topLevel = new Set(readmeKeys.map((k) => k.split(/[.[]/)[0]!));
      expect([...topLevel].sort()).toEqual([...new Set([...read, ...binaries])].sort());
      for (const k of topLevel) expect(block("file Pulumi.yaml")).toContain(`  ${k}:\n`);
    });
  });

  /** This testbed's values for the README's config keys. */
  const configValues = (tb: Testbed, sources: Awaited<ReturnType<typeof serveTestBinaries>>["sources"]) => {
    const [kes1, minio1, minio2] = tb.hosts as [
      Testbed["hosts"][0],
      Testbed["hosts"][0],
      Testbed["hosts"][0],
    ];
    const values: Record<string, string> = {
      "kesHost.name": "kes1",
      "kesHost.address": kes1.address,
      "kesHost.hostKey": kes1.hostKey,
      "minioHosts[0].name": "minio1",
      "minioHosts[0].address": minio1.address,
      "minioHosts[0].hostKey": minio1.hostKey,
      "minioHosts[1].name": "minio2",
      "minioHosts[1].address": minio2.address,
      "minioHosts[1].hostKey": minio2.hostKey,
      sshPrivateKey: tb.privateKeyPem,
      rootPassword: "readme-Root-Password-5",
    };
    for (const b of ["kes", "minio", "mc"] as const) {
      values[`${b}Binary.url`] = sources[b].url as string;
      values[`${b}Binary.sha256`] = sources[b].sha256!;
    }
    return values;
  };

  const hostSkip = testbedSkipReason();
  describe.skipIf(hostSkip !== undefined)(
    `README: the first stack through the harness (not the engine)${hostSkip ? ` — SKIPPED: ${hostSkip}` : ""}`,
    () => {
      let tb: Testbed;
      let server: Server | undefined;
      let file = "";
      let statePath = "";
      let runs = 0;
      // A fresh module per pass (the harness evaluates the program twice: preview, then apply).
      const program = async () => {
        await import(`${file}?run=${runs++}`);
      };
      beforeAll(async () => {
        tb = await bootTestbed(3);
        const served = await serveTestBinaries("harness (README first stack)");
        server = served.server;
        // Inside the repository's ignored test/.work, so that it resolves @pulumi/pulumi there and
        // "pulumi-minio-kes" through vitest's alias to lib/.
        const d = mkdtempSync(join(repoRoot, "test", ".work", "readme-"));
        file = join(d, "index.ts");
        writeFileSync(file, block("file index.ts"));
        statePath = join(d, "state.json");
        // The keys as `pulumi config set --path` stores them: objects and lists as JSON.
        const values = configValues(tb, served.sources);
        const objects: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(values)) {
          const path = k.split(/\.|\[|\]\.?/).filter(Boolean);
          if (path.length === 1) objects[k] = v;
          else {
            let o = objects as Record<string, unknown>;
            for (const [i, part] of path.slice(0, -1).entries()) {
              o[part] ??= /^\d+$/.test(path[i + 1]!) ? [] : {};
              o = o[part] as Record<string, unknown>;
            }
            o[path[path.length - 1]!] = v;
          }
        }
        pulumi.runtime.setAllConfig(
          Object.fromEntries(
            Object.entries(objects).map(([k, v]) => [
              `e2e:${k}`,
              typeof v === "string" ? v : JSON.stringify(v),
            ]),
          ),
          ["e2e:sshPrivateKey", "e2e:rootPassword"],
        );
      }, 900_000);
      afterAll(async () => {
        server?.close();
        await tb?.teardown();
      }, 300_000);

      it("deploys KES, MinIO on both nodes and a verified bucket; a second run changes nothing", async () => {
        const first = await runProgram(program, { statePath });
        expect(first.steps.every((x) => x.op === "create")).toBe(true);
        for (const h of tb.hosts.slice(1))
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
        const bucket = first.steps.find((x) => x.name === "invoices-minio1-bucket")!;
        expect(bucket.stdout).toBe("result: algorithm=sse-kms key=minio-invoices verified=true");
        const again = await runProgram(program, { statePath });
        expect(again.steps.filter((x) => x.op !== "same").map((x) => x.name)).toEqual([]);
      }, 900_000);
    },
  );

  const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-readme-engine-")));
  const skip = realEngineSkip(engine, "README first stack", { languageHost: true });

  describe.skipIf(skip !== undefined)(
    `README: the first stack deploys with the REAL engine (Node language host)${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      let tb: Testbed;
      let server: Server | undefined;
      let project: CliProject;

      beforeAll(async () => {
        tb = await bootTestbed(3);
        const served = await serveTestBinaries("real engine (README first stack)");
        server = served.server;
        project = cliProject(engine, dir, join(work, "state"));
        await project.run(["stack", "init", "dev"]);
        // The README's keys, with this testbed's values (on stdin: nothing on an argv).
        const values = configValues(tb, served.sources);
        expect(Object.keys(values).sort()).toEqual([...readmeKeys].sort());
        for (const l of commands.filter((c) => c.startsWith("pulumi config set"))) {
          const key = readmeKeys[commands.filter((c) => c.startsWith("pulumi config set")).indexOf(l)]!;
          const flags = l.includes("--secret") ? ["--secret"] : ["--path"];
          await project.run(["config", "set", ...flags, key], { input: values[key] });
        }
      }, 900_000);

      afterAll(async () => {
        server?.close();
        await tb?.teardown();
      }, 300_000);

      it("pulumi up deploys KES, MinIO on both nodes and a verified bucket", async () => {
        const up = await project.run(["up", "--yes"]);
        expect(up.stdout).toMatch(/Resources:\s*\n\s*\+ \d+ created/);
        for (const h of tb.hosts.slice(1))
          expect((await tb.exec(h, "systemctl is-active minio")).stdout.trim()).toBe("active");
        const out = JSON.parse((await project.run(["stack", "output", "--json"])).stdout);
        expect(out.bucketVerified).toBe(true);
        expect(out.s3Endpoints).toEqual(tb.hosts.slice(1).map((h) => `http://${h.address}:9000`));
      }, 600_000);

      it("a second pulumi up changes nothing and opens no SSH session", async () => {
        const before = await Promise.all(tb.hosts.map((h) => sshLogins(tb, h)));
        const up = await project.run(["up", "--yes"]);
        expect(up.stdout).toMatch(/Resources:\s*\n\s*\d+ unchanged/);
        expect(up.stdout).not.toMatch(/created|updated|replaced|deleted/);
        expect(await Promise.all(tb.hosts.map((h) => sshLogins(tb, h)))).toEqual(before);
      }, 600_000);
    },
  );
}
