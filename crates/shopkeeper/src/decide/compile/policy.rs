//! The policies of a catalog's fields: contact policies and frequency caps, budgets and pacing,
//! and the durations and times they are written with.

use alloc::format;

use super::{At, Compiler};
use crate::budget::{Budget, Limit, Pacing, MAX_BUDGET, MAX_PERIOD, MIN_PERIOD};
use crate::decide::contact::{Cap, ContactPolicy};
use crate::decide::source::{
    BudgetSource, ContactSource, DurationSource, NumberOrText, PacingSource, TimeSource,
};
use crate::limits::MAX_RECENT_SHOWS;
use crate::Timestamp;

impl Compiler {
    pub(super) fn contact(&mut self, id: &str, c: ContactSource) -> ContactPolicy {
        let at = |field| At {
            offer: Some(id),
            field,
        };
        let cap = match (c.max_shows, &c.window) {
            (None, None) => None,
            (max, window) => self.cap(at("contact"), max, window.as_ref()),
        };
        let cooldown = match (&c.cooldown_after_dismiss, c.dismissals) {
            (None, None) => None,
            (None, Some(_)) => {
                self.error(
                    at("contact.dismissals"),
                    "`dismissals` needs `cooldown_after_dismiss`".into(),
                );
                None
            }
            (Some(rest), dismissals) => {
                let rest = self.duration(at("contact.cooldown_after_dismiss"), rest);
                let dismissals = dismissals.unwrap_or(1);
                if dismissals == 0 {
                    self.error(at("contact.dismissals"), "at least 1".into());
                }
                rest.map(|r| (dismissals.max(1), r))
            }
        };
        ContactPolicy {
            cap,
            cooldown,
            stop_after_accept: c.stop_after_accept,
        }
    }

    pub(super) fn cap(
        &mut self,
        at: At<'_>,
        max_shows: Option<u32>,
        window: Option<&DurationSource>,
    ) -> Option<Cap> {
        let (Some(max_shows), Some(window)) = (max_shows, window) else {
            self.error(
                at,
                "a frequency cap needs both `max_shows` and `window`".into(),
            );
            return None;
        };
        if max_shows as usize > MAX_RECENT_SHOWS {
            self.error(
                at,
                format!("`max_shows` is at most {MAX_RECENT_SHOWS}: a profile keeps the {MAX_RECENT_SHOWS} latest shows"),
            );
            return None;
        }
        if max_shows == 0 {
            self.warn(at, "`max_shows` of 0: never shown".into());
        }
        let window = self.duration(at, window)?;
        Some(Cap { max_shows, window })
    }

    /// A duration: seconds, or a rule-language literal such as `"7d"` or `"12h"`.
    pub(super) fn duration(&mut self, at: At<'_>, src: &DurationSource) -> Option<Timestamp> {
        let seconds = match src {
            NumberOrText::Number(n) => Some(*n).filter(|n| libm::trunc(*n) == *n),
            NumberOrText::Text(text) => crate::rules::duration_literal(text),
        };
        match seconds {
            Some(s) if s.is_finite() && s >= 1.0 && s <= crate::limits::MAX_TIMESTAMP as f64 => {
                Some(s as Timestamp)
            }
            _ => {
                self.error(
                    at,
                    "a duration is a positive whole number of seconds or a literal such as \"7d\", \"12h\", \"30m\"".into(),
                );
                None
            }
        }
    }

    /// A time: seconds since the epoch, `"YYYY-MM-DD"` (midnight UTC) or `"YYYY-MM-DDTHH:MM:SSZ"`.
    pub(super) fn time(&mut self, at: At<'_>, src: &TimeSource) -> Option<Timestamp> {
        let seconds = match src {
            NumberOrText::Number(n) if libm::trunc(*n) == *n => Some(*n as Timestamp),
            NumberOrText::Number(_) => None,
            NumberOrText::Text(text) => crate::time::parse_utc(text),
        };
        match seconds {
            Some(t) if (0..=crate::limits::MAX_TIMESTAMP).contains(&t) => Some(t),
            _ => {
                self.error(
                    at,
                    "a time is seconds since 1970, \"YYYY-MM-DD\" or \"YYYY-MM-DDTHH:MM:SSZ\" (UTC)".into(),
                );
                None
            }
        }
    }

    /// An offer's budget: exactly one of `max_accepts` and `max_shows`, and a period `per`.
    pub(super) fn budget(&mut self, id: &str, b: &BudgetSource) -> Option<Budget> {
        let at = |field| At {
            offer: Some(id),
            field,
        };
        let (limit, max) = match (b.max_accepts, b.max_shows) {
            (Some(max), None) => (Limit::Accepts, max),
            (None, Some(max)) => (Limit::Shows, max),
            _ => {
                self.error(
                    at("budget"),
                    "a budget counts either `max_accepts` or `max_shows`, one of them".into(),
                );
                return None;
            }
        };
        let per = self.duration(at("budget.per"), &b.per)?;
        let budget = Budget::new(limit, max, per);
        if budget.is_none() {
            self.error(
                at("budget"),
                format!(
                    "a budget of 1 to {MAX_BUDGET} {} per {MIN_PERIOD} seconds to {} days, got {max} per {per} seconds",
                    limit.as_str(),
                    MAX_PERIOD / 86_400
                ),
            );
        }
        budget
    }

    /// The catalog's pacing: `{"rule": "even", "ahead": 0.05}` (the default) or `{"rule":
    /// "asap"}`.
    pub(super) fn pacing(&mut self, p: Option<&PacingSource>) -> Pacing {
        let at = |field| At { offer: None, field };
        let Some(p) = p else {
            return Pacing::default();
        };
        match (p.rule.as_str(), p.ahead) {
            ("asap", None) => Pacing::Asap,
            ("even", None) => Pacing::default(),
            ("even", Some(ahead)) if ahead > 0.0 && ahead <= 1.0 => Pacing::Even { ahead },
            ("even", Some(ahead)) => {
                self.error(
                    at("pacing.ahead"),
                    format!("a share of the period's budget in (0, 1], got {ahead}"),
                );
                Pacing::default()
            }
            ("asap", Some(_)) => {
                self.error(at("pacing.ahead"), "`ahead` is for the `even` rule".into());
                Pacing::Asap
            }
            (rule, _) => {
                self.error(
                    at("pacing.rule"),
                    format!("unknown pacing rule {rule:?} (even or asap)"),
                );
                Pacing::default()
            }
        }
    }
}
