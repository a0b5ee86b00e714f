//! Write: put bytes on disk deterministically, only when they change, and remove what the
//! current build no longer produces (a withdrawn dataset's page must not linger). With an
//! auditor, bytes that mention a withheld dataset are refused before they touch the disk.

use std::io;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::audit::{Auditor, Leak};

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file system failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The bytes mention a withheld dataset; nothing was written.
    #[error("mentions a withheld dataset")]
    Leak(Vec<Leak>),
}

/// The file that marks a folder as kaifang's output.
pub const MARKER: &str = mirror::manifest::OUTPUT_MARKER;

/// What happened to one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// New or changed bytes were written.
    Written,
    /// The file already held these bytes.
    Unchanged,
}

/// The output folder.
pub struct Output {
    root: PathBuf,
    auditor: Option<Arc<Auditor>>,
    /// What the files already in the folder are known to have passed.
    existing: Existing,
}

/// What the files in an output folder are known to have passed.
enum Existing {
    /// Nothing: every write is scanned whole.
    Unknown,
    /// An earlier auditor; `beyond` looks for what the output's auditor adds to it.
    Passed { beyond: Option<Arc<Auditor>> },
}

impl Output {
    /// An output rooted at `root` (created if missing) that refuses bytes `auditor` objects to.
    ///
    /// Every build removes what it did not produce, so a folder is only taken when it is new,
    /// empty, or carries the marker an earlier build left: `--out .` must not wipe a checkout.
    pub fn new(root: &Path, auditor: Option<Arc<Auditor>>) -> io::Result<Output> {
        std::fs::create_dir_all(root)?;
        let marker = root.join(MARKER);
        let empty = std::fs::read_dir(root)?.next().is_none();
        if !empty && !marker.is_file() {
            return Err(io::Error::other(format!(
                "{} is not empty and was not made by `kaifang build`; every build removes files it \
                 did not produce, so choose a new or empty folder",
                root.display()
            )));
        }
        let text =
            "This folder is written by `kaifang build`; files it does not produce are removed.\n";
        // Never rewritten in place: in a staged release it is a hard link into the live one.
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(text) {
            let _ = std::fs::remove_file(&marker);
            std::fs::write(&marker, text)?;
        }
        Ok(Output {
            root: root.to_path_buf(),
            auditor,
            existing: Existing::Unknown,
        })
    }

    /// Declares that every file already in the folder passed an earlier auditor, and that
    /// `beyond` looks for everything this output's auditor adds to it (`None`: nothing). A
    /// write that replaces a file then scans only the bytes that differ from it
    /// ([`Auditor::scan_replacing`]), and the whole file only with `beyond`.
    pub fn existing_passed(mut self, beyond: Option<Arc<Auditor>>) -> Output {
        self.existing = Existing::Passed { beyond };
        self
    }

    /// The auditor every write goes through, if anything is withheld.
    pub fn auditor(&self) -> Option<&Arc<Auditor>> {
        self.auditor.as_ref()
    }

    /// The output folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` to `rel` (a `/`-separated path) unless the file already holds them.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<WriteOutcome, WriteError> {
        check_relative(rel)?;
        let path = self.root.join(rel);
        let existing = std::fs::metadata(&path).ok();
        let passed = match &self.existing {
            Existing::Passed { beyond } if self.auditor.is_some() => Some(beyond),
            _ => None,
        };
        // Read when it may hold these bytes, or when its bytes spare most of the scan.
        let old = existing
            .as_ref()
            .filter(|meta| passed.is_some() || meta.len() == bytes.len() as u64)
            .and_then(|_| std::fs::read(&path).ok());
        if let Some(auditor) = &self.auditor {
            let leaks = match (&old, passed) {
                (Some(old), Some(beyond)) => {
                    let mut leaks = auditor.scan_replacing(rel, old, bytes);
                    let new_texts = beyond.iter().flat_map(|b| b.scan(rel, bytes));
                    crate::audit::add_leaks(&mut leaks, new_texts);
                    leaks
                }
                _ => auditor.scan(rel, bytes),
            };
            if !leaks.is_empty() {
                return Err(WriteError::Leak(leaks));
            }
        }
        if old.as_deref() == Some(bytes) {
            return Ok(WriteOutcome::Unchanged);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if existing.is_some() {
            // Replace beside, then rename, so a reader never sees half a changed file.
            let tmp = temporary(&path);
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)?;
        } else {
            std::fs::write(&path, bytes)?;
        }
        Ok(WriteOutcome::Written)
    }

    /// Writes what `produce` writes to `rel` unless the file already holds the same bytes,
    /// streaming them through a file beside it, so a large file (`data.json` at 100,000
    /// datasets is over 100 MB) is never held in memory. The bytes are scanned whole from that
    /// file; the old file is compared by size and SHA-256. Returns the outcome, the size and
    /// the SHA-256 of the bytes.
    pub fn write_streamed(
        &self,
        rel: &str,
        produce: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<(WriteOutcome, u64, [u8; 32]), WriteError> {
        use io::Write as _;
        use sha2::Digest as _;
        check_relative(rel)?;
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = temporary(&path);
        // Buffered above the hashing, so it hashes whole buffers, not serialiser fragments.
        let mut sink = io::BufWriter::with_capacity(
            1 << 16,
            HashingWriter {
                inner: std::fs::File::create(&tmp)?,
                hasher: sha2::Sha256::new(),
                len: 0,
            },
        );
        let made = produce(&mut sink).and_then(|()| sink.flush());
        let HashingWriter { hasher, len, .. } = sink.into_parts().0;
        let sha256: [u8; 32] = hasher.finalize().into();
        let outcome = made.map_err(WriteError::from).and_then(|()| {
            if let Some(auditor) = &self.auditor {
                let leaks = auditor.scan_file(rel, &tmp)?;
                if !leaks.is_empty() {
                    return Err(WriteError::Leak(leaks));
                }
            }
            let same = std::fs::metadata(&path).is_ok_and(|m| m.len() == len)
                && crate::digest::hash_file(&path)
                    .is_ok_and(|(_, hash)| hash == mirror::manifest::hex(&sha256));
            Ok(same)
        });
        match outcome {
            Ok(false) => {
                std::fs::rename(&tmp, &path)?;
                Ok((WriteOutcome::Written, len, sha256))
            }
            other => {
                let _ = std::fs::remove_file(&tmp);
                other.map(|_| (WriteOutcome::Unchanged, len, sha256))
            }
        }
    }

    /// Copies the file at `source` to `rel`, streaming, unless the target already holds bytes
    /// with this size and SHA-256. The copy is checked against `sha256`, so a source changed
    /// after validation cannot be published under the checksum shown on the page.
    pub fn copy(
        &self,
        rel: &str,
        source: &Path,
        size: u64,
        sha256: &str,
    ) -> Result<WriteOutcome, WriteError> {
        check_relative(rel)?;
        let path = self.root.join(rel);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == size)
            && crate::digest::hash_file(&path).is_ok_and(|(_, hash)| hash == sha256)
        {
            if let Some(auditor) = &self.auditor {
                let leaks = auditor.scan_file(rel, &path)?;
                if !leaks.is_empty() {
                    return Err(WriteError::Leak(leaks));
                }
            }
            return Ok(WriteOutcome::Unchanged);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = temporary(&path);
        std::fs::copy(source, &tmp)?;
        let (copied_size, copied_hash) = crate::digest::hash_file(&tmp)?;
        if copied_size != size || copied_hash != sha256 {
            let _ = std::fs::remove_file(&tmp);
            return Err(WriteError::Io(io::Error::other(format!(
                "{} changed while the site was built; build again",
                source.display()
            ))));
        }
        if let Some(auditor) = &self.auditor {
            let leaks = auditor.scan_file(rel, &tmp)?;
            if !leaks.is_empty() {
                let _ = std::fs::remove_file(&tmp);
                return Err(WriteError::Leak(leaks));
            }
        }
        std::fs::rename(&tmp, &path)?;
        Ok(WriteOutcome::Written)
    }

    /// Removes these files (relative paths), then the folders they leave empty.
    pub fn remove(&self, files: &[String]) -> io::Result<()> {
        for rel in files {
            check_relative(rel)?;
            let path = self.root.join(rel);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != self.root) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(())
    }

    /// Removes every file under the root that `keep` does not hold (it gets the path relative
    /// to the root, with `/`), then empty folders.
    /// Returns the removed paths, sorted.
    pub fn remove_stale(&self, keep: impl Fn(&str) -> bool) -> io::Result<Vec<String>> {
        let mut removed = Vec::new();
        let mut dirs = Vec::new();
        for entry in walkdir::WalkDir::new(&self.root).min_depth(1) {
            let entry = entry.map_err(io::Error::other)?;
            let rel = crate::load::relative(&self.root, entry.path());
            if entry.file_type().is_dir() {
                dirs.push(entry.path().to_path_buf());
            } else if !keep(&rel) && rel != MARKER {
                std::fs::remove_file(entry.path())?;
                removed.push(rel);
            }
        }
        // Deepest first, so parents empty out after their children.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            let _ = std::fs::remove_dir(&dir); // fails (and stays) when not empty
        }
        removed.sort();
        Ok(removed)
    }
}

/// A writer that hashes and counts what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
    len: u64,
}

impl<W: io::Write> io::Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        use sha2::Digest as _;
        let n = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Refuses an output path that is not a plain relative path: every part a name, none `.`,
/// `..` or empty, so nothing is written outside the output folder or over another file. The
/// same rule a mirror applies to every path a manifest names.
fn check_relative(rel: &str) -> io::Result<()> {
    if mirror::verify::is_site_path(rel) {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "refusing to write to the output path `{rel}`"
        )))
    }
}

/// A temporary name beside `path`, unique to it (two files of one folder never share one).
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.kaifang-tmp"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn refuses_paths_that_are_not_plain() {
        let dir = tempfile::tempdir().unwrap();
        let out = Output::new(&dir.path().join("out"), None).unwrap();
        for rel in [
            "../x.html",
            "formats/../index.html",
            "formats/./index.html",
            "/etc/x",
            "a//b",
            "",
        ] {
            assert!(out.write(rel, b"x").is_err(), "{rel}");
        }
    }

    #[test]
    fn a_replacing_write_still_finds_what_the_old_file_was_not_checked_for() {
        let then = crate::audit::auditor_of_suspended(&["old-secret"]);
        let now = crate::audit::auditor_of_suspended(&["old-secret", "new-secret"]);
        let beyond = now.beyond(Some(&then)).unwrap();
        assert!(beyond.is_some());
        let dir = tempfile::tempdir().unwrap();
        let filler = "<p>公开</p>".repeat(2000);
        // Written when only `old-secret` was withheld: it names `new-secret` near the top.
        let before = format!("<a href=\"datasets/new-secret/\">x</a>{filler}<b>1</b>");
        Output::new(dir.path(), Some(then.clone()))
            .unwrap()
            .write("a.html", before.as_bytes())
            .unwrap();
        let out = Output::new(dir.path(), Some(now.clone()))
            .unwrap()
            .existing_passed(beyond);
        // Only the end changes: the mention in the shared start is still found.
        let after = before.replace("<b>1</b>", "<b>2</b>");
        match out.write("a.html", after.as_bytes()) {
            Err(WriteError::Leak(leaks)) => assert_eq!(leaks[0].dataset, "new-secret"),
            other => panic!("{other:?}"),
        }
        // A mention of an old text in the changed part is found too; the clean change passes.
        let clean = format!("<a>x</a>{filler}<b>1</b>");
        let out = Output::new(dir.path(), Some(now.clone()))
            .unwrap()
            .existing_passed(None);
        std::fs::write(dir.path().join("b.html"), &clean).unwrap();
        let old_in_change = clean.replace("<b>1</b>", "<b>old-secret名单</b>");
        assert!(matches!(
            out.write("b.html", old_in_change.as_bytes()),
            Err(WriteError::Leak(_))
        ));
        let changed = clean.replace("<b>1</b>", "<b>3</b>");
        assert_eq!(
            out.write("b.html", changed.as_bytes()).unwrap(),
            WriteOutcome::Written
        );
    }

    #[test]
    fn refuses_a_folder_it_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("site.toml"), "x").unwrap();
        let err = Output::new(dir.path(), None).err().unwrap();
        assert!(err.to_string().contains("not made by `kaifang build`"));
        assert!(dir.path().join("site.toml").exists());
        let fresh = dir.path().join("public");
        Output::new(&fresh, None).unwrap();
        Output::new(&fresh, None).unwrap();
    }

    #[test]
    fn writes_only_changed_files_and_removes_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = Output::new(dir.path(), None).unwrap();
        assert_eq!(
            out.write("a/b.html", b"one").unwrap(),
            WriteOutcome::Written
        );
        assert_eq!(
            out.write("a/b.html", b"one").unwrap(),
            WriteOutcome::Unchanged
        );
        assert_eq!(
            out.write("a/b.html", b"two").unwrap(),
            WriteOutcome::Written
        );
        out.write("old/gone.html", b"x").unwrap();
        let keep = BTreeSet::from(["a/b.html".to_string()]);
        assert_eq!(
            out.remove_stale(|path| keep.contains(path)).unwrap(),
            vec!["old/gone.html".to_string()]
        );
        assert!(!dir.path().join("old").exists());
        assert_eq!(std::fs::read(dir.path().join("a/b.html")).unwrap(), b"two");
    }

    #[test]
    fn a_streamed_write_keeps_equal_bytes_and_refuses_a_mention_without_a_trace() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().unwrap();
        let auditor = crate::audit::auditor_of_suspended(&["secret-ds"]);
        let out = Output::new(dir.path(), Some(auditor)).unwrap();
        // Past the scanner's 1 MB chunk, so a mention at the end is in a later chunk.
        let body = "{\"title\":\"公开数据\"},\n".repeat(60_000);
        let body = body.as_str();
        let stream = |text: &'static str| {
            move |w: &mut dyn io::Write| {
                w.write_all(body.as_bytes())?;
                w.write_all(text.as_bytes())
            }
        };
        let (outcome, len, sha256) = out.write_streamed("data.json", stream("{}")).unwrap();
        assert_eq!(outcome, WriteOutcome::Written);
        let on_disk = std::fs::read(dir.path().join("data.json")).unwrap();
        assert_eq!(len, on_disk.len() as u64);
        assert_eq!(sha256, <[u8; 32]>::from(sha2::Sha256::digest(&on_disk)));
        let modified = |p: &str| std::fs::metadata(dir.path().join(p)).unwrap().modified();
        let before = modified("data.json").unwrap();
        let again = out.write_streamed("data.json", stream("{}")).unwrap();
        assert_eq!((again.0, again.2), (WriteOutcome::Unchanged, sha256));
        assert_eq!(
            modified("data.json").unwrap(),
            before,
            "equal bytes keep their mtime"
        );
        match out.write_streamed("data.json", stream("{\"id\":\"datasets/secret-ds/\"}")) {
            Err(WriteError::Leak(leaks)) => assert_eq!(leaks[0].dataset, "secret-ds"),
            other => panic!("{:?}", other.map(|o| o.0)),
        }
        assert_eq!(
            std::fs::read(dir.path().join("data.json")).unwrap(),
            on_disk
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
        // A failing producer leaves the old file and nothing beside it.
        let failing = |w: &mut dyn io::Write| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        };
        assert!(matches!(
            out.write_streamed("data.json", failing),
            Err(WriteError::Io(_))
        ));
        assert_eq!(
            std::fs::read(dir.path().join("data.json")).unwrap(),
            on_disk
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), names.len());
    }
}
