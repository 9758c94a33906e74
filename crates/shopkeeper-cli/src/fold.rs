//! `shopkeeper profile`: fold a JSON Lines event stream into profiles.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use shopkeeper::listen::Listener;
use shopkeeper::profile::Mark;
use shopkeeper::{Error, ErrorCode, Event, EventKind, Outcome, Profile, Timestamp};

/// Profiles by id, with the anonymous ids that were merged into them as aliases.
#[derive(Default)]
pub struct Profiles {
    profiles: Vec<Option<Profile>>,
    by_id: HashMap<String, usize>,
}

impl Profiles {
    /// The profile `id` belongs to, created (known or anonymous) if new.
    fn slot(&mut self, id: &str, anonymous: bool) -> Result<usize, Error> {
        if let Some(&slot) = self.by_id.get(id) {
            return Ok(slot);
        }
        let profile = Profile::new(id, !anonymous)?;
        self.profiles.push(Some(profile));
        let slot = self.profiles.len() - 1;
        self.by_id.insert(id.to_owned(), slot);
        Ok(slot)
    }

    /// After `slot` identified as a known customer: merge it with that customer's profile, if any.
    fn after_identify(&mut self, slot: usize) -> Result<(), Error> {
        let Some(id) = self.profiles[slot].as_ref().map(|p| p.id().to_owned()) else {
            return Ok(());
        };
        match self.by_id.get(&id).copied() {
            Some(other) if other != slot => {
                let visitor = self.profiles[slot].take();
                if let (Some(known), Some(visitor)) =
                    (self.profiles[other].as_mut(), visitor.as_ref())
                {
                    if let Err(e) = known.merge(visitor) {
                        self.profiles[slot] = Some(visitor.clone());
                        return Err(e);
                    }
                }
                for target in self.by_id.values_mut().filter(|t| **t == slot) {
                    *target = other;
                }
            }
            Some(_) => {}
            None => {
                self.by_id.insert(id, slot);
            }
        }
        Ok(())
    }

    /// The profile of `id` (an alias of a merged visitor leads to the customer's).
    pub fn get(&mut self, id: &str, anonymous: bool) -> Result<&mut Profile, Error> {
        let slot = self.slot(id, anonymous)?;
        self.profiles[slot].as_mut().ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                "a customer id was routed to a merged profile",
            )
        })
    }

    /// Applies `event` to the profile of `id`, a message's text heard by `listener`, and hands
    /// `record` the profile's mark before and the profile after (for live statistics); an
    /// identify merges the visitor into the customer (a merge is not recorded: both profiles'
    /// activity was recorded where it happened).
    pub fn apply(
        &mut self,
        id: &str,
        anonymous: bool,
        event: &Event,
        now: Timestamp,
        listener: &Listener<'_>,
        record: impl FnOnce(Mark, &Profile),
    ) -> Result<Outcome, Error> {
        let slot = self.slot(id, anonymous)?;
        let profile = self.get(id, anonymous)?;
        let before = profile.mark();
        let outcome = profile.apply_with(event, now, listener)?;
        record(before, profile);
        if outcome == Outcome::Recorded && matches!(event.kind, EventKind::Identify { .. }) {
            self.after_identify(slot)?;
        }
        Ok(outcome)
    }

    fn into_sorted(self) -> Vec<Profile> {
        let mut all: Vec<Profile> = self.profiles.into_iter().flatten().collect();
        all.sort_by(|a, b| a.id().cmp(b.id()));
        all
    }
}

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
    let mut profiles = Profiles::default();
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
    let all = profiles.into_sorted();
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
    profiles: &mut Profiles,
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
