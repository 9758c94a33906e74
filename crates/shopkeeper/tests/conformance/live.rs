//! The live statistics' cases of `spec/vectors` (files 304, 305 and 306): cohort counts and KPIs
//! built through marks and records, budget counters from events, merged, read back from bytes,
//! and compared.

use serde_json::Value;
use shopkeeper::budget::Budgets;
use shopkeeper::decide::{Catalog, DecisionLog, Engine};
use shopkeeper::kpi::Kpis;
use shopkeeper::learn::CohortCounts;
use shopkeeper::score::Models;
use shopkeeper::{Event, Profile};

use super::{decode_hex, subset};

/// The counts of `{"since"?, "nodes": [[profile, ...], ...]}`: each node's profiles' events applied at
/// `now` with a mark before and a record after each, the nodes merged into the first; they must
/// survive their bytes and equal `want` (their JSON) when given.
pub fn cohorts(
    engine: &Engine,
    spec: &Value,
    now: i64,
    want: &Value,
) -> Result<CohortCounts, String> {
    let since = spec["since"].as_i64().unwrap_or(0);
    let key = engine.models().cohort_key();
    let count = spec["nodes"]
        .as_array()
        .ok_or("cohorts without nodes")?
        .len();
    let mut nodes: Vec<CohortCounts> = (0..count)
        .map(|_| CohortCounts::new(key, since))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    replay(&spec["nodes"], now, |n, before, profile| {
        nodes[n].record(before, profile)
    })?;
    let mut nodes = nodes.into_iter();
    let mut counts = nodes.next().ok_or("no nodes")?;
    for other in nodes {
        counts.merge(&other).map_err(|e| format!("merge: {e}"))?;
    }
    let again = CohortCounts::from_bytes(&counts.to_bytes().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    if again != counts {
        return Err("the bytes round trip changed the counts".into());
    }
    let json: Value = serde_json::from_str(&counts.to_json().map_err(|e| e.to_string())?).unwrap();
    if !want.is_null() && json != *want {
        return Err(format!("cohorts {json}, expected {want}"));
    }
    Ok(counts)
}

/// `{"cohorts_hex": ..., "expect": {"cohorts": JSON} | {"error": code}}`.
pub fn run_cohort_bytes(case: &Value) -> Result<(), String> {
    run_bytes(
        case,
        "cohorts",
        CohortCounts::from_bytes,
        CohortCounts::to_json,
    )
}

/// `{"<what>_hex": ..., "expect": {"<what>": JSON} | {"error": code}}`: the bytes decode to a
/// value whose JSON holds every field expected, or fail with the code.
fn run_bytes<T>(
    case: &Value,
    what: &str,
    decode: fn(&[u8]) -> Result<T, shopkeeper::Error>,
    to_json: fn(&T) -> Result<String, shopkeeper::Error>,
) -> Result<(), String> {
    let bytes = decode_hex(case[format!("{what}_hex")].as_str().unwrap_or(""))?;
    let expect = &case["expect"];
    match (decode(&bytes), expect["error"].as_str()) {
        (Ok(value), None) => {
            let json: Value = serde_json::from_str(&to_json(&value).unwrap()).unwrap();
            subset(&json, &expect[what])
        }
        (Err(e), Some(code)) if e.code().as_str() == code => Ok(()),
        (Err(e), _) => Err(format!("decode: {e}")),
        (Ok(_), Some(code)) => Err(format!("decoded, expected {code}")),
    }
}

/// Applies each profile's events of `nodes` (`[[{"id", "known"?, "events"}, ...], ...]`) at
/// `now`, calling `record` with the node's number, the profile's mark before each event and the
/// profile after.
fn replay(
    nodes: &Value,
    now: i64,
    mut record: impl FnMut(usize, shopkeeper::profile::Mark, &Profile),
) -> Result<(), String> {
    for (n, node) in nodes.as_array().ok_or("no nodes")?.iter().enumerate() {
        for p in node.as_array().into_iter().flatten() {
            let id = p["id"].as_str().unwrap_or("customer");
            let mut profile = Profile::new(id, p["known"] == true).map_err(|e| e.to_string())?;
            for event in p["events"].as_array().into_iter().flatten() {
                let event = Event::from_json(&event.to_string()).map_err(|e| e.to_string())?;
                let before = profile.mark();
                // A rejected event changes nothing, and counts nothing.
                let _ = profile.apply(&event, now);
                record(n, before, &profile);
            }
        }
    }
    Ok(())
}

/// `{"catalog", "kpis": {"since", "nodes", "decisions"?}, "expect": {"kpis": JSON}}`: each
/// node's KPIs, the arm from the catalog's control group; one more KPIs that record each of
/// `decisions` (`{"record", "events"}`: the decision, then each offer event); all merged into
/// the first; their bytes read back; their JSON holds `expect.kpis`.
pub fn run_kpis(case: &Value, now: i64) -> Result<(), String> {
    let catalog = Catalog::compile(&case["catalog"].to_string(), now).map_err(|e| e.to_string())?;
    let engine = Engine::new(catalog, Models::default()).map_err(|e| e.to_string())?;
    let spec = &case["kpis"];
    let since = spec["since"].as_i64().unwrap_or(0);
    let nodes = spec["nodes"].as_array().ok_or("no nodes")?;
    let mut each: Vec<Kpis> = (0..=nodes.len())
        .map(|_| Kpis::new(since))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    replay(&spec["nodes"], now, |n, before, profile| {
        each[n].record(before, profile, engine.in_control_group(profile));
    })?;
    let last = each.last_mut().ok_or("no KPIs")?;
    for d in spec["decisions"].as_array().into_iter().flatten() {
        let record = DecisionLog::from_json(&d["record"].to_string()).map_err(|e| e.to_string())?;
        last.record_decision(&record).map_err(|e| e.to_string())?;
        for event in d["events"].as_array().into_iter().flatten() {
            let event = Event::from_json(&event.to_string()).map_err(|e| e.to_string())?;
            last.record_offer(&record, &event)
                .map_err(|e| e.to_string())?;
        }
    }
    let mut all = each.into_iter();
    let mut kpis = all.next().ok_or("no nodes")?;
    for other in all {
        kpis.merge(&other).map_err(|e| format!("merge: {e}"))?;
    }
    let again = Kpis::from_bytes(&kpis.to_bytes().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    if again != kpis {
        return Err("the bytes round trip changed the KPIs".into());
    }
    let json: Value = serde_json::from_str(&kpis.to_json().map_err(|e| e.to_string())?).unwrap();
    subset(&json, &case["expect"]["kpis"])
}

/// `{"kpis_hex": ..., "expect": {"kpis": JSON} | {"error": code}}`.
pub fn run_kpis_bytes(case: &Value) -> Result<(), String> {
    run_bytes(case, "kpis", Kpis::from_bytes, Kpis::to_json)
}

/// `{"budgets_hex": ..., "expect": {"budgets": JSON} | {"error": code}}`.
pub fn run_budget_bytes(case: &Value) -> Result<(), String> {
    run_bytes(case, "budgets", Budgets::from_bytes, Budgets::to_json)
}

/// Publications to a fleet (`fleet::Contributions`), each replacing its node's slot or not (or
/// refused with its code), then the global view's bytes.
pub fn run_fleet(case: &Value) -> Result<(), String> {
    let mut fleet = shopkeeper::fleet::Contributions::new();
    for (i, step) in case["fleet"]
        .as_array()
        .ok_or("no steps")?
        .iter()
        .enumerate()
    {
        let bytes = super::decode_hex(step["bytes_hex"].as_str().unwrap_or(""))?;
        let sequence: u64 = step["sequence"]
            .as_str()
            .unwrap_or("")
            .parse()
            .map_err(|e| format!("{e}"))?;
        let node = step["node"].as_str().unwrap_or("");
        match (
            fleet.publish(node, sequence, &bytes),
            step["error"].as_str(),
        ) {
            (Ok(replaced), None) if Some(replaced) == step["replaced"].as_bool() => {}
            (Err(e), Some(code)) if e.code().as_str() == code => {}
            (got, _) => return Err(format!("publication {i}: {got:?}, expected {step}")),
        }
    }
    let global = fleet.global().map_err(|e| e.to_string())?;
    let hex = global.map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>());
    match (hex.as_deref(), case["expect"]["global_hex"].as_str()) {
        (got, want) if got == want => Ok(()),
        (got, want) => Err(format!("global {got:?}, expected {want:?}")),
    }
}

/// The budget counters of `{"nodes": [[event, ...], ...]}`: each node records its events against
/// the engine's catalog, the nodes merged into the first; they must survive their bytes and equal
/// `want` (their JSON) when given.
pub fn budgets(engine: &Engine, spec: &Value, want: &Value) -> Result<Budgets, String> {
    let mut all = Budgets::new();
    for node in spec["nodes"].as_array().ok_or("budgets without nodes")? {
        let mut mine = Budgets::new();
        for event in node.as_array().ok_or("a node is a list of events")? {
            let event = Event::from_json(&event.to_string()).map_err(|e| e.to_string())?;
            mine.record(engine.catalog(), &event)
                .map_err(|e| format!("record: {e}"))?;
        }
        all.merge(&mine).map_err(|e| format!("merge: {e}"))?;
    }
    let again = Budgets::from_bytes(&all.to_bytes().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    if again != all {
        return Err("the bytes round trip changed the counters".into());
    }
    let json: Value = serde_json::from_str(&all.to_json().map_err(|e| e.to_string())?).unwrap();
    if !want.is_null() && json != *want {
        return Err(format!("budgets {json}, expected {want}"));
    }
    Ok(all)
}
