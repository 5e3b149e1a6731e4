#!/usr/bin/env bash
# pulumi-minio-kes: create drive directories owned by the service user
set -euo pipefail
owner='minio-user'
group='minio-user'
mode='0750'
paths=('/mnt/disk1' '/mnt/disk2')
changed=0
for p in "${paths[@]}"; do
  if [ -L "$p" ] || [ "$(realpath -m -- "$p")" != "$p" ]; then
    echo "error: $p is, or goes through, a symbolic link; a drive must be a real directory (or a mount point) on a real path: remove the link, then run 'pulumi up' again" >&2
    exit 1
  elif [ ! -d "$p" ]; then
    install -d -o "$owner" -g "$group" -m "$mode" "$p"
    changed=1
  elif [ "$(stat -c %U:%G "$p")" != "$owner:$group" ]; then
    chown -h -- "$owner:$group" "$p"
    changed=1
  fi
done
if [ "$changed" = 1 ]; then echo changed; else echo unchanged; fi
