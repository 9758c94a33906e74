//! `shopkeeper-load`: sends a fleet interleaved purchases, decisions, responses and visitor
//! journeys, then checks it holds exactly what it acknowledged; or, with `--bench`, measures
//! decisions per second and their latencies.
//!
//! ```text
//! shopkeeper-load --node http://127.0.0.1:8080 --node http://127.0.0.1:8081 --check
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use shopkeeper_service::load::{check, run, Plan};
use shopkeeper_service::service::now;

/// Load for a fleet of shopkeeper-service processes.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// A node's base URL (repeat for each node; requests go round the nodes).
    #[arg(long = "node", required = true)]
    nodes: Vec<String>,
    /// Customers shared by every worker.
    #[arg(long, default_value_t = 2000)]
    customers: usize,
    /// The first HOT customers get half the operations (contention on their profiles).
    #[arg(long, default_value_t = 0)]
    hot: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Operations per worker.
    #[arg(long, default_value_t = 1000)]
    operations: usize,
    /// Only decisions (for throughput), after one purchase per customer.
    #[arg(long)]
    bench: bool,
    /// Afterwards, compare what the fleet holds with what was acknowledged (the fleet's store
    /// must have been empty when its nodes started: the learner and KPIs are compared whole).
    #[arg(long)]
    check: bool,
    /// The seed of every choice.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut plan = Plan {
        nodes: args.nodes.clone(),
        customers: args.customers,
        hot: args.hot.min(args.customers),
        workers: args.workers,
        operations: args.operations,
        mix: [35, 30, 20, 15],
        seed: args.seed,
        at: now(),
        patience: Duration::from_secs(30),
    };
    if args.bench {
        let warm = Plan {
            operations: args.customers.div_ceil(args.workers),
            mix: [1, 0, 0, 0],
            ..plan.clone()
        };
        run(&warm);
        plan.mix = [0, 1, 0, 0];
    }
    let report = run(&plan);
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "{} requests acknowledged in {seconds:.2} s ({:.0}/s); {} decisions ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms; {} degraded; {} answers 503 and {} unanswered, sent again; {} never acknowledged",
        report.acknowledged,
        report.acknowledged as f64 / seconds,
        report.decision_latencies.len(),
        report.decision_latencies.len() as f64 / seconds,
        report.latency(0.5).as_secs_f64() * 1e3,
        report.latency(0.99).as_secs_f64() * 1e3,
        report.degraded,
        report.unavailable,
        report.unanswered,
        report.unacknowledged,
    );
    if args.check {
        let problems = check(&args.nodes[0], &report, plan.at);
        for problem in &problems {
            println!("MISMATCH {problem}");
        }
        if !problems.is_empty() {
            return ExitCode::FAILURE;
        }
        println!(
            "checked: {} customers hold exactly what was acknowledged; the learners hold the {} credited responses",
            report.customers.len(),
            report.credited.0 + report.credited.1
        );
    }
    ExitCode::SUCCESS
}
