//! The fuzz targets (`fuzz/fuzz_targets`), run briefly by `cargo xtask test`.

use std::path::Path;
use std::process::Command;

use crate::run;

/// How long each fuzz target runs in the test command: a smoke test of the targets and a quick
/// search from the seeds; run `cargo +nightly fuzz run <target>` for a long session.
pub const FUZZ_SECONDS: u32 = 15;

/// The cargo-fuzz targets (fuzz/fuzz_targets), with their optional dictionary.
const FUZZ_TARGETS: [(&str, Option<&str>); 7] = [
    ("profile_decode", None),
    ("event_apply", Some("fuzz/event.dict")),
    ("rule_parse", Some("fuzz/rule.dict")),
    ("rule_roundtrip", Some("fuzz/rule.dict")),
    ("rule_eval", Some("fuzz/rule.dict")),
    ("catalog_decide", Some("fuzz/catalog.dict")),
    ("message_hear", Some("fuzz/message.dict")),
];

/// Runs every fuzz target briefly, from its committed seeds (fuzz/seeds/<target>) and the corpus it
/// grew before (fuzz/corpus/<target>, not committed). Installs nightly's cargo-fuzz when missing.
pub fn run_all() -> Result<(), String> {
    if Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        println!("cargo-fuzz is missing: installing it (a few minutes, once)");
        run(Command::new("cargo").args(["+nightly", "install", "cargo-fuzz"]))?;
    }
    for (target, dict) in FUZZ_TARGETS {
        let corpus = format!("fuzz/corpus/{target}");
        std::fs::create_dir_all(&corpus).map_err(|e| format!("cannot create {corpus}: {e}"))?;
        let mut command = Command::new("cargo");
        command.args(["+nightly", "fuzz", "run", target, &corpus]);
        let seeds = format!("fuzz/seeds/{target}");
        if Path::new(&seeds).is_dir() {
            command.arg(&seeds);
        }
        command.args([
            "--",
            &format!("-max_total_time={FUZZ_SECONDS}"),
            "-seed=1",
            "-print_final_stats=1",
        ]);
        if let Some(dict) = dict {
            command.arg(format!("-dict={dict}"));
        }
        run_quietly(&mut command, &format!("target/fuzz-{target}.log"), |line| {
            line.starts_with("Done ")
                || line.starts_with("stat::number_of_executed_units")
                || line.starts_with("stat::new_units_added")
        })?;
    }
    Ok(())
}

/// Runs `command` with its output in `log`, printing only the lines `keep` picks, or the last 60
/// lines of the log when it fails (libFuzzer prints a line per new input: thousands).
fn run_quietly(
    command: &mut Command,
    log: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let shown = format!("{command:?}").replace('"', "");
    println!("$ {shown}  (output in {log})");
    let out = command
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(log, &text).map_err(|e| format!("cannot write {log}: {e}"))?;
    let lines: Vec<&str> = text.lines().collect();
    if out.status.success() {
        lines
            .iter()
            .filter(|l| keep(l))
            .for_each(|l| println!("{l}"));
        Ok(())
    } else {
        lines[lines.len().saturating_sub(60)..]
            .iter()
            .for_each(|l| println!("{l}"));
        Err(format!(
            "{shown} exited with {} (full output in {log})",
            out.status
        ))
    }
}
