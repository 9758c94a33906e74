# Run from the repository root: python3 spec/vectors/tools/history_vectors.py
"""Writes spec/vectors/015 (owned products and habits folded from purchases and sessions) and 109
(the rule paths and functions that read them). Expectations follow spec/events.md ("Owned
products", "Habits") and spec/rules.md, computed here by a small model of the fold, not by the
library: an owned product keeps its earliest and latest purchase, its units and the orders it was
in (a product on two lines of one order is one order); past 32 products the least recently bought
goes first (then the fewest units, then the smallest id); sessions count in their UTC hour and the
earliest started is the first session; merging adds counts and keeps the earliest and latest."""
import json

NOW = 1732406400  # 2024-11-24T00:00:00Z
HOUR, DAY = 3600, 86400
CAP = 32


def ev(at, kind, channel="web", **kw):
    return dict(at=at, channel=channel, type=kind, **kw)


def line(product, quantity=1, price=1000, category=None):
    out = dict(product=product, quantity=quantity, unit_price=price)
    if category:
        out["category"] = category
    return out


def buy(at, order, *lines, channel="web"):
    return ev(at, "purchase", channel=channel, order=order, total=sum(l["quantity"] * l["unit_price"] for l in lines),
              lines=list(lines))


def write(name, doc):
    with open(f"spec/vectors/{name}", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


class Model:
    """The owned products and habits of one event stream, as spec/events.md describes them."""

    def __init__(self):
        self.owned, self.hours, self.first, self.orders, self.seen = {}, [0] * 24, None, set(), {}

    def apply(self, e):
        self.seen[e["channel"]] = min(self.seen.get(e["channel"], e["at"]), e["at"])
        if e["type"] == "purchase":
            if e["order"] in self.orders:
                return
            self.orders.add(e["order"])
            seen = set()
            for l in e["lines"]:
                p = self.owned.setdefault(l["product"], dict(first_at=e["at"], last_at=e["at"], quantity=0, orders=0))
                p["first_at"], p["last_at"] = min(p["first_at"], e["at"]), max(p["last_at"], e["at"])
                p["quantity"] += l["quantity"]
                p["orders"] += l["product"] not in seen
                seen.add(l["product"])
            self.evict()
        elif e["type"] == "session_start":
            self.hours[e["at"] % DAY // HOUR] += 1
            first = (e["at"], e["channel"], e.get("referrer"), e.get("affiliate"))
            if self.first is None or first[0] < self.first[0]:
                self.first = first

    def merge(self, other):
        for k, q in other.owned.items():
            p = self.owned.setdefault(k, dict(q, quantity=0, orders=0))
            p["first_at"], p["last_at"] = min(p["first_at"], q["first_at"]), max(p["last_at"], q["last_at"])
            p["quantity"] += q["quantity"]
            p["orders"] += q["orders"]
        self.evict()
        self.hours = [a + b for a, b in zip(self.hours, other.hours)]
        for channel, at in other.seen.items():
            self.seen[channel] = min(self.seen.get(channel, at), at)
        if other.first and (self.first is None or other.first[0] < self.first[0]):
            self.first = other.first

    def evict(self):
        while len(self.owned) > CAP:
            victim = min(self.owned, key=lambda k: (self.owned[k]["last_at"], self.owned[k]["quantity"], k))
            del self.owned[victim]

    def facts(self):
        out = {f"/owned/products/{k}/{f}": v for k, p in self.owned.items() for f, v in p.items()}
        out["owned.count"] = len(self.owned)
        out.update({f"/habits/session_hours/{h}": n for h, n in enumerate(self.hours) if n})
        out.update({f"/habits/channel_first_seen/{c}": self.seen.get(c) for c in ("web", "mobile", "store", "chat")})
        if self.first:
            at, channel, referrer, affiliate = self.first
            out.update({"/habits/first_session/start": at, "/habits/first_session/channel": channel,
                        "/habits/first_session/referrer": referrer, "/habits/first_session/affiliate": affiliate})
        else:
            out["/habits/first_session"] = None
        return out


def case(name, *streams):
    models = []
    for events in streams:
        m = Model()
        for e in events:
            m.apply(e)
        models.append(m)
    for m in models[1:]:
        models[0].merge(m)
    facts = models[0].facts()
    # The count is checked through the export's keys: a pointer per product, and one past the cap.
    del facts["owned.count"]
    return dict(name=name, now=NOW, profiles=[dict(id="c1", known=True, events=s) for s in streams],
                expect=dict(facts=facts))


# ---- 015: folding
many = [buy(NOW - 40 * DAY, "o-old", line("p00"))] + [
    buy(NOW - 30 * DAY + i, f"o{i:02}", line(f"p{i:02}", quantity=2)) for i in range(1, CAP + 1)]
cases = [
    case("a purchase's products are owned: first and last purchase, units, orders",
         [buy(NOW - 10 * DAY, "o1", line("tent-2p", 1, 24900, "tents"), line("pegs", 4, 300)),
          buy(NOW - 2 * DAY, "o2", line("pegs", 2, 300))]),
    case("a product on two lines of one order is one order of it",
         [buy(NOW - DAY, "o1", line("pegs", 4, 300), line("pegs", 1, 250))]),
    case("a late purchase moves the first purchase back, not the last",
         [buy(NOW - DAY, "o2", line("stove")), buy(NOW - 9 * DAY, "o1", line("stove", 2))]),
    case("an order delivered twice is owned once",
         [buy(NOW - DAY, "o1", line("stove")), buy(NOW - DAY, "o1", line("stove"))]),
    case("every channel's purchases are owned",
         [buy(NOW - 3 * DAY, "o1", line("boots"), channel="store"), buy(NOW - DAY, "o2", line("socks"), channel="mobile")]),
    case("past 32 products the least recently bought is evicted", many),
    case("two devices' histories merge: units and orders add, the earliest and latest times are kept",
         [buy(NOW - 5 * DAY, "o1", line("tent-2p")), buy(NOW - DAY, "o3", line("pegs", 2))],
         [buy(NOW - 8 * DAY, "o2", line("tent-2p", 1)), buy(NOW - 3 * DAY, "o4", line("lamp"))]),
    case("sessions count in their UTC hour; the first session is where the customer came from",
         [ev(NOW - 3 * DAY + 9 * HOUR, "session_start", referrer="https://gadgets.example/review", affiliate="gadgets"),
          ev(NOW - 2 * DAY + 9 * HOUR + 1800, "session_start", channel="mobile"),
          ev(NOW - DAY + 21 * HOUR, "session_start", referrer="https://search.example/?q=tent")]),
    case("a late session start that is the earliest becomes the first session",
         [ev(NOW - DAY, "session_start", referrer="https://mail.example"),
          ev(NOW - 6 * DAY + 23 * HOUR + 3599, "session_start", channel="store")]),
    case("habits merge: hours add, the earliest first session wins",
         [ev(NOW - 2 * DAY + 8 * HOUR, "session_start", affiliate="late"), ev(NOW - DAY + 8 * HOUR, "session_start")],
         [ev(NOW - 4 * DAY + 20 * HOUR, "session_start", channel="mobile", affiliate="gadgets")]),
    case("each channel's first event is kept, late ones included; merging keeps the earliest",
         [ev(NOW - DAY, "page_view", page="/"), ev(NOW - 3 * DAY, "page_view", channel="mobile", page="/"),
          ev(NOW - 4 * DAY, "page_view", page="/late")],
         [ev(NOW - 2 * DAY, "session_start", channel="store"), ev(NOW - 5 * DAY, "page_view", channel="mobile", page="/")]),
    dict(name="without purchases or sessions there is nothing owned and no first session", now=NOW,
         profiles=[dict(id="c1", known=True, events=[ev(NOW - 60, "page_view", page="/")])],
         expect=dict(facts={"/owned/products": {}, "/habits/first_session": None, "/habits/session_hours/0": 0})),
]
# The evicted product is gone, the next least recently bought kept.
cases[5]["expect"]["facts"].update({"/owned/products/p00": None, "/owned/products/p01/quantity": 2})
write("015-owned-and-habits.json", dict(title="owned products and habits: what the customer bought, when visits start", cases=cases))

# ---- 109: rules over them
events = [
    ev(NOW - 40 * DAY + 9 * HOUR, "session_start", affiliate="gadgets"),
    buy(NOW - 400 * DAY, "o1", line("tent-2p", 1, 24900, "tents"), line("pegs", 4, 300)),
    buy(NOW - 20 * DAY, "o2", line("Stove-X", 1, 8900, "cooking")),
]
rule_cases = [
    dict(name="owns: the customer bought it", rule='owns("tent-2p")', condition=True, expect=dict(value=True)),
    dict(name="owns: never bought", rule='owns("lamp")', condition=True, expect=dict(value=False)),
    dict(name="owns compares like ==, case-sensitively unless lowered", rule='owns("stove-x")', condition=True, expect=dict(value=False)),
    dict(name="owns(lower(x)) matches an id written in lower case", rule='owns(lower("PEGS"))', condition=True, expect=dict(value=True)),
    dict(name="owns(lower(x)) never matches an id with capitals", rule='owns(lower("STOVE-X"))', condition=True, expect=dict(value=False)),
    dict(name="owned_within: bought within the duration", rule='owned_within("Stove-X", 30d)', condition=True, expect=dict(value=True)),
    dict(name="owned_within: bought before it", rule='owned_within("tent-2p", 365d)', condition=True, expect=dict(value=False)),
    dict(name="owned_within: the latest purchase counts", rule='owned_within("tent-2p", 401d)', condition=True, expect=dict(value=True)),
    dict(name="customer.owned_products, in id order", rule="customer.owned_products", expect=dict(value=["Stove-X", "pegs", "tent-2p"])),
    dict(name="customer.owned_products is a list", rule='len(customer.owned_products) == 3 and contains(customer.owned_products, "pegs")',
         condition=True, expect=dict(value=True)),
    dict(name="without purchases nothing is owned", rule='owns("tent-2p") or len(customer.owned_products) > 0', condition=True,
         profile=dict(id="c2", known=True, events=[ev(NOW - 60, "page_view", page="/")]), expect=dict(value=False)),
    dict(name="owns takes a string", rule="owns(3)", expect=dict(errors=[dict(code="type_mismatch", line=1, column=1)])),
    dict(name="owned_within needs a duration", rule='owned_within("pegs", 30)', expect=dict(errors=[dict(code="type_mismatch", line=1, column=1)])),
    dict(name="owns takes one argument", rule='owns("a", "b")', expect=dict(errors=[dict(code="wrong_arity", line=1, column=1)])),
]
# The customer's own pattern (spec/rules.md): a model of each signal, from the events.
def day(at):
    return at // DAY


def overdue(purchase_times, now):
    """(age - recency) / (recency / frequency), in whole UTC days, or None without a repeat day."""
    days = sorted(set(day(t) for t in purchase_times))
    frequency, recency, age = len(days) - 1, days[-1] - days[0], max(day(now), days[-1]) - days[0]
    if frequency == 0 or recency == 0:
        return None, None
    gap = recency / frequency
    return gap * DAY, (age - recency) / gap


def has_profile(events, cid="c1"):
    return dict(id=cid, known=True, events=events)


lapsed = [buy(NOW - (100 - 20 * k) * DAY + 3 * HOUR, f"o{k}", line("coffee", 1, 2000)) for k in range(3)]
gap, late = overdue([e["at"] for e in lapsed], NOW)
on_time = lapsed + [buy(NOW - 25 * DAY, "o9", line("coffee", 1, 2000))]
gap2, due = overdue([e["at"] for e in on_time], NOW)
basket = [buy(NOW - 30 * DAY, "b1", line("tent-2p", 1, 5000, "tents")), buy(NOW - 10 * DAY, "b2", line("stove", 1, 5000, "cooking")),
          ev(NOW - 600, "session_start"), ev(NOW - 500, "cart_add", product="kayak", category="boats", quantity=3, unit_price=6000)]
usual = 18000 / 5000
channels = [ev(NOW - 5 * DAY, "session_start"), ev(NOW - 5 * DAY + 60, "page_view", page="/"), ev(NOW - 600, "session_start", channel="store")]
categories = [buy(NOW - 30 * DAY, "c1", line("tent-2p", 1, 5000, "tents")), ev(NOW - 2 * DAY, "product_view", product="stove", category="cooking"),
              ev(NOW - DAY, "cart_add", product="lamp", category="lights", unit_price=2000),  # carted before the session
              ev(NOW - 600, "session_start"), ev(NOW - 500, "product_view", product="kayak", category="boats"),
              ev(NOW - 450, "product_view", product="pegs", category="tents"), ev(NOW - 400, "product_view", product="pot", category="cooking"),
              ev(NOW - 350, "product_view", product="kayak-2", category="boats"),
              ev(NOW - 300, "cart_add", product="paddle", category="paddles", unit_price=3000)]
mornings = [ev(NOW - (20 - k) * DAY + 9 * HOUR + 60 * k, "session_start") for k in range(12)]
night = mornings + [ev(NOW - 3 * HOUR + 60, "session_start")]  # 21:01 UTC, far from 09:xx
morning = mornings + [ev(NOW - 15 * HOUR - 1800, "session_start")]  # 08:30 UTC, within an hour of 09
few = mornings[:9] + [ev(NOW - 3 * HOUR + 60, "session_start")]
rule_cases += [
    dict(name="customer.purchase_gap: the mean gap between purchase days", rule="customer.purchase_gap", profile=has_profile(lapsed),
         expect=dict(value=gap)),
    dict(name="customer.overdue: days since the last purchase day over the usual gap", rule="customer.overdue", profile=has_profile(lapsed),
         expect=dict(value=late)),
    dict(name="a customer on their usual rhythm is not overdue", rule="customer.overdue", profile=has_profile(on_time), expect=dict(value=due)),
    dict(name="one purchase makes no rhythm: overdue is missing", rule="has(customer.overdue) or has(customer.purchase_gap)", condition=True,
         profile=has_profile(lapsed[:1]), expect=dict(value=False)),
    dict(name="two purchases on one day make no rhythm either", rule="has(customer.overdue)", condition=True,
         profile=has_profile([buy(NOW - 9 * DAY, "x1", line("a")), buy(NOW - 9 * DAY + 60, "x2", line("b"))]), expect=dict(value=False)),
    dict(name="cart.value_vs_usual: the cart over the average order", rule="cart.value_vs_usual", profile=has_profile(basket),
         expect=dict(value=usual)),
    dict(name="cart.value_vs_usual is missing before the first purchase", rule="has(cart.value_vs_usual)", condition=True,
         profile=has_profile(basket[2:]), expect=dict(value=False)),
    dict(name="session.first_on_channel: a first session in the store after visits on the web", rule="session.first_on_channel",
         profile=has_profile(channels), expect=dict(value=True)),
    dict(name="a first visit ever is not new on a channel", rule="session.first_on_channel", profile=has_profile(channels[:1]),
         expect=dict(value=False)),
    dict(name="session.new_categories: viewed or carted in the session, never bought nor viewed before, each once", rule="session.new_categories",
         profile=has_profile(categories), expect=dict(value=["boats", "paddles"])),
    dict(name="session.unusual_hour: no earlier session within an hour of this one's", rule="session.unusual_hour",
         profile=has_profile(night), expect=dict(value=True)),
    dict(name="an hour next to the usual ones is usual", rule="session.unusual_hour", profile=has_profile(morning), expect=dict(value=False)),
    dict(name="fewer than 10 earlier sessions make no pattern", rule="has(session.unusual_hour)", condition=True, profile=has_profile(few),
         expect=dict(value=False)),
    dict(name="customer.out_of_pattern: a lapsed regular", rule="customer.out_of_pattern", profile=has_profile(lapsed), expect=dict(value=["overdue"])),
    dict(name="customer.out_of_pattern: a big basket in a new category", rule="customer.out_of_pattern", profile=has_profile(basket),
         expect=dict(value=["big_basket", "new_category"])),
    dict(name="customer.out_of_pattern: new on a channel, at an unusual hour", rule="customer.out_of_pattern",
         profile=has_profile(night[:-1] + [ev(NOW - 3 * HOUR + 60, "session_start", channel="mobile")]),
         expect=dict(value=["new_channel", "unusual_hour"])),
    dict(name="a first visitor has no pattern to break", rule="len(customer.out_of_pattern)", profile=has_profile(categories[2:]),
         expect=dict(value=0)),
    dict(name="a rule on the customer's own pattern", rule='"overdue" in customer.out_of_pattern and customer.overdue >= 2.5', condition=True,
         profile=has_profile(lapsed), expect=dict(value=True)),
]
# Cross-sell from the cart and from history (spec/scores.md, "Cross-sell"): a table fitted here
# from baskets, and the suggestions ranked by this model.
BASKETS = [["tent", "stove", "gas"], ["tent", "stove"], ["stove", "gas", "gas"], ["tent", "mat"], ["tent", "mat"],
           ["socks"], ["boots", "socks"], ["boots", "socks"], ["stove", "pot"], ["stove", "pot"], ["lamp", "tent"], ["lamp", "tent"]]


def fit(baskets, min_together=2, keep=20):
    sets = [sorted(set(b)) for b in baskets]
    n = {i: sum(i in b for b in sets) for b in sets for i in b}
    pair = {}
    for b in sets:
        for x in range(len(b)):
            for y in range(x + 1, len(b)):
                pair[(b[x], b[y])] = pair.get((b[x], b[y]), 0) + 1
    comp = {i: [] for i in n}
    for (a, b), k in pair.items():
        if k >= min_together:
            comp[a].append((b, k))
            comp[b].append((a, k))
    items = {i: dict(baskets=n[i], complements=[[b, k] for b, k in sorted(c, key=lambda bk: (-bk[1] / n[bk[0]], bk[0]))][:keep])
             for i, c in comp.items()}
    return dict(baskets=len(sets), items=items)


TABLE = fit(BASKETS)


def suggest(sources, skip, k=5):
    N = TABLE["baskets"]
    best = {}
    for a in sources:
        stats = TABLE["items"].get(a)
        if not stats:
            continue
        for b, together in stats["complements"]:
            confidence = together / stats["baskets"]
            lift = confidence / (TABLE["items"][b]["baskets"] / N)
            key = (-lift, -confidence, b)
            if b not in best or key < best[b]:
                best[b] = key
    ranked = sorted(best.values())
    return [b for _, _, b in ranked if b not in skip][:k]


CROSS_MODELS = {"version": 3, "cross_sell": {"products": TABLE, "categories": {"baskets": 0, "items": {}}}}
history = [buy(NOW - 60 * DAY, "h1", line("tent")), buy(NOW - 30 * DAY, "h2", line("stove")),
           ev(NOW - 600, "session_start"), ev(NOW - 500, "cart_add", product="gas", unit_price=900)]
owned, cart = ["stove", "tent"], ["gas"]
rule_cases += [
    dict(name="customer.cross_sell: the complements of what the customer owns, not owned, not in the cart",
         rule="customer.cross_sell", profile=has_profile(history), models=CROSS_MODELS,
         expect=dict(value=suggest(owned, set(owned) | set(cart)))),
    dict(name="cart.cross_sell: the complements of the cart, not in it", rule="cart.cross_sell", profile=has_profile(history),
         models=CROSS_MODELS, expect=dict(value=suggest(cart, set(cart)))),
    dict(name="customer.cross_sell without a purchase is empty", rule="len(customer.cross_sell)",
         profile=has_profile(history[2:]), models=CROSS_MODELS, expect=dict(value=0)),
    dict(name="customer.cross_sell without models is empty, like every list score path", rule="len(customer.cross_sell) + len(cart.cross_sell)",
         profile=has_profile(history), expect=dict(value=0)),
]
assert rule_cases[-4]["expect"]["value"] == ["pot", "lamp", "mat"], rule_cases[-4]["expect"]["value"]
# Cohorts (spec/scores.md, "Cohorts"): the first session names the source; a source's means are
# pulled toward the population's by `prior` customers.
COHORTS = {"by": "affiliate", "prior": 20.0,
           "population": {"customers": 200, "repeat_rate": 0.25, "aov": 42.0, "clv": 60.0},
           "sources": {"gadgets": {"customers": 30, "repeat_rate": 0.5, "aov": 55.0, "clv": 140.0},
                       "coupons": {"customers": 5, "repeat_rate": 0.0, "aov": 18.0, "clv": 12.0}}}


def cohort(source, field):
    own = COHORTS["sources"].get(source, {"customers": 0, "repeat_rate": 0, "aov": 0, "clv": 0})
    n, prior = own["customers"], COHORTS["prior"]
    return (n * own[field] + prior * COHORTS["population"][field]) / (n + prior)


COHORT_MODELS = {"version": 3, "cohorts": COHORTS}
BY_REFERRER = {"version": 3, "cohorts": dict(COHORTS, by="referrer", sources={"gadgets.com": COHORTS["sources"]["gadgets"]})}
first_touch = [ev(NOW - 9 * DAY, "session_start", channel="mobile", referrer="https://www.Gadgets.com/review?id=7", affiliate="gadgets"),
               ev(NOW - 600, "session_start", affiliate="coupons")]
rule_cases += [
    dict(name="customer.first_affiliate: the first session's", rule="customer.first_affiliate", profile=has_profile(first_touch),
         expect=dict(value="gadgets")),
    dict(name="customer.first_referrer: the first session's, as written", rule="customer.first_referrer", profile=has_profile(first_touch),
         expect=dict(value="https://www.Gadgets.com/review?id=7")),
    dict(name="customer.first_channel: the first session's", rule="customer.first_channel", profile=has_profile(first_touch),
         expect=dict(value="mobile")),
    dict(name="the first session's fields are missing without a session", rule="has(customer.first_channel)", condition=True,
         profile=has_profile(lapsed), expect=dict(value=False)),
    dict(name="cohort.source: the first session's affiliate, not the current one's", rule="cohort.source",
         profile=has_profile(first_touch), models=COHORT_MODELS, expect=dict(value="gadgets")),
    dict(name="cohort.clv: the source's mean, pulled toward the population's by 20 customers", rule="cohort.clv",
         profile=has_profile(first_touch), models=COHORT_MODELS, expect=dict(value=cohort("gadgets", "clv"))),
    dict(name="a small cohort is pulled further", rule="cohort.clv", profile=has_profile(first_touch[1:]), models=COHORT_MODELS,
         expect=dict(value=cohort("coupons", "clv"))),
    dict(name="cohort.repeat_rate, cohort.aov and cohort.customers", rule="cohort.repeat_rate * 1000 + cohort.aov + cohort.customers / 1000",
         profile=has_profile(first_touch), models=COHORT_MODELS,
         expect=dict(value=cohort("gadgets", "repeat_rate") * 1000 + cohort("gadgets", "aov") + 30 / 1000)),
    dict(name="a customer without a source is in the (none) cohort, worth the population", rule='cohort.source == "(none)" and cohort.clv == 60 and cohort.customers == 0',
         condition=True, profile=has_profile(lapsed), models=COHORT_MODELS, expect=dict(value=True)),
    dict(name="cohorts by referrer: the host, without www., in lower case", rule="cohort.source", profile=has_profile(first_touch),
         models=BY_REFERRER, expect=dict(value="gadgets.com")),
    dict(name="without a cohort model, cohort paths are missing", rule="has(cohort.clv) or has(cohort.source)", condition=True,
         profile=has_profile(first_touch), models=CROSS_MODELS, expect=dict(value=False)),
]
write("109-rules-history.json", dict(title="rules: what the customer owns and their own pattern",
                                      fixture=dict(now=NOW, schema={}, profile=dict(id="c1", known=True, events=events)),
                                      cases=rule_cases))
print(len(cases), len(rule_cases))
