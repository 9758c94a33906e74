//! An outdoor-gear shop's storefront, end to end: customers' events fold into profiles, and
//! Shopkeeper picks the next best offers for each page, with a receipt a marketer can read.
//!
//! Everything is embedded (the catalog in `catalog.json`, the models in `models.json`), so
//! `cargo run -p storefront` needs nothing else; the same files work with the `shopkeeper`
//! command (`check`, `decide`, `replay`).
//! `tests/scenarios.rs` asserts every decision printed here.

pub mod traffic;

use std::error::Error;
use std::fmt::Write;

use shopkeeper::decide::{Catalog, Decision, Engine, Request};
use shopkeeper::rules::{Context, Value};
use shopkeeper::score::Models;
use shopkeeper::{Channel, Event, Profile, Timestamp};

/// The shop's catalog: offers, rules, contact policies, control group.
pub const CATALOG: &str = include_str!("../catalog.json");

/// "Now" for the scenarios: 2026-11-24 06:00 UTC (the core has no clock; callers pass one).
pub const NOW: Timestamp = 1_795_500_000;
const DAY: Timestamp = 86_400;

/// The shop's models (`models.json`): BG/NBD and Gamma-Gamma with the parameters published for
/// CDNOW (weekly), a cross-sell table fitted on ten past baskets of the shop, and a small
/// sentiment lexicon written for the shop's customers (a real shop imports VADER's and fits a
/// learned layer on its own rated messages: README, "Conversations"), and cohorts by affiliate
/// written as the shop's first 1,240 customers might give them (a real shop fits them with
/// `shopkeeper fit` on a log with a source column: spec/scores.md, "Cohorts").
pub const MODELS: &str = include_str!("../models.json");

/// The models, read and checked.
pub fn models() -> Result<Models, shopkeeper::Error> {
    Models::from_json(MODELS)
}

/// One decision of a scenario: what happened before it, the picks, and the printed report.
#[derive(Debug)]
pub struct Step {
    /// What the customer just did.
    pub what: String,
    /// The picks' ids, best first.
    pub picks: Vec<String>,
    /// The decision and its receipt, for people.
    pub report: String,
}

/// A customer's story.
#[derive(Debug)]
pub struct Scenario {
    /// What it shows.
    pub title: &'static str,
    /// Its decisions, in order.
    pub steps: Vec<Step>,
}

/// The shop: the engine, and a request counter that seeds each decision.
pub struct Shop {
    engine: Engine,
    requests: u64,
}

impl Shop {
    /// Compiles the embedded catalog (printing its warnings) and loads the models.
    pub fn new() -> Result<Shop, Box<dyn Error>> {
        let catalog = Catalog::compile(CATALOG, NOW).map_err(|p| p.render())?;
        for warning in catalog.warnings() {
            eprint!("{}", warning.render());
        }
        Ok(Shop {
            engine: Engine::new(catalog, models()?)?,
            requests: 0,
        })
    }

    /// Decides for `profile` on `page`, prints the receipt, and records the shows (so contact
    /// policies see them), as a storefront would.
    fn decide(
        &mut self,
        profile: &mut Profile,
        what: &str,
        page: &str,
        slots: usize,
        at: Timestamp,
    ) -> Result<Step, Box<dyn Error>> {
        self.decide_on(Channel::Web, profile, what, page, slots, at)
    }

    /// [`Shop::decide`] on `channel`.
    fn decide_on(
        &mut self,
        channel: Channel,
        profile: &mut Profile,
        what: &str,
        page: &str,
        slots: usize,
        at: Timestamp,
    ) -> Result<Step, Box<dyn Error>> {
        let schema = self.engine.catalog().schema();
        let mut context = Context::new(schema);
        context.set(schema, "page_type", Value::String(page.into()))?;
        self.requests += 1;
        let request = Request::new(channel, at)
            .slots(slots)
            .seed(self.requests)
            .explain(true);
        let decision = self.engine.decide(profile, &context, &request)?;
        let report = render(&decision, profile, page, slots);
        let picks = decision
            .picks()
            .iter()
            .map(|p| p.action.id().to_string())
            .collect();
        for shown in decision.shown_events(at) {
            profile.apply(&shown, at)?;
        }
        Ok(Step {
            what: what.into(),
            picks,
            report,
        })
    }
}

impl Shop {
    /// What the visitor's cohort is worth: the customers who came from the same source.
    fn cohort(&self, profile: &Profile, now: Timestamp) -> String {
        let scores = self.engine.models().score(profile, now);
        let Some(c) = scores.cohort else {
            return String::new();
        };
        format!(
            "    cohort {:?}: {} customers came from there; cohort.clv {:.2}, repeat rate {:.0}%",
            c.source,
            c.customers.unwrap_or(0),
            c.clv.unwrap_or(0.0),
            100.0 * c.repeat_rate.unwrap_or(0.0)
        )
    }
}

/// The customer wrote `text` in the chat: the engine hears it (the catalog's intents, the models'
/// sentiment) as the message is folded; the text itself is not kept. Returns what was heard.
fn chat(
    shop: &Shop,
    profile: &mut Profile,
    at: Timestamp,
    text: &str,
) -> Result<String, Box<dyn Error>> {
    let message = serde_json::json!({
        "at": at, "channel": "chat", "type": "message", "direction": "inbound", "text": text
    });
    profile.apply_with(
        &Event::from_json(&message.to_string())?,
        at,
        &shop.engine.listener(),
    )?;
    let heard = shop.engine.hear(text)?;
    Ok(format!(
        "    heard: sentiment {:.2}, intents {}; the profile keeps {} negative message(s), customer.sentiment {:.2}",
        heard.sentiment.unwrap_or(0.0),
        heard.intents.join(", "),
        profile.conversation().negative,
        profile.conversation().sentiment(at).unwrap_or(0.0),
    ))
}

/// Applies events written as JSON (`spec/events.md`), as a storefront's event stream would.
fn apply(profile: &mut Profile, at: Timestamp, events: &[&str]) -> Result<(), Box<dyn Error>> {
    for json in events {
        profile.apply(&Event::from_json(json)?, at)?;
    }
    Ok(())
}

/// The decision and its receipt in words and numbers a marketer reads.
pub fn render(decision: &Decision<'_>, profile: &Profile, page: &str, slots: usize) -> String {
    let mut out = String::new();
    let Some(receipt) = decision.receipt() else {
        return out;
    };
    let _ = writeln!(
        out,
        "    {} on the {page} page, {slots} slot{} (catalog {})",
        receipt.customer,
        if slots == 1 { "" } else { "s" },
        receipt.catalog_version
    );
    if receipt.control_group {
        let _ = writeln!(out, "    in the control group: only the default action");
    }
    for (pick, record) in decision.picks().iter().zip(&receipt.picks) {
        let title = personalize(pick.action.title(), pick.action.payload(), profile);
        match &pick.score {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "    {}. {:<27} {:<52} score {:.2} = propensity {:.2} x context {:.2} x value {:.2} x lever {:.2}",
                    record.rank, record.offer, title, s.score, s.propensity, s.context_weight, s.value, s.lever
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "    {}. {:<27} {title} (default: no offer qualified)",
                    record.rank, record.offer
                );
            }
        }
    }
    if !receipt.dropped.is_empty() {
        let _ = writeln!(out, "    not chosen:");
        for d in &receipt.dropped {
            let (offer, stage) = (d.offer(), d.stage().as_str());
            let _ = writeln!(out, "      {offer:<27} {stage:<15} {}", d.cause());
        }
    }
    out
}

/// Fills `{first_name}` in a greeting payload from the profile: the channel's job, shown here.
fn personalize(title: &str, payload: Option<&str>, profile: &Profile) -> String {
    let greeting = payload
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|p| p["greeting"].as_str().map(String::from));
    match (greeting, profile.attribute("first_name")) {
        (Some(g), Some(shopkeeper::AttrValue::Text(name))) => g.replace("{first_name}", name),
        _ => title.into(),
    }
}

/// A session-start event's JSON, from an affiliate or not.
fn session_start(at: Timestamp, affiliate: Option<&str>) -> String {
    let affiliate = affiliate.map_or(String::new(), |a| format!(r#", "affiliate": "{a}""#));
    format!(r#"{{"at": {at}, "channel": "web", "type": "session_start"{affiliate}}}"#)
}

/// A cart-add event's JSON: one unit.
fn cart_add(at: Timestamp, product: &str, category: &str, unit_price: i64) -> String {
    format!(
        r#"{{"at": {at}, "channel": "web", "type": "cart_add", "product": "{product}", "category": "{category}", "quantity": 1, "unit_price": {unit_price}}}"#
    )
}

/// A purchase event's JSON.
fn purchase(at: Timestamp, channel: &str, order: &str, lines: &[(&str, &str, i64)]) -> String {
    let total: i64 = lines.iter().map(|l| l.2).sum();
    let lines: Vec<String> = lines
        .iter()
        .map(|(p, c, price)| {
            format!(
                r#"{{"product": "{p}", "category": "{c}", "quantity": 1, "unit_price": {price}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"at": {at}, "channel": "{channel}", "type": "purchase", "order": "{order}", "lines": [{}], "total": {total}}}"#,
        lines.join(", ")
    )
}

/// Plays every scenario.
pub fn play() -> Result<Vec<Scenario>, Box<dyn Error>> {
    let mut shop = Shop::new()?;
    Ok(vec![
        affiliate_visitor(&mut shop)?,
        registration(&mut shop)?,
        high_value_customer(&mut shop)?,
        store_buyer_on_the_web(&mut shop)?,
        open_complaint(&mut shop)?,
        dismissed_twice(&mut shop)?,
        unhappy_in_the_chat(&mut shop)?,
        lapsed_regular(&mut shop)?,
    ])
}

/// A regular who bought fuel every month, then stopped: four months later they are back.
fn lapsed_regular(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = Profile::known("cust-8018")?;
    let mut events = vec![purchase(
        NOW - 250 * DAY,
        "store",
        "cust-8018-o0",
        &[
            ("stove-compact", "stoves", 5900),
            ("gas-canister", "fuel", 900),
        ],
    )];
    for (i, days_ago) in [220, 190, 160, 130].iter().enumerate() {
        let at = NOW - days_ago * DAY;
        let order = format!("cust-8018-o{}", i + 1);
        events.push(purchase(
            at,
            "web",
            &order,
            &[("gas-canister", "fuel", 900)],
        ));
    }
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    apply(&mut p, NOW - 130 * DAY, &refs)?;
    let t = NOW - 600;
    apply(&mut p, t, &[&session_start(t, None)])?;
    let mut first = shop.decide(
        &mut p,
        "bought fuel every month, then nothing for four months; back on the home page",
        "home",
        2,
        t,
    )?;
    let pattern: Vec<&str> = p.out_of_pattern(t).collect();
    first.report = format!(
        "    own pattern: a purchase every {:.0} days, the last {:.0} days ago: customer.overdue {:.2}, customer.out_of_pattern {pattern:?}\n{}",
        p.purchase_gap(t).unwrap_or(0.0) / DAY as f64,
        (t - p.purchases().last_at.unwrap_or(t)) as f64 / DAY as f64,
        p.overdue(t).unwrap_or(0.0),
        first.report
    );
    let t = t + 120;
    let second = shop.decide(
        &mut p,
        "opens the help page: the stove will not light",
        "support",
        1,
        t,
    )?;
    Ok(Scenario {
        title: "A regular who broke their own pattern",
        steps: vec![first, second],
    })
}

fn unhappy_in_the_chat(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = loyal_customer("cust-6210", "Lin")?;
    let t = NOW - 900;
    apply(
        &mut p,
        t,
        &[
            &session_start(t, None),
            &cart_add(t, "stakes-alu", "tents", 1900),
        ],
    )?;
    let first = shop.decide(
        &mut p,
        "a loyal customer shops for tent stakes",
        "cart",
        3,
        t,
    )?;
    let t = t + 300;
    let said = "This is the second time my tent ARRIVED BROKEN, I want to cancel!";
    let heard = chat(shop, &mut p, t, said)?;
    let mut second = shop.decide_on(
        Channel::Chat,
        &mut p,
        &format!("writes in the chat: \"{said}\""),
        "chat",
        2,
        t,
    )?;
    second.report = format!("{heard}\n{}", second.report);
    Ok(Scenario {
        title: "A customer who writes in the chat",
        steps: vec![first, second],
    })
}

fn affiliate_visitor(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = Profile::anonymous("visitor-a1c9")?;
    let t = NOW - 600;
    apply(&mut p, t, &[&session_start(t, Some("trailblog"))])?;
    let mut first = shop.decide(&mut p, "arrives from the trailblog affiliate", "home", 2, t)?;
    first.report = format!("{}\n{}", shop.cohort(&p, t), first.report);
    let t = t + 120;
    apply(&mut p, t, &[&cart_add(t, "tent-2p", "tents", 24900)])?;
    let second = shop.decide(&mut p, "puts a two-person tent in the cart", "cart", 3, t)?;
    // Another first-time visitor, from a coupon site whose customers rarely come back.
    let mut other = Profile::anonymous("visitor-c0d4")?;
    apply(&mut other, t, &[&session_start(t, Some("coupon-hunt"))])?;
    let mut third = shop.decide(
        &mut other,
        "another first-time visitor arrives from the coupon-hunt affiliate",
        "home",
        2,
        t,
    )?;
    third.report = format!("{}\n{}", shop.cohort(&other, t), third.report);
    Ok(Scenario {
        title: "An anonymous visitor from an affiliate site",
        steps: vec![first, second, third],
    })
}

fn registration(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = Profile::anonymous("visitor-77b2")?;
    let t = NOW - 900;
    apply(
        &mut p,
        t,
        &[
            &session_start(t, None),
            &cart_add(t, "jacket-rain", "jackets", 8900),
        ],
    )?;
    let first = shop.decide(
        &mut p,
        "browses without an account, a rain jacket in the cart",
        "cart",
        1,
        t,
    )?;
    let t = t + 300;
    apply(
        &mut p,
        t,
        &[
            &format!(
                r#"{{"at": {t}, "channel": "web", "type": "offer_accepted", "offer": "register-free-shipping"}}"#
            ),
            &format!(
                r#"{{"at": {t}, "channel": "web", "type": "identify", "customer": "cust-2001"}}"#
            ),
        ],
    )?;
    let mut second = shop.decide(&mut p, "registers as cust-2001", "cart", 1, t)?;
    let _ = writeln!(
        second.report,
        "    the profile is now known as {}, its anonymous history kept: cart {:.2}, linked ids {:?}",
        p.id(),
        p.cart().value() as f64 / 100.0,
        p.identity().anonymous_ids.iter().map(|l| l.id.as_str()).collect::<Vec<_>>()
    );
    Ok(Scenario {
        title: "Free shipping in exchange for registering",
        steps: vec![first, second],
    })
}

/// A known customer with a year of orders: high CLV.
fn loyal_customer(id: &str, name: &str) -> Result<Profile, Box<dyn Error>> {
    let mut p = Profile::known(id)?;
    let first = NOW - 360 * DAY;
    let mut events = vec![format!(
        r#"{{"at": {first}, "channel": "web", "type": "attribute_set", "name": "first_name", "value": "{name}"}}"#
    )];
    for (i, days_ago) in [360, 300, 250, 190, 140, 95, 60, 21].iter().enumerate() {
        let at = NOW - days_ago * DAY;
        events.push(purchase(
            at,
            "web",
            &format!("{id}-o{i}"),
            &[
                ("boots-trail", "boots", 13900),
                ("socks-merino", "socks", 2400),
            ],
        ));
    }
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    apply(&mut p, NOW - 20 * DAY, &refs)?;
    Ok(p)
}

fn high_value_customer(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = loyal_customer("cust-1042", "Ada")?;
    let t = NOW - 300;
    apply(&mut p, t, &[&session_start(t, None)])?;
    let first = shop.decide(
        &mut p,
        "a loyal customer (8 orders this year) signs in",
        "home",
        2,
        t,
    )?;
    let t = t + 200;
    apply(&mut p, t, &[&cart_add(t, "tent-2p", "tents", 24900)])?;
    let second = shop.decide(&mut p, "adds a tent to the cart", "cart", 3, t)?;
    Ok(Scenario {
        title: "A known high-value customer",
        steps: vec![first, second],
    })
}

fn store_buyer_on_the_web(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    // The POS terminal knows the customer by loyalty card; the web by login: the same id.
    let mut pos = Profile::known("cust-3003")?;
    let bought = NOW - 3 * DAY;
    apply(
        &mut pos,
        bought,
        &[&purchase(
            bought,
            "store",
            "pos-88-1201",
            &[("tent-2p", "tents", 24900)],
        )],
    )?;
    let mut web = Profile::known("cust-3003")?;
    let t = NOW - 120;
    apply(&mut web, t, &[&session_start(t, None)])?;
    web.merge(&pos)?;
    let step = shop.decide(
        &mut web,
        "bought a tent in the store three days ago, now on the web",
        "home",
        1,
        t,
    )?;
    Ok(Scenario {
        title: "A store customer recognised on the web",
        steps: vec![step],
    })
}

fn open_complaint(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = loyal_customer("cust-5120", "Grace")?;
    let t = NOW - 300;
    apply(
        &mut p,
        t,
        &[
            &format!(
                r#"{{"at": {}, "channel": "contact_centre", "type": "complaint", "reason": "late delivery"}}"#,
                NOW - 2 * DAY
            ),
            &session_start(t, None),
            &cart_add(t, "headlamp", "lights", 3900),
        ],
    )?;
    let step = shop.decide(
        &mut p,
        "complained about a late delivery two days ago, now shopping",
        "cart",
        2,
        t,
    )?;
    Ok(Scenario {
        title: "A customer with an open complaint",
        steps: vec![step],
    })
}

fn dismissed_twice(shop: &mut Shop) -> Result<Scenario, Box<dyn Error>> {
    let mut p = Profile::anonymous("visitor-d15e")?;
    let mut steps = Vec::new();
    let start = NOW - 2 * DAY;
    for (i, at) in [start, start + DAY].into_iter().enumerate() {
        apply(&mut p, at, &[&session_start(at, Some("trailblog"))])?;
        let what = if i == 0 {
            "arrives from the affiliate"
        } else {
            "comes back the next day"
        };
        steps.push(shop.decide(&mut p, what, "home", 1, at)?);
        apply(
            &mut p,
            at + 5,
            &[&format!(
                r#"{{"at": {}, "channel": "web", "type": "offer_dismissed", "offer": "welcome-10"}}"#,
                at + 5
            )],
        )?;
    }
    let at = start + DAY + 3600;
    steps.push(shop.decide(
        &mut p,
        "dismissed the discount twice; an hour later",
        "home",
        1,
        at,
    )?);
    let at = start + 9 * DAY;
    apply(&mut p, at, &[&session_start(at, Some("trailblog"))])?;
    steps.push(shop.decide(
        &mut p,
        "returns after the 7-day cool-down, on the first day of the winter sale",
        "home",
        2,
        at,
    )?);
    Ok(Scenario {
        title: "A visitor who dismissed an offer twice",
        steps,
    })
}
