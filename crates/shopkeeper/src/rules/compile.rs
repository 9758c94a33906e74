//! Type checking and compilation in one pass: each node becomes a typed closure (`code.rs`);
//! paths are resolved to readers once, here.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::ast::{BinOp, Expr, Node, UnOp};
use super::code::{
    bools_vs, finite, numbers_vs, slot_vs_const, strings_vs, with_comparison, BoolFn, Code, Consts,
    IsEq, IsGe, IsGt, IsLe, IsLt, IsNe, Members, NumFn, Src, Str,
};
use super::diagnostic::{Code as Err, Diagnostic, Span};
use super::paths::ListRef;
use super::schema::{Schema, Slot, Type};

/// The functions of the language: name, and a one-line signature for messages.
pub(crate) const FUNCTIONS: &[(&str, &str)] = &[
    ("has", "has(path) -> bool"),
    ("days_since", "days_since(timestamp) -> number"),
    ("hours_since", "hours_since(timestamp) -> number"),
    ("min", "min(a, b, ...) -> number, timestamp or duration"),
    ("max", "max(a, b, ...) -> number, timestamp or duration"),
    ("abs", "abs(number or duration)"),
    ("lower", "lower(string) -> string"),
    ("starts_with", "starts_with(string, prefix) -> bool"),
    ("ends_with", "ends_with(string, suffix) -> bool"),
    (
        "contains",
        "contains(string, part) or contains(list, item) -> bool",
    ),
    ("len", "len(string or list) -> number"),
    ("count_viewed", "count_viewed(category) -> number"),
    ("in_cart", "in_cart(product or category) -> bool"),
    ("owns", "owns(product) -> bool: the customer bought it"),
    (
        "owned_within",
        "owned_within(product, duration) -> bool: the customer bought it within the duration",
    ),
    (
        "has_intent",
        "has_intent(intent, duration) -> bool: the customer expressed it within the duration",
    ),
];

pub(crate) struct Compiler<'s> {
    schema: &'s Schema,
    pub(crate) consts: Consts,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<'s> Compiler<'s> {
    pub(crate) fn new(schema: &'s Schema) -> Self {
        Compiler {
            schema,
            consts: Consts::default(),
            diagnostics: Vec::new(),
        }
    }

    fn error(&mut self, diagnostic: Diagnostic) -> Option<Code> {
        self.diagnostics.push(diagnostic);
        None
    }

    fn type_error(&mut self, span: Span, message: String) -> Option<Code> {
        self.error(Diagnostic::new(Err::TypeMismatch, span, message))
    }

    /// Compiles `node`; `None` after reporting why (siblings still compile, so every error shows).
    pub(crate) fn compile(&mut self, node: &Node) -> Option<Code> {
        let span = node.span;
        match &node.expr {
            Expr::Bool(b) => {
                let b = *b;
                Some(Code::Bool(Box::new(move |_| Some(b))))
            }
            Expr::Number(n) => self.number(*n, Type::Number, span),
            Expr::Duration(d) => self.number(*d, Type::Duration, span),
            Expr::Str(s) => {
                let index = self.consts.strings.len();
                self.consts.strings.push(s.clone());
                Some(Code::Str(
                    Box::new(move |e| e.consts.strings.get(index).map(|s| Str::plain(s))),
                    Src::Const(s.clone()),
                ))
            }
            Expr::List(items) => {
                let index = self.consts.lists.len();
                self.consts.lists.push(items.clone());
                Some(Code::List(
                    Box::new(move |e| e.consts.lists.get(index).map(|l| ListRef::Strings(l))),
                    Some(items.clone()),
                ))
            }
            Expr::Path(parts) => self.path(parts, span),
            Expr::Unary(UnOp::Not, operand) => {
                let operand = self.compile(operand)?;
                match operand {
                    Code::Bool(f) => Some(Code::Bool(Box::new(move |e| Some(f(e) != Some(true))))),
                    other => {
                        self.type_error(span, format!("`not` needs a bool, found {}", other.ty()))
                    }
                }
            }
            Expr::Unary(UnOp::Neg, operand) => match self.compile(operand)? {
                Code::Num(f, ty @ (Type::Number | Type::Duration), _) => Some(Code::Num(
                    Box::new(move |e| f(e).map(|x| -x)),
                    ty,
                    Src::Computed,
                )),
                other => self.type_error(
                    span,
                    format!("`-` needs a number or a duration, found {}", other.ty()),
                ),
            },
            Expr::Binary(op @ (BinOp::And | BinOp::Or), _, _) => self.chain(*op, node),
            Expr::Binary(op, left, right) => {
                let (l, r) = (self.compile(left), self.compile(right));
                self.binary(*op, l?, r?, span, right.span)
            }
            Expr::If(c, a, b) => {
                let (c, a, b) = (self.compile(c), self.compile(a), self.compile(b));
                let (c, a, b) = (c?, a?, b?);
                let Code::Bool(c) = c else {
                    return self.type_error(
                        span,
                        format!("the condition of `if` must be a bool, found {}", c.ty()),
                    );
                };
                match (a, b) {
                    (Code::Bool(a), Code::Bool(b)) => Some(Code::Bool(Box::new(move |e| {
                        if c(e) == Some(true) {
                            a(e)
                        } else {
                            b(e)
                        }
                    }))),
                    (Code::Num(a, x, _), Code::Num(b, y, _)) if x == y => Some(Code::Num(
                        Box::new(move |e| if c(e) == Some(true) { a(e) } else { b(e) }),
                        x,
                        Src::Computed,
                    )),
                    (Code::Str(a, _), Code::Str(b, _)) => Some(Code::Str(
                        Box::new(move |e| if c(e) == Some(true) { a(e) } else { b(e) }),
                        Src::Computed,
                    )),
                    (Code::List(a, _), Code::List(b, _)) => Some(Code::List(
                        Box::new(move |e| if c(e) == Some(true) { a(e) } else { b(e) }),
                        None,
                    )),
                    (a, b) => self.type_error(
                        span,
                        format!(
                            "`then` and `else` must have one type, found {} and {}",
                            a.ty(),
                            b.ty()
                        ),
                    ),
                }
            }
            Expr::Call(name, args) => self.call(name, args, span),
        }
    }

    fn number(&mut self, n: f64, ty: Type, span: Span) -> Option<Code> {
        if !n.is_finite() {
            return self.error(Diagnostic::new(
                Err::BadNumber,
                span,
                "this number is too large",
            ));
        }
        Some(Code::Num(Box::new(move |_| Some(n)), ty, Src::Const(n)))
    }

    fn path(&mut self, parts: &[String], span: Span) -> Option<Code> {
        let path = parts.join(".");
        let Some((slot, ty)) = self.schema.resolve(&path) else {
            let mut d = Diagnostic::new(Err::UnknownPath, span, format!("unknown path `{path}`"));
            let names = self.schema.paths();
            if let Some(best) = closest(&path, names.iter().map(|(n, _)| n.as_str())) {
                d = d.help(format!("did you mean `{best}`?"));
            } else if path.starts_with("customer.attr.") || path.starts_with("context.") {
                d = d.help("custom attributes and context keys must be declared by the catalog");
            } else if parts.len() == 1 {
                d = d.help(format!("text is written in double quotes: \"{path}\""));
            }
            return self.error(d);
        };
        Some(match slot {
            Slot::Bool(i) => Code::Bool(Box::new(move |e| e.f.bools.get(i).copied().flatten())),
            Slot::Number(i) => Code::Num(
                Box::new(move |e| e.f.numbers.get(i).copied().flatten()),
                ty,
                Src::Slot(i),
            ),
            Slot::Str(i) => Code::Str(
                Box::new(move |e| e.f.strings.get(i).copied().flatten().map(Str::plain)),
                Src::Slot(i),
            ),
            Slot::List(i) => {
                Code::List(Box::new(move |e| e.f.lists.get(i).copied().flatten()), None)
            }
        })
    }

    /// `a and b and c ...` (or `or`): the whole chain as one closure over its operands, which
    /// short-circuits like the nested form but calls one closure less per operand.
    fn chain(&mut self, op: BinOp, node: &Node) -> Option<Code> {
        let mut operands = Vec::new();
        let mut rest = node;
        while let Expr::Binary(o, left, right) = &rest.expr {
            if *o != op {
                break;
            }
            operands.push(&**right);
            rest = left;
        }
        operands.push(rest);
        operands.reverse();
        let mut compiled = Vec::with_capacity(operands.len());
        let mut failed = false;
        for operand in operands {
            match self.compile(operand) {
                Some(Code::Bool(f)) => compiled.push(f),
                Some(other) => {
                    let d = Diagnostic::new(
                        Err::TypeMismatch,
                        operand.span,
                        format!(
                            "`{}` joins conditions (bools), found {}",
                            op.symbol(),
                            other.ty()
                        ),
                    );
                    self.error(d.help("compare it first, e.g. `cart.value > 0`"));
                    failed = true;
                }
                None => failed = true,
            }
        }
        if failed {
            return None;
        }
        let fs = compiled.into_boxed_slice();
        Some(Code::Bool(match (op, fs.len()) {
            (BinOp::And, 2) => {
                let [a, b]: [BoolFn; 2] = fs.into_vec().try_into().ok()?;
                Box::new(move |e| Some(a(e) == Some(true) && b(e) == Some(true)))
            }
            (BinOp::Or, 2) => {
                let [a, b]: [BoolFn; 2] = fs.into_vec().try_into().ok()?;
                Box::new(move |e| Some(a(e) == Some(true) || b(e) == Some(true)))
            }
            (BinOp::And, 3) => {
                let [a, b, c]: [BoolFn; 3] = fs.into_vec().try_into().ok()?;
                Box::new(move |e| {
                    Some(a(e) == Some(true) && b(e) == Some(true) && c(e) == Some(true))
                })
            }
            (BinOp::Or, 3) => {
                let [a, b, c]: [BoolFn; 3] = fs.into_vec().try_into().ok()?;
                Box::new(move |e| {
                    Some(a(e) == Some(true) || b(e) == Some(true) || c(e) == Some(true))
                })
            }
            (BinOp::And, _) => Box::new(move |e| Some(fs.iter().all(|f| f(e) == Some(true)))),
            _ => Box::new(move |e| Some(fs.iter().any(|f| f(e) == Some(true)))),
        }))
    }

    fn binary(&mut self, op: BinOp, l: Code, r: Code, span: Span, rs: Span) -> Option<Code> {
        use BinOp::*;
        let (lt, rt) = (l.ty(), r.ty());
        match op {
            Eq | Ne | Lt | Le | Gt | Ge => self.comparison(op, l, r, span),
            In | NotIn => match (l, r) {
                (Code::Str(needle, src), Code::List(list, literal)) => {
                    let negate = op == NotIn;
                    Some(Code::Bool(match (src, literal) {
                        (Src::Slot(i), Some(items)) => {
                            let members = Members::new(items);
                            Box::new(move |e| match e.f.strings.get(i) {
                                Some(Some(s)) => Some(members.contains(s) != negate),
                                _ => Some(false),
                            })
                        }
                        _ => Box::new(move |e| match (needle(e), list(e)) {
                            (Some(n), Some(l)) => Some(l.any(|item| n.eq(Str::plain(item))) != negate),
                            _ => Some(false),
                        }),
                    }))
                }
                (_, Code::Str(..)) => self.error(
                    Diagnostic::new(Err::TypeMismatch, rs, format!("`{}` needs a list on its right, found string", op.symbol()))
                        .help("for text inside text use contains(text, part)"),
                ),
                _ => self.type_error(span, format!("`{}` needs a string on its left and a list on its right, found {lt} and {rt}", op.symbol())),
            },
            _ => {
                let (Code::Num(a, x, _), Code::Num(b, y, _)) = (l, r) else {
                    return self.type_error(span, format!("`{}` needs numbers, found {lt} and {rt}", op.symbol()));
                };
                use Type::{Duration as D, Number as N, Timestamp as T};
                let ty = match (op, x, y) {
                    (_, N, N) => N,
                    (Sub, T, T) | (Add | Sub, D, D) | (Mul, D, N) | (Mul, N, D) | (Div, D, N) => D,
                    (Add, T, D) | (Add, D, T) | (Sub, T, D) => T,
                    (Div, D, D) => N,
                    _ => {
                        return self.type_error(span, format!("`{}` cannot combine {x} and {y}", op.symbol()));
                    }
                };
                let f: NumFn = match op {
                    Add => Box::new(move |e| finite(a(e)? + b(e)?)),
                    Sub => Box::new(move |e| finite(a(e)? - b(e)?)),
                    Mul => Box::new(move |e| finite(a(e)? * b(e)?)),
                    Div => Box::new(move |e| finite(a(e)? / b(e)?)),
                    _ => Box::new(move |e| finite(a(e)? % b(e)?)),
                };
                Some(Code::Num(f, ty, Src::Computed))
            }
        }
    }

    fn comparison(&mut self, op: BinOp, l: Code, r: Code, span: Span) -> Option<Code> {
        let (lt, rt) = (l.ty(), r.ty());
        match (l, r) {
            (Code::Num(a, x, sa), Code::Num(b, y, sb)) if x == y => {
                Some(Code::Bool(match (sa, sb) {
                    (Src::Slot(i), Src::Const(k)) => with_comparison!(op, slot_vs_const(i, k)),
                    (Src::Const(k), Src::Slot(i)) => {
                        with_comparison!(op.mirrored(), slot_vs_const(i, k))
                    }
                    _ => with_comparison!(op, numbers_vs(a, b)),
                }))
            }
            (Code::Str(a, sa), Code::Str(b, sb)) => Some(Code::Bool(match (op, sa, sb) {
                (BinOp::Eq | BinOp::Ne, Src::Slot(i), Src::Const(k))
                | (BinOp::Eq | BinOp::Ne, Src::Const(k), Src::Slot(i)) => {
                    let equal = op == BinOp::Eq;
                    Box::new(move |e| {
                        Some(matches!(e.f.strings.get(i), Some(Some(s)) if (*s == k) == equal))
                    })
                }
                _ => with_comparison!(op, strings_vs(a, b)),
            })),
            (Code::Bool(a), Code::Bool(b)) if matches!(op, BinOp::Eq | BinOp::Ne) => {
                Some(Code::Bool(with_comparison!(op, bools_vs(a, b))))
            }
            _ => {
                let d = Diagnostic::new(
                    Err::TypeMismatch,
                    span,
                    format!("`{}` cannot compare {lt} with {rt}", op.symbol()),
                );
                let d = match (lt, rt) {
                    (Type::Timestamp, Type::Duration) | (Type::Duration, Type::Timestamp) => {
                        d.help("compare the time since it: `now - customer.last_seen > 7d`, or `days_since(customer.last_seen) > 7`")
                    }
                    (Type::List, Type::String) | (Type::String, Type::List) => d.help("test membership with `in`"),
                    (Type::Bool, Type::Bool) => d.help("bools only compare with == and !="),
                    _ => d,
                };
                self.error(d)
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Node], span: Span) -> Option<Code> {
        let Some(&(_, signature)) = FUNCTIONS.iter().find(|(n, _)| *n == name) else {
            let mut d = Diagnostic::new(
                Err::UnknownFunction,
                span,
                format!("unknown function `{name}`"),
            );
            if let Some(best) = closest(name, FUNCTIONS.iter().map(|(n, _)| *n)) {
                d = d.help(format!("did you mean `{best}`?"));
            }
            self.error(d);
            // The arguments may hold errors of their own: report them too.
            for arg in args {
                self.compile(arg);
            }
            return None;
        };
        if name == "has" {
            return match args {
                [arg @ Node {
                    expr: Expr::Path(_),
                    ..
                }] => Some(Code::Bool(self.compile(arg)?.present())),
                [_] => self.type_error(
                    span,
                    "`has` takes a path, such as `has(session.referrer)`".into(),
                ),
                _ => {
                    for arg in args {
                        self.compile(arg);
                    }
                    self.arity(span, signature, args.len())
                }
            };
        }
        let (min, max) = match name {
            "min" | "max" => (2, usize::MAX),
            "starts_with" | "ends_with" | "contains" | "has_intent" | "owned_within" => (2, 2),
            _ => (1, 1),
        };
        if args.len() < min || args.len() > max {
            for arg in args {
                self.compile(arg);
            }
            return self.arity(span, signature, args.len());
        }
        let compiled: Vec<Option<Code>> = args.iter().map(|a| self.compile(a)).collect();
        let mut codes = Vec::with_capacity(compiled.len());
        for code in compiled {
            codes.push(code?);
        }
        let types: Vec<Type> = codes.iter().map(Code::ty).collect();
        let mismatch = |c: &mut Self| {
            let found: Vec<&str> = types.iter().map(|t| t.name()).collect();
            c.type_error(span, format!("`{signature}`: found ({})", found.join(", ")))
        };
        let mut codes = codes.into_iter();
        let (Some(first), second) = (codes.next(), codes.next()) else {
            return mismatch(self);
        };
        let computed = Src::Computed;
        Some(match (name, first, second) {
            ("days_since" | "hours_since", Code::Num(t, Type::Timestamp, _), None) => {
                let unit = if name == "days_since" {
                    86_400.0
                } else {
                    3_600.0
                };
                Code::Num(
                    Box::new(move |e| finite((e.f.now as f64 - t(e)?) / unit)),
                    Type::Number,
                    computed,
                )
            }
            ("abs", Code::Num(x, ty @ (Type::Number | Type::Duration), _), None) => {
                Code::Num(Box::new(move |e| x(e).map(f64::abs)), ty, computed)
            }
            ("min" | "max", Code::Num(a, ty, _), Some(Code::Num(b, ty2, _))) if ty == ty2 => {
                let mut rest: Vec<NumFn> = Vec::new();
                for code in codes {
                    match code {
                        Code::Num(f, t, _) if t == ty => rest.push(f),
                        _ => return mismatch(self),
                    }
                }
                let pick_max = name == "max";
                Code::Num(
                    Box::new(move |e| {
                        let mut best = a(e)?;
                        for f in core::iter::once(&b).chain(rest.iter()) {
                            let x = f(e)?;
                            best = if pick_max { best.max(x) } else { best.min(x) };
                        }
                        Some(best)
                    }),
                    ty,
                    computed,
                )
            }
            ("lower", Code::Str(s, _), None) => Code::Str(
                Box::new(move |e| {
                    s(e).map(|s| Str {
                        text: s.text,
                        lower: true,
                    })
                }),
                Src::Computed,
            ),
            ("starts_with" | "ends_with" | "contains", Code::Str(a, _), Some(Code::Str(b, _))) => {
                let test: fn(Str<'_>, Str<'_>) -> bool = match name {
                    "starts_with" => |x, y| x.starts_with(y),
                    "ends_with" => |x, y| x.ends_with(y),
                    _ => |x, y| x.contains(y),
                };
                Code::Bool(Box::new(move |e| {
                    Some(matches!((a(e), b(e)), (Some(x), Some(y)) if test(x, y)))
                }))
            }
            ("contains", Code::List(list, _), Some(Code::Str(item, _))) => {
                Code::Bool(Box::new(move |e| {
                    Some(
                        matches!((list(e), item(e)), (Some(l), Some(i)) if l.any(|x| i.eq(Str::plain(x)))),
                    )
                }))
            }
            ("len", Code::Str(s, _), None) => Code::Num(
                Box::new(move |e| s(e).map(|s| s.chars().count() as f64)),
                Type::Number,
                computed,
            ),
            ("len", Code::List(l, _), None) => Code::Num(
                Box::new(move |e| l(e).map(|l| l.len() as f64)),
                Type::Number,
                computed,
            ),
            ("count_viewed", Code::Str(category, _), None) => Code::Num(
                Box::new(move |e| {
                    let c = category(e)?;
                    let views = &e.f.profile.views().recent;
                    Some(
                        views
                            .iter()
                            .filter(|v| {
                                v.category.as_deref().is_some_and(|vc| c.eq(Str::plain(vc)))
                            })
                            .count() as f64,
                    )
                }),
                Type::Number,
                computed,
            ),
            ("in_cart", Code::Str(item, _), None) => Code::Bool(Box::new(move |e| {
                let Some(item) = item(e) else {
                    return Some(false);
                };
                let lines = &e.f.profile.cart().lines;
                Some(lines.iter().any(|(product, line)| {
                    item.eq(Str::plain(product))
                        || line
                            .category
                            .as_deref()
                            .is_some_and(|c| item.eq(Str::plain(c)))
                }))
            })),
            ("owns", Code::Str(product, _), None) => Code::Bool(Box::new(move |e| {
                let owned = &e.f.profile.owned().products;
                Some(product(e).is_some_and(|p| p.get(owned).is_some()))
            })),
            (
                "owned_within" | "has_intent",
                Code::Str(item, _),
                Some(Code::Num(window, Type::Duration, _)),
            ) => {
                let owned = name == "owned_within";
                Code::Bool(Box::new(move |e| {
                    let (Some(item), Some(window)) = (item(e), window(e)) else {
                        return Some(false);
                    };
                    // At or after `now - window` (a negative window is none).
                    let since = e.f.now.saturating_sub(window.max(0.0) as i64);
                    let profile = e.f.profile;
                    Some(if owned {
                        (item.get(&profile.owned().products)).is_some_and(|p| p.last_at >= since)
                    } else {
                        (profile.conversation().intents.iter())
                            .any(|s| s.at >= since && item.eq(Str::plain(&s.intent)))
                    })
                }))
            }
            _ => return mismatch(self),
        })
    }

    fn arity(&mut self, span: Span, signature: &str, got: usize) -> Option<Code> {
        self.error(Diagnostic::new(
            Err::WrongArity,
            span,
            format!(
                "`{signature}` called with {got} argument{}",
                if got == 1 { "" } else { "s" }
            ),
        ))
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 4);
    candidates
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, with one row of memory.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}
