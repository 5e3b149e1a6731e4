/**
 * The connections scenario (./connectionsSuite.ts) through the harness (scripts/lib/harness.ts):
 * NOT the Pulumi engine, but holding each step's SSH connection until the run ends, as the
 * provider does. The same suite runs on the real engine in test/real-engine/connections.test.ts.
 */
import { runProgram } from "../../scripts/lib/harness";
import { testbedSkipReason } from "../hosts/testbed";
import { connectionsSuite } from "./connectionsSuite";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`connections scenario skipped: ${skip}`);

connectionsSuite({ label: "harness, not the engine", run: runProgram, deleteOutput: true }, skip);
