/** Running npm, tsc and node for the package tests, with the repository's tools first on PATH. */
import { execFile } from "node:child_process";
import { join } from "node:path";

export const repoRoot = join(__dirname, "..", "..");
const bin = join(repoRoot, "node_modules", ".bin");
export const env = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  NO_COLOR: "1",
  npm_config_fund: "false",
};

/** Run `cmd` in `cwd`; resolves with its stdout, rejects with the command and the end of its output. */
export function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${stdout}\n${stderr}`.slice(-6000)));
      else resolve(stdout);
    });
  });
}
