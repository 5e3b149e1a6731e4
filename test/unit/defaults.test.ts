/**
 * Every default is declared once (lib/core/defaults.ts), and each argument's TSDoc `@default`
 * says the same (issue 10). Reads the `@default` tags of the argument interfaces with the
 * TypeScript compiler, so a doc that disagrees with the code, a tag for a default that is not
 * declared, or a declared default without its tag fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  BUCKET_DEFAULTS,
  CA_DEFAULTS,
  HOST_DEFAULTS,
  KES_DEFAULTS,
  MINIO_DEFAULTS,
  TLS_DEFAULTS,
} from "../../lib/core/defaults";

/** Which declared default each documented argument has. */
const DECLARED: Record<string, unknown> = {
  "KesServerArgs.port": KES_DEFAULTS.port,
  "KesServerArgs.minioAuth": KES_DEFAULTS.minioAuth,
  "KesServerArgs.healthTimeoutSeconds": KES_DEFAULTS.healthTimeoutSeconds,
  "FilesystemKmsArgs.path": KES_DEFAULTS.keystoreDir,
  "TlsArgs.validityHours": KES_DEFAULTS.certificateValidityHours,
  "MinioDeploymentArgs.port": MINIO_DEFAULTS.port,
  "MinioDeploymentArgs.consolePort": MINIO_DEFAULTS.consolePort,
  "MinioDeploymentArgs.healthTimeoutSeconds": MINIO_DEFAULTS.healthTimeoutSeconds,
  "EncryptedBucketArgs.algorithm": BUCKET_DEFAULTS.algorithm,
  "EncryptedBucketArgs.verify": BUCKET_DEFAULTS.verify,
  "HostArgs.port": HOST_DEFAULTS.port,
  "HostArgs.user": HOST_DEFAULTS.user,
  "BastionArgs.port": HOST_DEFAULTS.port,
  "BastionArgs.user": HOST_DEFAULTS.user,
  "CertificateAuthorityArgs.validityHours": CA_DEFAULTS.validityHours,
  "TlsArgs.expiryWarningDays": TLS_DEFAULTS.expiryWarningDays,
};

/** `Interface.property` → the text of its `@default` tag, for every interface in `files`. */
function defaultTags(files: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    const src = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node) => {
      if (ts.isInterfaceDeclaration(n)) {
        for (const m of n.members) {
          if (!ts.isPropertySignature(m) || !m.name) continue;
          for (const tag of ts.getJSDocTags(m)) {
            if (tag.tagName.text !== "default") continue;
            const text =
              typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment);
            out.set(`${n.name.text}.${m.name.getText(src)}`, (text ?? "").trim());
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return out;
}

const root = join(__dirname, "..", "..", "lib", "components");
const tags = defaultTags(["args.ts", "hosts.ts", "internal.ts"].map((f) => join(root, f)));

describe("defaults are declared once and documented as declared", () => {
  it("every @default tag is a declared default, with the same value", () => {
    for (const [field, text] of tags) {
      expect(
        Object.keys(DECLARED),
        `${field} has @default ${text}: declare it in lib/core/defaults.ts`,
      ).toContain(field);
      expect(text, `${field}: its @default disagrees with lib/core/defaults.ts`).toBe(
        JSON.stringify(DECLARED[field]),
      );
    }
  });

  it("every declared default has its @default tag", () => {
    for (const field of Object.keys(DECLARED))
      expect([...tags.keys()], `${field} has no @default tag`).toContain(field);
  });

  it("a generated certificate lasts as long for KES as for MinIO (one TlsArgs default)", () => {
    expect(MINIO_DEFAULTS.certificateValidityHours).toBe(KES_DEFAULTS.certificateValidityHours);
  });
});
