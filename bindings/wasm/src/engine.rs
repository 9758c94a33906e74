//! `Engine`: a compiled catalog with its models; decisions, candidate probabilities and scores.

use std::rc::Rc;

use shopkeeper::decide::{Catalog, DecisionRequest, Engine as Core, Live, LogEntry, Request};
use shopkeeper::learn::{CohortCounts, Learner as CoreLearner};
use shopkeeper::rules::Context;
use shopkeeper::score::Models;
use shopkeeper::ErrorCode;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::check::diagnostics_of;
use crate::{
    field, json_text, number_field, parsed, seconds, seed_text, set, to_js, whole, Budgets,
    CatalogArg, Cohorts, DecisionRequest as DecisionRequestArg, EngineOptions, Failure, Learner,
    Profile, Result, StringList,
};

/// A compiled catalog with its models. Immutable: build a new engine to publish a new catalog.
#[wasm_bindgen]
pub struct Engine {
    /// Shared with the rules compiled on it, which read its models.
    pub(crate) core: Rc<Core>,
}

/// A request as JS passes it (`spec/catalog.md`, "Requests"), read by the core.
struct Asked {
    request: Request,
    context: Context,
}

impl Engine {
    fn asked(&self, request: &JsValue) -> Result<Asked> {
        if !request.is_object() {
            return Err(Failure::request(
                "the request must be an object: {channel, now?, slots?, seed?, context?, log?, explain?}",
            ));
        }
        // A BigInt seed (the full 64 bits) travels as a string of digits, which the core reads;
        // a number seed must be one JSON carries exactly (a safe integer).
        let seed = field(request, "seed");
        if let Some(n) = seed.as_f64() {
            whole(n, "seed (use a BigInt above 2^53)")?;
        }
        let copy;
        let request = if seed.is_bigint() {
            copy = js_sys::Object::assign(&js_sys::Object::new(), request.unchecked_ref());
            set(
                &copy,
                "seed",
                &js_sys::JsString::from(seed_text(&seed)?).into(),
            );
            copy.as_ref()
        } else {
            request
        };
        let mut spec = DecisionRequest::from_json(&json_text(request, "request")?)?;
        if spec.now.is_none() {
            spec.now = Some(seconds(None, "now")?);
        }
        Ok(Asked {
            request: spec.request()?,
            context: spec.context(self.core.catalog().schema())?,
        })
    }

    fn probabilities(
        &self,
        profile: &Profile,
        request: &JsValue,
        logged: &JsValue,
        learner: Option<&CoreLearner>,
    ) -> Result<JsValue> {
        let asked = self.asked(request)?;
        let logged: Vec<String> = logged
            .dyn_ref::<js_sys::Array>()
            .ok_or_else(|| Failure::request("logged must be an array of offer ids"))?
            .iter()
            .map(|id| {
                id.as_string()
                    .ok_or_else(|| Failure::request("logged must be offer ids (strings)"))
            })
            .collect::<Result<_>>()?;
        let ids: Vec<&str> = logged.iter().map(String::as_str).collect();
        let probabilities = self.core.pick_probabilities(
            &profile.core,
            &asked.context,
            &asked.request,
            learner,
            &ids,
        )?;
        Ok(js_sys::Float64Array::from(probabilities.as_slice()).into())
    }

    fn evaluated(&self, line: &JsValue, learner: Option<&CoreLearner>) -> Result<JsValue> {
        let entry = LogEntry::from_json(&json_text(line, "line")?)?;
        to_js(&entry.evaluate(&self.core, learner)?)
    }

    fn decision(&self, profile: &Profile, request: &JsValue, live: Live<'_>) -> Result<JsValue> {
        let asked = self.asked(request)?;
        let decision =
            self.core
                .decide_live(&profile.core, &asked.context, &asked.request, live)?;
        parsed(&decision.to_json()?)
    }
}

#[wasm_bindgen]
impl Engine {
    /// Compiles `catalog` (JSON text or object, `spec/catalog.md`) with `options.models` (the
    /// models file, text or object; none by default). `options.now` (seconds; default: the
    /// current time) dates the warnings about validity windows. A bad catalog throws
    /// `invalid_catalog` with every problem in `diagnostics` and the first one's line and column.
    #[wasm_bindgen(constructor)]
    pub fn new(catalog: CatalogArg, options: Option<EngineOptions>) -> Result<Engine> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let now = seconds(number_field(&options, "now")?, "now")?;
        let text = json_text(&catalog, "catalog")?;
        let models = match field(&options, "models") {
            m if m.is_undefined() || m.is_null() => Models::default(),
            m => Models::from_json(&json_text(&m, "models")?)?,
        };
        let catalog = Catalog::compile(&text, now).map_err(|problems| {
            Failure::new(ErrorCode::InvalidCatalog, problems.render())
                .at(problems.location())
                .with_diagnostics(diagnostics_of(&problems.0))
        })?;
        let core = Rc::new(Core::new(catalog, models)?);
        Ok(Engine { core })
    }

    /// The catalog's `version`.
    #[wasm_bindgen(getter, js_name = catalogVersion)]
    pub fn catalog_version(&self) -> String {
        self.core.catalog().version().into()
    }

    /// The catalog's warnings (things that compile but can never happen).
    #[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
    pub fn warnings(&self) -> JsValue {
        diagnostics_of(self.core.catalog().warnings())
    }

    /// Decides the next best offers for `profile`. Reads the profile and changes nothing: apply
    /// the decision's `shown` events once the offers are on screen. With `request.explain`, the
    /// decision carries its receipt (slower: it explains every offer).
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn decide(&self, profile: &Profile, request: &DecisionRequestArg) -> Result<JsValue> {
        self.decision(profile, request, Live::default())
    }

    /// `decide`, with adaptive offers sampled from `learner`'s statistics.
    #[wasm_bindgen(js_name = decideWith, unchecked_return_type = "Decision")]
    pub fn decide_with(
        &self,
        profile: &Profile,
        request: &DecisionRequestArg,
        learner: &Learner,
    ) -> Result<JsValue> {
        let live = Live {
            learner: Some(&learner.core),
            ..Live::default()
        };
        self.decision(profile, request, live)
    }

    /// `decide`, with what the fleet has learned and spent: `learner` for adaptive offers (an
    /// empty one, `engine.newLearner()`, samples the priors as `decide` does), `cohorts` for
    /// `cohort.visitors` and `cohort.conversion`, and `budgets`, whose spent budgets drop offers
    /// and whose pacing throttles them. Pass empty ones for none: `engine.newCohorts()`,
    /// `new Budgets()`.
    #[wasm_bindgen(js_name = decideLive, unchecked_return_type = "Decision")]
    pub fn decide_live(
        &self,
        profile: &Profile,
        request: &DecisionRequestArg,
        learner: &Learner,
        cohorts: &Cohorts,
        budgets: &Budgets,
    ) -> Result<JsValue> {
        let live = Live {
            learner: Some(&learner.core),
            cohorts: Some(&cohorts.core),
            budgets: Some(&budgets.core),
        };
        self.decision(profile, request, live)
    }

    /// Off-policy evaluation: the probability that this engine puts each of `logged` (another
    /// policy's picks, best first) at the same rank for the same profile and request, with the
    /// priors for adaptive offers. See `spec/learning.md`.
    #[wasm_bindgen(js_name = pickProbabilities, unchecked_return_type = "Float64Array")]
    pub fn pick_probabilities(
        &self,
        profile: &Profile,
        request: DecisionRequestArg,
        logged: StringList,
    ) -> Result<JsValue> {
        self.probabilities(profile, &request, &logged, None)
    }

    /// `pickProbabilities`, with adaptive offers sampled from `learner`'s statistics (the
    /// learner before `logged`, as in `decideWith`).
    #[wasm_bindgen(js_name = pickProbabilitiesWith, unchecked_return_type = "Float64Array")]
    pub fn pick_probabilities_with(
        &self,
        profile: &Profile,
        request: DecisionRequestArg,
        learner: &Learner,
        logged: StringList,
    ) -> Result<JsValue> {
        self.probabilities(profile, &request, &logged, Some(&learner.core))
    }

    /// Off-policy evaluation of this engine on one line of a decision log (`spec/learning.md`,
    /// "Decision logs": an object or JSON text, as `shopkeeper replay --log` writes it), with the
    /// priors for its adaptive offers: one `{logging, target, reward}` per logged pick, for
    /// `ipw` and `snipw`.
    #[wasm_bindgen(js_name = evaluateLog, unchecked_return_type = "Logged[]")]
    pub fn evaluate_log(
        &self,
        #[wasm_bindgen(unchecked_param_type = "object | string")] line: &JsValue,
    ) -> Result<JsValue> {
        self.evaluated(line, None)
    }

    /// `evaluateLog`, with adaptive offers sampled from `learner`'s statistics.
    #[wasm_bindgen(js_name = evaluateLogWith, unchecked_return_type = "Logged[]")]
    pub fn evaluate_log_with(
        &self,
        #[wasm_bindgen(unchecked_param_type = "object | string")] line: &JsValue,
        learner: &Learner,
    ) -> Result<JsValue> {
        self.evaluated(line, Some(&learner.core))
    }

    /// The profile's scores under the engine's models at `now` (seconds; default: the current
    /// time). A score is `null` when it cannot be computed (no models, no purchase yet).
    #[wasm_bindgen(unchecked_return_type = "Scores")]
    pub fn scores(&self, profile: &Profile, now: Option<f64>) -> Result<JsValue> {
        let now = seconds(now, "now")?;
        let json = self.core.models().score(&profile.core, now).to_json()?;
        parsed(&json)
    }

    /// What the engine hears in a customer's `text` (its catalog's intents, its models'
    /// sentiment): `{sentiment, intents}` (`spec/events.md`, "Messages"). At most 8 KiB of text.
    #[wasm_bindgen(unchecked_return_type = "Heard")]
    pub fn hear(&self, text: &str) -> Result<JsValue> {
        parsed(&self.core.hear(text)?.to_json())
    }

    /// Whether `profile` is in the catalog's universal control group: its KPIs count in the
    /// control arm (`kpis.record(mark, profile, engine.inControlGroup(profile))`).
    #[wasm_bindgen(js_name = inControlGroup)]
    pub fn in_control_group(&self, profile: &Profile) -> bool {
        self.core.in_control_group(&profile.core)
    }

    /// New, empty cohort counts named by the field of the models' cohorts (the affiliate when
    /// the models have none), following the visitors whose first session starts at or after
    /// `since` (seconds; default: the current time; 0 counts every profile).
    #[wasm_bindgen(js_name = newCohorts)]
    pub fn new_cohorts(&self, since: Option<f64>) -> Result<Cohorts> {
        let key = self.core.models().cohort_key();
        Ok(Cohorts {
            core: CohortCounts::new(key, seconds(since, "since")?)?,
        })
    }

    /// A new, empty learner with the catalog's half-life (`learning.half_life`).
    #[wasm_bindgen(js_name = newLearner)]
    pub fn new_learner(&self) -> Result<Learner> {
        let core = self.core.catalog().new_learner()?;
        Ok(Learner { core })
    }
}
