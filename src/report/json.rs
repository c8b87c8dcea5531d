//! `--format json`: the versioned `plangate/v1` document, documented in the README.

use serde::Serialize;

use crate::decision::{Gate, Reason};
use crate::diag::DiagJson;
use crate::plan::Summary;
use crate::stage::Stage;

use super::{diag_json, ChangeReport, ExceptionFinding, Finding, Report};

/// Identifies the document shape; bumped only on incompatible changes.
pub const SCHEMA: &str = "plangate/v1";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    plans: Vec<PlanDoc<'a>>,
    errors: Vec<DiagJson>,
    require_stage: Stage,
    exit_code: i32,
}

#[derive(Serialize)]
struct PlanDoc<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    format_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    terraform_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changeset_digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment_stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<Stage>,
    reasons: &'a [Reason],
    gates: &'a [Gate],
    summary: &'a Summary,
    changes: &'a [ChangeReport],
    failures: &'a [Finding],
    warnings: &'a [Finding],
    exceptions: &'a [ExceptionFinding],
    successes: usize,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    prints: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<DiagJson>,
}

pub fn render(report: &Report) -> String {
    let doc = Doc {
        schema: SCHEMA,
        plans: report
            .plans
            .iter()
            .map(|p| PlanDoc {
                path: &p.path,
                format_version: p.format_version.as_deref(),
                terraform_version: p.terraform_version.as_deref(),
                digest: p.digest.as_deref(),
                changeset_digest: p.changeset_digest.as_deref(),
                environment: p.decision.as_ref().map(|d| d.environment.as_str()),
                environment_stage: p.decision.as_ref().map(|d| d.environment_stage),
                stage: p.stage(),
                reasons: p.decision.as_ref().map_or(&[], |d| &d.reasons[..]),
                gates: p.decision.as_ref().map_or(&[], |d| &d.gates[..]),
                summary: &p.summary,
                changes: &p.changes,
                failures: &p.failures,
                warnings: &p.warnings,
                exceptions: &p.exceptions,
                successes: p.successes,
                prints: &p.prints,
                error: p.error.as_ref().map(diag_json),
            })
            .collect(),
        errors: report.errors.iter().map(diag_json).collect(),
        require_stage: report.require_stage,
        exit_code: report.verdict() as i32,
    };
    let mut out = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"schema\":\"{SCHEMA}\",\"error\":\"{e}\"}}"));
    out.push('\n');
    out
}
