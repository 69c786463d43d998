#!/usr/bin/env bash
# The Windows suite: runs vitest (vitest.windows.config.ts: the unit suite and the end-to-end
# tests that need no Linux server) under Wine 10 with Windows Node 22 and 24, and the
# single-file adsync-win-x64.exe checks in test/windows/. Called by scripts/test.sh on CI;
# by hand: `bash scripts/windows/test.sh [vitest filters…]` (as root; docs/development.md).
#
# Windows node.exe cannot write to a Unix pipe under Wine, so every Windows process writes to
# files here, and this script shows them. Ends with "windows: N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/windows/common.sh
source "$here/common.sh"
cd "$root"
fail() { echo "windows: $*" >&2; echo "windows: 0 passed, 1 failed, 0 skipped"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "the Windows suite needs root (debootstrap, chroot, unshare)"
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh || fail "no Node 22+ for the Linux side"
bash "$here/setup.sh" || fail "could not set up Wine (see above)"

# The CLI the tests run, and the single-file executable, are built on Linux: the same files a
# Windows user gets from `npm pack` or `npm run build:sea`.
npx tsc -p tsconfig.build.json || fail "the build failed"
if [ ! -f dist-sea/adsync-win-x64.exe ] || [ -n "$(find dist bin -newer dist-sea/adsync-win-x64.exe -type f -print -quit)" ]; then
  node scripts/build-sea.mjs --target win-x64 >"$WINE_CACHE/build-sea.log" 2>&1 ||
    { tail -n 20 "$WINE_CACHE/build-sea.log" >&2; fail "npm run build:sea failed"; }
fi

# A copy of the checkout with Windows' node_modules (npm ci --os=win32 picks the win32 builds
# of esbuild, rolldown and lightningcss); reinstalled only when the lockfile changes.
copy=$WINE_CACHE/project
mkdir -p "$copy"
find "$copy" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .lock -exec rm -rf {} +
{ git ls-files -co --exclude-standard; find dist -type f; echo dist-sea/adsync-win-x64.exe; } |
  tar -cf - -T - | tar -xf - -C "$copy" || fail "could not copy the checkout to $copy"
if ! cmp -s package-lock.json "$copy/.lock"; then
  (cd "$copy" && npm ci --os=win32 --cpu=x64 --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    fail "npm ci --os=win32 failed"
  cp package-lock.json "$copy/.lock"
fi

# Windows' %TEMP% in the prefix: tests make their folders there and remove them; a run that was
# killed cannot, so each run starts empty and says what the previous one left.
win_temp=$WINEPREFIX/drive_c/users/root/AppData/Local/Temp
leftovers() {
  local left
  left=$(find "$win_temp" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] || echo "windows: $left temporary folder(s) left in %TEMP% ($1); removed" >&2
  find "$win_temp" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null
}
leftovers "by an earlier, interrupted run"

passed=0 failed=0 skipped=0 status=0
for major in 22 24; do
  node_exe=$WINE_CACHE/node$major/bin/node.exe
  out=$copy/vitest-node$major.txt json=$copy/vitest-node$major.json
  rm -f "$out" "$json"
  echo "windows: vitest under Wine with Windows Node $major ($(grep -m1 '"version"' "$WINE_CACHE/node$major/package.json" | tr -dc '0-9.'))"
  start=$(date +%s)
  # Wine's Kerberos package is the chroot's MIT libkrb5, which reads only the Unix environment
  # (set here, never by a Windows process): test/windows/sspi.test.ts writes its acceptor's
  # keytab at this path in the chroot's per-run /tmp; no replay cache is kept.
  WINE_BINDS="" in_root env -i PATH=/usr/bin:/bin HOME=/root XDG_RUNTIME_DIR=/tmp WINEPREFIX="$WINEPREFIX" \
    KRB5_KTNAME=FILE:/tmp/adsync-test-service.keytab KRB5RCACHETYPE=none \
    WINEDEBUG=-all NO_COLOR=1 bash -c '
      cd "$1" && wine "$2" node_modules/vitest/vitest.mjs run --config vitest.windows.config.ts \
        --reporter=default --reporter=json --outputFile.json="$3" "${@:5}" >"$4" 2>&1
      rc=$?; wineserver -k 2>/dev/null; exit $rc' bash "$copy" "$node_exe" "$json" "$out" "$@"
  rc=$?
  cat "$out" 2>/dev/null
  echo "windows: Node $major took $(($(date +%s) - start)) s"
  leftovers "by the tests under Node $major"
  [ "$rc" -eq 0 ] || status=1
  if [ -f "$json" ]; then
    read -r p f s < <(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const f = r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
      console.log(r.numPassedTests, f, r.numPendingTests + r.numTodoTests);' "$json")
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  else
    failed=$((failed + 1))
  fi
done
echo "windows: $passed passed, $failed failed, $skipped skipped"
exit "$status"
