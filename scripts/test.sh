#!/usr/bin/env bash
# The test command: installs the system tools the tests need, then runs every
# test of the workspace. Run from anywhere: scripts/test.sh
#
# Needed beyond Rust: prometheus and promtool (Debian's `prometheus` package),
# for the tests that check /metrics against the real Prometheus tools, and
# systemd-analyze (Debian's `systemd` package), which checks the unit file;
# nginx, which the reverse-proxy test starts on loopback with its own config.
# After the tests, scripts/autobahn.sh runs the Autobahn WebSocket conformance
# cases and installs its own runner (kosoku, from PyPI) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    # Debian starts a package's service on install: nginx would take port 80.
    # The tests start their own, so a policy-rc.d answering 101 ("forbidden")
    # keeps the system's stopped; one already there is left as it is.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        trap '$sudo rm -f "$policy"' EXIT
        $sudo sh -c "printf '#!/bin/sh\nexit 101\n' >$policy; chmod 755 $policy"
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$policy" ]; then $sudo rm -f "$policy"; fi
    if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null; then
        $sudo systemctl disable --quiet nginx 2>/dev/null || true # nor at the next boot
    fi
fi

cargo test --workspace "$@"

# WebSocket conformance: fails on any Autobahn case worse than
# server/tests/autobahn/expected.json.
scripts/autobahn.sh
