/** @internal The GCP Secret Manager and Azure Key Vault keystores. */
import * as pulumi from "@pulumi/pulumi";
import * as rules from "../../core/rules";
import { checkEndpointUrl } from "../../core/validate";
import type { AzureKmsArgs, GcpKmsArgs } from "../args";
import type { KeystoreBackend } from "./backend";

export const gcp: KeystoreBackend<GcpKmsArgs> = {
  kind: "gcp",
  validate(issues, g) {
    if (typeof g.projectId !== "string" || g.projectId === "")
      issues.add("gcp.projectId", "set projectId to the GCP project that holds the secrets.");
  },
  credentials: (g) =>
    g.credentials
      ? [
          ["gcp.credentials.clientEmail", g.credentials.clientEmail],
          ["gcp.credentials.clientId", g.credentials.clientId],
          ["gcp.credentials.privateKeyId", g.credentials.privateKeyId],
        ]
      : [],
  resolve(c, g) {
    const k = g.credentials;
    const keystore = pulumi
      .all([
        c.chkOpt("gcp.credentials.clientEmail", k?.clientEmail),
        c.chkOpt("gcp.credentials.clientId", k?.clientId),
        c.chkOpt("gcp.credentials.privateKeyId", k?.privateKeyId),
        c.chkOpt("gcp.credentials.privateKey", k?.privateKey, rules.privateKeyPem),
      ])
      .apply(([email, id, kid, key]) => ({
        kind: "gcp" as const,
        projectId: g.projectId,
        endpoint: g.endpoint,
        scopes: g.scopes,
        credentials: k
          ? { clientEmail: email!, clientId: id!, privateKeyId: kid!, privateKey: key! }
          : undefined,
      }));
    return { keystore };
  },
};

export const azure: KeystoreBackend<AzureKmsArgs> = {
  kind: "azure",
  validate(issues, z) {
    checkEndpointUrl(issues, "azure.endpoint", z.endpoint);
    if ((z.credentials ? 1 : 0) + (z.managedIdentityClientId !== undefined ? 1 : 0) !== 1) {
      issues.add(
        "azure",
        "give exactly one of credentials { tenantId, clientId, clientSecret } and managedIdentityClientId.",
      );
    }
  },
  credentials: (z) =>
    z.credentials
      ? [
          ["azure.credentials.tenantId", z.credentials.tenantId],
          ["azure.credentials.clientId", z.credentials.clientId],
          ["azure.credentials.clientSecret", z.credentials.clientSecret],
        ]
      : [],
  resolve(c, z) {
    const k = z.credentials;
    const keystore = pulumi
      .all([
        c.chkOpt("azure.credentials.tenantId", k?.tenantId),
        c.chkOpt("azure.credentials.clientId", k?.clientId),
        c.chkOpt("azure.credentials.clientSecret", k?.clientSecret),
        c.chkOpt("azure.managedIdentityClientId", z.managedIdentityClientId),
      ])
      .apply(([t, id, s, mi]) => ({
        kind: "azure" as const,
        endpoint: z.endpoint,
        credentials: k ? { tenantId: t!, clientId: id!, clientSecret: s! } : undefined,
        managedIdentity: mi !== undefined ? { clientId: mi } : undefined,
      }));
    return { keystore };
  },
};
