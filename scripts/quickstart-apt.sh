# shellcheck shell=bash
# Sourced by quickstart.sh: installs Debian's slapd, ldap-utils and openssl with apt-get for the
# quick start's throwaway directory, and leaves the machine's services as they were:
# - apt-get waits for the package lock (a fresh VM's unattended-upgrades often holds it) instead
#   of failing at once;
# - the slapd package starts and enables the distribution's own slapd on :389 (on a systemd
#   machine, through deb-systemd-invoke); a policy-rc.d that refuses every start keeps it from
#   starting during the install, and afterwards a slapd service that was not enabled or running
#   before is disabled and stopped. An existing policy-rc.d is the machine's own and is kept.
# ADSYNC_POLICY_RC_D names the policy file (for the test; Debian reads /usr/sbin/policy-rc.d).

# How long apt-get waits for the dpkg lock, in seconds.
ADSYNC_APT_LOCK_TIMEOUT=${ADSYNC_APT_LOCK_TIMEOUT:-600}

# Whether systemd knows a slapd that is in state $1 (is-active, is-enabled).
_adsync_slapd_is() {
  command -v systemctl >/dev/null 2>&1 && systemctl "$1" --quiet slapd 2>/dev/null
}

# Install the quick start's packages; returns apt-get's status.
quickstart_apt_install() {
  local policy=${ADSYNC_POLICY_RC_D:-/usr/sbin/policy-rc.d} was_active=no was_enabled=no status=0
  local lock=(-o "DPkg::Lock::Timeout=$ADSYNC_APT_LOCK_TIMEOUT")
  _adsync_slapd_is is-active && was_active=yes
  _adsync_slapd_is is-enabled && was_enabled=yes
  local own_policy=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# adsync quick start: no service starts during its apt-get install.\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=yes
    trap 'rm -f "$policy"' EXIT
  fi
  echo "installing slapd, ldap-utils and openssl with apt-get (for the throwaway directory; waiting up to ${ADSYNC_APT_LOCK_TIMEOUT}s for the package lock)" >&2
  { apt-get "${lock[@]}" update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq --no-install-recommends \
      slapd ldap-utils openssl >/dev/null; } || status=$?
  if [ "$own_policy" = yes ]; then
    rm -f "$policy"
    trap - EXIT
  fi
  if [ "$was_enabled" = no ] && _adsync_slapd_is is-enabled; then
    systemctl disable --quiet slapd
    echo "disabled the distribution's slapd service the install enabled (the quick start runs its own)" >&2
  fi
  if [ "$was_active" = no ] && _adsync_slapd_is is-active; then
    systemctl stop slapd
    echo "stopped the distribution's slapd service the install started (the quick start runs its own)" >&2
  fi
  return "$status"
}
