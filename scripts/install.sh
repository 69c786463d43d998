#!/usr/bin/env bash
# Installs adsync's npm dependencies (with a Node new enough, see ensure-node.sh), builds it, and
# leaves two launchers at the top of the checkout that run adsync with the Node chosen here:
# ./adsync (POSIX sh) and adsync.cmd (Windows). The machine's own `node` may be too old.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

bash scripts/write-launchers.sh
# The launchers stay in the checkout: a global `adsync` is a link to ./adsync from a folder on
# PATH. `npm install -g` would not do: run with the Node fetched into .tools/, it installs into
# .tools/, which is not on PATH.
echo "For an \`adsync\` command anywhere, link the launcher into a folder on PATH:" >&2
echo "  sudo ln -s $(printf '%q' "$PWD/adsync") /usr/local/bin/adsync" >&2
