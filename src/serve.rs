//! `kaifang serve`: build, serve the output on 127.0.0.1, rebuild when content changes, and
//! reload the browser. Build errors show in the page as well as in the terminal.
//!
//! The reload script is added to HTML responses as they are served; built files stay as they
//! would be published.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_mini::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
use tiny_http::{Header, Response, Server};

use crate::{EXIT_FAILED, EXIT_OK, SiteArgs, run_build};

/// What the browser polls: a generation counter and the last build's problems.
#[derive(Default)]
struct State {
    generation: u64,
    problems: String,
}

const RELOAD_SCRIPT: &str = r#"<script>
(function () {
  var seen = null;
  function show(problems) {
    var box = document.getElementById("kaifang-problems");
    if (!problems) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "kaifang-problems";
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;margin:0;padding:1rem;background:#2b0d0d;color:#ffd7d7;font:13px/1.5 monospace;z-index:99;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = problems;
  }
  function poll() {
    fetch("/__kaifang/status", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (seen !== null && s.generation !== seen) { location.reload(); return; }
      seen = s.generation; show(s.problems);
    }).catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
</script>"#;

/// Runs the development server until interrupted.
pub fn run(config: PathBuf, content: PathBuf, out: PathBuf, port: u16) -> u8 {
    let site = SiteArgs {
        config: config.clone(),
        content: content.clone(),
    };
    let state = Arc::new(Mutex::new(State::default()));
    rebuild(&site, &out, &state);

    let server = match Server::http(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {err}");
            return EXIT_FAILED;
        }
    };
    println!(
        "serving {} at http://127.0.0.1:{port}/ (Ctrl-C to stop)",
        out.display()
    );

    let (tx, rx) = std::sync::mpsc::channel::<DebounceEventResult>();
    let mut debouncer = match new_debouncer(Duration::from_millis(250), tx) {
        Ok(d) => d,
        Err(err) => {
            eprintln!("error: cannot watch for changes: {err}");
            return EXIT_FAILED;
        }
    };
    for path in [&content, &config] {
        if let Err(err) = debouncer.watcher().watch(path, RecursiveMode::Recursive) {
            eprintln!("warning: cannot watch {}: {err}", path.display());
        }
    }
    let watch_state = Arc::clone(&state);
    let watch_out = out.clone();
    std::thread::spawn(move || {
        // The watcher also reports files being read (the build itself reads every record),
        // so a rebuild happens only when a file's name, size or modification time changed.
        let mut seen = fingerprint(&[&site.content, &site.config]);
        for result in rx {
            if result.is_ok() {
                let now = fingerprint(&[&site.content, &site.config]);
                if now != seen {
                    seen = now;
                    rebuild(&site, &watch_out, &watch_state);
                }
            }
        }
    });

    for request in server.incoming_requests() {
        let response = respond(request.url(), &out, &state);
        let _ = request.respond(response);
    }
    EXIT_OK
}

/// Every file under `roots` with its size and modification time, sorted.
fn fingerprint(roots: &[&Path]) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut files: Vec<_> = roots
        .iter()
        .flat_map(|root| {
            walkdir::WalkDir::new(root)
                .into_iter()
                .filter_map(|e| e.ok())
        })
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            Some((entry.into_path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

fn rebuild(site: &SiteArgs, out: &Path, state: &Mutex<State>) {
    let outcome = run_build(site, out, false, false);
    if let Ok(mut s) = state.lock() {
        s.generation += 1;
        s.problems = outcome.problems;
    }
}

fn respond(url: &str, root: &Path, state: &Mutex<State>) -> tiny_http::ResponseBox {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == "/__kaifang/status" {
        let (generation, problems) = state
            .lock()
            .map(|s| (s.generation, s.problems.clone()))
            .unwrap_or_default();
        let body =
            serde_json::json!({ "generation": generation, "problems": problems }).to_string();
        return Response::from_string(body)
            .with_header(header("Content-Type", "application/json"))
            .boxed();
    }
    let Some(file) = resolve(root, path) else {
        return not_found(root);
    };
    // Site paths' media types are the deploy's: the CKAN API's extensionless files are JSON.
    let site_path = file.strip_prefix(root).unwrap_or(&file).to_string_lossy();
    let content_type = bucket::content_type(&site_path.replace('\\', "/"));
    match std::fs::read(&file) {
        Ok(mut bytes) => {
            if content_type.starts_with("text/html") {
                inject(&mut bytes);
            }
            Response::from_data(bytes)
                .with_header(header("Content-Type", content_type))
                .boxed()
        }
        Err(_) => not_found(root),
    }
}

/// Maps a URL path onto a file under `root`; `None` for anything outside it or missing.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let mut file = root.to_path_buf();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode(segment)?;
        // A decoded segment is one name: no separators, no parent, no hidden files.
        if segment == ".."
            || segment.contains(['/', '\\', '\0'])
            || segment.starts_with('.') && segment != "." && segment != ".well-known"
        {
            return None;
        }
        if segment != "." {
            file.push(segment);
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    // Whatever the path said, the file must be inside the output folder.
    let canonical = std::fs::canonicalize(&file).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    (canonical.starts_with(&root) && canonical.is_file()).then_some(canonical)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn not_found(root: &Path) -> tiny_http::ResponseBox {
    let mut body =
        std::fs::read(root.join("404.html")).unwrap_or_else(|_| b"404 Not Found".to_vec());
    inject(&mut body);
    Response::from_data(body)
        .with_status_code(404)
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
        .boxed()
}

fn inject(html: &mut Vec<u8>) {
    let marker = b"</body>";
    let at = html
        .windows(marker.len())
        .rposition(|w| w == marker)
        .unwrap_or(html.len());
    html.splice(at..at, RELOAD_SCRIPT.bytes());
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .expect("header names and values here are static ASCII")
}
