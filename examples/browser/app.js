// A shop page that picks its offers on the device with shopkeeper-wasm. The visitor's profile and
// the offers' learner live in localStorage as bytes; every view, cart change, chat message and
// response is an event; the banner and the cross-sell strip are decided again after each one. A
// chat message is heard by the engine (the catalog's intents, the models' sentiment) and only what
// was heard is kept: the text never reaches the profile.
//
// Run it: `cargo xtask wasm` (builds the package into target/npm), then serve the repository
// root (`python3 -m http.server`) and open http://localhost:8000/examples/browser/.
import init, { Engine, Learner, Profile } from "../../target/npm/shopkeeper-wasm/web/index.js";

const PRODUCTS = [
  { id: "tent-2p", name: "Two-person tent", category: "tents", price: 24900 },
  { id: "sleeping-bag-3s", name: "Three-season sleeping bag", category: "sleeping-bags", price: 12900 },
  { id: "headlamp", name: "Headlamp, 400 lm", category: "lighting", price: 3900 },
  { id: "tent-stakes", name: "Aluminium tent stakes (8)", category: "tents", price: 1900 },
  { id: "boots-trail", name: "Trail boots", category: "footwear", price: 15900 },
  { id: "socks-merino", name: "Merino hiking socks", category: "footwear", price: 1900 },
];
const PROFILE_KEY = "trailhead.profile";
const LEARNER_KEY = "trailhead.learner";

const $ = (id) => document.getElementById(id);
const now = () => Math.floor(Date.now() / 1000);
const money = (cents) => `$${(cents / 100).toFixed(2)}`;
const product = (id) => PRODUCTS.find((p) => p.id === id);
const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const text = (response) => {
  if (!response.ok) throw new Error(`cannot load ${response.url}: HTTP ${response.status}`);
  return response.text();
};

await init();
const [catalog, models] = await Promise.all([
  fetch("catalog.json").then(text),
  fetch("../storefront/models.json").then(text),
]);
const engine = new Engine(catalog, { models });

/** The stored profile and learner, or new ones; damaged bytes start over rather than break the page. */
function load(key, fromBytes, fresh) {
  const saved = localStorage.getItem(key);
  if (saved) {
    try {
      return fromBytes(fromBase64(saved));
    } catch (e) {
      console.warn(`Shopkeeper: ${key} could not be read (${e.code}); starting a new one`);
    }
  }
  return fresh();
}
let profile = load(PROFILE_KEY, Profile.fromBytes, () => new Profile(`visitor-${crypto.randomUUID()}`));
const learner = load(LEARNER_KEY, Learner.fromBytes, () => engine.newLearner());
let decision;
let onScreen; // the offer the banner shows, recorded as shown once when it appears

function save() {
  localStorage.setItem(PROFILE_KEY, toBase64(profile.toBytes()));
  localStorage.setItem(LEARNER_KEY, toBase64(learner.toBytes()));
}

/** Records one event (spec/events.md) at the current time, then decides again. */
function record(event) {
  try {
    profile.apply({ at: now(), channel: "web", ...event });
  } catch (e) {
    $("status").textContent = `Event rejected: ${e.code}: ${e.message}`;
  }
  render();
}

function cartLines() {
  const lines = Object.entries(profile.export().cart.lines);
  return lines.map(([id, l]) => ({ ...l, product: product(id) ?? { id, name: id } }));
}

function render() {
  const summary = profile.summary();
  const pageType = summary.cartQuantity > 0 ? "cart" : "home";
  decision = engine.decideWith(profile, { channel: "web", slots: 1, context: { page_type: pageType } }, learner);
  if (decision.picks[0].offer !== onScreen) {
    for (const shown of decision.shown) profile.apply(shown);
    onScreen = decision.picks[0].offer;
  }
  save();

  const pick = decision.picks[0];
  const banner = $("banner");
  banner.dataset.offer = pick.offer;
  banner.className = pick.kind;
  $("banner-title").textContent = pick.title;
  $("banner-text").textContent = pick.payload?.text ?? "";
  $("accept").hidden = $("dismiss").hidden = pick.is_default;
  $("receipt").hidden = true;

  $("cart-summary").textContent = `Cart: ${summary.cartQuantity} item${summary.cartQuantity === 1 ? "" : "s"}, ${money(summary.cartValue)}`;
  $("cart").replaceChildren(...cartLines().map((l) => {
    const li = document.createElement("li");
    li.textContent = `${l.quantity} x ${l.product.name} `;
    const remove = button("Remove", () => record({ type: "cart_remove", product: l.product.id }));
    li.append(remove);
    return li;
  }));

  // The strip: the cart's best complements under the models' co-occurrence statistics.
  const scores = engine.scores(profile);
  const inCart = new Set(cartLines().map((l) => l.product.id));
  const complements = scores.cross_sell.filter((id) => !inCart.has(id)).map(product).filter(Boolean);
  $("cross-sell-strip").hidden = complements.length === 0;
  $("cross-sell").replaceChildren(...complements.map(card));
  $("status").textContent = `Profile ${profile.id} (${profile.toBytes().length} bytes in localStorage), catalog ${engine.catalogVersion}, ${pageType} page`;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function card(p) {
  const li = document.createElement("li");
  li.dataset.product = p.id;
  li.innerHTML = `<strong></strong><br><span></span><br>`;
  li.querySelector("strong").textContent = p.name;
  li.querySelector("span").textContent = money(p.price);
  li.append(
    button("View", () => record({ type: "product_view", product: p.id, category: p.category })),
    button("Add to cart", () => record({ type: "cart_add", product: p.id, category: p.category, unit_price: p.price })),
  );
  return li;
}

/** A response to the banner: into the profile (contact policies) and the learner (adaptive offers). */
function respond(type, response) {
  const pick = decision.picks[0];
  if (pick.is_default) return;
  learner.update(pick.offer, decision.segment, response, now());
  record({ type, offer: pick.offer });
}

/** The chat box: the message is heard, folded into the profile (its text is not kept), and shown here only. */
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text) return;
  const li = document.createElement("li");
  li.textContent = `You: ${text} `;
  const note = document.createElement("small");
  try {
    const heard = engine.hear(text);
    profile.applyWith({ at: now(), channel: "chat", type: "message", direction: "inbound", text }, engine);
    note.textContent = `(heard: sentiment ${heard.sentiment?.toFixed(2) ?? "none"}, intents ${heard.intents.join(", ") || "none"})`;
  } catch (err) {
    note.textContent = `(not sent: ${err.code}: ${err.message})`;
  }
  li.append(note);
  $("chat-log").append(li);
  $("chat-input").value = "";
  render();
});

$("accept").addEventListener("click", () => respond("offer_accepted", "accepted"));
$("dismiss").addEventListener("click", () => respond("offer_dismissed", "dismissed"));
$("why").addEventListener("click", () => {
  // The same request, explained: every offer, picked or dropped, with the reason.
  const pageType = profile.summary().cartQuantity > 0 ? "cart" : "home";
  const { receipt } = engine.decideWith(profile, { channel: "web", slots: 1, context: { page_type: pageType }, explain: true }, learner);
  const lines = [
    ...receipt.picks.map((p) => `picked #${p.rank} ${p.offer}: score ${p.score?.toFixed(3) ?? "(default)"} = propensity ${p.propensity?.toFixed(3)} x weight ${p.context_weight} x value ${p.value?.toFixed(2)} x lever ${p.lever} (${p.propensity_source})`),
    ...receipt.dropped.map((d) => `dropped ${d.offer} at ${d.stage}: ${d.reason}`),
  ];
  $("receipt").textContent = lines.join("\n");
  $("receipt").hidden = false;
});
$("forget").addEventListener("click", () => {
  profile.erase();
  localStorage.removeItem(PROFILE_KEY);
  profile = new Profile(`visitor-${crypto.randomUUID()}`);
  render();
});

$("products").replaceChildren(...PRODUCTS.map(card));
render();
document.body.dataset.ready = "true";
