/** The AWS IAM policy KES needs, rendered from plain values (no Pulumi). */

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
