//! Intents that marketers write: a catalog's `"intents"` section, each intent a list of phrases,
//! compiled once into one multi-pattern matcher (Aho-Corasick) over the folded text of
//! [`Words`], so every phrase of every intent is found in one pass. A phrase matches on word
//! boundaries, whatever the case and accents; a phrase with a negation among the three words
//! before it, in its clause, does not count ("I do not want to cancel").

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use aho_corasick::{AhoCorasick, MatchKind};
use smallvec::SmallVec;

use super::words::Words;
use crate::check;
use crate::limits::{MAX_INTENTS, MAX_INTENT_PHRASES, MAX_NAME_LEN, MAX_TEXT_LEN};

/// A catalog's intents, compiled.
#[derive(Clone, Debug, Default)]
pub struct Intents {
    /// The intents' names, in order.
    names: Vec<String>,
    /// All phrases, folded, each followed by a space; none without intents.
    matcher: Option<AhoCorasick>,
    /// The intent of each phrase, by pattern index.
    owner: Vec<u16>,
}

/// A problem with one phrase or intent: the field (`intents.cancel[2]`) and what is wrong.
pub(crate) type IntentProblem = (String, String);

impl Intents {
    /// Compiles `source` (intent name to phrases), reporting every problem.
    pub(crate) fn compile(
        source: &BTreeMap<String, Vec<String>>,
        problems: &mut Vec<IntentProblem>,
    ) -> Intents {
        let phrases: usize = source.values().map(Vec::len).sum();
        if source.len() > MAX_INTENTS || phrases > MAX_INTENT_PHRASES {
            problems.push((
                String::from("intents"),
                format!(
                    "{} intents with {phrases} phrases; at most {MAX_INTENTS} intents and \
                     {MAX_INTENT_PHRASES} phrases",
                    source.len()
                ),
            ));
            return Intents::default();
        }
        let mut names = Vec::with_capacity(source.len());
        let mut patterns: Vec<String> = Vec::with_capacity(phrases);
        let mut places: Vec<String> = Vec::with_capacity(phrases);
        let mut owner = Vec::with_capacity(phrases);
        for (name, list) in source {
            if let Err(e) = check::id("intent name", name, MAX_NAME_LEN) {
                problems.push((format!("intents[{name:?}]"), e.message().into()));
            }
            if list.is_empty() {
                problems.push((
                    format!("intents[{name:?}]"),
                    "an intent needs a phrase".into(),
                ));
            }
            for (i, phrase) in list.iter().enumerate() {
                let place = format!("intents[{name:?}][{i}]");
                match fold(phrase) {
                    Err(message) => problems.push((place, message)),
                    Ok(folded) => match patterns.iter().position(|p| *p == folded) {
                        Some(first) => problems.push((
                            place,
                            format!("{phrase:?} is the same phrase as {}", places[first]),
                        )),
                        None => {
                            patterns.push(folded);
                            places.push(place);
                            owner.push(names.len() as u16);
                        }
                    },
                }
            }
            names.push(name.clone());
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            let built = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns);
            match built {
                Ok(matcher) => Some(matcher),
                Err(e) => {
                    problems.push(("intents".into(), format!("cannot compile the phrases: {e}")));
                    None
                }
            }
        };
        Intents {
            names,
            matcher,
            owner,
        }
    }

    /// The intents' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Whether the catalog declares intent `name`.
    pub fn declares(&self, name: &str) -> bool {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    /// The intents `words` express, each once, in name order: a phrase counts unless a negation
    /// comes before it in its clause.
    pub(crate) fn find(&self, words: &Words) -> SmallVec<[&str; 8]> {
        let mut found: SmallVec<[u16; 8]> = SmallVec::new();
        let Some(matcher) = &self.matcher else {
            return SmallVec::new();
        };
        for m in matcher.find_overlapping_iter(words.folded()) {
            let intent = self.owner[m.pattern().as_usize()];
            if found.contains(&intent) {
                continue;
            }
            // A match counts where a word starts (a pattern ends with the space after its last).
            let first = words.starting_at(m.start());
            if first.is_some_and(|i| !words.negated(i)) {
                found.push(intent);
            }
        }
        found.sort_unstable();
        found
            .iter()
            .map(|&i| self.names[usize::from(i)].as_str())
            .collect()
    }
}

/// A phrase as the matcher looks for it: folded like a message, one clause, a space after it.
fn fold(phrase: &str) -> Result<String, String> {
    if phrase.len() > MAX_TEXT_LEN {
        return Err(format!(
            "a phrase is at most {MAX_TEXT_LEN} bytes; this one has {}",
            phrase.len()
        ));
    }
    let words = Words::read(phrase);
    if words.len() == 0 {
        return Err(format!("{phrase:?} has no words to match"));
    }
    if !words.same_clause(0, words.len() - 1) {
        return Err(format!(
            "{phrase:?} has clause punctuation (. , ; : ! ?) inside it, which a message's \
             phrase never spans"
        ));
    }
    // Trailing punctuation ("cancel!") ends the phrase's clause: harmless, so left out.
    // No space before the first word, so the matcher's prefilter looks for the phrase's own
    // letters, not for spaces; `find` checks that a word starts where it matches.
    let mut folded = String::from(words.folded().trim_matches(['\n', ' ']));
    folded.push(' ');
    Ok(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn intents(source: &[(&str, &[&str])]) -> Result<Intents, Vec<IntentProblem>> {
        let source = source
            .iter()
            .map(|(name, phrases)| ((*name).into(), phrases.iter().map(|&p| p.into()).collect()))
            .collect();
        let mut problems = Vec::new();
        let intents = Intents::compile(&source, &mut problems);
        if problems.is_empty() {
            Ok(intents)
        } else {
            Err(problems)
        }
    }

    fn found<'a>(intents: &'a Intents, text: &str) -> Vec<&'a str> {
        intents.find(&Words::read(text)).to_vec()
    }

    #[test]
    fn phrases_match_on_word_boundaries_without_case_or_accents() {
        let i = intents(&[
            ("cancel", &["cancel my order", "annulé", "unsubscribe"]),
            ("delivery", &["where is my parcel", "arrived broken"]),
        ])
        .unwrap();
        assert_eq!(found(&i, "Please CANCEL my order."), ["cancel"]);
        assert_eq!(found(&i, "Commande ANNULÉE? Non: annule!"), ["cancel"]);
        assert_eq!(found(&i, "commande annulee"), Vec::<&str>::new());
        assert_eq!(found(&i, "unsubscribed already"), Vec::<&str>::new());
        assert_eq!(
            found(&i, "It arrived broken; where is my parcel? Unsubscribe!"),
            ["cancel", "delivery"]
        );
        assert_eq!(found(&i, "cancel, my order"), Vec::<&str>::new());
    }

    #[test]
    fn a_negation_before_a_phrase_in_its_clause_cancels_it() {
        let i = intents(&[("cancel", &["cancel"])]).unwrap();
        assert!(found(&i, "I do not want to cancel").is_empty());
        assert!(found(&i, "I don't wanna cancel").is_empty());
        assert!(found(&i, "never cancel").is_empty());
        assert_eq!(found(&i, "No, cancel it"), ["cancel"]);
        assert_eq!(found(&i, "Not happy at all. I want to cancel"), ["cancel"]);
        assert_eq!(found(&i, "I won't cancel... actually, cancel"), ["cancel"]);
    }

    #[test]
    fn empty_duplicated_or_split_phrases_are_errors_with_their_place() {
        let problems = intents(&[
            ("cancel", &["Cancel my order", "  ", "cancel MY order"]),
            ("refund", &["money back", "refund, please"]),
            ("", &["x"]),
            ("quiet", &[]),
        ])
        .unwrap_err();
        let places: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            places,
            vec![
                "intents[\"\"]",
                "intents[\"cancel\"][1]",
                "intents[\"cancel\"][2]",
                "intents[\"quiet\"]",
                "intents[\"refund\"][1]"
            ]
        );
        assert!(
            problems[2].1.contains("intents[\"cancel\"][0]"),
            "{problems:?}"
        );
    }
}
