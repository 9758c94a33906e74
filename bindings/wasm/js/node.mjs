// The Node entry point: the `nodejs` build of wasm-bindgen (CommonJS, instantiated on load)
// behind the guard of facade.js. A restart loads the glue again: a fresh instance.
import { createRequire } from "node:module";
import { facade } from "../facade.js";

const require = createRequire(import.meta.url);
const path = require.resolve("./shopkeeper_wasm.js");
let glue = require(path);

const api = facade({
  current: () => glue,
  restart() {
    delete require.cache[path];
    glue = require(path);
    return glue;
  },
});

export const {
  Engine, Profile, Learner, Cohorts, Kpis, Budgets, Fleet, Mark, Rule, checkCatalog, controlBucket,
  sampleBeta, ipw,
  snipw, version,
  __panicForTests,
} = api;

/** Nothing to wait for in Node (the module is ready on import); here so that code shared with
 * browsers can `await init()` everywhere. */
export default async function init() {}
