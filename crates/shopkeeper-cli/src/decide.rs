//! `shopkeeper decide`: one decision and its receipt; `shopkeeper replay`: a stream of events and
//! decision requests, with per-offer shows, accepts and rates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shopkeeper::budget::{Budgets, Limit};
use shopkeeper::decide::{DecisionRequest, Engine, Live, LogEntry, Request};
use shopkeeper::fleet::Directory;
use shopkeeper::kpi::Kpis;
use shopkeeper::learn::{CohortCounts, Learner, Response};
use shopkeeper::rules::{Context, Type, Value};
use shopkeeper::{Channel, Error, ErrorCode, EventKind, Profile, Timestamp};

use crate::fold::Line;

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
    Channel::from_name(name).ok_or_else(|| format!("unknown channel {name:?} ({})", Channel::NAMES))
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
    /// Count live cohorts as the stream plays; decisions read them.
    pub cohorts: bool,
    /// Where to write the cohort counts' binary form at the end (implies `cohorts`).
    pub save_cohorts: Option<&'a Path>,
    /// Count KPIs of the treatment arm and the control group, and print the lift.
    pub kpis: bool,
    /// Where to write the KPIs' binary form at the end (implies `kpis`).
    pub save_kpis: Option<&'a Path>,
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
    let mut learner: Option<Learner> = None;
    let mut learned = 0u64;
    let mut cohorts: Option<CohortCounts> = None;
    let mut kpis: Option<Kpis> = None;
    let mut budgets = Budgets::new();
    let mut profiles = Directory::new();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    // Every decision's log entry, and the entry that last showed each (profile, offer): a
    // response is credited to the segment of the decision that showed the offer.
    let mut log: Vec<LogEntry> = Vec::new();
    let mut shown_by: BTreeMap<(String, String), usize> = BTreeMap::new();
    let (mut decisions, mut fallbacks, mut control, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = crate::fold::parse(line);
        if engine.is_none() {
            // Compiled at the stream's first time (its warnings are dated by it), before the
            // first event, which the catalog's intents hear.
            let first = match &parsed {
                Ok(Line::Event { event, .. }) => Some(event.at),
                Ok(Line::Decide { request, .. }) => Some(request.now.unwrap_or_default()),
                Err(_) => None,
            };
            if let Some(at) = first {
                let built = crate::load::engine(catalog, models, at)?;
                if learn {
                    learner = Some(built.catalog().new_learner().map_err(|e| e.to_string())?);
                }
                if args.cohorts || args.save_cohorts.is_some() {
                    // Every visitor of the stream, whenever they first came.
                    let key = built.models().cohort_key();
                    cohorts = Some(CohortCounts::new(key, 0).map_err(|e| e.to_string())?);
                }
                if args.kpis || args.save_kpis.is_some() {
                    kpis = Some(Kpis::new(0).map_err(|e| e.to_string())?);
                }
                engine = Some(built);
            }
        }
        let result = match parsed {
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
                    if accepted {
                        entry.accepts += 1;
                    } else {
                        entry.dismisses += 1;
                    }
                    if let Some(&i) = shown_by.get(&(profile.clone(), offer.clone())) {
                        let response = if accepted {
                            Response::Accepted
                        } else {
                            Response::Dismissed
                        };
                        if accepted {
                            log[i].accept(offer);
                        }
                        if let Some(kpis) = kpis.as_mut() {
                            // The event is checked by the profile below; a bad one counts nothing.
                            let _ = kpis.record_offer(&log[i].decision, &event);
                        }
                        if let Some(learner) = learner.as_mut() {
                            if learner.credit(&log[i].decision, offer, response, at) == Ok(true) {
                                learned += 1;
                            }
                        }
                    }
                }
                let listener = engine.as_ref().map(Engine::listener).unwrap_or_default();
                profiles
                    .apply(
                        &profile,
                        anonymous,
                        &event,
                        at,
                        &listener,
                        |before, after| {
                            if let Some(cohorts) = cohorts.as_mut() {
                                cohorts.record(before, after);
                            }
                            if let (Some(kpis), Some(engine)) = (kpis.as_mut(), engine.as_ref()) {
                                kpis.record(before, after, engine.in_control_group(after));
                            }
                        },
                    )
                    .map(|_| {
                        if let Some(engine) = engine.as_ref() {
                            // Shows and accepts of budgeted offers (the time was checked).
                            if let Err(e) = budgets.record(engine.catalog(), &event) {
                                eprintln!("{name}:{}: budgets: {e}", index + 1);
                            }
                        }
                    })
            }
            Ok(Line::Decide {
                profile,
                anonymous,
                request,
            }) => {
                let engine = engine.as_ref().ok_or("no engine")?;
                let live = Live {
                    learner: learner.as_ref(),
                    cohorts: cohorts.as_ref(),
                    budgets: None,
                };
                let counters = Counters {
                    kpis: kpis.as_mut(),
                    budgets: &mut budgets,
                };
                decide_line(
                    (engine, live),
                    &mut profiles,
                    (&profile, anonymous),
                    &request,
                    index as u64,
                    counters,
                )
                .map(|entry| {
                    decisions += 1;
                    let record = &entry.decision;
                    fallbacks += u64::from(record.fallback);
                    control += u64::from(record.control_group);
                    if !record.fallback {
                        for pick in record.picks.iter() {
                            shown_by.insert((profile.clone(), pick.offer.clone()), log.len());
                            counts.entry(pick.offer.clone()).or_default().shows += 1;
                        }
                    }
                    log.push(entry);
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
    if let Some(engine) = &engine {
        out.push_str(&budget_lines(engine, &budgets));
    }
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
    if let Some(cohorts) = &cohorts {
        out.push_str(&cohort_table(cohorts, engine.as_ref()));
        if let Some(file) = args.save_cohorts {
            let bytes = cohorts.to_bytes().map_err(|e| e.to_string())?;
            std::fs::write(file, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            out.push_str(&format!("\ncohort counts saved to {}", file.display()));
        }
    }
    if let Some(kpis) = &kpis {
        let (t, c) = (kpis.treatment(), kpis.control());
        out.push_str(&format!(
            "\nKPIs: treatment {} customers ({} bought), control group {} ({} bought)\nlift: {}",
            t.customers,
            t.converters,
            c.customers,
            c.converters,
            kpis.lift().summary()
        ));
        if let Some(file) = args.save_kpis {
            let bytes = kpis.to_bytes().map_err(|e| e.to_string())?;
            std::fs::write(file, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            out.push_str(&format!("\nKPIs saved to {}", file.display()));
        }
    }
    if let Some(file) = args.log {
        let mut text = String::new();
        for entry in &log {
            text.push_str(&entry.to_json().map_err(|e| e.to_string())?);
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

/// What a replayed decision counts: the KPIs, when asked for, and the budget counters.
struct Counters<'a> {
    kpis: Option<&'a mut Kpis>,
    budgets: &'a mut Budgets,
}

/// Decides with the policy (engine, learner, cohort counts, and the budget counters) for a
/// profile of the stream (the request's seed, else the line number), records the picks as shown,
/// and returns the decision's log entry (its record, with the profile and context it saw).
fn decide_line(
    (engine, live): (&Engine, Live<'_>),
    profiles: &mut Directory,
    (id, anonymous): (&str, bool),
    request: &DecisionRequest,
    line: u64,
    counters: Counters<'_>,
) -> Result<LogEntry, Error> {
    let context = request.context(engine.catalog().schema())?;
    let profile = profiles.get(id, anonymous)?;
    let mut req = request.request()?.log(true);
    if request.seed.is_none() {
        req = req.seed(line);
    }
    let Counters { kpis, budgets } = counters;
    let live = Live {
        budgets: Some(budgets),
        ..live
    };
    let decision = engine.decide_live(profile, &context, &req, live)?;
    let record = decision
        .log()
        .ok_or_else(|| Error::new(ErrorCode::Internal, "a logged decision has its record"))?;
    let entry = LogEntry::new(engine, profile, &context, record)?;
    let mut kpis = kpis;
    if let Some(kpis) = kpis.as_deref_mut() {
        kpis.record_decision(&entry.decision)?;
    }
    for event in decision.shown_events(req.now) {
        // Ignored for a customer who objects to personalization: nothing is recorded then.
        profile.apply_with(&event, req.now, &engine.listener())?;
        if let Err(e) = budgets.record(engine.catalog(), &event) {
            eprintln!("budgets: {e}");
        }
        if let Some(kpis) = kpis.as_deref_mut() {
            kpis.record_offer(&entry.decision, &event)?;
        }
    }
    Ok(entry)
}

/// Each budgeted offer's spend in the last period the stream counted.
fn budget_lines(engine: &Engine, budgets: &Budgets) -> String {
    let mut out = String::new();
    for (id, spend) in budgets.offers() {
        let Some(budget) = engine.catalog().offer(id).and_then(|o| o.budget()) else {
            continue;
        };
        let spent = match budget.limit {
            Limit::Shows => spend.shows,
            Limit::Accepts => spend.accepts,
        };
        out.push_str(&format!(
            "\nbudget of {id}: {spent} of {} {} spent in the {}-second period from {}",
            budget.max,
            budget.limit.as_str(),
            spend.per,
            spend.start
        ));
    }
    out
}

/// The live cohorts the stream counted: the largest sources (by visitors) with their conversion
/// as rules read it (`cohort.conversion`, pulled toward the population's).
fn cohort_table(cohorts: &CohortCounts, engine: Option<&Engine>) -> String {
    const SHOWN: usize = 10;
    let prior = engine.map_or(shopkeeper::score::DEFAULT_COHORT_PRIOR, |e| {
        e.models().cohort_prior()
    });
    let all = cohorts.population();
    let mut out = format!(
        "\ncohorts by {}: {} visitors from {} sources, {} first purchases, {} orders\n{:<32} {:>8} {:>15} {:>7} {:>11}",
        cohorts.by().as_str(),
        all.visitors,
        cohorts.len(),
        all.first_purchases,
        all.orders,
        "source",
        "visitors",
        "first purchases",
        "orders",
        "conversion"
    );
    let mut sources: Vec<_> = cohorts.sources().collect();
    sources.sort_by(|a, b| b.1.visitors.cmp(&a.1.visitors).then(a.0.cmp(b.0)));
    for (source, c) in sources.iter().take(SHOWN) {
        let conversion = cohorts
            .conversion(source, prior)
            .map_or("-".into(), |v| format!("{:.1}%", 100.0 * v));
        out.push_str(&format!(
            "\n{source:<32} {:>8} {:>15} {:>7} {conversion:>11}",
            c.visitors, c.first_purchases, c.orders
        ));
    }
    if sources.len() > SHOWN {
        out.push_str(&format!("\n({} more sources)", sources.len() - SHOWN));
    }
    out
}
