//! `kaifang deploy`: upload a built site to S3-compatible object storage.

use std::path::Path;

use crate::{EXIT_FAILED, EXIT_OK};

/// Deploys `site` to `bucket`; exit status 0 when the bucket now holds the site, 2 when the
/// deploy stopped (the bucket's manifest is then the old one, and running it again finishes
/// the job).
pub fn deploy(site: &Path, bucket: &bucket::Bucket, key: Option<&Path>, quiet: bool) -> u8 {
    let verifier = match key.map(mirror::signing::Verifier::load) {
        Some(Ok(verifier)) => Some(verifier),
        Some(Err(err)) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
        None => None,
    };
    let progress = |line: &str| {
        if !quiet {
            println!("{line}");
        }
    };
    match bucket::deploy(site, bucket, verifier.as_ref(), &progress) {
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
            if report.left_alone > 0 {
                println!(
                    "{} objects the site does not have were left alone: the bucket held no \
                     manifest, so they may not be this site's; later deploys delete them",
                    report.left_alone
                );
            }
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_FAILED
        }
    }
}
