//! A thin wrapper over `regorus::Engine`: compile a policy tree once, then evaluate
//! it per plan with conftest's conventions (rule names, namespaces, exceptions,
//! string or `{"msg": ...}` results).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regorus::unstable::{Expr, Rule, RuleHead};
use regorus::Value;

use crate::decision::StageRule;
use crate::diag::Diag;
use crate::stage::Stage;

use super::rego_error;
use super::source::{self, DataDoc, PolicyFile};

/// Everything that decides which policies run and how.
#[derive(Debug, Clone, Default)]
pub struct PolicyOptions {
    /// `--policy` files and directories.
    pub policy_paths: Vec<PathBuf>,
    /// `--data` files and directories.
    pub data_paths: Vec<PathBuf>,
    /// `--namespace` patterns; empty means `main`.
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    /// Evaluate the embedded library too.
    pub builtin: bool,
    /// Parse user policies as Rego v0 (the built-in library is always v1).
    pub rego_v0: bool,
    /// Raise builtin errors instead of OPA's default of making them undefined.
    pub strict_builtin_errors: bool,
    /// Time budget for all rules of one plan (`--timeout`); None: unlimited.
    pub timeout: Option<Duration>,
    /// Directories whose packages are always evaluated, whatever `--namespace`
    /// says (the configured policy sets).
    pub always_roots: Vec<PathBuf>,
}

/// Whether a rule's results fail the plan or only warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Failure,
    Warning,
}

impl RuleKind {
    /// conftest's names: `^(deny|violation)(_[a-zA-Z0-9]+)*$` and `^warn(_[a-zA-Z0-9]+)*$`.
    pub fn of(rule: &str) -> Option<RuleKind> {
        let suffix_ok = |rest: &str| {
            rest.is_empty()
                || rest.strip_prefix('_').is_some_and(|r| {
                    r.split('_').all(|part| {
                        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric())
                    })
                })
        };
        for prefix in ["deny", "violation"] {
            if let Some(rest) = rule.strip_prefix(prefix) {
                if suffix_ok(rest) {
                    return Some(RuleKind::Failure);
                }
            }
        }
        match rule.strip_prefix("warn") {
            Some(rest) if suffix_ok(rest) => Some(RuleKind::Warning),
            _ => None,
        }
    }
}

/// The name an `exception` rule lists to exempt a rule, as conftest strips it:
/// `""` for the bare `deny`/`violation`/`warn`, else `violation_`, then `deny_`, then
/// `warn_` removed.
pub fn exception_name(rule: &str) -> &str {
    if matches!(rule, "deny" | "violation" | "warn") {
        return "";
    }
    let r = rule.strip_prefix("violation_").unwrap_or(rule);
    let r = r.strip_prefix("deny_").unwrap_or(r);
    r.strip_prefix("warn_").unwrap_or(r)
}

/// A package whose conftest rules are evaluated.
#[derive(Debug, Clone)]
pub struct Namespace {
    pub name: String,
    /// Distinct deny/violation/warn rule names, sorted.
    pub rules: Vec<String>,
    /// Number of rule definitions (bodies) of those names: conftest's "tests".
    pub definitions: usize,
    pub has_exception: bool,
    /// Declares the stage rules `cap` / `gate` (see docs/policy-api.md).
    pub has_cap: bool,
    pub has_gate: bool,
    /// Comes from the embedded library.
    pub builtin: bool,
    /// The files that declare this package.
    pub files: Vec<String>,
}

/// One message produced by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult {
    pub namespace: String,
    pub rule: String,
    pub kind: RuleKind,
    pub msg: String,
    /// The result object's other keys (and `query`, as conftest adds).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// conftest's `_loc`: `{"file", "line"}` the finding points at.
    pub loc: Option<serde_json::Value>,
}

/// An exception that suppressed a rule for this input.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionResult {
    pub namespace: String,
    pub rule: String,
    /// The query conftest reports as the message.
    pub msg: String,
}

/// One evaluated namespace and conftest's count of its passed rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NamespaceCount {
    pub name: String,
    pub builtin: bool,
    pub successes: usize,
}

/// What the policies said about one input.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub failures: Vec<RuleResult>,
    pub warnings: Vec<RuleResult>,
    pub exceptions: Vec<ExceptionResult>,
    /// conftest's count of rules that passed, over the user's namespaces.
    pub successes: usize,
    /// Every evaluated namespace with its own success count, in evaluation order.
    pub namespaces: Vec<NamespaceCount>,
    /// Lines written by `print()`.
    pub prints: Vec<String>,
    /// Values of other rules the caller asked for, by path.
    pub extra: BTreeMap<String, Value>,
    /// `cap` results: lower the stage of a change or the plan.
    pub caps: Vec<StageRule>,
    /// `gate` results: block a change or the plan.
    pub gates: Vec<StageRule>,
}

/// Policies compiled once; cheap to clone for each worker.
#[derive(Clone)]
pub struct PolicyEngine {
    base: regorus::Engine,
    timeout: Option<Duration>,
    namespaces: Vec<Namespace>,
    sources: Arc<HashMap<String, Arc<str>>>,
    files: Arc<Vec<PolicyFile>>,
    /// The rule paths the generated batch package reads, in `r_<i>` order; empty
    /// when evaluation goes rule by rule.
    batch: Arc<Vec<String>>,
    /// Names `base` for the per-thread clones in [`ENGINES`]; clones of this
    /// value share it, as they share `base`.
    id: usize,
    /// Whether any module names `input` (see [`PolicyEngine::reads_input`]).
    reads_input: bool,
}

static NEXT_ENGINE_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    /// Per thread, clones of the prepared engines evaluated on it, by id.
    static ENGINES: std::cell::RefCell<Vec<(usize, regorus::Engine)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl PolicyEngine {
    /// Load, parse and prepare every policy and data document. Nothing is read again.
    pub fn load(opts: &PolicyOptions, include_tests: bool) -> Result<PolicyEngine, Diag> {
        let mut files = Vec::new();
        if opts.builtin {
            // The lint packages judge source files, not plans: `check` need not
            // parse and prepare them (see `lint::load_engine`).
            let lint_prefix = format!("{}lint/", source::BUILTIN_PREFIX);
            files.extend(
                source::builtin_files(include_tests)
                    .into_iter()
                    .filter(|f| include_tests || !f.name.starts_with(&lint_prefix)),
            );
        }
        files.extend(source::policy_files(&opts.policy_paths, include_tests)?);
        let data = source::data_docs(&opts.data_paths)?;
        Self::from_files(files, data, opts)
    }

    /// Build from files already in memory.
    pub fn from_files(
        files: Vec<PolicyFile>,
        data: Vec<DataDoc>,
        opts: &PolicyOptions,
    ) -> Result<PolicyEngine, Diag> {
        let sources: HashMap<String, Arc<str>> = files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect();
        let mut engine = regorus::Engine::new();
        engine.set_gather_prints(true);
        engine.set_strict_builtin_errors(opts.strict_builtin_errors);
        engine
            .add_extension(
                super::plan_data::FUNCTION.to_string(),
                1,
                Box::new(super::plan_data::extension),
            )
            .map_err(|e| {
                Diag::new(
                    "plangate::policy::internal",
                    format!("cannot register the plan data function: {e}"),
                )
            })?;
        engine.set_rego_v0(false);
        for (name, text) in super::plan_data::modules() {
            engine.add_policy(name, text).map_err(|e| {
                Diag::new(
                    "plangate::policy::internal",
                    format!("the generated plan data module does not parse: {e}"),
                )
            })?;
        }
        super::compat::register(&mut engine).map_err(|e| {
            Diag::new(
                "plangate::policy::internal",
                format!("cannot register OPA compatibility builtins: {e}"),
            )
        })?;
        for f in &files {
            engine.set_rego_v0(!f.builtin && opts.rego_v0);
            engine
                .add_policy(f.name.clone(), f.text.to_string())
                .map_err(|e| {
                    let help = if opts.rego_v0 || f.builtin {
                        "fix the Rego syntax at the position shown"
                    } else {
                        "fix the Rego syntax at the position shown; for policies written before OPA 1.0 (`deny[msg] { ... }`) pass --rego-version v0"
                    };
                    rego_error::to_diag(
                        "plangate::policy::parse_error",
                        "policy does not parse",
                        &e,
                        &sources,
                        help,
                    )
                    .file(f.name.clone())
                })?;
        }
        for doc in data {
            let reserved = match doc.prefix.first() {
                Some(first) => ["plangate", "conftest"].contains(&first.as_str()),
                None => ["plangate", "conftest"]
                    .iter()
                    .any(|k| doc.value[*k] != Value::Undefined),
            };
            if reserved {
                return Err(Diag::new(
                    "plangate::data::reserved",
                    "--data sets `data.plangate` or `data.conftest`, which plangate provides",
                )
                .file(doc.name.clone())
                .help("move your document under another key, e.g. {\"my_org\": {...}}, and read data.my_org"));
            }
            let mut value = doc.value;
            for key in doc.prefix.iter().rev() {
                let mut obj = Value::new_object();
                if let Ok(map) = obj.as_object_mut() {
                    map.insert(Value::from(key.as_str()), value);
                }
                value = obj;
            }
            engine.add_data(value).map_err(|e| {
                Diag::new(
                    "plangate::data::conflict",
                    format!("cannot merge data document: {e}"),
                )
                .file(doc.name.clone())
                .help("two --data documents set the same key to different values; rename one")
            })?;
        }
        let namespaces = discover_namespaces(&mut engine, &files, opts)?;
        // Prepare once (analysis, scheduling) so clones start ready and compile-time
        // errors surface here, with a location, rather than on the first plan. With
        // the batch package when it compiles (the usual case: one preparation),
        // else without it.
        engine.set_input(Value::new_object());
        let (base, batch) = match with_batch(&engine, &namespaces) {
            Some(batched) => batched,
            None => {
                engine.eval_query("true".to_string(), false).map_err(|e| {
                    rego_error::to_diag(
                        "plangate::policy::compile_error",
                        "policy does not compile",
                        &e,
                        &sources,
                        "fix the rule at the position shown",
                    )
                })?;
                (engine, Vec::new())
            }
        };
        Ok(PolicyEngine {
            base,
            timeout: opts.timeout,
            namespaces,
            sources: Arc::new(sources),
            batch: Arc::new(batch),
            id: NEXT_ENGINE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            reads_input: files.iter().any(|f| names_input(&f.name, &f.text)),
            files: Arc::new(files),
        })
    }

    /// Whether a policy can read the `input` document. When none can (the built-in
    /// library reads `data.plangate`), a plan's large value trees need not be built
    /// as policy values at all (`plan::InputUse`), which is most of a large plan's
    /// parse. Decided once, when the policies are loaded.
    pub fn reads_input(&self) -> bool {
        self.reads_input
    }

    /// How many rules one regorus evaluation per input answers (0: rule by rule).
    pub fn batched_rules(&self) -> usize {
        self.batch.len()
    }

    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    pub fn files(&self) -> &[PolicyFile] {
        &self.files
    }

    pub fn sources(&self) -> &HashMap<String, Arc<str>> {
        &self.sources
    }

    /// The prepared engine, for callers (the test runner) that drive regorus directly.
    pub fn regorus(&self) -> &regorus::Engine {
        &self.base
    }

    /// Evaluate every selected namespace against `input`, with `data` merged in for
    /// this evaluation only. `extra_rules` are further rule paths to read (undefined
    /// paths are skipped).
    pub fn evaluate(
        &self,
        input: &Value,
        data: Value,
        extra_rules: &[&str],
    ) -> Result<Evaluation, Diag> {
        // A clone of the prepared engine, one per thread and reused from plan to
        // plan: cloning per plan costs time, and on several threads the clones'
        // shared reference counts bounce between cores. `data` is never touched per
        // plan (that would re-analyse every module); the plan's documents come
        // through plan_data's thread-local instead.
        let mut engine = ENGINES
            .with(|cache| {
                let mut cache = cache.borrow_mut();
                let at = cache.iter().position(|(id, _)| *id == self.id)?;
                Some(cache.swap_remove(at).1)
            })
            .unwrap_or_else(|| self.base.clone());
        let out = self.evaluate_with(&mut engine, input, data, extra_rules);
        // An engine that failed (a timeout, an error) is not reused.
        if out.is_ok() {
            ENGINES.with(|cache| {
                let mut cache = cache.borrow_mut();
                if cache.len() >= 4 {
                    cache.remove(0);
                }
                cache.push((self.id, engine));
            });
        }
        out
    }

    fn evaluate_with(
        &self,
        engine: &mut regorus::Engine,
        input: &Value,
        data: Value,
        extra_rules: &[&str],
    ) -> Result<Evaluation, Diag> {
        let guard = super::plan_data::PlanDataGuard::set(data);
        engine.set_input(input.clone());
        let mut out = Evaluation::default();
        let deadline = self.timeout.map(|t| (Instant::now() + t, t));
        let batch = self.eval_batch(engine, deadline)?;
        for ns in &self.namespaces {
            let values = batch.as_ref().filter(|_| batchable(ns));
            self.eval_namespace(engine, ns, &mut out, deadline, values)?;
        }
        for path in extra_rules {
            let v = self.eval(engine, path, deadline)?;
            if v != Value::Undefined {
                out.extra.insert(path.to_string(), v);
            }
        }
        out.prints = engine.take_prints().unwrap_or_default();
        if guard.large() {
            forget_plan(engine);
        }
        Ok(out)
    }

    /// Evaluate one rule within what is left of the plan's time budget.
    fn eval(
        &self,
        engine: &mut regorus::Engine,
        path: &str,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Value, Diag> {
        self.arm_timer(engine, path, deadline)?;
        engine.eval_rule(path.to_string()).or_else(|e| {
            let text = e.to_string();
            if text.contains("not a valid rule path") {
                return Ok(Value::Undefined);
            }
            if let (Some((_, total)), true) = (deadline, text.contains("exceeded time limit")) {
                return Err(timeout_diag(path, total));
            }
            Err(rego_error::to_diag(
                "plangate::policy::eval_error",
                &format!("evaluating {path} failed"),
                &e,
                &self.sources,
                "fix the rule at the position shown, or pass input it can handle",
            ))
        })
    }

    /// Every rule of the namespaces without exceptions, in one regorus evaluation:
    /// regorus drops its rule cache at each `eval_rule`, so asking rule by rule
    /// recomputes every helper the rules share. None when there is no batch, or
    /// when it fails: then each rule is asked on its own, which names the failing
    /// rule in the diagnostic (a timeout is final either way).
    fn eval_batch(
        &self,
        engine: &mut regorus::Engine,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Option<HashMap<String, Value>>, Diag> {
        if self.batch.is_empty() {
            return Ok(None);
        }
        self.arm_timer(engine, BATCH_PACKAGE, deadline)?;
        let results = match engine.eval_query(format!("data.{BATCH_PACKAGE}"), false) {
            Ok(r) => r,
            Err(e) => {
                if let (Some((_, total)), true) =
                    (deadline, e.to_string().contains("exceeded time limit"))
                {
                    return Err(timeout_diag(BATCH_PACKAGE, total));
                }
                // The rules are asked again one by one: drop what they printed.
                let _ = engine.take_prints();
                return Ok(None);
            }
        };
        let mut values = HashMap::with_capacity(self.batch.len());
        let object = results
            .result
            .into_iter()
            .next()
            .and_then(|r| r.expressions.into_iter().next())
            .map(|e| e.value);
        if let Some(Value::Object(map)) = object {
            let map = Arc::unwrap_or_clone(map);
            for (key, value) in map {
                let index = key
                    .as_string()
                    .ok()
                    .and_then(|k| k.strip_prefix("r_").and_then(|i| i.parse::<usize>().ok()));
                if let Some(path) = index.and_then(|i| self.batch.get(i)) {
                    values.insert(path.clone(), value);
                }
            }
        }
        Ok(Some(values))
    }

    /// Arm regorus' execution timer with what is left of the plan's budget.
    fn arm_timer(
        &self,
        engine: &mut regorus::Engine,
        path: &str,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<(), Diag> {
        if let Some((at, total)) = deadline {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timeout_diag(path, total));
            }
            engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                limit: left,
                check_interval: std::num::NonZeroU32::new(32).unwrap_or(std::num::NonZeroU32::MIN),
            });
        }
        Ok(())
    }

    /// A rule's value: from the batch when there is one, else asked on its own.
    fn value_of(
        &self,
        engine: &mut regorus::Engine,
        path: &str,
        deadline: Option<(Instant, Duration)>,
        batch: Option<&HashMap<String, Value>>,
    ) -> Result<Value, Diag> {
        match batch {
            Some(values) => Ok(values.get(path).cloned().unwrap_or(Value::Undefined)),
            None => self.eval(engine, path, deadline),
        }
    }

    fn eval_namespace(
        &self,
        engine: &mut regorus::Engine,
        ns: &Namespace,
        out: &mut Evaluation,
        deadline: Option<(Instant, Duration)>,
        batch: Option<&HashMap<String, Value>>,
    ) -> Result<(), Diag> {
        let exceptions = if ns.has_exception {
            self.eval(engine, &format!("data.{}.exception", ns.name), deadline)?
        } else {
            Value::Undefined
        };
        let mut results = 0usize;
        let mut successes = 0usize;
        for rule in &ns.rules {
            let Some(kind) = RuleKind::of(rule) else {
                continue;
            };
            let name = exception_name(rule);
            let matches = count_exception_matches(&exceptions, name);
            if matches > 0 {
                let query = format!(
                    "data.{}.exception[_][_] == {}",
                    ns.name,
                    serde_json::Value::from(name)
                );
                for _ in 0..matches {
                    out.exceptions.push(ExceptionResult {
                        namespace: ns.name.clone(),
                        rule: rule.clone(),
                        msg: query.clone(),
                    });
                }
                results += matches;
                continue;
            }
            let query = format!("data.{}.{}", ns.name, rule);
            let value = self.value_of(engine, &query, deadline, batch)?;
            let elements: Vec<&Value> = match &value {
                Value::Set(s) => s.iter().collect(),
                Value::Array(a) => a.iter().collect(),
                _ => Vec::new(),
            };
            if elements.is_empty() {
                successes += 1;
                continue;
            }
            for el in elements {
                let (msg, metadata) = match el {
                    Value::String(s) => (s.to_string(), serde_json::Map::new()),
                    Value::Object(_) => object_result(el).map_err(|m| {
                        Diag::new(
                            "plangate::policy::result_without_msg",
                            format!("a result of {query} {m}"),
                        )
                        .help("return a string, or an object with a string `msg`: `deny contains {\"msg\": \"...\", ...}`")
                    })?,
                    // conftest ignores elements that are neither strings nor objects.
                    _ => continue,
                };
                if msg.is_empty() {
                    successes += 1;
                    continue;
                }
                let mut metadata = metadata;
                let loc = metadata.remove("_loc").and_then(location);
                metadata.insert("query".into(), serde_json::Value::from(query.clone()));
                let r = RuleResult {
                    namespace: ns.name.clone(),
                    rule: rule.clone(),
                    kind,
                    msg,
                    metadata,
                    loc,
                };
                results += 1;
                match kind {
                    RuleKind::Failure => out.failures.push(r),
                    RuleKind::Warning => out.warnings.push(r),
                }
            }
        }
        // As conftest: rule definitions that produced nothing count as successes.
        let counted = results + successes;
        let passed = successes + ns.definitions.saturating_sub(counted);
        if !ns.builtin {
            out.successes += passed;
        }
        out.namespaces.push(NamespaceCount {
            name: ns.name.clone(),
            builtin: ns.builtin,
            successes: passed,
        });
        if ns.has_cap {
            let v = self.value_of(engine, &format!("data.{}.cap", ns.name), deadline, batch)?;
            out.caps.extend(stage_rules(&ns.name, "cap", &v)?);
        }
        if ns.has_gate {
            let v = self.value_of(engine, &format!("data.{}.gate", ns.name), deadline, batch)?;
            out.gates.extend(stage_rules(&ns.name, "gate", &v)?);
        }
        Ok(())
    }
}

/// Words that cannot follow a `.` in a reference.
const REGO_KEYWORDS: &[&str] = &[
    "as", "contains", "default", "else", "every", "false", "if", "import", "in", "not", "null",
    "package", "some", "true", "with",
];

/// Namespaces answered by the batch: without `exception` rules (conftest does not
/// evaluate an excepted rule at all) and with a plain dotted name that can be
/// written as a reference. Others are asked rule by rule.
fn batchable(ns: &Namespace) -> bool {
    !ns.has_exception
        && ns.name.split('.').all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !REGO_KEYWORDS.contains(&seg)
        })
}

/// The generated package that reads every batched rule (`r_<i> := data.<path>`).
const BATCH_PACKAGE: &str = "__plangate_batch";

/// The prepared engine with the batch package added, and the paths it reads; None
/// when there is nothing to batch or the package does not compile (e.g. a `deny`
/// that is a function), in which case rules are asked one by one.
fn with_batch(
    engine: &regorus::Engine,
    namespaces: &[Namespace],
) -> Option<(regorus::Engine, Vec<String>)> {
    let mut paths = Vec::new();
    for ns in namespaces.iter().filter(|ns| batchable(ns)) {
        paths.extend(
            ns.rules
                .iter()
                .filter(|r| RuleKind::of(r).is_some())
                .map(|r| format!("data.{}.{r}", ns.name)),
        );
        if ns.has_cap {
            paths.push(format!("data.{}.cap", ns.name));
        }
        if ns.has_gate {
            paths.push(format!("data.{}.gate", ns.name));
        }
    }
    if paths.len() < 2 {
        return None;
    }
    let mut text = format!("package {BATCH_PACKAGE}\n\n");
    for (i, path) in paths.iter().enumerate() {
        text.push_str(&format!("r_{i} := {path}\n"));
    }
    let mut batched = engine.clone();
    batched.set_rego_v0(false);
    batched
        .add_policy(format!("builtin:{BATCH_PACKAGE}.rego"), text)
        .ok()?;
    batched.eval_query("true".to_string(), false).ok()?;
    Some((batched, paths))
}

fn timeout_diag(path: &str, total: Duration) -> Diag {
    Diag::new(
        "plangate::policy::timeout",
        format!(
            "the policies ran out of time ({}) on this plan, in {path}",
            humantime::format_duration(total)
        ),
    )
    .help("a rule loops or explodes on this input: fix it, or raise --timeout (e.g. --timeout 30s) for very large plans")
}

/// Read `cap` / `gate` results (docs/policy-api.md): objects with a `reason`, an
/// optional `address`, `id` and `unblock`, and for caps a `stage`.
fn stage_rules(namespace: &str, kind: &str, v: &Value) -> Result<Vec<StageRule>, Diag> {
    let elements: Vec<&Value> = match v {
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        Value::Undefined => Vec::new(),
        _ => vec![v],
    };
    let bad = |what: String| {
        Diag::new(
            "plangate::policy::bad_stage_rule",
            format!("a result of data.{namespace}.{kind} {what}"),
        )
        .help(format!(
            "`{kind}` results are objects: {{\"reason\": \"...\"{}, \"address\": \"optional\", \"id\": \"optional\"}}; see docs/policy-api.md",
            if kind == "cap" { ", \"stage\": \"plan-only\"" } else { ", \"unblock\": \"optional\"" }
        ))
    };
    let text = |el: &Value, key: &str| -> Result<Option<String>, Diag> {
        match &el[key] {
            Value::Undefined | Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.to_string())),
            other => Err(bad(format!("has a `{key}` that is not a string: {other}"))),
        }
    };
    let mut out = Vec::new();
    for el in elements {
        if el.as_object().is_err() {
            return Err(bad(format!("is not an object: {el}")));
        }
        let reason = text(el, "reason")?.ok_or_else(|| bad("has no `reason`".into()))?;
        let stage = if kind == "gate" {
            Stage::Blocked
        } else {
            match &el["stage"] {
                Value::String(s) => s.parse::<Stage>().map_err(bad)?,
                Value::Number(_) => el["stage"]
                    .as_u64()
                    .ok()
                    .and_then(Stage::from_level)
                    .ok_or_else(|| bad("has a `stage` number outside 0-4".into()))?,
                _ => return Err(bad("has no `stage` (a name or 0-4)".into())),
            }
        };
        out.push(StageRule {
            rule: text(el, "id")?.unwrap_or_else(|| format!("{namespace}.{kind}")),
            address: text(el, "address")?,
            // "" means the current object, as the built-in rules write it.
            deposed: text(el, "deposed")?,
            stage,
            reason,
            unblock: text(el, "unblock")?,
        });
    }
    Ok(out)
}

/// conftest: an object result must carry a string `msg`; `_loc` is location, not
/// metadata.
fn object_result(
    el: &Value,
) -> Result<(String, serde_json::Map<String, serde_json::Value>), String> {
    let json = serde_json::to_value(el).map_err(|e| format!("cannot be read: {e}"))?;
    let serde_json::Value::Object(mut map) = json else {
        return Err("is not an object".into());
    };
    let msg = match map.remove("msg") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("has a `msg` that is not a string".into()),
        None => return Err("is an object without a `msg` field".into()),
    };
    Ok((msg, map))
}

/// conftest's `_loc` parsing: an object with a string `file` and/or a numeric
/// `line`; anything else is dropped.
fn location(v: serde_json::Value) -> Option<serde_json::Value> {
    let serde_json::Value::Object(m) = v else {
        return None;
    };
    let mut out = serde_json::Map::new();
    if let Some(f @ serde_json::Value::String(_)) = m.get("file") {
        out.insert("file".into(), f.clone());
    }
    if let Some(l @ serde_json::Value::Number(_)) = m.get("line") {
        out.insert("line".into(), l.clone());
    }
    (!out.is_empty()).then_some(serde_json::Value::Object(out))
}

/// Number of bindings for which `exception[_][_] == name` holds, as OPA counts them.
fn count_exception_matches(exceptions: &Value, name: &str) -> usize {
    let target = Value::from(name);
    let inner = |v: &Value| -> usize {
        match v {
            Value::Array(a) => a.iter().filter(|x| **x == target).count(),
            Value::Set(s) => s.iter().filter(|x| **x == target).count(),
            Value::Object(o) => o.values().filter(|x| **x == target).count(),
            _ => 0,
        }
    };
    match exceptions {
        Value::Array(a) => a.iter().map(inner).sum(),
        Value::Set(s) => s.iter().map(inner).sum(),
        Value::Object(o) => o.values().map(inner).sum(),
        _ => 0,
    }
}

/// Find packages, their conftest rules and `exception` rules, and pick the ones to
/// evaluate: the built-in library's packages always, user packages by `--namespace`.
fn discover_namespaces(
    engine: &mut regorus::Engine,
    files: &[PolicyFile],
    opts: &PolicyOptions,
) -> Result<Vec<Namespace>, Diag> {
    let builtin_names: std::collections::HashSet<&str> = files
        .iter()
        .filter(|f| f.builtin)
        .map(|f| f.name.as_str())
        .collect();
    let mut found: BTreeMap<String, Namespace> = BTreeMap::new();
    for module in engine.get_modules().iter() {
        let Ok(pkg) = regorus::utils::get_path_string(&module.package.refr, None) else {
            continue;
        };
        let file = module.package.span.source.file().to_string();
        // The generated per-plan modules count as built-in too.
        let builtin = builtin_names.contains(file.as_str()) || file.starts_with("builtin:");
        let ns = found.entry(pkg.clone()).or_insert_with(|| Namespace {
            name: pkg.clone(),
            rules: Vec::new(),
            definitions: 0,
            has_exception: false,
            has_cap: false,
            has_gate: false,
            builtin,
            files: Vec::new(),
        });
        ns.builtin &= builtin;
        if !ns.files.contains(&file) {
            ns.files.push(file.clone());
        }
        for rule in &module.policy {
            let (refr, boolean) = match rule.as_ref() {
                Rule::Spec { head, .. } => match head {
                    // `deny[msg] if { ... }` in v1 is a partial object of `true`s, not
                    // a set: conftest refuses it (opa#6509). `deny if` is allowed.
                    RuleHead::Compr { refr, assign, .. } => (
                        refr,
                        assign.is_none() && matches!(refr.as_ref(), Expr::RefBrack { .. }),
                    ),
                    RuleHead::Set { refr, .. } => (refr, false),
                    RuleHead::Func { .. } => continue,
                },
                Rule::Default { refr, .. } => (refr, false),
            };
            let Ok(name) = regorus::utils::get_path_string(refr, None) else {
                continue;
            };
            if boolean && RuleKind::of(&name).is_some() {
                // conftest refuses `deny if { ... }`: it would silently never fail.
                let span = rule.span();
                let src: Arc<str> = Arc::from(span.source.contents().as_str());
                let start = usize::try_from(span.start).unwrap_or(0);
                return Err(Diag::new(
                    "plangate::policy::boolean_rule",
                    format!("`{name}[...] if {{ ... }}` declares an object of `true` values, not a set of messages"),
                )
                .file(file.clone())
                .at(src, start..start + name.len(), "declared here")
                .help(format!("in Rego v1 write `{name} contains msg if {{ ... }}` (or pass --rego-version v0 for `{name}[msg] {{ ... }}`)")));
            }
            if name == "exception" {
                ns.has_exception = true;
            } else if name == "cap" {
                ns.has_cap = true;
            } else if name == "gate" {
                ns.has_gate = true;
            } else if RuleKind::of(&name).is_some() {
                ns.definitions += 1;
                if !ns.rules.contains(&name) {
                    ns.rules.push(name);
                }
            }
        }
    }
    for ns in found.values_mut() {
        ns.rules.sort();
    }

    let user_packages: Vec<&Namespace> = found.values().filter(|n| !n.builtin).collect();
    let mut selected: Vec<String> = found
        .values()
        .filter(|n| n.builtin)
        .map(|n| n.name.clone())
        .collect();
    if opts.all_namespaces {
        selected.extend(user_packages.iter().map(|n| n.name.clone()));
    } else {
        let explicit = !opts.namespaces.is_empty();
        let patterns: Vec<String> = if explicit {
            opts.namespaces.clone()
        } else {
            vec!["main".to_string()]
        };
        for pattern in &patterns {
            let matcher = globset::Glob::new(pattern)
                .map_err(|e| {
                    Diag::new(
                        "plangate::cli::bad_namespace",
                        format!("--namespace {pattern:?} is not a valid pattern: {e}"),
                    )
                    .help("a namespace is a package path such as `main` or `terraform.aws`, optionally with `*`")
                })?
                .compile_matcher();
            let matched: Vec<String> = found
                .values()
                .filter(|n| matcher.is_match(&n.name))
                .map(|n| n.name.clone())
                .collect();
            // Policy-set directories are selected on their own (below).
            let user_given = opts
                .policy_paths
                .iter()
                .any(|p| !opts.always_roots.contains(p));
            if matched.is_empty() && (explicit || user_given) {
                let known: Vec<&str> = user_packages.iter().map(|n| n.name.as_str()).collect();
                let help =
                    if known.is_empty() {
                        "no user policy declares a package; add `package main` to your .rego files"
                            .to_string()
                    } else {
                        format!(
                        "your policies declare {}; pass one with --namespace, or --all-namespaces",
                        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )
                    };
                return Err(Diag::new(
                    "plangate::policy::namespace_not_found",
                    format!("no policy package matches the namespace `{pattern}`"),
                )
                .help(help));
            }
            selected.extend(matched);
        }
    }
    // Policy sets are evaluated whole: a package all of whose files lie in a set.
    let canon = |p: &std::path::Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let roots: Vec<PathBuf> = opts.always_roots.iter().map(|r| canon(r)).collect();
    if !roots.is_empty() {
        for ns in found.values().filter(|n| !n.builtin) {
            let inside = ns.files.iter().all(|f| {
                let f = canon(std::path::Path::new(f));
                roots.iter().any(|r| f.starts_with(r))
            });
            if inside {
                selected.push(ns.name.clone());
            }
        }
    }
    selected.sort();
    selected.dedup();
    Ok(selected
        .into_iter()
        .filter_map(|n| found.remove(&n))
        .collect())
}

/// Makes a (cached) engine let go of the large plan it evaluated: its input, and
/// the rule values and documents regorus keeps until the next evaluation, which
/// hold parts of the plan. Then only the plan's owner and the per-plan document
/// keep them, and both are freed off the caller's path (`free_later`), not at
/// the next evaluation or at exit. regorus cleans its evaluation state when an
/// evaluation starts, so asking for a rule that does not exist does just that.
fn forget_plan(engine: &mut regorus::Engine) {
    engine.set_input(Value::new_object());
    let _ = engine.eval_rule("data.__plangate_forget_plan".to_string());
}

/// Whether a module's text names `input`: the only way Rego reaches the input
/// document is the `input` root (`input.x`, `with input as`, `import input`), so a
/// module without that identifier cannot read it. Tokens come from regorus' own
/// lexer, so strings and comments mentioning "input" do not count; an `input` field
/// (`x.input`) does, which errs on the side of building the input. A module that
/// does not lex counts as reading it.
fn names_input(name: &str, text: &str) -> bool {
    use regorus::unstable::{Lexer, TokenKind};
    let Ok(source) = regorus::Source::from_contents(name.to_string(), text.to_string()) else {
        return true;
    };
    let mut lexer = Lexer::new(&source);
    loop {
        match lexer.next_token() {
            Ok(regorus::unstable::Token(TokenKind::Eof, _)) => return false,
            Ok(regorus::unstable::Token(TokenKind::Ident, span)) if span.text() == "input" => {
                return true
            }
            Ok(_) => {}
            Err(_) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine of one user module, default options.
    fn user_engine(text: &str) -> PolicyEngine {
        PolicyEngine::from_files(
            vec![user_file("a.rego", text)],
            Vec::new(),
            &PolicyOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_module_reads_input_only_through_the_input_identifier() {
        for (text, reads) in [
            ("package a\nx := input.planned_values\n", true),
            ("package a\nimport input.prior_state as s\nx := s\n", true),
            ("package a\ntest_x if { x with input as {} }\n", true),
            ("package a\nf(i) := i.input\n", true),
            ("package a\nx := walk(input)\n", true),
            // Words in strings and comments are not references.
            ("package a\n# reads no input\nx := \"input\"\n", false),
            (
                "package a\nx := `input`\ny := data.plangate.changes\n",
                false,
            ),
            ("package a\ninputs := 1\nmy_input := 2\n", false),
        ] {
            assert_eq!(names_input("a.rego", text), reads, "{text}");
        }
    }

    #[test]
    fn an_engine_that_forgot_a_large_plan_evaluates_the_next_one() {
        // After a large plan the cached engine drops what it kept of it; the next
        // plan on the same thread is evaluated as by a fresh engine.
        let engine = user_engine(
            "package main\nimport rego.v1\ndeny contains c.address if some c in data.plangate.changes\n",
        );
        let doc = |n: usize| {
            let changes: Vec<serde_json::Value> = (0..n)
                .map(|i| serde_json::json!({"address": format!("r.x{i}")}))
                .collect();
            Value::from(serde_json::json!({"plangate": {"changes": changes}}))
        };
        let input = Value::new_object();
        for n in [crate::LARGE_PLAN, 1, crate::LARGE_PLAN + 1, 0] {
            let out = engine.evaluate(&input, doc(n), &[]).unwrap();
            assert_eq!(out.failures.len(), n);
        }
    }

    #[test]
    fn the_built_in_library_reads_no_input() {
        // `check` then builds only the parts of a plan plangate reads itself.
        let opts = PolicyOptions {
            builtin: true,
            ..PolicyOptions::default()
        };
        assert!(!PolicyEngine::load(&opts, false).unwrap().reads_input());
        assert!(user_engine("package main\ndeny contains 1 if input.x\n").reads_input());
    }

    fn user_file(name: &str, text: &str) -> PolicyFile {
        PolicyFile {
            name: name.to_string(),
            text: Arc::from(text),
            builtin: false,
        }
    }

    #[test]
    fn one_batched_evaluation_answers_as_rule_by_rule_does() {
        let files = vec![
            user_file(
                "a.rego",
                r#"package main
import rego.v1
names contains r.address if some r in input.resource_changes
deny contains sprintf("no %s", [n]) if { some n in names; startswith(n, "x") }
warn_size contains {"msg": "many", "n": count(names)} if count(names) > 1
deny_empty contains "" if true
violation_undefined := x if { x := input.missing }
cap contains {"stage": "plan-only", "reason": "r"} if "xa" in names
"#,
            ),
            user_file(
                "b.rego",
                r#"package main["odd-name"].if
import rego.v1
deny contains "odd" if input.resource_changes
"#,
            ),
        ];
        let opts = PolicyOptions {
            all_namespaces: true,
            ..Default::default()
        };
        let batched = PolicyEngine::from_files(files, Vec::new(), &opts).expect("loads");
        assert_eq!(batched.batched_rules(), 5, "main: four rules and cap");
        let single = PolicyEngine {
            batch: Arc::new(Vec::new()),
            ..batched.clone()
        };
        let input = Value::from(serde_json::json!({"resource_changes": [
            {"address": "xa"}, {"address": "b"}, {"address": "xc"}
        ]}));
        let a = batched
            .evaluate(&input, Value::new_object(), &[])
            .expect("batched");
        let b = single
            .evaluate(&input, Value::new_object(), &[])
            .expect("single");
        assert_eq!(a.failures, b.failures);
        assert_eq!(a.warnings, b.warnings);
        assert_eq!(a.caps, b.caps);
        assert_eq!(a.successes, b.successes);
        assert_eq!(a.namespaces, b.namespaces);
        assert_eq!(a.failures.len(), 3, "{:?}", a.failures);
        assert!(
            a.failures.iter().any(|f| f.msg == "odd"),
            "a namespace outside the batch"
        );
        assert_eq!(a.caps.len(), 1);
    }

    #[test]
    fn the_built_in_library_is_evaluated_in_one_batch() {
        let engine = PolicyEngine::load(
            &PolicyOptions {
                builtin: true,
                ..Default::default()
            },
            false,
        )
        .expect("loads");
        assert!(engine.batched_rules() > 5, "{}", engine.batched_rules());
        assert!(
            engine
                .namespaces()
                .iter()
                .all(|n| !n.name.starts_with("plangate.lint")),
            "check does not load the lint packages"
        );
    }

    #[test]
    fn rule_names_follow_conftest() {
        assert_eq!(RuleKind::of("deny"), Some(RuleKind::Failure));
        assert_eq!(RuleKind::of("violation_s3_public"), Some(RuleKind::Failure));
        assert_eq!(RuleKind::of("warn_x1"), Some(RuleKind::Warning));
        assert_eq!(RuleKind::of("denyx"), None);
        assert_eq!(RuleKind::of("deny_"), None);
        assert_eq!(RuleKind::of("deny__x"), None);
        assert_eq!(RuleKind::of("warning"), None);
        assert_eq!(RuleKind::of("exception"), None);
    }

    #[test]
    fn exception_names_strip_prefixes_like_conftest() {
        assert_eq!(exception_name("deny_destroy"), "destroy");
        assert_eq!(exception_name("warn_replace"), "replace");
        assert_eq!(exception_name("violation_deny_x"), "x");
        assert_eq!(exception_name("deny"), "");
        assert_eq!(exception_name("warn"), "");
    }
}
