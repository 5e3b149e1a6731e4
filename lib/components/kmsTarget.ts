import * as pulumi from "@pulumi/pulumi";
import { KES_PATHS } from "../core/defaults";
import * as rules from "../core/rules";
import { TYPE_TOKENS } from "../core/tokens";
import type { Keystore, KeystoreKind } from "../core/types";
import { checkRule } from "../core/validate";
import type { KmsTargetArgs } from "./args";
import { checked, throwIfInvalid } from "./internal";
import type { KeystoreContext, KeystoreFile } from "./keystores";
import { givenBackend, validateKmsTargetArgs } from "./resolve/kmsTarget";

export { awsKesPolicyDocument } from "../core/awsIam";
export type { KeystoreFile } from "./keystores";
export { validateKmsTargetArgs } from "./resolve/kmsTarget";

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
    const component = `KmsTarget ${name}`;
    const issues = validateKmsTargetArgs(args);
    checkRule(issues, "name", name, rules.componentName);
    throwIfInvalid(issues, component, this);
    const { backend, a } = givenBackend(args)!;
    // Inputs that arrive as Outputs are checked with the validator's rules once they resolve.
    const files: KeystoreFile[] = [];
    const chk = <T>(field: string, v: pulumi.Input<T>, rule: rules.Rule = rules.requiredLine) =>
      checked<T>(this, component, field, v, rule);
    const c: KeystoreContext = {
      parent: this,
      name,
      chk,
      chkOpt: (field, v, rule) => (v === undefined ? undefined : chk(field, v, rule)),
      file: (field, base, content, secret = false) => {
        if (content === undefined) return undefined;
        const path = `${KES_PATHS.dir}/${base}`;
        const pem = chk(field, content, secret ? rules.privateKeyPem : rules.certificatePem);
        files.push({ path, content: secret ? pulumi.secret(pem) : pem, secret });
        return path;
      },
    };
    const resolved = backend.resolve(c, a);
    this.kind = backend.kind;
    this.fsPath = resolved.fsPath;
    this.awsKmsKeyArn = resolved.awsKmsKeyArn;
    this.awsIamUserName = resolved.awsIamUserName;
    this.keystore = pulumi.secret(resolved.keystore);
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
}
