//! The `shopkeeper` command. All I/O of the project lives here and in the examples; the logic is
//! in the `shopkeeper` crate.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod charts;
mod check;
mod dashboard;
mod decide;
mod eval;
mod fit;
mod fold;
mod load;
mod ope;
mod report;
mod score;
mod text;
mod transactions;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use shopkeeper::decide::Catalog;
use shopkeeper::listen::Listener;

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
        /// A catalog whose intents hear messages' text (spec/catalog.md, "Intents"); without it a
        /// message counts only the sentiment, intents and rating it carries.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Models whose sentiment model hears messages' text (spec/scores.md, "Sentiment").
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Check a catalog (a .json file, spec/catalog.md) or a file of named rules, and print
    /// compiler-style errors and warnings (exit code 1 on errors).
    ///
    /// A rules file declares attributes and context keys, then names rules (spec/rules.md):
    ///   attribute tier: string
    ///   context page_type: string
    ///   rule vip_cart: customer.known and cart.value >= 100
    /// A rule continues on the following indented lines.
    Check {
        /// The catalog (.json) or rules file.
        file: PathBuf,
        /// The current time in seconds since the epoch, for warnings about validity windows
        /// (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
    },
    /// Decide the next best offers for one profile and print the receipt (JSON, spec/catalog.md).
    Decide {
        /// The catalog (JSON).
        #[arg(long)]
        catalog: PathBuf,
        /// The models (`shopkeeper fit --out`), for score paths and model propensities.
        #[arg(long)]
        models: Option<PathBuf>,
        /// The profile, exported JSON (one line of `shopkeeper profile --jsonl`); default: a new
        /// anonymous visitor.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// A request-context value the catalog declares, KEY=VALUE (lists comma-separated); repeat.
        #[arg(long = "context", value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// The channel that shows the picks.
        #[arg(long, default_value = "web")]
        channel: String,
        /// How many offers to pick.
        #[arg(long, default_value_t = 1)]
        slots: usize,
        /// The seed for tie-breaks.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The current time in seconds since the epoch (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
    },
    /// Play a stream of events and decision requests (JSON Lines) and print, per offer, its shows,
    /// accepts, dismisses and accept rate.
    ///
    /// Lines are as in `shopkeeper profile`, plus decision requests:
    ///   {"profile": "c1", "type": "decide", "at": 1795500000, "channel": "web", "slots": 2, "context": {"page_type": "cart"}}
    /// Each decision's picks are recorded as shown; accepts and dismisses come from the stream's
    /// offer_accepted and offer_dismissed events. Each line is applied at its own time.
    Replay {
        /// The stream (JSON Lines).
        events: PathBuf,
        /// The catalog (JSON).
        #[arg(long)]
        catalog: PathBuf,
        /// The models (`shopkeeper fit --out`).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Learn as the stream plays: decisions sample adaptive propensities from a learner that
        /// each offer_accepted and offer_dismissed event of a shown offer updates (spec/learning.md).
        #[arg(long)]
        learn: bool,
        /// Write the learner's binary form here at the end (implies --learn); `shopkeeper ope
        /// --learner` reads it.
        #[arg(long, value_name = "FILE")]
        save_learner: Option<PathBuf>,
        /// Count live cohorts as the stream plays (visitors, first purchases, orders per source
        /// of the first session; spec/scores.md, "Live cohorts"): decisions read them as
        /// `cohort.visitors` and `cohort.conversion`, and the summary lists the largest.
        #[arg(long)]
        cohorts: bool,
        /// Write the cohort counts' binary form here at the end (implies --cohorts).
        #[arg(long, value_name = "FILE")]
        save_cohorts: Option<PathBuf>,
        /// Count KPIs as the stream plays (customers, buyers and revenue of the treatment arm
        /// and of the catalog's control group; spec/catalog.md, "Proof that it pays") and print
        /// the lift with its verdict.
        #[arg(long)]
        kpis: bool,
        /// Write the KPIs' binary form here at the end (implies --kpis).
        #[arg(long, value_name = "FILE")]
        save_kpis: Option<PathBuf>,
        /// Write a decision log here (JSON Lines: profile, context, receipt and accepted picks
        /// of each decision); `shopkeeper ope` evaluates other catalogs on it.
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
    },
    /// Off-policy evaluation: estimate how a candidate catalog (and learner) would have done on the
    /// decisions of a log (`shopkeeper replay --log`), with IPW and self-normalised IPW, 95%
    /// intervals and the effective sample size (spec/learning.md).
    Ope {
        /// The decision log (JSON Lines).
        log: PathBuf,
        /// The candidate catalog (JSON).
        #[arg(long)]
        catalog: PathBuf,
        /// The models (`shopkeeper fit --out`).
        #[arg(long)]
        models: Option<PathBuf>,
        /// The learner the candidate's adaptive offers sample from (`shopkeeper replay
        /// --save-learner`); default: their priors.
        #[arg(long)]
        learner: Option<PathBuf>,
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
        /// The models file (`shopkeeper fit --out`): score paths such as customer.p_alive read it
        /// (without it they are missing, null).
        #[arg(long)]
        models: Option<PathBuf>,
        /// The current time in seconds since the epoch (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
    },
    /// Fit the purchase, spend, RFM and (with product columns) cross-sell models on a transaction
    /// log and write them as one models file (spec/scores.md).
    ///
    /// Prints the parameters, log-likelihood, iterations and time of each fit, and with
    /// --holdout-end the predicted and actual purchases after the calibration end.
    Fit {
        /// The transaction log: CSV with a header naming customer, date, amount (and optionally
        /// order, product, category, source), or a CDNOW text file with --format cdnow.
        /// With a source column, cohorts are fitted too (spec/scores.md, "Cohorts").
        transactions: PathBuf,
        /// The last day of the calibration period (YYYY-MM-DD); later purchases are the holdout.
        #[arg(long)]
        calibration_end: String,
        /// The last day of the holdout period, to compare predictions with what happened.
        #[arg(long)]
        holdout_end: Option<String>,
        /// The time unit of the model: day, week or month.
        #[arg(long, default_value = "week")]
        unit: String,
        /// The purchase-process model.
        #[arg(long, value_enum, default_value = "bgnbd")]
        model: fit::ModelKind,
        /// How the log is written.
        #[arg(long, value_enum, default_value = "csv")]
        format: transactions::Format,
        /// Which field of a customer's first session the log's source column holds.
        #[arg(long, value_enum, default_value = "affiliate")]
        cohort_by: fit::CohortBy,
        /// Where to write the models (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a sentiment lexicon (`word<TAB>valence` lines, such as vader_lexicon.txt from the
    /// PyPI wheel vaderSentiment==3.3.2) into a models file (spec/scores.md, "Sentiment").
    Lexicon {
        #[command(subcommand)]
        command: LexiconCommand,
    },
    /// Fit a sentiment model's learned layer on human-rated sentences (`ID<TAB>rating<TAB>text`
    /// lines) over a lexicon, and write it into a models file; or, with --cross-validate K, print
    /// how well that recipe scores sentences it did not see.
    FitText {
        /// The rated sentences.
        ratings: PathBuf,
        /// Models to add the sentiment model to (their sentiment lexicon is the base).
        #[arg(long)]
        models: Option<PathBuf>,
        /// A lexicon to import first (instead of the models' one).
        #[arg(long)]
        lexicon: Option<PathBuf>,
        /// The rating scale, LOW:HIGH, mapped to -1:1.
        #[arg(long, default_value = "-4:4", allow_hyphen_values = true)]
        scale: String,
        /// Fit on all folds but one, K times, and print the held-out Pearson correlation.
        #[arg(long)]
        cross_validate: Option<usize>,
        /// Where to write the models (JSON).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the sentiment (-1 to 1) of each input line, one per line and nothing else.
    Sentiment {
        /// The models file with a sentiment model.
        #[arg(long)]
        models: PathBuf,
        /// One text per line; `-` (the default) reads standard input.
        #[arg(default_value = "-")]
        input: PathBuf,
    },
    /// Print every score of each profile (exported JSON, one per line or an array), one JSON line each.
    Score {
        /// The models file (`shopkeeper fit --out`).
        #[arg(long)]
        models: PathBuf,
        /// Profile files.
        #[arg(required = true)]
        profiles: Vec<PathBuf>,
        /// The current time in seconds since the epoch (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
    },
    /// Write a self-contained HTML page with SVG charts: with --decisions or --kpis, the
    /// dashboard of whether the engine pays (acceptance and revenue per offer over time, the lift
    /// over the control group, budgets against their plan, drop reasons); with --transactions,
    /// the fitted models against a transaction log.
    Report {
        /// A decision log (`shopkeeper replay --log`): the dashboard.
        #[arg(long)]
        decisions: Option<PathBuf>,
        /// KPIs in their binary form (`shopkeeper replay --save-kpis`): the dashboard's lift and
        /// revenue per offer.
        #[arg(long)]
        kpis: Option<PathBuf>,
        /// The catalog of the logged decisions: the dashboard's budgets and drop reasons.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// The models file (`shopkeeper fit --out`).
        #[arg(long, required_unless_present_any = ["decisions", "kpis"])]
        models: Option<PathBuf>,
        /// The transaction log the models were fitted on.
        #[arg(long, required_unless_present_any = ["decisions", "kpis"])]
        transactions: Option<PathBuf>,
        /// How the log is written.
        #[arg(long, value_enum, default_value = "csv")]
        format: transactions::Format,
        /// The last day of the calibration period (YYYY-MM-DD).
        #[arg(long, required_unless_present_any = ["decisions", "kpis"])]
        calibration_end: Option<String>,
        /// The last day of the holdout period, for the calibration-vs-holdout chart.
        #[arg(long)]
        holdout_end: Option<String>,
        /// Where to write the report.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum LexiconCommand {
    /// Read FILE's `word<TAB>valence` lines into the models' sentiment model.
    Import {
        /// The lexicon.
        file: PathBuf,
        /// Models to add it to (default: new models).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Where to write the models (JSON).
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check { file, now } => {
            let name = file.display().to_string();
            let catalog = file.extension().is_some_and(|e| e == "json");
            match read(&file) {
                Ok(text) if catalog => finish(
                    check::check_catalog(&text, &name, now.unwrap_or_else(system_now)),
                    1,
                ),
                Ok(text) => finish(
                    check::check(&text, &name).map(|n| format!("{name}: {n} rules, no errors")),
                    1,
                ),
                Err(message) => finish(Err(message), 2),
            }
        }
        Command::Decide {
            catalog,
            models,
            profile,
            context,
            channel,
            slots,
            seed,
            now,
        } => finish(
            decide::run(&decide::DecideArgs {
                catalog,
                models,
                profile,
                context,
                channel,
                slots,
                seed,
                now: now.unwrap_or_else(system_now),
            }),
            1,
        ),
        Command::Replay {
            events,
            catalog,
            models,
            learn,
            save_learner,
            cohorts,
            save_cohorts,
            kpis,
            save_kpis,
            log,
        } => table(decide::replay(&decide::ReplayArgs {
            events: &events,
            catalog: &catalog,
            models: models.as_deref(),
            learn,
            save_learner: save_learner.as_deref(),
            cohorts,
            save_cohorts: save_cohorts.as_deref(),
            kpis,
            save_kpis: save_kpis.as_deref(),
            log: log.as_deref(),
        })),
        Command::Ope {
            log,
            catalog,
            models,
            learner,
        } => table(ope::evaluate(
            &log,
            &catalog,
            models.as_deref(),
            learner.as_deref(),
            system_now(),
        )),
        Command::Eval {
            expression,
            profile,
            context,
            models,
            now,
        } => {
            let inputs = profile
                .as_deref()
                .map(read)
                .transpose()
                .and_then(|p| Ok((p, context.as_deref().map(read).transpose()?)))
                .and_then(|(p, c)| {
                    let m = models.as_deref().map(load::models).transpose()?;
                    Ok((p, c, m.unwrap_or_default()))
                });
            match inputs {
                Ok((profile, context, models)) => finish(
                    eval::eval(
                        &expression,
                        profile.as_deref(),
                        context.as_deref(),
                        &models,
                        now.unwrap_or_else(system_now),
                    ),
                    1,
                ),
                Err(message) => finish(Err(message), 2),
            }
        }
        Command::Fit {
            transactions,
            calibration_end,
            holdout_end,
            unit,
            model,
            format,
            cohort_by,
            out,
        } => finish(
            fit::run(&fit::FitArgs {
                transactions,
                format,
                calibration_end,
                holdout_end,
                unit,
                model,
                cohort_by,
                out,
            }),
            1,
        ),
        Command::Lexicon {
            command: LexiconCommand::Import { file, models, out },
        } => finish(text::import(&file, models.as_deref(), &out), 1),
        Command::FitText {
            ratings,
            models,
            lexicon,
            scale,
            cross_validate,
            out,
        } => finish(
            text::fit_text(&text::FitTextArgs {
                ratings,
                models,
                lexicon,
                scale,
                cross_validate,
                out,
            }),
            1,
        ),
        Command::Sentiment { models, input } => match text::score(&models, &input) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(message) => {
                eprintln!("shopkeeper: {message}");
                ExitCode::from(2)
            }
        },
        Command::Score {
            models,
            profiles,
            now,
        } => finish(
            score::run(&models, &profiles, now.unwrap_or_else(system_now)),
            1,
        ),
        Command::Report {
            decisions,
            kpis,
            catalog,
            models,
            transactions,
            format,
            calibration_end,
            holdout_end,
            out,
        } => match (transactions, calibration_end, &decisions, &kpis) {
            (Some(transactions), Some(calibration_end), None, None) => finish(
                report::run(&report::ReportArgs {
                    models: models.unwrap_or_default(),
                    transactions,
                    format,
                    calibration_end,
                    holdout_end,
                    out,
                }),
                1,
            ),
            (None, None, _, _) if holdout_end.is_none() => finish(
                dashboard::run(&dashboard::DashboardArgs {
                    decisions,
                    kpis,
                    catalog,
                    models,
                    out,
                }),
                1,
            ),
            _ => finish(
                Err("report: either --decisions or --kpis (the dashboard, with --catalog and --models), or --transactions with --calibration-end and --holdout-end (the models' report)".into()),
                2,
            ),
        },
        Command::Profile {
            events,
            now,
            jsonl,
            catalog,
            models,
        } => {
            let now = now.unwrap_or_else(system_now);
            let folded = (|| {
                let catalog = catalog.map(|c| load::catalog(&c, now)).transpose()?;
                let models = models.map(|m| load::models(&m)).transpose()?;
                let listener = Listener::new(
                    catalog.as_ref().map(Catalog::intents),
                    models.as_ref().and_then(|m| m.sentiment.as_ref()),
                );
                fold::run(&events, now, jsonl, &listener)
            })();
            match folded {
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

/// Prints the outcome of a command that reads many lines: exit code 0, 1 if some line was
/// rejected, 2 if it could not run.
fn table(result: Result<(String, bool), String>) -> ExitCode {
    match result {
        Ok((table, clean)) => {
            println!("{table}");
            ExitCode::from(u8::from(!clean))
        }
        Err(message) => {
            eprintln!("shopkeeper: {message}");
            ExitCode::from(2)
        }
    }
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
