//! Policy sets (`policy_set` blocks of plangate.hcl) and what their enforcement
//! level makes of a failure, as HCP Terraform decides it: hard-mandatory blocks,
//! soft-mandatory blocks until one of the set's owners approves, advisory only warns.
//!
//! A failure carries the set it was found in (each set is its own compile unit, see
//! `policy::PolicySetEngines`); its enforcement is looked up by that set, never by
//! the failure's package, which several sets may share (`package main`).

use std::path::PathBuf;

use crate::config::{Config, Enforcement};
use crate::stage::Stage;

use super::StageRule;

/// One configured policy set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySet {
    /// The block's label.
    pub name: String,
    /// Its `path`, resolved against plangate.hcl's directory.
    pub root: PathBuf,
    pub enforcement: Enforcement,
    /// The group whose approval overrides a soft-mandatory failure.
    pub owners: Option<String>,
}

/// Every configured policy set, in name order. The `-p` policies are not one of
/// them: their failures carry no set and are hard-mandatory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySets {
    sets: Vec<PolicySet>,
}

/// A policy failure as enforcement sees it.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// The policy set it was found in; None for the `-p` policies.
    pub set: Option<&'a str>,
    pub namespace: &'a str,
    pub rule: &'a str,
    pub msg: &'a str,
}

impl PolicySets {
    /// The sets `config` declares.
    pub fn from_config(config: &Config) -> PolicySets {
        PolicySets {
            sets: config
                .policy_sets
                .iter()
                .map(|(name, set)| PolicySet {
                    name: name.clone(),
                    root: config.resolve(&set.path),
                    enforcement: set.enforcement,
                    owners: set.owners.clone(),
                })
                .collect(),
        }
    }

    pub fn new(sets: Vec<PolicySet>) -> PolicySets {
        PolicySets { sets }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, PolicySet> {
        self.sets.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&PolicySet> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// The gate a failure opens: hard-mandatory always, soft-mandatory until an
    /// owner approves, advisory never (the caller shows it as a warning). A failure
    /// of the `-p` policies, or of a set not configured here, is hard-mandatory.
    pub fn failure_gate(
        &self,
        f: Failure<'_>,
        config: &Config,
        approvers: &[String],
    ) -> Option<StageRule> {
        let rule = format!("{}.{}", f.namespace, f.rule);
        let mut gate = StageRule {
            rule: rule.clone(),
            address: None,
            deposed: None,
            stage: Stage::Blocked,
            reason: format!("policy {rule} failed: {}", f.msg),
            unblock: Some("fix the change or the policy".to_string()),
        };
        let Some(set) = f.set.and_then(|name| self.get(name)) else {
            return Some(gate);
        };
        let name = &set.name;
        match set.enforcement {
            Enforcement::HardMandatory => {
                gate.reason = format!("hard-mandatory policy set {name}: {rule} failed: {}", f.msg);
                gate.unblock =
                    Some("fix the change; hard-mandatory failures cannot be overridden".into());
                Some(gate)
            }
            Enforcement::Advisory => None,
            Enforcement::SoftMandatory => {
                let members = set
                    .owners
                    .as_ref()
                    .and_then(|g| config.groups.get(g))
                    .map(|g| g.members.clone())
                    .unwrap_or_default();
                if approvers.iter().any(|a| members.contains(a)) {
                    return None;
                }
                gate.reason = format!("soft-mandatory policy set {name}: {rule} failed: {}", f.msg);
                gate.unblock = Some(match &set.owners {
                    Some(g) => format!(
                        "an approval from group {g} ({}) overrides it",
                        members.join(", ")
                    ),
                    None => "fix the change (the policy set names no owners to override it)".into(),
                });
                Some(gate)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> (PolicySets, Config) {
        let set = |name: &str, enforcement, owners: Option<&str>| PolicySet {
            name: name.into(),
            root: PathBuf::from(name),
            enforcement,
            owners: owners.map(String::from),
        };
        let mut config = Config::default();
        config.groups.insert(
            "sec".into(),
            crate::config::Group {
                members: vec!["erin".into(), "frank".into()],
            },
        );
        let sets = PolicySets::new(vec![
            set("hard", Enforcement::HardMandatory, Some("sec")),
            set("soft", Enforcement::SoftMandatory, Some("sec")),
            set("ownerless", Enforcement::SoftMandatory, None),
            set("advice", Enforcement::Advisory, Some("sec")),
        ]);
        (sets, config)
    }

    #[test]
    fn a_failure_is_enforced_by_the_set_it_came_from_not_its_package() {
        let (sets, config) = sets();
        // (set, approvers, the gate's unblock or None for a warning)
        #[rustfmt::skip]
        let rows: &[(Option<&str>, &[&str], Option<&str>)] = &[
            (None, &["erin"], Some("fix the change or the policy")),
            (Some("unknown"), &["erin"], Some("fix the change or the policy")),
            (Some("hard"), &["erin"], Some("fix the change; hard-mandatory failures cannot be overridden")),
            (Some("soft"), &[], Some("an approval from group sec (erin, frank) overrides it")),
            (Some("soft"), &["alice"], Some("an approval from group sec (erin, frank) overrides it")),
            (Some("soft"), &["frank"], None),
            (Some("ownerless"), &["erin"], Some("fix the change (the policy set names no owners to override it)")),
            (Some("advice"), &[], None),
        ];
        for (set, approvers, unblock) in rows {
            let approvers: Vec<String> = approvers.iter().map(|a| a.to_string()).collect();
            let f = Failure {
                set: *set,
                namespace: "main",
                rule: "deny",
                msg: "m",
            };
            let gate = sets.failure_gate(f, &config, &approvers);
            assert_eq!(
                gate.as_ref().and_then(|g| g.unblock.as_deref()),
                *unblock,
                "{set:?} {approvers:?}"
            );
            if let Some(g) = gate {
                assert_eq!(g.rule, "main.deny");
                assert_eq!(g.stage, Stage::Blocked);
                assert!(g.address.is_none());
            }
        }
    }
}
