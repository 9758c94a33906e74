//! Off-policy evaluation on real logs: the Open Bandit Dataset sample (Saito et al. 2021) shipped
//! in the PyPI wheel `obp==0.4.1`, `obd/random/all/all.csv`: 10,000 impressions of ZOZOTOWN's
//! fashion site, logged by a uniform random policy over 80 items in 3 positions, with real clicks.
//!
//! `cargo xtask test` (or `cargo xtask data`) downloads it with pip into target/data and sets
//! `SHOPKEEPER_DATA`. Run alone:
//! `cargo xtask data && SHOPKEEPER_DATA=$PWD/target/data cargo test -p shopkeeper --test obd -- --nocapture`.

mod common;

use common::data_file;
use shopkeeper::learn::ope::{ipw, snipw, Logged};

/// One impression: the item shown, its position (1 to 3), the click, the logging probability.
struct Impression {
    item: u32,
    position: u32,
    click: f64,
    propensity: f64,
}

fn read() -> Option<Vec<Impression>> {
    let path = data_file("obd_random_all.csv")?;
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (item, position, click, propensity) = (
        column("item_id"),
        column("position"),
        column("click"),
        column("propensity_score"),
    );
    Some(
        lines
            .filter(|l| !l.is_empty())
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                Impression {
                    item: f[item].parse().unwrap(),
                    position: f[position].parse().unwrap(),
                    click: f[click].parse().unwrap(),
                    propensity: f[propensity].parse().unwrap(),
                }
            })
            .collect(),
    )
}

#[test]
fn the_logging_policy_is_estimated_at_its_observed_click_rate() {
    let Some(data) = read() else { return };
    assert_eq!(data.len(), 10_000);
    assert!(data
        .iter()
        .all(|d| (d.propensity - 1.0 / 80.0).abs() < 1e-12));
    let clicks: f64 = data.iter().map(|d| d.click).sum();
    let observed = clicks / data.len() as f64;
    // A uniform policy over the 80 items gives every logged impression the same probability the
    // logging policy gave it: every weight is 1.
    let logs: Vec<Logged> = data
        .iter()
        .map(|d| Logged {
            logging: d.propensity,
            target: 1.0 / 80.0,
            reward: d.click,
        })
        .collect();
    let ipw = ipw(&logs, 1.96).unwrap();
    let sn = snipw(&logs, 1.96).unwrap();
    println!(
        "observed click rate {observed:.5}; IPW {:.5} [{:.5}, {:.5}] ESS {:.0}; SNIPW {:.5}",
        ipw.value, ipw.low, ipw.high, ipw.effective_sample_size, sn.value
    );
    assert!((ipw.value - observed).abs() < 1e-12);
    assert!((sn.value - observed).abs() < 1e-12);
    assert!((ipw.effective_sample_size - 10_000.0).abs() < 1e-6);
    // With every weight 1, the standard error is the sample standard deviation of the clicks over
    // sqrt(n): sqrt(p (1 - p) / (n - 1)).
    let se = (observed * (1.0 - observed) / 9_999.0).sqrt();
    assert!(
        (ipw.std_error - se).abs() < 1e-6 * se.max(1e-9) + 1e-9,
        "{} vs {se}",
        ipw.std_error
    );
    assert!(ipw.low < observed && observed < ipw.high);
}

#[test]
fn a_fixed_policy_agrees_with_the_hand_computation() {
    let Some(data) = read() else { return };
    // Two deterministic candidates: item `best[position]`, the item with the most clicks at that
    // position (chosen by looking at these very logs, so its estimate is optimistic: here it only
    // checks the arithmetic), and item 7 everywhere, chosen without looking.
    let mut clicks = [[0.0f64; 80]; 4];
    for d in &data {
        clicks[d.position as usize][d.item as usize] += d.click;
    }
    let argmax = |p: usize| {
        (0..80)
            .max_by(|&a, &b| clicks[p][a].total_cmp(&clicks[p][b]))
            .unwrap()
    };
    let best = [0, argmax(1), argmax(2), argmax(3)];
    for policy in [best, [0, 7, 7, 7]] {
        let logs: Vec<Logged> = data
            .iter()
            .map(|d| Logged {
                logging: d.propensity,
                target: f64::from(u8::from(d.item as usize == policy[d.position as usize])),
                reward: d.click,
            })
            .collect();
        // By hand: the clicks of the impressions that showed the policy's item, times 80, over n.
        let matched: Vec<&_> = data
            .iter()
            .filter(|d| d.item as usize == policy[d.position as usize])
            .collect();
        let hand = matched.iter().map(|d| d.click).sum::<f64>() * 80.0 / data.len() as f64;
        let hand_sn = matched.iter().map(|d| d.click).sum::<f64>() / matched.len() as f64;
        let estimate = ipw(&logs, 1.96).unwrap();
        let sn = snipw(&logs, 1.96).unwrap();
        println!(
            "policy {policy:?}: IPW {:.5} [{:.5}, {:.5}] (by hand {hand:.5}); SNIPW {:.5} (by hand {hand_sn:.5}); ESS {:.0} of {}",
            estimate.value, estimate.low, estimate.high, sn.value, estimate.effective_sample_size, matched.len()
        );
        assert!((estimate.value - hand).abs() < 1e-12);
        assert!((sn.value - hand_sn).abs() < 1e-12);
        // Only the matched impressions carry weight (80 each): the sample is worth that many.
        assert!((estimate.effective_sample_size - matched.len() as f64).abs() < 1e-6);
    }
}

#[test]
fn bad_logs_are_errors() {
    let good = Logged {
        logging: 0.5,
        target: 0.5,
        reward: 1.0,
    };
    assert!(ipw(&[], 1.96).is_err());
    for bad in [
        Logged {
            logging: 0.0,
            ..good
        },
        Logged {
            logging: 1.5,
            ..good
        },
        Logged {
            target: -0.1,
            ..good
        },
        Logged {
            reward: f64::NAN,
            ..good
        },
    ] {
        assert_eq!(
            ipw(&[good, bad], 1.96).unwrap_err().code().as_str(),
            "invalid_data"
        );
    }
    assert_eq!(
        snipw(
            &[Logged {
                target: 0.0,
                ..good
            }],
            1.96
        )
        .unwrap_err()
        .code()
        .as_str(),
        "invalid_data"
    );
    assert!(ipw(&[good], f64::NAN).is_err());
}
