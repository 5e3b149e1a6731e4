/**
 * Rotating MinIO's credential for KES (issue 11): two slots, the active one used by MinIO, both
 * admitted by KES while a rotation is under way, the previous one removed when retired.
 */
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { validateKesServerArgs } from "../../lib/components/kesServer";
import { parseEnvLine } from "../../lib/core/envfile";
import { kesIdentityFromApiKey } from "../../lib/core/identity";
import { captureGraph, fileWritten, type Graph } from "../helpers/mockGraph";
import { kesAndMinio, mirrorBinary, mockHost } from "../helpers/stacks";

const host = mockHost;
const bin = mirrorBinary;

type Rotation = { active: "a" | "b"; retirePrevious?: boolean };
const program = (rotation?: Rotation, minioAuth?: "apiKey" | "certificate") =>
  kesAndMinio({ kes: { minioAuth, minioCredentialRotation: rotation } });

/** The identities in MinIO's policy of the KES config, and the API key in MinIO's env file. */
function seen(g: Graph): { identities: string[]; apiKey?: string } {
  const config = load(fileWritten(g, "kes-k1", "/etc/kes/config.yaml").content) as {
    policy: { minio: { identities: string[] } };
  };
  const env = fileWritten(g, "minio-n1", "/etc/default/minio").content;
  return {
    identities: config.policy.minio.identities,
    apiKey: env
      .split("\n")
      .map(parseEnvLine)
      .find((e) => e?.name === "MINIO_KMS_KES_API_KEY")?.value,
  };
}

const keys = (g: Graph) =>
  g.nodes
    .filter((n) => n.type === "tls:index/privateKey:PrivateKey" && n.name.startsWith("kes-minio-client"))
    .map((n) => n.name)
    .sort();

describe("rotating MinIO's KES credential", () => {
  it("without a rotation: one credential in slot a, the names every stack has", async () => {
    const g = await captureGraph(program());
    expect(keys(g)).toEqual(["kes-minio-client-key"]);
    const s = seen(g);
    expect(s.identities).toEqual([kesIdentityFromApiKey(s.apiKey!)]);
  });

  it("switching to slot b: KES admits both, MinIO uses b's key (the first identity)", async () => {
    const g = await captureGraph(program({ active: "b" }));
    expect(keys(g)).toEqual(["kes-minio-client-b-key", "kes-minio-client-key"]);
    const s = seen(g);
    expect(s.identities).toHaveLength(2);
    expect(new Set(s.identities).size).toBe(2);
    expect(s.identities[0]).toBe(kesIdentityFromApiKey(s.apiKey!));
  });

  it("retiring the previous slot: KES admits only the active credential, and the other key goes", async () => {
    const g = await captureGraph(program({ active: "b", retirePrevious: true }));
    expect(keys(g)).toEqual(["kes-minio-client-b-key"]);
    const s = seen(g);
    expect(s.identities).toEqual([kesIdentityFromApiKey(s.apiKey!)]);
  });

  it("MinIO restarts only after every KES replica reloaded (so KES admits the new credential first)", async () => {
    const g = await captureGraph(program({ active: "b" }));
    expect(g.dependsOn(g.byName("minio-n1-service"), g.byName("kes-k1-reload"))).toBe(true);
  });

  it("switching to slot a on a stack that never rotated makes a slot-b key too (as documented)", async () => {
    const g = await captureGraph(program({ active: "a" }));
    expect(keys(g)).toEqual(["kes-minio-client-b-key", "kes-minio-client-key"]);
    const s = seen(g);
    expect(s.identities[0]).toBe(kesIdentityFromApiKey(s.apiKey!));
  });

  it("refuses slots with client certificates, which MinIO reloads by itself", () => {
    const issues = validateKesServerArgs({
      hosts: [host("k1", 1)],
      kms: undefined as never,
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      minioAuth: "certificate",
      minioCredentialRotation: { active: "b" },
    });
    expect(issues.list.map((i) => i.field)).toContain("minioCredentialRotation");
    expect(issues.list.find((i) => i.field === "minioCredentialRotation")?.message).toMatch(
      /^credential slots are for API keys/,
    );
  });

  it("refuses a slot that does not exist, naming the field and the fix", () => {
    const issues = validateKesServerArgs({
      hosts: [host("k1", 1)],
      kms: undefined as never,
      binary: bin("kes"),
      minioKeyNames: ["minio-*"],
      minioCredentialRotation: { active: "c" as "a" },
    });
    expect(issues.list).toContainEqual({
      field: "minioCredentialRotation.active",
      message: 'active "c" is not a slot; set it to "a" or "b" (the slot whose credential MinIO uses).',
    });
  });
});
