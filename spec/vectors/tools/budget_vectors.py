# Run from the repository root: python3 spec/vectors/tools/budget_vectors.py
"""Writes spec/vectors/306-budgets.json: budget counters counted from events on several nodes and
merged, decisions that drop a spent budget's offer and throttle a paced one with the seed (and
count the throttle in the logged probability), and the counters' bytes. The expectations follow
spec/catalog.md ("Budgets and pacing"), computed here by a small model of the counters, the
pacing rule and the throttle's draw, not by the Rust code."""
import datetime
import json

from model import Stream, fnv1a, mix, varint, zigzag

ANCHOR = 345_600  # Monday 1970-01-05T00:00:00Z
MIDNIGHT = 1_796_083_200  # 2026-12-01T00:00:00Z
HOUR, DAY = 3_600, 86_400
NOW = MIDNIGHT + 6 * HOUR
SALT = 0x7061_6369_6e67
DRAWS = 256


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(s):
    for unit, size in (("d", DAY), ("h", HOUR), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def number(x):
    """A float as Rust's `Display` writes it (integral values without a fraction)."""
    return str(int(x)) if x == int(x) else repr(x)


def start(at, per):
    return ANCHOR + (at - ANCHOR) // per * per


def shown(offer, at):
    return dict(type="offer_shown", at=at, channel="web", offer=offer)


def accepted(offer, at):
    return dict(type="offer_accepted", at=at, channel="web", offer=offer)


def budget_of(offer):
    b = offer.get("budget")
    if not b:
        return None
    limit = "accepts" if "max_accepts" in b else "shows"
    per = {"1d": DAY, "1h": HOUR}[b["per"]]
    return limit, b["max_" + limit], per


def count(catalog, nodes):
    """Each node's counters from its events, merged by adding (the later period first)."""
    offers = {o["id"]: budget_of(o) for o in catalog["offers"]}
    merged = {}
    for node in nodes:
        mine = {}
        for e in node:
            b = offers.get(e["offer"])
            if e["type"] not in ("offer_shown", "offer_accepted") or not b:
                continue
            period = (start(e["at"], b[2]), b[2])
            have = mine.get(e["offer"])
            if have and have[1] == b[2] and period[0] < have[0]:
                continue
            if not have or have[1] != b[2] or period[0] > have[0]:
                have = [period[0], period[1], 0, 0]
            have[2 if e["type"] == "offer_shown" else 3] += 1
            mine[e["offer"]] = have
        key = lambda s: (s[0] + s[1], s[1], s[0])  # the period that ends later first
        for oid, s in mine.items():
            m = merged.get(oid)
            if not m or key(s) > key(m):
                merged[oid] = list(s)
            elif key(s) == key(m):
                m[2] += s[2]
                m[3] += s[3]
    return merged


def as_json(counts):
    return {"offers": {oid: dict(start=s[0], per=s[1], shows=s[2], accepts=s[3])
                       for oid, s in sorted(counts.items())}}


def pace(budget, spent, now, pacing):
    limit, mx, per = budget
    s = start(now, per)
    if pacing.get("rule") == "asap":
        allowed, p = float(mx), 1.0
    else:
        ahead = pacing.get("ahead", 1.0 / 24.0)
        elapsed = (now - s) / per
        left = (s + per - now) / per
        if ahead < left:
            allowed, lead = mx * (elapsed + ahead), ahead
        else:
            allowed, lead = float(mx), left
        p = min(max((allowed - spent) / (mx * lead), 0.0), 1.0)
    if spent >= mx:
        p = 0.0
    return allowed, p, s + per


def reason(budget, spent, allowed, p, until):
    limit, mx, per = budget
    if spent >= mx:
        return f"budget spent: {spent} of {mx} {limit} per {duration(per)} (renews {utc(until)})"
    return (f"paced: {spent} of {mx} {limit} per {duration(per)} spent, {number(float(int(allowed)))} allowed by now; "
            f"passes with probability {number(p)}")


def place(seed, oid):
    return (mix(mix(seed ^ fnv1a(oid)) ^ SALT) >> 11) / float(1 << 53)


def ranked(scored, slots, seed):
    keyed = sorted((-score, mix(seed ^ fnv1a(oid)), i, oid) for i, (oid, score) in enumerate(scored))
    return [k[3] for k in keyed][:slots]


def decide(catalog, counts, now, seed, slots):
    pacing = catalog.get("pacing", {})
    fixed, paced, dropped, reasons = [], [], {}, {}
    for o in catalog["offers"]:
        score = o["propensity"]["fixed"] * o["value"]
        b = budget_of(o)
        if b:
            have = counts.get(o["id"])
            spent = 0
            if have and (have[0], have[1]) == (start(now, b[2]), b[2]):
                spent = have[3] if b[0] == "accepts" else have[2]
            allowed, p, until = pace(b, spent, now, pacing)
            if p <= 0:
                dropped[o["id"]] = "budget"
                reasons[o["id"]] = reason(b, spent, allowed, p, until)
                continue
            if p < 1:
                paced.append((o["id"], score, p, reason(b, spent, allowed, p, until)))
                continue
        fixed.append((o["id"], score))

    def draw(s):
        passing = [(oid, sc) for oid, sc, p, _ in paced if place(s, oid) < p]
        by_catalog = [x for o in catalog["offers"] for x in fixed + passing if x[0] == o["id"]]
        return ranked(by_catalog, slots, s)

    picks = draw(seed)
    for oid, _, p, words in paced:
        if place(seed, oid) >= p:
            dropped[oid] = "budget"
            reasons[oid] = words
    if paced:
        hits = [1] * len(picks)
        stream = Stream(seed)
        for _ in range(DRAWS):
            again = draw(stream.next())
            for r, oid in enumerate(picks):
                hits[r] += r < len(again) and again[r] == oid
        probabilities = [h / (DRAWS + 1) for h in hits]
    else:
        probabilities = [1.0] * len(picks)
    return picks or ["fallback"], probabilities if picks else [1.0], dropped, reasons


def offers():
    return [
        {"id": "free-shipping", "propensity": {"fixed": 0.5}, "value": 10,
         "budget": {"max_accepts": 48, "per": "1d"}},
        {"id": "gift-wrap", "propensity": {"fixed": 0.5}, "value": 6, "budget": {"max_shows": 3, "per": "1h"}},
        {"id": "welcome-10", "propensity": {"fixed": 0.5}, "value": 4},
    ]


def catalog(pacing=None):
    c = {"version": "budgets", "default": {"id": "fallback"}, "offers": offers()}
    if pacing:
        c["pacing"] = pacing
    return c


cases = []


def decision(name, nodes, seed=1, slots=1, pacing=None, now=NOW):
    cat = catalog(pacing)
    counts = count(cat, nodes)
    picks, probabilities, dropped, reasons = decide(cat, counts, now, seed, slots)
    expect = dict(budgets=as_json(counts), picks=picks,
                  picks_detail=[dict(probability=p) for p in probabilities])
    if dropped:
        expect.update(dropped=dropped, reasons=reasons)
    cases.append(dict(name=name, now=now, catalog=cat, profile=dict(id="c1"), budgets=dict(nodes=nodes),
                      request=dict(channel="web", slots=slots, seed=seed), expect=expect))


def accepts(n, offer="free-shipping", first=MIDNIGHT + 60):
    return [accepted(offer, first + 60 * k) for k in range(n)]


# 13 accepts by 06:00 of 48 a day: the plan allows 12 + 2 = 14, so the throttle passes half.
half = [accepts(7), accepts(6, first=MIDNIGHT + 2 * HOUR)]
decision("nothing spent: the best offer, with probability 1", [[]])
for seed in range(1, 7):
    decision(f"13 of 48 accepts at 06:00, two nodes: throttled with probability 1/2, seed {seed}", half, seed=seed)
decision("two slots under a throttle: each rank's logged probability", half, seed=3, slots=2)
decision("12 of 48 accepts at 06:00: at the plan, not throttled", [accepts(12)])
decision("14 of 48 accepts at 06:00: a whole lead ahead, held back", [accepts(10), accepts(4)])
decision("48 of 48 accepts: spent until midnight", [accepts(40), accepts(8)])
decision("yesterday's accepts do not count today", [accepts(48, first=MIDNIGHT - DAY + 60), accepts(2)])
decision("a late event of an older period is not counted", [accepts(2) + [accepted("free-shipping", MIDNIGHT - 10)]])
decision("shows and dismissals of an offer without a budget are not counted",
         [[shown("welcome-10", NOW - 5), dict(type="offer_dismissed", at=NOW - 4, channel="web", offer="free-shipping")]])
decision("3 of 3 shows this hour: the hourly budget is spent", [accepts(48), [shown("gift-wrap", NOW - k) for k in (5, 4, 3)]])
decision("shows of the hour before do not count", [accepts(48), [shown("gift-wrap", NOW - HOUR + 30 * k) for k in range(3)]])
decision("23:30, on the plan: the lead has shrunk to what is left, and the offer passes", [accepts(47)],
         now=MIDNIGHT + DAY - HOUR // 2)
for seed in (21, 22):
    decision(f"23:15, ahead of the plan by less than the shrunk lead: throttled, seed {seed}",
             [accepts(46), accepts(1, first=MIDNIGHT + 3600)], seed=seed, now=MIDNIGHT + DAY - 3 * HOUR // 4)
decision("asap pacing: no throttle before the budget is spent", [accepts(40)], pacing={"rule": "asap"})
decision("even pacing with a lead of a quarter", [accepts(20)], seed=4, pacing={"rule": "even", "ahead": 0.25})
for seed in (11, 12):
    decision(f"even pacing with a lead of a quarter, further ahead, seed {seed}", [accepts(21)], seed=seed,
             pacing={"rule": "even", "ahead": 0.25})


def encode(entries):
    """The envelope (magic SKB\\x01, version 1 little-endian) around postcard: a list of (offer
    id, period start and length as zigzag varints, shows, accepts)."""
    out = bytearray(b"SKB\x01" + (1).to_bytes(2, "little")) + varint(len(entries))
    for oid, (s, per, shows, acc) in entries:
        out += varint(len(oid.encode())) + oid.encode() + zigzag(s) + zigzag(per) + varint(shows) + varint(acc)
    return out.hex()


good = [("free-shipping", (MIDNIGHT, DAY, 3, 1)), ("gift-wrap", (MIDNIGHT + 5 * HOUR, HOUR, 2, 0))]
cases += [
    dict(name="bytes: the documented layout decodes", budgets_hex=encode(good),
         expect=dict(budgets=as_json({o: list(s) for o, s in good}))),
    dict(name="bytes: a period not aligned to its length", budgets_hex=encode([("x", (MIDNIGHT + 1, DAY, 1, 0))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: a period shorter than a minute", budgets_hex=encode([("x", (MIDNIGHT, 30, 1, 0))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: nothing counted", budgets_hex=encode([("x", (MIDNIGHT, DAY, 0, 0))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: an offer listed twice", budgets_hex=encode(good[:1] * 2), expect=dict(error="decode_invalid")),
    dict(name="bytes: an empty offer id", budgets_hex=encode([("", (MIDNIGHT, DAY, 1, 0))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: a trailing byte", budgets_hex=encode(good) + "00", expect=dict(error="decode_trailing_bytes")),
    dict(name="bytes: another magic", budgets_hex="534b4301" + encode(good)[8:], expect=dict(error="decode_bad_magic")),
]

with open("spec/vectors/306-budgets.json", "w") as f:
    json.dump(dict(title="Budgets and pacing: counters merged from nodes, spent and paced offers, bytes",
                   cases=cases), f, indent=1)
    f.write("\n")
print(f"306-budgets.json: {len(cases)} cases")
