//! GitHub reviews JSON (`--approvals`) -> `context::parse_reviews`, with and without
//! a `--commit` to compare review commits against.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use plangate::context;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::on_worker_stack(|| run(data)));

fn run(data: &[u8]) {
    // `load_reviews` reads with `read_to_string`: non-UTF-8 never reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text: Arc<str> = Arc::from(text);
    for commit in [None, Some("9f1c2e4"), Some("")] {
        match context::parse_reviews("reviews.json", text.clone(), commit) {
            Ok(reviews) => {
                let _ = serde_json::to_string(&reviews);
            }
            Err(e) => common::exercise_diag(&e),
        }
    }
}
