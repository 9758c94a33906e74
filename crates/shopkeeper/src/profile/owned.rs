//! What the customer owns: the products bought, on any channel, with when and how many.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use super::identity::decode;
use crate::check;
use crate::limits::{MAX_ID_LEN, MAX_OWNED_PRODUCTS};
use crate::{BoundedMap, Error, PurchaseLine, Timestamp};

/// One product the customer bought.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OwnedProduct {
    /// The earliest purchase of it.
    pub first_at: Timestamp,
    /// The latest purchase of it.
    pub last_at: Timestamp,
    /// Units bought, over all its orders.
    pub quantity: u64,
    /// Orders it was in.
    pub orders: u32,
}

/// The products bought, by product id: the [`MAX_OWNED_PRODUCTS`] most recently bought (the
/// least recently bought is evicted, then the fewest units, then the first id). A late purchase
/// counts like any other; merging adds quantities and orders and keeps the earliest and latest
/// times, so two devices' histories give the same set in either order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Owned {
    /// Per product.
    pub products: BoundedMap<String, OwnedProduct, MAX_OWNED_PRODUCTS>,
}

impl Owned {
    /// The product, if the customer bought it (and it is still among the kept ones).
    pub fn get(&self, product: &str) -> Option<&OwnedProduct> {
        self.products.get(product)
    }

    /// Whether the customer bought `product` at `since` or later.
    pub fn bought_since(&self, product: &str, since: Timestamp) -> bool {
        self.get(product).is_some_and(|p| p.last_at >= since)
    }

    pub(crate) fn record(&mut self, at: Timestamp, lines: &[PurchaseLine]) {
        for (i, line) in lines.iter().enumerate() {
            // A product on two lines of one order is one order of it.
            let new_order = !lines[..i].iter().any(|l| l.product == line.product);
            self.products.upsert(&line.product, |owned| {
                owned.first_at = if owned.orders == 0 {
                    at
                } else {
                    owned.first_at.min(at)
                };
                owned.last_at = owned.last_at.max(at);
                owned.quantity = owned.quantity.saturating_add(u64::from(line.quantity));
                owned.orders = owned.orders.saturating_add(u32::from(new_order));
            });
        }
        self.evict();
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (product, theirs) in other.products.iter() {
            self.products.upsert(product, |mine| {
                mine.first_at = if mine.orders == 0 {
                    theirs.first_at
                } else {
                    mine.first_at.min(theirs.first_at)
                };
                mine.last_at = mine.last_at.max(theirs.last_at);
                mine.quantity = mine.quantity.saturating_add(theirs.quantity);
                mine.orders = mine.orders.saturating_add(theirs.orders);
            });
        }
        self.evict();
    }

    fn evict(&mut self) {
        self.products
            .evict_to_cap(|id, p| (p.last_at, p.quantity, id.clone()));
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        for (product, owned) in self.products.iter() {
            check::id("owned product", product, MAX_ID_LEN).map_err(decode)?;
            check::timestamp("owned first_at", owned.first_at).map_err(decode)?;
            check::timestamp("owned last_at", owned.last_at).map_err(decode)?;
            check::invariant(owned.first_at <= owned.last_at, "owned first before last")?;
            check::invariant(owned.orders > 0, "an owned product was ordered")?;
            check::invariant(
                owned.quantity >= u64::from(owned.orders),
                "an owned product's units at least its orders",
            )?;
        }
        Ok(())
    }
}
