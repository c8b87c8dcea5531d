//! The output formats of `plangate check`, each read back by something that really
//! consumes it: SARIF by the SARIF 2.1.0 JSON schema, JUnit by an XML parser (and,
//! in CI, by `junitparser`: tests/formats/check_junit.py), conftest-json by
//! serde_json against plangate's own JSON and against conftest's goldens, GitHub
//! workflow commands by GitHub's escaping rules, Markdown by GitHub's comment limit
//! and insta snapshots. And no format lets a sensitive value out.

mod common;

use std::collections::BTreeMap;

use common::*;
use quick_xml::events::Event;
use serde_json::Value;

const FORMATS: [&str; 8] = [
    "text",
    "json",
    "markdown",
    "sarif",
    "junit",
    "github",
    "conftest",
    "conftest-json",
];

/// The README's worked example, with extra arguments before the plan.
fn worked(now: &str, approver: bool, extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        now,
        "--author",
        "dave",
    ];
    if approver {
        args.extend(["--approver", "alice"]);
    }
    args.extend_from_slice(extra);
    args.push("fixtures/plans/mixed.json");
    run_clean(&args)
}

/// Monday 10:00 UTC with alice's approval: creates and the update may be applied.
const OPEN: &str = "2026-11-23T10:00:00Z";
/// Monday 16:30 UTC: outside the window, and nobody approved.
const CLOSED: &str = "2026-11-23T16:30:00Z";

/// `plangate` without a `$GITHUB_STEP_SUMMARY` inherited from a CI job.
fn run_clean(args: &[&str]) -> Run {
    Run::from_output(
        plangate()
            .env_remove("GITHUB_STEP_SUMMARY")
            .args(args)
            .output()
            .expect("plangate runs"),
    )
}

// ---- --format and --output ---------------------------------------------------------

#[test]
fn check_help_lists_every_format_and_output() {
    let r = run_clean(&["check", "--help"]);
    r.assert_code(0);
    for f in FORMATS {
        assert!(r.stdout.contains(f), "{f} in --help:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("--output <FILE>"), "{}", r.stdout);
    assert!(r.stdout.contains("GITHUB_STEP_SUMMARY"), "{}", r.stdout);
}

#[test]
fn output_writes_the_rendering_to_a_file_and_keeps_the_exit_code() {
    let dir = tempdir();
    for format in FORMATS {
        let file = dir.path().join(format!("out.{format}"));
        let to_file = worked(
            CLOSED,
            false,
            &["-o", format, "--output", file.to_str().unwrap()],
        );
        to_file.assert_code(1);
        assert_eq!(to_file.stdout, "", "{format}: nothing on stdout");
        let stdout = worked(CLOSED, false, &["-o", format]);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            stdout.stdout,
            "{format}: the file holds what stdout would"
        );
    }
    // An existing file is replaced, not appended to.
    let file = dir.path().join("again.json");
    std::fs::write(&file, "old content that must go").unwrap();
    worked(
        OPEN,
        true,
        &["-o", "json", "--output", file.to_str().unwrap()],
    )
    .assert_code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("old content"), "{text}");
    serde_json::from_str::<Value>(&text).expect("the file is the JSON document");
}

#[test]
fn output_to_an_unwritable_path_is_an_error() {
    let dir = tempdir();
    let file = dir.path().join("no/such/dir/out.sarif");
    let r = worked(
        OPEN,
        true,
        &["-o", "sarif", "--output", file.to_str().unwrap()],
    );
    r.assert_code(2);
    assert!(r.stderr.contains("plangate::io::output"), "{}", r.stderr);
    assert!(r.stderr.contains("help:"), "{}", r.stderr);
}

#[test]
fn output_file_gets_no_colours_unless_always() {
    let dir = tempdir();
    let file = dir.path().join("out.txt");
    let r = Run::from_output(
        plangate()
            .env_remove("GITHUB_STEP_SUMMARY")
            .args([
                "check",
                "--output",
                file.to_str().unwrap(),
                "fixtures/plans/mixed.json",
            ])
            .output()
            .unwrap(),
    );
    r.assert_code(0);
    assert!(!std::fs::read_to_string(&file).unwrap().contains('\x1b'));
    // `--color always` (the harness passes `--color never`, so a bare command).
    let r = Run::from_output(
        assert_cmd::Command::cargo_bin("plangate")
            .unwrap()
            .current_dir(root())
            .env_remove("GITHUB_STEP_SUMMARY")
            .args([
                "--color",
                "always",
                "check",
                "-o",
                "conftest",
                "--output",
                file.to_str().unwrap(),
                "-p",
                &policy("deny_creates"),
                "--no-builtin",
                "fixtures/plans/mixed.json",
            ])
            .output()
            .unwrap(),
    );
    r.assert_code(1);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("\x1b[31mFAIL\x1b[0m"));
}

// ---- snapshots -----------------------------------------------------------------------

#[test]
fn markdown_snapshot_of_the_worked_example() {
    let r = worked(OPEN, true, &["-o", "markdown"]);
    r.assert_code(0);
    insta::assert_snapshot!("markdown_worked_open", r.stdout);
    let r = worked(CLOSED, false, &["-o", "markdown"]);
    r.assert_code(1);
    insta::assert_snapshot!("markdown_worked_closed", r.stdout);
}

#[test]
fn text_snapshot_of_the_worked_example() {
    let r = worked(OPEN, true, &["-o", "text"]);
    r.assert_code(0);
    insta::assert_snapshot!("text_worked_open", r.stdout);
}

// ---- markdown ------------------------------------------------------------------------

#[test]
fn markdown_puts_verdict_destroys_and_gates_first() {
    let md = worked(CLOSED, false, &["-o", "markdown"]).stdout;
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in:\n{md}"))
    };
    // Verdict and stage, then counts, the destroy list, the gates, the changes, detail.
    assert!(at("## plangate: ❌") < at("stage 0 **blocked**"));
    assert!(at("stage 0 **blocked**") < at("**3** create"));
    assert!(at("**3** create") < at("Will be destroyed or replaced (2)"));
    assert!(at("Will be destroyed or replaced (2)") < at("Blocked until"));
    assert!(at("Blocked until") < at("Changes by stage"));
    assert!(at("Changes by stage") < at("<details>"));
    // Each destroyed or replaced change with its action_reason.
    assert!(md.contains("`terraform_data.database`: **replace, destroy before create** because `replace_because_cannot_update`"), "{md}");
    assert!(
        md.contains(
            "`terraform_data.legacy_cache`: **delete** because `delete_because_no_resource_config`"
        ),
        "{md}"
    );
    // Who or what opens each gate.
    assert!(md.contains("**To unblock:** wait for a change window: business-hours: Mon-Thu 09:00-16:00 Europe/Berlin"), "{md}");
    assert!(
        md.contains("**To unblock:** 1 approval from group platform (alice, bob, carol); have 0"),
        "{md}"
    );
    assert!(md.contains("**To unblock:** one approval from group platform (alice, bob, carol) lifts the protection"), "{md}");
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn markdown_has_a_section_per_plan_and_policy_results() {
    let r = run_clean(&[
        "check",
        "-o",
        "markdown",
        "--no-builtin",
        "-p",
        &policy("exception"),
        "-p",
        &policy("warn_only"),
        "fixtures/plans/mixed.json",
        "fixtures/plans/delete.json",
    ]);
    r.assert_code(1);
    let md = &r.stdout;
    assert_eq!(md.matches("\n### ").count(), 2, "{md}");
    assert!(
        md.contains("`fixtures/plans/mixed.json`") && md.contains("`fixtures/plans/delete.json`")
    );
    assert!(
        md.contains("❌ **FAIL** `main.deny_bar`: deny_bar fired and is not excepted"),
        "{md}"
    );
    assert!(md.contains("⚠️ **WARN** `main.warn`"), "{md}");
    assert!(md.contains("🔕 **EXCP** `main.deny_foo`"), "{md}");
    // The failure is a gate too: what opens it is said.
    assert!(md.contains("**main.deny_bar** blocks the whole plan: 1 policy failure (listed under Policies)<br>**To unblock:** fix the change or the policy"), "{md}");
}

#[test]
fn markdown_escapes_what_policies_write() {
    let dir = tempdir();
    let pol = write(
        dir.path(),
        "p/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains \"</details><script>alert(1)</script> | *bold* [x](http://e) `tick`\\nsecond line\" if { true }\n",
    );
    let r = run_clean(&[
        "check",
        "-o",
        "markdown",
        "--no-builtin",
        "-p",
        &pol,
        "fixtures/plans/mixed.json",
    ]);
    r.assert_code(1);
    let md = &r.stdout;
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("&lt;/details&gt;&lt;script&gt;"), "{md}");
    assert!(
        md.contains("\\| \\*bold\\* \\[x\\](http://e) \\`tick\\`<br>second line"),
        "{md}"
    );
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

/// A copy of `mixed.json` whose resource changes are repeated `n` times under new
/// addresses.
fn big_plan(n: usize) -> String {
    let mut v: Value = serde_json::from_str(&read(&plan("mixed.json"))).unwrap();
    let changes = v["resource_changes"].as_array().unwrap().clone();
    let mut out = Vec::new();
    for i in 0..n {
        for c in &changes {
            let mut c = c.clone();
            let name = format!("{}_{i}", c["name"].as_str().unwrap());
            c["address"] = Value::from(format!("terraform_data.{name}"));
            c["name"] = Value::from(name);
            out.push(c);
        }
    }
    v["resource_changes"] = Value::Array(out);
    serde_json::to_string(&v).unwrap()
}

fn assert_fits(md: &str) {
    assert!(
        md.chars().count() < 65_536 && md.len() < 65_536,
        "{} characters, {} bytes",
        md.chars().count(),
        md.len()
    );
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn markdown_of_many_plans_stays_under_the_comment_limit_and_says_so() {
    let dir = tempdir();
    let text = read(&plan("mixed.json"));
    for i in 0..30 {
        write(dir.path(), &format!("plans/p{i:03}/plan.json"), &text);
    }
    // Long messages make every plan heavy.
    let pol = write(
        dir.path(),
        "policy/main.rego",
        format!(
            "package main\n\nimport rego.v1\n\nwarn contains sprintf(\"%s {}\", [rc.address]) if {{\n\tsome rc in input.resource_changes\n}}\n",
            "is long. ".repeat(40)
        ),
    );
    let plans = dir.path().join("plans");
    let r = worked_dir(&pol, plans.to_str().unwrap());
    let md = &r.stdout;
    assert_fits(md);
    assert!(
        md.contains("This comment is shortened to stay under GitHub's 65536-character limit"),
        "{md}"
    );
    // Every plan is there, at least as a line.
    for i in 0..30 {
        assert!(
            md.contains(&format!("p{i:03}/plan.json")),
            "plan {i} missing"
        );
    }
    // The first plans keep the most.
    assert!(md.contains("<details>"), "the first plan keeps its detail");
}

fn worked_dir(pol: &str, path: &str) -> Run {
    let r = run_clean(&[
        "check",
        "-o",
        "markdown",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        CLOSED,
        "-p",
        pol,
        path,
    ]);
    r.assert_code(1);
    r
}

#[test]
fn markdown_of_one_huge_plan_folds_its_lists() {
    let dir = tempdir();
    let p = write(dir.path(), "plan.json", big_plan(100));
    let r = run_clean(&[
        "check",
        "-o",
        "markdown",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        CLOSED,
        &p,
    ]);
    r.assert_code(1);
    let md = &r.stdout;
    assert_fits(md);
    assert!(md.contains("1 plan is shown in less detail"), "{md}");
    assert!(md.contains("… and"), "lists are cut:\n{md}");
    assert!(md.contains("Will be destroyed or replaced (200)"), "{md}");
}

// ---- SARIF ---------------------------------------------------------------------------

fn sarif_validator() -> jsonschema::Validator {
    // A copy of ../shared/schemas/sarif-schema-2.1.0.json (OASIS, errata 01), so the
    // test runs where shared/ is absent.
    let path = root().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(r: &Run) -> Value {
    let doc = r.json();
    let v = sarif_validator();
    let errors: Vec<String> = v
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid SARIF:\n{}\n{}",
        errors.join("\n"),
        r.stdout
    );
    doc
}

#[test]
fn sarif_validates_against_the_schema_in_every_situation() {
    let dir = tempdir();
    let odd = write(
        dir.path(),
        "dir with space/plän #1.json",
        read(&plan("mixed.json")),
    );
    let runs = [
        worked(OPEN, true, &["-o", "sarif"]),
        worked(CLOSED, false, &["-o", "sarif"]),
        run_clean(&[
            "check",
            "-o",
            "sarif",
            "-p",
            "tests/conformance/policies/objects-v1",
            "-p",
            "tests/conformance/policies/exceptions",
            "fixtures/plans/shared/",
        ]),
        run_clean(&[
            "check",
            "-o",
            "sarif",
            "fixtures/plans/mixed.json",
            &test_fixture("plans/invalid.json"),
            &odd,
        ]),
        run_clean(&[
            "check",
            "-o",
            "sarif",
            "-p",
            "no/such/policy",
            "fixtures/plans/mixed.json",
        ]),
    ];
    for r in &runs {
        assert_valid_sarif(r);
    }
    // The schema really rejects a broken document.
    let mut broken = runs[1].json();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!sarif_validator().is_valid(&broken));
}

#[test]
fn sarif_has_one_rule_per_rule_id_and_levels_by_kind() {
    let doc = assert_valid_sarif(&worked(CLOSED, false, &["-o", "sarif"]));
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "plangate");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["window", "approval", "protect", "forget", "destructive"]
    );
    let results = run["results"].as_array().unwrap();
    let level_of = |rule: &str| -> Vec<&str> {
        results
            .iter()
            .filter(|r| r["ruleId"] == rule)
            .map(|r| r["level"].as_str().unwrap())
            .collect()
    };
    assert_eq!(level_of("window"), ["error"]);
    assert_eq!(level_of("approval"), ["error"; 7]);
    assert_eq!(level_of("destructive"), ["warning"; 2]);
    for r in results {
        let rule = r["ruleId"].as_str().unwrap();
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], rule);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "fixtures/plans/mixed.json");
        assert!(loc.get("region").is_none(), "no line is known: {r}");
    }
    let window = results.iter().find(|r| r["ruleId"] == "window").unwrap();
    assert_eq!(
        window["properties"]["unblock"],
        "wait for a change window: business-hours: Mon-Thu 09:00-16:00 Europe/Berlin"
    );
    let db = results.iter().find(|r| r["ruleId"] == "protect").unwrap();
    assert_eq!(
        db["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "terraform_data.database"
    );
    assert_eq!(doc["runs"][0]["invocations"][0]["exitCode"], 1);
}

#[test]
fn sarif_policy_results_carry_namespace_rule_ids_and_loc_regions() {
    let doc = assert_valid_sarif(&run_clean(&[
        "check",
        "-o",
        "sarif",
        "--no-builtin",
        "-p",
        "tests/conformance/policies/objects-v1",
        "fixtures/plans/shared/forget.json",
    ]));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let located = results
        .iter()
        .find(|r| r["ruleId"] == "main.deny_located")
        .expect("the _loc failure");
    assert_eq!(located["level"], "error");
    let loc = &located["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "main.tf");
    assert_eq!(loc["region"]["startLine"], 12);
    for r in results
        .iter()
        .filter(|r| r["ruleId"] != "main.deny_located")
    {
        let loc = &r["locations"][0]["physicalLocation"];
        if loc["artifactLocation"]["uri"] == "fixtures/plans/shared/forget.json" {
            assert!(loc.get("region").is_none(), "{r}");
        }
    }
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "main.warn_formats" && r["level"] == "warning"));
}

#[test]
fn sarif_reports_errors_as_notifications() {
    let doc = assert_valid_sarif(&run_clean(&[
        "check",
        "-o",
        "sarif",
        "fixtures/plans/mixed.json",
        &test_fixture("plans/invalid.json"),
    ]));
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(inv["exitCode"], 2);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    let loc = &n["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "tests/fixtures/plans/invalid.json"
    );
    assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
}

// ---- JUnit ---------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Case {
    classname: String,
    name: String,
    failure: Option<String>,
    error: Option<String>,
    skipped: bool,
    text: String,
}

#[derive(Debug, Default)]
struct Suite {
    name: String,
    attrs: BTreeMap<String, String>,
    cases: Vec<Case>,
}

/// Parse JUnit XML with quick-xml's reader (attributes and text unescaped).
fn parse_junit(xml: &str) -> (BTreeMap<String, String>, Vec<Suite>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut root = BTreeMap::new();
    let mut suites: Vec<Suite> = Vec::new();
    let mut in_element: Option<String> = None;
    let attrs = |e: &quick_xml::events::BytesStart| -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.unescape_value().expect("escaped value").to_string(),
                )
            })
            .collect()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let a = attrs(&e);
                match e.name().as_ref() {
                    b"testsuites" => root = a,
                    b"testsuite" => suites.push(Suite {
                        name: a["name"].clone(),
                        attrs: a,
                        cases: Vec::new(),
                    }),
                    b"testcase" => suites.last_mut().unwrap().cases.push(Case {
                        classname: a["classname"].clone(),
                        name: a["name"].clone(),
                        ..Case::default()
                    }),
                    b"failure" => {
                        let c = suites.last_mut().unwrap().cases.last_mut().unwrap();
                        c.failure = Some(a["message"].clone());
                        in_element = Some("failure".into());
                    }
                    b"error" => {
                        let c = suites.last_mut().unwrap().cases.last_mut().unwrap();
                        c.error = Some(a["message"].clone());
                    }
                    b"skipped" => {
                        suites.last_mut().unwrap().cases.last_mut().unwrap().skipped = true
                    }
                    b"system-out" => in_element = Some("system-out".into()),
                    _ => {}
                }
            }
            Event::Text(t) if in_element.is_some() => {
                if let Some(c) = suites.last_mut().and_then(|s| s.cases.last_mut()) {
                    c.text.push_str(&t.xml_content().expect("text"));
                }
            }
            Event::GeneralRef(r) if in_element.is_some() => {
                let name = r.decode().expect("entity name").to_string();
                let ch = match name.as_str() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                if let Some(c) = suites.last_mut().and_then(|s| s.cases.last_mut()) {
                    c.text.push_str(ch);
                }
            }
            Event::End(_) => in_element = None,
            Event::Eof => break,
            _ => {}
        }
    }
    (root, suites)
}

fn count(attrs: &BTreeMap<String, String>, key: &str) -> usize {
    attrs[key].parse().unwrap()
}

#[test]
fn junit_has_a_suite_per_plan_and_counts_that_match_its_cases() {
    let r = run_clean(&[
        "check",
        "-o",
        "junit",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        CLOSED,
        "fixtures/plans/mixed.json",
        "fixtures/plans/delete.json",
        &test_fixture("plans/invalid.json"),
    ]);
    r.assert_code(2);
    let (root, suites) = parse_junit(&r.stdout);
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fixtures/plans/mixed.json",
            "fixtures/plans/delete.json",
            "tests/fixtures/plans/invalid.json"
        ]
    );
    let mut total = (0, 0, 0);
    for s in &suites {
        let failures = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let errors = s.cases.iter().filter(|c| c.error.is_some()).count();
        assert_eq!(count(&s.attrs, "tests"), s.cases.len(), "{}", s.name);
        assert_eq!(count(&s.attrs, "failures"), failures, "{}", s.name);
        assert_eq!(count(&s.attrs, "errors"), errors, "{}", s.name);
        total = (
            total.0 + s.cases.len(),
            total.1 + failures,
            total.2 + errors,
        );
    }
    assert_eq!(
        (
            count(&root, "tests"),
            count(&root, "failures"),
            count(&root, "errors")
        ),
        total
    );
    // One case per (rule, change): blocked changes fail.
    let mixed = &suites[0];
    let case = |class: &str, name: &str| {
        mixed
            .cases
            .iter()
            .find(|c| c.classname == class && c.name == name)
            .unwrap_or_else(|| panic!("{class} {name} in {:#?}", mixed.cases))
    };
    assert!(case("approval", "terraform_data.database")
        .failure
        .as_deref()
        .unwrap()
        .starts_with("blocked by approval"));
    assert!(case("protect", "terraform_data.database").failure.is_some());
    assert!(case("window", "(whole plan)").failure.is_some());
    // A cap that holds a change at plan-only is not below the required plan-only.
    let cap = case("destructive", "terraform_data.legacy_cache");
    assert!(cap.failure.is_none());
    assert!(cap.text.contains("(at most plan-only)"), "{cap:?}");
    // The plan that does not load is an error.
    assert!(suites[2].cases[0].error.is_some());
}

#[test]
fn junit_has_a_case_per_policy_rule_and_survives_any_message() {
    let dir = tempdir();
    let pol = write(
        dir.path(),
        "p/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains \"a <b> & \\\"c\\\" 'd' ]]> \\u0001 \\u0007 end\\nline two\" if { true }\n\ndeny contains \"second\" if { true }\n\nwarn_x contains \"just a warning\" if { true }\n\nexception contains [\"y\"] if { true }\n\ndeny_y contains \"never shown\" if { true }\n",
    );
    let r = run_clean(&[
        "check",
        "-o",
        "junit",
        "--no-builtin",
        "-p",
        &pol,
        "fixtures/plans/mixed.json",
    ]);
    r.assert_code(1);
    let (_, suites) = parse_junit(&r.stdout);
    let cases = &suites[0].cases;
    let deny = cases
        .iter()
        .find(|c| c.name == "main.deny")
        .expect("main.deny");
    assert!(deny.failure.is_some());
    assert!(deny.text.contains("a <b> & \"c\" 'd' ]]>"), "{deny:?}");
    assert!(
        deny.text.contains("line two") && deny.text.contains("second"),
        "{deny:?}"
    );
    let warn = cases
        .iter()
        .find(|c| c.name == "main.warn_x")
        .expect("main.warn_x");
    assert!(warn.failure.is_none() && warn.text.contains("just a warning"));
    let excepted = cases
        .iter()
        .find(|c| c.name == "main.deny_y")
        .expect("main.deny_y");
    assert!(excepted.skipped);
}

// ---- GitHub --------------------------------------------------------------------------

#[test]
fn github_annotations_are_escaped_as_github_requires() {
    let dir = tempdir();
    let pol = write(
        dir.path(),
        "p/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains {\"msg\": \"100% sure:\\nline, two\\r\", \"_loc\": {\"file\": \"mod:a,b.tf\", \"line\": 7}} if { true }\n\nwarn contains \"careful\" if { true }\n",
    );
    let r = run_clean(&[
        "check",
        "-o",
        "github",
        "--no-builtin",
        "-p",
        &pol,
        "fixtures/plans/mixed.json",
    ]);
    r.assert_code(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines.contains(&"::error file=mod%3Aa%2Cb.tf,line=7,title=plangate%3A main.deny failed::100%25 sure:%0Aline, two%0D | to unblock: fix the change or the policy"), "{}", r.stdout);
    assert!(lines.contains(&"::warning file=fixtures/plans/mixed.json,line=1,title=plangate%3A main.warn warns::careful"), "{}", r.stdout);
    assert_eq!(
        lines[0],
        "::group::plangate fixtures/plans/mixed.json: stage 0 blocked"
    );
    assert!(lines.contains(&"::endgroup::"));
    // Every command is one line: no raw newline inside a message.
    for l in &lines {
        assert!(l.starts_with("::") || l.starts_with("1 plan"), "{l}");
    }
}

#[test]
fn github_groups_change_gates_and_reports_caps_as_warnings() {
    let r = worked(CLOSED, false, &["-o", "github"]);
    r.assert_code(1);
    let out = &r.stdout;
    assert!(out.contains("::error file=fixtures/plans/mixed.json,line=1,title=plangate%3A approval blocks::approval blocks 7 changes: "), "{out}");
    assert!(out.contains("::warning file=fixtures/plans/mixed.json,line=1,title=plangate%3A destructive caps at plan-only::destructive holds 2 changes at plan-only: terraform_data.database, terraform_data.legacy_cache"), "{out}");
    assert!(out.contains("::error file=fixtures/plans/mixed.json,line=1,title=plangate%3A window blocks::outside every change window for staging | to unblock: wait for a change window"), "{out}");
}

#[test]
fn github_appends_the_markdown_to_the_step_summary() {
    let dir = tempdir();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let args = [
        "check",
        "-o",
        "github",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        CLOSED,
        "--author",
        "dave",
        "fixtures/plans/mixed.json",
    ];
    let r = Run::from_output(
        plangate()
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(args)
            .output()
            .unwrap(),
    );
    r.assert_code(1);
    assert!(
        !r.stdout.contains("## plangate"),
        "the summary is not on stdout"
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    let markdown = worked(CLOSED, false, &["-o", "markdown"]).stdout;
    assert_eq!(written, format!("# earlier step\n{markdown}\n"));
    // Other formats leave it alone.
    let r = Run::from_output(
        plangate()
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["check", "-o", "sarif", "fixtures/plans/mixed.json"])
            .output()
            .unwrap(),
    );
    r.assert_code(0);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), written);
}

// ---- conftest ------------------------------------------------------------------------

fn conftest_run(format: &str, policies: &[&str], plans: &[&str]) -> Run {
    let mut args = vec!["check", "--no-builtin", "-o", format];
    for p in policies {
        args.extend(["-p", p]);
    }
    args.extend_from_slice(plans);
    run_clean(&args)
}

#[test]
fn conftest_text_is_conftests_stdout_layout() {
    let dir = tempdir();
    let one = write(
        dir.path(),
        "one/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains \"nope\" if { true }\n",
    );
    let r = conftest_run("conftest", &[&one], &["fixtures/plans/mixed.json"]);
    assert_eq!(
        r.stdout,
        "FAIL - fixtures/plans/mixed.json - main - nope\n\n1 test, 0 passed, 0 warnings, 1 failure, 0 exceptions\n"
    );
    let r = conftest_run(
        "conftest",
        &[&policy("exception"), &policy("warn_only")],
        &["fixtures/plans/delete.json"],
    );
    let expected = "\
WARN - fixtures/plans/delete.json - main - terraform_data.bucket[\"assets\"] is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.bucket[\"backups\"] is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.bucket[\"logs\"] is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.keep is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.node[0] is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.node[1] is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.node[2] is in the plan
WARN - fixtures/plans/delete.json - main - terraform_data.obsolete is in the plan
FAIL - fixtures/plans/delete.json - main - deny_bar fired and is not excepted
EXCP - fixtures/plans/delete.json - main - data.main.exception[_][_] == \"foo\"

10 tests, 0 passed, 8 warnings, 1 failure, 1 exception
";
    assert_eq!(r.stdout, expected);
    // A pass: "passed" never takes an s, the others do at 0.
    let pass = write(dir.path(), "pass/main.rego", "package main\n\nimport rego.v1\n\ndeny contains \"x\" if { false }\n\nwarn contains \"y\" if { false }\n");
    let r = conftest_run("conftest", &[&pass], &["fixtures/plans/mixed.json"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout,
        "\n2 tests, 2 passed, 0 warnings, 0 failures, 0 exceptions\n"
    );
    // Standard input is "-" as conftest names it.
    let r = run_stdin(
        [
            "check",
            "--no-builtin",
            "-o",
            "conftest",
            "-p",
            one.as_str(),
            "-",
        ],
        read(&plan("mixed.json")).into_bytes(),
    );
    assert!(
        r.stdout.starts_with("FAIL - - main - nope\n"),
        "{}",
        r.stdout
    );
}

/// Atlantis's policy_check decides with these regular expressions over conftest's
/// text (server/core/runtime/policy): a failure, or not.
#[test]
fn conftest_text_passes_and_fails_atlantis_regexes() {
    let fail_re = regex::Regex::new(r#"([1-9]([0-9]?)* failure|failures": \[)"#).unwrap();
    let dir = tempdir();
    let one = write(
        dir.path(),
        "one/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains \"nope\" if { true }\n",
    );
    let fail = conftest_run("conftest", &[&one], &["fixtures/plans/mixed.json"]);
    assert!(fail_re.is_match(&fail.stdout));
    let fail_json = conftest_run("conftest-json", &[&one], &["fixtures/plans/mixed.json"]);
    assert!(fail_re.is_match(&fail_json.stdout));
    let warn = conftest_run(
        "conftest",
        &[&policy("warn_only")],
        &["fixtures/plans/mixed.json"],
    );
    assert!(!fail_re.is_match(&warn.stdout), "{}", warn.stdout);
    assert!(warn.stdout.starts_with("WARN"));
    let warn_json = conftest_run(
        "conftest-json",
        &[&policy("warn_only")],
        &["fixtures/plans/mixed.json"],
    );
    assert!(!fail_re.is_match(&warn_json.stdout));
    assert!(warn_json.stdout.starts_with('['));
}

#[test]
fn conftest_json_matches_the_json_findings_field_by_field() {
    let policies = [
        "tests/conformance/policies/objects-v1",
        "tests/conformance/policies/exceptions",
    ];
    let plans = ["fixtures/plans/shared/"];
    let cj = conftest_run("conftest-json", &policies, &plans);
    let js = conftest_run("json", &policies, &plans);
    assert_eq!(cj.code, js.code);
    let entries: Value = serde_json::from_str(&cj.stdout).expect("conftest-json parses");
    let doc = js.json();
    let entries = entries.as_array().unwrap();
    let plans = doc["plans"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        plans.len(),
        "one entry per plan (one namespace)"
    );
    for (e, p) in entries.iter().zip(plans) {
        assert_eq!(e["filename"], p["path"]);
        assert_eq!(e["namespace"], "main");
        assert_eq!(e["successes"], p["successes"]);
        for key in ["failures", "warnings", "exceptions"] {
            let ours = p[key].as_array().unwrap();
            let theirs = e.get(key).map(|v| v.as_array().unwrap().clone());
            // Empty lists are omitted, as conftest omits them.
            assert_eq!(
                theirs.is_none(),
                ours.is_empty(),
                "{key} of {}",
                e["filename"]
            );
            let theirs = theirs.unwrap_or_default();
            assert_eq!(theirs.len(), ours.len());
            for (t, o) in theirs.iter().zip(ours) {
                assert_eq!(t["msg"], o["msg"]);
                if key == "exceptions" {
                    assert_eq!(t.as_object().unwrap().len(), 1, "only msg: {t}");
                    continue;
                }
                assert_eq!(t.get("metadata"), o.get("metadata"), "{t}");
                assert_eq!(t.get("loc"), o.get("loc"), "{t}");
            }
        }
    }
}

#[test]
fn conftest_json_is_byte_compatible_with_go_encoding() {
    let dir = tempdir();
    let pol = write(
        dir.path(),
        "p/main.rego",
        "package main\n\nimport rego.v1\n\ndeny contains {\"msg\": \"a <b> & c\", \"zeta\": 1, \"alpha\": {\"y\": 2, \"x\": [\"<\"]}, \"_loc\": {\"line\": 3, \"file\": \"m.tf\"}} if { true }\n",
    );
    let r = conftest_run("conftest-json", &[&pol], &["fixtures/plans/mixed.json"]);
    let expected = "[\n\t{\n\t\t\"filename\": \"fixtures/plans/mixed.json\",\n\t\t\"namespace\": \"main\",\n\t\t\"successes\": 0,\n\t\t\"failures\": [\n\t\t\t{\n\t\t\t\t\"msg\": \"a \\u003cb\\u003e \\u0026 c\",\n\t\t\t\t\"loc\": {\n\t\t\t\t\t\"file\": \"m.tf\",\n\t\t\t\t\t\"line\": 3\n\t\t\t\t},\n\t\t\t\t\"metadata\": {\n\t\t\t\t\t\"alpha\": {\n\t\t\t\t\t\t\"x\": [\n\t\t\t\t\t\t\t\"\\u003c\"\n\t\t\t\t\t\t],\n\t\t\t\t\t\t\"y\": 2\n\t\t\t\t\t},\n\t\t\t\t\t\"query\": \"data.main.deny\",\n\t\t\t\t\t\"zeta\": 1\n\t\t\t\t}\n\t\t\t}\n\t\t]\n\t}\n]\n";
    assert_eq!(r.stdout, expected);
    // Standard input is named "" in conftest's JSON.
    let r = run_stdin(
        [
            "check",
            "--no-builtin",
            "-o",
            "conftest-json",
            "-p",
            pol.as_str(),
            "-",
        ],
        read(&plan("mixed.json")).into_bytes(),
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["filename"], "");
}

/// What conftest (OPA) answered for the conformance cases: the same results, as
/// multisets (conftest does not fix their order).
#[test]
fn conftest_json_equals_conftests_answer_on_the_conformance_goldens() {
    fn canon(list: Option<&Value>) -> Vec<String> {
        fn norm(v: &Value) -> Value {
            match v {
                Value::Number(n) => n
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| v.clone()),
                Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
                Value::Object(o) => {
                    let sorted: BTreeMap<&String, Value> =
                        o.iter().map(|(k, x)| (k, norm(x))).collect();
                    Value::Object(sorted.into_iter().map(|(k, x)| (k.clone(), x)).collect())
                }
                other => other.clone(),
            }
        }
        let mut v: Vec<String> = list
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|x| norm(x).to_string()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }
    for (case, policies) in [
        ("objects-v1", vec!["tests/conformance/policies/objects-v1"]),
        ("exceptions", vec!["tests/conformance/policies/exceptions"]),
        (
            "basic-and-exceptions",
            vec![
                "tests/conformance/policies/basic-v1",
                "tests/conformance/policies/exceptions",
            ],
        ),
    ] {
        let golden: Value =
            serde_json::from_str(&read(&format!("tests/conformance/expected/{case}.json")))
                .unwrap();
        let r = conftest_run("conftest-json", &policies, &["fixtures/plans/shared/"]);
        let ours: Value = serde_json::from_str(&r.stdout).unwrap();
        let ours = ours.as_array().unwrap();
        let mut compared = 0;
        for g in golden.as_array().unwrap() {
            // plangate masks sensitive values that OPA prints (a documented difference).
            if g["filename"] == "fixtures/plans/shared/sensitive.json" {
                continue;
            }
            let o = ours
                .iter()
                .find(|o| o["filename"] == g["filename"] && o["namespace"] == g["namespace"])
                .unwrap_or_else(|| panic!("{case}: {} missing", g["filename"]));
            for key in ["failures", "warnings", "exceptions"] {
                assert_eq!(
                    canon(o.get(key)),
                    canon(g.get(key)),
                    "{case} {} {key}",
                    g["filename"]
                );
            }
            compared += 1;
        }
        assert!(compared >= 10, "{case}: {compared} plans compared");
    }
}

// ---- secrets -------------------------------------------------------------------------

const SECRETS: [&str; 3] = [
    "hunter2-SECRET-VALUE",
    "s3cr3t-TOKEN-abc123",
    "old-hunter1-PASSWORD-xyz789",
];

#[test]
fn no_format_leaks_a_sensitive_value() {
    let dir = tempdir();
    let summary = dir.path().join("summary.md");
    for format in FORMATS {
        let file = dir.path().join(format!("out.{format}"));
        for to_file in [false, true] {
            let mut cmd = plangate();
            cmd.env("GITHUB_STEP_SUMMARY", &summary).args([
                "check",
                "-o",
                format,
                "-p",
                &policy("leak"),
                &plan("sensitive.json"),
            ]);
            if to_file {
                cmd.args(["--output", file.to_str().unwrap()]);
            }
            let r = Run::from_output(cmd.output().unwrap());
            r.assert_code(1);
            let mut all = r.all();
            if to_file {
                all.push_str(&std::fs::read_to_string(&file).unwrap());
            }
            for s in SECRETS {
                assert!(!all.contains(s), "{format}: {s} leaked:\n{all}");
            }
            assert!(
                all.contains("(sensitive)"),
                "{format} shows the mask:\n{all}"
            );
        }
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("## plangate"),
        "github wrote the step summary"
    );
    for s in SECRETS {
        assert!(!summary.contains(s), "{s} leaked into the step summary");
    }
}

/// A plan over a megabyte is parsed on several threads (src/plan/parallel.rs): its
/// secrets must be found the same way.
#[test]
fn a_large_plan_leaks_no_sensitive_value_either() {
    let text = std::fs::read_to_string(plan("sensitive.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let changes = doc["resource_changes"].as_array().unwrap().clone();
    let mut many = Vec::new();
    // Secrets of their own in the copies, which no original contains: only their
    // change masks mark them (the originals are also in planned_values).
    for k in 0..600 {
        for c in &changes {
            let mut copy = serde_json::to_string(c).unwrap();
            for s in SECRETS {
                copy = copy.replace(s, &format!("{}-{k}", s.to_lowercase()));
            }
            let mut c: Value = serde_json::from_str(&copy).unwrap();
            let address = format!("{}_{k}", c["address"].as_str().unwrap());
            c["address"] = address.into();
            many.push(c);
        }
    }
    let count = many.len();
    doc["resource_changes"] = Value::Array(many);
    let dir = tempdir();
    let big = dir.path().join("big.json");
    std::fs::write(&big, serde_json::to_string(&doc).unwrap()).unwrap();
    assert!(
        std::fs::metadata(&big).unwrap().len() > 1 << 20,
        "not large enough"
    );
    for format in ["json", "text", "markdown"] {
        let r = Run::from_output(
            plangate()
                .args(["check", "-o", format, "-p", &policy("leak")])
                .arg(&big)
                .output()
                .unwrap(),
        );
        r.assert_code(1);
        let all = r.all();
        for s in SECRETS {
            assert!(!all.contains(s), "{format}: {s} leaked");
            let copy = format!("{}-599", s.to_lowercase());
            assert!(!all.contains(&copy), "{format}: {copy} leaked");
        }
        if format == "json" {
            let report: Value = serde_json::from_str(&r.stdout).unwrap();
            let plan = &report["plans"][0];
            assert_eq!(plan["changes"].as_array().map(Vec::len), Some(count));
        }
    }
}
