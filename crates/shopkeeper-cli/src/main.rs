//! The `shopkeeper` command. All I/O of the project lives here and in the examples; the logic is
//! in the `shopkeeper` crate.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod check;
mod eval;
mod fold;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};

/// Shopkeeper: real-time personalization, in-process.
#[derive(Parser)]
#[command(name = "shopkeeper", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fold a stream of JSON events (one per line) into customer profiles and print them as JSON.
    ///
    /// Each line is an event (spec/events.md) plus "profile": the id of the profile it belongs
    /// to, and "anonymous": true when that id is an anonymous visitor's. An identify event merges the visitor's
    /// profile into the known customer's. Bad lines are reported with their line number and
    /// skipped; the exit code is 1 if any line was rejected.
    Profile {
        /// The events file (JSON Lines); `-` reads standard input.
        events: PathBuf,
        /// The current time in seconds since the epoch (default: the system clock); events stamped
        /// more than 15 minutes after it are rejected.
        #[arg(long)]
        now: Option<i64>,
        /// Print one compact JSON profile per line instead of a pretty JSON array.
        #[arg(long)]
        jsonl: bool,
    },
    /// Type-check a file of named rules and print compiler-style diagnostics (exit code 1 on errors).
    ///
    /// The file declares attributes and context keys, then names rules (spec/rules.md):
    ///   attribute tier: string
    ///   context page_type: string
    ///   rule vip_cart: customer.known and cart.value >= 100
    /// A rule continues on the following indented lines.
    Check {
        /// The rules file.
        file: PathBuf,
    },
    /// Evaluate one expression and print its value as JSON (null when missing).
    ///
    /// The profile's attributes and the context's keys are declared with the types of their values.
    Eval {
        /// The expression (spec/rules.md).
        expression: String,
        /// A profile as exported JSON (one line of `shopkeeper profile --jsonl`); default: an empty visitor.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// The request context as a JSON object, e.g. {"page_type": "cart"}.
        #[arg(long)]
        context: Option<PathBuf>,
        /// The current time in seconds since the epoch (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check { file } => {
            let name = file.display().to_string();
            match read(&file) {
                Ok(text) => finish(
                    check::check(&text, &name).map(|n| format!("{name}: {n} rules, no errors")),
                    1,
                ),
                Err(message) => finish(Err(message), 2),
            }
        }
        Command::Eval {
            expression,
            profile,
            context,
            now,
        } => {
            let inputs = profile
                .as_deref()
                .map(read)
                .transpose()
                .and_then(|p| Ok((p, context.as_deref().map(read).transpose()?)));
            match inputs {
                Ok((profile, context)) => finish(
                    eval::eval(
                        &expression,
                        profile.as_deref(),
                        context.as_deref(),
                        now.unwrap_or_else(system_now),
                    ),
                    1,
                ),
                Err(message) => finish(Err(message), 2),
            }
        }
        Command::Profile { events, now, jsonl } => {
            let now = now.unwrap_or_else(system_now);
            match fold::run(&events, now, jsonl) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(message) => {
                    eprintln!("shopkeeper: {message}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Prints the outcome of a command that succeeds with output or fails with a message.
fn finish(result: Result<String, String>, failure: u8) -> ExitCode {
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(failure)
        }
    }
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
