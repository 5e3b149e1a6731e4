#!/usr/bin/env bash
# pulumi-minio-kes: check the SSH host keys of 3 hosts (minio1, minio2, minio3) before any step connects
set -euo pipefail
part_0() {
#!/usr/bin/env bash
# pulumi-minio-kes: check minio1's SSH host key before any step connects
set -euo pipefail
host='minio1'
address='198.18.0.21'
port='22'
field='nodes[0]'
want_type='ssh-ed25519'
want_key='AAAAC3NzaC1lZDI1NTE5AAAAIE1cKm0p9mHkqTrbXYI3kAd0i3pWEyVhFx2mJm9b2Q2K'
scan_type='ed25519'
if ! command -v ssh-keyscan >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  echo "skipped: ssh-keyscan is not installed on this machine; the steps check the host key when they connect"
  exit 0
fi
fingerprint() { { printf '%s %s\n' "$1" "$2" | ssh-keygen -lf - 2>/dev/null || true; } | awk '{ print $2 }'; }
want_fp=$(fingerprint "$want_type" "$want_key")
if [ -z "$want_fp" ]; then
  echo "error: $host: $field.hostKey is not a valid $want_type key (ssh-keygen cannot read it); set it to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust" >&2
  exit 1
fi
out=$(ssh-keyscan -T 5 -p "$port" -t "$scan_type" -- "$address" 2>/dev/null || true)
got_key=$(printf '%s\n' "$out" | awk -v t="$want_type" '$2 == t { print $3; exit }')
if [ -z "$got_key" ]; then
  echo "error: $host ($address port $port): no SSH server offered a $want_type host key within 5 s; check $field.address and $field.port, and that sshd runs there, then run pulumi up again" >&2
  exit 1
fi
if [ "$got_key" != "$want_key" ]; then
  echo "error: $host ($address port $port): the SSH host key is $(fingerprint "$want_type" "$got_key"), not the pinned $want_fp ($field.hostKey). If $host was reinstalled, pin its new key: set $field.hostKey to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust; if it was not, do not connect: something may be in the middle" >&2
  exit 1
fi
echo "ok: $host ($address port $port) offers the pinned host key $want_fp"
}
part_1() {
#!/usr/bin/env bash
# pulumi-minio-kes: check minio2's SSH host key before any step connects
set -euo pipefail
host='minio2'
address='198.18.0.22'
port='22'
field='nodes[1]'
want_type='ssh-ed25519'
want_key='AAAAC3NzaC1lZDI1NTE5AAAAIE1cKm0p9mHkqTrbXYI3kAd0i3pWEyVhFx2mJm9b2Q2K'
scan_type='ed25519'
if ! command -v ssh-keyscan >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  echo "skipped: ssh-keyscan is not installed on this machine; the steps check the host key when they connect"
  exit 0
fi
fingerprint() { { printf '%s %s\n' "$1" "$2" | ssh-keygen -lf - 2>/dev/null || true; } | awk '{ print $2 }'; }
want_fp=$(fingerprint "$want_type" "$want_key")
if [ -z "$want_fp" ]; then
  echo "error: $host: $field.hostKey is not a valid $want_type key (ssh-keygen cannot read it); set it to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust" >&2
  exit 1
fi
out=$(ssh-keyscan -T 5 -p "$port" -t "$scan_type" -- "$address" 2>/dev/null || true)
got_key=$(printf '%s\n' "$out" | awk -v t="$want_type" '$2 == t { print $3; exit }')
if [ -z "$got_key" ]; then
  echo "error: $host ($address port $port): no SSH server offered a $want_type host key within 5 s; check $field.address and $field.port, and that sshd runs there, then run pulumi up again" >&2
  exit 1
fi
if [ "$got_key" != "$want_key" ]; then
  echo "error: $host ($address port $port): the SSH host key is $(fingerprint "$want_type" "$got_key"), not the pinned $want_fp ($field.hostKey). If $host was reinstalled, pin its new key: set $field.hostKey to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust; if it was not, do not connect: something may be in the middle" >&2
  exit 1
fi
echo "ok: $host ($address port $port) offers the pinned host key $want_fp"
}
part_2() {
#!/usr/bin/env bash
# pulumi-minio-kes: check minio3's SSH host key before any step connects
set -euo pipefail
host='minio3'
address='198.18.0.23'
port='22'
field='nodes[2]'
want_type='ssh-ed25519'
want_key='AAAAC3NzaC1lZDI1NTE5AAAAIE1cKm0p9mHkqTrbXYI3kAd0i3pWEyVhFx2mJm9b2Q2K'
scan_type='ed25519'
if ! command -v ssh-keyscan >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  echo "skipped: ssh-keyscan is not installed on this machine; the steps check the host key when they connect"
  exit 0
fi
fingerprint() { { printf '%s %s\n' "$1" "$2" | ssh-keygen -lf - 2>/dev/null || true; } | awk '{ print $2 }'; }
want_fp=$(fingerprint "$want_type" "$want_key")
if [ -z "$want_fp" ]; then
  echo "error: $host: $field.hostKey is not a valid $want_type key (ssh-keygen cannot read it); set it to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust" >&2
  exit 1
fi
out=$(ssh-keyscan -T 5 -p "$port" -t "$scan_type" -- "$address" 2>/dev/null || true)
got_key=$(printf '%s\n' "$out" | awk -v t="$want_type" '$2 == t { print $3; exit }')
if [ -z "$got_key" ]; then
  echo "error: $host ($address port $port): no SSH server offered a $want_type host key within 5 s; check $field.address and $field.port, and that sshd runs there, then run pulumi up again" >&2
  exit 1
fi
if [ "$got_key" != "$want_key" ]; then
  echo "error: $host ($address port $port): the SSH host key is $(fingerprint "$want_type" "$got_key"), not the pinned $want_fp ($field.hostKey). If $host was reinstalled, pin its new key: set $field.hostKey to the key part of ssh-keyscan -t $scan_type $address (without the host name), read over a path you trust; if it was not, do not connect: something may be in the middle" >&2
  exit 1
fi
echo "ok: $host ($address port $port) offers the pinned host key $want_fp"
}
out_dir=$(mktemp -d)
trap 'rm -rf -- "$out_dir"' EXIT
pids=()
part_0 </dev/null >"$out_dir/0.out" 2>"$out_dir/0.err" &
pids+=("$!")
part_1 </dev/null >"$out_dir/1.out" 2>"$out_dir/1.err" &
pids+=("$!")
part_2 </dev/null >"$out_dir/2.out" 2>"$out_dir/2.err" &
pids+=("$!")
failed=0
status=()
if wait "${pids[0]}"; then status+=(0); else status+=(1); failed=1; fi
if wait "${pids[1]}"; then status+=(0); else status+=(1); failed=1; fi
if wait "${pids[2]}"; then status+=(0); else status+=(1); failed=1; fi
[ "${status[0]}" = 0 ] || cat -- "$out_dir/0.err" >&2
[ "${status[1]}" = 0 ] || cat -- "$out_dir/1.err" >&2
[ "${status[2]}" = 0 ] || cat -- "$out_dir/2.err" >&2
printf '%s: %s\n' 'minio1' "$(cat -- "$out_dir/0.out")"
[ "${status[0]}" != 0 ] || cat -- "$out_dir/0.err" >&2
printf '%s: %s\n' 'minio2' "$(cat -- "$out_dir/1.out")"
[ "${status[1]}" != 0 ] || cat -- "$out_dir/1.err" >&2
printf '%s: %s\n' 'minio3' "$(cat -- "$out_dir/2.out")"
[ "${status[2]}" != 0 ] || cat -- "$out_dir/2.err" >&2
exit "$failed"
