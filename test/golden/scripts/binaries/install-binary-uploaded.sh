#!/usr/bin/env bash
# pulumi-minio-kes: install minio verified by sha256
set -euo pipefail
dest='/usr/local/bin/minio'
dest_dir='/usr/local/bin'
dest_base='minio'
want='3f1d0b1b7c1ad4d4c1f2e36e0e8f2a7e8f5f8a4e7b6c2d1e0f9a8b7c6d5e4f3a'
mode='0755'
uploaded='/root/.pulumi-minio-kes/upload/minio'
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
  rm -f -- "$uploaded"
  echo unchanged
  exit 0
fi
if [ ! -f "$uploaded" ] || [ -L "$uploaded" ]; then
  die "the uploaded file $uploaded is missing (or a link): upload it again (replace the resource that copies it), then retry"
fi
umask 022
mkdir -p -- "$dest_dir"
tmp=$(mktemp "$dest_dir/.$dest_base.XXXXXX")
cp -- "$uploaded" "$tmp"
got=$(sha256_of "$tmp")
if [ "$got" != "$want" ]; then
  rm -f -- "$uploaded"
  die "checksum mismatch for $uploaded: expected sha256 $want, got $got; $dest was left unchanged and the upload removed (the file on the deploying machine was checked before it was copied, so the copy was damaged): copy it again with pulumi up --replace on the upload step"
fi
chmod -- "$mode" "$tmp"
mv -f -T -- "$tmp" "$dest"
tmp=''
rm -f -- "$uploaded"
echo installed
