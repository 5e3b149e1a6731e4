#!/usr/bin/env bash
# Builds the stand-ins (kes, minio, mc) as static binaries into OUTDIR. Idempotent; reuses the
# Go build cache. These are STAND-INS for tests, not the real programs.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 1
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cd "$(dirname "$0")"
export CGO_ENABLED=0
for p in kes minio mc; do
  go build -trimpath -ldflags='-s -w' -o "$out/$p" "./cmd/$p"
done
echo "built $out/kes $out/minio $out/mc (stand-ins for tests)"
