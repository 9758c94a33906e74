//! Encoding: round trips, hostile bytes, the memory bound of decoding, and the size bound.
#![allow(unsafe_code)] // the counting allocator below is the only unsafe code, and it only forwards to `System`

mod common;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use proptest::prelude::*;
use shopkeeper::limits::*;
use shopkeeper::{AttrValue, Channel, ConsentPurpose, ErrorCode, EventKind, Profile, PurchaseLine};

/// Counts the bytes this thread allocates, so decoding can be held to a memory bound.
struct Counting;
thread_local!(static ALLOCATED: Cell<usize> = const { Cell::new(0) });
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + new_size));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Decodes `bytes`, returning the result and the bytes allocated while doing it.
fn decode_counting(bytes: &[u8]) -> (Result<Profile, shopkeeper::Error>, usize) {
    let before = ALLOCATED.with(Cell::get);
    let result = Profile::from_bytes(bytes);
    (result, ALLOCATED.with(Cell::get) - before)
}

/// The memory bound: a small multiple of the input, plus a constant for the error message.
fn assert_allocation_bounded(bytes: &[u8]) {
    let (_, allocated) = decode_counting(bytes);
    let bound = 32 * bytes.len() + 4096;
    assert!(
        allocated <= bound,
        "{allocated} bytes allocated decoding {} bytes",
        bytes.len()
    );
}

fn code(bytes: &[u8]) -> ErrorCode {
    Profile::from_bytes(bytes)
        .expect_err("hostile bytes must be rejected")
        .code()
}

#[test]
fn hostile_headers_are_rejected() {
    let good = typical().to_bytes().unwrap();
    assert_eq!(code(&[]), ErrorCode::DecodeMalformed);
    assert_eq!(code(&good[..5]), ErrorCode::DecodeMalformed);
    assert_eq!(code(b"GIF89a\x01\x00"), ErrorCode::DecodeBadMagic);
    let mut next = good.clone();
    next[4] = shopkeeper::profile::SCHEMA_VERSION as u8 + 1;
    assert_eq!(code(&next), ErrorCode::DecodeUnsupportedVersion);
    let mut v0 = good.clone();
    v0[4] = 0;
    assert_eq!(code(&v0), ErrorCode::DecodeUnsupportedVersion);
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(code(&trailing), ErrorCode::DecodeTrailingBytes);
    let mut huge = good.clone();
    huge.resize(MAX_ENCODED_LEN + 1, 0);
    assert_eq!(code(&huge), ErrorCode::DecodeTooLarge);
}

#[test]
fn every_truncation_is_rejected() {
    let good = typical().to_bytes().unwrap();
    for len in 0..good.len() {
        assert!(
            Profile::from_bytes(&good[..len]).is_err(),
            "a {len}-byte prefix decoded"
        );
        assert_allocation_bounded(&good[..len]);
    }
}

#[test]
fn huge_length_prefixes_cost_nothing() {
    // Header, then the id's length as a 5-byte varint of 2^32 - 1, then almost nothing.
    let mut bytes = b"SKP\x01\x01\x00".to_vec();
    bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, b'a']);
    assert_eq!(code(&bytes), ErrorCode::DecodeMalformed);
    assert_allocation_bounded(&bytes);
    // A valid identity followed by an anonymous-id list claiming 2^32 - 1 entries.
    let mut bytes = b"SKP\x01\x01\x00\x01a\x00\x00".to_vec();
    bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    assert_eq!(code(&bytes), ErrorCode::DecodeMalformed);
    assert_allocation_bounded(&bytes);
}

#[test]
fn decoded_bytes_must_hold_the_invariants() {
    // A profile whose id is empty: well-formed postcard, but not a profile `apply` could build.
    let mut bytes = typical().to_bytes().unwrap();
    let id_len = 6; // the id's length byte, right after the header
    assert_eq!(bytes[id_len] as usize, "cust-42".len());
    bytes[id_len] = 0;
    bytes.drain(id_len + 1..id_len + 1 + "cust-42".len());
    assert_eq!(code(&bytes), ErrorCode::DecodeInvalid);
}

proptest! {
    #![proptest_config(common::config(200))]

    #[test]
    fn bytes_and_export_round_trip(events in arb::events(80)) {
        let p = fold("cust-1", &events);
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(&Profile::from_bytes(&bytes).unwrap(), &p);
        prop_assert_eq!(&Profile::from_export(&p.export().unwrap()).unwrap(), &p);
    }

    #[test]
    fn random_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..400), header in any::<bool>()) {
        if header && bytes.len() >= 6 {
            bytes[..6].copy_from_slice(b"SKP\x01\x01\x00");
        }
        let (result, allocated) = decode_counting(&bytes);
        prop_assert!(allocated <= 32 * bytes.len() + 4096, "{} bytes allocated", allocated);
        if let Ok(p) = result {
            prop_assert_eq!(Profile::from_bytes(&p.to_bytes().unwrap()).unwrap(), p);
        }
    }

    #[test]
    fn corrupted_profiles_are_rejected_or_valid(
        events in arb::events(40),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = fold("cust-1", &events).to_bytes().unwrap();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let (result, allocated) = decode_counting(&bytes);
        prop_assert!(allocated <= 32 * bytes.len() + 4096, "{} bytes allocated", allocated);
        if let Ok(p) = result {
            prop_assert_eq!(Profile::from_bytes(&p.to_bytes().unwrap()).unwrap(), p);
        }
    }
}

/// A profile with every cap filled by the longest strings and the largest values events can carry.
fn maximal() -> Profile {
    let long = |prefix: &str, i: usize, len: usize| {
        format!("{prefix}{i:03}{}", "x".repeat(len - prefix.len() - 3))
    };
    let t = MAX_TIMESTAMP - 10_000;
    let now = MAX_TIMESTAMP;
    let mut p = Profile::known(&long("c", 0, MAX_ID_LEN)).unwrap();
    for i in 0..MAX_ANONYMOUS_IDS + 2 {
        let mut anon = Profile::anonymous(&long("a", i, MAX_ID_LEN)).unwrap();
        anon.apply(&ev(t + i as i64, EventKind::PageView { page: None }), now)
            .unwrap();
        p.merge(&anon).unwrap();
    }
    let text = |c: &str| Some(c.repeat(MAX_TEXT_LEN));
    p.apply(
        &ev(
            t,
            EventKind::SessionStart {
                referrer: text("r"),
                affiliate: text("f"),
            },
        ),
        now,
    )
    .unwrap();
    for i in 0..MAX_RECENT_VIEWS + 5 {
        let kind = EventKind::ProductView {
            product: long("v", i, MAX_ID_LEN),
            category: Some(long("k", i, MAX_NAME_LEN)),
        };
        p.apply(&ev(t + i as i64, kind), now).unwrap();
    }
    for i in 0..MAX_CART_LINES {
        let kind = EventKind::CartAdd {
            product: long("p", i, MAX_ID_LEN),
            category: Some(long("k", i, MAX_NAME_LEN)),
            quantity: MAX_QUANTITY,
            unit_price: MAX_AMOUNT,
        };
        p.apply(&ev(t + 5_000, kind), now).unwrap();
    }
    for i in 0..MAX_RECENT_ORDERS + 2 {
        let lines = (0..MAX_PURCHASE_LINES)
            .map(|j| PurchaseLine {
                product: long("b", j, MAX_ID_LEN),
                category: Some(long("g", (i * 7 + j) % (MAX_CATEGORIES + 8), MAX_NAME_LEN)),
                quantity: MAX_QUANTITY,
                unit_price: MAX_AMOUNT,
            })
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        let kind = EventKind::Purchase {
            order: long("o", i, MAX_ID_LEN),
            lines,
            total: MAX_AMOUNT,
        };
        p.apply(&on(Channel::Store, t + i as i64, kind), now)
            .unwrap();
    }
    for i in 0..MAX_OFFERS + 3 {
        let offer = long("f", i, MAX_ID_LEN);
        for s in 0..MAX_RECENT_SHOWS as i64 + 2 {
            p.apply(
                &ev(
                    t + s * 7,
                    EventKind::OfferShown {
                        offer: offer.clone(),
                    },
                ),
                now,
            )
            .unwrap();
        }
        p.apply(
            &ev(
                t,
                EventKind::OfferAccepted {
                    offer: offer.clone(),
                },
            ),
            now,
        )
        .unwrap();
        p.apply(&ev(t, EventKind::OfferDismissed { offer }), now)
            .unwrap();
    }
    for i in 0..MAX_ATTRIBUTES {
        let items = (0..MAX_LIST_ITEMS)
            .map(|j| long("i", j, MAX_NAME_LEN))
            .collect();
        let kind = EventKind::AttributeSet {
            name: long("n", i, MAX_NAME_LEN),
            value: Some(AttrValue::list(items).unwrap()),
        };
        p.apply(&ev(t, kind), now).unwrap();
    }
    // Messages on every channel: the rings of sentiments and intents full of the longest names.
    for i in 0..shopkeeper::limits::MAX_RECENT_SENTIMENTS + 4 {
        let intents = (0..shopkeeper::limits::MAX_MESSAGE_INTENTS)
            .map(|j| long("t", i * 8 + j, MAX_NAME_LEN))
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        let kind = EventKind::Message {
            direction: shopkeeper::Direction::Inbound,
            text: None,
            sentiment: Some(-0.999),
            intents,
            product: None,
            rating: None,
        };
        let channel = Channel::ALL[i % Channel::ALL.len()];
        p.apply(&on(channel, t + i as i64, kind), now).unwrap();
    }
    p.apply(&ev(t, EventKind::ServiceContact { reason: None }), now)
        .unwrap();
    p.apply(&ev(t, EventKind::Complaint { reason: None }), now)
        .unwrap();
    p.apply(
        &ev(
            t + 1,
            EventKind::ConsentChange {
                purpose: ConsentPurpose::Marketing,
                granted: true,
            },
        ),
        now,
    )
    .unwrap();
    p.apply(
        &ev(
            t + 1,
            EventKind::ConsentChange {
                purpose: ConsentPurpose::Personalization,
                granted: true,
            },
        ),
        now,
    )
    .unwrap();
    p
}

/// Sets every integer in the export to the largest value the profile still accepts (counters far
/// beyond what a test could feed it), so the size bound also covers the widest varints. Integers
/// are grouped by the shape of their path (one shape, one type) and each group is widened at once.
fn widen_every_number(p: &Profile) -> Profile {
    let mut json: serde_json::Value = serde_json::from_str(&p.export().unwrap()).unwrap();
    let mut paths = vec![];
    collect_integer_paths(&json, String::new(), &mut paths);
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for path in paths.into_iter().filter(|p| p != "/schema_version") {
        // The path's shape: array indexes and map keys (the maximal profile's keys are long) as `*`.
        let field = path
            .split('/')
            .map(|seg| {
                if seg.parse::<usize>().is_ok() || seg.len() > 40 {
                    "*"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        groups.entry(field).or_default().push(path);
    }
    for paths in groups.values() {
        for candidate in [
            u64::MAX,
            i64::MAX as u64,
            u32::MAX as u64,
            MAX_TIMESTAMP as u64,
            MAX_AMOUNT as u64,
        ] {
            let mut widened = json.clone();
            for path in paths {
                *widened.pointer_mut(path).unwrap() = serde_json::json!(candidate);
            }
            if Profile::from_export(&widened.to_string()).is_ok() {
                json = widened;
                break;
            }
        }
    }
    Profile::from_export(&json.to_string()).unwrap()
}

fn collect_integer_paths(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => out.push(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, x)| collect_integer_paths(x, format!("{at}/{i}"), out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, x)| {
            collect_integer_paths(
                x,
                format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        _ => {}
    }
}

#[test]
fn no_profile_encodes_beyond_the_documented_bound() {
    let p = widen_every_number(&maximal());
    let bytes = p.to_bytes().unwrap();
    let export = p.export().unwrap();
    assert_eq!(p.purchases().total, i64::MAX, "numbers were widened");
    println!(
        "maximal profile: {} bytes encoded, {} bytes of export JSON",
        bytes.len(),
        export.len()
    );
    assert_eq!(p.cart().lines.len(), MAX_CART_LINES);
    assert_eq!(p.offers().len(), MAX_OFFERS);
    assert_eq!(p.identity().anonymous_ids.len(), MAX_ANONYMOUS_IDS);
    assert_eq!(p.purchases().categories.len(), MAX_CATEGORIES);
    assert_eq!(
        p.owned().products.len(),
        shopkeeper::limits::MAX_OWNED_PRODUCTS
    );
    assert!(p.habits().first_session.is_some());
    assert!(
        bytes.len() <= MAX_ENCODED_LEN,
        "{} > {MAX_ENCODED_LEN}",
        bytes.len()
    );
    assert!(
        export.len() <= MAX_EXPORT_LEN,
        "{} > {MAX_EXPORT_LEN}",
        export.len()
    );
    assert_eq!(Profile::from_bytes(&bytes).unwrap(), p);
    assert_eq!(Profile::from_export(&export).unwrap(), p);
    assert_allocation_bounded(&bytes);
}

#[test]
fn a_typical_profile_is_a_few_hundred_bytes() {
    let bytes = typical().to_bytes().unwrap();
    println!("typical profile: {} bytes", bytes.len());
    assert!(bytes.len() < 512, "{} bytes", bytes.len());
}

#[test]
fn exports_that_break_an_invariant_are_rejected_by_every_way_in() {
    let json = typical().export().unwrap();
    let base: serde_json::Value = serde_json::from_str(&json).unwrap();
    let big = serde_json::json!(i64::MAX);
    for (pointer, value) in [
        ("/identity/id", serde_json::json!("")),
        (
            "/consent/personalization",
            serde_json::json!({"at": i64::MAX, "granted": true}),
        ),
        ("/activity/first_seen", serde_json::json!(NOW + 10_000_000)),
        ("/activity/last_seen", serde_json::json!(-1)),
        ("/activity/channels/web/spend", serde_json::json!(-5)),
        ("/activity/channels/store/last_seen", big.clone()),
        ("/service/last_contact", big.clone()),
        ("/offers/free-shipping/last_shown", serde_json::json!(-5)),
        (
            "/offers/free-shipping/last_accepted",
            serde_json::json!(NOW),
        ),
        ("/purchases/total", serde_json::json!(1)),
        ("/purchases/count", serde_json::json!(0)),
        ("/cart/cleared_at", serde_json::json!(NOW)),
        ("/session/last_activity", serde_json::json!(0)),
        ("/views/total", serde_json::json!(0)),
        ("/owned/products/sku-9/first_at", serde_json::json!(NOW)),
        ("/owned/products/sku-9/orders", serde_json::json!(0)),
        ("/owned/products/sku-9/quantity", serde_json::json!(0)),
        ("/habits/first_session", serde_json::Value::Null),
        (
            "/attributes/tier/value",
            serde_json::json!({"text": "x".repeat(MAX_TEXT_LEN + 1)}),
        ),
    ] {
        let mut tampered = base.clone();
        *tampered
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer} is not in the export")) = value;
        let err = Profile::from_export(&tampered.to_string()).expect_err(pointer);
        assert_eq!(err.code(), ErrorCode::DecodeInvalid, "{pointer}: {err}");
        // Plain serde cannot bypass the checks either.
        assert!(
            serde_json::from_value::<Profile>(tampered).is_err(),
            "{pointer} slipped through serde"
        );
    }
}

#[test]
fn every_event_applies_to_the_widest_profile_without_panicking() {
    let widest = widen_every_number(&maximal());
    let now = MAX_TIMESTAMP;
    let kinds = [
        EventKind::SessionStart {
            referrer: None,
            affiliate: None,
        },
        EventKind::PageView { page: None },
        EventKind::ProductView {
            product: "p".into(),
            category: None,
        },
        EventKind::CartAdd {
            product: "p".into(),
            category: None,
            quantity: 1,
            unit_price: MAX_AMOUNT,
        },
        EventKind::CartRemove {
            product: "p".into(),
            quantity: None,
        },
        EventKind::CartClear {},
        purchase(
            "new-order",
            MAX_AMOUNT,
            &[("p", "new-category", MAX_QUANTITY, MAX_AMOUNT)],
        ),
        EventKind::OfferShown { offer: "o".into() },
        EventKind::OfferAccepted { offer: "o".into() },
        EventKind::OfferDismissed { offer: "o".into() },
        EventKind::Identify {
            customer: "someone".into(),
        },
        EventKind::ServiceContact { reason: None },
        EventKind::Complaint { reason: None },
        EventKind::AttributeSet {
            name: "new".into(),
            value: Some(AttrValue::Bool(true)),
        },
        EventKind::ConsentChange {
            purpose: ConsentPurpose::Marketing,
            granted: false,
        },
    ];
    for kind in kinds {
        let mut p = widest.clone();
        let _ = p.apply(&ev(now, kind), now);
        let bytes = p.to_bytes().unwrap();
        assert!(bytes.len() <= MAX_ENCODED_LEN);
        assert_eq!(Profile::from_bytes(&bytes).unwrap(), p);
    }
}
