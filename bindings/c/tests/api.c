/* The C API, end to end: lifecycle, every family of calls, NULL and error paths. Built by
 * `cargo xtask test` with AddressSanitizer and UndefinedBehaviorSanitizer, then run again under
 * valgrind; both must report nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopkeeper.h"

static int failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

/* A string literal as (pointer, length). */
#define S(text) (text), strlen(text)

static const int64_t NOW = 1795500000;

static const char *CATALOG =
    "{\n"
    "  \"version\": \"c-test.1\",\n"
    "  \"default\": {\"id\": \"newsletter\", \"kind\": \"content\"},\n"
    "  \"attributes\": {\"tier\": \"string\"},\n"
    "  \"context\": {\"page_type\": \"string\"},\n"
    "  \"learning\": {\"segment\": \"if customer.known then \\\"members\\\" else \\\"visitors\\\"\", "
    "\"half_life\": \"7d\"},\n"
    "  \"offers\": [\n"
    "    {\"id\": \"free-shipping\", \"eligibility\": \"cart.value >= 100\", \"value\": 8},\n"
    "    {\"id\": \"tent-kit\", \"applicability\": \"context.page_type == \\\"cart\\\"\", \"value\": 5},\n"
    "    {\"id\": \"welcome\", \"value\": 2, \"propensity\": {\"adaptive\": {\"prior\": [1, 9]}}}\n"
    "  ]\n"
    "}";

static int same(sk_str s, const char *text) {
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static void test_version(void) {
    sk_str v = sk_version();
    CHECK(same(v, SHOPKEEPER_VERSION));
}

static void test_result_names(void) {
    CHECK(strcmp(sk_result_name(SK_RESULT_OK), "ok") == 0);
    CHECK(strcmp(sk_result_name(SK_RESULT_INVALID_RULE), "invalid_rule") == 0);
    CHECK(strcmp(sk_result_name(SK_RESULT_DECODE_TRAILING_BYTES), "decode_trailing_bytes") == 0);
    CHECK(strcmp(sk_result_name(12345), "unknown") == 0);
}

static void test_errors_and_nulls(void) {
    sk_engine *engine = (sk_engine *)0x1; /* out-parameters are written only on success */
    sk_error *err = NULL;
    CHECK(sk_engine_new(NULL, 0, NULL, 0, NOW, &engine, &err) == SK_RESULT_NULL_PARAMETER);
    CHECK(engine == (sk_engine *)0x1);
    CHECK(sk_error_code(err) == SK_RESULT_NULL_PARAMETER);
    CHECK(strstr(sk_error_message(err), "catalog") != NULL);
    sk_error_free(err);
    err = NULL;

    /* A NULL error pointer is fine: the code alone comes back. */
    CHECK(sk_engine_new(S("{"), NULL, 0, NOW, &engine, NULL) == SK_RESULT_INVALID_CATALOG);
    CHECK(sk_engine_new(S(CATALOG), NULL, 0, NOW, NULL, NULL) == SK_RESULT_NULL_PARAMETER);

    /* Not UTF-8. */
    const char bad[] = {'{', (char)0xff, '}'};
    CHECK(sk_engine_new(bad, sizeof bad, NULL, 0, NOW, &engine, &err) == SK_RESULT_INVALID_UTF8);
    sk_error_free(err);
    err = NULL;

    /* A rule error in a catalog points at its line and column. */
    const char *broken = "{\"version\": \"b\", \"default\": {\"id\": \"d\"},\n"
                         " \"offers\": [{\"id\": \"x\", \"eligibility\": \"cart.valeu >= 100\"}]}";
    CHECK(sk_engine_new(S(broken), NULL, 0, NOW, &engine, &err) == SK_RESULT_INVALID_CATALOG);
    CHECK(sk_error_line(err) == 1 && sk_error_column(err) == 1);
    CHECK(strstr(sk_error_message(err), "cart.valeu") != NULL);
    CHECK(engine == (sk_engine *)0x1);
    sk_error_free(err);

    /* NULL is a no-op for every free, and a safe default for accessors. */
    sk_engine_free(NULL);
    sk_profile_free(NULL);
    sk_context_free(NULL);
    sk_learner_free(NULL);
    sk_buffer_free(NULL);
    sk_error_free(NULL);
    sk_diagnostics_free(NULL);
    sk_rule_free(NULL);
    sk_profile_erase(NULL);
    CHECK(sk_buffer_len(NULL) == 0 && sk_buffer_data(NULL) == NULL);
    CHECK(sk_error_code(NULL) == SK_RESULT_OK && strcmp(sk_error_message(NULL), "") == 0);
    CHECK(sk_profile_id(NULL).len == 0 && !sk_profile_is_known(NULL));
    CHECK(sk_learner_len(NULL) == 0 && sk_diagnostics_len(NULL) == 0);
}

/* The profile's export, as a new string the caller frees. */
static char *export_of(const sk_profile *p) {
    sk_buffer *buf = NULL;
    if (sk_profile_export(p, &buf, NULL) != SK_RESULT_OK) return NULL;
    char *copy = malloc(sk_buffer_len(buf) + 1);
    memcpy(copy, sk_buffer_data(buf), sk_buffer_len(buf) + 1);
    sk_buffer_free(buf);
    return copy;
}

static void test_profiles(void) {
    sk_profile *p = NULL;
    sk_error *err = NULL;
    CHECK(sk_profile_new(S("cust-1"), true, &p, NULL) == SK_RESULT_OK);
    CHECK(same(sk_profile_id(p), "cust-1") && sk_profile_is_known(p));

    sk_outcome outcome;
    CHECK(sk_profile_view_product(p, SK_CHANNEL_WEB, NOW - 60, S("tent-2p"), S("tents"), NOW,
                                  &outcome, NULL) == SK_RESULT_OK);
    CHECK(outcome.recorded);
    CHECK(sk_profile_add_to_cart(p, SK_CHANNEL_WEB, NOW - 50, S("tent-2p"), NULL, 0, 1, 12900, NOW,
                                 NULL, NULL) == SK_RESULT_OK);
    sk_purchase_line lines[1] = {{{"mat", 3}, {NULL, 0}, 2, 1500}};
    CHECK(sk_profile_purchase(p, SK_CHANNEL_STORE, NOW - 40, S("order-1"), lines, 1, 3000, NOW,
                              &outcome, NULL) == SK_RESULT_OK);
    CHECK(outcome.recorded);
    /* The same order again is ignored as a duplicate, not an error. */
    CHECK(sk_profile_purchase(p, SK_CHANNEL_STORE, NOW - 39, S("order-1"), lines, 1, 3000, NOW,
                              &outcome, NULL) == SK_RESULT_OK);
    CHECK(!outcome.recorded && same(outcome.ignored, "duplicate_order"));
    CHECK(sk_profile_apply_json(p, S("{\"type\": \"attribute_set\", \"at\": 1795499990, \"channel\": "
                                     "\"web\", \"name\": \"tier\", \"value\": \"gold\"}"),
                                NOW, NULL, NULL) == SK_RESULT_OK);

    sk_profile_summary summary;
    CHECK(sk_profile_summarize(p, &summary, NULL) == SK_RESULT_OK);
    CHECK(summary.cart_value == 12900 && summary.cart_quantity == 1);
    CHECK(summary.purchases_average == 3000.0 && isnan(summary.purchases_repeat_average));
    CHECK(!summary.objects_to_personalization);
    CHECK(sk_profile_summarize(NULL, &summary, NULL) == SK_RESULT_NULL_PARAMETER);
    CHECK(sk_profile_offer_feedback(p, SK_CHANNEL_WEB, NOW - 30, S("free-shipping"),
                                    SK_FEEDBACK_SHOWN, NOW, NULL, NULL) == SK_RESULT_OK);
    uint32_t shows = 0;
    CHECK(sk_profile_shown_within(p, S("free-shipping"), 3600, NOW, &shows, NULL) == SK_RESULT_OK);
    CHECK(shows == 1);
    CHECK(sk_profile_shown_within(p, S("free-shipping"), 10, NOW, &shows, NULL) == SK_RESULT_OK);
    CHECK(shows == 0);

    /* Bad events are rejected and change nothing. */
    char *before = export_of(p);
    CHECK(sk_profile_offer_feedback(p, SK_CHANNEL_WEB, NOW, S("free-shipping"), 7, NOW, NULL,
                                    NULL) == SK_RESULT_INVALID_REQUEST);
    CHECK(sk_profile_view_product(p, 42, NOW, S("tent-2p"), NULL, 0, NOW, NULL, NULL) ==
          SK_RESULT_INVALID_REQUEST);
    CHECK(sk_profile_apply_json(p, S("{\"type\": \"product_view\"}"), NOW, NULL, &err) ==
          SK_RESULT_INVALID_JSON);
    CHECK(sk_error_line(err) >= 1);
    sk_error_free(err);
    err = NULL;
    CHECK(sk_profile_add_to_cart(p, SK_CHANNEL_WEB, NOW, S("tent-2p"), NULL, 0, 0, 100, NOW, NULL,
                                 &err) == SK_RESULT_INVALID_QUANTITY);
    sk_error_free(err);
    err = NULL;
    CHECK(sk_profile_view_product(p, SK_CHANNEL_WEB, NOW + 86400, S("tent-2p"), NULL, 0, NOW, NULL,
                                  NULL) == SK_RESULT_FUTURE_TIMESTAMP);
    CHECK(sk_profile_view_product(p, SK_CHANNEL_WEB, NOW, NULL, 3, NULL, 0, NOW, NULL, NULL) ==
          SK_RESULT_NULL_PARAMETER);
    char *after = export_of(p);
    CHECK(before && after && strcmp(before, after) == 0);
    free(after);

    /* Bytes and export round-trip. */
    sk_buffer *bytes = NULL;
    CHECK(sk_profile_to_bytes(p, &bytes, NULL) == SK_RESULT_OK && sk_buffer_len(bytes) > 0);
    sk_profile *copy = NULL;
    CHECK(sk_profile_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &copy, NULL) ==
          SK_RESULT_OK);
    after = export_of(copy);
    CHECK(after && strcmp(before, after) == 0);
    free(after);
    sk_profile *from_export = NULL;
    CHECK(sk_profile_from_export(before, strlen(before), &from_export, NULL) == SK_RESULT_OK);
    sk_profile_free(from_export);
    /* Truncated bytes are rejected. */
    sk_profile *broken = (sk_profile *)0x1;
    CHECK(sk_profile_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes) - 1, &broken, &err) >=
          SK_RESULT_DECODE_TOO_LARGE);
    CHECK(broken == (sk_profile *)0x1 && sk_error_code(err) >= SK_RESULT_DECODE_TOO_LARGE);
    sk_error_free(err);
    err = NULL;
    sk_buffer_free(bytes);
    free(before);

    /* An anonymous visitor merges into the customer; two known customers do not merge. */
    sk_profile *visitor = NULL, *other = NULL;
    CHECK(sk_profile_new(S("visitor-9"), false, &visitor, NULL) == SK_RESULT_OK);
    CHECK(sk_profile_view_product(visitor, SK_CHANNEL_MOBILE, NOW - 10, S("stove"), NULL, 0, NOW,
                                  NULL, NULL) == SK_RESULT_OK);
    CHECK(sk_profile_merge(copy, visitor, NULL) == SK_RESULT_OK);
    CHECK(sk_profile_new(S("cust-2"), true, &other, NULL) == SK_RESULT_OK);
    CHECK(sk_profile_merge(copy, other, &err) == SK_RESULT_IDENTITY_CONFLICT);
    sk_error_free(err);
    CHECK(sk_profile_merge(copy, copy, NULL) == SK_RESULT_OK);
    sk_profile_erase(copy);
    after = export_of(copy);
    CHECK(after && strstr(after, "stove") == NULL && strstr(after, "cust-1") != NULL);
    free(after);
    sk_profile_free(other);
    sk_profile_free(visitor);
    sk_profile_free(copy);
    sk_profile_free(p);
}

static void test_decisions_and_learning(void) {
    sk_engine *engine = NULL;
    sk_error *err = NULL;
    CHECK(sk_engine_new(S(CATALOG), NULL, 0, NOW, &engine, &err) == SK_RESULT_OK);
    if (!engine) {
        fprintf(stderr, "engine: %s\n", sk_error_message(err));
        sk_error_free(err);
        failures++;
        return;
    }
    CHECK(same(sk_engine_catalog_version(engine), "c-test.1"));

    sk_profile *p = NULL;
    CHECK(sk_profile_new(S("cust-1"), true, &p, NULL) == SK_RESULT_OK);
    CHECK(sk_profile_add_to_cart(p, SK_CHANNEL_WEB, NOW - 5, S("tent-2p"), NULL, 0, 1, 12900, NOW,
                                 NULL, NULL) == SK_RESULT_OK);
    sk_context *context = NULL;
    CHECK(sk_context_new(engine, &context, NULL) == SK_RESULT_OK);
    CHECK(sk_context_set_string(context, S("page_type"), S("cart"), NULL) == SK_RESULT_OK);
    CHECK(sk_context_set_number(context, S("page_type"), 3, &err) == SK_RESULT_INVALID_CONTEXT);
    sk_error_free(err);
    err = NULL;
    CHECK(sk_context_set_bool(context, S("colour"), true, NULL) == SK_RESULT_INVALID_CONTEXT);

    sk_request request = {SK_CHANNEL_WEB, 3, NOW, 7, false};
    sk_decision d;
    CHECK(sk_engine_decide(engine, p, context, &request, NULL, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(d.picks_len == 3 && !d.fallback && !d.control_group);
    CHECK(same(d.picks[0].offer, "free-shipping") && d.picks[0].score == 8.0);
    CHECK(same(d.picks[1].offer, "tent-kit"));
    CHECK(strcmp(d.segment, "members") == 0 && d.segment_len == 7);

    /* The receipt explains; the picks are the same. */
    sk_buffer *receipt = NULL;
    sk_decision explained;
    CHECK(sk_engine_decide(engine, p, context, &request, NULL, &explained, &receipt, NULL) ==
          SK_RESULT_OK);
    CHECK(explained.picks_len == d.picks_len && same(explained.picks[2].offer, "welcome"));
    CHECK(strstr((const char *)sk_buffer_data(receipt), "\"format\":\"shopkeeper.receipt\"") != NULL);
    sk_buffer_free(receipt);

    /* Logged probabilities come on the fast path when asked for (NaN otherwise). */
    CHECK(isnan(d.picks[0].probability));
    sk_request log_request = request;
    log_request.log = true;
    sk_decision with_log;
    CHECK(sk_engine_decide(engine, p, context, &log_request, NULL, &with_log, NULL, NULL) ==
          SK_RESULT_OK);
    CHECK(with_log.picks_len == 3 && with_log.picks[0].probability > 0 &&
          with_log.picks[0].probability <= 1);

    /* The request and the decision in their JSON forms, as the npm package has them. */
    sk_buffer *decision_json = NULL;
    const char *request_json =
        "{\"channel\": \"web\", \"now\": 1795500000, \"slots\": 3, \"seed\": 7, \"log\": true,"
        " \"context\": {\"page_type\": \"cart\"}}";
    CHECK(sk_engine_decide_json(engine, p, request_json, strlen(request_json), NULL,
                                &decision_json, NULL) == SK_RESULT_OK);
    const char *text = (const char *)sk_buffer_data(decision_json);
    CHECK(strstr(text, "\"format\":\"shopkeeper.decision\"") != NULL);
    CHECK(strstr(text, "\"offer\":\"free-shipping\"") != NULL);
    CHECK(strstr(text, "\"log\":{") != NULL && strstr(text, "\"receipt\"") == NULL);
    sk_buffer_free(decision_json);
    decision_json = NULL;
    CHECK(sk_engine_decide_json(engine, p, S("{\"now\": 1795500000, \"slot\": 2}"), NULL,
                                &decision_json, &err) == SK_RESULT_INVALID_JSON);
    CHECK(decision_json == NULL && strstr(sk_error_message(err), "slot") != NULL);
    sk_error_free(err);
    err = NULL;

    /* Without the cart page, tent-kit is dropped; a bad request changes nothing. */
    sk_context *json_context = NULL;
    CHECK(sk_context_from_json(engine, S("{\"page_type\": \"home\"}"), &json_context, NULL) ==
          SK_RESULT_OK);
    CHECK(sk_engine_decide(engine, p, json_context, &request, NULL, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(d.picks_len == 2);
    sk_request bad = {SK_CHANNEL_WEB, 0, NOW, 7, false};
    CHECK(sk_engine_decide(engine, p, NULL, &bad, NULL, &d, NULL, &err) == SK_RESULT_INVALID_REQUEST);
    CHECK(d.picks_len == 2);
    sk_error_free(err);
    err = NULL;
    /* A number that is no SK_CHANNEL_ constant is an error, not undefined behaviour. */
    sk_request unknown_channel = {99, 1, NOW, 7, false};
    CHECK(sk_engine_decide(engine, p, NULL, &unknown_channel, NULL, &d, NULL, &err) ==
          SK_RESULT_INVALID_REQUEST);
    CHECK(strstr(sk_error_message(err), "channel 99") != NULL);
    sk_error_free(err);
    err = NULL;

    /* Record the shows in the profile and the responses in the learner. */
    for (size_t i = 0; i < d.picks_len; i++) {
        if (d.picks[i].is_default) continue;
        CHECK(sk_profile_offer_feedback(p, SK_CHANNEL_WEB, NOW, d.picks[i].offer.ptr,
                                        d.picks[i].offer.len, SK_FEEDBACK_SHOWN, NOW, NULL,
                                        NULL) == SK_RESULT_OK);
    }
    sk_learner *learner = NULL;
    CHECK(sk_engine_new_learner(engine, &learner, NULL) == SK_RESULT_OK);
    for (int i = 0; i < 30; i++) {
        CHECK(sk_learner_update(learner, S("welcome"), d.segment, d.segment_len,
                                SK_RESPONSE_ACCEPTED, NOW - i, NULL) == SK_RESULT_OK);
    }
    CHECK(sk_learner_update(learner, S(""), S("members"), SK_RESPONSE_IGNORED, NOW, &err) ==
          SK_RESULT_EMPTY_ID);
    sk_error_free(err);
    err = NULL;
    CHECK(sk_learner_update(learner, S("welcome"), S("members"), 3, NOW, NULL) ==
          SK_RESULT_INVALID_REQUEST);
    double accepts = -1, rejects = -1;
    CHECK(sk_learner_counts(learner, S("welcome"), S("members"), NOW, &accepts, &rejects, NULL) ==
          SK_RESULT_OK);
    CHECK(accepts > 29.9 && accepts <= 30 && rejects == 0);
    CHECK(sk_learner_len(learner) == 1);
    CHECK(sk_engine_decide(engine, p, context, &request, learner, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(d.picks_len == 3 && d.picks[2].propensity > 0.5);

    /* Merge (also with itself), bytes, and bytes that are not a learner. */
    CHECK(sk_learner_merge(learner, learner, NULL) == SK_RESULT_OK);
    CHECK(sk_learner_counts(learner, S("welcome"), S("members"), NOW, &accepts, &rejects, NULL) ==
          SK_RESULT_OK);
    CHECK(accepts > 59.9);
    sk_buffer *bytes = NULL;
    CHECK(sk_learner_to_bytes(learner, &bytes, NULL) == SK_RESULT_OK);
    sk_learner *copy = NULL, *other = NULL;
    CHECK(sk_learner_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &copy, NULL) ==
          SK_RESULT_OK);
    CHECK(sk_learner_len(copy) == 1);
    CHECK(sk_learner_from_bytes((const uint8_t *)"not a learner", 13, &other, NULL) == SK_RESULT_DECODE_BAD_MAGIC);
    CHECK(sk_learner_new(3600, &other, NULL) == SK_RESULT_OK);
    CHECK(sk_learner_merge(copy, other, &err) == SK_RESULT_INVALID_DATA); /* half-lives differ */
    sk_error_free(err);
    err = NULL;
    sk_learner *tiny = (sk_learner *)0x1; /* a half-life below a minute is refused */
    CHECK(sk_learner_new(1, &tiny, NULL) != SK_RESULT_OK && tiny == (sk_learner *)0x1);
    sk_buffer_free(bytes);

    /* Off-policy: this engine as the candidate for its own logged picks gives 1 where it is
     * deterministic. */
    sk_str logged[2] = {{"free-shipping", 13}, {"nothing-like-it", 15}};
    double probabilities[2] = {-1, -1};
    sk_request one = {SK_CHANNEL_WEB, 1, NOW, 7, false};
    CHECK(sk_engine_pick_probabilities(engine, p, context, &one, NULL, logged, 2, probabilities,
                                       NULL) == SK_RESULT_OK);
    CHECK(probabilities[0] == 1.0 && probabilities[1] == 0.0);
    sk_logged logs[4] = {{0.5, 0.5, 1}, {0.5, 0.5, 0}, {0.25, 0.25, 1}, {0.25, 0.25, 0}};
    sk_estimate e;
    CHECK(sk_ope_ipw(logs, 4, 1.96, &e, NULL) == SK_RESULT_OK);
    CHECK(e.value == 0.5 && e.n == 4 && e.effective_sample_size == 4.0 && e.low < 0.5);
    CHECK(sk_ope_snipw(logs, 4, 1.96, &e, NULL) == SK_RESULT_OK && e.value == 0.5);
    CHECK(sk_ope_ipw(NULL, 0, 1.96, &e, NULL) == SK_RESULT_INVALID_DATA);

    /* Scores without models are missing (NaN); with JSON. */
    sk_scores scores;
    sk_buffer *json = NULL;
    CHECK(sk_engine_scores(engine, p, NOW, &scores, &json, NULL) == SK_RESULT_OK);
    CHECK(isnan(scores.p_alive) && scores.rfm_r == 0);
    CHECK(strstr((const char *)sk_buffer_data(json), "\"p_alive\":null") != NULL);
    sk_buffer_free(json);

    /* Rules against the catalog's declarations. */
    sk_rule *rule = NULL;
    CHECK(sk_rule_compile(engine, S("cart.value >= 100 and context.page_type == \"cart\""), true,
                          &rule, NULL) == SK_RESULT_OK);
    bool matches = false;
    CHECK(sk_rule_matches(rule, engine, p, context, NOW, &matches, NULL) == SK_RESULT_OK && matches);
    CHECK(sk_rule_matches(rule, engine, p, NULL, NOW, &matches, NULL) == SK_RESULT_OK && !matches);
    sk_rule_free(rule);
    CHECK(sk_rule_compile(engine, S("cart.value * 2"), false, &rule, NULL) == SK_RESULT_OK);
    CHECK(sk_rule_eval(rule, engine, p, NULL, NOW, &json, NULL) == SK_RESULT_OK);
    CHECK(strcmp((const char *)sk_buffer_data(json), "258.0") == 0 ||
          strcmp((const char *)sk_buffer_data(json), "258") == 0);
    sk_buffer_free(json);
    sk_rule_free(rule);
    rule = (sk_rule *)0x1;
    CHECK(sk_rule_compile(engine, S("cart.value >=\n  customer.tierr"), false, &rule, &err) ==
          SK_RESULT_INVALID_RULE);
    CHECK(rule == (sk_rule *)0x1 && sk_error_line(err) == 2 && sk_error_column(err) == 3);
    sk_error_free(err);
    err = NULL;
    sk_diagnostics *diagnostics = NULL;
    CHECK(sk_rule_check(engine, S("cart.valeu > 1"), true, &diagnostics, NULL) == SK_RESULT_OK);
    CHECK(sk_diagnostics_len(diagnostics) == 1);
    sk_diagnostic diagnostic;
    CHECK(sk_diagnostics_get(diagnostics, 0, &diagnostic, NULL) == SK_RESULT_OK);
    CHECK(diagnostic.severity == SK_SEVERITY_ERROR && diagnostic.line == 1 && diagnostic.column == 1);
    CHECK(strstr(diagnostic.rendered, "cart.valeu") != NULL);
    CHECK(sk_diagnostics_get(diagnostics, 1, &diagnostic, NULL) == SK_RESULT_INVALID_REQUEST);
    sk_diagnostics_free(diagnostics);

    /* A catalog check returns warnings for a clean-but-dubious catalog. */
    const char *dubious = "{\"version\": \"w\", \"default\": {\"id\": \"d\"},"
                          " \"offers\": [{\"id\": \"x\", \"value\": 0}]}";
    CHECK(sk_catalog_check(S(dubious), NOW, &diagnostics, NULL) == SK_RESULT_OK);
    CHECK(sk_diagnostics_len(diagnostics) >= 1);
    CHECK(sk_diagnostics_get(diagnostics, 0, &diagnostic, NULL) == SK_RESULT_OK);
    CHECK(diagnostic.severity == SK_SEVERITY_WARNING && strcmp(diagnostic.code, "never_chosen") == 0);
    sk_diagnostics_free(diagnostics);

    sk_learner_free(other);
    sk_learner_free(copy);
    sk_learner_free(learner);
    sk_context_free(json_context);
    sk_context_free(context);
    sk_profile_free(p);
    sk_engine_free(engine);
}

static void test_documented_draws(void) {
    double value = 0;
    CHECK(sk_sample_beta(42, 2, 18, &value, NULL) == SK_RESULT_OK && value == 0.015596638712202444);
    CHECK(sk_sample_beta(42, 0, 18, &value, NULL) == SK_RESULT_INVALID_NUMBER);
    CHECK(sk_control_bucket(S("salt"), S("visitor-7f3a"), &value, NULL) == SK_RESULT_OK);
    CHECK(value == 1016700146317366.0 / 9007199254740992.0);
}

/* Live cohorts: counted around applied events, read by decisions; errors leave things as they
 * were. */
static void test_live_cohorts(void) {
    const char *catalog =
        "{\"version\": \"live\", \"default\": {\"id\": \"tips\"}, \"offers\": [{\"id\": "
        "\"welcome-10\", \"applicability\": \"cohort.visitors >= 1\"}]}";
    const char *by_referrer =
        "{\"version\": 3, \"cohorts\": {\"by\": \"referrer\", \"prior\": 5, \"population\": "
        "{\"customers\": 10, \"repeat_rate\": 0.2, \"aov\": 40, \"clv\": 50}, \"sources\": {}}}";
    sk_engine *engine = NULL, *other_engine = NULL;
    CHECK(sk_engine_new(S(catalog), NULL, 0, NOW, &engine, NULL) == SK_RESULT_OK);
    CHECK(sk_engine_new(S(catalog), S(by_referrer), NOW, &other_engine, NULL) == SK_RESULT_OK);
    sk_cohorts *counts = NULL, *by_host = NULL;
    CHECK(sk_engine_new_cohorts(engine, NOW - 86400, &counts, NULL) == SK_RESULT_OK);
    CHECK(sk_engine_new_cohorts(other_engine, NOW - 86400, &by_host, NULL) == SK_RESULT_OK);
    sk_cohorts *untouched_new = NULL;
    CHECK(sk_engine_new_cohorts(engine, -1, &untouched_new, NULL) == SK_RESULT_INVALID_REQUEST);
    CHECK(untouched_new == NULL);
    sk_profile *p = NULL;
    CHECK(sk_profile_new(S("v-1"), false, &p, NULL) == SK_RESULT_OK);
    sk_mark untouched_mark = {true, 7, 7};
    CHECK(sk_profile_mark(NULL, &untouched_mark, NULL) == SK_RESULT_NULL_PARAMETER);
    CHECK(untouched_mark.visitor && untouched_mark.orders == 7);
    sk_mark before;
    CHECK(sk_profile_mark(p, &before, NULL) == SK_RESULT_OK);
    CHECK(!before.visitor && before.orders == 0 && before.revenue == 0);
    const char *session = "{\"type\": \"session_start\", \"at\": 1795499000, \"channel\": "
                          "\"web\", \"affiliate\": \"gadgets.com\"}";
    CHECK(sk_profile_apply_json(p, S(session), NOW, NULL, NULL) == SK_RESULT_OK);
    CHECK(sk_cohorts_record(counts, before, p, NULL) == SK_RESULT_OK);
    CHECK(sk_cohorts_record(NULL, before, p, NULL) == SK_RESULT_NULL_PARAMETER);
    sk_source_counts one = {9, 9, 9, 9};
    CHECK(sk_cohorts_source(counts, S("gadgets.com"), &one, NULL) == SK_RESULT_OK);
    CHECK(one.visitors == 1 && one.first_purchases == 0 && one.orders == 0 && one.revenue == 0);

    sk_request request = {SK_CHANNEL_WEB, 1, NOW, 1, false};
    sk_decision d;
    sk_live live = {.cohorts = counts};
    CHECK(sk_engine_decide_live(engine, p, NULL, &request, &live, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(same(d.picks[0].offer, "welcome-10"));
    CHECK(sk_engine_decide(engine, p, NULL, &request, NULL, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(same(d.picks[0].offer, "tips"));
    /* Counts by another field than the models' cohorts: refused, by a decision and a merge. */
    sk_error *err = NULL;
    CHECK(sk_engine_decide_live(other_engine, p, NULL, &request, &live, &d, NULL, &err) ==
          SK_RESULT_INVALID_DATA);
    sk_error_free(err);
    CHECK(sk_cohorts_merge(counts, by_host, NULL) == SK_RESULT_INVALID_DATA);
    /* A merge with itself doubles; bytes round trip; bad bytes write nothing. */
    CHECK(sk_cohorts_merge(counts, counts, NULL) == SK_RESULT_OK);
    CHECK(sk_cohorts_source(counts, S("gadgets.com"), &one, NULL) == SK_RESULT_OK);
    CHECK(one.visitors == 2);
    sk_buffer *bytes = NULL;
    CHECK(sk_cohorts_to_bytes(counts, &bytes, NULL) == SK_RESULT_OK);
    sk_cohorts *decoded = NULL;
    CHECK(sk_cohorts_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &decoded, NULL) ==
          SK_RESULT_OK);
    sk_cohorts *untouched = NULL;
    CHECK(sk_cohorts_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes) - 1, &untouched,
                                NULL) != SK_RESULT_OK);
    CHECK(untouched == NULL);
    sk_buffer *json = NULL;
    CHECK(sk_cohorts_to_json(decoded, &json, NULL) == SK_RESULT_OK);
    CHECK(strstr((const char *)sk_buffer_data(json), "\"gadgets.com\":{\"visitors\":2") != NULL);
    sk_buffer_free(json);
    sk_buffer_free(bytes);
    sk_cohorts_free(decoded);
    sk_cohorts_free(counts);
    sk_cohorts_free(by_host);
    sk_cohorts_free(NULL);
    sk_profile_free(p);
    sk_engine_free(engine);
    sk_engine_free(other_engine);
}

/* KPIs: the arm from the engine's control group, counted around applied events; the lift as
 * JSON; errors leave things as they were. */
static void test_kpis(void) {
    const char *catalog = "{\"version\": \"kpi\", \"default\": {\"id\": \"tips\"}, \"offers\": [], "
                          "\"control_group\": {\"share\": 0.5, \"salt\": \"lift\"}}";
    sk_engine *engine = NULL;
    CHECK(sk_engine_new(S(catalog), NULL, 0, NOW, &engine, NULL) == SK_RESULT_OK);
    sk_kpis *kpis = NULL, *later = NULL;
    CHECK(sk_kpis_new(NOW - 86400, &kpis, NULL) == SK_RESULT_OK);
    CHECK(sk_kpis_new(NOW, &later, NULL) == SK_RESULT_OK);
    sk_kpis *untouched = NULL;
    CHECK(sk_kpis_new(-5, &untouched, NULL) == SK_RESULT_INVALID_REQUEST && untouched == NULL);
    int controls = 0;
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "v%d", i);
        sk_profile *p = NULL;
        CHECK(sk_profile_new(S(id), false, &p, NULL) == SK_RESULT_OK);
        bool control = true;
        CHECK(sk_engine_in_control_group(engine, p, &control, NULL) == SK_RESULT_OK);
        controls += control;
        const char *events[] = {
            "{\"type\": \"session_start\", \"at\": 1795499000, \"channel\": \"web\"}",
            "{\"type\": \"purchase\", \"at\": 1795499100, \"channel\": \"web\", \"order\": \"o\", "
            "\"total\": 2500, \"lines\": [{\"product\": \"tent\", \"quantity\": 1, \"unit_price\": 2500}]}"};
        for (int k = 0; k < (i % 2 ? 2 : 1); k++) {
            sk_mark before;
            CHECK(sk_profile_mark(p, &before, NULL) == SK_RESULT_OK);
            CHECK(sk_profile_apply_json(p, S(events[k]), NOW, NULL, NULL) == SK_RESULT_OK);
            CHECK(sk_kpis_record(kpis, before, p, control, NULL) == SK_RESULT_OK);
        }
        sk_profile_free(p);
    }
    CHECK(controls > 5 && controls < 35);
    sk_buffer *json = NULL;
    CHECK(sk_kpis_to_json(kpis, &json, NULL) == SK_RESULT_OK);
    const char *text = (const char *)sk_buffer_data(json);
    CHECK(strstr(text, "\"summary\":\"not enough data yet: about ") != NULL);
    sk_buffer_free(json);
    CHECK(sk_kpis_merge(kpis, later, NULL) == SK_RESULT_INVALID_DATA);
    CHECK(sk_kpis_merge(kpis, kpis, NULL) == SK_RESULT_OK);
    sk_buffer *bytes = NULL;
    CHECK(sk_kpis_to_bytes(kpis, &bytes, NULL) == SK_RESULT_OK);
    sk_kpis *decoded = NULL;
    CHECK(sk_kpis_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &decoded, NULL) ==
          SK_RESULT_OK);
    CHECK(sk_kpis_from_bytes(sk_buffer_data(bytes), 3, &untouched, NULL) != SK_RESULT_OK &&
          untouched == NULL);
    CHECK(sk_kpis_to_json(decoded, &json, NULL) == SK_RESULT_OK);
    CHECK(strstr((const char *)sk_buffer_data(json), "\"customers\":") != NULL);
    sk_buffer_free(json);
    sk_buffer_free(bytes);
    sk_kpis_free(decoded);
    sk_kpis_free(kpis);
    sk_kpis_free(later);
    sk_kpis_free(NULL);
    sk_engine_free(engine);
}

/* Budget counters: counted from shows and accepts of budgeted offers, read by decisions through
 * `sk_live`; merges, bytes and errors leave things as they were. */
static void test_budgets(void) {
    const char *catalog =
        "{\"version\": \"b\", \"default\": {\"id\": \"tips\"}, \"pacing\": {\"rule\": \"asap\"}, "
        "\"offers\": ["
        "{\"id\": \"free-shipping\", \"value\": 8, \"budget\": {\"max_shows\": 2, \"per\": \"1d\"}}, "
        "{\"id\": \"welcome-10\", \"value\": 5}]}";
    sk_engine *engine = NULL;
    CHECK(sk_engine_new(S(catalog), NULL, 0, NOW, &engine, NULL) == SK_RESULT_OK);
    sk_budgets *budgets = NULL;
    CHECK(sk_budgets_new(&budgets, NULL) == SK_RESULT_OK);
    CHECK(sk_budgets_new(NULL, NULL) == SK_RESULT_NULL_PARAMETER);
    const char *shown = "{\"type\": \"offer_shown\", \"at\": 1795499000, \"channel\": \"web\", "
                        "\"offer\": \"free-shipping\"}";
    const char *other = "{\"type\": \"offer_shown\", \"at\": 1795499000, \"channel\": \"web\", "
                        "\"offer\": \"welcome-10\"}";
    bool counted = false;
    CHECK(sk_budgets_record(budgets, engine, S(shown), &counted, NULL) == SK_RESULT_OK && counted);
    CHECK(sk_budgets_record(budgets, engine, S(other), &counted, NULL) == SK_RESULT_OK && !counted);
    CHECK(sk_budgets_record(budgets, engine, S("{"), &counted, NULL) == SK_RESULT_INVALID_JSON);
    CHECK(sk_budgets_record(NULL, engine, S(shown), &counted, NULL) == SK_RESULT_NULL_PARAMETER);
    uint64_t spent = 9;
    bool has_budget = false;
    CHECK(sk_budgets_spent(budgets, engine, S("free-shipping"), NOW, &spent, &has_budget, NULL) ==
          SK_RESULT_OK);
    CHECK(spent == 1 && has_budget);
    CHECK(sk_budgets_spent(budgets, engine, S("welcome-10"), NOW, &spent, &has_budget, NULL) ==
          SK_RESULT_OK);
    CHECK(spent == 0 && !has_budget);
    /* Spent once merged with itself: the decision drops the offer, and without counters it does not. */
    sk_request request = {SK_CHANNEL_WEB, 1, NOW, 1, false};
    sk_decision d;
    sk_profile *p = NULL;
    CHECK(sk_profile_new(S("v1"), false, &p, NULL) == SK_RESULT_OK);
    sk_live live = {.budgets = budgets};
    CHECK(sk_engine_decide_live(engine, p, NULL, &request, &live, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(same(d.picks[0].offer, "free-shipping"));
    CHECK(sk_budgets_merge(budgets, budgets, NULL) == SK_RESULT_OK);
    sk_buffer *receipt = NULL;
    CHECK(sk_engine_decide_live(engine, p, NULL, &request, &live, &d, &receipt, NULL) ==
          SK_RESULT_OK);
    CHECK(same(d.picks[0].offer, "welcome-10"));
    CHECK(strstr((const char *)sk_buffer_data(receipt), "\"stage\":\"budget\"") != NULL);
    sk_buffer_free(receipt);
    CHECK(sk_engine_decide_live(engine, p, NULL, &request, NULL, &d, NULL, NULL) == SK_RESULT_OK);
    CHECK(same(d.picks[0].offer, "free-shipping"));
    /* Bytes round trip; bad bytes write nothing. */
    sk_buffer *bytes = NULL, *json = NULL;
    CHECK(sk_budgets_to_bytes(budgets, &bytes, NULL) == SK_RESULT_OK);
    sk_budgets *decoded = NULL, *untouched = NULL;
    CHECK(sk_budgets_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &decoded, NULL) ==
          SK_RESULT_OK);
    CHECK(sk_budgets_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes) - 1, &untouched,
                                NULL) != SK_RESULT_OK);
    CHECK(untouched == NULL);
    CHECK(sk_budgets_to_json(decoded, &json, NULL) == SK_RESULT_OK);
    CHECK(strstr((const char *)sk_buffer_data(json), "\"shows\":2") != NULL);
    sk_buffer_free(json);
    sk_buffer_free(bytes);
    sk_budgets_free(decoded);
    sk_budgets_free(budgets);
    sk_budgets_free(NULL);
    sk_profile_free(p);
    sk_engine_free(engine);
}

int main(void) {
    test_version();
    test_result_names();
    test_errors_and_nulls();
    test_profiles();
    test_decisions_and_learning();
    test_live_cohorts();
    test_kpis();
    test_budgets();
    test_documented_draws();
    if (failures) {
        fprintf(stderr, "api: %d checks failed\n", failures);
        return 1;
    }
    printf("api: all checks passed\n");
    return 0;
}
