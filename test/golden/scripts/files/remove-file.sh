#!/usr/bin/env bash
# pulumi-minio-kes: remove kes.env.old
set -euo pipefail
path='/etc/kes/kes.env.old'
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
if [ -d "$path" ] && [ ! -L "$path" ]; then
  die "$path is a directory; not removing it"
fi
if [ -e "$path" ] || [ -L "$path" ]; then
  rm -f -- "$path"
  echo removed
else
  echo absent
fi
