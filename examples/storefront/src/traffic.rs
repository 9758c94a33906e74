//! A week of the shop's traffic, generated with a known truth, for `shopkeeper replay --kpis`:
//! what the lift against the control group looks like when personalization works.
//!
//! The ground truth: each visitor arrives once (a session on the web or mobile, from an
//! affiliate or not), puts a product in the cart with probability 40%, sees the home or the cart
//! page (a `decide` line with its seed), and buys within ten minutes with probability **8% when
//! personalized and 5% in the universal control group** (the catalog's 5%, by the core's own
//! hash). The generator makes the replay's own decision (the same profile, request, seed and
//! budget counters) and answers the offer shown: accepted with the offer's [`acceptance`]
//! (`register-free-shipping` 25%, `welcome-10` 18%, `complete-the-kit` 12%) or dismissed 30%
//! of the time, within ten minutes. The answers hit shown offers when the stream is replayed as
//! the README does (`--models examples/storefront/models.json`, no `--learn` or `--cohorts`,
//! which would change the decisions). Everything comes from two seeded SplitMix64
//! streams (one for purchases, one for carts, seeds and answers), so a seed gives the same lines
//! on every machine.

use std::error::Error;
use std::fmt::Write;

use shopkeeper::budget::Budgets;
use shopkeeper::decide::{Catalog, Engine, Live, Request};
use shopkeeper::rules::{Context, Value};
use shopkeeper::{Channel, Event, EventKind, Profile, Timestamp};

use crate::{models, CATALOG, NOW};

/// Chance that a personalized visitor buys.
pub const TREATMENT_CONVERSION: f64 = 0.08;
/// Chance that a visitor of the control group buys.
pub const CONTROL_CONVERSION: f64 = 0.05;

/// The generator's random numbers: SplitMix64, as the core documents it.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Share of visitors who put a product in the cart before the decision (on the cart page).
pub const CART_SHARE: f64 = 0.4;
/// Share of shown offers dismissed.
const DISMISSALS: f64 = 0.3;

/// The chance that a visitor accepts `offer` when shown it: the truth the dashboard's acceptance
/// per offer shows.
pub fn acceptance(offer: &str) -> f64 {
    match offer {
        "welcome-10" => 0.18,
        "register-free-shipping" => 0.25,
        "complete-the-kit" => 0.12,
        _ => 0.05,
    }
}

/// The replay's decision for this visitor (`shopkeeper replay` with the same budget counters):
/// the `offer_shown` events of its picks.
fn decide(
    engine: &Engine,
    profile: &Profile,
    budgets: &Budgets,
    channel: &str,
    page: &str,
    now: Timestamp,
    seed: u64,
) -> Result<Vec<Event>, Box<dyn Error>> {
    let schema = engine.catalog().schema();
    let mut context = Context::new(schema);
    context.set(schema, "page_type", Value::String(page.into()))?;
    let channel = Channel::from_name(channel).ok_or("a channel")?;
    let request = Request::new(channel, now).slots(1).seed(seed);
    let live = Live {
        budgets: Some(budgets),
        ..Live::default()
    };
    Ok(engine
        .decide_live(profile, &context, &request, live)?
        .shown_events(now))
}

/// `visitors` visitors' events and decision requests as JSON Lines (`shopkeeper replay`'s
/// input), spread over the week before [`NOW`], from `seed`.
pub fn week(visitors: u64, seed: u64) -> Result<String, Box<dyn Error>> {
    let engine = Engine::new(
        Catalog::compile(CATALOG, NOW).map_err(|p| p.render())?,
        models()?,
    )?;
    let mut random = Stream(seed);
    // Carts, seeds and answers come from a second stream, so purchases stay as they were.
    let mut responses = Stream(seed ^ 0x5e5e_5e5e_5e5e_5e5e);
    let mut budgets = Budgets::new();
    let mut out = String::new();
    let week: Timestamp = 7 * 86_400;
    let products = [
        ("tent-2p", "tents", 24_900),
        ("headlamp", "lights", 3_900),
        ("stove", "cooking", 8_900),
        ("sleeping-bag", "sleep", 12_900),
    ];
    for i in 0..visitors {
        let id = format!("visitor-{i:06}");
        let at = NOW - week + (i as i64 * week) / visitors.max(1) as i64;
        let channel = random.pick(&["web", "web", "mobile"]);
        let affiliate = random.pick(&["", "", "trailblog", "coupon-hunt"]);
        let from = match affiliate {
            "" => String::new(),
            a => format!(", \"affiliate\": \"{a}\""),
        };
        let line = |out: &mut String, body: String| {
            let _ = writeln!(
                out,
                "{{\"profile\": \"{id}\", \"anonymous\": true, \"channel\": \"{channel}\", {body}}}"
            );
        };
        let mut profile = Profile::anonymous(&id)?;
        let event =
            |out: &mut String, (profile, budgets): (&mut Profile, &mut Budgets), body: String| {
                line(out, body.clone());
                let event = Event::from_json(&format!("{{\"channel\": \"{channel}\", {body}}}"))?;
                profile.apply(&event, event.at)?;
                budgets.record(engine.catalog(), &event)?;
                Ok::<(), shopkeeper::Error>(())
            };
        event(
            &mut out,
            (&mut profile, &mut budgets),
            format!("\"at\": {at}, \"type\": \"session_start\"{from}"),
        )?;
        // Some visitors put a product in the cart first, and see the cart page.
        let page = if responses.unit() < CART_SHARE {
            let (product, category, price) = products[(responses.next() % 4) as usize];
            event(
                &mut out,
                (&mut profile, &mut budgets),
                format!("\"at\": {}, \"type\": \"cart_add\", \"product\": \"{product}\", \"category\": \"{category}\", \"quantity\": 1, \"unit_price\": {price}", at + 2),
            )?;
            "cart"
        } else {
            "home"
        };
        let seed = responses.next() >> 11;
        line(
            &mut out,
            format!("\"at\": {}, \"type\": \"decide\", \"slots\": 1, \"seed\": {seed}, \"context\": {{\"page_type\": \"{page}\"}}", at + 5),
        );
        // The same decision as the replay's (same profile, request, seed and budget counters),
        // and the customer's answer to it.
        let shown = decide(&engine, &profile, &budgets, channel, page, at + 5, seed)?;
        for e in shown.iter() {
            profile.apply(e, at + 5)?;
            budgets.record(engine.catalog(), e)?;
        }
        if let Some(offer) = shown.first().and_then(|e| match &e.kind {
            EventKind::OfferShown { offer } => Some(offer.clone()),
            _ => None,
        }) {
            let answer = responses.unit();
            let accept = acceptance(&offer);
            let kind = if answer < accept {
                Some("offer_accepted")
            } else if answer < accept + DISMISSALS {
                Some("offer_dismissed")
            } else {
                None
            };
            if let Some(kind) = kind {
                let when = at + 35 + (responses.next() % 500) as i64;
                event(
                    &mut out,
                    (&mut profile, &mut budgets),
                    format!("\"at\": {when}, \"type\": \"{kind}\", \"offer\": \"{offer}\""),
                )?;
            }
        }
        let control = engine.in_control_group(&Profile::anonymous(&id)?);
        let conversion = if control {
            CONTROL_CONVERSION
        } else {
            TREATMENT_CONVERSION
        };
        if random.unit() < conversion {
            let (product, category, price) = products[(random.next() % 4) as usize];
            let bought = at + 60 + (random.next() % 540) as i64;
            line(
                &mut out,
                format!(
                    "\"at\": {bought}, \"type\": \"purchase\", \"order\": \"o-{i}\", \"total\": {price}, \"lines\": [{{\"product\": \"{product}\", \"category\": \"{category}\", \"quantity\": 1, \"unit_price\": {price}}}]"
                ),
            );
        }
    }
    Ok(out)
}
