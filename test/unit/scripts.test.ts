import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEnvFile } from "../../lib/core/envfile";
import {
  bucketsResultVerified,
  checkPreinstalledBinaryScript,
  clusterReadyScript,
  encodeFilesStdin,
  ensureDirectoriesScript,
  ensureServiceUserScript,
  installBinaryScript,
  installUnitScript,
  MC_PARTS_AT_ONCE,
  type McTarget,
  mcBucketScript,
  mcBucketsScript,
  mcKeyCreateScript,
  removeFileScript,
  serviceActionScript,
  serviceStopScript,
  uploadDirScript,
  type WriteFileArgs,
  writeFilesScript,
} from "../../lib/core/scripts";
import { bashCommand, combinedScript, shQuote } from "../../lib/core/shell";
import { expectGolden, goldenPath } from "../helpers/golden";

// ---------------------------------------------------------------------------------------------
// Helpers

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "pmk-scripts-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A fresh directory under the suite's temp dir. */
function freshDir(name: string): string {
  const d = mkdtempSync(join(work, `${name}-`));
  return d;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a rendered script the way the SSH session does (`bash -c SCRIPT`), with stdin and extra env. */
function run(
  script: string,
  opts: { input?: string; env?: Record<string, string>; path?: string } = {},
): RunResult {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...opts.env };
  if (opts.path) env.PATH = `${opts.path}:${process.env.PATH}`;
  const r = spawnSync("bash", ["-c", script], {
    input: opts.input ?? "",
    env,
    encoding: "utf8",
    timeout: 25_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function shellcheck(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync("shellcheck", ["-s", "bash", "-S", "style", ...args], { input, encoding: "utf8" });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Write an executable file. */
function writeExec(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o7777;
}

const SHA_A = "3f1d0b1b7c1ad4d4c1f2e36e0e8f2a7e8f5f8a4e7b6c2d1e0f9a8b7c6d5e4f3a";

const TARGET_ENVFILE: McTarget = {
  mcPath: "/usr/local/bin/mc",
  alias: "minio",
  url: "https://127.0.0.1:9000",
  configDir: "/root/.pulumi-minio-kes/mc",
  caFile: "/etc/minio/certs/CAs/ca.crt",
  credentials: { from: "envFile", envFile: "/etc/default/minio" },
};

// ---------------------------------------------------------------------------------------------
// Golden files + shellcheck

const goldens: Array<[string, () => string]> = [
  [
    "systemd/ensure-service-user",
    () => ensureServiceUserScript({ user: "kes", group: "kes", home: "/var/lib/kes" }),
  ],
  [
    "binaries/install-binary-url",
    () =>
      installBinaryScript({
        destPath: "/usr/local/bin/kes",
        sha256: SHA_A,
        url: "https://github.com/minio/kes/releases/download/2025-03-12T09-35-18Z/kes-linux-amd64",
      }),
  ],
  [
    "binaries/install-binary-uploaded",
    () =>
      installBinaryScript({
        destPath: "/usr/local/bin/minio",
        sha256: SHA_A,
        uploadedPath: "/root/.pulumi-minio-kes/upload/minio",
        mode: "0755",
      }),
  ],
  ["binaries/upload-dir", () => uploadDirScript({ owner: "deploy", file: `minio-${SHA_A}` })],
  [
    "binaries/check-preinstalled-binary",
    () => checkPreinstalledBinaryScript({ path: "/usr/local/bin/minio", sha256: SHA_A }),
  ],
  [
    // A KES replica's files step: certificate, key (secret), config in KES's own directory.
    "files/write-files",
    () =>
      writeFilesScript(
        [
          ["tls-cert", "public.crt", "0644"],
          ["tls-key", "private.key", "0640"],
          ["config", "config.yaml", "0640"],
        ].map(([label, file, mode]) => ({
          label: label!,
          path: `/etc/kes/${file}`,
          mode: mode!,
          owner: "root",
          group: "kes",
          dirMode: "0750",
          dirOwner: "root",
          dirGroup: "kes",
          ownDir: true,
        })),
      ),
  ],
  [
    // A MinIO node's config step: the env file and the KES CA, staged.
    "files/write-files-staged",
    () =>
      writeFilesScript([
        { label: "env", path: "/etc/default/minio", mode: "0600", owner: "root", group: "root", stage: true },
        {
          label: "kes-ca",
          path: "/etc/minio/kes/ca.crt",
          mode: "0644",
          owner: "root",
          group: "minio-user",
          dirMode: "0750",
          dirGroup: "minio-user",
          stage: true,
        },
      ]),
  ],
  [
    // A MinIO node's system step: tools, the service user, the drive directories.
    "files/system",
    () =>
      combinedScript("prepare the host for minio-user: tools, system user, drives", [
        {
          label: "user",
          script: ensureServiceUserScript({
            user: "minio-user",
            group: "minio-user",
            home: "/var/lib/minio",
          }),
        },
        {
          label: "drives",
          script: ensureDirectoriesScript({
            paths: ["/var/lib/minio/d1"],
            owner: "minio-user",
            group: "minio-user",
          }),
        },
      ]),
  ],
  [
    "binaries/install-binary-staged",
    () =>
      installBinaryScript({
        destPath: "/usr/local/bin/minio",
        sha256: SHA_A,
        url: "https://downloads.example.net/minio/minio-linux-amd64",
        stage: true,
      }),
  ],
  ["files/remove-file", () => removeFileScript({ path: "/etc/kes/kes.env.old" })],
  ["systemd/install-unit", () => installUnitScript({ unitName: "kes.service" })],
  ["systemd/install-unit-staged", () => installUnitScript({ unitName: "minio.service", stage: true })],
  [
    "health/service-stop",
    () =>
      serviceStopScript({
        unit: "minio.service",
        timeoutSeconds: 120,
        staged: ["/etc/default/minio", "/usr/local/bin/minio", "/etc/systemd/system/minio.service"],
      }),
  ],
  [
    "health/cluster-ready",
    () =>
      clusterReadyScript({
        unit: "minio.service",
        nodes: [
          { name: "minio1", baseUrl: "https://10.0.0.11:9000" },
          { name: "minio2", baseUrl: "https://[2001:db8::12]:9000" },
        ],
        caFile: "/etc/minio/certs/CAs/ca.crt",
        timeoutSeconds: 120,
      }),
  ],
  [
    "health/service-action-kes-start",
    () =>
      serviceActionScript({
        unit: "kes.service",
        action: "start",
        timeoutSeconds: 60,
        health: {
          kind: "kes",
          url: "https://kes1.example.net:7373/v1/ready",
          caFile: "/etc/kes/certs/ca.crt",
          connectTo: "127.0.0.1:7373",
        },
      }),
  ],
  [
    "health/service-action-kes-reload",
    () =>
      serviceActionScript({
        unit: "kes.service",
        action: "reload",
        timeoutSeconds: 30,
        health: {
          kind: "kes",
          url: "https://kes1.example.net:7373/v1/ready",
          caFile: "/etc/kes/certs/ca.crt",
        },
      }),
  ],
  [
    "health/service-action-minio-restart",
    () =>
      serviceActionScript({
        unit: "minio.service",
        action: "restart",
        timeoutSeconds: 120,
        health: {
          kind: "minio",
          baseUrl: "https://minio1.example.net:9000",
          caFile: "/etc/minio/certs/CAs/ca.crt",
          connectTo: "127.0.0.1:9000",
        },
      }),
  ],
  ["mc/mc-key-create", () => mcKeyCreateScript({ target: TARGET_ENVFILE, keyName: "minio-bucket-data" })],
  [
    "mc/mc-bucket-sse-kms",
    () =>
      mcBucketScript({
        target: TARGET_ENVFILE,
        bucket: "data",
        algorithm: "sse-kms",
        keyName: "minio-bucket-data",
        verify: true,
      }),
  ],
  [
    "mc/mc-buckets",
    () =>
      mcBucketsScript({
        target: TARGET_ENVFILE,
        buckets: [
          { bucket: "data", algorithm: "sse-kms", keyName: "minio-bucket-data", verify: true },
          { bucket: "logs", algorithm: "sse-s3", verify: false },
        ],
      }),
  ],
  [
    "mc/mc-bucket-sse-s3",
    () =>
      mcBucketScript({
        target: { ...TARGET_ENVFILE, caFile: undefined, credentials: { from: "stdin" } },
        bucket: "logs",
        algorithm: "sse-s3",
        verify: false,
      }),
  ],
];

describe("golden scripts", () => {
  for (const [name, render] of goldens) {
    it(`${name} matches its golden file and passes shellcheck`, () => {
      const text = render();
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      expect(text).toContain("\nset -euo pipefail\n");
      expect(text.endsWith("\n")).toBe(true);
      expectGolden(`scripts/${name}.sh`, text);
      const sc = shellcheck([goldenPath(`scripts/${name}.sh`)]);
      expect(sc.out).toBe("");
      expect(sc.code).toBe(0);
    });
  }

  it("variants of every script pass shellcheck", () => {
    const variants = [
      installBinaryScript({ destPath: "/opt/x-y/bin/kes", sha256: SHA_A, url: "file:///tmp/kes" }),
      installBinaryScript({ destPath: "/opt/x-y/bin/kes", sha256: SHA_A, urlOnStdin: true }),
      checkPreinstalledBinaryScript({ path: "/usr/local/bin/kes" }),
      writeOne({ path: "/etc/default/minio", mode: "600", owner: "minio-user", group: "minio-user" }),
      writeOne({
        path: "/etc/it-s.here/f",
        mode: "0644",
        owner: "root",
        group: "root",
        dirOwner: "kes",
      }),
      installUnitScript({ unitName: "minio.service", unitDir: "/usr/local/lib/systemd/system" }),
      ...(["start", "restart", "reload", "none"] as const).flatMap((action) => [
        serviceActionScript({
          unit: "kes.service",
          action,
          timeoutSeconds: 5,
          health: { kind: "kes", url: "https://kes.example.net:7373/v1/ready", caFile: "/etc/kes/ca.crt" },
        }),
        serviceActionScript({
          unit: "minio.service",
          action,
          timeoutSeconds: 5,
          health: { kind: "minio", baseUrl: "http://127.0.0.1:9000" },
        }),
      ]),
      mcKeyCreateScript({ target: { ...TARGET_ENVFILE, credentials: { from: "stdin" } }, keyName: "k1" }),
      mcBucketScript({ target: TARGET_ENVFILE, bucket: "a.b-c", algorithm: "sse-s3", verify: true }),
      mcBucketScript({
        target: TARGET_ENVFILE,
        bucket: "data",
        algorithm: "sse-kms",
        keyName: "k_1",
        verify: false,
      }),
    ];
    for (const v of variants) {
      const sc = shellcheck(["-"], v);
      expect(sc.out, v).toBe("");
      expect(sc.code).toBe(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// shell.ts

describe("shQuote", () => {
  it("round-trips arbitrary strings through bash", () => {
    for (const s of [
      "",
      "plain",
      "it's",
      "'",
      "''",
      'a"b',
      "$HOME `id` $(id) \\ !",
      "a\nb",
      " lead",
      "é ü",
    ]) {
      const r = run(`printf '%s' ${shQuote(s)}`);
      expect(r.stdout).toBe(s);
    }
  });

  it("bashCommand runs a script through bash -c", () => {
    const r = spawnSync("sh", ["-c", bashCommand('echo "it\'s $((1 + 1))"')], { encoding: "utf8" });
    expect(r.stdout).toBe("it's 2\n");
  });
});

// ---------------------------------------------------------------------------------------------
// writeFilesScript / removeFileScript

/** One file written by writeFilesScript (labelled `f`), and its stdin. */
const writeOne = (a: WriteFileArgs) => writeFilesScript([{ label: "f", ...a }]);
const one = (content: string) => encodeFilesStdin([content]);

describe("writeFilesScript, one file", () => {
  it("creates, keeps, replaces and re-owns a file atomically without printing its content", () => {
    const base = freshDir("write");
    const dir = join(base, "etc", "kes");
    const path = join(dir, "kes.env");
    const secret = "KES_VAULT_SECRET='s3cr3t-value-XYZ'\n";
    const script = writeOne({ path, mode: "0640", owner: "root", group: "root", dirMode: "0750" });

    let r = run(script, { input: one(secret) });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("f: changed\n");
    expect(readFileSync(path, "utf8")).toBe(secret);
    expect(modeOf(path)).toBe(0o640);
    expect(modeOf(dir)).toBe(0o750);
    expect(statSync(path).uid).toBe(0);

    r = run(script, { input: one(secret) });
    expect(r.stdout).toBe("f: unchanged\n");

    r = run(script, { input: one("OTHER=1\n") });
    expect(r.stdout).toBe("f: changed\n");
    expect(readFileSync(path, "utf8")).toBe("OTHER=1\n");

    r = run(writeOne({ path, mode: "0600", owner: "root", group: "root" }), { input: one("OTHER=1\n") });
    expect(r.stdout).toBe("f: changed\n");
    expect(modeOf(path)).toBe(0o600);

    r = run(writeOne({ path, mode: "0600", owner: "nobody", group: "nogroup" }), {
      input: one("OTHER=1\n"),
    });
    expect(r.stdout).toBe("f: changed\n");
    expect(statSync(path).uid).toBe(65534);
    expect(statSync(path).gid).toBe(65534);

    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain("s3cr3t");
    expect(readdirSync(dir)).toEqual(["kes.env"]);
  });

  it("replaces a symlink instead of writing through it, and refuses a directory", () => {
    const base = freshDir("write-link");
    const target = join(base, "target");
    writeFileSync(target, "data\n");
    const link = join(base, "link");
    spawnSync("ln", ["-s", target, link]);
    const r = run(writeOne({ path: link, mode: "0644", owner: "root", group: "root" }), {
      input: one("data\n"),
    });
    expect(r.stdout).toBe("f: changed\n");
    expect(readFileSync(target, "utf8")).toBe("data\n");
    expect(statSync(link).isFile()).toBe(true);

    mkdirSync(join(base, "adir"));
    const bad = run(writeOne({ path: join(base, "adir"), mode: "0644", owner: "root", group: "root" }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("is a directory");
  });

  it("with stage, leaves the live file alone and writes the staged copy; a live file already right removes an older staged copy", () => {
    const dir = freshDir("write-staged");
    const path = join(dir, "minio");
    const staged = join(dir, ".minio.staged");
    writeFileSync(path, "OLD=1\n");
    chmodSync(path, 0o600);
    const script = writeOne({ path, mode: "0600", owner: "root", group: "root", stage: true });
    let r = run(script, { input: one("NEW=1\n") });
    expect(r.stderr).toBe("");
    // The time makes every run that stages print something new (the service step's triggers).
    expect(r.stdout).toMatch(/^f: staged [0-9]{19}\n$/);
    expect(readFileSync(path, "utf8")).toBe("OLD=1\n");
    expect(readFileSync(staged, "utf8")).toBe("NEW=1\n");
    expect(modeOf(staged)).toBe(0o600);
    // Back to what is live (a change reverted before the restart made it live): nothing stays staged.
    r = run(script, { input: one("OLD=1\n") });
    expect(r.stdout).toBe("f: unchanged\n");
    expect(readdirSync(dir)).toEqual(["minio"]);
    // A directory where the staged copy goes fails, naming it; the live file stays.
    mkdirSync(staged);
    r = run(script, { input: one("NEW=1\n") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${staged} is a directory; remove it`);
    expect(readFileSync(path, "utf8")).toBe("OLD=1\n");
  });

  it("fails clearly for an unknown owner and leaves no temp file", () => {
    const dir = freshDir("write-bad");
    const r = run(writeOne({ path: join(dir, "f"), mode: "0644", owner: "no-such-user", group: "root" }), {
      input: one("x"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("user no-such-user does not exist");
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("writeFilesScript, several files", () => {
  it("writes each file from its own line of stdin, in order, and names each in its output", () => {
    const dir = freshDir("write-many");
    const [a, b, c] = ["a", "b", "c"].map((n) => join(dir, n)) as [string, string, string];
    writeFileSync(b, "B-live\n");
    chmodSync(b, 0o600);
    const script = writeFilesScript([
      { label: "first", path: a, mode: "0640", owner: "root", group: "root" },
      { label: "second", path: b, mode: "0600", owner: "root", group: "root", stage: true },
      { label: "third", path: c, mode: "0644", owner: "root", group: "root" },
    ]);
    // No trailing newline, an empty file, and bytes a shell would otherwise mangle.
    const contents = ["A secret, no newline", "B-new\n\t'$(x)'\n", ""];
    const r = run(script, { input: encodeFilesStdin(contents) });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^first: changed\nsecond: staged [0-9]{19}\nthird: changed\n$/);
    expect(readFileSync(a, "utf8")).toBe(contents[0]);
    expect(readFileSync(b, "utf8")).toBe("B-live\n");
    expect(readFileSync(join(dir, ".b.staged"), "utf8")).toBe(contents[1]);
    expect(readFileSync(c, "utf8")).toBe("");
    expect(modeOf(a)).toBe(0o640);
    expect(r.stdout).not.toContain("secret");
    const again = run(script, { input: encodeFilesStdin(["A secret, no newline", "B-live\n", ""]) });
    expect(again.stdout).toBe("first: unchanged\nsecond: unchanged\nthird: unchanged\n");
    expect(readdirSync(dir).sort()).toEqual(["a", "b", "c"]);
  });

  it("stops at the first file it cannot write, and says which; a short stdin fails before writing", () => {
    const dir = freshDir("write-many-bad");
    mkdirSync(join(dir, "adir"));
    const files = [
      { label: "first", path: join(dir, "ok"), mode: "0644", owner: "root", group: "root" },
      { label: "second", path: join(dir, "adir"), mode: "0644", owner: "root", group: "root" },
      { label: "third", path: join(dir, "never"), mode: "0644", owner: "root", group: "root" },
    ];
    const r = run(writeFilesScript(files), { input: encodeFilesStdin(["1", "2", "3"]) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "adir")} is a directory`);
    expect(r.stdout).toBe("first: changed\n");
    expect(existsSync(join(dir, "never"))).toBe(false);
    const short = run(writeFilesScript(files.slice(2)), { input: "" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain(`stdin ended before the content of ${join(dir, "never")}`);
    expect(readdirSync(dir).sort()).toEqual(["adir", "ok"]);
  });

  it("refuses a path written twice and an odd label", () => {
    const f = { label: "x", path: "/etc/x", mode: "0644", owner: "root", group: "root" };
    expect(() => writeFilesScript([f, { ...f, label: "y" }])).toThrow(/\/etc\/x is written twice/);
    expect(() => writeFilesScript([{ ...f, label: "X y" }])).toThrow(/label: invalid/);
    expect(() => writeFilesScript([])).toThrow(/must not be empty/);
  });
});

describe("combinedScript", () => {
  it("runs each part in order, prints each one's output under its label, and stops at the first failure", () => {
    const dir = freshDir("combined");
    const part = (name: string, code: number) =>
      `#!/usr/bin/env bash\n# pulumi-minio-kes: part ${name}\nset -euo pipefail\necho ${name} >>${shQuote(join(dir, "log"))}\necho did-${name}\nexit ${code}\n`;
    const ok = run(
      combinedScript("both parts", [
        { label: "one", script: part("one", 0) },
        { label: "two", script: part("two", 0) },
      ]),
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("one: did-one\ntwo: did-two\n");
    const bad = run(
      combinedScript("second fails", [
        { label: "one", script: part("one", 3) },
        { label: "two", script: part("two", 0) },
      ]),
    );
    expect(bad.code).toBe(3);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("one\ntwo\none\n");
  });
});

describe("removeFileScript", () => {
  it("removes a file, reports absent afterwards, refuses directories", () => {
    const dir = freshDir("rm");
    const path = join(dir, "old.env");
    writeFileSync(path, "x");
    expect(run(removeFileScript({ path })).stdout).toBe("removed\n");
    expect(existsSync(path)).toBe(false);
    expect(run(removeFileScript({ path })).stdout).toBe("absent\n");
    const r = run(removeFileScript({ path: dir }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is a directory");
  });
});

// ---------------------------------------------------------------------------------------------
// Binaries

describe("installBinaryScript", () => {
  it("installs from a file:// URL, is idempotent, and never replaces on checksum mismatch", () => {
    const base = freshDir("bin-url");
    const v1 = "#!/bin/sh\necho v1\n";
    const v2 = "#!/bin/sh\necho v2\n";
    writeFileSync(join(base, "kes-v1"), v1);
    writeFileSync(join(base, "kes-v2"), v2);
    const destDir = join(base, "usr", "local", "bin");
    const dest = join(destDir, "kes");

    const script1 = installBinaryScript({ destPath: dest, sha256: sha256(v1), url: `file://${base}/kes-v1` });
    let r = run(script1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("installed\n");
    expect(readFileSync(dest, "utf8")).toBe(v1);
    expect(modeOf(dest)).toBe(0o755);

    chmodSync(dest, 0o700);
    r = run(script1);
    expect(r.stdout).toBe("unchanged\n");
    expect(modeOf(dest)).toBe(0o755);

    // v2 downloaded, but the configured digest is of something else.
    const wrong = sha256("something else");
    r = run(installBinaryScript({ destPath: dest, sha256: wrong, url: `file://${base}/kes-v2` }));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`expected sha256 ${wrong}, got ${sha256(v2)}`);
    expect(r.stderr).toContain("left unchanged");
    expect(readFileSync(dest, "utf8")).toBe(v1);
    expect(readdirSync(destDir)).toEqual(["kes"]);

    // A failed download also leaves everything as it was.
    r = run(installBinaryScript({ destPath: dest, sha256: sha256(v2), url: `file://${base}/missing` }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("download of");
    expect(readFileSync(dest, "utf8")).toBe(v1);
    expect(readdirSync(destDir)).toEqual(["kes"]);
  });

  it("takes a secret (presigned) URL on stdin: curl gets it through --config -, so no argv and no error shows it", async () => {
    const base = freshDir("bin-secret-url");
    const v1 = "#!/bin/sh\necho v1\n";
    writeFileSync(join(base, "kes"), v1);
    // A server in its own process (the scripts run with spawnSync, which blocks this one): the
    // binary with the right signature, 403 otherwise, like an expired presigned URL.
    const server = spawn(
      process.execPath,
      [
        "-e",
        `const fs=require("fs");require("http").createServer((q,r)=>{if(q.url==="/kes?X-Amz-Signature=s3cr3t-sig"){r.end(fs.readFileSync(${JSON.stringify(join(base, "kes"))}))}else{r.statusCode=403;r.end("expired")}}).listen(0,"127.0.0.1",function(){console.log(this.address().port)})`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const port = await new Promise<string>((res) =>
        server.stdout!.once("data", (d) => res(String(d).trim())),
      );
      // curl wrapped to record its command line.
      const fake = freshDir("bin-secret-url-path");
      const argvLog = join(base, "argv.log");
      writeExec(
        join(fake, "curl"),
        `#!/bin/sh\nprintf '%s\\n' "$*" >>${shQuote(argvLog)}\nexec ${shQuote(spawnSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).stdout.trim())} "$@"\n`,
      );
      const dest = join(base, "usr", "local", "bin", "kes");
      const script = installBinaryScript({ destPath: dest, sha256: sha256(v1), urlOnStdin: true });
      expect(script).not.toContain("s3cr3t");
      const url = `http://127.0.0.1:${port}/kes?X-Amz-Signature=s3cr3t-sig`;
      let r = run(script, { input: `${url}\n`, path: fake });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("installed\n");
      expect(readFileSync(dest, "utf8")).toBe(v1);
      rmSync(dest);
      r = run(script, { input: `${url.replace("s3cr3t-sig", "s3cr3t-old")}\n`, path: fake });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("download from the secret URL failed (not shown)");
      expect(`${r.stdout}${r.stderr}`).not.toContain("s3cr3t");
      const argv = readFileSync(argvLog, "utf8");
      expect(argv).toContain("--config -");
      expect(argv).not.toContain("s3cr3t");
      r = run(script, { input: "\n", path: fake });
      expect(r.stderr).toContain("no http(s) download URL on stdin");
    } finally {
      server.kill();
    }
  });

  it("makes the upload directory private to the SSH user, replacing whatever another account put there", () => {
    const base = freshDir("upload-dir");
    const dir = join(base, "pulumi-minio-kes-upload");
    const script = uploadDirScript({ dir, owner: "root", file: "kes-1" });
    let r = run(script);
    expect(r.stdout).toBe("changed\n");
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(modeOf(dir)).toBe(0o700);
    expect(run(script).stdout).toBe("unchanged\n");
    // Another account got there first: a link to a directory of root's, then its own directory.
    rmSync(dir, { recursive: true });
    const victim = join(base, "victim");
    mkdirSync(victim, { mode: 0o755 });
    symlinkSync(victim, dir);
    lchownSync(dir, 65534, 65534);
    r = run(script);
    expect(r.stdout).toBe("changed\n");
    expect(lstatSync(dir).isSymbolicLink()).toBe(false);
    expect(modeOf(victim)).toBe(0o755);
    expect(existsSync(victim)).toBe(true);
    rmSync(dir, { recursive: true });
    mkdirSync(dir, { mode: 0o777 });
    chownSync(dir, 65534, 65534);
    writeFileSync(join(dir, "minio-planted"), "x");
    r = run(script);
    expect(r.stdout).toBe("changed\n");
    expect(statSync(dir).uid).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("two upload-dir steps at once on one host (KES's and MinIO's) both succeed", async () => {
    const base = freshDir("upload-dir-race");
    const dir = join(base, "pulumi-minio-kes-upload");
    for (let round = 0; round < 100; round++) {
      rmSync(dir, { recursive: true, force: true });
      const both = await Promise.all(
        ["kes-1", "minio-1"].map(
          (file) =>
            new Promise<number | null>((res) => {
              const p = spawn("bash", ["-c", uploadDirScript({ dir, owner: "root", file })], {
                stdio: "ignore",
              });
              p.on("close", res);
            }),
        ),
      );
      expect(both, `round ${round}`).toEqual([0, 0]);
    }
  });

  it("installs an uploaded file and removes the upload, also on a mismatch (then nothing is replaced)", () => {
    const base = freshDir("bin-up");
    const dest = join(base, "bin", "minio");
    const upload = join(base, "upload", "minio");
    mkdirSync(join(base, "upload"));
    const v1 = "#!/bin/sh\necho minio v1\n";
    const v2 = "#!/bin/sh\necho minio v2\n";

    writeFileSync(upload, v1);
    let r = run(
      installBinaryScript({ destPath: dest, sha256: sha256(v1), uploadedPath: upload, mode: "0750" }),
    );
    expect(r.stdout).toBe("installed\n");
    expect(readFileSync(dest, "utf8")).toBe(v1);
    expect(modeOf(dest)).toBe(0o750);
    expect(existsSync(upload)).toBe(false);

    // Same digest again: unchanged, and a leftover upload is cleaned up.
    writeFileSync(upload, v1);
    r = run(installBinaryScript({ destPath: dest, sha256: sha256(v1), uploadedPath: upload, mode: "0750" }));
    expect(r.stdout).toBe("unchanged\n");
    expect(existsSync(upload)).toBe(false);

    // Upload with the wrong content (damaged on the way: the local file was checked): nothing
    // replaced, the upload removed, and the error says how to copy it again.
    writeFileSync(upload, v2);
    const want = sha256("the release the user configured");
    r = run(installBinaryScript({ destPath: dest, sha256: want, uploadedPath: upload }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`expected sha256 ${want}, got ${sha256(v2)}`);
    expect(r.stderr).toContain("copy it again with pulumi up --replace on the upload step");
    expect(readFileSync(dest, "utf8")).toBe(v1);
    expect(existsSync(upload)).toBe(false);
    expect(readdirSync(join(base, "bin"))).toEqual(["minio"]);

    // Missing upload: clear error.
    r = run(installBinaryScript({ destPath: dest, sha256: sha256(v2), uploadedPath: upload }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is missing");
  });
});

describe("checkPreinstalledBinaryScript", () => {
  it("accepts an executable with the right digest and explains every failure", () => {
    const dir = freshDir("check");
    const path = join(dir, "minio");
    const body = "#!/bin/sh\n";
    writeExec(path, body);
    let r = run(checkPreinstalledBinaryScript({ path, sha256: sha256(body) }));
    expect(r.stdout).toBe(`ok sha256=${sha256(body)}\n`);
    r = run(checkPreinstalledBinaryScript({ path }));
    expect(r.stdout).toBe(`ok sha256=${sha256(body)}\n`);

    r = run(checkPreinstalledBinaryScript({ path, sha256: SHA_A }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`has sha256 ${sha256(body)}, expected ${SHA_A}`);

    chmodSync(path, 0o644);
    r = run(checkPreinstalledBinaryScript({ path }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not executable");

    r = run(checkPreinstalledBinaryScript({ path: join(dir, "kes") }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });
});

// ---------------------------------------------------------------------------------------------
// Service user and unit (fake system tools on PATH)

describe("ensureServiceUserScript", () => {
  it("creates group, user and home once, then reports unchanged", () => {
    const base = freshDir("user");
    const fake = join(base, "fakebin");
    mkdirSync(fake);
    const log = join(base, "calls.log");
    writeExec(join(fake, "getent"), `#!/bin/sh\n[ "$FAKE_EXISTS" = 1 ] && exit 0\nexit 2\n`);
    for (const tool of ["groupadd", "useradd", "chown"]) {
      writeExec(join(fake, tool), `#!/bin/sh\necho "${tool} $*" >>${shQuote(log)}\n`);
    }
    const home = join(base, "var", "lib", "kes");
    const script = ensureServiceUserScript({ user: "kes", group: "kes", home });

    let r = run(script, { path: fake, env: { FAKE_EXISTS: "0" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("changed\n");
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls).toEqual([
      "groupadd --system kes",
      `useradd --system --no-create-home --gid kes --home-dir ${home} --shell /usr/sbin/nologin kes`,
      `chown -- kes:kes ${home}`,
    ]);
    expect(modeOf(home)).toBe(0o750);

    rmSync(log);
    r = run(script, { path: fake, env: { FAKE_EXISTS: "1" } });
    expect(r.stdout).toBe("unchanged\n");
    expect(existsSync(log)).toBe(false);
  });
});

describe("installUnitScript", () => {
  it("writes the unit, reloads systemd only on change, always enables", () => {
    const base = freshDir("unit");
    const fake = join(base, "fakebin");
    mkdirSync(fake);
    const log = join(base, "systemctl.log");
    writeExec(
      join(fake, "systemctl"),
      `#!/bin/sh\necho "$*" >>${shQuote(log)}\ncase "$*" in *NeedDaemonReload*) echo "\${FAKE_NEED_RELOAD:-no}" ;; esac\n`,
    );
    const unitDir = join(base, "systemd", "system");
    const script = installUnitScript({ unitName: "kes.service", unitDir });
    const unitText = "[Unit]\nDescription=KES\n\n[Service]\nExecStart=/usr/local/bin/kes server\n";

    let r = run(script, { input: unitText, path: fake });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("changed\n");
    expect(readFileSync(join(unitDir, "kes.service"), "utf8")).toBe(unitText);
    expect(modeOf(join(unitDir, "kes.service"))).toBe(0o644);
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
      "daemon-reload",
      "enable --quiet kes.service",
    ]);

    rmSync(log);
    r = run(script, { input: unitText, path: fake });
    expect(r.stdout).toBe("unchanged\n");
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
      "show -p NeedDaemonReload --value kes.service",
      "enable --quiet kes.service",
    ]);

    rmSync(log);
    r = run(script, { input: unitText, path: fake, env: { FAKE_NEED_RELOAD: "yes" } });
    expect(r.stdout).toBe("unchanged\n");
    expect(readFileSync(log, "utf8")).toContain("daemon-reload\n");
  });
});

// ---------------------------------------------------------------------------------------------
// serviceActionScript with fake systemctl / curl / journalctl

describe("serviceActionScript (fake systemd and curl)", () => {
  let fake: string;
  let base: string;
  beforeAll(() => {
    base = freshDir("svc");
    fake = join(base, "fakebin");
    mkdirSync(fake);
    // State lives in $FAKE_DIR/state; start/restart make the unit active and bump the invocation
    // unless FAKE_STICKY_INVOCATION=1.
    writeExec(
      join(fake, "systemctl"),
      `#!/usr/bin/env bash
echo "$*" >>"$FAKE_DIR/systemctl.log"
state=$(cat "$FAKE_DIR/state" 2>/dev/null || echo inactive)
case "$1" in
  is-active)
    [ "$2" = --quiet ] || echo "$state"
    [ "$state" = active ] || exit 3
    ;;
  stop)
    echo "\${FAKE_STATE_AFTER_STOP:-inactive}" >"$FAKE_DIR/state"
    ;;
  start | restart)
    echo "\${FAKE_STATE_AFTER_START:-active}" >"$FAKE_DIR/state"
    if [ "\${FAKE_STICKY_INVOCATION:-0}" != 1 ]; then echo new >>"$FAKE_DIR/invocations"; fi
    ;;
  show)
    case "$*" in
      *InvocationID*) wc -l <"$FAKE_DIR/invocations" 2>/dev/null || echo 0 ;;
      *CanReload*) echo "\${FAKE_CAN_RELOAD:-no}" ;;
    esac
    ;;
esac
`,
    );
    writeExec(
      join(fake, "curl"),
      `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/curl.log"
url=\${*: -1}
case $url in
  */minio/health/live) code=\${FAKE_LIVE:-000} ;;
  */minio/health/ready) code=\${FAKE_READY:-000} ;;
  *) code=\${FAKE_CODE:-000} ;;
esac
if [ "$code" = 000 ]; then
  echo "curl: (7) Failed to connect to 127.0.0.1 port 7373 after 0 ms: Couldn't connect to server" >&2
  printf '\\n000'
  exit 7
fi
printf '\\n%s' "$code"
`,
    );
    writeExec(join(fake, "journalctl"), `#!/bin/sh\necho "JOURNAL-TAIL $*"\n`);
  });

  function runSvc(
    script: string,
    env: Record<string, string>,
    initialState = "inactive",
  ): RunResult & { systemctl: string[]; curl: string } {
    const d = mkdtempSync(join(base, "case-"));
    writeFileSync(join(d, "state"), `${initialState}\n`);
    writeFileSync(join(d, "invocations"), "old\n");
    const r = run(script, { path: fake, env: { FAKE_DIR: d, ...env } });
    const sys = existsSync(join(d, "systemctl.log")) ? readFileSync(join(d, "systemctl.log"), "utf8") : "";
    const curl = existsSync(join(d, "curl.log")) ? readFileSync(join(d, "curl.log"), "utf8") : "";
    return { ...r, systemctl: sys.trim().split("\n"), curl };
  }

  const kes = (action: "start" | "restart" | "reload" | "none", timeoutSeconds = 2) =>
    serviceActionScript({
      unit: "kes.service",
      action,
      timeoutSeconds,
      health: {
        kind: "kes",
        url: "https://kes1.example.net:7373/v1/ready",
        caFile: "/etc/kes/certs/ca.crt",
        connectTo: "127.0.0.1:7373",
      },
    });

  it("times out when KES never answers: says so, prints the journal tail, exits 1", () => {
    const r = runSvc(kes("start"), {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error: kes.service is not healthy after 2s: KES is not answering on");
    expect(r.stderr).toContain("Couldn't connect to server");
    expect(r.stderr).toContain("skip_auth");
    expect(r.stderr).toContain("JOURNAL-TAIL -u kes.service -n 30 --no-pager");
    expect(r.systemctl).toContain("start --no-block kes.service");
    expect(r.curl).toContain(
      "--cacert /etc/kes/certs/ca.crt --connect-to ::127.0.0.1:7373 https://kes1.example.net:7373/v1/ready",
    );
  });

  it("explains a sealed keystore (504)", () => {
    const r = runSvc(kes("none"), { FAKE_CODE: "504" }, "active");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "the keystore is unreachable or sealed (for Vault: unseal it, then run 'pulumi up' again)",
    );
    expect(r.stderr).toContain("JOURNAL-TAIL");
  });

  it("succeeds with one short line when healthy, without restarting an active unit on start", () => {
    let r = runSvc(kes("start"), { FAKE_CODE: "200" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ready: kes.service (started)\n");
    r = runSvc(kes("start"), { FAKE_CODE: "200" }, "active");
    expect(r.stdout).toBe("ready: kes.service (already running)\n");
    expect(r.systemctl.some((l) => /^(start|restart)/.test(l))).toBe(false);
  });

  it("reload sends SIGHUP when the unit has no ExecReload, and starts an inactive unit", () => {
    let r = runSvc(kes("reload"), { FAKE_CODE: "200" }, "active");
    expect(r.stdout).toBe("ready: kes.service (reloaded)\n");
    expect(r.systemctl).toContain("kill --signal=HUP --kill-who=main kes.service");
    r = runSvc(kes("reload"), { FAKE_CODE: "200", FAKE_CAN_RELOAD: "yes" }, "active");
    expect(r.systemctl).toContain("reload kes.service");
    r = runSvc(kes("reload"), { FAKE_CODE: "200" }, "inactive");
    expect(r.stdout).toBe("ready: kes.service (started)\n");
  });

  it("after restart, a healthy answer only counts from a new invocation", () => {
    let r = runSvc(kes("restart"), { FAKE_CODE: "200" }, "active");
    expect(r.stdout).toBe("ready: kes.service (restarted)\n");
    r = runSvc(kes("restart"), { FAKE_CODE: "200", FAKE_STICKY_INVOCATION: "1" }, "active");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("kes.service has not restarted yet");
  });

  it("fails fast when the unit is failed", () => {
    const t0 = Date.now();
    const r = runSvc(kes("start", 20), { FAKE_STATE_AFTER_START: "failed" });
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stderr).toContain("error: kes.service failed.");
    expect(r.stderr).toContain("JOURNAL-TAIL");
  });

  it("MinIO: a failing /minio/health/ready is reported as MinIO not being able to use KES", () => {
    const script = serviceActionScript({
      unit: "minio.service",
      action: "restart",
      timeoutSeconds: 2,
      health: { kind: "minio", baseUrl: "http://127.0.0.1:9000/" },
    });
    let r = runSvc(script, { FAKE_LIVE: "200", FAKE_READY: "503" }, "active");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HTTP 503 on http://127.0.0.1:9000/minio/health/ready");
    expect(r.stderr).toContain("MinIO cannot use KES");
    expect(r.stderr).toContain("JOURNAL-TAIL -u minio.service");
    r = runSvc(script, { FAKE_LIVE: "200", FAKE_READY: "200" }, "active");
    expect(r.stdout).toBe("ready: minio.service (restarted)\n");
  });

  const node = (action: "restart" | "start", promote?: { paths: string[]; unitFile?: string }) =>
    serviceActionScript({
      unit: "minio.service",
      action,
      timeoutSeconds: 2,
      health: { kind: "minio", baseUrl: "http://127.0.0.1:9000", liveOnly: true },
      promote,
    });

  it("a distributed node passes once it runs and answers, while systemd still shows it activating (its peers are not up)", () => {
    // Type=notify: MinIO tells systemd it is ready only once its peers answer. Before the fix
    // the step waited for `active`, so nodes beyond --parallel never got started.
    const r = runSvc(node("restart"), { FAKE_STATE_AFTER_START: "activating", FAKE_LIVE: "200" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ready: minio.service (restarted)\n");
    // Not running at all is still a failure, with the startup hint.
    const down = runSvc(node("restart"), { FAKE_STATE_AFTER_START: "activating", FAKE_LIVE: "000" });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("MinIO is not answering on http://127.0.0.1:9000");
  });

  it("makes the staged files live before the restart, reloads systemd for a staged unit, and refuses a staged directory", () => {
    const d = freshDir("promote");
    const env = join(d, "minio.env");
    const unit = join(d, "minio.service");
    writeFileSync(env, "OLD=1\n");
    writeFileSync(join(d, ".minio.env.staged"), "NEW=1\n");
    writeFileSync(join(d, ".minio.service.staged"), "[Unit]\n");
    const r = runSvc(node("restart", { paths: [env, unit], unitFile: unit }), { FAKE_LIVE: "200" }, "active");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`made live: ${env} ${unit}\nready: minio.service (restarted)\n`);
    expect(readFileSync(env, "utf8")).toBe("NEW=1\n");
    expect(readFileSync(unit, "utf8")).toBe("[Unit]\n");
    expect(readdirSync(d).sort()).toEqual(["minio.env", "minio.service"]);
    // The reload and enable come before the restart.
    expect(r.systemctl.slice(0, 2)).toEqual(["daemon-reload", "enable --quiet minio.service"]);
    expect(r.systemctl).toContain("restart --no-block minio.service");

    // Nothing staged and MinIO running: nothing made live, no reload, no restart (the step also
    // runs after a run that staged nothing new for this node).
    const again = runSvc(
      node("restart", { paths: [env, unit], unitFile: unit }),
      { FAKE_LIVE: "200" },
      "active",
    );
    expect(again.stdout).toBe("ready: minio.service (running; nothing of it changed)\n");
    expect(again.systemctl).not.toContain("daemon-reload");
    expect(again.systemctl).not.toContain("restart --no-block minio.service");
    // Nothing staged but MinIO not running: it is started.
    const down = runSvc(
      node("restart", { paths: [env, unit], unitFile: unit }),
      { FAKE_LIVE: "200" },
      "inactive",
    );
    expect(down.stdout).toBe("ready: minio.service (restarted)\n");
    // An update (start) whose files were made live restarts a unit that is still activating too.
    writeFileSync(join(d, ".minio.env.staged"), "NEW2=1\n");
    const activating = runSvc(node("start", { paths: [env] }), { FAKE_LIVE: "200" }, "activating");
    expect(activating.systemctl).toContain("restart --no-block minio.service");

    // An update (start) whose files were just made live restarts a running unit.
    writeFileSync(join(d, ".minio.env.staged"), "NEWER=1\n");
    const start = runSvc(node("start", { paths: [env] }), { FAKE_LIVE: "200" }, "active");
    expect(start.stdout).toBe(`made live: ${env}\nready: minio.service (restarted: its files changed)\n`);
    expect(start.systemctl).toContain("restart --no-block minio.service");

    mkdirSync(join(d, ".minio.env.staged"));
    const bad = runSvc(node("restart", { paths: [env] }), { FAKE_LIVE: "200" }, "active");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`error: ${d}/.minio.env.staged is not a regular file; remove it`);
    expect(bad.systemctl).not.toContain("restart --no-block minio.service");
  });

  it("the stop step stops a running unit that has staged files and waits until it is inactive; with nothing staged it stops nothing", () => {
    const d = freshDir("stop");
    const env = join(d, "minio.env");
    writeFileSync(env, "OLD=1\n");
    const stop = serviceStopScript({ unit: "minio.service", timeoutSeconds: 1, staged: [env] });
    // Nothing staged (a library upgrade creates this step): the running unit keeps running.
    let r = runSvc(stop, {}, "active");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("unchanged: nothing is staged on this node; minio.service keeps running\n");
    expect(r.systemctl).not.toContain("stop --no-block minio.service");
    writeFileSync(join(d, ".minio.env.staged"), "NEW=1\n");
    r = runSvc(stop, {}, "active");
    expect(r.stdout).toBe(
      "stopped: minio.service (it starts again with its staged files once every node has stopped)\n",
    );
    expect(r.systemctl).toContain("stop --no-block minio.service");
    r = runSvc(stop, {}, "inactive");
    expect(r.stdout).toBe("not running: minio.service (inactive)\n");
    r = runSvc(stop, { FAKE_STATE_AFTER_STOP: "deactivating" }, "active");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("minio.service did not stop within 1s (systemd state: deactivating)");
  });

  const cluster = (timeoutSeconds = 2) =>
    clusterReadyScript({
      unit: "minio.service",
      nodes: [
        { name: "minio1", baseUrl: "http://10.0.0.11:9000" },
        { name: "minio2", baseUrl: "http://10.0.0.12:9000" },
      ],
      timeoutSeconds,
    });

  it("the deployment's gate waits for every node's readiness and names each node that is not ready, and why", () => {
    let r = runSvc(cluster(), { FAKE_READY: "200" }, "active");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ready: all 2 MinIO nodes\n");
    expect(r.curl).toContain("http://10.0.0.12:9000/minio/health/ready");

    r = runSvc(cluster(), { FAKE_LIVE: "200", FAKE_READY: "503" }, "active");
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      "error: not every MinIO node is ready after 2s; fix these, then run pulumi up again:",
    );
    expect(r.stderr).toContain(
      "  - minio1 (http://10.0.0.11:9000) runs but is not ready (HTTP 503 on /minio/health/ready): it waits for enough peers to answer, or cannot use KES",
    );
    expect(r.stderr).toContain("  - minio2 (http://10.0.0.12:9000) runs but is not ready");

    r = runSvc(cluster(), {}, "activating");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("this node's minio.service is activating, not active");
    expect(r.stderr).toContain(
      "  - minio2 (http://10.0.0.12:9000) is not answering: MinIO is not running there",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// mc scripts with a fake mc

describe("mc scripts (fake mc)", () => {
  // Tricky but legal: no ':' (see McTarget docs); quotes, $, backslash, %, @, /, spaces, UTF-8.
  const USER = "root-admin";
  const PASS = `p@ss w/rd%2F+'"$HOME\\\`x\` é#&;`;
  let base: string;
  let mcPath: string;
  let envFile: string;
  let caFile: string;

  beforeAll(() => {
    base = freshDir("mc");
    mcPath = join(base, "mc");
    writeExec(
      mcPath,
      `#!/usr/bin/env bash
{ printf 'ARGV'; printf ' [%s]' "$@"; printf '\\n'; } >>"$FAKE_DIR/argv.log"
printf '%s\\n' "MC_HOST_minio=\${MC_HOST_minio-}" "MC_CONFIG_DIR=\${MC_CONFIG_DIR-}" >>"$FAKE_DIR/env.log"
while [ $# -gt 0 ]; do
  case $1 in
    --config-dir) shift 2 ;;
    --no-color | --json) shift ;;
    *) break ;;
  esac
done
case $1 in
  admin)
    case \${FAKE_MC_KEY:-new} in
      new) exit 0 ;;
      exists) echo "mc: <ERROR> Unable to create a new key. key with given key ID already exits."; exit 1 ;;
      *) echo "mc: <ERROR> Access Denied. (credentials $MC_HOST_minio)"; exit 1 ;;
    esac
    ;;
  mb)
    if [ -n "\${FAKE_MC_SLEEP:-}" ]; then
      touch "$FAKE_DIR/running.$$"
      find "$FAKE_DIR" -maxdepth 1 -name 'running.*' | wc -l >>"$FAKE_DIR/concurrency.log"
      sleep "$FAKE_MC_SLEEP"
      rm -f "$FAKE_DIR/running.$$"
    fi
    echo "Bucket created successfully \\\`$3\\\`."
    ;;
  encrypt)
    case $2 in
      set) exit "\${FAKE_MC_SET_RC:-0}" ;;
      info) printf '%s\\n' "$FAKE_MC_INFO" ;;
    esac
    ;;
  cp) cat "$2" >"$FAKE_DIR/probe-content" ;;
  stat) printf '%s\\n' "$FAKE_MC_STAT" ;;
  rm) echo "Removed \\\`$2\\\`." ;;
esac
exit 0
`,
    );
    envFile = join(base, "minio.env");
    writeFileSync(
      envFile,
      renderEnvFile([
        ["MINIO_VOLUMES", "/data{1...4}"],
        ["MINIO_ROOT_USER", USER],
        ["MINIO_ROOT_PASSWORD", PASS],
        ["MINIO_OPTS", '--console-address ":9001"'],
      ]),
    );
    caFile = join(base, "ca.crt");
    writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
  });

  function target(credentials: McTarget["credentials"] = { from: "envFile", envFile }): McTarget {
    return {
      mcPath,
      alias: "minio",
      url: "https://127.0.0.1:9000",
      configDir: join(base, "mc-config"),
      caFile,
      credentials,
    };
  }

  function runMc(script: string, env: Record<string, string> = {}, input = "") {
    const d = mkdtempSync(join(base, "case-"));
    const r = run(script, { input, env: { FAKE_DIR: d, ...env } });
    const read = (f: string) => (existsSync(join(d, f)) ? readFileSync(join(d, f), "utf8") : "");
    return { ...r, dir: d, argv: read("argv.log"), env: read("env.log"), probe: read("probe-content") };
  }

  function expectNoSecretLeak(r: { stdout: string; stderr: string; argv: string }) {
    for (const s of [r.stdout, r.stderr, r.argv]) {
      expect(s).not.toContain(PASS);
      expect(s).not.toContain("p@ss");
    }
  }

  it("key create: credentials only in MC_HOST_<alias>, exactly two args, CA installed", () => {
    const r = runMc(mcKeyCreateScript({ target: target(), keyName: "minio-data" }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("created\n");
    expect(r.argv.trim()).toBe(
      `ARGV [--config-dir] [${join(base, "mc-config")}] [--no-color] [admin] [kms] [key] [create] [minio] [minio-data]`,
    );
    expectNoSecretLeak(r);
    // mc takes the user info verbatim: no percent-encoding.
    expect(r.env).toContain(`MC_HOST_minio=https://${USER}:${PASS}@127.0.0.1:9000\n`);
    expect(r.env).toContain(`MC_CONFIG_DIR=${join(base, "mc-config")}\n`);
    expect(readFileSync(join(base, "mc-config", "certs", "CAs", "ca.crt"), "utf8")).toContain("fake");
    expect(modeOf(join(base, "mc-config"))).toBe(0o700);
  });

  it("the MC_HOST value parses back to the exact credentials with mc's own rules", () => {
    // mc (cmd/config.go parseEnvURLStr) matches these two patterns, first the session-token
    // form, and takes the groups verbatim (no percent-decoding; minio/mc PR #3456 was declined).
    const hostKeyTokens = /^(https?:\/\/)(.*?):(.*?):(.*)@(.*?)$/;
    const hostKeys = /^(https?:\/\/)(.*?):(.*)@(.*?)$/;
    const r = runMc(mcKeyCreateScript({ target: target(), keyName: "k1" }));
    const value = /^MC_HOST_minio=(.*)$/m.exec(r.env)![1]!;
    expect(hostKeyTokens.test(value)).toBe(false);
    const m = hostKeys.exec(value)!;
    expect([m[1], m[2], m[3], m[4]]).toEqual(["https://", USER, PASS, "127.0.0.1:9000"]);
  });

  it("key create: an existing key is success; other errors fail with mc's message, redacted", () => {
    let r = runMc(mcKeyCreateScript({ target: target(), keyName: "minio-data" }), { FAKE_MC_KEY: "exists" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("exists\n");

    r = runMc(mcKeyCreateScript({ target: target(), keyName: "minio-data" }), { FAKE_MC_KEY: "denied" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("mc admin kms key create minio minio-data failed: mc: <ERROR> Access Denied.");
    expect(r.stderr).toContain("<redacted>");
    expectNoSecretLeak(r);
  });

  it("credentials from stdin: user then password", () => {
    const r = runMc(
      mcKeyCreateScript({ target: target({ from: "stdin" }), keyName: "k1" }),
      {},
      `${USER}\n${PASS}\n`,
    );
    expect(r.stdout).toBe("created\n");
    expect(r.env).toContain(`MC_HOST_minio=https://${USER}:${PASS}@127.0.0.1:9000\n`);
    expectNoSecretLeak(r);
  });

  it("refuses credentials mc cannot carry, and missing credentials, without echoing them", () => {
    let r = runMc(
      mcKeyCreateScript({ target: target({ from: "stdin" }), keyName: "k1" }),
      {},
      "admin\nsec:ret-PW\n",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("contains ':'");
    expect(r.stderr).not.toContain("sec:ret-PW");
    expect(r.argv).toBe("");

    r = runMc(mcKeyCreateScript({ target: target({ from: "stdin" }), keyName: "k1" }), {}, "admin\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("expected two lines on stdin");

    const emptyEnv = join(base, "empty.env");
    writeFileSync(emptyEnv, "MINIO_VOLUMES='/data'\n");
    r = runMc(mcKeyCreateScript({ target: target({ from: "envFile", envFile: emptyEnv }), keyName: "k1" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must both be set in ${emptyEnv}`);
  });

  it("never sources an env file another account owns or can write (a command planted there would run as root)", () => {
    const planted = join(base, "planted.env");
    const pwned = join(base, "pwned");
    writeFileSync(planted, `MINIO_ROOT_USER=$(id -un >${pwned})\nMINIO_ROOT_PASSWORD=x\n`);
    chownSync(planted, 65534, 65534); // nobody, as minio-user owned its env file before
    let r = runMc(
      mcKeyCreateScript({ target: target({ from: "envFile", envFile: planted }), keyName: "k1" }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${planted} is owned by nobody, who could make this root script run commands`);
    expect(existsSync(pwned)).toBe(false);
    chownSync(planted, 0, 0);
    chmodSync(planted, 0o664);
    r = runMc(mcKeyCreateScript({ target: target({ from: "envFile", envFile: planted }), keyName: "k1" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${planted} is writable by its group or others; remove that (chmod go-w ${planted})`,
    );
    expect(existsSync(pwned)).toBe(false);
    const link = join(base, "link.env");
    symlinkSync(envFile, link);
    r = runMc(mcKeyCreateScript({ target: target({ from: "envFile", envFile: link }), keyName: "k1" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${link} is a symbolic link`);
    expect(r.argv).toBe("");
  });

  it("parses the env file, never sources it: even a root-owned one runs nothing, and quoting reads as systemd reads it", () => {
    const file = join(base, "root-owned.env");
    const pwned = join(base, "pwned-by-root-file");
    writeFileSync(
      file,
      [
        "# a comment",
        `MINIO_ROOT_USER=$(touch ${pwned})`,
        "MINIO_ROOT_PASSWORD='first'",
        `export MINIO_ROOT_PASSWORD="pa\\\\s\\"s\\$x\\\`y'z"`,
        "",
      ].join("\n"),
    );
    chownSync(file, 0, 0);
    chmodSync(file, 0o600);
    const r = runMc(mcKeyCreateScript({ target: target({ from: "envFile", envFile: file }), keyName: "k1" }));
    expect(existsSync(pwned)).toBe(false);
    // The last assignment wins; the double-quoted value's escapes are undone, as systemd does.
    expect(r.env).toContain(`://$(touch ${pwned}):pa\\s"s$x\`y'z@`);
  });

  const INFO_KMS = `{\n "op": "info",\n "status": "success",\n "url": "minio/data",\n "encryption": {\n  "algorithm": "aws:kms",\n  "keyId": "minio-data"\n }\n}`;
  const STAT_KMS = [
    "Name      : .pulumi-minio-kes-probe",
    "Date      : 2025-06-01 10:00:00 UTC ",
    "Size      : 34 B   ",
    "ETag      : 0123456789abcdef ",
    "Type      : file ",
    "Encryption: SSE-KMS (arn:aws:kms:minio-data) ",
    "Metadata  :",
    "  Content-Type: application/octet-stream ",
  ].join("\n");

  const bucketKms = (verify: boolean) =>
    mcBucketScript({ target: target(), bucket: "data", algorithm: "sse-kms", keyName: "minio-data", verify });

  it("bucket sse-kms with verification: mb, encrypt set, info, probe object, stat, rm", () => {
    const r = runMc(bucketKms(true), { FAKE_MC_INFO: INFO_KMS, FAKE_MC_STAT: STAT_KMS });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("result: algorithm=sse-kms key=minio-data verified=true\n");
    const cmds = r.argv
      .trim()
      .split("\n")
      .map((l) => l.replace(/^ARGV \[--config-dir\] \[[^\]]*\] \[--no-color\] /, ""));
    expect(cmds[0]).toBe("[mb] [--ignore-existing] [minio/data]");
    expect(cmds[1]).toBe("[encrypt] [set] [sse-kms] [minio-data] [minio/data]");
    expect(cmds[2]).toBe("[--json] [encrypt] [info] [minio/data]");
    expect(cmds[3]).toMatch(/^\[cp\] \[[^\]]+\] \[minio\/data\/\.pulumi-minio-kes-probe\]$/);
    expect(cmds[4]).toBe("[stat] [minio/data/.pulumi-minio-kes-probe]");
    expect(cmds[5]).toBe("[rm] [minio/data/.pulumi-minio-kes-probe]");
    expect(r.probe).toBe("pulumi-minio-kes encryption probe\n");
    expectNoSecretLeak(r);
  });

  it("accepts older mc stat output (X-Amz-Server-Side-Encryption metadata)", () => {
    const legacy = [
      "Name      : .pulumi-minio-kes-probe",
      "Encrypted :",
      "  X-Amz-Server-Side-Encryption               : aws:kms ",
      "  X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id: arn:aws:kms:minio-data ",
    ].join("\n");
    const r = runMc(bucketKms(true), { FAKE_MC_INFO: INFO_KMS, FAKE_MC_STAT: legacy });
    expect(r.stdout).toBe("result: algorithm=sse-kms key=minio-data verified=true\n");
  });

  it("fails when the probe object is not SSE-KMS encrypted with the key", () => {
    for (const stat of [
      STAT_KMS.replace(/^Encryption.*$/m, ""),
      STAT_KMS.replace("arn:aws:kms:minio-data", "arn:aws:kms:other-key"),
      STAT_KMS.replace(/^Encryption.*$/m, "Encryption: SSE-S3 "),
    ]) {
      const r = runMc(bucketKms(true), { FAKE_MC_INFO: INFO_KMS, FAKE_MC_STAT: stat });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(
        "error: the probe object minio/data/.pulumi-minio-kes-probe is not encrypted with SSE-KMS with the key minio-data",
      );
    }
  });

  it("fails when mc encrypt info does not report the configured key, or encrypt set fails", () => {
    let r = runMc(bucketKms(false), { FAKE_MC_INFO: INFO_KMS.replace('"minio-data"', '"other"') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not report the key minio-data");

    r = runMc(bucketKms(false), { FAKE_MC_INFO: INFO_KMS, FAKE_MC_SET_RC: "1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mc encrypt set sse-kms minio-data minio/data failed");

    r = runMc(bucketKms(false), { FAKE_MC_INFO: INFO_KMS });
    expect(r.stdout).toBe("result: algorithm=sse-kms key=minio-data verified=false\n");
    expect(r.argv).not.toContain("[cp]");
  });

  it("several buckets in one script: each key once, every part runs, a failed part is named and fails the script", () => {
    const script = mcBucketsScript({
      target: target(),
      buckets: [
        { bucket: "logs", algorithm: "sse-s3", verify: false },
        { bucket: "data", algorithm: "sse-kms", keyName: "minio-data", verify: false },
        { bucket: "data2", algorithm: "sse-kms", keyName: "minio-data", verify: false },
      ],
    });
    // The fake mc reports SSE-KMS with minio-data for every bucket, so logs (SSE-S3) fails.
    const r = runMc(script, { FAKE_MC_INFO: INFO_KMS });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "key minio-data: created",
        "bucket data: result: algorithm=sse-kms key=minio-data verified=false",
        "bucket data2: result: algorithm=sse-kms key=minio-data verified=false",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toContain("error: mc encrypt info minio/logs does not report SSE-S3");
    expect(r.stderr).toContain("error: 1 of 4 parts failed (bucket logs)");
    expect(r.argv.match(/\[admin\] \[kms\] \[key\] \[create\]/g)).toHaveLength(1);
    expect(r.argv).toContain("[encrypt] [set] [sse-kms] [minio-data] [minio/data2]");
    expectNoSecretLeak(r);
    // What the component reads back: per bucket, verified or not.
    expect(bucketsResultVerified(r.stdout, ["logs", "data"])).toEqual({ logs: false, data: false });
    const ok = runMc(
      mcBucketsScript({
        target: target(),
        buckets: [{ bucket: "data", algorithm: "sse-kms", keyName: "minio-data", verify: true }],
      }),
      { FAKE_MC_INFO: INFO_KMS, FAKE_MC_STAT: STAT_KMS, FAKE_MC_KEY: "exists" },
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      "key minio-data: exists\nbucket data: result: algorithm=sse-kms key=minio-data verified=true\n",
    );
    expect(bucketsResultVerified(ok.stdout, ["data"])).toEqual({ data: true });
  });

  it("several buckets: at most MC_PARTS_AT_ONCE parts at a time, each with its own mc config dir", () => {
    const buckets = Array.from({ length: 9 }, (_, i) => ({
      bucket: `logs-${i + 1}`,
      algorithm: "sse-s3" as const,
      verify: false,
    }));
    const info = '{"op":"info","status":"success","encryption":{"algorithm":"AES256"}}';
    const r = runMc(mcBucketsScript({ target: target(), buckets }), {
      FAKE_MC_INFO: info,
      FAKE_MC_SLEEP: "0.3",
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(
      buckets.map((b) => `bucket ${b.bucket}: result: algorithm=sse-s3 verified=false`),
    );
    const seen = readFileSync(join(r.dir, "concurrency.log"), "utf8").trim().split("\n").map(Number);
    expect(Math.max(...seen)).toBe(MC_PARTS_AT_ONCE);
    const dirs = new Set(r.env.split("\n").filter((l) => l.startsWith("MC_CONFIG_DIR=")));
    expect([...dirs].sort()).toEqual(
      buckets.map((b) => `MC_CONFIG_DIR=${join(base, "mc-config")}/buckets/${b.bucket}`).sort(),
    );
  });

  it("several buckets: an empty list or a bucket listed twice is refused at render time", () => {
    expect(() => mcBucketsScript({ target: target(), buckets: [] })).toThrow(/buckets must not be empty/);
    const b = { bucket: "data", algorithm: "sse-s3" as const, verify: false };
    expect(() => mcBucketsScript({ target: target(), buckets: [b, b] })).toThrow(
      /bucket data is listed twice/,
    );
  });

  it("bucket sse-s3", () => {
    const script = mcBucketScript({ target: target(), bucket: "logs", algorithm: "sse-s3", verify: true });
    const info = '{"op":"info","status":"success","url":"minio/logs","encryption":{"algorithm":"AES256"}}';
    let r = runMc(script, { FAKE_MC_INFO: info, FAKE_MC_STAT: "Name      : p\nEncryption: SSE-S3 \n" });
    expect(r.stdout).toBe("result: algorithm=sse-s3 verified=true\n");
    expect(r.argv).toContain("[encrypt] [set] [sse-s3] [minio/logs]");
    r = runMc(script, { FAKE_MC_INFO: info, FAKE_MC_STAT: "Name      : p\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not encrypted with SSE-S3");
  });
});

// ---------------------------------------------------------------------------------------------
// Render-time validation

describe("invalid inputs are rejected at render time, naming the field", () => {
  const kesHealth = { kind: "kes" as const, url: "https://kes:7373/v1/ready", caFile: "/etc/kes/ca.crt" };
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["relative path", () => writeOne({ path: "etc/x", mode: "0644", owner: "root", group: "root" }), /path/],
    [
      "newline in path",
      () => removeFileScript({ path: "/etc/a\nb" }),
      /path: .*contains whitespace or control/,
    ],
    // systemd and the shell would read these differently from what was checked (security review, row 9).
    [
      "% in a path",
      () => checkPreinstalledBinaryScript({ path: "/usr/local/bin/%h" }),
      /path: .*characters systemd or the shell would read differently/,
    ],
    [
      "backslash in a path",
      () => checkPreinstalledBinaryScript({ path: "/usr/local/bin/\\x41" }),
      /path: .*characters systemd/,
    ],
    [
      "quote in a path",
      () => checkPreinstalledBinaryScript({ path: '/usr/local/bin/mi"nio' }),
      /path: .*characters systemd/,
    ],
    [
      "space in a path",
      () => writeOne({ path: "/etc/it's here/f", mode: "0644", owner: "root", group: "root" }),
      /path: .*whitespace/,
    ],
    [
      "upper-case sha256",
      () => installBinaryScript({ destPath: "/x", sha256: SHA_A.toUpperCase(), url: "https://e/x" }),
      /sha256: set sha256 to the 64 lowercase hex/,
    ],
    ["root path", () => removeFileScript({ path: "/" }), /path/],
    ["dot-dot path", () => removeFileScript({ path: "/etc/../x" }), /path: .*contains '\.\.'/],
    ["doubled slash", () => removeFileScript({ path: "/etc//x" }), /path: .*has '\/\/' or '\/\.\/'/],
    ["trailing slash", () => removeFileScript({ path: "/etc/x/" }), /path: .*ends in '\/'/],
    ["empty path", () => checkPreinstalledBinaryScript({ path: "" }), /path: path must be an absolute path/],
    ["bad mode", () => writeOne({ path: "/x", mode: "0999", owner: "root", group: "root" }), /mode/],
    ["numeric owner", () => writeOne({ path: "/x", mode: "0644", owner: "0", group: "root" }), /owner/],
    [
      "bad dirMode",
      () => writeOne({ path: "/x/y", mode: "0644", owner: "root", group: "root", dirMode: "rwx" }),
      /dirMode/,
    ],
    [
      "short sha256",
      () => installBinaryScript({ destPath: "/x", sha256: "abc", url: "https://e/x" }),
      /sha256/,
    ],
    [
      "url and uploadedPath",
      () =>
        installBinaryScript({ destPath: "/x", sha256: SHA_A, url: "https://e/x", uploadedPath: "/tmp/x" }),
      /exactly one of url, urlOnStdin and uploadedPath/,
    ],
    ["neither url nor upload", () => installBinaryScript({ destPath: "/x", sha256: SHA_A }), /exactly one/],
    [
      "ftp url",
      () => installBinaryScript({ destPath: "/x", sha256: SHA_A, url: "ftp://e/x" }),
      /url must use/,
    ],
    ["sha256 check", () => checkPreinstalledBinaryScript({ path: "/x", sha256: "z".repeat(64) }), /sha256/],
    ["unit without .service", () => installUnitScript({ unitName: "kes" }), /unitName/],
    ["unit with slash", () => installUnitScript({ unitName: "../kes.service" }), /unitName/],
    ["relative unitDir", () => installUnitScript({ unitName: "kes.service", unitDir: "etc" }), /unitDir/],
    [
      "upper-case user",
      () => ensureServiceUserScript({ user: "Kes", group: "kes", home: "/var/lib/kes" }),
      /user/,
    ],
    [
      "bad group",
      () => ensureServiceUserScript({ user: "kes", group: "k es", home: "/var/lib/kes" }),
      /group/,
    ],
    ["empty home", () => ensureServiceUserScript({ user: "kes", group: "kes", home: "" }), /home/],
    [
      "timeout 0",
      () =>
        serviceActionScript({ unit: "kes.service", action: "start", health: kesHealth, timeoutSeconds: 0 }),
      /timeoutSeconds/,
    ],
    [
      "bad action",
      () =>
        serviceActionScript({
          unit: "kes.service",
          action: "stop" as "start",
          health: kesHealth,
          timeoutSeconds: 5,
        }),
      /action/,
    ],
    [
      "http KES url",
      () =>
        serviceActionScript({
          unit: "kes.service",
          action: "start",
          health: { ...kesHealth, url: "http://kes:7373/v1/ready" },
          timeoutSeconds: 5,
        }),
      /health\.url/,
    ],
    [
      "bad connectTo",
      () =>
        serviceActionScript({
          unit: "kes.service",
          action: "start",
          health: { ...kesHealth, connectTo: "127.0.0.1" },
          timeoutSeconds: 5,
        }),
      /health\.connectTo/,
    ],
    [
      "MinIO base URL with a path",
      () =>
        serviceActionScript({
          unit: "minio.service",
          action: "start",
          health: { kind: "minio", baseUrl: "http://127.0.0.1:9000/minio" },
          timeoutSeconds: 5,
        }),
      /health\.baseUrl/,
    ],
    ["dotted key name", () => mcKeyCreateScript({ target: TARGET_ENVFILE, keyName: "minio.key" }), /keyName/],
    ["key name with -", () => mcKeyCreateScript({ target: TARGET_ENVFILE, keyName: "-k" }), /keyName/],
    [
      "alias with -",
      () => mcKeyCreateScript({ target: { ...TARGET_ENVFILE, alias: "my-minio" }, keyName: "k" }),
      /target\.alias/,
    ],
    [
      "credentials in the URL",
      () =>
        mcKeyCreateScript({ target: { ...TARGET_ENVFILE, url: "https://a:b@127.0.0.1:9000" }, keyName: "k" }),
      /target\.url/,
    ],
    [
      "relative configDir",
      () => mcKeyCreateScript({ target: { ...TARGET_ENVFILE, configDir: "mc" }, keyName: "k" }),
      /target\.configDir/,
    ],
    [
      "relative envFile",
      () =>
        mcKeyCreateScript({
          target: { ...TARGET_ENVFILE, credentials: { from: "envFile", envFile: "minio.env" } },
          keyName: "k",
        }),
      /target\.credentials\.envFile/,
    ],
    [
      "sse-kms without key",
      () => mcBucketScript({ target: TARGET_ENVFILE, bucket: "data", algorithm: "sse-kms", verify: true }),
      /keyName is required/,
    ],
    [
      "sse-s3 with key",
      () =>
        mcBucketScript({
          target: TARGET_ENVFILE,
          bucket: "data",
          algorithm: "sse-s3",
          keyName: "k",
          verify: true,
        }),
      /keyName must not be set/,
    ],
    [
      "bad bucket",
      () =>
        mcBucketScript({ target: TARGET_ENVFILE, bucket: "Bad_Bucket", algorithm: "sse-s3", verify: false }),
      /bucket/,
    ],
    [
      "bad probe object",
      () =>
        mcBucketScript({
          target: TARGET_ENVFILE,
          bucket: "data",
          algorithm: "sse-s3",
          verify: true,
          probeObject: "../x",
        }),
      /probeObject/,
    ],
  ];
  for (const [name, fn, re] of cases) {
    it(name, () => {
      expect(fn).toThrow(re);
    });
  }
});
