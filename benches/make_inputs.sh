#!/usr/bin/env bash
# Builds the benchmark inputs into benches/data/ (gitignored). Idempotent: an input
# that exists is kept (--force rebuilds everything).
#
#   bash benches/make_inputs.sh [--force]
#
#   data/plan-5k.json    5,000 resource changes. With terraform: a real plan of
#                        benches/tf/ (terraform_data only, offline): `plan` of
#                        phase=before from an empty state, that plan turned into the
#                        state its apply would leave (inputs.py state; a real apply of
#                        5,000 terraform_data takes ~20 min in Terraform 1.11), then
#                        `plan -out` of phase=after against it and `show -json`. The
#                        stand-in is checked on 50 resources against a real apply
#                        (identical plans apart from ids and timestamp).
#                        Without terraform (CI): fixtures/plans/mixed.json scaled up by
#                        repeating its resource changes with fresh addresses.
#   data/plan-50k.json   50,000: plan-5k.json scaled up 10x the same way (a real
#                        50,000-resource `terraform plan` would take hours: planning
#                        is quadratic too, ~4 min for 5,000). PLANGATE_BENCH_REAL_50K=1
#                        makes it with terraform instead.
#   data/many/pNNNN.json 1,000 small real plans: fixtures/plans/*.json and
#                        fixtures/plans/shared/*.json copied in turn.
#   data/inputs.jsonl    what was built: sizes, action mix, how each was made.
#
# Env: TERRAFORM (default `terraform`), PLANGATE_BENCH_NO_TERRAFORM=1 (force the
# fallback), PLANGATE_BENCH_DATA (default benches/data).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
DATA="${PLANGATE_BENCH_DATA:-$BENCH/data}"
TERRAFORM="${TERRAFORM:-terraform}"
PY="${PYTHON:-python3}"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

log() { printf 'make_inputs: %s\n' "$*" >&2; }

mkdir -p "$DATA"
if [[ $FORCE == 1 ]]; then
  rm -rf "$DATA/plan-5k.json" "$DATA/plan-50k.json" "$DATA/many" "$DATA/inputs.jsonl" "$DATA"/*.source
fi

have_terraform() {
  [[ "${PLANGATE_BENCH_NO_TERRAFORM:-0}" != 1 ]] && command -v "$TERRAFORM" >/dev/null 2>&1
}

TMP="$(mktemp -d "${TMPDIR:-/tmp}/plangate-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# A hermetic terraform CLI, as fixtures/terraform/generate.sh.
: >"$TMP/empty.tfrc"
export TF_CLI_CONFIG_FILE="$TMP/empty.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 LC_ALL=C
unset TF_WORKSPACE TF_DATA_DIR TF_LOG TF_LOG_PATH TF_PLUGIN_CACHE_DIR TF_CLI_ARGS \
  TF_CLI_ARGS_init TF_CLI_ARGS_plan TF_CLI_ARGS_apply TF_CLI_ARGS_show 2>/dev/null || true
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^TF_VAR_' || true)

tf() { # tf WORKDIR args...
  local dir="$1"
  shift
  if ! (cd "$dir" && "$TERRAFORM" "$@" -no-color) >>"$dir/terraform.log" 2>&1; then
    log "terraform $* failed in $dir:"
    tail -n 30 "$dir/terraform.log" >&2
    return 1
  fi
}

new_workdir() { # new_workdir NAME -> prints the dir, initialised with benches/tf
  local dir="$TMP/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -R "$BENCH/tf/." "$dir/"
  tf "$dir" init -input=false >/dev/null
  echo "$dir"
}

# real_plan N OUT [--real-apply]: plan phase=after against the phase=before state.
real_plan() {
  local n="$1" out="$2" mode="${3:-}" dir
  dir="$(new_workdir "tf-$n${mode}")"
  if [[ "$mode" == --real-apply ]]; then
    tf "$dir" apply -input=false -auto-approve -var "n=$n" -var phase=before
  else
    tf "$dir" plan -input=false -out=before.tfplan -var "n=$n" -var phase=before
    (cd "$dir" && "$TERRAFORM" show -json before.tfplan) >"$dir/before.json"
    "$PY" "$BENCH/inputs.py" state "$dir/before.json" "$dir/terraform.tfstate" \
      --create-before-destroy terraform_data.worker
  fi
  tf "$dir" plan -input=false -out=after.tfplan -var "n=$n" -var phase=after
  (cd "$dir" && "$TERRAFORM" show -json after.tfplan) >"$out.tmp"
  mv "$out.tmp" "$out"
}

describe() { # describe FILE HOW
  "$PY" - "$1" "$2" "$BENCH/inputs.py" >>"$DATA/inputs.jsonl" <<'PYEOF'
import json, subprocess, sys
path, how, tool = sys.argv[1:]
d = json.loads(subprocess.check_output([sys.executable, tool, "describe", path]))
d["how"] = how
print(json.dumps(d, sort_keys=True))
PYEOF
}

# -- 5,000 -------------------------------------------------------------------------
if [[ ! -f "$DATA/plan-5k.json" ]]; then
  if have_terraform; then
    log "checking the apply stand-in on 50 resources ($("$TERRAFORM" version | head -n 1))"
    real_plan 50 "$TMP/real-50.json" --real-apply
    real_plan 50 "$TMP/synth-50.json"
    if ! "$PY" "$BENCH/inputs.py" same-plan "$TMP/real-50.json" "$TMP/synth-50.json"; then
      log "the state written by inputs.py does not give terraform's plan: fix inputs.py state"
      exit 1
    fi
    log "real 5,000-resource plan with terraform (about 7 minutes)"
    start=$SECONDS
    real_plan 5000 "$DATA/plan-5k.json"
    log "done in $((SECONDS - start)) s"
    describe "$DATA/plan-5k.json" "terraform $("$TERRAFORM" version | head -n 1 | cut -d' ' -f2): plan of benches/tf n=5000 (prior state from inputs.py state, checked against a real apply at n=50)"
  else
    log "no terraform: scaling fixtures/plans/mixed.json to 5,000 resource changes"
    "$PY" "$BENCH/inputs.py" scale "$ROOT/fixtures/plans/mixed.json" "$DATA/plan-5k.json" --to 5000
    describe "$DATA/plan-5k.json" "fixtures/plans/mixed.json (a real terraform plan) scaled to 5000 by inputs.py scale (no terraform binary)"
  fi
fi

# -- 50,000 ------------------------------------------------------------------------
if [[ ! -f "$DATA/plan-50k.json" ]]; then
  if [[ "${PLANGATE_BENCH_REAL_50K:-0}" == 1 ]] && have_terraform; then
    log "real 50,000-resource plan with terraform (hours)"
    real_plan 50000 "$DATA/plan-50k.json"
    describe "$DATA/plan-50k.json" "terraform: plan of benches/tf n=50000"
  else
    log "scaling plan-5k.json to 50,000 resource changes"
    "$PY" "$BENCH/inputs.py" scale "$DATA/plan-5k.json" "$DATA/plan-50k.json" --to 50000
    describe "$DATA/plan-50k.json" "plan-5k.json scaled to 50000 by inputs.py scale (its resource changes repeated 10x with fresh addresses, ids and instance keys)"
  fi
fi

# -- 1,000 small plans -------------------------------------------------------------
if [[ ! -d "$DATA/many" || "$(find "$DATA/many" -name 'p*.json' | wc -l)" -ne 1000 ]]; then
  log "1,000 small real plans"
  mapfile -t small < <(ls "$ROOT"/fixtures/plans/*.json "$ROOT"/fixtures/plans/shared/*.json | sort)
  "$PY" "$BENCH/inputs.py" many "$DATA/many" --count 1000 "${small[@]}"
  total=$(du -sb "$DATA/many" | cut -f1)
  printf '{"file": "%s", "bytes": %s, "plans": 1000, "how": "copies of fixtures/plans/*.json and fixtures/plans/shared/*.json (%s real plans), in turn"}\n' \
    "$DATA/many" "$total" "${#small[@]}" >>"$DATA/inputs.jsonl"
fi

log "inputs in $DATA:"
cat "$DATA/inputs.jsonl" >&2
