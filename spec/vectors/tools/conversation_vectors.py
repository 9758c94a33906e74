# Run from the repository root: python3 spec/vectors/tools/conversation_vectors.py
"""Writes spec/vectors/013 (message events folded into the conversation signals) and 108 (the
rule paths that read them). Expectations follow spec/events.md ("Messages") and spec/rules.md:
sentiments are kept in thousandths (rounded half away from zero), a review's stars map to
(stars - 3) / 2, the customer's sentiment is the mean of the recent sentiments weighted by
2^(-age / 30 days), the session's the plain mean of those since the session's start."""
import json

NOW = 1732406400
DAY = 86400


def ev(at, kind, channel="chat", **kw):
    return dict(at=at, channel=channel, type=kind, **kw)


def msg(at, direction="inbound", channel="chat", **kw):
    return ev(at, "message", channel=channel, direction=direction, **kw)


def thousandths(s):
    x = abs(s) * 1000
    r = int(x + 0.5)
    return r if s >= 0 else -r


def write(name, doc):
    with open(f"spec/vectors/{name}", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


# ---- 013: folding messages
# A message's text never changes the profile's bytes: both cases below share them (pinned).
TEXTLESS_BYTES = "534b50010300026331010188b193f40c000188b193f40c0188b193f40c000000000000000000000000000000000000000000000000000000000000000000000000010000000188b193f40c000000000000000000000000000000000000000000000000000000000100010188b193f40c000188b193f40cbf0c00000000000000000000000000000000000000000000000000000000000000000188b193f40c0000"
cases = [
    dict(name="an inbound message with the caller's sentiment and intents", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, sentiment=-0.6, intents=["cancel", "refund"])])],
         expect=dict(outcomes=["recorded"], facts={
             "/conversation/inbound": 1, "/conversation/outbound": 0, "/conversation/negative": 1,
             "/conversation/last_inbound": NOW - 60, "/conversation/sentiments/0/thousandths": -600,
             "/conversation/intents/0/intent": "cancel", "/conversation/intents/1/intent": "refund",
             "/activity/channels/chat/events": 1})),
    dict(name="the shop's answer is counted, not felt", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, sentiment=0.2), msg(NOW - 30, direction="outbound", sentiment=-0.9, intents=["cancel"])])],
         expect=dict(outcomes=["recorded", "recorded"], facts={
             "/conversation/inbound": 1, "/conversation/outbound": 1, "/conversation/negative": 0,
             "/conversation/last_outbound": NOW - 30, "/conversation/sentiments/1": None,
             "/conversation/intents/0": None})),
    dict(name="a review's stars give its sentiment: (stars - 3) / 2", now=NOW,
         profiles=[dict(id="c1", known=True, events=[
             msg(NOW - 90, channel="web", rating=1, product="tent-2p"), msg(NOW - 80, channel="web", rating=4, product="tent-2p"),
             msg(NOW - 70, channel="web", rating=5, sentiment=-0.25)])],
         expect=dict(outcomes=["recorded"] * 3, facts={
             "/conversation/sentiments/0/thousandths": -1000, "/conversation/sentiments/1/thousandths": 500,
             "/conversation/sentiments/2/thousandths": -250, "/conversation/negative": 2})),
    dict(name="a sentiment is kept in thousandths, rounded half away from zero", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 3, sentiment=0.0125), msg(NOW - 2, sentiment=-0.0495), msg(NOW - 1, sentiment=-0.05)])],
         expect=dict(outcomes=["recorded"] * 3, facts={
             "/conversation/sentiments/0/thousandths": thousandths(0.0125), "/conversation/sentiments/1/thousandths": thousandths(-0.0495),
             "/conversation/sentiments/2/thousandths": -50,
             "/conversation/negative": sum(1 for x in (0.0125, -0.0495, -0.05) if thousandths(x) <= -50)})),
    dict(name="a message's text is never kept (the same bytes as without it)", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, text="My tent arrived broken, card 4111 1111 1111 1111", sentiment=-0.8)])],
         expect=dict(outcomes=["recorded"], facts={"bytes_hex": TEXTLESS_BYTES})),
    dict(name="the same message without its text", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, sentiment=-0.8)])],
         expect=dict(outcomes=["recorded"], facts={"bytes_hex": TEXTLESS_BYTES})),
    dict(name="messages merge: counts add, the latest times win, the rings keep the newest of both", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 50, sentiment=0.5, intents=["delivery"]), msg(NOW - 40, direction="outbound")]),
                   dict(id="c1", known=True, events=[msg(NOW - 45, sentiment=-0.5, intents=["cancel"]), msg(NOW - 10)])],
         expect=dict(outcomes=["recorded"] * 4, facts={
             "/conversation/inbound": 3, "/conversation/outbound": 1, "/conversation/negative": 1,
             "/conversation/last_inbound": NOW - 10, "/conversation/last_outbound": NOW - 40,
             "/conversation/sentiments/0/thousandths": 500, "/conversation/sentiments/1/thousandths": -500,
             "/conversation/intents/0/intent": "delivery", "/conversation/intents/1/intent": "cancel"})),
    dict(name="a customer who objects: messages are ignored", now=NOW,
         profiles=[dict(id="c1", known=True, events=[
             ev(NOW - 100, "consent_change", channel="web", purpose="personalization", granted=False),
             msg(NOW - 60, sentiment=-0.6, intents=["cancel"])])],
         expect=dict(outcomes=["recorded", "ignored:objected"], facts={"/conversation/inbound": 0})),
    dict(name="a text over 8 KiB is too_long and changes nothing", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, text="a" * 8193)])],
         expect=dict(outcomes=["error:too_long"], facts={"/conversation/inbound": 0})),
    dict(name="a text of exactly 8 KiB is read", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, text="a" * 8192)])],
         expect=dict(outcomes=["recorded"], facts={"/conversation/inbound": 1})),
    dict(name="bad message fields are rejected with their codes", now=NOW,
         profiles=[dict(id="c1", known=True, events=[
             msg(NOW - 60, sentiment=1.5), msg(NOW - 60, sentiment=-1.01), msg(NOW - 60, rating=0), msg(NOW - 60, rating=6),
             msg(NOW - 60, intents=[""]), msg(NOW - 60, intents=["i"] * 9), msg(NOW - 60, intents=["x" * 65]),
             msg(NOW - 60, direction="sideways"), msg(NOW - 60, product=""),
             '{"at": 1732406340, "channel": "chat", "type": "message"}'])],
         expect=dict(outcomes=["error:invalid_number", "error:invalid_number", "error:invalid_number", "error:invalid_number",
                               "error:empty_id", "error:limit_exceeded", "error:too_long", "error:invalid_json",
                               "error:empty_id", "error:invalid_json"],
                     facts={"/conversation/inbound": 0})),
    dict(name="the chat and social channels", now=NOW,
         profiles=[dict(id="c1", known=True, events=[msg(NOW - 60, channel="social"), ev(NOW - 30, "page_view", channel="chat")])],
         expect=dict(outcomes=["recorded", "recorded"], facts={"/activity/channels/social/events": 1, "/activity/channels/chat/events": 1})),
]
write("013-messages.json", dict(title="messages: what customers say folds into signals, never text", cases=cases))

# ---- 108: rule paths over the conversation
start = NOW - 3 * 3600
events = [
    msg(NOW - 20 * DAY, channel="email", sentiment=0.8, intents=["delivery"]),
    msg(NOW - 2 * DAY, sentiment=-0.3),
    ev(start, "session_start", channel="web"),
    msg(NOW - 3600, sentiment=-0.9, intents=["cancel"]),
    msg(NOW - 1800, direction="outbound"),
    msg(NOW - 600, sentiment=-0.5, intents=["refund"]),
]
felt = [(NOW - 20 * DAY, 0.8), (NOW - 2 * DAY, -0.3), (NOW - 3600, -0.9), (NOW - 600, -0.5)]
w = [2 ** (-(NOW - at) / (30 * DAY)) for at, _ in felt]
customer = sum(wi * thousandths(s) / 1000 for wi, (_, s) in zip(w, felt)) / sum(w)
session = sum(thousandths(s) / 1000 for at, s in felt if at >= start) / len([1 for at, s in felt if at >= start])
rule_cases = [
    dict(name="customer.sentiment: the recent sentiments, each weighing half after 30 days", rule="customer.sentiment", expect=dict(value=customer)),
    dict(name="session.sentiment: the mean since the session started", rule="session.sentiment", expect=dict(value=session)),
    dict(name="session.intents: since the session started", rule="session.intents", expect=dict(value=["cancel", "refund"])),
    dict(name="customer.intents: all recent ones", rule="customer.intents", expect=dict(value=["delivery", "cancel", "refund"])),
    dict(name="has_intent within a window", rule='has_intent("cancel", 7d)', condition=True, expect=dict(value=True)),
    dict(name="has_intent outside the window", rule='has_intent("delivery", 7d)', condition=True, expect=dict(value=False)),
    dict(name="has_intent with a window long enough", rule='has_intent("delivery", 30d)', condition=True, expect=dict(value=True)),
    dict(name="has_intent of an intent never expressed", rule='has_intent("complaint", 365d)', condition=True, expect=dict(value=False)),
    dict(name="has_intent compares like ==, case-sensitively unless lowered", rule='has_intent("CANCEL", 7d)', condition=True, expect=dict(value=False)),
    dict(name="customer.messages and customer.negative_messages", rule="customer.messages * 10 + customer.negative_messages", expect=dict(value=43)),
    dict(name="customer.last_message: the customer's latest", rule="customer.last_message", expect=dict(value=NOW - 600)),
    dict(name="customer.unanswered_since: a message after the shop's last answer", rule="customer.unanswered_since", expect=dict(value=NOW - 600)),
    dict(name="an answer after the last message clears it", rule="has(customer.unanswered_since)", condition=True,
         profile=dict(id="c2", known=True, events=events + [msg(NOW - 60, direction="outbound")]), expect=dict(value=False)),
    dict(name="without messages the sentiments are missing", rule="has(customer.sentiment) or has(session.sentiment) or has(customer.last_message)", condition=True,
         profile=dict(id="c3", known=True, events=[ev(start, "session_start", channel="web")]), expect=dict(value=False)),
    dict(name="a rule on what the customer said", rule='customer.sentiment < -0.2 and has_intent("cancel", 1d) and session.channel == "web"', condition=True,
         expect=dict(value=True)),
    dict(name="the chat channel's paths", rule="customer.channels.chat.last_seen", expect=dict(value=NOW - 600)),
    dict(name="has_intent needs a duration", rule='has_intent("cancel", 7)', expect=dict(errors=[dict(code="type_mismatch", line=1, column=1)])),
]
write("108-rules-conversation.json", dict(title="rules: what the customer said (sentiments, intents, unanswered messages)",
                                           fixture=dict(now=NOW, schema={}, profile=dict(id="c1", known=True, events=events)),
                                           cases=rule_cases))
print(len(cases), len(rule_cases))
