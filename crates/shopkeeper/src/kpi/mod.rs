//! Proof that it pays: what personalized customers do against the universal control group,
//! counted live and merged by adding, and the lift between them ([`Lift`]).
//!
//! The comparison is **intention to treat**: every visitor belongs to an arm by the catalog's
//! control group (the documented hash of their profile id, [`Engine::in_control_group`]),
//! whether or not an offer was ever shown to them, so the arms differ only by the coin the hash
//! tossed. Per arm, [`Kpis`] counts the customers who arrived since a time `since` (their first
//! session, as live cohorts count visitors), those who bought, their orders, their revenue and
//! the sum of each customer's revenue squared (for the spread of revenue per customer). A
//! customer's outcome is all the purchases their profile knows, those made before their first
//! session included (nothing could have influenced them: they add spread, not bias). Counting
//! works as for live cohorts: a [`Profile::mark`] before an event, [`Kpis::record`] after it.
//!
//! The arm follows the profile's id, as the control group does (spec/catalog.md): a visitor who
//! logs in is bucketed again under the customer's id, so their later purchases may count in the
//! other arm. Every count is still a sum of what happened, and a fleet's merge adds up; only
//! between nodes that each saw part of a customer can an arm show more converters than
//! customers.
//!
//! Counts are whole numbers (the squares in 128 bits), so merging two nodes' KPIs is exact
//! addition.
//!
//! ```
//! use shopkeeper::kpi::Kpis;
//! use shopkeeper::{Event, Profile};
//!
//! let now = 1_795_500_000;
//! let mut kpis = Kpis::new(now - 86_400)?;
//! let mut visitor = Profile::anonymous("v-1")?;
//! for line in [
//!     r#"{"type": "session_start", "at": 1795490000, "channel": "web"}"#,
//!     r#"{"type": "purchase", "at": 1795490100, "channel": "web", "order": "o-1", "total": 4900,
//!         "lines": [{"product": "tent", "quantity": 1, "unit_price": 4900}]}"#,
//! ] {
//!     let before = visitor.mark();
//!     visitor.apply(&Event::from_json(line)?, now)?;
//!     // The arm: `engine.in_control_group(&visitor)` with the catalog's control group.
//!     kpis.record(before, &visitor, false);
//! }
//! assert_eq!(kpis.treatment().converters, 1);
//! assert_eq!(Kpis::from_bytes(&kpis.to_bytes()?)?, kpis);
//! # Ok::<(), shopkeeper::Error>(())
//! ```
//!
//! [`Engine::in_control_group`]: crate::decide::Engine::in_control_group

mod lift;
mod offers;

pub use lift::{Comparison, Interval, Lift, Verdict, MIN_CONVERSIONS, Z_95, Z_POWER_80};
pub use offers::{
    OfferCounts, Resolution, ATTRIBUTION_WINDOW, KPI_DAYS, KPI_HOURS, MAX_KPI_KEYS, OTHER_OFFERS,
};

use offers::Buckets;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::decide::DecisionLog;
use crate::limits::{MAX_ID_LEN, MAX_NAME_LEN};
use crate::profile::{Mark, Profile};
use crate::{codec, Error, ErrorCode, Event, EventKind, Money, Timestamp};

/// Largest encoded KPIs, in bytes.
pub const MAX_KPIS_LEN: usize = 32 * 1024 * 1024;

const MAGIC: [u8; 4] = *b"SKK\x01";
const KPIS_VERSION: u16 = 1;

/// What one arm's customers did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    /// Customers who arrived (first session) since the KPIs' `since`.
    pub customers: u64,
    /// Of them, those with a purchase.
    pub converters: u64,
    /// Their orders.
    pub orders: u64,
    /// What they paid, in minor units.
    pub revenue: Money,
    /// The sum over customers of what each paid, squared (minor units²).
    pub revenue_squares: u128,
}

impl ArmCounts {
    fn add(&mut self, other: &ArmCounts) {
        self.customers = self.customers.saturating_add(other.customers);
        self.converters = self.converters.saturating_add(other.converters);
        self.orders = self.orders.saturating_add(other.orders);
        self.revenue = self.revenue.saturating_add(other.revenue);
        self.revenue_squares = self.revenue_squares.saturating_add(other.revenue_squares);
    }
}

/// Live KPIs: the treatment arm and the control group, and what each offer did, in hourly and
/// daily buckets.
#[derive(Clone, Debug, PartialEq)]
pub struct Kpis {
    since: Timestamp,
    treatment: ArmCounts,
    control: ArmCounts,
    offers: Buckets,
}

/// A decision record's time, offers and segment, as a learner checks them.
fn check_record(decision: &DecisionLog) -> Result<(), Error> {
    crate::check::timestamp("now", decision.now)?;
    crate::check::text("segment", &decision.segment, MAX_NAME_LEN)?;
    for pick in decision.picks.iter() {
        crate::check::id("offer", &pick.offer, MAX_ID_LEN)?;
    }
    Ok(())
}

/// The encoded form.
#[derive(Serialize, Deserialize)]
struct Wire {
    since: Timestamp,
    treatment: ArmCounts,
    control: ArmCounts,
    offers: offers::Wire,
}

impl Kpis {
    /// No counts yet, following the customers whose first session starts at or after `since`
    /// (when counting starts; 0 counts every profile). Fails for a time out of range
    /// (`invalid_request`).
    pub fn new(since: Timestamp) -> Result<Kpis, Error> {
        crate::check::timestamp("since", since)
            .map_err(|e| Error::new(ErrorCode::InvalidRequest, e.message()))?;
        Ok(Kpis {
            since,
            treatment: ArmCounts::default(),
            control: ArmCounts::default(),
            offers: Buckets::default(),
        })
    }

    /// The earliest first session these KPIs follow.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// The treatment arm's counts.
    pub fn treatment(&self) -> ArmCounts {
        self.treatment
    }

    /// The control group's counts.
    pub fn control(&self) -> ArmCounts {
        self.control
    }

    /// What each offer did, bucket by bucket at `resolution`: the bucket's start (UTC), the
    /// offer, the learning segment (`""` for attributed orders and revenue), the counts; by
    /// time, then offer, then segment.
    pub fn offers(
        &self,
        resolution: Resolution,
    ) -> impl Iterator<Item = (Timestamp, &str, &str, &OfferCounts)> {
        self.offers.rows(resolution)
    }

    /// Counts a decision: each of its picks (the default action of a fallback too) once, in the
    /// decision's segment, at its time. Fails, counting nothing, for a time out of range or an
    /// offer or segment a learner would refuse (a record read from JSON is not checked).
    pub fn record_decision(&mut self, decision: &DecisionLog) -> Result<(), Error> {
        check_record(decision)?;
        let one = OfferCounts {
            decisions: 1,
            ..OfferCounts::default()
        };
        for pick in decision.picks.iter() {
            (self.offers).add(decision.now, &pick.offer, &decision.segment, &one);
        }
        Ok(())
    }

    /// Counts an `offer_shown`, `offer_accepted` or `offer_dismissed` event for an offer
    /// `decision` showed, in its segment, at the event's time; `Ok(false)`, counting nothing,
    /// for any other event or offer. Fails, counting nothing, as `record_decision` does, and for
    /// an event time out of range.
    pub fn record_offer(&mut self, decision: &DecisionLog, event: &Event) -> Result<bool, Error> {
        check_record(decision)?;
        crate::check::timestamp("at", event.at)?;
        let (offer, change) = match &event.kind {
            EventKind::OfferShown { offer } => (
                offer,
                OfferCounts {
                    shows: 1,
                    ..OfferCounts::default()
                },
            ),
            EventKind::OfferAccepted { offer } => (
                offer,
                OfferCounts {
                    accepts: 1,
                    ..OfferCounts::default()
                },
            ),
            EventKind::OfferDismissed { offer } => (
                offer,
                OfferCounts {
                    dismisses: 1,
                    ..OfferCounts::default()
                },
            ),
            _ => return Ok(false),
        };
        if !decision.showed(offer) {
            return Ok(false);
        }
        (self.offers).add(event.at, offer, &decision.segment, &change);
        Ok(true)
    }

    /// The lift of the treatment over the control group.
    pub fn lift(&self) -> Lift {
        Lift::of(&self.treatment, &self.control)
    }

    /// Counts what changed in `after` since `before` ([`Profile::mark`] of the profile before an
    /// event was applied), in the control group's counts when `control` is true (the engine's
    /// [`in_control_group`](crate::decide::Engine::in_control_group) for the profile), else in
    /// the treatment's. A first session at or after `since` makes a customer, with the purchases
    /// the profile already knows; later orders add. Wrap applied events only, never a merge.
    pub fn record(&mut self, before: Mark, after: &Profile, control: bool) {
        self.attribute(before, after);
        let now = after.mark();
        let arrived = after.first_session().is_some_and(|s| s.start >= self.since);
        if !now.visitor || !arrived {
            return;
        }
        // A new customer brings what they had already bought; a known one what this event added.
        let was = if before.visitor {
            before
        } else {
            Mark::default()
        };
        let square = |m: Money| {
            let m = u128::try_from(m.max(0)).unwrap_or(0);
            m * m
        };
        let change = ArmCounts {
            customers: u64::from(!before.visitor),
            converters: u64::from(was.orders == 0 && now.orders > 0),
            orders: u64::from(now.orders.saturating_sub(was.orders)),
            revenue: now.revenue.saturating_sub(was.revenue).max(0),
            revenue_squares: square(now.revenue).saturating_sub(square(was.revenue)),
        };
        let arm = if control {
            &mut self.control
        } else {
            &mut self.treatment
        };
        arm.add(&change);
    }

    /// New orders go to the offer accepted last within [`ATTRIBUTION_WINDOW`] before the latest
    /// purchase (last touch), whoever the customer is.
    fn attribute(&mut self, before: Mark, after: &Profile) {
        let purchases = after.purchases();
        let orders = purchases.count.saturating_sub(before.orders);
        let Some(at) = purchases.last_at.filter(|_| orders > 0) else {
            return;
        };
        let touch = after
            .offers()
            .iter()
            .filter_map(|(offer, h)| h.last_accepted.map(|t| (t, offer)))
            .filter(|&(t, _)| t <= at && at - t <= ATTRIBUTION_WINDOW)
            .max();
        if let Some((_, offer)) = touch {
            let change = OfferCounts {
                orders: u64::from(orders),
                revenue: purchases.total.saturating_sub(before.revenue).max(0),
                ..OfferCounts::default()
            };
            self.offers.add(at, offer, "", &change);
        }
    }

    /// Adds `other`'s counts (another node's). Fails, changing nothing, for KPIs since another
    /// time (`invalid_data`) or a bucket that would count more than [`MAX_KPI_KEYS`] offers
    /// (`limit_exceeded`).
    pub fn merge(&mut self, other: &Kpis) -> Result<(), Error> {
        if other.since != self.since {
            return Err(Error::new(
                ErrorCode::InvalidData,
                format!(
                    "cannot merge KPIs since {} and since {}",
                    self.since, other.since
                ),
            ));
        }
        self.offers.merge(&other.offers)?;
        self.treatment.add(&other.treatment);
        self.control.add(&other.control);
        Ok(())
    }

    /// The counts and the lift as JSON: `{"since", "treatment": {...}, "control": {...},
    /// "lift": {...}, "summary": "..."}` (the squares as a decimal string: they pass 2^53).
    pub fn to_json(&self) -> Result<String, Error> {
        #[derive(Serialize)]
        struct Arm {
            customers: u64,
            converters: u64,
            orders: u64,
            revenue: Money,
            revenue_squares: String,
        }
        #[derive(Serialize)]
        struct Row<'a> {
            at: Timestamp,
            offer: &'a str,
            segment: &'a str,
            #[serde(flatten)]
            counts: &'a OfferCounts,
        }
        #[derive(Serialize)]
        struct Offers<'a> {
            hours: Vec<Row<'a>>,
            days: Vec<Row<'a>>,
        }
        #[derive(Serialize)]
        struct Json<'a> {
            since: Timestamp,
            treatment: Arm,
            control: Arm,
            lift: Lift,
            summary: String,
            offers: Offers<'a>,
        }
        let rows = |r: Resolution| -> Vec<Row<'_>> {
            self.offers(r)
                .map(|(at, offer, segment, counts)| Row {
                    at,
                    offer,
                    segment,
                    counts,
                })
                .collect()
        };
        let arm = |a: &ArmCounts| Arm {
            customers: a.customers,
            converters: a.converters,
            orders: a.orders,
            revenue: a.revenue,
            revenue_squares: format!("{}", a.revenue_squares),
        };
        let lift = self.lift();
        let json = Json {
            since: self.since,
            treatment: arm(&self.treatment),
            control: arm(&self.control),
            summary: lift.summary(),
            lift,
            offers: Offers {
                hours: rows(Resolution::Hour),
                days: rows(Resolution::Day),
            },
        };
        serde_json::to_string(&json).map_err(|e| Error::new(ErrorCode::Internal, format!("{e}")))
    }

    /// The binary form: the envelope (magic `SKK\x01`, version 1) around postcard. Fails with
    /// `limit_exceeded` past [`MAX_KPIS_LEN`] bytes (thousands of offers in every bucket, with
    /// huge counts), which could not be read back.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let wire = Wire {
            since: self.since,
            treatment: self.treatment,
            control: self.control,
            offers: offers::Wire::try_from(&self.offers)?,
        };
        let bytes = codec::encode(MAGIC, KPIS_VERSION, &wire)?;
        if bytes.len() > MAX_KPIS_LEN {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "these KPIs encode to {} bytes, more than the {MAX_KPIS_LEN} that are read back",
                    bytes.len()
                ),
            ));
        }
        Ok(bytes)
    }

    /// Reads and checks the binary form: `since` in range; in each arm no more converters than
    /// orders and revenue not negative. (Converters may outnumber customers: a node can see a
    /// customer's purchase and another their arrival; the lift reads such an arm as all bought.)
    pub fn from_bytes(bytes: &[u8]) -> Result<Kpis, Error> {
        let wire: Wire = codec::decode(MAGIC, KPIS_VERSION, MAX_KPIS_LEN, bytes)?;
        let invalid = |why: String| Error::new(ErrorCode::DecodeInvalid, why);
        let kpis = Kpis {
            since: wire.since,
            treatment: wire.treatment,
            control: wire.control,
            offers: (wire.offers.check()).map_err(|e| invalid(e.message().into()))?,
        };
        crate::check::timestamp("since", kpis.since).map_err(|e| invalid(e.message().into()))?;
        for (name, a) in [("treatment", &kpis.treatment), ("control", &kpis.control)] {
            let fine = a.converters <= a.orders && a.revenue >= 0;
            if !fine {
                return Err(invalid(format!(
                    "{name}: counts that no customers could give"
                )));
            }
        }
        Ok(kpis)
    }
}
