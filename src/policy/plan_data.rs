//! How the per-plan documents (`data.plangate.*`, `data.conftest.file`) reach the
//! policies without re-preparing the engine for every plan.
//!
//! regorus re-analyses every module whenever `data` changes, which would cost more
//! than evaluating a small plan. So `data` stays fixed (the user's `--data`), and the
//! per-plan documents are rules of a generated module whose values come from an
//! extension function reading a thread-local that [`PlanDataGuard`] sets around one
//! evaluation. Policies see plain documents: `data.plangate.changes`, and `with
//! data.plangate.changes as ...` in tests, work as before.

use std::cell::RefCell;

use regorus::Value;

/// Name of the extension function; not meant to be called by policies.
pub const FUNCTION: &str = "__plangate_data";

/// File name of the generated module in diagnostics.
pub const MODULE_NAME: &str = "builtin:plangate-data.rego";

/// The keys of `data.plangate` (the plan view, config, context, ledger; the file
/// facts of `lint`). Adding a key to the per-plan document means adding it here.
pub const PLANGATE_KEYS: &[&str] = &[
    "plan", "summary", "changes", "outputs", "drifted", "config", "context", "ledger", "file",
    "abs_path",
];

thread_local! {
    static CURRENT: RefCell<Value> = const { RefCell::new(Value::Undefined) };
}

/// The generated Rego module.
pub fn module() -> String {
    let mut text = String::from("package plangate\n\n");
    for key in PLANGATE_KEYS {
        text.push_str(&format!("{key} := {FUNCTION}(\"plangate\").{key}\n\n"));
    }
    text.push_str(&format!(
        "package conftest\n\nfile := {FUNCTION}(\"conftest\").file\n"
    ));
    text
}

/// The conftest half lives in its own file: one module declares one package.
pub fn modules() -> [(String, String); 2] {
    let m = module();
    let (plangate, conftest) = m.split_at(m.find("package conftest").unwrap_or(m.len()));
    [
        (MODULE_NAME.to_string(), plangate.to_string()),
        (
            "builtin:conftest-data.rego".to_string(),
            conftest.to_string(),
        ),
    ]
}

/// The extension: `__plangate_data("plangate")` is the current plan's document.
pub fn extension(args: Vec<Value>) -> anyhow::Result<Value> {
    let key = args.first().cloned().unwrap_or(Value::Undefined);
    Ok(CURRENT.with(|c| c.borrow()[&key].clone()))
}

/// Sets the per-plan documents for the evaluations on this thread until dropped.
pub struct PlanDataGuard {
    large: bool,
}

impl PlanDataGuard {
    pub fn set(doc: Value) -> PlanDataGuard {
        let changes = doc["plangate"]["changes"].as_array().map_or(0, |c| c.len());
        CURRENT.with(|c| *c.borrow_mut() = doc);
        PlanDataGuard {
            large: changes >= crate::LARGE_PLAN,
        }
    }

    /// Whether the documents are those of a large plan ([`crate::LARGE_PLAN`]).
    pub fn large(&self) -> bool {
        self.large
    }
}

impl Drop for PlanDataGuard {
    fn drop(&mut self) {
        let doc = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), Value::Undefined));
        if self.large {
            crate::free_later(doc);
        }
    }
}
