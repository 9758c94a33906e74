//! `shopkeeper report`: one self-contained HTML file with SVG charts of the fitted models against a
//! transaction log: P(alive) and expected purchases over frequency × recency, calibration vs
//! holdout purchases, and RFM segment sizes.

use std::fmt::Write;
use std::path::PathBuf;

use shopkeeper::score::{Models, PurchaseModel, Rfm, Segment, Summary, EXPECTED_PURCHASES_DAYS};

use crate::fit::{holdout, period};
use plotters::style::RGBColor;

use crate::charts::{bars, escape, Heatmap, Lines};
use crate::transactions::Format;

pub struct ReportArgs {
    pub models: PathBuf,
    pub transactions: PathBuf,
    pub format: Format,
    pub calibration_end: String,
    pub holdout_end: Option<String>,
    pub out: PathBuf,
}

/// Frequency rows and recency columns of the matrices.
const MAX_ROWS: u32 = 30;
const COLUMNS: usize = 24;

pub fn run(args: &ReportArgs) -> Result<String, String> {
    let text = crate::read(&args.models)?;
    let models = Models::from_json(&text).map_err(|e| format!("{}: {e}", args.models.display()))?;
    let model = models
        .purchases
        .ok_or_else(|| format!("{}: no purchase model to report on", args.models.display()))?;
    let period = period(
        &args.transactions,
        args.format,
        &args.calibration_end,
        args.holdout_end.as_deref(),
        models.unit.name(),
    )?;
    let unit = models.unit;
    let summaries: Vec<Summary> = period.histories.iter().map(|h| h.summary).collect();
    let age = summaries.iter().map(|s| s.age).fold(0.0, f64::max);
    let mut frequencies: Vec<u32> = summaries.iter().map(|s| s.frequency).collect();
    frequencies.sort_unstable();
    let top = frequencies
        .get(frequencies.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or(0)
        .clamp(1, MAX_ROWS);

    let matrix = |f: &dyn Fn(&Summary) -> Option<f64>| -> Vec<Vec<Option<f64>>> {
        (0..=top)
            .map(|x| {
                (0..COLUMNS)
                    .map(|c| {
                        let recency = (c as f64 + 0.5) / COLUMNS as f64 * age;
                        // Without repeats recency is 0: only the first column exists.
                        let recency = if x == 0 { 0.0 } else { recency };
                        if x == 0 && c > 0 {
                            return None;
                        }
                        f(&Summary {
                            frequency: x,
                            recency,
                            age,
                            monetary: 0.0,
                        })
                    })
                    .collect()
            })
            .collect()
    };
    let x_ticks: Vec<String> = (0..COLUMNS)
        .map(|c| format!("{:.0}", (c as f64 + 0.5) / COLUMNS as f64 * age))
        .collect();
    let y_ticks: Vec<String> = (0..=top).map(|x| x.to_string()).collect();
    let unit_name = unit.name();
    let recency_label = format!("recency ({unit_name}s from first to last purchase)");
    let alive = Heatmap {
        title: &format!("P(alive) by frequency and recency, for a customer first seen {age:.0} {unit_name}s ago"),
        x_label: &recency_label,
        y_label: "frequency (repeat purchases)",
        x_ticks: x_ticks.clone(),
        y_ticks: y_ticks.clone(),
        cells: matrix(&|s| model.p_alive(s)),
        value_format: |v| format!("{v:.2}"),
    }
    .render()?;
    let horizon = EXPECTED_PURCHASES_DAYS / unit.days();
    let expected = Heatmap {
        title: "Expected purchases in the next 90 days",
        x_label: &recency_label,
        y_label: "frequency (repeat purchases)",
        x_ticks,
        y_ticks,
        cells: matrix(&|s| model.expected_purchases(s, horizon)),
        value_format: |v| format!("{v:.2}"),
    }
    .render()?;

    let holdout_chart = if period.holdout > 0.0 {
        let rows = holdout(&model, &period.histories, period.holdout);
        let per = |i: usize| {
            if rows[i].0 == 0 {
                0.0
            } else {
                1.0 / rows[i].0 as f64
            }
        };
        let predicted: f64 = rows.iter().map(|r| r.1).sum();
        let actual: f64 = rows.iter().map(|r| r.2).sum();
        let chart = Lines {
            title: &format!(
                "Holdout purchases per customer ({:.0} {unit_name}s): predicted {predicted:.0}, actual {actual:.0} in total",
                period.holdout
            ),
            x_label: "purchases in the calibration period (repeat)",
            y_label: "average purchases in the holdout",
            x_ticks: (0..8).map(|i| if i == 7 { "7+".into() } else { i.to_string() }).collect(),
            series: vec![
                ("actual", RGBColor(38, 70, 83), (0..8).map(|i| rows[i].2 * per(i)).collect()),
                ("model", RGBColor(231, 111, 81), (0..8).map(|i| rows[i].1 * per(i)).collect()),
            ],
        };
        chart.render()?
    } else {
        "<p>No holdout period: pass <code>--holdout-end</code> to compare predictions with what happened.</p>".into()
    };

    let population: Vec<_> = period.histories.iter().map(|h| h.rfm_input(unit)).collect();
    let rfm = match &models.rfm {
        Some(rfm) => Some(rfm.clone()),
        None => Rfm::fit(&population).ok(),
    };
    let segments = rfm.map(|rfm| -> Result<String, String> {
        let mut counts = [0usize; 11];
        for input in &population {
            let segment = rfm.score(input).segment();
            if let Some(i) = Segment::ALL.iter().position(|s| *s == segment) {
                counts[i] += 1;
            }
        }
        let items: Vec<(String, f64)> = Segment::ALL
            .iter()
            .zip(counts)
            .map(|(s, n)| (s.name().replace('_', " "), n as f64))
            .collect();
        bars(
            &format!(
                "RFM segments of the {} customers at the calibration end",
                population.len()
            ),
            &items,
        )
    });
    let segments = segments.transpose()?;

    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shopkeeper model report</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1340px;color:#1d3557;padding:0 1rem}}
h1{{font-size:1.6rem}} .grid{{display:grid;grid-template-columns:repeat(auto-fit,minmax(640px,1fr));gap:1.5rem}}
figure{{margin:0;background:#fff;border:1px solid #e0e6ea;border-radius:8px;padding:.5rem}}
table{{border-collapse:collapse}} td,th{{padding:.2rem .8rem;border-bottom:1px solid #e0e6ea;text-align:right}}</style></head><body>
<h1>Customer-base model report</h1><p>{} customers from <code>{}</code>, calibration end {}, time unit: {unit_name}.</p>{}
<div class="grid"><figure>{alive}</figure><figure>{expected}</figure><figure>{holdout_chart}</figure><figure>{}</figure></div>
<p>Charts: P(alive) and expected purchases for a customer of the oldest cohort with each frequency and recency (frequency 0 has recency 0 only); the holdout compares the model's conditional expectations with the purchases that happened, by calibration frequency; segments follow spec/scores.md.</p></body></html>
"#,
        period.histories.len(),
        escape(&args.transactions.display().to_string()),
        escape(&args.calibration_end),
        parameters(&models, &model),
        segments.unwrap_or_else(|| "<p>No buyers for RFM.</p>".into())
    );
    std::fs::write(&args.out, &html)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(format!(
        "wrote {} ({} KB)",
        args.out.display(),
        html.len() / 1024
    ))
}

fn parameters(models: &Models, model: &PurchaseModel) -> String {
    let mut rows: Vec<(String, f64)> = match model {
        PurchaseModel::Bgnbd(m) => shopkeeper::score::BgNbd::NAMES
            .iter()
            .zip(m.to_array())
            .map(|(n, v)| (format!("BG/NBD {n}"), v))
            .collect(),
        PurchaseModel::ParetoNbd(m) => shopkeeper::score::ParetoNbd::NAMES
            .iter()
            .zip(m.to_array())
            .map(|(n, v)| (format!("Pareto/NBD {n}"), v))
            .collect(),
    };
    if let Some(spend) = &models.spend {
        rows.extend(
            shopkeeper::score::GammaGamma::NAMES
                .iter()
                .zip(spend.to_array())
                .map(|(n, v)| (format!("Gamma-Gamma {n}"), v)),
        );
    }
    let cells: String = rows
        .iter()
        .map(|(n, v)| format!("<tr><th>{}</th><td>{v:.4}</td></tr>", escape(n)))
        .collect();
    format!("<table>{cells}</table>")
}
