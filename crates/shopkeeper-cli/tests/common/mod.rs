//! What the command-line tests share: running the command, paths in the repository, temp files.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `shopkeeper` with `args`.
pub fn shopkeeper(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(args)
        .output()
        .unwrap()
}

/// A path in the repository.
pub fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Writes `contents` to a file of this test process and returns its path.
pub fn temp(name: &str, contents: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("shopkeeper-cli-test-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
