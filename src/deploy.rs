//! `kaifang deploy`: upload a built site to S3-compatible object storage.

use std::path::Path;

use crate::{EXIT_FAILED, EXIT_OK};

/// Deploys `site` to `bucket`; exit status 0 when the bucket now holds the site, 2 when the
/// deploy stopped (nothing was deleted then, and running it again finishes it).
pub fn deploy(site: &Path, bucket: &bucket::Bucket, key: Option<&Path>, quiet: bool) -> u8 {
    if let Some(key) = key {
        let checked = mirror::signing::Verifier::load(key)
            .map_err(|e| e.to_string())
            .and_then(|key| {
                mirror::verify::read_signed(&mirror::verify::Folder::new(site), &key, None)
                    .map_err(|e| e.to_string())
            });
        if let Err(err) = checked {
            eprintln!("error: {}: {err}", site.display());
            return EXIT_FAILED;
        }
    }
    let progress = |line: &str| {
        if !quiet {
            println!("{line}");
        }
    };
    match bucket::deploy(site, bucket, &progress) {
        Ok(report) => {
            println!(
                "deployed {} (generation {}) to bucket {}{}: {} objects uploaded ({:.1} MB), \
                 {} files unchanged, {} objects deleted",
                site.display(),
                report.generation,
                bucket.name,
                if bucket.prefix.is_empty() {
                    String::new()
                } else {
                    format!("/{}", bucket.prefix.trim_matches('/'))
                },
                report.uploaded,
                report.bytes as f64 / 1e6,
                report.unchanged,
                report.deleted
            );
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_FAILED
        }
    }
}
