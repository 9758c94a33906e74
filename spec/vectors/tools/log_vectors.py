# Run from the repository root: python3 spec/vectors/tools/log_vectors.py PROFILE_EXPORT.json
"""Writes spec/vectors/303: decision-log lines read and evaluated by every binding, and responses
credited to the segment of the decision that showed them (spec/learning.md, "Decision logs").
The expectations follow from the documented rules: a candidate identical to the logging policy
gives each pick its logged probability; a candidate that would never show a pick at its rank
gives 0; a response is credited only to an offer its decision showed. The profile is an export
of `shopkeeper profile` (a documented, pinned format), given on the command line."""
import json, sys

NOW = 1732406400
profile = json.load(open(sys.argv[1]))
catalog = {"version": "v303", "context": {"page_type": "string"}, "learning": {"segment": "context.page_type"},
           "default": {"id": "none"},
           "offers": [{"id": "a", "value": 3}, {"id": "b", "value": 2}, {"id": "c", "value": 1}]}
swapped = dict(catalog, offers=[{"id": "a", "value": 1}, {"id": "b", "value": 3}, {"id": "c", "value": 2}])
record = {"catalog_version": "v303", "schema": "0000000000000000", "customer": "c-303", "channel": "web",
          "now": NOW, "seed": 4, "slots": 2, "segment": "cart", "control_group": False, "fallback": False,
          "picks": [{"offer": "a", "probability": 1.0}, {"offer": "b", "probability": 1.0}]}
line = {"profile": profile, "context": {"page_type": "cart"}, "decision": record, "accepted": ["a"]}
old = {"profile": profile, "context": {"page_type": "cart"},
       "receipt": dict({k: v for k, v in record.items() if k != "schema"}, format="shopkeeper.receipt", dropped=[],
                       picks=[dict(p, rank=i + 1, title=p["offer"], kind="offer", propensity_source="fixed")
                              for i, p in enumerate(record["picks"])]),
       "accepted": ["a"]}
cases = [
    dict(name="the logging policy evaluated on its own log: every target is the logged probability",
         catalog=catalog, log_entry=line, expect=dict(logged=[[1, 1, 1], [1, 1, 0]])),
    dict(name="a candidate that ranks the picks elsewhere gives them target 0",
         catalog=swapped, log_entry=line, expect=dict(logged=[[1, 0, 1], [1, 0, 0]])),
    dict(name="a log line of the older form (the whole receipt) reads the same",
         catalog=catalog, log_entry=old, expect=dict(logged=[[1, 1, 1], [1, 1, 0]])),
    dict(name="a log line with an unknown field is refused", catalog=catalog,
         log_entry=dict(line, extra=1), expect=dict(error="invalid_json")),
    dict(name="a log line over 576 KiB is too_long before it is read", catalog=catalog,
         log_entry=line, log_pad=576 * 1024, expect=dict(error="too_long")),
    dict(name="a response to a shown offer is credited to its decision's segment",
         credit=dict(half_life=86400, record=record, offer="b", response="dismissed", at=NOW + 60),
         expect=dict(credited=True, counts=[["b", "cart", NOW + 60, 0, 1]])),
    dict(name="a response to an offer the decision did not show is not credited",
         credit=dict(half_life=86400, record=record, offer="c", response="accepted", at=NOW + 60),
         expect=dict(credited=False, counts=[["c", "cart", NOW + 60, 0, 0]])),
    dict(name="the default action of a fallback is never credited",
         credit=dict(half_life=86400, record=dict(record, fallback=True, picks=[{"offer": "none", "probability": 1.0}]),
                     offer="none", response="accepted", at=NOW + 60),
         expect=dict(credited=False, counts=[["none", "cart", NOW + 60, 0, 0]])),
    dict(name="a record that is not one is refused, and nothing is credited",
         credit=dict(half_life=86400, record={"picks": []}, offer="a", response="accepted", at=NOW + 60),
         expect=dict(error="invalid_json")),
]
doc = dict(title="decision logs: lines every binding reads and evaluates, and responses credited to their decision's segment",
           now=NOW, cases=cases)
with open("spec/vectors/303-decision-logs.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print(len(cases), "cases")
