/**
 * Script steps (lib/core/stepProgram.ts): the program on stdin, run for real with bash, and the
 * command line that a failure shows first.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { serviceActionScript } from "../../lib/core/scripts";
import { renderStepProgram, scriptPurpose, stepCommand, stepProgramScript } from "../../lib/core/stepProgram";
import { commandFailure } from "../../scripts/lib/harness";
import { expectGolden, goldenPath } from "../helpers/golden";

const health = { kind: "minio" as const, baseUrl: "http://127.0.0.1:9000", liveOnly: true };
// As a node of a distributed deployment has it: the staged files made live before the action.
const promote = {
  paths: ["/etc/default/minio", "/usr/local/bin/minio", "/etc/systemd/system/minio.service"],
  unitFile: "/etc/systemd/system/minio.service",
};
const restart = serviceActionScript({
  unit: "minio.service",
  action: "restart",
  health,
  timeoutSeconds: 120,
  promote,
});
const start = serviceActionScript({
  unit: "minio.service",
  action: "start",
  health,
  timeoutSeconds: 120,
  promote,
});

/** `bash -s <args>` with `program` on stdin, as the SSH session runs a step's command line. */
const run = (program: string, ...args: string[]) =>
  spawnSync("bash", ["-s", ...args], { input: program, encoding: "utf8" });

describe("step programs", () => {
  it("a MinIO service step's program matches its golden file and passes shellcheck", () => {
    const program = renderStepProgram({ create: restart, update: start });
    expectGolden("scripts/step-program-minio-service.sh", program);
    const sc = spawnSync(
      "shellcheck",
      ["-s", "bash", "-S", "style", goldenPath("scripts/step-program-minio-service.sh")],
      {
        encoding: "utf8",
      },
    );
    expect(sc.stdout + sc.stderr).toBe("");
    expect(sc.status).toBe(0);
  });

  it("runs the script of the operation named by the first argument, with its exit status", () => {
    const program = renderStepProgram({
      create: "#!/usr/bin/env bash\nset -euo pipefail\necho created\n",
      update: "#!/usr/bin/env bash\necho updated; exit 3\n",
      delete: "#!/usr/bin/env bash\nf() {\n  echo deleted\n}\nf\n",
    });
    expect(run(program, "create")).toMatchObject({ status: 0, stdout: "created\n" });
    expect(run(program, "update")).toMatchObject({ status: 3, stdout: "updated\n" });
    expect(run(program, "delete")).toMatchObject({ status: 0, stdout: "deleted\n" });
    const bad = run(program, "replace");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("error: usage: bash -s create|update|delete\n");
    // Without a delete script, there is no delete operation.
    expect(run(renderStepProgram({ create: "echo c\n", update: "echo u\n" }), "delete").status).toBe(2);
  });

  it("gives no script the rest of the program on stdin", () => {
    // A command that reads stdin (cat) must not swallow what follows; it reads /dev/null.
    const program = renderStepProgram({
      create: '#!/usr/bin/env bash\nleft=$(cat)\necho "read ${#left} bytes"\n',
      update: "echo update\n",
    });
    expect(run(program, "create")).toMatchObject({ status: 0, stdout: "read 0 bytes\n" });
  });

  it("writes an update that runs what create runs once, and runs it for both operations", () => {
    const script = '#!/usr/bin/env bash\nset -euo pipefail\necho "ran with ${#} args"\nexit 4\n';
    const program = renderStepProgram({ create: script, update: script });
    // The stack's state keeps every step's program (twice): the script is in it once.
    expect(program.split("exit 4").length - 1).toBe(1);
    expect(run(program, "create")).toMatchObject({ status: 4, stdout: "ran with 0 args\n" });
    expect(run(program, "update")).toMatchObject({ status: 4, stdout: "ran with 0 args\n" });
    expect(stepProgramScript(program, "update")).toBe(script);
  });

  it("keeps each script whole: it can be read back", () => {
    const program = renderStepProgram({ create: restart, update: start });
    expect(stepProgramScript(program, "create")).toBe(restart);
    expect(stepProgramScript(program, "update")).toBe(start);
    expect(stepProgramScript(program, "delete")).toBeUndefined();
  });

  it("puts the host and the step's purpose first in the provider's error, then the script's own error line", () => {
    const line = stepCommand("create", "minio1", scriptPurpose(restart));
    expect(line).toBe("bash -s create # minio1: restart minio.service and wait until MinIO is healthy");
    expect(stepCommand("update", "minio1", scriptPurpose(start), { sudo: true })).toBe(
      "sudo -n bash -s update # minio1: start minio.service and wait until MinIO is healthy",
    );
    // The error as pulumi-command words it (commandOutputs.go), for a gate that timed out.
    const output =
      "error: minio.service is not healthy after 120s: MinIO is not answering on http://127.0.0.1:9000\n";
    const err = commandFailure("minio-minio1-service", 1, line, output).message;
    expect(err.length).toBeLessThan(300);
    expect(err.slice(0, 300)).toMatch(
      /^minio-minio1-service: Process exited with status 1: running "bash -s create # minio1: restart minio\.service .*":\nerror: minio\.service is not healthy/,
    );
    // Before: the script itself was the command line.
    expect(commandFailure("minio-minio1-service", 1, restart, output).message.slice(0, 300)).not.toContain(
      "error: minio.service",
    );
    expect(scriptPurpose("echo no header")).toBe("run a pulumi-minio-kes step");
  });
});
