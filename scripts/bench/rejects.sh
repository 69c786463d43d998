#!/usr/bin/env bash
# `npm run bench:rejects`: builds adsync and runs scripts/bench/rejects.ts (peak memory of pushes
# whose rows are all rejected) with the given options. Needs GNU time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
npm run build >/dev/null
exec node scripts/bench/rejects.ts "$@"
