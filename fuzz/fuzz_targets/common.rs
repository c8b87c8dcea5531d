//! Shared by every target.

use plangate::diag::{self, Diag};

/// What the CLI does with an error once a loader returns one. A loader that returns
/// `Err` is fine; a diagnostic that panics while being drawn (a span past the end of
/// the text, inside a UTF-8 sequence, ...) is a crash.
pub fn exercise_diag(d: &Diag) {
    let _ = d.line_col();
    let _ = serde_json::to_string(&d.to_json());
    let _ = diag::render(d, false);
}

/// Stack size of a rayon worker thread (Rust's default for spawned threads), where
/// `check` loads plans and `lint` parses `.tf` files. libFuzzer calls the target on
/// the 8 MiB main thread, which would hide a stack overflow that only a worker hits.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// Run `f` on a thread with a worker's stack; a panic in it is re-raised here so
/// libFuzzer records the input as a crash.
pub fn on_worker_stack<F: FnOnce() + Send>(f: F) {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn_scoped(s, f)
            .expect("spawn fuzz worker thread");
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    });
}
