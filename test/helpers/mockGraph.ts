/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and records the resource graph as the
 * engine would receive it: type, name, URN, parent URN, explicit dependencies, and which input
 * properties were sent as secrets. Mocked providers answer with realistic values (real keys from
 * node:crypto, a real certificate from test/fixtures) so the components' derivations (API keys,
 * identities) run for real.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

import { stepProgramScript } from "../../lib/core/stepProgram";
import { privateKeyOutputs } from "../../scripts/lib/harness";
import { SECRET_SIG, SECRET_VAL } from "../../scripts/lib/providerRules";

/** One registered resource. */
export interface GraphNode {
  type: string;
  name: string;
  urn: string;
  parent: string;
  custom: boolean;
  /** Explicit and implicit (property) dependencies, as URNs. */
  dependencies: string[];
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** Inputs exactly as sent to the engine (secret wrappers and unknown sentinels kept). */
  wire: Record<string, unknown>;
  /** Top-level input names (and nested paths) that were sent as secrets. */
  secretPaths: string[];
  /** The `replacementTrigger` resource option, as sent (undefined when not set). */
  replacementTrigger?: unknown;
}

/** The recorded graph. */
export interface Graph {
  nodes: GraphNode[];
  byName(name: string): GraphNode;
  ofType(type: string): GraphNode[];
  /** True when `from` depends on `to`, directly or transitively. */
  dependsOn(from: GraphNode, to: GraphNode): boolean;
  newResourceCalls: number;
}

function secretPaths(value: unknown, path: string, out: string[]): unknown {
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VAL) {
      out.push(path);
      return secretPaths(o.value, path, []);
    }
    if (Array.isArray(value)) return value.map((v, i) => secretPaths(v, `${path}[${i}]`, out));
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) r[k] = secretPaths(v, path ? `${path}.${k}` : k, out);
    return r;
  }
  return value;
}

const fixtureCert = readFileSync(join(__dirname, "..", "fixtures", "ec.crt"), "utf8");

/**
 * Realistic provider answers for the resource types the components create: real keys from
 * node:crypto and a real certificate (test/fixtures/ec.crt unless `cert` says otherwise), so the
 * components' derivations (API keys, identities, expiry) run for real.
 */
export function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  cert: { certPem: string; validityEndTime: string } = {
    certPem: fixtureCert,
    validityEndTime: "2027-11-27T10:00:00Z",
  },
): Record<string, unknown> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return privateKeyOutputs(inputs);
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...inputs, ...cert };
    case "tls:index/certRequest:CertRequest":
      return {
        ...inputs,
        certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n-----END CERTIFICATE REQUEST-----\n`,
      };
    case "command:remote:Command":
      return {
        ...inputs,
        stdout: name.endsWith("-bucket") ? "result: algorithm=sse-kms key=mock verified=true" : "ok",
        stderr: "",
      };
    case "aws:kms/key:Key":
      return { ...inputs, arn: `arn:aws:kms:eu-central-1:123456789012:key/${name}`, keyId: `${name}-id` };
    case "aws:iam/user:User":
      return { ...inputs, name, arn: `arn:aws:iam::123456789012:user/${name}` };
    case "aws:iam/accessKey:AccessKey":
      return { ...inputs, secret: "mock-aws-secret-access-key" };
    default:
      return inputs;
  }
}

/** Options of {@link captureGraph}. */
export interface CaptureOptions {
  /**
   * Run as the preview of a new stack: `pulumi.runtime.isDryRun()` is true and every
   * provider-computed output (keys, certificates, command output, ids) stays unknown, as the
   * engine leaves them before anything is created.
   */
  preview?: boolean;
  /** What a `command:remote:Command` prints, when not the default (`ok`, or a verified bucket). */
  stdoutOf?: (name: string) => string | undefined;
}

/**
 * Run `program` under mocks and return the graph. Waits until every registration finished.
 */
export async function captureGraph(
  program: () => void | Promise<void>,
  opts: CaptureOptions = {},
): Promise<Graph> {
  const nodes: GraphNode[] = [];
  const counter = { calls: 0 };
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        counter.calls++;
        // In a preview of a new stack the provider answers with the inputs only: whatever it
        // would compute is unknown (the SDK marks missing outputs unknown during a dry run).
        if (opts.preview) return { id: undefined, state: a.inputs };
        const state = mockState(a.type, a.name, a.inputs);
        const stdout = a.type === "command:remote:Command" ? opts.stdoutOf?.(a.name) : undefined;
        return { id: `${a.name}-id`, state: stdout === undefined ? state : { ...state, stdout } };
      },
      call: (a) => {
        if (a.token === "aws:index/getCallerIdentity:getCallerIdentity") {
          return {
            accountId: "123456789012",
            arn: "arn:aws:iam::123456789012:user/ci",
            userId: "ci",
            id: "ci",
          };
        }
        if (a.token === "aws:index/getPartition:getPartition")
          return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        return a.inputs;
      },
    },
    "project",
    "stack",
    !!opts.preview,
  );
  // The mock monitor speaks the gRPC request objects of the resource monitor protocol.
  type Req = {
    getObject(): { toJavaScript(): unknown } | undefined;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): Map<string, { getUrnsList(): string[] }>;
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
  };
  type Resp = { getUrn(): string };
  type Callback = (err: unknown, resp: Resp) => void;
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: Req, cb: Callback): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: Req, cb: Callback) => {
    const paths: string[] = [];
    const wire = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const inputs = secretPaths(wire, "", paths) as Record<string, unknown>;
    const deps = new Set<string>(req.getDependenciesList());
    for (const [, v] of req.getPropertydependenciesMap().entries())
      for (const u of v.getUrnsList()) deps.add(u);
    original(req, (err: unknown, resp: Resp) => {
      if (!err) {
        nodes.push({
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          parent: req.getParent(),
          custom: req.getCustom(),
          dependencies: [...deps],
          inputs,
          wire,
          secretPaths: paths,
          replacementTrigger: secretPaths(req.getReplacementTrigger()?.toJavaScript(), "", []),
        });
      }
      cb(err, resp);
    });
  };
  await program();
  // waitForRPCs is marked @internal in the SDK's typings; it is what the SDK itself awaits at exit.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const byUrn = new Map(nodes.map((n) => [n.urn, n]));
  const graph: Graph = {
    nodes,
    newResourceCalls: counter.calls,
    byName(name) {
      const found = nodes.filter((x) => x.name === name);
      if (found.length === 0)
        throw new Error(`no resource named ${name}; have: ${nodes.map((x) => x.name).join(", ")}`);
      if (found.length > 1)
        throw new Error(
          `${found.length} resources are named ${name} (${found.map((x) => x.type).join(", ")})`,
        );
      return found[0]!;
    },
    ofType(type) {
      return nodes.filter((n) => n.type === type);
    },
    dependsOn(from, to) {
      const seen = new Set<string>();
      const stack = [...from.dependencies];
      while (stack.length > 0) {
        const u = stack.pop()!;
        if (u === to.urn) return true;
        if (seen.has(u)) continue;
        seen.add(u);
        const n = byUrn.get(u);
        if (n) stack.push(...n.dependencies);
      }
      return false;
    },
  };
  return graph;
}

/** Resolve an Output's value under mocks. */
export function resolved<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** Whether an Output is secret. */
export function isSecret<T>(o: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(o) as Promise<boolean>;
}

/**
 * The script a step runs for `op`: from its stdin program when the step is a script step
 * (`bash -s <op> # …`, lib/core/stepProgram.ts), else the script inside its inline
 * `[sudo -n ]bash -c '<script>'` command.
 */
export function scriptOf(n: GraphNode, op: "create" | "update" | "delete" = "create"): string {
  const line = String(n.inputs[op] ?? "");
  if (/^(sudo -n )?bash -s (create|update|delete) # /.test(line)) {
    const s = stepProgramScript(String(n.inputs.stdin), op);
    if (s === undefined) throw new Error(`${n.name}: its stdin program has no ${op} script`);
    return s;
  }
  const m = /^(?:sudo -n )?bash -c '([\s\S]*)'$/.exec(line);
  if (!m) throw new Error(`${n.name}: ${op} is neither bash -s nor bash -c '…': ${line.slice(0, 60)}`);
  return m[1]!.replace(/'\\''/g, "'");
}

/** A single-quoted shell word (`shQuote`) back to its value. */
function unquote(word: string): string {
  return word.startsWith("'") ? word.slice(1, -1).replace(/'\\''/g, "'") : word;
}

/**
 * What a files step (`writeFilesScript`, lib/core/scripts/files.ts) writes: each path with the
 * content its stdin carries for it (one base64 line per file, in the script's order).
 */
export function filesOf(n: GraphNode): Record<string, string> {
  const paths = [...scriptOf(n).matchAll(/^path=(.*)$/gm)].map((m) => unquote(m[1]!));
  const lines = String(n.inputs.stdin ?? "").split("\n");
  if (lines.length !== paths.length + 1)
    throw new Error(`${n.name}: ${paths.length} files in its script, ${lines.length - 1} lines on its stdin`);
  return Object.fromEntries(paths.map((p, i) => [p, Buffer.from(lines[i]!, "base64").toString("utf8")]));
}

/**
 * The step of `prefix` (`<component>-<host>`) that writes `path`, and the content it writes
 * there. Throws when no step or more than one does.
 */
export function fileWritten(g: Graph, prefix: string, path: string): { step: GraphNode; content: string } {
  const found = g.nodes.filter(
    (n) =>
      n.type === "command:remote:Command" &&
      n.name.startsWith(`${prefix}-`) &&
      /content_b64/.test(scriptOf(n)) &&
      path in filesOf(n),
  );
  if (found.length !== 1) throw new Error(`${prefix}: ${found.length} steps write ${path}`);
  return { step: found[0]!, content: filesOf(found[0]!)[path]! };
}
