//! Snapshots of whole diagnostics as a clerk reads them, so any change of wording, location or
//! layout shows up in review. Update with `cargo insta review` (or INSTA_UPDATE=always).

mod common;

use common::Fixture;

fn report_for(name: &str, text: &str) -> String {
    let fixture = Fixture::new("basic");
    fixture.record(name, text);
    let run = fixture.check();
    // Keep only the diagnostics about this record; the fixture's own warnings are not the point.
    run.stdout
        .split("\n\n")
        .filter(|block| block.contains(name))
        .collect::<Vec<_>>()
        .join("\n\n")
}

const VALID: &str = "title: 好记录
summary: 摘要
domain: 交通运输
open_type: 无条件开放
update_frequency: 每月
fields:
  - { name: 站点名称 }
reviews:
  security: { date: 2024-01-01 }
";

#[test]
fn controlled_list_typo() {
    insta::assert_snapshot!(report_for(
        "open-type.yaml",
        &VALID.replace("无条件开放", "有条件")
    ));
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(report_for(
        "typo.yaml",
        &VALID.replace("summary:", "sumary:")
    ));
}

#[test]
fn yaml_syntax() {
    insta::assert_snapshot!(report_for(
        "broken.yaml",
        "title: 坏记录\nsummary: \"未闭合\ndomain: 交通运输\n"
    ));
}

#[test]
fn several_errors_in_one_record() {
    let text = format!(
        "{}region: 450199\nissued: 2024-02-30\nresources:\n  - {{ title: 表, format: CSV, file: ../secret.csv }}\n",
        VALID.replace("每月", "月度")
    );
    insta::assert_snapshot!(report_for("many.yaml", &text));
}

#[test]
fn missing_required_key() {
    insta::assert_snapshot!(report_for(
        "missing.yaml",
        "title: 缺字段\nsummary: 摘要\ndomain: 交通运输\nupdate_frequency: 每月\n"
    ));
}
