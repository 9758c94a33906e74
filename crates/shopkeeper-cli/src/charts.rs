//! The HTML pages' charts (`shopkeeper report`), drawn with plotters' SVG backend: a heatmap, lines
//! over categories, horizontal bars, and the canvas the dashboard draws its own charts on. Text is
//! left to the browser, so the SVG is inline and needs no font.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

/// A chart's size, in pixels.
pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 360;

/// What a chart's drawing returns: plotters' errors, boxed.
pub type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws into an SVG string of `height` pixels (and [`WIDTH`]) on white.
pub fn svg(
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn,
) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The legend of the named series, at `at`.
pub fn legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    at: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(at)
        .draw()?;
    Ok(())
}

/// A color from white (0) to deep teal (1).
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    RGBColor(mix(247.0, 8.0), mix(252.0, 81.0), mix(240.0, 99.0))
}

/// Every few labels of `ticks` (at most 8), at the cell `i` they name.
fn tick(ticks: &[String], i: usize) -> String {
    let every = (ticks.len() / 8).max(1);
    match i % every {
        0 => ticks.get(i).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// A heatmap of `cells[row][column]` (`None` is left blank): rows bottom to top, with a color
/// scale from the smallest value to the largest.
pub struct Heatmap<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_ticks: Vec<String>,
    pub y_ticks: Vec<String>,
    pub cells: Vec<Vec<Option<f64>>>,
    pub value_format: fn(f64) -> String,
}

impl Heatmap<'_> {
    pub fn render(&self) -> Result<String, String> {
        let (rows, columns) = (self.cells.len(), self.cells.first().map_or(0, Vec::len));
        let values = self.cells.iter().flatten().flatten();
        let max = values.clone().fold(f64::MIN, |a, b| a.max(*b));
        let min = values.fold(f64::MAX, |a, b| a.min(*b));
        let span = if max > min { max - min } else { 1.0 };
        svg(HEIGHT + 40, |root| {
            let (main, scale) = root.split_horizontally(WIDTH - 70);
            let mut chart = ChartBuilder::on(&main)
                .caption(self.title, ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(40)
                .y_label_area_size(48)
                .build_cartesian_2d(0..columns.max(1), 0..rows.max(1))?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(columns.max(1))
                .y_labels(rows.max(1))
                .x_label_formatter(&|c| tick(&self.x_ticks, *c))
                .y_label_formatter(&|r| tick(&self.y_ticks, *r))
                .x_desc(self.x_label)
                .y_desc(self.y_label)
                .draw()?;
            chart.draw_series(self.cells.iter().enumerate().flat_map(|(r, row)| {
                row.iter().enumerate().filter_map(move |(c, cell)| {
                    let v = (*cell)?;
                    let color = shade((v - min) / span);
                    Some(Rectangle::new([(c, r), (c + 1, r + 1)], color.filled()))
                })
            }))?;
            let mut legend = ChartBuilder::on(&scale)
                .margin_top(40)
                .margin_bottom(48)
                .y_label_area_size(0)
                .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
            legend.draw_series((0..20).map(|i| {
                let t = f64::from(i) / 20.0;
                Rectangle::new([(0.0, t), (0.3, t + 0.05)], shade(t + 0.025).filled())
            }))?;
            for (at, value) in [(0.0, min), (0.97, max)] {
                let text = Text::new((self.value_format)(value), (0.35, at), ("sans-serif", 11));
                legend.draw_series(std::iter::once(text))?;
            }
            Ok(())
        })
    }
}

/// Lines over shared categorical x positions (`x_ticks`), each `(name, color, values)`, with a
/// legend.
pub struct Lines<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_ticks: Vec<String>,
    pub series: Vec<(&'a str, RGBColor, Vec<f64>)>,
}

impl Lines<'_> {
    pub fn render(&self) -> Result<String, String> {
        let n = self.x_ticks.len().max(2);
        let top = (self.series.iter().flat_map(|s| s.2.iter())).fold(0.0f64, |a, b| a.max(*b));
        svg(HEIGHT, |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(self.title, ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(40)
                .y_label_area_size(52)
                .build_cartesian_2d(0.0..(n - 1) as f64, 0.0..(top * 1.15).max(1e-9))?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .x_labels(n)
                .x_label_formatter(&|x| {
                    let i = x.round();
                    match (x - i).abs() < 1e-9 && i >= 0.0 {
                        true => self.x_ticks.get(i as usize).cloned().unwrap_or_default(),
                        false => String::new(),
                    }
                })
                .x_desc(self.x_label)
                .y_desc(self.y_label)
                .draw()?;
            for (name, color, values) in &self.series {
                let color = *color;
                let points: Vec<(f64, f64)> = (values.iter().enumerate())
                    .map(|(i, v)| (i as f64, *v))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                    .label(*name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                    });
                chart.draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)
        })
    }
}

/// Horizontal bars, largest scale first as given, each with its value and share.
pub fn bars(title: &str, items: &[(String, f64)]) -> Result<String, String> {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let most = items.iter().fold(0.0f64, |a, i| a.max(i.1)).max(1.0);
    let rows = items.len().max(1) as f64;
    let height = 60 + 26 * items.len().max(1) as u32;
    svg(height, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(8)
            .build_cartesian_2d(0.0..most * 1.45, 0.0..rows)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        for (i, (label, value)) in items.iter().enumerate() {
            let y = rows - 1.0 - i as f64;
            let bar = Rectangle::new(
                [(0.0, y + 0.15), (*value, y + 0.85)],
                RGBColor(42, 157, 143).filled(),
            );
            chart.draw_series(std::iter::once(bar))?;
            let share = if total > 0.0 {
                value / total * 100.0
            } else {
                0.0
            };
            let text = format!("{label}: {value} ({share:.1}%)");
            let at = (value + most * 0.01, y + 0.62);
            chart.draw_series(std::iter::once(Text::new(text, at, ("sans-serif", 12))))?;
        }
        Ok(())
    })
}
