#!/usr/bin/env bash
# pulumi-minio-kes: make the upload directory for minio-3f1d0b1b7c1ad4d4c1f2e36e0e8f2a7e8f5f8a4e7b6c2d1e0f9a8b7c6d5e4f3a, private to the SSH user
set -euo pipefail
dir='/var/lib/pulumi-minio-kes-upload'
owner='deploy'
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
good() { [ -d "$dir" ] && [ ! -L "$dir" ] && [ "$(stat -c '%U %a' -- "$dir")" = "$owner 700" ]; }
if good; then
  echo unchanged
  exit 0
fi
if [ -L "$dir" ] || [ -e "$dir" ]; then
  rm -rf -- "$dir"
fi
if ! mkdir -m 0700 -- "$dir" 2>/dev/null; then
  # Another step on this host (KES's or MinIO's upload) may have made it just now.
  good || die "could not create $dir: run 'pulumi up' again"
  echo unchanged
  exit 0
fi
chown -h -- "$owner" "$dir"
echo changed
