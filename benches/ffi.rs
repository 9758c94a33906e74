//! The C API's overhead: `sk_engine_decide` against `Engine::decide` on the same 1,000-offer
//! catalog, customer and cart-page context (`fixtures.rs`), 3 slots, picks only and with the
//! receipt as JSON (what the C call returns; the Rust side serializes its receipt too).
//!
//! Run: `cargo bench -p shopkeeper-benches --bench ffi`. The C functions are called through the
//! rlib exactly as a C program calls the static library: one extern "C" call per decision, the
//! arguments checked, the panic boundary entered, the picks copied into an `sk_decision`.
#![allow(missing_docs)]
// Calling the C API is unsafe by nature; the pointers below come from the API itself.
#![allow(unsafe_code)]

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion};
use shopkeeper::decide::Request;
use shopkeeper::Channel;
use shopkeeper_ffi::*;

#[allow(dead_code)] // shared with decide.rs, which uses all of it
mod fixtures;
use fixtures::{catalog_json, engine_on_the_cart_page, profile, NOW};

const OFFERS: usize = 1_000;

fn bench(c: &mut Criterion) {
    let customer = profile();
    let (engine, context) = engine_on_the_cart_page(OFFERS, false);

    // The same engine, customer and context through the C API.
    let catalog = catalog_json(OFFERS, false);
    let export = customer.export().unwrap();
    let page = r#"{"page_type": "cart"}"#;
    let (mut c_engine, mut c_profile, mut c_context) =
        (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    // SAFETY: (pointer, length) strings that outlive the calls; out-parameters are locals.
    unsafe {
        let catalog_ptr = catalog.as_ptr().cast();
        let ok = sk_engine_new(
            catalog_ptr,
            catalog.len(),
            ptr::null(),
            0,
            NOW,
            &mut c_engine,
            ptr::null_mut(),
        );
        assert_eq!(ok, shopkeeper_ffi::SK_RESULT_OK);
        let ok = sk_profile_from_export(
            export.as_ptr().cast(),
            export.len(),
            &mut c_profile,
            ptr::null_mut(),
        );
        assert_eq!(ok, shopkeeper_ffi::SK_RESULT_OK);
        let ok = sk_context_from_json(
            c_engine,
            page.as_ptr().cast(),
            page.len(),
            &mut c_context,
            ptr::null_mut(),
        );
        assert_eq!(ok, shopkeeper_ffi::SK_RESULT_OK);
    }
    let c_api = CApi {
        engine: c_engine,
        profile: c_profile,
        context: c_context,
        request: sk_request {
            channel: SK_CHANNEL_WEB,
            slots: 3,
            now: NOW,
            seed: 0,
            log: false,
        },
    };
    let request = Request::new(Channel::Web, NOW).slots(3);

    // Both give the same picks.
    let rust_picks: Vec<String> = engine
        .decide(&customer, &context, &request)
        .unwrap()
        .picks()
        .iter()
        .map(|p| p.action.id().to_string())
        .collect();
    assert_eq!(
        rust_picks,
        c_picks(&c_api),
        "the C API decides as Rust does"
    );

    let mut group = c.benchmark_group("decide 1000 offers");
    group.bench_function("Rust Engine::decide", |b| {
        b.iter(|| {
            black_box(
                engine
                    .decide(black_box(&customer), &context, &request)
                    .unwrap()
                    .picks()
                    .len(),
            )
        })
    });
    group.bench_function("C sk_engine_decide", |b| {
        let mut decision = MaybeUninit::<sk_decision>::uninit();
        b.iter(|| {
            c_decide(&c_api, &mut decision, ptr::null_mut());
            // SAFETY: written on success, which c_decide asserts.
            black_box(unsafe { decision.assume_init_ref() }.picks_len)
        })
    });
    let explained = request.explain(true);
    group.bench_function("Rust Engine::decide, receipt as JSON", |b| {
        b.iter(|| {
            let decision = engine
                .decide(black_box(&customer), &context, &explained)
                .unwrap();
            black_box(decision.receipt().unwrap().to_json().unwrap().len())
        })
    });
    group.bench_function("C sk_engine_decide, receipt as JSON", |b| {
        let mut decision = MaybeUninit::<sk_decision>::uninit();
        b.iter(|| {
            let mut receipt = ptr::null_mut();
            c_decide(&c_api, &mut decision, &mut receipt);
            // SAFETY: the receipt was written on success and is freed once.
            unsafe {
                black_box(sk_buffer_len(receipt));
                sk_buffer_free(receipt);
            }
        })
    });
    group.finish();

    // SAFETY: each handle is freed once, after its last use.
    unsafe {
        sk_context_free(c_context);
        sk_profile_free(c_profile);
        sk_engine_free(c_engine);
    }
}

/// The C API's handles and request, built from the same inputs as the Rust side.
struct CApi {
    engine: *mut sk_engine,
    profile: *mut sk_profile,
    context: *mut sk_context,
    request: sk_request,
}

/// One `sk_engine_decide` into `decision` (and the receipt when `receipt` is not NULL).
fn c_decide(c: &CApi, decision: &mut MaybeUninit<sk_decision>, receipt: *mut *mut sk_buffer) {
    // SAFETY: live handles; `decision` is writable; `receipt` is NULL or writable.
    let result = unsafe {
        sk_engine_decide(
            c.engine,
            black_box(c.profile),
            c.context,
            &c.request,
            ptr::null(),
            decision.as_mut_ptr(),
            receipt,
            ptr::null_mut(),
        )
    };
    assert_eq!(result, shopkeeper_ffi::SK_RESULT_OK);
}

/// The ids the C API picks.
fn c_picks(c: &CApi) -> Vec<String> {
    let mut decision = MaybeUninit::<sk_decision>::uninit();
    c_decide(c, &mut decision, ptr::null_mut());
    // SAFETY: written on success; the picks' strings are borrowed from the live engine.
    unsafe {
        let decision = decision.assume_init();
        decision.picks[..decision.picks_len]
            .iter()
            .map(|p| {
                let bytes = std::slice::from_raw_parts(p.offer.ptr.cast::<u8>(), p.offer.len);
                String::from_utf8_lossy(bytes).into_owned()
            })
            .collect()
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
