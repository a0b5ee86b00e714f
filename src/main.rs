//! `kaifang`: the command line. Parses arguments, calls the libraries, prints reports.

mod bench_daemon;
mod bench_scan;
mod bench_search;
mod deploy;
mod mirror;
mod publish;
mod report;
mod search;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use generator::config::SiteConfig;
use generator::divisions::Divisions;

/// Rendering allocates many small strings on every core; mimalloc measured ≈ 20% of build time
/// spent in the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status: everything published.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit status: the site was built but some records were rejected.
pub(crate) const EXIT_REJECTED: u8 = 1;
/// Exit status: the build or check failed.
pub(crate) const EXIT_FAILED: u8 = 2;

#[derive(Parser)]
#[command(
    name = "kaifang",
    version,
    about = "开放: publish a public data catalog as a static portal"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct SiteArgs {
    /// Site configuration file.
    #[arg(long, default_value = "site.toml")]
    config: PathBuf,
    /// Content folder (holds departments/ and pages/).
    #[arg(long, default_value = "content")]
    content: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Build the portal: site.toml + content → output folder.
    Build {
        #[command(flatten)]
        site: SiteArgs,
        /// Output folder.
        #[arg(long, default_value = "public")]
        out: PathBuf,
        /// Print the summary as JSON (for scripts and the benchmark).
        #[arg(long)]
        json: bool,
        /// Do not print warnings, only errors.
        #[arg(long)]
        quiet: bool,
    },
    /// Validate records only; exit status is non-zero when a record has errors.
    Check {
        #[command(flatten)]
        site: SiteArgs,
        /// Output format for diagnostics.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Report only on this department's folder (repeatable). The whole catalog is still
        /// read, so ids taken by other departments are caught.
        #[arg(long = "department", value_name = "CODE")]
        departments: Vec<String>,
    },
    /// Build, serve on 127.0.0.1, rebuild on change and reload the browser.
    Serve {
        #[command(flatten)]
        site: SiteArgs,
        /// Output folder.
        #[arg(long, default_value = "public")]
        out: PathBuf,
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 8000)]
        port: u16,
    },
    /// Turn a catalog export (JSON lines or CSV with Chinese headers) into record files.
    Import {
        /// The export: *.jsonl or *.csv.
        file: PathBuf,
        /// Content folder to write into.
        #[arg(long, default_value = "content")]
        content: PathBuf,
        /// Keep only N rows, spread evenly across cities (0 = all).
        #[arg(long, default_value_t = 0)]
        sample: usize,
        /// Name of the portal the export came from, recorded in each record's review note.
        #[arg(long, default_value = "data.gxzf.gov.cn")]
        source: String,
    },
    /// Write the JSON Schemas of dataset and department records.
    Schema {
        /// Site configuration file (for the domain list).
        #[arg(long, default_value = "site.toml")]
        config: PathBuf,
        /// Folder to write dataset.schema.json and department.schema.json into.
        #[arg(long, default_value = "docs/schema")]
        out: PathBuf,
    },
    /// Build into a new release folder and make it live atomically (`<releases>/current`);
    /// keeps the newest N releases. A failed build leaves the live release as it was.
    Publish {
        #[command(flatten)]
        site: SiteArgs,
        /// Release root: holds releases/ and the `current` link a web server serves.
        #[arg(long)]
        releases: PathBuf,
        /// Releases to keep.
        #[arg(long, default_value_t = 5)]
        keep: usize,
    },
    /// Take in the department drop folders (`[daemon] drops`), keep bad or unsafe files out
    /// with a `_report.json` per department, and publish a new release when the accepted
    /// catalog changed. Scans every `[daemon] poll_secs` seconds; `--once` does one cycle.
    Daemon {
        #[command(flatten)]
        site: SiteArgs,
        /// One cycle, then exit (for cron and tests).
        #[arg(long)]
        once: bool,
    },
    /// Make the release before the live one live again, unless it shows a dataset that is
    /// withheld now (suspended, withdrawn, 不予开放, unreviewed): that never comes back.
    Rollback {
        #[command(flatten)]
        site: SiteArgs,
        /// Release root.
        #[arg(long)]
        releases: PathBuf,
    },
    /// Search a built site's index, as the browser does; print results and the bytes read.
    /// Exit status: 0 with results, 1 without, 2 when the index cannot be read.
    Search {
        /// The words to search for.
        query: String,
        /// The built site.
        #[arg(long, default_value = "public")]
        site: PathBuf,
        /// Results to print (0 = all).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Facet filter NAME=VALUE, e.g. domain=transport, city=4501, department=nn-jtysj
        /// (repeatable).
        #[arg(long = "filter", value_name = "NAME=VALUE")]
        filters: Vec<String>,
        /// Print the answer as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run the daemon on synthetic catalogs delivered through drop folders and print the time
    /// from one record changing on disk to the new release being live (p50, p95), the
    /// takedown time, and the daemon's peak memory.
    BenchDaemon {
        /// Catalog sizes.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        records: Vec<usize>,
        /// Where to put the catalogs (default: a temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// One-record edits timed per size.
        #[arg(long, default_value_t = 10)]
        edits: usize,
        /// Also time `hugo server` (this binary) on a site of the same records.
        #[arg(long)]
        hugo: Option<PathBuf>,
        /// Largest catalog to give Hugo (it holds every page in memory).
        #[arg(long, default_value_t = 50_000)]
        hugo_max: usize,
    },
    /// Time the de-sensitisation scanner on a synthetic table, beside a plain read and a
    /// SHA-256 of the same file.
    BenchScan {
        /// Size of the table in MB.
        #[arg(long, default_value_t = 512)]
        mb: usize,
        /// Rounds of each pass (the best is reported).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Where to write the table (default: a temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build the search index of synthetic catalogs and print first-query bytes, round trips,
    /// index build time and memory, index size, and files changed by a one-record edit; with
    /// --pagefind, run Pagefind on the same site and measure both engines in Chromium.
    BenchSearch {
        /// Catalog sizes.
        #[arg(long, value_delimiter = ',', default_value = "10000,50000,200000")]
        records: Vec<usize>,
        /// Where to put the synthetic catalogs (default: a temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The Pagefind binary (from the npm package `pagefind`, version 1.6.0).
        #[arg(long)]
        pagefind: Option<PathBuf>,
        /// Largest catalog to run Pagefind on.
        #[arg(long, default_value_t = 50_000)]
        pagefind_max: usize,
    },
    /// Create the key pair that signs the mirror manifest (minisign format, no password).
    Keygen {
        /// The secret key to write (keep it outside the site and the catalog).
        #[arg(long, default_value = "kaifang.key")]
        secret: PathBuf,
        /// The public key to write (for mirror operators).
        #[arg(long, default_value = "kaifang.pub")]
        public: PathBuf,
    },
    /// Upload a built site to S3-compatible object storage: only the files its manifest says
    /// changed, pages after the data they link to, the manifest last, deletions after.
    /// Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    Deploy {
        /// The built site.
        #[arg(long, default_value = "public")]
        site: PathBuf,
        /// The bucket.
        #[arg(long)]
        bucket: String,
        /// A folder in the bucket to deploy into.
        #[arg(long, default_value = "")]
        prefix: String,
        /// The service's address (e.g. https://s3.example.com); AWS when not given.
        #[arg(long, default_value = "")]
        endpoint: String,
        /// The region.
        #[arg(long, default_value = "")]
        region: String,
        /// Check the site's manifest against this public key before uploading anything.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Print only the summary, not each object.
        #[arg(long)]
        quiet: bool,
    },
    /// Check or pull a copy of the site against its signed manifest.
    Mirror {
        #[command(subcommand)]
        action: MirrorAction,
    },
    /// Generate a synthetic catalog of N records, build it, and print records/s, pages/s,
    /// MB written and peak memory.
    Bench {
        /// Catalog sizes to build.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        records: Vec<usize>,
        /// Where to put the synthetic catalogs (default: a temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Only generate the catalogs (for running other generators on the same input).
        #[arg(long)]
        generate_only: bool,
    },
}

#[derive(Subcommand)]
enum MirrorAction {
    /// Check a copy (a folder or an http(s) address) against its signed manifest: name every
    /// missing, extra or changed file, and with --origin every stale one. Exit status: 0 good,
    /// 1 not good, 2 not checkable (no manifest, bad signature).
    Verify {
        /// The copy: a folder, or the address of a site.
        copy: String,
        /// The site's minisign public key.
        #[arg(long)]
        key: PathBuf,
        /// The origin (folder or address): files it changed since the copy's generation are
        /// reported stale.
        #[arg(long)]
        origin: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pull a copy from the origin over HTTP(S): check the signature, download what changed,
    /// move it into place (data, then pages, then the manifest), delete what was removed.
    Sync {
        /// The origin's address.
        origin: String,
        /// The folder of the copy.
        dir: PathBuf,
        /// The site's minisign public key.
        #[arg(long)]
        key: PathBuf,
        /// Follow the origin to an older generation than the copy holds (after a rollback
        /// at the origin); refused otherwise, since an old signed manifest can be replayed.
        #[arg(long)]
        allow_older: bool,
        /// Hash every file of the copy, not only those whose entry changed: repairs a file
        /// changed in place (slower: reads the whole copy).
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Build {
            site,
            out,
            json,
            quiet,
        } => build(&site, &out, json, quiet),
        Command::Check {
            site,
            format,
            departments,
        } => check(&site, format, &departments),
        Command::Serve { site, out, port } => serve::run(site.config, site.content, out, port),
        Command::Import {
            file,
            content,
            sample,
            source,
        } => import(&file, &content, sample, &source),
        Command::Schema { config, out } => schema(&config, &out),
        Command::Publish {
            site,
            releases,
            keep,
        } => publish::publish(&site, &releases, keep),
        Command::Rollback { site, releases } => publish::rollback(&site, &releases),
        Command::Daemon { site, once } => publish::daemon(&site, once),
        Command::Search {
            query,
            site,
            limit,
            filters,
            json,
        } => search::run(&site, &query, &filters, limit, json),
        Command::BenchDaemon {
            records,
            dir,
            edits,
            hugo,
            hugo_max,
        } => bench_daemon::run(
            &records,
            &dir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("kaifang-bench-{}", std::process::id()))
            }),
            edits.max(1),
            hugo.as_deref(),
            hugo_max,
        ),
        Command::BenchScan { mb, rounds, dir } => {
            let dir = dir.unwrap_or_else(|| std::env::temp_dir().join("kaifang-bench-scan"));
            if let Err(err) = std::fs::create_dir_all(&dir) {
                eprintln!("error: cannot make {}: {err}", dir.display());
                return ExitCode::from(EXIT_FAILED);
            }
            bench_scan::run(mb, rounds.max(1), &dir)
        }
        Command::BenchSearch {
            records,
            dir,
            pagefind,
            pagefind_max,
        } => bench_search::run(&bench_search::Options {
            sizes: records,
            dir: dir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("kaifang-bench-{}", std::process::id()))
            }),
            pagefind,
            pagefind_max,
        }),
        Command::Bench {
            records,
            dir,
            generate_only,
        } => bench(&records, dir, generate_only),
        Command::Keygen { secret, public } => mirror::keygen(&secret, &public),
        Command::Deploy {
            site,
            bucket,
            prefix,
            endpoint,
            region,
            key,
            quiet,
        } => {
            let bucket = bucket::Bucket {
                name: bucket,
                prefix,
                endpoint,
                region,
                ..bucket::Bucket::default()
            };
            deploy::deploy(&site, &bucket, key.as_deref(), quiet)
        }
        Command::Mirror { action } => match action {
            MirrorAction::Verify {
                copy,
                key,
                origin,
                json,
            } => mirror::verify(&copy, &key, origin.as_deref(), json),
            MirrorAction::Sync {
                origin,
                dir,
                key,
                allow_older,
                check,
            } => mirror::sync(
                &origin,
                &dir,
                &key,
                ::mirror::sync::SyncOptions { allow_older, check },
            ),
        },
    };
    ExitCode::from(status)
}

pub(crate) fn load_config(path: &Path) -> Option<SiteConfig> {
    match SiteConfig::load(path) {
        Ok(config) => Some(config),
        Err(err) => {
            eprintln!("error: {err}");
            eprintln!("  = help: see site.toml in the repository for a complete example");
            None
        }
    }
}

/// The commit of the git repository holding the content folder, when it is in one.
fn source_commit(content: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(content)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}

/// The date the site describes, from SOURCE_DATE_EPOCH when set (reproducible builds).
pub(crate) fn source_date() -> Option<chrono::NaiveDate> {
    let seconds: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.date_naive())
}

/// The latest date a record may carry: tomorrow in China (UTC+8), so a record dated today
/// is never refused whatever the server's zone. This is the only clock read, and it decides
/// only whether a date is in the future; SOURCE_DATE_EPOCH is not used here, since it may
/// be set to any past time.
pub(crate) fn today() -> chrono::NaiveDate {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let china = seconds + 8 * 3600 + 24 * 3600;
    chrono::DateTime::from_timestamp(china, 0).map_or_else(Default::default, |t| t.date_naive())
}

/// Peak resident memory of this process in bytes (Linux), for the build summary.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The outcome of one build, for the CLI and for `serve`.
pub(crate) struct BuildOutcome {
    status: u8,
    /// Diagnostics and failures, rendered as text.
    pub(crate) problems: String,
}

pub(crate) fn run_build(site: &SiteArgs, out: &Path, json: bool, quiet: bool) -> BuildOutcome {
    let started = Instant::now();
    let Some(config) = load_config(&site.config) else {
        return BuildOutcome {
            status: EXIT_FAILED,
            problems: format!("cannot read {}", site.config.display()),
        };
    };
    let divisions = Divisions::guangxi();
    let checked = generator::check(&site.content, &config, &divisions, Some(today()));
    let shown: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| !quiet || d.is_error())
        .cloned()
        .collect();
    if !shown.is_empty() {
        eprintln!("{}\n", report::render_all(&shown));
    }
    // What `serve` shows in the browser: errors only; warnings stay in the terminal.
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let problems = report::render_all(&errors);
    // Without a readable departments folder there is no catalog: building would replace the
    // published portal with an empty one.
    if checked
        .diagnostics
        .iter()
        .any(|d| d.code == "no-departments")
    {
        eprintln!("error: nothing was built; the output folder is left as it was");
        return BuildOutcome {
            status: EXIT_FAILED,
            problems,
        };
    }
    let options = generator::BuildOptions {
        content: site.content.clone(),
        output: out.to_path_buf(),
        signing_key: config.signing_key(),
        source_commit: source_commit(&site.content),
        config,
        build_date: source_date(),
    };
    let bar = (!json).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} 生成页面 [{bar:30}] {pos}/{len} {per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let result = generator::build(&options, &divisions, &checked, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(summary) => {
            let seconds = started.elapsed().as_secs_f64();
            if json {
                let mut value = serde_json::to_value(&summary).unwrap_or_default();
                value["seconds"] = seconds.into();
                value["peak_memory_bytes"] = peak_memory().unwrap_or(0).into();
                println!("{value}");
            } else {
                println!(
                    "built {}: {} datasets published, {} rejected, {} withheld; {} pages ({} files, {} changed, {} removed), {:.1} MB in {:.2}s",
                    out.display(),
                    summary.published,
                    summary.rejected,
                    summary.withheld,
                    summary.pages,
                    summary.files,
                    summary.written,
                    summary.removed,
                    summary.bytes as f64 / 1e6,
                    seconds
                );
            }
            // Any error (a rejected record, a broken department.yaml, a bad page) means some
            // of the input did not make it into the site.
            let status = if summary.rejected > 0 || !errors.is_empty() {
                EXIT_REJECTED
            } else {
                EXIT_OK
            };
            BuildOutcome { status, problems }
        }
        Err(err) => {
            let mut text = format!("error: build failed: {err}");
            if let generator::BuildError::Leak(leaks) = &err {
                for leak in leaks {
                    text.push_str(&format!(
                        "\n  {} mentions withheld dataset `{}` (found `{}`); not published",
                        leak.file, leak.dataset, leak.found
                    ));
                }
            }
            eprintln!("{text}");
            BuildOutcome {
                status: EXIT_FAILED,
                problems: format!("{problems}\n\n{text}"),
            }
        }
    }
}

fn build(site: &SiteArgs, out: &Path, json: bool, quiet: bool) -> u8 {
    run_build(site, out, json, quiet).status
}

fn check(site: &SiteArgs, format: Format, departments: &[String]) -> u8 {
    let Some(config) = load_config(&site.config) else {
        return EXIT_FAILED;
    };
    for code in departments {
        let folder = site.content.join("departments").join(code);
        if !generator::model::is_slug(code) || !folder.join("department.yaml").is_file() {
            eprintln!("error: there is no department folder {}", folder.display());
            eprintln!(
                "  = help: the code is the folder's name under {}/departments/",
                site.content.display()
            );
            return EXIT_FAILED;
        }
    }
    let divisions = Divisions::guangxi();
    let mut checked = generator::check(&site.content, &config, &divisions, Some(today()));
    if !departments.is_empty() {
        let folders: Vec<String> = departments
            .iter()
            .map(|code| {
                format!(
                    "{}/",
                    generator::load::display_path(
                        &site.content,
                        &site.content.join("departments").join(code)
                    )
                )
            })
            .collect();
        let mine = |file: &str| {
            folders
                .iter()
                .any(|f| file.starts_with(f.as_str()) || format!("{file}/") == *f)
        };
        checked.diagnostics.retain(|d| mine(&d.file));
        checked.rejected.retain(|file| mine(file));
        checked.catalog.withheld.retain(|w| mine(&w.record_path));
        checked.catalog.datasets.retain(|d| mine(&d.record_path));
        checked
            .catalog
            .departments
            .retain(|code, _| departments.contains(&code.0));
    }
    let errors = checked.error_count();
    let warnings = checked.diagnostics.len() - errors;
    match format {
        Format::Json => {
            let value = serde_json::json!({
                "ok": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "published": checked.catalog.datasets.len(),
                "withheld": checked.catalog.withheld,
                "rejected": checked.rejected,
                "diagnostics": checked.diagnostics,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        Format::Text => {
            let text = report::render_all(&checked.diagnostics);
            if !text.is_empty() {
                println!("{text}\n");
            }
            println!(
                "checked {} departments: {} datasets public, {} withheld, {} rejected; {errors} errors, {warnings} warnings",
                checked.catalog.departments.len(),
                checked.catalog.datasets.len(),
                checked.catalog.withheld.len(),
                checked.rejected.len(),
            );
        }
    }
    if errors > 0 { EXIT_REJECTED } else { EXIT_OK }
}

fn import(file: &Path, content: &Path, sample: usize, source: &str) -> u8 {
    let is_csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let read = if is_csv {
        generator::import::read_csv(file)
    } else {
        generator::import::read_jsonl(file)
    };
    let (rows, mut skipped) = match read {
        Ok(v) => v,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    let rows = generator::import::sample(rows, sample);
    let options = generator::import::ImportOptions {
        source_name: source.to_string(),
    };
    match generator::import::write_records(&rows, content, &Divisions::guangxi(), &options) {
        Ok(report) => {
            skipped.extend(report.skipped.iter().cloned());
            for (line, reason) in &skipped {
                eprintln!("warning: {}:{line}: row skipped: {reason}", file.display());
            }
            println!(
                "imported {} records into {} ({} new departments, {} rows skipped)",
                report.records,
                content.display(),
                report.departments_created,
                skipped.len()
            );
            if skipped.is_empty() {
                EXIT_OK
            } else {
                EXIT_REJECTED
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_FAILED
        }
    }
}

fn schema(config: &Path, out: &Path) -> u8 {
    let Some(config) = load_config(config) else {
        return EXIT_FAILED;
    };
    let files = generator::schema::all(&config);
    for (name, value) in files {
        let path = out.join(name.trim_start_matches("schema/"));
        let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
        if let Err(err) = std::fs::create_dir_all(out).and_then(|_| std::fs::write(&path, text)) {
            eprintln!("error: cannot write {}: {err}", path.display());
            return EXIT_FAILED;
        }
        println!("wrote {}", path.display());
    }
    EXIT_OK
}

fn bench(sizes: &[usize], dir: Option<PathBuf>, generate_only: bool) -> u8 {
    let temp = std::env::temp_dir().join(format!("kaifang-bench-{}", std::process::id()));
    let base = dir.unwrap_or(temp);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(err) => {
            eprintln!("error: cannot find this executable: {err}");
            return EXIT_FAILED;
        }
    };
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "records", "pages", "seconds", "records/s", "pages/s", "MB", "peak MB"
    );
    for &n in sizes {
        let root = base.join(format!("n{n}"));
        if !root.join("site.toml").exists() {
            let _ = std::fs::remove_dir_all(&root);
            if let Err(err) = generator::synthetic::write_catalog(&root, n) {
                eprintln!("error: cannot write the synthetic catalog: {err}");
                return EXIT_FAILED;
            }
        }
        if generate_only {
            println!("generated {} records in {}", n, root.display());
            continue;
        }
        let out = root.join("public");
        let _ = std::fs::remove_dir_all(&out);
        // A child process, so its peak memory is the build's alone.
        let output = std::process::Command::new(&exe)
            .arg("build")
            .arg("--config")
            .arg(root.join("site.toml"))
            .arg("--content")
            .arg(root.join("content"))
            .arg("--out")
            .arg(&out)
            .arg("--json")
            .arg("--quiet")
            .output();
        let summary: serde_json::Value = match output {
            Ok(o) => match serde_json::from_slice(&o.stdout) {
                Ok(v) => v,
                Err(_) => {
                    eprintln!(
                        "error: build failed:\n{}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    return EXIT_FAILED;
                }
            },
            Err(err) => {
                eprintln!("error: cannot run the build: {err}");
                return EXIT_FAILED;
            }
        };
        let seconds = summary["seconds"].as_f64().unwrap_or(f64::NAN);
        let pages = summary["pages"].as_u64().unwrap_or(0);
        println!(
            "{:>8} {:>10} {:>10.2} {:>10.0} {:>10.0} {:>10.1} {:>10.1}",
            n,
            pages,
            seconds,
            n as f64 / seconds,
            pages as f64 / seconds,
            summary["bytes"].as_f64().unwrap_or(0.0) / 1e6,
            summary["peak_memory_bytes"].as_f64().unwrap_or(0.0) / 1e6,
        );
    }
    EXIT_OK
}
