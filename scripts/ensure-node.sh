# shellcheck shell=bash
# Source this file: it makes sure `node` on PATH is version 22 or newer. adsync targets Node 22
# and 24; when the machine's node is older (Node 20 on the development and CI images), Node 24 is
# fetched once from the npm registry into .tools/node24 and put first on PATH.
_adsync_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_adsync_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$_adsync_major" -lt 22 ]; then
  _adsync_node="$_adsync_root/.tools/node24/node_modules/.bin"
  if ! "$_adsync_node/node" --version >/dev/null 2>&1; then
    echo "adsync: node $(node --version 2>/dev/null || echo '(none)') is older than 22; installing Node 24 from the npm registry into .tools/node24" >&2
    npm install --prefix "$_adsync_root/.tools/node24" --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$_adsync_node:$PATH"
  case "$(node --version)" in
    v2[2-9].*|v[3-9][0-9].*) ;;
    *) echo "adsync: could not get Node 22 or newer (node is $(node --version))" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
fi
unset _adsync_major _adsync_root
