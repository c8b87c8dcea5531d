//! The plan model: a `show -json` document loaded once, kept as the policy input
//! exactly as written, plus a typed, normalized view computed in Rust.

pub mod digest;
mod load;
pub mod model;
pub mod sensitive;

use std::collections::BTreeSet;

pub use load::{
    decode, decode_lossy, load, load_with_limit, looks_like_plan, parse_bytes, parse_text,
    PlanSource, DEFAULT_MAX_PLAN_SIZE,
};
pub use model::{ActionClass, Change, OutputChange, PlanMeta, ReplaceOrder, Summary};
pub use sensitive::Secrets;

use model::RawPlan;

/// A loaded plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub meta: PlanMeta,
    /// The document as tofu wrote it: `input` for policies.
    pub input: regorus::Value,
    pub changes: Vec<Change>,
    pub outputs: Vec<OutputChange>,
    /// Addresses in `resource_drift`.
    pub drifted: BTreeSet<String>,
    pub secrets: Secrets,
}

impl Plan {
    fn new(path: String, input: regorus::Value, raw: RawPlan) -> Plan {
        let secrets = Secrets::collect(&input, &raw);
        let drifted: BTreeSet<String> = raw
            .resource_drift
            .iter()
            .map(|d| d.address.clone())
            .collect();
        let sensitive_outputs: BTreeSet<&str> = raw
            .configuration
            .as_ref()
            .and_then(|c| c.root_module.as_ref())
            .map(|m| {
                m.outputs
                    .iter()
                    .filter(|(_, o)| o.sensitive)
                    .map(|(n, _)| n.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let outputs = raw
            .output_changes
            .iter()
            .map(|(name, oc)| OutputChange {
                name: name.clone(),
                action: ActionClass::classify(&oc.actions),
                actions: oc.actions.clone(),
                sensitive: sensitive_outputs.contains(name.as_str())
                    || oc.after_sensitive == Some(serde_json::Value::Bool(true))
                    || oc.before_sensitive == Some(serde_json::Value::Bool(true)),
            })
            .collect();
        let meta = PlanMeta {
            path,
            format_version: raw.format_version.clone().unwrap_or_default(),
            terraform_version: raw.terraform_version.clone(),
            timestamp: raw.timestamp.clone(),
            errored: raw.errored.unwrap_or(false),
            applyable: raw.applyable,
            complete: raw.complete,
        };
        let changes = raw
            .resource_changes
            .into_iter()
            .enumerate()
            .map(|(i, rc)| {
                let mut c = Change::from_raw(rc, i);
                c.drifted = drifted.contains(&c.address);
                c
            })
            .collect();
        Plan {
            meta,
            input,
            changes,
            outputs,
            drifted,
            secrets,
        }
    }

    /// Counts per action class.
    pub fn summary(&self) -> Summary {
        model::summarize(&self.changes)
    }

    /// The normalized view policies read under `data.plangate` (see README, "Policy
    /// data"). Built as JSON once per plan.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "plan": self.meta,
            "summary": self.summary(),
            "changes": self.changes,
            "outputs": self.outputs,
            "drifted": self.drifted,
        })
    }
}
