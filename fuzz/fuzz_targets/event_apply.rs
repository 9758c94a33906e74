//! Any text, line by line, as event JSON applied to one profile: a rejected event changes nothing,
//! nothing panics, and the profile always round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::{Event, Profile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let now = 1_795_000_000;
    let mut profile = Profile::anonymous("fuzz").expect("a valid id");
    for line in text.lines() {
        let Ok(event) = Event::from_json(line) else {
            continue;
        };
        let before = profile.clone();
        if profile.apply(&event, now).is_err() {
            assert_eq!(profile, before, "a rejected event changed the profile");
        }
    }
    let bytes = profile.to_bytes().expect("encodes");
    assert_eq!(Profile::from_bytes(&bytes).expect("decodes"), profile);
});
