//! Values a plan marks sensitive, collected once when the plan is loaded so that one
//! redaction step can keep them out of every output.
//!
//! Terraform writes sensitive values in clear text in `before`/`after` and marks them
//! in the parallel `*_sensitive` masks; variables are sensitive through the
//! configuration, outputs through their change masks.

use std::collections::BTreeSet;

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
        let mut found = BTreeSet::new();
        let changes = &input["resource_changes"];
        for (i, rc) in raw.resource_changes.iter().enumerate() {
            let change = &changes[i]["change"];
            if let Some(mask) = &rc.change.before_sensitive {
                walk_masked(mask, &change["before"], &mut found);
            }
            if let Some(mask) = &rc.change.after_sensitive {
                walk_masked(mask, &change["after"], &mut found);
            }
        }
        let drift = &input["resource_drift"];
        for (i, rc) in raw.resource_drift.iter().enumerate() {
            let change = &drift[i]["change"];
            if let Some(mask) = &rc.change.before_sensitive {
                walk_masked(mask, &change["before"], &mut found);
            }
            if let Some(mask) = &rc.change.after_sensitive {
                walk_masked(mask, &change["after"], &mut found);
            }
        }
        let outputs = &input["output_changes"];
        for (name, oc) in &raw.output_changes {
            let change = &outputs[name.as_str()];
            if let Some(mask) = &oc.before_sensitive {
                walk_masked(mask, &change["before"], &mut found);
            }
            if let Some(mask) = &oc.after_sensitive {
                walk_masked(mask, &change["after"], &mut found);
            }
        }
        if let Some(root) = raw.configuration.as_ref().and_then(|c| c.root_module.as_ref()) {
            for (name, var) in &root.variables {
                if var.sensitive {
                    collect_leaves(&input["variables"][name.as_str()]["value"], &mut found);
                }
            }
            for (name, out) in &root.outputs {
                if out.sensitive {
                    collect_leaves(&input["planned_values"]["outputs"][name.as_str()]["value"], &mut found);
                    collect_leaves(&input["output_changes"][name.as_str()]["after"], &mut found);
                    collect_leaves(&input["output_changes"][name.as_str()]["before"], &mut found);
                }
            }
        }
        // planned_values outputs carry their own flag.
        if let Ok(outs) = input["planned_values"]["outputs"].as_object() {
            for (_, out) in outs.iter() {
                if out["sensitive"] == Value::Bool(true) {
                    collect_leaves(&out["value"], &mut found);
                }
            }
        }
        found.remove("");
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

/// Follow a sensitivity mask over a value: where the mask is `true`, everything
/// beneath is secret.
fn walk_masked(mask: &serde_json::Value, value: &Value, out: &mut BTreeSet<String>) {
    match mask {
        serde_json::Value::Bool(true) => collect_leaves(value, out),
        serde_json::Value::Object(m) => {
            for (k, sub) in m {
                walk_masked(sub, &value[k.as_str()], out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                walk_masked(sub, &value[i], out);
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
