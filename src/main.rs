//! The `plangate` binary: parse flags, call the library, print, exit.

mod cli;

/// mimalloc: plans are millions of small allocations built and dropped at once,
/// where glibc's malloc spends a fifth of the run (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, ColorChoice, Command, PolicyArgs, RegoVersion};
use plangate::policy::{testing, PolicyEngine, PolicyOptions};
use plangate::report::{self, Format};
use plangate::{check, diag, Diag};

fn main() -> ExitCode {
    quiet_library_backtraces();
    let cli = Cli::parse();
    let color_out = use_color(cli.color, std::io::stdout().is_terminal());
    let color_err = use_color(cli.color, std::io::stderr().is_terminal());
    let code = match cli.command {
        // A file (`--output`) is no terminal: colours only with `--color always`.
        Command::Check(args) => run_check(args, color_out, color_err, use_color(cli.color, false)),
        Command::Test(args) => run_test(args, color_out, color_err),
        Command::Lint(args) => run_lint(args, color_out, color_err),
        Command::Record(args) => run_record(args, color_err),
        Command::Verify(args) => run_verify(args, color_err),
        Command::Ledger(args) => run_ledger(args, color_err),
    };
    ExitCode::from(code)
}

/// regorus builds `anyhow` errors as it parses and evaluates, and backtracks over
/// most of them. Under `RUST_BACKTRACE=1` (common in CI) each one captured a
/// backtrace: half the instructions of a small check, a third of the CPU of a 5,000-
/// change one. plangate's own errors are diagnostics, not backtraces, so library
/// backtraces are off unless `RUST_LIB_BACKTRACE` asks for them; panics still follow
/// `RUST_BACKTRACE`. Called first, while the process has one thread.
fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
}

fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn policy_options(p: &PolicyArgs) -> PolicyOptions {
    PolicyOptions {
        policy_paths: p.policy.clone(),
        data_paths: p.data.clone(),
        rego_v0: p.rego_version == RegoVersion::V0,
        strict_builtin_errors: p.strict_builtin_errors,
        ..PolicyOptions::default()
    }
}

/// More than 20 plans, or a directory (which may hold hundreds).
fn paths_hint_many(paths: &[std::path::PathBuf]) -> bool {
    paths.len() > 20 || paths.iter().any(|p| p.is_dir())
}

fn print_diag(d: &Diag, color: bool) {
    let _ = write!(std::io::stderr(), "{}", diag::render(d, color));
}

fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn run_check(args: cli::CheckArgs, color_out: bool, color_err: bool, color_to_file: bool) -> u8 {
    let mut policy = policy_options(&args.policy);
    policy.namespaces = args.namespace;
    policy.all_namespaces = args.all_namespaces;
    policy.builtin = !args.no_builtin;
    policy.timeout = Some(args.timeout);
    let mut c = args.context;
    let mut args_paths = args.paths;
    // Under Atlantis, its variables fill in what the flags did not say.
    let atlantis = plangate::atlantis::Atlantis::from_env();
    let mut match_names = Vec::new();
    if let Some(a) = &atlantis {
        if args_paths.is_empty() {
            if let Some(show) = &a.showfile {
                args_paths.push(show.into());
            }
        }
        c.author = c.author.or_else(|| a.pull_author.clone());
        c.commit = c.commit.or_else(|| a.head_commit.clone());
        match_names = a.match_names();
    }
    let opts_paths = args_paths.clone();
    let opts = check::CheckOptions {
        paths: args_paths,
        policy,
        config: c.config,
        context: plangate::context::ContextOptions {
            env: c.env,
            approvals_file: c.approvals,
            approvers: c.approver,
            author: c.author,
            commit: c.commit,
            now: c.now,
            match_names,
        },
        require_stage: args.require_stage,
        jobs: args.jobs,
        input_shape: args.input_shape,
        max_plan_size: args.max_plan_size,
        ledger: args.ledger,
        approved_digest: args.approved_digest,
        progress: match args.progress {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // Only a terminal, and only when the wait is worth a bar: CI logs stay clean.
            ColorChoice::Auto => std::io::stderr().is_terminal() && paths_hint_many(&opts_paths),
        },
        source: match (args.source, args.no_source) {
            (_, true) => check::SourceDir::Off,
            (Some(dir), false) => check::SourceDir::Dir(dir),
            (None, false) => check::SourceDir::Auto,
        },
    };
    // Under Atlantis the output is a PR comment unless a flag says otherwise.
    let format = args.format.unwrap_or(if atlantis.is_some() {
        Format::Markdown
    } else {
        Format::Text
    });
    let report = plangate::timings::phase("check", || check::run(&opts));
    for d in report.all_errors() {
        print_diag(d, color_err);
    }
    for w in &report.warnings {
        let _ = writeln!(std::io::stderr(), "warning: {w}");
    }
    let verdict = report.verdict() as u8;
    let code = match &args.output {
        Some(path) => {
            let text = report::render(&report, format, color_to_file);
            write_output(path, &text, color_err)
        }
        None => {
            let text =
                plangate::timings::phase("render", || report::render(&report, format, color_out));
            emit(&text);
            // Freed by the OS at exit (see below).
            std::mem::forget(text);
            0
        }
    };
    let summary = if format == Format::Github {
        append_step_summary(&report, color_err)
    } else {
        0
    };
    // The process ends now: freeing the report of a large plan piece by piece
    // would take a tenth of a second for nothing, and the OS reclaims it at once.
    std::mem::forget(report);
    verdict.max(code).max(summary)
}

/// `--output FILE`: the rendering replaces FILE. 0, or 2 with a diagnostic.
fn write_output(path: &std::path::Path, text: &str, color_err: bool) -> u8 {
    match std::fs::write(path, text) {
        Ok(()) => 0,
        Err(e) => {
            print_diag(
                &Diag::new(
                    "plangate::io::output",
                    format!("cannot write the output to {}: {e}", path.display()),
                )
                .file(path.display().to_string())
                .help("pass a writable path to --output (its directory must exist)"),
                color_err,
            );
            2
        }
    }
}

/// `-o github` in a GitHub Actions job: append the Markdown comment to the job
/// summary file named by `$GITHUB_STEP_SUMMARY`, as GitHub documents it.
fn append_step_summary(report: &report::Report, color_err: bool) -> u8 {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return 0;
    };
    let text = report::render(report, Format::Markdown, false);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(format!("{text}\n").as_bytes()));
    match written {
        Ok(()) => 0,
        Err(e) => {
            let path = std::path::PathBuf::from(path);
            print_diag(
                &Diag::new(
                    "plangate::io::step_summary",
                    format!(
                        "cannot append the summary to $GITHUB_STEP_SUMMARY ({}): {e}",
                        path.display()
                    ),
                )
                .help(
                    "GITHUB_STEP_SUMMARY must name a writable file; unset it to skip the summary",
                ),
                color_err,
            );
            2
        }
    }
}

fn run_lint(args: cli::LintArgs, color_out: bool, color_err: bool) -> u8 {
    if args.print_input {
        let (docs, errors) = plangate::lint::input_documents(&args.paths);
        for d in &errors {
            print_diag(d, color_err);
        }
        emit(&(serde_json::to_string_pretty(&docs).unwrap_or_default() + "\n"));
        return if errors.is_empty() { 0 } else { 2 };
    }
    let mut policy = policy_options(&args.policy);
    policy.namespaces = args.namespace;
    policy.all_namespaces = args.all_namespaces;
    policy.builtin = !args.no_builtin;
    let opts = plangate::lint::LintOptions {
        paths: args.paths,
        policy,
        config: args.config,
    };
    let report = plangate::lint::run(&opts);
    for d in report.all_errors() {
        print_diag(d, color_err);
    }
    emit(&match args.format {
        cli::LintFormat::Text => plangate::lint::render_text(&report, color_out),
        cli::LintFormat::Json => plangate::lint::render_json(&report),
        cli::LintFormat::Github => plangate::lint::render_github(&report),
    });
    report.verdict() as u8
}

fn run_test(args: cli::TestArgs, color_out: bool, color_err: bool) -> u8 {
    let mut policy = policy_options(&args.policy);
    policy.builtin = args.builtin;
    // Tests run in every package; namespaces only select conftest rules for `check`.
    policy.all_namespaces = true;
    if args.paths.is_empty() && !args.builtin {
        print_diag(
            &Diag::new("plangate::cli::no_input", "no policy directory given")
                .help("pass the directory holding your .rego files and their tests: `plangate test policy/`, or `--builtin`"),
            color_err,
        );
        return 2;
    }
    policy.policy_paths = args.paths;
    let engine = match PolicyEngine::load(&policy, true) {
        Ok(e) => e,
        Err(d) => {
            print_diag(&d, color_err);
            return 2;
        }
    };
    let report = match testing::run(&engine, args.coverage, args.run.as_deref()) {
        Ok(r) => r,
        Err(d) => {
            print_diag(&d, color_err);
            return 2;
        }
    };
    let text = match args.format {
        cli::SimpleFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        cli::SimpleFormat::Text => testing::render_text(&report, color_out),
    };
    emit(&text);
    if report.passed() {
        0
    } else {
        1
    }
}

fn record_options(t: &cli::RecordTarget) -> plangate::promote::RecordOptions {
    let who = t.who.clone().or_else(|| {
        ["GITHUB_ACTOR", "USER_NAME", "USER"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    });
    plangate::promote::RecordOptions {
        environment: t.env.clone(),
        commit: t.commit.clone(),
        project: t.project.clone(),
        who,
        now: t.now.clone(),
    }
}

fn load_plan_arg(p: &std::path::Path) -> Result<plangate::plan::Plan, Diag> {
    let src = if p.as_os_str() == "-" {
        plangate::plan::PlanSource::Stdin
    } else {
        plangate::plan::PlanSource::File(p.to_path_buf())
    };
    plangate::plan::load(&src)
}

fn run_record(args: cli::RecordArgs, color_err: bool) -> u8 {
    let result = load_plan_arg(&args.target.plan).and_then(|plan| {
        plangate::promote::record(
            &args.target.ledger,
            &plan,
            &record_options(&args.target),
            args.outcome,
        )
    });
    match result {
        Ok(r) => {
            emit(&format!(
                "recorded {:?} for {} at {} (plan {})\n",
                r.outcome, r.environment, r.commit, r.plan_digest
            ));
            0
        }
        Err(d) => {
            print_diag(&d, color_err);
            2
        }
    }
}

fn run_verify(args: cli::VerifyArgs, color_err: bool) -> u8 {
    let result = load_plan_arg(&args.target.plan).and_then(|plan| {
        plangate::promote::verify(&args.target.ledger, &plan, &record_options(&args.target))
    });
    match result {
        Ok(v) => {
            let r = &v.record;
            let mut text = format!(
                "{:?}: {} at {} (plan {})\n",
                r.outcome, r.environment, r.commit, r.plan_digest
            );
            for reason in &r.reasons {
                text.push_str(&format!("  - {reason}\n"));
            }
            emit(&text);
            if r.outcome == plangate::ledger::Outcome::Verified {
                0
            } else {
                1
            }
        }
        Err(d) => {
            print_diag(&d, color_err);
            2
        }
    }
}

fn run_ledger(args: cli::LedgerArgs, color_err: bool) -> u8 {
    let ledger = match plangate::ledger::Ledger::read(&args.ledger) {
        Ok(l) => l,
        Err(d) => {
            print_diag(&d, color_err);
            return 2;
        }
    };
    // A torn last line is an old crash: reported, not fatal. Anything else is not a ledger.
    let fatal = ledger
        .problems
        .iter()
        .any(|(_, m)| !m.starts_with("torn last line"));
    match args.format {
        cli::SimpleFormat::Json => {
            let doc = serde_json::json!({
                "schema": "plangate/ledger/v1",
                "path": args.ledger.display().to_string(),
                "records": ledger.records,
                "problems": ledger.problems.iter().map(|(l, m)| serde_json::json!({"line": l, "message": m})).collect::<Vec<_>>(),
                "valid": !fatal,
            });
            emit(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
        }
        cli::SimpleFormat::Text => {
            let mut text = String::new();
            for r in &ledger.records {
                text.push_str(&format!(
                    "{}  {:<9} {:<16} {:<12} {}  {}{}\n",
                    r.time,
                    format!("{:?}", r.outcome).to_lowercase(),
                    r.environment,
                    r.commit.chars().take(12).collect::<String>(),
                    r.plan_digest,
                    r.who.as_deref().unwrap_or("-"),
                    r.project
                        .as_ref()
                        .map(|p| format!("  project {p}"))
                        .unwrap_or_default(),
                ));
            }
            for (line, m) in &ledger.problems {
                text.push_str(&format!("line {line}: {m}\n"));
            }
            text.push_str(&format!(
                "{} records, {} problems: {}\n",
                ledger.records.len(),
                ledger.problems.len(),
                if fatal { "NOT a valid ledger" } else { "valid" }
            ));
            emit(&text);
        }
    }
    if fatal {
        2
    } else {
        0
    }
}
