#!/usr/bin/env bash
# `npm run bench`: installs what the benchmark needs (slapd, ldap-utils, GNU time and python3-ldap
# with apt-get when missing; Node 22+ and the npm dependencies through install.sh), builds adsync, and runs
# scripts/bench/bench.ts with the given options.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
[ -x /usr/sbin/slapd ] || missing+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || missing+=(ldap-utils)
[ -x /usr/bin/time ] || missing+=(time)
# Column P runs Debian's python3 (not whatever python3 comes first on PATH) with python3-ldap.
/usr/bin/python3 -c 'import ldap' >/dev/null 2>&1 || missing+=(python3-ldap)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "adsync bench: installing ${missing[*]} with apt-get" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/install.sh
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
exec node scripts/bench/bench.ts "$@"
