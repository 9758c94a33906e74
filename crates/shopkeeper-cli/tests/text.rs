//! `shopkeeper lexicon import`, `fit-text`, `sentiment` and `profile --catalog --models` end to
//! end, on small files written here (the real data is the core's `tests/sentiment.rs`).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{shopkeeper, temp, text};

const LEXICON: &str = "good\t1.9\t0.9\t[2, 2]\nbroken\t-1.6\t0.5\t[-2, -1]\n:)\t2.0\nlove\t3.2\n\
                       Café\t1.0\ncafe\t2.0\n";

/// Rated sentences where "flimsy" is negative though no lexicon says so.
fn ratings() -> String {
    let mut lines = Vec::new();
    for i in 0..40 {
        let (rating, text) = match i % 4 {
            0 => ("3", "i love this tent, it is good"),
            1 => ("-3", "the poles are flimsy"),
            2 => ("-2", "flimsy zipper and it arrived broken"),
            _ => ("1", "good enough tent"),
        };
        lines.push(format!("{}_{}\t{rating}\t{text}", i / 2, i % 2));
    }
    lines.join("\n") + "\n"
}

fn sentiment(models: &str, input: &str) -> (Vec<String>, bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(["sentiment", "--models", models])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may refuse before it reads (a broken pipe then).
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    let lines = text(&out.stdout).lines().map(String::from).collect();
    (lines, out.status.success(), text(&out.stderr))
}

#[test]
fn a_lexicon_is_imported_fitted_on_and_scores_lines() {
    let lexicon = temp("lexicon.txt", LEXICON);
    let models = temp("lexicon-models.json", "");
    let out = shopkeeper(&["lexicon", "import", &lexicon, "--out", &models]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("5 words read, 1 entries left out"),
        "{}",
        text(&out.stdout)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&models).unwrap()).unwrap();
    assert_eq!(
        json["sentiment"]["lexicon"]["cafe"], 1.5,
        "the mean of Café and cafe"
    );

    // One score per line, nothing else; a line without words is empty.
    let (lines, ok, _) = sentiment(
        &models,
        "I love it\nit arrived broken\n\nthe poles are flimsy\n",
    );
    assert!(ok);
    assert_eq!(lines.len(), 4);
    assert!(lines[0].parse::<f64>().unwrap() > 0.5);
    assert!(lines[1].parse::<f64>().unwrap() < -0.3);
    assert_eq!(lines[2], "");
    assert_eq!(lines[3].parse::<f64>().unwrap(), 0.0, "no lexicon word");

    // The learned layer learns that "flimsy" is bad.
    let ratings = temp("ratings.tsv", &ratings());
    let fitted = temp("fitted.json", "");
    let out = shopkeeper(&["fit-text", &ratings, "--models", &models, "--out", &fitted]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("40 sentences"),
        "{}",
        text(&out.stdout)
    );
    let (lines, ok, _) = sentiment(&fitted, "the poles are flimsy\n");
    assert!(ok);
    assert!(lines[0].parse::<f64>().unwrap() < -0.3, "{lines:?}");

    let out = shopkeeper(&[
        "fit-text",
        &ratings,
        "--models",
        &models,
        "--cross-validate",
        "4",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Pearson with the ratings: lexicon"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_lexicons_ratings_and_lines_are_reported() {
    let models = temp("bad-models.json", "");
    let bad = temp("bad-lexicon.txt", "good\t1.9\nbad\tterrible\n");
    let out = shopkeeper(&["lexicon", "import", &bad, "--out", &models]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("lexicon line 2: the valence is not a number"),
        "{}",
        text(&out.stderr)
    );

    let lexicon = temp("ok-lexicon.txt", LEXICON);
    assert!(
        shopkeeper(&["lexicon", "import", &lexicon, "--out", &models])
            .status
            .success()
    );
    let ratings = temp("bad-ratings.tsv", "1_1\t3\tgood\n1_2\t9\ttoo good\n");
    let out = shopkeeper(&["fit-text", &ratings, "--models", &models, "--out", &models]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2: the rating 9 is outside -4:4"),
        "{}",
        text(&out.stderr)
    );

    // A line over 8 KiB: an empty line out, the error on standard error, exit code 1.
    let long = "good ".repeat(2000);
    let (lines, ok, stderr) = sentiment(&models, &format!("good\n{long}\nbroken\n"));
    assert!(!ok);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1], "");
    assert!(stderr.contains("-:2: error[too_long]"), "{stderr}");

    let empty = temp("no-sentiment.json", r#"{"version": 2}"#);
    let (_, ok, stderr) = sentiment(&empty, "good\n");
    assert!(!ok);
    assert!(stderr.contains("no sentiment model"), "{stderr}");
}

#[test]
fn profile_hears_messages_with_a_catalog_and_models() {
    let lexicon = temp("profile-lexicon.txt", LEXICON);
    let models = temp("profile-models.json", "");
    assert!(
        shopkeeper(&["lexicon", "import", &lexicon, "--out", &models])
            .status
            .success()
    );
    let catalog = temp(
        "profile-catalog.json",
        r#"{"version": "1", "intents": {"cancel": ["cancel my order"]}, "default": {"id": "none"}, "offers": []}"#,
    );
    let events = temp(
        "profile-events.jsonl",
        r#"{"profile": "c1", "type": "message", "at": 1732406000, "channel": "chat", "direction": "inbound", "text": "It arrived broken: cancel my order"}
"#,
    );
    let out = shopkeeper(&[
        "profile",
        &events,
        "--now",
        "1732406400",
        "--jsonl",
        "--catalog",
        &catalog,
        "--models",
        &models,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let profile: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let conversation = &profile["conversation"];
    assert_eq!(conversation["intents"][0]["intent"], "cancel");
    assert!(
        conversation["sentiments"][0]["thousandths"]
            .as_i64()
            .unwrap()
            < -300,
        "{conversation}"
    );
    assert!(
        !text(&out.stdout).contains("arrived"),
        "the text is never kept"
    );
}
