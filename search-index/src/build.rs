//! Indexing with tantivy and exporting the index as static files.
//!
//! tantivy analyses every dataset (with [`crate::analyzer`]) into an in-memory index; the
//! exporter then walks each field's term dictionary and postings, computes a BM25 impact per
//! (term, dataset) from the term frequencies and field lengths tantivy recorded, and writes:
//!
//! * term shards `search/t/<hash>.bin`: the terms in sorted order, cut where a term's hash says
//!   so (content-defined), so an edit moves no boundary far from itself;
//! * posting blocks `search/b/<hash>.bin` for long posting lists, split by key;
//! * display shards `search/d/<hash>.json` (a few dozen datasets each, by key) and
//!   display-directory pages `search/m/<hash>.json` naming them;
//! * the department table `search/f/<hash>.json`;
//! * the directory `search/index.bin`.
//!
//! Every file is gzip-compressed (see [`crate::codec::gzip`]).
//!
//! The idf is left to the clients (it depends on the whole catalog); impacts use field-length
//! averages rounded to whole tokens. Both choices keep a one-record edit from changing the
//! bytes of shards that do not hold that record's terms.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tantivy::postings::Postings;
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocSet, Index, IndexWriter, TERMINATED, TantivyDocument};

use crate::analyzer::{self, ANALYZER, CatalogTokenizer};
use crate::codec::{self, IN_TITLE, Posting, ShardTerm};
use crate::directory::{
    Directory, FORMAT, FacetEntry, HEAD_RESULTS, Head, LongTerm, ROOT, Scoring,
};
use crate::facets::{FacetDim, Layout, LayoutError};
use crate::keys::{self, KeyError};

/// A posting list longer than this (encoded) goes to blocks instead of a shard.
const LONG_BYTES: usize = 4 * 1024;
/// Target size of one posting block.
const BLOCK_BYTES: usize = 32 * 1024;
/// Target size of one term shard.
const SHARD_BYTES: usize = 16 * 1024;
/// Target datasets per display shard.
const BUCKET_DOCS: usize = 16;
/// Display buckets per display-directory page.
const PAGE_BUCKETS: u64 = 64;

/// BM25 constants.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The scoring constants written to the directory.
pub const SCORING: Scoring = Scoring {
    qmax: 12.0,
    title: 2.0,
};

/// One dataset to index: public data only (the caller filters by policy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDoc {
    /// Dataset id (stable; the page is `datasets/<id>/`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary as plain text (shared with the caller's copy of it).
    pub summary: Arc<str>,
    /// Department code (shared by the department's documents).
    pub department_code: Arc<str>,
    /// Department name (shared by the department's documents).
    pub department_name: Arc<str>,
    /// Field names (数据项).
    pub fields: Vec<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Domain name, shown in results (shared by the domain's documents).
    pub domain: Arc<str>,
    /// Facet values as (dimension of [`IndexInput::facets`], index of the value) pairs, in
    /// dimension order (one small allocation per dataset, not one per dimension).
    pub facets: Vec<(u8, u16)>,
}

/// Everything the index is built from.
#[derive(Debug, Clone, Default)]
pub struct IndexInput {
    /// The datasets (shared, so a long-running caller can keep unchanged ones between builds
    /// and [`crate::LiveIndex`] can tell them unchanged by identity).
    pub docs: Vec<Arc<SearchDoc>>,
    /// Facet dimensions (at most 32 bits in all).
    pub facets: Vec<FacetDim>,
    /// Extra words for the segmenter: department, domain, place and field names (shared, so
    /// a long-running caller hands the same list again without copying it).
    pub dictionary: Arc<Vec<String>>,
}

/// One file of the exported index.
#[derive(Debug, Clone)]
pub struct IndexFile {
    /// Path relative to the site root (`search/…`).
    pub path: String,
    /// Contents (shared: a long-running index hands out the same files again without
    /// copying them).
    pub bytes: Arc<[u8]>,
}

/// Figures about an export.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexStats {
    /// Datasets indexed.
    pub docs: usize,
    /// Distinct terms.
    pub terms: usize,
    /// Terms with block-split postings.
    pub long_terms: usize,
    /// Term shards.
    pub shards: usize,
    /// Posting blocks.
    pub blocks: usize,
    /// Display shards.
    pub display_shards: usize,
    /// Files in all.
    pub files: usize,
    /// Bytes in all.
    pub bytes: u64,
    /// Seconds spent in tantivy (analysis and indexing).
    pub index_seconds: f64,
    /// Seconds spent exporting.
    pub export_seconds: f64,
}

/// The exported index.
#[derive(Debug, Clone)]
pub struct ExportedIndex {
    /// The files, directory last.
    pub files: Vec<IndexFile>,
    /// Figures.
    pub stats: IndexStats,
}

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading tantivy's in-memory index failed.
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    /// Keys could not be assigned.
    #[error("search index: {0}")]
    Keys(#[from] KeyError),
    /// The facets do not fit.
    #[error("search index: {0}")]
    Layout(#[from] LayoutError),
}

/// Each dataset's key, the facet layout, and each dataset's packed facet code.
pub(crate) fn keys_and_codes(
    input: &IndexInput,
) -> Result<(Vec<u64>, Layout, Vec<u32>), IndexError> {
    let pairs: Vec<(&str, &str)> = input
        .docs
        .iter()
        .map(|d| (&*d.department_code, d.id.as_str()))
        .collect();
    let keys = keys::assign(&pairs)?;
    let layout = Layout::new(&input.facets)?;
    let codes = input
        .docs
        .iter()
        .map(|d| layout.pack(&input.facets, &d.facets))
        .collect();
    Ok((keys, layout, codes))
}

/// Indexes `input` and exports the static files.
pub fn build(input: &IndexInput) -> Result<ExportedIndex, IndexError> {
    let started = Instant::now();
    let (keys, layout, codes) = keys_and_codes(input)?;
    let terms = index_terms(input, &keys, &codes)?;
    let index_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut files = Vec::new();
    let mut stats = IndexStats {
        docs: input.docs.len(),
        terms: terms.len(),
        index_seconds,
        ..IndexStats::default()
    };
    let mut all_keys = keys.clone();
    all_keys.sort_unstable();
    let (shards, long) = export_terms(terms, &all_keys, input, &layout, &mut files, &mut stats);
    let (buckets, pages) = export_display(input, &keys, &mut files, &mut stats);
    let departments = export_departments(input, &keys, &mut files);
    files.push(directory_file(
        input,
        &layout,
        shards,
        long,
        buckets,
        pages,
        departments,
    ));
    stats.files = files.len();
    stats.bytes = files.iter().map(|f| f.bytes.len() as u64).sum();
    stats.export_seconds = started.elapsed().as_secs_f64();
    Ok(ExportedIndex { files, stats })
}

/// The directory file, `search/index.bin`.
pub(crate) fn directory_file(
    input: &IndexInput,
    layout: &Layout,
    shards: Vec<(String, String)>,
    long: Vec<LongTerm>,
    buckets: u64,
    pages: Vec<String>,
    departments: String,
) -> IndexFile {
    let directory = Directory {
        format: FORMAT,
        docs: input.docs.len() as u64,
        shards,
        long,
        buckets,
        page_size: PAGE_BUCKETS,
        pages,
        departments,
        facets: input
            .facets
            .iter()
            .zip(&layout.0)
            .map(|(dim, &(offset, width))| FacetEntry {
                name: dim.name.clone(),
                label: dim.label.clone(),
                values: dim.values.clone(),
                multi: dim.multi,
                offset,
                width,
            })
            .collect(),
        scoring: SCORING,
    };
    let mut bytes = serde_json::to_vec(&directory).unwrap_or_default();
    bytes.push(b'\n');
    IndexFile {
        path: crate::directory::DIRECTORY.to_string(),
        bytes: codec::gzip(&bytes).into(),
    }
}

/// The indexed text fields in order, with their BM25F weights and whether a hit there counts
/// as "in the title". Impacts sum over fields in this order.
pub(crate) const TEXT_FIELDS: [(&str, f64, bool); 5] = [
    ("title", 3.0, true),
    ("keywords", 2.0, false),
    ("department", 1.5, false),
    ("fields", 1.0, false),
    ("summary", 1.0, false),
];

/// The text fields, their BM25F weights, and whether a hit there counts as "in the title".
struct TextFields {
    fields: Vec<(Field, f64, bool)>,
    ord: Field,
}

fn schema() -> (Schema, TextFields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs)
            .set_fieldnorms(true),
    );
    let fields = TEXT_FIELDS
        .iter()
        .map(|&(name, weight, is_title)| {
            (builder.add_text_field(name, text.clone()), weight, is_title)
        })
        .collect();
    let ord = builder.add_u64_field("ord", FAST);
    (builder.build(), TextFields { fields, ord })
}

/// Runs tantivy over the catalog and reads back, per term, every dataset's impact.
fn index_terms(
    input: &IndexInput,
    keys: &[u64],
    codes: &[u32],
) -> Result<Vec<(String, Vec<Posting>)>, IndexError> {
    let (schema, text) = schema();
    let index = Index::create_in_ram(schema);
    let dictionary = Arc::new(analyzer::dictionary(&input.dictionary));
    index.tokenizers().register(
        ANALYZER,
        TextAnalyzer::from(CatalogTokenizer::new(dictionary)),
    );
    let threads = rayon::current_num_threads().clamp(1, 8);
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, threads * 48_000_000)?;
    let [title, keywords, department, fields, summary] = [0, 1, 2, 3, 4].map(|i| text.fields[i].0);
    for (ord, doc) in input.docs.iter().enumerate() {
        let mut document = TantivyDocument::default();
        document.add_u64(text.ord, ord as u64);
        document.add_text(title, &doc.title);
        document.add_text(summary, &doc.summary);
        document.add_text(department, &*doc.department_name);
        for field in &doc.fields {
            document.add_text(fields, field);
        }
        for keyword in &doc.keywords {
            document.add_text(keywords, keyword);
        }
        writer.add_document(document)?;
    }
    writer.commit()?;
    drop(writer);
    let searcher = index.reader()?.searcher();

    let docs = input.docs.len().max(1) as f64;
    // (dataset ordinal, impact, in title) per term, over all fields and segments.
    let mut found: HashMap<String, Vec<(u32, f32, bool)>> = HashMap::new();
    for &(field, weight, is_title) in &text.fields {
        let mut total = 0u64;
        for segment in searcher.segment_readers() {
            let norms = segment.get_fieldnorms_reader(field)?;
            total += (0..segment.max_doc())
                .map(|d| u64::from(norms.fieldnorm(d)))
                .sum::<u64>();
        }
        // Rounded, so one more record rarely moves it.
        let average = (total as f64 / docs).round().max(1.0);
        for segment in searcher.segment_readers() {
            let ords = segment.fast_fields().u64("ord")?;
            let norms = segment.get_fieldnorms_reader(field)?;
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                let mut postings = inverted
                    .read_postings_from_terminfo(stream.value(), IndexRecordOption::WithFreqs)?;
                let entry = found.entry(term.to_string()).or_default();
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    let tf = f64::from(postings.term_freq());
                    let length = f64::from(norms.fieldnorm(doc));
                    let ord = ords.first(doc).unwrap_or_default() as u32;
                    entry.push((ord, field_impact(weight, tf, length, average), is_title));
                    doc = postings.advance();
                }
            }
        }
    }
    let mut terms: Vec<(String, Vec<Posting>)> = found
        .into_iter()
        .map(|(term, mut hits)| {
            // Stable: a dataset's hits stay in field order, so its impact sums the same way
            // every time (and as the incremental index sums it).
            hits.sort_by_key(|h| h.0);
            let mut postings: Vec<Posting> = Vec::with_capacity(hits.len());
            let mut i = 0;
            while i < hits.len() {
                let ord = hits[i].0;
                let (mut impact, mut in_title) = (0f64, false);
                while i < hits.len() && hits[i].0 == ord {
                    impact += f64::from(hits[i].1);
                    in_title |= hits[i].2;
                    i += 1;
                }
                postings.push(Posting {
                    key: keys[ord as usize],
                    impact: quantise(impact) | if in_title { IN_TITLE } else { 0 },
                    facets: codes[ord as usize],
                });
            }
            postings.sort_unstable_by_key(|p| p.key);
            (term, postings)
        })
        .collect();
    terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(terms)
}

/// The BM25 impact of one field: `tf` occurrences in a field of `length` tokens (tantivy's
/// field norm) whose average length is `average`.
pub(crate) fn field_impact(weight: f64, tf: f64, length: f64, average: f64) -> f32 {
    (weight * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average))) as f32
}

/// Impact → 0–127 on a fixed scale (never relative to the catalog, so edits stay local).
pub(crate) fn quantise(impact: f64) -> u8 {
    ((impact.min(SCORING.qmax) / SCORING.qmax * 127.0).round() as u8).max(1)
}

/// Name of a file from its contents: `<kind>/<first 10 hex digits of SHA-256>.bin`.
fn hashed(kind: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}/{hex}.bin")
}

/// A file named by its contents, gzip-compressed: every index file is stored compressed, so
/// the bytes a client loads do not depend on the web server's compression settings.
/// Returns the name (without [`ROOT`]) and the file.
pub(crate) fn named_file(kind: &str, bytes: &[u8]) -> (String, IndexFile) {
    let name = hashed(kind, bytes);
    let file = IndexFile {
        path: format!("{ROOT}{name}"),
        bytes: crate::codec::gzip(bytes).into(),
    };
    (name, file)
}

/// Encoded size of a posting list, as the export measures it.
pub(crate) fn list_size(term: &str, df: usize) -> usize {
    df * 7 + term.len()
}

/// Whether a posting list goes to blocks rather than a shard.
pub(crate) fn is_long(term: &str, df: usize) -> bool {
    list_size(term, df) > LONG_BYTES
}

/// Whether a term may end a shard (content-defined, so an edit moves no cut far from itself).
pub(crate) fn may_cut_after(term: &str) -> bool {
    keys::fnv1a(term.as_bytes()).is_multiple_of(4)
}

/// Where shards end, given each short term's list size and [`may_cut_after`], in term order:
/// once a shard holds half its target, cut after a term that may end one; past twice the
/// target, cut anyway. Returns exclusive end indices.
pub(crate) fn shard_ends(terms: impl Iterator<Item = (usize, bool)>) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut bytes = 0;
    let mut count = 0;
    for (size, cut) in terms {
        bytes += size;
        count += 1;
        if (cut && bytes >= SHARD_BYTES / 2) || bytes >= SHARD_BYTES * 2 {
            ends.push(count);
            bytes = 0;
        }
    }
    if ends.last() != Some(&count) && count > 0 {
        ends.push(count);
    }
    ends
}

/// The file of one term shard.
pub(crate) fn shard_file(terms: &[ShardTerm]) -> (String, IndexFile) {
    named_file("t", &codec::encode_shard(terms))
}

/// What an earlier export made of a long term: [`long_term`] keeps the blocks that hold none
/// of the changed keys instead of encoding and hashing them again.
pub(crate) struct EarlierTerm<'a> {
    /// The term's block names, in block order.
    pub(crate) blocks: &'a [String],
    /// The keys whose posting in the term's list came, went or changed since.
    pub(crate) changed: &'a [u64],
}

/// The files of a long term (blocks, head, and a complement when it is in at least 90% of the
/// datasets) and its directory entry. `postings` are sorted by key. With `earlier`, the
/// blocks it names that hold none of its changed keys are kept as they are (when no block was
/// empty then, block names are in block order); the result is the same as without it.
pub(crate) fn long_term(
    term: &str,
    postings: &[Posting],
    all_keys: &[u64],
    input: &IndexInput,
    layout: &Layout,
    known: &(dyn Fn(&str) -> bool + Sync),
    earlier: Option<EarlierTerm<'_>>,
) -> (LongTerm, Vec<String>, Vec<IndexFile>) {
    let df = postings.len() as u32;
    let size = list_size(term, postings.len());
    let blocks = size.div_ceil(BLOCK_BYTES).next_power_of_two();
    let block_of = |key: u64| (keys::mix(key) & (blocks as u64 - 1)) as usize;
    // The earlier block names still right, by block.
    let mut kept: Vec<Option<&String>> = vec![None; blocks];
    if let Some(earlier) = earlier.filter(|e| e.blocks.len() == blocks) {
        for (slot, name) in kept.iter_mut().zip(earlier.blocks) {
            *slot = Some(name);
        }
        for &key in earlier.changed {
            kept[block_of(key)] = None;
        }
    }
    let mut split: Vec<Vec<Posting>> = vec![Vec::new(); blocks];
    for posting in postings {
        let block = block_of(posting.key);
        if kept[block].is_none() {
            split[block].push(*posting);
        }
    }
    let mut named = Named {
        paths: Vec::with_capacity(blocks + 2),
        files: Vec::new(),
        known,
    };
    let names: Vec<String> = kept
        .iter()
        .zip(&split)
        .filter_map(|(kept, block)| match kept {
            Some(name) => Some(named.keep(name)),
            None if block.is_empty() => None,
            None => Some(named.name("b", &codec::encode_block(block))),
        })
        .collect();
    let head = head(postings, input, layout);
    let head_name = named.name("h", &serde_json::to_vec(&head).unwrap_or_default());
    let complement_name = if has_complement(postings.len(), all_keys.len()) {
        named.name("c", &codec::encode_keys(&complement(postings, all_keys)))
    } else {
        String::new()
    };
    (
        LongTerm(term.to_string(), df, names, head_name, complement_name),
        named.paths,
        named.files,
    )
}

/// The files of one long term as they are named: only those not already known are
/// compressed and returned.
struct Named<'a> {
    paths: Vec<String>,
    files: Vec<IndexFile>,
    known: &'a (dyn Fn(&str) -> bool + Sync),
}

impl Named<'_> {
    /// Names a file by its contents.
    fn name(&mut self, kind: &str, bytes: &[u8]) -> String {
        let name = hashed(kind, bytes);
        let path = format!("{ROOT}{name}");
        if !(self.known)(&path) {
            self.files.push(IndexFile {
                path: path.clone(),
                bytes: crate::codec::gzip(bytes).into(),
            });
        }
        self.paths.push(path);
        name
    }

    /// Keeps a file an earlier export named.
    fn keep(&mut self, name: &str) -> String {
        self.paths.push(format!("{ROOT}{name}"));
        name.to_string()
    }
}

/// The keys of `all_keys` (sorted) that no posting has (`postings` sorted by key), found in
/// one walk over both.
fn complement(postings: &[Posting], all_keys: &[u64]) -> Vec<u64> {
    debug_assert!(postings.is_sorted_by_key(|p| p.key) && all_keys.is_sorted());
    let mut have = postings.iter().map(|p| p.key).peekable();
    let mut without = Vec::with_capacity(all_keys.len().saturating_sub(postings.len()));
    for &key in all_keys {
        while have.next_if(|&h| h < key).is_some() {}
        if have.next_if_eq(&key).is_none() {
            without.push(key);
        }
    }
    without
}

/// Whether a term in `df` of `docs` datasets gets a complement file (df ≥ 90%).
pub(crate) fn has_complement(df: usize, docs: usize) -> bool {
    df * 10 >= docs * 9
}

/// Writes shards and blocks; returns the directory's shard list and long-term table.
fn export_terms(
    terms: Vec<(String, Vec<Posting>)>,
    all_keys: &[u64],
    input: &IndexInput,
    layout: &Layout,
    files: &mut Vec<IndexFile>,
    stats: &mut IndexStats,
) -> (Vec<(String, String)>, Vec<LongTerm>) {
    let mut short: Vec<ShardTerm> = Vec::new();
    let mut long = Vec::new();
    for (term, postings) in terms {
        if !is_long(&term, postings.len()) {
            let df = postings.len() as u32;
            short.push(ShardTerm { term, df, postings });
            continue;
        }
        let (entry, _, term_files) =
            long_term(&term, &postings, all_keys, input, layout, &|_| false, None);
        stats.blocks += entry.2.len();
        files.extend(term_files);
        long.push(entry);
    }
    stats.long_terms = long.len();

    let ends = shard_ends(
        short
            .iter()
            .map(|t| (list_size(&t.term, t.postings.len()), may_cut_after(&t.term))),
    );
    let mut shards = Vec::with_capacity(ends.len());
    let mut start = 0;
    for end in ends {
        let (name, file) = shard_file(&short[start..end]);
        let first = if shards.is_empty() {
            String::new()
        } else {
            short[start].term.clone()
        };
        files.push(file);
        shards.push((first, name));
        start = end;
    }
    stats.shards = shards.len();
    (shards, long)
}

/// A posting's weight before idf, exactly as the clients compute it.
pub fn weight(posting: Posting, scoring: Scoring) -> f64 {
    let bonus = if posting.in_title() {
        scoring.title
    } else {
        0.0
    };
    f64::from(posting.quantised()) / 127.0 * scoring.qmax + bonus
}

/// The inverse document frequency the clients apply.
pub fn idf(docs: f64, df: f64) -> f64 {
    (1.0 + (docs - df + 0.5) / (df + 0.5)).ln()
}

/// A score as the clients round it (6 decimals).
pub fn rounded(score: f64) -> f64 {
    (score * 1e6).round() / 1e6
}

/// The head of a long term: its best postings and its facet and department counts. `postings`
/// are sorted by key.
pub(crate) fn head(postings: &[Posting], input: &IndexInput, layout: &Layout) -> Head {
    // The order the clients sort in: rounded score, then key.
    let idf = idf(input.docs.len() as f64, postings.len() as f64);
    let score = |p: &Posting| rounded(idf * weight(*p, SCORING));
    // The best HEAD_RESULTS in that order, without sorting the whole list.
    let mut best: Vec<(f64, Posting)> = postings.iter().map(|p| (score(p), *p)).collect();
    let order =
        |a: &(f64, Posting), b: &(f64, Posting)| b.0.total_cmp(&a.0).then(a.1.key.cmp(&b.1.key));
    if best.len() > HEAD_RESULTS {
        best.select_nth_unstable_by(HEAD_RESULTS, order);
        best.truncate(HEAD_RESULTS);
    }
    best.sort_unstable_by(order);
    let best: Vec<Posting> = best.into_iter().map(|(_, p)| p).collect();
    let mut facets: Vec<Vec<u64>> = input
        .facets
        .iter()
        .map(|d| vec![0; d.values.len()])
        .collect();
    // Sorted by key, the postings come in runs of one department slot.
    debug_assert!(postings.is_sorted_by_key(|p| p.key));
    let mut departments: Vec<(u64, u64)> = Vec::new();
    for posting in postings {
        for (d, counts) in facets.iter_mut().enumerate() {
            layout.values_of(&input.facets, posting.facets, d, |v| counts[v] += 1);
        }
        let slot = keys::department_slot(posting.key);
        match departments.last_mut() {
            Some((last, count)) if *last == slot => *count += 1,
            _ => departments.push((slot, 1)),
        }
    }
    Head {
        top: best.iter().map(|p| (p.key, p.impact, p.facets)).collect(),
        facets,
        departments,
    }
}

/// Number of display buckets for `docs` datasets (a power of two).
pub(crate) fn display_buckets(docs: usize) -> u64 {
    docs.div_ceil(BUCKET_DOCS).max(1).next_power_of_two() as u64
}

/// What a search result shows of one dataset: a [`DisplayDoc`](crate::directory::DisplayDoc) borrowed from its document.
pub(crate) type DisplayRow<'a> = (u64, &'a str, &'a str, &'a str, &'a str, Cow<'a, str>);

/// What a search result shows of one dataset, written as a [`DisplayDoc`](crate::directory::DisplayDoc) is read.
pub(crate) fn display_doc(doc: &SearchDoc, key: u64) -> DisplayRow<'_> {
    (
        key,
        &doc.id,
        &doc.title,
        &doc.department_name,
        &doc.domain,
        snippet(&doc.summary),
    )
}

/// Characters of summary a result shows.
pub const SNIPPET_CHARS: usize = 60;

/// The snippet a result shows of a summary (see [`shorten`]). Made when a display shard is,
/// not kept with every document.
pub fn snippet(summary: &str) -> Cow<'_, str> {
    shorten(summary, SNIPPET_CHARS)
}

/// `text` cut to `max` characters, with `…` when cut (the portal's listings cut the same way).
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// The file of one display shard; `docs` in any order. Serialised as a
/// [`DisplayShard`](crate::directory::DisplayShard).
pub(crate) fn bucket_file(bucket: u64, mut docs: Vec<DisplayRow<'_>>) -> (String, IndexFile) {
    #[derive(Serialize)]
    struct Shard<'a> {
        bucket: u64,
        docs: Vec<DisplayRow<'a>>,
    }
    docs.sort_by_key(|d| d.0);
    let shard = Shard { bucket, docs };
    named_file("d", &serde_json::to_vec(&shard).unwrap_or_default())
}

/// The display-directory pages naming the display shards, [`PAGE_BUCKETS`] per page.
pub(crate) fn page_files(names: &[String]) -> Vec<(String, IndexFile)> {
    names
        .chunks(PAGE_BUCKETS as usize)
        .map(|chunk| named_file("m", &serde_json::to_vec(chunk).unwrap_or_default()))
        .collect()
}

/// Writes display shards and display-directory pages; returns the bucket count and pages.
fn export_display(
    input: &IndexInput,
    keys: &[u64],
    files: &mut Vec<IndexFile>,
    stats: &mut IndexStats,
) -> (u64, Vec<String>) {
    let buckets = display_buckets(input.docs.len());
    let mut by_bucket: BTreeMap<u64, Vec<DisplayRow<'_>>> = BTreeMap::new();
    for (doc, &key) in input.docs.iter().zip(keys) {
        by_bucket
            .entry(keys::mix(key) & (buckets - 1))
            .or_default()
            .push(display_doc(doc, key));
    }
    let mut names = vec![String::new(); buckets as usize];
    for (bucket, docs) in by_bucket {
        let (name, file) = bucket_file(bucket, docs);
        files.push(file);
        names[bucket as usize] = name;
        stats.display_shards += 1;
    }
    let pages = page_files(&names)
        .into_iter()
        .map(|(name, file)| {
            files.push(file);
            name
        })
        .collect();
    (buckets, pages)
}

/// Writes the department table: `[slot, code, name]` by slot.
pub(crate) fn export_departments(
    input: &IndexInput,
    keys: &[u64],
    files: &mut Vec<IndexFile>,
) -> String {
    // Inserted one by one: collecting would sort every dataset, not the few departments.
    let mut table: BTreeMap<u64, (&str, &str)> = BTreeMap::new();
    for (d, &k) in input.docs.iter().zip(keys) {
        table.insert(
            keys::department_slot(k),
            (&*d.department_code, &*d.department_name),
        );
    }
    let rows: Vec<(u64, &str, &str)> = table.into_iter().map(|(s, (c, n))| (s, c, n)).collect();
    let (name, file) = named_file("f", &serde_json::to_vec(&rows).unwrap_or_default());
    files.push(file);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_complement_holds_exactly_the_keys_without_a_posting() {
        let posting = |key| Posting {
            key,
            impact: 1,
            facets: 0,
        };
        let all: Vec<u64> = (1..=10).map(|k| k * 7).collect();
        let postings: Vec<Posting> = [7, 21, 28, 70].into_iter().map(posting).collect();
        assert_eq!(complement(&postings, &all), vec![14, 35, 42, 49, 56, 63]);
        assert_eq!(complement(&[], &all), all);
        let every: Vec<Posting> = all.iter().copied().map(posting).collect();
        assert!(complement(&every, &all).is_empty());
    }

    /// A long term made again from an earlier export keeps the blocks without a changed key
    /// and gives what a fresh encoding gives.
    #[test]
    fn a_long_term_keeps_the_blocks_no_change_touched() {
        let input = IndexInput::default();
        let layout = Layout::new(&input.facets).unwrap();
        let all: Vec<u64> = (1..=30_000).map(|k| k * 3).collect();
        let posting = |key: u64| Posting {
            key,
            impact: (key % 100) as u8,
            facets: 0,
        };
        let before: Vec<Posting> = all
            .iter()
            .copied()
            .filter(|k| k % 7 != 0)
            .map(posting)
            .collect();
        let unknown = |_: &str| false;
        let (first, first_paths, _) =
            long_term("数据", &before, &all, &input, &layout, &unknown, None);
        assert!(first.2.len() >= 8, "several blocks: {}", first.2.len());

        // One posting gone, one changed, one new.
        let (gone, changed, new) = (before[10].key, before[20_000].key, 7 * 3);
        let mut after: Vec<Posting> = before.iter().copied().filter(|p| p.key != gone).collect();
        after.iter_mut().find(|p| p.key == changed).unwrap().impact = 127;
        after.push(posting(new));
        after.sort_by_key(|p| p.key);
        let fresh = long_term("数据", &after, &all, &input, &layout, &unknown, None);
        let known = |path: &str| first_paths.iter().any(|p| p == path);
        let earlier = EarlierTerm {
            blocks: &first.2,
            changed: &[gone, changed, new],
        };
        let kept = long_term("数据", &after, &all, &input, &layout, &known, Some(earlier));
        assert_eq!((&kept.0, &kept.1), (&fresh.0, &fresh.1));
        let touched: std::collections::BTreeSet<u64> = [gone, changed, new]
            .iter()
            .map(|&k| keys::mix(k) & (first.2.len() as u64 - 1))
            .collect();
        // Only the touched blocks are encoded again; the others are kept.
        let blocks_encoded = kept.2.iter().filter(|f| f.path.contains("/b/")).count();
        assert_eq!(blocks_encoded, touched.len());
        let same = first.2.iter().filter(|b| kept.0.2.contains(b)).count();
        assert_eq!(same, first.2.len() - touched.len());

        // An earlier export with another number of blocks is not used.
        let few = EarlierTerm {
            blocks: &first.2[..2],
            changed: &[],
        };
        let (entry, paths, _) = long_term("数据", &after, &all, &input, &layout, &known, Some(few));
        assert_eq!((&entry, &paths), (&fresh.0, &fresh.1));
    }
}
