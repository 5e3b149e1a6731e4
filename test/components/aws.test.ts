import { describe, expect, it } from "vitest";
import { deployAws } from "../../examples/aws/deploy";
import { captureGraph, fileWritten, isSecret, resolved } from "../helpers/mockGraph";

const host = (name: string, i: number) => ({
  name,
  address: `203.0.113.${i}`,
  privateKey: "k",
  hostKey: "ssh-ed25519 AAAAC3Nza",
});
const bin = (n: string) => ({ url: `https://mirror.example.net/${n}`, sha256: "c".repeat(64) });
const config = {
  region: "eu-central-1",
  kesHosts: [host("kes1", 1)],
  minioHosts: [host("minio1", 2), host("minio2", 3)],
  drives: ["/data1", "/data2"],
  minioBinary: bin("minio"),
  kesBinary: bin("kes"),
  mcBinary: bin("mc"),
  rootUser: "admin",
  rootPassword: "aws-root-password",
};

describe("AWS KMS target", () => {
  it("creates the KMS key with an alias and a least-privilege IAM user for KES", async () => {
    let out!: ReturnType<typeof deployAws>;
    const g = await captureGraph(() => {
      out = deployAws(config);
    });
    const key = g.byName("aws-kms-key");
    expect(key.type).toBe("aws:kms/key:Key");
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(g.byName("aws-kms-alias").inputs.name).toBe("alias/pulumi-minio-kes/project/stack/aws-kms");
    expect(g.byName("aws-kms-kes").type).toBe("aws:iam/user:User");

    const policy = JSON.parse(String(g.byName("aws-kms-kes-policy").inputs.policy));
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action).sort();
    expect(actions).toEqual(
      [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "secretsmanager:CreateSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecrets",
      ].sort(),
    );
    const secrets = policy.Statement.find((s: { Sid: string }) => s.Sid === "KesSecrets");
    expect(secrets.Resource).toEqual(["arn:aws:secretsmanager:eu-central-1:123456789012:secret:minio-*"]);
    const kmsStmt = policy.Statement.find((s: { Sid: string }) => s.Sid === "KesKmsKey");
    expect(kmsStmt.Resource).toBe("arn:aws:kms:eu-central-1:123456789012:key/aws-kms-key");
    expect(JSON.stringify(policy)).not.toContain("DeleteSecret");

    const yaml = fileWritten(g, "kes-kes1", "/etc/kes/config.yaml").content;
    expect(yaml).toContain('kmskey: "arn:aws:kms:eu-central-1:123456789012:key/aws-kms-key"');
    expect(yaml).toContain('secretkey: "${KES_AWS_SECRET_KEY}"');
    expect(yaml).not.toContain("mock-aws-secret-access-key");
    expect(fileWritten(g, "kes-kes1", "/etc/kes/kes.env").content).toContain(
      "KES_AWS_SECRET_KEY='mock-aws-secret-access-key'",
    );
    expect(await isSecret(out.kms.keystore)).toBe(true);
    expect(await resolved(out.kms.awsKmsKeyArn!)).toBe(
      "arn:aws:kms:eu-central-1:123456789012:key/aws-kms-key",
    );
  });

  it("renders two nodes with two drives each in ellipsis notation", async () => {
    let out!: ReturnType<typeof deployAws>;
    await captureGraph(() => {
      out = deployAws(config);
    });
    expect(await resolved(out.minio.volumes)).toBe("http://203.0.113.{2...3}:9000/data{1...2}");
  });
});
