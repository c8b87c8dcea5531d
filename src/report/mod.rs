//! The report: one model of what plangate found, which every output format renders.
//! Renderers lay it out; they never compute a decision or touch plan values.

pub mod conftest;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use serde::Serialize;

use crate::decision::{Gate, PlanDecision, Reason};
use crate::diag::{Diag, DiagJson};
pub use crate::hcl::locate::SourceLocation;
use crate::plan::{ActionClass, Plan, ReplaceOrder, Summary};
use crate::policy::{Evaluation, ExceptionResult, RuleResult};
use crate::redact::Redactor;
use crate::stage::Stage;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, for terminals and CI logs.
    Text,
    /// The versioned `plangate/v1` document (see README, "JSON output").
    Json,
    /// A pull-request comment: summary first, destroys and gates prominent,
    /// detail folded; kept under GitHub's 65,536-character limit.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML: one testsuite per plan.
    Junit,
    /// GitHub Actions annotations (`::error`, `::warning`); with
    /// `$GITHUB_STEP_SUMMARY` set, the Markdown is appended to it.
    Github,
    /// `conftest test` text output, byte for byte (for Atlantis's policy_check).
    Conftest,
    /// `conftest test -o json` output, byte for byte.
    ConftestJson,
}

/// The result of one `check` run.
#[derive(Debug, Clone)]
pub struct Report {
    pub plans: Vec<PlanReport>,
    /// Errors not tied to one plan (policies, config, paths).
    pub errors: Vec<Diag>,
    /// `--require-stage`: plans below it fail the run.
    pub require_stage: Stage,
    /// Problems that never change the outcome (a `.tf` file `--source` could not
    /// parse): printed on stderr, not counted as errors.
    pub warnings: Vec<Diag>,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            plans: Vec::new(),
            errors: Vec::new(),
            require_stage: Stage::PlanOnly,
            warnings: Vec::new(),
        }
    }
}

/// Exit status, derived from the report in exactly one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass = 0,
    Fail = 1,
    Error = 2,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        if !self.errors.is_empty() || self.plans.iter().any(|p| p.error.is_some()) {
            Verdict::Error
        } else if self
            .plans
            .iter()
            .any(|p| p.stage().is_some_and(|s| s < self.require_stage))
        {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    /// Every diagnostic, global ones first, then per plan in order.
    pub fn all_errors(&self) -> impl Iterator<Item = &Diag> {
        self.errors
            .iter()
            .chain(self.plans.iter().filter_map(|p| p.error.as_ref()))
    }
}

/// What happened to one plan.
#[derive(Debug, Clone, Default)]
pub struct PlanReport {
    pub path: String,
    pub format_version: Option<String>,
    pub terraform_version: Option<String>,
    pub summary: Summary,
    pub changes: Vec<ChangeReport>,
    pub failures: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub exceptions: Vec<ExceptionFinding>,
    pub successes: usize,
    /// The evaluated namespaces with their success counts (conftest formats).
    pub namespaces: Vec<crate::policy::NamespaceCount>,
    pub prints: Vec<String>,
    /// The rollout decision; None when the plan could not be evaluated.
    pub decision: Option<PlanDecision>,
    /// What the plan will do, hashed (see `plan::digest`).
    pub digest: Option<String>,
    /// The change abstracted from its environment.
    pub changeset_digest: Option<String>,
    /// The plan could not be loaded or evaluated.
    pub error: Option<Diag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeReport {
    pub address: String,
    pub actions: Vec<String>,
    pub action: ActionClass,
    pub destructive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_order: Option<ReplaceOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub importing: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drifted: bool,
    /// The stage before gates.
    pub eligible: Stage,
    /// The highest stage at which this change may proceed.
    pub stage: Stage,
    pub reasons: Vec<Reason>,
    pub gates: Vec<Gate>,
    /// The `resource`/`data` block behind the address (`check --source`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// A failure or warning, already redacted.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub msg: String,
    pub namespace: String,
    pub rule: String,
    /// The policy set it came from (plangate.hcl `policy_set`); absent for `-p`
    /// policies and the built-in library.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Where the finding points (`_loc` in the result object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<serde_json::Value>,
    /// Without `_loc`: the block of the resource the finding names (`check --source`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExceptionFinding {
    pub msg: String,
    pub namespace: String,
    pub rule: String,
}

impl PlanReport {
    /// A plan that could not be loaded.
    pub fn failed(path: String, error: Diag) -> PlanReport {
        PlanReport {
            path,
            error: Some(error),
            ..PlanReport::default()
        }
    }

    /// The plan's stage, when it was decided.
    pub fn stage(&self) -> Option<Stage> {
        self.decision.as_ref().map(|d| d.stage)
    }

    /// Assemble the report of one plan. Every string from policies passes through
    /// the plan's redactor here.
    pub fn new(plan: &Plan, eval: Evaluation, decision: PlanDecision) -> PlanReport {
        let redactor = Redactor::new(&plan.secrets);
        let finding = |r: RuleResult| Finding {
            msg: redactor.string(&r.msg),
            namespace: r.namespace,
            rule: r.rule,
            set: r.set,
            metadata: match redactor.json(&serde_json::Value::Object(r.metadata)) {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
            loc: r.loc.map(|l| redactor.json(&l)),
            location: None,
        };
        let exception = |e: ExceptionResult| ExceptionFinding {
            msg: redactor.string(&e.msg),
            namespace: e.namespace,
            rule: e.rule,
        };
        let reason = |r: &Reason| Reason {
            rule: r.rule.clone(),
            stage: r.stage,
            message: redactor.string(&r.message),
        };
        let gate = |g: &Gate| Gate {
            rule: g.rule.clone(),
            reason: redactor.string(&g.reason),
            unblock: g.unblock.as_ref().map(|u| redactor.string(u)),
        };
        let changes = plan
            .changes
            .iter()
            .zip(&decision.changes)
            .map(|(c, d)| ChangeReport {
                address: c.address.clone(),
                actions: c.actions.clone(),
                action: c.action,
                destructive: c.destructive,
                replace_order: c.replace_order,
                action_reason: c.action_reason.clone(),
                deposed: c.deposed.clone(),
                moved_from: c.moved_from.clone(),
                importing: c.importing,
                drifted: c.drifted,
                eligible: d.eligible,
                stage: d.stage,
                reasons: d.reasons.iter().map(reason).collect(),
                gates: d.gates.iter().map(gate).collect(),
                location: None,
            })
            .collect();
        let decision = PlanDecision {
            reasons: decision.reasons.iter().map(reason).collect(),
            gates: decision.gates.iter().map(gate).collect(),
            changes: Vec::new(),
            ..decision
        };
        PlanReport {
            path: plan.meta.path.clone(),
            format_version: Some(plan.meta.format_version.clone()),
            terraform_version: plan.meta.terraform_version.clone(),
            summary: plan.summary(),
            changes,
            failures: eval.failures.into_iter().map(finding).collect(),
            warnings: eval.warnings.into_iter().map(finding).collect(),
            exceptions: eval.exceptions.into_iter().map(exception).collect(),
            successes: eval.successes,
            namespaces: eval.namespaces.clone(),
            prints: eval.prints.iter().map(|p| redactor.string(p)).collect(),
            decision: Some(decision),
            digest: None,
            changeset_digest: None,
            error: None,
        }
    }
}

impl PlanReport {
    /// Attach source locations (`check --source`): every change gets the block of its
    /// address; every failure and warning without a `_loc` gets the block of the
    /// resource it names: metadata `address`, `resource_address` or `resource` (a
    /// string, or an object with an `address`), else the longest change address its
    /// message names as a whole word.
    pub fn locate(&mut self, locate: impl Fn(&str) -> Option<SourceLocation>) {
        for c in &mut self.changes {
            c.location = locate(&c.address);
        }
        if self.failures.is_empty() && self.warnings.is_empty() {
            return;
        }
        let located: std::collections::HashMap<&str, &SourceLocation> = self
            .changes
            .iter()
            .filter_map(|c| c.location.as_ref().map(|l| (c.address.as_str(), l)))
            .collect();
        let patterns: Vec<&str> = located.keys().copied().collect();
        let matcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        let in_message = |msg: &str| -> Option<SourceLocation> {
            let m = matcher.as_ref()?;
            m.find_iter(msg)
                .filter(|hit| names_address_at(msg, hit.start(), hit.end()))
                .max_by_key(|hit| hit.end() - hit.start())
                .and_then(|hit| located.get(&msg[hit.start()..hit.end()]))
                .map(|l| (*l).clone())
        };
        let mut found = Vec::new();
        for f in self.failures.iter().chain(&self.warnings) {
            let has_loc = f
                .loc
                .as_ref()
                .is_some_and(|l| l.get("file").is_some() || l.get("line").is_some());
            if has_loc {
                found.push(None);
                continue;
            }
            let named = ["address", "resource_address", "resource"]
                .iter()
                .find_map(|k| match f.metadata.get(*k) {
                    Some(serde_json::Value::String(s)) => Some(s.as_str()),
                    Some(serde_json::Value::Object(o)) => {
                        o.get("address").and_then(serde_json::Value::as_str)
                    }
                    _ => None,
                });
            let by_name =
                named.and_then(|a| located.get(a).map(|l| (*l).clone()).or_else(|| locate(a)));
            found.push(by_name.or_else(|| in_message(&f.msg)));
        }
        for (f, l) in self
            .failures
            .iter_mut()
            .chain(self.warnings.iter_mut())
            .zip(found)
        {
            f.location = l;
        }
    }
}

/// The text at `start..end` is a whole address: not part of a longer name or of a
/// longer address (`module.x.` before it, a name character after it).
fn names_address_at(text: &str, start: usize, end: usize) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| is_name(c) || c == '.') && !after.is_some_and(is_name)
}

/// Render a report in the chosen format.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
        Format::Conftest => conftest::render_text(report, color),
        Format::ConftestJson => conftest::render_json(report),
    }
}

pub(crate) fn diag_json(d: &Diag) -> DiagJson {
    d.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(address: &str) -> ChangeReport {
        ChangeReport {
            address: address.to_string(),
            actions: vec!["create".into()],
            action: ActionClass::Create,
            destructive: false,
            replace_order: None,
            action_reason: None,
            deposed: None,
            moved_from: None,
            importing: false,
            drifted: false,
            eligible: Stage::PlanOnly,
            stage: Stage::PlanOnly,
            reasons: Vec::new(),
            gates: Vec::new(),
            location: None,
        }
    }

    fn finding(msg: &str, metadata: serde_json::Value, loc: Option<serde_json::Value>) -> Finding {
        Finding {
            msg: msg.to_string(),
            namespace: "main".into(),
            rule: "deny".into(),
            set: None,
            metadata: match metadata {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
            loc,
            location: None,
        }
    }

    /// A location whose line tells which address it was found for.
    fn lookup(address: &str) -> Option<SourceLocation> {
        let line = match crate::hcl::locate::config_address(address).as_str() {
            "t.a" => 1,
            "module.m.t.a" => 2,
            "t.ab" => 3,
            "data.t.d" => 4,
            _ => return None,
        };
        Some(SourceLocation {
            file: "main.tf".into(),
            line,
            column: 1,
        })
    }

    #[test]
    fn findings_take_the_block_of_the_resource_they_name() {
        let mut plan = PlanReport {
            changes: ["t.a", r#"module.m["k"].t.a"#, "t.ab", "t.gone"]
                .into_iter()
                .map(change)
                .collect(),
            ..PlanReport::default()
        };
        let cases: Vec<(Finding, Option<usize>)> = vec![
            // The longest address the message names, as a whole word.
            (
                finding(r#"module.m["k"].t.a is open"#, json!({}), None),
                Some(2),
            ),
            (finding("t.a is open", json!({}), None), Some(1)),
            (finding("see t.ab.id", json!({}), None), Some(3)),
            (
                finding("x_t.a and t.abc name nothing", json!({}), None),
                None,
            ),
            (finding("t.gone has no block", json!({}), None), None),
            // Metadata first, any address the configuration has.
            (finding("t.a", json!({"address": "t.ab"}), None), Some(3)),
            (
                finding("x", json!({"resource": {"address": "data.t.d"}}), None),
                Some(4),
            ),
            (
                finding("x", json!({"resource_address": "t.a"}), None),
                Some(1),
            ),
            // `_loc` says where already.
            (finding("t.a", json!({}), Some(json!({"line": 9}))), None),
            (finding("", json!({}), None), None),
        ];
        plan.failures = cases.iter().map(|(f, _)| f.clone()).collect();
        plan.warnings = vec![finding("t.a", json!({}), None)];
        plan.locate(lookup);
        let lines: Vec<Option<usize>> = plan
            .changes
            .iter()
            .map(|c| c.location.as_ref().map(|l| l.line))
            .collect();
        assert_eq!(lines, [Some(1), Some(2), Some(3), None]);
        for (f, (_, want)) in plan.failures.iter().zip(&cases) {
            assert_eq!(f.location.as_ref().map(|l| l.line), *want, "{}", f.msg);
        }
        assert_eq!(plan.warnings[0].location.as_ref().map(|l| l.line), Some(1));
    }
}
