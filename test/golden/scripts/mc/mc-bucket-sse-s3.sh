#!/usr/bin/env bash
# pulumi-minio-kes: create bucket logs with sse-s3 default encryption
set -euo pipefail
mc='/usr/local/bin/mc'
mc_alias='minio'
mc_scheme='https'
mc_hostport='127.0.0.1:9000'
MC_CONFIG_DIR='/root/.pulumi-minio-kes/mc'
bucket='logs'
export MC_CONFIG_DIR
mc_user=''
mc_password=''
mc_out=''
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
# redact TEXT: TEXT with the credentials replaced, for relaying mc's messages.
redact() {
  local s=$1
  if [ -n "$mc_password" ]; then
    s=${s//"$mc_password"/"<redacted>"}
  fi
  if [ -n "$mc_user" ]; then
    s=${s//"$mc_user"/"<redacted>"}
  fi
  printf '%s' "$s"
}
# run_mc ARGS...: runs mc with its output captured in mc_out; returns mc's success.
run_mc() {
  mc_out=$("$mc" --config-dir "$MC_CONFIG_DIR" --no-color "$@" 2>&1)
}
[ -x "$mc" ] || die "mc is not installed at $mc"
umask 077
mkdir -p -- "$MC_CONFIG_DIR/certs/CAs"
IFS= read -r mc_user || true
IFS= read -r mc_password || true
if [ -z "$mc_user" ] || [ -z "$mc_password" ]; then
  die "expected two lines on stdin: the MinIO root user, then its password"
fi
# mc takes MC_HOST_<alias> credentials verbatim (no percent-decoding) and splits them at ':'.
case "$mc_user$mc_password" in
  *:*) die "the MinIO root user or password contains ':', which mc cannot take from MC_HOST_$mc_alias; choose credentials without ':'" ;;
esac
export MC_HOST_minio="$mc_scheme://$mc_user:$mc_password@$mc_hostport"
target="$mc_alias/$bucket"
run_mc mb --ignore-existing "$target" || die "mc mb $target failed: $(redact "$mc_out")"
run_mc encrypt set sse-s3 "$target" || die "mc encrypt set sse-s3 $target failed: $(redact "$mc_out")"
run_mc --json encrypt info "$target" || die "mc encrypt info $target failed: $(redact "$mc_out")"
info=${mc_out//[[:space:]]/}
case $info in
  *'"algorithm":"AES256"'*) ;;
  *) die "mc encrypt info $target does not report SSE-S3 after setting it: $(redact "$mc_out")" ;;
esac
echo "result: algorithm=sse-s3 verified=false"
