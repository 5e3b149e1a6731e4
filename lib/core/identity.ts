/**
 * KES API keys and identities (kes-minio.md §2; `minio/kms-go kes/apikey.go`,
 * `minio/kes auth.go`). Re-implemented from the documented algorithm with Node's crypto:
 *
 * - API key: `"kes:v1:" + base64std(0x00 || seed32)`, 0x00 being the Ed25519 key type.
 * - Identity: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo of the public key.
 *   For an API key that is the Ed25519 SPKI (`302a300506032b6570032100 || pub32`);
 *   for a certificate, the certificate's own SubjectPublicKeyInfo bytes, for any key type.
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";

const API_KEY_PREFIX = "kes:v1:";
/** PKCS#8 DER prefix of an Ed25519 private key, followed by the 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Error thrown for a malformed API key, certificate or private key. */
export class KesIdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KesIdentityError";
  }
}

function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Decode and check an API key; returns the 32-byte Ed25519 seed. */
function seedFromApiKey(apiKey: string): Buffer {
  if (typeof apiKey !== "string" || !apiKey.startsWith(API_KEY_PREFIX)) {
    throw new KesIdentityError(
      `invalid KES API key: it must start with "${API_KEY_PREFIX}" (make one with kesApiKeyFromPrivateKey or \`kes identity new\`)`,
    );
  }
  const b64 = apiKey.slice(API_KEY_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new KesIdentityError("invalid KES API key: the part after kes:v1: is not standard base64");
  }
  const payload = Buffer.from(b64, "base64");
  if (payload.toString("base64") !== b64) {
    throw new KesIdentityError("invalid KES API key: the part after kes:v1: is not canonical base64");
  }
  if (payload.length !== 33) {
    throw new KesIdentityError(
      `invalid KES API key: it decodes to ${payload.length} bytes, expected 33 (one type byte and a 32-byte Ed25519 seed)`,
    );
  }
  if (payload[0] !== 0x00) {
    throw new KesIdentityError(
      `invalid KES API key: unsupported key type byte 0x${payload[0]!.toString(16).padStart(2, "0")}, expected 0x00 (Ed25519)`,
    );
  }
  return payload.subarray(1);
}

/**
 * The KES identity of an API key (`kes identity of kes:v1:…`): lowercase hex SHA-256 of
 * the Ed25519 public key's DER SubjectPublicKeyInfo. Throws {@link KesIdentityError} on a
 * wrong prefix, bad base64, wrong length or a type byte other than 0 (Ed25519).
 */
export function kesIdentityFromApiKey(apiKey: string): string {
  const seed = seedFromApiKey(apiKey);
  const priv = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(priv).export({ type: "spki", format: "der" });
  return sha256Hex(spki);
}

/** Minimal DER reader: returns [tag, headerLength, contentLength] at `offset`. */
function derHeader(buf: Buffer, offset: number): { tag: number; header: number; length: number } {
  if (offset + 2 > buf.length) throw new KesIdentityError("invalid certificate: truncated DER");
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || offset + 2 + n > buf.length) {
      throw new KesIdentityError("invalid certificate: bad DER length");
    }
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    header = 2 + n;
  }
  if (offset + header + len > buf.length) throw new KesIdentityError("invalid certificate: truncated DER");
  return { tag, header, length: len };
}

/**
 * The exact SubjectPublicKeyInfo bytes of an X.509 certificate (what Go exposes as
 * `cert.RawSubjectPublicKeyInfo`): Certificate → tbsCertificate → the 7th field
 * (after the optional [0] version: serial, signature, issuer, validity, subject, spki).
 */
function rawSubjectPublicKeyInfo(der: Buffer): Buffer {
  const cert = derHeader(der, 0);
  if (cert.tag !== 0x30) throw new KesIdentityError("invalid certificate: not a DER SEQUENCE");
  let off = cert.header;
  const tbs = derHeader(der, off);
  if (tbs.tag !== 0x30) throw new KesIdentityError("invalid certificate: tbsCertificate is not a SEQUENCE");
  off += tbs.header;
  const first = derHeader(der, off);
  if (first.tag === 0xa0) off += first.header + first.length; // [0] EXPLICIT version
  for (let i = 0; i < 5; i++) {
    const f = derHeader(der, off); // serial, signature, issuer, validity, subject
    off += f.header + f.length;
  }
  const spki = derHeader(der, off);
  if (spki.tag !== 0x30) throw new KesIdentityError("invalid certificate: subjectPublicKeyInfo not found");
  return der.subarray(off, off + spki.header + spki.length);
}

/**
 * The KES identity of a certificate (`kes identity of cert.pem`): lowercase hex SHA-256
 * of the certificate's SubjectPublicKeyInfo, for any key type (RSA, ECDSA, Ed25519).
 * Takes the first certificate of a PEM bundle.
 */
export function kesIdentityFromCertificate(pem: string): string {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new KesIdentityError(
      "invalid certificate: expected a PEM block starting with -----BEGIN CERTIFICATE-----",
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw new KesIdentityError(`invalid certificate: ${(e as Error).message}`);
  }
  return sha256Hex(rawSubjectPublicKeyInfo(cert.raw));
}

/**
 * A stable KES API key from an Ed25519 private key in PEM (PKCS#8, `-----BEGIN PRIVATE KEY-----`),
 * the format `@pulumi/tls`'s `PrivateKey` with `algorithm: "ED25519"` gives as `privateKeyPem`.
 * Keep the key as a Pulumi secret; the API key is then stable across runs with no random provider.
 * Throws {@link KesIdentityError} when the PEM is not a private key or not Ed25519.
 */
export function kesApiKeyFromPrivateKey(pem: string): string {
  if (typeof pem !== "string" || !/-----BEGIN (?:[A-Z0-9 ]+ )?PRIVATE KEY-----/.test(pem)) {
    throw new KesIdentityError(
      'invalid private key: expected a PEM private key (-----BEGIN PRIVATE KEY-----), e.g. tls.PrivateKey({ algorithm: "ED25519" }).privateKeyPem',
    );
  }
  if (pem.includes("BEGIN OPENSSH PRIVATE KEY")) {
    throw new KesIdentityError(
      "invalid private key: OpenSSH format is not supported; pass the PKCS#8 PEM (privateKeyPem), not privateKeyOpenssh",
    );
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    throw new KesIdentityError(`invalid private key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new KesIdentityError(
      `invalid private key: KES API keys need an Ed25519 key, got ${key.asymmetricKeyType ?? "an unknown type"} (use algorithm: "ED25519")`,
    );
  }
  const jwk = key.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d as string, "base64url");
  if (seed.length !== 32) throw new KesIdentityError("invalid private key: Ed25519 seed is not 32 bytes");
  return API_KEY_PREFIX + Buffer.concat([Buffer.from([0x00]), seed]).toString("base64");
}
