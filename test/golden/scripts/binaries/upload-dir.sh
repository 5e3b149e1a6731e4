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
if { [ -L "$dir" ] || [ -e "$dir" ]; } && ! good; then
  rm -rf -- "$dir"
fi
# Made complete under another name, then renamed into place: the directory is never seen
# half made (root's, before the chown), so a second copy of this step running at the same
# time (KES's and MinIO's uploads on one host) never takes it for a bad one and removes it.
new=$(mktemp -d "$dir.XXXXXX")
chmod 0700 -- "$new"
chown -h -- "$owner" "$new"
if ! mv -T -- "$new" "$dir" 2>/dev/null; then
  rm -rf -- "$new"
  good || die "could not create $dir: run 'pulumi up' again"
  echo unchanged
  exit 0
fi
echo changed
