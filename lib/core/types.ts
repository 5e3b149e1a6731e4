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
  kind: "fs";
  /** Directory holding the keys; KES creates it when missing. */
  path: string;
}

/** HashiCorp Vault or OpenBao (same API) with the KV engine, optionally with transit. */
export interface VaultKeystore {
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
    namespace?: string;
    /** Kubernetes auth mount. KES default: `kubernetes`. */
    engine?: string;
    role: string;
    /** @secret The service account JWT, or a path to it (any value containing `/` is a path). */
    jwt: string;
  };
  /** Encrypt keys with Vault's transit engine before storing them. */
  transit?: {
    /** Transit mount. KES default: `transit`. */
    engine?: string;
    /** Name of the transit key. Required when transit is used. */
    key: string;
  };
  /** mTLS towards Vault and the CA that signs Vault's certificate (file paths on the KES host). */
  tls?: { keyFile?: string; certFile?: string; caFile?: string };
  /** How often KES checks Vault's status, e.g. `10s`. KES default: 15s. */
  statusPing?: string;
}

/** AWS Secrets Manager, optionally encrypting secrets with a KMS key. */
export interface AwsKeystore {
  kind: "aws";
  /** `secretsmanager.<region>.amazonaws.com`. */
  endpoint: string;
  region: string;
  /** KMS key id, ARN or alias used to encrypt the secrets. */
  kmsKey?: string;
  /** Static credentials. When absent, the AWS SDK default chain is used (env, shared file, instance role). */
  credentials?: {
    /** @secret */
    accessKey: string;
    /** @secret */
    secretKey: string;
    /** @secret */
    sessionToken?: string;
  };
}

/** GCP Secret Manager. */
export interface GcpKeystore {
  kind: "gcp";
  projectId: string;
  /** KES default: `secretmanager.googleapis.com:443`. */
  endpoint?: string;
  scopes?: string[];
  /** Service account credentials; may be absent when KES runs inside GCP. */
  credentials?: {
    clientEmail: string;
    clientId: string;
    privateKeyId: string;
    /** @secret */
    privateKey: string;
  };
}

/** Azure Key Vault, with client credentials or a managed identity (exactly one). */
export interface AzureKeystore {
  kind: "azure";
  /** `https://<vault>.vault.azure.net`. */
  endpoint: string;
  credentials?: {
    tenantId: string;
    clientId: string;
    /** @secret */
    clientSecret: string;
  };
  managedIdentity?: { clientId: string };
}

/** Entrust KeyControl. */
export interface EntrustKeystore {
  kind: "entrust";
  endpoint: string;
  vaultId: string;
  boxId: string;
  credentials: {
    username: string;
    /** @secret */
    password: string;
  };
  tls?: { caFile?: string };
}

/** Fortanix SDKMS. */
export interface FortanixKeystore {
  kind: "fortanix";
  endpoint: string;
  groupId?: string;
  credentials: {
    /** @secret API key. */
    key: string;
  };
  tls?: { caFile?: string };
}

/** Thales CipherTrust Manager / Gemalto KeySecure. */
export interface ThalesKeystore {
  kind: "thales";
  endpoint: string;
  credentials: {
    /** @secret Refresh token. */
    token: string;
    domain?: string;
  };
  tls?: { caFile?: string };
}

export type Keystore =
  | FsKeystore
  | VaultKeystore
  | AwsKeystore
  | GcpKeystore
  | AzureKeystore
  | EntrustKeystore
  | FortanixKeystore
  | ThalesKeystore;

export type KeystoreKind = Keystore["kind"];

/** One KES policy: allow/deny path patterns and the identities bound to it. */
export interface KesPolicy {
  name: string;
  allow: string[];
  deny?: string[];
  identities: string[];
}

/** Everything that goes into one KES server config file. */
export interface KesConfigInput {
  /** Listen address, `ip:port`. Default `0.0.0.0:7373`. */
  address?: string;
  /** Admin identity. Default `disabled` (no admin; the library never needs one). */
  adminIdentity?: string;
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
  policies: KesPolicy[];
  /** Cache expiries. Both are always written (KES pitfall 9). Defaults 5m / 30s / 0s. */
  cache?: { any?: string; unused?: string; offline?: string };
  /** Error and audit logging. Defaults: error on, audit off. */
  log?: { error?: string; audit?: string };
  keystore: Keystore;
}

/** KES client credentials MinIO uses: an API key or a client certificate (never both). */
export type MinioKesAuth =
  | {
      kind: "apiKey";
      /** @secret `kes:v1:…` */
      apiKey: string;
    }
  | {
      kind: "certificate";
      /** Path of the client certificate on the MinIO hosts. */
      certFile: string;
      /** Path of the client private key on the MinIO hosts. */
      keyFile: string;
      /** @secret Password of an encrypted client key. */
      keyPassword?: string;
    };

/** The `MINIO_KMS_KES_*` part of MinIO's environment. */
export interface MinioKesEnv {
  /** Every KES endpoint, `https://host:port`. */
  endpoints: string[];
  /** `MINIO_KMS_KES_KEY_NAME`: the default key (IAM/config, SSE-S3, SSE-KMS without key id). */
  keyName: string;
  auth: MinioKesAuth;
  /** `MINIO_KMS_KES_CAPATH`: CA file or directory that signs the KES server certificates. */
  caPath?: string;
}

/** Everything that goes into MinIO's environment file. */
export interface MinioEnvInput {
  /** @secret */
  rootUser: string;
  /** @secret */
  rootPassword: string;
  /** Rendered `MINIO_VOLUMES` (see `renderMinioVolumes`). */
  volumes: string;
  /** `MINIO_OPTS`, e.g. `--console-address :9001`. */
  opts?: string;
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
