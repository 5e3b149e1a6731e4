import { describe, expect, it } from "vitest";
import { awsKesPolicyDocument } from "../../lib/core/awsIam";
import { expectGolden } from "../helpers/golden";

type Statement = { Sid: string; Action: string[]; Resource: string | string[] };

const doc = (kmsKeyArn?: string) =>
  awsKesPolicyDocument({
    partition: "aws",
    account: "123456789012",
    region: "eu-central-1",
    secretNames: ["minio-default", "minio-*"],
    kmsKeyArn,
  }) as { Statement: Statement[] };

describe("the IAM policy KES gets for AWS Secrets Manager + KMS", () => {
  it("matches its golden file", () => {
    const arn = "arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    expectGolden("aws/kes-iam-policy.json", `${JSON.stringify(doc(arn), null, 2)}\n`);
  });

  it("scopes secrets by name (Secrets Manager's 6-character suffix) or by prefix, and never allows DeleteSecret", () => {
    const [secrets] = doc().Statement;
    expect(secrets!.Resource).toEqual([
      "arn:aws:secretsmanager:eu-central-1:123456789012:secret:minio-default-??????",
      "arn:aws:secretsmanager:eu-central-1:123456789012:secret:minio-*",
    ]);
    const actions = doc("arn:x").Statement.flatMap((s) => s.Action);
    expect(actions).not.toContain("secretsmanager:DeleteSecret");
  });

  it("grants the KMS key only when there is one", () => {
    expect(doc().Statement.map((s) => s.Sid)).toEqual(["KesSecrets", "KesListSecrets"]);
    expect(doc("arn:k").Statement.at(-1)).toMatchObject({ Sid: "KesKmsKey", Resource: "arn:k" });
  });
});
