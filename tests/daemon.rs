//! Whole-system tests of `kaifang daemon --once`: department drop folders in, releases out;
//! bad, unsafe and foreign files stay out with a report, and published data never goes down
//! because of a bad edit.

mod common;

use std::path::Path;
use std::time::Instant;

use common::Fixture;

/// The basic fixture with a `[daemon]` section and a drop folder holding the transport
/// department's catalog. Every publish brings `data.json` and `catalog.csv` up to date
/// (`whole_catalog_secs = 0`), so each release is a full build;
/// `the_whole_catalog_files_follow_edits_a_moment_later_and_leave_with_a_takedown` tests
/// the lag.
fn daemon_fixture() -> Fixture {
    daemon_fixture_lagging(0)
}

/// [`daemon_fixture`] with the files of the whole catalog allowed to lag `secs` seconds.
fn daemon_fixture_lagging(secs: u64) -> Fixture {
    daemon_fixture_with(20, secs)
}

/// The daemon fixture with these `settle_ms` and `whole_catalog_secs`.
fn daemon_fixture_with(settle_ms: u64, secs: u64) -> Fixture {
    let fixture = Fixture::new("basic");
    let mut config = std::fs::read_to_string(fixture.path("site.toml")).unwrap();
    config.push_str(&format!(
        "\n[daemon]\ndrops = \"drops\"\nreleases = \"rel\"\nsettle_ms = {settle_ms}\nwhole_catalog_secs = {secs}\n"
    ));
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    common::copy_tree(
        &fixture.path("content/departments/nn-transport"),
        &fixture.path("drops/nn-transport"),
    );
    fixture
}

/// Starts `kaifang <args>` in the fixture, output discarded.
fn spawn(fixture: &Fixture, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_kaifang"))
        .args(args)
        .current_dir(fixture.dir.path())
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn once(fixture: &Fixture) -> common::Run {
    fixture.run(&["daemon", "--once"])
}

fn report(fixture: &Fixture, department: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixture.path(&format!("drops/{department}/_report.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rejected(report: &serde_json::Value) -> Vec<(String, String)> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn live_page(fixture: &Fixture, rel: &str) -> Option<String> {
    std::fs::read_to_string(fixture.path("rel/current").join(rel)).ok()
}

const RECORD: &str = "title: 出租车运价\nsummary: 全市出租车运价标准\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每年\nreviews:\n  security: { date: 2024-01-01 }\n";

#[test]
fn records_added_changed_and_deleted_in_a_drop_are_published() {
    let fixture = daemon_fixture();
    let run = once(&fixture);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(live_page(&fixture, "datasets/bus-stops/index.html").is_some());

    std::fs::write(fixture.path("drops/nn-transport/taxi-new.yaml"), RECORD).unwrap();
    assert_eq!(once(&fixture).status, 0);
    assert!(
        live_page(&fixture, "datasets/taxi-new/index.html")
            .unwrap()
            .contains("出租车运价")
    );

    std::fs::remove_file(fixture.path("drops/nn-transport/taxi-new.yaml")).unwrap();
    assert_eq!(once(&fixture).status, 0);
    assert!(live_page(&fixture, "datasets/taxi-new/index.html").is_none());
    assert!(rejected(&report(&fixture, "nn-transport")).is_empty());

    // Nothing changed: no new release.
    let run = once(&fixture);
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
}

#[test]
fn bad_unsafe_and_foreign_files_stay_out_and_published_data_stays_up() {
    let fixture = daemon_fixture();
    assert_eq!(once(&fixture).status, 0);
    let before = live_page(&fixture, "datasets/bus-stops/index.html").unwrap();

    let drop = fixture.path("drops/nn-transport");
    // A bad edit of a published record, a broken new record, a symlink to /etc/passwd,
    // a FIFO, a half-written transfer, and a record taking another department's id.
    let record = drop.join("bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(
        &record,
        text.replacen("title: 公交站点", "title: [公交站点", 1),
    )
    .unwrap();
    std::fs::write(drop.join("broken.yaml"), "title: 坏\nsummary: \"未闭合\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", drop.join("passwd.yaml")).unwrap();
    let fifo = drop.join("pipe.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(drop.join("upload.yaml.partial"), "title: 半").unwrap();
    let other = fixture.path("drops/gx-other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("department.yaml"),
        "name: 其他部门\ncode: gx-other\nlevel: 自治区\nregion: \"45\"\n",
    )
    .unwrap();
    std::fs::write(other.join("bus-stops.yaml"), RECORD).unwrap();

    let run = once(&fixture);
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    let found = rejected(&report(&fixture, "nn-transport"));
    for expected in [
        ("broken.yaml", "yaml-syntax"),
        ("passwd.yaml", "symlink"),
        ("pipe.yaml", "not-a-file"),
    ] {
        assert!(
            found
                .iter()
                .any(|(f, c)| f == expected.0 && c == expected.1),
            "{expected:?} in {found:?}"
        );
    }
    let bad_edit = report(&fixture, "nn-transport")["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["file"] == "bus-stops.yaml")
        .cloned()
        .expect("the bad edit is reported");
    assert_eq!(bad_edit["line"], 1);
    assert_eq!(bad_edit["previous_kept"], true);
    assert!(
        found.iter().all(|(f, _)| !f.contains("partial")),
        "{found:?}"
    );
    let foreign = rejected(&report(&fixture, "gx-other"));
    assert!(
        foreign
            .iter()
            .any(|(f, c)| f == "bus-stops.yaml" && c == "duplicate-id"),
        "{foreign:?}"
    );
    // The published page is the last good one; nothing of /etc/passwd is published.
    assert_eq!(
        live_page(&fixture, "datasets/bus-stops/index.html").unwrap(),
        before
    );
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let root_line = passwd.lines().next().unwrap_or("root:x:0:0");
    common::assert_nothing_mentions(&fixture.path("rel/current"), &[root_line]);

    // Fixing the files clears the report.
    std::fs::write(&record, text).unwrap();
    for name in ["broken.yaml", "passwd.yaml", "pipe.yaml"] {
        std::fs::remove_file(drop.join(name)).unwrap();
    }
    std::fs::remove_dir_all(&other).unwrap();
    assert_eq!(once(&fixture).status, 0);
    assert!(rejected(&report(&fixture, "nn-transport")).is_empty());
    assert!(Path::new(&fixture.path("rel/current/datasets/bus-stops/index.html")).exists());
}

/// The long-running daemon: publishes, then picks up a new drop on its next scan, and shows
/// every rejected file on its internal status page (127.0.0.1 only).
#[test]
fn the_running_daemon_publishes_changes_and_reports_them_on_its_status_page() {
    let fixture = daemon_fixture();
    // A long poll interval: the second publish must come from the file-system watcher.
    let daemon = Running::start(&fixture);
    let published = daemon.wait_live(1);
    std::fs::write(
        fixture.path("drops/nn-transport/broken.yaml"),
        "title: 坏\nsummary: \"未闭合\n",
    )
    .unwrap();
    std::fs::write(fixture.path("drops/nn-transport/taxi-new.yaml"), RECORD).unwrap();
    let republished = daemon.wait_live(2);
    let page = daemon.get("/").unwrap_or_default();
    // 第二十二条: a takedown (the record suspended) is published on the watcher's event, not
    // after the poll interval, and takes the dataset out of every public file.
    let record = fixture.path("drops/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, format!("{text}status: suspended\n")).unwrap();
    let taken_down = daemon.wait_live(3);
    drop(daemon);
    assert!(published && republished && taken_down, "{page}");
    assert!(live_page(&fixture, "datasets/bus-stops/index.html").is_none());
    common::assert_nothing_mentions(&fixture.path("rel/current"), &["datasets/bus-stops/"]);
    let rollback = fixture.run(&["rollback", "--releases", "rel"]);
    assert_eq!(rollback.status, 2, "a rollback must not bring it back");
    assert!(
        page.contains("broken.yaml") && page.contains("yaml-syntax"),
        "{page}"
    );
    assert!(live_page(&fixture, "datasets/taxi-new/index.html").is_some());
}

/// Runs git in `dir` and returns its output.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=测试",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Makes `origin` a git repository holding the fixture's content, and points the daemon at it;
/// returns the first commit.
fn git_origin(fixture: &Fixture, origin: &Path) -> String {
    let git = |args: &[&str]| git_in(origin, args);
    git(&["init", "--quiet", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "初始目录"]);
    let mut config = std::fs::read_to_string(fixture.path("site.toml")).unwrap();
    config.push_str(&format!(
        "\n[daemon]\nreleases = \"rel\"\nsettle_ms = 20\ngit = \"{}\"\nbranch = \"main\"\n",
        origin.display()
    ));
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    git(&["rev-parse", "HEAD"])
}

/// Git mode: the daemon publishes the tip of a branch and records its commit; a broken
/// commit keeps the last good record published; a force-push is followed.
#[test]
fn git_mode_publishes_commits_and_follows_force_pushes() {
    let fixture = Fixture::new("basic");
    let origin = fixture.path("origin");
    common::copy_tree(&fixture.path("content"), &origin);
    let git = |args: &[&str]| git_in(&origin, args);
    let first = git_origin(&fixture, &origin);

    let run = once(&fixture);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let commit = live_page(&fixture, ".well-known/kaifang/commit").unwrap();
    assert_eq!(commit.trim(), first);

    // A commit that adds a record is published with its commit.
    std::fs::write(
        origin.join("departments/nn-transport/taxi-new.yaml"),
        RECORD,
    )
    .unwrap();
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "新增出租车运价"]);
    let second = git(&["rev-parse", "HEAD"]);
    assert_eq!(once(&fixture).status, 0);
    assert!(live_page(&fixture, "datasets/taxi-new/index.html").is_some());
    assert_eq!(
        live_page(&fixture, ".well-known/kaifang/commit")
            .unwrap()
            .trim(),
        second
    );
    // The mirror manifest of each release names its commit and counts releases.
    let manifest: serde_json::Value =
        serde_json::from_str(&live_page(&fixture, ".well-known/kaifang/manifest.json").unwrap())
            .unwrap();
    assert_eq!(manifest["source_commit"], second.as_str());
    assert_eq!(manifest["generation"], 2);

    // A broken record in a commit stays out; the published page stays.
    let record = origin.join("departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replacen("title: 公交站点", "title: [坏", 1)).unwrap();
    git(&["commit", "--quiet", "-am", "坏的修改"]);
    assert_eq!(once(&fixture).status, 1);
    assert!(
        live_page(&fixture, "datasets/bus-stops/index.html")
            .unwrap()
            .contains("公交站点")
    );

    // A force-push back to the first commit: the added record goes.
    git(&["reset", "--quiet", "--hard", &first]);
    assert_eq!(once(&fixture).status, 0);
    assert!(live_page(&fixture, "datasets/taxi-new/index.html").is_none());
    assert_eq!(
        live_page(&fixture, ".well-known/kaifang/commit")
            .unwrap()
            .trim(),
        first
    );
}

/// kill -9 during a cycle, at random moments, then a restart: the live release is always
/// complete, the daemon converges, and with unchanged inputs it publishes nothing new.
#[test]
fn the_daemon_converges_after_kill_nine() {
    let fixture = daemon_fixture();
    assert_eq!(once(&fixture).status, 0);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Each round changes the input, so the killed cycle had real work to do.
        std::fs::write(
            fixture.path("drops/nn-transport/taxi-new.yaml"),
            RECORD.replace("出租车运价", &format!("出租车运价{round}")),
        )
        .unwrap();
        let mut child = spawn(&fixture, &["daemon", "--once"]);
        std::thread::sleep(std::time::Duration::from_millis(seed % 600));
        let _ = child.kill();
        let _ = child.wait();
        let current = fixture.path("rel/current");
        assert!(current.join("index.html").is_file(), "round {round}");
        assert!(
            current.join("datasets/bus-stops/index.html").is_file(),
            "round {round}"
        );
    }
    assert_eq!(once(&fixture).status, 0);
    assert!(
        live_page(&fixture, "datasets/taxi-new/index.html")
            .unwrap()
            .contains("出租车运价49")
    );
    let run = once(&fixture);
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
    // Releases reused after interrupted publishes still hold exactly what a full build writes.
    assert_live_is_a_full_build(&fixture, "full", "after kills");
}

/// The live release holds, byte for byte, what `kaifang build` writes (into `out`) for the
/// daemon's accepted catalog.
fn assert_live_is_a_full_build(fixture: &Fixture, out: &str, what: &str) {
    let full = fixture.path(out);
    let run = fixture.run(&[
        "build",
        "--content",
        "rel/state/content",
        "--out",
        full.to_str().unwrap(),
    ]);
    assert!(run.status <= 1, "{what}: {}{}", run.stdout, run.stderr);
    let live = fixture.path("rel/current");
    let (want, got) = (common::files(&full), common::files(&live));
    assert_eq!(want, got, "{what}: the same files");
    for file in &want {
        let (full_bytes, live_bytes) = (
            std::fs::read(full.join(file)).unwrap(),
            std::fs::read(live.join(file)).unwrap(),
        );
        if file.ends_with("kaifang/manifest.json") || file.ends_with("kaifang/trace") {
            // Generation and removals count releases; the files listed must be the same
            // (the parts, named by their hashes, are compared byte for byte).
            if file.ends_with("manifest.json") {
                let listed = |bytes: &[u8]| {
                    let m: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                    (m["parts"].clone(), m["files"].clone(), m["bytes"].clone())
                };
                assert_eq!(listed(&full_bytes), listed(&live_bytes), "{what}: {file}");
            }
            continue;
        }
        assert!(
            full_bytes == live_bytes,
            "{what}: {file} differs from a full build"
        );
    }
}

/// A daemon running in the fixture with its status page on a free port.
struct Running {
    child: std::process::Child,
    port: u16,
}

impl Running {
    fn start(fixture: &Fixture) -> Running {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = std::fs::read_to_string(fixture.path("site.toml")).unwrap();
        config.push_str(&format!("poll_secs = 120\nstatus_port = {port}\n"));
        std::fs::write(fixture.path("site.toml"), config).unwrap();
        Running {
            child: spawn(fixture, &["daemon"]),
            port,
        }
    }

    /// A page of its status site, headers included.
    fn get(&self, path: &str) -> Option<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        Some(text)
    }

    fn status(&self) -> Option<String> {
        self.get("/status")
    }

    /// Waits until release number `n` is live.
    fn wait_live(&self, n: u32) -> bool {
        let needle = format!("\"live\": \"r{n:06}\"");
        for _ in 0..300 {
            if self.status().is_some_and(|t| t.contains(&needle)) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file its writer closed, or one moved into place, is complete: it is published without
/// waiting for the settle time. A file still open for writing waits for it.
#[test]
fn a_closed_or_moved_in_file_is_read_without_the_settle_wait() {
    use std::io::Write;
    let settle = std::time::Duration::from_millis(4000);
    let fixture = daemon_fixture_with(settle.as_millis() as u64, 0);
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");
    let folder = fixture.path("drops/nn-transport");
    let bus = std::fs::read_to_string(folder.join("bus-stops.yaml")).unwrap();

    let written = Instant::now();
    std::fs::write(
        folder.join("bus-stops.yaml"),
        bus.replacen("title: 公交站点", "title: 公交站点位置", 1),
    )
    .unwrap();
    assert!(daemon.wait_live(2), "written and closed");
    assert!(written.elapsed() < settle / 2, "{:?}", written.elapsed());

    let moved = Instant::now();
    std::fs::write(folder.join("taxi-new.yaml.partial"), RECORD).unwrap();
    std::fs::rename(
        folder.join("taxi-new.yaml.partial"),
        folder.join("taxi-new.yaml"),
    )
    .unwrap();
    assert!(daemon.wait_live(3), "moved into place");
    assert!(moved.elapsed() < settle / 2, "{:?}", moved.elapsed());
    assert!(live_page(&fixture, "datasets/taxi-new/index.html").is_some());

    // Still open: read only once it stayed the same for the settle time.
    let freight = std::fs::read_to_string(folder.join("road-freight.yaml")).unwrap();
    let mut open = std::fs::File::create(folder.join("road-freight.yaml")).unwrap();
    let writing = Instant::now();
    open.write_all(freight.replacen("title: ", "title: 修订", 1).as_bytes())
        .unwrap();
    open.flush().unwrap();
    assert!(daemon.wait_live(4), "published once settled");
    assert!(writing.elapsed() >= settle, "{:?}", writing.elapsed());
    drop(open);
    assert!(
        live_page(&fixture, "datasets/road-freight/index.html").is_some_and(|p| p.contains("修订"))
    );
}

/// The running daemon renders only what changed and reuses old release folders; after every
/// kind of change its live release must hold exactly what a full build of the same accepted
/// catalog writes, byte for byte.
#[test]
fn incremental_releases_equal_full_builds() {
    let fixture = daemon_fixture();
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");
    let drop = fixture.path("drops/nn-transport");
    let bus = std::fs::read_to_string(drop.join("bus-stops.yaml")).unwrap();
    let other = RECORD.replace("出租车运价", "网约车许可");
    type Step<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let steps: Vec<Step> = vec![
        (
            "retitle",
            Box::new(|| {
                std::fs::write(
                    drop.join("bus-stops.yaml"),
                    bus.replacen("title: 公交站点", "title: 公交站点位置", 1),
                )
                .unwrap()
            }),
        ),
        (
            "add",
            Box::new(|| std::fs::write(drop.join("taxi-new.yaml"), RECORD).unwrap()),
        ),
        (
            "new keyword and domain",
            Box::new(|| {
                std::fs::write(
                    drop.join("taxi-new.yaml"),
                    RECORD.replace("domain: 交通运输", "domain: 交通运输\nkeywords: [运价标准]"),
                )
                .unwrap()
            }),
        ),
        (
            "takedown",
            Box::new(|| {
                std::fs::write(
                    drop.join("bus-stops.yaml"),
                    format!("{bus}status: suspended\n"),
                )
                .unwrap()
            }),
        ),
        (
            "restore",
            Box::new(|| std::fs::write(drop.join("bus-stops.yaml"), &bus).unwrap()),
        ),
        (
            "add another",
            Box::new(|| std::fs::write(drop.join("ride-hailing.yaml"), &other).unwrap()),
        ),
        (
            "delete",
            Box::new(|| std::fs::remove_file(drop.join("taxi-new.yaml")).unwrap()),
        ),
        (
            "newer date",
            Box::new(|| {
                std::fs::write(
                    drop.join("ride-hailing.yaml"),
                    format!("{other}modified: 2024-12-30\n"),
                )
                .unwrap()
            }),
        ),
        (
            "a format no other dataset has",
            Box::new(|| {
                std::fs::write(
                    drop.join("ride-hailing.yaml"),
                    format!(
                        "{other}modified: 2024-12-30\nresources:\n  - {{ title: 范围, format: GeoJSON, url: \"https://example.test/area\" }}\n"
                    ),
                )
                .unwrap()
            }),
        ),
        (
            "that format gone",
            Box::new(|| {
                std::fs::write(
                    drop.join("ride-hailing.yaml"),
                    format!("{other}modified: 2024-12-30\n"),
                )
                .unwrap()
            }),
        ),
        (
            "resource file dropped",
            Box::new(|| {
                std::fs::write(
                    drop.join("bus-stops.yaml"),
                    bus.replacen(
                        "  - { title: 站点表, format: csv, file: files/stops.csv }\n",
                        "",
                        1,
                    ),
                )
                .unwrap()
            }),
        ),
    ];
    for (n, (what, step)) in steps.iter().enumerate() {
        step();
        assert!(daemon.wait_live(n as u32 + 2), "{what}: not published");
        // Give the swap a moment to finish its pruning before reading.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let status: serde_json::Value = {
            let text = daemon.status().unwrap();
            serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap()
        };
        let last = &status["last_publish"];
        let (rendered, files) = (last["rendered"].as_u64(), last["files"].as_u64());
        assert!(
            rendered < files,
            "{what}: only what changed is rendered: {last}"
        );
        if n >= 5 {
            assert_eq!(last["reused_folder"], true, "{what}: {last}");
        }
        assert_live_is_a_full_build(&fixture, &format!("full-{n}"), what);
        // A facet key that only one dataset had comes and goes with it.
        let geojson = live_page(&fixture, "formats/geojson/index.html");
        match *what {
            "a format no other dataset has" => assert!(geojson.is_some(), "{what}"),
            "that format gone" => assert!(geojson.is_none(), "{what}"),
            _ => {}
        }
    }
    let releases = std::fs::read_dir(fixture.path("rel/releases"))
        .unwrap()
        .count();
    assert!(
        releases <= 5,
        "old releases are reused or pruned: {releases}"
    );
}

/// With a lag allowed, an edit is published at once and `data.json` and `catalog.csv`
/// follow in a publish of their own; a takedown takes them out of its publish at once (they
/// list the dataset) and they come back without it. After each catch-up the live release
/// is a full build.
#[test]
fn the_whole_catalog_files_follow_edits_a_moment_later_and_leave_with_a_takedown() {
    let fixture = daemon_fixture_lagging(2);
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");
    assert!(live_page(&fixture, "data.json").is_some_and(|t| t.contains("公交站点")));
    let drop = fixture.path("drops/nn-transport");
    let bus = std::fs::read_to_string(drop.join("bus-stops.yaml")).unwrap();

    // An edit: its page at once, the whole catalog files a moment later.
    let edited = Instant::now();
    std::fs::write(
        drop.join("bus-stops.yaml"),
        bus.replacen("title: 公交站点", "title: 公交站点位置", 1),
    )
    .unwrap();
    assert!(daemon.wait_live(2), "the edit is published");
    assert!(
        live_page(&fixture, "datasets/bus-stops/index.html")
            .is_some_and(|t| t.contains("公交站点位置"))
    );
    let data = live_page(&fixture, "data.json").unwrap();
    assert!(
        data.contains("公交站点") && !data.contains("公交站点位置"),
        "data.json waits"
    );
    assert!(daemon.wait_live(3), "data.json catches up");
    assert!(
        edited.elapsed() >= std::time::Duration::from_secs(2),
        "not before its lag"
    );
    assert!(
        live_page(&fixture, "data.json")
            .unwrap()
            .contains("公交站点位置")
    );
    assert!(
        live_page(&fixture, "catalog.csv")
            .unwrap()
            .contains("公交站点位置")
    );
    assert_live_is_a_full_build(&fixture, "full-edit", "edit caught up");

    // A takedown: no file may list the dataset, so the whole catalog files leave with it.
    std::fs::write(
        drop.join("bus-stops.yaml"),
        format!("{bus}status: suspended\n"),
    )
    .unwrap();
    assert!(daemon.wait_live(4), "the takedown is published");
    assert!(live_page(&fixture, "data.json").is_none());
    assert!(live_page(&fixture, "catalog.csv").is_none());
    common::assert_nothing_mentions(&fixture.path("rel/current/"), &["bus-stops"]);
    assert!(daemon.wait_live(5), "they come back");
    let data = live_page(&fixture, "data.json").unwrap();
    assert!(!data.contains("bus-stops") && data.contains("road-freight"));
    assert_live_is_a_full_build(&fixture, "full-takedown", "takedown caught up");
}

/// Git mode with a long interval: SIGHUP, or touching `<releases>/fetch`, makes the running
/// daemon fetch and publish at once.
#[test]
fn sighup_or_a_touched_trigger_fetches_at_once() {
    let fixture = Fixture::new("basic");
    let origin = fixture.path("origin");
    common::copy_tree(&fixture.path("content"), &origin);
    git_origin(&fixture, &origin);
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");

    std::fs::write(
        origin.join("departments/nn-transport/taxi-new.yaml"),
        RECORD,
    )
    .unwrap();
    git_in(&origin, &["add", "."]);
    git_in(&origin, &["commit", "--quiet", "-m", "新增出租车运价"]);
    let second = git_in(&origin, &["rev-parse", "HEAD"]);
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &daemon.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    assert!(daemon.wait_live(2), "published on SIGHUP");
    assert_eq!(
        live_page(&fixture, ".well-known/kaifang/commit")
            .unwrap()
            .trim(),
        second
    );

    std::fs::remove_file(origin.join("departments/nn-transport/taxi-new.yaml")).unwrap();
    git_in(&origin, &["commit", "--quiet", "-am", "撤下出租车运价"]);
    std::fs::write(fixture.path("rel/fetch"), "").unwrap();
    assert!(daemon.wait_live(3), "published on the trigger file");
    assert!(live_page(&fixture, "datasets/taxi-new/index.html").is_none());
}

/// A takedown is published at once even when another record's page names the dataset: the
/// files the build skipped are audited right after, and any that mention it are left out of a
/// further release and reported, never left online or allowed to hold the takedown back.
#[test]
fn a_takedown_goes_live_and_pages_that_name_it_are_then_left_out() {
    let fixture = daemon_fixture();
    let secret = "title: 专项稽查名录\nsummary: 专项稽查对象\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每年\nreviews:\n  security: { date: 2024-01-01 }\n";
    std::fs::write(
        fixture.path("drops/nn-transport/special-audit.yaml"),
        secret,
    )
    .unwrap();
    let health = fixture.path("drops/nn-health");
    std::fs::create_dir_all(&health).unwrap();
    std::fs::write(
        health.join("department.yaml"),
        "name: 南宁市卫生健康委员会\ncode: nn-health\nregion: \"4501\"\n",
    )
    .unwrap();
    // The mention lies past the snippet that listings show, so only the page itself has it.
    let clinic = format!(
        "title: 社区诊所\nsummary: {}。另见专项稽查名录。\ndomain: 生活服务\nopen_type: 无条件开放\nupdate_frequency: 每年\nreviews:\n  security: {{ date: 2024-01-01 }}\n",
        "全市社区诊所的名称地址与服务时间".repeat(10)
    );
    std::fs::write(health.join("clinics.yaml"), clinic).unwrap();
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");
    assert!(live_page(&fixture, "datasets/clinics/index.html").is_some());

    std::fs::write(
        fixture.path("drops/nn-transport/special-audit.yaml"),
        format!("{secret}status: suspended\n"),
    )
    .unwrap();
    assert!(
        daemon.wait_live(3),
        "takedown, then a release without the page"
    );
    let release = |n: u32, rel: &str| {
        fixture
            .path(&format!("rel/releases/r{n:06}"))
            .join(rel)
            .exists()
    };
    assert!(!release(2, "datasets/special-audit/index.html"));
    assert!(
        release(2, "datasets/clinics/index.html"),
        "skipped, audited after"
    );
    assert!(!release(3, "datasets/clinics/index.html"));
    assert!(release(3, "datasets/bus-stops/index.html"));
    let status = daemon.status().unwrap();
    assert!(
        status.contains("datasets/clinics/index.html") && status.contains("专项稽查名录"),
        "{status}"
    );
    // The page stays out while the record names the withheld dataset, and comes back with a
    // fix.
    std::fs::write(
        health.join("clinics.yaml"),
        std::fs::read_to_string(health.join("clinics.yaml"))
            .unwrap()
            .replace("另见专项稽查名录。", ""),
    )
    .unwrap();
    assert!(daemon.wait_live(4), "fixed");
    assert!(live_page(&fixture, "datasets/clinics/index.html").is_some());
}

/// A record rewritten with the same size and its old modification time (as `cp -p` or a
/// careless sync leaves it) is still seen as changed: the inode's change time moved.
#[test]
fn a_rewrite_that_keeps_size_and_mtime_is_still_published() {
    let fixture = daemon_fixture();
    let record = fixture.path("drops/nn-transport/taxi-new.yaml");
    std::fs::write(&record, RECORD).unwrap();
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");
    let mtime = std::fs::metadata(&record).unwrap().modified().unwrap();
    let same_size = RECORD.replace("出租车运价", "网约车运价");
    assert_eq!(same_size.len(), RECORD.len());
    std::fs::write(&record, &same_size).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&record)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert!(daemon.wait_live(2), "the rewrite is published");
    let page = live_page(&fixture, "datasets/taxi-new/index.html").unwrap();
    assert!(page.contains("网约车运价"), "{page}");
}

/// The operator's takedown (第二十二条) in the content folder is seen by the watcher and
/// published at once, over the department's own record; a rollback cannot bring the dataset
/// back; removing the takedown restores it.
#[test]
fn an_operator_takedown_publishes_at_once_and_holds_against_rollback() {
    let fixture = daemon_fixture();
    let daemon = Running::start(&fixture);
    assert!(daemon.wait_live(1), "first publish");
    assert!(live_page(&fixture, "datasets/bus-stops/index.html").is_some());

    let takedowns = fixture.path("content/takedowns");
    assert!(takedowns.is_dir(), "the daemon makes the folder it watches");
    // Written under a temporary name and renamed, as departments are asked to.
    std::fs::write(
        takedowns.join(".2024-001.yaml.partial"),
        "dataset: bus-stops\nreceived: 2024-11-02\ngrounds: 个人隐私\nstate: suspended\nsuspended: 2024-11-02\n",
    )
    .unwrap();
    let started = Instant::now();
    std::fs::rename(
        takedowns.join(".2024-001.yaml.partial"),
        takedowns.join("2024-001.yaml"),
    )
    .unwrap();
    // The poll interval is 120 s: only the watcher can publish this soon.
    assert!(daemon.wait_live(2), "takedown published");
    assert!(started.elapsed().as_secs() < 15, "{:?}", started.elapsed());
    assert!(live_page(&fixture, "datasets/bus-stops/index.html").is_none());
    assert!(
        live_page(&fixture, "takedowns/index.html")
            .unwrap()
            .contains("<code>bus-stops</code>")
    );
    // The department's drop still holds the record as active: nothing else changed there.
    assert!(rejected(&report(&fixture, "nn-transport")).is_empty());

    let run = fixture.run(&["rollback", "--releases", "rel"]);
    assert_ne!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("withheld now"), "{}", run.stderr);

    std::fs::remove_file(takedowns.join("2024-001.yaml")).unwrap();
    assert!(daemon.wait_live(3), "takedown lifted");
    assert!(live_page(&fixture, "datasets/bus-stops/index.html").is_some());
}
