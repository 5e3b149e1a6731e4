/**
 * Scenarios a–g (test/e2e/scenarioSuite.ts) on the REAL engine: the `pulumi` CLI with the real
 * `pulumi-resource-command` and `pulumi-resource-tls` plugins, against the same test hosts as the
 * harness. Runs whenever the plugins are installed (PATH or PULUMI_HOME); otherwise it says so in
 * the suite's name and in the log, and skips.
 */
import { scenarioSuite } from "../e2e/scenarioSuite";
import { engineSuite } from "./engine";

const { runner, skip } = engineSuite("scenarios a–g");
scenarioSuite(runner, skip);
