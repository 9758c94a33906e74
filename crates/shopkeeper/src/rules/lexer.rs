//! Tokens of the rule language, with their byte spans in the source.

use alloc::string::String;
use alloc::vec::Vec;

use super::diagnostic::{Code, Diagnostic, Span};

/// A token kind. Keywords are recognised here; paths are identifiers joined by dots in the parser.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Number(f64),
    /// A duration literal, in seconds.
    Duration(f64),
    Str(String),
    Ident(String),
    True,
    False,
    And,
    Or,
    Not,
    In,
    If,
    Then,
    Else,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    End,
}

impl Tok {
    /// How the token is written, for "expected X, found Y" messages.
    pub(crate) fn describe(&self) -> String {
        use alloc::format;
        match self {
            Tok::Number(n) => format!("number `{n}`"),
            Tok::Duration(_) => "a duration".into(),
            Tok::Str(_) => "a string".into(),
            Tok::Ident(name) => format!("`{name}`"),
            Tok::End => "the end of the rule".into(),
            other => format!("`{}`", other.symbol()),
        }
    }

    pub(crate) fn symbol(&self) -> &'static str {
        match self {
            Tok::True => "true",
            Tok::False => "false",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::In => "in",
            Tok::If => "if",
            Tok::Then => "then",
            Tok::Else => "else",
            Tok::Eq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            _ => "",
        }
    }
}

/// Seconds per duration unit.
pub(crate) const UNITS: [(char, f64); 5] = [
    ('s', 1.0),
    ('m', 60.0),
    ('h', 3_600.0),
    ('d', 86_400.0),
    ('w', 604_800.0),
];

/// Splits `source` into tokens; the last is [`Tok::End`]. Comments run from `#` to the line's end.
pub(crate) fn tokenize(source: &str) -> Result<Vec<(Tok, Span)>, Diagnostic> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = |tok: Tok| (tok, Span::new(start, start + 1));
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'0'..=b'9' => {
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                    i += 1;
                }
                if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                        i += 1;
                    }
                }
                let digits: String = source[start..i].chars().filter(|&c| c != '_').collect();
                let value: f64 = digits.parse().map_err(|_| {
                    Diagnostic::new(
                        Code::BadNumber,
                        Span::new(start, i),
                        "this number cannot be read",
                    )
                })?;
                if !value.is_finite() {
                    return Err(Diagnostic::new(
                        Code::BadNumber,
                        Span::new(start, i),
                        "this number is too large",
                    ));
                }
                let unit = bytes
                    .get(i)
                    .and_then(|&b| UNITS.iter().find(|(u, _)| *u as u8 == b));
                let tok = match unit {
                    Some(&(_, seconds))
                        if !bytes
                            .get(i + 1)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') =>
                    {
                        i += 1;
                        let seconds = value * seconds;
                        if !seconds.is_finite() {
                            let span = Span::new(start, i);
                            return Err(Diagnostic::new(
                                Code::BadNumber,
                                span,
                                "this duration is too long",
                            ));
                        }
                        Tok::Duration(seconds)
                    }
                    _ if bytes
                        .get(i)
                        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') =>
                    {
                        let mut end = i;
                        while end < bytes.len()
                            && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                        {
                            end += 1;
                        }
                        return Err(Diagnostic::new(
                            Code::BadNumber,
                            Span::new(start, end),
                            "a number cannot be followed by letters",
                        )
                        .help("durations are written 30s, 15m, 12h, 7d or 2w"));
                    }
                    _ => Tok::Number(value),
                };
                tokens.push((tok, Span::new(start, i)));
                continue;
            }
            b'"' => {
                let (text, end) = string(source, start)?;
                tokens.push((Tok::Str(text), Span::new(start, end)));
                i = end;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &source[start..i];
                let tok = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "if" => Tok::If,
                    "then" => Tok::Then,
                    "else" => Tok::Else,
                    _ => Tok::Ident(word.into()),
                };
                tokens.push((tok, Span::new(start, i)));
                continue;
            }
            _ => {}
        }
        let two = bytes.get(i + 1).copied();
        let (tok, len) = match (c, two) {
            (b'=', Some(b'=')) => (Tok::Eq, 2),
            (b'!', Some(b'=')) => (Tok::Ne, 2),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'.', _) => (Tok::Dot, 1),
            (b'=', _) => {
                return Err(Diagnostic::new(
                    Code::Syntax,
                    single(Tok::Eq).1,
                    "`=` is not an operator",
                )
                .help("compare with `==`"))
            }
            (b'&', _) | (b'|', _) | (b'!', _) => {
                let word = match c {
                    b'&' => "and",
                    b'|' => "or",
                    _ => "not",
                };
                let len = if two == Some(c) { 2 } else { 1 };
                return Err(Diagnostic::new(
                    Code::Syntax,
                    Span::new(start, start + len),
                    "unknown operator",
                )
                .help(alloc::format!("write `{word}`")));
            }
            _ => {
                let ch = source[i..].chars().next().unwrap_or('?');
                let span = Span::new(start, start + ch.len_utf8());
                let help = if ch == '\'' || ch == '\u{201c}' || ch == '\u{201d}' {
                    "strings are written in straight double quotes: \"shoes\""
                } else {
                    "operators are and, or, not, in, == != < <= > >=, + - * / %"
                };
                return Err(Diagnostic::new(
                    Code::Syntax,
                    span,
                    alloc::format!("unexpected character `{ch}`"),
                )
                .help(help));
            }
        };
        tokens.push((tok, Span::new(start, start + len)));
        i += len;
    }
    tokens.push((Tok::End, Span::new(source.len(), source.len())));
    Ok(tokens)
}

/// Reads the string literal starting at the quote at `start`: its text and the byte after it.
fn string(source: &str, start: usize) -> Result<(String, usize), Diagnostic> {
    let mut text = String::new();
    let mut chars = source[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        let at = start + 1 + offset;
        match c {
            '"' => return Ok((text, at + 1)),
            '\n' => break,
            '\\' => {
                let escaped = chars.next().map(|(_, e)| e);
                match escaped {
                    Some('"') => text.push('"'),
                    Some('\\') => text.push('\\'),
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    _ => {
                        let len = 1 + escaped.map_or(0, char::len_utf8);
                        return Err(Diagnostic::new(
                            Code::BadEscape,
                            Span::new(at, at + len),
                            "unknown escape in a string",
                        )
                        .help("escapes are \\\" \\\\ \\n and \\t"));
                    }
                }
            }
            c => text.push(c),
        }
    }
    let end = source[start..]
        .find(['\r', '\n'])
        .map_or(source.len(), |n| start + n);
    Err(Diagnostic::new(
        Code::UnterminatedString,
        Span::new(start, end),
        "this string has no closing quote",
    ))
}
