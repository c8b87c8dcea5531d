//! `--format junit`: JUnit XML for CI test reports, written with `quick-xml`.
//!
//! One `<testsuite>` per plan (named by its path). Test cases:
//! - one per (stage rule, change) for every gate and cap, and one per stage rule of
//!   the whole plan: a gate is a `<failure>` (the change or plan is blocked), a cap
//!   is a `<failure>` when it holds something below `--require-stage`, else it
//!   passes and says what it did in `<system-out>`;
//! - one per policy rule (`<namespace>.<rule>`): a `<failure>` listing its
//!   failures, a passing case with its warnings in `<system-out>`, or `<skipped>`
//!   when an exception suppressed it;
//! - one per change that no rule holds back, passing;
//! - an `<error>` for a plan that could not be loaded or evaluated, and a suite
//!   `plangate` with one `<error>` per error not tied to a plan.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::sarif::{issues, Issue, Kind};
use super::{PlanReport, Report};
use crate::Diag;

/// Characters XML 1.0 cannot carry at all, even escaped, are dropped (a policy
/// message may hold anything); escaping is quick-xml's.
fn xml_chars(s: &str) -> String {
    s.chars()
        .filter(|c| {
            matches!(*c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(c)
                || ('\u{E000}'..='\u{FFFD}').contains(c)
                || *c >= '\u{10000}'
        })
        .collect()
}

/// An attribute holds one line: parsers turn newlines in attributes into spaces.
fn attr(s: &str) -> String {
    xml_chars(s).replace(['\r', '\n', '\t'], " ")
}

enum Outcome {
    Pass,
    Failure { message: String, kind: String },
    Skipped(String),
    Error { message: String, kind: String },
}

struct Case {
    classname: String,
    name: String,
    file: String,
    outcome: Outcome,
    /// Full text of the failure (or what a passing case did).
    body: String,
}

struct Suite {
    name: String,
    file: Option<String>,
    properties: Vec<(String, String)>,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
    fn failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failure { .. }))
    }
    fn errors(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Error { .. }))
    }
    fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }
}

fn error_case(d: &Diag, classname: &str, file: &str) -> Case {
    let j = d.to_json();
    let mut body = j.message.clone();
    if let Some(h) = &j.help {
        body.push_str("\nhelp: ");
        body.push_str(h);
    }
    Case {
        classname: classname.to_string(),
        name: j.code.clone(),
        file: j.file.clone().unwrap_or_else(|| file.to_string()),
        outcome: Outcome::Error {
            message: j.message.clone(),
            kind: j.code.clone(),
        },
        body,
    }
}

fn plan_suite(plan: &PlanReport, report: &Report) -> Suite {
    let mut properties = Vec::new();
    let mut cases = Vec::new();
    let case = |classname: String, name: String, outcome: Outcome, body: String| Case {
        classname,
        name,
        file: plan.path.clone(),
        outcome,
        body,
    };
    if let Some(d) = &plan.error {
        cases.push(error_case(d, "plangate", &plan.path));
        return Suite {
            name: plan.path.clone(),
            file: Some(plan.path.clone()),
            properties,
            cases,
        };
    }
    if let Some(d) = &plan.decision {
        properties.push(("environment".to_string(), d.environment.clone()));
        properties.push((
            "environment_stage".to_string(),
            d.environment_stage.name().to_string(),
        ));
        properties.push(("stage".to_string(), d.stage.name().to_string()));
    }
    properties.push((
        "require_stage".to_string(),
        report.require_stage.name().to_string(),
    ));
    properties.push(("policy_successes".to_string(), plan.successes.to_string()));
    for p in &plan.prints {
        properties.push(("print".to_string(), p.clone()));
    }

    let all = issues(plan);
    // Stage rules: one case per (rule, change) or (rule, whole plan).
    for i in all
        .iter()
        .filter(|i| matches!(i.kind, Kind::Gate | Kind::Cap))
    {
        let name = i.address.unwrap_or("(whole plan)").to_string();
        let below = i.stage.is_some_and(|s| s < report.require_stage);
        let outcome = match i.kind {
            Kind::Gate => Outcome::Failure {
                message: format!("blocked by {}: {}", i.rule, i.message),
                kind: "gate".into(),
            },
            _ if below => Outcome::Failure {
                message: format!(
                    "held at {} by {}, below the required {}",
                    i.stage.map(|s| s.name()).unwrap_or("?"),
                    i.rule,
                    report.require_stage
                ),
                kind: "cap".into(),
            },
            _ => Outcome::Pass,
        };
        cases.push(case(i.rule.clone(), name, outcome, i.text()));
    }
    // Policy rules: one case per rule id.
    let mut policy_rules: Vec<&str> = Vec::new();
    for i in all
        .iter()
        .filter(|i| matches!(i.kind, Kind::Failure | Kind::Warning | Kind::Exception))
    {
        if !policy_rules.contains(&i.rule.as_str()) {
            policy_rules.push(&i.rule);
        }
    }
    for rule in policy_rules {
        let of = |k: Kind| -> Vec<&Issue> {
            all.iter()
                .filter(|i| i.kind == k && i.rule == rule)
                .collect()
        };
        let (failures, warnings, exceptions) =
            (of(Kind::Failure), of(Kind::Warning), of(Kind::Exception));
        let lines = |v: &[&Issue], tag: &str| -> Vec<String> {
            v.iter().map(|i| format!("{tag} {}", i.text())).collect()
        };
        let mut body = lines(&failures, "FAIL");
        body.extend(lines(&warnings, "WARN"));
        body.extend(lines(&exceptions, "EXCP"));
        let outcome = if let Some(first) = failures.first() {
            Outcome::Failure {
                message: first.message.to_string(),
                kind: "policy".into(),
            }
        } else if let Some(first) = exceptions.first() {
            Outcome::Skipped(format!("excepted: {}", first.message))
        } else {
            Outcome::Pass
        };
        cases.push(case(
            format!("policy.{rule}"),
            rule.to_string(),
            outcome,
            body.join("\n"),
        ));
    }
    // Changes no rule holds back.
    for c in plan.changes.iter().filter(|c| c.action.does_something()) {
        if all.iter().any(|i| {
            i.address == Some(c.address.as_str()) && matches!(i.kind, Kind::Gate | Kind::Cap)
        }) {
            continue;
        }
        let below = c.stage < report.require_stage;
        let outcome = if below {
            Outcome::Failure {
                message: format!(
                    "at stage {}, below the required {}",
                    c.stage, report.require_stage
                ),
                kind: "stage".into(),
            }
        } else {
            Outcome::Pass
        };
        cases.push(case(
            "stage".into(),
            c.address.clone(),
            outcome,
            format!("{} {}: stage {}", c.action, c.address, c.stage),
        ));
    }
    Suite {
        name: plan.path.clone(),
        file: Some(plan.path.clone()),
        properties,
        cases,
    }
}

fn write_suite(w: &mut Writer<Vec<u8>>, s: &Suite) -> io::Result<()> {
    let tests = s.cases.len().to_string();
    let failures = s.failures().to_string();
    let errors = s.errors().to_string();
    let skipped = s.skipped().to_string();
    let name = attr(&s.name);
    let mut el = w.create_element("testsuite").with_attributes([
        ("name", name.as_str()),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", errors.as_str()),
        ("skipped", skipped.as_str()),
        ("time", "0"),
    ]);
    let file = s.file.as_deref().map(attr);
    if let Some(f) = &file {
        el = el.with_attribute(("file", f.as_str()));
    }
    el.write_inner_content(|w| {
        if !s.properties.is_empty() {
            w.create_element("properties").write_inner_content(|w| {
                for (k, v) in &s.properties {
                    let (k, v) = (attr(k), attr(v));
                    w.create_element("property")
                        .with_attributes([("name", k.as_str()), ("value", v.as_str())])
                        .write_empty()?;
                }
                Ok(())
            })?;
        }
        for c in &s.cases {
            write_case(w, c)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_case(w: &mut Writer<Vec<u8>>, c: &Case) -> io::Result<()> {
    let (classname, name, file) = (attr(&c.classname), attr(&c.name), attr(&c.file));
    let el = w.create_element("testcase").with_attributes([
        ("classname", classname.as_str()),
        ("name", name.as_str()),
        ("file", file.as_str()),
        ("time", "0"),
    ]);
    let body = xml_chars(&c.body);
    match &c.outcome {
        Outcome::Pass if body.is_empty() => {
            el.write_empty()?;
        }
        outcome => {
            el.write_inner_content(|w| {
                match outcome {
                    Outcome::Pass => {
                        w.create_element("system-out")
                            .write_text_content(BytesText::new(&body))?;
                    }
                    Outcome::Failure { message, kind } | Outcome::Error { message, kind } => {
                        let tag = if matches!(outcome, Outcome::Failure { .. }) {
                            "failure"
                        } else {
                            "error"
                        };
                        let (message, kind) = (attr(message), attr(kind));
                        w.create_element(tag)
                            .with_attributes([
                                ("message", message.as_str()),
                                ("type", kind.as_str()),
                            ])
                            .write_text_content(BytesText::new(&body))?;
                    }
                    Outcome::Skipped(message) => {
                        let message = attr(message);
                        w.create_element("skipped")
                            .with_attribute(("message", message.as_str()))
                            .write_empty()?;
                        if !body.is_empty() {
                            w.create_element("system-out")
                                .write_text_content(BytesText::new(&body))?;
                        }
                    }
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

pub fn render(report: &Report) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    if !report.errors.is_empty() {
        suites.push(Suite {
            name: "plangate".into(),
            file: None,
            properties: Vec::new(),
            cases: report
                .errors
                .iter()
                .map(|d| error_case(d, "plangate", ""))
                .collect(),
        });
    }
    suites.extend(report.plans.iter().map(|p| plan_suite(p, report)));
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written: io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
        let failures: usize = suites.iter().map(Suite::failures).sum();
        let errors: usize = suites.iter().map(Suite::errors).sum();
        let skipped: usize = suites.iter().map(Suite::skipped).sum();
        let (tests, failures, errors, skipped) = (
            tests.to_string(),
            failures.to_string(),
            errors.to_string(),
            skipped.to_string(),
        );
        w.create_element("testsuites")
            .with_attributes([
                ("name", "plangate"),
                ("tests", tests.as_str()),
                ("failures", failures.as_str()),
                ("errors", errors.as_str()),
                ("skipped", skipped.as_str()),
                ("time", "0"),
            ])
            .write_inner_content(|w| {
                for s in &suites {
                    write_suite(w, s)?;
                }
                Ok(())
            })?;
        Ok(())
    })();
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    if written.is_err() {
        // Writing to a Vec cannot fail; keep the document well-formed regardless.
        out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites/>".to_string();
    }
    out.push('\n');
    out
}
