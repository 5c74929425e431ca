# shellcheck shell=bash
# Sourced by scripts that install the Debian packages they run (test.sh,
# benchmarks.sh). Debian starts a package's service on install; the scripts run
# their own instance on a port of their choosing, so the system's is kept from
# starting now (a policy-rc.d answering 101, "forbidden"; one already there is
# left as it is) and at the next boot (systemctl disable).
#
#   apt_install PACKAGE:SERVICE...   SERVICE may be empty: PACKAGE alone

apt_install() {
    local sudo="" policy="" entry services=() packages=()
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    for entry in "$@"; do
        packages+=("${entry%%:*}")
        if [[ "$entry" == *:* ]] && [ -n "${entry#*:}" ]; then services+=("${entry#*:}"); fi
    done
    if ! command -v apt-get >/dev/null; then
        echo "apt-get is missing: install ${packages[*]} with this system's package manager" >&2
        return 1
    fi
    $sudo apt-get update -qq
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        $sudo sh -c "printf '#!/bin/sh\nexit 101\n' >$policy; chmod 755 $policy"
    fi
    local status=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${packages[@]}" >/dev/null || status=$?
    if [ -n "$policy" ]; then $sudo rm -f "$policy"; fi
    if [ ${#services[@]} -gt 0 ] && command -v systemctl >/dev/null; then
        $sudo systemctl disable --quiet "${services[@]}" 2>/dev/null || true
    fi
    return $status
}
