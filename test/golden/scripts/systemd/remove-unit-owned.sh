#!/usr/bin/env bash
# pulumi-minio-kes: stop and disable a unit on destroy; keep data, keys and configuration
set -euo pipefail
unit='minio.service'
file='/etc/systemd/system/minio.service'
if [ ! -e "$file" ]; then echo absent; exit 0; fi
owner_line='# pulumi-minio-kes owner: minio-node1-unit'
# Another step (a renamed component, a moved host) wrote this unit since: leave it alone.
if ! grep -qxF "$owner_line" "$file"; then echo "kept: $unit belongs to another step"; exit 0; fi
systemctl disable --now "$unit" >/dev/null 2>&1 || systemctl stop "$unit" || true
rm -f "$file"
systemctl daemon-reload
echo "removed: $unit (data, keys and configuration kept)"
