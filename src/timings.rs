//! Wall time of each phase on stderr when `PLANGATE_TIMINGS` is set: where a slow
//! run spends its time, without a profiler (BENCHMARKS.md uses it).

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PLANGATE_TIMINGS").is_some_and(|v| !v.is_empty()))
}

/// Run `f`, and when timings are on, print how long it took under `name`.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    eprintln!(
        "plangate: timing: {name}: {:.1} ms{}",
        start.elapsed().as_secs_f64() * 1e3,
        memory()
    );
    out
}

/// Resident and peak memory, where /proc tells them.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    format!(" (rss {}, peak {})", field("VmRSS:"), field("VmHWM:"))
}
