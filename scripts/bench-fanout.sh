#!/usr/bin/env bash
# Fan-out: N viewers on loopback, each of which must get every sample, for a
# fresh release server per N. Prints a Markdown table: samples expected and
# received, missed, duplicates, tick-to-receipt latency, the server's CPU
# (percent of one core during the steady run) and RSS, the load generator's
# CPU. Stops each server by PID.
#
# Usage: scripts/bench-fanout.sh [COUNT...]   (default: 1 100 1000 10000)
# Environment: DURATION_SECS [30], RAMP [64] (handshakes in flight at once),
# WORKERS [1] (the server's --workers), FLOOR [unset] (FLOOR=1: run against
# hostpulse-writer-floor, the least a server can do per viewer, with WORKERS
# writer threads, instead of the server), SERVER_PROGRAM [hostpulse-server]
# (another build of the server copied beside it in the release directory as
# hostpulse-server-SOMETHING, to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
duration="${DURATION_SECS:-30}"
ramp="${RAMP:-64}"
workers="${WORKERS:-1}"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 100 1000 10000)

cargo build --release --workspace --bin hostpulse-server --bin hostpulse-load \
    --bin hostpulse-writer-floor >&2
if [ -n "${FLOOR:-}" ]; then
    server_program=hostpulse-writer-floor
    server_flags=(--writers "$workers")
else
    server_program="${SERVER_PROGRAM:-hostpulse-server}"
    server_flags=(--workers "$workers")
fi
# A viewer takes a descriptor in the load generator and one in the server:
# raise the hard limit where allowed (root), then the soft one to it.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 65536 ] || ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
# Other work on the machine shows in the latencies: say how busy it was.
echo "bench-fanout: before: $(uptime)" >&2
work=$(mktemp -d)
# shellcheck source=scripts/loopback-server.sh
. scripts/loopback-server.sh
trap 'stop_server; rm -rf "$work"' EXIT

for count in "${counts[@]}"; do
    start_server "$work/server-$count.log" "${server_flags[@]}"
    echo "bench-fanout: $count viewers, $server_program PID $server on 127.0.0.1:$port" >&2
    "$target/release/hostpulse-load" --url "ws://127.0.0.1:$port/ws" --clients "$count" \
        --duration-secs "$duration" --ramp "$ramp" --server-pid "$server" --progress-secs 10 \
        --json "$work/$count.json" >&2 || true
    stop_server
done
echo "bench-fanout: after: $(uptime)" >&2

python3 - "$work" "${counts[@]}" <<'EOF'
import json, sys

work, counts = sys.argv[1], sys.argv[2:]
print("| viewers | samples expected / received | missed | duplicates | latency p50 / p99 / max | "
      "server CPU (one core) | server RSS idle → peak | load generator CPU |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
mib = lambda b: b / 2**20
for count in counts:
    try:
        r = json.load(open(f"{work}/{count}.json"))
    except OSError:
        print(f"| {count} | no report | | | | | | |")
        continue
    s, l, v = r["samples"], r["latency"], r["server"]
    failed = r["connect"]["viewers_failed"]
    note = f" ({failed} failed to connect)" if failed else ""
    print(f"| {count}{note} | {s['expected']} / {s['received']} | {s['missed']} | {s['duplicates']} | "
          f"{l['p50_ms']:.1f} / {l['p99_ms']:.1f} / {l['max_ms']:.1f} ms | "
          f"{v['cpu_run_percent'] or 0:.1f} % | {mib(v['rss_idle_bytes']):.1f} → {mib(v['rss_peak_bytes']):.1f} MiB | "
          f"{r['load_generator_cpu_percent'] or 0:.0f} % |")
EOF
