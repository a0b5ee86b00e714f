//! `kaifang serve` on 127.0.0.1: pages, 404s, the status endpoint, and a rebuild on change.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Fixture;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.0 GET; returns (status, body).
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

fn wait_for(deadline: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Starts `kaifang serve` in the fixture on a free port and waits until it answers.
fn serve(fixture: &Fixture) -> (Server, u16) {
    let port = free_port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_kaifang"))
            .args(["serve", "--port", &port.to_string()])
            .current_dir(fixture.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(
        wait_for(Duration::from_secs(30), || get(port, "/").is_some()),
        "server did not start"
    );
    (server, port)
}

#[test]
fn serve_builds_serves_and_rebuilds_on_change() {
    let fixture = Fixture::new("basic");
    let (_server, port) = serve(&fixture);

    let (status, body) = get(port, "/datasets/bus-stops/").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("公交站点") && body.contains("/__kaifang/status"));
    let (status, body) = get(port, "/datasets/secret-roster/").unwrap();
    assert_eq!(status, 404);
    assert!(body.contains("页面不存在"));
    let (status, _) = get(port, "/../site.toml").unwrap();
    assert_eq!(status, 404);

    let generation = |port| {
        let (_, body) = get(port, "/__kaifang/status").unwrap();
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let first = generation(port)["generation"].as_u64().unwrap();

    // A broken record: the site keeps serving, and the error reaches the browser.
    fixture.record("broken.yaml", "title: 坏\nsummary: \"未闭合\n");
    assert!(
        wait_for(Duration::from_secs(30), || generation(port)["problems"]
            .as_str()
            .unwrap_or("")
            .contains("broken.yaml:2")),
        "the build error did not reach the status endpoint"
    );
    assert!(generation(port)["generation"].as_u64().unwrap() > first);
    assert_eq!(get(port, "/datasets/bus-stops/").unwrap().0, 200);

    // A new valid record appears after the rebuild.
    fixture.record(
        "new-stops.yaml",
        "title: 新站点\nsummary: 新增\ndomain: 交通运输\nopen_type: 无条件开放\nupdate_frequency: 每月\nreviews:\n  security: { date: 2024-01-01 }\n",
    );
    assert!(wait_for(Duration::from_secs(30), || get(
        port,
        "/datasets/new-stops/"
    )
    .is_some_and(|(s, _)| s == 200)));
}

#[test]
fn serve_never_leaves_the_output_folder() {
    let fixture = Fixture::new("basic");
    let (_server, port) = serve(&fixture);
    // A link planted inside the output must not lead out of it.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            fixture.path("site.toml"),
            fixture.path("public/planted.txt"),
        )
        .unwrap();
        assert_eq!(get(port, "/planted.txt").unwrap().0, 404);
    }
    for path in [
        "/%2Fetc%2Fpasswd",
        "/assets%2F..%2F..%2Fsite.toml",
        "/..%2Fsite.toml",
        "/%2e%2e/site.toml",
        "/assets/..%5c..%5csite.toml",
        "/../content/departments/nn-transport/secret-roster.yaml",
    ] {
        let (status, body) = get(port, path).unwrap();
        assert_eq!(status, 404, "{path} was served");
        assert!(
            !body.contains("root:") && !body.contains("secret"),
            "{path} leaked"
        );
    }
}
