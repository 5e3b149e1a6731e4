#!/usr/bin/env bash
# pulumi-minio-kes: write minio, ca.crt from stdin (staged ones made live by the restart)
set -euo pipefail
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
tmp=''
cleanup() {
  if [ -n "$tmp" ]; then
    rm -f -- "$tmp"
  fi
}
trap cleanup EXIT
# env: stage minio
(
path='/etc/default/minio'
dir='/etc/default'
base='minio'
mode='0600'
owner='root'
group='root'
want_stat='600 root root'
dir_mode='0755'
dir_owner='root'
staged='/etc/default/.minio.staged'
tmp=''
trap cleanup EXIT
if [ -d "$staged" ] && [ ! -L "$staged" ]; then
  die "$staged is a directory; remove it (the library stages $base there until the restart makes it live)"
fi
getent passwd "$owner" >/dev/null || die "user $owner does not exist on this host"
getent group "$group" >/dev/null || die "group $group does not exist on this host"
if [ -d "$path" ] && [ ! -L "$path" ]; then
  die "$path is a directory; expected a file"
fi
if [ -L "$dir" ]; then
  die "$dir is a symbolic link; the library writes only into real directories (replace the link with a directory)"
fi
# No link anywhere on the way either (a service account may own a directory above).
if [ -e "$dir" ] && [ "$(realpath -e -- "$dir")" != "$dir" ]; then
  die "$dir goes through a symbolic link (it resolves to $(realpath -e -- "$dir")); the library writes only along real directories: replace the link"
fi
if [ ! -d "$dir" ]; then
  umask 022
  mkdir -p -- "$dir"
  chown -h -- "$dir_owner:" "$dir" # the owner's login group
  chmod -- "$dir_mode" "$dir"
fi
umask 077
tmp=$(mktemp "$dir/.$base.XXXXXX")
IFS= read -r content_b64 || die "stdin ended before the content of $path"; printf '%s' "$content_b64" | base64 -d >"$tmp" || die "the content of $path on stdin is not base64"
if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" &&
  [ "$(stat -c '%a %U %G' -- "$path")" = "$want_stat" ]; then
  rm -f -- "$staged" # an older staged copy: the live file is what is wanted
  result=unchanged
else
  # The temp file is root's, in a directory no service account can write: chown and chmod
  # cannot be redirected through a planted link (-h all the same), and mv replaces the name.
  chown -h -- "$owner:$group" "$tmp"
  chmod -- "$mode" "$tmp"
  mv -f -T -- "$tmp" "$staged"
  tmp=''
  result=staged
fi
if [ "$result" = staged ]; then echo "env: staged $(date +%s%N)"; else echo "env: $result"; fi
)
# kes-ca: stage ca.crt
(
path='/etc/minio/kes/ca.crt'
dir='/etc/minio/kes'
base='ca.crt'
mode='0644'
owner='root'
group='minio-user'
want_stat='644 root minio-user'
dir_mode='0750'
dir_owner='root'
dir_group='minio-user'
staged='/etc/minio/kes/.ca.crt.staged'
tmp=''
trap cleanup EXIT
if [ -d "$staged" ] && [ ! -L "$staged" ]; then
  die "$staged is a directory; remove it (the library stages $base there until the restart makes it live)"
fi
getent passwd "$owner" >/dev/null || die "user $owner does not exist on this host"
getent group "$group" >/dev/null || die "group $group does not exist on this host"
if [ -d "$path" ] && [ ! -L "$path" ]; then
  die "$path is a directory; expected a file"
fi
if [ -L "$dir" ]; then
  die "$dir is a symbolic link; the library writes only into real directories (replace the link with a directory)"
fi
# No link anywhere on the way either (a service account may own a directory above).
if [ -e "$dir" ] && [ "$(realpath -e -- "$dir")" != "$dir" ]; then
  die "$dir goes through a symbolic link (it resolves to $(realpath -e -- "$dir")); the library writes only along real directories: replace the link"
fi
if [ ! -d "$dir" ]; then
  umask 022
  mkdir -p -- "$dir"
  chown -h -- "$dir_owner:$dir_group" "$dir"
  chmod -- "$dir_mode" "$dir"
fi
umask 077
tmp=$(mktemp "$dir/.$base.XXXXXX")
IFS= read -r content_b64 || die "stdin ended before the content of $path"; printf '%s' "$content_b64" | base64 -d >"$tmp" || die "the content of $path on stdin is not base64"
if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" &&
  [ "$(stat -c '%a %U %G' -- "$path")" = "$want_stat" ]; then
  rm -f -- "$staged" # an older staged copy: the live file is what is wanted
  result=unchanged
else
  # The temp file is root's, in a directory no service account can write: chown and chmod
  # cannot be redirected through a planted link (-h all the same), and mv replaces the name.
  chown -h -- "$owner:$group" "$tmp"
  chmod -- "$mode" "$tmp"
  mv -f -T -- "$tmp" "$staged"
  tmp=''
  result=staged
fi
if [ "$result" = staged ]; then echo "kes-ca: staged $(date +%s%N)"; else echo "kes-ca: $result"; fi
)
