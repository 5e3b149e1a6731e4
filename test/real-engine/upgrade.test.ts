/**
 * The library upgrade (test/e2e/upgradeSuite.ts) on the REAL engine: the `pulumi` CLI with the
 * real command and tls plugins. Runs whenever the plugins are installed (PATH or PULUMI_HOME);
 * otherwise it says so in the suite's name and skips.
 */
import { upgradeSuite } from "../e2e/upgradeSuite";
import { engineSuite } from "./engine";

const { runner, skip } = engineSuite("library upgrade");
upgradeSuite(runner, skip);
