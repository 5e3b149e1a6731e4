/**
 * Scenarios a–g (./scenarioSuite.ts) through the harness (scripts/lib/harness.ts): NOT the Pulumi engine.
 * The same scenarios run on the real engine in test/real-engine when the plugins are installed.
 */

import { runProgram } from "../../scripts/lib/harness";
import { testbedSkipReason } from "../hosts/testbed";
import { scenarioSuite } from "./scenarioSuite";

// Outside CI a machine that cannot boot hosts skips with the reason; in CI this throws instead.
const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`e2e scenarios skipped: ${skip}`);

scenarioSuite({ label: "harness, not the engine", run: runProgram, deleteOutput: true }, skip);
