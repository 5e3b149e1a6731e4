/**
 * Host scripts for binaries: install one verified by SHA-256 (downloaded, or uploaded into
 * {@link UPLOAD_DIR}), make the upload directory, and check a binary the user installed.
 * Conventions: `prelude.ts`.
 */
import {
  assertAbsolutePath,
  assertAccountName,
  assertMode,
  assertSha256,
  assignments,
  basenameOf,
  bashScript,
  dirnameOf,
  STAGED_ECHO,
  stagedPath,
} from "../shell";
import { assertUrl, block, DIE, optional, SHA256_OF, TMP_CLEANUP } from "./prelude";

/** Arguments of {@link installBinaryScript}. Exactly one of `url` and `uploadedPath`. */
export interface InstallBinaryArgs {
  /** Where the binary goes, e.g. `/usr/local/bin/kes`. */
  destPath: string;
  /** Expected SHA-256 of the binary (64 hex digits). Checked before anything is replaced. */
  sha256: string;
  /** Download URL (`https:`, `http:` or `file:`); the download is checked against `sha256`. */
  url?: string;
  /**
   * The download URL comes as the first line of stdin (a secret: a presigned URL). It reaches
   * curl through `--config -`, so it is on no command line, and errors do not print it.
   */
  urlOnStdin?: boolean;
  /** A file already copied to the host (e.g. by `remote.CopyToRemote`); removed after install. */
  uploadedPath?: string;
  /** Mode of the installed binary. Default `0755`. */
  mode?: string;
  /** Stage the binary at {@link stagedPath} (as {@link WriteFileArgs.stage}); the service step makes it live. */
  stage?: boolean;
}

/**
 * Install a binary atomically, verified by SHA-256.
 *
 * If `destPath` already has the digest: ensures its mode, removes the uploaded file (if any),
 * prints `unchanged`. Otherwise downloads (`curl --fail --location --silent --show-error`) or
 * copies the uploaded file to a temp file in the destination directory, verifies the digest
 * (a mismatch fails naming expected and actual digest; nothing is replaced), sets the mode,
 * `mv`s it over `destPath`, removes the uploaded file, prints `installed`.
 */
export function installBinaryScript(a: InstallBinaryArgs): string {
  const ctx = "installBinaryScript";
  const dest = assertAbsolutePath(ctx, "destPath", a.destPath);
  const sha = assertSha256(ctx, "sha256", a.sha256);
  const mode = assertMode(ctx, "mode", a.mode ?? "0755");
  if ([optional(a.url), optional(a.uploadedPath), a.urlOnStdin === true].filter(Boolean).length !== 1) {
    throw new Error(`${ctx}: exactly one of url, urlOnStdin and uploadedPath must be given`);
  }
  const vars: [string, string][] = [
    ["dest", dest],
    ["dest_dir", dirnameOf(dest)],
    ["dest_base", basenameOf(dest)],
    ["want", sha],
    ["mode", mode],
  ];
  if (a.stage) vars.push(["staged", stagedPath(dest)]);
  const { fetch, source, removeUpload, precheck, sourceVars } = binarySource(ctx, a, dest);
  vars.push(...sourceVars);
  return bashScript(`${a.stage ? "stage" : "install"} ${basenameOf(dest)} verified by sha256`, [
    ...assignments(vars),
    ...DIE,
    ...TMP_CLEANUP,
    ...SHA256_OF,
    ...block(`
      if [ -d "$dest" ]; then
        die "$dest is a directory; expected a binary"
      fi${
        a.stage
          ? `
      if [ -d "$staged" ] && [ ! -L "$staged" ]; then
        die "$staged is a directory; remove it (the library stages $dest_base there until the restart makes it live)"
      fi`
          : ""
      }
      if [ -f "$dest" ] && [ "$(sha256_of "$dest")" = "$want" ]; then
        chmod -- "$mode" "$dest"
    `),
    ...(a.stage ? ['  rm -f -- "$staged" # an older staged copy: the live binary is what is wanted'] : []),
    ...removeUpload.map((l) => `  ${l}`),
    ...block(`
        echo unchanged
        exit 0
      fi
    `),
    ...precheck,
    ...block(`
      umask 022
      mkdir -p -- "$dest_dir"
      tmp=$(mktemp "$dest_dir/.$dest_base.XXXXXX")
    `),
    ...fetch,
    ...block(`
      got=$(sha256_of "$tmp")
      if [ "$got" != "$want" ]; then
    `),
    ...removeUpload.map((l) => `  ${l}`),
    ...block(`
        die "checksum mismatch for ${source}: expected sha256 $want, got $got; $dest was left unchanged${optional(a.uploadedPath) ? " and the upload removed (the file on the deploying machine was checked before it was copied, so the copy was damaged): copy it again with pulumi up --replace on the upload step" : ""}"
      fi
      chmod -- "$mode" "$tmp"
      mv -f -T -- "$tmp" "${a.stage ? "$staged" : "$dest"}"
      tmp=''
    `),
    ...removeUpload,
    a.stage ? STAGED_ECHO : "echo installed",
  ]);
}

/** Where {@link installBinaryScript} gets the binary from: the lines and variables of its source. */
function binarySource(
  ctx: string,
  a: InstallBinaryArgs,
  dest: string,
): {
  fetch: string[];
  source: string;
  removeUpload: string[];
  precheck: string[];
  sourceVars: [string, string][];
} {
  const sourceVars: [string, string][] = [];
  let fetch: string[];
  let source: string;
  let removeUpload: string[] = [];
  let precheck: string[] = [];
  if (a.urlOnStdin === true) {
    source = "the secret URL";
    precheck = block(`
      IFS= read -r url || true
      case "$url" in
        https://*|http://*) ;;
        *) die "no http(s) download URL on stdin; pass binary.url" ;;
      esac
      case "$url" in
        *'"'*|*\\\\*) die "the download URL has a quote or backslash; remove it" ;;
      esac
    `);
    fetch = block(`
      command -v curl >/dev/null 2>&1 || die "curl is not installed on this host: install it (apt-get install curl) or upload the binary instead"
      printf 'url = "%s"\n' "$url" | curl --fail --location --silent --show-error --retry 3 --output "$tmp" --config - ||
        die "download from the secret URL failed (not shown); $dest was left unchanged: check the URL has not expired"
    `);
  } else if (optional(a.url)) {
    const u = assertUrl(ctx, "url", a.url, ["https:", "http:", "file:"]);
    sourceVars.push(["url", u.href]);
    source = "$url";
    fetch = block(`
      command -v curl >/dev/null 2>&1 || die "curl is not installed on this host: install it (apt-get install curl) or upload the binary instead"
      curl --fail --location --silent --show-error --retry 3 --output "$tmp" "$url" ||
        die "download of $url failed; $dest was left unchanged"
    `);
  } else {
    const up = assertAbsolutePath(ctx, "uploadedPath", a.uploadedPath);
    if (up === dest) throw new Error(`${ctx}: uploadedPath must differ from destPath`);
    sourceVars.push(["uploaded", up]);
    source = "$uploaded";
    precheck = block(`
      if [ ! -f "$uploaded" ] || [ -L "$uploaded" ]; then
        die "the uploaded file $uploaded is missing (or a link): upload it again (replace the resource that copies it), then retry"
      fi
    `);
    fetch = ['cp -- "$uploaded" "$tmp"'];
    removeUpload = ['rm -f -- "$uploaded"'];
  }
  return { fetch, source, removeUpload, precheck, sourceVars };
}

/**
 * Where binaries from `localPath` are copied before they are installed: below `/var/lib`, which
 * only root can write (not the world-writable `/var/tmp`, whose entries systemd also ages away).
 */
export const UPLOAD_DIR = "/var/lib/pulumi-minio-kes-upload";

/**
 * Make the directory the upload `file` is copied into: a real directory, mode 0700, owned by the
 * SSH user that copies it (root, or the sudo user). Anything else at that path (a file, a link,
 * a directory of another owner or mode) is removed first. Runs before every upload (`file` names
 * the copy, so a new binary runs it again), and two of these at once on one host (KES's and
 * MinIO's) both succeed. Prints `changed` or `unchanged`.
 */
export function uploadDirScript(a: { dir?: string; owner: string; file: string }): string {
  const ctx = "uploadDirScript";
  if (typeof a.file !== "string" || !/^[A-Za-z0-9._-]+$/.test(a.file)) {
    throw new Error(`${ctx}: file must be a plain file name`);
  }
  return bashScript(`make the upload directory for ${a.file}, private to the SSH user`, [
    ...assignments([
      ["dir", assertAbsolutePath(ctx, "dir", a.dir ?? UPLOAD_DIR)],
      ["owner", assertAccountName(ctx, "owner", a.owner)],
    ]),
    ...DIE,
    ...block(`
      good() { [ -d "$dir" ] && [ ! -L "$dir" ] && [ "$(stat -c '%U %a' -- "$dir")" = "$owner 700" ]; }
      if good; then
        echo unchanged
        exit 0
      fi
      if { [ -L "$dir" ] || [ -e "$dir" ]; } && ! good; then
        rm -rf -- "$dir"
      fi
      # Made complete under another name, then renamed into place: the directory is never seen
      # half made (root's, before the chown), so a second copy of this step running at the same
      # time (KES's and MinIO's uploads on one host) never takes it for a bad one and removes it.
      new=$(mktemp -d "$dir.XXXXXX")
      chmod 0700 -- "$new"
      chown -h -- "$owner" "$new"
      if ! mv -T -- "$new" "$dir" 2>/dev/null; then
        rm -rf -- "$new"
        good || die "could not create $dir: run 'pulumi up' again"
        echo unchanged
        exit 0
      fi
      echo changed
    `),
  ]);
}

/** Arguments of {@link checkPreinstalledBinaryScript}. */
export interface CheckPreinstalledBinaryArgs {
  /** Path of a binary the user installed, e.g. `/usr/local/bin/minio`. */
  path: string;
  /** When given, the binary must have this SHA-256. */
  sha256?: string;
}

/**
 * Check a binary the user installed themselves: it must exist, be a regular file and be
 * executable, and match `sha256` when given. Fails with a message saying what to fix.
 *
 * Stdout: `ok sha256=<digest of the file>`.
 */
export function checkPreinstalledBinaryScript(a: CheckPreinstalledBinaryArgs): string {
  const ctx = "checkPreinstalledBinaryScript";
  const path = assertAbsolutePath(ctx, "path", a.path);
  const vars: [string, string][] = [["path", path]];
  if (optional(a.sha256)) vars.push(["want", assertSha256(ctx, "sha256", a.sha256)]);
  return bashScript(`check the preinstalled binary ${basenameOf(path)}`, [
    ...assignments(vars),
    ...DIE,
    ...SHA256_OF,
    ...block(`
      if [ ! -e "$path" ]; then
        die "$path does not exist: install it there, or let pulumi-minio-kes install it (give a download URL and sha256)"
      fi
      if [ ! -f "$path" ]; then
        die "$path is not a regular file"
      fi
      if [ ! -x "$path" ]; then
        die "$path is not executable: run 'chmod 0755 $path' on the host"
      fi
      got=$(sha256_of "$path")
    `),
    ...(optional(a.sha256)
      ? block(`
          if [ "$got" != "$want" ]; then
            die "$path has sha256 $got, expected $want: install the expected release there or change the configured sha256"
          fi
        `)
      : []),
    'echo "ok sha256=$got"',
  ]);
}
