//! Render: turn the public catalog into pages, listings, facets and assets.
//!
//! Render never decides visibility (policy does) and never reads record files. Every page gets
//! a small, constant-size context built from views, so a listing costs the same whatever the
//! catalog's size. Pages are rendered and written in parallel; templates compile once.

mod applications;
mod evaluation;
pub mod markdown;
mod summary;
mod views;
mod workflows;
pub(crate) use views::percent_encode_path;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::audit::Leak;
use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::load::MarkdownPage;
use crate::metadata::{
    RdfFormat, atom, ckan, datapackage, dcat, pod, schema_org, sitemap, spreadsheet,
};
use crate::model::{Dataset, ResourceLocation};
use crate::policy::PublicCatalog;
use crate::write::{Output, WriteError, WriteOutcome};
use views::*;

/// Templates and static assets of the default theme, embedded at compile time from `theme/`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../../theme/templates/base.html"),
    ),
    (
        "macros.html",
        include_str!("../../../theme/templates/macros.html"),
    ),
    (
        "card.html",
        include_str!("../../../theme/templates/card.html"),
    ),
    (
        "home.html",
        include_str!("../../../theme/templates/home.html"),
    ),
    (
        "dataset.html",
        include_str!("../../../theme/templates/dataset.html"),
    ),
    (
        "listing.html",
        include_str!("../../../theme/templates/listing.html"),
    ),
    (
        "facet_index.html",
        include_str!("../../../theme/templates/facet_index.html"),
    ),
    (
        "regions.html",
        include_str!("../../../theme/templates/regions.html"),
    ),
    (
        "page.html",
        include_str!("../../../theme/templates/page.html"),
    ),
    (
        "404.html",
        include_str!("../../../theme/templates/404.html"),
    ),
    (
        "search.html",
        include_str!("../../../theme/templates/search.html"),
    ),
    (
        "notices.html",
        include_str!("../../../theme/templates/notices.html"),
    ),
    (
        "takedowns.html",
        include_str!("../../../theme/templates/takedowns.html"),
    ),
    (
        "applications.html",
        include_str!("../../../theme/templates/applications.html"),
    ),
    (
        "evaluation.html",
        include_str!("../../../theme/templates/evaluation.html"),
    ),
    (
        "showcase.html",
        include_str!("../../../theme/templates/showcase.html"),
    ),
    (
        "plans.html",
        include_str!("../../../theme/templates/plans.html"),
    ),
    (
        "demands.html",
        include_str!("../../../theme/templates/demands.html"),
    ),
    (
        "demand.html",
        include_str!("../../../theme/templates/demand.html"),
    ),
];
const ASSETS: &[(&str, &str)] = &[
    (
        "assets/style.css",
        include_str!("../../../theme/static/style.css"),
    ),
    (
        "assets/site.js",
        include_str!("../../../theme/static/site.js"),
    ),
    (
        "assets/favicon.svg",
        include_str!("../../../theme/static/favicon.svg"),
    ),
    (
        "assets/search.js",
        include_str!("../../../theme/static/search.js"),
    ),
    (
        "assets/search-worker.js",
        include_str!("../../../theme/static/search-worker.js"),
    ),
    (
        "assets/search-core.js",
        include_str!("../../../theme/static/search-core.js"),
    ),
];

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The search index could not be built.
    #[error(transparent)]
    Search(#[from] search_index::IndexError),
    /// A template did not compile or render.
    #[error("template error: {0}")]
    Template(String),
    /// Writing the output failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The output path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn template_error(error: tera::Error) -> RenderError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    RenderError::Template(message)
}

/// When a render writes the files of the whole catalog (`data.json`, `catalog.csv`: a hundred
/// megabytes at 100,000 datasets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WholeCatalogUpdate {
    /// Whenever anything they list changed: one-off builds, and a daemon that allows them no
    /// lag.
    #[default]
    Always,
    /// Not while the catalog changes, so that an edit publishes in a fraction of a second:
    /// kept as the last render wrote them, or left out.
    Deferred,
    /// Now, unless the render is a takedown's (see [`RenderMemo::defer_shifted_listings`]):
    /// that one leaves them as [`WholeCatalogUpdate::Deferred`] does, for a later render.
    Due,
}

/// Figures about what render produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RenderStats {
    /// HTML pages produced.
    pub pages: usize,
    /// The files of the whole catalog ([`RenderMemo::update_whole_catalog`]) were kept as the
    /// last render wrote them, or left out, and no longer describe the catalog.
    pub whole_catalog_behind: bool,
    /// They were left out of this render: a dataset they list is no longer public.
    pub whole_catalog_dropped: bool,
    /// All files produced (pages, assets, resource files).
    pub files: usize,
    /// Files whose bytes changed.
    pub written: usize,
    /// Files not rendered again because their inputs did not change (see [`RenderMemo`]).
    pub skipped: usize,
    /// Bytes of all produced files.
    pub bytes: u64,
    /// The paths whose bytes were written.
    #[serde(skip)]
    pub written_paths: Vec<String>,
    /// Listing pages kept as they were although their inputs changed (see
    /// [`RenderMemo::defer_shifted_listings`]); counted among the skipped.
    pub deferred: usize,
    /// The paths whose bytes went through the audit in this render (all but the skipped).
    #[serde(skip)]
    pub audited: crate::audit::PassedFiles,
    /// Files refused because they mention a withheld dataset; none of them was written.
    pub leaks: Vec<Leak>,
    /// Figures of the search index.
    pub search: search_index::IndexStats,
}

/// Everything render needs: configuration, reference data, the public catalog, the pages.
pub struct Site<'a> {
    /// Site configuration.
    pub config: &'a SiteConfig,
    /// Division names.
    pub divisions: &'a Divisions,
    /// The public catalog.
    pub catalog: &'a PublicCatalog,
    /// Markdown pages from `content/pages/`.
    pub pages: &'a [MarkdownPage],
    /// The date the site describes (SOURCE_DATE_EPOCH or the newest record date).
    pub build_date: NaiveDate,
    /// Maintenance notices, newest window first.
    pub notices: &'a [crate::model::Notice],
    /// Applications for conditionally open data, published only as aggregates.
    pub applications: &'a [crate::model::Application],
    /// The showcase of applications built on open data, newest first.
    pub apps: &'a [crate::model::ShowcaseApp],
    /// Demands for data from the public, newest first.
    pub demands: &'a [crate::model::Demand],
    /// Annual opening plans, newest year first.
    pub plans: &'a [crate::model::Plan],
}

/// One file to produce.
enum Job {
    Home,
    Dataset(usize),
    Listing(Box<Listing>),
    FacetIndex(Box<FacetIndex>),
    Regions,
    Page(usize),
    NotFound,
    Search,
    Asset(&'static str, &'static str),
    Json(&'static str, serde_json::Value),
    ResourceFile {
        dataset: usize,
        resource: usize,
    },
    /// A dataset's DCAT document (`datasets/<id>.ttl` …).
    DatasetRdf(usize, RdfFormat),
    /// One page of a DCAT catalog, in one format.
    CatalogRdf(std::sync::Arc<CatalogJob>, RdfFormat),
    /// The theme scheme (`themes.ttl` …).
    Themes(RdfFormat),
    /// One sitemap file.
    Sitemap(Box<SitemapJob>),
    /// An Atom feed of new and updated datasets.
    Feed(Box<FeedJob>),
    /// A file of the static CKAN API.
    Ckan(CkanCall),
    /// A dataset's Data Package descriptor (`datasets/<id>/datapackage.json`).
    DataPackage(usize),
    /// A file of the whole catalog at once (`data.json`, `catalog.csv`).
    Whole(WholeCatalog),
    /// A generated text file (`robots.txt`).
    Text(&'static str, String),
    /// The maintenance notices page (第十三条).
    Notices,
    /// The showcase of applications built on open data (第二十五条).
    Showcase,
    /// The annual opening plans, planned against delivered (第十八条).
    Plans,
    /// The list of demands for data (第十五条), and the page of one demand.
    Demands,
    Demand(usize),
    /// The public takedown notice (第二十二条).
    Takedowns,
    /// The Atom feed of maintenance notices, or of takedowns.
    Announcements(Announcements),
    /// The statistics page of conditional-open applications (第二十条).
    Applications(Box<serde_json::Value>),
    /// The departments' scorecards and the regional ranking (第三十三条).
    Evaluation(Box<serde_json::Value>),
}

/// The feeds of the workflow records.
#[derive(Debug, Clone, Copy)]
enum Announcements {
    /// `feeds/notices.atom`.
    Notices,
    /// `feeds/withdrawals.atom`.
    Withdrawals,
}

impl Job {
    /// The dataset whose own file this job makes, if any.
    fn owner(&self) -> Option<usize> {
        match self {
            Job::Dataset(i)
            | Job::ResourceFile { dataset: i, .. }
            | Job::DatasetRdf(i, _)
            | Job::DataPackage(i)
            | Job::Ckan(CkanCall::PackageShow(i)) => Some(*i),
            _ => None,
        }
    }
}

/// One page of the portal's or a department's DCAT catalog, shared by its three formats.
struct CatalogJob {
    /// The department's code, for its own catalog.
    department: Option<String>,
    /// The datasets on this page, in catalog (id) order.
    items: Vec<usize>,
    page: usize,
    total_pages: usize,
    total_items: usize,
    /// The triples of its datasets ([`dcat::catalog_body`]), made by the first format
    /// rendered and dropped once all three took them, so a full render holds a few pages' at
    /// a time (when a format is skipped, they stay until the render ends).
    body: std::sync::Mutex<Option<std::sync::Arc<Vec<oxrdf::Triple>>>>,
    /// Formats still to take the body.
    formats_left: AtomicUsize,
}

impl CatalogJob {
    /// The triples of the page's datasets, made with `make` by the first format to ask.
    fn body(
        &self,
        make: impl FnOnce() -> Vec<oxrdf::Triple>,
    ) -> std::sync::Arc<Vec<oxrdf::Triple>> {
        let mut slot = self.body.lock().unwrap_or_else(|e| e.into_inner());
        let body = slot
            .get_or_insert_with(|| std::sync::Arc::new(make()))
            .clone();
        if self.formats_left.fetch_sub(1, Ordering::Relaxed) == 1 {
            *slot = None;
        }
        body
    }
}

/// `catalog.ttl`, `catalog/page/2.ttl`, `departments/<code>/catalog.ttl` …
fn catalog_path(department: Option<&str>, page: usize, format: RdfFormat) -> String {
    let mut path = String::new();
    write_catalog_path(&mut path, department, page, format);
    path
}

/// Appends [`catalog_path`] to `path`.
fn write_catalog_path(path: &mut String, department: Option<&str>, page: usize, format: RdfFormat) {
    use std::fmt::Write;
    if let Some(code) = department {
        push_all(path, &["departments/", code, "/"]);
    }
    if page <= 1 {
        path.push_str("catalog.");
    } else {
        let _ = write!(path, "catalog/page/{page}.");
    }
    path.push_str(format.extension());
}

/// A CKAN API call answered by a file.
#[derive(Clone, Copy)]
enum CkanCall {
    /// `package_show` of one dataset.
    PackageShow(usize),
    /// `package_list`, `organization_list`, `group_list` or `tag_list`.
    List(&'static str),
}

/// A file that describes every public dataset at once.
#[derive(Clone, Copy, Hash)]
enum WholeCatalog {
    /// `data.json` (Project Open Data v1.1).
    DataJson,
    /// `catalog.csv`.
    Spreadsheet,
}

impl WholeCatalog {
    /// Every such file.
    const ALL: [WholeCatalog; 2] = [WholeCatalog::DataJson, WholeCatalog::Spreadsheet];

    /// Its path.
    fn path(self) -> &'static str {
        match self {
            WholeCatalog::DataJson => pod::PATH,
            WholeCatalog::Spreadsheet => spreadsheet::PATH,
        }
    }
}

/// The list calls of the static CKAN API.
const CKAN_LISTS: [&str; 4] = [
    "package_list",
    "organization_list",
    "group_list",
    "tag_list",
];

/// One Atom feed: the portal's, a department's or a domain's.
struct FeedJob {
    path: String,
    title: String,
    /// The HTML listing of the same datasets.
    page: String,
    /// Its datasets, newest first ([`atom::ENTRIES`] at most).
    items: Vec<usize>,
}

/// One sitemap file: pages, or the index of the parts.
struct SitemapJob {
    path: String,
    /// The portal's own pages (home, listings, facets …) in this part.
    entries: Vec<sitemap::Entry>,
    /// The datasets whose pages follow them, by index: made into entries only when the part
    /// is written, not on every plan.
    datasets: std::ops::Range<usize>,
    /// When set, this is the index of that many parts.
    parts: Option<usize>,
}

impl SitemapJob {
    /// Every entry of this part.
    fn all_entries(&self, site: &Site<'_>) -> Vec<sitemap::Entry> {
        let datasets = &site.catalog.datasets[self.datasets.clone()];
        let mut entries = self.entries.clone();
        entries.extend(datasets.iter().map(|d| sitemap::Entry {
            path: format!("datasets/{}/", d.id),
            modified: d.last_change(),
        }));
        entries
    }
}

struct Listing {
    base: String,
    title: String,
    intro: String,
    items: Vec<usize>,
    page: usize,
    total_pages: usize,
    total_items: usize,
    /// Datasets listed over all its pages (fewer than `total_items` when cut).
    shown_items: usize,
    section: &'static str,
    department: Option<String>,
    trail: Vec<Link>,
    children: Vec<FacetEntry>,
}

struct FacetIndex {
    path: String,
    title: String,
    intro: String,
    section: &'static str,
    entries: Vec<FacetEntry>,
}

/// Compiles the theme's templates.
pub fn templates() -> Result<Tera, RenderError> {
    let mut tera = Tera::default();
    tera.add_raw_templates(TEMPLATES.to_vec())
        .map_err(template_error)?;
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(escape_html);
    tera.register_filter("markdown", MarkdownFilter);
    Ok(tera)
}

/// Escapes text for HTML content and quoted attributes. Unlike Tera's default it leaves `/`
/// alone, so relative URLs stay readable.
pub(crate) fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 16);
    let mut plain_from = 0;
    for (i, byte) in input.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&input[plain_from..i]);
        out.push_str(entity);
        plain_from = i + 1;
    }
    out.push_str(&input[plain_from..]);
    out
}

/// The only way record Markdown reaches a page: rendered and sanitised here, marked safe.
struct MarkdownFilter;

impl tera::Filter for MarkdownFilter {
    fn filter(
        &self,
        value: &tera::Value,
        _: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let text = value.as_str().unwrap_or("");
        Ok(tera::Value::String(markdown::to_safe_html(text)))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// What one render produced, kept by a long-running process (the daemon) so that its next
/// render into the same output skips every file whose inputs did not change.
///
/// A file's inputs are summed up in a fingerprint: the site-wide facts (configuration, build
/// date, departments, pages), the [`Dataset::digest`] of every dataset the file shows, and the
/// file's own shape (page number, totals, trail). The files of one dataset (its page, resource
/// files, DCAT documents, CKAN package) are also summed up together, so a render plans only the
/// datasets whose inputs changed and never visits the files of the others. The memo is only
/// valid while the output still holds what that render wrote; start from
/// [`RenderMemo::default`] otherwise.
#[derive(Debug, Clone, Default)]
pub struct RenderMemo {
    /// Every file the render produced, by a 64-bit hash of its path ([`path_key`]); a
    /// collision among a site's paths is as likely as one of fingerprints.
    files: foldhash::HashMap<u64, MemoEntry>,
    /// The files of each dataset, by a hash of its id ([`path_key`]).
    datasets: foldhash::HashMap<u64, DatasetFiles>,
    /// The keys of the files no dataset owns (listings, catalogs, search index …): those a
    /// render checks one by one.
    shared: Vec<u64>,
    /// The render that made this memo; a shared file or a dataset it did not produce again
    /// is gone.
    generation: u32,
    /// The auditor of that render: every file the render left behind passed it.
    auditor: Option<std::sync::Arc<crate::audit::Auditor>>,
    /// What that render read of every dataset.
    summaries: summary::Summaries,
    /// When the next render writes the files of the whole catalog; see
    /// [`RenderMemo::update_whole_catalog`].
    whole_update: WholeCatalogUpdate,
    /// The keys of the public datasets when the files of the whole catalog were last
    /// written, sorted: the datasets they list.
    whole_ids: Vec<u64>,
    /// Whether the last render left the files of the whole catalog out.
    whole_dropped: bool,
    /// The compiled templates, kept for the next render (compiling them takes longer than
    /// rendering an edit's pages).
    templates: Option<std::sync::Arc<Tera>>,
    /// What the next render's takedown withholds beyond the last render, when listing pages
    /// that do not mention it may wait ([`RenderMemo::defer_shifted_listings`]).
    defer_listings: Option<std::sync::Arc<crate::audit::Auditor>>,
}

/// What a render does with the files of the whole catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WholePlan {
    /// Render them when their inputs changed, as every other file.
    Write,
    /// Keep them as they are, even though the catalog changed.
    Keep,
    /// Leave them out: a dataset they list is no longer public.
    Drop,
}

/// One file of a memoised render.
#[derive(Debug, Clone)]
struct MemoEntry {
    /// The path, relative to the output root.
    path: Box<str>,
    /// The fingerprint of its inputs, for the files that are rendered only when it changes.
    fingerprint: Option<u64>,
    /// Its length in bytes.
    len: u64,
    /// SHA-256 of its bytes, for the mirror manifest.
    sha256: [u8; 32],
    /// Whether it is an HTML page (for the counts of a render that skips it).
    is_page: bool,
    /// The last render that produced it (not brought up to date for the files of a dataset
    /// that was not planned; only shared files are swept by it).
    generation: u32,
}

/// The files of one dataset in a memoised render.
#[derive(Debug, Clone)]
struct DatasetFiles {
    /// The fingerprint of everything its files read ([`Fingerprints::dataset_files`]);
    /// `None` when they must be checked one by one next time (one was refused or forgotten).
    fingerprint: Option<u64>,
    /// Their keys in [`RenderMemo::files`].
    files: Vec<u64>,
    /// How many of them are pages.
    pages: u32,
    /// Their bytes.
    bytes: u64,
    /// The last render that listed the dataset.
    generation: u32,
}

impl RenderMemo {
    /// Says when the next renders write `data.json` and `catalog.csv` (see
    /// [`WholeCatalogUpdate`]). Kept files only ever list public datasets: when one they
    /// list is no longer public, they are left out of the render instead, and come back with
    /// the next render that writes them. [`RenderStats::whole_catalog_behind`] says when
    /// they no longer describe the catalog.
    pub fn update_whole_catalog(&mut self, when: WholeCatalogUpdate) {
        self.whole_update = when;
    }

    /// Lets the next render keep, as they are, the listing pages whose inputs changed but
    /// whose current bytes do not mention what `newly_withheld` looks for (the datasets
    /// withheld since the last render): a takedown shifts every page after the one that
    /// listed the dataset, hundreds at 100,000 datasets, and only that one must change at
    /// once. Until the render after, a shifted page may repeat the dataset that now ends
    /// the page before it. [`RenderStats::deferred`] counts them; the next render makes them
    /// (their memo entries keep the old fingerprints).
    pub fn defer_shifted_listings(
        &mut self,
        newly_withheld: Option<std::sync::Arc<crate::audit::Auditor>>,
    ) {
        self.defer_listings = newly_withheld;
    }

    /// What this render does with the files of the whole catalog.
    fn whole_plan(&self, summaries: &summary::Summaries) -> WholePlan {
        let defer = match self.whole_update {
            WholeCatalogUpdate::Always => false,
            WholeCatalogUpdate::Deferred => true,
            // A takedown must not wait for them to be written.
            WholeCatalogUpdate::Due => self.defer_listings.is_some(),
        };
        if !defer {
            return WholePlan::Write;
        }
        let held = WholeCatalog::ALL
            .iter()
            .all(|file| self.files.contains_key(&path_key(file.path())));
        if !held {
            // Left out by the last render (a takedown): they stay out until they are due,
            // so that another takedown right after does not wait for them to be written.
            return if self.whole_dropped {
                WholePlan::Drop
            } else {
                WholePlan::Write
            };
        }
        let public: foldhash::HashSet<u64> = summaries.iter().map(|s| s.id_key).collect();
        if self.whole_ids.iter().all(|id| public.contains(id)) {
            WholePlan::Keep
        } else {
            WholePlan::Drop
        }
    }

    /// Reads what a render needs of every dataset of `catalog` that the last render did not
    /// read (see [`summary`]); a render does it too, so calling it first is only needed for
    /// [`RenderMemo::newest_change`] and [`RenderMemo::shared_with_public`].
    pub fn refresh(&mut self, catalog: &PublicCatalog, divisions: &Divisions) {
        self.summaries
            .refresh(&catalog.datasets, divisions, &render_keys);
    }

    /// The newest last change of the datasets last refreshed.
    pub fn newest_change(&self) -> Option<NaiveDate> {
        self.summaries.newest_change()
    }

    /// The withheld titles and ids of `catalog` that its public datasets also carry; the
    /// memo must have been refreshed with `catalog`.
    pub fn shared_with_public<'a>(
        &self,
        catalog: &'a PublicCatalog,
    ) -> crate::audit::SharedWithPublic<'a> {
        self.summaries
            .shared_with_public(&catalog.withheld, &path_key)
    }

    /// Whether the memo holds a render.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The fingerprint the memoised render recorded for a path.
    fn fingerprint_of(&self, path: &str) -> Option<u64> {
        self.files.get(&path_key(path)).and_then(|e| e.fingerprint)
    }

    /// A file kept as the memoised render produced it (which [`RenderMemo::whole_plan`]
    /// checked it did).
    fn keep(&self, path: &str) -> Produced {
        let key = path_key(path);
        let entry = &self.files[&key];
        Produced::Skipped {
            key,
            is_page: entry.is_page,
            len: entry.len,
        }
    }

    /// Whether the memoised render produced this path.
    pub fn holds(&self, path: &str) -> bool {
        self.files.contains_key(&path_key(path))
    }

    /// Number of files the memoised render produced.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// The key of a path, for [`RenderMemo::file`].
    pub fn key(path: &str) -> u64 {
        path_key(path)
    }

    /// Every file with its key.
    pub fn keyed(&self) -> impl Iterator<Item = (u64, &str)> {
        self.files.iter().map(|(key, entry)| (*key, &*entry.path))
    }

    /// The file under a key: path, size and SHA-256.
    pub fn file(&self, key: u64) -> Option<(&str, u64, &[u8; 32])> {
        self.files
            .get(&key)
            .map(|entry| (&*entry.path, entry.len, &entry.sha256))
    }

    /// Forgets these files: the output no longer holds them, and the next render makes them
    /// (and checks the other files of their datasets one by one).
    pub fn forget<'a>(&mut self, paths: impl IntoIterator<Item = &'a str>) {
        let mut forgotten = foldhash::HashSet::default();
        for path in paths {
            let key = path_key(path);
            if self.files.remove(&key).is_some() {
                forgotten.insert(key);
            }
        }
        if !forgotten.is_empty() {
            for owned in self.datasets.values_mut() {
                if owned.files.iter().any(|key| forgotten.contains(key)) {
                    owned.fingerprint = None;
                }
            }
        }
    }

    /// The auditor every file of the memoised render passed. When the withheld list (or a
    /// title it shares with a public dataset) changed, every skipped file must be read again
    /// and audited for what this auditor did not look for.
    pub fn auditor(&self) -> Option<&std::sync::Arc<crate::audit::Auditor>> {
        self.auditor.as_ref()
    }

    /// Records what a job produced; returns its key, length and whether it is a page, or
    /// `None` for a refused file.
    fn record(
        &mut self,
        produced: Produced,
        stats: &mut RenderStats,
        generation: u32,
    ) -> Option<(u64, u64, bool)> {
        match produced {
            Produced::Skipped { key, is_page, len } => {
                stats.skipped += 1;
                if let Some(entry) = self.files.get_mut(&key) {
                    entry.generation = generation;
                }
                Some((key, len, is_page))
            }
            Produced::File {
                path,
                outcome,
                is_page,
                len,
                fingerprint,
                sha256,
            } => {
                if outcome == WriteOutcome::Written {
                    stats.written += 1;
                    stats.written_paths.push(path.clone());
                }
                stats.audited.insert(&path);
                let key = path_key(&path);
                let entry = MemoEntry {
                    path: path.into_boxed_str(),
                    fingerprint,
                    len,
                    sha256,
                    is_page,
                    generation,
                };
                self.files.insert(key, entry);
                Some((key, len, is_page))
            }
            Produced::Refused(leaks) => {
                stats.leaks.extend(leaks);
                None
            }
        }
    }
}

/// Renders the site, skipping every file whose fingerprint matches `memo` (which must describe
/// what `output` holds). With a live index, the search index is brought up to date in it
/// rather than built afresh. Returns the figures, the memo of this render (the old one
/// brought up to date) and the files the old memo held that this render no longer produced,
/// sorted.
pub fn render_incremental(
    site: &Site<'_>,
    output: &Output,
    progress: &(dyn Fn(usize, usize) + Sync),
    mut memo: RenderMemo,
    live: Option<&mut crate::search::LiveSearch>,
) -> Result<(RenderStats, RenderMemo, Vec<String>), RenderError> {
    let datasets = &site.catalog.datasets;
    let mut summaries = std::mem::take(&mut memo.summaries);
    summaries.refresh(datasets, site.divisions, &render_keys);
    let whole_plan = memo.whole_plan(&summaries);
    let deferring = memo.defer_listings.take();
    let compiled = memo.templates.take();
    let behind = std::sync::atomic::AtomicBool::new(whole_plan == WholePlan::Drop);
    let (index, rendered) = rayon::join(
        || match live {
            Some(live) => live.update(site.catalog, site.config, site.divisions),
            None => search_index::build(&crate::search::index_input(
                site.catalog,
                site.config,
                site.divisions,
            )),
        },
        || -> Result<Rendered, RenderError> {
            let tera = match compiled {
                Some(tera) => tera,
                None => std::sync::Arc::new(templates()?),
            };
            let model = SiteModel::new(site, &summaries);
            let fingerprints = Fingerprints::new(site, &model);
            // Each dataset's id key and the fingerprint of all its files: only the datasets
            // whose files may have changed are planned file by file.
            let owners: Vec<(u64, u64)> = (0..datasets.len())
                .into_par_iter()
                .map(|i| (summaries.get(i).id_key, fingerprints.dataset_files(i)))
                .collect();
            let mut jobs = plan_shared(site, &model);
            if whole_plan == WholePlan::Drop {
                jobs.retain(|job| !matches!(job, Job::Whole(_)));
            }
            for (i, (key, fingerprint)) in owners.iter().enumerate() {
                let known = memo.datasets.get(key).and_then(|owned| owned.fingerprint);
                if known != Some(*fingerprint) {
                    plan_dataset(site, i, &mut jobs);
                }
            }
            let deferred = match deferring.as_deref() {
                Some(newly_withheld) => {
                    shifted_listings(&jobs, &fingerprints, &memo, output, newly_withheld)
                }
                None => foldhash::HashSet::default(),
            };
            let total = jobs.len();
            let done = AtomicUsize::new(0);
            let results = jobs
                .par_iter()
                .map_init(
                    || String::with_capacity(128),
                    |path, job| {
                        if whole_plan == WholePlan::Keep
                            && let Job::Whole(file) = job
                        {
                            behind.fetch_or(
                                fingerprints.of(job, path) != memo.fingerprint_of(file.path()),
                                Ordering::Relaxed,
                            );
                            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                            if n == total {
                                progress(n, total);
                            }
                            return Ok(memo.keep(file.path()));
                        }
                        let produced = produce(
                            job,
                            site,
                            &model,
                            &tera,
                            output,
                            &fingerprints,
                            &memo,
                            path,
                            &deferred,
                        )?;
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if n.is_multiple_of(256) || n == total {
                            progress(n, total);
                        }
                        Ok(produced)
                    },
                )
                .collect::<Result<Vec<Produced>, RenderError>>()?;
            Ok(Rendered {
                jobs,
                results,
                owners,
                deferred: deferred.len(),
                tera,
            })
        },
    );
    let index = index?;
    let Rendered {
        jobs,
        results,
        owners,
        deferred,
        tera,
    } = rendered?;
    memo.templates = Some(tera);
    // Index files go through the same audited writer as pages.
    let index_files = index
        .files
        .par_iter()
        .map(|file| {
            let len = file.bytes.len() as u64;
            // Every index file but the directory is named by its contents: one the last
            // render produced holds these bytes.
            let key = path_key(&file.path);
            if file.path != search_index::directory::DIRECTORY && memo.files.contains_key(&key) {
                let is_page = false;
                return Ok(Produced::Skipped { key, is_page, len });
            }
            let written = output.write(&file.path, &file.bytes);
            let sha256 = sha256_of(&file.bytes);
            produced(file.path.clone(), written, false, len, sha256)
        })
        .collect::<Result<Vec<Produced>, RenderError>>()?;
    let mut stats = RenderStats {
        search: index.stats,
        whole_catalog_behind: behind.into_inner(),
        whole_catalog_dropped: whole_plan == WholePlan::Drop,
        deferred,
        ..RenderStats::default()
    };
    if whole_plan == WholePlan::Write {
        // What the files of the whole catalog list now (written, or skipped as unchanged).
        memo.whole_ids = summaries.iter().map(|s| s.id_key).collect();
        memo.whole_ids.sort_unstable();
    }
    memo.whole_dropped = whole_plan == WholePlan::Drop;
    memo.summaries = summaries;
    memo.auditor = output.auditor().cloned();
    memo.generation = memo.generation.wrapping_add(1);
    let generation = memo.generation;
    memo.files
        .reserve(results.len().saturating_sub(memo.files.len()));

    // The files this render produced, shared or of a dataset planned file by file.
    let mut shared = Vec::with_capacity(memo.shared.len());
    let mut planned: foldhash::HashMap<usize, DatasetFiles> = foldhash::HashMap::default();
    let owner_of = jobs
        .iter()
        .map(Job::owner)
        .chain(std::iter::repeat_n(None, index_files.len()));
    for (owner, produced) in owner_of.zip(results.into_iter().chain(index_files)) {
        let recorded = memo.record(produced, &mut stats, generation);
        match owner {
            None => {
                if let Some((key, len, is_page)) = recorded {
                    shared.push(key);
                    stats.count(len, is_page);
                }
            }
            Some(i) => {
                let files = planned.entry(i).or_insert_with(|| DatasetFiles {
                    fingerprint: Some(owners[i].1),
                    files: Vec::new(),
                    pages: 0,
                    bytes: 0,
                    generation,
                });
                match recorded {
                    Some((key, len, is_page)) => {
                        files.files.push(key);
                        files.bytes += len;
                        files.pages += u32::from(is_page);
                    }
                    // Planned again next time: the withheld list may change.
                    None => files.fingerprint = None,
                }
            }
        }
    }
    let mut gone = Vec::new();
    let mut forget = |memo: &mut RenderMemo, key: &u64| {
        if let Some(entry) = memo.files.remove(key) {
            gone.push(String::from(entry.path));
        }
    };
    // Shared files this render did not produce are gone.
    for key in std::mem::replace(&mut memo.shared, shared) {
        if memo
            .files
            .get(&key)
            .is_some_and(|e| e.generation != generation)
        {
            forget(&mut memo, &key);
        }
    }
    // Each dataset's files: kept whole, or replaced by those just planned (a file no longer
    // planned is gone); the datasets not listed any more go with all their files.
    for (i, (key, _)) in owners.into_iter().enumerate() {
        let (files, pages, bytes) = match planned.remove(&i) {
            Some(mut owned) => {
                // Kept for 100,000 datasets: no growth room.
                owned.files.shrink_to_fit();
                let counts = (owned.files.len(), owned.pages, owned.bytes);
                if let Some(old) = memo.datasets.insert(key, owned) {
                    let now = &memo.datasets[&key].files;
                    let dropped: Vec<u64> = old
                        .files
                        .iter()
                        .filter(|k| !now.contains(k))
                        .copied()
                        .collect();
                    for k in &dropped {
                        forget(&mut memo, k);
                    }
                }
                counts
            }
            None => {
                let owned = memo
                    .datasets
                    .get_mut(&key)
                    .expect("a dataset that was not planned is in the memo");
                owned.generation = generation;
                stats.skipped += owned.files.len();
                (owned.files.len(), owned.pages, owned.bytes)
            }
        };
        stats.files += files;
        stats.pages += pages as usize;
        stats.bytes += bytes;
    }
    // Ids are unique in a catalog (validation rejects every record of a shared id), so each
    // dataset has its own entry and more entries than datasets means some are gone.
    if memo.datasets.len() > datasets.len() {
        let mut dropped = Vec::new();
        memo.datasets.retain(|_, owned| {
            let kept = owned.generation == generation;
            if !kept {
                dropped.extend_from_slice(&owned.files);
            }
            kept
        });
        for key in &dropped {
            forget(&mut memo, key);
        }
    }
    gone.sort_unstable();
    crate::audit::sort(&mut stats.leaks);
    Ok((stats, memo, gone))
}

/// What the page half of a render made.
struct Rendered {
    /// The jobs planned.
    jobs: Vec<Job>,
    /// What each produced.
    results: Vec<Produced>,
    /// Per dataset: the key of its id and the fingerprint of its files.
    owners: Vec<(u64, u64)>,
    /// Listing pages kept for the next render.
    deferred: usize,
    /// The templates it used.
    tera: std::sync::Arc<Tera>,
}

/// Fewest listing pages worth leaving for a publish of their own after a takedown: below
/// this, rendering them now costs less than that publish.
const DEFER_AT_LEAST: usize = 64;

/// The keys of the listing pages whose inputs changed but whose bytes in the output do not
/// mention what `newly_withheld` looks for, when there are at least [`DEFER_AT_LEAST`]; else
/// none.
fn shifted_listings(
    jobs: &[Job],
    fingerprints: &Fingerprints<'_>,
    memo: &RenderMemo,
    output: &Output,
    newly_withheld: &crate::audit::Auditor,
) -> foldhash::HashSet<u64> {
    let shifted: foldhash::HashSet<u64> = jobs
        .par_iter()
        .filter(|job| matches!(job, Job::Listing(_)))
        .map_init(String::new, |path, job| {
            let fingerprint = fingerprints.of(job, path)?;
            let key = path_key(path);
            let entry = memo.files.get(&key)?;
            (entry.fingerprint != Some(fingerprint)
                && std::fs::read(output.root().join(&**path))
                    .is_ok_and(|old| newly_withheld.scan(path, &old).is_empty()))
            .then_some(key)
        })
        .flatten()
        .collect();
    if shifted.len() >= DEFER_AT_LEAST {
        shifted
    } else {
        foldhash::HashSet::default()
    }
}

impl RenderStats {
    /// Counts one produced file.
    fn count(&mut self, len: u64, is_page: bool) {
        self.files += 1;
        self.pages += usize::from(is_page);
        self.bytes += len;
    }
}

/// Produces one job's file, or skips it when the memo holds it with the same fingerprint.
#[allow(clippy::too_many_arguments)]
fn produce(
    job: &Job,
    site: &Site<'_>,
    model: &SiteModel<'_>,
    tera: &Tera,
    output: &Output,
    fingerprints: &Fingerprints<'_>,
    memo: &RenderMemo,
    path: &mut String,
    deferred: &foldhash::HashSet<u64>,
) -> Result<Produced, RenderError> {
    let fingerprint = fingerprints.of(job, path);
    let key = fingerprint.map(|_| path_key(path));
    let entry = key.and_then(|key| memo.files.get(&key));
    // Unchanged, or a listing page a takedown only shifted, which waits for the next render.
    if let (Some(key), Some(entry)) = (key, entry)
        && (entry.fingerprint == fingerprint || deferred.contains(&key))
    {
        return Ok(Produced::Skipped {
            key,
            is_page: entry.is_page,
            len: entry.len,
        });
    }
    let mut produced = run(job, site, model, tera, output)?;
    if let Produced::File {
        path: made,
        fingerprint: slot,
        ..
    } = &mut produced
    {
        debug_assert!(
            fingerprint.is_none() || made == path,
            "{made} fingerprinted as {path}"
        );
        *slot = fingerprint;
    }
    Ok(produced)
}

/// Fingerprints of the files a render produces, from the same inputs their contexts read.
struct Fingerprints<'a> {
    site: &'a Site<'a>,
    model: &'a SiteModel<'a>,
    /// The site-wide part every page shares.
    global: u64,
    /// Per department code: its view (name, counts, completeness …).
    departments: HashMap<&'a str, u64>,
    /// By the model's department numbers, what a dataset page shows of its department.
    by_number: Vec<Option<u64>>,
    /// Per CKAN list call (in [`CKAN_LISTS`] order), what it is made of, read from every
    /// dataset in one pass.
    ckan_lists: [u64; CKAN_LISTS.len()],
    /// Every public dataset, in catalog order, with the configuration, build date and
    /// departments: all the files of the whole catalog read.
    whole: u64,
}

impl<'a> Fingerprints<'a> {
    fn new(site: &'a Site<'a>, model: &'a SiteModel<'a>) -> Fingerprints<'a> {
        // The department records (what the DCAT documents, feeds and CKAN files say of a
        // publisher) are part of every file's fingerprint here; a department's view (its
        // counts) is not, so a takedown does not rewrite its other datasets' documents.
        // What the files of the whole catalog read besides the datasets: not the pages.
        let catalog_facts = hash_of(&(
            format!("{:?}", site.config),
            site.build_date,
            format!("{:?}", site.catalog.departments),
        ));
        let global = hash_of(&(
            catalog_facts,
            format!("{:?}", site.pages),
            format!("{:?}", model.site),
        ));
        let departments: HashMap<&str, u64> = model
            .departments
            .iter()
            .map(|(code, view)| (code.as_str(), hash_of(&format!("{view:?}"))))
            .collect();
        // Dataset pages read less of their department than its listing does.
        let by_number = model
            .summaries
            .department_codes()
            .iter()
            .map(|code| {
                model
                    .departments
                    .get(code.as_str())
                    .map(|view| hash_of(&format!("{:?}", view.seen_from_dataset_pages())))
            })
            .collect();
        let mut lists = CKAN_LISTS.map(|_| memo_hasher());
        let mut whole = memo_hasher();
        whole.write_u64(catalog_facts);
        for summary in model.summaries.iter() {
            for (h, part) in lists.iter_mut().zip(summary.lists) {
                h.write_u64(part);
            }
            whole.write_u64(summary.digest);
        }
        Fingerprints {
            ckan_lists: lists.map(|h| h.finish()),
            whole: whole.finish(),
            site,
            model,
            global,
            departments,
            by_number,
        }
    }

    /// A dataset as the pages that show it see it.
    fn dataset(&self, i: usize) -> u64 {
        self.model.summaries.get(i).digest
    }

    /// The fingerprint of everything the files of dataset `i` read (its page, resource
    /// files, DCAT documents and CKAN package): what its page reads, since each of the others
    /// reads a part of that (see the matching arms of [`Fingerprints::of`]; a new input of
    /// one of those files must be added here too). While it holds, none of them is planned.
    fn dataset_files(&self, i: usize) -> u64 {
        let mut h = memo_hasher();
        self.global.hash(&mut h);
        self.dataset(i).hash(&mut h);
        self.by_number[self.model.summaries.department_of(i) as usize].hash(&mut h);
        for j in self.model.related(i) {
            self.dataset(j).hash(&mut h);
        }
        self.apps(i, &mut h);
        h.finish()
    }

    /// Hashes the showcase applications that dataset `i`'s page lists.
    fn apps(&self, i: usize, h: &mut impl Hasher) {
        for n in self.model.apps_of(i) {
            self.site.apps[n].hash(h);
        }
    }

    /// The fingerprint of a job, for the kinds of files that are memoised (the many: dataset
    /// pages, listings, facet indexes, resource files, metadata documents); its path is
    /// written into `path`. Other files always render.
    fn of(&self, job: &Job, path: &mut String) -> Option<u64> {
        let mut h = memo_hasher();
        self.global.hash(&mut h);
        path.clear();
        match job {
            Job::Dataset(i) => {
                let dataset = &self.site.catalog.datasets[*i];
                self.dataset(*i).hash(&mut h);
                self.by_number[self.model.summaries.department_of(*i) as usize].hash(&mut h);
                for j in self.model.related(*i) {
                    self.dataset(j).hash(&mut h);
                }
                self.apps(*i, &mut h);
                push_all(path, &["datasets/", &dataset.id.0, "/index.html"]);
            }
            Job::Listing(listing) => {
                (
                    &listing.base,
                    &listing.title,
                    &listing.intro,
                    listing.page,
                    listing.total_pages,
                    listing.total_items,
                    listing.section,
                )
                    .hash(&mut h);
                if let Some(code) = &listing.department {
                    self.departments.get(code.as_str()).hash(&mut h);
                }
                (&listing.trail, &listing.children).hash(&mut h);
                for &i in &listing.items {
                    self.dataset(i).hash(&mut h);
                }
                write_page_path(path, &listing.base, listing.page);
            }
            Job::FacetIndex(index) => {
                (&index.title, &index.intro, index.section).hash(&mut h);
                index.entries.hash(&mut h);
                path.push_str(&index.path);
            }
            Job::ResourceFile { dataset, resource } => {
                let dataset = &self.site.catalog.datasets[*dataset];
                let resource = &dataset.resources[*resource];
                let ResourceLocation::File {
                    source,
                    size,
                    sha256,
                    ..
                } = &resource.location
                else {
                    return None;
                };
                (source, size, sha256).hash(&mut h);
                let name = resource.published_path().unwrap_or_default();
                push_all(path, &["datasets/", &dataset.id.0, "/", &name]);
            }
            Job::DatasetRdf(i, format) => {
                let dataset = &self.site.catalog.datasets[*i];
                (self.dataset(*i), format).hash(&mut h);
                let extension = format.extension();
                push_all(path, &["datasets/", &dataset.id.0, ".", extension]);
            }
            Job::CatalogRdf(catalog, format) => {
                // Only the first page states the count.
                let total = (catalog.page == 1).then_some(catalog.total_items);
                (
                    &catalog.department,
                    catalog.page,
                    catalog.total_pages,
                    total,
                    format,
                )
                    .hash(&mut h);
                for &i in &catalog.items {
                    self.dataset(i).hash(&mut h);
                }
                write_catalog_path(path, catalog.department.as_deref(), catalog.page, *format);
            }
            Job::Ckan(CkanCall::PackageShow(i)) => {
                let dataset = &self.site.catalog.datasets[*i];
                self.dataset(*i).hash(&mut h);
                path.push_str(&ckan::package_show_path(&dataset.id.0));
            }
            Job::DataPackage(i) => {
                let dataset = &self.site.catalog.datasets[*i];
                self.dataset(*i).hash(&mut h);
                path.push_str(&datapackage::path(&dataset.id.0));
            }
            Job::Whole(file) => {
                // Not the site-wide part: an edited Markdown page leaves them alone.
                let mut h = memo_hasher();
                (file, self.whole).hash(&mut h);
                path.push_str(file.path());
                return Some(h.finish());
            }
            Job::Ckan(CkanCall::List(action)) => {
                let list = CKAN_LISTS.iter().position(|a| a == action);
                list.map(|n| self.ckan_lists[n]).hash(&mut h);
                path.push_str(&ckan::action_path(action));
            }
            Job::Feed(feed) => {
                (&feed.title, &feed.page).hash(&mut h);
                for &i in &feed.items {
                    self.dataset(i).hash(&mut h);
                }
                path.push_str(&feed.path);
            }
            Job::Sitemap(part) => {
                (&part.entries, part.parts).hash(&mut h);
                for i in part.datasets.clone() {
                    h.write_u64(self.model.summaries.get(i).sitemap);
                }
                path.push_str(&part.path);
            }
            _ => return None,
        }
        Some(h.finish())
    }
}

/// Appends each piece to `path`.
fn push_all(path: &mut String, pieces: &[&str]) {
    for piece in pieces {
        path.push_str(piece);
    }
}

/// The key of an output path in [`RenderMemo`].
fn path_key(path: &str) -> u64 {
    memo_hash(path)
}

/// `value` hashed with [`memo_hasher`].
fn memo_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = memo_hasher();
    value.hash(&mut h);
    h.finish()
}

/// What the memo's fingerprints read of a dataset outside its own files, hashed.
fn render_keys(dataset: &Dataset) -> summary::RenderKeys {
    summary::RenderKeys {
        id_key: path_key(&dataset.id.0),
        title_key: path_key(&dataset.title),
        sitemap: memo_hash(&(&dataset.id, dataset.last_change())),
        // What each CKAN list is made of.
        lists: CKAN_LISTS.map(|action| match action {
            "package_list" => memo_hash(&dataset.id),
            "organization_list" => memo_hash(&dataset.department),
            "group_list" => memo_hash(&dataset.domain),
            _ => memo_hash(&dataset.keywords),
        }),
    }
}

/// The hasher of paths and fingerprints in [`RenderMemo`]: a fast one of good quality (a
/// warm render hashes every file's inputs), with a fixed seed so a render is reproducible.
/// The memo lives in memory only, so the choice can change freely.
fn memo_hasher() -> impl Hasher {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::default().build_hasher()
}

pub(crate) fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// What one job produced: a file, a file skipped because its inputs did not change, or
/// nothing because its bytes mention a withheld dataset.
enum Produced {
    File {
        path: String,
        outcome: WriteOutcome,
        is_page: bool,
        len: u64,
        /// The fingerprint of its inputs, for a memoised kind of file.
        fingerprint: Option<u64>,
        /// SHA-256 of its bytes.
        sha256: [u8; 32],
    },
    Skipped {
        /// Its path's key in the memo.
        key: u64,
        is_page: bool,
        len: u64,
    },
    Refused(Vec<Leak>),
}

/// The files of dataset `i`: its page, its resource files, its DCAT documents and its CKAN
/// package. (Every public dataset has its department: validation accepts a record only in a
/// folder with a valid `department.yaml`.)
fn plan_dataset(site: &Site<'_>, i: usize, jobs: &mut Vec<Job>) {
    jobs.push(Job::Dataset(i));
    let resources = &site.catalog.datasets[i].resources;
    for (r, resource) in resources.iter().enumerate() {
        if matches!(resource.location, ResourceLocation::File { .. }) {
            jobs.push(Job::ResourceFile {
                dataset: i,
                resource: r,
            });
        }
    }
    jobs.extend(RdfFormat::ALL.map(|f| Job::DatasetRdf(i, f)));
    jobs.push(Job::Ckan(CkanCall::PackageShow(i)));
    jobs.push(Job::DataPackage(i));
}

/// Every file no one dataset owns: the home page, listings, facets, catalogs, feeds, assets.
fn plan_shared(site: &Site<'_>, model: &SiteModel<'_>) -> Vec<Job> {
    let mut jobs = vec![Job::Home, Job::Regions, Job::NotFound, Job::Search];
    jobs.extend((0..site.pages.len()).map(Job::Page));
    jobs.extend(ASSETS.iter().map(|(p, c)| Job::Asset(p, c)));
    jobs.extend(
        crate::schema::all(site.config)
            .into_iter()
            .map(|(path, schema)| Job::Json(path, schema)),
    );
    let per_page = site.config.per_page;
    let mut listing = |base: String,
                       title: String,
                       intro: String,
                       items: &[usize],
                       section: &'static str,
                       department: Option<String>,
                       trail: Vec<Link>,
                       children: Vec<FacetEntry>| {
        let mut total_pages = items.len().div_ceil(per_page).max(1);
        // Department catalogs are complete; browsing listings go back a fixed number of pages.
        if department.is_none() {
            total_pages = total_pages.min(site.config.listing_pages);
        }
        let shown_items = items.len().min(total_pages * per_page);
        for page in 1..=total_pages {
            let start = (page - 1) * per_page;
            let slice = items[start.min(items.len())..(start + per_page).min(items.len())].to_vec();
            jobs.push(Job::Listing(Box::new(Listing {
                base: base.clone(),
                title: title.clone(),
                intro: intro.clone(),
                items: slice,
                page,
                total_pages,
                total_items: items.len(),
                shown_items,
                section,
                department: department.clone(),
                trail: trail.clone(),
                children: if page == 1 {
                    children.clone()
                } else {
                    Vec::new()
                },
            })));
        }
    };

    listing(
        "datasets/".into(),
        "全部数据集".into(),
        "按更新时间排列，最新的在前。".into(),
        &model.recent,
        "datasets",
        None,
        vec![],
        vec![],
    );
    listing(
        "high-value/".into(),
        "高价值数据".into(),
        "与民生紧密相关、社会需求迫切的数据集，依第四条优先开放。".into(),
        &model.high_value,
        "datasets",
        None,
        vec![],
        vec![],
    );
    let mut indexes = Vec::new();
    for facet in &model.facets {
        for group in &facet.groups {
            let trail = vec![Link {
                name: facet.title.to_string(),
                url: facet.base.to_string(),
            }];
            listing(
                group.url.clone(),
                group.name.clone(),
                group.intro.clone(),
                &group.items,
                facet.section,
                group.department.clone(),
                trail,
                vec![],
            );
        }
        indexes.push(Job::FacetIndex(Box::new(FacetIndex {
            path: format!("{}index.html", facet.base),
            title: facet.title.to_string(),
            intro: facet.intro.to_string(),
            section: facet.section,
            entries: facet.groups.iter().map(|g| g.entry()).collect(),
        })));
    }
    for region in &model.regions {
        let trail = region
            .trail
            .iter()
            .map(|(code, name)| Link {
                name: name.clone(),
                url: format!("regions/{code}/"),
            })
            .collect();
        listing(
            format!("regions/{}/", region.code),
            region.name.clone(),
            format!("{}及其下辖地区的数据集。", region.full_name),
            &region.items,
            "regions",
            None,
            trail,
            region.children.clone(),
        );
    }
    jobs.extend(indexes);
    plan_metadata(site, model, &mut jobs);
    jobs
}

/// The machine-readable files no one dataset owns: catalog pages, themes, CKAN lists, feeds,
/// sitemap, robots.txt.
fn plan_metadata(site: &Site<'_>, model: &SiteModel<'_>, jobs: &mut Vec<Job>) {
    let datasets = &site.catalog.datasets;
    jobs.extend(CKAN_LISTS.map(|action| Job::Ckan(CkanCall::List(action))));
    jobs.extend(WholeCatalog::ALL.map(Job::Whole));
    // A dataset's page is chosen by its id (see `dcat::page_of`), not its rank: adding,
    // editing or taking down one dataset rewrites its own page (and the first, which carries
    // the count), never shifts the others.
    let mut catalog = |department: Option<String>, items: Vec<usize>| {
        let total_pages = dcat::page_count(items.len());
        let mut pages: Vec<Vec<usize>> = vec![Vec::new(); total_pages];
        for &i in &items {
            let spread = model.summaries.get(i).page_spread;
            pages[dcat::page_by_spread(spread, total_pages) - 1].push(i);
        }
        for (n, items_on_page) in pages.into_iter().enumerate() {
            let page = std::sync::Arc::new(CatalogJob {
                department: department.clone(),
                items: items_on_page,
                page: n + 1,
                total_pages,
                total_items: items.len(),
                body: Default::default(),
                formats_left: AtomicUsize::new(RdfFormat::ALL.len()),
            });
            jobs.extend(RdfFormat::ALL.map(|format| Job::CatalogRdf(page.clone(), format)));
        }
    };
    catalog(None, (0..datasets.len()).collect());
    for group in model.facets.iter().flat_map(|f| &f.groups) {
        if let Some(code) = &group.department {
            let mut items = group.items.clone();
            // Catalog order is id order: stable pages while datasets change.
            items.sort_unstable();
            catalog(Some(code.clone()), items);
        }
    }
    jobs.extend(RdfFormat::ALL.map(Job::Themes));

    // Feeds of new and updated datasets: the portal's, each department's, each domain's.
    let newest = |items: &[usize]| items.iter().copied().take(atom::ENTRIES).collect();
    jobs.push(Job::Feed(Box::new(FeedJob {
        path: atom::SITE_FEED.into(),
        title: format!("{}：新增和更新的数据集", site.config.title),
        page: "datasets/".into(),
        items: newest(&model.recent),
    })));
    for facet in model.facets.iter().filter(|f| has_feeds(f.base)) {
        for group in &facet.groups {
            jobs.push(Job::Feed(Box::new(FeedJob {
                path: atom::feed_path(&group.url),
                title: format!("{}：新增和更新的数据集", group.name),
                page: group.url.clone(),
                items: newest(&group.items),
            })));
        }
    }

    // Every page worth a search engine's visit.
    let mut entries = vec![
        sitemap::Entry {
            path: String::new(),
            modified: Some(site.build_date),
        },
        sitemap::Entry {
            path: "datasets/".into(),
            modified: Some(site.build_date),
        },
        sitemap::Entry {
            path: "regions/".into(),
            modified: None,
        },
        sitemap::Entry {
            path: "notices/".into(),
            modified: site.notices.iter().map(|n| n.published.date()).max(),
        },
        sitemap::Entry {
            path: "applications/".into(),
            modified: None,
        },
        sitemap::Entry {
            path: "plans/".into(),
            modified: Some(site.build_date),
        },
        sitemap::Entry {
            path: "demands/".into(),
            modified: site.demands.iter().map(|d| d.last_change()).max(),
        },
        sitemap::Entry {
            path: "apps/".into(),
            modified: site.apps.iter().map(|a| a.published).max(),
        },
        sitemap::Entry {
            path: "evaluation/".into(),
            modified: Some(site.build_date),
        },
        sitemap::Entry {
            path: "takedowns/".into(),
            modified: site
                .catalog
                .takedowns
                .iter()
                .map(|t| t.takedown.updated())
                .max(),
        },
    ];
    entries.extend(site.pages.iter().map(|p| sitemap::Entry {
        path: format!("{}/", p.slug),
        modified: None,
    }));
    for facet in &model.facets {
        entries.push(sitemap::Entry {
            path: facet.base.to_string(),
            modified: None,
        });
        entries.extend(facet.groups.iter().map(|g| sitemap::Entry {
            path: g.url.clone(),
            modified: None,
        }));
    }
    entries.extend(model.regions.iter().map(|r| sitemap::Entry {
        path: format!("regions/{}/", r.code),
        modified: None,
    }));
    entries.extend(site.demands.iter().map(|d| sitemap::Entry {
        path: format!("demands/{}/", d.id),
        modified: Some(d.last_change()),
    }));
    let total = entries.len() + datasets.len();
    if total <= sitemap::MAX_URLS {
        jobs.push(Job::Sitemap(Box::new(SitemapJob {
            path: "sitemap.xml".into(),
            entries,
            datasets: 0..datasets.len(),
            parts: None,
        })));
    } else {
        let parts = sitemap_parts(entries.len(), datasets.len(), sitemap::MAX_URLS);
        let count = parts.len();
        for (n, (own, datasets)) in parts.into_iter().enumerate() {
            jobs.push(Job::Sitemap(Box::new(SitemapJob {
                path: sitemap::part_path(n + 1),
                entries: entries[own].to_vec(),
                datasets,
                parts: None,
            })));
        }
        let parts = count;
        jobs.push(Job::Sitemap(Box::new(SitemapJob {
            path: "sitemap.xml".into(),
            entries: Vec::new(),
            datasets: 0..0,
            parts: Some(parts),
        })));
    }
    jobs.push(Job::Text("robots.txt", sitemap::robots(&model.addresses)));
    let statistics = serde_json::to_value(applications::statistics(
        site,
        crate::calendar::WorkCalendar::official(),
    ))
    .unwrap_or_default();
    jobs.push(Job::Json(applications::JSON, statistics.clone()));
    jobs.push(Job::Applications(Box::new(statistics)));
    let scorecards =
        serde_json::to_value(evaluation::evaluation(site, model.summaries)).unwrap_or_default();
    jobs.push(Job::Json(evaluation::JSON, scorecards.clone()));
    jobs.push(Job::Evaluation(Box::new(scorecards)));
    jobs.extend((0..site.demands.len()).map(Job::Demand));
    jobs.extend([
        Job::Plans,
        Job::Demands,
        Job::Showcase,
        Job::Notices,
        Job::Takedowns,
        Job::Announcements(Announcements::Notices),
        Job::Announcements(Announcements::Withdrawals),
    ]);
}

/// The path and bytes of a static CKAN API file.
fn ckan_file(
    call: CkanCall,
    site: &Site<'_>,
    addresses: &dcat::Addresses,
) -> (String, Vec<u8>, bool) {
    match call {
        CkanCall::PackageShow(i) => {
            let dataset = &site.catalog.datasets[i];
            let department = &site.catalog.departments[&dataset.department];
            let package =
                ckan::package_show(dataset, department, site.config, site.divisions, addresses);
            (
                ckan::package_show_path(&dataset.id.0),
                ckan::envelope(addresses, "package_show", package),
                false,
            )
        }
        CkanCall::List(action) => {
            let result = match action {
                "package_list" => ckan::package_list(site.catalog),
                "organization_list" => ckan::organization_list(site.catalog),
                "group_list" => ckan::group_list(site.catalog, site.config),
                _ => ckan::tag_list(site.catalog),
            };
            (
                ckan::action_path(action),
                ckan::envelope(addresses, action, result),
                false,
            )
        }
    }
}

/// Whether the groups of a facet (by its base folder) have feeds: departments and domains.
fn has_feeds(facet_base: &str) -> bool {
    matches!(facet_base, "departments/" | "domains/")
}

/// The feed of a listing, when it has one: a department's or a domain's first folder.
fn feed_of(listing_base: &str) -> Option<String> {
    let (facet, rest) = listing_base.split_once('/')?;
    let is_group = !rest.is_empty() && rest.matches('/').count() == 1;
    (is_group && has_feeds(&format!("{facet}/"))).then(|| atom::feed_path(listing_base))
}

/// Splits a sitemap of `own` portal pages followed by `datasets` dataset pages into parts of
/// at most `max` URLs: for each part, its range of portal pages and its range of datasets.
fn sitemap_parts(
    own: usize,
    datasets: usize,
    max: usize,
) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let total = own + datasets;
    (0..total.div_ceil(max))
        .map(|n| {
            let (start, end) = (n * max, ((n + 1) * max).min(total));
            let in_datasets = |at: usize| at.max(own) - own;
            (
                start.min(own)..end.min(own),
                in_datasets(start)..in_datasets(end),
            )
        })
        .collect()
}

/// Path depth → prefix that leads back to the site root.
fn root_prefix(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    }
}

fn page_path(base: &str, page: usize) -> String {
    let mut path = String::new();
    write_page_path(&mut path, base, page);
    path
}

/// Appends [`page_path`] to `path`.
fn write_page_path(path: &mut String, base: &str, page: usize) {
    use std::fmt::Write;
    path.push_str(base);
    if page > 1 {
        let _ = write!(path, "page/{page}/");
    }
    path.push_str("index.html");
}

fn page_url(base: &str, page: usize) -> String {
    if page <= 1 {
        base.to_string()
    } else {
        format!("{base}page/{page}/")
    }
}

fn run(
    job: &Job,
    site: &Site<'_>,
    model: &SiteModel<'_>,
    tera: &Tera,
    output: &Output,
) -> Result<Produced, RenderError> {
    let (path, bytes, is_page): (String, Vec<u8>, bool) = match job {
        Job::Asset(path, content) => (path.to_string(), content.as_bytes().to_vec(), false),
        Job::Json(path, value) => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            (path.to_string(), text.into_bytes(), false)
        }
        Job::DatasetRdf(..) | Job::CatalogRdf(..) | Job::Themes(..) => {
            metadata_file(job, site, &model.addresses)?
        }
        Job::Sitemap(part) => {
            let xml = match part.parts {
                Some(parts) => sitemap::index(&model.addresses, parts),
                None => sitemap::urlset(&model.addresses, &part.all_entries(site)),
            };
            (part.path.clone(), xml.into_bytes(), false)
        }
        Job::Text(path, text) => (path.to_string(), text.clone().into_bytes(), false),
        Job::Announcements(feed) => {
            let (path, xml) = match feed {
                Announcements::Notices => (
                    atom::NOTICES_FEED,
                    atom::notices_feed(
                        &model.addresses,
                        site.config,
                        site.notices,
                        site.build_date,
                    ),
                ),
                Announcements::Withdrawals => (
                    atom::WITHDRAWALS_FEED,
                    atom::withdrawals_feed(
                        &model.addresses,
                        site.config,
                        &site.catalog.takedowns,
                        site.build_date,
                    ),
                ),
            };
            (path.to_string(), xml.into_bytes(), false)
        }
        Job::Ckan(call) => ckan_file(*call, site, &model.addresses),
        Job::DataPackage(i) => {
            let dataset = &site.catalog.datasets[*i];
            let department = &site.catalog.departments[&dataset.department];
            let bytes = datapackage::descriptor(dataset, department, &model.addresses);
            (datapackage::path(&dataset.id.0), bytes, false)
        }
        Job::Whole(file) => {
            // Streamed to disk: together these files are some 160 MB at 100,000 datasets.
            let written = output.write_streamed(file.path(), |out| match file {
                WholeCatalog::DataJson => pod::write_data_json(
                    out,
                    site.catalog,
                    site.config,
                    site.divisions,
                    &model.addresses,
                    site.build_date,
                ),
                WholeCatalog::Spreadsheet => spreadsheet::write_catalog_csv(
                    out,
                    site.catalog,
                    site.config,
                    site.divisions,
                    &model.addresses,
                ),
            });
            let path = file.path().to_string();
            return match written {
                Ok((outcome, len, sha256)) => produced(path, Ok(outcome), false, len, sha256),
                Err(err) => produced(path, Err(err), false, 0, [0; 32]),
            };
        }
        Job::Feed(feed) => {
            let info = atom::FeedInfo {
                path: &feed.path,
                title: &feed.title,
                page: &feed.page,
            };
            let datasets = feed.items.iter().map(|&i| &*site.catalog.datasets[i]);
            let xml = atom::feed(
                &model.addresses,
                site.config,
                site.catalog,
                &info,
                datasets,
                site.build_date,
            );
            (feed.path.clone(), xml.into_bytes(), false)
        }
        Job::ResourceFile { dataset, resource } => {
            let dataset = &site.catalog.datasets[*dataset];
            let ResourceLocation::File {
                source,
                size,
                sha256,
                ..
            } = &dataset.resources[*resource].location
            else {
                unreachable!("planned only for file resources");
            };
            let path = format!(
                "datasets/{}/{}",
                dataset.id,
                dataset.resources[*resource]
                    .published_path()
                    .unwrap_or_default()
            );
            let written = output.copy(&path, source, *size, sha256);
            // The copy checked the bytes against the record's hash.
            let sha256 = parse_sha256(sha256);
            return produced(path, written, false, *size, sha256);
        }
        _ => {
            let (path, template, context) = context_for(job, site, model);
            let html = tera.render(template, &context).map_err(template_error)?;
            (path, html.into_bytes(), true)
        }
    };
    let written = output.write(&path, &bytes);
    let sha256 = sha256_of(&bytes);
    produced(path, written, is_page, bytes.len() as u64, sha256)
}

/// SHA-256 of bytes.
fn sha256_of(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// A SHA-256 from its hex form (validated when the record was read).
fn parse_sha256(hex: &str) -> [u8; 32] {
    let mut bytes = [0; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            .unwrap_or_default();
    }
    bytes
}

impl Alternate {
    /// An Atom feed.
    fn feed(path: String) -> Alternate {
        Alternate {
            path,
            media_type: "application/atom+xml",
        }
    }
}

/// A machine-readable alternate of a page, for `<link rel="alternate">`.
#[derive(Serialize)]
struct Alternate {
    /// Site path.
    path: String,
    /// Media type.
    media_type: &'static str,
}

fn alternates(path_of: impl Fn(RdfFormat) -> String) -> Vec<Alternate> {
    RdfFormat::ALL
        .map(|f| Alternate {
            path: path_of(f),
            media_type: f.media_type(),
        })
        .into()
}

/// The path and bytes of a DCAT file.
fn metadata_file(
    job: &Job,
    site: &Site<'_>,
    addresses: &dcat::Addresses,
) -> Result<(String, Vec<u8>, bool), RenderError> {
    let cx = dcat::Context {
        config: site.config,
        divisions: site.divisions,
        addresses,
    };
    let department_of = |d: &Dataset| site.catalog.departments.get(&d.department);
    let (path, triples, format) = match job {
        Job::DatasetRdf(i, format) => {
            let d = &site.catalog.datasets[*i];
            let triples = department_of(d)
                .map(|dept| dcat::dataset_document(&cx, d, dept))
                .unwrap_or_default();
            (
                format!("datasets/{}.{}", d.id, format.extension()),
                triples,
                *format,
            )
        }
        Job::CatalogRdf(catalog, format) => {
            let code = catalog.department.as_deref();
            let path_of = |page: usize| catalog_path(code, page, *format);
            let page = dcat::CatalogPage {
                department: code.and_then(|code| {
                    site.catalog
                        .departments
                        .get(&crate::model::DeptCode(code.to_string()))
                }),
                datasets: catalog
                    .items
                    .iter()
                    .map(|&i| &*site.catalog.datasets[i])
                    .filter_map(|d| Some((d, department_of(d)?)))
                    .collect(),
                page: catalog.page,
                total_pages: catalog.total_pages,
                total_items: catalog.total_items,
                path_of: &path_of,
            };
            let path = path_of(catalog.page);
            let (head, nodes) = dcat::catalog_head(&cx, &page);
            let body = catalog.body(|| dcat::catalog_body(&cx, &page, nodes));
            let triples: Vec<&oxrdf::Triple> = head.iter().chain(body.iter()).collect();
            return serialised(path, *format, dcat::grouped_refs(&triples));
        }
        Job::Themes(format) => (
            format!("themes.{}", format.extension()),
            dcat::themes_document(&cx),
            *format,
        ),
        _ => unreachable!("only metadata jobs"),
    };
    serialised(path, format, &triples)
}

/// The path and bytes of `triples` in `format`.
fn serialised<'a>(
    path: String,
    format: RdfFormat,
    triples: impl IntoIterator<Item = &'a oxrdf::Triple>,
) -> Result<(String, Vec<u8>, bool), RenderError> {
    match format.serialise(triples) {
        Ok(bytes) => Ok((path, bytes, false)),
        Err(source) => Err(RenderError::Write { path, source }),
    }
}

fn produced(
    path: String,
    written: Result<WriteOutcome, WriteError>,
    is_page: bool,
    len: u64,
    sha256: [u8; 32],
) -> Result<Produced, RenderError> {
    match written {
        Ok(outcome) => Ok(Produced::File {
            path,
            outcome,
            is_page,
            len,
            fingerprint: None,
            sha256,
        }),
        Err(WriteError::Leak(leaks)) => Ok(Produced::Refused(leaks)),
        Err(WriteError::Io(source)) => Err(RenderError::Write { path, source }),
    }
}

fn base_context(
    site: &Site<'_>,
    model: &SiteModel<'_>,
    path: &str,
    title: &str,
    section: &str,
) -> Context {
    let mut context = Context::new();
    context.insert("site", &model.site);
    context.insert("root", &root_prefix(path));
    context.insert("page_title", title);
    context.insert("section", section);
    context.insert("build_date", &site.build_date.to_string());
    context
}

fn context_for(
    job: &Job,
    site: &Site<'_>,
    model: &SiteModel<'_>,
) -> (String, &'static str, Context) {
    match job {
        Job::Home => {
            let path = "index.html".to_string();
            let mut c = base_context(site, model, &path, &site.config.title, "home");
            c.insert("home", &model.home);
            let catalog =
                schema_org::catalog(site.config, &model.addresses, site.catalog.datasets.len());
            c.insert("json_ld", &schema_org::for_script(&catalog));
            let mut links = alternates(|f| catalog_path(None, 1, f));
            links.push(Alternate::feed(atom::SITE_FEED.into()));
            c.insert("alternates", &links);
            let newest = model.cards_of(site, model.recent.iter().copied().take(8));
            let high_value = model.cards_of(site, model.high_value.iter().copied().take(6));
            c.insert("newest", &newest);
            c.insert("high_value", &high_value);
            (path, "home.html", c)
        }
        Job::Dataset(i) => {
            let dataset = &site.catalog.datasets[*i];
            let path = format!("datasets/{}/index.html", dataset.id);
            let mut c = base_context(site, model, &path, &dataset.title, "datasets");
            c.insert("dataset", &DatasetView::new(dataset, site));
            if let Some(department) = site.catalog.departments.get(&dataset.department) {
                let described = schema_org::dataset(
                    dataset,
                    department,
                    site.config,
                    site.divisions,
                    &model.addresses,
                );
                c.insert("json_ld", &schema_org::for_script(&described));
                c.insert(
                    "alternates",
                    &alternates(|f| format!("datasets/{}.{}", dataset.id, f.extension())),
                );
            }
            c.insert("department", &model.departments[&dataset.department.0]);
            let related = model.cards_of(site, model.related(*i));
            c.insert("related", &related);
            c.insert(
                "apps",
                &workflows::app_links(model.apps_of(*i).map(|n| &site.apps[n])),
            );
            (path, "dataset.html", c)
        }
        Job::Listing(listing) => {
            let path = page_path(&listing.base, listing.page);
            let title = if listing.page > 1 {
                format!("{}（第 {} 页）", listing.title, listing.page)
            } else {
                listing.title.clone()
            };
            let mut c = base_context(site, model, &path, &title, listing.section);
            let cards = model.cards_of(site, listing.items.iter().copied());
            c.insert("heading", &listing.title);
            c.insert("intro", &listing.intro);
            c.insert("cards", &cards);
            c.insert("total_items", &listing.total_items);
            c.insert("shown_items", &listing.shown_items);
            c.insert("last_page", &(listing.page == listing.total_pages));
            c.insert(
                "pager",
                &Pager::new(&listing.base, listing.page, listing.total_pages),
            );
            c.insert("trail", &listing.trail);
            c.insert("children", &listing.children);
            let mut links = Vec::new();
            if let Some(code) = &listing.department {
                c.insert("department", &model.departments[code]);
                links = alternates(|f| catalog_path(Some(code), 1, f));
            } else if listing.base == "datasets/" {
                links = alternates(|f| catalog_path(None, 1, f));
                links.push(Alternate::feed(atom::SITE_FEED.into()));
            }
            links.extend(feed_of(&listing.base).map(Alternate::feed));
            if !links.is_empty() {
                c.insert("alternates", &links);
            }
            (path, "listing.html", c)
        }
        Job::FacetIndex(index) => {
            let mut c = base_context(site, model, &index.path, &index.title, index.section);
            c.insert("heading", &index.title);
            c.insert("intro", &index.intro);
            c.insert("entries", &index.entries);
            (index.path.clone(), "facet_index.html", c)
        }
        Job::Regions => {
            let path = "regions/index.html".to_string();
            let mut c = base_context(site, model, &path, "按地区浏览", "regions");
            c.insert("rows", &model.region_rows);
            (path, "regions.html", c)
        }
        Job::Page(i) => {
            let page = &site.pages[*i];
            let path = format!("{}/index.html", page.slug);
            let mut c = base_context(site, model, &path, &page.title, &page.slug);
            c.insert("markdown", &page.markdown);
            (path, "page.html", c)
        }
        Job::NotFound => {
            // Served for any missing path, so its links must not be relative to it.
            let path = "404.html".to_string();
            let mut c = base_context(site, model, &path, "页面不存在", "");
            c.insert("root", &site_root_path(&site.config.base_url));
            (path, "404.html", c)
        }
        Job::Search => {
            let path = "search/index.html".to_string();
            let c = base_context(site, model, &path, "搜索", "search");
            (path, "search.html", c)
        }
        Job::Notices => {
            let path = workflows::NOTICES_PAGE.to_string();
            let mut c = base_context(site, model, &path, "维护通知", "notices");
            c.insert(
                "notices",
                &workflows::notice_views(site.notices, site.build_date),
            );
            c.insert("alternates", &[Alternate::feed(atom::NOTICES_FEED.into())]);
            (path, "notices.html", c)
        }
        Job::Plans => {
            let path = workflows::PLANS_PAGE.to_string();
            let mut c = base_context(site, model, &path, "年度开放计划", "plans");
            c.insert("years", &workflows::plan_years(site));
            (path, "plans.html", c)
        }
        Job::Demands => {
            let path = workflows::DEMANDS_PAGE.to_string();
            let mut c = base_context(site, model, &path, "数据开放需求", "demands");
            let demands = workflows::demand_views(
                site.demands,
                site,
                crate::calendar::WorkCalendar::official(),
            );
            c.insert("demands", &demands);
            let mut departments: Vec<(&str, &str)> = demands
                .iter()
                .map(|d| (d.department_code(), d.department_name()))
                .collect();
            departments.sort_unstable();
            departments.dedup();
            c.insert("departments", &departments);
            use crate::model::{DemandStatus, Vocabulary};
            let statuses: Vec<(&str, &str)> = DemandStatus::ALL
                .iter()
                .map(|s| (s.slug(), s.label()))
                .collect();
            c.insert("statuses", &statuses);
            (path, "demands.html", c)
        }
        Job::Demand(i) => {
            let demand = &site.demands[*i];
            let path = workflows::demand_page(demand);
            let mut c = base_context(site, model, &path, &demand.title, "demands");
            let views = workflows::demand_views(
                std::slice::from_ref(demand),
                site,
                crate::calendar::WorkCalendar::official(),
            );
            c.insert("demand", &views[0]);
            (path, "demand.html", c)
        }
        Job::Showcase => {
            let path = workflows::SHOWCASE_PAGE.to_string();
            let mut c = base_context(site, model, &path, "应用案例", "apps");
            c.insert("apps", &workflows::app_views(site));
            (path, "showcase.html", c)
        }
        Job::Applications(statistics) => {
            let path = applications::PAGE.to_string();
            let mut c = base_context(site, model, &path, "有条件开放数据申请统计", "applications");
            c.insert("statistics", statistics);
            (path, "applications.html", c)
        }
        Job::Evaluation(scorecards) => {
            let path = evaluation::PAGE.to_string();
            let mut c = base_context(site, model, &path, "数据开放评价", "evaluation");
            c.insert("evaluation", scorecards);
            (path, "evaluation.html", c)
        }
        Job::Takedowns => {
            let path = workflows::TAKEDOWNS_PAGE.to_string();
            let mut c = base_context(site, model, &path, "数据异议处理公示", "takedowns");
            c.insert(
                "takedowns",
                &workflows::takedown_rows(&site.catalog.takedowns),
            );
            c.insert(
                "alternates",
                &[Alternate::feed(atom::WITHDRAWALS_FEED.into())],
            );
            (path, "takedowns.html", c)
        }
        Job::Asset(..)
        | Job::Json(..)
        | Job::ResourceFile { .. }
        | Job::DatasetRdf(..)
        | Job::CatalogRdf(..)
        | Job::Themes(..)
        | Job::Sitemap(..)
        | Job::Feed(..)
        | Job::Ckan(..)
        | Job::DataPackage(..)
        | Job::Whole(..)
        | Job::Announcements(..)
        | Job::Text(..) => unreachable!("not templated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_parts_cover_every_page_once_in_order() {
        for (own, datasets, max) in [(3, 10, 5), (5, 5, 5), (7, 0, 3), (0, 7, 3), (2, 1, 10)] {
            let parts = super::sitemap_parts(own, datasets, max);
            let mut seen = Vec::new();
            for (pages, items) in &parts {
                assert!(pages.len() + items.len() <= max, "{own} {datasets} {max}");
                assert!(pages.len() + items.len() > 0, "an empty part");
                seen.extend(pages.clone());
                seen.extend(items.clone().map(|i| own + i));
            }
            assert_eq!(seen, (0..own + datasets).collect::<Vec<_>>());
        }
    }

    #[test]
    fn escapes_markup_but_not_slashes() {
        assert_eq!(
            escape_html(r#"<a href="x">'公交' & 站点</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;公交&#39; &amp; 站点&lt;/a&gt;"
        );
        assert_eq!(escape_html("../datasets/"), "../datasets/");
    }
}

/// Pagination links for one listing page.
#[derive(Serialize)]
struct Pager {
    current: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<PagerItem>,
}

#[derive(Serialize)]
struct PagerItem {
    number: usize,
    url: Option<String>,
    current: bool,
    gap: bool,
}

impl Pager {
    fn new(base: &str, current: usize, total: usize) -> Pager {
        let mut pages = Vec::new();
        let mut last = 0;
        for n in 1..=total {
            if n == 1 || n == total || n.abs_diff(current) <= 2 {
                if last != 0 && n > last + 1 {
                    pages.push(PagerItem {
                        number: 0,
                        url: None,
                        current: false,
                        gap: true,
                    });
                }
                pages.push(PagerItem {
                    number: n,
                    url: Some(page_url(base, n)),
                    current: n == current,
                    gap: false,
                });
                last = n;
            }
        }
        Pager {
            current,
            total,
            prev: (current > 1).then(|| page_url(base, current - 1)),
            next: (current < total).then(|| page_url(base, current + 1)),
            pages,
        }
    }
}

fn is_stale(dataset: &Dataset, today: NaiveDate) -> bool {
    stale_on(
        dataset.update_frequency.allowed_age_days(),
        dataset.last_change(),
        today,
    )
}

/// Whether a dataset last changed on `last` is stale on `today` when its update frequency
/// allows `allowed_age_days` between updates (grace included); irregular or undated data
/// never is.
fn stale_on(allowed_age_days: Option<i64>, last: Option<NaiveDate>, today: NaiveDate) -> bool {
    match (allowed_age_days, last) {
        (Some(days), Some(last)) => (today - last).num_days() > days,
        _ => false,
    }
}

/// The path part of the site's public address ("/" when unknown), for pages served at any depth.
fn site_root_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or("", |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}
