#!/usr/bin/env bash
# pulumi-minio-kes: refuse to drop KES from a deployment that uses it
set -euo pipefail
file='/etc/default/minio'
if [ -f "$file" ] && grep -Eq '^[[:space:]]*(export[[:space:]]+)?MINIO_KMS_KES_ENDPOINT=' "$file"; then
  echo "error: $file configures KES (MINIO_KMS_KES_ENDPOINT) but the new configuration has no kes." >&2
  echo "MinIO cannot start without the keys that encrypted its IAM data and objects." >&2
  echo "Put kes back into the MinioDeployment, or, if you really mean it, set allowKesRemoval: true." >&2
  exit 1
fi
echo ok
