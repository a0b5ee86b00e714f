//! Whole-system tests of `kaifang publish` and `kaifang rollback`: release folders, the atomic
//! `current` switch, failed builds, withheld datasets and rollbacks, and kill -9 mid-publish.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Fixture;

fn live(fixture: &Fixture) -> String {
    std::fs::read_link(fixture.path("rel/current"))
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn publish(fixture: &Fixture) -> common::Run {
    fixture.run(&["publish", "--releases", "rel"])
}

/// A release is complete when its home page and its search directory are there.
fn assert_complete(release: &Path) {
    assert!(release.join("index.html").is_file(), "{release:?}");
    assert!(release.join("search/index.bin").is_file(), "{release:?}");
    assert!(
        release.join("datasets/bus-stops/index.html").is_file(),
        "{release:?}"
    );
}

#[test]
fn each_publish_is_a_complete_release_sharing_unchanged_files() {
    let fixture = Fixture::new("basic");
    let run = publish(&fixture);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(live(&fixture), "releases/r000001");
    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(
        &record,
        text.replace("title: 公交站点", "title: 公交站点（更新）"),
    )
    .unwrap();
    assert_eq!(publish(&fixture).status, 0);
    assert_eq!(live(&fixture), "releases/r000002");
    let (old, new) = (
        fixture.path("rel/releases/r000001"),
        fixture.path("rel/releases/r000002"),
    );
    assert_complete(&old);
    assert_complete(&new);
    let page = "datasets/bus-stops/index.html";
    assert!(
        !std::fs::read_to_string(old.join(page))
            .unwrap()
            .contains("（更新）")
    );
    assert!(
        std::fs::read_to_string(new.join(page))
            .unwrap()
            .contains("（更新）")
    );
    // An unchanged file is the same file (a hard link): same bytes, same mtime.
    let css = "assets/style.css";
    let (a, b) = (
        std::fs::metadata(old.join(css)).unwrap(),
        std::fs::metadata(new.join(css)).unwrap(),
    );
    assert_eq!((a.ino(), a.mtime()), (b.ino(), b.mtime()));
    // A failed build publishes nothing and leaves no staging folder.
    let run = fixture.run(&["publish", "--releases", "rel", "--config", "missing.toml"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("r000002 stays live"), "{}", run.stderr);
    assert_eq!(live(&fixture), "releases/r000002");
    let names: Vec<_> = std::fs::read_dir(fixture.path("rel/releases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.starts_with('r')), "{names:?}");
    // Old releases beyond --keep go.
    assert_eq!(
        fixture
            .run(&["publish", "--releases", "rel", "--keep", "1"])
            .status,
        0
    );
    assert!(!old.exists() && !new.exists());
}

/// 第二十二条: a suspended dataset does not come back through a rollback.
#[test]
fn a_rollback_never_brings_back_a_withheld_dataset() {
    let fixture = Fixture::new("basic");
    assert_eq!(publish(&fixture).status, 0);
    assert_eq!(publish(&fixture).status, 0);
    // A plain rollback works.
    let run = fixture.run(&["rollback", "--releases", "rel"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(live(&fixture), "releases/r000001");
    assert_eq!(publish(&fixture).status, 0);

    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, format!("{text}status: suspended\n")).unwrap();
    assert_eq!(publish(&fixture).status, 0);
    assert!(!fixture.path("rel/current/datasets/bus-stops").exists());
    let before = live(&fixture);
    let run = fixture.run(&["rollback", "--releases", "rel"]);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("bus-stops"), "{}", run.stderr);
    assert_eq!(live(&fixture), before);
}

/// kill -9 at any point of a publish leaves `current` on a complete release, and the next
/// publish clears what the killed one left.
#[test]
fn kill_nine_during_publish_never_leaves_a_broken_live_site() {
    let fixture = Fixture::new("basic");
    assert_eq!(publish(&fixture).status, 0);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_kaifang"))
            .args(["publish", "--releases", "rel"])
            .current_dir(fixture.dir.path())
            .env("SOURCE_DATE_EPOCH", "1735689600")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(seed % 700));
        let _ = child.kill();
        let _ = child.wait();
        let current = fixture.path("rel/current");
        assert!(current.exists(), "round {round}: current is dangling");
        assert_complete(&current);
    }
    assert_eq!(publish(&fixture).status, 0);
    let leftovers: Vec<_> = std::fs::read_dir(fixture.path("rel/releases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!fixture.path("rel/current.new").exists());
}

/// A checker fetching pages over HTTP from a server on 127.0.0.1 that follows `current` sees
/// no 404 and no partial file while releases are switched.
#[test]
fn pages_stay_served_while_releases_switch() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let fixture = Fixture::new("basic");
    assert_eq!(publish(&fixture).status, 0);
    let current = fixture.path("rel/current");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let root = current.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let mut file = root.join(path.trim_start_matches('/'));
                if path.ends_with('/') {
                    file = file.join("index.html");
                }
                let mut stream = stream;
                match std::fs::read(&file) {
                    Ok(body) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(&body);
                    }
                    Err(_) => {
                        let _ = stream
                            .write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                    }
                }
            });
        }
    });
    let stop = Arc::new(AtomicBool::new(false));
    let checker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let pages = [
                "/",
                "/datasets/bus-stops/",
                "/datasets/taxi-fares/",
                "/assets/style.css",
                "/search/index.bin",
            ];
            let (mut fetched, mut bad) = (0, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                for page in pages {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    write!(stream, "GET {page} HTTP/1.0\r\n\r\n").unwrap();
                    let mut response = Vec::new();
                    stream.read_to_end(&mut response).unwrap();
                    let text = String::from_utf8_lossy(&response);
                    fetched += 1;
                    let complete = !page.ends_with('/') || text.trim_end().ends_with("</html>");
                    if !text.starts_with("HTTP/1.0 200") || !complete {
                        bad.push(format!("{page}: {}", text.lines().next().unwrap_or("")));
                    }
                }
            }
            (fetched, bad)
        })
    };
    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let original = std::fs::read_to_string(&record).unwrap();
    for round in 0..6 {
        let title = format!("title: 公交站点（第{round}版）");
        std::fs::write(&record, original.replace("title: 公交站点", &title)).unwrap();
        assert_eq!(publish(&fixture).status, 0);
    }
    stop.store(true, Ordering::Relaxed);
    let (fetched, bad) = checker.join().unwrap();
    assert!(fetched > 20, "only {fetched} fetches");
    assert!(
        bad.is_empty(),
        "{} of {fetched} fetches failed: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}
