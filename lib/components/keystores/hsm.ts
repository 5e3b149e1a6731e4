/** @internal The Entrust KeyControl, Fortanix SDKMS and Thales CipherTrust keystores. */
import * as pulumi from "@pulumi/pulumi";
import { checkEndpointUrl } from "../../core/validate";
import type { EntrustKmsArgs, FortanixKmsArgs, KmsTargetArgs, ThalesKmsArgs } from "../args";
import type { KeystoreBackend } from "./backend";

const allowHttp = (args: KmsTargetArgs) => ({ allowHttp: args.allowInsecureHttp === true });

export const entrust: KeystoreBackend<EntrustKmsArgs> = {
  kind: "entrust",
  allowsInsecureHttp: true,
  validate(issues, e, args) {
    checkEndpointUrl(issues, "entrust.endpoint", e.endpoint, allowHttp(args));
    if (!e.vaultId) issues.add("entrust.vaultId", "set vaultId to the KeyControl vault id.");
    if (!e.boxId) issues.add("entrust.boxId", "set boxId to the KeyControl box id.");
  },
  credentials: (e) => [
    ["entrust.username", e.username],
    ["entrust.password", e.password],
    ...(e.caCertPem !== undefined ? [["entrust.caCertPem", e.caCertPem] as [string, unknown]] : []),
  ],
  resolve(c, e) {
    const caFile = c.file("entrust.caCertPem", "entrust-ca.crt", e.caCertPem);
    const keystore = pulumi
      .all([c.chk("entrust.username", e.username), c.chk("entrust.password", e.password)])
      .apply(([u, p]) => ({
        kind: "entrust" as const,
        endpoint: e.endpoint,
        vaultId: e.vaultId,
        boxId: e.boxId,
        credentials: { username: u, password: p },
        tls: caFile ? { caFile } : undefined,
      }));
    return { keystore };
  },
};

export const fortanix: KeystoreBackend<FortanixKmsArgs> = {
  kind: "fortanix",
  allowsInsecureHttp: true,
  validate(issues, f, args) {
    checkEndpointUrl(issues, "fortanix.endpoint", f.endpoint, allowHttp(args));
  },
  credentials: (f) => [
    ["fortanix.apiKey", f.apiKey],
    ...(f.caCertPem !== undefined ? [["fortanix.caCertPem", f.caCertPem] as [string, unknown]] : []),
  ],
  resolve(c, f) {
    const caFile = c.file("fortanix.caCertPem", "fortanix-ca.crt", f.caCertPem);
    const keystore = c.chk("fortanix.apiKey", f.apiKey).apply((key) => ({
      kind: "fortanix" as const,
      endpoint: f.endpoint,
      groupId: f.groupId,
      credentials: { key },
      tls: caFile ? { caFile } : undefined,
    }));
    return { keystore };
  },
};

export const thales: KeystoreBackend<ThalesKmsArgs> = {
  kind: "thales",
  allowsInsecureHttp: true,
  validate(issues, t, args) {
    checkEndpointUrl(issues, "thales.endpoint", t.endpoint, allowHttp(args));
  },
  credentials: (t) => [
    ["thales.token", t.token],
    ...(t.caCertPem !== undefined ? [["thales.caCertPem", t.caCertPem] as [string, unknown]] : []),
  ],
  resolve(c, t) {
    const caFile = c.file("thales.caCertPem", "thales-ca.crt", t.caCertPem);
    const keystore = c.chk("thales.token", t.token).apply((token) => ({
      kind: "thales" as const,
      endpoint: t.endpoint,
      credentials: { token, domain: t.domain },
      tls: caFile ? { caFile } : undefined,
    }));
    return { keystore };
  },
};
