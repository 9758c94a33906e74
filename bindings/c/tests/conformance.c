/* Runs every conformance vector in spec/vectors (format: spec/vectors/README.md) through the C
 * API, the same cases as the Rust harness (crates/shopkeeper/tests/conformance.rs), and must get
 * the same results.
 *
 *     conformance <vectors directory>
 *
 * It carries its own small JSON reader rather than a library such as cJSON: the cases need each
 * value's exact text (events and catalogs go to the library as written, and seeds are 64-bit
 * integers that a double would round), which the usual C readers do not keep. Every handle a
 * case takes is registered with own() and freed by release() after the case, so the run is
 * leak-free under ASan and valgrind whichever way a case ends. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopkeeper.h"

/* ---- JSON ---------------------------------------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } jkind;

typedef struct jv {
    jkind kind;
    const char *raw; /* the value's text in its source, raw_len bytes */
    size_t raw_len;
    bool boolean;
    double number;
    char *string; /* decoded, NUL-terminated (strings only) */
    size_t string_len;
    struct jv *items; /* array items or object values */
    char **keys;      /* object keys, decoded */
    size_t len;
} jv;

typedef struct {
    const char *at;
    const char *end;
    const char *error;
} jparser;

static void jfree(jv *v) {
    for (size_t i = 0; i < v->len; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

static void skip_space(jparser *p) {
    while (p->at < p->end && strchr(" \t\r\n", *p->at) && *p->at) p->at++;
}

static bool parse_value(jparser *p, jv *out, int depth);

static void put_utf8(char *buf, size_t *n, uint32_t c) {
    if (c < 0x80) {
        buf[(*n)++] = (char)c;
    } else if (c < 0x800) {
        buf[(*n)++] = (char)(0xC0 | (c >> 6));
        buf[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        buf[(*n)++] = (char)(0xE0 | (c >> 12));
        buf[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else {
        buf[(*n)++] = (char)(0xF0 | (c >> 18));
        buf[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3F));
        buf[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[(*n)++] = (char)(0x80 | (c & 0x3F));
    }
}

static bool hex4(const char *s, uint32_t *out) {
    *out = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return false;
        *out = *out * 16 + (uint32_t)d;
    }
    return true;
}

/* A string at p->at (the opening quote), decoded into a new buffer. */
static bool parse_string(jparser *p, char **out, size_t *out_len) {
    const char *s = ++p->at;
    char *buf = malloc((size_t)(p->end - s) + 1); /* decoding never grows the text */
    size_t n = 0;
    while (s < p->end && *s != '"') {
        if (*s != '\\') {
            buf[n++] = *s++;
            continue;
        }
        if (++s >= p->end) break;
        char e = *s++;
        uint32_t c;
        switch (e) {
        case '"': case '\\': case '/': buf[n++] = e; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (p->end - s < 4 || !hex4(s, &c)) goto bad;
            s += 4;
            if (c >= 0xD800 && c < 0xDC00) {
                uint32_t low;
                if (p->end - s < 6 || s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, &low) ||
                    low < 0xDC00 || low >= 0xE000)
                    goto bad;
                s += 6;
                c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
            }
            put_utf8(buf, &n, c);
            break;
        default:
            goto bad;
        }
    }
    if (s >= p->end) goto bad;
    buf[n] = '\0';
    p->at = s + 1;
    *out = buf;
    *out_len = n;
    return true;
bad:
    free(buf);
    p->error = "bad string";
    return false;
}

static bool push(jv *parent, jv *item, char *key) {
    parent->items = realloc(parent->items, (parent->len + 1) * sizeof *parent->items);
    parent->items[parent->len] = *item;
    if (parent->kind == J_OBJECT) {
        parent->keys = realloc(parent->keys, (parent->len + 1) * sizeof *parent->keys);
        parent->keys[parent->len] = key;
    }
    parent->len++;
    return true;
}

static bool parse_container(jparser *p, jv *out, int depth) {
    char close = *p->at == '[' ? ']' : '}';
    out->kind = close == ']' ? J_ARRAY : J_OBJECT;
    p->at++;
    skip_space(p);
    if (p->at < p->end && *p->at == close) {
        p->at++;
        return true;
    }
    for (;;) {
        char *key = NULL;
        size_t key_len;
        jv item;
        skip_space(p);
        if (out->kind == J_OBJECT) {
            if (p->at >= p->end || *p->at != '"' || !parse_string(p, &key, &key_len)) {
                p->error = "expected a key";
                return false;
            }
            skip_space(p);
            if (p->at >= p->end || *p->at != ':') {
                free(key);
                p->error = "expected ':'";
                return false;
            }
            p->at++;
        }
        if (!parse_value(p, &item, depth + 1)) {
            free(key);
            return false;
        }
        push(out, &item, key);
        skip_space(p);
        if (p->at < p->end && *p->at == ',') {
            p->at++;
            continue;
        }
        if (p->at < p->end && *p->at == close) {
            p->at++;
            return true;
        }
        p->error = "expected ',' or a closing bracket";
        return false;
    }
}

static bool parse_value(jparser *p, jv *out, int depth) {
    memset(out, 0, sizeof *out);
    skip_space(p);
    if (depth > 64 || p->at >= p->end) {
        p->error = depth > 64 ? "too deep" : "unexpected end";
        return false;
    }
    const char *start = p->at;
    bool ok = true;
    char c = *p->at;
    if (c == '{' || c == '[') {
        ok = parse_container(p, out, depth);
    } else if (c == '"') {
        out->kind = J_STRING;
        ok = parse_string(p, &out->string, &out->string_len);
    } else if (p->end - p->at >= 4 && !strncmp(p->at, "null", 4)) {
        out->kind = J_NULL;
        p->at += 4;
    } else if (p->end - p->at >= 4 && !strncmp(p->at, "true", 4)) {
        out->kind = J_BOOL;
        out->boolean = true;
        p->at += 4;
    } else if (p->end - p->at >= 5 && !strncmp(p->at, "false", 5)) {
        out->kind = J_BOOL;
        p->at += 5;
    } else {
        const char *s = p->at;
        while (s < p->end && strchr("+-0123456789.eE", *s) && *s) s++;
        char text[64];
        size_t n = (size_t)(s - p->at);
        char *end;
        if (n == 0 || n >= sizeof text) {
            p->error = "unexpected character";
            return false;
        }
        memcpy(text, p->at, n);
        text[n] = '\0';
        out->kind = J_NUMBER;
        out->number = strtod(text, &end);
        if (*end) {
            p->error = "bad number";
            return false;
        }
        p->at = s;
    }
    out->raw = start;
    out->raw_len = (size_t)(p->at - start);
    if (!ok) jfree(out);
    return ok;
}

/* Parses all of `text`; false (with nothing to free) when it is not one JSON value. */
static bool jparse(const char *text, size_t len, jv *out, const char **error) {
    jparser p = {text, text + len, NULL};
    if (!parse_value(&p, out, 0)) {
        *error = p.error;
        return false;
    }
    skip_space(&p);
    if (p.at != p.end) {
        jfree(out);
        *error = "trailing text";
        return false;
    }
    return true;
}

static const jv *jget(const jv *object, const char *key) {
    if (!object || object->kind != J_OBJECT) return NULL;
    for (size_t i = 0; i < object->len; i++)
        if (!strcmp(object->keys[i], key)) return &object->items[i];
    return NULL;
}

static const jv *jat(const jv *array, size_t i) {
    return array && array->kind == J_ARRAY && i < array->len ? &array->items[i] : NULL;
}

static bool jis(const jv *v, jkind kind) { return v && v->kind == kind; }
static bool jtrue(const jv *v) { return jis(v, J_BOOL) && v->boolean; }
static const char *jstr(const jv *v) { return jis(v, J_STRING) ? v->string : NULL; }

/* Whether a number is written as an integer (digits, with an optional leading minus). */
static bool integral(const jv *v) {
    size_t start = v->raw_len > 0 && v->raw[0] == '-';
    return v->raw_len > start && strspn(v->raw + start, "0123456789") == v->raw_len - start;
}

/* An integer from its exact text (a double would round 64-bit seeds); `otherwise` for anything
 * that is not an integer in range, which then fails the case where it matters. */
static int64_t jint(const jv *v, int64_t otherwise) {
    if (!jis(v, J_NUMBER) || !integral(v)) return otherwise;
    errno = 0;
    long long n = strtoll(v->raw, NULL, 10);
    return errno ? otherwise : (int64_t)n;
}

static uint64_t juint(const jv *v, uint64_t otherwise) {
    if (!jis(v, J_NUMBER) || !integral(v) || v->raw[0] == '-') return otherwise;
    errno = 0;
    unsigned long long n = strtoull(v->raw, NULL, 10);
    return errno ? otherwise : (uint64_t)n;
}

/* A number; the strings "NaN", "Infinity" and "-Infinity" stand for the numbers JSON lacks. */
static double jnum(const jv *v) {
    const char *text = jstr(v);
    if (text && !strcmp(text, "NaN")) return NAN;
    if (text && !strcmp(text, "Infinity")) return INFINITY;
    if (text && !strcmp(text, "-Infinity")) return -INFINITY;
    return jis(v, J_NUMBER) ? v->number : NAN;
}

/* The value at an RFC 6901 pointer, or NULL. */
static const jv *jpointer(const jv *root, const char *pointer) {
    const jv *at = root;
    const char *s = pointer;
    char token[256];
    while (at && *s == '/') {
        size_t n = 0;
        for (s++; *s && *s != '/' && n + 1 < sizeof token; s++) {
            if (*s == '~' && (s[1] == '0' || s[1] == '1')) {
                token[n++] = s[1] == '0' ? '~' : '/';
                s++;
            } else {
                token[n++] = *s;
            }
        }
        token[n] = '\0';
        if (at->kind == J_OBJECT) {
            at = jget(at, token);
        } else if (at->kind == J_ARRAY && n > 0 && strspn(token, "0123456789") == n) {
            at = jat(at, strtoul(token, NULL, 10));
        } else {
            at = NULL;
        }
    }
    return *s ? NULL : at;
}

/* JSON equality with numbers compared by value (3 == 3.0); NULL is JSON null. */
static bool same(const jv *a, const jv *b) {
    jkind ka = a ? a->kind : J_NULL, kb = b ? b->kind : J_NULL;
    if (ka != kb) return false;
    switch (ka) {
    case J_NULL: return true;
    case J_BOOL: return a->boolean == b->boolean;
    case J_NUMBER: return a->number == b->number;
    case J_STRING:
        return a->string_len == b->string_len && !memcmp(a->string, b->string, a->string_len);
    case J_ARRAY:
        if (a->len != b->len) return false;
        for (size_t i = 0; i < a->len; i++)
            if (!same(&a->items[i], &b->items[i])) return false;
        return true;
    case J_OBJECT:
        if (a->len != b->len) return false;
        for (size_t i = 0; i < a->len; i++)
            if (!same(&a->items[i], jget(b, a->keys[i]))) return false;
        return true;
    }
    return false;
}

/* Numbers within 1e-9 relative; anything else the same. */
static bool close_to(const jv *got, const jv *want) {
    if (jis(got, J_NUMBER) && jis(want, J_NUMBER))
        return fabs(got->number - want->number) <= 1e-9 * fmax(fabs(want->number), 1.0);
    return same(got, want);
}

/* `got` holds `want`: every key of an object, as many items of an array, numbers within 1e-9
 * relative, anything else equal (the JSON forms of decisions and logs are matched this way). */
static bool subset(const jv *got, const jv *want) {
    if (jis(want, J_OBJECT)) {
        if (!jis(got, J_OBJECT)) return false;
        for (size_t i = 0; i < want->len; i++)
            if (!subset(jget(got, want->keys[i]), &want->items[i])) return false;
        return true;
    }
    if (jis(want, J_ARRAY)) {
        if (!jis(got, J_ARRAY) || got->len != want->len) return false;
        for (size_t i = 0; i < want->len; i++)
            if (!subset(&got->items[i], &want->items[i])) return false;
        return true;
    }
    return close_to(got, want);
}

/* ---- Cases: failures and the handles they own --------------------------------------------- */

static char why[8192];

/* Records why the case failed; returns false. */
static bool fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(why, sizeof why, format, args);
    va_end(args);
    return false;
}

typedef enum {
    OWN_ENGINE, OWN_PROFILE, OWN_CONTEXT, OWN_LEARNER, OWN_COHORTS, OWN_KPIS, OWN_BUDGETS, OWN_BUFFER,
    OWN_ERROR, OWN_RULE, OWN_DIAGNOSTICS, OWN_JSON, OWN_MEMORY, OWN_FLEET
} own_kind;

static struct {
    own_kind kind;
    void *ptr;
} owned[512];
static size_t owned_len;

/* Registers `ptr` to be freed when the case ends; returns it. */
static void *own(own_kind kind, void *ptr) {
    if (!ptr) return NULL;
    if (owned_len == sizeof owned / sizeof owned[0]) {
        fprintf(stderr, "conformance: too many handles in one case\n");
        exit(2);
    }
    owned[owned_len].kind = kind;
    owned[owned_len++].ptr = ptr;
    return ptr;
}

static void release(void) {
    while (owned_len > 0) {
        void *ptr = owned[--owned_len].ptr;
        switch (owned[owned_len].kind) {
        case OWN_ENGINE: sk_engine_free(ptr); break;
        case OWN_PROFILE: sk_profile_free(ptr); break;
        case OWN_CONTEXT: sk_context_free(ptr); break;
        case OWN_LEARNER: sk_learner_free(ptr); break;
        case OWN_COHORTS: sk_cohorts_free(ptr); break;
        case OWN_KPIS: sk_kpis_free(ptr); break;
        case OWN_BUDGETS: sk_budgets_free(ptr); break;
        case OWN_BUFFER: sk_buffer_free(ptr); break;
        case OWN_ERROR: sk_error_free(ptr); break;
        case OWN_RULE: sk_rule_free(ptr); break;
        case OWN_DIAGNOSTICS: sk_diagnostics_free(ptr); break;
        case OWN_JSON: jfree(ptr); free(ptr); break;
        case OWN_MEMORY: free(ptr); break;
        case OWN_FLEET: sk_fleet_free(ptr); break;
        }
    }
}

/* The error slot of the next call: whatever it writes is freed with the case. */
static sk_error *last_error;
static sk_error **E(void) {
    last_error = NULL;
    return &last_error;
}
static const char *message(void) {
    own(OWN_ERROR, last_error);
    return last_error ? sk_error_message(last_error) : "(no error)";
}

static const char *name(sk_result r) { return sk_result_name(r); }

/* A value's text on one line, as JSON.stringify writes it (whitespace outside strings dropped),
 * so that line numbers in diagnostics agree across bindings. */
static const char *compact(const jv *v, size_t *len) {
    char *out = own(OWN_MEMORY, malloc(v->raw_len + 1));
    bool in_string = false;
    size_t n = 0;
    for (size_t i = 0; i < v->raw_len; i++) {
        char c = v->raw[i];
        if (in_string && c == '\\' && i + 1 < v->raw_len) {
            out[n++] = c;
            out[n++] = v->raw[++i];
            continue;
        }
        if (c == '"') in_string = !in_string;
        if (in_string || !strchr(" \t\r\n", c)) out[n++] = c;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* Parses text the library made; NULL (with the case failed) when it is not JSON. */
static const jv *parse_owned(const char *text, size_t len) {
    jv *v = malloc(sizeof *v);
    const char *error;
    if (!jparse(text, len, v, &error)) {
        free(v);
        fail("the library made invalid JSON (%s): %.*s", error, (int)len, text);
        return NULL;
    }
    return own(OWN_JSON, v);
}

static const jv *buffer_json(const sk_buffer *buffer) {
    return parse_owned((const char *)sk_buffer_data(buffer), sk_buffer_len(buffer));
}

/* Builds a profile from `{"id", "known", "events"}`, applying each event (its exact text) at
 * `now`; events must be accepted. */
static sk_profile *profile_from(const jv *spec, const char *default_id, bool known, int64_t now) {
    const char *id = jstr(jget(spec, "id")) ? jstr(jget(spec, "id")) : default_id;
    sk_profile *profile = NULL;
    if (sk_profile_new(id, strlen(id), known, &profile, E()) != SK_RESULT_OK) {
        fail("profile: %s", message());
        return NULL;
    }
    own(OWN_PROFILE, profile);
    const jv *events = jget(spec, "events");
    for (size_t i = 0; jat(events, i); i++) {
        const jv *event = jat(events, i);
        if (sk_profile_apply_json(profile, event->raw, event->raw_len, now, NULL, E()) !=
            SK_RESULT_OK) {
            fail("event rejected: %s", message());
            return NULL;
        }
    }
    return profile;
}

/* ---- Fold, merge and decode cases ---------------------------------------------------------- */

/* A derived fact of spec/vectors/README.md, as JSON text. */
static bool derived(const sk_profile *p, const char *key, int64_t now, char *out, size_t size) {
    sk_profile_summary s;
    if (sk_profile_summarize(p, &s, E()) != SK_RESULT_OK) return fail("summary: %s", message());
    if (!strcmp(key, "cart.value")) {
        snprintf(out, size, "%" PRId64, s.cart_value);
    } else if (!strcmp(key, "cart.quantity")) {
        snprintf(out, size, "%" PRIu64, s.cart_quantity);
    } else if (!strcmp(key, "purchases.average") || !strcmp(key, "purchases.repeat_average")) {
        double v = key[10] == 'a' ? s.purchases_average : s.purchases_repeat_average;
        snprintf(out, size, isnan(v) ? "null" : "%.17g", v);
    } else if (!strcmp(key, "session.time_on_site")) {
        if (s.has_session)
            snprintf(out, size, "%" PRId64, s.time_on_site);
        else
            snprintf(out, size, "null");
    } else if (!strcmp(key, "objects_to_personalization")) {
        snprintf(out, size, "%s", s.objects_to_personalization ? "true" : "false");
    } else if (!strcmp(key, "bytes_hex")) {
        sk_buffer *bytes = NULL;
        if (sk_profile_to_bytes(p, &bytes, E()) != SK_RESULT_OK)
            return fail("to_bytes: %s", message());
        own(OWN_BUFFER, bytes);
        size_t n = sk_buffer_len(bytes);
        if (2 * n + 3 > size) return fail("bytes_hex: %zu bytes is more than the test reads", n);
        const uint8_t *data = sk_buffer_data(bytes);
        out[0] = '"';
        for (size_t i = 0; i < n; i++) snprintf(out + 1 + 2 * i, 3, "%02x", data[i]);
        snprintf(out + 1 + 2 * n, 2, "\"");
    } else if (!strncmp(key, "shown_within:", 13)) {
        const char *offer = key + 13, *colon = strrchr(offer, ':');
        uint32_t count;
        if (!colon || colon == offer) return fail("bad fact %s", key);
        int64_t window = strtoll(colon + 1, NULL, 10);
        if (sk_profile_shown_within(p, offer, (size_t)(colon - offer), window, now, &count,
                                    E()) != SK_RESULT_OK)
            return fail("shown_within: %s", message());
        snprintf(out, size, "%" PRIu32, count);
    } else {
        return fail("unknown fact %s", key);
    }
    return true;
}

static bool check_facts(const sk_profile *p, const jv *expect, int64_t now) {
    const jv *facts = jget(expect, "facts");
    if (!jis(facts, J_OBJECT)) return true;
    sk_buffer *export_json = NULL;
    if (sk_profile_export(p, &export_json, E()) != SK_RESULT_OK)
        return fail("export: %s", message());
    own(OWN_BUFFER, export_json);
    const jv *exported = buffer_json(export_json);
    if (!exported) return false;
    static char text[1 << 16];
    for (size_t i = 0; i < facts->len; i++) {
        const char *key = facts->keys[i];
        const jv *want = &facts->items[i], *got;
        if (key[0] == '/') {
            got = jpointer(exported, key); /* missing is null */
            if (!same(got, want))
                return fail("%s is %.*s, expected %.*s", key, got ? (int)got->raw_len : 4,
                            got ? got->raw : "null", (int)want->raw_len, want->raw);
            continue;
        }
        if (!derived(p, key, now, text, sizeof text)) return false;
        if (!(got = parse_owned(text, strlen(text)))) return false;
        if (!same(got, want))
            return fail("%s is %s, expected %.*s", key, text, (int)want->raw_len, want->raw);
    }
    return true;
}

static bool decode_hex(const char *hex, uint8_t **out, size_t *len) {
    size_t n = strlen(hex);
    if (n % 2) return fail("odd-length hex");
    *out = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            free(*out);
            return fail("bad hex");
        }
        (*out)[i] = (uint8_t)byte;
    }
    *len = n / 2;
    return true;
}

/* Both encodings give back the same profile (compared through its encodings). */
static bool round_trips(const sk_profile *p) {
    sk_buffer *bytes = NULL, *again = NULL, *json = NULL, *json_again = NULL;
    sk_profile *decoded = NULL, *imported = NULL;
    if (sk_profile_to_bytes(p, &bytes, E()) != SK_RESULT_OK) return fail("to_bytes: %s", message());
    own(OWN_BUFFER, bytes);
    if (sk_profile_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &decoded, E()) !=
        SK_RESULT_OK)
        return fail("from_bytes of to_bytes: %s", message());
    own(OWN_PROFILE, decoded);
    if (sk_profile_to_bytes(decoded, &again, E()) != SK_RESULT_OK)
        return fail("to_bytes: %s", message());
    own(OWN_BUFFER, again);
    if (sk_buffer_len(again) != sk_buffer_len(bytes) ||
        memcmp(sk_buffer_data(again), sk_buffer_data(bytes), sk_buffer_len(bytes)))
        return fail("bytes round trip changed the profile");
    if (sk_profile_export(p, &json, E()) != SK_RESULT_OK) return fail("export: %s", message());
    own(OWN_BUFFER, json);
    if (sk_profile_from_export((const char *)sk_buffer_data(json), sk_buffer_len(json), &imported,
                               E()) != SK_RESULT_OK)
        return fail("from_export of export: %s", message());
    own(OWN_PROFILE, imported);
    if (sk_profile_export(imported, &json_again, E()) != SK_RESULT_OK)
        return fail("export: %s", message());
    own(OWN_BUFFER, json_again);
    if (sk_buffer_len(json_again) != sk_buffer_len(json) ||
        memcmp(sk_buffer_data(json_again), sk_buffer_data(json), sk_buffer_len(json)))
        return fail("export round trip changed the profile");
    return true;
}

/* The engine a case's `listener` (`{"catalog", "models"}`) describes; NULL (the case failed) when
 * it cannot be built. */
static sk_engine *listener_engine(const jv *spec) {
    size_t len;
    const char *catalog = compact(jget(spec, "catalog"), &len);
    const jv *models = jget(spec, "models");
    sk_engine *engine = NULL;
    if (sk_engine_new(catalog, len, models ? models->raw : NULL, models ? models->raw_len : 0, 0,
                      &engine, E()) != SK_RESULT_OK) {
        fail("the listener's engine: %s", message());
        return NULL;
    }
    return own(OWN_ENGINE, engine);
}

/* A text of a `hear` case: a string, or `{"repeat": S, "times": N, "then": T}`. */
static const char *text_of(const jv *spec, size_t *len) {
    if (jis(spec, J_STRING)) {
        *len = spec->string_len;
        return spec->string;
    }
    const jv *repeat = jget(spec, "repeat"), *then = jget(spec, "then");
    size_t times = (size_t)jint(jget(spec, "times"), 0), unit = repeat ? repeat->string_len : 0;
    size_t tail = then ? then->string_len : 0;
    char *text = own(OWN_MEMORY, malloc(unit * times + tail + 1));
    for (size_t i = 0; i < times; i++) memcpy(text + i * unit, repeat->string, unit);
    if (tail) memcpy(text + unit * times, then->string, tail);
    *len = unit * times + tail;
    text[*len] = '\0';
    return text;
}

static bool run_hear(const jv *c) {
    sk_engine *engine = listener_engine(jget(c, "listener"));
    if (!engine) return false;
    const jv *texts = jget(c, "hear"), *want = jget(jget(c, "expect"), "heard");
    if (!texts || !want || texts->len != want->len) return fail("as many expectations as texts");
    for (size_t i = 0; i < texts->len; i++) {
        size_t len;
        const char *text = text_of(jat(texts, i), &len);
        const jv *expected = jat(want, i);
        sk_buffer *json = NULL;
        sk_result r = sk_engine_hear(engine, text, len, &json, E());
        own(OWN_BUFFER, json);
        if (r != SK_RESULT_OK) {
            const char *code = jstr(jget(expected, "error"));
            if (code && !strcmp(name(r), code)) {
                message();
                continue;
            }
            return fail("text %zu: %s", i + 1, message());
        }
        const jv *got = buffer_json(json);
        if (!got) return false;
        if (!subset(got, expected) || !subset(expected, got))
            return fail("text %zu: heard %s, expected %.*s", i + 1, sk_buffer_data(json),
                        (int)expected->raw_len, expected->raw);
    }
    return true;
}

static bool run_fold(const jv *c) {
    const jv *expect = jget(c, "expect");
    const char *want_error = jstr(jget(expect, "error"));
    if (jstr(jget(c, "decode_hex"))) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        sk_profile *p = NULL;
        if (!decode_hex(jstr(jget(c, "decode_hex")), &bytes, &len)) return false;
        sk_result r = sk_profile_from_bytes(bytes, len, &p, E());
        free(bytes);
        own(OWN_PROFILE, p);
        if (r != SK_RESULT_OK && want_error && !strcmp(name(r), want_error)) return message(), true;
        if (r != SK_RESULT_OK) return fail("decoding failed: %s", message());
        if (want_error) return fail("decoded, expected error %s", want_error);
        return check_facts(p, expect, 0);
    }
    int64_t now = jint(jget(c, "now"), 0);
    const jv *specs = jget(c, "profiles"), *want_outcomes = jget(expect, "outcomes");
    sk_engine *listener = NULL;
    if (jget(c, "listener") && !(listener = listener_engine(jget(c, "listener")))) return false;
    sk_profile *merged = NULL;
    size_t outcome_index = 0;
    if (!jat(specs, 0)) return fail("missing profiles");
    for (size_t i = 0; jat(specs, i); i++) {
        const jv *spec = jat(specs, i), *events = jget(spec, "events");
        const char *id = jstr(jget(spec, "id"));
        sk_profile *p = NULL;
        if (!id) return fail("missing id");
        if (sk_profile_new(id, strlen(id), jtrue(jget(spec, "known")), &p, E()) != SK_RESULT_OK)
            return fail("profile: %s", message());
        own(OWN_PROFILE, p);
        for (size_t j = 0; jat(events, j); j++, outcome_index++) {
            const jv *event = jat(events, j);
            /* A string holds raw text to parse; `{"padded": EVENT, "pad": N}` is the event on one
             * line followed by N spaces; any other object goes as written. */
            const char *text = event->kind == J_STRING ? event->string : event->raw;
            size_t len = event->kind == J_STRING ? event->string_len : event->raw_len;
            if (jget(event, "padded")) {
                size_t pad = (size_t)jint(jget(event, "pad"), 0), n;
                const char *line = compact(jget(event, "padded"), &n);
                char *padded = own(OWN_MEMORY, malloc(n + pad + 1));
                memcpy(padded, line, n);
                memset(padded + n, ' ', pad);
                padded[n + pad] = '\0';
                text = padded;
                len = n + pad;
            }
            sk_outcome outcome;
            char got[160];
            sk_result r = sk_profile_apply_json_with(p, listener, text, len, now, &outcome, E());
            if (r != SK_RESULT_OK) {
                snprintf(got, sizeof got, "error:%s", name(r));
                message();
            } else if (outcome.recorded) {
                snprintf(got, sizeof got, "recorded");
            } else {
                snprintf(got, sizeof got, "ignored:%.*s", (int)outcome.ignored.len,
                         outcome.ignored.ptr);
            }
            const char *want = jstr(jat(want_outcomes, outcome_index));
            if (want_outcomes && (!want || strcmp(got, want)))
                return fail("outcome %zu is %s, expected %s", outcome_index + 1, got,
                            want ? want : "no more");
        }
        if (!merged) {
            merged = p;
        } else {
            sk_result r = sk_profile_merge(merged, p, E());
            if (r != SK_RESULT_OK) {
                if (want_error && !strcmp(name(r), want_error)) return message(), true;
                return fail("merge failed: %s", message());
            }
        }
    }
    if (want_outcomes && outcome_index != want_outcomes->len)
        return fail("%zu outcomes, expected %zu", outcome_index, want_outcomes->len);
    if (want_error) return fail("expected error %s", want_error);
    if (jtrue(jget(c, "erase"))) sk_profile_erase(merged);
    return round_trips(merged) && check_facts(merged, expect, now);
}

/* ---- Rule cases ------------------------------------------------------------------------------ */

/* An engine whose catalog declares the schema `{"attributes", "context", "currency_decimals"}`
 * and no offers, with `models` (none when absent or null): rules compile against an engine's
 * catalog and read score paths with its models. */
static sk_engine *schema_engine(const jv *schema, const jv *models, int64_t now) {
    const jv *attributes = jget(schema, "attributes"), *context = jget(schema, "context");
    char catalog[8192];
    int n = snprintf(catalog, sizeof catalog,
                     "{\"version\": \"conformance\", \"currency_decimals\": %" PRId64
                     ", \"attributes\": %.*s, \"context\": %.*s, \"default\": {\"id\": "
                     "\"nothing\"}, \"offers\": []}",
                     jint(jget(schema, "currency_decimals"), 2),
                     attributes ? (int)attributes->raw_len : 2, attributes ? attributes->raw : "{}",
                     context ? (int)context->raw_len : 2, context ? context->raw : "{}");
    sk_engine *engine = NULL;
    if (n < 0 || (size_t)n >= sizeof catalog) {
        fail("schema too long");
        return NULL;
    }
    bool with_models = models && models->kind != J_NULL;
    if (sk_engine_new(catalog, (size_t)n, with_models ? models->raw : NULL,
                      with_models ? models->raw_len : 0, now, &engine, E()) != SK_RESULT_OK) {
        fail("the schema's catalog: %s", message());
        return NULL;
    }
    return own(OWN_ENGINE, engine);
}

static bool run_rule(const jv *c, const jv *fixture) {
#define GET(key) (jget(c, key) ? jget(c, key) : jget(fixture, key))
    int64_t now = jint(GET("now"), 0);
    sk_engine *engine = schema_engine(GET("schema"), GET("models"), now);
    const char *source = jstr(jget(c, "rule"));
    bool condition = jtrue(jget(c, "condition"));
    const jv *expect = jget(c, "expect"), *errors = jget(expect, "errors");
    if (!engine) return false;
    if (!source) return fail("rule must be a string");
    size_t source_len = jget(c, "rule")->string_len;
    if (errors) {
        sk_diagnostics *diagnostics = NULL;
        if (sk_rule_check(engine, source, source_len, condition, &diagnostics, E()) !=
            SK_RESULT_OK)
            return fail("check: %s", message());
        own(OWN_DIAGNOSTICS, diagnostics);
        size_t n = sk_diagnostics_len(diagnostics);
        bool ok = n == errors->len;
        for (size_t i = 0; ok && i < n; i++) {
            const jv *want = jat(errors, i);
            sk_diagnostic d;
            if (sk_diagnostics_get(diagnostics, i, &d, E()) != SK_RESULT_OK)
                return fail("diagnostic: %s", message());
            ok = want->len == 3 && jstr(jget(want, "code")) &&
                 !strcmp(d.code, jstr(jget(want, "code"))) &&
                 jint(jget(want, "line"), -1) == (int64_t)d.line &&
                 jint(jget(want, "column"), -1) == (int64_t)d.column;
        }
        if (!ok) {
            sk_diagnostic d = {0};
            if (n > 0) sk_diagnostics_get(diagnostics, 0, &d, NULL);
            return fail("%zu errors (the first %s at %u:%u), expected %.*s", n,
                        n ? d.code : "-", d.line, d.column, (int)errors->raw_len, errors->raw);
        }
        return true;
    }
    sk_rule *rule = NULL;
    if (sk_rule_compile(engine, source, source_len, condition, &rule, E()) != SK_RESULT_OK)
        return fail("does not compile: %s", message());
    own(OWN_RULE, rule);
    sk_profile *profile = profile_from(GET("profile"), "c1",
                                       !(jis(jget(GET("profile"), "known"), J_BOOL) &&
                                         !jget(GET("profile"), "known")->boolean),
                                       now);
    if (!profile) return false;
    /* The context: built for `context_schema` when given (another engine's catalog), from the
     * case's context on one line followed by `context_pad` spaces. */
    const jv *context_spec = GET("context"), *context_schema = jget(c, "context_schema");
    const char *want_error = jstr(jget(expect, "error"));
    sk_engine *context_engine =
        context_schema ? schema_engine(context_schema, NULL, now) : engine;
    if (!context_engine) return false;
    size_t pad = (size_t)jint(jget(c, "context_pad"), 0), context_len = 2;
    const char *context_text = context_spec ? compact(context_spec, &context_len) : "{}";
    char *padded = own(OWN_MEMORY, malloc(context_len + pad + 1));
    memcpy(padded, context_text, context_len);
    memset(padded + context_len, ' ', pad);
    padded[context_len + pad] = '\0';
    sk_context *context = NULL;
    sk_buffer *value = NULL;
    sk_result code = sk_context_from_json(context_engine, padded, context_len + pad, &context, E());
    if (code == SK_RESULT_OK) {
        own(OWN_CONTEXT, context);
        code = sk_rule_eval(rule, engine, profile, context, now, &value, E());
    }
    if (want_error) {
        if (code == SK_RESULT_OK) {
            own(OWN_BUFFER, value);
            return fail("evaluated, expected %s", want_error);
        }
        const char *why = message();
        if (strcmp(name(code), want_error)) return fail("expected %s: %s", want_error, why);
        if (!context) return true; /* the context itself was refused */
        bool matches = false;
        if (sk_rule_matches(rule, engine, profile, context, now, &matches, E()) == SK_RESULT_OK)
            return fail("matches did not fail like eval");
        message();
        return true;
    }
    if (code != SK_RESULT_OK) return fail("eval: %s", message());
    own(OWN_BUFFER, value);
    const jv *got = buffer_json(value), *want = jget(expect, "value");
    if (!got) return false;
    if (!want) return fail("expect needs value or errors");
    if (!close_to(got, want))
        return fail("value %.*s, expected %.*s", (int)got->raw_len, got->raw, (int)want->raw_len,
                    want->raw);
    /* A condition holds exactly when its value is true (missing does not hold); any other rule
     * never holds. */
    bool matches;
    if (sk_rule_matches(rule, engine, profile, context, now, &matches, E()) != SK_RESULT_OK)
        return fail("matches: %s", message());
    if (matches != (got->kind == J_BOOL && got->boolean))
        return fail("matches disagrees with the value");
    return true;
#undef GET
}

/* ---- Buckets, draws, learners and off-policy estimates --------------------------------------- */

static bool run_bucket(const jv *c) {
    const jv *b = jget(c, "bucket"), *expect = jget(c, "expect");
    const char *salt = jstr(jget(b, "salt")), *customer = jstr(jget(b, "customer"));
    double got;
    if (!salt || !customer) return fail("missing salt or customer");
    if (sk_control_bucket(salt, strlen(salt), customer, strlen(customer), &got, E()) !=
        SK_RESULT_OK)
        return fail("bucket: %s", message());
    uint64_t bits = juint(jget(expect, "bits"), UINT64_MAX);
    double want = jnum(jget(expect, "value"));
    if (bits == UINT64_MAX || isnan(want)) return fail("missing bits or value");
    if (!(got >= 0 && got < 1)) return fail("bucket %.17g is not in [0, 1)", got);
    if ((uint64_t)(got * 9007199254740992.0) != bits || !(fabs(got - want) <= 1e-15))
        return fail("bucket %.17g, expected %.17g (%" PRIu64 " / 2^53)", got, want, bits);
    return true;
}

static bool run_beta(const jv *c) {
    const jv *b = jget(c, "beta");
    const char *want_error = jstr(jget(jget(c, "expect"), "error"));
    double got = -1, want = jnum(jget(jget(c, "expect"), "value"));
    sk_result code = sk_sample_beta(juint(jget(b, "seed"), 0), jnum(jget(b, "a")),
                                    jnum(jget(b, "b")), &got, E());
    if (want_error) {
        if (code == SK_RESULT_OK) return fail("drew %.17g, expected %s", got, want_error);
        const char *why = message(); /* owns the error, so it is freed */
        if (got != -1) return fail("the draw was written on failure");
        if (strcmp(name(code), want_error)) return fail("beta: %s", why);
        return true;
    }
    if (code != SK_RESULT_OK) return fail("beta: %s", message());
    if (isnan(want)) return fail("missing value");
    if (!(fabs(got - want) <= 1e-12)) return fail("beta draw %.17g, expected %.17g", got, want);
    return true;
}

static sk_response response_of(const char *text) {
    if (text && !strcmp(text, "accepted")) return SK_RESPONSE_ACCEPTED;
    if (text && !strcmp(text, "dismissed")) return SK_RESPONSE_DISMISSED;
    if (text && !strcmp(text, "ignored")) return SK_RESPONSE_IGNORED;
    return UINT32_MAX; /* the library rejects it */
}

/* One learner from a half-life (and a recent one, when given) and `[[offer, segment, response,
 * at, bins?], ...]`; on a library error, its code and NULL. */
static sk_learner *learner_with(const jv *half_life, const jv *recent, const jv *updates,
                                sk_result *code) {
    sk_learner *learner = NULL;
    *code = recent ? sk_learner_new_with_recent(jint(half_life, 0), jint(recent, 0), &learner, E())
                   : sk_learner_new(jint(half_life, 0), &learner, E());
    if (*code != SK_RESULT_OK) return message(), NULL;
    own(OWN_LEARNER, learner);
    for (size_t i = 0; jat(updates, i); i++) {
        const jv *u = jat(updates, i), *bins = jat(u, 4);
        const char *offer = jstr(jat(u, 0)), *segment = jstr(jat(u, 1));
        if (bins) {
            sk_str texts[80];
            size_t n = 0;
            for (; jat(bins, n) && n < 80; n++) {
                const char *b = jstr(jat(bins, n));
                texts[n] = (sk_str){b ? b : "", b ? strlen(b) : 0};
            }
            *code = sk_learner_update_with(learner, offer ? offer : "", offer ? strlen(offer) : 0,
                                           segment ? segment : "", segment ? strlen(segment) : 0,
                                           texts, n, response_of(jstr(jat(u, 2))),
                                           jint(jat(u, 3), 0), E());
        } else {
            *code = sk_learner_update(learner, offer ? offer : "", offer ? strlen(offer) : 0,
                                      segment ? segment : "", segment ? strlen(segment) : 0,
                                      response_of(jstr(jat(u, 2))), jint(jat(u, 3), 0), E());
        }
        if (*code != SK_RESULT_OK) return message(), NULL;
    }
    return learner;
}

/* The learner of `{"half_life", "updates", "merge": [[updates]...], "merge_half_life"?}`, which
 * must survive its bytes; NULL with `code` set on a library error, NULL with `code` OK when the
 * case failed otherwise. */
static sk_learner *learner_from(const jv *spec, sk_result *code) {
    const jv *merges = jget(spec, "merge"), *other_half_life = jget(spec, "merge_half_life");
    const jv *recent = jget(spec, "recent_half_life");
    sk_learner *learner =
        learner_with(jget(spec, "half_life"), recent, jget(spec, "updates"), code);
    if (!learner) return NULL;
    for (size_t i = 0; jat(merges, i); i++) {
        sk_learner *other = learner_with(other_half_life ? other_half_life
                                                         : jget(spec, "half_life"),
                                         recent, jat(merges, i), code);
        if (!other) return NULL;
        if ((*code = sk_learner_merge(learner, other, E())) != SK_RESULT_OK)
            return message(), NULL;
    }
    sk_buffer *bytes = NULL, *again = NULL;
    sk_learner *decoded = NULL;
    *code = SK_RESULT_OK;
    if (sk_learner_to_bytes(learner, &bytes, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, bytes) ||
        sk_learner_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &decoded, E()) !=
            SK_RESULT_OK ||
        !own(OWN_LEARNER, decoded) ||
        sk_learner_to_bytes(decoded, &again, E()) != SK_RESULT_OK || !own(OWN_BUFFER, again)) {
        fail("learner bytes: %s", message());
        return NULL;
    }
    if (sk_buffer_len(again) != sk_buffer_len(bytes) ||
        memcmp(sk_buffer_data(again), sk_buffer_data(bytes), sk_buffer_len(bytes))) {
        fail("bytes round trip changed the learner");
        return NULL;
    }
    return learner;
}

static bool run_learner(const jv *c) {
    const jv *expect = jget(c, "expect"), *reads = jget(expect, "counts");
    const char *want_error = jstr(jget(expect, "error"));
    sk_result code;
    sk_learner *learner = learner_from(jget(c, "learner"), &code);
    if (!learner && code == SK_RESULT_OK) return false;
    if (!learner && want_error && !strcmp(name(code), want_error)) return true;
    if (!learner) return fail("learner: %s", name(code));
    if (want_error) return fail("built, expected %s", want_error);
    const jv *models = jget(expect, "model_counts");
    for (size_t i = 0; jat(models, i); i++) {
        const jv *read = jat(models, i);
        const char *offer = jstr(jat(read, 0)), *key = jstr(jat(read, 1));
        double got[4];
        if (!offer || !key) return fail("bad read %.*s", (int)read->raw_len, read->raw);
        if (sk_learner_model_counts(learner, offer, strlen(offer), key, strlen(key),
                                    jint(jat(read, 2), 0), got, E()) != SK_RESULT_OK)
            return fail("model counts: %s", message());
        for (size_t k = 0; k < 4; k++) {
            jv g = {J_NUMBER, "", 0, false, got[k], NULL, 0, NULL, NULL, 0};
            if (!close_to(&g, jat(read, 3 + k)))
                return fail("model counts of %.*s: got [%.17g, %.17g, %.17g, %.17g]",
                            (int)read->raw_len, read->raw, got[0], got[1], got[2], got[3]);
        }
    }
    if (!reads) return fail("missing counts");
    for (size_t i = 0; jat(reads, i); i++) {
        const jv *read = jat(reads, i);
        const char *offer = jstr(jat(read, 0)), *segment = jstr(jat(read, 1));
        double accepts, rejects;
        if (!offer || !segment) return fail("bad read %.*s", (int)read->raw_len, read->raw);
        if (sk_learner_counts(learner, offer, strlen(offer), segment, strlen(segment),
                              jint(jat(read, 2), 0), &accepts, &rejects, E()) != SK_RESULT_OK)
            return fail("counts: %s", message());
        jv got_accepts = {J_NUMBER, "", 0, false, accepts, NULL, 0, NULL, NULL, 0};
        jv got_rejects = {J_NUMBER, "", 0, false, rejects, NULL, 0, NULL, NULL, 0};
        if (!close_to(&got_accepts, jat(read, 3)) || !close_to(&got_rejects, jat(read, 4)))
            return fail("counts of %.*s: got [%.17g, %.17g]", (int)read->raw_len, read->raw,
                        accepts, rejects);
    }
    return true;
}

static bool run_ope(const jv *c) {
    const jv *spec = jget(c, "ope"), *logs = jget(spec, "logs"), *expect = jget(c, "expect");
    const char *want_error = jstr(jget(expect, "error"));
    if (!jis(logs, J_ARRAY)) return fail("missing logs");
    sk_logged *logged = calloc(logs->len + 1, sizeof *logged);
    for (size_t i = 0; i < logs->len; i++) {
        const jv *l = jat(logs, i);
        logged[i].logging = jnum(jat(l, 0));
        logged[i].target = jnum(jat(l, 1));
        logged[i].reward = jnum(jat(l, 2));
    }
    double z = jnum(jget(spec, "z"));
    bool ok = true;
    for (int which = 0; ok && which < 2; which++) {
        const char *estimator = which ? "snipw" : "ipw";
        const jv *want = jget(expect, estimator);
        sk_estimate e;
        sk_result r = (which ? sk_ope_snipw : sk_ope_ipw)(logged, logs->len, z, &e, E());
        if (r != SK_RESULT_OK) message();
        if (r != SK_RESULT_OK && want_error && !strcmp(name(r), want_error)) continue;
        if (r != SK_RESULT_OK && !want && !want_error && which == 1) continue;
        if (r != SK_RESULT_OK || !want || want_error) {
            ok = fail("%s: got %s, expected %s", estimator, name(r),
                      want_error ? want_error : want ? "an estimate" : "nothing");
            break;
        }
        const char *keys[] = {"value", "std_error", "low", "high", "effective_sample_size"};
        double values[] = {e.value, e.std_error, e.low, e.high, e.effective_sample_size};
        for (size_t i = 0; ok && jis(want, J_OBJECT) && i < want->len; i++) {
            size_t k = 0;
            while (k < 5 && strcmp(keys[k], want->keys[i])) k++;
            if (k == 5) {
                ok = fail("%s: unknown key %s", estimator, want->keys[i]);
                break;
            }
            jv got = {J_NUMBER, "", 0, false, values[k], NULL, 0, NULL, NULL, 0};
            if (!close_to(&got, &want->items[i]))
                ok = fail("%s %s: got %.17g, expected %.*s", estimator, keys[k], values[k],
                          (int)want->items[i].raw_len, want->items[i].raw);
        }
    }
    free(logged);
    return ok;
}

/* ---- Decision cases -------------------------------------------------------------------------- */

/* Each expected problem (`{"place", "code", "line", "column", "message"}`, any subset) matches
 * the diagnostic at its position, and there are as many. */
static bool problems_match(sk_diagnostics *d, sk_severity severity, const jv *want) {
    sk_diagnostic items[64];
    size_t n = 0;
    if (!want) return true;
    for (size_t i = 0; i < sk_diagnostics_len(d) && n < 64; i++) {
        sk_diagnostics_get(d, i, &items[n], NULL);
        if (items[n].severity == severity) n++;
    }
    if (n != want->len)
        return fail("%zu problems (the first: %s), expected %.*s", n, n ? items[0].rendered : "-",
                    (int)want->raw_len, want->raw);
    for (size_t i = 0; i < n; i++) {
        const jv *w = jat(want, i);
        for (size_t k = 0; w && k < w->len; k++) {
            const char *key = w->keys[k];
            const jv *value = &w->items[k];
            const char *text = !strcmp(key, "place") ? items[i].place
                             : !strcmp(key, "code") ? items[i].code
                             : !strcmp(key, "message") ? items[i].message : NULL;
            bool ok;
            if (text) {
                ok = jstr(value) && !strcmp(text, jstr(value));
            } else if (!strcmp(key, "line") || !strcmp(key, "column")) {
                uint32_t at = key[0] == 'l' ? items[i].line : items[i].column;
                ok = at == 0 ? jis(value, J_NULL) : jint(value, -1) == (int64_t)at;
            } else {
                return fail("unknown problem key %s", key);
            }
            if (!ok)
                return fail("problem %s: %s is not %.*s", items[i].rendered, key,
                            (int)value->raw_len, value->raw);
        }
    }
    return true;
}

static sk_channel channel_of(const char *text) {
    const char *names[] = {"web", "mobile", "store", "contact_centre", "email", "kiosk"};
    const sk_channel channels[] = {SK_CHANNEL_WEB,  SK_CHANNEL_MOBILE,
                                   SK_CHANNEL_STORE, SK_CHANNEL_CONTACT_CENTRE,
                                   SK_CHANNEL_EMAIL, SK_CHANNEL_KIOSK};
    for (size_t i = 0; text && i < 6; i++)
        if (!strcmp(text, names[i])) return channels[i];
    return UINT32_MAX; /* the library rejects it */
}

static bool same_picks(const sk_decision *a, const sk_decision *b) {
    if (a->picks_len != b->picks_len) return false;
    for (size_t i = 0; i < a->picks_len; i++) {
        const sk_pick *x = &a->picks[i], *y = &b->picks[i];
        if (x->offer.len != y->offer.len || memcmp(x->offer.ptr, y->offer.ptr, x->offer.len) ||
            !(x->score == y->score || (isnan(x->score) && isnan(y->score))))
            return false;
    }
    return true;
}

/* A receipt's dropped entry for `offer`, or NULL. */
static const jv *dropped(const jv *receipt, const char *offer) {
    const jv *all = jget(receipt, "dropped");
    for (size_t i = 0; jat(all, i); i++) {
        const char *id = jstr(jget(jat(all, i), "offer"));
        if (id && !strcmp(id, offer)) return jat(all, i);
    }
    return NULL;
}

static bool check_decision(const sk_decision *fast, const sk_decision *explained,
                           const jv *receipt, const jv *expect) {
    const jv *want;
    if (!same_picks(fast, explained)) return fail("the picks differ with the receipt");
    if (fast->fallback != explained->fallback || fast->control_group != explained->control_group)
        return fail("fallback or control group differ with the receipt");
    if ((want = jget(expect, "picks"))) {
        bool ok = want->len == fast->picks_len;
        for (size_t i = 0; ok && i < want->len; i++) {
            const jv *id = jat(want, i);
            ok = jis(id, J_STRING) && id->string_len == fast->picks[i].offer.len &&
                 !memcmp(id->string, fast->picks[i].offer.ptr, id->string_len);
        }
        if (!ok)
            return fail("picks %.*s... (%zu), expected %.*s",
                        fast->picks_len ? (int)fast->picks[0].offer.len : 0,
                        fast->picks_len ? fast->picks[0].offer.ptr : "", fast->picks_len,
                        (int)want->raw_len, want->raw);
    }
    if ((want = jget(expect, "scores"))) {
        bool ok = want->len == fast->picks_len;
        for (size_t i = 0; ok && i < want->len; i++) {
            double score = fast->picks[i].score;
            jv got = {isnan(score) ? J_NULL : J_NUMBER, "", 0, false, score, NULL, 0, NULL, NULL, 0};
            ok = close_to(&got, jat(want, i));
        }
        if (!ok)
            return fail("scores %.17g... (%zu), expected %.*s",
                        fast->picks_len ? fast->picks[0].score : NAN, fast->picks_len,
                        (int)want->raw_len, want->raw);
    }
    const char *keys[] = {"fallback", "control_group", "suppressed", "segment"};
    for (size_t k = 0; k < 4; k++) {
        const jv *got = jget(receipt, keys[k]);
        if ((want = jget(expect, keys[k])) && !same(got, want))
            return fail("%s is %.*s, expected %.*s", keys[k], got ? (int)got->raw_len : 4,
                        got ? got->raw : "null", (int)want->raw_len, want->raw);
    }
    if ((want = jget(expect, "picks_detail"))) {
        for (size_t i = 0; jat(want, i); i++) {
            const jv *w = jat(want, i), *pick = jat(jget(receipt, "picks"), i);
            for (size_t k = 0; k < w->len; k++) {
                const jv *got = jget(pick, w->keys[k]);
                if (!subset(got, &w->items[k]))
                    return fail("pick %zu: %s is %.*s, expected %.*s", i + 1, w->keys[k],
                                got ? (int)got->raw_len : 4, got ? got->raw : "null",
                                (int)w->items[k].raw_len, w->items[k].raw);
            }
        }
    }
    const char *fields[] = {"dropped", "reasons"};
    for (size_t f = 0; f < 2; f++) {
        if (!(want = jget(expect, fields[f]))) continue;
        for (size_t i = 0; i < want->len; i++) {
            const jv *entry = dropped(receipt, want->keys[i]);
            const jv *got = jget(entry, f == 0 ? "stage" : "reason");
            if (!got || !same(got, &want->items[i]))
                return fail("%s: %s %.*s, expected %.*s", want->keys[i], f ? "reason" : "stage",
                            got ? (int)got->raw_len : 4, got ? got->raw : "none",
                            (int)want->items[i].raw_len, want->items[i].raw);
        }
    }
    return true;
}

/* ---- Live cohorts --------------------------------------------------------------------------- */

/* The counts of `{"since"?, "nodes": [[profile, ...], ...]}` for `engine`: each profile's events applied
 * at `now` between `sk_cohorts_mark` and `sk_cohorts_record`, the nodes merged into the first;
 * they must survive their bytes and, when `want` is given, have that JSON. */
static sk_cohorts *cohorts_from(const sk_engine *engine, const jv *spec, int64_t now,
                                const jv *want) {
    const jv *nodes = jget(spec, "nodes");
    sk_cohorts *first = NULL;
    for (size_t n = 0; jat(nodes, n); n++) {
        sk_cohorts *counts = NULL;
        if (sk_engine_new_cohorts(engine, jint(jget(spec, "since"), 0), &counts, E()) !=
            SK_RESULT_OK)
            return fail("cohorts: %s", message()), NULL;
        own(OWN_COHORTS, counts);
        for (size_t i = 0; jat(jat(nodes, n), i); i++) {
            const jv *p = jat(jat(nodes, n), i);
            const char *id = jstr(jget(p, "id")) ? jstr(jget(p, "id")) : "customer";
            sk_profile *profile = NULL;
            if (sk_profile_new(id, strlen(id), jtrue(jget(p, "known")), &profile, E()) !=
                SK_RESULT_OK)
                return fail("profile: %s", message()), NULL;
            own(OWN_PROFILE, profile);
            for (size_t k = 0; jat(jget(p, "events"), k); k++) {
                const jv *event = jat(jget(p, "events"), k);
                sk_mark before;
                if (sk_profile_mark(profile, &before, E()) != SK_RESULT_OK)
                    return fail("mark: %s", message()), NULL;
                /* A rejected event changes nothing, and counts nothing. */
                sk_profile_apply_json(profile, event->raw, event->raw_len, now, NULL, NULL);
                if (sk_cohorts_record(counts, before, profile, E()) != SK_RESULT_OK)
                    return fail("record: %s", message()), NULL;
            }
        }
        if (!first) first = counts;
        else if (sk_cohorts_merge(first, counts, E()) != SK_RESULT_OK)
            return fail("merge: %s", message()), NULL;
    }
    if (!first) return fail("cohorts without nodes"), NULL;
    sk_buffer *bytes = NULL, *json = NULL, *again_json = NULL;
    sk_cohorts *again = NULL;
    if (sk_cohorts_to_bytes(first, &bytes, E()) != SK_RESULT_OK || !own(OWN_BUFFER, bytes) ||
        sk_cohorts_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &again, E()) !=
            SK_RESULT_OK ||
        !own(OWN_COHORTS, again) || sk_cohorts_to_json(first, &json, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, json) || sk_cohorts_to_json(again, &again_json, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, again_json))
        return fail("cohort bytes: %s", message()), NULL;
    const jv *got = buffer_json(json), *got_again = buffer_json(again_json);
    if (!got || !got_again || !same(got, got_again))
        return fail("the bytes round trip changed the counts"), NULL;
    if (want && !same(got, want))
        return fail("cohorts %.*s, expected %.*s", (int)got->raw_len, got->raw,
                    (int)want->raw_len, want->raw), NULL;
    /* One source read directly agrees with the JSON. */
    const jv *sources = jget(got, "sources");
    if (sources && sources->len > 0) {
        sk_source_counts one;
        const char *source = sources->keys[0];
        if (sk_cohorts_source(first, source, strlen(source), &one, E()) != SK_RESULT_OK)
            return fail("source: %s", message()), NULL;
        if ((double)one.visitors != jnum(jget(&sources->items[0], "visitors")) ||
            (double)one.revenue != jnum(jget(&sources->items[0], "revenue")))
            return fail("sk_cohorts_source disagrees with the JSON for %s", source), NULL;
    }
    return first;
}

/* One kind of live statistics' bytes: decoded into a handle the case owns, and written as JSON. */
typedef struct {
    const char *what; /* the case's key: `<what>_hex` and `expect.<what>` */
    own_kind kind;
    sk_result (*decode)(const uint8_t *data, size_t len, void **out);
    sk_result (*to_json)(const void *handle, sk_buffer **out);
} bytes_kind;

static sk_result cohorts_decode(const uint8_t *d, size_t n, void **out) {
    return sk_cohorts_from_bytes(d, n, (sk_cohorts **)out, E());
}
static sk_result cohorts_json(const void *h, sk_buffer **out) {
    return sk_cohorts_to_json(h, out, E());
}
static sk_result kpis_decode(const uint8_t *d, size_t n, void **out) {
    return sk_kpis_from_bytes(d, n, (sk_kpis **)out, E());
}
static sk_result kpis_json(const void *h, sk_buffer **out) { return sk_kpis_to_json(h, out, E()); }
static sk_result budgets_decode(const uint8_t *d, size_t n, void **out) {
    return sk_budgets_from_bytes(d, n, (sk_budgets **)out, E());
}
static sk_result budgets_json(const void *h, sk_buffer **out) {
    return sk_budgets_to_json(h, out, E());
}
static const bytes_kind COHORT_BYTES = {"cohorts", OWN_COHORTS, cohorts_decode, cohorts_json};
static const bytes_kind KPI_BYTES = {"kpis", OWN_KPIS, kpis_decode, kpis_json};
static const bytes_kind BUDGET_BYTES = {"budgets", OWN_BUDGETS, budgets_decode, budgets_json};

/* `{"<what>_hex": ..., "expect": {"<what>": JSON} | {"error": code}}`: the bytes decode to a value
 * whose JSON holds every field expected, or fail with the code and write nothing. */
static bool run_bytes(const jv *c, const bytes_kind *k) {
    const jv *expect = jget(c, "expect");
    const char *want_error = jstr(jget(expect, "error"));
    char key[32];
    snprintf(key, sizeof key, "%s_hex", k->what);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!decode_hex(jstr(jget(c, key)), &bytes, &len)) return false;
    own(OWN_MEMORY, bytes);
    void *handle = (void *)1; /* must stay untouched on failure */
    sk_result r = k->decode(bytes, len, &handle);
    if (want_error) {
        if (r == SK_RESULT_OK) return own(k->kind, handle), fail("decoded, expected %s", want_error);
        const char *why = message();
        if (strcmp(name(r), want_error)) return fail("decode: %s", why);
        return handle == (void *)1 ? true : fail("the output was written on failure");
    }
    if (r != SK_RESULT_OK) return fail("decode: %s", message());
    own(k->kind, handle);
    sk_buffer *json = NULL;
    if (k->to_json(handle, &json) != SK_RESULT_OK) return fail("json: %s", message());
    own(OWN_BUFFER, json);
    const jv *got = buffer_json(json), *want = jget(expect, k->what);
    if (!got || !subset(got, want))
        return fail("decoded %.*s, expected %.*s", got ? (int)got->raw_len : 0,
                    got ? got->raw : "", want ? (int)want->raw_len : 0, want ? want->raw : "");
    return true;
}

/* Publications to a fleet, each replacing its node's slot or not (or refused with its code), then
 * the global view's bytes. */
static bool run_fleet(const jv *c) {
    sk_fleet *fleet = NULL;
    if (sk_fleet_new(&fleet, E()) != SK_RESULT_OK) return fail("fleet: %s", message());
    own(OWN_FLEET, fleet);
    const jv *steps = jget(c, "fleet");
    for (size_t i = 0; i < steps->len; i++) {
        const jv *step = &steps->items[i];
        const char *node = jstr(jget(step, "node")), *want_error = jstr(jget(step, "error"));
        uint64_t sequence = strtoull(jstr(jget(step, "sequence")), NULL, 10);
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (!decode_hex(jstr(jget(step, "bytes_hex")), &bytes, &len)) return false;
        own(OWN_MEMORY, bytes);
        bool replaced = false;
        sk_result r = sk_fleet_publish(fleet, node, strlen(node), sequence, bytes, len, &replaced, E());
        if (want_error) {
            if (r == SK_RESULT_OK) return fail("publication %zu: published, expected %s", i, want_error);
            const char *why = message();
            if (strcmp(name(r), want_error)) return fail("publication %zu: %s", i, why);
        } else if (r != SK_RESULT_OK) {
            return fail("publication %zu: %s", i, message());
        } else if (replaced != jtrue(jget(step, "replaced"))) {
            return fail("publication %zu: replaced is %d", i, replaced);
        }
    }
    sk_buffer *global = NULL;
    if (sk_fleet_global(fleet, &global, E()) != SK_RESULT_OK) return fail("global: %s", message());
    const char *want = jstr(jget(jget(c, "expect"), "global_hex"));
    if (!global) return want ? fail("no global view, expected %s", want) : true;
    own(OWN_BUFFER, global);
    size_t n = sk_buffer_len(global);
    const uint8_t *data = sk_buffer_data(global);
    char *hex = malloc(2 * n + 1);
    own(OWN_MEMORY, hex);
    for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", data[i]);
    hex[2 * n] = '\0';
    if (!want || strcmp(hex, want)) return fail("global %s, expected %s", hex, want ? want : "none");
    return true;
}

/* The budget counters of `{"nodes": [[event, ...], ...]}`: each node's events recorded against
 * the engine's catalog, the nodes merged into the first; they must survive their bytes and equal
 * `want` (their JSON). */
static sk_budgets *budgets_from(const sk_engine *engine, const jv *spec, const jv *want) {
    const jv *nodes = jget(spec, "nodes");
    sk_budgets *first = NULL;
    for (size_t n = 0; jat(nodes, n); n++) {
        sk_budgets *mine = NULL;
        if (sk_budgets_new(&mine, E()) != SK_RESULT_OK) return fail("budgets: %s", message()), NULL;
        own(OWN_BUDGETS, mine);
        for (size_t i = 0; jat(jat(nodes, n), i); i++) {
            const jv *event = jat(jat(nodes, n), i);
            bool counted;
            if (sk_budgets_record(mine, engine, event->raw, event->raw_len, &counted, E()) !=
                SK_RESULT_OK)
                return fail("record: %s", message()), NULL;
        }
        if (!first) first = mine;
        else if (sk_budgets_merge(first, mine, E()) != SK_RESULT_OK)
            return fail("merge: %s", message()), NULL;
    }
    if (!first) return fail("budgets without nodes"), NULL;
    sk_buffer *bytes = NULL, *json = NULL, *again_json = NULL;
    sk_budgets *again = NULL;
    if (sk_budgets_to_bytes(first, &bytes, E()) != SK_RESULT_OK || !own(OWN_BUFFER, bytes) ||
        sk_budgets_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &again, E()) !=
            SK_RESULT_OK ||
        !own(OWN_BUDGETS, again) || sk_budgets_to_json(first, &json, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, json) || sk_budgets_to_json(again, &again_json, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, again_json))
        return fail("budget bytes: %s", message()), NULL;
    const jv *got = buffer_json(json), *got_again = buffer_json(again_json);
    if (!got || !got_again || !same(got, got_again))
        return fail("the bytes round trip changed the counters"), NULL;
    if (want && !same(got, want))
        return fail("budgets %.*s, expected %.*s", (int)got->raw_len, got->raw,
                    (int)want->raw_len, want->raw), NULL;
    /* What an offer spent, read directly, agrees with the JSON. */
    const jv *offers = jget(got, "offers");
    for (size_t i = 0; offers && i < offers->len; i++) {
        uint64_t spent = 0;
        bool has_budget = false;
        const char *id = offers->keys[i];
        const jv *spend = &offers->items[i];
        int64_t at = (int64_t)jnum(jget(spend, "start"));
        if (sk_budgets_spent(first, engine, id, strlen(id), at, &spent, &has_budget, E()) !=
            SK_RESULT_OK)
            return fail("spent: %s", message()), NULL;
        double shows = jnum(jget(spend, "shows")), accepts = jnum(jget(spend, "accepts"));
        if (!has_budget || ((double)spent != shows && (double)spent != accepts))
            return fail("sk_budgets_spent disagrees with the JSON for %s", id), NULL;
    }
    return first;
}

/* `{"catalog", "kpis": {"since", "nodes", "decisions"?}, "expect": {"kpis": JSON}}`: each node's
 * KPIs, the arm from the catalog's control group (`sk_engine_in_control_group`); one more KPIs
 * that record each decision (`sk_kpis_record_decision`) and its offer events
 * (`sk_kpis_record_offer`); all merged into the first; their bytes read back; their JSON holds
 * `expect.kpis`. */
static bool run_kpis(const jv *c, int64_t now) {
    size_t catalog_len;
    const char *catalog = compact(jget(c, "catalog"), &catalog_len);
    sk_engine *engine = NULL;
    if (sk_engine_new(catalog, catalog_len, NULL, 0, now, &engine, E()) != SK_RESULT_OK)
        return fail("engine: %s", message());
    own(OWN_ENGINE, engine);
    const jv *spec = jget(c, "kpis"), *nodes = jget(spec, "nodes");
    sk_kpis *first = NULL;
    for (size_t n = 0; jat(nodes, n); n++) {
        sk_kpis *kpis = NULL;
        if (sk_kpis_new(jint(jget(spec, "since"), 0), &kpis, E()) != SK_RESULT_OK)
            return fail("kpis: %s", message());
        own(OWN_KPIS, kpis);
        for (size_t i = 0; jat(jat(nodes, n), i); i++) {
            const jv *p = jat(jat(nodes, n), i);
            const char *id = jstr(jget(p, "id")) ? jstr(jget(p, "id")) : "customer";
            sk_profile *profile = NULL;
            if (sk_profile_new(id, strlen(id), jtrue(jget(p, "known")), &profile, E()) !=
                SK_RESULT_OK)
                return fail("profile: %s", message());
            own(OWN_PROFILE, profile);
            bool control = false;
            if (sk_engine_in_control_group(engine, profile, &control, E()) != SK_RESULT_OK)
                return fail("control group: %s", message());
            for (size_t k = 0; jat(jget(p, "events"), k); k++) {
                const jv *event = jat(jget(p, "events"), k);
                sk_mark before;
                if (sk_profile_mark(profile, &before, E()) != SK_RESULT_OK)
                    return fail("mark: %s", message());
                /* A rejected event changes nothing, and counts nothing. */
                sk_profile_apply_json(profile, event->raw, event->raw_len, now, NULL, NULL);
                if (sk_kpis_record(kpis, before, profile, control, E()) != SK_RESULT_OK)
                    return fail("record: %s", message());
            }
        }
        if (!first) first = kpis;
        else if (sk_kpis_merge(first, kpis, E()) != SK_RESULT_OK)
            return fail("merge: %s", message());
    }
    sk_kpis *decided = NULL;
    if (sk_kpis_new(jint(jget(spec, "since"), 0), &decided, E()) != SK_RESULT_OK)
        return fail("kpis: %s", message());
    own(OWN_KPIS, decided);
    const jv *decisions = jget(spec, "decisions");
    for (size_t i = 0; jat(decisions, i); i++) {
        size_t record_len;
        const char *record = compact(jget(jat(decisions, i), "record"), &record_len);
        if (sk_kpis_record_decision(decided, record, record_len, E()) != SK_RESULT_OK)
            return fail("record a decision: %s", message());
        const jv *events = jget(jat(decisions, i), "events");
        for (size_t k = 0; jat(events, k); k++) {
            bool counted;
            if (sk_kpis_record_offer(decided, record, record_len, jat(events, k)->raw,
                                     jat(events, k)->raw_len, &counted, E()) != SK_RESULT_OK)
                return fail("record an offer event: %s", message());
        }
    }
    if (!first) first = decided;
    else if (sk_kpis_merge(first, decided, E()) != SK_RESULT_OK)
        return fail("merge: %s", message());
    sk_buffer *bytes = NULL, *json = NULL, *again_json = NULL;
    sk_kpis *again = NULL;
    if (sk_kpis_to_bytes(first, &bytes, E()) != SK_RESULT_OK || !own(OWN_BUFFER, bytes) ||
        sk_kpis_from_bytes(sk_buffer_data(bytes), sk_buffer_len(bytes), &again, E()) !=
            SK_RESULT_OK ||
        !own(OWN_KPIS, again) || sk_kpis_to_json(first, &json, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, json) || sk_kpis_to_json(again, &again_json, E()) != SK_RESULT_OK ||
        !own(OWN_BUFFER, again_json))
        return fail("kpi bytes: %s", message());
    const jv *got = buffer_json(json), *got_again = buffer_json(again_json);
    if (!got || !got_again || !same(got, got_again)) return fail("the bytes round trip changed the KPIs");
    const jv *want = jget(jget(c, "expect"), "kpis");
    if (!subset(got, want))
        return fail("kpis %.*s, expected %.*s", (int)got->raw_len, got->raw, (int)want->raw_len,
                    want->raw);
    return true;
}

static bool run_decision(const jv *c, const jv *file) {
#define GET(key) (jget(c, key) ? jget(c, key) : jget(file, key))
    const jv *expect = jget(c, "expect"), *catalog = GET("catalog"), *models = GET("models");
    const jv *request_spec = jget(c, "request");
    const char *engine_error = jstr(jget(expect, "engine_error"));
    const char *want_error = jstr(jget(expect, "error"));
    int64_t now = jint(GET("now"), 0);
    if (!catalog) return fail("missing catalog");
    /* The catalog on one line, then `catalog_pad` spaces (to test its size bound). */
    size_t catalog_len, pad = (size_t)jint(jget(c, "catalog_pad"), 0);
    const char *line = compact(catalog, &catalog_len);
    char *catalog_json = own(OWN_MEMORY, malloc(catalog_len + pad + 1));
    memcpy(catalog_json, line, catalog_len);
    memset(catalog_json + catalog_len, ' ', pad);
    catalog_len += pad;
    catalog_json[catalog_len] = '\0';
    sk_diagnostics *diagnostics = NULL;
    if (sk_catalog_check(catalog_json, catalog_len, now, &diagnostics, E()) != SK_RESULT_OK)
        return fail("check: %s", message());
    own(OWN_DIAGNOSTICS, diagnostics);
    bool has_errors = false;
    for (size_t i = 0; i < sk_diagnostics_len(diagnostics); i++) {
        sk_diagnostic d;
        sk_diagnostics_get(diagnostics, i, &d, NULL);
        has_errors |= d.severity == SK_SEVERITY_ERROR;
    }
    if (has_errors) {
        if (jget(expect, "catalog_errors"))
            return problems_match(diagnostics, SK_SEVERITY_ERROR, jget(expect, "catalog_errors"));
        sk_diagnostic first;
        sk_diagnostics_get(diagnostics, 0, &first, NULL);
        return fail("the catalog did not compile: %s", first.rendered);
    }
    if (jget(expect, "catalog_errors")) return fail("compiled, expected errors");
    if (!problems_match(diagnostics, SK_SEVERITY_WARNING, jget(expect, "warnings"))) return false;

    sk_engine *engine = NULL;
    sk_result r = sk_engine_new(catalog_json, catalog_len, models ? models->raw : NULL,
                                models ? models->raw_len : 0, now, &engine, E());
    own(OWN_ENGINE, engine);
    if (r != SK_RESULT_OK && engine_error && !strcmp(name(r), engine_error)) return message(), true;
    if (r != SK_RESULT_OK) return fail("engine: %s", message());
    if (engine_error) return fail("engine built, expected %s", engine_error);
    if (!request_spec) return true;

    const jv *profile_spec = jget(c, "profile"), *context_spec = jget(c, "context");
    const jv *context_catalog = jget(c, "context_catalog");
    sk_profile *profile = profile_from(profile_spec, "customer",
                                       jtrue(jget(profile_spec, "known")), now);
    if (!profile) return false;
    /* The context: built for `context_catalog`'s schema when given (another engine's). */
    sk_engine *context_engine = engine;
    if (context_catalog) {
        size_t n;
        const char *text = compact(context_catalog, &n);
        if (sk_engine_new(text, n, NULL, 0, now, &context_engine, E()) != SK_RESULT_OK)
            return fail("context_catalog: %s", message());
        own(OWN_ENGINE, context_engine);
    }
    size_t context_len = 2;
    const char *context_text = context_spec ? compact(context_spec, &context_len) : "{}";
    sk_context *context = NULL;
    if (sk_context_from_json(context_engine, context_text, context_len, &context, E()) !=
        SK_RESULT_OK)
        return fail("context: %s", message());
    own(OWN_CONTEXT, context);
    sk_request request = {
        .channel = channel_of(jstr(jget(request_spec, "channel"))),
        .slots = (uint32_t)jint(jget(request_spec, "slots"), 1),
        .now = jint(jget(request_spec, "now"), now),
        .seed = juint(jget(request_spec, "seed"), 0),
        .log = false,
    };
    sk_learner *learner = NULL;
    if (jget(c, "learner")) {
        sk_result code;
        if (!(learner = learner_from(jget(c, "learner"), &code)))
            return code == SK_RESULT_OK ? false : fail("learner: %s", name(code));
    }
    sk_cohorts *cohorts = NULL;
    if (jget(c, "cohorts") &&
        !(cohorts = cohorts_from(engine, jget(c, "cohorts"), now, jget(expect, "cohorts"))))
        return false;
    sk_budgets *budgets = NULL;
    if (jget(c, "budgets") &&
        !(budgets = budgets_from(engine, jget(c, "budgets"), jget(expect, "budgets"))))
        return false;
    sk_live live = {.learner = learner, .cohorts = cohorts, .budgets = budgets};
    bool is_live = cohorts || budgets;
    /* The request's JSON form for sk_engine_decide_json: the vector's request with the log asked
     * for, `now` (the case's unless given) and the context. */
    size_t spec_len;
    const char *spec = compact(request_spec, &spec_len);
    size_t json_cap = spec_len + context_len + 64;
    char *request_json = own(OWN_MEMORY, malloc(json_cap));
    int json_len = snprintf(request_json, json_cap, "%.*s%s\"log\":true,\"now\":%" PRId64
                            ",\"context\":%.*s}", (int)spec_len - 1, spec,
                            spec_len > 2 ? "," : "", request.now, (int)context_len, context_text);
    if (jget(request_spec, "now")) /* the vector's own `now` comes first and wins: drop ours */
        json_len = snprintf(request_json, json_cap, "%.*s%s\"log\":true,\"context\":%.*s}",
                            (int)spec_len - 1, spec, spec_len > 2 ? "," : "", (int)context_len,
                            context_text);
    if (json_len < 0 || (size_t)json_len >= json_cap) return fail("request too long");
    sk_decision fast, logged, explained;
    sk_buffer *receipt_json = NULL, *decision_json = NULL;
    /* Without counts the plain entry point, with them the live one. */
    r = is_live ? sk_engine_decide_live(engine, profile, context, &request, &live, &fast, NULL, E())
                : sk_engine_decide(engine, profile, context, &request, learner, &fast, NULL, E());
    sk_result by_json =
        is_live ? sk_engine_decide_json_live(engine, profile, request_json, (size_t)json_len,
                                             &live, &decision_json, NULL)
                : sk_engine_decide_json(engine, profile, request_json, (size_t)json_len, learner,
                                        &decision_json, NULL);
    if (by_json == SK_RESULT_OK) own(OWN_BUFFER, decision_json);
    if (want_error) {
        if (r == SK_RESULT_OK) return fail("decided, expected error %s", want_error);
        const char *why = message();
        if (strcmp(name(r), want_error)) return fail("decide: %s", why);
        if (by_json == SK_RESULT_OK || strcmp(name(by_json), want_error))
            return fail("decided from JSON: %s, expected %s", name(by_json), want_error);
        return true;
    }
    if (r != SK_RESULT_OK) return fail("decide: %s", message());
    if (by_json != SK_RESULT_OK) return fail("decide from JSON: %s", name(by_json));
    sk_request with_log = request;
    with_log.log = true;
    if (sk_engine_decide_live(engine, profile, context, &with_log, &live, &logged, NULL, E()) !=
        SK_RESULT_OK)
        return fail("decide with the log: %s", message());
    if (sk_engine_decide_live(engine, profile, context, &request, &live, &explained,
                              &receipt_json, E()) != SK_RESULT_OK)
        return fail("decide with the receipt: %s", message());
    own(OWN_BUFFER, receipt_json);
    const jv *receipt = buffer_json(receipt_json), *decision = buffer_json(decision_json);
    if (!receipt || !decision) return false;
    if (!same_picks(&fast, &logged)) return fail("the picks differ with the log");
    const jv *receipt_picks = jget(receipt, "picks"), *json_picks = jget(decision, "picks");
    for (size_t i = 0; i < fast.picks_len; i++) {
        /* Probabilities: none without the log; the receipt's, in the struct and in the JSON. */
        double p = logged.picks[i].probability;
        const jv *want = jget(jat(receipt_picks, i), "probability");
        jv got = {J_NUMBER, "", 0, false, p, NULL, 0, NULL, NULL, 0};
        if (!isnan(fast.picks[i].probability) || isnan(explained.picks[i].probability) ||
            !close_to(&got, want) || !close_to(jget(jat(json_picks, i), "probability"), want))
            return fail("pick %zu: probability %.17g, the receipt's %.*s", i + 1, p,
                        want ? (int)want->raw_len : 4, want ? want->raw : "none");
    }
    const jv *want;
    if ((want = jget(expect, "decision")) && !subset(decision, want))
        return fail("decision JSON %.*s, expected %.*s", (int)decision->raw_len, decision->raw,
                    (int)want->raw_len, want->raw);
    const jv *log = jget(decision, "log");
    if (!log) return fail("the decision JSON has no log");
    if ((want = jget(expect, "log")) && !subset(log, want))
        return fail("log %.*s, expected %.*s", (int)log->raw_len, log->raw, (int)want->raw_len,
                    want->raw);
    return check_decision(&fast, &explained, receipt, expect);
#undef GET
}

/* ---- Decision logs ---------------------------------------------------------------------------- */

/* A decision-log line (`log_entry` on one line, then `log_pad` spaces) evaluated for the case's
 * catalog: `expect.logged` ([[logging, target, reward], ...]) or `expect.error`. */
static bool run_log_entry(const jv *c) {
    const jv *expect = jget(c, "expect");
    const char *want_error = jstr(jget(expect, "error"));
    size_t catalog_len, line_len, pad = (size_t)jint(jget(c, "log_pad"), 0);
    const char *catalog = compact(jget(c, "catalog"), &catalog_len);
    const char *line = compact(jget(c, "log_entry"), &line_len);
    char *padded = own(OWN_MEMORY, malloc(line_len + pad + 1));
    memcpy(padded, line, line_len);
    memset(padded + line_len, ' ', pad);
    padded[line_len + pad] = '\0';
    sk_engine *engine = NULL;
    if (sk_engine_new(catalog, catalog_len, NULL, 0, jint(jget(c, "now"), 0), &engine, E()) !=
        SK_RESULT_OK)
        return fail("engine: %s", message());
    own(OWN_ENGINE, engine);
    sk_logged logged[SK_MAX_SLOTS];
    size_t n = 99;
    sk_result r = sk_engine_evaluate_log(engine, padded, line_len + pad, NULL, logged, &n, E());
    if (want_error) {
        if (r == SK_RESULT_OK) return fail("evaluated, expected %s", want_error);
        const char *why = message();
        if (strcmp(name(r), want_error)) return fail("evaluate: %s", why);
        return n == 99 ? true : fail("the count was written on failure");
    }
    if (r != SK_RESULT_OK) return fail("evaluate: %s", message());
    const jv *want = jget(expect, "logged");
    if (!want || n != want->len) return fail("%zu logged picks", n);
    for (size_t i = 0; i < n; i++) {
        double got[3] = {logged[i].logging, logged[i].target, logged[i].reward};
        for (size_t k = 0; k < 3; k++) {
            jv g = {J_NUMBER, "", 0, false, got[k], NULL, 0, NULL, NULL, 0};
            if (!close_to(&g, jat(jat(want, i), k)))
                return fail("pick %zu: %.17g, expected %.*s", i + 1, got[k],
                            (int)jat(want, i)->raw_len, jat(want, i)->raw);
        }
    }
    return true;
}

/* A response credited with a decision's record: `expect.credited` and `expect.counts`, or
 * `expect.error`. */
static bool run_credit(const jv *c) {
    const jv *spec = jget(c, "credit"), *expect = jget(c, "expect");
    const char *want_error = jstr(jget(expect, "error"));
    const char *offer = jstr(jget(spec, "offer"));
    sk_learner *learner = NULL;
    if (sk_learner_new(jint(jget(spec, "half_life"), 0), &learner, E()) != SK_RESULT_OK)
        return fail("learner: %s", message());
    own(OWN_LEARNER, learner);
    size_t record_len;
    const char *record = compact(jget(spec, "record"), &record_len);
    bool credited = false;
    sk_result r = sk_learner_credit(learner, record, record_len, offer ? offer : "",
                                    offer ? strlen(offer) : 0,
                                    response_of(jstr(jget(spec, "response"))),
                                    jint(jget(spec, "at"), 0), &credited, E());
    if (want_error) {
        if (r == SK_RESULT_OK) return fail("credited, expected %s", want_error);
        const char *why = message();
        return strcmp(name(r), want_error) ? fail("credit: %s", why) : true;
    }
    if (r != SK_RESULT_OK) return fail("credit: %s", message());
    if (credited != jtrue(jget(expect, "credited"))) return fail("credited %d", credited);
    const jv *reads = jget(expect, "counts");
    for (size_t i = 0; jat(reads, i); i++) {
        const jv *read = jat(reads, i);
        const char *o = jstr(jat(read, 0)), *segment = jstr(jat(read, 1));
        double accepts = -1, rejects = -1;
        if (sk_learner_counts(learner, o, strlen(o), segment, strlen(segment),
                              jint(jat(read, 2), 0), &accepts, &rejects, E()) != SK_RESULT_OK)
            return fail("counts: %s", message());
        jv a = {J_NUMBER, "", 0, false, accepts, NULL, 0, NULL, NULL, 0};
        jv b = {J_NUMBER, "", 0, false, rejects, NULL, 0, NULL, NULL, 0};
        if (!close_to(&a, jat(read, 3)) || !close_to(&b, jat(read, 4)))
            return fail("counts of %s: %.17g, %.17g", o, accepts, rejects);
    }
    return true;
}

/* ---- Files ------------------------------------------------------------------------------------ */

static bool run_case(const jv *c, const jv *file) {
    if (jget(c, "hear")) return run_hear(c);
    if (jget(c, "log_entry")) return run_log_entry(c);
    if (jget(c, "credit")) return run_credit(c);
    if (jget(c, "rule")) return run_rule(c, jget(file, "fixture"));
    if (jget(c, "bucket")) return run_bucket(c);
    if (jget(c, "beta")) return run_beta(c);
    if (jget(c, "ope")) return run_ope(c);
    if (jget(c, "cohorts_hex")) return run_bytes(c, &COHORT_BYTES);
    if (jget(c, "kpis_hex")) return run_bytes(c, &KPI_BYTES);
    if (jget(c, "budgets_hex")) return run_bytes(c, &BUDGET_BYTES);
    if (jget(c, "fleet")) return run_fleet(c);
    if (jget(c, "kpis")) return run_kpis(c, jint(jget(file, "now"), 0));
    if (jget(c, "learner") && !jget(c, "catalog")) return run_learner(c);
    if (jget(c, "request") || jget(c, "catalog")) return run_decision(c, file);
    return run_fold(c);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        *len = fread(text, 1, (size_t)size, f);
        text[*len] = '\0';
    }
    if (f) fclose(f);
    return text;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <spec/vectors directory>\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    char *names[256];
    size_t files = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && files < 256) {
        size_t n = strlen(entry->d_name);
        if (n > 5 && !strcmp(entry->d_name + n - 5, ".json")) names[files++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, files, sizeof names[0], by_name);
    size_t cases = 0, failures = 0;
    for (size_t f = 0; f < files; f++) {
        char path[4096];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", argv[1], names[f]);
        char *text = read_file(path, &len);
        jv file;
        const char *error = "cannot read";
        if (!text || !jparse(text, len, &file, &error)) {
            fprintf(stderr, "%s: %s\n", names[f], error);
            return 2;
        }
        const jv *all = jget(&file, "cases");
        for (size_t i = 0; jat(all, i); i++, cases++) {
            const jv *c = jat(all, i);
            why[0] = '\0';
            if (!run_case(c, &file)) {
                failures++;
                printf("FAIL %s: %s: %s\n", names[f],
                       jstr(jget(c, "name")) ? jstr(jget(c, "name")) : "?", why);
            }
            release();
        }
        jfree(&file);
        free(text);
        free(names[f]);
    }
    printf("%zu conformance cases in %zu files through the C API: %zu failed\n", cases, files,
           failures);
    return failures || cases == 0 ? 1 : 0;
}
