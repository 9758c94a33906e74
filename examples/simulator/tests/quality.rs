//! The simulator's claims, on a shorter run than `cargo run --release -p simulator` makes.

use simulator::{logit, rate, simulate, Visitor, ORACLE};

#[test]
fn predictors_learn_what_segments_cannot_see() {
    let windows = simulate(20_000, 1_000, 7).unwrap();
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
