//! The plan model: a `show -json` document loaded once, kept as the policy input
//! exactly as written, plus a typed, normalized view computed in Rust.

pub mod digest;
mod json;
mod load;
pub mod model;
mod parallel;
pub mod sensitive;

use std::collections::BTreeSet;

use rayon::prelude::*;

pub use load::{
    decode, decode_lossy, load, load_for, load_with_limit, looks_like_plan, parse_bytes,
    parse_text, PlanSource, DEFAULT_MAX_PLAN_SIZE,
};
pub use model::{ActionClass, Change, OutputChange, PlanMeta, ReplaceOrder, Summary};
#[doc(hidden)]
pub use parallel::agrees_with_one_thread;
pub use sensitive::Secrets;

use model::RawPlan;

/// How much of a plan document is built as the policy `input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputUse {
    /// All of it: some policy reads `input`.
    #[default]
    Whole,
    /// No policy reads `input` (the built-in library reads `data.plangate`): the
    /// value trees only a policy would read ([`POLICY_ONLY_MEMBERS`]) are checked as
    /// JSON but left `null`; what plangate reads itself (the changes, for digests
    /// and secrets, output changes, variables) is built. On a large plan this is
    /// half the parse.
    Plangate,
}

/// Top-level members of a plan that plangate never reads from `input` (the typed
/// view reads `configuration` from the text).
pub const POLICY_ONLY_MEMBERS: &[&str] = &[
    "planned_values",
    "prior_state",
    "configuration",
    "relevant_attributes",
    "checks",
];

/// A loaded plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub meta: PlanMeta,
    /// The document as tofu wrote it: `input` for policies (with
    /// [`InputUse::Plangate`], its policy-only members are `null`).
    pub input: regorus::Value,
    pub changes: Vec<Change>,
    pub outputs: Vec<OutputChange>,
    /// Addresses in `resource_drift`.
    pub drifted: BTreeSet<String>,
    pub secrets: Secrets,
}

impl Plan {
    fn new(path: String, input: regorus::Value, mut raw: RawPlan) -> Plan {
        let resource_changes = std::mem::take(&mut raw.resource_changes);
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
        let (secrets, changes) = rayon::join(
            || Secrets::collect(&input, &raw),
            || {
                resource_changes
                    .into_par_iter()
                    .enumerate()
                    .map(|(i, rc)| {
                        let mut c = Change::from_raw(rc, i);
                        c.drifted = drifted.contains(&c.address);
                        c
                    })
                    .collect()
            },
        );
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
    /// data"), built once per plan; a large plan's changes are converted on every
    /// core.
    pub fn view(&self) -> regorus::Value {
        let json = |v: serde_json::Value| regorus::Value::from(v);
        let changes: Vec<regorus::Value> = self
            .changes
            .par_iter()
            .map(|c| serde_json::to_value(c).map_or(regorus::Value::Null, json))
            .collect();
        let mut view = std::collections::BTreeMap::new();
        let mut put = |key: &str, value: regorus::Value| {
            view.insert(regorus::Value::from(key), value);
        };
        put("plan", json(serde_json::json!(self.meta)));
        put("summary", json(serde_json::json!(self.summary())));
        put("changes", regorus::Value::from(changes));
        put("outputs", json(serde_json::json!(self.outputs)));
        put("drifted", json(serde_json::json!(self.drifted)));
        regorus::Value::from(view)
    }
}
