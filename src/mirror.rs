//! `kaifang keygen` and `kaifang mirror verify|sync`: the signing key pair, and checking or
//! pulling a copy of the site against its signed manifest.

use std::path::Path;

use mirror::signing::{self, Verifier};
use mirror::verify::{Folder, Report, Source};
use mirror::web::Web;

use crate::{EXIT_FAILED, EXIT_OK, EXIT_REJECTED};

/// Creates the key pair that signs the manifest.
pub fn keygen(secret: &Path, public: &Path) -> u8 {
    match signing::generate(secret, public) {
        Ok(()) => {
            println!(
                "wrote the secret key {} (mode 0600, no password: keep it outside the site and \
                 the catalog) and the public key {} (give it to mirror operators)",
                secret.display(),
                public.display()
            );
            println!(
                "set it in site.toml:\n\n[mirror]\nsigning_key = \"{}\"",
                secret.display()
            );
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_FAILED
        }
    }
}

/// A copy named on the command line: an http(s) address or a folder.
fn source(copy: &str) -> Box<dyn Source> {
    if copy.starts_with("http://") || copy.starts_with("https://") {
        Box::new(Web::new(copy))
    } else {
        Box::new(Folder::new(Path::new(copy)))
    }
}

fn load_key(key: &Path) -> Option<Verifier> {
    Verifier::load(key)
        .inspect_err(|err| eprintln!("error: {err}"))
        .ok()
}

/// Checks a copy; exit status 0 when it is complete, unchanged and current, 1 when it is
/// not, 2 when it could not be checked (no manifest, a bad signature, unreadable).
pub fn verify(copy: &str, key: &Path, origin: Option<&str>, json: bool) -> u8 {
    let Some(key) = load_key(key) else {
        return EXIT_FAILED;
    };
    let copy_source = source(copy);
    let origin_source = origin.map(source);
    let report = match mirror::verify::verify(copy_source.as_ref(), &key, origin_source.as_deref())
    {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    if json {
        println!("{}", report_json(&report));
    } else {
        print_report(copy, &report);
    }
    if report.is_good() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    }
}

fn report_json(report: &Report) -> serde_json::Value {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    value["good"] = report.is_good().into();
    value
}

fn print_report(copy: &str, report: &Report) {
    println!(
        "{copy}: generation {} built {}, {} files, signature good",
        report.generation, report.built, report.files
    );
    for (label, paths) in [
        ("missing", &report.missing),
        ("changed", &report.changed),
        ("extra", &report.extra),
        ("stale", &report.stale),
    ] {
        for path in paths {
            println!("{label:>8}  {path}");
        }
    }
    if let Some(origin) = report.origin_generation
        && origin != report.generation
    {
        println!(
            "the origin is at generation {origin}: {} file(s) differ",
            report.stale.len()
        );
    }
    if report.is_good() {
        println!("good: every file is present and unchanged");
    } else {
        println!(
            "not good: {} missing, {} changed, {} extra, {} stale",
            report.missing.len(),
            report.changed.len(),
            report.extra.len(),
            report.stale.len()
        );
    }
}

/// Pulls a copy from the origin.
pub fn sync(origin: &str, dir: &Path, key: &Path, options: mirror::sync::SyncOptions) -> u8 {
    let Some(key) = load_key(key) else {
        return EXIT_FAILED;
    };
    match mirror::sync::sync(&Web::new(origin), dir, &key, options) {
        Ok(report) => {
            println!(
                "{}: generation {}: {} file(s) downloaded ({} bytes), {} unchanged, {} deleted",
                dir.display(),
                report.generation,
                report.downloaded,
                report.bytes,
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
