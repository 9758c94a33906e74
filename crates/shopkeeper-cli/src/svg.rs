//! Small, dependency-free SVG charts for the HTML report: a heatmap, a line chart, horizontal bars.

use std::fmt::Write;

/// Escapes text for SVG/HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A color from white (0) to deep teal (1).
fn shade(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(247.0, 8.0),
        mix(252.0, 81.0),
        mix(240.0, 99.0)
    )
}

/// A heatmap of `cells[row][column]` (`None` is drawn blank): rows bottom to top, with a color
/// legend from `min` to `max`. Each cell's value is in its tooltip.
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
    pub fn render(&self) -> String {
        let (rows, columns) = (self.cells.len(), self.cells.first().map_or(0, Vec::len));
        let (left, top, width, height) = (60.0, 40.0, 480.0, 320.0);
        let (cw, ch) = (width / columns.max(1) as f64, height / rows.max(1) as f64);
        let values = self.cells.iter().flatten().flatten();
        let max = values.clone().fold(f64::MIN, |a, b| a.max(*b));
        let min = values.fold(f64::MAX, |a, b| a.min(*b));
        let span = if max > min { max - min } else { 1.0 };
        let mut svg = open(640.0, 420.0, self.title);
        for (r, row) in self.cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let Some(v) = cell else { continue };
                let (x, y) = (left + c as f64 * cw, top + height - (r + 1) as f64 * ch);
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}, {}: {}: {}</title></rect>"#,
                    cw + 0.3,
                    ch + 0.3,
                    shade((v - min) / span),
                    escape(self.y_label),
                    escape(self.y_ticks.get(r).map_or("", String::as_str)),
                    escape(self.x_label),
                    escape(self.x_ticks.get(c).map_or("", String::as_str)),
                    (self.value_format)(*v)
                );
            }
        }
        axes(
            &mut svg,
            left,
            top,
            width,
            height,
            self.x_label,
            self.y_label,
        );
        ticks(&mut svg, &self.x_ticks, left, top + height, cw, true);
        ticks(&mut svg, &self.y_ticks, left, top + height, ch, false);
        // Legend.
        let lx = left + width + 24.0;
        for i in 0..20 {
            let t = f64::from(i) / 19.0;
            let _ = write!(
                svg,
                r#"<rect x="{lx}" y="{:.1}" width="14" height="16.5" fill="{}"/>"#,
                top + height - (f64::from(i) + 1.0) * 16.0,
                shade(t)
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.0}" y="{:.0}" class="tick">{}</text><text x="{:.0}" y="{:.0}" class="tick">{}</text></svg>"#,
            lx + 18.0,
            top + height,
            (self.value_format)(min),
            lx + 18.0,
            top + 10.0,
            (self.value_format)(max)
        );
        svg
    }
}

/// Lines over shared categorical x positions, with a legend.
pub struct Lines<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_ticks: Vec<String>,
    pub series: Vec<(&'a str, &'a str, Vec<f64>)>,
}

impl Lines<'_> {
    pub fn render(&self) -> String {
        let (left, top, width, height) = (60.0, 40.0, 480.0, 320.0);
        let n = self.x_ticks.len().max(2);
        let max = self
            .series
            .iter()
            .flat_map(|s| s.2.iter())
            .fold(0.0f64, |a, b| a.max(*b));
        let max = nice_ceiling(max);
        let step = width / (n - 1) as f64;
        let mut svg = open(640.0, 420.0, self.title);
        for i in 0..=4 {
            let v = max * f64::from(i) / 4.0;
            let y = top + height - height * f64::from(i) / 4.0;
            let _ = write!(
                svg,
                r#"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="grid"/><text x="{:.0}" y="{:.1}" class="tick" text-anchor="end">{v:.1}</text>"#,
                left + width,
                left - 6.0,
                y + 4.0
            );
        }
        for (s, (name, color, values)) in self.series.iter().enumerate() {
            let points: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    format!(
                        "{:.1},{:.1}",
                        left + i as f64 * step,
                        top + height - v / max * height
                    )
                })
                .collect();
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2.5"/>"#,
                points.join(" ")
            );
            for (i, v) in values.iter().enumerate() {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{color}"><title>{}: {}: {v:.3}</title></circle>"#,
                    left + i as f64 * step,
                    top + height - v / max * height,
                    escape(name),
                    escape(&self.x_ticks[i.min(self.x_ticks.len() - 1)])
                );
            }
            let ly = top + 14.0 + s as f64 * 20.0;
            let _ = write!(
                svg,
                r#"<rect x="{:.0}" y="{:.0}" width="14" height="4" fill="{color}"/><text x="{:.0}" y="{:.0}" class="tick">{}</text>"#,
                left + 14.0,
                ly - 4.0,
                left + 34.0,
                ly + 1.0,
                escape(name)
            );
        }
        axes(
            &mut svg,
            left,
            top,
            width,
            height,
            self.x_label,
            self.y_label,
        );
        for (i, tick) in self.x_ticks.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.0}" class="tick" text-anchor="middle">{}</text>"#,
                left + i as f64 * step,
                top + height + 16.0,
                escape(tick)
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

/// Horizontal bars with their value and share printed at the end.
pub fn bars(title: &str, items: &[(String, f64)]) -> String {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let max = items.iter().fold(0.0f64, |a, i| a.max(i.1)).max(1.0);
    let (left, top, width, row) = (170.0, 40.0, 360.0, 26.0);
    let height = top + items.len() as f64 * row + 20.0;
    let mut svg = open(640.0, height, title);
    for (i, (label, value)) in items.iter().enumerate() {
        let y = top + i as f64 * row;
        let w = value / max * width;
        let share = if total > 0.0 {
            value / total * 100.0
        } else {
            0.0
        };
        let _ = write!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" class="tick" text-anchor="end">{}</text><rect x="{left}" y="{y:.0}" width="{w:.1}" height="{:.0}" fill="#2a9d8f"><title>{}: {value} ({share:.1}%)</title></rect><text x="{:.1}" y="{:.0}" class="tick">{value} ({share:.1}%)</text>"##,
            left - 8.0,
            y + 16.0,
            escape(label),
            row - 6.0,
            escape(label),
            left + w + 6.0,
            y + 16.0
        );
    }
    svg.push_str("</svg>");
    svg
}

fn open(width: f64, height: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><text x="10" y="22" class="title">{t}</text>"#,
        t = escape(title)
    )
}

fn axes(svg: &mut String, left: f64, top: f64, width: f64, height: f64, x: &str, y: &str) {
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><line x1="{left}" y1="{top}" x2="{left}" y2="{b}" class="axis"/><text x="{cx}" y="{lb}" class="label" text-anchor="middle">{x}</text><text transform="translate(16 {cy}) rotate(-90)" class="label" text-anchor="middle">{y}</text>"#,
        b = top + height,
        r = left + width,
        cx = left + width / 2.0,
        lb = top + height + 36.0,
        cy = top + height / 2.0,
        x = escape(x),
        y = escape(y)
    );
}

/// Labels every few cells so they do not overlap.
fn ticks(svg: &mut String, labels: &[String], left: f64, bottom: f64, size: f64, horizontal: bool) {
    let every = (labels.len() / 8).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let centre = (i as f64 + 0.5) * size;
        let _ = if horizontal {
            write!(
                svg,
                r#"<text x="{:.1}" y="{:.0}" class="tick" text-anchor="middle">{}</text>"#,
                left + centre,
                bottom + 16.0,
                escape(label)
            )
        } else {
            write!(
                svg,
                r#"<text x="{:.0}" y="{:.1}" class="tick" text-anchor="end">{}</text>"#,
                left - 6.0,
                bottom - centre + 4.0,
                escape(label)
            )
        };
    }
}

/// 1, 2 or 5 times a power of ten, at or above `v`.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * power)
}
