#!/usr/bin/env bash
# The test command (see README): installs what the tests need from npm, type-checks, lints,
# builds and runs every vitest suite. The directory tests need Debian's slapd, ldap-utils and
# openssl (.ci/run installs them); without them they are skipped loudly, except on CI (CI=true),
# where that is a failure. A run of the whole suite (no arguments) also measures coverage of
# src/ (summary in the output, report in coverage/) and fails under the floor in
# vitest.config.ts, and runs the Windows suite under Wine (scripts/windows/test.sh; root only).
# Ends with the line "N passed, N failed, N skipped", Linux and Windows counted together.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh || exit 1
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
npm run --silent typecheck || { echo "0 passed, 1 failed"; exit 1; }
npm run --silent lint || { echo "0 passed, 1 failed"; exit 1; }
results=.test-results.json
rm -f "$results"
coverage=()
[ "$#" -eq 0 ] && coverage=(--coverage)
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "${coverage[@]}" "$@"
status=$?
linux=""
if [ -f "$results" ]; then
  linux=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    // A suite that failed to load has no failed tests of its own: count it as a failure.
    const failed = r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    // Every test passed but vitest still failed (coverage under its floor): not a green run.
    const extra = failed === 0 && Number(process.argv[2]) !== 0 ? 1 : 0;
    // To stderr: stdout is the counts line alone.
    if (extra) console.error("vitest failed outside the tests (coverage under the floor?), see above");
    console.log(`${r.numPassedTests} passed, ${failed + extra} failed, ${skipped} skipped`);
  ' "$results" "$status")
  echo "linux: $linux"
else
  echo "linux: 0 passed, 1 failed, 0 skipped"
  [ "$status" -ne 0 ] || status=1
fi
# The Windows suite (issue 26): the unit suite and the end-to-end tests that need no Linux server,
# under Wine 10 with Windows Node 22 and 24, and the single-file .exe. A whole run only; it needs
# root. ADSYNC_TEST_SKIP_WINDOWS=1 skips it by hand, loudly; on CI nothing skips it.
windows=""
if [ "$#" -eq 0 ]; then
  if [ -n "${CI:-}" ] || { [ "$(id -u)" -eq 0 ] && [ -z "${ADSYNC_TEST_SKIP_WINDOWS:-}" ]; }; then
    bash scripts/windows/test.sh 2>&1 | tee .test-windows.log
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    windows=$(grep -E '^windows: [0-9]+ passed' .test-windows.log | tail -n 1 | sed 's/^windows: //')
    rm -f .test-windows.log
    [ -n "$windows" ] || windows="0 passed, 1 failed, 0 skipped"
  else
    echo "!! SKIPPING the Windows suite: it needs root (and runs only on a whole run); unset ADSYNC_TEST_SKIP_WINDOWS" >&2
  fi
fi
# One closing line for both platforms.
node -e '
  const sum = [0, 0, 0];
  for (const line of process.argv.slice(1)) {
    const m = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(line);
    if (!m) { if (line) sum[1] += 1; continue; }
    sum[0] += Number(m[1]); sum[1] += Number(m[2]); sum[2] += Number(m[3] ?? 0);
  }
  console.log(`${sum[0]} passed, ${sum[1]} failed, ${sum[2]} skipped`);
' "${linux:-0 passed, 1 failed}" "$windows"
exit "$status"
