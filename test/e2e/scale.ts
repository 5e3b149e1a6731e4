/**
 * The scale scenario's layout and measurements, shared by its suite (./scaleSuite.ts) and the
 * benchmark (scripts/bench.ts). No vitest here: the benchmark runs outside it.
 */
import { readFileSync, readlinkSync } from "node:fs";
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
 * The process in `h`'s own network namespace: the container's init, the systemd-nspawn process's
 * child (whose /proc/<pid>/net/ is the host's network stack, as seen on the host).
 */
function hostNetPid(h: TestHost): number {
  const children = readFileSync(`/proc/${h.pid}/task/${h.pid}/children`, "utf8").trim().split(/\s+/);
  const init = Number(children[0]);
  if (!Number.isInteger(init) || readlinkSync(`/proc/${init}/ns/net`) === readlinkSync("/proc/self/ns/net"))
    throw new Error(`${h.name}: cannot find the process in its network namespace (nspawn pid ${h.pid})`);
  return init;
}

/** The established connections to port 22 in one host's network namespace (/proc/net/tcp{,6}, state 01). */
function sshConnections(netPid: number): number {
  let n = 0;
  for (const f of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${netPid}/net/${f}`, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(":0016") && cols[3] === "01") n++;
    }
  }
  return n;
}

/**
 * Count the established SSH connections on each host, 4 times a second, while `run` runs: the
 * most seen at once on each host (sshd's side: connections to port 22 in the host's network
 * namespace). Read from this machine through /proc, so counting starts no process and opens no
 * connection on the hosts, and does not slow the run it measures (a sampler of `awk` on every
 * host made a 16-host fresh up 60 % slower on 2 cores).
 */
export async function countConnections<T>(
  _tb: Testbed,
  hosts: TestHost[],
  run: () => Promise<T>,
): Promise<{ result: T; max: number[] }> {
  const pids = hosts.map(hostNetPid);
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
