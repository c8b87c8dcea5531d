//! Diagnostics: every bad input becomes a [`Diag`] with a stable code, the file, a
//! span where the input is text, and a `help` that says what to do next.
//!
//! Errors stay values until `main` renders them with miette, so the JSON report can
//! carry them too and nothing downstream needs to know how they are drawn.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

/// A user-facing error. One type for every input (plans, policies, config) so the
/// renderers and the exit-code logic handle them uniformly.
#[derive(Debug, Clone)]
pub struct Diag {
    /// Stable identifier such as `plangate::plan::invalid_json`.
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    /// The file the problem is in, as the user named it.
    pub file: Option<String>,
    /// The text of that file when it is text, for the snippet.
    pub source: Option<Arc<str>>,
    /// Byte span in `source` and its label.
    pub span: Option<(std::ops::Range<usize>, String)>,
}

impl Diag {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diag {
            code,
            message: message.into(),
            help: None,
            file: None,
            source: None,
            span: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Attach the file text and a labelled byte span inside it.
    pub fn at(
        mut self,
        source: Arc<str>,
        span: std::ops::Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        let len = source.len();
        let start = floor_char_boundary(&source, span.start.min(len));
        let end = floor_char_boundary(&source, span.end.clamp(start, len));
        self.source = Some(source);
        self.span = Some((start..end, label.into()));
        self
    }

    /// 1-based line and column (in characters) of the span start, when known.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let src = self.source.as_ref()?;
        let (span, _) = self.span.as_ref()?;
        Some(line_col_of(src, span.start))
    }

    /// The machine-readable form used by the JSON report.
    pub fn to_json(&self) -> DiagJson {
        let (line, column) = match self.line_col() {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        DiagJson {
            code: self.code.to_string(),
            message: self.message.clone(),
            file: self.file.clone(),
            line,
            column,
            help: self.help.clone(),
        }
    }
}

/// Serialized diagnostic, part of the `plangate/v1` JSON schema.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DiagJson {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.source.is_some()) {
            // With a snippet miette prints the file name itself.
            (Some(file), false) => write!(f, "{}: {}", file, self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (span, label) = self.span.as_ref()?;
        let span: SourceSpan = (span.start, span.end - span.start).into();
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label.clone()),
            span,
        ))))
    }
}

/// Wraps a [`Diag`] with its file name so miette prints the name above the snippet.
pub struct Rendered<'a>(pub &'a Diag);

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}
impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}
impl std::error::Error for Rendered<'_> {}
impl Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Diagnostic::help(self.0)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.labels()
    }
}

/// Renders a diagnostic to a string the way the CLI prints it on stderr.
pub fn render(diag: &Diag, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_links(false);
    let mut out = String::new();
    let named;
    let shown: &dyn Diagnostic = match (&diag.file, &diag.source) {
        (Some(file), Some(src)) => {
            named = NamedDiag {
                inner: diag,
                source: NamedSource::new(file.clone(), src.clone()),
            };
            &named
        }
        _ => diag,
    };
    if handler.render_report(&mut out, shown).is_err() {
        out = format!("error[{}]: {}\n", diag.code, diag);
    }
    out
}

struct NamedDiag<'a> {
    inner: &'a Diag,
    source: NamedSource<Arc<str>>,
}

impl fmt::Debug for NamedDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.inner, f)
    }
}
impl fmt::Display for NamedDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)
    }
}
impl std::error::Error for NamedDiag<'_> {}
impl Diagnostic for NamedDiag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Diagnostic::help(self.inner)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.inner.labels()
    }
}

/// 1-based (line, character column) of a byte offset.
pub fn line_col_of(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = src[line_start..offset].chars().count() + 1;
    (line, col)
}

/// Byte offset of a 1-based line and a column counted by `col_width` (a function
/// giving each character's width), clamped to the line.
pub fn offset_of(src: &str, line: usize, col: usize, col_width: impl Fn(char) -> usize) -> usize {
    let mut start = 0usize;
    for _ in 1..line.max(1) {
        match src[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return src.len(),
        }
    }
    let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let mut seen = 1usize;
    for (i, ch) in src[start..line_end].char_indices() {
        if seen >= col {
            return start + i;
        }
        seen += col_width(ch);
    }
    line_end
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let src = "ab\nüx\n";
        assert_eq!(line_col_of(src, 0), (1, 1));
        assert_eq!(line_col_of(src, 3), (2, 1));
        assert_eq!(line_col_of(src, 5), (2, 2));
    }

    #[test]
    fn offset_of_treats_tab_as_four_columns_when_asked() {
        let src = "a\n\tdeny x\n";
        let tab4 = |c: char| if c == '\t' { 4 } else { 1 };
        // column 5 is the 'd' after a tab counted as four columns.
        assert_eq!(offset_of(src, 2, 5, tab4), 3);
        assert_eq!(&src[offset_of(src, 2, 5, tab4)..][..4], "deny");
    }

    #[test]
    fn spans_are_clamped_to_the_source() {
        let d = Diag::new("x", "m").at(Arc::from("abc"), 2..99, "here");
        assert_eq!(d.span.as_ref().map(|s| s.0.clone()), Some(2..3));
    }
}
