#!/usr/bin/env bash
# pulumi-minio-kes: check and install the tools the host scripts need
set -euo pipefail
missing=()
for tool in sha256sum install mktemp stat systemctl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "error: this host lacks ${missing[*]}; pulumi-minio-kes needs a Linux host with systemd and GNU coreutils." >&2
  exit 1
fi
if command -v curl >/dev/null 2>&1 && [ -e /etc/ssl/certs/ca-certificates.crt ]; then echo unchanged; exit 0; fi
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # Another step on this host may be installing too: wait for dpkg's lock.
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq curl ca-certificates >/dev/null
elif command -v dnf >/dev/null 2>&1; then
  dnf install -y -q curl ca-certificates >/dev/null
elif command -v yum >/dev/null 2>&1; then
  yum install -y -q curl ca-certificates >/dev/null
else
  echo "error: curl is missing and no apt-get, dnf or yum was found; install curl and ca-certificates, then run pulumi up again." >&2
  exit 1
fi
echo changed
