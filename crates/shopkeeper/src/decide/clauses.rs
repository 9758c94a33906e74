//! An offer's condition as its top-level `and` clauses: all must hold, and a receipt names the
//! first that does not, as the marketer wrote it. Also the check that finds clauses that can never
//! hold together (`cart.value > 100 and cart.value < 50`).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use smallvec::SmallVec;

use crate::rules::{parse, BinOp, Diagnostics, Expr, Features, Node, Rule, Schema};

/// A condition split into its `and` clauses, as indices into the catalog's [`ClauseTable`]; none
/// means always true.
#[derive(Debug, Default)]
pub(crate) struct Clauses {
    ids: SmallVec<[u32; 4]>,
}

/// Every distinct clause of a catalog, compiled once. Offers share clauses (a segment test, a
/// suitability rule on every sales offer), and a request evaluates each at most once ([`Memo`]).
#[derive(Debug, Default)]
pub(crate) struct ClauseTable {
    rules: Vec<Rule>,
    by_source: BTreeMap<String, u32>,
}

impl ClauseTable {
    /// A memo for one request: nothing evaluated yet.
    pub(crate) fn memo(&self) -> Memo {
        Memo(alloc::vec![UNKNOWN; self.rules.len()])
    }

    fn intern(&mut self, text: &str, schema: &Schema) -> Option<u32> {
        if let Some(&id) = self.by_source.get(text) {
            return Some(id);
        }
        let rule = Rule::condition(text, schema).ok()?;
        let id = u32::try_from(self.rules.len()).ok()?;
        self.rules.push(rule);
        self.by_source.insert(text.into(), id);
        Some(id)
    }

    /// Whether clause `id` holds, evaluated once per request.
    #[inline]
    fn holds(&self, id: u32, features: &Features<'_>, memo: &mut Memo) -> bool {
        let i = id as usize;
        match memo.0.get(i) {
            Some(&TRUE) => true,
            Some(&FALSE) => false,
            _ => {
                let holds = self.rules.get(i).is_some_and(|r| r.matches(features));
                if let Some(slot) = memo.0.get_mut(i) {
                    *slot = if holds { TRUE } else { FALSE };
                }
                holds
            }
        }
    }
}

/// Per request: each clause's value once known.
pub(crate) struct Memo(Vec<u8>);

const UNKNOWN: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;

/// A clause's tree and its source text, for the contradiction check.
pub(crate) struct ClauseTree<'s> {
    node: Node,
    text: &'s str,
}

impl Clauses {
    /// Compiles `source` as a condition, interning its clauses in `table`; diagnostics point into
    /// `source`. Also returns each clause's tree, for [`contradiction`].
    pub(crate) fn compile<'s>(
        source: &'s str,
        schema: &Schema,
        table: &mut ClauseTable,
    ) -> Result<(Clauses, Vec<ClauseTree<'s>>), Diagnostics> {
        Rule::condition(source, schema)?;
        let mut trees = Vec::new();
        if let Ok(node) = parse(source) {
            split(node, source, &mut trees);
        }
        let ids: Option<SmallVec<[u32; 4]>> =
            trees.iter().map(|t| table.intern(t.text, schema)).collect();
        // Each clause compiles when the whole does; should one not, the whole is one clause.
        let ids = match ids {
            Some(ids) => ids,
            None => table.intern(source, schema).into_iter().collect(),
        };
        Ok((Clauses { ids }, trees))
    }

    /// Whether every clause holds (missing counts as false).
    #[inline]
    pub(crate) fn matches(
        &self,
        table: &ClauseTable,
        features: &Features<'_>,
        memo: &mut Memo,
    ) -> bool {
        self.ids.iter().all(|&id| table.holds(id, features, memo))
    }

    /// The first clause that does not hold, as written.
    pub(crate) fn first_failing<'t>(
        &self,
        table: &'t ClauseTable,
        features: &Features<'_>,
        memo: &mut Memo,
    ) -> Option<&'t str> {
        let id = *self
            .ids
            .iter()
            .find(|&&id| !table.holds(id, features, memo))?;
        table.rules.get(id as usize).map(Rule::source)
    }
}

fn split<'s>(node: Node, source: &'s str, out: &mut Vec<ClauseTree<'s>>) {
    match node.expr {
        Expr::Binary(BinOp::And, left, right) => {
            split(*left, source, out);
            split(*right, source, out);
        }
        _ => {
            let text = source.get(node.span.start..node.span.end).unwrap_or(source);
            out.push(ClauseTree { node, text });
        }
    }
}

/// What the clauses so far allow for one path.
#[derive(Default)]
struct Allowed<'s> {
    /// Lower bound: value, inclusive, and the clause that set it.
    low: Option<(f64, bool, &'s str)>,
    high: Option<(f64, bool, &'s str)>,
    /// The only strings allowed, and the clause that said so.
    only: Option<(Vec<String>, &'s str)>,
    /// Strings ruled out, each with its clause.
    not: Vec<(String, &'s str)>,
}

/// Two clauses that can never both hold, or one that never holds, as a sentence for a warning.
/// Understands comparisons of a path with a number or duration, `==`/`!=` with a string,
/// `in`/`not in` a list, and the literal `false`; anything else is assumed satisfiable.
pub(crate) fn contradiction(trees: &[ClauseTree<'_>]) -> Option<String> {
    let mut paths: BTreeMap<String, Allowed<'_>> = BTreeMap::new();
    for tree in trees {
        if tree.node.expr == Expr::Bool(false) {
            return Some(format!("`{}` is always false", tree.text));
        }
        let Expr::Binary(op, left, right) = &tree.node.expr else {
            continue;
        };
        let (op, path, constant) = match (&left.expr, &right.expr) {
            (Expr::Path(p), c) => (*op, p, c),
            (c, Expr::Path(p)) => (flip(*op), p, c),
            _ => continue,
        };
        let allowed = paths.entry(path.join(".")).or_default();
        if let Some(other) = constrain(allowed, op, constant, tree.text) {
            return Some(if other == tree.text {
                format!("`{}` can never hold", tree.text)
            } else {
                format!("`{other}` and `{}` can never both hold", tree.text)
            });
        }
    }
    None
}

/// `a < p` is `p > a`.
fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

/// Adds a clause's constraint; returns the clause it contradicts, if any.
fn constrain<'s>(
    allowed: &mut Allowed<'s>,
    op: BinOp,
    constant: &Expr,
    text: &'s str,
) -> Option<&'s str> {
    match constant {
        Expr::Number(n) | Expr::Duration(n) => {
            let n = *n;
            let tighter_low = |a: &mut Allowed<'s>, inclusive: bool| {
                if a.low
                    .is_none_or(|(v, inc, _)| n > v || (n == v && inc && !inclusive))
                {
                    a.low = Some((n, inclusive, text));
                }
            };
            let tighter_high = |a: &mut Allowed<'s>, inclusive: bool| {
                if a.high
                    .is_none_or(|(v, inc, _)| n < v || (n == v && inc && !inclusive))
                {
                    a.high = Some((n, inclusive, text));
                }
            };
            match op {
                BinOp::Gt => tighter_low(allowed, false),
                BinOp::Ge => tighter_low(allowed, true),
                BinOp::Lt => tighter_high(allowed, false),
                BinOp::Le => tighter_high(allowed, true),
                BinOp::Eq => {
                    tighter_low(allowed, true);
                    tighter_high(allowed, true);
                }
                _ => return None,
            }
            match (allowed.low, allowed.high) {
                (Some((lo, lo_inc, lo_text)), Some((hi, hi_inc, hi_text)))
                    if lo > hi || (lo == hi && !(lo_inc && hi_inc)) =>
                {
                    Some(if lo_text == text { hi_text } else { lo_text })
                }
                _ => None,
            }
        }
        Expr::Str(s) => match op {
            BinOp::Eq => restrict(allowed, core::slice::from_ref(s), text),
            BinOp::Ne => exclude(allowed, core::slice::from_ref(s), text),
            _ => None,
        },
        Expr::List(items) => match op {
            BinOp::In => restrict(allowed, items, text),
            BinOp::NotIn => exclude(allowed, items, text),
            _ => None,
        },
        _ => None,
    }
}

fn restrict<'s>(allowed: &mut Allowed<'s>, items: &[String], text: &'s str) -> Option<&'s str> {
    let only = match allowed.only.take() {
        Some((only, by)) => (only.into_iter().filter(|s| items.contains(s)).collect(), by),
        None => (items.to_vec(), text),
    };
    allowed.only = Some(only);
    conflict(allowed, text)
}

fn exclude<'s>(allowed: &mut Allowed<'s>, items: &[String], text: &'s str) -> Option<&'s str> {
    allowed.not.extend(items.iter().map(|s| (s.clone(), text)));
    conflict(allowed, text)
}

/// The clause that conflicts with `text`, when no string is left allowed.
fn conflict<'s>(allowed: &Allowed<'s>, text: &'s str) -> Option<&'s str> {
    let (only, by) = allowed.only.as_ref()?;
    let excluded = |s: &String| allowed.not.iter().find(|(n, _)| n == s).map(|(_, t)| *t);
    if !only.iter().all(|s| excluded(s).is_some()) {
        return None;
    }
    Some(if *by != text {
        by
    } else {
        only.first().and_then(excluded).unwrap_or(text)
    })
}
