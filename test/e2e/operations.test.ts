/**
 * Day-two operations under load (./operationsSuite.ts) through the harness (scripts/lib/harness.ts):
 * NOT the Pulumi engine. The same suite runs on the real engine in
 * test/real-engine/operations.test.ts when the plugins are installed.
 */
import { runProgram } from "../../scripts/lib/harness";
import { testbedSkipReason } from "../hosts/testbed";
import { operationsSuite } from "./operationsSuite";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`operations scenario skipped: ${skip}`);

operationsSuite({ label: "harness, not the engine", run: runProgram, deleteOutput: true }, skip);
