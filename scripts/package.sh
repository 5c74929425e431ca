#!/usr/bin/env bash
# Builds the Debian packages hostpulse-server_*.deb and hostpulse-dashboard_*.deb
# with cargo-deb, checks that each holds what it must, and runs lintian on them.
# Installs cargo-deb (crates.io) and lintian (Debian) when missing.
# The packages land in $CARGO_TARGET_DIR/debian (target/debian by default).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/debian"

if ! cargo deb --version >/dev/null 2>&1; then
    echo "scripts/package.sh: installing cargo-deb"
    cargo install cargo-deb --locked
fi
if ! command -v lintian >/dev/null; then
    echo "scripts/package.sh: installing lintian"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq lintian >/dev/null
fi

cargo build --release --workspace
# The server ships from the dist profile (whole-program optimised: smaller and
# lighter at run time); it is built on its own, so only its dependencies count.
cargo build --profile dist -p hostpulse-server --bin hostpulse-server
rm -f "$out"/hostpulse-*.deb
cargo deb -p hostpulse-server --no-build --profile dist --strip --output "$out/"
cargo deb -p hostpulse-dashboard --no-build --strip --output "$out/"

# Each package must hold these paths.
require() { # package path...
    local deb contents
    deb=$(ls "$out/$1"_*.deb)
    contents=$(dpkg-deb -c "$deb")
    shift
    for path in "$@"; do
        if ! grep -q " \./$path\$" <<<"$contents"; then
            echo "scripts/package.sh: $deb lacks $path" >&2
            echo "$contents" >&2
            exit 1
        fi
    done
    echo "$deb: $(wc -l <<<"$contents") entries, all required paths present"
}
require hostpulse-server \
    usr/bin/hostpulse-server \
    usr/lib/systemd/system/hostpulse-server.service \
    etc/hostpulse/server.toml \
    usr/share/doc/hostpulse-server/copyright \
    usr/share/doc/hostpulse-server/changelog.Debian.gz \
    usr/share/doc/hostpulse-server/README.md \
    usr/share/doc/hostpulse-server/PROTOCOL.md
require hostpulse-dashboard \
    usr/bin/hostpulse-dashboard \
    usr/share/applications/hostpulse-dashboard.desktop \
    usr/share/icons/hicolor/256x256/apps/hostpulse.png \
    usr/share/icons/hicolor/scalable/apps/hostpulse.svg \
    usr/share/doc/hostpulse-dashboard/copyright

# Errors fail the build; warnings are shown.
lintian --fail-on error --info "$out"/hostpulse-server_*.deb "$out"/hostpulse-dashboard_*.deb
echo "scripts/package.sh: packages in $out pass lintian (no errors)"
