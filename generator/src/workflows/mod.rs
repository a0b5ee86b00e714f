//! The regulation's workflows kept as records beside the catalog (`content/takedowns/`,
//! `content/notices/`, `content/applications/`, `content/apps/`, `content/demands/`): each
//! kind is loaded,
//! validated into the model, and cross-checked against the catalog here; policy and render
//! read only the valid result.

pub mod applications;
pub mod demands;
pub mod notices;
pub mod plans;
pub mod showcase;
pub mod takedowns;

use std::path::{Path, PathBuf};

use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, display_path, parse_file};

/// The folders under the content folder that hold workflow records, which the daemon takes
/// from the platform's own repository (not from department drops).
pub const FOLDERS: &[&str] = &[
    takedowns::FOLDER,
    notices::FOLDER,
    applications::FOLDER,
    showcase::FOLDER,
    demands::FOLDER,
    plans::FOLDER,
];

/// A workflow record file that did not parse: its path, and its text when it could be read.
#[derive(Debug)]
pub struct Unparsed {
    /// Path as a user reads it: the content folder as given, then the path below it.
    pub rel: String,
    /// The file's text, when it was readable UTF-8.
    pub source: Option<String>,
}

/// Reads every record under `content/<folder>/` (subfolders too, at any depth), sorted by
/// path: `*.yaml` and `*.yml` files. Parse failures become diagnostics and [`Unparsed`]
/// entries; so do files of any other name, with a warning, so that a kind that must fail
/// closed (takedowns) can still read them. A folder that cannot be read is an error. A
/// record's id is its file name, which must be a slug and unique within the kind.
pub(crate) fn load_kind<T: for<'de> serde::Deserialize<'de>>(
    content: &Path,
    folder: &str,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<(String, Loaded<T>)>, Vec<Unparsed>) {
    load_records(content, folder, RecordKey::FileName, limits, diagnostics)
}

/// What identifies a record of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordKey {
    /// Its file name, unique within the kind whatever the subfolder.
    FileName,
    /// Its path below the kind's folder (`2025/nn-jtysj`), each part a slug.
    Path,
}

/// As [`load_kind`], with the records identified by `key`.
pub(crate) fn load_records<T: for<'de> serde::Deserialize<'de>>(
    content: &Path,
    folder: &str,
    key: RecordKey,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<(String, Loaded<T>)>, Vec<Unparsed>) {
    let dir = content.join(folder);
    let mut files: Vec<PathBuf> = Vec::new();
    if std::fs::symlink_metadata(&dir).is_err() {
        return (Vec::new(), Vec::new());
    }
    for entry in walkdir::WalkDir::new(&dir).min_depth(1).follow_links(false) {
        match entry {
            Ok(entry) if !entry.file_type().is_dir() => files.push(entry.into_path()),
            Ok(_) => {}
            Err(err) => {
                let path = err.path().unwrap_or(&dir).to_path_buf();
                diagnostics.push(
                    Diagnostic::error(
                        "unreadable",
                        display_path(content, &path),
                        format!("cannot read this part of {folder}/: {err}"),
                    )
                    .help("make the folder readable to the user that builds the site"),
                );
            }
        }
    }
    files.sort();
    let mut loaded = Vec::new();
    let mut unparsed = Vec::new();
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    // Never follow a link to read it.
    let text_of = |path: &Path| {
        std::fs::symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| std::fs::read_to_string(path).ok())
    };
    for path in files {
        let rel = display_path(content, &path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let Some(stem) = name
            .strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
        else {
            diagnostics.push(
                Diagnostic::warning(
                    "not-a-record",
                    &rel,
                    format!(
                        "`{name}` is not read as a record: records in {folder}/ end in `.yaml`"
                    ),
                )
                .help("rename it to end in `.yaml`, or move it out of the folder"),
            );
            unparsed.push(Unparsed {
                source: text_of(&path),
                rel,
            });
            continue;
        };
        let id = match key {
            RecordKey::FileName => stem.to_string(),
            RecordKey::Path => {
                let parent = path
                    .parent()
                    .and_then(|p| p.strip_prefix(&dir).ok())
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                if parent.is_empty() {
                    stem.to_string()
                } else {
                    format!("{parent}/{stem}")
                }
            }
        };
        let problem = if !id.split('/').all(crate::model::is_slug) {
            Some(
                Diagnostic::error(
                    "bad-id",
                    &rel,
                    format!("`{id}` is not a valid record id"),
                )
                .help("name the file with lowercase letters, digits and hyphens, e.g. `2026-001.yaml`"),
            )
        } else {
            seen.insert(id.clone(), rel.clone()).map(|first| {
                Diagnostic::error(
                    "duplicate-id",
                    &rel,
                    format!("the id `{id}` is already used by {first}"),
                )
                .help("give each record its own file name")
            })
        };
        if let Some(problem) = problem {
            diagnostics.push(problem);
            unparsed.push(Unparsed {
                source: text_of(&path),
                rel,
            });
            continue;
        }
        match parse_file::<T>(&path, rel.clone(), limits) {
            Ok(record) => loaded.push((id, record)),
            Err(diagnostic) => {
                diagnostics.push(*diagnostic);
                unparsed.push(Unparsed {
                    source: text_of(&path),
                    rel,
                });
            }
        }
    }
    (loaded, unparsed)
}

/// Checks each loaded record with `check_one` and keeps what it makes of the valid ones: a
/// record with an error is left out, and every finding goes to `diagnostics`. `today`, when
/// known, is the latest date a record may carry.
pub(crate) fn check_each<T, R>(
    loaded: &[(String, Loaded<T>)],
    today: Option<chrono::NaiveDate>,
    diagnostics: &mut Vec<Diagnostic>,
    mut check_one: impl FnMut(&mut crate::validate::Checker<'_>, &str, &Loaded<T>) -> Option<R>,
) -> Vec<R> {
    let mut kept = Vec::new();
    for (id, record) in loaded {
        let mut check = crate::validate::Checker::new(&record.rel, &record.source, today);
        let made = check_one(&mut check, id, record);
        let errors = check.has_errors();
        diagnostics.append(&mut check.found);
        if let Some(made) = made.filter(|_| !errors) {
            kept.push(made);
        }
    }
    kept
}

/// Reads a record's date and time (`YYYY-MM-DD HH:MM`, China Standard Time), with an error
/// where it is not one. A time that may lie ahead (a maintenance window) is read with this.
pub(crate) fn read_time(
    check: &mut crate::validate::Checker<'_>,
    key: &str,
    value: &crate::load::Text,
) -> Option<chrono::NaiveDateTime> {
    let parsed = parse_time(&value.value);
    if parsed.is_none() {
        check.error(
            "bad-time",
            value,
            format!("`{}` is not a date and time", value.value.trim()),
            "expected YYYY-MM-DD HH:MM",
            format!("write `{key}` as `2026-12-05 22:00` (China time)"),
        );
    }
    parsed
}

/// As [`read_time`], for a time that already happened: not after the latest date a record
/// may carry.
pub(crate) fn checked_time(
    check: &mut crate::validate::Checker<'_>,
    key: &str,
    value: &crate::load::Text,
) -> Option<chrono::NaiveDateTime> {
    let parsed = read_time(check, key, value)?;
    if check.today().is_some_and(|today| parsed.date() > today) {
        check.error(
            "future-date",
            value,
            format!("`{key}` {parsed} is in the future"),
            "after today",
            "a record states what already happened; check the date".into(),
        );
    }
    Some(parsed)
}

/// The error for a record naming a dataset the catalog does not have, suggesting the
/// nearest id.
pub(crate) fn unknown_dataset<'a>(
    check: &mut crate::validate::Checker<'_>,
    value: &crate::load::Text,
    ids: impl IntoIterator<Item = &'a str>,
) {
    let id = value.value.trim();
    let help = match crate::diagnostics::nearest(id, ids) {
        Some(near) => format!("did you mean `{near}`? name a dataset id of the catalog"),
        None => "name the id of a dataset in content/departments/".into(),
    };
    check.error(
        "unknown-dataset",
        value,
        format!("no dataset has the id `{id}`"),
        "not a dataset of the catalog",
        help,
    );
}

/// The date and time a record writes as `YYYY-MM-DD HH:MM` (China Standard Time).
pub(crate) fn parse_time(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_to_the_minute() {
        let t = parse_time(" 2026-12-05 22:00 ").unwrap();
        assert_eq!(t.to_string(), "2026-12-05 22:00:00");
        assert!(parse_time("2026-12-05T22:00").is_some());
        assert!(parse_time("2026-12-05").is_none());
        assert!(parse_time("2026-13-05 22:00").is_none());
    }
}
