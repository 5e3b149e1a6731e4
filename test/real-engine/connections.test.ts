/**
 * The connections scenario (test/e2e/connectionsSuite.ts) on the REAL engine: the `pulumi` CLI with
 * the real command and tls plugins, whose command provider keeps each step's SSH client open until
 * the run ends. Runs whenever the plugins are installed (PATH or PULUMI_HOME); otherwise it says so
 * in the suite's name and skips.
 */
import { connectionsSuite } from "../e2e/connectionsSuite";
import { engineSuite } from "./engine";

const { runner, skip } = engineSuite("connections scenario");
connectionsSuite(runner, skip);
