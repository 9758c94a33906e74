//! Fits BG/NBD and Gamma-Gamma on a population given as summaries, printing what `shopkeeper fit`
//! prints: for populations that exist only as summaries, such as the synthetic one of
//! `benches/fit_vs_lifetimes.py --synthetic`.
//!
//! Usage: `fit_summaries FILE.csv`, the CSV with a header and the columns of Python lifetimes'
//! summary tables, `frequency,recency,T,monetary_value` (time in the model's unit).

use std::time::Instant;

use shopkeeper::score::{BgNbd, FitReport, GammaGamma, Summary};

fn main() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: fit_summaries FILE.csv (frequency,recency,T,monetary_value)")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let summaries = text
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            parse(line).ok_or_else(|| format!("{path}:{}: not a summary: {line}", i + 2))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let clock = Instant::now();
    let (m, report) = BgNbd::fit(&summaries).map_err(|e| e.to_string())?;
    describe("BG/NBD", &BgNbd::NAMES, &m.to_array(), &report, clock);
    let clock = Instant::now();
    let (m, report) = GammaGamma::fit(&summaries).map_err(|e| e.to_string())?;
    describe(
        "Gamma-Gamma",
        &GammaGamma::NAMES,
        &m.to_array(),
        &report,
        clock,
    );
    Ok(())
}

fn parse(line: &str) -> Option<Summary> {
    let mut fields = line.split(',').map(str::trim);
    let frequency = fields.next()?.parse::<f64>().ok()?;
    let mut number = || fields.next()?.parse::<f64>().ok();
    Some(Summary {
        frequency: frequency as u32,
        recency: number()?,
        age: number()?,
        monetary: number()?,
    })
}

fn describe(model: &str, names: &[&str], values: &[f64], r: &FitReport, clock: Instant) {
    let elapsed = clock.elapsed().as_secs_f64() * 1e3;
    let params: Vec<String> = (names.iter().zip(values))
        .map(|(n, v)| format!("{n} = {v:.4}"))
        .collect();
    println!(
        "{model} ({} customers): {}\n  log-likelihood {:.2}, {} iterations ({} evaluations), {elapsed:.2} ms",
        r.customers,
        params.join("  "),
        r.ln_likelihood,
        r.iterations,
        r.evaluations,
    );
}
