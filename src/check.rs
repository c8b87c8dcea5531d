//! `plangate check`: find the plans, load the policies once, evaluate every plan in
//! parallel, and gather one [`Report`] in the order the plans were given.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Config;
use crate::context::{Context, ContextOptions};
use crate::decision::{self, PolicySets};
use crate::diag::Diag;
use crate::hcl::locate::SourceCache;
use crate::input_shape::{InputShape, ShapeContext};
use crate::ledger::Ledger;
use crate::plan::digest;
use crate::plan::{self, Plan, PlanSource};
use crate::policy::{PolicyOptions, PolicySetEngines, RuleResult};
use crate::report::{PlanReport, Report};
use crate::stage::Stage;

/// Everything `check` needs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Files, directories, or `-` for stdin.
    pub paths: Vec<PathBuf>,
    pub policy: PolicyOptions,
    /// `--config`; else `plangate.hcl` in the current directory or a parent; else
    /// the embedded default.
    pub config: Option<PathBuf>,
    pub context: ContextOptions,
    /// Plans below this stage fail the run (exit 1).
    pub require_stage: Stage,
    /// Worker threads (`--jobs`); None: one per core.
    pub jobs: Option<usize>,
    /// Where the plan sits in `input` (`--input-shape`).
    pub input_shape: InputShape,
    /// Larger plans are refused (`--max-plan-size`).
    pub max_plan_size: u64,
    /// The promotion ledger (`--ledger`, else `settings.ledger`).
    pub ledger: Option<PathBuf>,
    /// `--approved-digest`: the plan digest the approvals were given for; on any other
    /// plan they do not count.
    pub approved_digest: Option<String>,
    /// Draw a progress bar on stderr while plans are evaluated.
    pub progress: bool,
    /// Where the `.tf` files behind the plans are (`--source`), for locations.
    pub source: SourceDir,
}

/// The configuration directory whose `resource` blocks give changes and findings a
/// file and line (`--source`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SourceDir {
    /// Each plan file's own directory, when it holds `.tf` or `.tofu` files (none for
    /// standard input).
    #[default]
    Auto,
    /// This directory, for every plan.
    Dir(PathBuf),
    /// No locations.
    Off,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            paths: Vec::new(),
            policy: PolicyOptions::default(),
            config: None,
            context: ContextOptions::default(),
            require_stage: Stage::PlanOnly,
            jobs: None,
            input_shape: InputShape::Conftest,
            max_plan_size: plan::DEFAULT_MAX_PLAN_SIZE,
            ledger: None,
            approved_digest: None,
            progress: false,
            source: SourceDir::Auto,
        }
    }
}

/// Load the configuration the way `check` finds it.
pub fn load_config(explicit: Option<&Path>) -> Result<Config, Diag> {
    match explicit {
        Some(p) => crate::config::load_file(p),
        None => {
            let cwd = std::env::current_dir().unwrap_or_default();
            match crate::config::find(&cwd) {
                Some(p) => crate::config::load_file(&p),
                None => Ok(Config::embedded()),
            }
        }
    }
}

/// What a run shares across plans: parsed once.
pub struct Prepared {
    pub config: Config,
    pub context: Context,
    /// One compiled unit per policy set, and one for `-p` and the built-in library.
    pub engine: PolicySetEngines,
    pub ledger: Ledger,
    pub approved_digest: Option<String>,
    pub input_shape: InputShape,
    pub max_plan_size: u64,
    /// How much of each plan to build as `input`: all of it only when a policy
    /// reads it.
    pub input_use: plan::InputUse,
    /// The configured policy sets: a failure's enforcement is its set's.
    pub sets: PolicySets,
}

/// Load config, context and policies once.
pub fn prepare(opts: &CheckOptions) -> Result<Prepared, Diag> {
    let config = load_config(opts.config.as_deref())?;
    let context = Context::resolve(&opts.context, &config)?;
    let sets = PolicySets::from_config(&config);
    let engine = PolicySetEngines::load(&opts.policy, &sets)?;
    let ledger_path = opts
        .ledger
        .clone()
        .or_else(|| config.settings.ledger.as_ref().map(|p| config.resolve(p)));
    let ledger = match &ledger_path {
        Some(p) => Ledger::read(p)?,
        None => Ledger::default(),
    };
    let input_use = if engine.reads_input() {
        plan::InputUse::Whole
    } else {
        plan::InputUse::Plangate
    };
    Ok(Prepared {
        config,
        context,
        engine,
        input_use,
        ledger,
        approved_digest: opts.approved_digest.clone(),
        input_shape: opts.input_shape,
        max_plan_size: opts.max_plan_size,
        sets,
    })
}

/// Run a check. Errors never abort the run: they are recorded in the report, which
/// then carries exit code 2.
pub fn run(opts: &CheckOptions) -> Report {
    let mut report = Report {
        require_stage: opts.require_stage,
        ..Report::default()
    };
    let (sources, mut errors) = discover(&opts.paths);
    report.errors.append(&mut errors);
    let mut source_dir = opts.source.clone();
    if let SourceDir::Dir(d) = &source_dir {
        if !d.is_dir() {
            report.errors.push(
                Diag::new(
                    "plangate::cli::source_not_a_directory",
                    format!("--source {}: not a directory", d.display()),
                )
                .file(d.display().to_string())
                .help("pass the directory holding the configuration's .tf files (the root module)"),
            );
            source_dir = SourceDir::Off;
        }
    }
    let source_cache = SourceCache::new();
    let prepared = match crate::timings::phase("prepare", || prepare(opts)) {
        Ok(p) => p,
        Err(d) => {
            report.errors.push(d);
            return report;
        }
    };
    let bar = opts.progress.then(|| progress_bar(sources.len()));
    let work = || -> Vec<PlanReport> {
        // `collect` on an indexed parallel iterator keeps the input order, so the
        // output is the same whatever the thread count.
        sources
            .par_iter()
            .map(|src| {
                let mut r = check_one(&prepared, src);
                attach_locations(&mut r, &source_dir, &source_cache, src);
                if let Some(b) = &bar {
                    b.inc(1);
                }
                r
            })
            .collect()
    };
    report.plans = match opts.jobs {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report.warnings = source_cache.take_warnings();
    report
}

/// Give the changes and findings of one plan the file and line of their `resource`
/// blocks (`--source`; by default the plan's directory when it holds `.tf` files).
fn attach_locations(
    report: &mut PlanReport,
    source: &SourceDir,
    cache: &SourceCache,
    src: &PlanSource,
) {
    if report.error.is_some() {
        return;
    }
    let root = match (source, src) {
        (SourceDir::Off, _) | (SourceDir::Auto, PlanSource::Stdin) => return,
        (SourceDir::Dir(d), _) => d.clone(),
        (SourceDir::Auto, PlanSource::File(p)) => {
            let dir = p.parent().unwrap_or(Path::new("")).to_path_buf();
            if !cache.has_config(&dir) {
                return;
            }
            dir
        }
    };
    // Instances of one block (`x[0]`, `x[1]`, ...) are looked up once.
    let memo = std::cell::RefCell::new(std::collections::HashMap::new());
    report.locate(|address| {
        let config = crate::hcl::locate::config_address(address);
        if let Some(found) = memo.borrow().get(&config) {
            return Option::clone(found);
        }
        let found = cache.locate(&root, &config);
        memo.borrow_mut().insert(config, found.clone());
        found
    });
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} checking plans {pos}/{len} [{bar:30}] {per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn check_one(prepared: &Prepared, src: &PlanSource) -> PlanReport {
    let name = src.display();
    let plan = match plan::load_for(src, prepared.max_plan_size, prepared.input_use) {
        Ok(p) => p,
        Err(d) => return PlanReport::failed(name, d),
    };
    let report = match evaluate(prepared, &plan) {
        Ok(r) => r,
        // Evaluation errors can quote plan values (`Got "hunter2" instead`).
        Err(d) => {
            let redactor = crate::redact::Redactor::new(&plan.secrets);
            PlanReport::failed(name, d.map_text(|t| redactor.string(t)))
        }
    };
    if plan.changes.len() >= crate::LARGE_PLAN {
        crate::free_later(plan);
    }
    report
}

/// Evaluate one loaded plan and decide its stages.
pub fn evaluate(prepared: &Prepared, plan: &Plan) -> Result<PlanReport, Diag> {
    let (env_name, env) = prepared
        .context
        .environment(&prepared.config, &plan.meta.path)?;
    // The view of the plan policies read does not depend on the digests: both are
    // built at once.
    let ((plan_digest, changeset), view) = crate::timings::phase("digests and view", || {
        rayon::join(
            || {
                rayon::join(
                    || digest::plan_digest(plan),
                    || digest::changeset_digest(plan),
                )
            },
            || plan.view(),
        )
    });
    let digests = Digests {
        plan: plan_digest,
        changeset,
    };
    let mut context = prepared.context.to_json(env_name, env, &plan.meta.path);
    // Approvals bound to another plan's digest do not carry over to this one.
    let void_approvals = prepared
        .approved_digest
        .as_ref()
        .is_some_and(|d| *d != digests.plan);
    if void_approvals {
        context["approvers"] = serde_json::json!([]);
        context["approvals_void"] = true.into();
    }
    let ledger = ledger_view(&prepared.ledger, env_name, env.promote_from.as_deref());
    let data = crate::timings::phase("policy data", || {
        policy_data(plan, view, &prepared.config, context, &digests, ledger)
    });
    let input = prepared.input_shape.wrap(
        plan,
        &ShapeContext {
            context: &prepared.context,
            environment: env_name,
        },
    );
    let mut eval =
        crate::timings::phase("policies", || prepared.engine.evaluate(&input, data, &[])).map_err(
            |d| match d.file {
                Some(_) => d,
                None => d.file(plan.meta.path.clone()),
            },
        )?;
    // Failures become gates by their policy set's enforcement level.
    let mut gates = std::mem::take(&mut eval.gates);
    let mut advisory = Vec::new();
    for f in std::mem::take(&mut eval.failures) {
        let failure = decision::Failure {
            set: f.set.as_deref(),
            namespace: &f.namespace,
            rule: &f.rule,
            msg: &f.msg,
        };
        let gate =
            prepared
                .sets
                .failure_gate(failure, &prepared.config, &prepared.context.approvers);
        match gate {
            Some(g) => {
                gates.push(g);
                eval.failures.push(f);
            }
            None => advisory.push(f),
        }
    }
    eval.warnings.extend(advisory);
    if void_approvals {
        eval.warnings.push(RuleResult {
            namespace: "plangate".into(),
            rule: "approved-digest".into(),
            kind: crate::policy::RuleKind::Warning,
            msg: format!(
                "the approvals were given for plan {}, this plan is {}: they do not count",
                prepared.approved_digest.as_deref().unwrap_or_default(),
                digests.plan
            ),
            metadata: serde_json::Map::new(),
            loc: None,
            set: None,
        });
    }
    let decision = crate::timings::phase("decide", || {
        decision::decide(env_name, env.stage, &plan.changes, &eval.caps, &gates)
    });
    let mut report = crate::timings::phase("report", || PlanReport::new(plan, eval, decision));
    report.digest = Some(digests.plan);
    report.changeset_digest = Some(digests.changeset);
    Ok(report)
}

/// The plan's digests, shown in every output and given to policies.
pub struct Digests {
    pub plan: String,
    pub changeset: String,
}

/// `data.plangate.ledger`: the records of this environment and the one it promotes
/// from (the rest of the ledger is not this plan's business).
fn ledger_view(ledger: &Ledger, env: &str, promote_from: Option<&str>) -> serde_json::Value {
    let records: Vec<&crate::ledger::Record> = ledger
        .records
        .iter()
        .filter(|r| r.environment == env || Some(r.environment.as_str()) == promote_from)
        .collect();
    serde_json::json!({ "records": records })
}

/// The per-plan part of `data`: `data.plangate` (the normalized view, the config and
/// the context) and `data.conftest.file`, as conftest injects it.
pub fn policy_data(
    plan: &Plan,
    mut view: regorus::Value,
    config: &Config,
    context: serde_json::Value,
    digests: &Digests,
    ledger: serde_json::Value,
) -> regorus::Value {
    // As conftest: the base name, and the absolute directory.
    let path = Path::new(&plan.meta.path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| plan.meta.path.clone());
    let dir = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(|d| d.display().to_string()))
        .unwrap_or_default();
    let value = |v: serde_json::Value| regorus::Value::from(v);
    if let Ok(m) = view.as_object_mut() {
        m.insert("config".into(), value(config.to_json()));
        m.insert("context".into(), value(context));
        m.insert("ledger".into(), value(ledger));
        if let Some(Ok(p)) = m.get_mut(&"plan".into()).map(|p| p.as_object_mut()) {
            p.insert("digest".into(), digests.plan.as_str().into());
            p.insert("changeset_digest".into(), digests.changeset.as_str().into());
        }
    }
    let conftest = serde_json::json!({"file": {"name": name, "dir": dir}});
    let mut data = std::collections::BTreeMap::new();
    data.insert("plangate".into(), view);
    data.insert("conftest".into(), value(conftest));
    regorus::Value::from(data)
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
        let mut candidates = Vec::new();
        for entry in WalkDir::new(p)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if e.path().extension().and_then(|x| x.to_str()) == Some("json") {
                        candidates.push(e.into_path());
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(crate::policy::source::walk_error(e)),
            }
        }
        // Reading the head of every file is I/O: in parallel, keeping walk order.
        let is_plan: Vec<bool> = candidates.par_iter().map(|c| sniff_plan(c)).collect();
        sources.extend(
            candidates
                .into_iter()
                .zip(is_plan)
                .filter(|(_, plan)| *plan)
                .map(|(c, _)| PlanSource::File(c)),
        );
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
    let head = plan::decode_lossy(&head[..n]);
    head.contains("\"format_version\"")
        && (head.contains("\"planned_values\"")
            || head.contains("\"resource_changes\"")
            || head.contains("\"prior_state\""))
}
