//! A text read into words: the one reading intents and sentiment share. Letters are lower-cased
//! and their accents folded away ("Annulé" reads "annule"), an apostrophe inside a word stays
//! ("don't"), anything else that is not a letter or a digit separates words, and clause
//! punctuation (`. , ; : ! ?`, line breaks) also ends a clause, which a negation does not cross.

use alloc::string::String;

use smallvec::SmallVec;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// One word of a [`Words`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Word {
    /// Where it starts in [`Words::folded`] (after a space).
    start: u32,
    end: u32,
    /// Which clause it is in, counted from 0.
    clause: u32,
    /// Written in capitals: it has a letter and no lower-case one.
    pub(crate) shouted: bool,
}

/// A text read into words.
#[derive(Debug, Default)]
pub(crate) struct Words {
    /// `" w1 w2 \n w3 "`: every word with a space before and after it, and `"\n "` between two
    /// clauses, so a phrase written `" w2 w3 "` is found on word boundaries and within a clause.
    folded: String,
    words: SmallVec<[Word; 32]>,
    /// Exclamation marks in the text.
    pub(crate) exclamations: u32,
    /// Question marks in the text.
    pub(crate) questions: u32,
    /// Some words are written in capitals and some are not, so capitals are emphasis.
    pub(crate) mixed_case: bool,
}

/// The state of the word being read.
#[derive(Default)]
struct Open {
    start: Option<usize>,
    upper: bool,
    lower: bool,
    /// An apostrophe after the word's last letter, kept only if a letter follows.
    apostrophe: bool,
}

impl Words {
    /// Reads `text` (linear in its length; the text's own bound keeps it small).
    pub(crate) fn read(text: &str) -> Words {
        let mut w = Words {
            folded: String::with_capacity(text.len() + 2),
            ..Words::default()
        };
        w.folded.push(' ');
        let mut open = Open::default();
        let mut clause = 0u32;
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                w.letter(&mut open, c.is_ascii_uppercase(), c.is_ascii_lowercase());
                w.folded.push(c.to_ascii_lowercase());
            } else if matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`') {
                open.apostrophe = open.start.is_some();
            } else if !c.is_ascii() && c.is_alphanumeric() {
                w.letter(&mut open, c.is_uppercase(), c.is_lowercase());
                for lower in c.to_lowercase() {
                    decompose_canonical(lower, |d| {
                        if !is_combining_mark(d) {
                            w.folded.push(d);
                        }
                    });
                }
            } else if open.start.is_some() && is_combining_mark(c) {
                // An accent written apart from its letter: folded away.
            } else {
                w.end(&mut open, clause);
                let breaks = match c {
                    '!' | '\u{ff01}' | '\u{a1}' => {
                        w.exclamations += 1;
                        true
                    }
                    '?' | '\u{ff1f}' | '\u{bf}' => {
                        w.questions += 1;
                        true
                    }
                    '.' | ',' | ';' | ':' | '\n' | '\r' | '\u{2026}' | '\u{3002}' => true,
                    _ => false,
                };
                let clause_started = w.words.last().is_some_and(|last| last.clause == clause);
                if breaks && clause_started {
                    w.folded.push_str("\n ");
                    clause += 1;
                }
            }
        }
        w.end(&mut open, clause);
        let shouted = w.words.iter().filter(|word| word.shouted).count();
        w.mixed_case = shouted > 0 && shouted < w.words.len();
        w
    }

    fn letter(&mut self, open: &mut Open, upper: bool, lower: bool) {
        match open.start {
            None => open.start = Some(self.folded.len()),
            Some(_) if open.apostrophe => self.folded.push('\''),
            Some(_) => {}
        }
        open.apostrophe = false;
        open.upper |= upper;
        open.lower |= lower;
    }

    fn end(&mut self, open: &mut Open, clause: u32) {
        if let Some(start) = open.start {
            // Lengths fit: the text is bounded far below 4 GiB.
            self.words.push(Word {
                start: start as u32,
                end: self.folded.len() as u32,
                clause,
                shouted: open.upper && !open.lower,
            });
            self.folded.push(' ');
        }
        *open = Open::default();
    }

    /// The folded text: see the field.
    pub(crate) fn folded(&self) -> &str {
        &self.folded
    }

    /// How many words.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// Word `i`, folded.
    pub(crate) fn word(&self, i: usize) -> &str {
        let Word { start, end, .. } = self.words[i];
        &self.folded[start as usize..end as usize]
    }

    /// The word that starts at byte `start` of the folded text.
    pub(crate) fn starting_at(&self, start: usize) -> Option<usize> {
        self.words
            .binary_search_by_key(&start, |w| w.start as usize)
            .ok()
    }

    /// Whether words `i` and `j` are in the same clause.
    pub(crate) fn same_clause(&self, i: usize, j: usize) -> bool {
        self.words[i].clause == self.words[j].clause
    }

    /// Whether one of the three words before word `i`, in its clause, is a negation ("I do
    /// *not* want to cancel").
    pub(crate) fn negated(&self, i: usize) -> bool {
        (i.saturating_sub(3)..i).any(|j| self.same_clause(i, j) && negates(self.word(j)))
    }
}

/// Words that negate what follows (VADER's list, apostrophes included or not), besides any word
/// ending in "n't".
const NEGATIONS: [&str; 39] = [
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "dont", "hadnt",
    "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "neither", "never", "no", "none",
    "nope", "nor", "not", "nothing", "nowhere", "oughtnt", "rarely", "seldom", "shant", "shouldnt",
    "uhuh", "wasnt", "werent", "without", "wont", "wouldnt", "despite", "nobody", "nah",
];

/// Whether a folded word negates what follows.
pub(crate) fn negates(word: &str) -> bool {
    word.ends_with("n't") || NEGATIONS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn words(text: &str) -> Vec<String> {
        let w = Words::read(text);
        (0..w.len()).map(|i| w.word(i).into()).collect()
    }

    #[test]
    fn folds_case_accents_and_apostrophes() {
        assert_eq!(
            words("Annulé: I DON’T want the e-mail's 'news'"),
            ["annule", "i", "don't", "want", "the", "e", "mail's", "news"]
        );
        assert_eq!(
            words("Crème BRÛLÉE, E\u{301}te"),
            ["creme", "brulee", "ete"]
        );
    }

    #[test]
    fn clauses_break_at_punctuation() {
        let w = Words::read("No, cancel it!! Now?");
        assert_eq!(w.folded(), " no \n cancel it \n now \n ");
        assert_eq!((w.exclamations, w.questions), (2, 1));
        assert!(!w.negated(1), "the comma ends the negation");
        let w = Words::read("I do not want to cancel");
        assert!(w.negated(5));
        let w = Words::read("not that I would ever cancel");
        assert!(!w.negated(5), "three words back at most");
    }

    #[test]
    fn capitals_are_emphasis_only_beside_lower_case() {
        assert!(Words::read("this is GREAT").mixed_case);
        assert!(!Words::read("THIS IS GREAT").mixed_case);
        assert!(!Words::read("this is great").mixed_case);
        assert!(Words::read("this is GREAT").words[2].shouted);
    }
}
