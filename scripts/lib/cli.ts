/**
 * The `pulumi` CLI as a user runs it on a project directory (a real `Pulumi.yaml`, the Node
 * language host, `pulumi config set`, `pulumi up`), with a file backend and the passphrase
 * secrets manager. Used by the real-engine tests of the top-level project and of the sandbox.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type EngineSetup, engineEnv } from "./engine";

/** What one CLI call printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time, seconds. */
  seconds: number;
}

/** A project directory bound to its own backend and PULUMI_HOME under `stateDir`. */
export interface CliProject {
  dir: string;
  env: Record<string, string>;
  run(args: string[], opts?: { input?: string; check?: boolean; timeoutMs?: number }): Promise<CliResult>;
}

/** Bind `dir` (holding a Pulumi.yaml) to a local backend in `stateDir`. */
export function cliProject(
  e: EngineSetup,
  dir: string,
  stateDir: string,
  opts: { passphrase?: string } = {},
): CliProject {
  const backend = join(stateDir, "backend");
  const home = join(stateDir, "home");
  mkdirSync(backend, { recursive: true });
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...engineEnv(e, backend, home),
    ...(opts.passphrase ? { PULUMI_CONFIG_PASSPHRASE: opts.passphrase } : {}),
    PULUMI_SKIP_CONFIRMATIONS: "true",
    NO_COLOR: "1",
  };
  const pulumi = join(e.cliDir!, "pulumi");
  return {
    dir,
    env,
    run(args, opts = {}) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const p = spawn(pulumi, [...args, "--non-interactive", "--color", "never"], {
          cwd: dir,
          env,
          stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => {
          clearTimeout(timer);
          const r = { code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 };
          if ((opts.check ?? true) && r.code !== 0) {
            reject(
              new Error(
                `pulumi ${args.join(" ")} exited ${r.code}:\n${stdout.slice(-6000)}\n${stderr.slice(-3000)}`,
              ),
            );
          } else resolve(r);
        });
        p.stdin.on("error", () => {}); // the CLI may exit before reading its input; its status tells
        p.stdin.end(opts.input ?? "");
      });
    },
  };
}
