# Run from the repository root: python3 spec/vectors/tools/decide_vectors.py
"""Writes spec/vectors/201-205: decision conformance cases. Expected rankings come from an
independent model of the documented formula and tie-break (FNV-1a + SplitMix64), not from the
Rust code."""
import json, itertools, datetime

from model import bucket, fnv1a, mix

def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

NOW = 1732406400
DAY = 86400
def rank(offers, slots, seed, groups=None):
    """offers: list of (id, score) in catalog order; groups: id -> group."""
    groups = groups or {}
    keyed = [(-score, mix(seed ^ fnv1a(oid)), i, oid) for i, (oid, score) in enumerate(offers) if score > 0]
    keyed.sort()
    out, used = [], set()
    for _, _, _, oid in keyed:
        g = groups.get(oid)
        if g is not None and g in used:
            continue
        if g is not None:
            used.add(g)
        out.append(oid)
    return out[:slots]

def ev(at, kind, channel="web", **kw):
    return dict(at=at, channel=channel, type=kind, **kw)

def write(name, title, cases, **top):
    doc = dict(title=title, **top, cases=cases)
    with open(f"spec/vectors/{name}", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return len(cases)

total = 0
# ---------------------------------------------------------------- 201: the formula and ranking
offers = [
    dict(id="a", propensity={"fixed": 0.10}, value=50, lever=1.0),
    dict(id="b", propensity={"fixed": 0.20}, value=20, lever=1.5),
    dict(id="c", propensity={"fixed": 0.05}, value=100, lever=1.0, kind="content"),
    dict(id="d", propensity={"fixed": 0.50}, value=8, lever=1.0, kind="action"),
    dict(id="e", propensity={"fixed": 0.30}, value=10, lever=0.5),
]
catalog = {
    "version": "v201",
    "context": {"page_type": "string"},
    "context_weights": [
        {"when": 'context.page_type == "cart"', "kind": "offer", "weight": 2},
        {"channels": ["mobile"], "kind": "action", "weight": 3},
    ],
    "default": {"id": "fallback", "kind": "content"},
    "offers": offers,
}
def base_scores(page=None, channel="web", value_a=50):
    out = []
    for o in offers:
        p = o["propensity"]["fixed"]; v = value_a if o["id"] == "a" else o["value"]; l = o["lever"]
        kind = o.get("kind", "offer")
        c = 1.0
        if page == "cart" and kind == "offer": c *= 2
        if channel == "mobile" and kind == "action": c *= 3
        out.append((o["id"], p * c * v * l))
    return out
cases = []
for slots in range(1, 7):
    sc = base_scores()
    picks = rank(sc, slots, 0)
    d = dict(sc)
    cases.append(dict(name=f"{slots} slot(s): the best by propensity x weight x value x lever",
        request=dict(channel="web", slots=slots), expect=dict(picks=picks, scores=[d[p] for p in picks], fallback=False)))
for page, channel in [("cart", "web"), ("home", "web"), ("cart", "mobile"), ("home", "mobile")]:
    sc = base_scores(page, channel)
    picks = rank(sc, 5, 0); d = dict(sc)
    cases.append(dict(name=f"context weights on page {page} over {channel}", context={"page_type": page},
        request=dict(channel=channel, slots=5), expect=dict(picks=picks, scores=[d[p] for p in picks])))
sc = base_scores("cart", "mobile"); picks = rank(sc, 5, 0)
cases.append(dict(name="the receipt shows each pick's parts", context={"page_type": "cart"}, request=dict(channel="mobile", slots=2),
    expect=dict(picks=picks[:2], picks_detail=[dict(rank=i+1, offer=p, propensity=o["propensity"]["fixed"], value=o["value"], lever=o["lever"],
        context_weight=(2 if o.get("kind","offer")=="offer" else 3 if o.get("kind")=="action" else 1), propensity_source="fixed")
        for i, p in enumerate(picks[:2]) for o in offers if o["id"] == p])))
for value_a in [10, 31, 40, 41, 80, 200]:
    cat = json.loads(json.dumps(catalog)); cat["offers"][0]["value"] = value_a
    sc = base_scores(value_a=value_a); picks = rank(sc, 5, 0)
    cases.append(dict(name=f"raising a's value to {value_a} moves it up, never down", catalog=cat, request=dict(channel="web", slots=5), expect=dict(picks=picks)))
# value and propensity expressions
expr_cat = {
    "version": "v201-expr", "default": {"id": "fallback"},
    "attributes": {"margin": "number"},
    "offers": [
        {"id": "pct", "value": "cart.value * 0.1", "propensity": {"fixed": 0.5}},
        {"id": "margin", "value": "customer.attr.margin", "propensity": {"fixed": 0.5}},
        {"id": "sure", "value": 1, "propensity": {"expression": "cart.quantity / 2"}},
        {"id": "negative", "value": "cart.value - 1000"},
    ]}
def cart(n, price):
    return [ev(NOW - 60, "cart_add", product="p", quantity=n, unit_price=price)]
cases += [
    dict(name="a value expression is computed per request", catalog=expr_cat, profile=dict(id="c", events=cart(1, 5000)),
         request=dict(channel="web", slots=4), expect=dict(picks=["pct", "sure"], scores=[2.5, 0.5],
         dropped={"margin": "score", "negative": "score"}, reasons={"margin": "the value is missing"})),
    dict(name="a propensity expression is clamped to 1", catalog=expr_cat, profile=dict(id="c", events=cart(4, 100)),
         request=dict(channel="web", slots=4), expect=dict(picks=["sure", "pct"], scores=[1.0, 0.2])),
    dict(name="a custom attribute feeds the value", catalog=expr_cat,
         profile=dict(id="c", known=True, events=[ev(NOW - 60, "attribute_set", name="margin", value=7)] + cart(1, 100)),
         request=dict(channel="web", slots=4), expect=dict(picks=["margin", "sure", "pct"], scores=[3.5, 0.5, 0.05])),
    dict(name="a negative value scores below zero and is dropped", catalog=expr_cat, profile=dict(id="c", events=cart(1, 100)),
         request=dict(channel="web", slots=4), expect=dict(dropped={"negative": "score"})),
]
# ties
tie_cat = {"version": "v201-ties", "default": {"id": "fallback"},
    "offers": [{"id": x, "value": 10} for x in ["t1", "t2", "t3", "t4"]] + [{"id": "top", "value": 11}]}
for seed in [0, 1, 2, 3, 7, 42, 1000, 18446744073709551615]:
    sc = [(o["id"], o["value"]) for o in tie_cat["offers"]]
    cases.append(dict(name=f"equal scores are ordered by the seed's hash, seed {seed}", catalog=tie_cat,
        request=dict(channel="web", slots=5, seed=seed), expect=dict(picks=rank(sc, 5, seed))))
total += write("201-decide-ranking.json", "decisions: the formula, ranking, ties and slots", cases, now=NOW, catalog=catalog)

# ---------------------------------------------------------------- 202: filters
cat202 = {
    "version": "v202", "channels": ["web", "mobile", "store"],
    "context": {"device": "string"},
    "default": {"id": "fallback", "kind": "content"},
    "offers": [
        {"id": "web-only", "channels": ["web"], "value": 5},
        {"id": "phones", "channels": ["mobile"], "value": 4},
        {"id": "kiosk", "channels": ["kiosk"], "value": 9},
        {"id": "from", "valid_from": NOW, "value": 3},
        {"id": "until", "valid_until": NOW + 1, "value": 2},
        {"id": "dated", "valid_from": "2024-11-01", "valid_until": "2024-11-24T00:00:00Z", "value": 8},
        {"id": "known", "eligibility": "customer.known and customer.orders >= 1", "value": 7},
        {"id": "cart", "applicability": "cart.value >= 100 and \"shoes\" in cart.categories", "value": 6},
        {"id": "phone", "suitability": "context.device == \"phone\" or context.device == \"tablet\"", "value": 1},
    ]}
def pf(known=False, events=()):
    return dict(id="c", known=known, events=list(events))
buy = ev(NOW - 10 * DAY, "purchase", order="o1", lines=[dict(product="p", quantity=1, unit_price=1000)], total=1000)
shoes = ev(NOW - 60, "cart_add", product="s", category="shoes", quantity=1, unit_price=12000)
socks = ev(NOW - 60, "cart_add", product="k", category="socks", quantity=1, unit_price=12000)
cases = [
    dict(name="an anonymous visitor on the web", profile=pf(), request=dict(channel="web", slots=9),
         expect=dict(picks=["web-only", "from", "until"], dropped={"phones": "channel", "kiosk": "channel", "dated": "validity",
             "known": "eligibility", "cart": "applicability", "phone": "suitability"},
             reasons={"phones": "not offered on web", "kiosk": "not offered on web", "known": "customer.known",
                      "cart": "cart.value >= 100", "phone": "context.device == \"phone\" or context.device == \"tablet\""})),
    dict(name="the same visitor on mobile", profile=pf(), request=dict(channel="mobile", slots=9),
         expect=dict(picks=["phones", "from", "until"], dropped={"web-only": "channel"})),
    dict(name="a channel the catalog does not serve drops every offer", profile=pf(), request=dict(channel="kiosk", slots=9),
         expect=dict(picks=["fallback"], fallback=True, dropped={"kiosk": "channel", "web-only": "channel"})),
    dict(name="valid_from is inclusive", profile=pf(), request=dict(channel="web", slots=9, now=NOW), expect=dict(picks=["web-only", "from", "until"])),
    dict(name="before valid_from", profile=pf(), request=dict(channel="web", slots=9, now=NOW - 1),
         expect=dict(picks=["dated", "web-only", "until"], dropped={"from": "validity"}, reasons={"from": f"valid from {utc(NOW)}"})),
    dict(name="valid_until is exclusive", profile=pf(), request=dict(channel="web", slots=9, now=NOW + 1),
         expect=dict(picks=["web-only", "from"], dropped={"until": "validity"}, reasons={"until": f"valid until {utc(NOW + 1)}"})),
    dict(name="dates are UTC midnights", profile=pf(), request=dict(channel="web", slots=9, now=NOW - 1),
         expect=dict(picks=["dated", "web-only", "until"])),
    dict(name="the first failing clause is named", profile=pf(True), request=dict(channel="web", slots=9),
         expect=dict(dropped={"known": "eligibility"}, reasons={"known": "customer.orders >= 1"})),
    dict(name="a known buyer is eligible", profile=pf(True, [buy]), request=dict(channel="web", slots=2), expect=dict(picks=["known", "web-only"])),
    dict(name="applicability reads the cart", profile=pf(False, [shoes]), request=dict(channel="web", slots=2), expect=dict(picks=["cart", "web-only"])),
    dict(name="the second applicability clause fails", profile=pf(False, [socks]), request=dict(channel="web", slots=2),
         expect=dict(picks=["web-only", "from"], reasons={"cart": "\"shoes\" in cart.categories"})),
    dict(name="suitability reads the context", profile=pf(), context={"device": "tablet"}, request=dict(channel="web", slots=9),
         expect=dict(picks=["web-only", "from", "until", "phone"])),
    dict(name="a missing context key fails its clause", profile=pf(), context={}, request=dict(channel="web", slots=9),
         expect=dict(dropped={"phone": "suitability"})),
    dict(name="an order: eligibility is checked before applicability", profile=pf(False, [socks]), request=dict(channel="store", slots=9),
         expect=dict(picks=["from", "until"], dropped={"known": "eligibility", "cart": "applicability", "web-only": "channel"})),
]
total += write("202-decide-filters.json", "decisions: channels, validity windows, eligibility, applicability, suitability", cases, now=NOW, catalog=cat202)

# ---------------------------------------------------------------- 203: contact policies
cat203 = {
    "version": "v203", "default": {"id": "fallback", "kind": "content"},
    "contact_policy": {"email": {"max_shows": 2, "window": "1d"}},
    "offers": [
        {"id": "capped", "value": 9, "contact": {"max_shows": 2, "window": "7d"}},
        {"id": "rests", "value": 8, "contact": {"cooldown_after_dismiss": "3d"}},
        {"id": "twice", "value": 7, "contact": {"cooldown_after_dismiss": "14d", "dismissals": 2}},
        {"id": "once", "value": 6, "contact": {"stop_after_accept": True}},
        {"id": "free", "value": 1},
    ]}
def shown(offer, at, channel="web"): return ev(at, "offer_shown", channel=channel, offer=offer)
def dismissed(offer, at): return ev(at, "offer_dismissed", offer=offer)
def accepted(offer, at): return ev(at, "offer_accepted", offer=offer)
ALL = ["capped", "rests", "twice", "once", "free"]
def c203(name, events, picks, dropped=None, reasons=None, channel="web", **extra):
    e = dict(picks=picks)
    if dropped: e["dropped"] = dropped
    if reasons: e["reasons"] = reasons
    e.update(extra)
    return dict(name=name, profile=pf(True, events), request=dict(channel=channel, slots=5), expect=e)
cases = [
    c203("no history, no limits", [], ALL),
    c203("one show of a 2-per-7d cap", [shown("capped", NOW - DAY)], ALL),
    c203("two shows reach the cap", [shown("capped", NOW - DAY), shown("capped", NOW - 60)], ALL[1:],
         {"capped": "contact_policy"}, {"capped": "shown 2 times in the last 7d (cap 2)"}),
    c203("a show older than the window no longer counts", [shown("capped", NOW - 8 * DAY), shown("capped", NOW - 60)], ALL),
    c203("a show exactly one window ago still counts", [shown("capped", NOW - 7 * DAY), shown("capped", NOW - 60)], ALL[1:], {"capped": "contact_policy"}),
    c203("a show one second past the window does not", [shown("capped", NOW - 7 * DAY - 1), shown("capped", NOW - 60)], ALL),
    c203("a dismiss starts a cool-down", [shown("rests", NOW - DAY), dismissed("rests", NOW - DAY)], ["capped", "twice", "once", "free"],
         {"rests": "contact_policy"}, {"rests": f"dismissed 1 time: cooling down until {utc(NOW - DAY + 3 * DAY)}"}),
    c203("the cool-down ends", [dismissed("rests", NOW - 3 * DAY)], ALL),
    c203("the cool-down's last second", [dismissed("rests", NOW - 3 * DAY + 1)], ["capped", "twice", "once", "free"], {"rests": "contact_policy"}),
    c203("one dismiss of a two-dismiss cool-down", [dismissed("twice", NOW - DAY)], ALL),
    c203("two dismisses start it", [dismissed("twice", NOW - 5 * DAY), dismissed("twice", NOW - DAY)], ["capped", "rests", "once", "free"],
         {"twice": "contact_policy"}, {"twice": f"dismissed 2 times: cooling down until {utc(NOW - DAY + 14 * DAY)}"}),
    c203("it runs from the latest dismiss", [dismissed("twice", NOW - 20 * DAY), dismissed("twice", NOW - 13 * DAY)], ["capped", "rests", "once", "free"], {"twice": "contact_policy"}),
    c203("and ends 14 days after it", [dismissed("twice", NOW - 20 * DAY), dismissed("twice", NOW - 14 * DAY)], ALL),
    c203("an accept stops an offer", [accepted("once", NOW - 30 * DAY)], ["capped", "rests", "twice", "free"],
         {"once": "contact_policy"}, {"once": "already accepted (stop after accept)"}),
    c203("an accept of another offer does not", [accepted("free", NOW - 30 * DAY)], ALL),
    c203("a dismiss does not stop a stop-after-accept offer", [dismissed("once", NOW - 60)], ALL),
    c203("shows of an uncapped offer change nothing", [shown("free", NOW - 60)] * 1 + [shown("free", NOW - 50), shown("free", NOW - 40)], ALL),
    c203("several policies at once", [shown("capped", NOW - 100), shown("capped", NOW - 90), dismissed("rests", NOW - 80), accepted("once", NOW - 70)],
         ["twice", "free"], {"capped": "contact_policy", "rests": "contact_policy", "once": "contact_policy"}),
    c203("the email channel's cap: one show leaves room for one offer", [shown("free", NOW - 3600, "email")], ALL[:1], channel="email", fallback=False),
    c203("two email shows in a day suppress every offer on email", [shown("free", NOW - 3600, "email"), shown("capped", NOW - 60, "email")],
         ["fallback"], channel="email", fallback=True, suppressed="channel_cap"),
    c203("the email cap does not limit the web", [shown("free", NOW - 3600, "email"), shown("free", NOW - 60, "email")], ALL, suppressed=None),
    c203("web shows do not count toward the email cap, which allows two offers", [shown("free", NOW - 3600), shown("free", NOW - 60)], ALL[:2], channel="email"),
    c203("email shows older than a day do not count", [shown("free", NOW - DAY - 1, "email"), shown("free", NOW - 60, "email")], ALL[:1], channel="email"),
    c203("a show stamped ahead of now (a fast clock) counts", [shown("capped", NOW - 60), shown("capped", NOW + 600)], ALL[1:], {"capped": "contact_policy"}),
]
total += write("203-decide-contact-policies.json", "decisions: caps, windows, cool-downs, stop after accept, channel caps", cases, now=NOW, catalog=cat203)

# ---------------------------------------------------------------- 204: groups, fallback, control group
cat204 = {
    "version": "v204", "default": {"id": "fallback", "kind": "content", "payload": {"banner": "newsletter"}},
    "control_group": {"share": 0.1, "salt": "q4"},
    "offers": [
        {"id": "pct-20", "group": "discount", "value": 20, "propensity": {"fixed": 0.3}},
        {"id": "pct-10", "group": "discount", "value": 10, "propensity": {"fixed": 0.5}},
        {"id": "ship", "group": "shipping", "value": 8, "propensity": {"fixed": 0.6}},
        {"id": "ship-express", "group": "shipping", "value": 12, "propensity": {"fixed": 0.2}},
        {"id": "guide", "value": 2, "propensity": {"fixed": 0.9}, "kind": "content"},
        {"id": "vip", "eligibility": "customer.known", "value": 100, "propensity": {"fixed": 0.5}},
    ]}
# scores: pct-20 6, pct-10 5, ship 4.8, ship-express 2.4, guide 1.8, vip 50
ids = ["customer-%d" % i for i in range(400)]
treated = [c for c in ids if bucket("q4", c) >= 0.1][:6]
control = [c for c in ids if bucket("q4", c) < 0.1][:6]
cases = []
for slots, picks in [(1, ["pct-20"]), (2, ["pct-20", "ship"]), (3, ["pct-20", "ship", "guide"]), (4, ["pct-20", "ship", "guide"]), (6, ["pct-20", "ship", "guide"])]:
    cases.append(dict(name=f"one offer per exclusion group, {slots} slot(s)", profile=dict(id=treated[0]), request=dict(channel="web", slots=slots),
        expect=dict(picks=picks, fallback=False, control_group=False, dropped={"pct-10": "exclusion_group", "ship-express": "exclusion_group"},
                    reasons={"pct-10": 'group "discount": "pct-20" ranked higher (score 6 vs 5)'})))
cases.append(dict(name="slots: the rest are dropped with their rank", profile=dict(id=treated[0]), request=dict(channel="web", slots=1),
    expect=dict(picks=["pct-20"], dropped={"ship": "slots", "guide": "slots"}, reasons={"ship": "ranked 2 with score 4.8; 1 slot", "guide": "ranked 3 with score 1.8; 1 slot"})))
cases.append(dict(name="a known customer gets the best first", profile=dict(id=treated[1], known=True), request=dict(channel="web", slots=3),
    expect=dict(picks=["vip", "pct-20", "ship"])))
for c in treated[2:6]:
    cases.append(dict(name=f"{c} is not in the control group", profile=dict(id=c), request=dict(channel="web", slots=2), expect=dict(picks=["pct-20", "ship"], control_group=False)))
for c in control:
    cases.append(dict(name=f"{c} is in the control group and gets only the default", profile=dict(id=c, known=True), request=dict(channel="web", slots=3),
        expect=dict(picks=["fallback"], fallback=True, control_group=True, suppressed="control_group")))
nothing = {"version": "v204-none", "default": {"id": "fallback"}, "offers": [{"id": "never", "eligibility": "customer.orders > 3"}]}
cases += [
    dict(name="nothing qualifies: the default", catalog=nothing, profile=dict(id="c"), request=dict(channel="web", slots=3), expect=dict(picks=["fallback"], fallback=True, suppressed=None)),
    dict(name="an empty catalog: the default", catalog={"version": "empty", "default": {"id": "fallback"}, "offers": []}, profile=dict(id="c"),
         request=dict(channel="store"), expect=dict(picks=["fallback"], fallback=True)),
    dict(name="share 0: nobody in the control group", catalog={**cat204, "control_group": {"share": 0, "salt": "q4"}}, profile=dict(id=control[0]),
         request=dict(channel="web"), expect=dict(picks=["pct-20"], control_group=False)),
    dict(name="another salt reshuffles", catalog={**cat204, "control_group": {"share": 0.1, "salt": "q1"}}, profile=dict(id=control[0]),
         request=dict(channel="web"), expect=dict(control_group=bucket("q1", control[0]) < 0.1)),
    dict(name="an objection to personalization leaves only the default", profile=dict(id=treated[0], known=True,
         events=[ev(NOW - 60, "consent_change", purpose="personalization", granted=False)]),
         request=dict(channel="web", slots=2), expect=dict(picks=["fallback"], fallback=True, suppressed="objection")),
    dict(name="zero slots is a bad request", profile=dict(id="c"), request=dict(channel="web", slots=0), expect=dict(error="invalid_request")),
    dict(name="17 slots is a bad request", profile=dict(id="c"), request=dict(channel="web", slots=17), expect=dict(error="invalid_request")),
    dict(name="16 slots is fine", profile=dict(id=treated[0]), request=dict(channel="web", slots=16), expect=dict(picks=["pct-20", "ship", "guide"])),
]
for salt, cust in [("q4", "customer-1"), ("", ""), ("salt", "visitor-7f3a"), ("2026", "c-ü")]:
    cases.append(dict(name=f"bucket of {cust!r} under salt {salt!r}", bucket=dict(salt=salt, customer=cust), expect=dict(value=bucket(salt, cust), bits=mix(fnv1a(salt, cust)) >> 11)))
total += write("204-decide-groups-fallback-control.json", "decisions: exclusion groups, slots, fallback, the control group", cases, now=NOW, catalog=cat204)

# ---------------------------------------------------------------- 205: catalog errors and warnings
def bad(name, cat, errors):
    return dict(name=name, catalog=cat, expect=dict(catalog_errors=errors))
def warn(name, cat, warnings):
    return dict(name=name, catalog=cat, expect=dict(warnings=warnings))
def one(**offer):
    return {"version": "v", "default": {"id": "fallback"}, "offers": [dict(id="x", **offer)]}
cases = [
    bad("an unknown path points at its line and column", one(eligibility="customer.known and\n  cart.valeu > 100"),
        [dict(place='offers["x"].eligibility', code="unknown_path", line=2, column=3)]),
    bad("a type mismatch", one(applicability='cart.value == "high"'), [dict(place='offers["x"].applicability', code="type_mismatch", line=1)]),
    bad("a condition that is not true or false", one(suitability="cart.value"), [dict(place='offers["x"].suitability', code="not_a_condition")]),
    bad("a syntax error", one(eligibility="customer.known and"), [dict(place='offers["x"].eligibility', code="syntax")]),
    bad("a value expression that is not a number", one(value='"ten"'), [dict(place='offers["x"].value', code="invalid_field")]),
    bad("every error is reported", {"version": "v", "default": {"id": "fallback"}, "offers": [
        {"id": "x", "eligibility": "nope"}, {"id": "y", "channels": ["fax"]}, {"id": "x"}]},
        [dict(place='offers["x"].eligibility', code="unknown_path"), dict(place='offers["y"].channels', code="invalid_field"), dict(place='offers["x"].id', code="duplicate_id")]),
    bad("the default's id is taken", {"version": "v", "default": {"id": "x"}, "offers": [{"id": "x"}]}, [dict(code="duplicate_id")]),
    bad("a bad duration", one(contact={"max_shows": 1, "window": "7 days"}), [dict(place='offers["x"].contact', code="invalid_field")]),
    bad("a cap needs a window", one(contact={"max_shows": 1}), [dict(place='offers["x"].contact')]),
    bad("a propensity above 1", one(propensity={"fixed": 1.5}), [dict(place='offers["x"].propensity.fixed')]),
    bad("a negative lever", one(lever=-1), [dict(place='offers["x"].lever')]),
    bad("a bad time", one(valid_from="24/11/2024"), [dict(place='offers["x"].valid_from')]),
    bad("a control share of 1", {"version": "v", "default": {"id": "f"}, "offers": [], "control_group": {"share": 1, "salt": "s"}}, [dict(place="control_group.share")]),
    bad("an unknown type", {"version": "v", "default": {"id": "f"}, "offers": [], "attributes": {"tier": "text"}}, [dict(place="attributes")]),
    bad("a reserved context key", {"version": "v", "default": {"id": "f"}, "offers": [], "context": {"channel": "string"}}, [dict(place="context")]),
    bad("an unknown field is a JSON error with line and column", {"version": "v", "default": {"id": "f"}, "offers": [{"id": "x", "eligibilty": "true"}]},
        [dict(place="catalog", code="invalid_json", line=1)]),
    bad("an empty version", {"version": " ", "default": {"id": "f"}, "offers": []}, [dict(place="version")]),
    warn("a contradiction", one(eligibility="cart.value > 100 and cart.value < 50"),
         [dict(place='offers["x"]', code="never_chosen", message="can never be eligible: `cart.value > 100` and `cart.value < 50` can never both hold")]),
    warn("a contradiction across eligibility and applicability", one(eligibility="customer.orders >= 3", applicability="customer.orders == 1"), [dict(code="never_chosen")]),
    warn("string equality contradiction", one(eligibility='session.referrer == "a" and session.referrer == "b"'), [dict(code="never_chosen")]),
    warn("a list membership contradiction", one(eligibility='customer.rfm.segment in ["champions", "loyal"] and customer.rfm.segment not in ["champions", "loyal"]'), [dict(code="never_chosen")]),
    warn("touching bounds are fine", one(eligibility="cart.value >= 100 and cart.value <= 100"), []),
    warn("an open bound meets a closed one", one(eligibility="cart.value > 100 and cart.value <= 100"), [dict(code="never_chosen")]),
    warn("a literal false", one(eligibility="false"), [dict(code="never_chosen", message="can never be eligible: `false` is always false")]),
    warn("a window in the past", one(valid_until="2024-01-01"), [dict(place='offers["x"].valid_until', code="never_chosen")]),
    warn("an empty window", one(valid_from="2030-02-01", valid_until="2030-01-01"), [dict(place='offers["x"].valid_until')]),
    warn("a channel no request carries", {"version": "v", "channels": ["web"], "default": {"id": "f"}, "offers": [{"id": "x", "channels": ["store"]}]},
         [dict(place='offers["x"].channels', code="never_chosen")]),
    warn("a lever of 0", one(lever=0), [dict(place='offers["x"].lever')]),
    bad("a cap above the 16 shows a profile keeps", one(contact={"max_shows": 17, "window": "7d"}), [dict(place='offers["x"].contact', code="invalid_field")]),
    bad("a fractional number of seconds", one(contact={"max_shows": 1, "window": 1.5}), [dict(place='offers["x"].contact')]),
    bad("too many context weights", {"version": "v", "default": {"id": "f"}, "offers": [], "context_weights": [{"weight": 1}] * 257}, [dict(place="context_weights")]),
    warn("strings ruled out one by one", one(eligibility='session.referrer != "a" and session.referrer != "b" and session.referrer in ["a", "b"]'),
         [dict(message='can never be eligible: `session.referrer != "a"`, `session.referrer != "b"` and `session.referrer in ["a", "b"]` can never all hold')]),
    warn("different paths do not contradict", one(eligibility="cart.value > 100 and customer.spend < 50"), []),
    warn("an or is not analysed", one(eligibility="(cart.value > 100 or cart.value < 50) and cart.value == 70"), []),
    dict(name="a clause starting with a parenthesised operand is printed canonically", catalog=one(eligibility="(cart.value + 1) > 10 and customer.known"),
         profile=dict(id="c"), request=dict(channel="web"), expect=dict(picks=["fallback"], reasons={"x": "cart.value + 1 > 10"})),
    dict(name="a clause ending in a parenthesised operand is printed canonically", catalog=one(eligibility="customer.known and 10 < (cart.value + 1)"),
         profile=dict(id="c", known=True), request=dict(channel="web"), expect=dict(picks=["fallback"], reasons={"x": "10 < cart.value + 1"})),
    dict(name="a missing propensity model", catalog=one(propensity={"model": "p_buy"}), expect=dict(engine_error="invalid_catalog")),
    dict(name="a propensity model from the models", catalog=one(propensity={"model": "p_buy"}),
         models={"version": 1, "propensities": [{"name": "p_buy", "intercept": 0, "features": [{"path": "cart.value", "weight": 0.01}]}]},
         profile=dict(id="c", events=cart(1, 10000)), request=dict(channel="web"),
         expect=dict(picks=["x"], picks_detail=[dict(propensity=0.7310585786300049, propensity_source="model:p_buy")])),
]
total += write("205-decide-catalog-checks.json", "catalogs: errors with their place, warnings for offers that can never be chosen", cases, now=NOW)
print(total, "cases")
