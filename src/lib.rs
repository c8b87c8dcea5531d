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
