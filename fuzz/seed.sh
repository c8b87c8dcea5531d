#!/usr/bin/env bash
# Copy the repository's fixtures into the fuzz corpora (idempotent: libFuzzer names
# files by content hash after `cargo fuzz cmin`, so re-seeding only adds files back).
# Run from anywhere; afterwards `cargo fuzz cmin <target>` keeps the corpus small.
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # seed <target> <file>...
    local dir="fuzz/corpus/$1"; shift
    mkdir -p "$dir"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$dir/seed-$(echo "$f" | tr '/' '_')"
    done
}
shopt -s nullglob globstar
seed plan_loader fixtures/plans/*.json fixtures/plans/shared/*.json fixtures/other/* tests/fixtures/plans/*
seed config_loader examples/**/plangate.hcl tests/fixtures/configs/**/*.hcl tests/fixtures/codeowners/*.hcl fixtures/tf/plangate.hcl
seed reviews_loader tests/fixtures/reviews/*.json
seed tf_loader fixtures/tf/**/*.tf fixtures/tf/**/*.tfvars fixtures/terraform/**/*.tf fixtures/terraform/**/*.tfvars benches/tf/**/*.tf
du -sh fuzz/corpus/*
