/**
 * Set-up shared by the end-to-end scenarios and the sandbox (`npm run sandbox`): the binaries
 * (the user's real ones, or the project's stand-ins), an HTTP server that hands them to the hosts
 * (so hosts install from a URL with a sha256, as users do), and certificates made with OpenSSL
 * (for the bring-your-own inputs `tls.certificates` and `tls.caCertPem`).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { BinarySourceArgs } from "../../lib";

export type BinaryName = "minio" | "kes" | "mc";

/** Where the binaries come from, and a sentence saying so. */
export interface Binaries {
  paths: Record<BinaryName, string>;
  description: string;
}

/**
 * The user's binaries when all three environment variables name files, else the stand-ins,
 * built (with Go) into the cache.
 */
export function locateBinaries(env: Partial<Record<BinaryName, string | undefined>>): Binaries {
  const given = Object.entries(env).filter(([, v]) => v);
  if (given.length === 3) {
    for (const [k, p] of given) {
      if (!existsSync(p!) || !statSync(p!).isFile()) throw new Error(`${k} binary ${p} is not a file`);
    }
    return {
      paths: env as Record<BinaryName, string>,
      description: "your binaries (MinIO, KES and mc from the environment)",
    };
  }
  if (given.length > 0) {
    throw new Error(`set all three binaries or none (got only ${given.map(([k]) => k).join(", ")})`);
  }
  const out = join(process.env.PULUMI_MINIO_KES_CACHE ?? "/var/cache/pulumi-minio-kes", "standins");
  execFileSync("bash", [join(__dirname, "..", "..", "test", "standins", "build.sh"), out], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    paths: { minio: join(out, "minio"), kes: join(out, "kes"), mc: join(out, "mc") },
    description:
      "the project's STAND-INS for MinIO, KES and mc (test programs, not the real ones; see test/standins/README.md)",
  };
}

/** Serve the binaries on the bridge address; hosts install them from these URLs. */
export async function serveBinaries(
  paths: Record<BinaryName, string>,
  listen = { host: "198.18.0.1", port: 8799 },
): Promise<{ sources: Record<BinaryName, BinarySourceArgs>; server: Server }> {
  const files = new Map<string, string>(Object.entries(paths).map(([k, p]) => [`/${k}`, p]));
  const server = createServer((req, res) => {
    const p = files.get(req.url ?? "");
    if (!p) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(p));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, resolve);
  });
  const src = (k: BinaryName): BinarySourceArgs => ({
    url: `http://${listen.host}:${listen.port}/${k}`,
    sha256: createHash("sha256").update(readFileSync(paths[k])).digest("hex"),
    name: k,
  });
  return { sources: { minio: src("minio"), kes: src("kes"), mc: src("mc") }, server };
}

/** A CA and one server certificate per host (IP SAN = the host's address), made with OpenSSL. */
export function makeCertificates(
  dir: string,
  hosts: Array<{ name: string; address: string; extraSans?: string[] }>,
): { ca: string; certs: Record<string, { certPem: string; keyPem: string }> } {
  mkdirSync(dir, { recursive: true });
  const ossl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  if (!existsSync(join(dir, "ca.crt"))) {
    ossl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "90",
      "-subj",
      "/CN=pulumi-minio-kes test CA",
    );
  }
  const certs: Record<string, { certPem: string; keyPem: string }> = {};
  for (const h of hosts) {
    if (!existsSync(join(dir, `${h.name}.crt`))) {
      ossl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${h.name}.key`,
        "-out",
        `${h.name}.csr`,
        "-subj",
        `/CN=${h.address}`,
      );
      const sans = [`IP:${h.address}`, ...(h.extraSans ?? [])].join(",");
      writeFileSync(
        join(dir, `${h.name}.ext`),
        `subjectAltName=${sans}\nextendedKeyUsage=serverAuth,clientAuth\n`,
      );
      ossl(
        "x509",
        "-req",
        "-in",
        `${h.name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${h.name}.crt`,
        "-days",
        "90",
        "-extfile",
        `${h.name}.ext`,
      );
    }
    certs[h.name] = {
      certPem: readFileSync(join(dir, `${h.name}.crt`), "utf8"),
      keyPem: readFileSync(join(dir, `${h.name}.key`), "utf8"),
    };
  }
  return { ca: readFileSync(join(dir, "ca.crt"), "utf8"), certs };
}

/**
 * The binaries of a test run, served to the hosts: the real ones when E2E_MINIO_BINARY,
 * E2E_KES_BINARY and E2E_MC_BINARY name them, else the stand-ins. Says which in the log.
 */
export async function serveTestBinaries(
  label: string,
): Promise<{ sources: Record<BinaryName, BinarySourceArgs>; server: Server }> {
  const located = locateBinaries({
    minio: process.env.E2E_MINIO_BINARY,
    kes: process.env.E2E_KES_BINARY,
    mc: process.env.E2E_MC_BINARY,
  });
  console.log(`${label}: using ${located.description}`);
  return serveBinaries(located.paths);
}
