//! `shopkeeper report --decisions LOG` (and `--kpis FILE`): one self-contained HTML page that
//! shows whether the engine pays, drawn with plotters' SVG backend: acceptance and attributed
//! revenue per offer over time, treatment against the control group with the lift's interval,
//! each budget's spend against its even plan, and the top reasons offers were dropped.
//!
//! Every number comes from the core: KPIs and their lift (`kpi::Kpis`), budgets and pacing
//! (`budget`), and drop reasons from each logged decision decided again with its receipt, with
//! budget counters rebuilt from the log's shows and accepts as it plays.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use shopkeeper::budget::{Budgets, Limit, Pacing};
use shopkeeper::decide::{Engine, Live, LogEntry};
use shopkeeper::kpi::{Kpis, Resolution};
use shopkeeper::time::format_utc;
use shopkeeper::{Channel, Event, EventKind, Timestamp};

use crate::charts::{escape, legend, svg};

pub struct DashboardArgs {
    pub decisions: Option<PathBuf>,
    pub kpis: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub models: Option<PathBuf>,
    pub out: PathBuf,
}

/// Offers drawn per chart (the most shown).
const TOP_OFFERS: usize = 6;
/// The dashboard's charts' height, in pixels.
const HEIGHT: u32 = 320;

pub fn run(args: &DashboardArgs) -> Result<String, String> {
    let entries = match &args.decisions {
        Some(path) => read_log(path)?,
        None => Vec::new(),
    };
    let kpis = match &args.kpis {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some(Kpis::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let first = entries.first().map_or(0, |e| e.decision.now);
    let engine = match &args.catalog {
        Some(catalog) => Some(crate::load::engine(catalog, args.models.as_deref(), first)?),
        None => None,
    };
    let mut html = String::new();
    let mut said = Vec::new();
    html.push_str(&head(&entries, engine.as_ref()));
    match &kpis {
        Some(kpis) => {
            html.push_str(&card(
                "Treatment against the control group",
                &lift_chart(kpis)?,
            ));
            let rows = offer_rows(kpis);
            html.push_str(&card(
                "Acceptance per offer, by day",
                &acceptance_chart(&rows)?,
            ));
            html.push_str(&card(
                "Attributed revenue per offer, by day",
                &revenue_chart(&rows)?,
            ));
        }
        None if !entries.is_empty() => {
            html.push_str(&card(
                "Acceptance per offer, by day",
                &acceptance_chart(&log_rows(&entries))?,
            ));
            said.push("no KPIs (--kpis): the lift and revenue per offer are not shown");
        }
        None => {}
    }
    match (&engine, entries.is_empty()) {
        (Some(engine), false) => {
            let replayed = replay(engine, &entries)?;
            for (offer, points) in &replayed.budgets {
                let title = format!("Budget of {offer}: spent against the even plan");
                html.push_str(&card(&title, &budget_chart(engine, offer, points)?));
            }
            if engine.catalog().offers().all(|o| o.budget().is_none()) {
                said.push("no offer of the catalog has a budget");
            } else if replayed.budgets.is_empty() {
                said.push("no offer with a budget was shown in the log");
            }
            html.push_str(&card("Top reasons offers were dropped", &drops(&replayed)?));
        }
        (None, false) => {
            said.push("no catalog (--catalog): budgets and drop reasons are not shown")
        }
        (_, true) => {
            said.push("no decision log (--decisions): budgets and drop reasons are not shown")
        }
    }
    for note in said {
        let _ = write!(html, "<p class=\"note\">{}</p>", escape(note));
    }
    html.push_str("</main></body></html>\n");
    std::fs::write(&args.out, html)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(format!(
        "wrote {} ({} logged decisions{})",
        args.out.display(),
        entries.len(),
        if kpis.is_some() { ", KPIs" } else { "" }
    ))
}

fn read_log(path: &Path) -> Result<Vec<LogEntry>, String> {
    let text = crate::read(path)?;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry =
            LogEntry::from_json(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        entries.push(entry);
    }
    entries.sort_by_key(|e| e.decision.now);
    Ok(entries)
}

fn head(entries: &[LogEntry], engine: Option<&Engine>) -> String {
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shopkeeper: does it pay?</title><style>\
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f5;color:#1d2b2a}\
header{background:#085163;color:#fff;padding:16px 24px}h1{margin:0;font-size:22px}\
header p{margin:4px 0 0;opacity:.85}main{display:flex;flex-wrap:wrap;gap:16px;padding:16px}\
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:10px 12px;flex:0 0 auto;max-width:640px}\
h2{font-size:16px;margin:4px 0 8px}table{border-collapse:collapse;font-size:13px;width:100%}\
td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #e3e8e6}p.note{width:100%;color:#555}\
.summary{font-size:14px;margin:6px 0}</style></head><body><header><h1>Does it pay?</h1>",
    );
    let span = match (entries.first(), entries.last()) {
        (Some(a), Some(b)) => format!(
            "{} decisions from {} to {}",
            entries.len(),
            format_utc(a.decision.now),
            format_utc(b.decision.now)
        ),
        _ => "no decision log".into(),
    };
    let version = engine.map_or(String::new(), |e| {
        format!("catalog {} · ", e.catalog().version())
    });
    let _ = write!(
        out,
        "<p>{}{}</p></header><main>",
        escape(&version),
        escape(&span)
    );
    out
}

fn card(title: &str, body: &str) -> String {
    format!("<section><h2>{}</h2>{body}</section>", escape(title))
}

/// One offer's day: shows, accepts, attributed revenue (minor units).
type Day = (u64, u64, i64);
/// Per offer and day.
type Rows = BTreeMap<String, BTreeMap<Timestamp, Day>>;

fn offer_rows(kpis: &Kpis) -> Rows {
    let mut rows = Rows::new();
    for (day, offer, _segment, c) in kpis.offers(Resolution::Day) {
        let cell = rows
            .entry(offer.into())
            .or_default()
            .entry(day)
            .or_default();
        cell.0 = cell.0.saturating_add(c.shows);
        cell.1 = cell.1.saturating_add(c.accepts);
        cell.2 = cell.2.saturating_add(c.revenue);
    }
    rows
}

fn log_rows(entries: &[LogEntry]) -> Rows {
    let mut rows = Rows::new();
    for e in entries.iter().filter(|e| !e.decision.fallback) {
        let day = e.decision.now.div_euclid(86_400) * 86_400;
        for pick in e.decision.picks.iter() {
            let cell = rows
                .entry(pick.offer.clone())
                .or_default()
                .entry(day)
                .or_default();
            cell.0 += 1;
            cell.1 += u64::from(e.accepted.contains(&pick.offer));
        }
    }
    rows
}

/// The most shown offers, most first.
fn top(rows: &Rows) -> Vec<(&String, &BTreeMap<Timestamp, Day>)> {
    let mut all: Vec<_> = (rows.iter())
        .filter(|(_, days)| days.values().any(|c| c.0 > 0))
        .collect();
    all.sort_by_key(|(_, days)| std::cmp::Reverse(days.values().map(|c| c.0).sum::<u64>()));
    all.truncate(TOP_OFFERS);
    all
}

fn day_label(t: &i64) -> String {
    format_utc(*t)[5..10].to_string()
}

/// One line per top offer of `value(shows, accepts, revenue)` by day.
fn daily_lines(rows: &Rows, y: &str, value: fn(&Day) -> Option<f64>) -> Result<String, String> {
    if top(rows).is_empty() {
        return Ok("<p>No offer was shown.</p>".into());
    }
    let lines: Vec<(String, Vec<(i64, f64)>)> = top(rows)
        .into_iter()
        .map(|(offer, days)| {
            let points = days
                .iter()
                .filter_map(|(d, c)| value(c).map(|v| (*d, v)))
                .collect();
            (offer.clone(), points)
        })
        .collect();
    let xs = lines.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x));
    let (x0, x1) = (
        xs.clone().min().unwrap_or(0),
        xs.max().unwrap_or(0) + 86_400,
    );
    let y1 = lines
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
        .fold(0.0, f64::max);
    svg(HEIGHT, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, 0.0..(y1 * 1.15).max(1e-9))?;
        chart
            .configure_mesh()
            .x_label_formatter(&day_label)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .y_desc(y)
            .light_line_style(TRANSPARENT)
            .draw()?;
        for (i, (offer, points)) in lines.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(offer.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

fn acceptance_chart(rows: &Rows) -> Result<String, String> {
    if rows.is_empty() {
        return Ok("<p>No offer was shown.</p>".into());
    }
    daily_lines(rows, "accepts per show (%)", |c| {
        (c.0 > 0).then(|| 100.0 * c.1 as f64 / c.0 as f64)
    })
}

fn revenue_chart(rows: &Rows) -> Result<String, String> {
    if rows.values().all(|d| d.values().all(|c| c.2 == 0)) {
        return Ok(
            "<p>No purchase followed an accepted offer within the attribution window.</p>".into(),
        );
    }
    daily_lines(rows, "attributed revenue (minor units)", |c| {
        Some(c.2 as f64)
    })
}

/// Each arm's conversion, and the lift in points with its 95% interval, from the core's `Lift`.
fn lift_chart(kpis: &Kpis) -> Result<String, String> {
    let lift = kpis.lift();
    let c = &lift.conversion;
    let arms = [
        (
            format!("treatment ({} customers)", lift.treatment_customers),
            100.0 * c.treatment,
        ),
        (
            format!("control ({} customers)", lift.control_customers),
            100.0 * c.control,
        ),
    ];
    let interval = c
        .absolute
        .map(|i| (100.0 * i.value, 100.0 * i.low, 100.0 * i.high));
    let top = arms
        .iter()
        .map(|a| a.1)
        .fold(0.0, f64::max)
        .max(interval.map_or(0.0, |i| i.2));
    let low = interval.map_or(0.0, |i| i.1.min(0.0));
    let chart = svg(HEIGHT, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..3.0, (low * 1.2)..(top * 1.25).max(1e-9))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .light_line_style(TRANSPARENT)
            .y_desc("conversion (%) / lift (points)")
            .draw()?;
        for (i, (name, rate)) in arms.iter().enumerate() {
            let x = i as f64;
            let color = Palette99::pick(i).to_rgba();
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x + 0.2, 0.0), (x + 0.8, *rate)],
                color.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{name}: {rate:.2}%"),
                (x + 0.05, *rate * 1.08 + top * 0.02),
                ("sans-serif", 12),
            )))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(2.0, 0.0), (3.0, 0.0)],
            BLACK.mix(0.4),
        )))?;
        if let Some((value, lo, hi)) = interval {
            chart.draw_series(std::iter::once(ErrorBar::new_vertical(
                2.5,
                lo,
                value,
                hi,
                BLACK.stroke_width(2),
                14,
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("lift {value:+.2} points [{lo:+.2}, {hi:+.2}]"),
                (2.05, hi + top * 0.05),
                ("sans-serif", 12),
            )))?;
        }
        Ok(())
    })?;
    Ok(format!(
        "<p class=\"summary\">{}</p>{chart}",
        escape(&kpis.lift().summary())
    ))
}

/// What playing the log again with receipts gave: each budget's spend over time, and the drops.
struct Replayed {
    /// Per budgeted offer that was shown: (time, spent in the period then).
    budgets: BTreeMap<String, Vec<(Timestamp, u64)>>,
    /// (stage, offer) to the count and one reason.
    drops: BTreeMap<(String, String), (u64, String)>,
    decided: u64,
    same_picks: u64,
    /// Entries whose profile or context could not be read, or that could not be decided again.
    unread: u64,
    /// Entries logged with another catalog version than the one read.
    other_catalog: u64,
}

/// Decides every logged decision again with its receipt, its profile and context, and budget
/// counters rebuilt from the log's shows and accepts before it (accepts at their decision's time).
fn replay(engine: &Engine, entries: &[LogEntry]) -> Result<Replayed, String> {
    let catalog = engine.catalog();
    let mut counters = Budgets::new();
    let mut out = Replayed {
        budgets: BTreeMap::new(),
        drops: BTreeMap::new(),
        decided: 0,
        same_picks: 0,
        unread: 0,
        other_catalog: 0,
    };
    for entry in entries {
        let record = &entry.decision;
        out.other_catalog += u64::from(record.catalog_version != catalog.version());
        let (Ok(profile), Ok(context)) = (entry.profile(), entry.context(catalog.schema())) else {
            out.unread += 1;
            continue;
        };
        let live = Live {
            budgets: Some(&counters),
            ..Live::default()
        };
        let request = record.request().explain(true);
        if let Ok(decision) = engine.decide_live(&profile, &context, &request, live) {
            out.decided += 1;
            let picks: Vec<&str> = decision.picks().iter().map(|p| p.action.id()).collect();
            let logged: Vec<&str> = record.picks.iter().map(|p| p.offer.as_str()).collect();
            out.same_picks += u64::from(picks == logged);
            for dropped in decision.receipt().map_or(&[][..], |r| r.dropped.as_slice()) {
                let key = (
                    dropped.stage().as_str().to_string(),
                    dropped.offer().to_string(),
                );
                let slot = out
                    .drops
                    .entry(key)
                    .or_insert_with(|| (0, dropped.reason()));
                slot.0 += 1;
            }
        } else {
            out.unread += 1;
        }
        if record.fallback {
            continue;
        }
        let events = record.picks.iter().map(|p| EventKind::OfferShown {
            offer: p.offer.clone(),
        });
        let accepts = entry
            .accepted
            .iter()
            .map(|o| EventKind::OfferAccepted { offer: o.clone() });
        for kind in events.chain(accepts) {
            let event = Event::new(record.now, Channel::Web, kind);
            let _ = counters.record(catalog, &event);
        }
        for offer in catalog.offers().filter(|o| o.budget().is_some()) {
            let id = offer.action().id();
            let shown = record.picks.iter().any(|p| p.offer == id);
            if let Some(spent) = counters.spent(offer, record.now) {
                if !shown && !out.budgets.contains_key(id) {
                    continue;
                }
                let series = out.budgets.entry(id.to_string()).or_default();
                if series.last().is_none_or(|last| last.1 != spent)
                    || record.picks.iter().any(|p| p.offer == id)
                {
                    series.push((record.now, spent));
                }
            }
        }
    }
    Ok(out)
}

/// Spend in each period against the even plan and the budget.
fn budget_chart(
    engine: &Engine,
    offer: &str,
    points: &[(Timestamp, u64)],
) -> Result<String, String> {
    let Some(budget) = engine.catalog().offer(offer).and_then(|o| o.budget()) else {
        return Ok(String::new());
    };
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok("<p>Nothing spent.</p>".into());
    };
    let (x0, x1) = (
        budget.period_start(first.0),
        budget.period_start(last.0) + budget.per,
    );
    let max = budget.max as f64;
    // Above the budget too: a budget of accepts can be overspent by late answers.
    let highest = points.iter().map(|p| p.1 as f64).fold(max, f64::max);
    let what = match budget.limit {
        Limit::Shows => "shows",
        Limit::Accepts => "accepts",
    };
    let chart = svg(HEIGHT, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0.0..highest * 1.15)?;
        chart
            .configure_mesh()
            .x_label_formatter(&day_label)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(TRANSPARENT)
            .y_desc(format!("{what} spent in the period"))
            .draw()?;
        let mut start = x0;
        let plan = BLACK.mix(0.45);
        while start < x1 {
            let end = start + budget.per;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(start, 0.0), (end, max)],
                plan.stroke_width(1),
            )))?;
            start = end;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, max), (x1, max)],
                RED.mix(0.6),
            )))?
            .label(format!("budget: {} {what} per period", budget.max))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.mix(0.6)));
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, 0.0), (x0, 0.0)],
                plan,
            )))?
            .label("even plan")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], plan));
        let color = Palette99::pick(0).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(t, s)| (*t, *s as f64)),
                color.stroke_width(2),
            ))?
            .label("spent")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })?;
    let pacing = match engine.catalog().pacing() {
        Pacing::Even { ahead } => format!(
            "even: the plan spreads the budget over each period, and spending may run {:.1}% of it ahead",
            100.0 * ahead
        ),
        _ => "as soon as asked, until the budget is spent".into(),
    };
    Ok(format!(
        "<p class=\"summary\">Pacing {}. Spend rebuilt from the log, accepts at their decision's time.</p>{chart}",
        escape(&pacing)
    ))
}

/// Drops by stage (a bar chart) and the top (stage, offer) pairs with a reason.
fn drops(replayed: &Replayed) -> Result<String, String> {
    let mut by_stage: BTreeMap<&str, u64> = BTreeMap::new();
    for ((stage, _), (n, _)) in &replayed.drops {
        *by_stage.entry(stage).or_default() += n;
    }
    let mut stages: Vec<(&str, u64)> = by_stage.into_iter().collect();
    stages.sort_by_key(|s| std::cmp::Reverse(s.1));
    let most = stages.first().map_or(1, |s| s.1) as f64;
    let rows = stages.len().max(1) as f64;
    let chart = svg(HEIGHT, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(12)
            .build_cartesian_2d(0.0..most * 1.1, 0.0..rows)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("offers dropped, summed over decisions")
            .draw()?;
        for (i, (stage, n)) in stages.iter().enumerate() {
            let y = rows - 1.0 - i as f64;
            let bar = Rectangle::new(
                [(0.0, y + 0.15), (*n as f64, y + 0.85)],
                Palette99::pick(i).mix(0.8).filled(),
            );
            chart.draw_series(std::iter::once(bar))?;
            let label = Text::new(
                format!("{stage}: {n}"),
                (most * 0.01, y + 0.62),
                ("sans-serif", 13),
            );
            chart.draw_series(std::iter::once(label))?;
        }
        Ok(())
    })?;
    let mut pairs: Vec<_> = replayed.drops.iter().collect();
    pairs.sort_by_key(|(_, (n, _))| std::cmp::Reverse(*n));
    let mut table =
        String::from("<table><tr><th>stage</th><th>offer</th><th>drops</th><th>a reason</th></tr>");
    for ((stage, offer), (n, reason)) in pairs.into_iter().take(10) {
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{n}</td><td>{}</td></tr>",
            escape(stage),
            escape(offer),
            escape(reason)
        );
    }
    table.push_str("</table>");
    let mut caveats = String::new();
    if replayed.unread > 0 {
        let _ = write!(caveats, " {} could not be decided again.", replayed.unread);
    }
    if replayed.other_catalog > 0 {
        let _ = write!(
            caveats,
            " {} were logged with another catalog version than the one read.",
            replayed.other_catalog
        );
    }
    Ok(format!(
        "<p class=\"summary\">Every logged decision decided again with its receipt: {} of {} gave the logged picks.{}</p>{chart}{table}",
        replayed.same_picks,
        replayed.decided,
        escape(&caveats)
    ))
}
