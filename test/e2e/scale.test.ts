/**
 * The scale scenario (./scaleSuite.ts) through the harness (scripts/lib/harness.ts): NOT the Pulumi
 * engine, but with the engine's parallelism limit. The same suite runs on the real engine in
 * test/real-engine/scale.test.ts when the plugins are installed.
 */
import { runProgram } from "../../scripts/lib/harness";
import { testbedSkipReason } from "../hosts/testbed";
import { scaleSuite } from "./scaleSuite";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`scale scenario skipped: ${skip}`);

scaleSuite({ label: "harness, not the engine", run: runProgram, deleteOutput: true }, skip);
