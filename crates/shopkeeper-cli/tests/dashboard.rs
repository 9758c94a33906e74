//! `shopkeeper report --decisions LOG --kpis FILE`: the dashboard, end to end on the storefront's
//! replay (headless Chromium checks the page the test command builds from a week of traffic:
//! `dashboard.mjs`).

mod common;

use common::{repo, shopkeeper, temp, text};

#[test]
fn the_dashboard_draws_every_chart_from_a_replayed_log() {
    let (log, kpis, html) = (
        temp("dash-decisions.jsonl", ""),
        temp("dash-kpis.bin", ""),
        temp("dash.html", ""),
    );
    let (stream, catalog, models) = (
        repo("examples/storefront/replay.jsonl"),
        repo("examples/storefront/catalog.json"),
        repo("examples/storefront/models.json"),
    );
    let out = shopkeeper(&[
        "replay",
        &stream,
        "--catalog",
        &catalog,
        "--models",
        &models,
        "--log",
        &log,
        "--save-kpis",
        &kpis,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = shopkeeper(&[
        "report",
        "--decisions",
        &log,
        "--kpis",
        &kpis,
        "--catalog",
        &catalog,
        "--models",
        &models,
        "--out",
        &html,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("wrote "),
        "{}",
        text(&out.stdout)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    for title in [
        "Treatment against the control group",
        "Acceptance per offer, by day",
        "Attributed revenue per offer, by day",
        "Budget of register-free-shipping: spent against the even plan",
        "Top reasons offers were dropped",
    ] {
        assert!(page.contains(&format!("<h2>{title}</h2>")), "no {title:?}");
    }
    // Self-contained: SVG inline, nothing fetched.
    assert!(page.matches("<svg").count() >= 5);
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    // Each decision decided again with its receipt gives the logged picks.
    let said = page.split("with its receipt: ").nth(1).unwrap();
    let (same, rest) = said.split_once(" of ").unwrap();
    let all = rest.split(' ').next().unwrap();
    assert!(same == all && all != "0", "{same} of {all}");
}

#[test]
fn a_report_needs_a_log_kpis_or_transactions() {
    let out = shopkeeper(&["report", "--out", &temp("none.html", "")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let both = shopkeeper(&[
        "report",
        "--decisions",
        "log.jsonl",
        "--transactions",
        "t.csv",
        "--calibration-end",
        "2026-01-01",
        "--models",
        "m.json",
        "--out",
        "x.html",
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        text(&both.stderr).contains("either --decisions or --kpis"),
        "{}",
        text(&both.stderr)
    );
    let bad = temp("bad-log.jsonl", "{\"not\": \"a log entry\"}\n");
    let out = shopkeeper(&[
        "report",
        "--decisions",
        &bad,
        "--out",
        &temp("bad.html", ""),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad-log.jsonl:1:"),
        "{}",
        text(&out.stderr)
    );
}
