//! The store of a fleet on Redis. Keys (every one with a hash tag, so Redis Cluster keeps what
//! one call touches on one shard):
//!
//! | key | type | what |
//! |---|---|---|
//! | `sk:{c:ID}:profile` | hash `v`, `b` | the customer's profile: version and bytes |
//! | `sk:{c:ID}:alias` | string | the customer an anonymous id was merged into |
//! | `sk:{c:ID}:merged` | set | the visitors merged into the customer's profile |
//! | `sk:{c:ID}:shown` | hash `OFFER` → record | the decision that last showed each offer |
//! | `sk:{fleet}:slots:KIND` | hash `NODE` → 8-byte big-endian sequence + bytes | each node's contribution |
//! | `sk:{fleet}:log` | stream, field `line` | decision-log lines |
//!
//! Compare-and-set and publishing are Lua scripts, so each is one atomic step on the server.
//! The hash tags let a cluster-aware client send each call to one shard; this store connects to
//! one server (a cluster needs the `redis` crate's cluster client, not built here). The log keeps
//! about its newest million lines (`MAXLEN ~`).

use redis::{Client, Commands, Connection, Script};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::{Slot, Store, StoreError, Versioned};

/// How long a call may wait for Redis.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Writes the profile if its version is still ARGV[1] ('0': absent); the new version, or -1.
const CAS: &str = r"
local held = redis.call('HGET', KEYS[1], 'v') or '0'
if held ~= ARGV[1] then return -1 end
local version = tonumber(held) + 1
redis.call('HSET', KEYS[1], 'v', version, 'b', ARGV[2])
return version";

/// CAS, and in the same step adds ARGV[3] to the set KEYS[2] (the same customer's hash tag).
const CAS_MERGED: &str = r"
local held = redis.call('HGET', KEYS[1], 'v') or '0'
if held ~= ARGV[1] then return -1 end
local version = tonumber(held) + 1
redis.call('HSET', KEYS[1], 'v', version, 'b', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return version";

/// Keeps the node's slot when ARGV[2] (8 bytes, big-endian) is newer than the one held: 1 or 0.
/// Byte by byte: Lua compares strings by the server's locale, not by byte value.
const PUBLISH: &str = r"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then
  local newer = false
  for i = 1, 8 do
    local a, b = string.byte(held, i), string.byte(ARGV[2], i)
    if a ~= b then newer = b > a; break end
  end
  if not newer then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ARGV[3])
return 1";

/// Gets and deletes the hash field ARGV[1] of KEYS[1] in one step.
const TAKE: &str = r"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then redis.call('HDEL', KEYS[1], ARGV[1]) end
return held";

/// Connections a store keeps by default: threads beyond this many wait for one.
pub const CONNECTIONS: usize = 8;

/// A store on one Redis server (or a cluster's proxy). A small pool of connections, each
/// reconnected when a call on it fails; share the store between threads.
pub struct RedisStore {
    client: Client,
    connections: Vec<Mutex<Option<Connection>>>,
    next: AtomicUsize,
    cas: Script,
    cas_merged: Script,
    publish: Script,
    take: Script,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn profile_key(customer: &str) -> String {
    format!("sk:{{c:{customer}}}:profile")
}

fn alias_key(anonymous: &str) -> String {
    format!("sk:{{c:{anonymous}}}:alias")
}

fn merged_key(customer: &str) -> String {
    format!("sk:{{c:{customer}}}:merged")
}

fn shown_key(customer: &str) -> String {
    format!("sk:{{c:{customer}}}:shown")
}

fn slots_key(kind: &str) -> String {
    format!("sk:{{fleet}}:slots:{kind}")
}

const LOG_KEY: &str = "sk:{fleet}:log";
/// About how many log lines the stream keeps.
const LOG_LINES: usize = 1_000_000;

impl RedisStore {
    /// A store on `url` (`redis://host:port/db`, or `redis+unix:///path`) with [`CONNECTIONS`]
    /// connections; connects at each connection's first call, so a Redis that is down is an
    /// `Unavailable` error then, not here.
    pub fn open(url: &str) -> Result<RedisStore, StoreError> {
        RedisStore::with_connections(url, CONNECTIONS)
    }

    /// [`RedisStore::open`] with `connections` connections (at least one).
    pub fn with_connections(url: &str, connections: usize) -> Result<RedisStore, StoreError> {
        Ok(RedisStore {
            client: Client::open(url).map_err(unavailable)?,
            connections: (0..connections.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            cas: Script::new(CAS),
            cas_merged: Script::new(CAS_MERGED),
            publish: Script::new(PUBLISH),
            take: Script::new(TAKE),
        })
    }

    /// Runs `call` on a free connection (else waits for one), connecting first if needed; a
    /// failed call drops the connection, so the next one on it connects again.
    fn with<T>(
        &self,
        call: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let free = (0..n).find_map(|i| self.connections[(start + i) % n].try_lock().ok());
        let mut held = match free {
            Some(held) => held,
            None => self.connections[start]
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        };
        if held.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(TIMEOUT)
                .map_err(unavailable)?;
            connection
                .set_read_timeout(Some(TIMEOUT))
                .map_err(unavailable)?;
            connection
                .set_write_timeout(Some(TIMEOUT))
                .map_err(unavailable)?;
            *held = Some(connection);
        }
        let Some(connection) = held.as_mut() else {
            return Err(StoreError::Unavailable("no connection".into()));
        };
        call(connection).map_err(|e| {
            *held = None;
            unavailable(e)
        })
    }
}

impl Store for RedisStore {
    fn profile(&self, customer: &str) -> Result<Option<Versioned>, StoreError> {
        let (version, bytes): (Option<u64>, Option<Vec<u8>>) = self.with(|c| {
            redis::cmd("HMGET")
                .arg(profile_key(customer))
                .arg("v")
                .arg("b")
                .query(c)
        })?;
        Ok(match (version, bytes) {
            (Some(version), Some(bytes)) => Some(Versioned { version, bytes }),
            _ => None,
        })
    }

    fn put_profile(
        &self,
        customer: &str,
        expected: u64,
        bytes: &[u8],
    ) -> Result<Option<u64>, StoreError> {
        let written: i64 = self.with(|c| {
            self.cas
                .key(profile_key(customer))
                .arg(expected.to_string())
                .arg(bytes)
                .invoke(c)
        })?;
        Ok(u64::try_from(written).ok())
    }

    fn put_merged(
        &self,
        customer: &str,
        expected: u64,
        bytes: &[u8],
        visitor: &str,
    ) -> Result<Option<u64>, StoreError> {
        let written: i64 = self.with(|c| {
            self.cas_merged
                .key(profile_key(customer))
                .key(merged_key(customer))
                .arg(expected.to_string())
                .arg(bytes)
                .arg(visitor)
                .invoke(c)
        })?;
        Ok(u64::try_from(written).ok())
    }

    fn merged(&self, customer: &str, visitor: &str) -> Result<bool, StoreError> {
        self.with(|c| c.sismember(merged_key(customer), visitor))
    }

    fn alias(&self, anonymous: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| c.get(alias_key(anonymous)))
    }

    fn set_alias(&self, anonymous: &str, customer: &str) -> Result<(), StoreError> {
        self.with(|c| c.set(alias_key(anonymous), customer))
    }

    fn publish(
        &self,
        kind: &str,
        node: &str,
        sequence: u64,
        bytes: &[u8],
    ) -> Result<bool, StoreError> {
        let kept: i64 = self.with(|c| {
            self.publish
                .key(slots_key(kind))
                .arg(node)
                .arg(&sequence.to_be_bytes()[..])
                .arg(bytes)
                .invoke(c)
        })?;
        Ok(kept == 1)
    }

    fn slots(&self, kind: &str) -> Result<Vec<Slot>, StoreError> {
        let all: Vec<(String, Vec<u8>)> = self.with(|c| c.hgetall(slots_key(kind)))?;
        let mut slots = Vec::with_capacity(all.len());
        for (node, value) in all {
            let Some((sequence, bytes)) = value.split_first_chunk::<8>() else {
                return Err(StoreError::Core(shopkeeper::Error::new(
                    shopkeeper::ErrorCode::DecodeMalformed,
                    format!("the {kind} slot of node {node:?} is shorter than its sequence"),
                )));
            };
            slots.push(Slot {
                node,
                sequence: u64::from_be_bytes(*sequence),
                bytes: bytes.to_vec(),
            });
        }
        slots.sort_by(|a, b| a.node.cmp(&b.node));
        Ok(slots)
    }

    fn set_shown(&self, customer: &str, offer: &str, record: &str) -> Result<(), StoreError> {
        self.with(|c| c.hset(shown_key(customer), offer, record))
    }

    fn restore_shown(&self, customer: &str, offer: &str, record: &str) -> Result<(), StoreError> {
        self.with(|c| c.hset_nx(shown_key(customer), offer, record))
    }

    fn take_shown(&self, customer: &str, offer: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| self.take.key(shown_key(customer)).arg(offer).invoke(c))
    }

    fn append_log(&self, line: &str) -> Result<(), StoreError> {
        self.with(|c| {
            redis::cmd("XADD")
                .arg(LOG_KEY)
                .arg("MAXLEN")
                .arg("~")
                .arg(LOG_LINES)
                .arg("*")
                .arg("line")
                .arg(line)
                .query::<String>(c)
        })
        .map(|_| ())
    }

    fn log(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let entries: redis::streams::StreamRangeReply = self.with(|c| {
            redis::cmd("XRANGE")
                .arg(LOG_KEY)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(limit)
                .query(c)
        })?;
        Ok(entries
            .ids
            .iter()
            .filter_map(|id| id.get::<String>("line"))
            .collect())
    }
}
