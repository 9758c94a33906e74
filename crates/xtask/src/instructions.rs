//! `cargo xtask instructions`: deterministic instruction counts of `decide` on the 1,000-offer
//! benchmark catalog, one per way of deciding, under valgrind's callgrind
//! (`benches/instructions.rs`). Counts are repeatable for the same binary and inputs whatever else
//! the machine runs, so a change can be compared before and after where timings are noisy.

use std::path::Path;
use std::process::Command;

use crate::{cargo, output, step};

/// The ways of deciding the harness measures, and what each is.
const MODES: [(&str, &str); 6] = [
    ("fast", "picks only"),
    ("log", "with the decision-log record"),
    ("explain", "with the receipt"),
    ("json", "with the receipt as JSON"),
    ("adaptive", "1,000 adaptive offers, picks only"),
    ("adaptive-log", "1,000 adaptive offers, with the log record"),
];

/// Decisions per measured call (`REPS` in benches/instructions.rs).
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
    step("counting instructions per decision at 1,000 offers (valgrind --tool=callgrind)");
    let mut fast = None;
    println!("{:<14} {:>14} {:>8}  what", "mode", "instructions", "ratio");
    for (mode, what) in MODES {
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
        let base = *fast.get_or_insert(per);
        println!(
            "{mode:<14} {per:>14} {:>7.2}x  {what}",
            per as f64 / base as f64
        );
    }
    Ok(())
}
