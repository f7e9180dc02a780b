#!/usr/bin/env bash
# Runs every fuzz target of the policy engine for a bounded total time.
#   tests/fuzz/run.sh [SECONDS]   (default 60, split evenly across targets)
# Exits non-zero when a target crashes, panics, times out or leaks past libFuzzer's limits.
# Seed inputs live in tests/fuzz/seeds/<target> (committed); each run fuzzes a temporary copy.
# Only the stable toolchain exists here: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
set -euo pipefail

total="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
targets=(policy_parse policy_evaluate policy_invariants)
per=$(( total / ${#targets[@]} ))
if (( per < 1 )); then per=1; fi

cd "$repo"
cargo fuzz build --fuzz-dir tests/fuzz

status=0
for t in "${targets[@]}"; do
    corpus="tests/fuzz/seeds/$t"
    mkdir -p "$corpus"
    work="$(mktemp -d)"
    cp -r "$corpus/." "$work/"
    echo "fuzzing $t for ${per}s"
    # -timeout: one input taking over 10 s counts as a hang; -rss_limit_mb bounds memory.
    if ! cargo fuzz run --fuzz-dir tests/fuzz "$t" "$work" -- \
        -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        echo "fuzz target $t failed (artifacts under tests/fuzz/artifacts/$t)" >&2
        status=1
    fi
    rm -rf "$work"
done
exit "$status"
