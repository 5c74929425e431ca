#!/usr/bin/env bash
# The test command: installs the system tools the tests need, then runs every
# test of the workspace. Run from anywhere: scripts/test.sh
#
# Needed beyond Rust: prometheus and promtool (Debian's `prometheus` package),
# for the tests that check /metrics against the real Prometheus tools, and
# systemd-analyze (Debian's `systemd` package), which checks the unit file;
# nginx, which the reverse-proxy test starts on loopback with its own config;
# Mesa's software Vulkan driver (lavapipe, `mesa-vulkan-drivers`, with the
# `libvulkan1` loader), which renders the dashboard's image snapshots;
# Xvfb, dbus-daemon and dunst (with Mesa's software OpenGL, `libgl1-mesa-dri`,
# for the dashboard's window under Xvfb), for the test that reads the
# dashboard's desktop notifications back from a real notification service;
# iproute2, with which the alert flapping test makes its own network interface
# in a namespace of its own (that test needs root, as CI runs).
# debootstrap and systemd-nspawn (`systemd-container`), with which
# scripts/systemd-test.sh boots the server's package under a real systemd.
# Chromium (Debian's `chromium`), in which clients/python/test_browser.py
# opens the stream from a web page.
# GNOME Keyring (`gnome-keyring`), the real Secret Service the dashboard's
# token tests keep tokens in (on the same dbus-daemon).
# After the tests, scripts/autobahn.sh runs the Autobahn WebSocket conformance
# cases and installs its own runner (kosoku, from PyPI) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
# PACKAGE:SERVICE: nginx's own service stays off (it would take port 80); the
# test runs its own nginx.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx:nginx)
compgen -G '/usr/share/vulkan/icd.d/lvp_icd.*.json' >/dev/null || missing+=(mesa-vulkan-drivers)
ldconfig -p | grep -q 'libvulkan\.so\.1' || missing+=(libvulkan1)
command -v Xvfb >/dev/null || missing+=(xvfb)
command -v dbus-daemon >/dev/null && command -v dbus-run-session >/dev/null || missing+=(dbus-daemon)
command -v dunst >/dev/null && command -v dunstctl >/dev/null || missing+=(dunst)
compgen -G '/usr/lib/*/dri/swrast_dri.so' >/dev/null || missing+=(libgl1-mesa-dri)
ldconfig -p | grep -q 'libEGL\.so\.1' || missing+=(libegl1)
command -v ip >/dev/null || missing+=(iproute2)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v chromium >/dev/null || missing+=(chromium)
command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing Debian packages: ${missing[*]%%:*}"
    # shellcheck source=scripts/apt-install.sh
    . scripts/apt-install.sh
    apt_install "${missing[@]}"
fi

cargo test --workspace --all-features "$@"

# The contract, checked by validators that are not ours, the Python
# reference client against the server binary cargo just built, and a web
# page in headless Chromium (clients/python/README.md). The venv lives outside the clone, so CI runs
# reuse it; pip only installs what requirements.txt pins and is missing.
venv="${HOSTPULSE_VENV:-/var/cache/hostpulse/venv}"
if [ ! -x "$venv/bin/python" ]; then
    command -v python3 >/dev/null || { echo "scripts/test.sh: python3 is needed (Debian: python3, python3-venv)" >&2; exit 1; }
    python3 -m venv "$venv" || { echo "scripts/test.sh: cannot make a venv at $venv: install Debian's python3-venv" >&2; exit 1; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r clients/python/requirements.txt
HOSTPULSE_SERVER="${CARGO_TARGET_DIR:-target}/debug/hostpulse-server" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider clients/python

# The server's .deb under a real systemd (PID 1 of a container), with the
# debug build cargo just made: readiness, watchdog, credentials, a clean stop,
# a failed start. Its Debian root is cached in /var/cache/hostpulse.
scripts/systemd-test.sh

# WebSocket conformance: fails on any Autobahn case worse than
# server/tests/autobahn/expected.json.
scripts/autobahn.sh
