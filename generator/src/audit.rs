//! Audit: no output file may mention a withheld dataset (its id or its title).
//!
//! Every file the build produces is scanned before it is written, so a leak never reaches the
//! output folder; at the end of the build every file in the folder that was not scanned on the
//! way in is read and scanned. Any hit fails the build.

use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};
use rayon::prelude::*;
use serde::Serialize;

use crate::policy::Withheld;

/// One leaked mention of a withheld dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leak {
    /// Output file, relative to the output root.
    pub file: String,
    /// The withheld dataset's id.
    pub dataset: String,
    /// What was found: its id or its title.
    pub found: String,
}

/// The files that announce takedowns (第二十二条): the public notice and the withdrawals
/// feed. In these alone, a withheld dataset the catalog announces
/// ([`crate::policy::PublicCatalog::announced`]) may be named; every other withheld dataset
/// is looked for there as everywhere.
pub const ANNOUNCING_FILES: &[&str] = &["takedowns/index.html", "feeds/withdrawals.atom"];

/// A withheld id or title to look for.
#[derive(Clone, PartialEq, Eq)]
struct Pattern {
    text: String,
    dataset: String,
    /// Whether it is a form of the id (not of the title).
    is_id: bool,
    /// Whether it ends in the id, and counts only where no slug character follows (so a
    /// withheld `bus` is not seen in `datasets/bus-stops/`).
    bounded: bool,
}

/// The folder of the record schemas, which the program and `site.toml` alone make: no record
/// reaches them, and their keys and vocabularies (`"summary"`, `"suspended"`) are words a
/// dataset id may be. Titles are still looked for there.
const SCHEMA_FOLDER: &str = "schema/";

/// Finds mentions of withheld datasets in bytes and files.
pub struct Auditor {
    matcher: AhoCorasick,
    patterns: Vec<Pattern>,
    longest: usize,
    /// The texts looked for, sorted and without repeats: two auditors with the same texts
    /// audit alike.
    texts: Vec<String>,
    /// The catalog facts the texts were last found to follow from (see
    /// [`Auditor::for_catalog_reusing`]), when known.
    made_from: std::sync::Mutex<Option<([usize; 3], Vec<String>)>>,
    /// Withheld datasets that [`ANNOUNCING_FILES`] may name.
    announced: BTreeSet<String>,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("patterns", &self.patterns.len())
            .field("texts", &self.texts.len())
            .finish()
    }
}

impl Auditor {
    /// The auditor of a public catalog: its withheld datasets, minus what public ones share.
    pub fn for_catalog(
        catalog: &crate::policy::PublicCatalog,
    ) -> Result<Option<Auditor>, aho_corasick::BuildError> {
        let shared = SharedWithPublic::of_catalog(catalog);
        let auditor =
            Auditor::from_patterns(patterns(&catalog.withheld, &shared.titles, &shared.ids))?;
        Ok(auditor.map(|mut a| {
            a.announced.clone_from(&catalog.announced);
            a
        }))
    }

    /// As [`Auditor::for_catalog`], given what the withheld datasets share with public ones;
    /// hands back `previous` itself when it looks for exactly the same texts (the usual case
    /// between two builds), so its automaton is not built again. `scans_whole` says whether
    /// the automaton is for a one-off build that scans its output whole: then it is made for
    /// scanning speed; otherwise (writes scan only what changed, and a long-running process
    /// keeps it) for a quick build and little memory.
    pub fn for_catalog_reusing(
        catalog: &crate::policy::PublicCatalog,
        shared: &SharedWithPublic<'_>,
        previous: Option<&Arc<Auditor>>,
        scans_whole: bool,
    ) -> Result<Option<Arc<Auditor>>, aho_corasick::BuildError> {
        // The texts follow from the withheld datasets and what they share with public ones:
        // when those are the same, so is the auditor, and its thousands of texts are not
        // made again to be compared.
        let made_from = shared.facts(&catalog.withheld);
        if let Some(previous) = previous
            && previous.made_from_equals(&made_from)
        {
            return Ok(Some(previous.announcing(&catalog.announced)));
        }
        let patterns = patterns(&catalog.withheld, &shared.titles, &shared.ids);
        let auditor = match previous {
            // The same texts of the same datasets: which dataset a text belongs to decides
            // what the announcing files may name.
            Some(previous) if previous.patterns == patterns => {
                Some(previous.announcing(&catalog.announced))
            }
            _ => Auditor::with_kind(patterns, scans_whole)?.map(|mut a| {
                a.announced.clone_from(&catalog.announced);
                Arc::new(a)
            }),
        };
        if let Some(auditor) = &auditor {
            *auditor.made_from.lock().unwrap_or_else(|e| e.into_inner()) = Some((
                made_from.lengths,
                made_from.texts.iter().map(|t| t.to_string()).collect(),
            ));
        }
        Ok(auditor)
    }

    /// This auditor, letting [`ANNOUNCING_FILES`] name `announced`: itself when it already
    /// does, else a copy sharing its automaton.
    fn announcing(self: &Arc<Self>, announced: &BTreeSet<String>) -> Arc<Auditor> {
        if self.announced == *announced {
            return Arc::clone(self);
        }
        let made_from = self
            .made_from
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Arc::new(Auditor {
            matcher: self.matcher.clone(),
            patterns: self.patterns.clone(),
            longest: self.longest,
            texts: self.texts.clone(),
            made_from: std::sync::Mutex::new(made_from),
            announced: announced.clone(),
        })
    }

    /// Whether this auditor's texts were last found to follow from `facts`.
    fn made_from_equals(&self, facts: &Facts<'_>) -> bool {
        let known = self.made_from.lock().unwrap_or_else(|e| e.into_inner());
        known.as_ref().is_some_and(|(lengths, texts)| {
            *lengths == facts.lengths
                && texts
                    .iter()
                    .map(String::as_str)
                    .eq(facts.texts.iter().copied())
        })
    }

    /// An auditor for these withheld datasets; `None` when nothing is withheld.
    ///
    /// Titles that a public dataset also carries are skipped: they say nothing about the
    /// withheld one.
    /// Ids of public datasets are skipped the same way (a rejected record may claim one).
    #[cfg(test)]
    pub fn new(
        withheld: &[Withheld],
        public_titles: &[&str],
        public_ids: &[&str],
    ) -> Result<Option<Auditor>, aho_corasick::BuildError> {
        let public_titles: HashSet<&str> = public_titles.iter().copied().collect();
        let public_ids: HashSet<&str> = public_ids.iter().copied().collect();
        Auditor::from_patterns(patterns(withheld, &public_titles, &public_ids))
    }

    /// The auditor for what this one looks for and `older` did not: a file that passed
    /// `older` passes this one too when it passes the result. `None` when nothing is new;
    /// this very auditor when there was none before.
    pub fn beyond(
        self: &Arc<Self>,
        older: Option<&Auditor>,
    ) -> Result<Option<Arc<Auditor>>, aho_corasick::BuildError> {
        let Some(older) = older else {
            return Ok(Some(Arc::clone(self)));
        };
        if std::ptr::eq(&**self, older) || older.texts == self.texts {
            return Ok(None);
        }
        let known: HashSet<&str> = older.texts.iter().map(String::as_str).collect();
        let new = self
            .patterns
            .iter()
            .filter(|p| !known.contains(p.text.as_str()))
            .cloned()
            .collect();
        Ok(Auditor::from_patterns(new)?.map(|mut a| {
            a.announced.clone_from(&self.announced);
            Arc::new(a)
        }))
    }

    fn from_patterns(patterns: Vec<Pattern>) -> Result<Option<Auditor>, aho_corasick::BuildError> {
        Auditor::with_kind(patterns, true)
    }

    /// An auditor for `patterns`; a full DFA when `fast_scan`, else the default automaton.
    fn with_kind(
        patterns: Vec<Pattern>,
        fast_scan: bool,
    ) -> Result<Option<Auditor>, aho_corasick::BuildError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        // With the 18,000 texts of 3,000 withheld datasets, a full DFA scans about 1.5 times
        // faster than the default automaton, but takes about four times as long to build
        // (50 against 12 ms) and 37 MB instead of 1. When a DFA would be too large, the
        // default automaton does the same job. An auditor that cannot be built fails the
        // build: there is no unaudited output.
        let texts = || patterns.iter().map(|p| p.text.as_bytes());
        let kind = fast_scan.then_some(AhoCorasickKind::DFA);
        let matcher = AhoCorasickBuilder::new()
            .kind(kind)
            .build(texts())
            .or_else(|_| AhoCorasickBuilder::new().build(texts()))?;
        let longest = patterns.iter().map(|p| p.text.len()).max().unwrap_or(0);
        let texts = texts_of(&patterns);
        Ok(Some(Auditor {
            matcher,
            patterns,
            longest,
            texts,
            made_from: Default::default(),
            announced: BTreeSet::new(),
        }))
    }

    /// Whether it looks for a dataset's id: a dataset is withheld, not only (for one that
    /// was already) a new title.
    pub fn looks_for_ids(&self) -> bool {
        self.patterns.iter().any(|p| p.is_id)
    }

    /// The texts this auditor looks for, sorted.
    pub fn looks_for(&self) -> &[String] {
        &self.texts
    }

    /// Mentions in `bytes`, reported against the output path `file`. Gzip data (the search
    /// index stores every file compressed) is scanned decompressed as well.
    pub fn scan(&self, file: &str, bytes: &[u8]) -> Vec<Leak> {
        let mut found = self.scan_plain(file, bytes);
        if let Some(plain) = gunzip_bounded(bytes) {
            add_leaks(&mut found, self.scan_plain(file, &plain));
        }
        found
    }

    /// Mentions in `new` that overlap where it differs from `old`: only those bytes, widened
    /// by the longest text looked for, are scanned. When `old` passed an auditor looking for
    /// a text, a mention of it lying wholly in a prefix or a suffix both share would have been
    /// in `old`; so this finds every mention of the texts `old` was checked for (the others
    /// need a whole scan). Gzip data is scanned whole.
    pub fn scan_replacing(&self, file: &str, old: &[u8], new: &[u8]) -> Vec<Leak> {
        // What an announcing file may name changes without its texts changing: read it whole.
        if new.starts_with(&GZIP_MAGIC) || ANNOUNCING_FILES.contains(&file) {
            return self.scan(file, new);
        }
        let prefix = shared_prefix(old, new);
        let suffix = shared_suffix(old, new, old.len().min(new.len()) - prefix);
        let start = prefix.saturating_sub(self.longest);
        // One byte more, so a bounded id's next byte is seen.
        let end = (new.len() - suffix + self.longest + 1).min(new.len());
        if start >= end {
            return Vec::new();
        }
        self.scan_plain(file, &new[start..end])
    }

    fn scan_plain(&self, file: &str, bytes: &[u8]) -> Vec<Leak> {
        let mut found: Vec<Leak> = Vec::new();
        let announcing = ANNOUNCING_FILES.contains(&file);
        let schema = file.starts_with(SCHEMA_FOLDER);
        add_leaks(
            &mut found,
            self.matcher.find_overlapping_iter(bytes).filter_map(|m| {
                let pattern = &self.patterns[m.pattern().as_usize()];
                if (announcing && self.announced.contains(&pattern.dataset))
                    || (schema && pattern.is_id)
                    || (pattern.bounded && bytes.get(m.end()).copied().is_some_and(is_slug_byte))
                {
                    return None;
                }
                Some(Leak {
                    file: file.to_string(),
                    dataset: pattern.dataset.clone(),
                    found: pattern.text.clone(),
                })
            }),
        );
        found
    }

    /// Mentions in the file at `path`, read in chunks (resource files can be large).
    pub fn scan_file(&self, file: &str, path: &Path) -> std::io::Result<Vec<Leak>> {
        const CHUNK: u64 = 1 << 20;
        let mut reader = std::fs::File::open(path)?;
        let size = reader.metadata()?.len();
        let overlap = self.longest + 1;
        let mut window: Vec<u8> = Vec::with_capacity(size.min(CHUNK) as usize + overlap);
        (&mut reader).take(CHUNK).read_to_end(&mut window)?;
        if window.starts_with(&GZIP_MAGIC) {
            // Compressed: read whole (index files are small) and scan both forms.
            reader.read_to_end(&mut window)?;
            return Ok(self.scan(file, &window));
        }
        let mut found: Vec<Leak> = Vec::new();
        loop {
            add_leaks(&mut found, self.scan(file, &window));
            // Keep the tail, so a mention across two chunks is still seen.
            let keep = window.len().min(overlap);
            window.drain(..window.len() - keep);
            if (&mut reader).take(CHUNK).read_to_end(&mut window)? == 0 {
                break;
            }
        }
        Ok(found)
    }
}

/// Whether a byte can continue a dataset id.
fn is_slug_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

/// The dataset ids `text` links or names as the portal's addresses do (`datasets/<id>`,
/// `id=<id>`, `package_show/<id>`): what the audit looks for, for checking a record's text
/// before it is rendered.
pub fn linked_ids(text: &str) -> impl Iterator<Item = &str> {
    ["datasets/", "id=", "package_show/"]
        .into_iter()
        .flat_map(move |marker| {
            text.match_indices(marker).filter_map(move |(at, _)| {
                let rest = &text[at + marker.len()..];
                let len = rest.bytes().take_while(|&b| is_slug_byte(b)).count();
                (len > 0).then(|| &rest[..len])
            })
        })
}

/// Adds to `found` each leak of `more` it does not hold yet.
pub(crate) fn add_leaks(found: &mut Vec<Leak>, more: impl IntoIterator<Item = Leak>) {
    for leak in more {
        if !found.contains(&leak) {
            found.push(leak);
        }
    }
}

/// Bytes compared at a time when looking for where two files differ.
const BLOCK: usize = 4096;

/// How many leading bytes `a` and `b` share.
fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .position(|(x, y)| x != y)
        .unwrap_or(n - i)
}

/// How many trailing bytes `a` and `b` share, counting at most `most`.
fn shared_suffix(a: &[u8], b: &[u8], most: usize) -> usize {
    let n = a.len().min(b.len()).min(most);
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    i + a[..n - i]
        .iter()
        .rev()
        .zip(b[..n - i].iter().rev())
        .position(|(x, y)| x != y)
        .unwrap_or(n - i)
}

/// What an auditor's texts follow from (see [`SharedWithPublic::facts`]).
#[derive(Debug, Default)]
struct Facts<'a> {
    lengths: [usize; 3],
    texts: Vec<&'a str>,
}

/// The titles and ids of withheld datasets that a public dataset also carries: they say
/// nothing about the withheld one, so the auditor does not look for them.
#[derive(Debug, Default)]
pub struct SharedWithPublic<'a> {
    titles: HashSet<&'a str>,
    ids: HashSet<&'a str>,
}

impl<'a> SharedWithPublic<'a> {
    /// Everything an auditor's texts follow from: each withheld id and title in order, then
    /// the shared titles and the shared ids, sorted; with the length of each list.
    fn facts<'w>(&self, withheld: &'w [Withheld]) -> Facts<'w>
    where
        'a: 'w,
    {
        let mut texts: Vec<&str> = Vec::with_capacity(2 * withheld.len());
        for w in withheld {
            texts.push(&w.id);
            texts.push(&w.title);
        }
        for set in [&self.titles, &self.ids] {
            let start = texts.len();
            texts.extend(set.iter().copied());
            texts[start..].sort_unstable();
        }
        Facts {
            lengths: [withheld.len(), self.titles.len(), self.ids.len()],
            texts,
        }
    }

    /// Those of `withheld` found among these public titles and ids.
    pub fn among(
        withheld: &'a [Withheld],
        public_titles: &HashSet<&str>,
        public_ids: &HashSet<&str>,
    ) -> SharedWithPublic<'a> {
        SharedWithPublic {
            titles: withheld
                .iter()
                .map(|w| w.title.as_str())
                .filter(|t| public_titles.contains(t))
                .collect(),
            ids: withheld
                .iter()
                .map(|w| w.id.as_str())
                .filter(|id| public_ids.contains(id))
                .collect(),
        }
    }

    /// Those of a public catalog, looking every public dataset up (only withheld titles and
    /// ids are kept, so no set of every public title is built).
    pub fn of_catalog(catalog: &'a crate::policy::PublicCatalog) -> SharedWithPublic<'a> {
        // Every public dataset is looked up: a fast hasher (keyed per process).
        let wanted_titles: foldhash::HashSet<&str> =
            catalog.withheld.iter().map(|w| w.title.as_str()).collect();
        let wanted_ids: foldhash::HashSet<&str> =
            catalog.withheld.iter().map(|w| w.id.as_str()).collect();
        let mut shared = SharedWithPublic::default();
        for dataset in &catalog.datasets {
            if let Some(&title) = wanted_titles.get(dataset.title.as_str()) {
                shared.titles.insert(title);
            }
            if let Some(&id) = wanted_ids.get(dataset.id.0.as_str()) {
                shared.ids.insert(id);
            }
        }
        shared
    }
}

/// What to look for: the printed forms of each withheld id and title that no public dataset
/// shares.
fn patterns(
    withheld: &[Withheld],
    public_titles: &HashSet<&str>,
    public_ids: &HashSet<&str>,
) -> Vec<Pattern> {
    let mut patterns = Vec::new();
    for w in withheld {
        // An id is looked for where the portal would print it: in a link to its page or to
        // one of its documents (`datasets/<id>.ttl`), as its CKAN call, as a JSON string, or
        // as the text of an element. Bare words are left alone, so a withheld `page` or `bus`
        // does not trip over ordinary text; titles catch prose mentions.
        let id_forms = if public_ids.contains(w.id.as_str()) || w.id.is_empty() {
            Vec::new()
        } else {
            vec![
                (format!("datasets/{}", w.id), true),
                (format!("id={}", w.id), true),
                (format!("package_show/{}\"", w.id), false),
                (format!("\"{}\"", w.id), false),
                (format!(">{}<", w.id), false),
            ]
        };
        for (text, bounded) in id_forms {
            patterns.push(Pattern {
                text,
                dataset: w.id.clone(),
                is_id: true,
                bounded,
            });
        }
        if w.title.is_empty() || public_titles.contains(w.title.as_str()) {
            continue;
        }
        // The title as HTML (fully escaped, or `& < >` only, as the Markdown sanitiser
        // writes it) and as JSON may differ from the raw text.
        let json = serde_json::to_string(&w.title).unwrap_or_default();
        let minimal = w
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let mut forms = vec![
            w.title.clone(),
            crate::render::escape_html(&w.title),
            minimal,
            json.trim_matches('"').to_string(),
        ];
        forms.sort();
        forms.dedup();
        for text in forms {
            patterns.push(Pattern {
                text,
                dataset: w.id.clone(),
                is_id: false,
                bounded: false,
            });
        }
    }
    patterns
}

/// The texts of `patterns`, sorted and without repeats.
fn texts_of(patterns: &[Pattern]) -> Vec<String> {
    let mut texts: Vec<String> = patterns.iter().map(|p| p.text.clone()).collect();
    texts.sort_unstable();
    texts.dedup();
    texts
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Decompressed bytes scanned at most (a guard against decompression bombs).
const GUNZIP_LIMIT: u64 = 256 << 20;

/// The decompressed bytes of gzip data, or `None` for anything else (or broken gzip).
fn gunzip_bounded(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return None;
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(GUNZIP_LIMIT)
        .read_to_end(&mut plain)
        .ok()?;
    Some(plain)
}

/// The build-end pass: every file under `root` not in `scanned` is read and scanned.
/// Returns the leaks, sorted.
pub fn scan_unscanned(
    root: &Path,
    auditor: &Auditor,
    scanned: PassedFiles,
) -> std::io::Result<Vec<Leak>> {
    let mut sweep = Sweep::new(scanned);
    Ok(sweep.step(root, auditor, std::time::Duration::MAX)?.leaks)
}

/// Files known to pass an auditor, by a 64-bit hash of their path, as the render memo knows
/// its files: a first build at 100,000 datasets passes some 600,000 files, which as a set of
/// strings took some 70 MB.
#[derive(Debug, Clone, Default)]
pub struct PassedFiles(foldhash::HashSet<u64>);

impl PassedFiles {
    /// Notes that the file at `rel` passed.
    pub fn insert(&mut self, rel: &str) {
        self.0.insert(Self::key(rel));
    }

    /// Whether the file at `rel` passed.
    pub fn contains(&self, rel: &str) -> bool {
        self.0.contains(&Self::key(rel))
    }

    /// Notes the files of `other` too.
    pub fn extend(&mut self, other: PassedFiles) {
        self.0.extend(other.0);
    }

    fn key(rel: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::quality::FixedState::default().hash_one(rel)
    }
}

impl<S: AsRef<str>> FromIterator<S> for PassedFiles {
    fn from_iter<I: IntoIterator<Item = S>>(files: I) -> PassedFiles {
        let mut passed = PassedFiles::default();
        for rel in files {
            passed.insert(rel.as_ref());
        }
        passed
    }
}

/// A read of every file in an output that is not yet known to pass an auditor, done a little
/// at a time (see [`Sweep::step`]) so that a publisher can go on publishing in between.
///
/// Each step reads the folder it is given: the output as it is now. A file a later build wrote
/// was audited on the way in ([`Sweep::passed`]); a file or folder it removed is skipped; so
/// reading each step from whichever release is live audits every file the first one held.
#[derive(Debug)]
pub struct Sweep {
    /// Folders still to list, relative to the root (`""` is the root itself).
    folders: Vec<String>,
    /// Files listed and not yet read, with their sizes.
    files: Vec<(String, u64)>,
    /// Files known to pass: audited on the way in when the sweep began, or written or
    /// checked by a build since.
    passed: PassedFiles,
}

/// What one [`Sweep::step`] found.
#[derive(Debug, Default)]
pub struct SweepStep {
    /// Mentions found, sorted.
    pub leaks: Vec<Leak>,
    /// Files read.
    pub read: usize,
    /// Whether every file has been read.
    pub done: bool,
}

/// Files read between two looks at the clock, at most.
const SWEEP_CHUNK: usize = 256;
/// Bytes read between two looks at the clock, at most (but for a single larger file).
const SWEEP_CHUNK_BYTES: u64 = 8 << 20;

impl Sweep {
    /// A sweep of the whole output, but for `passed` (files audited on the way in).
    pub fn new(passed: PassedFiles) -> Sweep {
        Sweep {
            folders: vec![String::new()],
            files: Vec::new(),
            passed,
        }
    }

    /// Notes files that passed on the way in since (a later build wrote or checked them).
    pub fn passed(&mut self, files: PassedFiles) {
        self.passed.extend(files);
    }

    /// Lists and reads files under `root` with `auditor` until `budget` has passed (at least
    /// one chunk) or every file is read. A file or folder that is gone is skipped: a build
    /// removed it since.
    pub fn step(
        &mut self,
        root: &Path,
        auditor: &Auditor,
        budget: std::time::Duration,
    ) -> std::io::Result<SweepStep> {
        let started = std::time::Instant::now();
        let mut step = SweepStep::default();
        loop {
            while self.files.len() < SWEEP_CHUNK
                && let Some(folder) = self.folders.pop()
            {
                self.list(root, &folder)?;
            }
            if self.files.is_empty() {
                step.done = true;
                break;
            }
            let mut bytes = 0;
            let fit = self
                .files
                .iter()
                .rev()
                .take(SWEEP_CHUNK)
                .take_while(|(_, size)| {
                    bytes += size;
                    bytes <= SWEEP_CHUNK_BYTES
                })
                .count()
                .max(1);
            let mut chunk: Vec<String> = self
                .files
                .split_off(self.files.len() - fit)
                .into_iter()
                .map(|(rel, _)| rel)
                .collect();
            chunk.retain(|rel| !self.passed.contains(rel));
            let found: Vec<Vec<Leak>> = chunk
                .par_iter()
                .map(|rel| match auditor.scan_file(rel, &root.join(rel)) {
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                    scanned => scanned,
                })
                .collect::<std::io::Result<_>>()?;
            step.read += chunk.len();
            step.leaks.extend(found.into_iter().flatten());
            if started.elapsed() >= budget {
                break;
            }
        }
        sort(&mut step.leaks);
        Ok(step)
    }

    /// Queues the files and folders of `folder`.
    fn list(&mut self, root: &Path, folder: &str) -> std::io::Result<()> {
        let entries = match std::fs::read_dir(root.join(folder)) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(err),
        };
        for entry in entries {
            let entry = entry?;
            // A build names its files in UTF-8: a file named otherwise was put there by
            // someone else, and must not be skipped unread.
            let name = entry.file_name().into_string().map_err(|name| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{name:?} in {}: not a name a build writes",
                        root.join(folder).display()
                    ),
                )
            })?;
            let rel = if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                self.folders.push(rel);
            } else if kind.is_file() && !self.passed.contains(&rel) {
                let size = entry.metadata().map_or(0, |m| m.len());
                self.files.push((rel, size));
            }
        }
        Ok(())
    }
}

/// Sorts leaks by file and dataset and removes repeats.
pub fn sort(leaks: &mut Vec<Leak>) {
    leaks.sort_by(|a, b| (&a.file, &a.dataset, &a.found).cmp(&(&b.file, &b.dataset, &b.found)));
    leaks.dedup();
}

/// An auditor for suspended datasets with these ids, each titled `<id>名单`.
#[cfg(test)]
pub(crate) fn auditor_of_suspended(ids: &[&str]) -> Arc<Auditor> {
    let withheld: Vec<Withheld> = ids
        .iter()
        .map(|id| Withheld {
            id: id.to_string(),
            title: format!("{id}名单"),
            record_path: format!("{id}.yaml"),
            reason: crate::policy::WithholdReason::Suspended,
        })
        .collect();
    Arc::new(Auditor::new(&withheld, &[], &[]).unwrap().unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::WithholdReason;

    fn auditor(public_titles: &[&str]) -> Auditor {
        let withheld = vec![Withheld {
            id: "secret-1".into(),
            title: "涉密名单".into(),
            record_path: "x.yaml".into(),
            reason: WithholdReason::NotOpen,
        }];
        Auditor::new(&withheld, public_titles, &[])
            .unwrap()
            .unwrap()
    }

    #[test]
    fn only_the_announcing_files_may_name_only_the_announced_datasets() {
        let plain = auditor_of_suspended(&["bus-stops", "roster"]);
        let announced: BTreeSet<String> = ["bus-stops".to_string()].into();
        let auditor = plain.announcing(&announced);
        let page = "<code>bus-stops</code> bus-stops名单 <code>roster</code>".as_bytes();
        let named = |file: &str| -> Vec<String> {
            let mut found: Vec<String> = auditor
                .scan(file, page)
                .into_iter()
                .map(|l| l.dataset)
                .collect();
            found.dedup();
            found
        };
        assert_eq!(named("takedowns/index.html"), ["roster"]);
        assert_eq!(named("feeds/withdrawals.atom"), ["roster"]);
        assert_eq!(named("index.html"), ["bus-stops", "roster"]);
        assert_eq!(named("takedowns/index.html.bak"), ["bus-stops", "roster"]);
        // A replacing write of an announcing file reads it whole.
        assert_eq!(
            auditor
                .scan_replacing("takedowns/index.html", page, page)
                .len(),
            1
        );
        // The record schemas hold words an id may be, never a record: titles only.
        assert!(
            plain
                .scan("schema/dataset.schema.json", b"{\"roster\": 1}")
                .is_empty()
        );
        assert_eq!(
            plain
                .scan("schema/dataset.schema.json", "roster名单".as_bytes())
                .len(),
            1
        );
        // What may be named follows the catalog, not the automaton: same texts, new set.
        assert!(Arc::ptr_eq(&auditor.announcing(&announced), &auditor));
        assert!(
            plain
                .announcing(&BTreeSet::new())
                .scan("takedowns/index.html", page)
                .len()
                > 1
        );
    }

    #[test]
    fn a_replacing_write_finds_what_a_full_scan_finds() {
        let audit = auditor(&[]);
        // Long shared runs on both sides, so blocks are compared, not only single bytes.
        let head = "<p>公开数据</p>".repeat(800);
        let tail = "<li>站点</li>".repeat(900);
        let old = format!("{head}<a href=\"datasets/secret-9/\">x</a>{tail}");
        assert!(audit.scan("old.html", old.as_bytes()).is_empty());
        let cases = [
            // Only the changed byte lies in the middle of the mention.
            format!("{head}<a href=\"datasets/secret-1/\">x</a>{tail}"),
            // The mention begins in the shared prefix and ends in the change.
            format!("{head}<a href=\"datasets/secret-1/\">y</a>{tail}"),
            // A shorter file whose mention runs into the shared suffix.
            format!("{head}<a href=\"datasets/secret-1/{tail}"),
            // A longer one, the mention in the new part.
            format!("{head}<a href=\"datasets/secret-9/\">涉密名单</a>{tail}{tail}"),
            // The same bytes, and bytes with no mention.
            old.clone(),
            format!("{head}<a href=\"datasets/secret-2/\">x</a>{tail}"),
            String::new(),
        ];
        for new in cases {
            let full = audit.scan("new.html", new.as_bytes());
            let replacing = audit.scan_replacing("new.html", old.as_bytes(), new.as_bytes());
            assert_eq!(
                replacing,
                full,
                "{}",
                &new[head.len()..new.len().min(head.len() + 60)]
            );
        }
        assert_eq!(shared_prefix(b"abcd", b"abxd"), 2);
        assert_eq!(shared_suffix(b"abcd", b"xbcd", 4), 3);
        assert_eq!(shared_suffix(b"abcd", b"abcd", 1), 1);
    }

    #[test]
    fn looks_inside_compressed_files() {
        let audit = auditor(&[]);
        let hidden = search_index::codec::gzip("[1,\"secret-1\",\"涉密名单\"]".as_bytes());
        let leaks = audit.scan("search/d/x.bin", &hidden);
        assert_eq!(leaks.len(), 2, "{leaks:?}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        std::fs::write(&path, &hidden).unwrap();
        assert_eq!(audit.scan_file("x.bin", &path).unwrap().len(), 2);
        // Broken gzip is still scanned as plain bytes, and does not fail the scan.
        assert!(audit.scan("y.bin", &[0x1f, 0x8b, 0, 1, 2]).is_empty());
    }

    #[test]
    fn finds_ids_as_whole_slugs_and_titles() {
        let audit = auditor(&[]);
        assert_eq!(
            audit
                .scan("a.html", b"<a href=\"datasets/secret-1/\">x</a>")
                .len(),
            1
        );
        assert!(audit.scan("b.html", b"secret-12 is public").is_empty());
        // Its documents and its CKAN call name it too; a longer id does not.
        assert_eq!(
            audit
                .scan("f.atom", b"href=\"datasets/secret-1.ttl\"")
                .len(),
            1
        );
        let removed = b"[\"api/3/action/package_show/secret-1\"]";
        assert_eq!(audit.scan("manifest.json", removed).len(), 1);
        assert!(audit.scan("g.atom", b"datasets/secret-12.ttl").is_empty());
        // Every path of a dataset's files, as the mirror manifest quotes it, names it.
        for path in [
            "datasets/secret-1/index.html",
            "datasets/secret-1.ttl",
            "datasets/secret-1/files/a.csv",
            "api/3/action/package_show/secret-1",
        ] {
            let quoted = format!("\"{path}\"");
            assert_eq!(
                audit.scan("manifest.json", quoted.as_bytes()).len(),
                1,
                "{path}"
            );
        }
        for path in [
            "departments/secret-1x/index.html",
            "api/3/action/package_list",
        ] {
            let quoted = format!("\"{path}\"");
            assert!(
                audit.scan("manifest.json", quoted.as_bytes()).is_empty(),
                "{path}"
            );
        }
        assert_eq!(
            audit.scan("c.html", "标题：涉密名单".as_bytes())[0].found,
            "涉密名单"
        );
        // A title that a public dataset shares is not evidence of a leak.
        assert!(
            auditor(&["涉密名单"])
                .scan("c.html", "涉密名单".as_bytes())
                .is_empty()
        );
    }

    #[test]
    fn build_end_pass_reads_only_unscanned_files_and_sees_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut big = vec![b'x'; (1 << 20) - 3];
        big.extend_from_slice(b" datasets/secret-1/ ");
        std::fs::write(dir.path().join("big.csv"), &big).unwrap();
        std::fs::write(dir.path().join("seen.html"), "datasets/secret-1/").unwrap();
        let scanned = PassedFiles::from_iter(["seen.html"]);
        let leaks = scan_unscanned(dir.path(), &auditor(&[]), scanned).unwrap();
        let files: Vec<&str> = leaks.iter().map(|l| l.file.as_str()).collect();
        assert_eq!(files, vec!["big.csv"]);
    }

    #[test]
    fn a_sweep_goes_a_chunk_at_a_time_and_reads_the_folder_as_it_is_now() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let page = |i: usize| format!("datasets/d{i}/index.html");
        for i in 0..SWEEP_CHUNK * 2 {
            std::fs::create_dir_all(root.join(format!("datasets/d{i}"))).unwrap();
            std::fs::write(root.join(page(i)), "<p>clean</p>").unwrap();
        }
        std::fs::create_dir_all(root.join("deep/er")).unwrap();
        std::fs::write(root.join("deep/er/leak.html"), "datasets/secret-1/").unwrap();
        std::fs::write(root.join("checked.html"), "secret-1, checked on the way in").unwrap();
        let audit = auditor(&[]);
        let mut sweep = Sweep::new(PassedFiles::from_iter(["checked.html"]));
        let first = sweep.step(root, &audit, std::time::Duration::ZERO).unwrap();
        assert!(!first.done);
        assert_eq!(first.read, SWEEP_CHUNK, "one chunk per step at the least");
        // A build in between rewrites every page (auditing each on the way in) and removes one
        // dataset's folder: the sweep neither reads them again nor trips on the gone one.
        for i in 0..SWEEP_CHUNK * 2 {
            std::fs::write(root.join(page(i)), "secret-1, checked on the way in").unwrap();
        }
        sweep.passed((0..SWEEP_CHUNK * 2).map(page).collect());
        std::fs::remove_dir_all(root.join("datasets/d0")).unwrap();
        let mut leaks = first.leaks;
        let mut steps = 1;
        loop {
            let step = sweep.step(root, &audit, std::time::Duration::ZERO).unwrap();
            leaks.extend(step.leaks);
            steps += 1;
            if step.done {
                break;
            }
        }
        let files: Vec<&str> = leaks.iter().map(|l| l.file.as_str()).collect();
        assert_eq!(files, ["deep/er/leak.html"]);
        assert!(steps >= 2, "{steps}");
    }

    #[test]
    fn escaped_titles_are_found() {
        let withheld = vec![Withheld {
            id: "x-1".into(),
            title: "名册<内部>\"版\"".into(),
            record_path: "x.yaml".into(),
            reason: WithholdReason::NotOpen,
        }];
        let audit = Auditor::new(&withheld, &[], &[]).unwrap().unwrap();
        assert_eq!(
            audit
                .scan("a.html", "名册&lt;内部&gt;&quot;版&quot;".as_bytes())
                .len(),
            1
        );
        assert_eq!(
            audit
                .scan("a.json", "名册<内部>\\\"版\\\"".as_bytes())
                .len(),
            1
        );
    }

    #[test]
    fn beyond_looks_only_for_what_is_new() {
        let old = auditor_of_suspended(&["a-1"]);
        let new = auditor_of_suspended(&["a-1", "b-2"]);
        let delta = new.beyond(Some(&*old)).unwrap().unwrap();
        assert!(delta.scan("p.html", "a-1名单".as_bytes()).is_empty());
        assert_eq!(delta.scan("p.html", "b-2名单".as_bytes()).len(), 1);
        // Nothing new: nothing to look for again; nothing before: everything.
        assert!(old.beyond(Some(&*new)).unwrap().is_none());
        assert!(new.beyond(Some(&*new)).unwrap().is_none());
        assert_eq!(
            new.beyond(None).unwrap().unwrap().looks_for(),
            new.looks_for()
        );
    }

    #[test]
    fn nothing_withheld_needs_no_auditor() {
        assert!(Auditor::new(&[], &[], &[]).unwrap().is_none());
    }
}
