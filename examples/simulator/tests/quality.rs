//! The simulator's claims, on a shorter run than `cargo run --release -p simulator` makes.

use simulator::{logit, rate, simulate, SpendBins, Visitor, ORACLE};

#[test]
fn predictors_learn_what_segments_cannot_see() {
    let windows = simulate(20_000, 1_000, 7, SpendBins::Catalog).unwrap();
    let [predictors, segment, _, uniform, oracle] = rate(&windows, 15_000, 20_000);
    assert!(
        predictors > 0.8 * oracle,
        "predictors {predictors} vs oracle {oracle}"
    );
    assert!(
        predictors > segment,
        "predictors {predictors} vs segment {segment}"
    );
    assert!(
        segment > 2.0 * uniform,
        "segment {segment} vs uniform {uniform}"
    );
    let early = rate(&windows, 0, 2_000)[0];
    assert!(
        predictors > early,
        "it gets better: {early} then {predictors}"
    );
    assert!(rate(&windows, 0, 20_000)[ORACLE] > 0.0);
}

#[test]
fn spend_bins_fitted_from_the_responses_learn_too() {
    let windows = simulate(20_000, 1_000, 7, SpendBins::Fitted).unwrap();
    let [predictors, segment, _, _, oracle] = rate(&windows, 15_000, 20_000);
    assert!(
        predictors > 0.8 * oracle && predictors > segment,
        "predictors {predictors} vs oracle {oracle}, segment {segment}"
    );
}

#[test]
fn the_ground_truth_drifts() {
    let visitor = Visitor {
        segment: 0,
        mobile: false,
        cart: false,
        source: 0,
        tier: 0,
        spend: 20.0,
        tent: false,
        day: 0,
    };
    let best = |t: usize| {
        (0..10)
            .max_by(|&a, &b| logit(a, &visitor, t).total_cmp(&logit(b, &visitor, t)))
            .unwrap()
    };
    assert_ne!(best(0), best(simulator::DRIFT_AT));
}

#[test]
fn a_level_is_reached_where_the_mean_curve_stays_at_it() {
    // Two seeds; the first policy's share per window, the oracle's expected accepts 1.
    let run = |seed: u64, shares: &[f64]| simulator::Run {
        seed,
        windows: (shares.iter().enumerate())
            .map(|(i, &s)| simulator::Window {
                until: 1_000 * (i + 1),
                accepts: [0; 5],
                expected: [s, 0.0, 0.0, 0.0, 1.0],
            })
            .collect(),
    };
    let runs = [
        run(1, &[0.5, 0.92, 0.85, 0.95, 0.96, 0.5]),
        run(2, &[0.5, 0.90, 0.90, 0.93, 0.94, 0.5]),
    ];
    // Means 0.5, 0.91, 0.875, 0.94, 0.95, 0.5: above 0.9 for good from 4,000 (until 5,000).
    assert_eq!(simulator::reached(&runs, 0, 0.9, 0, 5_000), Some(4_000));
    assert_eq!(simulator::reached(&runs, 0, 0.9, 0, 6_000), None);
    assert_eq!(simulator::reached(&runs, 0, 0.96, 0, 5_000), None);
    assert_eq!(simulator::reached(&runs, 0, 0.9, 1_000, 2_000), Some(2_000));
}
