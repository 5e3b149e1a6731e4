/**
 * The published package, as a user gets it: `npm pack` (its `prepack` builds dist/), then the
 * tarball installed into an empty project with the peer dependencies at the versions in our
 * devDependencies, then:
 * - a copy of examples/quickstart (index.ts + deploy.ts) type-checks against it with the
 *   example's own tsconfig;
 * - a policy pack importing `pulumi-minio-kes/policy` type-checks (node16 resolution, which
 *   honours package.json "exports");
 * - `require("pulumi-minio-kes")` and `require("pulumi-minio-kes/policy")` load in Node and
 *   expose the documented names;
 * - `engines` and the peer ranges are what README.md says.
 *
 * Installs use the npm cache (`--prefer-offline`) and `--ignore-scripts` (no provider plugin
 * downloads). @pulumi/aws, an optional peer, is not installed: nothing here needs it.
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeSuite } from "./readme";
import { env, repoRoot, sh } from "./sh";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const policyPkg = JSON.parse(readFileSync(join(repoRoot, "policy", "package.json"), "utf8"));

const MAIN_NAMES = [
  "KmsTarget",
  "KesServer",
  "MinioDeployment",
  "EncryptedBucket",
  "CertificateAuthority",
  "KesIdentityError",
  "kesApiKeyFromPrivateKey",
  "kesIdentityFromApiKey",
  "kesIdentityFromCertificate",
  "render",
];
const POLICY_NAMES = [
  "createPolicyPack",
  "minioKesPolicies",
  "policyPackArgs",
  "POLICY_NAMES",
  "TYPES",
  "DEFAULTS",
  "DEFAULT_PACK_NAME",
];

/** Runs a server process until it prints its first stdout line, then stops it. */
function firstLine(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no output from ${args.join(" ")} in 60 s:\n${err}`));
    }, 60_000);
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        child.kill();
        resolve(out.split("\n")[0]!.trim());
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!out.includes("\n"))
        reject(new Error(`exited with ${code} before printing a port:\n${out}\n${err}`));
    });
  });
}

let work = "";
let project = "";
let packed: (v: string) => void;
const tarballReady = new Promise<string>((r) => {
  packed = r;
});
const timings: Record<string, number> = {};
async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await f();
  } finally {
    timings[label] = (Date.now() - t) / 1000;
  }
}

beforeAll(async () => {
  mkdirSync(join(repoRoot, "test", ".work"), { recursive: true });
  // Outside the repo's node_modules tree would be cleaner, but tmpdir may be small; the project
  // has its own node_modules, and Node stops at the first one it finds.
  work = mkdtempSync(join(repoRoot, "test", ".work", "pack-"));
  const out = await timed("npm pack (prepack: tsc build)", () =>
    sh("npm", ["pack", "--json", "--pack-destination", work], repoRoot),
  );
  const tarball = join(work, JSON.parse(out)[0].filename);
  packed(tarball);

  project = join(work, "consumer");
  mkdirSync(project);
  const dev = pkg.devDependencies as Record<string, string>;
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "consumer",
        version: "1.0.0",
        private: true,
        dependencies: {
          "pulumi-minio-kes": `file:${tarball}`,
          "@pulumi/pulumi": dev["@pulumi/pulumi"],
          "@pulumi/command": dev["@pulumi/command"],
          "@pulumi/tls": dev["@pulumi/tls"],
          "@pulumi/policy": dev["@pulumi/policy"],
        },
        devDependencies: {
          typescript: dev["typescript"],
          "@types/node": dev["@types/node"],
          // What policy/package.json lists for running a TypeScript policy pack.
          "ts-node": policyPkg.devDependencies["ts-node"],
        },
      },
      null,
      2,
    ),
  );
  await timed("npm install (tarball + peers, from cache)", () =>
    sh(
      "npm",
      ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
      project,
    ),
  );
}, 300_000);

afterAll(() => {
  console.log(`[pack] timings (s): ${JSON.stringify(timings)}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("npm package", () => {
  it("ships dist/ for both entry points, and no sources or tests", async () => {
    const installed = join(project, "node_modules", "pulumi-minio-kes");
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/policy/index.js", "dist/policy/index.d.ts"]) {
      expect(existsSync(join(installed, f)), f).toBe(true);
    }
    for (const f of ["lib", "test", "examples", "policy", "dist/index.ts"]) {
      expect(existsSync(join(installed, f)), f).toBe(false);
    }
  });

  it("type-checks a copy of examples/quickstart against the installed package", async () => {
    const dir = join(project, "quickstart");
    mkdirSync(dir);
    for (const f of ["index.ts", "deploy.ts", "tsconfig.json"]) {
      copyFileSync(join(repoRoot, "examples", "quickstart", f), join(dir, f));
    }
    await timed("tsc quickstart", () =>
      sh(join(project, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", dir], project),
    );
  }, 120_000);

  // The oldest and the newest TypeScript the package supports (TypeScript 7, the native
  // compiler, has no JavaScript API, which the Pulumi Node language host loads). With 6.0, the
  // examples' old "moduleResolution": "node" failed with TS5107; they use node16 now.
  it.each(["5.0.4", "6.0.3"])(
    "type-checks the quickstart with TypeScript %s and the example's own tsconfig",
    async (version) => {
      const ts = join(work, `typescript-${version}`);
      mkdirSync(ts);
      await timed(`npm install typescript@${version}`, () =>
        sh(
          "npm",
          [
            "install",
            "--prefix",
            ts,
            "--prefer-offline",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            `typescript@${version}`,
          ],
          project,
        ),
      );
      const dir = join(project, `quickstart-ts-${version}`);
      mkdirSync(dir);
      for (const f of ["index.ts", "deploy.ts", "tsconfig.json"]) {
        copyFileSync(join(repoRoot, "examples", "quickstart", f), join(dir, f));
      }
      const out = await timed(`tsc ${version} quickstart`, () =>
        sh(join(ts, "node_modules", ".bin", "tsc"), ["--version"], project).then(async (v) => {
          await sh(join(ts, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", dir], project);
          return v;
        }),
      );
      expect(out.trim()).toBe(`Version ${version}`);
    },
    300_000,
  );

  it("type-checks a policy pack that imports pulumi-minio-kes/policy", async () => {
    const dir = join(project, "policy");
    mkdirSync(dir);
    copyFileSync(join(repoRoot, "policy", "index.ts"), join(dir, "index.ts"));
    copyFileSync(join(repoRoot, "policy", "tsconfig.json"), join(dir, "tsconfig.json"));
    await timed("tsc policy pack", () =>
      sh(join(project, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", dir], project),
    );
  }, 120_000);

  it("starts policy/index.ts as a policy pack the way the Node.js language host does (ts-node)", async () => {
    const dir = join(project, "policy");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "policy", version: policyPkg.version }));
    copyFileSync(join(repoRoot, "policy", "PulumiPolicy.yaml"), join(dir, "PulumiPolicy.yaml"));
    // @pulumi/pulumi/cmd/run-policy-pack <engine> <dir>: registers ts-node, runs index.ts, and the
    // PolicyPack starts a gRPC server and prints its port. No engine is needed for that part.
    const runner = join(project, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    const port = await timed("policy pack start (ts-node)", () =>
      firstLine(process.execPath, [runner, "127.0.0.1:1", "."], dir),
    );
    expect(port).toMatch(/^\d+$/);
  }, 120_000);

  it("loads both entry points with require() and exposes the documented names", async () => {
    const out = await sh(
      process.execPath,
      [
        "-e",
        `const m = require("pulumi-minio-kes"), p = require("pulumi-minio-kes/policy");
         const policies = p.minioKesPolicies();
         console.log(JSON.stringify({
           main: Object.keys(m).sort(), policy: Object.keys(p).sort(),
           policyNames: policies.map((x) => x.name),
           levels: [...new Set(policies.map((x) => x.enforcementLevel))],
           component: typeof m.KesServer.isInstance,
         }));`,
      ],
      project,
    );
    const got = JSON.parse(out);
    expect(got.main).toEqual(expect.arrayContaining(MAIN_NAMES));
    expect(got.policy).toEqual(expect.arrayContaining(POLICY_NAMES));
    expect(got.policyNames).toHaveLength(5);
    expect(got.levels).toEqual(["mandatory"]);
    expect(got.component).toBe("function");
  });

  it("declares engines and peer ranges as README.md says", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(pkg.engines).toEqual({ node: ">=22" });
    expect(readme).toContain("Node.js ≥ 22");
    // README: "Peer dependencies: `@pulumi/pulumi` 3 (3.212 or later), `@pulumi/command` 1 (1.1 or
    // later; …), `@pulumi/tls` 5, and optionally `@pulumi/aws` 7 and `@pulumi/policy` 1."
    // The floors: 3.212 is the first @pulumi/pulumi with `replacementTrigger` (rotation), 1.1 the
    // first @pulumi/command with `connection.hostKey` (pinning).
    const claims: Record<string, { major: number; optional: boolean; floor?: string }> = {
      "@pulumi/pulumi": { major: 3, optional: false, floor: "3.212.0" },
      "@pulumi/command": { major: 1, optional: false, floor: "1.1.0" },
      "@pulumi/tls": { major: 5, optional: false },
      "@pulumi/aws": { major: 7, optional: true },
      "@pulumi/policy": { major: 1, optional: true },
    };
    expect(readme).toMatch(
      /Peer dependencies: `@pulumi\/pulumi` 3 \(3\.212 or later\), `@pulumi\/command` 1 \(1\.1 or later; .*?`@pulumi\/tls` 5, and optionally `@pulumi\/aws` 7 and `@pulumi\/policy` 1\./,
    );
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(Object.keys(claims).sort());
    for (const [name, c] of Object.entries(claims)) {
      const range = pkg.peerDependencies[name] as string;
      expect(semver.minVersion(range)?.major, `${name} ${range}`).toBe(c.major);
      expect(semver.intersects(range, `>=${c.major + 1}.0.0`), `${name} ${range} admits the next major`).toBe(
        false,
      );
      // The version we test with satisfies the range.
      expect(semver.satisfies(pkg.devDependencies[name], range), `${name}@${pkg.devDependencies[name]}`).toBe(
        true,
      );
      expect(pkg.peerDependenciesMeta?.[name]?.optional === true, `${name} optional`).toBe(c.optional);
      if (c.floor) expect(semver.minVersion(range)?.version, `${name} floor`).toBe(c.floor);
    }
  });
});

// README.md "Your first stack, from scratch", from the same tarball (./readme.ts).
readmeSuite(() => tarballReady);
