//! Building the features of a request and evaluating compiled rules allocate nothing (a counting
//! allocator watches both).
#![allow(unsafe_code)] // the counting allocator only forwards to `System`

mod common;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use shopkeeper::rules::{Context, Features, Input, Rule, Schema, Type, Value};

struct Counting;
thread_local!(static ALLOCATIONS: Cell<usize> = const { Cell::new(0) });
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn building_features_and_matching_allocate_nothing() {
    let schema = Schema::new()
        .attribute("tier", Type::String)
        .attribute("interests", Type::List)
        .context_key("page_type", Type::String)
        .context_key("tags", Type::List);
    let sources = [
        r#"customer.known and cart.value >= 100 and session.referrer == "gadgets.com""#,
        r#"lower(customer.attr.tier) in ["gold", "silver"] or "camping" in customer.attr.interests"#,
        r#""shoes" in cart.categories and days_since(customer.last_seen) <= 30 and count_viewed("shoes") >= 1"#,
        r#"if context.page_type == "cart" then in_cart("sku-1") else len(context.tags) > 2"#,
        r#"starts_with(lower(session.referrer), "GAD") and ends_with(customer.id, "42") and contains(session.referrer, "get")"#,
        r#"max(cart.value, customer.spend, 1) / min(cart.quantity, 3) > 10 and now - customer.last_seen < 2h"#,
        r#"has(customer.attr.tier) and not has(context.page_type) or len(cart.categories) != 1"#,
    ];
    let rules: Vec<Rule> = sources
        .iter()
        .map(|s| Rule::condition(s, &schema).unwrap())
        .collect();
    let profile = common::typical();
    let mut context = Context::new(&schema);
    context
        .set(&schema, "page_type", Value::String("cart".into()))
        .unwrap();
    context
        .set(
            &schema,
            "tags",
            Value::List(vec!["a".into(), "b".into(), "c".into()]),
        )
        .unwrap();
    let input = Input {
        profile: &profile,
        context: &context,
        now: common::NOW,
        scores: None,
    };
    let before = ALLOCATIONS.with(Cell::get);
    let mut matched = 0;
    for _ in 0..100 {
        // Once per request: the features (inline arrays for a schema this size), then every rule.
        let features = Features::new(&schema, &input);
        matched += rules.iter().filter(|r| r.matches(&features)).count();
    }
    let allocations = ALLOCATIONS.with(Cell::get) - before;
    assert_eq!(allocations, 0, "matching allocated");
    assert!(matched > 0, "the rules were evaluated");
}
