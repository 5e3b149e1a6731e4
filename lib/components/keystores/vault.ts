/** @internal HashiCorp Vault or OpenBao with the KV engine (kes-minio.md §1.2). */
import * as pulumi from "@pulumi/pulumi";
import * as rules from "../../core/rules";
import type { Keystore } from "../../core/types";
import {
  checkAbsolutePath,
  checkDuration,
  checkEndpointUrl,
  checkRule,
  type Issues,
} from "../../core/validate";
import type { KmsTargetArgs, VaultKmsArgs } from "../args";
import type { KeystoreBackend } from "./backend";

/** The Kubernetes and AppRole settings (the auth method itself is checked before). */
function checkAuthSettings(issues: Issues, v: VaultKmsArgs): void {
  if (v.kubernetes && (typeof v.kubernetes.role !== "string" || v.kubernetes.role === "")) {
    issues.add("vault.kubernetes.role", "set kubernetes.role to the Vault role KES logs in with.");
  }
  if (v.kubernetes && (v.kubernetes.jwt === undefined) === (v.kubernetes.jwtFile === undefined)) {
    issues.add(
      "vault.kubernetes",
      "give exactly one of jwt (the token itself, from a secret) and jwtFile (the token's path on the KES hosts).",
    );
  }
  if (v.kubernetes?.jwt !== undefined) checkRule(issues, "vault.kubernetes.jwt", v.kubernetes.jwt, rules.jwt);
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
}

function validate(issues: Issues, v: VaultKmsArgs, args: KmsTargetArgs): void {
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
  checkAuthSettings(issues, v);
  if (v.prefix !== undefined && (v.prefix.startsWith("/") || v.prefix.endsWith("/"))) {
    issues.add(
      "vault.prefix",
      `prefix ${JSON.stringify(v.prefix)} starts or ends with '/'; remove the leading or trailing '/'.`,
    );
  }
  checkDuration(issues, "vault.statusPing", v.statusPing);
}

export const vault: KeystoreBackend<VaultKmsArgs> = {
  kind: "vault",
  allowsInsecureHttp: true,
  validate,
  credentials: (v) => (v.caCertPem !== undefined ? [["vault.caCertPem", v.caCertPem]] : []),
  resolve(c, v) {
    const caFile = c.file("vault.caCertPem", "vault-ca.crt", v.caCertPem);
    const certFile = c.file(
      "vault.clientCertificate.certPem",
      "vault-client.crt",
      v.clientCertificate?.certPem,
    );
    const keyFile = c.file(
      "vault.clientCertificate.keyPem",
      "vault-client.key",
      v.clientCertificate?.keyPem,
      true,
    );
    const keystore = pulumi
      .all([
        c.chkOpt("vault.approle.roleId", v.approle?.roleId),
        c.chkOpt("vault.approle.secretId", v.approle?.secretId),
        c.chkOpt("vault.kubernetes.jwt", v.kubernetes?.jwt, rules.jwt),
      ])
      .apply(
        ([roleId, secretId, jwt]): Keystore => ({
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
        }),
      );
    return { keystore };
  },
};
