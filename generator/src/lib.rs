//! Kaifang's generator: YAML catalog records in, a static open-data portal out.
//!
//! The pipeline runs one way: [`load`] → [`validate`] → [`model`] → [`policy`] → [`render`] →
//! [`write`], then [`audit`] checks every output file for withheld records.

pub mod audit;
pub mod calendar;
pub mod config;
pub mod diagnostics;
pub mod digest;
pub mod divisions;
pub mod import;
pub mod load;
pub mod manifest;
pub mod metadata;
pub mod model;
pub mod policy;
pub mod render;
pub mod schema;
pub mod search;
pub mod synthetic;
pub mod validate;
pub mod workflows;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::diagnostics::Diagnostic;
use crate::divisions::Divisions;
use crate::policy::PublicCatalog;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The content folder (holds `departments/` and `pages/`).
    pub content: PathBuf,
    /// The output folder.
    pub output: PathBuf,
    /// The site configuration.
    pub config: SiteConfig,
    /// The date the site describes; `None` means the newest record date.
    /// The CLI fills it from SOURCE_DATE_EPOCH, so builds never read the clock.
    pub build_date: Option<NaiveDate>,
    /// The commit of the catalog repository the build reads, for the mirror manifest.
    pub source_commit: Option<String>,
    /// The minisign secret key that signs the mirror manifest; `None` leaves it unsigned.
    pub signing_key: Option<PathBuf>,
}

/// The outcome of checking a catalog (load, validate, policy) without rendering.
#[derive(Debug)]
pub struct Checked {
    /// The public part of the catalog, with the withheld list.
    pub catalog: PublicCatalog,
    /// Every finding, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Record files rejected.
    pub rejected: Vec<String>,
    /// Markdown pages.
    pub pages: Vec<load::MarkdownPage>,
    /// Maintenance notices, newest window first.
    pub notices: Vec<model::Notice>,
    /// Applications for conditionally open data (published only as aggregates).
    pub applications: Vec<model::Application>,
    /// The showcase of applications built on open data, newest first; naming public
    /// datasets only.
    pub apps: Vec<model::ShowcaseApp>,
    /// Demands for data from the public, newest first.
    pub demands: Vec<model::Demand>,
    /// Annual opening plans, newest year first, as the public may see them.
    pub plans: Vec<model::Plan>,
    /// Time spent.
    pub elapsed: Duration,
}

impl Checked {
    /// The newest date the platform's own records give (a notice published, a takedown's
    /// last step, an application's last event): with the datasets' dates, the date the site
    /// describes when none is given.
    pub fn newest_workflow_date(&self) -> Option<NaiveDate> {
        let notices = self.notices.iter().map(|n| n.published.date());
        let takedowns = self.catalog.takedowns.iter().map(|t| t.takedown.updated());
        let applications = self.applications.iter().map(|a| a.last_event().date());
        let apps = self.apps.iter().map(|a| a.published);
        let demands = self.demands.iter().map(model::Demand::last_change);
        notices
            .chain(takedowns)
            .chain(applications)
            .chain(apps)
            .chain(demands)
            .max()
    }

    /// Number of errors among the diagnostics.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Figures of a finished build.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// Datasets published.
    pub published: usize,
    /// Record files rejected.
    pub rejected: usize,
    /// Datasets withheld by policy.
    pub withheld: usize,
    /// Departments.
    pub departments: usize,
    /// HTML pages produced.
    pub pages: usize,
    /// Files produced in all.
    pub files: usize,
    /// Files whose bytes changed.
    pub written: usize,
    /// Files not rendered again because their inputs did not change.
    pub skipped: usize,
    /// Bytes of all produced files.
    pub bytes: u64,
    /// Stale files removed from the output.
    pub removed: usize,
    /// Every path written or removed, relative to the output.
    #[serde(skip)]
    pub changed_paths: std::collections::BTreeSet<String>,
    /// The generation of the mirror manifest this build wrote.
    pub generation: u64,
    /// Why the manifest was left unsigned although a key is configured (the daemon only;
    /// a one-off build fails instead).
    pub unsigned: Option<String>,
    /// Seconds spent loading and validating.
    pub check_seconds: f64,
    /// Seconds spent rendering and writing.
    pub render_seconds: f64,
    /// Seconds spent auditing.
    pub audit_seconds: f64,
    /// Figures of the search index.
    pub search: search_index::IndexStats,
    /// Files left out because they mention a withheld dataset (only in a session that
    /// withdraws leaks; elsewhere they fail the build).
    pub withdrawn: Vec<audit::Leak>,
    /// The files of the whole catalog (`data.json`, `catalog.csv`) were kept from the last
    /// build, or left out, and no longer describe the catalog
    /// ([`Session::update_whole_catalog`]).
    pub whole_catalog_behind: bool,
    /// They were left out: a dataset they listed is no longer public.
    pub whole_catalog_dropped: bool,
    /// Listing pages a takedown only shifted, kept as they were for the next build to make
    /// (see [`render::RenderMemo::defer_shifted_listings`]): when not 0, build again soon.
    pub deferred: usize,
    /// A dataset the last build of the session published is withheld now: this build took
    /// it down (only in a session that withdraws leaks).
    pub takedown: bool,
}

/// Why a build failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// The output folder could not be prepared or cleaned.
    #[error("output folder {path}: {source}")]
    Output {
        /// The folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Output mentioned withheld records; those files were not written (or were removed).
    #[error("{} mention(s) of withheld records refused", .0.len())]
    Leak(Vec<audit::Leak>),
    /// The mirror manifest could not be written or signed.
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
}

/// Loads, validates and applies policy; renders nothing. `today`, when given, is the latest
/// date a record may carry (the CLI passes SOURCE_DATE_EPOCH's date or the current one).
pub fn check(
    content: &Path,
    config: &SiteConfig,
    divisions: &Divisions,
    today: Option<NaiveDate>,
) -> Checked {
    let started = Instant::now();
    let (folders, mut diagnostics) = load::department_folders(content);
    let results: Vec<validate::FolderResult> = folders
        .par_iter()
        .map(|dir| {
            let (folder, found) = load::load_folder(content, dir, &config.limits, None);
            validate::validate_folder(folder, found, config, divisions, today, None)
        })
        .collect();
    let pages = load::load_pages(&content.join("pages"), &config.limits, &mut diagnostics);
    let all: Vec<&validate::FolderResult> = results.iter().collect();
    let sorted = validate::in_id_order(&all);
    let validated = validate::merge(
        all.iter().copied(),
        &sorted,
        |p| all[p.folder as usize].datasets[p.index].1.as_str(),
        diagnostics,
    );
    finish_check(validated, pages, content, config, today, started)
}

/// Per-department results of [`check`], kept between checks of one content folder by a
/// long-running process, so that a check reads only the departments that changed.
#[derive(Debug, Default)]
pub struct CheckCache {
    today: Option<NaiveDate>,
    /// Per folder: the number its result was given, and the result.
    folders: std::collections::BTreeMap<PathBuf, (u64, validate::FolderResult)>,
    /// The accepted datasets of `folders` in id order, by folder number: only the datasets
    /// of folders read again move.
    sorted: Vec<validate::Placed>,
    /// The next folder result's number.
    next: u64,
}

impl CheckCache {
    /// Forgets everything: the next check reads every department.
    pub fn clear(&mut self) {
        self.folders.clear();
        self.sorted.clear();
    }
}

/// As [`check`], reading again only the department folders named in `changed` (by folder
/// name) and those `cache` has not seen; `None` reads them all. The others are taken from
/// `cache`, which is then brought up to date.
pub fn check_cached(
    content: &Path,
    config: &SiteConfig,
    divisions: &Divisions,
    today: Option<NaiveDate>,
    cache: &mut CheckCache,
    changed: Option<&std::collections::BTreeSet<String>>,
) -> Checked {
    let started = Instant::now();
    if cache.today != today {
        cache.clear();
        cache.today = today;
    }
    let (folders, mut diagnostics) = load::department_folders(content);
    let stale = |dir: &PathBuf| {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        !cache.folders.contains_key(dir) || changed.is_none_or(|c| c.contains(&name))
    };
    let fresh: Vec<(PathBuf, validate::FolderResult)> = folders
        .par_iter()
        .filter(|dir| stale(dir))
        .map(|dir| {
            // The records whose text the last result of this folder validated are not
            // parsed again: their outcomes carry over.
            let previous = cache.folders.get(dir).map(|(_, result)| result);
            let known = |department: Option<&str>, path: &Path, source: &str| {
                previous.is_some_and(|p| p.knows(department, path, source))
            };
            let (folder, found) = load::load_folder(content, dir, &config.limits, Some(&known));
            let result =
                validate::validate_folder(folder, found, config, divisions, today, previous);
            (dir.clone(), result)
        })
        .collect();
    // Folder results that go: those read again and those of folders gone.
    let mut dropped: std::collections::HashSet<u64> = cache
        .folders
        .iter()
        .filter(|(dir, _)| folders.binary_search(dir).is_err())
        .map(|(_, (number, _))| *number)
        .collect();
    cache
        .folders
        .retain(|dir, _| folders.binary_search(dir).is_ok());
    let mut arrived = Vec::new();
    for (dir, result) in fresh {
        let number = cache.next;
        cache.next += 1;
        arrived.push(number);
        if let Some((old, _)) = cache.folders.insert(dir, (number, result)) {
            dropped.insert(old);
        }
    }
    let by_number: std::collections::HashMap<u64, (&PathBuf, &validate::FolderResult)> = cache
        .folders
        .iter()
        .map(|(dir, (number, result))| (*number, (dir, result)))
        .collect();
    let mut sorted = std::mem::take(&mut cache.sorted);
    sorted.retain(|p| !dropped.contains(&p.folder));
    let mut incoming: Vec<validate::Placed> = arrived
        .iter()
        .flat_map(|&number| by_number[&number].1.placed(number))
        .collect();
    // By id; equal ids (rejected, every one) in folder path order, as in a full check.
    let order = |a: &validate::Placed, b: &validate::Placed| {
        (&a.dataset.id, by_number[&a.folder].0).cmp(&(&b.dataset.id, by_number[&b.folder].0))
    };
    incoming.sort_by(order);
    let sorted = validate::merge_in_order(sorted, incoming, order);
    let pages = load::load_pages(&content.join("pages"), &config.limits, &mut diagnostics);
    let validated = validate::merge(
        cache.folders.values().map(|(_, result)| result),
        &sorted,
        |p| by_number[&p.folder].1.datasets[p.index].1.as_str(),
        diagnostics,
    );
    cache.sorted = sorted;
    finish_check(validated, pages, content, config, today, started)
}

fn finish_check(
    mut validated: validate::Validated,
    pages: Vec<load::MarkdownPage>,
    content: &Path,
    config: &SiteConfig,
    today: Option<NaiveDate>,
    started: Instant,
) -> Checked {
    // One lookup of the catalog for the workflow records that name a dataset.
    let datasets = &validated.catalog.datasets;
    let rejected = &validated.rejected_records;
    let position = |id: &str| datasets.binary_search_by(|d| d.id.0.as_str().cmp(id)).ok();
    let rejected_id = |id: &str| rejected.iter().any(|r| r.id == id);
    let known = |id: &str| position(id).is_some() || rejected_id(id);
    let ids = || datasets.iter().map(|d| d.id.0.as_str()).collect();
    let dataset = |id: &str| {
        let d = &datasets[position(id)?];
        Some(workflows::applications::DatasetFacts {
            department: d.department.clone(),
            open_type: d.open_type,
            fields: d.fields.iter().map(|f| f.name.clone()).collect(),
        })
    };
    let mut found = Vec::new();
    let takedowns =
        workflows::takedowns::load(content, &config.limits, today, &known, &ids, &mut found);
    let notices = workflows::notices::load(
        content,
        &config.limits,
        calendar::WorkCalendar::official(),
        today,
        &mut found,
    );
    let applications = workflows::applications::load(
        content,
        &config.limits,
        calendar::WorkCalendar::official(),
        today,
        &workflows::applications::Lookup {
            dataset: &dataset,
            rejected: &rejected_id,
            ids: &ids,
        },
        &mut found,
    );
    let apps = workflows::showcase::load(content, &config.limits, today, &known, &ids, &mut found);
    let departments = &validated.catalog.departments;
    let demands = workflows::demands::load(
        content,
        &config.limits,
        today,
        &workflows::demands::Lookup {
            department: &|code| departments.contains_key(&model::DeptCode(code.to_string())),
            departments: &|| departments.keys().map(|c| c.0.as_str()).collect(),
            dataset: &known,
            datasets: &ids,
        },
        &mut found,
    );
    let plans = workflows::plans::load(
        content,
        &config.limits,
        &|code| departments.contains_key(&model::DeptCode(code.to_string())),
        &|| departments.keys().map(|c| c.0.as_str()).collect(),
        &mut found,
    );
    validated.diagnostics.append(&mut found);
    let (catalog, warnings) =
        policy::apply(validated.catalog, &validated.rejected_records, &takedowns);
    validated.diagnostics.extend(warnings);
    // What the platform's own texts must not name, found once for the four kinds that print
    // text (and not at all when there is none, as on most of the daemon's cycles).
    let (notices, apps, demands, plans) =
        if notices.is_empty() && apps.is_empty() && demands.is_empty() && plans.is_empty() {
            (notices, apps, demands, plans)
        } else {
            let unnameable = catalog.unnameable();
            let found = &mut validated.diagnostics;
            (
                workflows::notices::without_withheld(notices, &unnameable, found),
                workflows::showcase::public_only(apps, &catalog, &unnameable, found),
                workflows::demands::public_only(demands, &catalog, &unnameable, found),
                workflows::plans::public_only(plans, &unnameable, found),
            )
        };
    validated
        .diagnostics
        .extend(metadata::pod::missing_contact(&catalog, config));
    validated
        .diagnostics
        .sort_by_key(diagnostics::Diagnostic::sort_key);
    Checked {
        catalog,
        diagnostics: validated.diagnostics,
        rejected: validated.rejected,
        pages,
        notices,
        applications,
        apps,
        demands,
        plans,
        elapsed: started.elapsed(),
    }
}

/// Builds the site from an already checked catalog; `progress` gets (done, total).
pub fn build(
    options: &BuildOptions,
    divisions: &Divisions,
    checked: &Checked,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BuildReport, BuildError> {
    build_with(
        options,
        divisions,
        checked,
        progress,
        Carried {
            memo: render::RenderMemo::default(),
            index: None,
            manifest: &mut manifest::ManifestState::default(),
            withdraw_leaks: false,
            pending: None,
        },
    )
    .map(|(report, _, _)| report)
}

/// What a long-running process (the daemon) keeps between builds into the same output: the
/// memo of the last render and the live search index. Builds with a session render only what
/// changed; see [`render::RenderMemo`] and [`search::LiveSearch`].
#[derive(Default)]
pub struct Session {
    memo: render::RenderMemo,
    index: search::LiveSearch,
    /// Whether a file that mentions a withheld dataset is left out (and reported) instead of
    /// failing the build.
    withdraw_leaks: bool,
    /// The audit of skipped files that [`Session::audit_some`] still owes.
    pending: Option<PendingAudit>,
    /// The mirror manifest of the last build.
    manifest: manifest::ManifestState,
    /// When the next build writes the files of the whole catalog
    /// ([`Session::update_whole_catalog`]).
    whole_update: render::WholeCatalogUpdate,
}

/// Skipped files still to be read for what datasets withheld since the files were audited
/// may leave in them.
struct PendingAudit {
    /// The auditor every file of the output passed before: `None` when nothing was withheld.
    base: Option<std::sync::Arc<audit::Auditor>>,
    /// What the last build's auditor looks for beyond `base`.
    auditor: std::sync::Arc<audit::Auditor>,
    /// The files still to read.
    sweep: audit::Sweep,
}

/// What one [`Session::audit_some`] found.
#[derive(Debug, Default)]
pub struct AuditStep {
    /// Files that mention a withheld dataset: forgotten by the session, to be left out of
    /// what is published.
    pub leaks: Vec<audit::Leak>,
    /// Files read.
    pub read: usize,
    /// Whether the audit is done.
    pub done: bool,
}

impl Session {
    /// A session for a publisher that must not be stopped by one page: a file that mentions a
    /// withheld dataset is left out of the output and reported in
    /// [`BuildReport::withdrawn`], the rest of the build goes on, and when a dataset was just
    /// withheld the files the build skipped are audited after publishing, by
    /// [`Session::audit_some`]. They are the live site's own bytes, so publishing first shows
    /// nothing the live site did not, and takes the dataset's own pages down at once.
    pub fn withdrawing_leaks() -> Session {
        Session {
            withdraw_leaks: true,
            ..Session::default()
        }
    }

    /// Says when the next builds write `data.json` and `catalog.csv` (by default whenever
    /// anything they list changed): see [`render::RenderMemo::update_whole_catalog`].
    /// [`BuildReport::whole_catalog_behind`] says when a build left them behind.
    pub fn update_whole_catalog(&mut self, when: render::WholeCatalogUpdate) {
        self.whole_update = when;
    }

    /// Forgets the last render (the output no longer holds it). The live index stays: its
    /// files are written whenever the output lacks them.
    pub fn forget_output(&mut self) {
        self.memo = render::RenderMemo::default();
        self.manifest = manifest::ManifestState::default();
        self.pending = None;
    }

    /// Whether skipped files are still to be audited ([`Session::audit_some`]).
    pub fn audit_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Audits files the builds skipped, in `root` (the folder the last build built into, or
    /// the release holding its files), for what was withheld since they were audited, until
    /// `budget` has passed. Builds in between go on: they audit what they write against
    /// everything withheld, and the audit carries on from where it was (from the start when
    /// something else is withheld). Files that leak are forgotten, so the next build renders
    /// them again (and leaves them out); the caller removes them from what it publishes.
    /// After a read error the session forgets the output, so the next build renders and
    /// audits everything.
    pub fn audit_some(
        &mut self,
        root: &Path,
        budget: std::time::Duration,
    ) -> std::io::Result<AuditStep> {
        let Some(pending) = self.pending.as_mut() else {
            return Ok(AuditStep {
                done: true,
                ..AuditStep::default()
            });
        };
        match pending.sweep.step(root, &pending.auditor, budget) {
            Ok(step) => {
                self.memo.forget(step.leaks.iter().map(|l| l.file.as_str()));
                if step.done {
                    self.pending = None;
                }
                Ok(AuditStep {
                    leaks: step.leaks,
                    read: step.read,
                    done: step.done,
                })
            }
            Err(err) => {
                self.forget_output();
                Err(err)
            }
        }
    }

    /// Audits every file the builds skipped at once (see [`Session::audit_some`]).
    #[cfg(test)]
    fn finish_audit(&mut self, root: &Path) -> std::io::Result<Vec<audit::Leak>> {
        let mut leaks = Vec::new();
        loop {
            let step = self.audit_some(root, std::time::Duration::MAX)?;
            leaks.extend(step.leaks);
            if step.done {
                audit::sort(&mut leaks);
                return Ok(leaks);
            }
        }
    }
}

/// As [`build`], into an output that still holds what the session's last build wrote: files
/// whose inputs did not change are neither rendered nor read again, and stale files are found
/// from the session instead of by walking the output. After an error the session forgets the
/// output, so the next build renders everything.
pub fn build_incremental(
    options: &BuildOptions,
    divisions: &Divisions,
    checked: &Checked,
    progress: &(dyn Fn(usize, usize) + Sync),
    session: &mut Session,
) -> Result<BuildReport, BuildError> {
    let mut memo = std::mem::take(&mut session.memo);
    memo.update_whole_catalog(session.whole_update);
    let (report, next, pending) = build_with(
        options,
        divisions,
        checked,
        progress,
        Carried {
            memo,
            index: Some(&mut session.index),
            manifest: &mut session.manifest,
            withdraw_leaks: session.withdraw_leaks,
            pending: session.pending.take(),
        },
    )?;
    session.memo = next;
    session.pending = pending;
    Ok(report)
}

/// What a build carries over from the last one into the same output (all empty for a
/// one-off build).
struct Carried<'a> {
    memo: render::RenderMemo,
    index: Option<&'a mut search::LiveSearch>,
    manifest: &'a mut manifest::ManifestState,
    withdraw_leaks: bool,
    /// The audit of skipped files the last builds still owe.
    pending: Option<PendingAudit>,
}

fn build_with(
    options: &BuildOptions,
    divisions: &Divisions,
    checked: &Checked,
    progress: &(dyn Fn(usize, usize) + Sync),
    carried: Carried<'_>,
) -> Result<(BuildReport, render::RenderMemo, Option<PendingAudit>), BuildError> {
    let Carried {
        mut memo,
        index,
        manifest: manifest_state,
        withdraw_leaks,
        pending: owed,
    } = carried;
    let output_error = |source| BuildError::Output {
        path: options.output.display().to_string(),
        source,
    };
    let audit_error = |e| {
        output_error(std::io::Error::other(format!(
            "cannot build the audit: {e}"
        )))
    };
    let had_memo = !memo.is_empty();
    // What the render reads of each dataset, read now only for those that changed: the
    // audit and the build date need it first.
    memo.refresh(&checked.catalog, divisions);
    let shared = memo.shared_with_public(&checked.catalog);
    // A one-off build scans all it writes: its automaton is made for speed. A session's
    // is kept as long as the process runs, so it is made small (a full DFA for 3,000
    // withheld datasets is some 40 MB); its first build scans a third slower.
    let scans_whole = !had_memo && index.is_none();
    let auditor =
        audit::Auditor::for_catalog_reusing(&checked.catalog, &shared, memo.auditor(), scans_whole)
            .map_err(audit_error)?;
    if overlaps(&options.output, &options.content) {
        return Err(output_error(std::io::Error::other(format!(
            "the output folder {} and the content folder {} overlap; build into a separate folder",
            options.output.display(),
            options.content.display()
        ))));
    }
    // A key that cannot be used fails a one-off build; a publisher that must not be stopped
    // (the daemon, whose next publish may be a takedown) writes the manifest unsigned and
    // says why, and mirrors refuse it until the key is fixed.
    let mut unsigned = None;
    let signer = match &options.signing_key {
        Some(key) => match manifest::check_key_location(key, &[&options.output, &options.content])
            .and_then(|()| mirror::signing::Signer::load(key).map_err(Into::into))
        {
            Ok(signer) => Some(signer),
            Err(err) if withdraw_leaks => {
                unsigned = Some(err.to_string());
                None
            }
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    // The auditor every file the memo describes passed: its render's, or while an audit is
    // owed, the one before the datasets withheld since.
    let trusted = match &owed {
        Some(owed) => owed.base.clone(),
        None => memo.auditor().cloned(),
    };
    // What this auditor looks for beyond that one: `None` when nothing more; the whole
    // auditor without a memo.
    let beyond = match &auditor {
        Some(now) => now.beyond(trusted.as_deref()).map_err(audit_error)?,
        None => None,
    };
    let mut output = write::Output::new(&options.output, auditor).map_err(output_error)?;
    // A write replacing a file the memo describes scans what differs, and the whole file only
    // for what is new.
    if had_memo && trusted.is_some() {
        output = output.existing_passed(beyond.clone());
    }
    let build_date = options
        .build_date
        .or_else(|| memo.newest_change().max(checked.newest_workflow_date()))
        .unwrap_or_default();
    let site = render::Site {
        config: &options.config,
        divisions,
        catalog: &checked.catalog,
        pages: &checked.pages,
        build_date,
        notices: &checked.notices,
        applications: &checked.applications,
        apps: &checked.apps,
        demands: &checked.demands,
        plans: &checked.plans,
    };
    // A publisher that must not be held back renders at once only the listing pages that
    // name a dataset withheld since the last render; the pages it merely shifted follow.
    let mut takedown = false;
    if withdraw_leaks && had_memo {
        let newly_withheld = match output.auditor() {
            Some(now) => now
                .beyond(memo.auditor().map(|a| &**a))
                .map_err(audit_error)?,
            None => None,
        };
        // Only for a takedown: a withheld record's new title is no reason to wait.
        let newly_withheld = newly_withheld.filter(|a| a.looks_for_ids());
        takedown = newly_withheld.is_some();
        memo.defer_shifted_listings(newly_withheld);
    }
    manifest_state.resume(&options.output);
    let started = Instant::now();
    let (mut stats, mut next, gone) =
        match render::render_incremental(&site, &output, progress, memo, index) {
            Ok(rendered) => rendered,
            Err(error) => {
                // The build stopped half way, so stale files cannot be told from good ones; but
                // nothing of a withheld dataset may stay published from an earlier build.
                remove_withheld(&output, &checked.catalog);
                return Err(error.into());
            }
        };
    let removed = if had_memo {
        output.remove(&gone).map_err(output_error)?;
        gone
    } else {
        // The last manifest goes too (its parts may name a dataset withheld since, and the
        // audit below reads every file); the manifest writer writes this build's.
        let mut removed = output
            .remove_stale(|path| next.holds(path))
            .map_err(output_error)?;
        removed.retain(|path| !mirror::manifest::is_own(path));
        removed
    };
    let render_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    // Build-end audit: rendering refused every file that mentioned a withheld dataset; now
    // every file in the folder that did not pass that check is read and scanned. With a memo,
    // the files it skipped passed its auditor, so they are read only when this auditor looks
    // for something more (a dataset was just withheld), and only for that.
    let mut leaks = std::mem::take(&mut stats.leaks);
    let mut pending = None;
    match beyond {
        // Left to the caller, to run once this build is published. An audit still owed goes
        // on where it was when it looks for the same texts: what this build wrote or checked
        // passed the whole auditor. When they differ it starts again.
        Some(auditor) if withdraw_leaks && had_memo => {
            let audited = std::mem::take(&mut stats.audited);
            pending = Some(match owed {
                Some(mut owed) if owed.auditor.looks_for() == auditor.looks_for() => {
                    owed.sweep.passed(audited);
                    owed
                }
                _ => PendingAudit {
                    base: trusted,
                    auditor,
                    sweep: audit::Sweep::new(audited),
                },
            });
        }
        Some(auditor) => leaks.extend(
            audit::scan_unscanned(
                &options.output,
                &auditor,
                std::mem::take(&mut stats.audited),
            )
            .map_err(output_error)?,
        ),
        None => {}
    }
    audit::sort(&mut leaks);
    // A refused file was not written, but an earlier build's copy may be there.
    for leak in &leaks {
        match std::fs::remove_file(options.output.join(&leak.file)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound && withdraw_leaks => {
                return Err(output_error(err));
            }
            _ => {}
        }
    }
    if !leaks.is_empty() && !withdraw_leaks {
        return Err(BuildError::Leak(leaks));
    }
    next.forget(leaks.iter().map(|l| l.file.as_str()));
    let mut changed_paths: std::collections::BTreeSet<String> =
        std::mem::take(&mut stats.written_paths)
            .into_iter()
            .chain(removed.iter().cloned())
            .chain(leaks.iter().map(|l| l.file.clone()))
            .collect();
    let gone: Vec<String> = removed
        .iter()
        .chain(leaks.iter().map(|l| &l.file))
        .cloned()
        .collect();
    // Without a memo every part of the manifest is made again.
    let changed: Option<Vec<&str>> =
        had_memo.then(|| changed_paths.iter().map(String::as_str).collect());
    let facts = manifest::BuildFacts {
        memo: &next,
        changed: changed.as_deref(),
        removed: &gone,
        built: build_date,
        source_commit: options.source_commit.as_deref(),
    };
    let written = manifest::write(&output, manifest_state, &facts, signer.as_ref())
        .inspect_err(|_| *manifest_state = manifest::ManifestState::default())?;
    changed_paths.extend(written.changed);
    let report = BuildReport {
        published: checked.catalog.datasets.len(),
        rejected: checked.rejected.len(),
        withheld: checked
            .catalog
            .withheld
            .iter()
            .filter(|w| w.reason != policy::WithholdReason::Rejected)
            .count(),
        departments: checked.catalog.departments.len(),
        pages: stats.pages,
        files: stats.files,
        written: stats.written,
        bytes: stats.bytes,
        removed: removed.len(),
        changed_paths,
        generation: written.manifest.generation,
        unsigned,
        withdrawn: leaks,
        whole_catalog_behind: stats.whole_catalog_behind,
        whole_catalog_dropped: stats.whole_catalog_dropped,
        deferred: stats.deferred,
        takedown,
        check_seconds: checked.elapsed.as_secs_f64(),
        render_seconds,
        audit_seconds: started.elapsed().as_secs_f64(),
        skipped: stats.skipped,
        search: stats.search,
    };
    Ok((report, next, pending))
}

/// After a failed build: removes the pages of withheld datasets and every file that mentions
/// one, so a failure never leaves a withdrawn dataset online.
fn remove_withheld(output: &write::Output, catalog: &PublicCatalog) {
    for withheld in catalog.withheld.iter().filter(|w| model::is_slug(&w.id)) {
        let _ = std::fs::remove_dir_all(output.root().join("datasets").join(&withheld.id));
    }
    // The last mirror manifest lists the paths of datasets withheld since; with no build to
    // write a new one, the output has none (and mirrors refuse to sync from it).
    let _ = std::fs::remove_dir_all(output.root().join(mirror::manifest::PARTS));
    for own in [
        mirror::manifest::MANIFEST,
        mirror::manifest::SIGNATURE,
        mirror::manifest::TRACE,
    ] {
        let _ = std::fs::remove_file(output.root().join(own));
    }
    // Copies of withheld files that an earlier build published under another dataset.
    let copies = walkdir::WalkDir::new(output.root().join("datasets"))
        .min_depth(3)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file());
    for copy in copies {
        if digest::hash_file(copy.path())
            .is_ok_and(|(_, sha)| catalog.withheld_hashes.contains(&sha))
        {
            let _ = std::fs::remove_file(copy.path());
        }
    }
    if let Some(auditor) = output.auditor()
        && let Ok(leaks) = audit::scan_unscanned(output.root(), auditor, Default::default())
    {
        for leak in leaks {
            let _ = std::fs::remove_file(output.root().join(&leak.file));
        }
    }
}

/// Whether one of two folders is, contains or lies inside the other.
pub fn overlaps(a: &Path, b: &Path) -> bool {
    let (a, b) = (resolved(a), resolved(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// `path` made absolute, `.` and `..` resolved by name, and symbolic links resolved for the
/// part that exists (the output folder may not exist yet).
fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut plain = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                plain.pop();
            }
            Component::CurDir => {}
            other => plain.push(other),
        }
    }
    let mut existing = plain.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name().map(|n| n.to_os_string()) {
            Some(name) => {
                rest.push(name);
                existing.pop();
            }
            None => break,
        }
    }
    let mut full = std::fs::canonicalize(&existing).unwrap_or(existing);
    full.extend(rest.iter().rev());
    full
}

#[cfg(test)]
mod incremental_tests {
    use super::*;

    /// A synthetic catalog of 400 records (five departments) in a temporary folder.
    struct Synthetic {
        dir: tempfile::TempDir,
        content: PathBuf,
        config: SiteConfig,
        divisions: Divisions,
    }

    impl Synthetic {
        fn new() -> Synthetic {
            let dir = tempfile::tempdir().unwrap();
            synthetic::write_catalog(dir.path(), 400).unwrap();
            Synthetic {
                content: dir.path().join("content"),
                config: SiteConfig::load(&dir.path().join("site.toml")).unwrap(),
                divisions: Divisions::guangxi(),
                dir,
            }
        }

        /// The record of dataset `id`.
        fn record(&self, id: &str) -> PathBuf {
            walkdir::WalkDir::new(self.content.join("departments"))
                .into_iter()
                .filter_map(|e| e.ok())
                .find(|e| e.file_name().to_string_lossy() == format!("{id}.yaml"))
                .unwrap()
                .into_path()
        }

        /// Rewrites dataset `id`'s record with `change`.
        fn edit(&self, id: &str, change: impl FnOnce(String) -> String) {
            let path = self.record(id);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, change(text)).unwrap();
        }

        /// Takes dataset `id` down.
        fn suspend(&self, id: &str) {
            self.edit(id, |text| format!("{text}status: suspended\n"));
        }

        /// Options building into the folder `out`.
        fn options(&self, out: &str) -> BuildOptions {
            BuildOptions {
                content: self.content.clone(),
                output: self.dir.path().join(out),
                config: self.config.clone(),
                build_date: None,
                source_commit: None,
                signing_key: None,
            }
        }

        /// Checks the catalog and builds it with `session`.
        fn build(
            &self,
            options: &BuildOptions,
            session: &mut Session,
        ) -> Result<BuildReport, BuildError> {
            let checked = check(&self.content, &self.config, &self.divisions, None);
            build_incremental(options, &self.divisions, &checked, &|_, _| {}, session)
        }
    }

    /// A page the memo would skip must still be audited when the withheld list changes: a
    /// record naming another one in code spans keeps naming it after that one is taken down.
    #[test]
    fn a_skipped_page_naming_a_newly_withheld_dataset_fails_the_build() {
        // ds-000017 shares neither department nor domain with ds-000001, so its page is not
        // among ds-000001's related pages and the memo skips it.
        let catalog = Synthetic::new();
        catalog.edit("ds-000017", |text| {
            text.replacen("summary: |\n", "summary: |\n  另见 `ds-000001`。\n", 1)
        });
        let options = catalog.options("out");
        let mut session = Session::default();
        catalog.build(&options, &mut session).unwrap();

        catalog.suspend("ds-000001");
        let Err(BuildError::Leak(leaks)) = catalog.build(&options, &mut session) else {
            panic!("the page naming ds-000001 must be refused");
        };
        assert!(
            leaks
                .iter()
                .any(|l| l.file == "datasets/ds-000017/index.html"),
            "{leaks:?}"
        );
    }

    /// The audit a takedown leaves owed goes a step at a time while builds go on: a second
    /// takedown in between is built at once, and the audit then finds the skipped pages that
    /// name either dataset; the next build leaves them out.
    #[test]
    fn an_owed_audit_goes_on_across_builds_and_covers_every_takedown() {
        let catalog = Synthetic::new();
        // As above, each naming page shares neither department nor domain with the dataset
        // it names, so the memo skips it.
        for (naming, named) in [("ds-000017", "ds-000001"), ("ds-000018", "ds-000002")] {
            catalog.edit(naming, |text| {
                text.replacen(
                    "summary: |\n",
                    &format!("summary: |\n  另见 `{named}`。\n"),
                    1,
                )
            });
        }
        let options = catalog.options("out");
        let mut session = Session::withdrawing_leaks();
        let build = |session: &mut Session| catalog.build(&options, session).unwrap();
        build(&mut session);
        assert!(!session.audit_pending());

        catalog.suspend("ds-000001");
        let first = build(&mut session);
        assert!(first.withdrawn.is_empty(), "the naming page was skipped");
        assert!(session.audit_pending());
        let step = session
            .audit_some(&options.output, std::time::Duration::ZERO)
            .unwrap();
        assert!(!step.done, "one step reads one chunk of about 3,000 files");

        catalog.suspend("ds-000002");
        let second = build(&mut session);
        assert!(second.withdrawn.is_empty());
        let mut leaks = step.leaks;
        leaks.extend(session.finish_audit(&options.output).unwrap());
        assert!(!session.audit_pending());
        let mut files: Vec<&str> = leaks.iter().map(|l| l.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(
            files,
            [
                "datasets/ds-000017/index.html",
                "datasets/ds-000018/index.html"
            ]
        );
        // Forgotten by the session, and removed by the caller: the next build renders them
        // again and leaves them out.
        for file in files {
            std::fs::remove_file(options.output.join(file)).unwrap();
        }
        let third = build(&mut session);
        let withdrawn: std::collections::BTreeSet<&str> =
            third.withdrawn.iter().map(|l| l.file.as_str()).collect();
        assert!(
            withdrawn.contains("datasets/ds-000017/index.html"),
            "{withdrawn:?}"
        );
        assert!(
            withdrawn.contains("datasets/ds-000018/index.html"),
            "{withdrawn:?}"
        );
    }

    /// A takedown leaves `data.json` and `catalog.csv` out; while their update is deferred
    /// they stay out, so another publish right after does not wait for a hundred megabytes
    /// to be written; a takedown leaves them out even when they are due; the next build
    /// that is due writes them again. Allowed no lag, a takedown writes them at once.
    #[test]
    fn dropped_whole_catalog_files_stay_out_until_they_are_due() {
        let catalog = Synthetic::new();
        let options = catalog.options("out");
        let mut session = Session::withdrawing_leaks();
        use render::WholeCatalogUpdate::{Always, Deferred, Due};
        let build = |session: &mut Session, when| {
            session.update_whole_catalog(when);
            catalog.build(&options, session).unwrap()
        };
        let whole = ["data.json", "catalog.csv"];
        let present = |names: &[&str]| names.iter().all(|n| options.output.join(n).is_file());
        build(&mut session, Always);
        assert!(present(&whole));

        catalog.suspend("ds-000001");
        let takedown = build(&mut session, Deferred);
        assert!(takedown.whole_catalog_dropped);
        assert!(!options.output.join("data.json").exists());
        assert!(!options.output.join("catalog.csv").exists());

        catalog.edit("ds-000003", |text| {
            text.replacen("title: ", "title: 修订", 1)
        });
        let edit = build(&mut session, Deferred);
        assert!(edit.whole_catalog_dropped && edit.whole_catalog_behind);
        assert!(!edit.changed_paths.contains("data.json"), "still out");
        assert!(!options.output.join("data.json").exists());

        // Due, but a takedown comes first: it does not wait for them either.
        catalog.suspend("ds-000002");
        let takedown = build(&mut session, Due);
        assert!(takedown.whole_catalog_dropped && takedown.whole_catalog_behind);
        assert!(!options.output.join("data.json").exists());

        let due = build(&mut session, Due);
        assert!(!due.whole_catalog_dropped && !due.whole_catalog_behind);
        assert!(present(&whole));
        let data = std::fs::read_to_string(options.output.join("data.json")).unwrap();
        assert!(data.contains("修订") && !data.contains("ds-000001"));
        assert!(!data.contains("ds-000002"));

        // Allowed no lag, a takedown writes them at once.
        catalog.suspend("ds-000004");
        let takedown = build(&mut session, Always);
        assert!(!takedown.whole_catalog_dropped && !takedown.whole_catalog_behind);
        let data = std::fs::read_to_string(options.output.join("data.json")).unwrap();
        assert!(!data.contains("ds-000004") && data.contains("ds-000005"));
    }

    /// A takedown renders at once the listing pages that named the dataset; those it only
    /// shifted keep their bytes, name nothing withheld, and are made by the next build, after
    /// which the output is what a full build makes.
    #[test]
    fn a_takedown_leaves_the_pages_it_only_shifted_for_the_next_build() {
        let catalog = Synthetic::new();
        let incremental = catalog.options("out");
        let mut session = Session::withdrawing_leaks();
        let rebuild = |session: &mut Session| catalog.build(&incremental, session).unwrap();
        assert_eq!(rebuild(&mut session).deferred, 0);
        catalog.suspend("ds-000001");
        let snapshot = |root: &Path| -> std::collections::BTreeMap<String, Vec<u8>> {
            walkdir::WalkDir::new(root)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    (
                        load::relative(root, e.path()),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        };
        let before = snapshot(&incremental.output);

        let takedown = rebuild(&mut session);
        assert!(
            takedown.deferred > 0,
            "the later pages of its listings shift"
        );
        let after = snapshot(&incremental.output);
        let auditor = audit::auditor_of_suspended(&["ds-000001"]);
        let shifted_kept: Vec<&String> = after
            .iter()
            .filter(|(path, bytes)| path.contains("/page/") && before.get(*path) == Some(*bytes))
            .map(|(path, _)| path)
            .collect();
        assert!(!shifted_kept.is_empty());
        for (path, bytes) in &after {
            assert!(
                audit::ANNOUNCING_FILES.contains(&path.as_str())
                    || auditor.scan(path, bytes).is_empty(),
                "{path} names the withheld dataset"
            );
        }

        let follow_up = rebuild(&mut session);
        assert_eq!(follow_up.deferred, 0);
        assert!(follow_up.changed_paths.len() >= takedown.deferred);
        let full = catalog.options("full");
        let checked = check(&catalog.content, &catalog.config, &catalog.divisions, None);
        build(&full, &catalog.divisions, &checked, &|_, _| {}).unwrap();
        let (made, want) = (snapshot(&incremental.output), snapshot(&full.output));
        let own =
            |path: &str| path.ends_with("kaifang/manifest.json") || path.ends_with("kaifang/trace");
        assert_eq!(
            made.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &want {
            assert!(
                own(path) || made[path] == *bytes,
                "{path} differs from a full build"
            );
        }
    }
}

#[cfg(test)]
mod check_cache_tests {
    use super::*;

    /// What a check found, in a form two checks can be compared by.
    fn summary(checked: &Checked) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
        (
            checked
                .catalog
                .datasets
                .iter()
                .map(|d| format!("{}:{}", d.id, d.record_path))
                .collect(),
            checked
                .diagnostics
                .iter()
                .map(|d| format!("{}:{}:{}", d.file, d.code, d.message))
                .collect(),
            checked.rejected.clone(),
            checked
                .catalog
                .withheld
                .iter()
                .map(|w| format!("{}:{}", w.id, w.record_path))
                .collect(),
        )
    }

    /// A folder read again parses only the records whose text changed: the others keep their
    /// datasets, unless they name a file (whose bytes may change alone) or department.yaml
    /// changed. Each step still finds what a full check finds.
    #[test]
    fn a_cached_check_parses_again_only_what_may_have_changed() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/basic");
        for entry in walkdir::WalkDir::new(&fixture) {
            let entry = entry.unwrap();
            let target = dir
                .path()
                .join(entry.path().strip_prefix(&fixture).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
        let content = dir.path().join("content");
        let folder = content.join("departments/nn-transport");
        let config = SiteConfig::load(&dir.path().join("site.toml")).unwrap();
        let divisions = Divisions::guangxi();
        let mut cache = CheckCache::default();
        let changed: std::collections::BTreeSet<String> = ["nn-transport".to_string()].into();
        let check_again = |cache: &mut CheckCache| {
            let cached = check_cached(&content, &config, &divisions, None, cache, Some(&changed));
            assert_eq!(
                summary(&cached),
                summary(&check(&content, &config, &divisions, None))
            );
            cached
        };
        let dataset = |checked: &Checked, id: &str| {
            let at = checked.catalog.position(id).unwrap();
            std::sync::Arc::clone(&checked.catalog.datasets[at])
        };
        let same = |a: &Checked, b: &Checked, id: &str| {
            std::sync::Arc::ptr_eq(&dataset(a, id), &dataset(b, id))
        };
        let first = check_cached(&content, &config, &divisions, None, &mut cache, None);

        let taxi = folder.join("taxi-fares.yaml");
        let text = std::fs::read_to_string(&taxi).unwrap();
        std::fs::write(
            &taxi,
            text.replace("出租车运价标准。", "出租车运价标准（修订）。"),
        )
        .unwrap();
        let second = check_again(&mut cache);
        assert!(dataset(&second, "taxi-fares").summary.contains("修订"));
        assert!(
            same(&first, &second, "road-freight"),
            "an unchanged record is reused"
        );
        assert!(
            !same(&first, &second, "bus-stops"),
            "a record naming a file is read again"
        );

        std::fs::write(folder.join("files/stops.csv"), "站点名称\n民族广场\n").unwrap();
        let third = check_again(&mut cache);
        assert!(same(&second, &third, "road-freight"));

        let department = folder.join("department.yaml");
        let text = std::fs::read_to_string(&department).unwrap();
        std::fs::write(&department, text.replace("科技信息科", "数据管理科")).unwrap();
        let fourth = check_again(&mut cache);
        assert!(
            !same(&third, &fourth, "road-freight"),
            "a department edit reads all"
        );
    }

    /// The cached check moves only the datasets of the folders it reads again; whatever
    /// happens in them (a new record, a removed one, an id another department already uses),
    /// it finds what a full check finds.
    #[test]
    fn a_cached_check_after_edits_equals_a_full_check() {
        let dir = tempfile::tempdir().unwrap();
        synthetic::write_catalog(dir.path(), 300).unwrap();
        let content = dir.path().join("content");
        let config = SiteConfig::load(&dir.path().join("site.toml")).unwrap();
        let divisions = Divisions::guangxi();
        let mut cache = CheckCache::default();
        let first = check_cached(&content, &config, &divisions, None, &mut cache, None);
        assert_eq!(
            summary(&first),
            summary(&check(&content, &config, &divisions, None))
        );

        let departments = content.join("departments");
        let mut folders: Vec<PathBuf> = std::fs::read_dir(&departments)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        folders.sort();
        let records = |folder: &Path| {
            let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| !p.ends_with("department.yaml"))
                .collect();
            files.sort();
            files
        };
        let (one, two) = (&folders[1], &folders[2]);
        // In folder one: a record goes, one is copied under a new id, and one takes an id that
        // a record of folder two holds (both are then rejected).
        let ones = records(one);
        std::fs::remove_file(&ones[0]).unwrap();
        let text = std::fs::read_to_string(&ones[1]).unwrap();
        std::fs::write(one.join("zz-new.yaml"), text).unwrap();
        let taken = records(two)[2]
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&ones[2]).unwrap();
        std::fs::write(&ones[2], format!("id: {taken}\n{text}")).unwrap();
        let changed: std::collections::BTreeSet<String> =
            [one.file_name().unwrap().to_string_lossy().to_string()].into();
        // The cached check, told that folder one changed, and a full one.
        let both = |cache: &mut CheckCache| {
            let cached = check_cached(&content, &config, &divisions, None, cache, Some(&changed));
            (cached, check(&content, &config, &divisions, None))
        };
        let (cached, full) = both(&mut cache);
        assert!(
            full.diagnostics.iter().any(|d| d.code == "duplicate-id"),
            "the edit must make a duplicate id"
        );
        assert_eq!(summary(&cached), summary(&full));

        // Folder one puts things right again and folder two goes.
        let text = std::fs::read_to_string(&ones[2]).unwrap();
        std::fs::write(&ones[2], text.replacen(&format!("id: {taken}\n"), "", 1)).unwrap();
        std::fs::remove_dir_all(two).unwrap();
        let (cached, full) = both(&mut cache);
        assert!(!full.diagnostics.iter().any(|d| d.code == "duplicate-id"));
        assert_eq!(summary(&cached), summary(&full));
    }
}
