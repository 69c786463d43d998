#!/usr/bin/env bash
# The test command (see README): installs what the tests need from npm, type-checks, lints,
# builds and runs every vitest suite. The directory tests need Debian's slapd, ldap-utils and
# openssl (.ci/run installs them); without them they are skipped loudly, except on CI (CI=true),
# where that is a failure. Ends with the line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh || exit 1
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
npm run --silent typecheck || { echo "0 passed, 1 failed"; exit 1; }
npm run --silent lint || { echo "0 passed, 1 failed"; exit 1; }
results=.test-results.json
rm -f "$results"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    // A suite that failed to load has no failed tests of its own: count it as a failure.
    const failed = r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  ' "$results"
else
  echo "0 passed, 1 failed"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
