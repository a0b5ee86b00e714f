//! Whole-system tests of search: relevance on the default and the real Guangxi catalog,
//! bad queries, withheld records, one-record edits, and `kaifang search`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::Fixture;
use generator::config::SiteConfig;
use generator::divisions::Divisions;
use search_index::analyzer::fold;
use search_index::query::{Answer, Engine, FolderSource, Query, QueryError};

/// An exported index on disk, with each dataset's indexed text for computing expectations.
struct Indexed {
    dir: tempfile::TempDir,
    /// (id, folded title + summary + department + field names + keywords)
    texts: Vec<(String, String)>,
    /// id → department code
    departments: BTreeMap<String, String>,
    withheld: Vec<(String, String)>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn index(content: &Path, config_path: &Path) -> Indexed {
    let config = SiteConfig::load(config_path).expect("site.toml");
    let divisions = Divisions::guangxi();
    let checked = generator::check(content, &config, &divisions, None);
    let input = generator::search::index_input(&checked.catalog, &config, &divisions);
    let texts = input
        .docs
        .iter()
        .map(|d| {
            let text = [
                d.title.as_str(),
                &d.summary,
                &d.department_name,
                &d.fields.join("\n"),
                &d.keywords.join("\n"),
            ]
            .join("\n");
            (d.id.clone(), fold(&text))
        })
        .collect();
    let departments = input
        .docs
        .iter()
        .map(|d| (d.id.clone(), d.department_code.to_string()))
        .collect();
    let exported = search_index::build(&input).expect("index builds");
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &exported.files);
    Indexed {
        dir,
        texts,
        departments,
        withheld: checked
            .catalog
            .withheld
            .iter()
            .map(|w| (w.id.clone(), w.title.clone()))
            .collect(),
    }
}

fn write_files(root: &Path, files: &[search_index::IndexFile]) {
    for file in files {
        let path = root.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.bytes).unwrap();
    }
}

impl Indexed {
    fn search(&self, text: &str, filters: &[(&str, &str)]) -> Answer {
        self.try_search(text, filters).expect("query answered")
    }

    fn try_search(&self, text: &str, filters: &[(&str, &str)]) -> Result<Answer, QueryError> {
        let mut engine = Engine::open(FolderSource(self.dir.path().to_path_buf()))?;
        engine.search(&Query {
            text: text.to_string(),
            filters: filters
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            limit: 0,
        })
    }

    /// Datasets whose indexed text contains every word.
    fn containing(&self, words: &[&str]) -> BTreeSet<String> {
        self.texts
            .iter()
            .filter(|(_, text)| words.iter().all(|w| text.contains(&fold(w))))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Asserts the query returns exactly the datasets containing all its words.
    fn assert_exact(&self, query: &str) {
        let words: Vec<&str> = query.split_whitespace().collect();
        let expected = self.containing(&words);
        let answer = self.search(query, &[]);
        let found = ids(&answer);
        let extra: Vec<_> = found.difference(&expected).collect();
        let missing: Vec<_> = expected.difference(&found).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{query}: {} found, {} expected; extra {extra:?}; missing {missing:?}; terms {:?}",
            found.len(),
            expected.len(),
            answer.terms
        );
        assert!(
            !expected.is_empty(),
            "{query}: the catalog has no such dataset"
        );
        assert_eq!(answer.mode, "all", "{query}");
    }
}

fn ids(answer: &Answer) -> BTreeSet<String> {
    answer.results.iter().map(|h| h.id.clone()).collect()
}

fn default_catalog() -> Indexed {
    index(&repo().join("content"), &repo().join("site.toml"))
}

#[test]
fn words_of_the_default_catalog_find_exactly_the_datasets_that_contain_them() {
    let indexed = default_catalog();
    for query in [
        "公交",
        "南宁",
        "交通运输",
        "信息",
        "企业",
        "统计",
        "柳州",
        "旅游",
        "站点名称",
        "南宁 公交",
        "柳州 统计",
    ] {
        indexed.assert_exact(query);
    }
}

#[test]
fn bus_never_matches_its_two_characters_apart() {
    let fixture = Fixture::new("basic");
    fixture.record(
        "public-transport.yaml",
        "title: 公共交通出行统计\nsummary: 公共交通\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每月\nreviews:\n  security: { date: 2024-01-01 }\n",
    );
    fixture.record(
        "bus-lines.yaml",
        "title: 公交线路\nsummary: 全市公交线路\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每月\nreviews:\n  security: { date: 2024-01-01 }\n",
    );
    let indexed = index(&fixture.path("content"), &fixture.path("site.toml"));
    let found = ids(&indexed.search("公交", &[]));
    assert!(found.contains("bus-lines"), "{found:?}");
    assert!(!found.contains("public-transport"), "{found:?}");
    // A word no dataset has finds nothing, rather than its characters.
    let answer = indexed.search("公通", &[]);
    assert_eq!(answer.total, 0, "{:?}", answer.terms);
}

/// The real Guangxi export: every dataset that contains a word, and none that does not.
#[test]
fn words_of_the_real_guangxi_catalog_find_exactly_the_datasets_that_contain_them() {
    let fixture = Fixture {
        dir: tempfile::tempdir().unwrap(),
    };
    std::fs::copy(repo().join("site.toml"), fixture.path("site.toml")).unwrap();
    let export = repo().join("data/catalog/guangxi.jsonl");
    let run = fixture.run(&["import", export.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let indexed = index(&fixture.path("content"), &fixture.path("site.toml"));
    assert_eq!(indexed.texts.len(), 8825);
    for query in [
        "公交",
        "企业信用",
        "交通运输",
        "南宁",
        "桂林",
        "统计",
        "医疗机构",
        "学校",
        "农产品",
        "营业执照",
        "南宁 公交",
        "桂林 旅游",
        "gdp",
        "GDP 统计",
    ] {
        indexed.assert_exact(query);
    }
    // 社保 is in the catalog only inside other words, never as a word of its own; whatever it
    // finds must contain it.
    let found = ids(&indexed.search("社保", &[]));
    assert!(found.is_subset(&indexed.containing(&["社保"])));

    // A department's full name finds every dataset of that department.
    let mut by_department: BTreeMap<&str, usize> = BTreeMap::new();
    for code in indexed.departments.values() {
        *by_department.entry(code.as_str()).or_default() += 1;
    }
    let (busiest, _) = by_department.iter().max_by_key(|(_, n)| **n).unwrap();
    let config = SiteConfig::load(&fixture.path("site.toml")).unwrap();
    let checked = generator::check(
        &fixture.path("content"),
        &config,
        &Divisions::guangxi(),
        None,
    );
    let name = &checked
        .catalog
        .departments
        .values()
        .find(|d| d.code.0 == *busiest)
        .unwrap()
        .name;
    let found = ids(&indexed.search(name, &[]));
    for (id, code) in &indexed.departments {
        if code == busiest {
            assert!(found.contains(id), "{name}: {id} missing");
        }
    }
}

#[test]
fn field_names_and_mixed_scripts_are_found() {
    let indexed = default_catalog();
    // Field names (数据项) of the hand-written records.
    indexed.assert_exact("站点名称");
    indexed.assert_exact("途经线路");
    let answer = indexed.search("公交 API", &[]);
    assert!(answer.total <= indexed.containing(&["公交"]).len());
}

#[test]
fn facets_filter_and_count_with_the_query() {
    let indexed = default_catalog();
    let all = indexed.search("南宁", &[]);
    let domain = all
        .facets
        .iter()
        .find(|f| f.name == "domain")
        .expect("domain facet");
    let (value, _, count) = domain.values[0].clone();
    let filtered = indexed.search("南宁", &[("domain", &value)]);
    assert_eq!(filtered.total, count);
    assert!(filtered.total < all.total);
    // Counts of the other facets follow the filter; the filtered facet keeps its own counts.
    let same_domain = filtered.facets.iter().find(|f| f.name == "domain").unwrap();
    assert_eq!(same_domain.values, domain.values);
    let level_total: usize = filtered
        .facets
        .iter()
        .find(|f| f.name == "level")
        .unwrap()
        .values
        .iter()
        .map(|v| v.2)
        .sum();
    assert_eq!(level_total, filtered.total);
    // A department filter.
    let one = &all.results[0];
    let code = indexed.departments[&one.id].clone();
    let by_department = indexed.search("南宁", &[("department", &code)]);
    assert!(
        by_department
            .results
            .iter()
            .all(|h| indexed.departments[&h.id] == code)
    );
    assert!(by_department.total >= 1);
    // An unknown filter value matches nothing, rather than everything; an unknown filter
    // name is an error that lists the known ones.
    assert_eq!(indexed.search("南宁", &[("domain", "no-such")]).total, 0);
    match indexed.try_search("南宁", &[("domian", "transport")]) {
        Err(QueryError::Filter { name, known }) => {
            assert_eq!(name, "domian");
            assert!(
                known.contains("domain") && known.contains("department"),
                "{known}"
            );
        }
        other => panic!("expected a filter error, got {other:?}"),
    }
}

#[test]
fn bad_queries_get_clear_answers() {
    let indexed = default_catalog();
    let empty = indexed.search("   ", &[]);
    assert_eq!((empty.total, empty.mode), (0, "none"));
    let punctuation = indexed.search("，。！？——……《》", &[]);
    assert_eq!((punctuation.total, punctuation.mode), (0, "none"));
    let script = indexed.search("<script>alert(1)</script>", &[]);
    assert!(script.results.iter().all(|h| !h.title.contains("<script")));
    assert_eq!(script.terms, vec!["script", "alert", "1"]);
    let long = "公交".repeat(5_000);
    let answer = indexed.search(&long, &[]);
    assert!(answer.truncated);
    assert!(answer.query.chars().count() <= search_index::query::MAX_QUERY_CHARS);
    assert!(answer.total > 0);
}

#[test]
fn a_missing_or_damaged_index_file_is_named() {
    let indexed = default_catalog();
    let answer = indexed.search("公交", &[]);
    let shard = answer
        .fetched
        .iter()
        .find(|f| f.path.contains("/d/"))
        .unwrap()
        .path
        .clone();
    std::fs::remove_file(indexed.dir.path().join(&shard)).unwrap();
    match indexed.try_search("公交", &[]) {
        Err(QueryError::Fetch { path, .. }) => assert_eq!(path, shard),
        other => panic!("expected a fetch error, got {other:?}"),
    }
    // A directory that lies (facet bits past 32, a name leaving the index folder, too few
    // display pages) is reported, never followed and never a panic.
    let indexed = default_catalog();
    let directory_path = indexed.dir.path().join("search/index.bin");
    let original = search_index::codec::gunzip(&std::fs::read(&directory_path).unwrap()).unwrap();
    let lie = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value: serde_json::Value = serde_json::from_slice(&original).unwrap();
        edit(&mut value);
        let bytes = search_index::codec::gzip(&serde_json::to_vec(&value).unwrap());
        std::fs::write(&directory_path, bytes).unwrap();
        match indexed.try_search("南宁", &[]) {
            Err(QueryError::Damaged { .. }) => {}
            other => panic!("expected a damaged-file error, got {other:?}"),
        }
    };
    lie(&|v| v["facets"][0]["offset"] = 30.into());
    lie(&|v| {
        for shard in v["shards"].as_array_mut().unwrap() {
            shard[1] = "../../../etc/passwd".into();
        }
    });
    lie(&|v| v["pages"] = serde_json::json!([]));
    std::fs::write(
        indexed.dir.path().join("search/index.bin"),
        b"not gzip or json",
    )
    .unwrap();
    match indexed.try_search("公交", &[]) {
        Err(QueryError::Damaged { path, .. }) => assert_eq!(path, "search/index.bin"),
        other => panic!("expected a damaged-file error, got {other:?}"),
    }
}

/// 不予开放, suspended and unreviewed records never enter any index file.
#[test]
fn withheld_records_never_enter_the_index() {
    let indexed = default_catalog();
    assert!(indexed.withheld.len() >= 3);
    let mut plain = Vec::new();
    for entry in walkdir::WalkDir::new(indexed.dir.path().join("search")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            plain.push(search_index::codec::gunzip(&bytes).unwrap());
        }
    }
    for (id, title) in &indexed.withheld {
        let id_json = format!("\"{id}\"");
        for bytes in &plain {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains(&id_json), "{id} is in the index");
            assert!(!text.contains(title.as_str()), "{title} is in the index");
        }
        let found = ids(&indexed.search(title, &[]));
        assert!(!found.contains(id));
    }
}

#[test]
fn an_unchanged_catalog_gives_identical_files_and_one_edit_rewrites_few() {
    let dir = tempfile::tempdir().unwrap();
    generator::synthetic::write_catalog(dir.path(), 3000).unwrap();
    let read = |indexed: &Indexed| -> BTreeMap<String, Vec<u8>> {
        common::files(indexed.dir.path())
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(indexed.dir.path().join(&p)).unwrap();
                (p, bytes)
            })
            .collect()
    };
    let content = dir.path().join("content");
    let config = dir.path().join("site.toml");
    let first = read(&index(&content, &config));
    assert_eq!(first, read(&index(&content, &config)));

    // Record 1512 sits in department 1512 mod 37 (the generator spreads 3,000 over 37).
    let record = content.join("departments/dept-032/ds-001512.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replacen("title: ", "title: 修订", 1)).unwrap();
    let second = read(&index(&content, &config));
    let rewritten = second
        .iter()
        .filter(|(p, bytes)| first.get(*p) != Some(*bytes))
        .count();
    let gone = first.keys().filter(|p| !second.contains_key(*p)).count();
    assert!(rewritten >= 2, "the edit must show");
    // The directory, the record's display shard and its page, and the shards and blocks of
    // the words it gained or lost.
    assert!(
        rewritten <= 12 && gone <= 12,
        "{rewritten} written and {gone} gone of {} files",
        first.len()
    );
    assert!(first.len() > 200);
}

#[test]
fn the_command_line_answers_from_a_built_site() {
    let fixture = Fixture {
        dir: tempfile::tempdir().unwrap(),
    };
    common::copy_tree(&repo().join("content"), &fixture.path("content"));
    std::fs::copy(repo().join("site.toml"), fixture.path("site.toml")).unwrap();
    assert_eq!(fixture.run(&["build", "--quiet"]).status, 0);
    let run = fixture.run(&["search", "公交"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("bus-stops"), "{}", run.stdout);
    assert!(
        run.stdout.contains("dependent round trip"),
        "{}",
        run.stdout
    );
    let run = fixture.run(&["search", "南宁", "--json", "--limit", "0"]);
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        answer["results"].as_array().unwrap().len() as u64,
        answer["total"].as_u64().unwrap()
    );
    assert!(answer["bytes"].as_u64().unwrap() > 0);
    let run = fixture.run(&["search", "南宁", "--limit", "2"]);
    assert_eq!(run.stdout.lines().filter(|l| l.contains(". ")).count(), 2);
    let run = fixture.run(&["search", "地铁"]);
    assert_eq!(run.status, 1, "no results exits 1");
    let run = fixture.run(&["search", "公交", "--site", "nowhere"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("nowhere/search/index.bin") || run.stderr.contains("search/index.bin"),
        "{}",
        run.stderr
    );
    let run = fixture.run(&["search", "公交", "--filter", "domain"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("NAME=VALUE"), "{}", run.stderr);
}

/// Long posting lists (blocks), one-word queries (head files) and words in most datasets
/// (complements) give the same exact answers as short lists.
#[test]
fn long_and_near_universal_words_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    generator::synthetic::write_catalog(dir.path(), 3000).unwrap();
    let indexed = index(&dir.path().join("content"), &dir.path().join("site.toml"));
    for query in ["统计", "学校名录 统计", "南宁 公交", "统计 南宁 信息"] {
        indexed.assert_exact(query);
    }
    // A one-word query answered from its head file matches the full answer's first page.
    let mut engine = Engine::open(FolderSource(indexed.dir.path().to_path_buf())).unwrap();
    let head = engine
        .search(&Query {
            text: "统计".into(),
            filters: vec![],
            limit: 10,
        })
        .unwrap();
    let full = indexed.search("统计", &[]);
    assert!(head.fetched.iter().any(|f| f.path.contains("/h/")));
    assert_eq!(head.results[..], full.results[..10]);
    assert_eq!((head.total, &head.facets), (full.total, &full.facets));
    // The complement is used next to a rarer word, and is small.
    let paired = indexed.search("学校名录 统计", &[]);
    assert!(paired.fetched.iter().any(|f| f.path.contains("/c/")));
    assert!(
        !paired
            .fetched
            .iter()
            .any(|f| f.path.contains("/b/") && f.bytes > 20_000)
    );
}
