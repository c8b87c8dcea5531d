//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).
//!
//! One rule per rule id: `<namespace>.<rule>` for policy failures, warnings and
//! exceptions, the stage rule's id (`destructive`, `approval`, `window`, `main.cap`,
//! ...) for gates and caps. Results point at the plan file, at the file and line of
//! a finding's `_loc`, or (`check --source`) at the `resource` block of the change a
//! result is about, with the plan as a related location.
//!
//! This module also holds [`issues`], the flat list of what a plan's report says
//! (failures, gates, warnings, caps, exceptions) that the SARIF, JUnit and GitHub
//! renderings share: it only selects and words what the report already holds.

use serde_json::{json, Map, Value};

use crate::decision::Gate;
use crate::stage::Stage;

use super::{PlanReport, Report, SourceLocation, Verdict};

/// What kind of statement an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// A policy failure (`deny`/`violation`).
    Failure,
    /// An open gate: the plan or a change is blocked until it opens.
    Gate,
    /// A policy warning (`warn`, or an advisory failure).
    Warning,
    /// A cap: a change or the plan may proceed only up to a lower stage.
    Cap,
    /// A policy rule excepted for the plan.
    Exception,
}

/// One statement about a plan, as the structured formats report it.
#[derive(Debug, Clone)]
pub(super) struct Issue<'a> {
    pub kind: Kind,
    /// `<namespace>.<rule>` for policy results, the stage rule's id otherwise.
    pub rule: String,
    /// The policy's message, the gate's reason or the cap's reason.
    pub message: &'a str,
    /// The change it is about; None for the whole plan.
    pub address: Option<&'a str>,
    /// The stage it holds the change or plan at (gates: blocked).
    pub stage: Option<Stage>,
    /// Who or what opens a gate (for failures: the gate the failure opened).
    pub unblock: Option<&'a str>,
    /// `_loc` of a policy result: (file, line).
    pub loc_file: Option<&'a str>,
    pub loc_line: Option<u64>,
    /// The `resource` block of the change it is about (`check --source`); `_loc`
    /// takes precedence.
    pub source: Option<&'a SourceLocation>,
    /// The namespace of a policy result.
    pub namespace: Option<&'a str>,
    /// The metadata of a policy result (already redacted).
    pub metadata: Option<&'a Map<String, Value>>,
}

impl Issue<'_> {
    fn new(kind: Kind, rule: String, message: &str) -> Issue<'_> {
        Issue {
            kind,
            rule,
            message,
            address: None,
            stage: None,
            unblock: None,
            loc_file: None,
            loc_line: None,
            source: None,
            namespace: None,
            metadata: None,
        }
    }

    /// The message with what a reader needs around it: the change when the
    /// message does not name it, the stage of a cap, how to open a gate.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(a) = self.address {
            if !self.message.contains(a) {
                out.push_str(a);
                out.push_str(": ");
            }
        }
        out.push_str(self.message);
        match self.kind {
            Kind::Cap => {
                if let Some(s) = self.stage {
                    out.push_str(&format!(" (at most {s})"));
                }
            }
            Kind::Gate | Kind::Failure => {
                if let Some(u) = self.unblock {
                    out.push_str(" | to unblock: ");
                    out.push_str(u);
                }
            }
            _ => {}
        }
        out
    }

    /// SARIF's level, also used by the GitHub annotations.
    pub fn level(&self) -> &'static str {
        match self.kind {
            Kind::Failure | Kind::Gate => "error",
            Kind::Warning | Kind::Cap => "warning",
            Kind::Exception => "note",
        }
    }
}

impl<'a> Issue<'a> {
    /// The block to point at: the source location unless `_loc` says where.
    pub fn source_location(&self) -> Option<&'a SourceLocation> {
        if self.loc_file.is_some() || self.loc_line.is_some() {
            None
        } else {
            self.source
        }
    }
}

/// Everything a plan's report says, in this order: failures, gates (the plan's,
/// then each change's), warnings, caps (the plan's, then each change's),
/// exceptions. A gate opened by a policy failure is folded into that failure (its
/// `unblock`), so one failure is one statement. Caps are those that hold something
/// below its environment's stage; the environment itself is not a statement.
pub(super) fn issues(plan: &PlanReport) -> Vec<Issue<'_>> {
    let Some(d) = plan.decision.as_ref() else {
        return Vec::new();
    };
    let plan_wide_reason = |rule: &str, message: &str| {
        d.reasons
            .iter()
            .any(|r| r.rule == rule && r.message == message)
    };
    let plan_wide_gate = |g: &Gate| {
        d.reasons
            .iter()
            .any(|r| r.stage == Stage::Blocked && r.rule == g.rule && r.message == g.reason)
    };
    let mut out = Vec::new();
    // Failures, each with the gate it opened.
    let mut used = vec![false; d.gates.len()];
    for f in &plan.failures {
        let id = format!("{}.{}", f.namespace, f.rule);
        let gate = d
            .gates
            .iter()
            .enumerate()
            .find(|(i, g)| !used[*i] && g.rule == id && g.reason.ends_with(f.msg.as_str()));
        let mut issue = Issue::new(Kind::Failure, id, &f.msg);
        if let Some((i, g)) = gate {
            used[i] = true;
            issue.unblock = g.unblock.as_deref();
            issue.stage = Some(Stage::Blocked);
        }
        issue.namespace = Some(&f.namespace);
        issue.metadata = Some(&f.metadata);
        set_loc(&mut issue, f.loc.as_ref());
        issue.source = f.location.as_ref();
        out.push(issue);
    }
    // Gates of the whole plan.
    for (i, g) in d.gates.iter().enumerate() {
        if !used[i] && plan_wide_gate(g) {
            let mut issue = Issue::new(Kind::Gate, g.rule.clone(), &g.reason);
            issue.stage = Some(Stage::Blocked);
            issue.unblock = g.unblock.as_deref();
            out.push(issue);
        }
    }
    let acting = || plan.changes.iter().filter(|c| c.action.does_something());
    // Gates of single changes.
    for c in acting() {
        for g in c.gates.iter().filter(|g| !plan_wide_gate(g)) {
            let mut issue = Issue::new(Kind::Gate, g.rule.clone(), &g.reason);
            issue.address = Some(&c.address);
            issue.source = c.location.as_ref();
            issue.stage = Some(Stage::Blocked);
            issue.unblock = g.unblock.as_deref();
            out.push(issue);
        }
    }
    for w in &plan.warnings {
        let mut issue = Issue::new(Kind::Warning, format!("{}.{}", w.namespace, w.rule), &w.msg);
        issue.namespace = Some(&w.namespace);
        issue.metadata = Some(&w.metadata);
        set_loc(&mut issue, w.loc.as_ref());
        issue.source = w.location.as_ref();
        out.push(issue);
    }
    let is_cap = |rule: &str, stage: Stage| {
        rule != "environment" && rule != "no-changes" && stage < d.environment_stage
    };
    // Caps of the whole plan (a plan-wide reason that is not a gate).
    for r in &d.reasons {
        let gate = d
            .gates
            .iter()
            .any(|g| g.rule == r.rule && g.reason == r.message);
        if !gate && is_cap(&r.rule, r.stage) {
            let mut issue = Issue::new(
                if r.stage == Stage::Blocked {
                    Kind::Gate
                } else {
                    Kind::Cap
                },
                r.rule.clone(),
                &r.message,
            );
            issue.stage = Some(r.stage);
            out.push(issue);
        }
    }
    // Caps of single changes.
    for c in acting() {
        for r in &c.reasons {
            let gate = c
                .gates
                .iter()
                .any(|g| g.rule == r.rule && g.reason == r.message);
            if gate || plan_wide_reason(&r.rule, &r.message) || !is_cap(&r.rule, r.stage) {
                continue;
            }
            let mut issue = Issue::new(
                if r.stage == Stage::Blocked {
                    Kind::Gate
                } else {
                    Kind::Cap
                },
                r.rule.clone(),
                &r.message,
            );
            issue.address = Some(&c.address);
            issue.source = c.location.as_ref();
            issue.stage = Some(r.stage);
            out.push(issue);
        }
    }
    for e in &plan.exceptions {
        let mut issue = Issue::new(
            Kind::Exception,
            format!("{}.{}", e.namespace, e.rule),
            &e.msg,
        );
        issue.namespace = Some(&e.namespace);
        out.push(issue);
    }
    // Gates first within the gates, caps by stage: stable, so plan order stays.
    out.sort_by_key(|i| i.kind);
    out
}

fn set_loc<'a>(issue: &mut Issue<'a>, loc: Option<&'a Value>) {
    if let Some(loc) = loc {
        issue.loc_file = loc
            .get("file")
            .and_then(Value::as_str)
            .filter(|f| !f.is_empty());
        issue.loc_line = loc
            .get("line")
            .and_then(|l| l.as_u64().or_else(|| l.as_f64().map(|f| f as u64)))
            .filter(|l| *l >= 1);
    }
}

/// What the built-in stage rules do, for rule descriptions.
pub(super) fn describe_rule(rule: &str, kind: Kind) -> String {
    let builtin = match rule {
        "destructive" => Some("Destroying or replacing resources is automated only from stage auto-apply-all"),
        "forget" => Some("Removing resources from state is automated only from stage auto-apply-all"),
        "approval" => Some("Changes selected by an approval rule wait for enough distinct approvers (the author excluded)"),
        "window" => Some("Changes are applied only inside one of the environment's change windows"),
        "freeze" => Some("No change is applied during a change freeze without a break-glass approval"),
        "protect" => Some("Protected resources are not destroyed or replaced without a break-glass approval"),
        "drift" => Some("Changes to resources that drifted outside Terraform are applied by hand"),
        "errored" => Some("An errored plan is never applied"),
        "not-applyable" => Some("A plan Terraform marks as not applyable is never applied"),
        "incomplete" => Some("An incomplete plan is applied by hand"),
        "stale" => Some("A plan older than max_plan_age (or undated) must be made again"),
        "blast-radius" => Some("Plans with more changes or destroys than the configured maximum are applied by hand"),
        _ => None,
    };
    if let Some(b) = builtin {
        return b.to_string();
    }
    match kind {
        Kind::Failure => format!("Policy rule data.{rule} (failure)"),
        Kind::Warning => format!("Policy rule data.{rule} (warning)"),
        Kind::Exception => format!("Policy rule data.{rule} (excepted)"),
        Kind::Gate => format!("Stage gate {rule}: blocks until it is opened"),
        Kind::Cap => format!("Stage cap {rule}: lowers the stage changes may proceed at"),
    }
}

/// A path as a SARIF `uri-reference`: forward slashes, and every byte outside the
/// characters RFC 3986 allows in a path percent-encoded.
pub(super) fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a, 64 bits, as hex: a stable identity for a result across runs.
fn fingerprint(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub fn render(report: &Report) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index: Vec<String> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for plan in &report.plans {
        for issue in issues(plan) {
            let index = match rule_index.iter().position(|r| *r == issue.rule) {
                Some(i) => i,
                None => {
                    let text = describe_rule(&issue.rule, issue.kind);
                    rules.push(json!({
                        "id": issue.rule,
                        "name": issue.rule,
                        "shortDescription": {"text": text},
                        "defaultConfiguration": {"level": issue.level()},
                        "properties": {"tags": [match issue.kind {
                            Kind::Failure | Kind::Warning | Kind::Exception => "policy",
                            Kind::Gate => "gate",
                            Kind::Cap => "cap",
                        }]},
                    }));
                    rule_index.push(issue.rule.clone());
                    rule_index.len() - 1
                }
            };
            let mut physical = Map::new();
            let source = issue.source_location();
            match source {
                // The resource block; the plan is a related location.
                Some(s) => {
                    physical.insert("artifactLocation".into(), json!({"uri": uri(&s.file)}));
                    physical.insert(
                        "region".into(),
                        json!({"startLine": s.line, "startColumn": s.column}),
                    );
                }
                None => {
                    physical.insert(
                        "artifactLocation".into(),
                        json!({"uri": uri(issue.loc_file.unwrap_or(&plan.path))}),
                    );
                    if let Some(line) = issue.loc_line {
                        physical.insert("region".into(), json!({"startLine": line}));
                    }
                }
            }
            let mut location = Map::new();
            location.insert("physicalLocation".into(), Value::Object(physical));
            if let Some(a) = issue.address {
                location.insert(
                    "logicalLocations".into(),
                    json!([{"fullyQualifiedName": a, "kind": "resource"}]),
                );
            }
            let mut props = Map::new();
            props.insert("plan".into(), Value::from(plan.path.as_str()));
            if let Some(a) = issue.address {
                props.insert("address".into(), Value::from(a));
            }
            if let Some(s) = issue.stage {
                props.insert("stage".into(), Value::from(s.name()));
            }
            if let Some(u) = issue.unblock {
                props.insert("unblock".into(), Value::from(u));
            }
            if let Some(ns) = issue.namespace {
                props.insert("namespace".into(), Value::from(ns));
            }
            if let Some(m) = issue.metadata.filter(|m| !m.is_empty()) {
                props.insert("metadata".into(), Value::Object(m.clone()));
            }
            // Results on one file and line are told apart by what they are about.
            let identity = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                plan.path,
                issue.rule,
                issue.address.unwrap_or(""),
                issue.message
            );
            let mut result = json!({
                "ruleId": issue.rule,
                "partialFingerprints": {"plangateIssue/v1": fingerprint(&identity)},
                "ruleIndex": index,
                "level": issue.level(),
                "message": {"text": issue.text()},
                "locations": [Value::Object(location)],
                "properties": Value::Object(props),
            });
            if source.is_some() {
                result["relatedLocations"] = json!([{
                    "id": 0,
                    "physicalLocation": {"artifactLocation": {"uri": uri(&plan.path)}},
                    "message": {"text": "the plan"},
                }]);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = report
        .all_errors()
        .map(|d| {
            let j = d.to_json();
            let mut n = Map::new();
            n.insert("level".into(), Value::from("error"));
            let mut text = j.message.clone();
            if let Some(h) = &j.help {
                text.push_str("; help: ");
                text.push_str(h);
            }
            n.insert("message".into(), json!({"text": text}));
            n.insert("descriptor".into(), json!({"id": j.code}));
            if let Some(f) = &j.file {
                let mut physical = Map::new();
                physical.insert("artifactLocation".into(), json!({"uri": uri(f)}));
                if let Some(line) = j.line.filter(|l| *l >= 1) {
                    let mut region = Map::new();
                    region.insert("startLine".into(), Value::from(line));
                    if let Some(c) = j.column.filter(|c| *c >= 1) {
                        region.insert("startColumn".into(), Value::from(c));
                    }
                    physical.insert("region".into(), Value::Object(region));
                }
                n.insert(
                    "locations".into(),
                    json!([{"physicalLocation": Value::Object(physical)}]),
                );
            }
            Value::Object(n)
        })
        .collect();
    let verdict = report.verdict();
    let doc = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "plangate",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": verdict != Verdict::Error,
                "exitCode": verdict as i32,
                "exitCodeDescription": match verdict {
                    Verdict::Pass => format!("every plan reaches stage {}", report.require_stage),
                    Verdict::Fail => format!("a plan is below stage {}", report.require_stage),
                    Verdict::Error => "an input or policy could not be read or evaluated".to_string(),
                },
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            // Columns count characters (Unicode code points), as everywhere in plangate.
            "columnKind": "unicodeCodePoints",
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
