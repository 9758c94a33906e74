//! `Profile::apply`: validation leaves the profile untouched; valid events fold as documented.

mod common;
use common::*;
use shopkeeper::limits::*;
use shopkeeper::{
    AttrValue, Channel, ConsentPurpose, ErrorCode, Event, EventKind, IgnoreReason, Outcome, Profile,
};

/// Applies `event` to a typical profile, expects `code`, and checks nothing changed.
fn rejected(event: Event, code: ErrorCode) {
    let mut p = typical();
    let before = p.clone();
    let bytes_before = p.to_bytes().unwrap();
    let err = p
        .apply(&event, NOW)
        .expect_err("the event must be rejected");
    assert_eq!(err.code(), code, "{err}");
    assert!(!err.message().is_empty());
    assert_eq!(p, before, "a rejected event changed the profile");
    assert_eq!(p.to_bytes().unwrap(), bytes_before);
}

#[test]
fn bad_events_are_rejected_and_change_nothing() {
    use ErrorCode::*;
    rejected(ev(NOW, add("sku-2", 1, -500)), NegativeAmount);
    rejected(ev(NOW, add("sku-2", 1, MAX_AMOUNT + 1)), AmountTooLarge);
    rejected(ev(NOW, add("", 1, 500)), EmptyId);
    rejected(ev(NOW, add(&"x".repeat(MAX_ID_LEN + 1), 1, 500)), TooLong);
    rejected(ev(NOW, add("sku-2", 0, 500)), InvalidQuantity);
    rejected(
        ev(NOW, add("sku-2", MAX_QUANTITY + 1, 500)),
        InvalidQuantity,
    );
    rejected(ev(NOW, add("sku-1", MAX_QUANTITY, 500)), LimitExceeded); // sku-1 already holds 1
    rejected(
        ev(NOW, purchase("o-2", 100, &[("sku-1", "shoes", 1, -1)])),
        NegativeAmount,
    );
    rejected(ev(NOW, purchase("o-2", -100, &[])), NegativeAmount);
    rejected(ev(NOW, purchase("", 100, &[])), EmptyId);
    rejected(
        ev(NOW, purchase("o-2", 100, &[("", "shoes", 1, 100)])),
        EmptyId,
    );
    // Past the cap of lines, a purchase cannot be built, nor read from JSON (reading stops at the
    // line past the cap).
    let line = r#"{"product": "sku-1", "quantity": 1, "unit_price": 1}"#;
    let many = vec![line; MAX_PURCHASE_LINES + 1].join(",");
    let json = format!(
        r#"{{"at": {NOW}, "channel": "web", "type": "purchase", "order": "o-2", "total": 100, "lines": [{many}]}}"#
    );
    assert_eq!(Event::from_json(&json).unwrap_err().code(), LimitExceeded);
    let all = vec![line; MAX_PURCHASE_LINES].join(",");
    assert!(Event::from_json(&json.replace(&many, &all)).is_ok());
    let too_many: Result<shopkeeper::BoundedVec<shopkeeper::PurchaseLine, MAX_PURCHASE_LINES>, _> =
        vec![]
            .into_iter()
            .chain((0..=MAX_PURCHASE_LINES).map(|_| shopkeeper::PurchaseLine {
                product: "sku-1".into(),
                category: None,
                quantity: 1,
                unit_price: 1,
            }))
            .collect::<Vec<_>>()
            .try_into();
    assert_eq!(too_many.unwrap_err().code(), LimitExceeded);
    // An event's JSON is bounded before it is read.
    let padded = json.clone() + &" ".repeat(shopkeeper::limits::MAX_EVENT_JSON_LEN);
    assert_eq!(Event::from_json(&padded).unwrap_err().code(), TooLong);
    rejected(ev(NOW + MAX_CLOCK_SKEW + 1, shown("o")), FutureTimestamp);
    rejected(ev(NOW * 1000, shown("o")), TimestampOutOfRange); // milliseconds by mistake
    rejected(ev(-1, shown("o")), TimestampOutOfRange);
    rejected(ev(NOW, shown("")), EmptyId);
    rejected(
        ev(
            NOW,
            EventKind::Identify {
                customer: "cust-43".into(),
            },
        ),
        IdentityConflict,
    );
    rejected(
        ev(
            NOW,
            EventKind::Identify {
                customer: "".into(),
            },
        ),
        EmptyId,
    );
    rejected(
        ev(
            NOW,
            EventKind::AttributeSet {
                name: "tier".into(),
                value: Some(AttrValue::Number(3.0)),
            },
        ),
        AttributeType,
    );
    rejected(
        ev(
            NOW,
            EventKind::AttributeSet {
                name: "x".into(),
                value: Some(AttrValue::Number(f64::NAN)),
            },
        ),
        InvalidNumber,
    );
    rejected(
        ev(
            NOW,
            EventKind::AttributeSet {
                name: "".into(),
                value: None,
            },
        ),
        EmptyId,
    );
    rejected(
        ev(
            NOW,
            EventKind::AttributeSet {
                name: "bio".into(),
                value: Some(AttrValue::Text("x".repeat(MAX_TEXT_LEN + 1))),
            },
        ),
        TooLong,
    );
    rejected(
        ev(
            NOW,
            EventKind::SessionStart {
                referrer: Some("r".repeat(MAX_TEXT_LEN + 1)),
                affiliate: None,
            },
        ),
        TooLong,
    );
    rejected(
        ev(
            NOW,
            EventKind::CartRemove {
                product: "sku-1".into(),
                quantity: Some(0),
            },
        ),
        InvalidQuantity,
    );
}

#[test]
fn a_full_cart_rejects_a_new_product_but_takes_more_of_one_it_holds() {
    let mut p = Profile::anonymous("v").unwrap();
    for i in 0..MAX_CART_LINES {
        p.apply(&ev(NOW, add(&format!("sku-{i}"), 1, 100)), NOW)
            .unwrap();
    }
    let before = p.clone();
    let err = p
        .apply(&ev(NOW, add("one-too-many", 1, 100)), NOW)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
    assert_eq!(p, before);
    assert_eq!(
        p.apply(&ev(NOW, add("sku-0", 1, 100)), NOW),
        Ok(Outcome::Recorded)
    );
    assert_eq!(p.cart().quantity(), MAX_CART_LINES as u64 + 1);
}

#[test]
fn attributes_beyond_the_cap_are_rejected() {
    let mut p = Profile::anonymous("v").unwrap();
    let set = |name: String| {
        ev(
            NOW,
            EventKind::AttributeSet {
                name,
                value: Some(AttrValue::Bool(true)),
            },
        )
    };
    for i in 0..MAX_ATTRIBUTES {
        p.apply(&set(format!("a{i}")), NOW).unwrap();
    }
    assert_eq!(
        p.apply(&set("one-more".into()), NOW).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
    let later = ev(
        NOW + 1,
        EventKind::AttributeSet {
            name: "a0".into(),
            value: Some(AttrValue::Bool(false)),
        },
    );
    assert_eq!(
        p.apply(&later, NOW),
        Ok(Outcome::Recorded),
        "an attribute it holds can change"
    );
}

#[test]
fn cart_value_follows_adds_removes_and_checkout() {
    let mut p = Profile::anonymous("v").unwrap();
    p.apply(&ev(NOW - 50, add("a", 2, 1_000)), NOW).unwrap();
    p.apply(&ev(NOW - 40, add("b", 1, 500)), NOW).unwrap();
    p.apply(&ev(NOW - 30, add("a", 1, 900)), NOW).unwrap(); // latest price wins
    assert_eq!(p.cart().value(), 3 * 900 + 500);
    p.apply(
        &ev(
            NOW - 20,
            EventKind::CartRemove {
                product: "a".into(),
                quantity: Some(2),
            },
        ),
        NOW,
    )
    .unwrap();
    assert_eq!(p.cart().value(), 900 + 500);
    p.apply(
        &ev(NOW - 10, purchase("o1", 1_400, &[("a", "shoes", 1, 900)])),
        NOW,
    )
    .unwrap();
    assert_eq!(p.cart().value(), 500, "bought products leave the cart");
    assert_eq!(
        p.apply(
            &ev(
                NOW,
                EventKind::CartRemove {
                    product: "a".into(),
                    quantity: None
                }
            ),
            NOW
        ),
        Ok(Outcome::Ignored(IgnoreReason::NotInCart))
    );
}

#[test]
fn late_events_follow_the_documented_rules() {
    let mut p = Profile::known("c").unwrap();
    // A cart event older than the latest clear is ignored.
    p.apply(&ev(NOW - 100, add("a", 1, 100)), NOW).unwrap();
    p.apply(&ev(NOW - 50, EventKind::CartClear {}), NOW)
        .unwrap();
    assert_eq!(
        p.apply(&ev(NOW - 60, add("b", 1, 100)), NOW),
        Ok(Outcome::Ignored(IgnoreReason::BeforeCartClear))
    );
    assert_eq!(p.cart().value(), 0);
    // A late purchase counts and becomes the first purchase.
    p.apply(&ev(NOW - 10, purchase("o2", 3_000, &[])), NOW)
        .unwrap();
    p.apply(&ev(NOW - 1_000, purchase("o1", 1_000, &[])), NOW)
        .unwrap();
    assert_eq!(p.purchases().count, 2);
    assert_eq!(p.purchases().first.as_ref().unwrap().order, "o1");
    assert_eq!(p.purchases().last_at, Some(NOW - 10));
    assert_eq!(p.purchases().repeat_average(), Some(3_000.0));
    assert_eq!(p.activity().first_seen, Some(NOW - 1_000));
    // A late view is placed by its time.
    p.apply(
        &ev(
            NOW - 5,
            EventKind::ProductView {
                product: "new".into(),
                category: None,
            },
        ),
        NOW,
    )
    .unwrap();
    p.apply(
        &ev(
            NOW - 500,
            EventKind::ProductView {
                product: "old".into(),
                category: None,
            },
        ),
        NOW,
    )
    .unwrap();
    let recent: Vec<_> = p
        .views()
        .recent
        .iter()
        .map(|v| v.product.as_str())
        .collect();
    assert_eq!(recent, ["old", "new"]);
    // A late session start is counted but does not replace the current session.
    p.apply(
        &ev(
            NOW - 20,
            EventKind::SessionStart {
                referrer: Some("now.com".into()),
                affiliate: None,
            },
        ),
        NOW,
    )
    .unwrap();
    p.apply(
        &ev(
            NOW - 900,
            EventKind::SessionStart {
                referrer: Some("old.com".into()),
                affiliate: None,
            },
        ),
        NOW,
    )
    .unwrap();
    assert_eq!(p.session().unwrap().referrer.as_deref(), Some("now.com"));
    assert_eq!(p.activity().channel(Channel::Web).sessions, 2);
    // Registers keep the latest write.
    let tier = |at, v: &str| {
        ev(
            at,
            EventKind::AttributeSet {
                name: "tier".into(),
                value: Some(AttrValue::Text(v.into())),
            },
        )
    };
    p.apply(&tier(NOW - 5, "gold"), NOW).unwrap();
    assert_eq!(
        p.apply(&tier(NOW - 6, "silver"), NOW),
        Ok(Outcome::Ignored(IgnoreReason::Superseded))
    );
    assert_eq!(p.attribute("tier"), Some(&AttrValue::Text("gold".into())));
    // A retried purchase is ignored.
    assert_eq!(
        p.apply(&ev(NOW, purchase("o2", 3_000, &[])), NOW),
        Ok(Outcome::Ignored(IgnoreReason::DuplicateOrder))
    );
    assert_eq!(p.purchases().count, 2);
}

#[test]
fn session_counts_page_views_on_its_channel_and_time_on_site() {
    let mut p = Profile::anonymous("v").unwrap();
    p.apply(
        &ev(
            NOW - 300,
            EventKind::SessionStart {
                referrer: None,
                affiliate: Some("partner-7".into()),
            },
        ),
        NOW,
    )
    .unwrap();
    p.apply(
        &ev(
            NOW - 250,
            EventKind::PageView {
                page: Some("home".into()),
            },
        ),
        NOW,
    )
    .unwrap();
    p.apply(
        &ev(
            NOW - 100,
            EventKind::ProductView {
                product: "p".into(),
                category: None,
            },
        ),
        NOW,
    )
    .unwrap();
    p.apply(
        &on(Channel::Email, NOW - 50, EventKind::PageView { page: None }),
        NOW,
    )
    .unwrap();
    let s = p.session().unwrap();
    assert_eq!((s.page_views, s.time_on_site()), (2, 200));
    assert_eq!(s.affiliate.as_deref(), Some("partner-7"));
}

#[test]
fn contact_policy_windows_count_recent_shows() {
    let mut p = Profile::anonymous("v").unwrap();
    let day = 86_400;
    for at in [NOW - 10 * day, NOW - 6 * day, NOW - day, NOW - day] {
        p.apply(&ev(at, shown("o")), NOW).unwrap();
    }
    p.apply(
        &ev(
            NOW - 3 * day,
            EventKind::OfferDismissed { offer: "o".into() },
        ),
        NOW,
    )
    .unwrap();
    let o = p.offer("o").unwrap();
    assert_eq!(o.shown, 4);
    assert_eq!(o.shown_within(7 * day, NOW), 3);
    assert_eq!(o.shown_within(day, NOW), 2);
    assert_eq!(o.last_dismissed, Some(NOW - 3 * day));
}

#[test]
fn identify_turns_a_visitor_into_a_known_customer() {
    let mut p = Profile::anonymous("cookie-1").unwrap();
    p.apply(&ev(NOW - 100, add("a", 1, 100)), NOW).unwrap();
    p.apply(
        &ev(
            NOW - 50,
            EventKind::Identify {
                customer: "cust-9".into(),
            },
        ),
        NOW,
    )
    .unwrap();
    assert_eq!((p.id(), p.is_known()), ("cust-9", true));
    let linked: Vec<_> = p
        .identity()
        .anonymous_ids
        .iter()
        .map(|l| (l.id.as_str(), l.first_seen))
        .collect();
    assert_eq!(linked, [("cookie-1", Some(NOW - 100))]);
    assert_eq!(
        p.cart().value(),
        100,
        "the anonymous session's history is kept"
    );
    assert_eq!(
        p.apply(
            &ev(
                NOW,
                EventKind::Identify {
                    customer: "cust-9".into()
                }
            ),
            NOW
        ),
        Ok(Outcome::Ignored(IgnoreReason::AlreadyIdentified))
    );
}

#[test]
fn an_objection_stops_recording_until_consent_is_granted_again() {
    let mut p = typical();
    let consent = |at, granted| {
        ev(
            at,
            EventKind::ConsentChange {
                purpose: ConsentPurpose::Personalization,
                granted,
            },
        )
    };
    p.apply(&consent(NOW - 10, false), NOW).unwrap();
    assert!(p.objects_to_personalization());
    let before = p.clone();
    for e in [
        ev(NOW - 5, add("x", 1, 1)),
        ev(NOW - 5, purchase("o9", 5, &[])),
        ev(NOW - 5, shown("o")),
    ] {
        assert_eq!(
            p.apply(&e, NOW),
            Ok(Outcome::Ignored(IgnoreReason::Objected))
        );
    }
    assert_eq!(p, before, "nothing is recorded while the customer objects");
    assert_eq!(
        p.apply(&consent(NOW - 20, true), NOW),
        Ok(Outcome::Ignored(IgnoreReason::Superseded))
    );
    p.apply(&consent(NOW - 2, true), NOW).unwrap();
    assert!(!p.objects_to_personalization());
    assert_eq!(
        p.apply(&ev(NOW - 1, add("x", 1, 1)), NOW),
        Ok(Outcome::Recorded)
    );
}

#[test]
fn erase_leaves_nothing_personal() {
    let mut p = typical();
    p.apply(
        &ev(
            NOW - 1,
            EventKind::Identify {
                customer: "cust-42".into(),
            },
        ),
        NOW,
    )
    .unwrap();
    p.apply(
        &ev(
            NOW - 1,
            EventKind::ConsentChange {
                purpose: ConsentPurpose::Marketing,
                granted: false,
            },
        ),
        NOW,
    )
    .unwrap();
    p.erase();
    let json = p.export().unwrap();
    for personal in [
        "sku-1",
        "sku-9",
        "shoes",
        "bags",
        "gadgets.com",
        "gold",
        "free-shipping",
        "pos-1",
        "12000",
    ] {
        assert!(
            !json.contains(personal),
            "{personal} survived erasure: {json}"
        );
    }
    assert_eq!(p.id(), "cust-42");
    assert_eq!(p.purchases().count, 0);
    assert!(
        p.consent().marketing.is_some(),
        "consent decisions are kept to keep honouring them"
    );
}

#[test]
fn export_is_stable_json_that_reads_back() {
    let p = typical();
    let json = p.export().unwrap();
    assert!(json.starts_with(
        r#"{"format":"shopkeeper.profile","schema_version":3,"identity":{"id":"cust-42""#
    ));
    assert_eq!(Profile::from_export(&json).unwrap(), p);
    assert_eq!(
        Profile::from_export(&json).unwrap().export().unwrap(),
        json,
        "export is stable"
    );
    let tampered = json.replace(r#""id":"cust-42""#, r#""id":"""#);
    assert_eq!(
        Profile::from_export(&tampered).unwrap_err().code(),
        ErrorCode::DecodeInvalid
    );
    let wrong = json.replace("shopkeeper.profile", "something.else");
    assert_eq!(
        Profile::from_export(&wrong).unwrap_err().code(),
        ErrorCode::DecodeBadMagic
    );
    // The envelope is read first, then the profile's fields, whose errors say where they are.
    let malformed = json.replace(r#""id":"cust-42""#, r#""id":42"#);
    let err = Profile::from_export(&malformed).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson);
    let column = malformed.find(r#""id":42"#).unwrap() as u32 + 7;
    assert_eq!(err.location(), Some((1, column)), "{err}");
    let both = malformed.replace("shopkeeper.profile", "something.else");
    assert_eq!(
        Profile::from_export(&both).unwrap_err().code(),
        ErrorCode::DecodeBadMagic
    );
}

#[test]
fn event_json_rejects_typos_and_reports_where() {
    let err =
        Event::from_json(r#"{"at": 1, "channel": "web", "type": "session_start", "referer": "x"}"#)
            .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson);
    assert!(err.message().contains("referer"), "{err}");
    assert_eq!(err.location().map(|(line, _)| line), Some(1));
    let err = Event::from_json(r#"{"at": 1, "channel": "web", "type": "cart_clear", "x": 1}"#)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson);
    let e = Event::from_json(
        r#"{"at": 1, "channel": "pos", "type": "purchase", "order": "o", "lines": [], "total": 0}"#,
    )
    .unwrap();
    assert_eq!(e.channel, Channel::Store);
    assert_eq!(Event::from_json(&e.to_json().unwrap()).unwrap(), e);
}

#[test]
fn errors_name_the_purchase_line_and_the_attribute() {
    let mut p = typical();
    let bad_line = purchase("o-3", 100, &[("a", "shoes", 1, 100), ("b", "shoes", 1, -7)]);
    let err = p.apply(&ev(NOW, bad_line), NOW).unwrap_err();
    assert_eq!(
        err.message(),
        "lines[1]: unit_price must not be negative (got -7)"
    );
    let long = AttrValue::Text("x".repeat(MAX_TEXT_LEN + 1));
    let err = p
        .apply(
            &ev(
                NOW,
                EventKind::AttributeSet {
                    name: "bio".into(),
                    value: Some(long),
                },
            ),
            NOW,
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "attribute \"bio\": value is 257 bytes long, at most 256 allowed"
    );
}

/// A profile read from schema 2 kept no habits before: what only habits can tell (a first visit
/// on a channel, an unusual hour, the first session's source) is unknown, not guessed from the
/// visits after the upgrade.
#[test]
fn a_profile_upgraded_from_schema_2_does_not_guess_its_habits() {
    let mut json: serde_json::Value = serde_json::from_str(&typical().export().unwrap()).unwrap();
    let object = json.as_object_mut().unwrap();
    object.remove("owned");
    object.remove("habits");
    object["schema_version"] = serde_json::json!(2);
    let mut upgraded = Profile::from_export(&json.to_string()).unwrap();
    assert!(upgraded.habits().first_session.is_none());
    let visit = Event::new(
        NOW - 60,
        Channel::Mobile,
        EventKind::SessionStart {
            referrer: None,
            affiliate: Some("late".into()),
        },
    );
    upgraded.apply(&visit, NOW).unwrap();
    assert!(
        upgraded.habits().first_session.is_some(),
        "kept from now on"
    );
    assert_eq!(
        upgraded.first_session(),
        None,
        "but not the customer's first"
    );
    assert_eq!(upgraded.first_on_channel(), None);
    assert_eq!(upgraded.unusual_hour(), None);
    // A profile built from its first event on knows all three.
    let mut fresh = typical();
    fresh.apply(&visit, NOW).unwrap();
    assert_eq!(
        fresh.first_on_channel(),
        Some(true),
        "a web and store customer, new on mobile"
    );
    assert_eq!(
        fresh.first_session().unwrap().referrer.as_deref(),
        Some("gadgets.com")
    );
}
