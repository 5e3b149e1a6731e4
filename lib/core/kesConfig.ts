/**
 * Renders the KES server configuration file (`config.yaml`) and the env file that holds
 * the keystore secrets it references. Pure functions: typed input in, text out.
 *
 * Facts followed (all from `kes-minio.md`, the project's KES/MinIO reference):
 * - Current config format only (§1.1, §1.3): `version: v1`, `admin.identity`,
 *   `tls.{key,cert,ca,auth}` in the file. Never `root:` (pitfall 12: the admin identity
 *   ends up empty and KES refuses to start), never the CLI flags `--auth`/`--mlock`
 *   (pitfall 3: ignored or fatal).
 * - No `keys:` section (pitfall 4: ignored by every KES release from 2023-10-24 to
 *   2025-03-12). MinIO creates its default key itself when the policy allows
 *   `/v1/key/create/<name>`.
 * - `cache.expiry.any` and `cache.expiry.unused` are always written (pitfall 9: with
 *   `unused` unset, KES assigns 30s to the `any` expiry instead).
 * - `api: {/v1/ready: {skip_auth: true}}` so health probes need no client certificate
 *   (pitfall 13). Nothing else gets `skip_auth`.
 * - Keystore keys exactly as in §1.2 (`kesconf/config.go` struct tags).
 * - Secrets are never written into the file: each one is a whole-value `${VAR}` string
 *   (§1.1 "Value substitution": KES reads it from the environment and fails to start when
 *   the variable is unset), and its value goes into a separate env file for systemd's
 *   `EnvironmentFile=`.
 */

import { renderEnvFile } from "./envfile";
import { assertRule, jwt as jwtRule, path as pathRule } from "./rules";
import type {
  AwsKeystore,
  AzureKeystore,
  EntrustKeystore,
  FortanixKeystore,
  FsKeystore,
  GcpKeystore,
  KesConfigInput,
  KesPolicy,
  Keystore,
  ThalesKeystore,
  VaultKeystore,
} from "./types";
import { renderYaml, type YamlMap, type YamlValue, ymap } from "./yaml";

/** KES's default listen port (kes-minio.md §1.1, `address` defaults to `0.0.0.0:7373`). */
export const KES_DEFAULT_PORT = 7373;

/** Listen address written when {@link KesConfigInput.address} is unset (kes-minio.md §1.1). */
export const KES_DEFAULT_ADDRESS = `0.0.0.0:${KES_DEFAULT_PORT}`;

/**
 * Admin identity written when {@link KesConfigInput.adminIdentity} is unset. Any value
 * that is not an identity hash switches the admin off; the field itself must not be empty
 * (kes-minio.md §1.1, "no admin identity").
 */
export const KES_ADMIN_DISABLED = "disabled";

/**
 * Cache expiries written when {@link KesConfigInput.cache} leaves them unset: the
 * documented KES defaults (kes-minio.md §1.1), written explicitly because of the
 * `configureCache` bug (§6 pitfall 9). `0s` keeps the offline cache off; it is spelled
 * with a unit so that Go's `time.ParseDuration` accepts it.
 */
export const KES_DEFAULT_CACHE = {
  /** `cache.expiry.any`: the longest any key stays cached. */
  any: "5m",
  /** `cache.expiry.unused`: how long a key nobody uses stays cached. */
  unused: "30s",
  /** `cache.expiry.offline`: `0s`, the offline cache is off. */
  offline: "0s",
} as const;

/** Log levels written when {@link KesConfigInput.log} leaves them unset (kes-minio.md §1.1). */
export const KES_DEFAULT_LOG = {
  /** `log.error`: the error log is on. */
  error: "on",
  /** `log.audit`: the audit log is off. */
  audit: "off",
} as const;

/**
 * The readiness route, opened to unauthenticated callers (`skip_auth: true`) so that
 * health probes work without a client certificate (kes-minio.md §6 pitfall 13). It answers
 * 200 when the keystore is reachable, 504/502 otherwise (§3).
 */
export const KES_READY_PATH = "/v1/ready";

/** Timeout written for {@link KES_READY_PATH}. */
export const KES_READY_TIMEOUT = "15s";

/**
 * Names of the environment variables that carry keystore secrets, one per `@secret` field
 * of the keystore types. The config file references them as whole-value `${NAME}` strings
 * (kes-minio.md §1.1). They are deliberately prefixed `KES_<BACKEND>_` so they can never be
 * mistaken for variables that an SDK inside KES reads by itself (for example the AWS SDK's
 * `AWS_ACCESS_KEY_ID`) or for the KES CLI's `MINIO_KES_*` variables (§2).
 */
export const KES_SECRET_ENV = {
  /** Vault AppRole role ID. */
  vaultAppRoleId: "KES_VAULT_APPROLE_ID",
  /** Vault AppRole secret ID. */
  vaultAppRoleSecret: "KES_VAULT_APPROLE_SECRET",
  /** Vault Kubernetes auth JWT (only when it is the token itself, not a path). */
  vaultKubernetesJwt: "KES_VAULT_KUBERNETES_JWT",
  /** AWS access key ID. */
  awsAccessKey: "KES_AWS_ACCESS_KEY",
  /** AWS secret access key. */
  awsSecretKey: "KES_AWS_SECRET_KEY",
  /** AWS session token. */
  awsSessionToken: "KES_AWS_SESSION_TOKEN",
  /** GCP service account e-mail (an identifier, kept out of the config like every credential). */
  gcpClientEmail: "KES_GCP_CLIENT_EMAIL",
  /** GCP service account client id. */
  gcpClientId: "KES_GCP_CLIENT_ID",
  /** GCP service account private key id. */
  gcpPrivateKeyId: "KES_GCP_PRIVATE_KEY_ID",
  /** GCP service account private key (PEM, newlines encoded as `\n`). */
  gcpPrivateKey: "KES_GCP_PRIVATE_KEY",
  /** Azure tenant id (an identifier, kept out of the config like every credential). */
  azureTenantId: "KES_AZURE_TENANT_ID",
  /** Azure client id. */
  azureClientId: "KES_AZURE_CLIENT_ID",
  /** Azure managed identity client id. */
  azureManagedIdentityClientId: "KES_AZURE_MANAGED_IDENTITY_CLIENT_ID",
  /** Azure client secret. */
  azureClientSecret: "KES_AZURE_CLIENT_SECRET",
  /** Entrust KeyControl user name (an identifier, kept out of the config like every credential). */
  entrustUsername: "KES_ENTRUST_USERNAME",
  /** Entrust KeyControl password. */
  entrustPassword: "KES_ENTRUST_PASSWORD",
  /** Fortanix SDKMS API key. */
  fortanixApiKey: "KES_FORTANIX_API_KEY",
  /** Thales CipherTrust / Gemalto KeySecure refresh token. */
  thalesToken: "KES_THALES_TOKEN",
} as const;

/** The result of {@link renderKesConfig}. */
export interface RenderedKesConfig {
  /**
   * The KES config file. Contains no secret value, so it may be shown in previews and
   * hashed for replacement triggers. Every secret appears as a whole-value `"${NAME}"`
   * string whose NAME is a key of {@link RenderedKesConfig.secretEnv}.
   */
  yaml: string;
  /**
   * Environment variables that KES needs to resolve the `${NAME}` references in
   * {@link RenderedKesConfig.yaml}: NAME → secret value. Empty when the keystore has no
   * secrets (fs, AWS default chain, GCP ambient credentials, Azure managed identity,
   * Vault Kubernetes auth with a JWT path). Render it with {@link renderKesSecretEnvFile}.
   * Values are already in env-file form (see the GCP private key note on
   * {@link KES_SECRET_ENV}).
   */
  secretEnv: Record<string, string>;
}

/** Collects secrets while a keystore renders and hands out `${NAME}` references. */
class SecretSink {
  readonly env: Record<string, string> = {};

  /** Record `value` under `name` and return the whole-value reference `${name}`. */
  ref(name: string, value: string | undefined, field: string): string {
    const v = required(value, field);
    if (Object.hasOwn(this.env, name)) throw new Error(`secret variable ${name} is used twice`);
    this.env[name] = v;
    return `\${${name}}`;
  }
}

/** `value` unless it is unset or empty (optional keys are omitted, never written as ""). */
function opt(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** `value`, or an Error naming `field` when it is unset or empty. */
function required(value: string | undefined, field: string): string {
  if (value === undefined || value === "") {
    throw new Error(`KES config: ${field} is required and must not be empty`);
  }
  return value;
}

/** A mapping, or `undefined` (so the parent omits it) when every entry is unset. */
function optMap(entries: ReadonlyArray<readonly [string, YamlValue | undefined]>): YamlMap | undefined {
  const m = ymap(entries);
  return m.size === 0 ? undefined : m;
}

function fsKeystore(k: FsKeystore): YamlMap {
  return ymap([["fs", ymap([["path", required(k.path, "keystore.path")]])]]);
}

/** Vault's AppRole login: the role ID and secret, as `${VAR}` references. */
function vaultAppRole(
  a: NonNullable<VaultKeystore["approle"]>,
  secrets: SecretSink,
): readonly [string, YamlMap] {
  return [
    "approle",
    ymap([
      ["namespace", opt(a.namespace)],
      ["engine", opt(a.engine)],
      ["id", secrets.ref(KES_SECRET_ENV.vaultAppRoleId, a.id, "keystore.approle.id")],
      ["secret", secrets.ref(KES_SECRET_ENV.vaultAppRoleSecret, a.secret, "keystore.approle.secret")],
    ]),
  ];
}

/** Vault's Kubernetes login: the token as a `${VAR}` reference, or the token file's path. */
function vaultKubernetes(
  kube: NonNullable<VaultKeystore["kubernetes"]>,
  secrets: SecretSink,
): readonly [string, YamlMap] {
  if ((kube.jwt === undefined) === (kube.jwtFile === undefined)) {
    throw new Error(
      "KES config: give exactly one of keystore.kubernetes.jwt and keystore.kubernetes.jwtFile",
    );
  }
  const jwt =
    kube.jwt === undefined
      ? assertRule<string>("KES config", "keystore.kubernetes.jwtFile", kube.jwtFile, pathRule)
      : secrets.ref(
          KES_SECRET_ENV.vaultKubernetesJwt,
          assertRule<string>("KES config", "keystore.kubernetes.jwt", kube.jwt, jwtRule),
          "keystore.kubernetes.jwt",
        );
  return [
    "kubernetes",
    ymap([
      ["namespace", opt(kube.namespace)],
      ["engine", opt(kube.engine)],
      ["role", required(kube.role, "keystore.kubernetes.role")],
      // kesconf treats any value containing "/" as a path to the token (§1.2).
      ["jwt", jwt],
    ]),
  ];
}

/**
 * Vault: kes-minio.md §1.2. Exactly one of AppRole and Kubernetes auth; `transit.key`
 * required with transit; mTLS key and cert both or neither. A Kubernetes `jwt` is always the
 * token, a secret referenced as `${VAR}`; a path to the token is `jwtFile`, written as is. KES
 * takes any value containing `/` as a path, so a token with `/` is refused.
 */
function vaultKeystore(k: VaultKeystore, secrets: SecretSink): YamlMap {
  if (k.approle && k.kubernetes) {
    throw new Error("KES config: keystore.approle and keystore.kubernetes are mutually exclusive (Vault)");
  }
  if (!k.approle && !k.kubernetes) {
    throw new Error("KES config: Vault keystore needs keystore.approle or keystore.kubernetes");
  }
  const keyFile = opt(k.tls?.keyFile);
  const certFile = opt(k.tls?.certFile);
  if ((keyFile === undefined) !== (certFile === undefined)) {
    throw new Error(
      "KES config: keystore.tls.keyFile and keystore.tls.certFile must be set together (Vault)",
    );
  }

  const auth = k.approle ? vaultAppRole(k.approle, secrets) : vaultKubernetes(k.kubernetes!, secrets);

  const transit = k.transit
    ? ymap([
        ["engine", opt(k.transit.engine)],
        ["key", required(k.transit.key, "keystore.transit.key")],
      ])
    : undefined;

  return ymap([
    [
      "vault",
      ymap([
        ["endpoint", required(k.endpoint, "keystore.endpoint")],
        ["engine", opt(k.engine)],
        ["version", opt(k.version)],
        ["namespace", opt(k.namespace)],
        ["prefix", opt(k.prefix)],
        ["transit", transit],
        auth,
        [
          "tls",
          optMap([
            ["key", keyFile],
            ["cert", certFile],
            ["ca", opt(k.tls?.caFile)],
          ]),
        ],
        ["status", optMap([["ping", opt(k.statusPing)]])],
      ]),
    ],
  ]);
}

/**
 * AWS Secrets Manager: kes-minio.md §1.2. Without `credentials` the block is omitted and
 * KES uses the AWS SDK default chain (environment, shared file, instance metadata).
 */
function awsKeystore(k: AwsKeystore, secrets: SecretSink): YamlMap {
  const c = k.credentials;
  const credentials = c
    ? ymap([
        [
          "accesskey",
          secrets.ref(KES_SECRET_ENV.awsAccessKey, c.accessKey, "keystore.credentials.accessKey"),
        ],
        [
          "secretkey",
          secrets.ref(KES_SECRET_ENV.awsSecretKey, c.secretKey, "keystore.credentials.secretKey"),
        ],
        [
          "token",
          opt(c.sessionToken) === undefined
            ? undefined
            : secrets.ref(
                KES_SECRET_ENV.awsSessionToken,
                c.sessionToken,
                "keystore.credentials.sessionToken",
              ),
        ],
      ])
    : undefined;
  return ymap([
    [
      "aws",
      ymap([
        [
          "secretsmanager",
          ymap([
            ["endpoint", required(k.endpoint, "keystore.endpoint")],
            ["region", required(k.region, "keystore.region")],
            ["kmskey", opt(k.kmsKey)],
            ["credentials", credentials],
          ]),
        ],
      ]),
    ],
  ]);
}

/**
 * GCP Secret Manager: kes-minio.md §1.2. Without `credentials` the block is omitted and
 * the GCP SDK finds credentials in the environment (when KES runs inside GCP).
 *
 * The private key is PEM text with newlines, which an env file cannot hold (see
 * `envfile.ts`). KES replaces the two characters `\n` in `private_key` with a newline
 * before handing the key to the GCP SDK (`minio/kes internal/keystore/gcp/config.go`
 * `Credentials.MarshalJSON`), so the env value carries the key with each line break
 * written as `\n` — the same form as in a GCP JSON key file.
 *
 * Caution [inferred from `internal/keystore/gcp/secret-manager.go`]: KES's startup status
 * check does an HTTP GET on `endpoint` as a URL, while the SDK wants `host:port`; setting
 * `endpoint` at all is therefore likely to break startup. Leave it unset unless tested.
 */
function gcpKeystore(k: GcpKeystore, secrets: SecretSink): YamlMap {
  const c = k.credentials;
  const credentials = c
    ? ymap([
        [
          "client_email",
          secrets.ref(KES_SECRET_ENV.gcpClientEmail, c.clientEmail, "keystore.credentials.clientEmail"),
        ],
        ["client_id", secrets.ref(KES_SECRET_ENV.gcpClientId, c.clientId, "keystore.credentials.clientId")],
        [
          "private_key_id",
          secrets.ref(KES_SECRET_ENV.gcpPrivateKeyId, c.privateKeyId, "keystore.credentials.privateKeyId"),
        ],
        [
          "private_key",
          secrets.ref(
            KES_SECRET_ENV.gcpPrivateKey,
            c.privateKey?.replace(/\r?\n/g, "\\n"),
            "keystore.credentials.privateKey",
          ),
        ],
      ])
    : undefined;
  const scopes = k.scopes && k.scopes.length > 0 ? k.scopes : undefined;
  return ymap([
    [
      "gcp",
      ymap([
        [
          "secretmanager",
          ymap([
            ["project_id", required(k.projectId, "keystore.projectId")],
            ["endpoint", opt(k.endpoint)],
            ["scopes", scopes],
            ["credentials", credentials],
          ]),
        ],
      ]),
    ],
  ]);
}

/** Azure Key Vault: kes-minio.md §1.2. Exactly one of client credentials and managed identity. */
function azureKeystore(k: AzureKeystore, secrets: SecretSink): YamlMap {
  if (k.credentials && k.managedIdentity) {
    throw new Error(
      "KES config: keystore.credentials and keystore.managedIdentity are mutually exclusive (Azure)",
    );
  }
  let auth: readonly [string, YamlMap];
  if (k.credentials) {
    const c = k.credentials;
    auth = [
      "credentials",
      ymap([
        ["tenant_id", secrets.ref(KES_SECRET_ENV.azureTenantId, c.tenantId, "keystore.credentials.tenantId")],
        ["client_id", secrets.ref(KES_SECRET_ENV.azureClientId, c.clientId, "keystore.credentials.clientId")],
        [
          "client_secret",
          secrets.ref(KES_SECRET_ENV.azureClientSecret, c.clientSecret, "keystore.credentials.clientSecret"),
        ],
      ]),
    ];
  } else if (k.managedIdentity) {
    auth = [
      "managed_identity",
      ymap([
        [
          "client_id",
          secrets.ref(
            KES_SECRET_ENV.azureManagedIdentityClientId,
            k.managedIdentity.clientId,
            "keystore.managedIdentity.clientId",
          ),
        ],
      ]),
    ];
  } else {
    throw new Error("KES config: Azure keystore needs keystore.credentials or keystore.managedIdentity");
  }
  return ymap([
    ["azure", ymap([["keyvault", ymap([["endpoint", required(k.endpoint, "keystore.endpoint")], auth])]])],
  ]);
}

/** Entrust KeyControl: kes-minio.md §1.2 (everything but `tls.ca` is required). */
function entrustKeystore(k: EntrustKeystore, secrets: SecretSink): YamlMap {
  return ymap([
    [
      "entrust",
      ymap([
        [
          "keycontrol",
          ymap([
            ["endpoint", required(k.endpoint, "keystore.endpoint")],
            ["vault_id", required(k.vaultId, "keystore.vaultId")],
            ["box_id", required(k.boxId, "keystore.boxId")],
            [
              "credentials",
              ymap([
                [
                  "username",
                  secrets.ref(
                    KES_SECRET_ENV.entrustUsername,
                    k.credentials?.username,
                    "keystore.credentials.username",
                  ),
                ],
                [
                  "password",
                  secrets.ref(
                    KES_SECRET_ENV.entrustPassword,
                    k.credentials?.password,
                    "keystore.credentials.password",
                  ),
                ],
              ]),
            ],
            ["tls", optMap([["ca", opt(k.tls?.caFile)]])],
          ]),
        ],
      ]),
    ],
  ]);
}

/** Fortanix SDKMS: kes-minio.md §1.2 (`endpoint` and `credentials.key` required). */
function fortanixKeystore(k: FortanixKeystore, secrets: SecretSink): YamlMap {
  return ymap([
    [
      "fortanix",
      ymap([
        [
          "sdkms",
          ymap([
            ["endpoint", required(k.endpoint, "keystore.endpoint")],
            ["group_id", opt(k.groupId)],
            [
              "credentials",
              ymap([
                [
                  "key",
                  secrets.ref(KES_SECRET_ENV.fortanixApiKey, k.credentials?.key, "keystore.credentials.key"),
                ],
              ]),
            ],
            ["tls", optMap([["ca", opt(k.tls?.caFile)]])],
          ]),
        ],
      ]),
    ],
  ]);
}

/**
 * Thales CipherTrust / Gemalto KeySecure: kes-minio.md §1.2, under `keystore.gemalto.keysecure`.
 * No `credentials.retry` (the upstream sample still shows it; KES ignores it).
 */
function thalesKeystore(k: ThalesKeystore, secrets: SecretSink): YamlMap {
  return ymap([
    [
      "gemalto",
      ymap([
        [
          "keysecure",
          ymap([
            ["endpoint", required(k.endpoint, "keystore.endpoint")],
            [
              "credentials",
              ymap([
                [
                  "token",
                  secrets.ref(KES_SECRET_ENV.thalesToken, k.credentials?.token, "keystore.credentials.token"),
                ],
                ["domain", opt(k.credentials?.domain)],
              ]),
            ],
            ["tls", optMap([["ca", opt(k.tls?.caFile)]])],
          ]),
        ],
      ]),
    ],
  ]);
}

/** The `keystore:` mapping: exactly one backend (kes-minio.md §1.1). */
function keystoreMap(k: Keystore, secrets: SecretSink): YamlMap {
  switch (k.kind) {
    case "fs":
      return fsKeystore(k);
    case "vault":
      return vaultKeystore(k, secrets);
    case "aws":
      return awsKeystore(k, secrets);
    case "gcp":
      return gcpKeystore(k, secrets);
    case "azure":
      return azureKeystore(k, secrets);
    case "entrust":
      return entrustKeystore(k, secrets);
    case "fortanix":
      return fortanixKeystore(k, secrets);
    case "thales":
      return thalesKeystore(k, secrets);
    default: {
      const never: never = k;
      throw new Error(
        `KES config: unknown keystore kind ${JSON.stringify((never as { kind?: unknown }).kind)}`,
      );
    }
  }
}

/**
 * The `policy:` mapping. Throws where KES would refuse the file (kes-minio.md §1.1): a
 * duplicate policy name, an identity bound to two policies, or a policy identity equal
 * to the admin identity.
 */
function policyMap(policies: readonly KesPolicy[], admin: string): YamlMap | undefined {
  if (policies.length === 0) return undefined;
  const owner = new Map<string, string>();
  const names = new Set<string>();
  const entries: Array<readonly [string, YamlValue]> = [];
  for (const p of policies) {
    const name = required(p.name, "policies[].name");
    if (names.has(name)) throw new Error(`KES config: policy ${JSON.stringify(name)} is defined twice`);
    names.add(name);
    for (const id of p.identities) {
      if (id === admin) {
        throw new Error(`KES config: policy ${JSON.stringify(name)}: identity ${id} is the admin identity`);
      }
      const prev = owner.get(id);
      if (prev !== undefined && prev !== name) {
        throw new Error(
          `KES config: identity ${id} is bound to policies ${JSON.stringify(prev)} and ${JSON.stringify(name)}; an identity may have only one policy`,
        );
      }
      owner.set(id, name);
    }
    entries.push([
      name,
      ymap([
        ["allow", [...p.allow]],
        ["deny", p.deny && p.deny.length > 0 ? [...p.deny] : undefined],
        ["identities", [...p.identities]],
      ]),
    ]);
  }
  return ymap(entries);
}

/** First line(s) of every rendered config file. */
const CONFIG_HEADER = [
  "KES server configuration, rendered by pulumi-minio-kes. Do not edit: `pulumi up` rewrites it whenever its content changes in the program.",
  `Secrets are \${VAR} references, resolved from the EnvironmentFile of the KES unit.`,
].join("\n");

/**
 * Render the KES server config file for `input`.
 *
 * Layout (keys in this order; kes-minio.md §1.1): `version: v1`, `address` (default
 * `0.0.0.0:7373`), `admin.identity` (default `disabled`), `tls.{key,cert,ca,auth}` (auth
 * default `off`: MinIO's API-key client certificate is self-signed, §2 and §6 pitfall 3),
 * `api` (`/v1/ready` with `skip_auth`, §6 pitfall 13), `policy` (omitted when empty),
 * `cache.expiry.{any,unused,offline}` (always all three, §6 pitfall 9), `log.{error,audit}`,
 * `keystore.<backend>` (§1.2). There is never a `keys:` section (§6 pitfall 4) nor `root:`
 * (§6 pitfall 12).
 *
 * Secret fields become whole-value `${NAME}` references; their values are returned in
 * {@link RenderedKesConfig.secretEnv} (names in {@link KES_SECRET_ENV}).
 *
 * Input validation is the job of the validation module; this function only throws, with
 * the field named, where the file would otherwise be invalid or contain an empty
 * required value (for example Vault with both or neither of AppRole and Kubernetes).
 */
export function renderKesConfig(input: KesConfigInput): RenderedKesConfig {
  const secrets = new SecretSink();
  const admin = input.adminIdentity === undefined ? KES_ADMIN_DISABLED : input.adminIdentity;
  required(admin, "adminIdentity");
  const auth = input.tls.auth ?? "off";
  if (auth !== "off" && auth !== "on") {
    throw new Error(`KES config: tls.auth must be "on" or "off", got ${JSON.stringify(auth)}`);
  }
  const keystore = keystoreMap(input.keystore, secrets);

  const root = ymap([
    ["version", "v1"],
    ["address", opt(input.address) ?? KES_DEFAULT_ADDRESS],
    ["admin", ymap([["identity", admin]])],
    [
      "tls",
      ymap([
        ["key", required(input.tls.keyFile, "tls.keyFile")],
        ["cert", required(input.tls.certFile, "tls.certFile")],
        ["ca", opt(input.tls.caFile)],
        ["auth", auth],
      ]),
    ],
    [
      "api",
      ymap([
        [
          KES_READY_PATH,
          ymap([
            ["skip_auth", true],
            ["timeout", KES_READY_TIMEOUT],
          ]),
        ],
      ]),
    ],
    ["policy", policyMap(input.policies, admin)],
    [
      "cache",
      ymap([
        [
          "expiry",
          ymap([
            ["any", opt(input.cache?.any) ?? KES_DEFAULT_CACHE.any],
            ["unused", opt(input.cache?.unused) ?? KES_DEFAULT_CACHE.unused],
            ["offline", opt(input.cache?.offline) ?? KES_DEFAULT_CACHE.offline],
          ]),
        ],
      ]),
    ],
    [
      "log",
      ymap([
        ["error", opt(input.log?.error) ?? KES_DEFAULT_LOG.error],
        ["audit", opt(input.log?.audit) ?? KES_DEFAULT_LOG.audit],
      ]),
    ],
    ["keystore", keystore],
  ]);

  return { yaml: renderYaml(root, { header: CONFIG_HEADER }), secretEnv: { ...secrets.env } };
}

/**
 * The keystore secrets of a KES config alone ({@link RenderedKesConfig.secretEnv} of any config
 * with this keystore): they depend on the keystore only, not on policies or identities, so the
 * secrets file does not change, and its revision stays known in a preview, when MinIO's identity
 * does.
 */
export function kesKeystoreSecretEnv(keystore: KesConfigInput["keystore"]): Record<string, string> {
  const secrets = new SecretSink();
  keystoreMap(keystore, secrets);
  return { ...secrets.env };
}

/** Header comment of the secret env file. */
const SECRET_ENV_HEADER = [
  "KES keystore secrets, rendered by pulumi-minio-kes. Do not edit: `pulumi up` rewrites it whenever its content changes in the program.",
  `Referenced as \${NAME} from the KES config file; loaded by systemd EnvironmentFile=.`,
  "Install as root:root, mode 0600.",
].join("\n");

/**
 * Render {@link RenderedKesConfig.secretEnv} as a systemd `EnvironmentFile=` file (also
 * readable by `bash`), with a header comment and the variables sorted by name so the text
 * is deterministic. An empty map gives a file with only the header, so the KES unit can
 * always reference the file. Uses `renderEnvFile` from `envfile.ts` (which throws on a
 * value containing a newline or NUL, and on an invalid variable name).
 *
 * The file must be installed mode 0600, owned by root: it holds the only copy of the
 * keystore credentials on the host (the config file holds `${NAME}` references only).
 */
export function renderKesSecretEnvFile(secretEnv: Record<string, string>): string {
  const names = Object.keys(secretEnv).sort();
  return renderEnvFile(
    names.map((n) => [n, secretEnv[n]!] as const),
    SECRET_ENV_HEADER,
  );
}

/** Arguments of {@link minioKesPolicy}. */
export interface MinioKesPolicyArgs {
  /** Policy name. Default `minio`. */
  name?: string;
  /**
   * Key names MinIO may use: exact names (e.g. the `MINIO_KMS_KES_KEY_NAME` default key
   * and bucket keys) or prefix patterns ending in `*` (e.g. `minio-*`), matched by KES as
   * URL-path prefixes (kes-minio.md §1.1 "Policy matching"). Key names must then start
   * with that prefix (§6 pitfall 10). At most one `*`, and only at the end.
   */
  keyNames: string[];
  /** Identities (hex SHA-256 of the public key, §2) of the MinIO client credentials. */
  identities: string[];
}

/**
 * The least-privilege KES policy for MinIO (kes-minio.md §3).
 *
 * Allow, in this order:
 * - for each key name or pattern K (in input order, duplicates dropped):
 *   `/v1/key/create/K` (MinIO creates its default key at startup when generate reports
 *   "not found"; `mc admin kms key create`), `/v1/key/generate/K` (every encrypted write,
 *   IAM/config encryption, readiness probe), `/v1/key/decrypt/K` (every encrypted read),
 *   `/v1/key/describe/K` (MinIO's keep-alive on the default key every 10 s);
 * - `/v1/key/list/*`: `mc admin kms key list` sends the pattern `*`, so a narrower prefix
 *   (`/v1/key/list/minio-*`) would never match the request path. Listing reveals key names
 *   only, never key material, so the broad pattern is an acceptable exposure;
 * - `/v1/status`, `/v1/metrics`, `/v1/api` (`mc admin kms` status/metrics/APIs).
 *
 * Never `/v1/key/delete/*` or `/v1/key/import/*`; no obsolete `/v1/key/bulk/decrypt`
 * (removed in KES 2023-10-24, §1.3). Deny `/v1/key/delete/*` explicitly as defence in depth:
 * in KES a matching deny pattern wins over any allow pattern (§1.1).
 */
export function minioKesPolicy(a: MinioKesPolicyArgs): KesPolicy {
  const name = a.name ?? "minio";
  required(name, "name");
  if (a.keyNames.length === 0) throw new Error("minioKesPolicy: keyNames must not be empty");
  const keys: string[] = [];
  for (const k of a.keyNames) {
    required(k, "keyNames[]");
    const star = k.indexOf("*");
    if (star !== -1 && star !== k.length - 1) {
      // KES patterns allow one '*', as the last character (kms-go kes/policy.go).
      throw new Error(`minioKesPolicy: key pattern ${JSON.stringify(k)} may only end in "*"`);
    }
    if (k.includes("/")) throw new Error(`minioKesPolicy: key name ${JSON.stringify(k)} contains "/"`);
    if (!keys.includes(k)) keys.push(k);
  }
  const allow: string[] = [];
  for (const k of keys) {
    allow.push(
      `/v1/key/create/${k}`,
      `/v1/key/generate/${k}`,
      `/v1/key/decrypt/${k}`,
      `/v1/key/describe/${k}`,
    );
  }
  allow.push("/v1/key/list/*", "/v1/status", "/v1/metrics", "/v1/api");
  return { name, allow, deny: ["/v1/key/delete/*"], identities: [...a.identities] };
}
