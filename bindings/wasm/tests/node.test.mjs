// The package in Node, imported by its name through its `exports` map (`cargo xtask wasm`
// links the built package into node_modules). Run: `node --test node.test.mjs`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import init, * as sk from "shopkeeper-wasm";
import { run } from "./conformance.js";

const root = new URL("../../../", import.meta.url);
const vectors = new URL("spec/vectors/", root);
const storefront = (name) => readFileSync(new URL(`examples/storefront/${name}`, root), "utf8");
const NOW = 1732406400;

await init();

test("every conformance vector gives the Rust results", () => {
  const files = readdirSync(vectors).filter((f) => f.endsWith(".json")).sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, vectors), "utf8") }));
  assert.ok(files.length >= 22, `only ${files.length} vector files`);
  const { cases, failures } = run(sk, files);
  console.log(`${cases} conformance cases in ${files.length} files`);
  assert.ok(cases >= 600, `only ${cases} cases`);
  assert.deepEqual(failures, []);
});

test("a storefront session: events as objects, decisions, receipts, responses", () => {
  const engine = new sk.Engine(storefront("catalog.json"), { models: storefront("models.json"), now: NOW });
  assert.equal(typeof engine.catalogVersion, "string");
  const visitor = new sk.Profile("visitor-1");
  assert.equal(visitor.known, false);
  assert.deepEqual(visitor.apply({ type: "session_start", at: NOW - 60, channel: "web" }, NOW), { recorded: true });
  visitor.apply({ type: "product_view", at: NOW - 50, channel: "web", product: "tent-2p", category: "tents" }, NOW);
  visitor.apply({ type: "cart_add", at: NOW - 40, channel: "web", product: "tent-2p", category: "tents", unit_price: 24900 }, NOW);
  assert.equal(visitor.summary().cartValue, 24900);
  const decision = engine.decide(visitor, { channel: "web", slots: 2, now: NOW, context: {}, explain: true });
  assert.ok(decision.picks.length >= 1);
  for (const pick of decision.picks) {
    assert.equal(typeof pick.offer, "string");
    assert.equal(typeof pick.is_default, "boolean");
  }
  assert.equal(decision.receipt.format, "shopkeeper.receipt");
  assert.equal(decision.receipt.customer, "visitor-1");
  assert.equal(engine.decide(visitor, { now: NOW }).receipt, undefined);
  // The decision's JSON is the core's (snake_case, as in C's sk_engine_decide_json); with `log`
  // it carries the record off-policy evaluation reads, and each pick its logged probability.
  assert.equal(decision.format, "shopkeeper.decision");
  const logged = engine.decide(visitor, { channel: "web", slots: 2, now: NOW, log: true });
  assert.equal(logged.receipt, undefined);
  assert.equal(logged.log.customer, "visitor-1");
  assert.match(logged.log.schema, /^[0-9a-f]{16}$/);
  assert.deepEqual(logged.log.picks.map((p) => p.offer), logged.picks.map((p) => p.offer));
  assert.deepEqual(logged.picks.map((p) => p.probability), decision.receipt.picks.map((p) => p.probability));
  assert.equal(engine.decide(visitor, { now: NOW }).picks[0].probability, null);
  // A BigInt seed keeps its 64 bits (it travels as digits): the same as the seed in a string.
  const big = engine.decide(visitor, { now: NOW, slots: 2, seed: 18446744073709551615n, explain: true });
  const text = engine.decide(visitor, { now: NOW, slots: 2, seed: "18446744073709551615", explain: true });
  assert.deepEqual(big.picks, text.picks);
  // Showing the picks records them; contact policies then count them.
  for (const event of decision.shown) visitor.apply(event, NOW);
  const firstOffer = decision.picks.find((p) => !p.is_default);
  if (firstOffer) assert.equal(visitor.shownWithin(firstOffer.offer, 3600, NOW), 1);
  const scores = engine.scores(visitor, NOW);
  assert.ok("p_alive" in scores && Array.isArray(scores.cross_sell));
});

test("errors are Error objects with the C names, lines and columns; bad input changes nothing", () => {
  const p = new sk.Profile("c1", true);
  p.apply({ type: "cart_add", at: NOW, channel: "web", product: "a", unit_price: 100 }, NOW);
  const before = p.toBytes();
  const thrown = (f) => { try { f(); } catch (e) { return e; } assert.fail("did not throw"); };
  let e = thrown(() => p.apply({ type: "cart_add", at: NOW, channel: "web", product: "a", unit_price: -1 }, NOW));
  assert.ok(e instanceof Error);
  assert.equal(e.code, "negative_amount");
  e = thrown(() => p.apply('{"type": "cart_add",\n "at": oops}', NOW));
  assert.equal(e.code, "invalid_json");
  assert.equal(e.line, 2);
  e = thrown(() => p.apply({ type: "product_view", at: NOW * 1000, channel: "web", product: "a" }, NOW));
  assert.equal(e.code, "timestamp_out_of_range");
  e = thrown(() => p.apply({ type: "product_view", at: NOW, channel: "web", product: "a" }, 1.5));
  assert.equal(e.code, "invalid_request");
  assert.deepEqual(p.toBytes(), before);
  e = thrown(() => sk.Profile.fromBytes(before.subarray(0, 7)));
  assert.match(e.code, /^decode_/);
  e = thrown(() => sk.Profile.fromBytes(new TextEncoder().encode("not a profile")));
  assert.equal(e.code, "decode_bad_magic");

  const catalog = { version: "v1", default: { id: "none" }, offers: [{ id: "o", eligibility: "customer.orders >=\n  \"x\"" }] };
  e = thrown(() => new sk.Engine(catalog, { now: NOW }));
  assert.equal(e.code, "invalid_catalog");
  assert.equal(e.diagnostics[0].place, 'offers["o"].eligibility');
  assert.equal(typeof e.line, "number");
  assert.deepEqual(sk.checkCatalog(catalog, NOW).map((d) => d.code), e.diagnostics.map((d) => d.code));
  const engine = new sk.Engine({ version: "v1", context: { page: "string" }, default: { id: "none" }, offers: [] }, { now: NOW });
  const rule = 'context.page == "cart" and\n  customer.nope';
  e = thrown(() => engine.compileRule(rule));
  assert.equal(e.code, "invalid_rule");
  assert.deepEqual([e.line, e.column], [2, 3]);
  assert.deepEqual(engine.checkRule(rule).map((d) => [d.line, d.column]), [[2, 3]]);
  // The request is read by the core's reader of its JSON form: an unknown channel is malformed.
  e = thrown(() => engine.decide(p, { channel: "fax", now: NOW }));
  assert.equal(e.code, "invalid_json");
  e = thrown(() => engine.decide(p, { now: NOW, context: { page: 3 } }));
  assert.equal(e.code, "invalid_context");
  e = thrown(() => engine.decide(p, { now: NOW, slots: 99 }));
  assert.equal(e.code, "invalid_request");
  // JSON cannot carry NaN, Infinity or integers past 2^53: such a request is refused, never read
  // as "absent" or rounded.
  e = thrown(() => engine.decide(p, { now: NaN }));
  assert.equal(e.code, "invalid_json");
  e = thrown(() => engine.decide(p, { now: NOW, slots: Infinity }));
  assert.equal(e.code, "invalid_json");
  e = thrown(() => engine.decide(p, { now: NOW, seed: 2 ** 53 + 2 }));
  assert.equal(e.code, "invalid_request");
  e = thrown(() => new sk.Learner(1.5));
  assert.equal(e.code, "invalid_request");
  e = thrown(() => new sk.Learner(60).update("o", "", "maybe", NOW));
  assert.equal(e.code, "invalid_request");
});

test("profiles: bytes, export, merge and erase", () => {
  const visitor = new sk.Profile("anon-7");
  visitor.apply({ type: "product_view", at: NOW - 10, channel: "web", product: "stove" }, NOW);
  const customer = sk.Profile.fromExport(new sk.Profile("c-7", true).export());
  customer.apply({ type: "purchase", at: NOW - 5, channel: "store", order: "o1", total: 5000, lines: [{ product: "stove", unit_price: 5000 }] }, NOW);
  customer.merge(visitor);
  assert.equal(customer.id, "c-7");
  assert.equal(customer.summary().purchasesAverage, 5000);
  const restored = sk.Profile.fromBytes(customer.toBytes());
  assert.deepEqual(restored.export(), customer.export());
  assert.throws(() => customer.merge(new sk.Profile("c-8", true)), (e) => e.code === "identity_conflict");
  customer.erase();
  assert.equal(customer.summary().purchasesAverage, null);
  assert.equal(customer.id, "c-7");
});

test("learners: update, counts, merge, bytes, and adaptive decisions with them", () => {
  const a = new sk.Learner(86400);
  a.update("o1", "gold", "accepted", NOW);
  a.update("o1", "gold", "dismissed", NOW);
  const b = sk.Learner.fromBytes(a.toBytes());
  b.merge(a);
  assert.deepEqual(b.counts("o1", "gold", NOW), { accepts: 2, rejects: 2 });
  assert.equal(b.size, 1);
  assert.equal(b.halfLife, 86400);
  const catalog = {
    version: "v1", learning: { half_life: "1d" }, default: { id: "none" },
    offers: [{ id: "o1", propensity: { adaptive: { prior: [1, 1] } } }, { id: "o2", propensity: { adaptive: { prior: [1, 1] } } }],
  };
  const engine = new sk.Engine(catalog, { now: NOW });
  const learner = engine.newLearner();
  assert.equal(learner.halfLife, 86400);
  const p = new sk.Profile("c");
  const one = engine.decideWith(p, { now: NOW, seed: 5 }, learner);
  assert.deepEqual(engine.decideWith(p, { now: NOW, seed: 5n }, learner).picks, one.picks);
  const logged = [one.picks[0].offer];
  const [probability] = engine.pickProbabilitiesWith(p, { now: NOW, seed: 5 }, learner, logged);
  assert.equal(engine.pickProbabilities(p, { now: NOW, seed: 5 }, logged).length, 1);
  assert.ok(probability > 0 && probability <= 1);
  // A missing argument is a clear error and leaves the objects usable.
  assert.throws(() => engine.pickProbabilities(p, { now: NOW, seed: 5 }), (e) => e.code === "invalid_request");
  assert.deepEqual(p.apply({ type: "product_view", at: NOW, channel: "web", product: "x" }, NOW), { recorded: true });
  assert.equal(sk.sampleBeta(7n, 2, 3), sk.sampleBeta(7, 2, 3));
});

test("a panic becomes an Error with code panic, and the package keeps working", () => {
  const before = new sk.Profile("kept");
  const bytes = before.toBytes();
  assert.throws(() => sk.__panicForTests(), (e) => e instanceof Error && e.code === "panic" && /the tests asked for/.test(e.message));
  // Objects of the aborted instance are not trusted again...
  assert.throws(() => before.toBytes(), (e) => e.code === "panic");
  before.free(); // ...but freeing one is harmless.
  // ...and new ones work, rebuilt from their bytes.
  const after = sk.Profile.fromBytes(bytes);
  assert.equal(after.id, "kept");
  assert.equal(sk.version(), JSON.parse(readFileSync(new URL("bindings/wasm/package.json", root), "utf8")).version);
});
