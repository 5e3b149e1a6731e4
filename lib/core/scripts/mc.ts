/**
 * Host scripts that run `mc` against MinIO: create KES keys, create buckets with default
 * encryption (one, or many in one script), and read what they print. Conventions: `prelude.ts`.
 */
import * as rules from "../rules";
import { assertRule } from "../rules";
import { assertAbsolutePath, assignments, basenameOf, bashScript, shQuote } from "../shell";
import { assertBaseUrl, block, DIE, ENV_VALUE_OF, optional, TMP_CLEANUP } from "./prelude";

/** How a script reaches MinIO with `mc`. */
export interface McTarget {
  /** Path of the mc binary on the host. */
  mcPath: string;
  /** Alias name, e.g. `minio`; the script sets `MC_HOST_<alias>`. Letters, digits, `_`; starts with a letter. */
  alias: string;
  /** MinIO server URL, e.g. `https://127.0.0.1:9000` (no path). */
  url: string;
  /** `MC_CONFIG_DIR`, e.g. `/root/.pulumi-minio-kes/mc`. Created `0700`; the CA goes in `certs/CAs/`. */
  configDir: string;
  /** CA file on the host, copied by the script into `configDir/certs/CAs/` when set. */
  caFile?: string;
  /** Where the MinIO root credentials come from. */
  credentials: McCredentials;
}

/**
 * Source of the MinIO root credentials for `mc`. Whatever the source, they reach mc only
 * through `MC_HOST_<alias>`, verbatim (mc does not percent-decode them), so neither may
 * contain `:` (the script refuses it with a clear error).
 */
export type McCredentials =
  | {
      /** Read `MINIO_ROOT_USER` and `MINIO_ROOT_PASSWORD` from an env file on the host (parsed, never sourced; never printed). */
      from: "envFile";
      /** Absolute path of MinIO's env file, e.g. `/etc/default/minio`. */
      envFile: string;
    }
  | {
      /** Two lines on stdin: the user, then the password. */
      from: "stdin";
    };

/** KES key-name rules ({@link rules.keyName}). */
function assertKeyName(context: string, field: string, value: unknown): string {
  return assertRule<string>(context, field, value, rules.keyName);
}

/** Variables and bash lines that give an `mc` script `run_mc`, `redact` and `MC_HOST_<alias>`. */
function mcPrelude(ctx: string, t: McTarget): { vars: [string, string][]; lines: string[] } {
  const vars = mcVars(ctx, t);
  const lines: string[] = ["export MC_CONFIG_DIR"];
  lines.push(
    "mc_user=''",
    "mc_password=''",
    "mc_out=''",
    ...DIE,
    ...block(`
      # redact TEXT: TEXT with the credentials replaced, for relaying mc's messages.
      redact() {
        local s=$1
        if [ -n "$mc_password" ]; then
          s=\${s//"$mc_password"/"<redacted>"}
        fi
        if [ -n "$mc_user" ]; then
          s=\${s//"$mc_user"/"<redacted>"}
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
    `),
  );
  if (optional(t.caFile)) {
    lines.push(
      ...block(`
        [ -r "$ca_file" ] || die "cannot read the CA file $ca_file"
        cp -f -- "$ca_file" "$MC_CONFIG_DIR/certs/CAs/$ca_name"
      `),
    );
  }
  lines.push(...mcCredentialLines(t.credentials));
  lines.push(
    ...block(`
      # mc takes MC_HOST_<alias> credentials verbatim (no percent-decoding) and splits them at ':'.
      case "$mc_user$mc_password" in
        *:*) die "the MinIO root user or password contains ':', which mc cannot take from MC_HOST_$mc_alias; choose credentials without ':'" ;;
      esac
      export MC_HOST_${t.alias}="$mc_scheme://$mc_user:$mc_password@$mc_hostport"
    `),
  );
  return { vars, lines };
}

/** Checks the target of an `mc` script and gives the variables of {@link mcPrelude}. */
function mcVars(ctx: string, t: McTarget): [string, string][] {
  if (t === null || typeof t !== "object") throw new Error(`${ctx}: target is required`);
  const mcPath = assertAbsolutePath(ctx, "target.mcPath", t.mcPath);
  if (typeof t.alias !== "string" || !/^[A-Za-z][A-Za-z0-9_]{1,63}$/.test(t.alias)) {
    throw new Error(
      `${ctx}: target.alias must start with a letter and hold only letters, digits and '_' (2-64 characters)`,
    );
  }
  const u = assertBaseUrl(ctx, "target.url", t.url);
  const configDir = assertAbsolutePath(ctx, "target.configDir", t.configDir);
  const vars: [string, string][] = [
    ["mc", mcPath],
    ["mc_alias", t.alias],
    ["mc_scheme", u.protocol.replace(/:$/, "")],
    ["mc_hostport", u.host],
    ["MC_CONFIG_DIR", configDir],
  ];
  if (optional(t.caFile)) {
    const ca = assertAbsolutePath(ctx, "target.caFile", t.caFile);
    vars.push(["ca_file", ca], ["ca_name", basenameOf(ca)]);
  }
  const creds = t.credentials;
  if (creds === null || typeof creds !== "object") throw new Error(`${ctx}: target.credentials is required`);
  if (creds.from === "envFile") {
    vars.push(["env_file", assertAbsolutePath(ctx, "target.credentials.envFile", creds.envFile)]);
  } else if (creds.from !== "stdin") {
    throw new Error(`${ctx}: target.credentials.from must be "envFile" or "stdin"`);
  }
  return vars;
}

/** The lines of {@link mcPrelude} that read the MinIO root credentials (from the env file, or stdin). */
function mcCredentialLines(creds: McCredentials): string[] {
  const lines: string[] = [];
  if (creds.from === "envFile") {
    lines.push(
      ...ENV_VALUE_OF,
      ...block(`
        [ -r "$env_file" ] || die "cannot read MinIO's env file $env_file"
        # Root sources nothing another account could change: the file and its directory must be
        # root's, not links, and writable by nobody else (an env file owned by minio-user would let
        # MinIO run commands as root here).
        env_dir=\${env_file%/*}
        for f in "$env_file" "\${env_dir:-/}"; do
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
      `),
    );
  } else {
    lines.push(
      ...block(`
        IFS= read -r mc_user || true
        IFS= read -r mc_password || true
        if [ -z "$mc_user" ] || [ -z "$mc_password" ]; then
          die "expected two lines on stdin: the MinIO root user, then its password"
        fi
      `),
    );
  }
  return lines;
}

/** Arguments of {@link mcKeyCreateScript}. */
export interface McKeyCreateArgs {
  /** How to reach MinIO. */
  target: McTarget;
  /** KES key name to create, e.g. `minio-bucket-data`. */
  keyName: string;
}

/**
 * Create a KES key through MinIO: `mc admin kms key create ALIAS KEY` (exactly two
 * arguments, kes-minio.md §5). Idempotent: an existing key is success.
 *
 * Stdout: `created` (mc exited 0) or `exists` (mc failed with a message containing
 * "already exi", which covers KES's "already exists" and MinIO's "already exits").
 * Anything else fails with mc's (redacted) message.
 */
export function mcKeyCreateScript(a: McKeyCreateArgs): string {
  const ctx = "mcKeyCreateScript";
  const key = assertKeyName(ctx, "keyName", a.keyName);
  const p = mcPrelude(ctx, a.target);
  return bashScript(`create the KES key ${key} through MinIO`, [
    ...assignments([...p.vars, ["key_name", key]]),
    ...p.lines,
    ...block(`
      if run_mc admin kms key create "$mc_alias" "$key_name"; then
        echo created
      elif [[ $mc_out == *"already exi"* ]]; then
        echo exists
      else
        die "mc admin kms key create $mc_alias $key_name failed: $(redact "$mc_out")"
      fi
    `),
  ]);
}

/** Arguments of {@link mcBucketScript}. */
export interface McBucketArgs {
  /** How to reach MinIO. */
  target: McTarget;
  /** Bucket name (S3 rules: 3-63 characters of `a-z 0-9 . -`). */
  bucket: string;
  /** Default encryption of the bucket. */
  algorithm: "sse-kms" | "sse-s3";
  /** KES key for `sse-kms` (required there, refused for `sse-s3`). */
  keyName?: string;
  /** Write a probe object and check with `mc stat` that MinIO encrypted it as configured. */
  verify: boolean;
  /** Object name of the probe. Default `.pulumi-minio-kes-probe`. Removed after the check. */
  probeObject?: string;
}

function assertBucket(ctx: string, value: unknown): string {
  return assertRule<string>(ctx, "bucket", value, rules.bucketName);
}

function assertObjectName(ctx: string, value: unknown): string {
  if (
    typeof value !== "string" ||
    !/^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,255}$/.test(value) ||
    value.endsWith("/") ||
    value.split("/").some((s) => s === "" || s === "." || s === "..")
  ) {
    throw new Error(
      `${ctx}: probeObject must be an object name of letters, digits, '.', '_', '-' and '/' (no empty, . or .. segments)`,
    );
  }
  return value;
}

/**
 * Create a bucket and set its default encryption with mc:
 * `mc mb --ignore-existing`, `mc encrypt set sse-kms KEY ALIAS/BUCKET` (or `sse-s3`), then
 * checks `mc encrypt info --json` reports it (`aws:kms` + the key id, or `AES256`). With
 * `verify`, copies a small probe object in, parses `mc stat` for
 * `Encryption: SSE-KMS (arn:aws:kms:KEY)` (or `SSE-S3`; older mc's
 * `X-Amz-Server-Side-Encryption*` metadata lines are accepted too), then removes the probe.
 * A mismatch fails with a clear error.
 *
 * Stdout (one line): `result: algorithm=sse-kms key=KEY verified=true|false` or
 * `result: algorithm=sse-s3 verified=true|false`.
 */
export function mcBucketScript(a: McBucketArgs): string {
  const ctx = "mcBucketScript";
  const bucket = assertBucket(ctx, a.bucket);
  if (a.algorithm !== "sse-kms" && a.algorithm !== "sse-s3") {
    throw new Error(`${ctx}: algorithm must be "sse-kms" or "sse-s3"`);
  }
  if (typeof a.verify !== "boolean") throw new Error(`${ctx}: verify must be a boolean`);
  const kms = a.algorithm === "sse-kms";
  let key: string | undefined;
  if (kms) {
    if (!optional(a.keyName)) throw new Error(`${ctx}: keyName is required for sse-kms`);
    key = assertKeyName(ctx, "keyName", a.keyName);
  } else if (optional(a.keyName)) {
    throw new Error(`${ctx}: keyName must not be set for sse-s3`);
  }
  const p = mcPrelude(ctx, a.target);
  const vars: [string, string][] = [...p.vars, ["bucket", bucket]];
  if (key) vars.push(["key_name", key]);
  const lines: string[] = [
    ...p.lines,
    'target="$mc_alias/$bucket"',
    ...block(`
      run_mc mb --ignore-existing "$target" || die "mc mb $target failed: $(redact "$mc_out")"
    `),
  ];
  lines.push(...encryptionLines(kms));
  const result = kms ? "result: algorithm=sse-kms key=$key_name" : "result: algorithm=sse-s3";
  if (a.verify) {
    const probe = probeLines(ctx, a.probeObject, kms, key);
    vars.push(...probe.vars);
    lines.push(...probe.lines, `echo "${result} verified=true"`);
  } else {
    lines.push(`echo "${result} verified=false"`);
  }
  return bashScript(`create bucket ${bucket} with ${a.algorithm} default encryption`, [
    ...assignments(vars),
    ...lines,
  ]);
}

/** The lines of {@link mcBucketScript} that set the bucket's default encryption and check it. */
function encryptionLines(kms: boolean): string[] {
  const lines: string[] = [];
  if (kms) {
    lines.push(
      ...block(`
        run_mc encrypt set sse-kms "$key_name" "$target" ||
          die "mc encrypt set sse-kms $key_name $target failed (does the key exist, and may MinIO's KES identity use it?): $(redact "$mc_out")"
        run_mc --json encrypt info "$target" || die "mc encrypt info $target failed: $(redact "$mc_out")"
        info=\${mc_out//[[:space:]]/}
        case $info in
          *'"algorithm":"aws:kms"'*) ;;
          *) die "mc encrypt info $target does not report SSE-KMS after setting it: $(redact "$mc_out")" ;;
        esac
        case $info in
          *"\\"keyId\\":\\"$key_name\\""* | *"\\"keyId\\":\\"arn:aws:kms:$key_name\\""*) ;;
          *) die "mc encrypt info $target does not report the key $key_name: $(redact "$mc_out")" ;;
        esac
      `),
    );
  } else {
    lines.push(
      ...block(`
        run_mc encrypt set sse-s3 "$target" || die "mc encrypt set sse-s3 $target failed: $(redact "$mc_out")"
        run_mc --json encrypt info "$target" || die "mc encrypt info $target failed: $(redact "$mc_out")"
        info=\${mc_out//[[:space:]]/}
        case $info in
          *'"algorithm":"AES256"'*) ;;
          *) die "mc encrypt info $target does not report SSE-S3 after setting it: $(redact "$mc_out")" ;;
        esac
      `),
    );
  }
  return lines;
}

/**
 * The variables and lines of {@link mcBucketScript} that write a probe object, read how MinIO
 * encrypted it (`mc stat`), and remove it again.
 */
function probeLines(
  ctx: string,
  probeObject: string | undefined,
  kms: boolean,
  key: string | undefined,
): { vars: [string, string][]; lines: string[] } {
  const vars: [string, string][] = [];
  const lines: string[] = [];
  vars.push(["probe_object", assertObjectName(ctx, probeObject ?? ".pulumi-minio-kes-probe")]);
  const ws = "[[:space:]]*";
  if (kms) {
    vars.push(
      ["stat_re", `^Encryption${ws}:${ws}SSE-KMS${ws}\\(arn:aws:kms:${key}\\)${ws}$`],
      ["stat_re_legacy_alg", `^${ws}X-Amz-Server-Side-Encryption${ws}:${ws}aws:kms${ws}$`],
      [
        "stat_re_legacy_key",
        `^${ws}X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id${ws}:${ws}(arn:aws:kms:)?${key}${ws}$`,
      ],
    );
  } else {
    vars.push(
      ["stat_re", `^Encryption${ws}:${ws}SSE-S3${ws}$`],
      ["stat_re_legacy_alg", `^${ws}X-Amz-Server-Side-Encryption${ws}:${ws}AES256${ws}$`],
    );
  }
  const expected = kms ? "SSE-KMS with the key $key_name" : "SSE-S3";
  const legacy = kms
    ? 'grep -Eqi -- "$stat_re_legacy_alg" <<<"$stat_out" && grep -Eqi -- "$stat_re_legacy_key" <<<"$stat_out"'
    : 'grep -Eqi -- "$stat_re_legacy_alg" <<<"$stat_out"';
  lines.push(
    ...TMP_CLEANUP,
    ...block(`
      tmp=$(mktemp)
      printf 'pulumi-minio-kes encryption probe\\n' >"$tmp"
      run_mc cp "$tmp" "$target/$probe_object" || die "could not write the probe object $target/$probe_object: $(redact "$mc_out")"
      run_mc stat "$target/$probe_object" || die "mc stat $target/$probe_object failed: $(redact "$mc_out")"
      stat_out=$mc_out
      run_mc rm "$target/$probe_object" ||
        printf 'warning: could not remove the probe object %s: %s\\n' "$target/$probe_object" "$(redact "$mc_out")" >&2
      if ! grep -Eq -- "$stat_re" <<<"$stat_out" && ! { ${legacy}; }; then
        die "the probe object $target/$probe_object is not encrypted with ${expected} (bucket default encryption is not applied). mc stat shows: $(redact "$stat_out")"
      fi
    `),
  );
  return { vars, lines };
}

/** How many parts of {@link mcBucketsScript} run at once (keys first, then buckets). */
export const MC_PARTS_AT_ONCE = 4;

/** Arguments of {@link mcBucketsScript}. */
export interface McBucketsArgs {
  /** How to reach MinIO. */
  target: McTarget;
  /** The buckets, each as for {@link mcBucketScript} (without `target`); names must differ. */
  buckets: ReadonlyArray<Omit<McBucketArgs, "target">>;
}

/**
 * What one bucket of {@link mcBucketsScript} is set up as, in words a reviewer reads in a
 * preview: `sse-kms with the key minio-logs, checked with a probe object`.
 */
export function bucketSummary(b: Omit<McBucketArgs, "target">): string {
  const how = b.algorithm === "sse-kms" ? `sse-kms with the key ${b.keyName}` : "sse-s3";
  return `${how}, ${b.verify ? "checked with a probe object" : "not checked"}`;
}

/**
 * Set up several buckets in one script, so that one SSH connection serves them all: first each
 * distinct SSE-KMS key ({@link mcKeyCreateScript}), then each bucket ({@link mcBucketScript}),
 * {@link MC_PARTS_AT_ONCE} at a time, each with its own mc config dir under `target.configDir`.
 * Each part runs as a function in its own subshell (its `exit` and `set -e` stay its own); a
 * failed part does not stop the others, and the script then fails naming every part that did.
 *
 * Stdout: one line per part, `key NAME: created|exists` and `bucket NAME: result: …` (the
 * line {@link mcBucketScript} prints).
 */
export function mcBucketsScript(a: McBucketsArgs): string {
  const ctx = "mcBucketsScript";
  if (!Array.isArray(a.buckets) || a.buckets.length === 0)
    throw new Error(`${ctx}: buckets must not be empty`);
  const names = a.buckets.map((b) => assertBucket(ctx, b.bucket));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`${ctx}: bucket ${dup} is listed twice`);
  const keys = [
    ...new Set(a.buckets.flatMap((b) => (b.algorithm === "sse-kms" && b.keyName ? [b.keyName] : []))),
  ];
  // Each part its own mc config dir, so that parts running at once never write the same file
  // (each copies the CA into its config dir).
  const own = (sub: string): McTarget => ({ ...a.target, configDir: `${a.target.configDir}/${sub}` });
  const parts: { label: string; script: string }[] = [
    ...keys.map((keyName) => ({
      label: `key ${keyName}`,
      script: mcKeyCreateScript({ target: own(`keys/${keyName}`), keyName }),
    })),
    ...a.buckets.map((b) => ({
      label: `bucket ${b.bucket}`,
      script: mcBucketScript({ ...b, target: own(`buckets/${b.bucket}`) }),
    })),
  ];
  const lines: string[] = [];
  parts.forEach((p, i) => {
    // A part's cleanup runs from its EXIT trap, which shellcheck does not see inside a function.
    lines.push("# shellcheck disable=SC2317", `part_${i + 1}() {`, p.script.replace(/\n$/, ""), "}");
  });
  lines.push(
    `at_once=${MC_PARTS_AT_ONCE}`,
    "out_dir=$(mktemp -d)",
    "trap 'rm -rf -- \"$out_dir\"' EXIT",
    ...block(`
      # run_parts FIRST LAST: run parts FIRST..LAST, at most $at_once at a time, each in its own
      # subshell (its exit and set -e stay its own), keeping its output, errors and status.
      run_parts() {
        local i running=0
        for ((i = $1; i <= $2; i++)); do
          if [ "$running" -ge "$at_once" ]; then
            wait -n || true
            running=$((running - 1))
          fi
          (
            set +e
            ("part_$i") >"$out_dir/$i.out" 2>"$out_dir/$i.err" </dev/null
            echo "$?" >"$out_dir/$i.rc"
          ) &
          running=$((running + 1))
        done
        wait
      }
      failed=()
      # report N LABEL: print part N's output after its label, and its errors; note a failure.
      report() {
        local out
        out=$(cat -- "$out_dir/$1.out")
        [ -z "$out" ] || printf '%s: %s\n' "$2" "$out"
        cat -- "$out_dir/$1.err" >&2
        [ "$(cat -- "$out_dir/$1.rc" 2>/dev/null)" = 0 ] || failed+=("$2")
      }
    `),
    ...(keys.length > 0 ? [`run_parts 1 ${keys.length}`] : []),
    `run_parts ${keys.length + 1} ${parts.length}`,
    ...parts.map((p, i) => `report ${i + 1} ${shQuote(p.label)}`),
    ...block(`
      if [ "\${#failed[@]}" -gt 0 ]; then
        list=$(printf '%s, ' "\${failed[@]}")
        die "\${#failed[@]} of ${parts.length} parts failed (\${list%, }); the errors above say why. The other parts are set up; fix those and run pulumi up again."
      fi
    `),
  );
  const shown = names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, ...`;
  return bashScript(
    `set up ${names.length} bucket${names.length === 1 ? "" : "s"} with default encryption (${shown})`,
    ["die() {", "  printf 'error: %s\\n' \"$*\" >&2", "  exit 1", "}", ...lines],
  );
}

/**
 * Read the last line `mcBucketScript` prints (`result: algorithm=… key=… verified=true|false`)
 * and tell whether a probe object was verified. Anything else (no result line, garbled output,
 * `verified=false`) is not a verification.
 */
export function bucketResultVerified(stdout: string | undefined): boolean {
  const lines = (stdout ?? "").trimEnd().split("\n");
  const last = lines[lines.length - 1] ?? "";
  return /^result: algorithm=sse-(kms|s3)( key=[A-Za-z0-9_-]+)? verified=true$/.test(last);
}

/**
 * Read what `mcBucketsScript` printed and tell, per bucket, whether a probe object was verified
 * (its line `bucket NAME: result: …`, read as {@link bucketResultVerified} reads one). A bucket
 * without such a line is not verified.
 */
export function bucketsResultVerified(
  stdout: string | undefined,
  buckets: ReadonlyArray<string>,
): Record<string, boolean> {
  const lines = (stdout ?? "").split("\n");
  return Object.fromEntries(
    buckets.map((b) => {
      const prefix = `bucket ${b}: `;
      const line = lines.find((l) => l.startsWith(prefix));
      return [b, line !== undefined && bucketResultVerified(line.slice(prefix.length))];
    }),
  );
}
