//! regorus errors are plain strings of the shape
//! `--> path:line:col | <snippet> | error: message`; this turns them into located
//! diagnostics. regorus counts a tab as four columns, so columns are converted here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::{offset_of, Diag};

/// Map a regorus error to a diagnostic, using the policy texts for the snippet.
pub fn to_diag(
    code: &'static str,
    what: &str,
    err: &anyhow::Error,
    sources: &HashMap<String, Arc<str>>,
    help: &str,
) -> Diag {
    let text = format!("{err:#}");
    let (location, message) = parse(&text);
    let mut diag = Diag::new(code, format!("{what}: {message}")).help(help.to_string());
    if let Some((path, line, col)) = location {
        diag = diag.file(path.clone());
        if let Some(src) = sources.get(&path) {
            // regorus counts a tab as four columns and other characters by their UTF-8 bytes.
            let tab4 = |c: char| if c == '\t' { 4 } else { c.len_utf8() };
            let off = offset_of(src, line, col, tab4);
            let end = src[off..]
                .find(|c: char| c.is_whitespace())
                .map_or(src.len(), |i| off + i.max(1));
            diag = diag.at(src.clone(), off..end, message.clone());
        }
    }
    diag
}

/// Split a regorus error into its first location and its last `error:` line.
pub fn parse(text: &str) -> (Option<(String, usize, usize)>, String) {
    let mut location = None;
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("--> ") {
            let mut parts = rest.rsplitn(3, ':');
            let col = parts.next().and_then(|c| c.trim().parse().ok());
            let ln = parts.next().and_then(|l| l.trim().parse().ok());
            if let (Some(col), Some(ln), Some(path)) = (col, ln, parts.next()) {
                location = Some((path.to_string(), ln, col));
                break;
            }
        }
    }
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| {
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("unknown error")
                .to_string()
        });
    (location, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_location_and_message() {
        let text = "\n--> policies/a:b.rego:4:25\n  |\n4 | x\n  |   ^\nerror: invalid character";
        let (loc, msg) = parse(text);
        assert_eq!(loc, Some(("policies/a:b.rego".to_string(), 4, 25)));
        assert_eq!(msg, "invalid character");
    }

    #[test]
    fn message_without_location_is_kept() {
        let (loc, msg) = parse("not a valid rule path");
        assert!(loc.is_none());
        assert_eq!(msg, "not a valid rule path");
    }
}
