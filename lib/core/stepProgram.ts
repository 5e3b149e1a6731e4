/**
 * How a step that needs no content on stdin travels to its host: its scripts go on stdin, as one
 * bash program holding what `create`, `update` and `delete` run, and the command line is short
 * and says what the step does (`bash -s create # minio1: restart minio.service and wait until
 * MinIO is healthy`).
 *
 * Why: `@pulumi/command` reports a failed command as `Process exited with status N: running
 * "<the whole command, %q-escaped>":` followed by its output (pulumi-command
 * `provider/pkg/provider/remote/commandOutputs.go`). With the script on the command line, what a
 * user reads first is kilobytes of escaped bash; with this, it is the host and the step, then
 * the script's own `error: …` line, which says what to do. Running the program with `bash -s`
 * also makes every step run under bash whatever the SSH user's login shell is.
 */
import { hasControlChars } from "./shell";

/** The three scripts of one step. */
export interface StepScripts {
  create: string;
  update: string;
  /** Omitted when deleting the step runs nothing. */
  delete?: string;
}

const OPS = ["create", "update", "delete"] as const;
/** One of the step's operations. */
export type StepOp = (typeof OPS)[number];

/** The `# pulumi-minio-kes: <purpose>` line every rendered script carries, or a generic one. */
export function scriptPurpose(script: string): string {
  const m = /^# pulumi-minio-kes: (.+)$/m.exec(script);
  const purpose = m?.[1]?.trim() ?? "run a pulumi-minio-kes step";
  return hasControlChars(purpose) ? "run a pulumi-minio-kes step" : purpose;
}

/**
 * The program handed to `bash -s <op>` on stdin. Each script becomes a function run in a subshell
 * (its `exit` and `set -e` stay its own). The dispatch is one compound command, read whole before
 * it runs, and it points stdin at /dev/null first, so no command of a script can read the rest of
 * the program.
 */
export function renderStepProgram(s: StepScripts): string {
  const lines = [
    "#!/usr/bin/env bash",
    "# pulumi-minio-kes: one step's scripts, run as `bash -s create|update|delete`",
  ];
  for (const op of OPS) {
    const body = s[op];
    if (body === undefined) continue;
    // An update that runs what create runs is written once (each copy is kept in the stack's
    // state twice, and the engine writes the state after every step).
    if (op === "update" && body === s.create) {
      lines.push("step_update() {", "  step_create", "}", "# end of step_update");
      continue;
    }
    lines.push(`step_${op}() {`, body.replace(/\n$/, ""), "}", `# end of step_${op}`);
  }
  const known = OPS.filter((op) => s[op] !== undefined);
  lines.push(
    "{",
    "  exec </dev/null",
    '  case "${1:-}" in',
    ...known.map((op) => `    ${op}) (step_${op}) ;;`),
    `    *) echo "error: usage: bash -s ${known.join("|")}" >&2; exit 2 ;;`,
    "  esac",
    "}",
    "",
  );
  return lines.join("\n");
}

/** The script of `op` inside a program made by {@link renderStepProgram}, or undefined. */
export function stepProgramScript(program: string, op: StepOp): string | undefined {
  const start = program.indexOf(`\nstep_${op}() {\n`);
  if (start < 0) return undefined;
  const from = start + `\nstep_${op}() {\n`.length;
  const end = program.indexOf(`\n}\n# end of step_${op}\n`, from);
  if (end < 0) return undefined;
  const body = program.slice(from, end);
  return op === "update" && body === "  step_create" ? stepProgramScript(program, "create") : `${body}\n`;
}

/**
 * The command line of one operation: `bash -s <op> # <host>: <purpose>` (through `sudo -n` for
 * a non-root SSH user). The comment is what the provider's error shows first.
 */
export function stepCommand(
  op: StepOp,
  host: string,
  purpose: string,
  opts: { sudo?: boolean } = {},
): string {
  const label = `${host}: ${purpose}`.replace(/[^\x20-\x7e]/g, "?");
  return `${opts.sudo ? "sudo -n " : ""}bash -s ${op} # ${label}`;
}
