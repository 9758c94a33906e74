//! The fleet's routing rules (`shopkeeper::fleet::Directory`'s) on a shared store, where two
//! processes may handle the same visitor at once: an event goes to the profile its id leads to,
//! and an identify moves the visitor's profile into the customer's **once**.
//!
//! The move, in steps that each are one compare-and-set, so a process may stop between any two
//! and whoever comes next finishes it:
//! 1. the visitor's key is replaced, at the version read, by a **forwarding record**: the
//!    customer's id and the visitor's profile with the identify applied. A writer that read the
//!    visitor before fails its compare-and-set and, reading again, finds the record;
//! 2. the profile in the record is merged into the customer's, unless the store marks the
//!    visitor as merged there already; the merged profile and the mark are written in one
//!    atomic step (`Store::put_merged`), so nothing is merged twice, however many merges come
//!    after (a profile lists only its newest anonymous ids: no proof of an old merge);
//! 3. the visitor's id is aliased to the customer, so later events skip the record.
//!
//! Whoever finds a forwarding record (step 1 done, 2 or 3 not yet) does 2 and 3, then applies
//! its own event to the customer.

use shopkeeper::listen::Listener;
use shopkeeper::profile::Mark;
use shopkeeper::{Event, EventKind, Outcome, Profile, Timestamp};

use crate::{update_profile, Store, StoreError, MAX_TRIES};

/// Marks a forwarding record: `SKM\x01`, the customer id's length (u16, little-endian), the id,
/// then the moved profile's bytes.
const MOVED: [u8; 4] = *b"SKM\x01";

/// A visitor's profile moved into a customer's.
pub(crate) struct Moved {
    pub(crate) into: String,
    pub(crate) profile: Profile,
}

impl Moved {
    fn to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let id = self.into.as_bytes();
        let len = u16::try_from(id.len()).map_err(|_| corrupt("a customer id too long"))?;
        let mut out = MOVED.to_vec();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(&self.profile.to_bytes()?);
        Ok(out)
    }

    /// The record in `bytes`, if they are one.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Option<Moved>, StoreError> {
        let Some(rest) = bytes.strip_prefix(&MOVED[..]) else {
            return Ok(None);
        };
        let (len, rest) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| corrupt("a forwarding record without its length"))?;
        let len = usize::from(u16::from_le_bytes(*len));
        if rest.len() < len {
            return Err(corrupt("a forwarding record cut short"));
        }
        let (id, profile) = rest.split_at(len);
        let into =
            String::from_utf8(id.to_vec()).map_err(|_| corrupt("a customer id not UTF-8"))?;
        Ok(Some(Moved {
            into,
            profile: Profile::from_bytes(profile)?,
        }))
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Core(shopkeeper::Error::new(
        shopkeeper::ErrorCode::DecodeInvalid,
        what,
    ))
}

/// What [`apply_event`] did, for live statistics (`Kpis::record`, `CohortCounts::record`).
#[derive(Debug)]
pub struct Applied {
    /// What the profile did with the event.
    pub outcome: Outcome,
    /// The profile's mark before the event.
    pub before: Mark,
    /// The profile as written, with the event (an identify's: the visitor's, renamed, before
    /// its merge, as `fleet::Directory::apply` hands it).
    pub after: Profile,
    /// Tries that met a newer version of the profile first.
    pub retries: u32,
}

/// Applies `event` for the profile `id` (anonymous when `anonymous`, if it must be created)
/// with the routing rules above, a message's text heard by `listener`. Fails as
/// [`update_profile`] does.
pub fn apply_event(
    store: &dyn Store,
    id: &str,
    anonymous: bool,
    event: &Event,
    now: Timestamp,
    listener: &Listener<'_>,
) -> Result<Applied, StoreError> {
    let mut target = store.alias(id)?.unwrap_or_else(|| id.to_string());
    for _ in 0..MAX_TRIES {
        if let EventKind::Identify { customer } = &event.kind {
            if *customer != target {
                match identify(store, &target, anonymous, customer, event, now, listener)? {
                    Routed::Done(applied) => return Ok(*applied),
                    Routed::MovedTo(into) => {
                        target = into;
                        continue;
                    }
                }
            }
        }
        let create = || Profile::new(&target, !anonymous);
        match update_profile(store, &target, create, |p| {
            let before = p.mark();
            p.apply_with(event, now, listener).map(|o| (o, before))
        }) {
            Ok(updated) => {
                let (outcome, before) = updated.value;
                return Ok(Applied {
                    outcome,
                    before,
                    after: updated.profile,
                    retries: updated.retries,
                });
            }
            Err(StoreError::Moved { into }) => target = into,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contended { tries: MAX_TRIES })
}

/// The id `id` leads to (its alias, then any forwarding record, finished on the way) and the
/// profile stored there, if any: what a decision reads.
pub fn read_profile(store: &dyn Store, id: &str) -> Result<(String, Option<Profile>), StoreError> {
    let mut target = store.alias(id)?.unwrap_or_else(|| id.to_string());
    for _ in 0..MAX_TRIES {
        let Some(stored) = store.profile(&target)? else {
            return Ok((target, None));
        };
        match Moved::from_bytes(&stored.bytes)? {
            Some(moved) => {
                finish(store, &target, &moved)?;
                target = moved.into;
            }
            None => return Ok((target, Some(Profile::from_bytes(&stored.bytes)?))),
        }
    }
    Err(StoreError::Contended { tries: MAX_TRIES })
}

enum Routed {
    Done(Box<Applied>),
    /// The visitor had already moved: route again to its customer.
    MovedTo(String),
}

/// Moves the visitor's profile into the customer's (steps 1 to 3).
fn identify(
    store: &dyn Store,
    visitor: &str,
    anonymous: bool,
    customer: &str,
    event: &Event,
    now: Timestamp,
    listener: &Listener<'_>,
) -> Result<Routed, StoreError> {
    for retries in 0..MAX_TRIES {
        let (version, profile) = match store.profile(visitor)? {
            None => (0, Profile::new(visitor, !anonymous)?),
            Some(stored) => match Moved::from_bytes(&stored.bytes)? {
                Some(moved) => {
                    finish(store, visitor, &moved)?;
                    return Ok(Routed::MovedTo(moved.into));
                }
                None => (stored.version, Profile::from_bytes(&stored.bytes)?),
            },
        };
        let before = profile.mark();
        let mut renamed = profile;
        let outcome = renamed.apply_with(event, now, listener)?;
        let applied = |after| Applied {
            outcome,
            before,
            after,
            retries,
        };
        if outcome != Outcome::Recorded || renamed.id() != customer {
            // Ignored (or refused above): nothing moves. Written as any other event.
            let written = store.put_profile(visitor, version, &renamed.to_bytes()?)?;
            match written {
                Some(_) => return Ok(Routed::Done(Box::new(applied(renamed)))),
                None => continue,
            }
        }
        let moved = Moved {
            into: customer.into(),
            profile: renamed,
        };
        if store
            .put_profile(visitor, version, &moved.to_bytes()?)?
            .is_none()
        {
            continue; // the visitor changed since it was read: read it again
        }
        finish(store, visitor, &moved)?;
        return Ok(Routed::Done(Box::new(applied(moved.profile))));
    }
    Err(StoreError::Contended { tries: MAX_TRIES })
}

/// Steps 2 and 3: the moved profile merged into the customer's unless it was already, then the
/// alias. Safe to run any number of times.
pub(crate) fn finish(store: &dyn Store, visitor: &str, moved: &Moved) -> Result<(), StoreError> {
    let into = moved.into.as_str();
    let mut merged = false;
    for _ in 0..MAX_TRIES {
        let stored = store.profile(into)?;
        // Read after the profile: a merge that lands after this read changes the version, so
        // the write below fails and the next try sees its mark.
        if store.merged(into, visitor)? {
            merged = true;
            break;
        }
        let written = match stored {
            None => store.put_merged(into, 0, &moved.profile.to_bytes()?, visitor)?,
            Some(stored) => {
                let mut known = Profile::from_bytes(&stored.bytes)?;
                known.merge(&moved.profile)?;
                store.put_merged(into, stored.version, &known.to_bytes()?, visitor)?
            }
        };
        if written.is_some() {
            merged = true;
            break;
        }
    }
    if !merged {
        return Err(StoreError::Contended { tries: MAX_TRIES });
    }
    store.set_alias(visitor, into)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use shopkeeper::{Channel, PurchaseLine};

    const NOW: Timestamp = 1_796_100_000;

    fn purchase(order: &str) -> Event {
        let line = PurchaseLine {
            product: "tent".into(),
            category: None,
            quantity: 1,
            unit_price: 100,
        };
        let kind = EventKind::Purchase {
            order: order.into(),
            lines: vec![line].try_into().unwrap(),
            total: 100,
        };
        Event::new(NOW, Channel::Web, kind)
    }

    fn orders(store: &MemoryStore, id: &str) -> u32 {
        let stored = store.profile(id).unwrap().unwrap();
        Profile::from_bytes(&stored.bytes).unwrap().mark().orders
    }

    /// A process that wrote the forwarding record and stopped: the next event of the visitor
    /// finishes the move, and finishing it again merges nothing twice.
    #[test]
    fn whoever_finds_a_forwarding_record_finishes_the_move_once() {
        let store = MemoryStore::new();
        let listener = Listener::default();
        apply_event(&store, "c-1", false, &purchase("c0"), NOW, &listener).unwrap();
        let mut visitor = Profile::anonymous("anon-1").unwrap();
        visitor.apply(&purchase("v0"), NOW).unwrap();
        let identify = EventKind::Identify {
            customer: "c-1".into(),
        };
        visitor
            .apply(&Event::new(NOW, Channel::Web, identify), NOW)
            .unwrap();
        let moved = Moved {
            into: "c-1".into(),
            profile: visitor,
        };
        // Step 1 only.
        store
            .put_profile("anon-1", 0, &moved.to_bytes().unwrap())
            .unwrap();
        assert_eq!(store.alias("anon-1").unwrap(), None);
        apply_event(&store, "anon-1", true, &purchase("v1"), NOW, &listener).unwrap();
        assert_eq!(orders(&store, "c-1"), 3, "c0, v0 moved, v1 routed");
        assert_eq!(store.alias("anon-1").unwrap().as_deref(), Some("c-1"));
        // Steps 2 and 3 again (a second process finding the same record): nothing twice,
        // even after more visitors than a profile lists merged in between.
        finish(&store, "anon-1", &moved).unwrap();
        assert_eq!(orders(&store, "c-1"), 3);
        let more = shopkeeper::limits::MAX_ANONYMOUS_IDS + 2;
        for v in 0..more {
            let (id, order) = (format!("anon-x{v}"), format!("x{v}"));
            apply_event(&store, &id, true, &purchase(&order), NOW, &listener).unwrap();
            let identify = Event::new(
                NOW + 1,
                Channel::Web,
                EventKind::Identify {
                    customer: "c-1".into(),
                },
            );
            apply_event(&store, &id, true, &identify, NOW, &listener).unwrap();
        }
        assert_eq!(orders(&store, "c-1"), 3 + more as u32);
        let stored = store.profile("c-1").unwrap().unwrap();
        let ids = Profile::from_bytes(&stored.bytes)
            .unwrap()
            .identity()
            .anonymous_ids
            .clone();
        assert!(!ids.iter().any(|l| l.id == "anon-1"), "no longer listed");
        finish(&store, "anon-1", &moved).unwrap();
        assert_eq!(orders(&store, "c-1"), 3 + more as u32);
        // A writer holding the visitor's old version fails and finds the record.
        let err = update_profile(
            &store,
            "anon-1",
            || Profile::anonymous("anon-1"),
            |_| Ok(()),
        );
        assert!(matches!(err, Err(StoreError::Moved { into }) if into == "c-1"));
    }

    #[test]
    fn a_forwarding_record_reads_back_and_refuses_damage() {
        let moved = Moved {
            into: "c-é".into(),
            profile: Profile::known("c-é").unwrap(),
        };
        let bytes = moved.to_bytes().unwrap();
        let back = Moved::from_bytes(&bytes).unwrap().unwrap();
        assert_eq!((back.into.as_str(), back.profile.id()), ("c-é", "c-é"));
        assert!(Moved::from_bytes(&bytes[..7]).is_err());
        assert!(Moved::from_bytes(b"SKP\x01").unwrap().is_none());
    }
}
