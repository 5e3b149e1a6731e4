import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvLine, quoteEnvValue, renderEnvFile } from "../../lib/core/envfile";
import {
  compressEllipsis,
  EnvMergeConflictError,
  MINIO_CONFLICTING_KMS_VARIABLES,
  MINIO_KES_VARIABLES,
  mergeEnvFile,
  minioEnvEntries,
  renderMinioEnvFile,
  renderMinioNodeVolumes,
  renderMinioVolumes,
} from "../../lib/core/minioEnv";
import {
  ensureDirectoriesScript,
  envMergeScript,
  hostKeyCheckScript,
  hostKeysCheckScript,
  kesRemovalGuardScript,
  preflightScript,
} from "../../lib/core/scripts";
import { renderKesUnit, renderMinioUnit } from "../../lib/core/systemd";
import type { MinioEnvInput } from "../../lib/core/types";
import { expectGolden } from "../helpers/golden";

const API_KEY = "kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs";

describe("MINIO_VOLUMES", () => {
  it.each([
    ["single node, single drive", { hosts: ["n1"], drives: ["/mnt/data"] }, "/mnt/data"],
    [
      "single node, drives in sequence",
      {
        hosts: ["n1"],
        drives: ["/mnt/disk1/minio", "/mnt/disk2/minio", "/mnt/disk3/minio", "/mnt/disk4/minio"],
      },
      "/mnt/disk{1...4}/minio",
    ],
    ["single node, drives not in sequence", { hosts: ["n1"], drives: ["/mnt/a", "/srv/b"] }, "/mnt/a /srv/b"],
    [
      "nodes and drives in sequence",
      { hosts: ["minio1.example.net", "minio2.example.net", "minio3.example.net"], drives: ["/d1", "/d2"] },
      "https://minio{1...3}.example.net:9000/d{1...2}",
    ],
    [
      "nodes in sequence, one drive",
      { hosts: ["10.0.0.5", "10.0.0.6"], drives: ["/data"] },
      "https://10.0.0.{5...6}:9000/data",
    ],
    [
      "nodes not in sequence: fully explicit (an ellipsis per argument would make each a pool)",
      { hosts: ["alpha.example.net", "beta.example.net"], drives: ["/d1", "/d2"] },
      "https://alpha.example.net:9000/d1 https://alpha.example.net:9000/d2 https://beta.example.net:9000/d1 https://beta.example.net:9000/d2",
    ],
  ])("%s", (_, t, expected) => {
    expect(renderMinioVolumes({ scheme: "https", port: 9000, ...t })).toBe(expected);
  });

  it("compresses only consecutive ascending numbers without leading zeros", () => {
    expect(compressEllipsis(["/d1", "/d2", "/d3"])).toBe("/d{1...3}");
    expect(compressEllipsis(["/d1", "/d3"])).toBeUndefined();
    expect(compressEllipsis(["/d2", "/d1"])).toBeUndefined();
    expect(compressEllipsis(["/d01", "/d02"])).toBeUndefined();
    expect(compressEllipsis(["/a1", "/b2"])).toBeUndefined();
    expect(compressEllipsis(["/d9", "/d10"])).toBe("/d{9...10}");
  });
});

const base: MinioEnvInput = {
  rootUser: "admin",
  rootPassword: "pa$$w'rd\"`x`",
  volumes: "https://minio{1...4}.example.net:9000/mnt/disk{1...4}/minio",
  opts: "--address :9000 --console-address :9001 --certs-dir /etc/minio/certs",
  kes: {
    endpoints: ["https://kes1.example.net:7373", "https://kes2.example.net:7373"],
    keyName: "minio-default",
    auth: { kind: "apiKey", apiKey: API_KEY },
    caPath: "/etc/minio/kes-ca.crt",
  },
  extra: { MINIO_BROWSER: "off", MINIO_PROMETHEUS_AUTH_TYPE: "public" },
};

describe("MinIO env file", () => {
  it("renders the API-key variant (golden)", () => {
    expectGolden("minio/env-apikey.env", renderMinioEnvFile(base));
  });

  it("renders the client-certificate variant without the API key (golden)", () => {
    const text = renderMinioEnvFile({
      ...base,
      kes: {
        ...base.kes!,
        auth: {
          kind: "certificate",
          certFile: "/etc/minio/kes-client.crt",
          keyFile: "/etc/minio/kes-client.key",
        },
      },
    });
    expectGolden("minio/env-certificate.env", text);
    expect(text).not.toContain("MINIO_KMS_KES_API_KEY");
  });

  it("lists every KES endpoint comma-separated", () => {
    expect(minioEnvEntries(base)).toContainEqual([
      "MINIO_KMS_KES_ENDPOINT",
      "https://kes1.example.net:7373,https://kes2.example.net:7373",
    ]);
  });

  it("quotes values so that bash reads exactly what systemd reads", () => {
    const dir = mkdtempSync(join(tmpdir(), "envq-"));
    const values = [
      "plain",
      "with space",
      "it's",
      'dq"',
      "$HOME",
      "`id`",
      "back\\slash",
      "a'b\"c$d`e\\f",
      "",
      "=x=",
    ];
    const file = join(dir, "env");
    writeFileSync(file, renderEnvFile(values.map((v, i) => [`V${i}`, v] as const)));
    const out = execFileSync("bash", [
      "-c",
      `set -a; . ${file}; for i in $(seq 0 ${values.length - 1}); do n=V$i; printf '%s\\0' "\${!n}"; done`,
    ]);
    expect(out.toString().split("\0").slice(0, -1)).toEqual(values);
    for (const [i, v] of values.entries())
      expect(parseEnvLine(`V${i}=${quoteEnvValue(v)}`)).toEqual({ name: `V${i}`, value: v });
    expect(() => quoteEnvValue("a\nb")).toThrow(/newlines/);
  });
});

describe("systemd units", () => {
  it("MinIO unit with KES on the same host (golden)", () => {
    const u = renderMinioUnit({
      binaryPath: "/usr/local/bin/minio",
      user: "minio-user",
      group: "minio-user",
      envFile: "/etc/default/minio",
      after: ["kes.service"],
    });
    expectGolden("systemd/minio-with-kes.service", u);
    expect(u).toMatch(/^Type=notify$/m);
    expect(u).toMatch(/^ExecStart=\/usr\/local\/bin\/minio server \$MINIO_OPTS \$MINIO_VOLUMES$/m);
    expect(u).not.toMatch(/CAP_SYS_ADMIN|CAP_DAC_OVERRIDE/);
  });

  it("MinIO unit alone, simple type, privileged port (golden)", () => {
    const u = renderMinioUnit({
      binaryPath: "/usr/local/bin/silo",
      user: "minio-user",
      group: "minio-user",
      envFile: "/etc/default/minio",
      serviceType: "simple",
      bindPrivilegedPort: true,
    });
    expectGolden("systemd/minio-simple.service", u);
    expect(u).not.toMatch(/kes\.service/);
    expect(u).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  });

  it("KES unit: current CLI only, reload on SIGHUP, secrets env file (golden)", () => {
    const u = renderKesUnit({
      binaryPath: "/usr/local/bin/kes",
      user: "kes",
      group: "kes",
      configPath: "/etc/kes/config.yaml",
      envFile: "/etc/kes/kes.env",
    });
    expectGolden("systemd/kes.service", u);
    expect(u).toMatch(/^ExecStart=\/usr\/local\/bin\/kes server --config=\/etc\/kes\/config\.yaml$/m);
    expect(u).not.toMatch(/--auth|--mlock|--key|--cert/);
    expect(u).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(u).toMatch(/^AmbientCapabilities=CAP_IPC_LOCK$/m);
  });
});

function runScript(script: string, stdin = ""): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("bash", ["-c", script], { input: stdin });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("env merge for existing deployments", () => {
  const existing = [
    "# MinIO env written by hand",
    "MINIO_ROOT_USER=myadmin",
    'MINIO_ROOT_PASSWORD="old secret"',
    'MINIO_VOLUMES="/mnt/data"',
    "",
    "export MINIO_KMS_KES_ENDPOINT=https://old-kes:7373",
    "MINIO_KMS_KES_CERT_FILE=/etc/minio/old.crt",
    "MINIO_KMS_KES_KEY_FILE=/etc/minio/old.key",
    "MINIO_OPTS='--console-address :9001'",
    "MINIO_KMS_KES_ENDPOINT=https://duplicate:7373",
    "some line that is not an assignment",
    "",
  ].join("\n");
  const managed: Array<[string, string]> = [
    ["MINIO_KMS_KES_ENDPOINT", "https://kes1:7373,https://kes2:7373"],
    ["MINIO_KMS_KES_KEY_NAME", "minio-default"],
    ["MINIO_KMS_KES_API_KEY", API_KEY],
    ["MINIO_KMS_KES_CAPATH", "/etc/minio/kes-ca.crt"],
  ];

  it("replaces ours in place, removes stale KES variables, keeps every other line (golden)", () => {
    const r = mergeEnvFile(existing, managed, MINIO_KES_VARIABLES, {
      file: "/etc/default/minio",
      conflicts: MINIO_CONFLICTING_KMS_VARIABLES,
    });
    expectGolden("minio/merged.env", r.text);
    expect(r.replaced).toEqual(["MINIO_KMS_KES_ENDPOINT"]);
    expect(r.added).toEqual(["MINIO_KMS_KES_KEY_NAME", "MINIO_KMS_KES_API_KEY", "MINIO_KMS_KES_CAPATH"]);
    expect(r.removed).toEqual(["MINIO_KMS_KES_CERT_FILE", "MINIO_KMS_KES_KEY_FILE"]);
    expect(r.text).toContain('MINIO_ROOT_PASSWORD="old secret"');
    expect(r.text).toContain("some line that is not an assignment");
    expect(r.text).not.toContain("duplicate");
  });

  it("is idempotent", () => {
    const once = mergeEnvFile(existing, managed, MINIO_KES_VARIABLES, { file: "f" }).text;
    expect(mergeEnvFile(once, managed, MINIO_KES_VARIABLES, { file: "f" }).text).toBe(once);
  });

  it("refuses a file that configures another KMS", () => {
    expect(() =>
      mergeEnvFile("MINIO_KMS_SECRET_KEY=my-key:abcd\n", managed, MINIO_KES_VARIABLES, {
        file: "/etc/default/minio",
        conflicts: MINIO_CONFLICTING_KMS_VARIABLES,
      }),
    ).toThrow(EnvMergeConflictError);
  });

  const cases: Array<[string, string]> = [
    ["the realistic file", existing],
    ["an empty file", ""],
    ["only comments", "# a\n# b\n"],
    ["no trailing newline", "MINIO_VOLUMES=/d\nMINIO_KMS_KES_KEY_NAME=old"],
    ["an empty conflicting variable", "MINIO_KMS_SECRET_KEY=\nMINIO_VOLUMES=/d\n"],
    ["spaces around =", "  MINIO_KMS_KES_API_KEY = kes:v1:old\nX=1\n"],
  ];
  it.each(cases)("the host script does exactly what mergeEnvFile specifies: %s", (_, content) => {
    const dir = mkdtempSync(join(tmpdir(), "merge-"));
    const file = join(dir, "minio");
    writeFileSync(file, content, { mode: 0o640 });
    const expected = mergeEnvFile(content, managed, MINIO_KES_VARIABLES, {
      file,
      conflicts: MINIO_CONFLICTING_KMS_VARIABLES,
    }).text;
    const script = envMergeScript({ envFile: file, managedNames: managed.map(([k]) => k) });
    const r = runScript(script, renderEnvFile(managed));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(expected);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(r.stdout).not.toContain(API_KEY);
    const again = runScript(script, renderEnvFile(managed));
    expect(again.stdout.trim()).toBe("unchanged");
  });

  it("the host script stops on another KMS and leaves the file alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "merge-"));
    const file = join(dir, "minio");
    writeFileSync(file, "MINIO_KMS_SECRET_KEY=my-key:abcd\n");
    const r = runScript(
      envMergeScript({ envFile: file, managedNames: ["MINIO_KMS_KES_KEY_NAME"] }),
      "MINIO_KMS_KES_KEY_NAME='k'\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/MINIO_KMS_SECRET_KEY is set in .*cannot use KES and another KMS/);
    expect(readFileSync(file, "utf8")).toBe("MINIO_KMS_SECRET_KEY=my-key:abcd\n");
  });

  it("writes its temp files only in a root-owned directory no one else can write, on a real path", () => {
    const dir = mkdtempSync(join(tmpdir(), "merge-owner-"));
    const file = join(dir, "minio");
    writeFileSync(file, "MINIO_VOLUMES=/d\n");
    const merge = () =>
      runScript(
        envMergeScript({ envFile: file, managedNames: ["MINIO_KMS_KES_KEY_NAME"] }),
        "MINIO_KMS_KES_KEY_NAME='k'\n",
      );
    chownSync(dir, 65534, 65534); // the service account's directory
    let r = merge();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir} (the directory of ${file}) is owned by nobody`);
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o777);
    r = merge();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("chmod go-w");
    chmodSync(dir, 0o755);
    const link = join(mkdtempSync(join(tmpdir(), "merge-link-")), "minio");
    symlinkSync(file, link);
    r = runScript(
      envMergeScript({ envFile: link, managedNames: ["MINIO_KMS_KES_KEY_NAME"] }),
      "MINIO_KMS_KES_KEY_NAME='k'\n",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("symbolic link");
    expect(readFileSync(file, "utf8")).toBe("MINIO_VOLUMES=/d\n");
    expect(merge().stdout.trim()).toBe("changed");
  });
});

describe("KES removal guard and drive directories", () => {
  it("fails when the host's env file configures KES", () => {
    const dir = mkdtempSync(join(tmpdir(), "guard-"));
    const file = join(dir, "minio");
    writeFileSync(file, "MINIO_VOLUMES=/d\nMINIO_KMS_KES_ENDPOINT='https://kes:7373'\n");
    const r = runScript(kesRemovalGuardScript({ envFile: file }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/allowKesRemoval: true/);
    writeFileSync(file, "MINIO_VOLUMES=/d\n");
    expect(runScript(kesRemovalGuardScript({ envFile: file })).code).toBe(0);
    expect(runScript(kesRemovalGuardScript({ envFile: join(dir, "missing") })).code).toBe(0);
  });

  it("creates missing drive directories and reports unchanged on a second run", () => {
    const dir = mkdtempSync(join(tmpdir(), "drives-"));
    const script = ensureDirectoriesScript({
      paths: [join(dir, "d1"), join(dir, "d2")],
      owner: "root",
      group: "root",
    });
    expect(runScript(script).stdout.trim()).toBe("changed");
    expect(statSync(join(dir, "d1")).mode & 0o777).toBe(0o750);
    expect(runScript(script).stdout.trim()).toBe("unchanged");
  });

  it("refuses a drive that is a symbolic link, and never follows one when it sets an owner", () => {
    const dir = mkdtempSync(join(tmpdir(), "drives-link-"));
    const victim = join(dir, "victim");
    mkdirSync(victim);
    chownSync(victim, 0, 0);
    // The service user owns the drives' parent (its home) and plants a link where a drive goes.
    symlinkSync(victim, join(dir, "d1"));
    lchownSync(join(dir, "d1"), 65534, 65534);
    const script = ensureDirectoriesScript({ paths: [join(dir, "d1")], owner: "nobody", group: "nogroup" });
    const r = runScript(script);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, "d1")} is, or goes through, a symbolic link; a drive must be a real directory`,
    );
    expect(statSync(victim).uid).toBe(0);
    expect(script).toContain('chown -h -- "$owner:$group" "$p"');
    // A link higher up (the service user owns /var/lib/minio and swaps "drives" for a link).
    const deep = mkdtempSync(join(tmpdir(), "drives-deep-"));
    mkdirSync(join(deep, "elsewhere"));
    symlinkSync(join(deep, "elsewhere"), join(deep, "drives"));
    const r2 = runScript(
      ensureDirectoriesScript({ paths: [join(deep, "drives", "d1")], owner: "nobody", group: "nogroup" }),
    );
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("goes through, a symbolic link");
    expect(existsSync(join(deep, "elsewhere", "d1"))).toBe(false);
  });

  it("renders shellcheck-clean scripts", () => {
    const scripts = {
      merge: envMergeScript({ envFile: "/etc/default/minio", managedNames: ["MINIO_KMS_KES_KEY_NAME"] }),
      guard: kesRemovalGuardScript({ envFile: "/etc/default/minio" }),
      drives: ensureDirectoriesScript({
        paths: ["/mnt/disk1", "/mnt/disk2"],
        owner: "minio-user",
        group: "minio-user",
      }),
    };
    for (const [name, s] of Object.entries(scripts)) {
      expectGolden(`scripts/files/${name}.sh`, s);
      const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: s });
      expect(r.stdout.toString() + r.stderr.toString(), name).toBe("");
      expect(r.status, name).toBe(0);
    }
  });
});

describe("prerequisites script", () => {
  it("is shellcheck-clean and pinned", async () => {
    const { ensurePrerequisitesScript } = await import("../../lib/core/scripts");
    const s = ensurePrerequisitesScript();
    expectGolden("scripts/hosts/prereqs.sh", s);
    const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: s });
    expect(r.stdout.toString(), "shellcheck").toBe("");
    expect(r.status).toBe(0);
  });

  it("reports unchanged when curl and CA certificates are present (this machine)", async () => {
    const { ensurePrerequisitesScript } = await import("../../lib/core/scripts");
    const r = spawnSync("bash", ["-c", ensurePrerequisitesScript()]);
    expect(r.stdout.toString().trim()).toBe("unchanged");
    expect(r.status).toBe(0);
  });
});

describe("removeUnitScript (destroy)", () => {
  it("is shellcheck-clean, pinned, and reports absent when there is no unit", async () => {
    const { removeUnitScript } = await import("../../lib/core/scripts");
    const dir = mkdtempSync(join(tmpdir(), "units-"));
    const s = removeUnitScript({ unitName: "minio.service" });
    expectGolden("scripts/systemd/remove-unit.sh", s);
    const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: s });
    expect(r.stdout.toString()).toBe("");
    const run = spawnSync("bash", ["-c", removeUnitScript({ unitName: "minio.service", unitDir: dir })]);
    expect(run.stdout.toString().trim()).toBe("absent");
    expect(() => removeUnitScript({ unitName: "minio" })).toThrow(/\.service/);
  });

  it("leaves a unit alone that another step wrote since (a renamed component), and says so", async () => {
    const { removeUnitScript } = await import("../../lib/core/scripts");
    const { renderMinioUnit } = await import("../../lib/core/systemd");
    const dir = mkdtempSync(join(tmpdir(), "units-"));
    const unit = renderMinioUnit({
      binaryPath: "/usr/local/bin/minio",
      user: "minio-user",
      group: "minio-user",
      envFile: "/etc/default/minio",
      owner: "renamed-minio-node1-unit",
    });
    expect(unit).toContain("# pulumi-minio-kes owner: renamed-minio-node1-unit\n");
    writeFileSync(join(dir, "minio.service"), unit);
    const s = removeUnitScript({ unitName: "minio.service", unitDir: dir, owner: "minio-node1-unit" });
    expectGolden(
      "scripts/systemd/remove-unit-owned.sh",
      removeUnitScript({ unitName: "minio.service", owner: "minio-node1-unit" }),
    );
    expect(spawnSync("shellcheck", ["-s", "bash", "-"], { input: s }).stdout.toString()).toBe("");
    const run = spawnSync("bash", ["-c", s]);
    expect(run.stdout.toString().trim()).toBe("kept: minio.service belongs to another step");
    expect(readFileSync(join(dir, "minio.service"), "utf8")).toBe(unit);
  });
});

describe("preflight script", () => {
  it("is shellcheck-clean and pinned", () => {
    const s = preflightScript({ host: "minio1", paths: ["/etc/default/minio", "/mnt/disk1"] });
    expectGolden("scripts/hosts/preflight.sh", s);
    const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: s });
    expect(r.stdout.toString(), "shellcheck").toBe("");
    expect(r.status).toBe(0);
  });

  it("fails with the host and the fix when a file system is too full, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "preflight-"));
    const missing = join(dir, "not", "yet", "there");
    // Run without the systemd check (this machine may not boot with systemd): the script's own
    // lines after it are what is tested here.
    const s = preflightScript({ host: "minio1", paths: [missing], minFreeMiB: 1 }).replace(
      "if [ ! -d /run/systemd/system ]; then",
      "if false; then",
    );
    let r = runScript(s);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok: minio1: reachable, root, systemd; ${missing}:[0-9]+MiB\\n$`));
    expect(existsSync(join(dir, "not"))).toBe(false);
    const full = preflightScript({ host: "minio1", paths: [missing], minFreeMiB: 1 << 30 }).replace(
      "if [ ! -d /run/systemd/system ]; then",
      "if false; then",
    );
    r = runScript(full);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: minio1: only [0-9]+ MiB free on the file system of .* free some space there/,
    );
  });

  it("refuses a host without systemd, naming it", () => {
    const r = runScript(
      preflightScript({ host: "minio1", paths: ["/tmp"] }).replace(
        "/run/systemd/system",
        "/nonexistent/systemd",
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: minio1: systemd is not running");
  });
});

describe("host key check (on the deploying machine)", () => {
  // Two real host keys, made here (their fingerprints come from ssh-keygen itself).
  const dir = mkdtempSync(join(tmpdir(), "hostkey-"));
  const keyPair = (name: string) => {
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), "utf8")
      .trim()
      .split(" ")
      .slice(0, 2)
      .join(" ");
  };
  const mine = keyPair("pinned");
  const other = keyPair("other");
  const fp = (k: string) =>
    spawnSync("ssh-keygen", ["-lf", "-"], { input: `${k}\n` })
      .stdout.toString()
      .split(" ")[1]!;
  // A fake ssh-keyscan: prints what FAKE_OFFER says (nothing when unset), as `address type key`.
  const fake = join(dir, "bin");
  mkdirSync(fake);
  writeFileSync(
    join(fake, "ssh-keyscan"),
    '#!/bin/sh\nfor a; do last=$a; done\n[ -n "$FAKE_OFFER" ] && echo "$last $FAKE_OFFER"\nexit 0\n',
    { mode: 0o755 },
  );
  const script = hostKeyCheckScript({
    host: "minio3",
    address: "198.18.0.15",
    port: 22,
    hostKey: mine,
    field: "nodes[2]",
  });
  const run = (offer?: string) =>
    spawnSync("bash", ["-s"], {
      input: script,
      env: { PATH: `${fake}:${process.env.PATH}`, ...(offer ? { FAKE_OFFER: offer } : {}) },
    });

  it("is shellcheck-clean and pinned", () => {
    expectGolden(
      "scripts/hosts/host-key-check.sh",
      hostKeyCheckScript({
        host: "minio3",
        address: "198.18.0.15",
        port: 22,
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1cKm0p9mHkqTrbXYI3kAd0i3pWEyVhFx2mJm9b2Q2K",
        field: "nodes[2]",
      }),
    );
    const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script });
    expect(r.stdout.toString(), "shellcheck").toBe("");
  });

  it("passes when the host offers the pinned key, naming its fingerprint", () => {
    const r = run(mine);
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      `ok: minio3 (198.18.0.15 port 22) offers the pinned host key ${fp(mine)}\n`,
    );
  });

  it("fails on another key: host, address, both fingerprints, the field and what to do, in the first 200 characters", () => {
    const r = run(other);
    expect(r.status).toBe(1);
    const msg = r.stderr.toString();
    expect(msg.slice(0, 200)).toContain(
      `error: minio3 (198.18.0.15 port 22): the SSH host key is ${fp(other)}, not the pinned ${fp(mine)} (nodes[2].hostKey).`,
    );
    expect(msg).toContain(
      "If minio3 was reinstalled, pin its new key: set nodes[2].hostKey to the key part of ssh-keyscan -t ed25519 198.18.0.15 (without the host name)",
    );
    expect(msg).toContain("do not connect: something may be in the middle");
  });

  it("fails on a pinned key ssh-keygen cannot read, naming the field", () => {
    const bad = hostKeyCheckScript({
      host: "minio3",
      address: "198.18.0.15",
      port: 22,
      hostKey: "ssh-ed25519 AAAA",
      field: "nodes[2]",
    });
    const r = spawnSync("bash", ["-s"], {
      input: bad,
      env: { PATH: `${fake}:${process.env.PATH}`, FAKE_OFFER: mine },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toContain("error: minio3: nodes[2].hostKey is not a valid ssh-ed25519 key");
  });

  it("fails when nothing answers, naming the address and the fields to check", () => {
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe(
      "error: minio3 (198.18.0.15 port 22): no SSH server offered a ssh-ed25519 host key within 5 s; check nodes[2].address and nodes[2].port, and that sshd runs there, then run pulumi up again\n",
    );
  });
});

describe("host key checks of several hosts (one step per component)", () => {
  const dir = mkdtempSync(join(tmpdir(), "hostkeys-"));
  const keyPair = (name: string) => {
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), "utf8")
      .trim()
      .split(" ")
      .slice(0, 2)
      .join(" ");
  };
  const [k1, k2, k3] = ["a", "b", "c"].map(keyPair) as [string, string, string];
  // A fake ssh-keyscan answering per address from $dir/offers/<address>, after a pause, so that
  // checks one after the other would take 3 pauses.
  const fake = join(dir, "bin");
  mkdirSync(fake);
  mkdirSync(join(dir, "offers"));
  writeFileSync(
    join(fake, "ssh-keyscan"),
    `#!/bin/sh\nfor a; do last=$a; done\nsleep 0.5\n[ -f "${dir}/offers/$last" ] && echo "$last $(cat "${dir}/offers/$last")"\nexit 0\n`,
    { mode: 0o755 },
  );
  const hosts = [k1, k2, k3].map((hostKey, i) => ({
    host: `minio${i + 1}`,
    address: `198.18.0.${21 + i}`,
    port: 22,
    hostKey,
    field: `nodes[${i}]`,
  }));
  const script = hostKeysCheckScript(hosts);
  const run = () =>
    spawnSync("bash", ["-s"], { input: script, env: { PATH: `${fake}:${process.env.PATH}` } });

  it("is shellcheck-clean and pinned", () => {
    expectGolden(
      "scripts/hosts/host-keys-check.sh",
      hostKeysCheckScript(
        hosts.map((h) => ({
          ...h,
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1cKm0p9mHkqTrbXYI3kAd0i3pWEyVhFx2mJm9b2Q2K",
        })),
      ),
    );
    const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script });
    expect(r.stdout.toString(), "shellcheck").toBe("");
  });

  it("checks every host at once and names each in its line", () => {
    for (const h of hosts) writeFileSync(join(dir, "offers", h.address), h.hostKey);
    const t0 = Date.now();
    const r = run();
    expect(Date.now() - t0).toBeLessThan(1400);
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines.map((l) => l.split(": ")[0])).toEqual(["minio1", "minio2", "minio3"]);
    for (const [i, l] of lines.entries())
      expect(l).toContain(`ok: minio${i + 1} (198.18.0.${21 + i} port 22) offers the pinned host key`);
  });

  it("fails if any host fails, after printing every host's result and each error", () => {
    writeFileSync(join(dir, "offers", "198.18.0.22"), k3);
    rmSync(join(dir, "offers", "198.18.0.23"));
    const r = run();
    expect(r.status).toBe(1);
    const out = r.stdout.toString();
    expect(out).toMatch(/^minio1: ok: minio1 /m);
    expect(out).toMatch(/^minio2: $/m);
    const err = r.stderr.toString();
    expect(err).toContain("error: minio2 (198.18.0.22 port 22): the SSH host key is");
    expect(err).toContain("(nodes[1].hostKey)");
    expect(err).toContain(
      "error: minio3 (198.18.0.23 port 22): no SSH server offered a ssh-ed25519 host key within 5 s; check nodes[2].address",
    );
  });
});

describe("MINIO_VOLUMES for nodes with different drives", () => {
  it("spells out every node's drives, brackets IPv6, and uses no ellipsis", () => {
    expect(
      renderMinioNodeVolumes({
        scheme: "https",
        nodes: [
          { host: "minio1.example.net", drives: ["/mnt/d1", "/mnt/d2"] },
          { host: "2001:db8::12", drives: ["/data"] },
        ],
      }),
    ).toBe(
      "https://minio1.example.net:9000/mnt/d1 https://minio1.example.net:9000/mnt/d2 https://[2001:db8::12]:9000/data",
    );
    expect(() =>
      renderMinioNodeVolumes({ scheme: "http", nodes: [{ host: "minio1", drives: ["data"] }] }),
    ).toThrow(/nodes\.drives/);
  });
});
