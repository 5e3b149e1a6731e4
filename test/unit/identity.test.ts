import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kesApiKeyFromPrivateKey, kesIdentityFromApiKey, kesIdentityFromCertificate } from "../../lib";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", name), "utf8");

// kes-minio.md §2, "Test vectors" (from minio/kms-go kes/apikey_test.go).
const vectors: Array<[string, string]> = [
  [
    "kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs",
    "ea9826089311fe44d7590408ede9150f7c637b6cab0a91ee6fe1aa5d9fb366f6",
  ],
  [
    "kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw",
    "0426fa9a04bc2756b92fbe8a97e1a1e07b53ecf04ed33da22c33e5c9faeb8cbb",
  ],
  [
    "kes:v1:AMxvd2uV1l5dDSRwuKZxSjuM5BDemlr+685+JAHA1TuJ",
    "ab785e3b95d80d72cc9c27cb9fde886a0bf9068a69d40e3bd08a54e68c3f2bf7",
  ],
];

describe("kesIdentityFromApiKey", () => {
  it.each(vectors)("%s has the upstream identity", (apiKey, identity) => {
    expect(kesIdentityFromApiKey(apiKey)).toBe(identity);
  });

  it.each([
    ["v1:AM0F5RHzN8hQwMAAyONHxHXGyS2MVy3mMdj55L9uGVKT", /must start with "kes:v1:"/],
    ["kes:AM0F5RHzN8hQwMAAyONHxHXGyS2MVy3mMdj55L9uGVKT", /must start with "kes:v1:"/],
    ["kes:v1:sbDvZFqUPFFwxRS4EkuoEb2nyyInkdKSUEYHXFHeTouW", /type byte 0xb1, expected 0x00/],
    ["kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zl", /decodes to 27 bytes, expected 33/],
    ["kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAsAAAA", /decodes to 36 bytes, expected 33/],
    ["kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eT*DikL4zlN16c8NAs", /not standard base64/],
    ["kes:v1:", /not standard base64/],
  ])("rejects %s", (apiKey, message) => {
    expect(() => kesIdentityFromApiKey(apiKey)).toThrow(message);
  });
});

describe("kesIdentityFromCertificate", () => {
  it.each(["ed25519", "rsa", "ec"])("matches openssl's SPKI hash for a %s certificate", (t) => {
    expect(kesIdentityFromCertificate(fixture(`${t}.crt`))).toBe(fixture(`${t}.identity`).trim());
  });

  it("rejects what is not a certificate", () => {
    expect(() => kesIdentityFromCertificate(fixture("ed25519.key"))).toThrow(/BEGIN CERTIFICATE/);
    expect(() =>
      kesIdentityFromCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    ).toThrow(/invalid certificate/);
  });
});

describe("kesApiKeyFromPrivateKey", () => {
  it("gives an API key whose identity equals the certificate made from the same key", () => {
    const apiKey = kesApiKeyFromPrivateKey(fixture("ed25519.key"));
    expect(apiKey).toMatch(/^kes:v1:A[A-Za-z0-9+/]{43}$/);
    expect(apiKey).toHaveLength(51);
    expect(kesIdentityFromApiKey(apiKey)).toBe(kesIdentityFromCertificate(fixture("ed25519.crt")));
    expect(kesIdentityFromApiKey(apiKey)).toBe(fixture("ed25519.identity").trim());
  });

  it("round-trips the upstream vector: the seed inside the API key yields the same API key", () => {
    const [apiKey, identity] = vectors[0]!;
    const seed = Buffer.from(apiKey.slice("kes:v1:".length), "base64").subarray(1);
    const pem = createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
      format: "der",
      type: "pkcs8",
    }).export({ type: "pkcs8", format: "pem" }) as string;
    expect(kesApiKeyFromPrivateKey(pem)).toBe(apiKey);
    expect(kesIdentityFromApiKey(kesApiKeyFromPrivateKey(pem))).toBe(identity);
  });

  it("is stable for the same key and differs between keys", () => {
    const a = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const b = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(kesApiKeyFromPrivateKey(a)).toBe(kesApiKeyFromPrivateKey(a));
    expect(kesApiKeyFromPrivateKey(a)).not.toBe(kesApiKeyFromPrivateKey(b));
  });

  it("rejects keys that are not Ed25519, not PEM, or in OpenSSH format", () => {
    expect(() => kesApiKeyFromPrivateKey(fixture("rsa.key"))).toThrow(/need an Ed25519 key, got rsa/);
    expect(() => kesApiKeyFromPrivateKey(fixture("ec.key"))).toThrow(/need an Ed25519 key, got ec/);
    expect(() => kesApiKeyFromPrivateKey(fixture("ed25519.crt"))).toThrow(/expected a PEM private key/);
    expect(() =>
      kesApiKeyFromPrivateKey(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
      ),
    ).toThrow(/OpenSSH format is not supported/);
    expect(() =>
      kesApiKeyFromPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    ).toThrow(/invalid private key/);
  });
});
