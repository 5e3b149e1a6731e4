#!/usr/bin/env bash
# Builds (or reuses) the `pulumi` CLI from the Go module proxy, into a cache outside the repo.
#
#   bash scripts/toolchain/build.sh          # last line of stdout: the bin dir holding `pulumi`
#
# - Pinned: github.com/pulumi/pulumi/pkg/v3 v3.274.1 (+ sdk/v3 v3.274.1), built from a small wrapper
#   module (scripts/toolchain/wrapper/go.mod + go.sum, copied into the cache) because
#   `go install pkg@version` refuses modules whose go.mod has replace directives.
# - Cache: ${PULUMI_MINIO_KES_CACHE:-/var/cache/pulumi-minio-kes}/toolchain/pulumi-v3.274.1/{bin,wrapper}.
# - Warm path: when bin/pulumi exists, was built from the same wrapper + flags, and
#   `pulumi version` prints v3.274.1, nothing is built.
# - Every run also re-probes (go mod download) the modules this machine's proxy refused, and says
#   whether they are served now. They are never built here. See docs/toolchain.md.
#   PULUMI_TOOLCHAIN_SKIP_PROBE=1 skips that probe.
# - Progress and timings go to stderr; stdout carries only the probe lines and, last, the bin dir.
set -euo pipefail

readonly PULUMI_VERSION="3.274.1"
readonly PKG_MODULE="github.com/pulumi/pulumi/pkg/v3"
readonly SDK_MODULE="github.com/pulumi/pulumi/sdk/v3"
readonly MAIN_PKG="${PKG_MODULE}/cmd/pulumi"
readonly BUILD_TAGS="osusergo,grpcnotrace"
readonly LDFLAGS="-s -w -X ${SDK_MODULE}/go/common/version.Version=v${PULUMI_VERSION}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${PULUMI_MINIO_KES_CACHE:-/var/cache/pulumi-minio-kes}"
tool_dir="${cache_root}/toolchain/pulumi-v${PULUMI_VERSION}"
bin_dir="${tool_dir}/bin"
wrapper_dir="${tool_dir}/wrapper"
stamp_file="${tool_dir}/build.stamp"

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() {
  printf '[toolchain] error: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (needs Go >= 1.26; the module requires go 1.26.6)"

# Go module commands must not pick up a go.work from the caller's directory. (`go build` already
# defaults to -mod=readonly: the pinned go.sum is used as is, never rewritten.)
export GOWORK=off

# The stamp ties a binary to exactly what built it: wrapper files, flags and Go version.
expected_stamp() {
  {
    cat "${script_dir}/wrapper/go.mod" "${script_dir}/wrapper/go.sum"
    printf 'tags=%s\nldflags=%s\ncgo=0 trimpath\n' "$BUILD_TAGS" "$LDFLAGS"
    go env GOVERSION
  } | sha256sum | cut -d' ' -f1
}

# True when bin/pulumi is usable as is.
binary_ok() {
  [ -x "${bin_dir}/pulumi" ] || return 1
  [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$1" ] || return 1
  local got
  got="$(PULUMI_SKIP_UPDATE_CHECK=true timeout 60 "${bin_dir}/pulumi" version 2>/dev/null || true)"
  [ "$got" = "v${PULUMI_VERSION}" ]
}

# One line per module this proxy refused when measured: is any version of it served now?
# Each candidate is tried with `go mod download`; the first one served wins.
probe_module() {
  local label="$1"
  shift
  local cand out err=""
  for cand in "$@"; do
    if out="$(cd "$probe_dir" && timeout 60 go mod download -json "$cand" 2>&1)"; then
      echo "probe: ${label}: SERVED NOW as ${cand} -- it can be built; see docs/toolchain.md"
      return 0
    fi
    # First error line, JSON quoting and the proxy's address trimmed: "<module>: reading <GOPROXY>/...: 403 ...".
    [ -n "$err" ] || err="$(printf '%s\n' "$out" | grep -m1 -E '"Error"|error|Error' |
      sed -E 's/^[[:space:]]*("Error": )?"?//; s/",?$//; s#https?://[^/]+/#<GOPROXY>/#; s/\\n\\t/ /g' || true)"
  done
  echo "probe: ${label}: still not served (${err:-no error text})"
}

probe_refused() {
  # Outside any module, so `go mod download mod@version` does not touch a go.mod.
  probe_dir="$(mktemp -d)"
  probe_module "pulumi-language-nodejs (Node language host)" \
    "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@latest" \
    "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.0.0-20260624120734-a88168d865b7"
  probe_module "pulumi-resource-command (command provider)" \
    "github.com/pulumi/pulumi-command@latest" \
    "github.com/pulumi/pulumi-command/provider@v0.0.0-20260303235922-7f3eb6f3b77c"
  probe_module "pulumi-resource-tls (tls provider)" \
    "github.com/pulumi/pulumi-tls/provider/v5@latest" \
    "github.com/pulumi/pulumi-tls/provider/v5@v5.0.0-20260722185624-c3b9a61e7075"
  rm -rf "$probe_dir"
}

build() {
  local t0 t1 mod_before mod_after
  mkdir -p "$bin_dir" "$wrapper_dir"
  cp "${script_dir}/wrapper/go.mod" "${script_dir}/wrapper/go.sum" "$wrapper_dir/"
  cd "$wrapper_dir"

  mod_before="$(du -sk "$(go env GOMODCACHE)" 2>/dev/null | cut -f1 || echo 0)"
  t0="$(now)"
  log "downloading modules for ${MAIN_PKG}@v${PULUMI_VERSION} ..."
  go mod download
  go list -m "$PKG_MODULE" "$SDK_MODULE" >&2
  mod_after="$(du -sk "$(go env GOMODCACHE)" 2>/dev/null | cut -f1 || echo 0)"
  log "module download: $(elapsed "$t0") s; module cache grew by $(((mod_after - mod_before) / 1024)) MiB"

  t1="$(now)"
  log "compiling (nice -n 10, CGO_ENABLED=0, -trimpath, -tags ${BUILD_TAGS}) ..."
  CGO_ENABLED=0 nice -n 10 go build -trimpath -tags "$BUILD_TAGS" -ldflags "$LDFLAGS" \
    -o "${bin_dir}/pulumi.tmp.$$" "$MAIN_PKG"
  mv -f "${bin_dir}/pulumi.tmp.$$" "${bin_dir}/pulumi"
  log "compile + link: $(elapsed "$t1") s; total build: $(elapsed "$t0") s"
  log "binary: $(du -h "${bin_dir}/pulumi" | cut -f1) ${bin_dir}/pulumi"
}

main() {
  mkdir -p "$tool_dir" || die "cannot create ${tool_dir} (set PULUMI_MINIO_KES_CACHE to a writable dir)"

  if [ "${PULUMI_TOOLCHAIN_SKIP_PROBE:-}" != "1" ]; then
    probe_refused
  fi

  local stamp t0 got
  stamp="$(expected_stamp)"
  # Concurrent runs (test workers, other checkouts) share the cache: one builds, the others wait.
  exec 9>"${tool_dir}/.lock"
  flock 9

  t0="$(now)"
  if binary_ok "$stamp"; then
    log "reusing ${bin_dir}/pulumi (v${PULUMI_VERSION}; checked in $(elapsed "$t0") s)"
  else
    log "building pulumi v${PULUMI_VERSION} into ${bin_dir}"
    (build)
    got="$(PULUMI_SKIP_UPDATE_CHECK=true "${bin_dir}/pulumi" version)"
    [ "$got" = "v${PULUMI_VERSION}" ] || die "built binary reports version '${got}', expected v${PULUMI_VERSION}"
    printf '%s\n' "$stamp" >"$stamp_file"
  fi
  flock -u 9
  echo "$bin_dir"
}

main "$@"
