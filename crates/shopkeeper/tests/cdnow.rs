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

/// The area under the ROC curve of `score` for telling `positive` customers from the others (the
/// Mann-Whitney statistic: the chance a random positive scores above a random negative, ties
/// counting half).
fn auc(scored: &[(f64, bool)]) -> f64 {
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < sorted.len() {
        let j = (i..sorted.len())
            .find(|&j| sorted[j].0 != sorted[i].0)
            .unwrap_or(sorted.len());
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid_rank * sorted[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    let positives = sorted.iter().filter(|s| s.1).count() as f64;
    let negatives = sorted.len() as f64 - positives;
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[test]
fn overdue_separates_who_buys_again_as_well_as_p_alive() {
    let Some(histories) = histories() else { return };
    let summaries: Vec<Summary> = histories.iter().map(|h| h.summary).collect();
    let (model, _) = BgNbd::fit(&summaries).unwrap();
    // `customer.overdue` needs a repeat purchase day: the 946 repeat customers.
    let (mut by_overdue, mut by_p_alive) = (vec![], vec![]);
    let mut split = [(0usize, 0usize); 2]; // (customers, buying again) under 2, and from 2
    for h in &histories {
        let Some(overdue) = h.summary.overdue() else {
            continue;
        };
        let again = h.holdout_purchases > 0;
        by_overdue.push((-overdue, again));
        by_p_alive.push((model.p_alive(&h.summary), again));
        let row = &mut split[usize::from(overdue >= shopkeeper::profile::OVERDUE)];
        row.0 += 1;
        row.1 += usize::from(again);
    }
    println!("overdue from  customers  bought again");
    for threshold in [0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0] {
        let group: Vec<bool> = (by_overdue.iter())
            .filter(|(o, _)| -o >= threshold)
            .map(|(_, again)| *again)
            .collect();
        let share = group.iter().filter(|&&a| a).count() as f64 / group.len() as f64;
        println!(
            "{threshold:>12}  {:>9}  {:>11.1}%",
            group.len(),
            100.0 * share
        );
    }
    let (overdue_auc, p_alive_auc) = (auc(&by_overdue), auc(&by_p_alive));
    let rate = |(n, k): (usize, usize)| k as f64 / n as f64;
    println!(
        "{} repeat customers: AUC of -customer.overdue {overdue_auc:.3}, of P(alive) {p_alive_auc:.3}",
        by_overdue.len()
    );
    println!(
        "bought again in the holdout: {:.1}% of the {} under 2x overdue, {:.1}% of the {} from 2x",
        100.0 * rate(split[0]),
        split[0].0,
        100.0 * rate(split[1]),
        split[1].0
    );
    assert_eq!(by_overdue.len(), 946);
    // The figures spec/scores.md and the README quote.
    assert_published("AUC of -overdue", overdue_auc, 0.669, 3);
    assert_published("AUC of P(alive)", p_alive_auc, 0.698, 3);
    assert_eq!(
        split,
        [(504, 324), (442, 167)],
        "64.3% and 37.8% bought again"
    );
    // The knee of the table above: from 2x the share buying again falls by more than a third,
    // and beyond it slowly.
    assert!(rate(split[1]) < 0.7 * rate(split[0]), "{split:?}");

    // Big baskets: how often a repeat purchase day is worth 3x the customer's earlier average.
    let path = data_file("CDNOW_sample.txt").unwrap();
    let mut days: std::collections::BTreeMap<(String, i64), f64> = Default::default();
    for t in read_sample(&path) {
        *days.entry((t.customer, t.day)).or_default() += t.amount;
    }
    let (mut repeats, mut big, mut previous) = (0usize, 0usize, (String::new(), 0.0, 0usize));
    for ((customer, _), amount) in days {
        if customer != previous.0 {
            previous = (customer, amount, 1);
            continue;
        }
        let average = previous.1 / previous.2 as f64;
        repeats += 1;
        big += usize::from(average > 0.0 && amount >= shopkeeper::profile::BIG_BASKET * average);
        previous.1 += amount;
        previous.2 += 1;
    }
    println!(
        "repeat purchase days at {}x the customer's earlier average or more: {big} of {repeats} ({:.1}%)",
        shopkeeper::profile::BIG_BASKET,
        100.0 * big as f64 / repeats as f64
    );
    assert_eq!(
        (big, repeats),
        (174, 4339),
        "4.0%: a big basket is out of pattern, rare"
    );
}
