/**
 * What the real providers refuse in a resource's inputs, as the engine sends them (the wire form
 * of the resource monitor protocol: secrets as `{4dabf…: 1b47…, value}`, unknowns as the unknown
 * sentinel). Mocks accept anything; these rules make the mock tests and the end-to-end harness
 * refuse what `pulumi-resource-command` 1.2.1 and `pulumi-resource-tls` 5.6.1 refuse. Each rule
 * names the source it follows.
 */

/** The SDK's wire signature of a secret (`sdk/nodejs/runtime/rpc.ts` specialSigKey / specialSecretSig). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VAL = "1b47061264138c4ac30d75fd1eb44270";
/** The SDK's unknown sentinel (`sdk/nodejs/runtime/rpc.ts` unknownValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Key usages the tls provider accepts for `allowedUses` (SelfSignedCert, LocallySignedCert):
 * the keys of `keyUsages` and `extendedKeyUsages` in hashicorp/terraform-provider-tls
 * `internal/provider/common_cert.go`, checked by `stringvalidator.OneOf(supportedKeyUsagesStr()...)`
 * in `resource_self_signed_cert.go` and `resource_locally_signed_cert.go`. Anything else fails
 * Check with "Invalid Attribute Value Match".
 */
export const TLS_KEY_USAGES: readonly string[] = [
  "digital_signature",
  "content_commitment",
  "key_encipherment",
  "data_encipherment",
  "key_agreement",
  "cert_signing",
  "crl_signing",
  "encipher_only",
  "decipher_only",
  "any_extended",
  "server_auth",
  "client_auth",
  "code_signing",
  "email_protection",
  "ipsec_end_system",
  "ipsec_tunnel",
  "ipsec_user",
  "timestamping",
  "ocsp_signing",
  "microsoft_server_gated_crypto",
  "netscape_server_gated_crypto",
  "microsoft_commercial_code_signing",
  "microsoft_kernel_code_signing",
];
/** `Algorithm` and `ECDSACurve` in terraform-provider-tls `internal/provider/types.go` (OneOf in resource_private_key.go). */
export const TLS_ALGORITHMS: readonly string[] = ["RSA", "ECDSA", "ED25519"];
export const TLS_CURVES: readonly string[] = ["P224", "P256", "P384", "P521"];

const isSecretWire = (v: unknown): v is { value?: unknown } =>
  !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VAL;

/**
 * The provider's error for each input it refuses, in the provider's words (`path: message`).
 * Empty when the provider would accept the inputs.
 */
export function providerViolations(type: string, wireInputs: Record<string, unknown>): string[] {
  const out: string[] = [];
  // Every provider built on pulumi-go-provider (pulumi-command) and the bridge decodes its inputs
  // with the engine's property unmarshalling; a secret inside a list whose value is unknown comes
  // back from Check without a value, and the engine refuses it: `triggers[2]: malformed secret:
  // missing value` (seen on the real engine; the message is pulumi/pulumi
  // `sdk/go/propertyrpc/unmarshal.go` unmarshalStructValue). Top-level secret unknowns (stdin)
  // pass: only list elements fail.
  const walk = (v: unknown, path: string, inList: boolean): void => {
    if (isSecretWire(v)) {
      if (inList && (v.value === undefined || v.value === UNKNOWN))
        out.push(`${path}: malformed secret: missing value`);
      walk(v.value, path, inList);
      return;
    }
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, true);
      return;
    }
    if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, inList);
    }
  };
  walk(wireInputs, "", false);

  const plain = (v: unknown): unknown => (isSecretWire(v) ? plain(v.value) : v);
  const known = (v: unknown): boolean => plain(v) !== UNKNOWN && plain(v) !== undefined;
  if (
    type === "tls:index/selfSignedCert:SelfSignedCert" ||
    type === "tls:index/locallySignedCert:LocallySignedCert"
  ) {
    const uses = plain(wireInputs.allowedUses);
    if (!Array.isArray(uses)) out.push("allowedUses: Missing required argument");
    else
      uses.forEach((u, i) => {
        const v = plain(u);
        if (known(v) && !TLS_KEY_USAGES.includes(String(v)))
          out.push(
            `allowed_uses[${i}]: Invalid Attribute Value Match: value must be one of: ${JSON.stringify(TLS_KEY_USAGES)}, got: ${JSON.stringify(v)}`,
          );
      });
    const hours = plain(wireInputs.validityPeriodHours);
    if (!known(hours)) out.push("validityPeriodHours: Missing required argument");
    else if (typeof hours !== "number" || hours < 0)
      out.push(
        `validity_period_hours: Invalid Attribute Value: must be at least 0, got: ${JSON.stringify(hours)}`,
      );
  }
  if (type === "tls:index/privateKey:PrivateKey") {
    const alg = plain(wireInputs.algorithm);
    if (!known(alg) || !TLS_ALGORITHMS.includes(String(alg)))
      out.push(
        `algorithm: Invalid Attribute Value Match: value must be one of: ${JSON.stringify(TLS_ALGORITHMS)}, got: ${JSON.stringify(alg)}`,
      );
    const curve = plain(wireInputs.ecdsaCurve);
    if (curve !== undefined && known(curve) && !TLS_CURVES.includes(String(curve)))
      out.push(
        `ecdsa_curve: Invalid Attribute Value Match: value must be one of: ${JSON.stringify(TLS_CURVES)}, got: ${JSON.stringify(curve)}`,
      );
  }
  return out;
}
