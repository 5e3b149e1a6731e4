#!/usr/bin/env bash
# pulumi-minio-kes: stop minio.service until every node starts again with the new configuration
set -euo pipefail
unit='minio.service'
timeout='120'
live_paths=('/etc/default/minio' '/usr/local/bin/minio' '/etc/systemd/system/minio.service')
staged_any=''
for live in "${live_paths[@]}"; do
  if [ -e "${live%/*}/.${live##*/}.staged" ]; then staged_any=1; fi
done
state=$(systemctl is-active "$unit" 2>/dev/null || true)
running=''
case $state in active | activating | reloading) running=1 ;; esac
if [ -z "$staged_any" ]; then
  if [ -n "$running" ]; then
    echo "unchanged: nothing is staged on this node; $unit keeps running"
  elif [ "$(systemctl show -p LoadState --value "$unit" 2>/dev/null || true)" != loaded ]; then
    echo "unchanged: nothing is staged on this node, and $unit is not installed yet"
  elif systemctl start --no-block "$unit"; then
    echo "started: $unit (it was not running, and nothing changes on this node)"
  else
    echo "not running: $unit (${state:-unknown}); systemctl could not start it, and nothing changes on this node"
  fi
  exit 0
fi
if [ -z "$running" ]; then
  echo "not running: $unit (${state:-unknown})"
  exit 0
fi
systemctl stop --no-block "$unit" || { printf 'error: %s\n' "systemctl could not stop $unit" >&2; exit 1; }
deadline=$((SECONDS + timeout))
while :; do
  state=$(systemctl is-active "$unit" 2>/dev/null || true)
  case $state in
    inactive | failed | unknown | '')
      echo "stopped: $unit (it starts again with its staged files once every node has stopped)"
      exit 0
      ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    printf 'error: %s\n' "$unit did not stop within ${timeout}s (systemd state: $state); see journalctl -u $unit, stop it by hand, then run pulumi up again" >&2
    exit 1
  fi
  sleep 0.2
done
