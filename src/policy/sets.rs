//! Policy sets evaluated in isolation, as HCP Terraform evaluates them: each
//! `policy_set` of plangate.hcl is its own compile unit (its own regorus engine,
//! compiled once and cloned per thread like any [`PolicyEngine`]), so two sets may
//! both declare `package main` and each keeps its enforcement level. The `-p`
//! policies, with the built-in library, form one more unit (hard-mandatory).
//!
//! A `.rego` file belongs to exactly one unit: the deepest set path that contains
//! it (a file of a nested `policies/security` set is not also in `policies`); a
//! configured set wins over a `-p` path naming the same directory. `-d` data is
//! loaded once and shared by every unit; `--namespace` selects packages of the
//! `-p` unit only, sets are evaluated whole.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use regorus::Value;

use crate::decision::PolicySets;
use crate::diag::Diag;

use super::engine::{builtin_files, Evaluation, PolicyEngine, PolicyOptions};
use super::source::{self, PolicyFile};

/// The compiled units of a run: the `-p` unit first, then one per configured set
/// that holds a file, in set name order.
#[derive(Clone)]
pub struct PolicySetEngines {
    units: Vec<PolicyEngine>,
    timeout: Option<Duration>,
}

/// A path policies are read from, and the unit its files go to.
struct Root {
    /// Index of the unit: 0 for `-p`, 1 + the set's index for a set.
    unit: usize,
    path: PathBuf,
    /// `path` made absolute with symbolic links resolved: where files are placed.
    canon: PathBuf,
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize()
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

impl PolicySetEngines {
    /// Read every policy once, give each file to its unit, and compile the units.
    pub fn load(opts: &PolicyOptions, sets: &PolicySets) -> Result<PolicySetEngines, Diag> {
        let mut roots: Vec<Root> = opts
            .policy_paths
            .iter()
            .map(|p| Root {
                unit: 0,
                path: p.clone(),
                canon: canonical(p),
            })
            .collect();
        roots.extend(sets.iter().enumerate().map(|(i, s)| Root {
            unit: i + 1,
            path: s.root.clone(),
            canon: canonical(&s.root),
        }));
        // The root a file belongs to: the deepest one containing it; on a tie (a
        // `-p` path that is also a set's), the set.
        let owner = |place: &Path| -> Option<usize> {
            roots
                .iter()
                .enumerate()
                .filter(|(_, r)| place.starts_with(&r.canon))
                .max_by_key(|(_, r)| (r.canon.components().count(), r.unit > 0))
                .map(|(i, _)| i)
        };
        let mut files: Vec<Vec<PolicyFile>> = vec![Vec::new(); sets.iter().count() + 1];
        let mut seen: HashSet<PathBuf> = HashSet::new();
        for (i, root) in roots.iter().enumerate() {
            for f in source::policy_files(std::slice::from_ref(&root.path), false)? {
                // Where the file is, seen from the root it was found under (a walk
                // yields paths below the root as given).
                let place = match Path::new(&f.name).strip_prefix(&root.path) {
                    Ok(rel) if !rel.as_os_str().is_empty() => root.canon.join(rel),
                    Ok(_) => root.canon.clone(),
                    Err(_) => canonical(Path::new(&f.name)),
                };
                // A file below a deeper set's path is that set's: it is read again
                // under that root, and kept there.
                if owner(&place).is_some_and(|o| o != i) {
                    continue;
                }
                let unit = root.unit;
                if seen.insert(place) {
                    files[unit].push(f);
                }
            }
        }
        let data = source::data_docs(&opts.data_paths)?;

        let mut cli_files = if opts.builtin {
            builtin_files(false)
        } else {
            Vec::new()
        };
        let mut files = files.into_iter();
        cli_files.extend(files.next().unwrap_or_default());
        let mut units = Vec::new();
        for (set, set_files) in sets.iter().zip(files) {
            if set_files.is_empty() {
                // Every file is in a nested set of its own: nothing left to run.
                continue;
            }
            let set_opts = PolicyOptions {
                policy_paths: vec![set.root.clone()],
                namespaces: Vec::new(),
                all_namespaces: true,
                builtin: false,
                ..opts.clone()
            };
            units.push(
                PolicyEngine::from_files(set_files, data.clone(), &set_opts)?
                    .in_set(Some(set.name.clone())),
            );
        }
        // The `-p` policies last, knowing the sets' packages, and first in order.
        let cli_opts = PolicyOptions {
            packages_in_sets: units
                .iter()
                .flat_map(|u| u.namespaces().iter().filter(|n| !n.builtin))
                .map(|n| n.name.clone())
                .collect(),
            ..opts.clone()
        };
        units.insert(
            0,
            PolicyEngine::from_files(cli_files, data.clone(), &cli_opts)?,
        );
        Ok(PolicySetEngines {
            units,
            timeout: opts.timeout,
        })
    }

    /// Every compiled unit: the `-p` policies (set None) first.
    pub fn engines(&self) -> &[PolicyEngine] {
        &self.units
    }

    /// Whether any policy of any unit can read `input` ([`PolicyEngine::reads_input`]).
    pub fn reads_input(&self) -> bool {
        self.units.iter().any(PolicyEngine::reads_input)
    }

    /// Evaluate every unit against `input`: one query per unit (its batch), within
    /// one time budget for the plan. Results carry their unit's set; `extra_rules`
    /// are read from the `-p` unit.
    pub fn evaluate(
        &self,
        input: &Value,
        data: Value,
        extra_rules: &[&str],
    ) -> Result<Evaluation, Diag> {
        let deadline = self.timeout.map(|t| (Instant::now() + t, t));
        let mut out = Evaluation::default();
        for (i, unit) in self.units.iter().enumerate() {
            let extra = if i == 0 { extra_rules } else { &[] };
            let e = unit.evaluate_until(input, data.clone(), extra, deadline)?;
            merge(&mut out, e);
        }
        Ok(out)
    }
}

/// Add one unit's evaluation to the plan's. A package evaluated in several units
/// (`main` in two sets) is one namespace count, as conftest would show one; the
/// generated per-plan packages every unit carries are counted once.
fn merge(out: &mut Evaluation, e: Evaluation) {
    out.failures.extend(e.failures);
    out.warnings.extend(e.warnings);
    out.exceptions.extend(e.exceptions);
    out.successes += e.successes;
    for ns in e.namespaces {
        match out
            .namespaces
            .iter_mut()
            .find(|n| n.name == ns.name && n.builtin == ns.builtin)
        {
            Some(n) if !ns.builtin => n.successes += ns.successes,
            Some(_) => {}
            None => out.namespaces.push(ns),
        }
    }
    out.prints.extend(e.prints);
    out.extra.extend(e.extra);
    out.caps.extend(e.caps);
    out.gates.extend(e.gates);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Enforcement;
    use crate::decision::PolicySet;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn set(name: &str, root: PathBuf) -> PolicySet {
        PolicySet {
            name: name.into(),
            root,
            enforcement: Enforcement::HardMandatory,
            owners: None,
        }
    }

    const DENY: &str = "package main\nimport rego.v1\ndeny contains \"MSG\" if true\nwarn contains \"w MSG\" if true\n";

    #[test]
    fn each_file_is_in_the_deepest_set_and_each_set_is_one_batched_query() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "outer/a.rego", &DENY.replace("MSG", "outer"));
        write(d, "outer/inner/b.rego", &DENY.replace("MSG", "inner"));
        write(d, "cli/c.rego", &DENY.replace("MSG", "cli"));
        let sets = PolicySets::new(vec![
            set("inner", d.join("outer/inner")),
            set("outer", d.join("outer")),
        ]);
        let opts = PolicyOptions {
            // `-p` around both sets and beside them.
            policy_paths: vec![d.join("cli"), d.join("outer")],
            ..PolicyOptions::default()
        };
        let engines = PolicySetEngines::load(&opts, &sets).expect("loads");
        let units: Vec<(Option<&str>, Vec<&str>)> = engines
            .engines()
            .iter()
            .map(|e| {
                let files = e.files().iter().map(|f| f.name.as_str()).collect();
                (e.set(), files)
            })
            .collect();
        let name = |rel: &str| d.join(rel).display().to_string();
        let (cli, inner, outer) = (
            name("cli/c.rego"),
            name("outer/inner/b.rego"),
            name("outer/a.rego"),
        );
        assert_eq!(
            units,
            [
                (None, vec![cli.as_str()]),
                (Some("inner"), vec![inner.as_str()]),
                (Some("outer"), vec![outer.as_str()]),
            ]
        );
        // deny and warn of `main`: one query per plan per set.
        for e in engines.engines() {
            assert_eq!(e.batched_rules(), 2, "{:?}", e.set());
        }
        let out = engines
            .evaluate(&Value::new_object(), Value::new_object(), &[])
            .expect("evaluates");
        let failures: Vec<(Option<&str>, &str)> = out
            .failures
            .iter()
            .map(|f| (f.set.as_deref(), f.msg.as_str()))
            .collect();
        assert_eq!(
            failures,
            [
                (None, "cli"),
                (Some("inner"), "inner"),
                (Some("outer"), "outer")
            ]
        );
        // One `main` for the conftest formats: each unit passed no rule.
        let main: Vec<_> = out.namespaces.iter().filter(|n| n.name == "main").collect();
        assert_eq!(main.len(), 1, "{:?}", out.namespaces);
    }

    #[test]
    fn a_set_whose_files_are_all_in_a_nested_set_has_no_engine() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "outer/inner/b.rego", &DENY.replace("MSG", "inner"));
        let sets = PolicySets::new(vec![
            set("inner", d.join("outer/inner")),
            set("outer", d.join("outer")),
        ]);
        let engines = PolicySetEngines::load(&PolicyOptions::default(), &sets).expect("loads");
        let names: Vec<Option<&str>> = engines.engines().iter().map(|e| e.set()).collect();
        assert_eq!(names, [None, Some("inner")]);
    }
}
