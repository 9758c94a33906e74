//! `Event::from_json` against the derived reader it replaced (`src/event/read.rs` says why): over
//! a seeded corpus of event texts, valid ones of every type and mutations of them, both accept the
//! same texts, build equal events, and reject with the same code, message and position.

use shopkeeper::limits::{MAX_LIST_ITEMS, MAX_MESSAGE_INTENTS, MAX_PURCHASE_LINES};
use shopkeeper::{ErrorCode, Event, EventKind};

#[path = "event_reader/reference.rs"]
mod reference;

use reference::reference_from_json;

/// SplitMix64: the corpus is the same on every run and platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// One `"key": value` of an event's object, both as JSON text.
type Entry = (String, String);

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

const TYPES: [&str; 16] = [
    "session_start",
    "page_view",
    "product_view",
    "cart_add",
    "cart_remove",
    "cart_clear",
    "purchase",
    "offer_shown",
    "offer_accepted",
    "offer_dismissed",
    "identify",
    "service_contact",
    "complaint",
    "attribute_set",
    "consent_change",
    "message",
];

/// Every field name of any type, and a few near misses.
const KEYS: [&str; 30] = [
    "at",
    "channel",
    "type",
    "referrer",
    "affiliate",
    "page",
    "product",
    "category",
    "quantity",
    "unit_price",
    "order",
    "lines",
    "total",
    "offer",
    "customer",
    "reason",
    "name",
    "value",
    "purpose",
    "granted",
    "direction",
    "text",
    "sentiment",
    "intents",
    "rating",
    "referer",
    "x",
    "Type",
    "",
    "at ",
];

/// Values of every JSON shape, with numbers and strings at the edges of the fields' types.
const JUNK: [&str; 44] = [
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "3",
    "15",
    "16",
    "255",
    "256",
    "1.5",
    "-0",
    "1e3",
    "4294967295",
    "4294967296",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    r#""""#,
    r#""s""#,
    r#""cart_add""#,
    r#""inbound""#,
    r#""marketing""#,
    r#""\u00e9""#,
    r#""\ud800""#,
    "[]",
    "[1]",
    r#"["a"]"#,
    r#"["a", "b"]"#,
    "[null]",
    "{}",
    r#"{"a": 1}"#,
    r#"{"inbound": null}"#,
    r#"{"inbound": {}}"#,
    r#"{"inbound": 1}"#,
    r#"{"inbound": null, "outbound": null}"#,
    r#"{"marketing": null}"#,
    r#"{"bogus": null}"#,
    "[[[[[]]]]]",
    r#"{"product": "p", "unit_price": 1}"#,
    r#"["p", null, 2, 100]"#,
    "[1, 2, 3, 4, 5]",
];

fn junk(rng: &mut Rng) -> String {
    match rng.below(50) {
        0 => "[".repeat(130) + &"]".repeat(130), // past serde_json's nesting limit
        1 => format!("{:?}", rng.next() as f64 / 7.0),
        _ => rng.pick(&JUNK).to_string(),
    }
}

fn id(rng: &mut Rng) -> String {
    quoted(rng.pick(&["sku-1", "o-1", "x", "é", "a\"b", "offer\n2", "ü-ñ", "9"]))
}

/// An optional field: absent, `null` or a value.
fn maybe(rng: &mut Rng, entries: &mut Vec<Entry>, key: &str, value: String) {
    match rng.below(10) {
        0..=4 => {}
        5 | 6 => entries.push((quoted(key), "null".into())),
        _ => entries.push((quoted(key), value)),
    }
}

fn line(rng: &mut Rng) -> String {
    let category = match rng.below(3) {
        0 => "null".into(),
        _ => quoted("shoes"),
    };
    if rng.chance(10) {
        let mut items = vec![id(rng), category, format!("{}", 1 + rng.below(3))];
        items.push(format!("{}", rng.below(10_000)));
        items.truncate(1 + rng.below(4));
        return format!("[{}]", items.join(", "));
    }
    let mut fields = vec![(quoted("product"), id(rng))];
    maybe(rng, &mut fields, "category", category);
    if rng.chance(60) {
        fields.push((quoted("quantity"), format!("{}", 1 + rng.below(5))));
    }
    fields.push((quoted("unit_price"), format!("{}", rng.below(100_000))));
    object(rng, &fields)
}

fn lines(rng: &mut Rng, n: usize) -> String {
    let items: Vec<String> = (0..n).map(|_| line(rng)).collect();
    format!("[{}]", items.join(", "))
}

fn strings(rng: &mut Rng, n: usize) -> String {
    let items: Vec<String> = (0..n).map(|_| id(rng)).collect();
    format!("[{}]", items.join(", "))
}

fn object(rng: &mut Rng, entries: &[Entry]) -> String {
    let space = [" ", "", "\n", " \t"][rng.below(4)];
    let items: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{k}:{space}{v}"))
        .collect();
    format!("{{{}}}", items.join(&format!(",{space}")))
}

/// A valid event of type `kind` (an index in [`TYPES`]), its entries in a random order.
fn valid(rng: &mut Rng, kind: usize) -> Vec<Entry> {
    let mut e: Vec<Entry> = Vec::new();
    let put = |e: &mut Vec<Entry>, k: &str, v: String| e.push((quoted(k), v));
    put(
        &mut e,
        "at",
        format!("{}", 1_700_000_000 + rng.below(100_000_000)),
    );
    let channel = rng.pick(&[
        "web",
        "mobile",
        "store",
        "pos",
        "contact_centre",
        "contact_center",
        "email",
        "kiosk",
        "chat",
        "social",
    ]);
    let channel = match rng.below(10) {
        0 => format!("{{{}: null}}", quoted(channel)),
        _ => quoted(channel),
    };
    put(&mut e, "channel", channel);
    let tag = match rng.below(10) {
        0 => format!("{kind}"),
        _ => quoted(TYPES[kind]),
    };
    put(&mut e, "type", tag);
    let text = |rng: &mut Rng| quoted(rng.pick(&["gadgets.com", "home", "late", "Hi there!"]));
    match TYPES[kind] {
        "session_start" => {
            let (r, a) = (text(rng), text(rng));
            maybe(rng, &mut e, "referrer", r);
            maybe(rng, &mut e, "affiliate", a);
        }
        "page_view" => {
            let p = text(rng);
            maybe(rng, &mut e, "page", p);
        }
        "product_view" | "cart_add" => {
            put(&mut e, "product", id(rng));
            maybe(rng, &mut e, "category", quoted("shoes"));
            if TYPES[kind] == "cart_add" {
                if rng.chance(50) {
                    put(&mut e, "quantity", format!("{}", rng.below(20)));
                }
                put(&mut e, "unit_price", format!("{}", rng.below(100_000)));
            }
        }
        "cart_remove" => {
            put(&mut e, "product", id(rng));
            let q = format!("{}", rng.below(20));
            maybe(rng, &mut e, "quantity", q);
        }
        "purchase" => {
            put(&mut e, "order", id(rng));
            let n = rng.below(4);
            put(&mut e, "lines", lines(rng, n));
            put(&mut e, "total", format!("{}", rng.below(100_000)));
        }
        "offer_shown" | "offer_accepted" | "offer_dismissed" => put(&mut e, "offer", id(rng)),
        "identify" => put(&mut e, "customer", id(rng)),
        "cart_clear" => {}
        "service_contact" | "complaint" => {
            let r = text(rng);
            maybe(rng, &mut e, "reason", r);
        }
        "attribute_set" => {
            put(&mut e, "name", quoted("tier"));
            let values = ["null", "true", "false", "-3", "1.5", r#""gold""#, "[]"];
            let value = match rng.below(8) {
                7 => {
                    let n = rng.below(MAX_LIST_ITEMS + 1);
                    strings(rng, n)
                }
                i => values[i].to_string(),
            };
            put(&mut e, "value", value);
        }
        "consent_change" => {
            let purpose = rng.pick(&["personalization", "marketing"]);
            let purpose = match rng.below(6) {
                0 => format!("{{{}: null}}", quoted(purpose)),
                1 => format!("{{{}: {{}}}}", quoted(purpose)),
                _ => quoted(purpose),
            };
            put(&mut e, "purpose", purpose);
            put(&mut e, "granted", rng.pick(&["true", "false"]).into());
        }
        _ => {
            let direction = rng.pick(&["inbound", "outbound"]);
            let direction = match rng.below(6) {
                0 => format!("{{{}: null}}", quoted(direction)),
                _ => quoted(direction),
            };
            put(&mut e, "direction", direction);
            let t = text(rng);
            maybe(rng, &mut e, "text", t);
            let s = rng.pick(&["-1", "0", "1", "0.25", "-0.5"]).to_string();
            maybe(rng, &mut e, "sentiment", s);
            if rng.chance(40) {
                let n = rng.below(MAX_MESSAGE_INTENTS + 1);
                put(&mut e, "intents", strings(rng, n));
            }
            let p = id(rng);
            maybe(rng, &mut e, "product", p);
            let r = format!("{}", 1 + rng.below(5));
            maybe(rng, &mut e, "rating", r);
        }
    }
    shuffle(rng, &mut e);
    e
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// A bad purchase line: unknown, duplicate or missing fields, wrong types, wrong lengths.
fn bad_line(rng: &mut Rng) -> String {
    let options = [
        r#"{"product": "p", "unit_price": 1, "x": 1}"#,
        r#"{"product": "p", "product": "q", "unit_price": 1}"#,
        r#"{"unit_price": 1}"#,
        r#"{"product": "p"}"#,
        r#"{"product": null, "unit_price": 1}"#,
        r#"{"product": "p", "unit_price": 1, "quantity": null}"#,
        r#"{"product": "p", "unit_price": 1.5}"#,
        r#"{"product": "p", "unit_price": 1, "quantity": -1}"#,
        r#"{"product": "p", "unit_price": 1, "category": 5}"#,
        r#"["p", null, 2, 100, 5]"#,
        r#"["p", null]"#,
        r#"[]"#,
        r#"[5]"#,
        r#"null"#,
        r#""p""#,
        r#"7"#,
    ];
    rng.pick(&options).to_string()
}

/// Changes `entries` in one way that usually makes the event invalid.
fn mutate(rng: &mut Rng, entries: &mut Vec<Entry>) {
    let n = entries.len();
    let at = |rng: &mut Rng| rng.below(n + 1);
    match rng.below(9) {
        0 if n > 0 => {
            entries.remove(rng.below(n));
        }
        1 if n > 0 => {
            let (key, value) = entries[rng.below(n)].clone();
            let value = if rng.chance(50) { value } else { junk(rng) };
            entries.insert(at(rng), (key, value));
        }
        2 => {
            let key = quoted(rng.pick(&KEYS));
            let value = if rng.chance(50) { junk(rng) } else { id(rng) };
            entries.insert(at(rng), (key, value));
        }
        3 if n > 0 => entries[rng.below(n)].1 = junk(rng),
        4 => {
            let has = |key: &str| entries.iter().any(|(k, _)| *k == quoted(key));
            let which = ["lines", "intents", "value"]
                .iter()
                .position(|k| has(k) && rng.chance(80))
                .unwrap_or_else(|| rng.below(3));
            let (key, value) = match which {
                0 => {
                    let n = MAX_PURCHASE_LINES + 1 + rng.below(3);
                    let mut items: Vec<String> = (0..n).map(|_| line(rng)).collect();
                    if rng.chance(30) {
                        let i = rng.below(n);
                        items[i] = bad_line(rng);
                    }
                    ("lines", format!("[{}]", items.join(",")))
                }
                1 => {
                    let n = MAX_MESSAGE_INTENTS + 1 + rng.below(3);
                    ("intents", strings(rng, n))
                }
                _ => {
                    let n = MAX_LIST_ITEMS + 1 + rng.below(3);
                    ("value", strings(rng, n))
                }
            };
            put_or_replace(rng, entries, key, value);
        }
        5 => {
            let n = 1 + rng.below(4);
            let mut items: Vec<String> = (0..n).map(|_| line(rng)).collect();
            items[rng.below(n)] = bad_line(rng);
            put_or_replace(rng, entries, "lines", format!("[{}]", items.join(", ")));
        }
        6 => {
            let tag = match rng.below(4) {
                0 => quoted(rng.pick(&["bogus", "Cart_add", "decide", ""])),
                1 => format!("{}", rng.below(20)),
                _ => junk(rng),
            };
            put_or_replace(rng, entries, "type", tag);
        }
        7 => {
            let i = rng.below(n.max(1));
            let key = quoted(rng.pick(&["intents", "value"]));
            let items = ["\"a\"", "1", "null", "[]", "{}"];
            let list: Vec<&str> = (0..1 + rng.below(4)).map(|_| rng.pick(&items)).collect();
            entries.insert(i.min(n), (key, format!("[{}]", list.join(", "))));
        }
        _ => shuffle(rng, entries),
    }
}

fn put_or_replace(rng: &mut Rng, entries: &mut Vec<Entry>, key: &str, value: String) {
    let key = quoted(key);
    match entries.iter().position(|(k, _)| *k == key) {
        Some(i) if rng.chance(80) => entries[i].1 = value,
        _ => {
            let i = rng.below(entries.len() + 1);
            entries.insert(i, (key, value));
        }
    }
}

/// Breaks the text itself: cut, a stray character, trailing input, a bad token.
fn damage(rng: &mut Rng, text: String) -> String {
    let boundary = |rng: &mut Rng, text: &str| {
        let mut i = rng.below(text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match rng.below(4) {
        0 => {
            let i = boundary(rng, &text);
            text[..i].to_string()
        }
        1 => {
            let i = boundary(rng, &text);
            let c = rng.pick(&[",", ":", "{", "}", "[", "]", "\"", "x", "1", " ", "\\"]);
            format!("{}{c}{}", &text[..i], &text[i..])
        }
        2 => text + rng.pick(&[" ", "x", "{}", " 1", "\n\n"]),
        _ => rng
            .pick(&["", "[]", "null", "1", "\"event\"", "{", "{}"])
            .to_string(),
    }
}

/// The corpus: `n` texts from `seed`.
fn corpus(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let mut entries = valid(&mut rng, i % TYPES.len());
            let mutations = [0, 0, 0, 1, 1, 1, 2, 2, 3][rng.below(9)];
            for _ in 0..mutations {
                mutate(&mut rng, &mut entries);
            }
            let text = object(&mut rng, &entries);
            if rng.chance(4) {
                damage(&mut rng, text)
            } else {
                text
            }
        })
        .collect()
}

/// What kinds of rejection the corpus must reach, by the start of their message (syntax errors
/// are the rest).
const REJECTIONS: [&str; 8] = [
    "unknown field",
    "duplicate field",
    "missing field",
    "unknown variant",
    "invalid type",
    "invalid value",
    "invalid length",
    "limit",
];

#[test]
fn the_reader_accepts_and_rejects_what_the_derived_one_did() {
    let started = std::time::Instant::now();
    let texts = corpus(0x5EED_E7E7, 100_000);
    let mut accepted = [0usize; TYPES.len()];
    let mut rejected = [0usize; REJECTIONS.len() + 1];
    for text in &texts {
        let expected = reference_from_json(text);
        let got = Event::from_json(text);
        match (&expected, &got) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{text}");
                accepted[TYPES.iter().position(|t| *t == b.kind.type_name()).unwrap()] += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(
                    (a.code(), a.message(), a.location()),
                    (b.code(), b.message(), b.location()),
                    "{text}"
                );
                let kind = match a.code() {
                    ErrorCode::LimitExceeded => REJECTIONS.len() - 1,
                    _ => REJECTIONS
                        .iter()
                        .position(|r| a.message().starts_with(r))
                        .unwrap_or(REJECTIONS.len()),
                };
                rejected[kind] += 1;
            }
            _ => panic!("{text}\nderived: {expected:?}\nnew: {got:?}"),
        }
    }
    let distinct: std::collections::HashSet<&String> = texts.iter().collect();
    eprintln!(
        "{} texts ({} distinct) in {:.1?}: accepted by type {accepted:?}; rejected by kind {rejected:?} ({REJECTIONS:?}, then syntax)",
        texts.len(),
        distinct.len(),
        started.elapsed()
    );
    // The corpus reaches every type and every kind of rejection, often.
    assert!(accepted.iter().all(|&n| n >= 1_000), "{accepted:?}");
    assert!(rejected.iter().all(|&n| n >= 20), "{rejected:?}");
}

#[test]
fn forms_the_derived_reader_took_are_still_read() {
    // A type by its index, a channel or an enum as a one-key map, a purchase line as an array.
    let text = r#"{"at": 1, "channel": {"web": null}, "type": 3, "product": "p", "unit_price": 5}"#;
    let expected = EventKind::CartAdd {
        product: "p".into(),
        category: None,
        quantity: 1,
        unit_price: 5,
    };
    assert_eq!(Event::from_json(text).unwrap().kind, expected);
    let text = r#"{"at": 1, "channel": "web", "type": "message", "direction": {"inbound": {}}}"#;
    assert!(Event::from_json(text).is_ok());
    let text = r#"{"at": 1, "channel": "web", "type": "purchase", "order": "o", "total": 5,
        "lines": [["p", null, 2, 5], ["q"]]}"#;
    let err = Event::from_json(text).unwrap_err();
    assert_eq!(
        err.message(),
        "invalid length 3, expected struct PurchaseLine with 4 elements"
    );
    // A list past its cap is reported with its whole length, after the rest of the text.
    let lines = vec![r#"{"product": "p", "unit_price": 1}"#; MAX_PURCHASE_LINES + 5].join(",");
    let text = format!(
        r#"{{"at": 1, "channel": "web", "type": "purchase", "lines": [{lines}], "order": "o"}}"#
    );
    let err = Event::from_json(&text).unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
    assert_eq!(err.message(), "105 items, more than the cap of 100");
    let err = Event::from_json(&text.replace(r#""order": "o""#, r#""order": "o", "at": 2"#));
    assert_eq!(err.unwrap_err().message(), "duplicate field `at`");
}

/// Every type with every field set reads back as itself: a field added to a type (this literal
/// then fails to compile until it is written here) must be known to the hand-written reader too.
#[test]
fn every_field_of_every_type_reads_back() {
    use shopkeeper::{AttrValue, Channel, ConsentPurpose, Direction, PurchaseLine};
    let text = |s: &str| Some(s.to_string());
    let kinds = [
        EventKind::SessionStart {
            referrer: text("news.example"),
            affiliate: text("partner"),
        },
        EventKind::PageView { page: text("home") },
        EventKind::ProductView {
            product: "tent".into(),
            category: text("outdoor"),
        },
        EventKind::CartAdd {
            product: "tent".into(),
            category: text("outdoor"),
            quantity: 2,
            unit_price: 19_900,
        },
        EventKind::CartRemove {
            product: "tent".into(),
            quantity: Some(1),
        },
        EventKind::CartClear {},
        EventKind::Purchase {
            order: "o-1".into(),
            lines: vec![PurchaseLine {
                product: "tent".into(),
                category: text("outdoor"),
                quantity: 1,
                unit_price: 19_900,
            }]
            .try_into()
            .unwrap(),
            total: 18_000,
        },
        EventKind::OfferShown { offer: "a".into() },
        EventKind::OfferAccepted { offer: "a".into() },
        EventKind::OfferDismissed { offer: "a".into() },
        EventKind::Identify {
            customer: "c-1".into(),
        },
        EventKind::ServiceContact {
            reason: text("late"),
        },
        EventKind::Complaint {
            reason: text("broken"),
        },
        EventKind::AttributeSet {
            name: "tier".into(),
            value: Some(AttrValue::Text("gold".into())),
        },
        EventKind::ConsentChange {
            purpose: ConsentPurpose::Personalization,
            granted: true,
        },
        EventKind::Message {
            direction: Direction::Inbound,
            text: text("where is my order?"),
            sentiment: Some(-0.25),
            intents: vec!["where_is_my_order".to_string()].try_into().unwrap(),
            product: text("tent"),
            rating: Some(2),
        },
    ];
    for kind in kinds {
        let event = Event::new(1_700_000_000, Channel::Web, kind);
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(Event::from_json(&json).unwrap(), event, "{json}");
        assert_eq!(reference_from_json(&json).unwrap(), event, "{json}");
    }
}
