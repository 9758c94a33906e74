//! The syntax tree of a rule, and the pretty-printer whose output parses back to the same tree.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use super::diagnostic::Span;
use super::lexer::UNITS;

/// A node of the tree with its place in the source.
#[derive(Clone, Debug)]
pub struct Node {
    /// What it is.
    pub expr: Expr,
    /// Where it is written.
    pub span: Span,
}

/// Trees compare by structure; spans are ignored (a reprinted rule has other spans).
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `true`, `false`.
    Bool(bool),
    /// `12`, `3.5`.
    Number(f64),
    /// `30m`, `7d`, in seconds.
    Duration(f64),
    /// `"shoes"`.
    Str(String),
    /// `["a", "b"]`.
    List(Vec<String>),
    /// `cart.value`, `customer.attr.tier`.
    Path(Vec<String>),
    /// `not x`, `-x`.
    Unary(UnOp, Box<Node>),
    /// `a and b`, `a + b`, `a in b`.
    Binary(BinOp, Box<Node>, Box<Node>),
    /// `days_since(customer.last_purchase)`.
    Call(String, Vec<Node>),
    /// `if c then a else b`.
    If(Box<Node>, Box<Node>, Box<Node>),
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// An infix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    /// The mirror of a comparison, for `constant OP path` written as `path OP' constant`
    /// (`a < p` is `p > a`); other operators are their own mirror.
    pub(crate) const fn mirrored(self) -> BinOp {
        match self {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            other => other,
        }
    }

    /// Binding power: higher binds tighter.
    pub(crate) const fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::In
            | BinOp::NotIn => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
        }
    }

    /// How it is written.
    pub const fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

/// Precedence of `not` (between `and` and comparisons) and of unary minus (above `*`).
pub(crate) const NOT_PRECEDENCE: u8 = 3;
pub(crate) const NEG_PRECEDENCE: u8 = 7;

impl fmt::Display for Node {
    /// The canonical form: minimal parentheses, one space around operators; it parses back to an
    /// equal tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        print(self, 0, &mut out)?;
        f.write_str(&out)
    }
}

/// Prints `node` where the context binds at `outer` (0: top level).
fn print(node: &Node, outer: u8, out: &mut String) -> fmt::Result {
    match &node.expr {
        Expr::Bool(b) => write!(out, "{b}"),
        Expr::Number(n) => write!(out, "{n}"),
        Expr::Duration(seconds) => {
            let (unit, size) = UNITS
                .iter()
                .rev()
                .copied()
                .find(|&(_, s)| seconds % s == 0.0 && *seconds >= s)
                .unwrap_or(('s', 1.0));
            write!(out, "{}{unit}", seconds / size)
        }
        Expr::Str(s) => string(s, out),
        Expr::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(item, out)?;
            }
            out.push(']');
            Ok(())
        }
        Expr::Path(parts) => {
            out.push_str(&parts.join("."));
            Ok(())
        }
        Expr::Unary(op, operand) => {
            let (symbol, precedence) = match op {
                UnOp::Not => ("not ", NOT_PRECEDENCE),
                UnOp::Neg => ("-", NEG_PRECEDENCE),
            };
            parenthesized(outer > precedence, out, |out| {
                out.push_str(symbol);
                print(operand, precedence, out)
            })
        }
        Expr::Binary(op, left, right) => {
            let p = op.precedence();
            // Left-associative: the right operand binds tighter; comparisons do not chain at all.
            let (left_at, right_at) = if p == 4 { (p + 1, p + 1) } else { (p, p + 1) };
            parenthesized(outer > p, out, |out| {
                print(left, left_at, out)?;
                write!(out, " {} ", op.symbol())?;
                print(right, right_at, out)
            })
        }
        Expr::Call(name, args) => {
            out.push_str(name);
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print(arg, 0, out)?;
            }
            out.push(')');
            Ok(())
        }
        Expr::If(c, a, b) => parenthesized(outer > 0, out, |out| {
            out.push_str("if ");
            print(c, 0, out)?;
            out.push_str(" then ");
            print(a, 0, out)?;
            out.push_str(" else ");
            print(b, 0, out)
        }),
    }
}

fn parenthesized(
    wrap: bool,
    out: &mut String,
    inner: impl FnOnce(&mut String) -> fmt::Result,
) -> fmt::Result {
    if wrap {
        out.push('(');
    }
    inner(out)?;
    if wrap {
        out.push(')');
    }
    Ok(())
}

fn string(s: &str, out: &mut String) -> fmt::Result {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(())
}
