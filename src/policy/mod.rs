//! The policy engine: Rego files loaded and compiled once with regorus, evaluated per
//! plan with conftest's conventions, and the `test` runner.

mod compat;
mod engine;
pub mod plan_data;
mod rego_error;
mod sets;
pub mod source;
pub mod testing;

pub use engine::{
    exception_name, Evaluation, ExceptionResult, Namespace, NamespaceCount, PolicyEngine,
    PolicyOptions, RuleKind, RuleResult,
};
pub use sets::PolicySetEngines;
pub use source::{PolicyFile, BUILTIN_PREFIX};
