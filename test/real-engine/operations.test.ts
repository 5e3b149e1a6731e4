/**
 * Day-two operations under load (test/e2e/operationsSuite.ts) on the REAL engine: the `pulumi` CLI
 * with the real command and tls plugins. Runs whenever the plugins are installed (PATH or
 * PULUMI_HOME); otherwise it says so in the suite's name and skips.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operationsSuite } from "../e2e/operationsSuite";
import { findEngine, realEngineSkip, runEngine } from "./engine";

const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-engine-")));
const skip = realEngineSkip(engine, "operations scenario");

operationsSuite(
  {
    label: "REAL engine",
    run: (program, opts) => runEngine(engine, program, opts),
    deleteOutput: false,
    pulumiFiles: (statePath) => `${statePath}.engine`,
  },
  skip,
);
