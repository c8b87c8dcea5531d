#!/usr/bin/env bash
# CI step: the pre-commit hooks of this repository, run by the real `pre-commit`.
#
#  1. installs pre-commit from PyPI into a virtualenv;
#  2. snapshots this working tree (tracked and untracked, not ignored files) into a
#     throwaway git repository, so uncommitted work is what gets tested;
#  3. creates a fixture repository with two commits, one whose .tf passes the
#     built-in lint rules and one that adds an unpinned module;
#  4. runs `pre-commit try-repo <snapshot> plangate-lint --files ...` on each commit
#     and asserts pass and fail, then `plangate-test` on a .rego policy with tests.
#
# pre-commit builds plangate with `cargo install` (language: rust): several minutes
# on a cold cache (about 20 on a loaded 2-core machine), so this is a CI step, not a
# cargo test. Needs python3 (venv),
# git, cargo, and PyPI / crates.io access. Set KEEP=1 to keep the temp directory.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d)"
if [[ "${KEEP:-}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; fi
echo "precommit: working in $WORK"

export PRE_COMMIT_HOME="$WORK/pre-commit-home"
export GIT_AUTHOR_NAME=plangate GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=plangate GIT_COMMITTER_EMAIL=ci@example.invalid
export GIT_CONFIG_NOSYSTEM=1
# try-repo installs the hook in a fresh store each time (3 cargo installs here): one
# target dir shares the compiled dependencies between them. Point
# PLANGATE_PRECOMMIT_TARGET_DIR at a persistent directory to share them across runs.
export CARGO_TARGET_DIR="${PLANGATE_PRECOMMIT_TARGET_DIR:-$WORK/cargo-target}"
# The hook's speed is not under test: build it unoptimised, which takes a fraction
# of a release build (pre-commit runs `cargo install`, whose profile is release).
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-0}"
export CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-false}"
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-256}"

echo "== installing pre-commit from PyPI"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
PC="$WORK/venv/bin/pre-commit"
"$PC" --version

echo "== snapshot of $REPO"
SNAP="$WORK/plangate"
mkdir -p "$SNAP"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$REPO" && xargs -0 -r cp --parents -t "$SNAP" 2>/dev/null || true)
git -C "$SNAP" init -q
git -C "$SNAP" add -A
git -C "$SNAP" commit -q -m snapshot
test -f "$SNAP/.pre-commit-hooks.yaml"

echo "== fixture repository"
FIX="$WORK/infra"
mkdir -p "$FIX"
git -C "$FIX" init -q
cat > "$FIX/main.tf" <<'TF'
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

module "vpc" {
  source = "git::https://example.com/acme/terraform-vpc.git?ref=v2.1.0"
}
TF
git -C "$FIX" add main.tf
git -C "$FIX" commit -q -m "passes: pinned module"

run_hook() { # <expected: pass|fail> <hook> <args...>
  local expect="$1"; shift
  local out rc=0
  out="$(cd "$FIX" && "$PC" try-repo "$SNAP" "$@" --verbose --color never 2>&1)" || rc=$?
  echo "$out" | sed 's/^/    /'
  if [[ "$expect" == pass && $rc -ne 0 ]]; then
    echo "FAIL: expected '$*' to pass, exit $rc" >&2; exit 1
  fi
  if [[ "$expect" == fail && $rc -eq 0 ]]; then
    echo "FAIL: expected '$*' to fail" >&2; exit 1
  fi
  LAST_OUT="$out"
}

echo "== commit 1: plangate-lint passes"
run_hook pass plangate-lint --files main.tf

echo "== commit 2: an unpinned module, plangate-lint fails"
cat > "$FIX/network.tf" <<'TF'
module "dns" {
  source = "github.com/acme/terraform-dns"
}
TF
git -C "$FIX" add network.tf
git -C "$FIX" commit -q -m "fails: unpinned module"
run_hook fail plangate-lint --files main.tf network.tf
grep -q "module-pinned" <<<"$LAST_OUT" || { echo "FAIL: no module-pinned finding" >&2; exit 1; }
grep -q "network.tf:2:3" <<<"$LAST_OUT" || { echo "FAIL: finding not at network.tf:2:3" >&2; exit 1; }

echo "== plangate-test on a .rego policy and its test"
mkdir -p "$FIX/policy"
cat > "$FIX/policy/tags.rego" <<'REGO'
package main

deny contains msg if {
	some name
	input.resource.aws_s3_bucket[name][_]
	not input.resource.aws_s3_bucket[name][_].tags
	msg := sprintf("aws_s3_bucket.%s has no tags", [name])
}
REGO
cat > "$FIX/policy/tags_test.rego" <<'REGO'
package main_test

import data.main

test_untagged_bucket if {
	count(main.deny) == 1 with input as {"resource": {"aws_s3_bucket": {"b": [{}]}}}
}
REGO
git -C "$FIX" add policy
git -C "$FIX" commit -q -m "policy with a test"
run_hook pass plangate-test --files policy/tags.rego policy/tags_test.rego

echo "precommit: OK (pass, fail and plangate-test as expected)"
