//! A week of the shop's traffic, generated with a known truth, for `shopkeeper replay --kpis`:
//! what the lift against the control group looks like when personalization works.
//!
//! The ground truth: each visitor arrives once (a session on the web or mobile, from an
//! affiliate or not), sees the home page (a `decide` line), and buys within ten minutes with
//! probability **8% when personalized and 5% in the universal control group** (the catalog's
//! 5%, by the core's own hash). Offer responses are not generated (the decisions are made by the
//! replay, after this is written). Everything comes from one seeded SplitMix64 stream, so a seed
//! gives the same lines on every machine.

use std::error::Error;
use std::fmt::Write;

use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::{Profile, Timestamp};

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

/// `visitors` visitors' events and decision requests as JSON Lines (`shopkeeper replay`'s
/// input), spread over the week before [`NOW`], from `seed`.
pub fn week(visitors: u64, seed: u64) -> Result<String, Box<dyn Error>> {
    let engine = Engine::new(
        Catalog::compile(CATALOG, NOW).map_err(|p| p.render())?,
        models()?,
    )?;
    let mut random = Stream(seed);
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
        line(
            &mut out,
            format!("\"at\": {at}, \"type\": \"session_start\"{from}"),
        );
        line(
            &mut out,
            format!("\"at\": {}, \"type\": \"decide\", \"slots\": 1, \"context\": {{\"page_type\": \"home\"}}", at + 5),
        );
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
