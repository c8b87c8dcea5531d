//! Properties of the decision, end to end through the built-in Rego library:
//! adding a destructive change never raises a plan's stage, adding an approval never
//! lowers it, a plan's stage never exceeds its environment's, and the output is the
//! same for any number of threads.

use std::io::Write;

use plangate::check::{self, CheckOptions, Prepared};
use plangate::context::ContextOptions;
use plangate::policy::PolicyOptions;
use plangate::stage::Stage;
use proptest::prelude::*;

const ACTIONS: &[&[&str]] = &[
    &["no-op"],
    &["create"],
    &["read"],
    &["update"],
    &["delete"],
    &["delete", "create"],
    &["create", "delete"],
    &["forget"],
    &["create", "forget"],
];

/// A plan JSON with one terraform_data change per action set.
fn plan_json(actions: &[usize]) -> String {
    let changes: Vec<String> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let acts: Vec<String> = ACTIONS[*a].iter().map(|s| format!("\"{s}\"")).collect();
            format!(
                r#"{{"address":"terraform_data.r{i}","mode":"managed","type":"terraform_data","name":"r{i}","change":{{"actions":[{}],"before":null,"after":{{"input":"v{i}"}},"after_unknown":{{}},"before_sensitive":false,"after_sensitive":{{}}}}}}"#,
                acts.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"format_version":"1.2","terraform_version":"1.11.4","timestamp":"2026-11-23T09:00:00Z","errored":false,"planned_values":{{}},"resource_changes":[{}]}}"#,
        changes.join(",")
    )
}

const CONFIG: &str = r#"
environment "e0" { stage = 0 }
environment "e1" { stage = 1 }
environment "e2" { stage = 2 }
environment "e3" { stage = 3 }
environment "e4" { stage = 4 }
group "platform" { members = ["alice", "bob", "carol"] }
approval "destroy" {
  when  = "destructive"
  group = "platform"
  count = 2
}
approval "any" {
  environments = ["e4"]
  group        = "platform"
  count        = 1
}
protect {
  resources   = ["terraform_data.r1"]
  break_glass = "platform"
}
settings { max_destroys = 3 }
"#;

fn prepared(env: usize, approvers: &[&str]) -> (tempfile::TempDir, Prepared) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plangate.hcl");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(CONFIG.as_bytes()))
        .expect("config");
    let opts = CheckOptions {
        policy: PolicyOptions {
            builtin: true,
            ..Default::default()
        },
        config: Some(path),
        context: ContextOptions {
            env: Some(format!("e{env}")),
            approvers: approvers.iter().map(|s| s.to_string()).collect(),
            author: Some("dave".into()),
            now: Some("2026-11-23T10:00:00Z".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let p = check::prepare(&opts).expect("prepare");
    (dir, p)
}

fn stage_of(p: &Prepared, actions: &[usize]) -> Stage {
    let plan = plangate::plan::parse_bytes("p.json", plan_json(actions).as_bytes()).expect("plan");
    check::evaluate(p, &plan)
        .expect("evaluates")
        .stage()
        .expect("decided")
}

const APPROVERS: &[&str] = &["alice", "bob", "carol", "dave", "eve"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_destructive_change_never_raises_the_stage(
        env in 0usize..5,
        actions in prop::collection::vec(0usize..ACTIONS.len(), 0..6),
        destructive in prop::sample::select(vec![4usize, 5, 6, 8]),
        approvers in prop::sample::subsequence(APPROVERS.to_vec(), 0..4),
    ) {
        let (_d, p) = prepared(env, &approvers);
        let before = stage_of(&p, &actions);
        let mut more = actions.clone();
        more.push(destructive);
        prop_assert!(stage_of(&p, &more) <= before);
    }

    #[test]
    fn adding_an_approval_never_lowers_the_stage(
        env in 0usize..5,
        actions in prop::collection::vec(0usize..ACTIONS.len(), 0..6),
        approvers in prop::sample::subsequence(APPROVERS.to_vec(), 0..4),
        extra in prop::sample::select(APPROVERS.to_vec()),
    ) {
        let (_d, p) = prepared(env, &approvers);
        let before = stage_of(&p, &actions);
        let mut more = approvers.clone();
        more.push(extra);
        let (_d2, p2) = prepared(env, &more);
        prop_assert!(stage_of(&p2, &actions) >= before);
    }

    #[test]
    fn a_plan_that_does_something_never_exceeds_its_environment(
        env in 0usize..5,
        actions in prop::collection::vec(1usize..ACTIONS.len(), 1..6),
        approvers in prop::sample::subsequence(APPROVERS.to_vec(), 0..4),
    ) {
        prop_assume!(actions.iter().any(|a| *a != 2));
        let (_d, p) = prepared(env, &approvers);
        let env_stage = Stage::from_level(env as u64).expect("stage");
        prop_assert!(stage_of(&p, &actions) <= env_stage);
    }
}

#[test]
fn output_is_identical_for_any_number_of_threads() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["fixtures/plans", "fixtures/plans/shared"] {
        let mut found: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        found.sort();
        paths.extend(found);
    }
    // Repeat the list so the threads really interleave.
    let many: Vec<_> = paths
        .iter()
        .cycle()
        .take(paths.len() * 4)
        .cloned()
        .collect();
    let render = |jobs: usize| {
        let opts = CheckOptions {
            paths: many.clone(),
            policy: PolicyOptions {
                builtin: true,
                ..Default::default()
            },
            context: ContextOptions {
                now: Some("2026-11-23T10:00:00Z".into()),
                ..Default::default()
            },
            jobs: Some(jobs),
            ..Default::default()
        };
        let report = check::run(&opts);
        plangate::report::render(&report, plangate::report::Format::Json, false)
    };
    let one = render(1);
    assert_eq!(one, render(2));
    assert_eq!(one, render(4));
}
