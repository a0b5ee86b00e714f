//! `kaifang bench-search`: builds the search index of synthetic catalogs and prints what a
//! first query costs, what indexing costs, and how many files a one-record edit rewrites;
//! optionally runs Pagefind on the same generated site and measures both engines in Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use generator::config::SiteConfig;
use generator::divisions::Divisions;
use search_index::query::{Engine, FolderSource, Query};

use crate::{EXIT_FAILED, EXIT_OK};

/// The fixed query list: subjects, places, departments, field names, mixed words, and one
/// word no record has (地铁).
pub const QUERIES: &[&str] = &[
    "公交",
    "企业信用",
    "南宁 公交",
    "学校名录",
    "空气质量",
    "医疗机构 统计",
    "交通运输局",
    "柳州 企业信用",
    "河流水质",
    "药品零售企业",
    "停车场 分布",
    "旅游景区",
    "低保对象",
    "就业岗位 月报",
    "统一社会信用代码",
    "地铁",
];

/// Options of one benchmark run.
pub struct Options {
    /// Catalog sizes.
    pub sizes: Vec<usize>,
    /// Where catalogs and sites go.
    pub dir: PathBuf,
    /// Pagefind binary, to compare with.
    pub pagefind: Option<PathBuf>,
    /// Largest catalog Pagefind is run on (its memory grows past 12 GiB at 100k).
    pub pagefind_max: usize,
}

/// Runs the benchmark; prints one block per size.
pub fn run(options: &Options) -> u8 {
    for &n in &options.sizes {
        if let Err(err) = one_size(options, n) {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    }
    EXIT_OK
}

fn one_size(options: &Options, n: usize) -> Result<(), String> {
    let root = options.dir.join(format!("n{n}"));
    if !root.join("site.toml").exists() {
        let _ = std::fs::remove_dir_all(&root);
        generator::synthetic::write_catalog(&root, n)
            .map_err(|e| format!("cannot write the synthetic catalog: {e}"))?;
    }
    let config = SiteConfig::load(&root.join("site.toml")).map_err(|e| format!("{e:?}"))?;
    let divisions = Divisions::guangxi();
    let content = root.join("content");

    let index_dir = root.join("index");
    let (stats, memory) = build_index(&content, &config, &divisions, &index_dir)?;
    println!("\n== {n} records: {} datasets in the index ==", stats.docs);
    println!(
        "index build: {:.2} s (tantivy {:.2} s, export {:.2} s); peak memory {:.0} MB ({:.0} MB before indexing, catalog loaded)",
        stats.index_seconds + stats.export_seconds,
        stats.index_seconds,
        stats.export_seconds,
        memory.1 as f64 / 1e6,
        memory.0 as f64 / 1e6,
    );
    println!(
        "index size: {} files, {:.1} MB ({} terms, {} long terms in {} blocks, {} term shards, {} display shards)",
        stats.files,
        stats.bytes as f64 / 1e6,
        stats.terms,
        stats.long_terms,
        stats.blocks,
        stats.shards,
        stats.display_shards
    );

    // First query from a cold cache: a fresh engine per query.
    println!(
        "{:<18} {:>8} {:>6} {:>10} {:>7}",
        "query", "results", "files", "bytes", "rounds"
    );
    let mut loaded = Vec::new();
    let mut rounds = 0;
    for query in QUERIES {
        let mut engine =
            Engine::open(FolderSource(index_dir.clone())).map_err(|e| e.to_string())?;
        let answer = engine
            .search(&Query {
                text: query.to_string(),
                filters: Vec::new(),
                limit: 10,
            })
            .map_err(|e| e.to_string())?;
        println!(
            "{:<18} {:>8} {:>6} {:>10} {:>7}",
            query,
            answer.total,
            answer.fetched.len(),
            answer.bytes,
            answer.round_trips
        );
        loaded.push(answer.bytes);
        rounds = rounds.max(answer.round_trips);
    }
    println!(
        "first query (bytes loaded, files stored compressed): median {:.1} KB, max {:.1} KB; at most {rounds} dependent round trips",
        median(&mut loaded) as f64 / 1e3,
        loaded.iter().max().copied().unwrap_or(0) as f64 / 1e3,
    );

    // One-record edit: retitle one record, rebuild, count files whose bytes differ.
    let edited = edit_one_record(&content, n)?;
    let after_dir = root.join("index-after-edit");
    let result = build_index(&content, &config, &divisions, &after_dir);
    std::fs::write(&edited.0, &edited.1).map_err(|e| e.to_string())?;
    result?;
    let (changed, added, removed) = diff(&index_dir, &after_dir);
    println!(
        "one-record edit ({}): {changed} file(s) changed in place, {added} new, {removed} gone (of {} files)",
        edited.0.display(),
        stats.files
    );

    if let Some(pagefind) = &options.pagefind
        && n <= options.pagefind_max
    {
        pagefind_run(pagefind, &root)?;
    }
    Ok(())
}

/// Checks the catalog and builds its index into `out`; returns the stats and (RSS before
/// indexing, peak RSS while indexing).
fn build_index(
    content: &Path,
    config: &SiteConfig,
    divisions: &Divisions,
    out: &Path,
) -> Result<(search_index::IndexStats, (u64, u64)), String> {
    let checked = generator::check(content, config, divisions, None);
    let input = generator::search::index_input(&checked.catalog, config, divisions);
    drop(checked);
    // Resets the peak-RSS counter, so the peak below is the indexing's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_bytes("VmRSS:").unwrap_or(0);
    let exported = search_index::build(&input).map_err(|e| e.to_string())?;
    let peak = status_bytes("VmHWM:").unwrap_or(0);
    let _ = std::fs::remove_dir_all(out);
    for file in &exported.files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, &file.bytes).map_err(|e| e.to_string())?;
    }
    Ok((exported.stats, (before, peak)))
}

fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn median(values: &mut [usize]) -> usize {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// Retitles a record in the middle of the catalog; returns its path and original bytes.
fn edit_one_record(content: &Path, n: usize) -> Result<(PathBuf, Vec<u8>), String> {
    let target = walkdir::WalkDir::new(content.join("departments"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ds-"))
        .nth(n / 2)
        .ok_or("no record to edit")?
        .into_path();
    let original = std::fs::read(&target).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&original).replacen("title: ", "title: 修订版", 1);
    std::fs::write(&target, text).map_err(|e| e.to_string())?;
    Ok((target, original))
}

/// Files in `after` whose bytes differ from `before`: (changed in place, new, gone).
fn diff(before: &Path, after: &Path) -> (usize, usize, usize) {
    let (a, b) = (
        daemon::ingest::snapshot(before),
        daemon::ingest::snapshot(after),
    );
    let changed = b
        .iter()
        .filter(|(p, bytes)| a.get(*p).is_some_and(|old| old != *bytes))
        .count();
    let added = b.keys().filter(|p| !a.contains_key(*p)).count();
    let removed = a.keys().filter(|p| !b.contains_key(*p)).count();
    (changed, added, removed)
}

/// Builds the HTML site, runs Pagefind on it (time and peak memory via GNU time), then
/// measures the first query of both engines in Chromium.
fn pagefind_run(pagefind: &Path, root: &Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let site = root.join("public");
    // A clean build: no Pagefind output of an earlier run to remove first.
    let _ = std::fs::remove_dir_all(&site);
    let status = Command::new(&exe)
        .args(["build", "--quiet", "--json"])
        .arg("--config")
        .arg(root.join("site.toml"))
        .arg("--content")
        .arg(root.join("content"))
        .arg("--out")
        .arg(&site)
        .output()
        .map_err(|e| e.to_string())?;
    if !status.status.success() && status.status.code() != Some(1) {
        return Err(format!(
            "site build failed: {}",
            String::from_utf8_lossy(&status.stderr)
        ));
    }
    let summary: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap_or_default();
    println!(
        "kaifang full build (pages + search index): {:.1} s, peak {:.0} MB",
        summary["seconds"].as_f64().unwrap_or(f64::NAN),
        summary["peak_memory_bytes"].as_f64().unwrap_or(0.0) / 1e6
    );
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(pagefind)
        .arg("--site")
        .arg(&site)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", pagefind.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let mut figures = last.split_whitespace();
    let seconds: f64 = figures
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let peak_kb: f64 = figures
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    println!(
        "pagefind index build: {seconds:.1} s, peak {:.0} MB",
        peak_kb / 1e3
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/first-query.mjs");
    let browser = Command::new("node")
        .arg(&script)
        .arg(&site)
        .args(QUERIES)
        .status()
        .map_err(|e| format!("cannot run node {}: {e}", script.display()))?;
    if !browser.success() {
        return Err("the browser measurement failed".into());
    }
    Ok(())
}
