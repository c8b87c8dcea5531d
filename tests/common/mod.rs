//! Helpers shared by the end-to-end CLI tests: run the `plangate` binary with stable
//! output (no colour), find fixtures, and check diagnostics the same way everywhere.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The repository root; every command runs there so relative paths in the output are
/// the ones given on the command line.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `plangate --color never` with `NO_COLOR=1`, run from the repository root.
pub fn plangate() -> Command {
    let mut cmd = Command::cargo_bin("plangate").expect("the plangate binary is built");
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .args(["--color", "never"]);
    cmd
}

/// A real plan under `fixtures/plans/`, as a path relative to the root.
pub fn plan(name: &str) -> String {
    format!("fixtures/plans/{name}")
}

/// A policy directory under `tests/fixtures/policies/`, relative to the root.
pub fn policy(name: &str) -> String {
    format!("tests/fixtures/policies/{name}")
}

/// A file under `tests/fixtures/`, relative to the root.
pub fn test_fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// Text of a file relative to the root.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A finished run: exit code and both streams as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(out: Output) -> Run {
        Run {
            code: out
                .status
                .code()
                .expect("plangate exited normally, not by a signal"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// stdout parsed as JSON (for `-o json`).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Both streams, for "must not appear anywhere" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Run `plangate` with these arguments.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Run::from_output(plangate().args(args).output().expect("plangate runs"))
}

/// Run `plangate` with these arguments and `stdin` as standard input.
pub fn run_stdin<I, S>(args: I, stdin: Vec<u8>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Run::from_output(
        plangate()
            .args(args)
            .write_stdin(stdin)
            .output()
            .expect("plangate runs"),
    )
}

/// The contract of every bad input: exit code 2, a diagnostic on stderr that names
/// the file, carries its stable code and a `help:` line, and is not a panic.
pub fn assert_diagnostic(run: &Run, file: &str, code: &str) {
    run.assert_code(2);
    assert_no_panic(run);
    let err = &run.stderr;
    assert!(err.contains(file), "stderr names {file}:\n{err}");
    assert!(err.contains(code), "stderr has the code {code}:\n{err}");
    assert!(
        err.lines().any(|l| l.trim_start().starts_with("help:")),
        "stderr has a help: line:\n{err}"
    );
}

/// Exit 2 with the code and a help line, for errors not tied to one file.
pub fn assert_diagnostic_without_file(run: &Run, code: &str) {
    run.assert_code(2);
    assert_no_panic(run);
    let err = &run.stderr;
    assert!(err.contains(code), "stderr has the code {code}:\n{err}");
    assert!(
        err.lines().any(|l| l.trim_start().starts_with("help:")),
        "stderr has a help: line:\n{err}"
    );
}

pub fn assert_no_panic(run: &Run) {
    for s in [&run.stdout, &run.stderr] {
        assert!(!s.contains("panicked"), "a panic:\n{s}");
        assert!(!s.contains("RUST_BACKTRACE"), "a panic:\n{s}");
    }
}

/// The `help:` text of a diagnostic (the help line and its wrapped continuation).
pub fn help_text(stderr: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stderr.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("help:") {
            inside = true;
            out.push_str(rest.trim());
        } else if inside && !t.is_empty() && !t.contains("plangate::") {
            out.push(' ');
            out.push_str(t);
        } else {
            inside = false;
        }
    }
    out
}

/// The `[file:line:col]` header miette draws above a snippet, as (line, col).
pub fn snippet_position(stderr: &str, file: &str) -> (usize, usize) {
    let start = format!("[{file}:");
    let at = stderr
        .find(&start)
        .unwrap_or_else(|| panic!("no [{file}:line:col] header in:\n{stderr}"));
    let rest = &stderr[at + start.len()..];
    let end = rest.find(']').expect("header closes");
    let mut parts = rest[..end].split(':');
    let line = parts.next().and_then(|l| l.parse().ok()).expect("line");
    let col = parts.next().and_then(|c| c.parse().ok()).expect("column");
    (line, col)
}

/// The character index, in the rendered snippet line `line` (the one drawn as
/// `<line> │ ...`), of the first character the label underlines, and that line's text
/// from that character on. Tabs are already expanded by miette in both lines, so
/// the two indices are comparable.
pub fn underlined(stderr: &str, line: usize) -> (usize, String) {
    let lines: Vec<&str> = stderr.lines().collect();
    let prefix = format!("{line} │");
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&prefix))
        .unwrap_or_else(|| panic!("snippet line {line} not drawn in:\n{stderr}"));
    let underline = lines[i + 1..]
        .iter()
        .find(|l| l.trim_start().starts_with('·'))
        .unwrap_or_else(|| panic!("no underline after line {line}:\n{stderr}"));
    let chars: Vec<char> = underline.chars().collect();
    let gutter = chars.iter().position(|c| *c == '·').expect("gutter");
    let col = chars
        .iter()
        .enumerate()
        .skip(gutter + 1)
        .find(|(_, c)| matches!(c, '┬' | '─' | '^' | '╭' | '│'))
        .map(|(i, _)| i)
        .expect("underline mark");
    let text: String = lines[i].chars().skip(col).collect();
    (col, text)
}

/// Every plan fixture: `fixtures/plans/*.json` and `fixtures/plans/shared/*.json`.
pub fn all_plan_fixtures() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["fixtures/plans", "fixtures/plans/shared"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .expect("fixture dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
            .collect();
        names.sort();
        out.extend(names);
    }
    assert!(out.len() > 20, "fixtures found: {out:?}");
    out
}

/// The action class of a resource change, computed independently of plangate:
/// `actions` is a set; delete+create and forget+create (either order) are replace.
pub fn classify(actions: &[Value]) -> &'static str {
    let set: std::collections::BTreeSet<&str> = actions
        .iter()
        .map(|a| a.as_str().expect("action is a string"))
        .collect();
    let v: Vec<&str> = set.into_iter().collect();
    match v.as_slice() {
        ["create"] => "create",
        ["update"] => "update",
        ["delete"] => "delete",
        ["forget"] => "forget",
        ["read"] => "read",
        ["no-op"] => "no-op",
        ["create", "delete"] | ["create", "forget"] => "replace",
        _ => "unknown",
    }
}

/// A temporary directory for generated inputs.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Write `bytes` to `dir/name` and return the path as a string.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, bytes).expect("write");
    p.display().to_string()
}

/// A real fixture with its `format_version` replaced.
pub fn with_format_version(fixture: &str, version: &str) -> String {
    let text = read(&plan(fixture));
    let mut v: Value = serde_json::from_str(&text).expect("fixture is JSON");
    v["format_version"] = Value::from(version);
    serde_json::to_string(&v).expect("serialize")
}
