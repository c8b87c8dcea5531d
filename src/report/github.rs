//! `--format github`: GitHub Actions workflow commands. Failures and gates are
//! `::error` annotations, warnings and caps `::warning`, exceptions `::notice`, one
//! `::group::` per plan, then the summary line of the text format. (`main` also
//! appends the Markdown rendering to `$GITHUB_STEP_SUMMARY` when it is set.)
//!
//! Escaping follows `@actions/core`: in the message `%`, `\r` and `\n` become
//! `%25`, `%0D` and `%0A`; in property values `:` and `,` too (`%3A`, `%2C`).

use std::fmt::Write;

use super::sarif::{issues, Issue, Kind};
use super::Report;

/// GitHub shows only a few annotations per step: the gates and caps of single
/// changes that share a rule, a stage and an unblock text are one annotation
/// naming every change.
fn grouped(issues: Vec<Issue<'_>>) -> Vec<(Issue<'_>, Vec<&str>)> {
    let mut out: Vec<(Issue, Vec<&str>)> = Vec::new();
    for i in issues {
        let groupable = matches!(i.kind, Kind::Gate | Kind::Cap) && i.address.is_some();
        if groupable {
            if let Some((_, addresses)) = out.iter_mut().find(|(g, a)| {
                !a.is_empty()
                    && g.kind == i.kind
                    && g.rule == i.rule
                    && g.stage == i.stage
                    && g.unblock == i.unblock
            }) {
                addresses.extend(i.address);
                continue;
            }
        }
        let addresses = if groupable {
            i.address.into_iter().collect()
        } else {
            Vec::new()
        };
        out.push((i, addresses));
    }
    out
}

/// Escape the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(out: &mut String, name: &str, props: &[(&str, String)], message: &str) {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    if props.is_empty() {
        let _ = writeln!(out, "::{name}::{}", escape_data(message));
    } else {
        let _ = writeln!(
            out,
            "::{name} {}::{}",
            props.join(","),
            escape_data(message)
        );
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.errors {
        error_command(&mut out, d);
    }
    for plan in &report.plans {
        let title = match plan.stage() {
            Some(s) => format!("plangate {}: stage {} {}", plan.path, s.level(), s),
            None => format!("plangate {}: error", plan.path),
        };
        // A group title is a message, not a property.
        let _ = writeln!(out, "::group::{}", escape_data(&title));
        if let Some(d) = &plan.error {
            error_command(&mut out, d);
        }
        for (issue, addresses) in grouped(issues(plan)) {
            let name = match issue.kind {
                Kind::Failure | Kind::Gate => "error",
                Kind::Warning | Kind::Cap => "warning",
                Kind::Exception => "notice",
            };
            // `_loc`, else the resource block (`--source`; for several changes in one
            // annotation, only when they share the file), else the plan.
            let source = issue
                .source_location()
                .filter(|_| addresses.len() <= 1 || shared_file(plan, &addresses));
            let (file, line, col) = match source {
                Some(s) => (s.file.clone(), s.line as u64, Some(s.column)),
                None => (
                    issue.loc_file.unwrap_or(&plan.path).to_string(),
                    issue.loc_line.unwrap_or(1),
                    None,
                ),
            };
            let stage = issue.stage.map(|s| s.name()).unwrap_or("?");
            let title = match issue.kind {
                Kind::Gate => format!("plangate: {} blocks", issue.rule),
                Kind::Cap => format!("plangate: {} caps at {stage}", issue.rule),
                Kind::Failure => format!("plangate: {} failed", issue.rule),
                Kind::Warning => format!("plangate: {} warns", issue.rule),
                Kind::Exception => format!("plangate: {} excepted", issue.rule),
            };
            let message = if addresses.len() > 1 {
                let mut m = if issue.kind == Kind::Gate {
                    format!("{} blocks {} changes: ", issue.rule, addresses.len())
                } else {
                    format!(
                        "{} holds {} changes at {stage}: ",
                        issue.rule,
                        addresses.len()
                    )
                };
                m.push_str(&addresses.join(", "));
                if let Some(u) = issue.unblock {
                    m.push_str(" | to unblock: ");
                    m.push_str(u);
                }
                m
            } else {
                issue.text()
            };
            let mut props = vec![("file", file), ("line", line.to_string())];
            if let Some(c) = col {
                props.push(("col", c.to_string()));
            }
            props.push(("title", title));
            command(&mut out, name, &props, &message);
        }
        let _ = writeln!(out, "::endgroup::");
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

/// Every change of a grouped annotation is located in the same file.
fn shared_file(plan: &super::PlanReport, addresses: &[&str]) -> bool {
    let file = |a: &str| {
        plan.changes
            .iter()
            .find(|c| c.address == a)
            .and_then(|c| c.location.as_ref())
            .map(|l| l.file.as_str())
    };
    let first = addresses.first().and_then(|a| file(a));
    first.is_some() && addresses.iter().all(|a| file(a) == first)
}

fn error_command(out: &mut String, d: &crate::Diag) {
    let j = d.to_json();
    let mut props = Vec::new();
    if let Some(f) = &j.file {
        props.push(("file", f.clone()));
        if let Some(l) = j.line {
            props.push(("line", l.to_string()));
            if let Some(c) = j.column {
                props.push(("col", c.to_string()));
            }
        }
    }
    props.push(("title", j.code.clone()));
    let mut msg = j.message.clone();
    if let Some(h) = &j.help {
        msg.push_str("\nhelp: ");
        msg.push_str(h);
    }
    command(out, "error", &props, &msg);
}

/// The last line of the text format: plans, lowest stage, counts.
pub(super) fn summary_line(report: &Report) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let failures: usize = report.plans.iter().map(|p| p.failures.len()).sum();
    let warnings: usize = report.plans.iter().map(|p| p.warnings.len()).sum();
    let exceptions: usize = report.plans.iter().map(|p| p.exceptions.len()).sum();
    let errors = report.all_errors().count();
    let plans = report.plans.len();
    let stage_note = match report.plans.iter().filter_map(|p| p.stage()).min() {
        Some(s) => format!(", lowest stage {s} (required: {})", report.require_stage),
        None => String::new(),
    };
    format!(
        "{plans} plan{}{stage_note}: {failures} failure{}, {warnings} warning{}, {exceptions} exception{}, {errors} error{}",
        plural(plans),
        plural(failures),
        plural(warnings),
        plural(exceptions),
        plural(errors),
    )
}
