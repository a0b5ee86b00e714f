//! The mirror manifest of a build (`/.well-known/kaifang/manifest.json`, see the `mirror`
//! crate): written after the render and the audit, from the render's memo, which knows the
//! size and SHA-256 of every public file without reading one back.

use std::path::Path;

use mirror::manifest::{self, Manifest, Parts};
use mirror::signing::Signer;

use crate::render::RenderMemo;
use crate::write::{Output, WriteError};

/// Why the manifest could not be written or signed.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Writing a manifest file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The site path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The signing key could not be used.
    #[error(
        "cannot sign the mirror manifest: {0} (the key `[mirror] signing_key` in site.toml names; \
         make one with `kaifang keygen`, or leave the setting empty to publish unsigned)"
    )]
    Signing(#[from] mirror::signing::SigningError),
    /// The signing key lies where it could be published.
    #[error(
        "the signing key {key} lies inside {folder}, from where it could be published; move it \
         outside the content and output folders and set [mirror] signing_key in site.toml to it"
    )]
    ExposedKey {
        /// The key.
        key: String,
        /// The folder it lies in.
        folder: String,
    },
}

/// What a publisher keeps between builds into the same output: the parts of the last
/// manifest, which files each holds, and the generation.
#[derive(Debug, Default)]
pub struct ManifestState {
    parts: Parts,
    /// Per part, the memo keys of its files: a change rebuilds the parts it touched from
    /// these, without going through every file of the site.
    members: Vec<Vec<u64>>,
    generation: Option<u64>,
}

impl ManifestState {
    /// Brings the parts up to date with the memo: the parts holding a changed path, or all
    /// of them when the state is new or the part count changed. Lists only what `keep`
    /// accepts. Hands each new part file to `write` as it is made; returns the part files no
    /// longer named.
    fn rebuild<E>(
        &mut self,
        facts: &BuildFacts<'_>,
        keep: impl Fn(&str) -> bool,
        write: impl FnMut(&str, &[u8]) -> Result<(), E>,
    ) -> Result<Vec<String>, E> {
        let memo = facts.memo;
        let parts = manifest::part_count(memo.len());
        let changed = facts
            .changed
            .filter(|_| !self.parts.refs().is_empty() && self.members.len() == parts);
        let dirty: Vec<usize> = match changed {
            Some(changed) => {
                let mut dirty = std::collections::BTreeSet::new();
                for path in changed.iter().filter(|p| !manifest::is_own(p)) {
                    let (key, part) = (RenderMemo::key(path), part_of(path, parts));
                    let members = &mut self.members[part];
                    members.retain(|k| *k != key);
                    if memo.file(key).is_some() {
                        members.push(key);
                    }
                    dirty.insert(part);
                }
                dirty.into_iter().collect()
            }
            None => {
                self.members = vec![Vec::new(); parts];
                for (key, path) in memo.keyed().filter(|(_, p)| !manifest::is_own(p)) {
                    self.members[part_of(path, parts)].push(key);
                }
                (0..parts).collect()
            }
        };
        let rebuilt = dirty.into_iter().map(|part| {
            let files = self.members[part]
                .iter()
                .filter_map(|key| memo.file(*key))
                .filter(|(path, ..)| keep(path))
                .map(|(path, size, sha256)| manifest::FileEntry {
                    path: path.to_string(),
                    size,
                    sha256: manifest::hex(sha256),
                })
                .collect();
            (part, files)
        });
        self.parts.replace(parts, rebuilt, write)
    }

    /// Reads the generation of the manifest already in `output`, unless one is known: call it
    /// before a build cleans the folder, so the new generation counts on from it.
    pub fn resume(&mut self, output: &Path) {
        if self.generation.is_none() {
            self.generation = previous_generation(output);
        }
    }
}

/// The manifest part of a site path among `parts`. Files that change together share a part,
/// so an edit, and above all a takedown, rewrites few parts: the pages of one paginated list
/// (`…/page/<n>…`, which all shift when a dataset comes or goes before them) go by the list,
/// a dataset's documents (`datasets/<id>…`, `api/3/action/package_show/<id>`) by the dataset,
/// any other file by its path.
fn part_of(path: &str, parts: usize) -> usize {
    manifest::part_of(part_key(path), parts)
}

fn part_key(path: &str) -> &str {
    if let Some(list) = path.find("/page/") {
        return &path[..list];
    }
    for documents in ["datasets/", "api/3/action/package_show/"] {
        if let Some(rest) = path.strip_prefix(documents) {
            return &rest[..rest.find(['/', '.']).unwrap_or(rest.len())];
        }
    }
    path
}

/// The files a manifest write touched.
pub struct Written {
    /// The new manifest.
    pub manifest: Manifest,
    /// Site paths written or removed.
    pub changed: Vec<String>,
}

/// What a build hands the manifest.
pub struct BuildFacts<'a> {
    /// Every public file the build left.
    pub memo: &'a RenderMemo,
    /// Paths written or removed by this build; `None` when unknown (every part is rebuilt).
    pub changed: Option<&'a [&'a str]>,
    /// Paths removed by this build.
    pub removed: &'a [String],
    /// The date the site describes.
    pub built: chrono::NaiveDate,
    /// The source commit, when known.
    pub source_commit: Option<&'a str>,
}

/// Refuses a signing key inside any of these folders (where it could be published).
pub fn check_key_location(key: &Path, folders: &[&Path]) -> Result<(), ManifestError> {
    let resolve = |path: &Path| {
        std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let key_path = resolve(key);
    for folder in folders {
        let folder = resolve(folder);
        if key_path.starts_with(&folder) {
            return Err(ManifestError::ExposedKey {
                key: key.display().to_string(),
                folder: folder.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Writes the manifest of the files `facts.memo` lists into `output`: the parts that
/// changed, `manifest.json`, the trace file and, with a signer, the signature. Parts the new
/// manifest no longer names are removed. The generation counts on from the state, which the
/// caller [resumed](ManifestState::resume) before the build cleaned the folder.
pub fn write(
    output: &Output,
    state: &mut ManifestState,
    facts: &BuildFacts<'_>,
    signer: Option<&Signer>,
) -> Result<Written, ManifestError> {
    // The caller resumed the state before the build cleaned the folder.
    let generation = state.generation.unwrap_or(0) + 1;
    // A withheld dataset's paths name it, and nothing public may: such a path is neither
    // listed nor given as removed (a sync still deletes the file, from the difference of the
    // two generations). A public file whose path names one stays unlisted rather than
    // stopping the publish (and with it a takedown). Each path is scanned as it stands in the manifest's JSON, so the auditor sees it as
    // every other public file would print it (`"…/package_show/<id>"`).
    let names_withheld = |path: &str| {
        output.auditor().is_some_and(|auditor| {
            !auditor
                .scan(path, format!("\"{path}\"").as_bytes())
                .is_empty()
        })
    };
    let mut touched = Vec::new();
    let dropped = state.rebuild(
        facts,
        |path| !names_withheld(path),
        |path, bytes| {
            put(output, path, bytes)?;
            touched.push(path.to_string());
            Ok::<_, ManifestError>(())
        },
    )?;
    let refs = state.parts.refs().to_vec();
    let mut removed: Vec<String> = facts
        .removed
        .iter()
        .filter(|p| !names_withheld(p))
        .cloned()
        .collect();
    removed.sort();
    removed.dedup();
    let manifest = Manifest {
        kaifang_manifest: manifest::FORMAT,
        generation,
        source_commit: facts.source_commit.map(str::to_string),
        built: facts.built.to_string(),
        files: refs.iter().map(|r| r.files).sum(),
        bytes: refs.iter().map(|r| r.bytes).sum(),
        parts: refs,
        removed,
    };
    let bytes = manifest.to_bytes();
    put(output, manifest::TRACE, manifest.trace().as_bytes())?;
    match signer {
        Some(signer) => {
            let signature = signer.sign(&bytes, &manifest.trusted_comment())?;
            // The signature first: a reader that sees the new manifest sees its signature
            // (a reader between the two sees the old manifest fail, never a forged pass).
            put(output, manifest::SIGNATURE, signature.as_bytes())?;
        }
        None => remove(output, manifest::SIGNATURE)?,
    }
    put(output, manifest::MANIFEST, &bytes)?;
    touched.extend([manifest::TRACE, manifest::SIGNATURE, manifest::MANIFEST].map(String::from));
    for path in &dropped {
        remove(output, path)?;
    }
    touched.extend(dropped);
    state.generation = Some(generation);
    Ok(Written {
        manifest,
        changed: touched,
    })
}

/// The generation of the manifest already in the output, if any.
fn previous_generation(root: &Path) -> Option<u64> {
    let bytes = std::fs::read(root.join(manifest::MANIFEST)).ok()?;
    serde_json::from_slice::<Manifest>(&bytes)
        .ok()
        .map(|m| m.generation)
}

fn put(output: &Output, path: &str, bytes: &[u8]) -> Result<(), ManifestError> {
    let error = |source| ManifestError::Write {
        path: path.to_string(),
        source,
    };
    match output.write(path, bytes) {
        Ok(_) => Ok(()),
        Err(WriteError::Io(source)) => Err(error(source)),
        Err(WriteError::Leak(leaks)) => Err(error(std::io::Error::other(format!(
            "it mentions a withheld dataset ({})",
            leaks
                .first()
                .map(|l| l.dataset.as_str())
                .unwrap_or_default()
        )))),
    }
}

fn remove(output: &Output, path: &str) -> Result<(), ManifestError> {
    output
        .remove(&[path.to_string()])
        .map_err(|source| ManifestError::Write {
            path: path.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_change_together_share_a_part() {
        let parts = 1 << 12;
        let same = |a: &str, b: &str| part_of(a, parts) == part_of(b, parts);
        assert!(same(
            "domains/d0/page/2/index.html",
            "domains/d0/page/37/index.html"
        ));
        assert!(same("catalog/page/3.ttl", "catalog/page/400.jsonld"));
        for document in [
            "datasets/ds-000169.ttl",
            "datasets/ds-000169/datapackage.json",
            "api/3/action/package_show/ds-000169",
        ] {
            assert!(
                same("datasets/ds-000169/index.html", document),
                "{document}"
            );
        }
        assert_eq!(
            part_key("search/t/ad952695b9.bin"),
            "search/t/ad952695b9.bin"
        );
        assert_eq!(part_key("datasets/index.html"), "index");
        // Spread as before: of 4,096 datasets' pages, no part holds more than a few.
        let mut load = vec![0; parts];
        for n in 0..parts {
            load[part_of(&format!("datasets/ds-{n:06}/index.html"), parts)] += 1;
        }
        assert!(load.iter().all(|&n| n < 12));
    }
}
