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

crate::codes::stable_codes! {
    /// What is wrong with a rule, as a stable code (the name is in the conformance vectors and
    /// the bindings; the list is in `spec/rules.md`).
    pub enum Code {
        /// The rule does not follow the grammar.
        Syntax = 1 => "syntax",
        /// A number cannot be read (or has letters after it).
        BadNumber = 2 => "bad_number",
        /// A string has an unknown escape.
        BadEscape = 3 => "bad_escape",
        /// A string has no closing quote.
        UnterminatedString = 4 => "unterminated_string",
        /// A path is not in the schema.
        UnknownPath = 5 => "unknown_path",
        /// A function does not exist.
        UnknownFunction = 6 => "unknown_function",
        /// A function got the wrong number of arguments.
        WrongArity = 7 => "wrong_arity",
        /// An operand or argument has the wrong type.
        TypeMismatch = 8 => "type_mismatch",
        /// The rule is not a boolean condition.
        NotACondition = 9 => "not_a_condition",
        /// The rule is too long, too deep or has too many nodes.
        LimitExceeded = 10 => "limit_exceeded",
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
    /// One [`Error`](crate::Error) for a rule that does not compile: `invalid_rule`, every
    /// diagnostic rendered against `source` (at the place `rule`), and the first one's line and
    /// column. What a binding throws.
    pub fn to_error(&self, source: &str) -> crate::Error {
        let error = crate::Error::new(
            crate::ErrorCode::InvalidRule,
            self.render(source, "rule", 0),
        );
        match self.0.first() {
            Some(d) => {
                let (line, column) = d.line_column(source);
                error.at(line, column)
            }
            None => error,
        }
    }

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
