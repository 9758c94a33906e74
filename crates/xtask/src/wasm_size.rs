//! What the npm package's .wasm weighs, and where the bytes come from.
//!
//! The size is measured where a shop page pays it: the shipped module, gzipped (`gzip -9`). The
//! build fails when it passes [`BUDGET_GZIPPED`], a deterministic check (unlike a timing). The
//! per-crate table reads the function names that rustc leaves in the module before wasm-bindgen
//! and wasm-opt strip them, so it says which crate to cut next.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};

/// The most the browser module may weigh, gzipped: what the build reaches today plus about 1%
/// for drift (the toolchain is not pinned: a new rustc may move it). Lower it when a change makes
/// the module smaller. Predictors (learning per bin, their receipts and the learner's version 2)
/// took it from 506,514 to 534,335 bytes.
pub const BUDGET_GZIPPED: u64 = 540_000;

/// How many crates the table lists before it sums the rest.
const ROWS: usize = 14;

/// The size of `module`, raw and gzipped (`gzip -9 -n`: no name or time in the header), in
/// bytes. A gzip that fails is an error, never a size of 0.
pub fn measure(module: &Path) -> Result<(u64, u64), String> {
    let raw = std::fs::metadata(module)
        .map_err(|e| format!("cannot read {}: {e}", module.display()))?
        .len();
    let gzip = Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .arg(module)
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !gzip.status.success() || gzip.stdout.is_empty() {
        return Err(format!(
            "gzip -9 -n -c {} failed ({}): {}",
            module.display(),
            gzip.status,
            String::from_utf8_lossy(&gzip.stderr)
        ));
    }
    Ok((raw, gzip.stdout.len() as u64))
}

/// Fails when the gzipped `module` weighs more than [`BUDGET_GZIPPED`].
pub fn check_budget(module: &Path) -> Result<(), String> {
    let (raw, gzipped) = measure(module)?;
    println!(
        "{}: {raw} bytes raw ({:.1} KiB), {gzipped} bytes gzipped ({:.1} KiB; budget {BUDGET_GZIPPED})",
        module.display(),
        raw as f64 / 1024.0,
        gzipped as f64 / 1024.0
    );
    if gzipped > BUDGET_GZIPPED {
        return Err(format!(
            "the browser module is {gzipped} bytes gzipped, over its budget of {BUDGET_GZIPPED} (crates/xtask/src/wasm_size.rs): see the table above for where the bytes are"
        ));
    }
    Ok(())
}

/// Prints the bytes of `module` (as rustc wrote it, with its name section) by crate, largest
/// first: function bodies by the crate their name starts with, the core's serde implementations
/// apart, then data and the other sections.
pub fn print_by_crate(module: &Path) -> Result<(), String> {
    let bytes =
        std::fs::read(module).map_err(|e| format!("cannot read {}: {e}", module.display()))?;
    let mut rows: Vec<(String, u64)> = by_crate(&bytes)?.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!(
        "bytes by crate in {} ({} bytes, before wasm-bindgen and wasm-opt):",
        module.display(),
        bytes.len()
    );
    let rest: u64 = rows.iter().skip(ROWS).map(|(_, size)| size).sum();
    for (owner, size) in rows.iter().take(ROWS) {
        println!("  {size:>9}  {owner}");
    }
    println!("  {rest:>9}  ({} more)", rows.len().saturating_sub(ROWS));
    Ok(())
}

fn span(range: std::ops::Range<u64>) -> u64 {
    range.end - range.start
}

/// Bytes by owner: function bodies by crate, data, each custom section, the rest.
fn by_crate(bytes: &[u8]) -> Result<BTreeMap<String, u64>, String> {
    let malformed = |e: wasmparser::BinaryReaderError| format!("cannot read the module: {e}");
    let mut imported = 0u32;
    let mut bodies: Vec<u64> = Vec::new();
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    let mut accounted = 0u64;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(malformed)? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.map_err(malformed)?.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let size = span(body.range());
                accounted += size;
                bodies.push(size);
            }
            Payload::DataSection(data) => {
                let size = span(data.range());
                accounted += size;
                *sizes.entry("(data)".into()).or_default() += size;
            }
            Payload::CustomSection(section) => {
                if let KnownCustom::Name(reader) = section.as_known() {
                    for name in reader {
                        if let Name::Function(map) = name.map_err(malformed)? {
                            for naming in map {
                                let naming = naming.map_err(malformed)?;
                                let name = rustc_demangle::demangle(naming.name);
                                names.insert(naming.index, format!("{name:#}"));
                            }
                        }
                    }
                }
                let size = span(section.range());
                accounted += size;
                let key = format!("(custom section {})", section.name());
                *sizes.entry(key).or_default() += size;
            }
            _ => {}
        }
    }
    for (index, size) in (imported..).zip(&bodies) {
        let name = names.get(&index).map_or("", String::as_str);
        *sizes.entry(owner(name)).or_default() += size;
    }
    let other = (bytes.len() as u64).saturating_sub(accounted);
    *sizes.entry("(other sections)".into()).or_default() += other;
    Ok(sizes)
}

/// The crate a demangled function name belongs to: its first path segment, looking through the
/// `<` of a trait implementation (`<T as Trait>` with a generic or primitive `T` counts as the
/// trait's crate, `<path::Type as Trait>` as the type's); the core's serde
/// implementations count apart, as they are the part a hand-written reader would replace.
fn owner(name: &str) -> String {
    let mut path = name.trim_start_matches(['<', '&', '*', '(', ' ']);
    for prefix in ["mut ", "const ", "dyn ", "["] {
        path = path.trim_start_matches(prefix);
    }
    // `<F as core::ops::FnOnce>::call_once`: a generic parameter counts as the trait's crate.
    if let Some((own, trait_path)) = path.split_once(" as ") {
        if !own.contains("::") {
            path = trait_path;
        }
    }
    let krate = path.split("::").next().unwrap_or(path);
    let krate = krate
        .split(['<', '>', ' ', '(', ']', ';'])
        .next()
        .unwrap_or(krate);
    match krate {
        "" => "(unnamed)".into(),
        // Inherent methods of primitives and slices (`<str>::to_lowercase`, `<[T]>::sort`).
        "str" | "T" | "f32" | "f64" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8"
        | "i16" | "i32" | "i64" | "i128" | "isize" | "char" | "bool" => "core".into(),
        "shopkeeper" if name.contains("serde") => "shopkeeper (serde impls)".into(),
        _ => krate.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn names_belong_to_their_crate() {
        assert_eq!(owner("shopkeeper::rules::Rule::eval"), "shopkeeper");
        assert_eq!(
            owner("<shopkeeper::event::Event as serde_core::de::Deserialize>::deserialize"),
            "shopkeeper (serde impls)"
        );
        assert_eq!(
            owner("<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct"),
            "serde_json"
        );
        assert_eq!(owner("<T as alloc::string::ToString>::to_string"), "alloc");
        assert_eq!(owner("<F as core::ops::FnOnce<()>>::call_once"), "core");
        assert_eq!(owner("<str>::to_lowercase"), "core");
        assert_eq!(owner("<[T]>::sort_by"), "core");
        assert_eq!(owner(""), "(unnamed)");
    }
}
