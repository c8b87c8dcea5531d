#!/usr/bin/env bash
# Where the time goes in `plangate check` on the 5,000-resource plan: a release build
# with debug symbols (its own target dir, benches/data/target-prof), `perf record`
# with DWARF call graphs over several runs, then the inclusive share of each phase
# and the top self-time symbols (benches/perf_phases.py).
#
#   bash benches/profile.sh [PLAN] [extra plangate args...]
#   RUNS=5 (recordings), NOBUILD=1 (profile the last build), REUSE=1 (analyse the
#   last recordings again)
#
# Output: benches/data/profile/{phases.txt,perf-N.data,script-N.txt}. Needs perf
# (apt-get install linux-perf) and kernel.perf_event_paranoid <= 2.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
DATA="${PLANGATE_BENCH_DATA:-$BENCH/data}"
PLAN="${1:-$DATA/plan-5k.json}"
shift || true
OUT="$DATA/profile"
RUNS="${RUNS:-5}"
mkdir -p "$OUT"

command -v perf >/dev/null || { echo "profile.sh: needs perf" >&2; exit 1; }
[[ -f "$PLAN" ]] || bash "$BENCH/make_inputs.sh"

PG="$DATA/target-prof/release/plangate"
if [[ "${REUSE:-0}" != 1 ]]; then  # REUSE=1: analyse the last recording again
  [[ "${NOBUILD:-0}" == 1 ]] || (cd "$ROOT" && CARGO_TARGET_DIR="$DATA/target-prof" CARGO_PROFILE_RELEASE_DEBUG=true \
    cargo build --release --quiet)
  rm -f "$OUT"/perf-*.data
  for i in $(seq 1 "$RUNS"); do
    perf record -q -F 1000 --call-graph dwarf,32768 -o "$OUT/perf-$i.data" \
      "$PG" check "$@" "$PLAN" >/dev/null 2>&1 || true
  done
fi

# Fold the call graphs into phases (benches/perf_phases.py).
rm -f "$OUT"/script-*.txt
for i in $(seq 1 "$RUNS"); do
  perf script -i "$OUT/perf-$i.data" -F comm,tid,time,ip,sym 2>/dev/null >"$OUT/script-$i.txt"
done
python3 "$BENCH/perf_phases.py" "$OUT"/script-*.txt >"$OUT/phases.txt"
cat "$OUT/phases.txt"
