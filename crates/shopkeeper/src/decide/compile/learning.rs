//! The catalog's `learning` section: the segment, the half-lives, the floor and the predictors.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{At, Compiler, DEFAULT_HALF_LIFE};
use crate::decide::catalog::Learning;
use crate::decide::predictors::Predictor;
use crate::decide::source::{LearningSource, PredictorSource};
use crate::learn::{MAX_BINS, MAX_PREDICTORS};
use crate::rules::{Rule, Schema, Type};

impl Compiler {
    pub(super) fn learning(&mut self, src: Option<LearningSource>, schema: &Schema) -> Learning {
        let top = |field| At { offer: None, field };
        let src = src.unwrap_or(LearningSource {
            segment: None,
            half_life: None,
            floor: None,
            recent_half_life: None,
            predictors: None,
        });
        let segment = src.segment.and_then(|source| {
            let rule = self.expression(top("learning.segment"), &source, schema)?;
            if rule.ty() == Type::String {
                return Some(rule);
            }
            self.error(
                top("learning.segment"),
                format!(
                    "`{source}` is a {}; a segment is named by a string",
                    rule.ty()
                ),
            );
            None
        });
        let (low, high) = crate::learn::HALF_LIFE_RANGE;
        let half_life = |compiler: &mut Compiler, field, source, default| {
            let value = match source {
                Some(d) => compiler.duration(top(field), d).unwrap_or(default),
                None => default,
            };
            if !(low..=high).contains(&value) {
                compiler.error(
                    top(field),
                    format!("a half-life is {low} to {high} seconds, got {value}"),
                );
            }
            value
        };
        let long = half_life(
            self,
            "learning.half_life",
            src.half_life.as_ref(),
            DEFAULT_HALF_LIFE,
        );
        let recent = half_life(
            self,
            "learning.recent_half_life",
            src.recent_half_life.as_ref(),
            crate::learn::default_recent(long),
        );
        if recent > long {
            self.error(
                top("learning.recent_half_life"),
                format!(
                    "the recent half-life ({recent} s) is longer than the half-life ({long} s)"
                ),
            );
        }
        let floor = src.floor.unwrap_or(0.0);
        if !(0.0..1.0).contains(&floor) {
            self.error(
                top("learning.floor"),
                format!("a floor in [0, 1), got {floor}"),
            );
        }
        let predictors = self.predictors(src.predictors.unwrap_or_default(), schema);
        Learning {
            segment,
            half_life: long,
            recent_half_life: recent,
            floor,
            predictors,
        }
    }

    /// A rule of the learning section, its errors reported at `at`.
    fn expression(&mut self, at: At<'_>, source: &str, schema: &Schema) -> Option<Rule> {
        match Rule::compile(source, schema) {
            Ok(rule) => {
                self.reads_scores |= rule.reads_scores();
                Some(rule)
            }
            Err(diagnostics) => {
                self.rule_errors(at, source, diagnostics.0);
                None
            }
        }
    }

    fn predictors(&mut self, sources: Vec<PredictorSource>, schema: &Schema) -> Vec<Predictor> {
        if sources.len() > MAX_PREDICTORS {
            self.error(
                At {
                    offer: None,
                    field: "learning.predictors",
                },
                format!("at most {MAX_PREDICTORS} predictors, got {}", sources.len()),
            );
            return Vec::new();
        }
        let mut predictors: Vec<Predictor> = Vec::with_capacity(sources.len());
        for (i, p) in sources.into_iter().enumerate() {
            let field: String = format!("learning.predictors[{i}]");
            let at = At {
                offer: None,
                field: &field,
            };
            if let Err(e) = crate::learn::check_predictor_name(&p.name) {
                self.error(at, e.message().into());
                continue;
            }
            if predictors.iter().any(|q| q.name == p.name) {
                self.error(at, format!("the predictor {:?} is declared twice", p.name));
                continue;
            }
            let Some(rule) = self.expression(at, &p.value, schema) else {
                continue;
            };
            let numeric = matches!(rule.ty(), Type::Number | Type::Timestamp | Type::Duration);
            if let Some(bins) = &p.bins {
                let increasing = bins.windows(2).all(|w| w[0] < w[1]);
                let problem = if !numeric {
                    Some(format!(
                        "`{}` is a {}; only numbers have bins",
                        p.value,
                        rule.ty()
                    ))
                } else if bins.is_empty() || bins.len() >= MAX_BINS {
                    Some(format!(
                        "1 to {} thresholds, got {}",
                        MAX_BINS - 1,
                        bins.len()
                    ))
                } else if !increasing || bins.iter().any(|b| !b.is_finite()) {
                    Some("thresholds must be finite and increasing".into())
                } else {
                    None
                };
                if let Some(problem) = problem {
                    self.error(at, problem);
                    continue;
                }
            }
            predictors.push(Predictor {
                name: p.name,
                rule,
                thresholds: p.bins,
            });
        }
        predictors
    }
}
