/**
 * Host scripts that write and remove files and directories: the atomic write of stdin to a file
 * ({@link writeFilesScript}), removing a file, the drive directories, the guard against dropping
 * KES, and the merge of our variables into an existing environment file. Conventions:
 * `prelude.ts`.
 */
import { MINIO_CONFLICTING_KMS_VARIABLES, MINIO_KES_VARIABLES } from "../minioEnv";
import {
  assertAbsolutePath,
  assertAccountName,
  assertMode,
  assignments,
  basenameOf,
  bashScript,
  STAGED_ECHO,
  shQuote,
  stagedPath,
} from "../shell";
import { atomicWrite, block, HOST_SCRIPTS_CTX as CTX, DIE, optional, TMP_CLEANUP } from "./prelude";

/** How {@link writeFilesScript} writes one file. */
export interface WriteFileArgs {
  /** Absolute path of the file. */
  path: string;
  /** Octal mode, e.g. `0640`. */
  mode: string;
  /** Owning user (must exist on the host). */
  owner: string;
  /** Owning group (must exist on the host). */
  group: string;
  /** Mode of the parent directory when the script creates it. Default `0755`. An existing directory is left as is. */
  dirMode?: string;
  /** Owner of the parent directory when the script creates it. Default `root`. */
  dirOwner?: string;
  /** Group of the parent directory when the script creates it. Default: the login group of `dirOwner`. */
  dirGroup?: string;
  /**
   * The parent directory is the library's own (`/etc/kes`, `/etc/minio/…`): an existing one is
   * given `dirOwner:dirGroup` and `dirMode` too, so a host installed by an earlier version, whose
   * directories the service user owned, is fixed by the next write. Needs `dirGroup`. Never for
   * system directories such as `/etc/default`.
   */
  ownDir?: boolean;
  /**
   * Stage the file instead of replacing the live one: it goes to {@link stagedPath}, and the
   * step that restarts the service makes it live ({@link ServiceActionArgs.promote}), so a file
   * every node must agree on changes nowhere until it is staged everywhere. When the live file
   * is already what is wanted, an older staged copy is removed.
   */
  stage?: boolean;
}

/** One file of {@link writeFilesScript}: how it is written, and its name in the step's output. */
export interface FileToWrite extends WriteFileArgs {
  /** Its name in the output (`env`, `tls-key`): lower-case letters, digits and dashes. */
  label: string;
}

/**
 * Write several files in one step from one stdin made by {@link encodeFilesStdin} (one line of
 * base64 per file, in the order given). Each is written atomically: the parent directory is
 * created when missing, a temp file is written in the same directory under `umask 077`, given
 * owner, group and mode, then `mv`d over the path (or, with `stage`, over {@link stagedPath}).
 * A file that already has identical bytes, mode, owner and group is left alone; nothing is
 * written through a link, and no content is echoed. Each file is written in its own subshell, and the first
 * failure stops the step (files before it stay written, as separate steps would have left them).
 *
 * Stdout: one line per file, `<label>: changed|unchanged|staged <nanoseconds>`.
 */
export function writeFilesScript(files: FileToWrite[]): string {
  const ctx = "writeFilesScript";
  if (files.length === 0) throw new Error(`${ctx}: files must not be empty`);
  const seen = new Set<string>();
  const parts = files.flatMap((f, i) => {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(f.label))
      throw new Error(`${ctx}: files[${i}].label: invalid ${f.label}`);
    const path = assertAbsolutePath(ctx, `files[${i}].path`, f.path);
    if (seen.has(path)) throw new Error(`${ctx}: files[${i}].path: ${path} is written twice`);
    seen.add(path);
    const w = atomicWrite({
      path,
      mode: assertMode(ctx, `files[${i}].mode`, f.mode),
      owner: assertAccountName(ctx, `files[${i}].owner`, f.owner),
      group: assertAccountName(ctx, `files[${i}].group`, f.group),
      dirMode: assertMode(ctx, `files[${i}].dirMode`, f.dirMode ?? "0755"),
      dirOwner: assertAccountName(ctx, `files[${i}].dirOwner`, f.dirOwner ?? "root"),
      dirGroup: optional(f.dirGroup) ? assertAccountName(ctx, `files[${i}].dirGroup`, f.dirGroup) : undefined,
      ownDir: f.ownDir === true,
      stage: f.stage === true,
      fromLine: true,
    });
    const done = f.stage
      ? `if [ "$result" = staged ]; then echo "${f.label}: staged $(date +%s%N)"; else echo "${f.label}: $result"; fi`
      : `echo "${f.label}: $result"`;
    return [
      `# ${f.label}: ${f.stage ? "stage" : "write"} ${basenameOf(path)}`,
      "(",
      ...assignments(w.vars),
      "tmp=''",
      "trap cleanup EXIT",
      ...w.body,
      done,
      ")",
    ];
  });
  const names = files.map((f) => basenameOf(f.path)).join(", ");
  return bashScript(
    `write ${names} from stdin${files.some((f) => f.stage) ? " (staged ones made live by the restart)" : ""}`,
    // Each file's subshell sets the trap again: a temp file left by a failure is removed.
    [...DIE, ...TMP_CLEANUP, ...parts],
  );
}

/** The stdin of {@link writeFilesScript}: each file's content as one line of base64, in order. */
export function encodeFilesStdin(contents: ReadonlyArray<string>): string {
  return contents.map((c) => `${Buffer.from(c, "utf8").toString("base64")}\n`).join("");
}

/** Arguments of {@link removeFileScript}. */
export interface RemoveFileArgs {
  /** Absolute path of the file to remove. A directory is refused. */
  path: string;
}

/**
 * Remove a file (or symlink) if it exists. Refuses directories.
 *
 * Stdout: `removed` or `absent`.
 */
export function removeFileScript(a: RemoveFileArgs): string {
  const ctx = "removeFileScript";
  const path = assertAbsolutePath(ctx, "path", a.path);
  return bashScript(`remove ${basenameOf(path)}`, [
    ...assignments([["path", path]]),
    ...DIE,
    ...block(`
      if [ -d "$path" ] && [ ! -L "$path" ]; then
        die "$path is a directory; not removing it"
      fi
      if [ -e "$path" ] || [ -L "$path" ]; then
        rm -f -- "$path"
        echo removed
      else
        echo absent
      fi
    `),
  ]);
}

/**
 * Create missing drive directories owned by the service user. Existing directories (mounted
 * drives) keep their content; only their top directory's owner is set, never recursively. A
 * drive that is a symbolic link is refused (the service user may own the parent, e.g. its home
 * `/var/lib/minio`, and a planted link would otherwise hand its target to that user), and the
 * owner is set with `chown -h`, which never follows a link.
 */
export function ensureDirectoriesScript(a: {
  paths: string[];
  owner: string;
  group: string;
  mode?: string;
}): string {
  if (a.paths.length === 0) throw new Error(`${CTX}: paths must not be empty`);
  const paths = a.paths.map((p, i) => assertAbsolutePath(CTX, `paths[${i}]`, p));
  return bashScript("create drive directories owned by the service user", [
    ...assignments([
      ["owner", assertAccountName(CTX, "owner", a.owner)],
      ["group", assertAccountName(CTX, "group", a.group)],
      ["mode", assertMode(CTX, "mode", a.mode ?? "0750")],
    ]),
    `paths=(${paths.map(shQuote).join(" ")})`,
    "changed=0",
    'for p in "${paths[@]}"; do',
    '  if [ -L "$p" ] || [ "$(realpath -m -- "$p")" != "$p" ]; then',
    "    echo \"error: $p is, or goes through, a symbolic link; a drive must be a real directory (or a mount point) on a real path: remove the link, then run 'pulumi up' again\" >&2",
    "    exit 1",
    '  elif [ ! -d "$p" ]; then',
    '    install -d -o "$owner" -g "$group" -m "$mode" "$p"',
    "    changed=1",
    '  elif [ "$(stat -c %U:%G "$p")" != "$owner:$group" ]; then',
    '    chown -h -- "$owner:$group" "$p"',
    "    changed=1",
    "  fi",
    "done",
    'if [ "$changed" = 1 ]; then echo changed; else echo unchanged; fi',
  ]);
}

/**
 * Refuse to continue when the env file on the host configures KES but the new configuration
 * does not: MinIO cannot start without the keys that encrypted its data (kes-minio.md §6
 * pitfall 5; landscape.md §0.6). Runs before the env file is written.
 */
export function kesRemovalGuardScript(a: { envFile: string }): string {
  return bashScript("refuse to drop KES from a deployment that uses it", [
    ...assignments([["file", assertAbsolutePath(CTX, "envFile", a.envFile)]]),
    `if [ -f "$file" ] && grep -Eq '^[[:space:]]*(export[[:space:]]+)?MINIO_KMS_KES_ENDPOINT=' "$file"; then`,
    `  echo "error: $file configures KES (MINIO_KMS_KES_ENDPOINT) but the new configuration has no kes." >&2`,
    '  echo "MinIO cannot start without the keys that encrypted its IAM data and objects." >&2',
    '  echo "Put kes back into the MinioDeployment, or, if you really mean it, set allowKesRemoval: true." >&2',
    "  exit 1",
    "fi",
    "echo ok",
  ]);
}

/**
 * Merge our variables into an existing environment file (MinIO's procedure for existing
 * deployments edits that file and restarts). Our lines arrive on stdin, already rendered by
 * `renderEnvFile` (they hold secrets). Implements exactly `mergeEnvFile` of `minioEnv.ts`:
 * - a variable we set replaces the first line that sets it; later duplicates are dropped;
 * - variables of ours that the file lacks are appended under a marker comment;
 * - every other KES variable (§4.1) is removed, so an API key and a client certificate are
 *   never both left behind;
 * - a non-empty variable of another KMS (§4.1 "Exclusivity rule") stops the merge with an error;
 * - every other line is kept byte for byte. The file is replaced atomically, keeping its mode,
 *   owner and group, and only when the content changes. Prints changed/unchanged; with `stage`,
 *   the result goes to the staged copy ({@link stagedPath}) that the restart makes live, and
 *   prints staged/unchanged.
 */
export function envMergeScript(a: { envFile: string; managedNames: string[]; stage?: boolean }): string {
  const file = assertAbsolutePath(CTX, "envFile", a.envFile);
  for (const n of a.managedNames) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`${CTX}: managedNames: invalid name ${n}`);
  }
  const remove = MINIO_KES_VARIABLES.filter((n) => !a.managedNames.includes(n));
  return bashScript("merge pulumi-minio-kes variables into an existing MinIO env file", [
    ...assignments([
      ["file", file],
      ["remove", remove.join(" ")],
      ["conflicts", MINIO_CONFLICTING_KMS_VARIABLES.join(" ")],
    ]),
    'if [ ! -f "$file" ]; then echo "error: $file does not exist; existing mode needs the env file of the running deployment (set existing.envFile)." >&2; exit 1; fi',
    'dir=$(dirname "$file")',
    "# Root writes its temp files here: the directory must be root's, on a real path, and writable by",
    "# no one else (a service account could swap a temp file for a link).",
    'if [ -L "$file" ] || [ "$(realpath -e -- "$dir")" != "$dir" ]; then',
    '  echo "error: $file is, or is reached through, a symbolic link; point existing.envFile at the real file" >&2',
    "  exit 1",
    "fi",
    "read -r dir_owner dir_mode < <(stat -c '%U %a' -- \"$dir\")",
    'if [ "$dir_owner" != root ] || (((8#$dir_mode & 8#022) != 0)); then',
    '  echo "error: $dir (the directory of $file) is owned by $dir_owner with mode $dir_mode; make it root\'s and writable only by root (chown root: $dir; chmod go-w $dir), then run pulumi up again" >&2',
    "  exit 1",
    "fi",
    'managed=$(mktemp "$dir/.pulumi-merge-in.XXXXXX")',
    'tmp=$(mktemp "$dir/.pulumi-merge-out.XXXXXX")',
    'trap \'rm -f "$managed" "$tmp"\' EXIT',
    'chmod 0600 "$managed" "$tmp"',
    'cat >"$managed"',
    "# The awk program gets only names on its command line; values stay in files.",
    'awk -v remove="$remove" -v conflicts="$conflicts" -v target="$file" \'',
    "  function varname(line,   m) {",
    "    if (match(line, /^[ \\t]*(export[ \\t]+)?[A-Za-z_][A-Za-z0-9_]*[ \\t]*=/)) {",
    "      m = substr(line, RSTART, RLENGTH - 1)",
    '      sub(/^[ \\t]*(export[ \\t]+)?/, "", m); sub(/[ \\t]*$/, "", m)',
    "      return m",
    "    }",
    '    return ""',
    "  }",
    "  function value(line) {",
    '    sub(/^[^=]*=/, "", line); gsub(/^[ \\t]+|[ \\t]+$/, "", line)',
    '    if (line == "\\047\\047" || line == "\\"\\"") return ""',
    "    return line",
    "  }",
    "  BEGIN {",
    '    n = split(remove, r, " "); for (i = 1; i <= n; i++) rm[r[i]] = 1',
    '    n = split(conflicts, c, " "); for (i = 1; i <= n; i++) bad[c[i]] = 1',
    "  }",
    '  FNR == NR { name = varname($0); if (name != "") { order[++count] = name; line[name] = $0 } next }',
    "  {",
    "    name = varname($0)",
    '    if (name != "" && (name in bad) && value($0) != "") {',
    '      print "error: " name " is set in " target ": MinIO cannot use KES and another KMS at once. Objects encrypted with that KMS need it to stay readable; migrate them first (or remove the variable yourself if nothing was encrypted with it), then run `pulumi up` again." > "/dev/stderr"',
    "      failed = 1; exit 1",
    "    }",
    '    if (name != "" && (name in line)) { if (!(name in done)) { print line[name]; done[name] = 1 } next }',
    '    if (name != "" && (name in rm)) next',
    "    print",
    "  }",
    "  END {",
    "    if (failed) exit 1",
    "    added = 0",
    "    for (i = 1; i <= count; i++) if (!(order[i] in done)) {",
    '      if (!added) { print "# Added by pulumi-minio-kes"; added = 1 }',
    "      print line[order[i]]",
    "    }",
    "  }",
    '\' "$managed" "$file" >"$tmp"',
    ...mergeResultLines(file, a.stage),
  ]);
}

/**
 * The last lines of {@link envMergeScript}: replace `$file` with the merged `$tmp` (or, with
 * `stage`, put it at the staged copy), keeping mode, owner and group, unless nothing changed.
 */
function mergeResultLines(file: string, stage: boolean | undefined): string[] {
  return stage
    ? [
        ...assignments([["staged", stagedPath(file)]]),
        'if [ -d "$staged" ] && [ ! -L "$staged" ]; then echo "error: $staged is a directory; remove it (the library stages the merged file there until the restart makes it live)" >&2; exit 1; fi',
        'if cmp -s "$tmp" "$file"; then rm -f -- "$staged"; echo unchanged; exit 0; fi',
        'chown -h --reference="$file" "$tmp"',
        'chmod --reference="$file" "$tmp"',
        'mv -f -T -- "$tmp" "$staged"',
        STAGED_ECHO,
      ]
    : [
        'if cmp -s "$tmp" "$file"; then echo unchanged; exit 0; fi',
        'chown -h --reference="$file" "$tmp"',
        'chmod --reference="$file" "$tmp"',
        'mv -f -T -- "$tmp" "$file"',
        "echo changed",
      ];
}
