/**
 * Scenarios a–g (test/e2e/scenarioSuite.ts) on the REAL engine: the `pulumi` CLI with the real
 * `pulumi-resource-command` and `pulumi-resource-tls` plugins, against the same test hosts as the
 * harness. Runs whenever the plugins are installed (PATH or PULUMI_HOME); otherwise it says so in
 * the suite's name and in the log, and skips.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scenarioSuite } from "../e2e/scenarioSuite";
import { findEngine, realEngineSkip, runEngine } from "./engine";

const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-engine-")));
const skip = realEngineSkip(engine, "scenarios a–g");

scenarioSuite(
  {
    label: "REAL engine",
    run: (program, opts) => runEngine(engine, program, opts),
    deleteOutput: false,
    pulumiFiles: (statePath) => `${statePath}.engine`,
  },
  skip,
);
