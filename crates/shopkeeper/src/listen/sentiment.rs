//! Sentiment: a score in [-1, 1] per message, from a model that is data (the models file's
//! `"sentiment"`): a lexicon of word valences read with the rules that matter in customer text
//! (VADER's: negation, boosters and dampeners, "but", capitals, exclamation marks), and, when
//! fitted from human-rated sentences, a learned layer of word and word-pair weights on top.
//! `spec/scores.md` ("Sentiment") documents every constant; scoring allocates nothing in
//! proportion to the lexicon (one hash lookup per word).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::words::{negates, Words};
use crate::limits::MAX_NAME_LEN;
use crate::{Error, ErrorCode};

/// Most words a lexicon may hold.
pub const MAX_LEXICON_WORDS: usize = 100_000;
/// Most words and word pairs a learned layer may weigh.
pub const MAX_LEARNED_WEIGHTS: usize = 200_000;
/// The largest valence a lexicon word may have (VADER's scale is -4 to 4; AFINN's -5 to 5).
pub const MAX_VALENCE: f64 = 5.0;

/// What a booster adds to the word it modifies (VADER's `B_INCR`); a dampener subtracts it.
pub const BOOST: f64 = 0.293;
/// What capitals add to a word among lower-case ones (VADER's `C_INCR`).
pub const CAPITALS: f64 = 0.733;
/// What a negation multiplies a word's valence by (VADER's `N_SCALAR`).
pub const NEGATION: f64 = -0.74;
/// What an exclamation mark adds (at most four count).
pub const EXCLAMATION: f64 = 0.292;
/// What a question mark adds when there are two or three (four or more: 0.96 in all).
pub const QUESTION: f64 = 0.18;
/// The normalisation of the sum: `sum / sqrt(sum² + NORMALIZATION)`.
pub const NORMALIZATION: f64 = 15.0;

/// Words that make the next words stronger (English, from VADER).
const BOOSTERS: [&str; 48] = [
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "fully",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
    "super",
];
/// Words that make the next words weaker (English, from VADER).
const DAMPENERS: [&str; 20] = [
    "almost",
    "barely",
    "hardly",
    "kinda",
    "kindof",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sorta",
    "sortof",
    "fairly",
];

/// A sentiment model: a lexicon, and optionally a learned layer. Built from its
/// [`SentimentSource`] (checked) by [`Sentiment::new`]; it travels in the models file.
#[derive(Clone, Debug)]
pub struct Sentiment {
    source: SentimentSource,
    /// Every word the model knows, with all it knows about it.
    table: hashbrown::HashMap<String, Entry, FixedState>,
    /// Learned weights of word pairs, by the words' pair ids.
    pairs: hashbrown::HashMap<(u32, u32), f64, FixedState>,
}

impl PartialEq for Sentiment {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The model as written in the models file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentSource {
    /// Word to valence (-5 to 5), words as a message is read (lower case, no accents).
    #[serde(default)]
    pub lexicon: BTreeMap<String, f64>,
    /// The learned layer, fitted from rated sentences (`shopkeeper fit-text`); `null` without.
    /// (Always written: the binary form has no optional fields.)
    #[serde(default)]
    pub learned: Option<Learned>,
}

/// A learned layer: `bias + lexicon · (the lexicon's score) + Σ weights of the words and word
/// pairs present`, clamped to [-1, 1].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learned {
    /// The score of a text with no weighed word and a lexicon score of 0.
    pub bias: f64,
    /// The weight of the lexicon's score.
    pub lexicon: f64,
    /// A word (`"broken"`) or two words in a row in one clause (`"not work"`) to its weight.
    pub weights: BTreeMap<String, f64>,
}

/// What the model knows about one word.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    valence: f64,
    /// `BOOST` for a booster, `-BOOST` for a dampener, else 0.
    boost: f64,
    negation: bool,
    /// The word "but", after which words weigh more and before which less.
    but: bool,
    weight: f64,
    /// Its id in `pairs`, when it is part of a weighed pair.
    pair_id: Option<u32>,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidModel, format!("sentiment: {message}"))
}

/// A word as a message is read (one word, already folded), or two of them in one clause.
fn check_key(key: &str, max_words: usize) -> Result<(), Error> {
    let words = Words::read(key);
    let n = words.len();
    let as_read = n >= 1
        && n <= max_words
        && key.len() <= 2 * MAX_NAME_LEN + 1
        && words.same_clause(0, n - 1)
        && words.folded().trim() == key;
    if as_read {
        Ok(())
    } else {
        let what = if max_words == 1 {
            "a word"
        } else {
            "a word or two"
        };
        Err(invalid(format!(
            "{key:?} is not {what} as a message is read (lower case, no accents, no punctuation)"
        )))
    }
}

impl Sentiment {
    /// Checks and compiles a model: valences finite within ±[`MAX_VALENCE`], weights finite,
    /// every key a word as read.
    pub fn new(source: SentimentSource) -> Result<Sentiment, Error> {
        if source.lexicon.len() > MAX_LEXICON_WORDS {
            return Err(invalid(format!(
                "{} lexicon words; at most {MAX_LEXICON_WORDS}",
                source.lexicon.len()
            )));
        }
        let hasher = || FixedState::with_seed(0x5eed);
        let mut table = hashbrown::HashMap::with_hasher(hasher());
        for (word, &valence) in &source.lexicon {
            check_key(word, 1)?;
            if !(valence.is_finite() && valence.abs() <= MAX_VALENCE) {
                return Err(invalid(format!(
                    "{word:?} has valence {valence}; a valence is finite, -{MAX_VALENCE} to {MAX_VALENCE}"
                )));
            }
            table.insert(
                word.clone(),
                Entry {
                    valence,
                    ..Entry::default()
                },
            );
        }
        for (words, boost) in [(&BOOSTERS[..], BOOST), (&DAMPENERS[..], -BOOST)] {
            for word in words {
                table.entry(String::from(*word)).or_default().boost = boost;
            }
        }
        // Listed so that a negation is known by its entry (the loop at the end marks them).
        for word in super::words::NEGATIONS {
            table.entry(String::from(word)).or_default();
        }
        table.entry(String::from("but")).or_default().but = true;
        let mut pairs = hashbrown::HashMap::with_hasher(hasher());
        if let Some(learned) = &source.learned {
            if learned.weights.len() > MAX_LEARNED_WEIGHTS {
                return Err(invalid(format!(
                    "{} learned weights; at most {MAX_LEARNED_WEIGHTS}",
                    learned.weights.len()
                )));
            }
            if !(learned.bias.is_finite() && learned.lexicon.is_finite()) {
                return Err(invalid(
                    "the learned bias and lexicon weight are finite".into(),
                ));
            }
            let mut next_id = 0u32;
            for (key, &weight) in &learned.weights {
                check_key(key, 2)?;
                if !weight.is_finite() {
                    return Err(invalid(format!("{key:?} has weight {weight}; finite")));
                }
                match key.split_once(' ') {
                    None => table.entry(key.clone()).or_default().weight = weight,
                    Some((first, second)) => {
                        let mut id = |word: &str| {
                            let entry = table.entry(String::from(word)).or_default();
                            *entry.pair_id.get_or_insert_with(|| {
                                next_id += 1;
                                next_id - 1
                            })
                        };
                        let key = (id(first), id(second));
                        pairs.insert(key, weight);
                    }
                }
            }
        }
        for (word, entry) in table.iter_mut() {
            entry.negation = negates(word);
        }
        Ok(Sentiment {
            source,
            table,
            pairs,
        })
    }

    /// The model as written.
    pub fn source(&self) -> &SentimentSource {
        &self.source
    }

    /// Reads a lexicon of `word<TAB>valence` lines (more tab-separated columns are ignored, as in
    /// VADER's `vader_lexicon.txt`) into a model without a learned layer. Entries that are not
    /// one word once read (emoticons such as `:)`, phrases) are left out and counted; a
    /// word read twice (`Café` and `cafe`) keeps the mean of its valences. A line that is not
    /// `word<TAB>number` is an `invalid_data` error naming it.
    pub fn from_lexicon(text: &str) -> Result<(Sentiment, LexiconReport), Error> {
        let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        let mut report = LexiconReport::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |why: &str| {
                Error::new(
                    ErrorCode::InvalidData,
                    format!("lexicon line {}: {why}", i + 1),
                )
            };
            let mut columns = line.split('\t');
            let entry = columns.next().unwrap_or_default();
            let valence: f64 = columns
                .next()
                .ok_or_else(|| bad("expected word<TAB>valence"))?
                .trim()
                .parse()
                .map_err(|_| bad("the valence is not a number"))?;
            if !(valence.is_finite() && valence.abs() <= MAX_VALENCE) {
                return Err(bad("a valence is finite, -5 to 5"));
            }
            let words = Words::read(entry);
            if words.len() != 1 || entry.len() > MAX_NAME_LEN {
                report.skipped += 1;
                continue;
            }
            let sum = sums.entry(String::from(words.word(0))).or_default();
            sum.0 += valence;
            sum.1 += 1;
            report.read += 1;
        }
        if sums.len() > MAX_LEXICON_WORDS {
            return Err(invalid(format!(
                "{} words; at most {MAX_LEXICON_WORDS}",
                sums.len()
            )));
        }
        let lexicon = sums
            .into_iter()
            .map(|(word, (sum, n))| (word, sum / f64::from(n)))
            .collect();
        let model = Sentiment::new(SentimentSource {
            lexicon,
            learned: None,
        })?;
        Ok((model, report))
    }

    /// With the learned layer `learned` (from [`Sentiment::fit`](Self::fit)).
    pub(crate) fn with_learned(&self, learned: Option<Learned>) -> Result<Sentiment, Error> {
        Sentiment::new(SentimentSource {
            lexicon: self.source.lexicon.clone(),
            learned,
        })
    }

    /// The score of a text read into `words`: `None` without a word.
    pub(crate) fn score(&self, words: &Words) -> Option<f64> {
        if words.len() == 0 {
            return None;
        }
        let entries: SmallVec<[Option<&Entry>; 32]> = (0..words.len())
            .map(|i| self.table.get(words.word(i)))
            .collect();
        let lexical = self.lexical(words, &entries);
        let Some(learned) = &self.source.learned else {
            return Some(lexical);
        };
        let mut y = learned.bias + learned.lexicon * lexical;
        for (i, entry) in entries.iter().enumerate() {
            let Some(entry) = entry else { continue };
            y += entry.weight;
            let next = entries.get(i + 1).copied().flatten();
            if let (Some(a), Some(b)) = (entry.pair_id, next.and_then(|e| e.pair_id)) {
                if words.same_clause(i, i + 1) {
                    y += self.pairs.get(&(a, b)).copied().unwrap_or(0.0);
                }
            }
        }
        Some(y.clamp(-1.0, 1.0))
    }

    /// The lexicon's score alone, -1 to 1 (0 without a word).
    pub(crate) fn lexical_score(&self, words: &Words) -> f64 {
        let entries: SmallVec<[Option<&Entry>; 32]> = (0..words.len())
            .map(|i| self.table.get(words.word(i)))
            .collect();
        self.lexical(words, &entries)
    }

    /// The lexicon's score (VADER's compound), -1 to 1.
    fn lexical(&self, words: &Words, entries: &[Option<&Entry>]) -> f64 {
        let but = entries.iter().position(|e| e.is_some_and(|e| e.but));
        let emphasis = |shouted: bool| words.mixed_case && shouted;
        let mut sum = 0.0;
        for (i, entry) in entries.iter().enumerate() {
            let Some(entry) = entry.filter(|e| e.valence != 0.0 && e.boost == 0.0) else {
                continue;
            };
            let mut v = entry.valence;
            if emphasis(words.shouted(i)) {
                v += CAPITALS.copysign(v);
            }
            for (distance, damping) in [(1, 1.0), (2, 0.95), (3, 0.9)] {
                let Some(j) = i.checked_sub(distance).filter(|&j| words.same_clause(i, j)) else {
                    break;
                };
                let before = entries[j];
                let boost = before.map_or(0.0, |e| e.boost);
                if boost != 0.0 {
                    let mut scalar = if v < 0.0 { -boost } else { boost };
                    if emphasis(words.shouted(j)) {
                        scalar += CAPITALS.copysign(v);
                    }
                    v += scalar * damping;
                }
                // Every listed negation is in the table; any other word negates by its "n't".
                let negation = match before {
                    Some(e) => e.negation,
                    None => words.word(j).ends_with("n't"),
                };
                if negation {
                    v *= NEGATION;
                }
            }
            match but {
                Some(b) if i < b => v *= 0.5,
                Some(b) if i > b => v *= 1.5,
                _ => {}
            }
            sum += v;
        }
        if sum != 0.0 {
            let exclamations = f64::from(words.exclamations.min(4)) * EXCLAMATION;
            let questions = match words.questions {
                0 | 1 => 0.0,
                n @ 2..=3 => f64::from(n) * QUESTION,
                _ => 0.96,
            };
            sum += (exclamations + questions).copysign(sum);
        }
        (sum / libm::sqrt(sum * sum + NORMALIZATION)).clamp(-1.0, 1.0)
    }
}

/// What [`Sentiment::from_lexicon`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LexiconReport {
    /// Entries kept (words read twice count twice).
    pub read: usize,
    /// Entries left out: not one word once read (emoticons, phrases), or longer than 64 bytes.
    pub skipped: usize,
}
