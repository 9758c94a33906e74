//! `shopkeeper score --models M PROFILES...`: every score of each profile, one JSON line each.

use std::path::{Path, PathBuf};

use shopkeeper::Timestamp;

/// Reads the models and scores every profile of every file (exported profile JSON: one per line,
/// as `shopkeeper profile --jsonl` writes, or a JSON array).
pub fn run(models: &Path, profiles: &[PathBuf], now: Timestamp) -> Result<String, String> {
    let models = crate::load::models(models)?;
    let mut out = Vec::new();
    for path in profiles {
        for profile in crate::load::profiles(path)? {
            let scores = models.score(&profile, now);
            let mut line = serde_json::json!({ "id": profile.id(), "scores": scores });
            if let (Some(rfm), Some(object)) = (scores.rfm, line["scores"].as_object_mut()) {
                object.insert("segment".into(), rfm.segment().name().into());
            }
            out.push(line.to_string());
        }
    }
    Ok(out.join("\n"))
}
