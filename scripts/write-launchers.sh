#!/usr/bin/env bash
# Writes the launchers at the top of the checkout, ./adsync (POSIX sh) and adsync.cmd (Windows),
# which run bin/adsync.js with the Node chosen by ensure-node.sh (the machine's own, when it is
# new enough, else the Node 24 fetched into .tools/). Run by install.sh; safe to run again. The
# writing is scripts/write-launchers.mjs: Node names its own program on every platform.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
node scripts/write-launchers.mjs
echo "adsync is built; run it as ./adsync (adsync.cmd on Windows), e.g. ./adsync demo" >&2
