//! Pulling a copy of the site from its origin over HTTP(S), checked against the signed
//! manifest.
//!
//! Only files whose entry changed are downloaded, each to a temporary name in a staging
//! folder beside the copy (named by its SHA-256, so an interrupted sync resumes where it
//! stopped). Once every download is checked, files move into place in an order that keeps
//! the copy usable while it changes: data and assets first, then HTML pages, then the
//! manifest's parts, its signature and the manifest itself; files the new generation
//! removed are deleted last of all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::{self, FileEntry};
use crate::signing::Verifier;
use crate::verify::{Folder, Source, VerifyError, digest_reader, is_site_path, read_signed};
use crate::web::Web;

/// What a sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// The generation the copy now holds.
    pub generation: u64,
    /// Files downloaded.
    pub downloaded: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files deleted because the origin removed them.
    pub deleted: usize,
}

/// Why a sync stopped. The copy is left as it was or part-way moved to the new generation,
/// always with a manifest that describes it or is older; syncing again finishes the job.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading the origin or checking its manifest failed.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A downloaded file is not what the signed manifest says.
    #[error("{path}: the origin sent {got}, the signed manifest says {want}; sync again later")]
    Mismatch {
        /// The site path.
        path: String,
        /// What the manifest lists.
        want: String,
        /// What arrived.
        got: String,
    },
    /// Another sync of the same copy is running.
    #[error("another sync of {0} is running (it holds {0}'s lock file); wait for it to finish")]
    Busy(String),
    /// The origin serves an older generation than the copy holds.
    #[error(
        "the origin serves generation {origin}, older than the copy's {copy}: a rollback at the \
         origin, or someone serving an old signed manifest; pass --allow-older to follow it"
    )]
    Older {
        /// The origin's generation.
        origin: u64,
        /// The copy's.
        copy: u64,
    },
    /// A download broke off.
    #[error("downloading {url}: {source}")]
    Download {
        /// The address.
        url: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing the copy failed.
    #[error("{path}: {source}")]
    Io {
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SyncError + '_ {
    move |source| SyncError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The staging folder of a copy: beside it, on the same file system, so files move into
/// the copy by rename.
pub fn staging_of(copy: &Path) -> PathBuf {
    let name = copy
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "copy".into());
    copy.with_file_name(format!(".{name}.kaifang-sync"))
}

/// Name of the file in the staging folder that lists deletions still owed: written before
/// the new manifest is installed, so a sync interrupted after that still deletes them.
const PENDING_DELETIONS: &str = "pending-deletions";

/// How a sync behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Follow the origin to a generation older than the copy's.
    pub allow_older: bool,
    /// Hash every file of the copy instead of trusting an unchanged entry and size: repairs
    /// a file changed in place.
    pub check: bool,
}

/// Brings the copy in `dir` up to the origin's current generation. An origin older than the
/// copy is refused unless `options.allow_older`. One sync of a copy runs at a time: the lock
/// file beside it (`.<name>.kaifang-sync.lock`) is held while it runs, and released by the
/// system if the process dies.
pub fn sync(
    origin: &Web,
    dir: &Path,
    key: &Verifier,
    options: SyncOptions,
) -> Result<SyncReport, SyncError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let signed = read_signed(origin, key, Some(&Folder::new(dir)))?;
    let dir = &std::fs::canonicalize(dir).map_err(io(dir))?;
    let lock_path = staging_of(dir).with_extension("kaifang-sync.lock");
    let lock = std::fs::File::create(&lock_path).map_err(io(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(SyncError::Busy(dir.display().to_string()));
        }
        Err(std::fs::TryLockError::Error(err)) => return Err(io(&lock_path)(err)),
    }
    let local = Folder::new(dir);
    // What the copy held: its own manifest, read without trusting it beyond choosing what
    // to look at (every file kept is checked by size, every file fetched by hash).
    let held = local
        .read(manifest::MANIFEST)
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<manifest::Manifest>(&bytes).ok());
    let copy_generation = held.as_ref().map(|m| m.generation);
    let previous: BTreeMap<String, FileEntry> = held
        .map(|m| {
            m.parts
                .iter()
                .filter_map(|r| local.read(&r.path()).ok().flatten())
                .filter_map(|b| serde_json::from_slice::<manifest::Part>(&b).ok())
                .flat_map(|p| p.files)
                // Never trusted to name a place outside the copy (it could be altered).
                .filter(|f| is_site_path(&f.path) && !manifest::is_own(&f.path))
                .map(|f| (f.path.clone(), f))
                .collect()
        })
        .unwrap_or_default();
    if let Some(copy) = copy_generation
        && copy > signed.manifest.generation
        && !options.allow_older
    {
        return Err(SyncError::Older {
            origin: signed.manifest.generation,
            copy,
        });
    }
    let staging = staging_of(dir);
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let mut report = SyncReport {
        generation: signed.manifest.generation,
        ..SyncReport::default()
    };
    let mut fetched: Vec<&FileEntry> = Vec::new();
    for entry in signed.files.values() {
        let target = dir.join(&entry.path);
        let size_matches =
            std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_file() && m.len() == entry.size);
        if size_matches && !options.check && previous.get(&entry.path) == Some(entry) {
            report.unchanged += 1;
            continue;
        }
        // Moved into place by an interrupted sync, or the same bytes under a new entry.
        if size_matches
            && local
                .digest(&entry.path)?
                .is_some_and(|(_, h)| h == entry.sha256)
        {
            report.unchanged += 1;
            continue;
        }
        let staged = staging.join(&entry.sha256);
        let have = std::fs::File::open(&staged)
            .ok()
            .and_then(|f| digest_reader(f).ok())
            .is_some_and(|(size, hash)| size == entry.size && hash == entry.sha256);
        if !have {
            download(origin, entry, &staged)?;
            report.downloaded += 1;
            report.bytes += entry.size;
        }
        fetched.push(entry);
    }
    // Data and assets, then pages: a page never links to a file that is not there yet.
    fetched.sort_by_key(|entry| entry.path.ends_with(".html"));
    for entry in fetched {
        let target = dir.join(&entry.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        place(&staging.join(&entry.sha256), &target)?;
    }
    // Deletions come last, after the new manifest: write down what they are first, so an
    // interrupted sync still makes them (with those an earlier interrupted one still owed).
    let pending_file = staging.join(PENDING_DELETIONS);
    let owed = std::fs::read_to_string(&pending_file).unwrap_or_default();
    let mut gone: Vec<String> = previous
        .keys()
        .map(String::as_str)
        .chain(owed.lines())
        .filter(|p| is_site_path(p) && !manifest::is_own(p) && !signed.files.contains_key(*p))
        .map(str::to_string)
        .collect();
    gone.sort();
    gone.dedup();
    std::fs::write(&pending_file, gone.join("\n")).map_err(io(&pending_file))?;
    // The manifest last: parts, signature, trace, then the manifest itself.
    for (path, bytes) in &signed.parts {
        install(dir, path, bytes)?;
    }
    install(dir, manifest::SIGNATURE, &signed.signature)?;
    install(dir, manifest::TRACE, signed.manifest.trace().as_bytes())?;
    install(dir, manifest::MANIFEST, &signed.bytes)?;
    // Deletions last of all: what the copy's last generation listed and this one does not,
    // and the parts it no longer names.
    for path in gone.into_iter().chain(stale_parts(dir, &signed.parts)) {
        let target = dir.join(&path);
        match std::fs::remove_file(&target) {
            Ok(()) => {
                report.deleted += 1;
                // Folders left empty go too (a withdrawn dataset's folder).
                let mut folder = target.parent();
                while let Some(f) = folder.filter(|f| *f != dir.as_path()) {
                    if std::fs::remove_dir(f).is_err() {
                        break;
                    }
                    folder = f.parent();
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(io(&target)(err)),
        }
    }
    std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    drop(lock);
    Ok(report)
}

/// Part files in the copy that the new manifest does not name.
fn stale_parts(dir: &Path, named: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    manifest::list_parts(dir)
        .into_iter()
        .filter(|p| !named.contains_key(p))
        .collect()
}

/// Downloads one file into `staged`, checking its size and hash on the way.
/// A download that broke off is continued from where it stopped (an HTTP range request), the
/// bytes already there hashed again with the rest.
fn download(origin: &Web, entry: &FileEntry, staged: &Path) -> Result<(), SyncError> {
    let partial = staged.with_extension("partial");
    let have = std::fs::metadata(&partial)
        .map(|m| m.len())
        .unwrap_or(0)
        .min(entry.size);
    let Some((ranged, mut reader)) = origin.open_from(&entry.path, have)? else {
        return Err(SyncError::Mismatch {
            path: entry.path.clone(),
            want: format!("{} bytes", entry.size),
            got: "404 Not Found".into(),
        });
    };
    let (mut file, before) = if ranged {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(&partial)
            .map_err(io(&partial))?;
        file.set_len(have).map_err(io(&partial))?;
        let before = std::fs::File::open(&partial).map_err(io(&partial))?;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0)).map_err(io(&partial))?;
        (file, Some(before))
    } else {
        (std::fs::File::create(&partial).map_err(io(&partial))?, None)
    };
    let mut tee = Tee {
        inner: &mut reader,
        out: &mut file,
    };
    let digest = match before {
        Some(before) => {
            use std::io::Read;
            digest_reader(before.take(have).chain(&mut tee))
        }
        None => digest_reader(&mut tee),
    };
    let (size, hash) = digest.map_err(|source| SyncError::Download {
        url: origin.url(&entry.path),
        source,
    })?;
    file.sync_all().map_err(io(&partial))?;
    if size != entry.size || hash != entry.sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(SyncError::Mismatch {
            path: entry.path.clone(),
            want: format!("{} bytes, SHA-256 {}", entry.size, entry.sha256),
            got: format!("{size} bytes, SHA-256 {hash}"),
        });
    }
    std::fs::rename(&partial, staged).map_err(io(staged))
}

/// The temporary name beside a target, renamed over it once complete.
fn beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.partial"))
}

/// Puts a staged download at `target`: linked (or, across file systems, copied) beside it,
/// then renamed over it, so a reader sees the old file or the new one, never half of one.
/// The staged file stays, since two paths may hold the same bytes.
fn place(staged: &Path, target: &Path) -> Result<(), SyncError> {
    let temporary = beside(target);
    let _ = std::fs::remove_file(&temporary);
    if std::fs::hard_link(staged, &temporary).is_err() {
        std::fs::copy(staged, &temporary).map_err(io(&temporary))?;
    }
    std::fs::rename(&temporary, target).map_err(io(target))
}

/// Writes a small file beside its target, then renames it into place.
fn install(dir: &Path, path: &str, bytes: &[u8]) -> Result<(), SyncError> {
    let target = dir.join(path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let temporary = beside(&target);
    // Never written through: whatever sits at the temporary name goes first.
    let _ = std::fs::remove_file(&temporary);
    std::fs::write(&temporary, bytes).map_err(io(&temporary))?;
    std::fs::rename(&temporary, &target).map_err(io(&target))
}

/// A reader that copies what it reads into a writer.
struct Tee<'a, R, W> {
    inner: &'a mut R,
    out: &'a mut W,
}

impl<R: std::io::Read, W: std::io::Write> std::io::Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}
