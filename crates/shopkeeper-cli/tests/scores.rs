//! `shopkeeper fit`, `score` and `report` end to end, on a generated log.

use std::process::{Command, Output};

fn shopkeeper(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(args)
        .output()
        .unwrap()
}

fn temp(name: &str) -> String {
    std::env::temp_dir()
        .join(format!(
            "shopkeeper-cli-scores-{}-{name}",
            std::process::id()
        ))
        .display()
        .to_string()
}

/// 400 customers over 2024 who buy at their own rate and drop out after a purchase with their
/// own probability (a mixture the BG/NBD model can fit); each order has two lines (tents go with
/// stoves). Big spenders came from the "gadgets" affiliate, small ones from "coupons" (a source
/// column, so cohorts are fitted).
fn log() -> String {
    let mut csv = String::from("customer,date,amount,order,product,category,source\n");
    let mut state = 7u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for c in 0..400 {
        let mean_gap = [6.0, 20.0, 60.0][(uniform() * 3.0) as usize];
        let dropout = [0.05, 0.3, 0.7][(uniform() * 3.0) as usize];
        let kind = (uniform() * 3.0) as usize;
        let typical_spend = [15.0, 40.0, 120.0][kind];
        let source = ["coupons", "", "gadgets"][kind];
        let mut day = uniform() * 90.0;
        let mut order = 0;
        while day < 366.0 {
            let date = 19_723 + day as i64; // 2024-01-01
            let (month, dom) = month_day(date);
            let amount = (typical_spend * (0.5 + uniform())) as u32;
            let (a, b) = if uniform() < 0.5 {
                ("tent", "stove")
            } else {
                ("socks", "boots")
            };
            for (product, category) in [(a, "outdoor"), (b, "kit")] {
                csv.push_str(&format!(
                    "c{c},2024-{month:02}-{dom:02},{amount}.50,o{c}-{order},{product},{category},{source}\n"
                ));
            }
            order += 1;
            if uniform() < dropout {
                break;
            }
            day += -uniform().ln() * mean_gap;
        }
    }
    csv
}

/// The month and day of a day of 2024 (days since the epoch).
fn month_day(day: i64) -> (i64, i64) {
    let mut left = day - 19_723;
    for (month, days) in [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        .into_iter()
        .enumerate()
    {
        if left < days {
            return (month as i64 + 1, left + 1);
        }
        left -= days;
    }
    (12, 31)
}

#[test]
fn fit_then_score_then_report() {
    let transactions = temp("log.csv");
    std::fs::write(&transactions, log()).unwrap();
    let models = temp("models.json");
    let out = shopkeeper(&[
        "fit",
        &transactions,
        "--calibration-end",
        "2024-09-30",
        "--holdout-end",
        "2024-12-31",
        "--out",
        &models,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "BG/NBD (",
        "log-likelihood",
        "iterations",
        "Gamma-Gamma (",
        "RFM breakpoints",
        "cross-sell:",
        "cohorts by affiliate: 3 sources",
        "holdout (",
        "wrote ",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
    let json = std::fs::read_to_string(&models).unwrap();
    let parsed = shopkeeper::score::Models::from_json(&json).unwrap();
    let cross_sell = parsed.cross_sell.unwrap();
    assert_eq!(cross_sell.products.suggest(&["tent"], 1)[0].item, "stove");
    // Cohorts: customers who spend more are worth more, and a small cohort keeps its order.
    let cohorts = parsed.cohorts.unwrap();
    let names: Vec<&str> = cohorts.sources.keys().map(String::as_str).collect();
    assert_eq!(names, ["(none)", "coupons", "gadgets"]);
    let customers: u64 = cohorts.sources.values().map(|s| s.customers).sum();
    assert_eq!(customers, cohorts.population.customers);
    let gadgets = cohorts.value("gadgets").unwrap();
    let coupons = cohorts.value("coupons").unwrap();
    let (g_aov, c_aov) = (gadgets.aov.unwrap(), coupons.aov.unwrap());
    assert!(g_aov > 2.0 * c_aov, "{gadgets:?} {coupons:?}");
    let (g_clv, c_clv) = (gadgets.clv.unwrap(), coupons.clv.unwrap());
    assert!(g_clv > cohorts.population.clv && cohorts.population.clv > c_clv);

    // Score a profile that bought twice.
    let profile = temp("profile.jsonl");
    let events = temp("events.jsonl");
    std::fs::write(&events, concat!(
        r#"{"profile":"c1","at":1704067200,"channel":"web","type":"purchase","order":"a","total":5000,"lines":[]}"#, "\n",
        r#"{"profile":"c1","at":1717200000,"channel":"web","type":"purchase","order":"b","total":3000,"lines":[]}"#, "\n",
        r#"{"profile":"c1","at":1717200100,"channel":"web","type":"cart_add","product":"tent","quantity":1,"unit_price":100}"#, "\n",
    )).unwrap();
    let folded = shopkeeper(&["profile", &events, "--jsonl", "--now", "1727740800"]);
    assert!(
        folded.status.success(),
        "{}",
        String::from_utf8_lossy(&folded.stderr)
    );
    std::fs::write(&profile, &folded.stdout).unwrap();
    let out = shopkeeper(&[
        "score",
        "--models",
        &models,
        &profile,
        "--now",
        "1727740800",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["id"], "c1");
    let p_alive = line["scores"]["p_alive"].as_f64().unwrap();
    assert!(p_alive > 0.0 && p_alive <= 1.0);
    assert!(line["scores"]["clv"].as_f64().unwrap() > 0.0);
    assert_eq!(line["scores"]["cross_sell"][0], "stove");
    assert!(line["scores"]["segment"].is_string());

    let report = temp("report.html");
    let out = shopkeeper(&[
        "report",
        "--models",
        &models,
        "--transactions",
        &transactions,
        "--calibration-end",
        "2024-09-30",
        "--holdout-end",
        "2024-12-31",
        "--out",
        &report,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    assert!(
        html.contains("P(alive)")
            && html.contains("Holdout purchases")
            && html.contains("RFM segments")
    );
    assert!(
        !html.contains("NaN") && !html.contains("inf"),
        "every value drawn is finite"
    );
}

#[test]
fn bad_logs_and_models_get_clear_errors() {
    let bad = temp("bad.csv");
    std::fs::write(&bad, "customer,date,amount\nc1,2024-13-01,5\n").unwrap();
    let out = shopkeeper(&[
        "fit",
        &bad,
        "--calibration-end",
        "2024-09-30",
        "--out",
        &temp("never.json"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.csv:2: \"2024-13-01\" is not a date")
    );

    std::fs::write(&bad, "who,when\n").unwrap();
    let out = shopkeeper(&[
        "fit",
        &bad,
        "--calibration-end",
        "2024-09-30",
        "--out",
        &temp("never.json"),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("the header must name customer, date and amount"));

    let models = temp("bad-models.json");
    std::fs::write(
        &models,
        r#"{"version":1,"purchases":{"bgnbd":{"r":-1,"alpha":1,"a":1,"b":1}}}"#,
    )
    .unwrap();
    let out = shopkeeper(&["score", "--models", &models, &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bgnbd.r is -1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A log as spreadsheets export it: quoted fields with commas inside, CRLF line ends; the
/// referrer's host names the cohort.
#[test]
fn quoted_fields_and_referrers_read_as_written() {
    let mut csv = String::new();
    for (i, line) in log().lines().enumerate() {
        let mut fields: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0 {
            fields[4] = format!("\"{}, the kit\"", fields[4]);
            fields[6] = match fields[6].as_str() {
                "gadgets" => "\"https://www.Gadgets.com/r?a=1,b=2\"".into(),
                "coupons" => "http://coupons.example/x".into(),
                _ => String::new(),
            };
        }
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    let log = temp("quoted.csv");
    std::fs::write(&log, csv).unwrap();
    let models = temp("quoted.json");
    let out = shopkeeper(&[
        "fit",
        &log,
        "--calibration-end",
        "2024-09-30",
        "--cohort-by",
        "referrer",
        "--out",
        &models,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed =
        shopkeeper::score::Models::from_json(&std::fs::read_to_string(&models).unwrap()).unwrap();
    let cohorts = parsed.cohorts.unwrap();
    let names: Vec<&str> = cohorts.sources.keys().map(String::as_str).collect();
    assert_eq!(names, ["(none)", "coupons.example", "gadgets.com"]);
    let cross_sell = parsed.cross_sell.unwrap();
    let best = &cross_sell.products.suggest(&["tent, the kit"], 1)[0];
    assert_eq!(best.item, "stove, the kit");
}
