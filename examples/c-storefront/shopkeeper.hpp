// RAII wrappers over the Shopkeeper C API for C++17: handles are owned by std::unique_ptr with
// the matching _free, failures throw shopkeeper::Error, strings are std::string_view in and
// std::string out. A sketch to copy into your code base, not a supported API: it wraps what
// storefront.cpp uses.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "shopkeeper.h"

namespace shopkeeper {

// A failed call: the sk_result code, its message and, for JSON and rules, the line and column.
class Error : public std::runtime_error {
  public:
    Error(sk_result code, const std::string &message, uint32_t line, uint32_t column)
        : std::runtime_error(message), code_(code), line_(line), column_(column) {}
    sk_result code() const noexcept { return code_; }
    const char *code_name() const noexcept { return sk_result_name(code_); }
    uint32_t line() const noexcept { return line_; }
    uint32_t column() const noexcept { return column_; }

  private:
    sk_result code_;
    uint32_t line_, column_;
};

namespace detail {
// Calls `f(&err)` and throws the error it reports.
template <auto Free> struct Deleter {
    template <typename T> void operator()(T *handle) const noexcept { Free(handle); }
};

template <typename F> void call(F f) {
    sk_error *raw = nullptr;
    sk_result code = f(&raw);
    std::unique_ptr<sk_error, Deleter<sk_error_free>> err(raw); // freed even if Error throws
    if (code == SK_RESULT_OK) return;
    throw Error(code, err ? sk_error_message(err.get()) : sk_result_name(code),
                err ? sk_error_line(err.get()) : 0, err ? sk_error_column(err.get()) : 0);
}

inline std::string text(sk_str s) { return std::string(s.ptr, s.len); }

// The pointer of a (pointer, length) argument: an empty std::string_view may have a null data(),
// which the library rejects even with length 0.
inline const char *ptr(std::string_view s) { return s.data() ? s.data() : ""; }
} // namespace detail

// Bytes or text the library made.
class Buffer {
  public:
    explicit Buffer(sk_buffer *buffer) : buffer_(buffer) {}
    std::string_view text() const {
        return {reinterpret_cast<const char *>(sk_buffer_data(buffer_.get())),
                sk_buffer_len(buffer_.get())};
    }
    std::vector<uint8_t> bytes() const {
        const uint8_t *data = sk_buffer_data(buffer_.get());
        return {data, data + sk_buffer_len(buffer_.get())};
    }

  private:
    std::unique_ptr<sk_buffer, detail::Deleter<sk_buffer_free>> buffer_;
};

// One customer's profile. Move-only; one thread at a time.
class Profile {
  public:
    Profile(std::string_view id, bool known) {
        sk_profile *p = nullptr;
        detail::call([&](sk_error **e) { return sk_profile_new(detail::ptr(id), id.size(), known, &p, e); });
        profile_.reset(p);
    }
    static Profile from_bytes(const std::vector<uint8_t> &bytes) {
        sk_profile *p = nullptr;
        static const uint8_t none = 0; // data() of an empty vector may be null
        const uint8_t *data = bytes.empty() ? &none : bytes.data();
        detail::call(
            [&](sk_error **e) { return sk_profile_from_bytes(data, bytes.size(), &p, e); });
        return Profile(p);
    }
    // Applies an event given as JSON (spec/events.md); returns whether it was recorded.
    bool apply(std::string_view json, sk_timestamp now) {
        sk_outcome outcome;
        detail::call([&](sk_error **e) {
            return sk_profile_apply_json(get(), detail::ptr(json), json.size(), now, &outcome, e);
        });
        return outcome.recorded;
    }
    // Records an offer shown, accepted or dismissed at `at` (contact policies read it), on the
    // caller's clock `now`.
    void feedback(sk_channel channel, std::string_view offer, sk_feedback feedback,
                  sk_timestamp at, sk_timestamp now) {
        detail::call([&](sk_error **e) {
            return sk_profile_offer_feedback(get(), channel, at, detail::ptr(offer), offer.size(),
                                             feedback, now, nullptr, e);
        });
    }
    std::vector<uint8_t> to_bytes() const {
        sk_buffer *b = nullptr;
        detail::call([&](sk_error **e) { return sk_profile_to_bytes(get(), &b, e); });
        return Buffer(b).bytes();
    }
    std::string id() const { return detail::text(sk_profile_id(get())); }
    sk_profile *get() const noexcept { return profile_.get(); }

  private:
    explicit Profile(sk_profile *p) : profile_(p) {}
    std::unique_ptr<sk_profile, detail::Deleter<sk_profile_free>> profile_;
};

// Learned statistics; safe to share between threads (the library locks).
class Learner {
  public:
    explicit Learner(sk_learner *learner) : learner_(learner) {}
    void update(std::string_view offer, std::string_view segment, sk_response response,
                sk_timestamp at) {
        detail::call([&](sk_error **e) {
            return sk_learner_update(get(), detail::ptr(offer), offer.size(), detail::ptr(segment),
                                     segment.size(), response, at, e);
        });
    }
    sk_learner *get() const noexcept { return learner_.get(); }

  private:
    std::unique_ptr<sk_learner, detail::Deleter<sk_learner_free>> learner_;
};

// A pick, copied out of the decision.
struct Pick {
    std::string offer;
    bool is_default;
    double score;
};

struct Decision {
    std::vector<Pick> picks;
    std::string segment;
    bool fallback;
};

// A compiled catalog with its models; immutable, shared by every thread.
class Engine {
  public:
    Engine(std::string_view catalog, std::string_view models, sk_timestamp now) {
        sk_engine *engine = nullptr;
        detail::call([&](sk_error **e) {
            return sk_engine_new(detail::ptr(catalog), catalog.size(),
                                 models.empty() ? nullptr : models.data(), models.size(), now,
                                 &engine, e);
        });
        engine_.reset(engine);
    }
    Learner new_learner() const {
        sk_learner *l = nullptr;
        detail::call([&](sk_error **e) { return sk_engine_new_learner(get(), &l, e); });
        return Learner(l);
    }
    // Decides for `profile` with the context given as JSON (`{"page_type": "checkout"}`).
    Decision decide(const Profile &profile, std::string_view context_json, sk_request request,
                    const Learner *learner = nullptr) const {
        sk_context *c = nullptr;
        detail::call([&](sk_error **e) {
            return sk_context_from_json(get(), detail::ptr(context_json), context_json.size(), &c, e);
        });
        std::unique_ptr<sk_context, detail::Deleter<sk_context_free>> context(c);
        sk_decision d;
        detail::call([&](sk_error **e) {
            return sk_engine_decide(get(), profile.get(), context.get(), &request,
                                    learner ? learner->get() : nullptr, &d, nullptr, e);
        });
        Decision decision{{}, std::string(d.segment, d.segment_len), d.fallback};
        for (size_t i = 0; i < d.picks_len; i++)
            decision.picks.push_back(
                {detail::text(d.picks[i].offer), d.picks[i].is_default, d.picks[i].score});
        return decision;
    }
    sk_scores scores(const Profile &profile, sk_timestamp now) const {
        sk_scores s;
        detail::call(
            [&](sk_error **e) { return sk_engine_scores(get(), profile.get(), now, &s, nullptr, e); });
        return s;
    }
    const sk_engine *get() const noexcept { return engine_.get(); }

  private:
    std::unique_ptr<sk_engine, detail::Deleter<sk_engine_free>> engine_;
};

} // namespace shopkeeper
