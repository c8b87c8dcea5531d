//! A thin wrapper over `regorus::Engine`: compile a policy tree once, then evaluate
//! it per plan with conftest's conventions (rule names, namespaces, exceptions,
//! string or `{"msg": ...}` results).

//!
//! Split by job: [`load`] (files and data into one engine), [`conventions`]
//! (conftest's rule names, exceptions and result shapes), [`namespaces`] (which
//! packages run), [`batch`] (one query per plan), [`stage_rules`] (`cap` / `gate`).

mod batch;
mod conventions;
mod load;
mod namespaces;
mod stage_rules;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regorus::utils::limits::LimitError;
use regorus::Value;

use crate::decision::StageRule;
use crate::diag::Diag;

use super::source::PolicyFile;
use super::{compat, plan_data, rego_error};

pub use conventions::{exception_name, RuleKind};
pub(crate) use load::builtin_files;
pub use namespaces::Namespace;

use batch::batchable;

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
    /// The packages the configured policy sets declare (set by
    /// [`crate::policy::PolicySetEngines`]): a `--namespace` that matches only one
    /// of them is no error, since its set evaluates it.
    pub packages_in_sets: Vec<String>,
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
    /// The policy set whose engine produced it (plangate.hcl `policy_set`); None for
    /// the `-p` policies and the built-in library. Its enforcement decides what a
    /// failure does (`decision::PolicySets`), whatever package it is in.
    pub set: Option<String>,
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
    /// The policy set these policies are (stamped on every [`RuleResult`]).
    set: Option<String>,
}

/// How many prepared engines one thread keeps clones of: one per policy set (and
/// the `-p` set) of a run, with room for the engines of tests and `lint`.
const CACHED_ENGINES: usize = 16;

static NEXT_ENGINE_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    /// Per thread, clones of the prepared engines evaluated on it, by id.
    static ENGINES: std::cell::RefCell<Vec<(usize, regorus::Engine)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl PolicyEngine {
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

    /// The policy set these policies form; None for the `-p` policies.
    pub fn set(&self) -> Option<&str> {
        self.set.as_deref()
    }

    /// These policies as the policy set `name`: their results carry it.
    pub(crate) fn in_set(mut self, name: Option<String>) -> PolicyEngine {
        self.set = name;
        self
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
        let deadline = self.timeout.map(|t| (Instant::now() + t, t));
        self.evaluate_until(input, data, extra_rules, deadline)
    }

    /// [`PolicyEngine::evaluate`] within a time budget that started earlier: the
    /// policy sets of one plan share the plan's `--timeout`.
    pub(crate) fn evaluate_until(
        &self,
        input: &Value,
        data: Value,
        extra_rules: &[&str],
        deadline: Option<(Instant, Duration)>,
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
        let out = self.evaluate_with(&mut engine, input, data, extra_rules, deadline);
        // An engine that failed (a timeout, an error) is not reused.
        if out.is_ok() {
            ENGINES.with(|cache| {
                let mut cache = cache.borrow_mut();
                if cache.len() >= CACHED_ENGINES {
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
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Evaluation, Diag> {
        let guard = super::plan_data::PlanDataGuard::set(data);
        engine.set_input(input.clone());
        let mut out = Evaluation::default();
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
            if let (Some((_, total)), true) = (deadline, is_time_limit(&e)) {
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
}

/// Whether regorus stopped on its execution timer: its typed `LimitError`, not the
/// words of the message.
fn is_time_limit(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<LimitError>(),
            Some(LimitError::TimeLimitExceeded { .. })
        )
    })
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
