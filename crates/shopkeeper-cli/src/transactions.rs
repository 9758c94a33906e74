//! Reading transaction logs: CSV with a header, or the CDNOW text files as the literature ships them.

use std::path::Path;

use shopkeeper::score::{parse_date, Transaction};

/// A transaction with the basket fields the cross-sell fit reads.
pub struct Line {
    pub transaction: Transaction,
    /// The order it belongs to (default: the customer and the day).
    pub order: Option<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    /// Where the customer came from (their cohort's source), on any of their lines.
    pub source: Option<String>,
}

/// How the log is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated with a header naming the columns `customer`, `date` (YYYY-MM-DD or
    /// YYYYMMDD), `amount` (major units), and optionally `order`, `product`, `category`, `source`
    /// (where the customer came from: their cohort).
    Csv,
    /// CDNOW_sample.txt or CDNOW_master.txt: whitespace-separated, customer id first, the
    /// YYYYMMDD date the first 8-digit column, the dollar amount last.
    Cdnow,
}

pub fn read(path: &Path, format: Format) -> Result<Vec<Line>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.display();
    match format {
        Format::Csv => read_csv(&text).map_err(|e| format!("{name}:{e}")),
        Format::Cdnow => read_cdnow(&text).map_err(|e| format!("{name}:{e}")),
    }
}

fn read_cdnow(text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || fields[0] == "customer_id" {
            continue;
        }
        let bad = || {
            format!(
                "{}: expected `customer ... YYYYMMDD ... amount`, got {line:?}",
                i + 1
            )
        };
        let day = fields[1..]
            .iter()
            .find(|f| f.len() == 8)
            .and_then(|f| parse_date(f))
            .ok_or_else(bad)?;
        let amount = fields
            .last()
            .and_then(|a| a.parse::<f64>().ok())
            .filter(|_| fields.len() >= 3)
            .ok_or_else(bad)?;
        out.push(Line {
            transaction: Transaction {
                customer: fields[0].to_string(),
                day,
                amount,
            },
            order: None,
            product: None,
            category: None,
            source: None,
        });
    }
    Ok(out)
}

fn read_csv(text: &str) -> Result<Vec<Line>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| format!("1: {e}"))?.clone();
    let find = |name: &str| header.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (Some(customer), Some(date), Some(amount)) =
        (find("customer"), find("date"), find("amount"))
    else {
        if header.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = header.iter().collect();
        return Err(format!(
            "1: the header must name customer, date and amount; got {names:?}"
        ));
    };
    let (order, product, category) = (find("order"), find("product"), find("category"));
    let source = find("source");
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("{line}: {e}")
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let at = |column: usize| record.get(column).unwrap_or("");
        let optional =
            |column: Option<usize>| column.map(at).filter(|v| !v.is_empty()).map(str::to_string);
        let day = parse_date(at(date))
            .ok_or_else(|| format!("{line}: {:?} is not a date (YYYY-MM-DD)", at(date)))?;
        let value: f64 = at(amount)
            .parse()
            .map_err(|_| format!("{line}: {:?} is not an amount", at(amount)))?;
        out.push(Line {
            transaction: Transaction {
                customer: at(customer).to_string(),
                day,
                amount: value,
            },
            order: optional(order),
            product: optional(product),
            category: optional(category),
            source: optional(source),
        });
    }
    Ok(out)
}
