//! `shopkeeper-fleet-bench`: what a decision costs at each layer, side by side in one run, on
//! the same customers (each with one order) and the same storefront catalog:
//!
//! 1. the core alone: `Engine::decide_live` on a decoded profile;
//! 2. the service without HTTP: `Service::decide` on the embedded store (read the profile,
//!    decide, record the picks as shown, log, publish the node's counts);
//! 3. the service over HTTP (loopback), on the embedded store;
//! 4. the same over HTTP, on Redis (its own `redis-server`, on a Unix socket).
//!
//! ```text
//! cargo build --release -p shopkeeper-service && target/release/shopkeeper-fleet-bench
//! ```
//!
//! The load generator runs on the same machine as the service: per core means the decisions
//! per second over every core of the machine.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use shopkeeper::decide::{Live, Request};
use shopkeeper::rules::Context;
use shopkeeper::{Channel, Profile};
use shopkeeper_service::load::{run, Plan, Process};
use shopkeeper_service::service::{engine, now, Service};
use shopkeeper_service::{STOREFRONT_CATALOG, STOREFRONT_MODELS};
use shopkeeper_store::server::RedisServer;
use shopkeeper_store::MemoryStore;

/// Decisions per second and latencies, from the core to HTTP on Redis.
#[derive(Parser)]
struct Args {
    /// Customers (with about one order each first).
    #[arg(long, default_value_t = 2000)]
    customers: usize,
    /// Decisions per row.
    #[arg(long, default_value_t = 20_000)]
    decisions: usize,
    /// Client threads of the HTTP rows.
    #[arg(long, default_value_t = 8)]
    workers: usize,
}

struct Row {
    name: &'static str,
    decisions: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Row {
    fn quantile(&mut self, q: f64) -> f64 {
        self.latencies.sort();
        let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
    }
}

fn main() -> ExitCode {
    match bench(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopkeeper-fleet-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &Args) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores;
    let mut rows = vec![core_only(args, threads)?, in_process(args, threads)?];
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let service = exe.with_file_name("shopkeeper-service");
    let memory = Process::start(&service, &["--node", "bench-memory"])?;
    rows.push(http("HTTP, embedded store", args, &memory.url)?);
    drop(memory);
    let Some(redis) = RedisServer::start(false)? else {
        return Err("no redis-server on this machine (cargo xtask test installs it)".into());
    };
    let on_redis = Process::start(&service, &["--redis", &redis.url, "--node", "bench-redis"])?;
    rows.push(http("HTTP, Redis", args, &on_redis.url)?);
    println!(
        "{:<38} {:>10} {:>14} {:>10} {:>10} {:>10}",
        "decision", "per second", "per s per core", "p50 µs", "p99 µs", "vs core"
    );
    let base = rows[0].decisions as f64 / rows[0].elapsed.as_secs_f64();
    for row in &mut rows {
        let rate = row.decisions as f64 / row.elapsed.as_secs_f64();
        let (p50, p99) = (row.quantile(0.5), row.quantile(0.99));
        println!(
            "{:<38} {rate:>10.0} {:>14.0} {p50:>10.1} {p99:>10.1} {:>9.1}x",
            row.name,
            rate / cores as f64,
            base / rate
        );
    }
    println!(
        "{cores} cores; HTTP rows: {} client threads on the same machine; {} customers",
        args.workers, args.customers
    );
    Ok(())
}

/// Runs `decide` `args.decisions` times over `threads` threads, timing each.
fn timed(
    name: &'static str,
    args: &Args,
    threads: usize,
    decide: impl Fn(usize, usize) -> Result<(), String> + Sync,
) -> Result<Row, String> {
    let per = args.decisions / threads;
    let started = Instant::now();
    let latencies: Result<Vec<Vec<Duration>>, String> = std::thread::scope(|s| {
        let decide = &decide;
        let running: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut own = Vec::with_capacity(per);
                    for i in 0..per {
                        let one = Instant::now();
                        decide(t, i)?;
                        own.push(one.elapsed());
                    }
                    Ok(own)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|t| t.join().map_err(|_| "a thread panicked".to_string())?)
            .collect()
    });
    Ok(Row {
        name,
        decisions: per * threads,
        elapsed: started.elapsed(),
        latencies: latencies?.into_iter().flatten().collect(),
    })
}

fn storefront() -> Result<shopkeeper::decide::Engine, String> {
    engine(STOREFRONT_CATALOG, Some(STOREFRONT_MODELS), now()).map_err(|e| e.to_string())
}

fn order(id: &str, at: i64) -> String {
    format!(
        r#"{{"profile": "{id}", "event": {{"type": "purchase", "at": {at}, "channel": "web",
        "order": "{id}-0", "total": 4900, "lines": [{{"product": "tent-2p", "quantity": 1,
        "unit_price": 4900}}]}}}}"#
    )
}

fn decision(id: &str, seed: usize) -> String {
    format!(
        r#"{{"profile": "{id}", "request": {{"slots": 1, "seed": {seed},
        "context": {{"page_type": "cart"}}}}}}"#
    )
}

fn core_only(args: &Args, threads: usize) -> Result<Row, String> {
    let engine = storefront()?;
    let at = now();
    let profiles: Vec<Profile> = (0..args.customers)
        .map(|k| {
            let mut p = Profile::known(&format!("c-{k}")).map_err(|e| e.to_string())?;
            let line = order(&format!("c-{k}"), at);
            let value: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| e.to_string())?;
            let event = shopkeeper::Event::from_json(&value["event"].to_string());
            p.apply(&event.map_err(|e| e.to_string())?, at)
                .map_err(|e| e.to_string())?;
            Ok(p)
        })
        .collect::<Result<_, String>>()?;
    let schema = engine.catalog().schema();
    let context =
        Context::from_json(schema, r#"{"page_type": "cart"}"#).map_err(|e| e.to_string())?;
    let learner = engine.catalog().new_learner().map_err(|e| e.to_string())?;
    timed(
        "core: decide on a decoded profile",
        args,
        threads,
        |t, i| {
            let request = Request::new(Channel::Web, at).seed((t * 1_000_000 + i) as u64);
            let live = Live {
                learner: Some(&learner),
                ..Live::default()
            };
            let profile = &profiles[(t * 7919 + i) % profiles.len()];
            engine
                .decide_live(profile, &context, &request, live)
                .map(drop)
                .map_err(|e| e.to_string())
        },
    )
}

fn in_process(args: &Args, threads: usize) -> Result<Row, String> {
    let store = Arc::new(MemoryStore::new());
    let service = Arc::new(
        Service::new(storefront()?, store, "memory", "bench-in-process").map_err(|e| e.message)?,
    );
    let flusher = {
        let service = service.clone();
        std::thread::spawn(move || service.node.run(Duration::from_millis(500)))
    };
    let at = now();
    for k in 0..args.customers {
        service
            .event(order(&format!("c-{k}"), at).as_bytes())
            .map_err(|e| e.message)?;
    }
    let row = timed("service, no HTTP: embedded store", args, threads, |t, i| {
        let id = format!("c-{}", (t * 7919 + i) % args.customers);
        let body = decision(&id, t * 1_000_000 + i);
        service
            .decide(body.as_bytes())
            .map(drop)
            .map_err(|e| e.message)
    });
    service.node.stop();
    let _ = flusher.join();
    row
}

fn http(name: &'static str, args: &Args, url: &str) -> Result<Row, String> {
    let plan = Plan {
        nodes: vec![url.to_string()],
        customers: args.customers,
        hot: 0,
        workers: args.workers,
        operations: args.customers.div_ceil(args.workers),
        mix: [1, 0, 0, 0],
        seed: 3,
        at: now(),
        patience: Duration::from_secs(10),
    };
    run(&plan);
    let decide = Plan {
        operations: args.decisions / args.workers,
        mix: [0, 1, 0, 0],
        ..plan
    };
    let report = run(&decide);
    if report.unacknowledged > 0 || report.degraded > 0 {
        return Err(format!(
            "{name}: {} decisions failed",
            report.unacknowledged
        ));
    }
    Ok(Row {
        name,
        decisions: report.decision_latencies.len(),
        elapsed: report.elapsed,
        latencies: report.decision_latencies,
    })
}
