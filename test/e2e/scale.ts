/**
 * The scale scenario's layout and measurements, shared by its suite (./scaleSuite.ts) and the
 * benchmark (scripts/bench.ts). No vitest here: the benchmark runs outside it.
 */
import { readFileSync } from "node:fs";
import type { HostArgs } from "../../lib";
import { bootTestbed, hostArgsOf, type Testbed, type TestHost } from "../hosts/testbed";
import type { ScaleEnv } from "./programs";

/** The layout of the scale scenario. */
export const SCALE = { kes: 3, minio: 13, buckets: 20 } as const;
export const SHARED_KEYS = "/var/lib/kes-shared";

/** Boot `kes + minio` hosts, the first `kes` of them sharing the keystore directory. */
export function bootScaleHosts(kes: number, minio: number): Promise<Testbed> {
  const kesNames = Array.from({ length: kes }, (_, i) => `h${i + 1}`);
  return bootTestbed(kes + minio, { sharedDirs: [{ hosts: kesNames, path: SHARED_KEYS }] });
}

/** The program's surroundings on a testbed booted by {@link bootScaleHosts}. */
export function scaleEnv(tb: Testbed, kes: number, binaries: ScaleEnv["binaries"]): ScaleEnv {
  const host = (h: TestHost, name: string): HostArgs => hostArgsOf(tb, h, name);
  return {
    kesHosts: tb.hosts.slice(0, kes).map((h, i) => host(h, `kes${i + 1}`)),
    minioHosts: tb.hosts.slice(kes).map((h, i) => host(h, `minio${i + 1}`)),
    binaries,
    sharedKeys: SHARED_KEYS,
  };
}

/**
 * The sshd that listens on `h`: in the host's own process tree (the child of its init, which is
 * the child of the systemd-nspawn process), named sshd.
 */
function sshListener(h: TestHost): number {
  const children = (pid: number) =>
    readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  const init = children(h.pid)[0];
  const sshd =
    init === undefined
      ? []
      : children(init).filter((c) => readFileSync(`/proc/${c}/comm`, "utf8").trim() === "sshd");
  if (sshd.length !== 1)
    throw new Error(`${h.name}: found ${sshd.length} listening sshd processes (nspawn pid ${h.pid})`);
  return sshd[0]!;
}

/** The SSH connections one host's sshd holds: one child of the listener per connection. */
function sshConnections(listener: number): number {
  return readFileSync(`/proc/${listener}/task/${listener}/children`, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean).length;
}

/**
 * Count the SSH connections on each host, 4 times a second, while `run` runs: the most seen at
 * once on each host beyond those open before it began. Counted on the host, as its sshd sees
 * them: the listening sshd forks one child per connection, read from this machine in the host's
 * process tree (/proc/<pid>/task/<pid>/children), so counting starts no process and opens no
 * connection on the hosts. Reading /proc/net/tcp instead (in the host, or from here) walks the
 * kernel's whole socket table each time: 4 reads a second of 16 hosts made a 16-host fresh up
 * 60 % slower on 2 cores.
 */
export async function countConnections<T>(
  _tb: Testbed,
  hosts: TestHost[],
  run: () => Promise<T>,
): Promise<{ result: T; max: number[] }> {
  const pids = hosts.map(sshListener);
  // What was open before the run (the testbed's own connection to each host) is not the run's.
  const before = pids.map(sshConnections);
  const max = [...before];
  const sample = () =>
    pids.forEach((p, i) => {
      max[i] = Math.max(max[i]!, sshConnections(p));
    });
  const timer = setInterval(sample, 250);
  try {
    const result = await run();
    sample();
    return { result, max: max.map((m, i) => m - before[i]!) };
  } finally {
    clearInterval(timer);
  }
}
