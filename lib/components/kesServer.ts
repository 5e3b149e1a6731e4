import * as pulumi from "@pulumi/pulumi";
import { KES_PATHS } from "../core/defaults";
import { TYPE_TOKENS } from "../core/tokens";
import type { KesPolicy, KeystoreKind } from "../core/types";
import type { KesServerArgs } from "./args";
import {
  checked,
  checkedHost,
  claimHostPaths,
  hostIdentity,
  preflightSteps,
  Revisions,
  sha256,
  throwIfInvalid,
} from "./internal";
import { type KesContext, kesFiles, kesPolicies, kesReplica, minioClientCredentials } from "./kesSteps";
import type { KmsTarget } from "./kmsTarget";
import { type KesPlan, resolveKesServer } from "./resolve/kesServer";
import { binaryRevision, serverCertificates, unpinnedHosts } from "./service";

export { validateKesServerArgs } from "./resolve/kesServer";
export { binaryInstallPath, binaryRevision } from "./service";

/** What MinIO needs to reach this KES: an API key, or a client certificate and key. */
export type KesClientCredentials =
  | {
      /** MinIO authenticates with an API key (`MINIO_KMS_KES_API_KEY`). */
      kind: "apiKey";
      /** The API key (`kes:v1:…`), secret. */
      apiKey: pulumi.Output<string>;
      /** The identity KES knows MinIO by (hex SHA-256 of its public key). */
      identity: pulumi.Output<string>;
    }
  | {
      /** MinIO authenticates with a client certificate (`MINIO_KMS_KES_CERT_FILE`, `…_KEY_FILE`). */
      kind: "certificate";
      /** Client certificate (PEM). */
      certPem: pulumi.Output<string>;
      /** Client key (PEM), secret. */
      keyPem: pulumi.Output<string>;
      /** The identity KES knows MinIO by (hex SHA-256 of its public key). */
      identity: pulumi.Output<string>;
    };

/**
 * KES, the key encryption service between MinIO and the KMS: one or more replicas that share
 * keystore, policy and identities. On each host, in order: the `kes` user, the binary, TLS files,
 * the config (mode 0600, owned by `kes`), a root-only env file with the keystore secrets, the
 * systemd unit, then start and a health gate on `/v1/ready`. A changed config or certificate
 * reloads KES (SIGHUP); a changed binary, unit or secret restarts it.
 *
 * It also holds MinIO's KES credentials: an Ed25519 key from `@pulumi/tls` turned into an API
 * key (secret in state), whose identity is placed in the MinIO policy by itself.
 */
export class KesServer extends pulumi.ComponentResource {
  /** KES endpoints, `https://<internalAddress>:<port>`, one per replica. */
  readonly endpoints: pulumi.Output<string[]>;
  /** CA certificate (PEM) that verifies the KES server certificates. */
  readonly caCertPem: pulumi.Output<string>;
  /** MinIO's credentials for this KES. */
  readonly minioClient: KesClientCredentials;
  /** Every identity this KES trusts (MinIO's first, then the clients'). */
  readonly identities: pulumi.Output<string[]>;
  /** Key names (or prefixes) MinIO may use. */
  readonly minioKeyNames: string[];
  /** The keystore backend (`fs` for the filesystem keystore, as in KES's config). */
  readonly keystoreKind: KeystoreKind;
  /** The rendered config file (no secrets in it), identical on every replica. */
  readonly config: pulumi.Output<string>;
  /** The health gate of each replica: depend on these to run after KES is ready everywhere. */
  readonly readyGates: pulumi.Resource[];
  /** Expiry (RFC 3339) of each replica's server certificate, keyed by host name. */
  readonly certificateNotAfter: pulumi.Output<Record<string, string>>;
  /** Names of the KES hosts (MinIO orders itself after KES on hosts it shares). */
  readonly hostNames: string[];
  /** The KES port. */
  readonly port: number;
  /** @internal Where each host is (its canonical service address, when known), for co-location. */
  readonly hostIdentities: Array<string | undefined>;
  /** Hosts reached without a pinned SSH host key (for policies; should be empty). */
  readonly unpinnedHosts: string[];
  /**
   * What the last drift check found (`driftCheck`), one entry per difference:
   * `<host>: <path or unit>: <what differs> (step <step>)`. Empty when it found none, or is off.
   */
  readonly driftReport: pulumi.Output<string[]>;
  /** The policies' names and allow/deny paths, known at preview time (for policy packs). */
  readonly policyRules: Array<{
    /** Policy name: `minio` for MinIO's own, else `KesServerArgs.clients[].name`. */
    name: string;
    /** Allowed API path patterns (`*` at the end = prefix match, kes-minio.md §1.1). */
    allow: string[];
    /** Denied API path patterns; a match wins over any allow. Empty when there are none. */
    deny: string[];
  }>;
  /** The KES policies as rendered (names, allow/deny paths, identities): no secrets. */
  readonly policies: pulumi.Output<KesPolicy[]>;

  constructor(name: string, args: KesServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE_TOKENS.kesServer, name, {}, opts);
    const { issues, plan } = resolveKesServer(name, args);
    if (plan) claimHostPaths(issues, plan.component, "hosts", args.hosts, plan.claims);
    throwIfInvalid(issues, plan?.component ?? `KesServer ${name}`, this);
    const p = plan as KesPlan;
    const kms: KmsTarget = args.kms;
    const c: KesContext = {
      parent: this,
      plan: p,
      args,
      kms,
      chk: (field, v, rule) => checked(this, p.component, field, v, rule),
    };
    // Inputs given as Outputs are checked with the validator's rules once they resolve.
    const hosts = args.hosts.map((h, i) => checkedHost(this, p.component, `hosts[${i}]`, h));
    this.hostIdentities = args.hosts.map(hostIdentity);
    this.port = p.port;
    this.keystoreKind = kms.kind;
    this.hostNames = args.hosts.map((h) => h.name);
    this.unpinnedHosts = unpinnedHosts(args.hosts);
    this.minioKeyNames = [...args.minioKeyNames];
    if (kms.kind === "fs" && args.hosts.length > 1) {
      pulumi.log.warn(
        `KesServer ${name}: the filesystem keystore with ${args.hosts.length} replicas: every replica must see the same directory (${kms.fsPath}) on shared storage, or they disagree about which keys exist.`,
        this,
      );
    }
    // Every replica's server certificate, brought or generated, through the kit (a CA of our own
    // also signs MinIO's client certificate).
    const certs = serverCertificates(this, hosts, {
      name,
      component: p.component,
      tls: args.tls ?? {},
      caCommonName: `${name} KES CA`,
      needCa: p.minioAuth === "certificate",
      sans: (addr) => [addr],
      uses: ["digital_signature", "key_encipherment", "server_auth"],
      validityHours: p.validityHours,
      expiryWarningDays: p.expiryWarningDays,
    });
    this.caCertPem = certs.caCertPem;
    this.certificateNotAfter = certs.notAfter;
    this.minioClient = minioClientCredentials(c, certs.ca);
    const policies = kesPolicies(c, this.minioClient.identity);
    this.identities = policies.identities;
    this.policies = policies.policies;
    this.policyRules = policies.rules;
    const rev = new Revisions(this, name);
    const files = kesFiles(c, this.policies, this.caCertPem, rev);
    this.config = files.config;

    // Before a change, every replica is checked first (as MinioDeployment does): a preflight on
    // every host, failing after 3 dials, so a wrong host key or a dead address fails in seconds
    // and names the host. It runs again only when something KES writes changes.
    const changes: pulumi.Input<unknown>[] = [
      files.secretEnvRevision,
      files.configRevision,
      files.caRevision,
      ...files.kmsFileRevisions,
      `binary:${binaryRevision(args.binary, "kes")}`,
      `port:${p.port}`,
      ...hosts.flatMap((h) => [
        `${h.name}:unit:sha256:${sha256(p.units[h.name]!)}`,
        rev.plain(`${h.name}:cert`, certs.servers[h.name]!.certPem),
        rev.secret(`${h.name}:key`, certs.servers[h.name]!.keyPem),
      ]),
    ];
    const preflight = preflightSteps(
      this,
      name,
      hosts,
      changes,
      () => p.preflightPaths,
      "hosts",
      KES_PATHS.unit,
    );
    // Whether any replica was serving when this change began (the preflights report kes.service's
    // state): then replicas restart one after the other, so MinIO always has a KES; on a fresh
    // install nobody is waiting, so they all start at once.
    const serving = pulumi
      .all(preflight.steps.map((s) => s.stdout))
      .apply((outs) => outs.some((o) => /^unit: kes\.service active$/m.test(o ?? "")));
    const shared = { files, caCertPem: this.caCertPem, preflights: [preflight.done], rev };
    const replicas: ReturnType<typeof kesReplica>[] = [];
    for (const host of hosts) {
      const previous = replicas.at(-1)?.gates.slice(-1) ?? [];
      const rollAfter = serving.apply((on) => (on ? previous : []));
      replicas.push(kesReplica(c, host, certs.servers[host.name]!, shared, rollAfter));
    }
    this.endpoints = pulumi.all(replicas.map((r) => r.endpoint));
    this.driftReport = pulumi
      .all(replicas.flatMap((r) => (r.report ? [r.report] : [])))
      .apply((r) => r.flat());
    this.readyGates = replicas.flatMap((r) => r.gates);
    this.registerOutputs({
      endpoints: this.endpoints,
      caCertPem: this.caCertPem,
      identities: this.identities,
      minioIdentity: this.minioClient.identity,
      minioKeyNames: this.minioKeyNames,
      keystoreKind: this.keystoreKind,
      certificateNotAfter: this.certificateNotAfter,
      unpinnedHosts: this.unpinnedHosts,
      policies: this.policies,
      policyRules: this.policyRules,
      port: this.port,
      ...(args.driftCheck ? { driftReport: this.driftReport } : {}),
    });
  }
}
