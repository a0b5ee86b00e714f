//! `/catalog.csv`: the whole public catalog as one spreadsheet with Chinese headers, the form
//! departments use for 目录编制. Its headers are ones `kaifang import` reads, so the file goes
//! back into records; lists (关键字, 数据格式, 数据项) are joined with `、`.
//!
//! UTF-8 with a byte-order mark, so spreadsheet programs on Chinese systems open it as
//! UTF-8, and CRLF line ends. A text cell that a spreadsheet would run as a formula (one
//! starting with `=`, `+`, `-`, `@`, a tab or a carriage return), or that starts with `'`, is
//! written with a leading `'`, which `kaifang import` drops again.

use super::dcat::Addresses;
use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Dataset, Vocabulary};
use crate::policy::PublicCatalog;

/// Where the file is published.
pub const PATH: &str = "catalog.csv";

/// The columns, in order.
pub const HEADERS: [&str; 19] = [
    "标识",
    "数据名称",
    "数据摘要",
    "数据提供方",
    "部门代码",
    "数据领域",
    "关键字",
    "层级",
    "行政区划代码",
    "行政区划",
    "开放类型",
    "开放条件",
    "更新频率",
    "数据项",
    "数据格式",
    "许可协议",
    "发布日期",
    "更新日期",
    "来源链接",
];

/// A text cell as a spreadsheet shows it and never runs it.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    // A leading `'` is doubled, so that import, which drops one, gives the text back.
    if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The row of one dataset.
fn row(
    d: &Dataset,
    catalog: &PublicCatalog,
    config: &SiteConfig,
    divisions: &Divisions,
    addresses: &Addresses,
) -> [String; HEADERS.len()] {
    let department = catalog.departments.get(&d.department);
    let date = |date: Option<chrono::NaiveDate>| date.map(|d| d.to_string()).unwrap_or_default();
    let fields: Vec<&str> = d.fields.iter().map(|f| f.name.as_str()).collect();
    [
        d.id.0.clone(),
        cell(&d.title).into_owned(),
        cell(d.summary_text.trim()).into_owned(),
        cell(department.map_or("", |x| x.name.as_str())).into_owned(),
        d.department.0.clone(),
        config
            .domain_by_slug(&d.domain)
            .map_or_else(|| d.domain.clone(), |x| x.name.clone()),
        cell(&d.keywords.join("、")).into_owned(),
        d.level.label().to_string(),
        d.region.0.clone(),
        divisions.full_name(&d.region.0),
        d.open_type.label().to_string(),
        cell(d.open_conditions.as_deref().unwrap_or_default()).into_owned(),
        d.update_frequency.label().to_string(),
        cell(&fields.join("、")).into_owned(),
        d.formats().join("、"),
        cell(d.license.as_deref().unwrap_or_default()).into_owned(),
        date(d.issued),
        date(d.last_change()),
        addresses.url(&format!("datasets/{}/", d.id)),
    ]
}

/// `catalog.csv`: a header row, then every public dataset in catalog (id) order, written to
/// `out` row by row (some 55 MB at 100,000 datasets, never held in memory).
pub fn write_catalog_csv(
    out: &mut dyn std::io::Write,
    catalog: &PublicCatalog,
    config: &SiteConfig,
    divisions: &Divisions,
    addresses: &Addresses,
) -> std::io::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(HEADERS)?;
    for d in &catalog.datasets {
        writer.write_record(row(d, catalog, config, divisions, addresses))?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_quoted() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-1+1"), "'-1+1");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "'\rx");
        assert_eq!(cell("'-1"), "''-1", "a real leading quote survives import");
        assert_eq!(cell("公交站点"), "公交站点");
    }
}
