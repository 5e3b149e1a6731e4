#!/usr/bin/env bash
# pulumi-minio-kes: restart minio.service and wait until MinIO is healthy
set -euo pipefail
unit='minio.service'
timeout='120'
startup_hint='MinIO exits at startup when it cannot reach KES: look for '\''Failed to connect to KMS'\'' in the journal below'
base_url='https://minio1.example.net:9000'
live_only='0'
ca_file='/etc/minio/certs/CAs/ca.crt'
connect_to='127.0.0.1:9000'
fail() {
  printf 'error: %s\n' "$1" >&2
  printf 'last 30 journal lines of %s:\n' "$unit" >&2
  journalctl -u "$unit" -n 30 --no-pager >&2 || true
  exit 1
}
invocation_id() {
  systemctl show -p InvocationID --value "$unit" 2>/dev/null || true
}
# http_get URL: sets http_code (000 = no HTTP answer) and http_error (curl's message, if any).
http_get() {
  local out
  out=$(curl --silent --show-error --output /dev/null --write-out '\n%{http_code}' --max-time 5 \
    --cacert "$ca_file" --connect-to "::$connect_to" "$1" 2>&1) || true
  http_code=${out##*$'\n'}
  http_error=${out%$'\n'*}
  case $http_code in
    [0-9][0-9][0-9]) ;;
    *)
      http_error=$out
      http_code=000
      ;;
  esac
}
probe() {
  http_get "$base_url/minio/health/live"
  if [ "$http_code" = 000 ]; then
    problem="MinIO is not answering on $base_url${http_error:+ ($http_error)}. MinIO exits at startup when it cannot reach KES: look for 'Failed to connect to KMS' in the journal below"
    return 1
  elif [ "$http_code" != 200 ]; then
    problem="MinIO answers HTTP $http_code on $base_url/minio/health/live"
    return 1
  fi
  if [ "$live_only" = 1 ]; then return 0; fi
  http_get "$base_url/minio/health/ready"
  if [ "$http_code" != 200 ]; then
    problem="MinIO is running but not ready (HTTP $http_code on $base_url/minio/health/ready). The readiness check runs a KES generate with the default key, so MinIO cannot use KES: check that KES is healthy, that the KES policy lets MinIO's identity create, generate and decrypt that key, and the MINIO_KMS_KES_* settings (endpoint, key name, API key, CA) in MinIO's env file; with several nodes, also that enough nodes are up"
    return 1
  fi
  return 0
}
      if ! command -v curl >/dev/null 2>&1; then
        printf 'error: %s
' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
        exit 1
      fi
old_invocation=$(invocation_id)
systemctl reset-failed "$unit" 2>/dev/null || true
systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit (is the unit installed?)"
what='restarted'
deadline=$((SECONDS + timeout))
problem=''
while :; do
  state=$(systemctl is-active "$unit" 2>/dev/null || true)
  if [ "$state" = failed ] && [ -z "$(systemctl show -p Job --value "$unit" 2>/dev/null || true)" ]; then
    fail "$unit failed. $startup_hint; fix the cause, then run 'pulumi up' again"
  fi
  if [ "$state" = activating ]; then
    problem="$unit is still starting, or keeps restarting after crashes (systemd state: activating). $startup_hint"
  elif [ "$state" != active ]; then
    problem="$unit is ${state:-unknown}, not active"
  elif [ -n "$old_invocation" ] && [ "$(invocation_id)" = "$old_invocation" ]; then
    problem="$unit has not restarted yet"
  elif probe; then
    echo "ready: $unit ($what)"
    exit 0
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "$unit is not healthy after ${timeout}s: $problem"
  fi
  sleep 1
done
