# Run from the repository root: python3 spec/vectors/tools/kpi_vectors.py
"""Writes spec/vectors/305 (live KPIs: what counts in each arm, merging nodes, the lift with its
95% intervals and verdict, and the binary form). The expectations follow spec/catalog.md ("Proof
that it pays"), computed here by a small model, not by the library: a customer counts once, in
the arm of the catalog's control group (the documented bucket of their id), when their first
session starts at or after `since`, with every purchase their profile knows (an order id seen
before is ignored); the revenue squares are each customer's total squared; the lift is the
normal approximation documented there, given only when each arm has 10 customers who bought and
10 who did not. Offers count in hourly and daily buckets (UTC, the newest 48 and 35): a
decision's picks once each in its segment at its time; an offer event for an offer the decision
showed in its segment at the event's time; a new order to the offer accepted last within 7 days
before the latest purchase, with segment ""."""
import json
import math
import sys

sys.path.insert(0, "spec/vectors/tools")
from model import bucket, varint, zigzag  # noqa: E402

NOW = 1795500000
DAY = 86400
Z = 1.959963984540054
Z80 = 0.8416212335729143
MIN = 10
SALT, SHARE = "lift", 0.5
CATALOG = {"version": "kpi", "default": {"id": "tips"}, "offers": [], "control_group": {"share": SHARE, "salt": SALT}}


def ev(at, kind, **kw):
    return dict(at=at, channel="web", type=kind, **kw)


def session(at):
    return ev(at, "session_start")


def buy(at, order, total):
    return ev(at, "purchase", order=order, total=total, lines=[dict(product="tent", quantity=1, unit_price=total)])


def count(nodes, since):
    """Both arms' counts: [customers, converters, orders, revenue, revenue squares]."""
    arms = {False: [0] * 5, True: [0] * 5}
    for node in nodes:
        for p in node:
            first, orders, total, seen = None, 0, 0, set()
            for e in p["events"]:
                if e["type"] == "session_start":
                    first = e["at"] if first is None else min(first, e["at"])
                elif e["type"] == "purchase" and e["order"] not in seen:
                    seen.add(e["order"])
                    orders, total = orders + 1, total + e["total"]
            if first is None or first < since:
                continue
            a = arms[bucket(SALT, p["id"]) < SHARE]
            for i, v in enumerate([1, int(orders > 0), orders, total, total * total]):
                a[i] += v
    return arms


def arm_json(a):
    return dict(customers=a[0], converters=a[1], orders=a[2], revenue=a[3], revenue_squares=str(a[4]))


def lift(t, c):
    """The lift of spec/catalog.md, as JSON."""
    def stats(a):
        n = a[0]
        if n == 0:
            return n, 0.0, 0.0, 0.0
        mean = a[3] / n
        var = max((a[4] - n * mean * mean) / (n - 1), 0.0) if n > 1 else 0.0
        return n, min(a[1] / n, 1.0), mean, var

    (nt, pt, mt, vt), (nc, pc, mc, vc) = stats(t), stats(c)
    enough = all(a[1] >= MIN and a[0] - a[1] >= MIN for a in (t, c))

    def around(v, h):
        return dict(value=v, low=v - h, high=v + h)

    def rel(log_ratio, h):
        return dict(value=math.exp(log_ratio) - 1, low=math.exp(log_ratio - h) - 1, high=math.exp(log_ratio + h) - 1)

    conversion = dict(treatment=pt, control=pc, absolute=None, relative=None)
    revenue = dict(treatment=mt, control=mc, absolute=None, relative=None)
    if enough:
        conversion["absolute"] = around(pt - pc, Z * math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc))
        conversion["relative"] = rel(math.log(pt / pc), Z * math.sqrt((1 - pt) / (nt * pt) + (1 - pc) / (nc * pc)))
        revenue["absolute"] = around(mt - mc, Z * math.sqrt(vt / nt + vc / nc))
        if mt > 0 and mc > 0:
            revenue["relative"] = rel(math.log(mt / mc), Z * math.sqrt(vt / (nt * mt * mt) + vc / (nc * mc * mc)))
    if nt == 0 or nc == 0:
        verdict = dict(verdict="no_control")
    elif conversion["absolute"]:
        d = conversion["absolute"]
        if d["low"] > 0 or d["high"] < 0:
            verdict = dict(verdict="significant", better=d["value"] > 0)
        else:
            more = None
            if pt != pc:
                k = nt / nc  # today's split: the control needs n_c, the treatment k times as many
                n_c = (Z + Z80) ** 2 * (pt * (1 - pt) / k + pc * (1 - pc)) / (pt - pc) ** 2
                more = max(math.ceil(n_c * (1 + k) - (nt + nc)), 1)
            verdict = dict(verdict="inconclusive", more=more)
    else:
        total = t[0] + c[0]
        pooled = min((t[1] + c[1]) / total, 1.0)
        more = None
        if 0 < pooled < 1:
            def short(a):
                n = a[0]
                edge = 1 / (n + 1)  # an arm with no buyer yet counts as 1 in n + 1
                q = min(max(a[1] / n, edge), 1 - edge)
                return max(math.ceil(MIN / min(q, 1 - q)) - n, 0) / (n / total)
            more = max(math.ceil(max(short(t), short(c))), 1)
        verdict = dict(verdict="not_enough_data", more=more)
    return dict(treatment_customers=nt, control_customers=nc, conversion=conversion, revenue_per_customer=revenue,
                verdict=verdict)


def string(text):
    return varint(len(text.encode())) + text.encode()


def encode(since, t, c, offers=(), segments=(), hours=(), days=()):
    """The envelope (magic SKK\\x01, version 1 little-endian) around postcard: `since` (zigzag),
    then each arm, treatment first: customers, converters, orders (varints), revenue (zigzag),
    revenue squares (a 128-bit varint); then the offers: the offer names, the segment names, and
    the hourly then daily buckets, each its start (zigzag) and rows of (offer index, segment
    index, decisions, shows, accepts, dismisses, orders, revenue as a zigzag)."""
    out = bytearray(b"SKK\x01" + (1).to_bytes(2, "little")) + zigzag(since)
    for a in (t, c):
        out += varint(a[0]) + varint(a[1]) + varint(a[2]) + zigzag(a[3]) + varint(a[4])
    for names in (offers, segments):
        out += varint(len(names)) + b"".join(string(n) for n in names)
    for level in (hours, days):
        out += varint(len(level))
        for start, rows in level:
            out += zigzag(start) + varint(len(rows))
            for row in rows:
                out += b"".join(varint(v) for v in row[:7]) + zigzag(row[7])
    return bytes(out).hex()


def kpis_json(since, t, c, offers=None):
    out = dict(since=since, treatment=arm_json(t), control=arm_json(c), lift=lift(t, c))
    if offers is not None:
        out["offers"] = offers
    return out


HOUR = 3600
COUNTS = ["decisions", "shows", "accepts", "dismisses", "orders", "revenue"]
WINDOW = 7 * DAY


def offer_rows(decisions, nodes):
    """The offers' buckets: {"hours": [rows], "days": [rows]}, rows sorted by time, offer, segment."""
    levels = {HOUR: {}, DAY: {}}

    def add(at, offer, segment, field, value=1):
        for length, level in levels.items():
            key = (at // length * length, offer, segment)
            level.setdefault(key, dict.fromkeys(COUNTS, 0))[field] += value

    for d in decisions:
        record = d["record"]
        for pick in record["picks"]:
            add(record["now"], pick["offer"], record["segment"], "decisions")
        showed = {p["offer"] for p in record["picks"]} if not record["fallback"] else set()
        for e in d["events"]:
            field = {"offer_shown": "shows", "offer_accepted": "accepts", "offer_dismissed": "dismisses"}.get(e["type"])
            if field and e["offer"] in showed:
                add(e["at"], e["offer"], record["segment"], field)
    for node in nodes:
        for p in node:
            accepted, orders, last, seen = {}, 0, None, set()
            for e in p["events"]:
                if e["type"] == "offer_accepted":
                    accepted[e["offer"]] = max(accepted.get(e["offer"], e["at"]), e["at"])
                elif e["type"] == "purchase" and e["order"] not in seen:
                    seen.add(e["order"])
                    last = e["at"] if last is None else max(last, e["at"])
                    touch = max(((t, o) for o, t in accepted.items() if t <= last and last - t <= WINDOW), default=None)
                    if touch:
                        add(last, touch[1], "", "orders")
                        add(last, touch[1], "", "revenue", e["total"])
    out = {}
    for name, length, keep in (("hours", HOUR, 48), ("days", DAY, 35)):
        starts = sorted({k[0] for k in levels[length]})[-keep:]
        out[name] = [dict(at=k[0], offer=k[1], segment=k[2], **v) for k, v in sorted(levels[length].items())
                     if k[0] in starts]
    return out


def pid(i, control):
    """The i-th id whose bucket puts it in the control group (or not)."""
    k = 0
    while True:
        candidate = f"v{i}-{k}"
        if (bucket(SALT, candidate) < SHARE) == control:
            return candidate
        k += 1


def profile(i, control, *events):
    return dict(id=pid(i, control), events=list(events))


node1 = [
    profile(1, False, session(NOW - 3 * DAY), buy(NOW - 3 * DAY + 60, "o1", 4000), buy(NOW - 3 * DAY + 90, "o1", 4000),
            buy(NOW - DAY, "o2", 1500)),
    profile(2, False, session(NOW - 2 * DAY)),
    profile(3, True, session(NOW - 2 * DAY), buy(NOW - 2 * DAY + 10, "o3", 2500)),
    profile(4, True, buy(NOW - 9 * DAY, "o4", 9900), session(NOW - DAY)),
    profile(5, False, session(NOW - 9 * DAY), buy(NOW - DAY, "o5", 700)),
]
node2 = [profile(6, True, session(NOW - DAY)), profile(7, False, session(NOW - DAY), buy(NOW - 100, "o6", 300))]
cases = []


def counting(name, nodes, since):
    t, c = (count(nodes, since)[k] for k in (False, True))
    cases.append(dict(name=name, catalog=CATALOG, kpis=dict(since=since, nodes=nodes),
                      expect=dict(kpis=kpis_json(since, t, c))))


counting("one node: a customer once, with what their profile knows; arms by the control group", [node1], NOW - 5 * DAY)
counting("two nodes merge by adding", [node1, node2], NOW - 5 * DAY)
counting("since 0 counts every customer", [node2, node1], 0)
counting("no customer yet", [[dict(id="t", events=[buy(NOW - DAY, "o9", 100)])]], 0)


def record(now, segment, *offers, fallback=False):
    return dict(catalog_version="kpi", schema="0000000000000000", customer="c", channel="web", now=now, seed=1,
                slots=len(offers), segment=segment, control_group=False, fallback=fallback,
                picks=[dict(offer=o, probability=1.0) for o in offers])


decisions = [
    dict(record=record(NOW - 3 * HOUR, "members", "free-shipping", "tent-kit"),
         events=[ev(NOW - 3 * HOUR + 5, "offer_shown", offer="free-shipping"),
                 ev(NOW - 3 * HOUR + 60, "offer_accepted", offer="free-shipping"),
                 ev(NOW - 3 * HOUR + 70, "offer_dismissed", offer="tent-kit"),
                 ev(NOW - 3 * HOUR + 80, "offer_accepted", offer="welcome-10")]),  # not shown by it
    dict(record=record(NOW - 2 * DAY - 10, "visitors", "welcome-10"),
         events=[ev(NOW - 2 * DAY, "offer_accepted", offer="welcome-10")]),
    dict(record=record(NOW - HOUR, "visitors", "tips", fallback=True),
         events=[ev(NOW - HOUR + 1, "offer_accepted", offer="tips")]),  # a fallback shows no offer
]
buyers = [[
    profile(20, False, session(NOW - 3 * DAY), ev(NOW - 3 * DAY + 10, "offer_accepted", offer="welcome-10"),
            buy(NOW - 3 * DAY + 600, "b1", 4900), buy(NOW - 2 * HOUR, "b2", 1200)),
    profile(21, True, session(NOW - 9 * DAY), ev(NOW - 9 * DAY + 10, "offer_accepted", offer="free-shipping"),
            ev(NOW - 8 * DAY, "offer_accepted", offer="tent-kit"), buy(NOW - HOUR, "b3", 900)),
]]
t, c = (count(buyers, 0)[k] for k in (False, True))
cases.append(dict(name="offers: decisions, shows, accepts and dismisses in hourly and daily buckets; last-touch revenue",
                  catalog=CATALOG, kpis=dict(since=0, nodes=buyers, decisions=decisions),
                  expect=dict(kpis=kpis_json(0, t, c, offer_rows(decisions, buyers)))))
old = [dict(record=record(NOW - 60 * DAY + i * HOUR, "", f"o{i % 3}"), events=[]) for i in range(60)]
cases.append(dict(name="offers: only the newest 48 hourly and 35 daily buckets are kept", catalog=CATALOG,
                  kpis=dict(since=0, nodes=[], decisions=old),
                  expect=dict(kpis=dict(offers=offer_rows(old, [])))))


def decoded(name, t, c, since=NOW):
    cases.append(dict(name=name, kpis_hex=encode(since, t, c), expect=dict(kpis=kpis_json(since, t, c))))


def arm(n, buyers, per_buyer):
    """n customers, `buyers` of whom each paid `per_buyer` (minor units)."""
    return [n, buyers, buyers, buyers * per_buyer, buyers * per_buyer * per_buyer]


decoded("lift: significant (6.0% against 4.0% of 1,000)", arm(1000, 60, 5000), arm(1000, 40, 5000))
cases.append(dict(name="bytes: offers' buckets by name index", kpis_hex=encode(
    NOW, [0] * 5, [0] * 5, offers=["a", "b"], segments=["", "vip"],
    hours=[(NOW // 3600 * 3600, [(0, 1, 3, 2, 1, 0, 0, 0), (1, 0, 0, 0, 0, 0, 1, 700)])],
    days=[(NOW // 86400 * 86400, [(1, 1, 1, 1, 0, 1, 0, 0)])]),
    expect=dict(kpis=dict(offers=dict(
        hours=[dict(at=NOW // 3600 * 3600, offer="a", segment="vip", decisions=3, shows=2, accepts=1, dismisses=0,
                    orders=0, revenue=0),
               dict(at=NOW // 3600 * 3600, offer="b", segment="", decisions=0, shows=0, accepts=0, dismisses=0,
                    orders=1, revenue=700)],
        days=[dict(at=NOW // 86400 * 86400, offer="b", segment="vip", decisions=1, shows=1, accepts=0, dismisses=1,
                   orders=0, revenue=0)])))))
decoded("lift: inconclusive, with the customers that would tell", arm(10000, 500, 3000), arm(10000, 490, 3100))
decoded("lift: inconclusive, arms alike", arm(10000, 500, 3000), arm(10000, 500, 3000))
decoded("lift: treatment worse", arm(5000, 150, 4000), arm(5000, 250, 4000))
decoded("lift: not enough data, with an estimate", arm(100, 5, 1000), arm(100, 3, 1000))
decoded("lift: no control group", arm(100, 5, 1000), [0, 0, 0, 0, 0])
decoded("lift: a control group of 5%, more customers at today's split", arm(1900, 100, 2000), arm(100, 2, 2000))
decoded("lift: an arm with no buyer yet counts as 1 in n + 1", arm(1000, 100, 2000), arm(1000, 0, 0))
decoded("lift: inconclusive at a 9-to-1 split", arm(9000, 495, 3000), arm(1000, 50, 3000))
decoded("lift: merged counts with more converters than customers read as all bought", [3, 5, 5, 500, 50000],
        arm(100, 50, 100))
decoded("lift: spread revenue (squares above the mean's)", [2000, 120, 130, 600000, 6000000000],
        [2000, 90, 95, 400000, 3000000000])
cases += [
    dict(name="bytes: more converters than orders", kpis_hex=encode(NOW, [1, 2, 1, 10, 100], [0] * 5),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: negative revenue", kpis_hex=encode(NOW, [1, 1, 1, -10, 100], [0] * 5),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: a since out of range", kpis_hex=encode(-1, [0] * 5, [0] * 5), expect=dict(error="decode_invalid")),
    dict(name="bytes: a trailing byte", kpis_hex=encode(NOW, [0] * 5, [0] * 5) + "00",
         expect=dict(error="decode_trailing_bytes")),
    dict(name="bytes: a row naming no offer", kpis_hex=encode(NOW, [0] * 5, [0] * 5, offers=["a"], segments=[""],
                                                               hours=[(NOW // 3600 * 3600, [(1, 0, 1, 0, 0, 0, 0, 0)])]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: an hourly bucket off the hour", kpis_hex=encode(NOW, [0] * 5, [0] * 5, offers=["a"], segments=[""],
                                                                       hours=[(NOW + 1, [(0, 0, 1, 0, 0, 0, 0, 0)])]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: a row listed twice", kpis_hex=encode(NOW, [0] * 5, [0] * 5, offers=["a"], segments=[""],
                                                            hours=[(NOW // 3600 * 3600, [(0, 0, 1, 0, 0, 0, 0, 0)] * 2)]),
         expect=dict(error="decode_invalid")),
]

with open("spec/vectors/305-kpis.json", "w") as f:
    json.dump(dict(title="live KPIs: the arms, merges, the lift with its intervals and verdict, bytes", now=NOW,
                   cases=cases), f, indent=1)
    f.write("\n")
