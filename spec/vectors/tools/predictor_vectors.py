# Run from the repository root: python3 spec/vectors/tools/predictor_vectors.py
"""Writes spec/vectors/308-predictors.json: predictor models (binning, two time scales, the
surprise and the change it reads, pooled intervals, caps, merges) and the decisions that sample
from them. The expectations come from this independent model of spec/learning.md ("Predictors"),
not from the library."""
import json, math, re

from model import Stream, fnv1a, mix

NOW = 1795500000
DAY = 86400
TAU2 = 0.25   # EFFECT_PRIOR_VARIANCE
CHANGE = 0.1  # CHANGE_PRIOR_VARIANCE
POOL_Z2 = 4.0 # POOL_Z2
MAX_PREDICTORS, MAX_BINS = 32, 64   # a model keeps those of the smallest (hash, text)

def decay(dt, h): return 1.0 if dt <= 0 else 2 ** (-dt / h)

def order(key):
    name, value = key.split("=", 1)
    return (fnv1a(name), name, fnv1a(value), value)

def shares(keys):
    names = [k.split("=", 1)[0] for k in keys]
    return [1.0 / names.count(n) for n in names]

def estimate(c, total):
    """A bin's long log odds ratio against its predictor's total, and its variance."""
    ta, tr = total[0], total[1]
    pi = min(max((ta + 0.5) / (ta + tr + 1.0), 1e-9), 1 - 1e-9)
    a, r = c[0] + pi, c[1] + 1.0 - pi
    return math.log(a / r) - math.log(pi / (1.0 - pi)), 1.0 / a + 1.0 / r

def change(c, f=1.0):
    """The change the surprise shows, decayed by f: sum(y - p) / (sum p(1 - p) + 1/CHANGE)."""
    return f * c[4] / (f * c[5] + 1.0 / CHANGE)

def interval_start(value):
    """Where an interval bin (`[50,200)`, `(-inf,50)`, `-[2,4)`) starts; None for other values."""
    negative = value.startswith("-")
    rest = value[1:] if negative else value
    if rest[:1] not in ("[", "(") or not rest.endswith(")") or rest.count(",") != 1: return None
    texts = rest[1:-1].split(",")
    # Numbers as bins write them: JSON's with a small e, finite, or inf (not every form float()
    # reads: `1_0`, ` 5`, `+5`, `nan`, `01`, `1e400`).
    json_number = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?(e[+-]?[0-9]+)?"
    def number(t):
        if t in ("inf", "-inf"): return float(t)
        if re.fullmatch(json_number, t) and math.isfinite(float(t)): return float(t)
        return None
    low, high = (number(t) for t in texts)
    if low is None or high is None or not low < high: return None
    return -high if negative else low

def pools(total, bins):
    """Each bin's pool: neighbouring intervals merged, the closest pair first, while their log odds
    ratios are less than 2 standard errors apart; each bin alone unless all are intervals."""
    out = {v: list(c) for v, c in bins.items()}
    starts = {v: interval_start(v) for v in bins}
    if any(x is None for x in starts.values()): return out
    # No response in two bins (a list's elements can be).
    if sum(c[0] + c[1] for c in bins.values()) > (total[0] + total[1]) * (1 + 1e-9) + 1e-9: return out
    groups = [[list(bins[v]), [v]] for v in sorted(bins, key=lambda v: (starts[v], v))]
    def dist(a, b):
        (wa, va), (wb, vb) = estimate(a, total), estimate(b, total)
        return (wa - wb) ** 2 / (va + vb)
    while len(groups) > 1:
        d = [dist(groups[i][0], groups[i + 1][0]) for i in range(len(groups) - 1)]
        i = d.index(min(d))
        if d[i] >= POOL_Z2: break
        c, vs = groups.pop(i + 1)
        groups[i][0] = [a + b for a, b in zip(groups[i][0], c)]
        groups[i][1] += vs
    for c, vs in groups:
        for v in vs: out[v] = c
    return out

def sc(c, f):
    """A count [long accepts, long rejects, recent accepts, recent rejects, surprise sum(y - p),
    sum p(1 - p)] decayed by the factors (long, recent)."""
    return [c[0] * f[0], c[1] * f[0], c[2] * f[1], c[3] * f[1], c[4] * f[1], c[5] * f[1]]

def kept_with(held, new, cap):
    """Caps: `held` (predictors by name, or bins by value) keeps the `cap` of the smallest
    (fnv1a, text). With `new`, whether it would be kept (None if not); without, drops the largest
    past the cap."""
    rank = lambda t: (fnv1a(t), t)
    if new is not None:
        return True if sum(1 for t in held if rank(t) < rank(new)) < cap else None
    if len(held) > cap: del held[max(held, key=rank)]

class Model:
    """An offer's model as of `at`: its totals, and per predictor its total and its bins, each a
    count of six numbers (sc)."""
    def __init__(s, at, h):
        s.at, s.h = at, h
        s.totals = [0.0] * 6
        s.predictors = {}   # name -> [total, {value: counts}]
    def factors(s, dt): return (decay(dt, s.h[0]), decay(dt, s.h[1]))
    def scale(s, f):
        s.totals = sc(s.totals, f)
        for p in s.predictors.values():
            p[0] = sc(p[0], f)
            for v in p[1]: p[1][v] = sc(p[1][v], f)
    def effect(s, key, with_change=True):
        """The shrunk evidence of a bin (with its change), its variance and the change, or None
        if the model has not seen it."""
        name, value = key.split("=", 1)
        p = s.predictors.get(name)
        if p is None or value not in p[1]: return None
        pool = pools(p[0], p[1])[value]
        w, var = estimate(pool, p[0])
        keep = TAU2 / (TAU2 + var)
        moved = change(pool) - change(p[0]) if with_change else 0.0
        return w * keep + moved, var * keep, moved
    def predict_long(s, keys):
        x = math.log((s.totals[0] + 0.5) / (s.totals[1] + 0.5))
        for key, share in zip(keys, shares(keys)):
            e = s.effect(key, with_change=False)
            if e: x += share * e[0]
        return 1.0 / (1.0 + math.exp(-x))
    def update(s, keys, accepted, at):
        if at >= s.at:
            s.scale(s.factors(at - s.at)); s.at = at; weight = (1.0, 1.0)
        else:
            weight = s.factors(s.at - at)
        y = 1.0 if accepted else 0.0
        i = 0 if accepted else 1
        def add(c): c[i] += weight[0]; c[2 + i] += weight[1]
        add(s.totals)
        previous = None
        for key in keys:
            name, value = key.split("=", 1)
            if name not in s.predictors:
                if kept_with(s.predictors, name, MAX_PREDICTORS) is None: continue
                s.predictors[name] = [[0.0] * 6, {}]
                kept_with(s.predictors, None, MAX_PREDICTORS)
            total, bins = s.predictors[name]
            if previous != name: add(total); previous = name
            if value not in bins:
                if kept_with(bins, value, MAX_BINS) is None: continue
                bins[value] = [0.0] * 6
                add(bins[value])
                kept_with(bins, None, MAX_BINS)
            else: add(bins[value])
        p = s.predict_long(keys)   # after counting the response
        kept, previous = [s.totals], None   # the counts the model keeps get the surprise
        for key in keys:
            name, value = key.split("=", 1)
            if name not in s.predictors: continue
            total, bins = s.predictors[name]
            if previous != name: kept.append(total); previous = name
            if value in bins: kept.append(bins[value])
        for c in kept: c[4] += weight[1] * (y - p); c[5] += weight[1] * p * (1 - p)
    def plus(s, o):
        at = max(s.at, o.at)
        out = Model(at, s.h)
        for m in (s, o):
            f = m.factors(at - m.at)
            out.totals = [a + b for a, b in zip(out.totals, sc(m.totals, f))]
            for name, (total, bins) in m.predictors.items():
                mine = out.predictors.setdefault(name, [[0.0] * 6, {}])
                mine[0] = [a + b for a, b in zip(mine[0], sc(total, f))]
                for v, c in bins.items():
                    mine[1][v] = [a + b for a, b in zip(mine[1].get(v, [0.0] * 6), sc(c, f))]
        while len(out.predictors) > MAX_PREDICTORS: kept_with(out.predictors, None, MAX_PREDICTORS)
        for _, bins in out.predictors.values():
            while len(bins) > MAX_BINS: kept_with(bins, None, MAX_BINS)
        return out
    def counts(s, key, now):
        """The four counts of the totals (""), a predictor or a bin, decayed to `now`."""
        if key == "": c = s.totals
        elif "=" not in key: c = s.predictors.get(key, [[0.0] * 6])[0]
        else:
            name, value = key.split("=", 1)
            c = s.predictors.get(name, [None, {}])[1].get(value, [0.0] * 6)
        return sc(c, s.factors(now - s.at))[:4]

class Learner:
    def __init__(s, h, recent=None):
        s.h = (h, recent if recent is not None else max(h // 16, 60)); s.models = {}
    def update(s, offer, segment, response, at, bins=None):
        if bins is None: return   # an update without bins leaves the models alone
        keys = sorted(bins, key=order)
        if offer not in s.models: s.models[offer] = Model(at, s.h)
        s.models[offer].update(keys, response == "accepted", at)
    def merge(s, other):
        for offer, m in other.models.items():
            s.models[offer] = s.models[offer].plus(m) if offer in s.models else m

def build(spec):
    l = Learner(spec["half_life"], spec.get("recent_half_life"))
    for u in spec.get("updates", []): l.update(*u)
    for other in spec.get("merge", []):
        m = Learner(spec["half_life"], spec.get("recent_half_life"))
        for u in other: m.update(*u)
        l.merge(m)
    return l

def js_number(x):
    return str(int(x)) if x == int(x) and abs(x) < 1e21 else repr(x)

def number_bin(x, thresholds):
    if thresholds is not None:
        i = sum(1 for t in thresholds if t <= x)
        low = "(-inf" if i == 0 else "[" + js_number(thresholds[i - 1])
        high = "inf)" if i == len(thresholds) else js_number(thresholds[i]) + ")"
        return low + "," + high
    sign = "-" if x < 0 else ""
    m = abs(x)
    if m < 1: return sign + "[0,1)"
    _, e = math.frexp(m)          # m = f 2^e with f in [0.5, 1): exact, unlike log2
    low = math.ldexp(1.0, e - 1)
    high = "inf" if low * 2 == math.inf else js_number(low * 2)
    return sign + "[" + js_number(low) + "," + high + ")"

def request_bins(predictors, context):
    keys = []
    for p in predictors:
        v = context.get(p["value"].split(".", 1)[1])
        if v is None: continue
        if isinstance(v, bool): values = ["true" if v else "false"]
        elif isinstance(v, (int, float)): values = [number_bin(float(v), p.get("bins"))]
        elif isinstance(v, str): values = [v]
        else: values = list(v)
        for value in values:
            key = p["name"] + "=" + value
            if len(value.encode()) <= 64 and key not in keys and len(keys) < 64: keys.append(key)
    return sorted(keys, key=order)

def log_odds(model, prior, now, keys):
    counts = model.counts("", now) if model else [0.0] * 4
    a, r = counts[0] + prior[0], counts[1] + prior[1]
    moved = change(model.totals, decay(now - model.at, model.h[1])) if model else 0.0
    mean, var = math.log(a / r) + moved, 1.0 / a + 1.0 / r
    spread = weight = 0.0
    explained = []
    if model:
        for key, share in zip(keys, shares(keys)):
            e = model.effect(key)
            if e is None: continue
            mean += share * e[0]; spread += share * e[1]; weight += share
            name, value = key.split("=", 1)
            c = pools(*model.predictors[name])[value]
            explained.append((share * e[0], key, c[0], c[1], share * e[2]))
    if weight > 0: var += spread / weight
    return mean, var, explained

cases = []

def model_case(name, spec, reads):
    l = build(spec)
    out = []
    for offer, key, at in reads:
        m = l.models.get(offer)
        out.append([offer, key, at] + (m.counts(key, at) if m else [0.0] * 4))
    cases.append({"name": name, "learner": spec, "expect": {"counts": [], "model_counts": out}})

def U(offer, response, at, bins, segment=""):
    return [offer, segment, response, at, bins]

H = 7 * DAY
base_bins = ["source=affiliate", "spend=[50,200)", "tent=true"]
model_case("one accept counts in the totals, each predictor and each bin, on both scales",
           {"half_life": H, "updates": [U("a", "accepted", NOW, base_bins)]},
           [("a", "", NOW), ("a", "source", NOW), ("a", "source=affiliate", NOW),
            ("a", "spend=[50,200)", NOW), ("a", "source=search", NOW), ("b", "", NOW)])
model_case("a list predictor's total counts a response once, each element's bin once",
           {"half_life": H, "updates": [U("a", "ignored", NOW, ["tags=tents", "tags=boots", "tags=socks"])]},
           [("a", "tags", NOW), ("a", "tags=boots", NOW), ("a", "", NOW)])
model_case("recent counts halve every recent half-life, long ones every half-life",
           {"half_life": H, "recent_half_life": DAY,
            "updates": [U("a", "accepted", NOW, ["source=email"]), U("a", "dismissed", NOW, ["source=email"])]},
           [("a", "source=email", NOW + DAY), ("a", "source=email", NOW + 7 * DAY), ("a", "", NOW + 2 * DAY)])
model_case("a late response adds its decayed weight on each scale",
           {"half_life": H, "recent_half_life": DAY,
            "updates": [U("a", "accepted", NOW, ["source=email"]), U("a", "accepted", NOW - DAY, ["source=email", "tent=false"])]},
           [("a", "source=email", NOW), ("a", "tent=false", NOW), ("a", "tent", NOW)])
model_case("merging aligns the models to the later clock and adds every count",
           {"half_life": H, "updates": [U("a", "accepted", NOW, ["source=email", "spend=[0,1)"]),
                                        U("b", "ignored", NOW, ["source=email"])],
            "merge": [[U("a", "dismissed", NOW + DAY, ["source=search", "spend=[0,1)"]),
                       U("c", "accepted", NOW, ["tent=true"])]]},
           [("a", "", NOW + DAY), ("a", "spend=[0,1)", NOW + DAY), ("a", "source=search", NOW + DAY),
            ("a", "source=email", NOW + 2 * DAY), ("b", "source", NOW + DAY), ("c", "tent=true", NOW)])
many = ["item=v%d" % k for k in range(70)]
kept_items = sorted(many, key=order)[:MAX_BINS]
model_case("a predictor keeps the 64 bins of the smallest value hashes, in whatever order they came",
           {"half_life": H, "updates": [U("a", "accepted" if k % 3 == 0 else "ignored", NOW + k, [key])
                                        for k, key in enumerate(many)]},
           [("a", "item", NOW + 70), ("a", kept_items[0], NOW + 70), ("a", kept_items[-1], NOW + 70),
            ("a", sorted(many, key=order)[MAX_BINS], NOW + 70), ("a", sorted(many, key=order)[-1], NOW + 70)])
names = ["p%d=x" % k for k in range(40)]
ranked = sorted(names, key=order)
model_case("a model keeps the 32 predictors of the smallest name hashes; merged, the caps hold",
           {"half_life": H, "updates": [U("a", "accepted", NOW, names[:20]), U("a", "ignored", NOW + 1, names[20:])],
            "merge": [[U("a", "accepted", NOW + 2, names[10:30])]]},
           [("a", "", NOW + 2), ("a", ranked[0].split("=")[0], NOW + 2), ("a", ranked[31], NOW + 2),
            ("a", ranked[32].split("=")[0], NOW + 2), ("a", ranked[39], NOW + 2)])
model_case("a response without bins counts in the totals; an update without them leaves models alone",
           {"half_life": H, "updates": [U("a", "accepted", NOW, ["source=email"]), U("a", "ignored", NOW, []),
                                        ["a", "", "accepted", NOW], ["b", "", "accepted", NOW]]},
           [("a", "", NOW), ("a", "source", NOW), ("b", "", NOW)])
for bad, code in [(["source"], "invalid_data"), (["=x"], "invalid_data"), (["a b=x"], "invalid_data"),
                  (["source=x", "source=x"], "invalid_data"), (["source=" + "v" * 65], "invalid_data"),
                  (["p%d=x" % i for i in range(65)], "limit_exceeded")]:
    cases.append({"name": "a bad bin list is refused: %s" % bad[0][:20],
                  "learner": {"half_life": H, "updates": [U("a", "accepted", NOW, bad)]},
                  "expect": {"error": code}})

# Decisions: three adaptive offers, the request's bins from its context.
PREDICTORS = [
    {"name": "source", "value": "context.source"},
    {"name": "spend", "value": "context.spend", "bins": [50, 200]},
    {"name": "tent", "value": "context.tent"},
    {"name": "tags", "value": "context.tags"},
    {"name": "visits", "value": "context.visits"},
]
PRIORS = {"a": [1, 9], "b": [2, 18], "c": [1, 4]}
VALUES = {"a": 10, "b": 12, "c": 6}
CATALOG = {
    "version": "predictors", "default": {"id": "fallback"},
    "context": {"source": "string", "spend": "number", "tent": "bool", "tags": "list", "visits": "number"},
    "learning": {"half_life": "7d", "floor": 0.01, "predictors": PREDICTORS},
    "offers": [{"id": o, "value": VALUES[o], "propensity": {"adaptive": {"prior": PRIORS[o]}}} for o in "abc"],
}

def history(seed):
    """A learner's updates: who accepted what, from a fixed world."""
    s = Stream(seed); ups = []
    sources = ["search", "affiliate", "email"]
    for k in range(60):
        offer = "abc"[s.next() % 3]
        source = sources[s.next() % 3]
        spend = [20, 80, 400][s.next() % 3]
        tent = s.next() % 2 == 1
        liked = (offer == "a" and source == "affiliate") or (offer == "b" and tent) or (offer == "c" and spend > 200)
        accepted = s.open01() < (0.5 if liked else 0.08)
        bins = ["source=" + source, "spend=" + number_bin(spend, [50, 200]), "tent=" + ("true" if tent else "false")]
        if k % 5 == 0: bins.append("tags=tents")
        ups.append(U(offer, "accepted" if accepted else "ignored", NOW - 3600 * (60 - k), bins))
    return ups

def decision_case(name, context, updates, seed, merge=None):
    spec = {"half_life": H, "updates": updates}
    if merge: spec["merge"] = merge
    l = build(spec)
    keys = request_bins(PREDICTORS, context)
    best = None
    details = {}
    for offer in "abc":
        m = l.models.get(offer)
        mean, var, explained = log_odds(m, PRIORS[offer], NOW, keys)
        st = Stream(mix(seed ^ fnv1a(offer)))
        x = mean + math.sqrt(var) * st.normal()
        p = max(0.01, 1.0 / (1.0 + math.exp(-x)))
        score = p * VALUES[offer]
        explained.sort(key=lambda e: (-abs(e[0]), e[1]))
        details[offer] = {"propensity": p, "propensity_source": "adaptive"}
        if explained:
            details[offer]["predictors"] = [{"bin": k, "odds": math.exp(e), "accepts": a, "rejects": r, "change": ch}
                                            for e, k, a, r, ch in explained[:5]]
        if best is None or score > best[1]: best = (offer, score)
    cases.append({"name": name, "catalog": CATALOG, "context": context,
                  "profile": {"id": "c", "known": True, "events": []},
                  "request": {"channel": "web", "slots": 1, "seed": seed, "now": NOW},
                  "learner": spec,
                  "expect": {"picks": [best[0]], "scores": [best[1]],
                             "picks_detail": [details[best[0]]],
                             "log": {"predictors": sorted(keys)}}})

ctx = {"source": "affiliate", "spend": 120.5, "tent": True, "tags": ["tents", "boots", "tents"], "visits": 5}
decision_case("no learner yet: each offer draws around its prior", ctx, [], 3)
for seed in (1, 2, 7, 42):
    decision_case("learned predictors, seed %d" % seed, ctx, history(11), seed)
decision_case("another customer, other bins", {"source": "search", "spend": 900, "tent": False, "visits": 0.5}, history(11), 5)
decision_case("a missing value is in no bin", {"source": "email"}, history(11), 9)
decision_case("a number just below a power of two is in the power below", {"source": "email", "visits": 127.99999999999999, "spend": 50}, history(11), 10)
decision_case("merged learners decide as one", ctx, history(11)[:30], 4, merge=[history(11)[30:]])
drift = history(11) + [U("a", "ignored", NOW - 600 + k, ["source=affiliate", "spend=[50,200)", "tent=true"]) for k in range(40)]
decision_case("a change: the long counts mispredict recent responses, and the evidence moves by the surprise", ctx, drift, 6)
rise = history(11) + [U("c", "accepted", NOW - 900 + 20 * k, ["source=affiliate", "spend=[50,200)", "tent=true"]) for k in range(12)]
decision_case("a change raises an offer: its receipt shows the change of its bins", ctx, rise, 6)

def visits_history(seed):
    """Offer a is liked by customers of 10 visits or more: the powers of two that answer alike
    pool ([0,2), [2,32) and [32,128) with these responses), those that differ keep apart."""
    s = Stream(seed); ups = []
    for k in range(160):
        visits = [0.5, 1.5, 3, 5, 6, 12, 20, 40, 100][s.next() % 9]
        accepted = s.open01() < (0.7 if visits >= 10 else 0.25)
        ups.append(U("a", "accepted" if accepted else "ignored", NOW - 600 * (160 - k),
                     ["source=email", "visits=" + number_bin(visits, None)]))
    return ups
decision_case("number bins fitted from data: neighbouring powers of two that answer alike pool their counts", {"source": "email", "visits": 5}, visits_history(3), 8)
decision_case("number bins fitted from data: a customer of many visits", {"source": "email", "visits": 40}, visits_history(3), 8)

out = {"title": "Predictors: bins, two time scales, the surprise and its change, pooled intervals, caps, merges, and the decisions that sample from them", "now": NOW, "cases": cases}
with open("spec/vectors/308-predictors.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote spec/vectors/308-predictors.json:", len(cases), "cases")
