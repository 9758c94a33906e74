// The browser entry point: the `web` build of wasm-bindgen behind the guard of facade.js.
// `await init()` compiles the module once; a restart instantiates it again from a spare copy of
// the glue (imported ahead, so that the restart itself is synchronous).
import * as first from "./shopkeeper_wasm.js";
import { facade, failure } from "../facade.js";

let module;
let glue = first;
let spare;
let copies = 0;

async function loadSpare() {
  copies += 1;
  const url = new URL(`shopkeeper_wasm.js?instance=${copies}`, import.meta.url).href;
  spare = await import(/* @vite-ignore */ /* webpackIgnore: true */ url);
}

async function compile(pending) {
  const input = await pending; // `init(fetch(url))` passes a promise of a Response
  if (input instanceof WebAssembly.Module) return input;
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return WebAssembly.compile(input);
  const response = input instanceof Response ? input : await fetch(input);
  if (!response.ok) throw failure("invalid_request", `cannot load ${response.url}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

const api = facade({
  current: () => glue,
  ensure() {
    if (module === undefined) throw failure("invalid_request", "call and await init() before using Shopkeeper");
  },
  restart() {
    if (spare === undefined) throw failure("panic", "Shopkeeper panicked twice in a row; reload the page");
    glue = spare;
    spare = undefined;
    glue.initSync({ module });
    loadSpare().catch(() => {});
    return glue;
  },
});

export const {
  Engine, Profile, Learner, Cohorts, Kpis, Budgets, Fleet, Mark, Rule, checkCatalog, controlBucket,
  sampleBeta, ipw,
  snipw, version,
  __panicForTests,
} = api;

/**
 * Loads the module: call and await once before anything else. `input` is where the .wasm is (a
 * URL, default: next to this file), its bytes, a `Response` or a compiled `WebAssembly.Module`.
 */
export default async function init(input) {
  if (module !== undefined) return;
  const compiled = await compile(input ?? new URL("shopkeeper_wasm_bg.wasm", import.meta.url));
  first.initSync({ module: compiled });
  module = compiled;
  // A spare copy of the glue for restarts; where it cannot be imported (a bundler renamed the
  // file), a panic asks for a reload instead.
  await loadSpare().catch(() => {});
}
