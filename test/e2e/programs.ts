/**
 * The programs of the end-to-end scenarios, written as a user writes them, apart from where their
 * hosts, binaries and certificates come from. The harness (scripts/lib/harness.ts), the real engine
 * (test/real-engine) and the preview-mode regression tests (test/preview) run the same ones.
 */
import {
  type BinarySourceArgs,
  type DriftCheckArgs,
  EncryptedBucket,
  EncryptedBuckets,
  type HostArgs,
  KesServer,
  type KesServerArgs,
  KmsTarget,
  MinioDeployment,
  type MinioPoolArgs,
} from "../../lib";

/** A bring-your-own certificate. */
export interface CertPair {
  certPem: string;
  keyPem: string;
}

/** What the scenario program needs from its surroundings. */
export interface ScenarioEnv {
  /** kes1, kes2 (their filesystem keystore is one shared directory). */
  kesHosts: HostArgs[];
  /** minio1..minio3. */
  minioHosts: HostArgs[];
  binaries: Record<"minio" | "kes" | "mc", BinarySourceArgs>;
  /** KES certificates made outside (bring-your-own), keyed by KES host name. */
  certs: { ca: string; kes: Record<string, CertPair> };
  /** The shared keystore directory (its `keys` subdirectory holds the keys). */
  sharedKeys: string;
}

/** The scenario's variations: `change` adds a bucket and an env variable. */
export interface ScenarioVariant {
  change?: boolean;
  /** An extra KES client policy (a config-only change for KES). */
  clientPolicy?: string;
  /** The MinIO component's name (a rename re-creates its steps). */
  minioName?: string;
  /** A drift check of every host (KES and MinIO). */
  drift?: DriftCheckArgs;
  /** KES's `minioCredentialRotation` (rotating MinIO's API key through its two slots). */
  credentialRotation?: KesServerArgs["minioCredentialRotation"];
  /** KES's `tls.rotation` (which also replaces MinIO's API key, in one step). */
  tlsRotation?: string;
  /** MinIO's server pools. */
  pools?: MinioPoolArgs[];
  /** KES's `serviceName`: the one name MinIO reaches every replica by. */
  kesServiceName?: string;
}

export const SCENARIO_ROOT_PASSWORD = "e2e-Root-Password-7f3a";

/** Scenarios a–g: 2 KES replicas, 3 MinIO nodes × 2 drives, one or two encrypted buckets. */
export function scenarioProgram(env: ScenarioEnv, v: ScenarioVariant = {}): () => void {
  return () => {
    const kms = new KmsTarget("kms", {
      filesystem: { path: `${env.sharedKeys}/keys`, acknowledgeDevelopmentOnly: true },
    });
    const kes = new KesServer("kes", {
      hosts: env.kesHosts,
      kms,
      binary: env.binaries.kes,
      minioKeyNames: ["minio-*"],
      healthTimeoutSeconds: 15,
      clients: v.clientPolicy
        ? [{ name: v.clientPolicy, identities: ["a".repeat(64)], allow: ["/v1/key/generate/app-*"] }]
        : undefined,
      tls: { caCertPem: env.certs.ca, certificates: env.certs.kes, rotation: v.tlsRotation },
      driftCheck: v.drift,
      minioCredentialRotation: v.credentialRotation,
      serviceName: v.kesServiceName,
    });
    const minio = new MinioDeployment(v.minioName ?? "minio", {
      nodes: env.minioHosts,
      drives: ["/var/lib/minio/d1", "/var/lib/minio/d2"],
      rootUser: "e2e-admin",
      rootPassword: SCENARIO_ROOT_PASSWORD,
      kes,
      defaultKeyName: "minio-default",
      binary: env.binaries.minio,
      mc: env.binaries.mc,
      extraEnv: v.change ? { MINIO_BROWSER: "off" } : undefined,
      driftCheck: v.drift,
      pools: v.pools,
    });
    new EncryptedBucket("invoices", { deployment: minio, bucket: "invoices", keyName: "minio-invoices" });
    if (v.change)
      new EncryptedBucket("backups", { deployment: minio, bucket: "backups", keyName: "minio-backups" });
  };
}

/** What the TLS program needs. */
export interface TlsEnv {
  host: HostArgs;
  binaries: Record<"minio" | "kes" | "mc", BinarySourceArgs>;
  /**
   * Bring-your-own certificates (one CA for KES and MinIO); without them both components
   * generate theirs with `@pulumi/tls`.
   */
  byo?: { ca: string; kes: CertPair; minio: CertPair };
  /** `tls.rotation` of both components: a new value rotates every generated key and certificate. */
  rotation?: string;
}

/** KES and MinIO on one host, MinIO on HTTPS with 4 drives, one verified bucket. */
export function tlsProgram(env: TlsEnv): () => void {
  return () => {
    const kms = new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
    const kes = new KesServer("kes", {
      hosts: [env.host],
      kms,
      binary: env.binaries.kes,
      minioKeyNames: ["minio-*"],
      healthTimeoutSeconds: 30,
      tls: env.byo
        ? { caCertPem: env.byo.ca, certificates: { [env.host.name]: env.byo.kes } }
        : { rotation: env.rotation },
    });
    const minio = new MinioDeployment("minio", {
      nodes: [env.host],
      drives: ["/var/lib/minio/d1", "/var/lib/minio/d2", "/var/lib/minio/d3", "/var/lib/minio/d4"],
      rootUser: "tls-admin",
      rootPassword: "tls-Root-Password-42",
      kes,
      defaultKeyName: "minio-default",
      binary: env.binaries.minio,
      mc: env.binaries.mc,
      tls: env.byo
        ? { caCertPem: env.byo.ca, certificates: { [env.host.name]: env.byo.minio } }
        : { rotation: env.rotation },
      healthTimeoutSeconds: 60,
    });
    new EncryptedBucket("secure", { deployment: minio, bucket: "secure", keyName: "minio-secure" });
  };
}

/** What the scale program needs: its hosts and binaries. */
export interface ScaleEnv {
  /** The KES replicas (their filesystem keystore is one shared directory). */
  kesHosts: HostArgs[];
  /** The MinIO nodes. */
  minioHosts: HostArgs[];
  binaries: Record<"minio" | "kes" | "mc", BinarySourceArgs>;
  /** The shared keystore directory. */
  sharedKeys: string;
}

/** The scale program's variations. */
export interface ScaleVariant {
  /** How many encrypted buckets. */
  buckets: number;
  /** A value for MINIO_BROWSER (a change of it restarts every node). */
  browser?: "on" | "off";
}

/**
 * The scale scenario (issue 13): KES on every `kesHosts` host, MinIO on every `minioHosts` node
 * with 4 drives, and `buckets` encrypted buckets, each with its own key.
 */
export function scaleProgram(env: ScaleEnv, v: ScaleVariant): () => void {
  return () => {
    const kms = new KmsTarget("kms", {
      filesystem: { path: `${env.sharedKeys}/keys`, acknowledgeDevelopmentOnly: true },
    });
    const kes = new KesServer("kes", {
      hosts: env.kesHosts,
      kms,
      binary: env.binaries.kes,
      minioKeyNames: ["minio-*"],
      healthTimeoutSeconds: 30,
    });
    const minio = new MinioDeployment("minio", {
      nodes: env.minioHosts,
      drives: ["/var/lib/minio/d1", "/var/lib/minio/d2", "/var/lib/minio/d3", "/var/lib/minio/d4"],
      rootUser: "scale-admin",
      rootPassword: SCENARIO_ROOT_PASSWORD,
      kes,
      defaultKeyName: "minio-default",
      binary: env.binaries.minio,
      mc: env.binaries.mc,
      extraEnv: v.browser ? { MINIO_BROWSER: v.browser } : undefined,
      healthTimeoutSeconds: 60,
    });
    // One step for all buckets: N EncryptedBuckets would hold 2·N SSH connections on minio1.
    new EncryptedBuckets("buckets", {
      deployment: minio,
      buckets: Array.from({ length: v.buckets }, (_, i) => ({
        bucket: `bucket-${i + 1}`,
        keyName: `minio-b${i + 1}`,
      })),
    });
  };
}
