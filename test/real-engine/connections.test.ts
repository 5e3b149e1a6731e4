/**
 * The connections scenario (test/e2e/connectionsSuite.ts) on the REAL engine: the `pulumi` CLI with
 * the real command and tls plugins, whose command provider keeps each step's SSH client open until
 * the run ends. Runs whenever the plugins are installed (PATH or PULUMI_HOME); otherwise it says so
 * in the suite's name and skips.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionsSuite } from "../e2e/connectionsSuite";
import { findEngine, realEngineSkip, runEngine } from "./engine";

const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-engine-")));
const skip = realEngineSkip(engine, "connections scenario");

connectionsSuite(
  {
    label: "REAL engine",
    run: (program, opts) => runEngine(engine, program, opts),
    deleteOutput: false,
    pulumiFiles: (statePath) => `${statePath}.engine`,
  },
  skip,
);
