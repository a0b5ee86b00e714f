// Headless Chromium against `kaifang serve`: type a query, see results, filter by a facet,
// open a result; bad queries and a missing index file; count the bytes the search loads.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

const repo = resolve(import.meta.dirname, "../..");
const binary = process.env.KAIFANG_BIN ?? join(repo, "target/debug/kaifang");
let browser, server, out, portal;

function freePort() {
  return new Promise((ok) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const port = await freePort();
  out = mkdtempSync(join(tmpdir(), "kaifang-search-"));
  server = spawn(binary, ["serve", "--config", join(repo, "site.toml"), "--content", join(repo, "content"), "--out", out, "--port", String(port)], {
    stdio: "ignore",
    env: { ...process.env, SOURCE_DATE_EPOCH: "1735689600" },
  });
  portal = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(portal)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("kaifang serve did not start");
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(out, { recursive: true, force: true });
});

/** A fresh context (cold cache) that records errors, hosts and bytes of search files. */
async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.errors = [];
  page.hosts = new Set();
  page.searchBytes = 0;
  page.searchFiles = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
  page.on("dialog", (d) => { page.errors.push("dialog: " + d.message()); d.dismiss(); });
  context.on("request", (r) => page.hosts.add(new URL(r.url()).hostname));
  context.on("response", async (response) => {
    const path = new URL(response.url()).pathname;
    if (/^\/search\/.+\.bin$/.test(path)) {
      const body = await response.body().catch(() => Buffer.alloc(0));
      page.searchBytes += body.length;
      page.searchFiles.push(path);
    }
  });
  return page;
}

const status = (page) => page.locator("#search-status");

// Waits for a query's results. On a loaded 2-core machine an index fetch has (rarely) stalled
// past the page's own timeout; the page then offers a retry, which a user would press. The
// status and the files fetched are logged, so a stall is seen, and one retry is allowed.
async function settled(page) {
  const found = status(page).filter({ hasText: /找到 \d+ 个数据集/ });
  const failed = status(page).filter({ hasText: /失败|超时/ });
  const outcome = await Promise.race([
    found.waitFor({ timeout: 45_000 }).then(() => "found", () => "timeout"),
    failed.waitFor({ timeout: 45_000 }).then(() => "failed", () => "timeout"),
  ]);
  if (outcome === "found") return;
  assert.equal(outcome, "failed", `no answer: ${await status(page).innerText()}`);
  console.log(`# search stalled: ${await status(page).innerText()}; fetched ${page.searchFiles.join(", ")}`);
  await page.locator(".search-retry").click();
  await found.waitFor({ timeout: 45_000 });
}

test("type in the header box, see highlighted results, filter, open one", async () => {
  const page = await openPage();
  await page.goto(portal);
  await page.keyboard.press("/");
  await page.keyboard.type("公交");
  await page.keyboard.press("Enter");
  await page.waitForURL(/search\/\?q=/);
  await settled(page);
  const first = page.locator("#search-results li").first();
  assert.match(await first.locator("h3").innerText(), /公交/);
  assert.equal(await first.locator("mark").first().innerText(), "公交");
  assert.ok(page.searchBytes > 0 && page.searchBytes < 100_000, `${page.searchBytes} bytes`);
  console.log(`# first query 公交 loaded ${page.searchBytes} bytes in ${page.searchFiles.length} index files`);

  // A broader query, then a facet: counts and results follow, the URL keeps the filter.
  await page.fill("#search-q", "南宁");
  await page.press("#search-q", "Enter");
  await settled(page);
  const before = Number((await status(page).innerText()).match(/找到 (\d+)/)[1]);
  const facet = page.locator("#search-facets fieldset").first().locator("button").first();
  const expected = Number(await facet.locator(".count").innerText());
  await facet.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/domain=/);
  await status(page).filter({ hasText: new RegExp(`找到 ${expected} 个数据集`) }).waitFor();
  assert.ok(expected <= before);
  assert.equal(await page.locator("#search-facets fieldset").first().locator("button[aria-pressed=true]").count(), 1);

  // The URL alone reproduces the search.
  const shared = page.url();
  const again = await openPage();
  await again.goto(shared);
  await status(again).filter({ hasText: new RegExp(`找到 ${expected} 个数据集`) }).waitFor();

  // Open the first result.
  const title = await page.locator("#search-results li h3").first().innerText();
  await page.locator("#search-results li h3 a").first().click();
  await page.waitForURL(/datasets\//);
  assert.equal(await page.locator("h1").first().innerText(), title);
  assert.deepEqual(page.errors, []);
  assert.deepEqual([...page.hosts], ["127.0.0.1"]);
});

test("the department filter loads names on demand", async () => {
  const page = await openPage();
  await page.goto(`${portal}search/?q=南宁`);
  await status(page).filter({ hasText: /找到/ }).waitFor();
  const details = page.locator("#search-facets details");
  await details.locator("summary").click();
  const button = details.locator("button").first();
  await button.waitFor();
  await button.click();
  await page.waitForURL(/department=/);
  await status(page).filter({ hasText: /找到/ }).waitFor();
  assert.deepEqual(page.errors, []);
});

test("empty, punctuation, script and overlong queries get clear messages", async () => {
  const page = await openPage();
  await page.goto(`${portal}search/`);
  assert.match(await status(page).innerText(), /请输入/);
  await page.goto(`${portal}search/?q=${encodeURIComponent("，。！？")}`);
  await status(page).filter({ hasText: /没有找到/ }).waitFor();
  const script = "<script>alert(1)</script><img src=x onerror=alert(2)>";
  await page.goto(`${portal}search/?q=${encodeURIComponent(script)}`);
  await status(page).filter({ hasText: /没有找到|找到/ }).waitFor();
  assert.equal(await page.inputValue("#search-q"), script);
  assert.equal(await page.locator("#search-results img, #search-results script").count(), 0);
  await page.goto(`${portal}search/?q=${encodeURIComponent("公交".repeat(5000))}`);
  await status(page).filter({ hasText: /只使用了前 64 个字符/ }).waitFor();
  assert.deepEqual(page.errors, []);
});

test("a missing index file gives a message and a retry, not an endless spinner", async () => {
  const page = await openPage();
  await page.route(/\/search\/d\//, (route) => route.fulfill({ status: 404, body: "" }));
  await page.goto(`${portal}search/?q=公交`);
  await status(page).filter({ hasText: /搜索索引加载失败/ }).waitFor({ timeout: 15_000 });
  assert.match(await status(page).innerText(), /HTTP 404/);
  await page.unroute(/\/search\/d\//);
  await page.getByRole("button", { name: "重试" }).click();
  await status(page).filter({ hasText: /找到 \d+ 个数据集/ }).waitFor();
});
