//! Finding policy and data files: directory walks, the embedded built-in library, and
//! `--data` documents. Everything is read into memory once, in a deterministic order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use walkdir::WalkDir;

use crate::diag::Diag;

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/policies");

/// Prefix of the names built-in policy files carry in diagnostics and coverage.
pub const BUILTIN_PREFIX: &str = "builtin:policies/";

/// A Rego file in memory.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// The path as shown to users (`builtin:policies/...` for the embedded library).
    pub name: String,
    pub text: Arc<str>,
    pub builtin: bool,
}

impl PolicyFile {
    pub fn is_test(&self) -> bool {
        self.name.ends_with("_test.rego")
    }
}

/// The embedded built-in library. Test files are included only when asked.
pub fn builtin_files(include_tests: bool) -> Vec<PolicyFile> {
    let mut out = Vec::new();
    collect_builtin(&BUILTIN, include_tests, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn collect_builtin(dir: &Dir<'_>, include_tests: bool, out: &mut Vec<PolicyFile>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().to_string();
        if !path.ends_with(".rego") || (!include_tests && path.ends_with("_test.rego")) {
            continue;
        }
        if let Some(text) = file.contents_utf8() {
            out.push(PolicyFile {
                name: format!("{BUILTIN_PREFIX}{path}"),
                text: Arc::from(text),
                builtin: true,
            });
        }
    }
    for sub in dir.dirs() {
        collect_builtin(sub, include_tests, out);
    }
}

/// Hidden directories and files are skipped, except a root named explicitly.
fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.')
}

/// Walk `--policy` paths for `.rego` files, sorted. A file named explicitly is
/// always taken; in directories `*_test.rego` is skipped unless `include_tests`.
pub fn policy_files(paths: &[PathBuf], include_tests: bool) -> Result<Vec<PolicyFile>, Diag> {
    let mut out = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|e| {
            Diag::new(
                "plangate::policy::not_found",
                format!("cannot read policy path {}: {e}", root.display()),
            )
            .file(root.display().to_string())
            .help("pass a directory of .rego files or a .rego file with --policy")
        })?;
        if meta.is_file() {
            out.push(read_policy(root)?);
            continue;
        }
        let before = out.len();
        for entry in WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !is_hidden(e))
        {
            let entry = entry.map_err(walk_error)?;
            let p = entry.path();
            let name = p.to_string_lossy();
            if !entry.file_type().is_file() || !name.ends_with(".rego") {
                continue;
            }
            if !include_tests && name.ends_with("_test.rego") {
                continue;
            }
            out.push(read_policy(p)?);
        }
        if out.len() == before {
            return Err(Diag::new(
                "plangate::policy::empty_dir",
                format!("no .rego files in {}", root.display()),
            )
            .file(root.display().to_string())
            .help("check the --policy path; policies are files ending in .rego (hidden directories are skipped)"));
        }
    }
    Ok(out)
}

fn read_policy(path: &Path) -> Result<PolicyFile, Diag> {
    let bytes = std::fs::read(path).map_err(|e| {
        Diag::new(
            "plangate::policy::read",
            format!("cannot read policy {}: {e}", path.display()),
        )
        .file(path.display().to_string())
        .help("check that the file exists and is readable")
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Diag::new(
            "plangate::policy::not_utf8",
            format!("policy {} is not UTF-8 text", path.display()),
        )
        .file(path.display().to_string())
        .help("save the .rego file as UTF-8")
    })?;
    Ok(PolicyFile {
        name: path.display().to_string(),
        text: Arc::from(text),
        builtin: false,
    })
}

pub(crate) fn walk_error(e: walkdir::Error) -> Diag {
    let path = e
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let help = if e.loop_ancestor().is_some() {
        "a symbolic link points back to a parent directory; remove the loop"
    } else {
        "check the permissions of the directory"
    };
    Diag::new("plangate::io::walk", format!("cannot read {path}: {e}"))
        .file(path)
        .help(help)
}

/// A `--data` document and the path under `data` where it goes.
#[derive(Debug, Clone)]
pub struct DataDoc {
    pub name: String,
    /// Directory components between the `--data` root and the file, as OPA's loader
    /// places `dir/a/b.json` under `data.a`.
    pub prefix: Vec<String>,
    pub value: regorus::Value,
}

/// Load `--data` files and directories (JSON and YAML), in sorted order.
pub fn data_docs(paths: &[PathBuf]) -> Result<Vec<DataDoc>, Diag> {
    let mut out = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|e| {
            Diag::new(
                "plangate::data::not_found",
                format!("cannot read data path {}: {e}", root.display()),
            )
            .file(root.display().to_string())
            .help("pass a JSON or YAML file, or a directory of them, with --data")
        })?;
        if meta.is_file() {
            out.push(read_data(root, Vec::new())?);
            continue;
        }
        for entry in WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !is_hidden(e))
        {
            let entry = entry.map_err(walk_error)?;
            let p = entry.path();
            let is_data = matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            );
            if !entry.file_type().is_file() || !is_data {
                continue;
            }
            let prefix = p
                .parent()
                .and_then(|d| d.strip_prefix(root).ok())
                .map(|rel| {
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().to_string())
                        .collect()
                })
                .unwrap_or_default();
            out.push(read_data(p, prefix)?);
        }
    }
    Ok(out)
}

fn read_data(path: &Path, prefix: Vec<String>) -> Result<DataDoc, Diag> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Diag::new("plangate::data::read", format!("cannot read {name}: {e}"))
            .file(name.clone())
            .help("check that the file exists and is readable")
    })?;
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(t) => Arc::from(t),
        Err(_) => {
            return Err(
                Diag::new("plangate::data::not_utf8", "data file is not UTF-8")
                    .file(name)
                    .help("save the data file as UTF-8 JSON or YAML"),
            )
        }
    };
    let is_json = path.extension().and_then(|e| e.to_str()) == Some("json");
    let value = if is_json {
        serde_json::from_str::<regorus::Value>(&text).map_err(|e| {
            // serde_json counts columns in bytes.
            let off = crate::diag::offset_of(&text, e.line(), e.column(), char::len_utf8);
            Diag::new(
                "plangate::data::invalid_json",
                format!("invalid JSON in data file: {e}"),
            )
            .file(name.clone())
            .at(text.clone(), off..off + 1, "here")
            .help("fix the JSON syntax of the --data file")
        })?
    } else {
        regorus::Value::from_yaml_str(&text).map_err(|e| {
            Diag::new(
                "plangate::data::invalid_yaml",
                format!("invalid YAML in data file: {e}"),
            )
            .file(name.clone())
            .help("fix the YAML syntax of the --data file")
        })?
    };
    if prefix.is_empty() && value.as_object().is_err() {
        return Err(Diag::new(
            "plangate::data::not_object",
            "a data file at the root of --data must hold an object",
        )
        .file(name)
        .help("wrap the document in an object, e.g. {\"allowed\": [...]}, and read it as data.allowed"));
    }
    Ok(DataDoc {
        name,
        prefix,
        value,
    })
}
