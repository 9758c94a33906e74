//! `cargo xtask instructions`: deterministic instruction counts on the 1,000-offer benchmark
//! catalog under valgrind's callgrind (`benches/instructions.rs`): a decision, one per way of
//! deciding, against the fast path; a response learned in predictor bins, against one learned in
//! a segment; loading the catalog, against reading its JSON into a `serde_json::Value`. Counts are repeatable for the same binary and inputs whatever else the
//! machine runs, so a change can be compared before and after where timings are noisy.

use std::path::Path;
use std::process::Command;

use crate::{cargo, output, step};

/// The harness's modes: each one's name, the mode its ratio is against, and what it measures.
pub(crate) const MODES: [(&str, &str, &str); 14] = [
    ("fast", "fast", "a decision: picks only"),
    ("log", "fast", "a decision with the decision-log record"),
    ("explain", "fast", "a decision with the receipt"),
    ("json", "fast", "a decision with the receipt as JSON"),
    ("adaptive", "fast", "1,000 adaptive offers, picks only"),
    (
        "adaptive-log",
        "fast",
        "1,000 adaptive offers, with the log record",
    ),
    (
        "adaptive-predictors",
        "adaptive",
        "1,000 adaptive offers learning from 20 predictors, picks only",
    ),
    (
        "learn",
        "learn",
        "a response to an adaptive offer in a segment",
    ),
    (
        "learn-predictors",
        "learn",
        "a response in the 20 predictors' bins, to a trained model",
    ),
    (
        "read-json",
        "read-json",
        "the catalog's text read into a serde_json::Value (the peer)",
    ),
    ("compile", "read-json", "Catalog::compile"),
    ("engine", "read-json", "Catalog::compile and Engine::new"),
    (
        "compile-adaptive",
        "read-json",
        "Catalog::compile, 1,000 adaptive offers",
    ),
    (
        "fit",
        "fit",
        "BG/NBD and Gamma-Gamma fitted on 23,570 generated customers",
    ),
];

/// Runs per measured call (`REPS` in benches/instructions.rs).
const REPS: u64 = 10;

/// Builds the harness in release and prints each mode's instructions per decision, with its ratio
/// to the fast path's.
pub(crate) fn counts(root: &Path) -> Result<(), String> {
    step("building the instruction-count harness (cargo build --release --example instructions)");
    cargo(&[
        "build",
        "--release",
        "--package",
        "shopkeeper-benches",
        "--example",
        "instructions",
    ])?;
    let binary = root.join("target/release/examples/instructions");
    let dir = root.join("target/callgrind");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    step("counting instructions per run: 1,000 offers, or a population to fit (valgrind --tool=callgrind)");
    let mut counted: Vec<(&str, u64)> = Vec::new();
    println!("{:<17} {:>14} {:>8}  what", "mode", "instructions", "ratio");
    for (mode, base, what) in MODES {
        let out = dir.join(format!("{mode}.out"));
        output(
            Command::new("valgrind")
                .arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg("--toggle-collect=*shopkeeper_measured*")
                .arg(&binary)
                .arg(mode),
        )?;
        let text = std::fs::read_to_string(&out)
            .map_err(|e| format!("cannot read {}: {e}", out.display()))?;
        let total: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("totals:"))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("{}: no totals line", out.display()))?;
        let per = total / REPS;
        counted.push((mode, per));
        let against = counted
            .iter()
            .find(|(m, _)| *m == base)
            .map_or(per, |c| c.1);
        println!(
            "{mode:<17} {per:>14} {:>7.2}x  {what} (against {base})",
            per as f64 / against as f64
        );
    }
    Ok(())
}
