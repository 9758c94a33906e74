//! Hearing messages: the sentiment of a sentence with the VADER lexicon (our rules), with the
//! lexicon and a learned layer, and with the catalog's intents too, against two peers in the same
//! run: VADER's Rust port (the `vader_sentiment` crate, a criterion case here) and VADER itself in
//! Python (timed by its own loop, `python3` on the wheel `cargo xtask data` unpacks). And what a
//! message costs to fold: with its text heard, and with the caller's own sentiment.
//!
//! The sentences are the 3,708 rated review sentences of `../shared/data/sentiment` when present,
//! else a few customer messages written here; the lexicon is `target/data/vader/vader_lexicon.txt`
//! (`cargo xtask data`), else a small one written here.
//!
//! Run: `cargo xtask data && cargo bench -p shopkeeper-benches --bench sentiment`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::listen::{parse_ratings, Listener, Sentiment, TextFitOptions};
use shopkeeper::score::Models;
use shopkeeper::{Channel, Direction, Event, EventKind, Profile};

const NOW: i64 = 1_732_406_400;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sentences_file() -> Option<PathBuf> {
    let path = root().join("../shared/data/sentiment/amazon-review-snippets.tsv");
    path.is_file().then_some(path)
}

/// `ID<TAB>rating<TAB>text` lines to bench on.
fn rated_sentences() -> String {
    match sentences_file() {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => {
            eprintln!("../shared/data/sentiment not found: benching on the messages written here");
            [
                "1_1\t-3\tThis is the second time my tent arrived broken, I want to cancel!",
                "1_2\t3\tI LOVE this tent, it is great!",
                "2_1\t1\tThe tent is not bad, but the poles are a little flimsy.",
                "2_2\t-2\tWhere is my parcel? It was supposed to arrive on Monday.",
                "3_1\t2.5\tThanks so much, the replacement works perfectly.",
                "3_2\t-1.5\tkind of disappointed with the zipper, it sticks",
            ]
            .join("\n")
        }
    }
}

fn lexicon() -> Sentiment {
    let path = root().join("target/data/vader/vader_lexicon.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        eprintln!(
            "{} not found (cargo xtask data): a small lexicon",
            path.display()
        );
        "love\t3.2\ngreat\t3.1\nbroken\t-1.6\nbad\t-2.5\ndisappointed\t-2.1\nthanks\t1.9\n\
         perfectly\t2.4\nflimsy\t-1.3\ncancel\t-0.8\nsticks\t-0.3\n"
            .into()
    });
    Sentiment::from_lexicon(&text).unwrap().0
}

/// VADER in Python: µs per sentence over `texts` (the mean of three passes after a warm-up), or
/// `None` without python3 or the unpacked wheel.
fn vader_python_micros(texts: &[String]) -> Option<f64> {
    let dir = root().join("target/data/vader");
    if !dir.join("vaderSentiment.py").is_file() {
        return None;
    }
    let input = std::env::temp_dir().join("shopkeeper-sentiment-bench.txt");
    std::fs::write(&input, texts.join("\n")).ok()?;
    let script = "import sys, time\n\
                  sys.path.insert(0, sys.argv[1])\n\
                  from vaderSentiment import SentimentIntensityAnalyzer\n\
                  a = SentimentIntensityAnalyzer()\n\
                  texts = open(sys.argv[2], encoding='utf-8').read().split('\\n')\n\
                  for t in texts: a.polarity_scores(t)\n\
                  best = []\n\
                  for _ in range(3):\n\
                  \x20   start = time.perf_counter()\n\
                  \x20   for t in texts: a.polarity_scores(t)\n\
                  \x20   best.append((time.perf_counter() - start) / len(texts))\n\
                  print(sum(best) / len(best) * 1e6)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .arg(&input)
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// Hears every text.
fn hear_all<'a>(listener: Listener<'a>, texts: &'a [String]) -> impl Fn() + 'a {
    move || {
        for text in texts {
            black_box(listener.hear(black_box(text)));
        }
    }
}

fn message(text: &str) -> Event {
    Event::new(
        NOW - 60,
        Channel::Chat,
        EventKind::Message {
            direction: Direction::Inbound,
            text: Some(text.into()),
            sentiment: None,
            intents: Default::default(),
            product: None,
            rating: None,
        },
    )
}

fn bench(c: &mut Criterion) {
    let tsv = rated_sentences();
    let rated = parse_ratings(&tsv, -4.0, 4.0).unwrap();
    let texts: Vec<String> = rated.iter().map(|r| r.text.clone()).collect();
    let lexicon = lexicon();
    let options = TextFitOptions {
        penalties: vec![30.0],
        folds: 2,
        ..TextFitOptions::default()
    };
    let (fitted, _) = lexicon.fit(&rated, &options).unwrap();
    let catalog = Catalog::compile(
        r#"{"version": "bench", "default": {"id": "none"}, "offers": [],
            "intents": {"cancel": ["cancel my order", "cancel", "close my account", "unsubscribe"],
                        "delivery": ["where is my parcel", "arrived broken", "not arrived"],
                        "refund": ["money back", "refund", "return it"]}}"#,
        0,
    )
    .unwrap();
    let mut models = Models::default();
    models.sentiment = Some(fitted.clone());
    let engine = Engine::new(catalog, models).unwrap();
    let vader = vader_sentiment::SentimentIntensityAnalyzer::new();

    let texts = &texts;
    let per_sentence = |listener| hear_all(listener, texts);
    let mut group = c.benchmark_group("sentiment");
    group.bench_function("lexicon", |b| {
        b.iter(per_sentence(Listener::new(None, Some(&lexicon))))
    });
    group.bench_function("lexicon+learned", |b| {
        b.iter(per_sentence(Listener::new(None, Some(&fitted))))
    });
    group.bench_function("lexicon+learned+intents", |b| {
        b.iter(per_sentence(engine.listener()))
    });
    group.bench_function("vader_sentiment crate", |b| {
        b.iter(|| {
            for text in texts {
                black_box(vader.polarity_scores(black_box(text)));
            }
        })
    });
    group.finish();

    let event = message("This is the second time my tent arrived broken, I want to cancel!");
    let mut caller = event.clone();
    if let EventKind::Message {
        text, sentiment, ..
    } = &mut caller.kind
    {
        *text = None;
        *sentiment = Some(-0.6);
    }
    let profile = Profile::known("c1").unwrap();
    let mut group = c.benchmark_group("apply message");
    group.bench_function("text heard", |b| {
        b.iter(|| {
            let mut p = profile.clone();
            p.apply_with(black_box(&event), NOW, &engine.listener())
                .unwrap();
            p
        })
    });
    group.bench_function("caller's sentiment", |b| {
        b.iter(|| {
            let mut p = profile.clone();
            p.apply(black_box(&caller), NOW).unwrap();
            p
        })
    });
    group.finish();

    // Per sentence, side by side (single timed passes, so these print in test mode too).
    let time = |f: &dyn Fn()| {
        let passes = 5;
        let start = Instant::now();
        for _ in 0..passes {
            f();
        }
        start.elapsed().as_secs_f64() * 1e6 / (passes * texts.len()) as f64
    };
    let ours = time(&|| {
        for text in texts {
            black_box(engine.listener().hear(black_box(text)));
        }
    });
    let lexicon_only = time(&|| {
        for text in texts {
            black_box(Listener::new(None, Some(&lexicon)).hear(black_box(text)));
        }
    });
    let rust_vader = time(&|| {
        for text in texts {
            black_box(vader.polarity_scores(black_box(text)));
        }
    });
    println!(
        "\nper sentence over {} sentences: lexicon {lexicon_only:.3} µs, lexicon+learned+intents \
         {ours:.3} µs, vader_sentiment crate {rust_vader:.3} µs ({:.1}x ours)",
        texts.len(),
        rust_vader / ours
    );
    match vader_python_micros(texts) {
        Some(python) => println!(
            "VADER in Python {python:.2} µs per sentence: {:.0}x the lexicon, {:.0}x lexicon+learned+intents",
            python / lexicon_only,
            python / ours
        ),
        None => println!("VADER in Python not measured (run `cargo xtask data`)"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
