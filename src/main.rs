//! The `plangate` binary: parse flags, call the library, print, exit.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, ColorChoice, Command, PolicyArgs, RegoVersion};
use plangate::policy::{testing, PolicyEngine, PolicyOptions};
use plangate::report::{self, Format};
use plangate::{check, diag, Diag};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color_out = use_color(cli.color, std::io::stdout().is_terminal());
    let color_err = use_color(cli.color, std::io::stderr().is_terminal());
    let code = match cli.command {
        Command::Check(args) => run_check(args, color_out, color_err),
        Command::Test(args) => run_test(args, color_out, color_err),
    };
    ExitCode::from(code)
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

fn print_diag(d: &Diag, color: bool) {
    let _ = write!(std::io::stderr(), "{}", diag::render(d, color));
}

fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn run_check(args: cli::CheckArgs, color_out: bool, color_err: bool) -> u8 {
    let mut policy = policy_options(&args.policy);
    policy.namespaces = args.namespace;
    policy.all_namespaces = args.all_namespaces;
    policy.builtin = !args.no_builtin;
    let c = args.context;
    let opts = check::CheckOptions {
        paths: args.paths,
        policy,
        config: c.config,
        context: plangate::context::ContextOptions {
            env: c.env,
            approvals_file: c.approvals,
            approvers: c.approver,
            author: c.author,
            commit: c.commit,
            now: c.now,
            match_names: Vec::new(),
        },
        require_stage: args.require_stage,
    };
    let report = check::run(&opts);
    for d in report.all_errors() {
        print_diag(d, color_err);
    }
    emit(&report::render(&report, args.format, color_out));
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
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Text => testing::render_text(&report, color_out),
    };
    emit(&text);
    if report.passed() {
        0
    } else {
        1
    }
}
