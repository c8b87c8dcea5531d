//! `.tf` text -> `hcl::parse` (the conftest `hcl2` document plus spans), then what
//! `plangate lint` does with a parsed file: the policy input, span look-ups by path,
//! by line and by address, and line/column of every span.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use plangate::diag::{self, Diag};
use plangate::hcl;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::on_worker_stack(|| run(data)));

fn run(data: &[u8]) {
    // `lint` refuses non-UTF-8 files before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source: Arc<str> = Arc::from(text);
    match hcl::parse(source.clone()) {
        Ok(file) => {
            let _ = regorus::Value::from(file.value.clone());
            let _ = serde_json::to_string(&file.value);
            for item in file.items.iter().take(64) {
                let _ = file.span_of(&item.path);
                let path = serde_json::Value::Array(
                    item.path
                        .iter()
                        .map(|s| match s {
                            hcl::Seg::Key(k) => serde_json::Value::from(k.as_str()),
                            hcl::Seg::Index(i) => serde_json::Value::from(*i),
                        })
                        .collect(),
                );
                let span = file.span_of_json(&path).unwrap_or(0..0);
                let _ = diag::line_col_of(&file.source, span.start);
                let _ = diag::line_col_of(&file.source, span.end);
            }
            // A finding drawn at a block, as the lint report does.
            if let Some(item) = file.items.first() {
                let d = Diag::new("plangate::fuzz", "finding")
                    .file("main.tf")
                    .at(source.clone(), item.span.clone(), "here");
                common::exercise_diag(&d);
            }
            let _ = file.span_of_address_in(text);
            let lines = text.lines().count().min(256);
            for line in 0..=lines + 1 {
                let _ = file.item_starting_on_line(line);
            }
        }
        Err(e) => common::exercise_diag(&e.to_diag("main.tf", source)),
    }
}
