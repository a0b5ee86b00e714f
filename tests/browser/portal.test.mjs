// Headless Chromium against `kaifang serve` on 127.0.0.1: what a visitor's browser does with
// the portal (navigation, keyboard, small screens, no outside requests) and the live reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

const repo = resolve(import.meta.dirname, "../..");
const binary = process.env.KAIFANG_BIN ?? join(repo, "target/debug/kaifang");
const servers = [];
let browser;

function freePort() {
  return new Promise((ok) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function serve(config, content) {
  const port = await freePort();
  const out = mkdtempSync(join(tmpdir(), "kaifang-out-"));
  const child = spawn(binary, ["serve", "--config", config, "--content", content, "--out", out, "--port", String(port)], {
    stdio: "ignore",
    env: { ...process.env, SOURCE_DATE_EPOCH: "1735689600" },
  });
  servers.push({ child, out });
  const base = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    try {
      const response = await fetch(base);
      if (response.ok) return base;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("kaifang serve did not start");
}

/** A page that records console errors and every host it talks to. */
async function openPage(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.errors = [];
  page.hosts = new Set();
  page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("request", (r) => page.hosts.add(new URL(r.url()).hostname));
  return page;
}

let portal;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  portal = await serve(join(repo, "site.toml"), join(repo, "content"));
});

after(async () => {
  await browser?.close();
  for (const { child, out } of servers) {
    child.kill();
    rmSync(out, { recursive: true, force: true });
  }
});

test("home page loads with no script errors and no outside requests", async () => {
  const page = await openPage();
  await page.goto(portal);
  assert.equal(await page.locator("h1").first().innerText(), "广西公共数据开放平台");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await page.getByRole("link", { name: "数据集", exact: true }).first().click();
  await page.waitForURL(/\/datasets\/$/);
  const first = page.locator(".card h3 a").first();
  const title = await first.innerText();
  await first.click();
  assert.equal(await page.locator("h1").innerText(), title);
  assert.deepEqual(page.errors, []);
  assert.deepEqual([...page.hosts], ["127.0.0.1"]);
});

test("the demands list filters by status, keeps the choice in the address, and shows all without script", async () => {
  const page = await openPage();
  await page.goto(`${portal}demands/`);
  const rows = page.locator("tr[data-status]");
  const visible = () => page.locator("tr[data-status]:visible").count();
  const total = await rows.count();
  assert.ok(total >= 3, `${total} demands`);
  assert.equal(await visible(), total);
  await page.selectOption("#demand-filters select[name=status]", "status-pending");
  const pending = await page.locator('tr[data-status="status-pending"]').count();
  assert.ok(pending >= 1 && pending < total);
  assert.equal(await visible(), pending);
  assert.equal(await page.locator("#demand-count").innerText(), `共 ${pending} 条`);
  assert.match(page.url(), /\?status=pending$/);
  // A shared link opens the same filtered list.
  await page.goto(`${portal}demands/?status=opened`);
  assert.equal(await page.locator("#demand-filters select[name=status]").inputValue(), "status-opened");
  assert.equal(await visible(), await page.locator('tr[data-status="status-opened"]').count());
  // Each row leads to the demand's own page.
  await page.locator('tr[data-status="status-opened"] a').first().click();
  assert.equal(await page.locator("h2").first().innerText(), "需求说明");
  assert.deepEqual(page.errors, []);
  // Without script, the form stays hidden and every demand shows.
  const plain = await openPage({ javaScriptEnabled: false });
  await plain.goto(`${portal}demands/?status=pending`);
  assert.equal(await plain.locator("tr[data-status]:visible").count(), total);
  assert.equal(await plain.locator("#demand-filters").isVisible(), false);
});

test("keyboard: the first Tab reaches the skip link, which leads into the content", async () => {
  const page = await openPage();
  await page.goto(portal + "datasets/bus-stops/");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "跳到正文");
  assert.ok(await page.evaluate(() => document.activeElement.getBoundingClientRect().left >= 0), "skip link is visible when focused");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  assert.ok(await page.evaluate(() => !!document.activeElement.closest("main")), "focus moved into the main content");
});

test("a dataset page fits a phone screen without sideways scrolling", async () => {
  const page = await openPage({ viewport: { width: 360, height: 740 } });
  for (const path of ["datasets/bus-stops/", "datasets/transport-operators/", "", "regions/"]) {
    await page.goto(portal + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} overflows by ${overflow}px`);
  }
});

test("withheld datasets answer 404 in the browser", async () => {
  const page = await openPage();
  for (const id of ["citizen-identity-records", "taxi-driver-complaints", "parking-lots-draft"]) {
    const response = await page.goto(portal + `datasets/${id}/`);
    assert.equal(response.status(), 404);
    assert.match(await page.locator("h1").innerText(), /页面不存在/);
  }
});

test("serve reloads the page after an edit and shows build errors in it", async () => {
  const site = mkdtempSync(join(tmpdir(), "kaifang-site-"));
  cpSync(join(repo, "tests/fixtures/basic"), site, { recursive: true });
  const base = await serve(join(site, "site.toml"), join(site, "content"));
  const page = await openPage();
  await page.goto(base + "datasets/bus-stops/");
  assert.equal(await page.locator("h1").innerText(), "公交站点");

  const record = join(site, "content/departments/nn-transport/bus-stops.yaml");
  writeFileSync(record, readFileSync(record, "utf8").replace("title: 公交站点", "title: 公交站点（已更新）"));
  await page.waitForFunction(() => document.querySelector("h1")?.textContent === "公交站点（已更新）", null, { timeout: 20000 });

  writeFileSync(join(site, "content/departments/nn-transport/broken.yaml"), 'title: 坏\nsummary: "未闭合\n');
  const overlay = page.locator("#kaifang-problems");
  await overlay.waitFor({ timeout: 20000 });
  assert.match(await overlay.innerText(), /broken\.yaml:2/);
  rmSync(site, { recursive: true, force: true });
});
