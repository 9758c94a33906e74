//! A text read into words: the one reading intents and sentiment share. Letters are lower-cased
//! and their accents folded away ("Annulé" reads "annule"), an apostrophe inside a word stays
//! ("don't"), anything else that is not a letter or a digit separates words, and clause
//! punctuation (`. , ; : ! ?`, line breaks) also ends a clause, which a negation does not cross.

use alloc::string::String;
use alloc::vec::Vec;

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
    shouted: bool,
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

/// What an ASCII byte is to the reader (every byte from 0x80 up is `NON_ASCII`).
const WORD: u8 = 1;
const UPPER: u8 = 2; // so that `UPPER << 4` is 0x20, the ASCII lower-case bit
const LOWER: u8 = 4;
const APOSTROPHE: u8 = 8;
const BREAK: u8 = 16;
const EXCLAMATION: u8 = 32;
const QUESTION: u8 = 64;
const NON_ASCII: u8 = 128;

/// Each byte's class, so the common case takes one table read per byte.
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = match b {
            b'A'..=b'Z' => WORD | UPPER,
            b'a'..=b'z' => WORD | LOWER,
            b'0'..=b'9' => WORD,
            b'\'' | b'`' => APOSTROPHE,
            b'!' => BREAK | EXCLAMATION,
            b'?' => BREAK | QUESTION,
            b'.' | b',' | b';' | b':' | b'\n' | b'\r' => BREAK,
            0x80..=0xff => NON_ASCII,
            _ => 0,
        };
        i += 1;
    }
    table
};

/// The state of the word being read.
#[derive(Default)]
struct Open {
    start: Option<usize>,
    upper: bool,
    lower: bool,
    /// An apostrophe after the word's last letter, kept only if a letter follows.
    apostrophe: bool,
}

/// A [`Words`] being read: the folded text as bytes (checked as UTF-8 once, at the end).
struct Reader {
    folded: Vec<u8>,
    words: SmallVec<[Word; 32]>,
    open: Open,
    clause: u32,
    exclamations: u32,
    questions: u32,
}

impl Reader {
    #[inline]
    fn letter(&mut self, upper: bool, lower: bool) {
        match self.open.start {
            None => self.open.start = Some(self.folded.len()),
            Some(_) if self.open.apostrophe => self.folded.push(b'\''),
            Some(_) => {}
        }
        self.open.apostrophe = false;
        self.open.upper |= upper;
        self.open.lower |= lower;
    }

    #[inline]
    fn end(&mut self) {
        if let Some(start) = self.open.start {
            // Lengths fit: the text is bounded far below 4 GiB.
            self.words.push(Word {
                start: start as u32,
                end: self.folded.len() as u32,
                clause: self.clause,
                shouted: self.open.upper && !self.open.lower,
            });
            self.folded.push(b' ');
            self.open = Open::default();
        }
    }

    /// Anything but a letter or a digit: ends the word, and maybe the clause.
    fn separator(&mut self, c: char) {
        self.end();
        let breaks = match c {
            '!' | '\u{ff01}' | '\u{a1}' => {
                self.exclamations += 1;
                true
            }
            '?' | '\u{ff1f}' | '\u{bf}' => {
                self.questions += 1;
                true
            }
            '.' | ',' | ';' | ':' | '\n' | '\r' | '\u{2026}' | '\u{3002}' => true,
            _ => false,
        };
        if breaks {
            self.clause_break();
        }
    }

    /// Clause punctuation: a new clause, unless the current one has no word yet.
    fn clause_break(&mut self) {
        if self.words.last().is_some_and(|w| w.clause == self.clause) {
            self.folded.extend_from_slice(b"\n ");
            self.clause += 1;
        }
    }

    /// A character outside ASCII.
    fn other(&mut self, c: char) {
        if matches!(c, '\u{2019}' | '\u{2018}' | '\u{02bc}') {
            self.open.apostrophe = self.open.start.is_some();
        } else if c.is_alphanumeric() {
            self.letter(c.is_uppercase(), c.is_lowercase());
            let mut buffer = [0; 4];
            for lower in c.to_lowercase() {
                decompose_canonical(lower, |d| {
                    if !is_combining_mark(d) {
                        self.folded
                            .extend_from_slice(d.encode_utf8(&mut buffer).as_bytes());
                    }
                });
            }
        } else if self.open.start.is_some() && is_combining_mark(c) {
            // An accent written apart from its letter: folded away.
        } else {
            self.separator(c);
        }
    }
}

impl Words {
    /// Reads `text` (linear in its length; the text's own bound keeps it small).
    pub(crate) fn read(text: &str) -> Words {
        let mut r = Reader {
            // A space per word and two per clause: at most twice the text, plus the first.
            folded: Vec::with_capacity(2 * text.len() + 3),
            words: SmallVec::new(),
            open: Open::default(),
            clause: 0,
            exclamations: 0,
            questions: 0,
        };
        r.folded.push(b' ');
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            let class = CLASS[usize::from(b)];
            if class & WORD != 0 {
                // A run of ASCII letters and digits, the common case, in one tight loop
                // (UPPER << 4 is the bit that lower-cases an ASCII capital).
                r.letter(false, false);
                let mut flags = 0;
                while let Some(&b) = bytes.get(i) {
                    let c = CLASS[usize::from(b)];
                    if c & WORD == 0 {
                        break;
                    }
                    flags |= c;
                    r.folded.push(b | ((c & UPPER) << 4));
                    i += 1;
                }
                r.open.upper |= flags & UPPER != 0;
                r.open.lower |= flags & LOWER != 0;
            } else if class & NON_ASCII == 0 {
                if class & APOSTROPHE != 0 {
                    r.open.apostrophe = r.open.start.is_some();
                } else {
                    r.end();
                    if class & BREAK != 0 {
                        r.exclamations += u32::from(class & EXCLAMATION != 0);
                        r.questions += u32::from(class & QUESTION != 0);
                        r.clause_break();
                    }
                }
                i += 1;
            } else {
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                r.other(c);
                i += c.len_utf8();
            }
        }
        r.end();
        let shouted = r.words.iter().filter(|word| word.shouted).count();
        Words {
            // Only whole characters were written.
            folded: String::from_utf8(r.folded).unwrap_or_default(),
            mixed_case: shouted > 0 && shouted < r.words.len(),
            words: r.words,
            exclamations: r.exclamations,
            questions: r.questions,
        }
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

    /// Whether word `i` is written in capitals.
    pub(crate) fn shouted(&self, i: usize) -> bool {
        self.words[i].shouted
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
pub(crate) const NEGATIONS: [&str; 39] = [
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
        assert!(Words::read("this is GREAT").shouted(2));
    }
}
