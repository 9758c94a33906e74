//! What each offer did, in time buckets: decisions, shows, accepts, dismisses, and the orders and
//! revenue attributed to it.
//!
//! Counts live in hourly buckets (the newest [`KPI_HOURS`]) and daily buckets (the newest
//! [`KPI_DAYS`]), keyed by the bucket's start (UTC). Merging adds bucket by bucket, then keeps the
//! newest buckets of the union, so the result does not depend on the order of merges: a bucket
//! one side dropped is older than every bucket that side kept, and so drops from the union too.
//! Within a bucket, counts are per offer and learning segment; at most [`MAX_KPI_KEYS`] of them,
//! further ones count as [`OTHER_OFFERS`].
//!
//! **Attribution**: a purchase's orders and revenue go to the offer the customer accepted last
//! within [`ATTRIBUTION_WINDOW`] before it (last touch), under that offer with no segment (the
//! profile does not keep which decision showed the accept), in the bucket of the purchase.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_ID_LEN, MAX_NAME_LEN};
use crate::{Error, ErrorCode, Money, Timestamp};

/// Hourly buckets kept: two days.
pub const KPI_HOURS: usize = 48;
/// Daily buckets kept: five weeks.
pub const KPI_DAYS: usize = 35;
/// A purchase within this long after an accept is attributed to the accepted offer: 7 days.
pub const ATTRIBUTION_WINDOW: Timestamp = 7 * 86_400;
/// (Offer, segment) pairs one bucket counts by name; further ones count as [`OTHER_OFFERS`].
pub const MAX_KPI_KEYS: usize = 20_000;
/// Where offers past [`MAX_KPI_KEYS`] in a bucket count (with segment `""`).
pub const OTHER_OFFERS: &str = "(other)";

const HOUR: Timestamp = 3_600;
const DAY: Timestamp = 86_400;

/// What one offer did in one segment and bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferCounts {
    /// Decisions that picked it.
    pub decisions: u64,
    /// Times it was shown.
    pub shows: u64,
    /// Times it was accepted.
    pub accepts: u64,
    /// Times it was dismissed.
    pub dismisses: u64,
    /// Orders attributed to it.
    pub orders: u64,
    /// Their revenue, in minor units.
    pub revenue: Money,
}

impl OfferCounts {
    pub(crate) fn add(&mut self, other: &OfferCounts) {
        self.decisions = self.decisions.saturating_add(other.decisions);
        self.shows = self.shows.saturating_add(other.shows);
        self.accepts = self.accepts.saturating_add(other.accepts);
        self.dismisses = self.dismisses.saturating_add(other.dismisses);
        self.orders = self.orders.saturating_add(other.orders);
        self.revenue = self.revenue.saturating_add(other.revenue);
    }
}

/// One bucket: offer, then segment.
type Bucket = BTreeMap<String, BTreeMap<String, OfferCounts>>;

/// The pairs a bucket counts by name ([`OTHER_OFFERS`] left out).
fn named(bucket: &Bucket) -> usize {
    bucket
        .iter()
        .filter(|(offer, _)| *offer != OTHER_OFFERS)
        .map(|(_, segments)| segments.len())
        .sum()
}

/// The newest hourly and daily buckets.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Buckets {
    hours: BTreeMap<Timestamp, Bucket>,
    days: BTreeMap<Timestamp, Bucket>,
}

/// A bucket's length: an hour or a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Hourly buckets.
    Hour,
    /// Daily buckets.
    Day,
}

impl Buckets {
    fn levels(&mut self) -> [(&mut BTreeMap<Timestamp, Bucket>, Timestamp, usize); 2] {
        [
            (&mut self.hours, HOUR, KPI_HOURS),
            (&mut self.days, DAY, KPI_DAYS),
        ]
    }

    /// Adds `change` to `offer` in `segment` at `at`, in its hour and its day.
    pub(crate) fn add(&mut self, at: Timestamp, offer: &str, segment: &str, change: &OfferCounts) {
        for (level, length, keep) in self.levels() {
            let start = at.div_euclid(length) * length;
            // The common case: a pair already counted in its bucket, one lookup each.
            if let Some(counts) = (level.get_mut(&start))
                .and_then(|b| b.get_mut(offer))
                .and_then(|s| s.get_mut(segment))
            {
                counts.add(change);
                continue;
            }
            let full = level.len() >= keep && !level.contains_key(&start);
            if full && level.keys().next().is_some_and(|&oldest| start < oldest) {
                continue; // older than every bucket kept: it would be dropped at once
            }
            let bucket = level.entry(start).or_default();
            let known = bucket.get(offer).is_some_and(|s| s.contains_key(segment));
            let (offer, segment) = if known || named(bucket) < MAX_KPI_KEYS {
                (offer, segment)
            } else {
                (OTHER_OFFERS, "")
            };
            let segments = match bucket.get_mut(offer) {
                Some(segments) => segments,
                None => bucket.entry(offer.into()).or_default(),
            };
            match segments.get_mut(segment) {
                Some(counts) => counts.add(change),
                None => {
                    segments.insert(segment.into(), *change);
                }
            }
            while level.len() > keep {
                level.pop_first();
            }
        }
    }

    /// Adds `other`'s buckets, keeping the newest of the union. Fails, changing nothing, when a
    /// bucket would count more than [`MAX_KPI_KEYS`] named pairs.
    pub(crate) fn merge(&mut self, other: &Buckets) -> Result<(), Error> {
        for (mine, theirs) in [(&self.hours, &other.hours), (&self.days, &other.days)] {
            for (start, bucket) in theirs {
                let Some(own) = mine.get(start) else { continue };
                let new = bucket
                    .iter()
                    .filter(|(o, _)| *o != OTHER_OFFERS)
                    .flat_map(|(o, s)| s.keys().map(move |s| (o, s)))
                    .filter(|(o, s)| !own.get(*o).is_some_and(|m| m.contains_key(*s)))
                    .count();
                if named(own) + new > MAX_KPI_KEYS {
                    return Err(Error::new(
                        ErrorCode::LimitExceeded,
                        format!("a KPI bucket counts at most {MAX_KPI_KEYS} offers by name"),
                    ));
                }
            }
        }
        for ((level, _, keep), theirs) in self.levels().into_iter().zip([&other.hours, &other.days])
        {
            for (start, bucket) in theirs {
                let own = level.entry(*start).or_default();
                for (offer, segments) in bucket {
                    let own = own.entry(offer.clone()).or_default();
                    for (segment, counts) in segments {
                        own.entry(segment.clone()).or_default().add(counts);
                    }
                }
            }
            while level.len() > keep {
                level.pop_first();
            }
        }
        Ok(())
    }

    /// Every count at `resolution`: the bucket's start, the offer, the segment, the counts; by
    /// time, then offer, then segment.
    pub(crate) fn rows(
        &self,
        resolution: Resolution,
    ) -> impl Iterator<Item = (Timestamp, &str, &str, &OfferCounts)> {
        let level = match resolution {
            Resolution::Hour => &self.hours,
            Resolution::Day => &self.days,
        };
        level.iter().flat_map(|(start, bucket)| {
            bucket.iter().flat_map(move |(offer, segments)| {
                segments
                    .iter()
                    .map(move |(segment, c)| (*start, offer.as_str(), segment.as_str(), c))
            })
        })
    }
}

/// One encoded bucket: its start, and rows of (offer index, segment index, counts).
type WireBucket = (Timestamp, Vec<(u32, u32, OfferCounts)>);

/// The encoded form: the names once, then per bucket (offer, segment) as indexes into them.
#[derive(Serialize, Deserialize)]
pub(crate) struct Wire {
    offers: Vec<String>,
    segments: Vec<String>,
    hours: Vec<WireBucket>,
    days: Vec<WireBucket>,
}

impl From<&Buckets> for Wire {
    fn from(b: &Buckets) -> Wire {
        let all = || b.hours.values().chain(b.days.values());
        let offers: BTreeSet<&str> = all().flat_map(|x| x.keys().map(String::as_str)).collect();
        let segments: BTreeSet<&str> = all()
            .flat_map(|x| x.values().flat_map(|s| s.keys().map(String::as_str)))
            .collect();
        let numbered = |set: &BTreeSet<&str>| -> BTreeMap<String, u32> {
            (set.iter().zip(0u32..))
                .map(|(name, i)| (String::from(*name), i))
                .collect()
        };
        let (offer_index, segment_index) = (numbered(&offers), numbered(&segments));
        let index = |map: &BTreeMap<String, u32>, name: &str| map.get(name).copied().unwrap_or(0);
        let level = |l: &BTreeMap<Timestamp, Bucket>| {
            l.iter()
                .map(|(start, bucket)| {
                    let rows = bucket
                        .iter()
                        .flat_map(|(o, s)| s.iter().map(move |(s, c)| (o, s, c)))
                        .map(|(o, s, c)| (index(&offer_index, o), index(&segment_index, s), *c))
                        .collect();
                    (*start, rows)
                })
                .collect()
        };
        Wire {
            hours: level(&b.hours),
            days: level(&b.days),
            offers: offers.iter().map(|s| String::from(*s)).collect(),
            segments: segments.iter().map(|s| String::from(*s)).collect(),
        }
    }
}

impl Wire {
    /// The buckets, checked: names as offers and segments are, indexes in range, buckets on
    /// their boundaries and at most as many as kept, no pair twice, revenue not negative.
    pub(crate) fn check(self) -> Result<Buckets, Error> {
        for offer in &self.offers {
            crate::check::id("offer", offer, MAX_ID_LEN)?;
        }
        for segment in &self.segments {
            crate::check::text("segment", segment, MAX_NAME_LEN)?;
        }
        let invalid = |why: &str| Error::new(ErrorCode::InvalidData, String::from(why));
        let mut buckets = Buckets::default();
        let levels = [
            (self.hours, &mut buckets.hours, HOUR, KPI_HOURS),
            (self.days, &mut buckets.days, DAY, KPI_DAYS),
        ];
        for (wire, level, length, keep) in levels {
            if wire.len() > keep {
                return Err(invalid("more KPI buckets than are kept"));
            }
            for (start, rows) in wire {
                crate::check::timestamp("a bucket", start)?;
                if start % length != 0 || level.contains_key(&start) {
                    return Err(invalid("a KPI bucket off its boundary, or listed twice"));
                }
                if rows.len() > MAX_KPI_KEYS + 1 {
                    return Err(invalid("a KPI bucket with too many offers"));
                }
                let bucket = level.entry(start).or_default();
                for (o, s, counts) in rows {
                    let (Some(offer), Some(segment)) =
                        (self.offers.get(o as usize), self.segments.get(s as usize))
                    else {
                        return Err(invalid("a KPI row names no offer or segment"));
                    };
                    if counts.revenue < 0 {
                        return Err(invalid("negative revenue in a KPI row"));
                    }
                    let segments = bucket.entry(offer.clone()).or_default();
                    if segments.insert(segment.clone(), counts).is_some() {
                        return Err(invalid("a KPI row listed twice"));
                    }
                }
                if named(bucket) > MAX_KPI_KEYS {
                    return Err(invalid("a KPI bucket with too many offers"));
                }
            }
        }
        Ok(buckets)
    }
}
