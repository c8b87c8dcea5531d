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
}

impl Default for Report {
    fn default() -> Self {
        Report {
            plans: Vec::new(),
            errors: Vec::new(),
            require_stage: Stage::PlanOnly,
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
}

/// A failure or warning, already redacted.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub msg: String,
    pub namespace: String,
    pub rule: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Where the finding points (`_loc` in the result object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<serde_json::Value>,
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
            metadata: match redactor.json(&serde_json::Value::Object(r.metadata)) {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
            loc: r.loc.map(|l| redactor.json(&l)),
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
