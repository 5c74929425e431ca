#!/usr/bin/env bash
# How long the dashboard's frames take while a plot is dragged, over a day of
# history.
#
# A release hostpulse-server on a store filled with a day of made-up history
# (`--fill-history 1`); the release dashboard under Xvfb (1280x800, glow on
# Mesa's llvmpipe) watching it, in the 6 h window (key 3) once it is fetched
# and painted, so a pan has history on both sides. xdotool then holds the
# left button on the CPU plot and drags it back and forth (about two hours
# each way) in small steps, far more motion events than frames,
# so each frame starts as soon as the one before is painted: the time
# between frame starts is what a frame costs. The dashboard logs each
# frame's start (`hostpulse_dashboard::paint_trace` at trace); the frames
# between the press and the release are counted. Prints p50, p95 and max.
#
# Usage: scripts/bench-drag.sh [--short]
#   --short   a 2 s drag (CI): shows the harness works.
# Environment: DRAG_SECS [20], PLOT_X / PLOT_Y [450 / 245] where the CPU plot
# is in the 1280x800 window, SCREENSHOT (a PNG file: the screen after the
# drag, to see that it panned the plots).
# Installs what it runs when missing: Xvfb, xdotool and Mesa's software
# OpenGL (Debian's xvfb, xdotool, libgl1-mesa-dri).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
drag_secs="${DRAG_SECS:-20}"
if [ "${1:-}" = --short ]; then
    drag_secs="${DRAG_SECS:-2}"
elif [ -n "${1:-}" ]; then
    echo "bench-drag: unknown argument $1 (see the comment at its top)" >&2
    exit 2
fi
plot_x="${PLOT_X:-450}"
plot_y="${PLOT_Y:-245}"
say() { echo "bench-drag: $*" >&2; }
# shellcheck source=scripts/ui-bench.sh
. scripts/ui-bench.sh
ui_bench_tools

cargo build --release --workspace --bin hostpulse-server --bin hostpulse-dashboard

ui_bench_work

say "filling a day of history"
"$target/release/hostpulse-server" --fill-history 1 --data-dir "$work/store" >"$work/fill.log" 2>&1 ||
    { cat "$work/fill.log" >&2; exit 1; }
ui_bench_server "$work/server.log" --data-dir "$work/store"
ui_bench_display "$work/xvfb.log"
export DISPLAY="$display"

log="$work/dashboard.log"
home="$work/home"
mkdir -p "$home"
HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    NO_COLOR=1 RUST_LOG=info,hostpulse_dashboard::paint_trace=trace \
    ui_bench_spawn "$log" "$target/release/hostpulse-dashboard" "127.0.0.1:$port"
window=""
for _ in $(seq 100); do
    window=$(xdotool search --name HostPulse 2>/dev/null | head -1 || true)
    [ -n "$window" ] && grep -q connected "$log" && break
    sleep 0.1
done
[ -n "$window" ] || { say "no dashboard window"; cat "$log" >&2; exit 1; }
sleep 2
xdotool windowfocus --sync "$window" key 3
for _ in $(seq 300); do
    grep -q 'fetched range painted' "$log" && break
    sleep 0.05
done
grep -q 'fetched range painted' "$log" || { say "the 6 h window was not painted within 15 s"; cat "$log" >&2; exit 1; }
sleep 1

wall_ms() { date +%s.%N | awk '{ printf "%.3f", $1 * 1000 }'; }
xdotool mousemove "$plot_x" "$plot_y" mousedown 1
sleep 0.2
from_ms=$(wall_ms)
end=$((SECONDS + drag_secs))
step=-3
x=$plot_x
while [ "$SECONDS" -lt "$end" ]; do
    # Sideways and back within the plot, 3 px a move, no pause between moves.
    x=$((x + step))
    if [ "$x" -lt $((plot_x - 120)) ] || [ "$x" -gt $((plot_x + 120)) ]; then step=$((-step)); fi
    xdotool mousemove "$x" "$plot_y"
done
to_ms=$(wall_ms)
xdotool mouseup 1
sleep 0.5
if [ "${SCREENSHOT:-}" ]; then import -window root "$SCREENSHOT"; fi

grep 'frame started' "$log" | awk -v from="$from_ms" -v to="$to_ms" '
    {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        if (f["wall_ms"] > from && f["wall_ms"] <= to) print f["since_last_ms"]
    }' | sort -n >"$work/frames"
frames=$(wc -l <"$work/frames")
[ "$frames" -ge 5 ] || { say "only $frames frames during the drag: did it hit the plot at $plot_x,$plot_y?"; exit 1; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "Frames while dragging the CPU plot over a day's history for ${drag_secs} s, 1280x800 under Xvfb, glow on llvmpipe, $cpu ($(nproc) cores), load average $(cut -d' ' -f1-3 /proc/loadavg):"
awk '
    function rank(q) { r = int(q * NR); if (r < q * NR) r++; return ms[r > 0 ? r : 1] }
    { ms[NR] = $1 }
    END { printf "  %d frames (%.1f a second): p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", NR, NR / ('"$drag_secs"'), rank(0.5), rank(0.95), ms[NR] }' "$work/frames"
