//! The batch optimisation: every rule of every batchable namespace answered by one
//! regorus evaluation per plan.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regorus::Value;

use crate::diag::Diag;

use super::conventions::RuleKind;
use super::namespaces::Namespace;
use super::{is_time_limit, timeout_diag, PolicyEngine};

impl PolicyEngine {
    /// Every rule of the namespaces without exceptions, in one regorus evaluation:
    /// regorus drops its rule cache at each `eval_rule`, so asking rule by rule
    /// recomputes every helper the rules share. None when there is no batch, or
    /// when it fails: then each rule is asked on its own, which names the failing
    /// rule in the diagnostic (a timeout is final either way).
    pub(super) fn eval_batch(
        &self,
        engine: &mut regorus::Engine,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Option<HashMap<String, Value>>, Diag> {
        if self.batch.is_empty() {
            return Ok(None);
        }
        self.arm_timer(engine, BATCH_PACKAGE, deadline)?;
        let results = match engine.eval_query(format!("data.{BATCH_PACKAGE}"), false) {
            Ok(r) => r,
            Err(e) => {
                if let (Some((_, total)), true) = (deadline, is_time_limit(&e)) {
                    return Err(timeout_diag(BATCH_PACKAGE, total));
                }
                // The rules are asked again one by one: drop what they printed.
                let _ = engine.take_prints();
                return Ok(None);
            }
        };
        let mut values = HashMap::with_capacity(self.batch.len());
        let object = results
            .result
            .into_iter()
            .next()
            .and_then(|r| r.expressions.into_iter().next())
            .map(|e| e.value);
        if let Some(Value::Object(map)) = object {
            let map = Arc::unwrap_or_clone(map);
            for (key, value) in map {
                let index = key
                    .as_string()
                    .ok()
                    .and_then(|k| k.strip_prefix("r_").and_then(|i| i.parse::<usize>().ok()));
                if let Some(path) = index.and_then(|i| self.batch.get(i)) {
                    values.insert(path.clone(), value);
                }
            }
        }
        Ok(Some(values))
    }
}

/// Words that cannot follow a `.` in a reference.
const REGO_KEYWORDS: &[&str] = &[
    "as", "contains", "default", "else", "every", "false", "if", "import", "in", "not", "null",
    "package", "some", "true", "with",
];

/// Namespaces answered by the batch: without `exception` rules (conftest does not
/// evaluate an excepted rule at all) and with a plain dotted name that can be
/// written as a reference. Others are asked rule by rule.
pub(super) fn batchable(ns: &Namespace) -> bool {
    !ns.has_exception
        && ns.name.split('.').all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !REGO_KEYWORDS.contains(&seg)
        })
}

/// The generated package that reads every batched rule (`r_<i> := data.<path>`).
const BATCH_PACKAGE: &str = "__plangate_batch";

/// The prepared engine with the batch package added, and the paths it reads; None
/// when there is nothing to batch or the package does not compile (e.g. a `deny`
/// that is a function), in which case rules are asked one by one.
pub(super) fn with_batch(
    engine: &regorus::Engine,
    namespaces: &[Namespace],
) -> Option<(regorus::Engine, Vec<String>)> {
    let mut paths = Vec::new();
    for ns in namespaces.iter().filter(|ns| batchable(ns)) {
        paths.extend(
            ns.rules
                .iter()
                .filter(|r| RuleKind::of(r).is_some())
                .map(|r| format!("data.{}.{r}", ns.name)),
        );
        if ns.has_cap {
            paths.push(format!("data.{}.cap", ns.name));
        }
        if ns.has_gate {
            paths.push(format!("data.{}.gate", ns.name));
        }
    }
    if paths.len() < 2 {
        return None;
    }
    let mut text = format!("package {BATCH_PACKAGE}\n\n");
    for (i, path) in paths.iter().enumerate() {
        text.push_str(&format!("r_{i} := {path}\n"));
    }
    let mut batched = engine.clone();
    batched.set_rego_v0(false);
    batched
        .add_policy(format!("builtin:{BATCH_PACKAGE}.rego"), text)
        .ok()?;
    batched.eval_query("true".to_string(), false).ok()?;
    Some((batched, paths))
}
