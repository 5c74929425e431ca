#!/usr/bin/env bash
# Builds the Debian packages hostpulse-server_*.deb and hostpulse-dashboard_*.deb
# with cargo-deb, checks that each holds what it must, and runs lintian on them.
# Installs cargo-deb (crates.io, the version scripts/cargo-deb.sh pins) and
# lintian (Debian) when missing.
# The packages land in $CARGO_TARGET_DIR/debian (target/debian by default).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/debian"

# shellcheck source=scripts/cargo-deb.sh
. scripts/cargo-deb.sh
ensure_cargo_deb
missing=()
command -v lintian >/dev/null || missing+=(lintian)
command -v appstreamcli >/dev/null || missing+=(appstream)
command -v desktop-file-validate >/dev/null || missing+=(desktop-file-utils)
if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/package.sh: installing Debian packages: ${missing[*]}"
    # shellcheck source=scripts/apt-install.sh
    . scripts/apt-install.sh
    apt_install "${missing[@]}"
fi

# The desktop entry and the AppStream metadata, as software centres read them
# (--no-net: the screenshots' addresses are not fetched).
desktop-file-validate assets/hostpulse-dashboard.desktop
appstreamcli validate --no-net assets/dev.hostpulse.Dashboard.metainfo.xml

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
    usr/share/doc/hostpulse-server/PROTOCOL.md \
    usr/share/doc/hostpulse-server/SECURITY.md \
    usr/share/doc/hostpulse-server/examples/nginx/hostpulse.conf \
    usr/share/man/man1/hostpulse-server.1.gz \
    usr/share/bash-completion/completions/hostpulse-server \
    usr/share/zsh/vendor-completions/_hostpulse-server \
    usr/share/fish/vendor_completions.d/hostpulse-server.fish
require hostpulse-dashboard \
    usr/bin/hostpulse-dashboard \
    usr/share/applications/hostpulse-dashboard.desktop \
    usr/share/icons/hicolor/16x16/apps/hostpulse.png \
    usr/share/icons/hicolor/22x22/apps/hostpulse.png \
    usr/share/icons/hicolor/24x24/apps/hostpulse.png \
    usr/share/icons/hicolor/32x32/apps/hostpulse.png \
    usr/share/icons/hicolor/48x48/apps/hostpulse.png \
    usr/share/icons/hicolor/64x64/apps/hostpulse.png \
    usr/share/icons/hicolor/128x128/apps/hostpulse.png \
    usr/share/icons/hicolor/256x256/apps/hostpulse.png \
    usr/share/icons/hicolor/512x512/apps/hostpulse.png \
    usr/share/icons/hicolor/scalable/apps/hostpulse.svg \
    usr/share/metainfo/dev.hostpulse.Dashboard.metainfo.xml \
    usr/share/man/man1/hostpulse-dashboard.1.gz \
    usr/share/bash-completion/completions/hostpulse-dashboard \
    usr/share/zsh/vendor-completions/_hostpulse-dashboard \
    usr/share/fish/vendor_completions.d/hostpulse-dashboard.fish \
    usr/share/doc/hostpulse-dashboard/copyright

# Errors fail the build; warnings are shown. A missing man page is an error here.
lintian --fail-on error --info "$out"/hostpulse-server_*.deb "$out"/hostpulse-dashboard_*.deb |
    tee "$out/lintian.txt"
if grep -E 'no-manual-page' "$out/lintian.txt"; then
    echo "scripts/package.sh: a program has no man page (assets/man, made by the hostpulse-docgen crate)" >&2
    exit 1
fi
echo "scripts/package.sh: packages in $out pass lintian (no errors)"
