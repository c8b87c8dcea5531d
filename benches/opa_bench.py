#!/usr/bin/env python3
"""OPA, side by side with plangate: the same policies on the same plan, through the
OPA reference engine of tests/conformance (OPA v1.20.2 as a Go c-shared library,
`opa-golib-python-bindings`, installed by tests/conformance/install_opa.sh).

    python3 benches/opa_bench.py doc  --plangate BIN --plan PLAN --out DOC.json
    python3 benches/opa_bench.py eval --suite builtin|basic --plan PLAN [--doc DOC.json]
                                      [--reps N] [--cold N] --out OUT.json
    python3 benches/opa_bench.py once --suite builtin|basic --plan PLAN [--doc DOC.json]

Suites (what OPA evaluates):
  basic    tests/conformance/policies/basic-v1 (package main), exactly as `conftest
           test -p basic-v1 PLAN` queries it: for every deny/violation/warn rule name
           `data.main.exception[_][_] == "<name>"` and `data.main.<name>`; the plan
           is `input`, data.conftest.file = {name, dir}.
  builtin  plangate's embedded library (policies/*.rego, tests excluded) as plangate
           evaluates it: in every package but plangate.lib, `exception` if declared,
           every deny/violation/warn rule, `cap` and `gate`; the plan is `input` and
           `data` holds the same per-plan document plangate builds (data.plangate.
           {plan, summary, changes, outputs, drifted, config, context} and
           data.conftest), taken from plangate itself by `doc` (a tiny policy that
           json.marshal()s it into a warning).

What `eval` times (in one process, engine warm: queries compiled, data loaded):
  per_query  the queries one by one, each given the plan as input: what conftest
             does (it converts the input for every query)
  one_query  all of them in one query (input decoded once, each rule evaluated
             once): the cheapest way to ask OPA the same thing
  decode     `x := 1` with the same input: OPA's cost of receiving the plan
Each time is the native call alone (input text in, result JSON text out); Python
only parses the results afterwards, untimed. Wall time (perf_counter) and the
process's CPU time (process_time: every thread, Go's GC workers included). `cold` times a fresh engine: add the
policies and data, compile, evaluate one_query (load+eval, without the process and
Go runtime start, which `once` includes when timed from outside).
"""

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))

import conftest_ref as ref  # noqa: E402

BASIC = os.path.join(ROOT, "tests", "conformance", "policies", "basic-v1")
BUILTIN = os.path.join(ROOT, "policies")


# -- the data document plangate gives policies -----------------------------------


def cmd_doc(a):
    out = subprocess.run(
        [a.plangate, "check", "-p", os.path.join(BENCH, "policies", "dump"),
         "-n", "plangate_bench_dump", "-o", "json", a.plan],
        capture_output=True, text=True)
    if out.returncode == 2:
        sys.exit(f"opa_bench.py doc: plangate failed:\n{out.stderr}{out.stdout[:2000]}")
    report = json.loads(out.stdout)
    msgs = [w["msg"] for p in report["plans"] for w in p.get("warnings", [])
            if w.get("metadata", {}).get("query", "").startswith("data.plangate_bench_dump.")]
    if len(msgs) != 1:
        sys.exit(f"opa_bench.py doc: expected one dump warning, got {len(msgs)}")
    doc = json.loads(msgs[0])
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"), ensure_ascii=False)


# -- suites -----------------------------------------------------------------------


def rule_names(path, src):
    mod = ref.util_eval_value("rego.parse_module(input.f, input.s)", {"f": path, "s": src})
    ns = ref.ref_text(mod["package"]["path"]).replace("data.", "", 1)
    names = []
    for rule in mod.get("rules") or []:
        head = rule["head"]
        name = head.get("name") or ""
        if not name and head.get("ref"):
            name = ref.term_text(head["ref"][0])
        if name and name not in names:
            names.append(name)
    return ns, names


def is_conftest_rule(name):
    return bool(ref.FAILURE_RE.match(name) or ref.WARNING_RE.match(name))


class Suite:
    """Files, data and queries; everything untimed."""

    def __init__(self, suite, plan, doc):
        self.suite = suite
        if suite == "basic":
            self.files = ref.find_rego_files([BASIC])
        else:
            self.files = sorted(
                os.path.join(BUILTIN, f) for f in os.listdir(BUILTIN)
                if f.endswith(".rego") and not f.endswith("_test.rego"))
        self.sources = []
        by_ns = {}
        for f in self.files:
            with open(f, encoding="utf-8") as fh:
                src = fh.read()
            self.sources.append((f, src))
            ns, names = rule_names(f, src)
            lst = by_ns.setdefault(ns, [])
            lst.extend(n for n in names if n not in lst)
        absp = os.path.abspath(plan)
        fileinfo = {"name": os.path.basename(absp), "dir": os.path.dirname(absp)}
        if suite == "basic":
            self.data = json.dumps({"conftest": {"file": fileinfo}})
        else:
            if not doc:
                sys.exit("opa_bench.py: --doc is required for the builtin suite")
            with open(doc, encoding="utf-8") as fh:
                self.data = fh.read()
        # (label, query) in the order plangate/conftest ask them, and the one query.
        self.queries = []
        parts = []
        for ns in sorted(by_ns):
            names = by_ns[ns]
            if suite == "builtin" and ns == "plangate.lib":
                continue
            rules = sorted(n for n in names if is_conftest_rule(n))
            if suite == "basic" and ns != "main":
                continue
            for rule in rules:
                if suite == "basic" or "exception" in names:
                    q = f"data.{ns}.exception[_][_] == {json.dumps(ref.remove_rule_prefix(rule))}"
                    self.queries.append((f"{ns}.exception:{rule}", q))
                    parts.append(f"[1 | {q}]")
                q = f"data.{ns}.{rule}"
                self.queries.append((f"{ns}.{rule}", q))
                parts.append(f"[v | v := {q}]")
            if suite == "builtin":
                for rule in ("cap", "gate"):
                    if rule in names:
                        q = f"data.{ns}.{rule}"
                        self.queries.append((f"{ns}.{rule}", q))
                        parts.append(f"[v | v := {q}]")
        self.labels = [label for label, _ in self.queries]
        self.one_query = "x := [" + ", ".join(parts) + "]"
        with open(plan, "rb") as fh:
            self.input = fh.read()
        if self.input.startswith(b"\xef\xbb\xbf"):
            self.input = self.input[3:]


class Engine:
    def __init__(self, suite):
        self.lib = ref._lib()
        self.h = self.lib.OpaNew()
        for f, src in suite.sources:
            self._check(self.lib.OpaAddPolicy(self.h, f.encode(), src.encode()))
        self._check(self.lib.OpaAddData(self.h, b"", suite.data.encode()))

    def _check(self, ptr):
        raw = ctypes.string_at(ptr)
        self.lib.OpaFreeString(ptr)
        if b'"error":{' in raw[:200]:
            sys.exit(f"opa_bench.py: OPA error: {raw[:2000].decode()}")
        return raw

    def call(self, query, input_bytes):
        """The native eval alone; returns the raw result envelope."""
        ptr = self.lib.OpaEvalQuery(self.h, query.encode(), input_bytes, 0, 0)
        if not ptr:
            sys.exit("opa_bench.py: native call returned NULL")
        raw = ctypes.string_at(ptr)
        self.lib.OpaFreeString(ptr)
        return raw

    def close(self):
        self.lib.OpaDestroy(self.h)


def result(raw):
    env = json.loads(raw)
    if env.get("error"):
        sys.exit(f"opa_bench.py: OPA error: {env['error']}")
    return env.get("result") or []


def summarize(suite, one_result):
    """Element counts per query from the one_query result (a sanity check against
    plangate's own report)."""
    if not one_result:
        return {}
    values = one_result[0]["bindings"]["x"]
    counts = {}
    for (label, _), v in zip(suite.queries, values):
        if ".exception:" in label:
            counts[label] = len(v)
        else:
            inner = v[0] if v else []
            counts[label] = len(inner) if isinstance(inner, list) else 1
    return counts


def cold_once(suite):
    t0 = time.perf_counter()
    e = Engine(suite)
    raw = e.call(suite.one_query, suite.input)
    t1 = time.perf_counter()
    e.close()
    result(raw)
    return t1 - t0


def cmd_eval(a):
    suite = Suite(a.suite, a.plan, a.doc)
    samples = {"per_query": [], "one_query": [], "decode": [], "cold": []}
    cpu = {k: [] for k in samples}
    # Warm up the library (Go runtime, first engine) before any cold sample.
    cold_once(suite)
    for _ in range(a.cold):
        c0 = time.process_time()
        samples["cold"].append(cold_once(suite))
        cpu["cold"].append(time.process_time() - c0)
    e = Engine(suite)
    # Compile every query once (the bridge caches prepared queries by their text,
    # whatever the input: an empty input is enough and quick).
    for _, q in suite.queries:
        result(e.call(q, b"{}"))
    one = result(e.call(suite.one_query, suite.input))
    result(e.call("x := 1", suite.input))
    kinds = ["per_query", "one_query", "decode"]
    per_query_reps = a.reps if a.per_query_reps is None else a.per_query_reps
    for rep in range(a.reps):
        for kind in kinds[rep % 3:] + kinds[:rep % 3]:
            if kind == "per_query":
                if rep >= per_query_reps:
                    continue
                total = total_cpu = 0.0
                for _, q in suite.queries:
                    c0, t0 = time.process_time(), time.perf_counter()
                    raw = e.call(q, suite.input)
                    total += time.perf_counter() - t0
                    total_cpu += time.process_time() - c0
                    result(raw)
                samples[kind].append(total)
                cpu[kind].append(total_cpu)
            else:
                q = suite.one_query if kind == "one_query" else "x := 1"
                c0, t0 = time.process_time(), time.perf_counter()
                raw = e.call(q, suite.input)
                samples[kind].append(time.perf_counter() - t0)
                cpu[kind].append(time.process_time() - c0)
                result(raw)
    e.close()
    out = {
        "suite": a.suite,
        "plan": a.plan,
        "plan_bytes": len(suite.input),
        "queries": [q for _, q in suite.queries],
        "counts": summarize(suite, one),
        "samples": samples,
        "cpu": cpu,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "opa": "OPA v1.20.2 (opa-golib-python-bindings 0.4.4, non-strict builtin errors)",
    }
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1)


def cmd_once(a):
    suite = Suite(a.suite, a.plan, a.doc)
    print(json.dumps({"load_eval_s": cold_once(suite)}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("doc")
    s.add_argument("--plangate", required=True)
    s.add_argument("--plan", required=True)
    s.add_argument("--out", required=True)
    for name in ("eval", "once"):
        s = sub.add_parser(name)
        s.add_argument("--suite", choices=["builtin", "basic"], required=True)
        s.add_argument("--plan", required=True)
        s.add_argument("--doc")
        if name == "eval":
            s.add_argument("--reps", type=int, default=5)
            s.add_argument("--per-query-reps", type=int,
                           help="repetitions of the (slow) one-by-one queries; default --reps")
            s.add_argument("--cold", type=int, default=3)
            s.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    {"doc": cmd_doc, "eval": cmd_eval, "once": cmd_once}[a.cmd](a)


if __name__ == "__main__":
    main()
