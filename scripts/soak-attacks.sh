#!/usr/bin/env bash
# Attack soak: the attacks of server/tests/attacks at full size against the
# release server, each in a fresh server process, one after another:
#   - 20 connections pipelining 3 MB of GET /healthz, never reading;
#   - 1,000 connections sending 120 KB of request head without its end (then
#     ten times more, probing it and an idle server beside it, as the burst
#     lasts a tenth of a second);
#   - 2,000 slowloris connections (a header byte a second) for 90 s;
#   - 100 viewers with the token trickling a frame that declares 1 GiB.
# For each it prints the server's RSS before, its peak growth, and its growth
# 60 s after the attack ended, with /healthz latency from another loopback
# address every 5 ms throughout (measured, not asserted), and fails when an
# attack adds more than 16 MiB at its peak (4 MiB for the frames) or the
# memory is not back within 8 MiB 60 s after. The same tests run in a short form in
# scripts/test.sh. Run from anywhere: scripts/soak-attacks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# Each attack holds up to 2,000 sockets in the test and as many in the server.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 65536 ] || ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
echo "soak-attacks: $(lscpu | grep 'Model name' | sed 's/  */ /g'); open-file limit $(ulimit -n)"
HOSTPULSE_ATTACK_FULL=1 cargo test --release -p hostpulse-server --test attacks -- \
    --nocapture --test-threads=1 2>&1 | grep -E 'attack:|^test |test result|panicked|bound'
