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
];

before(() => {
  out = mkdtempSync(join(tmpdir(), "kaifang-agree-"));
  execFileSync(binary, ["build", "--quiet", "--config", join(repo, "site.toml"), "--content", join(repo, "content"), "--out", out], {
    env: { ...process.env, SOURCE_DATE_EPOCH: "1735689600" },
  });
});

after(() => rmSync(out, { recursive: true, force: true }));

function rust(text, filters) {
  const args = ["search", text, "--site", out, "--json", "--limit", "0"];
  for (const [name, value] of filters) args.push("--filter", `${name}=${value}`);
  try {
    return JSON.parse(execFileSync(binary, args, { encoding: "utf8" }));
  } catch (error) {
    // Exit status 1 (no results) still prints the answer.
    return JSON.parse(error.stdout);
  }
}

async function javascript(text, filters) {
  const engine = await core.open((path) => new Uint8Array(readFileSync(join(out, path))));
  return engine.search({ text, filters, limit: 0 });
}

for (const [text, filters = []] of QUERIES) {
  test(`same answer for ${JSON.stringify(text.slice(0, 20))} ${JSON.stringify(filters)}`, async () => {
    const [a, b] = [rust(text, filters), await javascript(text, filters)];
    for (const key of ["query", "truncated", "terms", "mode", "total", "results", "facets", "departments", "bytes", "round_trips"]) {
      assert.deepEqual(b[key], a[key], key);
    }
    const paths = (answer) => answer.fetched.map((f) => `${f.round} ${f.path} ${f.bytes}`).sort();
    assert.deepEqual(paths(b), paths(a));
  });
}

test("the queries above exercise results, filters and completion", async () => {
  assert.ok((await javascript("公交", [])).total > 0);
  assert.equal((await javascript("企业信", [])).terms.at(-1).endsWith("…"), true);
  assert.ok((await javascript("南宁", [["department", "nn-jtysj"]])).total > 0);
});
