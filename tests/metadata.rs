//! The machine-readable catalog: DCAT-AP documents, schema.org JSON-LD, sitemap. Built with the
//! real binary from fixture catalogs and read back with RDF parsers. The standards' own
//! validators (pySHACL, rdflib) run over the default catalog in CI (`tests/metadata/validate.py`).

mod common;

use common::Fixture;
use oxrdf::{NamedNode, Term, Triple};

const BASE: &str = "https://example.test/portal/";
const DCT: &str = "http://purl.org/dc/terms/";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
/// The basic fixture's datasets that must not be public: 不予开放, suspended, unreviewed.
const WITHHELD: [&str; 3] = [
    "secret-roster",
    "suspended-complaints",
    "unreviewed-parking",
];

fn built(fixture: &Fixture) {
    let run = fixture.build();
    assert_eq!(
        run.status, 0,
        "build failed:\n{}\n{}",
        run.stdout, run.stderr
    );
}

fn turtle(fixture: &Fixture, rel: &str) -> Vec<Triple> {
    let text = fixture.read(rel);
    oxttl::TurtleParser::new()
        .for_slice(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{rel} does not parse: {e}"))
}

fn objects(triples: &[Triple], subject: &str, predicate: &str) -> Vec<Term> {
    triples
        .iter()
        .filter(|t| {
            t.subject.to_string() == format!("<{subject}>") && t.predicate.as_str() == predicate
        })
        .map(|t| t.object.clone())
        .collect()
}

fn node(iri: &str) -> Term {
    NamedNode::new(iri).unwrap().into()
}

#[test]
fn datasets_are_described_in_dcat_with_our_fields_mapped() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let triples = turtle(&fixture, "public/datasets/bus-stops.ttl");
    let bus = format!("{BASE}datasets/bus-stops/#dataset");
    assert_eq!(
        objects(&triples, &bus, &format!("{DCT}accessRights")),
        vec![node(
            "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
        )]
    );
    assert_eq!(
        objects(&triples, &bus, &format!("{DCT}accrualPeriodicity")),
        vec![node(
            "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
        )]
    );
    assert_eq!(
        objects(&triples, &bus, &format!("{DCAT}theme")),
        vec![node(&format!("{BASE}domains/transport/#theme"))]
    );
    // The copied file: its size and SHA-256 as the portal serves it.
    let file = std::fs::read(fixture.path("public/datasets/bus-stops/files/stops.csv")).unwrap();
    let distributions = objects(&triples, &bus, &format!("{DCAT}distribution"));
    let download = node(&format!("{BASE}datasets/bus-stops/files/stops.csv"));
    let csv = distributions
        .iter()
        .map(|d| d.to_string().trim_matches(['<', '>']).to_string())
        .find(|d| objects(&triples, d, &format!("{DCAT}downloadURL")) == vec![download.clone()])
        .expect("a distribution downloads stops.csv");
    let size = objects(&triples, &csv, &format!("{DCAT}byteSize"));
    assert_eq!(
        size[0].to_string(),
        format!(
            "\"{}\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>",
            file.len()
        )
    );
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(&file)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let checksum = objects(&triples, &csv, "http://spdx.org/rdf/terms#checksum");
    let value = objects(
        &triples,
        checksum[0].to_string().trim_matches(['<', '>']),
        "http://spdx.org/rdf/terms#checksumValue",
    );
    assert!(value[0].to_string().contains(&hex), "{value:?} vs {hex}");

    // 有条件开放 is restricted, and the dataset page announces its documents.
    let freight = turtle(&fixture, "public/datasets/road-freight.ttl");
    assert_eq!(
        objects(
            &freight,
            &format!("{BASE}datasets/road-freight/#dataset"),
            &format!("{DCT}accessRights")
        ),
        vec![node(
            "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
        )]
    );
    let page = fixture.read("public/datasets/bus-stops/index.html");
    for (ext, media) in [
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("rdf", "application/rdf+xml"),
    ] {
        assert!(
            page.contains(&format!(
                r#"<link rel="alternate" type="{media}" href="../../datasets/bus-stops.{ext}">"#
            )),
            "no {ext} alternate"
        );
    }
}

#[test]
fn the_three_serialisations_hold_the_same_triples() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let triples = same_in_three_formats(&fixture, "public/datasets/bus-stops");
    assert!(triples.len() > 40, "{} triples", triples.len());
}

#[test]
fn withheld_datasets_have_no_documents_and_are_in_no_catalog() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    for id in WITHHELD {
        for ext in ["ttl", "jsonld", "rdf"] {
            assert!(
                !fixture
                    .path(&format!("public/datasets/{id}.{ext}"))
                    .exists(),
                "{id}.{ext}"
            );
        }
    }
    let catalog = turtle(&fixture, "public/catalog.ttl");
    let listed: Vec<String> = objects(
        &catalog,
        &format!("{BASE}#catalog"),
        &format!("{DCAT}dataset"),
    )
    .iter()
    .map(Term::to_string)
    .collect();
    assert_eq!(
        listed.len(),
        3,
        "bus-stops, road-freight and taxi-fares only: {listed:?}"
    );
    // The department's own catalog lists the same three, and its page announces it.
    let own = turtle(&fixture, "public/departments/nn-transport/catalog.ttl");
    let own_catalog = format!("{BASE}departments/nn-transport/#catalog");
    assert_eq!(
        objects(&own, &own_catalog, &format!("{DCAT}dataset")).len(),
        3
    );
    let page = fixture.read("public/departments/nn-transport/index.html");
    assert!(
        page.contains(r#"type="text/turtle" href="../../departments/nn-transport/catalog.ttl""#)
    );
    // Every other file is searched for their ids and titles by tests/site.rs.
}

#[test]
fn a_title_cannot_break_out_of_the_embedded_json_ld() {
    let fixture = Fixture::new("basic");
    let hostile = "出租车</script><script>alert(1)</script><!--运价";
    let record = fixture.read("content/departments/nn-transport/taxi-fares.yaml");
    fixture.record(
        "taxi-fares.yaml",
        record.replace("title: 出租车运价", &format!("title: \"{hostile}\"")),
    );
    built(&fixture);
    let page = fixture.read("public/datasets/taxi-fares/index.html");
    assert!(
        !page.contains("<script>alert(1)"),
        "the title became markup"
    );
    let start = page
        .find(r#"<script type="application/ld+json">"#)
        .expect("JSON-LD")
        + 35;
    let end = start + page[start..].find("</script>").expect("closed");
    let value: serde_json::Value = serde_json::from_str(&page[start..end]).expect("JSON");
    assert_eq!(value["@type"], "Dataset");
    assert_eq!(value["name"], hostile, "the title survives as text");
}

/// Parses one document in all three formats; they must hold the same triples.
fn same_in_three_formats(fixture: &Fixture, stem: &str) -> Vec<Triple> {
    let mut from_turtle = turtle(fixture, &format!("{stem}.ttl"));
    let jsonld = fixture.read(&format!("{stem}.jsonld"));
    let mut from_jsonld: Vec<Triple> = oxjsonld::JsonLdParser::new()
        .for_slice(jsonld.as_bytes())
        .map(|q| q.map(Triple::from))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{stem}.jsonld does not parse: {e}"));
    let rdf = fixture.read(&format!("{stem}.rdf"));
    let mut from_xml: Vec<Triple> = oxrdfxml::RdfXmlParser::new()
        .for_slice(rdf.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{stem}.rdf does not parse: {e}"));
    for triples in [&mut from_turtle, &mut from_jsonld, &mut from_xml] {
        triples.sort_by_key(|t| t.to_string());
    }
    assert_eq!(
        from_turtle, from_jsonld,
        "{stem}: Turtle and JSON-LD differ"
    );
    assert_eq!(from_turtle, from_xml, "{stem}: Turtle and RDF/XML differ");
    from_turtle
}

#[test]
fn control_characters_and_odd_file_names_keep_every_format_readable() {
    let fixture = Fixture::new("basic");
    // A form feed and a carriage return through YAML escapes, and a file name with `%`, a
    // space, `#` and `?`.
    std::fs::write(
        fixture.path("content/departments/nn-transport/files/50% #1?.csv"),
        "a,b\n1,2\n",
    )
    .unwrap();
    let record = fixture.read("content/departments/nn-transport/taxi-fares.yaml");
    fixture.record(
        "taxi-fares.yaml",
        record.replace("title: 出租车运价", "title: \"出租车\\f运价\\r\\n第二行\"")
            + "resources:\n  - { title: 运价表, format: CSV, file: \"files/50% #1?.csv\" }\n",
    );
    built(&fixture);
    for stem in [
        "public/datasets/taxi-fares",
        "public/catalog",
        "public/departments/nn-transport/catalog",
    ] {
        if stem.ends_with("taxi-fares") {
            let triples = same_in_three_formats(&fixture, stem);
            let download = format!("{BASE}datasets/taxi-fares/files/50%25%20%231%3F.csv");
            assert!(
                triples
                    .iter()
                    .any(|t| t.object.to_string() == format!("<{download}>")),
                "the file's address is percent-encoded"
            );
            let title = objects(
                &triples,
                &format!("{BASE}datasets/taxi-fares/#dataset"),
                &format!("{DCT}title"),
            );
            assert_eq!(title[0].to_string(), "\"出租车运价\\n第二行\"@zh");
        } else {
            // Catalog pages: parse in every format (their Hydra links differ by design).
            turtle(&fixture, &format!("{stem}.ttl"));
            let rdf = fixture.read(&format!("{stem}.rdf"));
            oxrdfxml::RdfXmlParser::new()
                .for_slice(rdf.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_else(|e| panic!("{stem}.rdf does not parse: {e}"));
        }
    }
}

/// `kaifang build` of the catalog in `dir` into `dir/public`; it must succeed.
fn build_in(dir: &std::path::Path) {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_kaifang"))
        .args(["build", "--quiet", "--out", "public"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_large_catalog_is_paged_with_hydra_links() {
    let dir = tempfile::tempdir().unwrap();
    generator::synthetic::write_catalog(dir.path(), 400).unwrap();
    build_in(dir.path());
    let read = |rel: &str| -> Vec<Triple> {
        let text = std::fs::read(dir.path().join("public").join(rel)).unwrap();
        oxttl::TurtleParser::new()
            .for_slice(&text)
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let base = {
        let config = std::fs::read_to_string(dir.path().join("site.toml")).unwrap();
        let line = config
            .lines()
            .find(|l| l.starts_with("base_url"))
            .map(str::to_string);
        line.and_then(|l| {
            l.split('"')
                .nth(1)
                .map(|b| b.trim_end_matches('/').to_string() + "/")
        })
        .unwrap_or_else(|| "http://localhost/".into())
    };
    let first = read("catalog.ttl");
    let second = read("catalog/page/2.ttl");
    let hydra = "http://www.w3.org/ns/hydra/core#";
    let view1 = format!("{base}catalog.ttl");
    let view2 = format!("{base}catalog/page/2.ttl");
    assert_eq!(
        objects(&first, &view1, &format!("{hydra}next")),
        vec![node(&view2)]
    );
    assert!(
        objects(&second, &view2, &format!("{hydra}next")).is_empty(),
        "page 2 is the last"
    );
    assert_eq!(
        objects(&second, &view2, &format!("{hydra}previous")),
        vec![node(&view1)]
    );
    let count = |triples: &[Triple]| {
        triples
            .iter()
            .filter(|t| t.predicate.as_str() == format!("{DCAT}dataset"))
            .count()
    };
    let total = objects(
        &first,
        &format!("{base}#catalog"),
        &format!("{hydra}totalItems"),
    );
    let total: usize = total[0]
        .to_string()
        .split('"')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        generator::metadata::dcat::page_count(total),
        2,
        "{total} datasets make two pages"
    );
    assert_eq!(count(&first) + count(&second), total);
    for n in [count(&first), count(&second)] {
        assert!(
            n.abs_diff(total / 2) < total / 10,
            "pages share the datasets: {n} of {total}"
        );
    }
    assert!(!dir.path().join("public/catalog/page/3.ttl").exists());

    // A dataset taken away rewrites its own page and the first (the count), not the others.
    let record = walkdir::WalkDir::new(dir.path().join("content/departments"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .find(|p| {
            let stem = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            stem.starts_with("ds-") && generator::metadata::dcat::page_of(&stem, 2) == 1
        })
        .expect("a record on page 1");
    let before = std::fs::read(dir.path().join("public/catalog/page/2.ttl")).unwrap();
    let first_before = std::fs::read(dir.path().join("public/catalog.ttl")).unwrap();
    std::fs::remove_file(&record).unwrap();
    build_in(dir.path());
    let after = std::fs::read(dir.path().join("public/catalog/page/2.ttl")).unwrap();
    assert_eq!(before, after, "page 2 kept its bytes");
    assert_ne!(
        first_before,
        std::fs::read(dir.path().join("public/catalog.ttl")).unwrap()
    );
}

#[test]
fn sitemap_and_robots_name_every_public_dataset() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let sitemap = fixture.read("public/sitemap.xml");
    for id in ["bus-stops", "road-freight", "taxi-fares"] {
        assert!(
            sitemap.contains(&format!("<loc>{BASE}datasets/{id}/</loc>")),
            "{id}"
        );
    }
    let robots = fixture.read("public/robots.txt");
    assert!(
        robots.contains(&format!("Sitemap: {BASE}sitemap.xml")),
        "{robots}"
    );
}

/// The `<updated>` of each entry of a feed, in order.
fn entry_dates(feed: &str) -> Vec<String> {
    feed.split("<entry>")
        .skip(1)
        .map(|entry| {
            let start = entry.find("<updated>").expect("updated") + "<updated>".len();
            entry[start..start + 25].to_string()
        })
        .collect()
}

#[test]
fn feeds_list_new_and_updated_public_datasets_newest_first() {
    let fixture = Fixture::new("basic");
    let hostile = "出租车 <b>&运价</b>";
    let record = fixture.read("content/departments/nn-transport/taxi-fares.yaml");
    fixture.record(
        "taxi-fares.yaml",
        record.replace("title: 出租车运价", &format!("title: \"{hostile}\"")),
    );
    built(&fixture);
    let feed = fixture.read("public/feeds/datasets.atom");
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(feed.contains(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{BASE}feeds/datasets.atom\"/>"
    )));
    for id in ["bus-stops", "taxi-fares", "road-freight"] {
        assert!(
            feed.contains(&format!("<id>{BASE}datasets/{id}/</id>")),
            "{id} is in the feed"
        );
    }
    for withheld in WITHHELD {
        assert!(!feed.contains(withheld), "{withheld} must not be in a feed");
    }
    assert!(feed.contains("<title>出租车 &lt;b&gt;&amp;运价&lt;/b&gt;</title>"));
    let dates = entry_dates(&feed);
    assert!(!dates.is_empty() && dates.len() <= 50);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    // The department's and the domain's feeds, announced by their listings and the home page.
    let department = fixture.read("public/departments/nn-transport/feed.atom");
    assert_eq!(entry_dates(&department).len(), 3);
    assert!(fixture.path("public/domains/transport/feed.atom").exists());
    let listing = fixture.read("public/departments/nn-transport/index.html");
    assert!(listing.contains(
        r#"<link rel="alternate" type="application/atom+xml" href="../../departments/nn-transport/feed.atom">"#
    ));
    let home = fixture.read("public/index.html");
    assert!(home.contains(r#"type="application/atom+xml" href="./feeds/datasets.atom""#));
}

fn ckan(fixture: &Fixture, call: &str) -> serde_json::Value {
    let value: serde_json::Value =
        serde_json::from_str(&fixture.read(&format!("public/api/3/action/{call}")))
            .unwrap_or_else(|e| panic!("{call}: {e}"));
    assert_eq!(value["success"], true, "{call}");
    value["result"].clone()
}

#[test]
fn the_static_ckan_api_answers_the_read_calls_for_public_datasets_only() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let packages = ckan(&fixture, "package_list");
    assert_eq!(
        packages,
        serde_json::json!(["bus-stops", "road-freight", "taxi-fares"])
    );
    assert_eq!(
        ckan(&fixture, "organization_list"),
        serde_json::json!(["nn-transport"])
    );
    assert_eq!(
        ckan(&fixture, "group_list"),
        serde_json::json!(["transport", "living"]),
        "domains with public datasets, in the configured order"
    );
    let tags = ckan(&fixture, "tag_list");
    let tags: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let mut sorted = tags.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(tags, sorted, "sorted, each once");

    let package = ckan(&fixture, "package_show/bus-stops");
    assert_eq!(package["name"], "bus-stops");
    assert_eq!(package["organization"]["name"], "nn-transport");
    assert_eq!(package["groups"][0]["name"], "transport");
    let resource = &package["resources"][0];
    assert!(
        resource["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{BASE}datasets/bus-stops/")),
        "{resource}"
    );
    for withheld in WITHHELD {
        assert!(
            !fixture
                .path(&format!("public/api/3/action/package_show/{withheld}"))
                .exists()
        );
    }
    common::assert_nothing_mentions(&fixture.path("public/api"), &WITHHELD);
}

#[test]
fn data_json_lists_public_datasets_with_open_types_mapped_to_access_levels() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let data: serde_json::Value = serde_json::from_str(&fixture.read("public/data.json")).unwrap();
    assert_eq!(
        data["conformsTo"],
        "https://project-open-data.cio.gov/v1.1/schema"
    );
    let datasets = data["dataset"].as_array().unwrap();
    let pages: Vec<&str> = datasets
        .iter()
        .map(|d| d["landingPage"].as_str().unwrap())
        .collect();
    assert_eq!(
        pages,
        ["bus-stops", "road-freight", "taxi-fares"].map(|id| format!("{BASE}datasets/{id}/")),
        "public datasets only, in id order"
    );
    let bus = &datasets[0];
    assert_eq!(bus["accessLevel"], "public");
    assert_eq!(bus["accrualPeriodicity"], "R/P1M");
    assert_eq!(bus["modified"], "2024-06-01");
    assert_eq!(bus["keyword"], serde_json::json!(["公交", "站点"]));
    assert_eq!(bus["publisher"]["name"], "南宁市交通运输局");
    assert_eq!(
        bus["identifier"],
        format!("{BASE}datasets/bus-stops/#dataset"),
        "the same identifier as the DCAT documents"
    );
    let downloads: Vec<&str> = bus["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["downloadURL"].as_str())
        .collect();
    assert_eq!(
        downloads,
        [format!("{BASE}datasets/bus-stops/files/stops.csv")]
    );
    assert!(
        bus["contactPoint"]["hasEmail"]
            .as_str()
            .unwrap()
            .starts_with("mailto:"),
        "{}",
        bus["contactPoint"]
    );
    let freight = &datasets[1];
    assert_eq!(freight["accessLevel"], "restricted public");
    assert_eq!(freight["rights"], "仅限行业研究。");
    common::assert_nothing_mentions(&fixture.path("public/data.json"), &WITHHELD);
}

#[test]
fn each_dataset_is_a_data_package_whose_table_schema_comes_from_its_fields() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let package: serde_json::Value =
        serde_json::from_str(&fixture.read("public/datasets/bus-stops/datapackage.json")).unwrap();
    assert_eq!(package["name"], "bus-stops");
    let file = &package["resources"][0];
    assert_eq!(
        file["path"], "files/stops.csv",
        "relative to the descriptor"
    );
    assert!(
        fixture
            .path("public/datasets/bus-stops/files/stops.csv")
            .is_file()
    );
    use sha2::Digest;
    let bytes = std::fs::read(fixture.path("public/datasets/bus-stops/files/stops.csv")).unwrap();
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(file["hash"], format!("sha256:{hex}"));
    assert_eq!(file["bytes"], bytes.len());
    assert_eq!(file["profile"], "tabular-data-resource");
    assert_eq!(
        file["schema"]["fields"],
        serde_json::json!([{ "name": "站点名称", "type": "string" }])
    );
    let api = &package["resources"][1];
    assert_eq!(api["path"], "https://example.test/api");
    assert!(api.get("schema").is_none(), "an API is not a table");
    assert_eq!(
        package["profile"], "data-package",
        "not every resource is a table"
    );
    for withheld in WITHHELD {
        assert!(
            !fixture
                .path(&format!("public/datasets/{withheld}/datapackage.json"))
                .exists()
        );
    }
}

#[test]
fn the_catalog_spreadsheet_goes_back_into_records_through_import() {
    let fixture = Fixture::new("basic");
    built(&fixture);
    let bytes = std::fs::read(fixture.path("public/catalog.csv")).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark for spreadsheet programs"
    );
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text.lines().count(),
        4,
        "a header and the three public datasets"
    );
    assert!(text.contains("公交站点") && text.contains("仅限行业研究。"));
    common::assert_nothing_mentions(&fixture.path("public/catalog.csv"), &WITHHELD);
    // `kaifang import` reads it back: one record per row, with its id and title.
    let csv = fixture.path("public/catalog.csv");
    let run = fixture.run(&[
        "import",
        csv.to_str().unwrap(),
        "--content",
        fixture.path("imported").to_str().unwrap(),
    ]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let records = common::files(&fixture.path("imported"));
    for (id, title) in [
        ("bus-stops", "公交站点"),
        ("road-freight", "道路货运企业"),
        ("taxi-fares", ""),
    ] {
        let record = records
            .iter()
            .find(|r| r.ends_with(&format!("/{id}.yaml")))
            .unwrap_or_else(|| panic!("no record for {id} in {records:?}"));
        let text = std::fs::read_to_string(fixture.path("imported").join(record)).unwrap();
        assert!(text.contains(title), "{record}: {text}");
    }
}

#[test]
fn check_warns_when_data_json_would_name_a_contact_without_an_e_mail_address() {
    let fixture = Fixture::new("basic");
    let department = fixture.path("content/departments/nn-transport/department.yaml");
    let text = std::fs::read_to_string(&department).unwrap();
    std::fs::write(&department, text.replace(", email: data@example.test", "")).unwrap();
    let run = fixture.check();
    assert_eq!(run.status, 0, "a warning, not an error: {}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("data-json-contact"), "{all}");
    assert!(
        all.contains("3 public dataset(s)") && all.contains("contact_email"),
        "{all}"
    );

    // With the platform's address set, data.json names it and check is quiet.
    let config = fixture.path("site.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen(
            "base_url",
            "contact_email = \"open@example.test\"\nbase_url",
            1,
        ),
    )
    .unwrap();
    let run = fixture.check();
    assert!(!format!("{}{}", run.stdout, run.stderr).contains("data-json-contact"));
    built(&fixture);
    let data: serde_json::Value = serde_json::from_str(&fixture.read("public/data.json")).unwrap();
    assert_eq!(
        data["dataset"][0]["contactPoint"]["hasEmail"],
        "mailto:open@example.test"
    );
}
