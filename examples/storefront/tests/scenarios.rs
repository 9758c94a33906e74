//! Every scenario's decisions, as `cargo run -p storefront` prints them.

fn picks(scenario: &storefront::Scenario) -> Vec<Vec<&str>> {
    scenario
        .steps
        .iter()
        .map(|s| s.picks.iter().map(String::as_str).collect())
        .collect()
}

#[test]
fn every_scenario_decides_as_the_marketer_intended() {
    let scenarios = storefront::play().unwrap();
    let expected: [(&str, Vec<Vec<&str>>); 8] = [
        (
            "An anonymous visitor from an affiliate site",
            vec![
                vec!["welcome-10"],
                vec!["register-free-shipping", "welcome-10", "complete-the-kit"],
                vec!["trail-tips"],
            ],
        ),
        (
            "Free shipping in exchange for registering",
            vec![vec!["register-free-shipping"], vec!["trail-tips"]],
        ),
        (
            "A known high-value customer",
            vec![
                vec!["free-shipping-100", "welcome-back"],
                vec!["free-shipping-100", "live-chat", "welcome-back"],
            ],
        ),
        (
            "A store customer recognised on the web",
            vec![vec!["sleeping-bag-for-your-tent"]],
        ),
        (
            "A customer with an open complaint",
            vec![vec!["service-recovery", "live-chat"]],
        ),
        (
            "A visitor who dismissed an offer twice",
            vec![
                vec!["welcome-10"],
                vec!["welcome-10"],
                vec!["trail-tips"],
                vec!["winter-sale", "welcome-10"],
            ],
        ),
        (
            "A customer who writes in the chat",
            vec![
                vec!["free-shipping-100", "live-chat", "welcome-back"],
                vec!["retention-desk", "service-recovery"],
            ],
        ),
        (
            "A regular who broke their own pattern",
            vec![vec!["we-miss-you"], vec!["stove-care-guide"]],
        ),
    ];
    assert_eq!(scenarios.len(), expected.len());
    for (scenario, (title, want)) in scenarios.iter().zip(expected) {
        assert_eq!(scenario.title, title);
        assert_eq!(picks(scenario), want, "{title}");
    }
}

#[test]
fn the_receipts_say_why() {
    let scenarios = storefront::play().unwrap();
    let report = |s: usize, step: usize| scenarios[s].steps[step].report.clone();
    // The greeting is filled from the profile's first name.
    assert!(
        report(2, 0).contains("Welcome back, Ada!"),
        "{}",
        report(2, 0)
    );
    // Registering keeps the anonymous cart and links the anonymous id.
    assert!(
        report(1, 1).contains("known as cust-2001"),
        "{}",
        report(1, 1)
    );
    assert!(report(1, 1).contains("cart 89.00"), "{}", report(1, 1));
    // Sales offers are unsuitable while a complaint is open.
    assert!(
        report(4, 0).contains("free-shipping-100           suitability"),
        "{}",
        report(4, 0)
    );
    // The cool-down is named, with its end.
    assert!(
        report(5, 2).contains("dismissed 2 times: cooling down until 2026-11-30T06:00:05Z"),
        "{}",
        report(5, 2)
    );
    // An exclusion group, a slot limit, a validity window.
    assert!(report(0, 0).contains("valid from 2026-12-01T00:00:00Z"));
    assert!(report(2, 1).contains("ranked 4 with score 1.5; 3 slots"));
    // What the customer wrote is heard, and the receipt names the intent and the sentiment that
    // kept the sales offers away.
    let chat = report(6, 1);
    assert!(
        chat.contains("heard: sentiment -0.69, intents broken, cancel"),
        "{chat}"
    );
    assert!(
        chat.contains(
            r#"free-shipping-100           suitability     not has_intent("cancel", 7d)"#
        ),
        "{chat}"
    );
    assert!(
        chat.contains("welcome-back                suitability     not customer.sentiment < -0.3"),
        "{chat}"
    );
    // The affiliate's visitors are worth the discount because the customers who came from there
    // are (their cohort's CLV, pulled toward the shop's); a coupon site's are not.
    assert!(
        report(0, 0)
            .contains(r#"cohort "trailblog": 86 customers came from there; cohort.clv 216.63"#),
        "{}",
        report(0, 0)
    );
    let coupons = report(0, 2);
    assert!(
        coupons
            .contains(r#"cohort "coupon-hunt": 140 customers came from there; cohort.clv 52.54"#),
        "{coupons}"
    );
    assert!(
        coupons.contains("welcome-10                  applicability   cohort.clv >= 100"),
        "{coupons}"
    );
    // The lapsed regular: their own rhythm says they are overdue, and the offer that answers it
    // is the one nobody else qualifies for.
    let lapsed = report(7, 0);
    assert!(
        lapsed.contains("customer.overdue 4.33, customer.out_of_pattern [\"overdue\"]"),
        "{lapsed}"
    );
    assert!(
        report(2, 0).contains(
            r#"we-miss-you                 eligibility     "overdue" in customer.out_of_pattern"#
        ),
        "{}",
        report(2, 0)
    );
    // Support content for the product the customer owns, on the help page only.
    assert!(
        lapsed.contains(
            r#"stove-care-guide            applicability   context.page_type == "support""#
        ),
        "{lapsed}"
    );
}
