//! The rollout decision (SPEC.md section 4), a pure function of the plan's changes,
//! the environment's stage and the rule results: no I/O, no regorus.
//!
//! Per change: `eligible` = the environment's stage lowered by every cap;
//! `stage` = blocked when a gate is open for it, else `eligible`. Per plan: the
//! minimum over changes that do something, plus plan-level caps and gates; a plan
//! with nothing to do may go anywhere unless a plan-level gate holds it.

mod policy_sets;

use serde::Serialize;

pub use policy_sets::{Failure, PolicySet, PolicySets};

use crate::plan::Change;
use crate::stage::Stage;

/// A rule result that lowers a stage (`cap`) or blocks (`gate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageRule {
    /// Rule id, e.g. `destructive` or `main.cap`.
    pub rule: String,
    /// None: applies to the whole plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// With an address: `Some("")` only the current object, `Some(key)` only the
    /// deposed object with that key, None any object at that address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// The stage a cap lowers to (gates block: `blocked`).
    pub stage: Stage,
    pub reason: String,
    /// For gates: who or what opens it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unblock: Option<String>,
}

/// Why a change sits where it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub rule: String,
    pub stage: Stage,
    pub message: String,
}

/// Something that must happen before a blocked change may proceed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gate {
    pub rule: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unblock: Option<String>,
}

impl From<&StageRule> for Gate {
    fn from(r: &StageRule) -> Gate {
        Gate {
            rule: r.rule.clone(),
            reason: r.reason.clone(),
            unblock: r.unblock.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeDecision {
    pub eligible: Stage,
    pub stage: Stage,
    /// Every lowering, lowest stage first; the first is the binding one.
    pub reasons: Vec<Reason>,
    pub gates: Vec<Gate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanDecision {
    pub environment: String,
    pub environment_stage: Stage,
    pub stage: Stage,
    /// Plan-level lowerings (and why an empty plan is where it is).
    pub reasons: Vec<Reason>,
    pub gates: Vec<Gate>,
    /// One per change, in plan order.
    pub changes: Vec<ChangeDecision>,
}

/// Decide every change and the plan.
pub fn decide(
    environment: &str,
    env_stage: Stage,
    changes: &[Change],
    caps: &[StageRule],
    gates: &[StageRule],
) -> PlanDecision {
    let env_reason = Reason {
        rule: "environment".to_string(),
        stage: env_stage,
        message: format!("environment {environment} has reached stage {env_stage}"),
    };
    // Only rules with an address are matched against each change; plan-wide rules
    // are folded once into `plan_wide` so that a library with many plan-wide
    // failures costs O(rules + changes), not O(rules x changes).
    let applies = |r: &StageRule, c: &Change| match &r.address {
        None => false,
        Some(a) => {
            *a == c.address
                && match r.deposed.as_deref() {
                    None => true,
                    Some("") => c.deposed.is_none(),
                    Some(key) => c.deposed.as_deref() == Some(key),
                }
        }
    };
    let plan_caps: Vec<&StageRule> = caps.iter().filter(|r| r.address.is_none()).collect();
    let plan_gates: Vec<&StageRule> = gates.iter().filter(|r| r.address.is_none()).collect();
    let plan_wide_cap = plan_wide_reason(&plan_caps, false);
    let plan_wide_gate = plan_wide_reason(&plan_gates, true);
    let first_plan_gate: Option<Gate> = plan_gates.first().map(|r| Gate::from(*r));
    let by_address = index_by_address(caps, gates);

    let decisions: Vec<ChangeDecision> = changes
        .iter()
        .map(|c| {
            let (own_caps, own_gates) = by_address
                .get(c.address.as_str())
                .map(|(cs, gs)| (cs.as_slice(), gs.as_slice()))
                .unwrap_or((&[], &[]));
            let mut reasons: Vec<Reason> = Vec::new();
            if env_stage < Stage::Promote {
                reasons.push(env_reason.clone());
            }
            reasons.extend(own_caps.iter().filter(|r| applies(r, c)).map(|r| Reason {
                rule: r.rule.clone(),
                stage: r.stage,
                message: r.reason.clone(),
            }));
            reasons.extend(plan_wide_cap.iter().cloned());
            let eligible = reasons
                .iter()
                .map(|r| r.stage)
                .chain(std::iter::once(env_stage))
                .min()
                .unwrap_or(env_stage);
            let mut change_gates: Vec<Gate> = own_gates
                .iter()
                .filter(|r| applies(r, c))
                .map(|r| Gate::from(*r))
                .collect();
            for g in &change_gates {
                reasons.push(Reason {
                    rule: g.rule.clone(),
                    stage: Stage::Blocked,
                    message: g.reason.clone(),
                });
            }
            if let Some(g) = &first_plan_gate {
                change_gates.push(g.clone());
                reasons.extend(plan_wide_gate.iter().cloned());
            }
            let stage = if change_gates.is_empty() {
                eligible
            } else {
                Stage::Blocked
            };
            reasons.sort_by_key(|r| r.stage);
            reasons.dedup();
            ChangeDecision {
                eligible,
                stage,
                reasons,
                gates: change_gates,
            }
        })
        .collect();

    let acting: Vec<&ChangeDecision> = changes
        .iter()
        .zip(&decisions)
        .filter(|(c, _)| c.action.does_something())
        .map(|(_, d)| d)
        .collect();
    let mut reasons: Vec<Reason> = plan_caps
        .iter()
        .map(|r| Reason {
            rule: r.rule.clone(),
            stage: r.stage,
            message: r.reason.clone(),
        })
        .collect();
    let plan_gate_list: Vec<Gate> = plan_gates.iter().map(|r| Gate::from(*r)).collect();
    for g in &plan_gate_list {
        reasons.push(Reason {
            rule: g.rule.clone(),
            stage: Stage::Blocked,
            message: g.reason.clone(),
        });
    }
    let stage = if acting.is_empty() {
        reasons.push(Reason {
            rule: "no-changes".to_string(),
            stage: Stage::Promote,
            message: "the plan changes nothing, so it may go anywhere".to_string(),
        });
        reasons
            .iter()
            .map(|r| r.stage)
            .min()
            .unwrap_or(Stage::Promote)
    } else {
        if env_stage < Stage::Promote {
            reasons.push(env_reason);
        }
        acting
            .iter()
            .map(|d| d.stage)
            .chain(reasons.iter().map(|r| r.stage))
            .min()
            .unwrap_or(env_stage)
    };
    reasons.sort_by_key(|r| r.stage);
    // Gates of changes roll up to the plan, once each.
    let mut all_gates = plan_gate_list;
    for d in &acting {
        for g in &d.gates {
            if !all_gates.contains(g) {
                all_gates.push(g.clone());
            }
        }
    }
    PlanDecision {
        environment: environment.to_string(),
        environment_stage: env_stage,
        stage,
        reasons,
        gates: all_gates,
        changes: decisions,
    }
}

/// The one reason a change carries for a kind of plan-wide rule (caps, or gates):
/// the binding one (lowest stage, first), with a count of the rest, which the plan
/// lists. Keeps a change's reasons bounded however many plan-wide rules there are.
fn plan_wide_reason(rules: &[&StageRule], gate: bool) -> Option<Reason> {
    let binding = rules.iter().min_by_key(|r| r.stage)?;
    let more = rules.len() - 1;
    let mut message = binding.reason.clone();
    if more > 0 {
        message.push_str(&format!(
            " (and {more} more plan-wide {}, listed for the plan)",
            match (gate, more) {
                (true, 1) => "gate",
                (true, _) => "gates",
                (false, 1) => "cap",
                (false, _) => "caps",
            }
        ));
    }
    Some(Reason {
        rule: binding.rule.clone(),
        stage: if gate { Stage::Blocked } else { binding.stage },
        message,
    })
}

type ByAddress<'a> = std::collections::HashMap<&'a str, (Vec<&'a StageRule>, Vec<&'a StageRule>)>;

/// Caps and gates with an address, by address, in their original order.
fn index_by_address<'a>(caps: &'a [StageRule], gates: &'a [StageRule]) -> ByAddress<'a> {
    let mut map: ByAddress<'a> = std::collections::HashMap::new();
    for r in caps {
        if let Some(a) = &r.address {
            map.entry(a.as_str()).or_default().0.push(r);
        }
    }
    for r in gates {
        if let Some(a) = &r.address {
            map.entry(a.as_str()).or_default().1.push(r);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::{RawChange, RawResourceChange};

    fn change(address: &str, actions: &[&str]) -> Change {
        Change::from_raw(
            RawResourceChange {
                address: address.to_string(),
                previous_address: None,
                module_address: None,
                mode: None,
                type_: Some("terraform_data".into()),
                name: None,
                index: None,
                provider_name: None,
                deposed: None,
                action_reason: None,
                change: RawChange {
                    actions: actions.iter().map(|s| s.to_string()).collect(),
                    replace_paths: None,
                    importing: None,
                },
            },
            0,
        )
    }

    fn cap(address: Option<&str>, stage: Stage) -> StageRule {
        StageRule {
            rule: "destructive".into(),
            address: address.map(str::to_string),
            deposed: None,
            stage,
            reason: "r".into(),
            unblock: None,
        }
    }

    #[test]
    fn a_cap_lowers_only_its_change_and_the_plan_takes_the_minimum() {
        let changes = [change("a", &["create"]), change("b", &["delete", "create"])];
        let d = decide(
            "dev",
            Stage::AutoApply,
            &changes,
            &[cap(Some("b"), Stage::PlanOnly)],
            &[],
        );
        assert_eq!(d.changes[0].stage, Stage::AutoApply);
        assert_eq!(d.changes[1].stage, Stage::PlanOnly);
        assert_eq!(d.changes[1].reasons[0].rule, "destructive");
        assert_eq!(d.stage, Stage::PlanOnly);
    }

    #[test]
    fn a_gate_blocks_but_eligible_keeps_the_capped_stage() {
        let changes = [change("a", &["create"])];
        let mut g = cap(None, Stage::Blocked);
        g.rule = "window".into();
        let d = decide("prod", Stage::Promote, &changes, &[], &[g]);
        assert_eq!(d.changes[0].eligible, Stage::Promote);
        assert_eq!(d.changes[0].stage, Stage::Blocked);
        assert_eq!(d.stage, Stage::Blocked);
        assert_eq!(d.gates.len(), 1);
    }

    #[test]
    fn no_op_and_read_do_not_lower_the_plan() {
        let changes = [
            change("a", &["no-op"]),
            change("b", &["read"]),
            change("c", &["update"]),
        ];
        let caps = [
            cap(Some("a"), Stage::Blocked),
            cap(Some("b"), Stage::PlanOnly),
        ];
        let d = decide("dev", Stage::AutoApply, &changes, &caps, &[]);
        assert_eq!(d.stage, Stage::AutoApply);
    }

    #[test]
    fn an_empty_plan_may_go_anywhere_unless_a_plan_gate_holds_it() {
        let d = decide("dev", Stage::PlanOnly, &[], &[], &[]);
        assert_eq!(d.stage, Stage::Promote);
        let mut g = cap(None, Stage::Blocked);
        g.rule = "errored".into();
        let d = decide("dev", Stage::PlanOnly, &[], &[], &[g]);
        assert_eq!(d.stage, Stage::Blocked);
    }

    #[test]
    fn plan_wide_rules_bind_every_change_but_are_listed_once() {
        let changes: Vec<Change> = (0..50)
            .map(|i| change(&format!("c{i}"), &["create"]))
            .collect();
        let caps: Vec<StageRule> = (0..30)
            .map(|i| {
                let mut c = cap(
                    None,
                    if i == 7 {
                        Stage::PlanOnly
                    } else {
                        Stage::AutoApply
                    },
                );
                c.rule = format!("main.cap{i}");
                c
            })
            .collect();
        let gates: Vec<StageRule> = (0..20)
            .map(|i| {
                let mut g = cap(None, Stage::Blocked);
                g.rule = format!("main.deny{i}");
                g
            })
            .collect();
        let d = decide("dev", Stage::Promote, &changes, &caps, &gates);
        assert_eq!(d.stage, Stage::Blocked);
        assert_eq!(d.reasons.len(), 50, "the plan lists every plan-wide rule");
        for c in &d.changes {
            assert_eq!(
                c.eligible,
                Stage::PlanOnly,
                "the lowest plan-wide cap binds"
            );
            assert_eq!(c.stage, Stage::Blocked);
            assert_eq!(c.gates.len(), 1);
            assert_eq!(c.reasons.len(), 2, "{:?}", c.reasons);
            assert_eq!(c.reasons[0].rule, "main.deny0");
            assert!(c.reasons[0].message.contains("19 more plan-wide gates"));
            assert_eq!(c.reasons[1].rule, "main.cap7");
            assert!(c.reasons[1].message.contains("29 more plan-wide caps"));
        }
    }

    #[test]
    fn the_environment_stage_bounds_every_change() {
        let changes = [change("a", &["create"])];
        let d = decide("dev", Stage::PlanOnly, &changes, &[], &[]);
        assert_eq!(d.changes[0].stage, Stage::PlanOnly);
        assert_eq!(d.changes[0].reasons[0].rule, "environment");
    }
}
