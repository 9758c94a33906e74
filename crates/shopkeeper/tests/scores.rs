//! Scores end to end: models as data, live profiles, rules reading scores, and hostile or
//! degenerate inputs (which give an error or a documented answer, never NaN or a panic).

mod common;

use common::{ev, NOW};
use shopkeeper::rules::{Context, Features, Input, Rule, Schema};
use shopkeeper::score::{
    parse_date, summarize, BgNbd, CoOccurrence, CrossSell, CrossSellOptions, GammaGamma, Logistic,
    LogisticFeature, Models, ParetoNbd, PurchaseModel, Rfm, RfmInput, Summary, TimeUnit,
    Transaction,
};
use shopkeeper::{ErrorCode, EventKind, Profile, PurchaseLine};

const DAY: i64 = 86_400;

fn bgnbd() -> BgNbd {
    BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    }
}

fn models() -> Models {
    let mut models = Models::default();
    models.purchases = Some(PurchaseModel::Bgnbd(bgnbd()));
    models.spend = Some(GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    });
    models.rfm = Some(Rfm {
        recency_days: [10.0, 30.0, 90.0, 180.0],
        frequency: [1.0, 1.0, 2.0, 4.0],
        monetary: [20.0, 50.0, 100.0, 300.0],
    });
    let baskets: [&[&str]; 4] = [
        &["tent", "stove"],
        &["tent", "stove", "gas"],
        &["stove", "gas"],
        &["tent", "mat"],
    ];
    let products = CoOccurrence::fit(
        baskets.iter().map(|b| b.iter().copied()),
        CrossSellOptions::default(),
    );
    models.cross_sell = Some(CrossSell {
        products,
        categories: CoOccurrence::default(),
    });
    models.propensities = vec![Logistic {
        name: "buys_again".into(),
        intercept: -2.0,
        features: vec![
            LogisticFeature {
                path: "customer.p_alive".into(),
                weight: 3.0,
                mean: None,
                scale: None,
                missing: None,
            },
            LogisticFeature {
                path: "customer.known".into(),
                weight: 0.5,
                mean: None,
                scale: None,
                missing: None,
            },
        ],
    }];
    models
}

fn purchase(at: i64, order: &str, total: i64) -> shopkeeper::Event {
    ev(
        at,
        EventKind::Purchase {
            order: order.into(),
            total,
            lines: vec![PurchaseLine {
                product: "p".into(),
                category: None,
                quantity: 1,
                unit_price: total,
            }]
            .try_into()
            .unwrap(),
        },
    )
}

/// A customer with orders on three days, two of them on the first day.
fn regular() -> Profile {
    let mut p = Profile::known("c1").unwrap();
    for (days_ago, order, total) in [
        (200, "o1", 3000),
        (200, "o2", 1000),
        (120, "o3", 2500),
        (20, "o4", 1500),
    ] {
        p.apply(&purchase(NOW - days_ago * DAY, order, total), NOW)
            .unwrap();
    }
    p
}

#[test]
fn a_profile_summarises_like_its_transaction_log() {
    let profile = regular();
    let log: Vec<Transaction> = [(200, 30.0), (200, 10.0), (120, 25.0), (20, 15.0)]
        .iter()
        .map(|(days_ago, amount)| Transaction {
            customer: "c1".into(),
            day: (NOW - days_ago * DAY).div_euclid(DAY),
            amount: *amount,
        })
        .collect();
    let today = NOW.div_euclid(DAY);
    let from_log = summarize(&log, today, today, TimeUnit::Week).unwrap()[0].summary;
    let from_profile = Summary::from_profile(&profile, NOW, TimeUnit::Week, 100.0).unwrap();
    assert_eq!(from_profile, from_log);
    assert_eq!(
        from_profile.frequency, 2,
        "two orders on one day are one transaction"
    );
    assert!(
        (from_profile.monetary - 20.0).abs() < 1e-12,
        "the first day's 40.00 is left out"
    );
}

#[test]
fn scores_are_computed_once_and_read_by_rules() {
    let models = models();
    let mut profile = regular();
    for product in ["tent", "stove"] {
        profile
            .apply(
                &ev(
                    NOW - 60,
                    EventKind::CartAdd {
                        product: product.into(),
                        category: None,
                        quantity: 1,
                        unit_price: 100,
                    },
                ),
                NOW,
            )
            .unwrap();
    }
    let scores = models.score(&profile, NOW);
    let p_alive = scores.p_alive.unwrap();
    assert!(p_alive > 0.0 && p_alive < 1.0);
    assert_eq!(scores.churn_risk, Some(1.0 - p_alive));
    let summary = scores.summary.unwrap();
    assert_eq!(
        scores.expected_purchases_90d,
        bgnbd().expected_purchases(&summary, 90.0 / 7.0)
    );
    let spend = scores.expected_spend.unwrap();
    assert!(spend > 15.0 && spend < 30.0, "{spend}");
    assert!(scores.clv.unwrap() > 0.0);
    let rfm = scores.rfm.unwrap();
    // 20 days since the last purchase, 3 purchase days, 70.00 spent.
    assert_eq!((rfm.r, rfm.f, rfm.m), (4, 4, 3));
    assert_eq!(scores.cross_sell, ["gas"]);
    assert!(scores.cross_sell_score.unwrap() > 1.0);

    let schema = Schema::new();
    let context = Context::new(&schema);
    let input = Input {
        profile: &profile,
        context: &context,
        now: NOW,
        scores: Some(&scores),
    };
    let features = Features::new(&schema, &input);
    for (rule, expected) in [
        ("customer.p_alive > 0 and customer.churn_risk < 1", true),
        (r#"customer.rfm.segment == "loyal""#, true),
        (
            "customer.rfm.r == 4 and customer.rfm.f == 4 and customer.rfm.m == 3",
            true,
        ),
        (
            r#""gas" in cart.cross_sell and cart.cross_sell_score > 1"#,
            true,
        ),
        ("customer.clv > 0 and customer.expected_spend > 15", true),
        ("customer.expected_purchases_90d > 10", false),
    ] {
        assert_eq!(
            Rule::condition(rule, &schema).unwrap().matches(&features),
            expected,
            "{rule}"
        );
    }
    // Without scores, score paths are missing, and comparisons with missing values are false.
    let bare = Features::new(
        &schema,
        &Input {
            scores: None,
            ..input
        },
    );
    assert!(!Rule::condition("customer.p_alive >= 0", &schema)
        .unwrap()
        .matches(&bare));

    let propensity = models
        .propensity("buys_again")
        .unwrap()
        .bind(&schema)
        .unwrap();
    let want = 1.0 / (1.0 + (-(-2.0 + 3.0 * p_alive + 0.5)).exp());
    assert!((propensity.score(&features) - want).abs() < 1e-12);
    // A missing feature takes its `missing` value (default: the mean, else 0).
    let anonymous = Profile::anonymous("v1").unwrap();
    let none = models.score(&anonymous, NOW);
    assert_eq!(none.p_alive, None, "no purchase, no customer-base scores");
    let f = Features::new(
        &schema,
        &Input {
            profile: &anonymous,
            context: &context,
            now: NOW,
            scores: Some(&none),
        },
    );
    assert!((propensity.score(&f) - 1.0 / (1.0 + 2f64.exp())).abs() < 1e-12);
}

#[test]
fn propensity_features_must_be_numbers_or_bools_the_schema_knows() {
    let schema = Schema::new();
    let model = |path: &str| Logistic {
        name: "m".into(),
        intercept: 0.0,
        features: vec![LogisticFeature {
            path: path.into(),
            weight: 1.0,
            mean: None,
            scale: None,
            missing: None,
        }],
    };
    assert_eq!(
        model("customer.nope").bind(&schema).unwrap_err().code(),
        ErrorCode::InvalidModel
    );
    assert_eq!(
        model("customer.id").bind(&schema).unwrap_err().code(),
        ErrorCode::InvalidModel
    );
    let mut nan = model("customer.orders");
    nan.features[0].weight = f64::NAN;
    assert_eq!(
        nan.bind(&schema).unwrap_err().code(),
        ErrorCode::InvalidModel
    );
}

#[test]
fn models_round_trip_as_json_and_bytes_and_are_checked_on_load() {
    let models = models();
    let json = models.to_json().unwrap();
    assert!(json.starts_with(r#"{"version":3,"#), "{json}");
    assert_eq!(Models::from_json(&json).unwrap(), models);
    let bytes = models.to_bytes().unwrap();
    assert_eq!(Models::from_bytes(&bytes).unwrap(), models);
    // Versions 2 (before cohorts) and 1 (before the sentiment model too) still read, as JSON
    // and as bytes: their payloads are today's without the trailing `None`s.
    for version in ["1", "2"] {
        let old = json.replacen(r#"{"version":3,"#, &format!(r#"{{"version":{version},"#), 1);
        assert_eq!(Models::from_json(&old).unwrap(), models);
    }
    assert_eq!(bytes[bytes.len() - 2..], [0, 0]);
    let mut v2 = bytes[..bytes.len() - 1].to_vec();
    v2[4..6].copy_from_slice(&2u16.to_le_bytes());
    assert_eq!(Models::from_bytes(&v2).unwrap(), models);
    let mut v1 = bytes[..bytes.len() - 2].to_vec();
    v1[4..6].copy_from_slice(&1u16.to_le_bytes());
    assert_eq!(Models::from_bytes(&v1).unwrap(), models);

    // A sentiment model travels too, and is checked on load.
    let mut with_sentiment = models.clone();
    let (lexicon, _) =
        shopkeeper::listen::Sentiment::from_lexicon("good\t1.9\nbroken\t-1.6\n").unwrap();
    with_sentiment.sentiment = Some(lexicon);
    let json = with_sentiment.to_json().unwrap();
    assert!(
        json.contains(r#""sentiment":{"lexicon":{"broken":-1.6,"good":1.9},"learned":null}"#),
        "{json}"
    );
    assert_eq!(Models::from_json(&json).unwrap(), with_sentiment);
    let bytes = with_sentiment.to_bytes().unwrap();
    assert_eq!(Models::from_bytes(&bytes).unwrap(), with_sentiment);
    for (from, to) in [
        (r#""good":1.9"#, r#""good":6.0"#),
        (r#""good":1.9"#, r#""Good":1.9"#),
        (r#""good":1.9"#, r#""good!":1.9"#),
        (r#""good":1.9"#, r#""good day":1.9"#),
    ] {
        let err = Models::from_json(&json.replace(from, to)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidModel, "{to}: {err}");
    }

    for (from, to) in [
        (r#""alpha":4.414"#, r#""alpha":-4.414"#),
        (r#""q":3.74"#, r#""q":0.5"#),
        (r#""months":12"#, r#""months":0"#),
        (
            r#""frequency":[1.0,1.0,2.0,4.0]"#,
            r#""frequency":[1.0,3.0,2.0,4.0]"#,
        ),
        (r#""name":"buys_again""#, r#""name":"""#),
    ] {
        assert!(json.contains(from), "{from} in {json}");
        let bad = json.replace(from, to);
        let err = Models::from_json(&bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidModel, "{to}: {err}");
    }
    // NaN is not JSON; a null where a number belongs is malformed.
    let err = Models::from_json(&json.replace(r#""alpha":4.414"#, r#""alpha":null"#)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson);
    assert!(err.location().is_some());
    let err = Models::from_json(r#"{"version":4}"#).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeUnsupportedVersion);
    assert_eq!(
        Models::from_json(r#"{"version":1,"extra":1}"#)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidJson
    );

    // A negative parameter smuggled into bytes is caught too.
    let mut bad = models.clone();
    bad.spend = Some(GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: -1.0,
    });
    let truncated = {
        let mut b = models.to_bytes().unwrap();
        b.truncate(b.len() - 1);
        b
    };
    assert_eq!(
        Models::from_bytes(&truncated).unwrap_err().code(),
        ErrorCode::DecodeMalformed
    );
    assert!(bad.validate().is_err());
    assert!(bad
        .to_bytes()
        .is_ok_and(|b| Models::from_bytes(&b).unwrap_err().code() == ErrorCode::DecodeInvalid));
}

fn all_finite(model: &BgNbd, s: &Summary) {
    let p = model.p_alive(s);
    assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{s:?}: {p}");
    for t in [0.0, 1.0, 52.0, 520.0] {
        let e = model.expected_purchases(s, t).unwrap();
        assert!(e.is_finite() && e >= 0.0, "{s:?} {t}: {e}");
    }
}

#[test]
fn models_built_in_code_with_bad_parameters_give_missing_scores_not_nan() {
    let mut models = models();
    models.purchases = Some(PurchaseModel::Bgnbd(BgNbd {
        r: f64::NAN,
        ..bgnbd()
    }));
    models.spend = Some(GammaGamma {
        p: 6.25,
        q: f64::INFINITY,
        gamma: 15.44,
    });
    assert_eq!(
        models.validate().unwrap_err().code(),
        ErrorCode::InvalidModel
    );
    let scores = models.score(&regular(), NOW);
    assert!(scores.summary.is_some(), "the customer has bought");
    assert_eq!(
        (
            scores.p_alive,
            scores.churn_risk,
            scores.expected_purchases_90d
        ),
        (None, None, None)
    );
    assert_eq!((scores.expected_spend, scores.clv), (None, None));
    // An RFM score out of its range does not overflow.
    let odd = shopkeeper::score::RfmScore {
        r: 9,
        f: 200,
        m: 200,
    };
    assert_eq!(odd.segment(), shopkeeper::score::Segment::Champions);
}

#[test]
fn huge_frequencies_and_ages_give_finite_scores() {
    let model = bgnbd();
    let pareto = ParetoNbd {
        r: 0.553,
        alpha: 10.578,
        s: 0.606,
        beta: 11.669,
    };
    for s in [
        Summary {
            frequency: 1_000_000,
            recency: 1e6,
            age: 1e6,
            monetary: 1.0,
        },
        Summary {
            frequency: 1_000_000,
            recency: 10.0,
            age: 1e6,
            monetary: 1.0,
        },
        Summary {
            frequency: 5000,
            recency: 30.0,
            age: 39.0,
            monetary: 1.0,
        },
        Summary {
            frequency: 0,
            recency: 0.0,
            age: 0.0,
            monetary: 0.0,
        },
        Summary {
            frequency: 0,
            recency: 0.0,
            age: 1e7,
            monetary: 0.0,
        },
    ] {
        all_finite(&model, &s);
        let p = pareto.p_alive(&s).unwrap();
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{s:?}: {p}");
        let e = pareto.expected_purchases(&s, 52.0).unwrap();
        assert!(e.is_finite() && e >= 0.0, "{s:?}: {e}");
        let spend = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        }
        .expected_spend(&s);
        assert!(spend.is_finite() && spend > 0.0);
    }
    // a = 1 exactly: the 0/0 of the closed form is divided out.
    let one = BgNbd { a: 1.0, ..model };
    let s = Summary {
        frequency: 3,
        recency: 20.0,
        age: 30.0,
        monetary: 0.0,
    };
    let near = BgNbd {
        a: 1.0 + 1e-7,
        ..model
    }
    .expected_purchases(&s, 10.0)
    .unwrap();
    assert!((one.expected_purchases(&s, 10.0).unwrap() - near).abs() < 1e-5);
}

#[test]
fn degenerate_populations_give_errors_not_nonsense() {
    let s = |frequency, recency, age, monetary| Summary {
        frequency,
        recency,
        age,
        monetary,
    };
    // Nobody.
    assert_eq!(BgNbd::fit(&[]).unwrap_err().code(), ErrorCode::InvalidData);
    assert_eq!(
        GammaGamma::fit(&[]).unwrap_err().code(),
        ErrorCode::InvalidData
    );
    assert_eq!(Rfm::fit(&[]).unwrap_err().code(), ErrorCode::InvalidData);
    // No repeat customers: the dropout process is not identified, and there is no spend to fit.
    let one_timers: Vec<Summary> = (1..50).map(|i| s(0, 0.0, f64::from(i), 0.0)).collect();
    assert_eq!(
        BgNbd::fit(&one_timers).unwrap_err().code(),
        ErrorCode::InvalidData
    );
    let pareto = ParetoNbd::fit(&one_timers);
    assert_eq!(pareto.unwrap_err().code(), ErrorCode::InvalidData);
    assert_eq!(
        GammaGamma::fit(&one_timers).unwrap_err().code(),
        ErrorCode::InvalidData
    );
    // Zero amounts only: no positive spend to fit.
    let free = vec![s(2, 5.0, 10.0, 0.0); 10];
    assert_eq!(
        GammaGamma::fit(&free).unwrap_err().code(),
        ErrorCode::InvalidData
    );
    // Identical spends: the spend variance is zero, the likelihood has no maximum.
    let same = vec![s(2, 5.0, 10.0, 20.0); 10];
    assert_eq!(
        GammaGamma::fit(&same).unwrap_err().code(),
        ErrorCode::FitFailed
    );
    // One customer: an error, or finite parameters with finite scores.
    match BgNbd::fit(&[s(3, 20.0, 30.0, 10.0)]) {
        Err(e) => assert_eq!(e.code(), ErrorCode::FitFailed),
        Ok((m, _)) => all_finite(&m, &s(3, 20.0, 30.0, 10.0)),
    }
    // Impossible summaries.
    for bad in [
        s(1, 40.0, 30.0, 1.0),
        s(0, 3.0, 30.0, 0.0),
        s(1, f64::NAN, 30.0, 1.0),
        s(1, 1.0, 3.0, -1.0),
    ] {
        assert_eq!(
            BgNbd::fit(&[bad]).unwrap_err().code(),
            ErrorCode::InvalidData,
            "{bad:?}"
        );
    }
    let nan = RfmInput {
        recency_days: 1.0,
        frequency: f64::NAN,
        monetary: 1.0,
    };
    assert_eq!(Rfm::fit(&[nan]).unwrap_err().code(), ErrorCode::InvalidData);
}

#[test]
fn a_log_in_any_order_summarises_alike() {
    let day = |d: &str| parse_date(d).unwrap();
    let mut log = vec![
        Transaction {
            customer: "a".into(),
            day: day("2024-01-05"),
            amount: 10.0,
        },
        Transaction {
            customer: "a".into(),
            day: day("2024-03-01"),
            amount: 0.0,
        },
        Transaction {
            customer: "b".into(),
            day: day("2024-02-01"),
            amount: 5.0,
        },
        Transaction {
            customer: "a".into(),
            day: day("2024-02-01"),
            amount: 7.5,
        },
    ];
    let end = day("2024-06-30");
    let forward = summarize(&log, end, end, TimeUnit::Day).unwrap();
    log.reverse();
    assert_eq!(summarize(&log, end, end, TimeUnit::Day).unwrap(), forward);
    assert_eq!(
        forward[0].summary,
        Summary {
            frequency: 2,
            recency: 56.0,
            age: 177.0,
            monetary: 3.75
        }
    );
}
