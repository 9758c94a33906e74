//! Runs every conformance vector in `spec/vectors/` (format: `spec/vectors/README.md`).
//! The C and WASM bindings run the same files; all must agree.

use std::path::Path;

use serde_json::Value;
use shopkeeper::decide::{
    control_bucket, Catalog, Decision, DecisionLog, DecisionRequest, Engine, Live, LogEntry,
    Request,
};
use shopkeeper::learn::ope::{ipw, snipw, Estimate, Logged};
use shopkeeper::learn::{sample_beta, Learner, Response};
use shopkeeper::rules::{self, Context, Rule, Schema, Type};
use shopkeeper::score::Models;
use shopkeeper::{Event, Outcome, Profile};

#[path = "conformance/live.rs"]
mod live;

fn vectors_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors")
}

#[test]
fn every_conformance_vector_passes() {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no vectors found in {}",
        vectors_dir().display()
    );
    let (mut cases, mut failures) = (0, vec![]);
    for path in &files {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in file["cases"].as_array().unwrap() {
            cases += 1;
            let result = if case.get("cohorts_hex").is_some() {
                live::run_cohort_bytes(case)
            } else if case.get("fleet").is_some() {
                live::run_fleet(case)
            } else if case.get("budgets_hex").is_some() {
                live::run_budget_bytes(case)
            } else if case.get("kpis_hex").is_some() {
                live::run_kpis_bytes(case)
            } else if case.get("kpis").is_some() {
                live::run_kpis(case, file["now"].as_i64().unwrap_or(0))
            } else if case.get("hear").is_some() {
                run_hear(case)
            } else if case.get("log_entry").is_some() {
                run_log_entry(case)
            } else if case.get("credit").is_some() {
                run_credit(case)
            } else if case.get("rule").is_some() {
                run_rule(case, &file["fixture"])
            } else if case.get("bucket").is_some() {
                run_bucket(case)
            } else if case.get("beta").is_some() {
                run_beta(case)
            } else if case.get("ope").is_some() {
                run_ope(case)
            } else if case.get("learner").is_some() && case.get("catalog").is_none() {
                run_learner(case)
            } else if case.get("request").is_some() || case.get("catalog").is_some() {
                run_decision(case, &file)
            } else {
                run(case)
            };
            if let Err(why) = result {
                let name = path.file_name().unwrap().to_string_lossy();
                failures.push(format!(
                    "{name}: {}: {why}",
                    case["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    println!("{cases} conformance cases in {} files", files.len());
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run(case: &Value) -> Result<(), String> {
    let expect = &case["expect"];
    if let Some(hex) = case["decode_hex"].as_str() {
        let bytes = decode_hex(hex)?;
        return match (Profile::from_bytes(&bytes), expect["error"].as_str()) {
            (Err(e), Some(code)) if e.code().as_str() == code => Ok(()),
            (Err(e), _) => Err(format!("decoding failed: {e}")),
            (Ok(_), Some(code)) => Err(format!("decoded, expected error {code}")),
            (Ok(p), None) => check_facts(&p, expect, 0),
        };
    }
    let now = case["now"].as_i64().ok_or("missing now")?;
    let engine = case.get("listener").map(listener_engine).transpose()?;
    let listener = engine.as_ref().map(Engine::listener).unwrap_or_default();
    let mut outcomes = vec![];
    let mut profiles = vec![];
    for spec in case["profiles"].as_array().ok_or("missing profiles")? {
        let mut p = Profile::new(
            spec["id"].as_str().ok_or("missing id")?,
            spec["known"] == true,
        )
        .map_err(|e| e.to_string())?;
        for event in spec["events"].as_array().ok_or("missing events")? {
            // Raw text; or `{"padded": EVENT, "pad": N}`: the event on one line, then N spaces.
            let text = match (event.as_str(), event.get("padded")) {
                (Some(raw), _) => raw.to_string(),
                (None, Some(inner)) => {
                    inner.to_string() + &" ".repeat(event["pad"].as_u64().unwrap_or(0) as usize)
                }
                (None, None) => event.to_string(),
            };
            let outcome = Event::from_json(&text).and_then(|e| p.apply_with(&e, now, &listener));
            outcomes.push(match outcome {
                Ok(Outcome::Recorded) => "recorded".to_string(),
                Ok(Outcome::Ignored(reason)) => format!("ignored:{}", reason.as_str()),
                Err(e) => format!("error:{}", e.code()),
            });
        }
        profiles.push(p);
    }
    if let Some(expected) = expect.get("outcomes") {
        let expected: Vec<String> =
            serde_json::from_value(expected.clone()).map_err(|e| e.to_string())?;
        if outcomes != expected {
            return Err(format!("outcomes {outcomes:?}, expected {expected:?}"));
        }
    }
    let mut profiles = profiles.into_iter();
    let mut merged = profiles.next().ok_or("no profiles")?;
    for other in profiles {
        if let Err(e) = merged.merge(&other) {
            return match expect["error"].as_str() {
                Some(code) if code == e.code().as_str() => Ok(()),
                _ => Err(format!("merge failed: {e}")),
            };
        }
    }
    if let Some(code) = expect["error"].as_str() {
        return Err(format!("expected error {code}"));
    }
    if case["erase"] == true {
        merged.erase();
    }
    // Every profile survives both encodings unchanged.
    let bytes = merged.to_bytes().map_err(|e| e.to_string())?;
    if Profile::from_bytes(&bytes).as_ref() != Ok(&merged) {
        return Err("bytes round trip changed the profile".into());
    }
    if Profile::from_export(&merged.export().map_err(|e| e.to_string())?).as_ref() != Ok(&merged) {
        return Err("export round trip changed the profile".into());
    }
    check_facts(&merged, expect, now)
}

/// The engine a case's `listener` (`{"catalog", "models"}`) describes.
fn listener_engine(spec: &Value) -> Result<Engine, String> {
    let catalog = Catalog::compile(&spec["catalog"].to_string(), 0).map_err(|p| p.render())?;
    let models = match spec.get("models") {
        Some(m) => Models::from_json(&m.to_string()).map_err(|e| e.to_string())?,
        None => Models::default(),
    };
    Engine::new(catalog, models).map_err(|e| e.to_string())
}

/// A text of a `hear` case: a string, or `{"repeat": S, "times": N, "then": T}`.
fn text_of(spec: &Value) -> String {
    match spec.as_str() {
        Some(text) => text.into(),
        None => {
            let times = spec["times"].as_u64().unwrap_or(0) as usize;
            spec["repeat"].as_str().unwrap_or("").repeat(times)
                + spec["then"].as_str().unwrap_or("")
        }
    }
}

fn run_hear(case: &Value) -> Result<(), String> {
    let engine = listener_engine(&case["listener"])?;
    let texts = case["hear"].as_array().ok_or("missing hear")?;
    let want = case["expect"]["heard"]
        .as_array()
        .ok_or("missing expect.heard")?;
    if texts.len() != want.len() {
        return Err("as many expectations as texts".into());
    }
    for (text, want) in texts.iter().zip(want) {
        let text = text_of(text);
        let got: Value = match engine.hear(&text) {
            Ok(heard) => serde_json::from_str(&heard.to_json()).map_err(|e| e.to_string())?,
            Err(e) => serde_json::json!({"error": e.code().as_str()}),
        };
        if subset(&got, want).is_err() || subset(want, &got).is_err() {
            return Err(format!("{text:?}: heard {got}, expected {want}"));
        }
    }
    Ok(())
}

fn check_facts(p: &Profile, expect: &Value, now: i64) -> Result<(), String> {
    let Some(facts) = expect["facts"].as_object() else {
        return Ok(());
    };
    let export: Value = serde_json::from_str(&p.export().map_err(|e| e.to_string())?).unwrap();
    for (key, expected) in facts {
        let actual = if key.starts_with('/') {
            export.pointer(key).cloned().unwrap_or(Value::Null)
        } else {
            derived(p, key, now)?
        };
        if !same(&actual, expected) {
            return Err(format!("{key} is {actual}, expected {expected}"));
        }
    }
    Ok(())
}

/// The derived facts of `spec/vectors/README.md`.
fn derived(p: &Profile, key: &str, now: i64) -> Result<Value, String> {
    Ok(match key {
        "cart.value" => p.cart().value().into(),
        "cart.quantity" => p.cart().quantity().into(),
        "purchases.average" => p.purchases().average().into(),
        "purchases.repeat_average" => p.purchases().repeat_average().into(),
        "session.time_on_site" => p.session().map(|s| s.time_on_site()).into(),
        "objects_to_personalization" => p.objects_to_personalization().into(),
        "bytes_hex" => p
            .to_bytes()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into(),
        _ => match key.split(':').collect::<Vec<_>>()[..] {
            ["shown_within", offer, window] => {
                let window: i64 = window.parse().map_err(|_| format!("bad window in {key}"))?;
                p.offer(offer)
                    .map_or(0, |o| o.shown_within(window, now))
                    .into()
            }
            _ => return Err(format!("unknown fact {key}")),
        },
    })
}

/// JSON equality with numbers compared by value (3 == 3.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    if hex.len() % 2 != 0 {
        return Err("odd-length hex".into());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// A rule case: compile `rule` against the schema; expect its value for the profile, context and
/// `now`, or its diagnostics. Keys missing from the case come from the file's `fixture`.
fn run_rule(case: &Value, fixture: &Value) -> Result<(), String> {
    let get = |key: &str| {
        case.get(key)
            .or_else(|| fixture.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let schema = schema(&get("schema"))?;
    let source = case["rule"].as_str().ok_or("rule must be a string")?;
    let compiled = if case["condition"] == true {
        Rule::condition(source, &schema)
    } else {
        Rule::compile(source, &schema)
    };
    if let Ok(tree) = rules::parse(source) {
        let printed = tree.to_string();
        if rules::parse(&printed).as_ref() != Ok(&tree) {
            return Err(format!(
                "printed as {printed:?}, which parses to another tree"
            ));
        }
    }
    let expect = &case["expect"];
    if let Some(errors) = expect.get("errors") {
        let found: Vec<Value> = match &compiled {
            Ok(_) => vec![],
            Err(diagnostics) => diagnostics
                .0
                .iter()
                .map(|d| {
                    let (line, column) = d.line_column(source);
                    serde_json::json!({"code": d.code.as_str(), "line": line, "column": column})
                })
                .collect(),
        };
        return if &Value::Array(found.clone()) == errors {
            Ok(())
        } else {
            Err(format!("errors {found:?}, expected {errors}"))
        };
    }
    let rule = compiled.map_err(|d| format!("does not compile: {d}"))?;
    let now = get("now").as_i64().ok_or("missing now")?;
    let spec = get("profile");
    let mut profile = Profile::new(spec["id"].as_str().unwrap_or("c1"), spec["known"] != false)
        .map_err(|e| e.to_string())?;
    for event in spec["events"].as_array().into_iter().flatten() {
        let event = Event::from_json(&event.to_string()).map_err(|e| e.to_string())?;
        profile
            .apply(&event, now)
            .map_err(|e| format!("fixture event rejected: {e}"))?;
    }
    // The context: built for `context_schema` when given, from the context's JSON on one line
    // followed by `context_pad` spaces.
    let mut context_json = match get("context") {
        Value::Null => "{}".to_string(),
        other => other.to_string(),
    };
    context_json.push_str(&" ".repeat(case["context_pad"].as_u64().unwrap_or(0) as usize));
    let context_schema = match case.get("context_schema") {
        Some(spec) => self::schema(spec)?,
        None => schema.clone(),
    };
    let want_error = expect["error"].as_str();
    let context = match (
        Context::from_json(&context_schema, &context_json),
        want_error,
    ) {
        (Ok(context), _) => context,
        (Err(e), Some(code)) if e.code().as_str() == code => return Ok(()),
        (Err(e), _) => return Err(format!("context: {e}")),
    };
    let models = match get("models") {
        Value::Null => Models::default(),
        json => Models::from_json(&json.to_string()).map_err(|e| e.to_string())?,
    };
    let value = match (rule.evaluate(&profile, &context, now, &models), want_error) {
        (Ok(value), None) => value,
        (Err(e), Some(code)) if e.code().as_str() == code => {
            return match rule.holds(&profile, &context, now, &models) {
                Err(e) if e.code().as_str() == code => Ok(()),
                other => Err(format!("holds gave {other:?}, expected {code}")),
            };
        }
        (Err(e), _) => return Err(format!("evaluate: {e}")),
        (Ok(value), Some(code)) => return Err(format!("value {value:?}, expected {code}")),
    };
    let actual = match value {
        None => Value::Null,
        Some(rules::Value::Bool(b)) => Value::Bool(b),
        Some(rules::Value::Number(n)) => serde_json::json!(n),
        Some(rules::Value::String(s)) => Value::String(s),
        Some(rules::Value::List(items)) => serde_json::json!(items),
    };
    let expected = expect.get("value").ok_or("expect needs value or errors")?;
    let close = match (&actual, expected) {
        (Value::Number(a), Value::Number(b)) => {
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs()
                <= 1e-9 * b.as_f64().unwrap().abs().max(1.0)
        }
        _ => same(&actual, expected),
    };
    if !close {
        return Err(format!("value {actual}, expected {expected}"));
    }
    let holds = rule
        .holds(&profile, &context, now, &models)
        .map_err(|e| e.to_string())?;
    if holds != (actual == Value::Bool(true)) {
        return Err("holds disagrees with the value".into());
    }
    Ok(())
}

/// `{"attributes": {"tier": "string"}, "context": {"page_type": "string"}, "currency_decimals": 2}`
fn schema(spec: &Value) -> Result<Schema, String> {
    let mut schema = Schema::new();
    let ty = |name: &Value| {
        Type::parse(name.as_str().unwrap_or("")).ok_or(format!("unknown type {name}"))
    };
    for (name, t) in spec["attributes"].as_object().into_iter().flatten() {
        schema = schema.attribute(name, ty(t)?);
    }
    for (key, t) in spec["context"].as_object().into_iter().flatten() {
        schema = schema.context_key(key, ty(t)?);
    }
    if let Some(decimals) = spec["currency_decimals"].as_u64() {
        schema = schema.currency_decimals(decimals as u8);
    }
    Ok(schema)
}

/// A control-group bucket: `{"bucket": {"salt": S, "customer": C}, "expect": {"value": X}}`.
fn run_bucket(case: &Value) -> Result<(), String> {
    let b = &case["bucket"];
    let got = control_bucket(
        b["salt"].as_str().ok_or("missing salt")?,
        b["customer"].as_str().ok_or("missing customer")?,
    );
    // The place's 53 bits, exactly (a decimal float in JSON may round in its last digit).
    let bits = case["expect"]["bits"].as_u64().ok_or("missing bits")?;
    let want = case["expect"]["value"].as_f64().ok_or("missing value")?;
    if (got * (1u64 << 53) as f64) as u64 != bits || (got - want).abs() > 1e-15 {
        return Err(format!("bucket {got}, expected {want} ({bits} / 2^53)"));
    }
    Ok(())
}

/// A decision case (`spec/vectors/README.md`): compile the catalog (the case's, else the file's),
/// build the profile, decide with and without the receipt (which must agree), compare.
fn run_decision(case: &Value, file: &Value) -> Result<(), String> {
    let get = |key: &str| case.get(key).or_else(|| file.get(key));
    let expect = &case["expect"];
    let now = get("now").and_then(Value::as_i64).ok_or("missing now")?;
    // The catalog on one line, then `catalog_pad` spaces (to test its size bound).
    let mut catalog_json = get("catalog").ok_or("missing catalog")?.to_string();
    catalog_json.push_str(&" ".repeat(case["catalog_pad"].as_u64().unwrap_or(0) as usize));
    let catalog = match Catalog::compile(&catalog_json, now) {
        Ok(catalog) => {
            if let Some(errors) = expect.get("catalog_errors") {
                return Err(format!("compiled, expected errors {errors}"));
            }
            problems_match(catalog.warnings(), expect.get("warnings"))?;
            catalog
        }
        Err(problems) => {
            let errors: Vec<_> = problems.errors().cloned().collect();
            return match expect.get("catalog_errors") {
                Some(_) => problems_match(&errors, expect.get("catalog_errors")),
                None => Err(format!(
                    "the catalog did not compile: {}",
                    problems.render()
                )),
            };
        }
    };
    let models = match get("models") {
        Some(m) => Models::from_json(&m.to_string()).map_err(|e| e.to_string())?,
        None => Models::default(),
    };
    let engine = match (
        Engine::new(catalog, models),
        expect["engine_error"].as_str(),
    ) {
        (Ok(engine), None) => engine,
        (Err(e), Some(code)) if e.code().as_str() == code => return Ok(()),
        (Err(e), _) => return Err(format!("engine: {e}")),
        (Ok(_), Some(code)) => return Err(format!("engine built, expected {code}")),
    };
    let Some(request) = case.get("request") else {
        return Ok(());
    };
    let spec = &case["profile"];
    let mut profile = Profile::new(
        spec["id"].as_str().unwrap_or("customer"),
        spec["known"] == true,
    )
    .map_err(|e| e.to_string())?;
    for event in spec["events"].as_array().into_iter().flatten() {
        let event = Event::from_json(&event.to_string()).map_err(|e| e.to_string())?;
        profile
            .apply(&event, now)
            .map_err(|e| format!("event: {e}"))?;
    }
    // The context: read against `context_catalog`'s schema when given (built for another
    // catalog), else the engine's.
    let context_json = case
        .get("context")
        .cloned()
        .unwrap_or(Value::Object(Default::default()))
        .to_string();
    let other;
    let schema = match case.get("context_catalog") {
        Some(other_catalog) => {
            other = Catalog::compile(&other_catalog.to_string(), now)
                .map_err(|p| format!("context_catalog: {p}"))?;
            other.schema()
        }
        None => engine.catalog().schema(),
    };
    let context = Context::from_json(schema, &context_json).map_err(|e| format!("context: {e}"))?;
    // The request, read by the core's reader of the JSON form; `now` defaults to the case's.
    let mut spec = DecisionRequest::from_json(&request.to_string()).map_err(|e| e.to_string())?;
    spec.now.get_or_insert(now);
    let request = spec.request().map_err(|e| e.to_string())?;
    let learner = match case.get("learner") {
        Some(spec) => Some(learner(spec)?),
        None => None,
    };
    let cohorts = match case.get("cohorts") {
        Some(spec) => Some(live::cohorts(&engine, spec, now, &expect["cohorts"])?),
        None => None,
    };
    let budgets = match case.get("budgets") {
        Some(spec) => Some(live::budgets(&engine, spec, &expect["budgets"])?),
        None => None,
    };
    let decide = |request: &Request| match (&learner, &cohorts, &budgets) {
        (Some(l), None, None) => engine.decide_with(&profile, &context, request, l),
        (None, None, None) => engine.decide(&profile, &context, request),
        (learner, cohorts, budgets) => {
            let live = Live {
                learner: learner.as_ref(),
                cohorts: cohorts.as_ref(),
                budgets: budgets.as_ref(),
            };
            engine.decide_live(&profile, &context, request, live)
        }
    };
    // The same request three ways: picks only, with the log record, with the receipt.
    let (fast, logged, explained) = match (
        decide(&request),
        decide(&request.log(true)),
        decide(&request.explain(true)),
        expect["error"].as_str(),
    ) {
        (Err(e), Err(l), Err(x), Some(code))
            if [&e, &l, &x].iter().all(|e| e.code().as_str() == code) =>
        {
            return Ok(())
        }
        (Ok(_), _, _, Some(code)) => return Err(format!("decided, expected error {code}")),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) => {
            return Err(format!("decide: {e}"))
        }
        (Ok(f), Ok(l), Ok(x), None) => (f, l, x),
    };
    let ids = |d: &Decision<'_>| -> Vec<String> {
        d.picks()
            .iter()
            .map(|p| p.action.id().to_string())
            .collect()
    };
    let scores = |d: &Decision<'_>| -> Vec<Option<f64>> {
        d.picks().iter().map(|p| p.score.map(|s| s.score)).collect()
    };
    for (name, other) in [("the log", &logged), ("the receipt", &explained)] {
        if ids(&fast) != ids(other) || scores(&fast) != scores(other) {
            return Err(format!(
                "with {name} {:?}, without {:?}",
                ids(other),
                ids(&fast)
            ));
        }
        if fast.fallback() != other.fallback() || fast.control_group() != other.control_group() {
            return Err(format!("fallback or control group differ with {name}"));
        }
    }
    let probabilities = |d: &Decision<'_>| -> Vec<Option<f64>> {
        d.picks().iter().map(|p| p.probability).collect()
    };
    if probabilities(&logged) != probabilities(&explained)
        || probabilities(&logged).contains(&None)
        || probabilities(&fast).iter().any(Option::is_some)
    {
        return Err(format!(
            "probabilities: fast {:?}, logged {:?}, explained {:?}",
            probabilities(&fast),
            probabilities(&logged),
            probabilities(&explained)
        ));
    }
    let receipt = explained.receipt().ok_or("no receipt")?;
    let receipt_json: Value =
        serde_json::from_str(&receipt.to_json().map_err(|e| e.to_string())?).unwrap();
    if let Some(want) = expect.get("picks") {
        let want: Vec<String> = serde_json::from_value(want.clone()).map_err(|e| e.to_string())?;
        if ids(&fast) != want {
            return Err(format!("picks {:?}, expected {want:?}", ids(&fast)));
        }
    }
    if let Some(want) = expect.get("scores") {
        let got: Vec<Value> = scores(&fast)
            .into_iter()
            .map(|s| serde_json::json!(s))
            .collect();
        let want = want.as_array().ok_or("scores: a list")?;
        if got.len() != want.len() || got.iter().zip(want).any(|(g, w)| !close(g, w)) {
            return Err(format!("scores {got:?}, expected {want:?}"));
        }
    }
    for key in ["fallback", "control_group", "suppressed", "segment"] {
        if let Some(want) = expect.get(key) {
            if receipt_json[key] != *want {
                return Err(format!("{key} is {}, expected {want}", receipt_json[key]));
            }
        }
    }
    if let Some(want) = expect.get("picks_detail") {
        for (i, w) in want
            .as_array()
            .ok_or("picks_detail: a list")?
            .iter()
            .enumerate()
        {
            for (key, value) in w.as_object().ok_or("picks_detail: objects")? {
                let got = &receipt_json["picks"][i][key];
                subset(got, value).map_err(|why| {
                    format!("pick {}: {key} is {got}, expected {value}: {why}", i + 1)
                })?;
            }
        }
    }
    if let Some(want) = expect.get("dropped") {
        for (offer, stage) in want.as_object().ok_or("dropped: an object")? {
            let got = receipt
                .dropped_offer(offer)
                .map(|d| serde_json::json!(d.stage()));
            if got.as_ref() != Some(stage) {
                return Err(format!("{offer} dropped at {got:?}, expected {stage}"));
            }
        }
    }
    if let Some(want) = expect.get("reasons") {
        for (offer, reason) in want.as_object().ok_or("reasons: an object")? {
            let got = receipt.dropped_offer(offer).map(|d| d.reason());
            if got.as_deref() != reason.as_str() {
                return Err(format!("{offer}: reason {got:?}, expected {reason}"));
            }
        }
    }
    // The documented JSON forms: the decision's (of the logged request) and its log record.
    let json = |text: Result<String, shopkeeper::Error>| -> Result<Value, String> {
        serde_json::from_str(&text.map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    };
    if let Some(want) = expect.get("decision") {
        subset(&json(logged.to_json())?, want).map_err(|e| format!("decision JSON: {e}"))?;
    }
    let log = logged.log().ok_or("no log record")?;
    let log_json = json(
        serde_json::to_string(&log)
            .map_err(|e| shopkeeper::Error::new(shopkeeper::ErrorCode::Internal, e.to_string())),
    )?;
    if let Some(want) = expect.get("log") {
        subset(&log_json, want).map_err(|e| format!("log record: {e}"))?;
    }
    // The record reads back, and its log entry too.
    let entry =
        LogEntry::new(&engine, &profile, &context, log.clone()).map_err(|e| e.to_string())?;
    let again = LogEntry::from_json(&entry.to_json().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    if again.decision != log || again.profile().map_err(|e| e.to_string())? != profile {
        return Err("the log entry does not read back".into());
    }
    Ok(())
}

/// `got` holds `want`: an object every key of `want` with a matching value, an array exactly as
/// many matching items, numbers within 1e-9 relative, anything else equal.
fn subset(got: &Value, want: &Value) -> Result<(), String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (key, value) in w {
                subset(g.get(key).unwrap_or(&Value::Null), value)
                    .map_err(|e| format!("{key}: {e}"))?;
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                subset(g, w).map_err(|e| format!("[{i}]: {e}"))?;
            }
            Ok(())
        }
        _ if close(got, want) => Ok(()),
        _ => Err(format!("{got}, expected {want}")),
    }
}

/// Numbers within 1e-9 relative; anything else equal.
fn close(got: &Value, want: &Value) -> bool {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => (g - w).abs() <= 1e-9 * w.abs().max(1.0),
        _ => got == want,
    }
}

/// Each expected problem (`{"place", "code", "line", "column", "message"}`, any subset) matches
/// the actual one at its position, and there are as many; nothing expected, nothing checked.
fn problems_match(got: &[shopkeeper::decide::Problem], want: Option<&Value>) -> Result<(), String> {
    let want = match want {
        Some(w) => w.as_array().ok_or("problems: a list")?.clone(),
        None => return Ok(()),
    };
    let shown: Vec<String> = got.iter().map(ToString::to_string).collect();
    if got.len() != want.len() {
        return Err(format!("problems {shown:?}, expected {want:?}"));
    }
    for (p, w) in got.iter().zip(&want) {
        let actual = serde_json::json!({
            "place": p.place(), "code": p.code, "line": p.line, "column": p.column, "message": p.message,
        });
        for (key, value) in w.as_object().ok_or("problems: objects")? {
            if actual[key] != *value {
                return Err(format!(
                    "problem {p}: {key} is {}, expected {value}",
                    actual[key]
                ));
            }
        }
    }
    Ok(())
}

/// A number of a vector, where `"NaN"`, `"Infinity"` and `"-Infinity"` stand for the numbers
/// JSON cannot write.
fn number(value: &Value) -> Option<f64> {
    match value.as_str() {
        Some("NaN") => Some(f64::NAN),
        Some("Infinity") => Some(f64::INFINITY),
        Some("-Infinity") => Some(f64::NEG_INFINITY),
        _ => value.as_f64(),
    }
}

/// A beta draw: `{"beta": {"seed": S, "a": A, "b": B}, "expect": {"value": X}}` (within 1e-12),
/// or `"expect": {"error": CODE}`.
fn run_beta(case: &Value) -> Result<(), String> {
    let b = &case["beta"];
    let drawn = sample_beta(
        b["seed"].as_u64().ok_or("missing seed")?,
        number(&b["a"]).ok_or("missing a")?,
        number(&b["b"]).ok_or("missing b")?,
    );
    let got = match (drawn, case["expect"]["error"].as_str()) {
        (Err(e), Some(code)) if e.code().as_str() == code => return Ok(()),
        (Err(e), _) => return Err(format!("beta: {e}")),
        (Ok(got), Some(code)) => return Err(format!("drew {got}, expected {code}")),
        (Ok(got), None) => got,
    };
    let want = case["expect"]["value"].as_f64().ok_or("missing value")?;
    if (got - want).abs() > 1e-12 {
        return Err(format!("beta draw {got}, expected {want}"));
    }
    Ok(())
}

/// A decision-log line (`log_entry`, on one line, then `log_pad` spaces) evaluated for the case's
/// catalog: `expect.logged` (`[[logging, target, reward], ...]`) or `expect.error`.
fn run_log_entry(case: &Value) -> Result<(), String> {
    let now = case["now"].as_i64().unwrap_or(1_732_406_400);
    let catalog = Catalog::compile(&case["catalog"].to_string(), now).map_err(|p| p.to_string())?;
    let engine = Engine::new(catalog, Models::default()).map_err(|e| e.to_string())?;
    let line =
        case["log_entry"].to_string() + &" ".repeat(case["log_pad"].as_u64().unwrap_or(0) as usize);
    let result = LogEntry::from_json(&line).and_then(|entry| entry.evaluate(&engine, None));
    match (result, case["expect"]["error"].as_str()) {
        (Err(e), Some(code)) if e.code().as_str() == code => Ok(()),
        (Err(e), _) => Err(format!("evaluate: {e}")),
        (Ok(_), Some(code)) => Err(format!("evaluated, expected {code}")),
        (Ok(logged), None) => {
            let got: Value = logged
                .iter()
                .map(|l| serde_json::json!([l.logging, l.target, l.reward]))
                .collect();
            subset(&got, &case["expect"]["logged"])
        }
    }
}

/// A response credited with a decision's record: `expect.credited` and `expect.counts`, or
/// `expect.error`.
fn run_credit(case: &Value) -> Result<(), String> {
    let c = &case["credit"];
    let mut learner = Learner::new(c["half_life"].as_i64().ok_or("missing half_life")?)
        .map_err(|e| e.to_string())?;
    let credited = DecisionLog::from_json(&c["record"].to_string()).and_then(|record| {
        let response = Response::from_name(c["response"].as_str().unwrap_or(""))?;
        let offer = c["offer"].as_str().unwrap_or("");
        learner.credit(&record, offer, response, c["at"].as_i64().unwrap_or(0))
    });
    let expect = &case["expect"];
    let credited = match (credited, expect["error"].as_str()) {
        (Err(e), Some(code)) if e.code().as_str() == code => return Ok(()),
        (Err(e), _) => return Err(format!("credit: {e}")),
        (Ok(_), Some(code)) => return Err(format!("credited, expected {code}")),
        (Ok(credited), None) => credited,
    };
    if Value::Bool(credited) != expect["credited"] {
        return Err(format!(
            "credited {credited}, expected {}",
            expect["credited"]
        ));
    }
    for read in expect["counts"].as_array().into_iter().flatten() {
        let got = learner.counts(
            read[0].as_str().unwrap_or(""),
            read[1].as_str().unwrap_or(""),
            read[2].as_i64().unwrap_or(0),
        );
        subset(
            &serde_json::json!([got.accepts, got.rejects]),
            &serde_json::json!([read[3], read[4]]),
        )?;
    }
    Ok(())
}

/// A learner built from `{"half_life", "recent_half_life"?, "updates": [[offer, segment,
/// response, at, bins?]...], "merge": [[updates of another learner]...], "merge_half_life"?}`.
fn learner(spec: &Value) -> Result<Learner, String> {
    let build = |half_life: &Value, updates: &Value| -> Result<Learner, String> {
        let half_life = half_life.as_i64().ok_or("missing half_life")?;
        let mut l = match spec["recent_half_life"].as_i64() {
            Some(recent) => Learner::with_recent(half_life, recent),
            None => Learner::new(half_life),
        }
        .map_err(|e| e.code().as_str().to_string())?;
        for u in updates.as_array().into_iter().flatten() {
            let response: Response =
                serde_json::from_value(u[2].clone()).map_err(|e| e.to_string())?;
            let (offer, segment) = (
                u[0].as_str().ok_or("offer")?,
                u[1].as_str().ok_or("segment")?,
            );
            let at = u[3].as_i64().ok_or("at")?;
            match u[4].as_array() {
                Some(bins) => {
                    let bins: Vec<&str> = bins.iter().map(|b| b.as_str().unwrap_or("")).collect();
                    l.update_with(offer, segment, &bins, response, at)
                }
                None => l.update(offer, segment, response, at),
            }
            .map_err(|e| e.code().as_str().to_string())?;
        }
        Ok(l)
    };
    let mut l = build(&spec["half_life"], &spec["updates"])?;
    let other_half_life = spec.get("merge_half_life").unwrap_or(&spec["half_life"]);
    for updates in spec["merge"].as_array().into_iter().flatten() {
        let other = build(other_half_life, updates)?;
        l.merge(&other).map_err(|e| e.code().as_str().to_string())?;
    }
    // Every learner survives its binary form.
    let bytes = l.to_bytes().map_err(|e| e.to_string())?;
    if Learner::from_bytes(&bytes).as_ref() != Ok(&l) {
        return Err("bytes round trip changed the learner".into());
    }
    Ok(l)
}

/// A learner case: the counts it reads (`[offer, segment, at, accepts, rejects]`, within 1e-9
/// relative) or the error code building it gives.
fn run_learner(case: &Value) -> Result<(), String> {
    let expect = &case["expect"];
    let l = match (learner(&case["learner"]), expect["error"].as_str()) {
        (Err(code), Some(want)) if code == want => return Ok(()),
        (Err(why), _) => return Err(format!("learner: {why}")),
        (Ok(_), Some(want)) => return Err(format!("built, expected {want}")),
        (Ok(l), None) => l,
    };
    for read in expect["model_counts"].as_array().into_iter().flatten() {
        let c = l.model_counts(
            read[0].as_str().ok_or("offer")?,
            read[1].as_str().ok_or("key")?,
            read[2].as_i64().ok_or("at")?,
        );
        let got = [
            c.long.accepts,
            c.long.rejects,
            c.recent.accepts,
            c.recent.rejects,
        ];
        for (g, w) in got
            .iter()
            .zip(read.as_array().into_iter().flatten().skip(3))
        {
            if !close(&serde_json::json!(g), w) {
                return Err(format!("model counts of {read}: got {got:?}"));
            }
        }
    }
    for read in expect["counts"].as_array().ok_or("missing counts")? {
        let counts = l.counts(
            read[0].as_str().ok_or("offer")?,
            read[1].as_str().ok_or("segment")?,
            read[2].as_i64().ok_or("at")?,
        );
        let got = serde_json::json!([counts.accepts, counts.rejects]);
        for (g, w) in got
            .as_array()
            .into_iter()
            .flatten()
            .zip([&read[3], &read[4]])
        {
            if !close(g, w) {
                return Err(format!("counts of {read}: got {got}"));
            }
        }
    }
    Ok(())
}

/// Off-policy estimates: `{"ope": {"logs": [[logging, target, reward], ...], "z": Z}, "expect":
/// {"ipw": {value, std_error, low, high, effective_sample_size}, "snipw": {...}}}` (within 1e-9;
/// `snipw` absent when the target gives no logged decision a positive probability, which is then
/// an error), or `{"error": CODE}`.
fn run_ope(case: &Value) -> Result<(), String> {
    let spec = &case["ope"];
    let logs: Vec<Logged> = spec["logs"]
        .as_array()
        .ok_or("missing logs")?
        .iter()
        .map(|l| Logged {
            logging: l[0].as_f64().unwrap_or(f64::NAN),
            target: l[1].as_f64().unwrap_or(f64::NAN),
            reward: l[2].as_f64().unwrap_or(f64::NAN),
        })
        .collect();
    let z = spec["z"].as_f64().ok_or("missing z")?;
    let expect = &case["expect"];
    let as_json = |e: &Estimate| {
        serde_json::json!({"value": e.value, "std_error": e.std_error, "low": e.low, "high": e.high,
            "effective_sample_size": e.effective_sample_size})
    };
    for (name, result) in [("ipw", ipw(&logs, z)), ("snipw", snipw(&logs, z))] {
        match (result, expect.get(name), expect["error"].as_str()) {
            (Err(e), _, Some(code)) if e.code().as_str() == code => {}
            (Err(_), None, None) if name == "snipw" => {}
            (Ok(got), Some(want), None) => {
                let got = as_json(&got);
                for (key, w) in want.as_object().ok_or("estimates are objects")? {
                    if !close(&got[key], w) {
                        return Err(format!("{name} {key}: got {}, expected {w}", got[key]));
                    }
                }
            }
            (got, want, error) => {
                return Err(format!(
                    "{name}: got {got:?}, expected {want:?} / error {error:?}"
                ))
            }
        }
    }
    Ok(())
}
