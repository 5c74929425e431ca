# shellcheck shell=bash
# Sourced by the dashboard's benchmarks (bench-paint.sh, bench-ui.sh): what
# they need installed, the processes they start (stopped by PID), an Xvfb
# screen and release hostpulse-servers on free loopback ports.
#
#   ui_bench_tools                      installs Xvfb, xdotool and Mesa's
#                                       software OpenGL when missing
#   ui_bench_spawn LOG CMD [ARG...]     runs CMD in the background, stderr to
#                                       LOG; sets $spawned (its PID)
#   ui_bench_display LOG                an Xvfb screen of 1280x800; sets $display
#                                       and $display_pid
#   ui_bench_server LOG [FLAG...]       hostpulse-server on 127.0.0.1:0; sets $port
#   ui_bench_stop                       TERM to everything spawned, then wait
#   ui_bench_work                       a temporary directory in $work, removed
#                                       with everything spawned on exit
#
# Needs $target (the cargo target directory) and a `say` function.

: "${target:?set target to the cargo target directory before sourcing}"
# shellcheck source=scripts/loopback-server.sh
. scripts/loopback-server.sh
ui_bench_pids=()
spawned=""

ui_bench_tools() {
    local missing=()
    command -v Xvfb >/dev/null || missing+=(xvfb)
    command -v xdotool >/dev/null || missing+=(xdotool)
    compgen -G '/usr/lib/*/dri/swrast_dri.so' >/dev/null || missing+=(libgl1-mesa-dri)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        # shellcheck source=scripts/apt-install.sh
        . scripts/apt-install.sh
        apt_install "${missing[@]}"
    fi
}

ui_bench_spawn() {
    local log=$1
    shift
    "$@" 2>"$log" &
    spawned=$!
    ui_bench_pids+=("$spawned")
}

ui_bench_display() {
    local log=$1
    display=":$((100 + RANDOM % 400))"
    ui_bench_spawn "$log" Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp
    display_pid=$spawned
    for _ in $(seq 100); do
        DISPLAY="$display" xdotool getdisplaygeometry >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    say "Xvfb did not start on $display:"
    cat "$log" >&2
    return 1
}

ui_bench_server() {
    local log=$1
    shift
    NO_COLOR=1 RUST_LOG=info ui_bench_spawn "$log" "$target/release/hostpulse-server" --bind 127.0.0.1:0 "$@"
    listening_port "$log"
}

ui_bench_stop() {
    local pid
    for pid in "${ui_bench_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${ui_bench_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    ui_bench_pids=()
}

ui_bench_work() {
    work=$(mktemp -d)
    trap 'ui_bench_stop; rm -rf "$work"' EXIT
    trap 'exit 130' INT TERM
}
