# shellcheck shell=bash
# Sourced by the load scripts (soak-slow-clients.sh, bench-fanout.sh) and the
# dashboard's benchmarks (through ui-bench.sh): start a
# release hostpulse-server (or $server_program, another release binary that
# logs "listening on http://ADDR" the same way: a copy of another build named
# hostpulse-server-SOMETHING, to compare two builds, is run like
# hostpulse-server itself) on a free loopback port, and stop it by PID.
#
#   start_server LOG [SERVER FLAG...]   sets $server (its PID) and $port
#   listening_port LOG                  waits for a server's log to name its port
#   stop_server                         TERM, then wait for it
#
# Needs $target (the cargo target directory), set by the sourcing script. Logs at info, as in production,
# without colours so the log can be read back.

: "${target:?set target to the cargo target directory before sourcing}"
server=""
port=""

start_server() {
    local log=$1
    shift
    # Every viewer of a load run comes from 127.0.0.1, and thousands of them
    # handshake at once: lift the per-address cap on connections still in
    # their handshake (meant for strangers) for hostpulse-server itself.
    # Its history on disk goes beside the log, a fresh one each run (the
    # sourcing script removes both).
    if [[ "${server_program:-hostpulse-server}" == hostpulse-server* ]]; then
        set -- --max-connections 1000000 --max-connections-per-address 1000000 \
            --data-dir "$log.data" "$@"
    fi
    # Port 0: the OS picks a free port, and the server's log says which.
    NO_COLOR=1 RUST_LOG=info "$target/release/${server_program:-hostpulse-server}" --bind 127.0.0.1:0 "$@" 2>"$log" &
    server=$!
    listening_port "$log"
}

# Waits for the server logging to LOG to say where it listens; sets $port, or
# shows the log and fails.
listening_port() {
    local log=$1
    port=""
    for _ in $(seq 100); do
        port=$(grep -so 'listening on http://127\.0\.0\.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "the server did not start:" >&2
    cat "$log" >&2
    return 1
}

stop_server() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        wait "$server" 2>/dev/null || true
    fi
    server=""
}
