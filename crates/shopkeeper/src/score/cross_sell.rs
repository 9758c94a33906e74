//! Cross-sell: which items are bought together, fitted from baskets (the lines of an order), and the
//! best complements of a cart.
//!
//! For items A and B over N baskets: support = n(A,B)/N, confidence(A→B) = n(A,B)/n(A), lift =
//! confidence/(n(B)/N): how much more often B is bought with A than on its own. A cart's candidates
//! are the complements of its items that it does not hold, each scored by its best lift over the
//! cart's items (ties: higher confidence, then the item id), so a query costs one lookup per cart
//! item and a sort of a few dozen candidates.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

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

/// An item's count and its strongest complements.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemStats {
    /// Baskets holding the item.
    pub baskets: u64,
    /// Complements with the number of baskets holding both, highest lift first.
    pub complements: Vec<(String, u64)>,
}

/// A co-occurrence table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoOccurrence {
    /// Baskets fitted on.
    pub baskets: u64,
    /// Per item.
    pub items: BTreeMap<String, ItemStats>,
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

impl CoOccurrence {
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
        let mut table = CoOccurrence {
            baskets: total,
            items: names
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
                .collect(),
        };
        let mut complements: Vec<Vec<(u32, u64)>> = alloc::vec![Vec::new(); names.len()];
        for (&(a, b), &n) in &pairs {
            if n >= options.min_together {
                complements[a as usize].push((b, n));
                complements[b as usize].push((a, n));
            }
        }
        for (a, mut list) in complements.into_iter().enumerate() {
            // Highest lift first: lift ∝ n(A,B)/n(B) for a fixed A; ties by name.
            list.sort_by(|(b1, n1), (b2, n2)| {
                let l1 = *n1 as f64 / counts[*b1 as usize] as f64;
                let l2 = *n2 as f64 / counts[*b2 as usize] as f64;
                l2.total_cmp(&l1)
                    .then_with(|| names[*b1 as usize].cmp(names[*b2 as usize]))
            });
            list.truncate(options.max_complements);
            if let Some(stats) = table.items.get_mut(names[a]) {
                stats.complements = list
                    .into_iter()
                    .map(|(b, n)| (String::from(names[b as usize]), n))
                    .collect();
            }
        }
        table
    }

    /// Checks that counts are consistent: a pair is in no more baskets than either item, and every
    /// complement is a known item.
    pub fn validate(&self, what: &str) -> Result<(), Error> {
        for (item, stats) in &self.items {
            if stats.baskets == 0 || stats.baskets > self.baskets {
                return Err(invalid(
                    what,
                    item,
                    "is in no basket, or in more baskets than there are",
                ));
            }
            for (other, together) in &stats.complements {
                let theirs = self.items.get(other).map_or(0, |s| s.baskets);
                if *together == 0
                    || *together > stats.baskets
                    || *together > theirs
                    || other == item
                {
                    return Err(invalid(
                        what,
                        item,
                        "has a complement with an impossible count",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `k` best complements of `cart` that it does not already hold.
    pub fn suggest(&self, cart: &[&str], k: usize) -> Vec<Suggestion> {
        let mut best: Vec<Suggestion> = Vec::new();
        let n = self.baskets as f64;
        for item in cart {
            let Some(stats) = self.items.get(*item) else {
                continue;
            };
            for (other, together) in &stats.complements {
                if cart.contains(&other.as_str()) {
                    continue;
                }
                let theirs = self.items.get(other).map_or(1, |s| s.baskets) as f64;
                let confidence = *together as f64 / stats.baskets as f64;
                let candidate = Suggestion {
                    item: other.clone(),
                    support: *together as f64 / n,
                    confidence,
                    lift: confidence / (theirs / n),
                };
                match best.iter_mut().find(|s| s.item == *other) {
                    Some(existing) => {
                        if ranks_before(&candidate, existing) {
                            *existing = candidate;
                        }
                    }
                    None => best.push(candidate),
                }
            }
        }
        best.sort_by(|a, b| {
            if ranks_before(a, b) {
                core::cmp::Ordering::Less
            } else if ranks_before(b, a) {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        });
        best.truncate(k);
        best
    }
}

/// Higher lift, then higher confidence, then the smaller item id.
fn ranks_before(a: &Suggestion, b: &Suggestion) -> bool {
    b.lift
        .total_cmp(&a.lift)
        .then(b.confidence.total_cmp(&a.confidence))
        .then_with(|| a.item.cmp(&b.item))
        .is_lt()
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
        assert_eq!(t.baskets, 6);
        assert_eq!(
            t.items["gas"].baskets, 2,
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
        let mut t = table();
        t.items.get_mut("tent").unwrap().complements[0].1 = 99;
        assert_eq!(t.validate("t").unwrap_err().code(), ErrorCode::InvalidModel);
    }
}
