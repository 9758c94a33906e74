//! `shopkeeper ope`: how a candidate catalog (and learner) would have done on logged decisions.
//!
//! A decision log has one JSON object per decision, the core's `LogEntry` (`shopkeeper replay
//! --log` writes it; spec/learning.md "Decision logs"):
//!
//! ```json
//! {"profile": {...}, "context": {...}, "decision": {...}, "accepted": ["offer-id"]}
//! ```
//!
//! `profile` is the exported profile as the decision saw it, `context` the request context,
//! `decision` the logging policy's record (its request, picks and their logged probabilities;
//! older logs kept the whole `receipt`, which reads the same) and `accepted` the picks the
//! customer accepted. `LogEntry::evaluate` gives each pick as one logged item (position-wise IPW):
//! its reward is 1 when accepted, its logging probability the record's, its target probability
//! the candidate's for the same offer at the same rank (`Engine::pick_probabilities`).

use std::path::Path;

use shopkeeper::decide::{Engine, LogEntry};
use shopkeeper::learn::ope::{ipw, snipw, Estimate, Logged};
use shopkeeper::learn::Learner;
use shopkeeper::Timestamp;

/// The z of a 95% normal interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Loads the candidate (catalog, models, learner) and evaluates it on the log at `path`.
pub fn evaluate(
    path: &Path,
    catalog: &Path,
    models: Option<&Path>,
    learner: Option<&Path>,
    now: Timestamp,
) -> Result<(String, bool), String> {
    let engine = crate::load::engine(catalog, models, now)?;
    let learner = match learner {
        Some(file) => {
            let bytes =
                std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            Some(Learner::from_bytes(&bytes).map_err(|e| format!("{}: {e}", file.display()))?)
        }
        None => None,
    };
    run(path, &engine, learner.as_ref())
}

/// Reads the log at `path`, evaluates the candidate `engine` (with `learner` for its adaptive
/// offers) and prints the observed rate and the IPW and SNIPW estimates. Bad lines are reported
/// on standard error and skipped; the flag is false if any was.
pub fn run(
    path: &Path,
    engine: &Engine,
    learner: Option<&Learner>,
) -> Result<(String, bool), String> {
    let name = path.display().to_string();
    let text = crate::read(path)?;
    let mut logs: Vec<Logged> = Vec::new();
    let (mut decisions, mut rejected) = (0usize, 0usize);
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match logged(engine, learner, line) {
            Ok(picks) => {
                decisions += 1;
                logs.extend(picks);
            }
            Err(message) => {
                rejected += 1;
                eprintln!("{name}:{}: {message}", index + 1);
            }
        }
    }
    if logs.is_empty() {
        return Err(format!("{name}: no logged decisions to evaluate"));
    }
    let observed = logs.iter().map(|l| l.reward).sum::<f64>() / logs.len() as f64;
    let ipw = ipw(&logs, Z95).map_err(|e| e.to_string())?;
    let snipw = snipw(&logs, Z95);
    let mut out = format!(
        "{name}: {decisions} decisions, {} picks ({rejected} lines rejected)\n",
        logs.len()
    );
    out.push_str(&format!(
        "logging policy: observed accept rate {observed:.5} per pick\n"
    ));
    out.push_str(&format!(
        "candidate policy:\n{:<8} {:>9} {:>10} {:>24}\n",
        "", "estimate", "std error", "95% interval"
    ));
    out.push_str(&row("IPW", &ipw));
    match snipw {
        Ok(snipw) => out.push_str(&row("SNIPW", &snipw)),
        Err(e) => out.push_str(&format!("{:<8} {e}\n", "SNIPW")),
    }
    out.push_str(&format!(
        "effective sample size {:.1} of {} picks",
        ipw.effective_sample_size, ipw.n
    ));
    Ok((out, rejected == 0))
}

fn row(name: &str, e: &Estimate) -> String {
    let interval = format!("[{:.5}, {:.5}]", e.low, e.high);
    format!(
        "{name:<8} {:>9.5} {:>10.5} {interval:>24}\n",
        e.value, e.std_error
    )
}

/// The logged picks of one line, with the candidate's probabilities and the rewards.
fn logged(engine: &Engine, learner: Option<&Learner>, line: &str) -> Result<Vec<Logged>, String> {
    let entry = LogEntry::from_json(line).map_err(|e| format!("error[{}]: {e}", e.code()))?;
    entry
        .evaluate(engine, learner)
        .map_err(|e| format!("error[{}]: {e}", e.code()))
}
