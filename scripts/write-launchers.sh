#!/usr/bin/env bash
# Writes the launchers at the top of the checkout, ./adsync (POSIX sh) and adsync.cmd (Windows),
# which run bin/adsync.js with the Node chosen by ensure-node.sh (the machine's own, when it is
# new enough, else the Node 24 fetched into .tools/). Run by install.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
root=$(pwd)
node_bin=$(readlink -f "$(command -v node)")
# Git Bash on Windows: the program is node.exe.
[ -f "$node_bin.exe" ] && node_bin="$node_bin.exe"
# Inside the checkout (the Node fetched into .tools/), the launcher finds it relative to itself,
# so the checkout can be moved; a system Node is named by its absolute path.
case "$node_bin" in
  "$root"/*) sh_node="\$here/${node_bin#"$root"/}"; cmd_node="%~dp0$(printf '%s' "${node_bin#"$root"/}" | tr / '\\')" ;;
  *) sh_node="$node_bin"; cmd_node="$node_bin" ;;
esac
tmp=$(mktemp adsync.XXXXXX)
cat > "$tmp" <<LAUNCHER
#!/bin/sh
# Written by scripts/install.sh: runs adsync with the Node it chose ($(node --version)).
self=\$0
# Linked from a bin directory (ln -s \$PWD/adsync /usr/local/bin/): follow the link home.
[ -L "\$self" ] && self=\$(readlink -f -- "\$self" 2>/dev/null || printf '%s' "\$self")
here=\$(CDPATH= cd -- "\$(dirname -- "\$self")" && pwd)
exec "$sh_node" "\$here/bin/adsync.js" "\$@"
LAUNCHER
chmod 755 "$tmp"
mv -f "$tmp" adsync
printf '@echo off\r\nrem Written by scripts/install.sh: runs adsync with the Node it chose.\r\n"%s" "%%~dp0bin\\adsync.js" %%*\r\n' "$cmd_node" > adsync.cmd
echo "adsync is built; run it as ./adsync (adsync.cmd on Windows), e.g. ./adsync demo" >&2
