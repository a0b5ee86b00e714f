//! The manifest: every public file of one generation of the site, with its size and SHA-256.
//!
//! `/.well-known/kaifang/manifest.json` is small and signed. It names the generation, the
//! source commit, the build date (from the input, never the clock), the paths removed since
//! the previous generation, and the manifest's *parts*: the files are split among parts by a
//! hash of their path, each part lists its files sorted by path, and each part is itself a
//! file named by its SHA-256 (`parts/<sha256>.json`), so the signature over `manifest.json`
//! covers every file. A change to one dataset rewrites the few parts that hold its files,
//! not one list of the whole site.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The folder of the manifest's own files, relative to the site root.
pub const DIR: &str = ".well-known/kaifang/";
/// The manifest, relative to the site root.
pub const MANIFEST: &str = ".well-known/kaifang/manifest.json";
/// Its minisign signature.
pub const SIGNATURE: &str = ".well-known/kaifang/manifest.json.minisig";
/// The trace file (as Debian mirrors keep one): the generation and build of the copy.
pub const TRACE: &str = ".well-known/kaifang/trace";
/// The folder of the parts.
pub const PARTS: &str = ".well-known/kaifang/parts/";
/// The marker `kaifang build` keeps in an output folder (so it never cleans a folder it did
/// not make). It is not part of the site: the manifest does not list it and a copy need not
/// hold it.
pub const OUTPUT_MARKER: &str = ".kaifang-output";
/// The version of this format, in `kaifang_manifest`.
pub const FORMAT: u32 = 1;
/// About this many files go in one part. Small parts keep what one edit rewrites small: an
/// edit at 100,000 datasets changes some 250 paths, which land in as many parts.
pub const FILES_PER_PART: usize = 64;

/// The signed top of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format version ([`FORMAT`]).
    pub kaifang_manifest: u32,
    /// Counts up by one with every build that publishes into the same site.
    pub generation: u64,
    /// The commit of the catalog repository the site was built from, when known.
    pub source_commit: Option<String>,
    /// The date the site describes (`YYYY-MM-DD`), from the records, not the clock.
    pub built: String,
    /// Number of files listed over all parts.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The parts, in the order of their numbers.
    pub parts: Vec<PartRef>,
    /// Paths the previous generation listed and this one does not, sorted.
    pub removed: Vec<String>,
}

/// One part, as the manifest names it. The part's file is `parts/<sha256>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// SHA-256 of its bytes, in lowercase hex: also its name.
    pub sha256: String,
    /// Files it lists.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// One part: files sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The files of this part.
    pub files: Vec<FileEntry>,
}

/// One public file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the site root, with `/`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 in lowercase hex.
    pub sha256: String,
}

/// Whether a site path is one of the manifest's own files (not listed in it).
pub fn is_own(path: &str) -> bool {
    path.starts_with(DIR)
}

/// How many parts a site of `files` files has: a power of two, so the count changes (and
/// every part is rewritten) only when the site doubles or halves.
pub fn part_count(files: usize) -> usize {
    files.div_ceil(FILES_PER_PART).next_power_of_two().max(1)
}

/// The part (from 0) a path belongs to among `parts`: FNV-1a of the path, a hash every
/// implementation can repeat.
pub fn part_of(path: &str, parts: usize) -> usize {
    (spread(path) % parts.max(1) as u64) as usize
}

/// FNV-1a of `text`: the hash that spreads paths over parts (and datasets over catalog
/// pages), stable across builds and versions.
pub fn spread(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The part files in a copy of the site at `root` (named or not by its manifest).
pub fn list_parts(root: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(root.join(PARTS))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| format!("{PARTS}{}", e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default()
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 15)] as char);
    }
    text
}

/// SHA-256 of bytes, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

impl Part {
    /// The part of these files (sorted here), its bytes and the reference the manifest keeps.
    pub fn make(mut files: Vec<FileEntry>) -> (Vec<u8>, PartRef) {
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        let part = Part { files };
        let mut bytes = serde_json::to_vec(&part).expect("a part serialises");
        bytes.push(b'\n');
        let sha256 = sha256_hex(&bytes);
        let reference = PartRef {
            sha256,
            files: part.files.len() as u64,
            bytes: part.files.iter().map(|f| f.size).sum(),
        };
        (bytes, reference)
    }
}

impl PartRef {
    /// The site path of the part's file.
    pub fn path(&self) -> String {
        format!("{PARTS}{}.json", self.sha256)
    }
}

impl Manifest {
    /// Its bytes, as published and signed: compact JSON (at 100,000 datasets it names some
    /// 8,000 parts).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("a manifest serialises");
        bytes.push(b'\n');
        bytes
    }

    /// The trace file of this generation: `Key: value` lines a person or a monitoring
    /// script reads to see which generation a copy holds. It follows from the manifest
    /// alone, so a copy's trace is the origin's.
    pub fn trace(&self) -> String {
        format!(
            "Generation: {}\nBuilt: {}\nSource-Commit: {}\nFiles: {}\nBytes: {}\n",
            self.generation,
            self.built,
            self.source_commit.as_deref().unwrap_or("-"),
            self.files,
            self.bytes,
        )
    }

    /// The comment the signature carries (and `minisign -V` prints), so the generation is
    /// covered by the signature and visible without parsing the JSON.
    pub fn trusted_comment(&self) -> String {
        format!(
            "kaifang manifest generation:{} built:{} commit:{}",
            self.generation,
            self.built,
            self.source_commit.as_deref().unwrap_or("-")
        )
    }
}

/// The parts of the last generation, kept by a publisher between builds so a build rewrites
/// only the parts that hold a changed file.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// By part number; empty until the first build.
    refs: Vec<PartRef>,
}

impl Parts {
    /// The parts, by number.
    pub fn refs(&self) -> &[PartRef] {
        &self.refs
    }

    /// Sets the number of parts to `parts` and replaces the files of the parts given (by
    /// number). A publisher that knows which files each part holds calls this with the parts
    /// a change touched; a new part count must come with every part. Each new part file is
    /// handed to `write` (its site path and bytes) as soon as it is made, so a whole site's
    /// parts (some 90 MB at 100,000 datasets) are never held at once. Returns the part files
    /// of the last generation that the new one does not name, sorted; on an error from
    /// `write`, the parts after it are not replaced.
    pub fn replace<E>(
        &mut self,
        parts: usize,
        rebuilt: impl IntoIterator<Item = (usize, Vec<FileEntry>)>,
        mut write: impl FnMut(&str, &[u8]) -> Result<(), E>,
    ) -> Result<Vec<String>, E> {
        // The parts replaced or cut off: their files go unless another part has the same bytes.
        let mut replaced: Vec<PartRef> = self.refs.split_off(parts.min(self.refs.len()));
        self.refs.resize_with(parts, || PartRef {
            sha256: String::new(),
            files: 0,
            bytes: 0,
        });
        for (n, files) in rebuilt {
            let (bytes, reference) = Part::make(files);
            if reference != self.refs[n] {
                write(&reference.path(), &bytes)?;
                replaced.push(std::mem::replace(&mut self.refs[n], reference));
            }
        }
        replaced.retain(|r| !r.sha256.is_empty());
        let now: std::collections::HashSet<&str> =
            self.refs.iter().map(|r| r.sha256.as_str()).collect();
        let mut dropped: Vec<String> = replaced
            .iter()
            .filter(|r| !now.contains(r.sha256.as_str()))
            .map(PartRef::path)
            .collect();
        dropped.sort_unstable();
        dropped.dedup();
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_double_with_the_site_and_hold_every_path_once() {
        assert_eq!(part_count(0), 1);
        assert_eq!(part_count(64), 1);
        assert_eq!(part_count(65), 2);
        assert_eq!(part_count(405_000), 8192);
        let parts = part_count(5000);
        let mut seen = vec![0; parts];
        for n in 0..5000 {
            seen[part_of(&format!("datasets/ds-{n:06}/index.html"), parts)] += 1;
        }
        // FNV spreads the paths: no part is empty or holds more than twice its share.
        assert!(
            seen.iter().all(|&c| c > 0 && c < 2 * 5000 / parts),
            "{seen:?}"
        );
    }

    #[test]
    fn a_part_is_sorted_and_named_by_its_hash() {
        let file = |path: &str| FileEntry {
            path: path.into(),
            size: 3,
            sha256: sha256_hex(path.as_bytes()),
        };
        let (bytes, reference) = Part::make(vec![file("b.html"), file("a.html")]);
        let part: Part = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(part.files[0].path, "a.html");
        assert_eq!(reference.sha256, sha256_hex(&bytes));
        assert_eq!(
            reference.path(),
            format!("{PARTS}{}.json", reference.sha256)
        );
        assert_eq!((reference.files, reference.bytes), (2, 6));
    }

    #[test]
    fn an_update_rewrites_only_the_part_of_a_changed_file() {
        let names: Vec<String> = (0..3000)
            .map(|n| format!("datasets/d{n}/index.html"))
            .collect();
        let mut hashes: Vec<[u8; 32]> = (0..3000u32).map(|n| [(n % 251) as u8; 32]).collect();
        let parts = part_count(names.len());
        // The files of each part, as a publisher that keeps them would hand them over.
        let part_files = |hashes: &[[u8; 32]], wanted: usize| -> Vec<FileEntry> {
            names
                .iter()
                .zip(hashes)
                .filter(|(path, _)| part_of(path, parts) == wanted)
                .map(|(path, hash)| FileEntry {
                    path: path.clone(),
                    size: 10,
                    sha256: hex(hash),
                })
                .collect()
        };
        // The part files made, in order, and those dropped.
        let replace = |kept: &mut Parts, rebuilt: Vec<(usize, Vec<FileEntry>)>| {
            let mut written: Vec<(String, Vec<u8>)> = Vec::new();
            let keep = |path: &str, bytes: &[u8]| {
                written.push((path.to_string(), bytes.to_vec()));
                Ok::<_, std::convert::Infallible>(())
            };
            let dropped = kept.replace(parts, rebuilt, keep).unwrap();
            (written, dropped)
        };
        let mut kept = Parts::default();
        let rebuilt = (0..parts).map(|n| (n, part_files(&hashes, n))).collect();
        let (written, dropped) = replace(&mut kept, rebuilt);
        assert!(dropped.is_empty());
        assert_eq!(written.len(), part_count(3000));
        let total: u64 = kept.refs().iter().map(|r| r.files).sum();
        assert_eq!(total, 3000);

        hashes[7] = [0xee; 32];
        let touched = part_of(&names[7], parts);
        let rebuilt = vec![(touched, part_files(&hashes, touched))];
        let (written, dropped) = replace(&mut kept, rebuilt);
        assert_eq!(written.len(), 1, "one part rewritten");
        assert_eq!(dropped.len(), 1, "its old version dropped");
        let part: Part = serde_json::from_slice(&written[0].1).unwrap();
        let entry = part.files.iter().find(|f| f.path == names[7]).unwrap();
        assert_eq!(entry.sha256, hex(&[0xee; 32]));
    }

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
