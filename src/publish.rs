//! `kaifang publish` and `kaifang rollback`: builds go into release folders, and the live one
//! changes atomically (see `daemon::release`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use daemon::ingest::{Folders, ingest};
use daemon::release::Releases;
use generator::divisions::Divisions;

use crate::{
    EXIT_FAILED, EXIT_OK, EXIT_REJECTED, SiteArgs, load_config, run_build, source_date, today,
};

/// Builds into a staged release and publishes it; a failed build is discarded.
pub fn publish(site: &SiteArgs, root: &Path, keep: usize) -> u8 {
    let Some(releases) = open_releases(root) else {
        return EXIT_FAILED;
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

fn open_releases(root: &Path) -> Option<Releases> {
    Releases::open(root)
        .map_err(|err| eprintln!("error: {err}"))
        .ok()
}

/// Switches back to the previous release after checking it shows nothing withheld now.
pub fn rollback(site: &SiteArgs, root: &Path) -> u8 {
    let Some(releases) = open_releases(root) else {
        return EXIT_FAILED;
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
    // release was built must not come back with it. Where the daemon publishes, its accepted
    // catalog is today's catalog.
    let accepted = root.join("state/content");
    let content = if accepted.is_dir() {
        accepted
    } else {
        site.content.clone()
    };
    let checked = generator::check(&content, &config, &Divisions::guangxi(), Some(today()));
    let auditor = match generator::audit::Auditor::for_catalog(&checked.catalog) {
        Ok(a) => a,
        Err(err) => {
            eprintln!("error: cannot build the audit: {err}");
            return EXIT_FAILED;
        }
    };
    if let Some(auditor) = auditor {
        let path = releases.path_of(&target);
        match generator::audit::scan_unscanned(&path, &auditor, Default::default()) {
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

/// The daemon: ingest the drop folders, publish when the accepted catalog changed.
pub fn daemon(site: &SiteArgs, once: bool) -> u8 {
    // Structured lines on standard output: one event per ingest, per publish, per rejected file.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .with_target(false)
        .try_init();
    let Some(config) = load_config(&site.config) else {
        return EXIT_FAILED;
    };
    let settings = config.daemon.clone();
    let releases_root = std::path::PathBuf::from(&settings.releases);
    // In git mode the checkout's departments/ folder is the drop root.
    let checkout = releases_root.join("state/git");
    let folders = Folders {
        drops: if settings.git.is_empty() {
            settings.drops.clone().into()
        } else {
            checkout.join("departments")
        },
        accepted: releases_root.join("state/content"),
        scratch: releases_root.join("state/saved"),
        // Takedowns and notices come from the operator's content folder, or the checkout.
        platform: Some(if settings.git.is_empty() {
            site.content.clone()
        } else {
            checkout.clone()
        }),
    };
    // The first run starts from the content folder (the platform's own pages and records).
    if !folders.accepted.exists()
        && let Err(err) = daemon::ingest::copy_tree(&site.content, &folders.accepted)
    {
        eprintln!(
            "error: cannot start the accepted catalog from {}: {err}",
            site.content.display()
        );
        return EXIT_FAILED;
    }
    let divisions = Divisions::guangxi();
    if once {
        // A fresh session renders and audits everything before it publishes: no audit is
        // left owed.
        return cycle(
            &config,
            &divisions,
            &folders,
            &releases_root,
            None,
            &mut Warm::default(),
            &daemon::ingest::Watched::default(),
        );
    }
    let status = Arc::new(Mutex::new(DaemonStatus::default()));
    if settings.status_port != 0 {
        match tiny_http::Server::http(("127.0.0.1", settings.status_port)) {
            Ok(server) => {
                let shared = Arc::clone(&status);
                std::thread::spawn(move || serve_status(server, &shared));
                println!("status at http://127.0.0.1:{}/", settings.status_port);
            }
            Err(err) => {
                eprintln!(
                    "error: cannot listen on 127.0.0.1:{}: {err}",
                    settings.status_port
                );
                return EXIT_FAILED;
            }
        }
    }
    // Changes in the drop folders wake the loop at once; the poll interval is the safety net
    // (and the only trigger where the file system cannot be watched).
    // The debounce only gathers the events of one save (write, rename, chmod come within a
    // few milliseconds); whether a file is still being written is the settle check's job.
    let (tx, rx) = std::sync::mpsc::channel();
    // In drop mode the operator's takedown and notice folders are watched too (made when
    // missing, so that the first record put there is seen at once); a takedown publishes
    // without waiting for the poll.
    let watched_platform: Vec<std::path::PathBuf> = if settings.git.is_empty() {
        folders.platform_folders()
    } else {
        Vec::new()
    };
    for dir in &watched_platform {
        if let Err(err) = std::fs::create_dir_all(dir) {
            eprintln!("warning: cannot create {}: {err}", dir.display());
        }
    }
    let _watcher =
        match notify_debouncer_full::new_debouncer(std::time::Duration::from_millis(25), None, tx)
            .and_then(|mut debouncer| {
                let recursive = notify_debouncer_full::notify::RecursiveMode::Recursive;
                debouncer.watch(&folders.drops, recursive)?;
                for dir in &watched_platform {
                    debouncer.watch(dir, recursive)?;
                }
                Ok(debouncer)
            }) {
            Ok(debouncer) => Some(debouncer),
            Err(err) => {
                eprintln!(
                    "warning: cannot watch {} ({err}); scanning every {} s",
                    folders.drops.display(),
                    settings.poll_secs
                );
                None
            }
        };
    let poll = std::time::Duration::from_secs(settings.poll_secs.max(1));
    // SIGHUP, or touching `<releases>/fetch`, starts a cycle at once (in git mode, a fetch).
    let hangup = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Err(err) = signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hangup))
    {
        eprintln!("warning: SIGHUP will not start a cycle: {err}");
    }
    let trigger = releases_root.join("fetch");
    let touched = || std::fs::metadata(&trigger).and_then(|m| m.modified()).ok();
    let mut last_touch = touched();
    let mut session = Warm {
        whole_catalog_lag: (config.daemon.whole_catalog_secs > 0)
            .then(|| std::time::Duration::from_secs(config.daemon.whole_catalog_secs)),
        ..Warm::default()
    };
    // The departments the watcher saw change; `None` means "look at everything" (the first
    // cycle, a watcher error or overflow, the poll interval, SIGHUP, the trigger file).
    let mut watched = daemon::ingest::Watched::default();
    // The watcher reports absolute paths.
    let drops = std::fs::canonicalize(&folders.drops).unwrap_or_else(|_| folders.drops.clone());
    let platform: Vec<std::path::PathBuf> = watched_platform
        .iter()
        .map(|dir| std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()))
        .collect();
    // One step of the audit a publish left owed; true while more is owed.
    let audit_a_step = |session: &mut Warm| {
        audit_step(
            &releases_root,
            &folders,
            settings.keep,
            session,
            Some(&status),
        )
    };
    loop {
        let cycle_started = std::time::Instant::now();
        let outcome = cycle(
            &config,
            &divisions,
            &folders,
            &releases_root,
            Some(&status),
            &mut session,
            &watched,
        );
        // A failed cycle may have left a hinted department half looked at: look at all next.
        watched = daemon::ingest::Watched {
            departments: (outcome != EXIT_FAILED).then(BTreeSet::new),
            complete: BTreeSet::new(),
        };
        // A cycle that failed while the whole catalog was due tries again after the poll
        // interval, not at once and again.
        if outcome == EXIT_FAILED && session.whole_catalog_due() {
            session.whole_catalog_due_at = Some(std::time::Instant::now() + poll);
        }
        if outcome == EXIT_FAILED && session.follow_up_due() {
            session.follow_up = Some(std::time::Instant::now() + poll);
        }
        // An audit the publish left owed goes a step at a time, between cycles: however busy
        // the drops are, one step between two; steps go on for up to half as long as the
        // cycle took until a change arrives, which starts the next cycle after the step at
        // hand (a takedown right after another does not wait for the first one's audit).
        let budget = AUDIT_STEP.max(cycle_started.elapsed() / 2);
        let audit_started = std::time::Instant::now();
        // Changes made while the cycle ran start the next one at once.
        let mut wake = false;
        loop {
            let owed = audit_a_step(&mut session);
            while let Ok(result) = rx.try_recv() {
                wake |= note_events(result, &drops, &platform, &mut watched);
            }
            if wake || !owed || audit_started.elapsed() >= budget {
                break;
            }
        }
        if wake {
            continue;
        }
        let deadline = std::time::Instant::now() + poll;
        loop {
            // Only the files of the whole catalog, or the pages a takedown shifted, to bring
            // up to date: no department to look at.
            if session.whole_catalog_due() || session.follow_up_due() {
                break;
            }
            let now = std::time::Instant::now();
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                watched.departments = None;
                break;
            }
            let until_due = session
                .whole_catalog_due_at
                .into_iter()
                .chain(session.follow_up)
                .map(|due| due.saturating_duration_since(now))
                .min()
                .unwrap_or(left);
            let slice = if session.build.audit_pending() {
                std::time::Duration::ZERO
            } else {
                left.min(until_due)
                    .min(std::time::Duration::from_millis(250))
            };
            match rx.recv_timeout(slice) {
                Ok(result) => {
                    if note_events(result, &drops, &platform, &mut watched) {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(slice),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            // Either also brings the files of the whole catalog up to date at once.
            let now_due = |session: &mut Warm| {
                if session.whole_catalog_due_at.is_some() {
                    session.whole_catalog_due_at = Some(std::time::Instant::now());
                }
            };
            if hangup.swap(false, std::sync::atomic::Ordering::Relaxed) {
                tracing::info!("SIGHUP: cycle now");
                watched.departments = None;
                now_due(&mut session);
                break;
            }
            if touched() != last_touch {
                last_touch = touched();
                tracing::info!(trigger = %trigger.display(), "touched: cycle now");
                watched.departments = None;
                now_due(&mut session);
                break;
            }
            audit_a_step(&mut session);
        }
    }
}

/// Adds the departments that watcher events name to `watched` and says whether any event
/// calls for a cycle. Reads (access events) and files a cycle ignores (its own reports,
/// transfer and editor leftovers) do not; an error (an overflowed queue) does, and widens
/// the departments to everything. A change in a `platform` folder calls for a cycle without
/// naming a department: every cycle reads those folders. A drop file whose last event is its
/// writer closing it, or its move into place, is noted complete; any other event on it
/// takes that back.
fn note_events(
    result: notify_debouncer_full::DebounceEventResult,
    drops: &Path,
    platform: &[std::path::PathBuf],
    watched: &mut daemon::ingest::Watched,
) -> bool {
    use notify_debouncer_full::notify::EventKind;
    use notify_debouncer_full::notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    let Ok(events) = result else {
        watched.departments = None;
        return true;
    };
    let mut relevant = false;
    for event in events {
        // The kernel's queue overflowed: what changed is unknown.
        if event.need_rescan() {
            watched.departments = None;
            relevant = true;
            continue;
        }
        let kind = event.event.kind;
        let closed = matches!(
            kind,
            EventKind::Access(AccessKind::Close(AccessMode::Write))
        );
        if matches!(kind, EventKind::Access(_)) && !closed {
            continue;
        }
        let paths = &event.event.paths;
        for (n, path) in paths.iter().enumerate() {
            if platform.iter().any(|dir| path.starts_with(dir)) {
                relevant |= !closed
                    && path
                        .file_name()
                        .is_some_and(|n| !daemon::ingest::ignored(&n.to_string_lossy()));
                continue;
            }
            let canonical;
            let relative = match path.strip_prefix(drops) {
                Ok(relative) => relative,
                // A path through a link, or one that is gone already.
                Err(_) => {
                    canonical = path
                        .parent()
                        .and_then(|p| std::fs::canonicalize(p).ok())
                        .map(|p| p.join(path.file_name().unwrap_or_default()));
                    match canonical.as_deref().map(|c| c.strip_prefix(drops)) {
                        Some(Ok(relative)) => relative,
                        _ => {
                            watched.departments = None;
                            relevant = true;
                            continue;
                        }
                    }
                }
            };
            let names: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if names.iter().any(|n| daemon::ingest::ignored(n)) {
                continue;
            }
            // Complete: closed by its writer, or the target of a move.
            let moved_in = match kind {
                EventKind::Modify(ModifyKind::Name(RenameMode::To)) => true,
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => n + 1 == paths.len(),
                _ => false,
            };
            let file = names.join("/");
            if closed || moved_in {
                watched.complete.insert(file);
            } else {
                watched.complete.remove(&file);
            }
            if closed {
                continue;
            }
            relevant = true;
            match (names.first(), watched.departments.as_mut()) {
                (Some(department), Some(set)) => {
                    set.insert(department.clone());
                }
                (None, _) => watched.departments = None,
                (Some(_), None) => {}
            }
        }
    }
    relevant
}

/// What the internal status page shows.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct DaemonStatus {
    /// Cycles run.
    cycles: u64,
    /// The live release.
    live: Option<String>,
    /// Exit status of the last cycle (0 ok, 1 some file rejected, 2 failed).
    last_status: u8,
    /// Per department: files accepted and rejected.
    departments: Vec<daemon::ingest::DepartmentReport>,
    /// The last release this daemon published.
    last_publish: Option<Published>,
    /// Whether files a build skipped after a dataset was withheld are still being audited.
    auditing: bool,
}

/// Figures of one publish, for the status page and the log.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Published {
    release: String,
    /// The git commit it was built from, in git mode.
    commit: Option<String>,
    datasets: usize,
    files: usize,
    /// Files rendered (the others' inputs did not change).
    rendered: usize,
    /// Files whose bytes changed.
    written: usize,
    removed: usize,
    /// Whether an old release folder was reused instead of linking every file.
    reused_folder: bool,
    check_seconds: f64,
    render_seconds: f64,
    publish_seconds: f64,
    /// From the start of the cycle to the new release being live.
    cycle_seconds: f64,
    /// Files left out because they mention a withheld dataset: the record that mentions it
    /// must change.
    withdrawn: Vec<generator::audit::Leak>,
}

fn serve_status(server: tiny_http::Server, status: &Mutex<DaemonStatus>) {
    for request in server.incoming_requests() {
        let snapshot = status.lock().map(|s| s.clone()).unwrap_or_default();
        let response = if request.url().starts_with("/status") {
            let body = serde_json::to_string_pretty(&snapshot).unwrap_or_default();
            tiny_http::Response::from_string(body).with_header(header("application/json"))
        } else {
            tiny_http::Response::from_string(status_page(&snapshot))
                .with_header(header("text/html; charset=utf-8"))
        };
        let _ = request.respond(response);
    }
}

fn header(content_type: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes("Content-Type", content_type)
        .unwrap_or_else(|_| tiny_http::Header::from_bytes("X", "y").expect("static header"))
}

/// The human page: every rejected file with its diagnostic, per department.
fn status_page(status: &DaemonStatus) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>Kaifang 发布状态</title>\
         <h1>发布状态</h1><p>当前版本：{}；已运行 {} 轮；上一轮退出码 {}</p>",
        escape(status.live.as_deref().unwrap_or("无")),
        status.cycles,
        status.last_status
    );
    if status.auditing {
        html.push_str(
            "<p>正在核查：刚撤下的数据集是否仍见于未重新生成的文件；发现即撤下该文件，其间的发布照常进行。</p>",
        );
    }
    if let Some(p) = &status.last_publish {
        html.push_str(&format!(
            "<p>最近发布 {}{}：{} 个数据集，{} 个文件中重新生成 {} 个、写入 {} 个、删除 {} 个；\
             检查 {:.3} 秒，生成 {:.3} 秒，发布 {:.3} 秒，全程 {:.3} 秒</p>",
            escape(&p.release),
            p.commit
                .as_deref()
                .map(|c| format!("（提交 {}）", escape(c)))
                .unwrap_or_default(),
            p.datasets,
            p.files,
            p.rendered,
            p.written,
            p.removed,
            p.check_seconds,
            p.render_seconds,
            p.publish_seconds,
            p.cycle_seconds
        ));
        if !p.withdrawn.is_empty() {
            html.push_str("<h2>未发布的文件</h2><p>这些文件提到了不公开的数据集，已从网站撤下；请修改提到它的记录。</p><ul>");
            for leak in &p.withdrawn {
                html.push_str(&format!(
                    "<li><code>{}</code> 提到 <code>{}</code>（「{}」）</li>",
                    escape(&leak.file),
                    escape(&leak.dataset),
                    escape(&leak.found)
                ));
            }
            html.push_str("</ul>");
        }
    }
    for department in &status.departments {
        html.push_str(&format!(
            "<h2>{}</h2><p>接受 {} 个文件，拒绝 {} 个</p>",
            escape(&department.department),
            department.accepted,
            department.rejected.len()
        ));
        if !department.rejected.is_empty() {
            html.push_str("<table><tr><th>文件</th><th>位置</th><th>问题</th><th>修改建议</th><th>原版本仍发布</th></tr>");
            for r in &department.rejected {
                let at = r
                    .line
                    .map(|l| format!("{l}:{}", r.column.unwrap_or(1)))
                    .unwrap_or_default();
                html.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{} [{}]</td><td>{}</td><td>{}</td></tr>",
                    escape(&r.file),
                    at,
                    escape(&r.message),
                    escape(&r.code),
                    escape(r.help.as_deref().unwrap_or("")),
                    if r.previous_kept { "是" } else { "否" }
                ));
            }
            html.push_str("</table>");
        }
    }
    html.push_str("</html>\n");
    html
}

fn cycle(
    config: &generator::config::SiteConfig,
    divisions: &Divisions,
    folders: &Folders,
    releases_root: &Path,
    shared: Option<&Mutex<DaemonStatus>>,
    session: &mut Warm,
    watched: &daemon::ingest::Watched,
) -> u8 {
    let started = std::time::Instant::now();
    // A marker kept only for an audit still owed asks for no publish; any other does (after
    // a kill, or accepted files not yet published). Until this cycle publishes, what is
    // accepted may differ from what is live.
    let audit_only_marker =
        std::mem::take(&mut session.unpublished_until_audited) && session.build.audit_pending();
    let settle = std::time::Duration::from_millis(config.daemon.settle_ms);
    let commit = if config.daemon.git.is_empty() {
        None
    } else {
        let checkout = releases_root.join("state/git");
        match git_update(&config.daemon.git, &config.daemon.branch, &checkout) {
            Ok(commit) => Some(commit),
            Err(err) => {
                eprintln!("error: git: {err}; the live release stays");
                return EXIT_FAILED;
            }
        }
    };
    // In git mode the fetch itself changes the drops, after anything was watched.
    let unwatched = daemon::ingest::Watched::default();
    let watched = if config.daemon.git.is_empty() {
        watched
    } else {
        &unwatched
    };
    let ingested = match ingest(
        folders,
        config,
        divisions,
        settle,
        Some(today()),
        watched,
        &mut session.ingest,
    ) {
        Ok(i) => i,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    let mut rejected = 0;
    for report in ingested.reports.values() {
        rejected += report.rejected.len();
        for r in &report.rejected {
            tracing::warn!(
                department = %report.department,
                file = %r.file,
                line = r.line.unwrap_or(0),
                column = r.column.unwrap_or(0),
                code = %r.code,
                previous_kept = r.previous_kept,
                "rejected: {}",
                r.message
            );
        }
    }
    tracing::info!(
        departments = ingested.reports.len(),
        accepted = ingested.reports.values().map(|r| r.accepted).sum::<usize>(),
        rejected,
        changed = ingested.changed,
        seconds = started.elapsed().as_secs_f64(),
        "ingest"
    );
    // Opened once per cycle (opening clears leftover staging folders).
    let Some(releases) = open_releases(releases_root) else {
        return EXIT_FAILED;
    };
    let live = releases.current();
    let unpublished = folders.unpublished();
    let whole_catalog_due = session.whole_catalog_due();
    let status = if ingested.changed
        || live.is_none()
        || (unpublished.exists() && !audit_only_marker)
        || whole_catalog_due
        || session.follow_up_due()
    {
        let publish_started = std::time::Instant::now();
        let checked = match ingested.checked {
            Some(checked) => checked,
            None => session
                .ingest
                .check(folders, config, divisions, Some(today())),
        };
        log_platform_diagnostics(&checked);
        // A publish may leave the files of the whole catalog behind, unless they are due and
        // it is not a takedown.
        session
            .build
            .update_whole_catalog(match (session.whole_catalog_lag, whole_catalog_due) {
                (None, _) => generator::render::WholeCatalogUpdate::Always,
                (Some(_), false) => generator::render::WholeCatalogUpdate::Deferred,
                (Some(_), true) => generator::render::WholeCatalogUpdate::Due,
            });
        let status = publish_warm(
            &folders.accepted,
            &checked,
            config,
            divisions,
            &releases,
            commit.as_deref(),
            session,
        );
        // Live now: the status says so before the files the build skipped are audited.
        let now_live = releases.current();
        if let Some(shared) = shared
            && let Ok(mut s) = shared.lock()
        {
            s.live.clone_from(&now_live);
        }
        // Kept until the files the build skipped are audited (see `audit_step`): after a
        // kill, or when the audit cannot be done, the next cycle publishes (and audits)
        // everything again.
        session.unpublished_until_audited = status == EXIT_OK && session.build.audit_pending();
        if status == EXIT_OK && !session.build.audit_pending() {
            let _ = std::fs::remove_file(&unpublished);
        }
        tracing::info!(
            release = %releases.current().unwrap_or_default(),
            previous = %live.unwrap_or_default(),
            commit = %commit.as_deref().unwrap_or(""),
            status,
            seconds = publish_started.elapsed().as_secs_f64(),
            "publish"
        );
        status
    } else {
        session.unpublished_until_audited = audit_only_marker;
        tracing::info!(live = %live.unwrap_or_default(), "nothing changed");
        EXIT_OK
    };
    let status = if status == EXIT_OK && rejected > 0 {
        EXIT_REJECTED
    } else {
        status
    };
    if let Some(shared) = shared
        && let Ok(mut s) = shared.lock()
    {
        s.cycles += 1;
        s.live = releases.current();
        s.auditing = session.build.audit_pending();
        s.last_status = status;
        s.departments = ingested.reports.into_values().collect();
        if let Some(mut published) = session.published.take() {
            published.cycle_seconds = started.elapsed().as_secs_f64();
            s.last_publish = Some(published);
        }
    }
    status
}

/// Logs the diagnostics of the platform's own records (takedowns, notices, applications),
/// which are not quarantined: their errors are the operator's to fix.
fn log_platform_diagnostics(checked: &generator::Checked) {
    for diagnostic in &checked.diagnostics {
        if generator::workflows::FOLDERS
            .iter()
            .any(|f| diagnostic.file.contains(&format!("{f}/")))
        {
            tracing::warn!(
                file = %diagnostic.file,
                line = diagnostic.location.as_ref().map_or(0, |l| l.line),
                column = diagnostic.location.as_ref().map_or(0, |l| l.column),
                code = %diagnostic.code,
                error = diagnostic.is_error(),
                "platform record: {}",
                diagnostic.message
            );
        }
    }
}

/// What the daemon keeps between cycles: the generator's session and the release it last
/// built, which is what the session's memo describes.
struct Warm {
    ingest: daemon::ingest::IngestState,
    build: generator::Session,
    release: Option<String>,
    /// Figures of the publish this cycle made, if any.
    published: Option<Published>,
    /// How long the files of the whole catalog may lag behind the pages
    /// (`[daemon] whole_catalog_secs`); `None` in a one-off cycle, which leaves nothing behind.
    whole_catalog_lag: Option<std::time::Duration>,
    /// When the files of the whole catalog, left behind by a publish, must be brought up to
    /// date: the next cycle at or after it publishes even when nothing else changed.
    whole_catalog_due_at: Option<std::time::Instant>,
    /// Whether the last cycle published everything accepted and only the audit of the files
    /// it skipped keeps the `unpublished` marker.
    unpublished_until_audited: bool,
    /// When the listing pages a takedown shifted and left for the next publish are due:
    /// [`FOLLOW_UP_AFTER`] after it, after the poll interval when that cycle failed.
    follow_up: Option<std::time::Instant>,
}

impl Warm {
    /// Whether the listing pages a takedown left behind are due.
    fn follow_up_due(&self) -> bool {
        self.follow_up
            .is_some_and(|due| std::time::Instant::now() >= due)
    }

    /// Forgets the last render: the next publish renders (and audits) everything, and the
    /// `unpublished` marker asks for it.
    fn forget_output(&mut self) {
        self.build.forget_output();
        self.unpublished_until_audited = false;
    }

    /// Whether the files of the whole catalog are due to be brought up to date.
    fn whole_catalog_due(&self) -> bool {
        self.whole_catalog_due_at
            .is_some_and(|due| std::time::Instant::now() >= due)
    }
}

impl Default for Warm {
    fn default() -> Warm {
        Warm {
            ingest: Default::default(),
            // One page that names a withheld dataset must not hold back a takedown.
            build: generator::Session::withdrawing_leaks(),
            release: None,
            published: None,
            whole_catalog_lag: None,
            whole_catalog_due_at: None,
            unpublished_until_audited: false,
            follow_up: None,
        }
    }
}

/// Builds the accepted catalog into a staged release, rendering only what changed since the
/// session's last build, and publishes it.
fn publish_warm(
    content: &Path,
    checked: &generator::Checked,
    config: &generator::config::SiteConfig,
    divisions: &Divisions,
    releases: &Releases,
    commit: Option<&str>,
    session: &mut Warm,
) -> u8 {
    let live = releases.current();
    // The release the session's memo describes (the one it last built).
    let described = session.release.take();
    if checked
        .diagnostics
        .iter()
        .any(|d| d.code == "no-departments")
    {
        eprintln!("error: the accepted catalog has no departments folder; nothing published");
        return EXIT_FAILED;
    }
    let keep = config.daemon.keep;
    // Staging, fsync and the switch; rendering is timed apart.
    let started = std::time::Instant::now();
    let (staged, reused_folder) = match releases.stage_next(keep) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: cannot stage a release: {err}");
            return EXIT_FAILED;
        }
    };
    // A rollback (or anything else) switched releases, even while staging: the memo no longer
    // describes the files the staged folder starts from.
    if staged.base() != described.as_deref() {
        session.build.forget_output();
    }
    let options = generator::BuildOptions {
        content: content.to_path_buf(),
        output: staged.path().to_path_buf(),
        config: config.clone(),
        build_date: source_date(),
        source_commit: commit.map(str::to_string),
        signing_key: config.signing_key(),
    };
    let live = live.unwrap_or_else(|| "nothing".into());
    let mut report = match generator::build_incremental(
        &options,
        divisions,
        checked,
        &|_, _| {},
        &mut session.build,
    ) {
        Ok(report) => report,
        Err(err) => {
            let _ = releases.discard(staged);
            eprintln!("error: build failed ({err}); nothing published, {live} stays live");
            return EXIT_FAILED;
        }
    };
    if let Some(why) = &report.unsigned {
        tracing::error!("the mirror manifest is unsigned: {why}; mirrors refuse it until fixed");
    }
    if let Some(commit) = commit {
        report
            .changed_paths
            .insert(".well-known/kaifang/commit".into());
        let path = staged.path().join(".well-known/kaifang/commit");
        // Beside and renamed: the staged file is a hard link into the live release.
        let tmp = path.with_file_name(".commit.tmp");
        let written = std::fs::create_dir_all(path.parent().unwrap_or(staged.path()))
            .and_then(|()| std::fs::write(&tmp, format!("{commit}\n")))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(err) = written {
            session.build.forget_output();
            let _ = releases.discard(staged);
            eprintln!("error: cannot record the commit: {err}; {live} stays live");
            return EXIT_FAILED;
        }
    }
    match releases.publish_changed(staged, keep, Some(&report.changed_paths)) {
        Ok(name) => {
            let published = Published {
                release: name.clone(),
                commit: commit.map(str::to_string),
                datasets: report.published,
                files: report.files,
                rendered: report.files - report.skipped,
                written: report.written,
                removed: report.removed,
                reused_folder,
                check_seconds: checked.elapsed.as_secs_f64(),
                render_seconds: report.render_seconds,
                publish_seconds: started.elapsed().as_secs_f64() - report.render_seconds,
                cycle_seconds: 0.0,
                withdrawn: report.withdrawn.clone(),
            };
            tracing::info!(
                release = %name,
                datasets = published.datasets,
                files = published.files,
                rendered = published.rendered,
                written = published.written,
                removed = published.removed,
                reused_folder,
                check_seconds = published.check_seconds,
                render_seconds = published.render_seconds,
                publish_seconds = published.publish_seconds,
                "built"
            );
            session.published = Some(published);
            session.release = Some(name.clone());
            session.follow_up = (report.deferred > 0).then(|| {
                tracing::info!(
                    pages = report.deferred,
                    "listing pages the takedown shifted follow in the next publish"
                );
                std::time::Instant::now() + FOLLOW_UP_AFTER
            });
            log_withdrawn(&report.withdrawn);
            session.whole_catalog_due_at = match session.whole_catalog_lag {
                Some(lag) if report.whole_catalog_behind => {
                    // Kept files come up to date `lag` after the first edit they miss; files
                    // left out for a takedown come back a second after the last takedown
                    // (even when they were due), so that takedowns right after it do not
                    // wait for them to be written.
                    let wait = if report.whole_catalog_dropped {
                        std::time::Duration::from_secs(1)
                    } else {
                        lag
                    };
                    let due = std::time::Instant::now() + wait;
                    tracing::info!(
                        dropped = report.whole_catalog_dropped,
                        due_in_seconds = wait.as_secs_f64(),
                        "data.json and catalog.csv left behind"
                    );
                    Some(match session.whole_catalog_due_at {
                        Some(earlier) if !report.takedown => earlier.min(due),
                        _ => due,
                    })
                }
                _ => None,
            };
            EXIT_OK
        }
        Err(err) => {
            session.build.forget_output();
            eprintln!("error: publishing failed, {live} stays live: {err}");
            EXIT_FAILED
        }
    }
}

/// Logs the files left out of a release because they mention a withheld dataset.
fn log_withdrawn(leaks: &[generator::audit::Leak]) {
    for leak in leaks {
        tracing::error!(
            file = %leak.file,
            dataset = %leak.dataset,
            found = %leak.found,
            "left out: mentions a withheld dataset"
        );
    }
}

/// Time one audit step may take before the daemon looks for changes again.
const AUDIT_STEP: std::time::Duration = std::time::Duration::from_millis(50);

/// How long after a takedown's publish the listing pages it only shifted are made: a
/// takedown that follows at once (an operator taking several datasets down one after
/// another) goes first instead of waiting for them.
const FOLLOW_UP_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

/// Audits for [`AUDIT_STEP`] more of the files the last builds skipped after a dataset was
/// withheld, in the release now live, and publishes a release without any that mention it.
/// Returns whether files are still to be audited.
fn audit_step(
    releases_root: &Path,
    folders: &Folders,
    keep: usize,
    session: &mut Warm,
    shared: Option<&Mutex<DaemonStatus>>,
) -> bool {
    if !session.build.audit_pending() {
        return false;
    }
    let releases = Releases::existing(releases_root);
    let withdrawn = audit_some(&releases, folders, keep, session, AUDIT_STEP);
    if let Some(shared) = shared
        && let Ok(mut s) = shared.lock()
    {
        s.live = releases.current();
        s.auditing = session.build.audit_pending();
        if let Some(p) = s.last_publish.as_mut() {
            p.withdrawn.extend(withdrawn);
        }
    }
    session.build.audit_pending()
}

/// One step of [`audit_step`]; returns the files it withdrew.
fn audit_some(
    releases: &Releases,
    folders: &Folders,
    keep: usize,
    session: &mut Warm,
    budget: std::time::Duration,
) -> Vec<generator::audit::Leak> {
    let started = std::time::Instant::now();
    // Only the release this daemon made holds the files the audit is owed for: after a
    // rollback (or when the releases cannot be read) the next build renders everything.
    let Some(live) = releases.current() else {
        session.forget_output();
        return Vec::new();
    };
    if session.release.as_ref() != Some(&live) {
        tracing::warn!(
            live,
            "the live release changed under the daemon: the next publish renders everything"
        );
        session.forget_output();
        return Vec::new();
    }
    let step = match session.build.audit_some(&releases.path_of(&live), budget) {
        Ok(step) => step,
        Err(err) => {
            tracing::error!("cannot audit {live}: {err}; the next publish renders everything");
            session.forget_output();
            return Vec::new();
        }
    };
    tracing::debug!(
        read = step.read,
        seconds = started.elapsed().as_secs_f64(),
        "audit step"
    );
    let withdrawn = if step.leaks.is_empty() {
        Some(Vec::new())
    } else {
        withdraw(releases, &live, keep, session, step.leaks)
    };
    // Done, and every leak found is out: the marker may go.
    if step.done && withdrawn.is_some() {
        tracing::info!(release = live, "audited skipped files");
        if std::mem::take(&mut session.unpublished_until_audited) {
            let _ = std::fs::remove_file(folders.unpublished());
        }
    }
    withdrawn.unwrap_or_default()
}

/// Publishes a release without the files in `leaks`, found in the live release `live`;
/// returns them once they are out, `None` when that failed (the session then forgot its
/// output, so the next publish renders and audits everything).
fn withdraw(
    releases: &Releases,
    live: &str,
    keep: usize,
    session: &mut Warm,
    leaks: Vec<generator::audit::Leak>,
) -> Option<Vec<generator::audit::Leak>> {
    log_withdrawn(&leaks);
    let withdrawn = releases.stage_next(keep).and_then(|(staged, _)| {
        for leak in &leaks {
            let path = staged.path().join(&leak.file);
            match std::fs::remove_file(&path) {
                Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                    let _ = releases.discard(staged);
                    return Err(daemon::release::ReleaseError::Io { path, source });
                }
                _ => {}
            }
        }
        let paths = leaks.iter().map(|l| l.file.clone()).collect();
        releases.publish_changed(staged, keep, Some(&paths))
    });
    match withdrawn {
        Ok(name) => {
            tracing::info!(release = %name, files = leaks.len(), "published without them");
            session.release = Some(name);
            Some(leaks)
        }
        Err(err) => {
            session.forget_output();
            tracing::error!("cannot publish without them: {err}; {live} stays live");
            None
        }
    }
}

/// Brings the checkout to the tip of `branch` (cloning it the first time, following a
/// force-push) and returns that commit.
fn git_update(remote: &str, branch: &str, checkout: &Path) -> Result<String, String> {
    let git = |args: &[&str], dir: Option<&Path>| -> Result<String, String> {
        let mut command = std::process::Command::new("git");
        if let Some(dir) = dir {
            command.arg("-C").arg(dir);
        }
        let output = command
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    if !checkout.join(".git").exists() {
        let _ = std::fs::remove_dir_all(checkout);
        let target = checkout.to_string_lossy();
        git(
            &[
                "clone",
                "--quiet",
                "--branch",
                branch,
                "--single-branch",
                remote,
                &target,
            ],
            None,
        )?;
    } else {
        git(
            &["fetch", "--quiet", "--force", "origin", branch],
            Some(checkout),
        )?;
        git(
            &["reset", "--quiet", "--hard", "FETCH_HEAD"],
            Some(checkout),
        )?;
        // Reports written into the checkout are the daemon's own; anything else untracked goes.
        git(&["clean", "--quiet", "-fdx"], Some(checkout))?;
    }
    git(&["rev-parse", "HEAD"], Some(checkout))
}
