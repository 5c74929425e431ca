#!/usr/bin/env bash
# The server package under a real systemd: boots a minimal Debian with
# systemd as PID 1 in a container (systemd-nspawn), installs the
# hostpulse-server .deb built from this tree, and checks what only a real
# systemd shows: readiness, a full snapshot with no sandbox mounts among the
# disks, the watchdog restart of a frozen server, the token credential (and
# --check-config with and without it), a clean stop that closes viewers with
# 1001, and a bad config key failing the unit at once with the reason at
# priority err. Called by scripts/test.sh; runs as root.
#
#   scripts/systemd-test.sh [SERVER_DEB]
#
# Without SERVER_DEB, packs the debug server that `cargo test` built (cargo-deb,
# --profile dev: the release and dist builds take far longer, and the unit,
# the sandbox and the package's scripts are the same). The Debian root is made
# once by debootstrap, from the mirror and release this machine's apt uses, and
# kept in $HOSTPULSE_NSPAWN_ROOT (default /var/cache/hostpulse/nspawn-root);
# each run boots it with a throw-away overlay, so it stays pristine. The
# container has its own network namespace: nothing it serves is reachable from
# outside, and the viewer joins that namespace. Needs debootstrap and
# systemd-container, which scripts/test.sh installs.
#
# Not checked: MemoryMax=. On hosts with the cgroup v1/v2 hybrid layout, the
# memory limit is not enforced inside nspawn, so the script prints it only.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
root="${HOSTPULSE_NSPAWN_ROOT:-/var/cache/hostpulse/nspawn-root}"
venv="${HOSTPULSE_VENV:-/var/cache/hostpulse/venv}"

if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/systemd-test.sh: needs root (systemd-nspawn, debootstrap)" >&2
    exit 1
fi
# scripts/test.sh installs these.
for tool in debootstrap systemd-nspawn nsenter; do
    command -v "$tool" >/dev/null || {
        echo "scripts/systemd-test.sh: $tool is missing: apt-get install debootstrap systemd-container util-linux" >&2
        exit 1
    }
done
[ -x "$venv/bin/python" ] || {
    echo "scripts/systemd-test.sh: no Python venv at $venv: run scripts/test.sh, which makes it" >&2
    exit 1
}

work=$(mktemp -d /tmp/hostpulse-systemd-test.XXXXXX)
nspawn_pid=""
cleanup() {
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        # SIGTERM asks nspawn for an orderly shutdown of the container.
        kill -TERM "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$nspawn_pid" 2>/dev/null || true
        wait "$nspawn_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- the package -------------------------------------------------------------
deb="${1:-}"
if [ -z "$deb" ]; then
    # shellcheck source=scripts/cargo-deb.sh
    . scripts/cargo-deb.sh
    ensure_cargo_deb
    [ -x "$target/debug/hostpulse-server" ] || {
        echo "scripts/systemd-test.sh: no $target/debug/hostpulse-server: run cargo test (scripts/test.sh does) first" >&2
        exit 1
    }
    # cargo-deb 3.8 warns that it prefers release profiles; the package is the same.
    cargo deb -p hostpulse-server --no-build --profile dev --strip --output "$work/" \
        >"$work/cargo-deb.log" 2>&1 || {
        cat "$work/cargo-deb.log" >&2
        exit 1
    }
    deb=$(ls "$work"/hostpulse-server_*.deb)
fi
mkdir -p "$work/share"
cp "$deb" "$work/share/hostpulse-server.deb"

# --- the Debian root, made once ----------------------------------------------
if [ ! -e "$root/etc/hostpulse-test-root" ]; then
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    mirror=$(
        {
            grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}'
            grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
                awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break }}'
        } | grep -E '/debian/?$' | head -1
    )
    if [ -z "$codename" ] || [ -z "$mirror" ]; then
        echo "scripts/systemd-test.sh: cannot tell this machine's Debian release ($codename) or mirror ($mirror) from /etc/os-release and /etc/apt/sources.list*" >&2
        exit 1
    fi
    echo "scripts/systemd-test.sh: making a $codename root from $mirror in $root (once)"
    rm -rf "$root.new"
    mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl \
        "$codename" "$root.new" "$mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -20 "$work/debootstrap.log" >&2
        echo "scripts/systemd-test.sh: debootstrap failed (log above)" >&2
        exit 1
    }
    echo "$codename $mirror" >"$root.new/etc/hostpulse-test-root"
    rm -rf "$root"
    mv "$root.new" "$root"
fi

# --- boot --------------------------------------------------------------------
# --keep-unit and --register=no: this machine's PID 1 need not be systemd.
# --volatile=overlay: writes go to a tmpfs over the cached root.
systemd-nspawn --quiet -D "$root" --volatile=overlay -b --keep-unit --register=no \
    --private-network -M hostpulse-test --bind-ro="$work/share:/mnt/hostpulse" \
    </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
leader=""
for _ in $(seq 100); do
    leader=$(pgrep -P "$nspawn_pid" | head -1 || true)
    [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ] && break
    leader=""
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$leader" ]; then
    cat "$work/console.log" >&2
    echo "scripts/systemd-test.sh: the container did not start (its console is above)" >&2
    exit 1
fi

# A command inside the container, with its own clean environment.
in_ct() {
    timeout 120 nsenter --target "$leader" --all -- \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
# Until systemd listens on its socket, systemctl cannot even ask.
state=""
for _ in $(seq 60); do
    state=$(in_ct systemctl is-system-running --wait 2>/dev/null || true)
    [ -n "$state" ] && break
    sleep 1
done
case "$state" in
    running | degraded) ;;
    *)
        cat "$work/console.log" >&2
        echo "scripts/systemd-test.sh: the container's systemd did not finish booting ($state)" >&2
        exit 1
        ;;
esac

passed=0
failed=0
check() { # DESCRIPTION, then the command that must succeed
    local what="$1"
    shift
    if "$@" >"$work/check.log" 2>&1; then
        passed=$((passed + 1))
        echo "ok - $what"
        grep -E '^(note|disks):' "$work/check.log" | sed 's/^/    /' || true
    else
        failed=$((failed + 1))
        echo "FAILED - $what"
        sed 's/^/    /' "$work/check.log"
    fi
}
show() { in_ct systemctl show -p "$1" --value hostpulse-server; }
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
    local seconds="$1"
    shift
    for _ in $(seq $((seconds * 2))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    "$@"
}

# --- install: the package's scripts enable and start the unit ----------------
install_and_ready() {
    in_ct dpkg -i /mnt/hostpulse/hostpulse-server.deb
    [ "$(in_ct systemctl is-active hostpulse-server)" = active ]
    in_ct systemctl is-enabled hostpulse-server
}
check "the .deb installs, and the unit is enabled and ready (Type=notify)" install_and_ready

# --- a snapshot with every section filled, and each file system once ----------
snapshot_is_full() {
    # Rates need two samples: wait for the third.
    wait_for 10 sh -c "test \"\$(nsenter --target $leader --all -- curl -sf http://127.0.0.1:9470/api/v1/snapshot | \
        $venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)[\"seq\"] >= 2)')\" = True"
    in_ct curl -sf http://127.0.0.1:9470/api/v1/snapshot >"$work/snapshot.json"
    in_ct sh -c 'cat /proc/$(systemctl show -p MainPID --value hostpulse-server)/mountinfo' >"$work/mountinfo.txt"
    if [ -n "${HOSTPULSE_RECORD_MOUNTINFO:-}" ]; then cp "$work/mountinfo.txt" "$HOSTPULSE_RECORD_MOUNTINFO"; fi
    local sensors=0
    if compgen -G '/sys/class/hwmon/hwmon*/temp*_input' >/dev/null; then sensors=1; fi
    "$venv/bin/python" - "$work/snapshot.json" "$sensors" <<'PY'
import json, sys
sample = json.load(open(sys.argv[1]))
has_sensors = sys.argv[2] == "1"
problems = []
if not sample["cpu"]["per_core_percent"]:
    problems.append("no per-core CPU")
if sample.get("load") is None:
    problems.append("no load average")
if not sample["memory"]["total_bytes"]:
    problems.append("no memory total")
if not sample["networks"]:
    problems.append("no network interface")
if not sample["top_processes"] or not sample["process_count"]:
    problems.append("no processes")
mounts = [d["mount_point"] for d in sample["disks"]]
if "/" not in mounts:
    problems.append(f"the root file system is not among the disks: {mounts}")
sandbox = {"/tmp", "/var/tmp", "/home", "/etc/hostpulse", "/var/lib/hostpulse",
           "/var/lib/private/hostpulse"}
shown = sandbox.intersection(mounts)
if shown:
    problems.append(f"the sandbox's own mounts are listed as disks: {sorted(shown)}")
if has_sensors and not sample["temperatures"]:
    problems.append("the host has sensors, the sample has no temperature")
if not has_sensors:
    print("note: this host has no temperature sensor (no /sys/class/hwmon/*/temp*_input): "
          "temperatures not checked")
print(f"disks: {mounts}")
if problems:
    sys.exit("; ".join(problems))
PY
}
check "a snapshot has every section, and each file system once (no sandbox mounts)" snapshot_is_full

# --- the watchdog restarts a frozen server -----------------------------------
watchdog_restarts() {
    local before
    before=$(show MainPID)
    in_ct sh -c "kill -STOP $before"
    # WatchdogSec=30s, then SIGABRT, TimeoutAbortSec (= TimeoutStopSec=10s)
    # for the stopped process, SIGKILL, RestartSec=2s.
    wait_for 90 sh -c "pid=\$(nsenter --target $leader --all -- systemctl show -p MainPID --value hostpulse-server); \
        [ \"\$pid\" != 0 ] && [ \"\$pid\" != $before ] && \
        [ \"\$(nsenter --target $leader --all -- systemctl is-active hostpulse-server)\" = active ]"
    [ "$(show NRestarts)" -ge 1 ]
    in_ct journalctl -u hostpulse-server -o cat --no-pager | grep -i 'watchdog timeout'
}
check "a frozen server (kill -STOP) is killed by the watchdog and restarted" watchdog_restarts

# --- the token credential ------------------------------------------------------
token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))')
credential() {
    printf '%s\n' "$token" | in_ct sh -c 'umask 077; cat >/etc/hostpulse/token'
    in_ct mkdir -p /etc/systemd/system/hostpulse-server.service.d
    printf '[Service]\nLoadCredential=token:/etc/hostpulse/token\n' |
        in_ct sh -c 'cat >/etc/systemd/system/hostpulse-server.service.d/token.conf'
    in_ct sed -i 's/^bind = .*/bind = "0.0.0.0:9470"/' /etc/hostpulse/server.toml
    # By hand, the check cannot see the credential, and says so.
    in_ct hostpulse-server --config /etc/hostpulse/server.toml --check-config >"$work/by-hand.txt"
    grep -F 'cannot see the systemd credential `token`' "$work/by-hand.txt"
    # As the README says to check it: with the credential.
    in_ct systemd-run --wait --pipe --quiet -p LoadCredential=token:/etc/hostpulse/token \
        hostpulse-server --config /etc/hostpulse/server.toml --check-config >"$work/as-service.txt"
    grep -F 'token = set' "$work/as-service.txt"
    in_ct systemctl daemon-reload
    in_ct systemctl restart hostpulse-server
    local anonymous
    anonymous=$(in_ct curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9470/api/v1/host)
    [ "$anonymous" = 401 ] || { echo "without the token: $anonymous"; return 1; }
    in_ct curl -sf -o /dev/null -H "Authorization: Bearer $token" http://127.0.0.1:9470/api/v1/host
}
check "the token comes from LoadCredential=; --check-config says what it cannot see by hand" credential

# --- a clean stop: every viewer gets 1001 ----------------------------------------
clean_stop() {
    # The viewer runs on this machine, inside the container's network.
    nsenter --target "$leader" --net -- "$venv/bin/python" - "$token" >"$work/viewer.txt" 2>&1 <<'PY' &
import asyncio, sys
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

async def main():
    headers = {"Authorization": f"Bearer {sys.argv[1]}"}
    async with connect("ws://127.0.0.1:9470/ws", additional_headers=headers) as ws:
        await ws.recv()
        print("connected", flush=True)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), timeout=60)
        except ConnectionClosed as closed:
            print(f"close {closed.rcvd.code if closed.rcvd else None}", flush=True)

asyncio.run(main())
PY
    local viewer=$!
    wait_for 15 grep -q connected "$work/viewer.txt" || { kill "$viewer"; cat "$work/viewer.txt"; return 1; }
    in_ct systemctl stop hostpulse-server
    wait "$viewer" || true
    cat "$work/viewer.txt"
    grep -qx 'close 1001' "$work/viewer.txt"
    [ "$(show Result)" = success ] && [ "$(show ExecMainStatus)" = 0 ]
}
check "systemctl stop closes viewers with 1001 (going away) and exits 0" clean_stop

# --- a bad config key: failed at once, the reason at priority err -------------------
bad_key_fails_at_once() {
    in_ct sed -i '1i histroy = 10' /etc/hostpulse/server.toml
    ! in_ct systemctl start hostpulse-server
    # Long enough for RestartSec=2s to have restarted it, were it restarting.
    sleep 4
    [ "$(show ActiveState)" = failed ] && [ "$(show ExecMainStatus)" = 2 ] && [ "$(show NRestarts)" = 0 ] || {
        in_ct systemctl status --no-pager hostpulse-server
        return 1
    }
    in_ct journalctl -u hostpulse-server -p err..err -o cat --no-pager >"$work/errors.txt"
    cat "$work/errors.txt"
    grep -E '^hostpulse-server: configuration error: /etc/hostpulse/server.toml, line 1: `histroy`: unknown key' "$work/errors.txt"
}
check "a bad config key fails the unit at once (exit 2, no restarts), the reason at priority err" bad_key_fails_at_once

echo "note: MemoryMax=$(show MemoryMax) is set but not enforced inside nspawn on this host's cgroup layout: not checked"
echo "systemd-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
