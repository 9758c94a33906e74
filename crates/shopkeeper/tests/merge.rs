//! `Profile::merge` is commutative and associative on profiles built from disjoint event sets.

mod common;
use common::{arb, fold, NOW};
use proptest::prelude::*;
use shopkeeper::{ErrorCode, Profile};

fn merged(a: &Profile, b: &Profile) -> Profile {
    let mut m = a.clone();
    m.merge(b).unwrap();
    m
}

fn ids() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec!["anon-a", "anon-b", "cust-1"])
}

proptest! {
    #![proptest_config(common::config(300))]

    #[test]
    fn merge_is_commutative_and_associative(
        events in arb::events(60),
        split in proptest::collection::vec(0u8..3, 60),
        id in proptest::array::uniform3(ids()),
    ) {
        let mut parts = [vec![], vec![], vec![]];
        for (e, &k) in events.iter().zip(&split) {
            parts[k as usize].push(e.clone());
        }
        let [a, b, c] = [fold(id[0], &parts[0]), fold(id[1], &parts[1]), fold(id[2], &parts[2])];
        prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        // The merged bytes are the same too, so any store sees one profile.
        prop_assert_eq!(
            merged(&merged(&a, &b), &c).to_bytes().unwrap(),
            merged(&merged(&c, &b), &a).to_bytes().unwrap()
        );
    }

    #[test]
    fn merge_keeps_every_counted_event(events in arb::events(60), split in proptest::collection::vec(proptest::bool::ANY, 60)) {
        let (mut left, mut right) = (vec![], vec![]);
        for (e, &l) in events.iter().zip(&split) {
            if l { left.push(e.clone()) } else { right.push(e.clone()) }
        }
        // No consent events here: an objection on one side would stop recording there only.
        let keep = |v: Vec<shopkeeper::Event>| -> Vec<_> {
            v.into_iter().filter(|e| !matches!(e.kind, shopkeeper::EventKind::ConsentChange { .. })).collect()
        };
        let (left, right) = (keep(left), keep(right));
        let (a, b) = (fold("cust-1", &left), fold("cust-1", &right));
        let m = merged(&a, &b);
        prop_assert_eq!(m.purchases().count, a.purchases().count + b.purchases().count);
        prop_assert_eq!(m.purchases().total, a.purchases().total + b.purchases().total);
        prop_assert_eq!(m.views().total, a.views().total + b.views().total);
        prop_assert_eq!(m.service().complaints, a.service().complaints + b.service().complaints);
        for (id, offer) in m.offers().iter() {
            let shown = |p: &Profile| p.offer(id).map_or(0, |o| o.shown);
            prop_assert_eq!(offer.shown, shown(&a) + shown(&b));
        }
        prop_assert_eq!(m.activity().first_seen, a.activity().first_seen.min(b.activity().first_seen).or(a.activity().first_seen).or(b.activity().first_seen));
        prop_assert_eq!(m.activity().last_seen, a.activity().last_seen.max(b.activity().last_seen));
    }
}

#[test]
fn two_known_customers_do_not_merge() {
    let mut a = Profile::known("cust-1").unwrap();
    let before = a.clone();
    let err = a.merge(&Profile::known("cust-2").unwrap()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::IdentityConflict);
    assert_eq!(a, before);
}

#[test]
fn an_anonymous_profile_merges_into_the_known_one() {
    let mut web = Profile::anonymous("cookie-9").unwrap();
    web.apply(&common::ev(NOW - 100, common::add("sku-1", 1, 2_500)), NOW)
        .unwrap();
    let mut pos = Profile::known("cust-1").unwrap();
    pos.apply(
        &common::on(
            shopkeeper::Channel::Store,
            NOW - 5_000,
            common::purchase("pos-1", 800, &[]),
        ),
        NOW,
    )
    .unwrap();
    let m = merged(&web, &pos);
    assert_eq!((m.id(), m.is_known()), ("cust-1", true));
    assert_eq!(m.identity().anonymous_ids[0].id, "cookie-9");
    assert_eq!((m.cart().value(), m.purchases().count), (2_500, 1));
    assert_eq!(m, merged(&pos, &web));
}

proptest! {
    #![proptest_config(common::config(200))]

    #[test]
    fn merging_an_empty_profile_changes_nothing(events in arb::events(60), id in ids()) {
        let p = fold(id, &events);
        let empty = Profile::new(p.id(), p.is_known()).unwrap();
        prop_assert_eq!(&merged(&p, &empty), &p);
        prop_assert_eq!(&merged(&empty, &p), &p);
    }
}

/// Found by proptest: an anonymous id absorbed before it had events must not keep a placeholder
/// first-seen time that an earlier real one then loses to.
#[test]
fn regression_absorbed_id_without_events_keeps_its_earliest_known_time() {
    let a = common::fold(
        "anon-a",
        &[common::ev(
            NOW,
            shopkeeper::EventKind::SessionStart {
                referrer: None,
                affiliate: None,
            },
        )],
    );
    let b = Profile::anonymous("anon-a").unwrap();
    let c = Profile::known("cust-1").unwrap();
    assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
    assert_eq!(
        merged(&merged(&a, &b), &c).identity().anonymous_ids[0].first_seen,
        Some(NOW)
    );
}
