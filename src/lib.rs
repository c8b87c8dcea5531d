//! plangate: a policy-as-code gate for OpenTofu and Terraform plans.
//!
//! The flow runs one way: plans are loaded once ([`plan`]), policies are compiled
//! once ([`policy`]), each plan is evaluated ([`check`]), and the results form one
//! [`report::Report`] that every output format renders.
//!
//! ```no_run
//! use plangate::{check, policy::PolicyOptions};
//! let opts = check::CheckOptions {
//!     paths: vec!["plan.json".into()],
//!     policy: PolicyOptions { builtin: true, ..Default::default() },
//!     ..Default::default()
//! };
//! let report = check::run(&opts);
//! println!("{}", plangate::report::render(&report, plangate::report::Format::Text, false));
//! std::process::exit(report.verdict() as i32);
//! ```

pub mod atlantis;
pub mod check;
pub mod config;
pub mod context;
pub mod decision;
pub mod diag;
pub mod hcl;
pub mod input_shape;
pub mod ledger;
pub mod lint;
pub mod plan;
pub mod policy;
pub mod promote;
pub mod redact;
pub mod report;
pub mod stage;
pub mod timings;

pub use diag::Diag;

/// Plans with at least this many resource changes are large: their values are
/// freed off the caller's path ([`free_later`]). A small plan's are freed in
/// place, which costs less than handing them to another thread.
pub const LARGE_PLAN: usize = 1000;

/// Frees a large value (a plan, its policy documents) on rayon's pool instead of
/// on the caller's path: freeing the value tree of a 50,000-resource plan takes a
/// tenth of a second that the report need not wait for. The value is still freed
/// (a library must not leak); a process that exits first leaves it to the OS.
pub fn free_later<T: Send + 'static>(value: T) {
    rayon::spawn(move || drop(value));
}
