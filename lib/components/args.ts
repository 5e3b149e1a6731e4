/**
 * Arguments of the public components. Fields that decide which resources exist (host lists,
 * names, drive lists, key names, which keystore) are plain values; the rest are
 * `pulumi.Input`s. Each field says which.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostArgs } from "./hosts";

/**
 * Where a binary (MinIO, KES or mc) comes from. Exactly one of `url`, `localPath` and
 * `preinstalledPath`. The library never downloads from a default site: upstream is archived,
 * so you point it at your own mirror, build or package.
 */
export interface BinarySourceArgs {
  /**
   * HTTPS (or HTTP) URL each host downloads the binary from. Requires `sha256`. A URL given as an
   * Output (e.g. `config.requireSecret("minioUrl")`) or with a query string (a presigned URL,
   * whose signature is a credential) is treated as a secret: it reaches the host on stdin and
   * curl through `--config -`, so it is in no command line, log or plain state.
   */
  url?: pulumi.Input<string>;
  /** Path of the binary on the deploying machine; it is copied to each host. Requires `sha256`. */
  localPath?: string;
  /** The binary is already installed on the hosts at this absolute path; nothing is installed. */
  preinstalledPath?: string;
  /**
   * Lowercase hex SHA-256 of the binary. Required with `url` and `localPath` (verified on the
   * host before the binary is put in place); optional with `preinstalledPath` (then checked).
   */
  sha256?: string;
  /**
   * File name to install as, under `/usr/local/bin`. Defaults: `minio`, `kes`, `mc`. Set it for
   * forks (e.g. `silo`).
   */
  name?: string;
}

/** A certificate and its private key in PEM, brought by the user. */
export interface CertificatePairArgs {
  /** Certificate (PEM), optionally followed by intermediates. */
  certPem: pulumi.Input<string>;
  /** Private key (PEM). Wrapped in `pulumi.secret`. */
  keyPem: pulumi.Input<string>;
}

/** TLS settings shared by the KES and MinIO components. */
export interface TlsArgs {
  /**
   * CA that signs generated certificates (from {@link CertificateAuthority} or your own).
   * When absent, the component creates its own CA with `@pulumi/tls` (ECDSA P-256).
   */
  ca?: CertificatePairArgs;
  /**
   * Bring-your-own server certificates, keyed by host name (`HostArgs.name`). When given for a
   * host, nothing is generated for it. The certificate must carry a SAN for the host's endpoint;
   * for a {@link MinioDeployment}, the admin node's certificate must also cover `localhost`
   * (`mc` connects there).
   */
  certificates?: Record<string, CertificatePairArgs>;
  /**
   * CA certificate (PEM) that verifies bring-your-own certificates, given to clients
   * (MinIO's `MINIO_KMS_KES_CAPATH`, mc). Required with `certificates` unless `ca` is given.
   */
  caCertPem?: pulumi.Input<string>;
  /**
   * Validity of generated server certificates, in whole hours (at least 24; one year by default).
   * @default 8760
   */
  validityHours?: number;
  /**
   * Change this value (any string, e.g. a date) to replace every generated key and
   * certificate: `@pulumi/tls` never renews by itself (landscape.md §5.2). Hosts pick the
   * new files up with a reload, not a restart. The first value given rotates too. Once set,
   * change it, never remove it: removing it is a change as well (to the empty value) and
   * replaces everything once more.
   */
  rotation?: pulumi.Input<string>;
  /**
   * Warn (in the preview and the update) when a server certificate expires within this many
   * days: renew it with `rotation`, or give new `certificates`. A whole number from 0 (never)
   * to 3650.
   * @default 30
   */
  expiryWarningDays?: number;
}

/** The filesystem keystore (development only). */
export interface FilesystemKmsArgs {
  /**
   * Directory on each KES host.
   * @default "/var/lib/kes/keys"
   */
  path?: string;
  /**
   * Must be `true`: keys sit unencrypted on the KES host and are lost with it, and MinIO cannot
   * read its data without them (kes-minio.md §6 pitfall 6).
   */
  acknowledgeDevelopmentOnly: boolean;
}

/** HashiCorp Vault or OpenBao with the KV engine (kes-minio.md §1.2). */
export interface VaultKmsArgs {
  /** `https://vault.example.net:8200`. */
  endpoint: string;
  /** KV mount. Default `kv`. */
  engine?: string;
  /** KV version, `v1` or `v2`. Default `v1` (KES's default); most new setups use `v2`. */
  version?: "v1" | "v2";
  /** Namespace (Vault Enterprise / OpenBao). */
  namespace?: string;
  /** Path prefix under the engine, e.g. `minio-prod`. */
  prefix?: string;
  /** AppRole authentication (exactly one of `approle` and `kubernetes`). */
  approle?: {
    /** Role ID. Secret. */
    roleId: pulumi.Input<string>;
    /** Secret ID. Secret. */
    secretId: pulumi.Input<string>;
    /** AppRole mount. Default `approle`. */
    engine?: string;
    /** Namespace of the auth mount (`/` = root). */
    namespace?: string;
  };
  /** Kubernetes authentication (exactly one of `approle` and `kubernetes`). */
  kubernetes?: {
    /** Vault role. */
    role: string;
    /**
     * The service account token itself (a JWT), kept secret: it reaches KES through its root-only
     * env file. Exactly one of `jwt` and `jwtFile`.
     */
    jwt?: pulumi.Input<string>;
    /** Path of the token on the KES hosts (e.g. a projected service-account token), read by KES. */
    jwtFile?: string;
    /** Kubernetes auth mount. Default `kubernetes`. */
    engine?: string;
    /** Namespace of the auth mount. */
    namespace?: string;
  };
  /** Wrap keys with Vault's transit engine. */
  transit?: {
    /** Transit key name. */
    key: string;
    /** Transit mount. Default `transit`. */
    engine?: string;
  };
  /** CA certificate (PEM) of Vault's TLS certificate; written to each KES host. */
  caCertPem?: pulumi.Input<string>;
  /** Client certificate for mTLS to Vault; written to each KES host. */
  clientCertificate?: CertificatePairArgs;
  /**
   * Status ping interval, e.g. `10s` (KES `keystore.vault.status.ping`; KES's code default is
   * 15s, kes-minio.md §1.2).
   */
  statusPing?: string;
}

/** AWS Secrets Manager + KMS (kes-minio.md §1.2). */
export interface AwsKmsArgs {
  /** AWS region, e.g. `eu-central-1`. */
  region: string;
  /** Secrets Manager endpoint. Default `secretsmanager.<region>.amazonaws.com`. */
  endpoint?: string;
  /**
   * KMS key that encrypts the secrets. When absent and `createKey` is true, a key with an
   * alias is created with `@pulumi/aws`. With generated credentials it must be the key's ARN
   * (the IAM policy is scoped to it).
   */
  kmsKeyId?: pulumi.Input<string>;
  /**
   * Create a KMS key (and alias `alias/<name>`). Default true when `kmsKeyId` is absent. The key
   * is kept on `pulumi destroy` (deleting it would make every KES key it wraps unreadable).
   */
  createKey?: boolean;
  /**
   * Create a least-privilege IAM user and access key for KES (default true when `credentials`
   * is absent and `useInstanceRole` is not set).
   */
  createCredentials?: boolean;
  /** Use existing credentials. Secret. */
  credentials?: {
    /** AWS access key ID (KES `credentials.accesskey`, kes-minio.md §1.2). Secret. */
    accessKey: pulumi.Input<string>;
    /** AWS secret access key (KES `credentials.secretkey`, kes-minio.md §1.2). Secret. */
    secretKey: pulumi.Input<string>;
    /** AWS session token of temporary credentials (KES `credentials.token`, kes-minio.md §1.2). Secret. */
    sessionToken?: pulumi.Input<string>;
  };
  /** Use the AWS SDK default chain on the KES hosts (instance role); no credentials are written. */
  useInstanceRole?: boolean;
  /**
   * KES key names (exact, or prefixes ending in `*`) whose secrets KES may manage: the scope
   * of the generated IAM policy (KES stores each key as a secret of the same name). Required
   * with generated credentials; normally the same list as `KesServer.minioKeyNames`.
   */
  secretNames?: string[];
}

/** GCP Secret Manager (kes-minio.md §1.2). */
export interface GcpKmsArgs {
  /** GCP project id. */
  projectId: string;
  /**
   * Endpoint. Default `secretmanager.googleapis.com:443`. Leave unset unless tested: setting it
   * is likely to break KES's startup status check (inferred from KES's code, see `kesConfig.ts`).
   */
  endpoint?: string;
  /** OAuth scopes. */
  scopes?: string[];
  /** Service account credentials; omit inside GCP. */
  credentials?: {
    /** Service account e-mail (KES `credentials.client_email`, kes-minio.md §1.2). */
    clientEmail: pulumi.Input<string>;
    /** Service account client id (KES `credentials.client_id`). */
    clientId: pulumi.Input<string>;
    /** Id of the service account's private key (KES `credentials.private_key_id`). */
    privateKeyId: pulumi.Input<string>;
    /** Service account private key (PEM, as in the JSON key file; KES `credentials.private_key`). Secret. */
    privateKey: pulumi.Input<string>;
  };
}

/** Azure Key Vault (kes-minio.md §1.2). */
export interface AzureKmsArgs {
  /** `https://<vault>.vault.azure.net`. */
  endpoint: string;
  /** Client credentials (exactly one of `credentials` and `managedIdentityClientId`). */
  credentials?: {
    /** Tenant (directory) id (KES `keystore.azure.keyvault.credentials.tenant_id`, kes-minio.md §1.2). */
    tenantId: pulumi.Input<string>;
    /** Client (application) id of the service principal (KES `credentials.client_id`). */
    clientId: pulumi.Input<string>;
    /** Client secret of the service principal (KES `credentials.client_secret`). Secret. */
    clientSecret: pulumi.Input<string>;
  };
  /** Client id of a managed identity (KES `managed_identity.client_id`, kes-minio.md §1.2). */
  managedIdentityClientId?: pulumi.Input<string>;
}

/** Entrust KeyControl (kes-minio.md §1.2: everything but the CA is required). */
export interface EntrustKmsArgs {
  /** KeyControl URL, `https://host[:port]` without a path (KES `keystore.entrust.keycontrol.endpoint`). */
  endpoint: string;
  /** KeyControl vault id (KES `vault_id`). */
  vaultId: string;
  /** KeyControl box id (KES `box_id`). */
  boxId: string;
  /** KeyControl user KES logs in as (KES `credentials.username`). */
  username: pulumi.Input<string>;
  /** Password of that user (KES `credentials.password`). Secret. */
  password: pulumi.Input<string>;
  /** CA certificate (PEM) of the KeyControl endpoint; written to each KES host as `tls.ca`. */
  caCertPem?: pulumi.Input<string>;
}

/** Fortanix SDKMS (kes-minio.md §1.2). */
export interface FortanixKmsArgs {
  /** SDKMS URL, `https://host[:port]` without a path (KES `keystore.fortanix.sdkms.endpoint`). */
  endpoint: string;
  /** SDKMS group id (KES `group_id`). Optional. */
  groupId?: string;
  /** SDKMS API key (KES `credentials.key`). Secret. */
  apiKey: pulumi.Input<string>;
  /** CA certificate (PEM) of the SDKMS endpoint; written to each KES host as `tls.ca`. */
  caCertPem?: pulumi.Input<string>;
}

/** Thales CipherTrust Manager / Gemalto KeySecure (KES `keystore.gemalto.keysecure`, kes-minio.md §1.2). */
export interface ThalesKmsArgs {
  /** CipherTrust Manager / KeySecure URL, `https://host[:port]` without a path (KES `endpoint`). */
  endpoint: string;
  /** Refresh token (KES `credentials.token`). Secret. */
  token: pulumi.Input<string>;
  /** CipherTrust domain of the token (KES `credentials.domain`). Optional. */
  domain?: string;
  /** CA certificate (PEM) of the endpoint; written to each KES host as `tls.ca`. */
  caCertPem?: pulumi.Input<string>;
}

/** Arguments of {@link KmsTarget}: exactly one backend. */
export interface KmsTargetArgs {
  /**
   * Allow a plain `http://` endpoint for Vault, Entrust, Fortanix or Thales. Development only:
   * the keystore's credentials (an AppRole secret, a password, an API key or a token) and the
   * keys themselves then cross the network in clear. Default false: endpoints must be https.
   */
  allowInsecureHttp?: boolean;
  /** Filesystem keystore, for development only. */
  filesystem?: FilesystemKmsArgs;
  /** HashiCorp Vault / OpenBao. */
  vault?: VaultKmsArgs;
  /** AWS Secrets Manager + KMS. */
  aws?: AwsKmsArgs;
  /** GCP Secret Manager. */
  gcp?: GcpKmsArgs;
  /** Azure Key Vault. */
  azure?: AzureKmsArgs;
  /** Entrust KeyControl. */
  entrust?: EntrustKmsArgs;
  /** Fortanix SDKMS. */
  fortanix?: FortanixKmsArgs;
  /** Thales CipherTrust / Gemalto KeySecure. */
  thales?: ThalesKmsArgs;
}

/** Another client of KES besides MinIO, with its own policy. */
export interface KesClientPolicyArgs {
  /** Policy name: letters, digits, `_` and `-`; `minio` is reserved for MinIO's own policy. */
  name: string;
  /**
   * Identities (lowercase hex SHA-256 of each client's public key) bound to the policy. They are
   * public by nature and are written into the KES config, which previews show.
   */
  identities: pulumi.Input<string>[];
  /** Allowed API paths (`/v1/key/generate/app-*`). */
  allow: string[];
  /** Denied API paths; deny wins. */
  deny?: string[];
}

/** Arguments of {@link KesServer}. */
export interface KesServerArgs {
  /** One KES replica per host. All replicas share keystore, policy and identities. */
  hosts: HostArgs[];
  /** The keystore. */
  kms: import("./kmsTarget").KmsTarget;
  /** Where the KES binary comes from. */
  binary: BinarySourceArgs;
  /**
   * KES port.
   * @default 7373
   */
  port?: number;
  /**
   * A stable name MinIO reaches every replica by: a DNS name with one address per replica, or a
   * load balancer in front of them, which you run. MinIO's `MINIO_KMS_KES_ENDPOINT` then names
   * only `https://<serviceName>:<port>`, so adding or removing a replica changes nothing on the
   * MinIO nodes and restarts none of them (MinIO reads its endpoints only at start; see
   * docs/runbooks.md). Generated certificates get it as a SAN; certificates you bring must have
   * it. Without it, MinIO lists every replica's address.
   */
  serviceName?: string;
  /**
   * Key names MinIO may use: exact names or prefix patterns ending in `*` (`minio-*`). The
   * MinIO client identity is allowed create/generate/decrypt/describe on exactly these, never
   * delete. Must cover MinIO's default key and every bucket key.
   */
  minioKeyNames: string[];
  /**
   * How MinIO authenticates to KES: `apiKey` (an Ed25519 key from `@pulumi/tls` kept secret in
   * state) or `certificate` (an mTLS client certificate signed by the KES CA).
   * @default "apiKey"
   */
  minioAuth?: "apiKey" | "certificate";
  /**
   * Rotate MinIO's API key for KES without a request failing on KES authentication (API keys
   * only: refused with `minioAuth: "certificate"`). The key lives in one of two slots: `a`, the one every
   * KES has from the start, and `b`. To rotate, set `active` to the other slot and run
   * `pulumi up`: a new credential is made in that slot, KES admits both (replicas reload one
   * after the other), then every MinIO node restarts with the new one. Then set
   * `retirePrevious: true` and run `pulumi up` again: KES stops admitting the old credential,
   * whose key is deleted, and MinIO does not restart. The next rotation goes back to the other
   * slot. Leave it unset until you rotate (`{ active: "a" }` on a stack that never rotated
   * makes a slot-b key KES admits and nobody uses), and once set keep it: removing it later is a
   * rotation back to slot `a` in one step (see docs/runbooks.md).
   */
  minioCredentialRotation?: {
    /** The slot whose credential MinIO uses. */
    active: "a" | "b";
    /**
     * Remove the other slot's credential: KES no longer admits it. Set it only once every MinIO
     * node runs with the active one (after the `pulumi up` that switched `active`).
     * @default false
     */
    retirePrevious?: boolean;
  };
  /** Further clients and their policies. */
  clients?: KesClientPolicyArgs[];
  /** TLS: generated by default. */
  tls?: TlsArgs;
  /**
   * Cache expiry (KES `cache.expiry`, kes-minio.md §1.1), as Go durations (`30s`, `5m`).
   * All three are always written (kes-minio.md §6 pitfall 9).
   */
  cache?: {
    /** KES `cache.expiry.any`: the longest any key stays cached. Default `5m`. */
    any?: string;
    /** KES `cache.expiry.unused`: how long a key nobody uses stays cached. Default `30s`. */
    unused?: string;
    /**
     * KES `cache.expiry.offline`: how long keys stay cached while the keystore is unreachable.
     * Default `0s` (offline cache off).
     */
    offline?: string;
  };
  /** Turn on the audit log. Default off. */
  auditLog?: boolean;
  /**
   * Seconds to wait for `/v1/ready`.
   * @default 60
   */
  healthTimeoutSeconds?: number;
  /** Compare each KES host with what the program declares, on request. Default: off. */
  driftCheck?: DriftCheckArgs;
}

/** KES that was deployed by other means, for {@link MinioDeploymentArgs.kes}. */
export interface ExternalKesArgs {
  /** KES endpoints, `https://kes1.example.net:7373`. */
  endpoints: string[];
  /** CA certificate (PEM) that verifies the KES server certificates. */
  caCertPem: pulumi.Input<string>;
  /** API key for MinIO (`kes:v1:…`). Secret. Exactly one of `apiKey` and `clientCertificate`. */
  apiKey?: pulumi.Input<string>;
  /** mTLS client certificate for MinIO. */
  clientCertificate?: CertificatePairArgs;
}

/** One server pool of a {@link MinioDeployment}. */
export interface MinioPoolArgs {
  /** The names of its nodes (from `MinioDeploymentArgs.nodes`), in order. */
  nodes: string[];
  /** Drive paths on each of its nodes. Default: `MinioDeploymentArgs.drives`. */
  drives?: string[];
}

/** Arguments of {@link MinioDeployment}. */
export interface MinioDeploymentArgs {
  /** MinIO nodes. One host = single node; several = distributed (all restart together). */
  nodes: HostArgs[];
  /**
   * Drive paths on every node, e.g. `["/mnt/disk1", "/mnt/disk2"]`. Required, except with
   * `existing` (the deployment keeps its own `MINIO_VOLUMES`).
   */
  drives?: string[];
  /**
   * Per-node drive lists, keyed by host name, when nodes differ. Every node must have the
   * same number of drives.
   */
  nodeDrives?: Record<string, string[]>;
  /**
   * Server pools: which nodes form each pool, and their drives (default: `drives`). Without it
   * every node is one pool. MinIO grows by pools: to add capacity, add the new nodes to `nodes`
   * and a pool naming them here; every node then restarts together with the new
   * `MINIO_VOLUMES`, one argument per pool (docs/runbooks.md, "Adding a server pool"). With
   * several pools, each pool's addresses and drives must form ranges MinIO writes as
   * `{a...b}` (`minio{5...8}.example.net`, `/mnt/disk{1...4}`): MinIO takes an argument
   * without an ellipsis for a pool only when there is one. Not with `nodeDrives`.
   */
  pools?: MinioPoolArgs[];
  /**
   * Root user (≥ 3 characters). Secret. Required, except with `existing` (the deployment keeps
   * its own credentials, which `mc` reads from its env file).
   */
  rootUser?: pulumi.Input<string>;
  /** Root password (≥ 8 characters). Secret. Required, except with `existing`. */
  rootPassword?: pulumi.Input<string>;
  /** The KES this deployment uses: a {@link KesServer} of this stack, or an external one. */
  kes?: import("./kesServer").KesServer | ExternalKesArgs;
  /**
   * `MINIO_KMS_KES_KEY_NAME`: the default key protecting IAM/config, SSE-S3 and SSE-KMS without
   * a key id. Required with `kes`. Must stay forever once used (kes-minio.md §6 pitfall 5).
   */
  defaultKeyName?: string;
  /** Where the MinIO binary comes from. Required unless `existing`; must be absent with `existing`. */
  binary?: BinarySourceArgs;
  /** Where the `mc` binary comes from (installed on `adminHost`, for buckets and checks). */
  mc?: BinarySourceArgs;
  /** Node (host name) that runs `mc` steps. Default: the first node. */
  adminHost?: string;
  /**
   * S3 API port.
   * @default 9000
   */
  port?: number;
  /**
   * Console port (`--console-address`).
   * @default 9001
   */
  consolePort?: number;
  /**
   * Serve the S3 API over TLS with certificates for every node. Default off. With `true`, the
   * certificates are generated; pass {@link TlsArgs} to bring your own or share a CA.
   */
  tls?: boolean | TlsArgs;
  /** Further `MINIO_*` variables (written identically on every node). */
  extraEnv?: Record<string, pulumi.Input<string>>;
  /**
   * Let `extraEnv` set variables other than `MINIO_*` (e.g. `GOMAXPROCS`, `HTTP_PROXY`). Default
   * false: names like `LD_PRELOAD` or `PATH` change how the minio process runs, so they are
   * refused unless you say so here.
   */
  allowAnyExtraEnv?: boolean;
  /**
   * An existing deployment: merge our variables into its environment file and restart its
   * unit; do not install users, binaries or units.
   */
  existing?: {
    /** The environment file. Default `/etc/default/minio`. */
    envFile?: string;
    /** The unit. Default `minio.service`. */
    unitName?: string;
  };
  /**
   * Once KES is configured, MinIO cannot start without the keys that encrypted its data.
   * Removing `kes` from a deployment that has it on its hosts fails unless this is `true`.
   */
  allowKesRemoval?: boolean;
  /** systemd `Type=` of the unit: `notify` (default, MinIO ≥ 2023-05) or `simple`. */
  serviceType?: "notify" | "simple";
  /**
   * Seconds each `service` step and the `ready` gate wait for health.
   * @default 120
   */
  healthTimeoutSeconds?: number;
  /** Compare each node with what the program declares, on request. Default: off. */
  driftCheck?: DriftCheckArgs;
}

/** Arguments of {@link EncryptedBucket}. */
export interface EncryptedBucketArgs {
  /** The deployment that holds the bucket. */
  deployment: import("./minioDeployment").MinioDeployment;
  /** Bucket name (S3 rules: 3–63 characters, lowercase letters, digits, `-`, `.`). */
  bucket: string;
  /**
   * `sse-kms` or `sse-s3`.
   * @default "sse-kms"
   */
  algorithm?: "sse-kms" | "sse-s3";
  /** KES key for SSE-KMS. Default: the deployment's default key. Created when missing. */
  keyName?: string;
  /**
   * Write a probe object and check its encryption with `mc stat`.
   * @default true
   */
  verify?: boolean;
}

/** One bucket of {@link EncryptedBuckets}: what {@link EncryptedBucketArgs} says, without the deployment. */
export type EncryptedBucketSpec = Omit<EncryptedBucketArgs, "deployment">;

/** Arguments of {@link EncryptedBuckets}. */
export interface EncryptedBucketsArgs {
  /** The deployment that holds the buckets. */
  deployment: import("./minioDeployment").MinioDeployment;
  /**
   * The buckets, each with its own name, algorithm, key and probe setting (as for an
   * EncryptedBucket). At least one; each name once. Adding, removing or changing one re-runs the
   * set-up of all of them (each part is idempotent); removing one deletes nothing.
   */
  buckets: EncryptedBucketSpec[];
}

/**
 * An opt-in check of what is on each host against what the program declares: each file's
 * content (SHA-256), owner, group and mode, and that each unit is active. It runs once per new
 * `request` (and when what it compares changes, after that change is applied); off, it adds no
 * step and a no-op `up` opens no SSH session.
 */
export interface DriftCheckArgs {
  /**
   * A label for this check, e.g. the date: a new value runs the check on every host again.
   * 1–64 letters, digits and `._:-`.
   */
  request: string;
  /**
   * A label for a repair, e.g. the date: a new value re-runs every step that writes a declared
   * file (what differs is rewritten; on MinIO staged, made live and that node restarted), every
   * service step's update (a stopped unit is started), and restarts KES replica by replica so
   * it reads what was rewritten. The check then runs after the repair and reports what still
   * differs. Leave the label in place: the same value re-runs nothing. 1–64 letters, digits
   * and `._:-`. Default: no repair.
   */
  repair?: string;
}
