#!/usr/bin/env bash
# The test command: installs the system tools the tests need, then runs every
# test of the workspace. Run from anywhere: scripts/test.sh
#
# Needed beyond Rust: prometheus and promtool (Debian's `prometheus` package),
# for the tests that check /metrics against the real Prometheus tools, and
# systemd-analyze (Debian's `systemd` package), which checks the unit file.
# After the tests, scripts/autobahn.sh runs the Autobahn WebSocket conformance
# cases and installs its own runner (kosoku, from PyPI) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cargo test --workspace "$@"

# WebSocket conformance: fails on any Autobahn case worse than
# server/tests/autobahn/expected.json.
scripts/autobahn.sh
