# shellcheck shell=bash
# Sourced by the scripts that build Debian packages (package.sh,
# systemd-test.sh): cargo-deb at the one version they are checked with,
# installed from crates.io when missing or different.

CARGO_DEB_VERSION=3.8.0

ensure_cargo_deb() {
    if ! cargo deb --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
        echo "installing cargo-deb $CARGO_DEB_VERSION"
        cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked
    fi
}
