/**
 * MinIO over TLS on a real host, KES next to it, with either runner (./scenarioSuite.ts Runner):
 * - bring-your-own certificates (made with OpenSSL here): HTTPS gates against the CA, mc
 *   trusting the CA, a verified bucket, plain HTTP refused, a second run changing nothing;
 * - generated certificates (`@pulumi/tls`, both components' CAs and leaves, MinIO's KES API key),
 *   then `tls.rotation`: every generated key and certificate is replaced, KES reloads, MinIO
 *   restarts with the new CA, and an object written before the rotation still reads back.
 *   While the rotation rewrites the files, racers as kes and minio-user (./racer.ts) try to plant,
 *   replace and write what root installs: no attempt may succeed, the root-owned canary their
 *   links point to stays as it was, and every path keeps the owner and mode of ./ownership.ts.
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BinarySourceArgs, HostArgs } from "../../lib";
import { makeCertificates, serveTestBinaries } from "../../scripts/lib/binaries";
import type { RunResult } from "../../scripts/lib/harness";
import { bootTestbed, hostArgsOf, shq, type Testbed } from "../hosts/testbed";
import { expected, kesOwnership, minioOwnership, observe, SYSTEM_DIRS } from "./ownership";
import { tlsProgram } from "./programs";
import { attacksWon, canaryState, quietSeconds, racerTargets, startRacers } from "./racer";
import type { Runner } from "./scenarioSuite";

/** Below this many attempts per second of the rotation, the racer cannot have been racing. */
const RACER_MIN_ATTEMPTS_PER_SECOND = 10_000;

const changed = (r: RunResult) =>
  r.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${s.name}`)
    .sort();

export function tlsSuite(runner: Runner, skip: string | undefined): void {
  const work = mkdtempSync(join(tmpdir(), "mkt-e2e-tls-"));
  describe.skipIf(skip !== undefined)(
    `MinIO over TLS on a real host (${runner.label})${skip ? ` — SKIPPED: ${skip}` : ""}`,
    () => {
      let tb: Testbed;
      let server: Server | undefined;
      let host: HostArgs;
      let binaries: Record<"minio" | "kes" | "mc", BinarySourceArgs>;

      beforeAll(async () => {
        tb = await bootTestbed(2);
        const served = await serveTestBinaries(`TLS (${runner.label})`);
        server = served.server;
        binaries = served.sources;
      }, 900_000);

      afterAll(async () => {
        server?.close();
        await tb?.teardown();
        rmSync(work, { recursive: true, force: true });
      }, 300_000);

      const hostArgs = (i: number): HostArgs => hostArgsOf(tb, tb.hosts[i]!, "node1");
      /** mc on the host, over HTTPS with the CA MinIO's certificates dir holds. */
      const mc = async (i: number, args: string) => {
        const script = `set -a; . /etc/default/minio; set +a; export MC_HOST_t="https://\${MINIO_ROOT_USER}:\${MINIO_ROOT_PASSWORD}@localhost:9000"; mkdir -p /tmp/mc-t/certs/CAs; cp /etc/minio/certs/CAs/ca.crt /tmp/mc-t/certs/CAs/; /usr/local/bin/mc --config-dir /tmp/mc-t ${args}`;
        return (await tb.exec(tb.hosts[i]!, `bash -c ${shq(script)}`, { timeoutMs: 60_000 })).stdout;
      };
      const fingerprint = async (i: number, path: string) =>
        new X509Certificate(await tb.readFile(tb.hosts[i]!, path)).fingerprint256;

      it("bring-your-own certificates: HTTPS with the given certificate, a verified bucket, and a second run changes nothing", async () => {
        host = hostArgs(0);
        const h = tb.hosts[0]!;
        // One CA for both: the KES certificate (IP SAN) and MinIO's (IP and localhost, for mc).
        const pki = makeCertificates(join(work, "pki"), [
          { name: "kes", address: h.address },
          { name: "minio", address: h.address, extraSans: ["DNS:localhost", "IP:127.0.0.1"] },
        ]);
        const program = tlsProgram({
          host,
          binaries,
          byo: { ca: pki.ca, kes: pki.certs.kes!, minio: pki.certs.minio! },
        });
        const statePath = join(work, "byo.json");
        const run = await runner.run(program, { statePath });
        expect(run.steps.find((s) => s.name === "secure-node1-bucket")!.stdout).toMatch(
          /result: algorithm=sse-kms key=minio-secure verified=true/,
        );
        const env = await tb.readFile(h, "/etc/default/minio");
        expect(env).toContain("MINIO_VOLUMES='/var/lib/minio/d{1...4}'");
        expect(env).toContain("--certs-dir /etc/minio/certs");
        expect(await tb.stat(h, "/etc/minio/certs/private.key")).toEqual({
          mode: "0640",
          owner: "root",
          group: "minio-user",
        });
        expect(await tb.stat(h, "/etc/minio/certs")).toEqual({
          mode: "0750",
          owner: "root",
          group: "minio-user",
        });
        // The S3 port answers TLS with our certificate: curl checks it against the CA and the name.
        await tb.exec(
          h,
          "curl -fsS --cacert /etc/minio/certs/CAs/ca.crt -o /dev/null https://localhost:9000/minio/health/live",
        );
        const plain = await tb.exec(h, "curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/live", {
          check: false,
        });
        expect(plain.code).not.toBe(0);
        const again = await runner.run(program, { statePath });
        expect(changed(again)).toEqual([]);
      }, 900_000);

      it("generated certificates, then tls.rotation replaces every key and certificate; KES reloads, MinIO restarts, objects stay readable", async () => {
        host = hostArgs(1);
        const h = tb.hosts[1]!;
        const statePath = join(work, "generated.json");
        const first = await runner.run(tlsProgram({ host, binaries, rotation: "2026-11" }), { statePath });
        expect(first.steps.find((s) => s.name === "secure-node1-bucket")!.stdout).toMatch(/verified=true/);
        // The certificates on the host are the generated ones: the KES server certificate names the
        // host's IP and is signed by the KES CA the library made; MinIO's by its own CA.
        const kesCert = new X509Certificate(await tb.readFile(h, "/etc/kes/server.crt"));
        const kesCa = new X509Certificate(await tb.readFile(h, "/etc/kes/ca.crt"));
        expect(kesCert.checkIssued(kesCa)).toBe(true);
        expect(kesCert.subjectAltName).toContain(`IP Address:${h.address}`);
        expect(kesCa.subject).toContain("CN=kes KES CA");
        const minioCert = new X509Certificate(await tb.readFile(h, "/etc/minio/certs/public.crt"));
        expect(
          minioCert.checkIssued(new X509Certificate(await tb.readFile(h, "/etc/minio/certs/CAs/ca.crt"))),
        ).toBe(true);
        expect(minioCert.subjectAltName).toContain("DNS:localhost");
        await tb.exec(
          h,
          "curl -fsS --cacert /etc/minio/certs/CAs/ca.crt -o /dev/null https://localhost:9000/minio/health/live",
        );
        await mc(1, "cp /etc/hostname t/secure/before-rotation.txt");
        // What a rotation must change on the host: every certificate, the KES key, MinIO's API key.
        const snapshot = async () => ({
          kes: await fingerprint(1, "/etc/kes/server.crt"),
          kesCa: await fingerprint(1, "/etc/kes/ca.crt"),
          minio: await fingerprint(1, "/etc/minio/certs/public.crt"),
          minioCa: await fingerprint(1, "/etc/minio/certs/CAs/ca.crt"),
          kesKey: await tb.readFile(h, "/etc/kes/server.key"),
          apiKey: /MINIO_KMS_KES_API_KEY='([^']+)'/.exec(await tb.readFile(h, "/etc/default/minio"))![1],
        });
        const before = await snapshot();
        expect(
          changed(await runner.run(tlsProgram({ host, binaries, rotation: "2026-11" }), { statePath })),
        ).toEqual([]);

        // Rotation: the preview says what the runbook says (docs/runbooks.md, "Rotating certificates").
        const rotate = tlsProgram({ host, binaries, rotation: "2026-12" });
        const preview = await runner.run(rotate, { statePath, preview: true });
        const plan = Object.fromEntries(preview.steps.map((s) => [s.name, s.op]));
        for (const r of [
          "kes-ca-key",
          "kes-ca-cert",
          "kes-node1-server-key",
          "kes-node1-server-cert",
          "kes-minio-client-key",
          "minio-ca-key",
          "minio-ca-cert",
          "minio-node1-server-key",
          "minio-node1-server-cert",
          "kes-node1-reload",
          "minio-node1-service",
          "minio-node1-ready",
          // A new MinIO API key changes the env file, and the KES CA is new: the config step's
          // triggers name both.
          "minio-node1-config",
          // The files steps' triggers name each file's revision: new certificates, keys and CAs.
          "kes-node1-files",
          "minio-node1-certs",
          "minio-host-keys",
          "minio-node1-preflight",
        ])
          expect(plan[r], r).toBe("replace");
        // The revision keys never rotate, and nothing else restarts KES.
        for (const r of [
          "kes-revision-key",
          "minio-revision-key",
          "kes-node1-service",
          "kes-node1-unit",
          "minio-node1-unit",
        ])
          expect(plan[r], r).toBe("same");

        const kesPid = (await tb.exec(h, "systemctl show -p MainPID --value kes")).stdout.trim();
        // The attacker (./racer.ts): as kes and as minio-user, racing every write of the rotation.
        const table = [
          ...kesOwnership({ keystoreDir: "/var/lib/kes/keys" }),
          ...minioOwnership({
            tls: true,
            admin: true,
            drives: [1, 2, 3, 4].map((i) => `/var/lib/minio/d${i}`),
          }),
        ];
        const racers = await startRacers(tb, h, ["kes", "minio-user"], (u) => racerTargets(table, u));
        const rotationStart = Date.now();
        await runner.run(rotate, { statePath });
        const rotationEnd = Date.now();
        const raced = await racers.stop();
        console.log(
          `TLS (${runner.label}): rotation ${rotationEnd - rotationStart} ms; ${raced
            .map(
              (r) =>
                `racer as ${r.user}: ${r.attempts} attempts in ${r.rounds} rounds, ${r.successes.length} successes${r.successes.length ? ` (${attacksWon(r).join("; ")})` : ""}, ${r.seen.size} temporary files seen (${[...r.seen.keys()].join(", ")})`,
            )
            .join("; ")}`,
        );
        for (const r of raced) {
          const who = `racer as ${r.user}`;
          expect(attacksWon(r), `${who} won ${r.successes.length} times`).toEqual([]);
          expect(r.logOwner.split(" ")[0], `${who}: its log`).toBe(r.user);
          // It raced the whole run: running before it began and after it ended, every second between.
          expect(r.started * 1000, `${who} started`).toBeLessThanOrEqual(rotationStart);
          expect(r.stopped, `${who} stopped`).toBeGreaterThanOrEqual(Math.floor(rotationEnd / 1000));
          expect(quietSeconds(r, rotationStart, rotationEnd), `${who}: seconds without an attempt`).toEqual(
            [],
          );
          expect(r.attempts, `${who}: attempts`).toBeGreaterThan(
            RACER_MIN_ATTEMPTS_PER_SECOND * ((rotationEnd - rotationStart) / 1000),
          );
        }
        // Each saw some of the rotation's own temporary files: they raced the writes themselves.
        for (const r of raced)
          expect(r.seen.size, `temporary files the racer as ${r.user} saw`).toBeGreaterThan(0);
        expect(await canaryState(tb, h), "the canary").toEqual(racers.canary);
        expect(
          await observe(
            tb,
            h,
            table.map((o) => o.path),
          ),
        ).toEqual(expected(table));
        // No temporary file left behind, nothing planted in root's directories.
        const rootDirs = table.filter((o) => o.kind === "dir" && o.of === "root").map((o) => o.path);
        expect(
          (
            await tb.exec(
              h,
              `find ${[...rootDirs, ...SYSTEM_DIRS].join(" ")} -mindepth 1 -maxdepth 1 -name '.*'`,
            )
          ).stdout,
        ).toBe("");
        const after = await snapshot();
        for (const k of Object.keys(before) as Array<keyof typeof before>)
          expect(after[k], k).not.toBe(before[k]);
        // KES reloaded in place (same process); MinIO trusts the new CA and serves the new certificate.
        expect((await tb.exec(h, "systemctl show -p MainPID --value kes")).stdout.trim()).toBe(kesPid);
        await tb.exec(
          h,
          "curl -fsS --cacert /etc/minio/certs/CAs/ca.crt -o /dev/null https://localhost:9000/minio/health/ready",
        );
        expect(await mc(1, "cat t/secure/before-rotation.txt")).toBe(await tb.readFile(h, "/etc/hostname"));
        expect(await mc(1, "stat t/secure/before-rotation.txt")).toMatch(
          /Encryption: SSE-KMS \(arn:aws:kms:minio-secure\)/,
        );
        expect(changed(await runner.run(rotate, { statePath }))).toEqual([]);
      }, 900_000);
    },
  );
}
