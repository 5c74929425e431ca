#!/usr/bin/env bash
# /metrics of HostPulse against node_exporter's on this machine: payload size and
# scrape time (curl's time_total over 200 scrapes on loopback, median and p90).
# Needs: a release build (cargo build --release --workspace), curl, and Debian's
# prometheus-node-exporter package. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
scrapes=200

"$target/release/hostpulse-server" --bind 127.0.0.1:19470 2>/dev/null &
hostpulse=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:19100 2>/dev/null &
node_exporter=$!
trap 'kill $hostpulse $node_exporter 2>/dev/null' EXIT
sleep 3

measure() { # name url
    local bytes times
    bytes=$(curl -s "$2" | wc -c)
    times=$(for _ in $(seq $scrapes); do curl -s -o /dev/null -w '%{time_total}\n' "$2"; done | sort -n)
    printf '| %s | %s | %.2f ms | %.2f ms |\n' "$1" "$bytes" \
        "$(echo "$times" | awk -v n=$scrapes 'NR==int(n*0.5){print $1*1000}')" \
        "$(echo "$times" | awk -v n=$scrapes 'NR==int(n*0.9){print $1*1000}')"
}

echo "| exporter | payload bytes | scrape time, median | p90 |"
echo "|---|---:|---:|---:|"
measure "hostpulse-server $(git describe --always --dirty 2>/dev/null || echo)" http://127.0.0.1:19470/metrics
measure "node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR==1{print $3}')" http://127.0.0.1:19100/metrics
