//! `shopkeeper check CATALOG.json`, `shopkeeper decide` and `shopkeeper replay` end to end, on the
//! storefront example's catalog and models.

mod common;

use common::{repo, shopkeeper, temp, text};

const NOW: &str = "1795500000";

#[test]
fn the_example_catalog_checks_clean() {
    let out = shopkeeper(&[
        "check",
        &repo("examples/storefront/catalog.json"),
        "--now",
        NOW,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("catalog.json: 12 offers, 0 warnings, no errors\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_broken_catalog_gets_every_error_with_its_place_and_exit_code_1() {
    let catalog = std::fs::read_to_string(repo("examples/storefront/catalog.json")).unwrap();
    let broken = catalog
        .replace("cart.value >= 30", "cart.valeu >= 30")
        .replace(
            "\"channels\": [\"web\", \"mobile\"]",
            "\"channels\": [\"web\", \"fax\"]",
        );
    let path = temp("broken.json", &broken);
    let out = shopkeeper(&["check", &path, "--now", NOW]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(r#"broken.json: offers["register-free-shipping"].applicability:1:1"#),
        "{stderr}"
    );
    assert!(
        stderr.contains("^^^^^^^^^^"),
        "a caret under the path: {stderr}"
    );
    assert!(
        stderr.contains(r#"offers["live-chat"].channels: unknown channel "fax""#),
        "{stderr}"
    );
    assert!(stderr.contains("2 errors"), "{stderr}");
}

#[test]
fn warnings_do_not_fail_the_check() {
    let catalog = r#"{"version": "v", "default": {"id": "f"}, "offers": [
        {"id": "x", "eligibility": "cart.value > 100 and cart.value < 50"},
        {"id": "y", "valid_until": "2020-01-01"}
    ]}"#;
    let out = shopkeeper(&["check", &temp("warn.json", catalog), "--now", NOW]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("warning[never_chosen]"), "{stdout}");
    assert!(
        stdout.contains("`cart.value > 100` and `cart.value < 50` can never both hold"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 offers, 2 warnings, no errors"),
        "{stdout}"
    );
}

#[test]
fn decide_prints_the_receipt() {
    let events = format!(
        "{{\"profile\": \"v1\", \"anonymous\": true, \"at\": {}, \"channel\": \"web\", \"type\": \"session_start\", \"affiliate\": \"trailblog\"}}\n",
        1_795_499_000
    );
    let folded = shopkeeper(&[
        "profile",
        &temp("events.jsonl", &events),
        "--jsonl",
        "--now",
        NOW,
    ]);
    assert!(folded.status.success());
    let profile = temp("profile.jsonl", &text(&folded.stdout));
    let out = shopkeeper(&[
        "decide",
        "--catalog",
        &repo("examples/storefront/catalog.json"),
        "--models",
        &repo("examples/storefront/models.json"),
        "--profile",
        &profile,
        "--context",
        "page_type=home",
        "--slots",
        "2",
        "--now",
        NOW,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["format"], "shopkeeper.receipt");
    assert_eq!(receipt["customer"], "v1");
    assert_eq!(receipt["picks"][0]["offer"], "welcome-10");
    assert_eq!(receipt["picks"][0]["score"], 3.0);
    let dropped = receipt["dropped"].as_array().unwrap();
    assert!(dropped
        .iter()
        .any(|d| d["offer"] == "register-free-shipping"
            && d["stage"] == "applicability"
            && d["reason"] == "cart.value >= 30"));
}

#[test]
fn decide_rejects_an_undeclared_context_key() {
    let out = shopkeeper(&[
        "decide",
        "--catalog",
        &repo("examples/storefront/catalog.json"),
        "--context",
        "colour=red",
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--context colour: the catalog declares no such key"));
}

/// `shopkeeper replay` of the storefront example's stream, catalog and models, with `extra` flags.
fn replay_example(extra: &[&str]) -> std::process::Output {
    let (stream, catalog, models) = (
        repo("examples/storefront/replay.jsonl"),
        repo("examples/storefront/catalog.json"),
        repo("examples/storefront/models.json"),
    );
    let mut args = vec![
        "replay",
        &stream,
        "--catalog",
        &catalog,
        "--models",
        &models,
    ];
    args.extend_from_slice(extra);
    shopkeeper(&args)
}

#[test]
fn replay_counts_shows_accepts_and_rates() {
    let out = replay_example(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let row = |offer: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(offer))
            .unwrap_or_else(|| panic!("no row for {offer}: {table}"))
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    assert_eq!(row("welcome-10"), ["welcome-10", "3", "1", "1", "33.3%"]);
    assert_eq!(
        row("sleeping-bag-for-your-tent"),
        ["sleeping-bag-for-your-tent", "3", "1", "1", "33.3%"]
    );
    assert_eq!(
        row("complete-the-kit"),
        ["complete-the-kit", "3", "1", "0", "33.3%"]
    );
    assert!(
        table.contains(
            "9 decisions (1 fell back to the default, 0 in the control group); 0 lines rejected"
        ),
        "{table}"
    );
}

#[test]
fn replay_reports_bad_lines_and_exits_1() {
    let stream = "{\"profile\": \"c\", \"type\": \"decide\", \"channel\": \"web\"}\n{\"profile\": \"c\", \"type\": \"decide\", \"at\": 1795500000, \"slots\": 0}\n";
    let out = shopkeeper(&[
        "replay",
        &temp("bad.jsonl", stream),
        "--catalog",
        &repo("examples/storefront/catalog.json"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.jsonl:1: error[invalid_json]: a decision request needs `at`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.jsonl:2: error[invalid_request]: slots: 1 to 16, got 0"),
        "{stderr}"
    );
}

#[test]
fn replay_learns_from_the_responses_to_what_it_showed() {
    let saved = temp("learner.bin", "");
    let out = replay_example(&["--learn", "--save-learner", &saved]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // 6 accepts and dismisses answer offers the replay showed: 4 offers, one segment.
    assert!(
        text(&out.stdout).ends_with(&format!(
            "learned from 6 responses: 4 arms, half-life 1209600 s; saved to {saved}\n"
        )),
        "{}",
        text(&out.stdout)
    );
    let learner = shopkeeper::learn::Learner::from_bytes(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(learner.len(), 4);
    // `shopkeeper ope --learner` reads it; a file that is not a learner is an error.
    let log = temp("learned-log.jsonl", "");
    replay_example(&["--log", &log]);
    let catalog = repo("examples/storefront/catalog.json");
    let models = repo("examples/storefront/models.json");
    let ope = |learner: &str| {
        shopkeeper(&[
            "ope",
            &log,
            "--catalog",
            &catalog,
            "--models",
            &models,
            "--learner",
            learner,
        ])
    };
    assert!(ope(&saved).status.success());
    let out = ope(&catalog);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("catalog.json: "),
        "{}",
        text(&out.stderr)
    );
}

/// The number after `label` in `text` (`observed accept rate 0.33333`, `IPW        0.33333`).
fn number_after(text: &str, label: &str) -> f64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        + label.len();
    text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn ope_of_the_logging_catalog_itself_is_its_observed_rate() {
    let log = temp("storefront-log.jsonl", "");
    let out = replay_example(&["--log", &log]);
    assert!(
        text(&out.stdout).contains("logged 9 decisions to"),
        "{}",
        text(&out.stdout)
    );
    let lines = std::fs::read_to_string(&log).unwrap();
    let accepted: usize = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["accepted"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(accepted, 4, "the accepts of shown offers");
    let out = shopkeeper(&[
        "ope",
        &log,
        "--catalog",
        &repo("examples/storefront/catalog.json"),
        "--models",
        &repo("examples/storefront/models.json"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("9 decisions, 12 picks (0 lines rejected)"),
        "{table}"
    );
    let observed = number_after(&table, "observed accept rate");
    assert_eq!(observed, 0.33333);
    assert_eq!(number_after(&table, "IPW"), observed);
    assert_eq!(number_after(&table, "SNIPW"), observed);
    assert!(
        table.contains("effective sample size 12.0 of 12 picks"),
        "{table}"
    );
}

#[test]
fn ope_reweights_the_picks_of_a_random_policy() {
    // Logging: x and y tie, so the seed picks one; every customer accepts x and ignores y.
    let offers = |x: u32, y: u32| {
        temp(
            &format!("tie-{x}-{y}.json"),
            &serde_json::json!({"version": "t", "default": {"id": "none"},
                "offers": [{"id": "x", "value": x}, {"id": "y", "value": y}]})
            .to_string(),
        )
    };
    let mut stream = String::new();
    for i in 0..300 {
        let at = 1_795_500_000 + i;
        stream.push_str(&format!(
            "{{\"profile\": \"c{i}\", \"type\": \"decide\", \"at\": {at}}}\n{{\"profile\": \"c{i}\", \"type\": \"offer_accepted\", \"offer\": \"x\", \"at\": {at}, \"channel\": \"web\"}}\n"
        ));
    }
    let log = temp("tie-log.jsonl", "");
    let out = shopkeeper(&[
        "replay",
        &temp("tie.jsonl", &stream),
        "--catalog",
        &offers(1, 1),
        "--log",
        &log,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The IPW estimate of "always x", by hand from the log: sum of 1 / p over the accepted x picks.
    let (mut sum, mut n) = (0.0, 0);
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        let pick = &entry["decision"]["picks"][0];
        assert_eq!(entry["decision"]["schema"].as_str().map(str::len), Some(16));
        let p = pick["probability"].as_f64().unwrap();
        assert!(p > 0.3 && p < 0.7, "a coin toss: {p}");
        if pick["offer"] == "x" {
            assert_eq!(entry["accepted"], serde_json::json!(["x"]));
            sum += 1.0 / p;
        }
        n += 1;
    }
    assert_eq!(n, 300);
    let evaluate = |catalog: &str| {
        let out = shopkeeper(&["ope", &log, "--catalog", catalog]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let always_x = evaluate(&offers(2, 1));
    let ipw = number_after(&always_x, "IPW");
    assert!(
        (ipw - sum / 300.0).abs() < 1e-5,
        "{ipw} vs {}: {always_x}",
        sum / 300.0
    );
    assert_eq!(
        number_after(&always_x, "SNIPW"),
        1.0,
        "every weighted pick was accepted"
    );
    let low: f64 = always_x
        .split('[')
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        low < 1.0 && low > 0.7,
        "the interval holds the true value 1: {always_x}"
    );
    let always_y = evaluate(&offers(1, 2));
    assert_eq!(number_after(&always_y, "IPW"), 0.0);
    // The logging policy itself.
    assert_eq!(
        number_after(&evaluate(&offers(1, 1)), "IPW"),
        number_after(&always_x, "observed accept rate")
    );
    // A log of the older form (the whole receipt as `receipt`, no schema fingerprint) reads the
    // same.
    let old: String = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| {
            let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let mut receipt = entry["decision"].take();
            receipt.as_object_mut().unwrap().remove("schema");
            receipt["format"] = "shopkeeper.receipt".into();
            receipt["dropped"] = serde_json::json!([]);
            let object = entry.as_object_mut().unwrap();
            object.remove("decision");
            object.insert("receipt".into(), receipt);
            entry.to_string() + "\n"
        })
        .collect();
    let old_log = temp("tie-log-old.jsonl", &old);
    let out = shopkeeper(&["ope", &old_log, "--catalog", &offers(2, 1)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(number_after(&text(&out.stdout), "IPW"), ipw);
}

#[test]
fn ope_reports_bad_lines_and_evaluates_the_rest() {
    let log = temp(
        "ope-bad.jsonl",
        "not json\n{\"profile\": {}, \"receipt\": {}}\n",
    );
    let out = shopkeeper(&[
        "ope",
        &log,
        "--catalog",
        &repo("examples/storefront/catalog.json"),
    ]);
    assert_eq!(out.status.code(), Some(2), "nothing left to evaluate");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ope-bad.jsonl:1: error[invalid_json]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ope-bad.jsonl:2: error[invalid_json]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no logged decisions to evaluate"),
        "{stderr}"
    );
}

#[test]
fn replay_counts_live_cohorts_that_decisions_read() {
    let catalog = temp(
        "live-catalog.json",
        r#"{"version": "live", "default": {"id": "fallback"},
            "offers": [{"id": "welcome-10", "applicability": "cohort.visitors >= 2 and cohort.conversion >= 0.5"}]}"#,
    );
    let stream = temp(
        "live.jsonl",
        r#"{"profile": "a", "anonymous": true, "at": 1795496400, "channel": "web", "type": "session_start", "affiliate": "gadgets.com"}
{"profile": "a", "anonymous": true, "at": 1795496500, "channel": "web", "type": "purchase", "order": "o1", "total": 4000, "lines": [{"product": "tent", "quantity": 1, "unit_price": 4000}]}
{"profile": "a", "anonymous": true, "at": 1795496510, "channel": "web", "type": "identify", "customer": "cust-1"}
{"profile": "b", "anonymous": true, "at": 1795497000, "channel": "web", "type": "session_start", "affiliate": "gadgets.com"}
{"profile": "b", "anonymous": true, "type": "decide", "at": 1795497010, "channel": "web"}
"#,
    );
    let saved = temp("cohorts.bin", "");
    let out = shopkeeper(&[
        "replay",
        &stream,
        "--catalog",
        &catalog,
        "--save-cohorts",
        &saved,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    // 2 visitors, 1 first purchase: the population converts at 1/2, and so does gadgets.com.
    assert!(
        table.contains("welcome-10                             1"),
        "{table}"
    );
    assert!(
        table.contains(
            "cohorts by affiliate: 2 visitors from 1 sources, 1 first purchases, 1 orders"
        ),
        "{table}"
    );
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("gadgets.com"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(row, ["gadgets.com", "2", "1", "1", "50.0%"]);
    let counts =
        shopkeeper::learn::CohortCounts::from_bytes(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(counts.source("gadgets.com").revenue, 4000);
    // Without the counts, the paths are missing: the offer does not apply.
    let out = shopkeeper(&["replay", &stream, "--catalog", &catalog]);
    assert!(
        text(&out.stdout).contains("1 fell back to the default"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn replay_counts_kpis_of_both_arms_and_prints_the_lift() {
    let catalog_text = r#"{"version": "kpi", "default": {"id": "tips"}, "offers": [],
        "control_group": {"share": 0.5, "salt": "lift"}}"#;
    let catalog = temp("kpi-catalog.json", catalog_text);
    let mut stream = String::new();
    for i in 0..12 {
        let at = 1_795_496_400 + i * 100;
        stream.push_str(&format!(
            "{{\"profile\": \"v{i}\", \"anonymous\": true, \"at\": {at}, \"channel\": \"web\", \"type\": \"session_start\"}}\n"
        ));
        if i % 3 == 0 {
            stream.push_str(&format!(
                "{{\"profile\": \"v{i}\", \"anonymous\": true, \"at\": {}, \"channel\": \"web\", \"type\": \"purchase\", \"order\": \"o{i}\", \"total\": 1000, \"lines\": [{{\"product\": \"tent\", \"quantity\": 1, \"unit_price\": 1000}}]}}\n",
                at + 10
            ));
        }
    }
    let saved = temp("kpis.bin", "");
    let out = shopkeeper(&[
        "replay",
        &temp("kpi.jsonl", &stream),
        "--catalog",
        &catalog,
        "--save-kpis",
        &saved,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The arms as the engine puts the visitors.
    let engine = shopkeeper::decide::Engine::new(
        shopkeeper::decide::Catalog::compile(catalog_text, 0).unwrap(),
        shopkeeper::score::Models::default(),
    )
    .unwrap();
    let (mut arms, mut bought) = ([0; 2], [0; 2]);
    for i in 0..12 {
        let p = shopkeeper::Profile::anonymous(&format!("v{i}")).unwrap();
        let arm = usize::from(engine.in_control_group(&p));
        arms[arm] += 1;
        bought[arm] += usize::from(i % 3 == 0);
    }
    let table = text(&out.stdout);
    let want = format!(
        "KPIs: treatment {} customers ({} bought), control group {} ({} bought)\nlift: not enough data yet",
        arms[0], bought[0], arms[1], bought[1]
    );
    assert!(table.contains(&want), "{table}\nwanted {want}");
    let kpis = shopkeeper::kpi::Kpis::from_bytes(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(kpis.treatment().customers + kpis.control().customers, 12);
    assert_eq!(kpis.treatment().revenue + kpis.control().revenue, 4 * 1000);
}

#[test]
fn replay_counts_each_offers_decisions_shows_and_responses_in_the_kpis() {
    let saved = temp("storefront-kpis.bin", "");
    let out = replay_example(&["--save-kpis", &saved]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let kpis = shopkeeper::kpi::Kpis::from_bytes(&std::fs::read(&saved).unwrap()).unwrap();
    let mut totals = std::collections::BTreeMap::<String, (u64, u64, u64)>::new();
    for (_, offer, _, c) in kpis.offers(shopkeeper::kpi::Resolution::Day) {
        let t = totals.entry(offer.to_string()).or_default();
        *t = (t.0 + c.shows, t.1 + c.accepts, t.2 + c.dismisses);
    }
    // The same shows, accepts and dismisses as the replay's table (replay_counts_shows_...).
    assert_eq!(totals["welcome-10"], (3, 1, 1));
    assert_eq!(totals["sleeping-bag-for-your-tent"], (3, 1, 1));
    assert_eq!(totals["complete-the-kit"], (3, 1, 0));
}

/// The README quotes `replay --cohorts` on the storefront's stream: the table it shows is the
/// one the command prints.
#[test]
fn the_readme_shows_what_replay_cohorts_prints() {
    let out = replay_example(&["--cohorts"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let table: Vec<&str> = printed
        .lines()
        .skip_while(|l| !l.starts_with("cohorts by "))
        .collect();
    assert_eq!(table.len(), 3, "{printed}");
    for line in table {
        assert!(readme.contains(line), "README.md lacks {line:?}");
    }
}
