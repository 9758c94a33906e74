# Run from the repository root: python3 spec/vectors/tools/learn_vectors.py
"""Writes spec/vectors/301-learning.json: learner updates, decay, merges, and adaptive decisions
under a seed. Expectations come from an independent Python model of spec/learning.md."""
import json, math

from model import Stream, fnv1a, mix

NOW = 1795500000
DAY = 86400

class Learner:
    def __init__(s, half_life): s.h = half_life; s.arms = {}
    def decay(s, dt): return 1.0 if dt <= 0 else 2 ** (-dt / s.h)
    def at(s, arm, to):
        f = s.decay(to - arm[2]); return (arm[0] * f, arm[1] * f)
    def plus(s, a, b):
        t = max(a[2], b[2]); x, y = s.at(a, t), s.at(b, t)
        return (x[0] + y[0], x[1] + y[1], t)
    def update(s, offer, segment, response, t):
        one = (1.0 if response == "accepted" else 0.0, 0.0 if response == "accepted" else 1.0, t)
        key = (offer, segment)
        s.arms[key] = s.plus(s.arms[key], one) if key in s.arms else s.plus((0.0, 0.0, t), one)
    def merge(s, other):
        for key, arm in other.arms.items():
            s.arms[key] = s.plus(s.arms[key], arm) if key in s.arms else arm
    def counts(s, offer, segment, now):
        arm = s.arms.get((offer, segment))
        return (0.0, 0.0) if arm is None else s.at(arm, now)

def build(spec):
    l = Learner(spec["half_life"])
    for u in spec.get("updates", []): l.update(*u)
    for other in spec.get("merge", []):
        m = Learner(spec["half_life"])
        for u in other: m.update(*u)
        l.merge(m)
    return l

cases = []
def counts_case(name, spec, reads):
    l = build(spec)
    cases.append(dict(name=name, learner=spec,
        expect=dict(counts=[[o, s, t, *l.counts(o, s, t)] for o, s, t in reads])))

W = 7 * DAY
counts_case("one accept, read at once", dict(half_life=W, updates=[["a", "", "accepted", NOW]]), [["a", "", NOW], ["b", "", NOW]])
counts_case("a dismiss and an ignore are both rejects", dict(half_life=W, updates=[["a", "", "dismissed", NOW], ["a", "", "ignored", NOW]]), [["a", "", NOW]])
for k in [1, 2, 3, 10]:
    counts_case(f"counts halve every half-life: {k} half-lives", dict(half_life=W, updates=[["a", "", "accepted", NOW]] * 4), [["a", "", NOW + k * W]])
counts_case("a read before the clock gives the counts at the clock", dict(half_life=W, updates=[["a", "", "accepted", NOW]]), [["a", "", NOW - DAY]])
counts_case("a late response adds its decayed weight", dict(half_life=W, updates=[["a", "", "accepted", NOW], ["a", "", "dismissed", NOW - W]]), [["a", "", NOW], ["a", "", NOW + W]])
counts_case("responses in time order", dict(half_life=DAY, updates=[["a", "s", "accepted", NOW + k * 3600] for k in range(10)]), [["a", "s", NOW + 10 * 3600]])
counts_case("the same responses in reverse order", dict(half_life=DAY, updates=[["a", "s", "accepted", NOW + k * 3600] for k in reversed(range(10))]), [["a", "s", NOW + 10 * 3600]])
counts_case("segments are apart", dict(half_life=W, updates=[["a", "gold", "accepted", NOW], ["a", "silver", "dismissed", NOW]]), [["a", "gold", NOW], ["a", "silver", NOW], ["a", "", NOW]])
counts_case("a one-minute half-life", dict(half_life=60, updates=[["a", "", "accepted", NOW]]), [["a", "", NOW + 60], ["a", "", NOW + 600]])
counts_case("merge adds after aligning the clocks", dict(half_life=W, updates=[["a", "", "accepted", NOW]], merge=[[["a", "", "dismissed", NOW + W]]]), [["a", "", NOW + W]])
counts_case("merge keeps arms only one side has", dict(half_life=W, updates=[["a", "", "accepted", NOW]], merge=[[["b", "x", "dismissed", NOW]]]), [["a", "", NOW], ["b", "x", NOW]])
counts_case("merging three learners", dict(half_life=DAY, updates=[["a", "", "accepted", NOW]], merge=[[["a", "", "accepted", NOW + 3600]], [["a", "", "ignored", NOW + 7200]]]), [["a", "", NOW + 7200], ["a", "", NOW + 2 * DAY]])
counts_case("merging an older learner", dict(half_life=DAY, updates=[["a", "", "accepted", NOW + DAY]], merge=[[["a", "", "accepted", NOW]]]), [["a", "", NOW + DAY]])
cases.append(dict(name="learners with other half-lives do not merge", learner=dict(half_life=W, updates=[["a", "", "accepted", NOW]], merge_half_life=DAY, merge=[[["a", "", "accepted", NOW]]]), expect=dict(error="invalid_data")))
cases.append(dict(name="an empty offer id is rejected", learner=dict(half_life=W, updates=[["", "", "accepted", NOW]]), expect=dict(error="empty_id")))
cases.append(dict(name="a half-life under a minute is rejected", learner=dict(half_life=59, updates=[]), expect=dict(error="invalid_number")))

# Beta draws of the documented stream
for seed, a, b in [(0, 1, 1), (1, 1, 1), (42, 2, 18), (7, 0.5, 0.5), (123456789, 31, 11), (99, 1, 9), (2024, 0.2, 3), (5, 400, 600), (18446744073709551615, 3, 3)]:
    cases.append(dict(name=f"beta({a}, {b}) of seed {seed}", beta=dict(seed=seed, a=a, b=b), expect=dict(value=Stream(seed).beta(a, b))))

# Adaptive decisions: propensity = max(floor, beta(prior + counts)) from the stream seeded with the tie key.
catalog = {"version": "learn", "default": {"id": "fallback"},
           "learning": {"segment": "if customer.known then \"members\" else \"visitors\"", "half_life": "7d", "floor": 0.05},
           "offers": [{"id": "a", "value": 10, "propensity": {"adaptive": {"prior": [1, 9]}}},
                      {"id": "b", "value": 8, "propensity": {"adaptive": {"prior": [2, 2]}}},
                      {"id": "c", "value": 1, "propensity": {"fixed": 0.9}}]}
priors = {"a": (1, 9), "b": (2, 2)}
values = {"a": 10, "b": 8, "c": 1}
def probabilities(learner, segment, seed, slots, now, picks):
    """The share of 257 draws (the request's seed, then its stream's 256) that put each pick at its rank."""
    stream = Stream(seed)
    hits = [0] * len(picks)
    for k in range(257):
        draw = [p[0] for p in decide(learner, segment, seed if k == 0 else stream.next(), slots, now, logged=False)]
        for r, p in enumerate(picks):
            hits[r] += int(r < len(draw) and draw[r] == p[0])
    return [h / 257 for h in hits]

def decide(learner, segment, seed, slots, now, logged=True):
    scores = []
    for oid in ["a", "b", "c"]:
        if oid == "c":
            p = 0.9
        else:
            s, f = learner.counts(oid, segment, now)
            p = max(0.05, Stream(mix(seed ^ fnv1a(oid))).beta(priors[oid][0] + s, priors[oid][1] + f))
        scores.append((oid, p, p * values[oid]))
    key = lambda x: (-x[2], mix(seed ^ fnv1a(x[0])), ["a", "b", "c"].index(x[0]))
    return sorted(scores, key=key)[:slots]
train = dict(half_life=W, updates=[["a", "members", "accepted" if k % 2 else "dismissed", NOW - k * 60] for k in range(30)]
                                   + [["b", "members", "dismissed", NOW - k * 60] for k in range(30)])
learner = build(train)
for seed in [0, 1, 2, 3, 17, 4242, 987654321]:
    for known, segment in [(True, "members"), (False, "visitors")]:
        picks = decide(learner, segment, seed, 3, NOW)
        probs = probabilities(learner, segment, seed, 3, NOW, picks)
        cases.append(dict(name=f"adaptive, {segment}, seed {seed}", catalog=catalog, learner=train,
                          profile=dict(id="c", known=known), request=dict(channel="web", slots=3, seed=seed),
                          expect=dict(picks=[p[0] for p in picks], segment=segment,
                                      picks_detail=[dict(propensity=p[1], score=p[2], probability=q, propensity_source="adaptive" if p[0] != "c" else "fixed") for p, q in zip(picks, probs)])))
cases.append(dict(name="adaptive without a learner samples the prior", catalog=catalog, profile=dict(id="c"), request=dict(channel="web", slots=3, seed=5),
                  expect=dict(picks=[p[0] for p in decide(Learner(W), "visitors", 5, 3, NOW)])))

tie_catalog = {"version": "ties", "default": {"id": "fallback"}, "offers": [{"id": "x", "value": 1}, {"id": "y", "value": 1}, {"id": "z", "value": 3}]}
for seed in [0, 11]:
    stream = Stream(seed); hits = {"x": 0, "y": 0}
    key = lambda o, sd: (mix(sd ^ fnv1a(o)), ["x", "y"].index(o))
    mine = min(["x", "y"], key=lambda o: key(o, seed))
    for k in range(257):
        sd = seed if k == 0 else stream.next()
        hits[min(["x", "y"], key=lambda o: key(o, sd))] += 1
    cases.append(dict(name=f"a tie decided by the seed has a logged probability, seed {seed}", catalog=tie_catalog, profile=dict(id="c"),
                      request=dict(channel="web", slots=2, seed=seed),
                      expect=dict(picks=["z", mine], picks_detail=[dict(probability=1.0), dict(probability=hits[mine] / 257)])))

# Off-policy estimates
def ope(logs, z):
    n = len(logs)
    w = [t / l for l, t, r in logs]
    wr = [wi * r for wi, (l, t, r) in zip(w, logs)]
    v = sum(wr) / n
    var = max(0.0, (sum(x * x for x in wr) - n * v * v) / (n - 1)) if n > 1 else 0.0
    se = math.sqrt(var / n)
    ess = sum(w) ** 2 / sum(x * x for x in w) if sum(x * x for x in w) > 0 else 0.0
    out = {"ipw": dict(value=v, std_error=se, low=v - z * se, high=v + z * se, effective_sample_size=ess)}
    if sum(w) > 0:
        sv = sum(wr) / sum(w)
        sse = math.sqrt(sum((wi * (r - sv)) ** 2 for wi, (l, t, r) in zip(w, logs))) / sum(w)
        out["snipw"] = dict(value=sv, std_error=sse, low=sv - z * sse, high=sv + z * sse, effective_sample_size=ess)
    return out
ope_cases = [
    ("the logging policy itself: every weight is 1", [[0.5, 0.5, 1], [0.5, 0.5, 0], [0.25, 0.25, 1], [0.25, 0.25, 0]], 1.96),
    ("a deterministic target on uniform logs", [[0.25, 1, 1], [0.25, 0, 1], [0.25, 1, 0], [0.25, 0, 0], [0.25, 1, 1]], 1.96),
    ("large weights", [[0.01, 1, 1], [0.5, 0.5, 0], [0.9, 0.1, 1], [0.2, 0.6, 0]], 1.96),
    ("rewards other than 0 and 1", [[0.5, 0.2, 12.5], [0.2, 0.9, 3.0], [0.3, 0.3, 0.0]], 1.0),
    ("one logged decision", [[0.5, 1, 1]], 1.96),
    ("z of 0 gives a point", [[0.5, 0.5, 1], [0.5, 1, 0]], 0.0),
    ("a target that never shows what was logged", [[0.5, 0, 1], [0.5, 0, 0]], 1.96),
]
for name, logs, z in ope_cases:
    cases.append(dict(name=f"off-policy: {name}", ope=dict(logs=logs, z=z), expect=ope(logs, z)))
for name, logs in [("a logging probability of 0", [[0, 1, 1]]), ("a target above 1", [[0.5, 1.5, 1]]), ("no logs", [])]:
    cases.append(dict(name=f"off-policy: {name} is rejected", ope=dict(logs=logs, z=1.96), expect=dict(error="invalid_data")))

doc = dict(title="learning: updates, decay, merges, beta draws and adaptive decisions under a seed", now=NOW, cases=cases)
with open("spec/vectors/301-learning.json", "w") as f:
    json.dump(doc, f, indent=1); f.write("\n")
print(len(cases), "cases")
