/**
 * An attacker on a test host, racing the library's writes: processes running as a service
 * account (`kes`, `minio-user`) that loop without pause while a `pulumi up` rewrites the
 * installed files, trying in every round to
 *
 * - create a file, a symbolic link to a root-owned canary, a hard link, and rename a link of
 *   their own into every directory the library writes into;
 * - replace every temporary file they can see there (the atomic writes' `.<name>.XXXXXX`,
 *   `atomicWrite` in lib/core/scripts/prelude.ts, `installBinaryScript` in
 *   lib/core/scripts/binaries.ts) with a link to the canary, open it for writing, remove it;
 * - open every installed file for writing, chmod it, rename a link over it.
 *
 * The host image has no inotifywait (test/hosts/testbed.sh PACKAGES), so the racer is a tight
 * loop in Perl (perl-base is in every Debian): no process per attempt, tens of thousands of
 * system calls a second, at nice 19 so that it takes only the CPU the deployment leaves. Every
 * success goes to a log the racer owns (`<dir>/successes.log`); at the stop it writes how many
 * attempts it made, per second, and which temporary files it saw (`<dir>/summary`).
 */
import { createHash, randomBytes } from "node:crypto";
import { shq, type Testbed, type TestHost } from "../hosts/testbed";
import { type Owned, SYSTEM_DIRS } from "./ownership";

export const CANARY = "/root/canary";
const STOP = "/run/pulumi-minio-kes-racer.stop";
const SCRIPT = "/run/pulumi-minio-kes-racer.pl";

const RACER_PL = String.raw`
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL O_APPEND O_NOFOLLOW);

# racer.pl OWN_DIR CANARY STOP_FILE DIR... -- FILE...
my ($own, $canary, $stop, @rest) = @ARGV;
my (@dirs, @files);
my $into = \@dirs;
for (@rest) {
  if ($_ eq '--') { $into = \@files; next }
  push @$into, $_;
}
my $me = getpwuid($<);
my $link = "$own/link";
symlink($canary, $link) or die "symlink $link: $!";
my $plain = "$own/plain";
open(my $pf, '>', $plain) or die "$plain: $!";
close $pf;
open(my $log, '>>', "$own/successes.log") or die "log: $!";
select((select($log), $| = 1)[0]);
my ($attempts, $rounds) = (0, 0);
my (%sec, %seen);
my $started = time;

sub won { print $log time, " $me $_[0] $_[1]\n" }
sub relink { unlink $link; symlink($canary, $link) }

while (!-e $stop) {
  my $n = 0;
  for my $d (@dirs) {
    my $p = "$d/.racer-$me";
    $n++;
    if (sysopen(my $f, $p, O_WRONLY | O_CREAT | O_EXCL, 0644)) { won('created', $p); close $f; unlink $p }
    $n++;
    if (symlink($canary, "$p-link")) { won('linked-canary-at', "$p-link"); unlink "$p-link" }
    $n++;
    if (rename($link, "$p-mv")) { won('moved-link-to', "$p-mv"); unlink "$p-mv"; relink() }
    $n++;
    if (link($plain, "$p-hl")) { won('hard-linked', "$p-hl"); unlink "$p-hl" }
    $n++;
    if (opendir(my $dh, $d)) {
      for my $e (readdir $dh) {
        next unless $e =~ /^\..+\.[A-Za-z0-9]{6}$/ && $e !~ /^\.racer-/;
        my $t = "$d/$e";
        $seen{$t}++;
        $n++;
        if (rename($link, $t)) { won('replaced-temp-with-canary-link', $t); relink() }
        $n++;
        if (sysopen(my $f, $t, O_WRONLY | O_NOFOLLOW)) { won('opened-temp-for-writing', $t); close $f }
        $n++;
        if (unlink $t) { won('removed-temp', $t) }
      }
      closedir $dh;
    }
  }
  for my $f (@files) {
    $n++;
    if (sysopen(my $fh, $f, O_WRONLY | O_APPEND)) { won('opened-for-writing', $f); close $fh }
    $n++;
    if (chmod(0666, $f)) { won('chmod-0666', $f) }
    $n++;
    if (rename($link, $f)) { won('replaced-with-canary-link', $f); relink() }
  }
  $attempts += $n;
  $rounds++;
  $sec{time()} += $n;
}

open(my $s, '>', "$own/summary.tmp") or die "summary: $!";
print $s "user $me\nattempts $attempts\nrounds $rounds\nstarted $started\nstopped ", time, "\n";
print $s "sec $_ $sec{$_}\n" for sort keys %sec;
print $s "seen $_ $seen{$_}\n" for sort keys %seen;
close $s;
rename("$own/summary.tmp", "$own/summary") or die "summary: $!";
`;

/** What one racer did. */
export interface RacerReport {
  user: string;
  attempts: number;
  rounds: number;
  /** Unix seconds (the hosts share this machine's clock). */
  started: number;
  stopped: number;
  /** Attempts per second. */
  perSecond: Map<number, number>;
  /** Temporary files the racer saw in the directories it could list, with how many rounds saw them. */
  seen: Map<string, number>;
  /** Lines of its success log (each one an attack that worked). */
  successes: string[];
  /** The log file's `owner mode`. */
  logOwner: string;
}

/** The canary as it was: `owner group mode`, sha256 and bytes. */
export interface CanaryState {
  stat: string;
  sha256: string;
  content: string;
}

/** Read the canary's state. */
export async function canaryState(tb: Testbed, h: TestHost): Promise<CanaryState> {
  const stat = (await tb.exec(h, `stat -c '%U %G %a' -- ${CANARY}`)).stdout.trim();
  const content = await tb.readFile(h, CANARY);
  return { stat, content, sha256: createHash("sha256").update(content).digest("hex") };
}

/** Put a root-owned canary (root:root 0600, random content) at {@link CANARY}; returns its state. */
export async function makeCanary(tb: Testbed, h: TestHost): Promise<CanaryState> {
  await tb.exec(
    h,
    `set -e; umask 077; printf '%s\\n' ${shq(`canary ${randomBytes(16).toString("hex")}`)} > ${CANARY}; chown root:root ${CANARY}; chmod 0600 ${CANARY}`,
  );
  return canaryState(tb, h);
}

/**
 * Start one racer per account on `h`, attacking the `dirs` and `files` of `targets(account)`, and a root-owned canary
 * (root:root 0600, random content) that their links point to. `stop()` ends them and reads what
 * they did.
 */
export async function startRacers(
  tb: Testbed,
  h: TestHost,
  users: string[],
  targets: (user: string) => { dirs: string[]; files: string[] },
): Promise<{ canary: CanaryState; stop(): Promise<RacerReport[]> }> {
  const canary = await makeCanary(tb, h);
  await tb.exec(h, `set -e; rm -f ${STOP}; umask 022; cat > ${SCRIPT}`, { stdin: RACER_PL });
  for (const u of users) {
    const t = targets(u);
    const args = [...t.dirs, "--", ...t.files].map(shq).join(" ");
    const own = `/var/tmp/racer-${u}`;
    await tb.exec(
      h,
      `set -e; rm -rf ${own}; install -d -o ${u} -g ${u} -m 0700 ${own}; ` +
        `setsid runuser -u ${u} -- nice -n 19 perl ${SCRIPT} ${own} ${CANARY} ${STOP} ${args} >/run/racer-${u}.out 2>&1 </dev/null &`,
    );
  }
  // Each racer is running once its link exists (it made it before its first round).
  for (const u of users)
    await tb.exec(
      h,
      `for i in $(seq 100); do [ -L /var/tmp/racer-${u}/link ] && exit 0; sleep 0.05; done; cat /run/racer-${u}.out >&2; exit 1`,
    );
  return {
    canary,
    async stop() {
      await tb.exec(h, `touch ${STOP}`);
      const reports: RacerReport[] = [];
      for (const u of users) {
        const own = `/var/tmp/racer-${u}`;
        await tb.exec(
          h,
          `for i in $(seq 200); do [ -e ${own}/summary ] && exit 0; sleep 0.05; done; echo "the racer as ${u} did not finish:" >&2; cat /run/racer-${u}.out >&2; exit 1`,
        );
        const summary = (await tb.readFile(h, `${own}/summary`)).trim().split("\n");
        const one = (k: string) => Number(summary.find((l) => l.startsWith(`${k} `))!.split(" ")[1]);
        const pairs = (k: string) =>
          summary
            .filter((l) => l.startsWith(`${k} `))
            .map((l) => l.split(" ") as [string, string, string])
            .map(([, a, b]): [string, number] => [a, Number(b)]);
        const log = await tb.readFile(h, `${own}/successes.log`);
        reports.push({
          user: u,
          attempts: one("attempts"),
          rounds: one("rounds"),
          started: one("started"),
          stopped: one("stopped"),
          perSecond: new Map(pairs("sec").map(([s, n]) => [Number(s), n])),
          seen: new Map(pairs("seen")),
          successes: log.split("\n").filter(Boolean),
          logOwner: (await tb.exec(h, `stat -c '%U %a' -- ${own}/successes.log`)).stdout.trim(),
        });
      }
      return reports;
    },
  };
}

/**
 * What a racer as `user` attacks, from an ownership table: every directory root owns (the
 * library's and the system directories it writes into) and every other account's, never its own
 * (its home and data are its to write), and every installed file.
 */
export function racerTargets(table: Owned[], user: string): { dirs: string[]; files: string[] } {
  const dirs = table.filter((o) => o.kind === "dir" && o.of !== user).map((o) => o.path);
  return {
    dirs: [...new Set([...dirs, ...SYSTEM_DIRS])],
    files: table.filter((o) => o.kind === "file").map((o) => o.path),
  };
}

/** Seconds from `fromMs` to `toMs` (whole seconds inside the interval) in which a racer made no attempt. */
export function quietSeconds(r: RacerReport, fromMs: number, toMs: number): number[] {
  const quiet: number[] = [];
  for (let s = Math.ceil(fromMs / 1000); s < Math.floor(toMs / 1000); s++)
    if (!r.perSecond.get(s)) quiet.push(s);
  return quiet;
}

/** Every kind of attack that worked for a racer, temporary names folded (`.config.yaml.XXXXXX`). */
export function attacksWon(r: RacerReport): string[] {
  return [
    ...new Set(
      r.successes.map((l) =>
        l
          .split(" ")
          .slice(2)
          .join(" ")
          .replace(/\.[A-Za-z0-9]{6}$/, ".XXXXXX"),
      ),
    ),
  ];
}
