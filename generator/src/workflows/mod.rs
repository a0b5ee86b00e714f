//! The regulation's workflows kept as records beside the catalog (`content/takedowns/`,
//! `content/notices/`, `content/applications/`): each kind is loaded, validated into the model, and cross-checked
//! against the catalog here; policy and render read only the valid result.

pub mod applications;
pub mod notices;
pub mod takedowns;

use std::path::{Path, PathBuf};

use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, display_path, parse_file};

/// The folders under the content folder that hold workflow records, which the daemon takes
/// from the platform's own repository (not from department drops).
pub const FOLDERS: &[&str] = &[takedowns::FOLDER, notices::FOLDER, applications::FOLDER];

/// A workflow record file that did not parse: its path, and its text when it could be read.
#[derive(Debug)]
pub struct Unparsed {
    /// Path as a user reads it: the content folder as given, then the path below it.
    pub rel: String,
    /// The file's text, when it was readable UTF-8.
    pub source: Option<String>,
}

/// Reads every `*.yaml` record under `content/<folder>/` (subfolders too), sorted by path.
/// Parse failures become diagnostics and [`Unparsed`] entries; a record's id is its file
/// name, which must be a slug and unique within the kind.
pub(crate) fn load_kind<T: for<'de> serde::Deserialize<'de>>(
    content: &Path,
    folder: &str,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<(String, Loaded<T>)>, Vec<Unparsed>) {
    let dir = content.join(folder);
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .min_depth(1)
        .max_depth(3)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let mut loaded = Vec::new();
    let mut unparsed = Vec::new();
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    for path in files {
        let rel = display_path(content, &path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let Some(stem) = name.strip_suffix(".yaml") else {
            diagnostics.push(
                Diagnostic::warning(
                    "not-a-record",
                    &rel,
                    format!("`{name}` is not read: records in {folder}/ end in `.yaml`"),
                )
                .help("rename it to end in `.yaml`, or move it out of the folder"),
            );
            continue;
        };
        if !crate::model::is_slug(stem) {
            diagnostics.push(
                Diagnostic::error(
                    "bad-id",
                    &rel,
                    format!("the file name `{stem}` is not a valid record id"),
                )
                .help("name the file with lowercase letters, digits and hyphens, e.g. `2026-001.yaml`"),
            );
            unparsed.push(Unparsed {
                source: std::fs::read_to_string(&path).ok(),
                rel,
            });
            continue;
        }
        if let Some(first) = seen.insert(stem.to_string(), rel.clone()) {
            diagnostics.push(
                Diagnostic::error(
                    "duplicate-id",
                    &rel,
                    format!("the id `{stem}` is already used by {first}"),
                )
                .help("give each record its own file name"),
            );
            unparsed.push(Unparsed {
                source: std::fs::read_to_string(&path).ok(),
                rel,
            });
            continue;
        }
        match parse_file::<T>(&path, rel.clone(), limits) {
            Ok(record) => loaded.push((stem.to_string(), record)),
            Err(diagnostic) => {
                diagnostics.push(*diagnostic);
                // Never follow a link to read it.
                let source = std::fs::symlink_metadata(&path)
                    .ok()
                    .filter(|m| m.is_file())
                    .and_then(|_| std::fs::read_to_string(&path).ok());
                unparsed.push(Unparsed { rel, source });
            }
        }
    }
    (loaded, unparsed)
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
