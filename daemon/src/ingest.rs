//! Taking in department drop folders: what is safe to read, what validates, what stays out.
//!
//! Each department copies its records into `<drops>/<code>/`. A cycle:
//! 1. scans every drop folder without following links: symbolic links, hard links to other
//!    files, FIFOs, sockets and devices are refused; editor and transfer leftovers (`*.partial`,
//!    `*.tmp`, `*.swp`, `*~`, `.#*`, dot files) and `_report.json` are ignored;
//! 2. picks the departments whose drop changed since the last cycle (by size and mtime), and
//!    keeps only files whose size and mtime did not change over the settle time;
//! 3. saves each picked department's accepted folder (hard links into `<scratch>/<code>/`),
//!    then brings the accepted folder to the drop: changed files are copied in (replacing by
//!    rename), deleted ones removed; files not yet settled or refused keep their accepted
//!    version;
//! 4. validates the accepted catalog with the generator, reading again only the picked
//!    departments; a file with an error gets its saved version back (or goes, if it never had
//!    one), so a bad edit never takes a published dataset down, and a record cannot take
//!    another department's id;
//! 5. drops the saved folders, and writes `<drops>/<code>/_report.json` with every rejected
//!    file, why, where, and how to fix it. A fixed file clears its entry.
//!
//! Killed at any instant, the next cycle first puts every saved folder back in place of its
//! half-updated accepted folder, so each department's accepted records are always a set that
//! validated together.

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
#[derive(Debug, Default)]
pub struct Ingested {
    /// Whether the accepted catalog changed.
    pub changed: bool,
    /// Per department.
    pub reports: BTreeMap<String, DepartmentReport>,
    /// The check of the accepted catalog, when the cycle ran one.
    pub checked: Option<generator::Checked>,
}

/// What ingest remembers between cycles, so a cycle reads only the departments that changed.
#[derive(Debug, Default)]
pub struct IngestState {
    /// Per department: its drop as the last cycle that processed it saw it.
    seen: BTreeMap<String, BTreeMap<String, Seen>>,
    /// Per department: its last report.
    reports: BTreeMap<String, DepartmentReport>,
    /// The generator's per-department results for the accepted catalog.
    cache: generator::CheckCache,
}

/// Where things are.
#[derive(Debug, Clone)]
pub struct Folders {
    /// Drop root.
    pub drops: PathBuf,
    /// The accepted catalog (a content folder: `departments/`, `pages/`).
    pub accepted: PathBuf,
    /// Where a cycle saves the accepted folders of the departments it updates.
    pub scratch: PathBuf,
    /// The platform's own records: the folder holding `takedowns/` and `notices/` (the
    /// operator's content folder, or the git checkout), copied into the accepted catalog
    /// each cycle. `None` leaves the accepted catalog's own copies as they are.
    pub platform: Option<PathBuf>,
}

impl Folders {
    /// The folders of the platform's records that the daemon watches and copies.
    pub fn platform_folders(&self) -> Vec<PathBuf> {
        self.platform.as_ref().map_or_else(Vec::new, |root| {
            generator::workflows::FOLDERS
                .iter()
                .map(|f| root.join(f))
                .collect()
        })
    }

    /// A file that exists while the accepted catalog holds changes not yet published: ingest
    /// makes it before it lets go of the saved folders, and the daemon removes it once a
    /// release built from the accepted catalog is live. A restart after a kill -9 in between
    /// still publishes.
    pub fn unpublished(&self) -> PathBuf {
        self.scratch.with_file_name("unpublished")
    }
}

/// Whether a file or folder name in a drop is ignored (transfer and editor leftovers, dot
/// files, reports).
pub fn ignored(name: &str) -> bool {
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
    /// Inode and change time (which no tool sets back): with them unchanged, so are the bytes.
    #[cfg(unix)]
    identity: (u64, i64, i64),
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
                #[cfg(unix)]
                let identity = {
                    use std::os::unix::fs::MetadataExt;
                    (meta.ino(), meta.ctime(), meta.ctime_nsec())
                };
                files.insert(
                    rel,
                    Seen {
                        size: meta.len(),
                        modified: meta.modified().ok(),
                        #[cfg(unix)]
                        identity,
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
    mirror_tree(from, to, copy_file)
}

/// Recreates the folders of `from` in `to` and puts each regular file there with `place`
/// (links, FIFOs and devices are left behind).
fn mirror_tree(
    from: &Path,
    to: &Path,
    place: impl Fn(&Path, &Path) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    std::fs::create_dir_all(to).map_err(io_error(to))?;
    for entry in walkdir::WalkDir::new(from).min_depth(1).follow_links(false) {
        let entry = entry.map_err(|e| IngestError::Io {
            path: from.to_path_buf(),
            source: e.into(),
        })?;
        let target = to.join(entry.path().strip_prefix(from).unwrap_or(entry.path()));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(io_error(&target))?;
        } else if entry.file_type().is_file() {
            place(entry.path(), &target)?;
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

fn sync(path: &Path) {
    if let Ok(dir) = std::fs::File::open(path) {
        let _ = dir.sync_all();
    }
}

impl IngestState {
    /// Checks the accepted catalog, reading only what the last check did not.
    pub fn check(
        &mut self,
        folders: &Folders,
        config: &SiteConfig,
        divisions: &Divisions,
        today: Option<chrono::NaiveDate>,
    ) -> generator::Checked {
        generator::check_cached(
            &folders.accepted,
            config,
            divisions,
            today,
            &mut self.cache,
            Some(&BTreeSet::new()),
        )
    }
}

/// Puts back every department folder saved by a cycle that did not finish.
fn restore_saved(folders: &Folders) -> Result<bool, IngestError> {
    let Ok(entries) = std::fs::read_dir(&folders.scratch) else {
        return Ok(false);
    };
    let mut restored = false;
    for entry in entries.filter_map(|e| e.ok()) {
        let saved = entry.path();
        // A save that did not finish, or one being dropped: the accepted folder was not
        // touched yet, or is final.
        if entry.file_name().to_string_lossy().starts_with('.') {
            let _ = std::fs::remove_dir_all(&saved);
            continue;
        }
        let target = folders.accepted.join("departments").join(entry.file_name());
        let _ = std::fs::remove_dir_all(&target);
        if std::fs::read_dir(&saved).is_ok_and(|mut d| d.next().is_some()) {
            std::fs::rename(&saved, &target).map_err(io_error(&target))?;
        } else {
            let _ = std::fs::remove_dir_all(&saved);
        }
        restored = true;
    }
    Ok(restored)
}

/// Mirrors the folders of `from` into `to` and hard-links its files (both are the daemon's
/// own state; files there are only ever replaced by rename, never written in place).
fn link_tree(from: &Path, to: &Path) -> Result<(), IngestError> {
    mirror_tree(from, to, |file, target| {
        std::fs::hard_link(file, target).map_err(io_error(target))
    })
}

/// Replaces `to` with a copy of `from`, beside and renamed, so a saved hard link to the old
/// file keeps the old bytes.
fn replace_file(from: &Path, to: &Path) -> Result<(), IngestError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let tmp = to.with_file_name(format!(
        ".{}.incoming",
        to.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::copy(from, &tmp).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, to).map_err(io_error(to))?;
    Ok(())
}

/// Whether two paths hold the same bytes (both missing counts as the same).
fn same_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                if ma.ino() == mb.ino() && ma.dev() == mb.dev() {
                    return true;
                }
            }
            ma.len() == mb.len() && std::fs::read(a).ok() == std::fs::read(b).ok()
        }
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

fn unsettled(rel: &str, kept: bool) -> Rejected {
    Rejected {
        file: rel.to_string(),
        code: "unsettled".into(),
        message: "the file was still changing; it is read once it stays the same".into(),
        line: None,
        column: None,
        help: Some("write to a temporary name (*.partial) and rename when done".into()),
        previous_kept: kept,
    }
}

/// What a file-system watcher saw since the last cycle.
#[derive(Debug, Default, Clone)]
pub struct Watched {
    /// The departments it saw change; `None` when unknown (a full look is the safety net).
    pub departments: Option<BTreeSet<String>>,
    /// Files (`<department>/<path>`) whose last event was their writer closing them, or
    /// their move into place: complete, so they need not stay the same for the settle time.
    pub complete: BTreeSet<String>,
}

/// Runs one cycle (see the module documentation). `today` is the latest date a record may
/// carry. `watched.departments`, when known, names the departments a file-system watcher
/// saw change; the others are taken as they were. When every changed file is in
/// `watched.complete`, the second look follows the first at once.
pub fn ingest(
    folders: &Folders,
    config: &SiteConfig,
    divisions: &Divisions,
    settle: Duration,
    today: Option<chrono::NaiveDate>,
    watched: &Watched,
    state: &mut IngestState,
) -> Result<Ingested, IngestError> {
    let hint = watched.departments.as_ref();
    for dir in [
        folders.accepted.join("departments"),
        folders.accepted.join("pages"),
        folders.drops.clone(),
        folders.scratch.clone(),
    ] {
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    }
    if restore_saved(folders)? {
        state.cache.clear();
        state.seen.clear();
    }
    // The platform's records (takedowns above all) are few: compared every cycle.
    let platform_changed = sync_platform(folders)?;
    if platform_changed {
        let marker = folders.unpublished();
        std::fs::write(&marker, b"").map_err(io_error(&marker))?;
        sync(marker.parent().unwrap_or(Path::new(".")));
    }
    let mut departments: Vec<String> = std::fs::read_dir(&folders.drops)
        .map_err(io_error(&folders.drops))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !ignored(name))
        .collect();
    departments.sort();

    // Departments whose drop changed since it was last processed; with any, also those still
    // holding rejected files (a conflict elsewhere may have gone). With a hint, only the
    // departments it names (and new ones, and those holding rejected files) are looked at.
    let look = |d: &String| {
        hint.is_none_or(|h| h.contains(d))
            || !state.seen.contains_key(d)
            || state.reports.get(d).is_some_and(|r| !r.rejected.is_empty())
    };
    let first: BTreeMap<String, (BTreeMap<String, Seen>, Vec<Rejected>)> = departments
        .iter()
        .filter(|d| look(d))
        .map(|d| (d.clone(), scan(&folders.drops.join(d))))
        .collect();
    let mut picked: BTreeSet<String> = first
        .iter()
        .filter(|(d, (files, refused))| {
            state.seen.get(*d) != Some(files)
                || !refused.is_empty() && !state.reports.contains_key(*d)
        })
        .map(|(d, _)| d.clone())
        .collect();
    // A file that was still changing gets another look even when nothing else moved.
    picked.extend(
        state
            .reports
            .iter()
            .filter(|(d, r)| {
                first.contains_key(*d) && r.rejected.iter().any(|x| x.code == "unsettled")
            })
            .map(|(d, _)| d.clone()),
    );
    if !picked.is_empty() {
        picked.extend(
            state
                .reports
                .iter()
                .filter(|(d, r)| !r.rejected.is_empty() && first.contains_key(*d))
                .map(|(d, _)| d.clone()),
        );
    }
    state
        .reports
        .retain(|d, _| departments.binary_search(d).is_ok());
    if picked.is_empty() {
        return Ok(Ingested {
            changed: platform_changed,
            reports: state.reports.clone(),
            checked: None,
        });
    }

    // Two looks, `settle` apart: only files that did not change are read. A file its writer
    // closed, or that was moved into place, is complete: when every changed file is, the
    // second look only confirms the first.
    let waiting = picked.iter().any(|d| {
        let last = state.seen.get(d);
        first[d].0.iter().any(|(rel, seen)| {
            last.and_then(|l| l.get(rel)) != Some(seen)
                && !watched.complete.contains(&format!("{d}/{rel}"))
        })
    });
    if waiting {
        std::thread::sleep(settle);
    }
    let accepted_root = folders.accepted.join("departments");
    let mut reports: BTreeMap<String, DepartmentReport> = BTreeMap::new();
    let mut seen_now: BTreeMap<String, BTreeMap<String, Seen>> = BTreeMap::new();
    // Per department, the accepted files replaced or removed this cycle.
    let mut touched_files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for department in &picked {
        let drop = folders.drops.join(department);
        let (now, refused) = scan(&drop);
        let (before, _) = &first[department];
        let accepted = accepted_root.join(department);
        let saved = folders.scratch.join(department);
        // Saved under a dot name, then renamed: only a complete save is ever restored.
        let saving = folders.scratch.join(format!(".{department}.saving"));
        let _ = std::fs::remove_dir_all(&saving);
        if accepted.is_dir() {
            link_tree(&accepted, &saving)?;
        } else {
            std::fs::create_dir_all(&saving).map_err(io_error(&saving))?;
        }
        std::fs::rename(&saving, &saved).map_err(io_error(&saved))?;
        std::fs::create_dir_all(&accepted).map_err(io_error(&accepted))?;
        let mut report = DepartmentReport {
            department: department.clone(),
            ..DepartmentReport::default()
        };
        // Files accepted at the last look and not touched since hold what the accepted
        // folder holds: only the others are compared byte for byte.
        let last = state.seen.get(department);
        let refused_last: BTreeSet<&str> = state
            .reports
            .get(department)
            .map(|r| r.rejected.iter().map(|x| x.file.as_str()).collect())
            .unwrap_or_default();
        let mut keep: BTreeSet<String> = BTreeSet::new();
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for (rel, seen) in &now {
            keep.insert(rel.clone());
            if before.get(rel) == Some(seen) {
                let known = cfg!(unix)
                    && last.and_then(|l| l.get(rel)) == Some(seen)
                    && !refused_last.contains(rel.as_str())
                    && accepted.join(rel).is_file();
                if !known && !same_bytes(&drop.join(rel), &accepted.join(rel)) {
                    replace_file(&drop.join(rel), &accepted.join(rel))?;
                    touched.insert(rel.clone());
                }
                report.accepted += 1;
            } else {
                report
                    .rejected
                    .push(unsettled(rel, accepted.join(rel).is_file()));
            }
        }
        for mut refusal in refused {
            refusal.previous_kept = accepted.join(&refusal.file).is_file();
            keep.insert(refusal.file.clone());
            report.rejected.push(refusal);
        }
        // Files gone from the drop go from the accepted folder.
        let gone: Vec<PathBuf> = walkdir::WalkDir::new(&accepted)
            .min_depth(1)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .filter(|e| {
                let rel = e.path().strip_prefix(&accepted).unwrap_or(e.path());
                let rel = rel.to_string_lossy().replace('\\', "/");
                let stays = keep.contains(&rel);
                if !stays {
                    touched.insert(rel);
                }
                !stays
            })
            .map(|e| e.into_path())
            .collect();
        for path in gone {
            std::fs::remove_file(&path).map_err(io_error(&path))?;
        }
        seen_now.insert(department.clone(), now);
        touched_files.insert(department.clone(), touched);
        reports.insert(department.clone(), report);
    }

    // Validate; a file with an error gets its saved version back. Restoring can surface a
    // conflict elsewhere (two departments, one id), so repeat a few times.
    let mut checked = generator::check_cached(
        &folders.accepted,
        config,
        divisions,
        today,
        &mut state.cache,
        Some(&picked),
    );
    for _ in 0..4 {
        let mut bad: BTreeSet<String> = BTreeSet::new();
        let mut again: BTreeSet<String> = BTreeSet::new();
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
            // Only files this cycle changed can be turned away; an unchanged record whose id
            // another department's new record took stays, and the newcomer goes.
            if !picked.contains(department) || bad.contains(&relative) {
                continue;
            }
            let current = folders.accepted.join(&relative);
            let saved = folders.scratch.join(department).join(file);
            if same_bytes(&current, &saved) {
                continue;
            }
            bad.insert(relative.clone());
            again.insert(department.to_string());
            let kept = saved.is_file();
            if kept {
                replace_file(&saved, &current)?;
            } else {
                let _ = std::fs::remove_file(&current);
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
                    previous_kept: kept,
                });
            }
        }
        if bad.is_empty() {
            break;
        }
        checked = generator::check_cached(
            &folders.accepted,
            config,
            divisions,
            today,
            &mut state.cache,
            Some(&again),
        );
    }

    // Whether anything accepted changed, then the saved folders go.
    let mut changed = false;
    for department in &picked {
        let saved = folders.scratch.join(department);
        let accepted = accepted_root.join(department);
        // Only files replaced or removed this cycle can differ from the saved folder.
        changed = changed
            || touched_files.get(department).is_some_and(|touched| {
                touched
                    .iter()
                    .any(|rel| !same_bytes(&saved.join(rel), &accepted.join(rel)))
            });
        if accepted.read_dir().is_ok_and(|mut d| d.next().is_none()) {
            let _ = std::fs::remove_dir(&accepted);
        }
    }
    sync(&accepted_root);
    if changed {
        let marker = folders.unpublished();
        std::fs::write(&marker, b"").map_err(io_error(&marker))?;
        sync(marker.parent().unwrap_or(Path::new(".")));
    }
    for department in &picked {
        // Renamed away first: a half-deleted save must never be restored.
        let saved = folders.scratch.join(department);
        let gone = folders.scratch.join(format!(".{department}.gone"));
        if std::fs::rename(&saved, &gone).is_ok() {
            let _ = std::fs::remove_dir_all(&gone);
        }
    }
    for (department, mut report) in reports {
        report
            .rejected
            .sort_by(|a, b| (&a.file, &a.code).cmp(&(&b.file, &b.code)));
        report
            .rejected
            .dedup_by(|a, b| a.file == b.file && a.code == b.code);
        let path = folders.drops.join(&department).join(REPORT);
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            let tmp = path.with_file_name(".report.json.tmp");
            std::fs::write(&tmp, &text).map_err(io_error(&tmp))?;
            std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
        }
        state.reports.insert(department, report);
    }
    state.seen.extend(seen_now);
    state
        .seen
        .retain(|d, _| departments.binary_search(d).is_ok());
    Ok(Ingested {
        changed: changed || platform_changed,
        reports: state.reports.clone(),
        checked: Some(checked),
    })
}

/// Makes the accepted catalog's copy of each platform folder ([`Folders::platform`]) equal
/// to the platform's: changed files are replaced (through a temporary name), files gone are
/// removed; links and special files are never copied. Says whether anything changed. The
/// records are not quarantined: a takedown record with an error still keeps its dataset
/// offline (see `generator::workflows::takedowns`), and a notice with one is left out.
fn sync_platform(folders: &Folders) -> Result<bool, IngestError> {
    let Some(root) = &folders.platform else {
        return Ok(false);
    };
    // Every folder is read before anything changes: one that cannot be read fails the cycle
    // (read as empty, it would delete the accepted takedowns and put their datasets back
    // online), and a failed cycle leaves the accepted catalog as it was.
    let mut wanted_of = Vec::new();
    for name in generator::workflows::FOLDERS {
        wanted_of.push((name, files_below(&root.join(name))?));
    }
    let mut changed = false;
    for (name, wanted) in wanted_of {
        let from = root.join(name);
        let to = folders.accepted.join(name);
        for rel in &wanted {
            if !same_bytes(&from.join(rel), &to.join(rel)) {
                replace_file(&from.join(rel), &to.join(rel))?;
                changed = true;
            }
        }
        for rel in files_below(&to)? {
            if !wanted.contains(&rel) {
                let path = to.join(&rel);
                std::fs::remove_file(&path).map_err(io_error(&path))?;
                changed = true;
            }
        }
        if changed {
            sync(&to);
        }
    }
    Ok(changed)
}

/// The regular files below `dir` (not links, not dot files), relative, with `/`; none when
/// `dir` does not exist. Any part that cannot be read is an error.
fn files_below(dir: &Path) -> Result<BTreeSet<String>, IngestError> {
    let mut files = BTreeSet::new();
    if !dir.exists() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(dir).min_depth(1).follow_links(false) {
        let entry = entry.map_err(|e| IngestError::Io {
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e.into(),
        })?;
        if entry.file_type().is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
            files.insert(generator::load::relative(dir, entry.path()));
        }
    }
    Ok(files)
}
