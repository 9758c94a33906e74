//! An offer's condition as its top-level `and` clauses: all must hold, and a receipt names the
//! first that does not, as the marketer wrote it. Also the check that finds clauses that can never
//! hold together (`cart.value > 100 and cart.value < 50`).

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
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
    /// Each clause's text as a JSON string (quoted, escaped), made once: receipts copy it.
    json: Vec<String>,
}

/// What compiling a catalog keeps until the catalog is built: the table, each clause's tree (for
/// [`contradiction`]), and the clauses and whole conditions seen, by text, so that one
/// that many offers share is parsed and compiled once.
#[derive(Default)]
pub(crate) struct Interner {
    table: ClauseTable,
    trees: Vec<Node>,
    by_text: BTreeMap<String, u32>,
    /// A condition's clauses, and whether it reads a score path.
    conditions: BTreeMap<String, (SmallVec<[u32; 4]>, bool)>,
}

impl Interner {
    /// The table, once every condition is compiled.
    pub(crate) fn finish(self) -> ClauseTable {
        self.table
    }

    /// Compiles `source` as a condition, interning its clauses; diagnostics point into `source`.
    /// Also says whether it reads a score path.
    pub(crate) fn condition(
        &mut self,
        source: &str,
        schema: &Schema,
    ) -> Result<(Clauses, bool), Diagnostics> {
        if let Some((ids, reads_scores)) = self.conditions.get(source) {
            return Ok((Clauses { ids: ids.clone() }, *reads_scores));
        }
        let node = parse(source).map_err(|d| Diagnostics(alloc::vec![d]))?;
        let reads_scores = crate::rules::reads_scores(&node);
        let mut parts = Vec::new();
        split(node, source, &mut parts);
        let mut ids = SmallVec::new();
        let mut full = false;
        for (node, text) in parts {
            match self.intern(&text, node, schema) {
                Ok(Some(id)) => ids.push(id),
                Ok(None) => full = true,
                // Each clause compiles when the whole does: the whole's diagnostics say why not.
                Err(_) => {
                    Rule::condition(source, schema)?;
                    full = true;
                }
            }
        }
        // Should a clause not fit (the table is full), the whole is one clause, and should that
        // not fit either, a clause that never holds: fail closed.
        if full {
            ids = self
                .intern_text(source, schema)
                .or_else(|| self.intern_text("false", schema))
                .into_iter()
                .collect();
        }
        self.conditions
            .insert(source.into(), (ids.clone(), reads_scores));
        Ok((Clauses { ids }, reads_scores))
    }

    /// Clause `text`, parsed as `node`: its id, `None` when the table is full.
    fn intern(
        &mut self,
        text: &str,
        node: Node,
        schema: &Schema,
    ) -> Result<Option<u32>, Diagnostics> {
        if let Some(&id) = self.by_text.get(text) {
            return Ok(Some(id));
        }
        let rule = Rule::from_tree(text, &node, schema, true)?;
        let Ok(id) = u32::try_from(self.table.rules.len()) else {
            return Ok(None);
        };
        self.table.rules.push(rule);
        self.table.json.push(super::explain::json_string(text));
        self.trees.push(node);
        self.by_text.insert(text.into(), id);
        Ok(Some(id))
    }

    fn intern_text(&mut self, text: &str, schema: &Schema) -> Option<u32> {
        let node = parse(text).ok()?;
        self.intern(text, node, schema).ok().flatten()
    }
}

impl ClauseTable {
    /// A memo for one request: nothing evaluated yet.
    pub(crate) fn memo(&self) -> Memo {
        Memo(alloc::vec![UNKNOWN; self.rules.len()])
    }

    /// Clause `id` as written, and as a JSON string.
    pub(crate) fn text(&self, id: u32) -> (&str, &str) {
        let i = id as usize;
        let source = self.rules.get(i).map_or("", Rule::source);
        (source, self.json.get(i).map_or("\"\"", String::as_str))
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

impl Clauses {
    /// The clauses' ids in the table, in the order written.
    pub(crate) fn ids(&self) -> &[u32] {
        &self.ids
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

    /// The first clause that does not hold: its index in the table.
    #[inline]
    pub(crate) fn first_failing(
        &self,
        table: &ClauseTable,
        features: &Features<'_>,
        memo: &mut Memo,
    ) -> Option<u32> {
        self.ids
            .iter()
            .copied()
            .find(|&id| !table.holds(id, features, memo))
    }
}

/// A condition's top-level `and` clauses: each one's tree and its text.
fn split<'s>(node: Node, source: &'s str, out: &mut Vec<(Node, Cow<'s, str>)>) {
    match node.expr {
        Expr::Binary(BinOp::And, left, right) => {
            split(*left, source, out);
            split(*right, source, out);
        }
        _ => {
            // A span leaves out the parentheses around an operand at either end (`(a + b) > c`):
            // then the clause is shown as the canonical printer writes it.
            let text = source.get(node.span.start..node.span.end).unwrap_or(source);
            let text = if text.matches('(').count() == text.matches(')').count() {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(node.to_string())
            };
            out.push((node, text));
        }
    }
}

/// What the clauses so far allow for one path.
#[derive(Default)]
struct Allowed<'s> {
    /// Lower bound: value, inclusive, and the clause that set it.
    low: Option<(f64, bool, &'s str)>,
    high: Option<(f64, bool, &'s str)>,
    /// The only strings allowed (`==`, `in`), if any clause said so.
    only: Option<Vec<String>>,
    /// Strings ruled out (`!=`, `not in`).
    not: Vec<String>,
    /// Every string clause on the path, for the message.
    string_clauses: Vec<&'s str>,
}

/// Clauses `ids` that can never all hold, or one that never holds, as a sentence for a warning.
/// Understands comparisons of a path with a number or duration, `==`/`!=` with a string,
/// `in`/`not in` a list, and the literal `false`; anything else is assumed satisfiable.
pub(crate) fn contradiction(
    interner: &Interner,
    ids: impl IntoIterator<Item = u32>,
) -> Option<String> {
    let mut paths: BTreeMap<String, Allowed<'_>> = BTreeMap::new();
    for id in ids {
        let i = id as usize;
        let (Some(node), Some(rule)) = (interner.trees.get(i), interner.table.rules.get(i)) else {
            continue;
        };
        let text = rule.source();
        if node.expr == Expr::Bool(false) {
            return Some(format!("`{text}` is always false"));
        }
        let Expr::Binary(op, left, right) = &node.expr else {
            continue;
        };
        let (op, path, constant) = match (&left.expr, &right.expr) {
            (Expr::Path(p), c) => (*op, p, c),
            (c, Expr::Path(p)) => (op.mirrored(), p, c),
            _ => continue,
        };
        let allowed = paths.entry(path.join(".")).or_default();
        if let Some(clauses) = constrain(allowed, op, constant, text) {
            let quoted: Vec<String> = clauses.iter().map(|c| format!("`{c}`")).collect();
            return Some(match quoted.as_slice() {
                [one] => format!("{one} can never hold"),
                [a, b] => format!("{a} and {b} can never both hold"),
                [rest @ .., last] => format!("{} and {last} can never all hold", rest.join(", ")),
                [] => String::new(),
            });
        }
    }
    None
}

/// Adds a clause's constraint; returns the clauses that together contradict, if they do.
fn constrain<'s>(
    allowed: &mut Allowed<'s>,
    op: BinOp,
    constant: &Expr,
    text: &'s str,
) -> Option<Vec<&'s str>> {
    let items: &[String] = match (constant, op) {
        (Expr::Number(n) | Expr::Duration(n), _) => return bound(allowed, op, *n, text),
        (Expr::Str(s), BinOp::Eq | BinOp::Ne) => core::slice::from_ref(s),
        (Expr::List(items), BinOp::In | BinOp::NotIn) => items,
        _ => return None,
    };
    allowed.string_clauses.push(text);
    if matches!(op, BinOp::Eq | BinOp::In) {
        let only = match allowed.only.take() {
            Some(only) => only.into_iter().filter(|s| items.contains(s)).collect(),
            None => items.to_vec(),
        };
        allowed.only = Some(only);
    } else {
        allowed.not.extend(items.iter().cloned());
    }
    let only = allowed.only.as_ref()?;
    only.iter()
        .all(|s| allowed.not.contains(s))
        .then(|| allowed.string_clauses.clone())
}

/// A numeric bound; returns the two bounds that leave nothing, if they do.
fn bound<'s>(allowed: &mut Allowed<'s>, op: BinOp, n: f64, text: &'s str) -> Option<Vec<&'s str>> {
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
            Some(if lo_text == hi_text {
                alloc::vec![lo_text]
            } else {
                alloc::vec![lo_text, hi_text]
            })
        }
        _ => None,
    }
}
