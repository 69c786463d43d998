#!/usr/bin/env bash
# Writes the launchers at the top of the checkout, ./adsync (POSIX sh) and adsync.cmd (Windows),
# which run bin/adsync.js with the Node chosen by ensure-node.sh (the machine's own, when it is
# new enough, else the Node 24 fetched into .tools/). Run by install.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
# Node names its own program: process.execPath is the real file, a native path on Windows
# (C:\Program Files\nodejs\node.exe), where Git Bash's `command -v node` gives /c/… (which cmd
# cannot run) or npm's shell shim .bin/node. Inside the checkout (the Node fetched into .tools/)
# it prints the path relative to the checkout, so the launchers find it relative to themselves
# and the checkout can be moved; a Node elsewhere is named by its absolute path.
{
  IFS= read -r node_rel
  IFS= read -r node_abs
} < <(node -e '
  const { relative, isAbsolute, sep } = require("node:path");
  const rel = relative(process.cwd(), process.execPath);
  const inside = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  console.log(inside ? rel.split(sep).join("/") : "");
  console.log(process.execPath);
')
if [ -n "$node_rel" ]; then
  sh_node="\$here/$node_rel"
  cmd_node="%~dp0$(printf '%s' "$node_rel" | tr / '\\')"
else
  # Git Bash's sh wants its own form of a Windows path (cygpath: /c/Program Files/…).
  sh_node=$(cygpath -u "$node_abs" 2>/dev/null || printf '%s' "$node_abs")
  # cmd expands %NAME% even inside quotes: a literal % is written %%.
  cmd_node=${node_abs//%/%%}
fi
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
# %* passes the arguments as typed (quoted ones with their spaces); the node call is the last
# line, so the batch file ends with node's exit code and %ERRORLEVEL% is adsync's. Written beside
# the old one and renamed, as ./adsync is.
tmp=$(mktemp adsync.XXXXXX)
printf '@echo off\r\nrem Written by scripts/install.sh: runs adsync with the Node it chose (%s).\r\n"%s" "%%~dp0bin\\adsync.js" %%*\r\n' "$(node --version)" "$cmd_node" > "$tmp"
chmod 644 "$tmp"
mv -f "$tmp" adsync.cmd
echo "adsync is built; run it as ./adsync (adsync.cmd on Windows), e.g. ./adsync demo" >&2
