//! `--format text`: per plan, the counts by action, the changes that do something
//! (destructive first), then what the policies said.

use std::fmt::Write;

use crate::plan::{ActionClass, ReplaceOrder};
use crate::stage::Stage;

use super::{ChangeReport, Report, SourceLocation, Verdict};

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

fn symbol(c: &ChangeReport) -> &'static str {
    match c.action {
        ActionClass::Create => "+",
        ActionClass::Update => "~",
        ActionClass::Replace => "±",
        ActionClass::Delete => "-",
        ActionClass::Forget => "∅",
        ActionClass::Read => "<",
        ActionClass::NoOp => " ",
        ActionClass::Unknown => "?",
    }
}

fn describe(c: &ChangeReport) -> String {
    let mut parts = vec![c.action.as_str().to_string()];
    if let Some(order) = c.replace_order {
        parts.push(
            match order {
                ReplaceOrder::DestroyBeforeCreate => "destroy before create",
                ReplaceOrder::CreateBeforeDestroy => "create before destroy",
                ReplaceOrder::ForgetThenCreate => "forget, then create",
                ReplaceOrder::CreateThenForget => "create, then forget",
            }
            .to_string(),
        );
    }
    if let Some(r) = &c.action_reason {
        parts.push(r.clone());
    }
    if let Some(d) = &c.deposed {
        parts.push(format!("deposed object {d}"));
    }
    if let Some(m) = &c.moved_from {
        parts.push(format!("moved from {m}"));
    }
    if c.importing {
        parts.push("import".into());
    }
    if c.drifted {
        parts.push("drifted".into());
    }
    if c.action == ActionClass::Unknown {
        parts.push(format!("actions {:?}", c.actions));
    }
    parts.join(", ")
}

pub fn render(report: &Report, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    for plan in &report.plans {
        let _ = writeln!(out, "{}", st.bold(&plan.path));
        if let Some(err) = &plan.error {
            let _ = writeln!(out, "  {} {}", st.red("error:"), err);
            let _ = writeln!(out);
            continue;
        }
        if let Some(d) = &plan.decision {
            let stage = format!("{} {}", d.stage.level(), d.stage);
            let _ = writeln!(
                out,
                "  stage {}  (environment {} at {}; {})",
                match d.stage {
                    Stage::Blocked => st.red(&stage),
                    Stage::PlanOnly => st.yellow(&stage),
                    _ => st.green(&stage),
                },
                d.environment,
                d.environment_stage,
                d.stage.meaning()
            );
        }
        if let Some(dg) = &plan.digest {
            let _ = writeln!(out, "  {}", st.dim(&format!("digest {dg}")));
        }
        let counts: Vec<String> = ActionClass::ALL
            .iter()
            .filter_map(|c| {
                let n = plan.summary.get(c.as_str()).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {c}"))
            })
            .collect();
        let _ = writeln!(
            out,
            "  {}",
            if counts.is_empty() {
                "no changes".to_string()
            } else {
                counts.join(", ")
            }
        );
        let mut shown: Vec<&ChangeReport> = plan
            .changes
            .iter()
            .filter(|c| c.action.does_something() || c.moved_from.is_some() || c.importing)
            .collect();
        shown.sort_by_key(|c| (!c.destructive, c.stage, c.action));
        let width = shown
            .iter()
            .map(|c| c.address.chars().count())
            .max()
            .unwrap_or(0);
        for c in shown {
            let line = format!(
                "{:<15} {} {:<width$}  {}",
                format!("[{}]", c.stage),
                symbol(c),
                c.address,
                describe(c)
            );
            let line = if c.destructive { st.red(&line) } else { line };
            let _ = writeln!(out, "    {line}{}", at(&st, c.location.as_ref()));
            // The binding reason: the lowest stage that is specific to this change
            // (plan-wide reasons and gates are listed once, below).
            let plan_wide = |r: &crate::decision::Reason| {
                plan.decision.as_ref().is_some_and(|d| {
                    d.reasons
                        .iter()
                        .any(|p| p.rule == r.rule && p.message == r.message)
                })
            };
            if let Some(r) = c
                .reasons
                .iter()
                .find(|r| r.rule != "environment" && !plan_wide(r))
            {
                let _ = writeln!(
                    out,
                    "    {:<15}   {}",
                    "",
                    st.dim(&format!("{}: {}", r.rule, r.message))
                );
            }
        }
        if let Some(d) = &plan.decision {
            for r in d.reasons.iter().filter(|r| {
                r.rule != "environment" && r.stage > Stage::Blocked && r.rule != "no-changes"
            }) {
                let _ = writeln!(
                    out,
                    "  {} {}: {} ({})",
                    st.yellow("▼"),
                    r.rule,
                    r.message,
                    r.stage
                );
            }
            if !d.gates.is_empty() {
                let _ = writeln!(out, "  {}", st.bold("gates:"));
                for g in &d.gates {
                    let _ = writeln!(out, "    {} {}: {}", st.red("✗"), g.rule, g.reason);
                    if let Some(u) = &g.unblock {
                        let _ = writeln!(out, "      to unblock: {u}");
                    }
                }
            }
        }
        for f in &plan.failures {
            let _ = writeln!(
                out,
                "  {}  {}.{}  {}{}",
                st.red("FAIL"),
                f.namespace,
                f.rule,
                f.msg,
                at(&st, f.location.as_ref())
            );
        }
        for w in &plan.warnings {
            let _ = writeln!(
                out,
                "  {}  {}.{}  {}{}",
                st.yellow("WARN"),
                w.namespace,
                w.rule,
                w.msg,
                at(&st, w.location.as_ref())
            );
        }
        for e in &plan.exceptions {
            let _ = writeln!(
                out,
                "  {}  {}.{}  {}",
                st.dim("EXCP"),
                e.namespace,
                e.rule,
                e.msg
            );
        }
        for p in &plan.prints {
            let _ = writeln!(out, "  {}  {}", st.dim("PRNT"), p);
        }
        let _ = writeln!(out);
    }
    let failures: usize = report.plans.iter().map(|p| p.failures.len()).sum();
    let warnings: usize = report.plans.iter().map(|p| p.warnings.len()).sum();
    let exceptions: usize = report.plans.iter().map(|p| p.exceptions.len()).sum();
    let errors = report.all_errors().count();
    let plans = report.plans.len();
    let lowest = report.plans.iter().filter_map(|p| p.stage()).min();
    let stage_note = match lowest {
        Some(s) => format!(", lowest stage {s} (required: {})", report.require_stage),
        None => String::new(),
    };
    let summary = format!(
        "{plans} plan{}{stage_note}: {failures} failure{}, {warnings} warning{}, {exceptions} exception{}, {errors} error{}",
        plural(plans),
        plural(failures),
        plural(warnings),
        plural(exceptions),
        plural(errors),
    );
    let _ = writeln!(
        out,
        "{}",
        match report.verdict() {
            Verdict::Pass => st.green(&summary),
            Verdict::Fail => st.red(&summary),
            Verdict::Error => st.red(&summary),
        }
    );
    out
}

/// `  main.tf:12` after a change or finding with a source location (`--source`).
fn at(st: &Style, location: Option<&SourceLocation>) -> String {
    match location {
        Some(l) => format!("  {}", st.dim(&l.to_string())),
        None => String::new(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
