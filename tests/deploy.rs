//! `kaifang deploy` against a real S3-compatible server: s3s-fs, started by the test on
//! 127.0.0.1 with a temporary folder as its storage (`.ci/run` installs it with
//! `cargo install s3s-fs`). The bucket is read back through the S3 API with object_store.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::Fixture;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, GetOptions, ObjectStore, ObjectStoreExt};

const KEY_ID: &str = "kaifang-test";
const SECRET: &str = "kaifang-test-secret";
const BUCKET: &str = "portal";
const PREFIX: &str = "site";

/// An s3s-fs server on 127.0.0.1, stopped when dropped.
struct S3 {
    child: Child,
    port: u16,
    storage: tempfile::TempDir,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the s3s-fs binary is: `S3S_FS`, else `s3s-fs` in cargo's bin folder, else on PATH.
fn s3s_fs() -> PathBuf {
    if let Some(path) = std::env::var_os("S3S_FS") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    home.map(|h| h.join("bin/s3s-fs"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("s3s-fs"))
}

impl S3 {
    fn start() -> S3 {
        let storage = tempfile::tempdir().unwrap();
        std::fs::create_dir(storage.path().join(BUCKET)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET])
            .arg(storage.path())
            .spawn()
            .expect(
                "s3s-fs runs (install it with `cargo install s3s-fs@0.14.1 --locked --features \
                 binary`, as .ci/run does)",
            );
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        S3 {
            child,
            port,
            storage,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `kaifang deploy` of the fixture's `public/` into the bucket.
    fn deploy(&self, fixture: &Fixture) -> common::Run {
        let output = Command::new(env!("CARGO_BIN_EXE_kaifang"))
            .args(["deploy", "--site", "public", "--bucket", BUCKET])
            .args(["--prefix", PREFIX, "--endpoint", &self.endpoint()])
            .current_dir(fixture.dir.path())
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .output()
            .expect("run kaifang deploy");
        common::Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The bucket through the S3 API.
    fn store(&self) -> impl ObjectStore {
        AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_region("us-east-1")
            .with_bucket_name(BUCKET)
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .build()
            .unwrap()
    }

    /// Every object under the prefix: site path → bytes.
    fn objects(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        let store = self.store();
        runtime().block_on(async {
            use futures::TryStreamExt;
            let listed: Vec<_> = store
                .list(Some(&ObjectPath::parse(PREFIX).unwrap()))
                .try_collect()
                .await
                .unwrap();
            let mut objects = std::collections::BTreeMap::new();
            for meta in listed {
                let bytes = store
                    .get(&meta.location)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                let path = meta.location.as_ref()[PREFIX.len() + 1..].to_string();
                objects.insert(path, bytes.to_vec());
            }
            objects
        })
    }

    /// The Content-Type and Cache-Control the server answers for an object.
    fn headers(&self, path: &str) -> (String, String) {
        let store = self.store();
        let key = ObjectPath::parse(format!("{PREFIX}/{path}")).unwrap();
        let head = runtime()
            .block_on(store.get_opts(
                &key,
                GetOptions {
                    head: true,
                    ..GetOptions::default()
                },
            ))
            .unwrap();
        let get = |a: &Attribute| {
            head.attributes
                .get(a)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        (get(&Attribute::ContentType), get(&Attribute::CacheControl))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every site file (without the build's marker): path → bytes.
fn site_files(fixture: &Fixture) -> std::collections::BTreeMap<String, Vec<u8>> {
    let root = fixture.path("public");
    common::files(&root)
        .into_iter()
        .filter(|p| p != ".kaifang-output")
        .map(|p| {
            let bytes = std::fs::read(root.join(&p)).unwrap();
            (p, bytes)
        })
        .collect()
}

/// The count before `label` in the deploy's summary line (`12 objects uploaded`).
fn count(run: &common::Run, label: &str) -> usize {
    let before = run
        .stdout
        .split(label)
        .next()
        .unwrap_or_else(|| panic!("no `{label}` in {}", run.stdout));
    before
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before `{label}` in {}", run.stdout))
}

fn build(fixture: &Fixture) {
    let run = fixture.build();
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn deploy_uploads_the_site_then_only_what_changed_and_deletes_what_went() {
    let s3 = S3::start();
    let fixture = Fixture::new("basic");
    build(&fixture);

    // First deploy: the bucket becomes the site, byte for byte.
    let first = s3.deploy(&fixture);
    assert_eq!(first.status, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(s3.objects(), site_files(&fixture));
    assert_eq!(
        s3.headers("datasets/bus-stops/index.html"),
        (
            "text/html; charset=utf-8".to_string(),
            "public, max-age=300".to_string()
        )
    );
    assert_eq!(
        s3.headers("api/3/action/package_list").0,
        "application/json"
    );
    assert_eq!(
        s3.headers(".well-known/kaifang/manifest.json").1,
        "no-cache"
    );
    let shard = site_files(&fixture)
        .into_keys()
        .find(|p| p.starts_with("search/d/"))
        .expect("a search shard");
    assert_eq!(s3.headers(&shard).1, "public, max-age=31536000, immutable");

    // Again with nothing changed: no site file is uploaded, nothing deleted.
    let again = s3.deploy(&fixture);
    assert_eq!(again.status, 0, "{}", again.stderr);
    let listed = site_files(&fixture)
        .into_keys()
        .filter(|p| !p.starts_with(".well-known/kaifang/"))
        .count();
    assert_eq!(count(&again, "files unchanged"), listed);
    assert_eq!(count(&again, "objects deleted"), 0);
    assert!(
        !again.stdout.contains("uploaded datasets/"),
        "{}",
        again.stdout
    );

    // One record edited, one taken away: its files go from the bucket, and only files that
    // changed are uploaded.
    let before = site_files(&fixture);
    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("公交站点", "公交站点和线路")).unwrap();
    fixture.remove("content/departments/nn-transport/taxi-fares.yaml");
    build(&fixture);
    let after = site_files(&fixture);
    let changed = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(bytes))
        .count();
    let third = s3.deploy(&fixture);
    assert_eq!(third.status, 0, "{}\n{}", third.stdout, third.stderr);
    assert_eq!(s3.objects(), after, "the bucket is the new site");
    assert_eq!(count(&third, "objects uploaded"), changed);
    assert!(count(&third, "objects deleted") > 0);
    assert!(
        third
            .stdout
            .contains("deleted datasets/taxi-fares/index.html")
    );
    // Pages go after the data they link to, the manifest last, deletions after that.
    let lines: Vec<&str> = third.stdout.lines().collect();
    let position = |needle: &str| {
        lines
            .iter()
            .position(|l| *l == needle)
            .unwrap_or_else(|| panic!("no `{needle}` in {}", third.stdout))
    };
    let manifest = position("uploaded .well-known/kaifang/manifest.json");
    let page = position("uploaded datasets/bus-stops/index.html");
    assert!(
        position("uploaded datasets/bus-stops.ttl") < page,
        "data first"
    );
    assert!(
        page < position("uploaded data.json"),
        "lists of pages after the pages"
    );
    assert!(position("uploaded data.json") < manifest);
    assert!(manifest < position("deleted datasets/taxi-fares/index.html"));
}

#[test]
fn deploy_mends_a_bucket_changed_by_hand_and_refuses_a_site_that_is_not_its_manifest() {
    let s3 = S3::start();
    let fixture = Fixture::new("basic");
    build(&fixture);
    // The folder already holds an object: a first deploy (no manifest in the bucket yet)
    // cannot know it is not someone else's, and leaves it.
    let stored = s3.storage.path().join(BUCKET).join(PREFIX);
    std::fs::create_dir_all(&stored).unwrap();
    std::fs::write(stored.join("stray.html"), "<p>not ours</p>").unwrap();
    let first = s3.deploy(&fixture);
    assert_eq!(first.status, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(
        first
            .stdout
            .contains("1 objects the site does not have were left alone")
    );
    assert!(stored.join("stray.html").exists());

    // Someone deletes a page in the bucket: the next deploy, into a bucket that is now the
    // site's, puts the page back and removes the stray.
    std::fs::remove_file(stored.join("index.html")).unwrap();
    let mended = s3.deploy(&fixture);
    assert_eq!(mended.status, 0, "{}\n{}", mended.stdout, mended.stderr);
    assert!(
        mended.stdout.contains("uploaded index.html\n"),
        "{}",
        mended.stdout
    );
    assert!(
        mended.stdout.contains("deleted stray.html"),
        "{}",
        mended.stdout
    );
    assert_eq!(s3.objects(), site_files(&fixture));

    // A new build whose page was changed afterwards is not what its manifest lists: the
    // page does not reach the bucket and the manifest stays the old one.
    let record = fixture.path("content/departments/nn-transport/bus-stops.yaml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("公交站点", "公交站点和线路")).unwrap();
    fixture.remove("content/departments/nn-transport/taxi-fares.yaml");
    build(&fixture);
    let page = fixture.path("public/datasets/bus-stops/index.html");
    std::fs::write(&page, "<script>alert(1)</script>").unwrap();
    let old_manifest = s3.objects()[".well-known/kaifang/manifest.json"].clone();
    let refused = s3.deploy(&fixture);
    assert_eq!(refused.status, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("datasets/bus-stops/index.html")
            && refused
                .stderr
                .contains("not the one the site's manifest lists"),
        "{}",
        refused.stderr
    );
    let objects = s3.objects();
    assert!(!objects["datasets/bus-stops/index.html"].starts_with(b"<script>"));
    assert_eq!(objects[".well-known/kaifang/manifest.json"], old_manifest);
    // A failed upload does not hold back deletions: a dataset gone from the site (taken
    // down) leaves the bucket all the same.
    assert!(!objects.contains_key("datasets/taxi-fares/index.html"));
    assert!(
        refused
            .stdout
            .contains("deleted datasets/taxi-fares/index.html")
    );
    // ... and the files that listed it were replaced: data.json no longer names it.
    let data = String::from_utf8(objects["data.json"].clone()).unwrap();
    assert!(!data.contains("taxi-fares"), "{data}");

    // The old manifest and its parts stayed whole, so the next deploy of a good build reads
    // the bucket and finishes the job.
    build(&fixture);
    let finished = s3.deploy(&fixture);
    assert_eq!(
        finished.status, 0,
        "{}\n{}",
        finished.stdout, finished.stderr
    );
    assert_eq!(s3.objects(), site_files(&fixture));
}
