//! Where a fleet keeps what its processes share: profiles as their versioned bytes under
//! compare-and-set, the aliases of visitors merged into customers, each node's contribution slot
//! (learner, KPIs, budget counters, cohort counts: `shopkeeper::fleet`), and decision logs.
//!
//! Two stores implement [`Store`]: [`MemoryStore`], the embedded default (one process, nothing to
//! start), and [`RedisStore`], for a fleet on an existing Redis (every key names its hash tag, so
//! a cluster-aware client can shard them). Nothing here is a server of its own.
//!
//! A profile changes only through [`update_profile`]: read the bytes and their version, apply the
//! change to the decoded profile, write back if the version is still the one read, else read
//! again and retry. Two processes updating one customer at once both land, one after the other:
//! no lost update. Events go through [`apply_event`], which routes them as
//! `shopkeeper::fleet::Directory` does: aliases lead visitors to customers, and an identify moves
//! the visitor's profile into the customer's once, even with two processes at it (`route.rs`).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod memory;
mod redis_store;
mod route;
pub mod server;

pub use memory::{MemoryStore, MEMORY_LOG_BYTES, MEMORY_LOG_LINES};
pub use redis_store::{RedisStore, CONNECTIONS};
pub use route::{apply_event, read_profile, Applied};

use std::fmt;

use shopkeeper::Profile;

/// Tries of a compare-and-set before [`update_profile`] gives up.
pub const MAX_TRIES: u32 = 64;

/// A profile's bytes and their version: 1 for the first write, one more for each after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    /// Bumped by each write.
    pub version: u64,
    /// The profile's envelope bytes (`Profile::to_bytes`).
    pub bytes: Vec<u8>,
}

/// One node's published contribution: its sequence and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The node that published it.
    pub node: String,
    /// The node's own counter: a newer publication has a higher one.
    pub sequence: u64,
    /// The contribution's envelope bytes (`Learner::to_bytes`, `Budgets::to_bytes`...).
    pub bytes: Vec<u8>,
}

/// Why a store call failed.
#[derive(Debug)]
pub enum StoreError {
    /// The store cannot be reached or refused the call (Redis down, a timeout): retry later. A
    /// write may have landed before the reply was lost: [`update_profile`] again reads the
    /// version written and applies its change once more, so callers retry only changes that
    /// count once (an event with its order id, a response to its decision).
    Unavailable(String),
    /// What the store holds cannot be read as a profile (a core error: its code says why).
    Core(shopkeeper::Error),
    /// The profile was moved into customer `into`'s by an identify (on any process): the move
    /// is finished; apply the change there ([`apply_event`] follows it by itself).
    Moved {
        /// The customer's id.
        into: String,
    },
    /// Every try of a compare-and-set met a newer version: too much contention.
    Contended {
        /// The tries made.
        tries: u32,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Unavailable(why) => write!(f, "the store is unavailable: {why}"),
            StoreError::Core(e) => write!(f, "{e}"),
            StoreError::Moved { into } => write!(f, "the profile moved into {into:?}'s"),
            StoreError::Contended { tries } => {
                write!(f, "{tries} tries met a newer version of the profile")
            }
        }
    }
}

impl StoreError {
    /// A stable snake_case code: the core's for [`StoreError::Core`], else `store_unavailable`,
    /// `moved` or `contended`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Unavailable(_) => "store_unavailable",
            StoreError::Core(e) => e.code().as_str(),
            StoreError::Moved { .. } => "moved",
            StoreError::Contended { .. } => "contended",
        }
    }
}

impl std::error::Error for StoreError {}

impl From<shopkeeper::Error> for StoreError {
    fn from(e: shopkeeper::Error) -> Self {
        StoreError::Core(e)
    }
}

/// What a fleet's processes share. Every call is one round trip and atomic on its own.
pub trait Store: Send + Sync {
    /// The customer's profile bytes and version, if stored.
    fn profile(&self, customer: &str) -> Result<Option<Versioned>, StoreError>;

    /// Writes `bytes` as the customer's profile if its version is still `expected` (0: not
    /// stored yet): the new version, or `None` when another write came first.
    fn put_profile(
        &self,
        customer: &str,
        expected: u64,
        bytes: &[u8],
    ) -> Result<Option<u64>, StoreError>;

    /// Writes `bytes` as [`Store::put_profile`] does and, in the same atomic step, records that
    /// `visitor`'s profile is merged into the customer's ([`Store::merged`]).
    fn put_merged(
        &self,
        customer: &str,
        expected: u64,
        bytes: &[u8],
        visitor: &str,
    ) -> Result<Option<u64>, StoreError>;

    /// Whether `visitor`'s profile was merged into the customer's by [`Store::put_merged`].
    fn merged(&self, customer: &str, visitor: &str) -> Result<bool, StoreError>;

    /// The customer an anonymous id was merged into, if it was.
    fn alias(&self, anonymous: &str) -> Result<Option<String>, StoreError>;

    /// Records that `anonymous` was merged into `customer`.
    fn set_alias(&self, anonymous: &str, customer: &str) -> Result<(), StoreError>;

    /// Keeps `node`'s contribution of `kind` (`learner`, `kpis`, `budgets`, `cohorts`) at
    /// `sequence` when newer than the one held: `true` if it replaced it.
    fn publish(
        &self,
        kind: &str,
        node: &str,
        sequence: u64,
        bytes: &[u8],
    ) -> Result<bool, StoreError>;

    /// Every node's latest contribution of `kind`, by node id.
    fn slots(&self, kind: &str) -> Result<Vec<Slot>, StoreError>;

    /// Keeps the record (`shopkeeper::decide::DecisionLog` JSON) of the decision that last
    /// showed `offer` to the customer, for [`Store::take_shown`].
    fn set_shown(&self, customer: &str, offer: &str, record: &str) -> Result<(), StoreError>;

    /// Puts back a record [`Store::take_shown`] took, unless a newer one was kept since.
    fn restore_shown(&self, customer: &str, offer: &str, record: &str) -> Result<(), StoreError>;

    /// Takes the record kept by [`Store::set_shown`], atomically: of many processes taking it
    /// at once, one gets it. A response is credited to its decision once.
    fn take_shown(&self, customer: &str, offer: &str) -> Result<Option<String>, StoreError>;

    /// Appends one decision-log line (`shopkeeper::decide::LogEntry` JSON).
    fn append_log(&self, line: &str) -> Result<(), StoreError>;

    /// The log lines appended so far, oldest first (at most `limit`).
    fn log(&self, limit: usize) -> Result<Vec<String>, StoreError>;
}

/// What [`update_profile`] did: its change's result, the version written, and how many tries
/// met a newer version first.
#[derive(Debug)]
pub struct Updated<T> {
    /// What the change returned, on the try that was written.
    pub value: T,
    /// The version written.
    pub version: u64,
    /// The profile as written.
    pub profile: Profile,
    /// Tries that met a newer version before this one.
    pub retries: u32,
}

/// Applies `change` to the customer's profile under compare-and-set: reads it (or makes it with
/// `create` when not stored), applies `change`, writes it back if no one wrote in between, and
/// otherwise tries again from a fresh read (after a short pause that doubles each time), at most
/// [`MAX_TRIES`] times. `change` may run more than once, each time on the freshly read profile;
/// an error from it, or a change of the profile's id, writes nothing.
pub fn update_profile<T>(
    store: &dyn Store,
    customer: &str,
    create: impl Fn() -> Result<Profile, shopkeeper::Error>,
    mut change: impl FnMut(&mut Profile) -> Result<T, shopkeeper::Error>,
) -> Result<Updated<T>, StoreError> {
    for retries in 0..MAX_TRIES {
        if retries > 0 {
            std::thread::sleep(std::time::Duration::from_micros(20 << retries.min(8)));
        }
        let (expected, mut profile) = match store.profile(customer)? {
            Some(stored) => match route::Moved::from_bytes(&stored.bytes)? {
                Some(moved) => {
                    route::finish(store, customer, &moved)?;
                    return Err(StoreError::Moved { into: moved.into });
                }
                None => (stored.version, Profile::from_bytes(&stored.bytes)?),
            },
            None => (0, create()?),
        };
        let value = change(&mut profile)?;
        if profile.id() != customer {
            // An identify renames the profile: routing (`fleet::Directory`'s rules) moves it.
            return Err(StoreError::Core(shopkeeper::Error::new(
                shopkeeper::ErrorCode::InvalidData,
                format!(
                    "the change made {customer:?}'s profile {:?}'s: not written",
                    profile.id()
                ),
            )));
        }
        if let Some(version) = store.put_profile(customer, expected, &profile.to_bytes()?)? {
            return Ok(Updated {
                value,
                version,
                profile,
                retries,
            });
        }
    }
    Err(StoreError::Contended { tries: MAX_TRIES })
}
