//! `plangate lint` end to end: built-in lint ids with their lines, a clean tree,
//! conftest `.tf` policies, broken HCL, suppression comments, and the built-in library
//! split between check-time and lint-time packages.

mod common;

use std::collections::BTreeSet;

use common::{assert_diagnostic, run, snippet_position, Run};
use serde_json::Value;

const CONFIG: &str = "fixtures/tf/plangate.hcl";

fn lint<I: IntoIterator<Item = &'static str>>(args: I) -> Run {
    let mut all = vec!["lint", "-o", "json"];
    all.extend(args);
    run(all)
}

/// (id, line, column) of every finding of the file at `path` in a JSON report.
fn findings(doc: &Value, path: &str) -> Vec<(String, u64, u64)> {
    let file = doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {doc:#}"));
    file["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn each_builtin_id_once_with_its_line() {
    let r = lint(["-c", CONFIG, "fixtures/tf/envs/findings"]);
    r.assert_code(1);
    let doc = r.json();
    assert_eq!(doc["schema"], "plangate/v1");
    let mut got = findings(&doc, "fixtures/tf/envs/findings/main.tf");
    got.sort_by_key(|f| f.1);
    let expected = vec![
        ("provider-version", 4, 5),   // aws = { source = ... } without version
        ("state-locking", 13, 3),     // backend "s3" without use_lockfile / dynamodb_table
        ("local-backend-env", 21, 3), // backend "local" under envs/
        ("module-pinned", 27, 3),     // git source without ?ref=
        ("secret-default", 41, 3),    // default = "hunter2" of db_password
        ("prevent-destroy", 48, 1),   // aws_db_instance protected in plangate.hcl
    ];
    let expected: Vec<(String, u64, u64)> = expected
        .into_iter()
        .map(|(i, l, c)| (i.to_string(), l, c))
        .collect();
    assert_eq!(got, expected, "{doc:#}");
    for f in doc["files"][0]["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "error");
        assert!(f["fix"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
        assert!(f["namespace"]
            .as_str()
            .unwrap()
            .starts_with("plangate.lint."));
        assert!(f.get("path").is_none(), "the path is consumed: {f}");
    }
    assert_eq!(doc["summary"]["failures"], 6);
    assert_eq!(doc["exit_code"], 1);
}

#[test]
fn the_secret_value_is_never_printed() {
    for format in ["text", "json", "github"] {
        let r = run([
            "lint",
            "-c",
            CONFIG,
            "-o",
            format,
            "fixtures/tf/envs/findings/main.tf",
        ]);
        r.assert_code(1);
        let out = r.stdout.replace("default = \"hunter2\"", "");
        // The snippet shows the source line; the message and fix never quote it.
        for line in out.lines().filter(|l| l.contains("hunter2")) {
            assert!(line.contains("│"), "{format}: {line}");
        }
    }
}

#[test]
fn a_clean_tree_has_no_findings() {
    let r = lint(["-c", CONFIG, "fixtures/tf/clean"]);
    r.assert_code(0);
    let doc = r.json();
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "fixtures/tf/clean/main.tf",
            "fixtures/tf/clean/terraform.tfvars"
        ]
    );
    for f in doc["files"].as_array().unwrap() {
        assert_eq!(f["findings"], serde_json::json!([]), "{f}");
    }
    assert_eq!(doc["exit_code"], 0);
}

#[test]
fn text_output_draws_a_snippet_per_finding() {
    let r = run(["lint", "-c", CONFIG, "fixtures/tf/envs/findings/main.tf"]);
    r.assert_code(1);
    let out = &r.stdout;
    assert_eq!(
        snippet_position(out, "fixtures/tf/envs/findings/main.tf"),
        (4, 5),
        "{out}"
    );
    for id in [
        "module-pinned",
        "state-locking",
        "local-backend-env",
        "provider-version",
        "prevent-destroy",
        "secret-default",
    ] {
        assert!(out.contains(&format!("╰── {id}")), "{id} labelled:\n{out}");
    }
    assert!(
        out.contains("[fixtures/tf/envs/findings/main.tf:48:1]"),
        "{out}"
    );
    assert!(
        out.contains("help: add `lifecycle { prevent_destroy = true }`"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("1 file: 6 failures, 0 warnings, 0 suppressed, 0 errors"),
        "{out}"
    );
}

#[test]
fn github_annotations_carry_the_region() {
    let r = run([
        "lint",
        "-c",
        CONFIG,
        "-o",
        "github",
        "fixtures/tf/envs/findings/main.tf",
    ]);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "::error file=fixtures/tf/envs/findings/main.tf,line=27,col=3,endLine=27,endColumn=61,title=plangate lint module-pinned::"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn without_protect_config_prevent_destroy_is_not_required() {
    // The embedded default configuration protects nothing.
    let r = lint(["fixtures/tf/envs/findings/main.tf"]);
    let ids: BTreeSet<String> = findings(&r.json(), "fixtures/tf/envs/findings/main.tf")
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(!ids.contains("prevent-destroy"), "{ids:?}");
    assert_eq!(ids.len(), 5);
}

#[test]
fn conftest_tf_policies_run_unchanged() {
    let r = lint([
        "--no-builtin",
        "-p",
        "fixtures/tf/conftest/policy",
        "fixtures/tf/conftest/src",
    ]);
    r.assert_code(1);
    let doc = r.json();
    let main = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "fixtures/tf/conftest/src/main.tf")
        .unwrap();
    let got: Vec<(String, String, String, u64)> = main["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["msg"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let s = |a: &str| a.to_string();
    // What `conftest test fixtures/tf/conftest/src` reports for main.tf: 3 failures,
    // 1 warning; the location is the resource block the message names.
    assert_eq!(
        got,
        vec![
            (
                s("deny"),
                s("error"),
                s("aws_s3_bucket.logs: versioning is not configured"),
                1
            ),
            (
                s("warn"),
                s("warning"),
                s("aws_s3_bucket.logs: ACL public-read makes the bucket public"),
                1
            ),
            (
                s("deny"),
                s("error"),
                s("aws_s3_bucket.data: versioning is disabled"),
                7
            ),
            (
                s("deny_untagged"),
                s("error"),
                s("aws_s3_bucket.archive has no tags"),
                16
            ),
        ]
    );
    // exempt.tf: the `exception` rule exempts deny_untagged, as conftest reports it.
    let exempt = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "fixtures/tf/conftest/src/exempt.tf")
        .unwrap();
    assert_eq!(exempt["findings"], serde_json::json!([]));
    assert_eq!(exempt["exceptions"][0]["rule"], "deny_untagged");
    assert_eq!(
        exempt["exceptions"][0]["msg"],
        "data.main.exception[_][_] == \"untagged\""
    );
}

#[test]
fn conftest_policies_and_builtins_together_and_namespaces() {
    // The built-in lint packages always run; user packages by --namespace as in check.
    let r = lint([
        "-p",
        "fixtures/tf/conftest/policy",
        "-n",
        "nope",
        "fixtures/tf/conftest/src",
    ]);
    common::assert_diagnostic_without_file(&r, "plangate::policy::namespace_not_found");
    let r = lint([
        "-p",
        "fixtures/tf/conftest/policy",
        "--all-namespaces",
        "fixtures/tf/conftest/src/main.tf",
    ]);
    r.assert_code(1);
    assert_eq!(r.json()["summary"]["failures"], 3);
}

#[test]
fn broken_hcl_is_exit_2_at_the_offset_and_other_files_are_still_reported() {
    let r = lint(["fixtures/tf/broken"]);
    assert_diagnostic(
        &r,
        "fixtures/tf/broken/a_broken.tf",
        "plangate::lint::invalid_hcl",
    );
    // hcl-rs reports the offset of the missing value: line 3, column 12.
    assert_eq!(
        snippet_position(&r.stderr, "fixtures/tf/broken/a_broken.tf"),
        (3, 12)
    );
    let doc = r.json();
    let broken = &doc["files"][0];
    assert_eq!(broken["path"], "fixtures/tf/broken/a_broken.tf");
    assert_eq!(broken["error"]["code"], "plangate::lint::invalid_hcl");
    assert_eq!(broken["error"]["line"], 3);
    assert_eq!(broken["error"]["column"], 12);
    assert_eq!(
        findings(&doc, "fixtures/tf/broken/b_good.tf"),
        vec![("module-pinned".to_string(), 2, 3)]
    );
    assert_eq!(doc["exit_code"], 2);
}

#[test]
fn suppression_needs_a_reason() {
    let r = lint(["fixtures/tf/ignore"]);
    r.assert_code(1);
    let doc = r.json();
    let file = &doc["files"][0];
    // Without a reason the directive suppresses nothing and is a finding itself.
    assert_eq!(
        findings(&doc, "fixtures/tf/ignore/main.tf"),
        vec![
            ("ignore-reason".to_string(), 6, 3),
            ("module-pinned".to_string(), 8, 3),
            ("module-pinned".to_string(), 12, 3),
        ]
    );
    let suppressed: Vec<(String, u64, String)> = file["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["ignore_line"].as_u64().unwrap(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        vec![
            (
                "module-pinned".to_string(),
                1,
                "vendored by scripts/vendor.sh, which pins the commit".to_string()
            ),
            (
                "secret-default".to_string(),
                15,
                "test fixture credentials for the local stack".to_string()
            ),
        ]
    );
}

#[test]
fn a_directive_above_nothing_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("main.tf");
    std::fs::write(
        &f,
        "module \"m\" {\n  source = \"./m\"\n}\n# plangate:ignore module-pinned nothing below\n",
    )
    .unwrap();
    let r = run(["lint", "-o", "json", f.to_str().unwrap()]);
    r.assert_code(0);
    let doc = r.json();
    assert_eq!(doc["files"][0]["findings"][0]["id"], "ignore-target");
    assert_eq!(doc["files"][0]["findings"][0]["severity"], "warning");
}

#[test]
fn lint_walks_tf_tofu_and_tfvars_and_skips_dot_terraform() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".terraform/modules/x")).unwrap();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let bad = "module \"m\" {\n  source = \"git::https://x/y.git\"\n}\n";
    std::fs::write(root.join(".terraform/modules/x/main.tf"), bad).unwrap();
    std::fs::write(root.join("a.tf"), "x = 1\n").unwrap();
    std::fs::write(root.join("sub/b.tofu"), bad).unwrap();
    std::fs::write(root.join("sub/c.tfvars"), "y = 2\n").unwrap();
    std::fs::write(root.join("sub/d.json"), "{}").unwrap();
    let r = run(["lint", "-o", "json", root.to_str().unwrap()]);
    r.assert_code(1);
    let doc = r.json();
    let names: Vec<String> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            std::path::Path::new(f["path"].as_str().unwrap())
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["a.tf", "sub/b.tofu", "sub/c.tfvars"]);
}

#[test]
fn builtin_lint_packages_are_silent_on_plans_in_check() {
    for plan in ["mixed.json", "create.json", "modules.json"] {
        let r = run(["check", "-o", "json", &common::plan(plan)]);
        let doc = r.json();
        for p in doc["plans"].as_array().unwrap() {
            assert_eq!(p["failures"], serde_json::json!([]), "{plan}");
            assert_eq!(p["warnings"], serde_json::json!([]), "{plan}");
        }
    }
}

#[test]
fn check_time_packages_are_silent_on_tf_documents() {
    // The whole embedded library (check's packages and lint's) on a .tf document
    // with the data lint provides: only plangate.lint.* may say anything.
    use plangate::policy::{source, PolicyEngine, PolicyOptions};
    let engine = PolicyEngine::from_files(
        source::builtin_files(false),
        Vec::new(),
        &PolicyOptions {
            builtin: true,
            ..Default::default()
        },
    )
    .expect("library loads");
    let src = common::read("fixtures/tf/envs/findings/main.tf");
    let tf = plangate::hcl::parse(std::sync::Arc::from(src.as_str())).expect("parses");
    let config = plangate::config::load_file(std::path::Path::new(&common::root().join(CONFIG)))
        .expect("config")
        .to_json();
    let data = serde_json::json!({"plangate": {
        "file": "fixtures/tf/envs/findings/main.tf",
        "abs_path": "/repo/fixtures/tf/envs/findings/main.tf",
        "config": config,
    }});
    let eval = engine
        .evaluate(
            &regorus::Value::from(tf.value.clone()),
            regorus::Value::from(data),
            &[],
        )
        .expect("evaluates");
    assert!(eval.caps.is_empty(), "{:?}", eval.caps);
    assert!(eval.gates.is_empty(), "{:?}", eval.gates);
    let namespaces: BTreeSet<&str> = eval.failures.iter().map(|f| f.namespace.as_str()).collect();
    assert!(
        namespaces.iter().all(|n| n.starts_with("plangate.lint.")),
        "{namespaces:?}"
    );
    assert_eq!(eval.failures.len(), 6);
}

#[test]
fn input_documents_equal_what_hcl2json_gives() {
    // fixtures/tf/hcl2json-goldens.json was written by a real Go build of hcl2json
    // (fixtures/tf/hcl2json-goldens.sh); fixtures/tf/shapes/expressions.tf holds the
    // awkward cases (templates, directives, escapes, heredocs, keys, unary folding).
    let golden: Value =
        serde_json::from_str(&common::read("fixtures/tf/hcl2json-goldens.json")).unwrap();
    let files: Vec<&str> = golden
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(files.len() >= 6, "{files:?}");
    let mut args = vec!["lint", "--print-input"];
    args.extend(files.iter().copied());
    let r = run(args);
    r.assert_code(0);
    let mine = r.json();
    for f in files {
        assert_eq!(mine[f], golden[f], "{f}");
    }
}
