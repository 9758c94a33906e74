//! Whatever parses prints in the canonical form, which parses back to the same tree and prints
//! the same again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::rules::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tree) = parse(text) else { return };
    let printed = tree.to_string();
    if printed.len() > shopkeeper::rules::limits::MAX_SOURCE_LEN {
        return; // documented: a canonical form over the source limit is not read back
    }
    let reparsed = parse(&printed).unwrap_or_else(|d| panic!("{printed:?} does not parse: {d}"));
    assert_eq!(reparsed, tree, "{printed:?}");
    assert_eq!(reparsed.to_string(), printed);
});
