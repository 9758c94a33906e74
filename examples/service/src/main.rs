//! `shopkeeper-service`: the reference decision service. On the embedded store by default, with
//! the storefront example's catalog and models:
//!
//! ```text
//! cargo run --release -p shopkeeper-service
//! cargo run --release -p shopkeeper-service -- --redis redis://127.0.0.1:6379 --node web-1
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use shopkeeper_service::http::router;
use shopkeeper_service::service::{engine, now, Service};
use shopkeeper_service::{STOREFRONT_CATALOG, STOREFRONT_MODELS};
use shopkeeper_store::{MemoryStore, RedisStore, Store};

/// Shopkeeper over HTTP/JSON: events, decisions, responses, KPIs, catalog swaps.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Where to listen (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Keep shared state on this Redis (`redis://host:port/db`, `redis+unix:///path`) instead
    /// of in this process's memory.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// This process's node id in the fleet: keep it stable across restarts (a restarted node
    /// goes on from its slots), never shared by two running processes (default: a random one,
    /// new at each start).
    #[arg(long)]
    node: Option<String>,
    /// The catalog (default: the storefront example's).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// The models (default: the storefront example's, or none with --catalog).
    #[arg(long)]
    models: Option<PathBuf>,
    /// How often this node reads the others' learners and budget counters, in milliseconds.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    sync_ms: u64,
}

fn main() -> ExitCode {
    match serve(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopkeeper-service: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn serve(args: Args) -> Result<(), String> {
    let (catalog, models) = match &args.catalog {
        Some(path) => (read(path)?, args.models.as_ref().map(read).transpose()?),
        None => (
            STOREFRONT_CATALOG.to_string(),
            Some(STOREFRONT_MODELS.to_string()),
        ),
    };
    let engine = engine(&catalog, models.as_deref(), now()).map_err(|e| e.to_string())?;
    let (store, name): (Arc<dyn Store>, _) = match &args.redis {
        Some(url) => (
            Arc::new(RedisStore::open(url).map_err(|e| e.to_string())?),
            "redis",
        ),
        None => (Arc::new(MemoryStore::new()), "memory"),
    };
    let node = args.node.unwrap_or_else(|| {
        // Random (the standard library's OS-seeded hasher keys): two replicas never share it.
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        format!("node-{random:016x}")
    });
    let service = Service::new(engine, store, name, &node)
        .map_err(|e| format!("cannot start node {node:?}: {}", e.message))?;
    let service = Arc::new(service);
    let flusher = {
        let service = service.clone();
        let sync = Duration::from_millis(args.sync_ms);
        std::thread::spawn(move || service.node.run(sync))
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        // The first line of standard output: scripts and tests read the port from it.
        println!("listening on http://{address}");
        eprintln!("shopkeeper-service: node {node} on the {name} store; stop with Ctrl-C");
        axum::serve(listener, router(service.clone()))
            .with_graceful_shutdown(stopped())
            .await
            .map_err(|e| e.to_string())
    });
    // Requests in flight are answered; then the last publication.
    service.node.stop();
    flusher
        .join()
        .map_err(|_| "the flusher stopped abnormally".to_string())?;
    let (published, failures, last) = service.node.published();
    eprintln!(
        "shopkeeper-service: stopped; {published} changes published, {failures} rounds failed"
    );
    match last {
        Some(error) => Err(format!("the last publication failed: {error}")),
        None => served,
    }
}

/// Ctrl-C or SIGTERM.
async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
