#!/usr/bin/env bash
# pulumi-minio-kes: ensure system user kes
set -euo pipefail
user='kes'
group='kes'
home='/var/lib/kes'
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
changed=0
if ! getent group "$group" >/dev/null; then
  groupadd --system "$group"
  changed=1
fi
if ! getent passwd "$user" >/dev/null; then
  useradd --system --no-create-home --gid "$group" --home-dir "$home" --shell /usr/sbin/nologin "$user"
  changed=1
fi
if [ ! -e "$home" ]; then
  umask 022
  mkdir -p -- "$home"
  chown -- "$user:$group" "$home"
  chmod -- 0750 "$home"
  changed=1
elif [ ! -d "$home" ]; then
  die "$home exists but is not a directory"
fi
if [ "$changed" = 1 ]; then
  echo changed
else
  echo unchanged
fi
