#!/usr/bin/env bash
# pulumi-minio-kes: make the upload directory, private to the SSH user
set -euo pipefail
dir='/var/tmp/pulumi-minio-kes-upload'
owner='deploy'
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
if [ -L "$dir" ] || { [ -e "$dir" ] && [ ! -d "$dir" ]; } ||
  { [ -d "$dir" ] && [ "$(stat -c '%U %a' -- "$dir")" != "$owner 700" ]; }; then
  rm -rf -- "$dir"
fi
if [ -d "$dir" ]; then
  echo unchanged
  exit 0
fi
mkdir -m 0700 -- "$dir" || die "could not create $dir (did another account create it meanwhile?): run 'pulumi up' again"
chown -h -- "$owner" "$dir"
echo changed
