//! conftest's result conventions: rule names (`deny`/`violation`/`warn`), exceptions,
//! and string or `{"msg": ...}` results.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use regorus::Value;

use crate::diag::Diag;

use super::namespaces::Namespace;
use super::stage_rules::stage_rules;
use super::{Evaluation, ExceptionResult, NamespaceCount, PolicyEngine, RuleResult};

/// Whether a rule's results fail the plan or only warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Failure,
    Warning,
}

impl RuleKind {
    /// conftest's names: `^(deny|violation)(_[a-zA-Z0-9]+)*$` and `^warn(_[a-zA-Z0-9]+)*$`.
    pub fn of(rule: &str) -> Option<RuleKind> {
        let suffix_ok = |rest: &str| {
            rest.is_empty()
                || rest.strip_prefix('_').is_some_and(|r| {
                    r.split('_').all(|part| {
                        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric())
                    })
                })
        };
        for prefix in ["deny", "violation"] {
            if let Some(rest) = rule.strip_prefix(prefix) {
                if suffix_ok(rest) {
                    return Some(RuleKind::Failure);
                }
            }
        }
        match rule.strip_prefix("warn") {
            Some(rest) if suffix_ok(rest) => Some(RuleKind::Warning),
            _ => None,
        }
    }
}

/// The name an `exception` rule lists to exempt a rule, as conftest strips it:
/// `""` for the bare `deny`/`violation`/`warn`, else `violation_`, then `deny_`, then
/// `warn_` removed.
pub fn exception_name(rule: &str) -> &str {
    if matches!(rule, "deny" | "violation" | "warn") {
        return "";
    }
    let r = rule.strip_prefix("violation_").unwrap_or(rule);
    let r = r.strip_prefix("deny_").unwrap_or(r);
    r.strip_prefix("warn_").unwrap_or(r)
}

impl PolicyEngine {
    pub(super) fn eval_namespace(
        &self,
        engine: &mut regorus::Engine,
        ns: &Namespace,
        out: &mut Evaluation,
        deadline: Option<(Instant, Duration)>,
        batch: Option<&HashMap<String, Value>>,
    ) -> Result<(), Diag> {
        let exceptions = if ns.has_exception {
            self.eval(engine, &format!("data.{}.exception", ns.name), deadline)?
        } else {
            Value::Undefined
        };
        let mut results = 0usize;
        let mut successes = 0usize;
        for rule in &ns.rules {
            let Some(kind) = RuleKind::of(rule) else {
                continue;
            };
            let name = exception_name(rule);
            let matches = count_exception_matches(&exceptions, name);
            if matches > 0 {
                let query = format!(
                    "data.{}.exception[_][_] == {}",
                    ns.name,
                    serde_json::Value::from(name)
                );
                for _ in 0..matches {
                    out.exceptions.push(ExceptionResult {
                        namespace: ns.name.clone(),
                        rule: rule.clone(),
                        msg: query.clone(),
                    });
                }
                results += matches;
                continue;
            }
            let query = format!("data.{}.{}", ns.name, rule);
            let value = self.value_of(engine, &query, deadline, batch)?;
            let elements: Vec<&Value> = match &value {
                Value::Set(s) => s.iter().collect(),
                Value::Array(a) => a.iter().collect(),
                _ => Vec::new(),
            };
            if elements.is_empty() {
                successes += 1;
                continue;
            }
            for el in elements {
                let (msg, metadata) = match el {
                    Value::String(s) => (s.to_string(), serde_json::Map::new()),
                    Value::Object(_) => object_result(el).map_err(|m| {
                        Diag::new(
                            "plangate::policy::result_without_msg",
                            format!("a result of {query} {m}"),
                        )
                        .help("return a string, or an object with a string `msg`: `deny contains {\"msg\": \"...\", ...}`")
                    })?,
                    // conftest ignores elements that are neither strings nor objects.
                    _ => continue,
                };
                if msg.is_empty() {
                    successes += 1;
                    continue;
                }
                let mut metadata = metadata;
                let loc = metadata.remove("_loc").and_then(location);
                metadata.insert("query".into(), serde_json::Value::from(query.clone()));
                let r = RuleResult {
                    namespace: ns.name.clone(),
                    rule: rule.clone(),
                    kind,
                    msg,
                    metadata,
                    loc,
                    set: self.set.clone(),
                };
                results += 1;
                match kind {
                    RuleKind::Failure => out.failures.push(r),
                    RuleKind::Warning => out.warnings.push(r),
                }
            }
        }
        // As conftest: rule definitions that produced nothing count as successes.
        let counted = results + successes;
        let passed = successes + ns.definitions.saturating_sub(counted);
        if !ns.builtin {
            out.successes += passed;
        }
        out.namespaces.push(NamespaceCount {
            name: ns.name.clone(),
            builtin: ns.builtin,
            successes: passed,
        });
        if ns.has_cap {
            let v = self.value_of(engine, &format!("data.{}.cap", ns.name), deadline, batch)?;
            out.caps.extend(stage_rules(&ns.name, "cap", &v)?);
        }
        if ns.has_gate {
            let v = self.value_of(engine, &format!("data.{}.gate", ns.name), deadline, batch)?;
            out.gates.extend(stage_rules(&ns.name, "gate", &v)?);
        }
        Ok(())
    }
}

/// conftest: an object result must carry a string `msg`; `_loc` is location, not
/// metadata.
fn object_result(
    el: &Value,
) -> Result<(String, serde_json::Map<String, serde_json::Value>), String> {
    let json = serde_json::to_value(el).map_err(|e| format!("cannot be read: {e}"))?;
    let serde_json::Value::Object(mut map) = json else {
        return Err("is not an object".into());
    };
    let msg = match map.remove("msg") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("has a `msg` that is not a string".into()),
        None => return Err("is an object without a `msg` field".into()),
    };
    Ok((msg, map))
}

/// conftest's `_loc` parsing: an object with a string `file` and/or a numeric
/// `line`; anything else is dropped.
fn location(v: serde_json::Value) -> Option<serde_json::Value> {
    let serde_json::Value::Object(m) = v else {
        return None;
    };
    let mut out = serde_json::Map::new();
    if let Some(f @ serde_json::Value::String(_)) = m.get("file") {
        out.insert("file".into(), f.clone());
    }
    if let Some(l @ serde_json::Value::Number(_)) = m.get("line") {
        out.insert("line".into(), l.clone());
    }
    (!out.is_empty()).then_some(serde_json::Value::Object(out))
}

/// Number of bindings for which `exception[_][_] == name` holds, as OPA counts them.
fn count_exception_matches(exceptions: &Value, name: &str) -> usize {
    let target = Value::from(name);
    let inner = |v: &Value| -> usize {
        match v {
            Value::Array(a) => a.iter().filter(|x| **x == target).count(),
            Value::Set(s) => s.iter().filter(|x| **x == target).count(),
            Value::Object(o) => o.values().filter(|x| **x == target).count(),
            _ => 0,
        }
    };
    match exceptions {
        Value::Array(a) => a.iter().map(inner).sum(),
        Value::Set(s) => s.iter().map(inner).sum(),
        Value::Object(o) => o.values().map(inner).sum(),
        _ => 0,
    }
}
