# Run from the repository root: python3 spec/vectors/tools/listening_vectors.py
"""Writes spec/vectors/014 (what a listener hears in a message's text, and messages folded with
it). The expectations come from this file's own model of spec/events.md ("Hearing a message"),
written from the documentation, not from the library: how a text is read into words and
clauses, and how a catalog's intent phrases are found in them."""
import json
import math
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


# ---- Sentiment (spec/scores.md, "Sentiment")
BOOST, CAPITALS, NEGATION, EXCLAMATION, QUESTION, NORMALIZATION = 0.293, 0.733, -0.74, 0.292, 0.18, 15.0
BOOSTERS = """absolutely amazingly awfully completely considerable considerably decidedly deeply enormous
enormously entirely especially exceptional exceptionally extreme extremely fabulously fully greatly hella
highly hugely incredible incredibly intensely major majorly more most particularly purely quite really
remarkably so substantially thoroughly total totally tremendous tremendously uber unbelievably unusually
utter utterly very super""".split()
DAMPENERS = """almost barely hardly kinda kindof less little marginal marginally occasional occasionally partly
scarce scarcely slight slightly somewhat sorta sortof fairly""".split()


def boost_of(word):
    return BOOST if word in BOOSTERS else -BOOST if word in DAMPENERS else 0.0


def reading(text):
    """The words and the text's emphasis: (words, exclamations, questions, mixed_case)."""
    words = read(text)
    shouted = sum(1 for _, _, s in words if s)
    exclamations = sum(text.count(c) for c in EXCLAMATIONS)
    questions = sum(text.count(c) for c in QUESTIONS)
    return words, exclamations, questions, 0 < shouted < len(words)


def lexical(lexicon, text):
    words, exclamations, questions, mixed = reading(text)
    but = next((i for i, (w, _, _) in enumerate(words) if w == "but"), None)
    total = 0.0
    for i, (word, clause, shouted) in enumerate(words):
        v = lexicon.get(word, 0.0)
        if v == 0.0 or boost_of(word) != 0.0:
            continue
        if mixed and shouted:
            v += math.copysign(CAPITALS, v)
        for distance, damping in ((1, 1.0), (2, 0.95), (3, 0.9)):
            j = i - distance
            if j < 0 or words[j][1] != clause:
                break
            boost = boost_of(words[j][0])
            if boost != 0.0:
                scalar = -boost if v < 0 else boost
                if mixed and words[j][2]:
                    scalar += math.copysign(CAPITALS, v)
                v += scalar * damping
            if negates(words[j][0]):
                v *= NEGATION
        if but is not None and i < but:
            v *= 0.5
        elif but is not None and i > but:
            v *= 1.5
        total += v
    if total != 0.0:
        emphasis = min(exclamations, 4) * EXCLAMATION
        emphasis += 0.0 if questions < 2 else questions * QUESTION if questions <= 3 else 0.96
        total += math.copysign(emphasis, total)
    return max(-1.0, min(1.0, total / math.sqrt(total * total + NORMALIZATION)))


def sentiment_of(model, text):
    words = read(text)
    if not words:
        return None
    score = lexical(model["lexicon"], text)
    learned = model.get("learned")
    if not learned:
        return score
    y = learned["bias"] + learned["lexicon"] * score
    weights = learned["weights"]
    for i, (word, clause, _) in enumerate(words):
        y += weights.get(word, 0.0)
        if i + 1 < len(words) and words[i + 1][1] == clause:
            y += weights.get(f"{word} {words[i + 1][0]}", 0.0)
    return max(-1.0, min(1.0, y))


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


def heard(text, model=None):
    return {"sentiment": sentiment_of(model, text) if model else None, "intents": intents_of(INTENTS, text)}


LEXICON = {"good": 1.9, "great": 3.1, "love": 3.2, "broken": -1.6, "bad": -2.5, "terrible": -2.1,
           "disappointed": -2.1, "happy": 2.7, "cancel": -0.8, "no": -1.2, "thanks": 1.9,
           "problem": -1.7, "fine": 0.8, "very": 0.5}
PLAIN = {"lexicon": LEXICON, "learned": None}
LEARNED = {"lexicon": LEXICON, "learned": {"bias": 0.1, "lexicon": 0.8, "weights": {
    "broken": -0.3, "arrived broken": -0.2, "love": 0.1, "not": -0.05, "refund": -0.4}}}
MODELS = lambda model: {"version": 2, "sentiment": model}
SENTIMENT_TEXTS = [
    "The tent is good", "The tent is GOOD", "The tent is not good", "The tent is very good",
    "The tent is very, good", "The tent is kinda good", "It is slightly bad", "good but broken",
    "broken, but GOOD", "Great!!!", "Great!!!!!!", "Is it broken??", "Is it broken????",
    "I really REALLY love it", "not very good", "", "!!! ???", "Très BON",
    "This is the second time my tent arrived broken, I want to cancel!", "no problem",
    "I don't love it", "It never works and it is bad. Terrible, terrible!",
    "arrived broken", "arrived. broken", "broken broken broken broken refund refund",
]


def msg(at, direction="inbound", channel="chat", **kw):
    return dict(at=at, channel=channel, type="message", direction=direction, **kw)


def thousandths(s):
    x = abs(s) * 1000
    r = int(x + 0.5)
    return r if s >= 0 else -r


cases = [
    dict(name="intents on word boundaries, without case or accents, unless negated in their clause",
         listener=LISTENER, hear=TEXTS, expect=dict(heard=[heard(t) for t in TEXTS])),
    dict(name="a text at its cap is heard; one byte more is too_long",
         listener=LISTENER, hear=[LONGEST, TOO_LONG], expect=dict(heard=[{"sentiment": None, "intents": []}, {"error": "too_long"}])),
    dict(name="a lexicon's sentiment: negation, boosters and dampeners, but, capitals, ! and ?",
         listener={"catalog": CATALOG, "models": MODELS(PLAIN)}, hear=SENTIMENT_TEXTS,
         expect=dict(heard=[heard(t, PLAIN) for t in SENTIMENT_TEXTS])),
    dict(name="a learned layer adds its words' and pairs' weights to the lexicon's score, clamped",
         listener={"catalog": CATALOG, "models": MODELS(LEARNED)}, hear=SENTIMENT_TEXTS,
         expect=dict(heard=[heard(t, LEARNED) for t in SENTIMENT_TEXTS])),
    dict(name="the text's sentiment is folded unless the event carries one or stars", now=NOW,
         listener={"catalog": CATALOG, "models": MODELS(PLAIN)},
         profiles=[dict(id="c1", known=True, events=[
             msg(NOW - 90, text="The tent is not good"),
             msg(NOW - 80, text="The tent is not good", sentiment=0.5),
             msg(NOW - 70, channel="web", text="The tent is not good", rating=5, product="tent-2p"),
             msg(NOW - 60, text="!!!")])],
         expect=dict(outcomes=["recorded"] * 4, facts={
             "/conversation/inbound": 4,
             "/conversation/sentiments/0/thousandths": thousandths(sentiment_of(PLAIN, "The tent is not good")),
             "/conversation/sentiments/1/thousandths": 500, "/conversation/sentiments/2/thousandths": 1000,
             "/conversation/sentiments/3": None, "/conversation/negative": 1})),
    dict(name="a listener without intents hears none", listener={"catalog": {**CATALOG, "intents": {}}},
         hear=["cancel my order"], expect=dict(heard=[{"sentiment": None, "intents": []}])),
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
