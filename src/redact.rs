//! The one redaction step every string passes through on its way into a report, so
//! no output format can leak a value the plan marks sensitive.

use std::collections::HashSet;

use aho_corasick::AhoCorasick;

use crate::plan::sensitive::MIN_SUBSTRING_LEN;
use crate::plan::Secrets;

/// What replaces a sensitive value.
pub const MASK: &str = "(sensitive)";

/// Replaces sensitive values inside strings.
pub struct Redactor {
    substrings: Option<(AhoCorasick, usize)>,
    exact: HashSet<String>,
}

impl Redactor {
    pub fn new(secrets: &Secrets) -> Redactor {
        let long: Vec<&str> = secrets
            .values()
            .iter()
            .filter(|s| s.chars().count() >= MIN_SUBSTRING_LEN)
            .map(String::as_str)
            .collect();
        let exact = secrets.values().iter().cloned().collect();
        let substrings = if long.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&long)
                .ok()
                .map(|ac| (ac, long.len()))
        };
        Redactor { substrings, exact }
    }

    pub fn is_noop(&self) -> bool {
        self.substrings.is_none() && self.exact.is_empty()
    }

    pub fn string(&self, s: &str) -> String {
        if self.exact.contains(s) {
            return MASK.to_string();
        }
        match &self.substrings {
            Some((ac, n)) => ac.replace_all(s, &vec![MASK; *n]),
            None => s.to_string(),
        }
    }

    /// Redact every string (keys included) inside a JSON value.
    pub fn json(&self, v: &serde_json::Value) -> serde_json::Value {
        if self.is_noop() {
            return v.clone();
        }
        match v {
            serde_json::Value::String(s) => serde_json::Value::String(self.string(s)),
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.iter().map(|x| self.json(x)).collect())
            }
            serde_json::Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, x)| (self.string(k), self.json(x)))
                    .collect(),
            ),
            serde_json::Value::Number(n) if self.exact.contains(&n.to_string()) => {
                serde_json::Value::String(MASK.to_string())
            }
            other => other.clone(),
        }
    }
}
