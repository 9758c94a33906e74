//! The generated week of traffic: the same lines for a seed, arms as the catalog's control group
//! puts the visitors, and KPIs over it that find the lift the generator built in.

use std::collections::HashMap;

use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::kpi::{Kpis, Verdict};
use shopkeeper::{Event, Profile};
use storefront::traffic::{week, CONTROL_CONVERSION, TREATMENT_CONVERSION};

#[test]
fn a_week_of_traffic_shows_the_lift_it_was_built_with() {
    let text = week(20_000, 2026).unwrap();
    assert_eq!(
        text,
        week(20_000, 2026).unwrap(),
        "a seed gives the same lines"
    );
    let engine = Engine::new(
        Catalog::compile(storefront::CATALOG, storefront::NOW).unwrap(),
        storefront::models().unwrap(),
    )
    .unwrap();
    let mut kpis = Kpis::new(0).unwrap();
    let mut profiles: HashMap<String, Profile> = HashMap::new();
    let mut decisions = 0;
    for line in text.lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        let object = value.as_object_mut().unwrap();
        let id = object
            .remove("profile")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        object.remove("anonymous");
        if object["type"] == "decide" {
            decisions += 1;
            continue;
        }
        let event = Event::from_json(&value.to_string()).unwrap();
        let profile = profiles
            .entry(id.clone())
            .or_insert_with(|| Profile::anonymous(&id).unwrap());
        let before = profile.mark();
        profile.apply(&event, storefront::NOW).unwrap();
        kpis.record(before, profile, engine.in_control_group(profile));
    }
    assert_eq!(decisions, 20_000);
    let (t, c) = (kpis.treatment(), kpis.control());
    assert_eq!(t.customers + c.customers, 20_000);
    // About 5% of visitors in the control group, by the catalog's share.
    assert!((800..1_200).contains(&c.customers), "{c:?}");
    let lift = kpis.lift();
    assert_eq!(lift.verdict, Verdict::Significant { better: true });
    let diff = lift.conversion.absolute.unwrap();
    let truth = TREATMENT_CONVERSION - CONTROL_CONVERSION;
    assert!(
        diff.low <= truth && truth <= diff.high,
        "{diff:?} against {truth}"
    );
    // The README quotes what `shopkeeper replay --kpis` prints for this week: the same counts
    // and the same sentence.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let counts = format!(
        "KPIs: treatment {} customers ({} bought), control group {} ({} bought)",
        t.customers, t.converters, c.customers, c.converters
    );
    for line in [counts, format!("lift: {}", lift.summary())] {
        assert!(readme.contains(&line), "README.md lacks {line:?}");
    }
}
