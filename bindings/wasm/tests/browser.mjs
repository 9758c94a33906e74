// The package in headless Chromium (the system's, driven by playwright-core; no browser
// download): every conformance vector through the `web` build, then a click-through of
// examples/browser with a screenshot. Serves the repository root on a free local port.
import { createServer } from "node:http";
import { readFile, readdir } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm", ".css": "text/css" };

const server = createServer(async (request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
  try {
    if (path === "/vectors.json") {
      const names = (await readdir(join(root, "spec/vectors"))).filter((n) => n.endsWith(".json")).sort();
      response.writeHead(200, { "content-type": TYPES[".json"] }).end(JSON.stringify(names));
      return;
    }
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root)) throw new Error("outside the repository");
    const body = await readFile(file);
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new"],
});
const errors = [];
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

  // 1. The conformance vectors.
  await page.goto(`${base}/bindings/wasm/tests/browser.html`);
  const result = await page.waitForFunction(() => window.result, null, { timeout: 60_000 }).then((h) => h.jsonValue());
  assert.equal(result.error, undefined, result.error);
  console.log(`Chromium ${browser.version()}: ${result.cases} conformance cases, ${result.failures.length} failed`);
  assert.deepEqual(result.failures, []);
  assert.ok(result.cases >= 600);
  assert.equal(result.panic?.code, "panic");
  assert.match(result.panic.message, /the tests asked for/);
  assert.equal(result.afterPanic, true, "the package works after a panic");
  console.log("a panic was thrown as code panic and the module restarted");

  // 2. The shop page: a new visitor.
  const shop = `${base}/examples/browser/`;
  await page.goto(shop);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  const banner = () => page.locator("#banner").getAttribute("data-offer");
  assert.equal(await banner(), "welcome-10", "a new visitor is welcomed");

  // View a tent: the tent guide qualifies (the receipt says why the banner keeps its offer).
  await page.click('#products li[data-product="tent-2p"] >> text=View');
  await page.click("#why");
  const receipt = await page.locator("#receipt").textContent();
  assert.match(receipt, /picked #1 welcome-10/);
  assert.doesNotMatch(receipt, /dropped tent-guide at eligibility/, "viewing a tent makes the guide eligible");
  assert.match(receipt, /dropped free-shipping-50 at applicability: cart.value >= 50/);

  // Add it to the cart: free shipping wins the banner, the strip shows its complements.
  await page.click('#products li[data-product="tent-2p"] >> text=Add to cart');
  assert.match(await page.locator("#cart-summary").textContent(), /1 item, \$249\.00/);
  assert.equal(await banner(), "free-shipping-50");
  const strip = await page.locator("#cross-sell li").evaluateAll((items) => items.map((li) => li.dataset.product));
  assert.ok(strip.includes("sleeping-bag-3s") && strip.includes("tent-stakes"), `cross-sell strip: ${strip}`);

  // Dismiss it: it cools down, another offer takes the banner, and the receipt says so.
  await page.click("#dismiss");
  const next = await banner();
  assert.notEqual(next, "free-shipping-50");
  await page.click("#why");
  assert.match(await page.locator("#receipt").textContent(), /dropped free-shipping-50 at contact_policy: dismissed 1 time: cooling down until/);

  // Reload: the profile comes back from localStorage, with the cart and the dismissal.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.match(await page.locator("#cart-summary").textContent(), /1 item, \$249\.00/);
  assert.equal(await banner(), next, "after a reload the banner keeps the same offer");
  await page.click("#why");
  assert.match(await page.locator("#receipt").textContent(), /free-shipping-50 at contact_policy/);

  // Write in the chat: the message is heard, and the banner listens (service, not sales).
  await page.fill("#chat-input", "My tent ARRIVED BROKEN, I want to cancel!");
  await page.click("#chat-send");
  assert.match(await page.locator("#chat-log").textContent(), /heard: sentiment -0\.\d+, intents broken, cancel/);
  assert.equal(await banner(), "talk-to-us", "a customer who wants to cancel gets a person, not a discount");
  await page.click("#why");
  const explained = await page.locator("#receipt").textContent();
  assert.match(explained, /picked #1 talk-to-us/);
  assert.match(explained, /at suitability: not has_intent\("cancel", 1d\)/);
  const stored = await page.evaluate(() => localStorage.getItem("trailhead.profile"));
  assert.ok(!atob(stored).includes("ARRIVED"), "the message's text is not stored");
  const screenshot = process.env.SHOPKEEPER_SCREENSHOT ?? join(root, "target/browser-example.png");
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`the shop page: welcome, view, add to cart, dismiss, reload and the chat box behave; screenshot in ${screenshot}`);
  assert.deepEqual(errors, [], "no errors in the page");
} finally {
  await browser.close();
  server.close();
}
