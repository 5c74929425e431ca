#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time, and fails on the
# first crash, printing the input and the command that replays it.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [LIBFUZZER_FLAG...]
#   scripts/fuzz.sh             # 20 s per target: the short run CI does
#   scripts/fuzz.sh 3600 -jobs=2 -workers=2
#
# Runs on stable Rust. By default without a sanitizer: cargo-fuzz's coverage
# flags are stable codegen options, and what is fuzzed is safe Rust, where the
# bugs to find are panics (overflow checks and debug assertions are on).
# FUZZ_SANITIZER=address adds AddressSanitizer, for the unsafe code inside
# dependencies, at several times fewer executions per second; -Zsanitizer is
# unstable, so the script then sets RUSTC_BOOTSTRAP=1 (the sanitizer runtimes
# ship with the stable toolchain).
# Installs cargo-fuzz (crates.io) and g++ (Debian, libFuzzer is C++) when missing.
# The corpus grows in fuzz/corpus/<target>/, seeded from shared/tests/golden/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift $(($# > 0 ? 1 : 0))
sanitizer="${FUZZ_SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "scripts/fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
if ! command -v c++ >/dev/null; then
    echo "scripts/fuzz.sh: installing g++"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends g++ >/dev/null
fi

replay="cargo fuzz run --sanitizer $sanitizer"
if [ "$sanitizer" != none ]; then
    # -Zsanitizer on stable rustc. Cargo caches rustc's answers without this
    # variable in the key, so a cached "only on nightly" would outlive it: no cache.
    export RUSTC_BOOTSTRAP=1 CARGO_CACHE_RUSTC_INFO=0
    replay="RUSTC_BOOTSTRAP=1 CARGO_CACHE_RUSTC_INFO=0 $replay"
fi
# Build products beside the caller's (CI keeps them outside the clone).
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz"
fi

# Seeds: every golden vector, in both targets; the first byte picks the codec
# (even: JSON, odd: MessagePack), so JSON seeds start with 'j', MessagePack with 'm'.
targets=$(cargo fuzz list)
for target in $targets; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    for golden in shared/tests/golden/*.json; do
        name=$(basename "$golden" .json)
        { printf j; cat "$golden"; } >"$corpus/golden-$name-json"
        { printf m; xxd -r -p "shared/tests/golden/$name.msgpack.hex"; } >"$corpus/golden-$name-msgpack"
    done
done

for target in $targets; do
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$artifacts"
    before=$(ls "$artifacts")
    echo "== fuzz $target: ${seconds} s, sanitizer $sanitizer"
    # libFuzzer prints a line per input it keeps (thousands a minute) and a
    # dictionary at the end: left out, the periodic "pulse" lines stay.
    if ! cargo fuzz run --sanitizer "$sanitizer" "$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 "$@" 2>&1 |
        grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE) |# Uses: [0-9]+$'; then
        echo "scripts/fuzz.sh: $target failed" >&2
        for found in $(comm -13 <(echo "$before") <(ls "$artifacts")); do
            echo "  input: $artifacts/$found (base64: $(base64 -w0 "$artifacts/$found"))" >&2
            echo "  replay: $replay $target $artifacts/$found" >&2
        done
        exit 1
    fi
done
echo "scripts/fuzz.sh: no crash in $(wc -w <<<"$targets") targets, ${seconds} s each"
