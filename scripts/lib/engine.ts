/**
 * Where the real Pulumi engine is on this machine: the `pulumi` CLI (on PATH, or the project's
 * own build from the Go module proxy, scripts/toolchain/build.sh) and the `command` and `tls`
 * provider plugins and the Node language host, found where a normal Pulumi install puts them
 * (PATH, next to the CLI, PULUMI_HOME's plugin cache). Nothing here builds or downloads a plugin.
 * Used by the real-engine tests (test/real-engine) and by `npm run sandbox`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

const repoRoot = join(__dirname, "..", "..");

/** The plugin versions the SDKs ask for: their npm package versions. */
export function pluginVersion(pkg: "@pulumi/command" | "@pulumi/tls"): string {
  return JSON.parse(readFileSync(join(repoRoot, "node_modules", pkg, "package.json"), "utf8")).version;
}

/** Where a plugin binary is, looked up as the engine does: PATH, next to the CLI, PULUMI_HOME. */
function locate(
  binary: string,
  cacheDir: string | undefined,
  cliDir: string | undefined,
): string | undefined {
  for (const d of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    if (existsSync(join(d, binary))) return join(d, binary);
  }
  if (cliDir && existsSync(join(cliDir, binary))) return join(cliDir, binary);
  const home = process.env.PULUMI_HOME ?? join(homedir(), ".pulumi");
  if (cacheDir) {
    const p = join(home, "plugins", cacheDir, binary);
    if (existsSync(p)) return p;
  } else if (existsSync(join(home, "plugins"))) {
    // The language host: any cached version (the CLI uses the one bundled with it).
    for (const d of readdirSync(join(home, "plugins")).filter((n) => n.startsWith("language-nodejs-"))) {
      if (existsSync(join(home, "plugins", d, binary))) return join(home, "plugins", d, binary);
    }
  }
  return undefined;
}

/** The engine on this machine, or why it cannot run. */
export interface EngineSetup {
  /** Set when the engine cannot run the library here; the tests print it and skip. */
  missing?: string;
  /** The directory holding `pulumi`. */
  cliDir?: string;
  /** A directory with links to the plugins, put first on the engine's PATH. */
  pluginDir?: string;
  /** `pulumi-language-nodejs`, for real `pulumi up` of a TypeScript project (not only inline programs). */
  languageHost?: string;
  /** One line for the test log: what runs, from where. */
  description: string;
}

/** The project's CLI (scripts/toolchain/build.sh: built from the Go module proxy, cached) or one on PATH. */
function cliBinDir(): string | undefined {
  const onPath = locate("pulumi", undefined, undefined);
  if (onPath) return dirname(onPath);
  try {
    const out = execFileSync("bash", [join(repoRoot, "scripts", "toolchain", "build.sh")], {
      env: { ...process.env, PULUMI_TOOLCHAIN_SKIP_PROBE: "1" },
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = out.toString().trim().split("\n");
    return lines[lines.length - 1]!.trim();
  } catch {
    return undefined;
  }
}

let found: EngineSetup | undefined;

/**
 * Find the CLI and the plugins (once per test process; synchronous, so a test file can decide at
 * collection time whether its real-engine tests run). `workDir` receives the plugin links.
 */
export function findEngine(workDir: string): EngineSetup {
  if (found) return found;
  const commandV = pluginVersion("@pulumi/command");
  const tlsV = pluginVersion("@pulumi/tls");
  const binDir = cliBinDir();
  const command = locate("pulumi-resource-command", `resource-command-v${commandV}`, binDir);
  const tls = locate("pulumi-resource-tls", `resource-tls-v${tlsV}`, binDir);
  const host = locate("pulumi-language-nodejs", undefined, binDir);
  const lacking = [
    binDir ? undefined : "the pulumi CLI",
    command ? undefined : `pulumi-resource-command (v${commandV})`,
    tls ? undefined : `pulumi-resource-tls (v${tlsV})`,
  ].filter(Boolean);
  if (lacking.length > 0) {
    found = {
      missing: `${lacking.join(" and ")} not found on PATH, next to the CLI or in ${process.env.PULUMI_HOME ?? "~/.pulumi"}/plugins`,
      description: "the real engine did NOT run",
    };
    return found;
  }
  const pluginDir = join(workDir, "plugins");
  mkdirSync(pluginDir, { recursive: true });
  const links: Array<[string, string | undefined]> = [
    ["pulumi-resource-command", command],
    ["pulumi-resource-tls", tls],
    ["pulumi-language-nodejs", host],
  ];
  for (const [name, target] of links) {
    if (target && !existsSync(join(pluginDir, name))) symlinkSync(target, join(pluginDir, name));
  }
  found = {
    cliDir: binDir,
    pluginDir,
    languageHost: host,
    description: `the REAL engine: ${join(binDir!, "pulumi")} with ${command} and ${tls}${host ? ` and ${host}` : " (no language host)"}`,
  };
  return found;
}

/** Environment of every engine run: a file backend, the passphrase manager, no downloads. */
export function engineEnv(e: EngineSetup, backend: string, home: string): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "real-engine-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "1",
    PULUMI_HOME: home,
    PATH: `${e.pluginDir}${delimiter}${process.env.PATH ?? ""}`,
  };
}
