/**
 * @internal Wiring shared by the components: one `remote.Command` per host and concern,
 * content hashes for triggers, and certificates made with `@pulumi/tls`.
 */
import { createHash, createHmac } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { isIP } from "node:net";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CA_DEFAULTS, HOST_DEFAULTS } from "../core/defaults";
import * as rules from "../core/rules";
import { canonicalHost, type Rule } from "../core/rules";
import {
  type DriftFile,
  type DriftManifest,
  driftCheckScript,
  hostKeysCheckScript,
  preflightScript,
  renderDriftManifest,
} from "../core/scripts";
import { bashCommand } from "../core/shell";
import { renderStepProgram, type StepOp, scriptPurpose, stepCommand } from "../core/stepProgram";
import { TYPE_TOKENS } from "../core/tokens";
import { checkCertificateForHost, Issues, isEventual } from "../core/validate";
import type { BinarySourceArgs, DriftCheckArgs } from "./args";
import { type HostArgs, hostConnection, warnIfHostKeyMissing } from "./hosts";

/** Lowercase hex SHA-256 of a string. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Trigger values, labelled by what they stand for (`unit:sha256:…`, `env:hmac-sha256:…`), so a
 * preview's `~ triggers` says which content changed.
 *
 * Two rules of the real engine and the command provider shape them:
 * - a trigger must never be a secret whose value is unknown: during the preview of a new stack
 *   the command provider's Check fails with `triggers[N]: malformed secret: missing value` (the
 *   engine's `sdk/go/propertyrpc` unmarshalling of a secret without a value);
 * - an unsalted hash of a user's secret (a root password) must not sit in plain state.
 *
 * So plain content is revised with SHA-256, and secret content with HMAC-SHA256 under a random
 * key that lives only in state, as a secret (a `tls.PrivateKey` per component, never rotated).
 * Every revision is plain (not secret): it reveals nothing without the key, and an unknown
 * revision during preview is a plain unknown, which the provider accepts.
 */
export class Revisions {
  private readonly key: pulumi.Output<string>;

  constructor(parent: pulumi.Resource, componentName: string) {
    const key = new tls.PrivateKey(
      `${componentName}-revision-key`,
      { algorithm: "ED25519" },
      { parent, additionalSecretOutputs: ["privateKeyPem"] },
    );
    this.key = pulumi.secret(key.privateKeyPem);
  }

  /** The revision of content that is not secret: `label:sha256:<hex>`. */
  plain(label: string, content: pulumi.Input<string>): pulumi.Output<string> {
    // unsecret: content that is public but was handed in as a secret (a certificate from
    // `pulumi config --secret`) must not make the trigger a secret.
    return pulumi.unsecret(pulumi.output(content).apply((c) => `${label}:sha256:${sha256(c)}`));
  }

  /**
   * One revision per variable of an env file, as a map `{ NAME: "label:hmac-sha256:<hex>" }`. The
   * engine diffs a map by key, so a preview names the variable that was added, removed or
   * changed (`+ MINIO_BROWSER: "env:hmac-sha256:…"`), and so what a restart is for, while
   * showing no value. Values are keyed by the component's key, like {@link secret}.
   */
  eachVariable(
    label: string,
    entries: pulumi.Input<ReadonlyArray<readonly [string, string]>>,
  ): pulumi.Output<Record<string, string>> {
    return pulumi.unsecret(
      pulumi
        .all([this.key, entries])
        .apply(([k, es]) =>
          Object.fromEntries(
            [...es]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([n, v]) => [
                n,
                `${label}:hmac-sha256:${createHmac("sha256", k).update(`${n}=${v}`).digest("hex")}`,
              ]),
          ),
        ),
    );
  }

  /** The revision of secret content: `label:hmac-sha256:<hex>`, keyed by the component's key. */
  secret(label: string, content: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.unsecret(
      pulumi
        .all([this.key, content])
        .apply(([k, c]) => `${label}:hmac-sha256:${createHmac("sha256", k).update(c).digest("hex")}`),
    );
  }
}

/**
 * Throw the collected validation issues as one ResourceError, without a stack trace: the message
 * names the component, each field and the fix, and the stack would only point into this library.
 * `PULUMI_MINIO_KES_DEBUG=1` keeps the stack.
 */
export function throwIfInvalid(issues: Issues, component: string, parent: pulumi.Resource): void {
  const debug = ["1", "true"].includes(process.env.PULUMI_MINIO_KES_DEBUG ?? "");
  if (!issues.ok) throw new pulumi.ResourceError(issues.format(component), parent, !debug);
}

/**
 * An argument given as an Output (or Promise), checked with its rule from the rulebook
 * (`lib/core/rules.ts`, the same rule the validator applies to plain values) once it resolves.
 * A bad value rejects the returned Output with the validator's message, so no step that uses it
 * is registered, and nothing that uses it touches a host. Plain values pass through (the
 * validator has checked them). Secrets stay secret.
 */
export function checked<T>(
  parent: pulumi.Resource,
  component: string,
  field: string,
  input: pulumi.Input<T>,
  rule: Rule,
): pulumi.Output<T> {
  const debug = ["1", "true"].includes(process.env.PULUMI_MINIO_KES_DEBUG ?? "");
  return pulumi.output(input).apply((v) => {
    const m = rule(v);
    if (m !== undefined) {
      throw new pulumi.ResourceError(
        `invalid arguments for ${component}:\n  - ${field}: ${m} (checked once the Output resolved; nothing that uses it ran)`,
        parent,
        !debug,
      );
    }
    return v as T;
  }) as pulumi.Output<T>;
}

/**
 * The host with each field that arrived as an Output checked by its rule once it resolves
 * (plain fields were checked by the validator and stay plain, so connections and warnings see
 * them as given).
 */
export function checkedHost(
  parent: pulumi.Resource,
  component: string,
  field: string,
  h: HostArgs,
): HostArgs {
  const c = <T>(f: string, v: pulumi.Input<T> | undefined, rule: Rule): pulumi.Input<T> | undefined =>
    v === undefined || !isEventual(v) ? v : checked(parent, component, `${field}.${f}`, v, rule);
  const out: HostArgs = {
    ...h,
    address: c("address", h.address, rules.hostOrIp)!,
    port: c("port", h.port, rules.port),
    user: c("user", h.user, rules.sshUser),
    privateKey: c("privateKey", h.privateKey, rules.sshPrivateKey)!,
    hostKey: c("hostKey", h.hostKey, rules.hostKey),
  };
  if (h.bastion) {
    out.bastion = {
      ...h.bastion,
      address: c("bastion.address", h.bastion.address, rules.hostOrIp)!,
      port: c("bastion.port", h.bastion.port, rules.port),
      user: c("bastion.user", h.bastion.user, rules.sshUser),
      hostKey: c("bastion.hostKey", h.bastion.hostKey, rules.hostKey),
    };
  }
  for (const k of Object.keys(out) as (keyof HostArgs)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * The rule for a certificate brought for host `h`: a PEM certificate with a SAN for the host's
 * service address (when that address is known now), as the validator checks it.
 */
export function certificateCoversRule(h: HostArgs, extraHost?: string): Rule {
  const host = h.internalAddress ?? (typeof h.address === "string" ? h.address : undefined);
  return (v) => {
    const i = new Issues();
    checkCertificateForHost(i, "certPem", v, host);
    if (extraHost !== undefined) checkCertificateForHost(i, "certPem", v, extraHost);
    return i.list[0]?.message;
  };
}

/**
 * A certificate brought for host `h`, checked once it and the host's service address resolve:
 * PEM, with a SAN for that address (and for `extraHost`), by the validator's rule.
 */
export function checkedCertificate(
  parent: pulumi.Resource,
  component: string,
  field: string,
  certPem: pulumi.Input<string>,
  h: HostArgs,
  extraHost?: string,
): pulumi.Output<string> {
  const pair = pulumi.all([certPem, h.internalAddress ?? h.address]);
  return checked(parent, component, field, pair, (v) => {
    const [pem, address] = v as [string, string];
    return certificateCoversRule({ ...h, address, internalAddress: undefined }, extraHost)(pem);
  }).apply(([pem]) => pem);
}

/**
 * Where a host is, for telling whether two components share it: its service address in
 * canonical form, when known now. Undefined for an address that is an Output: then nothing is
 * claimed on it (host names alone are not a host: two clusters may both call a node "node1").
 */
export function hostIdentity(h: HostArgs): string | undefined {
  const a = h.internalAddress ?? (typeof h.address === "string" ? h.address : undefined);
  return a === undefined ? undefined : `address:${canonicalHost(a)}`;
}

/**
 * What each component of this program has put on each host (a binary path, an env file, a unit,
 * a bucket), so that two components writing the same thing are refused. One table per program
 * run (keyed by its resource monitor: a new run, or a new `setMocks` in tests, starts empty);
 * the first claim wins.
 */
const claimTables = new WeakMap<object, Map<string, string>>();
const noMonitor = {};

/**
 * Claim `what` (e.g. `file /usr/local/bin/kes`) on host `where` for `owner`. Returns the owner
 * that claimed it first when that is another component, else undefined.
 */
export function claim(where: string, what: string, owner: string): string | undefined {
  const monitor = (pulumi.runtime.getMonitor() as object | undefined) ?? noMonitor;
  let table = claimTables.get(monitor);
  if (!table) {
    table = new Map();
    claimTables.set(monitor, table);
  }
  const key = `${where}|${what}`;
  const prev = table.get(key);
  if (prev !== undefined && prev !== owner) return prev;
  table.set(key, owner);
  return undefined;
}

/**
 * Claim each of `things` on each host for `component`; a thing another component of this program
 * already claimed there becomes an issue on that host's field.
 */
export function claimHostPaths(
  issues: Issues,
  component: string,
  field: string,
  hosts: HostArgs[],
  things: string[],
): void {
  hosts.forEach((h, i) => {
    const where = hostIdentity(h);
    if (where === undefined) return;
    for (const t of things) {
      const prev = claim(where, t, component);
      if (prev !== undefined) {
        issues.add(
          `${field}[${i}]`,
          `host ${h.name} already has ${t} from ${prev}, so the two would overwrite each other; put them on different hosts, or give one another binary name, port or drive.`,
        );
      }
    }
  });
}

const localDigests = new Map<string, string>();

/**
 * A `localPath` binary is checked on the deploying machine before anything is uploaded: it must
 * exist and have `sha256` (read once per program run and path). A mismatch fails before any
 * resource is created, instead of after copying it to every host.
 */
export function checkLocalBinary(issues: Issues, field: string, src: unknown): void {
  const s = src as { localPath?: unknown; sha256?: unknown } | undefined;
  if (typeof s?.localPath !== "string" || typeof s.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(s.sha256))
    return;
  const p = s.localPath;
  let st: import("node:fs").Stats;
  try {
    st = statSync(p);
  } catch {
    issues.add(
      `${field}.localPath`,
      `there is no file ${p} on this machine (the one running pulumi); put the binary there, or give binary.url instead.`,
    );
    return;
  }
  if (!st.isFile()) {
    issues.add(`${field}.localPath`, `${p} is not a regular file; point localPath at the binary itself.`);
    return;
  }
  const key = `${p}|${st.size}|${st.mtimeMs}`;
  let got = localDigests.get(key);
  if (got === undefined) {
    got = createHash("sha256").update(readFileSync(p)).digest("hex");
    localDigests.set(key, got);
  }
  if (got !== s.sha256) {
    issues.add(
      `${field}.sha256`,
      `${p} on this machine has sha256 ${got}, not ${s.sha256}; nothing was uploaded. Use the binary you meant, or set sha256 to what \`sha256sum ${p}\` prints if you trust this file.`,
    );
  }
}

/**
 * The preflights of a component: one step per host, run before anything of the component changes
 * on any host (every other step must depend on all of them). It checks the host can be reached,
 * runs as root with systemd, and has room at `pathsFor(host)`; its connection gives up after 3
 * dials. Its one trigger is a revision of `contentParts` (everything the component writes), so it
 * runs again exactly when something it writes changes, and a no-op run opens no SSH session.
 */
export function preflightSteps(
  parent: pulumi.Resource,
  componentName: string,
  hosts: HostArgs[],
  contentParts: pulumi.Input<unknown>[],
  pathsFor: (host: HostArgs) => string[],
  /** The argument the hosts came from (`nodes`, `hosts`), for messages. */
  field: string,
  unit?: string,
): { steps: command.remote.Command[]; done: pulumi.Resource } {
  const changeRevision = pulumi
    .all(contentParts)
    .apply((parts) => `changes:sha256:${sha256(JSON.stringify(parts))}`);
  const keyCheck = hostKeyChecks(parent, componentName, hosts, field, changeRevision);
  const steps = hosts.map((host) => {
    const script = preflightScript({ host: host.name, paths: pathsFor(host), unit });
    return hostStep(parent, componentName, host, "preflight", {
      create: script,
      update: script,
      triggers: [changeRevision],
      dial: "failFast",
      dependsOn: keyCheck ? [keyCheck] : undefined,
    });
  });
  return { steps, done: barrier(parent, `${componentName}-all-checked`, steps) };
}

/**
 * On the deploying machine, before the preflights: every host's SSH server answers and offers
 * the pinned host key (`hostKeysCheckScript`, all hosts of the component at once, in one step),
 * so a wrong key or a dead address fails in seconds with the host, the address, both
 * fingerprints and the fix, in the library's words rather than the provider's. Only hosts with a
 * pinned key reached directly (not through a bastion). Runs when the preflights do (same
 * trigger), so a no-op run runs nothing.
 */
function hostKeyChecks(
  parent: pulumi.Resource,
  componentName: string,
  hosts: HostArgs[],
  field: string,
  trigger: pulumi.Input<string>,
): command.local.Command | undefined {
  const pinned = hosts.flatMap((host, i) =>
    host.hostKey === undefined || host.bastion !== undefined ? [] : [{ host, field: `${field}[${i}]` }],
  );
  if (pinned.length === 0) return undefined;
  const line = `bash -s # ${componentName}: check the SSH host keys before any step connects`.replace(
    /[^\x20-\x7e]/g,
    "?",
  );
  return new command.local.Command(
    `${componentName}-host-keys`,
    {
      create: line,
      update: line,
      stdin: pulumi
        .all(
          pinned.map(({ host, field: f }) =>
            pulumi
              .all([host.address, host.port ?? HOST_DEFAULTS.port, host.hostKey!])
              .apply(([address, port, hostKey]) => ({ host: host.name, address, port, hostKey, field: f })),
          ),
        )
        .apply(hostKeysCheckScript),
      triggers: [trigger],
      addPreviousOutputInEnv: false,
      logging: "stdoutAndStderr",
    },
    { parent },
  );
}

/**
 * A point in the graph that waits for `after` and runs nothing (a `command:local:Command` without
 * commands): steps that must wait for every host's steps depend on it instead of on each of
 * them, so the graph grows with hosts + steps, not hosts × steps.
 */
export function barrier(
  parent: pulumi.Resource,
  name: string,
  after: pulumi.Input<pulumi.Resource>[],
): pulumi.Resource {
  return new command.local.Command(name, {}, { parent, dependsOn: after });
}

/** Options of one host step. */
export interface StepArgs {
  /** The script run on create (and on update, unless `update` is given). */
  create: pulumi.Input<string>;
  /**
   * The script run when an input other than `triggers` changes. Default: `create`. Required
   * for action steps (with `triggers`): their create restarts or reloads, and an update (a new
   * SSH connection, a new timeout) must not; it only makes sure the service runs and is healthy.
   */
  update?: pulumi.Input<string>;
  /** The script run when the step is deleted. Default: nothing. */
  delete?: pulumi.Input<string>;
  /**
   * Content handed to the script on stdin (file contents, secrets). Without it, the scripts
   * themselves travel on stdin (lib/core/stepProgram.ts) and the command line names the step.
   */
  stdin?: pulumi.Input<string>;
  /** Values whose change replaces the step, i.e. re-runs `create` (service actions). */
  triggers?: pulumi.Input<unknown>[];
  /** True when stdin or the script carries a secret: no logs, secret stdout/stderr. */
  secret?: boolean;
  /**
   * `failFast`: the connection gives up after 3 dials of 10 s (a preflight: a wrong host key or
   * a dead address should fail in seconds). Default: 20 dials of 15 s, which rides out sshd
   * dropping connections under load.
   */
  dial?: "failFast";
  /** What the step waits for; an Output may decide which resources (e.g. rolling or not). */
  dependsOn?: Array<pulumi.Input<pulumi.Resource> | pulumi.Output<pulumi.Resource[]>>;
  /**
   * A label written after the command lines (`… # drift repair <label>`): a new value makes the
   * step run its update (a repair of drift rewrites what the step declares).
   */
  rerun?: string;
}

/**
 * Run a script as root under bash, whatever the SSH user's login shell is: `bash -c '…'` for
 * root, `sudo -n bash -c '…'` for other users (the rendered scripts are bash, and 12 of them fail
 * under dash, a common login shell for root on minimal images).
 */
export function asRoot(
  user: pulumi.Input<string> | undefined,
  script: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi
    .all([user ?? HOST_DEFAULTS.user, script])
    .apply(([u, text]) => bashCommand(text, { sudo: u !== "root" }));
}

/**
 * A step's command lines and stdin. A script step (no `stdin` of its own) sends its scripts on
 * stdin (lib/core/stepProgram.ts) and its command line says what it does; a content step runs its
 * script as root with the content on stdin. A `rerun` label follows every command line.
 */
function stepLines(
  host: HostArgs,
  a: StepArgs,
): {
  lines: { create: pulumi.Input<string>; update: pulumi.Input<string>; delete?: pulumi.Input<string> };
  stdin?: pulumi.Input<string>;
} {
  let lines: { create: pulumi.Input<string>; update: pulumi.Input<string>; delete?: pulumi.Input<string> };
  let stdin: pulumi.Input<string> | undefined = a.stdin;
  if (a.stdin === undefined) {
    const update = a.update ?? a.create;
    // Plain when every part is plain (most steps): an Output per value costs the SDK several
    // promises, each with a captured stack, which is most of the evaluation time of a large graph.
    const plain = [a.create, update, a.delete, host.user].every(
      (v) => v === undefined || typeof v === "string",
    );
    stdin = plain
      ? renderStepProgram({
          create: a.create as string,
          update: update as string,
          delete: a.delete as string | undefined,
        })
      : pulumi
          .all([a.create, update, a.delete])
          .apply(([c, u, d]) => renderStepProgram({ create: c, update: u, delete: d }));
    const line = (op: StepOp, script: pulumi.Input<string>): pulumi.Input<string> =>
      plain
        ? stepCommand(op, host.name, scriptPurpose(script as string), {
            sudo: (host.user ?? HOST_DEFAULTS.user) !== "root",
          })
        : pulumi
            .all([host.user ?? HOST_DEFAULTS.user, script])
            .apply(([u, text]) => stepCommand(op, host.name, scriptPurpose(text), { sudo: u !== "root" }));
    lines = {
      create: line("create", a.create),
      update: line("update", update),
      delete: a.delete === undefined ? undefined : line("delete", a.delete),
    };
  } else {
    lines = {
      create: asRoot(host.user, a.create),
      update: asRoot(host.user, a.update ?? a.create),
      delete: a.delete === undefined ? undefined : asRoot(host.user, a.delete),
    };
  }
  if (a.rerun !== undefined) {
    const label = ` # ${a.rerun}`;
    lines = {
      create: pulumi.output(lines.create).apply((l) => l + label),
      update: pulumi.output(lines.update).apply((l) => l + label),
      delete: lines.delete,
    };
  }
  return { lines, stdin };
}

/**
 * One `remote.Command` on one host. Every step is named `<component>-<host>-<concern>`,
 * parented to its component, uses the one connection factory, never puts previous output in
 * the environment (landscape.md §5.1: E2BIG), and hides output of steps that touch secrets.
 */
export function hostStep(
  parent: pulumi.Resource,
  componentName: string,
  host: HostArgs,
  concern: string,
  a: StepArgs,
): command.remote.Command {
  warnIfHostKeyMissing(host, parent);
  if (a.triggers !== undefined && a.update === undefined) {
    throw new Error(
      `${componentName}-${host.name}-${concern}: an action step needs an explicit update script`,
    );
  }
  // The SDK resolves Outputs in dependsOn, nested lists included (runtime/dependsOn.ts).
  const opts: pulumi.CustomResourceOptions = {
    parent,
    dependsOn: a.dependsOn as pulumi.CustomResourceOptions["dependsOn"],
  };
  if (a.secret) opts.additionalSecretOutputs = ["stdout", "stderr"];
  const { lines, stdin } = stepLines(host, a);
  return new command.remote.Command(
    `${componentName}-${host.name}-${concern}`,
    {
      connection: hostConnection(
        host,
        a.dial === "failFast" ? { dialErrorLimit: 3, perDialTimeout: 10 } : {},
      ),
      create: lines.create,
      update: lines.update,
      delete: lines.delete,
      stdin: stdin === undefined ? undefined : a.secret ? pulumi.secret(stdin) : stdin,
      triggers: a.triggers,
      addPreviousOutputInEnv: false,
      logging: a.secret ? "none" : "stdoutAndStderr",
    },
    opts,
  );
}

/**
 * The `replacementTrigger` of what a `rotation` argument replaces: the value, or `""` when it is
 * unset. The engine replaces nothing when the trigger is unset on either side
 * (`shouldTriggerReplace`, pkg/resource/deploy/step_generator.go), so a trigger that is only
 * sometimes set would make the first rotation of a stack a no-op; an empty one is recorded in
 * state from the first `up`, and the first value given then replaces.
 */
export function rotationTrigger(rotation: pulumi.Input<string> | undefined): pulumi.Input<string> {
  return rotation ?? "";
}

/**
 * Key usages as the tls provider spells them (snake_case; anything else fails its Check with
 * "Invalid Attribute Value Match"): the `keyUsages` and `extendedKeyUsages` maps of
 * hashicorp/terraform-provider-tls `internal/provider/common_cert.go`, which pulumi-tls wraps.
 * Only the ones the library uses.
 */
export type KeyUsage =
  | "digital_signature"
  | "key_encipherment"
  | "cert_signing"
  | "crl_signing"
  | "server_auth"
  | "client_auth";

/** Arguments of {@link CertificateAuthority}. */
export interface CertificateAuthorityArgs {
  /** The CA certificate's common name. Default: `<name> CA`. */
  commonName?: pulumi.Input<string>;
  /**
   * Validity of the CA certificate, in hours (ten years by default).
   * @default 87600
   */
  validityHours?: number;
  /** Change this value (any string, e.g. a date) to replace the CA's key and certificate. */
  rotation?: pulumi.Input<string>;
}

/**
 * A private CA made with `@pulumi/tls`: ECDSA P-256 (never the provider's P-224 default,
 * landscape.md §5.2), 10 years, uses `cert_signing`, `crl_signing` and `digital_signature`.
 * Used when the user brings no CA.
 */
export class CertificateAuthority extends pulumi.ComponentResource {
  /** CA certificate (PEM). */
  readonly certPem: pulumi.Output<string>;
  /** CA private key (PEM), secret. */
  readonly keyPem: pulumi.Output<string>;
  /** When the CA certificate expires (RFC 3339). */
  readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE_TOKENS.certificateAuthority, name, {}, opts);
    const key = new tls.PrivateKey(
      `${name}-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      {
        parent: this,
        replacementTrigger: rotationTrigger(args.rotation),
        additionalSecretOutputs: ["privateKeyPem"],
      },
    );
    const cert = new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: args.commonName ?? `${name} CA`, organization: "pulumi-minio-kes" },
        validityPeriodHours: args.validityHours ?? CA_DEFAULTS.validityHours,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"] satisfies KeyUsage[],
      },
      { parent: this, replacementTrigger: rotationTrigger(args.rotation) },
    );
    this.certPem = cert.certPem;
    this.keyPem = pulumi.secret(key.privateKeyPem);
    this.notAfter = cert.validityEndTime;
    this.registerOutputs({ certPem: this.certPem, notAfter: this.notAfter });
  }
}

/** A leaf certificate signed by a CA, with SANs for one address. */
export function issueCertificate(
  parent: pulumi.Resource,
  name: string,
  a: {
    ca: { certPem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
    commonName: pulumi.Input<string>;
    /** Host names and IPs the certificate must cover. */
    sans: pulumi.Input<string>[];
    uses: KeyUsage[];
    validityHours: number;
    rotation?: pulumi.Input<string>;
    keyAlgorithm?: "ECDSA" | "ED25519";
  },
): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string>; notAfter: pulumi.Output<string> } {
  const key = new tls.PrivateKey(
    `${name}-key`,
    a.keyAlgorithm === "ED25519" ? { algorithm: "ED25519" } : { algorithm: "ECDSA", ecdsaCurve: "P256" },
    { parent, replacementTrigger: rotationTrigger(a.rotation), additionalSecretOutputs: ["privateKeyPem"] },
  );
  const sans = pulumi.all(a.sans);
  const req = new tls.CertRequest(
    `${name}-csr`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: a.commonName, organization: "pulumi-minio-kes" },
      dnsNames: sans.apply((s) => s.filter((x) => isIP(x) === 0)),
      ipAddresses: sans.apply((s) => s.filter((x) => isIP(x) !== 0)),
    },
    { parent },
  );
  const cert = new tls.LocallySignedCert(
    `${name}-cert`,
    {
      certRequestPem: req.certRequestPem,
      caCertPem: a.ca.certPem,
      caPrivateKeyPem: a.ca.keyPem,
      validityPeriodHours: a.validityHours,
      allowedUses: a.uses,
    },
    { parent, replacementTrigger: rotationTrigger(a.rotation) },
  );
  return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem), notAfter: cert.validityEndTime };
}

/**
 * The drift check of one host ({@link DriftCheckArgs}): `<component>-<host>-drift`, after
 * `after` (the host's last steps), comparing the host with `manifest`. Its manifest holds hashes
 * of secret content, so it travels as a secret; what it prints names paths and steps only.
 */
export function driftCheckStep(
  parent: pulumi.Resource,
  componentName: string,
  host: HostArgs,
  drift: DriftCheckArgs,
  manifest: pulumi.Input<DriftManifest>,
  after: pulumi.Resource[],
): pulumi.Output<string[]> {
  const script = driftCheckScript({ host: host.name, repair: drift.repair !== undefined });
  const step = hostStep(parent, componentName, host, "drift", {
    create: script,
    update: script,
    stdin: pulumi.secret(pulumi.output(manifest).apply((m) => renderDriftManifest(m as DriftManifest))),
    triggers: [`drift-check:${drift.request}`],
    dependsOn: after,
  });
  return step.stdout.apply((out) => {
    const found = driftDifferences(out).map((d) => `${host.name}: ${d}`);
    if (found.length > 0 && !pulumi.runtime.isDryRun())
      pulumi.log.warn(
        `drift on ${host.name} (check ${drift.request}${drift.repair !== undefined ? `, after repair ${drift.repair}` : ""}: ${found.length}):\n${found.map((f) => `  - ${f}`).join("\n")}\n${
          drift.repair !== undefined
            ? "The repair did not fix these: fix them by hand, then run a new check."
            : "To repair: set driftCheck.repair to a new label (e.g. the date) and driftCheck.request to a new value, then run pulumi up."
        }`,
        parent,
      );
    return found;
  });
}

/** The differences a drift check printed (its `drift: …` lines naming a step), without the summary. */
export function driftDifferences(stdout: string | undefined): string[] {
  return (stdout ?? "")
    .split("\n")
    .filter((l) => l.startsWith("drift: ") && / \(step [^ )]+\)$/.test(l))
    .map((l) => l.slice("drift: ".length));
}

/** What a drift check compares on one host, collected as the component declares its files. */
export class DriftFiles {
  /** The files declared so far. */
  readonly list: pulumi.Output<DriftFile>[] = [];

  constructor(
    private readonly componentName: string,
    private readonly host: HostArgs,
  ) {}

  /** A file root owns: `path` with `content`, `mode` and `group`, written by `<component>-<host>-<concern>`. */
  file(path: string, content: pulumi.Input<string>, mode: string, group: string, concern: string): void {
    this.list.push(
      pulumi.output(content).apply((c) => ({
        path,
        sha256: sha256(c),
        owner: "root",
        group,
        mode,
        step: `${this.componentName}-${this.host.name}-${concern}`,
      })),
    );
  }

  /** An installed binary (root's, 0755) with the digest it was installed with; none when preinstalled. */
  binary(src: BinarySourceArgs, path: string, concern: string): void {
    if (src.preinstalledPath !== undefined || src.sha256 === undefined) return;
    this.list.push(
      pulumi.output({
        path,
        sha256: src.sha256,
        owner: "root",
        group: "root",
        mode: "0755",
        step: `${this.componentName}-${this.host.name}-${concern}`,
      }),
    );
  }
}

/**
 * Warn about each server certificate of `notAfter` (host → RFC 3339 expiry) that expires within
 * `days` days (none when 0), as soon as its expiry is known: in the preview for certificates you
 * bring, after they are made for generated ones. Returns the hosts warned about.
 */
export function warnExpiringCertificates(
  parent: pulumi.Resource,
  component: string,
  notAfter: pulumi.Output<Record<string, string>>,
  days: number,
  now: () => number = Date.now,
): pulumi.Output<string[]> {
  return notAfter.apply((m) => {
    const soon = Object.entries(m ?? {}).filter(([, end]) => {
      const t = Date.parse(end);
      return days > 0 && Number.isFinite(t) && t - now() < days * 86_400_000;
    });
    for (const [host, end] of soon) {
      const left = Math.floor((Date.parse(end) - now()) / 86_400_000);
      pulumi.log.warn(
        `${component}: the TLS certificate of ${host} ${left < 0 ? "expired" : "expires"} on ${end} (${left < 0 ? `${-left} days ago` : `in ${left} days`}; tls.expiryWarningDays is ${days}). Renew it: change tls.rotation for generated certificates, or give a new one in tls.certificates.${host}.`,
        parent,
      );
    }
    return soon.map(([host]) => host);
  });
}

/** The label of the steps a drift repair re-runs (`drift repair <repair>`), or undefined (no repair asked). */
export function driftRepairLabel(drift: DriftCheckArgs | undefined): string | undefined {
  return drift?.repair !== undefined ? `drift repair ${drift.repair}` : undefined;
}
