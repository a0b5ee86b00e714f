//! One test per kind of bad input: each asserts the diagnostic's wording, its file:line:col
//! and that the rest of the catalog still publishes.

mod common;

use common::Fixture;

/// Checks the fixture with one extra record and returns the report text.
fn check_with(name: &str, text: &str) -> (Fixture, String) {
    let fixture = Fixture::new("basic");
    fixture.record(name, text);
    let run = fixture.check();
    assert_eq!(
        run.status, 1,
        "errors must give exit status 1:\n{}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("3 datasets public"),
        "the valid records must still be accepted:\n{}",
        run.stdout
    );
    (fixture, run.stdout)
}

fn assert_has(report: &str, parts: &[&str]) {
    for part in parts {
        assert!(report.contains(part), "expected `{part}` in:\n{report}");
    }
}

const VALID: &str = "title: 好记录
summary: 摘要
domain: 交通运输
open_type: 无条件开放
update_frequency: 每月
reviews:
  security: { date: 2024-01-01 }
";

#[test]
fn yaml_syntax_error_points_at_the_line() {
    let (_, report) = check_with(
        "broken.yaml",
        "title: 坏记录\nsummary: \"未闭合\ndomain: 交通运输\n",
    );
    assert_has(
        &report,
        &[
            "error[yaml-syntax]",
            "content/departments/nn-transport/broken.yaml:2:10",
            "2 | summary:",
            "closing quotes",
        ],
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    let text = VALID.replace("summary:", "sumary:");
    let (_, report) = check_with("typo.yaml", &text);
    assert_has(
        &report,
        &[
            "error[unknown-key]: unknown key `sumary`",
            "typo.yaml:2:1",
            "did you mean `summary`?",
        ],
    );
}

#[test]
fn wrong_type_is_named() {
    let text = format!("{VALID}keywords: 公交\n");
    let (_, report) = check_with("wrong-type.yaml", &text);
    assert_has(
        &report,
        &[
            "error[wrong-type]",
            "wrong-type.yaml:8:11",
            "a list is written",
        ],
    );
}

#[test]
fn value_outside_a_controlled_list_suggests_the_nearest() {
    let text = VALID.replace("open_type: 无条件开放", "open_type: 有条件");
    let (_, report) = check_with("open-type.yaml", &text);
    assert_has(
        &report,
        &[
            "error[not-in-list]: `有条件` is not a valid open_type",
            "open-type.yaml:4:12",
            "^^^",
            "did you mean `有条件开放`?",
        ],
    );
}

#[test]
fn unknown_domain_suggests_the_nearest() {
    let text = VALID.replace("domain: 交通运输", "domain: 交通");
    let (_, report) = check_with("domain.yaml", &text);
    assert_has(
        &report,
        &[
            "`交通` is not a domain of this platform",
            "domain.yaml:3:9",
            "did you mean `交通运输`?",
        ],
    );
}

#[test]
fn missing_required_key_is_named() {
    let text = VALID.replace("open_type: 无条件开放\n", "");
    let (_, report) = check_with("missing.yaml", &text);
    assert_has(
        &report,
        &[
            "error[missing-key]: required key `open_type` is missing",
            "missing.yaml:1:1",
            "add `open_type:`",
        ],
    );
}

#[test]
fn missing_conditions_for_conditional_opening() {
    let text = VALID.replace("open_type: 无条件开放", "open_type: 有条件开放");
    let (_, report) = check_with("conditions.yaml", &text);
    assert_has(
        &report,
        &[
            "error[missing-conditions]",
            "conditions.yaml:4:12",
            "open_conditions",
        ],
    );
}

#[test]
fn duplicate_key_is_rejected() {
    let text = format!("{VALID}title: 又一个标题\n");
    let (_, report) = check_with("dup-key.yaml", &text);
    assert_has(
        &report,
        &[
            "error[duplicate-key]: key `title` appears twice",
            "dup-key.yaml:8:1",
        ],
    );
}

#[test]
fn duplicate_id_across_files_names_both() {
    // Neither claimant is published until a person decides; each is told where the other is.
    let fixture = Fixture::new("basic");
    std::fs::create_dir_all(fixture.path("content/departments/aaa")).unwrap();
    std::fs::write(
        fixture.path("content/departments/aaa/department.yaml"),
        "name: 另一部门\ncode: aaa\nregion: \"4502\"\n",
    )
    .unwrap();
    std::fs::write(
        fixture.path("content/departments/aaa/zz.yaml"),
        format!("id: bus-stops\n{VALID}"),
    )
    .unwrap();
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &[
            "error[duplicate-id]: dataset id `bus-stops` is also used by content/departments/nn-transport/bus-stops.yaml",
            "error[duplicate-id]: dataset id `bus-stops` is also used by content/departments/aaa/zz.yaml",
            "2 datasets public",
        ],
    );
    // The newcomer's own check fails too: it cannot quietly take the id over.
    let run = fixture.run(&["check", "--department", "aaa"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let run = fixture.build();
    assert_eq!(run.status, 1);
    assert!(!fixture.path("public/datasets/bus-stops").exists());
}

#[test]
fn unknown_division_code_is_rejected() {
    let text = format!("{VALID}region: 450199\n");
    let (_, report) = check_with("region.yaml", &text);
    assert_has(
        &report,
        &[
            "error[unknown-region]: unknown division code `450199`",
            "region.yaml:8:9",
            "`4501` is 广西壮族自治区 南宁市",
        ],
    );
}

#[test]
fn resource_path_cannot_leave_the_folder() {
    let text =
        format!("{VALID}resources:\n  - {{ title: x, format: CSV, file: ../../../site.toml }}\n");
    let (_, report) = check_with("escape.yaml", &text);
    assert_has(
        &report,
        &[
            "error[path-escape]: resource path `../../../site.toml` leaves the department's folder",
            "escape.yaml:9:36",
        ],
    );
}

#[cfg(unix)]
#[test]
fn resource_path_cannot_go_through_a_symlink() {
    let fixture = Fixture::new("basic");
    std::os::unix::fs::symlink(
        fixture.path("site.toml"),
        fixture.path("content/departments/nn-transport/files/link.csv"),
    )
    .unwrap();
    fixture.record(
        "link.yaml",
        format!("{VALID}resources:\n  - {{ title: x, format: CSV, file: files/link.csv }}\n"),
    );
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &["error[path-symlink]", "link.yaml:9:36", "symbolic link"],
    );
}

#[test]
fn only_http_urls_are_accepted() {
    let text = format!(
        "{VALID}resources:\n  - {{ title: x, format: API, url: \"javascript:alert(1)\" }}\n"
    );
    let (_, report) = check_with("url.yaml", &text);
    assert_has(
        &report,
        &[
            "error[bad-url]: `javascript:alert(1)` is not an http or https address",
            "url.yaml:9:35",
        ],
    );
}

#[test]
fn provider_must_be_the_own_department() {
    let text = format!("{VALID}provider: 南宁市公安局\n");
    let (_, report) = check_with("provider.yaml", &text);
    assert_has(
        &report,
        &[
            "error[wrong-provider]: provider `南宁市公安局` is not this folder's department",
            "provider.yaml:8:11",
        ],
    );
}

#[test]
fn non_utf8_file_is_rejected_with_position() {
    let fixture = Fixture::new("basic");
    let mut bytes = b"title: ok\nsummary: ".to_vec();
    bytes.extend_from_slice(&[0xb9, 0xab, 0xbd, 0xbb]); // 公交 in GBK
    fixture.record("gbk.yaml", bytes);
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &[
            "error[not-utf8]: the file is not valid UTF-8",
            "gbk.yaml:2:10",
            "save the file as UTF-8",
        ],
    );
}

#[test]
fn empty_file_is_rejected() {
    let (_, report) = check_with("empty.yaml", "");
    assert_has(
        &report,
        &["error[empty-file]: the file is empty", "empty.yaml"],
    );
    let (_, report) = check_with("comments.yaml", "# 只有注释\n");
    assert_has(&report, &["error[empty-record]", "comments.yaml"]);
}

#[test]
fn huge_file_is_rejected_before_parsing() {
    let text = format!("{VALID}# {}\n", "x".repeat(300 * 1024));
    let (_, report) = check_with("huge.yaml", &text);
    assert_has(
        &report,
        &[
            "error[file-too-large]",
            "records may be at most 262144 bytes",
        ],
    );
}

#[test]
fn alias_bomb_fails_fast() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let (_, report) = check_with("bomb.yaml", &text);
    assert!(
        started.elapsed().as_secs() < 20,
        "an alias bomb must not hang the check"
    );
    assert!(
        report.contains("error[too-complex]") || report.contains("error[unknown-key]"),
        "alias bomb must be rejected:\n{report}"
    );
}

#[test]
fn deep_nesting_fails_fast() {
    let text = format!(
        "{VALID}keywords: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let started = std::time::Instant::now();
    let (_, report) = check_with("deep.yaml", &text);
    assert!(started.elapsed().as_secs() < 20);
    assert_has(
        &report,
        &["error[too-complex]", "deep.yaml:8:", "no deep nesting"],
    );
}

#[test]
fn bad_date_and_date_order() {
    let text = format!("{VALID}issued: 2024-13-01\n");
    let (_, report) = check_with("date.yaml", &text);
    assert_has(
        &report,
        &[
            "error[bad-date]: `2024-13-01` is not a date",
            "date.yaml:8:9",
            "YYYY-MM-DD",
        ],
    );
    let text = format!("{VALID}issued: 2024-05-01\nmodified: 2024-04-01\n");
    let (_, report) = check_with("order.yaml", &text);
    assert_has(&report, &["error[date-order]", "order.yaml:9:11"]);
}

#[test]
fn all_errors_of_a_run_are_reported_together() {
    let fixture = Fixture::new("basic");
    fixture.record("one.yaml", VALID.replace("summary:", "sumary:"));
    fixture.record("two.yaml", VALID.replace("每月", "月度"));
    fixture.record("three.yaml", format!("{VALID}region: 999\n"));
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &[
            "one.yaml:2:1",
            "two.yaml:5:19",
            "three.yaml:8:9",
            "3 rejected; 3 errors",
        ],
    );
}

#[test]
fn rejected_record_is_left_out_and_valid_ones_publish() {
    let fixture = Fixture::new("basic");
    fixture.record(
        "bad.yaml",
        VALID.replace("open_type: 无条件开放", "open_type: 有条件"),
    );
    let run = fixture.build();
    assert_eq!(
        run.status, 1,
        "built with rejections must exit 1:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("bad.yaml:4:12"), "{}", run.stderr);
    assert!(
        fixture
            .path("public/datasets/bus-stops/index.html")
            .exists()
    );
    assert!(!fixture.path("public/datasets/bad/index.html").exists());
}

#[test]
fn check_json_is_machine_readable() {
    let fixture = Fixture::new("basic");
    fixture.record("typo.yaml", VALID.replace("summary:", "sumary:"));
    let run = fixture.run(&["check", "--format", "json"]);
    assert_eq!(run.status, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(value["ok"], false);
    assert_eq!(value["errors"], 1);
    let diagnostic = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    assert_eq!(diagnostic["code"], "unknown-key");
    assert_eq!(
        diagnostic["file"],
        "content/departments/nn-transport/typo.yaml"
    );
    assert_eq!(diagnostic["location"]["line"], 2);
    assert_eq!(diagnostic["location"]["column"], 1);
}

#[test]
fn department_code_must_match_its_folder() {
    let fixture = Fixture::new("basic");
    std::fs::write(
        fixture.path("content/departments/nn-transport/department.yaml"),
        "name: 南宁市交通运输局\ncode: nn-jt\nregion: \"4501\"\n",
    )
    .unwrap();
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &[
            "error[code-mismatch]",
            "department.yaml:2:7",
            "write `code: nn-transport`",
        ],
    );
}

#[test]
fn page_cannot_take_a_portal_folder_name() {
    let fixture = Fixture::new("basic");
    std::fs::write(fixture.path("content/pages/datasets.md"), "# 数据集\n").unwrap();
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &["error[reserved-page-name]: page name `datasets` is used by the portal itself"],
    );
    let run = fixture.build();
    assert!(
        fixture
            .read("public/datasets/index.html")
            .contains("共 3 个数据集"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn symlinked_pages_and_department_folders_are_not_read() {
    let fixture = Fixture::new("basic");
    std::os::unix::fs::symlink("/etc/hostname", fixture.path("content/pages/host.md")).unwrap();
    std::os::unix::fs::symlink(
        fixture.path("content/departments/nn-transport"),
        fixture.path("content/departments/elsewhere"),
    )
    .unwrap();
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &[
            "error[symlink-page]",
            "host.md",
            "error[symlink-folder]",
            "content/departments/elsewhere",
        ],
    );
    fixture.build();
    assert!(!fixture.path("public/host").exists());
    assert!(!fixture.path("public/departments/elsewhere").exists());
}

#[test]
fn check_can_report_on_one_department() {
    let fixture = Fixture::new("basic");
    std::fs::create_dir_all(fixture.path("content/departments/other")).unwrap();
    std::fs::write(
        fixture.path("content/departments/other/department.yaml"),
        "name: 其他部门\ncode: other\nregion: \"4502\"\n",
    )
    .unwrap();
    // Another department's broken record does not fail this department's check…
    std::fs::write(
        fixture.path("content/departments/other/broken.yaml"),
        "title: [\n",
    )
    .unwrap();
    let run = fixture.run(&["check", "--department", "nn-transport"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(!run.stdout.contains("broken.yaml"));
    // …but an id already taken elsewhere in the catalog still does.
    std::fs::write(
        fixture.path("content/departments/other/bus-stops.yaml"),
        VALID,
    )
    .unwrap();
    fixture.record("zz.yaml", format!("id: bus-stops\n{VALID}"));
    let run = fixture.run(&["check", "--department", "nn-transport"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert_has(&run.stdout, &["error[duplicate-id]", "zz.yaml"]);
    let run = fixture.run(&["check", "--department", "missing"]);
    assert_eq!(fixture.run(&["check", "--department", ".."]).status, 2);
    assert_eq!(
        fixture
            .run(&["check", "--department", "nn-transport/files"])
            .status,
        2
    );
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("there is no department folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_format_cannot_name_a_parent_folder() {
    let text = format!(
        "{VALID}resources:\n  - {{ title: x, format: \"..\", url: \"https://example.test/a\" }}\n"
    );
    let (_, report) = check_with("dots.yaml", &text);
    assert_has(
        &report,
        &[
            "error[bad-format]: `..` is not a format name",
            "dots.yaml:9:25",
        ],
    );
}

#[test]
fn records_and_active_content_are_not_resources() {
    let fixture = Fixture::new("basic");
    let dir = fixture.path("content/departments/nn-transport/files");
    std::fs::write(dir.join("page.html"), "<script>alert(1)</script>").unwrap();
    std::fs::write(
        dir.join("feed.xml"),
        "<?xml-stylesheet href=\"x.xsl\"?><a/>",
    )
    .unwrap();
    std::fs::write(dir.join("data.xml"), "<rows><row>1</row></rows>").unwrap();
    std::fs::write(
        dir.join("svg.xml"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
    )
    .unwrap();
    std::fs::write(
        dir.join("map.kml"),
        "<kml><x:script xmlns:x=\"http://www.w3.org/1999/xhtml\">alert(1)</x:script></kml>",
    )
    .unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    for unit in "<a><script>alert(1)</script></a>".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(dir.join("wide.xml"), utf16).unwrap();
    for (name, file) in [
        ("r5.yaml", "files/svg.xml"),
        ("r6.yaml", "files/map.kml"),
        ("r7.yaml", "files/wide.xml"),
    ] {
        fixture.record(
            name,
            format!("{VALID}resources:\n  - {{ title: x, format: XML, file: {file} }}\n"),
        );
    }
    fixture.record(
        "r1.yaml",
        format!("{VALID}resources:\n  - {{ title: x, format: YAML, file: secret-roster.yaml }}\n"),
    );
    fixture.record(
        "r2.yaml",
        format!("{VALID}resources:\n  - {{ title: x, format: HTML, file: files/page.html }}\n"),
    );
    fixture.record(
        "r3.yaml",
        format!("{VALID}resources:\n  - {{ title: x, format: XML, file: files/feed.xml }}\n"),
    );
    fixture.record(
        "r4.yaml",
        format!("{VALID}resources:\n  - {{ title: x, format: XML, file: files/data.xml }}\n"),
    );
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &[
            "error[path-is-record]",
            "r1.yaml:9:37",
            "error[active-content]",
            "r2.yaml:9:37",
            "r3.yaml:9:36",
            "r5.yaml:9:36",
            "r6.yaml:9:36",
            "r7.yaml:9:36",
            "6 rejected",
        ],
    );
    assert!(
        !run.stdout.contains("r4.yaml:9"),
        "plain XML data is fine:\n{}",
        run.stdout
    );
}

#[test]
fn a_withheld_datasets_file_stays_unpublished_even_when_shared() {
    let fixture = Fixture::new("basic");
    let dir = fixture.path("content/departments/nn-transport");
    std::fs::write(
        dir.join("files/roster.csv"),
        "姓名,证件号\n张三,450103199001011234\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("files/copy.csv"),
        "姓名,证件号\n张三,450103199001011234\n",
    )
    .unwrap();
    let secret = std::fs::read_to_string(dir.join("secret-roster.yaml")).unwrap();
    std::fs::write(
        dir.join("secret-roster.yaml"),
        format!("{secret}resources:\n  - {{ title: 名册, format: CSV, file: files/roster.csv }}\n"),
    )
    .unwrap();
    fixture.record("shared.yaml", format!("{VALID}resources:\n  - {{ title: 同一文件, format: CSV, file: files/roster.csv }}\n  - {{ title: 同样内容, format: CSV, file: files/copy.csv }}\n"));
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning[withheld-resource]"),
        "{}",
        run.stderr
    );
    assert!(fixture.path("public/datasets/shared/index.html").exists());
    assert!(
        !fixture
            .path("public/datasets/shared/files/roster.csv")
            .exists()
    );
    assert!(
        !fixture
            .path("public/datasets/shared/files/copy.csv")
            .exists()
    );
}

#[test]
fn numbers_yaml_would_change_must_be_quoted() {
    let (_, report) = check_with("hex.yaml", &format!("{VALID}region: 0x2D\n"));
    assert_has(
        &report,
        &[
            "error[quote-number]: `0x2D` is read by YAML as the number 45",
            "hex.yaml:8:9",
            "write `region: \"0x2D\"`",
        ],
    );
    let (_, report) = check_with(
        "phone.yaml",
        &format!("{VALID}contact: {{ name: 科室, phone: 0o17 }}\n"),
    );
    assert_has(
        &report,
        &[
            "error[quote-number]: `0o17` is read by YAML as the number 15",
            "phone.yaml:8:29",
        ],
    );
    let (_, report) = check_with(
        "zero.yaml",
        &format!("{VALID}contact: {{ name: 科室, phone: 07711234567 }}\n"),
    );
    assert_has(
        &report,
        &[
            "error[quote-number]: `07711234567` is read by YAML as the number 7711234567",
            "write `phone: \"07711234567\"`",
        ],
    );
}

#[test]
fn dates_in_the_future_are_rejected() {
    let (_, report) = check_with("future.yaml", &format!("{VALID}modified: 2204-03-01\n"));
    assert_has(
        &report,
        &[
            "error[future-date]: `modified` 2204-03-01 is in the future",
            "future.yaml:8:11",
            "check the year",
        ],
    );
}

#[test]
fn an_overlong_summary_is_rejected() {
    let text = VALID.replace(
        "summary: 摘要",
        &format!("summary: \"{}\"", "> ".repeat(6000)),
    );
    let (_, report) = check_with("long.yaml", &text);
    assert_has(
        &report,
        &[
            "error[too-long]: `summary` is 12000 characters; at most 10000 are accepted",
            "long.yaml:2:10",
        ],
    );
}

#[test]
fn upper_case_extensions_are_records_too() {
    let fixture = Fixture::new("basic");
    fixture.record("Upper.YAML", VALID.replace("每月", "月度"));
    let run = fixture.check();
    assert_eq!(run.status, 1);
    assert_has(
        &run.stdout,
        &["Upper.YAML:5:19", "did you mean `每月`?", "1 rejected"],
    );
}

/// A 不予开放 record that also fails validation must not lose its protection: its files stay
/// unpublished even when a public record names them, and a record cannot be a resource however
/// its path is spelled.
#[test]
fn a_rejected_withheld_record_stays_protected() {
    let fixture = Fixture::new("basic");
    let dir = fixture.path("content/departments/nn-transport");
    std::fs::write(dir.join("files/roster.csv"), "姓名\n张三\n").unwrap();
    let secret = std::fs::read_to_string(dir.join("secret-roster.yaml")).unwrap();
    std::fs::write(
        dir.join("secret-roster.yaml"),
        format!("{secret}modified: 2099-01-01\nresources:\n  - {{ title: 名册, format: CSV, file: files/roster.csv }}\n"),
    )
    .unwrap();
    fixture.record(
        "sharer.yaml",
        format!("{VALID}resources:\n  - {{ title: 名册, format: CSV, file: files/roster.csv }}\n  - {{ title: 记录, format: YAML, file: ./secret-roster.yaml }}\n"),
    );
    let run = fixture.build();
    assert_has(
        &run.stderr,
        &["error[future-date]", "error[path-is-record]"],
    );
    assert!(
        !fixture.path("public/datasets/sharer").exists(),
        "sharer has an error and is rejected"
    );
    fixture.record(
        "sharer.yaml",
        format!("{VALID}resources:\n  - {{ title: 名册, format: CSV, file: files/roster.csv }}\n"),
    );
    let run = fixture.build();
    assert_has(&run.stderr, &["warning[withheld-resource]"]);
    assert!(fixture.path("public/datasets/sharer/index.html").exists());
    assert!(
        !fixture
            .path("public/datasets/sharer/files/roster.csv")
            .exists()
    );
    common::assert_nothing_mentions(&fixture.path("public"), &["执法人员涉密名册", "张三"]);
}

#[test]
fn text_that_looks_like_numbers_is_kept_as_written() {
    let fixture = Fixture::new("basic");
    fixture.record(
        "phones.yaml",
        format!("{VALID}contact:\n  name: 科室\n  phone: 0771-1111111\n    转 8001\n"),
    );
    let run = fixture.check();
    assert!(!run.stdout.contains("quote-number"), "{}", run.stdout);
    assert_eq!(run.status, 0, "{}", run.stdout);
}

#[test]
fn empty_and_repeated_item_names_are_rejected() {
    let text = format!(
        "{VALID}fields:\n  - {{ name: 站点 }}\n  - {{ name: 站点 }}\n  - {{ name: \" \" }}\nresources:\n  - {{ title: \"\", format: CSV, url: \"https://example.test/a\" }}\n"
    );
    let (_, report) = check_with("items.yaml", &text);
    assert_has(
        &report,
        &[
            "error[duplicate-field]: field `站点` is listed twice",
            "items.yaml:10:13",
            "error[empty-value]: a field has an empty `name`",
            "items.yaml:11:13",
            "error[empty-value]: a resource has an empty `title`",
            "items.yaml:13:14",
        ],
    );
}

#[test]
fn a_base_url_with_a_fragment_is_refused_with_the_fix() {
    let fixture = Fixture::new("basic");
    let config = fixture.read("site.toml").replace(
        "base_url = \"https://example.test/portal/\"",
        "base_url = \"https://example.test/portal/#top\"",
    );
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    let run = fixture.build();
    assert_eq!(run.status, 2, "{}\n{}", run.stdout, run.stderr);
    assert_has(
        &format!("{}{}", run.stdout, run.stderr),
        &[
            "base_url `https://example.test/portal/#top`",
            "without a query or a fragment",
        ],
    );
}
