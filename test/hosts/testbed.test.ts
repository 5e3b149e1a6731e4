import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootTestbed, TESTBED_BRIDGE, type Testbed, type TestHost, testbedSkipReason } from "./testbed";

const skipReason = testbedSkipReason();

/** Is PID a live process (a zombie waiting to be reaped counts as gone)? */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function sshWithKnownHosts(
  tb: Testbed,
  knownHosts: string,
  host: TestHost,
): Promise<{ code: number; stderr: string }> {
  const opts = tb
    .sshOptions()
    .map((o) => (o.startsWith("UserKnownHostsFile=") ? `UserKnownHostsFile=${knownHosts}` : o));
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", [...opts, "--", `root@${host.address}`, "true"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe.skipIf(skipReason !== undefined)(
  `test hosts (systemd-nspawn)${skipReason ? ` — SKIPPED: ${skipReason}` : ""}`,
  () => {
    let tb: Testbed;
    let h1: TestHost;
    let h2: TestHost;
    let scratch: string;

    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), "mkt-testbed-test-"));
      tb = await bootTestbed(3);
      [h1, h2] = tb.hosts as [TestHost, TestHost];
    }, 600_000);

    afterAll(async () => {
      rmSync(scratch, { recursive: true, force: true });
      if (!tb) return;
      const pids = tb.hosts.map((h) => h.pid);
      await tb.teardown();
      await tb.teardown(); // safe twice
      expect(existsSync(`/sys/class/net/${TESTBED_BRIDGE}`), "bridge left behind").toBe(false);
      expect(pids.filter(processAlive), "systemd-nspawn processes left alive").toEqual([]);
      expect(existsSync(tb.dir), "testbed folder left behind").toBe(false);
    }, 120_000);

    it("records three hosts with addresses, pinned keys and PIDs", () => {
      expect(tb.hosts.map((h) => [h.name, h.address])).toEqual([
        ["h1", "198.18.0.11"],
        ["h2", "198.18.0.12"],
        ["h3", "198.18.0.13"],
      ]);
      for (const h of tb.hosts) {
        expect(h.hostKey).toMatch(/^ssh-ed25519 AAAA[0-9A-Za-z+/=]+$/);
        expect(h.pid).toBeGreaterThan(1);
      }
      expect(new Set(tb.hosts.map((h) => h.hostKey)).size).toBe(3);
      expect(tb.privateKeyPem).toContain("BEGIN OPENSSH PRIVATE KEY");
      expect(tb.dir.startsWith(join(__dirname, "..", ".."))).toBe(false);
    });

    it("boots systemd as PID 1 on each host, running", async () => {
      for (const h of tb.hosts) {
        const r = await tb.exec(h, "systemctl is-system-running; cat /proc/1/comm", { check: false });
        expect(r.stdout.split("\n").slice(0, 2), `${h.name}: ${r.stderr}`).toEqual(["running", "systemd"]);
        const failed = await tb.exec(h, "systemctl --failed --no-legend --plain");
        expect(failed.stdout.trim(), `${h.name} failed units`).toBe("");
      }
    });

    it("gives each host its hostname, its address and no route off the bridge", async () => {
      for (const h of tb.hosts) {
        expect((await tb.exec(h, "hostname")).stdout.trim()).toBe(h.name);
        const addr = await tb.exec(h, "ip -4 -o addr show dev host0");
        expect(addr.stdout).toContain(`inet ${h.address}/24`);
        const routes = await tb.exec(h, "ip -4 route show");
        expect(routes.stdout).not.toContain("default");
        const machineId = await tb.exec(h, "cat /etc/machine-id");
        expect(machineId.stdout.trim()).toMatch(/^[0-9a-f]{32}$/);
      }
      const ids = await Promise.all(tb.hosts.map((h) => tb.readFile(h, "/etc/machine-id")));
      expect(new Set(ids).size).toBe(3);
    });

    it("lets h1 reach h2's sshd over the bridge, by address and by name", async () => {
      await tb.exec(h1, `timeout 5 bash -c '</dev/tcp/${h2.address}/22'`);
      const r = await tb.exec(h1, "getent hosts h2");
      expect(r.stdout.trim().split(/\s+/)).toEqual([h2.address, "h2"]);
      const banner = await tb.exec(h1, `timeout 5 bash -c 'exec 3<>/dev/tcp/h2/22; head -c 8 <&3'`);
      expect(banner.stdout).toBe("SSH-2.0-");
    });

    it("writes a file through exec stdin that reads back with its mode and owner", async () => {
      const content = "line one\nline two: ünïcödé\n";
      await tb.exec(
        h1,
        "install -d -m 0750 /etc/mkt-probe && umask 077 && cat > /etc/mkt-probe/stdin.txt && chgrp adm /etc/mkt-probe/stdin.txt && chmod 0640 /etc/mkt-probe/stdin.txt",
        { stdin: content },
      );
      expect(await tb.readFile(h1, "/etc/mkt-probe/stdin.txt")).toBe(content);
      expect(await tb.stat(h1, "/etc/mkt-probe/stdin.txt")).toEqual({
        mode: "0640",
        owner: "root",
        group: "adm",
      });
      expect(await tb.stat(h1, "/etc/mkt-probe")).toEqual({ mode: "0750", owner: "root", group: "root" });
    });

    it("copies a local file with copyTo", async () => {
      const local = join(scratch, "payload.bin");
      const bytes = Buffer.alloc(256 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
      writeFileSync(local, bytes);
      await tb.copyTo(h2, local, "/root/payload.bin", "0600");
      const sum = await tb.exec(h2, "sha256sum /root/payload.bin");
      const { createHash } = await import("node:crypto");
      expect(sum.stdout.split(" ")[0]).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(await tb.stat(h2, "/root/payload.bin")).toEqual({ mode: "0600", owner: "root", group: "root" });
    });

    it("reports exit codes, and throws on failure unless check is false", async () => {
      const r = await tb.exec(h1, "echo out; echo err >&2; exit 7", { check: false });
      expect(r).toEqual({ code: 7, stdout: "out\n", stderr: "err\n" });
      await expect(tb.exec(h1, "exit 3")).rejects.toThrow(/exited 3/);
      await expect(tb.exec(h1, "sleep 30", { timeoutMs: 500 })).rejects.toThrow(/timed out/);
    });

    it("pins the host key that sshd presents: a wrong known_hosts entry fails", async () => {
      for (const h of tb.hosts) {
        const onHost = (await tb.readFile(h, "/etc/ssh/ssh_host_ed25519_key.pub")).trim().split(" ");
        expect(`${onHost[0]} ${onHost[1]}`).toBe(h.hostKey);
      }
      const wrong = join(scratch, "known_hosts.wrong");
      writeFileSync(wrong, `${h1.address} ${h2.hostKey}\n`);
      const bad = await sshWithKnownHosts(tb, wrong, h1);
      expect(bad.code).toBe(255);
      expect(bad.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
      const unknown = join(scratch, "known_hosts.empty");
      writeFileSync(unknown, "");
      const none = await sshWithKnownHosts(tb, unknown, h1);
      expect(none.code).toBe(255);
      expect(none.stderr).toMatch(/Host key verification failed/);
      const good = await sshWithKnownHosts(tb, tb.knownHostsPath, h1);
      expect(good.code).toBe(0);
    });

    it("returns journal entries of a unit", async () => {
      await tb.exec(h1, "systemd-run --unit=mkt-journal-probe --wait --quiet echo hello-from-probe");
      const journal = await tb.journal(h1, "mkt-journal-probe");
      expect(journal).toContain("hello-from-probe");
      expect(journal).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}/m);
      expect(await tb.journal(h1, "ssh.service")).toContain("Server listening");
    });

    it("keeps each host's services apart (same unit name on two hosts)", async () => {
      // All containers' systemds once shared one cgroup: stopping a unit on h1 killed h2's one.
      for (const h of [h1, h2]) await tb.exec(h, "systemd-run --unit=mkt-iso-probe --quiet sleep 600");
      await tb.exec(h1, "systemctl stop mkt-iso-probe");
      const h2State = await tb.exec(h2, "systemctl is-active mkt-iso-probe", { check: false });
      expect(h2State.stdout.trim()).toBe("active");
      await tb.exec(h2, "systemctl stop mkt-iso-probe");
    });
  },
);
