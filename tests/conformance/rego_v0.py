"""Source-to-source rewrite of Rego v0 modules into Rego v1 syntax.

The OPA bindings used by conftest_ref.py only parse Rego v1 (the bridge has no
rego-version option). Rego v0 and v1 differ only in syntax plus a few
compile-time checks, so a v0 module is evaluated by rewriting it exactly like
`opa fmt --v0-v1` would for the constructs conftest libraries use:

    deny[msg] { ... }          ->  deny contains msg if { ... }
    deny["x"]                  ->  deny contains "x"
    p { ... }                  ->  p if { ... }
    p = v { ... }              ->  p = v if { ... }
    p[k] = v { ... }           ->  p[k] = v if { ... }
    f(x) = y { ... }           ->  f(x) = y if { ... }
    ... } else = v { ... }     ->  ... } else = v if { ... }
    ... } else { ... }         ->  ... } else = true if { ... }
    re_match(p, s)             ->  regex.match(p, s)   (deprecated builtin)

Edits are made in place on the original text (no newline is added or
removed) so row numbers in error messages and locations stay the same.
Statements that already use `if`/`contains` (v0 with `future.keywords`
imports) are left alone, and so is a module with `import rego.v1`.

Not supported (raises V0ConversionError): several bodies on one rule
(`p { a } { b }`), v0 keywords-as-identifiers (`in`, `if`, `contains`,
`every` used as names), and deprecated builtins other than re_match.
"""

import re

__all__ = ["convert_v0_to_v1", "V0ConversionError"]


class V0ConversionError(Exception):
    pass


_DEPRECATED_UNSUPPORTED = {
    "any", "all", "set_diff", "cast_array", "cast_set", "cast_string",
    "cast_boolean", "cast_null", "cast_object", "net.cidr_overlap",
}

_TOKEN_RE = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f]+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|==|!=|<=|>=|[{}\[\]().,;:=<>+\-*/%|&!])
    """,
    re.VERBOSE,
)


class _Tok:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    def __repr__(self):
        return f"{self.kind}:{self.text!r}"


def _tokenize(src):
    toks, pos = [], 0
    while pos < len(src):
        m = _TOKEN_RE.match(src, pos)
        if not m:
            raise V0ConversionError(f"cannot tokenize at offset {pos}: {src[pos:pos+20]!r}")
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            toks.append(_Tok(kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return toks


_OPEN = {"{": "}", "[": "]", "(": ")"}


class _Converter:
    def __init__(self, src):
        self.src = src
        self.toks = _tokenize(src)
        self.edits = []  # (start, end, replacement)

    # -- helpers ---------------------------------------------------------
    def tok(self, i):
        return self.toks[i] if i < len(self.toks) else None

    def text(self, i):
        t = self.tok(i)
        return t.text if t else None

    def skip_nl(self, i):
        while i < len(self.toks) and self.toks[i].kind == "nl":
            i += 1
        return i

    def match_close(self, i):
        """i is an opening bracket; return index of its matching close."""
        stack = []
        j = i
        while j < len(self.toks):
            t = self.toks[j]
            if t.kind == "op" and t.text in _OPEN:
                stack.append(_OPEN[t.text])
            elif t.kind == "op" and t.text in ("}", "]", ")"):
                if not stack or stack[-1] != t.text:
                    raise V0ConversionError(f"unbalanced {t.text!r} at offset {t.start}")
                stack.pop()
                if not stack:
                    return j
            j += 1
        raise V0ConversionError("unbalanced brackets at end of module")

    def parse_term(self, i):
        """Parse one head-value term starting at i; return index after it."""
        i = self.skip_nl(i)
        t = self.tok(i)
        if t is None:
            raise V0ConversionError("missing rule value")
        if t.kind == "op" and t.text == "-":
            i += 1
            t = self.tok(i)
        if t.kind == "op" and t.text in _OPEN:
            i = self.match_close(i) + 1
        elif t.kind in ("string", "raw", "number", "ident"):
            i += 1
        else:
            raise V0ConversionError(f"unexpected {t.text!r} in rule value at offset {t.start}")
        # postfix: .name, [..], (..)
        while True:
            t = self.tok(i)
            if t is None or t.kind == "nl":
                return i
            if t.kind == "op" and t.text == "." and self.tok(i + 1) and self.tok(i + 1).kind == "ident":
                i += 2
            elif t.kind == "op" and t.text in ("[", "("):
                i = self.match_close(i) + 1
            else:
                return i

    # -- main ------------------------------------------------------------
    def statement_starts(self):
        """Indices of tokens that start a top-level statement."""
        starts, depth, at_line_start = [], 0, True
        for i, t in enumerate(self.toks):
            if t.kind == "nl":
                at_line_start = True
                continue
            if depth == 0 and at_line_start and t.kind == "ident" and t.text != "else":
                starts.append(i)
            at_line_start = False
            if t.kind == "op" and t.text in _OPEN:
                depth += 1
            elif t.kind == "op" and t.text in ("}", "]", ")"):
                depth -= 1
        return starts

    def convert_rule(self, i, end):
        toks = self.toks
        # v1-style statement already (future.keywords): leave untouched
        depth = 0
        for j in range(i, end):
            t = toks[j]
            if t.kind == "op" and t.text in _OPEN:
                depth += 1
            elif t.kind == "op" and t.text in ("}", "]", ")"):
                depth -= 1
            elif depth == 0 and t.kind == "ident" and t.text in ("if", "contains"):
                return
        # head ref: name(.name | [..])*
        j = i + 1
        ref_parts, last_bracket = 1, None
        while j < end:
            t = toks[j]
            if t.kind == "op" and t.text == "." and j + 1 < end and toks[j + 1].kind == "ident":
                j += 2
                ref_parts += 1
                last_bracket = None
            elif t.kind == "op" and t.text == "[":
                close = self.match_close(j)
                last_bracket = (j, close)
                ref_parts += 1
                j = close + 1
            else:
                break
        has_args = False
        if j < end and toks[j].kind == "op" and toks[j].text == "(":
            has_args = True
            j = self.match_close(j) + 1
        has_value = False
        if j < end and toks[j].kind == "op" and toks[j].text in ("=", ":="):
            has_value = True
            j = self.parse_term(j + 1)
        # partial set head: p[x] with no args and no value
        if last_bracket is not None and not has_args and not has_value:
            o, c = last_bracket
            self.edits.append((toks[o].start, toks[o].end, " contains "))
            self.edits.append((toks[c].start, toks[c].end, ""))
        # bodies and else branches
        nbodies = 0
        while True:
            k = self.skip_nl(j)
            if k >= end:
                return
            t = toks[k]
            if t.kind == "op" and t.text == "{":
                if nbodies > 0:
                    raise V0ConversionError(
                        f"rule with several bodies at offset {toks[i].start} is not supported")
                self.edits.append((t.start, t.start, "if "))
                nbodies += 1
                j = self.match_close(k) + 1
            elif t.kind == "ident" and t.text == "else":
                k2 = k + 1
                if k2 < end and toks[k2].kind == "op" and toks[k2].text in ("=", ":="):
                    k2 = self.parse_term(k2 + 1)
                else:
                    self.edits.append((t.end, t.end, " = true"))
                k3 = self.skip_nl(k2)
                if k3 >= end or toks[k3].text != "{":
                    raise V0ConversionError(f"else without body at offset {t.start}")
                self.edits.append((toks[k3].start, toks[k3].start, "if "))
                j = self.match_close(k3) + 1
                nbodies = 1
            else:
                raise V0ConversionError(
                    f"unexpected {t.text!r} after rule head at offset {t.start}")

    def run(self):
        # deprecated builtins
        for k, t in enumerate(self.toks):
            nxt = self.tok(k + 1)
            if t.kind == "ident" and nxt is not None and nxt.text == "(":
                prev = self.tok(k - 1)
                dotted = prev is not None and prev.text == "."
                if not dotted and t.text == "re_match":
                    self.edits.append((t.start, t.end, "regex.match"))
                elif not dotted and t.text in _DEPRECATED_UNSUPPORTED:
                    raise V0ConversionError(f"deprecated builtin {t.text} is not supported")
        starts = self.statement_starts()
        for n, s in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(self.toks)
            kw = self.toks[s].text
            if kw in ("package", "import", "default"):
                continue
            self.convert_rule(s, end)
        out = self.src
        for start, stop, rep in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            out = out[:start] + rep + out[stop:]
        return out


def _imports_rego_v1(src):
    return re.search(r"^\s*import\s+rego\.v1\s*$", src, re.MULTILINE) is not None


def convert_v0_to_v1(src):
    """Return the Rego v1 rendering of Rego v0 module source `src`."""
    if _imports_rego_v1(src):
        return src
    return _Converter(src).run()


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys
    print(convert_v0_to_v1(open(sys.argv[1]).read()), end="")
