# Run from the repository root: python3 spec/vectors/tools/cohort_vectors.py
"""Writes spec/vectors/304 (live cohort counts: what counts, merging nodes, the shrunk
conversion that `cohort.conversion` reads, decisions with them, and their binary form). The
expectations follow spec/scores.md ("Live cohorts"), computed here by a small model of the
counts, not by the library: a profile counts from its first session on, in the source of that
session, when that session started at or after the counts' `since`; its first session makes a
visitor; new orders (an order id seen before is ignored) add
their number and revenue, the first a first purchase; nodes merge by adding; the conversion is
(first purchases + prior * p) / (visitors + prior), p being every source's first purchases over
every source's visitors, at most 1."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import varint, zigzag  # noqa: E402
from urllib.parse import urlsplit

NOW = 1795500000
DAY = 86400
PRIOR = 20.0


def ev(at, kind, channel="web", **kw):
    return dict(at=at, channel=channel, type=kind, **kw)


def session(at, affiliate=None, referrer=None, channel="web"):
    kw = {k: v for k, v in dict(affiliate=affiliate, referrer=referrer).items() if v}
    return ev(at, "session_start", channel=channel, **kw)


def buy(at, order, total):
    return ev(at, "purchase", order=order, total=total, lines=[dict(product="tent", quantity=1, unit_price=total)])


def host(referrer):
    rest = referrer.split("://", 1)[1] if "://" in referrer else referrer
    h = urlsplit("//" + rest).hostname or ""
    return h[4:] if h.startswith("www.") else h


def source_of(first, by):
    """The source named by the first session: (at, channel, referrer, affiliate)."""
    if first is None:
        return None
    value = {"affiliate": first[3], "referrer": first[2] and host(first[2]), "channel": first[1]}[by]
    return value or "(none)"


def valid(e):
    """The events these cases make invalid: a negative total."""
    return not (e["type"] == "purchase" and e["total"] < 0)


def count(nodes, by, since=0):
    """Every node's counts, summed: {source: [visitors, first purchases, orders, revenue]}."""
    counts = {}
    for node in nodes:
        for profile in node:
            first, orders, revenue, seen = None, 0, 0, set()
            for e in profile["events"]:
                if not valid(e):
                    continue  # rejected: nothing changes, nothing counts
                before = (first is not None, orders, revenue)
                if e["type"] == "session_start":
                    candidate = (e["at"], e["channel"], e.get("referrer"), e.get("affiliate"))
                    first = candidate if first is None or candidate[0] < first[0] else first
                elif e["type"] == "purchase" and e["order"] not in seen:
                    seen.add(e["order"])
                    orders, revenue = orders + 1, revenue + e["total"]
                if first is None or first[0] < since:
                    continue
                change = [int(not before[0]), int(before[1] == 0 and orders > 0), orders - before[1],
                          revenue - before[2] if orders > before[1] else 0]
                if any(change):
                    c = counts.setdefault(source_of(first, by), [0, 0, 0, 0])
                    for i in range(4):
                        c[i] += change[i]
    return counts


def as_json(counts, by, since=0):
    keys = ["visitors", "first_purchases", "orders", "revenue"]
    return {"by": by, "since": since, "sources": {s: dict(zip(keys, c)) for s, c in sorted(counts.items())}}


def conversion(counts, source, prior=PRIOR):
    visitors = sum(c[0] for c in counts.values())
    if visitors == 0:
        return None
    population = sum(c[1] for c in counts.values()) / visitors
    own = counts.get(source, [0, 0, 0, 0])
    w = own[0] / (own[0] + prior)
    mine = own[1] / own[0] if own[0] else 0.0
    return min(w * mine + (1 - w) * population, 1.0)


def profile(pid, *events):
    return dict(id=pid, events=list(events))


# Node 1: two visitors from gadgets.com, one buys twice (an order delivered twice counts once);
# one from search who later comes through gadgets.com (the first session names the source); a
# till customer whose purchase comes before any session (no source then).
node1 = [
    profile("a1", session(NOW - 9 * DAY, "gadgets.com"), buy(NOW - 9 * DAY + 60, "o1", 4000),
            buy(NOW - 9 * DAY + 90, "o1", 4000), buy(NOW - 2 * DAY, "o2", 1500)),
    profile("a2", session(NOW - 8 * DAY, "gadgets.com")),
    profile("a3", session(NOW - 7 * DAY, "search"), session(NOW - 6 * DAY, "gadgets.com"),
            buy(NOW - 6 * DAY + 30, "o3", 2500)),
    profile("a4", buy(NOW - 5 * DAY, "o4", 9900), session(NOW - 4 * DAY)),
]
# Node 2: more visitors from gadgets.com and search, counted on another server.
node2 = [
    profile("b1", session(NOW - 3 * DAY, "gadgets.com"), buy(NOW - 3 * DAY + 10, "o5", 7000)),
    profile("b2", session(NOW - 3 * DAY, "search")),
    profile("b3", session(NOW - 2 * DAY, "search")),
]
visitor = dict(id="new", events=[session(NOW - 60, "gadgets.com")])
value = "cohort.visitors * 1000 + cohort.conversion"
catalog = {"version": "live-cohorts", "default": {"id": "fallback"},
           "offers": [{"id": "welcome-10", "value": value}]}
cases = []


def decision(name, nodes, visitor=visitor, models=None, by="affiliate", catalog=catalog, source="gadgets.com",
             prior=PRIOR, since=0):
    counts = count(nodes, by, since)
    expect = dict(cohorts=as_json(counts, by, since))
    if nodes is None or conversion(counts, source, prior) is None:
        expect.update(picks=["fallback"], dropped={"welcome-10": "score"})
    else:
        score = counts.get(source, [0])[0] * 1000 + conversion(counts, source, prior)
        expect.update(picks=["welcome-10"], scores=[score])
    case = dict(name=name, catalog=catalog, profile=visitor, cohorts=dict(since=since, nodes=nodes),
                request=dict(channel="web", seed=1), expect=expect)
    if models:
        case["models"] = models
    cases.append(case)


decision("one node: visitors once, first purchases once, orders and revenue", [node1])
decision("two nodes merge by adding", [node1, node2])
decision("the order of the nodes does not matter", [node2, node1])
decision("a source no visitor came from converts like the population", [node1, node2],
         visitor=dict(id="new", events=[session(NOW - 60, "elsewhere.example")]), source="elsewhere.example")
decision("a visitor without an affiliate is in the (none) cohort", [node1, node2],
         visitor=dict(id="new", events=[session(NOW - 60)]), source="(none)")
decision("no visitor yet: the conversion is missing and the offer is dropped", [[profile("t", buy(NOW - DAY, "o9", 100))]])
fitted = {"version": 3, "cohorts": {"by": "referrer", "prior": 5.0,
                                     "population": {"customers": 10, "repeat_rate": 0.2, "aov": 40.0, "clv": 50.0},
                                     "sources": {}}}
referred = [[profile("r1", session(NOW - 9 * DAY, referrer="https://www.Gadgets.com/tents"), buy(NOW - 9 * DAY + 5, "r", 3000)),
             profile("r2", session(NOW - 8 * DAY, affiliate="gadgets.com", referrer="http://blog.example/x"))]]
decision("counts follow the models' key and prior: by referrer host, pulled by 5 visitors", referred,
         visitor=dict(id="new", events=[session(NOW - 60, referrer="https://gadgets.com/")]), models=fitted, by="referrer",
         prior=5.0)
decision("counts follow the visitors who arrived since `since`", [node1, node2], since=NOW - 5 * DAY)
late = [[profile("l1", session(NOW - 2 * DAY, "gadgets.com"), session(NOW - 3 * DAY, "search"),
                 buy(NOW - DAY, "l", 2000), buy(NOW - DAY, "bad", -5))]]
decision("a late, earlier session names the source from then on; a rejected event counts nothing", late,
         visitor=dict(id="new", events=[session(NOW - 60, "search")]), source="search")
# Without counts the live paths are missing: the value drops the offer.
cases.append(dict(name="without counts, cohort.visitors and cohort.conversion are missing", catalog=catalog,
                  profile=visitor, request=dict(channel="web", seed=1),
                  expect=dict(picks=["fallback"], dropped={"welcome-10": "score"})))


def encode(by, sources, since=0):
    """The envelope (magic SKC\\x01, version 1 little-endian) around postcard: the key as a
    variant index, `since` as a zigzag varint, then the sources as a list of (name, visitors,
    first purchases, orders, revenue as a zigzag varint)."""
    out = bytearray(b"SKC\x01" + (1).to_bytes(2, "little"))
    out += varint(["affiliate", "referrer", "channel"].index(by)) + zigzag(since) + varint(len(sources))
    for name, (v, f, o, r) in sources:
        out += varint(len(name.encode())) + name.encode() + varint(v) + varint(f) + varint(o)
        out += zigzag(r)
    return bytes(out).hex()


good = [("gadgets.com", (3, 2, 3, 12500)), ("search", (2, 0, 0, 0))]
cases += [
    dict(name="bytes: the documented layout decodes", cohorts_hex=encode("affiliate", good, since=NOW),
         expect=dict(cohorts=as_json({s: list(c) for s, c in good}, "affiliate", since=NOW))),
    dict(name="bytes: a since out of range", cohorts_hex=encode("affiliate", good, since=-1),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: a source listed twice", cohorts_hex=encode("affiliate", good[:1] * 2),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: more first purchases than orders", cohorts_hex=encode("channel", [("web", (1, 2, 1, 10))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: negative revenue", cohorts_hex=encode("channel", [("web", (1, 1, 1, -10))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: an empty source name", cohorts_hex=encode("channel", [("", (1, 0, 0, 0))]),
         expect=dict(error="decode_invalid")),
    dict(name="bytes: a learner's magic", cohorts_hex="534b4c01" + encode("channel", [])[8:],
         expect=dict(error="decode_bad_magic")),
    dict(name="bytes: a trailing byte", cohorts_hex=encode("channel", []) + "00",
         expect=dict(error="decode_trailing_bytes")),
]

with open("spec/vectors/304-live-cohorts.json", "w") as f:
    json.dump(dict(title="live cohort counts: visitors, first purchases, merges, the conversion decisions read, bytes",
                   now=NOW, cases=cases), f, indent=1)
    f.write("\n")
