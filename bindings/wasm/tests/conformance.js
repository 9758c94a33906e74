// Runs the conformance vectors of spec/vectors (format: spec/vectors/README.md) through the
// package, in Node and in a browser alike: `run(sk, files)` with the package's exports and the
// files' `{name, text}`. The Rust harness (crates/shopkeeper/tests/conformance.rs) and the C one
// (bindings/c/tests/conformance.c) run the same files; all must agree.

/** Parses a vector file, keeping 64-bit seeds exact (JSON.parse would round them). */
export function parseVectors(text) {
  const marked = text.replace(/("seed"\s*:\s*)(\d{16,})/g, '$1"$2n"');
  return JSON.parse(marked, (key, value) =>
    key === "seed" && typeof value === "string" && value.endsWith("n") ? BigInt(value.slice(0, -1)) : value);
}

/** Runs every case of every file; returns `{cases, failures}` (failures: "file: case: why"). */
export function run(sk, files) {
  let cases = 0;
  const failures = [];
  for (const { name, text } of files) {
    const file = parseVectors(text);
    for (const c of file.cases) {
      cases += 1;
      try {
        const why = dispatch(sk, c, file);
        if (why) failures.push(`${name}: ${c.name}: ${why}`);
      } catch (e) {
        failures.push(`${name}: ${c.name}: threw ${e.code ?? ""} ${e.message}`);
      }
    }
  }
  return { cases, failures };
}

function dispatch(sk, c, file) {
  if ("cohorts_hex" in c) return runBytes(sk.Cohorts, c, "cohorts");
  if ("kpis_hex" in c) return runBytes(sk.Kpis, c, "kpis");
  if ("budgets_hex" in c) return runBytes(sk.Budgets, c, "budgets");
  if ("fleet" in c) return runFleet(sk, c);
  if ("kpis" in c) return runKpis(sk, c, file.now);
  if ("hear" in c) return runHear(sk, c);
  if ("log_entry" in c) return runLogEntry(sk, c);
  if ("credit" in c) return runCredit(sk, c);
  if ("rule" in c) return runRule(sk, c, file.fixture ?? {});
  if ("bucket" in c) return runBucket(sk, c);
  if ("beta" in c) return runBeta(sk, c);
  if ("ope" in c) return runOpe(sk, c);
  if ("learner" in c && !("catalog" in c)) return runLearner(sk, c);
  if ("request" in c || "catalog" in c) return runDecision(sk, c, file);
  return runFold(sk, c);
}

const show = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}` : x));

/** JSON equality with numbers by value. */
function same(a, b) {
  if (a === undefined) a = null;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && same(a[k], b[k]));
  }
  return a === b;
}

/** Numbers within 1e-9 relative; anything else equal. */
function close(got, want) {
  if (typeof got === "number" && typeof want === "number") return Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), 1);
  return same(got, want);
}

/** The engine a case's `listener` (`{catalog, models}`) describes. */
const listenerEngine = (sk, spec) => new sk.Engine(spec.catalog, { now: 0, models: spec.models });

/** A text of a `hear` case: a string, or `{repeat, times, then}`. */
const textOf = (spec) => (typeof spec === "string" ? spec : spec.repeat.repeat(spec.times) + (spec.then ?? ""));

function runHear(sk, c) {
  const engine = listenerEngine(sk, c.listener);
  if (c.hear.length !== c.expect.heard.length) return "as many expectations as texts";
  for (const [i, spec] of c.hear.entries()) {
    const want = c.expect.heard[i];
    let got;
    try {
      got = engine.hear(textOf(spec));
    } catch (e) {
      if (typeof e.code !== "string") throw e;
      got = { error: e.code };
    }
    if (subset(got, want) || subset(want, got)) return `text ${i + 1}: heard ${show(got)}, expected ${show(want)}`;
  }
  return null;
}

function outcome(profile, event, now, engine) {
  try {
    const applied = engine ? profile.applyWith(event, engine, now) : profile.apply(event, now);
    return applied.recorded ? "recorded" : `ignored:${applied.ignored}`;
  } catch (e) {
    if (typeof e.code !== "string") throw e;
    return `error:${e.code}`;
  }
}

function runFold(sk, c) {
  const expect = c.expect ?? {};
  if ("decode_hex" in c) {
    const bytes = hexToBytes(c.decode_hex);
    let p;
    try {
      p = sk.Profile.fromBytes(bytes);
    } catch (e) {
      return expect.error !== undefined && expect.error === e.code ? null : `decoding failed: ${e.code} ${e.message}`;
    }
    if (expect.error) return `decoded, expected error ${expect.error}`;
    return checkFacts(p, expect, 0);
  }
  const outcomes = [];
  const profiles = [];
  const engine = c.listener ? listenerEngine(sk, c.listener) : null;
  for (const spec of c.profiles) {
    const p = new sk.Profile(spec.id, spec.known === true);
    for (const event of spec.events) {
      // `{padded: EVENT, pad: N}`: the event on one line, then N spaces.
      const given = event?.padded !== undefined ? JSON.stringify(event.padded) + " ".repeat(event.pad ?? 0) : event;
      outcomes.push(outcome(p, given, c.now, engine));
    }
    profiles.push(p);
  }
  if (expect.outcomes && !same(outcomes, expect.outcomes)) return `outcomes ${show(outcomes)}, expected ${show(expect.outcomes)}`;
  const [merged, ...others] = profiles;
  for (const other of others) {
    try {
      merged.merge(other);
    } catch (e) {
      return expect.error !== undefined && expect.error === e.code ? null : `merge failed: ${e.code} ${e.message}`;
    }
  }
  if (expect.error) return `expected error ${expect.error}`;
  if (c.erase === true) merged.erase();
  const bytes = merged.toBytes();
  if (!sameBytes(sk.Profile.fromBytes(bytes).toBytes(), bytes)) return "bytes round trip changed the profile";
  const exported = merged.export();
  if (!same(sk.Profile.fromExport(exported).export(), exported)) return "export round trip changed the profile";
  if (!sameBytes(sk.Profile.fromExport(JSON.stringify(exported)).toBytes(), bytes)) return "export text round trip changed the bytes";
  return checkFacts(merged, expect, c.now);
}

function checkFacts(p, expect, now) {
  const exported = p.export();
  for (const [key, want] of Object.entries(expect.facts ?? {})) {
    const got = key.startsWith("/") ? pointer(exported, key) : derived(p, key, now);
    if (!same(got, want)) return `${key} is ${show(got)}, expected ${show(want)}`;
  }
  return null;
}

/** The derived facts of spec/vectors/README.md. */
function derived(p, key, now) {
  const s = p.summary();
  switch (key) {
    case "cart.value": return s.cartValue;
    case "cart.quantity": return s.cartQuantity;
    case "purchases.average": return s.purchasesAverage;
    case "purchases.repeat_average": return s.purchasesRepeatAverage;
    case "session.time_on_site": return s.timeOnSite;
    case "objects_to_personalization": return s.objectsToPersonalization;
    case "bytes_hex": return [...p.toBytes()].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  const [kind, offer, window] = key.split(":");
  if (kind === "shown_within") return p.shownWithin(offer, Number(window), now);
  throw new Error(`unknown fact ${key}`);
}

/** RFC 6901. */
function pointer(doc, path) {
  let at = doc;
  for (const raw of path.slice(1).split("/")) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (at === null || typeof at !== "object" || !(token in at)) return null;
    at = at[token];
  }
  return at;
}

function hexToBytes(hex) {
  if (hex.length % 2 !== 0) throw new Error("odd-length hex");
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** An engine whose catalog declares the case's schema and no offers, with the case's models (if
 * any): rules compile against it and read score paths with its models. */
function schemaEngine(sk, schema, now, models) {
  return new sk.Engine({
    version: "conformance",
    currency_decimals: schema.currency_decimals ?? 2,
    attributes: schema.attributes ?? {},
    context: schema.context ?? {},
    default: { id: "nothing" },
    offers: [],
  }, models == null ? { now } : { now, models });
}

function runRule(sk, c, fixture) {
  const get = (key) => (key in c ? c[key] : fixture[key]);
  const now = get("now");
  const engine = schemaEngine(sk, get("schema") ?? {}, now ?? 0, get("models"));
  const options = { condition: c.condition === true };
  const expect = c.expect;
  if ("errors" in expect) {
    const found = engine.checkRule(c.rule, options).map((d) => ({ code: d.code, line: d.line, column: d.column }));
    if (found.length > 0) {
      let thrown;
      try { engine.compileRule(c.rule, options); } catch (e) { thrown = e; }
      if (thrown?.code !== "invalid_rule" || thrown.line !== found[0].line || thrown.column !== found[0].column) {
        return `compileRule threw ${thrown?.code} at ${thrown?.line}:${thrown?.column}, expected the first diagnostic's place`;
      }
    }
    return same(found, expect.errors) ? null : `errors ${show(found)}, expected ${show(expect.errors)}`;
  }
  const rule = engine.compileRule(c.rule, options);
  const spec = get("profile") ?? {};
  const profile = new sk.Profile(spec.id ?? "c1", spec.known !== false);
  for (const event of spec.events ?? []) profile.apply(event, now);
  // The context is read against the rule's schema: one built for another schema (context_schema)
  // cannot be passed in JS, and reading its keys against this schema must fail the same way.
  const context = JSON.stringify(get("context") ?? {}) + " ".repeat(c.context_pad ?? 0);
  const input = { context, now };
  if (expect.error !== undefined) {
    for (const call of ["eval", "matches"]) {
      try {
        rule[call](profile, input);
        return `${call} succeeded, expected ${expect.error}`;
      } catch (e) {
        if (e.code !== expect.error) return `${call}: ${e.code} ${e.message}, expected ${expect.error}`;
      }
    }
    return null;
  }
  const got = rule.eval(profile, input);
  if (!("value" in expect)) return "expect needs value or errors";
  if (!close(got, expect.value)) return `value ${show(got)}, expected ${show(expect.value)}`;
  if (typeof got === "boolean" || got === null) {
    // A condition's `matches` agrees with its value (missing is false).
    if (c.condition === true || typeof got === "boolean") {
      if (rule.matches(profile, input) !== (got === true)) return "matches disagrees with the value";
    }
  }
  return null;
}

/** A decision-log line (on one line, then `log_pad` spaces) evaluated for the case's catalog. */
function runLogEntry(sk, c) {
  const engine = new sk.Engine(c.catalog, { now: c.now ?? 0 });
  const line = JSON.stringify(c.log_entry) + " ".repeat(c.log_pad ?? 0);
  let logged;
  try {
    logged = engine.evaluateLog(line);
  } catch (e) {
    return c.expect.error !== undefined && e.code === c.expect.error ? null : `evaluate: ${e.code} ${e.message}`;
  }
  if (c.expect.error !== undefined) return `evaluated, expected ${c.expect.error}`;
  return subset(logged.map((l) => [l.logging, l.target, l.reward]), c.expect.logged);
}

/** A response credited with a decision's record. */
function runCredit(sk, c) {
  const learner = new sk.Learner(c.credit.half_life);
  let credited;
  try {
    credited = learner.credit(c.credit.record, c.credit.offer, c.credit.response, c.credit.at);
  } catch (e) {
    return c.expect.error !== undefined && e.code === c.expect.error ? null : `credit: ${e.code} ${e.message}`;
  }
  if (c.expect.error !== undefined) return `credited, expected ${c.expect.error}`;
  if (credited !== c.expect.credited) return `credited ${credited}`;
  for (const [offer, segment, at, accepts, rejects] of c.expect.counts) {
    const got = learner.counts(offer, segment, at);
    if (!close(got.accepts, accepts) || !close(got.rejects, rejects)) return `counts of ${offer}: ${show(got)}`;
  }
  return null;
}

function runBucket(sk, c) {
  const got = sk.controlBucket(c.bucket.salt, c.bucket.customer);
  if (got * 2 ** 53 !== c.expect.bits || Math.abs(got - c.expect.value) > 1e-15) {
    return `bucket ${got}, expected ${c.expect.value} (${c.expect.bits} / 2^53)`;
  }
  return null;
}

/** A number of a vector: "NaN", "Infinity" and "-Infinity" stand for the numbers JSON lacks. */
const num = (v) => (typeof v === "string" ? Number(v) : v);

function runBeta(sk, c) {
  if (c.expect.error !== undefined) {
    try {
      const got = sk.sampleBeta(c.beta.seed, num(c.beta.a), num(c.beta.b));
      return `drew ${got}, expected ${c.expect.error}`;
    } catch (e) {
      return e.code === c.expect.error ? null : `beta: ${e.code} ${e.message}`;
    }
  }
  const got = sk.sampleBeta(c.beta.seed, num(c.beta.a), num(c.beta.b));
  return Number.isFinite(got) && Math.abs(got - c.expect.value) <= 1e-12 ? null : `beta draw ${got}, expected ${c.expect.value}`;
}

function buildLearner(sk, spec) {
  const build = (halfLife, updates) => {
    const l = new sk.Learner(halfLife, spec.recent_half_life);
    for (const [offer, segment, response, at, bins] of updates ?? []) {
      if (bins) l.updateWith(offer, segment, bins, response, at);
      else l.update(offer, segment, response, at);
    }
    return l;
  };
  const l = build(spec.half_life, spec.updates);
  for (const updates of spec.merge ?? []) l.merge(build(spec.merge_half_life ?? spec.half_life, updates));
  const bytes = l.toBytes();
  if (!sameBytes(sk.Learner.fromBytes(bytes).toBytes(), bytes)) throw new Error("bytes round trip changed the learner");
  return l;
}

function runLearner(sk, c) {
  const expect = c.expect;
  let l;
  try {
    l = buildLearner(sk, c.learner);
  } catch (e) {
    return expect.error !== undefined && expect.error === e.code ? null : `learner: ${e.code} ${e.message}`;
  }
  if (expect.error) return `built, expected ${expect.error}`;
  for (const [offer, key, at, ...want] of expect.model_counts ?? []) {
    const got = l.modelCounts(offer, key, at);
    const flat = [got.long.accepts, got.long.rejects, got.recent.accepts, got.recent.rejects];
    if (!flat.every((g, i) => close(g, want[i]))) return `model counts of ${offer}/${key} at ${at}: got ${show(got)}`;
  }
  for (const [offer, segment, at, accepts, rejects] of expect.counts) {
    const got = l.counts(offer, segment, at);
    if (!close(got.accepts, accepts) || !close(got.rejects, rejects)) return `counts of ${offer}/${segment} at ${at}: got ${show(got)}`;
  }
  return null;
}

function runOpe(sk, c) {
  const logs = c.ope.logs.map(([logging, target, reward]) => ({ logging, target, reward }));
  const expect = c.expect;
  const keys = { value: "value", std_error: "stdError", low: "low", high: "high", effective_sample_size: "effectiveSampleSize" };
  for (const name of ["ipw", "snipw"]) {
    let got, error;
    try { got = sk[name](logs, c.ope.z); } catch (e) { error = e; }
    if (error) {
      if (expect.error !== undefined && error.code === expect.error) continue;
      if (name === "snipw" && !("snipw" in expect) && expect.error === undefined) continue;
      return `${name}: threw ${error.code} ${error.message}`;
    }
    if (expect.error !== undefined || !(name in expect)) return `${name}: got ${show(got)}, expected ${show(expect[name])} / error ${expect.error}`;
    for (const [key, want] of Object.entries(expect[name])) {
      if (!close(got[keys[key]], want)) return `${name} ${key}: got ${got[keys[key]]}, expected ${want}`;
    }
  }
  return null;
}

function problemsMatch(got, want) {
  if (want === undefined) return null;
  if (got.length !== want.length) return `problems ${show(got.map((p) => p.rendered))}, expected ${show(want)}`;
  for (let i = 0; i < want.length; i++) {
    for (const [key, value] of Object.entries(want[i])) {
      if (!same(got[i][key], value)) return `problem ${got[i].rendered}: ${key} is ${show(got[i][key])}, expected ${show(value)}`;
    }
  }
  return null;
}

/** Why `got` does not hold `want` (every key of an object, as many items of an array, numbers
 * within 1e-9 relative), or null. */
function subset(got, want, at = "") {
  if (want !== null && typeof want === "object" && !Array.isArray(want)) {
    if (got === null || typeof got !== "object") return `${at}: ${show(got)}, expected ${show(want)}`;
    for (const [key, value] of Object.entries(want)) {
      const wrong = subset(got[key] ?? null, value, `${at}.${key}`);
      if (wrong) return wrong;
    }
    return null;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `${at}: ${show(got)}, expected ${show(want)}`;
    for (const [i, value] of want.entries()) {
      const wrong = subset(got[i], value, `${at}[${i}]`);
      if (wrong) return wrong;
    }
    return null;
  }
  return close(got, want) ? null : `${at}: ${show(got)}, expected ${show(want)}`;
}

/**
 * The counts of `{nodes: [[profile, ...], ...]}`: each profile's events applied at `now` between
 * `cohorts.mark` and `cohorts.record`, the nodes merged into the first; they must survive their
 * bytes and equal `want` when given. A string is a failure.
 */
function buildCohorts(sk, engine, spec, now, want) {
  let first = null;
  for (const node of spec.nodes) {
    const counts = engine.newCohorts(spec.since ?? 0);
    for (const p of node) {
      const profile = new sk.Profile(p.id ?? "customer", p.known === true);
      for (const event of p.events ?? []) {
        const before = profile.mark();
        try {
          profile.apply(event, now);
        } catch {
          // A rejected event changes nothing, and counts nothing.
        }
        counts.record(before, profile);
      }
    }
    if (first) first.merge(counts);
    else first = counts;
  }
  const again = sk.Cohorts.fromBytes(first.toBytes());
  if (!same(again.toJSON(), first.toJSON())) return "the bytes round trip changed the counts";
  if (want !== undefined && !same(first.toJSON(), want)) return `cohorts ${show(first.toJSON())}`;
  return first;
}

/**
 * `{<what>_hex, expect: {<what>} | {error}}`: the bytes decode (`Class.fromBytes`) to a value whose
 * JSON holds every field expected, or throw the code.
 */
function runBytes(Class, c, what) {
  let value;
  try {
    value = Class.fromBytes(hexToBytes(c[`${what}_hex`]));
  } catch (e) {
    return c.expect.error === e.code ? null : `decode: ${e.code} ${e.message}`;
  }
  if (c.expect.error) return `decoded, expected ${c.expect.error}`;
  return subset(value.toJSON(), c.expect[what]);
}

/**
 * Publications to a fleet, each replacing its node's slot or not (or refused with its code),
 * then the global view's bytes.
 */
function runFleet(sk, c) {
  const fleet = new sk.Fleet();
  for (const [i, step] of c.fleet.entries()) {
    let replaced;
    try {
      replaced = fleet.publish(step.node, BigInt(step.sequence), hexToBytes(step.bytes_hex));
    } catch (e) {
      if (step.error === e.code) continue;
      return `publication ${i}: ${e.code} ${e.message}`;
    }
    if (step.error) return `publication ${i}: published, expected ${step.error}`;
    if (replaced !== step.replaced) return `publication ${i}: replaced is ${replaced}`;
  }
  const global = fleet.global();
  const hex = global === undefined ? null : Array.from(global, (b) => b.toString(16).padStart(2, "0")).join("");
  return hex === (c.expect.global_hex ?? null) ? null : `global ${hex}, expected ${c.expect.global_hex}`;
}

/**
 * The budget counters of `{nodes: [[event, ...], ...]}`: each node records its events against
 * the engine's catalog, the nodes merged into the first; they survive their bytes and their JSON
 * equals `want`.
 */
function buildBudgets(sk, engine, spec, want) {
  let first = null;
  for (const node of spec.nodes) {
    const mine = new sk.Budgets();
    for (const event of node) mine.record(engine, event);
    if (first) first.merge(mine);
    else first = mine;
  }
  const again = sk.Budgets.fromBytes(first.toBytes());
  if (!same(again.toJSON(), first.toJSON())) return "the bytes round trip changed the counters";
  if (want !== undefined && !same(first.toJSON(), want)) return `budgets ${show(first.toJSON())}`;
  for (const [id, spend] of Object.entries(first.toJSON().offers)) {
    const spent = first.spent(engine, id, spend.start);
    if (spent !== spend.shows && spent !== spend.accepts) return `budgets.spent(${id}) is ${spent}`;
  }
  return first;
}

/**
 * `{catalog, kpis: {since, nodes}, expect: {kpis}}`: each node's KPIs, the arm from the catalog's
 * control group (`engine.inControlGroup`), merged into the first; their bytes read back; their
 * JSON holds `expect.kpis`.
 */
function runKpis(sk, c, now) {
  const engine = new sk.Engine(c.catalog, { now });
  let first = null;
  for (const node of c.kpis.nodes) {
    const kpis = new sk.Kpis(c.kpis.since);
    for (const p of node) {
      const profile = new sk.Profile(p.id ?? "customer", p.known === true);
      const control = engine.inControlGroup(profile);
      for (const event of p.events ?? []) {
        const before = profile.mark();
        try {
          profile.apply(event, now);
        } catch {
          // A rejected event changes nothing, and counts nothing.
        }
        kpis.record(before, profile, control);
      }
    }
    if (first) first.merge(kpis);
    else first = kpis;
  }
  const decided = new sk.Kpis(c.kpis.since);
  for (const d of c.kpis.decisions ?? []) {
    decided.recordDecision(d.record);
    for (const event of d.events) decided.recordOffer(d.record, event);
  }
  if (first) first.merge(decided);
  else first = decided;
  const again = sk.Kpis.fromBytes(first.toBytes());
  if (!same(again.toJSON(), first.toJSON())) return "the bytes round trip changed the KPIs";
  return subset(first.toJSON(), c.expect.kpis);
}

function runDecision(sk, c, file) {
  const get = (key) => (key in c ? c[key] : file[key]);
  const expect = c.expect;
  const now = get("now");
  // The catalog on one line, then `catalog_pad` spaces (to test its size bound).
  const catalogText = JSON.stringify(get("catalog")) + " ".repeat(c.catalog_pad ?? 0);
  const diagnostics = sk.checkCatalog(catalogText, now);
  const errors = diagnostics.filter((d) => d.severity === "error");
  const warnings = diagnostics.filter((d) => d.severity === "warning");
  const models = get("models");
  let engine;
  try {
    engine = new sk.Engine(catalogText, { now, models });
  } catch (e) {
    if (e.code === "invalid_catalog" && e.diagnostics !== undefined) {
      if (!("catalog_errors" in expect)) return `the catalog did not compile: ${e.message}`;
      if (!same(e.diagnostics, diagnostics)) return "the engine's diagnostics differ from checkCatalog's";
      if (errors[0].line !== (e.line ?? null) || errors[0].column !== (e.column ?? null)) return `error at ${e.line}:${e.column}, first diagnostic at ${errors[0].line}:${errors[0].column}`;
      return problemsMatch(errors, expect.catalog_errors);
    }
    return expect.engine_error !== undefined && expect.engine_error === e.code ? null : `engine: ${e.code} ${e.message}`;
  }
  if ("catalog_errors" in expect) return `compiled, expected errors ${show(expect.catalog_errors)}`;
  if (expect.engine_error) return `engine built, expected ${expect.engine_error}`;
  const warned = problemsMatch(warnings, expect.warnings);
  if (warned) return warned;
  if (!same(engine.warnings().map((d) => d.rendered), warnings.map((d) => d.rendered))) return "engine.warnings() differs from checkCatalog";
  if (!("request" in c)) return null;
  const spec = c.profile ?? {};
  const profile = new sk.Profile(spec.id ?? "customer", spec.known === true);
  for (const event of spec.events ?? []) profile.apply(event, now);
  // The vector's request as it is (the core's reader applies the defaults), with the case's
  // `now` unless it has one and the context. A context built for another catalog
  // (`context_catalog`) cannot be passed in JS: read against this engine's schema, its keys must
  // fail the same way.
  const request = { ...c.request, now: c.request.now ?? now, context: c.context ?? {} };
  const learner = "learner" in c ? buildLearner(sk, c.learner) : null;
  let cohorts = null;
  if ("cohorts" in c) {
    const built = buildCohorts(sk, engine, c.cohorts, now, expect.cohorts);
    if (typeof built === "string") return built;
    cohorts = built;
  }
  let budgets = null;
  if ("budgets" in c) {
    const built = buildBudgets(sk, engine, c.budgets, expect.budgets);
    if (typeof built === "string") return built;
    budgets = built;
  }
  const live = cohorts || budgets;
  const decide = (req) =>
    live
      ? engine.decideLive(
          profile,
          req,
          learner ?? engine.newLearner(),
          cohorts ?? engine.newCohorts(),
          budgets ?? new sk.Budgets(),
        )
      : learner
        ? engine.decideWith(profile, req, learner)
        : engine.decide(profile, req);
  let fast, logged, explained;
  const failures = [];
  for (const extra of [{}, { log: true }, { explain: true }]) {
    try {
      const d = decide({ ...request, ...extra });
      if (extra.log) logged = d;
      else if (extra.explain) explained = d;
      else fast = d;
    } catch (e) {
      failures.push(e);
    }
  }
  if (failures.length > 0) {
    const ok = expect.error !== undefined && failures.length === 3 && failures.every((e) => e.code === expect.error);
    return ok ? null : `decide: ${failures[0].code} ${failures[0].message}`;
  }
  if (expect.error) return `decided, expected error ${expect.error}`;
  const ids = (d) => d.picks.map((p) => p.offer);
  const scores = (d) => d.picks.map((p) => p.score);
  for (const other of [logged, explained]) {
    if (!same(ids(fast), ids(other)) || !same(scores(fast), scores(other))) return `with the log or receipt ${show(ids(other))}, without ${show(ids(fast))}`;
  }
  if ("receipt" in fast || "log" in fast || "receipt" in logged) return "a decision carries a receipt or log it was not asked for";
  if (!("log" in logged) || !("log" in explained)) return "a logged decision has no log record";
  const receipt = explained.receipt;
  if (expect.picks && !same(ids(fast), expect.picks)) return `picks ${show(ids(fast))}, expected ${show(expect.picks)}`;
  if (expect.scores) {
    const got = scores(fast);
    if (got.length !== expect.scores.length || got.some((g, i) => !close(g, expect.scores[i]))) return `scores ${show(got)}, expected ${show(expect.scores)}`;
  }
  for (const key of ["fallback", "control_group", "suppressed", "segment"]) {
    if (key in expect && !same(receipt[key], expect[key])) return `${key} is ${show(receipt[key])}, expected ${show(expect[key])}`;
  }
  if (fast.fallback !== explained.fallback || fast.control_group !== explained.control_group || fast.fallback !== receipt.fallback || fast.control_group !== receipt.control_group || fast.segment !== receipt.segment) {
    return "fallback, control group or segment differ between the decision and its receipt";
  }
  const shown = fast.picks.filter((p) => !p.is_default).map((p) => p.offer);
  if (!same(fast.shown.map((e) => e.offer), shown) || fast.shown.some((e) => e.type !== "offer_shown" || e.at !== request.now)) return `shown events ${show(fast.shown)}`;
  for (const [i, pick] of logged.picks.entries()) {
    const want = receipt.picks[i].probability;
    if (fast.picks[i].probability !== null || !close(pick.probability, want) || !close(logged.log.picks[i].probability, want)) return `pick ${i + 1}: probability ${pick.probability}, the receipt's ${want}`;
  }
  if ("decision" in expect) {
    const wrong = subset(logged, expect.decision);
    if (wrong) return `decision JSON: ${wrong}`;
  }
  if ("log" in expect) {
    const wrong = subset(logged.log, expect.log);
    if (wrong) return `log record: ${wrong}`;
  }
  for (const [i, want] of (expect.picks_detail ?? []).entries()) {
    for (const [key, value] of Object.entries(want)) {
      const wrong = subset(receipt.picks[i]?.[key] ?? null, value, `pick ${i + 1}.${key}`);
      if (wrong) return wrong;
    }
  }
  const dropped = (offer) => receipt.dropped.find((d) => d.offer === offer);
  for (const [offer, stage] of Object.entries(expect.dropped ?? {})) {
    if (dropped(offer)?.stage !== stage) return `${offer} dropped at ${dropped(offer)?.stage}, expected ${stage}`;
  }
  for (const [offer, reason] of Object.entries(expect.reasons ?? {})) {
    if (dropped(offer)?.reason !== reason) return `${offer}: reason ${show(dropped(offer)?.reason)}, expected ${show(reason)}`;
  }
  return null;
}
