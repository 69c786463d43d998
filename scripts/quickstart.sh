#!/usr/bin/env bash
# Quick start: runs the main job, `adsync push --dry-run` and `adsync push --first-push`, from a throwaway
# OpenLDAP server on loopback seeded with the test company (test/fixtures/example.ldif) to the
# bundled mock vendor. `--keep` keeps both servers up until Ctrl-C, so the config it writes can be
# run again; other arguments go to adsync. Needs Debian's slapd, ldap-utils and openssl; installs
# them with apt-get when run as root (scripts/quickstart-apt.sh: it waits for the package lock and
# leaves no slapd service running or enabled that was not before). Never reads stdin.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/quickstart-apt.sh
source scripts/quickstart-apt.sh
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapadd >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    quickstart_apt_install
  else
    echo "The quick start needs OpenLDAP's slapd: sudo apt-get install slapd ldap-utils openssl" >&2
    exit 1
  fi
fi
bash scripts/install.sh
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
exec node scripts/quickstart.mjs "$@"
