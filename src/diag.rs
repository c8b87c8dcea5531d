//! Diagnostics: every bad input becomes a [`Diag`] with a stable code, the file, a
//! span where the input is text, and a `help` that says what to do next.
//!
//! Errors stay values until `main` renders them with miette, so the JSON report can
//! carry them too and nothing downstream needs to know how they are drawn.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceSpan};
use serde::Serialize;

/// A user-facing error. One type for every input (plans, policies, config) so the
/// renderers and the exit-code logic handle them uniformly. Boxed: errors are rare
/// and `Result<_, Diag>` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct Diag(Box<DiagData>);

/// The fields of a [`Diag`], reached through `Deref`.
#[derive(Debug, Clone)]
pub struct DiagData {
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

impl std::ops::Deref for Diag {
    type Target = DiagData;
    fn deref(&self) -> &DiagData {
        &self.0
    }
}

impl std::ops::DerefMut for Diag {
    fn deref_mut(&mut self) -> &mut DiagData {
        &mut self.0
    }
}

impl Diag {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diag(Box::new(DiagData {
            code,
            message: message.into(),
            help: None,
            file: None,
            source: None,
            span: None,
        }))
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

    /// Apply `f` to every text the diagnostic prints besides the source snippet
    /// (message, help, label): e.g. redaction of a plan's sensitive values, which an
    /// evaluation error can quote (`Got "hunter2" instead`).
    pub fn map_text(mut self, f: impl Fn(&str) -> String) -> Self {
        self.message = f(&self.message);
        self.help = self.help.take().map(|h| f(&h));
        self.span = self.span.take().map(|(range, label)| (range, f(&label)));
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
    let shown;
    let shown: &dyn Diagnostic = match (&diag.source, &diag.span) {
        (Some(src), Some((span, label))) => {
            let (snippet, span) = Snippet::new(diag.file.clone(), src, span.clone());
            shown = Shown {
                inner: diag,
                snippet,
                span,
                label: label.clone(),
            };
            &shown
        }
        _ => diag,
    };
    if handler.render_report(&mut out, shown).is_err() {
        out = format!("error[{}]: {}\n", diag.code, diag);
    }
    out
}

/// Lines longer than this many bytes are not drawn whole: a `show -json` plan is one
/// line of often megabytes, which would otherwise all be printed under the error.
const LONG_LINE: usize = 200;
/// Characters kept on each side of the span when a long line is cut to a window.
const WINDOW_CONTEXT: usize = 60;
/// Characters of the span itself kept in such a window.
const WINDOW_SPAN: usize = 80;

/// The text miette draws: the whole source, or, for a span on a very long line, a
/// window of that line marked with `…`. Either way the `[file:line:col]` header and
/// the line numbers are those of the original file, with the column counted in
/// characters as [`Diag::line_col`] counts it (miette alone counts bytes).
struct Snippet {
    name: Option<String>,
    text: Arc<str>,
    /// 0-based line of the original source where `text` starts.
    line0: usize,
    /// 0-based character column, in that line, of `text[prefix..]`.
    col0: usize,
    /// Byte length of the leading `…` (0 when the window starts at the line start).
    prefix: usize,
}

impl Snippet {
    /// The snippet for `span` in `src`, and the span translated into the snippet.
    fn new(
        name: Option<String>,
        src: &Arc<str>,
        span: std::ops::Range<usize>,
    ) -> (Snippet, std::ops::Range<usize>) {
        let start = floor_char_boundary(src, span.start.min(src.len()));
        let end = floor_char_boundary(src, span.end.clamp(start, src.len()));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        if line_end - line_start <= LONG_LINE {
            let whole = Snippet {
                name,
                text: src.clone(),
                line0: 0,
                col0: 0,
                prefix: 0,
            };
            return (whole, start..end);
        }
        let end = advance_chars(src, start, WINDOW_SPAN).min(end.min(line_end));
        let win_start = retreat_chars(src, start, WINDOW_CONTEXT).max(line_start);
        let win_end = advance_chars(src, end, WINDOW_CONTEXT).min(line_end);
        let lead = if win_start > line_start { "…" } else { "" };
        let trail = if win_end < line_end { "…" } else { "" };
        let text = format!("{lead}{}{trail}", &src[win_start..win_end]);
        let shift = |o: usize| o - win_start + lead.len();
        let window = Snippet {
            name,
            text: Arc::from(text),
            line0: src[..line_start].bytes().filter(|b| *b == b'\n').count(),
            col0: src[line_start..win_start].chars().count(),
            prefix: lead.len(),
        };
        (window, shift(start)..shift(end))
    }

    /// 0-based character column of byte `offset` of `text`, in the original line.
    fn column(&self, offset: usize) -> usize {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        match self.text[..offset].rfind('\n') {
            Some(i) => self.text[i + 1..offset].chars().count(),
            None => self.col0 + self.text[self.prefix.min(offset)..offset].chars().count(),
        }
    }
}

/// The byte offset `n` characters after `from` (or the end of `s`).
fn advance_chars(s: &str, from: usize, n: usize) -> usize {
    s[from..]
        .char_indices()
        .nth(n)
        .map_or(s.len(), |(i, _)| from + i)
}

/// The byte offset `n` characters before `from` (or 0).
fn retreat_chars(s: &str, from: usize, n: usize) -> usize {
    s[..from]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner =
            self.text
                .as_bytes()
                .read_span(span, context_lines_before, context_lines_after)?;
        // With context lines miette starts at a line start (column 0); without, the
        // contents start at the span, whose column the header shows.
        let column = if context_lines_before == 0 {
            self.column(inner.span().offset())
        } else {
            inner.column()
        };
        let line = self.line0 + inner.line();
        let contents = match &self.name {
            Some(name) => miette::MietteSpanContents::new_named(
                name.clone(),
                inner.data(),
                *inner.span(),
                line,
                column,
                inner.line_count(),
            ),
            None => miette::MietteSpanContents::new(
                inner.data(),
                *inner.span(),
                line,
                column,
                inner.line_count(),
            ),
        };
        Ok(Box::new(contents))
    }
}

/// A [`Diag`] as drawn: its snippet and its span within that snippet.
struct Shown<'a> {
    inner: &'a Diag,
    snippet: Snippet,
    span: std::ops::Range<usize>,
    label: String,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.inner, f)
    }
}
impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)
    }
}
impl std::error::Error for Shown<'_> {}
impl Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Diagnostic::help(self.inner)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.snippet)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span: SourceSpan = (self.span.start, self.span.end - self.span.start).into();
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.label.clone()),
            span,
        ))))
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
    fn a_long_line_is_drawn_as_a_window_with_the_original_position() {
        let mut src = String::from("{\"a\":\"");
        src.push_str(&"é".repeat(5000));
        src.push_str("\", oops}");
        let at = src.find("oops").unwrap();
        let d =
            Diag::new("x", "m")
                .file("plan.json")
                .at(Arc::from(src.as_str()), at..at + 4, "here");
        let out = render(&d, false);
        assert!(out.len() < 1500, "{} bytes", out.len());
        let (line, col) = d.line_col().unwrap();
        assert_eq!((line, col), (1, 5000 + 10));
        assert!(out.contains(&format!("[plan.json:{line}:{col}]")), "{out}");
        assert!(out.contains("…"), "{out}");
        assert!(out.contains("oops}"), "{out}");
    }

    #[test]
    fn header_column_counts_characters_not_bytes() {
        let src = "ab\n  \"déjà\" x\n";
        let at = src.find('x').unwrap();
        let d = Diag::new("x", "m")
            .file("f.json")
            .at(Arc::from(src), at..at + 1, "here");
        assert_eq!(d.line_col(), Some((2, 10)));
        assert!(render(&d, false).contains("[f.json:2:10]"));
    }

    #[test]
    fn short_sources_keep_their_context_lines() {
        let src = "one\ntwo\nthree x\nfour\n";
        let at = src.find('x').unwrap();
        let d = Diag::new("x", "m")
            .file("f")
            .at(Arc::from(src), at..at + 1, "here");
        let out = render(&d, false);
        for l in ["two", "three x", "four", "[f:3:7]"] {
            assert!(out.contains(l), "{l} in {out}");
        }
    }

    #[test]
    fn map_text_reaches_message_help_and_label() {
        let d = Diag::new("x", "got s3cret")
            .help("not s3cret")
            .at(Arc::from("abc"), 0..1, "s3cret here")
            .map_text(|t| t.replace("s3cret", "(sensitive)"));
        assert_eq!(d.message, "got (sensitive)");
        assert_eq!(d.help.as_deref(), Some("not (sensitive)"));
        assert_eq!(
            d.span.as_ref().map(|s| s.1.as_str()),
            Some("(sensitive) here")
        );
    }

    #[test]
    fn spans_are_clamped_to_the_source() {
        let d = Diag::new("x", "m").at(Arc::from("abc"), 2..99, "here");
        assert_eq!(d.span.as_ref().map(|s| s.0.clone()), Some(2..3));
    }
}
