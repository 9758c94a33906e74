//! `cargo run --release -p simulator [DECISIONS]`: the four policies on the same simulated
//! decisions; prints acceptance at checkpoints and writes target/simulation.csv and .svg.

use std::process::ExitCode;

use simulator::{csv, rate, simulate, svg, DRIFT_AT, POLICIES};

fn main() -> ExitCode {
    let decisions = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let started = std::time::Instant::now();
    let windows = match simulate(decisions, 1_000, 7) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("simulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{decisions} decisions per policy in {:.1} s (drift at {DRIFT_AT})",
        started.elapsed().as_secs_f64()
    );
    println!("expected acceptance rate in the 5,000 decisions before each checkpoint, and as a share of the oracle's:");
    println!(
        "{:>10} {:>10} {:>10} {:>10} {:>10} {:>14}",
        "decisions", POLICIES[0], POLICIES[1], POLICIES[2], POLICIES[3], "adaptive/oracle"
    );
    for checkpoint in [10_000, 50_000, 100_000, 105_000, 110_000, 150_000, 200_000] {
        if checkpoint > decisions {
            continue;
        }
        let r = rate(&windows, checkpoint - 5_000, checkpoint);
        println!(
            "{checkpoint:>10} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>13.1}%",
            r[0],
            r[1],
            r[2],
            r[3],
            100.0 * r[0] / r[3]
        );
    }
    let all = rate(&windows, 0, decisions);
    println!(
        "{:>10} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>13.1}%",
        "all",
        all[0],
        all[1],
        all[2],
        all[3],
        100.0 * all[0] / all[3]
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let (csv_path, svg_path) = (dir.join("simulation.csv"), dir.join("simulation.svg"));
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&csv_path, csv(&windows)))
        .and_then(|_| std::fs::write(&svg_path, svg(&windows)))
    {
        eprintln!("simulator: cannot write the results: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {} and {}", csv_path.display(), svg_path.display());
    ExitCode::SUCCESS
}
