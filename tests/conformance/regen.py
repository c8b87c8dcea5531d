#!/usr/bin/env python3
"""Regenerate (or --check) tests/conformance/expected/<case>.json.

    python3 tests/conformance/regen.py            # rewrite every golden file
    python3 tests/conformance/regen.py --check    # exit 1 if any golden is stale
    python3 tests/conformance/regen.py basic-v1 helpers   # only these cases

Runs conftest_ref.py's engine in-process for every case of cases.json over the
plans matching --plans (default fixtures/plans/shared/*.json, relative to the
repository root, which is also the working directory used so that the
"filename" fields are those relative paths). Needs install_opa.sh first.
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
    names = {c["name"] for c in cases}
    for n in a.cases:
        if n not in names:
            sys.exit(f"unknown case {n}")
    plans = sorted(glob.glob(a.plans))
    if not plans:
        sys.exit(f"no plans match {a.plans}")
    stale = []
    for c in cases:
        if a.cases and c["name"] not in a.cases:
            continue
        t0 = time.time()
        code, value = conftest_ref.run(
            c["policy"], c.get("namespaces"), c.get("all", False), c.get("data") or [],
            c.get("rego_version", "v1"), plans, slow_path=a.slow_path)
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
