#!/usr/bin/env bash
# pulumi-minio-kes: install kes verified by sha256
set -euo pipefail
dest='/usr/local/bin/kes'
dest_dir='/usr/local/bin'
dest_base='kes'
want='3f1d0b1b7c1ad4d4c1f2e36e0e8f2a7e8f5f8a4e7b6c2d1e0f9a8b7c6d5e4f3a'
mode='0755'
url='https://github.com/minio/kes/releases/download/2025-03-12T09-35-18Z/kes-linux-amd64'
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
sha256_of() {
  local sum
  sum=$(sha256sum <"$1")
  printf '%s' "${sum%% *}"
}
if [ -d "$dest" ]; then
  die "$dest is a directory; expected a binary"
fi
if [ -f "$dest" ] && [ "$(sha256_of "$dest")" = "$want" ]; then
  chmod -- "$mode" "$dest"
  echo unchanged
  exit 0
fi
umask 022
mkdir -p -- "$dest_dir"
tmp=$(mktemp "$dest_dir/.$dest_base.XXXXXX")
command -v curl >/dev/null 2>&1 || die "curl is not installed on this host: install it (apt-get install curl) or upload the binary instead"
curl --fail --location --silent --show-error --retry 3 --output "$tmp" "$url" ||
  die "download of $url failed; $dest was left unchanged"
got=$(sha256_of "$tmp")
if [ "$got" != "$want" ]; then
  die "checksum mismatch for $url: expected sha256 $want, got $got; $dest was left unchanged"
fi
chmod -- "$mode" "$tmp"
mv -f -T -- "$tmp" "$dest"
tmp=''
echo installed
