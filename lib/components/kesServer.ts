import * as pulumi from "@pulumi/pulumi";
import { urlHost } from "../core/rules";
import { TYPE_TOKENS } from "../core/tokens";
import type { KesPolicy, KeystoreKind } from "../core/types";
import type { KesServerArgs } from "./args";
import { checked, checkedHost, claimHostPaths, hostIdentity, Revisions, throwIfInvalid } from "./internal";
import {
  type KesContext,
  kesCertificates,
  kesFiles,
  kesPolicies,
  kesReplicas,
  minioClientCredentials,
} from "./kesSteps";
import type { KmsTarget } from "./kmsTarget";
import { type KesPlan, resolveKesServer } from "./resolve/kesServer";
import { unpinnedHosts } from "./service";

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
 * the config (mode 0640, `root:kes`: KES reads it, root owns it), a root-only env file with the keystore secrets, the
 * systemd unit, then start and a health gate on `/v1/ready`. A changed config or certificate
 * reloads KES (SIGHUP); a changed binary, unit or secret restarts it.
 *
 * It also holds MinIO's KES credentials: an Ed25519 key from `@pulumi/tls` turned into an API
 * key (secret in state), whose identity is placed in the MinIO policy by itself.
 */
export class KesServer extends pulumi.ComponentResource {
  /**
   * The KES endpoints MinIO uses: `https://<internalAddress>:<port>` of each replica, or
   * `https://<serviceName>:<port>` alone when `serviceName` is given.
   */
  readonly endpoints: pulumi.Output<string[]>;
  /** CA certificate (PEM) that verifies the KES server certificates. */
  readonly caCertPem: pulumi.Output<string>;
  /** MinIO's credentials for this KES. */
  readonly minioClient: KesClientCredentials;
  /** Every identity this KES trusts: MinIO's (the active credential's, then during a rotation the previous one's), then the clients'. */
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
      const dir = kms.fsPath;
      pulumi.log.warn(
        `KesServer ${name}: the filesystem keystore with ${args.hosts.length} replicas: every replica must see the same directory (${dir}) on shared storage, or they disagree about which keys exist.`,
        this,
      );
    }
    const certs = kesCertificates(c, hosts);
    this.caCertPem = certs.caCertPem;
    this.certificateNotAfter = certs.notAfter;
    const credentials = minioClientCredentials(c, certs.ca);
    this.minioClient = credentials.active;
    const policies = kesPolicies(c, credentials.identities);
    this.identities = policies.identities;
    this.policies = policies.policies;
    this.policyRules = policies.rules;
    const rev = new Revisions(this, name);
    const files = kesFiles(c, this.policies, this.caCertPem, rev);
    this.config = files.config;

    // Before a change, every replica is checked first (as MinioDeployment does), and the
    // replicas roll one after the other when one is serving.
    const replicas = kesReplicas(c, hosts, certs, files, rev);
    this.endpoints = args.serviceName
      ? pulumi.output([`https://${urlHost(args.serviceName)}:${p.port}`])
      : pulumi.all(replicas.map((r) => r.endpoint));
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
