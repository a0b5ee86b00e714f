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
    Directory, DisplayDoc, DisplayShard, FORMAT, FacetEntry, HEAD_RESULTS, Head, LongTerm, ROOT,
    Scoring,
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
#[derive(Debug, Clone, Default)]
pub struct SearchDoc {
    /// Dataset id (stable; the page is `datasets/<id>/`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary as plain text.
    pub summary: String,
    /// Department code.
    pub department_code: String,
    /// Department name.
    pub department_name: String,
    /// Field names (数据项).
    pub fields: Vec<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Domain name, shown in results.
    pub domain: String,
    /// Short plain-text snippet shown in results.
    pub snippet: String,
    /// Facet values: per dimension of [`IndexInput::facets`], the indexes of its values.
    pub facets: Vec<Vec<u16>>,
}

/// Everything the index is built from.
#[derive(Debug, Clone, Default)]
pub struct IndexInput {
    /// The datasets.
    pub docs: Vec<SearchDoc>,
    /// Facet dimensions (at most 32 bits in all).
    pub facets: Vec<FacetDim>,
    /// Extra words for the segmenter: department, domain, place and field names.
    pub dictionary: Vec<String>,
}

/// One file of the exported index.
#[derive(Debug, Clone)]
pub struct IndexFile {
    /// Path relative to the site root (`search/…`).
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
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

/// Indexes `input` and exports the static files.
pub fn build(input: &IndexInput) -> Result<ExportedIndex, IndexError> {
    let started = Instant::now();
    let pairs: Vec<(&str, &str)> = input
        .docs
        .iter()
        .map(|d| (d.department_code.as_str(), d.id.as_str()))
        .collect();
    let keys = keys::assign(&pairs)?;
    let layout = Layout::new(&input.facets)?;
    let codes: Vec<u32> = input
        .docs
        .iter()
        .map(|d| layout.pack(&input.facets, &d.facets))
        .collect();
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
    files.push(IndexFile {
        path: crate::directory::DIRECTORY.to_string(),
        bytes: codec::gzip(&bytes),
    });
    stats.files = files.len();
    stats.bytes = files.iter().map(|f| f.bytes.len() as u64).sum();
    stats.export_seconds = started.elapsed().as_secs_f64();
    Ok(ExportedIndex { files, stats })
}

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
    let title = builder.add_text_field("title", text.clone());
    let keywords = builder.add_text_field("keywords", text.clone());
    let department = builder.add_text_field("department", text.clone());
    let fields = builder.add_text_field("fields", text.clone());
    let summary = builder.add_text_field("summary", text);
    let ord = builder.add_u64_field("ord", FAST);
    (
        builder.build(),
        TextFields {
            fields: vec![
                (title, 3.0, true),
                (keywords, 2.0, false),
                (department, 1.5, false),
                (fields, 1.0, false),
                (summary, 1.0, false),
            ],
            ord,
        },
    )
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
        document.add_text(department, &doc.department_name);
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
                    let impact =
                        weight * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average));
                    let ord = ords.first(doc).unwrap_or_default() as u32;
                    entry.push((ord, impact as f32, is_title));
                    doc = postings.advance();
                }
            }
        }
    }
    let mut terms: Vec<(String, Vec<Posting>)> = found
        .into_iter()
        .map(|(term, mut hits)| {
            hits.sort_unstable_by_key(|h| h.0);
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

/// Impact → 0–127 on a fixed scale (never relative to the catalog, so edits stay local).
fn quantise(impact: f64) -> u8 {
    ((impact.min(SCORING.qmax) / SCORING.qmax * 127.0).round() as u8).max(1)
}

/// Name of a file from its contents: `<kind>/<first 10 hex digits of SHA-256>.bin`.
fn hashed(kind: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}/{hex}.bin")
}

/// Adds a file, gzip-compressed: every index file is stored compressed, so the bytes a
/// client loads do not depend on the web server's compression settings.
fn push(files: &mut Vec<IndexFile>, name: &str, bytes: Vec<u8>) {
    files.push(IndexFile {
        path: format!("{ROOT}{name}"),
        bytes: crate::codec::gzip(&bytes),
    });
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
        let size = postings.len() * 7 + term.len();
        let df = postings.len() as u32;
        if size <= LONG_BYTES {
            short.push(ShardTerm { term, df, postings });
            continue;
        }
        let blocks = size.div_ceil(BLOCK_BYTES).next_power_of_two() as u64;
        let mut split: BTreeMap<u64, Vec<Posting>> = BTreeMap::new();
        for posting in postings {
            split
                .entry(keys::mix(posting.key) & (blocks - 1))
                .or_default()
                .push(posting);
        }
        let mut names = Vec::with_capacity(split.len());
        for block in split.values() {
            let bytes = codec::encode_block(block);
            let name = hashed("b", &bytes);
            push(files, &name, bytes);
            names.push(name);
            stats.blocks += 1;
        }
        let all = postings_of(&split);
        let head = head(&all, input, layout);
        let bytes = serde_json::to_vec(&head).unwrap_or_default();
        let head_name = hashed("h", &bytes);
        push(files, &head_name, bytes);
        let complement_name = if df as usize * 10 >= all_keys.len() * 9 {
            let have: std::collections::HashSet<u64> = all.iter().map(|p| p.key).collect();
            let without: Vec<u64> = all_keys
                .iter()
                .copied()
                .filter(|k| !have.contains(k))
                .collect();
            let bytes = codec::encode_keys(&without);
            let name = hashed("c", &bytes);
            push(files, &name, bytes);
            name
        } else {
            String::new()
        };
        long.push(LongTerm(term, df, names, head_name, complement_name));
    }
    stats.long_terms = long.len();

    // Content-defined cuts: once a shard holds half its target, cut after a term whose hash
    // is 0 modulo 4; past twice the target, cut anyway. An edit moves at most the cut after it.
    let mut shards = Vec::new();
    let mut current: Vec<ShardTerm> = Vec::new();
    let mut current_bytes = 0;
    let mut flush = |current: &mut Vec<ShardTerm>, shards: &mut Vec<(String, String)>| {
        if current.is_empty() {
            return;
        }
        let bytes = codec::encode_shard(current);
        let name = hashed("t", &bytes);
        let first = if shards.is_empty() {
            String::new()
        } else {
            current[0].term.clone()
        };
        push(files, &name, bytes);
        shards.push((first, name));
        current.clear();
    };
    for term in short {
        current_bytes += term.postings.len() * 7 + term.term.len();
        let cut = keys::fnv1a(term.term.as_bytes()).is_multiple_of(4);
        current.push(term);
        if (cut && current_bytes >= SHARD_BYTES / 2) || current_bytes >= SHARD_BYTES * 2 {
            flush(&mut current, &mut shards);
            current_bytes = 0;
        }
    }
    flush(&mut current, &mut shards);
    stats.shards = shards.len();
    (shards, long)
}

fn postings_of(split: &BTreeMap<u64, Vec<Posting>>) -> Vec<Posting> {
    split.values().flatten().copied().collect()
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

/// The head of a long term: its best postings and its facet and department counts.
fn head(postings: &[Posting], input: &IndexInput, layout: &Layout) -> Head {
    // The order the clients sort in: rounded score, then key.
    let idf = idf(input.docs.len() as f64, postings.len() as f64);
    let score = |p: &Posting| rounded(idf * weight(*p, SCORING));
    let mut best: Vec<Posting> = postings.to_vec();
    best.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.key.cmp(&b.key)));
    best.truncate(HEAD_RESULTS);
    let mut facets: Vec<Vec<u64>> = input
        .facets
        .iter()
        .map(|d| vec![0; d.values.len()])
        .collect();
    let mut departments: BTreeMap<u64, u64> = BTreeMap::new();
    for posting in postings {
        for (d, counts) in facets.iter_mut().enumerate() {
            for (v, count) in counts.iter_mut().enumerate() {
                if layout.has(&input.facets, posting.facets, d, v) {
                    *count += 1;
                }
            }
        }
        *departments
            .entry(keys::department_slot(posting.key))
            .or_default() += 1;
    }
    Head {
        top: best.iter().map(|p| (p.key, p.impact, p.facets)).collect(),
        facets,
        departments: departments.into_iter().collect(),
    }
}

/// Writes display shards and display-directory pages; returns the bucket count and pages.
fn export_display(
    input: &IndexInput,
    keys: &[u64],
    files: &mut Vec<IndexFile>,
    stats: &mut IndexStats,
) -> (u64, Vec<String>) {
    let buckets = input
        .docs
        .len()
        .div_ceil(BUCKET_DOCS)
        .max(1)
        .next_power_of_two() as u64;
    let mut by_bucket: BTreeMap<u64, Vec<DisplayDoc>> = BTreeMap::new();
    for (doc, &key) in input.docs.iter().zip(keys) {
        by_bucket
            .entry(keys::mix(key) & (buckets - 1))
            .or_default()
            .push(DisplayDoc(
                key,
                doc.id.clone(),
                doc.title.clone(),
                doc.department_name.clone(),
                doc.domain.clone(),
                doc.snippet.clone(),
            ));
    }
    let mut names = vec![String::new(); buckets as usize];
    for (bucket, mut docs) in by_bucket {
        docs.sort_by_key(|d| d.0);
        let shard = DisplayShard { bucket, docs };
        let bytes = serde_json::to_vec(&shard).unwrap_or_default();
        let name = hashed("d", &bytes);
        push(files, &name, bytes);
        names[bucket as usize] = name;
        stats.display_shards += 1;
    }
    let pages = names
        .chunks(PAGE_BUCKETS as usize)
        .map(|chunk| {
            let bytes = serde_json::to_vec(chunk).unwrap_or_default();
            let name = hashed("m", &bytes);
            push(files, &name, bytes);
            name
        })
        .collect();
    (buckets, pages)
}

/// Writes the department table: `[slot, code, name]` by slot.
fn export_departments(input: &IndexInput, keys: &[u64], files: &mut Vec<IndexFile>) -> String {
    let table: BTreeMap<u64, (&str, &str)> = input
        .docs
        .iter()
        .zip(keys)
        .map(|(d, &k)| {
            (
                keys::department_slot(k),
                (d.department_code.as_str(), d.department_name.as_str()),
            )
        })
        .collect();
    let rows: Vec<(u64, &str, &str)> = table.into_iter().map(|(s, (c, n))| (s, c, n)).collect();
    let bytes = serde_json::to_vec(&rows).unwrap_or_default();
    let name = hashed("f", &bytes);
    push(files, &name, bytes);
    name
}
