//! Purchase history: counts, money, first and last orders, per-category counts.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::identity::{decode, max_option};
use crate::check;
use crate::limits::{MAX_CATEGORIES, MAX_ID_LEN, MAX_NAME_LEN, MAX_RECENT_ORDERS};
use crate::score::day_of;
use crate::{BoundedMap, BoundedVec, Error, Money, PurchaseLine, Timestamp};

/// An order, as remembered: when, its id, what was paid. Ordered by time, then id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderRef {
    /// When it was placed.
    pub at: Timestamp,
    /// Order id.
    pub order: String,
    /// What was paid, in minor units.
    pub total: Money,
}

/// Purchases in one category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CategoryStats {
    /// Units bought.
    pub units: u64,
    /// Money spent on its lines (`quantity * unit_price`), in minor units.
    pub spend: Money,
    /// The latest purchase in it.
    pub last_at: Timestamp,
}

/// Purchase history.
///
/// Late purchases count like any other; the earliest order (by time, then id) is the *first*
/// purchase, whatever order the events arrived in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Purchases {
    /// Orders placed.
    pub count: u32,
    /// Money paid over all orders, in minor units.
    pub total: Money,
    /// The first order.
    pub first: Option<OrderRef>,
    /// When the latest order was placed.
    pub last_at: Option<Timestamp>,
    /// Per category (least recently bought evicted past the cap).
    pub categories: BoundedMap<String, CategoryStats, MAX_CATEGORIES>,
    /// The latest orders, to ignore an order delivered twice.
    pub recent_orders: BoundedVec<OrderRef, MAX_RECENT_ORDERS>,
    /// Distinct (UTC) days with a purchase: the customer-base models' transactions. A day counts as
    /// new unless the first order or one of the recent orders fell on it, so this is exact for
    /// streams in time order, and can overcount a day revisited by a late event or a merge after more
    /// than [`MAX_RECENT_ORDERS`] newer orders.
    pub days: u32,
    /// Money paid on the day of the first order (the models leave that day out of the spend average).
    pub first_day_total: Money,
}

impl Purchases {
    /// Average order value of the repeat purchases (all but the first), the input of spend models;
    /// `None` before the second purchase.
    pub fn repeat_average(&self) -> Option<f64> {
        let first = self.first.as_ref()?;
        let repeats = self.count.checked_sub(1).filter(|&n| n > 0)?;
        Some(self.total.saturating_sub(first.total) as f64 / f64::from(repeats))
    }

    /// Average order value over all purchases; `None` before the first.
    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total as f64 / f64::from(self.count))
    }

    /// Whether `order` is among the recently recorded orders.
    pub(crate) fn is_duplicate(&self, order: &str) -> bool {
        self.recent_orders
            .iter()
            .any(|recent| recent.order == order)
    }

    pub(crate) fn record(
        &mut self,
        at: Timestamp,
        order: &str,
        lines: &[PurchaseLine],
        total: Money,
    ) {
        let order = OrderRef {
            at,
            order: order.into(),
            total,
        };
        let day = day_of(at);
        if !self.known_days().any(|known| known == day) {
            self.days = self.days.saturating_add(1);
        }
        match self.first.as_ref().map(|first| day_of(first.at)) {
            Some(first) if first == day => {
                self.first_day_total = self.first_day_total.saturating_add(total)
            }
            Some(first) if first < day => {}
            _ => self.first_day_total = total,
        }
        self.count = self.count.saturating_add(1);
        self.total = self.total.saturating_add(total);
        if self.first.as_ref().is_none_or(|first| &order < first) {
            self.first = Some(order.clone());
        }
        self.last_at = max_option(self.last_at, Some(at));
        self.recent_orders.insert_keep_newest(order);
        for line in lines {
            let Some(category) = &line.category else {
                continue;
            };
            self.categories.upsert(category, |stats| {
                stats.units = stats.units.saturating_add(u64::from(line.quantity));
                let spend = Money::from(line.quantity).saturating_mul(line.unit_price);
                stats.spend = stats.spend.saturating_add(spend);
                stats.last_at = stats.last_at.max(at);
            });
        }
        self.evict_categories();
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        let mut shared: Vec<i64> = other
            .known_days()
            .filter(|day| self.known_days().any(|known| known == *day))
            .collect();
        shared.sort_unstable();
        shared.dedup();
        let shared = u32::try_from(shared.len()).unwrap_or(u32::MAX);
        self.days = self.days.saturating_add(other.days).saturating_sub(shared);
        let first_day = |p: &Self| p.first.as_ref().map(|first| day_of(first.at));
        match (first_day(self), first_day(other)) {
            (Some(mine), Some(theirs)) if mine == theirs => {
                self.first_day_total = self.first_day_total.saturating_add(other.first_day_total)
            }
            (Some(mine), Some(theirs)) if theirs > mine => {}
            (_, Some(_)) => self.first_day_total = other.first_day_total,
            (_, None) => {}
        }
        self.count = self.count.saturating_add(other.count);
        self.total = self.total.saturating_add(other.total);
        if let Some(theirs) = &other.first {
            if self.first.as_ref().is_none_or(|mine| theirs < mine) {
                self.first = Some(theirs.clone());
            }
        }
        self.last_at = max_option(self.last_at, other.last_at);
        self.recent_orders.merge_keep_newest(&other.recent_orders);
        let categories = &mut self.categories;
        for (name, theirs) in other.categories.iter() {
            categories.upsert(name, |mine| {
                mine.units = mine.units.saturating_add(theirs.units);
                mine.spend = mine.spend.saturating_add(theirs.spend);
                mine.last_at = mine.last_at.max(theirs.last_at);
            });
        }
        self.evict_categories();
    }

    /// The purchase days this history still remembers: the first order's and the recent orders'.
    fn known_days(&self) -> impl Iterator<Item = i64> + '_ {
        self.first
            .iter()
            .chain(self.recent_orders.iter())
            .map(|order| day_of(order.at))
    }

    fn evict_categories(&mut self) {
        self.categories
            .evict_to_cap(|name, stats| (stats.last_at, stats.units, name.clone()));
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::invariant(self.total >= 0, "purchase total not negative")?;
        check::invariant(
            self.first.is_some() == (self.count > 0),
            "first order iff purchases",
        )?;
        check::invariant(
            self.recent_orders.is_strictly_sorted(),
            "recent orders sorted",
        )?;
        check::invariant(
            self.recent_orders.len() <= self.count as usize,
            "recent orders counted",
        )?;
        check::invariant(
            self.days <= self.count && (self.days > 0) == (self.count > 0),
            "purchase days counted",
        )?;
        check::invariant(
            self.first_day_total <= self.total,
            "the first day within the total",
        )?;
        if let Some(first) = &self.first {
            check::invariant(
                first.total <= self.first_day_total,
                "the first order within its day",
            )?;
            let earliest = self.recent_orders.iter().all(|order| first <= order);
            check::invariant(earliest, "the first order is the earliest")?;
            let before_last = self.last_at.is_some_and(|last| first.at <= last);
            check::invariant(before_last, "the first order before the last")?;
        }
        check::optional_timestamp("purchases.last_at", self.last_at).map_err(decode)?;
        for order in self.first.iter().chain(self.recent_orders.iter()) {
            check::id("order id", &order.order, MAX_ID_LEN).map_err(decode)?;
            check::timestamp("order time", order.at).map_err(decode)?;
            check::amount("order total", order.total).map_err(decode)?;
        }
        for (name, stats) in self.categories.iter() {
            check::id("category", name, MAX_NAME_LEN).map_err(decode)?;
            check::invariant(stats.spend >= 0, "category spend not negative")?;
            check::timestamp("category last_at", stats.last_at).map_err(decode)?;
        }
        Ok(())
    }
}
