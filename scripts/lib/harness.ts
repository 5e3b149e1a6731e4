/**
 * The end-to-end harness. NOT the Pulumi engine.
 *
 * It runs the library's real program with the real Pulumi Node SDK under
 * `pulumi.runtime.setMocks` and plays the engine and the provider side, following what the real
 * engine (CLI v3.274.1) and plugins (`pulumi-resource-command` 1.2.1, `pulumi-resource-tls` 5.6.1)
 * were seen to do. The same scenarios run on the real engine in test/real-engine whenever the
 * plugins are installed, and test/real-engine/differential.test.ts compares the two. Rules, each
 * with the source it follows:
 *
 * - **A preview before every apply**, with every output a provider computes left unknown for the
 *   resources that are created, updated or replaced (the engine previews before `pulumi up`
 *   unless told `--skip-preview`; the SDK marks missing outputs unknown in a dry run).
 * - **The providers' Check rules** on the inputs as the engine receives them (the wire form):
 *   scripts/lib/providerRules.ts (a secret with an unknown value in a list; the tls enums). A
 *   violation fails the run before anything runs, as Check does.
 * - `command:remote:Command` (pulumi-command `provider/pkg/provider/remote`): a change of
 *   `triggers` replaces, running `create`; a change of any other input updates, running
 *   `update` (else `create`); no change runs nothing. The script runs with its exact `stdin`
 *   over real SSH (OpenSSH client, the pinned host key, StrictHostKeyChecking=yes). A failure
 *   reads as the provider's (`commandOutputs.go`: `%w: running %q:\n<stdout and stderr>`, `%w`
 *   being x/crypto/ssh's `Process exited with status N`), whatever `logging` says.
 * - **Replaces are create-before-delete**: the new `create` runs in the update, and the replaced
 *   resource's `delete` runs at the end, with the deletes of removed resources, in reverse order.
 * - **A failed update keeps its progress**: no new step starts after a failure (steps already
 *   running finish); the state records every step that finished, keeps the previous state of the
 *   rest, and owes the deletes that did not run to the next update.
 * - `replacementTrigger` (a resource option): a change replaces the resource, as the engine's
 *   `shouldTriggerReplace` decides (pkg/resource/deploy/step_generator.go): an unset trigger on
 *   either side (none before, or none now) replaces nothing; an unknown one always replaces.
 * - `tls:*` resources: keys from node:crypto, requests and certificates from OpenSSL with the
 *   inputs the tls provider reads (subject, SANs, validity, `allowedUses`, CA flag), kept while
 *   the inputs stay the same; any input change replaces them (the provider forces new on all).
 *
 * - SSH dials: a failure to connect is retried as the provider retries it (`sshRun`).
 * - **SSH connections held until the run ends**: the provider never closes a command's client
 *   (`remote/commandOutputs.go`), so each step that ran holds its connection until the provider
 *   exits; the harness keeps each one open as an OpenSSH ControlMaster (`HeldConnections`).
 * - **The engine's parallelism limit** (`--parallel`; default `PULUMI_PARALLEL`, else
 *   4 × GOMAXPROCS: pulumi `pkg/cmd/pulumi/operations/up.go` `defaultParallel`): at most that many steps run at once; a step
 *   whose dependencies are not done does not hold a slot (the SDK registers it only once they
 *   are), a running one holds its slot until its provider operation returns.
 * - `command:local:Command` (pulumi-command `provider/pkg/provider/local`): without any command a
 *   no-op (no `create` → nothing runs; the library's barriers); otherwise `/bin/sh -c <create>`
 *   (or `update`) on this machine with its `stdin`, a failure reading
 *   `exit status N: running %q:\n<output>` (`commandOutputs.go`).
 *
 * Not modelled: the timing of a dial that hangs, refresh, stack locks, and the engine's own state
 * file format.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { providerViolations, SECRET_SIG, UNKNOWN } from "./providerRules";

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
  /** The `replacementTrigger` resource option, as last applied. */
  replacementTrigger?: unknown;
}

/** The harness's state between runs (a JSON file; it is not Pulumi state). */
export interface HarnessState {
  resources: Record<string, StoredResource>;
  /** Replaced or removed resources whose delete did not run yet (after a failed update). */
  pendingDeletes?: StoredResource[];
}

/** Options of one run. */
export interface RunOptions {
  /** Where the harness keeps its state between runs. */
  statePath: string;
  /** Only decide what would run (like a preview); execute nothing. */
  preview?: boolean;
  /** The engine's `--parallel`: at most this many steps run at once. Default: 4 × CPUs, as the engine. */
  parallel?: number;
}

/** The engine's default `--parallel`: `PULUMI_PARALLEL` when set, else 4 × the CPUs. */
export const defaultParallel = (): number => {
  const p = Number(process.env.PULUMI_PARALLEL);
  return Number.isInteger(p) && p > 0 ? p : 4 * availableParallelism();
};

/** A counting semaphore: the engine's step workers. */
function slots(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: Array<() => void> = [];
  return async (f) => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await f();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
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

/** The wire form with secret wrappers removed (unknown sentinels stay): what the provider diffs. */
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

/**
 * The SSH connections a run holds until it ends. pulumi-command 1.2.1 dials a client for each
 * command and never closes it (`provider/pkg/provider/remote/commandOutputs.go`: only the session
 * is closed), so a host holds one connection per step that ran on it until the provider exits at
 * the end of the run. The harness does the same: each command's connection is an OpenSSH
 * ControlMaster that stays open (`ControlPersist=yes`) until {@link HeldConnections.closeAll}.
 */
export class HeldConnections {
  private readonly dir = mkdtempSync(join(tmpdir(), "e2e-cm-"));
  private readonly sockets: { path: string; target: string }[] = [];

  /** A new control socket for a connection to `target` (`user@host`). */
  socket(target: string): string {
    const path = join(this.dir, `c${this.sockets.length + 1}`);
    this.sockets.push({ path, target });
    return path;
  }

  /** Close every connection the run holds, as the provider's exit does. */
  async closeAll(): Promise<void> {
    const open = this.sockets.splice(0).filter((s) => existsSync(s.path));
    await Promise.all(
      open.map((s) =>
        runCollecting("ssh", ["-o", `ControlPath=${s.path}`, "-O", "exit", s.target], undefined, 10_000),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Run `script` over SSH with `stdin`, as remote.Command does (`session.Run(script)`). */
export function sshRunOnce(
  conn: { host: string; port?: number; user?: string; privateKey: string; hostKey?: string },
  script: string,
  stdin: string | undefined,
  timeoutMs = 600_000,
  held?: HeldConnections,
): Promise<{ code: number; stdout: string; stderr: string; both: string }> {
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
  ];
  const target = `${conn.user ?? "root"}@${conn.host}`;
  if (held)
    args.push(
      "-o",
      "ControlMaster=yes",
      "-o",
      "ControlPersist=yes",
      "-o",
      `ControlPath=${held.socket(target)}`,
    );
  args.push(target, script);
  return runCollecting("ssh", args, stdin, timeoutMs).finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
}

/** Run a process with `stdin`, collecting its stdout, stderr and both interleaved; SIGKILL after `timeoutMs`. */
function runCollecting(
  cmd: string,
  args: string[],
  stdin: string | undefined,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string; both: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let both = "";
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.stdout.on("data", (d) => {
      stdout += d;
      both += d;
    });
    p.stderr.on("data", (d) => {
      stderr += d;
      both += d;
    });
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, both });
    });
    // A script that exits before reading all of its stdin can close the pipe before the write
    // ends (EPIPE, seen in CI as an uncaught exception): ignore it; the exit status says how the
    // step went.
    p.stdin.on("error", () => {});
    p.stdin.end(stdin ?? "");
  });
}

/** ssh's words for a failure to connect (before the command ran), as opposed to the command's own exit. */
const DIAL_FAILURE =
  /^(ssh: connect to host |kex_exchange_identification: |banner exchange: |Connection (closed|reset) by [^\n]* port \d+|Host key verification failed|[^\n]*Permission denied \()/m;

/**
 * Run `script` over SSH as remote.Command does, dialling as its connection does: a failure to
 * connect is retried until the dials exceed `dialErrorLimit` (default 10), 100 ms apart growing
 * 1.5x to at most 5 s, then reported as `after N failed attempts: <error>` (pulumi-command
 * `provider/pkg/provider/remote/connection.go` dialWithRetry; pulumi `sdk/go/common/util/retry`).
 * Stock sshd drops connections beyond `MaxStartups 10:30:100` at random, so this matters.
 */
export async function sshRun(
  conn: {
    host: string;
    port?: number;
    user?: string;
    privateKey: string;
    hostKey?: string;
    dialErrorLimit?: number;
  },
  script: string,
  stdin: string | undefined,
  timeoutMs = 600_000,
  held?: HeldConnections,
): Promise<{ code: number; stdout: string; stderr: string; both: string }> {
  const limit = conn.dialErrorLimit ?? 10;
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    const r = await sshRunOnce(conn, script, stdin, timeoutMs, held);
    if (r.code !== 255 || !DIAL_FAILURE.test(r.stderr)) return r;
    // The provider gives up once the dials exceed the limit (`dials > dialErrorLimit`), and
    // counts the tries before the last one.
    if (limit !== -1 && attempt > limit) {
      const msg = `after ${attempt - 1} failed attempts: ${r.stderr.trim()}`;
      return { ...r, stderr: msg, both: msg };
    }
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 1.5, 5000);
  }
}

/** Run `command` on this machine as local.Command does (`/bin/sh -c`, stdin as given). */
function localRun(
  command: string,
  stdin: string | undefined,
): Promise<{ code: number; stdout: string; stderr: string; both: string }> {
  return runCollecting("/bin/sh", ["-c", command], stdin, 600_000);
}

/** Go's %q for the ASCII scripts the library renders (JSON escapes are the same there). */
const goQuote = (s: string) => JSON.stringify(s);

/** The command provider's error for a failed command (`commandOutputs.go`). */
export function commandFailure(name: string, code: number, script: string, output: string): Error {
  return new Error(`${name}: Process exited with status ${code}: running ${goQuote(script)}:\n${output}`);
}

// ---- tls: what the provider computes, made with node:crypto and OpenSSL ----

const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};
const EXT_KEY_USAGE: Record<string, string> = {
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
  any_extended: "anyExtendedKeyUsage",
};

/** What `tls.PrivateKey` computes: an Ed25519 or ECDSA P-256 key, PKCS#8 and SPKI PEM (the harness and the mocks). */
export function privateKeyOutputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const k =
    inputs.algorithm === "ED25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    ...inputs,
    privateKeyPem: k.privateKey.export({ type: "pkcs8", format: "pem" }),
    publicKeyPem: k.publicKey.export({ type: "spki", format: "pem" }),
  };
}

function tlsOutputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === "tls:index/privateKey:PrivateKey") return privateKeyOutputs(inputs);
  const dir = mkdtempSync(join(tmpdir(), "e2e-tls-"));
  const ossl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" }).toString();
  try {
    const subject = (inputs.subject ?? {}) as { commonName?: string; organization?: string };
    const subj = `/CN=${subject.commonName ?? ""}${subject.organization ? `/O=${subject.organization}` : ""}`;
    const ext = (isCa: boolean, uses: string[]) => {
      const ku = uses.map((u) => KEY_USAGE[u]).filter(Boolean);
      const eku = uses.map((u) => EXT_KEY_USAGE[u]).filter(Boolean);
      return [
        `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}`,
        ku.length ? `keyUsage=critical,${ku.join(",")}` : "",
        eku.length ? `extendedKeyUsage=${eku.join(",")}` : "",
      ]
        .filter(Boolean)
        .join("\n");
    };
    const validity = (hours: number) => {
      const start = new Date();
      return {
        validityStartTime: start.toISOString(),
        validityEndTime: new Date(start.getTime() + hours * 3600_000).toISOString(),
      };
    };
    if (type === "tls:index/certRequest:CertRequest") {
      writeFileSync(join(dir, "key.pem"), String(inputs.privateKeyPem));
      const sans = [
        ...((inputs.dnsNames as string[] | undefined) ?? []).map((d) => `DNS:${d}`),
        ...((inputs.ipAddresses as string[] | undefined) ?? []).map((ip) => `IP:${ip}`),
      ];
      const args = ["req", "-new", "-key", "key.pem", "-subj", subj, "-out", "req.pem"];
      if (sans.length) args.push("-addext", `subjectAltName=${sans.join(",")}`);
      ossl(...args);
      return { ...inputs, certRequestPem: readFileSync(join(dir, "req.pem"), "utf8") };
    }
    const hours = Number(inputs.validityPeriodHours);
    const uses = (inputs.allowedUses as string[] | undefined) ?? [];
    const days = String(Math.max(1, Math.ceil(hours / 24)));
    if (type === "tls:index/selfSignedCert:SelfSignedCert") {
      writeFileSync(join(dir, "key.pem"), String(inputs.privateKeyPem));
      const addext = ext(!!inputs.isCaCertificate, uses)
        .split("\n")
        .flatMap((e) => ["-addext", e]);
      ossl(
        "req",
        "-x509",
        "-new",
        "-key",
        "key.pem",
        "-subj",
        subj,
        "-days",
        days,
        ...addext,
        "-out",
        "cert.pem",
      );
      return { ...inputs, certPem: readFileSync(join(dir, "cert.pem"), "utf8"), ...validity(hours) };
    }
    if (type === "tls:index/locallySignedCert:LocallySignedCert") {
      writeFileSync(join(dir, "req.pem"), String(inputs.certRequestPem));
      writeFileSync(join(dir, "ca.pem"), String(inputs.caCertPem));
      writeFileSync(join(dir, "ca.key"), String(inputs.caPrivateKeyPem));
      writeFileSync(join(dir, "ext.cnf"), `${ext(!!inputs.isCaCertificate, uses)}\n`);
      ossl(
        "x509",
        "-req",
        "-in",
        "req.pem",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        days,
        "-copy_extensions",
        "copy",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
      );
      return { ...inputs, certPem: readFileSync(join(dir, "cert.pem"), "utf8"), ...validity(hours) };
    }
    throw new Error(`e2e: ${type} is not modelled by the harness`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The mock monitor speaks the resource monitor protocol's request objects. */
type WireRequest = {
  getType(): string;
  getName(): string;
  getObject(): { toJavaScript(): unknown } | undefined;
  getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
};

interface Pass {
  steps: StepRecord[];
  next: HarnessState;
  /** Old resources whose delete runs at the end (replaced ones). */
  replaced: StoredResource[];
  failures: Error[];
}

/** One pass over the program: a preview (nothing runs) or an apply. */
async function runPass(
  program: () => void | Promise<void>,
  previous: HarnessState,
  preview: boolean,
  parallel: number,
  held?: HeldConnections,
): Promise<Pass> {
  const slot = slots(parallel);
  const next: HarnessState = { resources: {} };
  const steps: StepRecord[] = [];
  const replaced: StoredResource[] = [];
  const failures: Error[] = [];
  const wire = new Map<string, { inputs: Record<string, unknown>; trigger: unknown }>();
  let order = 0;
  let inFlight = 0;
  const pending = () => new Promise<never>(() => {});

  await pulumi.runtime.setMocks(
    {
      newResource: async (a) => {
        inFlight++;
        let answer: Awaited<ReturnType<typeof provide>>;
        try {
          answer = await (a.custom ? slot(() => provide(a)) : provide(a));
        } catch (e) {
          failures.push(e as Error);
          answer = undefined;
        } finally {
          inFlight--;
        }
        // A failed step, or one not started after a failure: like under the engine, nothing that
        // depends on it runs. The registration stays pending (a rejection would surface as
        // unhandled errors).
        return answer ?? pending();
      },
      call: (a) => a.inputs,
    },
    "e2e",
    "e2e",
    preview,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: WireRequest, cb: unknown): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: WireRequest, cb: unknown) => {
    wire.set(`${req.getType()}::${req.getName()}`, {
      inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
      trigger: req.getReplacementTrigger()?.toJavaScript(),
    });
    original(req, cb);
  };

  async function provide(
    a: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string | undefined; state: Record<string, unknown> } | undefined> {
    const key = `${a.type}::${a.name}`;
    const sent = wire.get(key) ?? { inputs: {}, trigger: undefined };
    // Component resources have no provider: nothing to do.
    if (!a.custom) return { id: `${a.name}-component`, state: a.inputs };
    const violations = providerViolations(a.type, sent.inputs);
    if (violations.length > 0) throw new Error(`${a.type} ${a.name}: error: ${violations.join("; ")}`);
    const prev = previous.resources[key];
    const inputs = unwrapSecrets(sent.inputs) as Record<string, unknown>;
    const trigger = unwrapSecrets(sent.trigger);
    let op: StepRecord["op"];
    if (!prev) op = "create";
    else if (triggersReplace(prev.replacementTrigger, trigger)) op = "replace";
    else if (a.type.startsWith("tls:")) op = stable(prev.inputs) !== stable(inputs) ? "replace" : "same";
    else if (stable(prev.inputs.triggers) !== stable(inputs.triggers)) op = "replace";
    else if (stable(prev.inputs) !== stable(inputs)) op = "update";
    else op = "same";
    const conn = inputs.connection as Parameters<typeof sshRun>[0] | undefined;
    const record: StepRecord = { name: a.name, type: a.type, op, host: conn?.host };
    // After a failure the engine starts no new step (those not started are not recorded).
    if (!preview && op !== "same" && failures.length > 0) return undefined;
    steps.push(record);
    const store = (outputs: Record<string, unknown>) => {
      next.resources[key] = {
        type: a.type,
        name: a.name,
        order: order++,
        inputs,
        outputs,
        replacementTrigger: trigger,
      };
    };
    if (op === "same") {
      store(prev!.outputs);
      return { id: a.name, state: prev!.outputs };
    }
    // A preview: what the provider computes is unknown (missing outputs are unknown in a dry run).
    if (preview) return { id: undefined, state: a.inputs };
    // The replaced resource's delete is owed once its replacement exists (a failed
    // create-replacement leaves the old one in place, with nothing to delete).
    const replacedOld = () => {
      if (op === "replace") replaced.push(prev!);
    };
    if (a.type.startsWith("tls:")) {
      const outputs = tlsOutputs(a.type, inputs);
      replacedOld();
      store(outputs);
      return { id: a.name, state: outputs };
    }
    if (a.type === "command:local:Command") {
      if (inputs.delete !== undefined)
        throw new Error(`e2e: ${a.name}: the harness does not model the delete of local commands`);
      const cmd = (op === "update" ? (inputs.update ?? inputs.create) : inputs.create) as string | undefined;
      let outputs: Record<string, unknown> = inputs;
      if (cmd !== undefined) {
        record.startedAt = Date.now();
        const r = await localRun(cmd, inputs.stdin as string | undefined);
        record.finishedAt = Date.now();
        record.stdout = r.stdout.replace(/\n$/, "");
        if (r.code !== 0)
          throw new Error(`${a.name}: exit status ${r.code}: running ${goQuote(cmd)}:\n${r.both}`);
        outputs = { ...inputs, stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr.replace(/\n$/, "") };
      }
      replacedOld();
      store(outputs);
      return { id: a.name, state: outputs };
    }
    if (a.type !== "command:remote:Command") {
      throw new Error(`e2e: ${a.name}: unexpected resource type ${a.type}`);
    }
    const script = String(op === "update" ? (inputs.update ?? inputs.create) : inputs.create);
    record.startedAt = Date.now();
    const r = await sshRun(conn!, script, inputs.stdin as string | undefined, undefined, held);
    record.finishedAt = Date.now();
    record.stdout = inputs.logging === "none" ? "[secret]" : r.stdout.replace(/\n$/, "");
    if (r.code !== 0) throw commandFailure(a.name, r.code, script, r.both);
    replacedOld();
    const outputs = { ...inputs, stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr.replace(/\n$/, "") };
    store(outputs);
    return { id: a.name, state: outputs };
  }

  try {
    await program();
  } catch (e) {
    failures.push(e as Error);
  }
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
  return { steps, next, replaced, failures };
}

/** The resources of `previous` that the pass neither kept nor stepped through: removed from the program. */
function removedResources(previous: HarnessState, p: Pass): StoredResource[] {
  return Object.entries(previous.resources)
    .filter(([k]) => !(k in p.next.resources) && !p.steps.some((s) => `${s.type}::${s.name}` === k))
    .map(([, r]) => r);
}

/** A failed run: the first error, and what the run did before it. */
export class HarnessRunError extends Error {
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message);
  }
}

/** Run `program` once against the hosts its steps name: a preview, then (unless `opts.preview`) the apply. */
export async function runProgram(program: () => void | Promise<void>, opts: RunOptions): Promise<RunResult> {
  const previous = loadState(opts.statePath);
  const parallel = opts.parallel ?? defaultParallel();
  const plan = await runPass(program, previous, true, parallel);
  const gone = (p: Pass) => removedResources(previous, p);
  if (plan.failures.length > 0)
    throw new HarnessRunError(plan.failures[0]!.message, { steps: plan.steps, deleted: [] });
  if (opts.preview) {
    const removed = gone(plan);
    return {
      steps: [...plan.steps, ...removed.map((r) => ({ name: r.name, type: r.type, op: "delete" as const }))],
      deleted: removed.map((r) => r.name),
    };
  }

  const held = new HeldConnections();
  try {
    return await applyPass(program, opts, previous, parallel, held);
  } finally {
    await held.closeAll();
  }
}

/** The apply of {@link runProgram}: its steps, then the deletes, holding every connection in `held`. */
async function applyPass(
  program: () => void | Promise<void>,
  opts: RunOptions,
  previous: HarnessState,
  parallel: number,
  held: HeldConnections,
): Promise<RunResult> {
  const gone = (p: Pass) => removedResources(previous, p);
  const applied = await runPass(program, previous, false, parallel, held);
  const removed = gone(applied);
  const result = (): RunResult => ({ steps: applied.steps, deleted: removed.map((r) => r.name) });
  const save = (state: HarnessState) =>
    writeFileSync(opts.statePath, JSON.stringify(state, null, 1), { mode: 0o600 });
  // Deletes at the end: owed ones, replaced ones and removed ones, newest first.
  const deletes = [...(previous.pendingDeletes ?? []), ...applied.replaced, ...removed].sort(
    (a, b) => b.order - a.order,
  );
  if (applied.failures.length > 0) {
    // Progress kept: what finished is recorded; the rest keeps its previous state; deletes are owed.
    const kept: HarnessState = {
      resources: { ...previous.resources },
      pendingDeletes: [...(previous.pendingDeletes ?? []), ...applied.replaced],
    };
    for (const [k, r] of Object.entries(applied.next.resources)) kept.resources[k] = r;
    save(kept);
    throw new HarnessRunError(applied.failures[0]!.message, result());
  }
  const owed: StoredResource[] = [];
  let failure: Error | undefined;
  for (const r of deletes) {
    const script = r.inputs.delete as string | undefined;
    const conn = r.inputs.connection as Parameters<typeof sshRun>[0] | undefined;
    const record: StepRecord = { name: r.name, type: r.type, op: "delete", host: conn?.host };
    if (removed.includes(r)) applied.steps.push(record);
    if (failure || !script || !conn) {
      if (failure) owed.push(r);
      continue;
    }
    record.startedAt = Date.now();
    const res = await sshRun(conn, script, undefined, undefined, held);
    record.finishedAt = Date.now();
    record.stdout = res.stdout.replace(/\n$/, "");
    if (res.code !== 0) {
      failure = commandFailure(r.name, res.code, script, res.both);
      owed.push(r);
    }
  }
  save({ resources: applied.next.resources, pendingDeletes: owed.length > 0 ? owed : undefined });
  if (failure) throw new HarnessRunError(failure.message, result());
  return result();
}

/** SHA-256 of a file (for the binaries the hosts download). */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Whether a `replacementTrigger` change replaces the resource, as the engine decides
 * (`shouldTriggerReplace`, pkg/resource/deploy/step_generator.go): unknown on either side
 * replaces; unset (null) on either side replaces nothing; otherwise any difference replaces.
 */
export function triggersReplace(previous: unknown, next: unknown): boolean {
  const unknown = (v: unknown) => v !== undefined && v !== null && stable(v).includes(UNKNOWN);
  if (unknown(previous) || unknown(next)) return true;
  if (previous === undefined || previous === null || next === undefined || next === null) return false;
  return stable(previous) !== stable(next);
}
