/**
 * The end-to-end programs (test/e2e/programs.ts) as a real Pulumi project on disk: `Pulumi.yaml`
 * (nodejs, TypeScript), an `index.ts` that builds the program from a JSON input, and the
 * repository's node_modules. The `pulumi` CLI runs it through the Node language host, as a user
 * runs `pulumi up`: the CLI is a process of its own (so a test can kill it), its text output is
 * what a user reads (`pulumi preview --diff`), and `--event-log` gives the per-resource plans.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll } from "vitest";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { type CliProject, cliProject } from "../../scripts/lib/cli";
import type { RunResult } from "../../scripts/lib/harness";
import type { ScenarioEnv, ScenarioVariant, TlsEnv } from "../e2e/programs";
import { bootScenarioHosts, scenarioEnv } from "../e2e/scenarioSuite";
import type { Testbed } from "../hosts/testbed";
import { collectEvents, type EngineSetup } from "./engine";

const repoRoot = join(__dirname, "..", "..");

/** Which program, with what. */
export type ProgramInput =
  | { kind: "scenario"; env: ScenarioEnv; variant?: ScenarioVariant }
  | { kind: "tls"; env: TlsEnv };

/** One CLI run of the project. */
export interface ProjectRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Per-resource plans from the engine's events. */
  result: RunResult;
  /** The engine's error diagnostics for resources, `name: message`; undefined when none. */
  errorText?: string;
}

export interface ProgramProject {
  cli: CliProject;
  /**
   * `pulumi up --yes` (or `pulumi preview`, with `extra` flags such as `--diff`). `onEvent` sees
   * each engine event as it is written; `kill` returns true to SIGKILL the CLI at that event.
   */
  run(
    input: ProgramInput,
    opts?: { preview?: boolean; extra?: string[]; kill?: (ev: EngineEvent) => boolean },
  ): Promise<ProjectRun>;
}

/**
 * The `Pulumi.yaml` and `tsconfig.json` of a TypeScript project in `dir` (created), run by the Node
 * language host; the program itself (`index.ts`) is the caller's.
 */
export function writeTypeScriptProject(dir: string, name: string, description: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\ndescription: ${description}\n`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        // Both, or the language host's defaults (nodenext) clash with the one given.
        module: "node16",
        moduleResolution: "node16",
        esModuleInterop: true,
        skipLibCheck: true,
      },
      files: ["index.ts"],
    }),
  );
}

/** Write the project under `root` and bind it to a local backend there. */
export async function programProject(e: EngineSetup, root: string): Promise<ProgramProject> {
  const dir = join(root, "project");
  writeTypeScriptProject(dir, "e2e", "the end-to-end programs of pulumi-minio-kes");
  writeFileSync(
    join(dir, "index.ts"),
    `import { readFileSync } from "node:fs";
import { scenarioProgram, tlsProgram } from ${JSON.stringify(join(repoRoot, "test", "e2e", "programs"))};
const input = JSON.parse(readFileSync(${JSON.stringify(join(dir, "input.json"))}, "utf8"));
(input.kind === "tls" ? tlsProgram(input.env) : scenarioProgram(input.env, input.variant))();
`,
  );
  if (!existsSync(join(dir, "node_modules")))
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  const cli = cliProject(e, dir, join(root, "state"));
  await cli.run(["stack", "select", "--create", "e2e"]);
  const eventLog = join(root, "events.jsonl");
  return {
    cli,
    async run(input, opts = {}) {
      writeFileSync(join(dir, "input.json"), JSON.stringify(input), { mode: 0o600 });
      rmSync(eventLog, { force: true });
      const events = collectEvents();
      const args = opts.preview
        ? ["preview", "--event-log", eventLog, ...(opts.extra ?? [])]
        : ["up", "--yes", "--event-log", eventLog, ...(opts.extra ?? [])];
      const started = Date.now();
      const p = spawn(join(e.cliDir!, "pulumi"), [...args, "--non-interactive", "--color", "never"], {
        cwd: dir,
        // --event-log is one of the CLI's debug flags (the Automation API sets the same variable).
        env: { ...cli.env, PULUMI_DEBUG_COMMANDS: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      // Follow the event log as the CLI writes it.
      let read = 0;
      let killed = false;
      const poll = () => {
        if (!existsSync(eventLog)) return;
        const text = readFileSync(eventLog, "utf8");
        const complete = text.lastIndexOf("\n") + 1;
        for (const line of text.slice(read, complete).split("\n").filter(Boolean)) {
          const ev = JSON.parse(line) as EngineEvent;
          events.onEvent(ev);
          if (!killed && opts.kill?.(ev)) {
            killed = true;
            p.kill("SIGKILL");
          }
        }
        read = complete;
      };
      const timer = setInterval(poll, 50);
      const code = await new Promise<number>((resolve) =>
        p.on("close", (c, signal) => resolve(c ?? (signal ? 128 + 9 : -1))),
      );
      clearInterval(timer);
      poll();
      return {
        code,
        stdout,
        stderr,
        seconds: (Date.now() - started) / 1000,
        result: events.result(),
        errorText: events.errorText(),
      };
    },
  };
}

/** The scenario hosts with the scenario program as a project, for one `describe` block. */
export interface ScenarioProjectFixture {
  readonly tb: Testbed;
  readonly env: ScenarioEnv;
  readonly project: ProgramProject;
}

/**
 * Boot the scenario hosts (2 KES, 3 MinIO), serve the stand-ins and write the project in
 * `beforeAll`; tear everything down (and remove `work`) in `afterAll`. Call inside `describe`.
 */
export function scenarioProjectFixture(e: EngineSetup, work: string): ScenarioProjectFixture {
  let tb: Testbed | undefined;
  let server: Server | undefined;
  let env: ScenarioEnv | undefined;
  let project: ProgramProject | undefined;
  beforeAll(async () => {
    tb = await bootScenarioHosts();
    const served = await serveTestBinaries("real engine (scenario project)");
    server = served.server;
    env = scenarioEnv(tb, served.sources, join(work, "pki"));
    project = await programProject(e, join(work, "project"));
  }, 900_000);
  afterAll(async () => {
    server?.close();
    await tb?.teardown();
    rmSync(work, { recursive: true, force: true });
  }, 300_000);
  return {
    get tb() {
      return tb!;
    },
    get env() {
      return env!;
    },
    get project() {
      return project!;
    },
  };
}
