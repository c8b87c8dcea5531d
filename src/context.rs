//! The evaluation context: environment, approvals, author, commit and time. Read once
//! from flags (and, later, Atlantis variables), then given to policies as
//! `data.plangate.context`. Tests always pass `--now`; nothing else reads the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Environment};
use crate::diag::{offset_of, Diag};

/// Flags that make up the context.
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    /// `--env`: wins over path matching and the default.
    pub env: Option<String>,
    /// `--approvals`: a GitHub "list reviews for a pull request" JSON file.
    pub approvals_file: Option<PathBuf>,
    /// `--approver`: logins that approved, given directly.
    pub approvers: Vec<String>,
    pub author: Option<String>,
    pub commit: Option<String>,
    /// `--now` (RFC 3339); the clock when absent.
    pub now: Option<String>,
    /// Extra names matched against environment globs besides the plan path (the
    /// Atlantis project name and directory).
    pub match_names: Vec<String>,
}

/// One reviewer's latest review that counts.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub login: String,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Given on another commit than `--commit`: does not count.
    pub stale: bool,
}

/// The resolved context shared by every plan of a run.
#[derive(Debug, Clone)]
pub struct Context {
    pub env: Option<String>,
    pub author: Option<String>,
    pub commit: Option<String>,
    pub now: DateTime<Utc>,
    /// Valid approvals: latest review APPROVED (on `commit` when given), plus
    /// `--approver`, author excluded; lower-case, sorted.
    pub approvers: Vec<String>,
    pub reviews: Vec<Review>,
    pub match_names: Vec<String>,
    pub codeowners: Option<Codeowners>,
}

impl Context {
    pub fn resolve(opts: &ContextOptions, config: &Config) -> Result<Context, Diag> {
        let now = match &opts.now {
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    Diag::new(
                        "plangate::cli::bad_now",
                        format!("--now {s:?} is not an RFC 3339 time: {e}"),
                    )
                    .help("write e.g. --now 2026-11-22T10:00:00Z")
                })?,
            None => Utc::now(),
        };
        let author = opts.author.as_ref().map(|a| normalize_login(a));
        let reviews = match &opts.approvals_file {
            Some(p) => load_reviews(p, opts.commit.as_deref())?,
            None => Vec::new(),
        };
        let mut approvers: BTreeSet<String> = reviews
            .iter()
            .filter(|r| r.state == "APPROVED" && !r.stale)
            .map(|r| r.login.clone())
            .collect();
        approvers.extend(opts.approvers.iter().map(|a| normalize_login(a)));
        if let Some(a) = &author {
            approvers.remove(a);
        }
        if let Some(env) = &opts.env {
            if !config.environments.contains_key(env) {
                let known: Vec<&str> = config.environments.keys().map(String::as_str).collect();
                let near = known
                    .iter()
                    .map(|k| (strsim::damerau_levenshtein(env, k), *k))
                    .filter(|(d, _)| *d <= 2)
                    .min()
                    .map(|(_, k)| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                return Err(Diag::new(
                    "plangate::cli::unknown_environment",
                    format!("--env {env}: no such environment in {}", config.path),
                )
                .help(format!("{near}environments are: {}", known.join(", "))));
            }
        }
        Ok(Context {
            env: opts.env.clone(),
            author,
            commit: opts.commit.clone(),
            now,
            approvers: approvers.into_iter().collect(),
            reviews,
            match_names: opts.match_names.clone(),
            codeowners: Codeowners::find(config)?,
        })
    }

    /// The environment of a plan: `--env`, else the first environment (by name)
    /// whose `match` globs match the plan path (as given, or relative to the
    /// directory of plangate.hcl) or an Atlantis project/dir, else
    /// `default_environment`, else the only environment.
    pub fn environment<'c>(
        &self,
        config: &'c Config,
        plan_path: &str,
    ) -> Result<(&'c str, &'c Environment), Diag> {
        if let Some(name) = &self.env {
            if let Some((k, v)) = config.environments.get_key_value(name) {
                return Ok((k.as_str(), v));
            }
        }
        let mut candidates = vec![plan_path.trim_start_matches("./").to_string()];
        // `match` globs are written from where plangate.hcl is: an absolute path, or
        // one given from a subdirectory, matches by its place in that tree.
        if let Some(rel) = config
            .dir
            .as_deref()
            .and_then(|d| relative_to(d, plan_path))
        {
            if !candidates.contains(&rel) {
                candidates.push(rel);
            }
        }
        candidates.extend(self.match_names.iter().cloned());
        for (name, env) in &config.environments {
            for pattern in &env.match_ {
                let Ok(glob) = globset::GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                else {
                    continue;
                };
                let m = glob.compile_matcher();
                if candidates.iter().any(|c| {
                    m.is_match(c) || m.is_match(Path::new(c).parent().unwrap_or(Path::new("")))
                }) {
                    return Ok((name.as_str(), env));
                }
            }
        }
        if let Some(d) = &config.settings.default_environment {
            if let Some((k, v)) = config.environments.get_key_value(d) {
                return Ok((k.as_str(), v));
            }
        }
        if config.environments.len() == 1 {
            if let Some((k, v)) = config.environments.iter().next() {
                return Ok((k.as_str(), v));
            }
        }
        Err(Diag::new(
            "plangate::context::no_environment",
            format!("no environment matches {plan_path}"),
        )
        .file(plan_path)
        .help("pass --env NAME, add a `match` glob for this path to an environment, or set settings.default_environment"))
    }

    /// `data.plangate.context` for one plan.
    pub fn to_json(&self, env_name: &str, env: &Environment, plan_path: &str) -> serde_json::Value {
        let codeowners = self
            .codeowners
            .as_ref()
            .map(|c| c.owners_of(plan_path))
            .unwrap_or_default();
        let mut environment = serde_json::json!({"name": env_name, "stage": env.stage});
        if let Some(p) = &env.promote_from {
            environment["promote_from"] = p.clone().into();
        }
        let mut ctx = serde_json::json!({
            "environment": environment,
            "now": self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "now_ns": self.now.timestamp_nanos_opt().unwrap_or(i64::MAX),
            "approvers": self.approvers,
            "reviews": self.reviews,
            "codeowners": codeowners,
        });
        // Absent, not null, so `object.get` defaults apply (docs/policy-api.md).
        if let Some(a) = &self.author {
            ctx["author"] = a.clone().into();
        }
        if let Some(c) = &self.commit {
            ctx["commit"] = c.clone().into();
        }
        ctx
    }
}

/// `plan_path` relative to `dir` ("/"-separated), when the plan lies inside it.
/// Symbolic links in the directories are resolved on both sides.
fn relative_to(dir: &Path, plan_path: &str) -> Option<String> {
    if plan_path == "-" {
        return None;
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let dir = dir.canonicalize().ok()?;
    let abs = std::path::absolute(plan_path).ok()?;
    let abs = match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| abs.clone()),
        _ => abs.clone(),
    };
    let rel = abs.strip_prefix(&dir).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn normalize_login(s: &str) -> String {
    s.trim().trim_start_matches('@').to_ascii_lowercase()
}

#[derive(Deserialize)]
struct RawReview {
    #[serde(default)]
    user: Option<RawUser>,
    state: String,
    #[serde(default)]
    commit_id: Option<String>,
    #[serde(default)]
    submitted_at: Option<String>,
}

#[derive(Deserialize)]
struct RawUser {
    login: String,
}

/// Read GitHub reviews: each reviewer's latest APPROVED / CHANGES_REQUESTED /
/// DISMISSED review counts; COMMENTED and PENDING change nothing.
pub fn load_reviews(path: &Path, commit: Option<&str>) -> Result<Vec<Review>, Diag> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diag::new(
            "plangate::approvals::read",
            format!("cannot read approvals: {e}"),
        )
        .file(name.clone())
        .help("pass the JSON of `gh api repos/OWNER/REPO/pulls/N/reviews` with --approvals")
    })?;
    parse_reviews(&name, Arc::from(text), commit)
}

pub fn parse_reviews(
    name: &str,
    text: Arc<str>,
    commit: Option<&str>,
) -> Result<Vec<Review>, Diag> {
    let raw: Vec<RawReview> = serde_json::from_str(&text).map_err(|e| {
        let off = offset_of(&text, e.line(), e.column(), |_| 1);
        Diag::new(
            "plangate::approvals::shape",
            format!("not a GitHub reviews list: {e}"),
        )
        .file(name)
        .at(text.clone(), off..off + 1, "here")
        .help("expected the array `gh api repos/OWNER/REPO/pulls/N/reviews` returns: [{\"user\":{\"login\":...},\"state\":\"APPROVED\",\"commit_id\":...}]")
    })?;
    let mut latest: BTreeMap<String, (usize, RawReview)> = BTreeMap::new();
    for (i, r) in raw.into_iter().enumerate() {
        if !matches!(
            r.state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        ) {
            continue;
        }
        let Some(user) = &r.user else { continue };
        let login = normalize_login(&user.login);
        let newer = match latest.get(&login) {
            None => true,
            Some((j, prev)) => match (&prev.submitted_at, &r.submitted_at) {
                (Some(a), Some(b)) => {
                    let pa = DateTime::parse_from_rfc3339(a).ok();
                    let pb = DateTime::parse_from_rfc3339(b).ok();
                    match (pa, pb) {
                        (Some(pa), Some(pb)) => pb >= pa,
                        _ => i > *j,
                    }
                }
                _ => i > *j,
            },
        };
        if newer {
            latest.insert(login, (i, r));
        }
    }
    Ok(latest
        .into_iter()
        .map(|(login, (_, r))| Review {
            stale: match (commit, &r.commit_id) {
                (Some(c), Some(id)) => !id.starts_with(c) && !c.starts_with(id.as_str()),
                (Some(_), None) => true,
                (None, _) => false,
            },
            login,
            state: r.state,
            commit_id: r.commit_id,
            submitted_at: r.submitted_at,
        })
        .collect())
}

/// A CODEOWNERS file: the last matching pattern wins, as on GitHub.
#[derive(Debug, Clone)]
pub struct Codeowners {
    root: PathBuf,
    rules: Vec<(globset::GlobMatcher, Vec<String>)>,
}

impl Codeowners {
    /// `settings.codeowners`, else `.github/CODEOWNERS`, `CODEOWNERS` or
    /// `docs/CODEOWNERS` beside plangate.hcl. None when there is none.
    pub fn find(config: &Config) -> Result<Option<Codeowners>, Diag> {
        let Some(dir) = &config.dir else {
            return Ok(None);
        };
        let candidates: Vec<PathBuf> = match &config.settings.codeowners {
            Some(p) => vec![config.resolve(p)],
            None => [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
                .iter()
                .map(|p| dir.join(p))
                .collect(),
        };
        for path in candidates {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Ok(Some(Codeowners::parse(dir.clone(), &text)));
            }
        }
        Ok(None)
    }

    pub fn parse(root: PathBuf, text: &str) -> Codeowners {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let owners: Vec<String> = parts.map(|o| o.to_ascii_lowercase()).collect();
            let anchored = pattern.starts_with('/');
            let mut p = pattern.trim_start_matches('/').to_string();
            if p.ends_with('/') {
                p.push_str("**");
            }
            if !anchored && !p.trim_end_matches("/**").contains('/') {
                p = format!("**/{p}");
            }
            // A pattern naming a directory owns everything below it; `dir/*` owns
            // the files directly in dir only, as on GitHub.
            let p = if p.ends_with("**") || p.ends_with("/*") {
                p
            } else {
                format!("{{{p},{p}/**}}")
            };
            if let Ok(g) = globset::GlobBuilder::new(&p)
                .literal_separator(true)
                .build()
            {
                rules.push((g.compile_matcher(), owners));
            }
        }
        Codeowners { root, rules }
    }

    /// Owners of the directory holding the plan (a `.tf` file in it stands for it).
    pub fn owners_of(&self, plan_path: &str) -> Vec<String> {
        let path = Path::new(plan_path);
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        };
        // `-c plangate.hcl` gives an empty directory: the current one.
        let root = if self.root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            self.root.as_path()
        };
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let abs = abs
            .parent()
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf()))
            .unwrap_or_default();
        let rel = abs.strip_prefix(&root).unwrap_or(&abs);
        let probe = rel.join("main.tf");
        self.rules
            .iter()
            .rev()
            .find(|(m, _)| m.is_match(&probe))
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviews(json: &str, commit: Option<&str>) -> Vec<Review> {
        parse_reviews("r.json", Arc::from(json), commit).expect("parses")
    }

    #[test]
    fn latest_review_per_login_counts_and_comments_change_nothing() {
        let r = reviews(
            r#"[
            {"user":{"login":"Alice"},"state":"APPROVED","commit_id":"abc","submitted_at":"2026-11-01T10:00:00Z"},
            {"user":{"login":"alice"},"state":"COMMENTED","commit_id":"abc","submitted_at":"2026-11-01T11:00:00Z"},
            {"user":{"login":"bob"},"state":"APPROVED","commit_id":"abc","submitted_at":"2026-11-01T10:00:00Z"},
            {"user":{"login":"bob"},"state":"CHANGES_REQUESTED","commit_id":"abc","submitted_at":"2026-11-01T12:00:00Z"},
            {"user":{"login":"carol"},"state":"APPROVED","commit_id":"old","submitted_at":"2026-11-01T12:00:00Z"},
            {"user":null,"state":"APPROVED"}
        ]"#,
            Some("abc"),
        );
        let approved: Vec<&str> = r
            .iter()
            .filter(|x| x.state == "APPROVED" && !x.stale)
            .map(|x| x.login.as_str())
            .collect();
        assert_eq!(approved, vec!["alice"]);
        assert!(r.iter().any(|x| x.login == "carol" && x.stale));
    }

    #[test]
    fn wrong_shape_is_an_error_with_a_location() {
        let e = parse_reviews("r.json", Arc::from("{\"reviews\": []}"), None).unwrap_err();
        assert_eq!(e.code, "plangate::approvals::shape");
        assert!(e.span.is_some());
    }

    fn env_config(dir: &Path) -> Config {
        crate::config::parse(
            "plangate.hcl",
            Arc::from(
                "settings { default_environment = \"dev\" }\n\
                 environment \"dev\" { stage = 1 }\n\
                 environment \"prod\" {\n match = [\"envs/prod/**\"]\n stage = 2\n}\n",
            ),
            Some(dir.to_path_buf()),
        )
        .expect("parses")
    }

    #[test]
    fn match_globs_apply_to_the_path_relative_to_the_config_directory() {
        let tmp = std::env::temp_dir().join(format!("plangate-ctx-match-{}", std::process::id()));
        let plan_dir = tmp.join("envs/prod");
        std::fs::create_dir_all(&plan_dir).expect("mkdir");
        let plan = plan_dir.join("plan.json");
        std::fs::write(&plan, "{}").expect("write");
        let cfg = env_config(&tmp);
        let ctx = Context::resolve(&ContextOptions::default(), &cfg).expect("context");
        // Absolute: matched by its place below plangate.hcl.
        let (name, _) = ctx
            .environment(&cfg, &plan.display().to_string())
            .expect("env");
        assert_eq!(name, "prod");
        // As given: still matched as before.
        let (name, _) = ctx.environment(&cfg, "envs/prod/plan.json").expect("env");
        assert_eq!(name, "prod");
        // Outside the tree: the default.
        let (name, _) = ctx.environment(&cfg, "/elsewhere/plan.json").expect("env");
        assert_eq!(name, "dev");
        assert_eq!(relative_to(&tmp, "-"), None);
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn codeowners_of_an_empty_root_are_read_from_the_current_directory() {
        let c = Codeowners::parse(PathBuf::new(), "/src/ @alice\n");
        // This test runs in the crate root, where src/ exists.
        assert_eq!(c.owners_of("src/plan.json"), vec!["@alice"]);
    }

    #[test]
    fn unknown_env_flag_suggests_the_closest_environment() {
        let cfg = env_config(Path::new("."));
        let opts = |env: &str| ContextOptions {
            env: Some(env.to_string()),
            ..ContextOptions::default()
        };
        let e = Context::resolve(&opts("prdo"), &cfg).unwrap_err();
        assert_eq!(e.code, "plangate::cli::unknown_environment");
        assert_eq!(
            e.help.as_deref(),
            Some("did you mean `prod`? environments are: dev, prod")
        );
        let e = Context::resolve(&opts("staging"), &cfg).unwrap_err();
        assert_eq!(e.help.as_deref(), Some("environments are: dev, prod"));
    }

    #[test]
    fn codeowners_star_after_a_directory_owns_only_its_direct_files() {
        let c = Codeowners::parse(PathBuf::from("/repo"), "envs/* @alice\n/modules/ @bob\n");
        let owners = |p: &str| {
            let rel = Path::new(p).join("main.tf");
            c.rules
                .iter()
                .rev()
                .find(|(m, _)| m.is_match(&rel))
                .map(|(_, o)| o.clone())
                .unwrap_or_default()
        };
        assert_eq!(owners("envs"), vec!["@alice"]);
        assert!(owners("envs/prod").is_empty(), "{:?}", owners("envs/prod"));
        assert_eq!(owners("modules/db/inner"), vec!["@bob"]);
    }

    #[test]
    fn codeowners_last_match_wins() {
        let c = Codeowners::parse(
            PathBuf::from("/repo"),
            "* @org/everyone\nenvs/ @org/platform\n/envs/prod/ @alice @Bob\n",
        );
        let owners = |p: &str| {
            let rel = Path::new(p).join("main.tf");
            c.rules
                .iter()
                .rev()
                .find(|(m, _)| m.is_match(&rel))
                .map(|(_, o)| o.clone())
                .unwrap_or_default()
        };
        assert_eq!(owners("envs/prod"), vec!["@alice", "@bob"]);
        assert_eq!(owners("envs/dev"), vec!["@org/platform"]);
        assert_eq!(owners("modules/x"), vec!["@org/everyone"]);
    }
}
