//! `plangate check` end to end: encodings, stdin, exit codes, the `plangate/v1` JSON
//! document, conftest's conventions, and that sensitive values never get out.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

/// `check --no-builtin -o json` of one plan with optional extra arguments.
fn check_json(plan_path: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--no-builtin", "-o", "json"];
    args.extend_from_slice(extra);
    args.push(plan_path);
    run(args)
}

fn msgs(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .expect("an array of findings")
        .iter()
        .map(|f| f["msg"].as_str().expect("msg is a string").to_string())
        .collect()
}

fn rules(findings: &Value) -> Vec<String> {
    let mut v: Vec<String> = findings
        .as_array()
        .expect("an array of findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule is a string").to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

// ---- encodings and stdin -----------------------------------------------------------

fn changes_of(path: &str) -> Value {
    let r = check_json(path, &[]);
    r.assert_code(0);
    r.json()["plans"][0]["changes"].clone()
}

fn assert_same_changes_as_utf8(fixture: &str, bytes: Vec<u8>, name: &str) {
    let expected = changes_of(&plan(fixture));
    assert!(!expected.as_array().unwrap().is_empty());
    let dir = tempdir();
    let p = write(dir.path(), name, bytes);
    assert_eq!(changes_of(&p), expected, "{name}");
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        let b = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend_from_slice(&b);
    }
    out
}

#[test]
fn powershell_utf16le_with_bom_loads_like_the_utf8_original() {
    // What PowerShell 5's `>` writes: UTF-16LE with a BOM, CRLF line ending.
    let text = read(&plan("mixed.json"));
    let ps = format!("{}\r\n", text.trim_end());
    assert_same_changes_as_utf8("mixed.json", utf16(&ps, false), "ps.json");
}

#[test]
fn utf16be_with_bom_loads_like_the_utf8_original() {
    let text = read(&plan("modules.json"));
    assert_same_changes_as_utf8("modules.json", utf16(&text, true), "be.json");
}

#[test]
fn utf8_with_bom_loads_like_the_utf8_original() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(read(&plan("deposed.json")).as_bytes());
    assert_same_changes_as_utf8("deposed.json", bytes, "bom.json");
}

#[test]
fn stdin_dash_reads_the_plan_and_is_shown_as_dash() {
    let bytes = read(&plan("mixed.json")).into_bytes();
    let r = run_stdin(["check", "--no-builtin", "-o", "json", "-"], bytes.clone());
    r.assert_code(0);
    let doc = r.json();
    assert_eq!(doc["plans"][0]["path"], "-");
    assert_eq!(doc["plans"][0]["changes"], changes_of(&plan("mixed.json")));

    let r = run_stdin(["check", "--no-builtin", "-"], bytes);
    r.assert_code(0);
    assert_eq!(r.stdout.lines().next(), Some("-"), "{}", r.stdout);
}

#[test]
fn stdin_plan_is_data_conftest_file_name_dash() {
    let r = run_stdin(
        [
            "check",
            "--no-builtin",
            "-o",
            "json",
            "-p",
            &policy("data_access"),
            "-d",
            &test_fixture("data"),
            "-",
        ],
        read(&plan("mixed.json")).into_bytes(),
    );
    r.assert_code(1);
    assert!(msgs(&r.json()["plans"][0]["failures"]).contains(&"file name: -".to_string()));
}

// ---- exit codes --------------------------------------------------------------------

#[test]
fn denying_policy_is_exit_1() {
    let r = check_json(&plan("create.json"), &["-p", &policy("deny_creates")]);
    r.assert_code(1);
    let doc = r.json();
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["plans"][0]["failures"].as_array().unwrap().len(), 6);
}

#[test]
fn warnings_only_is_exit_0() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("warn_only")]);
    r.assert_code(0);
    let doc = r.json();
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["plans"][0]["warnings"].as_array().unwrap().len(), 9);
    assert!(doc["plans"][0]["failures"].as_array().unwrap().is_empty());
}

#[test]
fn no_failures_is_exit_0() {
    // deny_creates on a plan without creates.
    let r = check_json(&plan("delete.json"), &["-p", &policy("deny_creates")]);
    r.assert_code(0);
    assert_eq!(r.json()["exit_code"], 0);
    let r = run(["check", "--no-builtin", &plan("no-changes.json")]);
    r.assert_code(0);
}

#[test]
fn failure_in_one_plan_and_error_in_another_is_exit_2_keeping_the_failures() {
    let r = run([
        "check",
        "--no-builtin",
        "-o",
        "json",
        "-p",
        &policy("deny_creates"),
        &plan("create.json"),
        &test_fixture("plans/invalid.json"),
    ]);
    r.assert_code(2);
    assert_no_panic(&r);
    let doc = r.json();
    assert_eq!(doc["exit_code"], 2);
    let plans = doc["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["path"], plan("create.json"));
    assert_eq!(plans[0]["failures"].as_array().unwrap().len(), 6);
    assert!(plans[0].get("error").is_none());
    assert_eq!(plans[1]["path"], test_fixture("plans/invalid.json"));
    assert_eq!(plans[1]["error"]["code"], "plangate::plan::invalid_json");
    assert!(r.stderr.contains("plangate::plan::invalid_json"));
}

#[test]
fn failure_in_one_plan_and_error_in_another_is_exit_2_in_text_too() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("deny_creates"),
        &plan("create.json"),
        "fixtures/other/plan.tfplan",
    ]);
    r.assert_code(2);
    assert!(
        r.stdout.contains("terraform_data.greeting is created"),
        "the first plan's failures are still reported:\n{}",
        r.stdout
    );
    assert!(r.stderr.contains("plangate::plan::binary_planfile"));
}

#[test]
fn failure_in_one_plan_and_pass_in_another_is_exit_1() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("deny_creates"),
        &plan("delete.json"),
        &plan("create.json"),
    ]);
    r.assert_code(1);
}

// ---- directories ---------------------------------------------------------------------

#[test]
fn directory_argument_finds_every_plan_in_sorted_order() {
    let r = check_json("fixtures/plans/shared", &[]);
    r.assert_code(0);
    let paths: Vec<String> = r.json()["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = all_plan_fixtures()
        .into_iter()
        .filter(|p| p.starts_with("fixtures/plans/shared/"))
        .collect();
    assert_eq!(paths, expected);
}

#[test]
fn utf16_plan_in_a_directory_is_found() {
    let dir = tempdir();
    let text = read(&plan("create.json"));
    write(dir.path(), "a-utf8.json", &text);
    write(
        dir.path(),
        "b-powershell.json",
        utf16(&plan_text_with_crlf(&text), false),
    );
    let d = dir.path().display().to_string();
    let r = check_json(&d, &[]);
    let paths: Vec<String> = r.json()["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths[1].ends_with("b-powershell.json"), "{paths:?}");
}

fn plan_text_with_crlf(text: &str) -> String {
    format!("{}\r\n", text.trim_end())
}

#[test]
fn directory_with_only_a_state_and_a_planfile_has_no_plans() {
    let r = run(["check", "--no-builtin", "fixtures/other"]);
    assert_diagnostic(&r, "fixtures/other", "plangate::input::no_plans");
}

// ---- the plangate/v1 document ----------------------------------------------------------

#[test]
fn json_schema_and_classification_for_every_fixture() {
    for path in all_plan_fixtures() {
        let raw: Value = serde_json::from_str(&read(&path)).expect("fixture is JSON");
        let empty = Vec::new();
        let rcs = raw["resource_changes"].as_array().unwrap_or(&empty);

        let r = check_json(&path, &[]);
        assert_eq!(r.code, 0, "{path}: {}", r.stderr);
        let doc = r.json();
        assert_eq!(doc["schema"], "plangate/v1", "{path}");
        assert_eq!(doc["exit_code"], 0, "{path}");
        assert_eq!(doc["errors"], Value::Array(vec![]), "{path}");
        let plans = doc["plans"].as_array().expect("plans");
        assert_eq!(plans.len(), 1, "{path}");
        let p = &plans[0];
        assert_eq!(p["path"], path.as_str());
        assert_eq!(p["format_version"], raw["format_version"], "{path}");
        for key in ["failures", "warnings", "exceptions"] {
            assert_eq!(p[key], Value::Array(vec![]), "{path}: {key}");
        }

        // changes: one per resource change, in plan order, classified as a set.
        let changes = p["changes"].as_array().expect("changes");
        assert_eq!(changes.len(), rcs.len(), "{path}");
        let mut expected_summary: BTreeMap<String, u64> = [
            "create", "update", "replace", "delete", "forget", "read", "no-op", "unknown",
        ]
        .iter()
        .map(|k| (k.to_string(), 0))
        .collect();
        for (c, rc) in changes.iter().zip(rcs) {
            let actions = rc["change"]["actions"].as_array().expect("actions");
            let class = classify(actions);
            assert_eq!(c["address"], rc["address"], "{path}");
            assert_eq!(c["actions"], rc["change"]["actions"], "{path}");
            assert_eq!(c["action"], class, "{path}: {}", rc["address"]);
            *expected_summary.get_mut(class).unwrap() += 1;
        }

        // summary: every class, with the counts computed above.
        let summary: BTreeMap<String, u64> = p["summary"]
            .as_object()
            .expect("summary")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
            .collect();
        assert_eq!(summary, expected_summary, "{path}");
    }
}

#[test]
fn classification_covers_the_interesting_action_sets() {
    // A guard that the loop above really sees replaces in both orders, forget and
    // read, so the set semantics are exercised by real plans.
    let mut seen = std::collections::BTreeSet::new();
    for path in all_plan_fixtures() {
        let raw: Value = serde_json::from_str(&read(&path)).unwrap();
        for rc in raw["resource_changes"].as_array().into_iter().flatten() {
            let a: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            seen.insert(a.join(","));
        }
    }
    for set in ["delete,create", "create,delete", "forget", "read", "no-op"] {
        assert!(seen.contains(set), "{set} in {seen:?}");
    }
}

#[test]
fn json_findings_have_msg_namespace_rule_and_metadata() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("conventions")]);
    r.assert_code(1);
    let p = &r.json()["plans"][0];
    for key in ["failures", "warnings"] {
        for f in p[key].as_array().unwrap() {
            assert!(f["msg"].is_string(), "{f}");
            assert_eq!(f["namespace"], "main", "{f}");
            assert!(f["rule"].is_string(), "{f}");
            assert_eq!(
                f["metadata"]["query"],
                format!("data.main.{}", f["rule"].as_str().unwrap()),
                "{f}"
            );
        }
    }
}

// ---- conftest conventions --------------------------------------------------------------

#[test]
fn string_and_object_results_keep_msg_and_metadata() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("conventions")]);
    r.assert_code(1);
    let failures = &r.json()["plans"][0]["failures"];
    let by_msg = |m: &str| {
        failures
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["msg"] == m)
            .unwrap_or_else(|| panic!("no failure {m:?} in {failures}"))
            .clone()
    };
    let s = by_msg("string result from deny");
    assert_eq!(s["rule"], "deny");
    assert_eq!(s["metadata"]["query"], "data.main.deny");
    let o = by_msg("object result from deny");
    assert_eq!(o["rule"], "deny");
    assert_eq!(o["metadata"]["query"], "data.main.deny");
    assert_eq!(o["metadata"]["details"]["severity"], "high");
    assert_eq!(o["metadata"]["details"]["ticket"], 42);
    assert!(o["metadata"].get("msg").is_none(), "msg is not metadata");
}

#[test]
fn deny_violation_and_warn_rules_with_suffixes_are_evaluated() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("conventions")]);
    r.assert_code(1);
    let p = &r.json()["plans"][0];
    assert_eq!(rules(&p["failures"]), ["deny", "deny_foo", "violation"]);
    assert_eq!(rules(&p["warnings"]), ["warn", "warn_bar"]);
    let warnings = msgs(&p["warnings"]);
    assert!(warnings.contains(&"object result from warn_bar".to_string()));
}

#[test]
fn rules_named_denyx_or_warning_are_ignored() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("conventions")]);
    let out = r.stdout.clone();
    assert!(!out.contains("denyx must be ignored"), "{out}");
    assert!(!out.contains("warning must be ignored"), "{out}");
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("conventions"),
        &plan("mixed.json"),
    ]);
    assert!(!r.stdout.contains("must be ignored"), "{}", r.stdout);
}

#[test]
fn exception_exempts_deny_foo_and_is_reported() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("exception")]);
    r.assert_code(1);
    let p = &r.json()["plans"][0];
    let exceptions = p["exceptions"].as_array().unwrap();
    assert_eq!(exceptions.len(), 1, "{}", p["exceptions"]);
    assert_eq!(exceptions[0]["msg"], "data.main.exception[_][_] == \"foo\"");
    assert_eq!(exceptions[0]["rule"], "deny_foo");
    assert_eq!(exceptions[0]["namespace"], "main");
    assert_eq!(rules(&p["failures"]), ["deny_bar"]);
    assert!(!r.stdout.contains("must be excepted"));

    let text = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("exception"),
        &plan("mixed.json"),
    ]);
    assert!(
        text.stdout.contains("data.main.exception[_][_] == \"foo\""),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("must be excepted"));
}

#[test]
fn only_an_exception_left_is_exit_0() {
    // The only failing rule is excepted: nothing fails.
    let dir = tempdir();
    let p = write(
        dir.path(),
        "main.rego",
        "package main\n\nimport rego.v1\n\ndeny_foo contains \"x\" if { true }\n\nexception contains [\"foo\"] if { true }\n",
    );
    let r = check_json(&plan("create.json"), &["-p", &p]);
    r.assert_code(0);
    assert_eq!(
        r.json()["plans"][0]["exceptions"].as_array().unwrap().len(),
        1
    );
}

fn namespace_msgs(extra: &[&str]) -> Vec<String> {
    let p = policy("namespaces");
    let mut args = vec!["-p", p.as_str()];
    args.extend_from_slice(extra);
    let r = check_json(&plan("create.json"), &args);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let p = &r.json()["plans"][0];
    let mut all = msgs(&p["failures"]);
    all.extend(msgs(&p["warnings"]));
    all.sort();
    all
}

#[test]
fn default_namespace_is_main() {
    assert_eq!(namespace_msgs(&[]), ["from main"]);
}

#[test]
fn namespace_flag_selects_a_package() {
    assert_eq!(
        namespace_msgs(&["-n", "terraform.aws"]),
        ["from terraform.aws"]
    );
}

#[test]
fn repeated_namespace_flags_select_several_packages() {
    assert_eq!(
        namespace_msgs(&["-n", "terraform.aws", "--namespace", "other"]),
        ["from other", "from terraform.aws"]
    );
}

#[test]
fn namespace_glob_selects_matching_packages() {
    assert_eq!(
        namespace_msgs(&["-n", "terraform.*"]),
        ["from terraform.aws", "from terraform.gcp"]
    );
}

#[test]
fn all_namespaces_selects_every_package() {
    assert_eq!(
        namespace_msgs(&["--all-namespaces"]),
        [
            "from main",
            "from other",
            "from terraform.aws",
            "from terraform.gcp"
        ]
    );
}

#[test]
fn findings_carry_their_namespace() {
    let r = check_json(
        &plan("create.json"),
        &["-p", &policy("namespaces"), "--all-namespaces"],
    );
    let p = &r.json()["plans"][0];
    for f in p["failures"].as_array().unwrap() {
        let ns = f["namespace"].as_str().unwrap();
        assert_eq!(f["msg"], format!("from {ns}"));
        assert_eq!(f["metadata"]["query"], format!("data.{ns}.deny"));
    }
}

#[test]
fn namespace_and_all_namespaces_conflict() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("namespaces"),
        "-n",
        "main",
        "--all-namespaces",
        &plan("create.json"),
    ]);
    r.assert_code(2);
    assert_no_panic(&r);
}

#[test]
fn rego_v0_policy_runs_with_rego_version_v0() {
    let r = check_json(
        &plan("mixed.json"),
        &["-p", &policy("legacy_v0"), "--rego-version", "v0"],
    );
    r.assert_code(1);
    let mut m = msgs(&r.json()["plans"][0]["failures"]);
    m.sort();
    assert_eq!(
        m,
        [
            "v0: terraform_data.cache is created",
            "v0: terraform_data.database is created",
            "v0: terraform_data.load_balancer is created",
            "v0: terraform_data.monitoring_alert is created",
        ]
    );
}

#[test]
fn data_documents_json_and_yaml_are_read_as_data() {
    let x = test_fixture("data/x.json");
    let y = test_fixture("data/y.yaml");
    let r = check_json(
        &plan("mixed.json"),
        &["-p", &policy("data_access"), "-d", &x, "-d", &y],
    );
    r.assert_code(1);
    let m = msgs(&r.json()["plans"][0]["failures"]);
    assert!(
        m.contains(&"json data: from-json-document".to_string()),
        "{m:?}"
    );
    assert!(
        m.contains(&"yaml data: from-yaml-document".to_string()),
        "{m:?}"
    );
}

#[test]
fn data_directory_is_read_as_data() {
    let r = check_json(
        &plan("mixed.json"),
        &["-p", &policy("data_access"), "-d", &test_fixture("data")],
    );
    r.assert_code(1);
    let m = msgs(&r.json()["plans"][0]["failures"]);
    assert!(
        m.contains(&"json data: from-json-document".to_string()),
        "{m:?}"
    );
    assert!(
        m.contains(&"yaml data: from-yaml-document".to_string()),
        "{m:?}"
    );
}

#[test]
fn data_conftest_file_is_base_name_and_absolute_dir_like_conftest() {
    // conftest: {"name": filepath.Base(abs), "dir": filepath.Dir(abs)}.
    let dir = tempdir();
    let copy = write(dir.path(), "sub/my plan.json", read(&plan("mixed.json")));
    let cases = [
        (plan("mixed.json"), root().join("fixtures/plans")),
        (copy, dir.path().join("sub")),
    ];
    for (path, abs_dir) in cases {
        let r = check_json(
            &path,
            &["-p", &policy("data_access"), "-d", &test_fixture("data")],
        );
        r.assert_code(1);
        let m = msgs(&r.json()["plans"][0]["failures"]);
        let base = std::path::Path::new(&path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(m.contains(&format!("file name: {base}")), "{m:?}");
        assert!(
            m.contains(&format!("file dir: {}", abs_dir.display())),
            "{m:?}"
        );
        // The report itself keeps the path as given.
        assert_eq!(r.json()["plans"][0]["path"], path.as_str());
    }
}

#[test]
fn data_plangate_changes_action_is_usable() {
    let r = check_json(
        &plan("mixed.json"),
        &["-p", &policy("data_access"), "-d", &test_fixture("data")],
    );
    let m = msgs(&r.json()["plans"][0]["failures"]);
    assert!(
        m.contains(&"plangate action: terraform_data.database is replace".to_string()),
        "{m:?}"
    );
    // create-before-destroy ([create, delete]) is a replace too.
    let r = check_json(
        &plan("replace-create-before-destroy.json"),
        &["-p", &policy("data_access"), "-d", &test_fixture("data")],
    );
    let m = msgs(&r.json()["plans"][0]["failures"]);
    assert!(
        m.contains(&"plangate action: terraform_data.load_balancer is replace".to_string()),
        "{m:?}"
    );
}

#[test]
fn builtin_error_makes_the_rule_undefined_like_opa() {
    let r = check_json(&plan("mixed.json"), &["-p", &policy("builtin_error")]);
    r.assert_code(0);
    let p = &r.json()["plans"][0];
    assert_eq!(p["failures"], Value::Array(vec![]));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn strict_builtin_errors_makes_a_builtin_error_exit_2() {
    let r = check_json(
        &plan("mixed.json"),
        &["-p", &policy("builtin_error"), "--strict-builtin-errors"],
    );
    r.assert_code(2);
    assert_no_panic(&r);
    assert_eq!(r.json()["exit_code"], 2);
    assert!(
        r.stderr.contains("plangate::policy::eval_error"),
        "{}",
        r.stderr
    );
}

#[test]
fn print_output_appears_as_prnt_lines() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("print"),
        &plan("mixed.json"),
    ]);
    r.assert_code(1);
    let line = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("PRNT"))
        .unwrap_or_else(|| panic!("no PRNT line:\n{}", r.stdout));
    assert!(
        line.contains("print says hello from terraform_data.database"),
        "{line}"
    );
    let r = check_json(&plan("mixed.json"), &["-p", &policy("print")]);
    let prints = r.json()["plans"][0]["prints"].clone();
    assert!(
        prints
            .to_string()
            .contains("print says hello from terraform_data.database"),
        "{prints}"
    );
}

// ---- sensitive values -------------------------------------------------------------------

const SECRETS: [&str; 3] = [
    "hunter2-SECRET-VALUE",
    "s3cr3t-TOKEN-abc123",
    "old-hunter1-PASSWORD-xyz789",
];

#[test]
fn sensitive_fixture_really_holds_the_secrets_in_clear_text() {
    let text = read(&plan("sensitive.json"));
    for s in SECRETS {
        assert!(text.contains(s), "{s}");
    }
}

#[test]
fn policies_cannot_leak_sensitive_values_in_text_or_json() {
    for format in ["text", "json"] {
        let r = run([
            "check",
            "--no-builtin",
            "-o",
            format,
            "-p",
            &policy("leak"),
            &plan("sensitive.json"),
        ]);
        r.assert_code(1);
        let all = r.all();
        for s in SECRETS {
            assert!(!all.contains(s), "{format}: {s} leaked:\n{all}");
        }
        assert!(all.contains("(sensitive)"), "{format}:\n{all}");
        // The redaction does not hide what is not secret.
        assert!(all.contains("not a secret"), "{format}");
        assert!(
            all.contains("print variables"),
            "{format}: prints are shown"
        );
    }
}

#[test]
fn policies_cannot_leak_sensitive_values_through_metadata_or_prints() {
    let r = check_json(&plan("sensitive.json"), &["-p", &policy("leak")]);
    let p = &r.json()["plans"][0];
    let meta = p["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["msg"] == "metadata leak")
        .expect("the metadata finding");
    assert_eq!(meta["metadata"]["value"], "(sensitive)");
    assert_eq!(meta["metadata"]["list"][0], "(sensitive)");
    let prints = p["prints"].to_string();
    assert!(prints.contains("print variables"), "{prints}");
    for s in SECRETS {
        assert!(!prints.contains(s), "{s} leaked in prints");
        assert!(!p["failures"].to_string().contains(s), "{s} in failures");
    }
}

#[test]
fn shared_sensitive_fixture_secret_is_redacted_too() {
    let secret = "new-secret-value";
    assert!(read(&plan("shared/sensitive.json")).contains(secret));
    for format in ["text", "json"] {
        let r = run([
            "check",
            "--no-builtin",
            "-o",
            format,
            "-p",
            &policy("leak"),
            &plan("shared/sensitive.json"),
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(!r.all().contains(secret), "{format}:\n{}", r.all());
        assert!(r.all().contains("(sensitive)"));
    }
}

/// Run the leak policy on `text` (a plan) in both formats; `secret` must not appear.
fn assert_no_leak(text: &str, secret: &str) {
    let dir = tempdir();
    let p = write(dir.path(), "plan.json", text);
    let dump = write(
        dir.path(),
        "dump/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains sprintf(\"%v\", [input])\n\ndeny contains json.marshal(input)\n\ndeny contains json.marshal({\"wrapped\": json.marshal(input)})\n",
    );
    for pol in [policy("leak"), dump] {
        for format in ["text", "json"] {
            let r = run(["check", "--no-builtin", "-o", format, "-p", &pol, &p]);
            assert_eq!(r.code, 1, "{}", r.stderr);
            assert!(
                !r.all().contains(secret),
                "{pol} {format}: {secret:?} leaked"
            );
            assert!(r.all().contains("(sensitive)"), "{pol} {format}");
        }
    }
}

#[test]
fn sensitive_value_only_in_prior_state_is_redacted() {
    // A data source read while planning appears only in prior_state, its secret
    // marked by `sensitive_values` (terraform_remote_state keeps remote outputs'
    // sensitivity).
    let secret = "remote-state-SECRET-pw-42";
    let mut v: Value = serde_json::from_str(&read(&plan("data-source.json"))).unwrap();
    let r = &mut v["prior_state"]["values"]["root_module"]["resources"][0];
    assert_eq!(r["address"], "data.terraform_remote_state.network");
    r["values"]["outputs"]["db_password"] = Value::from(secret);
    r["sensitive_values"]["outputs"]["db_password"] = Value::Bool(true);
    assert_no_leak(&serde_json::to_string(&v).unwrap(), secret);
}

#[test]
fn sensitive_value_in_a_child_module_of_prior_state_is_redacted() {
    let secret = "module-SECRET-in-state-77";
    let mut v: Value = serde_json::from_str(&read(&plan("data-source.json"))).unwrap();
    let root = &mut v["prior_state"]["values"]["root_module"];
    let mut data = root["resources"][0].clone();
    data["address"] = Value::from("module.net.data.terraform_remote_state.network");
    data["values"]["outputs"]["token"] = Value::from(secret);
    data["sensitive_values"]["outputs"]["token"] = Value::Bool(true);
    root["child_modules"] = serde_json::json!([
        {"address": "module.net", "resources": [data]}
    ]);
    assert_no_leak(&serde_json::to_string(&v).unwrap(), secret);
}

#[test]
fn secret_with_quotes_and_backslashes_is_redacted_when_json_escaped() {
    // sprintf("%v", [obj]) and json.marshal escape `"` and `\`: the escaped form must
    // be caught too.
    let secret = "p\"a\\ss-WORD\n42";
    let text = read(&plan("sensitive.json")).replace(
        "hunter2-SECRET-VALUE",
        serde_json::to_string(secret).unwrap().trim_matches('"'),
    );
    assert!(!text.contains("hunter2-SECRET-VALUE"));
    assert_no_leak(&text, secret);
    let escaped = serde_json::to_string(secret).unwrap();
    assert_no_leak(&text, escaped.trim_matches('"'));
    assert_no_leak(&text, "ss-WORD");
}

#[test]
fn evaluation_errors_do_not_leak_sensitive_values() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "main.rego",
        "package main\n\nimport rego.v1\n\npw := input.variables.db_password.value\n\ndeny contains msg if {\n\tmsg := sprintf(\"%v\", [pw + 1])\n}\n",
    );
    for format in ["text", "json"] {
        let r = run([
            "check",
            "--no-builtin",
            "--strict-builtin-errors",
            "-o",
            format,
            "-p",
            &p,
            &plan("sensitive.json"),
        ]);
        r.assert_code(2);
        for s in SECRETS {
            assert!(!r.all().contains(s), "{format}: {s} leaked:\n{}", r.all());
        }
    }
}

// ---- help --------------------------------------------------------------------------------

#[test]
fn check_help_mentions_every_flag_and_examples() {
    let r = run(["check", "--help"]);
    r.assert_code(0);
    let h = &r.stdout;
    for flag in [
        "-p, --policy",
        "-d, --data",
        "-n, --namespace",
        "--all-namespaces",
        "--no-builtin",
        "--rego-version",
        "-o, --format",
        "--strict-builtin-errors",
    ] {
        assert!(h.contains(flag), "{flag} in:\n{h}");
    }
    assert!(h.contains("Examples:"), "{h}");
    assert!(h.contains("plangate check -p policy/"), "{h}");
    assert!(h.contains("show -json"), "{h}");
}

#[test]
fn policies_reading_input_see_every_part_of_the_plan() {
    // Without a policy that names `input`, plangate does not build the plan's large
    // value trees; with one, they are all there, with the built-in library too.
    let text = read(&plan("data-source.json"));
    let v: Value = serde_json::from_str(&text).unwrap();
    let count = |p: &Value| p.as_array().map_or(0, Vec::len);
    let expected = format!(
        "prior {} planned {} config {}",
        count(&v["prior_state"]["values"]["root_module"]["resources"]),
        count(&v["planned_values"]["root_module"]["resources"]),
        v["configuration"]["root_module"]["resources"]
            .as_array()
            .map_or(0, Vec::len)
    );
    assert!(!expected.contains(" 0"), "{expected}");
    let dir = tempdir();
    let pol = write(
        dir.path(),
        "p/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains sprintf(\"prior %d planned %d config %d\", [count(input.prior_state.values.root_module.resources), count(input.planned_values.root_module.resources), count(input.configuration.root_module.resources)])\n",
    );
    for builtin in [true, false] {
        let mut args = vec!["check", "-o", "json", "-p", &pol];
        if !builtin {
            args.push("--no-builtin");
        }
        let p = plan("data-source.json");
        args.push(&p);
        let r = run(args);
        assert!(r.stdout.contains(&expected), "{}\n{}", r.stdout, r.stderr);
    }
}
