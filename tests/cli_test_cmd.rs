//! `plangate test`: runs `test_*` rules like `opa test`, with outcomes, filters,
//! JSON output and coverage.

mod common;

use common::*;
use serde_json::Value;

fn testing() -> String {
    policy("testing")
}

/// (name, outcome) of every result in `plangate test -o json` output.
fn outcomes(doc: &Value) -> Vec<(String, String)> {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn failing_test_is_exit_1_showing_pass_fail_error_and_skipped() {
    let r = run(["test", &testing()]);
    r.assert_code(1);
    assert_no_panic(&r);
    let out = &r.stdout;
    let line = |name: &str| {
        out.lines()
            .find(|l| l.contains(&format!("data.testing.{name}:")))
            .unwrap_or_else(|| panic!("{name} not listed:\n{out}"))
            .to_string()
    };
    assert!(line("test_ok_deny_on_delete").contains("PASS"));
    assert!(line("test_ok_no_warn_on_delete").contains("PASS"));
    assert!(line("test_bad_expects_wrong_message").contains("FAIL"));
    assert!(line("test_err_conflict").contains("ERROR"));
    assert!(line("todo_test_later").contains("SKIPPED"));
    // A failure says where the test is.
    assert!(
        line("test_bad_expects_wrong_message").contains("policy_test.rego:15"),
        "{out}"
    );
    assert!(
        out.contains("2 passed, 1 failed, 1 errors, 1 skipped"),
        "{out}"
    );
}

#[test]
fn all_passing_tests_are_exit_0_with_run_filter() {
    let r = run(["test", &testing(), "-r", "test_ok_"]);
    r.assert_code(0);
    assert!(r.stdout.contains("test_ok_deny_on_delete"));
    assert!(!r.stdout.contains("test_bad"), "{}", r.stdout);
    assert!(!r.stdout.contains("FAIL"), "{}", r.stdout);
}

#[test]
fn run_filter_matches_package_and_name() {
    let r = run([
        "test",
        &testing(),
        "--run",
        "testing.test_bad",
        "-o",
        "json",
    ]);
    r.assert_code(1);
    assert_eq!(
        outcomes(&r.json()),
        [(
            "test_bad_expects_wrong_message".to_string(),
            "fail".to_string()
        )]
    );
}

#[test]
fn json_output_has_an_outcome_per_test() {
    let r = run(["test", &testing(), "-o", "json"]);
    r.assert_code(1);
    let doc = r.json();
    let got = outcomes(&doc);
    let expected: Vec<(String, String)> = [
        ("test_ok_deny_on_delete", "pass"),
        ("test_ok_no_warn_on_delete", "pass"),
        ("test_bad_expects_wrong_message", "fail"),
        ("test_err_conflict", "error"),
        ("todo_test_later", "skip"),
    ]
    .iter()
    .map(|(n, o)| (n.to_string(), o.to_string()))
    .collect();
    assert_eq!(got, expected);
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(r["package"], "testing");
        assert!(r["file"].as_str().unwrap().ends_with("policy_test.rego"));
        assert!(r["line"].as_u64().unwrap() > 0);
    }
    let err = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "error")
        .unwrap();
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{err}"
    );
}

#[test]
fn coverage_lists_the_policy_file_with_percent_and_uncovered_lines() {
    let r = run(["test", &testing(), "--coverage"]);
    r.assert_code(1);
    let file = format!("{}/policy.rego", testing());
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains(&file) && l.contains('%'))
        .unwrap_or_else(|| panic!("no coverage line for {file}:\n{}", r.stdout));
    assert!(line.contains("not covered"), "{line}");
    // The body of never_covered (lines 19-21) is reached by no test.
    for n in ["19", "20", "21"] {
        assert!(line.contains(n), "line {n} uncovered: {line}");
    }
    // Test files are not themselves reported.
    assert!(
        !r.stdout
            .lines()
            .any(|l| l.contains("policy_test.rego") && l.contains('%')),
        "{}",
        r.stdout
    );

    let r = run(["test", &testing(), "--coverage", "-o", "json"]);
    let cov = r.json()["coverage"].clone();
    let files = cov.as_array().expect("coverage array");
    assert_eq!(files.len(), 1, "{cov}");
    assert_eq!(files[0]["file"], file.as_str());
    let pct = files[0]["percent"].as_f64().unwrap();
    assert!(pct > 0.0 && pct < 100.0, "{pct}");
    let not_covered: Vec<u64> = files[0]["not_covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    for n in [19, 20, 21] {
        assert!(not_covered.contains(&n), "{not_covered:?}");
    }
    // deny's body is reached by the passing tests.
    for n in [6, 7, 8] {
        assert!(!not_covered.contains(&n), "{not_covered:?}");
    }
}

#[test]
fn no_test_rules_is_exit_2() {
    let r = run(["test", &policy("no_tests")]);
    assert_diagnostic_without_file(&r, "plangate::test::none");
}

#[test]
fn test_without_arguments_is_exit_2() {
    let r = run(["test"]);
    assert_diagnostic_without_file(&r, "plangate::cli::no_input");
}

#[test]
fn test_with_missing_path_is_exit_2() {
    let r = run(["test", "no/such/dir"]);
    assert_diagnostic(&r, "no/such/dir", "plangate::policy::not_found");
}

#[test]
fn test_with_unparsable_test_file_is_exit_2() {
    let dir = tempdir();
    write(
        dir.path(),
        "p_test.rego",
        "package p\n\nimport rego.v1\n\ntest_x if {\n\t1 == = 1\n}\n",
    );
    let d = dir.path().display().to_string();
    let r = run(["test", &d]);
    assert_diagnostic(&r, "p_test.rego", "plangate::policy::parse_error");
}

#[test]
fn test_help_mentions_flags_and_examples() {
    let r = run(["test", "--help"]);
    r.assert_code(0);
    for flag in [
        "--coverage",
        "-r, --run",
        "-o, --format",
        "--rego-version",
        "Examples:",
    ] {
        assert!(r.stdout.contains(flag), "{flag} in:\n{}", r.stdout);
    }
}
