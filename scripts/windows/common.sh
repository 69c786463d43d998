# shellcheck shell=bash
# Shared by the Windows suite's scripts: where the cache is, and how to run a command inside the
# Wine chroot. The chroot is entered through `unshare --mount`, so the bind mounts it needs live
# only as long as the command: nothing stays mounted after a run, whatever happens.
WINE_CACHE=${ADSYNC_WINE_CACHE:-/var/cache/adsync-wine}
WINE_ROOT=$WINE_CACHE/root
# The Wine prefix lives inside the chroot at the same path as outside.
WINEPREFIX=$WINE_CACHE/prefix
export WINE_CACHE WINE_ROOT WINEPREFIX

# in_root CMD...: runs CMD in the chroot with /proc, /dev, the cache and the folders in
# $WINE_BINDS (space-separated absolute paths) mounted at the same paths inside as outside.
in_root() {
  unshare --mount --propagation private -- bash -c '
    set -e
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root/tmp" && mount -t tmpfs tmpfs "$root/tmp"
    for d in $WINE_CACHE_BIND $WINE_BINDS; do
      mkdir -p "$root$d" && mount --bind "$d" "$root$d"
    done
    exec chroot "$root" "$@"
  ' in-root "$WINE_ROOT" "$@"
}
# The cache itself is mounted at its own path inside, so a path under it is the same in and out.
export WINE_CACHE_BIND=$WINE_CACHE
