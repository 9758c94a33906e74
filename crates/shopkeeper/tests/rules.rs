//! The rule language: parsing, printing, limits and diagnostics. Evaluation semantics are pinned
//! by the conformance vectors (`spec/vectors/1xx-rules-*.json`).

mod common;
use proptest::prelude::*;
use shopkeeper::rules::{self, parse, BinOp, Code, Expr, Node, Rule, Schema, Type, UnOp};

fn node(expr: Expr) -> Node {
    Node {
        expr,
        span: Default::default(),
    }
}

const KEYWORDS: [&str; 9] = [
    "true", "false", "and", "or", "not", "in", "if", "then", "else",
];

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        any::<bool>().prop_map(|b| node(Expr::Bool(b))),
        (0u32..100_000, 0u32..4)
            .prop_map(|(n, d)| node(Expr::Number(f64::from(n) / 10f64.powi(d as i32)))),
        (0u32..1_000_000).prop_map(|s| node(Expr::Duration(f64::from(s)))),
        "[ -~\n\t\"\\\\é]{0,8}".prop_map(|s| node(Expr::Str(s))),
        proptest::collection::vec("[a-z\"]{0,4}", 0..3).prop_map(|l| node(Expr::List(l))),
        (
            ident(),
            proptest::collection::vec(prop_oneof![ident(), Just("in".to_string())], 0..3)
        )
            .prop_map(|(first, rest)| node(Expr::Path(
                std::iter::once(first).chain(rest).collect()
            ))),
    ]
}

fn tree() -> impl Strategy<Value = Node> {
    use BinOp::*;
    let ops = vec![
        Or, And, Eq, Ne, Lt, Le, Gt, Ge, In, NotIn, Add, Sub, Mul, Div, Rem,
    ];
    leaf().prop_recursive(6, 64, 4, move |inner| {
        prop_oneof![
            (prop_oneof![Just(UnOp::Not), Just(UnOp::Neg)], inner.clone())
                .prop_map(|(op, x)| node(Expr::Unary(op, Box::new(x)))),
            (
                proptest::sample::select(ops.clone()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, a, b)| node(Expr::Binary(
                    op,
                    Box::new(a),
                    Box::new(b)
                ))),
            (ident(), proptest::collection::vec(inner.clone(), 0..4))
                .prop_map(|(f, args)| node(Expr::Call(f, args))),
            (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| node(Expr::If(
                Box::new(c),
                Box::new(a),
                Box::new(b)
            ))),
        ]
    })
}

proptest! {
    #![proptest_config(common::config(2_000))]

    #[test]
    fn printed_rules_parse_back_to_the_same_tree(tree in tree()) {
        let printed = tree.to_string();
        let reparsed = parse(&printed).map_err(|d| TestCaseError::fail(format!("{printed}\n{d}")))?;
        prop_assert_eq!(&reparsed, &tree, "printed as {}", printed);
        prop_assert_eq!(reparsed.to_string(), printed, "printing is stable");
    }

    #[test]
    fn any_text_parses_or_fails_cleanly(text in "[ -~\n]{0,200}") {
        let _ = parse(&text);
        let _ = Rule::compile(&text, &Schema::new());
    }

    #[test]
    fn token_soup_parses_or_fails_cleanly(words in proptest::collection::vec(proptest::sample::select(vec![
        "(", ")", "[", "]", ",", ".", "not", "and", "or", "in", "if", "then", "else", "==", "<", "+", "-", "*", "/",
        "1", "7d", "\"s\"", "cart.value", "customer", "len", "has", "true",
    ]), 0..60)) {
        let text = words.join(" ");
        if let Ok(tree) = parse(&text) {
            prop_assert_eq!(parse(&tree.to_string()).unwrap(), tree);
        }
        let _ = Rule::compile(&text, &Schema::new());
    }
}

#[test]
fn nesting_and_size_limits_are_diagnostics_not_crashes() {
    let deep = "(".repeat(100_000) + "1" + &")".repeat(100_000);
    assert_eq!(parse(&deep).unwrap_err().code, Code::LimitExceeded);
    let deep = "(".repeat(5_000) + "1" + &")".repeat(5_000);
    assert_eq!(parse(&deep).unwrap_err().code, Code::LimitExceeded);
    let nots = "not ".repeat(3_000) + "true";
    assert_eq!(parse(&nots).unwrap_err().code, Code::LimitExceeded);
    let calls = "abs(".repeat(2_000) + "1" + &")".repeat(2_000);
    assert_eq!(parse(&calls).unwrap_err().code, Code::LimitExceeded);
    let chain = vec!["cart.value > 1"; 129].join(" or ");
    assert_eq!(parse(&chain).unwrap_err().code, Code::LimitExceeded);
    let fits = vec!["cart.value > 1"; 62].join(" or ");
    assert!(Rule::condition(&fits, &Schema::new()).is_ok());
    let nodes = (0..1_100)
        .map(|i| format!("{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        parse(&format!("max({nodes})")).unwrap_err().code,
        Code::LimitExceeded
    );
    let huge = "1".repeat(rules::limits::MAX_SOURCE_LEN + 1);
    assert_eq!(parse(&huge).unwrap_err().code, Code::LimitExceeded);
    assert_eq!(parse("1e400").unwrap_err().code, Code::BadNumber);
    assert_eq!(
        Rule::compile(&"9".repeat(400), &Schema::new())
            .unwrap_err()
            .0[0]
            .code,
        Code::BadNumber
    );
}

#[test]
fn several_errors_are_reported_at_once_with_line_column_and_hints() {
    let schema = Schema::new().attribute("tier", Type::String);
    let source = "customer.known\n  and cart.valeu >= 100\n  and customer.attr.teir == \"gold\"\n  and days_sinse(customer.last_purchase) < 30";
    let errors = Rule::condition(source, &schema).unwrap_err();
    let found: Vec<_> = errors
        .0
        .iter()
        .map(|d| {
            (
                d.code,
                d.line_column(source),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                Code::UnknownPath,
                (2, 7),
                "did you mean `cart.value`?".to_string()
            ),
            (
                Code::UnknownPath,
                (3, 7),
                "did you mean `customer.attr.tier`?".to_string()
            ),
            (
                Code::UnknownFunction,
                (4, 7),
                "did you mean `days_since`?".to_string()
            ),
        ]
    );
    assert_eq!(
        errors.0[0].render(source, "rules/vip.rule", 10),
        "error[unknown_path]: unknown path `cart.valeu`\n  --> rules/vip.rule:12:7\n   |\n12 |   and cart.valeu >= 100\n   |       ^^^^^^^^^^ did you mean `cart.value`?\n"
    );
}

#[test]
fn type_errors_say_what_was_found() {
    let check =
        |source: &str| Rule::condition(source, &Schema::new()).unwrap_err().0[0].to_string();
    assert_eq!(
        check(r#"cart.value >= "100""#),
        "`>=` cannot compare number with string [type_mismatch]"
    );
    assert!(check("customer.last_seen > 7d").contains("now - customer.last_seen > 7d"));
    assert!(check("cart.value").contains("a condition must be true or false, but this is a number"));
    assert!(check("len()").contains("called with 0 arguments [wrong_arity]"));
    assert!(check(r#""shoes" in "running shoes""#).contains("contains(text, part)"));
    assert!(check("cart.value and true").contains("joins conditions"));
    assert!(check("has(1)").contains("takes a path"));
}

#[test]
fn misspelt_operators_and_quotes_get_hints() {
    let hint = |source: &str| parse(source).unwrap_err().help.unwrap_or_default();
    assert_eq!(hint("cart.value > 1 && customer.known"), "write `and`");
    assert_eq!(hint("cart.value = 1"), "compare with `==`");
    assert!(hint("session.referrer == 'x'").contains("straight double quotes"));
    assert!(hint("cart.value > 10 customer.known").contains("`and` or `or`"));
    assert!(hint("session.start > 3 days").contains("7d"));
}

/// The deepest rules the limits allow parse, compile and evaluate on a 1 MiB stack (WebAssembly's
/// default) in a release build; debug frames are several times larger, so a debug build gets 4 MiB.
/// `cargo xtask test` runs this test in release too.
#[test]
fn the_deepest_legal_rules_fit_a_small_stack() {
    let deepest = [
        "(".repeat(rules::limits::MAX_NESTING - 1)
            + "true"
            + &")".repeat(rules::limits::MAX_NESTING - 1),
        vec!["cart.value > 1"; 62].join(" or "),
        "not ".repeat(rules::limits::MAX_DEPTH - 2) + "true",
        "abs(".repeat(rules::limits::MAX_DEPTH - 3)
            + "-1"
            + &")".repeat(rules::limits::MAX_DEPTH - 3)
            + " > 0",
        (0..(rules::limits::MAX_DEPTH - 2) / 2)
            .fold("1".to_string(), |acc, _| format!("-({acc} - 1)"))
            + " > 0",
    ];
    let ran = std::thread::Builder::new()
        .stack_size(if cfg!(debug_assertions) { 4 } else { 1 } * 1024 * 1024)
        .spawn(move || {
            let profile = shopkeeper::Profile::known("c").unwrap();
            let schema = Schema::new();
            let context = rules::Context::new(&schema);
            for source in deepest {
                let rule = Rule::compile(&source, &schema).unwrap_or_else(|d| panic!("{d}"));
                let tree = parse(&source).unwrap();
                assert_eq!(parse(&tree.to_string()).unwrap(), tree);
                let input = rules::Input {
                    profile: &profile,
                    context: &context,
                    now: 0,
                    scores: None,
                };
                let _ = rule.eval(&rules::Features::new(&schema, &input));
            }
        })
        .unwrap()
        .join();
    assert!(ran.is_ok());
}

/// Found by fuzzing (rule_roundtrip): the depth guard once added a chain's length to its right
/// operand's nesting, so `(chain) - (chain)` parsed while its canonical form, `chain - (chain)`,
/// did not. Height and nesting are now measured on the tree and on real recursion.
#[test]
fn regression_a_tree_within_the_limits_prints_to_a_form_within_them() {
    let chain = vec!["1"; 31].join(" - ");
    let source = format!("({chain}) - ({chain})");
    let tree = parse(&source).unwrap();
    let printed = tree.to_string();
    assert!(printed.starts_with("1 - 1"), "{printed}");
    assert_eq!(parse(&printed).unwrap(), tree);
}

/// Found in review: a limit or span that cuts a multi-byte character must not panic when the
/// diagnostic is rendered or located.
#[test]
fn regression_diagnostics_never_cut_a_character() {
    for ascii in [
        rules::limits::MAX_SOURCE_LEN - 2,
        rules::limits::MAX_SOURCE_LEN - 1,
        rules::limits::MAX_SOURCE_LEN,
    ] {
        let source = "1".repeat(ascii) + "é€😀";
        let d = parse(&source).unwrap_err();
        assert_eq!(d.code, Code::LimitExceeded);
        let _ = d.line_column(&source);
        assert!(d.render(&source, "x", 0).contains("limit_exceeded"));
    }
}

#[test]
fn carets_line_up_under_tabs() {
    let source = "\tcart.valeu > 1";
    let d = Rule::condition(source, &Schema::new())
        .unwrap_err()
        .0
        .remove(0);
    let rendered = d.render(source, "x", 0);
    assert!(
        rendered.contains("1 | \tcart.valeu > 1\n  | \t^^^^^^^^^^"),
        "{rendered}"
    );
}

/// Found in review: case-insensitive `contains` re-walked the text from its start for every
/// position; now it is linear (and context strings are capped, so no input makes it slow).
#[test]
fn regression_case_insensitive_contains_is_linear() {
    let schema = Schema::new().context_key("q", Type::String);
    let rule = Rule::condition(r#"contains(lower(context.q), "zz!")"#, &schema).unwrap();
    let mut context = rules::Context::new(&schema);
    let long = "aZ".repeat(rules::MAX_CONTEXT_TEXT / 2);
    context
        .set(&schema, "q", rules::Value::String(long))
        .unwrap();
    let profile = shopkeeper::Profile::known("c").unwrap();
    let features = rules::Features::new(
        &schema,
        &rules::Input {
            profile: &profile,
            context: &context,
            now: 0,
            scores: None,
        },
    );
    assert!(!rule.matches(&features));
}

#[test]
fn context_values_are_bounded() {
    let schema = Schema::new()
        .context_key("q", Type::String)
        .context_key("tags", Type::List);
    let mut context = rules::Context::new(&schema);
    let long = rules::Value::String("x".repeat(rules::MAX_CONTEXT_TEXT + 1));
    let many = rules::Value::List(vec!["t".to_string(); rules::MAX_CONTEXT_ITEMS + 1]);
    for (key, value) in [("q", long), ("tags", many)] {
        let err = context.set(&schema, key, value).unwrap_err();
        assert_eq!(err.code(), shopkeeper::ErrorCode::InvalidContext, "{err}");
    }
    let most = rules::Value::List(vec!["t".into(); rules::MAX_CONTEXT_ITEMS]);
    assert!(context.set(&schema, "tags", most).is_ok());
}
