# Run from the repository root: python3 spec/vectors/tools/fleet_vectors.py
"""Writes spec/vectors/307-fleet.json: nodes publishing their contributions (here budget counters,
as bytes) to a fleet, in any order and any number of times. A node's slot holds its publication of
the highest sequence; a stale or repeated one changes nothing; the global view is every slot
merged in node-id order. The expectations follow spec/learning.md ("A fleet"), computed here by a
small model of the rule and of the counters' merge and bytes, not by the Rust code."""
import json

from model import varint, zigzag

MIDNIGHT = 1_796_083_200  # 2026-12-01T00:00:00Z, a Tuesday: aligned to days and hours
HOUR, DAY = 3_600, 86_400


def encode(counters):
    """Budget counters' bytes: the envelope (magic SKB\\x01, version 1 little-endian) around
    postcard: (offer id, period start and length as zigzag varints, shows, accepts), by offer id."""
    out = bytearray(b"SKB\x01" + (1).to_bytes(2, "little")) + varint(len(counters))
    for oid, (start, per, shows, accepts) in sorted(counters.items()):
        out += varint(len(oid.encode())) + oid.encode() + zigzag(start) + zigzag(per)
        out += varint(shows) + varint(accepts)
    return out.hex()


def merge(counters):
    """Counters merged by adding: the period that ends later wins (then the longer, then the
    later start); the same period adds."""
    key = lambda s: (s[0] + s[1], s[1], s[0])
    merged = {}
    for mine in counters:
        for oid, s in mine.items():
            m = merged.get(oid)
            if m is None or key(s) > key(m):
                merged[oid] = list(s)
            elif key(s) == key(m):
                m[2] += s[2]
                m[3] += s[3]
    return {oid: tuple(s) for oid, s in merged.items()}


def fleet(name, publications):
    """Each publication is (node, sequence, counters) or (node, sequence, hex, error)."""
    slots, steps = {}, []
    for p in publications:
        node, sequence, counters = p[:3]
        if len(p) == 4:
            steps.append(dict(node=node, sequence=sequence, bytes_hex=counters, error=p[3]))
            continue
        error = "empty_id" if node == "" else "too_long" if len(node.encode()) > 128 else None
        step = dict(node=node, sequence=str(sequence), bytes_hex=encode(counters))
        if error:
            step["error"] = error
        else:
            replaced = node not in slots or slots[node][0] < sequence
            if replaced:
                slots[node] = (sequence, counters)
            step["replaced"] = replaced
        steps.append(step)
    for step in steps:
        step["sequence"] = str(step["sequence"])  # a string of digits: the full 64 bits
    view = merge(slots[n][1] for n in sorted(slots))
    expect = dict(global_hex=encode(view) if slots else None)
    cases.append(dict(name=name, fleet=steps, expect=expect))


day = lambda shows, accepts, start=MIDNIGHT: (start, DAY, shows, accepts)
hour = lambda shows, accepts, start=MIDNIGHT: (start, HOUR, shows, accepts)
cases = []
fleet("one node, published once", [("web-1", 1, {"free-shipping": day(3, 1)})])
fleet("two nodes add up", [("web-1", 1, {"free-shipping": day(3, 1)}),
                           ("web-2", 1, {"free-shipping": day(2, 2), "gift-wrap": hour(1, 0)})])
fleet("a node published again: replaced, never added",
      [("web-1", 1, {"free-shipping": day(3, 1)}), ("web-1", 2, {"free-shipping": day(5, 1)}),
       ("web-2", 1, {"free-shipping": day(1, 0)})])
fleet("a stale publication arrives late: ignored",
      [("web-1", 7, {"free-shipping": day(9, 4)}), ("web-1", 6, {"free-shipping": day(8, 4)})])
fleet("the same publication twice: counted once",
      [("web-1", 3, {"free-shipping": day(2, 1)}), ("web-1", 3, {"free-shipping": day(2, 1)}),
       ("pos-7", 1, {"free-shipping": day(1, 1)})])
fleet("nodes in another order: the same view",
      [("web-2", 1, {"free-shipping": day(1, 0)}), ("web-1", 2, {"free-shipping": day(5, 1)}),
       ("web-1", 1, {"free-shipping": day(3, 1)})])
fleet("a node in a later period wins over the others' older one",
      [("web-1", 1, {"free-shipping": day(40, 10)}),
       ("web-2", 1, {"free-shipping": day(2, 1, MIDNIGHT + DAY)})])
fleet("sequence numbers use all 64 bits",
      [("web-1", 2**64 - 2, {"free-shipping": day(1, 0)}), ("web-1", 2**64 - 1, {"free-shipping": day(2, 0)}),
       ("web-1", 2**63, {"free-shipping": day(9, 9)})])
fleet("an empty node id is refused", [("", 1, {"free-shipping": day(1, 0)}),
                                     ("web-1", 1, {"free-shipping": day(2, 0)})])
fleet("a node id over 128 bytes is refused", [("n" * 129, 1, {"free-shipping": day(1, 0)})])
good = encode({"free-shipping": day(3, 1)})
fleet("bytes of no contribution are refused, and set no kind",
      [("web-1", 1, "534b5001" + good[8:], "decode_bad_magic"), ("web-1", 1, {"free-shipping": day(3, 1)})])
fleet("damaged bytes are refused", [("web-1", 1, {"free-shipping": day(3, 1)}),
                                   ("web-2", 1, good + "00", "decode_trailing_bytes")])
fleet("another kind than the first is refused",
      [("web-1", 1, {"free-shipping": day(3, 1)}), ("web-2", 1, "534b4c01" + good[8:], "invalid_data")])

with open("spec/vectors/307-fleet.json", "w") as f:
    json.dump(dict(title="A fleet: each node's latest contribution, merged", cases=cases), f, indent=1)
    f.write("\n")
print(f"307-fleet.json: {len(cases)} cases")
