/**
 * The real Pulumi engine as a runner of the end-to-end programs: the `pulumi` CLI with the real
 * `pulumi-resource-command` and `pulumi-resource-tls` plugins, found where a normal Pulumi install
 * puts them (on PATH, next to the CLI, or in PULUMI_HOME's plugin cache). Nothing here builds or
 * downloads a plugin: when they are missing, `findEngine` says so and the real-engine tests skip
 * loudly (docs/testing.md says how to run them against your own install).
 *
 * `runEngine` has the harness's signature (`runProgram` in scripts/lib/harness.ts) and returns the
 * same per-resource plans, read from the engine's own events, so every scenario runs on both.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  type EngineEvent,
  LocalWorkspace,
  type LocalWorkspaceOptions,
  PulumiCommand,
  type Stack,
} from "@pulumi/pulumi/automation";
import { type EngineSetup, engineEnv, findEngine } from "../../scripts/lib/engine";
import type { RunOptions, RunResult, StepRecord } from "../../scripts/lib/harness";
import type { Runner } from "../e2e/scenarioSuite";
import { testbedSkipReason } from "../hosts/testbed";

export { type EngineSetup, engineEnv, findEngine, pluginVersion } from "../../scripts/lib/engine";

/**
 * Why a real-engine test file cannot run here (the test hosts, the CLI and plugins, and with
 * `languageHost` the Node language host), or undefined when it can; printed either way.
 */
export function realEngineSkip(
  e: EngineSetup,
  what: string,
  opts: { languageHost?: boolean } = {},
): string | undefined {
  const skip =
    testbedSkipReason() ??
    e.missing ??
    (opts.languageHost && !e.languageHost
      ? "pulumi-language-nodejs not found on PATH, next to the CLI or in PULUMI_HOME"
      : undefined);
  console.warn(`[real-engine] ${what}: ${skip ? `NOT RUN: ${skip}` : e.description}`);
  return skip;
}

let cli: Promise<PulumiCommand> | undefined;
/** The Automation API's handle on the CLI. */
export function engineCli(e: EngineSetup): Promise<PulumiCommand> {
  cli ??= PulumiCommand.get({ root: dirname(e.cliDir!), skipVersionCheck: true });
  return cli;
}

/** Engine ops folded into the harness's five: a create-before-delete replace is one "replace". */
function fold(op: string): StepRecord["op"] | undefined {
  switch (op) {
    case "create":
    case "update":
    case "same":
    case "delete":
      return op;
    case "replace":
    case "create-replacement":
    case "delete-replaced":
      return "replace";
    default:
      return undefined;
  }
}

/** The failure of one `pulumi up`: the engine's diagnostic for the failed resource first. */
export class EngineRunError extends Error {
  constructor(
    message: string,
    /** What the run did before it failed. */
    readonly result: RunResult,
  ) {
    super(message);
  }
}

const stacks = new Map<string, Promise<Stack>>();

/** The stack behind a harness-style `statePath`: its own backend and PULUMI_HOME next to it. */
async function stackFor(
  e: EngineSetup,
  statePath: string,
  program: () => void | Promise<void>,
): Promise<Stack> {
  const root = `${statePath}.engine`;
  const opts: LocalWorkspaceOptions = {
    pulumiCommand: await engineCli(e),
    workDir: join(root, "project"),
    pulumiHome: join(root, "home"),
    envVars: engineEnv(e, join(root, "backend"), join(root, "home")),
  };
  for (const d of ["project", "home", "backend"]) mkdirSync(join(root, d), { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { projectName: "e2e", stackName: "e2e", program: async () => void (await program()) },
    opts,
  );
}

/**
 * Run `program` with the real engine: `pulumi up` (or `pulumi preview` with `opts.preview`), the
 * stack kept next to `opts.statePath`. Returns one record per resource the engine stepped on
 * (components excluded), in the order the engine began them.
 */
export async function runEngine(
  e: EngineSetup,
  program: () => void | Promise<void>,
  opts: RunOptions & { parallel?: number },
): Promise<RunResult> {
  if (e.missing) throw new Error(`the real engine cannot run: ${e.missing}`);
  // One workspace per state path; the program changes per run.
  const existing = stacks.get(opts.statePath);
  const stack = await (existing ?? stackFor(e, opts.statePath, program));
  if (!existing) stacks.set(opts.statePath, Promise.resolve(stack));
  (stack.workspace as LocalWorkspace).program = async () => void (await program());

  const events = collectEvents();
  const { onEvent } = events;
  try {
    if (opts.preview) await stack.preview({ onEvent, parallel: opts.parallel });
    else await stack.up({ onEvent, parallel: opts.parallel });
  } catch (err) {
    throw new EngineRunError(events.errorText() ?? String(err), events.result());
  }
  const result = events.result();
  // A preview's steps are plans: nothing ran, so nothing has a start or an end.
  if (opts.preview) {
    for (const s of result.steps) {
      s.startedAt = undefined;
      s.finishedAt = undefined;
    }
  }
  return result;
}

/** What the engine's events say about one run (Automation API `onEvent`, or `--event-log`). */
export function collectEvents(): {
  onEvent(ev: EngineEvent): void;
  result(): RunResult;
  /** The engine's error diagnostics for resources, `name: message`, in order; undefined when none. */
  errorText(): string | undefined;
  /** Every diagnostic, as the engine sent it. */
  diagnostics: Array<{ urn?: string; severity: string; message: string }>;
} {
  const steps = new Map<string, StepRecord>();
  const order: string[] = [];
  const deleted: string[] = [];
  const diagnostics: Array<{ urn?: string; severity: string; message: string }> = [];
  const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
  const onEvent = (ev: EngineEvent) => {
    const pre = ev.resourcePreEvent?.metadata;
    const out = ev.resOutputsEvent?.metadata;
    const failed = ev.resOpFailedEvent?.metadata;
    const d = ev.diagnosticEvent;
    if (d) diagnostics.push({ urn: d.urn, severity: d.severity, message: d.message });
    const meta = pre ?? out ?? failed;
    if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) return;
    // Components (the library's own types) have no provider step.
    if (meta.type.startsWith("minio-kes:")) return;
    const op = fold(meta.op);
    if (!op) return;
    const name = nameOf(meta.urn);
    let rec = steps.get(meta.urn);
    if (!rec) {
      const conn = (meta.new?.inputs ?? meta.old?.inputs)?.connection as { host?: unknown } | undefined;
      rec = { name, type: meta.type, op, host: typeof conn?.host === "string" ? conn.host : undefined };
      steps.set(meta.urn, rec);
      order.push(meta.urn);
    }
    if (pre && meta.op !== "delete-replaced" && meta.op !== "same") rec.startedAt ??= Date.now();
    if (out) {
      if (meta.op !== "delete-replaced") rec.finishedAt = Date.now();
      const stdout = out.new?.outputs?.stdout;
      if (typeof stdout === "string") rec.stdout = stdout;
    }
    if (op === "delete" && pre && !deleted.includes(name)) deleted.push(name);
  };
  return {
    onEvent,
    diagnostics,
    result: () => ({ steps: order.map((u) => steps.get(u)!), deleted }),
    errorText: () => {
      const errors = diagnostics.filter((x) => x.urn && x.severity === "error");
      return errors.length > 0
        ? errors.map((x) => `${nameOf(x.urn!)}: ${x.message.trim()}`).join("\n")
        : undefined;
    },
  };
}

/**
 * The real engine as the runner of a host suite (test/e2e/*Suite.ts), with its own work folder,
 * and why the suite skips (no plugins, no test hosts), if it does.
 */
export function engineSuite(what: string): { runner: Runner; skip: string | undefined } {
  const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-engine-")));
  return {
    runner: {
      label: "REAL engine",
      run: (program, opts) => runEngine(engine, program, opts),
      deleteOutput: false,
      pulumiFiles: (statePath) => `${statePath}.engine`,
    },
    skip: realEngineSkip(engine, what),
  };
}
