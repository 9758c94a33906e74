// The WASM side of `cargo xtask wasm-bench`: decide on the 1,000-offer catalog of
// benches/fixtures.rs through the package in Node, and the time to load the module. Prints one
// JSON line; xtask sets it beside criterion's native numbers from the same run.
// Usage: node bench.mjs FIXTURE.json
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const fixture = JSON.parse(readFileSync(process.argv[2], "utf8"));
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

// Loading: the Node entry compiles and instantiates the module on import.
let t = process.hrtime.bigint();
const sk = await import("shopkeeper-wasm");
const importMs = ms(t);
// The browser path, split: compile the bytes, then instantiate with the web glue.
const bytes = readFileSync(new URL("node_modules/shopkeeper-wasm/web/shopkeeper_wasm_bg.wasm", import.meta.url));
t = process.hrtime.bigint();
const module = await WebAssembly.compile(bytes);
const compileMs = ms(t);
const web = await import(new URL("node_modules/shopkeeper-wasm/web/shopkeeper_wasm.js", import.meta.url));
t = process.hrtime.bigint();
web.initSync({ module });
const instantiateMs = ms(t);

t = process.hrtime.bigint();
const engine = new sk.Engine(fixture.catalog, { now: fixture.now });
const engineMs = ms(t);
const profile = sk.Profile.fromExport(fixture.profile);
const request = { channel: "web", now: fixture.now, slots: fixture.slots, context: fixture.context };
assert.deepEqual(engine.decide(profile, request).picks.map((p) => p.offer), fixture.picks, "WASM and native pick the same offers");

/** Median time per call in microseconds over batches, after a warm-up. */
function time(run, seconds = 3) {
  const warmUp = process.hrtime.bigint() + 1_000_000_000n;
  let calls = 0;
  while (process.hrtime.bigint() < warmUp) { run(); calls++; }
  const batch = Math.max(1, Math.round(calls / 20));
  const samples = [];
  const end = process.hrtime.bigint() + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < end || samples.length < 10) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e3 / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

// A catalog load, again and again: the engine (reading, checking and compiling the catalog's
// text), beside the least any JavaScript reader does with the same text (JSON.parse).
const engineRepeatMs = time(() => new sk.Engine(fixture.catalog, { now: fixture.now }).free(), 2) / 1e3;
const jsonParseMs = time(() => JSON.parse(fixture.catalog), 2) / 1e3;

const explained = { ...request, explain: true };
console.log(JSON.stringify({
  importMs, compileMs, instantiateMs, engineMs, engineRepeatMs, jsonParseMs,
  decideUs: time(() => engine.decide(profile, request)),
  decideReceiptUs: time(() => engine.decide(profile, explained)),
  wasmBytes: bytes.length,
}));
