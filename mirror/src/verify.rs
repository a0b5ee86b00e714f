//! Checking a copy of the site against its signed manifest: which files are missing, extra,
//! changed, or (against the origin) stale.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::manifest::{self, FileEntry, Manifest, Part};
use crate::signing::{SigningError, Verifier};

/// Why a copy could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A file of the copy could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path in the copy.
        path: String,
        /// Why.
        reason: String,
    },
    /// The copy has no manifest or no signature.
    #[error(
        "{source_name} has no {file}: it is not a copy of a Kaifang site, or an incomplete one"
    )]
    NoManifest {
        /// The copy.
        source_name: String,
        /// The missing file.
        file: &'static str,
    },
    /// The manifest's signature does not verify with the given key.
    #[error("{what}: {source}")]
    Signature {
        /// Whose manifest.
        what: String,
        /// Why.
        source: SigningError,
    },
    /// The manifest or a part is not what the signed manifest says.
    #[error("{path}: {reason}")]
    Manifest {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where a copy of the site is read from: a folder, or a web server.
pub trait Source {
    /// The bytes of a small file (the manifest, a part); `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, VerifyError>;
    /// The size and SHA-256 (hex) of a file, read as a stream; `None` when it does not exist.
    fn digest(&self, path: &str) -> Result<Option<(u64, String)>, VerifyError>;
    /// Every file of the copy, when the source can list them (a folder can, a web server
    /// cannot).
    fn list(&self) -> Result<Option<Vec<String>>, VerifyError>;
    /// How the copy is named in messages.
    fn describe(&self) -> String;
}

/// Whether a path a manifest names stays inside the site: relative, `/`-separated, with no
/// empty, `.` or `..` segment, no backslash and no NUL. Every path is checked before a copy
/// is read or written at it.
pub fn is_site_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

fn check_path(path: &str) -> Result<(), VerifyError> {
    if is_site_path(path) {
        Ok(())
    } else {
        Err(VerifyError::Manifest {
            path: path.to_string(),
            reason: "the manifest names a path outside the site".into(),
        })
    }
}

/// Streams a reader through SHA-256.
pub fn digest_reader(mut reader: impl Read) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    let mut size = 0;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, manifest::hex(&hasher.finalize())))
}

/// A copy in a folder on this machine.
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// The copy in `root`.
    pub fn new(root: &Path) -> Folder {
        Folder {
            root: root.to_path_buf(),
        }
    }

    fn path(&self, path: &str) -> Result<PathBuf, VerifyError> {
        check_path(path)?;
        Ok(self.root.join(path))
    }

    fn error(&self, path: &str, err: std::io::Error) -> VerifyError {
        VerifyError::Read {
            path: self.root.join(path).display().to_string(),
            reason: err.to_string(),
        }
    }
}

impl Source for Folder {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, VerifyError> {
        match std::fs::read(self.path(path)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(self.error(path, err)),
        }
    }

    fn digest(&self, path: &str) -> Result<Option<(u64, String)>, VerifyError> {
        let full = self.path(path)?;
        // Only regular files count: a symlink in a copy is not the published file.
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Ok(None),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(self.error(path, err)),
        }
        let file = std::fs::File::open(&full).map_err(|e| self.error(path, e))?;
        digest_reader(file)
            .map(Some)
            .map_err(|e| self.error(path, e))
    }

    fn list(&self) -> Result<Option<Vec<String>>, VerifyError> {
        let mut paths = Vec::new();
        for entry in walkdir::WalkDir::new(&self.root).min_depth(1) {
            let entry = entry.map_err(|e| VerifyError::Read {
                path: self.root.display().to_string(),
                reason: e.to_string(),
            })?;
            if entry.file_type().is_dir() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&self.root)
                .unwrap_or(entry.path());
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            paths.push(parts.join("/"));
        }
        paths.sort();
        Ok(Some(paths))
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

/// A manifest whose signature verified, with every file it lists.
pub struct Signed {
    /// The manifest.
    pub manifest: Manifest,
    /// Its bytes and its signature file, as read (a sync installs them unchanged).
    pub bytes: Vec<u8>,
    /// The signature file.
    pub signature: Vec<u8>,
    /// The parts' bytes, by path.
    pub parts: BTreeMap<String, Vec<u8>>,
    /// Every listed file, by path.
    pub files: BTreeMap<String, FileEntry>,
}

/// Reads the manifest of a copy, checks its signature, reads every part and checks its hash.
///
/// Parts are named by their hash, so a part `known` (another copy, usually the local one)
/// already holds with the right hash is read from there instead of `source`: a sync or a
/// check against the origin fetches only the parts that changed.
pub fn read_signed(
    source: &dyn Source,
    key: &Verifier,
    known: Option<&dyn Source>,
) -> Result<Signed, VerifyError> {
    let missing = |file| VerifyError::NoManifest {
        source_name: source.describe(),
        file,
    };
    let bytes = source
        .read(manifest::MANIFEST)?
        .ok_or_else(|| missing(manifest::MANIFEST))?;
    let signature = source
        .read(manifest::SIGNATURE)?
        .ok_or_else(|| missing(manifest::SIGNATURE))?;
    key.verify(&bytes, &String::from_utf8_lossy(&signature))
        .map_err(|source_error| VerifyError::Signature {
            what: format!("{} of {}", manifest::MANIFEST, source.describe()),
            source: source_error,
        })?;
    let mut signed = read_parts(source, bytes, known)?;
    signed.signature = signature;
    Ok(signed)
}

/// Reads the manifest of a copy whose signature is not checked (a site the caller built
/// itself, such as the folder `kaifang deploy` uploads), with every part and file it lists.
/// The signature file, when there is one, comes with it unchecked. As in [`read_signed`], a
/// part `known` holds with the right hash is read from there.
pub fn read_unsigned(
    source: &dyn Source,
    known: Option<&dyn Source>,
) -> Result<Signed, VerifyError> {
    let bytes = source
        .read(manifest::MANIFEST)?
        .ok_or_else(|| VerifyError::NoManifest {
            source_name: source.describe(),
            file: manifest::MANIFEST,
        })?;
    let signature = source.read(manifest::SIGNATURE)?.unwrap_or_default();
    let mut listed = read_parts(source, bytes, known)?;
    listed.signature = signature;
    Ok(listed)
}

/// The manifest in `bytes` with its parts (each checked against the hash that names it)
/// and every file they list; the signature is left empty.
fn read_parts(
    source: &dyn Source,
    bytes: Vec<u8>,
    known: Option<&dyn Source>,
) -> Result<Signed, VerifyError> {
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| VerifyError::Manifest {
        path: manifest::MANIFEST.into(),
        reason: e.to_string(),
    })?;
    if manifest.kaifang_manifest != manifest::FORMAT {
        return Err(VerifyError::Manifest {
            path: manifest::MANIFEST.into(),
            reason: format!(
                "format {} is not the format {} this version reads",
                manifest.kaifang_manifest,
                manifest::FORMAT
            ),
        });
    }
    let mut parts = BTreeMap::new();
    let mut files = BTreeMap::new();
    for reference in &manifest.parts {
        // A part is named by its hash: 64 lowercase hex digits, nothing else.
        let is_hash = reference.sha256.len() == 64
            && reference
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_hash {
            return Err(VerifyError::Manifest {
                path: manifest::MANIFEST.into(),
                reason: format!("`{}` is not a SHA-256 in hex", reference.sha256),
            });
        }
        let part_path = reference.path();
        let held = known
            .and_then(|k| k.read(&part_path).ok().flatten())
            .filter(|bytes| manifest::sha256_hex(bytes) == reference.sha256);
        let part_bytes = match held {
            Some(bytes) => Some(bytes),
            None => source.read(&part_path)?,
        }
        .ok_or_else(|| VerifyError::Manifest {
            path: part_path.clone(),
            reason: "this part of the manifest is missing".into(),
        })?;
        if manifest::sha256_hex(&part_bytes) != reference.sha256 {
            return Err(VerifyError::Manifest {
                path: part_path.clone(),
                reason: "this part's SHA-256 is not the one the signed manifest names".into(),
            });
        }
        let part: Part =
            serde_json::from_slice(&part_bytes).map_err(|e| VerifyError::Manifest {
                path: part_path.clone(),
                reason: e.to_string(),
            })?;
        for entry in part.files {
            check_path(&entry.path)?;
            if manifest::is_own(&entry.path) {
                return Err(VerifyError::Manifest {
                    path: entry.path,
                    reason: "a part lists one of the manifest's own files".into(),
                });
            }
            files.insert(entry.path.clone(), entry);
        }
        parts.insert(part_path.clone(), part_bytes);
    }
    if files.len() as u64 != manifest.files {
        return Err(VerifyError::Manifest {
            path: manifest::MANIFEST.into(),
            reason: format!(
                "it counts {} files but its parts list {}",
                manifest.files,
                files.len()
            ),
        });
    }
    Ok(Signed {
        manifest,
        bytes,
        signature: Vec::new(),
        parts,
        files,
    })
}

/// What checking a copy found.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    /// The generation the copy's manifest names.
    pub generation: u64,
    /// The build date it names.
    pub built: String,
    /// Files listed.
    pub files: usize,
    /// Listed files the copy lacks.
    pub missing: Vec<String>,
    /// Listed files whose size or SHA-256 differs.
    pub changed: Vec<String>,
    /// Files of the copy the manifest does not list (only for a copy that can be listed).
    pub extra: Vec<String>,
    /// With an origin: the origin's generation.
    pub origin_generation: Option<u64>,
    /// With a newer origin: files the origin has changed, added or removed since.
    pub stale: Vec<String>,
}

impl Report {
    /// Whether the copy is a complete, unchanged, current copy.
    pub fn is_good(&self) -> bool {
        self.missing.is_empty()
            && self.changed.is_empty()
            && self.extra.is_empty()
            && self.stale.is_empty()
    }
}

/// Checks every file of a copy against its signed manifest, and, with an origin, whether
/// the copy is behind it.
pub fn verify(
    copy: &dyn Source,
    key: &Verifier,
    origin: Option<&dyn Source>,
) -> Result<Report, VerifyError> {
    let signed = read_signed(copy, key, None)?;
    let mut report = Report {
        generation: signed.manifest.generation,
        built: signed.manifest.built.clone(),
        files: signed.files.len(),
        ..Report::default()
    };
    for entry in signed.files.values() {
        match copy.digest(&entry.path)? {
            None => report.missing.push(entry.path.clone()),
            Some((size, sha256)) if size != entry.size || sha256 != entry.sha256 => {
                report.changed.push(entry.path.clone());
            }
            Some(_) => {}
        }
    }
    if let Some(listed) = copy.list()? {
        report.extra = listed
            .into_iter()
            .filter(|path| {
                // The manifest's folder holds the publisher's own records (the manifest,
                // its parts, the trace, the daemon's commit), not site files.
                !signed.files.contains_key(path)
                    && !manifest::is_own(path)
                    && path != manifest::OUTPUT_MARKER
            })
            .collect();
    }
    if let Some(origin) = origin {
        let current = read_signed(origin, key, Some(copy))?;
        report.origin_generation = Some(current.manifest.generation);
        // By the files, not the number: a rollback at the origin can issue a generation
        // number again.
        if current.bytes != signed.bytes {
            report.stale = stale(&signed.files, &current.files);
        }
    }
    Ok(report)
}

/// Paths whose entry differs between two generations: changed, added or removed.
pub fn stale(
    ours: &BTreeMap<String, FileEntry>,
    theirs: &BTreeMap<String, FileEntry>,
) -> Vec<String> {
    let mut paths: Vec<String> = theirs
        .iter()
        .filter(|(path, entry)| ours.get(*path) != Some(entry))
        .map(|(path, _)| path.clone())
        .chain(ours.keys().filter(|p| !theirs.contains_key(*p)).cloned())
        .collect();
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::is_site_path;

    #[test]
    fn only_relative_paths_inside_the_site_pass() {
        for good in [
            "index.html",
            "datasets/a/files/x.csv",
            ".well-known/kaifang/trace",
        ] {
            assert!(is_site_path(good), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/./b",
            "a/",
            "a\\..\\b",
            "a\0b",
        ] {
            assert!(!is_site_path(bad), "{bad:?}");
        }
    }
}
