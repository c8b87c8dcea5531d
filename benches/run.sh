#!/usr/bin/env bash
# One command for every number in BENCHMARKS.md ("## check"):
#
#   bash benches/run.sh                # inputs, builds, peers, 2 interleaved rounds
#   ROUNDS=4 bash benches/run.sh       # more rounds on a noisy machine
#   QUICK=1 bash benches/run.sh        # 1 round, fewer runs: a smoke test
#
# 1. benches/make_inputs.sh (kept once built);
# 2. `cargo build --release` (plangate) and benches/floor (serde_json parse floor);
# 3. tools: hyperfine (apt-get when missing), the OPA reference engine
#    (tests/conformance/install_opa.sh; without it the OPA rows are left out);
# 4. plangate's JSON reports on the 5k plan, and data.plangate for OPA;
# 5. ROUNDS rounds; in each: benches/timeit.py runs every plangate and floor command
#    interleaved run by run (wall time, user+sys CPU time and peak RSS of each run,
#    from wait4), hyperfine on the single small plan, then the OPA evals
#    (benches/opa_bench.py);
# 6. benches/report.py: medians over all rounds, ratios against the targets, into
#    benches/data/results/<stamp>/summary.md (printed at the end).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
DATA="${PLANGATE_BENCH_DATA:-$BENCH/data}"
PY="${PYTHON:-python3}"
ROUNDS="${ROUNDS:-2}"
QUICK="${QUICK:-0}"
if [[ $QUICK == 1 ]]; then ROUNDS=1; fi
# runs per round: 5k plan, 5k with basic-v1, 50k plan, 1,000 plans, single small plan
# (timeit.py), single small plan (hyperfine), OPA evals
R5K=$([[ $QUICK == 1 ]] && echo 2 || echo 4)
RBASIC=$([[ $QUICK == 1 ]] && echo 1 || echo 2)
R50K=1
RMANY=$([[ $QUICK == 1 ]] && echo 1 || echo 3)
RSMALL=$([[ $QUICK == 1 ]] && echo 5 || echo 20)
RHF=$([[ $QUICK == 1 ]] && echo 10 || echo 40)
ROPA=$([[ $QUICK == 1 ]] && echo 1 || echo 3)

log() { printf '\n== %s\n' "$*" >&2; }

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$DATA/results/$STAMP"

log "inputs"
bash "$BENCH/make_inputs.sh"
mkdir -p "$OUT"
ln -sfn "$STAMP" "$DATA/results/latest"

log "builds"
(cd "$ROOT" && cargo build --release --quiet)
cargo build --release --quiet --manifest-path "$BENCH/floor/Cargo.toml"
# Snapshots: target/release is shared with whoever else builds in this tree, and a
# rebuild in the middle of a run would mix two binaries.
mkdir -p "$OUT/bin"
cp "$ROOT/target/release/plangate" "$OUT/bin/plangate"
cp "$BENCH/floor/target/release/plangate-bench-floor" "$OUT/bin/floor"
PG="$OUT/bin/plangate"
FLOOR="$OUT/bin/floor"

log "tools"
if ! command -v hyperfine >/dev/null && [[ $(id -u) == 0 ]]; then
  apt-get update -qq >/dev/null && apt-get install -y -qq hyperfine >/dev/null
fi
command -v hyperfine >/dev/null || { echo "run.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
OPA=1
if ! bash "$ROOT/tests/conformance/install_opa.sh" >&2; then
  echo "run.sh: OPA reference engine unavailable: OPA rows left out" >&2
  OPA=0
fi

P5K="$DATA/plan-5k.json"
P50K="$DATA/plan-50k.json"
MANY="$DATA/many"
SMALL="$ROOT/fixtures/plans/mixed.json"
BASIC="$ROOT/tests/conformance/policies/basic-v1"

# Threads for the 1,000-plan run: --jobs when plangate has it, else rayon's variable.
if "$PG" check --help 2>/dev/null | grep -q -- '--jobs'; then
  J1=("$PG" check --jobs 1 "$MANY")
  J2=("$PG" check --jobs 2 "$MANY")
else
  J1=(env RAYON_NUM_THREADS=1 "$PG" check "$MANY")
  J2=(env RAYON_NUM_THREADS=2 "$PG" check "$MANY")
fi

# name|runs per round|command (word-split: no spaces inside arguments)
BENCHES=(
  "check-5k-builtin|$R5K|$PG check $P5K"
  "check-5k-nobuiltin|$R5K|$PG check --no-builtin $P5K"
  "check-5k-basic|$RBASIC|$PG check -p $BASIC $P5K"
  "check-5k-basic-only|$RBASIC|$PG check --no-builtin -p $BASIC $P5K"
  "floor-5k|$R5K|$FLOOR $P5K"
  "check-50k-builtin|$R50K|$PG check $P50K"
  "floor-50k|$R50K|$FLOOR $P50K"
  "many-1thread|$RMANY|${J1[*]}"
  "many-2threads|$RMANY|${J2[*]}"
  "check-small|$RSMALL|$PG check $SMALL"
)
spec() { # the BENCHES as timeit.py's JSON spec
  "$PY" - "${BENCHES[@]}" <<'PYEOF'
import json, sys
out = []
for b in sys.argv[1:]:
    name, runs, cmd = b.split("|", 2)
    argv = cmd.split()
    env = {}
    if argv[0] == "env":
        argv.pop(0)
        while "=" in argv[0]:
            k, v = argv.pop(0).split("=", 1)
            env[k] = v
    out.append({"name": name, "runs": int(runs), "cmd": argv, "env": env})
print(json.dumps(out, indent=1))
PYEOF
}

log "machine"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -sr)"
  echo "rustc: $(rustc --version)"
  echo "plangate: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- src policies Cargo.toml Cargo.lock || echo ' + uncommitted changes in src/policies')"
  echo "plangate binary sha256: $(sha256sum "$PG" | cut -c1-16)"
  echo "hyperfine: $(hyperfine --version)"
  echo "rounds: $ROUNDS"
} | tee "$OUT/machine.txt" >&2
cp "$DATA/inputs.jsonl" "$OUT/inputs.jsonl"

log "reports (what each engine found, to compare)"
# Only counts are kept: a report can be huge (see BENCHMARKS.md, basic-v1 on 5k).
report_counts() { # report_counts NAME plangate-args...
  local name="$1"
  shift
  "$PG" check -o json "$@" | "$PY" "$BENCH/report_counts.py" >"$OUT/counts-$name.json" || true
}
report_counts 5k-builtin "$P5K"
report_counts 5k-basic-only --no-builtin -p "$BASIC" "$P5K"

if [[ $OPA == 1 ]]; then
  log "data.plangate for OPA (from plangate, benches/policies/dump)"
  "$PY" "$BENCH/opa_bench.py" doc --plangate "$PG" --plan "$P5K" --out "$DATA/doc-5k.json"
fi

spec >"$OUT/spec.json"
for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS"
  "$PY" "$BENCH/timeit.py" "$OUT/spec.json" "$OUT/timeit-r$round.json" --round "$round"
  # hyperfine too for the single small plan: many runs, its own statistics
  hyperfine -N -i --warmup 3 --runs "$RHF" --style none \
    --export-json "$OUT/hf-check-small-r$round.json" "$PG check $SMALL" >/dev/null
  printf '  hyperfine: check-small, %s runs\n' "$RHF" >&2
  if [[ $OPA == 1 ]]; then
    "$PY" "$BENCH/opa_bench.py" eval --suite builtin --plan "$P5K" --doc "$DATA/doc-5k.json" \
      --reps "$ROPA" --per-query-reps 1 --cold 1 --out "$OUT/opa-builtin-r$round.json"
    printf '  OPA: built-in library\n' >&2
    "$PY" "$BENCH/opa_bench.py" eval --suite basic --plan "$P5K" \
      --reps "$ROPA" --per-query-reps 1 --cold 1 --out "$OUT/opa-basic-r$round.json"
    printf '  OPA: basic-v1\n' >&2
  fi
done

log "summary"
"$PY" "$BENCH/report.py" "$OUT" | tee "$OUT/summary.md"
echo >&2
echo "results: $OUT (benches/data/results/latest)" >&2
