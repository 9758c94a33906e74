// The package's public API: the classes and functions wasm-bindgen generates, behind one guard.
//
// A panic inside the module aborts it (a `WebAssembly.RuntimeError`), and an aborted instance
// may hold half-changed state. The guard turns the trap into an `Error` with code `panic` and the
// panic's message, then switches to a fresh instance, so the page keeps working. Objects made by
// the aborted instance are not trusted again: using one throws `panic` (rebuild it, for instance
// from its bytes). Everything else passes straight through: no logic lives here.

const INNER = Symbol("shopkeeper.inner");
const GENERATION = Symbol("shopkeeper.generation");
const CLASSES = ["Engine", "Profile", "Learner", "Cohorts", "Kpis", "Budgets", "Fleet", "Mark", "Rule"];

/** An `Error` with the C API's code name, as the module throws them. */
export function failure(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

/**
 * Builds the API over `loader`: `loader.current()` gives the instantiated glue module;
 * `loader.restart()` replaces it with a fresh instance (synchronously) and gives the new one;
 * `loader.ensure()`, if present, throws when the module cannot be called yet.
 */
export function facade(loader) {
  let glue = loader.current();
  let generation = 0;
  const api = {};

  function call(run) {
    loader.ensure?.();
    try {
      return run();
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      let message = "";
      try {
        message = glue.__takePanic();
      } catch {
        // The aborted instance cannot even say why: keep the trap's own message.
      }
      generation += 1; // before the restart: even if it fails, the old objects are not trusted
      glue = loader.restart();
      throw failure("panic", `Shopkeeper panicked and was restarted: ${message || e.message}. ` +
        "Objects created before are no longer usable; rebuild them (for instance from their bytes).");
    }
  }

  function inner(object) {
    if (object[GENERATION] !== generation) {
      throw failure("panic", "this object was created before Shopkeeper restarted after a panic; " +
        "rebuild it (for instance from its bytes)");
    }
    return object[INNER];
  }

  const unwrap = (arg) => (arg !== null && typeof arg === "object" && INNER in arg ? inner(arg) : arg);

  function wrap(value) {
    for (const name of CLASSES) {
      if (value instanceof glue[name]) {
        const object = Object.create(api[name].prototype);
        object[INNER] = value;
        object[GENERATION] = generation;
        return object;
      }
    }
    return value;
  }

  for (const name of CLASSES) {
    const Class = function (...args) {
      if (!new.target) throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
      return wrap(call(() => new glue[name](...args.map(unwrap))));
    };
    Object.defineProperty(Class, "name", { value: name });
    const prototype = glue[name].prototype;
    for (const key of Object.getOwnPropertyNames(prototype)) {
      if (key === "constructor" || key.startsWith("__")) continue;
      const { get, value } = Object.getOwnPropertyDescriptor(prototype, key);
      if (get) {
        Object.defineProperty(Class.prototype, key, { get() { const o = inner(this); return call(() => o[key]); } });
      } else if (key === "free") {
        // Freeing an object of an aborted instance is a no-op, not an error.
        Class.prototype.free = function () { if (this[GENERATION] === generation) call(() => this[INNER].free()); };
      } else if (typeof value === "function") {
        Class.prototype[key] = function (...args) {
          const o = inner(this);
          return wrap(call(() => o[key](...args.map(unwrap))));
        };
      }
    }
    if (Symbol.dispose) Class.prototype[Symbol.dispose] = function () { this.free(); };
    for (const key of Object.getOwnPropertyNames(glue[name])) {
      if (typeof glue[name][key] === "function" && !key.startsWith("__")) {
        Class[key] = (...args) => wrap(call(() => glue[name][key](...args.map(unwrap))));
      }
    }
    api[name] = Class;
  }

  for (const [key, value] of Object.entries(glue)) {
    if (typeof value !== "function" || CLASSES.includes(key) || key === "initSync" || key === "default") continue;
    if (key === "__takePanic") continue;
    api[key] = (...args) => wrap(call(() => glue[key](...args.map(unwrap))));
  }
  return api;
}
