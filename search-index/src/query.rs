//! Answering a query from the exported files, exactly as the browser client does
//! (`theme/static/search-core.js` implements the same steps; a test runs both on the same
//! queries and compares).
//!
//! 1. Fold the query and cut it into runs: Han runs, other word runs, separators.
//! 2. Fetch, in one round, the term shards that could hold any substring of a Han run (up to
//!    [`MAX_TERM_CHARS`] characters) or any word run, and the blocks of every long term among
//!    those substrings.
//! 3. Segment each Han run by longest match against the index's own vocabulary; a single
//!    character is a term only when it is the whole run. Characters no word of two or more
//!    characters starts at form an unknown stretch, searched as character bigrams (which,
//!    by construction, match nothing: 社保 finds no dataset when no dataset has the word).
//! 4. If the query ends inside a word whose tail is unknown, complete that tail with the most
//!    frequent terms that start with it.
//! 5. Datasets with every term (or, if none has them all, with any), scored by
//!    `Σ idf × (impact + title bonus)`, filtered by facets; facet counts follow the query.
//! 6. Fetch the display-directory pages and display shards for the results shown.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use serde::Serialize;

use crate::analyzer::{fold, is_han};
use crate::build::{idf, rounded, weight};
use crate::codec::{self, Posting};
use crate::directory::{DIRECTORY, Directory, DisplayShard, FORMAT, HEAD_RESULTS, Head, ROOT};
use crate::keys;

/// Characters of a query that are read; the rest is ignored (and said so).
pub const MAX_QUERY_CHARS: usize = 64;
/// Longest term tried when segmenting.
pub const MAX_TERM_CHARS: usize = 12;
/// Completions tried for an unfinished last word.
pub const COMPLETIONS: usize = 5;

/// Where index files come from.
pub trait Source {
    /// The bytes of `path` (relative to the site root).
    fn fetch(&mut self, path: &str) -> Result<Vec<u8>, QueryError>;
}

/// Files in a built site folder.
pub struct FolderSource(pub PathBuf);

impl Source for FolderSource {
    fn fetch(&mut self, path: &str) -> Result<Vec<u8>, QueryError> {
        std::fs::read(self.0.join(path)).map_err(|e| QueryError::Fetch {
            path: path.to_string(),
            reason: e.to_string(),
        })
    }
}

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Fetch {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A filter names a facet the index does not have.
    #[error("unknown filter `{name}`; the index filters by {known}")]
    Filter {
        /// The name given.
        name: String,
        /// The names it knows.
        known: String,
    },
    /// A file is damaged.
    #[error("{path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// A query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The words typed.
    pub text: String,
    /// Facet filters: `(dimension, value)`; `department` filters by department code.
    pub filters: Vec<(String, String)>,
    /// Results to show (and fetch display data for); 0 means all.
    pub limit: usize,
}

/// One file read.
#[derive(Debug, Clone, Serialize)]
pub struct Fetched {
    /// Path relative to the site root.
    pub path: String,
    /// Bytes loaded (compressed, as stored).
    pub bytes: usize,
    /// Which dependent round it belonged to (1 = the directory).
    pub round: usize,
}

/// One result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// Dataset id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Department name.
    pub department: String,
    /// Domain name.
    pub domain: String,
    /// Snippet.
    pub snippet: String,
    /// Page, relative to the site root.
    pub url: String,
    /// Score, rounded to 6 decimals.
    pub score: f64,
}

/// Facet counts of one dimension: `(value, label, count)` for values with a count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetCounts {
    /// Dimension.
    pub name: String,
    /// Label.
    pub label: String,
    /// Values with at least one result.
    pub values: Vec<(String, String, usize)>,
}

impl FacetCounts {
    /// The values of `facet` with a count above zero; `counts` is indexed like its values.
    fn of(facet: &crate::directory::FacetEntry, counts: Vec<usize>) -> FacetCounts {
        FacetCounts {
            name: facet.name.clone(),
            label: facet.label.clone(),
            values: facet
                .values
                .iter()
                .zip(counts)
                .filter(|(_, c)| *c > 0)
                .map(|((v, l), c)| (v.clone(), l.clone(), c))
                .collect(),
        }
    }
}

/// The answer to a query.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The query as read (folded, cut to [`MAX_QUERY_CHARS`]).
    pub query: String,
    /// Whether the query was cut.
    pub truncated: bool,
    /// The terms searched: known terms, unknown ones, completions as `prefix…`.
    pub terms: Vec<String>,
    /// `all` (every term), `any` (no dataset had all; any term), or `none` (nothing to search).
    pub mode: &'static str,
    /// Datasets matching (after filters).
    pub total: usize,
    /// The results shown.
    pub results: Vec<Hit>,
    /// Facet counts.
    pub facets: Vec<FacetCounts>,
    /// Department counts: `(department slot, count)`; names are in the department table.
    pub departments: Vec<(u64, usize)>,
    /// Every file read, in order.
    pub fetched: Vec<Fetched>,
    /// Bytes read in all.
    pub bytes: usize,
    /// Dependent rounds of fetching.
    pub round_trips: usize,
}

/// One searched term: its alternatives (one, or several completions) with postings and df.
struct QueryTerm {
    alternatives: Vec<(u32, Vec<Posting>)>,
    /// For a word checked by its complement: the datasets without it.
    without: Option<BTreeSet<u64>>,
}

/// The ranked answer before display data is fetched.
#[derive(Default)]
struct Ranked {
    mode: &'static str,
    total: usize,
    results: Vec<(u64, f64)>,
    facets: Vec<FacetCounts>,
    departments: Vec<(u64, usize)>,
}

/// A piece of a segmented query.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Known(String),
    Unknown(String),
}

/// Reads index files and answers queries; remembers what it read.
pub struct Engine<S: Source> {
    source: S,
    directory: Directory,
    cache: HashMap<String, Vec<u8>>,
    shards: HashMap<String, Vec<codec::ShardTerm>>,
    fetched: Vec<Fetched>,
    round: usize,
}

impl<S: Source> Engine<S> {
    /// Reads the directory.
    pub fn open(mut source: S) -> Result<Engine<S>, QueryError> {
        let bytes = source.fetch(DIRECTORY)?;
        let damaged = |reason: String| QueryError::Damaged {
            path: DIRECTORY.to_string(),
            reason,
        };
        let json = codec::gunzip(&bytes).map_err(|e| damaged(e.to_string()))?;
        let directory: Directory =
            serde_json::from_slice(&json).map_err(|e| damaged(e.to_string()))?;
        if directory.format != FORMAT {
            return Err(damaged(format!(
                "format {} (this reader knows {FORMAT})",
                directory.format
            )));
        }
        if let Some(facet) = directory.facets.iter().find(|f| !f.is_valid()) {
            return Err(damaged(format!(
                "facet `{}` does not fit 32 bits",
                facet.name
            )));
        }
        if !directory.buckets.is_power_of_two() {
            return Err(damaged("the bucket count is not a power of two".into()));
        }
        Ok(Engine {
            source,
            directory,
            cache: HashMap::new(),
            shards: HashMap::new(),
            fetched: vec![Fetched {
                path: DIRECTORY.to_string(),
                bytes: bytes.len(),
                round: 1,
            }],
            round: 1,
        })
    }

    /// The directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Fetches `names` (relative to `search/`) as one round; already read files are free.
    /// Term shards are decoded once, when they arrive.
    fn fetch_round(&mut self, names: &BTreeSet<String>) -> Result<(), QueryError> {
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !self.cache.contains_key(*n))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.round += 1;
        for name in missing {
            if !is_index_name(name) {
                return Err(QueryError::Damaged {
                    path: DIRECTORY.to_string(),
                    reason: format!("`{name}` is not an index file name"),
                });
            }
            let path = format!("{ROOT}{name}");
            let bytes = self.source.fetch(&path)?;
            self.fetched.push(Fetched {
                path: path.clone(),
                bytes: bytes.len(),
                round: self.round,
            });
            let plain = codec::gunzip(&bytes).map_err(|e| QueryError::Damaged {
                path,
                reason: e.to_string(),
            })?;
            if name.starts_with("t/") {
                let terms = codec::decode_shard(&plain).map_err(|e| Self::damaged(name, e))?;
                self.shards.insert(name.clone(), terms);
            }
            self.cache.insert(name.clone(), plain);
        }
        Ok(())
    }

    fn damaged(name: &str, reason: impl ToString) -> QueryError {
        QueryError::Damaged {
            path: format!("{ROOT}{name}"),
            reason: reason.to_string(),
        }
    }

    /// The shard that would hold `term`.
    fn shard_of(&self, term: &str) -> Option<usize> {
        let shards = &self.directory.shards;
        if shards.is_empty() {
            return None;
        }
        Some(
            shards
                .partition_point(|(first, _)| first.as_str() <= term)
                .saturating_sub(1),
        )
    }

    fn long_term(&self, term: &str) -> Option<&crate::directory::LongTerm> {
        let long = &self.directory.long;
        long.binary_search_by(|l| l.0.as_str().cmp(term))
            .ok()
            .map(|i| &long[i])
    }

    /// Terms of the loaded shards and the long table: term → (df, postings if short).
    fn vocabulary(&self) -> Result<BTreeMap<String, u32>, QueryError> {
        let mut vocabulary: BTreeMap<String, u32> = self
            .directory
            .long
            .iter()
            .map(|l| (l.0.clone(), l.1))
            .collect();
        for terms in self.shards.values() {
            for term in terms {
                vocabulary.insert(term.term.clone(), term.df);
            }
        }
        Ok(vocabulary)
    }

    /// The postings of a known term (from its shard or its blocks, which must be loaded).
    fn postings(&self, term: &str) -> Result<(u32, Vec<Posting>), QueryError> {
        if let Some(long) = self.long_term(term) {
            let mut all = Vec::with_capacity(long.1 as usize);
            for name in &long.2 {
                let bytes = self.cache.get(name).map(Vec::as_slice).unwrap_or_default();
                all.extend(codec::decode_block(bytes).map_err(|e| Self::damaged(name, e))?);
            }
            all.sort_unstable_by_key(|p| p.key);
            return Ok((long.1, all));
        }
        if let Some(i) = self.shard_of(term)
            && let Some(terms) = self.shards.get(&self.directory.shards[i].1)
            && let Some(found) = terms.iter().find(|t| t.term == term)
        {
            return Ok((found.df, found.postings.clone()));
        }
        Ok((0, Vec::new()))
    }

    /// Answers `query`.
    pub fn search(&mut self, query: &Query) -> Result<Answer, QueryError> {
        if let Some((name, _)) = query.filters.iter().find(|(name, _)| {
            name != "department" && !self.directory.facets.iter().any(|f| &f.name == name)
        }) {
            let mut known: Vec<&str> = self
                .directory
                .facets
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            known.push("department");
            return Err(QueryError::Filter {
                name: name.clone(),
                known: known.join(", "),
            });
        }
        let folded = fold(trim(&query.text));
        let truncated = folded.chars().count() > MAX_QUERY_CHARS;
        let text: String = folded.chars().take(MAX_QUERY_CHARS).collect();
        let runs = runs(&text);
        let open_end = text.chars().last().is_some_and(is_word_char);

        // Round 2: every shard and long-term block the segmentation might need.
        // Long terms inside a longer long term of the query wait: their blocks are fetched
        // later only if segmentation picks them.
        let mut wanted = BTreeSet::new();
        let head_only = runs.len() == 1 && self.head_eligible(query);
        for run in &runs {
            // A run that is itself a long term segments as that term: no shard can change it.
            if run.chars().count() <= MAX_TERM_CHARS
                && let Some(term) = self.long_term(run)
            {
                if head_only {
                    wanted.insert(term.3.clone());
                } else {
                    self.want_long(term, runs.len() > 1, &mut wanted);
                }
                continue;
            }
            let found = candidates(run);
            let long: Vec<&(String, usize, usize)> = found
                .iter()
                .filter(|c| self.long_term(&c.0).is_some())
                .collect();
            for candidate in &found {
                let (text, start, len) = candidate;
                match self.long_term(text) {
                    Some(term) => {
                        let inside_longer = long
                            .iter()
                            .any(|(_, s, l)| *s <= *start && s + l >= start + len && l > len);
                        if !inside_longer {
                            let others = runs.len() > 1 || *len < run.chars().count();
                            self.want_long(term, others, &mut wanted);
                        }
                    }
                    None => {
                        if let Some(i) = self.shard_of(text) {
                            wanted.insert(self.directory.shards[i].1.clone());
                        }
                    }
                }
            }
        }
        // Shards for completing an unfinished last word, unless that word is a long term.
        if open_end
            && let Some(last) = runs.last()
            && self.long_term(last).is_none()
        {
            let chars: Vec<char> = last.chars().collect();
            for start in 0..chars.len() {
                let tail: String = chars[start..].iter().collect();
                if self.long_term(&tail).is_none() {
                    self.want_completion_shards(&tail, &mut wanted);
                }
            }
        }
        let department_filter = query.filters.iter().any(|(d, _)| d == "department");
        if department_filter {
            wanted.insert(self.directory.departments.clone());
        }
        self.fetch_round(&wanted)?;

        let vocabulary = self.vocabulary()?;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut tail = None;
        let mut last_run_pieces = 0;
        for run in &runs {
            let (run_pieces, run_tail) = segment(run, &vocabulary);
            last_run_pieces = run_pieces.len();
            pieces.extend(run_pieces);
            tail = run_tail;
        }
        let mut labels: Vec<String> = Vec::new();
        let mut wanted_terms: Vec<Vec<String>> = Vec::new();
        // The unknown tail of an unfinished last word becomes its completions.
        let mut completion = tail.filter(|_| open_end);
        // "企业信" completes to 企业信用 before 企业 + 信…: try the known word before the tail too.
        if let Some((prefix, count)) = &completion
            && *count < last_run_pieces
            && let Piece::Known(word) = &pieces[pieces.len() - count - 1]
        {
            let longer = format!("{word}{prefix}");
            if !complete(&longer, &vocabulary).is_empty() {
                completion = Some((longer, count + 1));
            }
        }
        let keep = pieces.len() - completion.as_ref().map_or(0, |(_, n)| *n);
        for piece in &pieces[..keep] {
            let (label, terms) = match piece {
                Piece::Known(t) => (t.clone(), vec![t.clone()]),
                Piece::Unknown(t) => (t.clone(), vec![]),
            };
            if !labels.contains(&label) {
                labels.push(label);
                wanted_terms.push(terms);
            }
        }
        if let Some((prefix, count)) = &completion {
            let completions = complete(prefix, &vocabulary);
            if completions.is_empty() {
                for piece in &pieces[pieces.len() - count..] {
                    let (label, terms) = match piece {
                        Piece::Known(t) => (t, vec![t.clone()]),
                        Piece::Unknown(t) => (t, vec![]),
                    };
                    if !labels.contains(label) {
                        labels.push(label.clone());
                        wanted_terms.push(terms);
                    }
                }
            } else {
                labels.push(format!("{prefix}…"));
                wanted_terms.push(completions);
            }
        }
        // One long word and nothing else: its head file holds the answer.
        if let [alternatives] = wanted_terms.as_slice()
            && let [term] = alternatives.as_slice()
            && self.head_eligible(query)
            && let Some(long) = self.long_term(term).cloned()
        {
            self.fetch_round(&BTreeSet::from([long.3.clone()]))?;
            let bytes = self
                .cache
                .get(&long.3)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let head: Head =
                serde_json::from_slice(bytes).map_err(|e| Self::damaged(&long.3, e))?;
            return self.evaluate_head(query, text, truncated, labels, long.1, head);
        }
        // A word in 90% of the datasets or more, next to a word that is not, is checked
        // against its complement instead of its blocks. If that leaves no dataset with every
        // word, the "any" answer needs the word's own postings: rank again with blocks.
        let mut ranked = None;
        for use_complements in [true, false] {
            let terms = self.query_terms(&wanted_terms, use_complements)?;
            let uses = terms.iter().any(|t| t.without.is_some());
            let answer = self.rank(query, &terms)?;
            let again = use_complements && uses && answer.mode == "any";
            ranked = Some(answer);
            if !again {
                break;
            }
        }
        let ranked = ranked.unwrap_or_default();
        self.finish(text, truncated, labels, ranked)
    }

    /// Fetches what each term needs (blocks, or a complement) and reads its postings.
    fn query_terms(
        &mut self,
        wanted_terms: &[Vec<String>],
        use_complements: bool,
    ) -> Result<Vec<QueryTerm>, QueryError> {
        let complement_of = |alternatives: &Vec<String>| -> Option<String> {
            match alternatives.as_slice() {
                [term] => self
                    .long_term(term)
                    .map(|l| l.4.clone())
                    .filter(|c| !c.is_empty()),
                _ => None,
            }
        };
        let anchored = use_complements
            && wanted_terms.iter().any(|alternatives| {
                !alternatives.is_empty() && complement_of(alternatives).is_none()
            });
        let complements: Vec<Option<String>> = wanted_terms
            .iter()
            .map(|alternatives| complement_of(alternatives).filter(|_| anchored))
            .collect();
        // Blocks (and complements) not fetched yet: one more round.
        let mut more = BTreeSet::new();
        for (alternatives, complement) in wanted_terms.iter().zip(&complements) {
            match complement {
                Some(name) => {
                    more.insert(name.clone());
                }
                None => {
                    for term in alternatives {
                        if let Some(long) = self.long_term(term) {
                            more.extend(long.2.iter().cloned());
                        }
                    }
                }
            }
        }
        self.fetch_round(&more)?;
        let mut terms = Vec::with_capacity(wanted_terms.len());
        for (alternatives, complement) in wanted_terms.iter().zip(&complements) {
            let mut term = QueryTerm {
                alternatives: Vec::new(),
                without: None,
            };
            match complement {
                Some(name) => {
                    let bytes = self.cache.get(name).map(Vec::as_slice).unwrap_or_default();
                    let keys = codec::decode_keys(bytes).map_err(|e| Self::damaged(name, e))?;
                    term.without = Some(keys.into_iter().collect());
                }
                None => {
                    for alternative in alternatives {
                        term.alternatives.push(self.postings(alternative)?);
                    }
                }
            }
            terms.push(term);
        }
        Ok(terms)
    }

    /// Adds a long term's files: its complement when it has one and other words may anchor
    /// the query, else its blocks.
    fn want_long(
        &self,
        term: &crate::directory::LongTerm,
        others: bool,
        wanted: &mut BTreeSet<String>,
    ) {
        if others && !term.4.is_empty() {
            wanted.insert(term.4.clone());
        } else {
            wanted.extend(term.2.iter().cloned());
        }
    }

    /// Adds the shards holding terms that start with `prefix` (its shard and, when the next
    /// shard starts with the prefix too, that one).
    fn want_completion_shards(&self, prefix: &str, wanted: &mut BTreeSet<String>) {
        if let Some(i) = self.shard_of(prefix) {
            wanted.insert(self.directory.shards[i].1.clone());
            if let Some((first, name)) = self.directory.shards.get(i + 1)
                && first.starts_with(prefix)
            {
                wanted.insert(name.clone());
            }
        }
    }

    /// Whether a one-word query may be answered from the word's head file.
    fn head_eligible(&self, query: &Query) -> bool {
        query.filters.is_empty() && query.limit > 0 && query.limit <= HEAD_RESULTS
    }

    fn idf(&self, df: u32) -> f64 {
        idf(self.directory.docs as f64, f64::from(df))
    }

    /// The answer to a one-word query from the word's head file.
    fn evaluate_head(
        &mut self,
        query: &Query,
        text: String,
        truncated: bool,
        labels: Vec<String>,
        df: u32,
        head: Head,
    ) -> Result<Answer, QueryError> {
        let idf = self.idf(df);
        let scoring = self.directory.scoring;
        let mut results: Vec<(u64, f64)> = head
            .top
            .iter()
            .map(|&(key, impact, facets)| {
                let posting = Posting {
                    key,
                    impact,
                    facets,
                };
                (key, rounded(idf * weight(posting, scoring)))
            })
            .collect();
        results.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        results.truncate(query.limit);
        let facets = self
            .directory
            .facets
            .iter()
            .zip(&head.facets)
            .map(|(facet, counts)| {
                FacetCounts::of(facet, counts.iter().map(|&c| c as usize).collect())
            })
            .collect();
        let hits = self.display(&results)?;
        Ok(Answer {
            query: text,
            truncated,
            terms: labels,
            mode: "all",
            total: df as usize,
            results: hits,
            facets,
            departments: head
                .departments
                .iter()
                .map(|&(slot, count)| (slot, count as usize))
                .collect(),
            bytes: self.fetched.iter().map(|f| f.bytes).sum(),
            fetched: self.fetched.clone(),
            round_trips: self.round,
        })
    }

    /// Ranks the datasets matching `terms` and counts facets; fetches nothing but the
    /// department table's contents (already loaded when a department filter is set).
    fn rank(&self, query: &Query, terms: &[QueryTerm]) -> Result<Ranked, QueryError> {
        // key → (score, facets, terms matched)
        let scoring = self.directory.scoring;
        let mut matched: BTreeMap<u64, (f64, u32, usize)> = BTreeMap::new();
        let scored: Vec<&QueryTerm> = terms.iter().filter(|t| t.without.is_none()).collect();
        let excluded = |key: &u64| {
            terms
                .iter()
                .filter_map(|t| t.without.as_ref())
                .any(|without| without.contains(key))
        };
        for term in &scored {
            let mut best: BTreeMap<u64, (f64, u32)> = BTreeMap::new();
            for (df, postings) in &term.alternatives {
                let idf = self.idf(*df);
                for p in postings {
                    let weight = idf * weight(*p, scoring);
                    let entry = best.entry(p.key).or_insert((0.0, p.facets));
                    if weight > entry.0 {
                        entry.0 = weight;
                    }
                }
            }
            for (key, (weight, facets)) in best {
                let entry = matched.entry(key).or_insert((0.0, facets, 0));
                entry.0 += weight;
                entry.2 += 1;
            }
        }
        let mut mode = if terms.is_empty() { "none" } else { "all" };
        // Words checked by complement narrow the results but add nothing to the score (their
        // idf is tiny), and a query with "any" of its words ignores them.
        let mut candidates: Vec<(u64, f64, u32)> = matched
            .iter()
            .filter(|(k, m)| m.2 == scored.len() && !excluded(k))
            .map(|(&k, m)| (k, m.0, m.1))
            .collect();
        if candidates.is_empty() && terms.len() > 1 {
            mode = "any";
            candidates = matched.iter().map(|(&k, m)| (k, m.0, m.1)).collect();
        }
        if candidates.is_empty() && !terms.is_empty() {
            mode = if terms.len() > 1 { "any" } else { "all" };
        }

        // Filters: per facet dimension, the value index; department by slot.
        let facets = &self.directory.facets;
        let mut filters: Vec<(usize, usize)> = Vec::new();
        let mut department: Option<Option<u64>> = None;
        for (dim, value) in &query.filters {
            if dim == "department" {
                department = Some(self.department_slot(value)?);
            } else if let Some(d) = facets.iter().position(|f| &f.name == dim) {
                match facets[d].values.iter().position(|(v, _)| v == value) {
                    Some(v) => filters.push((d, v)),
                    None => filters.push((d, usize::MAX)),
                }
            }
        }
        let passes = |code: u32, key: u64, skip: Option<usize>| {
            filters
                .iter()
                .all(|&(d, v)| Some(d) == skip || (v != usize::MAX && facets[d].has(code, v)))
                && (skip == Some(usize::MAX)
                    || department.is_none_or(|slot| slot == Some(keys::department_slot(key))))
        };
        let mut facet_counts = Vec::with_capacity(facets.len());
        for (d, facet) in facets.iter().enumerate() {
            let mut counts = vec![0usize; facet.values.len()];
            for &(key, _, code) in &candidates {
                if passes(code, key, Some(d)) {
                    for (v, count) in counts.iter_mut().enumerate() {
                        if facet.has(code, v) {
                            *count += 1;
                        }
                    }
                }
            }
            facet_counts.push(FacetCounts::of(facet, counts));
        }
        let mut departments: BTreeMap<u64, usize> = BTreeMap::new();
        for &(key, _, code) in &candidates {
            if passes(code, key, Some(usize::MAX)) {
                *departments.entry(keys::department_slot(key)).or_default() += 1;
            }
        }

        let mut results: Vec<(u64, f64)> = candidates
            .iter()
            .filter(|&&(key, _, code)| passes(code, key, None))
            .map(|&(key, score, _)| (key, rounded(score)))
            .collect();
        results.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total = results.len();
        if query.limit > 0 {
            results.truncate(query.limit);
        }
        Ok(Ranked {
            mode,
            total,
            results,
            facets: facet_counts,
            departments: departments.into_iter().collect(),
        })
    }

    /// Fetches display data for the ranked results and builds the answer.
    fn finish(
        &mut self,
        text: String,
        truncated: bool,
        labels: Vec<String>,
        ranked: Ranked,
    ) -> Result<Answer, QueryError> {
        let hits = self.display(&ranked.results)?;
        Ok(Answer {
            query: text,
            truncated,
            terms: labels,
            mode: ranked.mode,
            total: ranked.total,
            results: hits,
            facets: ranked.facets,
            departments: ranked.departments,
            bytes: self.fetched.iter().map(|f| f.bytes).sum(),
            fetched: self.fetched.clone(),
            round_trips: self.round,
        })
    }

    /// The slot of department `code` (from the department table, which must be loaded).
    fn department_slot(&self, code: &str) -> Result<Option<u64>, QueryError> {
        let name = &self.directory.departments;
        let bytes = self.cache.get(name).map(Vec::as_slice).unwrap_or_default();
        let rows: Vec<(u64, String, String)> =
            serde_json::from_slice(bytes).map_err(|e| Self::damaged(name, e))?;
        Ok(rows.into_iter().find(|r| r.1 == code).map(|r| r.0))
    }

    /// Fetches display data for `results` (two rounds: pages, then shards).
    fn display(&mut self, results: &[(u64, f64)]) -> Result<Vec<Hit>, QueryError> {
        let buckets = self.directory.buckets.max(1);
        let page_size = self.directory.page_size.max(1);
        let bucket_of = |key: u64| keys::mix(key) & (buckets - 1);
        let pages: BTreeSet<String> = results
            .iter()
            .filter_map(|(k, _)| {
                self.directory
                    .pages
                    .get((bucket_of(*k) / page_size) as usize)
                    .cloned()
            })
            .collect();
        self.fetch_round(&pages)?;
        let mut parsed: HashMap<&str, Vec<String>> = HashMap::new();
        for page in &pages {
            let names: Vec<String> =
                serde_json::from_slice(&self.cache[page]).map_err(|e| Self::damaged(page, e))?;
            parsed.insert(page, names);
        }
        let mut shards = BTreeSet::new();
        for (key, _) in results {
            let bucket = bucket_of(*key);
            let Some(page) = self.directory.pages.get((bucket / page_size) as usize) else {
                return Err(Self::damaged(
                    "index.bin",
                    format!("no display page for bucket {bucket}"),
                ));
            };
            let name = parsed[page.as_str()]
                .get((bucket % page_size) as usize)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    Self::damaged(page, format!("no display shard for bucket {bucket}"))
                })?;
            shards.insert(name.clone());
        }
        self.fetch_round(&shards)?;
        let mut by_key = HashMap::new();
        for name in &shards {
            let shard: DisplayShard =
                serde_json::from_slice(&self.cache[name]).map_err(|e| Self::damaged(name, e))?;
            for doc in shard.docs {
                by_key.insert(doc.0, doc);
            }
        }
        results
            .iter()
            .map(|(key, score)| {
                let doc = by_key.get(key).ok_or_else(|| QueryError::Damaged {
                    path: ROOT.to_string(),
                    reason: format!("dataset key {key} has no display data"),
                })?;
                Ok(Hit {
                    id: doc.1.clone(),
                    title: doc.2.clone(),
                    department: doc.3.clone(),
                    domain: doc.4.clone(),
                    snippet: doc.5.clone(),
                    url: format!("datasets/{}/", doc.1),
                    score: *score,
                })
            })
            .collect()
    }
}

/// Whether a name from the directory is an index file name (`t/0123456789.bin`): a damaged
/// or hostile directory cannot send the reader anywhere else.
fn is_index_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 16
        && bytes[0].is_ascii_lowercase()
        && bytes[1] == b'/'
        && bytes[2..12]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        && &bytes[12..] == b".bin"
}

/// Spaces trimmed from both ends of a query: Unicode White_Space and U+FEFF, as the
/// JavaScript client trims.
fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
}

/// Letters and digits (any script) make words; everything else separates them.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Cuts folded text into runs: Han runs and other word runs.
fn runs(text: &str) -> Vec<String> {
    let mut runs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_han = false;
    for c in text.chars() {
        if !is_word_char(c) {
            if !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
            continue;
        }
        let han = is_han(c);
        if !current.is_empty() && han != current_han {
            runs.push(std::mem::take(&mut current));
        }
        current_han = han;
        current.push(c);
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// Every substring of a Han run that could be a term, as `(text, start, length)`: two
/// characters or more, or the single character of a one-character run. A word run is its own
/// candidate.
fn candidates(run: &str) -> Vec<(String, usize, usize)> {
    let chars: Vec<char> = run.chars().collect();
    if !chars.iter().copied().all(is_han) || chars.len() == 1 {
        return vec![(run.to_string(), 0, chars.len())];
    }
    let mut out = Vec::new();
    for start in 0..chars.len() {
        for len in 2..=MAX_TERM_CHARS.min(chars.len() - start) {
            out.push((chars[start..start + len].iter().collect(), start, len));
        }
    }
    out
}

/// Longest-match segmentation of one run (see the module documentation), and its unknown
/// tail: the text of the trailing unknown stretch and how many pieces it became.
fn segment(run: &str, vocabulary: &BTreeMap<String, u32>) -> (Vec<Piece>, Option<(String, usize)>) {
    let chars: Vec<char> = run.chars().collect();
    if !chars.iter().copied().all(is_han) || chars.len() == 1 {
        return if vocabulary.contains_key(run) {
            (vec![Piece::Known(run.to_string())], None)
        } else {
            (
                vec![Piece::Unknown(run.to_string())],
                Some((run.to_string(), 1)),
            )
        };
    }
    let mut pieces = Vec::new();
    let mut unknown: Vec<char> = Vec::new();
    let flush = |unknown: &mut Vec<char>, pieces: &mut Vec<Piece>| -> Option<(String, usize)> {
        if unknown.is_empty() {
            return None;
        }
        if unknown.len() == 1 {
            pieces.push(Piece::Unknown(unknown[0].to_string()));
        }
        for pair in unknown.windows(2) {
            pieces.push(Piece::Unknown(pair.iter().collect()));
        }
        let tail = (
            unknown.iter().collect(),
            unknown.len().saturating_sub(1).max(1),
        );
        unknown.clear();
        Some(tail)
    };
    let mut i = 0;
    while i < chars.len() {
        let longest = (2..=MAX_TERM_CHARS.min(chars.len() - i))
            .rev()
            .find(|&len| vocabulary.contains_key(&chars[i..i + len].iter().collect::<String>()));
        match longest {
            Some(len) => {
                flush(&mut unknown, &mut pieces);
                pieces.push(Piece::Known(chars[i..i + len].iter().collect()));
                i += len;
            }
            None => {
                unknown.push(chars[i]);
                i += 1;
            }
        }
    }
    let tail = flush(&mut unknown, &mut pieces);
    (pieces, tail)
}

/// The most frequent terms that start with `prefix` (not `prefix` itself).
fn complete(prefix: &str, vocabulary: &BTreeMap<String, u32>) -> Vec<String> {
    let mut found: Vec<(&String, u32)> = vocabulary
        .range(prefix.to_string()..)
        .take_while(|(t, _)| t.starts_with(prefix))
        .filter(|(t, _)| t.as_str() != prefix)
        .map(|(t, &df)| (t, df))
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    found
        .into_iter()
        .take(COMPLETIONS)
        .map(|(t, _)| t.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(terms: &[&str]) -> BTreeMap<String, u32> {
        terms.iter().map(|t| (t.to_string(), 1)).collect()
    }

    fn known(t: &str) -> Piece {
        Piece::Known(t.into())
    }

    fn unknown(t: &str) -> Piece {
        Piece::Unknown(t.into())
    }

    #[test]
    fn runs_split_scripts_and_punctuation() {
        assert_eq!(
            runs("gdp统计，南宁 2023年"),
            vec!["gdp", "统计", "南宁", "2023", "年"]
        );
    }

    #[test]
    fn longest_match_keeps_words_whole() {
        let v = vocabulary(&["公交", "公交站点", "站点", "南宁市", "南宁"]);
        assert_eq!(
            segment("南宁市公交站点", &v).0,
            vec![known("南宁市"), known("公交站点")]
        );
    }

    #[test]
    fn unknown_stretches_become_bigrams_and_single_characters_do_not_match_inside_runs() {
        let v = vocabulary(&["社", "保", "公交"]);
        assert_eq!(
            segment("社保公交", &v).0,
            vec![unknown("社保"), known("公交")]
        );
        assert_eq!(
            segment("公交社保局", &v).0,
            vec![known("公交"), unknown("社保"), unknown("保局")]
        );
        assert_eq!(segment("社", &vocabulary(&["社"])).0, vec![known("社")]);
    }

    #[test]
    fn the_unknown_tail_of_the_last_word_is_completed() {
        let v = vocabulary(&["企业", "信用", "信息", "企业信用"]);
        assert_eq!(segment("企业信", &v).1, Some(("信".to_string(), 1)));
        assert_eq!(complete("信", &v), vec!["信息", "信用"]);
        assert_eq!(segment("gd", &v).1, Some(("gd".to_string(), 1)));
        assert_eq!(segment("企业", &v).1, None);
    }
}
