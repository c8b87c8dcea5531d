//! Plan bytes -> `plan::parse_bytes`, then everything computed from a loaded plan
//! before any policy runs: the typed view, both digests and the redactor; and the
//! split parse of large plans against the one-thread parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plangate::plan::{self, digest};
use plangate::redact::Redactor;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::on_worker_stack(|| run(data)));

fn run(data: &[u8]) {
    // The sniffing path `check` uses on the head of a file.
    let _ = plan::decode_lossy(data);
    // Large plans are split and parsed on several threads: small runs split these.
    if let Ok(text) = std::str::from_utf8(data) {
        let run = data.first().map_or(1, |b| usize::from(*b) % 64 + 1);
        assert!(plan::agrees_with_one_thread(text, run), "split parse disagrees");
    }
    match plan::parse_bytes("fuzz.json", data) {
        Ok(p) => {
            let view = p.view();
            let _ = serde_json::to_string(&view);
            let _ = p.summary();
            let d = digest::plan_digest(&p);
            assert!(digest::is_digest(&d), "plan_digest gave {d:?}");
            let c = digest::changeset_digest(&p);
            assert!(digest::is_digest(&c), "changeset_digest gave {c:?}");
            let r = Redactor::new(&p.secrets);
            let _ = r.string(&String::from_utf8_lossy(data));
            for ch in &p.changes {
                let _ = r.string(&ch.address);
            }
            if let Ok(view) = serde_json::to_value(&view) {
                let _ = r.json(&view);
            }
        }
        Err(e) => common::exercise_diag(&e),
    }
}
