//! What a render reads of every dataset besides its own files (the keys the site model groups
//! and sorts by, and the inputs of the files that list every dataset), kept from one render
//! to the next.
//!
//! A catalog of 100,000 datasets is 100,000 separate records in memory; reading a few fields
//! of each costs tens of milliseconds in cache misses alone, on every render. A dataset is an
//! immutable `Arc`, so an unchanged one is the same allocation from render to render: its
//! summary is kept, and only the datasets whose allocation changed are read again. The
//! summaries keep their datasets alive, so an address cannot be reused by another dataset
//! while it is remembered. Like the rest of the render memo, they hold for one set of
//! divisions (a region's chain of divisions is read once).

use std::sync::Arc;

use chrono::NaiveDate;

use crate::divisions::Divisions;
use crate::model::{Dataset, Vocabulary};

/// The facets a dataset is grouped by, in the order of [`Summaries::names`].
pub(super) const FACETS: usize = 7;
/// Facets with one key per dataset: department, domain, level, open type, update frequency.
const SINGLE: usize = 5;
/// The open type facet, among the single-key ones.
const OPEN_TYPE: usize = 3;
/// The formats facet (every resource format, without case).
pub(super) const FORMATS: usize = 5;
/// The regions facet (every division the dataset's region lies in).
pub(super) const REGIONS: usize = 6;

/// One dataset as a render sees it without visiting it.
#[derive(Debug, Clone)]
pub(super) struct DatasetSummary {
    /// The dataset's digest (everything a page shows of it).
    pub(super) digest: u64,
    /// The memo key of its id.
    pub(super) id_key: u64,
    /// The same hash of its title.
    pub(super) title_key: u64,
    /// The stable hash of its id that chooses its catalog page.
    pub(super) page_spread: u64,
    /// What the sitemap says of it: its id and last change.
    pub(super) sitemap: u64,
    /// What each CKAN list call reads of it (in `CKAN_LISTS` order).
    pub(super) lists: [u64; 4],
    /// Share of the optional catalog fields it fills.
    pub(super) completeness: f64,
    /// Its last change, newest first when sorted.
    pub(super) recency: std::cmp::Reverse<Option<NaiveDate>>,
    /// Whether it is a high-value dataset.
    pub(super) high_value: bool,
    /// Days its update frequency allows between updates (`None`: irregular).
    pub(super) allowed_age_days: Option<i64>,
    /// Its key in each single-key facet, by number.
    single: [u32; SINGLE],
    /// The number of its set of formats in [`Summaries::format_sets`].
    formats: u32,
    /// The number of its region's chain in [`Summaries::region_chains`].
    region: u32,
}

impl DatasetSummary {
    /// Whether the dataset is stale on `today` (第二十一条).
    pub(super) fn is_stale(&self, today: NaiveDate) -> bool {
        super::stale_on(self.allowed_age_days, self.recency.0, today)
    }
}

/// The summaries of the last render's datasets, in catalog order, and the numbering of the
/// facet keys they use (which only grows while the memo lives).
#[derive(Debug, Clone, Default)]
pub struct Summaries {
    /// Each dataset read, held so its allocation stays its own.
    read: Vec<Arc<Dataset>>,
    /// Their summaries, in the same order.
    summaries: Vec<DatasetSummary>,
    /// Per facet, its keys by number.
    names: [Vec<String>; FACETS],
    /// Per facet, the number of each key.
    numbers: [foldhash::HashMap<String, u32>; FACETS],
    /// Sets of format numbers, by number; and the number of each.
    format_sets: Vec<Box<[u32]>>,
    format_set_numbers: foldhash::HashMap<Box<[u32]>, u32>,
    /// Per region, the numbers of every division it lies in; and the number of each region.
    region_chains: Vec<Box<[u32]>>,
    region_numbers: foldhash::HashMap<String, u32>,
}

impl Summaries {
    /// Brings the summaries level with `datasets` (in id order), reading only the datasets
    /// that are not the allocations read last time.
    pub(super) fn refresh(
        &mut self,
        datasets: &[Arc<Dataset>],
        divisions: &Divisions,
        keys: &impl Fn(&Dataset) -> RenderKeys,
    ) {
        // The usual case, a dataset changed or none: the same count, in the same places.
        if self.read.len() == datasets.len() {
            for (i, dataset) in datasets.iter().enumerate() {
                if !Arc::ptr_eq(&self.read[i], dataset) {
                    self.summaries[i] = self.summarise(dataset, divisions, keys(dataset));
                    self.read[i] = Arc::clone(dataset);
                }
            }
            return;
        }
        let old_read = std::mem::take(&mut self.read);
        let old_summaries = std::mem::take(&mut self.summaries);
        let mut old = old_read.into_iter().zip(old_summaries).peekable();
        let mut read = Vec::with_capacity(datasets.len());
        let mut summaries = Vec::with_capacity(datasets.len());
        for dataset in datasets {
            // Entries before this dataset's id are gone, or changed: only a mismatch reads an id.
            while let Some((seen, _)) = old.peek() {
                if Arc::ptr_eq(seen, dataset) || seen.id > dataset.id {
                    break;
                }
                old.next();
            }
            match old.next_if(|(seen, _)| Arc::ptr_eq(seen, dataset)) {
                Some((seen, summary)) => {
                    read.push(seen);
                    summaries.push(summary);
                }
                None => {
                    summaries.push(self.summarise(dataset, divisions, keys(dataset)));
                    read.push(Arc::clone(dataset));
                }
            }
        }
        self.read = read;
        self.summaries = summaries;
    }

    /// The newest last change of any dataset.
    pub(super) fn newest_change(&self) -> Option<NaiveDate> {
        self.summaries.iter().filter_map(|s| s.recency.0).max()
    }

    /// The titles and ids of `withheld` datasets that a public dataset also carries: only
    /// the datasets whose title or id hashes alike are read.
    pub(super) fn shared_with_public<'a>(
        &self,
        withheld: &'a [crate::policy::Withheld],
        keys: &impl Fn(&str) -> u64,
    ) -> crate::audit::SharedWithPublic<'a> {
        let titles: foldhash::HashSet<u64> = withheld.iter().map(|w| keys(&w.title)).collect();
        let ids: foldhash::HashSet<u64> = withheld.iter().map(|w| keys(&w.id)).collect();
        let mut public_titles = std::collections::HashSet::new();
        let mut public_ids = std::collections::HashSet::new();
        for (dataset, summary) in self.read.iter().zip(&self.summaries) {
            if titles.contains(&summary.title_key) {
                public_titles.insert(dataset.title.as_str());
            }
            if ids.contains(&summary.id_key) {
                public_ids.insert(dataset.id.0.as_str());
            }
        }
        crate::audit::SharedWithPublic::among(withheld, &public_titles, &public_ids)
    }

    /// Reads one dataset.
    fn summarise(
        &mut self,
        dataset: &Dataset,
        divisions: &Divisions,
        keys: RenderKeys,
    ) -> DatasetSummary {
        let single = [
            dataset.department.0.as_str(),
            dataset.domain.as_str(),
            dataset.level.slug(),
            dataset.open_type.slug(),
            dataset.update_frequency.slug(),
        ];
        let single: [u32; SINGLE] = std::array::from_fn(|f| self.number(f, single[f]));
        // Each format once, compared without case, in the order the resources give them.
        let mut formats: Vec<u32> = Vec::new();
        for resource in &dataset.resources {
            let number = self.number(FORMATS, &resource.format.to_ascii_lowercase());
            if !formats.contains(&number) {
                formats.push(number);
            }
        }
        let formats = match self.format_set_numbers.get(formats.as_slice()) {
            Some(&n) => n,
            None => {
                let n = self.format_sets.len() as u32;
                let set: Box<[u32]> = formats.into();
                self.format_sets.push(set.clone());
                self.format_set_numbers.insert(set, n);
                n
            }
        };
        let code = dataset.region.0.as_str();
        let region = match self.region_numbers.get(code) {
            Some(&n) => n,
            None => {
                let chain = divisions
                    .ancestry(code)
                    .iter()
                    .map(|d| self.number(REGIONS, &d.code))
                    .collect();
                let n = self.region_chains.len() as u32;
                self.region_chains.push(chain);
                self.region_numbers.insert(code.to_string(), n);
                n
            }
        };
        DatasetSummary {
            digest: dataset.digest,
            id_key: keys.id_key,
            title_key: keys.title_key,
            page_spread: mirror::manifest::spread(&dataset.id.0),
            sitemap: keys.sitemap,
            lists: keys.lists,
            completeness: super::views::completeness(dataset),
            recency: std::cmp::Reverse(dataset.last_change()),
            high_value: dataset.high_value,
            allowed_age_days: dataset.update_frequency.allowed_age_days(),
            single,
            formats,
            region,
        }
    }

    /// The number of `key` in facet `facet`, given when it is first seen.
    fn number(&mut self, facet: usize, key: &str) -> u32 {
        if let Some(&n) = self.numbers[facet].get(key) {
            return n;
        }
        let n = self.names[facet].len() as u32;
        self.names[facet].push(key.to_string());
        self.numbers[facet].insert(key.to_string(), n);
        n
    }

    /// The open type slug of dataset `i` (`unconditional`, `conditional`).
    pub(super) fn open_type_of(&self, i: usize) -> &str {
        &self.names[OPEN_TYPE][self.summaries[i].single[OPEN_TYPE] as usize]
    }

    /// The summary of dataset `i`.
    pub(super) fn get(&self, i: usize) -> &DatasetSummary {
        &self.summaries[i]
    }

    /// Every summary, in catalog order.
    pub(super) fn iter(&self) -> impl ExactSizeIterator<Item = &DatasetSummary> {
        self.summaries.iter()
    }

    /// The number of dataset `i`'s department among [`Summaries::department_codes`].
    pub(super) fn department_of(&self, i: usize) -> u32 {
        self.summaries[i].single[0]
    }

    /// Department codes, by the numbers [`Summaries::department_of`] gives.
    pub(super) fn department_codes(&self) -> &[String] {
        &self.names[0]
    }

    /// The keys of facet `facet` by number.
    pub(super) fn names(&self, facet: usize) -> &[String] {
        &self.names[facet]
    }

    /// The numbers of dataset `i`'s keys in facet `facet`.
    pub(super) fn keys_of(&self, i: usize, facet: usize) -> &[u32] {
        let summary = &self.summaries[i];
        match facet {
            FORMATS => &self.format_sets[summary.formats as usize],
            REGIONS => &self.region_chains[summary.region as usize],
            single => std::slice::from_ref(&summary.single[single]),
        }
    }
}

/// The parts of a summary that hash a dataset the way render's memo does.
pub(super) struct RenderKeys {
    /// The memo key of its id.
    pub(super) id_key: u64,
    /// The same hash of its title.
    pub(super) title_key: u64,
    /// Its id and last change, hashed.
    pub(super) sitemap: u64,
    /// What each CKAN list call reads of it, hashed.
    pub(super) lists: [u64; 4],
}
