//! Import: turn catalog exports into record files.
//!
//! Two shapes are read: the JSON lines of the Guangxi portal crawl (`guangxi.jsonl`) and CSV
//! with Chinese column headers, as departments keep their catalogs in spreadsheets. Records
//! from a live portal were opened there already, so the import states that in `reviews`.
//! Output is written with double-quoted YAML scalars, so no value can change type or inject keys.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::{Level, Vocabulary};

/// One catalog row, whatever shape it came in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImportRow {
    /// Catalog id in the source.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description / abstract.
    pub description: String,
    /// Providing department's name.
    pub provider: String,
    /// Domain name.
    pub domain: Option<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Format names.
    pub formats: Vec<String>,
    /// Update frequency term.
    pub update_frequency: Option<String>,
    /// Open type term.
    pub open_type: Option<String>,
    /// Conditions, when the source has them.
    pub open_conditions: Option<String>,
    /// Issued date.
    pub issued: Option<String>,
    /// Modified date.
    pub modified: Option<String>,
    /// Page on the source portal.
    pub source_url: Option<String>,
    /// Division code of the provider.
    pub region_code: Option<String>,
    /// Field names.
    pub fields: Vec<ImportField>,
}

/// A field name from an export.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImportField {
    /// Field name.
    pub name: String,
}

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct ImportReport {
    /// Record files written.
    pub records: usize,
    /// Department folders created.
    pub departments_created: usize,
    /// Rows skipped, with line number and reason.
    pub skipped: Vec<(usize, String)>,
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Name of the source, for the review note (e.g. `data.gxzf.gov.cn`).
    pub source_name: String,
}

/// Why an import failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the export or writing records failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The CSV lacks a required column.
    #[error("the CSV has no `{0}` column (accepted headers are listed in docs/records.md)")]
    MissingColumn(&'static str),
    /// The CSV could not be read.
    #[error("CSV: {0}")]
    Csv(String),
}

/// Rows read from an export, each with its line number, and the lines skipped with a reason.
pub type Rows = (Vec<(usize, ImportRow)>, Vec<(usize, String)>);

/// Reads JSON lines; a bad line is skipped and reported, not fatal.
pub fn read_jsonl(path: &Path) -> Result<Rows, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| ImportError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ImportRow>(&line) {
            Ok(row) => rows.push((n + 1, row)),
            Err(e) => skipped.push((n + 1, format!("not a catalog row: {e}"))),
        }
    }
    Ok((rows, skipped))
}

/// Column headers accepted for each key, as departments' spreadsheets name them.
const CSV_HEADERS: &[(&str, &[&str])] = &[
    ("id", &["标识", "目录标识", "编号", "id"]),
    ("title", &["数据名称", "目录名称", "标题", "名称", "title"]),
    (
        "description",
        &["数据摘要", "摘要", "描述", "简介", "description"],
    ),
    (
        "provider",
        &[
            "数据提供方",
            "提供部门",
            "来源部门",
            "数据提供部门",
            "provider",
        ],
    ),
    ("domain", &["数据领域", "重点领域", "领域", "domain"]),
    ("keywords", &["关键字", "关键词", "标签", "keywords"]),
    ("formats", &["数据格式", "格式", "formats"]),
    ("update_frequency", &["更新频率", "update_frequency"]),
    ("open_type", &["开放类型", "open_type"]),
    ("open_conditions", &["开放条件", "open_conditions"]),
    ("issued", &["发布日期", "发布时间", "issued"]),
    ("modified", &["更新日期", "更新时间", "modified"]),
    ("fields", &["数据项", "信息项", "fields"]),
    ("region_code", &["行政区划代码", "区划代码", "region"]),
    ("source_url", &["来源链接", "链接", "source_url"]),
];

/// Text of a CSV file: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order
/// mark, or GB18030 (which includes GBK), the encoding spreadsheet programs on Chinese systems
/// save CSV in.
pub fn decode_spreadsheet_text(bytes: &[u8]) -> Result<String, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ImportError::Csv(
            "the file is neither UTF-8, UTF-16 nor GB18030 text; save it as CSV (UTF-8)".into(),
        ));
    }
    Ok(text.into_owned())
}

/// A cell without the `'` a spreadsheet export puts before text it would otherwise run as a
/// formula (`'=…`, `'+…`, `'-…`, `'@…`) or that starts with a `'` itself (`''…`);
/// `catalog.csv` writes them so.
fn unquote_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) => rest,
        _ => cell,
    }
}

/// Reads a CSV catalog with Chinese headers. Lists (关键字, 数据格式, 数据项) split on 、，,;；/ and spaces.
pub fn read_csv(path: &Path) -> Result<Rows, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let text = decode_spreadsheet_text(&bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let column = |key: &str| -> Option<usize> {
        let names = CSV_HEADERS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| *n)?;
        headers.iter().position(|h| names.contains(&h.as_str()))
    };
    let columns: BTreeMap<&str, usize> = CSV_HEADERS
        .iter()
        .filter_map(|(k, _)| column(k).map(|c| (*k, c)))
        .collect();
    for required in ["title", "provider"] {
        if !columns.contains_key(required) {
            return Err(ImportError::MissingColumn(required));
        }
    }
    let split = |text: &str| -> Vec<String> {
        text.split(['、', '，', ',', ';', '；', '/', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                skipped.push((line, e.to_string()));
                continue;
            }
        };
        let get = |key: &str| -> String {
            let cell = columns.get(key).and_then(|&c| record.get(c)).unwrap_or("");
            unquote_formula(cell).trim().to_string()
        };
        let optional = |key: &str| Some(get(key)).filter(|s| !s.is_empty());
        rows.push((
            line,
            ImportRow {
                id: get("id"),
                title: get("title"),
                description: get("description"),
                provider: get("provider"),
                domain: optional("domain"),
                keywords: split(&get("keywords")),
                formats: split(&get("formats")),
                update_frequency: optional("update_frequency"),
                open_type: optional("open_type"),
                open_conditions: optional("open_conditions"),
                issued: optional("issued"),
                modified: optional("modified"),
                source_url: optional("source_url"),
                region_code: optional("region_code"),
                fields: split(&get("fields"))
                    .into_iter()
                    .map(|name| ImportField { name })
                    .collect(),
            },
        ));
    }
    Ok((rows, skipped))
}

/// Picks `n` rows spread evenly across cities (by the 4-digit prefix of the division code),
/// deterministically.
pub fn sample(mut rows: Vec<(usize, ImportRow)>, n: usize) -> Vec<(usize, ImportRow)> {
    if n == 0 || rows.len() <= n {
        return rows;
    }
    rows.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    let mut buckets: BTreeMap<String, Vec<(usize, ImportRow)>> = BTreeMap::new();
    for row in rows {
        let code = row.1.region_code.clone().unwrap_or_default();
        // Region-wide (2-digit) providers form their own bucket; cities by 4 digits; and the
        // county level gets a bucket per city so several levels are present.
        let key = match code.len() {
            0..=2 => "45".to_string(),
            4 => code,
            _ => format!("{}-county", code.get(..4).unwrap_or("45")),
        };
        buckets.entry(key).or_default().push(row);
    }
    let mut picked = Vec::new();
    let mut queues: Vec<std::collections::VecDeque<_>> =
        buckets.into_values().map(Into::into).collect();
    while picked.len() < n && queues.iter().any(|q| !q.is_empty()) {
        for queue in &mut queues {
            if picked.len() < n
                && let Some(row) = queue.pop_front()
            {
                picked.push(row);
            }
        }
    }
    picked.sort_by_key(|row| row.0);
    picked
}

/// A YAML double-quoted scalar: JSON string syntax is valid YAML and cannot break out.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn slug_of(id: &str) -> String {
    let slug: String = id
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.trim_matches('-').to_string()
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(3).map(|b| format!("{b:02x}")).collect()
}

/// The department code derived from a provider's name and division: `<division>-<hash>`.
pub fn department_code(provider: &str, region: &str) -> String {
    format!("d{region}-{}", short_hash(provider))
}

/// Writes record files (and missing department folders) for `rows` under `content`.
pub fn write_records(
    rows: &[(usize, ImportRow)],
    content: &Path,
    divisions: &crate::divisions::Divisions,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ImportError::Io { path, source }
    };
    let mut report = ImportReport::default();
    let mut seen_ids = BTreeSet::new();
    let departments = content.join("departments");
    for (line, row) in rows {
        let line = *line;
        if row.title.trim().is_empty() || row.provider.trim().is_empty() {
            report.skipped.push((line, "no title or provider".into()));
            continue;
        }
        let id = if row.id.trim().is_empty() {
            format!("r{}", short_hash(&format!("{}{}", row.provider, row.title)))
        } else {
            slug_of(&row.id)
        };
        if id.is_empty() || !seen_ids.insert(id.clone()) {
            report
                .skipped
                .push((line, format!("duplicate or empty id `{id}`")));
            continue;
        }
        let region = row
            .region_code
            .clone()
            .filter(|c| divisions.get(c).is_some())
            .unwrap_or_else(|| "45".to_string());
        let code = department_code(row.provider.trim(), &region);
        let dir = departments.join(&code);
        let dept_file = dir.join("department.yaml");
        if !dept_file.exists() {
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            let level = Level::from_code_length(region.len()).unwrap_or(Level::Region);
            let text = format!(
                "# Imported from {source}; add contacts and officials (第十二条, 第三十二条).\nname: {name}\ncode: {code}\nlevel: {level}\nregion: {region}\ncontacts: []\n",
                source = options.source_name,
                name = quoted(row.provider.trim()),
                code = quoted(&code),
                level = quoted(level.label()),
                region = quoted(&region),
            );
            std::fs::write(&dept_file, text).map_err(io(&dept_file))?;
            report.departments_created += 1;
        }
        let record = dir.join(format!("{id}.yaml"));
        std::fs::write(&record, record_yaml(&id, row, options)).map_err(io(&record))?;
        report.records += 1;
    }
    Ok(report)
}

fn record_yaml(id: &str, row: &ImportRow, options: &ImportOptions) -> String {
    use std::fmt::Write;
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Imported from {}; original page in source_url.",
        options.source_name
    );
    let _ = writeln!(y, "id: {}", quoted(id));
    let _ = writeln!(y, "title: {}", quoted(row.title.trim()));
    let summary = if row.description.trim().is_empty() {
        row.title.trim()
    } else {
        row.description.trim()
    };
    let _ = writeln!(y, "summary: {}", quoted(summary));
    let _ = writeln!(
        y,
        "domain: {}",
        quoted(row.domain.as_deref().unwrap_or("其他"))
    );
    let mut keywords: Vec<&str> = row
        .keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect();
    keywords.dedup();
    if !keywords.is_empty() {
        let list: Vec<String> = keywords.iter().map(|k| quoted(k)).collect();
        let _ = writeln!(y, "keywords: [{}]", list.join(", "));
    }
    let open_type = row.open_type.as_deref().unwrap_or("无条件开放");
    let _ = writeln!(y, "open_type: {}", quoted(open_type));
    if open_type == "有条件开放" {
        let conditions = row.open_conditions.as_deref().unwrap_or(
            "按平台有条件开放流程提交申请，经规范性审核、提供部门审核和审批并签署数据使用协议后获取；具体条件以原平台公布为准。",
        );
        let _ = writeln!(y, "open_conditions: {}", quoted(conditions));
    }
    let frequency = match row.update_frequency.as_deref() {
        Some("每天") => "每日",
        Some(f) => f,
        None => "不定期",
    };
    let _ = writeln!(y, "update_frequency: {}", quoted(frequency));
    let fields: Vec<&str> = row
        .fields
        .iter()
        .map(|f| f.name.trim())
        .filter(|f| !f.is_empty())
        .collect();
    if !fields.is_empty() {
        let _ = writeln!(y, "fields:");
        for f in fields {
            let _ = writeln!(y, "  - name: {}", quoted(f));
        }
    }
    let formats: BTreeSet<String> = row
        .formats
        .iter()
        .map(|f| match f.trim() {
            "其他" => "OTHER".to_string(),
            "链接" => "LINK".to_string(),
            other => other.to_ascii_uppercase(),
        })
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    if let Some(url) = &row.source_url
        && !formats.is_empty()
    {
        let _ = writeln!(y, "resources:");
        for format in &formats {
            let _ = writeln!(
                y,
                "  - title: {}",
                quoted(&format!("{format} 格式（在原平台获取）"))
            );
            let _ = writeln!(y, "    format: {}", quoted(format));
            let _ = writeln!(y, "    url: {}", quoted(url));
        }
    }
    for (key, value) in [("issued", &row.issued), ("modified", &row.modified)] {
        if let Some(v) = value {
            let _ = writeln!(y, "{key}: {}", quoted(v));
        }
    }
    if let Some(url) = &row.source_url {
        let _ = writeln!(y, "source_url: {}", quoted(url));
    }
    let opened_on = row
        .modified
        .as_deref()
        .or(row.issued.as_deref())
        .unwrap_or("2023-06-30");
    let _ = writeln!(y, "reviews:");
    let _ = writeln!(y, "  security:");
    let _ = writeln!(y, "    date: {}", quoted(opened_on));
    let _ = writeln!(
        y,
        "    note: {}",
        quoted(&format!(
            "已在 {} 公开发布，视为已通过安全审查",
            options.source_name
        ))
    );
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_cannot_break_out_of_a_scalar() {
        let text = "a\"\nb: c # d";
        let yaml = format!("title: {}\n", quoted(text));
        #[derive(Deserialize)]
        struct T {
            title: String,
        }
        let parsed: T = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(parsed.title, text);
    }

    #[test]
    fn cells_quoted_against_formulas_read_back_as_written() {
        assert_eq!(unquote_formula("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unquote_formula("'-1"), "-1");
        assert_eq!(
            unquote_formula("'quoted"),
            "'quoted",
            "a plain leading quote stays"
        );
        assert_eq!(unquote_formula("''-1"), "'-1", "a doubled quote is one");
        assert_eq!(unquote_formula("公交"), "公交");
    }

    #[test]
    fn csv_in_gbk_or_utf8_is_read() {
        let (gbk, _, _) =
            encoding_rs::GBK.encode("数据名称,数据提供方\n公交站点,南宁市交通运输局\n");
        assert_eq!(
            decode_spreadsheet_text(&gbk).unwrap(),
            "数据名称,数据提供方\n公交站点,南宁市交通运输局\n"
        );
        assert_eq!(
            decode_spreadsheet_text("\u{feff}标题".as_bytes()).unwrap(),
            "标题"
        );
        assert!(decode_spreadsheet_text(&[0x81, 0x20, 0xff]).is_err());
        // UTF-16 with a byte-order mark, as spreadsheets save "Unicode text".
        assert_eq!(
            decode_spreadsheet_text(&[0xff, 0xfe, 0x07, 0x68, 0x98, 0x98]).unwrap(),
            "标题"
        );
    }

    #[test]
    fn sampling_spreads_across_cities() {
        let rows: Vec<(usize, ImportRow)> = (0..100)
            .map(|i| {
                (
                    i,
                    ImportRow {
                        id: format!("{i:03}"),
                        region_code: Some(if i < 90 { "4501".into() } else { "4502".into() }),
                        ..ImportRow::default()
                    },
                )
            })
            .collect();
        let picked = sample(rows, 10);
        assert_eq!(picked.len(), 10);
        assert_eq!(
            picked
                .iter()
                .filter(|r| r.1.region_code.as_deref() == Some("4502"))
                .count(),
            5
        );
    }
}
