/**
 * Plain (already resolved) inputs of the pure renderers. Components resolve their
 * `pulumi.Input` arguments into these shapes, validate them (`validate.ts`), and pass
 * them to the renderers, which return text. Nothing here touches Pulumi or a host.
 *
 * Secret fields are marked `@secret`: renderers never write them into the KES config
 * file; they become `${VAR}` references whose values live in a separate env file
 * (see `docs/architecture.md`, "How secrets reach KES").
 */

/** The filesystem keystore. Development only: keys live unencrypted on the KES host. */
export interface FsKeystore {
  /** Selects this backend: rendered as KES `keystore.fs` (kes-minio.md §1.2). */
  kind: "fs";
  /** Directory holding the keys; KES creates it when missing. */
  path: string;
}

/** HashiCorp Vault or OpenBao (same API) with the KV engine, optionally with transit. */
export interface VaultKeystore {
  /** Selects this backend: rendered as KES `keystore.vault` (kes-minio.md §1.2). */
  kind: "vault";
  /** `https://vault.example.net:8200`. */
  endpoint: string;
  /** KV engine mount path. KES default: `kv`. */
  engine?: string;
  /** KV engine version. KES default: `v1`. */
  version?: "v1" | "v2";
  /** Vault Enterprise / OpenBao namespace of the KV engine. */
  namespace?: string;
  /** Path prefix under the engine; every KES replica must use the same one. */
  prefix?: string;
  /** AppRole authentication. Exactly one of `approle` and `kubernetes`. */
  approle?: {
    /** Namespace of the auth engine (`/` for the root namespace). */
    namespace?: string;
    /** AppRole auth mount. KES default: `approle`. */
    engine?: string;
    /** @secret Role ID. */
    id: string;
    /** @secret Secret ID. */
    secret: string;
  };
  /** Kubernetes authentication. Exactly one of `approle` and `kubernetes`. */
  kubernetes?: {
    /** Namespace of the auth engine (`/` for the root namespace). */
    namespace?: string;
    /** Kubernetes auth mount. KES default: `kubernetes`. */
    engine?: string;
    /** Vault role KES logs in with (KES `kubernetes.role`). */
    role: string;
    /** @secret The service account JWT itself (never a path). Exactly one of `jwt` and `jwtFile`. */
    jwt?: string;
    /** Path of the JWT on the KES host, read by KES (KES takes any value with `/` as a path). */
    jwtFile?: string;
  };
  /** Encrypt keys with Vault's transit engine before storing them. */
  transit?: {
    /** Transit mount. KES default: `transit`. */
    engine?: string;
    /** Name of the transit key. Required when transit is used. */
    key: string;
  };
  /** mTLS towards Vault and the CA that signs Vault's certificate (file paths on the KES host). */
  tls?: {
    /** Client private key for mTLS to Vault (KES `tls.key`). Set together with `certFile`. */
    keyFile?: string;
    /** Client certificate for mTLS to Vault (KES `tls.cert`). Set together with `keyFile`. */
    certFile?: string;
    /** CA certificate that verifies Vault's server certificate (KES `tls.ca`). */
    caFile?: string;
  };
  /** How often KES checks Vault's status, e.g. `10s`. KES default: 15s. */
  statusPing?: string;
}

/** AWS Secrets Manager, optionally encrypting secrets with a KMS key. */
export interface AwsKeystore {
  /** Selects this backend: rendered as KES `keystore.aws.secretsmanager` (kes-minio.md §1.2). */
  kind: "aws";
  /** `secretsmanager.<region>.amazonaws.com`. */
  endpoint: string;
  /** AWS region, e.g. `eu-central-1`. Required. */
  region: string;
  /** KMS key id, ARN or alias used to encrypt the secrets. */
  kmsKey?: string;
  /** Static credentials. When absent, the AWS SDK default chain is used (env, shared file, instance role). */
  credentials?: {
    /** @secret AWS access key ID (KES `credentials.accesskey`). */
    accessKey: string;
    /** @secret AWS secret access key (KES `credentials.secretkey`). */
    secretKey: string;
    /** @secret AWS session token of temporary credentials (KES `credentials.token`). */
    sessionToken?: string;
  };
}

/** GCP Secret Manager. */
export interface GcpKeystore {
  /** Selects this backend: rendered as KES `keystore.gcp.secretmanager` (kes-minio.md §1.2). */
  kind: "gcp";
  /** GCP project that holds the secrets (KES `project_id`). Required. */
  projectId: string;
  /** Secret Manager endpoint. KES default: `secretmanager.googleapis.com:443`. */
  endpoint?: string;
  /** OAuth scopes (KES `scopes`); omitted when empty. */
  scopes?: string[];
  /** Service account credentials; may be absent when KES runs inside GCP. */
  credentials?: {
    /** Service account e-mail (KES `credentials.client_email`). */
    clientEmail: string;
    /** Service account client id (KES `credentials.client_id`). */
    clientId: string;
    /** Id of the service account's private key (KES `credentials.private_key_id`). */
    privateKeyId: string;
    /** @secret Service account private key, PEM (KES `credentials.private_key`). */
    privateKey: string;
  };
}

/** Azure Key Vault, with client credentials or a managed identity (exactly one). */
export interface AzureKeystore {
  /** Selects this backend: rendered as KES `keystore.azure.keyvault` (kes-minio.md §1.2). */
  kind: "azure";
  /** `https://<vault>.vault.azure.net`. */
  endpoint: string;
  /** Service principal credentials (KES `credentials`). Exactly one of this and `managedIdentity`. */
  credentials?: {
    /** Tenant (directory) id (KES `credentials.tenant_id`). */
    tenantId: string;
    /** Client (application) id (KES `credentials.client_id`). */
    clientId: string;
    /** @secret Client secret (KES `credentials.client_secret`). */
    clientSecret: string;
  };
  /** Managed identity (KES `managed_identity`). Exactly one of this and `credentials`. */
  managedIdentity?: {
    /** Client id of the managed identity (KES `managed_identity.client_id`). */
    clientId: string;
  };
}

/** Entrust KeyControl. */
export interface EntrustKeystore {
  /** Selects this backend: rendered as KES `keystore.entrust.keycontrol` (kes-minio.md §1.2). */
  kind: "entrust";
  /** KeyControl URL (KES `endpoint`). Required. */
  endpoint: string;
  /** KeyControl vault id (KES `vault_id`). Required. */
  vaultId: string;
  /** KeyControl box id (KES `box_id`). Required. */
  boxId: string;
  /** Login of KES at KeyControl (KES `credentials`). Required. */
  credentials: {
    /** KeyControl user name (KES `credentials.username`). */
    username: string;
    /** @secret Password of that user (KES `credentials.password`). */
    password: string;
  };
  /** TLS towards KeyControl. */
  tls?: {
    /** CA certificate that verifies KeyControl (KES `tls.ca`; a file path on the KES host). */
    caFile?: string;
  };
}

/** Fortanix SDKMS. */
export interface FortanixKeystore {
  /** Selects this backend: rendered as KES `keystore.fortanix.sdkms` (kes-minio.md §1.2). */
  kind: "fortanix";
  /** SDKMS URL (KES `endpoint`). Required. */
  endpoint: string;
  /** SDKMS group id (KES `group_id`). Optional. */
  groupId?: string;
  /** Login of KES at SDKMS (KES `credentials`). */
  credentials: {
    /** @secret API key. */
    key: string;
  };
  /** TLS towards SDKMS. */
  tls?: {
    /** CA certificate that verifies SDKMS (KES `tls.ca`; a file path on the KES host). */
    caFile?: string;
  };
}

/** Thales CipherTrust Manager / Gemalto KeySecure. */
export interface ThalesKeystore {
  /** Selects this backend: rendered as KES `keystore.gemalto.keysecure` (kes-minio.md §1.2). */
  kind: "thales";
  /** CipherTrust Manager / KeySecure URL (KES `endpoint`). Required. */
  endpoint: string;
  /** Login of KES (KES `credentials`). */
  credentials: {
    /** @secret Refresh token. */
    token: string;
    /** CipherTrust domain of the token (KES `credentials.domain`). Optional. */
    domain?: string;
  };
  /** TLS towards the endpoint. */
  tls?: {
    /** CA certificate that verifies the endpoint (KES `tls.ca`; a file path on the KES host). */
    caFile?: string;
  };
}

/**
 * One keystore backend, told apart by `kind`. It renders as the config's `keystore:` section,
 * which holds exactly one backend (kes-minio.md §1.1).
 */
export type Keystore =
  | FsKeystore
  | VaultKeystore
  | AwsKeystore
  | GcpKeystore
  | AzureKeystore
  | EntrustKeystore
  | FortanixKeystore
  | ThalesKeystore;

/** Backend of a {@link Keystore}: `fs`, `vault`, `aws`, `gcp`, `azure`, `entrust`, `fortanix` or `thales`. */
export type KeystoreKind = Keystore["kind"];

/** One KES policy: allow/deny path patterns and the identities bound to it. */
export interface KesPolicy {
  /** Policy name, a key under the config's `policy:` section. Unique within one config. */
  name: string;
  /** Allowed API path patterns; a pattern ending in `*` is a prefix match (kes-minio.md §1.1). */
  allow: string[];
  /** Denied API path patterns; a matching deny wins over any allow (§1.1). Omitted when empty. */
  deny?: string[];
  /**
   * Identities (hex SHA-256, kes-minio.md §2) bound to the policy. An identity may belong to
   * one policy only and may not be the admin identity (§1.1).
   */
  identities: string[];
}

/** Everything that goes into one KES server config file. */
export interface KesConfigInput {
  /** Listen address, `ip:port`. Default `0.0.0.0:7373`. */
  address?: string;
  /** Admin identity. Default `disabled` (no admin; the library never needs one). */
  adminIdentity?: string;
  /** The server's TLS settings (KES `tls`). */
  tls: {
    /** Path of the server private key on the KES host. */
    keyFile: string;
    /** Path of the server certificate on the KES host. */
    certFile: string;
    /** CA file or directory for client certificates (only used with `auth: "on"`). */
    caFile?: string;
    /** `off` (default): client certs are required but not chain-verified, as API keys need. */
    auth?: "off" | "on";
  };
  /** The policies (KES `policy`); the section is omitted when the list is empty. */
  policies: KesPolicy[];
  /**
   * Cache expiries (KES `cache.expiry`). All three are always written (kes-minio.md §6
   * pitfall 9). Defaults 5m / 30s / 0s.
   */
  cache?: {
    /** KES `cache.expiry.any`: the longest any key stays cached. Default `5m`. */
    any?: string;
    /** KES `cache.expiry.unused`: how long a key nobody uses stays cached. Default `30s`. */
    unused?: string;
    /** KES `cache.expiry.offline`: cache time while the keystore is unreachable. Default `0s` (off). */
    offline?: string;
  };
  /** Error and audit logging. Defaults: error on, audit off. */
  log?: {
    /** KES `log.error`: `on`/`off` or a level such as `INFO` (kes-minio.md §1.1). Default `on`. */
    error?: string;
    /** KES `log.audit`: `on`/`off` or a level (kes-minio.md §1.1). Default `off`. */
    audit?: string;
  };
  /** The keystore backend (KES `keystore`). */
  keystore: Keystore;
}

/** KES client credentials MinIO uses: an API key or a client certificate (never both). */
export type MinioKesAuth =
  | {
      /** Authenticate with an API key (`MINIO_KMS_KES_API_KEY`). */
      kind: "apiKey";
      /** @secret `kes:v1:…` */
      apiKey: string;
    }
  | {
      /** Authenticate with a client certificate (`MINIO_KMS_KES_CERT_FILE` / `MINIO_KMS_KES_KEY_FILE`). */
      kind: "certificate";
      /** Path of the client certificate on the MinIO hosts. */
      certFile: string;
      /** Path of the client private key on the MinIO hosts. */
      keyFile: string;
      /** @secret Password of an encrypted client key (`MINIO_KMS_KES_KEY_PASSWORD`). */
      keyPassword?: string;
    };

/** The `MINIO_KMS_KES_*` part of MinIO's environment. */
export interface MinioKesEnv {
  /** Every KES endpoint, `https://host:port`. */
  endpoints: string[];
  /** `MINIO_KMS_KES_KEY_NAME`: the default key (IAM/config, SSE-S3, SSE-KMS without key id). */
  keyName: string;
  /** How MinIO authenticates to KES: an API key or a client certificate (never both). */
  auth: MinioKesAuth;
  /** `MINIO_KMS_KES_CAPATH`: CA file or directory that signs the KES server certificates. */
  caPath?: string;
}

/** Everything that goes into MinIO's environment file. */
export interface MinioEnvInput {
  /** @secret `MINIO_ROOT_USER`. */
  rootUser: string;
  /** @secret `MINIO_ROOT_PASSWORD`. */
  rootPassword: string;
  /** Rendered `MINIO_VOLUMES` (see `renderMinioVolumes`). */
  volumes: string;
  /** `MINIO_OPTS`, e.g. `--console-address :9001`. */
  opts?: string;
  /** The `MINIO_KMS_KES_*` variables; absent when MinIO does not use KES. */
  kes?: MinioKesEnv;
  /** Further variables, written verbatim (names must be valid shell/env names). */
  extra?: Record<string, string>;
}

/** The layout of a MinIO deployment, from which `MINIO_VOLUMES` is rendered. */
export interface MinioTopology {
  /** `http` or `https` (https when MinIO has TLS). Only used for multi-node. */
  scheme: "http" | "https";
  /** S3 API port. Default 9000. */
  port?: number;
  /** Host names (or IPs) of every node, as the nodes reach each other. One entry = single node. */
  hosts: string[];
  /** Drive paths, identical on every node. */
  drives: string[];
}
