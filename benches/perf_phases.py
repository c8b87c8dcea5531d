#!/usr/bin/env python3
"""Fold `perf script` output (DWARF call graphs of plangate runs) into phases.

    perf script -i perf.data -F comm,tid,time,ip,sym | python3 benches/perf_phases.py [more files...]

For each phase (a regex on the frames of a sample's stack), the share of samples
whose stack contains it (inclusive), and inside the big phases the functions where
those samples are (self time, inlined frames folded into their caller's line).
"""

import re
import sys
from collections import Counter

PHASES = [
    ("whole run (plangate::main)", r"^plangate::main$"),
    ("plan::load: read, parse, typed view", r"^plangate::plan::load::(load|load_with_limit)$"),
    ("  parse into regorus::Value (serde_json -> regorus)", r"^<regorus::value::Value as serde_core::de::Deserialize>::deserialize$"),
    ("  typed pass: RawPlan (serde)", r"Deserialize for plangate::plan::model::RawPlan>::deserialize$"),
    ("  Plan::new: changes, secrets", r"^plangate::plan::Plan::new$"),
    ("    secrets scan", r"^plangate::plan::sensitive::Secrets::collect$"),
    ("prepare: PolicyEngine::load (parse + analyse policies)", r"^plangate::policy::engine::PolicyEngine::load$"),
    ("check::evaluate", r"^plangate::check::evaluate$"),
    ("  plan digest", r"^plangate::plan::digest::plan_digest$"),
    ("  change-set digest", r"^plangate::plan::digest::changeset_digest$"),
    ("  data.plangate: policy_data", r"^plangate::check::policy_data$"),
    ("    Plan::view (serde_json)", r"^plangate::plan::Plan::view$"),
    ("    serde_json::Value -> regorus::Value", r"^<regorus::value::Value as core::convert::From<serde_json::value::Value>>::from$"),
    ("  policies: PolicyEngine::evaluate", r"^plangate::policy::engine::PolicyEngine::evaluate$"),
    ("    Engine::add_data (merge data.plangate)", r"^regorus::engine::Engine::add_data$"),
    ("    Engine::set_input", r"^regorus::engine::Engine::set_input$"),
    ("    rule evaluation (Engine::eval_rule)", r"^regorus::engine::Engine::eval_rule$"),
    ("  decide", r"^plangate::decision::decide$"),
    ("  PlanReport::new", r"^plangate::report::PlanReport::new$"),
    ("render (report::*::render*)", r"^plangate::report::[a-z_]+::render"),
    ("drop of the Plan (free the parsed input)", r"^core::ptr::drop_in_place<plangate::plan::Plan>$"),
    ("malloc / realloc (all callers)", r"^(malloc|realloc|__libc_malloc|__libc_realloc|_int_malloc)$"),
    ("free (all callers)", r"^(cfree@GLIBC_2.2.5|free|__libc_free|__GI___libc_free|_int_free)$"),
    ("kernel (page faults, mmap)", r"^(exc_page_fault|asm_exc_page_fault|do_syscall_64)$"),
]
DETAIL = ["  plan digest", "  policies: PolicyEngine::evaluate", "plan::load: read, parse, typed view",
          "drop of the Plan (free the parsed input)"]


def samples(stream):
    stack = None
    for line in stream:
        if not line.strip():
            if stack:
                yield stack
            stack = None
            continue
        if not line.startswith(("\t", " ")):
            stack = []
            continue
        parts = line.strip().split(None, 1)
        if stack is not None and len(parts) == 2:
            sym = re.sub(r"\s*\(inlined\)$", "", parts[1])
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            stack.append(sym)
    if stack:
        yield stack


NOISE = re.compile(r"^(core::|alloc::|std::|<core::|<alloc::|<std::|serde_core::__private|<&mut |<serde_core::)")


def callee(stack, r):
    """The first frame below the phase's own frames (walking towards the leaf) that
    is not a closure of it nor generic std/core glue: the step the time is in."""
    idx = max(i for i, fr in enumerate(stack) if r.search(fr))
    top = stack[idx].split("::{{closure}}")[0]
    for fr in reversed(stack[:idx]):
        if fr.startswith(top) or NOISE.search(fr):
            continue
        return fr
    return "(self)"


def main():
    files = sys.argv[1:] or ["-"]
    rx = [(label, re.compile(p)) for label, p in PHASES]
    total = 0
    incl = Counter()
    detail = {d: Counter() for d in DETAIL}
    callees = {d: Counter() for d in DETAIL}
    self_ = Counter()
    for f in files:
        stream = sys.stdin if f == "-" else open(f, encoding="utf-8", errors="replace")
        for st in samples(stream):
            total += 1
            leaf = st[0]
            self_[leaf] += 1
            hit = set()
            for label, r in rx:
                if any(r.search(fr) for fr in st):
                    hit.add(label)
            for label in hit:
                incl[label] += 1
            for d in DETAIL:
                if d in hit:
                    # the first non-allocator, non-inlined-std frame is where time is spent
                    detail[d][leaf] += 1
                    callees[d][callee(st, dict(rx)[d])] += 1
    if not total:
        sys.exit("perf_phases.py: no samples")
    print(f"{total} samples; inclusive share of each phase")
    for label, _ in PHASES:
        print(f"{100 * incl[label] / total:6.1f}%  {label}")
    for d in DETAIL:
        n = incl[d]
        if not n:
            continue
        print(f"\nwithin '{d.strip()}' ({100 * n / total:.1f}% of all): the steps (first callee)")
        for sym, c in callees[d].most_common(10):
            print(f"{100 * c / total:6.1f}%  {sym[:140]}")
        print("  and the leaf functions")
        for sym, c in detail[d].most_common(12):
            print(f"{100 * c / total:6.1f}%  {sym[:140]}")
    print("\ntop self time, whole run")
    for sym, c in self_.most_common(25):
        print(f"{100 * c / total:6.1f}%  {sym[:140]}")


if __name__ == "__main__":
    main()
