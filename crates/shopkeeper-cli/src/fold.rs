//! `shopkeeper profile`: fold a JSON Lines event stream into profiles.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use shopkeeper::fleet::Directory;
use shopkeeper::listen::Listener;
use shopkeeper::{Error, ErrorCode, Event, Outcome, Profile, Timestamp};

/// Counts for the closing summary.
#[derive(Default)]
struct Tally {
    recorded: usize,
    ignored: usize,
    rejected: usize,
}

/// One input line.
pub enum Line {
    /// An event plus `"profile"`, the id of the profile it belongs to, and optionally
    /// `"anonymous": true` when that id is an anonymous visitor's.
    Event {
        profile: String,
        anonymous: bool,
        event: Event,
    },
    /// `"type": "decide"` (in `shopkeeper replay`): a decision request for the profile.
    Decide {
        profile: String,
        anonymous: bool,
        request: shopkeeper::decide::DecisionRequest,
    },
}

/// Reads one input line.
pub fn parse(line: &str) -> Result<Line, Error> {
    let invalid = |message: &str| Error::new(ErrorCode::InvalidJson, message);
    let mut value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        invalid(message).at(e.line(), e.column())
    })?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| invalid("a line must be a JSON object"))?;
    let profile = match object.remove("profile") {
        Some(serde_json::Value::String(id)) => id,
        Some(_) => return Err(invalid("\"profile\" must be a string")),
        None => {
            return Err(invalid(
                "missing field `profile` (the id of the profile the event belongs to)",
            ))
        }
    };
    let anonymous = match object.remove("anonymous") {
        None => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(_) => return Err(invalid("\"anonymous\" must be true or false")),
    };
    if object.get("type").and_then(|t| t.as_str()) == Some("decide") {
        // The core's request form, with the stream's `at` as its `now`.
        object.remove("type");
        if object.contains_key("now") {
            return Err(invalid(
                "a decision request in a stream has `at` (seconds since the epoch), not `now`",
            ));
        }
        if let Some(at) = object.remove("at") {
            object.insert("now".into(), at);
        }
        let request = shopkeeper::decide::DecisionRequest::from_json(&value.to_string())?;
        if request.now.is_none() {
            return Err(invalid(
                "a decision request needs `at` (seconds since the epoch)",
            ));
        }
        return Ok(Line::Decide {
            profile,
            anonymous,
            request,
        });
    }
    let event = Event::from_json(&value.to_string())?;
    Ok(Line::Event {
        profile,
        anonymous,
        event,
    })
}

/// Folds `path` and prints the profiles; `Ok(false)` if any line was rejected. Messages' text is
/// heard by `listener`.
pub fn run(
    path: &Path,
    now: Timestamp,
    jsonl: bool,
    listener: &Listener<'_>,
) -> Result<bool, String> {
    let name = path.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            File::open(path).map_err(|e| format!("cannot open {name}: {e}"))?,
        ))
    };
    let mut profiles = Directory::new();
    let mut tally = Tally::default();
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {name}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        match fold_line(&mut profiles, &line, now, listener) {
            Ok(Outcome::Recorded) => tally.recorded += 1,
            Ok(Outcome::Ignored(_)) => tally.ignored += 1,
            Err(e) => {
                tally.rejected += 1;
                let column = e
                    .location()
                    .map(|(_, column)| format!(":{column}"))
                    .unwrap_or_default();
                eprintln!(
                    "{name}:{}{column}: error[{}]: {}",
                    index + 1,
                    e.code(),
                    e.message()
                );
            }
        }
    }
    let all = profiles.into_profiles();
    print(&all, jsonl).map_err(|e| format!("cannot write: {e}"))?;
    eprintln!(
        "shopkeeper: {} profiles; {} events recorded, {} ignored, {} rejected",
        all.len(),
        tally.recorded,
        tally.ignored,
        tally.rejected
    );
    Ok(tally.rejected == 0)
}

fn fold_line(
    profiles: &mut Directory,
    line: &str,
    now: Timestamp,
    listener: &Listener<'_>,
) -> Result<Outcome, Error> {
    match parse(line)? {
        Line::Event {
            profile,
            anonymous,
            event,
        } => profiles.apply(&profile, anonymous, &event, now, listener, |_, _| ()),
        Line::Decide { .. } => Err(Error::new(
            ErrorCode::InvalidJson,
            "a decision request: `shopkeeper replay` plays those",
        )),
    }
}

fn print(profiles: &[Profile], jsonl: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let exports: Vec<String> = profiles
        .iter()
        .map(|p| p.export().map_err(io::Error::other))
        .collect::<Result<_, _>>()?;
    if jsonl {
        for export in exports {
            writeln!(out, "{export}")?;
        }
    } else {
        let values: Vec<serde_json::Value> = exports
            .iter()
            .map(|e| serde_json::from_str(e))
            .collect::<Result<_, _>>()?;
        serde_json::to_writer_pretty(&mut out, &values)?;
        writeln!(out)?;
    }
    Ok(())
}
