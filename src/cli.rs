//! The command line: every flag, with help text and examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use plangate::report::Format;
use plangate::stage::Stage;

#[derive(Debug, Parser)]
#[command(
    name = "plangate",
    version,
    about = "Policy-as-code gate for OpenTofu and Terraform plans",
    long_about = "plangate reads `tofu show -json` / `terraform show -json` plan output, evaluates \
Rego policies on it in-process (conftest-compatible), and reports what every change does and \
what the policies say.\n\nExit status: 0 pass, 1 policy failure, 2 error (bad input, policy that \
does not compile). Errors and failures are never confused.",
    after_help = "Examples:\n  tofu show -json plan.tfplan > plan.json && plangate check plan.json\n  plangate check -p policy/ plans/\n  plangate test policy/ --coverage"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per run: the size of the largest variant (`check`'s flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate policies on plan JSON files.
    #[command(after_help = "Examples:\n  \
        plangate check plan.json                       # built-in policies only\n  \
        plangate check -p policy/ plan.json            # plus your policies in package main\n  \
        plangate check -p policy/ -n terraform.aws plan.json\n  \
        plangate check -p policy/ --all-namespaces plans/   # every plan JSON under plans/\n  \
        tofu show -json plan.tfplan | plangate check -p policy/ -\n  \
        plangate check -p legacy/ --rego-version v0 -o json plan.json\n  \
        plangate check --source infra/ -o sarif plan.json   # results at the .tf lines")]
    Check(CheckArgs),
    /// Run the `test_*` rules of a policy tree, like `opa test`.
    #[command(after_help = "Examples:\n  \
        plangate test policy/                 # every test_* rule under policy/\n  \
        plangate test policy/ --coverage      # plus per-file coverage\n  \
        plangate test --builtin               # the embedded built-in library's own tests\n  \
        plangate test policy/ -r deny_destroy -o json")]
    Test(TestArgs),
    /// Evaluate policies on Terraform / OpenTofu source files (.tf, .tofu, .tfvars),
    /// e.g. as a pre-commit hook.
    #[command(after_help = "Examples:\n  \
        plangate lint                                  # every .tf/.tofu/.tfvars file under .\n  \
        plangate lint envs/ modules/                   # built-in lint rules\n  \
        plangate lint -p policy/ -n terraform main.tf  # plus conftest .tf policies\n  \
        plangate lint --no-builtin -p policy/ -o json .\n\n\
        Silence one finding with a comment on the line above the block:\n  \
        # plangate:ignore module-pinned vendored module, pinned by the vendoring script")]
    Lint(LintArgs),
    /// Append an apply (or its verification) to the promotion ledger.
    #[command(after_help = "Examples:\n  \
        plangate record --ledger ledger.jsonl --env cluster01 --commit $SHA --outcome applied plan.json")]
    Record(RecordArgs),
    /// Verify an apply with a fresh plan made right after it, and record the verdict.
    #[command(after_help = "Examples:\n  \
        tofu plan -out=after.tfplan && tofu show -json after.tfplan > after.json\n  \
        plangate verify --ledger ledger.jsonl --env cluster01 --commit $SHA after.json")]
    Verify(VerifyArgs),
    /// List the promotion ledger and check that every line is a well-formed record.
    #[command(
        after_help = "Examples:\n  plangate ledger --ledger ledger.jsonl\n  plangate ledger --ledger ledger.jsonl -o json"
    )]
    Ledger(LedgerArgs),
}

/// Who and where a ledger record is about.
#[derive(Debug, Args)]
pub struct RecordTarget {
    /// The ledger file (JSON lines, appended under a lock).
    #[arg(long = "ledger", value_name = "PATH")]
    pub ledger: PathBuf,

    /// The environment the plan was applied to.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,

    /// The commit the plan was made from.
    #[arg(long = "commit", value_name = "SHA")]
    pub commit: String,

    /// The Atlantis project (or any name) the plan belongs to.
    #[arg(long = "project", value_name = "NAME")]
    pub project: Option<String>,

    /// Who records it (default: $GITHUB_ACTOR, $USER_NAME, $USER).
    #[arg(long = "who", value_name = "LOGIN")]
    pub who: Option<String>,

    /// Record time (RFC 3339) instead of the clock.
    #[arg(long = "now", value_name = "TIME")]
    pub now: Option<String>,

    /// The plan JSON (`show -json`), or `-`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub target: RecordTarget,

    /// What happened.
    #[arg(long = "outcome", value_enum)]
    pub outcome: plangate::ledger::Outcome,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub target: RecordTarget,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The ledger file.
    #[arg(long = "ledger", value_name = "PATH")]
    pub ledger: PathBuf,

    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t = SimpleFormat::Text)]
    pub format: SimpleFormat,
}

/// Formats of the commands that are not `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimpleFormat {
    /// Human-readable.
    Text,
    /// Machine-readable JSON.
    Json,
}

/// Flags shared by every command that loads policies.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// A directory of .rego files (walked recursively, hidden directories skipped) or a
    /// single .rego file. Repeatable. Example: `-p policy/ -p extra.rego`.
    #[arg(short = 'p', long = "policy", value_name = "DIR|FILE")]
    pub policy: Vec<PathBuf>,

    /// A JSON or YAML document (or a directory of them) to load under `data`, as
    /// conftest and OPA do: `dir/a/b.json` lands at `data.a`. Repeatable.
    /// Example: `-d exceptions.yaml`.
    #[arg(short = 'd', long = "data", value_name = "FILE|DIR")]
    pub data: Vec<PathBuf>,

    /// Rego syntax of your policies: v1 (OPA ≥ 1.0, the default) or v0 for older
    /// libraries written as `deny[msg] { ... }`. The built-in library is always v1.
    #[arg(long = "rego-version", value_enum, default_value_t = RegoVersion::V1)]
    pub rego_version: RegoVersion,

    /// Treat a failing builtin (e.g. `to_number("x")`) as an error instead of
    /// making the expression undefined, which is OPA's default.
    #[arg(long = "strict-builtin-errors")]
    pub strict_builtin_errors: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegoVersion {
    V0,
    V1,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Plan JSON files (`tofu show -json plan.tfplan > plan.json`), directories to
    /// search for them, or `-` for standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Package whose deny/violation/warn rules are evaluated; a glob such as
    /// `terraform.*` is allowed. Repeatable. Default: `main`, as in conftest.
    /// Example: `-n main -n terraform.aws`.
    #[arg(short = 'n', long = "namespace", value_name = "PACKAGE")]
    pub namespace: Vec<String>,

    /// Evaluate every package of your policies.
    #[arg(long = "all-namespaces", conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Do not evaluate the built-in policy library (embedded in the binary).
    #[arg(long = "no-builtin")]
    pub no_builtin: bool,

    /// Output format (default: text; markdown under Atlantis). `github` also appends
    /// the Markdown comment to `$GITHUB_STEP_SUMMARY` when that variable is set.
    #[arg(short = 'o', long = "format", value_enum)]
    pub format: Option<Format>,

    /// Write the output to FILE instead of standard output (replacing it).
    /// Example: `-o sarif --output plangate.sarif`.
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub context: ContextArgs,

    /// Exit 1 when any plan's stage is below this one (a name or 0-4). An Atlantis
    /// auto-apply step uses `--require-stage auto-apply`.
    #[arg(
        long = "require-stage",
        value_name = "STAGE",
        default_value = "plan-only"
    )]
    pub require_stage: Stage,

    /// Time the policies may take on one plan (e.g. `2s`, `1m`); a rule that loops or
    /// explodes is stopped and the plan reported as an error (exit 2).
    #[arg(long = "timeout", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Plans larger than this are refused before they are read (e.g. `512MiB`, `4GiB`).
    #[arg(long = "max-plan-size", value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub max_plan_size: u64,

    /// Where the plan sits in `input`, for policy libraries written for other
    /// platforms: conftest (the plan at the root), hcp and env0 (`input.plan`),
    /// scalr (`input.tfplan`), spacelift (`input.terraform`). Such libraries are often
    /// Rego v0: add `--rego-version v0`.
    #[arg(long = "input-shape", value_enum, default_value_t = plangate::input_shape::InputShape::Conftest, value_name = "SHAPE")]
    pub input_shape: plangate::input_shape::InputShape,

    /// The promotion ledger `plangate record`/`verify` write (default: settings.ledger).
    /// In an environment with `promote_from`, promotion needs a verified record there.
    #[arg(long = "ledger", value_name = "PATH")]
    pub ledger: Option<PathBuf>,

    /// The plan digest the approvals were given for (`digest` in any output): on a
    /// plan with another digest they do not count.
    #[arg(long = "approved-digest", value_name = "DIGEST")]
    pub approved_digest: Option<String>,

    /// Plans evaluated in parallel (default: one per core). The output order never
    /// depends on it.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,

    /// Progress bar on stderr: auto (a terminal, and more than 20 plans or a
    /// directory), always, never.
    #[arg(long = "progress", value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub progress: ColorChoice,

    /// The configuration the plans were made from (its root module's directory): each
    /// change, and each policy result that names a resource, gets the file and line of
    /// its `resource`/`data` block, local module calls (`source = "./..."`) followed.
    /// Default: each plan file's directory, when it holds .tf or .tofu files.
    #[arg(long = "source", value_name = "DIR", conflicts_with = "no_source")]
    pub source: Option<PathBuf>,

    /// Do not look for the configuration (no file and line locations).
    #[arg(long = "no-source")]
    pub no_source: bool,
}

/// Where the plan is going, who approved it, and when.
#[derive(Debug, Args)]
pub struct ContextArgs {
    /// plangate.hcl to use. Default: ./plangate.hcl or the nearest one in a parent
    /// directory, else an embedded default (one environment at plan-only).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The environment the plans are for (else matched from the environments'
    /// `match` globs on the plan path, else settings.default_environment).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,

    /// GitHub pull-request reviews JSON (`gh api repos/O/R/pulls/N/reviews`): each
    /// reviewer's latest APPROVED review on --commit counts.
    #[arg(long = "approvals", value_name = "FILE")]
    pub approvals: Option<PathBuf>,

    /// A login that approved the change. Repeatable: `--approver alice --approver bob`.
    #[arg(long = "approver", value_name = "LOGIN")]
    pub approver: Vec<String>,

    /// The pull-request author; never counts as an approver.
    #[arg(long = "author", value_name = "LOGIN")]
    pub author: Option<String>,

    /// The commit the plan was made from; reviews of other commits are stale.
    #[arg(long = "commit", value_name = "SHA")]
    pub commit: Option<String>,

    /// Evaluate as of this time (RFC 3339, e.g. 2026-11-22T10:00:00Z) instead of the
    /// clock: windows, freezes and plan age use it.
    #[arg(long = "now", value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directories or .rego files holding policies and their `*_test.rego` tests.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Also load (and test) the embedded built-in library.
    #[arg(long = "builtin")]
    pub builtin: bool,

    /// Report per-file coverage: percent and the lines no test reached.
    #[arg(long = "coverage")]
    pub coverage: bool,

    /// Run only tests whose `package.name` contains this text.
    #[arg(short = 'r', long = "run", value_name = "TEXT")]
    pub run: Option<String>,

    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t = SimpleFormat::Text)]
    pub format: SimpleFormat,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// .tf, .tofu and .tfvars files, or directories to search for them (`.terraform/`
    /// and hidden directories skipped). Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Package whose deny/violation/warn rules are evaluated; a glob such as
    /// `terraform.*` is allowed. Repeatable. Default: `main`, as in conftest.
    #[arg(short = 'n', long = "namespace", value_name = "PACKAGE")]
    pub namespace: Vec<String>,

    /// Evaluate every package of your policies.
    #[arg(long = "all-namespaces", conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Do not evaluate the built-in lint rules (policies/lint/, package plangate.lint.*).
    #[arg(long = "no-builtin")]
    pub no_builtin: bool,

    /// plangate.hcl, for the resource types its `protect` blocks name. Default:
    /// ./plangate.hcl or the nearest one in a parent directory, else none.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,

    /// Print the input document of each file (conftest's hcl2 shape, keyed by path)
    /// instead of evaluating policies, like `conftest parse`.
    #[arg(long = "print-input")]
    pub print_input: bool,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// A snippet of the source per finding, then a summary line.
    Text,
    /// The `plangate/v1` lint document (README, "plangate lint").
    Json,
    /// GitHub Actions annotations (`::error file=...,line=...,col=...::`).
    Github,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (write e.g. 2s, 500ms, 1m)"))
}

fn parse_size(s: &str) -> Result<u64, String> {
    s.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("{e} (write e.g. 512MiB, 4GiB)"))
}
