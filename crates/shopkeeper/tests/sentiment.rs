//! Sentiment on real sentences rated by people: 3,708 customer-review sentences, each rated by 20+
//! humans (Hutto & Gilbert 2014; `../shared/data/sentiment/README.md`), scored with the VADER
//! lexicon (the PyPI wheel `vaderSentiment==3.3.2`, which `cargo xtask data` fetches) and with a
//! learned layer fitted on the other folds, side by side with VADER itself (its Python code from
//! the same wheel, run in this test).
//!
//! Run alone: `cargo xtask data && SHOPKEEPER_DATA=$PWD/target/data cargo test --release -p
//! shopkeeper --test sentiment -- --nocapture`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::data_file;
use shopkeeper::listen::{cross_validate, parse_ratings, Sentiment, TextFitOptions};

/// A file of `../shared/data` (the repository's sibling, or `SHOPKEEPER_SHARED_DATA`): required
/// when `CI` is set, else skipped with a message.
fn shared_file(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SHOPKEEPER_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing, and CI requires it",
        path.display()
    );
    eprintln!(
        "SKIPPED: {} not found (set SHOPKEEPER_SHARED_DATA to the folder holding sentiment/)",
        path.display()
    );
    None
}

/// VADER's compound scores of `sentences` (one per line), by VADER's own Python code.
fn vader_scores(vader_dir: &std::path::Path, sentences: &std::path::Path) -> Vec<f64> {
    let script = "import sys\n\
                  sys.path.insert(0, sys.argv[1])\n\
                  from vaderSentiment import SentimentIntensityAnalyzer\n\
                  a = SentimentIntensityAnalyzer()\n\
                  for line in open(sys.argv[2], encoding='utf-8'):\n\
                  \x20   if line.strip():\n\
                  \x20       print(a.polarity_scores(line.rstrip('\\n').split('\\t', 2)[2])['compound'])\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(vader_dir)
        .arg(sentences)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "VADER failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn a_fitted_model_beats_vader_on_held_out_sentences() {
    let Some(lexicon) = data_file("vader/vader_lexicon.txt") else {
        return;
    };
    let Some(sentences) = shared_file("sentiment/amazon-review-snippets.tsv") else {
        return;
    };
    let (base, report) =
        Sentiment::from_lexicon(&std::fs::read_to_string(&lexicon).unwrap()).unwrap();
    println!(
        "VADER lexicon: {} entries read, {} left out (emoticons, phrases)",
        report.read, report.skipped
    );
    let rated = parse_ratings(&std::fs::read_to_string(&sentences).unwrap(), -4.0, 4.0).unwrap();
    assert_eq!(rated.len(), 3708);
    let truth: Vec<f64> = rated.iter().map(|r| r.rating).collect();
    let vader = vader_scores(lexicon.parent().unwrap(), &sentences);
    let vader_r = shopkeeper::listen::pearson(&vader, &truth).unwrap();
    let cv = cross_validate(&base, &rated, 5, &TextFitOptions::default()).unwrap();
    let (ours_lexicon, ours_fitted) = (cv.base.unwrap(), cv.fitted.unwrap());
    println!(
        "Pearson with the human mean over {} sentences: VADER {vader_r:.4}, our lexicon rules \
         {ours_lexicon:.4}, fitted (5-fold, held out) {ours_fitted:.4}",
        rated.len()
    );
    // The README's published figure for VADER: the side-by-side run must reproduce it.
    assert!((vader_r - 0.590).abs() < 0.0005, "VADER gave {vader_r}");
    assert!(
        ours_fitted > vader_r,
        "fitted {ours_fitted} <= VADER {vader_r}"
    );
}
