//! The simulator's claims, on a shorter run than `cargo run --release -p simulator` makes.

use simulator::{rate, simulate, truth, Cell};

#[test]
fn the_adaptive_policy_learns_what_the_oracle_knows() {
    let windows = simulate(30_000, 1_000, 7).unwrap();
    let [adaptive, _, uniform, oracle] = rate(&windows, 25_000, 30_000);
    assert!(
        adaptive > 0.85 * oracle,
        "adaptive {adaptive} vs oracle {oracle}"
    );
    assert!(
        adaptive > 2.0 * uniform,
        "adaptive {adaptive} vs uniform {uniform}"
    );
    let [early, ..] = rate(&windows, 0, 2_000);
    assert!(adaptive > early, "it gets better: {early} then {adaptive}");
}

#[test]
fn the_ground_truth_drifts() {
    let cell = Cell {
        segment: 0,
        mobile: false,
        cart: false,
    };
    let best = |t: usize| {
        (0..10)
            .max_by(|&a, &b| truth(a, cell, t).total_cmp(&truth(b, cell, t)))
            .unwrap()
    };
    assert_ne!(best(0), best(simulator::DRIFT_AT));
}
