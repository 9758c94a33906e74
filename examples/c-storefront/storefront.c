/* A storefront backend's use of Shopkeeper, in C: load the catalog and models once, then for each
 * request fold the session's events into the visitor's profile, decide, show the picks, and
 * record what happened. `make run` builds and runs it (see README.md next to it).
 *
 *     storefront [catalog.json [models.json]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopkeeper.h"

/* A (pointer, length) argument from a string literal or C string. */
#define S(text) (text), strlen(text)

/* 2026-11-24T09:00:00Z: the shop's clock for this session. */
static const sk_timestamp NOW = 1795510800;

/* Reports a failed call with its code, message and (for JSON and rules) place, and exits: a real
 * backend would log it and serve the page without offers. `slot` is the `&err` the call wrote:
 * passing `err` itself would read it before the call (C leaves argument order unspecified). */
static void check(sk_result result, sk_error **slot, const char *what) {
    if (result == SK_RESULT_OK) return;
    sk_error *err = *slot; /* read after the call wrote it */
    fprintf(stderr, "storefront: %s failed: %s (%s)", what, err ? sk_error_message(err) : "",
            sk_result_name(result));
    if (err && sk_error_line(err) > 0)
        fprintf(stderr, " at line %u, column %u", sk_error_line(err), sk_error_column(err));
    fprintf(stderr, "\n");
    sk_error_free(err);
    exit(1);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "storefront: cannot open %s\n", path);
        exit(1);
    }
    char *text = NULL;
    size_t size = 0, used = 0, n;
    do {
        if (used == size) text = realloc(text, size = size ? 2 * size : 65536);
        n = fread(text + used, 1, size - used, f);
        used += n;
    } while (n > 0);
    fclose(f);
    *len = used;
    return text;
}

/* Decides for `profile` on `page` and prints the picks; records the shown offers in the profile
 * (contact policies count them) and returns the decision. */
static sk_decision offers_for(const sk_engine *engine, sk_profile *profile, sk_channel channel,
                              const char *page, uint32_t slots, uint64_t seed) {
    sk_error *err = NULL;
    sk_context *context = NULL;
    check(sk_context_new(engine, &context, &err), &err, "sk_context_new");
    check(sk_context_set_string(context, S("page_type"), S(page), &err), &err, "page_type");
    sk_request request = {channel, slots, NOW, seed, false};
    sk_decision decision;
    check(sk_engine_decide(engine, profile, context, &request, NULL, &decision, NULL, &err), &err,
          "sk_engine_decide");
    sk_context_free(context);

    sk_str id = sk_profile_id(profile);
    printf("%.*s on the %s page:", (int)id.len, id.ptr, page);
    if (decision.fallback) printf(" nothing qualified, the default action");
    if (decision.control_group) printf(" (control group)");
    printf("\n");
    for (size_t i = 0; i < decision.picks_len; i++) {
        const sk_pick *pick = &decision.picks[i];
        printf("  %zu. %-24.*s", i + 1, (int)pick->offer.len, pick->offer.ptr);
        if (pick->is_default) {
            printf(" (default action)\n");
            continue;
        }
        printf(" score %5.2f = propensity %.2f x context %.2f x value %.2f x lever %.2f\n",
               pick->score, pick->propensity, pick->context_weight, pick->value, pick->lever);
        check(sk_profile_offer_feedback(profile, channel, NOW, pick->offer.ptr,
                                        pick->offer.len, SK_FEEDBACK_SHOWN, NOW, NULL, &err),
              &err, "recording a show");
    }
    return decision;
}

/* Prints why the offers that were not picked were left out, from the decision's receipt. */
static void explain(const sk_engine *engine, const sk_profile *profile, const char *page) {
    sk_error *err = NULL;
    sk_context *context = NULL;
    sk_buffer *receipt = NULL;
    sk_decision decision;
    check(sk_context_new(engine, &context, &err), &err, "sk_context_new");
    check(sk_context_set_string(context, S("page_type"), S(page), &err), &err, "page_type");
    sk_request request = {SK_CHANNEL_WEB, 1, NOW, 0, false};
    check(sk_engine_decide(engine, profile, context, &request, NULL, &decision, &receipt, &err),
          &err, "sk_engine_decide");
    /* The receipt is JSON (spec/catalog.md): every pick's score parts, and for every offer left
     * out the stage and the clause that stopped it. Log it, or hand it to your JSON library. */
    printf("  why (the receipt, %zu bytes):\n  %s\n", sk_buffer_len(receipt),
           (const char *)sk_buffer_data(receipt));
    sk_buffer_free(receipt);
    sk_context_free(context);
}

int main(int argc, char **argv) {
    const char *catalog_path = argc > 1 ? argv[1] : "../storefront/catalog.json";
    const char *models_path = argc > 2 ? argv[2] : "../storefront/models.json";
    sk_error *err = NULL;
    size_t catalog_len, models_len;
    char *catalog = read_file(catalog_path, &catalog_len);
    char *models = read_file(models_path, &models_len);

    /* Once, at start-up: the engine is immutable and shared by every request thread. */
    sk_engine *engine = NULL;
    check(sk_engine_new(catalog, catalog_len, models, models_len, NOW, &engine, &err), &err,
          "sk_engine_new");
    free(catalog);
    free(models);
    sk_str version = sk_engine_catalog_version(engine);
    printf("shopkeeper %s, catalog %.*s\n\n", SHOPKEEPER_VERSION, (int)version.len, version.ptr);

    /* Learned statistics, shared by all threads (thread-safe). */
    sk_learner *learner = NULL;
    check(sk_engine_new_learner(engine, &learner, &err), &err, "sk_engine_new_learner");

    /* 1. An anonymous visitor arrives from an affiliate site and looks at a tent. */
    sk_profile *visitor = NULL;
    check(sk_profile_new(S("visitor-a1c9"), false, &visitor, &err), &err, "sk_profile_new");
    check(sk_profile_apply_json(visitor,
                                S("{\"type\": \"session_start\", \"at\": 1795510700, \"channel\": "
                                  "\"web\", \"affiliate\": \"trailblog\"}"),
                                NOW, NULL, &err),
          &err, "session_start");
    check(sk_profile_view_product(visitor, SK_CHANNEL_WEB, NOW - 90, S("tent-2p"), S("tents"), NOW,
                                  NULL, &err),
          &err, "product view");
    sk_decision home = offers_for(engine, visitor, SK_CHANNEL_WEB, "home", 2, 1);

    /* 2. The banner is dismissed: the profile remembers it, the learner counts a reject. */
    for (size_t i = 0; i < home.picks_len; i++) {
        if (home.picks[i].is_default) continue;
        check(sk_profile_offer_feedback(visitor, SK_CHANNEL_WEB, NOW, home.picks[i].offer.ptr,
                                        home.picks[i].offer.len, SK_FEEDBACK_DISMISSED, NOW, NULL,
                                        &err),
              &err, "dismissal");
        check(sk_learner_update(learner, home.picks[i].offer.ptr, home.picks[i].offer.len,
                                home.segment, home.segment_len, SK_RESPONSE_DISMISSED, NOW, &err),
              &err, "sk_learner_update");
    }

    /* 3. The tent goes in the cart; the cart page asks for three offers. */
    check(sk_profile_add_to_cart(visitor, SK_CHANNEL_WEB, NOW - 30, S("tent-2p"), S("tents"), 1,
                                 24900, NOW, NULL, &err),
          &err, "cart add");
    offers_for(engine, visitor, SK_CHANNEL_WEB, "cart", 3, 2);
    explain(engine, visitor, "cart");

    /* 4. The visitor signs in as a known customer: merge the anonymous history into the
     * customer's stored profile (here, bytes from the profile store), then store it again. */
    sk_profile *stored = NULL;
    check(sk_profile_new(S("cust-2001"), true, &stored, &err), &err, "sk_profile_new");
    sk_buffer *bytes = NULL;
    check(sk_profile_to_bytes(stored, &bytes, &err), &err, "sk_profile_to_bytes");
    sk_profile_free(stored);
    sk_profile *customer = NULL;
    check(sk_profile_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &customer, &err), &err,
          "sk_profile_from_bytes");
    sk_buffer_free(bytes);
    check(sk_profile_merge(customer, visitor, &err), &err, "sk_profile_merge");
    sk_profile_free(visitor);
    sk_purchase_line lines[] = {{{S("tent-2p")}, {S("tents")}, 1, 24900}};
    sk_outcome outcome;
    check(sk_profile_purchase(customer, SK_CHANNEL_WEB, NOW, S("order-77"), lines, 1, 24900, NOW,
                              &outcome, &err),
          &err, "purchase");
    sk_profile_summary summary;
    check(sk_profile_summarize(customer, &summary, &err), &err, "sk_profile_summarize");
    printf("cust-2001 bought order-77 (%s): cart %.2f, average order %.2f\n",
           outcome.recorded ? "recorded" : "ignored", summary.cart_value / 100.0,
           summary.purchases_average / 100.0);
    check(sk_profile_to_bytes(customer, &bytes, &err), &err, "sk_profile_to_bytes");
    printf("  stored again: %zu bytes\n", sk_buffer_len(bytes));
    sk_buffer_free(bytes);

    sk_scores scores;
    check(sk_engine_scores(engine, customer, NOW, &scores, NULL, &err), &err, "sk_engine_scores");
    printf("  scores: P(alive) %.3f, expected purchases in 90 days %.3f, CLV %.2f\n",
           scores.p_alive, scores.expected_purchases_90d, scores.clv);
    offers_for(engine, customer, SK_CHANNEL_WEB, "home", 2, 3);

    /* 5. The customer writes in the chat. The engine hears the text as it is folded (the
     * catalog's intents, the models' sentiment); the profile keeps what it heard, not the text,
     * and the next decision listens: the retention desk and service recovery, not a sale. */
    const char *said = "The tent I just bought arrived broken. I want to cancel!";
    check(sk_profile_message(customer, engine, SK_CHANNEL_CHAT, NOW, SK_DIRECTION_INBOUND, S(said),
                             NOW, NULL, &err),
          &err, "sk_profile_message");
    sk_buffer *heard = NULL;
    check(sk_engine_hear(engine, S(said), &heard, &err), &err, "sk_engine_hear");
    printf("\ncust-2001 writes in the chat: \"%s\"\n  heard: %s\n", said,
           (const char *)sk_buffer_data(heard));
    sk_buffer_free(heard);
    offers_for(engine, customer, SK_CHANNEL_CHAT, "chat", 2, 4);

    double accepts, rejects;
    check(sk_learner_counts(learner, home.picks[0].offer.ptr, home.picks[0].offer.len,
                            home.segment, home.segment_len, NOW, &accepts, &rejects, &err),
          &err, "sk_learner_counts");
    printf("\nlearned: %.*s in segment \"%s\": %.0f accepted, %.0f rejected\n",
           (int)home.picks[0].offer.len, home.picks[0].offer.ptr, home.segment, accepts, rejects);

    sk_profile_free(customer);
    sk_learner_free(learner);
    sk_engine_free(engine);
    return 0;
}
