/* One engine and one learner shared by 8 threads that decide while a 9th records responses
 * (sk_learner_update) and merges another learner in. Built with ThreadSanitizer by
 * `cargo xtask test`; every decision must succeed and pick a catalog offer. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "shopkeeper.h"

#define S(text) (text), strlen(text)
#define DECIDERS 8
#define DECISIONS 2000
#define UPDATES 4000

static const int64_t NOW = 1795500000;
static sk_engine *engine;
static sk_learner *learner;

static const char *CATALOG =
    "{\"version\": \"threads\", \"default\": {\"id\": \"none\"},"
    " \"learning\": {\"segment\": \"if customer.known then \\\"members\\\" else \\\"visitors\\\"\"},"
    " \"offers\": ["
    "  {\"id\": \"a\", \"value\": 3, \"propensity\": {\"adaptive\": {\"prior\": [1, 9]}}},"
    "  {\"id\": \"b\", \"value\": 2, \"propensity\": {\"adaptive\": {\"prior\": [1, 9]}}},"
    "  {\"id\": \"c\", \"value\": 1, \"propensity\": {\"fixed\": 0.2}}]}";

static void *decider(void *arg) {
    long id = (long)arg;
    char name[32];
    snprintf(name, sizeof name, "customer-%ld", id);
    sk_profile *profile = NULL;
    if (sk_profile_new(name, strlen(name), id % 2 == 0, &profile, NULL) != SK_RESULT_OK) return (void *)1;
    long bad = 0;
    for (int i = 0; i < DECISIONS; i++) {
        sk_request request = {SK_CHANNEL_WEB, 2, NOW + i, (uint64_t)(id * DECISIONS + i), false};
        sk_decision d;
        if (sk_engine_decide(engine, profile, NULL, &request, learner, &d, NULL, NULL) != SK_RESULT_OK ||
            d.picks_len != 2 || d.picks[0].offer.len != 1) {
            bad++;
        }
    }
    sk_profile_free(profile);
    return (void *)bad;
}

static void *updater(void *arg) {
    (void)arg;
    long bad = 0;
    sk_learner *other = NULL;
    if (sk_engine_new_learner(engine, &other, NULL) != SK_RESULT_OK) return (void *)1;
    for (int i = 0; i < UPDATES; i++) {
        const char *offer = i % 3 == 0 ? "b" : "a";
        sk_response response = i % 4 == 0 ? SK_RESPONSE_ACCEPTED : SK_RESPONSE_DISMISSED;
        if (sk_learner_update(learner, offer, 1, S(i % 2 ? "members" : "visitors"), response, NOW + i / 4, NULL) !=
            SK_RESULT_OK) {
            bad++;
        }
        if (i % 500 == 0) {
            sk_learner_update(other, S("c"), S("members"), SK_RESPONSE_ACCEPTED, NOW, NULL);
            if (sk_learner_merge(learner, other, NULL) != SK_RESULT_OK) bad++;
        }
    }
    sk_learner_free(other);
    return (void *)bad;
}

int main(void) {
    if (sk_engine_new(S(CATALOG), NULL, 0, NOW, &engine, NULL) != SK_RESULT_OK ||
        sk_engine_new_learner(engine, &learner, NULL) != SK_RESULT_OK) {
        fprintf(stderr, "threads: setup failed\n");
        return 1;
    }
    pthread_t threads[DECIDERS + 1];
    for (long t = 0; t < DECIDERS; t++) pthread_create(&threads[t], NULL, decider, (void *)t);
    pthread_create(&threads[DECIDERS], NULL, updater, NULL);
    long bad = 0;
    for (int t = 0; t <= DECIDERS; t++) {
        void *result = NULL;
        pthread_join(threads[t], &result);
        bad += (long)result;
    }
    size_t arms = sk_learner_len(learner);
    sk_learner_free(learner);
    sk_engine_free(engine);
    if (bad != 0 || arms != 5) {
        fprintf(stderr, "threads: %ld failed calls, %zu arms (expected 5)\n", bad, arms);
        return 1;
    }
    printf("threads: %d decisions on %d threads while %d updates ran: all succeeded\n", DECIDERS * DECISIONS,
           DECIDERS, UPDATES);
    return 0;
}
