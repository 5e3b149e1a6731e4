#!/usr/bin/env bash
# pulumi-minio-kes: wait until every MinIO node is ready (2 nodes)
set -euo pipefail
unit='minio.service'
timeout='120'
ca_file='/etc/minio/certs/CAs/ca.crt'
names=('minio1' 'minio2')
urls=('https://10.0.0.11:9000' 'https://[2001:db8::12]:9000')
if ! command -v curl >/dev/null 2>&1; then
  printf 'error: %s\n' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
  exit 1
fi
# code_of URL: the HTTP status, 000 when there is no HTTP answer.
code_of() {
  local out
  out=$(curl --silent --output /dev/null --write-out '\n%{http_code}' --max-time 5 --cacert "$ca_file" "$1" 2>/dev/null) || true
  out=${out##*$'\n'}
  case $out in
    [0-9][0-9][0-9]) printf '%s' "$out" ;;
    *) printf '000' ;;
  esac
}
deadline=$((SECONDS + timeout))
declare -A done_nodes=()
while :; do
  problems=()
  state=$(systemctl is-active "$unit" 2>/dev/null || true)
  if [ "$state" != active ]; then
    problems+=("this node's $unit is ${state:-unknown}, not active (systemd hears MinIO's READY only once its peers answer)")
  fi
  for i in "${!names[@]}"; do
    [ -n "${done_nodes[$i]:-}" ] && continue
    ready=$(code_of "${urls[$i]}/minio/health/ready")
    if [ "$ready" = 200 ]; then
      done_nodes[$i]=1
      continue
    fi
    live=$(code_of "${urls[$i]}/minio/health/live")
    case $live in
      200) problems+=("${names[$i]} (${urls[$i]}) runs but is not ready (HTTP $ready on /minio/health/ready): it waits for enough peers to answer, or cannot use KES (the readiness check runs a KES generate with the default key: see its journal, journalctl -u minio)") ;;
      000) problems+=("${names[$i]} (${urls[$i]}) is not answering: MinIO is not running there, or this node cannot reach it (see journalctl -u minio on ${names[$i]}, and the network between the nodes)") ;;
      *) problems+=("${names[$i]} (${urls[$i]}) answers HTTP $live on /minio/health/live") ;;
    esac
  done
  if [ "${#problems[@]}" -eq 0 ]; then
    echo "ready: all ${#names[@]} MinIO nodes"
    exit 0
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    printf 'error: not every MinIO node is ready after %ss; fix these, then run pulumi up again:\n' "$timeout" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
  fi
  sleep 1
done
