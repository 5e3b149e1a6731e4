/**
 * @internal What is KES's own in a {@link KesServer}, built from its plan (`resolve/kesServer.ts`)
 * with the service kit (`service.ts`): MinIO's credentials, the policies and config, and each
 * replica's files, restart and reload, rolled one replica after the other when one is serving.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { KES_PATHS } from "../core/defaults";
import { kesApiKeyFromPrivateKey, kesIdentityFromApiKey, kesIdentityFromCertificate } from "../core/identity";
import {
  kesKeystoreSecretEnv,
  minioKesPolicy,
  renderKesConfig,
  renderKesSecretEnvFile,
} from "../core/kesConfig";
import * as rules from "../core/rules";
import { type Rule, urlHost } from "../core/rules";
import { ensureDirectoriesScript, serviceActionScript } from "../core/scripts";
import type { KesPolicy } from "../core/types";
import type { KesServerArgs } from "./args";
import type { HostArgs } from "./hosts";
import {
  DriftFiles,
  issueCertificate,
  preflightSteps,
  type Revisions,
  rotationTrigger,
  sha256,
} from "./internal";
import type { KesClientCredentials } from "./kesServer";
import type { KmsTarget } from "./kmsTarget";
import type { KesPlan } from "./resolve/kesServer";
import {
  binaryRevision,
  type CertificatePair,
  readByService,
  type ServerCertificates,
  type ServiceFile,
  ServiceHost,
  serverCertificates,
  serviceDriftCheck,
} from "./service";

/** What the steps of a KES are built from. */
export interface KesContext {
  /** The component. */
  parent: pulumi.Resource;
  plan: KesPlan;
  args: KesServerArgs;
  kms: KmsTarget;
  /** An argument checked with its rule once it resolves. */
  chk: (field: string, v: pulumi.Input<string>, rule: Rule) => pulumi.Output<string>;
}

/**
 * MinIO's credential for this KES in one slot: an Ed25519 key from `@pulumi/tls` turned into an
 * API key (secret in state), or a client certificate signed by the KES CA. `tls.rotation`
 * replaces it. Slot `a` keeps the names every stack has; slot `b` is `<name>-minio-client-b…`.
 */
function slotCredential(
  c: KesContext,
  ca: CertificatePair | undefined,
  slot: "a" | "b",
): KesClientCredentials {
  const { plan, parent } = c;
  const rotation = c.args.tls?.rotation;
  const base = slot === "a" ? `${plan.name}-minio-client` : `${plan.name}-minio-client-b`;
  if (plan.minioAuth === "apiKey") {
    const key = new tls.PrivateKey(
      `${base}-key`,
      { algorithm: "ED25519" },
      { parent, replacementTrigger: rotationTrigger(rotation), additionalSecretOutputs: ["privateKeyPem"] },
    );
    const apiKey = pulumi.secret(key.privateKeyPem.apply(kesApiKeyFromPrivateKey));
    return { kind: "apiKey", apiKey, identity: pulumi.unsecret(apiKey.apply(kesIdentityFromApiKey)) };
  }
  const cert = issueCertificate(parent, base, {
    ca: ca!,
    commonName: "minio",
    sans: ["minio"],
    uses: ["digital_signature", "client_auth"],
    validityHours: plan.validityHours,
    rotation,
  });
  return {
    kind: "certificate",
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    identity: cert.certPem.apply(kesIdentityFromCertificate),
  };
}

/**
 * MinIO's credentials: the one it uses (the active slot), and the identities KES admits for it
 * (the active slot's first, then the previous slot's while a rotation is under way).
 */
export function minioClientCredentials(
  c: KesContext,
  ca: CertificatePair | undefined,
): { active: KesClientCredentials; identities: pulumi.Output<string[]> } {
  const slots = c.plan.credentialSlots;
  const made = Object.fromEntries(slots.all.map((s) => [s, slotCredential(c, ca, s)])) as Partial<
    Record<"a" | "b", KesClientCredentials>
  >;
  const active = made[slots.active]!;
  const identities = pulumi.all(slots.all.map((s) => made[s]!.identity));
  return { active, identities };
}

/** KES's policies: MinIO's own, then each client's, with their identities. */
export interface KesPolicies {
  /** Every identity this KES trusts (MinIO's first). */
  identities: pulumi.Output<string[]>;
  /** The policies as rendered. */
  policies: pulumi.Output<KesPolicy[]>;
  /** The same without identities: known at preview time, for policy packs. */
  rules: Array<{ name: string; allow: string[]; deny: string[] }>;
}

/** The policies of this KES, from MinIO's identities and the clients' arguments. */
export function kesPolicies(c: KesContext, minioIdentities: pulumi.Output<string[]>): KesPolicies {
  const clients = c.args.clients ?? [];
  const keyNames = [...c.args.minioKeyNames];
  const clientIdentities: pulumi.Output<string[][]> = pulumi.all(
    clients.map((cl, i) =>
      pulumi.all(cl.identities.map((id, j) => c.chk(`clients[${i}].identities[${j}]`, id, rules.identity))),
    ),
  );
  const both = pulumi.all([minioIdentities, clientIdentities]);
  return {
    identities: both.apply(([m, rest]) => [...m, ...rest.flat()]),
    policies: both.apply(([m, rest]) => [
      minioKesPolicy({ keyNames, identities: [...m] }),
      ...clients.map((cl, i) => ({ name: cl.name, allow: cl.allow, deny: cl.deny, identities: rest[i]! })),
    ]),
    // Identities derive from keys created in the same update: not known at preview time.
    rules: [
      minioKesPolicy({ keyNames, identities: [] }),
      ...clients.map((cl) => ({ name: cl.name, allow: cl.allow, deny: cl.deny, identities: [] })),
    ].map(({ name, allow, deny }) => ({ name, allow, deny: deny ?? [] })),
  };
}

/** KES's config (no secret in it) and its root-only env file of keystore secrets, with their revisions. */
export interface KesFiles {
  config: pulumi.Output<string>;
  secretEnv: pulumi.Output<string>;
  /** One revision per secret variable: a new MinIO identity leaves it unchanged. */
  secretEnvRevision: pulumi.Output<Record<string, string>>;
  configRevision: pulumi.Output<string>;
  caRevision: pulumi.Output<string>;
  kmsFileRevisions: pulumi.Output<string>[];
}

/** The config every replica shares, its secrets file, and their revisions. */
export function kesFiles(
  c: KesContext,
  policies: pulumi.Output<KesPolicy[]>,
  caCertPem: pulumi.Output<string>,
  rev: Revisions,
): KesFiles {
  const { kms, args, plan } = c;
  const rendered = pulumi.all([kms.keystore, policies]).apply(([keystore, pol]) =>
    renderKesConfig({
      address: `0.0.0.0:${plan.port}`,
      tls: { keyFile: KES_PATHS.key, certFile: KES_PATHS.cert, auth: "off" },
      policies: pol,
      cache: args.cache,
      log: { error: "on", audit: args.auditLog ? "on" : "off" },
      keystore,
    }),
  );
  // The config holds no secret (secrets are ${VAR} references), so it is shown in diffs (the
  // files step's trigger).
  const config = pulumi.unsecret(rendered.apply((r) => r.yaml));
  // From the keystore alone: a new MinIO identity (a rotation) leaves the secrets, and KES's
  // restart trigger, known and unchanged in the preview.
  const secretEnv = pulumi.secret(kms.keystore.apply((k) => renderKesSecretEnvFile(kesKeystoreSecretEnv(k))));
  return {
    config,
    secretEnv,
    secretEnvRevision: rev.eachVariable(
      "secrets",
      kms.keystore.apply((k) => Object.entries(kesKeystoreSecretEnv(k))),
    ),
    configRevision: rev.plain("config", config),
    caRevision: rev.plain("ca", caCertPem),
    kmsFileRevisions: kms.files.map((f) =>
      f.secret ? rev.secret(f.path, f.content) : rev.plain(f.path, f.content),
    ),
  };
}

/** A file KES reads: root's, read through KES's group, in KES's directory when directly in it. */
function kesFile(concern: string, path: string, content: pulumi.Input<string>, secret: boolean): ServiceFile {
  const inDir = path.startsWith(`${KES_PATHS.dir}/`) && path.lastIndexOf("/") === KES_PATHS.dir.length;
  return readByService(concern, path, content, secret, KES_PATHS.user, inDir);
}

/** One replica's gates (service, then reload) and its drift report. */
export interface KesReplica {
  endpoint: pulumi.Output<string>;
  gates: pulumi.Resource[];
  report?: pulumi.Output<string[]>;
}

/** Everything the replicas share. */
export interface KesShared {
  files: KesFiles;
  caCertPem: pulumi.Output<string>;
  preflights: pulumi.Resource[];
  rev: Revisions;
}

/** The files of one replica, in one step: its certificate, the CA, the keystore's files, the config, the secrets. */
function replicaFiles(c: KesContext, host: ServiceHost, server: CertificatePair, s: KesShared) {
  const own = { own: true };
  const list: ServiceFile[] = [
    kesFile("tls-cert", KES_PATHS.cert, server.certPem, false),
    kesFile("tls-key", KES_PATHS.key, server.keyPem, true),
    kesFile("ca-cert", KES_PATHS.ca, s.caCertPem, false),
    ...c.kms.files.map((f) =>
      kesFile(
        `kms-${f.path.slice(f.path.lastIndexOf("/") + 1).replace(/\./g, "-")}`,
        f.path,
        f.content,
        f.secret,
      ),
    ),
    // The config holds no secret: a preview shows its change, line by line (the step's trigger).
    { ...kesFile("config", KES_PATHS.config, s.files.config, false), mode: "0640", dir: own, shown: true },
    {
      ...kesFile("secrets", KES_PATHS.secretEnv, s.files.secretEnv, true),
      mode: "0600",
      group: "root",
      dir: own,
    },
  ];
  return host.files("files", list, s.rev)!;
}

/** The filesystem keystore's directory, owned by kes (KES creates it only when it may), in the system step. */
function keystoreDir(c: KesContext): Array<{ label: string; script: string }> {
  const path = c.kms.fsPath;
  return path === undefined
    ? []
    : [
        {
          label: "keystore-dir",
          script: ensureDirectoriesScript({
            paths: [path],
            owner: KES_PATHS.user,
            group: KES_PATHS.user,
            mode: "0700",
          }),
        },
      ];
}

/**
 * One replica: the account, binary and files through the kit, then a service step that
 * restarts on what KES cannot reload (binary, unit, secrets, port) and a reload step (SIGHUP) on
 * what it re-reads (config, certificates, keystore files), each gated on `/v1/ready`. It waits
 * for `rollAfter` (the previous replica's gates when one was serving).
 */
export function kesReplica(
  c: KesContext,
  hostArgs: HostArgs,
  server: CertificatePair,
  s: KesShared,
  rollAfter: pulumi.Output<pulumi.Resource[]>,
): KesReplica {
  const { plan } = c;
  const drifts = new DriftFiles(plan.name, hostArgs);
  const account = { user: KES_PATHS.user, home: KES_PATHS.home };
  const host = new ServiceHost(c.parent, plan.name, hostArgs, account, drifts, s.preflights, plan.rerun);
  host.installAccount(keystoreDir(c));
  const addr = pulumi.output(hostArgs.internalAddress ?? hostArgs.address);
  const endpoint = pulumi.interpolate`https://${addr.apply(urlHost)}:${plan.port}`;
  const binary = host.binary({
    src: c.args.binary,
    defaultName: "kes",
    where: { component: plan.component, field: "binary" },
  });
  const files = replicaFiles(c, host, server, s);
  const unitText = plan.units[hostArgs.name]!;
  const unit = host.unit(KES_PATHS.unit, KES_PATHS.unitFile, unitText, binary.step);
  const health = endpoint.apply((url) => ({
    kind: "kes" as const,
    url: `${url}/v1/ready`,
    caFile: KES_PATHS.ca,
    connectTo: `127.0.0.1:${plan.port}`,
  }));
  const gate = (action: "restart" | "reload" | "start" | "none") =>
    health.apply((h) =>
      serviceActionScript({ unit: KES_PATHS.unit, action, health: h, timeoutSeconds: plan.timeoutSeconds }),
    );
  const service = host.step("service", {
    create: gate("restart"),
    // Not on a plain update (a new SSH connection, a new timeout): then only start KES if it
    // is not running (a replaced machine, a unit stopped by hand) and check its health.
    update: gate("start"),
    // The port too: a SIGHUP reload does not move KES to a new address.
    triggers: [
      `binary:${binary.revision}`,
      `unit:sha256:${sha256(unitText)}`,
      s.files.secretEnvRevision,
      `port:${plan.port}`,
      // A drift repair restarts KES (rolling) so that it reads what the repair rewrote.
      ...(plan.rerun ? [plan.rerun] : []),
    ],
    dependsOn: [binary.step, unit, files, rollAfter],
    // A drift repair also restarts KES (its trigger above), which starts it if it was stopped.
    rerun: plan.rerun,
  });
  const reload = host.step("reload", {
    create: gate("reload"),
    update: gate("none"),
    triggers: [
      s.files.configRevision,
      s.rev.plain("cert", server.certPem),
      s.rev.secret("key", server.keyPem),
      s.files.caRevision,
      ...s.files.kmsFileRevisions,
    ],
    dependsOn: [service],
  });
  const drift = c.args.driftCheck;
  const report = drift
    ? serviceDriftCheck(c.parent, plan.name, hostArgs, drift, drifts.list, KES_PATHS.unit, [reload])
    : undefined;
  return { endpoint, gates: [service, reload], report };
}

/**
 * Every replica's server certificate, brought or generated, through the kit (a CA of our own
 * also signs MinIO's client certificate).
 */
export function kesCertificates(c: KesContext, hosts: HostArgs[]): ServerCertificates {
  const { plan } = c;
  return serverCertificates(c.parent, hosts, {
    name: plan.name,
    component: plan.component,
    tls: c.args.tls ?? {},
    caCommonName: `${plan.name} KES CA`,
    needCa: plan.minioAuth === "certificate",
    // MinIO reaches the replicas by the service name, when there is one.
    sans: (addr) => (c.args.serviceName ? [addr, c.args.serviceName] : [addr]),
    alsoCovers: () => c.args.serviceName,
    uses: ["digital_signature", "key_encipherment", "server_auth"],
    validityHours: plan.validityHours,
    expiryWarningDays: plan.expiryWarningDays,
  });
}

/**
 * The preflights of every replica, then the replicas. A preflight on every host (reachable,
 * root, systemd, free space) fails after 3 dials, so a wrong host key or a dead address fails in
 * seconds and names the host; it runs again only when something KES writes changes. Whether any
 * replica was serving when this change began (the preflights report kes.service's state) decides
 * the order: then replicas restart one after the other, so MinIO always has a KES; on a fresh
 * install nobody is waiting, so they all start at once.
 */
export function kesReplicas(
  c: KesContext,
  hosts: HostArgs[],
  certs: ServerCertificates,
  files: KesFiles,
  rev: Revisions,
): KesReplica[] {
  const { plan } = c;
  const changes: pulumi.Input<unknown>[] = [
    files.secretEnvRevision,
    files.configRevision,
    files.caRevision,
    ...files.kmsFileRevisions,
    `binary:${binaryRevision(c.args.binary, "kes")}`,
    `port:${plan.port}`,
    ...hosts.flatMap((h) => [
      `${h.name}:unit:sha256:${sha256(plan.units[h.name]!)}`,
      rev.plain(`${h.name}:cert`, certs.servers[h.name]!.certPem),
      rev.secret(`${h.name}:key`, certs.servers[h.name]!.keyPem),
    ]),
  ];
  const preflight = preflightSteps(
    c.parent,
    plan.name,
    hosts,
    changes,
    () => plan.preflightPaths,
    "hosts",
    KES_PATHS.unit,
  );
  const serving = pulumi
    .all(preflight.steps.map((s) => s.stdout))
    .apply((outs) => outs.some((o) => /^unit: kes\.service active$/m.test(o ?? "")));
  const shared = { files, caCertPem: certs.caCertPem, preflights: [preflight.done], rev };
  const replicas: KesReplica[] = [];
  for (const host of hosts) {
    const previous = replicas.at(-1)?.gates.slice(-1) ?? [];
    const rollAfter = serving.apply((on) => (on ? previous : []));
    replicas.push(kesReplica(c, host, certs.servers[host.name]!, shared, rollAfter));
  }
  return replicas;
}
