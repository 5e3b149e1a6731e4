/**
 * Day-two operations under load (test/e2e/operationsSuite.ts) on the REAL engine: the `pulumi` CLI
 * with the real command and tls plugins. Runs whenever the plugins are installed (PATH or
 * PULUMI_HOME); otherwise it says so in the suite's name and skips.
 */
import { operationsSuite } from "../e2e/operationsSuite";
import { engineSuite } from "./engine";

const { runner, skip } = engineSuite("operations scenario");
operationsSuite(runner, skip);
