/**
 * The scale scenario (test/e2e/scaleSuite.ts) on the REAL engine: the `pulumi` CLI with the real
 * command and tls plugins, at `--parallel 2` and at the engine's default. Runs whenever the plugins
 * are installed (PATH or PULUMI_HOME); otherwise it says so in the suite's name and skips.
 */
import { scaleSuite } from "../e2e/scaleSuite";
import { engineSuite } from "./engine";

const { runner, skip } = engineSuite("scale scenario");
scaleSuite(runner, skip);
