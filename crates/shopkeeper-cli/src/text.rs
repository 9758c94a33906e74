//! `shopkeeper lexicon import`, `fit-text` and `sentiment`: sentiment models made from a lexicon
//! and rated sentences, and texts scored with them. The work is the core's (`listen`); this
//! reads files and writes models and scores.

use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use shopkeeper::listen::{
    cross_validate, parse_ratings, Listener, Sentiment, SentimentSource, TextFitOptions,
};
use shopkeeper::score::Models;

use crate::load;

/// Models from `path`, or new ones.
fn base_models(path: Option<&Path>) -> Result<Models, String> {
    path.map(load::models)
        .transpose()
        .map(Option::unwrap_or_default)
}

fn write_models(models: &Models, out: &Path) -> Result<(), String> {
    let json = models.to_json().map_err(|e| e.to_string())?;
    std::fs::write(out, json + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))
}

fn lexicon(path: &Path) -> Result<(Sentiment, String), String> {
    let (model, report) = Sentiment::from_lexicon(&crate::read(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let summary = format!(
        "{}: {} words read, {} entries left out (not one word: emoticons, phrases)",
        path.display(),
        report.read,
        report.skipped
    );
    Ok((model, summary))
}

/// `shopkeeper lexicon import FILE --out M [--models BASE]`.
pub fn import(file: &Path, models: Option<&Path>, out: &Path) -> Result<String, String> {
    let (model, summary) = lexicon(file)?;
    let mut models = base_models(models)?;
    models.sentiment = Some(model);
    write_models(&models, out)?;
    Ok(format!("{summary}\nwrote {}", out.display()))
}

/// The options of `shopkeeper fit-text`.
pub struct FitTextArgs {
    pub ratings: PathBuf,
    pub models: Option<PathBuf>,
    pub lexicon: Option<PathBuf>,
    pub scale: String,
    pub cross_validate: Option<usize>,
    pub out: Option<PathBuf>,
}

/// `shopkeeper fit-text`: the learned layer on rated sentences, over the lexicon of `--lexicon`
/// or of the models' sentiment model (none: words alone); or, with `--cross-validate K`, the
/// held-out quality of that recipe.
pub fn fit_text(args: &FitTextArgs) -> Result<String, String> {
    let (low, high) = args
        .scale
        .split_once(':')
        .and_then(|(l, h)| Some((l.trim().parse().ok()?, h.trim().parse().ok()?)))
        .ok_or_else(|| format!("--scale {:?}: expected LOW:HIGH, e.g. -4:4", args.scale))?;
    let name = args.ratings.display().to_string();
    let rated = parse_ratings(&crate::read(&args.ratings)?, low, high)
        .map_err(|e| format!("{name}: {e}"))?;
    let mut models = base_models(args.models.as_deref())?;
    let mut out = String::new();
    let base = match &args.lexicon {
        Some(path) => {
            let (model, summary) = lexicon(path)?;
            out += &(summary + "\n");
            model
        }
        None => match &models.sentiment {
            Some(model) => model.clone(),
            None => Sentiment::new(SentimentSource::default()).map_err(|e| e.to_string())?,
        },
    };
    let options = TextFitOptions::default();
    if let Some(folds) = args.cross_validate {
        let cv = cross_validate(&base, &rated, folds, &options).map_err(|e| e.to_string())?;
        let show = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.4}"));
        out += &format!(
            "{} sentences, {folds} folds by group (the ID before its first _)\n\
             Pearson with the ratings: lexicon {}, fitted on the other folds {}",
            cv.sentences,
            show(cv.base),
            show(cv.fitted)
        );
        return Ok(out);
    }
    let path = args
        .out
        .as_deref()
        .ok_or("--out is required (or --cross-validate K)")?;
    let (model, report) = base.fit(&rated, &options).map_err(|e| e.to_string())?;
    let tried: Vec<String> = report
        .tried
        .iter()
        .map(|(penalty, mse)| format!("{penalty}: {mse:.5}"))
        .collect();
    out += &format!(
        "{name}: {} sentences, {} words and pairs weighed, penalty {} (held-out squared error \
         per penalty: {})\n",
        report.sentences,
        report.weights,
        report.penalty,
        tried.join(", ")
    );
    models.sentiment = Some(model);
    write_models(&models, path)?;
    Ok(out + &format!("wrote {}", path.display()))
}

/// `shopkeeper sentiment --models M [FILE|-]`: one score per input line, nothing else (an empty
/// line for a text without words or over 8 KiB, reported on standard error); `Ok(false)` when a
/// line was too long.
pub fn score(models: &Path, input: &Path) -> Result<bool, String> {
    let models = load::models(models)?;
    let model = models
        .sentiment
        .as_ref()
        .ok_or("the models have no sentiment model: `shopkeeper lexicon import` or `fit-text`")?;
    let listener = Listener::new(None, Some(model));
    let name = input.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(input).map_err(|e| format!("cannot open {name}: {e}"))?,
        ))
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut clean = true;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {name}: {e}"))?;
        let score = match listener.hear_message(&line) {
            Ok(heard) => heard.sentiment.map(|s| s.to_string()).unwrap_or_default(),
            Err(e) => {
                clean = false;
                eprintln!("{name}:{}: error[{}]: {}", i + 1, e.code(), e.message());
                String::new()
            }
        };
        writeln!(out, "{score}").map_err(|e| format!("cannot write: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(clean)
}
