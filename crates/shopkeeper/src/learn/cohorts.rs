//! Cohorts, counted live: what visitors from each source do, counted from events as they are
//! applied, so that a fleet learns a source's conversion together (the fitted cohorts of the
//! models file, `score::Cohorts`, say what its *customers* were worth; these say how many of its
//! *visitors* buy at all, today).
//!
//! Counts are whole numbers per source: visitors (profiles whose first session came from it),
//! first purchases, orders and revenue. A profile counts from its first session on, in the source
//! of that session ([`source_of`](crate::score::source_of)), when that session started at or after
//! the counts' `since`: the counts follow the visitors who *arrived* since then (an acquisition
//! cohort), so a customer who first came last year adds no first purchase to this year's counts.
//! Two nodes' counts merge by adding, so merging is exactly commutative and associative
//! (property-tested); a fleet sums the contributions each node owns. Counts never decay: to
//! forget, start new counts with a later `since`.
//!
//! ```
//! use shopkeeper::learn::CohortCounts;
//! use shopkeeper::score::CohortKey;
//! use shopkeeper::{Event, Profile};
//!
//! let now = 1_795_500_000;
//! let mut counts = CohortCounts::new(CohortKey::Affiliate, now - 86_400)?;
//! let mut visitor = Profile::anonymous("a-1")?;
//! let event = Event::from_json(&format!(
//!     r#"{{"type":"session_start","at":{now},"channel":"web","affiliate":"gadgets.com"}}"#
//! ))?;
//! // Around each applied event: what the profile had before, then what changed.
//! let before = visitor.mark();
//! visitor.apply(&event, now)?;
//! counts.record(before, &visitor);
//! assert_eq!(counts.source("gadgets.com").visitors, 1);
//!
//! // Counts travel as small, versioned bytes and merge by adding.
//! let mut fleet = CohortCounts::from_bytes(&counts.to_bytes()?)?;
//! fleet.merge(&counts)?;
//! assert_eq!(fleet.source("gadgets.com").visitors, 2);
//! # Ok::<(), shopkeeper::Error>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_LIVE_COHORTS, MAX_TEXT_LEN};
use crate::profile::{Mark, Profile};
use crate::score::{source_of, CohortKey};
use crate::{codec, Error, ErrorCode, Money, Timestamp};

/// Largest encoded cohort counts, in bytes.
pub const MAX_COHORT_COUNTS_LEN: usize = 4 * 1024 * 1024;

/// Where visitors from new sources are counted once `MAX_LIVE_COHORTS - 1` named sources are
/// held (the last place is kept for it): an event is never lost to a full table. A source that is
/// not in the table reads no visitors of its own, and converts like the population.
pub const OTHER_SOURCES: &str = "(other)";

const MAGIC: [u8; 4] = *b"SKC\x01";
const COUNTS_VERSION: u16 = 1;

/// What one source's visitors did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCounts {
    /// Profiles whose first session came from the source.
    pub visitors: u64,
    /// Of them, those who made a first purchase.
    pub first_purchases: u64,
    /// Their orders.
    pub orders: u64,
    /// What they paid, in minor units.
    pub revenue: Money,
}

impl SourceCounts {
    fn add(&mut self, other: &SourceCounts) {
        self.visitors = self.visitors.saturating_add(other.visitors);
        self.first_purchases = self.first_purchases.saturating_add(other.first_purchases);
        self.orders = self.orders.saturating_add(other.orders);
        self.revenue = self.revenue.saturating_add(other.revenue);
    }

    fn is_empty(&self) -> bool {
        *self == SourceCounts::default()
    }
}

/// Live counts per source of visitors, first purchases, orders and revenue.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortCounts {
    by: CohortKey,
    since: Timestamp,
    sources: BTreeMap<String, SourceCounts>,
    /// Every source together, kept as counts change so a read costs one lookup.
    all: SourceCounts,
}

impl CohortCounts {
    /// No counts yet, for cohorts named by `by` (the models' cohort key,
    /// [`Models::cohort_key`](crate::score::Models::cohort_key)), following the visitors whose
    /// first session starts at or after `since` (when counting starts; 0 counts every profile,
    /// as when replaying a whole history). Fails for a time out of range (`invalid_request`).
    pub fn new(by: CohortKey, since: Timestamp) -> Result<CohortCounts, Error> {
        crate::check::timestamp("since", since)
            .map_err(|e| Error::new(ErrorCode::InvalidRequest, e.message()))?;
        Ok(CohortCounts {
            by,
            since,
            sources: BTreeMap::new(),
            all: SourceCounts::default(),
        })
    }

    /// Which field of the first session names a visitor's cohort.
    pub fn by(&self) -> CohortKey {
        self.by
    }

    /// The earliest first session these counts follow.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// Sources held by name, `(other)` left out.
    fn named(&self) -> usize {
        self.sources.len() - usize::from(self.sources.contains_key(OTHER_SOURCES))
    }

    /// Sources held.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// One source's counts (zero for a source never seen).
    pub fn source(&self, source: &str) -> SourceCounts {
        self.sources.get(source).copied().unwrap_or_default()
    }

    /// Every source together.
    pub fn population(&self) -> SourceCounts {
        self.all
    }

    /// Every source and its counts, by name.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &SourceCounts)> {
        self.sources.iter().map(|(name, c)| (name.as_str(), c))
    }

    /// The share of `source`'s visitors who made a first purchase, pulled toward the whole
    /// population's share by `prior` visitors' worth: `(first purchases + prior · p) / (visitors
    /// + prior)`, where `p` is every source's first purchases over every source's visitors (the
    /// same shrinkage as the fitted cohorts, so 3 visitors cannot make a source look perfect).
    /// At most 1. `None` before any visitor, or for a prior that is not a positive number.
    pub fn conversion(&self, source: &str, prior: f64) -> Option<f64> {
        if !(prior.is_finite() && prior > 0.0) || self.all.visitors == 0 {
            return None;
        }
        let rate = |c: &SourceCounts| c.first_purchases as f64 / c.visitors as f64;
        let own = self.source(source);
        let v = own.visitors as f64;
        let w = v / (v + prior);
        let mine = if own.visitors == 0 { 0.0 } else { rate(&own) };
        Some((w * mine + (1.0 - w) * rate(&self.all)).min(1.0))
    }

    /// Counts what changed in `after` since `before` ([`Profile::mark`] of the same profile before
    /// an event was applied to it): a first session makes a visitor; new orders and their
    /// revenue count, the first as a first purchase. Only visitors count (a profile with no
    /// session, such as a till-only customer, has no source), and only those whose first session
    /// started at or after [`since`](Self::since). Wrap applied events only, never a `merge`:
    /// the other profile's activity was counted where it happened.
    pub fn record(&mut self, before: Mark, after: &Profile) {
        let now = after.mark();
        let arrived = after.first_session().is_some_and(|s| s.start >= self.since);
        if !now.visitor || !arrived {
            return;
        }
        let orders = now.orders.saturating_sub(before.orders);
        let change = SourceCounts {
            visitors: u64::from(!before.visitor),
            first_purchases: u64::from(before.orders == 0 && now.orders > 0),
            orders: u64::from(orders),
            revenue: if orders > 0 {
                now.revenue.saturating_sub(before.revenue).max(0)
            } else {
                0
            },
        };
        if change.is_empty() {
            return;
        }
        let mut source = source_of(self.by, after);
        if !self.sources.contains_key(&source) && self.named() + 1 >= MAX_LIVE_COHORTS {
            source = OTHER_SOURCES.into();
        }
        self.sources.entry(source).or_default().add(&change);
        self.all.add(&change);
    }

    /// Adds `other`'s counts (another node's) into these. Fails, changing nothing, when they
    /// name cohorts by another field or follow visitors since another time (`invalid_data`), or
    /// when the union would hold more than `MAX_LIVE_COHORTS - 1` named sources
    /// (`limit_exceeded`).
    pub fn merge(&mut self, other: &CohortCounts) -> Result<(), Error> {
        if (other.by, other.since) != (self.by, self.since) {
            return Err(Error::new(
                ErrorCode::InvalidData,
                format!(
                    "cannot merge cohort counts by {} since {} and by {} since {}",
                    self.by.as_str(),
                    self.since,
                    other.by.as_str(),
                    other.since
                ),
            ));
        }
        let new = other
            .sources
            .keys()
            .filter(|s| *s != OTHER_SOURCES && !self.sources.contains_key(*s))
            .count();
        if self.named() + new >= MAX_LIVE_COHORTS {
            return Err(too_many());
        }
        for (source, counts) in &other.sources {
            match self.sources.get_mut(source) {
                Some(mine) => mine.add(counts),
                None => {
                    self.sources.insert(source.clone(), *counts);
                }
            }
        }
        self.all.add(&other.all);
        Ok(())
    }

    /// The counts as JSON: `{"by": "affiliate", "since": 1795400000, "sources": {"gadgets.com":
    /// {"visitors": 1, ...}}}`.
    pub fn to_json(&self) -> Result<String, Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            by: CohortKey,
            since: Timestamp,
            sources: &'a BTreeMap<String, SourceCounts>,
        }
        let json = Json {
            by: self.by,
            since: self.since,
            sources: &self.sources,
        };
        serde_json::to_string(&json).map_err(|e| Error::new(ErrorCode::Internal, format!("{e}")))
    }

    /// The binary form: the envelope (magic `SKC\x01`, version 1) around postcard.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        codec::encode(MAGIC, COUNTS_VERSION, &Wire::from(self))
    }

    /// Reads and checks the binary form: at most [`MAX_COHORT_COUNTS_LEN`] bytes and
    /// `MAX_LIVE_COHORTS - 1` named sources (and `(other)`), names as sessions carry them, no
    /// source listed twice or empty, first purchases no more than orders, revenue not negative,
    /// `since` in range.
    pub fn from_bytes(bytes: &[u8]) -> Result<CohortCounts, Error> {
        let wire: Wire = codec::decode(MAGIC, COUNTS_VERSION, MAX_COHORT_COUNTS_LEN, bytes)?;
        wire.check()
            .map_err(|e| Error::new(ErrorCode::DecodeInvalid, e.message()))
    }
}

fn too_many() -> Error {
    Error::new(
        ErrorCode::LimitExceeded,
        format!(
            "cohort counts hold at most {} named sources, and {OTHER_SOURCES}",
            MAX_LIVE_COHORTS - 1
        ),
    )
}

/// The encoded form: the key and the sources in name order (a list, so a source listed twice
/// is seen rather than overwritten).
#[derive(Serialize, Deserialize)]
struct Wire {
    by: CohortKey,
    since: Timestamp,
    sources: Vec<(String, SourceCounts)>,
}

impl From<&CohortCounts> for Wire {
    fn from(counts: &CohortCounts) -> Wire {
        Wire {
            by: counts.by,
            since: counts.since,
            sources: counts
                .sources
                .iter()
                .map(|(s, c)| (s.clone(), *c))
                .collect(),
        }
    }
}

impl Wire {
    fn check(self) -> Result<CohortCounts, Error> {
        if self.sources.len() > MAX_LIVE_COHORTS {
            return Err(too_many());
        }
        let mut counts = CohortCounts::new(self.by, self.since)?;
        for (source, c) in self.sources {
            crate::check::id("source", &source, MAX_TEXT_LEN)?;
            if c.first_purchases > c.orders || c.revenue < 0 || c.is_empty() {
                return Err(Error::new(
                    ErrorCode::InvalidNumber,
                    format!("source {source:?}: counts must be positive, first purchases at most the orders, revenue not negative"),
                ));
            }
            if counts.sources.insert(source, c).is_some() {
                return Err(Error::new(ErrorCode::InvalidData, "a source appears twice"));
            }
            counts.all.add(&c);
        }
        if counts.named() >= MAX_LIVE_COHORTS {
            return Err(too_many());
        }
        Ok(counts)
    }
}
