//! Stage 4: digests, the ledger, `record`, `verify`, and promotion in `check`,
//! end to end over real plans.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn fixture(name: &str) -> PathBuf {
    Path::new(ROOT).join("fixtures/plans").join(name)
}

fn plangate() -> Command {
    let mut c = Command::cargo_bin("plangate").expect("binary");
    c.env("NO_COLOR", "1").arg("--color").arg("never");
    c
}

const CONFIG: &str = r#"
environment "cluster01" {
  stage = "auto-apply-all"
}
environment "iapetus" {
  stage        = "promote"
  promote_from = "cluster01"
}
group "platform" { members = ["alice", "bob"] }
approval "prod" {
  environments = ["iapetus"]
  group        = "platform"
  count        = 1
}
"#;

struct Setup {
    _dir: tempfile::TempDir,
    config: PathBuf,
    ledger: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("plangate.hcl");
    std::fs::write(&config, CONFIG).expect("config");
    let ledger = dir.path().join("ledger").join("promotions.jsonl");
    Setup {
        config,
        ledger,
        _dir: dir,
    }
}

fn check(s: &Setup, env: &str, commit: &str, plan: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let out = plangate()
        .args(["check", "-o", "json", "--now", "2026-11-23T10:00:00Z"])
        .arg("-c")
        .arg(&s.config)
        .arg("--ledger")
        .arg(&s.ledger)
        .args(["--env", env, "--commit", commit])
        .args(extra)
        .arg(fixture(plan))
        .output()
        .expect("runs");
    let doc = serde_json::from_slice(&out.stdout).expect("json");
    (out.status.code(), doc)
}

fn record(s: &Setup, env: &str, commit: &str, outcome: &str, plan: &str) {
    plangate()
        .args([
            "record",
            "--env",
            env,
            "--commit",
            commit,
            "--outcome",
            outcome,
            "--who",
            "ci",
        ])
        .arg("--ledger")
        .arg(&s.ledger)
        .arg(fixture(plan))
        .assert()
        .success();
}

fn stage(doc: &Value) -> &str {
    doc["plans"][0]["stage"]["name"].as_str().unwrap_or("")
}

#[test]
fn verified_apply_in_cluster01_lets_the_same_commit_promote_to_iapetus() {
    let s = setup();
    let (code, doc) = check(&s, "cluster01", "abc1234", "create.json", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(stage(&doc), "auto-apply-all");

    record(&s, "cluster01", "abc1234", "applied", "create.json");
    // The plan made right after the apply has nothing left to do.
    plangate()
        .args(["verify", "--env", "cluster01", "--commit", "abc1234"])
        .arg("--ledger")
        .arg(&s.ledger)
        .arg(fixture("no-changes.json"))
        .assert()
        .code(0)
        .stdout(predicates::str::contains("Verified"));

    let (code, doc) = check(
        &s,
        "iapetus",
        "abc1234",
        "create.json",
        &["--approver", "alice"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(stage(&doc), "promote", "{doc:#}");

    // Another commit (and another change set) has no evidence: capped, with why.
    let (_, doc) = check(
        &s,
        "iapetus",
        "fff9999",
        "update-in-place.json",
        &["--approver", "alice"],
    );
    assert_eq!(stage(&doc), "auto-apply-all");
    let reasons = doc["plans"][0]["reasons"].to_string();
    assert!(reasons.contains("promotion"), "{reasons}");
    assert!(
        reasons.contains("fff9999") && reasons.contains("cluster01"),
        "{reasons}"
    );
}

#[test]
fn the_same_change_set_promotes_even_from_another_commit() {
    let s = setup();
    record(&s, "cluster01", "abc1234", "applied", "create.json");
    record(&s, "cluster01", "abc1234", "verified", "create.json");
    let (_, doc) = check(
        &s,
        "iapetus",
        "def5678",
        "create.json",
        &["--approver", "alice"],
    );
    assert_eq!(stage(&doc), "promote");
}

#[test]
fn an_applied_but_unverified_record_is_not_evidence() {
    let s = setup();
    record(&s, "cluster01", "abc1234", "applied", "create.json");
    let (_, doc) = check(
        &s,
        "iapetus",
        "abc1234",
        "create.json",
        &["--approver", "alice"],
    );
    assert_eq!(stage(&doc), "auto-apply-all");
}

#[test]
fn verify_fails_when_the_fresh_plan_still_has_work() {
    let s = setup();
    record(&s, "cluster01", "abc1234", "applied", "create.json");
    plangate()
        .args(["verify", "--env", "cluster01", "--commit", "abc1234"])
        .arg("--ledger")
        .arg(&s.ledger)
        .arg(fixture("update-in-place.json"))
        .assert()
        .code(1)
        .stdout(predicates::str::contains("pending update"));
    let out = plangate()
        .args(["ledger", "-o", "json", "--ledger"])
        .arg(&s.ledger)
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let outcomes: Vec<&str> = doc["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, vec!["applied", "failed"]);
}

#[test]
fn verify_without_an_applied_record_fails() {
    let s = setup();
    plangate()
        .args(["verify", "--env", "cluster01", "--commit", "abc1234"])
        .arg("--ledger")
        .arg(&s.ledger)
        .arg(fixture("no-changes.json"))
        .assert()
        .code(1)
        .stdout(predicates::str::contains("no `applied` record"));
}

#[test]
fn every_output_carries_the_plan_digest_and_approvals_bind_to_it() {
    let s = setup();
    let (_, doc) = check(
        &s,
        "iapetus",
        "abc1234",
        "create.json",
        &["--approver", "alice"],
    );
    let digest = doc["plans"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    assert!(digest.starts_with("sha256:") && digest.len() == 71);
    assert!(doc["plans"][0]["changeset_digest"].as_str().is_some());
    // Approved for this very plan: the approval counts.
    let (_, doc) = check(
        &s,
        "iapetus",
        "abc1234",
        "create.json",
        &["--approver", "alice", "--approved-digest", &digest],
    );
    assert!(
        doc["plans"][0]["gates"]
            .as_array()
            .is_some_and(|g| g.is_empty()),
        "{doc:#}"
    );
    // The same approval presented for another plan does not carry over.
    let (code, doc) = check(
        &s,
        "iapetus",
        "abc1234",
        "update-in-place.json",
        &["--approver", "alice", "--approved-digest", &digest],
    );
    assert_eq!(code, Some(1));
    assert_eq!(stage(&doc), "blocked");
    assert!(doc["plans"][0]["warnings"]
        .to_string()
        .contains("do not count"));
}

#[test]
fn concurrent_appends_lose_nothing() {
    let s = setup();
    let bin = assert_cmd::cargo::cargo_bin("plangate");
    let mut children = Vec::new();
    for worker in 0..8 {
        let script = (0..10)
            .map(|i| {
                format!(
                    "{} record --ledger {} --env cluster01 --commit c{worker}x{i} --outcome applied --who w{worker} {}",
                    bin.display(),
                    s.ledger.display(),
                    fixture("mixed.json").display()
                )
            })
            .collect::<Vec<_>>()
            .join(" && ");
        children.push(
            std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .stdout(Stdio::null())
                .spawn()
                .expect("spawn"),
        );
    }
    for mut c in children {
        assert!(c.wait().expect("wait").success());
    }
    let text = std::fs::read_to_string(&s.ledger).expect("ledger");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is a whole record"))
        .collect();
    assert_eq!(records.len(), 80);
    let mut commits: Vec<&str> = records
        .iter()
        .map(|r| r["commit"].as_str().unwrap_or(""))
        .collect();
    commits.sort();
    commits.dedup();
    assert_eq!(commits.len(), 80);
    plangate()
        .args(["ledger", "--ledger"])
        .arg(&s.ledger)
        .assert()
        .success();
}

#[test]
fn a_torn_last_line_is_reported_and_skipped_never_fatal() {
    let s = setup();
    record(&s, "cluster01", "abc1234", "applied", "create.json");
    let mut text = std::fs::read_to_string(&s.ledger).expect("ledger");
    text.push_str("{\"v\":1,\"time\":\"2026-11-2");
    std::fs::write(&s.ledger, &text).expect("write");
    plangate()
        .args(["ledger", "--ledger"])
        .arg(&s.ledger)
        .assert()
        .success()
        .stdout(predicates::str::contains("torn last line"));
    // check still reads the good records, and a new record starts on its own line.
    let (code, _) = check(&s, "cluster01", "abc1234", "create.json", &[]);
    assert_eq!(code, Some(0));
    record(&s, "cluster01", "abc1234", "verified", "create.json");
    let out = plangate()
        .args(["ledger", "-o", "json", "--ledger"])
        .arg(&s.ledger)
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["records"].as_array().map(|r| r.len()), Some(2));
}

#[test]
fn a_ledger_with_a_bad_record_in_the_middle_is_not_valid() {
    let s = setup();
    record(&s, "cluster01", "abc1234", "applied", "create.json");
    let mut text = std::fs::read_to_string(&s.ledger).expect("ledger");
    text.push_str("{\"v\":1,\"plan_digest\":\"md5:x\"}\n");
    std::fs::write(&s.ledger, &text).expect("write");
    record(&s, "cluster01", "abc1234", "verified", "create.json");
    plangate()
        .args(["ledger", "--ledger"])
        .arg(&s.ledger)
        .assert()
        .code(2)
        .stdout(predicates::str::contains("line 2"));
}
