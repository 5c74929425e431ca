#!/usr/bin/env bash
# Autobahn WebSocket conformance, sections 1-10, against an echo that runs on
# /ws's own session code (server/src/stream/echo.rs, served by the autobahn_echo
# example on 127.0.0.1). Compares every case's verdict with
# server/tests/autobahn/expected.json: fails on any case that got worse, prints
# the ones that got better.
#
#   scripts/autobahn.sh            run and compare
#   scripts/autobahn.sh --update   run and record the verdicts as expected
#
# Installs the runner, kosoku (PyPI, version pinned below), into a venv beside
# the build products when missing, and Debian's python3 and python3-venv when
# those are missing. Fails, never skips, when it cannot. Reports (JSON and
# HTML per case) land in $CARGO_TARGET_DIR/autobahn/report. Takes about a
# minute with a warm build, the cases themselves 10-20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/autobahn"
venv="$out/venv"
expected=server/tests/autobahn/expected.json
# The verdicts in $expected were recorded with this version: change both together.
kosoku_version=0.1.0
# Section 8 does not exist; 12 and 13 test permessage-deflate, which the
# server does not offer.
sections=(1 2 3 4 5 6 7 9 10)
# Bounds on each step; a run here takes 10-20 s.
start_timeout_secs=20
run_timeout_secs=300

die() {
    echo "scripts/autobahn.sh: FAILED: $*" >&2
    exit 1
}

apt_install() {
    echo "scripts/autobahn.sh: installing Debian packages: $*"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

installed_version() {
    "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kosoku"))' 2>/dev/null || true
}

if [ "$(installed_version)" != "$kosoku_version" ]; then
    echo "scripts/autobahn.sh: installing kosoku $kosoku_version (PyPI) into $venv"
    command -v python3 >/dev/null || apt_install python3 python3-venv ||
        die "cannot install python3 (Debian), which runs kosoku"
    rm -rf "$venv"
    mkdir -p "$out"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        apt_install python3-venv || die "cannot install Debian's python3-venv"
        python3 -m venv "$venv" || die "cannot create a Python venv at $venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kosoku==$kosoku_version" ||
        die "cannot install kosoku $kosoku_version from PyPI"
fi

cargo build --workspace --all-features --example autobahn_echo
mkdir -p "$out"
# Cleared here, not by the redirection below: that one runs in the background
# child, and the wait for the URL could read the last run's first.
rm -rf "$out/report" "$out/echo.out" "$out/echo.log"
: >"$out/echo.out"

RUST_LOG=warn "$target/debug/examples/autobahn_echo" --bind 127.0.0.1:0 \
    >"$out/echo.out" 2>"$out/echo.log" &
echo_pid=$!
stop_echo() {
    kill "$echo_pid" 2>/dev/null || true
    wait "$echo_pid" 2>/dev/null || true
}
trap stop_echo EXIT

url=""
for _ in $(seq $((start_timeout_secs * 10))); do
    url=$(sed -n 's/^listening on //p' "$out/echo.out")
    [ -n "$url" ] && break
    kill -0 "$echo_pid" 2>/dev/null || die "the echo exited: $(cat "$out/echo.log")"
    sleep 0.1
done
[ -n "$url" ] || die "the echo did not start in ${start_timeout_secs} s"

includes=()
for section in "${sections[@]}"; do includes+=(-i "$section.*"); done
echo "scripts/autobahn.sh: Autobahn sections ${sections[*]} against $url"
started=$SECONDS
status=0
# kosoku exits 1 when any case did not pass; the comparison below judges.
timeout "$run_timeout_secs" "$venv/bin/kosoku" "${includes[@]}" -o "$out/report" "$url" \
    >"$out/kosoku.log" 2>&1 || status=$?
stop_echo
trap - EXIT
if [ "$status" -gt 1 ] || [ ! -f "$out/report/index.json" ]; then
    tail -20 "$out/kosoku.log" >&2
    die "kosoku did not finish (exit $status; over ${run_timeout_secs} s is 124)"
fi
echo "scripts/autobahn.sh: cases ran in $((SECONDS - started)) s; reports in $out/report"
if grep -q "panicked" "$out/echo.log"; then
    grep -m5 -A3 "panicked" "$out/echo.log" >&2
    die "the echo panicked (log: $out/echo.log)"
fi

if ! "$venv/bin/python" scripts/autobahn-compare.py "$expected" "$out/report/index.json" "$@"; then
    echo "scripts/autobahn.sh: each failing case's reason is in $out/kosoku.log" >&2
    exit 1
fi
