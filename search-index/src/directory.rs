//! The small JSON files that tie the index together: the directory (`search/index.bin`, the
//! only file without a content hash in its name), display-directory pages and display shards.

use serde::{Deserialize, Serialize};

/// Version of the exported layout; clients refuse others.
pub const FORMAT: u32 = 1;

/// Where the index lives, relative to the site root.
pub const ROOT: &str = "search/";

/// The directory file (gzip-compressed JSON), relative to the site root.
pub const DIRECTORY: &str = "search/index.bin";

/// `search/index.bin`: everything a client needs to find the files a query needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Directory {
    /// [`FORMAT`].
    pub format: u32,
    /// Number of datasets in the index.
    pub docs: u64,
    /// Term shards in term order: the first term each holds, and its file.
    pub shards: Vec<(String, String)>,
    /// Terms whose postings are split in blocks, sorted by term.
    pub long: Vec<LongTerm>,
    /// Number of display buckets (a power of two).
    pub buckets: u64,
    /// Display buckets per display-directory page.
    pub page_size: u64,
    /// Display-directory pages, in bucket order.
    pub pages: Vec<String>,
    /// The department table (key slot → code, name).
    pub departments: String,
    /// Facet dimensions, in the order of the packed layout.
    pub facets: Vec<FacetEntry>,
    /// Scoring constants.
    pub scoring: Scoring,
}

/// A long term: `(term, document frequency, block files, head file, complement file)`. The
/// complement file (empty unless the term is in at least 90% of the datasets) lists the
/// datasets *without* the term, so a query pairing it with a rarer word need not load its
/// blocks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LongTerm(pub String, pub u32, pub Vec<String>, pub String, pub String);

/// Datasets a head file holds: enough for five pages of ten results.
pub const HEAD_RESULTS: usize = 50;

/// A long term's head file: what a query of that one word needs, without its blocks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Head {
    /// The best [`HEAD_RESULTS`] postings `(key, impact, facets)`, best first.
    pub top: Vec<(u64, u8, u32)>,
    /// Per facet dimension, the count of datasets with each value.
    pub facets: Vec<Vec<u64>>,
    /// `(department slot, count)`, by slot.
    pub departments: Vec<(u64, u64)>,
}

/// One facet dimension as the clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FacetEntry {
    /// URL parameter.
    pub name: String,
    /// Label shown.
    pub label: String,
    /// `(value, label)` pairs.
    pub values: Vec<(String, String)>,
    /// Several values per dataset (a bit each).
    pub multi: bool,
    /// First bit in the packed code.
    pub offset: u32,
    /// Bits taken.
    pub width: u32,
}

impl FacetEntry {
    /// Whether packed `code` has value index `value`.
    pub fn has(&self, code: u32, value: usize) -> bool {
        let code = u64::from(code);
        if self.multi {
            (code >> (u64::from(self.offset) + value as u64).min(63)) & 1 == 1
        } else {
            (code >> self.offset.min(63)) & ((1u64 << self.width.min(32)) - 1) == value as u64 + 1
        }
    }

    /// Whether the layout fits in 32 bits (a damaged directory could say otherwise).
    pub fn is_valid(&self) -> bool {
        let width = if self.multi {
            self.values.len() as u32
        } else {
            self.width
        };
        width <= 32 && self.offset.checked_add(width).is_some_and(|end| end <= 32)
    }
}

/// Scoring constants shared by the exporter and the clients.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Scoring {
    /// The impact that the top quantised value (127) stands for.
    pub qmax: f64,
    /// Added to a term's weight, times its idf, when it occurs in the title.
    pub title: f64,
}

/// A display shard: the datasets of one bucket, by key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DisplayShard {
    /// The bucket number (keeps equal shards of different buckets apart).
    pub bucket: u64,
    /// The datasets.
    pub docs: Vec<DisplayDoc>,
}

/// What a result shows: `(key, id, title, department, domain, snippet)`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DisplayDoc(
    pub u64,
    pub String,
    pub String,
    pub String,
    pub String,
    pub String,
);
