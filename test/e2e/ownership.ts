/**
 * The ownership tables of the installed paths (docs/components/kes-server.md "Ownership",
 * docs/components/minio-deployment.md "What happens on each node"), as owner, group and mode per
 * path, and one call that reads them all from a host. Used by the racer (tlsSuite's rotation) and
 * the migration test (test/real-engine/migration.test.ts).
 */
import { shq, type Testbed, type TestHost } from "../hosts/testbed";

/** One installed path and what it must be. */
export interface Owned {
  path: string;
  kind: "file" | "dir";
  owner: string;
  group: string;
  /** Four octal digits, as `Testbed.stat` gives them. */
  mode: string;
  /** Whose it is by design: root's (no service account may change it) or the account's own data. */
  of: "root" | "kes" | "minio-user";
}

const root = (path: string, kind: Owned["kind"], group: string, mode: string): Owned => ({
  path,
  kind,
  owner: "root",
  group,
  mode,
  of: "root",
});

/** KES on a host (kes-server.md "Ownership"), with a filesystem keystore at `keystoreDir`. */
export function kesOwnership(o: { keystoreDir?: string } = {}): Owned[] {
  return [
    root("/etc/kes", "dir", "kes", "0750"),
    root("/etc/kes/config.yaml", "file", "kes", "0640"),
    root("/etc/kes/server.crt", "file", "kes", "0644"),
    root("/etc/kes/ca.crt", "file", "kes", "0644"),
    root("/etc/kes/server.key", "file", "kes", "0640"),
    root("/etc/kes/kes.env", "file", "root", "0600"),
    root("/etc/systemd/system/kes.service", "file", "root", "0644"),
    root("/usr/local/bin/kes", "file", "root", "0755"),
    // The user step's home, and the data KES writes.
    { path: "/var/lib/kes", kind: "dir", owner: "kes", group: "kes", mode: "0750", of: "kes" },
    ...(o.keystoreDir
      ? [
          {
            path: o.keystoreDir,
            kind: "dir",
            owner: "kes",
            group: "kes",
            mode: "0700",
            of: "kes",
          } satisfies Owned,
        ]
      : []),
  ];
}

/** MinIO on a node (minio-deployment.md steps 2–14), with TLS, `mc` on the admin node, its drives. */
export function minioOwnership(o: { tls?: boolean; admin?: boolean; drives?: string[] } = {}): Owned[] {
  return [
    root("/etc/default/minio", "file", "root", "0600"),
    root("/etc/minio", "dir", "minio-user", "0750"),
    root("/etc/minio/kes-ca.crt", "file", "minio-user", "0644"),
    ...(o.tls
      ? [
          root("/etc/minio/certs", "dir", "minio-user", "0750"),
          root("/etc/minio/certs/public.crt", "file", "minio-user", "0644"),
          root("/etc/minio/certs/private.key", "file", "minio-user", "0640"),
          root("/etc/minio/certs/CAs", "dir", "minio-user", "0750"),
          root("/etc/minio/certs/CAs/ca.crt", "file", "minio-user", "0644"),
        ]
      : []),
    root("/etc/systemd/system/minio.service", "file", "root", "0644"),
    root("/usr/local/bin/minio", "file", "root", "0755"),
    // mc and its config directory (`MC_CONFIG_DIR`, created 0700 by root's mc steps).
    ...(o.admin
      ? [
          root("/usr/local/bin/mc", "file", "root", "0755"),
          root("/root/.pulumi-minio-kes", "dir", "root", "0700"),
          root("/root/.pulumi-minio-kes/mc", "dir", "root", "0700"),
        ]
      : []),
    {
      path: "/var/lib/minio",
      kind: "dir",
      owner: "minio-user",
      group: "minio-user",
      mode: "0750",
      of: "minio-user",
    },
    ...(o.drives ?? []).map(
      (d): Owned => ({
        path: d,
        kind: "dir",
        owner: "minio-user",
        group: "minio-user",
        mode: "0750",
        of: "minio-user",
      }),
    ),
  ];
}

/** The system directories the library writes into (root's, never the library's to re-own). */
export const SYSTEM_DIRS = ["/etc/default", "/etc/systemd/system", "/usr/local/bin"];

/** What a path is on the host: `path kind owner group mode`, `missing`, or `link` (never followed). */
export async function observe(tb: Testbed, h: TestHost, paths: string[]): Promise<Record<string, string>> {
  const script = `for p in ${paths.map(shq).join(" ")}; do
  if [ -L "$p" ]; then echo "$p link"
  elif [ -d "$p" ]; then stat -c '%n dir %U %G %a' -- "$p"
  elif [ -f "$p" ]; then stat -c '%n file %U %G %a' -- "$p"
  elif [ -e "$p" ]; then echo "$p other"
  else echo "$p missing"; fi
done`;
  const out = (await tb.exec(h, script)).stdout.trim().split("\n");
  return Object.fromEntries(
    out.map((l) => {
      const [p, ...rest] = l.split(" ");
      // stat's %a has no leading zero: pad to four digits like Testbed.stat.
      if (rest.length === 4) rest[3] = rest[3]!.padStart(4, "0");
      return [p!, rest.join(" ")];
    }),
  );
}

/** The expected `kind owner group mode` of each path, in `observe`'s words. */
export function expected(table: Owned[]): Record<string, string> {
  return Object.fromEntries(table.map((o) => [o.path, `${o.kind} ${o.owner} ${o.group} ${o.mode}`]));
}
