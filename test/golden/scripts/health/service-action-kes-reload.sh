#!/usr/bin/env bash
# pulumi-minio-kes: reload kes.service and wait until KES is healthy
set -euo pipefail
unit='kes.service'
timeout='30'
startup_hint='KES exits at startup on configuration errors (an environment variable the config refers to is unset, a certificate or key is missing, the keystore section is wrong): see the journal below'
url='https://kes1.example.net:7373/v1/ready'
ca_file='/etc/kes/certs/ca.crt'
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
    --cacert "$ca_file" "$1" 2>&1) || true
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
  http_get "$url"
  case $http_code in
    200) return 0 ;;
    504) problem="KES answers 504 on $url: the keystore is unreachable or sealed (for Vault: unseal it, then run 'pulumi up' again)" ;;
    502) problem="KES answers 502 on $url: the keystore is unavailable (check the keystore endpoint, its credentials and the network from this host)" ;;
    000) problem="KES is not answering on $url${http_error:+ ($http_error)}. Check the journal below, the listen address, that /v1/ready has skip_auth: true in the KES config (the probe sends no client certificate), and that the server certificate is valid for the URL's host and signed by the CA in $ca_file" ;;
    401 | 403) problem="KES refused the probe with HTTP $http_code on $url: /v1/ready must allow requests without an identity (api: /v1/ready: skip_auth: true in the KES config)" ;;
    *) problem="KES answers HTTP $http_code on $url" ;;
  esac
  return 1
}
      if ! command -v curl >/dev/null 2>&1; then
        printf 'error: %s
' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
        exit 1
      fi
old_invocation=''
if systemctl is-active --quiet "$unit"; then
  if [ "$(systemctl show -p CanReload --value "$unit" 2>/dev/null || true)" = yes ]; then
    systemctl reload "$unit" || fail "systemctl reload $unit failed"
  else
    systemctl kill --signal=HUP --kill-who=main "$unit" || fail "could not send SIGHUP to $unit"
  fi
  what='reloaded'
else
  systemctl reset-failed "$unit" 2>/dev/null || true
  systemctl start --no-block "$unit" || fail "systemctl could not start $unit (is the unit installed?)"
  what='started'
fi
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
