#!/usr/bin/env python3
"""Self-tests of the reference harness (stdlib unittest; needs install_opa.sh).

    python3 tests/conformance/test_harness.py
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import conftest_ref as cr  # noqa: E402
from rego_v0 import convert_v0_to_v1, V0ConversionError  # noqa: E402


class GoFloat(unittest.TestCase):
    def test_like_encoding_json(self):
        self.assertEqual(cr.go_float(-0.0), "-0")
        cases = {
            0.0: "0", 1.0: "1", 1.5: "1.5", 100.0: "100", 1e6: "1000000",
            1e20: "100000000000000000000", 1e21: "1e+21", 1.5e21: "1.5e+21",
            1e-6: "0.000001", 1.5e-7: "1.5e-7", 1e-7: "1e-7", 0.1: "0.1",
            12345678901234567890.0: "12345678901234567000", 1e100: "1e+100", 5e-324: "5e-324",
        }
        for f, want in cases.items():
            self.assertEqual(cr.go_float(f), want, f)


class Prefix(unittest.TestCase):
    def test_remove_rule_prefix(self):
        self.assertEqual(cr.remove_rule_prefix("deny"), "")
        self.assertEqual(cr.remove_rule_prefix("warn"), "")
        self.assertEqual(cr.remove_rule_prefix("violation"), "")
        self.assertEqual(cr.remove_rule_prefix("deny_destroy"), "destroy")
        self.assertEqual(cr.remove_rule_prefix("warn_x_y"), "x_y")
        self.assertEqual(cr.remove_rule_prefix("deny_warn_chain"), "chain")
        self.assertEqual(cr.remove_rule_prefix("violation_deny_x"), "x")
        self.assertEqual(cr.remove_rule_prefix("warn_deny_x"), "deny_x")


class V0(unittest.TestCase):
    def conv(self, src):
        return convert_v0_to_v1(src)

    def test_heads(self):
        src = """package p
deny[msg] {
  msg := "a"
}
deny["b"]
p { true }
q = {"a": {"b": 1}} { true }
r = 1
default s = false
o[k] = v { k := "a"; v := 1 }
f(x) = y { y := x } else = 2 { true }
g(x) { x } else { true }
a.b[x] { x := 1 }
t = x { x := [1, 2][0] }
u { re_match("a", "a") }
"""
        out = self.conv(src)
        for want in ["deny contains msg if {", 'deny contains "b"', "p if { true }",
                     'q = {"a": {"b": 1}} if { true }', "r = 1", "default s = false",
                     'o[k] = v if {', "f(x) = y if { y := x } else = 2 if { true }",
                     "g(x) if { x } else = true if { true }", "a.b contains x if {",
                     "t = x if {", 'regex.match("a", "a")']:
            self.assertIn(want, out)
        self.assertEqual(src.count("\n"), out.count("\n"))
        # and OPA's v1 parser accepts it
        cr.util_eval_value("rego.parse_module(input.f, input.s)", {"f": "x.rego", "s": out})

    def test_already_v1(self):
        src = "package p\nimport rego.v1\ndeny contains 1 if true\n"
        self.assertEqual(self.conv(src), src)
        src2 = "package p\nimport future.keywords\ndeny contains 1 if { true }\np[x] { x := 1 }\n"
        out = self.conv(src2)
        self.assertIn("deny contains 1 if { true }", out)
        self.assertIn("p contains x if { x := 1 }", out)

    def test_unsupported(self):
        with self.assertRaises(V0ConversionError):
            self.conv("package p\np { true } { false }\n")
        with self.assertRaises(V0ConversionError):
            self.conv("package p\np { any([true]) }\n")


class Semantics(unittest.TestCase):
    def run_policy(self, src, plan, **kw):
        import tempfile
        import json
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "p"))
            with open(os.path.join(d, "p", "x.rego"), "w") as fh:
                fh.write(src)
            with open(os.path.join(d, "plan.json"), "w") as fh:
                fh.write(plan if isinstance(plan, str) else json.dumps(plan))
            return cr.run([os.path.join(d, "p")], kw.get("ns"), False, [], kw.get("v", "v1"),
                          [os.path.join(d, "plan.json")], with_successes=True)

    def test_non_strict_builtin_errors(self):
        code, out = self.run_policy(
            'package main\nimport rego.v1\n'
            'deny contains "a" if to_number("x") > 0\n'
            'deny contains "b" if not to_number("x")\n', {})
        self.assertEqual(code, 0)
        self.assertEqual([f["msg"] for f in out[0]["failures"]], ["b"])

    def test_input_numbers_are_float64(self):
        code, out = self.run_policy(
            'package main\nimport rego.v1\n'
            'warn contains sprintf("%v %v %v", [input.a, input.b, input.c]) if true\n'
            'warn contains {"msg": "m", "v": input.b} if true\n',
            '{"a": 1.0, "b": 12345678901234567890, "c": 1e2}')
        msgs = {w["msg"]: w for w in out[0]["warnings"]}
        self.assertIn("1 12345678901234567000 100", msgs)
        self.assertEqual(cr.dumps(msgs["m"]["metadata"]["v"]), "12345678901234567000")

    def test_multi_document_and_successes(self):
        code, out = self.run_policy(
            'package main\nimport rego.v1\n'
            'deny contains "x" if input.bad\n'
            'warn contains "y" if false\n', '[{"bad": true}, {"bad": false}]')
        e = out[0]
        self.assertEqual([f["msg"] for f in e["failures"]], ["x"])
        self.assertEqual(e["successes"], 3)

    def test_file_info(self):
        code, out = self.run_policy(
            'package main\nimport rego.v1\n'
            'warn contains data.conftest.file.name if true\n', {})
        self.assertEqual(out[0]["warnings"][0]["msg"], "plan.json")

    def test_documents_for_tf_files(self):
        # A .tf file is checked on the given (hcl2json) document, never read; its
        # numbers take the float64 round trip; data.conftest.file names the .tf file.
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "p"))
            with open(os.path.join(d, "p", "x.rego"), "w") as fh:
                fh.write('package main\nimport rego.v1\n'
                         'deny contains sprintf("%s %v %v", [data.conftest.file.name, name, n]) if {\n'
                         '  some name\n  some r in input.resource.aws_alb_listener[name]\n'
                         '  n := r.port\n}\n')
            tf = os.path.join(d, "main.tf")  # does not exist
            docs = {tf: {"resource": {"aws_alb_listener": {"a": [{"port": 12345678901234567890}]}}}}
            code, out = cr.run([os.path.join(d, "p")], None, False, [], "v1", [tf],
                               documents=docs)
        self.assertEqual(code, 0)
        self.assertEqual(out[0]["filename"], tf)
        self.assertEqual([f["msg"] for f in out[0]["failures"]],
                         ["main.tf a 12345678901234567000"])


if __name__ == "__main__":
    unittest.main()
