//! `shopkeeper profile` end to end, on the shipped example and on bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn shopkeeper(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn example() -> String {
    format!("{}/../../examples/events.jsonl", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn folds_the_example_stream_into_profiles() {
    let out = shopkeeper(&["profile", &example()], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("5 profiles; 42 events recorded, 2 ignored, 0 rejected"),
        "{stderr}"
    );
    let profiles: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<_> = profiles
        .iter()
        .map(|p| p["identity"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "anon-b21e04",
            "cust-1001",
            "cust-2002",
            "cust-3003",
            "cust-4004"
        ]
    );
    // The anonymous web visitor logged in: one profile, the visit and the store history together.
    let maria = &profiles[1];
    assert_eq!(maria["identity"]["anonymous_ids"][0]["id"], "anon-7f3a9c");
    assert_eq!(maria["purchases"]["count"], 2);
    assert_eq!(maria["purchases"]["total"], 16_500 + 21_800);
    assert_eq!(maria["activity"]["channels"]["store"]["purchases"], 1);
    assert_eq!(maria["session"]["referrer"], "outdoor-gear-blog.example");
    assert_eq!(
        maria["cart"]["lines"],
        serde_json::json!({}),
        "bought items left the cart"
    );
    // The late POS sale counts once although it was delivered twice.
    assert_eq!(profiles[3]["purchases"]["count"], 3);
    // The objecting customer's later view was not recorded.
    assert_eq!(profiles[4]["views"]["total"], 0);
}

#[test]
fn bad_lines_are_reported_with_their_number_and_do_not_stop_the_rest() {
    let input = [
        r#"{"profile": "c1", "at": 100, "channel": "web", "type": "cart_add", "product": "a", "unit_price": 500}"#,
        r#"{"profile": "c1", "at": 101, "channel": "web", "type": "cart_add", "product": "b", "unit_price": -5}"#,
        r#"{"profile": "c1", "at": 102, "channel": "web", "type": "cart_add", "product": "c" "unit_price": 5}"#,
        r#"{"at": 103, "channel": "web", "type": "cart_clear"}"#,
        "",
        r#"{"profile": "c1", "at": 104, "channel": "web", "type": "cart_add", "product": "d", "unit_price": 700}"#,
    ]
    .join("\n");
    let out = shopkeeper(&["profile", "-", "--now", "1000", "--jsonl"], &input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("-:2: error[negative_amount]: unit_price must not be negative (got -5)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("-:3:83: error[invalid_json]: expected `,` or `}`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("-:4: error[invalid_json]: missing field `profile`"),
        "{stderr}"
    );
    let profile: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines: Vec<_> = profile["cart"]["lines"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(lines, ["a", "d"]);
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = shopkeeper(&["profile", "no/such/events.jsonl"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open no/such/events.jsonl"));
}
