//! `shopkeeper decide`: one decision and its receipt; `shopkeeper replay`: a stream of events and
//! decision requests, with per-offer shows, accepts and rates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shopkeeper::decide::{Engine, Request};
use shopkeeper::learn::{Learner, Response};
use shopkeeper::rules::{Context, Type, Value};
use shopkeeper::{Channel, Error, ErrorCode, EventKind, Profile, Timestamp};

use crate::fold::{Line, Profiles};

/// The arguments of `shopkeeper decide`.
pub struct DecideArgs {
    pub catalog: PathBuf,
    pub models: Option<PathBuf>,
    pub profile: Option<PathBuf>,
    pub context: Vec<String>,
    pub channel: String,
    pub slots: usize,
    pub seed: u64,
    pub now: Timestamp,
}

/// Decides for the profile and prints the receipt as pretty JSON.
pub fn run(args: &DecideArgs) -> Result<String, String> {
    let engine = crate::load::engine(&args.catalog, args.models.as_deref(), args.now)?;
    let profile = match &args.profile {
        Some(path) => {
            let mut all = crate::load::profiles(path)?;
            match all.len() {
                1 => all.remove(0),
                n => {
                    return Err(format!(
                        "{}: expected one profile, found {n}",
                        path.display()
                    ))
                }
            }
        }
        None => Profile::anonymous("visitor").map_err(|e| e.to_string())?,
    };
    let context = context(&engine, &args.context)?;
    let request = Request::new(channel(&args.channel)?, args.now)
        .slots(args.slots)
        .seed(args.seed)
        .explain(true);
    let decision = engine
        .decide(&profile, &context, &request)
        .map_err(|e| e.to_string())?;
    let receipt = decision.into_receipt().ok_or("no receipt")?;
    let json: serde_json::Value =
        serde_json::from_str(&receipt.to_json().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

/// `KEY=VALUE` pairs read with the types the catalog declares (lists: comma-separated).
fn context(engine: &Engine, pairs: &[String]) -> Result<Context, String> {
    let schema = engine.catalog().schema();
    let types: BTreeMap<String, Type> = schema.paths().into_iter().collect();
    let mut context = Context::new(schema);
    for pair in pairs {
        let (key, text) = pair
            .split_once('=')
            .ok_or_else(|| format!("--context {pair}: expected KEY=VALUE"))?;
        let value = match types.get(&format!("context.{key}")) {
            Some(Type::Bool) => Value::Bool(
                text.parse()
                    .map_err(|_| format!("--context {key}: true or false"))?,
            ),
            Some(Type::Number | Type::Timestamp | Type::Duration) => Value::Number(
                text.parse()
                    .map_err(|_| format!("--context {key}: a number"))?,
            ),
            Some(Type::List) => Value::List(text.split(',').map(String::from).collect()),
            Some(Type::String) => Value::String(text.into()),
            None => return Err(format!("--context {key}: the catalog declares no such key")),
        };
        context
            .set(schema, key, value)
            .map_err(|e| format!("--context {key}: {e}"))?;
    }
    Ok(context)
}

fn channel(name: &str) -> Result<Channel, String> {
    Channel::ALL
        .into_iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| {
            format!("unknown channel {name:?} (web, mobile, store, contact_centre, email or kiosk)")
        })
}

/// Per offer: shows (picks of replayed decisions), accepts and dismisses (from the stream).
#[derive(Default)]
struct Counts {
    shows: u64,
    accepts: u64,
    dismisses: u64,
}

/// The options of `shopkeeper replay`.
pub struct ReplayArgs<'a> {
    pub events: &'a Path,
    pub catalog: &'a Path,
    pub models: Option<&'a Path>,
    /// Update a learner from the responses as the stream plays.
    pub learn: bool,
    /// Where to write the learner's binary form at the end (implies `learn`).
    pub save_learner: Option<&'a Path>,
    /// Where to write the decision log (`shopkeeper ope` reads it).
    pub log: Option<&'a Path>,
}

/// Plays the stream: events fold into profiles as in `shopkeeper profile`; a line with `"type":
/// "decide"` asks for a decision (`channel`, `slots`, `context`, `seed`), whose picks are shown
/// (recorded as `offer_shown`). Prints per-offer shows, accepts, dismisses and rates.
pub fn replay(args: &ReplayArgs<'_>) -> Result<(String, bool), String> {
    let (path, catalog, models) = (args.events, args.catalog, args.models);
    let learn = args.learn || args.save_learner.is_some();
    let name = path.display().to_string();
    let text = crate::read(path)?;
    let mut engine: Option<Engine> = None;
    // With --learn: the learner, and the segment each profile was shown each offer in.
    let mut learner: Option<Learner> = None;
    let mut shown_in: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut learned = 0u64;
    let mut profiles = Profiles::default();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    // With --log: one entry per decision, and the entry that last showed each (profile, offer).
    let mut log: Vec<serde_json::Value> = Vec::new();
    let mut logged_in: BTreeMap<(String, String), usize> = BTreeMap::new();
    let (mut decisions, mut fallbacks, mut control, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let result = match crate::fold::parse(line) {
            Ok(Line::Event {
                profile,
                anonymous,
                event,
            }) => {
                let at = event.at;
                if let EventKind::OfferAccepted { offer } | EventKind::OfferDismissed { offer } =
                    &event.kind
                {
                    let accepted = matches!(event.kind, EventKind::OfferAccepted { .. });
                    let entry = counts.entry(offer.clone()).or_default();
                    let key = (profile.clone(), offer.clone());
                    if let (true, Some(&i)) = (accepted, logged_in.get(&key)) {
                        if let Some(list) = log[i]["accepted"].as_array_mut() {
                            list.push(offer.as_str().into());
                        }
                    }
                    if accepted {
                        entry.accepts += 1;
                    } else {
                        entry.dismisses += 1;
                    }
                    let segment = shown_in.get(&(profile.clone(), offer.clone()));
                    if let (Some(learner), Some(segment)) = (learner.as_mut(), segment) {
                        let response = if accepted {
                            Response::Accepted
                        } else {
                            Response::Dismissed
                        };
                        if learner.update(offer, segment, response, at).is_ok() {
                            learned += 1;
                        }
                    }
                }
                profiles.apply(&profile, anonymous, &event, at).map(|_| ())
            }
            Ok(Line::Decide {
                profile,
                anonymous,
                request,
            }) => {
                // The catalog is compiled at the stream's first decision time (for its warnings).
                if engine.is_none() {
                    let built = crate::load::engine(catalog, models, request.at)?;
                    if learn {
                        learner = Some(built.catalog().new_learner().map_err(|e| e.to_string())?);
                    }
                    engine = Some(built);
                }
                let engine = engine.as_ref().ok_or("no engine")?;
                decide_line(
                    (engine, learner.as_ref()),
                    &mut profiles,
                    &profile,
                    anonymous,
                    &request,
                    index as u64,
                    args.log.is_some(),
                )
                .map(|decision| {
                    decisions += 1;
                    if let Some(entry) = decision.log {
                        for id in &decision.picks {
                            logged_in.insert((profile.clone(), id.clone()), log.len());
                        }
                        log.push(entry);
                    }
                    fallbacks += u64::from(decision.fallback);
                    control += u64::from(decision.control_group);
                    for id in decision.picks {
                        shown_in.insert((profile.clone(), id.clone()), decision.segment.clone());
                        counts.entry(id).or_default().shows += 1;
                    }
                })
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            rejected += 1;
            eprintln!("{name}:{}: error[{}]: {}", index + 1, e.code(), e.message());
        }
    }
    let mut out = format!(
        "{:<32} {:>7} {:>8} {:>10} {:>12}\n",
        "offer", "shows", "accepts", "dismisses", "accept rate"
    );
    for (offer, c) in &counts {
        let rate = if c.shows == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", 100.0 * c.accepts as f64 / c.shows as f64)
        };
        out.push_str(&format!(
            "{offer:<32} {:>7} {:>8} {:>10} {rate:>12}\n",
            c.shows, c.accepts, c.dismisses
        ));
    }
    out.push_str(&format!(
        "{decisions} decisions ({fallbacks} fell back to the default, {control} in the control group); {rejected} lines rejected"
    ));
    if let Some(learner) = &learner {
        out.push_str(&format!(
            "\nlearned from {learned} responses: {} arms, half-life {} s",
            learner.len(),
            learner.half_life()
        ));
        if let Some(file) = args.save_learner {
            let bytes = learner.to_bytes().map_err(|e| e.to_string())?;
            std::fs::write(file, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            out.push_str(&format!("; saved to {}", file.display()));
        }
    }
    if let Some(file) = args.log {
        let mut text = String::new();
        for entry in &log {
            text.push_str(&entry.to_string());
            text.push('\n');
        }
        std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        out.push_str(&format!(
            "\nlogged {} decisions to {}",
            log.len(),
            file.display()
        ));
    }
    Ok((out, rejected == 0))
}

/// A decision request of the stream.
pub struct DecideLine {
    pub at: Timestamp,
    pub channel: Channel,
    pub slots: usize,
    pub seed: Option<u64>,
    pub context: serde_json::Value,
}

impl DecideLine {
    /// `{"type": "decide", "at": T, "channel": "web", "slots": 2, "seed": 7, "context": {...}}`
    /// (without the `profile` and `anonymous` the caller took out).
    pub fn from_json(object: &serde_json::Map<String, serde_json::Value>) -> Result<Self, Error> {
        let invalid = |message: String| Error::new(ErrorCode::InvalidJson, message);
        for key in object.keys() {
            if !["type", "at", "channel", "slots", "seed", "context"].contains(&key.as_str()) {
                return Err(invalid(format!(
                    "unknown field `{key}` of a decision request"
                )));
            }
        }
        let at = object
            .get("at")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| {
                invalid("a decision request needs `at` (seconds since the epoch)".into())
            })?;
        let channel = object
            .get("channel")
            .and_then(serde_json::Value::as_str)
            .map_or(Ok(Channel::Web), |c| channel(c).map_err(invalid))?;
        let slots = object
            .get("slots")
            .map_or(Some(1), serde_json::Value::as_u64);
        let slots = slots.ok_or_else(|| invalid("`slots` is a number".into()))? as usize;
        let seed = match object.get("seed") {
            None => None,
            Some(s) => Some(
                s.as_u64()
                    .ok_or_else(|| invalid("`seed` is a number".into()))?,
            ),
        };
        let context = object
            .get("context")
            .cloned()
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        Ok(DecideLine {
            at,
            channel,
            slots,
            seed,
            context,
        })
    }
}

/// What replay keeps of a decision.
struct Replayed {
    picks: Vec<String>,
    fallback: bool,
    control_group: bool,
    segment: String,
    /// The decision log's entry (`shopkeeper ope`), when logging.
    log: Option<serde_json::Value>,
}

/// Decides with the policy (engine and learner) for a profile of the stream, records the picks as
/// shown; with `log`, also builds the decision log's entry.
fn decide_line(
    (engine, learner): (&Engine, Option<&Learner>),
    profiles: &mut Profiles,
    id: &str,
    anonymous: bool,
    request: &DecideLine,
    line: u64,
    log: bool,
) -> Result<Replayed, Error> {
    let schema = engine.catalog().schema();
    let context = Context::from_json(schema, &request.context.to_string())?;
    let profile = profiles.get(id, anonymous)?;
    let req = Request::new(request.channel, request.at)
        .slots(request.slots)
        .seed(request.seed.unwrap_or(line))
        .explain(log);
    let decision = match learner {
        Some(learner) => engine.decide_with(profile, &context, &req, learner)?,
        None => engine.decide(profile, &context, &req)?,
    };
    let picks = decision
        .picks()
        .iter()
        .map(|p| p.action.id().to_string())
        .collect();
    let log = match decision.receipt() {
        Some(receipt) => {
            let parse = |json: &str| {
                serde_json::from_str::<serde_json::Value>(json)
                    .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
            };
            Some(serde_json::json!({
                "profile": parse(&profile.export()?)?,
                "context": request.context,
                "receipt": parse(&receipt.to_json()?)?,
                "accepted": [],
            }))
        }
        None => None,
    };
    let replayed = Replayed {
        picks,
        fallback: decision.fallback(),
        control_group: decision.control_group(),
        segment: decision.segment().into(),
        log,
    };
    for event in decision.shown_events(request.at) {
        // Ignored for a customer who objects to personalization: nothing is recorded then.
        profile.apply(&event, request.at)?;
    }
    Ok(replayed)
}
