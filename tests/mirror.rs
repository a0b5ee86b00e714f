//! Mirrors: the signed manifest every build writes, checked by `kaifang mirror verify` and by
//! the stock `minisign` tool, and copies pulled by `kaifang mirror sync` from a real HTTP
//! server on 127.0.0.1.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Fixture;
use sha2::Digest;

const MANIFEST: &str = "public/.well-known/kaifang/manifest.json";

/// The basic fixture with a key pair in `keys/` and site.toml pointing at the secret key.
fn signed() -> Fixture {
    let fixture = Fixture::new("basic");
    std::fs::create_dir_all(fixture.path("keys")).unwrap();
    let run = fixture.run(&[
        "keygen",
        "--secret",
        "keys/site.key",
        "--public",
        "keys/site.pub",
    ]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let mut config = fixture.read("site.toml");
    config.push_str("\n[mirror]\nsigning_key = \"keys/site.key\"\n");
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    built(&fixture);
    fixture
}

fn built(fixture: &Fixture) {
    let run = fixture.build();
    assert!(
        run.status <= 1,
        "build failed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

fn manifest(fixture: &Fixture) -> serde_json::Value {
    serde_json::from_str(&fixture.read(MANIFEST)).unwrap()
}

/// Every file the manifest lists, read from its parts: path → (size, sha256).
fn listed(fixture: &Fixture) -> std::collections::BTreeMap<String, (u64, String)> {
    let mut files = std::collections::BTreeMap::new();
    for part in manifest(fixture)["parts"].as_array().unwrap() {
        let text = fixture.read(&part_path(part));
        let part: serde_json::Value = serde_json::from_str(&text).unwrap();
        for file in part["files"].as_array().unwrap() {
            files.insert(
                file["path"].as_str().unwrap().to_string(),
                (
                    file["size"].as_u64().unwrap(),
                    file["sha256"].as_str().unwrap().to_string(),
                ),
            );
        }
    }
    files
}

/// The file of a part the manifest names: `parts/<sha256>.json`.
fn part_path(part: &serde_json::Value) -> String {
    format!(
        "public/.well-known/kaifang/parts/{}.json",
        part["sha256"].as_str().unwrap()
    )
}

fn verify(fixture: &Fixture, copy: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["mirror", "verify", copy, "--key", "keys/site.pub", "--json"];
    args.extend_from_slice(extra);
    let run = fixture.run(&args);
    let report = serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null);
    (run.status, report, run.stderr)
}

fn names(report: &serde_json::Value, what: &str) -> Vec<String> {
    report[what]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_signed_manifest_lists_every_public_file_with_its_hash() {
    let fixture = signed();
    let files = listed(&fixture);
    let on_disk: Vec<String> = common::files(&fixture.path("public"))
        .into_iter()
        .filter(|p| !p.starts_with(".well-known/kaifang/") && p != ".kaifang-output")
        .collect();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), on_disk);
    for (path, (size, sha256)) in &files {
        let bytes = std::fs::read(fixture.path("public").join(path)).unwrap();
        assert_eq!(bytes.len() as u64, *size, "{path}");
        assert_eq!(
            &mirror::manifest::hex(&sha2::Sha256::digest(&bytes)),
            sha256,
            "{path}"
        );
    }
    let top = manifest(&fixture);
    assert_eq!(top["generation"], 1);
    assert_eq!(top["files"].as_u64().unwrap() as usize, files.len());
    // The build date comes from the input (SOURCE_DATE_EPOCH here), not the clock.
    assert_eq!(top["built"], "2025-01-01");
    let trace = fixture.read("public/.well-known/kaifang/trace");
    assert!(trace.contains("Generation: 1\n"), "{trace}");
    // Withheld, suspended and unreviewed datasets are in no file, so in no manifest.
    common::assert_nothing_mentions(
        &fixture.path("public/.well-known"),
        &[
            "secret-roster",
            "suspended-complaints",
            "unreviewed-parking",
        ],
    );

    let (status, report, stderr) = verify(&fixture, "public", &[]);
    assert_eq!(status, 0, "{report} {stderr}");
    assert_eq!(report["good"], true);
}

#[test]
fn the_stock_minisign_tool_verifies_the_manifest() {
    let fixture = signed();
    let output = std::process::Command::new("minisign")
        .args(["-V", "-m", MANIFEST, "-p", "keys/site.pub"])
        .current_dir(fixture.path(""))
        .output()
        .expect("minisign is installed (.ci/run installs Debian's package)");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("generation:1"), "{said}");
    // A changed byte fails.
    let text = fixture
        .read(MANIFEST)
        .replace("\"generation\":1", "\"generation\":9");
    std::fs::write(fixture.path(MANIFEST), text).unwrap();
    let output = std::process::Command::new("minisign")
        .args(["-V", "-m", MANIFEST, "-p", "keys/site.pub"])
        .current_dir(fixture.path(""))
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[test]
fn verify_names_missing_changed_and_extra_files() {
    let fixture = signed();
    fixture.remove("public/datasets/bus-stops/index.html");
    std::fs::write(fixture.path("public/index.html"), "<p>defaced</p>").unwrap();
    std::fs::write(fixture.path("public/planted.html"), "x").unwrap();
    let (status, report, _) = verify(&fixture, "public", &[]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(names(&report, "missing"), ["datasets/bus-stops/index.html"]);
    assert_eq!(names(&report, "changed"), ["index.html"]);
    assert_eq!(names(&report, "extra"), ["planted.html"]);

    // Text output names each file too.
    let run = fixture.run(&["mirror", "verify", "public", "--key", "keys/site.pub"]);
    assert!(
        run.stdout
            .contains("missing  datasets/bus-stops/index.html"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("not good: 1 missing, 1 changed, 1 extra"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_forged_manifest_or_another_key_is_refused() {
    let fixture = signed();
    // Someone lists a planted file in a part and the part in the manifest: the signature
    // over the manifest no longer holds.
    let text = fixture
        .read(MANIFEST)
        .replacen("\"files\":", "\"files\":1", 1);
    std::fs::write(fixture.path(MANIFEST), text).unwrap();
    let (status, _, stderr) = verify(&fixture, "public", &[]);
    assert_eq!(status, 2);
    assert!(stderr.contains("signature"), "{stderr}");

    let fixture = signed();
    // A changed part fails on its hash, which the signed manifest names.
    let part = part_path(&manifest(&fixture)["parts"][0]);
    let path = fixture.path(&part);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\"size\":", "\"size\": 1", 1);
    std::fs::write(&path, text).unwrap();
    let (status, _, stderr) = verify(&fixture, "public", &[]);
    assert_eq!(status, 2);
    let name = part.trim_start_matches("public/");
    assert!(
        stderr.contains(name) && stderr.contains("SHA-256"),
        "{stderr}"
    );

    // Another site's key.
    let run = fixture.run(&["keygen", "--secret", "other.key", "--public", "other.pub"]);
    assert_eq!(run.status, 0);
    let run = fixture.run(&["mirror", "verify", "public", "--key", "other.pub"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("signature"), "{}", run.stderr);
}

#[test]
fn a_rebuild_counts_on_and_lists_what_it_removed() {
    let fixture = signed();
    let before = listed(&fixture);
    let parts_before = manifest(&fixture)["parts"].clone();
    fixture.remove("content/departments/nn-transport/taxi-fares.yaml");
    built(&fixture);
    let top = manifest(&fixture);
    assert_eq!(top["generation"], 2);
    let removed = names(&top, "removed");
    assert!(
        removed.contains(&"datasets/taxi-fares/index.html".to_string()),
        "{removed:?}"
    );
    let after = listed(&fixture);
    assert!(!after.contains_key("datasets/taxi-fares/index.html"));
    for path in &removed {
        assert!(
            before.contains_key(path) && !after.contains_key(path),
            "{path}"
        );
    }
    assert_ne!(top["parts"], parts_before);
    let (status, report, stderr) = verify(&fixture, "public", &[]);
    assert_eq!(status, 0, "{report} {stderr}");

    // An unsigned build (no key) leaves no stale signature behind.
    let config = fixture
        .read("site.toml")
        .replace("signing_key = \"keys/site.key\"", "");
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    built(&fixture);
    assert!(
        !fixture
            .path("public/.well-known/kaifang/manifest.json.minisig")
            .exists()
    );
    assert_eq!(manifest(&fixture)["generation"], 3);
}

#[test]
fn a_signing_key_where_it_could_be_published_is_refused() {
    let fixture = signed();
    std::fs::copy(
        fixture.path("keys/site.key"),
        fixture.path("content/site.key"),
    )
    .unwrap();
    let config = fixture
        .read("site.toml")
        .replace("keys/site.key", "content/site.key");
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    let run = fixture.build();
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("content/site.key"), "{}", run.stderr);
    assert!(
        run.stderr.contains("outside the content and output"),
        "{}",
        run.stderr
    );

    // A key that is not a key.
    let config = fixture
        .read("site.toml")
        .replace("content/site.key", "keys/site.pub");
    std::fs::write(fixture.path("site.toml"), config).unwrap();
    let run = fixture.build();
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("keys/site.pub"), "{}", run.stderr);
}

/// A static file server on 127.0.0.1 over `root`. After `fail_after` file requests it answers
/// 500 (to interrupt a sync), unless that is `usize::MAX`.
struct Server {
    url: String,
    fail_after: Arc<AtomicUsize>,
    served: Arc<AtomicUsize>,
    /// Milliseconds each file request waits before it is answered.
    delay_ms: Arc<AtomicUsize>,
    /// Range requests answered with 206.
    ranges: Arc<AtomicUsize>,
    /// Requests for the manifest's own files.
    manifest_requests: Arc<AtomicUsize>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
        let fail_after = Arc::new(AtomicUsize::new(usize::MAX));
        let served = Arc::new(AtomicUsize::new(0));
        let delay_ms = Arc::new(AtomicUsize::new(0));
        let ranges = Arc::new(AtomicUsize::new(0));
        let root = root.to_path_buf();
        let (limit, count, delay) = (fail_after.clone(), served.clone(), delay_ms.clone());
        let ranged = ranges.clone();
        let manifest_requests = Arc::new(AtomicUsize::new(0));
        let own = manifest_requests.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let wait = delay.load(Ordering::SeqCst) as u64;
                std::thread::sleep(std::time::Duration::from_millis(wait));
                let path = percent_decode(request.url().trim_start_matches('/'));
                let is_manifest = path.starts_with(".well-known/");
                let n = if is_manifest {
                    own.fetch_add(1, Ordering::SeqCst);
                    0
                } else {
                    count.fetch_add(1, Ordering::SeqCst)
                };
                let response = if n >= limit.load(Ordering::SeqCst) {
                    tiny_http::Response::from_data(b"busy".to_vec()).with_status_code(500)
                } else if path.split('/').any(|s| s == "..") {
                    tiny_http::Response::from_data(Vec::new()).with_status_code(400)
                } else {
                    // `Range: bytes=N-`, as a resuming download asks.
                    let from = request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Range"))
                        .and_then(|h| {
                            h.value
                                .as_str()
                                .strip_prefix("bytes=")?
                                .strip_suffix('-')?
                                .parse::<usize>()
                                .ok()
                        });
                    match std::fs::read(root.join(&path)) {
                        Ok(bytes) if from.is_some_and(|n| n < bytes.len()) => {
                            ranged.fetch_add(1, Ordering::SeqCst);
                            let from = from.unwrap_or_default();
                            tiny_http::Response::from_data(bytes[from..].to_vec())
                                .with_status_code(206)
                        }
                        Ok(bytes) => tiny_http::Response::from_data(bytes),
                        Err(_) => tiny_http::Response::from_data(Vec::new()).with_status_code(404),
                    }
                };
                let _ = request.respond(response);
            }
        });
        Server {
            url,
            fail_after,
            served,
            delay_ms,
            ranges,
            manifest_requests,
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sync(fixture: &Fixture, server: &Server) -> common::Run {
    fixture.run(&[
        "mirror",
        "sync",
        &server.url,
        "copy",
        "--key",
        "keys/site.pub",
    ])
}

#[test]
fn sync_pulls_a_verified_copy_then_only_what_changed_and_resumes() {
    let fixture = signed();
    let server = Server::start(&fixture.path("public"));
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let total = listed(&fixture).len();
    assert!(
        run.stdout.contains(&format!("{total} file(s) downloaded")),
        "{}",
        run.stdout
    );
    let (status, report, stderr) = verify(&fixture, "copy", &["--origin", &server.url]);
    assert_eq!(status, 0, "{report} {stderr}");
    // The web copy itself verifies too.
    let (status, report, stderr) = verify(&fixture, &server.url, &[]);
    assert_eq!(status, 0, "{report} {stderr}");

    // The origin changes: the copy is stale, and names what.
    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replacen("title: ", "title: 新", 1)).unwrap();
    fixture.remove("content/departments/nn-transport/taxi-fares.yaml");
    built(&fixture);
    let (status, report, _) = verify(&fixture, "copy", &["--origin", &server.url]);
    assert_eq!(status, 1, "{report}");
    let stale = names(&report, "stale");
    assert!(
        stale.contains(&"datasets/bus-stops/index.html".to_string()),
        "{stale:?}"
    );
    assert!(
        stale.contains(&"datasets/taxi-fares/index.html".to_string()),
        "{stale:?}"
    );

    // Interrupted after three downloads: the copy keeps its old manifest and stays usable.
    server.served.store(0, Ordering::SeqCst);
    server.fail_after.store(3, Ordering::SeqCst);
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("500"), "{}", run.stderr);
    let (status, report, _) = verify(&fixture, "copy", &[]);
    assert_eq!(report["generation"], 1, "{report}");
    assert!(status <= 1);

    // Resumed: what was downloaded is not fetched again; the removed dataset goes last.
    server.fail_after.store(usize::MAX, Ordering::SeqCst);
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let downloaded: usize = run
        .stdout
        .split("generation 2: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let after = listed(&fixture);
    let needed = stale.iter().filter(|p| after.contains_key(*p)).count();
    assert!(
        downloaded > 0 && downloaded <= needed - 3,
        "{needed}: {}",
        run.stdout
    );
    assert!(!fixture.path("copy/datasets/taxi-fares/index.html").exists());
    let (status, report, stderr) = verify(&fixture, "copy", &["--origin", &server.url]);
    assert_eq!(status, 0, "{report} {stderr}");
    assert!(
        !fixture.path(".copy.kaifang-sync").exists(),
        "staging cleaned up"
    );
}

#[test]
fn sync_refuses_an_older_generation_unless_told() {
    let fixture = signed();
    common::copy_tree(&fixture.path("public"), &fixture.path("old-public"));
    built(&fixture);
    let server = Server::start(&fixture.path("public"));
    assert_eq!(sync(&fixture, &server).status, 0);
    // Someone serves the first generation's signed manifest again (or the origin rolled back).
    let old = Server::start(&fixture.path("old-public"));
    let run = sync(&fixture, &old);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("older than the copy's 2"),
        "{}",
        run.stderr
    );
    let run = fixture.run(&[
        "mirror",
        "sync",
        &old.url,
        "copy",
        "--key",
        "keys/site.pub",
        "--allow-older",
    ]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let (status, report, stderr) = verify(&fixture, "copy", &["--origin", &old.url]);
    assert_eq!(
        (status, &report["generation"]),
        (0, &serde_json::json!(1)),
        "{stderr}"
    );
}

#[test]
fn a_signed_manifest_naming_a_path_outside_the_site_writes_nothing() {
    let fixture = signed();
    // The key holder's manifest (or a bug) names `../escaped.txt`: sync must not follow it.
    let origin = fixture.path("evil");
    std::fs::create_dir_all(origin.join(".well-known/kaifang/parts")).unwrap();
    std::fs::write(fixture.path("escaped.txt"), "x").unwrap();
    let entry = mirror::manifest::FileEntry {
        path: "../escaped.txt".into(),
        size: 1,
        sha256: mirror::manifest::hex(&sha2::Sha256::digest(b"y")),
    };
    let (bytes, reference) = mirror::manifest::Part::make(vec![entry]);
    std::fs::write(origin.join(reference.path()), &bytes).unwrap();
    let top = mirror::manifest::Manifest {
        kaifang_manifest: mirror::manifest::FORMAT,
        generation: 5,
        source_commit: None,
        built: "2025-01-01".into(),
        files: 1,
        bytes: 1,
        parts: vec![reference],
        removed: vec![],
    };
    let signer = mirror::signing::Signer::load(&fixture.path("keys/site.key")).unwrap();
    let signature = signer.sign(&top.to_bytes(), "evil").unwrap();
    std::fs::write(
        origin.join(".well-known/kaifang/manifest.json"),
        top.to_bytes(),
    )
    .unwrap();
    std::fs::write(
        origin.join(".well-known/kaifang/manifest.json.minisig"),
        signature,
    )
    .unwrap();
    let server = Server::start(&origin);
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("outside the site"), "{}", run.stderr);
    assert_eq!(fixture.read("escaped.txt"), "x");
    let (status, _, stderr) = verify(&fixture, &server.url, &[]);
    assert_eq!(status, 2);
    assert!(stderr.contains("../escaped.txt"), "{stderr}");
}

#[test]
fn a_sync_killed_halfway_converges_when_run_again() {
    let fixture = signed();
    let server = Server::start(&fixture.path("public"));
    server.delay_ms.store(15, Ordering::SeqCst);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kaifang"))
        .args([
            "mirror",
            "sync",
            &server.url,
            "copy",
            "--key",
            "keys/site.pub",
        ])
        .current_dir(fixture.path(""))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while server.served.load(Ordering::SeqCst) < 20 {
        assert!(
            started.elapsed().as_secs() < 60,
            "the sync never started downloading"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs.
    child.wait().unwrap();
    assert!(
        fixture.path(".copy.kaifang-sync").exists(),
        "killed mid-download"
    );

    server.delay_ms.store(0, Ordering::SeqCst);
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let (status, report, stderr) = verify(&fixture, "copy", &["--origin", &server.url]);
    assert_eq!(status, 0, "{report} {stderr}");
    assert!(!fixture.path(".copy.kaifang-sync").exists());
}

#[test]
fn sync_check_repairs_a_file_changed_in_place_and_one_sync_runs_at_a_time() {
    let fixture = signed();
    let server = Server::start(&fixture.path("public"));
    assert_eq!(sync(&fixture, &server).status, 0);
    // Same size, other bytes: a plain sync trusts it (as rsync trusts size and mtime) ...
    let page = fixture.path("copy/index.html");
    let size = std::fs::metadata(&page).unwrap().len() as usize;
    std::fs::write(&page, "x".repeat(size)).unwrap();
    assert_eq!(sync(&fixture, &server).status, 0);
    let (status, report, _) = verify(&fixture, "copy", &[]);
    assert_eq!(
        (status, names(&report, "changed")),
        (1, vec!["index.html".to_string()])
    );
    // ... and --check hashes every file and fetches it again.
    let run = fixture.run(&[
        "mirror",
        "sync",
        &server.url,
        "copy",
        "--key",
        "keys/site.pub",
        "--check",
    ]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(": 1 file(s) downloaded"),
        "{}",
        run.stdout
    );
    let (status, report, stderr) = verify(&fixture, "copy", &[]);
    assert_eq!(status, 0, "{report} {stderr}");

    // While another sync holds the copy's lock, a second one stops.
    let lock = std::fs::File::create(fixture.path(".copy.kaifang-sync.lock")).unwrap();
    lock.try_lock().unwrap();
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("another sync"), "{}", run.stderr);
    drop(lock);
    assert_eq!(sync(&fixture, &server).status, 0);
}

#[test]
fn a_broken_off_download_continues_from_where_it_stopped() {
    let fixture = signed();
    let server = Server::start(&fixture.path("public"));
    // A download of the home page broke off halfway: its first half waits in the staging
    // folder under the name sync gives it.
    let (size, sha256) = listed(&fixture)["index.html"].clone();
    let bytes = std::fs::read(fixture.path("public/index.html")).unwrap();
    let staging = fixture.path(".copy.kaifang-sync");
    std::fs::create_dir_all(&staging).unwrap();
    let half = size as usize / 2;
    std::fs::write(staging.join(format!("{sha256}.partial")), &bytes[..half]).unwrap();
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(server.ranges.load(Ordering::SeqCst), 1, "one range request");
    let (status, report, stderr) = verify(&fixture, "copy", &[]);
    assert_eq!(status, 0, "{report} {stderr}");

    // A partial file that is not a prefix of the right bytes fails its hash, and the next
    // sync fetches the whole file.
    let fixture = signed();
    let server = Server::start(&fixture.path("public"));
    let (size, sha256) = listed(&fixture)["index.html"].clone();
    let staging = fixture.path(".copy.kaifang-sync");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(
        staging.join(format!("{sha256}.partial")),
        "x".repeat(size as usize / 2),
    )
    .unwrap();
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("index.html"), "{}", run.stderr);
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let (status, report, stderr) = verify(&fixture, "copy", &[]);
    assert_eq!(status, 0, "{report} {stderr}");
}

/// 第二十二条 reaches mirrors: a takedown published at the origin is gone from a synced copy,
/// from every file, though the manifest never names the dataset.
#[test]
fn a_takedown_at_the_origin_leaves_a_synced_copy_without_the_dataset() {
    let fixture = signed();
    let publish = || {
        let run = fixture.run(&["publish", "--releases", "rel"]);
        assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    };
    publish();
    let server = Server::start(&fixture.path("rel/current"));
    assert_eq!(sync(&fixture, &server).status, 0);
    assert!(fixture.path("copy/datasets/bus-stops/index.html").exists());

    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, format!("{text}status: suspended\n")).unwrap();
    publish();
    let (status, report, _) = verify(&fixture, "copy", &["--origin", &server.url]);
    assert_eq!(status, 1, "{report}");
    assert!(names(&report, "stale").contains(&"datasets/bus-stops/index.html".to_string()));

    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(!fixture.path("copy/datasets/bus-stops").exists());
    common::assert_nothing_mentions(&fixture.path("copy"), &["bus-stops", "公交站点"]);
    let (status, report, stderr) = verify(&fixture, "copy", &["--origin", &server.url]);
    assert_eq!(status, 0, "{report} {stderr}");
}

#[test]
fn a_sync_with_nothing_new_fetches_only_the_manifest_and_its_signature() {
    let fixture = signed();
    let server = Server::start(&fixture.path("public"));
    assert_eq!(sync(&fixture, &server).status, 0);
    let parts = manifest(&fixture)["parts"].as_array().unwrap().len();
    assert!(server.manifest_requests.load(Ordering::SeqCst) >= 2 + parts);
    server.manifest_requests.store(0, Ordering::SeqCst);
    server.served.store(0, Ordering::SeqCst);
    let run = sync(&fixture, &server);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(": 0 file(s) downloaded"),
        "{}",
        run.stdout
    );
    // Parts are named by their hashes: the copy's own are used, none is fetched again.
    assert_eq!(server.manifest_requests.load(Ordering::SeqCst), 2);
    assert_eq!(server.served.load(Ordering::SeqCst), 0);
}
