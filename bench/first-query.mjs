// First query from a cold cache, measured in headless Chromium, for Kaifang's search page and
// for Pagefind on the same built site (run `pagefind --site DIR` first).
//
//   node bench/first-query.mjs SITE_DIR QUERY...
//
// Serves SITE_DIR on 127.0.0.1, opens a fresh browser context per query and engine, and counts
// the bytes of every response: the index files, and separately the engine's own scripts
// (Kaifang: the worker and search-core.js; Pagefind: pagefind.js, its wasm and entry file).
// Pagefind is asked for the first 10 results' data, as its UI shows them; the generated pages
// carry no data-pagefind-filter markup, so Pagefind loads no filter files (its facets would
// cost more).
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join, normalize, resolve } from "node:path";

const require = createRequire(resolve(import.meta.dirname, "../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const [site, ...queries] = process.argv.slice(2);
if (!site || !queries.length) {
  console.error("usage: node bench/first-query.mjs SITE_DIR QUERY...");
  process.exit(2);
}
const root = resolve(site);
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm" };

const server = createServer((request, response) => {
  let path = decodeURIComponent(new URL(request.url, "http://x").pathname);
  if (path.endsWith("/")) path += "index.html";
  const file = normalize(join(root, path));
  if (!file.startsWith(root)) return response.writeHead(403).end();
  try {
    if (!statSync(file).isFile()) throw new Error();
  } catch {
    return response.writeHead(404).end();
  }
  response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(response);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});

async function measure(run, isEngine) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sizes = { index: 0, engine: 0, files: 0 };
  const pending = [];
  context.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    pending.push(response.body().then((body) => {
      if (isEngine(path)) sizes.engine += body.length;
      else if (/^\/(search|pagefind)\//.test(path)) { sizes.index += body.length; sizes.files += 1; }
    }, () => {}));
  });
  const results = await run(page);
  await Promise.all(pending);
  await context.close();
  return { ...sizes, results };
}

const kaifang = (query) => measure(async (page) => {
  await page.goto(`${origin}/search/?q=${encodeURIComponent(query)}`);
  const status = page.locator("#search-status").filter({ hasText: /找到|没有找到|失败/ });
  await status.waitFor({ timeout: 60_000 });
  const text = await status.innerText();
  return Number((text.match(/找到 (\d+)/) ?? [0, 0])[1]);
}, (path) => /\/assets\/search(-worker|-core)?\.js$/.test(path));

const pagefind = (query) => measure(async (page) => {
  await page.goto(`${origin}/404.html`);
  return page.evaluate(async (q) => {
    const pf = await import("/pagefind/pagefind.js");
    await pf.init();
    const search = await pf.search(q);
    await Promise.all(search.results.slice(0, 10).map((r) => r.data()));
    return search.results.length;
  }, query);
}, (path) => /\/pagefind\/(pagefind\.js|pagefind-entry\.json|wasm\..*)$/.test(path));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
console.log(`${"query".padEnd(16)} ${"kaifang hits".padStart(12)} ${"index B".padStart(9)} ${"+engine B".padStart(10)} | ${"pagefind hits".padStart(13)} ${"index B".padStart(9)} ${"+engine B".padStart(10)}`);
for (const query of queries) {
  const k = await kaifang(query);
  const p = await pagefind(query);
  rows.push({ k, p });
  console.log(`${query.padEnd(16)} ${String(k.results).padStart(12)} ${String(k.index).padStart(9)} ${String(k.index + k.engine).padStart(10)} | ${String(p.results).padStart(13)} ${String(p.index).padStart(9)} ${String(p.index + p.engine).padStart(10)}`);
}
const km = median(rows.map((r) => r.k.index)), pm = median(rows.map((r) => r.p.index));
const kx = Math.max(...rows.map((r) => r.k.index)), px = Math.max(...rows.map((r) => r.p.index));
const ke = median(rows.map((r) => r.k.index + r.k.engine)), pe = median(rows.map((r) => r.p.index + r.p.engine));
console.log(`browser, first query, index files: kaifang median ${(km / 1e3).toFixed(1)} KB, max ${(kx / 1e3).toFixed(1)} KB; pagefind median ${(pm / 1e3).toFixed(1)} KB, max ${(px / 1e3).toFixed(1)} KB; ratio (pagefind / kaifang) median ${(pm / km).toFixed(1)}x, max ${(px / kx).toFixed(1)}x`);
console.log(`browser, first query, with the engines' own scripts: kaifang median ${(ke / 1e3).toFixed(1)} KB, pagefind median ${(pe / 1e3).toFixed(1)} KB (${(pe / ke).toFixed(1)}x)`);
await browser.close();
server.close();
