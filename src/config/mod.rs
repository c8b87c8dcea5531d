//! `plangate.hcl`: environments and their stages, approver groups, approvals,
//! windows, freezes, protected resources and policy sets. Parsed and validated once
//! (see [`load`]), then handed to policies as `data.plangate.config`.

mod load;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub use load::{find, load_file, parse};

use crate::stage::Stage;

/// The configuration used when no `plangate.hcl` is found: one environment at
/// `plan-only`, nothing else.
pub const DEFAULT_CONFIG: &str = r#"# plangate's embedded default configuration.
settings {
  default_environment = "default"
}

environment "default" {
  stage = "plan-only"
}
"#;

/// A validated plangate.hcl.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Config {
    /// Where it came from (`<embedded default>` when none was found).
    #[serde(skip)]
    pub path: String,
    /// Its directory: relative `policy_set` paths and CODEOWNERS are resolved from it.
    #[serde(skip)]
    pub dir: Option<PathBuf>,
    #[serde(skip)]
    pub text: Option<Arc<str>>,
    pub settings: Settings,
    pub environments: BTreeMap<String, Environment>,
    pub groups: BTreeMap<String, Group>,
    pub approvals: BTreeMap<String, Approval>,
    pub windows: BTreeMap<String, Window>,
    pub freezes: BTreeMap<String, Freeze>,
    pub protect: Vec<Protect>,
    pub policy_sets: BTreeMap<String, PolicySet>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_plan_age: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_plan_age_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_changes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_destroys: Option<u64>,
    /// Path of the promotion ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    /// Path of the CODEOWNERS file (default: searched in the usual places).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codeowners: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    #[serde(rename = "match")]
    pub match_: Vec<String>,
    pub stage: Stage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promote_from: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Lower-case logins: GitHub logins are case-insensitive.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    Any,
    Destructive,
    Replace,
    Delete,
}

#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub environments: Vec<String>,
    pub when: When,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub codeowners: bool,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub environments: Vec<String>,
    pub timezone: String,
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
    pub from_minute: u32,
    pub to_minute: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Freeze {
    pub environments: Vec<String>,
    pub from: String,
    pub to: String,
    pub from_ns: i64,
    pub to_ns: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Protect {
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    Advisory,
    SoftMandatory,
    HardMandatory,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicySet {
    pub path: String,
    pub enforcement: Enforcement,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owners: Option<String>,
}

impl Config {
    /// The embedded default.
    pub fn embedded() -> Config {
        // The default is a constant checked by a unit test: it always parses.
        parse("<embedded default>", Arc::from(DEFAULT_CONFIG), None).unwrap_or_default()
    }

    /// Resolve a `policy_set` path against the config's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        match &self.dir {
            Some(d) if path.is_relative() => d.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// The document policies read as `data.plangate.config`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
