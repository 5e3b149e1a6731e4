#!/usr/bin/env bash
# pulumi-minio-kes: check the preinstalled binary minio
set -euo pipefail
path='/usr/local/bin/minio'
want='3f1d0b1b7c1ad4d4c1f2e36e0e8f2a7e8f5f8a4e7b6c2d1e0f9a8b7c6d5e4f3a'
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
sha256_of() {
  local sum
  sum=$(sha256sum <"$1")
  printf '%s' "${sum%% *}"
}
if [ ! -e "$path" ]; then
  die "$path does not exist: install it there, or let pulumi-minio-kes install it (give a download URL and sha256)"
fi
if [ ! -f "$path" ]; then
  die "$path is not a regular file"
fi
if [ ! -x "$path" ]; then
  die "$path is not executable: run 'chmod 0755 $path' on the host"
fi
got=$(sha256_of "$path")
if [ "$got" != "$want" ]; then
  die "$path has sha256 $got, expected $want: install the expected release there or change the configured sha256"
fi
echo "ok sha256=$got"
