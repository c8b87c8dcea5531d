//! `--format conftest` and `--format conftest-json`: byte for byte what `conftest
//! test` prints (its `stdout` and `json` outputs), so tools that read conftest's
//! output, Atlantis's `policy_check` above all, read plangate's the same way.
//!
//! Only the conftest results appear: failures, warnings and exceptions of the
//! evaluated namespaces, one conftest "check result" per (plan, namespace). Gates,
//! caps and stages are plangate's own and are not shown here.
//!
//! conftest counts successes per namespace; so does the report, for every
//! namespace of the user's policies (the built-in library is left out).

use std::fmt::Write;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Finding, PlanReport, Report};

/// conftest's `CheckResult` for one (file, namespace).
struct CheckResult<'a> {
    filename: &'a str,
    namespace: &'a str,
    successes: usize,
    warnings: Vec<&'a Finding>,
    failures: Vec<&'a Finding>,
    exceptions: Vec<&'a str>,
}

/// The namespace conftest checks when none is given.
const DEFAULT_NAMESPACE: &str = "main";

fn check_results(report: &Report) -> Vec<CheckResult<'_>> {
    let mut out = Vec::new();
    for plan in report.plans.iter().filter(|p| p.error.is_none()) {
        out.extend(plan_results(plan));
    }
    out
}

fn plan_results(plan: &PlanReport) -> Vec<CheckResult<'_>> {
    // The user's namespaces, as conftest evaluated them (the built-in library is
    // plangate's own and does not appear), plus any namespace that produced a result.
    let mut namespaces: Vec<(&str, usize)> = plan
        .namespaces
        .iter()
        .filter(|n| !n.builtin)
        .map(|n| (n.name.as_str(), n.successes))
        .collect();
    let seen = plan
        .failures
        .iter()
        .chain(&plan.warnings)
        .map(|f| f.namespace.as_str())
        .chain(plan.exceptions.iter().map(|e| e.namespace.as_str()));
    for ns in seen {
        if !namespaces.iter().any(|(n, _)| *n == ns) {
            namespaces.push((ns, 0));
        }
    }
    if namespaces.is_empty() {
        namespaces.push((DEFAULT_NAMESPACE, 0));
    }
    namespaces
        .iter()
        .map(|(ns, successes)| CheckResult {
            filename: &plan.path,
            namespace: ns,
            successes: *successes,
            warnings: plan
                .warnings
                .iter()
                .filter(|f| f.namespace == *ns)
                .collect(),
            failures: plan
                .failures
                .iter()
                .filter(|f| f.namespace == *ns)
                .collect(),
            exceptions: plan
                .exceptions
                .iter()
                .filter(|e| e.namespace == *ns)
                .map(|e| e.msg.as_str())
                .collect(),
        })
        .collect()
}

/// aurora's colouring, as conftest uses it without `--no-color`.
fn paint(color: bool, code: u8, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// conftest's `stdout` output (`output/standard.go`).
pub fn render_text(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let (mut failures, mut exceptions, mut warnings, mut successes) = (0, 0, 0, 0);
    for r in check_results(report) {
        let indicator = if r.filename == "-" {
            "-".to_string()
        } else {
            format!("- {}", r.filename)
        };
        let namespace = format!("- {} -", r.namespace);
        let total = r.successes + r.warnings.len() + r.failures.len() + r.exceptions.len();
        if total == 0 {
            let _ = writeln!(
                out,
                "{} {indicator} {namespace} no policies found",
                paint(color, 37, "?")
            );
            continue;
        }
        for w in &r.warnings {
            let _ = writeln!(
                out,
                "{} {indicator} {namespace} {}",
                paint(color, 33, "WARN"),
                w.msg
            );
        }
        for f in &r.failures {
            let _ = writeln!(
                out,
                "{} {indicator} {namespace} {}",
                paint(color, 31, "FAIL"),
                f.msg
            );
        }
        for e in &r.exceptions {
            let _ = writeln!(
                out,
                "{} {indicator} {namespace} {e}",
                paint(color, 36, "EXCP")
            );
        }
        failures += r.failures.len();
        exceptions += r.exceptions.len();
        warnings += r.warnings.len();
        successes += r.successes;
    }
    let tests = failures + exceptions + warnings + successes;
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let summary = format!(
        "{tests} test{}, {successes} passed, {warnings} warning{}, {failures} failure{}, {exceptions} exception{}",
        s(tests),
        s(warnings),
        s(failures),
        s(exceptions),
    );
    let code = if failures > 0 {
        31
    } else if warnings > 0 {
        33
    } else if exceptions > 0 {
        36
    } else {
        32
    };
    out.push('\n');
    out.push_str(&paint(color, code, &summary));
    out.push('\n');
    out
}

/// conftest's `Result` (`output/result.go`): `msg`, `loc`, `metadata`, the empty
/// ones omitted.
#[derive(Serialize)]
struct JsonResult<'a> {
    msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    loc: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
}

#[derive(Serialize)]
struct JsonCheckResult<'a> {
    filename: &'a str,
    namespace: &'a str,
    successes: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<JsonResult<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<JsonResult<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    exceptions: Vec<JsonResult<'a>>,
}

/// Go marshals maps with their keys sorted, at every depth.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut m = Map::new();
            for k in keys {
                m.insert(k.clone(), sorted(&o[k]));
            }
            Value::Object(m)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn json_result(f: &Finding) -> JsonResult<'_> {
    // conftest's Location is a struct: file, then line, each omitted when empty.
    let loc = f.loc.as_ref().and_then(|l| {
        let mut m = Map::new();
        if let Some(file) = l
            .get("file")
            .filter(|x| x.as_str().is_some_and(|s| !s.is_empty()))
        {
            m.insert("file".into(), file.clone());
        }
        if let Some(line) = l.get("line") {
            m.insert("line".into(), line.clone());
        }
        (!m.is_empty()).then_some(Value::Object(m))
    });
    JsonResult {
        msg: &f.msg,
        loc,
        metadata: (!f.metadata.is_empty()).then(|| sorted(&Value::Object(f.metadata.clone()))),
    }
}

/// conftest's `json` output (`output/json.go`): Go's `json.Marshal` (HTML
/// characters escaped) indented with tabs by `json.Indent`, then a newline.
pub fn render_json(report: &Report) -> String {
    let results: Vec<JsonCheckResult> = check_results(report)
        .into_iter()
        .map(|r| JsonCheckResult {
            // conftest names standard input "" in JSON.
            filename: if r.filename == "-" { "" } else { r.filename },
            namespace: r.namespace,
            successes: r.successes,
            warnings: r.warnings.iter().map(|f| json_result(f)).collect(),
            failures: r.failures.iter().map(|f| json_result(f)).collect(),
            exceptions: r
                .exceptions
                .iter()
                .map(|m| JsonResult {
                    msg: m,
                    loc: None,
                    metadata: None,
                })
                .collect(),
        })
        .collect();
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    // A nil slice marshals as null in Go: no plan, no result.
    let written = if results.is_empty() {
        Value::Null.serialize(&mut ser)
    } else {
        results.serialize(&mut ser)
    };
    if written.is_err() {
        return "null\n".to_string();
    }
    let text = String::from_utf8(buf).unwrap_or_default();
    let mut out = go_html_escape(&text);
    out.push('\n');
    out
}

/// Go's encoder escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; none of
/// them can appear outside a string in JSON text, so replacing them everywhere is
/// exact.
fn go_html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
