//! `kaifang bench-daemon`: from one record changing in a drop folder to the new release being
//! live, measured against the real daemon process.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{EXIT_FAILED, EXIT_OK};

/// Runs the benchmark for each catalog size; with `hugo`, also times `hugo server` on a site
/// of the same records for sizes up to `hugo_max`.
pub fn run(sizes: &[usize], dir: &Path, edits: usize, hugo: Option<&Path>, hugo_max: usize) -> u8 {
    for &n in sizes {
        let result = one_size(n, dir, edits).and_then(|()| match hugo {
            Some(bin) if n <= hugo_max => hugo_size(n, dir, edits, bin),
            _ => Ok(()),
        });
        if let Err(err) = result {
            eprintln!("error: {err}");
            return EXIT_FAILED;
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

/// The allocator settings the shipped systemd unit (`deploy/kaifang-daemon.service`) gives
/// the daemon, which it runs with here too: no transparent huge pages, and freed memory
/// given back after 100 ms rather than a second. At 20,000 records (two runs each) the peak
/// was 386–391 MB against 416–417 MB, edits and takedowns as fast; giving it back at once (0 ms)
/// made it 373 MB but takedowns about 25 % slower.
const UNIT_ENVIRONMENT: [(&str, &str); 2] =
    [("MIMALLOC_ALLOW_THP", "0"), ("MIMALLOC_PURGE_DELAY", "100")];

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
    let log = std::fs::File::create(root.join("daemon.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("daemon")
        .envs(UNIT_ENVIRONMENT)
        .current_dir(&root)
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let result = measure(&root, port, edits, child.id());
    let _ = child.kill();
    let _ = child.wait();
    let Figures {
        first,
        warmup,
        latencies,
        takedowns: [takedown, second_takedown],
        burst,
        peak_rss_mb: peak,
    } = result?;
    if !warmup.is_empty() {
        let secs: Vec<String> = warmup
            .iter()
            .map(|d| format!("{:.1}", d.as_secs_f64()))
            .collect();
        println!(
            "{n} records: {} edit(s) before an old release could be reused (every file linked): {} s",
            warmup.len(),
            secs.join(", ")
        );
    }
    let mut sorted = latencies.clone();
    sorted.sort();
    let pick = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{n} records: first publish {:.2} s; one-record edit to live: p50 {:.0} ms, p95 {:.0} ms ({} edits); takedown to live {:.0} ms, a second one right after {:.0} ms; daemon peak RSS {:.0} MB",
        first.as_secs_f64(),
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        latencies.len(),
        takedown.as_secs_f64() * 1e3,
        second_takedown.as_secs_f64() * 1e3,
        peak
    );
    println!(
        "{n} records: burst of {} files rewritten in {} department folders: {} publish(es), live {:.2} s after the last write",
        burst.files,
        burst.departments,
        burst.publishes,
        burst.settled.as_secs_f64()
    );
    Ok(())
}

/// What a burst of writes led to.
struct Burst {
    files: usize,
    departments: usize,
    publishes: usize,
    settled: Duration,
}

/// What one run measured.
struct Figures {
    /// From start to the first release live.
    first: Duration,
    /// Edits before an old release folder could be reused.
    warmup: Vec<Duration>,
    /// Edits to live, timed.
    latencies: Vec<Duration>,
    /// A takedown to live, then a second one made as soon as the first is live.
    takedowns: [Duration; 2],
    burst: Burst,
    peak_rss_mb: f64,
}

fn live_release(port: u16) -> Option<u64> {
    let text = status(port)?;
    let at = text.find("\"live\": \"r")? + "\"live\": \"r".len();
    text.get(at..at + 6)?.parse().ok()
}

/// Rewrites whole department folders, 10,000 files or the whole catalog, then waits until
/// every rewritten record is live: the last one written shows its new title and no file is
/// left unsettled.
fn burst(root: &Path, port: u16) -> Result<Burst, String> {
    let before = live_release(port).ok_or("no live release")?;
    let mut departments: Vec<PathBuf> = std::fs::read_dir(root.join("drops"))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    departments.sort();
    let (mut files, mut touched) = (0, 0);
    let mut last = None;
    for dept in departments {
        if files >= 10_000 {
            break;
        }
        touched += 1;
        let mut records: Vec<PathBuf> = std::fs::read_dir(&dept)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        records.sort();
        for record in records {
            let text = std::fs::read_to_string(&record).map_err(|e| e.to_string())?;
            let text = if record.ends_with("department.yaml") {
                text
            } else {
                text.replacen("title: ", "title: 批量", 1)
            };
            std::fs::write(&record, text).map_err(|e| e.to_string())?;
            files += 1;
            if !record.ends_with("department.yaml") {
                last = record.file_stem().map(|s| s.to_string_lossy().into_owned());
            }
        }
    }
    let last_write = Instant::now();
    let last_page = root
        .join("rel/current/datasets")
        .join(last.ok_or("no record rewritten")?)
        .join("index.html");
    let mut last_change = Instant::now();
    let mut current = before;
    loop {
        if last_write.elapsed() > Duration::from_secs(900) {
            return Err("the burst did not settle".into());
        }
        std::thread::sleep(Duration::from_millis(20));
        if let Some(now) = live_release(port)
            && now != current
        {
            current = now;
            last_change = Instant::now();
        }
        // The status names the files a cycle left unsettled once that cycle ends.
        if current != before
            && std::fs::read_to_string(&last_page).is_ok_and(|p| p.contains("批量"))
            && status(port).is_some_and(|s| !s.contains("\"unsettled\""))
        {
            break;
        }
    }
    Ok(Burst {
        files,
        departments: touched,
        publishes: (current - before) as usize,
        settled: last_change.duration_since(last_write),
    })
}

fn measure(root: &Path, port: u16, edits: usize, pid: u32) -> Result<Figures, String> {
    let first = wait_live(port, "r000001", Duration::from_secs(600))
        .ok_or("the daemon did not publish its first release")?;
    let find = |prefix: &str| -> Result<PathBuf, String> {
        walkdir::WalkDir::new(root.join("drops"))
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .map(|e| e.into_path())
            .ok_or_else(|| format!("no record {prefix}"))
    };
    let record = find("ds-000001")?;
    let original = std::fs::read_to_string(&record).map_err(|e| e.to_string())?;
    // Until `keep` releases exist, each new one links every file of the live one; after that
    // the oldest is reused. Those first edits are timed apart.
    let mut release = 1;
    let mut warmup = Vec::new();
    let edit = |i: usize, release: &mut u64| -> Result<(Duration, bool), String> {
        let text = original.replacen("title: ", &format!("title: 第{i}次修订"), 1);
        let started = Instant::now();
        std::fs::write(&record, text).map_err(|e| e.to_string())?;
        *release += 1;
        wait_live(port, &format!("r{:06}", release), Duration::from_secs(900))
            .ok_or("an edit was not published")?;
        let reused = status(port).is_some_and(|s| s.contains("\"reused_folder\": true"));
        Ok((started.elapsed(), reused))
    };
    let mut i = 0;
    let mut latencies = Vec::new();
    loop {
        let (took, reused) = edit(i, &mut release)?;
        i += 1;
        if reused {
            // The first edit that reuses a folder counts as the first timed one.
            latencies.push(took);
            break;
        }
        warmup.push(took);
        if i > 10 {
            break;
        }
    }
    while latencies.len() < edits {
        latencies.push(edit(i, &mut release)?.0);
        i += 1;
    }
    // Live when the dataset's page is gone from the live release (a takedown may be followed
    // by a publish of the listing pages it shifted, or of a page found naming it).
    let suspend = |record: &Path| -> Result<Duration, String> {
        let text = std::fs::read_to_string(record).map_err(|e| e.to_string())?;
        let id = record.file_stem().ok_or("no record name")?;
        let page = root
            .join("rel/current/datasets")
            .join(id)
            .join("index.html");
        let started = Instant::now();
        std::fs::write(record, format!("{text}status: suspended\n")).map_err(|e| e.to_string())?;
        while page.exists() {
            if started.elapsed() > Duration::from_secs(900) {
                return Err("the takedown was not published".into());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(started.elapsed())
    };
    let takedown = suspend(&record)?;
    // At once: the files the first takedown's build skipped are still being audited.
    let second_takedown = suspend(&find("ds-000002")?)?;
    let burst = burst(root, port)?;
    Ok(Figures {
        first,
        warmup,
        latencies,
        takedowns: [takedown, second_takedown],
        burst,
        peak_rss_mb: rss_mb(pid),
    })
}

/// A Hugo site of the same records (pages per record, a paginated list per department and
/// for the whole catalog, keyword taxonomy), served by `hugo server`; an edit is live when
/// the server's page shows it.
fn hugo_size(n: usize, dir: &Path, edits: usize, bin: &Path) -> Result<(), String> {
    let drops = dir.join(format!("daemon-n{n}/drops"));
    let site = dir.join(format!("hugo-n{n}"));
    let _ = std::fs::remove_dir_all(&site);
    let write = |path: PathBuf, text: &str| -> Result<(), String> {
        std::fs::create_dir_all(path.parent().unwrap_or(&site)).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| e.to_string())
    };
    write(
        site.join("hugo.toml"),
        "baseURL = \"http://127.0.0.1/\"\ntitle = \"开放数据\"\n[pagination]\npagerSize = 20\npaginate = 20\n[taxonomies]\nkeyword = \"keywords\"\n",
    )?;
    write(
        site.join("layouts/_default/baseof.html"),
        "<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ block \"main\" . }}{{ end }}</body></html>\n",
    )?;
    write(
        site.join("layouts/_default/single.html"),
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ .Content }}<p>{{ .Params.domain }} {{ .Params.modified }}</p><ul>{{ range .Params.fields }}<li>{{ .name }}</li>{{ end }}</ul>{{ range .Params.keywords }}<a href=\"/keywords/{{ . | urlize }}/\">{{ . }}</a>{{ end }}{{ end }}\n",
    )?;
    write(
        site.join("layouts/_default/list.html"),
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ $p := .Paginate .Pages }}<ul>{{ range $p.Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a> {{ .Params.domain }}</li>{{ end }}</ul>{{ end }}\n",
    )?;
    let mut target = None;
    for entry in walkdir::WalkDir::new(&drops)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("ds-") || !name.ends_with(".yaml") {
            continue;
        }
        let dept = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let record = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let page = site.join(format!(
            "content/{dept}/{}.md",
            name.trim_end_matches(".yaml")
        ));
        write(page.clone(), &format!("---\n{record}---\n数据集说明。\n"))?;
        if target.is_none() {
            target = Some((
                page,
                format!("/{dept}/{}/", name.trim_end_matches(".yaml")),
                record,
            ));
        }
    }
    let (page, url, record) = target.ok_or("no records for Hugo")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["server", "--port", &port.to_string(), "--bind", "127.0.0.1"])
        // Every page a change touches is rendered again, as the daemon does (Hugo's default
        // fast-render mode re-renders only pages a browser has open).
        .args(["--disableLiveReload", "--disableFastRender", "--watch"])
        .current_dir(&site)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let fetch = |marker: &str| -> bool {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = write!(stream, "GET {url} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text.contains(marker)
    };
    let pid = child.id();
    let mut wait = |marker: &str| -> Option<Duration> {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(900) {
            if fetch(marker) {
                return Some(t.elapsed());
            }
            if child.try_wait().ok().flatten().is_some() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    };
    let result = (|| {
        wait("<h1>").ok_or("hugo server did not start")?;
        let first = started.elapsed();
        let mut latencies = Vec::new();
        for i in 0..edits {
            let marker = format!("第{i}次修订");
            let text = record.replacen("title: ", &format!("title: {marker}"), 1);
            let t = Instant::now();
            std::fs::write(&page, format!("---\n{text}---\n数据集说明。\n"))
                .map_err(|e| e.to_string())?;
            wait(&marker).ok_or("hugo did not show an edit")?;
            latencies.push(t.elapsed());
        }
        Ok::<_, String>((first, latencies, rss_mb(pid)))
    })();
    let _ = child.kill();
    let _ = child.wait();
    let (first, mut latencies, peak) = result?;
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{n} records, hugo server ({}): first serve {:.2} s; one-page edit to served: p50 {:.0} ms, p95 {:.0} ms ({} edits); peak RSS {:.0} MB",
        bin.display(),
        first.as_secs_f64(),
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        latencies.len(),
        peak
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_daemon_is_timed_as_the_shipped_unit_runs_it() {
        let unit = include_str!("../deploy/kaifang-daemon.service");
        for (name, value) in super::UNIT_ENVIRONMENT {
            assert!(
                unit.contains(&format!("\nEnvironment={name}={value}\n")),
                "{name}"
            );
        }
    }
}
