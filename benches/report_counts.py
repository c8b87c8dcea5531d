#!/usr/bin/env python3
"""Read a `plangate check -o json` report on stdin, however large, and print what it
found as one small JSON object: bytes, failures, warnings, and how often each
"rule" value occurs (stage reasons of changes and of the plan, failures, warnings).
Streams: counts keys as they pass, never holds the report."""

import json
import re
import sys



def main():
    size = 0
    counts = {"rule_fields": {}}
    tail = b""
    rule_rx = re.compile(rb'"rule":\s*"([^"]+)"')
    query_rx = re.compile(rb'"query":\s*"data\.[^"]*?\.((?:deny|violation|warn)[A-Za-z0-9_]*)"')
    kinds = {"deny": "failures", "violation": "failures", "warn": "warnings"}
    counts["failures"] = counts["warnings"] = 0
    while True:
        chunk = sys.stdin.buffer.read(1 << 22)
        if not chunk:
            break
        size += len(chunk)
        buf = tail + chunk
        cut = max(buf.rfind(b","), buf.rfind(b"{"), 0)
        body, tail = buf[:cut], buf[cut:]
        for m in rule_rx.finditer(body):
            r = m.group(1).decode()
            counts["rule_fields"][r] = counts["rule_fields"].get(r, 0) + 1
        for m in query_rx.finditer(body):
            kind = kinds[re.match(rb"[a-z]+", m.group(1)).group(0).decode()]
            counts[kind] += 1
    for m in rule_rx.finditer(tail):
        r = m.group(1).decode()
        counts["rule_fields"][r] = counts["rule_fields"].get(r, 0) + 1
    for m in query_rx.finditer(tail):
        kind = kinds[re.match(rb"[a-z]+", m.group(1)).group(0).decode()]
        counts[kind] += 1
    counts["bytes"] = size
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
