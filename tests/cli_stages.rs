//! The rollout decision end to end: `plangate check -o json -c <config> --now <time>`
//! over the real plans in `fixtures/plans/`, with the configs in
//! `tests/fixtures/configs/`, the GitHub review lists in `tests/fixtures/reviews/`
//! and the CODEOWNERS layout in `tests/fixtures/codeowners/`. Each test pins one
//! behaviour of README "The decision" / "plangate.hcl": per-change `stage`,
//! `eligible`, `reasons[].rule` and `gates[]`, the plan's `stage` and
//! `environment`, and the exit code with `--require-stage`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

// ---- helpers -----------------------------------------------------------------------

/// Monday 2026-11-23 10:00 UTC (11:00 in Berlin): inside every weekday business
/// window of the configs and outside every freeze. (The fixtures' own timestamps
/// matter only with max_plan_age, where the tests compute --now from them.)
const MONDAY_10: &str = "2026-11-23T10:00:00Z";

fn config(name: &str) -> String {
    test_fixture(&format!("configs/{name}"))
}

fn reviews(name: &str) -> String {
    test_fixture(&format!("reviews/{name}"))
}

/// `check -o json -c <config> [extra] <plan>`, with `--now MONDAY_10` unless `extra`
/// gives another `--now`.
fn check(cfg: &str, plan_path: &str, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["check".into(), "-o".into(), "json".into()];
    args.extend(["-c".to_string(), cfg.to_string()]);
    if !extra.contains(&"--now") {
        args.extend(["--now".to_string(), MONDAY_10.to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(plan_path.to_string());
    run(args)
}

/// `check` run in `dir` (for config discovery, `match` globs and CODEOWNERS).
fn check_in(dir: &Path, args: &[&str]) -> Run {
    let mut full = vec!["check", "-o", "json"];
    if !args.contains(&"--now") {
        full.extend(["--now", MONDAY_10]);
    }
    full.extend_from_slice(args);
    Run::from_output(
        plangate()
            .current_dir(dir)
            .args(full)
            .output()
            .expect("plangate runs"),
    )
}

/// Run the rows (each one `plangate` process) on a few threads, results in order.
/// Not all at once: every plan has a policy time budget (`--timeout`), which a
/// machine running dozens of evaluations at once could exhaust.
fn par<T: Sync, R: Send>(rows: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        rows.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(row) = rows.get(i) else { break };
                let r = f(row);
                *results[i].lock().expect("result slot") = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().expect("result slot").expect("row ran"))
        .collect()
}

/// The only plan of a successful (exit 0 or 1) run, with its exit code checked
/// against the JSON document's.
fn the_plan(r: &Run) -> Value {
    assert_no_panic(r);
    assert!(r.code == 0 || r.code == 1, "exit 0 or 1:\n{}", r.all());
    let doc = r.json();
    assert_eq!(doc["exit_code"], r.code, "exit_code field\n{}", r.stdout);
    assert_eq!(doc["errors"], Value::Array(vec![]), "{}", r.stdout);
    let plans = doc["plans"].as_array().expect("plans");
    assert_eq!(plans.len(), 1, "{}", r.stdout);
    assert!(plans[0].get("error").is_none(), "{}", r.stdout);
    plans[0].clone()
}

fn stage(v: &Value) -> &str {
    v["name"]
        .as_str()
        .unwrap_or_else(|| panic!("a stage object: {v}"))
}

fn level(v: &Value) -> u64 {
    v["level"]
        .as_u64()
        .unwrap_or_else(|| panic!("a stage object: {v}"))
}

/// The change at `address` (the current object, not a deposed one).
fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["address"] == address && c.get("deposed").is_none())
        .unwrap_or_else(|| panic!("no change {address} in {plan:#}"))
}

/// `rule` of every element of a `reasons` or `gates` list, in order.
fn rules(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|x| x["rule"].as_str().expect("rule").to_string())
        .collect()
}

/// address -> stage name, for the changes that do something.
fn acting_stages(plan: &Value) -> BTreeMap<String, String> {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] != "no-op" && c["action"] != "read")
        .filter(|c| c.get("deposed").is_none())
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                stage(&c["stage"]).to_string(),
            )
        })
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .collect()
}

/// A copy of a real fixture, changed by `edit`, written to a temporary directory.
/// Used where no real plan has the property (drift, errored, ...): every derived
/// plan says which real fixture it comes from and what was changed.
fn derived(fixture: &str, edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, String) {
    let mut v: Value = serde_json::from_str(&read(&plan(fixture))).expect("fixture is JSON");
    edit(&mut v);
    let dir = tempdir();
    let p = write(
        dir.path(),
        fixture,
        serde_json::to_string(&v).expect("serialize"),
    );
    (dir, p)
}

/// The `timestamp` a real fixture was planned at.
fn planned_at(fixture: &str) -> chrono::DateTime<chrono::Utc> {
    let v: Value = serde_json::from_str(&read(&plan(fixture))).expect("fixture is JSON");
    let ts = v["timestamp"]
        .as_str()
        .expect("real fixtures have a timestamp");
    chrono::DateTime::parse_from_rfc3339(ts)
        .expect("RFC 3339")
        .with_timezone(&chrono::Utc)
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Copy files into a fresh temporary repository: `(source, destination)` pairs,
/// destinations relative to the repository.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempdir();
    for (src, dst) in files {
        write(dir.path(), dst, std::fs::read(root().join(src)).expect(src));
    }
    dir
}

/// Flags written as one string: `"--approver alice --approvals one-approved.json"`.
/// The file after `--approvals` is one of tests/fixtures/reviews/.
fn flags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let resolved = if out.last().is_some_and(|f| f == "--approvals") {
            reviews(word)
        } else {
            word.to_string()
        };
        out.push(resolved);
    }
    out
}

/// Collect row failures and report them all at once.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, row: impl std::fmt::Display) {
        if !ok {
            self.0.push(row.to_string());
        }
    }
    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} row(s) failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

// ---- 1. the scenario: one plan, a stage-2 environment ----------------------

#[test]
fn stage_2_environment_auto_applies_creates_and_leaves_the_replace_to_a_human() {
    // rollout.hcl: staging at auto-apply, one approval from platform, Mon-Thu
    // 09:00-16:00 Berlin. Monday 10:00 UTC with alice's approval: all satisfied.
    let r = check(
        &config("rollout.hcl"),
        &plan("mixed.json"),
        &[
            "--env",
            "staging",
            "--approver",
            "alice",
            "--author",
            "dave",
        ],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(p["environment"], "staging");
    assert_eq!(stage(&p["environment_stage"]), "auto-apply");
    assert_eq!(level(&p["environment_stage"]), 2);
    assert_eq!(stage(&p["stage"]), "plan-only");
    assert_eq!(level(&p["stage"]), 1);
    assert_eq!(p["gates"], Value::Array(vec![]));

    // (address, stage, eligible, reasons[].rule)
    let expected: &[(&str, &str, &str, &[&str])] = &[
        (
            "terraform_data.load_balancer",
            "auto-apply",
            "auto-apply",
            &["environment"],
        ),
        (
            "terraform_data.cache",
            "auto-apply",
            "auto-apply",
            &["environment"],
        ),
        (
            "terraform_data.monitoring_alert",
            "auto-apply",
            "auto-apply",
            &["environment"],
        ),
        (
            "terraform_data.app_server",
            "auto-apply",
            "auto-apply",
            &["environment"],
        ),
        (
            "terraform_data.database",
            "plan-only",
            "plan-only",
            &["destructive", "environment"],
        ),
        (
            "terraform_data.legacy_cache",
            "plan-only",
            "plan-only",
            &["destructive", "environment"],
        ),
        (
            "terraform_data.audit_log_bucket",
            "plan-only",
            "plan-only",
            &["forget", "environment"],
        ),
    ];
    for (address, st, eligible, reason_rules) in expected {
        let c = change(&p, address);
        assert_eq!(stage(&c["stage"]), *st, "{address}: {c:#}");
        assert_eq!(stage(&c["eligible"]), *eligible, "{address}: {c:#}");
        assert_eq!(rules(&c["reasons"]), *reason_rules, "{address}: {c:#}");
        assert_eq!(c["gates"], Value::Array(vec![]), "{address}: {c:#}");
    }
    // The binding reason of the replace says why.
    let db = change(&p, "terraform_data.database");
    let msg = db["reasons"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("destroyed and re-created") && msg.contains("auto-apply-all"),
        "{msg}"
    );
}

#[test]
fn stage_2_environment_blocks_every_change_outside_the_window() {
    // Monday 16:30 UTC is 17:30 in Berlin: after the window, approval or not.
    let r = check(
        &config("rollout.hcl"),
        &plan("mixed.json"),
        &[
            "--env",
            "staging",
            "--approver",
            "alice",
            "--now",
            "2026-11-23T16:30:00Z",
        ],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(p["environment"], "staging");
    assert_eq!(stage(&p["stage"]), "blocked");
    assert_eq!(rules(&p["gates"]), ["window"]);
    let unblock = p["gates"][0]["unblock"].as_str().unwrap();
    assert!(
        unblock.contains("business-hours: Mon-Thu 09:00-16:00 Europe/Berlin"),
        "{unblock}"
    );
    for (address, eligible) in [
        ("terraform_data.cache", "auto-apply"),
        ("terraform_data.app_server", "auto-apply"),
        ("terraform_data.database", "plan-only"),
        ("terraform_data.audit_log_bucket", "plan-only"),
    ] {
        let c = change(&p, address);
        assert_eq!(stage(&c["stage"]), "blocked", "{address}: {c:#}");
        // A gate blocks; `eligible` keeps what the caps allow.
        assert_eq!(stage(&c["eligible"]), eligible, "{address}: {c:#}");
        assert_eq!(rules(&c["gates"]), ["window"], "{address}: {c:#}");
        assert_eq!(
            rules(&c["reasons"])[0],
            "window",
            "the binding reason: {c:#}"
        );
    }
}

#[test]
fn stage_2_environment_blocks_every_change_until_approved() {
    let r = check(
        &config("rollout.hcl"),
        &plan("mixed.json"),
        &["--env", "staging", "--author", "dave"],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(stage(&p["stage"]), "blocked");
    assert_eq!(rules(&p["gates"]), ["approval"; 7], "{:#}", p["gates"]);
    assert_eq!(
        acting_stages(&p),
        map(&[
            ("terraform_data.app_server", "blocked"),
            ("terraform_data.audit_log_bucket", "blocked"),
            ("terraform_data.cache", "blocked"),
            ("terraform_data.database", "blocked"),
            ("terraform_data.legacy_cache", "blocked"),
            ("terraform_data.load_balancer", "blocked"),
            ("terraform_data.monitoring_alert", "blocked"),
        ])
    );
    let c = change(&p, "terraform_data.cache");
    assert_eq!(rules(&c["gates"]), ["approval"]);
    assert_eq!(
        c["gates"][0]["unblock"],
        "1 approval from group platform (alice, bob, carol); have 0"
    );
    // No-ops need no approval.
    let noop = change(&p, "terraform_data.network");
    assert_eq!(noop["gates"], Value::Array(vec![]), "{noop:#}");
}

#[test]
fn the_same_plan_moves_from_blocked_to_auto_apply_as_window_and_approvals_are_met() {
    // (now, approvers, cache (a create), database (a replace), plan, exit)
    #[rustfmt::skip]
    let rows: &[(&str, &str, &str, &str, &str, i32)] = &[
        ("2026-11-23T16:30:00Z", "", "blocked", "blocked", "blocked", 1),
        ("2026-11-23T16:30:00Z", "--approver alice", "blocked", "blocked", "blocked", 1),
        (MONDAY_10, "", "blocked", "blocked", "blocked", 1),
        (MONDAY_10, "--approver mallory", "blocked", "blocked", "blocked", 1),
        (MONDAY_10, "--approver dave", "blocked", "blocked", "blocked", 1), // the author
        (MONDAY_10, "--approver alice", "auto-apply", "plan-only", "plan-only", 0),
    ];
    let runs = par(rows, |(now, approvers, ..)| {
        let mut args = flags("--env staging --author dave --now");
        args.push(now.to_string());
        args.extend(flags(approvers));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&config("rollout.hcl"), &plan("mixed.json"), &args)
    });
    let mut f = Failures::default();
    for (row, r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let got = (
            stage(&change(&p, "terraform_data.cache")["stage"]),
            stage(&change(&p, "terraform_data.database")["stage"]),
            stage(&p["stage"]),
            r.code,
        );
        f.check(
            got == (row.2, row.3, row.4, row.5),
            format!("{row:?}: got {got:?}"),
        );
    }
    f.assert_none();
}

#[test]
fn require_stage_auto_apply_fails_a_plan_with_a_replace_and_passes_a_create_only_plan() {
    // (plan, --require-stage, exit)
    let rows: &[(&str, &str, i32)] = &[
        ("mixed.json", "plan-only", 0),
        ("mixed.json", "auto-apply", 1),
        ("mixed.json", "2", 1),
        ("mixed.json", "1", 0),
        ("mixed.json", "blocked", 0),
        ("create.json", "auto-apply", 0),
        ("create.json", "2", 0),
        ("create.json", "auto-apply-all", 1),
        ("create.json", "promote", 1),
    ];
    let runs = par(rows, |(p, req, _)| {
        check(
            &config("rollout.hcl"),
            &plan(p),
            &[
                "--env",
                "staging",
                "--approver",
                "alice",
                "--require-stage",
                req,
            ],
        )
    });
    let mut f = Failures::default();
    for (row, r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let want_plan = if row.0 == "mixed.json" {
            "plan-only"
        } else {
            "auto-apply"
        };
        f.check(
            r.code == row.2 && stage(&p["stage"]) == want_plan,
            format!("{row:?}: exit {} stage {}", r.code, p["stage"]),
        );
        let doc = r.json();
        let want_req: Value = match row.1 {
            "1" | "plan-only" => serde_json::json!({"level": 1, "name": "plan-only"}),
            "2" | "auto-apply" => serde_json::json!({"level": 2, "name": "auto-apply"}),
            "blocked" => serde_json::json!({"level": 0, "name": "blocked"}),
            "auto-apply-all" => serde_json::json!({"level": 3, "name": "auto-apply-all"}),
            _ => serde_json::json!({"level": 4, "name": "promote"}),
        };
        f.check(
            doc["require_stage"] == want_req,
            format!("{row:?}: require_stage {}", doc["require_stage"]),
        );
    }
    f.assert_none();
}

#[test]
fn require_stage_auto_apply_fails_a_blocked_create_only_plan() {
    // Outside the window even a create-only plan is blocked: exit 1 at any level.
    let r = check(
        &config("rollout.hcl"),
        &plan("create.json"),
        &[
            "--env",
            "staging",
            "--approver",
            "alice",
            "--now",
            "2026-11-27T10:00:00Z", // a Friday
            "--require-stage",
            "auto-apply",
        ],
    );
    r.assert_code(1);
    assert_eq!(stage(&the_plan(&r)["stage"]), "blocked");
}

// ---- 2. windows --------------------------------------------------------------------

/// Every row: (environment of windows.hcl, --now, open?). A create-only plan is
/// `auto-apply` when a window is open, else `blocked` by the `window` gate.
fn assert_windows(rows: &[(&str, &str, bool)]) {
    let runs = par(rows, |(env, now, _)| {
        check(
            &config("windows.hcl"),
            &plan("create.json"),
            &["--env", env, "--now", now],
        )
    });
    let mut f = Failures::default();
    for ((env, now, open), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let got_open = match (stage(&p["stage"]), r.code) {
            ("auto-apply", 0) if p["gates"] == Value::Array(vec![]) => Some(true),
            ("blocked", 1) if rules(&p["gates"]) == ["window"] => Some(false),
            _ => None,
        };
        f.check(
            got_open == Some(*open),
            format!(
                "{env} at {now}: want {}, got stage {} exit {} gates {}",
                if *open { "open" } else { "closed" },
                p["stage"],
                r.code,
                p["gates"]
            ),
        );
    }
    f.assert_none();
}

#[test]
fn window_opens_at_its_first_minute_and_closes_at_its_end_minute() {
    // Mon-Thu 09:00-16:00 Europe/Berlin; in November Berlin is UTC+01:00.
    assert_windows(&[
        ("berlin", "2026-11-23T07:59:59Z", false), // Mon 08:59:59
        ("berlin", "2026-11-23T08:00:00Z", true),  // Mon 09:00, first minute
        ("berlin", "2026-11-23T08:00:59Z", true),
        ("berlin", "2026-11-23T14:59:00Z", true), // Mon 15:59, last minute
        ("berlin", "2026-11-23T14:59:59Z", true),
        ("berlin", "2026-11-23T15:00:00Z", false), // Mon 16:00: closed
        ("berlin", "2026-11-26T14:59:00Z", true),  // Thu 15:59
        ("berlin", "2026-11-27T10:00:00Z", false), // Fri: not a window day
        ("berlin", "2026-11-22T10:00:00Z", false), // Sun
        // No window for this environment: always open.
        ("anytime", "2026-11-27T03:00:00Z", true),
    ]);
}

#[test]
fn window_reads_the_clock_in_its_time_zone_on_the_spring_dst_change() {
    // 2026-03-29: Berlin goes from +01:00 to +02:00 at 01:00 UTC. Sunday 09:00-16:00
    // local is 07:00-14:00 UTC that day; a fixed +01:00 would say 08:00-15:00.
    assert_windows(&[
        // A week before (winter time): 08:00-15:00 UTC.
        ("berlin-sunday", "2026-03-22T07:59:00Z", false),
        ("berlin-sunday", "2026-03-22T08:00:00Z", true),
        ("berlin-sunday", "2026-03-22T14:59:00Z", true),
        ("berlin-sunday", "2026-03-22T15:00:00Z", false),
        // The change day (summer time).
        ("berlin-sunday", "2026-03-29T06:59:00Z", false), // 08:59 CEST
        ("berlin-sunday", "2026-03-29T07:00:00Z", true),  // 09:00 CEST (08:00 if +01:00)
        ("berlin-sunday", "2026-03-29T13:59:00Z", true),  // 15:59 CEST
        ("berlin-sunday", "2026-03-29T14:00:00Z", false), // 16:00 CEST (15:00 if +01:00)
        ("berlin-sunday", "2026-03-29T14:30:00Z", false),
        // 01:00-04:00 local across the gap 02:00-03:00 that does not exist.
        ("berlin-sunday-night", "2026-03-28T23:59:00Z", false), // Sun 00:59 CET
        ("berlin-sunday-night", "2026-03-29T00:00:00Z", true),  // 01:00 CET
        ("berlin-sunday-night", "2026-03-29T00:59:00Z", true),  // 01:59 CET
        ("berlin-sunday-night", "2026-03-29T01:00:00Z", true),  // 03:00 CEST
        ("berlin-sunday-night", "2026-03-29T01:59:00Z", true),  // 03:59 CEST
        ("berlin-sunday-night", "2026-03-29T02:00:00Z", false), // 04:00 CEST (03:00 if +01:00)
    ]);
}

#[test]
fn window_reads_the_clock_in_its_time_zone_on_the_autumn_dst_change() {
    // 2026-10-25: Berlin goes from +02:00 back to +01:00 at 01:00 UTC. Sunday
    // 09:00-16:00 local is 08:00-15:00 UTC that day; a fixed +02:00 would say
    // 07:00-14:00.
    assert_windows(&[
        // A week before (summer time): 07:00-14:00 UTC.
        ("berlin-sunday", "2026-10-18T06:59:00Z", false),
        ("berlin-sunday", "2026-10-18T07:00:00Z", true),
        ("berlin-sunday", "2026-10-18T13:59:00Z", true),
        ("berlin-sunday", "2026-10-18T14:00:00Z", false),
        // The change day (winter time).
        ("berlin-sunday", "2026-10-25T07:00:00Z", false), // 08:00 CET (09:00 if +02:00)
        ("berlin-sunday", "2026-10-25T07:59:00Z", false),
        ("berlin-sunday", "2026-10-25T08:00:00Z", true), // 09:00 CET
        ("berlin-sunday", "2026-10-25T14:30:00Z", true), // 15:30 CET (16:30 if +02:00)
        ("berlin-sunday", "2026-10-25T14:59:00Z", true), // 15:59 CET
        ("berlin-sunday", "2026-10-25T15:00:00Z", false), // 16:00 CET
        // 01:00-04:00 local across the hour 02:00-03:00 that happens twice.
        ("berlin-sunday-night", "2026-10-24T22:59:00Z", false), // Sun 00:59 CEST
        ("berlin-sunday-night", "2026-10-24T23:00:00Z", true),  // 01:00 CEST
        ("berlin-sunday-night", "2026-10-25T00:30:00Z", true),  // 02:30 CEST
        ("berlin-sunday-night", "2026-10-25T01:30:00Z", true),  // 02:30 CET
        ("berlin-sunday-night", "2026-10-25T02:30:00Z", true),  // 03:30 CET (04:30 if +02:00)
        ("berlin-sunday-night", "2026-10-25T02:59:00Z", true),  // 03:59 CET
        ("berlin-sunday-night", "2026-10-25T03:00:00Z", false), // 04:00 CET
    ]);
}

#[test]
fn window_crossing_midnight_belongs_to_the_day_it_starts_on() {
    // Monday 22:00 until Tuesday 02:00 UTC.
    assert_windows(&[
        ("night", "2026-11-23T21:59:00Z", false), // Mon 21:59
        ("night", "2026-11-23T22:00:00Z", true),  // Mon 22:00
        ("night", "2026-11-23T23:59:59Z", true),
        ("night", "2026-11-24T00:00:00Z", true),  // Tue 00:00
        ("night", "2026-11-24T01:59:00Z", true),  // Tue 01:59
        ("night", "2026-11-24T02:00:00Z", false), // Tue 02:00
        ("night", "2026-11-23T01:00:00Z", false), // Mon 01:00: Sunday's night, not a window day
        ("night", "2026-11-24T22:00:00Z", false), // Tue 22:00
        ("night", "2026-11-25T01:00:00Z", false), // Wed 01:00
        // to = "24:00": until the end of Monday.
        ("evening", "2026-11-23T19:59:00Z", false),
        ("evening", "2026-11-23T20:00:00Z", true),
        ("evening", "2026-11-23T23:59:00Z", true),
        ("evening", "2026-11-24T00:00:00Z", false),
    ]);
}

#[test]
fn window_with_from_equal_to_is_open_all_day() {
    assert_windows(&[
        ("saturday", "2026-11-27T23:59:59Z", false), // Fri
        ("saturday", "2026-11-28T00:00:00Z", true),
        ("saturday", "2026-11-28T12:00:00Z", true),
        ("saturday", "2026-11-28T23:59:59Z", true),
        ("saturday", "2026-11-29T00:00:00Z", false), // Sun
    ]);
}

#[test]
fn several_windows_of_an_environment_are_a_union() {
    assert_windows(&[
        ("union", "2026-11-23T08:59:00Z", false),
        ("union", "2026-11-23T09:30:00Z", true), // morning
        ("union", "2026-11-23T10:00:00Z", false),
        ("union", "2026-11-23T12:00:00Z", false),
        ("union", "2026-11-23T14:00:00Z", true), // afternoon
        ("union", "2026-11-23T15:00:00Z", false),
    ]);
    let r = check(
        &config("windows.hcl"),
        &plan("create.json"),
        &["--env", "union", "--now", "2026-11-23T12:00:00Z"],
    );
    let p = the_plan(&r);
    let unblock = p["gates"][0]["unblock"].as_str().unwrap();
    assert!(
        unblock.contains("morning: Mon 09:00-10:00 UTC")
            && unblock.contains("afternoon: Mon 14:00-15:00 UTC"),
        "{unblock}"
    );
}

#[test]
fn window_days_are_the_days_of_its_time_zone() {
    // Monday 00:00-01:00 in Tokyo is Sunday 15:00-16:00 UTC.
    assert_windows(&[
        ("tokyo", "2026-11-22T14:59:00Z", false), // Sun 23:59 JST
        ("tokyo", "2026-11-22T15:00:00Z", true),  // Mon 00:00 JST
        ("tokyo", "2026-11-22T15:59:00Z", true),
        ("tokyo", "2026-11-22T16:00:00Z", false),
        ("tokyo", "2026-11-23T00:30:00Z", false), // Mon 00:30 UTC is Mon 09:30 JST
    ]);
}

#[test]
fn a_plan_with_nothing_to_do_is_not_blocked_outside_a_window() {
    let r = check(
        &config("windows.hcl"),
        &plan("no-changes.json"),
        &["--env", "berlin", "--now", "2026-11-27T10:00:00Z"],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(p["gates"], Value::Array(vec![]));
    assert_ne!(stage(&p["stage"]), "blocked");
}

// ---- 2. approvals ------------------------------------------------------------------

/// prod (approvals.hcl) needs 2 approvals from platform (alice, bob, carol, dave)
/// for every change. Each row: (extra flags, approvals expected, open?).
fn assert_two_approvals(rows: &[(&str, &str, bool)]) {
    let runs = par(rows, |(extra, ..)| {
        let mut args = flags("--env prod");
        args.extend(flags(extra));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&config("approvals.hcl"), &plan("create.json"), &args)
    });
    let mut f = Failures::default();
    for ((extra, have, open), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let want_stage = if *open { "auto-apply" } else { "blocked" };
        let c = change(&p, "terraform_data.greeting");
        let unblock = c["gates"][0]["unblock"].as_str().unwrap_or("");
        let ok = stage(&p["stage"]) == want_stage
            && r.code == if *open { 0 } else { 1 }
            && if *open {
                c["gates"] == Value::Array(vec![])
            } else {
                rules(&c["gates"]) == ["approval"] && unblock.ends_with(have)
            };
        f.check(
            ok,
            format!(
                "{extra:?}: want {want_stage} ({have}), got {} exit {}, gates {}",
                p["stage"], r.code, c["gates"]
            ),
        );
    }
    f.assert_none();
}

#[test]
fn approvals_count_from_n_minus_1_to_n_with_approver_flags() {
    #[rustfmt::skip]
    assert_two_approvals(&[
        ("", "have 0", false),
        ("--approver alice", "have 1: alice", false),
        ("--approver alice --approver alice", "have 1: alice", false),
        ("--approver alice --approver mallory", "have 1: alice", false),
        ("--approver alice --approver bob", "", true),
        ("--approver ALICE --approver @Bob", "", true),
        ("--approver alice --approver bob --approver carol", "", true),
    ]);
}

#[test]
fn the_authors_own_approval_never_counts() {
    #[rustfmt::skip]
    assert_two_approvals(&[
        ("--author dave --approver dave --approver alice", "have 1: alice", false),
        ("--author Dave --approver dave --approver alice", "have 1: alice", false),
        ("--author dave --approver bob --approver alice", "", true),
        ("--author dave --approvals author-approved.json", "have 1: alice", false),
        // Without --author, dave is just another member of platform.
        ("--approvals author-approved.json", "", true),
    ]);
}

#[test]
fn approvals_file_counts_each_reviewers_latest_review() {
    // The head commit is 9f1c2e4b7a3d5f60818293a4b5c6d7e8f9a0b1c2 (README there).
    #[rustfmt::skip]
    assert_two_approvals(&[
        ("--approvals none.json", "have 0", false),
        ("--approvals one-approved.json", "have 1: alice", false),
        ("--approvals two-approved.json", "", true),
        ("--approvals two-approved.json --commit 9f1c2e4b7a3d5f60818293a4b5c6d7e8f9a0b1c2", "", true),
        // A short SHA is the same commit.
        ("--approvals two-approved.json --commit 9f1c2e4", "", true),
        ("--approvals mixed-case.json", "", true),
        // APPROVED then CHANGES_REQUESTED: no longer approves.
        ("--approvals changes-requested-after-approved.json", "have 1: bob", false),
        // CHANGES_REQUESTED then APPROVED: approves.
        ("--approvals approved-after-changes-requested.json", "", true),
        // APPROVED then COMMENTED: a comment changes nothing.
        ("--approvals commented-after-approved.json", "", true),
        // The latest review by time, not by position in the list.
        ("--approvals out-of-order.json", "have 1: bob", false),
        // A dismissed approval does not count.
        ("--approvals dismissed.json", "have 1: bob", false),
        // alice approved another commit: stale with --commit, counted without.
        ("--approvals stale-commit.json --commit 9f1c2e4b7a3d5f60818293a4b5c6d7e8f9a0b1c2", "have 1: bob", false),
        ("--approvals stale-commit.json --commit 9f1c2e4", "have 1: bob", false),
        ("--approvals stale-commit.json", "", true),
        // --approvals and --approver add up.
        ("--approvals one-approved.json --approver carol", "", true),
        ("--approvals stale-commit.json --commit 9f1c2e4 --approver alice", "", true),
    ]);
}

#[test]
fn approvals_select_changes_by_when_and_resources() {
    // One approval from platform, no approver: exactly the selected changes are
    // gated (environments at auto-apply-all, so nothing else lowers them).
    let all = [
        "terraform_data.app_server",
        "terraform_data.audit_log_bucket",
        "terraform_data.cache",
        "terraform_data.database",
        "terraform_data.legacy_cache",
        "terraform_data.load_balancer",
        "terraform_data.monitoring_alert",
    ];
    let rows: &[(&str, &[&str])] = &[
        // when = "destructive": the replace and the delete (a forget destroys nothing).
        (
            "staging",
            &["terraform_data.database", "terraform_data.legacy_cache"],
        ),
        // when = "delete": the delete only.
        ("qa", &["terraform_data.legacy_cache"]),
        // resources = ["terraform_data.data*"]: the database only.
        ("uat", &["terraform_data.database"]),
        // no approval rule for dev.
        ("dev", &[]),
    ];
    let runs = par(rows, |(env, _)| {
        check(
            &config("approvals.hcl"),
            &plan("mixed.json"),
            &["--env", env],
        )
    });
    for ((env, gated), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        for address in all {
            let c = change(&p, address);
            if gated.contains(&address) {
                assert_eq!(rules(&c["gates"]), ["approval"], "{env} {address}: {c:#}");
                assert_eq!(stage(&c["stage"]), "blocked", "{env} {address}");
            } else {
                assert_eq!(c["gates"], Value::Array(vec![]), "{env} {address}: {c:#}");
                assert_ne!(stage(&c["stage"]), "blocked", "{env} {address}");
            }
        }
        let want = if gated.is_empty() { 0 } else { 1 };
        assert_eq!(r.code, want, "{env}\n{}", r.stderr);
    }
    // With the approval, the staging destroys proceed at the environment's stage.
    let r = check(
        &config("approvals.hcl"),
        &plan("mixed.json"),
        &["--env", "staging", "--approver", "carol"],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(stage(&p["stage"]), "auto-apply-all");
    assert_eq!(
        stage(&change(&p, "terraform_data.database")["stage"]),
        "auto-apply-all"
    );
}

// ---- 2. freezes --------------------------------------------------------------------

#[test]
fn freeze_is_in_effect_from_its_start_inclusive_to_its_end_exclusive() {
    // (env, now, frozen?)
    let rows: &[(&str, &str, bool)] = &[
        ("prod", "2026-12-19T23:59:59Z", false),
        ("prod", "2026-12-20T00:00:00Z", true),
        ("prod", "2026-12-25T12:00:00Z", true),
        ("prod", "2027-01-03T23:59:59Z", true),
        ("prod", "2027-01-04T00:00:00Z", false),
        // Another environment's freeze does not apply.
        ("dev", "2026-12-25T12:00:00Z", false),
        // staging's freeze is written with +02:00: 2026-06-01T22:00Z until
        // 2026-06-02T22:00Z.
        ("staging", "2026-06-01T21:59:59Z", false),
        ("staging", "2026-06-01T22:00:00Z", true),
        ("staging", "2026-06-02T21:59:59Z", true),
        ("staging", "2026-06-02T22:00:00Z", false),
    ];
    let runs = par(rows, |(env, now, _)| {
        check(
            &config("freeze.hcl"),
            &plan("create.json"),
            &["--env", env, "--now", now],
        )
    });
    let mut f = Failures::default();
    for ((env, now, frozen), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let got_frozen = match (stage(&p["stage"]), r.code) {
            ("blocked", 1) if rules(&p["gates"]) == ["freeze"] => Some(true),
            ("auto-apply", 0) if p["gates"] == Value::Array(vec![]) => Some(false),
            _ => None,
        };
        f.check(
            got_frozen == Some(*frozen),
            format!(
                "{env} at {now}: frozen={frozen}, got {} exit {} gates {}",
                p["stage"], r.code, p["gates"]
            ),
        );
    }
    f.assert_none();
}

#[test]
fn freeze_is_lifted_by_one_break_glass_approval_but_not_the_authors() {
    // (extra flags, lifted?)
    #[rustfmt::skip]
    let rows: &[(&str, bool)] = &[
        ("", false),
        ("--approver mallory", false),
        ("--approver alice", true),
        ("--approvals one-approved.json", true),
        ("--author alice --approver alice", false),
        ("--author alice --approvals one-approved.json", false),
        ("--author alice --approver alice --approver bob", true),
    ];
    let runs = par(rows, |(extra, _)| {
        let mut args = flags("--env prod --now 2026-12-25T12:00:00Z");
        args.extend(flags(extra));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&config("freeze.hcl"), &plan("create.json"), &args)
    });
    let mut f = Failures::default();
    for ((extra, lifted), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let ok = if *lifted {
            r.code == 0 && stage(&p["stage"]) == "auto-apply"
        } else {
            r.code == 1
                && rules(&p["gates"]) == ["freeze"]
                && p["gates"][0]["unblock"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("one approval from group platform"))
        };
        f.check(
            ok,
            format!("{extra:?}: lifted={lifted}, got {} {}", r.code, p["gates"]),
        );
    }
    f.assert_none();
}

#[test]
fn freeze_without_break_glass_is_not_lifted_by_approvals() {
    let r = check(
        &config("freeze.hcl"),
        &plan("create.json"),
        &[
            "--env",
            "staging",
            "--now",
            "2026-06-02T10:00:00Z",
            "--approver",
            "alice",
            "--approver",
            "bob",
        ],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(rules(&p["gates"]), ["freeze"]);
    assert_eq!(
        p["gates"][0]["unblock"],
        "no break-glass: wait until 2026-06-03T00:00:00+02:00"
    );
    for c in p["changes"].as_array().unwrap() {
        assert_eq!(stage(&c["stage"]), "blocked", "{c:#}");
        assert_eq!(rules(&c["gates"]), ["freeze"], "{c:#}");
    }
}

#[test]
fn a_plan_with_nothing_to_do_is_not_blocked_by_a_freeze() {
    let r = check(
        &config("freeze.hcl"),
        &plan("no-changes.json"),
        &["--env", "prod", "--now", "2026-12-25T12:00:00Z"],
    );
    r.assert_code(0);
    assert_eq!(the_plan(&r)["gates"], Value::Array(vec![]));
}

// ---- 2. protect --------------------------------------------------------------------

#[test]
fn protect_blocks_destroying_a_protected_resource_until_break_glass() {
    // prod is at promote: protection holds at every stage.
    let r = check(
        &config("protect.hcl"),
        &plan("mixed.json"),
        &["--env", "prod"],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(
        acting_stages(&p),
        map(&[
            ("terraform_data.app_server", "promote"),
            ("terraform_data.audit_log_bucket", "blocked"), // forget: protected, no break-glass
            ("terraform_data.cache", "promote"),
            ("terraform_data.database", "blocked"), // replace: protected
            ("terraform_data.legacy_cache", "blocked"), // delete: protected, no break-glass
            ("terraform_data.load_balancer", "promote"),
            ("terraform_data.monitoring_alert", "promote"),
        ])
    );
    let db = change(&p, "terraform_data.database");
    assert_eq!(rules(&db["gates"]), ["protect"]);
    assert_eq!(stage(&db["eligible"]), "promote");
    assert_eq!(
        db["gates"][0]["unblock"],
        "one approval from group platform (alice, bob) lifts the protection"
    );
    let legacy = change(&p, "terraform_data.legacy_cache");
    assert!(
        legacy["gates"][0]["unblock"]
            .as_str()
            .unwrap()
            .starts_with("no break-glass group"),
        "{legacy:#}"
    );

    // Break-glass lifts the database's protection only.
    let r = check(
        &config("protect.hcl"),
        &plan("mixed.json"),
        &["--env", "prod", "--approver", "bob"],
    );
    let p = the_plan(&r);
    let db = change(&p, "terraform_data.database");
    assert_eq!(db["gates"], Value::Array(vec![]), "{db:#}");
    assert_eq!(stage(&db["stage"]), "promote");
    assert_eq!(
        stage(&change(&p, "terraform_data.legacy_cache")["stage"]),
        "blocked"
    );
    assert_eq!(
        stage(&change(&p, "terraform_data.audit_log_bucket")["stage"]),
        "blocked"
    );

    // Not by the author.
    let r = check(
        &config("protect.hcl"),
        &plan("mixed.json"),
        &["--env", "prod", "--author", "bob", "--approver", "bob"],
    );
    let p = the_plan(&r);
    assert_eq!(
        rules(&change(&p, "terraform_data.database")["gates"]),
        ["protect"]
    );
}

#[test]
fn protect_applies_in_a_stage_2_environment_on_top_of_the_destructive_cap() {
    let r = check(
        &config("protect.hcl"),
        &plan("replace.json"),
        &["--env", "staging"],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    let db = change(&p, "terraform_data.database");
    assert_eq!(stage(&db["stage"]), "blocked");
    assert_eq!(stage(&db["eligible"]), "plan-only");
    assert_eq!(
        rules(&db["reasons"]),
        ["protect", "destructive", "environment"]
    );

    let r = check(
        &config("protect.hcl"),
        &plan("replace.json"),
        &["--env", "staging", "--approver", "alice"],
    );
    r.assert_code(0);
    assert_eq!(stage(&the_plan(&r)["stage"]), "plan-only");
}

#[test]
fn protect_does_not_hold_creates_and_updates_of_a_protected_resource() {
    // update-in-place.json updates, create.json creates: nothing is destroyed.
    for p in ["update-in-place.json", "create.json"] {
        let r = check(&config("protect.hcl"), &plan(p), &["--env", "prod"]);
        r.assert_code(0);
        assert_eq!(stage(&the_plan(&r)["stage"]), "promote", "{p}");
    }
}

// ---- 2. plan health: drift, errored, applyable, incomplete, stale -------------------

#[test]
fn drifted_resource_is_capped_at_plan_only() {
    // Derived from update-in-place.json: a `resource_drift` entry for
    // terraform_data.app_config (one of its updates), as Terraform writes one when
    // the object changed outside Terraform. No real fixture has resource_drift.
    let (_dir, p) = derived("update-in-place.json", |v| {
        let rc = v["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == "terraform_data.app_config")
            .expect("app_config is in the fixture")
            .clone();
        let mut drift = rc.clone();
        drift["change"]["actions"] = serde_json::json!(["update"]);
        drift["change"]["after"] = rc["change"]["before"].clone();
        drift["change"]["before"]["input"] = serde_json::json!("changed by hand");
        v["resource_drift"] = serde_json::json!([drift]);
    });
    let r = check(&config("stages.hcl"), &p, &["--env", "auto-apply-all"]);
    r.assert_code(0);
    let plan_json = the_plan(&r);
    let drifted = change(&plan_json, "terraform_data.app_config");
    assert_eq!(drifted["drifted"], true);
    assert_eq!(stage(&drifted["stage"]), "plan-only");
    assert_eq!(rules(&drifted["reasons"]), ["drift", "environment"]);
    let other = change(&plan_json, "terraform_data.log_level");
    assert!(other.get("drifted").is_none(), "{other:#}");
    assert_eq!(stage(&other["stage"]), "auto-apply-all");
    assert_eq!(stage(&plan_json["stage"]), "plan-only");

    // The real plan, without drift: auto-apply-all.
    let r = check(
        &config("stages.hcl"),
        &plan("update-in-place.json"),
        &["--env", "auto-apply-all"],
    );
    assert_eq!(stage(&the_plan(&r)["stage"]), "auto-apply-all");
}

#[test]
fn errored_plan_is_blocked_even_without_changes() {
    // Derived: `"errored": true` set on real plans (one with changes, one without).
    for fixture in ["create.json", "no-changes.json"] {
        let (_dir, p) = derived(fixture, |v| v["errored"] = Value::Bool(true));
        let r = check(&config("stages.hcl"), &p, &["--env", "promote"]);
        r.assert_code(1);
        let plan_json = the_plan(&r);
        assert_eq!(stage(&plan_json["stage"]), "blocked", "{fixture}");
        assert_eq!(rules(&plan_json["gates"]), ["errored"], "{fixture}");
    }
    let r = check(
        &config("stages.hcl"),
        &plan("create.json"),
        &["--env", "promote"],
    );
    r.assert_code(0);
    assert_eq!(stage(&the_plan(&r)["stage"]), "promote");
}

#[test]
fn applyable_false_blocks_a_plan_with_changes_but_not_one_without() {
    // Real: no-changes.json says applyable false and has only no-ops.
    let r = check(
        &config("stages.hcl"),
        &plan("no-changes.json"),
        &["--env", "auto-apply", "--require-stage", "auto-apply"],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(p["gates"], Value::Array(vec![]));
    assert_ne!(stage(&p["stage"]), "blocked");

    // Derived: create.json with `"applyable": false`.
    let (_dir, p) = derived("create.json", |v| v["applyable"] = Value::Bool(false));
    let r = check(&config("stages.hcl"), &p, &["--env", "auto-apply"]);
    r.assert_code(1);
    let plan_json = the_plan(&r);
    assert_eq!(stage(&plan_json["stage"]), "blocked");
    assert_eq!(rules(&plan_json["gates"]), ["not-applyable"]);
}

#[test]
fn incomplete_plan_is_capped_at_plan_only() {
    // Derived: create.json with `"complete": false` (a -target plan).
    let (_dir, p) = derived("create.json", |v| v["complete"] = Value::Bool(false));
    let r = check(&config("stages.hcl"), &p, &["--env", "promote"]);
    r.assert_code(0);
    let plan_json = the_plan(&r);
    assert_eq!(stage(&plan_json["stage"]), "plan-only");
    assert_eq!(rules(&plan_json["reasons"])[0], "incomplete");
    let c = change(&plan_json, "terraform_data.greeting");
    assert_eq!(stage(&c["stage"]), "plan-only");
    assert_eq!(rules(&c["reasons"]), ["incomplete"]);
}

#[test]
fn max_plan_age_blocks_stale_and_undated_plans_and_passes_fresh_ones() {
    let t = planned_at("create.json");
    let age = |secs: i64| rfc3339(t + chrono::Duration::seconds(secs));
    let day = 24 * 3600;
    // (plan path, now, stale?)
    let (_d1, undated) = derived("create.json", |v| {
        v.as_object_mut().unwrap().remove("timestamp");
    });
    let (_d2, garbled) = derived("create.json", |v| {
        v["timestamp"] = Value::from("yesterday at noon")
    });
    let real = plan("create.json");
    let rows: Vec<(&str, String, bool, &str)> = vec![
        (&real, age(0), false, ""),
        (&real, age(day - 1), false, ""),
        (&real, age(day), false, ""), // exactly max_plan_age old: fine
        (&real, age(day + 1), true, "older than max_plan_age 24h"),
        (&real, age(3 * day), true, "the plan is 72h old"),
        (&real, age(-3600), false, ""), // planned in the future (clock skew)
        (&undated, age(0), true, "no timestamp"),
        (&garbled, age(0), true, "not an RFC 3339 time"),
    ];
    let runs = par(&rows, |(p, now, ..)| {
        check(&config("plan-age.hcl"), p, &["--env", "prod", "--now", now])
    });
    let mut f = Failures::default();
    for ((p, now, stale, why), r) in rows.iter().zip(&runs) {
        let plan_json = the_plan(r);
        let ok = if *stale {
            r.code == 1
                && rules(&plan_json["gates"]) == ["stale"]
                && plan_json["gates"][0]["reason"]
                    .as_str()
                    .is_some_and(|s| s.contains(why))
        } else {
            r.code == 0 && stage(&plan_json["stage"]) == "auto-apply"
        };
        f.check(
            ok,
            format!(
                "{p} at {now}: stale={stale}, got {} {}",
                r.code, plan_json["gates"]
            ),
        );
    }
    f.assert_none();
    // Without max_plan_age, an undated plan is fine.
    let r = check(&config("stages.hcl"), &undated, &["--env", "auto-apply"]);
    r.assert_code(0);
}

// ---- 2. blast radius ---------------------------------------------------------------

#[test]
fn blast_radius_at_the_limit_passes_and_one_over_is_plan_only() {
    // create.json: 6 changes, 0 destroys. destroy-all.json: 4 changes, 4 destroys.
    // (config, plan, stage, reason fragment)
    let rows: &[(&str, &str, &str, &str)] = &[
        (
            "blast-radius-at-limit.hcl",
            "create.json",
            "auto-apply-all",
            "",
        ),
        (
            "blast-radius-at-limit.hcl",
            "destroy-all.json",
            "auto-apply-all",
            "",
        ),
        (
            "blast-radius-over.hcl",
            "create.json",
            "plan-only",
            "the plan changes 6 resources, more than max_changes 5",
        ),
        (
            "blast-radius-over.hcl",
            "destroy-all.json",
            "plan-only",
            "the plan destroys or replaces 4 resources, more than max_destroys 3",
        ),
    ];
    let runs = par(rows, |(cfg, p, ..)| check(&config(cfg), &plan(p), &[]));
    for ((cfg, p, st, why), r) in rows.iter().zip(&runs) {
        r.assert_code(0);
        let plan_json = the_plan(r);
        assert_eq!(stage(&plan_json["stage"]), *st, "{cfg} {p}");
        let blast: Vec<&Value> = plan_json["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["rule"] == "blast-radius")
            .collect();
        if why.is_empty() {
            assert!(blast.is_empty(), "{cfg} {p}: {blast:?}");
        } else {
            assert_eq!(blast.len(), 1, "{cfg} {p}: {blast:?}");
            assert!(
                blast[0]["message"].as_str().unwrap().contains(why),
                "{cfg} {p}: {blast:?}"
            );
            // A plan-wide cap lowers every change.
            for c in plan_json["changes"].as_array().unwrap() {
                assert_eq!(stage(&c["stage"]), "plan-only", "{c:#}");
                assert!(rules(&c["reasons"]).contains(&"blast-radius".to_string()));
            }
        }
    }
}

// ---- 2. destructive, forget, deposed, unknown-after, modules ------------------------

#[test]
fn plans_by_environment_stage_over_every_real_action() {
    // The plan's stage in the environments blocked, plan-only, auto-apply,
    // auto-apply-all and promote of stages.hcl (no rules): the environment's stage,
    // except that stage 2 leaves destroys, replaces and forgets to a human.
    const SAFE: [&str; 5] = [
        "blocked",
        "plan-only",
        "auto-apply",
        "auto-apply-all",
        "promote",
    ];
    const DESTROYS: [&str; 5] = [
        "blocked",
        "plan-only",
        "plan-only",
        "auto-apply-all",
        "promote",
    ];
    let rows: &[(&str, [&str; 5])] = &[
        ("create.json", SAFE),
        ("update-in-place.json", SAFE),
        ("import.json", SAFE),
        ("moved-and-updated.json", SAFE),
        ("data-source.json", SAFE),
        ("unknown-after.json", SAFE),
        ("replace.json", DESTROYS),
        ("replace-create-before-destroy.json", DESTROYS),
        ("replace-by-request.json", DESTROYS),
        ("replace-triggered-by.json", DESTROYS),
        ("delete.json", DESTROYS),
        ("destroy-all.json", DESTROYS),
        ("forget.json", DESTROYS),
        ("deposed.json", DESTROYS),
        ("modules.json", DESTROYS),
        ("mixed.json", DESTROYS),
    ];
    let envs = [
        "blocked",
        "plan-only",
        "auto-apply",
        "auto-apply-all",
        "promote",
    ];
    let cells: Vec<(&str, usize)> = rows
        .iter()
        .flat_map(|(p, _)| (0..envs.len()).map(move |i| (*p, i)))
        .collect();
    let runs = par(&cells, |(p, i)| {
        check(&config("stages.hcl"), &plan(p), &["--env", envs[*i]])
    });
    let mut f = Failures::default();
    for ((p, i), r) in cells.iter().zip(&runs) {
        let want = rows.iter().find(|(q, _)| q == p).unwrap().1[*i];
        let plan_json = the_plan(r);
        let want_code = if want == "blocked" { 1 } else { 0 };
        f.check(
            stage(&plan_json["stage"]) == want
                && r.code == want_code
                && plan_json["environment"] == envs[*i],
            format!(
                "{p} in {}: want {want}, got {} exit {}",
                envs[*i], plan_json["stage"], r.code
            ),
        );
    }
    f.assert_none();
}

#[test]
fn destructive_changes_are_plan_only_in_stage_2_and_automated_in_stage_3() {
    let stage_of = |env: &str| {
        let r = check(&config("stages.hcl"), &plan("mixed.json"), &["--env", env]);
        acting_stages(&the_plan(&r))
    };
    assert_eq!(
        stage_of("auto-apply"),
        map(&[
            ("terraform_data.app_server", "auto-apply"),
            ("terraform_data.audit_log_bucket", "plan-only"),
            ("terraform_data.cache", "auto-apply"),
            ("terraform_data.database", "plan-only"),
            ("terraform_data.legacy_cache", "plan-only"),
            ("terraform_data.load_balancer", "auto-apply"),
            ("terraform_data.monitoring_alert", "auto-apply"),
        ])
    );
    let all3: Vec<(&str, &str)> = [
        "terraform_data.app_server",
        "terraform_data.audit_log_bucket",
        "terraform_data.cache",
        "terraform_data.database",
        "terraform_data.legacy_cache",
        "terraform_data.load_balancer",
        "terraform_data.monitoring_alert",
    ]
    .iter()
    .map(|a| (*a, "auto-apply-all"))
    .collect();
    assert_eq!(stage_of("auto-apply-all"), map(&all3));
}

#[test]
fn replace_in_either_order_is_destructive_with_its_replace_order() {
    for (fixture, address, order) in [
        (
            "replace.json",
            "terraform_data.database",
            "destroy-before-create",
        ),
        (
            "replace-create-before-destroy.json",
            "terraform_data.load_balancer",
            "create-before-destroy",
        ),
    ] {
        let r = check(
            &config("stages.hcl"),
            &plan(fixture),
            &["--env", "auto-apply"],
        );
        let p = the_plan(&r);
        let c = change(&p, address);
        assert_eq!(c["action"], "replace", "{fixture}");
        assert_eq!(c["destructive"], true, "{fixture}");
        assert_eq!(c["replace_order"], order, "{fixture}");
        assert_eq!(stage(&c["stage"]), "plan-only", "{fixture}");
        assert_eq!(
            rules(&c["reasons"]),
            ["destructive", "environment"],
            "{fixture}"
        );
    }
}

#[test]
fn forget_is_plan_only_in_stage_2_and_automated_in_stage_3() {
    let r = check(
        &config("stages.hcl"),
        &plan("forget.json"),
        &["--env", "auto-apply"],
    );
    let p = the_plan(&r);
    let c = change(&p, "terraform_data.legacy_queue");
    assert_eq!(c["action"], "forget");
    assert_eq!(c["destructive"], false);
    assert_eq!(stage(&c["stage"]), "plan-only");
    assert_eq!(rules(&c["reasons"]), ["forget", "environment"]);
    // The no-op beside it stays at the environment's stage.
    assert_eq!(
        stage(&change(&p, "terraform_data.worker")["stage"]),
        "auto-apply"
    );

    let r = check(
        &config("stages.hcl"),
        &plan("forget.json"),
        &["--env", "auto-apply-all"],
    );
    let p = the_plan(&r);
    assert_eq!(
        stage(&change(&p, "terraform_data.legacy_queue")["stage"]),
        "auto-apply-all"
    );
}

#[test]
fn deposed_object_is_a_destructive_change_of_its_own() {
    let r = check(
        &config("stages.hcl"),
        &plan("deposed.json"),
        &["--env", "auto-apply"],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    let lb: Vec<&Value> = p["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["address"] == "terraform_data.load_balancer")
        .collect();
    assert_eq!(lb.len(), 2, "the current and the deposed object: {lb:#?}");
    let deposed = lb.iter().find(|c| c.get("deposed").is_some()).unwrap();
    assert_eq!(deposed["deposed"], "8038c1bf");
    assert_eq!(deposed["action"], "delete");
    assert_eq!(deposed["destructive"], true);
    assert_eq!(stage(&deposed["stage"]), "plan-only");
    assert!(
        deposed["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(deposed object 8038c1bf) will be destroyed"),
        "{deposed:#}"
    );
    let current = change(&p, "terraform_data.load_balancer");
    assert_eq!(current["action"], "replace");
    assert_eq!(stage(&current["stage"]), "plan-only");

    let r = check(
        &config("stages.hcl"),
        &plan("deposed.json"),
        &["--env", "auto-apply-all"],
    );
    let p = the_plan(&r);
    for c in p["changes"].as_array().unwrap() {
        assert_eq!(stage(&c["stage"]), "auto-apply-all", "{c:#}");
    }
}

#[test]
fn deposed_and_current_object_each_get_only_their_own_reason() {
    let r = check(
        &config("stages.hcl"),
        &plan("deposed.json"),
        &["--env", "auto-apply"],
    );
    let p = the_plan(&r);
    for c in p["changes"].as_array().unwrap() {
        if c["address"] != "terraform_data.load_balancer" {
            continue;
        }
        let destructive: Vec<&str> = c["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["rule"] == "destructive")
            .map(|x| x["message"].as_str().unwrap())
            .collect();
        assert_eq!(destructive.len(), 1, "{c:#}");
        let about_deposed = destructive[0].contains("deposed object");
        assert_eq!(about_deposed, c.get("deposed").is_some(), "{c:#}");
    }
}

#[test]
fn values_unknown_until_apply_do_not_make_a_change_destructive() {
    let r = check(
        &config("stages.hcl"),
        &plan("unknown-after.json"),
        &["--env", "auto-apply", "--require-stage", "auto-apply"],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(
        acting_stages(&p),
        map(&[
            ("terraform_data.consumer", "auto-apply"),
            ("terraform_data.network", "auto-apply"),
            ("terraform_data.server", "auto-apply"),
            ("terraform_data.subnet", "auto-apply"),
        ])
    );
    for c in p["changes"].as_array().unwrap() {
        assert_eq!(c["destructive"], false, "{c:#}");
    }
}

#[test]
fn module_changes_are_decided_one_by_one() {
    let r = check(
        &config("stages.hcl"),
        &plan("modules.json"),
        &["--env", "auto-apply"],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    let want = map(&[
        (
            "module.service[\"legacy\"].terraform_data.instance[0]",
            "plan-only",
        ),
        (
            "module.service[\"legacy\"].terraform_data.listener[\"8000\"]",
            "plan-only",
        ),
        (
            "module.service[\"legacy\"].terraform_data.release",
            "plan-only",
        ),
        (
            "module.service[\"legacy\"].module.dns.terraform_data.record",
            "plan-only",
        ),
        (
            "module.service[\"web\"].terraform_data.listener[\"80\"]",
            "plan-only",
        ),
        ("module.worker[1].terraform_data.consumer", "plan-only"),
        (
            "module.service[\"search\"].terraform_data.instance[0]",
            "auto-apply",
        ),
        (
            "module.service[\"search\"].terraform_data.listener[\"9200\"]",
            "auto-apply",
        ),
        (
            "module.service[\"search\"].terraform_data.release",
            "auto-apply",
        ),
        (
            "module.service[\"search\"].module.dns.terraform_data.record",
            "auto-apply",
        ),
        (
            "module.service[\"web\"].terraform_data.instance[2]",
            "auto-apply",
        ),
        (
            "module.service[\"web\"].terraform_data.release",
            "auto-apply",
        ),
        (
            "module.service[\"web\"].module.dns.terraform_data.record",
            "auto-apply",
        ),
        ("module.worker[0].terraform_data.consumer", "auto-apply"),
    ]);
    assert_eq!(acting_stages(&p), want);
    assert_eq!(stage(&p["stage"]), "plan-only");
}

#[test]
fn protect_globs_reach_into_module_instances() {
    // protect.hcl protects `module.worker*.**` (break-glass platform).
    let r = check(
        &config("protect.hcl"),
        &plan("modules.json"),
        &["--env", "staging"],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    let gated: Vec<String> = p["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["gates"].as_array().unwrap().is_empty())
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    // The worker[1] delete is protected; the worker[0] update destroys nothing.
    assert_eq!(gated, ["module.worker[1].terraform_data.consumer"]);
    let r = check(
        &config("protect.hcl"),
        &plan("modules.json"),
        &["--env", "staging", "--approver", "alice"],
    );
    r.assert_code(0);
    assert_eq!(stage(&the_plan(&r)["stage"]), "plan-only");
}

// ---- 3. environment selection -------------------------------------------------------

/// A repository with environments.hcl as plangate.hcl and mixed.json under
/// envs/prod, envs/staging and envs/other.
fn env_repo() -> tempfile::TempDir {
    repo(&[
        ("tests/fixtures/configs/environments.hcl", "plangate.hcl"),
        ("fixtures/plans/mixed.json", "envs/prod/plan.json"),
        ("fixtures/plans/mixed.json", "envs/staging/plan.json"),
        ("fixtures/plans/mixed.json", "envs/other/plan.json"),
        ("fixtures/plans/mixed.json", "plan.json"),
    ])
}

#[test]
fn environment_is_matched_from_the_plan_path_else_the_default() {
    let dir = env_repo();
    // (plan path relative to the repository, environment, its stage)
    let rows: &[(&str, &str, &str)] = &[
        ("envs/prod/plan.json", "prod", "promote"),
        ("./envs/prod/plan.json", "prod", "promote"),
        ("envs/staging/plan.json", "staging", "auto-apply"),
        ("envs/other/plan.json", "dev", "auto-apply-all"),
        ("plan.json", "dev", "auto-apply-all"),
    ];
    let runs = par(rows, |(p, ..)| check_in(dir.path(), &[p]));
    for ((p, env, st), r) in rows.iter().zip(&runs) {
        let plan_json = the_plan(r);
        assert_eq!(plan_json["environment"], *env, "{p}");
        assert_eq!(stage(&plan_json["environment_stage"]), *st, "{p}");
    }
    // Globs are written from where plangate.hcl is: an absolute path and a path
    // given from a subdirectory (config found in the parent) match the same way.
    let abs = dir.path().join("envs/prod/plan.json").display().to_string();
    let r = check_in(dir.path(), &[&abs]);
    assert_eq!(the_plan(&r)["environment"], "prod", "{abs}");
    let r = check_in(&dir.path().join("envs"), &["prod/plan.json"]);
    assert_eq!(the_plan(&r)["environment"], "prod");
    let r = check_in(&dir.path().join("envs/staging"), &["plan.json"]);
    assert_eq!(the_plan(&r)["environment"], "staging");
    // A plan outside the config's tree, given by a path matching no glob: the default.
    let r = check(
        &dir.path().join("plangate.hcl").display().to_string(),
        &plan("mixed.json"),
        &[],
    );
    assert_eq!(the_plan(&r)["environment"], "dev");
}

#[test]
fn a_directory_argument_gives_each_plan_its_own_environment() {
    let dir = env_repo();
    let r = check_in(dir.path(), &["envs"]);
    r.assert_code(0);
    let doc = r.json();
    let got: BTreeMap<String, String> = doc["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_string(),
                p["environment"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        map(&[
            ("envs/other/plan.json", "dev"),
            ("envs/prod/plan.json", "prod"),
            ("envs/staging/plan.json", "staging"),
        ])
    );
}

#[test]
fn env_flag_wins_over_match_and_default() {
    let dir = env_repo();
    for (p, env) in [
        ("envs/prod/plan.json", "staging"),
        ("envs/other/plan.json", "prod"),
        ("plan.json", "staging"),
    ] {
        let r = check_in(dir.path(), &["--env", env, p]);
        assert_eq!(the_plan(&r)["environment"], env, "{p}");
    }
}

#[test]
fn unknown_env_flag_is_exit_2_listing_the_environments() {
    let r = check(
        &config("environments.hcl"),
        &plan("mixed.json"),
        &["--env", "prdo"],
    );
    assert_diagnostic_without_file(&r, "plangate::cli::unknown_environment");
    assert!(r.stderr.contains("prdo"), "{}", r.stderr);
    let help = help_text(&r.stderr);
    assert_eq!(
        help,
        "did you mean `prod`? environments are: dev, prod, staging"
    );
    assert_eq!(r.json()["exit_code"], 2);
}

#[test]
fn unmatched_plan_without_default_environment_is_exit_2() {
    let r = check(&config("no-default.hcl"), &plan("mixed.json"), &[]);
    assert_diagnostic(&r, "mixed.json", "plangate::context::no_environment");
    // --env settles it.
    let r = check(
        &config("no-default.hcl"),
        &plan("mixed.json"),
        &["--env", "prod"],
    );
    r.assert_code(0);
    assert_eq!(the_plan(&r)["environment"], "prod");
}

#[test]
fn without_any_config_the_embedded_default_is_one_plan_only_environment() {
    // A directory with no plangate.hcl in it or above it (the temp dir).
    let dir = repo(&[("fixtures/plans/mixed.json", "plan.json")]);
    assert!(
        plangate::config::find(dir.path()).is_none(),
        "a plangate.hcl above {} would hide the embedded default",
        dir.path().display()
    );
    let r = check_in(dir.path(), &["plan.json"]);
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(p["environment"], "default");
    assert_eq!(stage(&p["environment_stage"]), "plan-only");
    assert_eq!(stage(&p["stage"]), "plan-only");
    for c in p["changes"].as_array().unwrap() {
        assert_eq!(stage(&c["stage"]), "plan-only", "{c:#}");
    }
    // Nothing reaches auto-apply with the default.
    let r = check_in(dir.path(), &["--require-stage", "auto-apply", "plan.json"]);
    r.assert_code(1);
    let r = check_in(dir.path(), &["--env", "prod", "plan.json"]);
    assert_diagnostic_without_file(&r, "plangate::cli::unknown_environment");
}

// ---- 4. policy sets and user stage rules --------------------------------------------

fn policy_set(enforcement: &str) -> String {
    config(&format!("policy-sets/{enforcement}.hcl"))
}

#[test]
fn advisory_policy_set_turns_a_deny_into_a_warning() {
    let r = check(&policy_set("advisory"), &plan("mixed.json"), &[]);
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(p["failures"], Value::Array(vec![]));
    let warnings: Vec<&str> = p["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["msg"].as_str().unwrap())
        .collect();
    assert!(
        warnings.contains(&"terraform_data.database would be replaced"),
        "{warnings:?}"
    );
    assert_eq!(p["gates"], Value::Array(vec![]));
    assert_eq!(stage(&p["stage"]), "auto-apply-all");
}

#[test]
fn soft_mandatory_policy_set_blocks_until_an_owner_approves() {
    // (extra flags, blocked?); security-team is erin and frank.
    #[rustfmt::skip]
    let rows: &[(&str, bool)] = &[
        ("", true),
        ("--approver alice", true), // not an owner
        ("--author erin --approver erin", true), // the author
        ("--approver erin", false),
        ("--approver Frank", false),
        ("--approvals erin-approved.json", false),
        ("--author erin --approvals erin-approved.json", true),
    ];
    let runs = par(rows, |(extra, _)| {
        let args = flags(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&policy_set("soft-mandatory"), &plan("mixed.json"), &args)
    });
    let mut f = Failures::default();
    for ((extra, blocked), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let ok = if *blocked {
            r.code == 1
                && stage(&p["stage"]) == "blocked"
                && rules(&p["gates"]) == ["security.deny"]
                && p["gates"][0]["unblock"]
                    == "an approval from group security-team (erin, frank) overrides it"
        } else {
            r.code == 0
                && stage(&p["stage"]) == "auto-apply-all"
                && p["gates"] == Value::Array(vec![])
        };
        f.check(
            ok,
            format!(
                "{extra:?}: blocked={blocked}, got {} {}",
                r.code, p["gates"]
            ),
        );
    }
    f.assert_none();
}

#[test]
fn hard_mandatory_policy_set_blocks_even_with_approvals() {
    for extra in [&[][..], &["--approver", "erin", "--approver", "frank"][..]] {
        let r = check(&policy_set("hard-mandatory"), &plan("mixed.json"), extra);
        r.assert_code(1);
        let p = the_plan(&r);
        assert_eq!(stage(&p["stage"]), "blocked", "{extra:?}");
        assert_eq!(rules(&p["gates"]), ["security.deny"], "{extra:?}");
        assert!(
            p["gates"][0]["unblock"]
                .as_str()
                .unwrap()
                .contains("cannot be overridden"),
            "{extra:?}: {:#}",
            p["gates"]
        );
        assert_eq!(
            p["failures"][0]["msg"],
            "terraform_data.database would be replaced"
        );
        // The deny holds every change of the plan.
        for c in p["changes"].as_array().unwrap() {
            assert_eq!(stage(&c["stage"]), "blocked", "{c:#}");
        }
    }
    // A plan the policy set passes is not held.
    let r = check(&policy_set("hard-mandatory"), &plan("create.json"), &[]);
    r.assert_code(0);
    assert_eq!(stage(&the_plan(&r)["stage"]), "auto-apply-all");
}

#[test]
fn policy_set_with_a_missing_path_is_exit_2() {
    let cfg = policy_set("missing-path");
    let r = check(&cfg, &plan("mixed.json"), &[]);
    assert_diagnostic(&r, &cfg, "plangate::config::missing_policy_set");
    assert!(r.stderr.contains("no-such-set"), "{}", r.stderr);
    assert_eq!(snippet_position(&r.stderr, &cfg), (7, 17), "{}", r.stderr);
}

#[test]
fn hard_mandatory_policy_set_is_evaluated_whatever_the_namespace_flags() {
    let r = check(
        &policy_set("hard-mandatory"),
        &plan("mixed.json"),
        &["-p", &config("policy-sets/extra-main"), "-n", "main"],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(rules(&p["gates"]), ["security.deny"]);
}

#[test]
fn a_deny_outside_an_advisory_policy_set_stays_hard_mandatory_in_the_same_package() {
    let r = check(
        &policy_set("advisory"),
        &plan("create.json"),
        // The extra policy shares the set's package, so it is selected by name.
        &[
            "-p",
            &config("policy-sets/extra-same-package"),
            "-n",
            "security",
        ],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(stage(&p["stage"]), "blocked");
    assert_eq!(p["failures"][0]["msg"], "no creates outside the policy set");
}

/// The messages of a plan's `failures` or `warnings`, sorted.
fn msgs(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["msg"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// The reasons of a plan's gates.
fn gate_reasons(p: &Value) -> Vec<String> {
    p["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn nested_policy_sets_each_keep_their_own_enforcement() {
    // Both sets are `package main`; rego/nested/inner lies inside rego/nested. Each
    // file belongs to the deepest set only, so each deny is reported once, at its
    // own set's level. (config, blocking message, warning-only message)
    #[rustfmt::skip]
    let rows = [
        ("nested-outer-advisory.hcl", "inner: terraform_data.database would be replaced",
         "outer: terraform_data.legacy_cache would be deleted", "hard-mandatory policy set inner"),
        ("nested-outer-hard.hcl", "outer: terraform_data.legacy_cache would be deleted",
         "inner: terraform_data.database would be replaced", "hard-mandatory policy set z-outer"),
    ];
    let runs = par(&rows, |(cfg, ..)| {
        check(
            &config(&format!("policy-sets/{cfg}")),
            &plan("mixed.json"),
            &[],
        )
    });
    for ((cfg, blocking, advisory, set), r) in rows.iter().zip(&runs) {
        r.assert_code(1);
        let p = the_plan(r);
        assert_eq!(stage(&p["stage"]), "blocked", "{cfg}");
        assert_eq!(msgs(&p["failures"]), [*blocking], "{cfg}");
        assert_eq!(msgs(&p["warnings"]), [*advisory], "{cfg}");
        assert_eq!(rules(&p["gates"]), ["main.deny"], "{cfg}");
        assert_eq!(
            gate_reasons(&p),
            [format!("{set}: main.deny failed: {blocking}")],
            "{cfg}"
        );
    }
}

#[test]
fn two_policy_sets_in_package_main_advisory_only_warns_and_hard_blocks() {
    let r = check(
        &config("policy-sets/main-advisory-and-hard.hcl"),
        &plan("mixed.json"),
        &[],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(stage(&p["stage"]), "blocked");
    assert_eq!(
        msgs(&p["failures"]),
        ["hard set: terraform_data.database would be replaced"]
    );
    assert_eq!(
        msgs(&p["warnings"]),
        [
            "advisory set evaluated",
            "advisory set: terraform_data.database would be replaced",
            "hard set evaluated",
        ]
    );
    assert_eq!(
        gate_reasons(&p),
        ["hard-mandatory policy set rules: main.deny failed: hard set: terraform_data.database would be replaced"]
    );
    // Each finding names the set it came from.
    assert_eq!(p["failures"][0]["set"], "rules");
    for w in p["warnings"].as_array().unwrap() {
        let set = if w["msg"].as_str().unwrap().starts_with("advisory") {
            "advice"
        } else {
            "rules"
        };
        assert_eq!(w["set"], set, "{w:#}");
    }
    // Both sets' rules ran and each passed its warn-less rules once: one `main`
    // namespace count for conftest's formats, not one per set.
    let r = check(
        &config("policy-sets/main-advisory-and-hard.hcl"),
        &plan("create.json"),
        &[],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(p["failures"], Value::Array(vec![]));
    assert_eq!(
        msgs(&p["warnings"]),
        ["advisory set evaluated", "hard set evaluated"]
    );
}

#[test]
fn soft_mandatory_set_in_package_main_is_overridden_by_its_owners_while_the_hard_one_blocks() {
    let cfg = config("policy-sets/main-soft-and-hard.hcl");
    let hard = "hard-mandatory policy set hard: main.deny failed: hard set: terraform_data.database would be replaced";
    let soft = "soft-mandatory policy set soft: main.deny failed: soft set: terraform_data.database would be replaced";
    // (extra flags, gate reasons)
    #[rustfmt::skip]
    let rows: &[(&str, &[&str])] = &[
        ("", &[hard, soft]),
        ("--approver alice", &[hard, soft]), // not an owner
        ("--author erin --approver erin", &[hard, soft]), // the author
        ("--approver erin", &[hard]),
        ("--approvals erin-approved.json", &[hard]),
    ];
    let runs = par(rows, |(extra, _)| {
        let args = flags(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&cfg, &plan("mixed.json"), &args)
    });
    let mut f = Failures::default();
    for ((extra, reasons), r) in rows.iter().zip(&runs) {
        let p = the_plan(r);
        let mut got = gate_reasons(&p);
        got.sort();
        let ok = r.code == 1 && stage(&p["stage"]) == "blocked" && got == *reasons;
        f.check(
            ok,
            format!("{extra:?}: want {reasons:?}, got {} {got:?}", r.code),
        );
    }
    f.assert_none();
    // The overridden failure is still shown, as a warning.
    let p = the_plan(&runs[3]);
    assert!(
        msgs(&p["warnings"])
            .contains(&"soft set: terraform_data.database would be replaced".to_string()),
        "{:#}",
        p["warnings"]
    );
}

#[test]
fn two_policy_sets_on_one_path_is_exit_2_at_the_second_block() {
    let cfg = config("policy-sets/duplicate-path.hcl");
    let r = check(&cfg, &plan("mixed.json"), &[]);
    assert_diagnostic(&r, &cfg, "plangate::config::duplicate_policy_set_path");
    assert!(
        r.stderr.contains("`security` and `compliance`"),
        "{}",
        r.stderr
    );
    assert_eq!(snippet_position(&r.stderr, &cfg), (11, 17), "{}", r.stderr);
}

#[test]
fn a_policy_path_around_a_policy_set_leaves_the_sets_files_to_the_set() {
    // `-p rego/nested` holds the advisory inner set's directory: the inner file runs
    // once, in its set (a warning), and the -p policies keep only the outer file
    // (hard-mandatory, as every -p policy).
    let r = check(
        &config("policy-sets/inner-only.hcl"),
        &plan("mixed.json"),
        &["-p", &config("policy-sets/rego/nested")],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    assert_eq!(
        msgs(&p["failures"]),
        ["outer: terraform_data.legacy_cache would be deleted"]
    );
    assert_eq!(
        msgs(&p["warnings"]),
        ["inner: terraform_data.database would be replaced"]
    );
    assert_eq!(
        gate_reasons(&p),
        ["policy main.deny failed: outer: terraform_data.legacy_cache would be deleted"]
    );
}

#[test]
fn a_namespace_flag_naming_a_sets_package_is_no_error_and_an_unknown_one_is() {
    // `--namespace` selects among the -p policies; a package of a policy set runs
    // in its set, whole, so naming it is no error. A name nothing declares is.
    let r = check(
        &policy_set("hard-mandatory"),
        &plan("mixed.json"),
        &["-n", "security"],
    );
    r.assert_code(1);
    assert_eq!(rules(&the_plan(&r)["gates"]), ["security.deny"]);
    let r = check(
        &policy_set("hard-mandatory"),
        &plan("mixed.json"),
        &["-n", "no_such_package"],
    );
    assert_diagnostic_without_file(&r, "plangate::policy::namespace_not_found");
}

#[test]
fn a_policy_set_that_runs_out_of_time_is_exit_2_not_a_pass() {
    // Advisory, yet a rule that did not finish is an error (the timeout is found by
    // regorus' typed limit error).
    let r = check(
        &config("policy-sets/loops.hcl"),
        &plan("create.json"),
        &["--timeout", "300ms"],
    );
    r.assert_code(2);
    assert!(r.all().contains("plangate::policy::timeout"), "{}", r.all());
}

fn stage_rules(name: &str) -> String {
    config(&format!("stage-rules/{name}"))
}

#[test]
fn user_cap_with_address_lowers_only_that_change() {
    let r = check(
        &config("stages.hcl"),
        &plan("mixed.json"),
        &["--env", "auto-apply-all", "-p", &stage_rules("cap_address")],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    let cache = change(&p, "terraform_data.cache");
    assert_eq!(stage(&cache["stage"]), "plan-only");
    assert_eq!(rules(&cache["reasons"]), ["cache-by-hand", "environment"]);
    assert_eq!(
        cache["reasons"][0]["message"],
        "terraform_data.cache is a cache: applied by hand"
    );
    assert_eq!(
        stage(&change(&p, "terraform_data.load_balancer")["stage"]),
        "auto-apply-all"
    );
    assert_eq!(stage(&p["stage"]), "plan-only");
}

#[test]
fn user_cap_without_address_lowers_the_whole_plan() {
    let r = check(
        &config("stages.hcl"),
        &plan("create.json"),
        &["--env", "promote", "-p", &stage_rules("cap_plan")],
    );
    r.assert_code(0);
    let p = the_plan(&r);
    assert_eq!(stage(&p["stage"]), "auto-apply");
    assert_eq!(rules(&p["reasons"]), ["main.cap"]);
    for c in p["changes"].as_array().unwrap() {
        assert_eq!(stage(&c["stage"]), "auto-apply", "{c:#}");
        assert_eq!(rules(&c["reasons"]), ["main.cap"], "{c:#}");
    }
}

#[test]
fn user_gate_with_address_blocks_only_that_change() {
    let r = check(
        &config("stages.hcl"),
        &plan("mixed.json"),
        &[
            "--env",
            "auto-apply-all",
            "-p",
            &stage_rules("gate_address"),
        ],
    );
    r.assert_code(1);
    let p = the_plan(&r);
    let lb = change(&p, "terraform_data.load_balancer");
    assert_eq!(stage(&lb["stage"]), "blocked");
    assert_eq!(stage(&lb["eligible"]), "auto-apply-all");
    assert_eq!(
        lb["gates"],
        serde_json::json!([{
            "rule": "lb-ticket",
            "reason": "terraform_data.load_balancer needs a change ticket",
            "unblock": "link a change ticket",
        }])
    );
    assert_eq!(
        stage(&change(&p, "terraform_data.cache")["stage"]),
        "auto-apply-all"
    );
    assert_eq!(stage(&p["stage"]), "blocked");
    assert_eq!(rules(&p["gates"]), ["lb-ticket"]);
}

#[test]
fn user_gate_without_address_blocks_the_plan_even_with_nothing_to_do() {
    for fixture in ["create.json", "no-changes.json"] {
        let r = check(
            &config("stages.hcl"),
            &plan(fixture),
            &["--env", "promote", "-p", &stage_rules("gate_plan")],
        );
        r.assert_code(1);
        let p = the_plan(&r);
        assert_eq!(stage(&p["stage"]), "blocked", "{fixture}");
        assert_eq!(rules(&p["gates"]), ["ticket"], "{fixture}");
        assert_eq!(
            p["gates"][0]["unblock"], "add the ticket id to the PR title",
            "{fixture}"
        );
    }
}

#[test]
fn user_cap_without_reason_or_with_a_bad_stage_is_exit_2() {
    for (dir, what) in [("cap_no_reason", "reason"), ("cap_bad_stage", "auto-aply")] {
        let r = check(
            &config("stages.hcl"),
            &plan("create.json"),
            &["--env", "promote", "-p", &stage_rules(dir)],
        );
        r.assert_code(2);
        assert_no_panic(&r);
        assert!(
            r.stderr.contains("plangate::policy::bad_stage_rule"),
            "{dir}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(what), "{dir}: {}", r.stderr);
        assert!(
            help_text(&r.stderr).contains("docs/policy-api.md"),
            "{}",
            r.stderr
        );
    }
}

// ---- 5. CODEOWNERS -----------------------------------------------------------------

/// A repository: tests/fixtures/codeowners/plangate.hcl at the root, its CODEOWNERS
/// as .github/CODEOWNERS, and create.json under envs/{prod,staging,dev} and at the
/// root.
fn codeowners_repo(with_codeowners: bool) -> tempfile::TempDir {
    let mut files = vec![
        ("tests/fixtures/codeowners/plangate.hcl", "plangate.hcl"),
        ("fixtures/plans/create.json", "envs/prod/plan.json"),
        ("fixtures/plans/create.json", "envs/staging/plan.json"),
        ("fixtures/plans/create.json", "envs/dev/plan.json"),
    ];
    if with_codeowners {
        files.push(("tests/fixtures/codeowners/CODEOWNERS", ".github/CODEOWNERS"));
    }
    repo(&files)
}

#[test]
fn codeowners_of_the_plans_directory_approve() {
    let dir = codeowners_repo(true);
    let unblock =
        |who: &str| format!("1 approval from the code owners of this directory ({who}); have 0");
    // (plan, extra flags, open?, unblock when closed)
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, bool, String)> = vec![
        // envs/prod: @alice @org/dba (group "dba": erin). The last matching pattern
        // wins, so @org/platform (bob, carol) does not own it.
        ("envs/prod/plan.json", "", false, unblock("alice, erin")),
        ("envs/prod/plan.json", "--approver alice", true, String::new()),
        ("envs/prod/plan.json", "--approver @Alice", true, String::new()),
        ("envs/prod/plan.json", "--approver erin", true, String::new()),
        ("envs/prod/plan.json", "--approver bob", false, unblock("alice, erin")),
        ("envs/prod/plan.json", "--author alice --approver alice", false, unblock("erin")),
        // envs/staging: @org/platform, through group "org/platform".
        ("envs/staging/plan.json", "--approver bob", true, String::new()),
        ("envs/staging/plan.json", "--approver alice", false, unblock("bob, carol")),
        // envs/dev: an e-mail owner names no login.
        ("envs/dev/plan.json", "--approver alice", false, unblock("nobody is eligible to approve")),
    ];
    let runs = par(&rows, |(p, extra, ..)| {
        let mut args = flags(extra);
        args.push(p.to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check_in(dir.path(), &args)
    });
    let mut f = Failures::default();
    for ((p, extra, open, unblock), r) in rows.iter().zip(&runs) {
        let plan_json = the_plan(r);
        let c = change(&plan_json, "terraform_data.greeting");
        let ok = if *open {
            r.code == 0 && stage(&plan_json["stage"]) == "auto-apply"
        } else {
            r.code == 1
                && rules(&c["gates"]) == ["approval"]
                && c["gates"][0]["unblock"] == unblock.as_str()
        };
        f.check(
            ok,
            format!("{p} {extra:?}: open={open}, got {} {}", r.code, c["gates"]),
        );
    }
    f.assert_none();
}

#[test]
fn codeowners_are_found_beside_a_config_given_by_its_bare_name() {
    // `-c plangate.hcl` (no directory part) anchors CODEOWNERS in the current
    // directory, like `-c ./plangate.hcl` and the config found by search.
    let dir = codeowners_repo(true);
    for cfg in [
        &["-c", "plangate.hcl"][..],
        &["-c", "./plangate.hcl"][..],
        &[][..],
    ] {
        let mut args = cfg.to_vec();
        args.extend(["--approver", "alice", "envs/prod/plan.json"]);
        let r = check_in(dir.path(), &args);
        r.assert_code(0);
        assert_eq!(stage(&the_plan(&r)["stage"]), "auto-apply", "{cfg:?}");
    }
}

#[test]
fn codeowners_approval_without_a_codeowners_file_names_nobody() {
    let dir = codeowners_repo(false);
    let r = check_in(dir.path(), &["--approver", "alice", "envs/prod/plan.json"]);
    r.assert_code(1);
    let p = the_plan(&r);
    let c = change(&p, "terraform_data.greeting");
    assert_eq!(
        c["gates"][0]["unblock"],
        "1 approval from the code owners of this directory: CODEOWNERS names nobody for this directory; add an owner or approve by group"
    );
}
