#!/usr/bin/env bash
# What the dashboard costs while it runs untouched, as a ratio to the floor:
# an eframe window of the same size and renderer repainting once a second
# (hostpulse-ui-floor), measured in the same run.
#
# Side by side, each on its own Xvfb display (1280x800, Mesa's software
# OpenGL): the floor; the release dashboard started with no host (it watches
# this machine through its in-process server, as a new user sees it, 5-minute
# window); and a second dashboard watching 16 release servers on loopback
# as well, showing the fleet overview. After a warm-up long enough to fill
# the 5-minute window, each process's CPU is read from every thread's
# schedstat run time over the measurement window, and its peak RSS from
# VmHWM. Prints a markdown table with the ratios.
#
# Usage: scripts/bench-ui.sh [--short]
#   --short   5 s of warm-up and 5 s of measurement (CI): shows the harness
#             works; the figures mean little.
# Environment: WARMUP_SECS [310], MEASURE_SECS [60], FLEET [16] servers.
# Installs what it runs when missing: Xvfb, xdotool and Mesa's software
# OpenGL (Debian's xvfb, xdotool, libgl1-mesa-dri).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
warmup_secs="${WARMUP_SECS:-310}"
measure_secs="${MEASURE_SECS:-60}"
fleet="${FLEET:-16}"
if [ "${1:-}" = --short ]; then
    warmup_secs="${WARMUP_SECS:-5}"
    measure_secs="${MEASURE_SECS:-5}"
elif [ -n "${1:-}" ]; then
    echo "bench-ui: unknown argument $1 (see the comment at its top)" >&2
    exit 2
fi
say() { echo "bench-ui: $*" >&2; }
# shellcheck source=scripts/ui-bench.sh
. scripts/ui-bench.sh
ui_bench_tools

cargo build --release --workspace --bin hostpulse-server --bin hostpulse-dashboard --bin hostpulse-ui-floor
bin="$target/release"

ui_bench_work

# The fleet's servers, each on a free loopback port with its history in memory.
urls=()
for n in $(seq "$fleet"); do
    ui_bench_server "$work/server-$n.log" --history-memory-only
    urls+=("127.0.0.1:$port")
done

# Each program on its own screen, so none draws over another.
start() { # NAME PROGRAM [ARG...]: sets pid_NAME and display_NAME
    local name=$1
    shift
    local home="$work/home-$name"
    mkdir -p "$home"
    ui_bench_display "$work/xvfb-$name.log"
    DISPLAY="$display" HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
        NO_COLOR=1 RUST_LOG=warn ui_bench_spawn "$work/$name.log" "$@"
    printf -v "pid_$name" '%s' "$spawned"
    printf -v "display_$name" '%s' "$display"
}
start floor "$bin/hostpulse-ui-floor"
start one "$bin/hostpulse-dashboard"
start fleet "$bin/hostpulse-dashboard" "${urls[@]}"
# The fleet overview: its key, once the window has the keyboard.
for _ in $(seq 100); do
    window=$(DISPLAY="$display_fleet" xdotool search --name HostPulse 2>/dev/null | head -1 || true)
    [ -n "$window" ] && break
    sleep 0.1
done
[ -n "$window" ] || { say "the fleet dashboard has no window:"; cat "$work/fleet.log" >&2; exit 1; }
sleep 2
DISPLAY="$display_fleet" xdotool windowfocus --sync "$window" key f

say "warming up for ${warmup_secs} s (the 5-minute window fills), then measuring for ${measure_secs} s"
sleep "$warmup_secs"
cpu_ns() { # PID: run time of every thread so far
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
for name in floor one fleet; do
    pid_var="pid_$name"
    kill -0 "${!pid_var}" 2>/dev/null || { say "$name ended early:"; cat "$work/$name.log" >&2; exit 1; }
    printf -v "before_$name" '%s' "$(cpu_ns "${!pid_var}")"
done
sleep "$measure_secs"
for name in floor one fleet; do
    pid_var="pid_$name"
    printf -v "after_$name" '%s' "$(cpu_ns "${!pid_var}")"
    printf -v "hwm_$name" '%s' "$(awk '/VmHWM/ { print $2 }' /proc/"${!pid_var}"/status)"
done

percent() { # NAME: % of one core over the window
    local before="before_$1" after="after_$1"
    awk -v a="${!before}" -v b="${!after}" -v s="$measure_secs" 'BEGIN { printf "%.2f", (b - a) / (s * 1e9) * 100 }'
}
floor=$(percent floor)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "UI cost side by side: ${measure_secs} s after ${warmup_secs} s, 1280x800 under Xvfb, glow on llvmpipe, $cpu ($(nproc) cores), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| program | CPU, % of one core | × the floor | peak RSS (VmHWM) |"
echo "|---|---:|---:|---:|"
for row in "floor|hostpulse-ui-floor: one label, a repaint a second" \
    "one|dashboard, This computer (in-process server), 5-minute window, untouched" \
    "fleet|dashboard, $fleet servers on loopback and This computer, fleet overview"; do
    name=${row%%|*}
    hwm_var="hwm_$name"
    value=$(percent "$name")
    awk -v label="${row#*|}" -v v="$value" -v f="$floor" -v kib="${!hwm_var}" \
        'BEGIN { printf "| %s | %.2f %% | %s | %.0f MiB |\n", label, v, (f > 0 ? sprintf("%.1f×", v / f) : "–"), kib / 1024 }'
done
