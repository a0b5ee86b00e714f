// The browser's search engine (theme/static/search-core.js, run here in Node) and
// `kaifang search` must give the same answer from the same files: same terms, results, scores,
// facet counts, files read and round trips.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "../..");
const binary = process.env.KAIFANG_BIN ?? join(repo, "target/debug/kaifang");
const core = createRequire(import.meta.url)(join(repo, "theme/static/search-core.js"));
let out;
let synthetic;

const QUERIES = [
  ["公交"],
  ["南宁 公交"],
  ["南宁", [["domain", "transport"]]],
  ["南宁", [["level", "city"], ["open", "unconditional"]]],
  ["南宁", [["department", "nn-jtysj"]]],
  ["南宁", [["format", "csv"]]],
  ["信息"],
  ["企业信"],
  ["交通运输厅"],
  ["GDP 统计"],
  ["ｇｄｐ"],
  ["柳州 统计 信息"],
  ["地铁"],
  ["社保"],
  ["   "],
  ["<script>alert(1)</script>"],
  ["公交".repeat(100)],
  ["站点名称"],
  ["南"],
  ["企业信\u0085"],
  ["\uFEFF公交\u3000"],
  ["\u2028南宁 交通\u00a0"],
];

function build(config, content, into) {
  execFileSync(binary, ["build", "--quiet", "--config", config, "--content", content, "--out", into], {
    env: { ...process.env, SOURCE_DATE_EPOCH: "1735689600" },
  });
}

before(() => {
  out = mkdtempSync(join(tmpdir(), "kaifang-agree-"));
  build(join(repo, "site.toml"), join(repo, "content"), out);
  // A synthetic catalog large enough for long terms (posting blocks and head files).
  synthetic = mkdtempSync(join(tmpdir(), "kaifang-agree-synthetic-"));
  execFileSync(binary, ["bench", "--generate-only", "--records", "3000", "--dir", synthetic]);
  build(join(synthetic, "n3000/site.toml"), join(synthetic, "n3000/content"), join(synthetic, "public"));
});

after(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(synthetic, { recursive: true, force: true });
});

function rust(text, filters, limit, site = out) {
  const args = ["search", text, "--site", site, "--json", "--limit", String(limit)];
  for (const [name, value] of filters) args.push("--filter", `${name}=${value}`);
  try {
    return JSON.parse(execFileSync(binary, args, { encoding: "utf8", maxBuffer: 1 << 28 }));
  } catch (error) {
    // Exit status 1 (no results) still prints the answer.
    return JSON.parse(error.stdout);
  }
}

async function javascript(text, filters, limit = 0, site = out) {
  const engine = await core.open((path) => new Uint8Array(readFileSync(join(site, path))));
  return engine.search({ text, filters, limit });
}

for (const [text, filters = []] of QUERIES) for (const limit of [0, 10]) {
  test(`same answer for ${JSON.stringify(text.slice(0, 20))} ${JSON.stringify(filters)} limit ${limit}`, async () => {
    const [a, b] = [rust(text, filters, limit), await javascript(text, filters, limit)];
    for (const key of ["query", "truncated", "terms", "mode", "total", "results", "facets", "departments", "bytes", "round_trips"]) {
      assert.deepEqual(b[key], a[key], key);
    }
    const paths = (answer) => answer.fetched.map((f) => `${f.round} ${f.path} ${f.bytes}`).sort();
    assert.deepEqual(paths(b), paths(a));
  });
}

const LONG = [["公交"], ["企业信用"], ["南宁 公交"], ["南宁", [["domain", "d0"]]], ["学校名录 统计"], ["统计"], ["统计 数据"], ["统计 地铁"], ["企业信"], ["就业岗位 月报"], ["医疗机构统计"], ["学校名录 统计 zzqx"], ["统计 zzqx"]];
for (const [text, filters = []] of LONG) for (const limit of [0, 10, 60]) {
  test(`same answer on a synthetic catalog for ${text} ${JSON.stringify(filters)} limit ${limit}`, async () => {
    const site = join(synthetic, "public");
    const [a, b] = [rust(text, filters, limit, site), await javascript(text, filters, limit, site)];
    for (const key of ["terms", "mode", "total", "results", "facets", "departments", "bytes", "round_trips"]) {
      assert.deepEqual(b[key], a[key], key);
    }
  });
}

test("a one-word query reads the word's head file, not its blocks", async () => {
  const site = join(synthetic, "public");
  const head = await javascript("统计", [], 10, site);
  const full = await javascript("统计", [], 0, site);
  assert.ok(head.fetched.some((f) => f.path.includes("/h/")));
  assert.ok(!head.fetched.some((f) => f.path.includes("/b/")));
  assert.ok(head.bytes < full.bytes);
  assert.deepEqual(head.results, full.results.slice(0, 10));
  assert.deepEqual(head.facets, full.facets);
  assert.deepEqual(head.departments, full.departments);
  assert.equal(head.total, full.total);
});

test("a word in most datasets is checked by its complement next to a rarer word", async () => {
  const site = join(synthetic, "public");
  const answer = await javascript("学校名录 统计", [], 10, site);
  assert.ok(answer.fetched.some((f) => f.path.includes("/c/")));
  assert.ok(answer.total > 0);
  const alone = await javascript("学校名录", [], 0, site);
  assert.ok(answer.total <= alone.total);
});

test("the queries above exercise results, filters and completion", async () => {
  assert.ok((await javascript("公交", [])).total > 0);
  assert.equal((await javascript("企业信", [])).terms.at(-1).endsWith("…"), true);
  assert.ok((await javascript("南宁", [["department", "nn-jtysj"]])).total > 0);
});
