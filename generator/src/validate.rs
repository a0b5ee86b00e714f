//! Validate: every rule a record must satisfy, turning raw YAML structs into the model.
//!
//! Returns diagnostics, never panics and never stops at the first problem: a rejected record is
//! left out and named, every valid record goes on. Visibility is not decided here (see `policy`).

use std::collections::BTreeMap;
use std::path::{Component, Path};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde_saphyr::Spanned;

use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, nearest};
use crate::divisions::Divisions;
use crate::load::{
    Loaded, LoadedFolder, RawContact, RawDataset, RawDepartment, RawReview, Scalar, location_of,
};
use crate::model::*;

/// The result of validation: the valid catalog and every finding.
#[derive(Debug, Default)]
pub struct Validated {
    /// Departments and accepted datasets.
    pub catalog: Catalog,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Record files rejected, relative paths.
    pub rejected: Vec<String>,
    /// What is known of each rejected record, so that nothing of it is published either.
    pub rejected_records: Vec<RejectedRecord>,
}

/// A record that was rejected: its id, title and files are kept out of the site just like a
/// withheld dataset's (it may have been a 不予开放 record with a typo).
#[derive(Debug, Clone, Default)]
pub struct RejectedRecord {
    /// The record file.
    pub rel: String,
    /// Its id: the `id` it claims, else its file name.
    pub id: String,
    /// Its title, when it parsed.
    pub title: Option<String>,
    /// Files it names that exist inside its department folder.
    pub files: Vec<std::path::PathBuf>,
}

impl RejectedRecord {
    fn of_raw(record: &Loaded<RawDataset>, dept_dir: &Path) -> RejectedRecord {
        let stem = record
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = &record.value;
        RejectedRecord {
            rel: record.rel.clone(),
            id: raw
                .id
                .as_ref()
                .map_or(stem, |id| id.value.trim().to_string()),
            title: Some(raw.title.value.trim().to_string()),
            files: raw
                .resources
                .iter()
                .filter_map(|r| r.file.as_ref())
                .filter_map(|f| std::fs::canonicalize(dept_dir.join(f.value.trim())).ok())
                .filter(|f| f.is_file())
                .collect(),
        }
    }

    fn of_dataset(dataset: &Dataset, rel: &str) -> RejectedRecord {
        RejectedRecord {
            rel: rel.to_string(),
            id: dataset.id.0.clone(),
            title: Some(dataset.title.clone()),
            files: dataset
                .resources
                .iter()
                .filter_map(|r| match &r.location {
                    ResourceLocation::File { source, .. } => Some(source.clone()),
                    ResourceLocation::Url { .. } => None,
                })
                .collect(),
        }
    }
}

/// Collects diagnostics for one file.
pub(crate) struct Checker<'a> {
    rel: &'a str,
    source: &'a str,
    today: Option<NaiveDate>,
    pub(crate) found: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(rel: &'a str, source: &'a str, today: Option<NaiveDate>) -> Self {
        Checker {
            rel,
            source,
            today,
            found: Vec::new(),
        }
    }

    /// An `empty-value` error when `value` is blank; says whether it was not. `owner` names
    /// what the value belongs to (`dataset`, `notice` …) in the help.
    pub(crate) fn not_empty(&mut self, key: &str, value: &Spanned<String>, owner: &str) -> bool {
        if !value.value.trim().is_empty() {
            return true;
        }
        self.error(
            "empty-value",
            value,
            format!("`{key}` is empty"),
            "empty",
            format!("write the {owner}'s {key}"),
        );
        false
    }

    /// The latest date a record may carry, when known.
    pub(crate) fn today(&self) -> Option<NaiveDate> {
        self.today
    }

    /// The value's text exactly as written in the file.
    fn written<T>(&self, value: &Spanned<T>) -> Option<String> {
        let location = location_of(self.source, value)?;
        Some(
            location
                .line_text
                .chars()
                .skip(location.column - 1)
                .take(location.length)
                .collect(),
        )
    }

    /// A code or phone number written as a bare YAML number that YAML reads differently
    /// (`0x2D` is 45, `0771…` loses its zero): ask for quotes rather than guess.
    fn number_as_written(&mut self, key: &str, value: &Spanned<Scalar>) -> bool {
        if !value.value.1 {
            return true; // read as text: exactly what the author wrote
        }
        let Some(written) = self.written(value) else {
            return true;
        };
        let written = written.trim();
        if written.starts_with(['"', '\'']) || written == value.value.0 {
            return true;
        }
        self.error(
            "quote-number",
            value,
            format!(
                "`{written}` is read by YAML as the number {}",
                value.value.0
            ),
            "write it in quotes",
            format!("write `{key}: \"{written}\"` so it keeps exactly these characters"),
        );
        false
    }

    pub(crate) fn error<T>(
        &mut self,
        code: &'static str,
        at: &Spanned<T>,
        message: String,
        label: &str,
        help: String,
    ) {
        self.found.push(
            Diagnostic::error(code, self.rel, message)
                .at(location_of(self.source, at))
                .label(label)
                .help(help),
        );
    }

    pub(crate) fn warn(&mut self, code: &'static str, message: String, help: String) {
        self.found
            .push(Diagnostic::warning(code, self.rel, message).help(help));
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.found.iter().any(Diagnostic::is_error)
    }

    /// Parses a controlled-vocabulary value, suggesting the nearest valid one.
    pub(crate) fn vocabulary<V: Vocabulary>(
        &mut self,
        key: &str,
        value: &Spanned<String>,
    ) -> Option<V> {
        let text = value.value.trim();
        if let Some(v) = V::from_label(text) {
            return Some(v);
        }
        if let Some(v) = V::ALL.iter().copied().find(|v| v.slug() == text) {
            return Some(v);
        }
        let labels = V::labels();
        let help = match common_synonym(text).or_else(|| nearest(text, labels.iter().copied())) {
            Some(near) => format!(
                "did you mean `{near}`? `{key}` must be one of: {}",
                labels.join(", ")
            ),
            None => format!("`{key}` must be one of: {}", labels.join(", ")),
        };
        self.error(
            "not-in-list",
            value,
            format!("`{text}` is not a valid {key}"),
            "not in the list",
            help,
        );
        None
    }

    pub(crate) fn date(&mut self, key: &str, value: &Option<Spanned<String>>) -> Option<NaiveDate> {
        let value = value.as_ref()?;
        match NaiveDate::parse_from_str(value.value.trim(), "%Y-%m-%d") {
            Ok(date) if self.today.is_some_and(|today| date > today) => {
                self.error(
                    "future-date",
                    value,
                    format!("`{key}` {date} is in the future"),
                    "after today",
                    "a catalog records what already happened; check the year".into(),
                );
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                self.error(
                    "bad-date",
                    value,
                    format!("`{}` is not a date", value.value),
                    "expected YYYY-MM-DD",
                    format!("write `{key}` as year-month-day, e.g. 2024-03-15"),
                );
                None
            }
        }
    }

    fn region(&mut self, divisions: &Divisions, value: &Spanned<Scalar>) -> Option<DivisionCode> {
        if !self.number_as_written("region", value) {
            return None;
        }
        let code = value.value.0.trim();
        if divisions.get(code).is_some() {
            return Some(DivisionCode(code.to_string()));
        }
        let help = if code.chars().all(|c| c.is_ascii_digit()) && code.len() > 2 {
            let parent_len = match code.len() {
                12 => 9,
                9 => 6,
                6 => 4,
                _ => 2,
            };
            let parent = &code[..parent_len.min(code.len())];
            match divisions.get(parent) {
                Some(p) => format!(
                    "use a code from data/divisions/ (2, 4, 6, 9 or 12 digits); `{parent}` is {}",
                    divisions.full_name(&p.code)
                ),
                None => "use a Guangxi code from data/divisions/ (2, 4, 6, 9 or 12 digits, starting with 45)".into(),
            }
        } else {
            "use a Guangxi code from data/divisions/ (2, 4, 6, 9 or 12 digits, starting with 45)"
                .into()
        };
        self.error(
            "unknown-region",
            value,
            format!("unknown division code `{code}`"),
            "not a Guangxi division code",
            help,
        );
        None
    }

    fn contact(&mut self, raw: &RawContact) -> Contact {
        if let Some(email) = &raw.email {
            let e = email.value.trim();
            let ok = e
                .split_once('@')
                .is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
                && !e.contains(char::is_whitespace);
            if !ok {
                self.error(
                    "bad-email",
                    email,
                    format!("`{e}` is not an e-mail address"),
                    "expected name@domain",
                    "write a full address such as data@example.gov.cn".into(),
                );
            }
        }
        Contact {
            name: raw.name.trim().to_string(),
            phone: raw.phone.as_ref().and_then(|p| {
                self.number_as_written("phone", p)
                    .then(|| p.value.0.trim().to_string())
            }),
            email: raw.email.as_ref().map(|e| e.value.trim().to_string()),
            role: raw.role.clone(),
        }
    }
}

/// What one department folder yielded.
#[derive(Debug, Clone, Default)]
pub struct FolderResult {
    /// The department, when its `department.yaml` is valid.
    pub department: Option<Department>,
    /// Accepted datasets with their record files, in id order.
    pub datasets: Vec<(std::sync::Arc<Dataset>, String)>,
    /// Findings from loading and validating the folder.
    pub diagnostics: Vec<Diagnostic>,
    /// Records of this folder that were rejected.
    pub rejected_records: Vec<RejectedRecord>,
    /// What a later check of the folder may reuse (see [`FolderResult::knows`]).
    reusable: Reusable,
}

/// The outcomes of a folder's records that depend on nothing but their text, their
/// department and the check's settings: records that name no file (a file's bytes may
/// change without the record changing).
#[derive(Debug, Clone, Default)]
struct Reusable {
    /// The text of the `department.yaml` the records were validated under (small: kept
    /// whole, so that a record's check compares it instead of hashing it again).
    department: Option<String>,
    /// Per record file (by name): SHA-256 of its text, and what validating it gave.
    records: std::collections::HashMap<std::ffi::OsString, ([u8; 32], RecordOutcome)>,
}

/// What validating one record gave.
#[derive(Debug, Clone)]
struct RecordOutcome {
    /// The record file as diagnostics name it.
    rel: String,
    /// The dataset, when accepted; else the rejected record.
    verdict: Result<std::sync::Arc<Dataset>, Box<RejectedRecord>>,
    /// The record's own findings.
    diagnostics: Vec<Diagnostic>,
}

fn sha256(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

impl FolderResult {
    /// Whether this result holds the outcome of the record at `path` with exactly this text,
    /// validated under a `department.yaml` with exactly the text `department`: a check with
    /// the same settings ([`CheckCache`](crate::CheckCache) keeps them) may reuse it instead
    /// of parsing the record again.
    pub fn knows(&self, department: Option<&str>, path: &Path, source: &str) -> bool {
        department.is_some_and(|text| self.reusable.department.as_deref() == Some(text))
            && self
                .reusable
                .records
                .get(path.file_name().unwrap_or_default())
                .is_some_and(|(hash, _)| *hash == sha256(source))
    }
}

/// Validates one loaded folder. Runs per folder, so the raw text of a folder is dropped as soon
/// as it is checked rather than held for the whole catalog.
///
/// `today`, when given, is the latest date a record may carry.
///
/// Records listed as [`LoadedFolder::unchanged`] take their outcome from `previous`, which
/// must [know](FolderResult::knows) them.
pub fn validate_folder(
    folder: LoadedFolder,
    mut diagnostics: Vec<Diagnostic>,
    config: &SiteConfig,
    divisions: &Divisions,
    today: Option<NaiveDate>,
    previous: Option<&FolderResult>,
) -> FolderResult {
    let department = match &folder.department {
        Some(file) => department(&folder.code, file, divisions, &mut diagnostics, today),
        None => None,
    };
    // Unparsed records are known by their file name only.
    let mut rejected_records: Vec<RejectedRecord> = folder
        .unparsed
        .iter()
        .map(|(path, rel)| RejectedRecord {
            rel: rel.clone(),
            id: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            title: None,
            files: Vec::new(),
        })
        .collect();
    let reused: Vec<(&std::path::PathBuf, &RecordOutcome)> = folder
        .unchanged
        .iter()
        .filter_map(|path| {
            let (_, outcome) = previous?.reusable.records.get(path.file_name()?)?;
            Some((path, outcome))
        })
        .collect();
    let Some(department) = department else {
        // Without a valid department.yaml none of the folder's records has a provider. (Records
        // left unparsed were known under this very department.yaml, which then validated, so
        // there are none here; were there any, they are rejected all the same.)
        let unparsed = reused.iter().map(|(_, outcome)| match &outcome.verdict {
            Ok(dataset) => RejectedRecord::of_dataset(dataset, &outcome.rel),
            Err(rejected) => RejectedRecord::clone(rejected),
        });
        let parsed = folder
            .datasets
            .iter()
            .map(|record| RejectedRecord::of_raw(record, &folder.dir));
        for record in parsed.chain(unparsed) {
            diagnostics.push(
                Diagnostic::error(
                    "no-department",
                    &record.rel,
                    format!(
                        "record rejected: department `{}` has no valid department.yaml",
                        folder.code
                    ),
                )
                .help("fix department.yaml in this folder first"),
            );
            rejected_records.push(record);
        }
        return FolderResult {
            department: None,
            datasets: Vec::new(),
            diagnostics,
            rejected_records,
            reusable: Reusable::default(),
        };
    };
    let fresh: Vec<(&std::path::PathBuf, RecordOutcome, Option<[u8; 32]>)> = folder
        .datasets
        .par_iter()
        .map(|record| {
            let (dataset, found) =
                dataset(record, &department, &folder.dir, config, divisions, today);
            let verdict = match dataset {
                Some(dataset) => Ok(std::sync::Arc::new(dataset)),
                None => Err(Box::new(RejectedRecord::of_raw(record, &folder.dir))),
            };
            // Only what depends on the text alone may be reused.
            let names_a_file = record.value.resources.iter().any(|r| r.file.is_some());
            let hash = (!names_a_file).then(|| sha256(&record.source));
            let outcome = RecordOutcome {
                rel: record.rel.clone(),
                verdict,
                diagnostics: found,
            };
            (&record.path, outcome, hash)
        })
        .collect();
    let mut reusable = Reusable {
        department: folder.department.as_ref().map(|d| d.source.clone()),
        records: Default::default(),
    };
    let mut outcomes: Vec<(&std::path::PathBuf, &RecordOutcome)> = reused;
    outcomes.extend(fresh.iter().map(|(path, outcome, _)| (*path, outcome)));
    // In file order, as a full check finds them.
    outcomes.sort_by(|a, b| a.0.cmp(b.0));
    let mut datasets = Vec::new();
    for (_, outcome) in &outcomes {
        diagnostics.extend(outcome.diagnostics.iter().cloned());
        match &outcome.verdict {
            Ok(dataset) => datasets.push((std::sync::Arc::clone(dataset), outcome.rel.clone())),
            Err(rejected) => rejected_records.push(RejectedRecord::clone(rejected)),
        }
    }
    for path in &folder.unchanged {
        let name = path.file_name().unwrap_or_default();
        if let Some(kept) = previous.and_then(|p| p.reusable.records.get(name)) {
            reusable.records.insert(name.to_owned(), kept.clone());
        }
    }
    for (path, outcome, hash) in fresh {
        if let Some(hash) = hash {
            let name = path.file_name().unwrap_or_default().to_owned();
            reusable.records.insert(name, (hash, outcome));
        }
    }
    // In id order, so the catalog is put together from sorted runs.
    datasets.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    FolderResult {
        department: Some(department),
        datasets,
        diagnostics,
        rejected_records,
        reusable,
    }
}

/// An accepted dataset in the catalog's id order, with where its record came from: the
/// folder (numbered by the caller) and its place among that folder's datasets.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The dataset.
    pub dataset: std::sync::Arc<Dataset>,
    /// The caller's number of the folder.
    pub folder: u64,
    /// Its index in the folder's `datasets`.
    pub index: usize,
}

impl FolderResult {
    /// Its accepted datasets, placed under the folder number `folder`.
    pub fn placed(&self, folder: u64) -> impl Iterator<Item = Placed> + '_ {
        self.datasets
            .iter()
            .enumerate()
            .map(move |(index, (dataset, _))| Placed {
                dataset: std::sync::Arc::clone(dataset),
                folder,
                index,
            })
    }
}

/// The accepted datasets of `folders` (numbered by position) in id order; equal ids keep the
/// folders' order.
pub fn in_id_order(folders: &[&FolderResult]) -> Vec<Placed> {
    let mut placed: Vec<Placed> = folders
        .iter()
        .enumerate()
        .flat_map(|(folder, result)| result.placed(folder as u64))
        .collect();
    // Each folder's datasets are in id order; the stable sort merges those runs.
    placed.sort_by(|a, b| a.dataset.id.cmp(&b.dataset.id));
    placed
}

/// Puts `fresh` into `kept`, both sorted by `order` (required), in one pass: what a
/// long-running check does when a few folders changed, instead of sorting the catalog again.
/// An entry of `kept` comes before an equal one of `fresh`.
pub fn merge_in_order(
    kept: Vec<Placed>,
    fresh: Vec<Placed>,
    order: impl Fn(&Placed, &Placed) -> std::cmp::Ordering,
) -> Vec<Placed> {
    // Few arrive among many: each arrival's place is found by binary search (arrivals are in
    // order, so places are too) and the kept entries move in runs, without comparing them.
    debug_assert!(fresh.is_sorted_by(|a, b| order(a, b).is_le()));
    let places: Vec<usize> = fresh
        .iter()
        .map(|next| kept.partition_point(|entry| !order(next, entry).is_lt()))
        .collect();
    let mut out = Vec::with_capacity(kept.len() + fresh.len());
    let mut kept = kept.into_iter();
    let mut moved = 0;
    for (next, place) in fresh.into_iter().zip(places) {
        out.extend(kept.by_ref().take(place - moved));
        moved = place;
        out.push(next);
    }
    out.extend(kept);
    out
}

/// Puts folder results together: departments, diagnostics, and the accepted datasets of
/// `sorted` (every accepted dataset of `folders` in id order, see [`in_id_order`]), whose
/// record paths `rel` gives. An id claimed twice rejects every record that claims it.
pub fn merge<'a>(
    folders: impl IntoIterator<Item = &'a FolderResult>,
    sorted: &[Placed],
    rel: impl Fn(&Placed) -> &'a str,
    diagnostics: Vec<Diagnostic>,
) -> Validated {
    let mut out = Validated {
        diagnostics,
        ..Validated::default()
    };
    for folder in folders {
        out.diagnostics.extend(folder.diagnostics.iter().cloned());
        out.rejected_records
            .extend(folder.rejected_records.iter().cloned());
        let Some(department) = &folder.department else {
            continue;
        };
        out.catalog
            .departments
            .insert(department.code.clone(), department.clone());
    }
    // In id order, a claimed-twice id sits next to its twin.
    let shared = |i: usize| {
        let id = &sorted[i].dataset.id;
        (i > 0 && sorted[i - 1].dataset.id == *id)
            || sorted.get(i + 1).is_some_and(|n| n.dataset.id == *id)
    };
    let mut contested: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut accepted = Vec::with_capacity(sorted.len());
    for (i, placed) in sorted.iter().enumerate() {
        if shared(i) {
            contested
                .entry(placed.dataset.id.0.clone())
                .or_default()
                .push(rel(placed));
        } else {
            accepted.push(std::sync::Arc::clone(&placed.dataset));
        }
    }
    out.catalog.datasets = accepted;
    for placed in sorted
        .iter()
        .filter(|p| contested.contains_key(&p.dataset.id.0))
    {
        let dataset = &placed.dataset;
        let rel = rel(placed);
        let others: Vec<&str> = contested[&dataset.id.0]
            .iter()
            .copied()
            .filter(|f| *f != rel)
            .collect();
        out.diagnostics.push(
            Diagnostic::error(
                "duplicate-id",
                rel,
                format!("dataset id `{}` is also used by {}", dataset.id, others.join(", ")),
            )
            .help("ids must be unique in the whole catalog; neither record is published until one of them takes another `id:` (or file name)"),
        );
        out.rejected_records
            .push(RejectedRecord::of_dataset(dataset, rel));
    }
    // A record with any error is rejected, whether it failed to parse or to validate.
    for diagnostic in &out.diagnostics {
        let file = diagnostic.file.to_ascii_lowercase();
        if diagnostic.is_error()
            && (file.ends_with(".yaml") || file.ends_with(".yml"))
            && !diagnostic.file.ends_with("department.yaml")
        {
            out.rejected.push(diagnostic.file.clone());
        }
    }
    out.diagnostics.sort_by_key(Diagnostic::sort_key);
    out.rejected.sort();
    out.rejected.dedup();
    out
}

fn department(
    folder_code: &str,
    file: &Loaded<RawDepartment>,
    divisions: &Divisions,
    diagnostics: &mut Vec<Diagnostic>,
    today: Option<NaiveDate>,
) -> Option<Department> {
    let raw = &file.value;
    let mut check = Checker::new(&file.rel, &file.source, today);
    if !is_slug(folder_code) {
        check.found.push(
            Diagnostic::error(
                "bad-code",
                &file.rel,
                format!("department folder `{folder_code}` is not a valid code"),
            )
            .help("name the folder with lowercase ASCII letters, digits and hyphens, e.g. gx-dsj"),
        );
    }
    if raw.code.value != folder_code {
        check.error(
            "code-mismatch",
            &raw.code,
            format!(
                "code `{}` differs from the folder name `{folder_code}`",
                raw.code.value
            ),
            "must equal the folder name",
            format!("write `code: {folder_code}` or rename the folder"),
        );
    }
    let region = check.region(divisions, &raw.region);
    let code_level = region
        .as_ref()
        .and_then(|r| Level::from_code_length(r.0.len()));
    let level = match &raw.level {
        Some(text) => check.vocabulary::<Level>("level", text),
        None => code_level,
    };
    let contacts = raw.contacts.iter().map(|c| check.contact(c)).collect();
    let mut officials = Vec::new();
    for (duty, official) in [
        ("分管领导", &raw.officials.leader),
        ("数据开放责任人", &raw.officials.data_officer),
        ("技术实施责任人", &raw.officials.technical_officer),
    ] {
        if let Some(o) = official {
            officials.push(Official {
                duty: duty.to_string(),
                name: o.name.clone(),
                title: o.title.clone(),
            });
        }
    }
    let failed = check.has_errors();
    diagnostics.extend(check.found);
    if failed || raw.name.trim().is_empty() {
        if raw.name.trim().is_empty() {
            diagnostics.push(
                Diagnostic::error("empty-value", &file.rel, "the department's `name` is empty")
                    .help("write the department's full official name"),
            );
        }
        return None;
    }
    Some(Department {
        code: DeptCode(folder_code.to_string()),
        name: raw.name.trim().to_string(),
        level: level?,
        region: region?,
        contacts,
        officials,
        description: raw.description.clone().unwrap_or_default(),
    })
}

fn dataset(
    file: &Loaded<RawDataset>,
    department: &Department,
    dept_dir: &Path,
    config: &SiteConfig,
    divisions: &Divisions,
    today: Option<NaiveDate>,
) -> (Option<Dataset>, Vec<Diagnostic>) {
    let raw = &file.value;
    let mut check = Checker::new(&file.rel, &file.source, today);

    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = match &raw.id {
        Some(id) => {
            if !is_slug(&id.value) {
                check.error(
                    "bad-id",
                    id,
                    format!("id `{}` is not a slug", id.value),
                    "lowercase ASCII letters, digits, hyphens",
                    format!(
                        "use lowercase letters, digits and hyphens, e.g. `{}`",
                        slug_hint(&id.value)
                    ),
                );
            }
            id.value.clone()
        }
        None => {
            if !is_slug(&stem) {
                check.found.push(
                    Diagnostic::error(
                        "bad-id",
                        &file.rel,
                        format!("the file name `{stem}` is not a valid dataset id"),
                    )
                    .help("rename the file to a lowercase ASCII slug (e.g. bus-stops.yaml) or add `id: bus-stops`"),
                );
            }
            stem
        }
    };

    for (key, value, max) in [
        ("title", &raw.title, 200),
        ("summary", &raw.summary, MAX_SUMMARY_CHARS),
    ] {
        let length = value.value.chars().count();
        if length > max {
            check.error(
                "too-long",
                value,
                format!("`{key}` is {length} characters; at most {max} are accepted"),
                "too long",
                format!("shorten the {key}; put long documentation in a resource file"),
            );
        }
        check.not_empty(key, value, "dataset");
    }

    let domain = match config.domain_by_name(raw.domain.value.trim()) {
        Some(d) => Some(d.slug.clone()),
        None => {
            let names: Vec<&str> = config.domains.iter().map(|d| d.name.as_str()).collect();
            let help = match nearest(&raw.domain.value, names.iter().copied()) {
                Some(near) => format!("did you mean `{near}`? domains are listed in site.toml"),
                None => format!("`domain` must be one of: {}", names.join(", ")),
            };
            check.error(
                "not-in-list",
                &raw.domain,
                format!(
                    "`{}` is not a domain of this platform",
                    raw.domain.value.trim()
                ),
                "not in the list",
                help,
            );
            None
        }
    };

    let open_type = check.vocabulary::<OpenType>("open_type", &raw.open_type);
    let update_frequency = match raw.update_frequency.value.trim() {
        "每天" => Some(UpdateFrequency::Daily),
        _ => check.vocabulary::<UpdateFrequency>("update_frequency", &raw.update_frequency),
    };
    let level = match &raw.level {
        Some(text) => check.vocabulary::<Level>("level", text),
        None => None,
    };
    let region = match &raw.region {
        Some(r) => check.region(divisions, r),
        None => Some(department.region.clone()),
    };
    let level = level.or_else(|| {
        if raw.region.is_some() {
            region
                .as_ref()
                .and_then(|r| Level::from_code_length(r.0.len()))
        } else {
            Some(department.level)
        }
    });
    let status = match &raw.status {
        Some(text) => check.vocabulary::<Status>("status", text),
        None => Some(Status::Active),
    };

    let open_conditions = raw
        .open_conditions
        .as_ref()
        .map(|c| crate::render::markdown::join_lines(&c.value))
        .filter(|c| !c.is_empty());
    if open_type == Some(OpenType::Conditional) && open_conditions.is_none() {
        check.error(
            "missing-conditions",
            &raw.open_type,
            "a 有条件开放 dataset must state its `open_conditions`".into(),
            "conditional",
            "add `open_conditions:` saying who may apply and on what terms (第十六条, 第二十条)"
                .into(),
        );
    }

    if let Some(provider) = &raw.provider {
        let p = provider.value.trim();
        if p != department.code.0 && p != department.name {
            check.error(
                "wrong-provider",
                provider,
                format!("provider `{p}` is not this folder's department ({})", department.name),
                "another department",
                format!(
                    "a record is published by the folder it sits in; remove `provider` or write `{}`. \
                     Another department's data goes in its own folder",
                    department.name
                ),
            );
        }
    }

    let issued = check.date("issued", &raw.issued);
    let modified = check.date("modified", &raw.modified);
    if let (Some(i), Some(m), Some(at)) = (issued, modified, raw.modified.as_ref())
        && m < i
    {
        check.error(
            "date-order",
            at,
            format!("modified {m} is before issued {i}"),
            "earlier than issued",
            "a dataset cannot be updated before it was first published; check both dates".into(),
        );
    }

    let mut reviews = Vec::new();
    for (kind, review) in [
        (ReviewKind::Legal, &raw.reviews.legal),
        (ReviewKind::Expert, &raw.reviews.expert),
        (ReviewKind::Privacy, &raw.reviews.privacy),
        (ReviewKind::Hearing, &raw.reviews.hearing),
        (ReviewKind::Security, &raw.reviews.security),
    ] {
        if let Some(r) = review
            && let Some(review) = self::review(&mut check, kind, r)
        {
            reviews.push(review);
        }
    }

    let mut field_names = std::collections::BTreeSet::new();
    for f in &raw.fields {
        let name = f.name.value.trim();
        if name.is_empty() {
            check.error(
                "empty-value",
                &f.name,
                "a field has an empty `name`".into(),
                "empty",
                "name every data item, e.g. 站点名称".into(),
            );
        } else if !field_names.insert(name) {
            check.error(
                "duplicate-field",
                &f.name,
                format!("field `{name}` is listed twice"),
                "second time",
                "list each data item once".into(),
            );
        }
    }
    let fields: Vec<Field> = raw
        .fields
        .iter()
        .map(|f| Field {
            name: f.name.value.trim().to_string(),
            kind: f.kind.clone(),
            description: f.description.clone(),
            unit: f.unit.clone(),
        })
        .collect();
    if fields.is_empty() {
        check.warn(
            "no-fields",
            "the record lists no `fields` (数据项)".into(),
            "list the data items with name, type, description and unit; until then this record lowers the department's metadata completeness".into(),
        );
    }

    let mut resources: Vec<Resource> = Vec::new();
    for raw_resource in &raw.resources {
        if let Some(r) = resource(&mut check, raw_resource, dept_dir, divisions) {
            if let (Some(path), Some(at)) = (r.published_path(), &raw_resource.file)
                && resources
                    .iter()
                    .any(|other| other.published_path() == Some(path.clone()))
            {
                check.error(
                    "duplicate-file-name",
                    at,
                    format!("another resource of this dataset is also named `{}`", path.trim_start_matches("files/")),
                    "same file name",
                    "resources are published as files/<name>; give each file of a dataset its own name".into(),
                );
                continue;
            }
            resources.push(r);
        }
    }
    let source_url = raw.source_url.as_ref().and_then(|u| {
        if is_http_url(&u.value) {
            Some(u.value.trim().to_string())
        } else {
            check.error(
                "bad-url",
                u,
                format!("`{}` is not an http or https address", u.value),
                "not http(s)",
                "write the full address starting with https://".into(),
            );
            None
        }
    });
    let contact = raw.contact.as_ref().map(|c| check.contact(c));

    let mut keywords: Vec<String> = raw
        .keywords
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    keywords.dedup();

    // Pushed one by one: a vector that grew by pushing holds room for four or more, and the
    // catalog keeps every dataset for the daemon's lifetime.
    keywords.shrink_to_fit();
    resources.shrink_to_fit();
    reviews.shrink_to_fit();
    let found_errors = check.has_errors();
    let diagnostics = check.found;
    if found_errors {
        return (None, diagnostics);
    }
    let (
        Some(domain),
        Some(open_type),
        Some(update_frequency),
        Some(level),
        Some(region),
        Some(status),
    ) = (domain, open_type, update_frequency, level, region, status)
    else {
        return (None, diagnostics);
    };
    let mut dataset = Dataset {
        id: DatasetId(id),
        title: raw.title.value.trim().to_string(),
        summary: raw.summary.value.trim().to_string(),
        department: department.code.clone(),
        domain,
        keywords,
        level,
        region,
        open_type,
        open_conditions,
        update_frequency,
        fields,
        resources,
        license: raw.license.clone(),
        issued,
        modified,
        contact,
        high_value: raw.high_value,
        reviews,
        desensitized: raw.desensitized,
        status,
        source_url,
        record_path: file.rel.clone(),
        summary_text: Default::default(),
        digest: 0,
    };
    dataset.seal();
    (Some(dataset), diagnostics)
}

fn review(check: &mut Checker<'_>, kind: ReviewKind, raw: &RawReview) -> Option<Review> {
    let date = check.date("date", &Some(raw.date.clone()))?;
    Some(Review {
        kind,
        passed: raw.passed,
        date,
        by: raw.by.clone(),
        note: raw.note.clone(),
    })
}

/// Words clerks commonly write for a controlled value (`月度` for `每月`), offered as suggestions.
fn common_synonym(text: &str) -> Option<&'static str> {
    const SYNONYMS: &[(&[&str], &str)] = &[
        (&["月度", "按月", "每个月", "月"], "每月"),
        (&["季度", "按季", "按季度", "每季", "季"], "每季度"),
        (&["年度", "按年", "每一年", "年"], "每年"),
        (&["半年", "每半年度", "半年度"], "每半年"),
        (&["日", "按日", "按天", "每天更新", "天"], "每日"),
        (&["周", "按周", "每星期", "星期"], "每周"),
        (&["实时更新", "即时"], "实时"),
        (&["不定时", "不定期更新", "按需"], "不定期"),
        (&["开放", "公开", "完全开放", "无条件"], "无条件开放"),
        (&["不开放", "不公开", "禁止开放"], "不予开放"),
        (&["自治区级", "省", "省级", "区级"], "自治区"),
        (&["市级", "地市"], "市"),
        (&["县级", "区县"], "县"),
        (&["乡级", "镇", "乡镇", "街道"], "乡"),
        (&["村级", "社区", "村委会"], "村"),
    ];
    SYNONYMS
        .iter()
        .find(|(words, _)| words.contains(&text))
        .map(|(_, value)| *value)
}

fn slug_hint(text: &str) -> String {
    let mut slug = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "bus-stops".into()
    } else {
        slug
    }
}

/// Whether `url` is an absolute http or https address with a host.
pub fn is_http_url(url: &str) -> bool {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !url.contains(char::is_whitespace) && !url.contains(['<', '>', '"'])
        }
        None => false,
    }
}

fn resource(
    check: &mut Checker<'_>,
    raw: &crate::load::RawResource,
    dept_dir: &Path,
    divisions: &Divisions,
) -> Option<Resource> {
    if raw.title.value.trim().is_empty() {
        check.error(
            "empty-value",
            &raw.title,
            "a resource has an empty `title`".into(),
            "empty",
            "say what the resource is, e.g. 公交站点（CSV）".into(),
        );
        return None;
    }
    let format_text = raw.format.value.trim();
    // The format names a URL folder (formats/<format>/): it must start with a letter or digit.
    if format_text.is_empty()
        || format_text.len() > 16
        || !format_text.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !format_text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
    {
        check.error(
            "bad-format",
            &raw.format,
            format!("`{format_text}` is not a format name"),
            "expected a short ASCII name",
            "write the format as a short name such as CSV, XLSX, JSON, XML, PDF, SHP or API".into(),
        );
        return None;
    }
    let format = format_text.to_ascii_uppercase();
    let location = match (&raw.file, &raw.url) {
        (Some(file), None) => {
            let location = resource_file(check, file, dept_dir)?;
            let public_columns = public_columns(check, raw);
            if let ResourceLocation::File { source, .. } = &location
                && !personal_data_free(check, file, source, &public_columns, divisions)
            {
                return None;
            }
            location
        }
        (None, Some(url)) => {
            if !is_http_url(&url.value) {
                check.error(
                    "bad-url",
                    url,
                    format!("`{}` is not an http or https address", url.value.trim()),
                    "only http:// and https:// are allowed",
                    "link to the resource with a full https:// address, or ship it as a `file`"
                        .into(),
                );
                return None;
            }
            ResourceLocation::Url {
                url: url.value.trim().to_string(),
            }
        }
        (Some(file), Some(_)) => {
            check.error(
                "file-and-url",
                file,
                "a resource has both `file` and `url`".into(),
                "one of the two",
                "keep `file` for a file in this folder or `url` for an address, not both".into(),
            );
            return None;
        }
        (None, None) => {
            check.error(
                "no-location",
                &raw.format,
                format!(
                    "resource `{}` has neither `file` nor `url`",
                    raw.title.value
                ),
                "in this resource",
                "add `file: <path in this folder>` or `url: https://…`".into(),
            );
            return None;
        }
    };
    Some(Resource {
        title: raw.title.value.trim().to_string(),
        format,
        location,
    })
}

/// The columns a resource declares public, each with a reason.
fn public_columns(check: &mut Checker<'_>, raw: &crate::load::RawResource) -> Vec<String> {
    let mut columns = Vec::new();
    for declared in &raw.public_columns {
        let column = declared.column.value.trim();
        if column.is_empty() {
            check.error(
                "empty-value",
                &declared.column,
                "a public column has an empty `column`".into(),
                "empty",
                "write the column's header exactly as it stands in the file".into(),
            );
        } else if declared.reason.value.trim().is_empty() {
            check.error(
                "no-reason",
                &declared.reason,
                format!("column `{column}` is declared public without a reason"),
                "empty",
                "say why its values may be public, e.g. 企业对外办公电话".into(),
            );
        } else {
            columns.push(column.to_string());
        }
    }
    columns
}

/// Formats that hold tables or text the de-sensitisation check cannot read: a warning says so.
const UNSCANNED_TABLES: &[&str] = &[
    "xls", "ods", "dbf", "mdb", "accdb", "xml", "zip", "gz", "7z", "rar", "tar",
];

/// Findings of the de-sensitisation check shown in one diagnostic.
const PERSONAL_DATA_SHOWN: usize = 5;

/// Scans a resource file for unmasked personal data (第十六条, 第三十五条(二)); a hit is an
/// error at the record's `file:` line naming the row and column of each (masked). Files of
/// other formats are not read. Says whether the file passed.
fn personal_data_free(
    check: &mut Checker<'_>,
    file: &Spanned<String>,
    source: &Path,
    public_columns: &[String],
    divisions: &Divisions,
) -> bool {
    let extension = source
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(format) = pii::Format::of_extension(&extension) else {
        if UNSCANNED_TABLES.contains(&extension.to_ascii_lowercase().as_str()) {
            check.warn(
                "not-scanned",
                format!(
                    "resource file `{}` is not checked for personal data: the check reads CSV, TSV, JSON, TXT and XLSX",
                    file.value.trim()
                ),
                "publish tables as CSV or XLSX so that they are checked, and de-sensitise them first (第十六条)".into(),
            );
        }
        return true;
    };
    let is_division = |code: &str| is_id_division(divisions, code);
    let rules = pii::Rules {
        is_division: &is_division,
        public_columns,
    };
    let text = file.value.trim();
    match pii::scan_file(source, format, &rules, PERSONAL_DATA_SHOWN) {
        Ok(report) if report.total == 0 => true,
        Ok(report) => {
            let mut shown: Vec<String> = report
                .findings
                .iter()
                .map(|f| {
                    let place = &f.place;
                    let sheet = place
                        .sheet
                        .as_ref()
                        .map_or(String::new(), |s| format!("sheet {s}, "));
                    let name = place
                        .column_name
                        .as_ref()
                        .map_or(String::new(), |n| format!(" ({n})"));
                    format!(
                        "{} {} at {sheet}row {}, column {}{name}",
                        f.kind.describe(),
                        f.masked,
                        place.line,
                        place.column
                    )
                })
                .collect();
            if report.total > report.findings.len() as u64 {
                shown.push(format!("{} in all", report.total));
            }
            check.error(
                "personal-data",
                file,
                format!(
                    "resource file `{text}` holds unmasked personal data: {}",
                    shown.join("; ")
                ),
                "not de-sensitised",
                "mask the values (4501**********123X, 138****5678) or leave the column out before publishing (第十六条); a column public on purpose, such as a business telephone, goes under the resource's `public_columns` with a reason".into(),
            );
            false
        }
        Err(err) => {
            check.error(
                "unreadable",
                file,
                format!("cannot check resource file `{text}` for personal data: {err}"),
                "unreadable",
                "save it as a valid file of its format, or publish it as a ZIP archive".into(),
            );
            false
        }
    }
}

/// Whether six digits may open a resident ID number: a Guangxi county code of the division
/// list (or a city's `00` code), or one under a former prefecture (地区, 4521–4531), whose
/// codes older ID numbers still carry; elsewhere, a province code, since the list holds
/// Guangxi alone.
fn is_id_division(divisions: &Divisions, code: &str) -> bool {
    if !code.starts_with("45") {
        return true;
    }
    let former_prefecture = code
        .get(2..4)
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| (21..=31).contains(&p));
    former_prefecture
        || divisions.get(code).is_some()
        || (code.ends_with("00") && divisions.get(&code[..4]).is_some())
}

fn resource_file(
    check: &mut Checker<'_>,
    file: &Spanned<String>,
    dept_dir: &Path,
) -> Option<ResourceLocation> {
    let text = file.value.trim();
    let path = Path::new(text);
    let escapes = path.is_absolute()
        || text.contains('\\')
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes || text.is_empty() {
        check.error(
            "path-escape",
            file,
            format!("resource path `{text}` leaves the department's folder"),
            "must stay inside this folder",
            "give a path relative to this record's folder without `..` or a leading `/`, e.g. files/data.csv".into(),
        );
        return None;
    }
    let full = dept_dir.join(path);
    // Every component must be a real file or folder: a symlink could point anywhere.
    let mut walk = dept_dir.to_path_buf();
    for component in path.components() {
        walk.push(component);
        if std::fs::symlink_metadata(&walk).is_ok_and(|m| m.file_type().is_symlink()) {
            check.error(
                "path-symlink",
                file,
                format!("resource path `{text}` goes through a symbolic link"),
                "symbolic link",
                "commit the file itself inside the department folder; links are not followed"
                    .into(),
            );
            return None;
        }
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ACTIVE_EXTENSIONS.contains(&extension.as_str()) {
        check.error(
            "active-content",
            file,
            format!("`{text}` is a web page or script, which would run on the portal's own site"),
            "active content",
            "publish data in a data format (CSV, XLSX, JSON, XML, PDF …), or pack pages and scripts in a ZIP archive".into(),
        );
        return None;
    }
    let canonical_dir = std::fs::canonicalize(dept_dir).ok()?;
    let canonical = match std::fs::canonicalize(&full) {
        Ok(c) if c.is_file() => c,
        _ => {
            check.error(
                "missing-file",
                file,
                format!("resource file `{text}` does not exist"),
                "no such file",
                "commit the file next to the record or correct the path (paths are case-sensitive)"
                    .into(),
            );
            return None;
        }
    };
    // A record is any YAML file directly in the department folder, however the path spells it
    // (`./x.yaml`, `files/../x.yaml`).
    if canonical.parent() == Some(canonical_dir.as_path())
        && matches!(extension.as_str(), "yaml" | "yml")
    {
        check.error(
            "path-is-record",
            file,
            format!("`{text}` is a record of this folder, not a data file"),
            "a record",
            "records are never published as files; put the data itself in a file such as files/data.csv".into(),
        );
        return None;
    }
    if !canonical.starts_with(&canonical_dir) {
        check.error(
            "path-escape",
            file,
            format!("resource path `{text}` leaves the department's folder"),
            "must stay inside this folder",
            "keep resource files inside the department's folder".into(),
        );
        return None;
    }
    let (size, sha256) = match crate::digest::hash_file(&canonical) {
        Ok(v) => v,
        Err(err) => {
            check.error(
                "unreadable",
                file,
                format!("cannot read resource file `{text}`: {err}"),
                "unreadable",
                "check the file's permissions".into(),
            );
            return None;
        }
    };
    if MARKUP_EXTENSIONS.contains(&extension.as_str()) && markup_is_active(&canonical) {
        check.error(
            "active-content",
            file,
            format!("`{text}` carries script, a stylesheet or XHTML, which a browser would run"),
            "active content",
            "publish plain XML data without <script>, <?xml-stylesheet?> or the XHTML namespace, or pack it in a ZIP archive".into(),
        );
        return None;
    }
    let relative = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/");
    Some(ResourceLocation::File {
        relative,
        source: canonical,
        size,
        sha256,
    })
}

/// Longest 数据摘要 accepted, in characters: an abstract, not a document (and a bound on
/// Markdown rendering work, whose worst cases grow faster than the text).
const MAX_SUMMARY_CHARS: usize = 10_000;

/// File types a browser runs when served from the portal's own address.
const ACTIVE_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "js", "mjs", "swf", "xsl", "xslt",
];

/// XML-based formats that browsers may render (and run script in) when served as `+xml`.
const MARKUP_EXTENSIONS: &[&str] = &[
    "xml", "kml", "gml", "gpx", "rss", "atom", "rdf", "owl", "xsd", "wsdl", "mathml",
];

/// Whether a markup file holds something a browser would run or render as a page: script,
/// event handlers, a stylesheet, or the XHTML, SVG or MathML namespaces. Reads in chunks and
/// honours a UTF-16 byte-order mark, so neither size nor encoding hides it.
fn markup_is_active(path: &Path) -> bool {
    use std::io::Read;
    const NEEDLES: &[&str] = &[
        "<script",
        "xml-stylesheet",
        "http://www.w3.org/1999/xhtml",
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1998/math/mathml",
        "javascript:",
        "<svg",
        "<html",
        "<iframe",
        "onload=",
        "onerror=",
        "onclick=",
        "onmouseover=",
        "onfocus=",
        "onbegin=",
        "onanimationstart=",
    ];
    let Ok(matcher) = aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(NEEDLES)
    else {
        return true;
    };
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut chunk = vec![0u8; 1 << 20];
    let mut decoder: Option<encoding_rs::Decoder> = None;
    let mut tail = String::new();
    loop {
        let n = match file.read(&mut chunk) {
            Ok(n) => n,
            Err(_) => return true,
        };
        let decoder = decoder.get_or_insert_with(|| {
            encoding_rs::Encoding::for_bom(&chunk[..n])
                .map_or(encoding_rs::UTF_8, |(encoding, _)| encoding)
                .new_decoder_with_bom_removal()
        });
        let mut text = std::mem::take(&mut tail);
        text.reserve(n * 2 + 16);
        let _ = decoder.decode_to_string(&chunk[..n], &mut text, n == 0);
        if matcher.is_match(&text) {
            return true;
        }
        if n == 0 {
            return false;
        }
        // Keep the end, so a needle across two chunks is still seen.
        let keep = text.char_indices().rev().nth(40).map_or(0, |(i, _)| i);
        tail = text[keep..].to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_pass() {
        assert!(is_http_url("https://data.example.gov.cn/a.csv"));
        assert!(is_http_url("http://example.com"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("ftp://example.com/a"));
        assert!(!is_http_url("file:///etc/passwd"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://exa mple.com"));
    }

    #[test]
    fn slug_hint_makes_a_slug() {
        assert_eq!(slug_hint("Bus Stops 2024"), "bus-stops-2024");
        assert_eq!(slug_hint("公交站点"), "bus-stops");
    }
}
