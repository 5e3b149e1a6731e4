import * as pulumi from "@pulumi/pulumi";
import { KES_DEFAULTS } from "../core/defaults";
import type { Rule } from "../core/rules";
import * as rules from "../core/rules";
import { TYPE_TOKENS } from "../core/tokens";
import type { Keystore, KeystoreKind } from "../core/types";
import {
  checkAbsolutePath,
  checkDuration,
  checkEndpointUrl,
  checkKeyPattern,
  checkNotSystemDirectory,
  checkRule,
  Issues,
  known,
} from "../core/validate";
import type { AwsKmsArgs, KmsTargetArgs } from "./args";
import { checked, throwIfInvalid } from "./internal";

/** A file the keystore needs on every KES host (a CA or client certificate for the KMS). */
export interface KeystoreFile {
  /** Absolute path on the KES host. */
  path: string;
  /** File content. */
  content: pulumi.Output<string>;
  /** Whether the content is secret (written 0600, never logged). */
  secret: boolean;
}

const BACKENDS = ["filesystem", "vault", "aws", "gcp", "azure", "entrust", "fortanix", "thales"] as const;
const KES_DIR = "/etc/kes";

/** Validate {@link KmsTargetArgs}; exported for the bad-input table tests. */
export function validateKmsTargetArgs(args: KmsTargetArgs): Issues {
  const issues = new Issues();
  const given = BACKENDS.filter((b) => args?.[b] !== undefined);
  if (given.length !== 1) {
    issues.add(
      "kmsTarget",
      `give exactly one keystore (${BACKENDS.join(", ")}); got ${given.length === 0 ? "none" : given.join(" and ")}.`,
    );
    return issues;
  }
  const fs = args.filesystem;
  if (fs && fs.acknowledgeDevelopmentOnly !== true) {
    issues.add(
      "filesystem.acknowledgeDevelopmentOnly",
      "the filesystem keystore keeps keys unencrypted on the KES host and loses them with it; set acknowledgeDevelopmentOnly: true for development, or use vault, aws, gcp or azure.",
    );
  }
  if (fs?.path !== undefined)
    checkAbsolutePath(issues, "filesystem.path", fs.path, "keystore directory", KES_DEFAULTS.keystoreDir);
  checkNotSystemDirectory(
    issues,
    "filesystem.path",
    fs?.path,
    "keystore directory",
    KES_DEFAULTS.keystoreDir,
  );
  const v = args.vault;
  if (v) {
    checkEndpointUrl(issues, "vault.endpoint", v.endpoint, { allowHttp: args.allowInsecureHttp === true });
    if ((v.approle ? 1 : 0) + (v.kubernetes ? 1 : 0) !== 1) {
      issues.add(
        "vault",
        "give exactly one Vault auth method: approle { roleId, secretId } or kubernetes { role, jwt }.",
      );
    }
    if (v.version !== undefined && v.version !== "v1" && v.version !== "v2") {
      issues.add(
        "vault.version",
        `version ${JSON.stringify(v.version)} is not a KV engine version; set it to "v1" or "v2".`,
      );
    }
    if (v.transit && (typeof v.transit.key !== "string" || v.transit.key === "")) {
      issues.add("vault.transit.key", 'set transit.key to the name of the transit key, e.g. { key: "kes" }.');
    }
    if (v.kubernetes && (typeof v.kubernetes.role !== "string" || v.kubernetes.role === "")) {
      issues.add("vault.kubernetes.role", "set kubernetes.role to the Vault role KES logs in with.");
    }
    if (v.kubernetes && (v.kubernetes.jwt === undefined) === (v.kubernetes.jwtFile === undefined)) {
      issues.add(
        "vault.kubernetes",
        "give exactly one of jwt (the token itself, from a secret) and jwtFile (the token's path on the KES hosts).",
      );
    }
    if (v.kubernetes?.jwt !== undefined)
      checkRule(issues, "vault.kubernetes.jwt", v.kubernetes.jwt, rules.jwt);
    if (v.kubernetes?.jwtFile !== undefined)
      checkAbsolutePath(
        issues,
        "vault.kubernetes.jwtFile",
        v.kubernetes.jwtFile,
        "jwtFile",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
      );
    if (v.approle) {
      checkRule(issues, "vault.approle.roleId", v.approle.roleId, rules.requiredLine);
      checkRule(issues, "vault.approle.secretId", v.approle.secretId, rules.requiredLine);
    }
    if (v.prefix !== undefined && (v.prefix.startsWith("/") || v.prefix.endsWith("/"))) {
      issues.add(
        "vault.prefix",
        `prefix ${JSON.stringify(v.prefix)} starts or ends with '/'; remove the leading or trailing '/'.`,
      );
    }
    checkDuration(issues, "vault.statusPing", v.statusPing);
  }
  const a = args.aws;
  if (a) {
    if (typeof a.region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(a.region)) {
      issues.add(
        "aws.region",
        `${JSON.stringify(a.region)} is not an AWS region; write it like "eu-central-1".`,
      );
    }
    const modes = [
      a.credentials !== undefined,
      a.useInstanceRole === true,
      a.createCredentials === true,
    ].filter(Boolean);
    if (modes.length > 1) {
      issues.add(
        "aws",
        "choose one way for KES to get AWS credentials: credentials, useInstanceRole or createCredentials.",
      );
    }
    if (createsAwsCredentials(a)) {
      if (!a.secretNames || a.secretNames.length === 0) {
        issues.add(
          "aws.secretNames",
          'generated credentials are scoped to KES\'s secrets: list the key names (or prefixes like "minio-*") KES stores, usually the same as KesServer.minioKeyNames.',
        );
      } else {
        a.secretNames.forEach((n, i) => {
          checkKeyPattern(issues, `aws.secretNames[${i}]`, n);
        });
      }
    }
    const keyId = known(a.kmsKeyId as string | undefined);
    if (typeof keyId === "string" && createsAwsCredentials(a) && !keyId.startsWith("arn:")) {
      issues.add(
        "aws.kmsKeyId",
        "give the key's ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): the generated IAM policy is scoped to it.",
      );
    }
    if (a.kmsKeyId !== undefined && a.createKey === true) {
      issues.add(
        "aws.createKey",
        "createKey and kmsKeyId exclude each other: either create a key or name an existing one.",
      );
    }
  }
  const g = args.gcp;
  if (g && (typeof g.projectId !== "string" || g.projectId === "")) {
    issues.add("gcp.projectId", "set projectId to the GCP project that holds the secrets.");
  }
  const z = args.azure;
  if (z) {
    checkEndpointUrl(issues, "azure.endpoint", z.endpoint);
    if ((z.credentials ? 1 : 0) + (z.managedIdentityClientId !== undefined ? 1 : 0) !== 1) {
      issues.add(
        "azure",
        "give exactly one of credentials { tenantId, clientId, clientSecret } and managedIdentityClientId.",
      );
    }
  }
  const e = args.entrust;
  if (e) {
    checkEndpointUrl(issues, "entrust.endpoint", e.endpoint, { allowHttp: args.allowInsecureHttp === true });
    if (!e.vaultId) issues.add("entrust.vaultId", "set vaultId to the KeyControl vault id.");
    if (!e.boxId) issues.add("entrust.boxId", "set boxId to the KeyControl box id.");
  }
  if (args.fortanix)
    checkEndpointUrl(issues, "fortanix.endpoint", args.fortanix.endpoint, {
      allowHttp: args.allowInsecureHttp === true,
    });
  if (args.thales)
    checkEndpointUrl(issues, "thales.endpoint", args.thales.endpoint, {
      allowHttp: args.allowInsecureHttp === true,
    });
  if (args.allowInsecureHttp === true && !args.vault && !args.entrust && !args.fortanix && !args.thales) {
    issues.add(
      "allowInsecureHttp",
      "allowInsecureHttp only applies to vault, entrust, fortanix and thales endpoints; remove it.",
    );
  }
  for (const [f, v] of credentialInputs(args)) {
    if (v !== undefined)
      checkRule(issues, f, v, f.endsWith("caCertPem") ? rules.certificatePem : rules.requiredLine);
  }
  return issues;
}

/** Every credential or CA a keystore takes as an Input, with its field: checked now or once known. */
function credentialInputs(args: KmsTargetArgs): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const add = (f: string, v: unknown) => out.push([f, v]);
  const a = args.aws?.credentials;
  if (a) {
    add("aws.credentials.accessKey", a.accessKey);
    add("aws.credentials.secretKey", a.secretKey);
    if (a.sessionToken !== undefined) add("aws.credentials.sessionToken", a.sessionToken);
  }
  const g = args.gcp?.credentials;
  if (g) {
    add("gcp.credentials.clientEmail", g.clientEmail);
    add("gcp.credentials.clientId", g.clientId);
    add("gcp.credentials.privateKeyId", g.privateKeyId);
  }
  const z = args.azure?.credentials;
  if (z) {
    add("azure.credentials.tenantId", z.tenantId);
    add("azure.credentials.clientId", z.clientId);
    add("azure.credentials.clientSecret", z.clientSecret);
  }
  if (args.entrust) {
    add("entrust.username", args.entrust.username);
    add("entrust.password", args.entrust.password);
  }
  if (args.fortanix) add("fortanix.apiKey", args.fortanix.apiKey);
  if (args.thales) add("thales.token", args.thales.token);
  for (const b of ["vault", "entrust", "fortanix", "thales"] as const) {
    const ca = args[b]?.caCertPem;
    if (ca !== undefined) add(`${b}.caCertPem`, ca);
  }
  return out;
}

function createsAwsCredentials(a: AwsKmsArgs): boolean {
  return (
    a.createCredentials === true ||
    (a.credentials === undefined && a.useInstanceRole !== true && a.createCredentials !== false)
  );
}

/**
 * The external KMS that KES stores its keys in: Vault/OpenBao, AWS Secrets Manager + KMS, GCP,
 * Azure, Entrust, Fortanix, Thales, or the filesystem for development. For AWS it can create the
 * KMS key (with an alias) and least-privilege credentials for KES with `@pulumi/aws`.
 *
 * It runs nothing on hosts; {@link KesServer} renders its settings into each replica's config.
 */
export class KmsTarget extends pulumi.ComponentResource {
  /** Which backend: `fs`, `vault`, `aws`, `gcp`, `azure`, `entrust`, `fortanix` or `thales`. */
  readonly kind: KeystoreKind;
  /** The resolved keystore settings (secret, since they carry credentials). */
  readonly keystore: pulumi.Output<Keystore>;
  /** Files the keystore needs on each KES host. */
  readonly files: KeystoreFile[];
  /** The filesystem keystore's directory on each KES host (filesystem keystore only). */
  readonly fsPath?: string;
  /** True for the filesystem keystore, which is for development only. */
  readonly developmentOnly: boolean;
  /** For AWS: the KMS key in use: the created key's ARN, or `AwsKmsArgs.kmsKeyId` as given. */
  readonly awsKmsKeyArn?: pulumi.Output<string>;
  /** For AWS with generated credentials: the IAM user KES uses. */
  readonly awsIamUserName?: pulumi.Output<string>;

  constructor(name: string, args: KmsTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE_TOKENS.kmsTarget, name, {}, opts);
    const issues = validateKmsTargetArgs(args);
    checkRule(issues, "name", name, rules.componentName);
    throwIfInvalid(issues, `KmsTarget ${name}`, this);
    // Inputs that arrive as Outputs are checked with the validator's rules once they resolve.
    const chk = <T>(field: string, v: pulumi.Input<T>, rule: Rule = rules.requiredLine): pulumi.Output<T> =>
      checked(this, `KmsTarget ${name}`, field, v, rule);
    const chkOpt = <T>(field: string, v: pulumi.Input<T> | undefined, rule: Rule = rules.requiredLine) =>
      v === undefined ? undefined : chk(field, v, rule);
    const files: KeystoreFile[] = [];
    const file = (
      field: string,
      base: string,
      content: pulumi.Input<string> | undefined,
      secret = false,
    ): string | undefined => {
      if (content === undefined) return undefined;
      const path = `${KES_DIR}/${base}`;
      const c = chk(field, content, secret ? rules.privateKeyPem : rules.certificatePem);
      files.push({ path, content: secret ? pulumi.secret(c) : c, secret });
      return path;
    };

    let keystore: pulumi.Output<Keystore>;
    if (args.filesystem) {
      this.kind = "fs";
      this.fsPath = args.filesystem.path ?? KES_DEFAULTS.keystoreDir;
      keystore = pulumi.output({ kind: "fs", path: this.fsPath } as Keystore);
    } else if (args.vault) {
      const v = args.vault;
      this.kind = "vault";
      const caFile = file("vault.caCertPem", "vault-ca.crt", v.caCertPem);
      const certFile = file(
        "vault.clientCertificate.certPem",
        "vault-client.crt",
        v.clientCertificate?.certPem,
      );
      const keyFile = file(
        "vault.clientCertificate.keyPem",
        "vault-client.key",
        v.clientCertificate?.keyPem,
        true,
      );
      keystore = pulumi
        .all([
          chkOpt("vault.approle.roleId", v.approle?.roleId),
          chkOpt("vault.approle.secretId", v.approle?.secretId),
          chkOpt("vault.kubernetes.jwt", v.kubernetes?.jwt, rules.jwt),
        ])
        .apply(([roleId, secretId, jwt]) => {
          const k: Keystore = {
            kind: "vault",
            endpoint: v.endpoint,
            engine: v.engine,
            version: v.version,
            namespace: v.namespace,
            prefix: v.prefix,
            transit: v.transit ? { key: v.transit.key, engine: v.transit.engine } : undefined,
            approle: v.approle
              ? { id: roleId!, secret: secretId!, engine: v.approle.engine, namespace: v.approle.namespace }
              : undefined,
            kubernetes: v.kubernetes
              ? {
                  role: v.kubernetes.role,
                  jwt,
                  jwtFile: v.kubernetes.jwtFile,
                  engine: v.kubernetes.engine,
                  namespace: v.kubernetes.namespace,
                }
              : undefined,
            tls: caFile || certFile ? { caFile, certFile, keyFile } : undefined,
            statusPing: v.statusPing,
          };
          return k;
        });
    } else if (args.aws) {
      this.kind = "aws";
      const aws = this.setUpAws(name, args.aws);
      keystore = aws.keystore;
      this.awsKmsKeyArn = aws.keyArn;
      this.awsIamUserName = aws.userName;
    } else if (args.gcp) {
      const g = args.gcp;
      this.kind = "gcp";
      const c = g.credentials;
      keystore = pulumi
        .all([
          chkOpt("gcp.credentials.clientEmail", c?.clientEmail),
          chkOpt("gcp.credentials.clientId", c?.clientId),
          chkOpt("gcp.credentials.privateKeyId", c?.privateKeyId),
          chkOpt("gcp.credentials.privateKey", c?.privateKey, rules.privateKeyPem),
        ])
        .apply(([email, id, kid, key]) => ({
          kind: "gcp" as const,
          projectId: g.projectId,
          endpoint: g.endpoint,
          scopes: g.scopes,
          credentials: c
            ? { clientEmail: email!, clientId: id!, privateKeyId: kid!, privateKey: key! }
            : undefined,
        }));
    } else if (args.azure) {
      const z = args.azure;
      this.kind = "azure";
      const c = z.credentials;
      keystore = pulumi
        .all([
          chkOpt("azure.credentials.tenantId", c?.tenantId),
          chkOpt("azure.credentials.clientId", c?.clientId),
          chkOpt("azure.credentials.clientSecret", c?.clientSecret),
          chkOpt("azure.managedIdentityClientId", z.managedIdentityClientId),
        ])
        .apply(([t, id, s, mi]) => ({
          kind: "azure" as const,
          endpoint: z.endpoint,
          credentials: c ? { tenantId: t!, clientId: id!, clientSecret: s! } : undefined,
          managedIdentity: mi !== undefined ? { clientId: mi } : undefined,
        }));
    } else if (args.entrust) {
      const e = args.entrust;
      this.kind = "entrust";
      const caFile = file("entrust.caCertPem", "entrust-ca.crt", e.caCertPem);
      keystore = pulumi
        .all([chk("entrust.username", e.username), chk("entrust.password", e.password)])
        .apply(([u, p]) => ({
          kind: "entrust" as const,
          endpoint: e.endpoint,
          vaultId: e.vaultId,
          boxId: e.boxId,
          credentials: { username: u, password: p },
          tls: caFile ? { caFile } : undefined,
        }));
    } else if (args.fortanix) {
      const f = args.fortanix;
      this.kind = "fortanix";
      const caFile = file("fortanix.caCertPem", "fortanix-ca.crt", f.caCertPem);
      keystore = chk("fortanix.apiKey", f.apiKey).apply((key) => ({
        kind: "fortanix" as const,
        endpoint: f.endpoint,
        groupId: f.groupId,
        credentials: { key },
        tls: caFile ? { caFile } : undefined,
      }));
    } else {
      const t = args.thales!;
      this.kind = "thales";
      const caFile = file("thales.caCertPem", "thales-ca.crt", t.caCertPem);
      keystore = chk("thales.token", t.token).apply((token) => ({
        kind: "thales" as const,
        endpoint: t.endpoint,
        credentials: { token, domain: t.domain },
        tls: caFile ? { caFile } : undefined,
      }));
    }
    this.keystore = pulumi.secret(keystore);
    this.developmentOnly = this.kind === "fs";
    this.files = files;
    this.registerOutputs({
      kind: this.kind,
      developmentOnly: this.developmentOnly,
      fsPath: this.fsPath,
      awsKmsKeyArn: this.awsKmsKeyArn,
      awsIamUserName: this.awsIamUserName,
    });
  }

  /** AWS: the KMS key (+ alias) and least-privilege credentials, with `@pulumi/aws` (loaded lazily: optional peer). */
  private setUpAws(
    name: string,
    a: AwsKmsArgs,
  ): { keystore: pulumi.Output<Keystore>; keyArn?: pulumi.Output<string>; userName?: pulumi.Output<string> } {
    // biome-ignore lint/suspicious/noExplicitAny: optional peer dependency, loaded only for the AWS target
    let aws: any;
    try {
      aws = require("@pulumi/aws");
    } catch {
      throw new pulumi.ResourceError(
        `KmsTarget ${name}: the aws target needs the optional peer dependency @pulumi/aws 7: run \`npm install @pulumi/aws@7\`.`,
        this,
      );
    }
    const endpoint = a.endpoint ?? `secretsmanager.${a.region}.amazonaws.com`;
    let keyArn: pulumi.Output<string> | undefined;
    if (a.kmsKeyId !== undefined) {
      keyArn = pulumi.output(a.kmsKeyId);
    } else if (a.createKey !== false) {
      const key = new aws.kms.Key(
        `${name}-key`,
        {
          description: `KES keystore key for ${name} (pulumi-minio-kes)`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
        },
        // Deleting this key would make every KES key it wraps unreadable, and MinIO's data with
        // them: the key outlives `pulumi destroy` (delete it in AWS yourself, deliberately).
        { parent: this, retainOnDelete: true },
      );
      // The stack in the alias: several stacks of one program share an account and region.
      new aws.kms.Alias(
        `${name}-alias`,
        {
          name: `alias/pulumi-minio-kes/${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
          targetKeyId: key.keyId,
        },
        { parent: this },
      );
      keyArn = key.arn;
    }
    let creds: pulumi.Output<{ accessKey: string; secretKey: string; sessionToken?: string } | undefined> =
      pulumi.output(undefined);
    let userName: pulumi.Output<string> | undefined;
    if (a.credentials) {
      const c = a.credentials;
      const chk = (f: string, v: pulumi.Input<string> | undefined) =>
        v === undefined ? undefined : checked(this, `KmsTarget ${name}`, f, v, rules.requiredLine);
      creds = pulumi
        .all([
          chk("aws.credentials.accessKey", c.accessKey),
          chk("aws.credentials.secretKey", c.secretKey),
          chk("aws.credentials.sessionToken", c.sessionToken),
        ])
        .apply(([ak, sk, st]) => ({
          accessKey: ak!,
          secretKey: sk!,
          sessionToken: st,
        }));
    } else if (createsAwsCredentials(a)) {
      const identity = aws.getCallerIdentityOutput({}, { parent: this });
      const partition = aws.getPartitionOutput({}, { parent: this });
      const user = new aws.iam.User(`${name}-kes`, { path: "/pulumi-minio-kes/" }, { parent: this });
      const policy = pulumi
        .all([identity.accountId, partition.partition, keyArn ?? pulumi.output("")])
        .apply(([account, part, arn]: [string, string, string]) =>
          JSON.stringify(
            awsKesPolicyDocument({
              partition: part,
              account,
              region: a.region,
              secretNames: a.secretNames ?? [],
              kmsKeyArn: arn,
            }),
          ),
        );
      new aws.iam.UserPolicy(`${name}-kes-policy`, { user: user.name, policy }, { parent: this });
      const accessKey = new aws.iam.AccessKey(`${name}-kes-key`, { user: user.name }, { parent: this });
      creds = pulumi.all([accessKey.id, accessKey.secret]).apply(([id, secret]: [string, string]) => ({
        accessKey: id,
        secretKey: secret,
      }));
      userName = user.name;
    }
    const keystore = pulumi.all([keyArn ?? pulumi.output(undefined), creds]).apply(([arn, c]) => {
      const k: Keystore = {
        kind: "aws",
        endpoint,
        region: a.region,
        kmsKey: arn || undefined,
        credentials: c,
      };
      return k;
    });
    return { keystore, keyArn, userName };
  }
}

/**
 * The IAM policy KES needs for AWS Secrets Manager + KMS (kes-docs aws-secrets-manager.md,
 * kes-minio.md §1.2), scoped to the secrets named after KES keys. `secretsmanager:DeleteSecret`
 * is left out on purpose: the library never deletes keys (MinIO's data would be lost with them).
 * `ListSecrets` has no resource-level scope in IAM, so it is granted on `*`.
 */
export function awsKesPolicyDocument(a: {
  partition: string;
  account: string;
  region: string;
  secretNames: string[];
  kmsKeyArn?: string;
}): object {
  const secretArns = a.secretNames.map((n) => {
    const base = `arn:${a.partition}:secretsmanager:${a.region}:${a.account}:secret:`;
    // Secrets Manager appends "-" and six random characters to every secret ARN.
    return n.endsWith("*") ? `${base}${n}` : `${base}${n}-??????`;
  });
  const statements: object[] = [
    {
      Sid: "KesSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue"],
      Resource: secretArns,
    },
    { Sid: "KesListSecrets", Effect: "Allow", Action: ["secretsmanager:ListSecrets"], Resource: "*" },
  ];
  if (a.kmsKeyArn) {
    statements.push({
      Sid: "KesKmsKey",
      Effect: "Allow",
      // Secrets Manager calls GenerateDataKey (on create/put) and Decrypt (on get) with the
      // caller's permissions; DescribeKey lets KES check the key. kes-docs lists kms:Encrypt
      // instead of GenerateDataKey, which Secrets Manager does not use for secrets.
      Action: ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
      Resource: a.kmsKeyArn,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
