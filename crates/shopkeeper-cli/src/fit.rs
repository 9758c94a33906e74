//! `shopkeeper fit`: fit every model a transaction log supports and write them as one models file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use shopkeeper::score::{
    parse_date, referrer_host, summarize, BgNbd, CoOccurrence, CohortKey, Cohorts, CrossSell,
    CrossSellOptions, CustomerHistory, FitReport, GammaGamma, Models, ParetoNbd, PurchaseModel,
    Rfm, TimeUnit, DEFAULT_COHORT_PRIOR, NO_SOURCE,
};
use shopkeeper::ErrorCode;

use crate::transactions::{self, Format, Line};

/// Which purchase-process model to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    Bgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd,
}

/// Which field of the first session a log's `source` column holds (spec/scores.md, "Cohorts").
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CohortBy {
    /// The affiliate credited with the first visit.
    Affiliate,
    /// The referrer of the first visit (its host is kept).
    Referrer,
    /// The channel of the first visit.
    Channel,
}

/// A log summarised at the calibration end.
pub struct Period {
    pub histories: Vec<CustomerHistory>,
    pub lines: Vec<Line>,
    pub unit: TimeUnit,
    /// The holdout length in time units (0 without a holdout end).
    pub holdout: f64,
}

/// Reads and summarises a log; dates are `YYYY-MM-DD`.
pub fn period(
    path: &std::path::Path,
    format: Format,
    calibration_end: &str,
    holdout_end: Option<&str>,
    unit: &str,
) -> Result<Period, String> {
    let unit =
        TimeUnit::parse(unit).ok_or_else(|| format!("--unit {unit:?}: day, week or month"))?;
    let date = |flag: &str, text: &str| {
        parse_date(text).ok_or_else(|| format!("{flag} {text:?} is not a date (YYYY-MM-DD)"))
    };
    let end = date("--calibration-end", calibration_end)?;
    let holdout_end = holdout_end
        .map(|h| date("--holdout-end", h))
        .transpose()?
        .unwrap_or(end);
    if holdout_end < end {
        return Err("--holdout-end is before --calibration-end".into());
    }
    let lines = transactions::read(path, format)?;
    let log: Vec<_> = lines.iter().map(|l| l.transaction.clone()).collect();
    let histories = summarize(&log, end, holdout_end, unit).map_err(|e| e.to_string())?;
    Ok(Period {
        histories,
        lines,
        unit,
        holdout: (holdout_end - end) as f64 / unit.days(),
    })
}

pub struct FitArgs {
    pub transactions: PathBuf,
    pub format: Format,
    pub calibration_end: String,
    pub holdout_end: Option<String>,
    pub unit: String,
    pub model: ModelKind,
    pub cohort_by: CohortBy,
    pub out: PathBuf,
}

pub fn run(args: &FitArgs) -> Result<String, String> {
    let started = Instant::now();
    let period = period(
        &args.transactions,
        args.format,
        &args.calibration_end,
        args.holdout_end.as_deref(),
        &args.unit,
    )?;
    let summaries: Vec<_> = period.histories.iter().map(|h| h.summary).collect();
    let say = |line: String| println!("{line}");
    say(format!(
        "{}: {} transactions, {} customers at the calibration end {} (time unit: {})",
        args.transactions.display(),
        period.lines.len(),
        period.histories.len(),
        args.calibration_end,
        period.unit.name()
    ));
    let mut models = Models::default();
    models.unit = period.unit;

    let clock = Instant::now();
    eprintln!(
        "fitting the purchase model on {} customers...",
        summaries.len()
    );
    let (purchases, report) = match args.model {
        ModelKind::Bgnbd => {
            let (m, r) = BgNbd::fit(&summaries).map_err(|e| e.to_string())?;
            (PurchaseModel::Bgnbd(m), r)
        }
        ModelKind::ParetoNbd => {
            let (m, r) = ParetoNbd::fit(&summaries).map_err(|e| e.to_string())?;
            (PurchaseModel::ParetoNbd(m), r)
        }
    };
    let params = match purchases {
        PurchaseModel::Bgnbd(m) => named(&BgNbd::NAMES, &m.to_array()),
        PurchaseModel::ParetoNbd(m) => named(&ParetoNbd::NAMES, &m.to_array()),
    };
    say(describe(
        match args.model {
            ModelKind::Bgnbd => "BG/NBD",
            ModelKind::ParetoNbd => "Pareto/NBD",
        },
        &params,
        &report,
        clock,
    ));
    models.purchases = Some(purchases);

    let clock = Instant::now();
    match GammaGamma::fit(&summaries) {
        Ok((spend, report)) => {
            say(describe(
                "Gamma-Gamma",
                &named(&GammaGamma::NAMES, &spend.to_array()),
                &report,
                clock,
            ));
            models.spend = Some(spend);
        }
        // A log without repeat customers, or whose spend does not vary between customers, still
        // gets its other models.
        Err(e) if matches!(e.code(), ErrorCode::InvalidData | ErrorCode::FitFailed) => {
            say(format!("Gamma-Gamma: not fitted: {}", e.message()));
        }
        Err(e) => return Err(e.to_string()),
    }

    let population: Vec<_> = period
        .histories
        .iter()
        .map(|h| h.rfm_input(period.unit))
        .collect();
    if let Ok(rfm) = Rfm::fit(&population) {
        say(format!(
            "RFM breakpoints: recency days {:?}, frequency {:?}, monetary {:?}",
            rfm.recency_days, rfm.frequency, rfm.monetary
        ));
        models.rfm = Some(rfm);
    }

    if period.lines.iter().any(|l| l.product.is_some()) {
        let cross_sell = cross_sell(&period.lines);
        say(format!(
            "cross-sell: {} baskets, {} products, {} categories",
            cross_sell.products.baskets(),
            cross_sell.products.len(),
            cross_sell.categories.len()
        ));
        models.cross_sell = Some(cross_sell);
    }

    if period.lines.iter().any(|l| l.source.is_some()) {
        let cohorts = cohorts(&period, &models, args.cohort_by)?;
        let mut largest: Vec<_> = cohorts.sources.iter().collect();
        largest.sort_by(|a, b| b.1.customers.cmp(&a.1.customers).then(a.0.cmp(b.0)));
        let largest: Vec<String> = (largest.into_iter())
            .take(5)
            .map(|(name, s)| format!("{name} ({} customers, CLV {:.2})", s.customers, s.clv))
            .collect();
        say(format!(
            "cohorts by {}: {} sources over {} customers (mean CLV {:.2}), pulled toward it by {} customers' worth: {}",
            format!("{:?}", args.cohort_by).to_lowercase(),
            cohorts.sources.len(),
            cohorts.population.customers,
            cohorts.population.clv,
            cohorts.prior,
            largest.join(", ")
        ));
        models.cohorts = Some(cohorts);
    }

    if period.holdout > 0.0 {
        let rows = holdout(&purchases, &period.histories, period.holdout);
        say(holdout_text(&rows, period.holdout, period.unit));
    }

    models.validate().map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&models).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(format!(
        "wrote {} in {:.2} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    ))
}

fn named(names: &[&'static str], values: &[f64]) -> Vec<(&'static str, f64)> {
    names.iter().copied().zip(values.iter().copied()).collect()
}

fn describe(model: &str, params: &[(&str, f64)], r: &FitReport, clock: Instant) -> String {
    let params: Vec<String> = params
        .iter()
        .map(|(n, v)| format!("{n} = {v:.4}"))
        .collect();
    format!(
        "{model} ({} customers): {}\n  log-likelihood {:.2}, {} iterations ({} evaluations), {:.2} ms",
        r.customers,
        params.join("  "),
        r.ln_likelihood,
        r.iterations,
        r.evaluations,
        clock.elapsed().as_secs_f64() * 1e3
    )
}

/// Each customer's source (that of their earliest line), repeat flag, average order value and
/// CLV under `models`, fitted into cohorts by the core.
fn cohorts(period: &Period, models: &Models, by: CohortBy) -> Result<Cohorts, String> {
    let mut first: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    for line in &period.lines {
        let t = &line.transaction;
        let source = line.source.as_deref().unwrap_or(NO_SOURCE);
        let earliest = first.entry(&t.customer).or_insert((t.day, source));
        if t.day < earliest.0 {
            *earliest = (t.day, source);
        }
    }
    let key = match by {
        CohortBy::Affiliate => CohortKey::Affiliate,
        CohortBy::Referrer => CohortKey::Referrer,
        CohortBy::Channel => CohortKey::Channel,
    };
    let sources: Vec<String> = (period.histories.iter())
        .map(|h| {
            let source = first.get(h.customer.as_str()).map_or(NO_SOURCE, |f| f.1);
            match key {
                CohortKey::Referrer if source != NO_SOURCE => referrer_host(source),
                _ => source.to_string(),
            }
        })
        .collect();
    let customers = period.histories.iter().zip(&sources).map(|(h, source)| {
        let days = f64::from(h.summary.frequency) + 1.0;
        (
            source.as_str(),
            h.summary.frequency > 0,
            h.spend / days,
            models.clv(&h.summary),
        )
    });
    Cohorts::fit(key, DEFAULT_COHORT_PRIOR, customers).map_err(|e| e.to_string())
}

/// Baskets are orders (or, without an order column, a customer's day).
fn cross_sell(lines: &[Line]) -> CrossSell {
    let mut products: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    let mut categories: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for line in lines {
        let t = &line.transaction;
        let key = match &line.order {
            Some(order) => (String::new(), order.clone()),
            None => (t.customer.clone(), t.day.to_string()),
        };
        if let Some(product) = &line.product {
            products.entry(key.clone()).or_default().push(product);
        }
        if let Some(category) = &line.category {
            categories.entry(key).or_default().push(category);
        }
    }
    let fit = |baskets: &BTreeMap<_, Vec<&str>>| {
        CoOccurrence::fit(
            baskets.values().map(|b| b.iter().copied()),
            CrossSellOptions::default(),
        )
    };
    CrossSell {
        products: fit(&products),
        categories: fit(&categories),
    }
}

/// Customers, predicted and actual holdout purchases, by calibration frequency 0 to 7+.
pub fn holdout(
    model: &PurchaseModel,
    histories: &[CustomerHistory],
    horizon: f64,
) -> [(usize, f64, f64); 8] {
    let mut rows = [(0usize, 0.0, 0.0); 8];
    for h in histories {
        let row = &mut rows[(h.summary.frequency as usize).min(7)];
        row.0 += 1;
        row.1 += model.expected_purchases(&h.summary, horizon).unwrap_or(0.0);
        row.2 += f64::from(h.holdout_purchases);
    }
    rows
}

fn holdout_text(rows: &[(usize, f64, f64); 8], horizon: f64, unit: TimeUnit) -> String {
    let predicted: f64 = rows.iter().map(|r| r.1).sum();
    let actual: f64 = rows.iter().map(|r| r.2).sum();
    let mut out = format!(
        "holdout ({horizon:.1} {}s): predicted {predicted:.1} repeat purchases, actual {actual:.0} ({:+.1}%)\n  calibration frequency  customers  predicted/customer  actual/customer",
        unit.name(),
        (predicted - actual) / actual.max(1.0) * 100.0
    );
    for (x, (n, p, a)) in rows.iter().enumerate() {
        let label = if x == 7 {
            "7+".to_string()
        } else {
            x.to_string()
        };
        let per = |v: f64| if *n == 0 { 0.0 } else { v / *n as f64 };
        out.push_str(&format!(
            "\n  {label:>21}  {n:>9}  {:>18.3}  {:>15.3}",
            per(*p),
            per(*a)
        ));
    }
    out
}
