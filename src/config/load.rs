//! Parsing plangate.hcl with hcl-edit (for spans), validating every block and
//! attribute, and pointing each mistake at its HCL span with a "did you mean".

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::edit::Span;

use crate::diag::Diag;
use crate::stage::Stage;

use super::*;

/// The nearest `plangate.hcl` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join("plangate.hcl");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Read and validate a config file.
pub fn load_file(path: &Path) -> Result<Config, Diag> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diag::new("plangate::config::read", format!("cannot read config: {e}"))
            .file(name.clone())
            .help("check the --config path, or remove it to use ./plangate.hcl or the embedded default")
    })?;
    parse(&name, Arc::from(text), config_dir(path))
}

/// The directory relative paths in a config are anchored at: its parent, and for
/// a bare file name (`-c plangate.hcl`, whose parent is "") the current one.
fn config_dir(path: &Path) -> Option<PathBuf> {
    path.parent().map(|d| {
        if d.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            d.to_path_buf()
        }
    })
}

const BLOCKS: &[&str] = &[
    "settings",
    "environment",
    "group",
    "approval",
    "window",
    "freeze",
    "protect",
    "policy_set",
];

/// Parse config text. `dir` anchors relative paths.
pub fn parse(name: &str, text: Arc<str>, dir: Option<PathBuf>) -> Result<Config, Diag> {
    let body: Body = hcl::edit::parser::parse_body(&text).map_err(|e| {
        let off = e.location().offset();
        Diag::new(
            "plangate::config::syntax",
            format!("plangate.hcl does not parse: {}", e.message()),
        )
        .file(name)
        .at(text.clone(), off..off + 1, e.message().to_string())
        .help("fix the HCL syntax at the position shown")
    })?;
    let p = Parser {
        name,
        text: text.clone(),
    };
    let mut cfg = Config {
        path: name.to_string(),
        dir,
        text: Some(text.clone()),
        ..Config::default()
    };
    let mut seen_settings = false;
    for structure in body.iter() {
        let block = match structure {
            Structure::Block(b) => b,
            Structure::Attribute(a) => {
                return Err(p.err(
                    "plangate::config::unexpected_attribute",
                    format!("`{}` is not allowed at the top level", a.key.as_str()),
                    a.span(),
                    "plangate.hcl holds blocks: settings, environment, group, approval, window, freeze, protect, policy_set",
                ))
            }
        };
        let ident = block.ident.as_str();
        match ident {
            "settings" => {
                p.labels(block, 0)?;
                if seen_settings {
                    return Err(p.err(
                        "plangate::config::duplicate",
                        "a second `settings` block",
                        block.ident.span(),
                        "merge the settings into one block",
                    ));
                }
                seen_settings = true;
                cfg.settings = p.settings(block)?;
            }
            "protect" => {
                p.labels(block, 0)?;
                let a = p.attrs(block, &["resources", "break_glass"])?;
                cfg.protect.push(Protect {
                    resources: p.req_globs(block, &a, "resources")?,
                    break_glass: p.opt_string(&a, "break_glass")?,
                });
            }
            "environment" | "group" | "approval" | "window" | "freeze" | "policy_set" => {
                let label = p.labels(block, 1)?.unwrap_or_default();
                let dup = match ident {
                    "environment" => cfg.environments.contains_key(&label),
                    "group" => cfg.groups.contains_key(&label),
                    "approval" => cfg.approvals.contains_key(&label),
                    "window" => cfg.windows.contains_key(&label),
                    "freeze" => cfg.freezes.contains_key(&label),
                    _ => cfg.policy_sets.contains_key(&label),
                };
                if dup {
                    return Err(p.err(
                        "plangate::config::duplicate",
                        format!("a second {ident} named `{label}`"),
                        block.ident.span(),
                        "block labels must be unique; rename or merge one of them",
                    ));
                }
                match ident {
                    "environment" => {
                        let env = p.environment(block)?;
                        cfg.environments.insert(label, env);
                    }
                    "group" => {
                        let a = p.attrs(block, &["members"])?;
                        let members = p
                            .req_strings(block, &a, "members")?
                            .into_iter()
                            .map(|m| m.trim_start_matches('@').to_ascii_lowercase())
                            .collect();
                        cfg.groups.insert(label, Group { members });
                    }
                    "approval" => {
                        let ap = p.approval(block)?;
                        cfg.approvals.insert(label, ap);
                    }
                    "window" => {
                        let w = p.window(block)?;
                        cfg.windows.insert(label, w);
                    }
                    "freeze" => {
                        let f = p.freeze(block)?;
                        cfg.freezes.insert(label, f);
                    }
                    _ => {
                        let ps = p.policy_set(block)?;
                        cfg.policy_sets.insert(label, ps);
                    }
                }
            }
            other => {
                return Err(p.err(
                    "plangate::config::unknown_block",
                    format!("unknown block `{other}`"),
                    block.ident.span(),
                    &did_you_mean(other, BLOCKS, "blocks are"),
                ))
            }
        }
    }
    p.check_references(&cfg, &body)?;
    Ok(cfg)
}

/// Suggest the closest known name, or list them all.
fn did_you_mean(got: &str, known: &[&str], what: &str) -> String {
    let best = known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(got, k), *k))
        .min();
    match best {
        Some((d, k)) if d <= 2 || (d <= 3 && got.len() > 6) => format!("did you mean `{k}`?"),
        _ => format!("{what}: {}", known.join(", ")),
    }
}

/// The IANA name closest to a misspelt time zone: the same name in another case,
/// a city without its region (`berlin`), or a name within a few edits.
fn closest_time_zone(got: &str) -> Option<&'static str> {
    let lower = got.to_ascii_lowercase();
    let names = || chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
    names()
        .find(|n| {
            n.to_ascii_lowercase() == lower
                || n.to_ascii_lowercase().ends_with(&format!("/{lower}"))
        })
        .or_else(|| {
            names()
                .map(|n| {
                    (
                        strsim::damerau_levenshtein(&lower, &n.to_ascii_lowercase()),
                        n,
                    )
                })
                .filter(|(d, _)| *d <= 3 && *d < lower.len())
                .min()
                .map(|(_, n)| n)
        })
}

/// Which block of a kind: by label, or by position (`protect` has no label).
#[derive(Clone, Copy)]
enum Which<'a> {
    Label(&'a str),
    Nth(usize),
}

/// The span of the list element `value` of `a` (the first one equal to it), else
/// of the whole value: a mistake in a list points at the element.
fn element_span(a: &Attribute, value: &str) -> Option<std::ops::Range<usize>> {
    if let Expression::Array(arr) = &a.value {
        if let Some(span) = arr.iter().find_map(|e| match e {
            Expression::String(s) if s.value().as_str() == value => e.span(),
            _ => None,
        }) {
            return Some(span);
        }
    }
    a.value.span()
}

struct Parser<'a> {
    name: &'a str,
    text: Arc<str>,
}

type Attrs<'b> = HashMap<&'b str, &'b Attribute>;

impl Parser<'_> {
    fn err(
        &self,
        code: &'static str,
        message: impl Into<String>,
        span: Option<std::ops::Range<usize>>,
        help: &str,
    ) -> Diag {
        let message = message.into();
        let d = Diag::new(code, format!("plangate.hcl: {message}"))
            .file(self.name)
            .help(help.to_string());
        match span {
            Some(s) => d.at(self.text.clone(), s, message),
            None => d,
        }
    }

    /// Check the label count; return the label when one is expected.
    fn labels(&self, block: &Block, n: usize) -> Result<Option<String>, Diag> {
        let ident = block.ident.as_str();
        if block.labels.len() != n {
            let help = if n == 0 {
                format!("write `{ident} {{ ... }}` without a name")
            } else {
                format!("name it: `{ident} \"name\" {{ ... }}`")
            };
            return Err(self.err(
                "plangate::config::labels",
                format!(
                    "`{ident}` takes {} label{}, found {}",
                    n,
                    if n == 1 { "" } else { "s" },
                    block.labels.len()
                ),
                block.ident.span(),
                &help,
            ));
        }
        Ok(block.labels.first().map(|l| l.as_str().to_string()))
    }

    /// The block's attributes, refusing unknown ones and nested blocks.
    fn attrs<'b>(&self, block: &'b Block, allowed: &[&str]) -> Result<Attrs<'b>, Diag> {
        let ident = block.ident.as_str();
        let mut out = HashMap::new();
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    if !allowed.contains(&key) {
                        return Err(self.err(
                            "plangate::config::unknown_attribute",
                            format!("`{ident}` has no attribute `{key}`"),
                            a.key.span(),
                            &did_you_mean(key, allowed, &format!("`{ident}` takes")),
                        ));
                    }
                    out.insert(key, a);
                }
                Structure::Block(b) => {
                    return Err(self.err(
                        "plangate::config::unexpected_block",
                        format!("`{ident}` cannot contain a `{}` block", b.ident.as_str()),
                        b.ident.span(),
                        &format!("`{ident}` takes the attributes {}", allowed.join(", ")),
                    ))
                }
            }
        }
        Ok(out)
    }

    fn missing(&self, block: &Block, key: &str, example: &str) -> Diag {
        self.err(
            "plangate::config::missing_attribute",
            format!("`{}` needs `{key}`", block.ident.as_str()),
            block.ident.span(),
            &format!("add `{key} = {example}`"),
        )
    }

    fn type_err(&self, a: &Attribute, want: &str) -> Diag {
        self.err(
            "plangate::config::type",
            format!("`{}` must be {want}", a.key.as_str()),
            a.value.span(),
            &format!(
                "write {want}; expressions and interpolation are not evaluated in plangate.hcl"
            ),
        )
    }

    fn string_of(&self, a: &Attribute) -> Result<String, Diag> {
        match &a.value {
            Expression::String(s) => Ok(s.value().to_string()),
            _ => Err(self.type_err(a, "a quoted string")),
        }
    }

    fn opt_string(&self, attrs: &Attrs<'_>, key: &str) -> Result<Option<String>, Diag> {
        attrs.get(key).map(|a| self.string_of(a)).transpose()
    }

    fn strings_of(&self, a: &Attribute) -> Result<Vec<String>, Diag> {
        let Expression::Array(arr) = &a.value else {
            // A single string is accepted where a list is expected.
            if let Expression::String(s) = &a.value {
                return Ok(vec![s.value().to_string()]);
            }
            return Err(self.type_err(a, "a list of quoted strings"));
        };
        arr.iter()
            .map(|e| match e {
                Expression::String(s) => Ok(s.value().to_string()),
                _ => Err(self.err(
                    "plangate::config::type",
                    format!("`{}` must hold quoted strings only", a.key.as_str()),
                    e.span(),
                    "quote each element: [\"a\", \"b\"]",
                )),
            })
            .collect()
    }

    fn req_strings(
        &self,
        block: &Block,
        attrs: &Attrs<'_>,
        key: &str,
    ) -> Result<Vec<String>, Diag> {
        match attrs.get(key) {
            Some(a) => self.strings_of(a),
            None => Err(self.missing(block, key, "[\"...\"]")),
        }
    }

    fn opt_strings(&self, attrs: &Attrs<'_>, key: &str) -> Result<Vec<String>, Diag> {
        attrs
            .get(key)
            .map(|a| self.strings_of(a))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// A list of globs, each checked to compile.
    fn globs_of(&self, a: &Attribute) -> Result<Vec<String>, Diag> {
        let globs = self.strings_of(a)?;
        for g in &globs {
            if let Err(e) = globset::Glob::new(g) {
                return Err(self.err(
                    "plangate::config::bad_glob",
                    format!("`{g}` is not a valid glob: {e}"),
                    element_span(a, g),
                    "globs use `*` (any characters), `?` (one), `[abc]` and `{a,b}`",
                ));
            }
        }
        Ok(globs)
    }

    fn req_globs(&self, block: &Block, attrs: &Attrs<'_>, key: &str) -> Result<Vec<String>, Diag> {
        match attrs.get(key) {
            Some(a) => self.globs_of(a),
            None => Err(self.missing(block, key, "[\"aws_db_instance.*\"]")),
        }
    }

    fn u64_of(&self, a: &Attribute) -> Result<u64, Diag> {
        match &a.value {
            Expression::Number(n) => n
                .value()
                .as_u64()
                .ok_or_else(|| self.type_err(a, "a whole number ≥ 0")),
            _ => Err(self.type_err(a, "a whole number")),
        }
    }

    fn bool_of(&self, a: &Attribute) -> Result<bool, Diag> {
        match &a.value {
            Expression::Bool(b) => Ok(*b.value()),
            _ => Err(self.type_err(a, "true or false")),
        }
    }

    fn stage_of(&self, a: &Attribute) -> Result<Stage, Diag> {
        let text = match &a.value {
            Expression::String(s) => s.value().to_string(),
            Expression::Number(n) => n.value().to_string(),
            _ => return Err(self.type_err(a, "a stage name or number")),
        };
        Stage::from_str(&text).map_err(|m| {
            let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
            self.err(
                "plangate::config::bad_stage",
                m,
                a.value.span(),
                &did_you_mean(&text, &names, "stages are (or 0-4)"),
            )
        })
    }

    fn settings(&self, block: &Block) -> Result<Settings, Diag> {
        let a = self.attrs(
            block,
            &[
                "default_environment",
                "max_plan_age",
                "max_changes",
                "max_destroys",
                "ledger",
                "codeowners",
            ],
        )?;
        let mut s = Settings {
            default_environment: self.opt_string(&a, "default_environment")?,
            ledger: self.opt_string(&a, "ledger")?,
            codeowners: self.opt_string(&a, "codeowners")?,
            ..Settings::default()
        };
        if let Some(attr) = a.get("max_plan_age") {
            let text = self.string_of(attr)?;
            let d = humantime::parse_duration(&text).map_err(|e| {
                self.err(
                    "plangate::config::bad_duration",
                    format!("`{text}` is not a duration: {e}"),
                    attr.value.span(),
                    "write a duration such as \"24h\", \"90m\" or \"2h 30m\"",
                )
            })?;
            s.max_plan_age = Some(text);
            s.max_plan_age_ns = Some(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        }
        if let Some(attr) = a.get("max_changes") {
            s.max_changes = Some(self.u64_of(attr)?);
        }
        if let Some(attr) = a.get("max_destroys") {
            s.max_destroys = Some(self.u64_of(attr)?);
        }
        Ok(s)
    }

    fn environment(&self, block: &Block) -> Result<Environment, Diag> {
        let a = self.attrs(block, &["match", "stage", "promote_from"])?;
        let stage = match a.get("stage") {
            Some(attr) => self.stage_of(attr)?,
            None => return Err(self.missing(block, "stage", "\"plan-only\"")),
        };
        Ok(Environment {
            match_: match a.get("match") {
                Some(attr) => self.globs_of(attr)?,
                None => Vec::new(),
            },
            stage,
            promote_from: self.opt_string(&a, "promote_from")?,
        })
    }

    fn approval(&self, block: &Block) -> Result<Approval, Diag> {
        let a = self.attrs(
            block,
            &[
                "environments",
                "when",
                "resources",
                "group",
                "codeowners",
                "count",
            ],
        )?;
        let when = match a.get("when") {
            None => When::Any,
            Some(attr) => match self.string_of(attr)?.as_str() {
                "any" => When::Any,
                "destructive" => When::Destructive,
                "replace" => When::Replace,
                "delete" => When::Delete,
                other => {
                    return Err(self.err(
                        "plangate::config::bad_value",
                        format!("`when` cannot be `{other}`"),
                        attr.value.span(),
                        &did_you_mean(
                            other,
                            &["any", "destructive", "replace", "delete"],
                            "`when` is one of",
                        ),
                    ))
                }
            },
        };
        let group = self.opt_string(&a, "group")?;
        let codeowners = match a.get("codeowners") {
            Some(attr) => self.bool_of(attr)?,
            None => false,
        };
        if group.is_some() == codeowners {
            return Err(self.err(
                "plangate::config::approvers",
                "an approval needs exactly one of `group` or `codeowners = true`",
                block.ident.span(),
                "say who approves: `group = \"platform\"`, or `codeowners = true` for the CODEOWNERS of the plan's directory",
            ));
        }
        let count = match a.get("count") {
            Some(attr) => {
                let n = self.u64_of(attr)?;
                if n == 0 {
                    return Err(self.type_err(attr, "at least 1"));
                }
                n
            }
            None => 1,
        };
        Ok(Approval {
            environments: self.env_list(&a)?,
            when,
            resources: match a.get("resources") {
                Some(attr) => self.globs_of(attr)?,
                None => Vec::new(),
            },
            group,
            codeowners,
            count,
        })
    }

    fn env_list(&self, a: &Attrs<'_>) -> Result<Vec<String>, Diag> {
        let envs = self.opt_strings(a, "environments")?;
        Ok(if envs.is_empty() {
            vec!["*".to_string()]
        } else {
            envs
        })
    }

    fn window(&self, block: &Block) -> Result<Window, Diag> {
        let a = self.attrs(block, &["environments", "timezone", "days", "from", "to"])?;
        let tz_attr = a
            .get("timezone")
            .ok_or_else(|| self.missing(block, "timezone", "\"Europe/Berlin\""))?;
        let timezone = self.string_of(tz_attr)?;
        if chrono_tz::Tz::from_str(&timezone).is_err() {
            let guess = closest_time_zone(&timezone);
            let help = match guess {
                Some(g) => format!("did you mean `{g}`?"),
                None => "use an IANA time zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"".to_string(),
            };
            return Err(self.err(
                "plangate::config::bad_timezone",
                format!("unknown time zone `{timezone}`"),
                tz_attr.value.span(),
                &help,
            ));
        }
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let days = match a.get("days") {
            None => DAYS.iter().map(|d| d.to_string()).collect(),
            Some(attr) => {
                let mut out = Vec::new();
                let listed = self.strings_of(attr)?;
                if listed.is_empty() {
                    return Err(self.err(
                        "plangate::config::bad_day",
                        "a window with no days never opens",
                        attr.value.span(),
                        "list at least one day, or remove `days` for every day",
                    ));
                }
                for d in listed {
                    let l = d.to_ascii_lowercase();
                    let short = l.get(..3).unwrap_or(&l).to_string();
                    let full_ok = DAYS.contains(&short.as_str())
                        && (l.len() == 3 || chrono::Weekday::from_str(&l).is_ok());
                    if !full_ok {
                        return Err(self.err(
                            "plangate::config::bad_day",
                            format!("`{d}` is not a day of the week"),
                            element_span(attr, &d),
                            &did_you_mean(&l, &DAYS, "days are"),
                        ));
                    }
                    out.push(short);
                }
                out
            }
        };
        let time = |key: &str| -> Result<(String, u32), Diag> {
            let attr = a
                .get(key)
                .ok_or_else(|| self.missing(block, key, "\"09:00\""))?;
            let text = self.string_of(attr)?;
            let parsed = chrono::NaiveTime::parse_from_str(&text, "%H:%M")
                .ok()
                .map(|t| chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t))
                .or_else(|| (text == "24:00").then_some(24 * 60));
            match parsed {
                Some(m) => Ok((text, m)),
                None => Err(self.err(
                    "plangate::config::bad_time",
                    format!("`{text}` is not a time of day"),
                    attr.value.span(),
                    "write 24-hour HH:MM, e.g. \"09:00\" or \"16:30\"",
                )),
            }
        };
        let (from, from_minute) = time("from")?;
        if from_minute == 24 * 60 {
            return Err(self.err(
                "plangate::config::bad_time",
                "a window cannot start at `24:00`",
                a.get("from").and_then(|x| x.value.span()),
                "write \"00:00\" and list the day after in `days`",
            ));
        }
        let (to, to_minute) = time("to")?;
        Ok(Window {
            environments: self.env_list(&a)?,
            timezone,
            days,
            from,
            to,
            from_minute,
            to_minute: if to_minute == 24 * 60 { 0 } else { to_minute },
        })
    }

    fn freeze(&self, block: &Block) -> Result<Freeze, Diag> {
        let a = self.attrs(block, &["environments", "from", "to", "break_glass"])?;
        let instant = |key: &str| -> Result<(String, i64), Diag> {
            let attr = a
                .get(key)
                .ok_or_else(|| self.missing(block, key, "\"2026-12-20T00:00:00Z\""))?;
            let text = self.string_of(attr)?;
            let t = chrono::DateTime::parse_from_rfc3339(&text).map_err(|e| {
                self.err(
                    "plangate::config::bad_time",
                    format!("`{text}` is not an RFC 3339 time: {e}"),
                    attr.value.span(),
                    "write a full timestamp with zone, e.g. \"2026-12-20T00:00:00Z\" or \"2026-12-20T00:00:00+01:00\"",
                )
            })?;
            Ok((text, t.timestamp_nanos_opt().unwrap_or(i64::MAX)))
        };
        let (from, from_ns) = instant("from")?;
        let (to, to_ns) = instant("to")?;
        if to_ns <= from_ns {
            return Err(self.err(
                "plangate::config::bad_range",
                "the freeze ends before it starts",
                a.get("to").and_then(|x| x.value.span()),
                "`to` must be later than `from`",
            ));
        }
        Ok(Freeze {
            environments: self.env_list(&a)?,
            from,
            to,
            from_ns,
            to_ns,
            break_glass: self.opt_string(&a, "break_glass")?,
        })
    }

    fn policy_set(&self, block: &Block) -> Result<PolicySet, Diag> {
        let a = self.attrs(block, &["path", "enforcement", "owners"])?;
        let path_attr = a
            .get("path")
            .ok_or_else(|| self.missing(block, "path", "\"policies/security\""))?;
        let enforcement = match a.get("enforcement") {
            None => Enforcement::HardMandatory,
            Some(attr) => match self.string_of(attr)?.as_str() {
                "advisory" => Enforcement::Advisory,
                "soft-mandatory" => Enforcement::SoftMandatory,
                "hard-mandatory" => Enforcement::HardMandatory,
                other => {
                    return Err(self.err(
                        "plangate::config::bad_value",
                        format!("`enforcement` cannot be `{other}`"),
                        attr.value.span(),
                        &did_you_mean(
                            other,
                            &["advisory", "soft-mandatory", "hard-mandatory"],
                            "enforcement is one of",
                        ),
                    ))
                }
            },
        };
        Ok(PolicySet {
            path: self.string_of(path_attr)?,
            enforcement,
            owners: self.opt_string(&a, "owners")?,
        })
    }

    /// Names that refer to other blocks must exist.
    fn check_references(&self, cfg: &Config, body: &Body) -> Result<(), Diag> {
        // The span of `key` in the block `which` selects (by label, or by position
        // for unlabelled blocks such as `protect`), narrowed to the list element
        // `element` when there is one.
        let span_of = |ident: &str,
                       which: Which<'_>,
                       key: &str,
                       element: Option<&str>|
         -> Option<std::ops::Range<usize>> {
            let attr = match which {
                Which::Label(l) => body
                    .get_blocks(ident)
                    .filter(|b| b.labels.first().map(|x| x.as_str()) == Some(l))
                    .find_map(|b| b.body.get_attribute(key)),
                Which::Nth(n) => body
                    .get_blocks(ident)
                    .nth(n)
                    .and_then(|b| b.body.get_attribute(key)),
            }?;
            match element {
                Some(e) => element_span(attr, e),
                None => attr.value.span(),
            }
        };
        let envs: Vec<&str> = cfg.environments.keys().map(String::as_str).collect();
        let groups: Vec<&str> = cfg.groups.keys().map(String::as_str).collect();
        let check_group = |ident: &str, which: Which<'_>, key: &str, g: &Option<String>| match g {
            Some(g) if !cfg.groups.contains_key(g) => Err(self.err(
                "plangate::config::unknown_group",
                format!("no group named `{g}`"),
                span_of(ident, which, key, None),
                &did_you_mean(g, &groups, "groups are"),
            )),
            _ => Ok(()),
        };
        let check_envs = |ident: &str, which: Which<'_>, list: &[String]| {
            for e in list {
                if e != "*" && !cfg.environments.contains_key(e) {
                    return Err(self.err(
                        "plangate::config::unknown_environment",
                        format!("no environment named `{e}`"),
                        span_of(ident, which, "environments", Some(e)),
                        &did_you_mean(e, &envs, "environments are"),
                    ));
                }
            }
            Ok(())
        };
        if let Some(d) = &cfg.settings.default_environment {
            if !cfg.environments.contains_key(d) {
                return Err(self.err(
                    "plangate::config::unknown_environment",
                    format!("default_environment `{d}` is not declared"),
                    span_of("settings", Which::Nth(0), "default_environment", None),
                    &did_you_mean(d, &envs, "environments are"),
                ));
            }
        }
        for (name, env) in &cfg.environments {
            if let Some(from) = &env.promote_from {
                if !cfg.environments.contains_key(from) || from == name {
                    return Err(self.err(
                        "plangate::config::unknown_environment",
                        format!("environment `{name}` promotes from `{from}`, which is not another declared environment"),
                        span_of("environment", Which::Label(name), "promote_from", None),
                        &did_you_mean(from, &envs, "environments are"),
                    ));
                }
            }
        }
        for (name, ap) in &cfg.approvals {
            check_envs("approval", Which::Label(name), &ap.environments)?;
            check_group("approval", Which::Label(name), "group", &ap.group)?;
        }
        for (name, w) in &cfg.windows {
            check_envs("window", Which::Label(name), &w.environments)?;
        }
        for (name, f) in &cfg.freezes {
            check_envs("freeze", Which::Label(name), &f.environments)?;
            check_group("freeze", Which::Label(name), "break_glass", &f.break_glass)?;
        }
        for (i, p) in cfg.protect.iter().enumerate() {
            check_group("protect", Which::Nth(i), "break_glass", &p.break_glass)?;
        }
        for (name, ps) in &cfg.policy_sets {
            check_group("policy_set", Which::Label(name), "owners", &ps.owners)?;
            let path = cfg.resolve(&ps.path);
            if !path.exists() {
                return Err(self.err(
                    "plangate::config::missing_policy_set",
                    format!("policy set `{name}`: {} does not exist", path.display()),
                    span_of("policy_set", Which::Label(name), "path", None),
                    "paths are relative to plangate.hcl; create the directory or fix the path",
                ));
            }
        }
        // Each policy set is its own compile unit and a file belongs to exactly
        // one: two sets on one path would make its files' enforcement ambiguous.
        // Checked in the order the blocks are written, so the second is named.
        let mut set_paths: Vec<(&str, PathBuf)> = Vec::new();
        for block in body.get_blocks("policy_set") {
            let Some(name) = block.labels.first().map(|l| l.as_str()) else {
                continue;
            };
            let Some(ps) = cfg.policy_sets.get(name) else {
                continue;
            };
            let path = cfg.resolve(&ps.path);
            let path = path.canonicalize().unwrap_or(path);
            if let Some((first, _)) = set_paths.iter().find(|(_, p)| *p == path) {
                return Err(self.err(
                    "plangate::config::duplicate_policy_set_path",
                    format!(
                        "policy sets `{first}` and `{name}` have the same path {}",
                        path.display()
                    ),
                    span_of("policy_set", Which::Label(name), "path", None),
                    &format!("a .rego file belongs to exactly one policy set: merge `{name}` into `{first}`, or point it at its own directory (a nested directory is a set of its own)"),
                ));
            }
            set_paths.push((name, path));
        }
        if let Some(c) = &cfg.settings.codeowners {
            let path = cfg.resolve(c);
            if !path.is_file() {
                return Err(self.err(
                    "plangate::config::missing_codeowners",
                    format!("codeowners: {} is not a file", path.display()),
                    span_of("settings", Which::Nth(0), "codeowners", None),
                    "paths are relative to plangate.hcl; fix the path, or remove `codeowners` to use .github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS beside plangate.hcl",
                ));
            }
        }
        if cfg.environments.is_empty() {
            return Err(self.err(
                "plangate::config::no_environment",
                "no environment is declared",
                Some(0..0),
                "declare at least one: `environment \"dev\" { stage = \"plan-only\" }`",
            ));
        }
        let _: BTreeMap<(), ()> = BTreeMap::new();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Config, Diag> {
        parse("plangate.hcl", Arc::from(s), None)
    }

    #[test]
    fn a_bare_config_file_name_is_anchored_in_the_current_directory() {
        assert_eq!(
            config_dir(Path::new("plangate.hcl")),
            Some(PathBuf::from("."))
        );
        assert_eq!(
            config_dir(Path::new("ci/plangate.hcl")),
            Some(PathBuf::from("ci"))
        );
        assert_eq!(
            config_dir(Path::new("/repo/plangate.hcl")),
            Some(PathBuf::from("/repo"))
        );
    }

    #[test]
    fn embedded_default_is_valid() {
        let c = parse_str(DEFAULT_CONFIG).expect("default parses");
        assert_eq!(c.environments["default"].stage, Stage::PlanOnly);
    }

    #[test]
    fn the_issue_example_parses() {
        let c = parse_str(
            r#"
settings {
  default_environment = "dev"
  max_plan_age        = "24h"
}
environment "dev" { stage = 1 }
environment "cluster01" {
  match = ["envs/cluster01/**"]
  stage = "auto-apply-all"
}
environment "iapetus" {
  match        = ["envs/iapetus/**"]
  stage        = "promote"
  promote_from = "cluster01"
}
group "platform" { members = ["alice", "Bob", "carol"] }
approval "prod-destroy" {
  environments = ["iapetus"]
  when         = "destructive"
  resources    = ["aws_db_*"]
  group        = "platform"
  count        = 2
}
window "business-hours" {
  environments = ["iapetus"]
  timezone     = "Europe/Berlin"
  days         = ["mon", "tue", "wed", "thu"]
  from         = "09:00"
  to           = "16:00"
}
freeze "year-end" {
  environments = ["*"]
  from         = "2026-12-20T00:00:00Z"
  to           = "2027-01-04T00:00:00Z"
  break_glass  = "platform"
}
protect {
  resources   = ["aws_db_instance.*", "aws_kms_key.*"]
  break_glass = "platform"
}
"#,
        )
        .expect("example parses");
        assert_eq!(c.settings.max_plan_age_ns, Some(24 * 3600 * 1_000_000_000));
        assert_eq!(c.groups["platform"].members, vec!["alice", "bob", "carol"]);
        assert_eq!(c.windows["business-hours"].from_minute, 540);
        assert_eq!(c.approvals["prod-destroy"].count, 2);
        assert_eq!(c.environments["iapetus"].stage, Stage::Promote);
    }

    #[test]
    fn typos_get_did_you_mean_at_the_span() {
        let e = parse_str("enviroment \"dev\" { stage = \"plan-only\" }").unwrap_err();
        assert_eq!(e.code, "plangate::config::unknown_block");
        assert!(e.help.as_deref().unwrap_or("").contains("`environment`"));
        assert_eq!(e.line_col(), Some((1, 1)));

        let e = parse_str("environment \"dev\" {\n  stgae = \"plan-only\"\n}").unwrap_err();
        assert_eq!(e.code, "plangate::config::unknown_attribute");
        assert!(e.help.as_deref().unwrap_or("").contains("`stage`"));
        assert_eq!(e.line_col(), Some((2, 3)));

        let e = parse_str("environment \"dev\" { stage = \"auto-aply\" }").unwrap_err();
        assert_eq!(e.code, "plangate::config::bad_stage");
        assert!(e.help.as_deref().unwrap_or("").contains("auto-apply"));
    }

    #[test]
    fn bad_values_are_refused() {
        let base = "environment \"dev\" { stage = 1 }\n";
        for (extra, code) in [
            ("window \"w\" {\n timezone = \"Europe/Berlln\"\n from = \"09:00\"\n to = \"10:00\"\n}", "plangate::config::bad_timezone"),
            ("window \"w\" {\n timezone = \"UTC\"\n from = \"9am\"\n to = \"10:00\"\n}", "plangate::config::bad_time"),
            ("window \"w\" {\n timezone = \"UTC\"\n days = [\"mon\", \"fry\"]\n from = \"09:00\"\n to = \"10:00\"\n}", "plangate::config::bad_day"),
            ("settings {\n max_plan_age = \"1 fortnight\"\n}", "plangate::config::bad_duration"),
            ("protect {\n resources = [\"aws_[db\"]\n}", "plangate::config::bad_glob"),
            ("freeze \"f\" {\n from = \"2026-12-20\"\n to = \"2027-01-04T00:00:00Z\"\n}", "plangate::config::bad_time"),
            ("approval \"a\" {\n group = \"nobody\"\n}", "plangate::config::unknown_group"),
            ("settings {\n default_environment = \"prod\"\n}", "plangate::config::unknown_environment"),
            ("environment \"dev\" { stage = 2 }", "plangate::config::duplicate"),
            ("environment \"x\" {", "plangate::config::syntax"),
        ] {
            let e = parse_str(&format!("{base}{extra}")).unwrap_err();
            assert_eq!(e.code, code, "for {extra}");
            assert!(e.span.is_some(), "span for {extra}");
        }
    }

    /// The text a diagnostic's span covers.
    fn spanned(src: &str, e: &Diag) -> String {
        let (range, _) = e.span.as_ref().expect("a span");
        src[range.clone()].to_string()
    }

    #[test]
    fn misspelt_time_zone_suggests_the_closest_name() {
        for (got, want) in [
            ("Europe/Berlln", "Europe/Berlin"),
            ("europe/berlin", "Europe/Berlin"),
            ("berlin", "Europe/Berlin"),
            ("America/New_Yrok", "America/New_York"),
        ] {
            let src = format!("environment \"d\" {{ stage = 1 }}\nwindow \"w\" {{\n timezone = \"{got}\"\n from = \"09:00\"\n to = \"10:00\"\n}}");
            let e = parse_str(&src).unwrap_err();
            assert_eq!(e.code, "plangate::config::bad_timezone");
            assert_eq!(
                e.help.as_deref(),
                Some(format!("did you mean `{want}`?").as_str()),
                "{got}"
            );
            assert_eq!(spanned(&src, &e), format!("\"{got}\""));
        }
        let src = "environment \"d\" { stage = 1 }\nwindow \"w\" {\n timezone = \"Mars/Olympus\"\n from = \"09:00\"\n to = \"10:00\"\n}";
        let e = parse_str(src).unwrap_err();
        assert!(
            e.help.as_deref().unwrap_or("").contains("IANA"),
            "{:?}",
            e.help
        );
    }

    #[test]
    fn a_mistake_in_a_list_points_at_the_element() {
        for (src, code, element) in [
            (
                "environment \"d\" { stage = 1 }\nwindow \"w\" {\n timezone = \"UTC\"\n days = [\"mon\", \"tues\"]\n from = \"09:00\"\n to = \"10:00\"\n}",
                "plangate::config::bad_day",
                "\"tues\"",
            ),
            (
                "environment \"d\" { stage = 1 }\nprotect {\n resources = [\"a.*\", \"b.[x\"]\n}",
                "plangate::config::bad_glob",
                "\"b.[x\"",
            ),
            (
                "environment \"prod\" { stage = 1 }\ngroup \"g\" { members = [\"a\"] }\napproval \"a\" {\n environments = [\"prod\", \"prdo\"]\n group = \"g\"\n}",
                "plangate::config::unknown_environment",
                "\"prdo\"",
            ),
        ] {
            let e = parse_str(src).unwrap_err();
            assert_eq!(e.code, code);
            assert_eq!(spanned(src, &e), element, "{code}");
        }
    }

    #[test]
    fn unknown_group_in_the_second_protect_block_points_at_that_block() {
        let src = "environment \"d\" { stage = 1 }\ngroup \"platform\" { members = [\"a\"] }\nprotect {\n resources = [\"a.*\"]\n break_glass = \"platform\"\n}\nprotect {\n resources = [\"b.*\"]\n break_glass = \"platfrom\"\n}";
        let e = parse_str(src).unwrap_err();
        assert_eq!(e.code, "plangate::config::unknown_group");
        assert_eq!(e.line_col(), Some((9, 16)));
        assert_eq!(spanned(src, &e), "\"platfrom\"");
    }

    #[test]
    fn a_window_without_days_or_starting_at_24_is_refused() {
        let e = parse_str("environment \"d\" { stage = 1 }\nwindow \"w\" {\n timezone = \"UTC\"\n days = []\n from = \"09:00\"\n to = \"10:00\"\n}").unwrap_err();
        assert_eq!(e.code, "plangate::config::bad_day");
        assert_eq!(e.line_col(), Some((4, 9)));
        let e = parse_str("environment \"d\" { stage = 1 }\nwindow \"w\" {\n timezone = \"UTC\"\n from = \"24:00\"\n to = \"10:00\"\n}").unwrap_err();
        assert_eq!(e.code, "plangate::config::bad_time");
        assert_eq!(e.line_col(), Some((4, 9)));
    }

    #[test]
    fn a_codeowners_path_that_does_not_exist_is_refused() {
        let dir = std::env::temp_dir().join("plangate-config-codeowners-test-missing");
        let e = parse(
            "plangate.hcl",
            Arc::from(
                "settings {\n codeowners = \"nope/CODEOWNERS\"\n}\nenvironment \"d\" { stage = 1 }",
            ),
            Some(dir),
        )
        .unwrap_err();
        assert_eq!(e.code, "plangate::config::missing_codeowners");
        assert_eq!(e.line_col(), Some((2, 15)));
    }

    #[test]
    fn windows_may_cross_midnight_and_end_at_24() {
        let c = parse_str("environment \"d\" { stage = 1 }\nwindow \"n\" {\n timezone = \"UTC\"\n from = \"22:00\"\n to = \"24:00\"\n}").expect("parses");
        assert_eq!(c.windows["n"].to_minute, 0);
    }
}
