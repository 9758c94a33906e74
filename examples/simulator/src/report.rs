//! The results of several seeds as a table (CSV) and a chart (SVG): per window of decisions,
//! each policy's share of the oracle's expected acceptance, its mean over the seeds and its
//! spread (least and greatest).

use crate::{Window, DRIFT_AT, ORACLE, POLICIES};

/// One seed's windows.
pub struct Run {
    /// The world's seed.
    pub seed: u64,
    /// Its windows of decisions.
    pub windows: Vec<Window>,
}

/// Per window, each policy's expected accepts over the oracle's.
pub fn shares(windows: &[Window]) -> Vec<[f64; 5]> {
    windows
        .iter()
        .map(|w| w.expected.map(|e| e / w.expected[ORACLE].max(1e-12)))
        .collect()
}

/// Per window: `(until, mean, least, greatest)` of each policy's share over the runs.
fn spread(runs: &[Run]) -> Vec<(usize, [[f64; 3]; 5])> {
    let per_run: Vec<Vec<[f64; 5]>> = runs.iter().map(|r| shares(&r.windows)).collect();
    let windows = runs.first().map_or(&[][..], |r| &r.windows[..]);
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut out = [[0.0, f64::INFINITY, f64::NEG_INFINITY]; 5];
            for (k, cell) in out.iter_mut().enumerate() {
                for run in &per_run {
                    let s = run[i][k];
                    cell[0] += s / per_run.len() as f64;
                    cell[1] = cell[1].min(s);
                    cell[2] = cell[2].max(s);
                }
            }
            (w.until, out)
        })
        .collect()
}

/// The first window's end past `from` from which `policy`'s mean share over the seeds stays at
/// least `share` in every window up to `to`: where the curve gets there for good.
pub fn reached(runs: &[Run], policy: usize, share: f64, from: usize, to: usize) -> Option<usize> {
    let mut first = None;
    for (until, cells) in spread(runs) {
        if until <= from || until > to {
            continue;
        }
        if cells[policy][0] < share {
            first = None;
        } else if first.is_none() {
            first = Some(until);
        }
    }
    first
}

/// The CSV: `decisions`, then per policy its share of the oracle in the window (mean over the
/// seeds, least, greatest), then its expected acceptance rate (mean over the seeds).
pub fn csv(runs: &[Run]) -> String {
    let mut out = String::from("decisions");
    for p in POLICIES {
        out.push_str(&format!(",{p}_share,{p}_share_min,{p}_share_max"));
    }
    for p in POLICIES {
        out.push_str(&format!(",{p}_rate"));
    }
    out.push('\n');
    let rates: Vec<Vec<[f64; 5]>> = runs
        .iter()
        .map(|r| {
            let mut previous = 0;
            r.windows
                .iter()
                .map(|w| {
                    let n = (w.until - previous).max(1) as f64;
                    previous = w.until;
                    w.expected.map(|e| e / n)
                })
                .collect()
        })
        .collect();
    for (i, (until, cells)) in spread(runs).into_iter().enumerate() {
        out.push_str(&until.to_string());
        for [mean, low, high] in cells {
            out.push_str(&format!(",{mean:.4},{low:.4},{high:.4}"));
        }
        for k in 0..POLICIES.len() {
            let mean = rates.iter().map(|r| r[i][k]).sum::<f64>() / rates.len() as f64;
            out.push_str(&format!(",{mean:.6}"));
        }
        out.push('\n');
    }
    out
}

/// A chart of each policy's share of the oracle per window: the mean over the seeds as a line,
/// the least and greatest as a band.
pub fn svg(runs: &[Run]) -> String {
    let (width, height, margin) = (860.0, 420.0, 50.0);
    let points = spread(runs);
    let last = points.last().map_or(1, |p| p.0) as f64;
    let x = |d: f64| margin + (width - 2.0 * margin) * d / last;
    let y = |s: f64| height - margin - (height - 2.0 * margin) * s.clamp(0.0, 1.1) / 1.1;
    let colours = ["#1b7837", "#762a83", "#2166ac", "#b2182b", "#000000"];
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{margin}\" y=\"20\">Share of the oracle's expected acceptance per 1,000 decisions, {} seeds (band: least to greatest); drift at {DRIFT_AT}</text>\n\
         <line x1=\"{margin}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\n\
         <line x1=\"{margin}\" y1=\"{margin}\" x2=\"{margin}\" y2=\"{b}\" stroke=\"#888\"/>\n\
         <line x1=\"{d}\" y1=\"{margin}\" x2=\"{d}\" y2=\"{b}\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n\
         <text x=\"{margin}\" y=\"{yl}\">0</text><text x=\"{r2}\" y=\"{yl}\">{last} decisions</text>\n",
        runs.len(),
        b = height - margin,
        r = width - margin,
        d = x(DRIFT_AT as f64),
        yl = height - margin + 15.0,
        r2 = width - margin - 90.0,
    );
    for level in [0.5, 0.9, 0.95, 1.0] {
        out.push_str(&format!(
            "<line x1=\"{margin}\" y1=\"{v:.1}\" x2=\"{r}\" y2=\"{v:.1}\" stroke=\"#eee\"/><text x=\"8\" y=\"{t:.1}\">{:.0}%</text>\n",
            level * 100.0,
            v = y(level),
            r = width - margin,
            t = y(level) + 4.0,
        ));
    }
    let mut previous = 0;
    let mids: Vec<f64> = points
        .iter()
        .map(|(until, _)| {
            let mid = (previous + until) as f64 / 2.0;
            previous = *until;
            mid
        })
        .collect();
    for (k, policy) in POLICIES.iter().enumerate() {
        let line = |j: usize| -> Vec<String> {
            points
                .iter()
                .zip(&mids)
                .map(|((_, cells), &m)| format!("{:.1},{:.1}", x(m), y(cells[k][j])))
                .collect()
        };
        let mut band = line(1);
        band.extend(line(2).into_iter().rev());
        out.push_str(&format!(
            "<polygon fill=\"{c}\" fill-opacity=\"0.15\" stroke=\"none\" points=\"{}\"/>\n\
             <polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" points=\"{}\"/>\n\
             <text x=\"{}\" y=\"{}\" fill=\"{c}\">{policy}</text>\n",
            band.join(" "),
            line(0).join(" "),
            width - margin - 80.0,
            height - margin - 80.0 + 15.0 * k as f64,
            c = colours[k],
        ));
    }
    out.push_str("</svg>\n");
    out
}
