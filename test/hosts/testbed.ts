/**
 * Real Debian test hosts for vitest: boots N systemd-nspawn containers with their own systemd,
 * sshd and address (198.18.0.11..) through `test/hosts/testbed.sh`, and talks to them with the
 * system `ssh` client, host keys pinned. See test/hosts/README.md.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestHost {
  name: string;
  address: string;
  /** The host's pinned SSH host key, "ssh-ed25519 AAAA…". */
  hostKey: string;
  /** PID of the host's systemd-nspawn process on this machine. */
  pid: number;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** Default 60 s; the ssh process is killed when it runs out. */
  timeoutMs?: number;
  /** Default true: a non-zero exit code throws, with the command, code and stderr in the message. */
  check?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Testbed {
  /** Folder holding the hosts' copies, keys, known_hosts and hosts.json (outside the repo). */
  dir: string;
  hosts: TestHost[];
  /** Private key (OpenSSH format, ed25519) authorized for root on every host. */
  privateKeyPem: string;
  privateKeyPath: string;
  /** known_hosts with the hosts' pinned ed25519 keys. */
  knownHostsPath: string;
  /**
   * ssh options (without destination) for a fresh connection to a host, host key checked against
   * the pinned known_hosts: `ssh ...sshOptions() root@ADDRESS command`.
   */
  sshOptions(): string[];
  exec(host: TestHost, command: string, opts?: ExecOptions): Promise<ExecResult>;
  readFile(host: TestHost, path: string): Promise<string>;
  /** mode as four octal digits ("0640"), owner and group names. */
  stat(host: TestHost, path: string): Promise<{ mode: string; owner: string; group: string }>;
  /** `journalctl -u UNIT -o short-iso-precise --no-pager` on the host. */
  journal(host: TestHost, unit: string): Promise<string>;
  /** Copies a local file to the host (atomically: temp file then rename), mode default "0644". */
  copyTo(host: TestHost, localPath: string, remotePath: string, mode?: string): Promise<void>;
  /** Stops the hosts, deletes the bridge and the copies. Safe to call twice. */
  teardown(): Promise<void>;
}

export interface BootOptions {
  /** Folder for the hosts (outside the repo). Default: a new folder under the OS temp folder, removed on teardown. */
  dir?: string;
  /** How long to wait while another run holds the bridge (default 5 minutes). */
  bridgeWaitMs?: number;
  /**
   * Reuse one SSH connection per host for exec/readFile/stat/journal/copyTo (OpenSSH
   * ControlMaster; about 20 ms per command instead of about 300 ms). Default true.
   */
  multiplex?: boolean;
  /**
   * Directories shared by several hosts, like network storage: each entry bind-mounts one
   * folder (under DIR/shared/) at `path` in each of the named hosts (`h1`, `h2`, …).
   */
  sharedDirs?: Array<{ hosts: string[]; path: string }>;
}

/** A test host as the library's components take it (`HostArgs`): named `name`, its host key pinned. */
export function hostArgsOf(
  tb: Testbed,
  h: TestHost,
  name: string,
): { name: string; address: string; hostKey: string; privateKey: string } {
  return { name, address: h.address, hostKey: h.hostKey, privateKey: tb.privateKeyPem };
}

export const TESTBED_SCRIPT = join(__dirname, "testbed.sh");
export const TESTBED_BRIDGE = "br-mkt0";

/** Status code of `testbed.sh up` when the bridge is held by another run. */
const EXIT_BRIDGE_BUSY = 75;

/** Why real hosts cannot be booted here, or undefined when they can. */
export function testbedUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `the test hosts need Linux (this is ${process.platform})`;
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    return "the test hosts need root (systemd-nspawn, a bridge, mounts); run the suite as root";
  }
  const have = (cmd: string) =>
    spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
  if (!have("systemd-nspawn") && !have("apt-get")) {
    return "systemd-nspawn is missing and there is no apt-get to install it (package systemd-container)";
  }
  if (!have("ssh")) {
    if (!have("apt-get")) return "the ssh client is missing (package openssh-client)";
  }
  return undefined;
}

/**
 * For test files: the reason to skip the host tests, or undefined to run them. Under CI=true an
 * unavailable testbed is an error (CI must run the host tests); elsewhere the reason is printed.
 */
export function testbedSkipReason(): string | undefined {
  const reason = testbedUnavailableReason();
  if (reason === undefined) return undefined;
  if (process.env.CI === "true") {
    throw new Error(`host tests cannot run but CI=true requires them: ${reason}`);
  }
  console.warn(`SKIPPED host tests: ${reason}`);
  return reason;
}

/** Quotes a string for a POSIX shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string | Buffer | NodeJS.ReadableStream; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    } catch (err) {
      reject(err);
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, opts.timeoutMs);
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => err.push(d));
    child.stdin?.on("error", () => {
      /* the remote side may close stdin early; the exit code tells */
    });
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    // A multiplexed ssh hands its stdio to the master connection, which keeps the pipes open
    // until the remote command ends: after a timeout, do not wait for them.
    child.on("exit", () => {
      if (!timedOut) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.emit("close", null, "SIGKILL");
    });
    let settled = false;
    child.on("close", (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
      });
    });
    const stdin = opts.stdin;
    if (stdin === undefined) {
      child.stdin?.end();
    } else if (typeof stdin === "string" || Buffer.isBuffer(stdin)) {
      child.stdin?.end(stdin);
    } else {
      stdin.on("error", (e) => {
        child.kill("SIGKILL");
        reject(e);
      });
      stdin.pipe(child.stdin!);
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Boots n hosts h1..hn (198.18.0.11..) and returns a handle to them. Teardown is also registered
 * on process exit, SIGINT and SIGTERM, so a crashed run still removes the hosts and the bridge.
 */
export async function bootTestbed(n: number, opts: BootOptions = {}): Promise<Testbed> {
  const reason = testbedUnavailableReason();
  if (reason !== undefined) throw new Error(`cannot boot test hosts: ${reason}`);
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "mkt-testbed-"));
  mkdirSync(dir, { recursive: true });
  if (ownsDir) writeFileSync(join(dir, ".remove-on-down"), "");

  // A guard outside this process tears the hosts down if this process dies without doing it
  // (vitest SIGKILLs its workers when the main process ends). Stopped on teardown.
  const guard = spawn("bash", [TESTBED_SCRIPT, "guard", dir, String(process.pid)], {
    detached: true,
    stdio: "ignore",
  });
  guard.on("error", () => {});
  guard.unref();
  const stopGuard = () => {
    if (guard.exitCode === null && guard.signalCode === null) guard.kill("SIGTERM");
  };

  let tornDown = false;
  let stopMasters = () => {};
  const downSync = () => {
    if (tornDown) return;
    tornDown = true;
    stopMasters();
    const r = spawnSync("bash", [TESTBED_SCRIPT, "down", dir], { stdio: ["ignore", "ignore", "inherit"] });
    stopGuard();
    // Only a clean `down` has unmounted the copies; otherwise the folder stays for a later `down`.
    if (ownsDir && r.status === 0) rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => downSync();
  const onSignal = (signal: NodeJS.Signals) => {
    downSync();
    removeHandlers();
    // Die of the signal as if nobody had listened, unless someone else handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const removeHandlers = () => {
    process.off("exit", onExit);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("exit", onExit);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const bridgeWaitMs = opts.bridgeWaitMs ?? 5 * 60_000;
  const waitUntil = Date.now() + bridgeWaitMs;
  for (;;) {
    const shared = (opts.sharedDirs ?? []).map((d) => `${d.hosts.join(",")}=${d.path}`).join(";");
    const r = await run("bash", [TESTBED_SCRIPT, "up", dir, String(n)], {
      env: { ...process.env, TESTBED_SHARED: shared },
    });
    if (r.code === 0) break;
    if (r.code === EXIT_BRIDGE_BUSY && Date.now() < waitUntil) {
      await sleep(2_000);
      continue;
    }
    downSync();
    removeHandlers();
    throw new Error(
      `testbed.sh up ${dir} ${n} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ""}):\n${tail(r.stderr, 80)}`,
    );
  }

  const hosts = JSON.parse(readFileSync(join(dir, "hosts.json"), "utf8")) as TestHost[];
  const privateKeyPath = join(dir, "id_ed25519");
  const knownHostsPath = join(dir, "known_hosts");
  const privateKeyPem = readFileSync(privateKeyPath, "utf8");

  const sshOptions = () => [
    "-F",
    "none",
    "-i",
    privateKeyPath,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${knownHostsPath}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
  ];

  // One master connection per host (children of this process, stopped on teardown). A command
  // whose master is gone or not ready yet connects on its own: ssh falls back by itself.
  const masters = new Map<string, ChildProcess>();
  const controlPath = (host: TestHost) => join(dir, `ssh-mux-${host.name}.sock`);
  const muxOptions = (host: TestHost) =>
    masters.has(host.name) ? ["-o", `ControlPath=${controlPath(host)}`, "-o", "ControlMaster=no"] : [];
  stopMasters = () => {
    for (const m of masters.values()) if (m.exitCode === null && m.signalCode === null) m.kill("SIGTERM");
    masters.clear();
  };
  if ((opts.multiplex ?? true) && controlPath({ name: "h99" } as TestHost).length < 100) {
    for (const host of hosts) {
      const master = spawn(
        "ssh",
        [
          ...sshOptions(),
          "-o",
          "ControlMaster=yes",
          "-o",
          `ControlPath=${controlPath(host)}`,
          "-o",
          "ServerAliveInterval=5",
          "-N",
          `root@${host.address}`,
        ],
        { stdio: "ignore" },
      );
      master.on("error", () => masters.delete(host.name));
      master.on("exit", () => masters.delete(host.name));
      master.unref();
      masters.set(host.name, master);
    }
    const readyBy = Date.now() + 10_000;
    while (
      [...masters.keys()].some((name) => !existsSync(controlPath({ name } as TestHost))) &&
      Date.now() < readyBy
    ) {
      await sleep(50);
    }
  }

  const exec = async (host: TestHost, command: string, o: ExecOptions = {}): Promise<ExecResult> => {
    if (tornDown) throw new Error("testbed was torn down");
    const timeoutMs = o.timeoutMs ?? 60_000;
    const r = await run(
      "ssh",
      [...sshOptions(), ...muxOptions(host), "--", `root@${host.address}`, command],
      {
        stdin: o.stdin,
        timeoutMs,
      },
    );
    if (r.timedOut) {
      throw new Error(
        `${host.name}: command timed out after ${timeoutMs} ms: ${command}\nstdout:\n${tail(r.stdout, 20)}\nstderr:\n${tail(r.stderr, 20)}`,
      );
    }
    if ((o.check ?? true) && r.code !== 0) {
      throw new Error(`${host.name}: command exited ${r.code}: ${command}\nstderr:\n${tail(r.stderr, 40)}`);
    }
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };

  const testbed: Testbed = {
    dir,
    hosts,
    privateKeyPem,
    privateKeyPath,
    knownHostsPath,
    sshOptions,
    exec,
    async readFile(host, path) {
      return (await exec(host, `cat -- ${shq(path)}`)).stdout;
    },
    async stat(host, path) {
      const out = (await exec(host, `stat -c '%a %U %G' -- ${shq(path)}`)).stdout.trim();
      const [mode, owner, group] = out.split(" ");
      return { mode: mode!.padStart(4, "0"), owner: owner!, group: group! };
    },
    async journal(host, unit) {
      return (await exec(host, `journalctl -u ${shq(unit)} -o short-iso-precise --no-pager`)).stdout;
    },
    async copyTo(host, localPath, remotePath, mode = "0644") {
      if (!/^[0-7]{3,4}$/.test(mode)) throw new Error(`copyTo: mode must be octal, got ${mode}`);
      const script = [
        "set -e",
        `dest=${shq(remotePath)}`,
        `tmp=$(mktemp "$(dirname -- "$dest")/.copy.XXXXXX")`,
        `trap 'rm -f -- "$tmp"' EXIT`,
        `cat > "$tmp"`,
        `chmod ${mode} "$tmp"`,
        `mv -f -- "$tmp" "$dest"`,
        "trap - EXIT",
      ].join("\n");
      const r = await run(
        "ssh",
        [...sshOptions(), ...muxOptions(host), "--", `root@${host.address}`, script],
        {
          stdin: createReadStream(localPath),
          timeoutMs: 120_000,
        },
      );
      if (r.code !== 0 || r.timedOut) {
        throw new Error(
          `${host.name}: copy ${localPath} -> ${remotePath} failed (exit ${r.code}):\n${tail(r.stderr, 20)}`,
        );
      }
    },
    async teardown() {
      if (tornDown) return;
      tornDown = true;
      stopMasters();
      const r = await run("bash", [TESTBED_SCRIPT, "down", dir]);
      stopGuard();
      removeHandlers();
      if (r.code !== 0)
        throw new Error(`testbed.sh down ${dir} failed (exit ${r.code}):\n${tail(r.stderr, 40)}`);
      if (ownsDir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
  return testbed;
}
