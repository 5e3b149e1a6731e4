/**
 * A load probe (issue 11): a client that writes and reads SSE-KMS objects to a deployment without
 * stopping while `pulumi up` runs, and reports what a user of the deployment would have seen.
 *
 * It runs on the deploying machine with the `mc` it is given (the stand-in in CI, which signs
 * its requests with SigV4 like the real one), one request at a time, each to the next MinIO node
 * in turn (a client without a load balancer): `mc cp - ALIAS/BUCKET/probe-N` then
 * `mc cat ALIAS/BUCKET/probe-N`, compared with what was written. The bucket's default encryption
 * makes every write ask KES for a data key and every read ask KES to decrypt it.
 *
 * Reports: requests, failed requests (with the first errors), the longest time without a
 * successful request, and objects written successfully that cannot be read back afterwards.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the probe sends its requests. */
export interface ProbeTarget {
  /** The local `mc` binary. */
  mc: string;
  /** `http://address:9000` of each MinIO node. */
  endpoints: string[];
  /** MinIO's root user and password (they reach mc only through MC_HOST_probe). */
  user: string;
  password: string;
  /** A bucket with default SSE-KMS encryption. */
  bucket: string;
}

/** What the probe saw. */
export interface ProbeReport {
  requests: number;
  failed: number;
  /**
   * Failed requests whose error says KES refused MinIO's credential (MinIO's `kms:NotAuthorized`,
   * "insufficient permissions to perform KMS operation"), as opposed to a node being down.
   */
  authFailed: number;
  /**
   * Failed requests whose error comes from MinIO's KMS calls (KES refused the credential, or could
   * not be reached or verified: `kms: …`), as opposed to a MinIO node being down.
   */
  kesFailed: number;
  /** The first few failures: `<op> <node>: <mc's message>`. */
  errors: string[];
  /** The longest time between two successful requests (or the start and the first one), in ms. */
  longestGapMs: number;
  /** Objects written successfully that could not be read back (or read back different) at the end. */
  lost: string[];
  /** How long the probe ran, in ms. */
  ranMs: number;
}

function mc(t: ProbeTarget, endpoint: string, configDir: string, args: string[], input?: string) {
  const url = new URL(endpoint);
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    MC_HOST_probe: `${url.protocol}//${t.user}:${t.password}@${url.host}`,
  };
  return new Promise<{ code: number; out: string }>((resolve) => {
    const p = spawn(t.mc, ["--config-dir", configDir, "--no-color", ...args], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    p.on("error", (e) => resolve({ code: -1, out: String(e) }));
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    p.stdin.on("error", () => {});
    p.stdin.end(input ?? "");
  });
}

/** What MinIO answers when KES refuses its credential (the stand-in says it as MinIO does). */
export const KES_AUTH_ERROR = /NotAuthorized|not authorized|insufficient permissions/i;

/** What MinIO answers when a KMS call fails otherwise (KES unreachable, or its certificate not trusted). */
export const KES_ERROR = /\bkms: |KMS is not|certificate signed by unknown authority/;

/** A running probe; {@link LoadProbe.stop} ends it and checks every object it wrote. */
export class LoadProbe {
  private running = true;
  private readonly loop: Promise<void>;
  private readonly configDir = mkdtempSync(join(tmpdir(), "probe-mc-"));
  private readonly written = new Map<string, string>();
  private requests = 0;
  private failed = 0;
  private authFailed = 0;
  private kesFailed = 0;
  private readonly errors: string[] = [];
  private lastOk: number;
  private longestGap = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly t: ProbeTarget,
    private readonly pauseMs = 50,
  ) {
    this.lastOk = this.startedAt;
    this.loop = this.run();
  }

  private record(ok: boolean, what: string, out: string): void {
    this.requests++;
    const now = Date.now();
    if (ok) {
      this.longestGap = Math.max(this.longestGap, now - this.lastOk);
      this.lastOk = now;
    } else {
      this.failed++;
      if (KES_AUTH_ERROR.test(out)) this.authFailed++;
      if (KES_AUTH_ERROR.test(out) || KES_ERROR.test(out)) this.kesFailed++;
      if (this.errors.length < 5) this.errors.push(`${what}: ${out.trim().split("\n")[0]}`);
    }
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const endpoint = this.t.endpoints[i % this.t.endpoints.length]!;
      const node = new URL(endpoint).hostname;
      const name = `probe-${i}`;
      const body = `probe ${i} ${Date.now()}\n`;
      const put = await mc(
        this.t,
        endpoint,
        this.configDir,
        ["cp", "-", `probe/${this.t.bucket}/${name}`],
        body,
      );
      this.record(put.code === 0, `write ${name} via ${node}`, put.out);
      if (put.code === 0) {
        this.written.set(name, body);
        const get = await mc(this.t, endpoint, this.configDir, ["cat", `probe/${this.t.bucket}/${name}`]);
        this.record(
          get.code === 0 && get.out === body,
          `read ${name} via ${node}`,
          get.code === 0 ? "content differs" : get.out,
        );
      }
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  /** Stop, then read back every object written successfully, through the first node. */
  async stop(): Promise<ProbeReport> {
    this.running = false;
    await this.loop;
    const ranMs = Date.now() - this.startedAt;
    // A run of failures at the end counts as a gap too.
    this.longestGap = Math.max(this.longestGap, Date.now() - this.lastOk);
    const lost: string[] = [];
    for (const [name, body] of this.written) {
      const get = await mc(this.t, this.t.endpoints[0]!, this.configDir, [
        "cat",
        `probe/${this.t.bucket}/${name}`,
      ]);
      if (get.code !== 0 || get.out !== body) lost.push(name);
    }
    rmSync(this.configDir, { recursive: true, force: true });
    return {
      requests: this.requests,
      failed: this.failed,
      authFailed: this.authFailed,
      kesFailed: this.kesFailed,
      errors: this.errors,
      longestGapMs: this.longestGap,
      lost,
      ranMs,
    };
  }
}

/** One line for logs and notes. */
export function describeReport(what: string, r: ProbeReport, wallMs: number): string {
  return `${what}: up ${(wallMs / 1000).toFixed(1)} s; probe ${r.requests} requests, ${r.failed} failed (${r.kesFailed} on KES, ${r.authFailed} of them on authentication), longest gap ${(r.longestGapMs / 1000).toFixed(1)} s, ${r.lost.length} objects lost${r.errors.length ? `; first errors: ${r.errors.join(" | ")}` : ""}`;
}
