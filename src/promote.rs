//! Stage 4 evidence: `plangate record` writes an apply (or its verification) to the
//! ledger; `plangate verify` checks a fresh plan made right after an apply and
//! records `verified` or `failed`. `check` reads the ledger back (policies/promotion.rego).

use std::path::Path;

use crate::diag::Diag;
use crate::ledger::{self, Ledger, Outcome, Record};
use crate::plan::{digest, Plan};

/// Who and where a record is about.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    pub environment: String,
    pub commit: String,
    pub project: Option<String>,
    pub who: Option<String>,
    /// The record time (RFC 3339); the clock when absent.
    pub now: Option<String>,
}

fn now_or(now: Option<&str>) -> Result<String, Diag> {
    match now {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .map_err(|e| {
                Diag::new(
                    "plangate::cli::bad_now",
                    format!("--now {s:?} is not RFC 3339: {e}"),
                )
                .help("write e.g. --now 2026-11-22T10:00:00Z")
            }),
        None => Ok(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }
}

/// The record for `plan` with `outcome`.
pub fn make_record(
    plan: &Plan,
    opts: &RecordOptions,
    outcome: Outcome,
    reasons: Vec<String>,
) -> Result<Record, Diag> {
    Ok(Record {
        v: 1,
        time: now_or(opts.now.as_deref())?,
        environment: opts.environment.clone(),
        project: opts.project.clone(),
        commit: opts.commit.clone(),
        plan_digest: digest::plan_digest(plan),
        changeset_digest: digest::changeset_digest(plan),
        outcome,
        who: opts.who.clone(),
        addresses: plan
            .changes
            .iter()
            .filter(|c| c.action.does_something())
            .map(|c| c.address.clone())
            .collect(),
        reasons,
    })
}

/// `plangate record`: append the plan's record.
pub fn record(
    ledger_path: &Path,
    plan: &Plan,
    opts: &RecordOptions,
    outcome: Outcome,
) -> Result<Record, Diag> {
    let r = make_record(plan, opts, outcome, Vec::new())?;
    ledger::append(ledger_path, &r)?;
    Ok(r)
}

/// Why a fresh plan does not prove the apply: it still has work to do, or the
/// resources the apply touched drifted.
pub fn verification_problems(fresh: &Plan, applied: Option<&Record>) -> Vec<String> {
    let mut problems: Vec<String> = fresh
        .changes
        .iter()
        .filter(|c| c.action.does_something())
        .map(|c| {
            format!(
                "{} still has a pending {} after the apply",
                c.address, c.action
            )
        })
        .collect();
    let touched: Vec<&str> = match applied {
        Some(r) => r.addresses.iter().map(String::as_str).collect(),
        // Without an applied record, any drift counts.
        None => fresh.drifted.iter().map(String::as_str).collect(),
    };
    for address in &fresh.drifted {
        if touched.contains(&address.as_str()) {
            problems.push(format!(
                "{address} drifted after the apply (resource_drift)"
            ));
        }
    }
    problems
}

/// The outcome of `plangate verify`.
#[derive(Debug, Clone)]
pub struct Verification {
    pub record: Record,
    /// The applied record it verifies, when the ledger has one.
    pub applied: Option<Record>,
}

/// `plangate verify`: judge a fresh plan and record the verdict.
pub fn verify(
    ledger_path: &Path,
    fresh: &Plan,
    opts: &RecordOptions,
) -> Result<Verification, Diag> {
    let ledger = Ledger::read(ledger_path)?;
    let applied = ledger
        .records
        .iter()
        .rev()
        .find(|r| {
            r.environment == opts.environment
                && r.outcome == Outcome::Applied
                && ledger::same_commit(&r.commit, &opts.commit)
                && (opts.project.is_none() || r.project == opts.project)
        })
        .cloned();
    let mut problems = verification_problems(fresh, applied.as_ref());
    if applied.is_none() {
        problems.push(format!(
            "the ledger has no `applied` record for {} at {}: record the apply first (`plangate record --outcome applied`)",
            opts.environment, opts.commit
        ));
    }
    let outcome = if problems.is_empty() {
        Outcome::Verified
    } else {
        Outcome::Failed
    };
    let mut record = make_record(fresh, opts, outcome, problems)?;
    // A verification vouches for the applied plan, not for the (empty) fresh one.
    if let Some(a) = &applied {
        record.plan_digest = a.plan_digest.clone();
        record.changeset_digest = a.changeset_digest.clone();
        record.addresses = a.addresses.clone();
    }
    ledger::append(ledger_path, &record)?;
    Ok(Verification { record, applied })
}
