//! `shopkeeper check` and `shopkeeper eval` end to end.

mod common;

use common::{repo, shopkeeper, temp};

#[test]
fn the_example_rules_check_clean() {
    let out = shopkeeper(&["check", &repo("examples/storefront.rules")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("storefront.rules: 6 rules, no errors\n")
    );
}

#[test]
fn typos_get_diagnostics_with_the_file_line_column_and_a_hint() {
    let text = std::fs::read_to_string(repo("examples/storefront.rules")).unwrap();
    let broken = text
        .replace("cart.value >= 100", "cart.valeu >= 100")
        .replace("count_viewed(\"jackets\")", "count_viewed(jackets)")
        .replace("> 5m", "> 5 minutes");
    let file = temp("broken.rules", &broken);
    let out = shopkeeper(&["check", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "error[unknown_path]: unknown path `cart.valeu`\n  --> {file}:10:40\n   |\n10 | rule free_shipping: customer.known and cart.valeu >= 100\n   |                                        ^^^^^^^^^^ did you mean `cart.value`?\n"
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains("^^^^^^^ text is written in double quotes: \"jackets\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("durations are written without a space"),
        "{stderr}"
    );
    assert!(stderr.ends_with("3 of 6 rules have errors\n"), "{stderr}");
}

#[test]
fn bad_declarations_and_duplicates_are_reported() {
    let file = temp(
        "decl.rules",
        "attribute tier: text\nrule a: true\nrule a: false\nnonsense\n  orphan\n",
    );
    let out = shopkeeper(&["check", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains(":1: unknown type `text`"), "{stderr}");
    assert!(stderr.contains(":3: rule `a` is defined twice"), "{stderr}");
    assert!(
        stderr.contains(":4: expected `rule NAME: expression`"),
        "{stderr}"
    );
}

#[test]
fn eval_reads_an_exported_profile_and_a_context() {
    let now = "1796000000"; // 2026-11-30, after every example event
    let out = shopkeeper(&[
        "profile",
        &repo("examples/events.jsonl"),
        "--jsonl",
        "--now",
        now,
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let maria = stdout
        .lines()
        .find(|l| l.contains("\"id\":\"cust-1001\""))
        .unwrap();
    let profile = temp("maria.json", maria);
    let context = temp("context.json", r#"{"page_type": "cart", "ab_group": 2}"#);
    let eval = |expression: &str| {
        let out = shopkeeper(&[
            "eval",
            expression,
            "--profile",
            &profile,
            "--context",
            &context,
            "--now",
            now,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(eval("customer.orders"), "2");
    assert_eq!(eval("customer.spend"), "383");
    assert_eq!(eval("customer.avg_order_value"), "191.5");
    assert_eq!(eval("customer.attr.loyalty_tier"), "\"silver\"");
    assert_eq!(
        eval("customer.purchased_categories"),
        "[\"hats\",\"jackets\",\"shoes\",\"socks\"]"
    );
    assert_eq!(
        eval("context.page_type == \"cart\" and context.ab_group > 1"),
        "true"
    );
    assert_eq!(eval("session.referrer"), "\"outdoor-gear-blog.example\"");
    assert_eq!(eval("customer.last_complaint"), "null");
    // Score paths read the models, as in every binding (`Rule::evaluate`); without them they are
    // missing.
    assert_eq!(eval("has(customer.p_alive)"), "false");
    let models = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/storefront/models.json"
    );
    let out = shopkeeper(&[
        "eval",
        "customer.p_alive > 0 and customer.p_alive <= 1",
        "--profile",
        &profile,
        "--models",
        models,
        "--now",
        now,
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    let out = shopkeeper(&["eval", "cart.valeu", "--profile", &profile]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `cart.value`?"));
}

#[test]
fn comments_and_blank_lines_inside_a_rule_keep_the_line_numbers() {
    let file = temp(
        "lines.rules",
        "rule r: customer.known\n  # VIP only\n\n  and cart.valeu >= 100\nrule s: true\n",
    );
    let out = shopkeeper(&["check", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("--> {file}:4:7\n")), "{stderr}");
    assert!(stderr.contains("4 |   and cart.valeu >= 100"), "{stderr}");
}
