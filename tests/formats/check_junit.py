#!/usr/bin/env python3
"""Read plangate's JUnit XML with junitparser, a real JUnit consumer.

    pip install junitparser
    cargo build
    python3 tests/formats/check_junit.py            # uses target/debug/plangate
    PLANGATE=target/release/plangate python3 tests/formats/check_junit.py

Runs `plangate check -o junit` on the bundled plans (the README's worked example,
policy results, a plan that does not load, sensitive values) and checks what a CI
test report would show: one suite per plan, counts that match the cases, a failure
for every blocked change and failing policy rule, an error for the broken plan, and
no sensitive value anywhere. Exits 1 on the first mismatch, 2 when junitparser is
missing; prints "N passed, 0 failed" at the end.
"""

import os
import subprocess
import sys
import tempfile

try:
    from junitparser import Error, Failure, JUnitXml, Skipped
except ImportError:
    print("junitparser is not installed: pip install junitparser", file=sys.stderr)
    sys.exit(2)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("PLANGATE") or os.path.join(ROOT, "target", "debug", "plangate")
SECRETS = ["hunter2-SECRET-VALUE", "s3cr3t-TOKEN-abc123", "old-hunter1-PASSWORD-xyz789"]
WORKED = [
    "-c", "examples/worked/plangate.hcl", "--env", "staging",
    "--now", "2026-11-23T16:30:00Z", "--author", "dave",
]

passed = 0


def check(cond, what):
    global passed
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    passed += 1


def junit(args, expect_code):
    """Run plangate -o junit --output FILE and parse FILE with junitparser."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.xml")
        r = subprocess.run(
            [BIN, "--color", "never", "check", "-o", "junit", "--output", out, *args],
            cwd=ROOT, capture_output=True, text=True, env=env,
        )
        check(r.returncode == expect_code, f"exit {r.returncode} != {expect_code}: {r.stderr}")
        with open(out, encoding="utf-8") as f:
            raw = f.read()
        return JUnitXml.fromfile(out), raw + r.stdout + r.stderr


def results(case, kind):
    return [r for r in case.result if isinstance(r, kind)]


def suites(xml):
    # A <testsuites> root parses to JUnitXml (iterating its suites).
    return list(xml)


def check_counts(suite):
    cases = list(suite)
    check(suite.tests == len(cases), f"{suite.name}: tests={suite.tests}, {len(cases)} cases")
    failures = sum(1 for c in cases if results(c, Failure))
    errors = sum(1 for c in cases if results(c, Error))
    skipped = sum(1 for c in cases if results(c, Skipped))
    check(suite.failures == failures, f"{suite.name}: failures={suite.failures}, counted {failures}")
    check(suite.errors == errors, f"{suite.name}: errors={suite.errors}, counted {errors}")
    check(suite.skipped == skipped, f"{suite.name}: skipped={suite.skipped}, counted {skipped}")


def main():
    # The worked example, outside the window and without approvals, plus a broken plan.
    xml, _ = junit(WORKED + ["fixtures/plans/mixed.json", "tests/fixtures/plans/invalid.json"], 2)
    ss = suites(xml)
    check([s.name for s in ss] == ["fixtures/plans/mixed.json", "tests/fixtures/plans/invalid.json"],
          f"suites: {[s.name for s in ss]}")
    for s in ss:
        check_counts(s)
    mixed = {(c.classname, c.name): c for c in ss[0]}
    for address in ["terraform_data.database", "terraform_data.cache", "terraform_data.app_server"]:
        c = mixed.get(("approval", address))
        check(c is not None and results(c, Failure), f"approval fails for {address}")
    check(results(mixed[("window", "(whole plan)")], Failure), "the window gate fails")
    check(results(mixed[("protect", "terraform_data.database")], Failure), "protect fails")
    broken = list(ss[1])
    check(len(broken) == 1 and results(broken[0], Error), "the broken plan is an error")

    # Inside the window with alice's approval: nothing fails.
    ok_args = [a if a != "2026-11-23T16:30:00Z" else "2026-11-23T10:00:00Z" for a in WORKED]
    xml, _ = junit(ok_args + ["--approver", "alice", "fixtures/plans/mixed.json"], 0)
    s = suites(xml)[0]
    check_counts(s)
    check(s.failures == 0 and s.errors == 0, f"a passing plan has no failures: {s.failures}")

    # Policy results: one case per rule, the excepted one skipped.
    xml, _ = junit(["--no-builtin", "-p", "tests/fixtures/policies/exception",
                    "-p", "tests/fixtures/policies/warn_only", "fixtures/plans/delete.json"], 1)
    s = suites(xml)[0]
    check_counts(s)
    by_name = {c.name: c for c in s}
    check(results(by_name["main.deny_bar"], Failure), "main.deny_bar fails")
    check(results(by_name["main.deny_foo"], Skipped), "main.deny_foo is excepted")
    check(not by_name["main.warn"].result, "a warning passes")

    # Secrets never reach the report.
    xml, raw = junit(["-p", "tests/fixtures/policies/leak", "fixtures/plans/sensitive.json"], 1)
    for s in suites(xml):
        check_counts(s)
    for secret in SECRETS:
        check(secret not in raw, f"{secret} leaked")
    check("(sensitive)" in raw, "the mask is shown")

    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
