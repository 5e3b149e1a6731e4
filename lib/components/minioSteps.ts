/**
 * @internal What is MinIO's own in a {@link MinioDeployment}, built from its plan
 * (`resolve/minioDeployment.ts`) with the service kit (`service.ts`): its KES settings, its
 * environment, each node's files, and the restart of every node together.
 */
import * as pulumi from "@pulumi/pulumi";
import { MINIO_PATHS } from "../core/defaults";
import { renderEnvFile } from "../core/envfile";
import { minioEnvEntries, renderMinioEnvFile } from "../core/minioEnv";
import * as rules from "../core/rules";
import { type Rule, urlHost } from "../core/rules";
import {
  clusterReadyScript,
  type DriftFile,
  ensureDirectoriesScript,
  ensurePrerequisitesScript,
  envMergeScript,
  kesRemovalGuardScript,
  nothingToStopScript,
  serviceActionScript,
  serviceStopScript,
} from "../core/scripts";
import type { MinioEnvInput, MinioKesAuth } from "../core/types";
import type { CertificatePairArgs, MinioDeploymentArgs } from "./args";
import type { HostArgs } from "./hosts";
import { barrier, DriftFiles, hostStep, preflightSteps, type Revisions, sha256 } from "./internal";
import type { MinioPlan } from "./resolve/minioDeployment";
import {
  binaryRevision,
  type CertificatePair,
  installBinarySteps,
  readByService,
  type ServerCertificates,
  type ServiceFile,
  ServiceHost,
  serverCertificates,
} from "./service";

/** What the steps of a deployment are built from. */
export interface MinioContext {
  /** The component. */
  parent: pulumi.Resource;
  plan: MinioPlan;
  args: MinioDeploymentArgs;
  /** The nodes, with Output fields checked. */
  nodes: HostArgs[];
  /** Each node's service address. */
  addrs: pulumi.Output<string>[];
  /** An argument checked with its rule once it resolves. */
  chk: <T>(field: string, v: pulumi.Input<T>, rule: Rule) => pulumi.Output<T>;
}

/** MinIO's KES settings: the endpoints, how MinIO authenticates, the CA, and the gates to wait for. */
export interface MinioKes {
  endpoints: pulumi.Output<string[]>;
  auth?: pulumi.Output<MinioKesAuth>;
  ca?: pulumi.Output<string>;
  gates: pulumi.Resource[];
  clientCert?: CertificatePairArgs;
  allowedKeyNames?: string[];
}

/** MinIO's KES settings, from the KesServer of this stack or from the arguments of an external KES. */
export function minioKes(c: MinioContext): MinioKes {
  const src = c.plan.kes;
  let k: MinioKes;
  if (src.kind === "server") {
    const kes = src.server;
    k = {
      endpoints: kes.endpoints,
      ca: kes.caCertPem,
      gates: kes.readyGates,
      allowedKeyNames: kes.minioKeyNames,
    };
    const client = kes.minioClient;
    if (client.kind === "apiKey")
      k.auth = client.apiKey.apply((apiKey) => ({ kind: "apiKey" as const, apiKey }));
    else k.clientCert = { certPem: client.certPem, keyPem: client.keyPem };
  } else if (src.kind === "external") {
    const ext = src.external;
    k = { endpoints: pulumi.output(ext.endpoints), gates: [] };
    k.ca = c.chk("kes.caCertPem", ext.caCertPem, rules.certificatePem);
    if (ext.apiKey !== undefined) {
      k.auth = c
        .chk("kes.apiKey", ext.apiKey, rules.kesApiKey)
        .apply((apiKey) => ({ kind: "apiKey" as const, apiKey }));
    } else if (ext.clientCertificate) {
      k.clientCert = {
        certPem: c.chk("kes.clientCertificate.certPem", ext.clientCertificate.certPem, rules.certificatePem),
        keyPem: pulumi.secret(
          c.chk("kes.clientCertificate.keyPem", ext.clientCertificate.keyPem, rules.privateKeyPem),
        ),
      };
    }
  } else {
    k = { endpoints: pulumi.output([]), gates: [] };
  }
  if (k.clientCert) {
    k.auth = pulumi.output({
      kind: "certificate" as const,
      certFile: MINIO_PATHS.kesClientCert,
      keyFile: MINIO_PATHS.kesClientKey,
    });
  }
  return k;
}

/** MinIO's environment: what it is rendered from, the file, and one revision per variable. */
export interface MinioEnv {
  input: pulumi.Output<MinioEnvInput>;
  /** The env file (secret). */
  text: pulumi.Output<string>;
  /** With `existing`: only our variables, merged into the file on the host. */
  managed: pulumi.Output<{ names: string[]; text: string }>;
  /** One labelled revision per variable (`env:hmac-sha256:…`). */
  revision: pulumi.Output<Record<string, string>>;
}

/** MinIO's environment file and its revision (one per variable, so a preview names what changed). */
export function minioEnv(
  c: MinioContext,
  kes: MinioKes,
  volumes: pulumi.Output<string>,
  rev: Revisions,
): MinioEnv {
  const { args, plan } = c;
  const existing = plan.existing;
  const extra = pulumi.all(
    Object.fromEntries(
      Object.entries(args.extraEnv ?? {}).map(([k, v]) => [k, c.chk(`extraEnv.${k}`, v, rules.lineValue)]),
    ),
  );
  const input: pulumi.Output<MinioEnvInput> = pulumi
    .all([
      existing ? "" : c.chk("rootUser", args.rootUser!, rules.rootUser),
      existing ? "" : c.chk("rootPassword", args.rootPassword!, rules.rootPassword),
      volumes,
      kes.endpoints,
      kes.auth ?? pulumi.output(undefined),
      extra,
    ])
    .apply(
      ([rootUser, rootPassword, v, endpoints, auth, extraEnv]): MinioEnvInput => ({
        rootUser,
        rootPassword,
        volumes: v,
        opts: plan.opts,
        kes: auth
          ? {
              endpoints: [...endpoints],
              keyName: args.defaultKeyName!,
              auth: auth as MinioKesAuth,
              caPath: MINIO_PATHS.kesCa,
            }
          : undefined,
        extra: extraEnv as Record<string, string>,
      }),
    );
  const ours = (e: MinioEnvInput) =>
    minioEnvEntries(e).filter(([k]) => k.startsWith("MINIO_KMS_KES_") || (e.extra && k in e.extra));
  const managed = input.apply((e) => {
    const entries = ours(e);
    return { names: entries.map(([k]) => k), text: renderEnvFile(entries) };
  });
  // One labelled revision per variable: a preview of the service steps names what changed
  // (`env:MINIO_BROWSER:…` added) and why MinIO restarts, without showing a value.
  const revision = rev.eachVariable(
    "env",
    input.apply((e) => (existing ? ours(e) : minioEnvEntries(e))),
  );
  return { input, text: pulumi.secret(input.apply(renderMinioEnvFile)), managed, revision };
}

/** One node's staged and written files, as the rollout needs them. */
export interface MinioNode {
  node: HostArgs;
  /** Every step that writes this node's files. */
  deps: pulumi.Resource[];
  /** What this node's service step restarts for. */
  triggers: pulumi.Input<unknown>[];
  /** The live paths whose staged copies the service step makes live. */
  promote: string[];
  /** A revision of what this node's staging steps printed. */
  staging: pulumi.Output<string>;
  /** What a drift check compares on this node. */
  driftFiles: pulumi.Output<DriftFile>[];
  /** The step that installs curl (the system step, or an existing node's prereqs): mc on the admin node waits for it. */
  prereqs?: pulumi.Resource;
}

/** What every node's files are made from. */
export interface MinioFiles {
  env: MinioEnv;
  kes: MinioKes;
  minioCa?: pulumi.Output<string>;
  servers: Record<string, CertificatePair>;
  preflights: pulumi.Resource[];
  /** The deployment's revisions (the files steps' triggers). */
  rev: Revisions;
}

/** A file MinIO reads: root's, read through MinIO's group, in MinIO's config dir when there. */
function minioFile(
  concern: string,
  path: string,
  content: pulumi.Input<string>,
  secret: boolean,
): ServiceFile {
  return readByService(
    concern,
    path,
    content,
    secret,
    MINIO_PATHS.user,
    path.startsWith(`${MINIO_PATHS.configDir}/`),
  );
}

/** The KES client files (CA, client certificate and key) of one node. */
function kesFiles(f: MinioFiles): ServiceFile[] {
  const out: ServiceFile[] = [];
  if (f.kes.ca) out.push({ ...minioFile("kes-ca", MINIO_PATHS.kesCa, f.kes.ca, false), stage: true });
  if (f.kes.clientCert) {
    out.push(minioFile("kes-client-cert", MINIO_PATHS.kesClientCert, f.kes.clientCert.certPem, false));
    out.push(minioFile("kes-client-key", MINIO_PATHS.kesClientKey, f.kes.clientCert.keyPem, true));
  }
  return out;
}

/** Without kes, a step refusing to touch a node whose env file configures KES (unless overridden). */
function kesGuard(c: MinioContext, node: HostArgs, after: pulumi.Resource[]) {
  return c.args.kes || c.args.allowKesRemoval
    ? undefined
    : hostStep(c.parent, c.plan.name, node, "kes-guard", {
        create: kesRemovalGuardScript({ envFile: c.plan.envFile }),
        dependsOn: after,
      });
}

/** Collects one node's file steps, what they staged and what the service step restarts for. */
class NodeFiles {
  readonly deps: pulumi.Resource[] = [];
  readonly promote: string[] = [];
  readonly stagedBy: pulumi.Output<string>[] = [];

  /** The step that wrote `list` (none when the list was empty). */
  add(step: (pulumi.Resource & { stdout: pulumi.Output<string> }) | undefined, list: ServiceFile[]): void {
    if (!step) return;
    this.deps.push(step);
    const staged = list.filter((f) => f.stage);
    this.promote.push(...staged.map((f) => f.path));
    if (staged.length > 0) this.stagedBy.push(pulumi.unsecret(step.stdout));
  }
}

/**
 * A node's files in two steps: `config`, what every node must agree on (the env file, the CAs),
 * staged and made live by the restart; and `certs`, the node's own certificates and keys,
 * written live (MinIO reloads leaf certificates). A new leaf certificate thus leaves the
 * restart's triggers, and its preview, as they were.
 */
function nodeFileSteps(host: ServiceHost, files: NodeFiles, list: ServiceFile[], rev: Revisions): void {
  const staged = list.filter((f) => f.stage);
  const live = list.filter((f) => !f.stage);
  files.add(host.files("config", staged, rev), staged);
  files.add(host.files("certs", live, rev), live);
}

/** The node's entry for the rollout, from what its file steps did. */
function nodeResult(
  node: HostArgs,
  files: NodeFiles,
  triggers: pulumi.Input<unknown>[],
  drifts: DriftFiles,
  prereqs: pulumi.Resource | undefined,
): MinioNode {
  const staging = pulumi
    .all(files.stagedBy)
    .apply((outs) => `staging:sha256:${sha256(outs.map((o) => o ?? "").join("\n"))}`);
  return {
    node,
    deps: files.deps,
    triggers,
    promote: files.promote,
    staging,
    driftFiles: drifts.list,
    prereqs,
  };
}

/** One node of a deployment the library installs: user, drives, binary, env, unit, certificates. */
export function installedNode(c: MinioContext, node: HostArgs, f: MinioFiles): MinioNode {
  const { plan } = c;
  const drifts = new DriftFiles(plan.name, node);
  const account = { user: MINIO_PATHS.user, home: MINIO_PATHS.home };
  const host = new ServiceHost(c.parent, plan.name, node, account, drifts, f.preflights, plan.rerun);
  const drives = ensureDirectoriesScript({
    paths: plan.drivesOf[node.name]!,
    owner: MINIO_PATHS.user,
    group: MINIO_PATHS.user,
  });
  const system = host.installAccount([{ label: "drives", script: drives }]);
  const files = new NodeFiles();
  const triggers: pulumi.Input<unknown>[] = [f.env.revision];
  const binary = host.binary({
    src: c.args.binary!,
    defaultName: "minio",
    where: { component: plan.component, field: "binary" },
    stage: true,
  });
  if (binary.staged) {
    files.promote.push(binary.path);
    files.stagedBy.push(binary.step.stdout);
  }
  triggers.push(`binary:${binary.revision}`);
  files.deps.push(system, binary.step);
  const guard = kesGuard(c, node, [system]);
  // The env file is systemd's (read as root before MinIO starts): root's alone, in a system
  // directory the library does not own. Its preview names each variable that changes (its
  // revision, never its value: `~ MINIO_ROOT_PASSWORD: "env:hmac-sha256:…" => …`).
  const env: ServiceFile = {
    concern: "env",
    path: plan.envFile,
    content: f.env.text,
    secret: true,
    mode: "0600",
    group: "root",
    stage: true,
    triggers: [f.env.revision],
    after: guard ? [system, guard] : [system],
  };
  const unitText = plan.units[node.name]!;
  triggers.push(`unit:sha256:${sha256(unitText)}`);
  files.promote.push(MINIO_PATHS.unitFile);
  const unit = host.unit(MINIO_PATHS.unit, MINIO_PATHS.unitFile, unitText, binary.step, true);
  files.stagedBy.push(unit.stdout);
  files.deps.push(unit);
  const server = f.servers[node.name];
  const certs = server
    ? [
        minioFile("tls-cert", `${MINIO_PATHS.certsDir}/public.crt`, server.certPem, false),
        minioFile("tls-key", `${MINIO_PATHS.certsDir}/private.key`, server.keyPem, true),
        { ...minioFile("tls-ca", MINIO_PATHS.tlsCa, f.minioCa!, false), stage: true },
      ]
    : [];
  nodeFileSteps(host, files, [env, ...kesFiles(f), ...certs], f.rev);
  return nodeResult(node, files, triggers, drifts, host.system);
}

/** One node of an existing deployment: the KES variables merged into its env file, and KES's files. */
export function existingNode(c: MinioContext, node: HostArgs, f: MinioFiles): MinioNode {
  const { plan } = c;
  const drifts = new DriftFiles(plan.name, node);
  const account = { user: MINIO_PATHS.user, home: MINIO_PATHS.home };
  const host = new ServiceHost(c.parent, plan.name, node, account, drifts, f.preflights, plan.rerun);
  const files = new NodeFiles();
  let prereqs: pulumi.Resource | undefined;
  // mc (on the admin node) needs curl; existing nodes get no other prerequisites step.
  if (node.name === plan.adminHost && c.args.mc) {
    prereqs = host.step("prereqs", { create: ensurePrerequisitesScript(), dependsOn: f.preflights });
  }
  const guard = kesGuard(c, node, f.preflights);
  files.promote.push(plan.envFile);
  const mergeScript = f.env.managed.apply((m) =>
    envMergeScript({ envFile: plan.envFile, managedNames: m.names, stage: true }),
  );
  const merge = host.step("env-merge", {
    create: mergeScript,
    update: mergeScript,
    // The preview names each managed variable that changes (see the env file of installedNode).
    triggers: [f.env.revision],
    stdin: f.env.managed.apply((m) => m.text),
    secret: true,
    dependsOn: guard ? [guard] : f.preflights,
  });
  files.stagedBy.push(pulumi.unsecret(merge.stdout));
  files.deps.push(merge);
  nodeFileSteps(host, files, kesFiles(f), f.rev);
  return nodeResult(node, files, [f.env.revision], drifts, prereqs);
}

/** The health check of node `i`: liveness only on a distributed deployment's own node steps. */
function healthOf(c: MinioContext, i: number, liveOnly: boolean) {
  const { plan } = c;
  return plan.tls
    ? c.addrs[i]!.apply((a) => ({
        kind: "minio" as const,
        baseUrl: `https://${urlHost(a)}:${plan.port}`,
        caFile: MINIO_PATHS.tlsCa,
        connectTo: `127.0.0.1:${plan.port}`,
        liveOnly,
      }))
    : pulumi.output({ kind: "minio" as const, baseUrl: `http://127.0.0.1:${plan.port}`, liveOnly });
}

/** The service script of node `i`: `action`, making `promote` live first, then its health gate. */
function gateScript(
  c: MinioContext,
  i: number,
  liveOnly: boolean,
  action: "restart" | "start" | "none",
  promote?: string[],
) {
  return healthOf(c, i, liveOnly).apply((health) =>
    serviceActionScript({
      unit: c.plan.unitName,
      action,
      health,
      timeoutSeconds: c.plan.timeoutSeconds,
      promote: promote?.length
        ? {
            paths: promote,
            unitFile: promote.includes(MINIO_PATHS.unitFile) ? MINIO_PATHS.unitFile : undefined,
          }
        : undefined,
    }),
  );
}

/**
 * Start or restart every node together, after every node's files and every KES gate (MinIO
 * does not support rolling restarts for environment or binary changes, landscape.md §1.6).
 * Returns each node's service step.
 */
export function restartTogether(
  c: MinioContext,
  perNode: MinioNode[],
  revisions: pulumi.Input<unknown>[],
  kesGates: pulumi.Resource[],
): pulumi.Resource[] {
  const { plan, parent } = c;
  const distributed = perNode.length > 1;
  // One point every node's start waits for: every node's files are written and every KES gate
  // passed. Each service step depends on it alone (not on every node's files: the graph grows
  // with nodes + files, not nodes × files).
  const staged = barrier(parent, `${plan.name}-all-staged`, [...perNode.flatMap((p) => p.deps), ...kesGates]);
  // A distributed deployment restarts in two phases: every node stops, then every node starts
  // with its staged files made live. No node that starts with the new configuration meets a
  // peer still running the old one, and no node's step waits for a peer.
  let startAfter: pulumi.Resource = staged;
  if (distributed) {
    const stops = perNode.map(({ node, promote, staging }) =>
      hostStep(parent, plan.name, node, "stop", {
        // Stops only a node that has something staged: creating these steps on a stack made
        // by an earlier version (nothing staged) stops nothing.
        create: serviceStopScript({
          unit: plan.unitName,
          timeoutSeconds: plan.timeoutSeconds,
          staged: promote,
        }),
        update: nothingToStopScript(plan.unitName),
        triggers: [...revisions, staging],
        // Every other node may have stopped already: a host lost now should fail in seconds.
        dial: "failFast",
        dependsOn: [staged],
      }),
    );
    startAfter = barrier(parent, `${plan.name}-all-stopped`, stops);
  }
  return perNode.map(({ node, promote, staging }, i) =>
    hostStep(parent, plan.name, node, "service", {
      // The staged files (env, CAs, binary, unit) become live here, just before the restart:
      // until every node has staged them, no node's live configuration has changed.
      create: gateScript(c, i, distributed, "restart", promote),
      // A plain update (a new SSH connection, a new timeout) only starts MinIO if it is not
      // running (a replaced machine, a unit stopped by hand) and checks its health.
      update: gateScript(c, i, distributed, "start", promote),
      // A change of what every node shares runs every node's step. A run that staged anything
      // on this node runs it too (`staging`), also when the other triggers are back to what
      // they were (a change rolled back after a failed restart). It restarts only when it made
      // staged files live, or MinIO does not run.
      triggers: [...revisions, staging],
      dependsOn: [startAfter],
      // A drift repair runs the update: it starts MinIO if it was stopped by hand.
      rerun: plan.rerun,
    }),
  );
}

/**
 * The deployment's `ready` gate on the admin node, after `after`: a distributed deployment is
 * ready once every node answers /minio/health/ready, checked after every node was started (no
 * node's own step waits for its peers).
 */
export function readyGate(
  c: MinioContext,
  perNode: MinioNode[],
  revisions: pulumi.Input<unknown>[],
  after: pulumi.Resource[],
): pulumi.Resource {
  const { plan, nodes } = c;
  const adminIndex = nodes.findIndex((n) => n.name === plan.adminHost);
  const script =
    nodes.length > 1 && !plan.existing
      ? pulumi.all(c.addrs).apply((hosts) =>
          clusterReadyScript({
            unit: plan.unitName,
            nodes: nodes.map((n, i) => ({
              name: n.name,
              baseUrl: `${plan.scheme}://${urlHost(hosts[i]!)}:${plan.port}`,
            })),
            caFile: plan.tls ? MINIO_PATHS.tlsCa : undefined,
            timeoutSeconds: plan.timeoutSeconds,
          }),
        )
      : gateScript(c, adminIndex, false, "none");
  return hostStep(c.parent, plan.name, nodes[adminIndex]!, "ready", {
    create: script,
    update: script,
    // Checks again after any node's service step ran.
    triggers: [...revisions, ...perNode.map((p) => p.staging)],
    dependsOn: after,
  });
}

/**
 * Everything the deployment writes, as the preflights' one revision: they run again exactly when
 * something changes, so a no-op run opens no SSH session.
 */
export function minioChangeParts(c: MinioContext, f: MinioFiles, rev: Revisions): pulumi.Input<unknown>[] {
  const { plan, args } = c;
  const parts: pulumi.Input<unknown>[] = [
    f.env.revision,
    plan.existing ? "existing" : `binary:${binaryRevision(args.binary!, "minio")}`,
    ...(f.kes.ca ? [rev.plain("kes-ca", f.kes.ca)] : []),
    ...(f.kes.clientCert
      ? [
          rev.plain("kes-client-cert", f.kes.clientCert.certPem),
          rev.secret("kes-client-key", f.kes.clientCert.keyPem),
        ]
      : []),
    ...(f.minioCa ? [rev.plain("minio-ca", f.minioCa)] : []),
    // mc is written on the admin node too.
    `mc:${plan.adminHost}:${args.mc ? (args.mc.sha256 ?? args.mc.preinstalledPath ?? "") : "none"}`,
  ];
  for (const node of c.nodes) {
    if (!plan.existing)
      parts.push(
        `${node.name}:unit:sha256:${sha256(plan.units[node.name]!)}`,
        `${node.name}:drives:${plan.drivesOf[node.name]!.join(",")}`,
      );
    const s = f.servers[node.name];
    if (s) parts.push(rev.plain(`${node.name}:cert`, s.certPem), rev.secret(`${node.name}:key`, s.keyPem));
  }
  return parts;
}

/** MinIO's own TLS: each node's certificate, brought or generated, through the kit. */
export function minioCertificates(c: MinioContext): ServerCertificates | undefined {
  const { plan } = c;
  if (!plan.tls) return undefined;
  return serverCertificates(c.parent, c.nodes, {
    name: plan.name,
    component: plan.component,
    tls: plan.tls,
    caCommonName: `${plan.name} MinIO CA`,
    // Every node's certificate names the node, plus localhost for checks on the host.
    sans: (addr) => [addr, "localhost", "127.0.0.1"],
    uses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
    validityHours: plan.validityHours,
    alsoCovers: (n) => (n.name === plan.adminHost ? "localhost" : undefined),
    expiryWarningDays: plan.expiryWarningDays,
  });
}

/**
 * What every node's service step restarts for: every node's triggers (each once), and the CA
 * pools, which MinIO reads at start (only leaf certificates are reloaded): a new KES CA or MinIO
 * CA restarts every node, after the KES gates.
 */
export function restartRevisions(
  perNode: MinioNode[],
  f: MinioFiles,
  rev: Revisions,
): pulumi.Input<unknown>[] {
  const revisions: pulumi.Input<unknown>[] = [];
  for (const t of perNode.flatMap((n) => n.triggers)) if (!revisions.includes(t)) revisions.push(t);
  if (f.kes.ca) revisions.push(rev.plain("kes-ca", f.kes.ca));
  if (f.minioCa) revisions.push(rev.plain("minio-ca", f.minioCa));
  return revisions;
}

/** mc on the admin node, after its prerequisites (curl), when the deployment installs it. */
export function adminMc(c: MinioContext, perNode: MinioNode[]) {
  const { plan, args } = c;
  if (!args.mc) return undefined;
  const admin = perNode.find((n) => n.node.name === plan.adminHost)!;
  return installBinarySteps(
    c.parent,
    plan.name,
    admin.node,
    { src: args.mc, defaultName: "mc", where: { component: plan.component, field: "mc" } },
    admin.prereqs ? [admin.prereqs] : [],
  );
}

/**
 * Nothing changes on any node unless every node is reachable: a preflight on every node
 * (reachable, root, systemd, free space) runs first, and every other step waits for all of them.
 * Its one trigger is a revision of everything the deployment writes ({@link minioChangeParts}).
 */
export function minioPreflights(c: MinioContext, f: MinioFiles, rev: Revisions): pulumi.Resource {
  const { plan } = c;
  const parts = minioChangeParts(c, f, rev);
  return preflightSteps(c.parent, plan.name, c.nodes, parts, (n) => plan.preflightPaths[n.name]!, "nodes")
    .done;
}
