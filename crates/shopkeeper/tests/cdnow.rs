//! Reproduces the published CDNOW results (Fader, Hardie & Lee 2005; Fader & Hardie's Gamma-Gamma
//! note) from the raw 1/10 sample, and compares the holdout predictions with what happened.
//!
//! The data ships in the PyPI wheel `lifetimes==0.11.3`; `cargo xtask test` (or `cargo xtask data`)
//! downloads it with pip into target/data and sets `SHOPKEEPER_DATA`. Run alone:
//! `cargo xtask data && SHOPKEEPER_DATA=$PWD/target/data cargo test -p shopkeeper --test cdnow -- --nocapture`.

mod common;

use std::path::PathBuf;

use common::data_file;

use shopkeeper::score::{
    parse_date, summarize, BgNbd, CustomerHistory, GammaGamma, ParetoNbd, Summary, TimeUnit,
    Transaction,
};

/// CDNOW_sample.txt: `id  id2  yyyymmdd  CDs  dollars` per line.
fn read_sample(path: &PathBuf) -> Vec<Transaction> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Transaction {
                customer: f[0].into(),
                day: parse_date(f[2]).unwrap(),
                amount: f[4].parse().unwrap(),
            }
        })
        .collect()
}

fn histories() -> Option<Vec<CustomerHistory>> {
    let path = data_file("CDNOW_sample.txt")?;
    let end = parse_date("1997-09-30").unwrap();
    let holdout_end = parse_date("1998-06-30").unwrap();
    Some(summarize(&read_sample(&path), end, holdout_end, TimeUnit::Week).unwrap())
}

fn assert_published(name: &str, got: f64, published: f64, decimals: i32) {
    let half_ulp = 0.5 * 10f64.powi(-decimals);
    assert!(
        (got - published).abs() <= half_ulp,
        "{name}: fitted {got}, published {published} (to {decimals} decimals)"
    );
}

#[test]
fn bgnbd_and_gamma_gamma_reproduce_the_published_estimates() {
    let Some(histories) = histories() else { return };
    assert_eq!(histories.len(), 2357);
    let summaries: Vec<Summary> = histories.iter().map(|h| h.summary).collect();
    // The calibration summaries of the literature: 1,411 customers made no repeat purchase.
    assert_eq!(summaries.iter().filter(|s| s.frequency == 0).count(), 1411);

    let (model, report) = BgNbd::fit(&summaries).unwrap();
    println!("BG/NBD {model:?} {report:?}");
    assert_published("r", model.r, 0.243, 3);
    assert_published("alpha", model.alpha, 4.414, 3);
    assert_published("a", model.a, 0.793, 3);
    assert_published("b", model.b, 2.426, 3);
    assert_published("log-likelihood", report.ln_likelihood, -9582.4, 1);
    assert_eq!(report.customers, 2357);

    let (spend, report) = GammaGamma::fit(&summaries).unwrap();
    println!("Gamma-Gamma {spend:?} {report:?}");
    assert_eq!(report.customers, 946, "the repeat customers");
    assert_published("p", spend.p, 6.25, 2);
    assert_published("q", spend.q, 3.74, 2);
    assert_published("gamma", spend.gamma, 15.44, 2);
}

#[test]
fn the_holdout_purchases_are_predicted_in_total_and_by_frequency() {
    let Some(histories) = histories() else { return };
    let summaries: Vec<Summary> = histories.iter().map(|h| h.summary).collect();
    let (model, _) = BgNbd::fit(&summaries).unwrap();
    let horizon = 39.0;
    let mut rows = [(0usize, 0.0f64, 0.0f64); 8]; // customers, predicted, actual by frequency 0..=7+
    for h in &histories {
        let predicted = model.expected_purchases(&h.summary, horizon).unwrap();
        let row = &mut rows[(h.summary.frequency as usize).min(7)];
        row.0 += 1;
        row.1 += predicted;
        row.2 += f64::from(h.holdout_purchases);
    }
    let predicted: f64 = rows.iter().map(|r| r.1).sum();
    let actual: f64 = rows.iter().map(|r| r.2).sum();
    println!("holdout (weeks 40-78) repeat purchases: predicted {predicted:.1}, actual {actual}");
    println!("frequency  customers  predicted/customer  actual/customer");
    for (x, (n, p, a)) in rows.iter().enumerate() {
        let label = if x == 7 {
            "7+".to_string()
        } else {
            x.to_string()
        };
        println!(
            "{label:>9}  {n:>9}  {:>18.3}  {:>15.3}",
            p / *n as f64,
            a / *n as f64
        );
    }
    // The model under-predicts this holdout by about 12% (1,653 predicted, 1,882 actual; Python
    // `lifetimes` gives the same prediction for the same summaries), mostly among customers with one
    // or two calibration purchases, as in FHL 2005's figure of conditional expectations.
    assert!(
        (predicted - actual).abs() / actual < 0.15,
        "{predicted} vs {actual}"
    );
    // More calibration purchases, more holdout purchases, predicted and actual.
    for w in rows.windows(2).take(5) {
        assert!(w[1].1 / w[1].0 as f64 > w[0].1 / w[0].0 as f64);
        assert!(w[1].2 / w[1].0 as f64 > w[0].2 / w[0].0 as f64);
    }
}

#[test]
fn pareto_nbd_reproduces_the_published_estimates() {
    let Some(histories) = histories() else { return };
    let summaries: Vec<Summary> = histories.iter().map(|h| h.summary).collect();
    let (model, report) = ParetoNbd::fit(&summaries).unwrap();
    println!("Pareto/NBD {model:?} {report:?}");
    // Published in Fader, Hardie & Lee (2005): r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669,
    // log-likelihood -9595.0.
    assert_published("r", model.r, 0.553, 3);
    assert_published("alpha", model.alpha, 10.578, 3);
    assert_published("s", model.s, 0.606, 3);
    assert_published("beta", model.beta, 11.669, 3);
    assert_published("log-likelihood", report.ln_likelihood, -9595.0, 1);
}
