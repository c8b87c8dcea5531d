//! Where a plan's resources are declared: the file, line and column of the `resource`
//! (or `data`) block behind a plan address, for `check --source DIR`.
//!
//! A plan address (`module.svc["a"].module.db.aws_db_instance.this[0]`) loses its
//! instance keys ([`config_address`]: `module.svc.module.db.aws_db_instance.this`);
//! its `module.NAME` steps are followed from the root directory through the module
//! calls' `source`, local paths only (`./x`, `../x`, joined and cleaned lexically, as
//! Terraform does); the rest is looked up among the `resource`, `data` and
//! `ephemeral` blocks of the directory reached. Registry, git and other remote
//! sources are not followed: their resources get no location.
//!
//! Each directory is read once per run ([`SourceCache`]): its `.tf` and `.tofu` files
//! (not its subdirectories; `x.tf` is skipped beside `x.tofu`, as OpenTofu does;
//! `override.tf` / `*_override.tf` come last and never move a block's location), parsed
//! with hcl-edit. Resolution follows the address, so it is bounded by the address
//! (and [`MAX_MODULE_DEPTH`]): a module that calls itself cannot loop. A file that does
//! not parse is skipped with a warning; locations are a convenience and never decide a
//! plan's outcome.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use hcl::edit::expr::Expression;
use hcl::edit::structure::Structure;
use hcl::edit::Span;
use serde::Serialize;

use crate::diag::{line_col_of, Diag};

/// Module calls followed from the root at most (Terraform has no limit; real
/// configurations nest a handful).
pub const MAX_MODULE_DEPTH: usize = 64;

/// Extensions of configuration files.
const CONFIG_EXTENSIONS: &[&str] = &["tf", "tofu"];

/// Where a block starts: the file (the directory as given, joined with the file
/// name), the 1-based line and the 1-based column (in characters) of its type keyword.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The configuration address of a plan address: every instance key (`[0]`,
/// `["a.b]"]`) removed. Keys are skipped up to their closing bracket, quoted strings
/// (with `\` escapes) honoured, so a `]` or `.` inside a string key stays inside it.
/// Never fails: a malformed address gives a string no block has.
pub fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut chars = address.chars();
    while let Some(c) = chars.next() {
        if c != '[' {
            out.push(c);
            continue;
        }
        let mut in_string = false;
        while let Some(k) = chars.next() {
            if in_string {
                match k {
                    '\\' => {
                        chars.next();
                    }
                    '"' => in_string = false,
                    _ => {}
                }
            } else {
                match k {
                    '"' => in_string = true,
                    ']' => break,
                    _ => {}
                }
            }
        }
    }
    out
}

/// A configuration address split into its module calls and the resource address
/// inside the last module: `module.a.module.b.data.x.y` gives (`["a", "b"]`,
/// `data.x.y`). None when nothing names a resource (`module.a`, an empty string).
pub fn split_modules(config_address: &str) -> Option<(Vec<&str>, String)> {
    let parts: Vec<&str> = config_address.split('.').collect();
    let mut i = 0;
    let mut modules = Vec::new();
    while i + 1 < parts.len() && parts[i] == "module" {
        modules.push(parts[i + 1]);
        i += 2;
    }
    let rest = &parts[i..];
    let valid = match rest {
        [t, n] => *t != "module" && !t.is_empty() && !n.is_empty(),
        [kind, t, n] => matches!(*kind, "data" | "ephemeral") && !t.is_empty() && !n.is_empty(),
        _ => false,
    };
    valid.then(|| (modules, rest.join(".")))
}

/// A module source that is a local path: `./x` or `../x` (Terraform's rule).
fn local_source(source: &str) -> Option<&str> {
    (source.starts_with("./") || source.starts_with("../")).then_some(source)
}

/// `path` with `.` dropped and `dir/..` folded, without touching the file system
/// (Terraform cleans module paths the same way). The empty path is the current
/// directory.
pub fn clean(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out.iter().collect()
}

/// One directory's configuration: its resource blocks and its module calls.
#[derive(Debug, Default)]
pub struct ModuleDir {
    /// It holds at least one `.tf` or `.tofu` file.
    pub has_config: bool,
    /// `type.name`, `data.type.name`, `ephemeral.type.name` → its block.
    resources: HashMap<String, SourceLocation>,
    /// Module name → its source when that is a local path.
    calls: HashMap<String, Option<String>>,
    /// Files that could not be read or parsed.
    pub warnings: Vec<Diag>,
}

/// `override.tf`, `x_override.tf` (and `.tofu`): merged into other files' blocks.
fn is_override(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem == "override" || stem.ends_with("_override")
}

impl ModuleDir {
    /// Read and parse the configuration files of `dir` (the empty path: the current
    /// directory). Never fails: what cannot be read is a warning.
    pub fn load(dir: &Path) -> ModuleDir {
        let mut out = ModuleDir::default();
        let listing = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let entries = match std::fs::read_dir(listing) {
            Ok(e) => e,
            Err(e) => {
                out.warnings.push(
                    Diag::new(
                        "plangate::source::unreadable",
                        format!(
                            "cannot read {} for resource locations: {e}",
                            listing.display()
                        ),
                    )
                    .file(listing.display().to_string()),
                );
                return out;
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| {
                !n.starts_with('.')
                    && n.rsplit_once('.')
                        .is_some_and(|(_, ext)| CONFIG_EXTENSIONS.contains(&ext))
            })
            .collect();
        // OpenTofu reads `x.tofu` instead of `x.tf` when both exist.
        let tofu: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_suffix(".tofu").map(str::to_string))
            .collect();
        names.retain(|n| {
            n.strip_suffix(".tf")
                .is_none_or(|s| !tofu.iter().any(|t| t == s))
        });
        // Primary files first (sorted), then override files.
        names.sort_by(|a, b| (is_override(a), a).cmp(&(is_override(b), b)));
        out.has_config = !names.is_empty();
        for name in names {
            let path = dir.join(&name);
            out.read_file(&path, is_override(&name));
        }
        out
    }

    fn read_file(&mut self, path: &Path, is_override: bool) {
        let display = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                self.warnings.push(
                    Diag::new(
                        "plangate::source::unreadable",
                        format!("cannot read {display} for resource locations: {e}"),
                    )
                    .file(display),
                );
                return;
            }
        };
        let body = match hcl::edit::parser::parse_body(&text) {
            Ok(b) => b,
            Err(e) => {
                let offset = e.location().offset();
                let (line, column) = line_col_of(&text, offset);
                let source: Arc<str> = Arc::from(text.as_str());
                let end = (offset + 1).min(source.len());
                self.warnings.push(
                    Diag::new(
                        "plangate::source::invalid_hcl",
                        format!(
                            "{display}:{line}:{column}: invalid HCL ({}); its resources get no location",
                            e.message()
                        ),
                    )
                    .file(display)
                    .at(source, offset..end, "here")
                    .help("`plangate lint` or `tofu validate` shows the problem"),
                );
                return;
            }
        };
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
            match (b.ident.as_str(), labels.as_slice()) {
                ("module", [name]) => {
                    let source = b.body.get_attribute("source").map(|a| match &a.value {
                        Expression::String(s) => local_source(s.value()).map(str::to_string),
                        _ => None,
                    });
                    match source {
                        // An override's `source` replaces the original's.
                        Some(src) if is_override => {
                            self.calls.insert(name.to_string(), src);
                        }
                        _ => {
                            self.calls
                                .entry(name.to_string())
                                .or_insert_with(|| source.flatten());
                        }
                    }
                }
                (kind @ ("resource" | "data" | "ephemeral"), [t, n]) => {
                    let address = match kind {
                        "resource" => format!("{t}.{n}"),
                        _ => format!("{kind}.{t}.{n}"),
                    };
                    let start = b.span().map_or(0, |r| r.start);
                    let (line, column) = line_col_of(&text, start);
                    // The first declaration wins: an override does not move it.
                    self.resources
                        .entry(address)
                        .or_insert_with(|| SourceLocation {
                            file: display.clone(),
                            line,
                            column,
                        });
                }
                _ => {}
            }
        }
    }

    /// The block of a resource address local to this directory (`type.name`).
    pub fn resource(&self, address: &str) -> Option<&SourceLocation> {
        self.resources.get(address)
    }

    /// The local source of module call `name`, when it has one.
    pub fn call(&self, name: &str) -> Option<&str> {
        self.calls.get(name).and_then(|s| s.as_deref())
    }
}

/// Directories read so far in this run, each read once even when plans are checked
/// in parallel.
#[derive(Debug, Default)]
pub struct SourceCache {
    dirs: Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<ModuleDir>>>>>,
    warnings: Mutex<Vec<Diag>>,
}

impl SourceCache {
    pub fn new() -> SourceCache {
        SourceCache::default()
    }

    /// The configuration of `dir` (cleaned lexically), read on first use.
    pub fn dir(&self, dir: &Path) -> Arc<ModuleDir> {
        let key = clean(dir);
        let cell = {
            let mut dirs = match self.dirs.lock() {
                Ok(d) => d,
                Err(poisoned) => poisoned.into_inner(),
            };
            dirs.entry(key.clone()).or_default().clone()
        };
        cell.get_or_init(|| {
            let loaded = ModuleDir::load(&key);
            if !loaded.warnings.is_empty() {
                let mut w = match self.warnings.lock() {
                    Ok(w) => w,
                    Err(poisoned) => poisoned.into_inner(),
                };
                w.extend(loaded.warnings.iter().cloned());
            }
            Arc::new(loaded)
        })
        .clone()
    }

    /// Whether `dir` holds `.tf` or `.tofu` files (the default `--source` test).
    pub fn has_config(&self, dir: &Path) -> bool {
        self.dir(dir).has_config
    }

    /// The block behind a plan address, in the configuration rooted at `root`.
    pub fn locate(&self, root: &Path, plan_address: &str) -> Option<SourceLocation> {
        let config = config_address(plan_address);
        let (modules, resource) = split_modules(&config)?;
        if modules.len() > MAX_MODULE_DEPTH {
            return None;
        }
        let mut dir = clean(root);
        for name in modules {
            let here = self.dir(&dir);
            let source = here.call(name)?;
            dir = clean(&dir.join(source));
        }
        self.dir(&dir).resource(&resource).cloned()
    }

    /// Warnings gathered so far (files that could not be read or parsed), each once.
    pub fn take_warnings(&self) -> Vec<Diag> {
        match self.warnings.lock() {
            Ok(mut w) => std::mem::take(&mut *w),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_keys_are_stripped() {
        let cases = [
            ("aws_s3_bucket.logs", "aws_s3_bucket.logs"),
            ("aws_s3_bucket.logs[0]", "aws_s3_bucket.logs"),
            (
                "data.aws_iam_policy_document.x",
                "data.aws_iam_policy_document.x",
            ),
            ("module.net.aws_vpc.main", "module.net.aws_vpc.main"),
            (
                r#"module.svc["a"].module.db.aws_db_instance.this[0]"#,
                "module.svc.module.db.aws_db_instance.this",
            ),
            (r#"terraform_data.x["k"]"#, "terraform_data.x"),
            // Dots and brackets inside quoted keys stay inside them.
            (r#"terraform_data.x["a.b"]"#, "terraform_data.x"),
            (r#"terraform_data.x["a]b"]"#, "terraform_data.x"),
            (r#"terraform_data.x["[x]"]"#, "terraform_data.x"),
            (
                r#"module.m["k]e.y[\"q\"]"].terraform_data.x["a\\"]"#,
                "module.m.terraform_data.x",
            ),
            (r#"module.m[1].t.n["x"]"#, "module.m.t.n"),
            // Malformed: never panics, gives something that matches no block.
            (r#"t.n["unterminated"#, "t.n"),
            ("t.n[", "t.n"),
            ("", ""),
            ("[]]]", "]]"),
            ("é.ü[\"ß\"]", "é.ü"),
        ];
        for (plan, config) in cases {
            assert_eq!(config_address(plan), config, "{plan}");
        }
    }

    #[test]
    fn module_steps_are_split_from_the_resource() {
        assert_eq!(
            split_modules("module.a.module.b.data.x.y"),
            Some((vec!["a", "b"], "data.x.y".to_string()))
        );
        assert_eq!(
            split_modules("aws_vpc.main"),
            Some((vec![], "aws_vpc.main".to_string()))
        );
        assert_eq!(split_modules("module.a"), None);
        assert_eq!(split_modules("module.a.b"), None);
        assert_eq!(split_modules(""), None);
        assert_eq!(split_modules("a.b.c"), None);
        assert_eq!(split_modules("a..b"), None);
        assert_eq!(
            split_modules("ephemeral.random_password.p"),
            Some((vec![], "ephemeral.random_password.p".to_string()))
        );
    }

    #[test]
    fn paths_are_cleaned_lexically() {
        assert_eq!(clean(Path::new("./a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(
            clean(Path::new("modules/service/../dns")),
            PathBuf::from("modules/dns")
        );
        assert_eq!(clean(Path::new("../x/../../y")), PathBuf::from("../../y"));
        assert_eq!(clean(Path::new(".")), PathBuf::new());
        assert_eq!(clean(Path::new("/a/../..")), PathBuf::from("/"));
    }

    #[test]
    fn only_local_sources_are_followed() {
        assert_eq!(local_source("./m"), Some("./m"));
        assert_eq!(local_source("../m"), Some("../m"));
        assert_eq!(local_source("terraform-aws-modules/vpc/aws"), None);
        assert_eq!(local_source("git::https://example.com/m.git"), None);
        assert_eq!(local_source("/abs/path"), None);
    }

    fn write(dir: &Path, name: &str, text: &str) {
        if let Some(parent) = dir.join(name).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn tmp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "plangate-locate-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn resources_are_found_through_local_modules_and_cycles_end() {
        let root = tmp("modules");
        write(
            &root,
            "main.tf",
            "module \"a\" {\n  source = \"./mods/a\"\n}\nmodule \"remote\" {\n  source = \"hashicorp/consul/aws\"\n}\n\nresource \"t\" \"top\" {}\n",
        );
        write(
            &root,
            "mods/a/x.tf",
            "# comment\n  data \"d\" \"q\" {\n}\nmodule \"self\" {\n  source = \"../a\"\n}\nmodule \"b\" {\n  source = \"../b\"\n}\n",
        );
        write(&root, "mods/b/y.tofu", "resource \"t\" \"deep\" {}\n");
        write(&root, "mods/b/y.tf", "\n\nresource \"t\" \"deep\" {}\n");
        write(&root, "broken.tf", "resource \"t\" {\n");
        let cache = SourceCache::new();
        let loc = |a: &str| cache.locate(&root, a);
        let top = loc("t.top[3]").expect("t.top");
        assert_eq!((top.line, top.column), (8, 1));
        assert!(top.file.ends_with("main.tf"), "{top:?}");
        let q = loc(r#"module.a["x"].data.d.q"#).expect("data in module");
        assert_eq!((q.line, q.column), (2, 3));
        assert!(q.file.ends_with("mods/a/x.tf"), "{q:?}");
        // A module calling itself: every step is one module of the address.
        let deep = "module.a.module.self.module.self.module.self.module.b.t.deep";
        let d = loc(deep).expect("through the self-call");
        assert!(d.file.ends_with("mods/b/y.tofu"), "{d:?}");
        assert_eq!(d.line, 1);
        let too_deep = format!("{}t.deep", "module.a.module.self.".repeat(40));
        assert_eq!(loc(&too_deep), None);
        assert_eq!(loc("module.remote.t.x"), None);
        assert_eq!(loc("module.missing.t.x"), None);
        assert_eq!(loc("t.absent"), None);
        let warnings = cache.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].code, "plangate::source::invalid_hcl");
        assert!(cache.take_warnings().is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn override_files_do_not_move_blocks_but_replace_sources() {
        let root = tmp("override");
        write(
            &root,
            "main.tf",
            "module \"m\" {\n  source = \"./one\"\n}\nresource \"t\" \"r\" {}\n",
        );
        write(
            &root,
            "a_override.tf",
            "resource \"t\" \"r\" {\n}\nmodule \"m\" {\n  source = \"./two\"\n}\n",
        );
        write(&root, "one/m.tf", "resource \"t\" \"in\" {}\n");
        write(&root, "two/m.tf", "\nresource \"t\" \"in\" {}\n");
        let cache = SourceCache::new();
        let r = cache.locate(&root, "t.r").unwrap();
        assert!(r.file.ends_with("main.tf") && r.line == 4, "{r:?}");
        let m = cache.locate(&root, "module.m.t.in").unwrap();
        assert!(m.file.ends_with("two/m.tf") && m.line == 2, "{m:?}");
        let _ = std::fs::remove_dir_all(&root);
    }
}
