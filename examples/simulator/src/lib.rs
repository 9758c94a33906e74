//! A simulator with a documented ground truth, to measure how good the decisions are.
//!
//! **The world.** Each decision is for a visitor of one of 3 segments (`outdoor`, `city`,
//! `bargain`), on one of 2 channels (`web`, `mobile`), on one of 2 pages (`home`, `cart`): 12 cells,
//! drawn uniformly. 10 offers; the chance that a visitor of cell `c` accepts offer `o` is
//! [`truth`]: a base rate per offer, a boost when the offer matches the segment, a boost on the
//! cart page for add-ons, a penalty on mobile for long forms. **Drift**: from decision
//! [`DRIFT_AT`] on, the segments' tastes rotate (outdoor likes what city liked, and so on).
//! Each decision advances the clock by 10 seconds.
//!
//! **The policies**, on the same decisions (same cells, same random numbers for the responses):
//! - *adaptive*: every offer's propensity is `adaptive` (Thompson sampling) with the cell as the
//!   learning segment, a half-life of 7 days and a Beta(2, 60) prior (about 3%, worth 62
//!   responses); the learner is updated with every response;
//! - *static*: a marketer's fixed priorities (propensity 0.05 each, value by guess), never updated;
//! - *uniform*: equal scores, so the seeded tie-break picks uniformly at random;
//! - *oracle*: knows [`truth`] and shows the best offer of the cell.
//!
//! Responses are drawn as `u < truth` with one uniform number per decision shared by all policies.

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
/// When the segments' tastes rotate.
pub const DRIFT_AT: usize = 100_000;
/// Seconds between decisions.
pub const STEP: i64 = 10;
const START: i64 = 1_795_500_000;

/// A decision's situation.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    /// Index into [`SEGMENTS`].
    pub segment: usize,
    /// Mobile (true) or web.
    pub mobile: bool,
    /// Cart page (true) or home.
    pub cart: bool,
}

impl Cell {
    fn name(&self) -> String {
        format!(
            "{}/{}/{}",
            SEGMENTS[self.segment],
            if self.mobile { "mobile" } else { "web" },
            if self.cart { "cart" } else { "home" }
        )
    }
}

/// The ground truth: the chance that a visitor in `cell` accepts `offer` at decision `t`.
pub fn truth(offer: usize, cell: Cell, t: usize) -> f64 {
    // After the drift, segment s has the tastes segment s + 1 had.
    let taste = if t >= DRIFT_AT {
        (cell.segment + 1) % 3
    } else {
        cell.segment
    };
    let base = [0.02, 0.02, 0.02, 0.02, 0.015, 0.03, 0.03, 0.01, 0.01, 0.015][offer];
    let liked: &[usize] = match taste {
        0 => &[0, 1, 2],
        1 => &[3, 4],
        _ => &[5, 6],
    };
    let mut p = base;
    if liked.contains(&offer) {
        p += 0.04 + 0.01 * offer as f64 % 0.03;
    }
    if cell.cart && (offer == 7 || offer == 5) {
        p += 0.05;
    }
    if cell.mobile && (offer == 8 || offer == 9) {
        p *= 0.5;
    }
    p
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
}

/// The policies compared.
pub const POLICIES: [&str; 4] = ["adaptive", "static", "uniform", "oracle"];

/// Accepts per policy in one window of decisions.
#[derive(Clone, Debug, Default)]
pub struct Window {
    /// Decisions up to the end of this window.
    pub until: usize,
    /// Accepts in the window, per policy (in [`POLICIES`] order).
    pub accepts: [u64; 4],
    /// Expected accepts (the truth of what was shown), per policy: less noisy than `accepts`.
    pub expected: [f64; 4],
}

fn catalog(
    propensity: impl Fn(usize) -> serde_json::Value,
    value: impl Fn(usize) -> f64,
) -> Result<Engine, shopkeeper::Error> {
    let catalog = serde_json::json!({
        "version": "simulation",
        "context": {"cell": "string"},
        "learning": {"segment": "context.cell", "half_life": "7d"},
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

/// Runs `decisions` decisions for every policy; returns the windows of `window` decisions.
pub fn simulate(
    decisions: usize,
    window: usize,
    seed: u64,
) -> Result<Vec<Window>, shopkeeper::Error> {
    let adaptive = catalog(
        |_| serde_json::json!({"adaptive": {"prior": [2, 60]}}),
        |_| 1.0,
    )?;
    // The marketer's guess: the deals first, then the rest; right about some cells, wrong about others.
    let guess = [5.0, 4.0, 3.0, 2.0, 1.0, 6.0, 2.0, 1.0, 1.0, 1.0];
    let fixed = catalog(|_| serde_json::json!({"fixed": 0.05}), |i| guess[i])?;
    let uniform = catalog(|_| serde_json::json!({"fixed": 0.05}), |_| 1.0)?;
    let mut learner: Learner = adaptive.catalog().new_learner()?;
    let profile = Profile::anonymous("simulated-visitor")?;
    let mut world = World(seed);
    let mut windows = Vec::new();
    let mut current = Window::default();
    for t in 0..decisions {
        let cell = Cell {
            segment: (world.next() % 3) as usize,
            mobile: world.next() % 2 == 1,
            cart: world.next() % 2 == 1,
        };
        let u = world.uniform();
        let now = START + t as i64 * STEP;
        let channel = if cell.mobile {
            Channel::Mobile
        } else {
            Channel::Web
        };
        let request = Request::new(channel, now).seed(world.next());
        let mut shown = [0usize; 4];
        for (k, engine) in [&adaptive, &fixed, &uniform].into_iter().enumerate() {
            let schema = engine.catalog().schema();
            let mut context = Context::new(schema);
            context.set(schema, "cell", Value::String(cell.name()))?;
            let decision = if k == 0 {
                engine.decide_with(&profile, &context, &request, &learner)?
            } else {
                engine.decide(&profile, &context, &request)?
            };
            let id = decision.picks()[0].action.id();
            shown[k] = OFFERS.iter().position(|o| *o == id).unwrap_or(0);
            if k == 0 {
                let accepted = u < truth(shown[0], cell, t);
                let response = if accepted {
                    Response::Accepted
                } else {
                    Response::Ignored
                };
                learner.update(id, decision.segment(), response, now)?;
            }
        }
        shown[3] = (0..OFFERS.len())
            .max_by(|&a, &b| truth(a, cell, t).total_cmp(&truth(b, cell, t)))
            .unwrap_or(0);
        for (k, &offer) in shown.iter().enumerate() {
            let p = truth(offer, cell, t);
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
pub fn rate(windows: &[Window], from: usize, to: usize) -> [f64; 4] {
    let mut sums = [0.0; 4];
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

/// The windows as CSV: decisions, then each policy's expected and observed acceptance rate in
/// the window, then each policy's cumulative expected regret against the oracle.
pub fn csv(windows: &[Window]) -> String {
    let mut out = String::from("decisions");
    for p in POLICIES {
        out.push_str(&format!(",{p}_expected,{p}_observed"));
    }
    for p in &POLICIES[..3] {
        out.push_str(&format!(",{p}_regret"));
    }
    out.push('\n');
    let (mut previous, mut regret) = (0, [0.0f64; 3]);
    for w in windows {
        let n = (w.until - previous) as f64;
        out.push_str(&w.until.to_string());
        for k in 0..4 {
            out.push_str(&format!(
                ",{:.6},{:.6}",
                w.expected[k] / n,
                w.accepts[k] as f64 / n
            ));
        }
        for (k, r) in regret.iter_mut().enumerate() {
            *r += w.expected[3] - w.expected[k];
            out.push_str(&format!(",{r:.3}"));
        }
        out.push('\n');
        previous = w.until;
    }
    out
}

/// A line chart of each policy's expected acceptance rate per window, as SVG.
pub fn svg(windows: &[Window]) -> String {
    let (width, height, margin) = (800.0, 400.0, 50.0);
    let last = windows.last().map_or(1, |w| w.until) as f64;
    let mut rates: Vec<[f64; 4]> = Vec::new();
    let mut previous = 0;
    for w in windows {
        let n = (w.until - previous).max(1) as f64;
        rates.push(w.expected.map(|e| e / n));
        previous = w.until;
    }
    let top = rates.iter().flatten().fold(0.0f64, |a, &b| a.max(b)) * 1.1;
    let x = |d: usize| margin + (width - 2.0 * margin) * d as f64 / last;
    let y = |r: f64| height - margin - (height - 2.0 * margin) * r / top.max(1e-9);
    let colours = ["#1b7837", "#2166ac", "#b2182b", "#000000"];
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{margin}\" y=\"20\">Expected acceptance rate per window of decisions (drift at {DRIFT_AT})</text>\n\
         <line x1=\"{margin}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\n\
         <line x1=\"{margin}\" y1=\"{margin}\" x2=\"{margin}\" y2=\"{b}\" stroke=\"#888\"/>\n\
         <line x1=\"{d}\" y1=\"{margin}\" x2=\"{d}\" y2=\"{b}\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n\
         <text x=\"{margin}\" y=\"{yl}\">0</text><text x=\"{r2}\" y=\"{yl}\">{last}</text>\n\
         <text x=\"5\" y=\"{margin}\">{top:.3}</text>\n",
        b = height - margin,
        r = width - margin,
        d = x(DRIFT_AT),
        yl = height - margin + 15.0,
        r2 = width - margin - 40.0,
    );
    let mut previous = 0;
    let mids: Vec<usize> = windows
        .iter()
        .map(|w| {
            let mid = (previous + w.until) / 2;
            previous = w.until;
            mid
        })
        .collect();
    for (k, policy) in POLICIES.iter().enumerate() {
        let points: Vec<String> = rates
            .iter()
            .zip(&mids)
            .map(|(r, &m)| format!("{:.1},{:.1}", x(m), y(r[k])))
            .collect();
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n\
             <text x=\"{}\" y=\"{}\" fill=\"{}\">{policy}</text>\n",
            colours[k],
            points.join(" "),
            width - margin - 70.0,
            height - margin - 60.0 + 15.0 * k as f64,
            colours[k]
        ));
    }
    out.push_str("</svg>\n");
    out
}
