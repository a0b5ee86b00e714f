//! The regulation's workflow records, built with the real binary: takedowns (第二十二条) and
//! maintenance notices (第十三条).

mod common;

use common::Fixture;

/// The files that may name a dataset a takedown took offline (generator's
/// `audit::ANNOUNCING_FILES`).
const ANNOUNCING: [&str; 2] = ["takedowns/index.html", "feeds/withdrawals.atom"];

fn takedown(fixture: &Fixture, name: &str, text: &str) {
    let dir = fixture.path("content/takedowns");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

fn notice(fixture: &Fixture, name: &str, text: &str) {
    let dir = fixture.path("content/notices");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

const SUSPEND_BUS_STOPS: &str = "dataset: bus-stops\nreceived: 2024-11-02\ngrounds: 个人隐私\nstate: suspended\nsuspended: 2024-11-02\n";

/// Every public file but the announcing ones holds none of `needles`; the search index
/// answers none of `queries` with `id`.
fn offline_everywhere(fixture: &Fixture, id: &str, title: &str) {
    let public = fixture.path("public");
    for file in common::files(&public) {
        if ANNOUNCING.contains(&file.as_str()) {
            continue;
        }
        common::assert_nothing_mentions(
            &public.join(&file),
            &[&format!("datasets/{id}/"), &format!("\"{id}\""), title],
        );
    }
    let run = fixture.run(&["search", title, "--site", "public"]);
    assert!(
        !run.stdout.contains(id),
        "search still finds {id}: {}",
        run.stdout
    );
}

#[test]
fn a_takedown_takes_an_active_dataset_out_of_every_public_file_and_announces_it() {
    let fixture = Fixture::new("basic");
    assert_eq!(fixture.build().status, 0);
    assert!(
        fixture
            .path("public/datasets/bus-stops/index.html")
            .is_file()
    );
    let csv = std::fs::read(fixture.path("public/datasets/bus-stops/files/stops.csv")).unwrap();

    // The department's record still says active: the takedown decides.
    takedown(&fixture, "2024-001.yaml", SUSPEND_BUS_STOPS);
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(!fixture.path("public/datasets/bus-stops").exists());
    offline_everywhere(&fixture, "bus-stops", "公交站点");
    // Its file is gone, under any name.
    for file in common::files(&fixture.path("public")) {
        assert_ne!(
            std::fs::read(fixture.path("public").join(&file)).unwrap(),
            csv,
            "{file} is the suspended dataset's file"
        );
    }

    // The public notice names the dataset, its state and grounds, and no complainant.
    let page = fixture.read("public/takedowns/index.html");
    assert!(page.contains("公交站点") && page.contains("<code>bus-stops</code>"));
    assert!(page.contains("已暂停") && page.contains("个人隐私"));
    assert!(
        !page.contains("datasets/bus-stops/"),
        "no link to a page that is gone"
    );
    // The withdrawals feed tells harvesters to delete the entry the datasets feed gave it.
    let feed = fixture.read("public/feeds/withdrawals.atom");
    assert!(feed.contains(
        "<at:deleted-entry ref=\"https://example.test/portal/datasets/bus-stops/\" when=\"2024-11-02T00:00:00+08:00\">"
    ));
    assert!(feed.contains("<title>已暂停：公交站点</title>"));
    let datasets_feed = fixture.read("public/feeds/datasets.atom");
    assert!(!datasets_feed.contains("bus-stops"));
}

#[test]
fn restoring_brings_the_dataset_back_in_full() {
    let fixture = Fixture::new("basic");
    assert_eq!(fixture.build().status, 0);
    let before = fixture.read("public/datasets/bus-stops/index.html");
    takedown(&fixture, "2024-001.yaml", SUSPEND_BUS_STOPS);
    assert_eq!(fixture.build().status, 0);
    takedown(
        &fixture,
        "2024-001.yaml",
        &format!(
            "{}verified: 2024-11-04\nrestored: 2024-11-06\n",
            SUSPEND_BUS_STOPS.replace("state: suspended", "state: restored")
        ),
    );
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(fixture.read("public/datasets/bus-stops/index.html"), before);
    assert!(
        fixture
            .path("public/datasets/bus-stops/files/stops.csv")
            .is_file()
    );
    assert!(fixture.read("public/data.json").contains("公交站点"));
    let page = fixture.read("public/takedowns/index.html");
    assert!(page.contains("已恢复") && page.contains("href=\"../datasets/bus-stops/\""));
    let feed = fixture.read("public/feeds/withdrawals.atom");
    assert!(!feed.contains("deleted-entry"), "{feed}");
    assert!(feed.contains("<title>已恢复：公交站点</title>"));
}

#[test]
fn a_wrong_takedown_record_is_located_and_still_keeps_its_dataset_offline() {
    let fixture = Fixture::new("basic");
    takedown(
        &fixture,
        "2024-001.yaml",
        &SUSPEND_BUS_STOPS.replace("state: suspended", "state: restord"),
    );
    let run = fixture.check();
    assert_eq!(run.status, 1);
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(
        report.contains("content/takedowns/2024-001.yaml:4:8"),
        "{report}"
    );
    assert!(report.contains("did you mean `restored`"), "{report}");
    assert!(
        report.contains("kept offline until this takedown record is fixed"),
        "{report}"
    );
    // The build reports it, and the dataset stays offline, unannounced.
    let run = fixture.build();
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert!(!fixture.path("public/datasets/bus-stops").exists());
    offline_everywhere(&fixture, "bus-stops", "公交站点");
    common::assert_nothing_mentions(&fixture.path("public/takedowns"), &["公交站点"]);

    // A takedown naming no dataset of the catalog is an error with a suggestion.
    takedown(
        &fixture,
        "2024-001.yaml",
        &SUSPEND_BUS_STOPS.replace("bus-stops", "bus-stop"),
    );
    let run = fixture.check();
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(
        report.contains("no dataset has the id `bus-stop`"),
        "{report}"
    );
    assert!(report.contains("did you mean `bus-stops`"), "{report}");
}

#[test]
fn a_takedown_never_announces_a_dataset_that_was_not_public() {
    let fixture = Fixture::new("basic");
    // secret-roster is 不予开放: its title was never public and stays so.
    takedown(
        &fixture,
        "2024-002.yaml",
        "dataset: secret-roster\nreceived: 2024-11-02\ngrounds: 个人隐私\nstate: withdrawn\nsuspended: 2024-11-02\nwithdrawn: 2024-11-03\n",
    );
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    common::assert_nothing_mentions(
        &fixture.path("public"),
        &["secret-roster", "执法人员涉密名册"],
    );
    assert!(
        fixture
            .read("public/takedowns/index.html")
            .contains("目前没有数据异议处理记录")
    );
}

const UPGRADE: &str = "title: 平台升级维护\npublished: 2024-12-20 10:00\nstart: 2025-01-04 22:00\nend: 2025-01-05 02:00\ntext: |\n  维护期间**暂停**数据下载。<script>alert(1)</script>\n";

#[test]
fn a_current_notice_is_a_banner_on_every_page_and_is_listed_and_fed() {
    let fixture = Fixture::new("basic");
    notice(&fixture, "2025-upgrade.yaml", UPGRADE);
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    for page in common::files(&fixture.path("public"))
        .iter()
        .filter(|f| f.ends_with(".html"))
    {
        let html = fixture.read(&format!("public/{page}"));
        assert!(
            html.contains("data-end=\"2025-01-05T02:00:00+08:00\"")
                && html.contains("2025年1月4日 22:00 至 2025年1月5日 02:00"),
            "{page} has no banner"
        );
    }
    let page = fixture.read("public/notices/index.html");
    assert!(page.contains("<strong>暂停</strong>"));
    assert!(
        !page.contains("<script>alert"),
        "Markdown cannot inject script"
    );
    let feed = fixture.read("public/feeds/notices.atom");
    assert!(feed.contains("<title>平台升级维护</title>"));
    assert!(feed.contains("<updated>2024-12-20T10:00:00+08:00</updated>"));

    // Once the window has passed the build date, the banner goes; the notice stays listed.
    notice(
        &fixture,
        "2025-upgrade.yaml",
        &UPGRADE
            .replace("2025-01-04", "2024-12-28")
            .replace("2025-01-05", "2024-12-29"),
    );
    assert_eq!(fixture.build().status, 0);
    assert!(!fixture.read("public/index.html").contains("notice-banner"));
    assert!(fixture.read("public/notices/index.html").contains("已结束"));
}

/// A notice is on every page: one that names an unpublished dataset is left out with an
/// error instead of taking every page down; a page cannot take a notice page's address.
#[test]
fn a_notice_naming_an_unpublished_dataset_is_left_out() {
    let fixture = Fixture::new("basic");
    notice(
        &fixture,
        "roster.yaml",
        &UPGRADE.replace("平台升级维护", "执法人员涉密名册数据维护"),
    );
    std::fs::write(fixture.path("content/pages/takedowns.md"), "# 下架\n").unwrap();
    let run = fixture.build();
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(report.contains("error[notice-names-withheld]"), "{report}");
    assert!(report.contains("error[reserved-page-name]"), "{report}");
    assert!(
        fixture
            .path("public/datasets/bus-stops/index.html")
            .is_file()
    );
    common::assert_nothing_mentions(&fixture.path("public"), &["执法人员涉密名册"]);
    assert!(
        fixture
            .read("public/takedowns/index.html")
            .contains("数据异议处理公示")
    );
}

#[test]
fn a_notice_published_late_or_wrong_is_reported() {
    let fixture = Fixture::new("basic");
    // Published on Thursday 2025-01-02 for Saturday 2025-01-04: one working day between.
    notice(
        &fixture,
        "late.yaml",
        &UPGRADE.replace("2024-12-20 10:00", "2025-01-02 10:00"),
    );
    let run = fixture.check();
    assert_eq!(run.status, 0, "a late notice is a warning");
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(report.contains("warning[notice-late]"), "{report}");
    assert!(report.contains("1 whole working day(s)"), "{report}");

    notice(
        &fixture,
        "late.yaml",
        &UPGRADE.replace("end: 2025-01-05 02:00", "end: 2025-01-04"),
    );
    let run = fixture.check();
    assert_eq!(run.status, 1);
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(report.contains("content/notices/late.yaml:4:6"), "{report}");
    assert!(report.contains("expected YYYY-MM-DD HH:MM"), "{report}");
}

/// An ID number with its correct GB 11643 check character.
fn resident_id(body17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{body17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

const STOPS_RECORD: &str = "fields:\n  - { name: 站点名称, type: 字符串 }\nresources:\n  - title: 站点表\n    format: csv\n    file: files/stops.csv\nissued: 2024-01-01\nmodified: 2024-06-01\nreviews:\n  security: { date: 2024-01-01 }\n";

fn stops_record(extra: &str) -> String {
    format!(
        "title: 公交站点\nsummary: 南宁市公交站点的名称和位置。\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每月\n{}",
        STOPS_RECORD.replace(
            "    file: files/stops.csv\n",
            &format!("    file: files/stops.csv\n{extra}")
        )
    )
}

/// 第十六条: a resource file with unmasked personal data is not published, and the record
/// says where; masked values, lookalike numbers and columns declared public pass.
#[test]
fn unmasked_personal_data_in_a_resource_blocks_its_record() {
    let fixture = Fixture::new("basic");
    assert_eq!(fixture.build().status, 0);
    let id = resident_id("45010219900307123");
    // Masked values, an order number with 18 digits that fails the checksum, an ID inside a
    // longer run of digits, and a landline all pass.
    let clean = format!(
        "站点名称,负责人证件,联系电话,订单号,值班电话\n朝阳广场,4501**********123X,138****5678,202412010000000018,0771-5551234\n南宁站,450102*********12X,139****0000,9{id}1,07715551234\n"
    );
    std::fs::write(
        fixture.path("content/departments/nn-transport/files/stops.csv"),
        &clean,
    )
    .unwrap();
    fixture.record("bus-stops.yaml", stops_record(""));
    let run = fixture.check();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);

    let leaky = format!("{clean}火车站,{id},13812345678,1,18912345678\n");
    std::fs::write(
        fixture.path("content/departments/nn-transport/files/stops.csv"),
        &leaky,
    )
    .unwrap();
    let run = fixture.build();
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(report.contains("error[personal-data]"), "{report}");
    assert!(
        report.contains("content/departments/nn-transport/bus-stops.yaml:11:11"),
        "{report}"
    );
    assert!(
        report.contains("居民身份证号码 4501**********")
            && report.contains("at row 4, column 2 (负责人证件)"),
        "{report}"
    );
    assert!(
        report.contains("手机号码 138****5678 at row 4, column 3 (联系电话)"),
        "{report}"
    );
    assert!(
        !report.contains(&id) && !report.contains("13812345678"),
        "messages mask values"
    );
    // Nothing of the record is published: not its page, not the file, not the number.
    assert!(!fixture.path("public/datasets/bus-stops").exists());
    common::assert_nothing_mentions(&fixture.path("public"), &[&id, "13812345678"]);

    // Declared public with a reason, the duty telephones pass; the ID number still does not.
    fixture.record(
        "bus-stops.yaml",
        stops_record("    public_columns:\n      - { column: 值班电话, reason: 公交站对外值班电话 }\n      - { column: 联系电话, reason: 站点服务热线 }\n"),
    );
    let run = fixture.check();
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(
        report.contains("居民身份证号码") && !report.contains("手机号码"),
        "{report}"
    );
    // A public column needs its reason.
    fixture.record(
        "bus-stops.yaml",
        stops_record("    public_columns:\n      - { column: 联系电话, reason: \"\" }\n"),
    );
    let run = fixture.check();
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(report.contains("error[no-reason]"), "{report}");
}

fn application(fixture: &Fixture, name: &str, text: &str) {
    let dir = fixture.path("content/applications/2024");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

/// 第二十条: applications are published as aggregates only, per department and per public
/// dataset, with the deadlines counted in working days.
#[test]
fn application_statistics_publish_aggregates_and_nothing_of_an_applicant() {
    let fixture = Fixture::new("basic");
    application(
        &fixture,
        "a001.yaml",
        "dataset: road-freight\napplicant: 法人\npurpose: 物流路径优化研究\nfields: [企业名称]\nurgency: 普通\nsubmitted: 2024-12-02 09:30\nnormative_review: { done: 2024-12-03 16:00, result: 通过 }\nowner_review: { done: 2024-12-12 10:00, result: 通过 }\napproval: { done: 2024-12-13 11:00, result: 通过 }\nagreement_signed: 2024-12-16 10:00\ndelivered: { at: 2024-12-17 15:00, by: 下载 }\nrating: { 规范性: 5, 完整性: 4, 准确性: 4, 一致性: 5, 时效性: 3, 可用性: 4 }\n",
    );
    // 特急: 12 working hours from Friday evening end on Monday at 08:00; done at 10:00, late,
    // and refused without a reason.
    application(
        &fixture,
        "a002.yaml",
        "dataset: road-freight\napplicant: 自然人\npurpose: 毕业论文写作\nurgency: 特急\nsubmitted: 2024-12-27 20:00\nnormative_review: { done: 2024-12-30 10:00, result: 不通过 }\n",
    );
    // An application for a dataset suspended since is counted for its department, never named.
    application(
        &fixture,
        "a003.yaml",
        "dataset: suspended-complaints\napplicant: 其他组织\npurpose: 核对名册\nurgency: 加急\nsubmitted: 2024-12-20 09:00\nnormative_review: { done: 2024-12-20 15:00, result: 不通过, reason: 用途与开放条件不符 }\n",
    );
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[refused-without-reason]")
            || run.stderr.contains("warning[refused-without-reason]")
    );

    let stats: serde_json::Value =
        serde_json::from_str(&fixture.read("public/applications/statistics.json")).unwrap();
    assert_eq!(stats["application_count"], 3);
    let department = &stats["by_department"][0];
    assert_eq!(department["group_id"], "nn-transport");
    assert_eq!(department["application_count"], 3);
    assert_eq!(
        (
            department["approved_count"].as_u64(),
            department["decided_count"].as_u64()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(department["approval_rate"], 33.3);
    assert_eq!(department["overdue_count"], 2);
    assert_eq!(department["refused_without_reason"], 1);
    let owner = &department["stage_figures"][1];
    assert_eq!(owner["stage_name"], "提供部门审核");
    // 12-04 to 12-12 is 7 working days, past the 5 allowed (12-10).
    assert_eq!(
        (owner["median_days"].as_i64(), owner["on_time"].as_u64()),
        (Some(7), Some(0))
    );
    assert_eq!(department["rating_means"][4]["rating_dimension"], "时效性");
    assert_eq!(department["rating_means"][4]["mean_score"], 3.0);
    let datasets: Vec<&str> = stats["by_dataset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["group_id"].as_str().unwrap())
        .collect();
    assert_eq!(datasets, ["road-freight"]);

    let page = fixture.read("public/applications/index.html");
    assert!(page.contains("33.3%（1/3）") && page.contains("计算方法"));
    common::assert_nothing_mentions(
        &fixture.path("public"),
        &[
            "物流路径优化研究",
            "毕业论文写作",
            "核对名册",
            "suspended-complaints",
            "投诉处理暂停记录",
        ],
    );
    assert!(
        fixture
            .read("public/datasets/road-freight/index.html")
            .contains("applications/#road-freight")
    );
}

/// `check` reminds of steps past their deadline, by today's calendar.
#[test]
fn check_warns_about_an_overdue_application_step() {
    let fixture = Fixture::new("basic");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let submitted = chrono::DateTime::from_timestamp(now, 0)
        .unwrap()
        .date_naive()
        - chrono::Days::new(40);
    application(
        &fixture,
        "late.yaml",
        &format!(
            "dataset: road-freight\napplicant: 法人\npurpose: 研究\nurgency: 普通\nsubmitted: {submitted} 09:00\n"
        ),
    );
    let run = fixture.check();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let report = format!("{}{}", run.stdout, run.stderr);
    assert!(
        report.contains("warning[application-overdue]: 规范性审核 was due by"),
        "{report}"
    );
    assert!(
        report.contains("content/applications/2024/late.yaml"),
        "{report}"
    );
}

/// Writes a department of 柳州市 (`lz-water`) with one complete, current, high-value dataset.
fn complete_department(fixture: &Fixture) {
    let dir = fixture.path("content/departments/lz-water");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("department.yaml"),
        "name: 柳州市水利局\ncode: lz-water\nregion: \"4502\"\ncontacts:\n  - { name: 信息科, phone: \"0772-1111111\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("river-levels.yaml"),
        "title: 河道水位\nsummary: 柳州市主要河道的实时水位。\ndomain: 交通运输\nkeywords: [水位, 河道]\nopen_type: 无条件开放\nupdate_frequency: 每年\nfields:\n  - { name: 站点, type: 字符串 }\n  - { name: 水位, type: 小数, unit: 米 }\nresources:\n  - { title: 接口, format: API, url: \"https://example.test/levels\" }\nlicense: CC BY 4.0\ncontact: { name: 信息科, phone: \"0772-1111111\" }\nhigh_value: true\nissued: 2024-01-01\nmodified: 2024-12-01\nreviews:\n  security: { date: 2024-01-01 }\n",
    )
    .unwrap();
}

#[test]
fn scorecards_rank_departments_and_regions_by_the_published_formula() {
    let fixture = Fixture::new("basic");
    complete_department(&fixture);
    // A district department of 南宁市 whose one dataset has a frequency but no date: it
    // cannot show it is current, so it is not timely.
    let dir = fixture.path("content/departments/qx-civil");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("department.yaml"),
        "name: 青秀区民政局\ncode: qx-civil\nregion: \"450103\"\ncontacts:\n  - { name: 办公室, phone: \"0771-2222222\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("care-homes.yaml"),
        "title: 养老机构名录\nsummary: 青秀区养老机构的名称和地址。\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每年\nfields:\n  - { name: 机构名称, type: 字符串 }\nreviews:\n  security: { date: 2024-01-01 }\n",
    )
    .unwrap();
    application(
        &fixture,
        "a001.yaml",
        "dataset: road-freight\napplicant: 法人\npurpose: 物流路径优化研究\nurgency: 普通\nsubmitted: 2024-12-02 09:30\nnormative_review: { done: 2024-12-03 16:00, result: 通过 }\nowner_review: { done: 2024-12-12 10:00, result: 通过 }\napproval: { done: 2024-12-13 11:00, result: 通过 }\nagreement_signed: 2024-12-16 10:00\ndelivered: { at: 2024-12-17 15:00, by: 下载 }\nrating: { 规范性: 5, 完整性: 4, 准确性: 4, 一致性: 5, 时效性: 3, 可用性: 4 }\n",
    );
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let scores: serde_json::Value =
        serde_json::from_str(&fixture.read("public/evaluation/scorecards.json")).unwrap();
    assert_eq!(scores["as_of"], "2025-01-01T23:59:59+08:00");
    let cards = scores["department_scores"].as_array().unwrap();
    let codes: Vec<&str> = cards
        .iter()
        .map(|c| c["department_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes[0], "lz-water");
    let card = |code: &str| cards.iter().find(|c| c["department_code"] == code).unwrap();
    let qx = card("qx-civil");
    assert_eq!(
        (
            qx["regular_count"].as_u64(),
            qx["stale_count"].as_u64(),
            qx["undated_count"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(qx["timely_share"], 0.0);

    // Everything filled, current and high-value: 100 on the three components it has.
    let lz = &cards[0];
    assert_eq!(lz["metadata_completeness"], 100.0);
    assert_eq!(
        (lz["regular_count"].as_u64(), lz["stale_count"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(lz["timely_share"], 100.0);
    assert_eq!(lz["high_value_share"], 100.0);
    assert!(lz["on_time_share"].is_null() && lz["rating_score"].is_null());
    assert_eq!(
        (lz["total_score"].as_f64(), lz["score_rank"].as_u64()),
        (Some(100.0), Some(1))
    );

    // Only the three public datasets count (not the 不予开放, suspended or unreviewed ones);
    // on 2025-01-01 all three are older than their update frequency allows.
    let nn = card("nn-transport");
    assert_eq!(
        [
            &nn["dataset_count"],
            &nn["unconditional_count"],
            &nn["conditional_count"]
        ],
        [3, 2, 1]
    );
    assert_eq!(
        (nn["regular_count"].as_u64(), nn["stale_count"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(nn["timely_share"], 0.0);
    assert_eq!(nn["high_value_share"], 0.0);
    // Normative review and approval in time, owner review 7 working days of 5.
    assert_eq!(
        (nn["on_time_steps"].as_u64(), nn["timed_steps"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(nn["on_time_share"], 66.7);
    // 25 points over six dimensions: 4.17 of 5, and 25/36 = 83.3 of 100.
    assert_eq!(
        (nn["rating_mean"].as_f64(), nn["rating_score"].as_f64()),
        (Some(4.17), Some(83.3))
    );

    // Anyone can recompute each score from the published figures and weights.
    let weights: Vec<(&str, f64)> = scores["score_weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["score_component"].as_str().unwrap(),
                w["component_weight"].as_f64().unwrap(),
            )
        })
        .collect();
    for card in cards {
        let (sum, total) = weights
            .iter()
            .filter_map(|(name, weight)| card[*name].as_f64().map(|v| (v * weight, weight)))
            .fold((0.0, 0.0), |(s, t), (v, w)| (s + v, t + w));
        let expected = (sum / total * 10.0).round() / 10.0;
        assert_eq!(card["total_score"].as_f64(), Some(expected), "{card}");
    }

    let regions: Vec<(&str, u64)> = scores["region_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region_name"].as_str().unwrap(),
                r["score_rank"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(regions, [("柳州市", 1), ("南宁市", 2)]);
    // 南宁市 holds the city's department (3 datasets) and the district's (1), weighted by
    // their datasets.
    let nanning = &scores["region_scores"][1];
    assert_eq!(nanning["department_count"], 2);
    assert_eq!(nanning["dataset_count"], 4);
    let weighted =
        (nn["total_score"].as_f64().unwrap() * 3.0 + qx["total_score"].as_f64().unwrap()) / 4.0;
    assert_eq!(
        nanning["total_score"].as_f64(),
        Some((weighted * 10.0).round() / 10.0)
    );

    let page = fixture.read("public/evaluation/index.html");
    assert!(page.contains("id=\"dept-nn-transport\"") && page.contains("计算方法"));
    assert!(page.contains("66.7%（2/3）"));
    let department = fixture.read("public/departments/nn-transport/index.html");
    assert!(department.contains("<strong>3</strong> 个数据集可能未及时更新"));
    assert!(department.contains("evaluation/#dept-nn-transport"));
    // Listings mark stale datasets as the dataset pages do.
    assert!(department.contains("badge-stale"));
    let listing = fixture.read("public/departments/lz-water/index.html");
    assert!(!listing.contains("badge-stale"));
    common::assert_nothing_mentions(
        &fixture.path("public/evaluation"),
        &[
            "secret-roster",
            "suspended-complaints",
            "unreviewed-parking",
        ],
    );
}

fn showcase_app(fixture: &Fixture, name: &str, text: &str) {
    let dir = fixture.path("content/apps");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn the_showcase_lists_apps_and_dataset_pages_list_theirs_naming_only_public_data() {
    let fixture = Fixture::new("basic");
    showcase_app(
        &fixture,
        "bus-now.yaml",
        "title: 公交到站提醒\ndeveloper: 南宁某科技有限公司\nsummary: 按**公交站点**数据提示到站时间。<script>alert(1)</script>\nurl: https://example.test/bus-now\npublished: 2024-10-01\ndatasets: [bus-stops, secret-roster]\n",
    );
    showcase_app(
        &fixture,
        "leaky.yaml",
        "title: 名册查询\ndeveloper: 某公司\nsummary: 查询执法人员涉密名册。\npublished: 2024-10-02\ndatasets: [bus-stops]\n",
    );
    // A link to a withheld dataset's page, without the trailing slash, in the address.
    showcase_app(
        &fixture,
        "linking.yaml",
        "title: 名单工具\ndeveloper: 某公司\nsummary: 一个工具。\nurl: https://data.example.gov.cn/datasets/secret-roster\npublished: 2024-10-02\ndatasets: [bus-stops]\n",
    );
    showcase_app(
        &fixture,
        "typo.yaml",
        "title: 货运地图\ndeveloper: 某物流公司\nsummary: 货运企业地图。\nurl: javascript:alert(1)\npublished: 2024-10-03\ndatasets: [road-freigth]\n",
    );
    let run = fixture.build();
    let report = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.status, 1, "{report}");
    assert!(report.contains("warning[app-uses-unpublished]"), "{report}");
    assert!(report.contains("error[app-names-withheld]"), "{report}");
    assert!(
        report.contains("error[unknown-dataset]")
            && report.contains("did you mean `road-freight`?"),
        "{report}"
    );
    assert!(
        report.contains("error[bad-url]") && report.contains("content/apps/typo.yaml:4:6"),
        "{report}"
    );

    let page = fixture.read("public/apps/index.html");
    assert!(page.contains("id=\"app-bus-now\"") && page.contains("公交到站提醒"));
    assert!(
        page.contains("<strong>公交站点</strong>"),
        "Markdown is rendered"
    );
    assert!(
        !page.contains("<script>alert"),
        "Markdown cannot inject script"
    );
    assert!(page.contains("href=\"../datasets/bus-stops/\""));
    assert!(!page.contains("货运地图") && !page.contains("名册查询") && !page.contains("名单工具"));
    assert!(report.contains("content/apps/linking.yaml"), "{report}");
    let dataset = fixture.read("public/datasets/bus-stops/index.html");
    assert!(dataset.contains("应用案例") && dataset.contains("apps/#app-bus-now"));
    assert!(
        !fixture
            .read("public/datasets/taxi-fares/index.html")
            .contains("app-bus-now")
    );
    common::assert_nothing_mentions(
        &fixture.path("public"),
        &["secret-roster", "执法人员涉密名册"],
    );

    // Removing the app from the showcase takes it off the dataset's page in the next build.
    std::fs::remove_file(fixture.path("content/apps/bus-now.yaml")).unwrap();
    fixture.build();
    assert!(
        !fixture
            .read("public/datasets/bus-stops/index.html")
            .contains("app-bus-now")
    );
}

fn demand(fixture: &Fixture, name: &str, text: &str) {
    let dir = fixture.path("content/demands");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn demands_get_a_page_each_and_a_filterable_list_without_naming_unpublished_data() {
    let fixture = Fixture::new("basic");
    demand(
        &fixture,
        "d1.yaml",
        "title: 公交站点位置\nsummary: 希望开放站点**经纬度**。<script>alert(1)</script>\ndepartment: nn-transport\nreceived: 2024-12-02\nstatus: 已开放\nanswered: 2024-12-06\nanswer: 已开放。\ndataset: bus-stops\n",
    );
    // Pending since Monday 2024-12-23: 2024-12-24 … 2025-01-01 (New Year's Day off) is 6
    // working days.
    demand(
        &fixture,
        "d2.yaml",
        "title: 出租车实时位置\nsummary: 用于打车软件。\ndepartment: nn-transport\nreceived: 2024-12-23\nstatus: 办理中\n",
    );
    // Planned, linking a dataset that is not public: the link is left out, the demand stays.
    demand(
        &fixture,
        "d3.yaml",
        "title: 停车场泊位\nsummary: 停车场空余泊位。\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 列入计划\nanswered: 2024-11-08\nanswer: 列入明年计划。\ndataset: unreviewed-parking\n",
    );
    let wrong = [
        (
            "w1.yaml",
            "title: 甲\nsummary: 甲\ndepartment: nn-transprt\nreceived: 2024-11-01\nstatus: 办理中\n",
            "error[unknown-department]",
            "did you mean `nn-transport`?",
        ),
        (
            "w2.yaml",
            "title: 乙\nsummary: 乙\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 办理中\nanswered: 2024-11-02\n",
            "error[answered-pending]",
            "w2.yaml:6:11",
        ),
        (
            "w3.yaml",
            "title: 丙\nsummary: 丙\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 已开放\nanswered: 2024-11-02\nanswer: 好\n",
            "error[no-dataset]",
            "w3.yaml:5:9",
        ),
        (
            "w4.yaml",
            "title: 丁\nsummary: 丁\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 已答复\n",
            "error[not-in-list]",
            "w4.yaml:5:9",
        ),
        (
            "w5.yaml",
            "title: 戊\nsummary: 戊\ndepartment: nn-transport\nreceived: 2024-11-05\nstatus: 暂不开放\nanswered: 2024-11-01\nanswer: 否\n",
            "error[date-order]",
            "w5.yaml:6:11",
        ),
        (
            "w6.yaml",
            "title: 执法人员涉密名册\nsummary: 想要名册。\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 办理中\n",
            "error[demand-names-withheld]",
            "demands/w6.yaml",
        ),
        (
            "w7.yaml",
            "title: 己\nsummary: 己\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 暂不开放\n",
            "error[unanswered]",
            "w7.yaml:5:9",
        ),
        (
            "w8.yaml",
            "title: 庚\nsummary: 庚\ndepartment: nn-transport\nreceived: 2024-11-01\nstatus: 办理中\nrequester: 张三\n",
            "error[unknown-key]",
            "w8.yaml:6:1",
        ),
    ];
    for (name, text, _, _) in wrong {
        demand(&fixture, name, text);
    }
    let run = fixture.build();
    let report = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.status, 1, "{report}");
    for (name, _, code, place) in wrong {
        assert!(
            report.contains(code) && report.contains(place),
            "{name}: {code} at {place}\n{report}"
        );
        let id = name.trim_end_matches(".yaml");
        assert!(
            !fixture.path(&format!("public/demands/{id}")).exists(),
            "{name} published"
        );
    }
    assert!(
        report.contains("warning[demand-links-unpublished]"),
        "{report}"
    );

    let list = fixture.read("public/demands/index.html");
    let rows: Vec<&str> = list.matches("data-status=\"").collect();
    assert_eq!(rows.len(), 3, "{list}");
    assert!(list.contains("data-status=\"status-pending\" data-department=\"dept-nn-transport\""));
    assert!(list.contains("已等待 6 个工作日"), "{list}");
    assert!(list.contains("<option value=\"dept-nn-transport\">南宁市交通运输局</option>"));
    let page = fixture.read("public/demands/d1/index.html");
    assert!(page.contains("<strong>经纬度</strong>") && !page.contains("<script>alert"));
    assert!(page.contains("用时 4 个工作日") && page.contains("datasets/bus-stops/"));
    let planned = fixture.read("public/demands/d3/index.html");
    assert!(planned.contains("列入明年计划") && !planned.contains("对应数据集"));
    common::assert_nothing_mentions(
        &fixture.path("public"),
        &["unreviewed-parking", "执法人员涉密名册", "张三"],
    );
}

fn plan(fixture: &Fixture, rel: &str, text: &str) {
    let path = fixture.path("content/plans").join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn plans_show_planned_against_delivered_per_year_and_department() {
    let fixture = Fixture::new("basic");
    plan(
        &fixture,
        "2024/nn-transport.yaml",
        "datasets:\n  - { id: bus-stops, title: 公交站点, due: 2024-06-30 }\n  - { id: metro-exits, title: 地铁出入口, due: 2024-09-30 }\n  - { id: secret-roster, title: 内部名册 }\n",
    );
    // The same department plans again the next year: ids are per year and department.
    plan(
        &fixture,
        "2025/nn-transport.yaml",
        "datasets:\n  - { id: ferry-times, title: 渡口班次, due: 2025-06-30 }\n",
    );
    let wrong = [
        (
            "nn-transport.yaml",
            "datasets: []\n",
            "error[plan-place]",
            "plans/nn-transport.yaml",
        ),
        (
            "2024/nn-transprt.yaml",
            "datasets: []\n",
            "error[unknown-department]",
            "did you mean `nn-transport`?",
        ),
        (
            "2023/nn-transport.yaml",
            "datasets:\n  - { id: a, title: 甲, due: 2024-01-05 }\n",
            "error[due-outside-year]",
            "2023/nn-transport.yaml:2:29",
        ),
        (
            "2022/nn-transport.yaml",
            "datasets:\n  - { id: a, title: 甲 }\n  - { id: a, title: 乙 }\n",
            "error[duplicate-id]",
            "2022/nn-transport.yaml:3:11",
        ),
    ];
    for (rel, text, _, _) in wrong {
        plan(&fixture, rel, text);
    }
    let run = fixture.build();
    let report = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.status, 1, "{report}");
    for (rel, _, code, place) in wrong {
        assert!(
            report.contains(code) && report.contains(place),
            "{rel}: {code} at {place}\n{report}"
        );
    }
    assert!(report.contains("warning[plan-names-withheld]"), "{report}");

    let page = fixture.read("public/plans/index.html");
    // Newest year first; 2022 and 2023 had errors and are not shown.
    let (y2025, y2024) = (
        page.find("id=\"year-2025\"").unwrap(),
        page.find("id=\"year-2024\"").unwrap(),
    );
    assert!(y2025 < y2024 && !page.contains("year-2023") && !page.contains("year-2022"));
    assert!(page.contains("2024 年：计划 2 个，已开放 1 个"), "{page}");
    assert!(page.contains("已开放 1 / 2（50%）"));
    assert!(page.contains("href=\"../datasets/bus-stops/\""));
    // 地铁出入口 was due 2024-09-30; on 2025-01-01 it is overdue. 渡口班次 is not due yet.
    let row = |title: &str| {
        let at = page.find(title).unwrap();
        page[at..at + page[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row("地铁出入口").contains("逾期未开放"));
    assert!(row("渡口班次").contains("未开放") && !row("渡口班次").contains("逾期"));
    common::assert_nothing_mentions(&fixture.path("public"), &["secret-roster", "内部名册"]);
}

/// Workflow pages print their own fixed words (statuses, row classes) in attributes; a
/// withheld dataset whose id is such a word must not make the audit refuse them.
#[test]
fn workflow_pages_survive_withheld_ids_that_are_their_own_words() {
    let fixture = Fixture::new("basic");
    for id in [
        "pending",
        "opened",
        "planned",
        "declined",
        "overdue",
        "delivered",
    ] {
        fixture.record(
            &format!("{id}.yaml"),
            "title: 内部资料\nsummary: 不予开放。\ndomain: 交通运输\nopen_type: 不予开放\nupdate_frequency: 每年\nissued: 2024-01-01\n",
        );
    }
    for (name, status) in [
        ("a", "办理中"),
        ("b", "列入计划"),
        ("c", "暂不开放"),
        ("d", "已开放"),
    ] {
        let answer = if status == "办理中" {
            String::new()
        } else {
            "answered: 2024-12-10\nanswer: 已答复。\n".to_string()
        };
        let dataset = if status == "已开放" {
            "dataset: bus-stops\n"
        } else {
            ""
        };
        demand(
            &fixture,
            &format!("{name}.yaml"),
            &format!(
                "title: 需求{name}\nsummary: 说明\ndepartment: nn-transport\nreceived: 2024-12-02\nstatus: {status}\n{answer}{dataset}"
            ),
        );
    }
    plan(
        &fixture,
        "2024/nn-transport.yaml",
        "datasets:\n  - { id: bus-stops, title: 公交站点 }\n  - { id: metro-exits, title: 地铁出入口, due: 2024-06-30 }\n",
    );
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(fixture.read("public/demands/index.html").contains("需求a"));
    assert!(
        fixture
            .read("public/plans/index.html")
            .contains("逾期未开放")
    );
}
