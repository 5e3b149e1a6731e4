/**
 * Host scripts for systemd: the service user a unit runs as, installing a unit (and enabling
 * it), and removing it on destroy. The units themselves are rendered by `lib/core/systemd.ts`.
 * Conventions: `prelude.ts`.
 */
import { assertRule, unitName as unitNameRule } from "../rules";
import { assertAbsolutePath, assertNewAccountName, assignments, bashScript, STAGED_ECHO } from "../shell";
import { unitOwnerLine } from "../systemd";
import { assertUnitName, atomicWrite, block, HOST_SCRIPTS_CTX as CTX, DIE, TMP_CLEANUP } from "./prelude";

/** Arguments of {@link ensureServiceUserScript}. */
export interface EnsureServiceUserArgs {
  /** System user to create, e.g. `kes` or `minio-user`. */
  user: string;
  /** Its primary group, created as a system group when missing, e.g. `kes`. */
  group: string;
  /** Home directory (absolute). Created `0750 user:group` when missing; an existing one is left as is. */
  home: string;
}

/**
 * Idempotently create a system group and a system user without login shell
 * (`groupadd --system G; useradd --system --no-create-home --gid G --home-dir H
 * --shell /usr/sbin/nologin U`, as the upstream units expect, kes-minio.md §4.3/§4.4), and the
 * home directory (`0750`, owned by the user) when it does not exist. An existing user,
 * group or directory is never modified.
 *
 * Stdout: `changed` when anything was created, else `unchanged`.
 */
export function ensureServiceUserScript(a: EnsureServiceUserArgs): string {
  const ctx = "ensureServiceUserScript";
  const user = assertNewAccountName(ctx, "user", a.user);
  const group = assertNewAccountName(ctx, "group", a.group);
  const home = assertAbsolutePath(ctx, "home", a.home);
  return bashScript(`ensure system user ${user}`, [
    ...assignments([
      ["user", user],
      ["group", group],
      ["home", home],
    ]),
    ...DIE,
    ...block(`
      changed=0
      if ! getent group "$group" >/dev/null; then
        groupadd --system "$group"
        changed=1
      fi
      if ! getent passwd "$user" >/dev/null; then
        useradd --system --no-create-home --gid "$group" --home-dir "$home" --shell /usr/sbin/nologin "$user"
        changed=1
      fi
      if [ ! -e "$home" ]; then
        umask 022
        mkdir -p -- "$home"
        chown -- "$user:$group" "$home"
        chmod -- 0750 "$home"
        changed=1
      elif [ ! -d "$home" ]; then
        die "$home exists but is not a directory"
      fi
      if [ "$changed" = 1 ]; then
        echo changed
      else
        echo unchanged
      fi
    `),
  ]);
}

/** Arguments of {@link installUnitScript}. */
export interface InstallUnitArgs {
  /** Unit file name, e.g. `kes.service`. */
  unitName: string;
  /** Directory of the unit file. Default `/etc/systemd/system`. */
  unitDir?: string;
  /**
   * Stage the unit (as {@link WriteFileArgs.stage}); the service step makes it live, reloads
   * systemd and enables it.
   */
  stage?: boolean;
}

/**
 * Install a systemd unit whose text arrives on stdin: atomic write as in
 * {@link writeFilesScript} (`0644 root:root`), `systemctl daemon-reload` only when the file
 * changed (or systemd reports `NeedDaemonReload=yes`), then `systemctl enable` (idempotent;
 * it does not start the unit).
 *
 * Stdout: `changed` or `unchanged`.
 */
export function installUnitScript(a: InstallUnitArgs): string {
  const ctx = "installUnitScript";
  const unit = assertUnitName(ctx, "unitName", a.unitName);
  const dir = assertAbsolutePath(ctx, "unitDir", a.unitDir ?? "/etc/systemd/system");
  const w = atomicWrite({
    path: `${dir}/${unit}`,
    mode: "0644",
    owner: "root",
    group: "root",
    dirMode: "0755",
    dirOwner: "root",
    dirGroup: "root",
    stage: a.stage === true,
  });
  return bashScript(a.stage ? `stage ${unit} (made live by the restart)` : `install and enable ${unit}`, [
    ...assignments([["unit", unit], ...w.vars]),
    ...DIE,
    ...TMP_CLEANUP,
    ...w.body,
    ...(a.stage ? ['if [ "$result" = staged ]; then', `  ${STAGED_ECHO}`, "  exit 0", "fi"] : []),
    ...block(`
      if [ "$result" = changed ] ||
        [ "$(systemctl show -p NeedDaemonReload --value "$unit" 2>/dev/null || true)" = yes ]; then
        systemctl daemon-reload
      fi
      systemctl enable --quiet "$unit"
      echo "$result"
    `),
  ]);
}

/**
 * Run on `pulumi destroy`: stop and disable a unit and remove its unit file. Binaries, config,
 * environment files, certificates, data, keys and the keystore stay on the host: MinIO's data
 * cannot be read without KES's keys, so the library never deletes either.
 */
export function removeUnitScript(a: { unitName: string; unitDir?: string; owner?: string }): string {
  const unit = assertRule<string>(CTX, "unitName", a.unitName, unitNameRule);
  const dir = assertAbsolutePath(CTX, "unitDir", a.unitDir ?? "/etc/systemd/system");
  return bashScript("stop and disable a unit on destroy; keep data, keys and configuration", [
    ...assignments([
      ["unit", unit],
      ["file", `${dir}/${unit}`],
    ]),
    'if [ ! -e "$file" ]; then echo absent; exit 0; fi',
    ...(a.owner === undefined
      ? []
      : [
          ...assignments([["owner_line", unitOwnerLine(a.owner)]]),
          "# Another step (a renamed component, a moved host) wrote this unit since: leave it alone.",
          'if ! grep -qxF "$owner_line" "$file"; then echo "kept: $unit belongs to another step"; exit 0; fi',
        ]),
    'systemctl disable --now "$unit" >/dev/null 2>&1 || systemctl stop "$unit" || true',
    'rm -f "$file"',
    "systemctl daemon-reload",
    'echo "removed: $unit (data, keys and configuration kept)"',
  ]);
}
