#!/usr/bin/env python3
"""Whole-process timings, interleaved run by run, with CPU time and peak RSS.

    python3 benches/timeit.py SPEC.json OUT.json [--round N]

SPEC.json: [{"name": ..., "cmd": [argv...], "env": {...}?, "runs": k}, ...]. In
round 1, one untimed warm-up run of each command (page cache), then up to max(k) passes: each
pass runs every command that still has runs left once, in an order rotated by the
pass and the round, so that the shared machine's noise falls on all of them alike.
Each run records wall time (perf_counter around fork/exec/wait), user + system CPU
time and peak RSS of the child (os.wait4's rusage). Exit codes are kept; an exit
code of 2 (an error) stops everything.
"""

import json
import os
import subprocess
import sys
import time


def run_once(cmd, env):
    full_env = dict(os.environ, **(env or {}))
    devnull = subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=devnull, stdout=devnull, stderr=devnull, env=full_env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
            "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss * 1024,
            "exit": p.returncode}


def main():
    spec_path, out_path = sys.argv[1], sys.argv[2]
    rnd = int(sys.argv[sys.argv.index("--round") + 1]) if "--round" in sys.argv else 1
    with open(spec_path) as fh:
        spec = json.load(fh)
    results = {b["name"]: {"cmd": b["cmd"], "env": b.get("env", {}), "runs": []} for b in spec}
    for b in spec if rnd == 1 else []:
        r = run_once(b["cmd"], b.get("env"))
        if r["exit"] == 2:
            sys.exit(f"timeit.py: {b['name']} exits 2: {' '.join(b['cmd'])}")
    passes = max(b["runs"] for b in spec)
    for i in range(passes):
        todo = [b for b in spec if b["runs"] > i]
        shift = (i + rnd) % len(todo)
        for b in todo[shift:] + todo[:shift]:
            results[b["name"]]["runs"].append(run_once(b["cmd"], b.get("env")))
        print(f"  pass {i + 1}/{passes}", file=sys.stderr, flush=True)
    with open(out_path, "w") as fh:
        json.dump({"round": rnd, "loadavg": os.getloadavg(), "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
