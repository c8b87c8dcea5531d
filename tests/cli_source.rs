//! `plangate check --source DIR`: changes and findings carry the file and line of
//! their `resource` block, local module calls followed, in every structured format.
//! The configurations are the real ones that made `fixtures/plans/*.json`
//! (`fixtures/terraform/<case>/`, laid out as `generate.sh` lays them out).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// The working directory `generate.sh` planned in: `common/` then `after/` copied
/// into one directory, with the plan JSON beside them as `plan.json`.
fn planned_dir(case: &str) -> tempfile::TempDir {
    let dir = tempdir();
    let src = root().join("fixtures/terraform").join(case);
    for stage in ["common", "after"] {
        copy_tree(&src.join(stage), dir.path());
    }
    std::fs::copy(
        root().join(format!("fixtures/plans/{case}.json")),
        dir.path().join("plan.json"),
    )
    .expect("copy the plan");
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for e in entries {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// A plan address without its instance keys (the fixtures' keys hold no `]`).
fn strip_keys(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `.tf` files of a directory, sorted, with their text.
fn tf_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read .tf");
            (p, text)
        })
        .collect()
}

/// Where the test expects a change's block, read from the `.tf` text with plain
/// string search (independently of plangate's parser): follow each `module "x"`'s
/// `source = "..."` line, then find the line `resource "type" "name" {`.
fn expected(root_dir: &Path, address: &str) -> Option<(PathBuf, usize)> {
    let config = strip_keys(address);
    let parts: Vec<&str> = config.split('.').collect();
    let mut dir = root_dir.to_path_buf();
    let mut i = 0;
    while parts.get(i) == Some(&"module") {
        let name = parts.get(i + 1)?;
        let header = format!("module \"{name}\" {{");
        let source = tf_files(&dir).into_iter().find_map(|(_, text)| {
            let after = &text[text.find(&header)?..];
            let line = after
                .lines()
                .find(|l| l.trim_start().starts_with("source"))?;
            let value = line.split('"').nth(1)?;
            Some(value.to_string())
        })?;
        dir = dir.join(source);
        i += 2;
    }
    let (kind, t, n) = match &parts[i..] {
        ["data", t, n] => ("data", *t, *n),
        [t, n] => ("resource", *t, *n),
        _ => return None,
    };
    let header = format!("{kind} \"{t}\" \"{n}\" {{");
    tf_files(&dir).into_iter().find_map(|(p, text)| {
        let line = text.lines().position(|l| l.starts_with(&header))? + 1;
        Some((p, line))
    })
}

/// Lexically cleaned, as plangate reports module paths (`a/b/../c` is `a/c`).
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            _ => out.push(c),
        }
    }
    out
}

fn check(dir: &Path, args: &[&str]) -> Run {
    Run::from_output(
        plangate()
            .current_dir(dir)
            .env_remove("GITHUB_STEP_SUMMARY")
            .arg("check")
            .args(args)
            .output()
            .expect("plangate runs"),
    )
}

fn changes(r: &Run) -> Vec<Value> {
    r.json()["plans"][0]["changes"]
        .as_array()
        .expect("changes")
        .clone()
}

fn every_location(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "location" {
                    out.push(x.clone());
                }
                every_location(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| every_location(x, out)),
        _ => {}
    }
}

fn locations(r: &Run) -> Vec<Value> {
    let mut out = Vec::new();
    every_location(&r.json(), &mut out);
    out
}

// ---- JSON: every change, through nested modules with count and for_each --------------

#[test]
fn modules_plan_gets_every_changes_block_from_the_plans_directory() {
    let dir = planned_dir("modules");
    // The plan's own directory, given relatively: files come out relative too.
    let r = check(dir.path(), &["-o", "json", "plan.json"]);
    r.assert_code(0);
    let changes = changes(&r);
    assert_eq!(changes.len(), 21, "{}", r.stdout);
    let mut in_nested = 0;
    for c in &changes {
        let address = c["address"].as_str().unwrap();
        let (file, line) =
            expected(dir.path(), address).unwrap_or_else(|| panic!("the test finds {address}"));
        let relative = clean(&file);
        let relative = relative.strip_prefix(dir.path()).expect("inside the dir");
        let loc = &c["location"];
        assert_eq!(
            loc["file"].as_str(),
            Some(relative.to_str().unwrap()),
            "{address}: {loc}"
        );
        assert_eq!(loc["line"].as_u64(), Some(line as u64), "{address}: {loc}");
        assert_eq!(loc["column"], 1, "{address}");
        assert!(
            loc["file"].as_str().unwrap().starts_with("modules/"),
            "a module's resource points into the module: {address} {loc}"
        );
        if address.contains(".module.dns.") {
            assert_eq!(loc["file"], "modules/dns_record/main.tf");
            in_nested += 1;
        }
    }
    assert_eq!(in_nested, 4, "every service instance's nested dns record");
}

#[test]
fn explicit_source_applies_to_a_plan_elsewhere_and_paths_stay_as_given() {
    let dir = planned_dir("modules");
    let source = dir.path().display().to_string();
    let r = check(
        &root(),
        &["-o", "json", "--source", &source, &plan("modules.json")],
    );
    r.assert_code(0);
    for c in changes(&r) {
        let address = c["address"].as_str().unwrap();
        let (file, line) = expected(dir.path(), address).expect("found by the test");
        assert_eq!(c["location"]["file"], clean(&file).display().to_string());
        assert_eq!(c["location"]["line"], line);
    }
    let web = changes(&r)
        .into_iter()
        .find(|c| c["address"] == r#"module.service["web"].module.dns.terraform_data.record"#)
        .expect("the nested record");
    assert_eq!(
        web["location"]["file"],
        format!("{source}/modules/dns_record/main.tf")
    );
}

#[test]
fn root_resources_are_located_and_removed_ones_are_not() {
    let r = run([
        "check",
        "-o",
        "json",
        "--source",
        "fixtures/terraform/mixed/after",
        "fixtures/plans/mixed.json",
    ]);
    r.assert_code(0);
    let tf = Path::new("fixtures/terraform/mixed/after");
    for c in changes(&r) {
        let address = c["address"].as_str().unwrap();
        match expected(&root().join(tf), address) {
            Some((_, line)) => {
                assert_eq!(
                    c["location"]["file"],
                    "fixtures/terraform/mixed/after/main.tf"
                );
                assert_eq!(c["location"]["line"], line, "{address}");
            }
            // legacy_cache and audit_log_bucket: no block any more.
            None => assert!(c.get("location").is_none(), "{address}: {c}"),
        }
    }
    let unlocated: Vec<&str> = [
        "terraform_data.legacy_cache",
        "terraform_data.audit_log_bucket",
    ]
    .into_iter()
    .collect();
    for a in unlocated {
        assert!(changes(&r).iter().any(|c| c["address"] == a));
    }
}

// ---- no configuration, no locations ---------------------------------------------------

#[test]
fn a_plan_in_a_directory_without_tf_files_gets_no_locations() {
    for format in ["json", "text", "github", "sarif"] {
        let with = run(["check", "-o", format, "fixtures/plans/mixed.json"]);
        with.assert_code(0);
        assert!(!with.stdout.contains(".tf"), "{format}:\n{}", with.stdout);
        let off = run([
            "check",
            "-o",
            format,
            "--no-source",
            "fixtures/plans/mixed.json",
        ]);
        assert_eq!(with.stdout, off.stdout, "{format}");
    }
    let r = run(["check", "-o", "json", "fixtures/plans/mixed.json"]);
    assert!(locations(&r).is_empty(), "{}", r.stdout);
    // Standard input has no directory.
    let stdin = run_stdin(
        ["check", "-o", "json", "-"],
        std::fs::read(root().join("fixtures/plans/mixed.json")).unwrap(),
    );
    stdin.assert_code(0);
    assert!(locations(&stdin).is_empty());
}

#[test]
fn no_source_turns_the_default_off() {
    let dir = planned_dir("modules");
    let r = check(dir.path(), &["-o", "json", "--no-source", "plan.json"]);
    r.assert_code(0);
    assert!(locations(&r).is_empty(), "{}", r.stdout);
}

#[test]
fn plans_in_several_directories_each_use_their_own() {
    let dir = planned_dir("modules");
    std::fs::copy(dir.path().join("plan.json"), dir.path().join("again.json")).unwrap();
    std::fs::create_dir(dir.path().join("elsewhere")).unwrap();
    std::fs::copy(
        dir.path().join("plan.json"),
        dir.path().join("elsewhere/plan.json"),
    )
    .unwrap();
    let r = check(
        dir.path(),
        &[
            "-o",
            "json",
            "plan.json",
            "again.json",
            "elsewhere/plan.json",
        ],
    );
    r.assert_code(0);
    let doc = r.json();
    let plans = doc["plans"].as_array().unwrap();
    for (i, p) in plans.iter().enumerate() {
        let mut locs = Vec::new();
        every_location(p, &mut locs);
        if i < 2 {
            assert_eq!(locs.len(), 21, "{}", p["path"]);
        } else {
            assert!(locs.is_empty(), "no .tf beside elsewhere/plan.json");
        }
    }
}

// ---- bad input -----------------------------------------------------------------------

#[test]
fn an_unparsable_tf_file_is_a_warning_and_changes_nothing_else() {
    let dir = planned_dir("mixed");
    let before = check(dir.path(), &["-o", "json", "--no-source", "plan.json"]);
    write(dir.path(), "broken.tf", "resource \"x\" \"y\" {\n  a = \n");
    let r = check(dir.path(), &["-o", "json", "plan.json"]);
    r.assert_code(before.code);
    assert_no_panic(&r);
    assert!(
        r.stderr.contains("warning: broken.tf:2:7: invalid HCL"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json()["exit_code"], before.json()["exit_code"]);
    assert!(r.json()["errors"].as_array().unwrap().is_empty());
    let db = changes(&r)
        .into_iter()
        .find(|c| c["address"] == "terraform_data.database")
        .unwrap();
    assert_eq!(
        db["location"]["file"], "main.tf",
        "the other files still count"
    );
}

#[test]
fn a_missing_source_directory_is_an_error() {
    let r = run([
        "check",
        "--source",
        "no/such/dir",
        "fixtures/plans/mixed.json",
    ]);
    assert_diagnostic(&r, "no/such/dir", "plangate::cli::source_not_a_directory");
}

#[test]
fn odd_configurations_never_panic() {
    let dir = tempdir();
    // A module that calls itself, a remote module, a module whose directory is
    // missing, a non-UTF-8 file, an empty file, a directory named like a file.
    write(
        dir.path(),
        "main.tf",
        "module \"loop\" {\n  source = \"./\"\n}\nmodule \"r\" {\n  source = \"hashicorp/x/aws\"\n}\nmodule \"gone\" {\n  source = \"./gone\"\n}\nresource \"terraform_data\" \"database\" {}\n",
    );
    write(dir.path(), "bytes.tf", [0xff, 0xfe, b'{', 0x00]);
    write(dir.path(), "empty.tofu", "");
    std::fs::create_dir(dir.path().join("dir.tf")).unwrap();
    let plan_path = dir.path().join("plan.json");
    std::fs::copy(root().join("fixtures/plans/mixed.json"), &plan_path).unwrap();
    let r = check(dir.path(), &["-o", "json", "plan.json"]);
    r.assert_code(0);
    assert_no_panic(&r);
    let db = changes(&r)
        .into_iter()
        .find(|c| c["address"] == "terraform_data.database")
        .unwrap();
    assert_eq!(db["location"]["line"], 10);
}

// ---- policy findings -----------------------------------------------------------------

const POLICY: &str = r#"package main

deny contains msg if {
	some c in input.resource_changes
	c.address == "terraform_data.database"
	msg := sprintf("%s must not be replaced", [c.address])
}

deny contains {"msg": "the cache is too small", "address": "terraform_data.cache"}

warn contains {"msg": "has its own location: terraform_data.app_server", "_loc": {"file": "elsewhere.tf", "line": 7}}

warn contains "nothing in particular"
"#;

#[test]
fn findings_that_name_a_resource_get_its_block() {
    let pol = tempdir();
    let policy = write(pol.path(), "p.rego", POLICY);
    let base = [
        "check",
        "--no-builtin",
        "-p",
        policy.as_str(),
        "--source",
        "fixtures/terraform/mixed/after",
    ];
    let tf = root().join("fixtures/terraform/mixed/after");
    let line_of = |a: &str| expected(&tf, a).unwrap().1;
    let mut args = base.to_vec();
    args.extend(["-o", "json", "fixtures/plans/mixed.json"]);
    let r = run(&args);
    r.assert_code(1);
    let doc = r.json();
    let p = &doc["plans"][0];
    let by_msg = |list: &str, start: &str| -> Value {
        p[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["msg"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("{start} in {list}"))
            .clone()
    };
    let named_in_msg = by_msg("failures", "terraform_data.database");
    assert_eq!(
        named_in_msg["location"]["line"],
        line_of("terraform_data.database")
    );
    let by_metadata = by_msg("failures", "the cache");
    assert_eq!(
        by_metadata["location"]["line"],
        line_of("terraform_data.cache")
    );
    assert_eq!(
        by_metadata["location"]["file"],
        "fixtures/terraform/mixed/after/main.tf"
    );
    // `_loc` wins; a finding that names nothing gets nothing.
    assert!(by_msg("warnings", "has its own").get("location").is_none());
    assert!(by_msg("warnings", "nothing").get("location").is_none());

    // text: `file:line` beside the change and the finding.
    let mut args = base.to_vec();
    args.extend(["fixtures/plans/mixed.json"]);
    let text = run(&args);
    let db_line = format!(
        "fixtures/terraform/mixed/after/main.tf:{}",
        line_of("terraform_data.database")
    );
    assert!(
        text.stdout.lines().any(|l| l.contains("FAIL")
            && l.contains("must not be replaced")
            && l.ends_with(&db_line)),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .lines()
            .any(|l| l.contains("± terraform_data.database") && l.ends_with(&db_line)),
        "{}",
        text.stdout
    );

    // github: the failure annotated at the block.
    let mut args = base.to_vec();
    args.extend(["-o", "github", "fixtures/plans/mixed.json"]);
    let gh = run(&args);
    let want = format!(
        "::error file=fixtures/terraform/mixed/after/main.tf,line={},col=1,title=plangate%3A main.deny failed::terraform_data.database must not be replaced",
        line_of("terraform_data.database")
    );
    assert!(
        gh.stdout.lines().any(|l| l.starts_with(&want)),
        "{}",
        gh.stdout
    );
    assert!(
        gh.stdout.contains("::warning file=elsewhere.tf,line=7,"),
        "{}",
        gh.stdout
    );
}

// ---- github and SARIF for stage gates ------------------------------------------------

fn worked(format: &str) -> Run {
    run([
        "check",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        "2026-11-23T16:30:00Z",
        "--author",
        "dave",
        "--source",
        "fixtures/terraform/mixed/after",
        "-o",
        format,
        "fixtures/plans/mixed.json",
    ])
}

#[test]
fn github_annotations_carry_file_line_and_column() {
    let r = worked("github");
    r.assert_code(1);
    let line = expected(
        &root().join("fixtures/terraform/mixed/after"),
        "terraform_data.database",
    )
    .unwrap()
    .1;
    let protect = r
        .stdout
        .lines()
        .find(|l| l.contains("protect blocks"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(
        protect.starts_with(&format!(
            "::error file=fixtures/terraform/mixed/after/main.tf,line={line},col=1,"
        )),
        "{protect}"
    );
    // A gate grouped over changes in no single file stays on the plan.
    let approval = r
        .stdout
        .lines()
        .find(|l| l.contains("approval blocks 7 changes"))
        .unwrap();
    assert!(approval.starts_with("::error file=fixtures/plans/mixed.json,line=1,"));
}

fn sarif_validator() -> jsonschema::Validator {
    let path = root().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_points_at_the_block_validates_and_keeps_the_plan() {
    let r = worked("sarif");
    let doc = r.json();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{}", errors.join("\n"), r.stdout);
    let line = expected(
        &root().join("fixtures/terraform/mixed/after"),
        "terraform_data.database",
    )
    .unwrap()
    .1;
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let protect = results.iter().find(|r| r["ruleId"] == "protect").unwrap();
    let physical = &protect["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "fixtures/terraform/mixed/after/main.tf"
    );
    assert_eq!(physical["region"]["startLine"], line);
    assert_eq!(physical["region"]["startColumn"], 1);
    assert_eq!(
        protect["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/plans/mixed.json"
    );
    assert_eq!(
        protect["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "terraform_data.database"
    );
    // Fingerprints do not depend on where the source is.
    let without = run([
        "check",
        "-c",
        "examples/worked/plangate.hcl",
        "--env",
        "staging",
        "--now",
        "2026-11-23T16:30:00Z",
        "--author",
        "dave",
        "-o",
        "sarif",
        "fixtures/plans/mixed.json",
    ])
    .json();
    let prints = |d: &Value| -> Vec<Value> {
        d["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(prints(&doc), prints(&without));
}

#[test]
fn text_snapshot_of_the_worked_example_with_its_source() {
    let r = worked("text");
    r.assert_code(1);
    insta::assert_snapshot!("text_worked_closed_with_source", r.stdout);
}
