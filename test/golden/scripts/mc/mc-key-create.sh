#!/usr/bin/env bash
# pulumi-minio-kes: create the KES key minio-bucket-data through MinIO
set -euo pipefail
mc='/usr/local/bin/mc'
mc_alias='minio'
mc_scheme='https'
mc_hostport='127.0.0.1:9000'
MC_CONFIG_DIR='/root/.pulumi-minio-kes/mc'
ca_file='/etc/minio/certs/CAs/ca.crt'
ca_name='ca.crt'
env_file='/etc/default/minio'
key_name='minio-bucket-data'
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
[ -r "$ca_file" ] || die "cannot read the CA file $ca_file"
cp -f -- "$ca_file" "$MC_CONFIG_DIR/certs/CAs/$ca_name"
env_value_of() {
  local file=$1 name=$2 line raw value='' out c n i
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$ ]] || continue
    [ "${BASH_REMATCH[2]}" = "$name" ] || continue
    raw=${BASH_REMATCH[3]}
    raw=${raw#"${raw%%[![:space:]]*}"}
    raw=${raw%"${raw##*[![:space:]]}"}
    if [ "${#raw}" -ge 2 ] && [ "${raw:0:1}" = "'" ] && [ "${raw: -1}" = "'" ]; then
      value=${raw:1:${#raw}-2}
    elif [ "${#raw}" -ge 2 ] && [ "${raw:0:1}" = '"' ] && [ "${raw: -1}" = '"' ]; then
      raw=${raw:1:${#raw}-2}
      out=''
      i=0
      while [ "$i" -lt "${#raw}" ]; do
        c=${raw:i:1}
        n=${raw:i+1:1}
        if [ "$c" = "\\" ] && { [ "$n" = "\\" ] || [ "$n" = '"' ] || [ "$n" = "\$" ] || [ "$n" = "\`" ]; }; then
          out+=${raw:i+1:1}
          i=$((i + 2))
        else
          out+=$c
          i=$((i + 1))
        fi
      done
      value=$out
    else
      value=$raw
    fi
  done <"$file"
  printf '%s' "$value"
}
[ -r "$env_file" ] || die "cannot read MinIO's env file $env_file"
# Root sources nothing another account could change: the file and its directory must be
# root's, not links, and writable by nobody else (an env file owned by minio-user would let
# MinIO run commands as root here).
env_dir=${env_file%/*}
for f in "$env_file" "${env_dir:-/}"; do
  if [ -L "$f" ]; then
    die "$f is a symbolic link; root reads MinIO's credentials only from a real file in a real directory"
  fi
  read -r f_owner f_mode < <(stat -c '%U %a' -- "$f")
  if [ "$f_owner" != root ]; then
    die "$f is owned by $f_owner, who could make this root script run commands; make it root's (chown root:root $f), then run 'pulumi up' again"
  fi
  if (((8#$f_mode & 8#022) != 0)); then
    die "$f is writable by its group or others; remove that (chmod go-w $f), then run 'pulumi up' again"
  fi
done
# The two values are parsed from the file, which is never sourced (env_value_of).
mc_user=$(env_value_of "$env_file" MINIO_ROOT_USER)
mc_password=$(env_value_of "$env_file" MINIO_ROOT_PASSWORD)
if [ -z "$mc_user" ] || [ -z "$mc_password" ]; then
  die "MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must both be set in $env_file"
fi
# mc takes MC_HOST_<alias> credentials verbatim (no percent-decoding) and splits them at ':'.
case "$mc_user$mc_password" in
  *:*) die "the MinIO root user or password contains ':', which mc cannot take from MC_HOST_$mc_alias; choose credentials without ':'" ;;
esac
export MC_HOST_minio="$mc_scheme://$mc_user:$mc_password@$mc_hostport"
if run_mc admin kms key create "$mc_alias" "$key_name"; then
  echo created
elif [[ $mc_out == *"already exi"* ]]; then
  echo exists
else
  die "mc admin kms key create $mc_alias $key_name failed: $(redact "$mc_out")"
fi
