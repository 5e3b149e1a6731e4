/**
 * The harness against the real engine: the same sequence of runs of the scenario program
 * (a fresh, b no-op, c preview and apply, e preview and apply, g a drift check with a repair) on
 * fresh hosts, once through each,
 * and the per-resource plans (create / update / replace / same / delete) of every run compared
 * exactly, as well as the order of the action steps (restarts, reloads, gates, mc steps) on each
 * host. Runs whenever the plugins are installed; otherwise it says so and skips.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serveTestBinaries } from "../../scripts/lib/binaries";
import { type RunResult, runProgram } from "../../scripts/lib/harness";
import { type ScenarioVariant, scenarioProgram } from "../e2e/programs";
import { bootScenarioHosts, scenarioEnv } from "../e2e/scenarioSuite";
import { findEngine, realEngineSkip, runEngine } from "./engine";

const work = mkdtempSync(join(tmpdir(), "mkt-diff-"));
const engine = findEngine(work);
const skip = realEngineSkip(engine, "differential");

const SEQUENCE: Array<{ label: string; variant: ScenarioVariant; preview?: boolean }> = [
  { label: "a. fresh", variant: {} },
  { label: "b. no-op", variant: {} },
  { label: "c. preview", variant: { change: true }, preview: true },
  { label: "c. apply", variant: { change: true } },
  { label: "e. preview", variant: { change: true, clientPolicy: "app" }, preview: true },
  { label: "e. apply", variant: { change: true, clientPolicy: "app" } },
  // A drift check with a repair: the checks are created, and the steps that write declared files
  // and the service steps run their update (the only updates since a files step's content
  // change replaces it).
  {
    label: "g. check and repair",
    variant: { change: true, clientPolicy: "app", drift: { request: "d1", repair: "r1" } },
  },
];

type Run = (program: () => void, opts: { statePath: string; preview?: boolean }) => Promise<RunResult>;

/** What one runner did in each run: the plan of every resource, and per host the action steps in the order they started. */
async function record(run: Run, dir: string) {
  const tb = await bootScenarioHosts();
  const served = await serveTestBinaries("differential");
  try {
    const env = scenarioEnv(tb, served.sources, join(dir, "pki"));
    const out: Record<string, { plans: Record<string, string>; actions: Record<string, string[]> }> = {};
    for (const r of SEQUENCE) {
      const result = await run(scenarioProgram(env, r.variant), {
        statePath: join(dir, "state.json"),
        preview: r.preview,
      });
      const plans = Object.fromEntries(result.steps.map((s) => [s.name, s.op]));
      const actions: Record<string, string[]> = {};
      for (const s of result.steps
        .filter(
          (x) =>
            x.startedAt !== undefined &&
            x.type === "command:remote:Command" &&
            ["service", "reload", "ready", "key", "bucket"].includes(x.name.split("-").slice(2).join("-")),
        )
        .sort((x, y) => x.startedAt! - y.startedAt!)) {
        const host = s.name.split("-")[1]!;
        actions[host] = [...(actions[host] ?? []), s.name];
      }
      out[r.label] = { plans, actions };
    }
    return out;
  } finally {
    served.server.close();
    await tb.teardown();
  }
}

describe.skipIf(skip !== undefined)(
  `the harness and the REAL engine agree${skip ? ` — SKIPPED: ${skip}` : ""}`,
  () => {
    it("on every resource's plan in scenarios a–c, e and g, and on the order of the action steps on each host", async () => {
      try {
        const harness = await record(runProgram, join(work, "harness"));
        const real = await record((p, o) => runEngine(engine, p, o), join(work, "engine"));
        for (const r of SEQUENCE) {
          expect(harness[r.label]!.plans, `${r.label}: plans`).toEqual(real[r.label]!.plans);
          expect(harness[r.label]!.actions, `${r.label}: action order per host`).toEqual(
            real[r.label]!.actions,
          );
        }
        // The comparison covers something: every kind of plan occurs.
        const all = SEQUENCE.flatMap((r) => Object.values(real[r.label]!.plans));
        for (const op of ["create", "update", "replace", "same"]) expect(all).toContain(op);
        console.log(
          `[real-engine] differential: ${SEQUENCE.map((r) => `${r.label} ${Object.keys(real[r.label]!.plans).length} resources`).join(", ")}`,
        );
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 1_200_000);
  },
);
