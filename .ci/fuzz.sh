#!/usr/bin/env bash
# CI smoke run of the cargo-fuzz targets (see RELIABILITY.md, "Fuzzing"): install
# cargo-fuzz if missing, build every target, then run each for SMOKE_SECONDS (15 s by
# default; the targets side by side, one per core) starting from the committed
# corpus. Any crash, hang (> 10 s on one input) or memory blow-up (> 2 GB) fails the
# script; the input that caused it is left in fuzz/artifacts/<target>/ and printed.
#
# Only stable Rust is needed: cargo-fuzz passes nightly `-Z` flags (sanitizer,
# coverage instrumentation), which RUSTC_BOOTSTRAP=1 lets stable rustc accept.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export RUSTC_BOOTSTRAP=1
SMOKE_SECONDS="${SMOKE_SECONDS:-15}"
# address (default): ASan, whose runtime ships with stable's rust-std on
# x86_64-unknown-linux-gnu. Set FUZZ_SANITIZER=none where it is missing.
SANITIZER="${FUZZ_SANITIZER:-address}"
# FUZZ_DEV=1: an unoptimised build (--dev), half the build time for a third of the
# executions per second: enough for a smoke run, not for a campaign.
BUILD=(--sanitizer "$SANITIZER")
if [[ "${FUZZ_DEV:-0}" == 1 ]]; then BUILD+=(--dev); fi
TARGETS=(plan_loader config_loader reviews_loader tf_loader)
declare -A DICT=([plan_loader]=json [config_loader]=hcl [reviews_loader]=json [tf_loader]=tf)

start=$SECONDS
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

echo "== cargo fuzz build (${BUILD[*]})"
(cd fuzz && cargo fuzz build "${BUILD[@]}")

# Run from a scratch copy of the corpus: a smoke run must not add files to the
# committed one (new inputs are kept by hand, after `cargo fuzz cmin`).
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Targets run side by side, one per core (libFuzzer is single-threaded), each from
# its own copy of the corpus; their results are printed in order afterwards.
JOBS="${FUZZ_JOBS:-$(nproc)}"
fuzz_one() { # <target>: exit status in $scratch/<target>.rc
    local t="$1" rc=0
    mkdir -p "$scratch/$t" "fuzz/artifacts/$t"
    cp -r "fuzz/corpus/$t/." "$scratch/$t/"
    (cd fuzz && cargo fuzz run "${BUILD[@]}" "$t" "$scratch/$t" -- \
        -max_total_time="$SMOKE_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -dict="dict/${DICT[$t]}.dict" -print_final_stats=1 -close_fd_mask=1 \
        2>"$scratch/$t.log") || rc=$?
    echo "$rc" >"$scratch/$t.rc"
}
echo "== fuzz ${TARGETS[*]} for ${SMOKE_SECONDS}s each, $JOBS at a time"
running=0
for t in "${TARGETS[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
    fuzz_one "$t" &
    running=$((running + 1))
done
wait
failed=()
for t in "${TARGETS[@]}"; do
    echo "== fuzz $t"
    if [ "$(cat "$scratch/$t.rc" 2>/dev/null || echo 1)" != 0 ]; then
        failed+=("$t")
        tail -n 60 "$scratch/$t.log"
        echo "!! $t crashed; reproducer: $(ls -t "fuzz/artifacts/$t" | head -n 1 | sed "s|^|fuzz/artifacts/$t/|")"
        echo "   reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $t <that file>"
    else
        grep -E '^stat::number_of_executed_units|^Done' "$scratch/$t.log" || true
    fi
done

# The minimised reproducers of crashes found before must stay fixed.
for t in "${TARGETS[@]}"; do
    dir="fuzz/regressions/$t"
    compgen -G "$dir/*" >/dev/null || continue
    echo "== regressions: $t"
    if ! (cd fuzz && cargo fuzz run "${BUILD[@]}" "$t" "../$dir"/* 2>"$scratch/$t.reg.log"); then
        failed+=("$t (regressions)")
        tail -n 40 "$scratch/$t.reg.log"
    fi
done

echo "== fuzz smoke run took $((SECONDS - start))s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]}" >&2
    exit 1
fi
