//! Taking in department drop folders: what is safe to read, what validates, what stays out.
//!
//! Each department copies its records into `<drops>/<code>/`. A cycle:
//! 1. scans every drop folder without following links: symbolic links, hard links to other
//!    files, FIFOs, sockets and devices are refused; editor and transfer leftovers (`*.partial`,
//!    `*.tmp`, `*.swp`, `*~`, `.#*`, dot files) and `_report.json` are ignored;
//! 2. keeps only files whose size and mtime did not change over the settle time;
//! 3. builds a candidate catalog: the accepted catalog with each dropped department's folder
//!    replaced by its drop (files not yet settled or refused keep their accepted version);
//! 4. validates the candidate with the generator; a file with an error gets its last accepted
//!    version back (or is left out if it never had one), so a bad edit never takes a published
//!    dataset down, and a record cannot take another department's id;
//! 5. makes the candidate the accepted catalog, and writes `<drops>/<code>/_report.json` with
//!    every rejected file, why, where, and how to fix it. A fixed file clears its entry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use generator::config::SiteConfig;
use generator::divisions::Divisions;
use serde::Serialize;

/// The report file written into each drop folder.
pub const REPORT: &str = "_report.json";

/// Why a cycle could not run.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One rejected file in a department's report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// Path inside the drop folder.
    pub file: String,
    /// Machine-readable reason (`symlink`, `hard-link`, `not-a-file`, `unsettled`, or a
    /// diagnostic code such as `unknown-key`).
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// Line, from 1, when known.
    pub line: Option<usize>,
    /// Column, from 1, when known.
    pub column: Option<usize>,
    /// How to fix it.
    pub help: Option<String>,
    /// Whether the last accepted version of the file stays published.
    pub previous_kept: bool,
}

/// `<drops>/<code>/_report.json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct DepartmentReport {
    /// Department code (the drop folder's name).
    pub department: String,
    /// Files accepted into the catalog.
    pub accepted: usize,
    /// Files kept out, with the reason.
    pub rejected: Vec<Rejected>,
}

/// What a cycle did.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    /// Whether the accepted catalog changed.
    pub changed: bool,
    /// Per department.
    pub reports: BTreeMap<String, DepartmentReport>,
}

/// Where things are.
#[derive(Debug, Clone)]
pub struct Folders {
    /// Drop root.
    pub drops: PathBuf,
    /// The accepted catalog (a content folder: `departments/`, `pages/`).
    pub accepted: PathBuf,
    /// Scratch space for the candidate.
    pub scratch: PathBuf,
}

fn ignored(name: &str) -> bool {
    name == REPORT
        || name.starts_with('.')
        || name.ends_with('~')
        || [".partial", ".tmp", ".swp", ".swx"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// A file seen in a drop folder.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
}

/// Scans one drop folder: readable files by relative path, and refusals.
fn scan(dir: &Path) -> (BTreeMap<String, Seen>, Vec<Rejected>) {
    let mut files = BTreeMap::new();
    let mut refused = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !ignored(&e.file_name().to_string_lossy()));
    for entry in walker.filter_map(|e| e.ok()) {
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let refuse = |code: &str, message: &str| Rejected {
            file: rel.clone(),
            code: code.into(),
            message: message.into(),
            line: None,
            column: None,
            help: Some("copy the file itself into the drop folder".into()),
            previous_kept: false,
        };
        let kind = entry.file_type();
        if kind.is_symlink() {
            refused.push(refuse("symlink", "symbolic links are not followed"));
        } else if kind.is_dir() {
            continue;
        } else if !kind.is_file() {
            refused.push(refuse(
                "not-a-file",
                "not a regular file (FIFO, socket or device)",
            ));
        } else if let Ok(meta) = entry.metadata() {
            if hard_links(&meta) > 1 {
                refused.push(refuse("hard-link", "a hard link to another file"));
            } else {
                files.insert(
                    rel,
                    Seen {
                        size: meta.len(),
                        modified: meta.modified().ok(),
                    },
                );
            }
        }
    }
    (files, refused)
}

#[cfg(unix)]
fn hard_links(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn hard_links(_meta: &std::fs::Metadata) -> u64 {
    1
}

/// Replaces `to` with a copy of `from` (never writing through a shared inode).
fn copy_file(from: &Path, to: &Path) -> Result<(), IngestError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let _ = std::fs::remove_file(to);
    std::fs::copy(from, to).map_err(io_error(to))?;
    Ok(())
}

/// Copies the files and folders of `from` into `to` (links are not followed).
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), IngestError> {
    for entry in walkdir::WalkDir::new(from).min_depth(1).follow_links(false) {
        let entry = entry.map_err(|e| IngestError::Io {
            path: from.to_path_buf(),
            source: e.into(),
        })?;
        let target = to.join(entry.path().strip_prefix(from).unwrap_or(entry.path()));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(io_error(&target))?;
        } else if entry.file_type().is_file() {
            copy_file(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Every file under `root`, relative, with its bytes.
pub fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap_or(e.path());
            (
                rel.to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

/// Makes `candidate` the accepted catalog. `accepted` is a symbolic link to a versioned
/// folder (`content.<n>`), switched with rename(2): killed at any instant, the accepted catalog
/// is the old one or the new one, whole. Unused versions are removed.
pub fn accept(candidate: &Path, accepted: &Path) -> Result<(), IngestError> {
    let parent = accepted.parent().unwrap_or(Path::new("."));
    let stem = accepted
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let versions = |parent: &Path| -> Vec<(u64, PathBuf)> {
        std::fs::read_dir(parent)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name.strip_prefix(&format!("{stem}."))?.parse().ok()?;
                Some((n, e.path()))
            })
            .collect()
    };
    let next = versions(parent).iter().map(|v| v.0).max().unwrap_or(0) + 1;
    let target = parent.join(format!("{stem}.{next}"));
    std::fs::rename(candidate, &target).map_err(io_error(&target))?;
    sync(&target);
    // A first run's real folder becomes a version, so the link can replace it.
    if accepted.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        let first = parent.join(format!("{stem}.0"));
        std::fs::rename(accepted, &first).map_err(io_error(accepted))?;
    }
    let link = parent.join(format!("{stem}.link"));
    let _ = std::fs::remove_file(&link);
    symlink(Path::new(&format!("{stem}.{next}")), &link).map_err(io_error(&link))?;
    std::fs::rename(&link, accepted).map_err(io_error(accepted))?;
    sync(parent);
    for (n, path) in versions(parent) {
        if n != next {
            let _ = std::fs::remove_dir_all(path);
        }
    }
    Ok(())
}

fn sync(path: &Path) {
    if let Ok(dir) = std::fs::File::open(path) {
        let _ = dir.sync_all();
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "the daemon needs symbolic links (Unix)",
    ))
}

/// Every file in the drop folders that a cycle would look at, with its size and mtime: a
/// watcher's event leads to a cycle only when this changed (reading files, and writing the
/// reports, cause events too).
pub fn drops_fingerprint(drops: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(drops)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !ignored(&e.file_name().to_string_lossy()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let meta = e.path().symlink_metadata().ok()?;
            Some((e.into_path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

/// Runs one cycle (see the module documentation).
pub fn ingest(
    folders: &Folders,
    config: &SiteConfig,
    divisions: &Divisions,
    settle: Duration,
) -> Result<Ingested, IngestError> {
    for dir in [
        folders.accepted.join("departments"),
        folders.accepted.join("pages"),
        folders.drops.clone(),
    ] {
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    }
    let mut departments: Vec<String> = std::fs::read_dir(&folders.drops)
        .map_err(io_error(&folders.drops))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !ignored(name))
        .collect();
    departments.sort();

    // Two looks, `settle` apart: only files that did not change are read.
    let first: BTreeMap<&str, _> = departments
        .iter()
        .map(|d| (d.as_str(), scan(&folders.drops.join(d))))
        .collect();
    std::thread::sleep(settle);
    let mut reports: BTreeMap<String, DepartmentReport> = BTreeMap::new();
    let candidate = &folders.scratch;
    let _ = std::fs::remove_dir_all(candidate);
    copy_tree(&folders.accepted, candidate)?;
    std::fs::create_dir_all(candidate.join("departments")).map_err(io_error(candidate))?;
    for department in &departments {
        let drop = folders.drops.join(department);
        let (now, refused) = scan(&drop);
        let (before, _) = &first[department.as_str()];
        let target = candidate.join("departments").join(department);
        let accepted = folders.accepted.join("departments").join(department);
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(&target).map_err(io_error(&target))?;
        let mut report = DepartmentReport {
            department: department.clone(),
            ..DepartmentReport::default()
        };
        for (rel, seen) in &now {
            if before.get(rel) == Some(seen) {
                copy_file(&drop.join(rel), &target.join(rel))?;
                report.accepted += 1;
            } else {
                let kept = accepted.join(rel).is_file();
                if kept {
                    copy_file(&accepted.join(rel), &target.join(rel))?;
                }
                report.rejected.push(Rejected {
                    file: rel.clone(),
                    code: "unsettled".into(),
                    message: "the file was still changing; it is read once it stays the same"
                        .into(),
                    line: None,
                    column: None,
                    help: Some("write to a temporary name (*.partial) and rename when done".into()),
                    previous_kept: kept,
                });
            }
        }
        for mut refusal in refused {
            refusal.previous_kept = accepted.join(&refusal.file).is_file();
            if refusal.previous_kept {
                copy_file(&accepted.join(&refusal.file), &target.join(&refusal.file))?;
            }
            report.rejected.push(refusal);
        }
        reports.insert(department.clone(), report);
    }

    // Validate; a file with an error gets its accepted version back. Restoring can surface a
    // conflict elsewhere (two departments, one id), so repeat a few times.
    for _ in 0..4 {
        let checked = generator::check(candidate, config, divisions, None);
        let mut bad: BTreeSet<String> = BTreeSet::new();
        for diagnostic in checked.diagnostics.iter().filter(|d| d.is_error()) {
            // Diagnostics name files as the generator displays them; find the part inside
            // the content folder.
            let Some(start) = diagnostic.file.find("departments/") else {
                continue;
            };
            let relative = diagnostic.file[start..].to_string();
            let Some((department, file)) = relative["departments/".len()..].split_once('/') else {
                continue;
            };
            if bad.contains(&relative) {
                continue;
            }
            let accepted_version = folders.accepted.join(&relative);
            let accepted_bytes = std::fs::read(&accepted_version).ok();
            let candidate_bytes = std::fs::read(candidate.join(&relative)).ok();
            // An unchanged record whose id another department's new record took stays, and
            // the newcomer goes.
            if diagnostic.code == "duplicate-id"
                && accepted_bytes.is_some()
                && accepted_bytes == candidate_bytes
            {
                continue;
            }
            bad.insert(relative.clone());
            let restored = accepted_bytes.is_some() && accepted_bytes != candidate_bytes;
            if restored {
                copy_file(&accepted_version, &candidate.join(&relative))?;
            } else if accepted_bytes.is_none() {
                let _ = std::fs::remove_file(candidate.join(&relative));
            }
            if let Some(report) = reports.get_mut(department) {
                report.accepted = report.accepted.saturating_sub(1);
                report.rejected.push(Rejected {
                    file: file.to_string(),
                    code: diagnostic.code.to_string(),
                    message: diagnostic.message.clone(),
                    line: diagnostic.location.as_ref().map(|l| l.line),
                    column: diagnostic.location.as_ref().map(|l| l.column),
                    help: diagnostic.help.clone(),
                    previous_kept: restored,
                });
            }
        }
        if bad.is_empty() {
            break;
        }
    }

    let changed = snapshot(candidate) != snapshot(&folders.accepted);
    if changed {
        accept(candidate, &folders.accepted)?;
    } else {
        let _ = std::fs::remove_dir_all(candidate);
    }
    for (department, report) in &mut reports {
        report
            .rejected
            .sort_by(|a, b| (&a.file, &a.code).cmp(&(&b.file, &b.code)));
        report
            .rejected
            .dedup_by(|a, b| a.file == b.file && a.code == b.code);
        let path = folders.drops.join(department).join(REPORT);
        let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
        text.push('\n');
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            let tmp = path.with_file_name(".report.json.tmp");
            std::fs::write(&tmp, &text).map_err(io_error(&tmp))?;
            std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
        }
    }
    Ok(Ingested { changed, reports })
}
