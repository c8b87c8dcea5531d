//! The walk from hcl-edit's syntax tree to the hcl2json document, applying the rules
//! of tmccombs/hcl2json `convert/convert.go` (which conftest's `hcl2` parser calls)
//! node by node. The hclsyntax node each case corresponds to is named in comments.

use std::collections::HashMap;
use std::ops::Range;

use hcl::edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::template::{Directive, Element, Template};
use hcl::edit::Span;
use serde_json::{Map, Value};

use super::{Item, ItemKind, ParseError, Seg};

type Spans = HashMap<Vec<Seg>, Range<usize>>;
type Addresses = Vec<(String, Range<usize>)>;

pub(super) struct Converter<'a> {
    src: &'a str,
    items: Vec<Item>,
    spans: Spans,
    addresses: Addresses,
}

impl<'a> Converter<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Converter {
            src,
            items: Vec::new(),
            spans: HashMap::new(),
            addresses: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> (Vec<Item>, Spans, Addresses) {
        (self.items, self.spans, self.addresses)
    }

    /// `convertBody`: blocks first, then attributes (an attribute replaces a block of
    /// the same name, as in hcl2json).
    pub(super) fn body(
        &mut self,
        body: &Body,
        path: &[Seg],
        depth: usize,
    ) -> Result<Value, ParseError> {
        let mut out = Map::new();
        for s in body.iter() {
            if let Structure::Block(b) = s {
                self.block(b, &mut out, path, depth)?;
            }
        }
        for s in body.iter() {
            if let Structure::Attribute(a) = s {
                let key = a.key.as_str().to_string();
                let mut p = path.to_vec();
                p.push(Seg::Key(key.clone()));
                let span = a.span().unwrap_or_default();
                self.items.push(Item {
                    kind: ItemKind::Attribute,
                    span: span.clone(),
                    path: p.clone(),
                    depth,
                });
                self.spans.insert(p.clone(), span);
                let v = self.expr(&a.value, &p);
                out.insert(key, v);
            }
        }
        Ok(Value::Object(out))
    }

    /// `convertBlock`: labels nest as objects, the last level is an array of bodies.
    fn block(
        &mut self,
        b: &Block,
        out: &mut Map<String, Value>,
        path: &[Seg],
        depth: usize,
    ) -> Result<(), ParseError> {
        let span = b.span().unwrap_or_default();
        let ident = b.ident.as_str();
        let mixed = || {
            ParseError {
            message: format!(
                "the block `{ident}` appears with different numbers of labels (or beside an attribute of that name); conftest's hcl2 document cannot represent that"
            ),
            offset: span.start,
            len: ident.len(),
            help: "give every `{ident}` block the same number of labels, as Terraform requires",
        }
        };
        let mut p = path.to_vec();
        let mut cur = out;
        let mut key = ident.to_string();
        for label in &b.labels {
            p.push(Seg::Key(key.clone()));
            self.spans.entry(p.clone()).or_insert_with(|| span.clone());
            let entry = cur
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            cur = match entry {
                Value::Object(m) => m,
                _ => return Err(mixed()),
            };
            key = label.as_str().to_string();
        }
        p.push(Seg::Key(key.clone()));
        let index = match cur.get(&key) {
            None => 0,
            Some(Value::Array(a)) => a.len(),
            Some(_) => return Err(mixed()),
        };
        self.spans.entry(p.clone()).or_insert_with(|| span.clone());
        p.push(Seg::Index(index));
        self.spans.insert(p.clone(), span.clone());
        self.items.push(Item {
            kind: ItemKind::Block,
            span: span.clone(),
            path: p.clone(),
            depth,
        });
        if depth == 0 {
            let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
            let address = match (ident, labels.as_slice()) {
                ("resource", [t, n]) => Some(format!("{t}.{n}")),
                ("data", [t, n]) => Some(format!("data.{t}.{n}")),
                ("module", [n]) => Some(format!("module.{n}")),
                ("variable", [n]) => Some(format!("var.{n}")),
                ("output", [n]) => Some(format!("output.{n}")),
                ("provider", [n]) => Some(format!("provider.{n}")),
                _ => None,
            };
            if let Some(a) = address {
                self.addresses.push((a, span.clone()));
            }
        }
        let value = self.body(&b.body, &p, depth + 1)?;
        match cur.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(a) => a.push(value),
            _ => return Err(mixed()),
        }
        Ok(())
    }

    fn text(&self, e: &Expression) -> String {
        match e.span() {
            Some(r) => self.src[r].to_string(),
            None => e.to_string(),
        }
    }

    /// Any expression hcl2json does not convert: `"${<source>}"`.
    fn wrap(&self, e: &Expression) -> String {
        format!("${{{}}}", self.text(e))
    }

    /// `convertExpression`.
    fn expr(&mut self, e: &Expression, path: &[Seg]) -> Value {
        match e {
            // LiteralValueExpr
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => number(n.value()),
            // TemplateExpr that IsStringLiteral
            Expression::String(s) => Value::String(escape(s.value())),
            // TupleConsExpr
            Expression::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let mut p = path.to_vec();
                        p.push(Seg::Index(i));
                        if let Some(r) = x.span() {
                            self.spans.insert(p.clone(), r);
                        }
                        self.expr(x, &p)
                    })
                    .collect(),
            ),
            // ObjectConsExpr
            Expression::Object(obj) => {
                let mut m = Map::new();
                for (k, v) in obj.iter() {
                    let key = self.key(k);
                    let mut p = path.to_vec();
                    p.push(Seg::Key(key.clone()));
                    if let (Some(ks), Some(vs)) = (key_span(k), v.expr().span()) {
                        self.spans.insert(p.clone(), ks.start..vs.end);
                    }
                    let value = self.expr(v.expr(), &p);
                    m.insert(key, value);
                }
                Value::Object(m)
            }
            // A template that is one interpolation is a TemplateWrapExpr: its inner
            // expression is converted as an expression.
            Expression::StringTemplate(t) => match single_interpolation(t) {
                Some(inner) => self.expr(inner, path),
                None => Value::String(self.template(t, true)),
            },
            Expression::HeredocTemplate(h) => Value::String(self.template(&h.template, false)),
            // UnaryOpExpr: folded when applied to a literal.
            Expression::UnaryOp(u) => match (u.operator.value(), &u.expr) {
                (UnaryOperator::Neg, Expression::Number(n)) => {
                    negate(n.value()).unwrap_or_else(|| Value::String(self.wrap(e)))
                }
                (UnaryOperator::Not, Expression::Bool(b)) => Value::Bool(!*b.value()),
                _ => Value::String(self.wrap(e)),
            },
            _ => Value::String(self.wrap(e)),
        }
    }

    /// `convertKey`: a bare name or a traversal is its source text; anything else is
    /// converted as a string part.
    fn key(&mut self, k: &ObjectKey) -> String {
        match k {
            ObjectKey::Ident(i) => i.as_str().to_string(),
            ObjectKey::Expression(e @ Expression::Variable(_)) => self.text(e),
            ObjectKey::Expression(e @ Expression::Traversal(t))
                if matches!(t.expr, Expression::Variable(_)) =>
            {
                self.text(e)
            }
            ObjectKey::Expression(e) => self.string_part(e),
        }
    }

    /// `convertTemplate` for a template that is not a single interpolation. `quoted`:
    /// the template is a quoted string (not a heredoc), where backslash escapes apply.
    fn template(&mut self, t: &Template, quoted: bool) -> String {
        self.template_in(t, quoted, false)
    }

    fn template_in(&mut self, t: &Template, quoted: bool, in_directive: bool) -> String {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => {
                    // hcl-edit 0.10 leaves the text inside `%{if}`/`%{for}` of a quoted
                    // string unescaped (`\"` stays two characters): apply the escapes
                    // when the value is still the raw source text.
                    let raw = s.span().map(|r| &self.src[r]);
                    if quoted && in_directive && raw == Some(s.value().as_str()) {
                        out.push_str(&escape(&unescape_quoted(s.value())));
                    } else {
                        out.push_str(&escape(s.value()));
                    }
                }
                Element::Interpolation(i) => {
                    let s = self.string_part(&i.expr);
                    out.push_str(&s);
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        out.push_str("%{if ");
                        out.push_str(&self.text(&d.if_expr.cond_expr));
                        out.push('}');
                        let t = self.template_in(&d.if_expr.template, quoted, true);
                        out.push_str(&t);
                        if let Some(e) = &d.else_expr {
                            let f = self.template_in(&e.template, quoted, true);
                            if !f.is_empty() {
                                out.push_str("%{else}");
                                out.push_str(&f);
                            }
                        }
                        out.push_str("%{endif}");
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        out.push_str("%{for ");
                        if let Some(k) = &f.key_var {
                            out.push_str(k.as_str());
                            out.push_str(", ");
                        }
                        out.push_str(f.value_var.as_str());
                        out.push_str(" in ");
                        out.push_str(&self.text(&f.collection_expr));
                        out.push('}');
                        let body = self.template_in(&f.template, quoted, true);
                        out.push_str(&body);
                        out.push_str("%{endfor}");
                    }
                },
            }
        }
        out
    }

    /// `convertStringPart`: the expression of an interpolation (or an object key) as
    /// template text.
    fn string_part(&mut self, e: &Expression) -> String {
        match e {
            Expression::Bool(b) => b.value().to_string(),
            Expression::Number(n) => number_text(n.value()),
            Expression::String(s) => escape(s.value()),
            Expression::StringTemplate(t) => match single_interpolation(t) {
                Some(inner) => self.string_part(inner),
                None => self.template(t, true),
            },
            Expression::HeredocTemplate(h) => self.template(&h.template, false),
            // ConditionalExpr: rebuilt as an `if` directive.
            Expression::Conditional(c) => {
                let mut out = format!("%{{if {}}}", self.text(&c.cond_expr));
                let t = self.string_part(&c.true_expr);
                out.push_str(&t);
                let f = self.string_part(&c.false_expr);
                if !f.is_empty() {
                    out.push_str("%{else}");
                    out.push_str(&f);
                }
                out.push_str("%{endif}");
                out
            }
            _ => self.wrap(e),
        }
    }
}

fn single_interpolation(t: &Template) -> Option<&Expression> {
    match t.as_single_element() {
        Some(Element::Interpolation(i)) => Some(&i.expr),
        _ => None,
    }
}

fn key_span(k: &ObjectKey) -> Option<Range<usize>> {
    match k {
        ObjectKey::Ident(i) => i.span(),
        ObjectKey::Expression(e) => e.span(),
    }
}

/// hcl2json (since its fix for escape sequences) writes a literal `${` and `%{` back
/// in their escaped form.
fn escape(s: &str) -> String {
    if s.contains("${") || s.contains("%{") {
        s.replace("${", "$${").replace("%{", "%%{")
    } else {
        s.to_string()
    }
}

/// HCL's quoted-string escapes: `\\`, `\"`, `\n`, `\r`, `\t`, `\uNNNN`,
/// `\UNNNNNNNN`, and `$${` / `%%{`.
fn unescape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, u @ ('u' | 'U'))) => {
                    let n = if u == 'u' { 4 } else { 8 };
                    let hex = s.get(i + 2..i + 2 + n).unwrap_or("");
                    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) if hex.len() == n => {
                            out.push(ch);
                            for _ in 0..n {
                                chars.next();
                            }
                        }
                        _ => {
                            out.push('\\');
                            out.push(u);
                        }
                    }
                }
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else if (c == '$' || c == '%') && s[i + 1..].starts_with(&format!("{c}{{")) {
            // `$${` is a literal `${`: drop the doubled marker.
        } else {
            out.push(c);
        }
    }
    out
}

fn number(n: &hcl::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    }
}

fn negate(n: &hcl::Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        i.checked_neg().map(Value::from)
    } else {
        n.as_f64()
            .and_then(|f| serde_json::Number::from_f64(-f))
            .map(Value::Number)
    }
}

/// A number as cty converts it to a string.
fn number_text(n: &hcl::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        n.as_f64().map(|f| f.to_string()).unwrap_or_default()
    }
}
