import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MINIO_DEFAULTS, TLS_DEFAULTS } from "../core/defaults";
import { renderEnvFile } from "../core/envfile";
import {
  minioEnvEntries,
  renderMinioEnvFile,
  renderMinioNodeVolumes,
  renderMinioVolumes,
} from "../core/minioEnv";
import * as rules from "../core/rules";
import { canonicalEndpoint, type Rule, urlHost } from "../core/rules";
import {
  clusterReadyScript,
  type DriftFile,
  ensureDirectoriesScript,
  ensurePrerequisitesScript,
  ensureServiceUserScript,
  envMergeScript,
  installUnitScript,
  kesRemovalGuardScript,
  type McTarget,
  nothingToStopScript,
  removeUnitScript,
  serviceActionScript,
  serviceStopScript,
  writeFileScript,
} from "../core/scripts";
import { renderMinioUnit } from "../core/systemd";
import { TYPE_TOKENS } from "../core/tokens";
import type { MinioEnvInput, MinioKesAuth } from "../core/types";
import {
  checkAbsolutePath,
  checkBinarySource,
  checkCertificateForHost,
  checkDrives,
  checkEndpointUrl,
  checkExtraEnv,
  checkHosts,
  checkKeyName,
  checkPlain,
  checkPort,
  checkRootCredentials,
  checkRule,
  checkTimeout,
  checkTlsTiming,
  Issues,
  keyAllowed,
  known,
} from "../core/validate";
import type { CertificatePairArgs, ExternalKesArgs, MinioDeploymentArgs, TlsArgs } from "./args";
import type { HostArgs } from "./hosts";
import {
  barrier,
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
import { binaryInstallPath, binaryRevision, installBinarySteps, KesServer } from "./kesServer";

/** Paths MinIO uses on each node. */
export const MINIO_PATHS = {
  envFile: "/etc/default/minio",
  configDir: "/etc/minio",
  kesCa: "/etc/minio/kes-ca.crt",
  kesClientCert: "/etc/minio/kes-client.crt",
  kesClientKey: "/etc/minio/kes-client.key",
  certsDir: "/etc/minio/certs",
  unit: "minio.service",
  user: "minio-user",
  home: "/var/lib/minio",
  mcConfigDir: "/root/.pulumi-minio-kes/mc",
} as const;

/** MinIO's unit file (staged by the unit step, made live by the service step). */
const MINIO_UNIT_FILE = `/etc/systemd/system/${MINIO_PATHS.unit}`;

/** Whether a node is one of the KES hosts: the same host name, or the same service address when known. */
function colocated(kes: KesServer, node: HostArgs): boolean {
  const id = hostIdentity(node);
  return kes.hostNames.includes(node.name) || (id !== undefined && kes.hostIdentities.includes(id));
}

function isKesServer(k: unknown): k is KesServer {
  return k instanceof KesServer;
}

/** Validate {@link MinioDeploymentArgs}; exported for the bad-input table tests. */
export function validateMinioDeploymentArgs(args: MinioDeploymentArgs): Issues {
  const issues = new Issues();
  checkHosts(issues, "nodes", args?.nodes);
  const names = (Array.isArray(args?.nodes) ? args.nodes : [])
    .map((n) => n?.name)
    .filter((n): n is string => typeof n === "string");
  if (args?.existing === undefined) {
    checkDrives(issues, "drives", args?.drives, args?.nodeDrives, names);
    checkRootCredentials(issues, "", args?.rootUser, args?.rootPassword);
    // checkRootCredentials prefixes fields with ".": strip it for top-level args.
    for (const i of issues.list) if (i.field.startsWith(".")) i.field = i.field.slice(1);
  } else {
    for (const f of [
      "drives",
      "nodeDrives",
      "rootUser",
      "rootPassword",
      "consolePort",
      "serviceType",
    ] as const) {
      if (args[f] !== undefined) {
        issues.add(
          f,
          `existing deployments keep their own ${f === "drives" || f === "nodeDrives" ? "MINIO_VOLUMES" : f === "consolePort" ? "MINIO_OPTS" : f === "serviceType" ? "unit" : "root credentials"}; remove ${f} (the library only merges the KES variables and extraEnv into the env file).`,
        );
      }
    }
  }
  if (checkPlain(issues, "port", args?.port, String(MINIO_DEFAULTS.port)))
    checkPort(issues, "port", args?.port);
  if (checkPlain(issues, "consolePort", args?.consolePort, String(MINIO_DEFAULTS.consolePort)))
    checkPort(issues, "consolePort", args?.consolePort);
  const port = args?.port ?? MINIO_DEFAULTS.port;
  const consolePort = args?.consolePort ?? MINIO_DEFAULTS.consolePort;
  if (port === consolePort) {
    issues.add(
      args?.consolePort !== undefined ? "consolePort" : "port",
      `port and consolePort are both ${port}; use two different ports (defaults: ${MINIO_DEFAULTS.port} for S3, ${MINIO_DEFAULTS.consolePort} for the console).`,
    );
  }
  if (isKesServer(args?.kes) && [port, consolePort].includes(args.kes.port) && Array.isArray(args.nodes)) {
    const k = args.kes;
    const shared = args.nodes.filter((n) => n && colocated(k, n));
    if (shared.length > 0) {
      issues.add(
        "port",
        `KES listens on ${args.kes.port} on ${shared.map((n) => n.name).join(", ")}, which MinIO shares; use different ports for KES and MinIO.`,
      );
    }
  }
  checkExtraEnv(issues, "extraEnv", args?.extraEnv, { allowAny: args?.allowAnyExtraEnv === true });
  if (args?.existing === undefined) {
    checkBinarySource(issues, "binary", args?.binary, "minio");
  } else if (args.binary !== undefined) {
    issues.add(
      "binary",
      "existing deployments keep their own binary: remove binary, or drop existing to let the library install MinIO.",
    );
  }
  if (args?.existing !== undefined && args.tls !== undefined && args.tls !== false) {
    issues.add(
      "tls",
      "existing deployments keep their own TLS setup; remove tls (the library's health checks and mc then use http://127.0.0.1:<port> on the nodes).",
    );
  }
  if (args?.mc !== undefined) checkBinarySource(issues, "mc", args.mc, "mc");
  if (issues.ok) {
    checkLocalBinary(issues, "binary", args?.binary);
    checkLocalBinary(issues, "mc", args?.mc);
  }
  if (args?.adminHost !== undefined && !names.includes(args.adminHost)) {
    issues.add(
      "adminHost",
      `no node is named ${JSON.stringify(args.adminHost)}; use one of ${names.join(", ")}.`,
    );
  }
  const kes = args?.kes;
  if (kes !== undefined) {
    if (args.defaultKeyName === undefined) {
      issues.add(
        "defaultKeyName",
        'with kes, MinIO needs MINIO_KMS_KES_KEY_NAME: set defaultKeyName, e.g. "minio-default" (it must stay forever).',
      );
    } else {
      checkKeyName(issues, "defaultKeyName", args.defaultKeyName);
      if (isKesServer(kes) && !keyAllowed(args.defaultKeyName, kes.minioKeyNames)) {
        issues.add(
          "defaultKeyName",
          `${JSON.stringify(args.defaultKeyName)} is not in the KesServer's minioKeyNames (${kes.minioKeyNames.join(", ")}); KES would answer 403. Add it there or rename the key.`,
        );
      }
    }
    if (!isKesServer(kes)) {
      const ext = kes as ExternalKesArgs;
      if (!Array.isArray(ext.endpoints) || ext.endpoints.length === 0) {
        issues.add(
          "kes.endpoints",
          'list every KES endpoint, e.g. ["https://kes1.example.net:7373"] (MinIO balances across them).',
        );
      } else {
        const seen = new Map<string, number>();
        for (const [i, e] of ext.endpoints.entries()) {
          checkEndpointUrl(issues, `kes.endpoints[${i}]`, e, {});
          if (typeof e !== "string") continue;
          const c = canonicalEndpoint(e);
          if (seen.has(c))
            issues.add(
              `kes.endpoints[${i}]`,
              `${e} is the same endpoint as kes.endpoints[${seen.get(c)}]; list each KES endpoint once.`,
            );
          else seen.set(c, i);
        }
      }
      if ((ext.apiKey !== undefined ? 1 : 0) + (ext.clientCertificate !== undefined ? 1 : 0) !== 1) {
        issues.add(
          "kes",
          "give exactly one of apiKey and clientCertificate: MinIO refuses both (MINIO_KMS_KES_API_KEY excludes the cert/key pair).",
        );
      }
      if (ext.caCertPem === undefined)
        issues.add(
          "kes.caCertPem",
          "give the CA certificate that signed the KES server certificates (MINIO_KMS_KES_CAPATH).",
        );
      if (ext.apiKey !== undefined) checkRule(issues, "kes.apiKey", ext.apiKey, rules.kesApiKey);
      if (ext.caCertPem !== undefined)
        checkRule(issues, "kes.caCertPem", ext.caCertPem, rules.certificatePem);
    }
  } else if (args?.defaultKeyName !== undefined) {
    issues.add("defaultKeyName", "defaultKeyName only applies with kes; add kes or remove defaultKeyName.");
  }
  const t = args?.tls;
  if (t !== undefined && typeof t === "object" && t.certificates) {
    for (const [hostName, pair] of Object.entries(t.certificates)) {
      const node = (Array.isArray(args.nodes) ? args.nodes : []).find((n) => n.name === hostName);
      if (!node)
        issues.add(
          `tls.certificates.${hostName}`,
          `no node is named ${JSON.stringify(hostName)}; use node names as keys (${names.join(", ")}).`,
        );
      else
        checkCertificateForHost(
          issues,
          `tls.certificates.${hostName}.certPem`,
          pair.certPem,
          known(node.internalAddress ?? (node.address as string)),
        );
      // mc on the admin node connects to https://localhost:<port> (the gates use the node's
      // address through 127.0.0.1).
      if (node?.name === (args.adminHost ?? args.nodes?.[0]?.name)) {
        checkCertificateForHost(issues, `tls.certificates.${hostName}.certPem`, pair.certPem, "localhost");
      }
    }
    const missing = names.filter((n) => !(n in (t.certificates ?? {})));
    if (missing.length > 0 && t.ca === undefined) {
      issues.add(
        "tls.certificates",
        `nodes ${missing.join(", ")} have no certificate; give one for every node, or give tls.ca to generate the rest.`,
      );
    }
    if (t.caCertPem === undefined && t.ca === undefined) {
      issues.add(
        "tls.caCertPem",
        "with your own certificates, give the CA certificate that signed them (caCertPem): nodes and mc verify each other with it.",
      );
    }
  }
  checkTlsTiming(issues, typeof t === "object" ? t : undefined);
  checkTimeout(issues, "healthTimeoutSeconds", args?.healthTimeoutSeconds);
  if (args?.driftCheck !== undefined) {
    checkRule(issues, "driftCheck.request", args.driftCheck?.request, rules.driftRequest);
    if (args.driftCheck?.repair !== undefined)
      checkRule(issues, "driftCheck.repair", args.driftCheck.repair, rules.driftRequest);
    if (args.existing !== undefined)
      issues.add(
        "driftCheck",
        "the drift check compares what the library installs, and with existing it installs only the KES variables; remove driftCheck or existing.",
      );
  }
  if (args?.existing?.envFile !== undefined) {
    checkAbsolutePath(issues, "existing.envFile", args.existing.envFile, "envFile", "/etc/default/minio");
  }
  if (args?.existing?.unitName !== undefined)
    checkRule(issues, "existing.unitName", args.existing.unitName, rules.unitName);
  return issues;
}

/**
 * MinIO on one or more hosts with its `MINIO_KMS_KES_*` settings: single-node single-drive,
 * single-node multi-drive, or multi-node multi-drive. On each node: the `minio-user` user, drive
 * directories, the binary, the environment file (mode 0600, owned by `minio-user`, identical on
 * every node), certificates, the unit. Every node starts only after every KES replica passed its
 * health gate; when the environment, binary or unit changes, all nodes restart together, and a
 * gate on `/minio/health/ready` (which runs a KES generate) closes the deployment.
 */
export class MinioDeployment extends pulumi.ComponentResource {
  /** S3 endpoint of each node, `http(s)://<internalAddress>:<port>`. */
  readonly endpoints: pulumi.Output<string[]>;
  /** The rendered `MINIO_VOLUMES` (empty with `existing`, which keeps its own). */
  readonly volumes: pulumi.Output<string>;
  /** `MINIO_KMS_KES_KEY_NAME`, when KES is used. */
  readonly defaultKeyName?: string;
  /** The KES endpoints MinIO uses. */
  readonly kesEndpoints: pulumi.Output<string[]>;
  /** Whether server-side encryption through KES is configured. */
  readonly sseEnabled: boolean;
  /** The gate that passes once every node answers `/minio/health/ready`. */
  readonly ready: pulumi.Resource;
  /** @internal Where and how `mc` runs, for {@link EncryptedBucket}. */
  readonly mcTarget?: McTarget;
  /** @internal The node `mc` runs on. */
  readonly adminNode: HostArgs;
  /** The node `mc` runs on (host name). */
  readonly adminHost: string;
  /** @internal The key under which this deployment's buckets are claimed (one per deployment). */
  readonly bucketClaimKey: string;
  /** Key names KES allows MinIO to use, when the KES is of this stack. */
  readonly allowedKeyNames?: string[];
  /** Expiry (RFC 3339) of each node's TLS certificate, when MinIO serves TLS. */
  readonly certificateNotAfter: pulumi.Output<Record<string, string>>;
  /** Nodes reached without a pinned SSH host key (for policies; should be empty). */
  readonly unpinnedHosts: string[];
  /**
   * What the last drift check found (`driftCheck`), one entry per difference:
   * `<host>: <path or unit>: <what differs> (step <step>)`. Empty when it found none, or is off.
   */
  readonly driftReport: pulumi.Output<string[]>;

  constructor(name: string, args: MinioDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE_TOKENS.minioDeployment, name, {}, opts);
    const component = `MinioDeployment ${name}`;
    const issues = validateMinioDeploymentArgs(args);
    checkRule(issues, "name", name, rules.componentName);
    if (issues.ok) {
      const things = [
        `file ${args.existing?.envFile ?? MINIO_PATHS.envFile}`,
        `unit ${args.existing?.unitName ?? MINIO_PATHS.unit}`,
      ];
      if (!args.existing) {
        things.push(
          `file /usr/local/bin/${args.binary?.name ?? MINIO_DEFAULTS.binaryName}`,
          `port ${args.port ?? MINIO_DEFAULTS.port}`,
          `port ${args.consolePort ?? MINIO_DEFAULTS.consolePort}`,
          `dir ${MINIO_PATHS.configDir}`,
        );
      }
      claimHostPaths(issues, component, "nodes", args.nodes, things);
      for (const n of args.nodes) {
        const drives = args.nodeDrives?.[n.name] ?? args.drives ?? [];
        claimHostPaths(
          issues,
          component,
          "nodes",
          [n],
          drives.map((d) => `drive ${d}`),
        );
      }
    }
    throwIfInvalid(issues, component, this);
    const chk = <T>(field: string, v: pulumi.Input<T>, rule: Rule): pulumi.Output<T> =>
      checked(this, component, field, v, rule);
    const port = args.port ?? MINIO_DEFAULTS.port;
    const consolePort = args.consolePort ?? MINIO_DEFAULTS.consolePort;
    const tlsArgs: TlsArgs | undefined = args.tls === true ? {} : args.tls === false ? undefined : args.tls;
    const scheme = tlsArgs ? "https" : "http";
    // Inputs given as Outputs are checked with the validator's rules once they resolve.
    const nodes = args.nodes.map((n, i) => checkedHost(this, component, `nodes[${i}]`, n));
    const existing = args.existing;
    const envFile = existing?.envFile ?? MINIO_PATHS.envFile;
    const unitName = existing?.unitName ?? MINIO_PATHS.unit;
    this.adminHost = args.adminHost ?? nodes[0]!.name;
    this.adminNode = nodes.find((n) => n.name === this.adminHost)!;
    this.bucketClaimKey = `deployment:${name}`;
    this.defaultKeyName = args.defaultKeyName;
    this.sseEnabled = args.kes !== undefined;
    this.unpinnedHosts = args.nodes
      .filter((h) => h.hostKey === undefined || (h.bastion !== undefined && h.bastion.hostKey === undefined))
      .map((h) => h.name);

    // Topology → MINIO_VOLUMES.
    const addrs = nodes.map((n) => pulumi.output(n.internalAddress ?? n.address));
    const drives = args.drives ?? [];
    const drivesOf = (n: HostArgs) => args.nodeDrives?.[n.name] ?? drives;
    const sameDrives = nodes.every((n) => JSON.stringify(drivesOf(n)) === JSON.stringify(drives));
    // Existing deployments keep their own MINIO_VOLUMES: nothing to render.
    this.volumes = existing
      ? pulumi.output("")
      : pulumi.all(addrs).apply((hosts) =>
          sameDrives
            ? renderMinioVolumes({ scheme, port, hosts, drives })
            : renderMinioNodeVolumes({
                scheme,
                port,
                nodes: nodes.map((n, i) => ({ host: hosts[i]!, drives: drivesOf(n) })),
              }),
        );
    this.endpoints = pulumi.all(
      addrs.map((a) => pulumi.interpolate`${scheme}://${a.apply(urlHost)}:${port}`),
    );

    // KES settings.
    const kes = args.kes;
    let kesAuth: pulumi.Output<MinioKesAuth> | undefined;
    let kesCa: pulumi.Output<string> | undefined;
    let kesGates: pulumi.Resource[] = [];
    let clientCert: CertificatePairArgs | undefined;
    if (kes && isKesServer(kes)) {
      this.kesEndpoints = kes.endpoints;
      kesCa = kes.caCertPem;
      kesGates = kes.readyGates;
      this.allowedKeyNames = kes.minioKeyNames;
      const client = kes.minioClient;
      if (client.kind === "apiKey") {
        kesAuth = client.apiKey.apply((apiKey) => ({ kind: "apiKey" as const, apiKey }));
      } else {
        clientCert = { certPem: client.certPem, keyPem: client.keyPem };
      }
    } else if (kes) {
      const ext = kes as ExternalKesArgs;
      this.kesEndpoints = pulumi.output(ext.endpoints);
      kesCa = chk("kes.caCertPem", ext.caCertPem, rules.certificatePem);
      if (ext.apiKey !== undefined) {
        kesAuth = chk("kes.apiKey", ext.apiKey, rules.kesApiKey).apply((apiKey) => ({
          kind: "apiKey" as const,
          apiKey,
        }));
      } else if (ext.clientCertificate) {
        clientCert = {
          certPem: chk("kes.clientCertificate.certPem", ext.clientCertificate.certPem, rules.certificatePem),
          keyPem: pulumi.secret(
            chk("kes.clientCertificate.keyPem", ext.clientCertificate.keyPem, rules.privateKeyPem),
          ),
        };
      }
    } else {
      this.kesEndpoints = pulumi.output([]);
    }
    if (clientCert) {
      kesAuth = pulumi.output({
        kind: "certificate" as const,
        certFile: MINIO_PATHS.kesClientCert,
        keyFile: MINIO_PATHS.kesClientKey,
      });
    }

    // MinIO's own TLS.
    const notAfter: Record<string, pulumi.Output<string>> = {};
    let minioCa: pulumi.Output<string> | undefined;
    const serverCerts: Record<string, { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> }> = {};
    if (tlsArgs) {
      const byo = tlsArgs.certificates ?? {};
      let ca = tlsArgs.ca
        ? {
            certPem: chk("tls.ca.certPem", tlsArgs.ca.certPem, rules.certificatePem),
            keyPem: pulumi.secret(chk("tls.ca.keyPem", tlsArgs.ca.keyPem, rules.privateKeyPem)),
          }
        : undefined;
      if (!ca && nodes.some((n) => !(n.name in byo))) {
        const own = new CertificateAuthority(
          `${name}-ca`,
          { commonName: `${name} MinIO CA`, rotation: tlsArgs.rotation },
          { parent: this },
        );
        ca = { certPem: own.certPem, keyPem: own.keyPem };
      }
      minioCa =
        tlsArgs.caCertPem !== undefined
          ? chk("tls.caCertPem", tlsArgs.caCertPem, rules.certificatePem)
          : ca!.certPem;
      for (const [i, n] of nodes.entries()) {
        if (n.name in byo) {
          const f = `tls.certificates.${n.name}`;
          serverCerts[n.name] = {
            certPem: checkedCertificate(
              this,
              component,
              `${f}.certPem`,
              byo[n.name]!.certPem,
              n,
              n.name === this.adminHost ? "localhost" : undefined,
            ),
            keyPem: pulumi.secret(chk(`${f}.keyPem`, byo[n.name]!.keyPem, rules.privateKeyPem)),
          };
          notAfter[n.name] = serverCerts[n.name]!.certPem.apply((p) =>
            new X509Certificate(p).validToDate.toISOString(),
          );
        } else {
          const c = issueCertificate(this, `${name}-${n.name}-server`, {
            ca: ca!,
            commonName: addrs[i]!,
            // Every node's certificate names the node, plus localhost for checks on the host.
            sans: [addrs[i]!, "localhost", "127.0.0.1"],
            uses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
            validityHours: tlsArgs.validityHours ?? MINIO_DEFAULTS.certificateValidityHours,
            rotation: tlsArgs.rotation,
          });
          serverCerts[n.name] = c;
          notAfter[n.name] = c.notAfter;
        }
      }
    }
    this.certificateNotAfter = pulumi.all(notAfter);
    if (tlsArgs)
      warnExpiringCertificates(
        this,
        component,
        this.certificateNotAfter,
        tlsArgs?.expiryWarningDays ?? TLS_DEFAULTS.expiryWarningDays,
      );

    const minioOpts: string[] = [`--address :${port}`, `--console-address :${consolePort}`];
    if (tlsArgs) minioOpts.push(`--certs-dir ${MINIO_PATHS.certsDir}`);
    const extra = pulumi.all(
      Object.fromEntries(
        Object.entries(args.extraEnv ?? {}).map(([k, v]) => [k, chk(`extraEnv.${k}`, v, rules.lineValue)]),
      ),
    );
    const envInput: pulumi.Output<MinioEnvInput> = pulumi
      .all([
        existing ? "" : chk("rootUser", args.rootUser!, rules.rootUser),
        existing ? "" : chk("rootPassword", args.rootPassword!, rules.rootPassword),
        this.volumes,
        this.kesEndpoints,
        kesAuth ?? pulumi.output(undefined),
        extra,
      ])
      .apply(
        ([rootUser, rootPassword, volumes, endpoints, auth, extraEnv]): MinioEnvInput => ({
          rootUser,
          rootPassword,
          volumes,
          opts: existing ? undefined : minioOpts.join(" "),
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
    const envText = pulumi.secret(envInput.apply(renderMinioEnvFile));
    // Existing mode: only our variables go to the host, merged into the file there.
    const managedEntries = envInput.apply((e) => {
      const entries = minioEnvEntries(e).filter(
        ([k]) => k.startsWith("MINIO_KMS_KES_") || (e.extra && k in e.extra),
      );
      return { names: entries.map(([k]) => k), text: renderEnvFile(entries) };
    });
    const rev = new Revisions(this, name);
    // One labelled revision per variable: a preview of the service steps names what changed
    // (`env:MINIO_BROWSER:…` added) and why MinIO restarts, without showing a value.
    const envRevision = rev.eachVariable(
      "env",
      envInput.apply((e) => {
        const all = minioEnvEntries(e);
        return existing
          ? all.filter(([k]) => k.startsWith("MINIO_KMS_KES_") || (e.extra && k in e.extra))
          : all;
      }),
    );

    // Without kes, refuse to touch a node whose env file configures KES (unless overridden).
    const kesGuard = (node: HostArgs, after: pulumi.Resource[]) =>
      kes || args.allowKesRemoval
        ? undefined
        : hostStep(this, name, node, "kes-guard", {
            create: kesRemovalGuardScript({ envFile }),
            dependsOn: after,
          });

    // The unit of a node (also part of the preflight's revision below).
    const unitFor = (node: HostArgs) =>
      renderMinioUnit({
        binaryPath: binaryInstallPath(args.binary ?? {}, "minio"),
        user: MINIO_PATHS.user,
        group: MINIO_PATHS.user,
        envFile,
        // Same host by address, not only by name (a KES host "kes1" and a MinIO node "minio1"
        // may be one machine).
        after: isKesServer(kes) && colocated(kes, node) ? ["kes.service"] : undefined,
        serviceType: args.serviceType,
        owner: `${name}-${node.name}-unit`,
        bindPrivilegedPort: port < 1024 || consolePort < 1024,
      });

    // Nothing changes on any node unless every node is reachable: before a change, a preflight
    // step on every node (reachable, root, systemd, free space) runs, and every other step of
    // every node waits for all of them. It is replaced only when something the deployment writes
    // changes (its trigger is one revision of all of it), so a no-op run opens no SSH session.
    // Its connection gives up after 3 dials, not 20: a wrong host key or a dead address fails in
    // seconds, naming the node.
    const contentParts: pulumi.Input<unknown>[] = [
      envRevision,
      existing ? "existing" : `binary:${binaryRevision(args.binary!, "minio")}`,
      ...(kesCa ? [rev.plain("kes-ca", kesCa)] : []),
      ...(clientCert
        ? [rev.plain("kes-client-cert", clientCert.certPem), rev.secret("kes-client-key", clientCert.keyPem)]
        : []),
      ...(minioCa ? [rev.plain("minio-ca", minioCa)] : []),
      // mc is written on the admin node too.
      `mc:${this.adminHost}:${args.mc ? (args.mc.sha256 ?? args.mc.preinstalledPath ?? "") : "none"}`,
    ];
    for (const node of nodes) {
      if (!existing) {
        contentParts.push(
          `${node.name}:unit:sha256:${sha256(unitFor(node))}`,
          `${node.name}:drives:${drivesOf(node).join(",")}`,
        );
      }
      const c = serverCerts[node.name];
      if (c)
        contentParts.push(
          rev.plain(`${node.name}:cert`, c.certPem),
          rev.secret(`${node.name}:key`, c.keyPem),
        );
    }
    const preflightPaths = existing
      ? [envFile, MINIO_PATHS.configDir]
      : [MINIO_PATHS.envFile, MINIO_PATHS.configDir, binaryInstallPath(args.binary!, "minio")];
    // Not the drives: the library writes nothing there, and a nearly full data drive must not
    // block a change of the env file or the certificates.
    const preflights = [
      preflightSteps(
        this,
        name,
        nodes,
        contentParts,
        (node) =>
          node.name === this.adminHost && args.mc
            ? [...preflightPaths, binaryInstallPath(args.mc, "mc")]
            : preflightPaths,
        "nodes",
      ).done,
    ];

    // Per-node files.
    let adminPrereqs: pulumi.Resource | undefined;
    const mcSrc = args.mc;
    const fileSteps: pulumi.Resource[] = [];
    const revisions: pulumi.Input<unknown>[] = [];
    const perNode: Array<{
      node: HostArgs;
      deps: pulumi.Resource[];
      triggers: pulumi.Input<unknown>[];
      /** The live paths whose staged copies the service step makes live. */
      promote: string[];
      /** A revision of what this node's staging steps printed. */
      staging: pulumi.Output<string>;
      /** What a drift check compares on this node. */
      driftFiles: pulumi.Output<DriftFile>[];
    }> = [];
    const drift = args.driftCheck;
    const rerun = driftRepairLabel(drift);
    for (const node of nodes) {
      const deps: pulumi.Resource[] = [];
      const triggers: pulumi.Input<unknown>[] = [envRevision];
      // Files every node must agree on are staged; the service step makes them live.
      const promote: string[] = [];
      // What the staging steps printed (`staged <time>` when they staged): part of the stop and
      // service steps' triggers, so that a run that staged anything on this node runs them.
      const stagedBy: pulumi.Output<string>[] = [];
      const drifts = new DriftFiles(name, node);
      const declare = drifts.file.bind(drifts);
      const write = (
        concern: string,
        path: string,
        content: pulumi.Input<string>,
        secret: boolean,
        after: pulumi.Resource[],
        stage = false,
      ) => {
        if (stage) promote.push(path);
        // Root owns what MinIO reads; MinIO reads it through its group (never owns it). The env
        // file is systemd's (read as root before MinIO starts): root's alone, in a system
        // directory the library does not own.
        const script =
          path === envFile
            ? writeFileScript({ path, mode: "0600", owner: "root", group: "root", stage })
            : writeFileScript({
                path,
                mode: secret ? "0640" : "0644",
                owner: "root",
                group: MINIO_PATHS.user,
                dirMode: "0750",
                dirOwner: "root",
                dirGroup: MINIO_PATHS.user,
                ownDir: path.startsWith(`${MINIO_PATHS.configDir}/`),
                stage,
              });
        if (path === envFile) declare(path, content, "0600", "root", concern);
        else declare(path, content, secret ? "0640" : "0644", MINIO_PATHS.user, concern);
        const s = hostStep(this, name, node, concern, {
          create: script,
          update: script,
          stdin: content,
          secret,
          rerun,
          // The env file's preview names each variable that changes (its revision, never its
          // value: `~ MINIO_ROOT_PASSWORD: "env:hmac-sha256:…" => …`), not only `[secret]`.
          triggers: path === envFile ? [envRevision] : undefined,
          dependsOn: after,
        });
        if (stage) stagedBy.push(pulumi.unsecret(s.stdout));
        deps.push(s);
        return s;
      };
      if (!existing) {
        const prereqs = hostStep(this, name, node, "prereqs", {
          create: ensurePrerequisitesScript(),
          dependsOn: preflights,
        });
        if (node.name === this.adminHost) adminPrereqs = prereqs;
        const user = hostStep(this, name, node, "user", {
          dependsOn: [prereqs],
          create: ensureServiceUserScript({
            user: MINIO_PATHS.user,
            group: MINIO_PATHS.user,
            home: MINIO_PATHS.home,
          }),
        });
        const drives = hostStep(this, name, node, "drives", {
          create: ensureDirectoriesScript({
            paths: drivesOf(node),
            owner: MINIO_PATHS.user,
            group: MINIO_PATHS.user,
          }),
          dependsOn: [user],
        });
        const binary = installBinarySteps(
          this,
          name,
          node,
          args.binary!,
          "minio",
          [user],
          { component, field: "binary" },
          true,
          rerun,
        );
        drifts.binary(args.binary!, binary.path, "minio-binary");
        if (binary.staged) {
          promote.push(binary.path);
          stagedBy.push(binary.step.stdout);
        }
        triggers.push(`binary:${binary.revision}`);
        deps.push(drives, binary.step);
        const guard = kesGuard(node, [user]);
        write("env", envFile, envText, true, guard ? [user, guard] : [user], true);
        const unitText = unitFor(node);
        triggers.push(`unit:sha256:${sha256(unitText)}`);
        promote.push(MINIO_UNIT_FILE);
        const unit = hostStep(this, name, node, "unit", {
          create: installUnitScript({ unitName: MINIO_PATHS.unit, stage: true }),
          delete: removeUnitScript({ unitName: MINIO_PATHS.unit, owner: `${name}-${node.name}-unit` }),
          stdin: unitText,
          dependsOn: [binary.step],
          rerun,
        });
        declare(MINIO_UNIT_FILE, unitText, "0644", "root", "unit");
        stagedBy.push(unit.stdout);
        deps.push(unit);
        if (kesCa) write("kes-ca", MINIO_PATHS.kesCa, kesCa, false, [user], true);
        if (clientCert) {
          write("kes-client-cert", MINIO_PATHS.kesClientCert, clientCert.certPem, false, [user]);
          write("kes-client-key", MINIO_PATHS.kesClientKey, clientCert.keyPem, true, [user]);
        }
        if (tlsArgs) {
          write("tls-cert", `${MINIO_PATHS.certsDir}/public.crt`, serverCerts[node.name]!.certPem, false, [
            user,
          ]);
          write("tls-key", `${MINIO_PATHS.certsDir}/private.key`, serverCerts[node.name]!.keyPem, true, [
            user,
          ]);
          write("tls-ca", `${MINIO_PATHS.certsDir}/CAs/ca.crt`, minioCa!, false, [user], true);
        }
      } else {
        // mc (on the admin node) needs curl; existing nodes get no other prerequisites step.
        if (node.name === this.adminHost && mcSrc) {
          adminPrereqs = hostStep(this, name, node, "prereqs", {
            create: ensurePrerequisitesScript(),
            dependsOn: preflights,
          });
        }
        const guard = kesGuard(node, preflights);
        promote.push(envFile);
        const mergeScript = managedEntries.apply((m) =>
          envMergeScript({ envFile, managedNames: m.names, stage: true }),
        );
        const merge = hostStep(this, name, node, "env-merge", {
          create: mergeScript,
          update: mergeScript,
          // The preview names each managed variable that changes (see the env step).
          triggers: [envRevision],
          stdin: managedEntries.apply((m) => m.text),
          secret: true,
          dependsOn: guard ? [guard] : preflights,
        });
        stagedBy.push(pulumi.unsecret(merge.stdout));
        deps.push(merge);
        if (kesCa) write("kes-ca", MINIO_PATHS.kesCa, kesCa, false, preflights, true);
        if (clientCert) {
          write("kes-client-cert", MINIO_PATHS.kesClientCert, clientCert.certPem, false, preflights);
          write("kes-client-key", MINIO_PATHS.kesClientKey, clientCert.keyPem, true, preflights);
        }
      }
      fileSteps.push(...deps);
      for (const t of triggers) if (!revisions.includes(t)) revisions.push(t);
      const staging = pulumi
        .all(stagedBy)
        .apply((outs) => `staging:sha256:${sha256(outs.map((o) => o ?? "").join("\n"))}`);
      perNode.push({ node, deps, triggers, promote, staging, driftFiles: drifts.list });
    }

    // CA pools are read at start (only leaf certificates are reloaded): a new KES CA or MinIO CA
    // restarts every node, after the KES gates.
    if (kesCa) revisions.push(rev.plain("kes-ca", kesCa));
    if (minioCa) revisions.push(rev.plain("minio-ca", minioCa));

    // Start or restart every node together, after every node's files and every KES gate.
    const timeout = args.healthTimeoutSeconds ?? MINIO_DEFAULTS.healthTimeoutSeconds;
    // Per-node gates of a distributed deployment check liveness only: readiness needs a quorum,
    // which one node's gate must not wait for (engine parallelism may run them in batches). The
    // single `ready` gate checks readiness once every node restarted.
    const healthFor = (i: number, liveOnly: boolean) =>
      tlsArgs
        ? addrs[i]!.apply((a) => ({
            kind: "minio" as const,
            baseUrl: `https://${urlHost(a)}:${port}`,
            caFile: `${MINIO_PATHS.certsDir}/CAs/ca.crt`,
            connectTo: `127.0.0.1:${port}`,
            liveOnly,
          }))
        : pulumi.output({ kind: "minio" as const, baseUrl: `http://127.0.0.1:${port}`, liveOnly });
    const gate = (i: number, liveOnly: boolean, action: "restart" | "start" | "none", promote?: string[]) =>
      healthFor(i, liveOnly).apply((health) =>
        serviceActionScript({
          unit: unitName,
          action,
          health,
          timeoutSeconds: timeout,
          promote: promote?.length
            ? { paths: promote, unitFile: promote.includes(MINIO_UNIT_FILE) ? MINIO_UNIT_FILE : undefined }
            : undefined,
        }),
      );
    // One point every node's start waits for: every node's files are written and every KES gate
    // passed. Each service step depends on it alone (not on every node's files: the graph grows
    // with nodes + files, not nodes × files).
    const staged = barrier(this, `${name}-all-staged`, [...fileSteps, ...kesGates]);
    // A distributed deployment restarts in two phases: every node stops, then every node starts
    // with its staged files made live. No node that starts with the new configuration meets a
    // peer still running the old one, and no node's step waits for a peer.
    let startAfter: pulumi.Resource = staged;
    if (nodes.length > 1) {
      const stops = perNode.map(({ node, promote, staging }) =>
        hostStep(this, name, node, "stop", {
          // Stops only a node that has something staged: creating these steps on a stack made
          // by an earlier version (nothing staged) stops nothing.
          create: serviceStopScript({ unit: unitName, timeoutSeconds: timeout, staged: promote }),
          update: nothingToStopScript(unitName),
          triggers: [...revisions, staging],
          // Every other node may have stopped already: a host lost now should fail in seconds.
          dial: "failFast",
          dependsOn: [staged],
        }),
      );
      startAfter = barrier(this, `${name}-all-stopped`, stops);
    }
    const services = perNode.map(({ node, promote, staging }, i) =>
      hostStep(this, name, node, "service", {
        // The staged files (env, CAs, binary, unit) become live here, just before the restart:
        // until every node has staged them, no node's live configuration has changed.
        create: gate(i, nodes.length > 1, "restart", promote),
        // A plain update (a new SSH connection, a new timeout) only starts MinIO if it is not
        // running (a replaced machine, a unit stopped by hand) and checks its health.
        update: gate(i, nodes.length > 1, "start", promote),
        // A change of what every node shares runs every node's step: MinIO does not support
        // rolling restarts for environment or binary changes (landscape.md §1.6). A run that
        // staged anything on this node runs it too (`staging`), also when the other triggers are
        // back to what they were (a change rolled back after a failed restart). It restarts
        // only when it made staged files live, or MinIO does not run.
        triggers: [...revisions, staging],
        dependsOn: [startAfter],
        // A drift repair runs the update: it starts MinIO if it was stopped by hand.
        rerun,
      }),
    );
    const adminIndex = nodes.findIndex((n) => n.name === this.adminHost);
    const deps: pulumi.Resource[] = [...services];
    let mcPath: string | undefined;
    if (mcSrc) {
      const mc = installBinarySteps(
        this,
        name,
        this.adminNode,
        mcSrc,
        "mc",
        adminPrereqs ? [adminPrereqs] : [],
        {
          component,
          field: "mc",
        },
      );
      mcPath = mc.path;
      deps.push(mc.step);
    }
    // A distributed deployment is ready once every node answers /minio/health/ready, checked from
    // the admin node after every node was started (no node's own step waits for its peers).
    const readyScript =
      nodes.length > 1 && !existing
        ? pulumi.all(addrs).apply((hosts) =>
            clusterReadyScript({
              unit: unitName,
              nodes: nodes.map((n, i) => ({
                name: n.name,
                baseUrl: `${scheme}://${urlHost(hosts[i]!)}:${port}`,
              })),
              caFile: tlsArgs ? `${MINIO_PATHS.certsDir}/CAs/ca.crt` : undefined,
              timeoutSeconds: timeout,
            }),
          )
        : gate(adminIndex, false, "none");
    this.ready = hostStep(this, name, this.adminNode, "ready", {
      create: readyScript,
      update: readyScript,
      // Checks again after any node's service step ran.
      triggers: [...revisions, ...perNode.map((p) => p.staging)],
      dependsOn: deps,
    });
    const reports: pulumi.Output<string[]>[] = [];
    if (drift)
      for (const p of perNode)
        reports.push(
          driftCheckStep(
            this,
            name,
            p.node,
            drift,
            pulumi.all(p.driftFiles).apply((files) => ({
              files,
              units: [{ unit: unitName, step: `${name}-${p.node.name}-service` }],
            })),
            [this.ready],
          ),
        );
    this.driftReport = pulumi.all(reports).apply((r) => r.flat());
    if (mcPath) {
      this.mcTarget = {
        mcPath,
        alias: "minio",
        url: tlsArgs ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
        configDir: MINIO_PATHS.mcConfigDir,
        caFile: tlsArgs ? `${MINIO_PATHS.certsDir}/CAs/ca.crt` : undefined,
        credentials: { from: "envFile", envFile },
      };
    }
    this.registerOutputs({
      endpoints: this.endpoints,
      volumes: this.volumes,
      defaultKeyName: this.defaultKeyName,
      kesEndpoints: this.kesEndpoints,
      sseEnabled: this.sseEnabled,
      adminHost: this.adminHost,
      certificateNotAfter: this.certificateNotAfter,
      unpinnedHosts: this.unpinnedHosts,
      ...(drift ? { driftReport: this.driftReport } : {}),
    });
  }
}
