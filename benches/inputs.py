#!/usr/bin/env python3
"""Inputs for the benchmarks (used by make_inputs.sh). Standard library only.

    python3 benches/inputs.py state PLAN.json STATE.tfstate [--create-before-destroy ADDR ...]
    python3 benches/inputs.py scale SRC.json --to N OUT.json
    python3 benches/inputs.py many OUTDIR --count N PLAN.json...
    python3 benches/inputs.py same-plan A.json B.json
    python3 benches/inputs.py describe PLAN.json

state: stand in for `terraform apply` of a terraform_data-only plan made from an
  empty state: write the terraform.tfstate (format 4) applying it would leave. Why:
  `terraform apply` of thousands of terraform_data instances is quadratic in
  Terraform 1.11 (about 20 minutes for 5,000 on this 2-core machine), while planning
  against a state of that size takes minutes. The benchmark plans are still made by
  `terraform plan` + `terraform show -json`; only their prior state is written here.
  make_inputs.sh proves on 50 resources that this state and a real apply's give the
  same plan (`same-plan`: identical except ids and timestamp).
  terraform_data specifics: `id` becomes a fresh UUID, `output` a copy of `input`;
  `input`, `output`, `triggers_replace` are dynamic attributes stored with their cty
  type, derived from the JSON value as HCL types literals (object, tuple).

scale: a real plan grown to N resource changes by repeating its resource changes
  with fresh addresses (copy k renames resource `name` to `name_rK`; the addresses in
  resource_changes, resource_drift, planned_values and prior_state follow;
  `configuration` is kept as is). The last copy is cut to reach exactly N.

many: N copies of the given real plans, cycled, as OUTDIR/p0001.json ...

same-plan: exit 0 when two plan JSON documents are equal apart from UUIDs and the
  timestamp.

describe: one line of JSON: size, resource changes, action mix.
"""

import argparse
import copy
import json
import math
import os
import random
import re
import shutil
import sys
import uuid

DYNAMIC = ("input", "output", "triggers_replace")
UUID_RE = re.compile(r'"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"')


def load(path):
    with open(path, encoding="utf-8-sig") as fh:
        return json.load(fh)


def dump_compact(value, path):
    # `terraform show -json` writes one compact line.
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(value, fh, separators=(",", ":"), ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)


def walk(module, out):
    for r in module.get("resources") or []:
        out.append(r)
    for child in module.get("child_modules") or []:
        walk(child, out)


# -- state -----------------------------------------------------------------------


def cty_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return ["tuple", [cty_type(x) for x in v]]
    if isinstance(v, dict):
        return ["object", {k: cty_type(x) for k, x in sorted(v.items())}]
    raise ValueError(f"no cty type for {v!r}")


def state_instance(res, cbd, rng):
    attrs = {}
    for k, v in (res.get("values") or {}).items():
        if k == "id":
            continue
        if k in DYNAMIC:
            attrs[k] = None if v is None else {"value": v, "type": cty_type(v)}
        else:
            attrs[k] = v
    attrs["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
    if "input" in attrs:
        attrs["output"] = attrs["input"]
    inst = {}
    if "index" in res:
        inst["index_key"] = res["index"]
    inst["schema_version"] = res.get("schema_version", 0)
    inst["attributes"] = dict(sorted(attrs.items()))
    inst["sensitive_attributes"] = []
    if cbd:
        inst["create_before_destroy"] = True
    return inst


def cmd_state(a):
    plan = load(a.plan)
    prior = []
    walk(((plan.get("prior_state") or {}).get("values") or {}).get("root_module") or {}, prior)
    if prior:
        sys.exit("inputs.py state: the plan must be made from an empty state")
    rng = random.Random(a.seed)
    flat = []
    walk(plan["planned_values"]["root_module"], flat)
    groups = {}
    for r in flat:
        if r.get("type") != "terraform_data" or r.get("mode") != "managed":
            sys.exit(f"inputs.py state: only managed terraform_data is supported, not {r['address']}")
        key_text = f'{r["type"]}.{r["name"]}'
        prefix = r["address"][: r["address"].rfind(key_text)].rstrip(".")
        key = (prefix, r["mode"], r["type"], r["name"])
        if key not in groups:
            g = {"module": prefix} if prefix else {}
            g.update({"mode": r["mode"], "type": r["type"], "name": r["name"],
                      "provider": f'provider["{r["provider_name"]}"]', "instances": []})
            groups[key] = g
        base = f'{prefix + "." if prefix else ""}{key_text}'
        groups[key]["instances"].append(state_instance(r, base in a.create_before_destroy, rng))
    outputs = {}
    for name, o in (plan["planned_values"].get("outputs") or {}).items():
        if "value" in o:
            outputs[name] = {"value": o["value"], "type": cty_type(o["value"])}
    state = {
        "version": 4,
        "terraform_version": plan.get("terraform_version", "1.11.4"),
        "serial": 1,
        "lineage": str(uuid.UUID(int=rng.getrandbits(128))),
        "outputs": outputs,
        "resources": list(groups.values()),
        "check_results": None,
    }
    with open(a.state, "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=2)
        fh.write("\n")


# -- scale -----------------------------------------------------------------------

LAST_SEGMENT = re.compile(r"((?:^|\.)(?:data\.)?[A-Za-z0-9_-]+\.)([A-Za-z0-9_-]+)((?:\[[^\]]*\])?)$")


def renamed_address(address, suffix):
    m = LAST_SEGMENT.search(address)
    if not m:
        return address + suffix
    return address[: m.start(2)] + m.group(2) + suffix + m.group(3)


def fresh_values(obj, suffix):
    """A deep copy whose ids (UUIDs) and instance key strings are new for this copy:
    the same for one resource in every section (prior_state, the change,
    planned_values), different from the other copies, as in a plan of that many
    distinct resources. Without it the copies would be equal values, which
    plangate's parser shares (src/plan/json.rs), flattering the benchmark."""
    text = json.dumps(obj)
    text = UUID_RE.sub(
        lambda m: '"' + str(uuid.uuid5(uuid.NAMESPACE_OID, m.group(0) + suffix)) + '"', text)
    index = obj.get("index")
    if isinstance(index, str) and index:
        text = text.replace(index, index + suffix)
    return json.loads(text)


def renamed(obj, suffix):
    o = fresh_values(obj, suffix)
    if "address" in o:
        o["address"] = renamed_address(o["address"], suffix)
    if "name" in o:
        o["name"] = obj["name"] + suffix
    if o.get("previous_address"):
        o["previous_address"] = renamed_address(o["previous_address"], suffix)
    return o


def scale_module(module, copies, keep):
    """Repeat the resources of a planned_values / prior_state module tree."""
    if not module:
        return
    res = module.get("resources")
    if res:
        out = []
        for k in range(copies):
            for r in res:
                rr = r if k == 0 else renamed(r, f"_r{k}")
                if keep is None or rr["address"] in keep:
                    out.append(rr)
        module["resources"] = out
    for child in module.get("child_modules") or []:
        scale_module(child, copies, keep)


def cmd_scale(a):
    plan = load(a.src)
    rcs = plan.get("resource_changes") or []
    if not rcs:
        sys.exit("inputs.py scale: the plan has no resource_changes")
    copies = math.ceil(a.to / len(rcs))
    out_rcs = []
    for k in range(copies):
        for rc in rcs:
            if len(out_rcs) == a.to:
                break
            out_rcs.append(rc if k == 0 else renamed(rc, f"_r{k}"))
    plan["resource_changes"] = out_rcs
    keep = {rc["address"] for rc in out_rcs}
    if plan.get("resource_drift"):
        plan["resource_drift"] = [d if k == 0 else renamed(d, f"_r{k}")
                                  for k in range(copies) for d in plan["resource_drift"]]
    scale_module((plan.get("planned_values") or {}).get("root_module"), copies, keep)
    scale_module(((plan.get("prior_state") or {}).get("values") or {}).get("root_module"), copies, keep)
    dump_compact(plan, a.out)


# -- many ------------------------------------------------------------------------


def cmd_many(a):
    os.makedirs(a.outdir, exist_ok=True)
    for name in os.listdir(a.outdir):
        if re.fullmatch(r"p\d+\.json", name):
            os.remove(os.path.join(a.outdir, name))
    width = max(4, len(str(a.count)))
    for i in range(a.count):
        src = a.plans[i % len(a.plans)]
        shutil.copyfile(src, os.path.join(a.outdir, f"p{i + 1:0{width}d}.json"))


# -- same-plan / describe --------------------------------------------------------


def normalized(plan):
    plan = dict(plan)
    plan.pop("timestamp", None)
    # Terraform lists relevant_attributes in Go map order: it differs between runs.
    if isinstance(plan.get("relevant_attributes"), list):
        plan["relevant_attributes"] = sorted(plan["relevant_attributes"], key=json.dumps)
    return UUID_RE.sub('"<uuid>"', json.dumps(plan, sort_keys=True))


def cmd_same_plan(a):
    x, y = load(a.a), load(a.b)
    if normalized(x) != normalized(y):
        for k in sorted(set(x) | set(y)):
            if k != "timestamp" and normalized({k: x.get(k)}) != normalized({k: y.get(k)}):
                print(f"differs: {k}", file=sys.stderr)
        sys.exit(1)


def cmd_describe(a):
    plan = load(a.plan)
    mix = {}
    for rc in plan.get("resource_changes") or []:
        key = ",".join(rc["change"]["actions"])
        mix[key] = mix.get(key, 0) + 1
    print(json.dumps({
        "file": a.plan,
        "bytes": os.path.getsize(a.plan),
        "resource_changes": len(plan.get("resource_changes") or []),
        "actions": dict(sorted(mix.items())),
        "terraform_version": plan.get("terraform_version"),
    }, sort_keys=True))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("state")
    s.add_argument("plan")
    s.add_argument("state")
    s.add_argument("--create-before-destroy", action="append", default=[])
    s.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("scale")
    s.add_argument("src")
    s.add_argument("out")
    s.add_argument("--to", type=int, required=True)
    s = sub.add_parser("many")
    s.add_argument("outdir")
    s.add_argument("plans", nargs="+")
    s.add_argument("--count", type=int, required=True)
    s = sub.add_parser("same-plan")
    s.add_argument("a")
    s.add_argument("b")
    s = sub.add_parser("describe")
    s.add_argument("plan")
    a = ap.parse_args(argv)
    {"state": cmd_state, "scale": cmd_scale, "many": cmd_many,
     "same-plan": cmd_same_plan, "describe": cmd_describe}[a.cmd](a)


if __name__ == "__main__":
    main()
