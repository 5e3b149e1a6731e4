/**
 * The library upgrade (./upgradeSuite.ts) through the harness (scripts/lib/harness.ts): NOT the
 * Pulumi engine. The same suite runs on the real engine in test/real-engine/upgrade.test.ts.
 */
import { runProgram } from "../../scripts/lib/harness";
import { testbedSkipReason } from "../hosts/testbed";
import { upgradeSuite } from "./upgradeSuite";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`upgrade scenario skipped: ${skip}`);

upgradeSuite({ label: "harness, not the engine", run: runProgram, deleteOutput: true }, skip);
