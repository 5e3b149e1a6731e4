#!/usr/bin/env bash
# pulumi-minio-kes: prepare the host for minio-user: tools, system user, drives
set -euo pipefail
part_0() {
#!/usr/bin/env bash
# pulumi-minio-kes: ensure system user minio-user
set -euo pipefail
user='minio-user'
group='minio-user'
home='/var/lib/minio'
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
changed=0
if ! getent group "$group" >/dev/null; then
  groupadd --system "$group"
  changed=1
fi
if ! getent passwd "$user" >/dev/null; then
  useradd --system --no-create-home --gid "$group" --home-dir "$home" --shell /usr/sbin/nologin "$user"
  changed=1
fi
if [ ! -e "$home" ]; then
  umask 022
  mkdir -p -- "$home"
  chown -- "$user:$group" "$home"
  chmod -- 0750 "$home"
  changed=1
elif [ ! -d "$home" ]; then
  die "$home exists but is not a directory"
fi
if [ "$changed" = 1 ]; then
  echo changed
else
  echo unchanged
fi
}
part_1() {
#!/usr/bin/env bash
# pulumi-minio-kes: create drive directories owned by the service user
set -euo pipefail
owner='minio-user'
group='minio-user'
mode='0750'
paths=('/var/lib/minio/d1')
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
}
out=$(part_0 </dev/null)
printf '%s: %s\n' 'user' "$out"
out=$(part_1 </dev/null)
printf '%s: %s\n' 'drives' "$out"
