//! What the service does with each request, apart from HTTP (`http.rs` only translates): the
//! core decides and records, the store keeps profiles, shown decisions and the log, and the node
//! keeps this process's contribution (`node.rs`).
//!
//! **Degraded mode.** When the store cannot be reached, a decision is still answered: for a new
//! profile (what an unknown visitor gets: the rules on an empty profile, else the default
//! action), marked `"degraded"` and not recorded. Writes (events, responses) are refused with
//! `store_unavailable` (HTTP 503): nothing is acknowledged that the store does not hold.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shopkeeper::decide::{Catalog, DecisionLog, DecisionRequest, Engine, Live, LogEntry};
use shopkeeper::learn::Response;
use shopkeeper::score::Models;
use shopkeeper::{Channel, Error, ErrorCode, Event, EventKind, Outcome, Profile, Timestamp};
use shopkeeper_store::{apply_event, read_profile, update_profile, Applied, Store, StoreError};

use crate::node::Node;

/// A refused request: its HTTP status and the JSON error.
#[derive(Debug)]
pub struct Refused {
    /// The HTTP status.
    pub status: u16,
    /// A stable code: the core's, the store's (`StoreError::code`), or `not_found`.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// Where in the input, when known (line, column).
    pub location: Option<(u32, u32)>,
}

impl Refused {
    /// The body: `{"error": {"code", "message", "line"?, "column"?}}`.
    pub fn to_json(&self) -> String {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let Some((line, column)) = self.location {
            error["line"] = line.into();
            error["column"] = column.into();
        }
        serde_json::json!({ "error": error }).to_string()
    }

    fn not_found(what: String) -> Refused {
        Refused {
            status: 404,
            code: "not_found",
            message: what,
            location: None,
        }
    }
}

impl From<Error> for Refused {
    fn from(e: Error) -> Refused {
        let status = match e.code() {
            ErrorCode::TooLong | ErrorCode::DecodeTooLarge => 413,
            ErrorCode::Internal | ErrorCode::Panic => 500,
            _ => 400,
        };
        Refused {
            status,
            code: e.code().as_str(),
            message: e.message().to_string(),
            location: e.location(),
        }
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        let status = match &e {
            StoreError::Core(core) => return Refused::from(core.clone()),
            StoreError::Unavailable(_) => 503,
            StoreError::Contended { .. } => 409,
            StoreError::Moved { .. } => 500,
        };
        Refused {
            status,
            code: e.code(),
            message: e.to_string(),
            location: None,
        }
    }
}

/// A JSON body that does not parse: `invalid_json`, with its place.
fn invalid(e: serde_json::Error) -> Refused {
    let message = e.to_string();
    let message = message.split(" at line ").next().unwrap_or_default();
    Refused::from(Error::new(ErrorCode::InvalidJson, message).at(e.line(), e.column()))
}

/// The service's clock, seconds since the epoch (the core has none).
pub fn now() -> Timestamp {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Counters a `/health` reader watches.
#[derive(Default)]
pub struct Stats {
    decisions: AtomicU64,
    degraded: AtomicU64,
    retries: AtomicU64,
    refused: AtomicU64,
}

/// The service: the engine (swapped whole), the store, and this node.
pub struct Service {
    engine: RwLock<Arc<Engine>>,
    store: Arc<dyn Store>,
    /// This process's contribution and view.
    pub node: Node,
    store_name: &'static str,
    stats: Stats,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody<'a> {
    profile: String,
    #[serde(default)]
    anonymous: bool,
    #[serde(borrow)]
    event: &'a RawValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody<'a> {
    profile: String,
    #[serde(default)]
    anonymous: bool,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseBody {
    profile: String,
    #[serde(default)]
    anonymous: bool,
    offer: String,
    response: String,
    #[serde(default)]
    at: Option<Timestamp>,
    #[serde(default)]
    channel: Option<Channel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogBody<'a> {
    #[serde(borrow)]
    catalog: &'a RawValue,
    #[serde(borrow, default)]
    models: Option<&'a RawValue>,
}

/// What an event or response did.
#[derive(Serialize)]
struct Done<'a> {
    /// The profile it went to (a visitor's customer, after an identify).
    profile: &'a str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credited: Option<bool>,
}

fn done(applied: &Applied, credited: Option<bool>) -> String {
    let (outcome, reason) = match applied.outcome {
        Outcome::Recorded => ("recorded", None),
        Outcome::Ignored(why) => ("ignored", Some(why.as_str())),
    };
    let done = Done {
        profile: applied.after.id(),
        outcome,
        reason,
        credited,
    };
    serde_json::to_string(&done).unwrap_or_default()
}

/// Builds an engine from catalog and models JSON, compiled at `now`.
pub fn engine(catalog: &str, models: Option<&str>, now: Timestamp) -> Result<Engine, Error> {
    let catalog = Catalog::compile(catalog, now)?;
    let models = models.map(Models::from_json).transpose()?;
    Engine::new(catalog, models.unwrap_or_default())
}

impl Service {
    /// A service on `store` as node `node`, deciding with `engine`.
    pub fn new(
        engine: Engine,
        store: Arc<dyn Store>,
        store_name: &'static str,
        node: &str,
    ) -> Result<Service, Refused> {
        let fresh = crate::node::Local {
            learner: engine.catalog().new_learner()?,
            kpis: shopkeeper::kpi::Kpis::new(0)?,
            budgets: shopkeeper::budget::Budgets::new(),
        };
        Ok(Service {
            node: Node::start(node, store.clone(), fresh)?,
            engine: RwLock::new(Arc::new(engine)),
            store,
            store_name,
            stats: Stats::default(),
        })
    }

    fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn refuse<T>(&self, result: Result<T, Refused>) -> Result<T, Refused> {
        if result.is_err() {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// `POST /v1/events`: `{"profile", "anonymous"?, "event"}`, routed (an identify merges the
    /// visitor into the customer once), acknowledged once stored.
    pub fn event(&self, body: &[u8]) -> Result<String, Refused> {
        self.refuse(self.event_inner(body))
    }

    fn event_inner(&self, body: &[u8]) -> Result<String, Refused> {
        let body: EventBody<'_> = serde_json::from_slice(body).map_err(invalid)?;
        let event = Event::from_json(body.event.get())?;
        let engine = self.engine();
        let (id, anonymous) = (body.profile.as_str(), body.anonymous);
        let applied = apply_event(
            &*self.store,
            id,
            anonymous,
            &event,
            now(),
            &engine.listener(),
        )?;
        self.stats
            .retries
            .fetch_add(u64::from(applied.retries), Ordering::Relaxed);
        let control = engine.in_control_group(&applied.after);
        let ((), ticket) = self.node.change(|local| {
            local.kpis.record(applied.before, &applied.after, control);
            // Shows and accepts of budgeted offers sent as plain events count too.
            let _ = local.budgets.record(engine.catalog(), &event);
        });
        self.node.commit(ticket)?;
        Ok(done(&applied, None))
    }

    /// `POST /v1/decisions`: `{"profile", "anonymous"?, "request"?}` (the core's decision
    /// request; `now` defaults to the service's clock). The picks are recorded as shown, the
    /// decision logged, and the response is `{"profile", "recorded", "degraded", "decision"}`.
    pub fn decide(&self, body: &[u8]) -> Result<String, Refused> {
        self.refuse(self.decide_inner(body))
    }

    fn decide_inner(&self, body: &[u8]) -> Result<String, Refused> {
        let body: DecisionBody<'_> = serde_json::from_slice(body).map_err(invalid)?;
        let mut request = DecisionRequest::from_json(body.request.map_or("{}", RawValue::get))?;
        request.now = request.now.or_else(|| Some(now()));
        let engine = self.engine();
        let context = request.context(engine.catalog().schema())?;
        let req = request.request()?.log(true);
        let (id, anonymous) = (body.profile.as_str(), body.anonymous);
        let (target, profile, mut degraded) = match read_profile(&*self.store, id) {
            Ok((target, Some(profile))) => (target, profile, None),
            Ok((target, None)) => {
                let profile = Profile::new(&target, !anonymous)?;
                (target, profile, None)
            }
            Err(StoreError::Unavailable(why)) => {
                (id.to_string(), Profile::new(id, !anonymous)?, Some(why))
            }
            Err(e) => return Err(e.into()),
        };
        let view = self.node.view();
        let live = Live {
            learner: view.learner.as_ref(),
            cohorts: None,
            budgets: view.budgets.as_ref(),
        };
        let decision = engine.decide_live(&profile, &context, &req, live)?;
        let json = decision.to_json()?;
        let record = decision
            .log()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "a logged decision has its record"))?;
        let shown = decision.shown_events(req.now);
        let (mut recorded, mut target) = (false, target);
        if degraded.is_none() {
            let entry = LogEntry::new(&engine, &profile, &context, record.clone())?;
            match self.record(&engine, (&target, anonymous), &entry, &shown) {
                Ok(id) => (recorded, target) = (true, id),
                Err(StoreError::Unavailable(why)) => degraded = Some(why),
                Err(e) => return Err(e.into()),
            }
        }
        self.stats.decisions.fetch_add(1, Ordering::Relaxed);
        if degraded.is_some() {
            self.stats.degraded.fetch_add(1, Ordering::Relaxed);
        }
        #[derive(Serialize)]
        struct Decided<'a> {
            profile: &'a str,
            recorded: bool,
            degraded: Option<String>,
            decision: &'a RawValue,
        }
        let decision = RawValue::from_string(json).map_err(|e| internal(&e))?;
        let out = Decided {
            profile: &target,
            recorded,
            degraded,
            decision: &decision,
        };
        serde_json::to_string(&out).map_err(|e| internal(&e).into())
    }

    /// Records a decision: the shown events in the profile, the log line, the shown record
    /// each pick's response is credited to, and the node's counts. Returns the profile's id
    /// (a visitor identified since it was read: its customer's).
    fn record(
        &self,
        engine: &Engine,
        (target, anonymous): (&str, bool),
        entry: &LogEntry,
        shown: &[Event],
    ) -> Result<String, StoreError> {
        let record = &entry.decision;
        let listener = engine.listener();
        let at = record.now;
        let mut target = target.to_string();
        // At most one move: a visitor into its customer.
        let mut written = shown.is_empty();
        for _ in 0..2 {
            if written {
                break;
            }
            let create = || Profile::new(&target, !anonymous);
            let updated = update_profile(&*self.store, &target, create, |p| {
                shown
                    .iter()
                    .try_for_each(|e| p.apply_with(e, at, &listener).map(drop))
            });
            match updated {
                Ok(updated) => {
                    let retries = u64::from(updated.retries);
                    self.stats.retries.fetch_add(retries, Ordering::Relaxed);
                    written = true;
                }
                Err(StoreError::Moved { into }) => target = into,
                Err(e) => return Err(e),
            }
        }
        if !written {
            return Err(StoreError::Contended { tries: 2 });
        }
        let target = target.as_str();
        self.store.append_log(&entry.to_json()?)?;
        if !record.fallback {
            let json = record.to_json()?;
            for pick in record.picks.iter() {
                self.store.set_shown(target, &pick.offer, &json)?;
            }
        }
        let ((), ticket) = self.node.change(|local| {
            // A record the engine made is valid: these count, or fail alike on every node.
            let _ = local.kpis.record_decision(record);
            for event in shown {
                let _ = local.budgets.record(engine.catalog(), event);
                let _ = local.kpis.record_offer(record, event);
            }
        });
        self.node.commit(ticket)?;
        Ok(target.to_string())
    }

    /// `POST /v1/responses`: `{"profile", "anonymous"?, "offer", "response": "accepted" |
    /// "dismissed", "at"?, "channel"?}`. Credited, once, to the decision that last showed the
    /// offer to the profile; `credited` says whether this call did.
    pub fn respond(&self, body: &[u8]) -> Result<String, Refused> {
        self.refuse(self.respond_inner(body))
    }

    fn respond_inner(&self, body: &[u8]) -> Result<String, Refused> {
        let body: ResponseBody = serde_json::from_slice(body).map_err(invalid)?;
        let response = Response::from_name(&body.response)?;
        let offer = body.offer.clone();
        let kind = match response {
            Response::Accepted => EventKind::OfferAccepted { offer },
            Response::Dismissed => EventKind::OfferDismissed { offer },
            _ => {
                let message = "`response` is `accepted` or `dismissed` (an offer left alone \
                               needs no call)";
                return Err(Error::new(ErrorCode::InvalidRequest, message).into());
            }
        };
        let at = body.at.unwrap_or_else(now);
        let event = Event::new(at, body.channel.unwrap_or(Channel::Web), kind);
        event.validate(now())?;
        let engine = self.engine();
        let (id, offer) = (body.profile.as_str(), body.offer.as_str());
        // Taken, so that of any retries and racing nodes one credits it (at most once); put back
        // when the profile cannot be written, unless a newer decision showed the offer since. A
        // store gone before the put-back, or a node killed between the take and its next
        // publication, loses the credit of a response it never acknowledged.
        let mut taken = (id.to_string(), self.store.take_shown(id, offer)?);
        if taken.1.is_none() {
            let (target, _) = read_profile(&*self.store, id)?;
            if target != id {
                taken = (target.clone(), self.store.take_shown(&target, offer)?);
            }
        }
        let listener = engine.listener();
        let applied = match apply_event(&*self.store, id, body.anonymous, &event, now(), &listener)
        {
            Ok(applied) => applied,
            Err(e) => {
                if let (holder, Some(json)) = &taken {
                    let _ = self.store.restore_shown(holder, offer, json);
                }
                return Err(e.into());
            }
        };
        let shown_by = taken
            .1
            .map(|json| DecisionLog::from_json(&json))
            .transpose()?;
        let (credited, ticket) = self.node.change(|local| {
            let Some(record) = &shown_by else {
                return Ok(false);
            };
            let credited = local.learner.credit(record, offer, response, at)?;
            let _ = local.kpis.record_offer(record, &event);
            let _ = local.budgets.record(engine.catalog(), &event);
            Ok::<_, Error>(credited)
        });
        let credited = credited?;
        self.node.commit(ticket)?;
        Ok(done(&applied, Some(credited)))
    }

    /// `GET /v1/profiles/{id}`: the profile `id` leads to, as its export JSON.
    pub fn profile(&self, id: &str) -> Result<String, Refused> {
        match read_profile(&*self.store, id)? {
            (_, Some(profile)) => Ok(profile.export()?),
            (target, None) => Err(Refused::not_found(format!("no profile for {target:?}"))),
        }
    }

    /// `GET /v1/kpis`: every node's KPIs merged, with the lift against the control group.
    pub fn kpis(&self) -> Result<String, Refused> {
        let Some(kpis) = self.node.kpis()? else {
            return Err(Refused::not_found("no node has published KPIs yet".into()));
        };
        let json = RawValue::from_string(kpis.to_json()?).map_err(|e| internal(&e))?;
        let out = serde_json::json!({"lift": kpis.lift().summary(), "kpis": json});
        Ok(out.to_string())
    }

    /// `GET /v1/learner?at=T`: every node's learner merged, each arm's counts at `at`.
    pub fn learner(&self, at: Option<Timestamp>) -> Result<String, Refused> {
        let Some(learner) = self.node.learner()? else {
            return Err(Refused::not_found(
                "no node has published a learner yet".into(),
            ));
        };
        let at = at.unwrap_or_else(now);
        let arms: Vec<_> = learner
            .arms(at)
            .map(|(offer, segment, c)| {
                serde_json::json!({"offer": offer, "segment": segment,
                    "accepts": c.accepts, "rejects": c.rejects})
            })
            .collect();
        let out = serde_json::json!({"at": at, "half_life": learner.half_life(), "arms": arms});
        Ok(out.to_string())
    }

    /// `PUT /v1/catalog`: `{"catalog", "models"?}` (models: the ones in use when left out).
    /// A catalog or models with an error is refused and the old ones keep serving.
    pub fn swap(&self, body: &[u8]) -> Result<String, Refused> {
        let body: CatalogBody<'_> = serde_json::from_slice(body).map_err(invalid)?;
        let catalog = Catalog::compile(body.catalog.get(), now()).map_err(Error::from)?;
        let models = match body.models {
            Some(json) => Models::from_json(json.get())?,
            None => self.engine().models().clone(),
        };
        let warnings: Vec<String> = catalog.warnings().iter().map(|w| w.render()).collect();
        let engine = Engine::new(catalog, models)?;
        let out = serde_json::json!({
            "version": engine.catalog().version(),
            "offers": engine.catalog().offers().len(),
            "warnings": warnings,
        });
        *self.engine.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(engine);
        Ok(out.to_string())
    }

    /// `GET /health`: `ok`, or `degraded` while the store is away, with the node's counters.
    pub fn health(&self) -> (bool, String) {
        let (published, failures, last_error) = self.node.published();
        // Degraded while the store is away or this node's last publication failed (the store
        // away then, or another process publishing under this node's id).
        let reachable = self.store.alias("\u{1}health").is_ok() && last_error.is_none();
        let engine = self.engine();
        let s = &self.stats;
        let out = serde_json::json!({
            "status": if reachable { "ok" } else { "degraded" },
            "node": self.node.id(),
            "store": self.store_name,
            "catalog": engine.catalog().version(),
            "decisions": s.decisions.load(Ordering::Relaxed),
            "degraded_decisions": s.degraded.load(Ordering::Relaxed),
            "refused": s.refused.load(Ordering::Relaxed),
            "retries": s.retries.load(Ordering::Relaxed),
            "changes_published": published,
            "publish_failures": failures,
            "last_publish_error": last_error,
        });
        (reachable, out.to_string())
    }
}

fn internal(e: &dyn std::fmt::Display) -> Error {
    Error::new(ErrorCode::Internal, e.to_string())
}
