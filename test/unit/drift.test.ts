/**
 * The drift check (issue 11): its script against real files in a temp dir and a fake systemctl,
 * its manifest, and its golden file.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type DriftManifest, driftCheckScript, renderDriftManifest } from "../../lib/core/scripts";
import { expectGolden, goldenPath } from "../helpers/golden";

const base = mkdtempSync(join(tmpdir(), "drift-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const me = userInfo().username;
const myGroup = spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim();

/** A fake systemctl: `is-active UNIT` prints the state named in $FAKE_STATE_<unit without .service>. */
const fakeBin = join(base, "bin");
spawnSync("mkdir", ["-p", fakeBin]);
writeFileSync(
  join(fakeBin, "systemctl"),
  '#!/usr/bin/env bash\n[ "$1" = is-active ] || exit 2\nv="FAKE_STATE_${2%.service}"\nstate=${!v:-active}\necho "$state"\n[ "$state" = active ]\n',
);
chmodSync(join(fakeBin, "systemctl"), 0o755);

function check(m: DriftManifest, repair: boolean, env: Record<string, string> = {}) {
  const r = spawnSync("bash", ["-c", driftCheckScript({ host: "minio1", repair })], {
    input: renderDriftManifest(m),
    env: { ...process.env, ...env, PATH: `${fakeBin}:${process.env.PATH}` },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("drift check", () => {
  const envFile = join(base, "minio.env");
  const config = join(base, "config.yaml");
  const gone = join(base, "gone.crt");
  const link = join(base, "link.crt");
  writeFileSync(envFile, "MINIO_BROWSER='off'\n");
  chmodSync(envFile, 0o600);
  writeFileSync(config, "address: 0.0.0.0:7373\n");
  chmodSync(config, 0o640);
  symlinkSync(config, link);
  const file = (path: string, content: string, mode: string, step: string) => ({
    path,
    sha256: sha(content),
    owner: me,
    group: myGroup,
    mode,
    step,
  });

  it("passes when every file and unit is as declared", () => {
    const r = check(
      {
        files: [file(envFile, "MINIO_BROWSER='off'\n", "0600", "minio-minio1-config")],
        units: [{ unit: "minio.service", step: "minio-minio1-service" }],
      },
      false,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("drift: none (1 files, 1 units as declared)\n");
  });

  it("names each difference by path and step, and says what to do", () => {
    const m: DriftManifest = {
      files: [
        // edited by hand
        file(envFile, "MINIO_BROWSER='on'\n", "0600", "minio-minio1-config"),
        // chmod'ed: declared 0600, it is 0640
        file(config, "address: 0.0.0.0:7373\n", "0600", "kes-kes1-files"),
        file(gone, "x", "0644", "minio-minio1-config"),
        file(link, "address: 0.0.0.0:7373\n", "0640", "minio-minio1-config"),
        { ...file(config, "address: 0.0.0.0:7373\n", "0640", "kes-kes1-files"), owner: "nobody" },
      ],
      units: [{ unit: "kes.service", step: "kes-kes1-service" }],
    };
    const r = check(m, false, { FAKE_STATE_kes: "inactive" });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      `drift: ${envFile}: its content differs from what the program declares (step minio-minio1-config)`,
      `drift: ${config}: mode 640, not 600 (step kes-kes1-files)`,
      `drift: ${gone} is missing (step minio-minio1-config)`,
      `drift: ${link} is a symbolic link, not the file the program declares (step minio-minio1-config)`,
      `drift: ${config}: owner ${me}:${myGroup}, not nobody:${myGroup} (step kes-kes1-files)`,
      "drift: kes.service is inactive, not active (step kes-kes1-service)",
      "drift: 6 differences on minio1 from what the program declares (listed above); to repair them, set driftCheck.repair to a new label and driftCheck.request to a new value, then run pulumi up",
    ]);
    expect(r.stderr).toBe("");
    // With repair the check runs after the repair: what it still finds, it reports as remaining.
    const repaired = check(m, true, { FAKE_STATE_kes: "inactive" });
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(
      "drift: 6 differences on minio1 remain after the repair (listed above); fix them by hand",
    );
  });

  it("the manifest refuses what would not be one word, and the script is pinned", () => {
    expect(() => renderDriftManifest({ files: [file("/etc/a b", "x", "0644", "s")], units: [] })).toThrow(
      /path/,
    );
    expect(() => renderDriftManifest({ files: [], units: [{ unit: "x;y", step: "s" }] })).toThrow(/unit/);
    expect(
      renderDriftManifest({
        files: [file("/etc/default/minio", "x", "0600", "minio-minio1-config")],
        units: [],
      }),
    ).toBe(`file ${sha("x")} ${me} ${myGroup} 600 /etc/default/minio minio-minio1-config\n`);
    expectGolden("scripts/hosts/drift-check.sh", driftCheckScript({ host: "minio1", repair: false }));
    const sc = spawnSync(
      "shellcheck",
      ["-s", "bash", "-S", "style", goldenPath("scripts/hosts/drift-check.sh")],
      {
        encoding: "utf8",
      },
    );
    expect(`${sc.stdout}${sc.stderr}`).toBe("");
    expect(sc.status).toBe(0);
  });
});
