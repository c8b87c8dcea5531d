//! Hostile plans: real plans mutated (bit flips, truncations, insertions, wrong
//! types in known fields) go through `check` in-process. Every one must end in a
//! report or an error (exit 0, 1 or 2), never a panic, within the time limit.
//!
//! `MUTATIONS=10000 cargo test --release --test mutations` is the full run (CI);
//! plain `cargo test` runs a smaller sample.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use plangate::check::{self, CheckOptions};
use plangate::context::ContextOptions;
use plangate::policy::PolicyOptions;

/// xorshift64*: deterministic, so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

/// Known fields given values of the wrong type.
const TYPE_SWAPS: &[(&str, &[&str])] = &[
    (
        "\"actions\":",
        &["\"create\"", "null", "42", "{}", "[1,2]", "[[]]"],
    ),
    ("\"address\":", &["null", "7", "[]", "{\"a\":1}"]),
    ("\"change\":", &["null", "\"x\"", "[]", "1e999"]),
    (
        "\"resource_changes\":",
        &["{}", "\"x\"", "null", "[null]", "[1]"],
    ),
    (
        "\"format_version\":",
        &["1.2", "null", "\"2.0\"", "\"\"", "\"x.y\""],
    ),
    (
        "\"after_sensitive\":",
        &["\"x\"", "[true]", "{\"input\":[true,{\"a\":true}]}", "1"],
    ),
    ("\"before_sensitive\":", &["true", "[[true]]", "null"]),
    ("\"errored\":", &["\"yes\"", "1", "null"]),
    ("\"timestamp\":", &["1", "\"not a time\"", "null"]),
    ("\"importing\":", &["\"x\"", "{\"id\":5}", "[]"]),
    (
        "\"output_changes\":",
        &["[]", "{\"o\":{\"actions\":\"x\"}}", "{\"o\":null}"],
    ),
    (
        "\"resource_drift\":",
        &["{}", "[{\"address\":\"x\",\"change\":{\"actions\":[]}}]"],
    ),
];

fn mutate(rng: &mut Rng, original: &[u8]) -> Vec<u8> {
    let mut b = original.to_vec();
    match rng.below(6) {
        0 => {
            // Bit flips.
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        1 => b.truncate(rng.below(b.len())),
        2 => {
            let i = rng.below(b.len());
            let junk: &[&[u8]] = &[
                b"{",
                b"}",
                b"[",
                b"]",
                b",",
                b"\"",
                b"\\u0000",
                b"\xff\xfe",
                b"1e999999",
                b"null",
            ];
            let j = junk[rng.below(junk.len())];
            b.splice(i..i, j.iter().copied());
        }
        3 | 4 => {
            let text = String::from_utf8_lossy(&b).to_string();
            let (key, values) = TYPE_SWAPS[rng.below(TYPE_SWAPS.len())];
            let hits: Vec<usize> = text.match_indices(key).map(|(i, _)| i).collect();
            if hits.is_empty() {
                b.truncate(rng.below(b.len()));
            } else {
                let at = hits[rng.below(hits.len())] + key.len();
                // Replace the value up to the next delimiter at the same depth (roughly).
                let rest = &text[at..];
                let end = rest
                    .char_indices()
                    .scan(0i32, |depth, (i, c)| {
                        match c {
                            '{' | '[' => *depth += 1,
                            '}' | ']' => *depth -= 1,
                            _ => {}
                        }
                        Some((i, c, *depth))
                    })
                    .find(|(_, c, d)| (*d < 0) || (*d == 0 && *c == ','))
                    .map_or(rest.len(), |(i, _, _)| i);
                let value = values[rng.below(values.len())];
                let mutated = format!("{}{}{}", &text[..at], value, &rest[end..]);
                b = mutated.into_bytes();
            }
        }
        _ => {
            // Duplicate a slice (deeper nesting, repeated keys).
            let i = rng.below(b.len());
            let j = (i + rng.below(4096)).min(b.len());
            let slice = b[i..j].to_vec();
            b.splice(i..i, slice);
        }
    }
    b
}

#[test]
fn mutated_real_plans_never_panic_and_stay_within_the_time_limit() {
    let n: usize = std::env::var("MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let root = env!("CARGO_MANIFEST_DIR");
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for dir in ["fixtures/plans", "fixtures/plans/shared"] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        seeds.extend(paths.iter().map(|p| std::fs::read(p).expect("read")));
    }
    let timeout = Duration::from_secs(5);
    let opts = CheckOptions {
        policy: PolicyOptions {
            builtin: true,
            timeout: Some(timeout),
            ..Default::default()
        },
        context: ContextOptions {
            now: Some("2026-11-23T10:00:00Z".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let prepared = check::prepare(&opts).expect("prepare");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut loaded, mut errors) = (0usize, 0usize);
    for case in 0..n {
        let seed = &seeds[rng.below(seeds.len())];
        let bytes = mutate(&mut rng, seed);
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            match plangate::plan::parse_bytes("mutated.json", &bytes) {
                Ok(plan) => check::evaluate(&prepared, &plan).map(|r| r.stage()).is_ok(),
                Err(_) => false,
            }
        }));
        let elapsed = start.elapsed();
        match outcome {
            Ok(true) => loaded += 1,
            Ok(false) => errors += 1,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("plangate-mutation-{case}.json"));
                let _ = std::fs::write(&path, &bytes);
                panic!("case {case} panicked; input saved to {}", path.display());
            }
        }
        assert!(
            elapsed < timeout + Duration::from_secs(5),
            "case {case} took {elapsed:?}"
        );
    }
    eprintln!("{n} mutated plans: {loaded} evaluated, {errors} refused with a diagnostic");
    assert_eq!(loaded + errors, n);
    assert!(
        loaded > 0 && errors > 0,
        "the mutations exercise both paths"
    );
}
