/**
 * The scale scenario's layout and measurements, shared by its suite (./scaleSuite.ts) and the
 * benchmark (scripts/bench.ts). No vitest here: the benchmark runs outside it.
 */
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
 * Count the established SSH connections on each host, 4 times a second, while `run` runs: the
 * most seen at once on each host (sshd's side: connections to port 22 in /proc/net/tcp and
 * tcp6, state 01). One awk per sample, so that counting does not slow the run it measures.
 */
export async function countConnections<T>(
  tb: Testbed,
  hosts: TestHost[],
  run: () => Promise<T>,
): Promise<{ result: T; max: number[] }> {
  const sampler =
    "rm -f /run/stop-counting /var/tmp/ssh-counts; nohup bash -c 'while [ ! -e /run/stop-counting ]; do awk '\\''$2 ~ /:0016$/ && $4 == \"01\" { n++ } END { print n + 0 }'\\'' /proc/net/tcp /proc/net/tcp6; sleep 0.25; done' >/var/tmp/ssh-counts 2>&1 </dev/null &";
  for (const h of hosts) await tb.exec(h, sampler);
  try {
    return { result: await run(), max: await maxima() };
  } catch (e) {
    await maxima();
    throw e;
  }
  async function maxima(): Promise<number[]> {
    const out: number[] = [];
    for (const h of hosts) {
      await tb.exec(h, "touch /run/stop-counting; sleep 0.2");
      const counts = (await tb.readFile(h, "/var/tmp/ssh-counts")).split("\n").filter(Boolean).map(Number);
      // The sampler's own connection (tb.exec) is one of them.
      out.push(Math.max(0, ...counts) - 1);
    }
    return out;
  }
}
