//! plangate run exactly as Atlantis runs a custom workflow step: its variables,
//! the project directory as working directory, and the argv of
//! examples/atlantis/atlantis.yaml. Checks the PR comment it would post.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const CONFIG: &str = r#"
environment "cluster01" {
  match = ["envs/cluster01/**"]
  stage = "auto-apply"
}
environment "iapetus" {
  match = ["envs/iapetus/**"]
  stage = "plan-only"
}
group "platform" { members = ["alice", "bob", "dave"] }
approval "any" {
  environments = ["cluster01"]
  group        = "platform"
  count        = 1
}
"#;

/// A repository as Atlantis checks it out: plangate.hcl at the root, the project
/// in envs/<project>, the show file written by the `show` step beside it.
struct Repo {
    _dir: tempfile::TempDir,
    project_dir: PathBuf,
    showfile: PathBuf,
}

fn repo(project: &str, plan: &str) -> Repo {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("plangate.hcl"), CONFIG).expect("config");
    let project_dir = dir.path().join("envs").join(project);
    std::fs::create_dir_all(&project_dir).expect("project dir");
    let showfile = project_dir.join(format!("{project}-default.json"));
    std::fs::copy(Path::new(ROOT).join("fixtures/plans").join(plan), &showfile).expect("plan");
    Repo {
        _dir: dir,
        project_dir,
        showfile,
    }
}

/// The `run:` step, with Atlantis's environment and nothing of the test's.
fn atlantis_step(r: &Repo, project: &str, argv: &[&str]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("plangate").expect("binary");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("WORKSPACE", "default")
        .env("DIR", &r.project_dir)
        .env("REPO_REL_DIR", format!("envs/{project}"))
        .env("PROJECT_NAME", project)
        .env(
            "PLANFILE",
            r.project_dir.join(format!("{project}-default.tfplan")),
        )
        .env("SHOWFILE", &r.showfile)
        .env("PULL_AUTHOR", "dave")
        .env("PULL_NUM", "42")
        .env("USER_NAME", "dave")
        .env("HEAD_COMMIT", "0123456789abcdef")
        .env("BASE_BRANCH_NAME", "main")
        .env("BASE_REPO_OWNER", "acme")
        .env("BASE_REPO_NAME", "infra")
        .current_dir(&r.project_dir)
        .args(argv);
    cmd.output().expect("runs")
}

#[test]
fn plan_step_posts_a_markdown_comment_for_the_matched_environment() {
    let r = repo("cluster01", "mixed.json");
    let out = atlantis_step(&r, "cluster01", &["check", "--require-stage", "blocked"]);
    let comment = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{comment}");
    assert!(
        comment.starts_with("## plangate"),
        "Markdown by default: {comment}"
    );
    assert!(comment.contains("Environment **cluster01**"), "{comment}");
    assert!(comment.contains("Will be destroyed or replaced"));
    assert!(comment.contains("`terraform_data.database`"));
    // The author's approval does not count: PULL_AUTHOR is the author.
    assert!(comment.contains("blocked"), "{comment}");
    assert!(
        comment.contains("1 approval from group platform (alice, bob)"),
        "{comment}"
    );
    assert!(out.stderr.is_empty(), "nothing on stderr in CI logs");
}

#[test]
fn apply_guard_refuses_a_plan_that_may_not_be_auto_applied() {
    let r = repo("cluster01", "mixed.json");
    let out = atlantis_step(
        &r,
        "cluster01",
        &["check", "--require-stage", "auto-apply", "--format", "text"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("required: auto-apply"), "{text}");
}

#[test]
fn apply_guard_passes_an_approved_create_only_plan() {
    let r = repo("cluster01", "create.json");
    let out = atlantis_step(
        &r,
        "cluster01",
        &[
            "check",
            "--require-stage",
            "auto-apply",
            "--approver",
            "alice",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn flags_win_over_atlantis_variables() {
    let r = repo("cluster01", "create.json");
    let out = atlantis_step(
        &r,
        "cluster01",
        &[
            "check",
            "--env",
            "iapetus",
            "-o",
            "json",
            "--author",
            "erin",
            "--approver",
            "dave",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["plans"][0]["environment"], "iapetus");
    assert_eq!(doc["plans"][0]["stage"]["name"], "plan-only");
}

#[test]
fn policy_check_drop_in_speaks_conftest() {
    let r = repo("iapetus", "delete.json");
    let policy = Path::new(ROOT).join("tests/conformance/policies/basic-v1");
    // What examples/atlantis/conftest turns `conftest test -p DIR $SHOWFILE --no-color` into.
    let showfile = r.showfile.display().to_string();
    let out = atlantis_step(
        &r,
        "iapetus",
        &[
            "check",
            "-o",
            "conftest",
            "--no-builtin",
            "-p",
            policy.to_str().unwrap_or_default(),
            &showfile,
            "--color",
            "never",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("FAIL - "), "{text}");
    // Atlantis's failure regex.
    let re = regex::Regex::new(r#"([1-9]([0-9]?)* failure|failures": \[)"#).expect("regex");
    assert!(re.is_match(&text), "{text}");
}
