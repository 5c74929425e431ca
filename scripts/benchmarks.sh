#!/usr/bin/env bash
# Every benchmark in one command, written into BENCHMARKS.md between its
# "generated" markers (the hand-written sections around them stay):
#   1. server cost at 1 Hz, side by side: hostpulse-server with one viewer
#      (with its history on disk, and again in memory only), the
#      sysinfo floor (hostpulse-floor), socktop_agent, node_exporter and
#      Glances, each started on a free loopback port, polled as its own client
#      polls it, and measured by hostpulse-cost (CPU from per-thread schedstat,
#      peak RSS from VmHWM);
#   2. fan-out to 1, 100, 1,000 and 10,000 viewers (scripts/bench-fanout.sh),
#      then at the largest count: the server with two workers, and the
#      fan-out floor (hostpulse-writer-floor: one blocking write per viewer)
#      with one and two writer threads, for what this machine allows;
#   3. wire bytes per sample, JSON and MessagePack, for this host and a
#      synthetic 64-core host, and encode time per tick (cargo bench codecs);
#   4. slow viewers: 1,000 stalled viewers joining a server with 15 minutes of
#      history (at 100 ms, 900 samples) beside 10 normal ones
#      (scripts/soak-slow-clients.sh), the normal viewers live first, then all
#      joining together; --short: 200 stalled, 300 samples, live first only;
#   5. the dashboard beside its floor, untouched: one host and the fleet
#      overview of 16 (scripts/bench-ui.sh), and the frames of a drag over a
#      day's history (scripts/bench-drag.sh), each under Xvfb on llvmpipe;
#      --short: seconds each, which shows the harness works;
# plus the machine it ran on and the command.
#
# Usage: scripts/benchmarks.sh [--short] [--out FILE]
#   --short     a few seconds per scenario and small viewer counts, written to
#               a temporary file (not BENCHMARKS.md); leaves out socktop_agent,
#               whose first build takes minutes, and says so. CI runs this.
#   --out FILE  write to FILE instead (it is created from BENCHMARKS.md when
#               missing).
# Environment: COST_SECS [60] the measurement window per tool, WARMUP_SECS [5],
# FANOUT_SECS [30] the steady run per viewer count, FANOUT_COUNTS ["1 100 1000
# 10000"].
#
# Installs what it runs when missing: socktop_agent (cargo install, into
# $CARGO_TARGET_DIR/peers/socktop), Debian's prometheus-node-exporter (apt; its
# service is kept from starting), Glances (pip, into a venv under
# $CARGO_TARGET_DIR/peers/glances). Needs python3 with venv, and release builds
# (it builds them). Run on a quiet machine: other work shows in every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
peers="$target/peers"
socktop_version=1.60.1
glances_version=4.5.8

short=0
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --short) short=1 ;;
        --out) out="${2:?--out needs a file}"; shift ;;
        *) echo "scripts/benchmarks.sh: unknown argument $1 (see the comment at its top)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$short" = 1 ]; then
    cost_secs="${COST_SECS:-5}"
    warmup_secs="${WARMUP_SECS:-1}"
    fanout_secs="${FANOUT_SECS:-3}"
    read -r -a counts <<<"${FANOUT_COUNTS:-1 10 100}"
    command_line="scripts/benchmarks.sh --short"
else
    cost_secs="${COST_SECS:-60}"
    warmup_secs="${WARMUP_SECS:-5}"
    fanout_secs="${FANOUT_SECS:-30}"
    read -r -a counts <<<"${FANOUT_COUNTS:-1 100 1000 10000}"
    command_line="scripts/benchmarks.sh"
fi

say() { echo "benchmarks: $*" >&2; }
fail() { echo "benchmarks: $*" >&2; exit 1; }

work=$(mktemp -d)
current="" # the step running now, stopped with its children if we are
cleanup() {
    if [ -n "$current" ] && kill -0 "$current" 2>/dev/null; then
        pkill -TERM -P "$current" 2>/dev/null || true
        kill -TERM "$current" 2>/dev/null || true
        wait "$current" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { # runs a step in the background so a signal can stop it by PID
    "$@" &
    current=$!
    local status=0
    wait "$current" || status=$?
    current=""
    return $status
}

# --- what the run needs ------------------------------------------------------
command -v python3 >/dev/null || fail "python3 is missing: install it (Debian: python3)"
command -v cargo >/dev/null || fail "cargo is missing: install Rust 1.95 or newer (https://rustup.rs)"
# The fan-out needs a descriptor per viewer on each side.
# A viewer takes a descriptor in the load generator and one in the server:
# raise the hard limit where allowed (root), then the soft one to it.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 65536 ] || ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
max_count=$(printf '%s\n' "${counts[@]}" | sort -n | tail -1)
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max_count + 512)) ]; then
    fail "the open-file limit is $(ulimit -n), too low for $max_count viewers: raise the hard limit" \
        "(ulimit -Hn as root, or LimitNOFILE= in a unit), or set FANOUT_COUNTS lower"
fi

say "building the release binaries"
cargo build --release --workspace --bin hostpulse-server --bin hostpulse-load \
    --bin hostpulse-cost --bin hostpulse-floor >&2
# The server's cost is measured on the build its package ships (the dist
# profile, whole-program optimised).
say "building the server as packaged (--profile dist)"
cargo build --profile dist -p hostpulse-server --bin hostpulse-server >&2

node_exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ -z "$node_exporter" ]; then
    say "installing Debian's prometheus-node-exporter (its service kept from starting)"
    # shellcheck source=scripts/apt-install.sh
    . scripts/apt-install.sh
    apt_install prometheus-node-exporter:prometheus-node-exporter ||
        fail "cannot install node_exporter: install Debian's prometheus-node-exporter (or node_exporter on PATH)"
    node_exporter=$(command -v prometheus-node-exporter) || fail "prometheus-node-exporter is not on PATH after installing it"
fi

glances="$peers/glances/bin/glances"
glances_installed=$("$glances" -V 2>/dev/null || true)
if ! grep -q "version:[[:space:]]*$glances_version\$" <<<"$glances_installed"; then
    python3 -c 'import venv, ensurepip' 2>/dev/null ||
        fail "python3's venv module is missing: install python3-venv (Debian), needed for Glances"
    say "installing Glances $glances_version (pip, into $peers/glances)"
    python3 -m venv "$peers/glances"
    "$peers/glances/bin/pip" install -q "glances[web]==$glances_version" >&2 ||
        fail "cannot install Glances from PyPI (pip install glances[web]==$glances_version)"
fi

socktop="$peers/socktop/bin/socktop_agent"
if [ "$short" = 1 ]; then
    say "short mode leaves out socktop_agent: its first build takes minutes (the full run measures it)"
elif [ ! -x "$socktop" ] || [ "$("$socktop" --version)" != "socktop_agent $socktop_version" ]; then
    say "building socktop_agent $socktop_version from crates.io (--no-default-features; a few minutes)"
    CARGO_TARGET_DIR="$peers/socktop/build" cargo install socktop_agent --version "$socktop_version" \
        --no-default-features --locked --root "$peers/socktop" >&2 ||
        fail "cannot build socktop_agent: see cargo's message above"
fi

# --- the machine ---------------------------------------------------------------
machine() {
    local cpu kib
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    printf 'cpu=%s\ncores=%s\nmemory_gib=%s\nkernel=%s\nos=%s\nrustc=%s\ncommit=%s\n' \
        "${cpu:-unknown}" "$(nproc)" "$(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1048576}')" \
        "$(uname -sr)" "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")" \
        "$(rustc --version)" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
}
machine >"$work/machine.env"
echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/machine.env"
echo "started=$(date -u '+%Y-%m-%d %H:%M UTC')" >>"$work/machine.env"
say "machine: $(grep -E '^(cpu|cores|memory_gib)=' "$work/machine.env" | tr '\n' ' ')"
if awk -v cores="$(nproc)" '{exit !($1 > cores / 4)}' /proc/loadavg; then
    say "warning: load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores: other work is" \
        "running, and the figures (latencies most) will show it"
fi

# --- 1. server cost ------------------------------------------------------------
cost() { # NAME POLL-FLAGS... -- COMMAND...
    local name=$1
    shift
    say "server cost: $name (${warmup_secs} s warm-up, ${cost_secs} s measured)"
    step "$target/release/hostpulse-cost" --duration-secs "$cost_secs" --warmup-secs "$warmup_secs" \
        --log "$work/$name.log" --json "$work/cost-$name.json" "$@" >&2 || {
        echo "benchmarks: the end of $name's output:" >&2
        tail -n 20 "$work/$name.log" >&2 || true
        fail "measuring $name failed (see hostpulse-cost's message above)"
    }
}
cost hostpulse --poll hostpulse -- "$target/dist/hostpulse-server" --bind '127.0.0.1:{port}' \
    --data-dir "$work/history"
cost hostpulse-memory --poll hostpulse -- "$target/dist/hostpulse-server" --bind '127.0.0.1:{port}' \
    --history-memory-only
cost floor --poll none -- "$target/release/hostpulse-floor" --interval-ms 1000
if [ "$short" = 0 ]; then
    token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    # socktop_agent listens on every address (it has no option for loopback
    # only): the token keeps anyone else from reading it during the run.
    cost socktop --poll socktop --token "$token" -- env SOCKTOP_TOKEN="$token" "$socktop" --port '{port}'
fi
cost node_exporter --poll http --path /metrics -- "$node_exporter" '--web.listen-address=127.0.0.1:{port}'
cost glances --poll http --path /api/4/all -- "$glances" -w --disable-webui --disable-check-update \
    --bind 127.0.0.1 --port '{port}' -t 1
{
    echo "node_exporter=$("$node_exporter" --version 2>&1 | awk 'NR==1 {print $3}')"
    echo "glances=$glances_version"
    echo "socktop=$socktop_version"
    echo "cost_secs=$cost_secs"
    echo "warmup_secs=$warmup_secs"
} >>"$work/machine.env"

# --- 2. fan-out -----------------------------------------------------------------
say "fan-out: ${counts[*]} viewers, ${fanout_secs} s each"
DURATION_SECS="$fanout_secs" step scripts/bench-fanout.sh "${counts[@]}" >"$work/fanout.md" ||
    fail "the fan-out benchmark failed (scripts/bench-fanout.sh)"
echo "fanout_secs=$fanout_secs" >>"$work/machine.env"

largest="${counts[${#counts[@]}-1]}"
say "fan-out floor: $largest viewers against the server with 2 workers and the writer floor"
echo "| served by | viewers | samples expected / received | missed | duplicates | latency p50 / p99 / max | server CPU (one core) | server RSS idle → peak | load generator CPU |" >"$work/floor.md"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|" >>"$work/floor.md"
for run in "server 1" "server 2" "floor 1" "floor 2"; do
    read -r program threads <<<"$run"
    if [ "$program" = floor ]; then
        floor=1 label="hostpulse-writer-floor, $threads writer thread$([ "$threads" = 1 ] || echo s)"
    else
        floor="" label="hostpulse-server, $threads worker$([ "$threads" = 1 ] || echo s)"
    fi
    FLOOR="$floor" WORKERS="$threads" DURATION_SECS="$fanout_secs" \
        step scripts/bench-fanout.sh "$largest" >"$work/floor-run.md" ||
        fail "the fan-out floor benchmark failed (scripts/bench-fanout.sh, $label)"
    tail -n 1 "$work/floor-run.md" | sed "s/^|/| $label |/" >>"$work/floor.md"
done
echo "floor_viewers=$largest" >>"$work/machine.env"

# --- 3. wire ------------------------------------------------------------------------
say "wire: bytes per sample and encode time (cargo bench --workspace --all-features --bench codecs)"
step cargo bench --workspace --all-features --bench codecs >"$work/codecs.md" ||
    fail "the codec benchmark failed (cargo bench --workspace --all-features --bench codecs)"

# --- 4. slow viewers ------------------------------------------------------------------
: >"$work/soak.md"
if [ "$short" = 1 ]; then
    soak_runs=("live-first")
    soak_env=(INTERVAL_MS=100 HISTORY=300 WARMUP_SECS=31 STALLED=200 DURATION_SECS=15)
else
    soak_runs=("live-first" "together")
    soak_env=(INTERVAL_MS=100 HISTORY=900 WARMUP_SECS=95)
fi
for order in "${soak_runs[@]}"; do
    say "slow viewers: ${soak_env[*]} ORDER=$order (scripts/soak-slow-clients.sh)"
    step env "${soak_env[@]}" ORDER="$order" ROW_FILE="$work/soak.md" scripts/soak-slow-clients.sh >&2 ||
        fail "the slow-viewer soak failed a check (scripts/soak-slow-clients.sh, ORDER=$order; its output is above)"
done
echo "soak_env=${soak_env[*]}" >>"$work/machine.env"

# --- 5. the dashboard -----------------------------------------------------------------
ui_flags=()
[ "$short" = 1 ] && ui_flags=(--short)
say "dashboard beside its floor (scripts/bench-ui.sh ${ui_flags[*]})"
step scripts/bench-ui.sh "${ui_flags[@]}" >"$work/ui.md" ||
    fail "the dashboard's cost benchmark failed (scripts/bench-ui.sh)"
say "dashboard frames while dragging (scripts/bench-drag.sh ${ui_flags[*]})"
step scripts/bench-drag.sh "${ui_flags[@]}" >"$work/drag.md" ||
    fail "the drag benchmark failed (scripts/bench-drag.sh)"

# --- the report -------------------------------------------------------------------
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/machine.env"
echo "command=$command_line" >>"$work/machine.env"
if [ -z "$out" ]; then
    if [ "$short" = 1 ]; then out=$(mktemp --suffix=.md); else out=BENCHMARKS.md; fi
fi
[ -s "$out" ] || cp BENCHMARKS.md "$out"
python3 scripts/benchmarks-report.py "$work" "$out"
say "wrote $out"
