import * as pulumi from "@pulumi/pulumi";
import { MINIO_PATHS } from "../core/defaults";
import { renderMinioNodeVolumes, renderMinioPools, renderMinioVolumes } from "../core/minioEnv";
import { urlHost } from "../core/rules";
import type { McTarget } from "../core/scripts";
import { TYPE_TOKENS } from "../core/tokens";
import type { MinioDeploymentArgs } from "./args";
import type { HostArgs } from "./hosts";
import { checked, checkedHost, claimHostPaths, Revisions, throwIfInvalid } from "./internal";
import {
  adminMc,
  existingNode,
  installedNode,
  type MinioContext,
  type MinioFiles,
  minioCertificates,
  minioEnv,
  minioKes,
  minioPreflights,
  readyGate,
  restartRevisions,
  restartTogether,
} from "./minioSteps";
import { type MinioPlan, resolveMinioDeployment } from "./resolve/minioDeployment";
import { serviceDriftCheck, unpinnedHosts } from "./service";

export { validateMinioDeploymentArgs } from "./resolve/minioDeployment";

/**
 * MinIO on one or more hosts with its `MINIO_KMS_KES_*` settings: single-node single-drive,
 * single-node multi-drive, or multi-node multi-drive. On each node: the `minio-user` user, drive
 * directories, the binary, the environment file (mode 0600, `root:root`, read by systemd; identical on
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
    const { issues, plan } = resolveMinioDeployment(name, args);
    if (plan) {
      claimHostPaths(issues, plan.component, "nodes", args.nodes, plan.claims.all);
      for (const n of args.nodes)
        claimHostPaths(issues, plan.component, "nodes", [n], plan.claims.perNode[n.name]!);
    }
    throwIfInvalid(issues, plan?.component ?? `MinioDeployment ${name}`, this);
    const p = plan as MinioPlan;
    // Inputs given as Outputs are checked with the validator's rules once they resolve.
    const nodes = args.nodes.map((n, i) => checkedHost(this, p.component, `nodes[${i}]`, n));
    const c: MinioContext = {
      parent: this,
      plan: p,
      args,
      nodes,
      addrs: nodes.map((n) => pulumi.output(n.internalAddress ?? n.address)),
      chk: (field, v, rule) => checked(this, p.component, field, v, rule),
    };
    this.adminHost = p.adminHost;
    this.adminNode = nodes.find((n) => n.name === p.adminHost)!;
    this.bucketClaimKey = `deployment:${name}`;
    this.defaultKeyName = args.defaultKeyName;
    this.sseEnabled = args.kes !== undefined;
    this.unpinnedHosts = unpinnedHosts(args.nodes);
    this.volumes = this.renderVolumes(c);
    this.endpoints = pulumi.all(
      c.addrs.map((a) => pulumi.interpolate`${p.scheme}://${a.apply(urlHost)}:${p.port}`),
    );

    const kes = minioKes(c);
    this.kesEndpoints = kes.endpoints;
    this.allowedKeyNames = kes.allowedKeyNames;
    const certs = minioCertificates(c);
    this.certificateNotAfter = certs?.notAfter ?? pulumi.output<Record<string, string>>({});
    const rev = new Revisions(this, name);
    const env = minioEnv(c, kes, this.volumes, rev);
    const f: MinioFiles = {
      env,
      kes,
      minioCa: certs?.caCertPem,
      servers: certs?.servers ?? {},
      preflights: [],
      rev,
    };

    // Nothing changes on any node unless every node is reachable (the preflights).
    f.preflights = [minioPreflights(c, f, rev)];
    const perNode = nodes.map((node) => (p.existing ? existingNode(c, node, f) : installedNode(c, node, f)));
    const revisions = restartRevisions(perNode, f, rev);
    const services = restartTogether(c, perNode, revisions, kes.gates);

    const mc = adminMc(c, perNode);
    this.ready = readyGate(c, perNode, revisions, mc ? [...services, mc.step] : services);
    const drift = args.driftCheck;
    const reports = drift
      ? perNode.map((n) =>
          serviceDriftCheck(this, name, n.node, drift, n.driftFiles, p.unitName, [this.ready]),
        )
      : [];
    this.driftReport = pulumi.all(reports).apply((r) => r.flat());
    if (mc) this.mcTarget = this.mcTargetOf(p, mc.path);
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

  /** The rendered `MINIO_VOLUMES` (nothing with `existing`, which keeps its own). */
  private renderVolumes(c: MinioContext): pulumi.Output<string> {
    const { plan } = c;
    if (plan.existing) return pulumi.output("");
    const index = new Map(c.nodes.map((n, i) => [n.name, i]));
    return pulumi.all(c.addrs).apply((hosts) =>
      plan.pools
        ? renderMinioPools({
            scheme: plan.scheme,
            port: plan.port,
            pools: plan.pools.map((p) => ({
              hosts: p.nodes.map((n) => hosts[index.get(n)!]!),
              drives: p.drives,
            })),
          })
        : plan.sameDrives
          ? renderMinioVolumes({ scheme: plan.scheme, port: plan.port, hosts, drives: plan.drives })
          : renderMinioNodeVolumes({
              scheme: plan.scheme,
              port: plan.port,
              nodes: c.nodes.map((n, i) => ({ host: hosts[i]!, drives: plan.drivesOf[n.name]! })),
            }),
    );
  }

  /** Where and how `mc` runs on the admin node. */
  private mcTargetOf(plan: MinioPlan, mcPath: string): McTarget {
    return {
      mcPath,
      alias: "minio",
      url: plan.tls ? `https://localhost:${plan.port}` : `http://127.0.0.1:${plan.port}`,
      configDir: MINIO_PATHS.mcConfigDir,
      caFile: plan.tls ? MINIO_PATHS.tlsCa : undefined,
      credentials: { from: "envFile", envFile: plan.envFile },
    };
  }
}
