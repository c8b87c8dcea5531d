//! plangate.hcl bytes (UTF-8, lossily) -> `config::parse`, then the document
//! policies read as `data.plangate.config`.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use plangate::config;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::on_worker_stack(|| run(data)));

fn run(data: &[u8]) {
    let text: Arc<str> = Arc::from(String::from_utf8_lossy(data).as_ref());
    match config::parse("plangate.hcl", text, None) {
        Ok(cfg) => {
            let _ = serde_json::to_string(&cfg.to_json());
        }
        Err(e) => common::exercise_diag(&e),
    }
}
