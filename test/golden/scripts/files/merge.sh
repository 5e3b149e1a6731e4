#!/usr/bin/env bash
# pulumi-minio-kes: merge pulumi-minio-kes variables into an existing MinIO env file
set -euo pipefail
file='/etc/default/minio'
remove='MINIO_KMS_KES_ENDPOINT MINIO_KMS_KES_API_KEY MINIO_KMS_KES_CERT_FILE MINIO_KMS_KES_KEY_FILE MINIO_KMS_KES_KEY_PASSWORD MINIO_KMS_KES_CAPATH'
conflicts='MINIO_KMS_SECRET_KEY MINIO_KMS_SECRET_KEY_FILE MINIO_KMS_SERVER MINIO_KMS_ENCLAVE MINIO_KMS_API_KEY MINIO_KMS_SSE_KEY'
if [ ! -f "$file" ]; then echo "error: $file does not exist; existing mode needs the env file of the running deployment (set existing.envFile)." >&2; exit 1; fi
dir=$(dirname "$file")
# Root writes its temp files here: the directory must be root's, on a real path, and writable by
# no one else (a service account could swap a temp file for a link).
if [ -L "$file" ] || [ "$(realpath -e -- "$dir")" != "$dir" ]; then
  echo "error: $file is, or is reached through, a symbolic link; point existing.envFile at the real file" >&2
  exit 1
fi
read -r dir_owner dir_mode < <(stat -c '%U %a' -- "$dir")
if [ "$dir_owner" != root ] || (((8#$dir_mode & 8#022) != 0)); then
  echo "error: $dir (the directory of $file) is owned by $dir_owner with mode $dir_mode; make it root's and writable only by root (chown root: $dir; chmod go-w $dir), then run pulumi up again" >&2
  exit 1
fi
managed=$(mktemp "$dir/.pulumi-merge-in.XXXXXX")
tmp=$(mktemp "$dir/.pulumi-merge-out.XXXXXX")
trap 'rm -f "$managed" "$tmp"' EXIT
chmod 0600 "$managed" "$tmp"
cat >"$managed"
# The awk program gets only names on its command line; values stay in files.
awk -v remove="$remove" -v conflicts="$conflicts" -v target="$file" '
  function varname(line,   m) {
    if (match(line, /^[ \t]*(export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*=/)) {
      m = substr(line, RSTART, RLENGTH - 1)
      sub(/^[ \t]*(export[ \t]+)?/, "", m); sub(/[ \t]*$/, "", m)
      return m
    }
    return ""
  }
  function value(line) {
    sub(/^[^=]*=/, "", line); gsub(/^[ \t]+|[ \t]+$/, "", line)
    if (line == "\047\047" || line == "\"\"") return ""
    return line
  }
  BEGIN {
    n = split(remove, r, " "); for (i = 1; i <= n; i++) rm[r[i]] = 1
    n = split(conflicts, c, " "); for (i = 1; i <= n; i++) bad[c[i]] = 1
  }
  FNR == NR { name = varname($0); if (name != "") { order[++count] = name; line[name] = $0 } next }
  {
    name = varname($0)
    if (name != "" && (name in bad) && value($0) != "") {
      print "error: " name " is set in " target ": MinIO cannot use KES and another KMS at once. Objects encrypted with that KMS need it to stay readable; migrate them first (or remove the variable yourself if nothing was encrypted with it), then run `pulumi up` again." > "/dev/stderr"
      failed = 1; exit 1
    }
    if (name != "" && (name in line)) { if (!(name in done)) { print line[name]; done[name] = 1 } next }
    if (name != "" && (name in rm)) next
    print
  }
  END {
    if (failed) exit 1
    added = 0
    for (i = 1; i <= count; i++) if (!(order[i] in done)) {
      if (!added) { print "# Added by pulumi-minio-kes"; added = 1 }
      print line[order[i]]
    }
  }
' "$managed" "$file" >"$tmp"
if cmp -s "$tmp" "$file"; then echo unchanged; exit 0; fi
chown -h --reference="$file" "$tmp"
chmod --reference="$file" "$tmp"
mv -f -T -- "$tmp" "$file"
echo changed
