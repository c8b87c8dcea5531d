//! The built-in Rego library passes its own `_test.rego` tests, run by plangate,
//! both from the source tree and as embedded in the binary.

use assert_cmd::Command;

#[test]
fn builtin_library_passes_its_rego_tests_from_the_source_tree() {
    let out = Command::cargo_bin("plangate")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["test", "policies/", "--color", "never", "-o", "json"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let results = report["results"].as_array().expect("results");
    let failing: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["outcome"] != "pass" && r["outcome"] != "skip")
        .collect();
    assert!(failing.is_empty(), "failing Rego tests: {failing:#?}");
    assert!(
        results.len() >= 40,
        "the library has real tests ({})",
        results.len()
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn embedded_library_is_the_tested_one() {
    Command::cargo_bin("plangate")
        .expect("binary")
        .args(["test", "--builtin", "--color", "never"])
        .assert()
        .success();
}
