//! Untrusted bytes and exported JSON must decode to a valid profile or a clean error, never a panic;
//! whatever decodes must round-trip and survive every operation. The same bytes as live cohort
//! counts, KPIs and budget counters: decoded or refused, and what decodes round-trips and merges
//! with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::budget::Budgets;
use shopkeeper::kpi::Kpis;
use shopkeeper::learn::CohortCounts;
use shopkeeper::{Channel, Event, EventKind, Profile};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut counts) = CohortCounts::from_bytes(data) {
        let bytes = counts.to_bytes().expect("decoded counts encode");
        assert_eq!(
            CohortCounts::from_bytes(&bytes).expect("and decode again"),
            counts
        );
        let copy = counts.clone();
        counts.merge(&copy).expect("counts merge with themselves");
        CohortCounts::from_bytes(&counts.to_bytes().expect("encode"))
            .expect("merged counts decode");
    }
    if let Ok(mut kpis) = Kpis::from_bytes(data) {
        let bytes = kpis.to_bytes().expect("decoded KPIs encode");
        assert_eq!(Kpis::from_bytes(&bytes).expect("and decode again"), kpis);
        let _ = kpis.to_json().expect("and write JSON");
        let copy = kpis.clone();
        if kpis.merge(&copy).is_ok() {
            Kpis::from_bytes(&kpis.to_bytes().expect("encode")).expect("merged KPIs decode");
        }
    }
    if let Ok(mut budgets) = Budgets::from_bytes(data) {
        let bytes = budgets.to_bytes().expect("decoded counters encode");
        assert_eq!(
            Budgets::from_bytes(&bytes).expect("and decode again"),
            budgets
        );
        let _ = budgets.to_json().expect("and write JSON");
        let copy = budgets.clone();
        budgets
            .merge(&copy)
            .expect("counters merge with themselves");
        Budgets::from_bytes(&budgets.to_bytes().expect("encode")).expect("merged counters decode");
    }
    let decoded = Profile::from_bytes(data).ok().or_else(|| {
        let text = std::str::from_utf8(data).ok()?;
        Profile::from_export(text).ok()
    });
    let Some(mut profile) = decoded else { return };
    let bytes = profile.to_bytes().expect("a decoded profile encodes");
    assert_eq!(
        Profile::from_bytes(&bytes).expect("and decodes again"),
        profile
    );
    let json = profile.export().expect("a decoded profile exports");
    assert_eq!(
        Profile::from_export(&json).expect("and imports again"),
        profile
    );
    let copy = profile.clone();
    let _ = profile.merge(&copy);
    let now = 1_732_406_400;
    for kind in [
        EventKind::CartAdd {
            product: "p".into(),
            category: None,
            quantity: 10_000,
            unit_price: 1,
        },
        EventKind::OfferShown { offer: "o".into() },
        EventKind::Identify {
            customer: "c".into(),
        },
    ] {
        let _ = profile.apply(&Event::new(now, Channel::Web, kind), now);
    }
    assert!(profile.to_bytes().is_ok());
});
