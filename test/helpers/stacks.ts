/**
 * Small programs for mock tests: one KES and one MinIO deployment, with mock hosts (a pinned host
 * key, documentation addresses 203.0.113.0/24) and binaries from a mirror that does not exist.
 */
import { KesServer, type KesServerArgs, KmsTarget, MinioDeployment } from "../../lib";

export const MOCK_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyMockHostKeyMockHostKeyMock";

/** A binary source on a mirror that does not exist. */
export const mirrorBinary = (n: string) => ({
  url: `https://mirror.example.net/${n}`,
  sha256: "d".repeat(64),
});

/** A mock host at 203.0.113.<i>. */
export const mockHost = (name: string, i: number) => ({
  name,
  address: `203.0.113.${i}`,
  privateKey: "k",
  hostKey: MOCK_HOST_KEY,
});

/**
 * A KesServer "kes" on `kesHosts` (203.0.113.1, .2, …) with `kes` merged into its arguments, and a
 * MinioDeployment "minio" using it on `nodes` (203.0.113.10, .11, …).
 */
export function kesAndMinio(
  o: { kesHosts?: string[]; nodes?: string[]; kes?: Partial<KesServerArgs>; kms?: () => KmsTarget } = {},
): () => void {
  return () => {
    const kms = o.kms?.() ?? new KmsTarget("kms", { filesystem: { acknowledgeDevelopmentOnly: true } });
    const kes = new KesServer("kes", {
      hosts: (o.kesHosts ?? ["k1"]).map((n, i) => mockHost(n, i + 1)),
      kms,
      binary: mirrorBinary("kes"),
      minioKeyNames: ["minio-*"],
      ...o.kes,
    });
    new MinioDeployment("minio", {
      nodes: (o.nodes ?? ["n1"]).map((n, i) => mockHost(n, i + 10)),
      drives: ["/data"],
      rootUser: "admin",
      rootPassword: "a-long-root-password",
      kes,
      defaultKeyName: "minio-default",
      binary: mirrorBinary("minio"),
    });
  };
}
