//! This process's contribution to what the fleet learns and counts, and its view of the whole.
//!
//! Each process (node) keeps its own learner, KPIs and budget counters and publishes them to its
//! slot in the store (`shopkeeper::fleet`): a slot is replaced, never added to, so publishing
//! again counts nothing twice, and the fleet's view is the merge of every node's slot.
//!
//! **Group commit.** A request that changed the contribution is acknowledged only once a
//! publication holding the change is in the store ([`Node::commit`]): one flusher thread
//! publishes whatever changed since its last round, so many requests share one write. A node
//! killed at any moment loses only changes it had not acknowledged.
//!
//! **The view.** Decisions read the fleet's learner and budget counters as of the last sync
//! (every `sync`, after a publication too), so a node sees the others' responses and spend
//! within about one sync interval.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use shopkeeper::budget::Budgets;
use shopkeeper::fleet::{Contribution, Fleet};
use shopkeeper::kpi::Kpis;
use shopkeeper::learn::Learner;
use shopkeeper_store::{Store, StoreError};

/// The slot kinds a node publishes.
const KINDS: [&str; 3] = ["learner", "kpis", "budgets"];

/// How long a request waits for its change to be published before it is refused.
const COMMIT_WAIT: Duration = Duration::from_secs(5);

/// What this node has learned and counted since it first started (under its id).
pub struct Local {
    /// Responses credited to the decisions that showed them.
    pub learner: Learner,
    /// Decisions, shows, responses and purchases, treatment and control.
    pub kpis: Kpis,
    /// Shows and accepts of budgeted offers.
    pub budgets: Budgets,
}

/// The fleet's merged view, as of the last sync.
#[derive(Default)]
pub struct View {
    /// Every node's learner, merged.
    pub learner: Option<Learner>,
    /// Every node's budget counters, merged.
    pub budgets: Option<Budgets>,
}

struct Flushed {
    /// Changes published so far (a change count, see `Node::change`).
    through: u64,
    /// Publication rounds that failed.
    failures: u64,
    /// The changes the last failed round carried (a change count).
    failed_through: u64,
    last_error: Option<String>,
    stopping: bool,
}

/// This process in the fleet.
pub struct Node {
    id: String,
    store: Arc<dyn Store>,
    local: Mutex<(Local, u64)>,
    sequence: Mutex<u64>,
    flushed: Mutex<Flushed>,
    /// Wakes the flusher (there is work) and the waiting requests (a round ended).
    signal: Condvar,
    view: RwLock<Arc<View>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Node {
    /// Node `id` on `store`, starting from its own slots when it published before (a node
    /// restarted under its id goes on from where it was; `fresh` is used otherwise).
    pub fn start(id: &str, store: Arc<dyn Store>, fresh: Local) -> Result<Node, StoreError> {
        let mut local = fresh;
        let mut sequence = 0;
        for kind in KINDS {
            let Some(slot) = store.slots(kind)?.into_iter().find(|s| s.node == id) else {
                continue;
            };
            sequence = sequence.max(slot.sequence);
            match kind {
                "learner" => local.learner = Learner::from_bytes(&slot.bytes)?,
                "kpis" => local.kpis = Kpis::from_bytes(&slot.bytes)?,
                _ => local.budgets = Budgets::from_bytes(&slot.bytes)?,
            }
        }
        let node = Node {
            id: id.into(),
            store,
            local: Mutex::new((local, 0)),
            sequence: Mutex::new(sequence),
            flushed: Mutex::new(Flushed {
                through: 0,
                failures: 0,
                failed_through: 0,
                last_error: None,
                stopping: false,
            }),
            signal: Condvar::new(),
            view: RwLock::new(Arc::default()),
        };
        node.sync()?;
        Ok(node)
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Changes the contribution with `f` and returns the change's ticket for [`Node::commit`].
    pub fn change<T>(&self, f: impl FnOnce(&mut Local) -> T) -> (T, u64) {
        let mut held = lock(&self.local);
        let value = f(&mut held.0);
        held.1 += 1;
        (value, held.1)
    }

    /// Waits until the change `ticket` is published: `Unavailable` when a round carrying it
    /// fails (the change stays, and goes out with a later round) or none succeeds in time. The
    /// change may then still be published: a refused request is not proof it counted nothing.
    pub fn commit(&self, ticket: u64) -> Result<(), StoreError> {
        let deadline = Instant::now() + COMMIT_WAIT;
        let mut flushed = lock(&self.flushed);
        let failures = flushed.failures;
        self.signal.notify_all();
        loop {
            if flushed.through >= ticket {
                return Ok(());
            }
            if flushed.failures > failures && flushed.failed_through >= ticket {
                let why = flushed.last_error.clone().unwrap_or_default();
                return Err(StoreError::Unavailable(why));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StoreError::Unavailable(
                    "the change was not published in time".into(),
                ));
            }
            flushed = self
                .signal
                .wait_timeout(flushed, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// One publication round: every kind, under one new sequence, if anything changed since
    /// the last. `Ok(false)` when nothing had.
    pub fn flush(&self) -> Result<bool, StoreError> {
        let mut sequence = lock(&self.sequence);
        let through = lock(&self.flushed).through;
        let (ticket, bytes) = {
            let held = lock(&self.local);
            let (local, ticket) = (&held.0, held.1);
            if ticket <= through {
                return Ok(false);
            }
            let bytes = [
                local.learner.to_bytes()?,
                local.kpis.to_bytes()?,
                local.budgets.to_bytes()?,
            ];
            (ticket, bytes)
        };
        let result = KINDS.iter().zip(&bytes).try_for_each(|(kind, bytes)| {
            match self.store.publish(kind, &self.id, *sequence + 1, bytes)? {
                true => Ok(()),
                // Never acknowledge a change another process's publication hides.
                false => Err(StoreError::Unavailable(format!(
                    "the {kind} slot of node {:?} holds a newer publication: is another \
                     process running under this node id?",
                    self.id
                ))),
            }
        });
        let mut flushed = lock(&self.flushed);
        match result {
            Ok(()) => {
                *sequence += 1;
                flushed.through = ticket;
                flushed.last_error = None;
            }
            Err(ref e) => {
                // The sequence is still bumped: a round may have landed in part.
                *sequence += 1;
                flushed.failures += 1;
                flushed.failed_through = ticket;
                flushed.last_error = Some(e.to_string());
            }
        }
        self.signal.notify_all();
        result.map(|()| true)
    }

    /// Reads every node's slots and rebuilds the view.
    pub fn sync(&self) -> Result<(), StoreError> {
        let view = View {
            learner: self.merged("learner", Learner::from_bytes)?,
            budgets: self.merged("budgets", Budgets::from_bytes)?,
        };
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(view);
        Ok(())
    }

    /// Every node's KPIs, merged, read from the store now.
    pub fn kpis(&self) -> Result<Option<Kpis>, StoreError> {
        self.merged("kpis", Kpis::from_bytes)
    }

    /// Every node's learner, merged, read from the store now.
    pub fn learner(&self) -> Result<Option<Learner>, StoreError> {
        self.merged("learner", Learner::from_bytes)
    }

    fn merged<T: Contribution>(
        &self,
        kind: &str,
        read: fn(&[u8]) -> Result<T, shopkeeper::Error>,
    ) -> Result<Option<T>, StoreError> {
        let mut fleet = Fleet::new();
        for slot in self.store.slots(kind)? {
            fleet.publish(&slot.node, slot.sequence, read(&slot.bytes)?)?;
        }
        Ok(fleet.global()?)
    }

    /// The fleet's view as of the last sync.
    pub fn view(&self) -> Arc<View> {
        self.view
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes published, publication rounds failed, and the last round's error.
    pub fn published(&self) -> (u64, u64, Option<String>) {
        let flushed = lock(&self.flushed);
        (
            flushed.through,
            flushed.failures,
            flushed.last_error.clone(),
        )
    }

    /// The flusher: publishes what changed as soon as anything did, and syncs the view every
    /// `sync`, until [`Node::stop`]; then publishes a last time.
    pub fn run(&self, sync: Duration) {
        let mut synced = Instant::now();
        loop {
            {
                let flushed = lock(&self.flushed);
                if flushed.stopping {
                    break;
                }
                let pending = lock(&self.local).1 > flushed.through;
                if !pending {
                    let wait = sync.saturating_sub(synced.elapsed());
                    drop(
                        self.signal
                            .wait_timeout(flushed, wait.max(Duration::from_millis(1)))
                            .unwrap_or_else(PoisonError::into_inner),
                    );
                }
            }
            let published = self.flush();
            if published.is_err() {
                // The store is away: try again soon, without spinning.
                std::thread::sleep(Duration::from_millis(50));
            }
            let due = synced.elapsed() >= sync
                || matches!(published, Ok(true)) && synced.elapsed() >= sync / 4;
            if due && self.sync().is_ok() {
                synced = Instant::now();
            }
        }
        let _ = self.flush();
    }

    /// Ends [`Node::run`] after a last publication.
    pub fn stop(&self) {
        lock(&self.flushed).stopping = true;
        self.signal.notify_all();
    }
}
