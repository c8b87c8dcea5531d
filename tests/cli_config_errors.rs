//! Every mistake in plangate.hcl (and in the other context inputs: `--now`,
//! `--approvals`, `--env`) is exit 2 with a diagnostic that names the file, points
//! at the right `line:col` with a snippet, and says how to fix it, with a "did you
//! mean" where there is a near miss.

mod common;

use common::*;

/// A valid start: two environments and a group. Lines 1-15; the mistakes are
/// appended after it, from line 17 on.
const BASE: &str = r#"settings {
  default_environment = "dev"
}

environment "dev" {
  stage = "plan-only"
}

environment "prod" {
  stage = "promote"
}

group "platform" {
  members = ["alice", "bob"]
}
"#;

/// One mistake: the config text, the diagnostic code, the text the label
/// underlines (it occurs once in the config: its position is the expected
/// `line:col`; when it spans lines, the first is compared with the underline),
/// and what the help line says.
struct Case {
    name: &'static str,
    text: String,
    code: &'static str,
    at: &'static str,
    help: &'static str,
}

fn case(
    name: &'static str,
    text: impl Into<String>,
    code: &'static str,
    at: &'static str,
    help: &'static str,
) -> Case {
    Case {
        name,
        text: text.into(),
        code,
        at,
        help,
    }
}

/// BASE, a blank line, and `extra`.
fn base(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

/// 1-based line and column (in characters) of the only occurrence of `needle`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    assert_eq!(
        text.matches(needle).count(),
        1,
        "`{needle}` must occur once in:\n{text}"
    );
    let at = text.find(needle).unwrap();
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Write `text` as plangate.hcl in a fresh directory and check a real plan with
/// `-c plangate.hcl` from there.
fn check_config(text: &str, extra: &[&str]) -> Run {
    let dir = tempdir();
    write(dir.path(), "plangate.hcl", text);
    let plan_path = root().join(plan("create.json")).display().to_string();
    let mut args = vec![
        "check",
        "-c",
        "plangate.hcl",
        "--now",
        "2026-11-23T10:00:00Z",
    ];
    args.extend_from_slice(extra);
    args.push(&plan_path);
    Run::from_output(
        plangate()
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("plangate runs"),
    )
}

/// The contract for one case; returns what went wrong, if anything.
fn verify(c: &Case) -> Vec<String> {
    let r = check_config(&c.text, &[]);
    let mut wrong = Vec::new();
    if r.code != 2 {
        wrong.push(format!("exit {} (want 2)", r.code));
    }
    if r.all().contains("panicked") {
        wrong.push("a panic".into());
    }
    let err = &r.stderr;
    if !err.contains(c.code) {
        wrong.push(format!("no code {}", c.code));
    }
    if !err.contains("plangate.hcl") {
        wrong.push("does not name plangate.hcl".into());
    }
    if err.contains("[plangate.hcl:") {
        let want = position(&c.text, c.at);
        let got = snippet_position(err, "plangate.hcl");
        if got != want {
            wrong.push(format!("at {got:?}, want {want:?} (`{}`)", c.at));
        } else {
            // A zero-width label (drawn as ▲) underlines nothing to compare.
            if !err.contains('▲') {
                let (_, text) = underlined(err, want.0);
                let first_line = c.at.lines().next().unwrap_or(c.at);
                if !text.starts_with(first_line) {
                    wrong.push(format!("underlines {text:?}, want `{}`", c.at));
                }
            }
        }
    } else {
        wrong.push("no [plangate.hcl:line:col] snippet".into());
    }
    let help = help_text(err);
    if !help.contains(c.help) {
        wrong.push(format!("help {help:?} lacks {:?}", c.help));
    }
    wrong
        .into_iter()
        .map(|w| format!("{}: {w}\n{err}", c.name))
        .collect()
}

fn assert_cases(cases: &[Case]) {
    // A few at a time, each case one `plangate` process.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    let failures: Vec<String> = cases
        .chunks(workers)
        .flat_map(|chunk| {
            std::thread::scope(|s| {
                let handles: Vec<_> = chunk.iter().map(|c| s.spawn(move || verify(c))).collect();
                handles
                    .into_iter()
                    .zip(chunk)
                    .flat_map(|(h, c)| {
                        h.join()
                            .unwrap_or_else(|_| vec![format!("{}: the check panicked", c.name)])
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} problem(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---- names: blocks, attributes, values ---------------------------------------------

#[test]
fn misspelt_names_are_exit_2_with_did_you_mean_at_the_name() {
    assert_cases(&[
        case(
            "unknown block",
            base("enviroment \"qa\" {\n  stage = \"plan-only\"\n}\n"),
            "plangate::config::unknown_block",
            "enviroment",
            "did you mean `environment`?",
        ),
        case(
            "unknown block, far from any",
            base("pipeline \"x\" {\n}\n"),
            "plangate::config::unknown_block",
            "pipeline",
            "blocks are: settings, environment, group, approval, window, freeze, protect, policy_set",
        ),
        case(
            "unknown attribute",
            base("environment \"qa\" {\n  stgae = \"plan-only\"\n}\n"),
            "plangate::config::unknown_attribute",
            "stgae",
            "did you mean `stage`?",
        ),
        case(
            "unknown attribute in settings",
            BASE.replace("default_environment", "default_enviroment"),
            "plangate::config::unknown_attribute",
            "default_enviroment",
            "did you mean `default_environment`?",
        ),
        case(
            "unknown attribute in a window",
            base("window \"w\" {\n  enviroments = [\"prod\"]\n  timezone    = \"UTC\"\n  from        = \"09:00\"\n  to          = \"16:00\"\n}\n"),
            "plangate::config::unknown_attribute",
            "enviroments",
            "did you mean `environments`?",
        ),
        case(
            "bad stage",
            base("environment \"qa\" {\n  stage = \"auto-aply\"\n}\n"),
            "plangate::config::bad_stage",
            "\"auto-aply\"",
            "did you mean `auto-apply`?",
        ),
        case(
            "stage number out of range",
            base("environment \"qa\" {\n  stage = 7\n}\n"),
            "plangate::config::bad_stage",
            "7\n",
            "blocked, plan-only, auto-apply, auto-apply-all, promote",
        ),
        case(
            "bad `when`",
            base("approval \"a\" {\n  when  = \"replcae\"\n  group = \"platform\"\n}\n"),
            "plangate::config::bad_value",
            "\"replcae\"",
            "did you mean `replace`?",
        ),
        case(
            "bad enforcement",
            base("policy_set \"p\" {\n  path        = \".\"\n  enforcement = \"soft-mandatroy\"\n}\n"),
            "plangate::config::bad_value",
            "\"soft-mandatroy\"",
            "did you mean `soft-mandatory`?",
        ),
    ]);
}

// ---- values: globs, time zones, times, days, durations, freezes ---------------------

#[test]
fn bad_values_are_exit_2_pointing_at_the_value() {
    let window = |tz: &str, days: &str, from: &str, to: &str| {
        base(&format!(
            "window \"w\" {{\n  environments = [\"prod\"]\n  timezone     = \"{tz}\"\n  days         = {days}\n  from         = \"{from}\"\n  to           = \"{to}\"\n}}\n"
        ))
    };
    let weekdays = "[\"mon\", \"tue\"]";
    assert_cases(&[
        case(
            "bad glob in match",
            base("environment \"qa\" {\n  match = [\"envs/qa/**\", \"envs/[qa\"]\n  stage = 1\n}\n"),
            "plangate::config::bad_glob",
            "\"envs/[qa\"",
            "globs use",
        ),
        case(
            "bad glob in protect",
            base("protect {\n  resources = [\"aws_db_instance.*\", \"aws_{kms_key.*\"]\n}\n"),
            "plangate::config::bad_glob",
            "\"aws_{kms_key.*\"",
            "globs use",
        ),
        case(
            "bad time zone",
            window("Europe/Berlln", weekdays, "09:00", "16:00"),
            "plangate::config::bad_timezone",
            "\"Europe/Berlln\"",
            "did you mean `Europe/Berlin`?",
        ),
        case(
            "time zone in the wrong case",
            window("europe/berlin", weekdays, "09:00", "16:00"),
            "plangate::config::bad_timezone",
            "\"europe/berlin\"",
            "did you mean `Europe/Berlin`?",
        ),
        case(
            "no such time zone",
            window("Mars/Olympus_Mons", weekdays, "09:00", "16:00"),
            "plangate::config::bad_timezone",
            "\"Mars/Olympus_Mons\"",
            "IANA time zone",
        ),
        case(
            "bad time 9am",
            window("UTC", weekdays, "9am", "16:00"),
            "plangate::config::bad_time",
            "\"9am\"",
            "24-hour HH:MM",
        ),
        case(
            "bad time 25:00",
            window("UTC", weekdays, "09:00", "25:00"),
            "plangate::config::bad_time",
            "\"25:00\"",
            "24-hour HH:MM",
        ),
        case(
            "a window starting at 24:00",
            window("UTC", weekdays, "24:00", "02:00"),
            "plangate::config::bad_time",
            "\"24:00\"",
            "00:00",
        ),
        case(
            "bad day",
            window("UTC", "[\"mon\", \"tues\", \"wed\"]", "09:00", "16:00"),
            "plangate::config::bad_day",
            "\"tues\"",
            "did you mean `tue`?",
        ),
        case(
            "not a day at all",
            window("UTC", "[\"mon\", \"funday\"]", "09:00", "16:00"),
            "plangate::config::bad_day",
            "\"funday\"",
            "days are: mon, tue, wed, thu, fri, sat, sun",
        ),
        case(
            "no days",
            window("UTC", "[]", "09:00", "16:00"),
            "plangate::config::bad_day",
            "[]",
            "remove `days` for every day",
        ),
        case(
            "bad duration",
            BASE.replace(
                "  default_environment = \"dev\"\n",
                "  default_environment = \"dev\"\n  max_plan_age        = \"1 fortnight\"\n",
            ),
            "plangate::config::bad_duration",
            "\"1 fortnight\"",
            "\"24h\"",
        ),
        case(
            "freeze ending before it starts",
            base("freeze \"f\" {\n  from = \"2027-01-04T00:00:00Z\"\n  to   = \"2026-12-20T00:00:00Z\"\n}\n"),
            "plangate::config::bad_range",
            "\"2026-12-20T00:00:00Z\"",
            "`to` must be later than `from`",
        ),
        case(
            "freeze ending when it starts",
            base("freeze \"f\" {\n  from = \"2026-12-20T00:00:00Z\"\n  to   = \"2026-12-20T01:00:00+01:00\"\n}\n"),
            "plangate::config::bad_range",
            "\"2026-12-20T01:00:00+01:00\"",
            "`to` must be later than `from`",
        ),
        case(
            "freeze without a time zone",
            base("freeze \"f\" {\n  from = \"2026-12-20\"\n  to   = \"2027-01-04T00:00:00Z\"\n}\n"),
            "plangate::config::bad_time",
            "\"2026-12-20\"",
            "2026-12-20T00:00:00Z",
        ),
        case(
            "count that is not a number",
            base("approval \"a\" {\n  group = \"platform\"\n  count = \"two\"\n}\n"),
            "plangate::config::type",
            "\"two\"",
            "whole number",
        ),
        case(
            "count zero",
            base("approval \"a\" {\n  group = \"platform\"\n  count = 0\n}\n"),
            "plangate::config::type",
            "0\n",
            "at least 1",
        ),
        case(
            "negative max_changes",
            BASE.replace(
                "  default_environment = \"dev\"\n",
                "  default_environment = \"dev\"\n  max_changes         = -5\n",
            ),
            "plangate::config::type",
            "-5",
            "whole number",
        ),
    ]);
}

// ---- references: groups, environments, paths ----------------------------------------

#[test]
fn references_to_undeclared_names_are_exit_2_at_the_reference() {
    assert_cases(&[
        case(
            "unknown group in an approval",
            base("approval \"a\" {\n  group = \"platfrom\"\n}\n"),
            "plangate::config::unknown_group",
            "\"platfrom\"",
            "did you mean `platform`?",
        ),
        case(
            "unknown group as a freeze's break-glass",
            base("freeze \"f\" {\n  from        = \"2026-12-20T00:00:00Z\"\n  to          = \"2027-01-04T00:00:00Z\"\n  break_glass = \"oncall\"\n}\n"),
            "plangate::config::unknown_group",
            "\"oncall\"",
            "groups are: platform",
        ),
        case(
            "unknown group in the second protect block",
            base("protect {\n  resources   = [\"a.*\"]\n  break_glass = \"platform\"\n}\n\nprotect {\n  resources   = [\"b.*\"]\n  break_glass = \"platfrom\"\n}\n"),
            "plangate::config::unknown_group",
            "\"platfrom\"",
            "did you mean `platform`?",
        ),
        case(
            "unknown owners of a policy set",
            base("policy_set \"p\" {\n  path        = \".\"\n  enforcement = \"soft-mandatory\"\n  owners      = \"secuirty\"\n}\n"),
            "plangate::config::unknown_group",
            "\"secuirty\"",
            "groups are: platform",
        ),
        case(
            "unknown environment in an approval",
            base("approval \"a\" {\n  environments = [\"dev\", \"prdo\"]\n  group        = \"platform\"\n}\n"),
            "plangate::config::unknown_environment",
            "\"prdo\"",
            "did you mean `prod`?",
        ),
        case(
            "unknown environment in a window",
            base("window \"w\" {\n  environments = [\"staging\"]\n  timezone     = \"UTC\"\n  from         = \"09:00\"\n  to           = \"16:00\"\n}\n"),
            "plangate::config::unknown_environment",
            "\"staging\"",
            "environments are: dev, prod",
        ),
        case(
            "unknown default environment",
            BASE.replace("default_environment = \"dev\"", "default_environment = \"devv\""),
            "plangate::config::unknown_environment",
            "\"devv\"",
            "did you mean `dev`?",
        ),
        case(
            "promote_from an unknown environment",
            base("environment \"live\" {\n  stage        = \"promote\"\n  promote_from = \"prd\"\n}\n"),
            "plangate::config::unknown_environment",
            "\"prd\"",
            "did you mean `prod`?",
        ),
        case(
            "policy set path that does not exist",
            base("policy_set \"p\" {\n  path = \"policies/security\"\n}\n"),
            "plangate::config::missing_policy_set",
            "\"policies/security\"",
            "relative to plangate.hcl",
        ),
        case(
            "codeowners file that does not exist",
            BASE.replace(
                "  default_environment = \"dev\"\n",
                "  default_environment = \"dev\"\n  codeowners          = \".github/CODEOWNRES\"\n",
            ),
            "plangate::config::missing_codeowners",
            "\".github/CODEOWNRES\"",
            "relative to plangate.hcl",
        ),
    ]);
}

// ---- structure: duplicates, labels, syntax ------------------------------------------

#[test]
fn structural_mistakes_are_exit_2_at_the_block() {
    assert_cases(&[
        case(
            "duplicate environment",
            base("environment \"prod\" {\n  stage = \"auto-apply\"\n}\n"),
            "plangate::config::duplicate",
            "environment \"prod\" {\n  stage = \"auto-apply\"",
            "unique",
        ),
        case(
            "duplicate settings",
            base("settings {\n  max_changes = 10\n}\n"),
            "plangate::config::duplicate",
            "settings {\n  max_changes",
            "merge the settings into one block",
        ),
        case(
            "duplicate attribute",
            base("environment \"qa\" {\n  stage = 1\n  stage = 2\n}\n"),
            "plangate::config::syntax",
            "stage = 2",
            "fix the HCL syntax",
        ),
        case(
            "missing comma in a list",
            base("environment \"qa\" {\n  match = [\"envs/qa/**\" \"qa/**\"]\n  stage = 1\n}\n"),
            "plangate::config::syntax",
            "\"qa/**\"",
            "fix the HCL syntax",
        ),
        case(
            "missing label",
            base("environment {\n  stage = 1\n}\n"),
            "plangate::config::labels",
            "environment {",
            "name it: `environment \"name\" { ... }`",
        ),
        case(
            "label on settings",
            BASE.replace("settings {", "settings \"main\" {"),
            "plangate::config::labels",
            "settings \"main\"",
            "without a name",
        ),
        case(
            "missing stage",
            base("environment \"qa\" {\n  match = [\"envs/qa/**\"]\n}\n"),
            "plangate::config::missing_attribute",
            "environment \"qa\"",
            "add `stage = \"plan-only\"`",
        ),
        case(
            "approval with both group and codeowners",
            base("approval \"a\" {\n  group      = \"platform\"\n  codeowners = true\n}\n"),
            "plangate::config::approvers",
            "approval \"a\"",
            "`codeowners = true`",
        ),
        case(
            "attribute at the top level",
            base("stage = \"auto-apply\"\n"),
            "plangate::config::unexpected_attribute",
            "stage = \"auto-apply\"",
            "plangate.hcl holds blocks",
        ),
        case(
            "block inside an environment",
            base("environment \"qa\" {\n  stage = 1\n  window {\n  }\n}\n"),
            "plangate::config::unexpected_block",
            "window {",
            "takes the attributes match, stage, promote_from",
        ),
        case(
            "no environment at all",
            "group \"platform\" {\n  members = [\"alice\"]\n}\n",
            "plangate::config::no_environment",
            "group \"platform\"",
            "declare at least one",
        ),
    ]);
}

#[test]
fn unclosed_block_is_a_syntax_error_at_the_end() {
    let text = base("environment \"qa\" {\n  stage = 1\n");
    let r = check_config(&text, &[]);
    assert_diagnostic(&r, "plangate.hcl", "plangate::config::syntax");
    let (line, _) = snippet_position(&r.stderr, "plangate.hcl");
    assert!(line >= 18, "points at the end, line {line}:\n{}", r.stderr);
}

#[test]
fn a_config_found_by_search_is_named_by_its_path() {
    // No -c: plangate.hcl is found in the current directory and named in full.
    let dir = tempdir();
    let cfg = write(
        dir.path(),
        "plangate.hcl",
        base("enviroment \"qa\" {\n  stage = 1\n}\n"),
    );
    let sub = dir.path().join("envs/qa");
    std::fs::create_dir_all(&sub).unwrap();
    let plan_path = root().join(plan("create.json")).display().to_string();
    let r = Run::from_output(
        plangate()
            .current_dir(&sub)
            .args(["check", "--now", "2026-11-23T10:00:00Z", &plan_path])
            .output()
            .unwrap(),
    );
    assert_diagnostic(&r, &cfg, "plangate::config::unknown_block");
    assert_eq!(snippet_position(&r.stderr, &cfg), (17, 1), "{}", r.stderr);
}

#[test]
fn config_errors_are_in_the_json_document_too() {
    let text = base("environment \"qa\" {\n  stgae = 1\n}\n");
    let r = check_config(&text, &["-o", "json"]);
    r.assert_code(2);
    let doc = r.json();
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["plans"], serde_json::json!([]));
    let e = &doc["errors"][0];
    assert_eq!(e["code"], "plangate::config::unknown_attribute");
    assert_eq!(e["file"], "plangate.hcl");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(18), Some(3))
    );
    assert_eq!(e["help"], "did you mean `stage`?");
}

#[test]
fn missing_config_file_is_exit_2() {
    let r = run([
        "check",
        "-c",
        "no/such/plangate.hcl",
        "--now",
        "2026-11-23T10:00:00Z",
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, "no/such/plangate.hcl", "plangate::config::read");
}

// ---- the other context inputs --------------------------------------------------------

#[test]
fn now_that_is_not_rfc_3339_is_exit_2() {
    for now in [
        "2026-11-23",
        "2026-11-23 10:00",
        "tomorrow",
        "2026-11-23T10:00:00",
    ] {
        let r = run(["check", "--now", now, &plan("create.json")]);
        assert_diagnostic_without_file(&r, "plangate::cli::bad_now");
        assert!(r.stderr.contains(now), "{now}: {}", r.stderr);
        assert!(
            help_text(&r.stderr).contains("--now 2026-"),
            "{now}: {}",
            r.stderr
        );
    }
}

#[test]
fn approvals_file_of_the_wrong_shape_is_exit_2() {
    let f = test_fixture("reviews/not-an-array.json");
    let r = run([
        "check",
        "--now",
        "2026-11-23T10:00:00Z",
        "--approvals",
        &f,
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, &f, "plangate::approvals::shape");
    assert_eq!(snippet_position(&r.stderr, &f), (1, 1), "{}", r.stderr);
    assert!(
        help_text(&r.stderr).contains("pulls/N/reviews"),
        "{}",
        r.stderr
    );
}

#[test]
fn approvals_file_that_is_not_json_or_missing_is_exit_2() {
    let dir = tempdir();
    let f = write(
        dir.path(),
        "reviews.json",
        "[\n  {\"user\": {\"login\": \"alice\"}, \"state\": \"APPROVED\",}\n]\n",
    );
    let r = run([
        "check",
        "--now",
        "2026-11-23T10:00:00Z",
        "--approvals",
        &f,
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, &f, "plangate::approvals::shape");
    assert_eq!(snippet_position(&r.stderr, &f).0, 2, "{}", r.stderr);

    let r = run([
        "check",
        "--now",
        "2026-11-23T10:00:00Z",
        "--approvals",
        "no/such/reviews.json",
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, "no/such/reviews.json", "plangate::approvals::read");
}

#[test]
fn approvals_entry_without_a_state_is_exit_2() {
    let dir = tempdir();
    let f = write(
        dir.path(),
        "reviews.json",
        "[\n  {\"user\": {\"login\": \"alice\"}, \"commit_id\": \"abc\"}\n]\n",
    );
    let r = run([
        "check",
        "--now",
        "2026-11-23T10:00:00Z",
        "--approvals",
        &f,
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, &f, "plangate::approvals::shape");
    assert!(r.stderr.contains("state"), "{}", r.stderr);
}
