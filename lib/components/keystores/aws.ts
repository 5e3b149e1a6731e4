/**
 * @internal AWS Secrets Manager + KMS: optionally the KMS key (with an alias) and least-privilege
 * credentials for KES, with `@pulumi/aws` (an optional peer dependency, loaded only here).
 */
import * as pulumi from "@pulumi/pulumi";
import { awsKesPolicyDocument } from "../../core/awsIam";
import type { Keystore } from "../../core/types";
import { checkKeyPattern, type Issues, known } from "../../core/validate";
import type { AwsKmsArgs } from "../args";
import type { KeystoreBackend, KeystoreContext } from "./backend";

/** Whether the library creates KES's IAM user and access key. */
export function createsAwsCredentials(a: AwsKmsArgs): boolean {
  return (
    a.createCredentials === true ||
    (a.credentials === undefined && a.useInstanceRole !== true && a.createCredentials !== false)
  );
}

function validate(issues: Issues, a: AwsKmsArgs): void {
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

// biome-ignore lint/suspicious/noExplicitAny: optional peer dependency, loaded only for the AWS target
type AwsModule = any;

function loadAws(c: KeystoreContext): AwsModule {
  try {
    return require("@pulumi/aws");
  } catch {
    throw new pulumi.ResourceError(
      `KmsTarget ${c.name}: the aws target needs the optional peer dependency @pulumi/aws 7: run \`npm install @pulumi/aws@7\`.`,
      c.parent,
    );
  }
}

/** The KMS key in use: `kmsKeyId` as given, or a key the library creates (with an alias). */
function kmsKey(c: KeystoreContext, aws: AwsModule, a: AwsKmsArgs): pulumi.Output<string> | undefined {
  if (a.kmsKeyId !== undefined) return pulumi.output(a.kmsKeyId);
  if (a.createKey === false) return undefined;
  const key = new aws.kms.Key(
    `${c.name}-key`,
    {
      description: `KES keystore key for ${c.name} (pulumi-minio-kes)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    },
    // Deleting this key would make every KES key it wraps unreadable, and MinIO's data with
    // them: the key outlives `pulumi destroy` (delete it in AWS yourself, deliberately).
    { parent: c.parent, retainOnDelete: true },
  );
  // The stack in the alias: several stacks of one program share an account and region.
  new aws.kms.Alias(
    `${c.name}-alias`,
    {
      name: `alias/pulumi-minio-kes/${pulumi.getProject()}/${pulumi.getStack()}/${c.name}`,
      targetKeyId: key.keyId,
    },
    { parent: c.parent },
  );
  return key.arn;
}

type AwsCredentials = { accessKey: string; secretKey: string; sessionToken?: string } | undefined;

/** An IAM user for KES with a policy scoped to its secrets and the key, and its access key. */
function createCredentials(
  c: KeystoreContext,
  aws: AwsModule,
  a: AwsKmsArgs,
  keyArn: pulumi.Output<string> | undefined,
): { creds: pulumi.Output<AwsCredentials>; userName: pulumi.Output<string> } {
  const parent = c.parent;
  const identity = aws.getCallerIdentityOutput({}, { parent });
  const partition = aws.getPartitionOutput({}, { parent });
  const user = new aws.iam.User(`${c.name}-kes`, { path: "/pulumi-minio-kes/" }, { parent });
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
  new aws.iam.UserPolicy(`${c.name}-kes-policy`, { user: user.name, policy }, { parent });
  const accessKey = new aws.iam.AccessKey(`${c.name}-kes-key`, { user: user.name }, { parent });
  const creds = pulumi
    .all([accessKey.id, accessKey.secret])
    .apply(([id, secret]: [string, string]) => ({ accessKey: id, secretKey: secret }));
  return { creds, userName: user.name };
}

function resolve(c: KeystoreContext, a: AwsKmsArgs) {
  const aws = loadAws(c);
  const endpoint = a.endpoint ?? `secretsmanager.${a.region}.amazonaws.com`;
  const keyArn = kmsKey(c, aws, a);
  let creds: pulumi.Output<AwsCredentials> = pulumi.output(undefined);
  let userName: pulumi.Output<string> | undefined;
  if (a.credentials) {
    const k = a.credentials;
    creds = pulumi
      .all([
        c.chkOpt("aws.credentials.accessKey", k.accessKey),
        c.chkOpt("aws.credentials.secretKey", k.secretKey),
        c.chkOpt("aws.credentials.sessionToken", k.sessionToken),
      ])
      .apply(([ak, sk, st]) => ({ accessKey: ak!, secretKey: sk!, sessionToken: st }));
  } else if (createsAwsCredentials(a)) {
    ({ creds, userName } = createCredentials(c, aws, a, keyArn));
  }
  const keystore = pulumi.all([keyArn ?? pulumi.output(undefined), creds]).apply(
    ([arn, k]): Keystore => ({
      kind: "aws",
      endpoint,
      region: a.region,
      kmsKey: arn || undefined,
      credentials: k,
    }),
  );
  return { keystore, awsKmsKeyArn: keyArn, awsIamUserName: userName };
}

export const awsBackend: KeystoreBackend<AwsKmsArgs> = {
  kind: "aws",
  validate,
  credentials(a) {
    const k = a.credentials;
    if (!k) return [];
    const out: Array<[string, unknown]> = [
      ["aws.credentials.accessKey", k.accessKey],
      ["aws.credentials.secretKey", k.secretKey],
    ];
    if (k.sessionToken !== undefined) out.push(["aws.credentials.sessionToken", k.sessionToken]);
    return out;
  },
  resolve,
};
