//! A profile's mark: the few numbers live statistics compare before and after an event, so that
//! what the fold did (an order delivered twice, a late first session) is what they count.

use super::Profile;
use crate::Money;

/// What a profile had before an event ([`Profile::mark`]), for
/// [`CohortCounts::record`](crate::learn::CohortCounts::record) and
/// [`Kpis::record`](crate::kpi::Kpis::record) to count what the event changed: a few numbers,
/// copied without allocating.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// Whether the profile had a first session.
    pub visitor: bool,
    /// Its orders.
    pub orders: u32,
    /// What it paid, in minor units.
    pub revenue: Money,
}

impl Profile {
    /// What this profile has now: take it before applying an event, and hand it with the
    /// profile after to the live statistics that count what changed.
    pub fn mark(&self) -> Mark {
        let purchases = self.purchases();
        Mark {
            visitor: self.first_session().is_some(),
            orders: purchases.count,
            revenue: purchases.total,
        }
    }
}
