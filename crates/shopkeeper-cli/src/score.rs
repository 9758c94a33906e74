//! `shopkeeper score --models M PROFILES...`: every score of each profile, one JSON line each.

use std::path::{Path, PathBuf};

use shopkeeper::score::Models;
use shopkeeper::{Profile, Timestamp};

/// Reads the models and scores every profile of every file (exported profile JSON: one per line,
/// as `shopkeeper profile --jsonl` writes, or a JSON array).
pub fn run(models: &Path, profiles: &[PathBuf], now: Timestamp) -> Result<String, String> {
    let text = crate::read(models)?;
    let models = Models::from_json(&text).map_err(|e| format!("{}: {e}", models.display()))?;
    let mut out = Vec::new();
    for path in profiles {
        let text = crate::read(path)?;
        let values: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .map(|(i, l)| {
                    serde_json::from_str(l)
                        .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
                })
                .collect::<Result<_, _>>()?
        };
        for value in values {
            let profile = Profile::from_export(&value.to_string())
                .map_err(|e| format!("{}: {e}", path.display()))?;
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
