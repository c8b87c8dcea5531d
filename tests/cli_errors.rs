//! Every bad input ends with exit code 2 and a diagnostic that names the file, has a
//! stable code and a `help:` line, and is never a panic.

mod common;

use common::*;
use serde_json::Value;

// ---- plan files ------------------------------------------------------------------

#[test]
fn missing_file_is_exit_2_with_not_found_help() {
    let r = run(["check", "--no-builtin", "does/not/exist.json"]);
    assert_diagnostic(&r, "does/not/exist.json", "plangate::io::not_found");
    assert!(help_text(&r.stderr).contains('-'), "help mentions stdin");
}

#[test]
fn directory_without_plans_is_exit_2_naming_the_directory() {
    let dir = tempdir();
    write(
        dir.path(),
        "package.json",
        r#"{"name": "web", "version": "1.0.0"}"#,
    );
    write(dir.path(), "tsconfig.json", r#"{"compilerOptions": {}}"#);
    let path = dir.path().display().to_string();
    let r = run(["check", "--no-builtin", &path]);
    assert_diagnostic(&r, &path, "plangate::input::no_plans");
    assert!(
        help_text(&r.stderr).contains("show -json"),
        "help says how to make plan JSON: {}",
        r.stderr
    );
}

#[test]
fn empty_file_is_exit_2() {
    let dir = tempdir();
    let p = write(dir.path(), "empty.json", "");
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::empty");
}

#[test]
fn whitespace_only_file_is_exit_2() {
    let dir = tempdir();
    let p = write(dir.path(), "blank.json", " \n\t\r\n   \n");
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::empty");
}

#[test]
fn invalid_json_is_exit_2_with_line_and_column() {
    let p = test_fixture("plans/invalid.json");
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::invalid_json");
    // The bare word `oops` on line 3, column 5.
    assert!(
        r.stderr.contains(&format!("{p}:3:5")),
        "position shown as file:3:5:\n{}",
        r.stderr
    );
    let (_, text) = underlined(&r.stderr, 3);
    assert!(text.starts_with("oops"), "label points at `oops`: {text:?}");
}

#[test]
fn invalid_json_position_is_in_characters_after_non_ascii_text() {
    // Terraform writes UTF-8 unescaped; serde_json counts columns in bytes.
    let dir = tempdir();
    let p = write(
        dir.path(),
        "accents.json",
        "{\"format_version\": \"1.2\",\n  \"description\": \"café – déjà vu ✓\", oops\n}\n",
    );
    let r = run(["check", "--no-builtin", "-o", "json", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::invalid_json");
    let col = "  \"description\": \"café – déjà vu ✓\", ".chars().count() + 1;
    assert_eq!(snippet_position(&r.stderr, &p), (2, col), "{}", r.stderr);
    let (_, text) = underlined(&r.stderr, 2);
    assert!(text.starts_with("oops"), "label points at `oops`: {text:?}");
    let err = &r.json()["plans"][0]["error"];
    assert_eq!(err["line"], 2);
    assert_eq!(err["column"], col);
}

#[test]
fn truncated_json_is_exit_2_and_points_at_the_end() {
    let text = read(&plan("mixed.json"));
    let half = &text[..text.len() / 2];
    let dir = tempdir();
    let p = write(dir.path(), "half.json", half);
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::truncated_json");
    let (line, col) = snippet_position(&r.stderr, &p);
    assert_eq!(line, 1, "a show -json plan is one line");
    assert_eq!(col, half.trim_end().chars().count(), "the last character");
    assert!(r.stderr.contains("the file ends here"), "{}", r.stderr);
}

#[test]
fn one_line_plan_error_shows_a_window_not_the_whole_line() {
    // `show -json` writes one line, often megabytes: the snippet must not be all of it.
    let text = read(&plan("modules.json"));
    assert!(text.len() > 20_000);
    let dir = tempdir();
    let p = write(dir.path(), "cut.json", &text[..text.len() - 100]);
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::truncated_json");
    assert!(
        r.stderr.len() < 2_000,
        "stderr is {} bytes:\n{}",
        r.stderr.len(),
        &r.stderr[..r.stderr.len().min(3_000)]
    );
    assert!(r.stderr.contains('…'), "the window is marked as cut");
}

#[test]
fn state_file_is_exit_2_with_plan_out_help() {
    let p = "fixtures/other/state.json";
    let r = run(["check", "--no-builtin", p]);
    assert_diagnostic(&r, p, "plangate::plan::not_a_plan");
    let help = help_text(&r.stderr);
    assert!(help.contains("plan -out"), "help: {help}");
    assert!(help.contains("show -json"), "help: {help}");
}

#[test]
fn object_that_is_not_a_plan_is_exit_2() {
    let dir = tempdir();
    let p = write(dir.path(), "obj.json", r#"{"a":1}"#);
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::not_a_plan");
}

#[test]
fn json_array_is_exit_2() {
    let dir = tempdir();
    let p = write(dir.path(), "arr.json", r#"[{"format_version": "1.2"}]"#);
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::not_a_plan");
}

#[test]
fn json_string_is_exit_2() {
    let dir = tempdir();
    let p = write(dir.path(), "str.json", "\"plan.json\"\n");
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::not_a_plan");
}

#[test]
fn human_readable_plan_text_is_exit_2_not_json() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "plan.txt",
        "Terraform will perform the following actions:\n\n  # terraform_data.x will be created\n",
    );
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::not_json");
}

#[test]
fn binary_planfile_is_exit_2_with_show_json_help() {
    let p = "fixtures/other/plan.tfplan";
    let r = run(["check", "--no-builtin", p]);
    assert_diagnostic(&r, p, "plangate::plan::binary_planfile");
    let help = help_text(&r.stderr);
    assert!(help.contains("tofu show -json"), "help: {help}");
    assert!(help.contains("show -json"), "help: {help}");
}

#[test]
fn format_version_2_is_exit_2() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "v2.json",
        with_format_version("create.json", "2.0"),
    );
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::unsupported_version");
    assert!(r.stderr.contains("2.0"), "{}", r.stderr);
}

#[test]
fn format_versions_0_x_and_1_x_load() {
    let dir = tempdir();
    for v in ["0.1", "0.2", "1.0", "1.1", "1.2"] {
        let p = write(
            dir.path(),
            &format!("v{v}.json"),
            with_format_version("create.json", v),
        );
        let r = run(["check", "--no-builtin", "-o", "json", &p]);
        r.assert_code(0);
        assert_eq!(r.json()["plans"][0]["format_version"], v);
    }
}

#[test]
fn wrong_type_in_a_known_field_is_exit_2_with_line() {
    let mut v: Value = serde_json::from_str(&read(&plan("create.json"))).unwrap();
    v["resource_changes"][2]["change"]["actions"] = Value::from("create");
    let text = serde_json::to_string_pretty(&v).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("\"actions\": \"create\""))
        .expect("the edited field")
        + 1;
    let dir = tempdir();
    let p = write(dir.path(), "wrong-type.json", &text);
    let r = run(["check", "--no-builtin", "-o", "json", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::invalid");
    assert_eq!(snippet_position(&r.stderr, &p).0, line, "{}", r.stderr);
    assert!(r.stderr.contains("expected a sequence"), "{}", r.stderr);
    assert_eq!(r.json()["plans"][0]["error"]["line"], line);
}

#[test]
fn utf16_bom_with_odd_length_is_exit_2() {
    let dir = tempdir();
    let p = write(dir.path(), "odd.json", b"\xFF\xFE{\x00\"");
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::not_text");
}

#[test]
fn latin1_bytes_are_exit_2_not_text() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "latin1.json",
        b"{\"format_version\": \"1.2\", \"x\": \"caf\xE9\"}",
    );
    let r = run(["check", "--no-builtin", &p]);
    assert_diagnostic(&r, &p, "plangate::plan::not_text");
}

#[test]
fn empty_stdin_is_exit_2_naming_dash() {
    let r = run_stdin(["check", "--no-builtin", "-"], Vec::new());
    assert_diagnostic(&r, "-", "plangate::plan::empty");
}

#[test]
fn no_plan_argument_is_exit_2() {
    let r = run(["check", "--no-builtin"]);
    assert_diagnostic_without_file(&r, "plangate::cli::no_input");
}

// ---- policies ----------------------------------------------------------------------

/// A v1 policy whose line 7 has `~`, which is no Rego token, after `indent`.
fn broken_policy(indent: &str, msg_literal: &str) -> String {
    format!(
        "package main\n\nimport rego.v1\n\ndeny contains msg if {{\n{indent}x := 1\n{indent}msg := sprintf({msg_literal}, [x]) ~ 3\n}}\n"
    )
}

fn assert_parse_error_at_tilde(policy_text: &str) {
    let dir = tempdir();
    let p = write(dir.path(), "broken.rego", policy_text);
    let r = run(["check", "--no-builtin", "-p", &p, &plan("create.json")]);
    assert_diagnostic(&r, &p, "plangate::policy::parse_error");
    let line7 = policy_text.lines().nth(6).unwrap();
    let col = line7[..line7.find('~').unwrap()].chars().count() + 1;
    assert_eq!(snippet_position(&r.stderr, &p), (7, col), "{}", r.stderr);
    let (_, text) = underlined(&r.stderr, 7);
    assert!(
        text.starts_with("~ 3"),
        "label points at `~`: {text:?}\n{}",
        r.stderr
    );
}

#[test]
fn rego_parse_error_shows_line_and_column() {
    assert_parse_error_at_tilde(&broken_policy("    ", "\"%v\""));
}

#[test]
fn rego_parse_error_in_tab_indented_policy_points_at_the_token() {
    // regorus counts a tab as four columns; plangate converts back to characters.
    assert_parse_error_at_tilde(&broken_policy("\t\t", "\"%v\""));
}

#[test]
fn rego_parse_error_after_non_ascii_string_points_at_the_token() {
    assert_parse_error_at_tilde(&broken_policy("\t", "\"héllo wörld %v\""));
}

#[test]
fn v0_policy_under_v1_is_exit_2_suggesting_rego_version_v0() {
    let p = policy("legacy_v0");
    let r = run(["check", "--no-builtin", "-p", &p, &plan("create.json")]);
    assert_diagnostic(&r, &p, "plangate::policy::parse_error");
    assert!(
        help_text(&r.stderr).contains("--rego-version v0"),
        "{}",
        r.stderr
    );
}

#[test]
fn object_result_without_msg_is_exit_2() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("no_msg"),
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, "create.json", "plangate::policy::result_without_msg");
    assert!(r.stderr.contains("data.main.deny"), "{}", r.stderr);
}

#[test]
fn unknown_namespace_is_exit_2() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("namespaces"),
        "-n",
        "nosuchns",
        &plan("create.json"),
    ]);
    assert_diagnostic_without_file(&r, "plangate::policy::namespace_not_found");
    assert!(r.stderr.contains("nosuchns"), "{}", r.stderr);
    // The help lists the packages that do exist.
    assert!(
        help_text(&r.stderr).contains("terraform.aws"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_policy_path_is_exit_2() {
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        "no/such/policy",
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, "no/such/policy", "plangate::policy::not_found");
}

#[test]
fn policy_directory_without_rego_files_is_exit_2() {
    let dir = tempdir();
    write(dir.path(), "README.md", "# policies go here\n");
    write(dir.path(), "policy.rego.bak", "package main\n");
    let p = dir.path().display().to_string();
    let r = run(["check", "--no-builtin", "-p", &p, &plan("create.json")]);
    assert_diagnostic(&r, &p, "plangate::policy::empty_dir");
}

#[test]
fn strict_builtin_error_is_exit_2() {
    let r = run([
        "check",
        "--no-builtin",
        "--strict-builtin-errors",
        "-p",
        &policy("builtin_error"),
        &plan("create.json"),
    ]);
    assert_diagnostic_without_file(&r, "plangate::policy::eval_error");
    assert!(
        r.stderr.contains("to_number"),
        "the snippet shows the call: {}",
        r.stderr
    );
}

#[test]
fn eval_error_snippet_is_labelled_with_the_policy_file() {
    let p = policy("builtin_error");
    let r = run([
        "check",
        "--no-builtin",
        "--strict-builtin-errors",
        "-p",
        &p,
        &plan("create.json"),
    ]);
    r.assert_code(2);
    let file = format!("{p}/main.rego");
    assert_eq!(snippet_position(&r.stderr, &file).0, 8, "{}", r.stderr);
}

#[test]
fn invalid_data_document_is_exit_2() {
    let dir = tempdir();
    let d = write(dir.path(), "data.json", "{\"x\": [1, 2,, 3]}\n");
    let r = run([
        "check",
        "--no-builtin",
        "-p",
        &policy("deny_creates"),
        "-d",
        &d,
        &plan("create.json"),
    ]);
    assert_diagnostic(&r, &d, "plangate::data::invalid_json");
}

#[test]
fn bad_input_errors_also_appear_in_json_output() {
    let r = run([
        "check",
        "--no-builtin",
        "-o",
        "json",
        "fixtures/other/plan.tfplan",
    ]);
    r.assert_code(2);
    let doc = r.json();
    assert_eq!(doc["exit_code"], 2);
    let err = &doc["plans"][0]["error"];
    assert_eq!(err["code"], "plangate::plan::binary_planfile");
    assert_eq!(err["file"], "fixtures/other/plan.tfplan");
    assert!(err["help"].as_str().unwrap().contains("show -json"));
}
