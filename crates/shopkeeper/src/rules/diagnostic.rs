//! Compile-time diagnostics: a stable code, a message, where (line, column, span) and a hint.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

/// A byte range in the rule's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    pub(crate) const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// What is wrong with a rule, as a stable code (the name is in the conformance vectors and the
/// bindings; the list is in `spec/rules.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// The rule does not follow the grammar.
    Syntax,
    /// A number cannot be read (or has letters after it).
    BadNumber,
    /// A string has an unknown escape.
    BadEscape,
    /// A string has no closing quote.
    UnterminatedString,
    /// A path is not in the schema.
    UnknownPath,
    /// A function does not exist.
    UnknownFunction,
    /// A function got the wrong number of arguments.
    WrongArity,
    /// An operand or argument has the wrong type.
    TypeMismatch,
    /// The rule is not a boolean condition.
    NotACondition,
    /// The rule is too long, too deep or has too many nodes.
    LimitExceeded,
}

impl Code {
    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::BadNumber => "bad_number",
            Code::BadEscape => "bad_escape",
            Code::UnterminatedString => "unterminated_string",
            Code::UnknownPath => "unknown_path",
            Code::UnknownFunction => "unknown_function",
            Code::WrongArity => "wrong_arity",
            Code::TypeMismatch => "type_mismatch",
            Code::NotACondition => "not_a_condition",
            Code::LimitExceeded => "limit_exceeded",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// Where, in bytes of the source.
    pub span: Span,
    /// How to fix it, when known ("did you mean `cart.value`?").
    pub help: Option<String>,
}

impl Diagnostic {
    pub(crate) fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Line and column (1-based; the column counts characters) where it starts in `source`.
    pub fn line_column(&self, source: &str) -> (usize, usize) {
        line_column(source, self.span.start)
    }

    /// Renders it the way compilers do, with the source line and a caret under the problem:
    ///
    /// ```text
    /// error[unknown_path]: unknown path `cart.valeu`
    ///  --> rules.txt:3:1
    ///   |
    /// 3 | cart.valeu >= 100
    ///   | ^^^^^^^^^^ did you mean `cart.value`?
    /// ```
    ///
    /// `line_offset` shifts the line numbers shown, for a rule that starts inside a larger file.
    pub fn render(&self, source: &str, file: &str, line_offset: usize) -> String {
        let (line, column) = self.line_column(source);
        let text = source.lines().nth(line - 1).unwrap_or("");
        let shown = line + line_offset;
        let gutter = " ".repeat(digits(shown));
        let (start, end) = (
            floor_boundary(source, self.span.start),
            floor_boundary(source, self.span.end),
        );
        let on_line = source
            .get(start..end.max(start))
            .unwrap_or("")
            .split(['\r', '\n'])
            .next()
            .unwrap_or("");
        let width = on_line.chars().count().max(1);
        // Indent the caret like the text above it, tabs included, so it lines up in any terminal.
        let indent: String = text
            .chars()
            .take(column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let mut out = String::new();
        let _ = writeln!(out, "error[{}]: {}", self.code, self.message);
        let _ = writeln!(out, "{gutter}--> {file}:{shown}:{column}");
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{shown} | {text}");
        let _ = write!(out, "{gutter} | {}{}", indent, "^".repeat(width));
        if let Some(help) = &self.help {
            let _ = write!(out, " {help}");
        }
        out.push('\n');
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

fn digits(mut n: usize) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

/// 1-based line and character column of byte `offset`.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..floor_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Every problem found in a rule (compilation goes on after an error to report several at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Renders all of them (see [`Diagnostic::render`]).
    pub fn render(&self, source: &str, file: &str, line_offset: usize) -> String {
        self.0
            .iter()
            .map(|d| d.render(source, file, line_offset))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Diagnostic {}

#[cfg(feature = "std")]
impl std::error::Error for Diagnostics {}

/// The largest character boundary of `source` at or before byte `offset`: spans are byte offsets
/// and may come from a limit that cuts a character in two.
pub(crate) fn floor_boundary(source: &str, offset: usize) -> usize {
    let mut i = offset.min(source.len());
    while !source.is_char_boundary(i) {
        i -= 1;
    }
    i
}
