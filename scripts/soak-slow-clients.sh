#!/usr/bin/env bash
# Slow-client soak: stalled viewers (they complete the handshake, then never
# read) beside normal ones, against a release server on a free loopback port.
# Checks that
#   1. every normal viewer got every seq, once;
#   2. the server closed every stalled viewer with 1008 (policy violation);
#   3. the server's peak RSS stayed within MAX_GROWTH_MIB of its idle RSS;
# and reports the normal viewers' live latency while the stalled ones joined
# (within 15 s of their first connect) against JOIN_P99_TARGET_MS.
# Prints the load generator's table, the stalled viewers' lifetimes from the
# server's log, and the checks; exits 1 when a check fails. Stops its server by
# PID. Run from anywhere: scripts/soak-slow-clients.sh
#
# Settings, from the environment (defaults in brackets):
#   CLIENTS [10]  STALLED [1000]  DURATION_SECS [60]  MAX_GROWTH_MIB [64]
#   INTERVAL_MS [1000]  HISTORY [3600]   the server's --interval-ms, --history
#   WARMUP_SECS [0]   how long the server runs before anyone connects
#   ORDER [live-first]  live-first: the normal viewers connect, take their
#                     replay and get a live sample, then the stalled ones join
#                     (a fleet reconnecting beside dashboards already open);
#                     together: all connect at once, so each normal viewer's
#                     own replay waits behind the thousand others
#   JOIN_P99_TARGET_MS [100]  reported as met or not; it does not fail the soak
#   BENCH_LOCK [unset]  a file to hold a lock on (flock) from the end of the
#                     warm-up to the end of the run, so that measurements
#                     sharing a machine never overlap while a long warm-up
#                     waits unlocked
#   ROW_FILE [unset]  also append the run's figures as one Markdown table row
#                     to this file (scripts/benchmarks.sh collects them)
#   SERVER_PROGRAM [hostpulse-server]  another build of the server copied
#                     beside it in the release directory as
#                     hostpulse-server-SOMETHING, to compare two builds
# A viewer gets up to 15 minutes of history at connect, so a server that has
# run a while sends each one a large backlog at once (about 1.6 MB after 15
# minutes at 1 s), which fills a stalled viewer's socket buffers at once; a
# fresh server sends almost none. WARMUP_SECS=900 reproduces the first case at
# the default interval; INTERVAL_MS=100 HISTORY=900 WARMUP_SECS=95 reaches the
# same backlog in 95 s.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
clients="${CLIENTS:-10}"
stalled="${STALLED:-1000}"
duration="${DURATION_SECS:-60}"
interval_ms="${INTERVAL_MS:-1000}"
history="${HISTORY:-3600}"
warmup="${WARMUP_SECS:-0}"
max_growth_mib="${MAX_GROWTH_MIB:-64}"
order="${ORDER:-live-first}"
server_program="${SERVER_PROGRAM:-hostpulse-server}"
join_p99_target_ms="${JOIN_P99_TARGET_MS:-100}"
case "$order" in
    live-first) order_flag=(--stalled-after-live) ;;
    together) order_flag=() ;;
    *) echo "soak: ORDER must be live-first or together, not '$order'" >&2; exit 2 ;;
esac

# Only the two binaries, with the workspace's feature set (so other release
# builds of the workspace reuse them).
cargo build --release --workspace --bin hostpulse-server --bin hostpulse-load

# One descriptor per viewer on each side: as many as this shell may have.
# A viewer takes a descriptor in the load generator and one in the server:
# raise the hard limit where allowed (root), then the soft one to it.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 65536 ] || ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
echo "soak: open-file limit $(ulimit -n); $clients viewers + $stalled stalled for ${duration} s;" \
    "server --interval-ms $interval_ms --history $history, warm-up ${warmup} s, order $order"

work=$(mktemp -d)
# shellcheck source=scripts/loopback-server.sh
. scripts/loopback-server.sh
trap 'stop_server; rm -rf "$work"' EXIT
start_server "$work/server.log" --interval-ms "$interval_ms" --history "$history"
echo "soak: server PID $server on 127.0.0.1:$port"
if [ "$warmup" -gt 0 ]; then sleep "$warmup"; fi
if [ -n "${BENCH_LOCK:-}" ]; then
    exec 9>>"$BENCH_LOCK"
    echo "soak: waiting for the lock on $BENCH_LOCK"
    flock 9
fi

status=0
"$target/release/hostpulse-load" --url "ws://127.0.0.1:$port/ws" \
    --clients "$clients" --stalled "$stalled" "${order_flag[@]}" --duration-secs "$duration" \
    --server-pid "$server" --idle-secs 5 --progress-secs 5 \
    --json "$work/report.json" || status=$?
stop_server
if [ -n "${BENCH_LOCK:-}" ]; then exec 9>&-; fi
if [ "$status" -gt 1 ]; then
    echo "soak: the load generator failed (exit $status)" >&2
    exit 1
fi

ROW_LABEL="--interval-ms $interval_ms --history $history, warm-up ${warmup} s, $stalled stalled, order $order" \
python3 - "$work/report.json" "$work/server.log" "$stalled" "$max_growth_mib" "$join_p99_target_ms" <<'EOF'
import datetime, json, os, re, statistics, sys

report_path, log_path, stalled, max_growth_mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
join_p99_target_ms = float(sys.argv[5])
report = json.load(open(report_path))

# The server logs each viewer's connect and disconnect with its peer address
# and, for a disconnect, the reason. Both of its 1008 closes are here: a send
# blocked for 10 s ("not reading for 10s") and nothing heard for 30 s ("no
# reply for 30s").
line = re.compile(r"(\S+)Z\s+INFO \S+ viewer (connected|disconnected) peer=(\S+)(.*)$")
connected, lifetimes = {}, {}
for text in open(log_path):
    match = line.match(text.rstrip("\n"))
    if not match:
        continue
    when = datetime.datetime.fromisoformat(match.group(1))
    if match.group(2) == "connected":
        connected[match.group(3)] = when
    elif match.group(3) in connected:
        reason = match.group(4).partition("reason=")[2] or "?"
        lifetimes.setdefault(reason, []).append((when - connected[match.group(3)]).total_seconds())
print("\nserver log: viewer lifetimes by reason for leaving")
for reason, secs in sorted(lifetimes.items()):
    print(f"  {len(secs):5} × {reason:<22} after {min(secs):.1f} s (min) / "
          f"{statistics.median(secs):.1f} s (median) / {max(secs):.1f} s (max)")

checks = []
samples = report["samples"]
checks.append((report["passed"],
               f"every normal viewer got every seq: missed {samples['missed']}, "
               f"duplicates {samples['duplicates']}, {samples['received']} of {samples['expected']} "
               f"received, {report['connect']['viewers_failed']} failed to connect"))
policy = sum(len(secs) for reason, secs in lifetimes.items()
             if reason.startswith(("not reading", "no reply")))
ends = report["stalled_viewers"]["ends"]
frames = report["stalled_viewers"]["close_codes"].get("1008", 0)
dropped = ends.get("dropped without a close frame", 0)
checks.append((policy >= stalled and frames + dropped == stalled,
               f"the server closed all {stalled} stalled viewers with 1008: {policy} such closes "
               f"in its log; the viewers saw {frames} close frames 1008 and {dropped} connections "
               f"dropped without one (a close frame cannot pass a stalled viewer's full buffers)"))
server = report["server"]
growth_mib = (server["rss_peak_bytes"] - server["rss_idle_bytes"]) / 2**20
checks.append((growth_mib <= max_growth_mib,
               f"server RSS: idle {server['rss_idle_bytes'] / 2**20:.1f} MiB, peak "
               f"{server['rss_peak_bytes'] / 2**20:.1f} MiB: +{growth_mib:.1f} MiB "
               f"(limit +{max_growth_mib:.0f} MiB); {server['rss_end_bytes'] / 2**20:.1f} MiB at the end"))
print("\nsoak checks")
for ok, text in checks:
    print(f"  {'PASS' if ok else 'FAIL'}  {text}")
joins = report["latency_during_joins"]
print(f"\nnormal viewers' live latency while the stalled joined: p50 {joins['p50_ms']:.1f} ms, "
      f"p99 {joins['p99_ms']:.1f} ms, max {joins['max_ms']:.1f} ms ({joins['count']} samples; "
      f"target p99 <= {join_p99_target_ms:.0f} ms: {'met' if joins['p99_ms'] <= join_p99_target_ms else 'NOT met'})")
if os.environ.get("ROW_FILE"):
    closes = sorted(secs for reason, secs_list in lifetimes.items()
                    if reason.startswith(("not reading", "no reply")) for secs in secs_list)
    closed = f"{len(closes)}, {closes[0]:.1f}–{closes[-1]:.1f} s" if closes else "0"
    mib = lambda key: server[key] / 2**20
    with open(os.environ["ROW_FILE"], "a") as row:
        row.write(f"| {os.environ['ROW_LABEL']} | {samples['missed']} of {samples['expected']:,} | "
                  f"{joins['p50_ms']:.1f} / {joins['p99_ms']:.1f} / {joins['max_ms']:.1f} ms | {closed} | "
                  f"{mib('rss_idle_bytes'):.1f} → {mib('rss_peak_bytes'):.1f} → {mib('rss_end_bytes'):.1f} MiB "
                  f"(+{growth_mib:.1f}) | {'pass' if all(ok for ok, _ in checks) else 'FAIL'} |\n")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
EOF
