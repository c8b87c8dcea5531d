//! Loading: the policy files and data documents compiled into one engine.

use std::collections::HashMap;
use std::sync::Arc;

use regorus::Value;

use crate::diag::Diag;

use super::super::rego_error;
use super::super::source::{self, DataDoc, PolicyFile};
use super::batch::with_batch;
use super::namespaces::discover_namespaces;
use super::{names_input, PolicyEngine, PolicyOptions, NEXT_ENGINE_ID};

/// The built-in library as `check` (and `test`, with tests) loads it.
pub(crate) fn builtin_files(include_tests: bool) -> Vec<PolicyFile> {
    // The lint packages judge source files, not plans: `check` need not
    // parse and prepare them (see `lint::load_engine`).
    let lint_prefix = format!("{}lint/", source::BUILTIN_PREFIX);
    source::builtin_files(include_tests)
        .into_iter()
        .filter(|f| include_tests || !f.name.starts_with(&lint_prefix))
        .collect()
}

impl PolicyEngine {
    /// Load, parse and prepare every policy and data document. Nothing is read again.
    pub fn load(opts: &PolicyOptions, include_tests: bool) -> Result<PolicyEngine, Diag> {
        let mut files = Vec::new();
        if opts.builtin {
            files.extend(builtin_files(include_tests));
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
            set: None,
        })
    }
}
