//! The promotion ledger: an append-only JSON-lines file of applies and their
//! verification, so that promotion to the next environment rests on evidence that
//! the same change was applied and verified before.
//!
//! Appends take an exclusive file lock and fsync, so concurrent CI jobs lose nothing
//! and a crash cannot leave a half record followed by a good one; a torn last line
//! from an older crash is reported and skipped, never fatal.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::Diag;
use crate::plan::digest::is_digest;

/// What happened to a plan in an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Applied,
    Verified,
    Failed,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record format version.
    pub v: u32,
    /// RFC 3339 UTC.
    pub time: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub commit: String,
    pub plan_digest: String,
    pub changeset_digest: String,
    pub outcome: Outcome,
    /// Who recorded it (`--who`, else $USER / CI actor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// Addresses the applied plan changed: verification looks for drift on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Why verification failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A ledger read back, with what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub records: Vec<Record>,
    /// Lines that did not parse: (1-based line, message). A torn last line is here.
    pub problems: Vec<(usize, String)>,
}

impl Ledger {
    /// Read a ledger; a missing file is an empty ledger.
    pub fn read(path: &Path) -> Result<Ledger, Diag> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
            Err(e) => {
                return Err(Diag::new(
                    "plangate::ledger::read",
                    format!("cannot read the ledger: {e}"),
                )
                .file(path.display().to_string())
                .help("check the --ledger path and its permissions"))
            }
        };
        Ok(Ledger::parse(&text))
    }

    pub fn parse(text: &str) -> Ledger {
        let mut ledger = Ledger::default();
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.split('\n').collect();
        let last = lines.len().saturating_sub(1);
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(line) {
                Ok(r) => match r.check() {
                    Ok(()) => ledger.records.push(r),
                    Err(m) => ledger.problems.push((i + 1, m)),
                },
                Err(e) => {
                    let torn = i == last && !complete;
                    ledger.problems.push((
                        i + 1,
                        if torn {
                            format!("torn last line (an interrupted write), skipped: {e}")
                        } else {
                            format!("not a ledger record: {e}")
                        },
                    ));
                }
            }
        }
        ledger
    }

    /// Verified records of an environment for a commit (prefix match either way,
    /// so short and full SHAs meet) or a change-set digest.
    pub fn verified<'a>(
        &'a self,
        environment: &'a str,
        commit: Option<&'a str>,
        changeset: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.iter().filter(move |r| {
            r.environment == environment
                && r.outcome == Outcome::Verified
                && (commit.is_some_and(|c| same_commit(c, &r.commit))
                    || changeset.is_some_and(|d| d == r.changeset_digest))
        })
    }
}

pub fn same_commit(a: &str, b: &str) -> bool {
    !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
}

impl Record {
    /// Well-formedness beyond the JSON shape.
    pub fn check(&self) -> Result<(), String> {
        if self.v != 1 {
            return Err(format!("record version {} is not supported", self.v));
        }
        if !is_digest(&self.plan_digest) || !is_digest(&self.changeset_digest) {
            return Err("a digest is not sha256:<64 hex digits>".into());
        }
        if chrono::DateTime::parse_from_rfc3339(&self.time).is_err() {
            return Err(format!("time {:?} is not RFC 3339", self.time));
        }
        if self.environment.is_empty() || self.commit.is_empty() {
            return Err("environment and commit must not be empty".into());
        }
        Ok(())
    }
}

/// Append one record: exclusive lock, a newline first if an older crash left a torn
/// line, one write of the whole line, fsync.
pub fn append(path: &Path, record: &Record) -> Result<(), Diag> {
    let name = path.display().to_string();
    let io = |what: &str, e: std::io::Error| {
        Diag::new(
            "plangate::ledger::write",
            format!("cannot {what} the ledger: {e}"),
        )
        .file(name.clone())
        .help("check that the ledger's directory exists and is writable")
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    }
    let mut file: File = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| io("open", e))?;
    file.lock().map_err(|e| io("lock", e))?;
    let mut line = serde_json::to_string(record).map_err(|e| {
        Diag::new(
            "plangate::ledger::write",
            format!("cannot encode the record: {e}"),
        )
    })?;
    line.push('\n');
    let len = file.metadata().map_err(|e| io("stat", e))?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .map_err(|e| io("read", e))?;
        file.read_exact(&mut last).map_err(|e| io("read", e))?;
        if last[0] != b'\n' {
            line.insert(0, '\n');
        }
    }
    file.write_all(line.as_bytes())
        .map_err(|e| io("write", e))?;
    file.sync_data().map_err(|e| io("sync", e))?;
    file.unlock().map_err(|e| io("unlock", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcome: Outcome) -> Record {
        Record {
            v: 1,
            time: "2026-11-22T10:00:00Z".into(),
            environment: "cluster01".into(),
            project: None,
            commit: "abc123".into(),
            plan_digest: format!("sha256:{}", "a".repeat(64)),
            changeset_digest: format!("sha256:{}", "b".repeat(64)),
            outcome,
            who: Some("ci".into()),
            addresses: vec![],
            reasons: vec![],
        }
    }

    #[test]
    fn a_torn_last_line_is_reported_and_skipped() {
        let good = serde_json::to_string(&record(Outcome::Applied)).unwrap_or_default();
        let text = format!("{good}\n{}", &good[..20]);
        let l = Ledger::parse(&text);
        assert_eq!(l.records.len(), 1);
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].1.contains("torn"));
    }

    #[test]
    fn appending_after_a_torn_line_starts_a_new_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ledger.jsonl");
        std::fs::write(&path, "{\"v\":1,\"ti").expect("write");
        append(&path, &record(Outcome::Verified)).expect("append");
        let l = Ledger::read(&path).expect("read");
        assert_eq!(l.records.len(), 1);
        assert_eq!(l.problems.len(), 1);
        assert_eq!(l.verified("cluster01", Some("abc123456"), None).count(), 1);
    }
}
