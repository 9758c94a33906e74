//! A fleet (`spec/learning.md`, "A fleet"): each node's latest contribution (learner, KPIs, budget
//! counters or cohort counts, as their bytes) by node and sequence, and the global view merged
//! from them, for a server that keeps its nodes' slots in its own store.

use std::ffi::c_char;
use std::sync::RwLock;

use shopkeeper::fleet::Contributions;

use crate::{bytes, ffi, handle, out, read, sk_buffer, sk_error, sk_result, text, write};

/// Nodes' contributions behind a lock: publications take it for writing, the global view for
/// reading, so threads may share one.
pub struct sk_fleet {
    fleet: RwLock<Contributions>,
}

/// A new fleet: no node has published.
///
/// # Safety
/// `out_fleet` points to writable storage for a pointer; `err` is NULL or points to writable
/// storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_fleet_new(
    out_fleet: *mut *mut sk_fleet,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_fleet = out(out_fleet, "out_fleet")?;
        let fleet = sk_fleet {
            fleet: RwLock::new(Contributions::new()),
        };
        out_fleet.write(Box::into_raw(Box::new(fleet)));
        Ok(())
    })
}

/// Frees a fleet. NULL does nothing.
///
/// # Safety
/// `fleet` is NULL or a fleet from this library that no thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn sk_fleet_free(fleet: *mut sk_fleet) {
    ffi!(or(), {
        if !fleet.is_null() {
            // SAFETY: the caller gives back a fleet this library boxed, once.
            drop(unsafe { Box::from_raw(fleet) });
        }
    })
}

/// Takes node `node`'s contribution (the bytes of `sk_learner_to_bytes`, `sk_kpis_to_bytes`,
/// `sk_budgets_to_bytes` or `sk_cohorts_to_bytes`) at `sequence`: `*out_replaced` is true when it
/// replaced the node's slot, false for a stale or repeated publication (a node's sequence only
/// grows, across its restarts too). The first publication's kind is the fleet's. Fails, changing
/// nothing, for an empty node id or one over 128 bytes, a new node past 1,024, bytes that do not
/// decode (`DECODE_*`), or another kind than the first (`SK_RESULT_INVALID_DATA`).
///
/// # Safety
/// `fleet` is live; `node` is (pointer, length) UTF-8; `data` points to `len` readable bytes;
/// `out_replaced` points to a writable bool; `err` is NULL or points to writable storage for a
/// pointer.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sk_fleet_publish(
    fleet: *const sk_fleet,
    node: *const c_char,
    node_len: usize,
    sequence: u64,
    data: *const u8,
    len: usize,
    out_replaced: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_replaced = out(out_replaced, "out_replaced")?;
        // SAFETY: the caller's contract.
        let (fleet, node, data) = unsafe {
            (
                handle(fleet, "fleet")?,
                text(node, node_len, "node")?,
                bytes(data, len, "data")?,
            )
        };
        let replaced = write(&fleet.fleet).publish(node, sequence, data)?;
        out_replaced.write(replaced);
        Ok(())
    })
}

/// The global view: every node's latest contribution merged, in node-id order, as the bytes of
/// its kind (read them with `sk_learner_from_bytes` and the like); `*out_buffer` is NULL before
/// any publication. Fails when contributions cannot merge (KPIs counted since different times,
/// learners of different half-lives), naming the node.
///
/// # Safety
/// `fleet` is live; `out_buffer` points to writable storage for a pointer; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_fleet_global(
    fleet: *const sk_fleet,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_buffer = out(out_buffer, "out_buffer")?;
        // SAFETY: the caller's contract.
        let fleet = unsafe { handle(fleet, "fleet") }?;
        let global = read(&fleet.fleet).global()?;
        out_buffer.write(global.map_or(std::ptr::null_mut(), sk_buffer::new));
        Ok(())
    })
}
