# Run from the repository root: python3 spec/vectors/tools/listening_vectors.py
"""Writes spec/vectors/014 (what a listener hears in a message's text, and messages folded with
it). The expectations come from this file's own model of spec/events.md ("Hearing a message"),
written from the documentation, not from the library: how a text is read into words and
clauses, and how a catalog's intent phrases are found in them."""
import json
import unicodedata

NOW = 1732406400
APOSTROPHES = "'\u2019\u2018\u02bc`"
EXCLAMATIONS = "!\uff01\xa1"
QUESTIONS = "?\uff1f\xbf"
BREAKS = ".,;:\n\r\u2026\u3002" + EXCLAMATIONS + QUESTIONS
NEGATIONS = {
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "dont", "hadnt",
    "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "neither", "never", "no", "none",
    "nope", "nor", "not", "nothing", "nowhere", "oughtnt", "rarely", "seldom", "shant", "shouldnt",
    "uhuh", "wasnt", "werent", "without", "wont", "wouldnt", "despite", "nobody", "nah",
}


def fold(c):
    """A letter lower-cased, decomposed, its accents dropped."""
    out = ""
    for lower in c.lower():
        out += "".join(d for d in unicodedata.normalize("NFD", lower) if not unicodedata.category(d).startswith("M"))
    return out


def read(text):
    """The words of a text as (word, clause, shouted)."""
    words, clause = [], 0
    word, upper, lower, apostrophe = None, False, False, False

    def end():
        nonlocal word, upper, lower, apostrophe
        if word is not None:
            words.append((word, clause, upper and not lower))
        word, upper, lower, apostrophe = None, False, False, False

    for c in text:
        if c.isalnum():
            if word is None:
                word = ""
            elif apostrophe:
                word += "'"
            apostrophe = False
            upper |= c.isupper()
            lower |= c.islower()
            word += c.lower() if c.isascii() else fold(c)
        elif c in APOSTROPHES:
            apostrophe = word is not None
        elif word is not None and unicodedata.category(c).startswith("M"):
            pass
        else:
            end()
            if c in BREAKS and words and words[-1][1] == clause:
                clause += 1
    end()
    return words


def negates(word):
    return word.endswith("n't") or word in NEGATIONS


def negated(words, i):
    return any(words[j][1] == words[i][1] and negates(words[j][0]) for j in range(max(0, i - 3), i))


def intents_of(catalog_intents, text):
    words = read(text)
    found = set()
    for name, phrases in catalog_intents.items():
        for phrase in phrases:
            p = [w for w, _, _ in read(phrase)]
            for i in range(len(words) - len(p) + 1):
                span = words[i:i + len(p)]
                if [w for w, _, _ in span] == p and all(c == span[0][1] for _, c, _ in span) and not negated(words, i):
                    found.add(name)
    return sorted(found)


def write(name, doc):
    with open(f"spec/vectors/{name}", "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


INTENTS = {
    "cancel": ["cancel my order", "cancel", "close my account", "unsubscribe"],
    "delivery": ["where is my parcel", "arrived broken", "not arrived"],
    "refund": ["money back", "remboursé"],
}
CATALOG = {"version": "listening", "intents": INTENTS, "default": {"id": "none"}, "offers": []}
LISTENER = {"catalog": CATALOG}

TEXTS = [
    "Please CANCEL my order.",
    "I do not want to cancel my order",
    "I don't wanna cancel",
    "I don\u2019t want to cancel",
    "No, cancel it",
    "This is the second time my tent ARRIVED BROKEN, I want to cancel!",
    "unsubscribed? cancellation?",
    "Je veux être REMBOURSE\u0301, rembourse\u0301!",
    "Where is my parcel? It has not arrived",
    "I would never cancel my order... actually, cancel",
    "Not that I would ever want my money back",
    "",
    "!!! ???",
]
LONGEST = {"repeat": "ab", "times": 4096}
TOO_LONG = {"repeat": "ab", "times": 4096, "then": "c"}


def heard(text):
    return {"intents": intents_of(INTENTS, text)}


def msg(at, direction="inbound", **kw):
    return dict(at=at, channel="chat", type="message", direction=direction, **kw)


cases = [
    dict(name="intents on word boundaries, without case or accents, unless negated in their clause",
         listener=LISTENER, hear=TEXTS, expect=dict(heard=[heard(t) for t in TEXTS])),
    dict(name="a text at its cap is heard; one byte more is too_long",
         listener=LISTENER, hear=[LONGEST, TOO_LONG], expect=dict(heard=[{"intents": []}, {"error": "too_long"}])),
    dict(name="a listener without intents hears none", listener={"catalog": {**CATALOG, "intents": {}}},
         hear=["cancel my order"], expect=dict(heard=[{"intents": []}])),
    dict(name="the text's intents join the caller's; the shop's own text is not heard", now=NOW, listener=LISTENER,
         profiles=[dict(id="c1", known=True, events=[
             msg(NOW - 60, text="My tent arrived broken. Cancel my order!", intents=["refund"]),
             msg(NOW - 30, direction="outbound", text="So sorry: would you like your money back?")])],
         expect=dict(outcomes=["recorded", "recorded"], facts={
             "/conversation/inbound": 1, "/conversation/outbound": 1,
             "/conversation/intents/0/intent": "cancel", "/conversation/intents/1/intent": "delivery",
             "/conversation/intents/2/intent": "refund", "/conversation/intents/3": None})),
    dict(name="a negated intent folds to nothing, and the text is never kept", now=NOW, listener=LISTENER,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, text="I do not want to cancel my order")])],
         expect=dict(outcomes=["recorded"], facts={"/conversation/inbound": 1, "/conversation/intents/0": None})),
    dict(name="a message over its cap is too_long and changes nothing", now=NOW, listener=LISTENER,
         profiles=[dict(id="c1", known=True, events=[
             {"padded": msg(NOW - 60, text="cancel " * 1170 + "x" * 3), "pad": 0}])],
         expect=dict(outcomes=["error:too_long"], facts={"/conversation/inbound": 0})),
    dict(name="a customer who objects is not heard", now=NOW, listener=LISTENER,
         profiles=[dict(id="c1", known=True, events=[
             dict(at=NOW - 90, channel="web", type="consent_change", purpose="personalization", granted=False),
             msg(NOW - 60, text="cancel my order")])],
         expect=dict(outcomes=["recorded", "ignored:objected"], facts={"/conversation/inbound": 0})),
]

# Catalog checks of the intents section: every problem at its place.
bad = {
    "cancel": ["Cancel my order", "  ", "cancel MY order!"],
    "quiet": [],
    "refund": ["money back", "refund, please", "x" * 257],
}
cases.append(dict(
    name="an empty, duplicated, split or long phrase and an intent without phrases are catalog errors at their place",
    now=NOW, catalog={**CATALOG, "intents": bad},
    expect=dict(catalog_errors=[
        {"place": 'intents["cancel"][1]', "code": "invalid_field"},
        {"place": 'intents["cancel"][2]', "code": "invalid_field", "message": '"cancel MY order!" is the same phrase as intents["cancel"][0]'},
        {"place": 'intents["quiet"]', "code": "invalid_field"},
        {"place": 'intents["refund"][1]', "code": "invalid_field"},
        {"place": 'intents["refund"][2]', "code": "invalid_field"},
    ])))
cases.append(dict(
    name="at most 64 intents",
    now=NOW, catalog={**CATALOG, "intents": {f"i{n:02}": [f"phrase {n}"] for n in range(65)}},
    expect=dict(catalog_errors=[{"place": "intents", "code": "invalid_field"}])))

# The reader itself, checked against the documented examples.
assert [w for w, _, _ in read("Annulé: I DON’T want the e-mail's 'news'")] == ["annule", "i", "don't", "want", "the", "e", "mail's", "news"]
assert intents_of(INTENTS, "No, cancel it") == ["cancel"]
assert intents_of(INTENTS, "I don't wanna cancel") == []

write("014-listening.json", dict(title="Listening: the intents a message's text expresses, and messages folded with them", cases=cases))
