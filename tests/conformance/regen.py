#!/usr/bin/env python3
"""Regenerate (or --check) tests/conformance/expected/<case>.json.

    python3 tests/conformance/regen.py            # rewrite every golden file
    python3 tests/conformance/regen.py --check    # exit 1 if any golden is stale
    python3 tests/conformance/regen.py basic-v1 helpers   # only these cases

Runs conftest_ref.py's engine in-process for every case of cases.json over the
plans matching --plans (default fixtures/plans/shared/*.json, relative to the
repository root, which is also the working directory used so that the
"filename" fields are those relative paths). Needs install_opa.sh first.

Then every case of hcl_cases.json (`conftest test` on .tf files): the .tf
files under each case's "inputs" are checked on the documents a real build of
hcl2json (conftest's hcl2 parser) gave for them, fixtures/tf/hcl2json-goldens.json
(regenerate that with fixtures/tf/hcl2json-goldens.sh after changing a .tf file).
"""

import argparse
import glob
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import conftest_ref  # noqa: E402


HCL2JSON_GOLDENS = "fixtures/tf/hcl2json-goldens.json"
# Terraform files conftest gives its hcl2 parser (.tofu is left out: plangate lint
# takes it, conftest's extension list is not known to).
TF_EXTENSIONS = (".tf", ".tfvars")


def tf_files(inputs):
    """The .tf/.tfvars files under `inputs` (files or directories), sorted, as
    conftest's directory walk finds them (hidden directories skipped)."""
    try:
        found = conftest_ref.walk_files(inputs, lambda f: f.endswith(TF_EXTENSIONS), "input")
    except conftest_ref.LoadError as e:
        sys.exit(str(e))
    return sorted(set(found))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--plans", default="fixtures/plans/shared/*.json")
    ap.add_argument("--slow-path", action="store_true",
                    help="evaluate without the `with` modifiers (one engine per plan); "
                         "use with --check to verify that shortcut")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    os.chdir(ROOT)
    with open(os.path.join(HERE, "cases.json")) as fh:
        cases = json.load(fh)
    with open(os.path.join(HERE, "hcl_cases.json")) as fh:
        hcl_cases = json.load(fh)
    names = {c["name"] for c in cases + hcl_cases}
    if len(names) != len(cases) + len(hcl_cases):
        sys.exit("case names are not unique across cases.json and hcl_cases.json")
    for n in a.cases:
        if n not in names:
            sys.exit(f"unknown case {n}")
    plans = sorted(glob.glob(a.plans))
    if not plans:
        sys.exit(f"no plans match {a.plans}")
    with open(HCL2JSON_GOLDENS) as fh:
        documents = json.load(fh)
    stale = []
    for c in cases + hcl_cases:
        if a.cases and c["name"] not in a.cases:
            continue
        t0 = time.time()
        files = plans
        if "inputs" in c:
            files = tf_files(c["inputs"])
            missing = [f for f in files if f not in documents]
            if missing or not files:
                sys.exit(f"{c['name']}: no hcl2json document for {missing or c['inputs']} in "
                         f"{HCL2JSON_GOLDENS}; run bash fixtures/tf/hcl2json-goldens.sh")
        code, value = conftest_ref.run(
            c["policy"], c.get("namespaces"), c.get("all", False), c.get("data") or [],
            c.get("rego_version", "v1"), files, slow_path=a.slow_path,
            documents=documents if "inputs" in c else None)
        text = conftest_ref.dumps(value, indent=2) + "\n"
        if bool(c.get("load_error")) != (code == 2):
            print(f"{c['name']}: load_error={c.get('load_error', False)} but exit code {code}: "
                  f"{value.get('error') if isinstance(value, dict) else ''}", file=sys.stderr)
            stale.append(c["name"])
        path = os.path.join(HERE, "expected", c["name"] + ".json")
        old = open(path).read() if os.path.exists(path) else None
        if isinstance(value, list):
            nf = sum(len(e.get("failures", [])) for e in value)
            nw = sum(len(e.get("warnings", [])) for e in value)
            ne = sum(len(e.get("exceptions", [])) for e in value)
            nerr = sum(1 for e in value if "error" in e)
            summary = f"{nf} failures, {nw} warnings, {ne} exceptions, {nerr} errors"
        else:
            summary = "load error"
        status = "ok" if old == text else ("STALE" if a.check else "written")
        print(f"{c['name']:28s} {summary:55s} {status} ({time.time() - t0:.2f}s)")
        if old != text:
            if a.check:
                stale.append(c["name"])
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as fh:
                    fh.write(text)
    if stale:
        print("stale or unexpected: " + ", ".join(sorted(set(stale))), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
