# Run from the repository root: python3 spec/vectors/tools/contract_vectors.py
"""Writes spec/vectors/206: the decision's JSON, its log record and the inputs every binding must
refuse the same way (a context of another schema, a segment too long for a learner, a catalog over
its cap). Expected values come from the documented forms (spec/catalog.md, spec/learning.md) and
the documented fingerprint hash (spec/rules.md), computed here by the independent model."""
import json

from model import fnv1a, mix

NOW = 1732406400


def fingerprint(decimals=2, attributes=(), context=()):
    """The schema fingerprint: attributes by name, context keys in declaration (name) order."""
    parts = ["shopkeeper.schema.1", str(decimals)]
    for name, ty in sorted(attributes):
        parts += ["attribute", name, ty]
    for key, ty in sorted(context):
        parts += ["context", key, ty]
    return "%016x" % mix(fnv1a(*parts))


CONTEXT = {"page_type": "string", "device": "string"}
catalog = {
    "version": "v206",
    "context": CONTEXT,
    "learning": {"segment": "context.device"},
    "default": {"id": "newsletter", "title": "Our newsletter", "kind": "content"},
    "offers": [
        {"id": "banner", "title": "Spring banner", "kind": "content", "channels": ["web"],
         "value": 5, "propensity": {"fixed": 0.5}, "payload": {"img": "/banners/spring.png", "alt": "Spring"}},
        {"id": "ship", "title": "Free shipping", "channels": ["web"], "eligibility": 'context.page_type == "cart"',
         "value": 10, "propensity": {"fixed": 0.3}},
        {"id": "late", "title": "Black Friday", "channels": ["web"], "valid_until": "2024-11-01T00:00:00Z", "value": 50},
    ],
}
FP = fingerprint(context=CONTEXT.items())


def pick(offer, title, kind, score, propensity, value, payload=None, probability=1):
    return {"offer": offer, "title": title, "kind": kind, "payload": payload, "is_default": False,
            "score": score, "propensity": propensity, "context_weight": 1, "value": value, "lever": 1,
            "probability": probability}


def default_pick():
    return {"offer": "newsletter", "title": "Our newsletter", "kind": "content", "payload": None,
            "is_default": True, "score": None, "propensity": None, "context_weight": None,
            "value": None, "lever": None, "probability": 1}


def log(segment, picks, channel="web", slots=2, seed=5, fallback=False, control_group=False, customer="c-206"):
    return {"catalog_version": "v206", "schema": FP, "customer": customer, "channel": channel,
            "now": NOW, "seed": str(seed), "slots": slots, "segment": segment, "control_group": control_group,
            "fallback": fallback, "picks": [{"offer": o, "probability": p} for o, p in picks]}


profile = {"id": "c-206", "known": True}
cart = {"page_type": "cart", "device": "mobile"}
cases = [
    dict(name="the decision's JSON: picks with title, kind, payload, score parts and logged probability; shown events",
         profile=profile, context=cart, request={"channel": "web", "slots": 2, "seed": 5},
         expect=dict(picks=["ship", "banner"],
                     decision={"format": "shopkeeper.decision",
                               "picks": [pick("ship", "Free shipping", "offer", 3, 0.3, 10),
                                         pick("banner", "Spring banner", "content", 2.5, 0.5, 5,
                                              payload={"img": "/banners/spring.png", "alt": "Spring"})],
                               "fallback": False, "control_group": False, "segment": "mobile",
                               "shown": [{"at": NOW, "channel": "web", "type": "offer_shown", "offer": "ship"},
                                         {"at": NOW, "channel": "web", "type": "offer_shown", "offer": "banner"}]},
                     log=log("mobile", [("ship", 1), ("banner", 1)]),
                     dropped={"late": "validity"})),
    dict(name="a fallback's JSON and log: the default action, probability 1, not shown",
         profile=profile, context=cart, request={"channel": "store", "slots": 2, "seed": 5},
         expect=dict(picks=["newsletter"],
                     decision={"picks": [default_pick()], "fallback": True, "shown": []},
                     log=log("mobile", [("newsletter", 1)], channel="store", fallback=True))),
    dict(name="a control-group customer's log: the default action, control_group and fallback",
         catalog=dict(catalog, control_group={"share": 0.999999, "salt": "s"}),
         profile=profile, context=cart, request={"channel": "web", "slots": 1, "seed": 9},
         expect=dict(picks=["newsletter"], control_group=True, suppressed="control_group",
                     decision={"picks": [default_pick()], "fallback": True, "control_group": True,
                               "segment": "", "shown": []},
                     log=log("", [("newsletter", 1)], slots=1, seed=9, fallback=True, control_group=True))),
    dict(name="a context built for another catalog that declares as many keys is refused",
         profile=profile, context={"campaign": "spring", "region": "north"},
         context_catalog={"version": "other", "context": {"campaign": "string", "region": "string"},
                          "default": {"id": "none"}, "offers": []},
         request={"channel": "web", "slots": 2, "seed": 5}, expect=dict(error="invalid_context")),
    dict(name="a context built for another catalog with the same declarations is accepted",
         profile=profile, context=cart,
         context_catalog={"version": "other", "context": CONTEXT, "default": {"id": "none"}, "offers": []},
         request={"channel": "web", "slots": 2, "seed": 5}, expect=dict(picks=["ship", "banner"], log=log("mobile", [("ship", 1), ("banner", 1)]))),
    dict(name="a learning segment of 65 bytes is too long for a learner: the decision fails in every binding",
         profile=profile, context={"page_type": "cart", "device": "d" * 65},
         request={"channel": "web", "slots": 2, "seed": 5}, expect=dict(error="too_long")),
    dict(name="a learning segment of 64 bytes is the longest allowed",
         profile=profile, context={"page_type": "cart", "device": "d" * 64},
         request={"channel": "web", "slots": 2, "seed": 5}, expect=dict(segment="d" * 64, log=log("d" * 64, [("ship", 1), ("banner", 1)]))),
    dict(name="a catalog over 16 MiB is refused before it is read (problem too_long)",
         catalog=catalog, catalog_pad=16 * 1024 * 1024, expect=dict(catalog_errors=[{"code": "too_long", "place": "catalog"}])),
]
doc = dict(title="decisions: the decision's JSON, its log record, and inputs every binding refuses the same way",
           now=NOW, catalog=catalog, cases=cases)
with open("spec/vectors/206-decide-contract.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print(len(cases), "cases")
