#!/usr/bin/env python3
"""Reference answers of `conftest test` (v0.69 semantics) computed with OPA.

    python3 tests/conformance/conftest_ref.py --policy DIR [--policy DIR ...]
        [--namespace NS ... | --all-namespaces] [--data FILE_OR_DIR ...]
        [--rego-version v0|v1] [--successes] [--documents DOCS.json] PLAN.json [PLAN.json ...]

Prints a JSON array, one entry per (file, namespace), sorted by filename then
namespace; inside an entry failures/warnings/exceptions are sorted by their
canonical JSON text:

    [{"filename": "<path as given>", "namespace": "main",
      "failures":   [{"msg": "...", "metadata": {"query": "data.main.deny", ...}}],
      "warnings":   [...],
      "exceptions": [{"msg": "data.main.exception[_][_] == \\"destroy\\""}]}]

A result that conftest would turn into an error (an object without a string
`msg`, an evaluation error such as a conflict, invalid JSON) gives that entry
an "error" string and no result lists; conftest itself would stop the whole
run there. A load/compile error (bad Rego, conftest's `deny[x] if` check,
bad data) prints {"error": "..."} and exits 2.

The engine is OPA v1.20.2 from the `opa-golib-python-bindings` wheel, installed
and patched (non-strict builtin errors, like conftest) by install_opa.sh into
tests/conformance/.opa/site; OPA_REF_SITE overrides that directory.

What is emulated from conftest's policy/engine.go + output/result.go:
  * policies: every *.rego below each --policy path (hidden files/dirs and
    *_test.rego skipped), compiled together; --rego-version v0 rewrites v0
    syntax to v1 first (rego_v0.py), since the bindings only parse v1;
  * namespaces: package path without the leading "data." (--all-namespaces =
    every package of the loaded modules);
  * for each rule of the namespace's modules whose name matches
    ^(deny|violation)(_[a-zA-Z0-9]+)*$ (failure) or ^warn(_[a-zA-Z0-9]+)*$
    (warning), once per distinct name:
      - exception query  data.<ns>.exception[_][_] == "<name minus deny_/violation_/warn_ prefix>"
        ("" for bare deny/violation/warn); every solution is one exception
        whose msg is the query text, and then the rule's results are dropped;
      - rule query  data.<ns>.<rule>: if the value is an array (a partial set,
        or a complete rule holding an array) each string element is a result
        with metadata {"query": "<rule query>"}; each object element needs a
        string msg, its other keys except _loc become metadata (+ query) and a
        _loc object with file/line becomes "loc"; other element types are
        ignored; a result whose msg is "" counts as a success;
  * input: the plan parsed like Go's encoding/json into float64 numbers and
    round-tripped to OPA (so 1.0 -> 1, 1e21 -> 1e+21);
  * .tf files (--documents): checked on the document hcl2json gives for them,
    which conftest's hcl2 parser is (parser/hcl2: convert.Bytes, then
    json.Unmarshal), so they get the same float64 round trip;
  * data.conftest.file = {"name": basename(abs path), "dir": dirname(abs path)};
  * data files (--data): .json/.yaml/.yml files, a file at the data root, files
    inside a directory under their relative directory path.
"""

import argparse
import decimal
import ctypes
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from rego_v0 import convert_v0_to_v1, V0ConversionError  # noqa: E402

FAILURE_RE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING_RE = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Appended to every query: the plan and data.conftest.file are passed in one
# input document so that the set of query strings stays fixed and the bridge's
# prepared-query cache (one compile per distinct query) is reused across files.
WITH = " with input as input.p with data.conftest.file as input.f"


class LoadError(Exception):
    pass


class EvalError(Exception):
    pass


# --------------------------------------------------------------------------
# JSON with numbers kept as their exact text (OPA/Go json.Number)


class RawNum:
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, RawNum) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return f"RawNum({self.text})"


def loads_raw(text):
    return json.loads(text, parse_int=RawNum, parse_float=RawNum)


def go_float(f):
    """Text Go's encoding/json writes for float64 f (shortest round-trip)."""
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError("non-finite number")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = repr(f)
        if "e" not in s:  # cannot happen for these magnitudes, be safe
            s = "%e" % f
        mant, exp = s.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").lstrip("0") or "0"
        if len(digits) < 2:
            digits = "0" + digits
        s = f"{mant}e{sign}{digits}"
        n = len(s)
        if n >= 4 and s[n - 4] == "e" and s[n - 3] == "-" and s[n - 2] == "0":
            s = s[: n - 2] + s[n - 1]
        return s
    s = format(decimal.Decimal(repr(f)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def dumps(v, indent=None, _level=0):
    """Serialize (dict/list/str/bool/None/RawNum/int/float) to JSON, sorted keys."""
    if isinstance(v, RawNum):
        return v.text
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if indent is None:
        if isinstance(v, dict):
            return "{" + ",".join(
                json.dumps(k, ensure_ascii=False) + ":" + dumps(v[k]) for k in sorted(v)) + "}"
        if isinstance(v, (list, tuple)):
            return "[" + ",".join(dumps(x) for x in v) + "]"
    else:
        pad = " " * (indent * (_level + 1))
        end = " " * (indent * _level)
        if isinstance(v, dict):
            if not v:
                return "{}"
            return "{\n" + ",\n".join(
                pad + json.dumps(k, ensure_ascii=False) + ": " + dumps(v[k], indent, _level + 1)
                for k in sorted(v)) + "\n" + end + "}"
        if isinstance(v, (list, tuple)):
            if not v:
                return "[]"
            return "[\n" + ",\n".join(pad + dumps(x, indent, _level + 1) for x in v) + "\n" + end + "]"
    raise TypeError(f"cannot serialize {type(v)}")


def parse_plan_like_go(raw_bytes):
    """conftest's JSON parser: strip a UTF-8 BOM, encoding/json into `any`
    (numbers become float64); rego.Input then round-trips it through JSON."""
    if raw_bytes[:3] == b"\xef\xbb\xbf":
        raw_bytes = raw_bytes[3:]
    text = raw_bytes.decode("utf-8", errors="replace")
    return json.loads(text, parse_int=float, parse_float=float)


# --------------------------------------------------------------------------
# The OPA bridge (ctypes), without the package's float-lossy JSON decoding


def _load_native():
    site = os.environ.get("OPA_REF_SITE", os.path.join(HERE, ".opa", "site"))
    if os.path.isdir(site):
        sys.path.insert(0, site)
    try:
        from opa_bindings import _native  # noqa: F401
    except ImportError:
        sys.exit("conftest_ref.py: OPA bindings not found; run tests/conformance/install_opa.sh")
    marker = [f for f in os.listdir(site) if f.startswith(".installed-") and f.endswith("-nonstrict")] \
        if os.path.isdir(site) else []
    if not marker:
        sys.exit("conftest_ref.py: the OPA bindings are not the patched non-strict build; "
                 "run tests/conformance/install_opa.sh")
    return _native.load()


_LIB = None


def _lib():
    global _LIB
    if _LIB is None:
        _LIB = _load_native()
    return _LIB


class Bridge:
    def __init__(self):
        self.lib = _lib()
        self.h = self.lib.OpaNew()

    def close(self):
        if self.h:
            self.lib.OpaDestroy(self.h)
            self.h = None

    def _call(self, fn, *args):
        ptr = fn(self.h, *args)
        if not ptr:
            raise EvalError("native call returned NULL")
        try:
            raw = ctypes.string_at(ptr)
        finally:
            self.lib.OpaFreeString(ptr)
        env = loads_raw(raw.decode("utf-8"))
        err = env.get("error")
        if err:
            raise EvalError(f"{err.get('code')}: {err.get('message')}")
        return env

    def add_policy(self, name, src):
        self._call(self.lib.OpaAddPolicy, name.encode(), src.encode())

    def add_data_raw(self, path, raw_json_text):
        self._call(self.lib.OpaAddData, path.encode(), raw_json_text.encode())

    def eval(self, query, input_text=""):
        env = self._call(self.lib.OpaEvalQuery, query.encode(), input_text.encode(), 0, 0)
        return env.get("result") or []


_UTIL = None


def util_eval_value(query, inp):
    """Evaluate `x := <query>` on a policy-less engine with input `inp`."""
    global _UTIL
    if _UTIL is None:
        _UTIL = Bridge()
    rs = _UTIL.eval("x := " + query, dumps(inp))
    if not rs:
        raise EvalError(f"{query} is undefined")
    return rs[0]["bindings"]["x"]


# --------------------------------------------------------------------------
# Loading


def walk_files(paths, keep, what="policy path"):
    """Files given, and the files under the directories given for which `keep(name)`
    holds, in walk order (hidden directories skipped, names sorted)."""
    out = []
    for p in paths:
        if os.path.isfile(p):
            out.append(p)
            continue
        if not os.path.isdir(p):
            raise LoadError(f"{what} {p} does not exist")
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            out.extend(os.path.join(root, f) for f in sorted(files) if keep(f))
    return out


def find_rego_files(paths):
    return walk_files(
        paths,
        lambda f: not f.startswith(".") and f.endswith(".rego") and not f.endswith("_test.rego"),
    )


def term_text(t):
    v = t["value"]
    if t["type"] == "var":
        return v
    if t["type"] == "string":
        return json.dumps(v)
    if t["type"] == "boolean":
        return "true" if v else "false"
    if t["type"] == "null":
        return "null"
    if t["type"] == "number":
        return v.text if isinstance(v, RawNum) else str(v)
    return dumps(v)


def ref_text(terms):
    s = term_text(terms[0])
    for t in terms[1:]:
        if t["type"] == "string" and IDENT_RE.match(t["value"]):
            s += "." + t["value"]
        else:
            s += "[" + term_text(t) + "]"
    return s


def rule_rows(src):
    """1-based line of each top-level rule statement (module.Rules order)."""
    from rego_v0 import _Converter
    try:
        conv = _Converter(src)
        starts = conv.statement_starts()
    except V0ConversionError:
        return []
    rows = []
    for i in starts:
        t = conv.toks[i]
        if t.text in ("package", "import"):
            continue
        rows.append(src.count("\n", 0, t.start) + 1)
    return rows


class Engine:
    def __init__(self, policy_paths, data_paths, rego_version, slow_path=False):
        self.bridge = Bridge()
        self.slow_path = slow_path
        self._file_set = None
        self.modules = []  # (file, namespace, [rule names])
        files = find_rego_files(policy_paths)
        if not files:
            raise LoadError(f"no policies found in {policy_paths}")
        for f in files:
            with open(f, encoding="utf-8") as fh:
                src = fh.read()
            if rego_version == "v0":
                try:
                    src = convert_v0_to_v1(src)
                except V0ConversionError as e:
                    raise LoadError(f"{f}: v0 conversion: {e}")
            try:
                self.bridge.add_policy(f, src)
                mod = util_eval_value("rego.parse_module(input.f, input.s)", {"f": f, "s": src})
            except EvalError as e:
                raise LoadError(f"load: {e}")
            ns = ref_text(mod["package"]["path"])
            ns = ns.replace("data.", "", 1)
            names = []
            rows = rule_rows(src)
            for idx, rule in enumerate(mod.get("rules") or []):
                head = rule["head"]
                name = head.get("name") or ""
                names.append(name)
                # conftest's problematicIf (open-policy-agent/opa#6509)
                ref = head.get("ref") or []
                val = head.get("value")
                if not name and val is not None and ref:
                    ref_name = term_text(ref[0])
                    if (FAILURE_RE.match(ref_name) or WARNING_RE.match(ref_name)) and \
                            val.get("type") == "boolean" and val.get("value") is True:
                        row = rows[idx] if idx < len(rows) else "?"
                        raise LoadError("rule is using 'if' keyword without 'contains' keyword: "
                                        f"rule in {f} at line {row}")
            self.modules.append((f, ns, names))
        for d in data_paths:
            self._load_data(d)
        # compile once now so that compile errors are load errors
        try:
            self.bridge.eval("x := 1")
        except EvalError as e:
            raise LoadError(f"get compiler: {e}")

    def _load_data(self, path):
        items = []
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for f in sorted(files):
                    if os.path.splitext(f)[1] in (".json", ".yaml", ".yml"):
                        rel = os.path.relpath(root, path)
                        prefix = "" if rel == "." else ".".join(rel.split(os.sep))
                        items.append((os.path.join(root, f), prefix))
        elif os.path.isfile(path):
            if os.path.splitext(path)[1] in (".json", ".yaml", ".yml"):
                items.append((path, ""))
        else:
            raise LoadError(f"data path {path} does not exist")
        for f, prefix in items:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
            try:
                if f.endswith(".json"):
                    value = loads_raw(text)
                else:
                    value = util_eval_value("yaml.unmarshal(input)", text)
            except (ValueError, EvalError) as e:
                raise LoadError(f"load documents: {f}: {e}")
            try:
                self.bridge.add_data_raw(prefix, dumps(value))
            except EvalError as e:
                raise LoadError(f"load documents: {f}: {e}")

    def namespaces(self):
        out = []
        for _, ns, _ in self.modules:
            if ns not in out:
                out.append(ns)
        return out

    # -- evaluation ------------------------------------------------------
    def query(self, q, input_text):
        if self.slow_path:
            # verification mode: real data.conftest.file and the plan as input
            wrapper = loads_raw(input_text)
            try:
                self.bridge.add_data_raw("conftest.file", dumps(wrapper["f"])) \
                    if self._file_set != wrapper["f"] else None
            except EvalError:
                raise EvalError("slow path needs a fresh engine per file")
            self._file_set = wrapper["f"]
            try:
                return self.bridge.eval(q, dumps(wrapper["p"]))
            except EvalError as e:
                raise EvalError(f"evaluating policy: {e}")
        try:
            rs = self.bridge.eval(q + WITH, input_text)
        except EvalError as e:
            raise EvalError(f"evaluating policy: {e}")
        return rs

    def check(self, config, fileinfo, namespace):
        rules, rule_count = [], 0
        for _, ns, names in self.modules:
            if ns != namespace:
                continue
            for name in names:
                if not (FAILURE_RE.match(name) or WARNING_RE.match(name)):
                    continue
                rule_count += 1
                if not any(r.lower() == name.lower() for r in rules):  # strings.EqualFold
                    rules.append(name)
        input_text = '{"p":' + dumps(config) + ',"f":' + dumps(fileinfo) + "}"
        failures, warnings, exceptions, successes = [], [], [], 0
        for rule in rules:
            suffix = remove_rule_prefix(rule)
            exq = f"data.{namespace}.exception[_][_] == {json.dumps(suffix)}"
            rule_exceptions = [{"msg": exq} for _ in self.query(exq, input_text)]
            rq = f"data.{namespace}.{rule}"
            results = []
            for r in self.query(rq, input_text):
                for expr in r.get("expressions") or []:
                    val = expr.get("value")
                    values = val if isinstance(val, list) else []
                    if not values:
                        results.append(None)
                        continue
                    for v in values:
                        if isinstance(v, str):
                            results.append({"msg": v, "metadata": {"query": rq}})
                        elif isinstance(v, dict):
                            results.append(new_result(v, rq))
            for res in results:
                if rule_exceptions:
                    continue
                if res is None or res["msg"] == "":
                    successes += 1
                    continue
                (failures if FAILURE_RE.match(rule) else warnings).append(res)
            exceptions.extend(rule_exceptions)
        count = len(failures) + len(warnings) + len(exceptions) + successes
        if count < rule_count:
            successes += rule_count - count
        return failures, warnings, exceptions, successes


def remove_rule_prefix(rule):
    """conftest's removeRulePrefix: the prefixes are trimmed one after the other."""
    if rule in ("violation", "deny", "warn"):
        return ""
    for pre in ("violation_", "deny_", "warn_"):
        if rule.startswith(pre):
            rule = rule[len(pre):]
    return rule


def new_result(obj, query):
    msg = obj.get("msg")
    if not isinstance(msg, str):
        raise EvalError(f'new result: "msg" field must be present and a string: {dumps(obj)}')
    res = {"msg": msg}
    loc = obj.get("_loc")
    if isinstance(loc, dict):
        l = {}
        if isinstance(loc.get("file"), str) and loc["file"] != "":
            l["file"] = loc["file"]
        if isinstance(loc.get("line"), RawNum):
            l["line"] = loc["line"]
        if l:
            res["loc"] = l
    md = {k: v for k, v in obj.items() if k not in ("msg", "_loc")}
    md["query"] = query
    res["metadata"] = md
    return res


# --------------------------------------------------------------------------


def run(policy, namespaces, all_namespaces, data, rego_version, files, with_successes=False,
        slow_path=False, documents=None):
    """Returns (exit_code, json_value).

    slow_path=True is a verification mode: a fresh engine per file with
    data.conftest.file stored as real data and the plan passed as the input
    itself (instead of the `with` modifiers); results must be identical.

    documents: {path: parsed document} for files that are not JSON, such as
    .tf files as conftest's hcl2 parser (hcl2json) gives them; such a file is
    checked on that document (round-tripped through JSON like conftest's
    json.Unmarshal of hcl2json's output), data.conftest.file still names it.
    """
    try:
        engine = Engine(policy, data or [], rego_version)
    except LoadError as e:
        return 2, {"error": str(e)}
    nss = engine.namespaces() if all_namespaces else (namespaces or ["main"])
    out = []
    for path in files:
        if slow_path:
            engine.bridge.close()
            engine = Engine(policy, data or [], rego_version, slow_path=True)
        absp = os.path.abspath(path)
        fileinfo = {"name": os.path.basename(absp), "dir": os.path.dirname(absp)}
        parse_error = None
        try:
            if documents is not None and path in documents:
                raw = json.dumps(documents[path], ensure_ascii=False).encode("utf-8")
            else:
                with open(path, "rb") as fh:
                    raw = fh.read()
            config = parse_plan_like_go(raw)
        except (OSError, ValueError) as e:
            parse_error = f"unmarshal json: {e}"
        for ns in nss:
            entry = {"filename": path, "namespace": ns}
            if parse_error:
                entry["error"] = parse_error
                out.append(entry)
                continue
            configs = config if isinstance(config, list) else [config]
            fa, wa, ex, su = [], [], [], 0
            try:
                for c in configs:
                    f1, w1, e1, s1 = engine.check(c, fileinfo, ns)
                    fa += f1
                    wa += w1
                    ex += e1
                    su += s1
            except EvalError as e:
                entry["error"] = f"check: {e}"
                out.append(entry)
                continue
            key = lambda r: dumps(r)  # noqa: E731
            entry["failures"] = sorted(fa, key=key)
            entry["warnings"] = sorted(wa, key=key)
            entry["exceptions"] = sorted(ex, key=key)
            if with_successes:
                entry["successes"] = su
            out.append(entry)
    out.sort(key=lambda e: (e["filename"], e["namespace"]))
    return 0, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", "-p", action="append", required=True)
    ap.add_argument("--namespace", "-n", action="append")
    ap.add_argument("--all-namespaces", action="store_true")
    ap.add_argument("--data", "-d", action="append")
    ap.add_argument("--rego-version", choices=["v0", "v1"], default="v1")
    ap.add_argument("--successes", action="store_true", help="also report conftest's success count")
    ap.add_argument("--slow-path", action="store_true",
                    help="verification mode: no `with` modifiers, one engine per file")
    ap.add_argument("--documents", metavar="FILE.json",
                    help="a JSON object {path: document}: files named in it are checked on "
                         "that document instead of being read as JSON (e.g. "
                         "fixtures/tf/hcl2json-goldens.json for .tf files)")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    documents = None
    if a.documents:
        with open(a.documents, encoding="utf-8") as fh:
            documents = json.load(fh)
    code, value = run(a.policy, a.namespace, a.all_namespaces, a.data, a.rego_version,
                      a.files, a.successes, a.slow_path, documents)
    print(dumps(value, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
