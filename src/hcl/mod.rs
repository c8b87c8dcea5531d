//! Terraform and OpenTofu source files (`.tf`, `.tofu`, `.tfvars`) as the JSON
//! document conftest's `hcl2` parser gives (tmccombs/hcl2json), with the byte span of
//! every block, attribute and object key kept beside it.
//!
//! The shape (README, "plangate lint"):
//!
//! - every block becomes `{"<type>": {"<label1>": {"<label2>": [ <body>, ... ]}}}`: labels
//!   nest as objects and the last level is always an array of bodies, one per block,
//!   in source order (`{"terraform": [{...}]}`, `"versioning": [{...}]`);
//! - literals are JSON values (`-1` and `!true` folded); a quoted string or heredoc
//!   without interpolation is its value, with a literal `${` / `%{` written back as
//!   `$${` / `%%{` so it cannot be taken for an interpolation;
//! - a string that is exactly one interpolation (`"${var.x}"`) is converted as the
//!   expression inside it; other templates keep their text: interpolations as
//!   `${<source>}`, `%{if}` / `%{for}` directives rebuilt (and, as hcl2json does, a
//!   conditional interpolation `${c ? a : b}` rebuilt as `%{if c}a%{else}b%{endif}`);
//! - tuples and objects recurse; an object key that is a bare name or a traversal is its
//!   source text;
//! - every other expression is `"${<exact source text>}"` (the text between the first
//!   and last byte of the expression as written, comments and outer whitespace excluded).
//!
//! Spans come from hcl-edit, so a finding that names a path into this document (see
//! [`TfFile::span_of`]) can be drawn at the exact block or attribute.

mod convert;
pub mod locate;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::diag::Diag;

/// One step of a path into the document: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    /// From a JSON path element: strings are keys, non-negative integers indexes.
    pub fn from_json(v: &serde_json::Value) -> Option<Seg> {
        match v {
            serde_json::Value::String(s) => Some(Seg::Key(s.clone())),
            serde_json::Value::Number(n) => n.as_u64().map(|i| Seg::Index(i as usize)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Seg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seg::Key(k) => write!(f, "{k}"),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// What a source item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Block,
    Attribute,
}

/// A block or an attribute, at any depth.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    /// Byte span in the source: a block from its type to its closing brace, an
    /// attribute from its name to the end of its value.
    pub span: Range<usize>,
    /// Its path in the document: for a block, down to its index in the array of
    /// bodies (`resource`, `aws_s3_bucket`, `logs`, `[0]`); for an attribute, its key.
    pub path: Vec<Seg>,
    /// Nesting depth: 0 for top-level blocks and attributes.
    pub depth: usize,
}

/// A parsed file: the conftest document and where everything in it came from.
#[derive(Debug, Clone)]
pub struct TfFile {
    pub value: serde_json::Value,
    pub source: Arc<str>,
    /// Blocks and attributes in source order.
    pub items: Vec<Item>,
    spans: HashMap<Vec<Seg>, Range<usize>>,
    /// Top-level blocks by Terraform address (`aws_s3_bucket.logs`, `data.x.y`,
    /// `module.vpc`, `var.name`, `output.name`, `provider.aws`).
    addresses: Vec<(String, Range<usize>)>,
}

/// A file that is not valid HCL, or that the conftest shape cannot represent.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub message: String,
    /// Byte offset of the problem, as hcl-rs reports it.
    pub offset: usize,
    /// Length of the span to mark (at least 1 where the source has a character there).
    pub len: usize,
    pub help: &'static str,
}

impl ParseError {
    /// The diagnostic for `file`, pointing at the offset.
    pub fn to_diag(&self, file: &str, source: Arc<str>) -> Diag {
        let len = if self.len > 0 {
            self.len
        } else {
            source[self.offset.min(source.len())..]
                .chars()
                .next()
                .map_or(0, char::len_utf8)
        };
        Diag::new(
            "plangate::lint::invalid_hcl",
            format!("{file}: {}", self.message),
        )
        .file(file.to_string())
        .at(source, self.offset..self.offset + len, "here")
        .help(self.help)
    }
}

/// Parse one file's text.
pub fn parse(source: Arc<str>) -> Result<TfFile, ParseError> {
    let body = hcl::edit::parser::parse_body(&source).map_err(|e| ParseError {
        message: format!("invalid HCL: {}", e.message()),
        offset: e.location().offset(),
        len: 0,
        help: "fix the HCL syntax at the position shown (`tofu fmt` or `terraform fmt` shows the same error)",
    })?;
    let mut conv = convert::Converter::new(&source);
    let value = conv.body(&body, &[], 0)?;
    let (items, spans, addresses) = conv.finish();
    Ok(TfFile {
        value,
        source,
        items,
        spans,
        addresses,
    })
}

impl TfFile {
    /// The span of the longest prefix of `path` that names a block, an attribute or an
    /// object key of this document.
    pub fn span_of(&self, path: &[Seg]) -> Option<Range<usize>> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.spans.get(&path[..n]).cloned())
    }

    /// The span of a path given as JSON (`["resource", "aws_s3_bucket", "logs", 0]`).
    pub fn span_of_json(&self, path: &serde_json::Value) -> Option<Range<usize>> {
        let serde_json::Value::Array(items) = path else {
            return None;
        };
        let segs: Option<Vec<Seg>> = items.iter().map(Seg::from_json).collect();
        self.span_of(&segs?)
    }

    /// The top-level block whose address occurs in `text` (the longest such address),
    /// for results that name a resource only in their message.
    pub fn span_of_address_in(&self, text: &str) -> Option<Range<usize>> {
        self.addresses
            .iter()
            .filter(|(addr, _)| contains_address(text, addr))
            .max_by_key(|(addr, _)| addr.len())
            .map(|(_, span)| span.clone())
    }

    /// The outermost block or attribute that starts on 1-based `line`.
    pub fn item_starting_on_line(&self, line: usize) -> Option<&Item> {
        let start = line_start(&self.source, line)?;
        let end = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |i| start + i);
        self.items
            .iter()
            .filter(|it| it.span.start >= start && it.span.start <= end)
            .min_by_key(|it| (it.depth, it.span.start))
    }
}

/// `addr` occurs in `text` as a whole word (not inside a longer identifier or address).
fn contains_address(text: &str, addr: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(addr).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + addr.len()..].chars().next();
        !before.is_some_and(|c| is_ident(c) || c == '.') && !after.is_some_and(is_ident)
    })
}

/// Byte offset of the start of 1-based `line`.
fn line_start(src: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0usize;
    for _ in 1..line {
        start += src[start..].find('\n')? + 1;
    }
    Some(start)
}

#[cfg(test)]
mod tests;
