/**
 * The end-to-end harness. NOT the Pulumi engine.
 *
 * The real engine cannot run the library on this machine: the `command` and `tls` provider
 * plugins cannot be had from the Go module proxy (docs/toolchain.md). So the scenarios run the
 * library's real program with the real Pulumi Node SDK under `pulumi.runtime.setMocks`, and this
 * harness plays the provider side:
 *
 * - `command:remote:Command`: runs the step's exact `create`/`update` script with its exact
 *   `stdin` over real SSH (OpenSSH client) to `connection.host`, checking the server's key
 *   against `connection.hostKey` (StrictHostKeyChecking=yes). A non-zero exit fails the run,
 *   as a failed command fails `pulumi up`.
 * - create / update / replace / same are decided from the previous run's recorded inputs with the
 *   rules `@pulumi/command` documents (landscape.md §5.1): a change of `triggers` replaces
 *   (runs `create`); a change of any other input updates (runs `update`, else `create`); no change
 *   runs nothing.
 * - `tls:index/privateKey:PrivateKey`: generates the key with node:crypto once and keeps it while
 *   its inputs stay the same. Certificates come from the test setup (bring-your-own inputs), so no
 *   other tls resource may appear.
 *
 * Ordering is the SDK's own: a resource registers only after every resource it depends on has
 * answered, so a step runs only after the steps it depends on finished — as with the engine.
 */
import { spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** One executed or skipped step. */
export interface StepRecord {
  name: string;
  type: string;
  op: "create" | "update" | "replace" | "same" | "delete";
  host?: string;
  startedAt?: number;
  finishedAt?: number;
  stdout?: string;
}

interface StoredResource {
  type: string;
  name: string;
  /** Creation order, for deleting in reverse. */
  order: number;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

/** The harness's state between runs (a JSON file; it is not Pulumi state). */
export interface HarnessState {
  resources: Record<string, StoredResource>;
}

/** Options of one run. */
export interface RunOptions {
  /** Where the harness keeps its state between runs. */
  statePath: string;
  /** Only decide what would run (like a preview); execute nothing. */
  preview?: boolean;
}

/** What one run did. */
export interface RunResult {
  steps: StepRecord[];
  /** Names of resources in the previous state that this run no longer has. */
  deleted: string[];
}

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The SDK hands mocks secret values wrapped; the provider side sees plain values. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

function loadState(path: string): HarnessState {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as HarnessState) : { resources: {} };
}

/** Run `script` over SSH with `stdin`, as remote.Command does (`session.Run(script)`). */
export function sshRun(
  conn: { host: string; port?: number; user?: string; privateKey: string; hostKey?: string },
  script: string,
  stdin: string | undefined,
  timeoutMs = 600_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "e2e-ssh-"));
  const keyFile = join(dir, "key");
  writeFileSync(keyFile, conn.privateKey.endsWith("\n") ? conn.privateKey : `${conn.privateKey}\n`, {
    mode: 0o600,
  });
  const knownHosts = join(dir, "known_hosts");
  if (!conn.hostKey)
    throw new Error(`e2e: ${conn.host}: the harness refuses connections without a pinned hostKey`);
  const port = conn.port ?? 22;
  writeFileSync(knownHosts, `${port === 22 ? conn.host : `[${conn.host}]:${port}`} ${conn.hostKey}\n`);
  const args = [
    "-i",
    keyFile,
    "-p",
    String(port),
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${knownHosts}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=15",
    "-o",
    "LogLevel=ERROR",
    `${conn.user ?? "root"}@${conn.host}`,
    script,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(stdin ?? "");
  });
}

/** Run `program` once against the hosts its steps name. */
export async function runProgram(program: () => void | Promise<void>, opts: RunOptions): Promise<RunResult> {
  const previous = loadState(opts.statePath);
  const next: HarnessState = { resources: {} };
  const steps: StepRecord[] = [];
  const failures: Error[] = [];
  let order = 0;
  let inFlight = 0;

  await pulumi.runtime.setMocks(
    {
      newResource: async (a) => {
        inFlight++;
        try {
          return await provide(a);
        } catch (e) {
          // Like a failed step under the engine: nothing that depends on it runs. The
          // registration stays pending (a rejection would surface as unhandled errors).
          failures.push(e as Error);
          return new Promise<never>(() => {});
        } finally {
          inFlight--;
        }
      },
      call: (a) => a.inputs,
    },
    "e2e",
    "e2e",
    !!opts.preview,
  );

  async function provide(
    a: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string; state: Record<string, unknown> }> {
    const key = `${a.type}::${a.name}`;
    const prev = previous.resources[key];
    const inputs = unwrapSecrets(a.inputs) as Record<string, unknown>;
    // Component resources have no provider: nothing to do.
    if (!a.custom) return { id: `${a.name}-component`, state: inputs };
    if (a.type === "tls:index/privateKey:PrivateKey") {
      let outputs = prev && stable(prev.inputs) === stable(inputs) ? prev.outputs : undefined;
      if (!outputs) {
        const k =
          inputs.algorithm === "ED25519"
            ? generateKeyPairSync("ed25519")
            : generateKeyPairSync("ec", { namedCurve: "P-256" });
        outputs = { ...inputs, privateKeyPem: k.privateKey.export({ type: "pkcs8", format: "pem" }) };
      }
      next.resources[key] = { type: a.type, name: a.name, order: order++, inputs, outputs };
      return { id: a.name, state: outputs };
    }
    if (a.type.startsWith("tls:")) {
      throw new Error(
        `e2e: ${a.name}: ${a.type} is not available here; give the components bring-your-own certificates`,
      );
    }
    if (a.type !== "command:remote:Command") {
      throw new Error(`e2e: ${a.name}: unexpected resource type ${a.type}`);
    }
    let op: StepRecord["op"];
    if (!prev) op = "create";
    else if (stable(prev.inputs.triggers) !== stable(inputs.triggers)) op = "replace";
    else if (stable(prev.inputs) !== stable(inputs)) op = "update";
    else op = "same";
    const conn = inputs.connection as {
      host: string;
      port?: number;
      user?: string;
      privateKey: string;
      hostKey?: string;
    };
    const record: StepRecord = { name: a.name, type: a.type, op, host: conn.host };
    steps.push(record);
    if (op === "same" || opts.preview) {
      const outputs = op === "same" ? prev!.outputs : { ...inputs, stdout: "", stderr: "" };
      next.resources[key] = {
        type: a.type,
        name: a.name,
        order: order++,
        inputs,
        outputs: op === "same" ? outputs : (prev?.outputs ?? outputs),
      };
      return { id: a.name, state: outputs };
    }
    const script = String(op === "update" ? (inputs.update ?? inputs.create) : inputs.create);
    record.startedAt = Date.now();
    const r = await sshRun(conn, script, inputs.stdin as string | undefined);
    record.finishedAt = Date.now();
    record.stdout = inputs.logging === "none" ? "[hidden]" : r.stdout;
    if (r.code !== 0) {
      const err = new Error(
        `${a.name} (${op}) on ${conn.host} exited ${r.code}:\n${inputs.logging === "none" ? "[output hidden]" : `${r.stdout}\n${r.stderr}`}`,
      );
      failures.push(err);
      throw err;
    }
    const outputs = { ...inputs, stdout: r.stdout, stderr: r.stderr };
    next.resources[key] = { type: a.type, name: a.name, order: order++, inputs, outputs };
    return { id: a.name, state: outputs };
  }

  await program();
  // Wait until every registration (and so every step) has finished. After a failure the failed
  // step's registration never finishes: wait instead until nothing else is running.
  let settled = false;
  (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> })
    .waitForRPCs()
    .catch((e: Error) => failures.push(e))
    .finally(() => {
      settled = true;
    });
  for (let quiet = 0; !settled && quiet < 5; ) {
    await new Promise((r) => setTimeout(r, 100));
    quiet = failures.length > 0 && inFlight === 0 ? quiet + 1 : 0;
  }
  if (failures.length > 0) throw failures[0];
  // Resources gone from the program are deleted in reverse creation order, running their
  // `delete` script when they have one (as the engine and @pulumi/command do on destroy).
  const gone = Object.entries(previous.resources)
    .filter(([k]) => !(k in next.resources))
    .map(([, r]) => r)
    .sort((a, b) => b.order - a.order);
  for (const r of gone) {
    const script = r.inputs.delete as string | undefined;
    const conn = r.inputs.connection as Parameters<typeof sshRun>[0] | undefined;
    const record: StepRecord = { name: r.name, type: r.type, op: "delete", host: conn?.host };
    steps.push(record);
    if (opts.preview || !script || !conn) continue;
    record.startedAt = Date.now();
    const res = await sshRun(conn, script, undefined);
    record.finishedAt = Date.now();
    record.stdout = res.stdout;
    if (res.code !== 0)
      throw new Error(`${r.name} (delete) on ${conn.host} exited ${res.code}:\n${res.stdout}\n${res.stderr}`);
  }
  if (!opts.preview) writeFileSync(opts.statePath, JSON.stringify(next, null, 1), { mode: 0o600 });
  return { steps, deleted: gone.map((r) => r.name) };
}

/** SHA-256 of a file (for the binaries the hosts download). */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
