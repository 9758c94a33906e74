// The dashboard in headless Chromium (playwright-core from the WASM package's tests, the system
// Chromium): it loads with nothing from the network and no error, every chart is drawn (lines,
// bars and text inside a visible SVG), and a screenshot is kept.
// With the traffic and the replay's decision log, also: every answer the traffic generator wrote
// hit an offer the replay showed (the generator makes the replay's own decisions).
// Run: node crates/shopkeeper-cli/tests/dashboard.mjs DASHBOARD.html SCREENSHOT.png [TRAFFIC LOG]
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(new URL("../../../bindings/wasm/tests/", import.meta.url));
const { chromium } = require("playwright-core");
const [html, png, traffic, log] = process.argv.slice(2);
assert.ok(html && png, "usage: dashboard.mjs DASHBOARD.html SCREENSHOT.png [TRAFFIC LOG]");
if (traffic && log) {
  const lines = (file) => readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
  const answered = lines(traffic).filter((l) => JSON.parse(l).type === "offer_accepted").length;
  const credited = lines(log).reduce((n, l) => n + (JSON.parse(l).accepted ?? []).length, 0);
  assert.ok(answered > 500, `only ${answered} accepts in the traffic`);
  assert.equal(credited, answered, "accepts the replay credited to the decision that showed the offer");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("request", (r) => !r.url().startsWith("file:") && errors.push(`fetched ${r.url()}`));
  await page.goto(pathToFileURL(html).href);
  const charts = await page.$$eval("section", (sections) =>
    sections.map((s) => {
      const svg = s.querySelector("svg");
      const box = svg?.getBoundingClientRect();
      return {
        title: s.querySelector("h2")?.textContent ?? "",
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        marks: svg ? svg.querySelectorAll("polyline, path, rect, circle, line").length : 0,
        texts: svg ? svg.querySelectorAll("text").length : 0,
      };
    }),
  );
  assert.deepEqual(errors, []);
  const titles = charts.map((c) => c.title);
  for (const want of [
    "Treatment against the control group",
    "Acceptance per offer, by day",
    "Attributed revenue per offer, by day",
    "Top reasons offers were dropped",
  ]) {
    assert.ok(titles.includes(want), `no chart "${want}" in ${JSON.stringify(titles)}`);
  }
  assert.ok(titles.some((t) => t.startsWith("Budget of ")), `no budget chart in ${JSON.stringify(titles)}`);
  for (const c of charts) {
    assert.ok(c.width >= 600 && c.height >= 300, `${c.title}: drawn ${c.width}x${c.height}`);
    assert.ok(c.marks >= 10 && c.texts >= 4, `${c.title}: ${c.marks} marks and ${c.texts} texts`);
  }
  const lift = await page.textContent("section p.summary");
  assert.match(lift, /personalization raises conversion/);
  const shot = await page.screenshot({ path: png, fullPage: true });
  // A page of charts, not a blank one: a blank page's PNG is a few KB.
  assert.ok(shot.length > 30_000, `the screenshot is ${shot.length} bytes`);
  console.log(`the dashboard shows ${charts.length} charts in Chromium; screenshot in ${png}`);
} finally {
  await browser.close();
}
