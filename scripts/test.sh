#!/usr/bin/env bash
# The test command: installs the system tools the tests need, then runs every
# test of the workspace. Run from anywhere: scripts/test.sh
#
# Needed beyond Rust: prometheus and promtool (Debian's `prometheus` package),
# for the tests that check /metrics against the real Prometheus tools.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    echo "scripts/test.sh: installing Debian's prometheus package (prometheus, promtool)"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

cargo test --workspace "$@"
