//! Fitting a sentiment model's learned layer from human-rated sentences, and measuring a model
//! on held-out sentences. The layer is a ridge regression of the rating on the lexicon's score
//! and the counts of words and word pairs (those in at least two training sentences); its
//! penalty is chosen by cross-validation inside the training sentences, so a model is only ever
//! judged on sentences it did not see. Deterministic: folds come from the documented hash of
//! each sentence's group.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::sentiment::{Learned, Sentiment, MAX_LEARNED_WEIGHTS};
use super::words::Words;
use crate::limits::{MAX_MESSAGE_LEN, MAX_NAME_LEN};
use crate::random::{fnv1a, mix};
use crate::{Error, ErrorCode};

/// Most bytes of rated sentences [`parse_ratings`] reads.
pub const MAX_RATINGS_LEN: usize = 256 * 1024 * 1024;

/// One human-rated sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Rated {
    /// Its id; ids that share the part before the first `_` (`"12_3"`: review 12) are one group,
    /// which stays in one fold.
    pub id: String,
    /// The rating, mapped to -1 to 1.
    pub rating: f64,
    /// The sentence.
    pub text: String,
}

/// Reads `ID<TAB>rating<TAB>text` lines, ratings from `low` to `high` mapped to -1 to 1
/// (`-4:4`, the scale of VADER's raters, is the usual one). A line that is not of that shape, a
/// rating out of the scale and a text over 8 KiB are `invalid_data` errors naming the line.
pub fn parse_ratings(tsv: &str, low: f64, high: f64) -> Result<Vec<Rated>, Error> {
    crate::check::input_len("rated sentences", tsv, MAX_RATINGS_LEN)?;
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(Error::new(
            ErrorCode::InvalidData,
            format!("the rating scale {low}:{high} needs low < high"),
        ));
    }
    let mut rated = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad =
            |why: String| Error::new(ErrorCode::InvalidData, format!("line {}: {why}", i + 1));
        let mut columns = line.splitn(3, '\t');
        let (Some(id), Some(rating), Some(text)) = (columns.next(), columns.next(), columns.next())
        else {
            return Err(bad("expected ID<TAB>rating<TAB>text".into()));
        };
        let rating: f64 = rating
            .trim()
            .parse()
            .map_err(|_| bad(format!("the rating {rating:?} is not a number")))?;
        if !(low..=high).contains(&rating) {
            return Err(bad(format!("the rating {rating} is outside {low}:{high}")));
        }
        if text.len() > MAX_MESSAGE_LEN {
            return Err(bad(format!("the text is over {MAX_MESSAGE_LEN} bytes")));
        }
        rated.push(Rated {
            id: id.into(),
            rating: 2.0 * (rating - low) / (high - low) - 1.0,
            text: text.into(),
        });
    }
    Ok(rated)
}

/// How [`Sentiment::fit`] fits.
#[derive(Clone, Debug, PartialEq)]
pub struct TextFitOptions {
    /// A word or pair is weighed when at least this many training sentences have it.
    pub min_count: usize,
    /// The ridge penalties tried; the one with the least held-out squared error is kept.
    pub penalties: Vec<f64>,
    /// Folds of the cross-validation that chooses the penalty.
    pub folds: usize,
}

impl Default for TextFitOptions {
    fn default() -> Self {
        TextFitOptions {
            min_count: 2,
            penalties: alloc::vec![1.0, 3.0, 10.0, 30.0, 100.0],
            folds: 5,
        }
    }
}

/// What a fit did.
#[derive(Clone, Debug, PartialEq)]
pub struct TextFitReport {
    /// Sentences fitted.
    pub sentences: usize,
    /// Words and pairs weighed.
    pub weights: usize,
    /// The penalty chosen.
    pub penalty: f64,
    /// Each penalty tried with its held-out mean squared error (on the -1 to 1 scale).
    pub tried: Vec<(f64, f64)>,
}

/// A model's held-out quality (see [`cross_validate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct CrossValidation {
    /// Folds.
    pub folds: usize,
    /// Sentences.
    pub sentences: usize,
    /// The Pearson correlation of the base model's scores with the ratings (nothing fitted, so
    /// nothing held out).
    pub base: Option<f64>,
    /// The Pearson correlation of the fitted models' scores, each sentence scored by the model
    /// fitted without its fold, with the ratings.
    pub fitted: Option<f64>,
    /// The held-out scores, by sentence.
    pub predictions: Vec<f64>,
}

/// The Pearson correlation of `x` and `y`; `None` for fewer than two pairs or a constant side.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mean = |v: &[f64]| v[..n].iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x[..n].iter().zip(&y[..n]) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / libm::sqrt(sxx * syy))
}

/// The fold of a sentence: its group's FNV-1a hash, mixed with `salt`, modulo `folds`.
fn fold_of(id: &str, salt: u64, folds: usize) -> usize {
    let group = id.split('_').next().unwrap_or(id);
    (mix(fnv1a(&[group.as_bytes()]) ^ salt) % folds as u64) as usize
}

/// The salt of the folds [`cross_validate`] judges on; the fit's own folds use another.
const OUTER: u64 = 0;
const INNER: u64 = 0x9e37_79b9_7f4a_7c15;

/// Scores every sentence of `rated` with a model fitted on the folds it is not in (`folds` of
/// them, by group), and reports the Pearson correlation of those held-out scores with the
/// ratings, beside the base model's.
pub fn cross_validate(
    base: &Sentiment,
    rated: &[Rated],
    folds: usize,
    options: &TextFitOptions,
) -> Result<CrossValidation, Error> {
    check_folds(folds, rated.len())?;
    let prepared: Vec<Prepared> = rated.iter().map(|r| Prepared::new(base, r)).collect();
    let truth: Vec<f64> = rated.iter().map(|r| r.rating).collect();
    let base_scores: Vec<f64> = prepared.iter().map(|p| p.lexical).collect();
    let mut predictions = alloc::vec![0.0; rated.len()];
    for k in 0..folds {
        let (train, test): (Vec<usize>, Vec<usize>) =
            (0..rated.len()).partition(|&i| fold_of(&rated[i].id, OUTER, folds) != k);
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let (learned, _) = fit_rows(&prepared, rated, &train, options)?;
        let model = base.with_learned(Some(learned))?;
        for i in test {
            predictions[i] = model.score(&Words::read(&rated[i].text)).unwrap_or(0.0);
        }
    }
    Ok(CrossValidation {
        folds,
        sentences: rated.len(),
        base: pearson(&base_scores, &truth),
        fitted: pearson(&predictions, &truth),
        predictions,
    })
}

fn check_folds(folds: usize, n: usize) -> Result<(), Error> {
    if folds < 2 || n < 2 * folds {
        return Err(Error::new(
            ErrorCode::FitFailed,
            format!("{n} sentences in {folds} folds: at least 2 folds, 2 sentences each"),
        ));
    }
    Ok(())
}

impl Sentiment {
    /// This model with a learned layer fitted on `rated` (its lexicon is kept and read as one
    /// input). Fails (`fit_failed`) with too few sentences for the folds, or ratings that do
    /// not vary.
    pub fn fit(
        &self,
        rated: &[Rated],
        options: &TextFitOptions,
    ) -> Result<(Sentiment, TextFitReport), Error> {
        check_folds(options.folds, rated.len())?;
        let prepared: Vec<Prepared> = rated.iter().map(|r| Prepared::new(self, r)).collect();
        let all: Vec<usize> = (0..rated.len()).collect();
        let (learned, report) = fit_rows(&prepared, rated, &all, options)?;
        Ok((self.with_learned(Some(learned))?, report))
    }
}

/// A sentence read once: its lexicon score and the keys of its words and pairs.
struct Prepared {
    lexical: f64,
    keys: Vec<String>,
}

impl Prepared {
    fn new(base: &Sentiment, rated: &Rated) -> Prepared {
        let words = Words::read(&rated.text);
        let mut keys = Vec::with_capacity(2 * words.len());
        // Words longer than a name (a pasted link, a serial number) are never weighed.
        let short = |i: usize| words.word(i).len() <= MAX_NAME_LEN;
        for i in (0..words.len()).filter(|&i| short(i)) {
            keys.push(String::from(words.word(i)));
            if i + 1 < words.len() && short(i + 1) && words.same_clause(i, i + 1) {
                keys.push(format!("{} {}", words.word(i), words.word(i + 1)));
            }
        }
        Prepared {
            lexical: base.lexical_score(&words),
            keys,
        }
    }
}

/// A design matrix: per row, the lexicon score and the (column, count) of its keys.
struct Design {
    rows: Vec<(f64, Vec<(u32, f64)>)>,
    y: Vec<f64>,
    columns: usize,
}

/// Column 0 is the bias, 1 the lexicon score, 2.. the vocabulary.
const FIXED: usize = 2;

impl Design {
    fn new(
        prepared: &[Prepared],
        rated: &[Rated],
        rows: &[usize],
        vocabulary: &BTreeMap<&str, u32>,
    ) -> Design {
        let rows_out = rows
            .iter()
            .map(|&i| {
                let mut counts: BTreeMap<u32, f64> = BTreeMap::new();
                for key in &prepared[i].keys {
                    if let Some(&c) = vocabulary.get(key.as_str()) {
                        *counts.entry(c).or_default() += 1.0;
                    }
                }
                (prepared[i].lexical, counts.into_iter().collect())
            })
            .collect();
        Design {
            rows: rows_out,
            y: rows.iter().map(|&i| rated[i].rating).collect(),
            columns: FIXED + vocabulary.len(),
        }
    }

    fn predict(&self, row: usize, w: &[f64]) -> f64 {
        let (lexical, counts) = &self.rows[row];
        w[0] + w[1] * lexical
            + counts
                .iter()
                .map(|&(c, n)| w[FIXED + c as usize] * n)
                .sum::<f64>()
    }

    /// `(XᵀX + Λ) v`, Λ the penalty on the vocabulary's columns (a tiny one on the others).
    fn apply(&self, v: &[f64], penalty: f64, out: &mut [f64]) {
        for (o, (i, x)) in out.iter_mut().zip(v.iter().enumerate()) {
            *o = if i < FIXED { 1e-9 * x } else { penalty * x };
        }
        for row in 0..self.rows.len() {
            let xv = self.predict(row, v);
            let (lexical, counts) = &self.rows[row];
            out[0] += xv;
            out[1] += lexical * xv;
            for &(c, n) in counts {
                out[FIXED + c as usize] += n * xv;
            }
        }
    }

    /// Ridge weights by conjugate gradients, from `start`.
    fn solve(&self, penalty: f64, start: &[f64]) -> Vec<f64> {
        let n = self.columns;
        let mut b = alloc::vec![0.0; n];
        for (row, &y) in self.y.iter().enumerate() {
            let (lexical, counts) = &self.rows[row];
            b[0] += y;
            b[1] += lexical * y;
            for &(c, k) in counts {
                b[FIXED + c as usize] += k * y;
            }
        }
        let mut w = start.to_vec();
        let mut aw = alloc::vec![0.0; n];
        self.apply(&w, penalty, &mut aw);
        let mut r: Vec<f64> = b.iter().zip(&aw).map(|(b, a)| b - a).collect();
        let mut p = r.clone();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut rr = dot(&r, &r);
        let tolerance = 1e-20 * dot(&b, &b).max(1e-300);
        let mut ap = alloc::vec![0.0; n];
        for _ in 0..2 * n.max(50) {
            if rr <= tolerance {
                break;
            }
            self.apply(&p, penalty, &mut ap);
            let alpha = rr / dot(&p, &ap);
            for i in 0..n {
                w[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }
            let next = dot(&r, &r);
            let beta = next / rr;
            rr = next;
            for i in 0..n {
                p[i] = r[i] + beta * p[i];
            }
        }
        w
    }
}

/// Fits a learned layer on `rows` of `rated`: the vocabulary from those rows, the penalty by
/// inner folds, the weights on all of them.
fn fit_rows(
    prepared: &[Prepared],
    rated: &[Rated],
    rows: &[usize],
    options: &TextFitOptions,
) -> Result<(Learned, TextFitReport), Error> {
    let ratings: Vec<f64> = rows.iter().map(|&i| rated[i].rating).collect();
    if ratings.iter().all(|&r| r == ratings[0]) {
        return Err(Error::new(ErrorCode::FitFailed, "the ratings do not vary"));
    }
    if options.penalties.is_empty()
        || options
            .penalties
            .iter()
            .any(|&p| !(p.is_finite() && p > 0.0))
    {
        return Err(Error::new(
            ErrorCode::FitFailed,
            "penalties are finite and > 0",
        ));
    }
    let vocabulary = vocabulary(prepared, rows, options.min_count);
    let design = Design::new(prepared, rated, rows, &vocabulary);
    let mut tried = Vec::new();
    let mut best = (f64::INFINITY, options.penalties[0]);
    let folds = options.folds;
    for &penalty in &options.penalties {
        let mut squared = 0.0;
        for k in 0..folds {
            let (train, test): (Vec<usize>, Vec<usize>) =
                (0..rows.len()).partition(|&j| fold_of(&rated[rows[j]].id, INNER, folds) != k);
            if train.is_empty() || test.is_empty() {
                continue;
            }
            let inner = Design {
                rows: train.iter().map(|&j| design.rows[j].clone()).collect(),
                y: train.iter().map(|&j| design.y[j]).collect(),
                columns: design.columns,
            };
            let w = inner.solve(penalty, &alloc::vec![0.0; design.columns]);
            for j in test {
                let e = design.predict(j, &w).clamp(-1.0, 1.0) - design.y[j];
                squared += e * e;
            }
        }
        let mse = squared / rows.len() as f64;
        tried.push((penalty, mse));
        if mse < best.0 {
            best = (mse, penalty);
        }
    }
    let w = design.solve(best.1, &alloc::vec![0.0; design.columns]);
    let weights = vocabulary
        .iter()
        .map(|(key, &c)| (String::from(*key), w[FIXED + c as usize]))
        .collect();
    let learned = Learned {
        bias: w[0],
        lexicon: w[1],
        weights,
    };
    let report = TextFitReport {
        sentences: rows.len(),
        weights: vocabulary.len(),
        penalty: best.1,
        tried,
    };
    Ok((learned, report))
}

/// The keys in at least `min_count` of `rows`, numbered in order.
fn vocabulary<'a>(
    prepared: &'a [Prepared],
    rows: &[usize],
    min_count: usize,
) -> BTreeMap<&'a str, u32> {
    let mut sentences: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in rows {
        let mut keys: Vec<&str> = prepared[i].keys.iter().map(String::as_str).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            *sentences.entry(key).or_default() += 1;
        }
    }
    let mut kept: Vec<(&str, usize)> = sentences
        .into_iter()
        .filter(|&(_, n)| n >= min_count.max(1))
        .collect();
    if kept.len() > MAX_LEARNED_WEIGHTS {
        // The most frequent, then in key order.
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(MAX_LEARNED_WEIGHTS);
        kept.sort_unstable();
    }
    kept.into_iter()
        .enumerate()
        .map(|(c, (key, _))| (key, c as u32))
        .collect()
}
