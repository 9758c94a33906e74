//! `cargo xtask test`'s dashboard step: the README's dashboard built from the storefront's
//! week of traffic and checked in headless Chromium.

use std::path::Path;
use std::process::Command;

use crate::run as command;

/// The README's dashboard: the storefront's week of traffic, replayed with KPIs and a decision
/// log, written by `shopkeeper report`, then opened in headless Chromium
/// (`crates/shopkeeper-cli/tests/dashboard.mjs`: every chart drawn, no error, a screenshot).
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let target = root.join("target");
    let traffic = target.join("traffic.jsonl");
    let file = std::fs::File::create(&traffic)
        .map_err(|e| format!("cannot write {}: {e}", traffic.display()))?;
    command(
        Command::new("cargo")
            .args([
                "run",
                "--quiet",
                "--package",
                "storefront",
                "--bin",
                "traffic",
                "--",
                "20000",
            ])
            .stdout(file),
    )?;
    let storefront = |file: &str| root.join("examples/storefront").join(file);
    let shopkeeper = |args: &[&str]| {
        let mut cli = Command::new("cargo");
        cli.args(["run", "--quiet", "--package", "shopkeeper-cli", "--"]);
        cli.args(args);
        cli.arg("--catalog").arg(storefront("catalog.json"));
        cli.arg("--models").arg(storefront("models.json"));
        command(&mut cli)
    };
    let (log, kpis, html) = (
        target.join("decisions.jsonl"),
        target.join("kpis.bin"),
        target.join("dashboard.html"),
    );
    let path = |p: &Path| p.display().to_string();
    shopkeeper(&[
        "replay",
        &path(&traffic),
        "--kpis",
        "--save-kpis",
        &path(&kpis),
        "--log",
        &path(&log),
    ])?;
    shopkeeper(&[
        "report",
        "--decisions",
        &path(&log),
        "--kpis",
        &path(&kpis),
        "--out",
        &path(&html),
    ])?;
    command(
        Command::new("node")
            .arg(root.join("crates/shopkeeper-cli/tests/dashboard.mjs"))
            .arg(&html)
            .arg(target.join("dashboard.png"))
            .arg(&traffic)
            .arg(&log),
    )
}
