/**
 * Host scripts that act on a service and wait for its health: start, restart or reload a unit
 * and probe KES or MinIO ({@link serviceActionScript}), stop a MinIO node before a change, and
 * the ready gate of a distributed deployment ({@link clusterReadyScript}). Conventions:
 * `prelude.ts`.
 */
import * as rules from "../rules";
import { assertRule } from "../rules";
import {
  assertAbsolutePath,
  assertPositiveInt,
  assertText,
  assignments,
  bashScript,
  shQuote,
} from "../shell";
import { assertBaseUrl, assertUnitName, assertUrl, block, optional } from "./prelude";

/** How {@link serviceActionScript} decides that a service is healthy. */
export type HealthCheck =
  | {
      /** KES: `GET /v1/ready` must answer 200 (the route needs `skip_auth: true`; the probe sends no client certificate). */
      kind: "kes";
      /** Full ready URL, e.g. `https://kes1.example.net:7373/v1/ready`. */
      url: string;
      /** CA file on the host that signs the KES server certificate. */
      caFile: string;
      /**
       * `host:port` to actually connect to, e.g. `127.0.0.1:7373` (curl `--connect-to`), so
       * that the certificate is still checked against the URL's host name.
       */
      connectTo?: string;
    }
  | {
      /** MinIO: `/minio/health/live`, then `/minio/health/ready` (which runs a KES generate). */
      kind: "minio";
      /** `http(s)://host:port` without path, e.g. `https://127.0.0.1:9000`. */
      baseUrl: string;
      /** CA file for an https `baseUrl` signed by a private CA. */
      caFile?: string;
      /** `host:port` to actually connect to (curl `--connect-to`). */
      connectTo?: string;
      /**
       * Check only that this node's MinIO runs and answers `/minio/health/live`, even while
       * systemd still shows it `activating`. For each node of a distributed deployment: a
       * distributed MinIO tells systemd it is ready (`Type=notify`) only once its peers answer,
       * and readiness needs a quorum, so a node's own step must not wait for either (the engine
       * may run the nodes' steps in batches of `--parallel`); the deployment's `ready` gate
       * checks every node once all of them were started ({@link clusterReadyScript}).
       */
      liveOnly?: boolean;
    };

/** Arguments of {@link serviceActionScript}. */
export interface ServiceActionArgs {
  /** The unit, e.g. `kes.service`. */
  unit: string;
  /**
   * `start`: start unless active. `restart`: restart. `reload`: `systemctl reload` when the
   * unit has an `ExecReload=`, else SIGHUP to the main process (KES reloads its config on
   * SIGHUP); start it when not active. `none`: only wait for health.
   */
  action: "start" | "restart" | "reload" | "none";
  /** The health probe. */
  health: HealthCheck;
  /** How long to wait for health, in seconds (1–3600). */
  timeoutSeconds: number;
  /**
   * Live paths whose staged copies ({@link stagedPath}) this step makes live before its action:
   * the files every node must agree on change only in the step that restarts. When one of them
   * is the unit file, systemd is reloaded and the unit enabled. With `start`, a running unit
   * whose files were just made live is restarted.
   */
  promote?: {
    /** The live paths, e.g. `/etc/default/minio`. */
    paths: string[];
    /** The unit file among them, e.g. `/etc/systemd/system/minio.service`. */
    unitFile?: string;
  };
}

function assertHostPort(context: string, field: string, value: unknown): string {
  const s = assertText(context, field, value);
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new Error(`${context}: ${field} must be host:port, e.g. 127.0.0.1:7373 or [::1]:7373`);
  }
  return s;
}

/**
 * Bash lines that make every staged file in `$promote_paths` live (rename over the live file)
 * and list them in `$promoted`. A staged file that is a link or not a regular file is refused
 * (the staged copies live next to the live files, in directories only root can write).
 * Needs a `fail` function.
 */
const PROMOTE_STAGED = block(`
  promoted=''
  for live in "\${promote_paths[@]}"; do
    staged="\${live%/*}/.\${live##*/}.staged"
    if [ ! -e "$staged" ] && [ ! -L "$staged" ]; then continue; fi
    if [ -L "$staged" ] || [ ! -f "$staged" ]; then
      fail "$staged is not a regular file; remove it, then run pulumi up again (the library stages $live there)"
    fi
    mv -f -T -- "$staged" "$live"
    promoted+=" $live"
  done
  if [ -n "$promoted" ]; then echo "made live:$promoted"; fi
`);

/** The variables of a health probe and the curl options that use them (CA file, `--connect-to`). */
function healthCurl(ctx: string, h: HealthCheck): { vars: [string, string][]; curlOpts: string[] } {
  const curlOpts: string[] = [];
  const vars: [string, string][] = [];
  if (h.kind === "kes") {
    const u = assertUrl(ctx, "health.url", h.url, ["https:"]);
    vars.push(["url", u.href], ["ca_file", assertAbsolutePath(ctx, "health.caFile", h.caFile)]);
    curlOpts.push('--cacert "$ca_file"');
  } else if (h.kind === "minio") {
    const u = assertBaseUrl(ctx, "health.baseUrl", h.baseUrl);
    vars.push(["base_url", `${u.protocol}//${u.host}`], ["live_only", h.liveOnly ? "1" : "0"]);
    if (optional(h.caFile)) {
      vars.push(["ca_file", assertAbsolutePath(ctx, "health.caFile", h.caFile)]);
      curlOpts.push('--cacert "$ca_file"');
    }
  } else {
    throw new Error(`${ctx}: health.kind must be "kes" or "minio"`);
  }
  if (optional(h.connectTo)) {
    vars.push(["connect_to", assertHostPort(ctx, "health.connectTo", h.connectTo)]);
    curlOpts.push('--connect-to "::$connect_to"');
  }
  return { vars, curlOpts };
}

/** The bash function `http_get URL` of a health probe, with the probe's curl options. */
function httpGetLines(curlOpts: string[]): string[] {
  return block(`
    # http_get URL: sets http_code (000 = no HTTP answer) and http_error (curl's message, if any).
    http_get() {
      local out
      out=$(curl --silent --show-error --output /dev/null --write-out '\\n%{http_code}' --max-time 5 \\
        ${curlOpts.join(" ")} "$1" 2>&1) || true
      http_code=\${out##*$'\\n'}
      http_error=\${out%$'\\n'*}
      case $http_code in
        [0-9][0-9][0-9]) ;;
        *)
          http_error=$out
          http_code=000
          ;;
      esac
    }
  `);
}

/**
 * The health probe of {@link serviceActionScript}: its variables, the bash functions `http_get` and
 * `probe`, and the words its messages use for the service.
 */
function healthProbe(
  ctx: string,
  h: HealthCheck,
): { vars: [string, string][]; lines: string[]; hint: string; startupHint: string } {
  const { vars, curlOpts } = healthCurl(ctx, h);
  const httpGet = httpGetLines(curlOpts);
  if (h.kind === "kes") {
    return {
      vars,
      hint: "KES",
      startupHint:
        "KES exits at startup on configuration errors (an environment variable the config refers to is unset, a certificate or key is missing, the keystore section is wrong): see the journal below",
      lines: [
        ...httpGet,
        ...block(`
          probe() {
            http_get "$url"
            case $http_code in
              200) return 0 ;;
              504) problem="KES answers 504 on $url: the keystore is unreachable or sealed (for Vault: unseal it, then run 'pulumi up' again)" ;;
              502) problem="KES answers 502 on $url: the keystore is unavailable (check the keystore endpoint, its credentials and the network from this host)" ;;
              000) problem="KES is not answering on $url\${http_error:+ ($http_error)}. Check the journal below, the listen address, that /v1/ready has skip_auth: true in the KES config (the probe sends no client certificate), and that the server certificate is valid for the URL's host and signed by the CA in $ca_file" ;;
              401 | 403) problem="KES refused the probe with HTTP $http_code on $url: /v1/ready must allow requests without an identity (api: /v1/ready: skip_auth: true in the KES config)" ;;
              *) problem="KES answers HTTP $http_code on $url" ;;
            esac
            return 1
          }
        `),
      ],
    };
  }
  return {
    vars,
    hint: "MinIO",
    startupHint:
      "MinIO exits at startup when it cannot reach KES: look for 'Failed to connect to KMS' in the journal below",
    lines: [
      ...httpGet,
      ...block(`
        probe() {
          http_get "$base_url/minio/health/live"
          if [ "$http_code" = 000 ]; then
            problem="MinIO is not answering on $base_url\${http_error:+ ($http_error)}. MinIO exits at startup when it cannot reach KES: look for 'Failed to connect to KMS' in the journal below"
            return 1
          elif [ "$http_code" != 200 ]; then
            problem="MinIO answers HTTP $http_code on $base_url/minio/health/live"
            return 1
          fi
          if [ "$live_only" = 1 ]; then return 0; fi
          http_get "$base_url/minio/health/ready"
          if [ "$http_code" != 200 ]; then
            problem="MinIO is running but not ready (HTTP $http_code on $base_url/minio/health/ready). The readiness check runs a KES generate with the default key, so MinIO cannot use KES: check that KES is healthy, that the KES policy lets MinIO's identity create, generate and decrypt that key, and the MINIO_KMS_KES_* settings (endpoint, key name, API key, CA) in MinIO's env file; with several nodes, also that enough nodes are up"
            return 1
          fi
          return 0
        }
      `),
    ],
  };
}

/**
 * Start, restart or reload a unit (or do nothing), then poll its health once a second until
 * `timeoutSeconds` have passed. `start`/`restart` use `--no-block` so that this script, not
 * systemd, bounds the wait; a failed start-rate limit is cleared first (`reset-failed`).
 * After a restart, health only counts once systemd shows a new invocation of the unit, so a
 * stale answer from the old process cannot pass. Health also requires the unit to be active.
 *
 * KES: `/v1/ready` 200 = healthy; 504 = keystore unreachable or sealed; 502 = keystore
 * unavailable; anything else = KES not answering. MinIO: `/minio/health/live`, then
 * `/minio/health/ready` (a failure there means MinIO cannot use KES).
 *
 * On failure (unit `failed` with no pending job, or timeout) prints to stderr
 * `error: <what is wrong and what to do>`, then `journalctl -u UNIT -n 30 --no-pager`, and
 * exits 1.
 *
 * Stdout on success: `ready: UNIT (started|already running|restarted|reloaded|checked)`.
 */
export function serviceActionScript(a: ServiceActionArgs): string {
  const ctx = "serviceActionScript";
  const unit = assertUnitName(ctx, "unit", a.unit);
  const timeout = assertPositiveInt(ctx, "timeoutSeconds", a.timeoutSeconds, 3600);
  if (a.health === null || typeof a.health !== "object") throw new Error(`${ctx}: health is required`);
  const probe = healthProbe(ctx, a.health);
  const promoteLines = promoteScriptLines(ctx, a.promote);
  const action = actionLines(ctx, a.action, Boolean(a.promote));
  const verb = a.action === "none" ? "check" : a.action;
  const stateCheck = stateCheckLines(a.health);
  return bashScript(`${verb} ${unit} and wait until ${probe.hint} is healthy`, [
    ...assignments([
      ["unit", unit],
      ["timeout", String(timeout)],
      ["startup_hint", probe.startupHint],
      ...probe.vars,
    ]),
    ...block(`
      fail() {
        printf 'error: %s\\n' "$1" >&2
        printf 'last 30 journal lines of %s:\\n' "$unit" >&2
        journalctl -u "$unit" -n 30 --no-pager >&2 || true
        exit 1
      }
      invocation_id() {
        systemctl show -p InvocationID --value "$unit" 2>/dev/null || true
      }
    `),
    ...probe.lines,
    ...block(`
      if ! command -v curl >/dev/null 2>&1; then
        printf 'error: %s\n' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
        exit 1
      fi
    `),
    ...promoteLines,
    ...action,
    ...block(`
      deadline=$((SECONDS + timeout))
      problem=''
      while :; do
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
        if [ "$state" = failed ] && [ -z "$(systemctl show -p Job --value "$unit" 2>/dev/null || true)" ]; then
          fail "$unit failed. $startup_hint; fix the cause, then run 'pulumi up' again"
        fi
    `),
    ...stateCheck.map((l) => `  ${l}`),
    ...block(`
        elif [ -n "$old_invocation" ] && [ "$(invocation_id)" = "$old_invocation" ]; then
          problem="$unit has not restarted yet"
        elif probe; then
          echo "ready: $unit ($what)"
          exit 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
          fail "$unit is not healthy after \${timeout}s: $problem"
        fi
        sleep 1
      done
    `),
  ]);
}

/** The lines of {@link serviceActionScript} that make its staged files live ({@link ServiceActionArgs.promote}). */
function promoteScriptLines(ctx: string, promote: ServiceActionArgs["promote"]): string[] {
  const promoteLines: string[] = [];
  if (promote) {
    if (!Array.isArray(promote.paths) || promote.paths.length === 0)
      throw new Error(`${ctx}: promote.paths must not be empty`);
    const paths = promote.paths.map((p, i) => assertAbsolutePath(ctx, `promote.paths[${i}]`, p));
    promoteLines.push(`promote_paths=(${paths.map(shQuote).join(" ")})`, ...PROMOTE_STAGED);
    if (optional(promote.unitFile)) {
      const unitFile = assertAbsolutePath(ctx, "promote.unitFile", promote.unitFile);
      if (!paths.includes(unitFile)) throw new Error(`${ctx}: promote.unitFile must be one of promote.paths`);
      promoteLines.push(
        ...assignments([["unit_file", unitFile]]),
        ...block(`
          case "$promoted " in
            *" $unit_file "*)
              systemctl daemon-reload
              systemctl enable --quiet "$unit"
              ;;
          esac
        `),
      );
    }
  }
  return promoteLines;
}

/** The lines of {@link serviceActionScript} that start, restart or reload the unit (or nothing). */
function actionLines(ctx: string, action: ServiceActionArgs["action"], promote: boolean): string[] {
  const startIfInactive = block(`
    systemctl reset-failed "$unit" 2>/dev/null || true
    systemctl start --no-block "$unit" || fail "systemctl could not start $unit (is the unit installed?)"
  `);
  let lines: string[];
  switch (action) {
    case "start":
      lines = [
        "old_invocation=''",
        ...(promote
          ? [
              'state=$(systemctl is-active "$unit" 2>/dev/null || true)',
              'if [ -n "$promoted" ] && { [ "$state" = active ] || [ "$state" = activating ] || [ "$state" = reloading ]; }; then',
              "  # What runs was started before these files changed: restart it.",
              "  old_invocation=$(invocation_id)",
              '  systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit"',
              "  what='restarted: its files changed'",
              'elif [ "$state" = active ] || [ "$state" = activating ] || [ "$state" = reloading ]; then',
            ]
          : ['if systemctl is-active --quiet "$unit"; then']),
        "  what='already running'",
        "else",
        ...startIfInactive.map((l) => `  ${l}`),
        "  what='started'",
        "fi",
      ];
      break;
    case "restart":
      // With staged files: restart only when some were made live (or the unit does not run).
      // The step also runs after a run that staged nothing new for this node (its triggers
      // include every staging step's output), and then it has nothing to restart for.
      lines = promote
        ? block(`
            state=$(systemctl is-active "$unit" 2>/dev/null || true)
            if [ -z "$promoted" ] && { [ "$state" = active ] || [ "$state" = activating ] || [ "$state" = reloading ]; }; then
              old_invocation=''
              what='running; nothing of it changed'
            else
              old_invocation=$(invocation_id)
              systemctl reset-failed "$unit" 2>/dev/null || true
              systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit (is the unit installed?)"
              what='restarted'
            fi
          `)
        : block(`
            old_invocation=$(invocation_id)
            systemctl reset-failed "$unit" 2>/dev/null || true
            systemctl restart --no-block "$unit" || fail "systemctl could not restart $unit (is the unit installed?)"
            what='restarted'
          `);
      break;
    case "reload":
      lines = [
        ...block(`
          old_invocation=''
          if systemctl is-active --quiet "$unit"; then
            if [ "$(systemctl show -p CanReload --value "$unit" 2>/dev/null || true)" = yes ]; then
              systemctl reload "$unit" || fail "systemctl reload $unit failed"
            else
              systemctl kill --signal=HUP --kill-who=main "$unit" || fail "could not send SIGHUP to $unit"
            fi
            what='reloaded'
          else
        `),
        ...startIfInactive.map((l) => `  ${l}`),
        "  what='started'",
        "fi",
      ];
      break;
    case "none":
      lines = ["old_invocation=''", "what='checked'"];
      break;
    default:
      throw new Error(`${ctx}: action must be one of start, restart, reload, none`);
  }
  return lines;
}

/** The bash test of the unit's state in the wait loop of {@link serviceActionScript}. */
function stateCheckLines(health: HealthCheck): string[] {
  // A distributed MinIO node counts once it runs and answers, though systemd shows it
  // `activating` until its peers answer (see HealthCheck.liveOnly).
  return health.kind === "minio" && health.liveOnly
    ? block(`
          if [ "$state" != active ] && [ "$state" != activating ]; then
            problem="$unit is \${state:-unknown}, not running"
        `)
    : block(`
          if [ "$state" = activating ]; then
            problem="$unit is still starting, or keeps restarting after crashes (systemd state: activating). $startup_hint"
          elif [ "$state" != active ]; then
            problem="$unit is \${state:-unknown}, not active"
        `);
}

/**
 * The first half of a restart of every node of a distributed MinIO: when this node has staged
 * files (a change is coming), stop the unit and wait until it has stopped (at most
 * `timeoutSeconds`). Every node stops before any starts again, so no node that starts with the
 * new configuration meets a peer still running the old one (MinIO refuses peers whose `MINIO_*`
 * environment differs, kes-minio.md §4.2). With nothing staged (this node's files do not change,
 * or the library was upgraded), it stops nothing, and starts the unit if it is installed but not
 * running (a node left stopped by an interrupted run whose change was then reverted). Stdout:
 * `stopped: …`, `not running: …`, `unchanged: …` or `started: …`.
 */
export function serviceStopScript(a: { unit: string; timeoutSeconds: number; staged: string[] }): string {
  const ctx = "serviceStopScript";
  const unit = assertUnitName(ctx, "unit", a.unit);
  const timeout = assertPositiveInt(ctx, "timeoutSeconds", a.timeoutSeconds, 3600);
  if (!Array.isArray(a.staged) || a.staged.length === 0) throw new Error(`${ctx}: staged must not be empty`);
  const paths = a.staged.map((p, i) => assertAbsolutePath(ctx, `staged[${i}]`, p));
  return bashScript(`stop ${unit} until every node starts again with the new configuration`, [
    ...assignments([
      ["unit", unit],
      ["timeout", String(timeout)],
    ]),
    `live_paths=(${paths.map(shQuote).join(" ")})`,
    ...block(`
      staged_any=''
      for live in "\${live_paths[@]}"; do
        if [ -e "\${live%/*}/.\${live##*/}.staged" ]; then staged_any=1; fi
      done
      state=$(systemctl is-active "$unit" 2>/dev/null || true)
      running=''
      case $state in active | activating | reloading) running=1 ;; esac
      if [ -z "$staged_any" ]; then
        if [ -n "$running" ]; then
          echo "unchanged: nothing is staged on this node; $unit keeps running"
        elif [ "$(systemctl show -p LoadState --value "$unit" 2>/dev/null || true)" != loaded ]; then
          echo "unchanged: nothing is staged on this node, and $unit is not installed yet"
        elif systemctl start --no-block "$unit"; then
          echo "started: $unit (it was not running, and nothing changes on this node)"
        else
          echo "not running: $unit (\${state:-unknown}); systemctl could not start it, and nothing changes on this node"
        fi
        exit 0
      fi
      if [ -z "$running" ]; then
        echo "not running: $unit (\${state:-unknown})"
        exit 0
      fi
      systemctl stop --no-block "$unit" || { printf 'error: %s\\n' "systemctl could not stop $unit" >&2; exit 1; }
      deadline=$((SECONDS + timeout))
      while :; do
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
        case $state in
          inactive | failed | unknown | '')
            echo "stopped: $unit (it starts again with its staged files once every node has stopped)"
            exit 0
            ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then
          printf 'error: %s\\n' "$unit did not stop within \${timeout}s (systemd state: $state); see journalctl -u $unit, stop it by hand, then run pulumi up again" >&2
          exit 1
        fi
        sleep 0.2
      done
    `),
  ]);
}

/** What the stop step of a node runs on a plain update (no change of what it stops for). */
export function nothingToStopScript(unit: string): string {
  const u = assertUnitName("nothingToStopScript", "unit", unit);
  return bashScript(`nothing to stop: only a changed configuration stops ${u}`, ["echo unchanged"]);
}

/** Arguments of {@link clusterReadyScript}. */
export interface ClusterReadyArgs {
  /** The unit on this (the admin) node, which must be active, e.g. `minio.service`. */
  unit: string;
  /** Every node: its name (for messages) and `http(s)://host:port` as the other nodes reach it. */
  nodes: ReadonlyArray<{
    /** The node's name, e.g. `minio2`. */
    name: string;
    /** `http(s)://host:port`, e.g. `https://10.0.0.12:9000`. */
    baseUrl: string;
  }>;
  /** CA file on this host for https base URLs signed by a private CA. */
  caFile?: string;
  /** How long to wait for every node, in seconds (1–3600). */
  timeoutSeconds: number;
}

/**
 * The gate of a distributed MinIO deployment, run on the admin node once every node was started:
 * this node's unit is active (systemd heard MinIO's `READY=1`, sent once its peers answered) and
 * every node answers `/minio/health/ready` (which runs a KES generate) over the network, polled
 * once a second until `timeoutSeconds` have passed. A failure names each node that is not ready
 * and why: not answering at all (not running: its journal says why), or answering but not ready
 * (still waiting for peers, or unable to use KES).
 */
export function clusterReadyScript(a: ClusterReadyArgs): string {
  const ctx = "clusterReadyScript";
  const unit = assertUnitName(ctx, "unit", a.unit);
  const timeout = assertPositiveInt(ctx, "timeoutSeconds", a.timeoutSeconds, 3600);
  if (!Array.isArray(a.nodes) || a.nodes.length === 0) throw new Error(`${ctx}: nodes must not be empty`);
  const names = a.nodes.map((n, i) => assertRule<string>(ctx, `nodes[${i}].name`, n.name, rules.hostName));
  const urls = a.nodes.map((n, i) => {
    const u = assertBaseUrl(ctx, `nodes[${i}].baseUrl`, n.baseUrl);
    return `${u.protocol}//${u.host}`;
  });
  const curlOpts = optional(a.caFile) ? '--cacert "$ca_file"' : "";
  return bashScript(`wait until every MinIO node is ready (${a.nodes.length} nodes)`, [
    ...assignments([
      ["unit", unit],
      ["timeout", String(timeout)],
      ...(optional(a.caFile)
        ? ([["ca_file", assertAbsolutePath(ctx, "caFile", a.caFile)]] as [string, string][])
        : []),
    ]),
    `names=(${names.map(shQuote).join(" ")})`,
    `urls=(${urls.map(shQuote).join(" ")})`,
    ...block(`
      if ! command -v curl >/dev/null 2>&1; then
        printf 'error: %s\\n' "curl is not installed on this host; the health check needs it (apt-get install curl)" >&2
        exit 1
      fi
      # code_of URL: the HTTP status, 000 when there is no HTTP answer.
      code_of() {
        local out
        out=$(curl --silent --output /dev/null --write-out '\\n%{http_code}' --max-time 5 ${curlOpts} "$1" 2>/dev/null) || true
        out=\${out##*$'\\n'}
        case $out in
          [0-9][0-9][0-9]) printf '%s' "$out" ;;
          *) printf '000' ;;
        esac
      }
      deadline=$((SECONDS + timeout))
      declare -A done_nodes=()
      while :; do
        problems=()
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
        if [ "$state" != active ]; then
          problems+=("this node's $unit is \${state:-unknown}, not active (systemd hears MinIO's READY only once its peers answer)")
        fi
        for i in "\${!names[@]}"; do
          [ -n "\${done_nodes[$i]:-}" ] && continue
          ready=$(code_of "\${urls[$i]}/minio/health/ready")
          if [ "$ready" = 200 ]; then
            done_nodes[$i]=1
            continue
          fi
          live=$(code_of "\${urls[$i]}/minio/health/live")
          case $live in
            200) problems+=("\${names[$i]} (\${urls[$i]}) runs but is not ready (HTTP $ready on /minio/health/ready): it waits for enough peers to answer, or cannot use KES (the readiness check runs a KES generate with the default key: see its journal, journalctl -u minio)") ;;
            000) problems+=("\${names[$i]} (\${urls[$i]}) is not answering: MinIO is not running there, or this node cannot reach it (see journalctl -u minio on \${names[$i]}, and the network between the nodes)") ;;
            *) problems+=("\${names[$i]} (\${urls[$i]}) answers HTTP $live on /minio/health/live") ;;
          esac
        done
        if [ "\${#problems[@]}" -eq 0 ]; then
          echo "ready: all \${#names[@]} MinIO nodes"
          exit 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
          printf 'error: not every MinIO node is ready after %ss; fix these, then run pulumi up again:\\n' "$timeout" >&2
          printf '  - %s\\n' "\${problems[@]}" >&2
          exit 1
        fi
        sleep 1
      done
    `),
  ]);
}
