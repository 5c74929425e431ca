#!/usr/bin/env bash
# How long after a key press the dashboard shows a window it must fetch from
# a server's disk: the 7-day and the 1-year preset, on loopback.
#
# A release hostpulse-server runs on a store filled with a year of made-up
# history (`--fill-history`); the release dashboard, in a 1280x800 window
# under Xvfb (Mesa's software OpenGL), watches it. Each run starts a fresh
# dashboard (nothing fetched yet), waits for its first live sample, presses
# "5" (the 7 d preset) and then "7" (1 y) with xdotool, and reads how long
# after each key press the fetched range was painted: the dashboard logs the
# wall-clock time as the frame after the one that drew it starts
# (`hostpulse_dashboard::paint_trace`), so the figure includes the X event's
# trip, the request, the server's read, the transfer, the decoding and the
# paint. The p50, p95 and max of each preset are printed.
#
# Usage: scripts/bench-paint.sh [--short]
#   --short   3 runs over a 30-day store keeping one day of raw samples (CI):
#             shows the path works.
# Environment: RUNS [20], DAYS [365] the store's age, STORE (a store filled
# earlier with --fill-history, copied instead of filling one: the time since
# its fill shows as a gap), DASHBOARD (a dashboard binary to measure instead
# of this checkout's, to compare two builds in one sitting), WORK (a directory for the logs, kept; a temporary
# one by default).
# Installs what it runs when missing: Xvfb, xdotool and Mesa's software
# OpenGL (Debian's xvfb, xdotool, libgl1-mesa-dri).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
runs="${RUNS:-20}"
days="${DAYS:-365}"
retention=() # the server's default retention
if [ "${1:-}" = --short ]; then
    runs="${RUNS:-3}"
    days="${DAYS:-30}"
    # A day of raw samples rather than a week: a fill of seconds, not minutes.
    retention=(--history-raw-days 1)
elif [ -n "${1:-}" ]; then
    echo "bench-paint: unknown argument $1 (see the comment at its top)" >&2
    exit 2
fi
say() { echo "bench-paint: $*" >&2; }
# shellcheck source=scripts/ui-bench.sh
. scripts/ui-bench.sh
ui_bench_tools

cargo build --release --workspace --bin hostpulse-server --bin hostpulse-dashboard
server_bin="$target/release/hostpulse-server"
dashboard_bin="${DASHBOARD:-$target/release/hostpulse-dashboard}"

work="${WORK:-}"
own_work=0
if [ -z "$work" ]; then
    work=$(mktemp -d)
    own_work=1
fi
cleanup() {
    ui_bench_stop
    if [ "$own_work" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$work/store"
if [ -n "${STORE:-}" ]; then
    cp -a "$STORE" "$work/store"
else
    say "filling $days days of history (about 5 minutes for a year)"
    "$server_bin" --fill-history "$days" --data-dir "$work/store" "${retention[@]}" >"$work/fill.log" 2>&1 ||
        { cat "$work/fill.log" >&2; exit 1; }
fi

ui_bench_server "$work/server.log" --data-dir "$work/store" "${retention[@]}"
ui_bench_display "$work/xvfb.log"

# The dashboard's line for a fetched range painted: after the first SKIP
# lines of its log, the first whose window spans about SPAN_MS (a refetch of
# an earlier window is not it). Prints "WALL_MS tier=.. points=.. series=..".
painted_after() { # LOG SKIP SPAN_MS
    local log=$1 skip=$2 span_ms=$3
    for _ in $(seq 300); do
        local found
        found=$(tail -n "+$((skip + 1))" "$log" | grep 'fetched range painted' | awk -v want="$span_ms" '
            {
                for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                if (f["span_ms"] >= 0.9 * want && f["span_ms"] <= 1.5 * want) {
                    print f["wall_ms"], "tier=" f["tier"], "points=" f["points"], "series=" f["series"]
                    exit
                }
            }')
        if [ -n "$found" ]; then
            echo "$found"
            return 0
        fi
        sleep 0.02
    done
    return 1
}
now_ms() { date +%s.%N | awk '{ printf "%.3f", $1 * 1000 }'; }

results="$work/results"
: >"$results"
for run in $(seq "$runs"); do
    home="$work/home-$run"
    mkdir -p "$home"
    log="$work/dashboard-$run.log"
    DISPLAY="$display" HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
        NO_COLOR=1 RUST_LOG=info,hostpulse_dashboard::paint_trace=debug \
        ui_bench_spawn "$log" "$dashboard_bin" "127.0.0.1:$port"
    dashboard=$spawned
    window=""
    for _ in $(seq 100); do
        window=$(DISPLAY="$display" xdotool search --name HostPulse 2>/dev/null | head -1 || true)
        [ -n "$window" ] && grep -q connected "$log" && break
        sleep 0.1
    done
    if [ -z "$window" ]; then
        kill -0 "$display_pid" 2>/dev/null || say "Xvfb on $display is gone (something ended it):"
        say "run $run: no dashboard window"
        cat "$log" >&2
        exit 1
    fi
    # The first live sample is drawn, and the window has the keyboard.
    sleep 2
    DISPLAY="$display" xdotool windowfocus --sync "$window"
    for preset in "5 7d 604800000" "7 1y 31536000000"; do
        read -r key name span_ms <<<"$preset"
        skip=$(wc -l <"$log")
        pressed=$(now_ms)
        DISPLAY="$display" xdotool key "$key"
        painted=$(painted_after "$log" "$skip" "$span_ms") ||
            { say "run $run: the $name window was not painted within 6 s"; cat "$log" >&2; exit 1; }
        echo "$name $painted" | awk -v a="$pressed" '{ printf "%s %.1f %s %s %s\n", $1, $2 - a, $3, $4, $5 }' >>"$results"
    done
    kill -TERM "$dashboard"
    wait "$dashboard" 2>/dev/null || true
    say "run $run of $runs: $(tail -2 "$results" | awk '{ printf "%s %s ms  ", $1, $2 }')"
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "Paint after a key press, $runs fresh dashboards, a $days-day store, on $cpu ($(nproc) cores), load average $(cut -d' ' -f1-3 /proc/loadavg):"
for name in 7d 1y; do
    grep "^$name " "$results" | sort -k2 -n | awk -v name="$name" '
        function rank(q) { r = int(q * NR); if (r < q * NR) r++; return ms[r > 0 ? r : 1] }
        { ms[NR] = $2; detail = $3 " " $4 " " $5 }
        END { printf "  %s: p50 %.0f ms, p95 %.0f ms, max %.0f ms (%s)\n", name, rank(0.5), rank(0.95), ms[NR], detail }'
done
