//! Streaming SHA-256 of files: resource checksums in validate, copy checks in write. The same
//! digest the mirror manifest lists (`mirror::verify::digest_reader`).

use std::path::Path;

/// Size and SHA-256 (lowercase hex) of a file, streamed.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    mirror::verify::digest_reader(std::fs::File::open(path)?)
}
