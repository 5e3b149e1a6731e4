/**
 * The library upgrade (test/e2e/upgradeSuite.ts) on the REAL engine: the `pulumi` CLI with the
 * real command and tls plugins. Runs whenever the plugins are installed (PATH or PULUMI_HOME);
 * otherwise it says so in the suite's name and skips.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { upgradeSuite } from "../e2e/upgradeSuite";
import { findEngine, realEngineSkip, runEngine } from "./engine";

const engine = findEngine(mkdtempSync(join(tmpdir(), "mkt-engine-")));
const skip = realEngineSkip(engine, "library upgrade");

upgradeSuite(
  {
    label: "REAL engine",
    run: (program, opts) => runEngine(engine, program, opts),
    deleteOutput: false,
    pulumiFiles: (statePath) => `${statePath}.engine`,
  },
  skip,
);
