//! `plangate check`: find the plans, load the policies once, evaluate every plan in
//! parallel, and gather one [`Report`] in the order the plans were given.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diag::Diag;
use crate::plan::{self, Plan, PlanSource};
use crate::policy::{PolicyEngine, PolicyOptions};
use crate::report::{PlanReport, Report};

/// Everything `check` needs besides the policies.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Files, directories, or `-` for stdin.
    pub paths: Vec<PathBuf>,
    pub policy: PolicyOptions,
}

/// Run a check. Errors never abort the run: they are recorded in the report, which
/// then carries exit code 2.
pub fn run(opts: &CheckOptions) -> Report {
    let mut report = Report::default();
    let (sources, mut errors) = discover(&opts.paths);
    report.errors.append(&mut errors);
    let engine = match PolicyEngine::load(&opts.policy, false) {
        Ok(e) => e,
        Err(d) => {
            report.errors.push(d);
            return report;
        }
    };
    report.plans = sources
        .par_iter()
        .map(|src| check_one(&engine, src))
        .collect();
    report
}

fn check_one(engine: &PolicyEngine, src: &PlanSource) -> PlanReport {
    let name = src.display();
    match plan::load(src).and_then(|p| evaluate(engine, &p).map(|r| (p, r))) {
        Ok((_, r)) => r,
        Err(d) => PlanReport::failed(name, d),
    }
}

/// Evaluate one loaded plan.
pub fn evaluate(engine: &PolicyEngine, plan: &Plan) -> Result<PlanReport, Diag> {
    let eval = engine
        .evaluate(&plan.input, policy_data(plan), &[])
        .map_err(|d| d.file(plan.meta.path.clone()))?;
    Ok(PlanReport::new(plan, eval))
}

/// The per-plan part of `data`: `data.plangate` (the normalized view) and
/// `data.conftest.file`, as conftest injects it.
pub fn policy_data(plan: &Plan) -> regorus::Value {
    let path = Path::new(&plan.meta.path);
    let dir = path
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let json = serde_json::json!({
        "plangate": plan.view(),
        "conftest": {"file": {"name": plan.meta.path, "dir": dir}},
    });
    regorus::Value::from(json)
}

/// Turn the path arguments into plan sources. Directories are walked (skipping
/// `.terraform/`, `.git/` and hidden directories) for JSON files that look like plans.
pub fn discover(paths: &[PathBuf]) -> (Vec<PlanSource>, Vec<Diag>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    if paths.is_empty() {
        errors.push(
            Diag::new("plangate::cli::no_input", "no plan given")
                .help("pass plan JSON files or directories: `plangate check plan.json` (or `-` to read stdin)"),
        );
    }
    for p in paths {
        if p.as_os_str() == "-" {
            sources.push(PlanSource::Stdin);
            continue;
        }
        if !p.is_dir() {
            // Files (and missing paths, reported when loaded) are taken as named.
            sources.push(PlanSource::File(p.clone()));
            continue;
        }
        let before = sources.len();
        for entry in WalkDir::new(p).sort_by_file_name().into_iter().filter_entry(|e| {
            e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
        }) {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let path = e.path();
                    if path.extension().and_then(|x| x.to_str()) == Some("json")
                        && sniff_plan(path)
                    {
                        sources.push(PlanSource::File(path.to_path_buf()));
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(crate::policy::source::walk_error(e)),
            }
        }
        if sources.len() == before {
            errors.push(
                Diag::new(
                    "plangate::input::no_plans",
                    format!("no plan JSON found in {}", p.display()),
                )
                .file(p.display().to_string())
                .help("plangate reads `tofu show -json plan.tfplan > plan.json` output; binary planfiles and state files are not plans"),
            );
        }
    }
    (sources, errors)
}

/// Whether a JSON file in a walked directory is a plan candidate: its start names
/// `format_version` and a plan key. A candidate that then fails to load is reported;
/// other JSON (package.json, state files) is passed over silently.
fn sniff_plan(path: &Path) -> bool {
    let mut head = vec![0u8; 64 * 1024];
    let n = match std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return true, // unreadable: let the loader report it
    };
    let head = String::from_utf8_lossy(&head[..n]);
    head.contains("\"format_version\"")
        && (head.contains("\"planned_values\"")
            || head.contains("\"resource_changes\"")
            || head.contains("\"prior_state\""))
}
