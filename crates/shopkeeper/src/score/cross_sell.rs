//! Cross-sell: which items are bought together, fitted from baskets (the lines of an order), and the
//! best complements of a cart.
//!
//! For items A and B over N baskets: support = n(A,B)/N, confidence(A→B) = n(A,B)/n(A), lift =
//! confidence/(n(B)/N): how much more often B is bought with A than on its own. A cart's candidates
//! are the complements of its items that it does not hold, each scored by its best lift over the
//! cart's items (ties: higher confidence, then the item id). Each item's complements are kept in
//! that order, so a query (a cart, or the products a customer owns) merges the lists of its items
//! and stops at the last suggestion it needs.

use alloc::collections::{BTreeMap, BinaryHeap};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::{Error, ErrorCode};

/// How a co-occurrence table is fitted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossSellOptions {
    /// Fewest baskets a pair must share to be kept (pairs seen once are mostly noise).
    pub min_together: u64,
    /// Most complements kept per item, the highest lifts.
    pub max_complements: usize,
    /// Items beyond this many in one basket are counted, but not paired: a basket of n items has
    /// n(n-1)/2 pairs, and one huge basket must not make the fit quadratic.
    pub max_basket: usize,
}

impl Default for CrossSellOptions {
    fn default() -> Self {
        CrossSellOptions {
            min_together: 2,
            max_complements: 20,
            max_basket: 100,
        }
    }
}

/// An item's count and its strongest complements, as the models file writes them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemStats {
    /// Baskets holding the item.
    pub baskets: u64,
    /// Complements with the number of baskets holding both, highest lift first.
    pub complements: Vec<(String, u64)>,
}

/// A co-occurrence table: items and pairs counted over baskets.
///
/// In the models file it is `{"baskets": N, "items": {name: ItemStats}}`; in memory, items are
/// numbered in name order and complements refer to them by number, so a query reads counts by
/// index and copies no name but the suggestions it returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoOccurrence {
    /// Baskets fitted on.
    baskets: u64,
    /// Item names, sorted: an item's id is its place here.
    names: Vec<String>,
    /// Baskets holding each item.
    counts: Vec<u64>,
    /// Each item's complements as (id, baskets holding both), highest lift first; [`UNKNOWN`]
    /// for a name that is not an item (which [`CoOccurrence::validate`] rejects).
    complements: Vec<Vec<(u32, u64)>>,
}

/// The id of a complement that names no item.
const UNKNOWN: u32 = u32::MAX;

/// The models file's form of a [`CoOccurrence`].
#[derive(Serialize, Deserialize)]
struct Table {
    baskets: u64,
    items: BTreeMap<String, ItemStats>,
}

impl Serialize for CoOccurrence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = (self.names.iter().enumerate())
            .map(|(i, name)| (name.clone(), self.item_stats(i)))
            .collect();
        Table {
            baskets: self.baskets,
            items,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CoOccurrence {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let table = Table::deserialize(deserializer)?;
        Ok(CoOccurrence::from_items(table.baskets, table.items))
    }
}

/// A suggested complement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The item.
    pub item: String,
    /// Share of all baskets holding both.
    pub support: f64,
    /// Share of the cart item's baskets that also hold this one.
    pub confidence: f64,
    /// Confidence over this item's own share of baskets.
    pub lift: f64,
}

/// A complement found for a query, before it is known to be the item's best.
struct Candidate {
    id: u32,
    together: u64,
    confidence: f64,
    lift: f64,
}

impl CoOccurrence {
    /// A table from its counts (`items` by name, complements named); [`validate`](Self::validate)
    /// checks them.
    pub fn from_items(baskets: u64, items: BTreeMap<String, ItemStats>) -> CoOccurrence {
        let names: Vec<String> = items.keys().cloned().collect();
        let id = |name: &str| {
            names
                .binary_search_by(|n| n.as_str().cmp(name))
                .map_or(UNKNOWN, |i| i as u32)
        };
        let counts: Vec<u64> = items.values().map(|stats| stats.baskets).collect();
        let complements = (items.values().zip(&counts))
            .map(|(stats, &mine)| {
                let mut list: Vec<(u32, u64)> = (stats.complements.iter())
                    .map(|(other, together)| (id(other), *together))
                    .collect();
                // In the asked order (unknown items last), which a fitted table already has.
                let rank = |&(b, together): &(u32, u64)| {
                    let theirs = counts.get(b as usize).copied().unwrap_or(0);
                    let (confidence, lift) = measures(together, mine, theirs, baskets);
                    Candidate {
                        id: b,
                        together,
                        confidence,
                        lift,
                    }
                };
                list.sort_by(|x, y| {
                    let unknown = |b: u32| b == UNKNOWN;
                    (unknown(x.0).cmp(&unknown(y.0))).then_with(|| order(&rank(x), &rank(y)))
                });
                list
            })
            .collect();
        CoOccurrence {
            baskets,
            counts,
            names,
            complements,
        }
    }

    /// Counts items and pairs over `baskets` (an item repeated in a basket counts once).
    pub fn fit<'a, B, I>(baskets: B, options: CrossSellOptions) -> CoOccurrence
    where
        B: IntoIterator<Item = I>,
        I: IntoIterator<Item = &'a str>,
    {
        let hasher = || ahash::RandomState::with_seeds(1, 2, 3, 4);
        let mut ids: hashbrown::HashMap<&'a str, u32, _> =
            hashbrown::HashMap::with_hasher(hasher());
        let mut names: Vec<&'a str> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut pairs: hashbrown::HashMap<(u32, u32), u64, _> =
            hashbrown::HashMap::with_hasher(hasher());
        let mut total = 0u64;
        let mut basket: Vec<u32> = Vec::new();
        for items in baskets {
            basket.clear();
            for item in items {
                let id = *ids.entry(item).or_insert_with(|| {
                    names.push(item);
                    counts.push(0);
                    (names.len() - 1) as u32
                });
                basket.push(id);
            }
            basket.sort_unstable();
            basket.dedup();
            if basket.is_empty() {
                continue;
            }
            total += 1;
            for &id in &basket {
                counts[id as usize] += 1;
            }
            let paired = &basket[..basket.len().min(options.max_basket)];
            for (i, &a) in paired.iter().enumerate() {
                for &b in &paired[i + 1..] {
                    *pairs.entry((a, b)).or_insert(0) += 1;
                }
            }
        }
        let mut items: BTreeMap<String, ItemStats> = names
            .iter()
            .zip(&counts)
            .map(|(name, &n)| {
                (
                    String::from(*name),
                    ItemStats {
                        baskets: n,
                        complements: Vec::new(),
                    },
                )
            })
            .collect();
        let mut complements: Vec<Vec<(u32, u64)>> = alloc::vec![Vec::new(); names.len()];
        for (&(a, b), &n) in &pairs {
            if n >= options.min_together {
                complements[a as usize].push((b, n));
                complements[b as usize].push((a, n));
            }
        }
        for (a, mut list) in complements.into_iter().enumerate() {
            // The asked order (highest lift, then confidence, then name) before truncating.
            let rank = |&(b, together): &(u32, u64)| {
                let (confidence, lift) = measures(together, counts[a], counts[b as usize], total);
                (lift, confidence, names[b as usize])
            };
            list.sort_by(|x, y| {
                let (x, y) = (rank(x), rank(y));
                (y.0.total_cmp(&x.0))
                    .then(y.1.total_cmp(&x.1))
                    .then_with(|| x.2.cmp(y.2))
            });
            list.truncate(options.max_complements);
            if let Some(stats) = items.get_mut(names[a]) {
                stats.complements = list
                    .into_iter()
                    .map(|(b, n)| (String::from(names[b as usize]), n))
                    .collect();
            }
        }
        CoOccurrence::from_items(total, items)
    }

    /// Baskets fitted on.
    pub fn baskets(&self) -> u64 {
        self.baskets
    }

    /// Items counted.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no item was counted.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// An item's count and complements, as the models file writes them.
    pub fn item(&self, name: &str) -> Option<ItemStats> {
        self.id(name).map(|i| self.item_stats(i))
    }

    fn id(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    fn item_stats(&self, i: usize) -> ItemStats {
        let name = |id: u32| self.names.get(id as usize).cloned().unwrap_or_default();
        ItemStats {
            baskets: self.counts[i],
            complements: (self.complements[i].iter())
                .map(|&(id, together)| (name(id), together))
                .collect(),
        }
    }

    /// Checks that counts are consistent: a pair is in no more baskets than either item, and every
    /// complement is a known item.
    pub fn validate(&self, what: &str) -> Result<(), Error> {
        for (a, name) in self.names.iter().enumerate() {
            let mine = self.counts[a];
            if mine == 0 || mine > self.baskets {
                return Err(invalid(
                    what,
                    name,
                    "is in no basket, or in more baskets than there are",
                ));
            }
            let mut ids: Vec<u32> = self.complements[a].iter().map(|&(b, _)| b).collect();
            ids.sort_unstable();
            if ids.windows(2).any(|w| w[0] == w[1]) {
                return Err(invalid(what, name, "lists a complement twice"));
            }
            for &(b, together) in &self.complements[a] {
                let theirs = self.counts.get(b as usize).copied().unwrap_or(0);
                if together == 0 || together > mine || together > theirs || b as usize == a {
                    return Err(invalid(
                        what,
                        name,
                        "has a complement with an impossible count",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `k` best complements of `cart` that it does not already hold.
    pub fn suggest(&self, cart: &[&str], k: usize) -> Vec<Suggestion> {
        self.suggest_for(cart.iter().copied(), |item| cart.contains(&item), k)
    }

    /// The `k` best complements of `items` for which `skip` is false: each scored by its best
    /// lift over `items` (ties: higher confidence, then the item id). Each item's complements
    /// are kept in that order, so the answer is a merge of their lists, read only as far as
    /// the `k`th suggestion: one lookup per item of `items`, and only the returned names copied.
    pub fn suggest_for<'a>(
        &self,
        items: impl IntoIterator<Item = &'a str>,
        skip: impl Fn(&str) -> bool,
        k: usize,
    ) -> Vec<Suggestion> {
        let mut heads: BinaryHeap<Head> = (items.into_iter())
            .filter_map(|item| self.id(item))
            .filter_map(|a| self.head(a, 0))
            .collect();
        let mut seen: SmallVec<[u32; 16]> = SmallVec::new();
        let mut best = Vec::with_capacity(k);
        while best.len() < k {
            let Some(head) = heads.pop() else { break };
            heads.extend(self.head(head.source, head.at + 1));
            // An item's first appearance is its best; later ones repeat it.
            let c = head.candidate;
            if seen.contains(&c.id) {
                continue;
            }
            seen.push(c.id);
            let item = &self.names[c.id as usize];
            if !skip(item) {
                best.push(Suggestion {
                    item: item.clone(),
                    support: c.together as f64 / self.baskets as f64,
                    confidence: c.confidence,
                    lift: c.lift,
                });
            }
        }
        best
    }

    /// The candidate at place `at` of item `a`'s complements (skipping unknown items).
    fn head(&self, a: usize, at: usize) -> Option<Head> {
        let (at, &(b, together)) = (self.complements[a].iter().enumerate())
            .skip(at)
            .find(|(_, (b, _))| (*b as usize) < self.counts.len())?;
        let (confidence, lift) = measures(
            together,
            self.counts[a],
            self.counts[b as usize],
            self.baskets,
        );
        Some(Head {
            source: a,
            at,
            candidate: Candidate {
                id: b,
                together,
                confidence,
                lift,
            },
        })
    }
}

/// Confidence and lift of a complement that `together` baskets share with an item in `mine`
/// baskets, itself in `theirs` of `baskets`: computed this one way when fitting, loading and
/// asking, so the kept order is the asked order to the last bit.
fn measures(together: u64, mine: u64, theirs: u64, baskets: u64) -> (f64, f64) {
    let confidence = together as f64 / mine as f64;
    (confidence, confidence / (theirs as f64 / baskets as f64))
}

/// Better first: higher lift, then higher confidence, then the smaller id (ids are in name
/// order, so this is the smaller name).
fn order(x: &Candidate, y: &Candidate) -> Ordering {
    (y.lift.total_cmp(&x.lift))
        .then(y.confidence.total_cmp(&x.confidence))
        .then(x.id.cmp(&y.id))
}

/// The next candidate of one item's complements, in a max-heap of the best.
struct Head {
    source: usize,
    at: usize,
    candidate: Candidate,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    /// The better candidate is the greater (a max-heap pops it first).
    fn cmp(&self, other: &Self) -> Ordering {
        order(&self.candidate, &other.candidate).reverse()
    }
}

fn invalid(what: &str, item: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::InvalidModel,
        alloc::format!("{what} item {item:?} {why}"),
    )
}

/// Cross-sell tables for products and for categories.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrossSell {
    /// Products bought together.
    pub products: CoOccurrence,
    /// Categories bought together.
    pub categories: CoOccurrence,
}

impl CrossSell {
    /// Checks both tables.
    pub fn validate(&self) -> Result<(), Error> {
        self.products.validate("cross_sell.products")?;
        self.categories.validate("cross_sell.categories")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CoOccurrence {
        let baskets: [&[&str]; 6] = [
            &["tent", "stove", "gas"],
            &["tent", "stove"],
            &["stove", "gas", "gas"],
            &["tent", "mat"],
            &["tent", "mat"],
            &["socks"],
        ];
        CoOccurrence::fit(
            baskets.iter().map(|b| b.iter().copied()),
            CrossSellOptions::default(),
        )
    }

    #[test]
    fn support_confidence_and_lift_follow_their_definitions() {
        let t = table();
        assert_eq!(t.baskets(), 6);
        assert_eq!(
            t.item("gas").unwrap().baskets,
            2,
            "an item repeated in a basket counts once"
        );
        let s = t.suggest(&["stove"], 5);
        // stove: 3 baskets; with gas 2 (gas: 2 baskets), with tent 2 (tent: 4 baskets).
        assert_eq!(s[0].item, "gas");
        assert!((s[0].support - 2.0 / 6.0).abs() < 1e-12);
        assert!((s[0].confidence - 2.0 / 3.0).abs() < 1e-12);
        assert!((s[0].lift - (2.0 / 3.0) / (2.0 / 6.0)).abs() < 1e-12);
        assert_eq!(s[1].item, "tent");
        assert_eq!(s.len(), 2, "mat and stove were never together twice");
    }

    #[test]
    fn suggestions_skip_what_the_cart_holds_and_take_the_best_lift() {
        let t = table();
        let s = t.suggest(&["tent", "stove"], 5);
        let items: Vec<&str> = s.iter().map(|s| s.item.as_str()).collect();
        assert_eq!(items, ["gas", "mat"]);
        assert!(t.suggest(&["unknown"], 5).is_empty());
        assert_eq!(t.suggest(&["tent", "stove"], 1).len(), 1);
        t.validate("t").unwrap();
    }

    #[test]
    fn impossible_counts_are_rejected() {
        let t = table();
        let items = |change: &dyn Fn(&mut ItemStats)| {
            let mut items: BTreeMap<String, ItemStats> = ["gas", "mat", "socks", "stove", "tent"]
                .iter()
                .map(|&name| (name.into(), t.item(name).unwrap()))
                .collect();
            change(items.get_mut("tent").unwrap());
            CoOccurrence::from_items(t.baskets(), items)
        };
        assert_eq!(items(&|_| {}), t, "the table's own counts");
        t.validate("t").unwrap();
        for change in [
            &(|s: &mut ItemStats| s.complements[0].1 = 99) as &dyn Fn(&mut ItemStats),
            &|s| s.complements[0].0 = "kayak".into(),
            &|s| s.complements[0].0 = "tent".into(),
            &|s| s.baskets = 7,
            &|s| s.complements.push(s.complements[0].clone()),
        ] {
            let code = items(change).validate("t").unwrap_err().code();
            assert_eq!(code, ErrorCode::InvalidModel);
        }
    }

    #[test]
    fn the_models_file_form_reads_back() {
        let t = table();
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.starts_with(
                r#"{"baskets":6,"items":{"gas":{"baskets":2,"complements":[["stove",2]]}"#
            ),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<CoOccurrence>(&json).unwrap(), t);
    }

    /// The ranking as spec/scores.md says it, written the plain way: every candidate, the best
    /// per item, all sorted.
    fn plain(t: &CoOccurrence, sources: &[&str], skip: &[&str], k: usize) -> Vec<String> {
        let n = t.baskets() as f64;
        let mut best: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for source in sources {
            let Some(stats) = t.item(source) else {
                continue;
            };
            for (other, together) in stats.complements {
                let confidence = together as f64 / stats.baskets as f64;
                let lift = confidence / (t.item(&other).unwrap().baskets as f64 / n);
                let entry = best.entry(other).or_insert((lift, confidence));
                if (lift, confidence) > *entry {
                    *entry = (lift, confidence);
                }
            }
        }
        let mut ranked: Vec<(String, (f64, f64))> = best.into_iter().collect();
        ranked.sort_by(|a, b| {
            b.1 .0
                .total_cmp(&a.1 .0)
                .then(b.1 .1.total_cmp(&a.1 .1))
                .then(a.0.cmp(&b.0))
        });
        ranked
            .into_iter()
            .map(|(item, _)| item)
            .filter(|item| !skip.contains(&item.as_str()))
            .take(k)
            .collect()
    }

    #[test]
    fn suggestions_are_the_plain_ranking() {
        use proptest::prelude::*;
        const POOL: [&str; 12] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
        let config = ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        let basket = proptest::collection::vec(0..POOL.len(), 1..6);
        let baskets = proptest::collection::vec(basket, 1..60);
        let subset = || proptest::collection::vec(0..POOL.len(), 0..8);
        proptest!(config, |(baskets in baskets, sources in subset(), skip in subset(), k in 0usize..8, keep in 1usize..4)| {
            let options = CrossSellOptions { min_together: 1, max_complements: keep, max_basket: 100 };
            let t = CoOccurrence::fit(baskets.iter().map(|b| b.iter().map(|&i| POOL[i])), options);
            let sources: Vec<&str> = sources.iter().map(|&i| POOL[i]).collect();
            let skip: Vec<&str> = skip.iter().map(|&i| POOL[i]).collect();
            let got: Vec<String> = t
                .suggest_for(sources.iter().copied(), |item| skip.contains(&item), k)
                .into_iter()
                .map(|s| s.item)
                .collect();
            prop_assert_eq!(got, plain(&t, &sources, &skip, k));
        });
    }

    #[test]
    fn history_suggestions_skip_what_the_caller_says() {
        let t = table();
        let owned = ["stove"];
        let s = t.suggest_for(owned, |item| item == "gas", 5);
        let items: Vec<&str> = s.iter().map(|s| s.item.as_str()).collect();
        assert_eq!(items, ["tent"], "gas skipped, stove itself never suggested");
    }
}
