//! `kaifang bench-daemon`: from one record changing in a drop folder to the new release being
//! live, measured against the real daemon process.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{EXIT_FAILED, EXIT_OK};

/// Runs the benchmark for each catalog size.
pub fn run(sizes: &[usize], dir: &Path, edits: usize) -> u8 {
    for &n in sizes {
        match one_size(n, dir, edits) {
            Ok(()) => {}
            Err(err) => {
                eprintln!("error: {err}");
                return EXIT_FAILED;
            }
        }
    }
    EXIT_OK
}

fn status(port: u16) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET /status HTTP/1.0\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

fn wait_live(port: u16, release: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let needle = format!("\"live\": \"{release}\"");
    while started.elapsed() < limit {
        if status(port).is_some_and(|s| s.contains(&needle)) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1e3)
        .unwrap_or(f64::NAN)
}

fn one_size(n: usize, dir: &Path, edits: usize) -> Result<(), String> {
    let root = dir.join(format!("daemon-n{n}"));
    let _ = std::fs::remove_dir_all(&root);
    generator::synthetic::write_catalog(&root, n).map_err(|e| e.to_string())?;
    // The departments arrive through drop folders; the content folder keeps the pages.
    std::fs::rename(root.join("content/departments"), root.join("drops"))
        .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(root.join("content/departments")).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut config = std::fs::read_to_string(root.join("site.toml")).map_err(|e| e.to_string())?;
    config.push_str(&format!(
        "\n[daemon]\ndrops = \"drops\"\nreleases = \"rel\"\nsettle_ms = 50\npoll_secs = 600\nstatus_port = {port}\n"
    ));
    std::fs::write(root.join("site.toml"), config).map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("daemon")
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let result = measure(&root, port, edits, child.id());
    let _ = child.kill();
    let _ = child.wait();
    let (first, latencies, takedown, peak) = result?;
    let mut sorted = latencies.clone();
    sorted.sort();
    let pick = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{n} records: first publish {:.2} s; one-record edit to live: p50 {:.0} ms, p95 {:.0} ms ({} edits); takedown to live {:.0} ms; daemon peak RSS {:.0} MB",
        first.as_secs_f64(),
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        latencies.len(),
        takedown.as_secs_f64() * 1e3,
        peak
    );
    Ok(())
}

type Figures = (Duration, Vec<Duration>, Duration, f64);

fn measure(root: &Path, port: u16, edits: usize, pid: u32) -> Result<Figures, String> {
    let first = wait_live(port, "r000001", Duration::from_secs(600))
        .ok_or("the daemon did not publish its first release")?;
    let record: PathBuf = walkdir::WalkDir::new(root.join("drops"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("ds-000001"))
        .map(|e| e.into_path())
        .ok_or("no record to edit")?;
    let original = std::fs::read_to_string(&record).map_err(|e| e.to_string())?;
    let mut latencies = Vec::new();
    for i in 0..edits {
        let text = original.replacen("title: ", &format!("title: 第{i}次修订"), 1);
        let started = Instant::now();
        std::fs::write(&record, text).map_err(|e| e.to_string())?;
        wait_live(port, &format!("r{:06}", i + 2), Duration::from_secs(600))
            .ok_or("an edit was not published")?;
        latencies.push(started.elapsed());
    }
    let started = Instant::now();
    std::fs::write(&record, format!("{original}status: suspended\n")).map_err(|e| e.to_string())?;
    wait_live(
        port,
        &format!("r{:06}", edits + 2),
        Duration::from_secs(600),
    )
    .ok_or("the takedown was not published")?;
    Ok((first, latencies, started.elapsed(), rss_mb(pid)))
}
