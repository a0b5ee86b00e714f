//! Load: walk the content folder, read each record file with limits, and parse its YAML into
//! raw structs that remember where each value stood. Raw structs live only here and in
//! `validate`; nothing downstream sees them.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use crate::config::Limits;
use crate::diagnostics::{Diagnostic, Location};

/// A scalar that may be written as a string or a number (division codes, phone numbers): its
/// text, and whether YAML read it as a number (whose text may differ from what was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String, pub bool);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string(), false))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string(), true))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string(), true))
            }
            // `0771…` reads as a float in YAML; keep its value so validate can show what YAML
            // made of it and ask for quotes.
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                let text = if v.fract() == 0.0 && v.abs() < 1e18 {
                    format!("{}", v as i64)
                } else {
                    v.to_string()
                };
                Ok(Scalar(text, true))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A located string value.
pub type Text = Spanned<String>;

/// A contact person as written in YAML.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "联系人 Contact")]
pub struct RawContact {
    /// 姓名或岗位 Name or role of the contact.
    pub name: String,
    /// 职责 What the contact answers for.
    pub role: Option<String>,
    /// 电话 Telephone (in quotes, so a leading zero stays).
    #[schemars(with = "Option<String>")]
    pub phone: Option<Spanned<Scalar>>,
    /// 电子邮箱 E-mail.
    #[schemars(with = "Option<String>")]
    pub email: Option<Text>,
}

/// One responsible official (第三十二条).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOfficial {
    /// 姓名 Name.
    pub name: String,
    /// 职务 Post title.
    pub title: Option<String>,
}

/// The three responsible officials of 第三十二条.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOfficials {
    /// 分管领导 Leader in charge of data opening.
    pub leader: Option<RawOfficial>,
    /// 数据开放责任人 Person responsible for data opening.
    pub data_officer: Option<RawOfficial>,
    /// 技术实施责任人 Person responsible for technical implementation.
    pub technical_officer: Option<RawOfficial>,
}

/// `department.yaml` as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "部门 Department")]
pub struct RawDepartment {
    /// 部门名称 Full name of the department.
    pub name: String,
    /// 部门代码 Short code; must equal the folder name.
    #[schemars(with = "String")]
    pub code: Text,
    /// 层级 Level: 自治区, 市, 县, 乡 or 村 (defaults from the division code).
    #[schemars(with = "Option<crate::model::Level>")]
    pub level: Option<Text>,
    /// 行政区划代码 Guangxi division code (2, 4, 6, 9 or 12 digits).
    #[schemars(with = "String")]
    pub region: Spanned<Scalar>,
    /// 简介 Description, Markdown.
    pub description: Option<String>,
    /// 联系人 Contact persons (第十二条).
    #[serde(default)]
    pub contacts: Vec<RawContact>,
    /// 责任人 Responsible officials (第三十二条).
    #[serde(default)]
    pub officials: RawOfficials,
}

/// A 数据项 (field) as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    /// 名称 Field name.
    #[schemars(with = "String")]
    pub name: Text,
    /// 类型 Data type (字符串, 整数, 小数, 日期, 时间, 布尔, 枚举 …).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// 说明 Description.
    pub description: Option<String>,
    /// 单位 Unit of measure.
    pub unit: Option<String>,
}

/// A resource as written: a `file` inside the folder or an http(s) `url`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    /// 资源名称 Title.
    #[schemars(with = "String")]
    pub title: Text,
    /// 格式 Format (CSV, XLSX, JSON, XML, PDF, API …).
    #[schemars(with = "String")]
    pub format: Text,
    /// 文件 Path relative to the record's folder; must stay inside it.
    #[schemars(with = "Option<String>")]
    pub file: Option<Text>,
    /// 链接 An http or https address.
    #[schemars(with = "Option<String>")]
    pub url: Option<Text>,
    /// 公开列 Columns of the file that hold personal-looking numbers public on purpose (a
    /// business telephone), each with the reason; the de-sensitisation check skips them.
    #[serde(default)]
    pub public_columns: Vec<RawPublicColumn>,
}

/// A column declared public on purpose, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPublicColumn {
    /// 列名 The column's header (or JSON key), exactly as in the file.
    #[schemars(with = "String")]
    pub column: Text,
    /// 理由 Why its values may be public, e.g. 企业对外办公电话.
    #[schemars(with = "String")]
    pub reason: Text,
}

/// One review as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReview {
    /// 日期 Date it concluded (YYYY-MM-DD).
    #[schemars(with = "String")]
    pub date: Text,
    /// 是否通过 Whether it passed (default true).
    #[serde(default = "yes")]
    pub passed: bool,
    /// 审查单位 Who reviewed.
    pub by: Option<String>,
    /// 备注 Note.
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// The reviews of 第十七条 and 第二十九条 as written.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReviews {
    /// 合法性审查 Legality review.
    pub legal: Option<RawReview>,
    /// 专家评审 Expert review.
    pub expert: Option<RawReview>,
    /// 隐私审查 Privacy review.
    pub privacy: Option<RawReview>,
    /// 公众听证 Public hearing.
    pub hearing: Option<RawReview>,
    /// 安全审查 Security review; without a passed one the dataset is not published.
    pub security: Option<RawReview>,
}

/// A dataset record as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "数据集 Dataset record")]
pub struct RawDataset {
    /// 标识 Id: lowercase ASCII slug, unique; defaults to the file name without `.yaml`.
    #[schemars(with = "Option<String>")]
    pub id: Option<Text>,
    /// 数据名称 Title.
    #[schemars(with = "String")]
    pub title: Text,
    /// 数据摘要 Summary, Markdown.
    #[schemars(with = "String")]
    pub summary: Text,
    /// 数据领域 Domain, from the site's controlled list.
    #[schemars(with = "String")]
    pub domain: Text,
    /// 关键字 Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// 层级 Level (defaults to the department's).
    #[schemars(with = "Option<crate::model::Level>")]
    pub level: Option<Text>,
    /// 行政区划代码 Division code (defaults to the department's).
    #[schemars(with = "Option<String>")]
    pub region: Option<Spanned<Scalar>>,
    /// 开放类型 Open type: 无条件开放, 有条件开放 or 不予开放.
    #[schemars(with = "crate::model::OpenType")]
    pub open_type: Text,
    /// 开放条件 Conditions of opening; required when 有条件开放.
    #[schemars(with = "Option<String>")]
    pub open_conditions: Option<Text>,
    /// 更新频率 Update frequency.
    #[schemars(with = "crate::model::UpdateFrequency")]
    pub update_frequency: Text,
    /// 数据项 Field table.
    #[serde(default)]
    pub fields: Vec<RawField>,
    /// 数据资源 Resources.
    #[serde(default)]
    pub resources: Vec<RawResource>,
    /// 许可协议 Licence.
    pub license: Option<String>,
    /// 发布日期 First published (YYYY-MM-DD).
    #[schemars(with = "Option<String>")]
    pub issued: Option<Text>,
    /// 更新日期 Last modified (YYYY-MM-DD).
    #[schemars(with = "Option<String>")]
    pub modified: Option<Text>,
    /// 联系人 Contact for this dataset.
    pub contact: Option<RawContact>,
    /// 高价值数据 High-value dataset (第四条).
    #[serde(default)]
    pub high_value: bool,
    /// 审查 Reviews passed (第十七条, 第二十九条).
    #[serde(default)]
    pub reviews: RawReviews,
    /// 已脱敏 Whether the data was de-sensitised (第十六条).
    pub desensitized: Option<bool>,
    /// 状态 Status: active, suspended or withdrawn.
    #[schemars(with = "Option<crate::model::Status>")]
    pub status: Option<Text>,
    /// 数据提供方 Provider; when present it must name the record's own department.
    #[schemars(with = "Option<String>")]
    pub provider: Option<Text>,
    /// 来源 Page of the record on the portal it was imported from.
    #[schemars(with = "Option<String>")]
    pub source_url: Option<Text>,
}

/// A parsed record with the text it came from.
#[derive(Debug)]
pub struct Loaded<T> {
    /// Absolute path.
    pub path: PathBuf,
    /// Path relative to the content folder, with `/`.
    pub rel: String,
    /// The file's text.
    pub source: String,
    /// The parsed value.
    pub value: T,
}

/// A department folder and what it holds.
#[derive(Debug)]
pub struct LoadedFolder {
    /// The folder name (the department code).
    pub code: String,
    /// The folder.
    pub dir: PathBuf,
    /// `department.yaml`, if it parsed.
    pub department: Option<Loaded<RawDepartment>>,
    /// Every dataset record that parsed.
    pub datasets: Vec<Loaded<RawDataset>>,
    /// Dataset record files that did not parse, with their display paths (their problems
    /// are in the diagnostics).
    pub unparsed: Vec<(PathBuf, String)>,
    /// Dataset record files left unparsed because an earlier check validated these very
    /// bytes (see [`load_folder`]'s `known`).
    pub unchanged: Vec<PathBuf>,
}

/// Whether an earlier check validated the record at a path with this text, under a
/// `department.yaml` with this text (`None`: the folder has none that parses), so that its
/// outcome can be reused instead of parsing the record again.
pub type Known<'a> = &'a (dyn Fn(Option<&str>, &Path, &str) -> bool + Sync);

/// A Markdown page from `content/pages/`.
#[derive(Debug, Clone)]
pub struct MarkdownPage {
    /// File stem, used as the URL slug.
    pub slug: String,
    /// Title: the first `# ` heading, else the slug.
    pub title: String,
    /// The Markdown text.
    pub markdown: String,
}

/// The department folders under `content/departments/`, sorted, with a diagnostic for anything
/// there that is not a plain folder (a symbolic link could lead out of the content).
pub fn department_folders(content: &Path) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let departments_dir = content.join("departments");
    let mut diagnostics = Vec::new();
    let entries = match std::fs::read_dir(&departments_dir) {
        Ok(entries) => entries,
        Err(err) => {
            diagnostics.push(
                Diagnostic::error(
                    "no-departments",
                    departments_dir.display().to_string(),
                    format!("cannot read the departments folder: {err}"),
                )
                .help("create content/departments/<department-code>/department.yaml"),
            );
            return (Vec::new(), diagnostics);
        }
    };
    let mut folders = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            folders.push(entry.path());
        } else if kind.is_symlink() {
            diagnostics.push(
                Diagnostic::error(
                    "symlink-folder",
                    display_path(content, &entry.path()),
                    "this department folder is a symbolic link and is not read",
                )
                .help("keep each department's records in a real folder under content/departments/"),
            );
        }
    }
    folders.sort();
    (folders, diagnostics)
}

/// Reads one department folder: `department.yaml` and every dataset record beside it.
/// Returns what parsed and a diagnostic for every file that did not. A record whose text
/// `known` accepts is read but not parsed: it is listed as [`LoadedFolder::unchanged`].
pub fn load_folder(
    content: &Path,
    dir: &Path,
    limits: &Limits,
    known: Option<Known<'_>>,
) -> (LoadedFolder, Vec<Diagnostic>) {
    let code = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut diagnostics = Vec::new();
    let mut record_files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
                .map(|e| e.path())
                .filter(|p| {
                    // `.YAML` from an editor on another system is still a record.
                    p.extension().is_some_and(|e| {
                        e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    record_files.sort();

    let mut folder = LoadedFolder {
        code,
        dir: dir.to_path_buf(),
        department: None,
        datasets: Vec::new(),
        unparsed: Vec::new(),
        unchanged: Vec::new(),
    };
    let department_file = dir.join("department.yaml");
    if !department_file.exists() {
        diagnostics.push(
            Diagnostic::error(
                "missing-department",
                display_path(content, dir),
                "this department folder has no department.yaml",
            )
            .help(
                "add department.yaml with the department's name, code, level, region and contacts",
            ),
        );
    }
    // The department first: whether a record's outcome can be reused depends on it.
    let (department_files, record_files): (Vec<PathBuf>, Vec<PathBuf>) = record_files
        .into_iter()
        .partition(|p| p.file_name().is_some_and(|n| n == "department.yaml"));
    let department = department_files
        .first()
        .map(|path| parse_file::<RawDepartment>(path, display_path(content, path), limits));
    let department_source = match &department {
        Some(Ok(loaded)) => Some(loaded.source.as_str()),
        _ => None,
    };
    let parsed: Vec<_> = record_files
        .par_iter()
        .map(|path| {
            let rel = display_path(content, path);
            if path.file_name().is_some_and(|n| n == "department.yml") {
                return Err(Box::new(
                    Diagnostic::error(
                        "misnamed-department",
                        rel,
                        "the department file must be named department.yaml",
                    )
                    .help("rename department.yml to department.yaml"),
                ));
            }
            let source = read_text(path, &rel, limits)?;
            if known.is_some_and(|known| known(department_source, path, &source)) {
                return Ok(None);
            }
            parse_source::<RawDataset>(path, rel, source, limits).map(Some)
        })
        .collect();
    for (result, path) in parsed.into_iter().zip(&record_files) {
        match result {
            Ok(Some(record)) => folder.datasets.push(record),
            Ok(None) => folder.unchanged.push(path.clone()),
            Err(d) => {
                folder
                    .unparsed
                    .push((path.clone(), display_path(content, path)));
                diagnostics.push(*d);
            }
        }
    }
    match department {
        Some(Ok(loaded)) => folder.department = Some(loaded),
        Some(Err(diagnostic)) => diagnostics.push(*diagnostic),
        None => {}
    }
    (folder, diagnostics)
}

/// `path` relative to `base`, with `/` separators, for messages and output.
pub fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `path` as a user should read it in a message: the content folder as given, then the
/// path below it.
pub fn display_path(content: &Path, path: &Path) -> String {
    let below = relative(content, path);
    let base = content.to_string_lossy();
    if base.is_empty() || base == "." {
        below
    } else {
        format!("{}/{below}", base.trim_end_matches('/'))
    }
}

/// Reads one YAML file within the limits and parses it into `T`.
pub fn parse_file<T: for<'de> Deserialize<'de>>(
    path: &Path,
    rel: String,
    limits: &Limits,
) -> Result<Loaded<T>, Box<Diagnostic>> {
    let source = read_text(path, &rel, limits)?;
    parse_source(path, rel, source, limits)
}

/// Parses the text of the file at `path` into `T`.
fn parse_source<T: for<'de> Deserialize<'de>>(
    path: &Path,
    rel: String,
    source: String,
    limits: &Limits,
) -> Result<Loaded<T>, Box<Diagnostic>> {
    match parse_yaml::<T>(&source, limits) {
        Ok(value) => Ok(Loaded {
            path: path.to_path_buf(),
            rel,
            source,
            value,
        }),
        Err(diagnostic) => Err(Box::new(diagnostic.into_file(rel))),
    }
}

/// Reads a record file as UTF-8 text, refusing symlinks, empty files and files over the limit.
fn read_text(path: &Path, rel: &str, limits: &Limits) -> Result<String, Box<Diagnostic>> {
    let fail = |code, message: String, help: &str| {
        Box::new(Diagnostic::error(code, rel, message).help(help.to_string()))
    };
    let meta = std::fs::symlink_metadata(path).map_err(|e| {
        fail(
            "unreadable",
            format!("cannot read the file: {e}"),
            "check the file's permissions",
        )
    })?;
    if meta.file_type().is_symlink() {
        return Err(fail(
            "symlink-record",
            "this record is a symbolic link".into(),
            "commit the record itself, not a link to it",
        ));
    }
    if meta.len() > limits.max_record_bytes {
        return Err(fail(
            "file-too-large",
            format!(
                "the file is {} bytes; records may be at most {} bytes",
                meta.len(),
                limits.max_record_bytes
            ),
            "describe the dataset in the record and put its data in a resource file",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        fail(
            "unreadable",
            format!("cannot read the file: {e}"),
            "check the file's permissions",
        )
    })?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(fail(
            "empty-file",
            "the file is empty".into(),
            "write the record's keys (title, summary, domain, open_type, update_frequency …) or delete the file",
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text)),
        Err(err) => {
            let good = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let good = std::str::from_utf8(good).unwrap_or("");
            let line = good.matches('\n').count() + 1;
            let line_start = good.rfind('\n').map_or(0, |i| i + 1);
            let column = good[line_start..].chars().count() + 1;
            let line_text = good[line_start..].to_string();
            Err(Box::new(
                Diagnostic::error("not-utf8", rel, "the file is not valid UTF-8")
                    .at(Some(Location {
                        line,
                        column,
                        length: 1,
                        line_text,
                    }))
                    .label("invalid byte here")
                    .help("save the file as UTF-8 (GBK and GB18030 are not accepted)"),
            ))
        }
    }
}

/// A parse failure before the file name is known.
pub struct ParseFailure {
    code: &'static str,
    message: String,
    label: String,
    help: String,
    location: Option<Location>,
}

impl ParseFailure {
    fn into_file(self, rel: String) -> Diagnostic {
        Diagnostic::error(self.code, rel, self.message)
            .at(self.location)
            .label(self.label)
            .help(self.help)
    }
}

/// Parses YAML text with the input budgets of `limits`.
pub fn parse_yaml<T: for<'de> Deserialize<'de>>(
    source: &str,
    limits: &Limits,
) -> Result<T, Box<ParseFailure>> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: limits.max_depth,
            max_aliases: limits.max_aliases,
            max_anchors: limits.max_aliases,
            max_nodes: 50_000,
            max_documents: 1,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 10_000,
            max_alias_expansions_per_anchor: 32,
            max_replay_stack_depth: limits.max_depth,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(source, options).map_err(|e| Box::new(classify(source, &e)))
}

fn classify(source: &str, error: &serde_saphyr::Error) -> ParseFailure {
    use serde_saphyr::MessageFormatter;
    let plain = error.without_snippet();
    let raw = serde_saphyr::DefaultMessageFormatter
        .format_message(plain)
        .to_string();
    let mut location = error.location().map(|l| {
        Location::in_source(
            source,
            l.line() as usize,
            l.column() as usize,
            l.span().len().max(1) as usize,
        )
    });
    let (code, message, label, help): (&'static str, String, String, String) = if raw
        .contains("budget breached")
        || raw.contains("alias")
        || raw.contains("recursion limit")
    {
        (
            "too-complex",
            "the document is nested too deeply or expands too many aliases".into(),
            "limit reached here".into(),
            "write the record plainly: no deep nesting and no anchors or aliases (&name, *name)"
                .into(),
        )
    } else if let Some(rest) = raw.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("");
        let expected = rest
            .split("expected one of ")
            .nth(1)
            .unwrap_or("")
            .to_string();
        let candidates: Vec<&str> = expected.split(", ").collect();
        let hint = match crate::diagnostics::nearest(key, candidates.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? Valid keys here: {expected}"),
            None => format!("remove it; valid keys here: {expected}"),
        };
        (
            "unknown-key",
            format!("unknown key `{key}`"),
            "not a key of this record".into(),
            hint,
        )
    } else if let Some(rest) = raw.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or("");
        // The parser reports where the mapping ended; for the top-level mapping that is
        // some unrelated key, so point at the record's start instead.
        let top_level = location.as_ref().is_some_and(|l| {
            !l.line_text.starts_with([' ', '\t', '-', '{']) && !l.line_text.contains('{')
        });
        if top_level {
            location = Some(Location::in_source(source, 1, 1, 1));
        }
        (
            "missing-key",
            format!("required key `{key}` is missing"),
            if top_level {
                format!("this record needs `{key}`")
            } else {
                format!("this mapping needs `{key}`")
            },
            format!("add `{key}:` with a value (see docs/records.md)"),
        )
    } else if raw.starts_with("duplicate mapping key") {
        let key = raw
            .trim_start_matches("duplicate mapping key: ")
            .split(',')
            .next()
            .unwrap_or("")
            .to_string();
        (
            "duplicate-key",
            format!("key `{key}` appears twice"),
            "second occurrence".into(),
            "keep one of the two; YAML keys must be unique".into(),
        )
    } else if raw.starts_with("invalid type")
        || raw.starts_with("expected ")
        || raw.starts_with("invalid value")
    {
        (
                "wrong-type",
                format!("wrong type: {raw}"),
                "this value has the wrong type".into(),
                "see docs/records.md for the expected form: a list is written `- item` or `[a, b]`, a text in quotes if it looks like a number or date".into(),
            )
    } else if raw.contains("end of input") {
        (
            "empty-record",
            "the file holds no record (only comments or blank lines)".into(),
            "nothing here".into(),
            "write the record's keys or delete the file".into(),
        )
    } else {
        (
                "yaml-syntax",
                format!("YAML syntax error: {raw}"),
                "here".into(),
                "check indentation (spaces, not tabs), colons after keys, and closing quotes and brackets".into(),
            )
    };
    ParseFailure {
        code,
        message,
        label,
        help,
        location,
    }
}

/// Top-level folders the portal writes; a Markdown page may not take their names.
const RESERVED_PAGE_NAMES: &[&str] = &[
    "assets",
    "datasets",
    "departments",
    "domains",
    "formats",
    "frequencies",
    "high-value",
    "levels",
    "open-types",
    "regions",
    "schema",
    "api",
    "catalog",
    "search",
    "feeds",
    "sitemaps",
    "notices",
    "takedowns",
    "applications",
    "evaluation",
    "apps",
    "demands",
    "plans",
];

/// Why a Markdown page cannot be published, if it cannot.
fn page_problem(path: &Path, slug: &str, limits: &Limits) -> Option<Diagnostic> {
    let file = path.display().to_string();
    // Pages may be longer than records, but not unbounded: Markdown work grows faster than
    // the text in its worst cases.
    let max = limits.max_record_bytes * 4;
    let problem = if !crate::model::is_slug(slug) {
        Diagnostic::error(
            "bad-page-name",
            file,
            format!("page name `{slug}` is not a slug"),
        )
        .help("name pages with lowercase ASCII letters, digits and hyphens, e.g. about.md")
    } else if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        Diagnostic::error(
            "symlink-page",
            file,
            "this page is a symbolic link and is not published",
        )
        .help("commit the page itself in content/pages/")
    } else if RESERVED_PAGE_NAMES.contains(&slug) {
        Diagnostic::error(
            "reserved-page-name",
            file,
            format!("page name `{slug}` is used by the portal itself"),
        )
        .help(format!(
            "rename the page; these names are reserved: {}",
            RESERVED_PAGE_NAMES.join(", ")
        ))
    } else if std::fs::metadata(path).is_ok_and(|m| m.len() > max) {
        Diagnostic::error(
            "file-too-large",
            file,
            format!("the page is larger than {max} bytes"),
        )
        .help("split the page or link to a document")
    } else {
        return None;
    };
    Some(problem)
}

/// Reads the Markdown pages of `dir` (`content/pages/`), sorted by name.
pub fn load_pages(
    dir: &Path,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<MarkdownPage> {
    let mut pages = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return pages;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    for path in paths {
        let slug = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(problem) = page_problem(&path, &slug, limits) {
            diagnostics.push(problem);
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(markdown) => {
                let title = markdown
                    .lines()
                    .find_map(|l| l.strip_prefix("# "))
                    .map(|t| t.trim().to_string())
                    .unwrap_or_else(|| slug.clone());
                pages.push(MarkdownPage {
                    slug,
                    title,
                    markdown,
                });
            }
            Err(err) => diagnostics.push(Diagnostic::error(
                "unreadable",
                path.display().to_string(),
                format!("cannot read the page as UTF-8 text: {err}"),
            )),
        }
    }
    pages
}

/// The location of a spanned value in `source`.
pub fn location_of<T>(source: &str, spanned: &Spanned<T>) -> Option<Location> {
    let l = spanned.referenced;
    (l.line() > 0).then(|| {
        Location::in_source(
            source,
            l.line() as usize,
            l.column() as usize,
            l.span().len().max(1) as usize,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(text: &str) -> &'static str {
        match parse_yaml::<serde::de::IgnoredAny>(text, &Limits::default()) {
            Ok(_) => "ok",
            Err(failure) => failure.code,
        }
    }

    #[test]
    fn alias_bomb_hits_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let started = std::time::Instant::now();
        assert_eq!(code_of(&text), "too-complex");
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn deep_nesting_hits_the_budget() {
        let text = format!("k: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(code_of(&text), "too-complex");
        let text = format!("k: {}\n", "[".repeat(100_000));
        assert_eq!(code_of(&text), "too-complex");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Whatever a department commits, parsing ends with a value or a diagnostic: no panic.
        #[test]
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = parse_yaml::<RawDataset>(&text, &Limits::default());
        }

        /// Records assembled from YAML fragments (keys, indicators, anchors, quotes, CJK) give a
        /// value or a located diagnostic, never a panic.
        #[test]
        fn yaml_like_input_gives_a_located_error(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "title: ", "summary: ", "domain: ", "open_type: ", "reviews:", "fields:", "  - ",
                "{", "}", "[", "]", ": ", "&a ", "*a", "\"", "'", "公交", "有条件开放", "\n", "\t",
                "# ", "---", "|", ">", "!!str ", "?", "0x1F", "2024-01-01",
            ]),
            0..40,
        )) {
            let text: String = parts.concat();
            if let Err(failure) = parse_yaml::<RawDataset>(&text, &Limits::default()) {
                proptest::prop_assert!(!failure.message.is_empty());
                if let Some(location) = failure.location {
                    proptest::prop_assert!(location.line >= 1 && location.line <= text.lines().count().max(1) + 1);
                }
            }
        }
    }

    #[test]
    fn plain_yaml_parses() {
        assert_eq!(code_of("a: [1, 2]\nb: { c: d }\n"), "ok");
    }
}
