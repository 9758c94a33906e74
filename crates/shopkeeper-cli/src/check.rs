//! `shopkeeper check FILE`: type-check a file of named rules and print compiler-style diagnostics.
//!
//! The file declares the custom attributes and context keys rules may read, then names rules:
//!
//! ```text
//! # comments start with #
//! attribute tier: string
//! context page_type: string
//!
//! rule vip_cart: customer.known and cart.value >= 100
//! rule returning_gadget_fan:
//!   session.referrer == "gadgets.com"
//!   and days_since(customer.last_purchase) <= 30
//! ```
//!
//! A rule's expression starts after its `:` and continues on the following indented lines.

use std::collections::BTreeSet;

use shopkeeper::rules::{Rule, Schema, Type};

/// A rule as written in the file: its name, its first line, and its source, padded with spaces
/// where `rule NAME:` stands so that columns in diagnostics are the file's columns.
struct Named {
    name: String,
    line: usize,
    header: String,
    source: String,
}

/// Checks `text` (the contents of `file`); returns the number of rules, or the rendered diagnostics.
pub fn check(text: &str, file: &str) -> Result<usize, String> {
    let mut schema = Schema::new();
    let mut rules: Vec<Named> = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            // Inside a rule, keep the line (as a blank one) so later lines keep their numbers.
            if let Some(rule) = rules
                .last_mut()
                .filter(|r| r.line + r.source.split('\n').count() == number)
            {
                rule.source.push('\n');
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match rules.last_mut() {
                Some(rule) => {
                    rule.source.push('\n');
                    rule.source.push_str(line);
                }
                None => problems.push(format!(
                    "{file}:{number}: an indented line must continue a rule"
                )),
            }
            continue;
        }
        let Some((head, rest)) = line.split_once(':') else {
            problems.push(format!("{file}:{number}: expected `rule NAME: expression`, `attribute NAME: TYPE` or `context KEY: TYPE`"));
            continue;
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        match words[..] {
            ["rule", name] => {
                if rules.iter().any(|r| r.name == name) {
                    problems.push(format!("{file}:{number}: rule `{name}` is defined twice"));
                }
                let padding = " ".repeat(head.chars().count() + 1);
                let source = format!("{padding}{rest}");
                rules.push(Named { name: name.into(), line: number, header: line.into(), source });
            }
            [kind @ ("attribute" | "context"), name] => match Type::parse(rest.trim()) {
                Some(ty) if kind == "attribute" => schema = schema.attribute(name, ty),
                Some(ty) => schema = schema.context_key(name, ty),
                None => problems.push(format!(
                    "{file}:{number}: unknown type `{}` (bool, number, string, timestamp, duration, list)",
                    rest.trim()
                )),
            },
            _ => problems.push(format!("{file}:{number}: expected `rule NAME: expression`, `attribute NAME: TYPE` or `context KEY: TYPE`")),
        }
    }
    let mut failed = BTreeSet::new();
    for rule in &rules {
        if let Err(diagnostics) = Rule::condition(&rule.source, &schema) {
            failed.insert(rule.name.as_str());
            // Show the rule's first line as written: the padding has the same width as `rule NAME:`.
            let padded_first = rule.source.lines().next().unwrap_or_default();
            let rendered = diagnostics.render(&rule.source, file, rule.line - 1);
            let shown = rendered.replace(
                &format!("{} | {padded_first}\n", rule.line),
                &format!("{} | {}\n", rule.line, rule.header),
            );
            problems.push(shown);
        }
    }
    if problems.is_empty() {
        Ok(rules.len())
    } else {
        let summary = format!("{} of {} rules have errors", failed.len(), rules.len());
        Err(format!("{}\n{summary}", problems.join("\n")))
    }
}

/// Checks a catalog (JSON, spec/catalog.md): every error and warning rendered with its place;
/// `Err` when there are errors.
pub fn check_catalog(text: &str, file: &str, now: shopkeeper::Timestamp) -> Result<String, String> {
    use shopkeeper::decide::Catalog;
    match Catalog::compile(text, now) {
        Ok(catalog) => {
            let mut out: String = catalog
                .warnings()
                .iter()
                .map(|w| crate::load::with_file(&w.render(), file) + "\n")
                .collect();
            let warnings = catalog.warnings().len();
            out.push_str(&format!(
                "{file}: {} offers, {warnings} warning{}, no errors",
                catalog.offers().len(),
                if warnings == 1 { "" } else { "s" }
            ));
            Ok(out)
        }
        Err(problems) => {
            let errors = problems.errors().count();
            Err(format!(
                "{}\n{file}: {errors} error{}",
                crate::load::with_file(&problems.render(), file),
                if errors == 1 { "" } else { "s" }
            ))
        }
    }
}
