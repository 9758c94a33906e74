//! `cargo run --release -p simulator [DECISIONS] [SEEDS] [fitted]`: the five policies on the same
//! simulated decisions, for several seeds of the world; prints each policy's share of the
//! oracle's acceptance at checkpoints (mean over the seeds, and the least and greatest), and
//! writes target/simulation.csv and .svg. With `fitted`, the predictors policy's catalog gives
//! `spend` no bins: they are fitted from the responses.

use std::process::ExitCode;

use simulator::{csv, rate, reached, simulate, svg, Run, SpendBins, DRIFT_AT, ORACLE, POLICIES};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let decisions = number(0, 200_000);
    let seeds = number(1, 5) as u64;
    let spend = match args.get(2).map(String::as_str) {
        None => SpendBins::Catalog,
        Some("fitted") => SpendBins::Fitted,
        Some(other) => {
            eprintln!("simulator: the third argument is `fitted` or nothing, not {other:?}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let mut runs = Vec::new();
    for seed in 1..=seeds {
        match simulate(decisions, 1_000, seed, spend) {
            Ok(windows) => runs.push(Run { seed, windows }),
            Err(e) => {
                eprintln!("simulator: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{decisions} decisions per policy and seed, seeds 1 to {seeds}, in {:.1} s (drift at {DRIFT_AT})",
        started.elapsed().as_secs_f64()
    );
    println!("share of the oracle's expected acceptance in the 5,000 decisions before each checkpoint: mean over the seeds [least, greatest]");
    print!("{:>10}", "decisions");
    for p in &POLICIES[..ORACLE] {
        print!(" {p:>22}");
    }
    println!(" {:>10}", "oracle");
    let checkpoints = [
        5_000, 10_000, 20_000, 50_000, 100_000, 105_000, 110_000, 120_000, 150_000, 200_000,
    ];
    for checkpoint in checkpoints.into_iter().filter(|&c| c <= decisions) {
        let rates: Vec<[f64; 5]> = runs
            .iter()
            .map(|r| rate(&r.windows, checkpoint - 5_000, checkpoint))
            .collect();
        print!("{checkpoint:>10}");
        for k in 0..ORACLE {
            let shares: Vec<f64> = rates.iter().map(|r| r[k] / r[ORACLE]).collect();
            let mean = shares.iter().sum::<f64>() / shares.len() as f64;
            let low = shares.iter().copied().fold(f64::INFINITY, f64::min);
            let high = shares.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            print!(
                " {:>7.1}% [{:>5.1}, {:>5.1}]",
                100.0 * mean,
                100.0 * low,
                100.0 * high
            );
        }
        let oracle = rates.iter().map(|r| r[ORACLE]).sum::<f64>() / rates.len() as f64;
        println!(" {oracle:>10.4}");
    }
    println!("where each policy's mean share per 1,000 decisions gets to a level for good (until the drift, then until the end):");
    for (k, policy) in POLICIES[..ORACLE].iter().enumerate() {
        let at = |share: f64, from: usize, to: usize| {
            reached(&runs, k, share, from, to)
                .map_or("not reached".to_string(), |d| format!("from decision {d}"))
        };
        println!(
            "{policy:>10}: 95% {}; after the drift, 90% {}",
            at(0.95, 0, DRIFT_AT),
            at(0.90, DRIFT_AT, decisions)
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let (csv_path, svg_path) = (dir.join("simulation.csv"), dir.join("simulation.svg"));
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&csv_path, csv(&runs)))
        .and_then(|_| std::fs::write(&svg_path, svg(&runs)))
    {
        eprintln!("simulator: cannot write the results: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {} and {}", csv_path.display(), svg_path.display());
    ExitCode::SUCCESS
}
