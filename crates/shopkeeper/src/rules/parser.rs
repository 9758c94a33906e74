//! The parser: precedence climbing over the tokens, with hard limits so that no input can make it
//! (or anything after it) recurse deeply, run long or allocate much.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;

use super::ast::{BinOp, Expr, Node, UnOp, NEG_PRECEDENCE, NOT_PRECEDENCE};
use super::diagnostic::{Code, Diagnostic, Span};
use super::lexer::{tokenize, Tok};
use super::limits::{MAX_DEPTH, MAX_LIST_ITEMS, MAX_NESTING, MAX_NODES, MAX_SOURCE_LEN};

/// Parses one rule. The first syntax error stops it (what follows a syntax error is guesswork).
pub fn parse(source: &str) -> Result<Node, Diagnostic> {
    if source.len() > MAX_SOURCE_LEN {
        return Err(Diagnostic::new(
            Code::LimitExceeded,
            Span::new(
                super::diagnostic::floor_boundary(source, MAX_SOURCE_LEN),
                source.len(),
            ),
            format!(
                "the rule is {} bytes long, at most {MAX_SOURCE_LEN} allowed",
                source.len()
            ),
        ));
    }
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        nodes: 0,
    };
    let node = parser.expr(0, 0)?;
    match parser.peek() {
        Tok::End => check_height(&node).map(|()| node),
        tok => {
            let d = Diagnostic::new(
                Code::Syntax,
                parser.span(),
                format!("expected the end of the rule, found {}", tok.describe()),
            );
            Err(d.help(
                parser
                    .unit_hint()
                    .unwrap_or("join conditions with `and` or `or`"),
            ))
        }
    }
}

struct Parser {
    tokens: Vec<(Tok, Span)>,
    at: usize,
    nodes: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.at).map_or(&Tok::End, |(t, _)| t)
    }

    fn span(&self) -> Span {
        self.tokens
            .get(self.at)
            .map_or_else(Span::default, |(_, s)| *s)
    }

    fn bump(&mut self) -> (Tok, Span) {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .unwrap_or((Tok::End, Span::default()));
        self.at += 1;
        token
    }

    fn require(&mut self, tok: Tok, context: &str) -> Result<Span, Diagnostic> {
        if *self.peek() == tok {
            return Ok(self.bump().1);
        }
        let found = self.peek().describe();
        let d = Diagnostic::new(
            Code::Syntax,
            self.span(),
            format!("expected `{}` {context}, found {found}", tok.symbol()),
        );
        Err(match self.unit_hint() {
            Some(hint) => d.help(hint),
            None => d,
        })
    }

    /// A hint when a number is followed by a unit word (`3 days`): durations have no space.
    fn unit_hint(&self) -> Option<&'static str> {
        const UNIT_WORDS: [&str; 19] = [
            "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h",
            "hour", "hours", "d", "day", "days", "w", "week", "weeks",
        ];
        let previous = self.at.checked_sub(1).and_then(|i| self.tokens.get(i));
        match (previous, self.peek()) {
            (Some((Tok::Number(_), _)), Tok::Ident(word))
                if UNIT_WORDS.contains(&word.as_str()) =>
            {
                Some("durations are written without a space: 30s, 15m, 12h, 7d, 2w")
            }
            _ => None,
        }
    }

    /// Makes a node, enforcing the node-count limit.
    fn node(&mut self, expr: Expr, span: Span) -> Result<Node, Diagnostic> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::new(
                Code::LimitExceeded,
                span,
                format!("the rule has more than {MAX_NODES} parts"),
            ));
        }
        Ok(Node { expr, span })
    }

    /// An expression whose operators bind tighter than `min`; `depth` counts the parser's own
    /// recursion (parentheses, operands, arguments), which [`MAX_NESTING`] bounds.
    fn expr(&mut self, min: u8, depth: usize) -> Result<Node, Diagnostic> {
        if depth > MAX_NESTING {
            let message = format!("the rule nests more than {MAX_NESTING} levels deep");
            return Err(Diagnostic::new(Code::LimitExceeded, self.span(), message));
        }
        let mut left = self.prefix(min, depth)?;
        loop {
            let op = match self.peek() {
                Tok::Or => BinOp::Or,
                Tok::And => BinOp::And,
                Tok::Eq => BinOp::Eq,
                Tok::Ne => BinOp::Ne,
                Tok::Lt => BinOp::Lt,
                Tok::Le => BinOp::Le,
                Tok::Gt => BinOp::Gt,
                Tok::Ge => BinOp::Ge,
                Tok::In => BinOp::In,
                Tok::Not if matches!(self.tokens.get(self.at + 1), Some((Tok::In, _))) => {
                    BinOp::NotIn
                }
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Rem,
                _ => return Ok(left),
            };
            let p = op.precedence();
            if p <= min {
                return Ok(left);
            }
            self.bump();
            if op == BinOp::NotIn {
                self.bump();
            }
            let right = self.expr(p, depth + 1)?;
            let next_is_not_in = matches!(
                (self.peek(), self.tokens.get(self.at + 1)),
                (Tok::Not, Some((Tok::In, _)))
            );
            if p == 4
                && (next_is_not_in
                    || matches!(
                        self.peek(),
                        Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::In
                    ))
            {
                return Err(
                    Diagnostic::new(Code::Syntax, self.span(), "comparisons do not chain")
                        .help("write `a < b and b < c`"),
                );
            }
            let span = left.span.to(right.span);
            left = self.node(Expr::Binary(op, Box::new(left), Box::new(right)), span)?;
        }
    }

    /// A value, or a prefix operator applied to one; `min` is the precedence the context binds at,
    /// so `not` is refused where the grammar does not allow it (`a == not b`).
    fn prefix(&mut self, min: u8, depth: usize) -> Result<Node, Diagnostic> {
        let (tok, span) = self.bump();
        let expr = match tok {
            Tok::Not if min >= NOT_PRECEDENCE => {
                return Err(Diagnostic::new(
                    Code::Syntax,
                    span,
                    "`not` cannot stand inside a comparison or a calculation",
                )
                .help("negate the whole condition, `not a == b`, or wrap it: `a == (not b)`"));
            }
            Tok::Not => {
                let operand = self.expr(NOT_PRECEDENCE - 1, depth + 1)?;
                let span = span.to(operand.span);
                return self.node(Expr::Unary(UnOp::Not, Box::new(operand)), span);
            }
            Tok::Minus => {
                let operand = self.expr(NEG_PRECEDENCE, depth + 1)?;
                let span = span.to(operand.span);
                return self.node(Expr::Unary(UnOp::Neg, Box::new(operand)), span);
            }
            Tok::LParen => {
                let inner = self.expr(0, depth + 1)?;
                self.require(Tok::RParen, "to close `(`")?;
                return Ok(inner);
            }
            Tok::If => {
                let c = self.expr(0, depth + 1)?;
                self.require(Tok::Then, "after the condition of `if`")?;
                let a = self.expr(0, depth + 1)?;
                self.require(Tok::Else, "(an `if` needs both `then` and `else`)")?;
                let b = self.expr(0, depth + 1)?;
                let span = span.to(b.span);
                return self.node(Expr::If(Box::new(c), Box::new(a), Box::new(b)), span);
            }
            Tok::True => Expr::Bool(true),
            Tok::False => Expr::Bool(false),
            Tok::Number(n) => Expr::Number(n),
            Tok::Duration(d) => Expr::Duration(d),
            Tok::Str(s) => Expr::Str(s),
            Tok::LBracket => return self.list(span),
            Tok::Ident(name) => return self.path_or_call(name, span, depth),
            other => {
                let what = if other == Tok::End {
                    "the rule ends too early"
                } else {
                    "expected a value"
                };
                return Err(Diagnostic::new(
                    Code::Syntax,
                    span,
                    format!("{what}, found {}", other.describe()),
                ));
            }
        };
        self.node(expr, span)
    }

    fn list(&mut self, open: Span) -> Result<Node, Diagnostic> {
        let mut items = Vec::new();
        loop {
            match self.bump() {
                (Tok::RBracket, close) if items.is_empty() => {
                    return self.node(Expr::List(items), open.to(close))
                }
                (Tok::Str(s), span) => {
                    if items.len() == MAX_LIST_ITEMS {
                        return Err(Diagnostic::new(
                            Code::LimitExceeded,
                            span,
                            format!("a list holds at most {MAX_LIST_ITEMS} items"),
                        ));
                    }
                    items.push(s);
                }
                (tok, span) => {
                    return Err(Diagnostic::new(
                        Code::Syntax,
                        span,
                        format!("expected a string in the list, found {}", tok.describe()),
                    )
                    .help("lists hold strings: [\"a\", \"b\"]"))
                }
            }
            match self.bump() {
                (Tok::Comma, _) => {}
                (Tok::RBracket, close) => return self.node(Expr::List(items), open.to(close)),
                (tok, span) => {
                    return Err(Diagnostic::new(
                        Code::Syntax,
                        span,
                        format!("expected `,` or `]` in the list, found {}", tok.describe()),
                    ))
                }
            }
        }
    }

    fn path_or_call(
        &mut self,
        first: alloc::string::String,
        span: Span,
        depth: usize,
    ) -> Result<Node, Diagnostic> {
        if *self.peek() == Tok::LParen {
            self.bump();
            let mut args = Vec::new();
            if *self.peek() != Tok::RParen {
                loop {
                    args.push(self.expr(0, depth + 1)?);
                    if *self.peek() == Tok::Comma {
                        self.bump();
                    } else {
                        break;
                    }
                }
            }
            let close =
                self.require(Tok::RParen, &format!("to close the arguments of `{first}`"))?;
            return self.node(Expr::Call(first, args), span.to(close));
        }
        let mut parts = alloc::vec![first];
        let mut end = span;
        while *self.peek() == Tok::Dot {
            self.bump();
            match self.bump() {
                (Tok::Ident(part), s) => {
                    parts.push(part);
                    end = s;
                }
                (tok, s) => {
                    // Keywords may name attributes and context keys: `customer.attr.in` is a path.
                    let word = tok.symbol();
                    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic()) {
                        parts.push(word.into());
                        end = s;
                    } else {
                        return Err(Diagnostic::new(
                            Code::Syntax,
                            s,
                            format!("expected a name after `.`, found {}", tok.describe()),
                        ));
                    }
                }
            }
        }
        self.node(Expr::Path(parts), span.to(end))
    }
}

/// The tree's height must stay within [`MAX_DEPTH`], so that compiling, printing, evaluating and
/// dropping it recurse at most that deep. Measured without recursion, on the tree itself (not on
/// its layout: `(a - b) - c` and `a - b - c` are one tree).
fn check_height(root: &Node) -> Result<(), Diagnostic> {
    fn children(node: &Node) -> Vec<&Node> {
        match &node.expr {
            Expr::Unary(_, x) => alloc::vec![&**x],
            Expr::Binary(_, a, b) => alloc::vec![&**a, &**b],
            Expr::If(c, a, b) => alloc::vec![&**c, &**a, &**b],
            Expr::Call(_, args) => args.iter().collect(),
            _ => Vec::new(),
        }
    }
    // Post-order with an explicit stack: a node's height is known once its children's are.
    let mut pending = alloc::vec![(root, false)];
    let mut heights: Vec<usize> = Vec::new();
    while let Some((node, expanded)) = pending.pop() {
        let kids = children(node);
        if !expanded {
            pending.push((node, true));
            pending.extend(kids.into_iter().map(|child| (child, false)));
            continue;
        }
        let tallest = kids
            .iter()
            .map(|_| heights.pop().unwrap_or(0))
            .max()
            .unwrap_or(0);
        if tallest + 1 > MAX_DEPTH {
            let message = format!("the rule nests more than {MAX_DEPTH} levels deep");
            let d = Diagnostic::new(Code::LimitExceeded, node.span, message);
            return Err(d.help("split it, or use `in [...]` for long lists of alternatives"));
        }
        heights.push(tallest + 1);
    }
    Ok(())
}
