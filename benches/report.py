#!/usr/bin/env python3
"""Summarize one benches/run.sh result directory as Markdown (stdout) and
summary.json: medians over every run of every round, ratios, the issue's targets.

    python3 benches/report.py benches/data/results/latest

Wall time is what the targets name; CPU time (user + system of the process, every
thread) is shown beside it because the machine is shared: when other work runs,
wall time grows for every contender while CPU time mostly does not.
"""

import glob
import json
import os
import statistics
import sys


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load(out):
    runs = {}
    loadavg = []
    for f in sorted(glob.glob(os.path.join(out, "timeit-r*.json"))):
        with open(f) as fh:
            d = json.load(fh)
        loadavg.append(d["loadavg"][0])
        for name, r in d["results"].items():
            runs.setdefault(name, []).extend(r["runs"])
    hf = []
    for f in sorted(glob.glob(os.path.join(out, "hf-check-small-r*.json"))):
        with open(f) as fh:
            hf.extend(json.load(fh)["results"][0]["times"])
    opa = {}
    for f in sorted(glob.glob(os.path.join(out, "opa-*-r*.json"))):
        with open(f) as fh:
            d = json.load(fh)
        s = opa.setdefault(d["suite"], {"wall": {}, "cpu": {}, "counts": d["counts"],
                                        "queries": len(d["queries"]), "maxrss": []})
        s["maxrss"].append(d.get("maxrss_kb", 0) * 1024)
        for k, v in d["samples"].items():
            s["wall"].setdefault(k, []).extend(v)
        for k, v in (d.get("cpu") or {}).items():
            s["cpu"].setdefault(k, []).extend(v)
    return runs, hf, opa, loadavg


def fmt(x):
    if x is None:
        return "n/a"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x * 1000:.0f} ms" if x >= 0.1 else f"{x * 1000:.1f} ms"


def main():
    out = sys.argv[1]
    runs, hf, opa, loadavg = load(out)
    inputs = {}
    with open(os.path.join(out, "inputs.jsonl")) as fh:
        for line in fh:
            d = json.loads(line)
            inputs[os.path.basename(d["file"])] = d

    def m(name, key):
        return median([r[key] for r in runs.get(name, [])])

    def cnt(name):
        return len(runs.get(name, []))

    L = []
    L.append("### Inputs\n")
    L.append("| input | size | resource changes | action mix | how it was made |")
    L.append("|---|---:|---:|---|---|")
    for key in ("plan-5k.json", "plan-50k.json", "many"):
        d = inputs.get(key)
        if not d:
            continue
        mix = ", ".join(f"{k} {v}" for k, v in (d.get("actions") or {}).items())
        what = d.get("resource_changes") or f"{d.get('plans')} plans"
        L.append(f"| `{key}` | {d['bytes'] / 1e6:.1f} MB | {what} | {mix} | {d['how']} |")

    floor_w, floor_c = m("floor-5k", "wall"), m("floor-5k", "cpu")
    L.append("\n### 5,000-resource plan (medians)\n")
    L.append("| what | wall | CPU (user+sys) | runs | wall / floor | CPU / floor |")
    L.append("|---|---:|---:|---:|---:|---:|")

    def row(label, w, c, n):
        rw = f"{w / floor_w:.1f}x" if w and floor_w else ""
        rc = f"{c / floor_c:.1f}x" if c and floor_c else ""
        L.append(f"| {label} | {fmt(w)} | {fmt(c)} | {n} | {rw} | {rc} |")

    for name, label in (
        ("check-5k-builtin", "plangate `check` (built-in library), whole process"),
        ("check-5k-nobuiltin", "plangate `check --no-builtin` (no policy at all), whole process"),
        ("check-5k-basic", "plangate `check -p basic-v1` (built-in + conftest-style), whole process"),
        ("check-5k-basic-only", "plangate `check --no-builtin -p basic-v1`, whole process"),
        ("floor-5k", "floor: read + `serde_json::from_str::<Value>`, whole process"),
    ):
        row(label, m(name, "wall"), m(name, "cpu"), cnt(name))
    for suite, label in (("builtin", "built-in library"), ("basic", "basic-v1")):
        o = opa.get(suite)
        if not o:
            continue
        w, c = o["wall"], o["cpu"]
        row(f"OPA eval, {label}: one query (input decoded once)", median(w["one_query"]),
            median(c.get("one_query", [])), len(w["one_query"]))
        row(f"OPA eval, {label}: the {o['queries']} queries one by one (as conftest asks)",
            median(w["per_query"]), median(c.get("per_query", [])), len(w["per_query"]))
        row(f"OPA, {label}: receiving the plan as input alone (`x := 1`)", median(w["decode"]),
            median(c.get("decode", [])), len(w["decode"]))
        row(f"OPA load + eval, {label}: fresh engine, policies + data, compile, one query",
            median(w["cold"]), median(c.get("cold", [])), len(w["cold"]))

    L.append("\n### Targets (issue #4)\n")
    L.append("| target | measured (wall; CPU in brackets) | |")
    L.append("|---|---|---|")

    def verdict(ok):
        return "met" if ok else "**not met**"

    pg_w, pg_c = m("check-5k-builtin", "wall"), m("check-5k-builtin", "cpu")
    ob = opa.get("builtin")
    if pg_w and ob:
        ow, oc = median(ob["wall"]["one_query"]), median(ob["cpu"].get("one_query", []))
        L.append(f"| 5k, built-in library: whole process ≤ 1/10 of OPA's eval | plangate {fmt(pg_w)} "
                 f"vs OPA eval {fmt(ow)} (one query): **{pg_w / ow:.2f}x** of OPA "
                 f"[CPU {fmt(pg_c)} vs {fmt(oc)}: {pg_c / oc:.2f}x] | {verdict(pg_w <= ow / 10)} |")
    pb_w, pb_c = m("check-5k-basic-only", "wall"), m("check-5k-basic-only", "cpu")
    oc_ = opa.get("basic")
    if pb_w and oc_:
        ow, oc = median(oc_["wall"]["one_query"]), median(oc_["cpu"].get("one_query", []))
        L.append(f"| (the same for basic-v1 alone) | plangate {fmt(pb_w)} vs OPA eval {fmt(ow)}: "
                 f"{pb_w / ow:.2f}x [CPU {fmt(pb_c)} vs {fmt(oc)}: {pb_c / oc:.2f}x] | "
                 f"{verdict(pb_w <= ow / 10)} |")
    if pg_w and floor_w:
        L.append(f"| 5k, built-in library: ≤ 3x the serde_json floor | {fmt(pg_w)} vs {fmt(floor_w)}: "
                 f"**{pg_w / floor_w:.1f}x** [CPU {fmt(pg_c)} vs {fmt(floor_c)}: {pg_c / floor_c:.1f}x] | "
                 f"{verdict(pg_w <= 3 * floor_w)} |")
    w50, c50 = m("check-50k-builtin", "wall"), m("check-50k-builtin", "cpu")
    f50w, f50c = m("floor-50k", "wall"), m("floor-50k", "cpu")
    if w50:
        L.append(f"| 50k: under 3 s | **{fmt(w50)}** [CPU {fmt(c50)}], {cnt('check-50k-builtin')} runs; "
                 f"floor {fmt(f50w)} [{fmt(f50c)}] | {verdict(w50 < 3)} |")
    size50 = inputs["plan-50k.json"]["bytes"]
    r50, rf50 = m("check-50k-builtin", "maxrss"), m("floor-50k", "maxrss")
    if r50:
        L.append(f"| 50k: peak RSS under 8x the file ({size50 / 1e6:.0f} MB) | **{r50 / 1e6:.0f} MB = "
                 f"{r50 / size50:.1f}x** (the floor's `serde_json::Value`: {rf50 / 1e6:.0f} MB = "
                 f"{rf50 / size50:.1f}x) | {verdict(r50 < 8 * size50)} |")
    size5 = inputs["plan-5k.json"]["bytes"]
    r5, rf5 = m("check-5k-builtin", "maxrss"), m("floor-5k", "maxrss")
    if r5:
        L.append(f"| (5k peak RSS, for reference) | {r5 / 1e6:.0f} MB = {r5 / size5:.1f}x the file "
                 f"(floor {rf5 / 1e6:.0f} MB = {rf5 / size5:.1f}x) | |")
    m1w, m2w = m("many-1thread", "wall"), m("many-2threads", "wall")
    m1c, m2c = m("many-1thread", "cpu"), m("many-2threads", "cpu")
    if m1w and m2w:
        L.append(f"| 1,000 small plans in one invocation: ≥ 400 plans/s | **{1000 / m2w:.0f} plans/s** "
                 f"with 2 threads ({fmt(m2w)}), {1000 / m1w:.0f} with 1 ({fmt(m1w)}); CPU {m1c:.2f} ms "
                 f"per plan with 1 thread | {verdict(1000 / m2w >= 400)} |")
        L.append(f"| 2 threads ≥ 1.6x one | **{m1w / m2w:.2f}x** (CPU: {fmt(m1c)} with 1 thread, "
                 f"{fmt(m2c)} with 2) | {verdict(m1w / m2w >= 1.6)} |")
    sw, sc = m("check-small", "wall"), m("check-small", "cpu")
    if sw:
        hfm = median(hf)
        L.append(f"| single small plan, whole process: < 20 ms | **{fmt(sw)}** [CPU {fmt(sc)}], "
                 f"{cnt('check-small')} runs; hyperfine {fmt(hfm)} ({len(hf)} runs); "
                 f"`fixtures/plans/mixed.json` | {verdict(sw < 0.020)} |")

    if opa:
        L.append("\nWhat each engine found on the 5k plan (OPA: elements per rule in its one-query "
                 "result; plangate: its JSON report):\n")
        for suite, d in opa.items():
            nz = {k: v for k, v in d["counts"].items() if v}
            L.append(f"- OPA {suite}: {json.dumps(nz)}")
    for name in ("5k-builtin", "5k-basic-only"):
        p = os.path.join(out, f"counts-{name}.json")
        if not os.path.exists(p) or not os.path.getsize(p):
            continue
        with open(p) as fh:
            c = json.load(fh)
        L.append(f"- plangate {name}: {c['failures']} failures, {c['warnings']} warnings; JSON report "
                 f"{c['bytes'] / 1e6:.1f} MB; `rule` values in it: {json.dumps(c['rule_fields'])}")

    with open(os.path.join(out, "machine.txt")) as fh:
        machine = fh.read().strip()
    L.append("\nMachine and build:\n\n```\n" + machine +
             f"\nload average (1 min) at the end of each round: {', '.join(f'{x:.1f}' for x in loadavg)}\n```")
    print("\n".join(L))
    summary = {
        "wall_median_s": {k: m(k, "wall") for k in runs},
        "cpu_median_s": {k: m(k, "cpu") for k in runs},
        "maxrss_median_bytes": {k: m(k, "maxrss") for k in runs},
        "runs": {k: cnt(k) for k in runs},
        "hyperfine_check_small_median_s": median(hf),
        "opa": {s: {"wall": {k: median(v) for k, v in d["wall"].items()},
                    "cpu": {k: median(v) for k, v in d["cpu"].items()}} for s, d in opa.items()},
    }
    with open(os.path.join(out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
