//! The cart.

use alloc::format;
use alloc::string::String;
use serde::{Deserialize, Serialize};

use super::identity::{decode, max_option};
use crate::check;
use crate::limits::{MAX_CART_LINES, MAX_ID_LEN, MAX_NAME_LEN, MAX_QUANTITY};
use crate::{BoundedMap, Error, ErrorCode, Money, Timestamp};

/// One product in the cart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CartLine {
    /// The latest change to this line.
    pub updated_at: Timestamp,
    /// Units.
    pub quantity: u32,
    /// Price of one unit, in minor units (the latest one added).
    pub unit_price: Money,
    /// Product category.
    pub category: Option<String>,
}

impl CartLine {
    /// `quantity * unit_price`.
    pub fn value(&self) -> Money {
        Money::from(self.quantity).saturating_mul(self.unit_price)
    }
}

/// The cart, keyed by product id.
///
/// Late events: a cart event stamped before the latest clear is ignored, since the cart it changed
/// is gone; other late adds and removes apply as deltas. An add at or after a line's latest change
/// sets its price; the latest category given sticks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cart {
    /// Lines by product id.
    pub lines: BoundedMap<String, CartLine, MAX_CART_LINES>,
    /// When the cart was last cleared.
    pub cleared_at: Option<Timestamp>,
}

impl Cart {
    /// Total value in minor units.
    pub fn value(&self) -> Money {
        self.lines
            .values()
            .fold(0, |sum: Money, line| sum.saturating_add(line.value()))
    }

    /// Total units.
    pub fn quantity(&self) -> u64 {
        self.lines
            .values()
            .map(|line| u64::from(line.quantity))
            .sum()
    }

    /// Whether an event at `at` predates the latest clear.
    pub(crate) fn is_stale(&self, at: Timestamp) -> bool {
        self.cleared_at.is_some_and(|cleared| at < cleared)
    }

    pub(crate) fn check_add(&self, product: &str, quantity: u32) -> Result<(), Error> {
        let held = self.lines.get(product).map_or(0, |line| line.quantity);
        if held == 0 && self.lines.len() >= MAX_CART_LINES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("the cart already holds {MAX_CART_LINES} distinct products"),
            ));
        }
        if held.saturating_add(quantity) > MAX_QUANTITY {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("cart line {product:?} would hold more than {MAX_QUANTITY} units"),
            ));
        }
        Ok(())
    }

    pub(crate) fn add(
        &mut self,
        at: Timestamp,
        product: &str,
        category: Option<&str>,
        quantity: u32,
        unit_price: Money,
    ) {
        let lines = self.lines.map_mut();
        let Some(line) = lines.get_mut(product) else {
            let category = category.map(String::from);
            lines.insert(
                product.into(),
                CartLine {
                    updated_at: at,
                    quantity,
                    unit_price,
                    category,
                },
            );
            return;
        };
        line.quantity = line.quantity.saturating_add(quantity);
        if at >= line.updated_at {
            line.updated_at = at;
            line.unit_price = unit_price;
        }
        if category.is_some() && line.category.as_deref() != category {
            line.category = category.map(String::from);
        }
    }

    /// Removes `quantity` units (the whole line when `None`); false when the product is not in the cart.
    pub(crate) fn remove(&mut self, at: Timestamp, product: &str, quantity: Option<u32>) -> bool {
        let lines = self.lines.map_mut();
        let Some(line) = lines.get_mut(product) else {
            return false;
        };
        match quantity {
            Some(q) if q < line.quantity => {
                line.quantity -= q;
                line.updated_at = line.updated_at.max(at);
            }
            _ => {
                lines.remove(product);
            }
        }
        true
    }

    /// Empties the cart of everything changed at or before `at`.
    pub(crate) fn clear(&mut self, at: Timestamp) {
        self.cleared_at = max_option(self.cleared_at, Some(at));
        self.lines.map_mut().retain(|_, line| line.updated_at > at);
    }

    /// A product bought at `at` leaves the cart (unless the line changed after the purchase).
    pub(crate) fn checkout(&mut self, at: Timestamp, product: &str) {
        let lines = self.lines.map_mut();
        if lines.get(product).is_some_and(|line| line.updated_at <= at) {
            lines.remove(product);
        }
    }

    /// Merges the carts of two devices: per product the most recently changed line wins (ties broken
    /// by the rest of the line), lines older than the latest clear go, and past the cap the least
    /// recently changed lines go.
    pub(crate) fn merge(&mut self, other: &Self) {
        self.cleared_at = max_option(self.cleared_at, other.cleared_at);
        let lines = self.lines.map_mut();
        for (product, theirs) in other.lines.iter() {
            match lines.get_mut(product) {
                Some(mine) if &*mine >= theirs => {}
                Some(mine) => *mine = theirs.clone(),
                None => {
                    lines.insert(product.clone(), theirs.clone());
                }
            }
        }
        if let Some(cleared) = self.cleared_at {
            lines.retain(|_, line| line.updated_at >= cleared);
        }
        self.lines
            .evict_to_cap(|product, line| (line.updated_at, product.clone()));
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::optional_timestamp("cart.cleared_at", self.cleared_at).map_err(decode)?;
        for (product, line) in self.lines.iter() {
            check::id("cart product", product, MAX_ID_LEN).map_err(decode)?;
            check::optional_id("cart category", line.category.as_deref(), MAX_NAME_LEN)
                .map_err(decode)?;
            check::quantity("cart quantity", line.quantity).map_err(decode)?;
            check::amount("cart unit_price", line.unit_price).map_err(decode)?;
            check::timestamp("cart updated_at", line.updated_at).map_err(decode)?;
            check::invariant(
                self.cleared_at <= Some(line.updated_at),
                "cart lines changed since the clear",
            )?;
        }
        Ok(())
    }
}
