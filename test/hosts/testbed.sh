#!/usr/bin/env bash
# Test hosts for pulumi-minio-kes: real Debian bookworm systems booted with systemd-nspawn, each
# with its own systemd (PID 1), sshd and a static address on a bridge that this script creates and
# deletes. See test/hosts/README.md.
#
#   testbed.sh rootfs        build (once) the cached root file system tarball
#   testbed.sh up DIR N      boot N hosts h1..hN (198.18.0.11..) from copies under DIR
#   testbed.sh down DIR      stop exactly the hosts of DIR, delete the bridge and the copies
#   testbed.sh guard DIR PID run `down DIR` once process PID has ended (used by testbed.ts)
#
# Rules kept here: addresses only in 198.18.0.0/24, on a bridge this script creates and deletes;
# the hosts get no gateway and no DNS (traffic stays on the bridge); processes are stopped by the
# PIDs recorded in DIR/pids (checked against /proc before any signal), never by name.
#
# Environment:
#   PULUMI_MINIO_KES_CACHE      cache folder (default /var/cache/pulumi-minio-kes)
#   TESTBED_MODE                overlay | copy (default overlay, copy when overlayfs is unavailable)
#   TESTBED_BOOT_TIMEOUT        seconds to wait for all hosts to answer over SSH (default 180)
#   TESTBED_STOP_TIMEOUT        seconds to wait for a clean shutdown before SIGKILL (default 30)
set -euo pipefail

readonly BRIDGE=br-mkt0
readonly NET_PREFIX=198.18.0
readonly BRIDGE_ADDR=${NET_PREFIX}.1
readonly FIRST_HOST_OCTET=11
readonly MAX_HOSTS=20
readonly SUITE=bookworm
readonly MIRROR=http://deb.debian.org/debian
readonly ALIAS_PREFIX="pulumi-minio-kes-testbed:"
readonly CGROUP_NAME=pulumi-minio-kes-testbed
# Bump when the way the root file system is prepared changes (part of the cache key).
readonly RECIPE_VERSION=3
# Packages of the hosts' root file system (besides debootstrap's minbase). Changing this list
# changes the cache key, so the next run rebuilds the root file system.
readonly PACKAGES=(
  systemd systemd-sysv dbus
  openssh-server openssh-sftp-server
  iproute2 iputils-ping netbase netcat-openbsd
  curl ca-certificates openssl
  procps util-linux passwd adduser coreutils findutils grep sed gawk
  tar gzip xz-utils less sudo jq acl kmod
)
# Tools this script needs on the machine: command -> Debian package.
readonly -A MACHINE_TOOLS=(
  [debootstrap]=debootstrap
  [systemd-nspawn]=systemd-container
  [ip]=iproute2
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  [flock]=util-linux
  [mountpoint]=util-linux
  [setsid]=util-linux
)

CACHE_DIR=${PULUMI_MINIO_KES_CACHE:-/var/cache/pulumi-minio-kes}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)

log() { printf 'testbed: %s\n' "$*" >&2; }
die() {
  printf 'testbed: error: %s\n' "$*" >&2
  exit 1
}
now() { date +%s; }

usage() {
  cat >&2 <<'EOF'
usage: testbed.sh rootfs
       testbed.sh up DIR N
       testbed.sh down DIR
       testbed.sh guard DIR PID    (down DIR once process PID has ended)
EOF
  exit 2
}

require_root() {
  [ "$(uname -s)" = Linux ] || die "needs Linux (this is $(uname -s))"
  [ "$(id -u)" -eq 0 ] || die "needs root (systemd-nspawn, bridges, mounts)"
}

ensure_tools() {
  local missing=() cmd
  for cmd in "${!MACHINE_TOOLS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${MACHINE_TOOLS[$cmd]}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# --- root file system ------------------------------------------------------------------------

rootfs_key() {
  printf '%s\n' "recipe=$RECIPE_VERSION" "suite=$SUITE" "${PACKAGES[@]}" | sort | sha256sum | cut -c1-16
}

rootfs_tarball() { printf '%s/rootfs/%s-%s.tar\n' "$CACHE_DIR" "$SUITE" "$(rootfs_key)"; }
rootfs_lowerdir() { printf '%s/rootfs/%s-%s.root\n' "$CACHE_DIR" "$SUITE" "$(rootfs_key)"; }

# Things done once in the shared root file system; per-host settings are written in prepare_host.
customize_rootfs() {
  local root=$1
  # Per-host identity is written into each copy: machine id, SSH host keys, hostname.
  rm -f "$root"/etc/ssh/ssh_host_*
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  cat >"$root/etc/ssh/sshd_config.d/10-testbed.conf" <<'EOF'
# pulumi-minio-kes testbed: key-only root login, one pinned ed25519 host key.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
  # Nothing else: sshd's own limits stay stock (MaxStartups 10:30:100, MaxSessions 10), as on
  # the hosts users run, so a fan-out the library causes shows here too.
  install -d -m 0700 "$root/root/.ssh"
  # No network beyond the bridge: no gateway, no name servers (names of the hosts are in /etc/hosts).
  rm -f "$root/etc/resolv.conf"
  : >"$root/etc/resolv.conf"
  LC_ALL=C chroot "$root" systemctl enable systemd-networkd.service ssh.service >/dev/null 2>&1
  # Units that only cost boot time in a test host or cannot work in a container.
  local unit
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer dpkg-db-backup.timer systemd-timesyncd.service; do
    LC_ALL=C chroot "$root" systemctl mask "$unit" >/dev/null 2>&1 || true
  done
  LC_ALL=C chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
}

cmd_rootfs() {
  require_root
  ensure_tools
  local tarball lower lock
  tarball=$(rootfs_tarball)
  lower=$(rootfs_lowerdir)
  mkdir -p "$CACHE_DIR/rootfs"
  lock="$CACHE_DIR/rootfs/.lock"
  exec 9>"$lock"
  flock 9
  if [ -f "$tarball" ]; then
    log "cached root file system: $tarball"
    exec 9>&-
    return 0
  fi
  local build="$CACHE_DIR/rootfs/.build-$$"
  rm -rf "$build"
  local started
  started=$(now)
  log "building $SUITE root file system (debootstrap, about a minute) into $build"
  local include
  include=$(
    IFS=,
    echo "${PACKAGES[*]}"
  )
  if ! LC_ALL=C debootstrap --variant=minbase --include="$include" "$SUITE" "$build" "$MIRROR" \
    >"$CACHE_DIR/rootfs/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE_DIR/rootfs/debootstrap.log" >&2
    rm -rf "$build"
    die "debootstrap failed (log: $CACHE_DIR/rootfs/debootstrap.log)"
  fi
  customize_rootfs "$build"
  tar --numeric-owner --xattrs --xattrs-include='*' --acls -C "$build" -cf "$tarball.tmp" .
  mv -f "$tarball.tmp" "$tarball"
  # The build tree is exactly the tarball's content: keep it as the shared read-only lower dir.
  rm -rf "$lower"
  mv "$build" "$lower"
  touch "$lower.complete"
  prune_rootfs_cache
  log "root file system built in $(($(now) - started)) s: $tarball ($(du -sh "$tarball" | cut -f1))"
  exec 9>&-
}

# Removes root file systems of other package lists (or recipes), except lower dirs in use by a
# mounted overlay.
prune_rootfs_cache() {
  local keep old
  keep=$(rootfs_key)
  for old in "$CACHE_DIR"/rootfs/*-*.tar "$CACHE_DIR"/rootfs/*-*.root; do
    [ -e "$old" ] || continue
    case "$old" in *"-$keep".tar | *"-$keep".root) continue ;; esac
    if [[ "$old" == *.root ]] && grep -qF "lowerdir=$old" /proc/self/mountinfo; then continue; fi
    log "removing outdated $old"
    rm -rf --one-file-system "$old" "$old.complete"
  done
}

# Extracted copy of the tarball that overlay mounts use as their read-only lower dir.
ensure_lowerdir() {
  local tarball lower
  tarball=$(rootfs_tarball)
  lower=$(rootfs_lowerdir)
  exec 9>"$CACHE_DIR/rootfs/.lock"
  flock 9
  if [ ! -f "$lower.complete" ]; then
    log "extracting $tarball into $lower"
    rm -rf "$lower"
    mkdir -p "$lower"
    tar --numeric-owner --xattrs --xattrs-include='*' --acls -C "$lower" -xf "$tarball"
    touch "$lower.complete"
  fi
  exec 9>&-
}

# --- helpers for up/down -----------------------------------------------------------------------

abs_dir() {
  local d=$1
  [ -n "$d" ] || die "DIR is empty"
  d=$(realpath -m -- "$d")
  [ "$d" != / ] || die "DIR must not be /"
  case "$d/" in
  "$REPO_DIR"/*) die "DIR ($d) must be outside the repository ($REPO_DIR)" ;;
  esac
  printf '%s\n' "$d"
}

bridge_alias() { cat "/sys/class/net/$BRIDGE/ifalias" 2>/dev/null || true; }
bridge_exists() { [ -e "/sys/class/net/$BRIDGE" ]; }

# Is PID a live systemd-nspawn that boots a root under DIR?
is_our_nspawn() {
  local pid=$1 dir=$2 cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *systemd-nspawn* && "$cmdline" == *" --directory=$dir/h"* ]]
}

# Start time of PID (field 22 of /proc/PID/stat), to tell a process from a later one with its PID.
proc_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # After "pid (comm) ", field 3 (state) is the first word; starttime is field 22.
  awk '{ print $20 }' <<<"$stat"
}

# Is "PID STARTTIME" (as recorded) still that same, live process (a zombie counts as gone)?
is_same_process() {
  local pid=$1 start=$2 stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields
  set -- $stat
  [ "$1" != Z ] && [ "$1" != X ] && [ "${20}" = "$start" ]
}

# Writable cgroup hierarchies that systemd uses to track processes: the cgroup2 one (unified or
# hybrid layout) and the name=systemd v1 one (hybrid and legacy layouts).
cgroup_roots() {
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    echo /sys/fs/cgroup
    return 0
  fi
  local r
  for r in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
    if [ -w "$r/cgroup.procs" ]; then echo "$r"; fi
  done
}

# cgroup (relative to a hierarchy root) of DIR's testbed; each host gets a child named after it.
dir_cgroup() { printf '%s/%s\n' "$CGROUP_NAME" "$(printf '%s' "$1" | sha256sum | cut -c1-12)"; }

live_nspawn_pids() {
  local dir=$1 pid
  [ -f "$dir/pids" ] || return 0
  while read -r pid; do
    if is_our_nspawn "$pid" "$dir"; then printf '%s\n' "$pid"; fi
  done <"$dir/pids"
}

# Children of PID (the container's init is the child of its systemd-nspawn).
children_of() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }

# --- down --------------------------------------------------------------------------------------

# PIDs of every process in DIR's cgroups (its systemd-nspawn processes and everything in the
# containers): all of them were started by this testbed's `up`.
cgroup_pids() {
  local dir=$1 cg r
  cg=$(dir_cgroup "$dir")
  for r in $(cgroup_roots); do
    [ -d "$r/$cg" ] || continue
    find "$r/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# Does DIR still have a running host (a live systemd-nspawn or any process in its cgroups)?
dir_is_live() {
  [ -n "$(live_nspawn_pids "$1")" ] || [ -n "$(cgroup_pids "$1")" ]
}

cmd_down() {
  require_root
  local dir
  dir=$(abs_dir "${1:-}")
  local stop_timeout=${TESTBED_STOP_TIMEOUT:-30}
  local started
  started=$(now)
  local pids=() pid
  mapfile -t pids < <(live_nspawn_pids "$dir")
  # Containers' inits ("PID STARTTIME"): recorded ones (in case their systemd-nspawn is gone) and
  # the current children of DIR's systemd-nspawn processes.
  local inits=() start
  if [ -f "$dir/init-pids" ]; then
    while read -r pid start; do
      if is_same_process "$pid" "$start"; then inits+=("$pid $start"); fi
    done <"$dir/init-pids"
  fi
  for pid in "${pids[@]}"; do
    local child
    for child in $(children_of "$pid"); do
      start=$(proc_starttime "$child") && inits+=("$child $start")
    done
  done
  if [ "${#pids[@]}" -gt 0 ]; then
    log "stopping ${#pids[@]} host(s) of $dir (PIDs ${pids[*]})"
    # SIGTERM makes systemd-nspawn ask the container's systemd for a clean poweroff.
    kill -TERM "${pids[@]}" 2>/dev/null || true
  fi
  local deadline=$(($(now) + stop_timeout)) entry killed=0 r cg
  cg=$(dir_cgroup "$dir")
  while :; do
    local alive=()
    for pid in "${pids[@]}"; do
      if is_our_nspawn "$pid" "$dir"; then alive+=("$pid"); fi
    done
    for entry in "${inits[@]}"; do
      # shellcheck disable=SC2086 # "PID STARTTIME"
      if is_same_process $entry; then alive+=("${entry%% *}"); fi
    done
    mapfile -t -O "${#alive[@]}" alive < <(cgroup_pids "$dir")
    [ "${#alive[@]}" -eq 0 ] && break
    if [ "$(now)" -ge "$deadline" ]; then
      if [ "$killed" -eq 1 ]; then
        log "warning: processes of $dir still alive after SIGKILL: ${alive[*]}"
        break
      fi
      log "clean shutdown took longer than ${stop_timeout}s; SIGKILL to what is left"
      # Killing a container's init kills its whole PID namespace; then its nspawn exits.
      for entry in "${inits[@]}"; do
        # shellcheck disable=SC2086 # "PID STARTTIME"
        if is_same_process $entry; then kill -KILL "${entry%% *}" 2>/dev/null || true; fi
      done
      for pid in "${pids[@]}"; do
        if is_our_nspawn "$pid" "$dir"; then kill -KILL "$pid" 2>/dev/null || true; fi
      done
      # Everything else in DIR's own cgroups (cgroup.kill where the kernel has it, else each PID).
      for r in $(cgroup_roots); do
        if [ -e "$r/$cg/cgroup.kill" ]; then echo 1 >"$r/$cg/cgroup.kill" 2>/dev/null || true; fi
      done
      for pid in $(cgroup_pids "$dir"); do kill -KILL "$pid" 2>/dev/null || true; done
      killed=1
      deadline=$(($(now) + 10))
    fi
    sleep 0.2
  done
  # DIR's cgroups (now empty): remove them, deepest first.
  for r in $(cgroup_roots); do
    if [ -d "$r/$cg" ]; then
      find "$r/$cg" -depth -type d -exec rmdir {} + 2>/dev/null || log "could not remove cgroup $r/$cg (still in use?)"
      rmdir "$r/$CGROUP_NAME" 2>/dev/null || true
    fi
  done
  # Host copies: unmount overlays, then remove (only folders this script marked as its own).
  local host
  for host in "$dir"/h*; do
    [ -f "$host/.testbed-host" ] || continue
    if mountpoint -q "$host/root"; then
      umount "$host/root" 2>/dev/null || umount -l "$host/root"
    fi
    rm -rf --one-file-system "$host"
  done
  # The bridge, only if this DIR created it.
  if bridge_exists && [ "$(bridge_alias)" = "$ALIAS_PREFIX$dir" ]; then
    if ip link del "$BRIDGE" 2>/dev/null; then log "deleted bridge $BRIDGE"; fi
  fi
  rm -f "$dir/pids" "$dir/init-pids" "$dir/hosts.json" "$dir/known_hosts"
  log "down in $(($(now) - started)) s"
}

# --- up ----------------------------------------------------------------------------------------

# Creates the bridge, or refuses when another run holds it. A bridge left behind by a run of this
# testbed whose hosts are all gone (a killed test process) is cleaned up with that run's `down`.
create_bridge() {
  local dir=$1
  if bridge_exists; then
    local alias owner
    alias=$(bridge_alias)
    if [ "$alias" = "$ALIAS_PREFIX$dir" ]; then
      ip link del "$BRIDGE"
    elif [[ "$alias" == "$ALIAS_PREFIX"/* ]]; then
      owner=${alias#"$ALIAS_PREFIX"}
      if dir_is_live "$owner"; then
        printf 'testbed: error: bridge %s is in use by the testbed in %s (hosts running); stop it with: %s down %s\n' \
          "$BRIDGE" "$owner" "$SCRIPT_DIR/testbed.sh" "$owner" >&2
        exit 75
      fi
      log "bridge $BRIDGE is left over from $owner (no host of it is running): cleaning it up"
      if [ -d "$owner" ]; then
        exec 7>"$owner/.lock"
        flock -w 120 7 || die "timed out waiting for the lock on $owner"
      fi
      cmd_down "$owner"
      exec 7>&-
    else
      printf 'testbed: error: bridge %s exists and was not created by this testbed (alias "%s"); not touching it\n' \
        "$BRIDGE" "$alias" >&2
      exit 75
    fi
  fi
  if ! ip link add "$BRIDGE" type bridge 2>/dev/null; then
    printf 'testbed: error: could not create bridge %s (another run created it just now?)\n' "$BRIDGE" >&2
    exit 75
  fi
  ip link set "$BRIDGE" alias "$ALIAS_PREFIX$dir"
  ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

overlay_works() {
  local probe=$1
  mkdir -p "$probe"/{l,u,w,m}
  local ok=1
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
    ok=0
  fi
  rm -rf "$probe"
  return "$ok"
}

# Writes one host's identity into its root: hostname, hosts, machine id, address, keys.
prepare_host() {
  local dir=$1 i=$2 n=$3 mode=$4
  local name="h$i" addr="$NET_PREFIX.$((FIRST_HOST_OCTET + i - 1))"
  local host="$dir/$name" root="$dir/$name/root"
  mkdir -p "$host"
  : >"$host/.testbed-host"
  mkdir -p "$root"
  if [ "$mode" = overlay ]; then
    mkdir -p "$host/upper" "$host/work"
    mount -t overlay overlay -o "lowerdir=$(rootfs_lowerdir),upperdir=$host/upper,workdir=$host/work" "$root"
  else
    tar --numeric-owner --xattrs --xattrs-include='*' --acls -C "$root" -xf "$(rootfs_tarball)"
  fi
  printf '%s\n' "$name" >"$root/etc/hostname"
  {
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$name"
    local j
    for ((j = 1; j <= n; j++)); do
      printf '%s\th%s\n' "$NET_PREFIX.$((FIRST_HOST_OCTET + j - 1))" "$j"
    done
  } >"$root/etc/hosts"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
  echo >>"$root/etc/machine-id"
  cat >"$root/etc/systemd/network/10-host0.network" <<EOF
[Match]
Name=host0

[Network]
Address=$addr/24
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
  install -m 0600 "$dir/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  rm -f "$root"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ed25519_key"
}

ssh_opts() {
  local dir=$1
  printf '%s\n' -F none -i "$dir/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$dir/known_hosts" \
    -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=3 -o LogLevel=ERROR
}

console_tail() {
  local dir=$1 name=$2
  printf -- '--- last lines of %s console (%s) ---\n' "$name" "$dir/$name.console.log" >&2
  tail -n 40 "$dir/$name.console.log" >&2 2>/dev/null || true
  printf -- '--- end of %s console ---\n' "$name" >&2
}

# Waits until the subshell PID has become systemd-nspawn (it first joins the host's cgroups).
wait_for_exec() {
  local dir=$1 name=$2 pid=$3 tries=0
  until is_our_nspawn "$pid" "$dir"; do
    if [ ! -e "/proc/$pid" ] || [ "$tries" -ge 200 ]; then
      console_tail "$dir" "$name"
      die "$name: systemd-nspawn did not start (PID $pid)"
    fi
    tries=$((tries + 1))
    sleep 0.05
  done
}

wait_for_host() {
  local dir=$1 name=$2 addr=$3 pid=$4 deadline=$5
  local opts=() state=""
  mapfile -t opts < <(ssh_opts "$dir")
  while :; do
    if ! is_our_nspawn "$pid" "$dir"; then
      console_tail "$dir" "$name"
      die "$name: systemd-nspawn (PID $pid) exited during boot"
    fi
    local left=$((deadline - $(now)))
    if [ "$left" -le 0 ]; then
      console_tail "$dir" "$name"
      die "$name ($addr) did not answer 'systemctl is-system-running' with running/degraded within the boot timeout (last answer: '${state:-no SSH connection}')"
    fi
    # --wait blocks until the boot has finished; bounded by the time left.
    state=$(timeout "$left" ssh "${opts[@]}" "root@$addr" systemctl is-system-running --wait 2>/dev/null) || true
    case "$state" in
    running) return 0 ;;
    degraded)
      log "$name is degraded; failed units:"
      timeout 10 ssh "${opts[@]}" "root@$addr" systemctl --failed --no-legend --no-pager >&2 || true
      return 0
      ;;
    esac
    sleep 0.3
  done
}

UP_DIR=""
on_up_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$UP_DIR" ]; then
    log "up failed (exit $rc); cleaning up $UP_DIR"
    cmd_down "$UP_DIR" || true
  fi
  return "$rc"
}

cmd_up() {
  require_root
  [ $# -eq 2 ] || usage
  local dir n
  dir=$(abs_dir "$1")
  n=$2
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$MAX_HOSTS" ]; then
    die "N must be 1..$MAX_HOSTS (got '$n')"
  fi
  local started
  started=$(now)
  ensure_tools
  cmd_rootfs
  mkdir -p "$dir"
  if dir_is_live "$dir"; then
    die "$dir already has running hosts; run: $SCRIPT_DIR/testbed.sh down $dir"
  fi
  local mode=${TESTBED_MODE:-overlay}
  if [ "$mode" = overlay ] && ! overlay_works "$dir/.overlay-probe"; then
    log "overlayfs is not available here; copying the root file system per host"
    mode=copy
  fi
  [ "$mode" = overlay ] && ensure_lowerdir
  # From here on, a failure (or SIGINT/SIGTERM) removes what was started.
  UP_DIR=$dir
  trap on_up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  create_bridge "$dir"
  rm -f "$dir/pids" "$dir/init-pids" "$dir/hosts.json" "$dir/known_hosts" "$dir"/h*.console.log
  : >"$dir/pids"
  if [ ! -f "$dir/id_ed25519" ]; then
    ssh-keygen -q -t ed25519 -N '' -C "pulumi-minio-kes-testbed" -f "$dir/id_ed25519"
  fi
  local i prep_started
  prep_started=$(now)
  for ((i = 1; i <= n; i++)); do
    prepare_host "$dir" "$i" "$n" "$mode"
  done
  log "prepared $n host root(s) ($mode) in $(($(now) - prep_started)) s"
  # Pinned host keys, known before boot.
  local names=() addrs=() keys=() pids=()
  for ((i = 1; i <= n; i++)); do
    names+=("h$i")
    addrs+=("$NET_PREFIX.$((FIRST_HOST_OCTET + i - 1))")
    keys+=("$(cut -d' ' -f1,2 "$dir/h$i/root/etc/ssh/ssh_host_ed25519_key.pub")")
    printf '%s,%s %s\n' "${addrs[-1]}" "${names[-1]}" "${keys[-1]}" >>"$dir/known_hosts"
  done
  # Boot. setsid puts each systemd-nspawn in its own session (not hit by a terminal's Ctrl-C; the
  # caller's `down` stops it); the subshell is no process group leader, so setsid execs in place and
  # $! is the PID of systemd-nspawn.
  local cg r
  cg=$(dir_cgroup "$dir")
  # Shared folders (TESTBED_SHARED="h1,h2=/var/lib/kes-shared;h3=/srv/x"): one folder under
  # DIR/shared/ bind-mounted into each named host, like storage several hosts mount.
  local -A binds=()
  local spec k=0 hostlist path h
  if [ -n "${TESTBED_SHARED:-}" ]; then
    IFS=';' read -ra specs <<<"$TESTBED_SHARED"
    for spec in "${specs[@]}"; do
      hostlist=${spec%%=*}
      path=${spec#*=}
      [[ "$path" == /* && "$path" != *:* ]] || die "TESTBED_SHARED: bad path in $spec"
      mkdir -p "$dir/shared/$k"
      IFS=',' read -ra hs <<<"$hostlist"
      for h in "${hs[@]}"; do binds[$h]+=" --bind=$dir/shared/$k:$path"; done
      k=$((k + 1))
    done
  fi
  for ((i = 0; i < n; i++)); do
    local name=${names[$i]}
    local -a extra=()
    read -ra extra <<<"${binds[$name]:-}"
    (
      # Each host in its own cgroup: without a systemd on the machine, systemd-nspawn
      # --keep-unit would put every container into the caller's cgroup, and the containers'
      # systemds would then share (and fight over) the same system.slice/*.service cgroups.
      for r in $(cgroup_roots); do
        mkdir -p "$r/$cg/$name"
        echo "$BASHPID" >"$r/$cg/$name/cgroup.procs"
      done
      # The hosts must not inherit the lock file descriptors (7, 8, 9) of this script.
      exec 7>&- 8>&- 9>&-
      exec setsid systemd-nspawn --quiet --boot --directory="$dir/$name/root" --machine="mkt-$name" \
        --hostname="$name" --register=no --keep-unit --network-bridge="$BRIDGE" \
        --link-journal=no --resolv-conf=off --timezone=off --console=read-only \
        --setenv=SYSTEMD_COLORS=0 "${extra[@]}"
    ) </dev/null >"$dir/$name.console.log" 2>&1 &
    pids+=("$!")
    printf '%s\n' "$!" >>"$dir/pids"
    wait_for_exec "$dir" "$name" "$!"
  done
  {
    printf '['
    for ((i = 0; i < n; i++)); do
      [ "$i" -gt 0 ] && printf ','
      printf '\n  {"name": "%s", "address": "%s", "hostKey": "%s", "pid": %s}' \
        "${names[$i]}" "${addrs[$i]}" "${keys[$i]}" "${pids[$i]}"
    done
    printf '\n]\n'
  } >"$dir/hosts.json"
  local boot_timeout=${TESTBED_BOOT_TIMEOUT:-180}
  local deadline=$(($(now) + boot_timeout))
  local boot_started
  boot_started=$(now)
  for ((i = 0; i < n; i++)); do
    wait_for_host "$dir" "${names[$i]}" "${addrs[$i]}" "${pids[$i]}" "$deadline"
    local child
    for child in $(children_of "${pids[$i]}"); do
      printf '%s %s\n' "$child" "$(proc_starttime "$child")" >>"$dir/init-pids"
    done
  done
  UP_DIR=""
  log "$n host(s) up in $(($(now) - started)) s (boot $(($(now) - boot_started)) s): $dir/hosts.json"
  printf '%s\n' "$dir/hosts.json"
}

# Serializes up, down and guard on one DIR (fd 8; the root file system cache uses fd 9).
lock_dir() {
  exec 8>"$1/.lock"
  flock -w 900 8 || die "timed out waiting for the lock on $1"
}

# Tears DIR down once process PID (the test process that booted it) is gone, even when it was
# killed with SIGKILL and could not run its own teardown. Started detached by testbed.ts; it ends
# by itself when DIR is gone. With DIR/.remove-on-down it also removes DIR after a clean down.
cmd_guard() {
  local dir pid=$2 start
  dir=$(abs_dir "$1")
  start=$(proc_starttime "$pid") || exit 0
  while [ -d "$dir" ]; do
    if ! is_same_process "$pid" "$start"; then
      log "process $pid is gone: tearing down $dir"
      lock_dir "$dir"
      if cmd_down "$dir" && [ -f "$dir/.remove-on-down" ]; then
        rm -rf --one-file-system "$dir"
      fi
      exit 0
    fi
    sleep 1
  done
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1
  shift
  case "$cmd" in
  rootfs)
    [ $# -eq 0 ] || usage
    cmd_rootfs
    ;;
  up)
    [ $# -eq 2 ] || usage
    require_root
    mkdir -p "$(abs_dir "$1")"
    lock_dir "$(abs_dir "$1")"
    cmd_up "$@"
    ;;
  down)
    [ $# -eq 1 ] || usage
    require_root
    if [ -d "$(abs_dir "$1")" ]; then lock_dir "$(abs_dir "$1")"; fi
    cmd_down "$1"
    ;;
  guard)
    [ $# -eq 2 ] || usage
    cmd_guard "$@"
    ;;
  *) usage ;;
  esac
}

main "$@"
