//! `kaifang publish` and `kaifang rollback`: builds go into release folders, and the live one
//! changes atomically (see `daemon::release`).

use std::collections::BTreeSet;
use std::path::Path;

use daemon::release::Releases;
use generator::divisions::Divisions;

use crate::{EXIT_FAILED, EXIT_OK, SiteArgs, load_config, run_build, today};

/// Builds into a staged release and publishes it; a failed build is discarded.
pub fn publish(site: &SiteArgs, root: &Path, keep: usize) -> u8 {
    let releases = match Releases::open(root) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    let staged = match releases.stage() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: cannot stage a release: {err}");
            return EXIT_FAILED;
        }
    };
    let outcome = run_build(site, staged.path(), false, true);
    let live = releases.current().unwrap_or_else(|| "nothing".into());
    if outcome.status == EXIT_FAILED {
        let _ = releases.discard(staged);
        eprintln!("error: nothing published; {live} stays live");
        return EXIT_FAILED;
    }
    match releases.publish(staged, keep) {
        Ok(name) => {
            println!(
                "published {name}: {} now serves it (was {live})",
                releases.current_link().display()
            );
            outcome.status
        }
        Err(err) => {
            eprintln!("error: publishing failed, {live} stays live: {err}");
            EXIT_FAILED
        }
    }
}

/// Switches back to the previous release after checking it shows nothing withheld now.
pub fn rollback(site: &SiteArgs, root: &Path) -> u8 {
    let releases = match Releases::open(root) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    let target = match releases.previous() {
        Ok(t) => t,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    let Some(config) = load_config(&site.config) else {
        return EXIT_FAILED;
    };
    // Today's catalog decides what is withheld: a dataset suspended or withdrawn since that
    // release was built must not come back with it.
    let checked = generator::check(&site.content, &config, &Divisions::guangxi(), Some(today()));
    let titles: Vec<&str> = checked
        .catalog
        .datasets
        .iter()
        .map(|d| d.title.as_str())
        .collect();
    let ids: Vec<&str> = checked
        .catalog
        .datasets
        .iter()
        .map(|d| d.id.0.as_str())
        .collect();
    let auditor = match generator::audit::Auditor::new(&checked.catalog.withheld, &titles, &ids) {
        Ok(a) => a,
        Err(err) => {
            eprintln!("error: cannot build the audit: {err}");
            return EXIT_FAILED;
        }
    };
    if let Some(auditor) = auditor {
        let path = releases.path_of(&target);
        match generator::audit::scan_unscanned(&path, &auditor, &BTreeSet::new()) {
            Ok(leaks) if !leaks.is_empty() => {
                eprintln!("error: {target} shows datasets that are withheld now; not rolled back");
                for leak in leaks.iter().take(20) {
                    eprintln!(
                        "  {} mentions `{}` (found `{}`)",
                        leak.file, leak.dataset, leak.found
                    );
                }
                eprintln!("  = help: publish a new release instead (`kaifang publish`)");
                return EXIT_FAILED;
            }
            Ok(_) => {}
            Err(err) => {
                eprintln!("error: cannot read {}: {err}", path.display());
                return EXIT_FAILED;
            }
        }
    }
    match releases.switch(&target) {
        Ok(()) => {
            println!("rolled back: {target} is live");
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_FAILED
        }
    }
}
