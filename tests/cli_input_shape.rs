//! `--input-shape`: Rego libraries written for HCP Terraform, env0, Scalr and
//! Spacelift run unchanged on the plan, wrapped the way each platform wraps it.

use assert_cmd::Command;
use serde_json::Value;

fn run(shape: &str, policy: &str, namespace: &str, plan: &str) -> Value {
    let out = Command::cargo_bin("plangate")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "--color",
            "never",
            "-o",
            "json",
            "--no-builtin",
            "--rego-version",
            "v0",
        ])
        .args(["--input-shape", shape, "-n", namespace])
        .args(["-p", &format!("tests/fixtures/shapes/{policy}")])
        .args([
            "--author",
            "dave",
            "--commit",
            "abc123",
            "--now",
            "2026-11-23T10:00:00Z",
        ])
        .arg(format!("fixtures/plans/{plan}"))
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).expect("json")
}

fn messages(doc: &Value, key: &str) -> Vec<String> {
    doc["plans"][0][key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["msg"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn hcp_policies_read_input_plan_and_input_run() {
    let doc = run(
        "hcp",
        "hcp.rego",
        "terraform.policies.no_destroy",
        "delete.json",
    );
    let msgs = messages(&doc, "failures");
    assert_eq!(msgs.len(), 3, "{doc:#}");
    assert!(
        msgs.iter().all(|m| m.contains("run by dave on abc123")),
        "{msgs:?}"
    );
}

#[test]
fn scalr_policies_read_input_tfplan_and_tfrun() {
    let doc = run("scalr", "scalr.rego", "terraform", "delete.json");
    let msgs = messages(&doc, "failures");
    assert_eq!(msgs.len(), 3);
    assert!(msgs[0].ends_with("destroy by dave"), "{msgs:?}");
}

#[test]
fn spacelift_policies_read_input_terraform_and_spacelift() {
    let doc = run("spacelift", "spacelift.rego", "spacelift", "delete.json");
    assert_eq!(messages(&doc, "failures").len(), 3);
    assert!(messages(&doc, "failures")[0].contains("at commit abc123"));
    assert_eq!(
        messages(&doc, "warnings"),
        vec!["stack is named after the environment"]
    );
}

#[test]
fn env0_policies_read_the_deployment_request() {
    let doc = run("env0", "env0.rego", "env0", "delete.json");
    // env0's `pending` is not a conftest rule; its `deny` is, and dave may deploy.
    assert!(messages(&doc, "failures").is_empty(), "{doc:#}");
}

#[test]
fn the_default_shape_is_the_plan_at_the_root() {
    let doc = run(
        "conftest",
        "hcp.rego",
        "terraform.policies.no_destroy",
        "delete.json",
    );
    assert!(messages(&doc, "failures").is_empty());
}
