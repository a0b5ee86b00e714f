//! The index kept current in memory by a long-running process (the daemon).
//!
//! [`build`](crate::build()) runs tantivy over the whole catalog. A [`LiveIndex`] gives the
//! same files, byte for byte, from state it keeps between updates: every dataset's analysis
//! (its terms with their frequency per field, and the field lengths as tantivy records them),
//! the posting lists, and the files of the last export. An update analyses only the datasets
//! whose text changed, patches the posting lists of their terms, and encodes again only the
//! shards, blocks, heads, complements and display shards whose contents changed; everything
//! else is reused as it was.
//!
//! Some changes touch every dataset, and then the index starts over from the datasets:
//! a new segmenter dictionary (tokens may change anywhere), new facet values (every packed
//! code may change), or an average field length that rounds differently (every impact of that
//! field changes). Those are rare for one-record edits: averages are rounded to whole tokens.

use std::collections::{BTreeMap, BTreeSet};

// Maps keyed by dataset ids and words, looked up for every dataset of every update: a fast
// hasher, keyed per process.
use foldhash::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use tantivy::fieldnorm::FieldNormReader;

use crate::analyzer::{self, CatalogTokenizer};
use crate::build::{
    self, ExportedIndex, IndexError, IndexFile, IndexInput, IndexStats, SearchDoc, TEXT_FIELDS,
};
use crate::codec::{IN_TITLE, Posting, ShardTerm};
use crate::directory::{DIRECTORY, LongTerm, ROOT};
use crate::facets::{FacetDim, Layout};
use crate::keys;

const FIELDS: usize = TEXT_FIELDS.len();

/// One dataset's analysis: field lengths and, per term, its frequency in each field.
///
/// A catalog holds millions of (dataset, term) pairs, so each pair takes eight bytes: the
/// term's number and its frequencies packed [`BITS_PER_FIELD`] bits a field. The rare term
/// with a larger frequency is kept whole in `large`.
#[derive(Debug, Clone, Default)]
struct Analysis {
    /// Tokens per field, as tantivy stores field norms (lossy above 40).
    norms: [u32; FIELDS],
    /// Terms (numbers in [`LiveIndex::words`]) with their packed frequencies, or [`LARGE`].
    terms: Box<[(u32, u32)]>,
    /// Terms whose frequency in some field does not fit the packing, with every frequency.
    large: Box<[(u32, [u32; FIELDS])]>,
}

/// Bits of a packed frequency per field.
const BITS_PER_FIELD: usize = 6;
/// The packed value of a term kept in [`Analysis::large`]; packing uses only the low 30 bits.
const LARGE: u32 = u32::MAX;
const _: () = assert!(BITS_PER_FIELD * FIELDS < 32);

impl Analysis {
    fn new(norms: [u32; FIELDS], counted: impl Iterator<Item = (u32, [u32; FIELDS])>) -> Self {
        let limit = 1u32 << BITS_PER_FIELD;
        let mut terms = Vec::new();
        let mut large = Vec::new();
        for (number, tf) in counted {
            if tf.iter().all(|&n| n < limit) {
                let packed = tf.iter().enumerate().fold(0, |packed, (field, &n)| {
                    packed | n << (field * BITS_PER_FIELD)
                });
                terms.push((number, packed));
            } else {
                terms.push((number, LARGE));
                large.push((number, tf));
            }
        }
        Analysis {
            norms,
            terms: terms.into_boxed_slice(),
            large: large.into_boxed_slice(),
        }
    }

    /// Each term's number and its frequency per field.
    fn terms(&self) -> impl Iterator<Item = (u32, [u32; FIELDS])> + '_ {
        let mask = (1u32 << BITS_PER_FIELD) - 1;
        self.terms.iter().map(move |&(number, packed)| {
            if packed == LARGE {
                let (_, tf) = self
                    .large
                    .iter()
                    .find(|(n, _)| *n == number)
                    .copied()
                    .unwrap_or_default();
                (number, tf)
            } else {
                (
                    number,
                    std::array::from_fn(|field| packed >> (field * BITS_PER_FIELD) & mask),
                )
            }
        })
    }
}

/// An analysis before its terms are numbered.
struct Analysed {
    norms: [u32; FIELDS],
    terms: Vec<(String, [u32; FIELDS])>,
}

/// The text of one dataset per indexed field, in [`TEXT_FIELDS`] order.
fn field_values(doc: &SearchDoc) -> [Vec<&str>; FIELDS] {
    [
        vec![doc.title.as_str()],
        doc.keywords.iter().map(String::as_str).collect(),
        vec![&*doc.department_name],
        doc.fields.iter().map(String::as_str).collect(),
        vec![&doc.summary],
    ]
}

fn analyse(doc: &SearchDoc, tokenizer: &mut CatalogTokenizer) -> Analysed {
    let mut counts: BTreeMap<String, [u32; FIELDS]> = BTreeMap::new();
    let mut norms = [0u32; FIELDS];
    for (field, values) in field_values(doc).iter().enumerate() {
        for value in values {
            let tokens = tokenizer.tokens(value);
            norms[field] += tokens.len() as u32;
            for token in tokens {
                counts.entry(token).or_default()[field] += 1;
            }
        }
        norms[field] =
            FieldNormReader::id_to_fieldnorm(FieldNormReader::fieldnorm_to_id(norms[field]));
    }
    Analysed {
        norms,
        terms: counts.into_iter().collect(),
    }
}

/// Hash of what a search result shows of a dataset.
fn display_hash(doc: &SearchDoc) -> u64 {
    hash_of(&(
        &doc.id,
        &doc.title,
        &doc.department_name,
        &doc.domain,
        build::snippet(&doc.summary),
    ))
}

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// What the index holds of one dataset.
#[derive(Debug, Clone)]
struct LiveDoc {
    /// Hash of the indexed text.
    text: u64,
    /// Hash of what a result shows.
    display: u64,
    key: u64,
    code: u32,
    analysis: Arc<Analysis>,
    /// The document it was made from: the same one next time means unchanged.
    doc: Arc<SearchDoc>,
}

/// A search index kept up to date between builds; see the module documentation.
#[derive(Default)]
pub struct LiveIndex {
    dictionary: Arc<Vec<String>>,
    facets: Vec<FacetSignature>,
    tokenizer: Option<CatalogTokenizer>,
    docs: HashMap<String, LiveDoc>,
    /// Every term seen, numbered (analyses hold numbers, not copies of the words).
    words: Vec<String>,
    numbers: HashMap<String, u32>,
    terms: BTreeMap<String, Vec<Posting>>,
    sums: [u64; FIELDS],
    averages: [f64; FIELDS],
    exported: Option<Exported>,
    /// The last input's dataset keys and facet codes, by place.
    placed: Option<(Vec<u64>, Vec<u32>)>,
}

/// What the last export wrote, for reuse.
#[derive(Default)]
struct Exported {
    docs: usize,
    /// Hash of every dataset key, sorted.
    keys: u64,
    /// Short-term shards by (first term, last term, terms) → name.
    shards: HashMap<ShardId, String>,
    /// Long terms → their directory entry and files.
    long: HashMap<String, (LongTerm, Vec<String>)>,
    buckets: u64,
    bucket_names: Vec<String>,
    /// Every file by path.
    files: HashMap<String, Arc<[u8]>>,
}

/// Figures of one update, beside the usual [`IndexStats`].
#[derive(Debug, Clone, Default)]
pub struct UpdateStats {
    /// Whether the index started over (see the module documentation).
    pub rebuilt: bool,
    /// Datasets analysed in this update.
    pub analysed: usize,
    /// Datasets removed.
    pub removed: usize,
    /// Files encoded in this update (the others were reused).
    pub encoded: usize,
}

impl LiveIndex {
    /// An empty index; the first update indexes everything.
    pub fn new() -> LiveIndex {
        LiveIndex::default()
    }

    /// Brings the index to `input` and exports it: the same files as [`build`](crate::build())
    /// of `input`.
    pub fn update(
        &mut self,
        input: &IndexInput,
    ) -> Result<(ExportedIndex, UpdateStats), IndexError> {
        self.update_in_place(input, None)
    }

    /// As [`LiveIndex::update`]; `in_place`, when given, says that every dataset is where it
    /// was in the last update's input, with the very same document, except at these places
    /// (where the document was made again for the same id and department). Only those are
    /// then looked at, and the datasets' keys are those of the last update.
    pub fn update_in_place(
        &mut self,
        input: &IndexInput,
        in_place: Option<&[usize]>,
    ) -> Result<(ExportedIndex, UpdateStats), IndexError> {
        let started = Instant::now();
        let mut update = UpdateStats::default();
        let facets = facet_signature(&input.facets);
        // Taken now: an update that fails half way leaves none for the next one.
        let placed = self.placed.take();
        let same_shape = self.tokenizer.is_some() && self.facets == facets;
        let reuse = match (in_place, placed) {
            (Some(changed), Some((keys, codes)))
                if same_shape && keys.len() == input.docs.len() =>
            {
                Some((changed, keys, codes))
            }
            _ => None,
        };
        let (keys, layout, codes, in_place) = match reuse {
            // Same ids in the same departments: the same keys.
            Some((changed, keys, mut codes)) => {
                let layout = Layout::new(&input.facets)?;
                for &i in changed {
                    codes[i] = layout.pack(&input.facets, &input.docs[i].facets);
                }
                (keys, layout, codes, Some(changed))
            }
            None => {
                let (keys, layout, codes) = build::keys_and_codes(input)?;
                (keys, layout, codes, None)
            }
        };
        let same_words =
            Arc::ptr_eq(&self.dictionary, &input.dictionary) || self.dictionary == input.dictionary;
        // Words that joined or left the segmenter dictionary. The catalog's words only add
        // full-mode tokens where they occur, so only datasets whose text holds one of them are
        // analysed again.
        let mut moved_words: Vec<String> = Vec::new();
        if self.tokenizer.is_none() || self.facets != facets {
            *self = LiveIndex {
                dictionary: input.dictionary.clone(),
                facets,
                tokenizer: Some(CatalogTokenizer::new(Arc::new(analyzer::dictionary(
                    &input.dictionary,
                )))),
                ..LiveIndex::default()
            };
            update.rebuilt = true;
        } else if !same_words {
            let old: HashSet<&str> = self.dictionary.iter().map(String::as_str).collect();
            let new: HashSet<&str> = input.dictionary.iter().map(String::as_str).collect();
            moved_words = old
                .symmetric_difference(&new)
                .filter(|w| analyzer::is_segmenter_word(w))
                .map(|w| w.to_string())
                .collect();
            self.dictionary = input.dictionary.clone();
            self.tokenizer = Some(CatalogTokenizer::new(Arc::new(analyzer::dictionary(
                &input.dictionary,
            ))));
        }
        let holds_moved_word: Vec<bool> = if moved_words.is_empty() {
            Vec::new()
        } else {
            input
                .docs
                .par_iter()
                .map(|doc| {
                    // Full mode cuts the folded text, where the word is looked for as written.
                    field_values(doc).iter().flatten().any(|value| {
                        let folded = analyzer::fold(value);
                        moved_words.iter().any(|w| folded.contains(w.as_str()))
                    })
                })
                .collect()
        };

        // What changed, dataset by dataset: at the places `in_place` names (unless a word of the
        // dictionary moved, which may touch any dataset), else everywhere.
        let positions: Vec<usize> = match in_place {
            Some(changed) if moved_words.is_empty() => changed.to_vec(),
            _ => (0..input.docs.len()).collect(),
        };
        let removed: Vec<String> = if in_place.is_some() {
            // The same ids as last time.
            Vec::new()
        } else {
            let seen: HashSet<&str> = input.docs.iter().map(|d| d.id.as_str()).collect();
            self.docs
                .keys()
                .filter(|id| !seen.contains(id.as_str()))
                .cloned()
                .collect()
        };
        // Terms whose list changed, with the keys whose posting came, went or changed.
        let mut dirty_terms: HashMap<String, Vec<u64>> = HashMap::default();
        let mut dirty_buckets: Vec<u64> = Vec::new();
        let mut reanalyse: Vec<usize> = Vec::new();
        let mut repost: Vec<usize> = Vec::new();
        // By place, for the places looked at only: an edit looks at a few of a whole catalog.
        let mut entries: HashMap<usize, LiveDoc> = HashMap::default();
        let mut hashes: HashMap<usize, (u64, u64)> = HashMap::default();
        let found: Vec<(u64, u64)> = positions
            .par_iter()
            .map(|&i| {
                let doc = &input.docs[i];
                match self.docs.get(&doc.id) {
                    Some(old) if Arc::ptr_eq(&old.doc, doc) => (old.text, old.display),
                    _ => (hash_of(&field_values(doc)), display_hash(doc)),
                }
            })
            .collect();
        for (&i, found) in positions.iter().zip(found) {
            hashes.insert(i, found);
        }
        for &i in &positions {
            let doc = &input.docs[i];
            let (text, display) = hashes[&i];
            let moved = holds_moved_word.get(i).copied().unwrap_or(false);
            match self.docs.get(&doc.id) {
                Some(old) if old.text == text && !moved => {
                    let same_place = (old.key, old.code) == (keys[i], codes[i]);
                    if same_place && old.display == display && Arc::ptr_eq(&old.doc, doc) {
                        // The very same entry: nothing to do.
                        continue;
                    }
                    if !same_place {
                        repost.push(i);
                    }
                    if old.key != keys[i] || old.display != display {
                        dirty_buckets.push(old.key);
                        dirty_buckets.push(keys[i]);
                    }
                    entries.insert(
                        i,
                        LiveDoc {
                            display,
                            key: keys[i],
                            code: codes[i],
                            doc: Arc::clone(doc),
                            ..old.clone()
                        },
                    );
                }
                old => {
                    if let Some(old) = old {
                        dirty_buckets.push(old.key);
                    }
                    dirty_buckets.push(keys[i]);
                    reanalyse.push(i);
                }
            }
        }
        let tokenizer = self.tokenizer.clone().unwrap_or_else(|| {
            CatalogTokenizer::new(Arc::new(analyzer::dictionary(&input.dictionary)))
        });
        // In chunks, numbering each chunk's words before the next is analysed, so the words of
        // a whole catalog are never held as strings at once.
        let mut analysed: Vec<(usize, Analysis)> = Vec::with_capacity(reanalyse.len());
        for chunk in reanalyse.chunks(4096) {
            let words: Vec<(usize, Analysed)> = chunk
                .par_iter()
                .map_init(
                    || tokenizer.clone(),
                    |t, &i| (i, analyse(&input.docs[i], t)),
                )
                .collect();
            for (i, found) in words {
                let counted = found
                    .terms
                    .into_iter()
                    .map(|(word, tf)| (self.number(word), tf));
                analysed.push((i, Analysis::new(found.norms, counted)));
            }
        }
        update.analysed = analysed.len();
        update.removed = removed.len();

        // Take out the postings of removed, changed and re-keyed datasets.
        let leaving: Vec<LiveDoc> = removed
            .iter()
            .chain(reanalyse.iter().map(|&i| &input.docs[i].id))
            .chain(repost.iter().map(|&i| &input.docs[i].id))
            .filter_map(|id| self.docs.remove(id))
            .collect();
        // Postings taken out, so a list that gets back the very same posting is not dirty.
        // Each list is filtered once, whatever the number of datasets leaving it.
        let mut out_by_term: HashMap<u32, Vec<u64>> = HashMap::default();
        for old in &leaving {
            dirty_buckets.push(old.key);
            for (field, norm) in old.analysis.norms.iter().enumerate() {
                self.sums[field] -= u64::from(*norm);
            }
            for &(number, _) in &old.analysis.terms {
                out_by_term.entry(number).or_default().push(old.key);
            }
        }
        let mut taken: HashMap<(u32, u64), Posting> = HashMap::default();
        for (number, mut keys) in out_by_term {
            let term = &self.words[number as usize];
            let Some(list) = self.terms.get_mut(term) else {
                continue;
            };
            keys.sort_unstable();
            list.retain(|p| {
                let leaves = keys.binary_search(&p.key).is_ok();
                if leaves {
                    taken.insert((number, p.key), *p);
                }
                !leaves
            });
            if list.is_empty() {
                self.terms.remove(term);
            }
        }
        for (i, analysis) in analysed {
            entries.insert(
                i,
                LiveDoc {
                    text: hashes[&i].0,
                    display: hashes[&i].1,
                    key: keys[i],
                    code: codes[i],
                    analysis: Arc::new(analysis),
                    doc: Arc::clone(&input.docs[i]),
                },
            );
        }
        // Put in the postings of new, changed and re-keyed datasets.
        let arriving: Vec<usize> = reanalyse.iter().chain(&repost).copied().collect();
        for &i in &arriving {
            if let Some(entry) = entries.get(&i) {
                for (field, norm) in entry.analysis.norms.iter().enumerate() {
                    self.sums[field] += u64::from(*norm);
                }
            }
        }
        let docs = input.docs.len().max(1) as f64;
        let averages = self
            .sums
            .map(|total| (total as f64 / docs).round().max(1.0));
        let start_over = averages != self.averages;
        self.averages = averages;
        // Entries changed in place; those leaving were taken out above.
        for &i in &positions {
            let doc = &input.docs[i];
            match (entries.remove(&i), self.docs.get_mut(&doc.id)) {
                (Some(entry), Some(kept)) => *kept = entry,
                (Some(entry), None) => {
                    self.docs.insert(doc.id.clone(), entry);
                }
                (None, _) => {}
            }
        }
        if start_over {
            // Every impact moves: post every dataset again.
            self.terms = postings_by_term(self.docs.values(), &averages)
                .into_iter()
                .map(|(number, mut list)| {
                    list.sort_unstable_by_key(|p| p.key);
                    (self.words[number as usize].clone(), list)
                })
                .collect();
            self.exported = None;
        } else {
            // Each list takes its new postings in one merge.
            let in_by_term = postings_by_term(
                arriving.iter().map(|&i| &self.docs[&input.docs[i].id]),
                &averages,
            );
            for (number, mut arrived) in in_by_term {
                let term = &self.words[number as usize];
                arrived.sort_unstable_by_key(|p| p.key);
                let changed: Vec<u64> = arrived
                    .iter()
                    .filter(|p| taken.remove(&(number, p.key)) != Some(**p))
                    .map(|p| p.key)
                    .collect();
                if !changed.is_empty() {
                    dirty_terms.entry(term.clone()).or_default().extend(changed);
                }
                let list = self.terms.entry(term.clone()).or_default();
                merge_postings(list, &arrived);
            }
            // Lists that lost a posting for good.
            for (number, key) in taken.into_keys() {
                let term = &self.words[number as usize];
                dirty_terms.entry(term.clone()).or_default().push(key);
            }
        }
        let index_seconds = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let (files, mut stats, encoded) =
            self.export(input, &keys, &layout, &dirty_terms, &dirty_buckets);
        self.placed = Some((keys, codes));
        update.encoded = encoded;
        stats.index_seconds = index_seconds;
        stats.export_seconds = started.elapsed().as_secs_f64();
        Ok((ExportedIndex { files, stats }, update))
    }

    /// The number of a word, numbering it if new.
    fn number(&mut self, word: String) -> u32 {
        if let Some(&n) = self.numbers.get(&word) {
            return n;
        }
        let n = self.words.len() as u32;
        self.words.push(word.clone());
        self.numbers.insert(word, n);
        n
    }

    fn export(
        &mut self,
        input: &IndexInput,
        keys: &[u64],
        layout: &Layout,
        dirty_terms: &HashMap<String, Vec<u64>>,
        dirty_buckets: &[u64],
    ) -> (Vec<IndexFile>, IndexStats, usize) {
        let old = self.exported.take().unwrap_or_default();
        let fresh = old.files.is_empty();
        let docs = input.docs.len();
        let mut all_keys = keys.to_vec();
        all_keys.sort_unstable();
        // Complements list the datasets without a term: any change of keys moves them.
        let keys_hash = hash_of(&all_keys);
        let mut stats = IndexStats {
            docs,
            terms: self.terms.len(),
            ..IndexStats::default()
        };
        let mut next = Exported {
            docs,
            keys: keys_hash,
            ..Exported::default()
        };
        let mut new_files: Vec<IndexFile> = Vec::new();

        // Long terms: encoded again when their postings changed, or, when the catalog grew or
        // shrank, when their complement or head ordering depends on its size.
        let long_terms: Vec<(&String, &Vec<Posting>)> = self
            .terms
            .iter()
            .filter(|(t, p)| build::is_long(t, p.len()))
            .collect();
        let encoded: Vec<(LongTerm, Vec<String>, Vec<IndexFile>)> = long_terms
            .par_iter()
            .filter(|(term, postings)| {
                fresh
                    || dirty_terms.contains_key(*term)
                    || !old.long.contains_key(*term)
                    || ((old.docs != docs || old.keys != keys_hash)
                        && (build::has_complement(postings.len(), old.docs)
                            || build::has_complement(postings.len(), docs)))
            })
            .map(|(term, postings)| {
                let known = |path: &str| old.files.contains_key(path);
                // Blocks holding no changed posting are kept (none after a fresh start).
                let earlier = old.long.get(*term).map(|(entry, _)| build::EarlierTerm {
                    blocks: &entry.2,
                    changed: dirty_terms.get(*term).map_or(&[], Vec::as_slice),
                });
                build::long_term(term, postings, &all_keys, input, layout, &known, earlier)
            })
            .collect();
        let mut long_entries: BTreeMap<String, (LongTerm, Vec<String>)> = BTreeMap::new();
        for (entry, paths, files) in encoded {
            long_entries.insert(entry.0.clone(), (entry, paths));
            new_files.extend(files);
        }
        for (term, _) in &long_terms {
            if !long_entries.contains_key(*term)
                && let Some(kept) = old.long.get(*term)
            {
                long_entries.insert((*term).clone(), kept.clone());
            }
        }
        let mut long = Vec::with_capacity(long_entries.len());
        for (term, (entry, paths)) in long_entries {
            stats.blocks += entry.2.len();
            long.push(entry.clone());
            next.long.insert(term, (entry, paths));
        }
        stats.long_terms = long.len();

        // Short terms: shards are cut again over the whole term list (cheap); a shard with
        // the same terms as before and no changed list keeps its file.
        let short: Vec<(&String, &Vec<Posting>)> = self
            .terms
            .iter()
            .filter(|(t, p)| !build::is_long(t, p.len()))
            .collect();
        let ends = build::shard_ends(
            short
                .iter()
                .map(|(t, p)| (build::list_size(t, p.len()), build::may_cut_after(t))),
        );
        let mut ranges = Vec::with_capacity(ends.len());
        let mut start = 0;
        for end in ends {
            ranges.push(start..end);
            start = end;
        }
        let shards: Vec<(String, Option<IndexFile>, ShardId)> = ranges
            .par_iter()
            .map(|range| {
                let terms = &short[range.clone()];
                let id = (
                    terms[0].0.clone(),
                    terms[terms.len() - 1].0.clone(),
                    terms.len(),
                );
                let unchanged = !fresh && terms.iter().all(|(t, _)| !dirty_terms.contains_key(*t));
                if unchanged && let Some(name) = old.shards.get(&id) {
                    return (name.clone(), None, id);
                }
                let encoded: Vec<ShardTerm> = terms
                    .iter()
                    .map(|(t, p)| ShardTerm {
                        term: (*t).clone(),
                        df: p.len() as u32,
                        postings: (*p).clone(),
                    })
                    .collect();
                let (name, file) = build::shard_file(&encoded);
                (name, Some(file), id)
            })
            .collect();
        let mut shard_list = Vec::with_capacity(shards.len());
        for (n, ((name, file, id), range)) in shards.into_iter().zip(&ranges).enumerate() {
            let first = if n == 0 {
                String::new()
            } else {
                short[range.start].0.clone()
            };
            shard_list.push((first, name.clone()));
            next.shards.insert(id, name);
            new_files.extend(file);
        }
        stats.shards = shard_list.len();

        // Display shards: those holding a changed, new or removed dataset.
        let buckets = build::display_buckets(docs);
        let all_buckets = fresh || buckets != old.buckets;
        let dirty: BTreeSet<u64> = dirty_buckets
            .iter()
            .map(|&k| keys::mix(k) & (buckets - 1))
            .collect();
        let mut names = if all_buckets {
            vec![String::new(); buckets as usize]
        } else {
            old.bucket_names.clone()
        };
        let mut by_bucket: BTreeMap<u64, Vec<build::DisplayRow<'_>>> = BTreeMap::new();
        for (doc, &key) in input.docs.iter().zip(keys) {
            let bucket = keys::mix(key) & (buckets - 1);
            if all_buckets || dirty.contains(&bucket) {
                by_bucket
                    .entry(bucket)
                    .or_default()
                    .push(build::display_doc(doc, key));
            }
        }
        if !all_buckets {
            for &bucket in &dirty {
                names[bucket as usize] = String::new();
            }
        }
        for (bucket, docs) in by_bucket {
            let (name, file) = build::bucket_file(bucket, docs);
            names[bucket as usize] = name;
            new_files.push(file);
        }
        stats.display_shards = names.iter().filter(|n| !n.is_empty()).count();
        let mut pages = Vec::new();
        for (name, file) in build::page_files(&names) {
            pages.push(name);
            new_files.push(file);
        }
        let departments = build::export_departments(input, keys, &mut new_files);
        new_files.push(build::directory_file(
            input,
            layout,
            shard_list.clone(),
            long.clone(),
            buckets,
            pages.clone(),
            departments.clone(),
        ));
        next.buckets = buckets;
        next.bucket_names = names.clone();

        // The files of this export: the new ones, and the old ones still named.
        let encoded = new_files.len();
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        wanted.insert(DIRECTORY.to_string());
        let rooted = |name: &String| format!("{ROOT}{name}");
        wanted.extend(shard_list.iter().map(|(_, n)| rooted(n)));
        for (entry, paths) in next.long.values() {
            let _ = entry;
            wanted.extend(paths.iter().cloned());
        }
        wanted.extend(names.iter().filter(|n| !n.is_empty()).map(rooted));
        wanted.extend(pages.iter().map(rooted));
        wanted.insert(rooted(&departments));
        let mut files: HashMap<String, Arc<[u8]>> = old.files;
        for file in new_files {
            files.insert(file.path, file.bytes);
        }
        files.retain(|path, _| wanted.contains(path));
        next.files = files;
        let mut out: Vec<IndexFile> = next
            .files
            .iter()
            .filter(|(path, _)| path.as_str() != DIRECTORY)
            .map(|(path, bytes)| IndexFile {
                path: path.clone(),
                bytes: bytes.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(directory) = next.files.get(DIRECTORY) {
            out.push(IndexFile {
                path: DIRECTORY.to_string(),
                bytes: directory.clone(),
            });
        }
        stats.files = out.len();
        stats.bytes = out.iter().map(|f| f.bytes.len() as u64).sum();
        self.exported = Some(next);
        (out, stats, encoded)
    }
}

/// A facet dimension in comparable form: name, label, values, multi.
type FacetSignature = (String, String, Vec<(String, String)>, bool);

/// A shard's terms as compared between exports: first, last, count.
type ShardId = (String, String, usize);

/// A comparable form of the facet dimensions.
fn facet_signature(dims: &[FacetDim]) -> Vec<FacetSignature> {
    dims.iter()
        .map(|d| (d.name.clone(), d.label.clone(), d.values.clone(), d.multi))
        .collect()
}

/// Merges `arrived` (sorted by key) into `list` (sorted by key) in place; on an equal key the
/// arriving posting wins. Nothing is allocated when the list has room, as it has after its
/// leaving postings were taken out: a list is never copied whole to take one dataset back.
fn merge_postings(list: &mut Vec<Posting>, arrived: &[Posting]) {
    let has = |p: &Posting| list.binary_search_by_key(&p.key, |k| k.key).is_ok();
    if arrived.iter().any(has) {
        list.retain(|k| arrived.binary_search_by_key(&k.key, |p| p.key).is_err());
    }
    let kept = list.len();
    list.reserve_exact(arrived.len());
    list.extend_from_slice(arrived);
    // From the back: the write position never passes a kept posting not yet read.
    let (mut from_kept, mut from_arrived) = (kept, arrived.len());
    for write in (0..list.len()).rev() {
        if from_arrived == 0 {
            break;
        }
        if from_kept > 0 && list[from_kept - 1].key > arrived[from_arrived - 1].key {
            from_kept -= 1;
            list[write] = list[from_kept];
        } else {
            from_arrived -= 1;
            list[write] = arrived[from_arrived];
        }
    }
}

/// The postings of these datasets, by term number, in dataset order. Each list is allocated
/// at its final length: at a whole catalog's millions of postings, growing by pushing would
/// leave a third of the memory unused.
fn postings_by_term<'a>(
    docs: impl Iterator<Item = &'a LiveDoc> + Clone,
    averages: &[f64; FIELDS],
) -> HashMap<u32, Vec<Posting>> {
    let mut lists: HashMap<u32, Vec<Posting>> = HashMap::default();
    let mut lengths: HashMap<u32, usize> = HashMap::default();
    for doc in docs.clone() {
        for &(number, _) in &doc.analysis.terms {
            *lengths.entry(number).or_default() += 1;
        }
    }
    lists.extend(
        lengths
            .into_iter()
            .map(|(number, n)| (number, Vec::with_capacity(n))),
    );
    for doc in docs {
        for (number, tf) in doc.analysis.terms() {
            if let Some(list) = lists.get_mut(&number) {
                list.push(posting(doc, &tf, averages));
            }
        }
    }
    lists
}

/// A dataset's posting for one term: the BM25F impact summed over fields in field order.
fn posting(doc: &LiveDoc, tf: &[u32; FIELDS], averages: &[f64; FIELDS]) -> Posting {
    let mut impact = 0f64;
    let mut in_title = false;
    for (field, &(_, weight, is_title)) in TEXT_FIELDS.iter().enumerate() {
        if tf[field] == 0 {
            continue;
        }
        impact += f64::from(build::field_impact(
            weight,
            f64::from(tf[field]),
            f64::from(doc.analysis.norms[field]),
            averages[field],
        ));
        in_title |= is_title;
    }
    Posting {
        key: doc.key,
        impact: build::quantise(impact) | if in_title { IN_TITLE } else { 0 },
        facets: doc.code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyses_give_back_every_frequency_packed_or_large() {
        let counted = vec![
            (7, [1, 0, 0, 2, 63]),
            (3, [0, 64, 0, 0, 1]),
            (9, [0, 0, 5, 0, 0]),
            (1, [1000, 0, 0, 0, 40]),
        ];
        let analysis = Analysis::new([1, 2, 3, 4, 5], counted.clone().into_iter());
        assert_eq!(analysis.terms().collect::<Vec<_>>(), counted);
        assert_eq!(
            analysis.large.len(),
            2,
            "only the terms that do not fit are kept whole"
        );
    }

    fn p(key: u64, impact: u8) -> Posting {
        Posting {
            key,
            impact,
            facets: 0,
        }
    }

    #[test]
    fn merged_postings_stay_in_key_order_and_arrivals_win() {
        let merged = |mut kept: Vec<Posting>, arrived: Vec<Posting>| {
            merge_postings(&mut kept, &arrived);
            kept.iter().map(|x| (x.key, x.impact)).collect::<Vec<_>>()
        };
        assert_eq!(
            merged(
                vec![p(1, 1), p(3, 1), p(5, 1), p(9, 1)],
                vec![p(0, 2), p(3, 2), p(6, 2), p(12, 2)]
            ),
            vec![(0, 2), (1, 1), (3, 2), (5, 1), (6, 2), (9, 1), (12, 2)]
        );
        assert_eq!(merged(Vec::new(), vec![p(4, 1)]), vec![(4, 1)]);
        assert_eq!(merged(vec![p(4, 1)], Vec::new()), vec![(4, 1)]);
        assert_eq!(
            merged(vec![p(7, 1), p(8, 1)], vec![p(1, 2), p(2, 2)]),
            vec![(1, 2), (2, 2), (7, 1), (8, 1)]
        );
        assert_eq!(
            merged(vec![p(1, 1), p(2, 1)], vec![p(7, 2), p(8, 2)]),
            vec![(1, 1), (2, 1), (7, 2), (8, 2)]
        );
    }

    #[test]
    fn a_list_with_room_takes_its_postings_back_without_moving() {
        let mut list = vec![p(1, 1), p(3, 1), p(5, 1)];
        list.retain(|x| x.key != 3);
        let at = list.as_ptr();
        merge_postings(&mut list, &[p(3, 9)]);
        assert_eq!(list.as_ptr(), at, "the list was not reallocated");
        assert_eq!(list[1], p(3, 9));
    }
}
