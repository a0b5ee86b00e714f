//! Release folders and the atomic switch between them.
//!
//! Layout under a release root:
//!
//! ```text
//! <root>/releases/r000001/   a complete published site
//! <root>/releases/r000002/
//! <root>/current -> releases/r000002     what the web server serves
//! ```
//!
//! A new release is staged in `releases/.staging-<n>/`, first as hard links to every file of
//! the current release (so unchanged files keep their bytes, inode and mtime, and cost no
//! space), then built into: the generator replaces a changed file by writing beside it and
//! renaming, which never touches the linked original. Publishing then
//! 1. fsyncs every file and folder of the staged tree,
//! 2. renames the staging folder to `releases/r<n>` and fsyncs `releases/`,
//! 3. points a new symlink `current.new` at it and renames it over `current` (rename(2) is
//!    atomic), then fsyncs the root.
//!
//! A crash at any instant leaves `current` pointing at a complete release: the old one until
//! the rename, the new one after it. Leftover staging folders and `current.new` are removed the
//! next time the root is opened. A web server following `current` never sees a mix.

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

const RELEASES: &str = "releases";
const CURRENT: &str = "current";
const CURRENT_NEW: &str = "current.new";
const STAGING: &str = ".staging-";
/// Per release, what changed from the release it was staged from (see [`Releases::reusable`]).
const CHANGES: &str = "changes";

/// Why a release operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// There is no earlier release to go back to.
    #[error("no release before {0} to roll back to")]
    NothingToRollBack(String),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ReleaseError + '_ {
    move |source| ReleaseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A release root.
#[derive(Debug, Clone)]
pub struct Releases {
    root: PathBuf,
}

/// A release being built: write the site into [`Staged::path`], then
/// [`Releases::publish`] it (or drop it with [`Releases::discard`]).
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    name: String,
    /// For a recycled release: the paths brought up to date from the live release.
    recycled: Option<BTreeSet<String>>,
    /// The release it starts from (the live one when staged).
    base: Option<String>,
}

/// What changed between a release and the one it was staged from.
#[derive(serde::Serialize, serde::Deserialize)]
struct Changes {
    base: String,
    paths: BTreeSet<String>,
}

impl Staged {
    /// The folder to build into.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name the release will have (`r000042`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The release it was staged from (the one live when it was staged), if any: the folder
    /// holds that release's files.
    pub fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }
}

impl Releases {
    /// Opens (creating if needed) a release root, and clears what an interrupted publish left.
    pub fn open(root: &Path) -> Result<Releases, ReleaseError> {
        let releases = root.join(RELEASES);
        std::fs::create_dir_all(&releases).map_err(io_error(&releases))?;
        for entry in std::fs::read_dir(&releases).map_err(io_error(&releases))? {
            let entry = entry.map_err(io_error(&releases))?;
            if entry.file_name().to_string_lossy().starts_with(STAGING) {
                std::fs::remove_dir_all(entry.path()).map_err(io_error(&entry.path()))?;
            }
        }
        let leftover = root.join(CURRENT_NEW);
        if leftover.symlink_metadata().is_ok() {
            std::fs::remove_file(&leftover).map_err(io_error(&leftover))?;
        }
        Ok(Releases {
            root: root.to_path_buf(),
        })
    }

    /// The releases under `root` as they are: unlike [`Releases::open`], staging folders and
    /// a half-made link are left alone, for a reader beside a publish or a rollback.
    pub fn existing(root: &Path) -> Releases {
        Releases {
            root: root.to_path_buf(),
        }
    }

    /// The `current` link.
    pub fn current_link(&self) -> PathBuf {
        self.root.join(CURRENT)
    }

    /// The name of the live release, if any.
    pub fn current(&self) -> Option<String> {
        let target = std::fs::read_link(self.current_link()).ok()?;
        Some(target.file_name()?.to_string_lossy().into_owned())
    }

    /// The folder of release `name`.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.root.join(RELEASES).join(name)
    }

    /// Complete releases, oldest first.
    pub fn list(&self) -> Result<Vec<String>, ReleaseError> {
        let dir = self.root.join(RELEASES);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(io_error(&dir))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_release_name(n))
            .collect();
        names.sort();
        Ok(names)
    }

    fn next_name(&self) -> Result<String, ReleaseError> {
        let next = self
            .list()?
            .last()
            .and_then(|n| n[1..].parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        Ok(format!("r{next:06}"))
    }

    /// Stages the next release of a series that keeps `keep`: the oldest kept release brought
    /// level with the live one when it can be reused ([`Releases::reusable`]), else a folder
    /// linking every live file ([`Releases::stage`]). Says whether a folder was reused.
    pub fn stage_next(&self, keep: usize) -> Result<(Staged, bool), ReleaseError> {
        match self.reusable(keep) {
            Some((old, differing)) => Ok((self.recycle(&old, &differing)?, true)),
            None => Ok((self.stage()?, false)),
        }
    }

    /// Stages a new release: a folder holding hard links to every file of the current one.
    pub fn stage(&self) -> Result<Staged, ReleaseError> {
        let name = self.next_name()?;
        let path = self.root.join(RELEASES).join(format!("{STAGING}{name}"));
        std::fs::create_dir_all(&path).map_err(io_error(&path))?;
        let base = self.current();
        if let Some(current) = &base {
            link_tree(&self.path_of(current), &path)?;
        }
        Ok(Staged {
            path,
            name,
            recycled: None,
            base,
        })
    }

    /// Stages a new release by reusing `old`, a kept release that is not live, instead of
    /// linking every file of the live one: `differing` must name every path whose bytes differ
    /// between `old` and the live release (or that only one of them has). Each becomes a hard
    /// link to the live release's file, or goes where the live release has none, so the staged
    /// folder then holds what the live release holds, at the cost of the differences only.
    /// `old` leaves the list of releases at once; an interruption leaves a staging folder
    /// that the next [`Releases::open`] removes.
    pub fn recycle(&self, old: &str, differing: &BTreeSet<String>) -> Result<Staged, ReleaseError> {
        let current = self.current().filter(|c| c != old && is_release_name(old));
        let Some(current) = current else {
            return Err(ReleaseError::Io {
                path: self.path_of(old),
                source: io::Error::other("only a release that is not live can be reused"),
            });
        };
        let name = self.next_name()?;
        let path = self.root.join(RELEASES).join(format!("{STAGING}{name}"));
        std::fs::rename(self.path_of(old), &path).map_err(io_error(&path))?;
        let live = self.path_of(&current);
        // The staged folder is not live: a file is replaced by unlinking it and linking the
        // live one in its place (a kill half way leaves a staging folder, cleared on open).
        for rel in differing {
            let target = path.join(rel);
            let source = live.join(rel);
            match std::fs::remove_file(&target) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(ReleaseError::Io {
                        path: target,
                        source: e,
                    });
                }
                _ => {}
            }
            let linked = match std::fs::hard_link(&source, &target) {
                // The live file or the staged folder is missing: which one decides.
                Err(e) if e.kind() == io::ErrorKind::NotFound && source.is_file() => {
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
                    }
                    std::fs::hard_link(&source, &target).map(|()| true)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                other => other.map(|()| true),
            };
            if !linked.map_err(io_error(&target))? {
                // Gone from the live release: so are the folders it leaves empty.
                let mut dir = target.parent();
                while let Some(d) = dir.filter(|d| *d != path) {
                    if std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
        Ok(Staged {
            path,
            name,
            recycled: Some(differing.clone()),
            base: Some(current),
        })
    }

    /// Drops a staged release (a failed build); the live site is untouched.
    pub fn discard(&self, staged: Staged) -> Result<(), ReleaseError> {
        std::fs::remove_dir_all(&staged.path).map_err(io_error(&staged.path))
    }

    /// Makes a staged release live, then keeps only the newest `keep` releases (never the live
    /// one). Returns the release's name.
    pub fn publish(&self, staged: Staged, keep: usize) -> Result<String, ReleaseError> {
        self.publish_changed(staged, keep, None)
    }

    /// As [`Releases::publish`]; `changed`, when given, names every path the build wrote or
    /// removed in the staged folder. For a recycled release that is enough to know what to
    /// make durable: those files, the files brought over from the live release (already
    /// durable there), and the folders of both. Otherwise every file and folder is synced.
    pub fn publish_changed(
        &self,
        staged: Staged,
        keep: usize,
        changed: Option<&BTreeSet<String>>,
    ) -> Result<String, ReleaseError> {
        match (&staged.recycled, changed) {
            // Past a few thousand files one flush of the file system costs less.
            (Some(recycled), Some(changed)) if changed.len() + recycled.len() <= 2048 => {
                let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
                for rel in changed {
                    let path = staged.path.join(rel);
                    if path.is_file() {
                        File::open(&path)
                            .and_then(|f| f.sync_all())
                            .map_err(io_error(&path))?;
                    }
                }
                for rel in changed.iter().chain(recycled) {
                    let mut dir = staged.path.join(rel);
                    while dir.pop() && dir.starts_with(&staged.path) {
                        if !dirs.insert(dir.clone()) {
                            break;
                        }
                    }
                }
                for dir in dirs.iter().rev().filter(|d| d.is_dir()) {
                    sync_dir(dir)?;
                }
                sync_dir(&staged.path)?;
            }
            _ => sync_all(&staged.path)?,
        }
        // A record left by an interrupted publish under this name describes other changes.
        let _ = std::fs::remove_file(self.root.join(CHANGES).join(&staged.name));
        let finished = self.path_of(&staged.name);
        std::fs::rename(&staged.path, &finished).map_err(io_error(&finished))?;
        sync_dir(&self.root.join(RELEASES))?;
        self.switch(&staged.name)?;
        // Only now: a record must never describe a release that did not go live as recorded.
        if let (Some(base), Some(paths)) = (&staged.base, changed) {
            self.record_changes(&staged.name, base, paths);
        }
        self.prune(keep)?;
        Ok(staged.name)
    }

    /// The oldest kept release, when it can be reused for the next one (see
    /// [`Releases::recycle`]) because there are `keep` releases, the newest is live, and each
    /// was staged from the one before with its changes recorded; with the paths that differ
    /// between it and the live release.
    pub fn reusable(&self, keep: usize) -> Option<(String, BTreeSet<String>)> {
        let list = self.list().ok()?;
        let live = self.current()?;
        if list.len() < keep.max(2) || list.last() != Some(&live) {
            return None;
        }
        let mut differing = BTreeSet::new();
        for pair in list.windows(2) {
            let text = std::fs::read(self.root.join(CHANGES).join(&pair[1])).ok()?;
            let changes: Changes = serde_json::from_slice(&text).ok()?;
            if changes.base != pair[0] {
                return None;
            }
            differing.extend(changes.paths);
        }
        Some((list[0].clone(), differing))
    }

    /// Records what changed in release `name` since `base`. Best effort: without the record
    /// the next release is staged by linking every file instead.
    fn record_changes(&self, name: &str, base: &str, paths: &BTreeSet<String>) {
        let dir = self.root.join(CHANGES);
        let record = Changes {
            base: base.to_string(),
            paths: paths.clone(),
        };
        let tmp = dir.join(format!(".{name}.tmp"));
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&tmp, serde_json::to_vec(&record).unwrap_or_default()))
            .and_then(|()| std::fs::rename(&tmp, dir.join(name)));
        if written.is_err() {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }

    /// Points `current` at release `name`, atomically.
    pub fn switch(&self, name: &str) -> Result<(), ReleaseError> {
        let link = self.root.join(CURRENT_NEW);
        let _ = std::fs::remove_file(&link);
        let target = Path::new(RELEASES).join(name);
        symlink(&target, &link).map_err(io_error(&link))?;
        std::fs::rename(&link, self.current_link()).map_err(io_error(&self.current_link()))?;
        sync_dir(&self.root)
    }

    /// The release before the live one.
    pub fn previous(&self) -> Result<String, ReleaseError> {
        let current = self.current().unwrap_or_default();
        self.list()?
            .into_iter()
            .rev()
            .find(|n| *n < current)
            .ok_or(ReleaseError::NothingToRollBack(current))
    }

    /// Removes all but the newest `keep` releases, never the live one.
    pub fn prune(&self, keep: usize) -> Result<Vec<String>, ReleaseError> {
        let current = self.current();
        let names = self.list()?;
        let mut removed = Vec::new();
        for name in names.iter().take(names.len().saturating_sub(keep.max(1))) {
            if Some(name) != current.as_ref() {
                let path = self.path_of(name);
                std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
                let _ = std::fs::remove_file(self.root.join(CHANGES).join(name));
                removed.push(name.clone());
            }
        }
        Ok(removed)
    }
}

fn is_release_name(name: &str) -> bool {
    name.len() == 7 && name.starts_with('r') && name[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::other(
        "release switching needs symbolic links (Unix)",
    ))
}

/// Mirrors the folders of `from` into `to` and hard-links its files.
fn link_tree(from: &Path, to: &Path) -> Result<(), ReleaseError> {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.map_err(|e| ReleaseError::Io {
            path: from.to_path_buf(),
            source: e.into(),
        })?;
        let relative = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(io_error(&target))?;
        } else if entry.file_type().is_file() {
            std::fs::hard_link(entry.path(), &target).map_err(io_error(&target))?;
        }
    }
    Ok(())
}

/// Makes a whole staged tree durable. On Linux one syncfs(2) flushes the file system the tree
/// is on, which costs what is dirty rather than one fsync per file and folder (a linked
/// release of 100,000 datasets has as many folders); elsewhere every file and folder is synced.
fn sync_all(root: &Path) -> Result<(), ReleaseError> {
    #[cfg(target_os = "linux")]
    {
        let dir = File::open(root).map_err(io_error(root))?;
        if rustix::fs::syncfs(&dir).is_ok() {
            return Ok(());
        }
    }
    sync_tree(root)
}

/// fsyncs every file, then every folder (deepest first), of a tree.
fn sync_tree(root: &Path) -> Result<(), ReleaseError> {
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.map_err(|e| ReleaseError::Io {
            path: root.to_path_buf(),
            source: e.into(),
        })?;
        if entry.file_type().is_file() {
            File::open(entry.path())
                .and_then(|f| f.sync_all())
                .map_err(io_error(entry.path()))?;
        } else if entry.file_type().is_dir() {
            dirs.push(entry.into_path());
        }
    }
    for dir in dirs.iter().rev() {
        sync_dir(dir)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), ReleaseError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_error(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Replace beside and rename, as the generator does.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    #[test]
    fn releases_switch_atomically_and_share_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let releases = Releases::open(dir.path()).unwrap();
        let first = releases.stage().unwrap();
        write(&first.path().join("index.html"), "one");
        write(&first.path().join("a/b.html"), "same");
        assert_eq!(releases.publish(first, 5).unwrap(), "r000001");
        assert_eq!(releases.current().as_deref(), Some("r000001"));

        let second = releases.stage().unwrap();
        write(&second.path().join("index.html"), "two");
        assert_eq!(releases.publish(second, 5).unwrap(), "r000002");
        let live = releases.current_link();
        assert_eq!(
            std::fs::read_to_string(live.join("index.html")).unwrap(),
            "two"
        );
        // The old release is intact; the unchanged file is the same inode.
        let old = releases.path_of("r000001");
        assert_eq!(
            std::fs::read_to_string(old.join("index.html")).unwrap(),
            "one"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let a = std::fs::metadata(old.join("a/b.html")).unwrap();
            let b = std::fs::metadata(live.join("a/b.html")).unwrap();
            assert_eq!(a.ino(), b.ino());
        }
        assert_eq!(releases.previous().unwrap(), "r000001");
        releases.switch("r000001").unwrap();
        assert_eq!(
            std::fs::read_to_string(live.join("index.html")).unwrap(),
            "one"
        );
        assert!(matches!(
            releases.previous(),
            Err(ReleaseError::NothingToRollBack(_))
        ));
    }

    #[test]
    fn old_releases_are_pruned_but_never_the_live_one() {
        let dir = tempfile::tempdir().unwrap();
        let releases = Releases::open(dir.path()).unwrap();
        for i in 0..4 {
            let staged = releases.stage().unwrap();
            write(&staged.path().join("index.html"), &i.to_string());
            releases.publish(staged, 2).unwrap();
        }
        assert_eq!(releases.list().unwrap(), vec!["r000003", "r000004"]);
        releases.switch("r000003").unwrap();
        let staged = releases.stage().unwrap();
        releases.publish(staged, 1).unwrap();
        assert_eq!(releases.list().unwrap(), vec!["r000005"]);
    }

    #[test]
    fn leftovers_of_an_interrupted_publish_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let releases = Releases::open(dir.path()).unwrap();
        let staged = releases.stage().unwrap();
        write(&staged.path().join("index.html"), "half");
        symlink(Path::new("releases/nowhere"), &dir.path().join(CURRENT_NEW)).unwrap();
        let releases = Releases::open(dir.path()).unwrap();
        assert!(releases.list().unwrap().is_empty());
        assert!(!staged.path().exists());
        assert!(dir.path().join(CURRENT_NEW).symlink_metadata().is_err());
        let discarded = releases.stage().unwrap();
        releases.discard(discarded).unwrap();
        assert_eq!(releases.current(), None);
    }
}
