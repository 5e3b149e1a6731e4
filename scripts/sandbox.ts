/**
 * `npm run sandbox [up|down|status]`: boot one local Debian host (systemd-nspawn, 198.18.0.11 on
 * a private bridge), deploy the quickstart into it (KES with the filesystem keystore, MinIO, one
 * SSE-KMS bucket checked with `mc stat`), and print how to reach it and how to tear it down.
 *
 * Binaries: yours when MINIO_BINARY, KES_BINARY and MC_BINARY name files, else the project's
 * stand-ins (it says which). Deployment: with the real Pulumi engine when the `pulumi` CLI, the
 * `command` and `tls` provider plugins and the Node language host are installed (PATH or
 * PULUMI_HOME; scripts/lib/engine.ts): the README's way, `pulumi up` on the top-level
 * Pulumi.yaml with a local backend in the sandbox folder. Otherwise with the harness
 * (scripts/lib/harness.ts: the real program under the SDK's mocks, every step's exact script run
 * over SSH in dependency order). It says which. Needs Linux and root.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { deployQuickstart } from "../examples/quickstart/deploy";
import type { BinarySourceArgs } from "../lib";
import { locateBinaries, makeCertificates, serveBinaries } from "./lib/binaries";
import { cliProject } from "./lib/cli";
import { type EngineSetup, findEngine } from "./lib/engine";
import { runProgram } from "./lib/harness";

const ROOT = process.env.SANDBOX_DIR ?? "/var/lib/pulumi-minio-kes/sandbox";
const HOSTS = join(ROOT, "hosts");
const TESTBED = join(__dirname, "..", "test", "hosts", "testbed.sh");
const say = (s = "") => process.stdout.write(`${s}\n`);

function requireRootLinux(): void {
  if (process.platform !== "linux") throw new Error(`the sandbox needs Linux (this is ${process.platform})`);
  if (process.getuid?.() !== 0)
    throw new Error("the sandbox needs root (systemd-nspawn, a bridge); run it as root");
}

function hostsJson(): Array<{ name: string; address: string; hostKey: string }> {
  return JSON.parse(readFileSync(join(HOSTS, "hosts.json"), "utf8"));
}

async function up(): Promise<void> {
  requireRootLinux();
  mkdirSync(ROOT, { recursive: true, mode: 0o700 });
  if (!existsSync(join(HOSTS, "hosts.json"))) {
    say("booting one sandbox host (Debian bookworm, systemd) at 198.18.0.11 …");
    // The test hosts share one bridge: wait (up to 5 minutes) while another run holds it.
    for (let waited = 0; ; waited += 5) {
      const r = spawnSync("bash", [TESTBED, "up", HOSTS, "1"], { stdio: "inherit" });
      if (r.status === 0) break;
      if (r.status !== 75 || waited >= 300) throw new Error("booting the sandbox host failed (see above)");
      await new Promise((res) => setTimeout(res, 5000));
    }
  } else {
    say(`the sandbox host is already up (${HOSTS})`);
  }
  const host = hostsJson()[0]!;
  const privateKey = readFileSync(join(HOSTS, "id_ed25519"), "utf8");
  const passwordFile = join(ROOT, "root-password");
  if (!existsSync(passwordFile))
    writeFileSync(passwordFile, randomBytes(18).toString("base64url"), { mode: 0o600 });
  const rootPassword = readFileSync(passwordFile, "utf8").trim();

  const binaries = locateBinaries({
    minio: process.env.MINIO_BINARY,
    kes: process.env.KES_BINARY,
    mc: process.env.MC_BINARY,
  });
  say(`binaries: ${binaries.description}`);
  const engine = findEngine(join(ROOT, "engine"));
  const engineMissing = engine.missing ?? (engine.languageHost ? undefined : "no pulumi-language-nodejs");
  const { sources, server } = await serveBinaries(binaries.paths);
  try {
    if (engineMissing === undefined) {
      say(`engine: ${engine.description}`);
      say(
        "        running the top-level Pulumi.yaml (the quickstart) with `pulumi up`, its stack in the sandbox folder.",
      );
      await upWithEngine(engine, host, privateKey, rootPassword, sources);
    } else {
      say(`engine: the test HARNESS, not the Pulumi engine (${engineMissing}; docs/toolchain.md):`);
      say(
        "        applying the quickstart with the test harness: the real program, each step's script over SSH.",
      );
      const pki = makeCertificates(join(ROOT, "pki"), [{ name: "node1", address: host.address }]);
      const result = await runProgram(
        () =>
          void deployQuickstart({
            host: { name: "node1", address: host.address, hostKey: host.hostKey, privateKey },
            kesBinary: sources.kes,
            minioBinary: sources.minio,
            mcBinary: sources.mc,
            rootUser: "minioadmin",
            rootPassword,
            kesTls: { caCertPem: pki.ca, certificates: { node1: pki.certs.node1! } },
          }),
        { statePath: join(ROOT, "state.json") },
      );
      const ran = result.steps.filter((s) => s.op !== "same");
      say(`applied: ${ran.length} step(s) ran, ${result.steps.length - ran.length} unchanged`);
    }
  } finally {
    server.close();
  }
  say();
  say("MinIO is up, with server-side encryption through KES:");
  say(`  S3 API       http://${host.address}:9000   (console http://${host.address}:9001)`);
  say(`  user         minioadmin`);
  say(`  password     in ${passwordFile}`);
  say(
    `  mc           MC_HOST_sandbox="http://minioadmin:$(cat ${passwordFile})@${host.address}:9000" mc encrypt info sandbox/invoices`,
  );
  say(
    `  shell        ssh -i ${join(HOSTS, "id_ed25519")} -o UserKnownHostsFile=${join(HOSTS, "known_hosts")} root@${host.address}`,
  );
  say(`  bucket       invoices (SSE-KMS, key minio-invoices)`);
  say();
  if (engineMissing === undefined) {
    say("The stack (a local backend in the sandbox folder) is the top-level Pulumi.yaml's:");
    say(
      `  PULUMI_BACKEND_URL=file://${join(ROOT, "backend")} PULUMI_CONFIG_PASSPHRASE_FILE=${join(ROOT, "passphrase")} pulumi stack output --cwd ${join(ROOT, "project")}`,
    );
  } else {
    say("With the Pulumi CLI and the command/tls plugins, the same program deploys with the real engine:");
    say("  npm run build && (cd examples/quickstart && npm install), then at the top level:");
    say(`  pulumi config set --path host.address ${host.address}   (and the other keys of Pulumi.yaml)`);
  }
  say();
  say("Tear everything down:  npm run sandbox -- down");
}

/**
 * The README's way, on the real engine: build the package, install the quickstart's dependencies,
 * then `pulumi config set` and `pulumi up` on the top-level Pulumi.yaml, with a local backend and
 * a random passphrase in the sandbox folder.
 */
async function upWithEngine(
  engine: EngineSetup,
  host: { address: string; hostKey: string },
  privateKey: string,
  rootPassword: string,
  sources: Record<"minio" | "kes" | "mc", BinarySourceArgs>,
): Promise<void> {
  const repo = join(__dirname, "..");
  const run = (cmd: string, args: string[], cwd: string) =>
    execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
  run("npm", ["run", "--silent", "build"], repo);
  if (!existsSync(join(repo, "examples", "quickstart", "node_modules", "pulumi-minio-kes"))) {
    run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline"],
      join(repo, "examples", "quickstart"),
    );
  }
  const passphraseFile = join(ROOT, "passphrase");
  if (!existsSync(passphraseFile))
    writeFileSync(passphraseFile, randomBytes(24).toString("base64url"), { mode: 0o600 });
  // The top-level Pulumi.yaml, copied into the sandbox folder with `main` pointing back at the
  // quickstart, so the stack's own file (Pulumi.sandbox.yaml, with its encryption salt) is written
  // there and not into the repository.
  const projectDir = join(ROOT, "project");
  mkdirSync(projectDir, { recursive: true });
  const main = relative(projectDir, join(repo, "examples", "quickstart"));
  writeFileSync(
    join(projectDir, "Pulumi.yaml"),
    readFileSync(join(repo, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: ${main}/`),
  );
  const project = cliProject(engine, projectDir, ROOT, {
    passphrase: readFileSync(passphraseFile, "utf8").trim(),
  });
  await project.run(["stack", "select", "--create", "sandbox"]);
  const set = (key: string, value: string, secret = false) =>
    project.run(["config", "set", ...(secret ? ["--secret"] : ["--path"]), key], {
      input: value,
    });
  await set("host.name", "node1");
  await set("host.address", host.address);
  await set("host.hostKey", host.hostKey);
  await set("sshPrivateKey", privateKey, true);
  await set("rootPassword", rootPassword, true);
  for (const b of ["kes", "minio", "mc"] as const) {
    await set(`${b}Binary.url`, sources[b].url as string);
    await set(`${b}Binary.sha256`, sources[b].sha256!);
  }
  const up = await project.run(["up", "--yes"], { check: false });
  if (up.code !== 0)
    throw new Error(`pulumi up failed:\n${up.stdout.slice(-4000)}\n${up.stderr.slice(-2000)}`);
  const count = (re: RegExp) => [...up.stdout.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  const changed = count(/^\s*[+~-]+\s*(\d+) (?:created|updated|replaced|deleted)$/gm);
  const unchanged = count(/^\s*(\d+) unchanged$/gm);
  say(`applied: ${changed} step(s) ran, ${unchanged} unchanged (pulumi up, ${up.seconds.toFixed(1)} s)`);
}

function down(): void {
  requireRootLinux();
  if (existsSync(HOSTS)) execFileSync("bash", [TESTBED, "down", HOSTS], { stdio: "inherit" });
  rmSync(ROOT, { recursive: true, force: true });
  say("sandbox removed (host, bridge, keys, state)");
}

function status(): void {
  if (!existsSync(join(HOSTS, "hosts.json"))) {
    say("no sandbox (run: npm run sandbox)");
    return;
  }
  for (const h of hostsJson()) say(`${h.name} ${h.address} up (${HOSTS})`);
}

const cmd = process.argv[2] ?? "up";
(async () => {
  if (cmd === "up") await up();
  else if (cmd === "down") down();
  else if (cmd === "status") status();
  else throw new Error(`unknown command ${cmd}: use up, down or status`);
})().catch((e: Error) => {
  process.stderr.write(`sandbox: ${e.message}\n`);
  process.exit(1);
});
