//! The `shopkeeper` command. All I/O of the project lives here and in the examples; the logic is
//! in the `shopkeeper` crate.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
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

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
