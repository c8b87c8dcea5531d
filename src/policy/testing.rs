//! `plangate test`: runs every `test_*` rule like `opa test`, with coverage from
//! regorus' coverage report.

use std::time::Instant;

use regorus::unstable::{Rule, RuleHead};
use regorus::Value;
use serde::Serialize;

use crate::diag::Diag;

use super::engine::PolicyEngine;
use super::rego_error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Error,
    /// `todo_test_*` rules, as OPA skips them.
    Skip,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub package: String,
    pub name: String,
    pub file: String,
    pub line: u32,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileCoverage {
    pub file: String,
    pub percent: f64,
    pub covered_lines: usize,
    pub not_covered: Vec<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub results: Vec<TestResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<FileCoverage>>,
}

impl TestReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// All tests passed (skips aside).
    pub fn passed(&self) -> bool {
        self.count(Outcome::Fail) == 0 && self.count(Outcome::Error) == 0
    }
}

struct TestCase {
    package: String,
    name: String,
    file: String,
    line: u32,
}

/// Run every `test_*` rule of the loaded policies. `filter` keeps tests whose
/// `package.name` contains it.
pub fn run(
    policies: &PolicyEngine,
    coverage: bool,
    filter: Option<&str>,
) -> Result<TestReport, Diag> {
    let mut engine = policies.regorus().clone();
    let cases = discover(&mut engine);
    if cases.is_empty() {
        return Err(Diag::new("plangate::test::none", "no test rules found")
            .help("tests are rules named `test_*` in .rego files (usually `*_test.rego` next to the policy)"));
    }
    engine.set_enable_coverage(coverage);
    engine.set_input(Value::new_object());
    let mut results = Vec::new();
    for case in cases {
        let full = format!("{}.{}", case.package, case.name);
        if filter.is_some_and(|f| !full.contains(f)) {
            continue;
        }
        let start = Instant::now();
        let (outcome, message) = if case.name.starts_with("todo_test_") {
            (Outcome::Skip, None)
        } else {
            match engine.eval_rule(format!("data.{full}")) {
                Ok(Value::Bool(true)) => (Outcome::Pass, None),
                Ok(Value::Undefined) => (Outcome::Fail, Some("undefined".to_string())),
                Ok(other) => (Outcome::Fail, Some(format!("evaluated to {other}"))),
                Err(e) => {
                    let (_, msg) = rego_error::parse(&format!("{e:#}"));
                    (Outcome::Error, Some(msg))
                }
            }
        };
        results.push(TestResult {
            package: case.package,
            name: case.name,
            file: case.file,
            line: case.line,
            outcome,
            message,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        });
    }
    if results.is_empty() {
        return Err(Diag::new(
            "plangate::test::none_selected",
            format!("no test matches --run {:?}", filter.unwrap_or_default()),
        )
        .help(
            "tests are selected by a substring of `package.test_name`; run without -r to list them",
        ));
    }
    let coverage = if coverage {
        let report = engine
            .get_coverage_report()
            .map_err(|e| Diag::new("plangate::test::coverage", format!("coverage failed: {e}")))?;
        let mut files: Vec<FileCoverage> = report
            .files
            .into_iter()
            .filter(|f| !f.path.ends_with("_test.rego"))
            .map(|f| {
                let covered = f.covered.len();
                let total = covered + f.not_covered.len();
                FileCoverage {
                    percent: if total == 0 {
                        100.0
                    } else {
                        (covered as f64) * 100.0 / (total as f64)
                    },
                    file: f.path,
                    covered_lines: covered,
                    not_covered: f.not_covered.into_iter().collect(),
                }
            })
            .collect();
        files.sort_by(|a, b| a.file.cmp(&b.file));
        Some(files)
    } else {
        None
    };
    Ok(TestReport { results, coverage })
}

fn discover(engine: &mut regorus::Engine) -> Vec<TestCase> {
    let mut cases = Vec::new();
    for module in engine.get_modules().iter() {
        let Ok(package) = regorus::utils::get_path_string(&module.package.refr, None) else {
            continue;
        };
        let file = module.package.span.source.file().to_string();
        for rule in &module.policy {
            let Rule::Spec { head, span, .. } = rule.as_ref() else {
                continue;
            };
            let refr = match head {
                RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => refr,
                RuleHead::Func { .. } => continue,
            };
            let Ok(name) = regorus::utils::get_path_string(refr, None) else {
                continue;
            };
            if !(name.starts_with("test_") || name.starts_with("todo_test_")) || name.contains('.')
            {
                continue;
            }
            // A test with several bodies is one test, as in OPA.
            if cases
                .iter()
                .any(|c: &TestCase| c.package == package && c.name == name)
            {
                continue;
            }
            cases.push(TestCase {
                package: package.clone(),
                name,
                file: file.clone(),
                line: span.line,
            });
        }
    }
    cases.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    cases
}

/// Text output in the spirit of `opa test`: failures with their location, then the
/// counts, then coverage when asked.
pub fn render_text(report: &TestReport, color: bool) -> String {
    use std::fmt::Write;
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let mut last_file = "";
    for r in &report.results {
        if r.file != last_file {
            let _ = writeln!(out, "{}:", r.file);
            last_file = &r.file;
        }
        let status = match r.outcome {
            Outcome::Pass => paint("32", "PASS"),
            Outcome::Fail => paint("31", "FAIL"),
            Outcome::Error => paint("31", "ERROR"),
            Outcome::Skip => paint("33", "SKIPPED"),
        };
        let _ = write!(
            out,
            "  data.{}.{}: {} ({:.1}ms)",
            r.package, r.name, status, r.duration_ms
        );
        if let Some(m) = &r.message {
            let _ = write!(out, "  {}:{}: {}", r.file, r.line, m);
        }
        let _ = writeln!(out);
    }
    let pass = report.count(Outcome::Pass);
    let fail = report.count(Outcome::Fail);
    let error = report.count(Outcome::Error);
    let skip = report.count(Outcome::Skip);
    let _ = writeln!(out, "{}", "-".repeat(80));
    let _ = writeln!(
        out,
        "{pass} passed, {fail} failed, {error} errors, {skip} skipped ({} tests)",
        report.results.len()
    );
    if let Some(cov) = &report.coverage {
        let _ = writeln!(out, "\ncoverage:");
        for f in cov {
            let lines: Vec<String> = f.not_covered.iter().map(|l| l.to_string()).collect();
            let _ = writeln!(
                out,
                "  {:6.1}%  {}{}",
                f.percent,
                f.file,
                if lines.is_empty() {
                    String::new()
                } else {
                    format!("  (not covered: {})", lines.join(", "))
                }
            );
        }
    }
    out
}
