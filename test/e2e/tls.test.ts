/**
 * MinIO over TLS (./tlsSuite.ts) through the harness (scripts/lib/harness.ts): NOT the Pulumi engine.
 * The same tests run on the real engine in test/real-engine when the plugins are installed.
 */

import { runProgram } from "../../scripts/lib/harness";
import { testbedSkipReason } from "../hosts/testbed";
import { tlsSuite } from "./tlsSuite";

const skip = testbedSkipReason();
if (skip !== undefined) console.warn(`TLS e2e skipped: ${skip}`);

tlsSuite({ label: "harness, not the engine", run: runProgram, deleteOutput: true }, skip);
