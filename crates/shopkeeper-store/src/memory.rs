//! The embedded default: everything in this process's memory, behind one lock. A service that
//! must survive a restart on one machine runs on Redis with its append-only file instead.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};

use crate::{Slot, Store, StoreError, Versioned};

#[derive(Default)]
struct State {
    profiles: HashMap<String, Versioned>,
    aliases: HashMap<String, String>,
    shown: HashMap<(String, String), String>,
    merged: HashSet<(String, String)>,
    slots: HashMap<String, BTreeMap<String, (u64, Vec<u8>)>>,
    log: VecDeque<String>,
    log_bytes: usize,
}

/// Decision-log lines the memory store keeps: the newest (a long-running process must not grow
/// without bound; Redis keeps about a million), and at most [`MEMORY_LOG_BYTES`] of them.
pub const MEMORY_LOG_LINES: usize = 100_000;

/// Bytes of decision-log lines the memory store keeps, at most (each line holds a profile).
pub const MEMORY_LOG_BYTES: usize = 64 * 1024 * 1024;

/// A store in memory, shared by the threads of one process.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Store for MemoryStore {
    fn profile(&self, customer: &str) -> Result<Option<Versioned>, StoreError> {
        Ok(self.with(|s| s.profiles.get(customer).cloned()))
    }

    fn put_profile(
        &self,
        customer: &str,
        expected: u64,
        bytes: &[u8],
    ) -> Result<Option<u64>, StoreError> {
        Ok(self.with(|s| {
            let held = s.profiles.get(customer).map_or(0, |v| v.version);
            (held == expected).then(|| {
                let version = expected + 1;
                let stored = Versioned {
                    version,
                    bytes: bytes.to_vec(),
                };
                s.profiles.insert(customer.into(), stored);
                version
            })
        }))
    }

    fn put_merged(
        &self,
        customer: &str,
        expected: u64,
        bytes: &[u8],
        visitor: &str,
    ) -> Result<Option<u64>, StoreError> {
        // One lock held throughout: the write and the mark land together.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let held = state.profiles.get(customer).map_or(0, |v| v.version);
        if held != expected {
            return Ok(None);
        }
        let version = expected + 1;
        let stored = Versioned {
            version,
            bytes: bytes.to_vec(),
        };
        state.profiles.insert(customer.into(), stored);
        state.merged.insert((customer.into(), visitor.into()));
        Ok(Some(version))
    }

    fn merged(&self, customer: &str, visitor: &str) -> Result<bool, StoreError> {
        let key = (customer.to_string(), visitor.to_string());
        Ok(self.with(|s| s.merged.contains(&key)))
    }

    fn alias(&self, anonymous: &str) -> Result<Option<String>, StoreError> {
        Ok(self.with(|s| s.aliases.get(anonymous).cloned()))
    }

    fn set_alias(&self, anonymous: &str, customer: &str) -> Result<(), StoreError> {
        self.with(|s| s.aliases.insert(anonymous.into(), customer.into()));
        Ok(())
    }

    fn publish(
        &self,
        kind: &str,
        node: &str,
        sequence: u64,
        bytes: &[u8],
    ) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            let slots = s.slots.entry(kind.into()).or_default();
            let newer = slots.get(node).is_none_or(|held| held.0 < sequence);
            if newer {
                slots.insert(node.into(), (sequence, bytes.to_vec()));
            }
            newer
        }))
    }

    fn slots(&self, kind: &str) -> Result<Vec<Slot>, StoreError> {
        Ok(self.with(|s| {
            let all = s.slots.get(kind).into_iter().flatten();
            all.map(|(node, (sequence, bytes))| Slot {
                node: node.clone(),
                sequence: *sequence,
                bytes: bytes.clone(),
            })
            .collect()
        }))
    }

    fn set_shown(&self, customer: &str, offer: &str, record: &str) -> Result<(), StoreError> {
        let key = (customer.to_string(), offer.to_string());
        self.with(|s| s.shown.insert(key, record.into()));
        Ok(())
    }

    fn restore_shown(&self, customer: &str, offer: &str, record: &str) -> Result<(), StoreError> {
        let key = (customer.to_string(), offer.to_string());
        self.with(|s| {
            s.shown.entry(key).or_insert_with(|| record.into());
        });
        Ok(())
    }

    fn take_shown(&self, customer: &str, offer: &str) -> Result<Option<String>, StoreError> {
        let key = (customer.to_string(), offer.to_string());
        Ok(self.with(|s| s.shown.remove(&key)))
    }

    fn append_log(&self, line: &str) -> Result<(), StoreError> {
        self.with(|s| {
            s.log_bytes += line.len();
            s.log.push_back(line.into());
            while s.log.len() > MEMORY_LOG_LINES || s.log_bytes > MEMORY_LOG_BYTES {
                let Some(old) = s.log.pop_front() else { break };
                s.log_bytes -= old.len();
            }
        });
        Ok(())
    }

    fn log(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|s| s.log.iter().take(limit).cloned().collect()))
    }
}
