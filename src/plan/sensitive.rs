//! Values a plan marks sensitive, collected once when the plan is loaded so that one
//! redaction step can keep them out of every output.
//!
//! Terraform writes sensitive values in clear text in `before`/`after` and marks them
//! in the parallel `*_sensitive` masks; variables are sensitive through the
//! configuration, outputs through their change masks.

use std::collections::BTreeSet;

use rayon::prelude::*;
use regorus::Value;

use super::model::RawPlan;

/// Strings that must never be printed, longest first.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

/// Shorter values are only redacted where a whole output string equals them:
/// replacing every "on" or "1" inside messages would garble them.
pub const MIN_SUBSTRING_LEN: usize = 4;

impl Secrets {
    pub fn collect(input: &Value, raw: &RawPlan) -> Secrets {
        // The changes' masks are read from the input (the typed view does not keep
        // them), a change at a time on every core: a large plan has tens of
        // thousands.
        let from_changes = |key: &str| -> BTreeSet<String> {
            let Ok(changes) = input[key].as_array() else {
                return BTreeSet::new();
            };
            changes
                .as_slice()
                .par_iter()
                .fold(BTreeSet::new, |mut found, rc| {
                    let change = &rc["change"];
                    walk_masked_value(&change["before_sensitive"], &change["before"], &mut found);
                    walk_masked_value(&change["after_sensitive"], &change["after"], &mut found);
                    found
                })
                .reduce(BTreeSet::new, union)
        };
        // planned_values and prior_state are value trees (modules, resources, outputs)
        // with their own marks. Most of their secrets also appear in the changes
        // above, but not all: a data source read while planning is only in
        // prior_state, with its `sensitive_values` mask.
        let ((changes, drift), (planned, prior)) = rayon::join(
            || {
                rayon::join(
                    || from_changes("resource_changes"),
                    || from_changes("resource_drift"),
                )
            },
            || {
                rayon::join(
                    || collect_from_values(&input["planned_values"]),
                    || collect_from_values(&input["prior_state"]["values"]),
                )
            },
        );
        let mut found = union(union(changes, drift), union(planned, prior));
        if let Ok(outputs) = input["output_changes"].as_object() {
            for (_, change) in outputs.iter() {
                walk_masked_value(&change["before_sensitive"], &change["before"], &mut found);
                walk_masked_value(&change["after_sensitive"], &change["after"], &mut found);
            }
        }
        if let Some(root) = raw
            .configuration
            .as_ref()
            .and_then(|c| c.root_module.as_ref())
        {
            for (name, var) in &root.variables {
                if var.sensitive {
                    collect_leaves(&input["variables"][name.as_str()]["value"], &mut found);
                }
            }
            for (name, out) in &root.outputs {
                if out.sensitive {
                    collect_leaves(
                        &input["planned_values"]["outputs"][name.as_str()]["value"],
                        &mut found,
                    );
                    collect_leaves(&input["output_changes"][name.as_str()]["after"], &mut found);
                    collect_leaves(
                        &input["output_changes"][name.as_str()]["before"],
                        &mut found,
                    );
                }
            }
        }
        found.remove("");
        // A policy that formats an object (`sprintf("%v", [rc.change.after])`,
        // `json.marshal`) writes its strings JSON-escaped: a secret holding `"`, `\`
        // or a control character then appears only in escaped form (twice escaped
        // when the result is formatted again), which must be caught as well.
        let escaped: Vec<String> = found
            .iter()
            .flat_map(|s| {
                let once = json_escape(s);
                let twice = json_escape(&once);
                [once, twice]
            })
            .collect();
        found.extend(escaped);
        let mut values: Vec<String> = found.into_iter().collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        Secrets { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    pub fn extend(&mut self, other: &Secrets) {
        let mut all: BTreeSet<String> = self.values.drain(..).collect();
        all.extend(other.values.iter().cloned());
        self.values = all.into_iter().collect();
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    }
}

/// `s` as it appears inside a JSON string literal, without the quotes.
fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}

/// Secrets of a `values` document (`planned_values`, `prior_state.values`): outputs
/// marked `"sensitive": true`, and resources' `values` under their `sensitive_values`
/// masks, in the root module and every child module.
fn collect_from_values(values: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Ok(outs) = values["outputs"].as_object() {
        for (_, o) in outs.iter() {
            if o["sensitive"] == Value::Bool(true) {
                collect_leaves(&o["value"], &mut out);
            }
        }
    }
    collect_from_module(&values["root_module"], &mut out, 0);
    out
}

fn union(mut a: BTreeSet<String>, mut b: BTreeSet<String>) -> BTreeSet<String> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    a.append(&mut b);
    a
}

fn collect_from_module(module: &Value, out: &mut BTreeSet<String>, depth: usize) {
    // Module trees are as deep as the configuration; the bound only guards against a
    // hand-made document nesting without end.
    if depth > 256 {
        return;
    }
    if let Ok(resources) = module["resources"].as_array() {
        for r in resources.iter() {
            walk_masked_value(&r["sensitive_values"], &r["values"], out);
        }
    }
    if let Ok(children) = module["child_modules"].as_array() {
        for child in children.iter() {
            collect_from_module(child, out, depth + 1);
        }
    }
}

/// Follow a sensitivity mask over a value: where the mask is `true`, everything
/// beneath is secret.
fn walk_masked_value(mask: &Value, value: &Value, out: &mut BTreeSet<String>) {
    match mask {
        Value::Bool(true) => collect_leaves(value, out),
        Value::Object(m) => {
            for (k, sub) in m.iter() {
                walk_masked_value(sub, &value[k], out);
            }
        }
        Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                walk_masked_value(sub, &value[i], out);
            }
        }
        _ => {}
    }
}

fn collect_leaves(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.to_string());
        }
        Value::Number(_) => {
            if let Ok(s) = value.to_json_str() {
                out.insert(s);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_leaves(v, out)),
        Value::Set(s) => s.iter().for_each(|v| collect_leaves(v, out)),
        // Keys of a sensitive map are structure, not secrets, and redacting words
        // such as "password" everywhere would garble every message.
        Value::Object(o) => o.values().for_each(|v| collect_leaves(v, out)),
        Value::Null | Value::Bool(_) | Value::Undefined => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets_of(json: serde_json::Value) -> Vec<String> {
        let text = json.to_string();
        let input: Value = serde_json::from_str(&text).unwrap();
        let raw: RawPlan = serde_json::from_str(&text).unwrap();
        Secrets::collect(&input, &raw).values().to_vec()
    }

    #[test]
    fn resources_only_in_prior_state_are_masked_by_their_sensitive_values() {
        let s = secrets_of(serde_json::json!({
            "format_version": "1.2",
            "prior_state": {"values": {"root_module": {
                "resources": [{"values": {"a": "plain", "b": "top-secret"},
                               "sensitive_values": {"b": true}}],
                "child_modules": [{"resources": [{"values": {"l": ["x", "deep-secret"]},
                                                  "sensitive_values": {"l": [false, true]}}]}]
            }}}
        }));
        assert!(s.contains(&"top-secret".to_string()), "{s:?}");
        assert!(s.contains(&"deep-secret".to_string()), "{s:?}");
        assert!(!s.contains(&"plain".to_string()), "{s:?}");
        assert!(!s.contains(&"x".to_string()), "{s:?}");
    }

    #[test]
    fn escaped_forms_of_a_secret_are_secrets_too() {
        let s = secrets_of(serde_json::json!({
            "format_version": "1.2",
            "planned_values": {"outputs": {"o": {"sensitive": true, "value": "a\"b\\c"}}}
        }));
        for v in ["a\"b\\c", "a\\\"b\\\\c", "a\\\\\\\"b\\\\\\\\c"] {
            assert!(s.contains(&v.to_string()), "{v} in {s:?}");
        }
    }
}
