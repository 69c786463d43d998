# shellcheck shell=bash
# Source this file: it makes sure `node` on PATH is new enough for adsync: the version package.json's
# engines.node names (">=MAJOR.MINOR", the one place that rule is written; bin/node-version.cjs
# reads it for bin/adsync.js and the quick start). When the machine's node is older (Node 20 on
# the development and CI images, or a Node 22 before that minor), Node 24 is fetched once from the
# npm registry into .tools/node24 and put first on PATH. Only `node --version` is asked of the
# machine's node.
_adsync_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_adsync_min=$(sed -n 's/^ *"node": *">=\([0-9]*\.[0-9]*\)",\{0,1\} *$/\1/p' "$_adsync_root/package.json")
# Succeeds when the version `node --version` prints ("v22.12.0"; empty when there is no node) is
# at least $_adsync_min.
_adsync_new_enough() {
  local version=${1#v} major minor
  major=${version%%.*}
  minor=${version#*.}
  minor=${minor%%.*}
  case "$major$minor" in '' | *[!0-9]*) return 1 ;; esac
  [ "$major" -gt "${_adsync_min%.*}" ] || { [ "$major" -eq "${_adsync_min%.*}" ] && [ "$minor" -ge "${_adsync_min#*.}" ]; }
}
if [ -z "$_adsync_min" ]; then
  echo "adsync: package.json's engines.node does not read \">=MAJOR.MINOR\"" >&2
  return 1 2>/dev/null || exit 1
fi
if ! _adsync_new_enough "$(node --version 2>/dev/null)"; then
  _adsync_node="$_adsync_root/.tools/node24/node_modules/.bin"
  if ! _adsync_new_enough "$("$_adsync_node/node" --version 2>/dev/null)"; then
    echo "adsync: node $(node --version 2>/dev/null || echo '(none)') is older than $_adsync_min; installing Node 24 from the npm registry into .tools/node24" >&2
    npm install --prefix "$_adsync_root/.tools/node24" --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$_adsync_node:$PATH"
  if ! _adsync_new_enough "$(node --version 2>/dev/null)"; then
    echo "adsync: could not get Node $_adsync_min or newer (node is $(node --version 2>/dev/null || echo '(none)'))" >&2
    unset -f _adsync_new_enough
    return 1 2>/dev/null || exit 1
  fi
fi
unset -f _adsync_new_enough
unset _adsync_min _adsync_root _adsync_node
