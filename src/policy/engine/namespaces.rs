//! Namespace discovery: the packages of the loaded modules, their conftest rules, and
//! which of them `--namespace` selects.

use std::collections::BTreeMap;
use std::sync::Arc;

use regorus::unstable::{Expr, Rule, RuleHead};

use crate::diag::Diag;

use super::super::source::PolicyFile;
use super::conventions::RuleKind;
use super::PolicyOptions;

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

/// Find packages, their conftest rules and `exception` rules, and pick the ones to
/// evaluate: the built-in library's packages always, user packages by `--namespace`.
pub(super) fn discover_namespaces(
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
            // Without user policies (only policy sets, which are engines of their
            // own), an absent `main` is no error.
            let user_given = files.iter().any(|f| !f.builtin);
            // A package a policy set declares runs there, whole: naming it is no
            // error, though `--namespace` selects in these policies only.
            let in_a_set = opts.packages_in_sets.iter().any(|n| matcher.is_match(n));
            if matched.is_empty() && (explicit || user_given) && !in_a_set {
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
    selected.sort();
    selected.dedup();
    Ok(selected
        .into_iter()
        .filter_map(|n| found.remove(&n))
        .collect())
}
