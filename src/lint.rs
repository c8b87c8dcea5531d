//! `plangate lint`: Rego policies on Terraform / OpenTofu source files, before any plan
//! exists (a pre-commit hook, a CI step).
//!
//! Each `.tf`, `.tofu` and `.tfvars` file becomes the document conftest's `hcl2`
//! parser gives ([`crate::hcl`]), so `.tf` policies written for `conftest test main.tf`
//! run unchanged, with the same namespace and rule conventions as `check`. The
//! built-in lint packages (`policies/lint/`, `plangate.lint.*`) run beside them.
//!
//! Locations: a result may name the block or attribute it is about with `path` (its
//! path in the input document, e.g. `["resource", "aws_s3_bucket", "logs", 0]`), which
//! is mapped to the source span hcl-edit recorded. Without `path`, conftest's `_loc`
//! line is used, else the top-level block whose address (`aws_s3_bucket.logs`,
//! `module.vpc`, `var.x`) the message names, else the start of the file.
//!
//! Suppression: `# plangate:ignore <id>[,<id>...] <reason>` on the line(s) right above
//! a block or attribute silences those ids inside it. The reason is required; a
//! directive without one suppresses nothing and is itself a finding
//! (`ignore-reason`).

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use rayon::prelude::*;
use serde::Serialize;
use walkdir::WalkDir;

use crate::diag::{line_col_of, Diag, DiagJson};
use crate::hcl::{self, TfFile};
use crate::policy::{source, PolicyEngine, PolicyOptions, RuleKind, RuleResult, BUILTIN_PREFIX};
use crate::report::Verdict;

/// Extensions `lint` reads when it walks a directory.
pub const EXTENSIONS: &[&str] = &["tf", "tofu", "tfvars"];

/// The id of the finding an `# plangate:ignore` without a reason produces.
pub const IGNORE_REASON_ID: &str = "ignore-reason";
/// The id of a directive that is not followed by a block or attribute.
pub const IGNORE_TARGET_ID: &str = "ignore-target";

/// Everything `lint` needs.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Files and directories; empty means the current directory.
    pub paths: Vec<PathBuf>,
    /// `--policy`, `--data`, `--namespace`, ...; `builtin` turns the built-in lint
    /// packages on.
    pub policy: PolicyOptions,
    /// `--config`; else `plangate.hcl` in the current directory or a parent; else the
    /// embedded default.
    pub config: Option<PathBuf>,
}

/// Failure or warning, as conftest's rule names decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding, located in its file.
#[derive(Debug, Clone, Serialize)]
pub struct LintFinding {
    /// The result's `id` (built-in: `module-pinned`, ...), else the rule name.
    pub id: String,
    pub msg: String,
    /// 1-based line and character column of the start of the block or attribute.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub severity: Severity,
    pub namespace: String,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The result object's other keys.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    pub span: Range<usize>,
}

/// A finding silenced by `# plangate:ignore`.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: LintFinding,
    pub reason: String,
    /// The line of the directive.
    pub ignore_line: usize,
}

/// A rule a conftest `exception` rule exempted for this file.
#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    pub namespace: String,
    pub rule: String,
    /// The query conftest reports as the message.
    pub msg: String,
}

/// What lint found in one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: String,
    pub source: Option<Arc<str>>,
    pub findings: Vec<LintFinding>,
    pub suppressed: Vec<Suppressed>,
    pub exceptions: Vec<Exception>,
    pub prints: Vec<String>,
    /// The file could not be read, parsed or evaluated.
    pub error: Option<Diag>,
}

/// The result of one `lint` run.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub files: Vec<FileReport>,
    /// Errors not tied to one file (policies, config, paths).
    pub errors: Vec<Diag>,
}

impl LintReport {
    /// 2 when anything could not be read or evaluated, 1 on a failure, else 0.
    pub fn verdict(&self) -> Verdict {
        if !self.errors.is_empty() || self.files.iter().any(|f| f.error.is_some()) {
            Verdict::Error
        } else if self.count(Severity::Error) > 0 {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.findings)
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Every diagnostic, global ones first, then per file in order.
    pub fn all_errors(&self) -> impl Iterator<Item = &Diag> {
        self.errors
            .iter()
            .chain(self.files.iter().filter_map(|f| f.error.as_ref()))
    }
}

/// Run a lint. Errors never abort the run: they are recorded in the report, and every
/// other file is still checked.
pub fn run(opts: &LintOptions) -> LintReport {
    let mut report = LintReport::default();
    let (files, mut errors) = discover(&opts.paths);
    report.errors.append(&mut errors);
    let config = match crate::check::load_config(opts.config.as_deref()) {
        Ok(c) => c,
        Err(d) => {
            report.errors.push(d);
            return report;
        }
    };
    let engine = match load_engine(&opts.policy) {
        Ok(e) => e,
        Err(d) => {
            report.errors.push(d);
            return report;
        }
    };
    let config_json = config.to_json();
    report.files = files
        .par_iter()
        .map(|p| lint_file(&engine, &config_json, p))
        .collect();
    report
}

/// The policies lint evaluates: the built-in lint packages (`policies/lint/`) and the
/// user's. The check-time packages of the library are not loaded: they decide rollout
/// stages of plan changes, which a source file does not have.
pub fn load_engine(opts: &PolicyOptions) -> Result<PolicyEngine, Diag> {
    let lint_prefix = format!("{BUILTIN_PREFIX}lint/");
    let mut files: Vec<_> = if opts.builtin {
        source::builtin_files(false)
            .into_iter()
            .filter(|f| f.name.starts_with(&lint_prefix))
            .collect()
    } else {
        Vec::new()
    };
    files.extend(source::policy_files(&opts.policy_paths, false)?);
    let data = source::data_docs(&opts.data_paths)?;
    PolicyEngine::from_files(files, data, opts)
}

/// Turn the path arguments into files. Directories are walked for `.tf`, `.tofu` and
/// `.tfvars` files (sorted; `.terraform/`, `.git/` and other hidden directories
/// skipped); files named explicitly are taken whatever their extension.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diag>) {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        for entry in WalkDir::new(p)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let ext = e.path().extension().and_then(|x| x.to_str());
                    if ext.is_some_and(|x| EXTENSIONS.contains(&x)) {
                        out.push(clean(e.path()));
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(
                    Diag::new("plangate::io::walk", format!("cannot read {e}"))
                        .file(
                            e.path()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default(),
                        )
                        .help("check the permissions of the directory"),
                ),
            }
        }
    }
    (out, errors)
}

/// `./a/b.tf` → `a/b.tf`, as pre-commit and editors name files.
fn clean(p: &Path) -> PathBuf {
    p.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}

/// `lint --print-input`: the input document of every file, as policies see it, in
/// one JSON object keyed by path (like `conftest parse`). Files that cannot be read
/// or parsed are returned as diagnostics.
pub fn input_documents(paths: &[PathBuf]) -> (serde_json::Value, Vec<Diag>) {
    let (files, mut errors) = discover(paths);
    let mut out = serde_json::Map::new();
    for p in files {
        let name = p.display().to_string();
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) => {
                errors.push(
                    Diag::new("plangate::lint::read", format!("cannot read {name}: {e}"))
                        .file(name)
                        .help("check that the file exists and is readable UTF-8"),
                );
                continue;
            }
        };
        let source: Arc<str> = Arc::from(text);
        match hcl::parse(source.clone()) {
            Ok(f) => {
                out.insert(name, f.value);
            }
            Err(e) => errors.push(e.to_diag(&name, source)),
        }
    }
    (serde_json::Value::Object(out), errors)
}

/// Read, parse and evaluate one file.
pub fn lint_file(engine: &PolicyEngine, config: &serde_json::Value, path: &Path) -> FileReport {
    let name = path.display().to_string();
    let mut report = FileReport {
        path: name.clone(),
        ..FileReport::default()
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                report.error = Some(
                    Diag::new(
                        "plangate::lint::not_utf8",
                        format!("{name} is not UTF-8 text"),
                    )
                    .file(name)
                    .help("save the file as UTF-8, as Terraform requires"),
                );
                return report;
            }
        },
        Err(e) => {
            report.error = Some(
                Diag::new("plangate::lint::read", format!("cannot read {name}: {e}"))
                    .file(name)
                    .help("check that the file exists and is readable"),
            );
            return report;
        }
    };
    let source: Arc<str> = Arc::from(text);
    report.source = Some(source.clone());
    let mut file = match hcl::parse(source.clone()) {
        Ok(f) => f,
        Err(e) => {
            report.error = Some(e.to_diag(&name, source));
            return report;
        }
    };
    // The document is only needed as input; locations come from the spans.
    let input = regorus::Value::from(std::mem::take(&mut file.value));
    let eval = match engine.evaluate(&input, policy_data(path, config), &[]) {
        Ok(e) => e,
        Err(d) => {
            report.error = Some(match d.file {
                Some(_) => d,
                None => d.file(name),
            });
            return report;
        }
    };
    report.prints = eval.prints;
    report.exceptions = eval
        .exceptions
        .into_iter()
        .map(|e| Exception {
            namespace: e.namespace,
            rule: e.rule,
            msg: e.msg,
        })
        .collect();
    let mut findings: Vec<LintFinding> = eval
        .failures
        .into_iter()
        .chain(eval.warnings)
        .map(|r| locate(&file, r))
        .collect();
    let (directives, mut bad) = ignore_directives(&file);
    findings.append(&mut bad);
    for f in findings {
        let hit = directives.iter().find(|d| {
            d.target.contains(&f.span.start)
                && d.ids.iter().any(|id| {
                    *id == f.id || *id == f.rule || *id == format!("{}.{}", f.namespace, f.rule)
                })
        });
        match hit {
            Some(d) => report.suppressed.push(Suppressed {
                finding: f,
                reason: d.reason.clone(),
                ignore_line: d.line,
            }),
            None => report.findings.push(f),
        }
    }
    report
        .findings
        .sort_by(|a, b| (a.line, a.column, &a.id).cmp(&(b.line, b.column, &b.id)));
    report
}

/// `data` for one file: `data.plangate` (`file` as named, `abs_path`, `config`) and
/// `data.conftest.file` as conftest injects it.
fn policy_data(path: &Path, config: &serde_json::Value) -> regorus::Value {
    let slashes = |p: &Path| p.display().to_string().replace('\\', "/");
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let dir = abs
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    regorus::Value::from(serde_json::json!({
        "plangate": {"file": slashes(path), "abs_path": slashes(&abs), "config": config},
        "conftest": {"file": {"name": name, "dir": dir}},
    }))
}

/// Where a result points, and what it is called.
fn locate(file: &TfFile, r: RuleResult) -> LintFinding {
    let mut metadata = r.metadata;
    metadata.remove("query");
    let text = |m: &mut serde_json::Map<String, serde_json::Value>, k: &str| match m.get(k) {
        Some(serde_json::Value::String(s)) => {
            let s = s.clone();
            m.remove(k);
            Some(s)
        }
        _ => None,
    };
    let id = text(&mut metadata, "id").unwrap_or_else(|| r.rule.clone());
    let fix = text(&mut metadata, "fix");
    let by_path = match metadata.get("path") {
        Some(p @ serde_json::Value::Array(_)) => file.span_of_json(p),
        _ => None,
    };
    if by_path.is_some() {
        metadata.remove("path");
    }
    let by_loc = || {
        let line = r.loc.as_ref()?.get("line")?.as_u64()? as usize;
        let start = file
            .source
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum::<usize>();
        let end = file.source[start..]
            .find('\n')
            .map_or(file.source.len(), |i| start + i);
        Some(start..end)
    };
    let span = by_path
        .or_else(by_loc)
        .or_else(|| file.span_of_address_in(&r.msg))
        .unwrap_or(0..0);
    let (line, column) = line_col_of(&file.source, span.start);
    let (end_line, end_column) = line_col_of(&file.source, span.end);
    LintFinding {
        id,
        msg: r.msg,
        line,
        column,
        end_line,
        end_column,
        severity: match r.kind {
            RuleKind::Failure => Severity::Error,
            RuleKind::Warning => Severity::Warning,
        },
        namespace: r.namespace,
        rule: r.rule,
        fix,
        metadata,
        span,
    }
}

/// A valid `# plangate:ignore` directive and the source range it covers.
struct Directive {
    line: usize,
    ids: Vec<String>,
    reason: String,
    target: Range<usize>,
}

/// Find `# plangate:ignore <ids> <reason>` comments (`#` or `//`, alone on their
/// line). Returns the valid ones, and findings for the invalid ones.
fn ignore_directives(file: &TfFile) -> (Vec<Directive>, Vec<LintFinding>) {
    let src = &file.source;
    let lines: Vec<&str> = src.lines().collect();
    let is_comment = |l: &str| {
        let t = l.trim_start();
        t.starts_with('#') || t.starts_with("//")
    };
    let mut directives = Vec::new();
    let mut bad = Vec::new();
    let mut offset = 0usize;
    for (i, raw) in src.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw.len();
        let l = raw.trim_end_matches(['\n', '\r']);
        if !is_comment(l) {
            continue;
        }
        let Some(at) = l.find("plangate:ignore") else {
            continue;
        };
        let rest = l[at + "plangate:ignore".len()..].trim();
        let span = line_start + at..line_start + l.len();
        let mut parts = rest.splitn(2, char::is_whitespace);
        let ids: Vec<String> = parts
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let reason = parts.next().unwrap_or("").trim().to_string();
        let lineno = i + 1;
        let finding = |id: &str, msg: String, fix: &str, severity: Severity| {
            let (line, column) = line_col_of(src, span.start);
            let (end_line, end_column) = line_col_of(src, span.end);
            LintFinding {
                id: id.to_string(),
                msg,
                line,
                column,
                end_line,
                end_column,
                severity,
                namespace: "plangate.lint".into(),
                rule: "ignore".into(),
                fix: Some(fix.to_string()),
                metadata: serde_json::Map::new(),
                span: span.clone(),
            }
        };
        if ids.is_empty() || reason.is_empty() {
            bad.push(finding(
                IGNORE_REASON_ID,
                if ids.is_empty() {
                    "`plangate:ignore` names no finding id and gives no reason; it suppresses nothing".to_string()
                } else {
                    format!("`plangate:ignore {}` gives no reason; it suppresses nothing", ids.join(","))
                },
                "write `# plangate:ignore <id> <why this is acceptable>` on the line above the block",
                Severity::Error,
            ));
            continue;
        }
        // The first line below that is not a comment: the block or attribute there.
        let next = (i + 1..lines.len()).find(|&j| !is_comment(lines[j]));
        let target = next.and_then(|j| file.item_starting_on_line(j + 1));
        match target {
            Some(item) => directives.push(Directive {
                line: lineno,
                ids,
                reason,
                target: item.span.clone(),
            }),
            None => bad.push(finding(
                IGNORE_TARGET_ID,
                format!("`plangate:ignore {}` is not directly above a block or attribute; it suppresses nothing", ids.join(",")),
                "put the comment on the line right above the block (or attribute) the finding points at",
                Severity::Warning,
            )),
        }
    }
    (directives, bad)
}

// -- output -----------------------------------------------------------------------

/// A finding as miette draws it: the message, a snippet of the file with the block or
/// attribute marked, and the fix.
struct Drawn<'a> {
    finding: &'a LintFinding,
    code: String,
    source: NamedSource<Arc<str>>,
}

impl std::fmt::Debug for Drawn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.finding.msg)
    }
}
impl std::fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.finding.msg)
    }
}
impl std::error::Error for Drawn<'_> {}
impl Diagnostic for Drawn<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.finding
            .fix
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        // The first line of the span: a whole block would draw its whole body.
        let s = &self.finding.span;
        let src = self.source.inner();
        let first_line_end = src[s.start..s.end.max(s.start)]
            .find('\n')
            .map_or(s.end, |i| s.start + i);
        let span: SourceSpan = (s.start, first_line_end.saturating_sub(s.start)).into();
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.finding.id.clone()),
            span,
        ))))
    }
}

/// Text output: a snippet per finding (files without findings are not listed), then
/// a summary line.
pub fn render_text(report: &LintReport, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_links(false);
    let mut out = String::new();
    for f in &report.files {
        let Some(src) = &f.source else { continue };
        for p in &f.prints {
            let _ = writeln!(out, "{}: PRNT  {p}", f.path);
        }
        for finding in &f.findings {
            let drawn = Drawn {
                finding,
                code: format!("{}.{} {}", finding.namespace, finding.rule, finding.id),
                source: NamedSource::new(&f.path, src.clone()),
            };
            if handler.render_report(&mut out, &drawn).is_err() {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {}: {}",
                    f.path, finding.line, finding.column, finding.id, finding.msg
                );
            }
        }
    }
    let (errors, warnings) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
    );
    let suppressed: usize = report.files.iter().map(|f| f.suppressed.len()).sum();
    let n = report.files.len();
    let diags = report.all_errors().count();
    let _ = writeln!(
        out,
        "{n} file{}: {errors} failure{}, {warnings} warning{}, {suppressed} suppressed, {diags} error{}",
        plural(n),
        plural(errors),
        plural(warnings),
        plural(diags)
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    files: Vec<JsonFile<'a>>,
    errors: Vec<DiagJson>,
    summary: JsonSummary,
    exit_code: i32,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    findings: &'a [LintFinding],
    #[serde(skip_serializing_if = "<[Suppressed]>::is_empty")]
    suppressed: &'a [Suppressed],
    #[serde(skip_serializing_if = "<[Exception]>::is_empty")]
    exceptions: &'a [Exception],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    prints: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<DiagJson>,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    failures: usize,
    warnings: usize,
    suppressed: usize,
    errors: usize,
}

/// `-o json`: the `plangate/v1` lint document (README, "plangate lint").
pub fn render_json(report: &LintReport) -> String {
    let doc = JsonDoc {
        schema: crate::report::json::SCHEMA,
        files: report
            .files
            .iter()
            .map(|f| JsonFile {
                path: &f.path,
                findings: &f.findings,
                suppressed: &f.suppressed,
                exceptions: &f.exceptions,
                prints: &f.prints,
                error: f.error.as_ref().map(Diag::to_json),
            })
            .collect(),
        errors: report.errors.iter().map(Diag::to_json).collect(),
        summary: JsonSummary {
            files: report.files.len(),
            failures: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            suppressed: report.files.iter().map(|f| f.suppressed.len()).sum(),
            errors: report.all_errors().count(),
        },
        exit_code: report.verdict() as i32,
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| {
        format!(
            "{{\"schema\":\"{}\",\"error\":\"{e}\"}}",
            crate::report::json::SCHEMA
        )
    });
    out.push('\n');
    out
}

/// `-o github`: one GitHub Actions workflow command per finding and error, with the
/// file and region, so the finding is annotated on the pull request's diff.
pub fn render_github(report: &LintReport) -> String {
    // Workflow command escaping: data escapes %, CR, LF; properties also : and ,.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for f in &report.files {
        for x in &f.findings {
            let level = match x.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut msg = x.msg.clone();
            if let Some(fix) = &x.fix {
                msg.push_str("\nfix: ");
                msg.push_str(fix);
            }
            let _ = writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                prop(&f.path),
                x.line,
                x.column,
                x.end_line,
                x.end_column,
                prop(&format!("plangate lint {}", x.id)),
                data(&msg)
            );
        }
    }
    for d in report.all_errors() {
        let j = d.to_json();
        let mut props = Vec::new();
        if let Some(file) = &j.file {
            props.push(format!("file={}", prop(file)));
        }
        if let (Some(l), Some(c)) = (j.line, j.column) {
            props.push(format!("line={l},col={c}"));
        }
        props.push(format!("title={}", prop(&j.code)));
        let _ = writeln!(out, "::error {}::{}", props.join(","), data(&j.message));
    }
    out
}
