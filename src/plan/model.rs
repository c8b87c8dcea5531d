//! The typed view of a plan: what each resource change does, classified once in Rust
//! so that neither policies nor renderers re-derive it from raw `actions` arrays.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// One action class per change. `actions` arrays are sets in practice (OpenTofu and
/// Terraform order `forget`+`create` differently), so the class never depends on order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionClass {
    Create,
    Update,
    /// Delete and create in either order, or forget and create in either order.
    Replace,
    Delete,
    /// Removed from state without being destroyed (a `removed` block).
    Forget,
    Read,
    NoOp,
    /// An action set no known Terraform or OpenTofu version writes. Treated as
    /// destructive, so an unknown action can never be automated by mistake.
    Unknown,
}

impl ActionClass {
    /// Every class, in the order summaries list them.
    pub const ALL: [ActionClass; 8] = [
        ActionClass::Create,
        ActionClass::Update,
        ActionClass::Replace,
        ActionClass::Delete,
        ActionClass::Forget,
        ActionClass::Read,
        ActionClass::NoOp,
        ActionClass::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionClass::Create => "create",
            ActionClass::Update => "update",
            ActionClass::Replace => "replace",
            ActionClass::Delete => "delete",
            ActionClass::Forget => "forget",
            ActionClass::Read => "read",
            ActionClass::NoOp => "no-op",
            ActionClass::Unknown => "unknown",
        }
    }

    /// Classify an `actions` array as a set.
    pub fn classify(actions: &[String]) -> ActionClass {
        let has = |a: &str| actions.iter().any(|x| x == a);
        let known = ["no-op", "create", "read", "update", "delete", "forget"];
        if actions.is_empty() || actions.iter().any(|a| !known.contains(&a.as_str())) {
            return ActionClass::Unknown;
        }
        let distinct = known.iter().filter(|k| has(k)).count();
        match distinct {
            1 if has("no-op") => ActionClass::NoOp,
            1 if has("create") => ActionClass::Create,
            1 if has("read") => ActionClass::Read,
            1 if has("update") => ActionClass::Update,
            1 if has("delete") => ActionClass::Delete,
            1 if has("forget") => ActionClass::Forget,
            2 if has("create") && (has("delete") || has("forget")) => ActionClass::Replace,
            _ => ActionClass::Unknown,
        }
    }

    /// Whether the change does something (a plan's stage ignores no-op and read).
    pub fn does_something(self) -> bool {
        !matches!(self, ActionClass::NoOp | ActionClass::Read)
    }
}

impl std::fmt::Display for ActionClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a replacement is ordered, read from the array as written (for humans only:
/// the class and the destructive flag never depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplaceOrder {
    DestroyBeforeCreate,
    CreateBeforeDestroy,
    /// The old object is forgotten (left in place, unmanaged), then a new one created.
    ForgetThenCreate,
    CreateThenForget,
}

/// A resource change as policies see it under `data.plangate.changes`.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_address: Option<String>,
    pub mode: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub provider_name: String,
    /// The `actions` array exactly as the plan wrote it.
    pub actions: Vec<String>,
    pub action: ActionClass,
    /// Deletes, replaces (any order, forget-replace included) and unknown actions.
    pub destructive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_order: Option<ReplaceOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_paths: Option<serde_json::Value>,
    /// Key of a deposed object (left over from a failed create-before-destroy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// The address before a `moved` block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    pub importing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    /// The resource also appears in `resource_drift`: it changed outside Terraform.
    pub drifted: bool,
    /// Position in the plan's `resource_changes`, to find the raw change in `input`.
    pub index_in_plan: usize,
}

impl Change {
    pub fn from_raw(raw: RawResourceChange, index_in_plan: usize) -> Change {
        let action = ActionClass::classify(&raw.change.actions);
        let replace_order = if action == ActionClass::Replace {
            let first = raw.change.actions.first().map(String::as_str);
            let forget = raw.change.actions.iter().any(|a| a == "forget");
            Some(match (forget, first) {
                (false, Some("delete")) => ReplaceOrder::DestroyBeforeCreate,
                (false, _) => ReplaceOrder::CreateBeforeDestroy,
                (true, Some("forget")) => ReplaceOrder::ForgetThenCreate,
                (true, _) => ReplaceOrder::CreateThenForget,
            })
        } else {
            None
        };
        let destructive = matches!(
            action,
            ActionClass::Delete | ActionClass::Replace | ActionClass::Unknown
        );
        let (importing, import_id) = match raw.change.importing {
            Some(imp) => (true, imp.id),
            None => (false, None),
        };
        Change {
            address: raw.address,
            module_address: raw.module_address,
            mode: raw.mode.unwrap_or_else(|| "managed".to_string()),
            type_: raw.type_.unwrap_or_default(),
            name: raw.name.unwrap_or_default(),
            index: raw.index,
            provider_name: raw.provider_name.unwrap_or_default(),
            actions: raw.change.actions,
            action,
            destructive,
            replace_order,
            action_reason: raw.action_reason,
            replace_paths: raw.change.replace_paths,
            deposed: raw.deposed,
            moved_from: raw.previous_address,
            importing,
            import_id,
            drifted: false,
            index_in_plan,
        }
    }
}

/// Facts about the plan as a whole, under `data.plangate.plan`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PlanMeta {
    /// The path as the user gave it (`-` for stdin).
    pub path: String,
    pub format_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// `errored` is written by Terraform ≥1.6 and OpenTofu; absent means false.
    pub errored: bool,
    /// `applyable`/`complete` are written by Terraform ≥1.8 only; absent means unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applyable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
}

/// Counts of changes per action class (every class present, zero included).
pub type Summary = BTreeMap<&'static str, usize>;

pub fn summarize<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Summary {
    let mut summary: Summary = ActionClass::ALL.iter().map(|c| (c.as_str(), 0)).collect();
    for c in changes {
        *summary.entry(c.action.as_str()).or_default() += 1;
    }
    summary
}

/// An output change, under `data.plangate.outputs`.
#[derive(Debug, Clone, Serialize)]
pub struct OutputChange {
    pub name: String,
    pub actions: Vec<String>,
    pub action: ActionClass,
    pub sensitive: bool,
}

// ---- serde shapes of the plan JSON, only the fields the view needs ----------------
// Everything is optional and unknown keys are accepted; large bodies (before/after)
// are skipped here: they live in the policy input, parsed once.

#[derive(Debug, Deserialize)]
pub struct RawPlan {
    #[serde(default)]
    pub format_version: Option<String>,
    #[serde(default)]
    pub terraform_version: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub resource_changes: Vec<RawResourceChange>,
    #[serde(default, deserialize_with = "null_default")]
    pub resource_drift: Vec<RawResourceChange>,
    #[serde(default, deserialize_with = "null_default")]
    pub output_changes: BTreeMap<String, RawOutputChange>,
    #[serde(default)]
    pub errored: Option<bool>,
    #[serde(default)]
    pub applyable: Option<bool>,
    #[serde(default)]
    pub complete: Option<bool>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub configuration: Option<RawConfiguration>,
}

#[derive(Debug, Deserialize)]
pub struct RawResourceChange {
    pub address: String,
    #[serde(default)]
    pub previous_address: Option<String>,
    #[serde(default)]
    pub module_address: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub index: Option<serde_json::Value>,
    #[serde(default)]
    pub provider_name: Option<String>,
    #[serde(default)]
    pub deposed: Option<String>,
    #[serde(default)]
    pub action_reason: Option<String>,
    pub change: RawChange,
}

#[derive(Debug, Deserialize)]
pub struct RawChange {
    pub actions: Vec<String>,
    #[serde(default)]
    pub replace_paths: Option<serde_json::Value>,
    #[serde(default)]
    pub importing: Option<RawImporting>,
}

#[derive(Debug, Deserialize)]
pub struct RawImporting {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawOutputChange {
    #[serde(default, deserialize_with = "null_default")]
    pub actions: Vec<String>,
    #[serde(default)]
    pub before_sensitive: Option<serde_json::Value>,
    #[serde(default)]
    pub after_sensitive: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct RawConfiguration {
    #[serde(default)]
    pub root_module: Option<RawConfigModule>,
}

#[derive(Debug, Deserialize)]
pub struct RawConfigModule {
    #[serde(default, deserialize_with = "null_default")]
    pub variables: BTreeMap<String, RawConfigVariable>,
    #[serde(default, deserialize_with = "null_default")]
    pub outputs: BTreeMap<String, RawConfigOutput>,
}

#[derive(Debug, Deserialize)]
pub struct RawConfigVariable {
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Deserialize)]
pub struct RawConfigOutput {
    #[serde(default)]
    pub sensitive: bool,
}

/// `null` and absent both mean empty: older Terraform writes `null` for empty lists.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(a: &[&str]) -> ActionClass {
        ActionClass::classify(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn replace_in_either_order_is_replace() {
        assert_eq!(class(&["delete", "create"]), ActionClass::Replace);
        assert_eq!(class(&["create", "delete"]), ActionClass::Replace);
        assert_eq!(class(&["create", "forget"]), ActionClass::Replace);
        assert_eq!(class(&["forget", "create"]), ActionClass::Replace);
    }

    #[test]
    fn single_actions_map_to_their_class() {
        assert_eq!(class(&["no-op"]), ActionClass::NoOp);
        assert_eq!(class(&["create"]), ActionClass::Create);
        assert_eq!(class(&["read"]), ActionClass::Read);
        assert_eq!(class(&["update"]), ActionClass::Update);
        assert_eq!(class(&["delete"]), ActionClass::Delete);
        assert_eq!(class(&["forget"]), ActionClass::Forget);
    }

    #[test]
    fn unknown_or_empty_action_sets_fail_closed() {
        assert_eq!(class(&[]), ActionClass::Unknown);
        assert_eq!(class(&["open"]), ActionClass::Unknown);
        assert_eq!(class(&["update", "delete"]), ActionClass::Unknown);
        assert_eq!(class(&["delete", "forget"]), ActionClass::Unknown);
    }

    #[test]
    fn duplicated_actions_are_a_set() {
        assert_eq!(class(&["create", "create"]), ActionClass::Create);
    }
}
