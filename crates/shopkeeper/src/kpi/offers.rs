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
use crate::{BoundedVec, Error, ErrorCode, Money, Timestamp};

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

/// One bucket: offer, then segment; and how many pairs it counts by name ([`OTHER_OFFERS`] left
/// out), kept as pairs are added so the cap costs nothing to check.
#[derive(Clone, Debug, Default, PartialEq)]
struct Bucket {
    pairs: BTreeMap<String, BTreeMap<String, OfferCounts>>,
    named: usize,
}

impl Bucket {
    /// Adds `change` to the pair, creating it if new.
    fn add(&mut self, offer: &str, segment: &str, change: &OfferCounts) {
        let segments = match self.pairs.get_mut(offer) {
            Some(segments) => segments,
            None => self.pairs.entry(offer.into()).or_default(),
        };
        match segments.get_mut(segment) {
            Some(counts) => counts.add(change),
            None => {
                segments.insert(segment.into(), *change);
                self.named += usize::from(offer != OTHER_OFFERS);
            }
        }
    }

    fn has(&self, offer: &str, segment: &str) -> bool {
        self.pairs
            .get(offer)
            .is_some_and(|s| s.contains_key(segment))
    }
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

    /// Adds `change` to `offer` in `segment` at `at` (a checked time), in its hour and its day.
    /// An offer named [`OTHER_OFFERS`] counts with segment `""`, so that name holds one pair.
    pub(crate) fn add(&mut self, at: Timestamp, offer: &str, segment: &str, change: &OfferCounts) {
        let segment = if offer == OTHER_OFFERS { "" } else { segment };
        for (level, length, keep) in self.levels() {
            let start = at.div_euclid(length) * length;
            // The common case: a pair already counted in its bucket, one lookup each.
            if let Some(counts) = (level.get_mut(&start))
                .and_then(|b| b.pairs.get_mut(offer))
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
            if bucket.has(offer, segment) || bucket.named < MAX_KPI_KEYS {
                bucket.add(offer, segment, change);
            } else {
                bucket.add(OTHER_OFFERS, "", change);
            }
            while level.len() > keep {
                level.pop_first();
            }
        }
    }

    /// Adds `other`'s buckets, keeping the newest of the union. Fails, changing nothing, when a
    /// bucket would count more than [`MAX_KPI_KEYS`] named pairs.
    pub(crate) fn merge(&mut self, other: &Buckets) -> Result<(), Error> {
        let levels = [
            (&self.hours, &other.hours, KPI_HOURS),
            (&self.days, &other.days, KPI_DAYS),
        ];
        for (mine, theirs, keep) in levels {
            // Only the buckets the union keeps: the cap must not refuse what is dropped anyway.
            let starts: BTreeSet<Timestamp> = mine.keys().chain(theirs.keys()).copied().collect();
            let oldest_kept = starts.iter().rev().nth(keep - 1).copied();
            for (start, bucket) in theirs {
                if oldest_kept.is_some_and(|oldest| *start < oldest) {
                    continue;
                }
                let Some(own) = mine.get(start) else { continue };
                let new = (bucket.pairs.iter())
                    .filter(|(o, _)| *o != OTHER_OFFERS)
                    .flat_map(|(o, s)| s.keys().map(move |s| (o, s)))
                    .filter(|(o, s)| !own.has(o, s))
                    .count();
                if own.named + new > MAX_KPI_KEYS {
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
                for (offer, segments) in &bucket.pairs {
                    for (segment, counts) in segments {
                        own.add(offer, segment, counts);
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
            bucket.pairs.iter().flat_map(move |(offer, segments)| {
                segments
                    .iter()
                    .map(move |(segment, c)| (*start, offer.as_str(), segment.as_str(), c))
            })
        })
    }
}

/// Names one encoding lists at most: every pair of every kept bucket could name a new one.
const MAX_WIRE_NAMES: usize = (KPI_HOURS + KPI_DAYS) * (MAX_KPI_KEYS + 1);

/// One encoded bucket: its start, and rows of (offer index, segment index, counts).
type WireBucket = (
    Timestamp,
    BoundedVec<(u32, u32, OfferCounts), { MAX_KPI_KEYS + 1 }>,
);

/// The encoded form: the names once, then per bucket (offer, segment) as indexes into them.
/// Every list is bounded while it is read, so no input makes decoding hold more than the caps.
#[derive(Serialize, Deserialize)]
pub(crate) struct Wire {
    offers: BoundedVec<String, MAX_WIRE_NAMES>,
    segments: BoundedVec<String, MAX_WIRE_NAMES>,
    hours: BoundedVec<WireBucket, KPI_HOURS>,
    days: BoundedVec<WireBucket, KPI_DAYS>,
}

impl TryFrom<&Buckets> for Wire {
    type Error = Error;

    fn try_from(b: &Buckets) -> Result<Wire, Error> {
        let all = || b.hours.values().chain(b.days.values());
        let offers: BTreeSet<&str> = all()
            .flat_map(|x| x.pairs.keys().map(String::as_str))
            .collect();
        let segments: BTreeSet<&str> = all()
            .flat_map(|x| x.pairs.values().flat_map(|s| s.keys().map(String::as_str)))
            .collect();
        let numbered = |set: &BTreeSet<&str>| -> BTreeMap<String, u32> {
            (set.iter().zip(0u32..))
                .map(|(name, i)| (String::from(*name), i))
                .collect()
        };
        let (offer_index, segment_index) = (numbered(&offers), numbered(&segments));
        let index = |map: &BTreeMap<String, u32>, name: &str| map.get(name).copied().unwrap_or(0);
        let bounded = |what: &str| {
            Error::new(
                ErrorCode::Internal,
                format!("KPIs hold more {what} than their caps"),
            )
        };
        let level = |l: &BTreeMap<Timestamp, Bucket>| -> Result<Vec<WireBucket>, Error> {
            l.iter()
                .map(|(start, bucket)| {
                    let rows: Vec<_> = (bucket.pairs.iter())
                        .flat_map(|(o, s)| s.iter().map(move |(s, c)| (o, s, c)))
                        .map(|(o, s, c)| (index(&offer_index, o), index(&segment_index, s), *c))
                        .collect();
                    Ok((*start, rows.try_into().map_err(|_| bounded("rows"))?))
                })
                .collect()
        };
        let names = |set: &BTreeSet<&str>| -> Result<BoundedVec<String, MAX_WIRE_NAMES>, Error> {
            let all: Vec<String> = set.iter().map(|s| String::from(*s)).collect();
            all.try_into().map_err(|_| bounded("names"))
        };
        Ok(Wire {
            hours: level(&b.hours)?.try_into().map_err(|_| bounded("hours"))?,
            days: level(&b.days)?.try_into().map_err(|_| bounded("days"))?,
            offers: names(&offers)?,
            segments: names(&segments)?,
        })
    }
}

impl Wire {
    /// The buckets, checked: names as offers and segments are, indexes in range, buckets on
    /// their boundaries and at most as many as kept, no pair twice, revenue not negative.
    pub(crate) fn check(self) -> Result<Buckets, Error> {
        for offer in self.offers.iter() {
            crate::check::id("offer", offer, MAX_ID_LEN)?;
        }
        for segment in self.segments.iter() {
            crate::check::text("segment", segment, MAX_NAME_LEN)?;
        }
        let invalid = |why: &str| Error::new(ErrorCode::InvalidData, String::from(why));
        let mut buckets = Buckets::default();
        let levels: [(&[WireBucket], _, _); 2] = [
            (&self.hours, &mut buckets.hours, HOUR),
            (&self.days, &mut buckets.days, DAY),
        ];
        for (wire, level, length) in levels {
            for (start, rows) in wire.iter() {
                let (start, rows) = (*start, rows.iter().copied());
                crate::check::timestamp("a bucket", start)?;
                if start % length != 0 || level.contains_key(&start) {
                    return Err(invalid("a KPI bucket off its boundary, or listed twice"));
                }
                let bucket = level.entry(start).or_default();
                for (o, s, counts) in rows {
                    let (Some(offer), Some(segment)) =
                        (self.offers.get(o as usize), self.segments.get(s as usize))
                    else {
                        return Err(invalid("a KPI row names no offer or segment"));
                    };
                    if counts.revenue < 0 || (offer == OTHER_OFFERS && !segment.is_empty()) {
                        return Err(invalid("negative revenue, or (other) with a segment"));
                    }
                    if bucket.has(offer, segment) {
                        return Err(invalid("a KPI row listed twice"));
                    }
                    bucket.add(offer, segment, &counts);
                }
                if bucket.named > MAX_KPI_KEYS {
                    return Err(invalid("a KPI bucket with too many offers"));
                }
            }
        }
        Ok(buckets)
    }
}
