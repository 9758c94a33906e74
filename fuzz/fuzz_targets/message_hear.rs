//! A message heard by intents and a sentiment model built from the input (`phrases`, one per
//! line; `--`; a `word<TAB>valence` lexicon; `--`; the text): compiling either may fail, hearing
//! never panics; a sentiment is within [-1, 1]; intents are declared ones, sorted, each once; a
//! message folded with the listener survives the profile's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::listen::Sentiment;
use shopkeeper::score::Models;
use shopkeeper::{Channel, Direction, ErrorCode, Event, EventKind, Profile};

const NOW: i64 = 1_732_406_400;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = input.splitn(3, "\n--\n");
    let (phrases, lexicon, text) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let mut intents = serde_json::Map::new();
    for (i, phrase) in phrases.lines().enumerate() {
        let list = intents
            .entry(format!("i{}", i % 3))
            .or_insert_with(|| serde_json::json!([]));
        list.as_array_mut().unwrap().push(phrase.into());
    }
    let catalog = serde_json::json!({
        "version": "fuzz", "intents": intents, "default": {"id": "d"}, "offers": []
    });
    let Ok(catalog) = Catalog::compile(&catalog.to_string(), 0) else {
        return;
    };
    let mut models = Models::default();
    if let Ok((sentiment, _)) = Sentiment::from_lexicon(lexicon) {
        models.sentiment = Some(sentiment);
    }
    let engine = Engine::new(catalog, models).unwrap();
    match engine.hear(text) {
        Ok(heard) => {
            if let Some(s) = heard.sentiment {
                assert!((-1.0..=1.0).contains(&s), "sentiment {s}");
            }
            assert!(
                heard.intents.windows(2).all(|w| w[0] < w[1]),
                "{:?}",
                heard.intents
            );
            assert!(heard
                .intents
                .iter()
                .all(|i| engine.catalog().intents().declares(i)));
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::TooLong),
    }
    let mut profile = Profile::known("c").unwrap();
    let message = EventKind::Message {
        direction: Direction::Inbound,
        text: Some(text.into()),
        sentiment: None,
        intents: Default::default(),
        product: None,
        rating: None,
    };
    let event = Event::new(NOW, Channel::Chat, message);
    if profile.apply_with(&event, NOW, &engine.listener()).is_ok() {
        let bytes = profile.to_bytes().unwrap();
        assert_eq!(Profile::from_bytes(&bytes).unwrap(), profile);
    }
});
