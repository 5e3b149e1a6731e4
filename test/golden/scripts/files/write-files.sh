#!/usr/bin/env bash
# pulumi-minio-kes: write public.crt, private.key, config.yaml from stdin
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
# tls-cert: write public.crt
(
path='/etc/kes/public.crt'
dir='/etc/kes'
base='public.crt'
mode='0644'
owner='root'
group='kes'
want_stat='644 root kes'
dir_mode='0750'
dir_owner='root'
dir_group='kes'
want_dir_stat='750 root kes'
tmp=''
trap cleanup EXIT
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
elif [ "$(stat -c '%a %U %G' -- "$dir")" != "$want_dir_stat" ]; then
  chown -h -- "$dir_owner:$dir_group" "$dir"
  chmod -- "$dir_mode" "$dir"
fi
umask 077
tmp=$(mktemp "$dir/.$base.XXXXXX")
IFS= read -r content_b64 || die "stdin ended before the content of $path"; printf '%s' "$content_b64" | base64 -d >"$tmp" || die "the content of $path on stdin is not base64"
if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" &&
  [ "$(stat -c '%a %U %G' -- "$path")" = "$want_stat" ]; then
  result=unchanged
else
  # The temp file is root's, in a directory no service account can write: chown and chmod
  # cannot be redirected through a planted link (-h all the same), and mv replaces the name.
  chown -h -- "$owner:$group" "$tmp"
  chmod -- "$mode" "$tmp"
  mv -f -T -- "$tmp" "$path"
  tmp=''
  result=changed
fi
echo "tls-cert: $result"
)
# tls-key: write private.key
(
path='/etc/kes/private.key'
dir='/etc/kes'
base='private.key'
mode='0640'
owner='root'
group='kes'
want_stat='640 root kes'
dir_mode='0750'
dir_owner='root'
dir_group='kes'
want_dir_stat='750 root kes'
tmp=''
trap cleanup EXIT
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
elif [ "$(stat -c '%a %U %G' -- "$dir")" != "$want_dir_stat" ]; then
  chown -h -- "$dir_owner:$dir_group" "$dir"
  chmod -- "$dir_mode" "$dir"
fi
umask 077
tmp=$(mktemp "$dir/.$base.XXXXXX")
IFS= read -r content_b64 || die "stdin ended before the content of $path"; printf '%s' "$content_b64" | base64 -d >"$tmp" || die "the content of $path on stdin is not base64"
if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" &&
  [ "$(stat -c '%a %U %G' -- "$path")" = "$want_stat" ]; then
  result=unchanged
else
  # The temp file is root's, in a directory no service account can write: chown and chmod
  # cannot be redirected through a planted link (-h all the same), and mv replaces the name.
  chown -h -- "$owner:$group" "$tmp"
  chmod -- "$mode" "$tmp"
  mv -f -T -- "$tmp" "$path"
  tmp=''
  result=changed
fi
echo "tls-key: $result"
)
# config: write config.yaml
(
path='/etc/kes/config.yaml'
dir='/etc/kes'
base='config.yaml'
mode='0640'
owner='root'
group='kes'
want_stat='640 root kes'
dir_mode='0750'
dir_owner='root'
dir_group='kes'
want_dir_stat='750 root kes'
tmp=''
trap cleanup EXIT
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
elif [ "$(stat -c '%a %U %G' -- "$dir")" != "$want_dir_stat" ]; then
  chown -h -- "$dir_owner:$dir_group" "$dir"
  chmod -- "$dir_mode" "$dir"
fi
umask 077
tmp=$(mktemp "$dir/.$base.XXXXXX")
IFS= read -r content_b64 || die "stdin ended before the content of $path"; printf '%s' "$content_b64" | base64 -d >"$tmp" || die "the content of $path on stdin is not base64"
if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" &&
  [ "$(stat -c '%a %U %G' -- "$path")" = "$want_stat" ]; then
  result=unchanged
else
  # The temp file is root's, in a directory no service account can write: chown and chmod
  # cannot be redirected through a planted link (-h all the same), and mv replaces the name.
  chown -h -- "$owner:$group" "$tmp"
  chmod -- "$mode" "$tmp"
  mv -f -T -- "$tmp" "$path"
  tmp=''
  result=changed
fi
echo "config: $result"
)
