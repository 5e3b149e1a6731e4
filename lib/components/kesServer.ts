import { X509Certificate } from "node:crypto";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { KES_DEFAULTS, TLS_DEFAULTS } from "../core/defaults";
import { kesApiKeyFromPrivateKey, kesIdentityFromApiKey, kesIdentityFromCertificate } from "../core/identity";
import {
  kesKeystoreSecretEnv,
  minioKesPolicy,
  renderKesConfig,
  renderKesSecretEnvFile,
} from "../core/kesConfig";
import * as rules from "../core/rules";
import { downloadUrl, type Rule, urlHost } from "../core/rules";
import {
  checkPreinstalledBinaryScript,
  ensureDirectoriesScript,
  ensurePrerequisitesScript,
  ensureServiceUserScript,
  installBinaryScript,
  installUnitScript,
  removeUnitScript,
  serviceActionScript,
  UPLOAD_DIR,
  uploadDirScript,
  writeFileScript,
} from "../core/scripts";
import { renderKesUnit } from "../core/systemd";
import { TYPE_TOKENS } from "../core/tokens";
import type { KesPolicy, KeystoreKind } from "../core/types";
import {
  checkBinarySource,
  checkCertificateForHost,
  checkDuration,
  checkHosts,
  checkKeyPattern,
  checkPlain,
  checkPort,
  checkRule,
  checkTimeout,
  checkTlsTiming,
  Issues,
  known,
} from "../core/validate";
import type { BinarySourceArgs, KesServerArgs } from "./args";
import { type HostArgs, hostConnection } from "./hosts";
import {
  CertificateAuthority,
  checked,
  checkedCertificate,
  checkedHost,
  checkLocalBinary,
  claimHostPaths,
  DriftFiles,
  driftCheckStep,
  driftRepairLabel,
  hostIdentity,
  hostStep,
  issueCertificate,
  preflightSteps,
  Revisions,
  sha256,
  throwIfInvalid,
  warnExpiringCertificates,
} from "./internal";
import { KmsTarget } from "./kmsTarget";

/** Where KES's unit is installed. */
const KES_UNIT_FILE = "/etc/systemd/system/kes.service";

/** Paths KES uses on each host. */
export const KES_PATHS = {
  dir: "/etc/kes",
  config: "/etc/kes/config.yaml",
  secretEnv: "/etc/kes/kes.env",
  cert: "/etc/kes/server.crt",
  key: "/etc/kes/server.key",
  ca: "/etc/kes/ca.crt",
  home: "/var/lib/kes",
  unit: "kes.service",
  user: "kes",
} as const;

/** Validate {@link KesServerArgs}; exported for the bad-input table tests. */
export function validateKesServerArgs(args: KesServerArgs): Issues {
  const issues = new Issues();
  checkHosts(issues, "hosts", args?.hosts);
  if (!(args?.kms instanceof KmsTarget)) {
    issues.add(
      "kms",
      'pass a KmsTarget resource: kms: new KmsTarget("kms", { vault: {…} }) (or filesystem for development), not its plain arguments.',
    );
  }
  checkBinarySource(issues, "binary", args?.binary, "kes");
  if (issues.ok) checkLocalBinary(issues, "binary", args?.binary);
  if (checkPlain(issues, "port", args?.port, String(KES_DEFAULTS.port)))
    checkPort(issues, "port", args?.port);
  if (!Array.isArray(args?.minioKeyNames) || args.minioKeyNames.length === 0) {
    issues.add(
      "minioKeyNames",
      'list the key names MinIO may use (its default key and bucket keys), or a prefix such as "minio-*".',
    );
  } else {
    args.minioKeyNames.forEach((k, i) => {
      checkKeyPattern(issues, `minioKeyNames[${i}]`, k);
    });
  }
  if (args?.minioAuth !== undefined && args.minioAuth !== "apiKey" && args.minioAuth !== "certificate") {
    issues.add(
      "minioAuth",
      `minioAuth ${JSON.stringify(args.minioAuth)} is unknown; set it to "apiKey" or "certificate".`,
    );
  }
  checkTimeout(issues, "healthTimeoutSeconds", args?.healthTimeoutSeconds);
  if (args?.driftCheck !== undefined) {
    checkRule(issues, "driftCheck.request", args.driftCheck?.request, rules.driftRequest);
    if (args.driftCheck?.repair !== undefined)
      checkRule(issues, "driftCheck.repair", args.driftCheck.repair, rules.driftRequest);
  }
  checkDuration(issues, "cache.any", args?.cache?.any);
  checkDuration(issues, "cache.unused", args?.cache?.unused);
  checkDuration(issues, "cache.offline", args?.cache?.offline);
  const t = args?.tls;
  checkTlsTiming(issues, t);
  if (t?.certificates) {
    const names = (Array.isArray(args.hosts) ? args.hosts : []).map((h) => h.name);
    for (const [hostName, pair] of Object.entries(t.certificates)) {
      const host = (Array.isArray(args.hosts) ? args.hosts : []).find((h) => h.name === hostName);
      if (!host) {
        issues.add(
          `tls.certificates.${hostName}`,
          `no host is named ${JSON.stringify(hostName)}; use host names as keys (${names.join(", ")}).`,
        );
        continue;
      }
      checkCertificateForHost(
        issues,
        `tls.certificates.${hostName}.certPem`,
        pair.certPem,
        known(host.internalAddress ?? (host.address as string)),
      );
    }
    if (t.caCertPem === undefined && t.ca === undefined) {
      issues.add(
        "tls.caCertPem",
        "with your own certificates, give the CA certificate that signed them (caCertPem) so MinIO can verify KES.",
      );
    }
    const missing = names.filter((n) => !(n in (t.certificates ?? {})));
    if (missing.length > 0 && t.ca === undefined) {
      issues.add(
        "tls.certificates",
        `hosts ${missing.join(", ")} have no certificate; give one for every host, or give tls.ca to generate the rest.`,
      );
    }
  }
  (args?.clients ?? []).forEach((c, i) => {
    if (!c.name || !/^[A-Za-z0-9_-]+$/.test(c.name) || c.name === "minio") {
      issues.add(
        `clients[${i}].name`,
        "rename the policy with letters, digits, '_' and '-' only; \"minio\" is reserved for MinIO's own policy.",
      );
    }
    for (const [j, id] of (c.identities ?? []).entries()) {
      checkRule(issues, `clients[${i}].identities[${j}]`, id, rules.identity);
    }
    for (const [j, p] of (c.allow ?? []).entries()) {
      if (typeof p !== "string" || !p.startsWith("/"))
        issues.add(
          `clients[${i}].allow[${j}]`,
          "write allow entries as API paths, like /v1/key/generate/app-*.",
        );
    }
  });
  return issues;
}

/** Steps that install a binary on one host; returns the last step. */
/** Where a binary is on the host: its `preinstalledPath`, else `/usr/local/bin/<name>`. */
export function binaryInstallPath(src: BinarySourceArgs, defaultName: string): string {
  return src.preinstalledPath ?? `/usr/local/bin/${src.name ?? defaultName}`;
}

/**
 * What a binary's restart trigger stands for: its sha256, or, for a `preinstalledPath` without
 * one, the path.
 */
export function binaryRevision(src: BinarySourceArgs, defaultName: string): string {
  return src.sha256 ? `sha256:${src.sha256}` : `path:${binaryInstallPath(src, defaultName)}`;
}

export function installBinarySteps(
  parent: pulumi.Resource,
  componentName: string,
  host: HostArgs,
  src: BinarySourceArgs,
  defaultName: string,
  dependsOn: pulumi.Resource[],
  /** How errors name the component and the argument (`MinioDeployment minio`, `mc`). */
  where: { component: string; field: string },
  /** Stage the binary next to its path; the service step makes it live (installBinaryScript `stage`). */
  stage = false,
  /** A drift repair's label: a new one re-runs the install (hostStep `rerun`). */
  rerun?: string,
): { step: command.remote.Command; path: string; revision: string; staged: boolean } {
  if (src.preinstalledPath !== undefined) {
    const step = hostStep(parent, componentName, host, `${defaultName}-binary`, {
      create: checkPreinstalledBinaryScript({ path: src.preinstalledPath, sha256: src.sha256 }),
      dependsOn,
    });
    return { step, path: src.preinstalledPath, revision: binaryRevision(src, defaultName), staged: false };
  }
  const path = binaryInstallPath(src, defaultName);
  if (src.localPath !== undefined) {
    // Copied into a directory only the SSH user can write (UPLOAD_DIR below /var/lib, made by a
    // step before every upload), never into the world-writable /var/tmp.
    const file = `${src.name ?? defaultName}-${src.sha256}`;
    const staged = `${UPLOAD_DIR}/${file}`;
    const uploadDir = hostStep(parent, componentName, host, `${defaultName}-upload-dir`, {
      create: pulumi.output(host.user ?? "root").apply((owner) => uploadDirScript({ owner, file })),
      dependsOn,
    });
    const upload = new command.remote.CopyToRemote(
      `${componentName}-${host.name}-${defaultName}-upload`,
      {
        connection: hostConnection(host),
        source: new pulumi.asset.FileAsset(src.localPath),
        remotePath: staged,
        triggers: [src.sha256],
      },
      { parent, dependsOn: [uploadDir] },
    );
    const step = hostStep(parent, componentName, host, `${defaultName}-binary`, {
      create: installBinaryScript({ destPath: path, sha256: src.sha256!, uploadedPath: staged, stage }),
      dependsOn: [upload],
      rerun,
    });
    return { step, path, revision: binaryRevision(src, defaultName), staged: stage };
  }
  // A URL given as an Output, or with a query (a presigned URL: its signature is a credential),
  // is a secret: it travels on stdin, is secret in state, and is on no command line.
  const url = src.url!;
  const secretUrl = typeof url !== "string" || url.includes("?");
  const step = hostStep(parent, componentName, host, `${defaultName}-binary`, {
    create: secretUrl
      ? installBinaryScript({ destPath: path, sha256: src.sha256!, urlOnStdin: true, stage })
      : installBinaryScript({ destPath: path, sha256: src.sha256!, url, stage }),
    ...(secretUrl
      ? {
          stdin: pulumi
            .secret(checked(parent, where.component, `${where.field}.url`, url, downloadUrl))
            .apply((u) => `${u}\n`),
          secret: true,
        }
      : {}),
    dependsOn,
    rerun,
  });
  return { step, path, revision: binaryRevision(src, defaultName), staged: stage };
}

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
    const component = `KesServer ${name}`;
    const issues = validateKesServerArgs(args);
    checkRule(issues, "name", name, rules.componentName);
    if (issues.ok)
      claimHostPaths(issues, component, "hosts", args.hosts, [
        `file /usr/local/bin/${args.binary.name ?? KES_DEFAULTS.binaryName}`,
        `unit ${KES_PATHS.unit}`,
        `dir ${KES_PATHS.dir}`,
        `port ${args.port ?? KES_DEFAULTS.port}`,
      ]);
    throwIfInvalid(issues, component, this);
    // Inputs given as Outputs are checked with the validator's rules once they resolve.
    const hosts = args.hosts.map((h, i) => checkedHost(this, component, `hosts[${i}]`, h));
    this.hostIdentities = args.hosts.map(hostIdentity);
    const port = args.port ?? KES_DEFAULTS.port;
    this.port = port;
    const kms: KmsTarget = args.kms;
    this.keystoreKind = kms.kind;
    this.hostNames = args.hosts.map((h) => h.name);
    this.unpinnedHosts = args.hosts
      .filter((h) => h.hostKey === undefined || (h.bastion !== undefined && h.bastion.hostKey === undefined))
      .map((h) => h.name);
    if (kms.kind === "fs" && args.hosts.length > 1) {
      pulumi.log.warn(
        `KesServer ${name}: the filesystem keystore with ${args.hosts.length} replicas: every replica must see the same directory (${kms.fsPath}) on shared storage, or they disagree about which keys exist.`,
        this,
      );
    }
    this.minioKeyNames = [...args.minioKeyNames];
    const validityHours = args.tls?.validityHours ?? KES_DEFAULTS.certificateValidityHours;
    const rotation = args.tls?.rotation;

    // The CA: the user's, or one of our own.
    const byo = args.tls?.certificates ?? {};
    const needsGenerated =
      args.hosts.some((h) => !(h.name in byo)) ||
      (args.minioAuth ?? KES_DEFAULTS.minioAuth) === "certificate";
    let ca: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } | undefined;
    const chk = (field: string, v: pulumi.Input<string>, rule: Rule) =>
      checked(this, component, field, v, rule);
    if (args.tls?.ca) {
      ca = {
        certPem: chk("tls.ca.certPem", args.tls.ca.certPem, rules.certificatePem),
        keyPem: pulumi.secret(chk("tls.ca.keyPem", args.tls.ca.keyPem, rules.privateKeyPem)),
      };
    } else if (needsGenerated) {
      const own = new CertificateAuthority(
        `${name}-ca`,
        { commonName: `${name} KES CA`, rotation },
        { parent: this },
      );
      ca = { certPem: own.certPem, keyPem: own.keyPem };
    }
    this.caCertPem =
      args.tls?.caCertPem !== undefined
        ? chk("tls.caCertPem", args.tls.caCertPem, rules.certificatePem)
        : ca!.certPem;

    // MinIO's credentials.
    if ((args.minioAuth ?? KES_DEFAULTS.minioAuth) === "apiKey") {
      const key = new tls.PrivateKey(
        `${name}-minio-client-key`,
        { algorithm: "ED25519" },
        { parent: this, replacementTrigger: rotation, additionalSecretOutputs: ["privateKeyPem"] },
      );
      const apiKey = pulumi.secret(key.privateKeyPem.apply(kesApiKeyFromPrivateKey));
      this.minioClient = {
        kind: "apiKey",
        apiKey,
        identity: pulumi.unsecret(apiKey.apply(kesIdentityFromApiKey)),
      };
    } else {
      const c = issueCertificate(this, `${name}-minio-client`, {
        ca: ca!,
        commonName: "minio",
        sans: ["minio"],
        uses: ["digital_signature", "client_auth"],
        validityHours,
        rotation,
      });
      this.minioClient = {
        kind: "certificate",
        certPem: c.certPem,
        keyPem: c.keyPem,
        identity: c.certPem.apply(kesIdentityFromCertificate),
      };
    }

    const clientIdentities: pulumi.Output<string[][]> = pulumi.all(
      (args.clients ?? []).map((c, i) =>
        pulumi.all(c.identities.map((id, j) => chk(`clients[${i}].identities[${j}]`, id, rules.identity))),
      ),
    );
    this.identities = pulumi
      .all([this.minioClient.identity, clientIdentities])
      .apply(([m, rest]) => [m, ...rest.flat()]);

    const policies: pulumi.Output<KesPolicy[]> = pulumi
      .all([this.minioClient.identity, clientIdentities])
      .apply(([m, rest]) => [
        minioKesPolicy({ keyNames: this.minioKeyNames, identities: [m] }),
        ...(args.clients ?? []).map((c, i) => ({
          name: c.name,
          allow: c.allow,
          deny: c.deny,
          identities: rest[i]!,
        })),
      ]);

    this.policies = policies;
    // The same policies without identities: known at preview time (identities derive from keys
    // created in the same update), for policy packs.
    this.policyRules = [
      minioKesPolicy({ keyNames: this.minioKeyNames, identities: [] }),
      ...(args.clients ?? []).map((c) => ({ name: c.name, allow: c.allow, deny: c.deny, identities: [] })),
    ].map(({ name: n, allow, deny }) => ({ name: n, allow, deny: deny ?? [] }));
    const rendered = pulumi.all([kms.keystore, policies]).apply(([keystore, pol]) =>
      renderKesConfig({
        address: `0.0.0.0:${port}`,
        tls: { keyFile: KES_PATHS.key, certFile: KES_PATHS.cert, auth: "off" },
        policies: pol,
        cache: args.cache,
        log: { error: "on", audit: args.auditLog ? "on" : "off" },
        keystore,
      }),
    );
    // The config holds no secret (secrets are ${VAR} references), so it is shown in diffs.
    this.config = pulumi.unsecret(rendered.apply((r) => r.yaml));
    // From the keystore alone: a new MinIO identity (a rotation) leaves the secrets, and KES's
    // restart trigger, known and unchanged in the preview.
    const secretEnv = pulumi.secret(
      kms.keystore.apply((k) => renderKesSecretEnvFile(kesKeystoreSecretEnv(k))),
    );
    const rev = new Revisions(this, name);
    const secretEnvRevision = rev.eachVariable(
      "secrets",
      kms.keystore.apply((k) => Object.entries(kesKeystoreSecretEnv(k))),
    );
    const configRevision = rev.plain("config", this.config);
    const caRevision = rev.plain("ca", this.caCertPem);
    const kmsFileRevisions = kms.files.map((f) =>
      f.secret ? rev.secret(f.path, f.content) : rev.plain(f.path, f.content),
    );

    const endpoints: pulumi.Output<string>[] = [];
    const notAfter: Record<string, pulumi.Output<string>> = {};
    const gates: pulumi.Resource[] = [];
    let previousGates: pulumi.Resource[] = [];
    // The server certificate of each host, before any step: the preflights' revision covers them.
    const servers: Record<string, { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> }> = {};
    for (const host of hosts) {
      const addr = pulumi.output(host.internalAddress ?? host.address);
      let server: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> };
      if (host.name in byo) {
        const f = `tls.certificates.${host.name}`;
        server = {
          certPem: checkedCertificate(this, component, `${f}.certPem`, byo[host.name]!.certPem, host),
          keyPem: pulumi.secret(chk(`${f}.keyPem`, byo[host.name]!.keyPem, rules.privateKeyPem)),
        };
        notAfter[host.name] = server.certPem.apply((p) => new X509Certificate(p).validToDate.toISOString());
      } else {
        const c = issueCertificate(this, `${name}-${host.name}-server`, {
          ca: ca!,
          commonName: addr,
          sans: [addr],
          uses: ["digital_signature", "key_encipherment", "server_auth"],
          validityHours,
          rotation,
        });
        server = c;
        notAfter[host.name] = c.notAfter;
      }
      servers[host.name] = server;
    }

    // Before a change, every replica is checked first (as MinioDeployment does): a preflight on
    // every host (reachable, root, systemd, free space), failing after 3 dials, not 20, so a wrong
    // host key or a dead address fails in seconds and names the host. It runs again only when
    // something KES writes changes: a no-op run opens no SSH session.
    const binaryPath = binaryInstallPath(args.binary, "kes");
    const unitFor = (host: HostArgs) =>
      renderKesUnit({
        binaryPath,
        user: KES_PATHS.user,
        group: KES_PATHS.user,
        configPath: KES_PATHS.config,
        envFile: KES_PATHS.secretEnv,
        bindPrivilegedPort: port < 1024,
        owner: `${name}-${host.name}-unit`,
      });
    const contentParts: pulumi.Input<unknown>[] = [
      secretEnvRevision,
      configRevision,
      caRevision,
      ...kmsFileRevisions,
      `binary:${binaryRevision(args.binary, "kes")}`,
      `port:${port}`,
    ];
    for (const host of hosts) {
      contentParts.push(
        `${host.name}:unit:sha256:${sha256(unitFor(host))}`,
        rev.plain(`${host.name}:cert`, servers[host.name]!.certPem),
        rev.secret(`${host.name}:key`, servers[host.name]!.keyPem),
      );
    }
    const preflight = preflightSteps(
      this,
      name,
      hosts,
      contentParts,
      () => [KES_PATHS.dir, binaryPath, ...(kms.fsPath !== undefined ? [kms.fsPath] : [])],
      "hosts",
      KES_PATHS.unit,
    );
    const preflights = [preflight.done];
    // Whether any replica was serving when this change began (the preflights report kes.service's
    // state): then replicas restart one after the other, so MinIO always has a KES; on a fresh
    // install nobody is waiting, so they all start at once.
    const serving = pulumi
      .all(preflight.steps.map((p) => p.stdout))
      .apply((outs) => outs.some((o) => /^unit: kes\.service active$/m.test(o ?? "")));
    const rollAfter = (gates: pulumi.Resource[]) => serving.apply((s) => (s ? gates : []));

    const drift = args.driftCheck;
    const rerun = driftRepairLabel(drift);
    const reports: pulumi.Output<string[]>[] = [];
    for (const host of hosts) {
      const drifts = new DriftFiles(name, host);
      const declare = drifts.file.bind(drifts);
      const addr = pulumi.output(host.internalAddress ?? host.address);
      const endpoint = pulumi.interpolate`https://${addr.apply(urlHost)}:${port}`;
      endpoints.push(endpoint);
      const server = servers[host.name]!;

      const prereqs = hostStep(this, name, host, "prereqs", {
        create: ensurePrerequisitesScript(),
        dependsOn: preflights,
      });
      const user = hostStep(this, name, host, "user", {
        dependsOn: [prereqs],
        create: ensureServiceUserScript({
          user: KES_PATHS.user,
          group: KES_PATHS.user,
          home: KES_PATHS.home,
        }),
      });
      const binary = installBinarySteps(
        this,
        name,
        host,
        args.binary,
        "kes",
        [user],
        { component, field: "binary" },
        false,
        rerun,
      );
      drifts.binary(args.binary, binary.path, "kes-binary");
      const file = (
        concern: string,
        path: string,
        content: pulumi.Input<string>,
        secret: boolean,
        group: string,
      ) => {
        declare(path, content, secret ? "0640" : "0644", group, concern);
        return hostStep(this, name, host, concern, {
          // Root owns what KES reads; KES reads it through its group (never owns it).
          create: writeFileScript({
            path,
            mode: secret ? "0640" : "0644",
            owner: "root",
            group,
            dirMode: "0750",
            dirOwner: "root",
            dirGroup: KES_PATHS.user,
            ownDir: path.startsWith(`${KES_PATHS.dir}/`) && path.lastIndexOf("/") === KES_PATHS.dir.length,
          }),
          stdin: content,
          secret,
          dependsOn: [user],
          rerun,
        });
      };
      const certStep = file("tls-cert", KES_PATHS.cert, server.certPem, false, KES_PATHS.user);
      const keyStep = file("tls-key", KES_PATHS.key, server.keyPem, true, KES_PATHS.user);
      const caStep = file("ca-cert", KES_PATHS.ca, this.caCertPem, false, KES_PATHS.user);
      const kmsFiles = kms.files.map((f) =>
        file(
          `kms-${f.path.slice(f.path.lastIndexOf("/") + 1).replace(/\./g, "-")}`,
          f.path,
          f.content,
          f.secret,
          KES_PATHS.user,
        ),
      );
      // The filesystem keystore's directory, owned by kes (KES creates it only when it may).
      if (kms.fsPath !== undefined) {
        kmsFiles.push(
          hostStep(this, name, host, "keystore-dir", {
            create: ensureDirectoriesScript({
              paths: [kms.fsPath],
              owner: KES_PATHS.user,
              group: KES_PATHS.user,
              mode: "0700",
            }),
            dependsOn: [user],
          }),
        );
      }
      const configStep = hostStep(this, name, host, "config", {
        create: writeFileScript({
          path: KES_PATHS.config,
          mode: "0640",
          owner: "root",
          group: KES_PATHS.user,
          dirMode: "0750",
          dirOwner: "root",
          dirGroup: KES_PATHS.user,
          ownDir: true,
        }),
        stdin: this.config,
        dependsOn: [user],
        rerun,
      });
      declare(KES_PATHS.config, this.config, "0640", KES_PATHS.user, "config");
      const secretStep = hostStep(this, name, host, "secrets", {
        create: writeFileScript({
          path: KES_PATHS.secretEnv,
          mode: "0600",
          owner: "root",
          group: "root",
          dirMode: "0750",
          dirOwner: "root",
          dirGroup: KES_PATHS.user,
          ownDir: true,
        }),
        stdin: secretEnv,
        secret: true,
        dependsOn: [user],
        rerun,
      });
      declare(KES_PATHS.secretEnv, secretEnv, "0600", "root", "secrets");
      const unitText = unitFor(host);
      const unit = hostStep(this, name, host, "unit", {
        create: installUnitScript({ unitName: KES_PATHS.unit }),
        delete: removeUnitScript({ unitName: KES_PATHS.unit, owner: `${name}-${host.name}-unit` }),
        stdin: unitText,
        dependsOn: [binary.step],
        rerun,
      });
      declare(KES_UNIT_FILE, unitText, "0644", "root", "unit");
      const health = endpoint.apply((url) => ({
        kind: "kes" as const,
        url: `${url}/v1/ready`,
        caFile: KES_PATHS.ca,
        connectTo: `127.0.0.1:${port}`,
      }));
      const timeout = args.healthTimeoutSeconds ?? KES_DEFAULTS.healthTimeoutSeconds;
      const gate = (action: "restart" | "reload" | "start" | "none") =>
        health.apply((h) =>
          serviceActionScript({ unit: KES_PATHS.unit, action, health: h, timeoutSeconds: timeout }),
        );
      // Restart on what KES cannot reload: binary, unit, secrets (env is read at start).
      const service = hostStep(this, name, host, "service", {
        create: gate("restart"),
        // Not on a plain update (a new SSH connection, a new timeout): then only start KES if it
        // is not running (a replaced machine, a unit stopped by hand) and check its health.
        update: gate("start"),
        // The port too: a SIGHUP reload does not move KES to a new address.
        triggers: [
          `binary:${binary.revision}`,
          `unit:sha256:${sha256(unitText)}`,
          secretEnvRevision,
          `port:${port}`,
          // A drift repair restarts KES (rolling) so that it reads what the repair rewrote.
          ...(rerun ? [rerun] : []),
        ],
        // One replica after the other (rolling) when one was serving: the previous replica's
        // gates passed first, so MinIO always has a KES to talk to while a change rolls through.
        dependsOn: [
          binary.step,
          unit,
          configStep,
          secretStep,
          certStep,
          keyStep,
          caStep,
          ...kmsFiles,
          rollAfter(previousGates),
        ],
        // A drift repair also restarts KES (its trigger above), which starts it if it was stopped.
        rerun,
      });
      // Reload on what KES re-reads on SIGHUP: the config, certificates and keystore files.
      const reload = hostStep(this, name, host, "reload", {
        create: gate("reload"),
        update: gate("none"),
        triggers: [
          configRevision,
          rev.plain("cert", server.certPem),
          rev.secret("key", server.keyPem),
          caRevision,
          ...kmsFileRevisions,
        ],
        dependsOn: [service],
      });
      gates.push(service, reload);
      previousGates = [reload];
      if (drift)
        reports.push(
          driftCheckStep(
            this,
            name,
            host,
            drift,
            pulumi.all(drifts.list).apply((files) => ({
              files,
              units: [{ unit: KES_PATHS.unit, step: `${name}-${host.name}-service` }],
            })),
            [reload],
          ),
        );
    }
    this.endpoints = pulumi.all(endpoints);
    this.driftReport = pulumi.all(reports).apply((r) => r.flat());
    this.readyGates = gates;
    this.certificateNotAfter = pulumi.all(notAfter);
    warnExpiringCertificates(
      this,
      component,
      this.certificateNotAfter,
      args.tls?.expiryWarningDays ?? TLS_DEFAULTS.expiryWarningDays,
    );
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
      ...(drift ? { driftReport: this.driftReport } : {}),
    });
  }
}
