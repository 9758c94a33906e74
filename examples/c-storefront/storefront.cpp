// A point-of-sale terminal's use of Shopkeeper, in C++ with the RAII wrappers of shopkeeper.hpp:
// a loyal customer checks out in the store, the terminal offers what fits, the customer takes
// it, and the profile goes back to the store's profile service as bytes.
//
//     storefront-cpp [catalog.json [models.json]]
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "shopkeeper.hpp"

namespace {

const sk_timestamp NOW = 1795510800; // 2026-11-24T09:00:00Z

std::string read_file(const char *path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error(std::string("cannot open ") + path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

void print(const shopkeeper::Profile &customer, const shopkeeper::Decision &decision) {
    std::printf("%s at the till:\n", customer.id().c_str());
    for (size_t i = 0; i < decision.picks.size(); i++) {
        const auto &pick = decision.picks[i];
        if (pick.is_default)
            std::printf("  %zu. %s (default action)\n", i + 1, pick.offer.c_str());
        else
            std::printf("  %zu. %-28s score %.2f\n", i + 1, pick.offer.c_str(), pick.score);
    }
}

} // namespace

int main(int argc, char **argv) try {
    const shopkeeper::Engine engine(read_file(argc > 1 ? argv[1] : "../storefront/catalog.json"),
                                    read_file(argc > 2 ? argv[2] : "../storefront/models.json"),
                                    NOW);
    shopkeeper::Learner learner = engine.new_learner();

    // The customer's history, as the order system sends it.
    shopkeeper::Profile customer("cust-1042", true);
    customer.apply(R"({"type": "attribute_set", "at": 1790000000, "channel": "web",
                       "name": "first_name", "value": "Ada"})",
                   NOW);
    const char *orders[] = {
        R"({"type": "purchase", "at": 1780000000, "channel": "store", "order": "pos-1",
            "lines": [{"product": "tent-2p", "category": "tents", "quantity": 1,
                       "unit_price": 24900}], "total": 24900})",
        R"({"type": "purchase", "at": 1787000000, "channel": "web", "order": "web-2",
            "lines": [{"product": "storm-shell-jacket", "category": "jackets", "quantity": 1,
                       "unit_price": 18900}], "total": 18900})",
        R"({"type": "purchase", "at": 1794000000, "channel": "store", "order": "pos-3",
            "lines": [{"product": "merino-socks", "category": "socks", "quantity": 3,
                       "unit_price": 1500}], "total": 4500})",
    };
    for (const char *order : orders) customer.apply(order, NOW);

    sk_scores scores = engine.scores(customer, NOW);
    std::printf("scores: P(alive) %.3f, expected purchases in 90 days %.3f, CLV %.2f\n",
                scores.p_alive, scores.expected_purchases_90d, scores.clv);

    sk_request request{SK_CHANNEL_STORE, 2, NOW, 42, false};
    shopkeeper::Decision decision =
        engine.decide(customer, R"({"page_type": "checkout"})", request, &learner);
    print(customer, decision);

    // The customer takes the first offer: the profile and the learner both hear of it.
    const shopkeeper::Pick &taken = decision.picks.front();
    if (!taken.is_default) {
        customer.feedback(SK_CHANNEL_STORE, taken.offer, SK_FEEDBACK_SHOWN, NOW, NOW);
        customer.feedback(SK_CHANNEL_STORE, taken.offer, SK_FEEDBACK_ACCEPTED, NOW, NOW);
        learner.update(taken.offer, decision.segment, SK_RESPONSE_ACCEPTED, NOW);
        std::printf("accepted %s\n", taken.offer.c_str());
    }

    // Back to the profile service as bytes, and read again on the next visit.
    std::vector<uint8_t> bytes = customer.to_bytes();
    shopkeeper::Profile again = shopkeeper::Profile::from_bytes(bytes);
    std::printf("profile stored as %zu bytes and read back as %s\n", bytes.size(),
                again.id().c_str());

    // Bad input throws, with the place of the mistake, and changes nothing.
    try {
        again.apply(R"({"type": "cart_add", "at": 1795510000, "channel": "store",
                        "product": "stove", "quantity": -1, "unit_price": 100})",
                    NOW);
    } catch (const shopkeeper::Error &e) {
        std::printf("rejected an event: %s (line %u, column %u)\n", e.code_name(), e.line(),
                    e.column());
    }
    return 0;
} catch (const std::exception &e) {
    std::cerr << "storefront-cpp: " << e.what() << '\n';
    return 1;
}
