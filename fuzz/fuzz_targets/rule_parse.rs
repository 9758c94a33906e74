//! Any text: the parser returns a tree or a diagnostic, never panics, and the diagnostic renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::rules::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(tree) => drop(tree.to_string()),
        Err(diagnostic) => drop(diagnostic.render(text, "fuzz", 0)),
    }
});
