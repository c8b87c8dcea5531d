//! `--format markdown`: the pull-request comment (GitHub, GitLab, Atlantis).
//!
//! Per plan, in reading order: the stage and what it means, the counts per action,
//! what will be destroyed or replaced, the gates that block and who or what opens
//! them, the changes grouped by stage with the reason that holds each, the policy
//! results, then every change and reason folded in `<details>`. Several plans are
//! several sections.
//!
//! A comment must stay under GitHub's 65,536 characters: when the full rendering
//! does not fit, plans are folded (first their detail, then their lists, then to
//! one line each, the first plans keeping the most) and the comment says so.

use std::fmt::Write;

use crate::plan::{ActionClass, ReplaceOrder};
use crate::stage::Stage;

use super::sarif::{issues, Issue, Kind};
use super::{ChangeReport, PlanReport, Report, Verdict};

/// GitHub's limit on a comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What the comment may use, in bytes (never fewer than characters), leaving room
/// for what Atlantis or a workflow wraps around it.
const BUDGET: usize = 60_000;

/// Room kept for the note that says what was folded.
const NOTE_RESERVE: usize = 600;

/// How many items a folded (compact) list shows.
const COMPACT_ITEMS: usize = 10;

/// How long a message may be in a folded list.
const COMPACT_TEXT: usize = 300;

// ---- escaping --------------------------------------------------------------------

/// Text from the report as Markdown that renders as that text: Markdown and HTML
/// characters escaped, newlines as `<br>`, so a message can neither break the
/// layout (tables, `<details>`) nor inject markup.
fn esc(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '_' => {
                // Inside a word `_` is no emphasis in GFM: keep `snake_case` readable.
                let inner = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if !inner {
                    out.push('\\');
                }
                out.push('_');
            }
            '#' if i == 0 => out.push_str("\\#"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `s` as inline code. In a table cell `|` must be escaped even in code.
fn code(s: &str, in_table: bool) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s = if in_table { s.replace('|', "\\|") } else { s };
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

/// At most `n` characters of `s`, with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

// ---- words -----------------------------------------------------------------------

fn stage_icon(s: Stage) -> &'static str {
    match s {
        Stage::Blocked => "⛔",
        Stage::PlanOnly => "✋",
        Stage::AutoApply | Stage::AutoApplyAll => "🟢",
        Stage::Promote => "🚀",
    }
}

fn symbol(c: &ChangeReport) -> &'static str {
    match c.action {
        ActionClass::Create => "➕",
        ActionClass::Update => "✏️",
        ActionClass::Replace => "🔁",
        ActionClass::Delete => "🗑️",
        ActionClass::Forget => "👋",
        ActionClass::Read => "📖",
        ActionClass::NoOp => "▫️",
        ActionClass::Unknown => "❓",
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
        parts.push(format!("actions {}", c.actions.join(", ")));
    }
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Shown in lists: changes that do something, or move or import.
fn shown(c: &ChangeReport) -> bool {
    c.action.does_something() || c.moved_from.is_some() || c.importing
}

// ---- one plan --------------------------------------------------------------------

/// How much of a plan a section shows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    /// Everything, the detail folded in `<details>`.
    Full = 0,
    /// Everything but the `<details>`.
    NoDetail = 1,
    /// Every list cut to a few items, messages cut, no `<details>`.
    Compact = 2,
    /// One line.
    Line = 3,
}

const LEVELS: [Level; 4] = [Level::Full, Level::NoDetail, Level::Compact, Level::Line];

fn plan_title(plan: &PlanReport) -> String {
    match plan.stage() {
        Some(s) => format!(
            "{} {} · stage {} **{}**",
            stage_icon(s),
            code(&plan.path, false),
            s.level(),
            s
        ),
        None => format!("💥 {} · could not be checked", code(&plan.path, false)),
    }
}

fn counts(plan: &PlanReport) -> String {
    let parts: Vec<String> = ActionClass::ALL
        .iter()
        .filter_map(|c| {
            let n = plan.summary.get(c.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("**{n}** {c}"))
        })
        .collect();
    if parts.is_empty() {
        "No changes.".to_string()
    } else {
        parts.join(" · ")
    }
}

/// A list of at most `max` items, then "… and N more".
fn capped(items: Vec<String>, max: usize, out: &mut String) {
    let n = items.len();
    for item in items.into_iter().take(max) {
        let _ = writeln!(out, "- {item}");
    }
    if n > max {
        let _ = writeln!(out, "- … and {} more", n - max);
    }
}

fn section(plan: &PlanReport, report: &Report, level: Level) -> String {
    let mut out = String::new();
    if level == Level::Line {
        return line(plan);
    }
    let _ = writeln!(out, "### {}\n", plan_title(plan));
    if let Some(err) = &plan.error {
        let j = err.to_json();
        let mut at = String::new();
        if let Some(l) = j.line {
            at = format!(" (line {l}");
            if let Some(c) = j.column {
                at.push_str(&format!(", column {c}"));
            }
            at.push(')');
        }
        let _ = writeln!(out, "{}: {}{at}", code(&j.code, false), esc(&j.message));
        if let Some(h) = &j.help {
            let _ = writeln!(out, "\n**Help:** {}", esc(h));
        }
        out.push('\n');
        return out;
    }
    let compact = level >= Level::Compact;
    let max = if compact { COMPACT_ITEMS } else { usize::MAX };
    let text = |s: &str| {
        if compact {
            esc(&cut(s, COMPACT_TEXT))
        } else {
            esc(s)
        }
    };
    let Some(d) = &plan.decision else {
        return out;
    };
    let below = if d.stage < report.require_stage {
        format!(" It is below the required **{}**.", report.require_stage)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Environment **{}** is at **{}**; this plan may go to **{}**: {}.{below}\n",
        esc(&d.environment),
        d.environment_stage,
        d.stage,
        d.stage.meaning()
    );
    let _ = writeln!(out, "{}\n", counts(plan));

    // What will be destroyed or replaced.
    let destroyed: Vec<&ChangeReport> = plan
        .changes
        .iter()
        .filter(|c| c.destructive || c.action == ActionClass::Replace)
        .collect();
    if !destroyed.is_empty() {
        let _ = writeln!(
            out,
            "#### 💣 Will be destroyed or replaced ({})\n",
            destroyed.len()
        );
        let items = destroyed
            .iter()
            .map(|c| {
                let why = c
                    .action_reason
                    .as_deref()
                    .map(|r| format!(" because {}", code(r, false)))
                    .unwrap_or_default();
                format!(
                    "{} {}: **{}**{why}",
                    symbol(c),
                    code(&c.address, false),
                    esc(&describe(c))
                )
            })
            .collect();
        capped(items, max, &mut out);
        out.push('\n');
    }
    let forgotten: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == ActionClass::Forget)
        .map(|c| code(&c.address, false))
        .collect();
    if !forgotten.is_empty() {
        let n = forgotten.len();
        let mut list: Vec<String> = forgotten.into_iter().take(max.min(50)).collect();
        if n > list.len() {
            list.push(format!("… and {} more", n - list.len()));
        }
        let _ = writeln!(
            out,
            "Removed from state, not destroyed: {}\n",
            list.join(", ")
        );
    }

    // The gates and who opens them.
    let all = issues(plan);
    let mut groups: Vec<(&Issue, Vec<&str>)> = Vec::new();
    for i in all.iter().filter(|i| {
        i.kind == Kind::Gate || (i.kind == Kind::Failure && i.stage == Some(Stage::Blocked))
    }) {
        let same = groups.iter_mut().find(|(g, _)| {
            g.kind == i.kind
                && g.rule == i.rule
                && g.unblock == i.unblock
                && g.address.is_some() == i.address.is_some()
                && (g.address.is_some() || g.kind == Kind::Failure)
        });
        match same {
            Some((_, addresses)) => addresses.extend(i.address),
            None => groups.push((i, i.address.into_iter().collect())),
        }
    }
    if !groups.is_empty() {
        let _ = writeln!(out, "#### ⛔ Blocked until\n");
        let items = groups
            .iter()
            .map(|(g, addresses)| {
                let what = if g.kind == Kind::Failure {
                    let n = all
                        .iter()
                        .filter(|i| {
                            i.kind == Kind::Failure && i.rule == g.rule && i.unblock == g.unblock
                        })
                        .count();
                    format!(
                        "the whole plan: {} (listed under Policies)",
                        plural(n, "policy failure", "policy failures")
                    )
                } else if addresses.is_empty() {
                    format!("the whole plan: {}", text(g.message))
                } else if addresses.len() == 1 {
                    format!("{}: {}", code(addresses[0], false), text(g.message))
                } else {
                    let shown: Vec<String> = addresses
                        .iter()
                        .take(if compact { 5 } else { 10 })
                        .map(|a| code(a, false))
                        .collect();
                    let more = if addresses.len() > shown.len() {
                        format!(" and {} more", addresses.len() - shown.len())
                    } else {
                        String::new()
                    };
                    format!("{} changes: {}{more}", addresses.len(), shown.join(", "))
                };
                let unblock = match g.unblock {
                    Some(u) => format!("<br>**To unblock:** {}", text(u)),
                    None => "<br>**To unblock:** nothing can open it; change the plan".to_string(),
                };
                format!("**{}** blocks {what}{unblock}", esc(&g.rule))
            })
            .collect();
        capped(items, max, &mut out);
        out.push('\n');
    }

    // Plan-wide caps.
    let plan_caps: Vec<String> = all
        .iter()
        .filter(|i| i.kind == Kind::Cap && i.address.is_none())
        .map(|i| {
            format!(
                "**{}** holds the whole plan at **{}**: {}",
                esc(&i.rule),
                i.stage.map(|s| s.name()).unwrap_or("?"),
                text(i.message)
            )
        })
        .collect();

    // Changes by stage.
    let mut changes: Vec<&ChangeReport> = plan.changes.iter().filter(|c| shown(c)).collect();
    changes.sort_by_key(|c| (c.stage, !c.destructive, c.action));
    if !changes.is_empty() || !plan_caps.is_empty() {
        let _ = writeln!(out, "#### Changes by stage\n");
        if !plan_caps.is_empty() {
            capped(plan_caps, max, &mut out);
            out.push('\n');
        }
    }
    let plan_wide = |rule: &str, message: &str| {
        d.reasons
            .iter()
            .any(|p| p.rule == rule && p.message == message)
    };
    for s in Stage::ALL {
        let in_stage: Vec<&&ChangeReport> = changes.iter().filter(|c| c.stage == s).collect();
        if in_stage.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "**{} {s}** ({}): {}\n",
            stage_icon(s),
            in_stage.len(),
            s.meaning()
        );
        let items = in_stage
            .iter()
            .map(|c| {
                // The binding reason specific to this change.
                let reason = c
                    .reasons
                    .iter()
                    .find(|r| r.rule != "environment" && !plan_wide(&r.rule, &r.message))
                    .map(|r| format!(" · **{}**: {}", esc(&r.rule), text(&r.message)))
                    .unwrap_or_default();
                format!(
                    "{} {} {}{reason}",
                    symbol(c),
                    code(&c.address, false),
                    esc(&describe(c))
                )
            })
            .collect();
        capped(items, max, &mut out);
        out.push('\n');
    }

    // Policy results.
    let policy: Vec<&Issue> = all
        .iter()
        .filter(|i| matches!(i.kind, Kind::Failure | Kind::Warning | Kind::Exception))
        .collect();
    if !policy.is_empty() || plan.successes > 0 {
        let _ = writeln!(out, "#### Policies\n");
        let _ = writeln!(
            out,
            "{} · {} · {} · {} passed\n",
            plural(plan.failures.len(), "failure", "failures"),
            plural(plan.warnings.len(), "warning", "warnings"),
            plural(plan.exceptions.len(), "exception", "exceptions"),
            plan.successes
        );
        let items = policy
            .iter()
            .map(|i| {
                let tag = match i.kind {
                    Kind::Failure => "❌ **FAIL**",
                    Kind::Warning => "⚠️ **WARN**",
                    _ => "🔕 **EXCP**",
                };
                format!("{tag} {}: {}", code(&i.rule, false), text(i.message))
            })
            .collect::<Vec<_>>();
        if !items.is_empty() {
            capped(items, max, &mut out);
            out.push('\n');
        }
    }

    if level == Level::Full {
        out.push_str(&detail(plan));
    } else {
        let _ = writeln!(
            out,
            "_Detail of this plan folded to fit the comment limit._\n"
        );
    }
    out
}

/// Every change (no-ops included) with every reason, and what policies printed.
fn detail(plan: &PlanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary>Detail: {}, every reason</summary>\n",
        plural(plan.changes.len(), "change", "changes")
    );
    let mut versions = Vec::new();
    if let Some(v) = &plan.format_version {
        versions.push(format!("plan format {}", esc(v)));
    }
    if let Some(v) = &plan.terraform_version {
        versions.push(format!("Terraform/OpenTofu {}", esc(v)));
    }
    if !versions.is_empty() {
        let _ = writeln!(out, "{}.\n", versions.join(", "));
    }
    if let Some(digest) = &plan.digest {
        let _ = writeln!(out, "Plan digest: {}\n", code(digest, false));
    }
    if let Some(d) = &plan.decision {
        if !d.reasons.is_empty() {
            let _ = writeln!(out, "The whole plan:\n");
            for r in &d.reasons {
                let _ = writeln!(
                    out,
                    "- {} **{}** ({}): {}",
                    stage_icon(r.stage),
                    esc(&r.rule),
                    r.stage,
                    esc(&r.message)
                );
            }
            out.push('\n');
        }
    }
    if !plan.changes.is_empty() {
        let _ = writeln!(out, "| stage | change | action | reasons |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        let mut changes: Vec<&ChangeReport> = plan.changes.iter().collect();
        changes.sort_by_key(|c| (!c.action.does_something(), c.stage, !c.destructive));
        // The environment and plan-wide reasons are listed once, above.
        let plan_wide = |rule: &str, message: &str| {
            rule == "environment"
                || plan.decision.as_ref().is_some_and(|d| {
                    d.reasons
                        .iter()
                        .any(|p| p.rule == rule && p.message == message)
                })
        };
        for c in changes {
            let mut reasons: Vec<String> = Vec::new();
            for r in c.reasons.iter().filter(|r| !plan_wide(&r.rule, &r.message)) {
                let mut s = format!(
                    "{} **{}** ({}): {}",
                    stage_icon(r.stage),
                    esc(&r.rule),
                    r.stage,
                    esc(&r.message)
                );
                if let Some(g) = c
                    .gates
                    .iter()
                    .find(|g| g.rule == r.rule && g.reason == r.message)
                {
                    if let Some(u) = &g.unblock {
                        s.push_str(&format!("; to unblock: {}", esc(u)));
                    }
                }
                reasons.push(s);
            }
            let mut action = describe(c);
            if let Some(r) = &c.action_reason {
                action.push_str(", ");
                action.push_str(r);
            }
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} |",
                stage_icon(c.stage),
                c.stage,
                code(&c.address, true),
                esc(&action),
                reasons.join("<br>")
            );
        }
        out.push('\n');
    }
    if !plan.prints.is_empty() {
        let _ = writeln!(out, "Printed by policies:\n");
        let body = plan.prints.join("\n");
        let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = writeln!(out, "{fence}text\n{body}\n{fence}\n");
    }
    let _ = writeln!(out, "</details>\n");
    out
}

/// A plan in one line, for comments too long for anything more.
fn line(plan: &PlanReport) -> String {
    let mut out = format!("- {}", plan_title(plan));
    if let Some(d) = &plan.decision {
        let gates = issues(plan).iter().filter(|i| i.kind == Kind::Gate).count();
        let _ = write!(out, " (environment {})", esc(&d.environment));
        let mut extra = Vec::new();
        if gates > 0 {
            extra.push(plural(gates, "gate", "gates"));
        }
        let destroyed = plan
            .changes
            .iter()
            .filter(|c| c.destructive || c.action == ActionClass::Replace)
            .count();
        if destroyed > 0 {
            extra.push(format!("{destroyed} destroyed or replaced"));
        }
        if !plan.failures.is_empty() {
            extra.push(plural(plan.failures.len(), "failure", "failures"));
        }
        if !plan.warnings.is_empty() {
            extra.push(plural(plan.warnings.len(), "warning", "warnings"));
        }
        if !extra.is_empty() {
            let _ = write!(out, ": {}", extra.join(", "));
        }
    }
    out.push('\n');
    out
}

// ---- the comment -----------------------------------------------------------------

fn header(report: &Report) -> String {
    let mut out = String::new();
    let verdict = match report.verdict() {
        Verdict::Pass => "✅ passed".to_string(),
        Verdict::Fail => format!("❌ a plan is below {}", report.require_stage),
        Verdict::Error => "💥 error".to_string(),
    };
    let _ = writeln!(out, "## plangate: {verdict}\n");
    let lowest = report.plans.iter().filter_map(|p| p.stage()).min();
    let mut parts = vec![format!(
        "**{}**",
        plural(report.plans.len(), "plan", "plans")
    )];
    if let Some(s) = lowest {
        parts.push(format!(
            "lowest stage {} **{s}** (required: {})",
            stage_icon(s),
            report.require_stage
        ));
    }
    let sum = |f: fn(&PlanReport) -> usize| report.plans.iter().map(f).sum::<usize>();
    parts.push(plural(sum(|p| p.failures.len()), "failure", "failures"));
    parts.push(plural(sum(|p| p.warnings.len()), "warning", "warnings"));
    parts.push(plural(
        sum(|p| p.exceptions.len()),
        "exception",
        "exceptions",
    ));
    parts.push(plural(report.all_errors().count(), "error", "errors"));
    let _ = writeln!(out, "{}\n", parts.join(" · "));
    if !report.errors.is_empty() {
        let _ = writeln!(out, "#### 💥 Errors\n");
        let items = report
            .errors
            .iter()
            .map(|d| {
                let j = d.to_json();
                let mut s = format!("{}: {}", code(&j.code, false), esc(&cut(&j.message, 500)));
                if let Some(f) = &j.file {
                    s.push_str(&format!(" in {}", code(f, false)));
                    if let Some(l) = j.line {
                        s.push_str(&format!(" line {l}"));
                    }
                }
                if let Some(h) = &j.help {
                    s.push_str(&format!("<br>**Help:** {}", esc(&cut(h, 500))));
                }
                s
            })
            .collect();
        capped(items, 20, &mut out);
        out.push('\n');
    }
    out
}

pub fn render(report: &Report) -> String {
    let head = header(report);
    let budget = BUDGET.saturating_sub(head.len() + NOTE_RESERVE);
    let costs: Vec<[String; 4]> = report
        .plans
        .iter()
        .map(|p| LEVELS.map(|l| section(p, report, l)))
        .collect();
    let n = costs.len();
    // One level for every plan, the richest that fits; then, in order, plans get
    // richer while it still fits.
    let mut choice: Vec<Option<usize>> = vec![None; n];
    let uniform =
        (0..LEVELS.len()).find(|&l| costs.iter().map(|c| c[l].len()).sum::<usize>() <= budget);
    let mut used;
    match uniform {
        Some(l) => {
            choice = vec![Some(l); n];
            used = costs.iter().map(|c| c[l].len()).sum::<usize>();
            for (i, c) in costs.iter().enumerate() {
                for richer in 0..l {
                    let extra = c[richer].len().saturating_sub(c[l].len());
                    if used + extra <= budget {
                        used += extra;
                        choice[i] = Some(richer);
                        break;
                    }
                }
            }
        }
        None => {
            // Not even one line per plan fits: as many lines as fit.
            used = 0;
            for (i, c) in costs.iter().enumerate() {
                let len = c[Level::Line as usize].len();
                if used + len > budget {
                    break;
                }
                used += len;
                choice[i] = Some(Level::Line as usize);
            }
        }
    }
    let folded = choice
        .iter()
        .filter(|c| c.is_some_and(|l| l > Level::Full as usize))
        .count();
    let omitted = choice.iter().filter(|c| c.is_none()).count();
    let mut out = head;
    if folded > 0 || omitted > 0 {
        let mut what = Vec::new();
        if folded > 0 {
            what.push(format!(
                "{} shown in less detail",
                plural(folded, "plan is", "plans are")
            ));
        }
        if omitted > 0 {
            what.push(format!(
                "{} not shown",
                plural(omitted, "plan is", "plans are")
            ));
        }
        let _ = writeln!(
            out,
            "> [!NOTE]\n> This comment is shortened to stay under GitHub's {GITHUB_COMMENT_LIMIT}-character limit: {}. `plangate check -o json` (or the CI log) has everything.\n",
            what.join(" and ")
        );
    }
    let mut after_line = false;
    for (c, l) in costs.iter().zip(&choice) {
        let Some(l) = *l else {
            continue;
        };
        let is_line = l == Level::Line as usize;
        if after_line && !is_line {
            out.push('\n');
        }
        out.push_str(&c[l]);
        after_line = is_line;
    }
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Gate, PlanDecision, Reason};
    use crate::report::Report;

    fn change(address: &str, action: ActionClass, stage: Stage) -> ChangeReport {
        let reason = Reason {
            rule: "destructive".into(),
            stage: stage.max(Stage::PlanOnly),
            message: format!("{address} {}", "is a long reason that explains. ".repeat(6)),
        };
        ChangeReport {
            address: address.to_string(),
            actions: vec![action.as_str().to_string()],
            action,
            destructive: matches!(action, ActionClass::Delete | ActionClass::Replace),
            replace_order: None,
            action_reason: Some("delete_because_no_resource_config".into()),
            deposed: None,
            moved_from: None,
            importing: false,
            drifted: false,
            eligible: stage,
            stage,
            reasons: vec![reason],
            gates: if stage == Stage::Blocked {
                vec![Gate {
                    rule: "approval".into(),
                    reason: format!("{address} needs an approval"),
                    unblock: Some("1 approval from group platform".into()),
                }]
            } else {
                Vec::new()
            },
            location: None,
        }
    }

    fn plan(path: &str, changes: usize) -> PlanReport {
        let actions = [
            ActionClass::Create,
            ActionClass::Delete,
            ActionClass::Replace,
        ];
        let changes: Vec<ChangeReport> = (0..changes)
            .map(|i| {
                let stage = [Stage::Blocked, Stage::PlanOnly, Stage::AutoApply][i % 3];
                change(&format!("aws_instance.node[{i}]"), actions[i % 3], stage)
            })
            .collect();
        let mut summary = crate::plan::Summary::new();
        for c in &changes {
            *summary.entry(c.action.as_str()).or_default() += 1;
        }
        let gates: Vec<Gate> = changes.iter().flat_map(|c| c.gates.clone()).collect();
        PlanReport {
            path: path.to_string(),
            summary,
            decision: Some(PlanDecision {
                environment: "prod".into(),
                environment_stage: Stage::AutoApply,
                stage: if gates.is_empty() {
                    Stage::AutoApply
                } else {
                    Stage::Blocked
                },
                reasons: Vec::new(),
                gates,
                changes: Vec::new(),
            }),
            changes,
            ..PlanReport::default()
        }
    }

    fn report(plans: Vec<PlanReport>) -> Report {
        Report {
            plans,
            ..Report::default()
        }
    }

    fn assert_fits(md: &str) {
        assert!(md.chars().count() < GITHUB_COMMENT_LIMIT, "{}", md.len());
        assert!(md.len() <= BUDGET, "{}", md.len());
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }

    #[test]
    fn a_small_report_is_complete_and_says_nothing_about_folding() {
        let md = render(&report(vec![plan("a/plan.json", 6)]));
        assert!(md.contains("<details>"), "{md}");
        assert!(!md.contains("shortened"), "{md}");
        assert!(!md.contains("folded"), "{md}");
    }

    #[test]
    fn many_plans_are_folded_the_first_ones_keep_the_most() {
        let plans = (0..200)
            .map(|i| plan(&format!("envs/p{i:03}/plan.json"), 30))
            .collect();
        let md = render(&report(plans));
        assert_fits(&md);
        assert!(md.contains("This comment is shortened"), "{md}");
        for i in 0..200 {
            assert!(md.contains(&format!("envs/p{i:03}/plan.json")), "plan {i}");
        }
        let first = md.find("envs/p000/plan.json").unwrap();
        let last = md.find("envs/p199/plan.json").unwrap();
        assert!(first < last);
        // The first plan's section is richer than the last one's line.
        assert!(md[first..].starts_with("envs/p000/plan.json` · stage 0 **blocked**\n"));
    }

    #[test]
    fn thousands_of_plans_are_cut_and_the_comment_says_how_many() {
        let long = "a-rather-long-directory-name-for-one-project/".repeat(4);
        let plans = (0..1500)
            .map(|i| plan(&format!("{long}{i:04}/plan.json"), 3))
            .collect();
        let md = render(&report(plans));
        assert_fits(&md);
        assert!(md.contains("**1500 plans**"), "{md}");
        let note = md
            .lines()
            .find(|l| l.contains("not shown"))
            .expect("the note");
        let shown = md.matches("/plan.json`").count();
        assert!(
            note.contains(&format!("{} plans are not shown", 1500 - shown)),
            "{note} ({shown} shown)"
        );
    }

    #[test]
    fn one_huge_plan_keeps_its_head_with_lists_cut() {
        let md = render(&report(vec![plan("huge/plan.json", 6_000)]));
        assert_fits(&md);
        assert!(md.contains("1 plan is shown in less detail"), "{md}");
        assert!(md.contains("Will be destroyed or replaced (4000)"), "{md}");
        assert!(md.contains("… and 3990 more"), "{md}");
        assert!(md.contains("**approval** blocks 2000 changes"), "{md}");
        assert!(md.contains("_Detail of this plan folded"), "{md}");
    }

    #[test]
    fn markdown_and_html_in_messages_are_inert() {
        assert_eq!(
            esc("a|b *c* <d> & e_f _g_"),
            "a\\|b \\*c\\* &lt;d&gt; &amp; e_f \\_g\\_"
        );
        assert_eq!(esc("# x\ny"), "\\# x<br>y");
        assert_eq!(code("a`b", false), "`` a`b ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
    }
}
