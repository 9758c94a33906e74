//! Reading the files commands share: exported profiles, catalogs, models.

use std::path::Path;

use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::score::Models;
use shopkeeper::{Profile, Timestamp};

/// Exported profiles: one JSON object per line (as `shopkeeper profile --jsonl` writes), or a JSON
/// array.
pub fn profiles(path: &Path) -> Result<Vec<Profile>, String> {
    let text = crate::read(path)?;
    let values: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
            })
            .collect::<Result<_, _>>()?
    };
    values
        .iter()
        .map(|value| {
            Profile::from_export(&value.to_string()).map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// A models file (`shopkeeper fit --out`).
pub fn models(path: &Path) -> Result<Models, String> {
    Models::from_json(&crate::read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// A catalog with its models (none: empty models): every problem rendered on error, warnings
/// printed to standard error.
pub fn engine(catalog: &Path, models: Option<&Path>, now: Timestamp) -> Result<Engine, String> {
    let compiled = self::catalog(catalog, now)?;
    let models = models.map(self::models).transpose()?.unwrap_or_default();
    Engine::new(compiled, models).map_err(|e| format!("{}: {e}", catalog.display()))
}

/// A compiled catalog: every problem rendered on error, warnings printed to standard error.
pub fn catalog(path: &Path, now: Timestamp) -> Result<Catalog, String> {
    let name = path.display().to_string();
    let compiled = Catalog::compile(&crate::read(path)?, now)
        .map_err(|problems| with_file(&problems.render(), &name))?;
    for warning in compiled.warnings() {
        eprint!("{}", with_file(&warning.render(), &name));
    }
    Ok(compiled)
}

/// Names the catalog file in rendered problems (`--> offers["x"].eligibility:1:5` becomes
/// `--> catalog.json: offers["x"].eligibility:1:5`).
pub fn with_file(rendered: &str, file: &str) -> String {
    rendered
        .replace("--> ", &format!("--> {file}: "))
        .replace("]: catalog: ", &format!("]: {file}: "))
}
