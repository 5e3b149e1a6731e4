#!/usr/bin/env bash
# pulumi-minio-kes: check minio1 before anything on any host changes
set -euo pipefail
host='minio1'
min_mib='64'
paths=('/etc/default/minio' '/mnt/disk1')
if [ "$(id -u)" != 0 ]; then
  echo "error: $host: the steps do not run as root here; give the SSH user passwordless sudo (sudo -n must work), then run pulumi up again" >&2
  exit 1
fi
if [ ! -d /run/systemd/system ]; then
  echo "error: $host: systemd is not running (no /run/systemd/system); pulumi-minio-kes needs a host booted with systemd" >&2
  exit 1
fi
free=''
for p in "${paths[@]}"; do
  d=$p
  while [ ! -e "$d" ]; do d=${d%/*}; d=${d:-/}; done
  avail=$(df -Pm -- "$d" | awk 'NR == 2 { print $4 }')
  if [ -n "$avail" ] && [ "$avail" -lt "$min_mib" ]; then
    echo "error: $host: only ${avail} MiB free on the file system of $p (at least ${min_mib} MiB are needed); free some space there, then run pulumi up again" >&2
    exit 1
  fi
  free+=" $p:${avail:-?}MiB"
done
echo "ok: $host: reachable, root, systemd;$free"
