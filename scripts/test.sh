#!/usr/bin/env bash
# The one test command (`npm test`). On a fresh clone it installs what the tests need, then runs
# the formatter/linter check, the type check and every vitest suite on Node 22.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh

# npm dependencies: install from the lock file when node_modules is missing or older than the lock.
if [ ! -x node_modules/.bin/vitest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Tests run on the Node 22 that the devDependency `node` brings (the machine's own Node may be 20).
export PATH="$PWD/node_modules/.bin:$PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 22 ]; then
  echo "error: tests need Node >= 22, got $(node --version); run 'npm ci' so node_modules/.bin/node is installed" >&2
  exit 1
fi
echo "node $(node --version), npm $(npm --version)"

biome check lib test examples scripts
tsc -p tsconfig.json --noEmit
# Run vitest, then print the plain closing line CI reads ("N passed, N failed").
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  // Say whether the library ran on the real engine (test/real-engine: the command and tls plugins
  // and the Node language host, found on PATH or in PULUMI_HOME), or only through the harness.
  const real = r.testResults.filter((f) => f.name.includes("/test/real-engine/")).flatMap((f) => f.assertionResults);
  const ran = real.filter((t) => t.status === "passed" || t.status === "failed").length;
  console.log(ran > 0
    ? `real-engine suite: RAN (${real.filter((t) => t.status === "passed").length} passed, ${real.filter((t) => t.status === "failed").length} failed, ${real.length - ran} skipped)`
    : `real-engine suite: NOT RUN (${real.length} skipped; each test/real-engine file printed why, as "[real-engine] …: NOT RUN: <reason>": the command and tls plugins, the language host, or the test hosts were missing; see docs/testing.md)`);
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  // Vitest fails a run with unhandled errors even when every test passed: say so last.
  if (Number(process.argv[2]) !== 0 && r.numFailedTests === 0)
    console.log(`vitest exited with status ${process.argv[2]} though no test failed: look above for "Unhandled Errors" (a rejection no test awaited) or a suite that could not load`);
' "$report" "$status" || echo "tests: 0 passed, 1 failed"
exit "$status"
