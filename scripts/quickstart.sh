#!/usr/bin/env bash
# Quick start: runs the main job, `adsync push --dry-run` and `adsync push --first-push`, from a throwaway
# OpenLDAP server on loopback seeded with the test company (test/fixtures/example.ldif) to the
# bundled mock vendor. `--keep` keeps both servers up until Ctrl-C, so the config it writes can be
# run again; other arguments go to adsync. Needs Debian's slapd, ldap-utils and openssl; installs
# them with apt-get when run as root. Never reads stdin.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapadd >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing slapd, ldap-utils and openssl with apt-get (for the throwaway directory)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slapd ldap-utils openssl >/dev/null
  else
    echo "The quick start needs OpenLDAP's slapd: sudo apt-get install slapd ldap-utils openssl" >&2
    exit 1
  fi
fi
bash scripts/install.sh
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
exec node scripts/quickstart.mjs "$@"
