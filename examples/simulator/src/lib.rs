//! A simulator with a documented ground truth, to measure how good the decisions are.
//!
//! **The world.** Each decision is for a visitor with six features, drawn independently:
//! - `segment`, the marketer's segment: `outdoor`, `city` or `bargain` (uniform);
//! - `device`: `web` or `mobile`, and `page`: `home` or `cart` (each half the time);
//! - `source`, where the visit came from: `search`, `affiliate`, `social` or `email` (uniform);
//! - `spend`, what the customer spent so far: about 20, 80, 300 or 1,500 (a tier drawn uniformly,
//!   times a factor in [0.7, 1.3));
//! - `tent`: a tent in the cart (3 visits in 10);
//! - and `day` (`mon` to `sun`), which changes nothing: a predictor that should learn no effect.
//!
//! 10 offers. The chance that a visitor accepts offer `o` is the logistic of [`logit`]: a base
//! rate per offer (about 1.5% to 4%), plus 1.0 when the segment likes the offer, an effect of
//! the source and one of the spend tier per offer (tables [`SOURCE`] and [`SPEND`], -0.8 to +1.0),
//! +1.4 for the add-ons (socks, boots) with a tent in the cart and -1.0 for the tent deal, +0.8 on
//! the cart page for the add-on and free shipping, -0.7 on mobile for the sign-up forms. The
//! segment and the page and device are what today's segments see; the source, the spend and the
//! tent are what they do not. **Drift**: from decision [`DRIFT_AT`] on, the segments' tastes
//! rotate (outdoor likes what city liked, and so on) and so do the sources' (search acts as
//! affiliate did). Each decision advances the clock by 10 seconds.
//!
//! **The policies**, on the same decisions (same visitors, same random numbers for the responses):
//! - *predictors*: every offer `adaptive` with a Beta(2, 60) prior, the catalog's predictors the
//!   seven features (spend in the bins 50, 200, 1,000; with [`SpendBins::Fitted`], in none: its
//!   powers of two, pooled where the responses show no difference), a half-life of 7 days (and
//!   the default recent half-life, a sixteenth of it: 10.5 hours);
//! - *segment*: today's adaptive offers: the same prior and half-life, learning per segment of
//!   `segment/device/page` (12 segments);
//! - *static*: a marketer's fixed priorities (propensity 0.05 each, value by guess), never updated;
//! - *uniform*: equal scores, so the seeded tie-break picks uniformly at random;
//! - *oracle*: knows the truth and shows the best offer for the visitor.
//!
//! Responses are drawn as `u < truth` with one uniform number per decision shared by all policies.

mod report;

pub use report::{csv, reached, shares, svg, Run};

use shopkeeper::decide::{Catalog, Engine, Request};
use shopkeeper::learn::{Learner, Response};
use shopkeeper::rules::{Context, Value};
use shopkeeper::score::Models;
use shopkeeper::{Channel, Profile};

/// The offers.
pub const OFFERS: [&str; 10] = [
    "tent-deal",
    "boots-deal",
    "jacket-deal",
    "city-bag",
    "commuter-bike-light",
    "free-shipping",
    "ten-percent",
    "socks-add-on",
    "newsletter-signup",
    "loyalty-signup",
];
/// The segments.
pub const SEGMENTS: [&str; 3] = ["outdoor", "city", "bargain"];
/// The sources.
pub const SOURCES: [&str; 4] = ["search", "affiliate", "social", "email"];
/// The days.
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// The spend tiers' typical amounts.
pub const TIERS: [f64; 4] = [20.0, 80.0, 300.0, 1500.0];
/// When the tastes rotate.
pub const DRIFT_AT: usize = 100_000;
/// Seconds between decisions.
pub const STEP: i64 = 10;
const START: i64 = 1_795_500_000;

/// Each offer's effect on the log odds, per source (in [`SOURCES`] order).
pub const SOURCE: [[f64; 4]; 10] = [
    [0.3, 0.8, -0.5, 0.0],
    [0.0, 0.6, 0.2, -0.4],
    [-0.3, 0.0, 0.8, 0.2],
    [0.5, -0.5, 0.3, 0.0],
    [0.0, 0.0, -0.6, 0.9],
    [0.6, 0.0, 0.0, -0.3],
    [-0.5, 1.0, 0.0, 0.2],
    [0.0, 0.2, 0.0, 0.0],
    [-0.8, -0.4, 0.0, 1.0],
    [0.0, -0.6, 0.4, 0.8],
];
/// Each offer's effect on the log odds, per spend tier.
pub const SPEND: [[f64; 4]; 10] = [
    [-0.6, 0.0, 0.5, 0.9],
    [-0.4, 0.2, 0.6, 0.3],
    [-0.8, -0.2, 0.4, 1.0],
    [0.0, 0.4, 0.2, -0.4],
    [0.3, 0.2, -0.2, -0.5],
    [0.8, 0.3, -0.3, -0.8],
    [1.0, 0.4, -0.4, -0.8],
    [0.0, 0.2, 0.2, 0.0],
    [0.5, 0.0, -0.3, -0.5],
    [-0.5, 0.0, 0.4, 0.9],
];
/// Each offer's base log odds.
pub const BASE: [f64; 10] = [-4.0, -4.0, -4.0, -4.0, -4.2, -3.5, -3.5, -4.5, -4.5, -4.2];

/// A visitor.
#[derive(Clone, Copy, Debug)]
pub struct Visitor {
    /// Index into [`SEGMENTS`].
    pub segment: usize,
    /// Mobile (true) or web.
    pub mobile: bool,
    /// Cart page (true) or home.
    pub cart: bool,
    /// Index into [`SOURCES`].
    pub source: usize,
    /// Index into [`TIERS`].
    pub tier: usize,
    /// What the customer spent so far.
    pub spend: f64,
    /// A tent in the cart.
    pub tent: bool,
    /// Index into [`DAYS`].
    pub day: usize,
}

/// The log odds that `visitor` accepts `offer` at decision `t`.
pub fn logit(offer: usize, v: &Visitor, t: usize) -> f64 {
    let drifted = t >= DRIFT_AT;
    let taste = if drifted {
        (v.segment + 1) % 3
    } else {
        v.segment
    };
    let source = if drifted {
        (v.source + 1) % 4
    } else {
        v.source
    };
    let liked: &[usize] = match taste {
        0 => &[0, 1, 2],
        1 => &[3, 4],
        _ => &[5, 6],
    };
    let mut x = BASE[offer] + SOURCE[offer][source] + SPEND[offer][v.tier];
    if liked.contains(&offer) {
        x += 1.0;
    }
    if v.tent {
        x += match offer {
            1 | 7 => 1.4,
            0 => -1.0,
            _ => 0.0,
        };
    }
    if v.cart && (offer == 7 || offer == 5) {
        x += 0.8;
    }
    if v.mobile && (offer == 8 || offer == 9) {
        x -= 0.7;
    }
    x
}

/// The chance that `visitor` accepts `offer` at decision `t`.
pub fn truth(offer: usize, v: &Visitor, t: usize) -> f64 {
    1.0 / (1.0 + (-logit(offer, v, t)).exp())
}

/// SplitMix64, for the world's randomness (not the library's: the policies draw their own).
struct World(u64);

impl World {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn visitor(&mut self) -> Visitor {
        let tier = (self.next() % 4) as usize;
        Visitor {
            segment: (self.next() % 3) as usize,
            mobile: self.next() % 2 == 1,
            cart: self.next() % 2 == 1,
            source: (self.next() % 4) as usize,
            tier,
            spend: TIERS[tier] * (0.7 + 0.6 * self.uniform()),
            tent: self.uniform() < 0.3,
            day: (self.next() % 7) as usize,
        }
    }
}

/// The policies compared, in the order of every array of results.
pub const POLICIES: [&str; 5] = ["predictors", "segment", "static", "uniform", "oracle"];
/// Index of the oracle in [`POLICIES`].
pub const ORACLE: usize = 4;

/// Accepts per policy in one window of decisions.
#[derive(Clone, Debug, Default)]
pub struct Window {
    /// Decisions up to the end of this window.
    pub until: usize,
    /// Accepts in the window, per policy (in [`POLICIES`] order).
    pub accepts: [u64; 5],
    /// Expected accepts (the truth of what was shown), per policy: less noisy than `accepts`.
    pub expected: [f64; 5],
}

/// Where the predictors policy's `spend` bins come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpendBins {
    /// The catalog's thresholds 50, 200 and 1,000.
    Catalog,
    /// None in the catalog: powers of two, pooled where the data show no difference
    /// (`spec/learning.md`, "Predictors").
    Fitted,
}

/// The predictors catalog's `learning` section.
pub fn predictors(spend: SpendBins) -> serde_json::Value {
    let spend = match spend {
        SpendBins::Catalog => {
            serde_json::json!({"name": "spend", "value": "context.spend", "bins": [50, 200, 1000]})
        }
        SpendBins::Fitted => serde_json::json!({"name": "spend", "value": "context.spend"}),
    };
    serde_json::json!({
        "half_life": "7d",
        "predictors": [
            {"name": "segment", "value": "context.segment"},
            {"name": "device", "value": "context.device"},
            {"name": "page", "value": "context.page"},
            {"name": "source", "value": "context.source"},
            spend,
            {"name": "tent", "value": "context.tent"},
            {"name": "day", "value": "context.day"}
        ]
    })
}

fn catalog(
    learning: serde_json::Value,
    propensity: impl Fn(usize) -> serde_json::Value,
    value: impl Fn(usize) -> f64,
) -> Result<Engine, shopkeeper::Error> {
    let catalog = serde_json::json!({
        "version": "simulation",
        "context": {"segment": "string", "device": "string", "page": "string", "source": "string",
                    "spend": "number", "tent": "bool", "day": "string", "cell": "string"},
        "learning": learning,
        "default": {"id": "nothing"},
        "offers": OFFERS.iter().enumerate().map(|(i, id)| serde_json::json!({
            "id": id, "value": value(i), "propensity": propensity(i)
        })).collect::<Vec<_>>()
    });
    Engine::new(
        Catalog::compile(&catalog.to_string(), START)?,
        Models::default(),
    )
}

fn context(engine: &Engine, v: &Visitor) -> Result<Context, shopkeeper::Error> {
    let schema = engine.catalog().schema();
    let mut context = Context::new(schema);
    let text = |s: &str| Value::String(s.into());
    let device = if v.mobile { "mobile" } else { "web" };
    let page = if v.cart { "cart" } else { "home" };
    context.set(schema, "segment", text(SEGMENTS[v.segment]))?;
    context.set(schema, "device", text(device))?;
    context.set(schema, "page", text(page))?;
    context.set(schema, "source", text(SOURCES[v.source]))?;
    context.set(schema, "spend", Value::Number(v.spend))?;
    context.set(schema, "tent", Value::Bool(v.tent))?;
    context.set(schema, "day", text(DAYS[v.day]))?;
    let cell = format!("{}/{device}/{page}", SEGMENTS[v.segment]);
    context.set(schema, "cell", Value::String(cell))?;
    Ok(context)
}

/// Runs `decisions` decisions for every policy; returns the windows of `window` decisions.
pub fn simulate(
    decisions: usize,
    window: usize,
    seed: u64,
    spend: SpendBins,
) -> Result<Vec<Window>, shopkeeper::Error> {
    let adaptive = |_| serde_json::json!({"adaptive": {"prior": [2, 60]}});
    let by_predictors = catalog(predictors(spend), adaptive, |_| 1.0)?;
    let by_segment = catalog(
        serde_json::json!({"segment": "context.cell", "half_life": "7d"}),
        adaptive,
        |_| 1.0,
    )?;
    // The marketer's guess: the deals first, then the rest; right for some visitors, wrong for others.
    let guess = [5.0, 4.0, 3.0, 2.0, 1.0, 6.0, 2.0, 1.0, 1.0, 1.0];
    let fixed = |_| serde_json::json!({"fixed": 0.05});
    let by_guess = catalog(serde_json::json!({}), fixed, |i| guess[i])?;
    let uniform = catalog(serde_json::json!({}), fixed, |_| 1.0)?;
    let engines = [&by_predictors, &by_segment, &by_guess, &uniform];
    let mut learners: [Learner; 2] = [
        by_predictors.catalog().new_learner()?,
        by_segment.catalog().new_learner()?,
    ];
    let profile = Profile::anonymous("simulated-visitor")?;
    let mut world = World(seed);
    let mut windows = Vec::new();
    let mut current = Window::default();
    for t in 0..decisions {
        let visitor = world.visitor();
        let u = world.uniform();
        let now = START + t as i64 * STEP;
        let channel = if visitor.mobile {
            Channel::Mobile
        } else {
            Channel::Web
        };
        let request = Request::new(channel, now).seed(world.next());
        let mut shown = [0usize; 5];
        for (k, engine) in engines.into_iter().enumerate() {
            let context = context(engine, &visitor)?;
            let decision = match learners.get(k) {
                Some(learner) => engine.decide_with(&profile, &context, &request, learner)?,
                None => engine.decide(&profile, &context, &request)?,
            };
            let id = decision.picks()[0].action.id();
            shown[k] = OFFERS.iter().position(|o| *o == id).unwrap_or(0);
            if let Some(learner) = learners.get_mut(k) {
                let response = if u < truth(shown[k], &visitor, t) {
                    Response::Accepted
                } else {
                    Response::Ignored
                };
                if k == 0 {
                    let bins = decision.predictors();
                    let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
                    learner.update_with(id, decision.segment(), &bins, response, now)?;
                } else {
                    learner.update(id, decision.segment(), response, now)?;
                }
            }
        }
        shown[ORACLE] = (0..OFFERS.len())
            .max_by(|&a, &b| logit(a, &visitor, t).total_cmp(&logit(b, &visitor, t)))
            .unwrap_or(0);
        for (k, &offer) in shown.iter().enumerate() {
            let p = truth(offer, &visitor, t);
            current.accepts[k] += u64::from(u < p);
            current.expected[k] += p;
        }
        if (t + 1) % window == 0 || t + 1 == decisions {
            current.until = t + 1;
            windows.push(std::mem::take(&mut current));
        }
    }
    Ok(windows)
}

/// Expected acceptance rate of each policy over the decisions in `(from, to]`.
pub fn rate(windows: &[Window], from: usize, to: usize) -> [f64; 5] {
    let mut sums = [0.0; 5];
    let mut n = 0usize;
    let mut previous = 0;
    for w in windows {
        if w.until > from && w.until <= to {
            for (sum, expected) in sums.iter_mut().zip(w.expected) {
                *sum += expected;
            }
            n += w.until - previous;
        }
        previous = w.until;
    }
    sums.map(|s| if n == 0 { 0.0 } else { s / n as f64 })
}
