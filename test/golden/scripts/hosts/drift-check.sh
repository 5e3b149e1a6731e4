#!/usr/bin/env bash
# pulumi-minio-kes: compare minio1 with what the program declares
set -euo pipefail
host='minio1'
repair='no'
drift=0 files=0 units=0
report() {
  printf 'drift: %s\n' "$*"
  drift=$((drift + 1))
}
while read -r kind a b c d e f; do
  case "$kind" in
    file)
      files=$((files + 1))
      if [ -L "$e" ]; then
        report "$e is a symbolic link, not the file the program declares (step $f)"
      elif [ ! -f "$e" ]; then
        report "$e is missing (step $f)"
      else
        actual=$(sha256sum <"$e")
        [ "${actual%% *}" = "$a" ] || report "$e: its content differs from what the program declares (step $f)"
        read -r u g m < <(stat -c '%U %G %a' -- "$e")
        [ "$u:$g" = "$b:$c" ] || report "$e: owner $u:$g, not $b:$c (step $f)"
        [ "$m" = "$d" ] || report "$e: mode $m, not $d (step $f)"
      fi
      ;;
    unit)
      units=$((units + 1))
      state=$(systemctl is-active "$a" 2>/dev/null || true)
      [ "$state" = active ] || report "$a is ${state:-unknown}, not active (step $b)"
      ;;
    '') ;;
    *) printf 'error: unknown manifest line: %s\n' "$kind" >&2; exit 2 ;;
  esac
done
if [ "$drift" -eq 0 ]; then
  echo "drift: none ($files files, $units units as declared)"
elif [ "$repair" = yes ]; then
  echo "drift: $drift differences on $host remain after the repair (listed above); fix them by hand"
else
  echo "drift: $drift differences on $host from what the program declares (listed above); to repair them, set driftCheck.repair to a new label and driftCheck.request to a new value, then run pulumi up"
fi
