//! The search index's view of the public catalog: what each dataset contributes to the
//! index, its facet values, and the catalog's own words for the segmenter.
//!
//! Only [`PublicCatalog::datasets`] are read, so 不予开放, suspended, withdrawn, unreviewed
//! and rejected records can never enter the index.

use std::collections::{BTreeMap, BTreeSet};

use search_index::{FacetDim, IndexInput, SearchDoc};

use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Dataset, Level, OpenType, UpdateFrequency, Vocabulary};
use crate::policy::PublicCatalog;
use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::render::hash_of;

/// Formats with a facet value of their own; any other format counts as `other`.
pub const FORMATS: &[&str] = &["CSV", "XLSX", "XLS", "JSON", "XML", "API", "RDF", "PDF"];

/// The city facet of a dataset: the 4-digit city code, or `45` for region-wide data.
fn city_code(region: &str) -> &str {
    if region.len() >= 4 {
        &region[..4]
    } else {
        region
    }
}

/// The facet dimensions, in layout order. The order and the value lists are fixed by the
/// configuration and the vocabularies, never by the catalog, so the packed layout is stable.
pub fn facet_dims(config: &SiteConfig, divisions: &Divisions) -> Vec<FacetDim> {
    fn vocabulary<V: Vocabulary>(values: impl Iterator<Item = V>) -> Vec<(String, String)> {
        values
            .map(|v| (v.slug().to_string(), v.label().to_string()))
            .collect()
    }
    let mut cities = vec![("45".to_string(), "自治区本级".to_string())];
    cities.extend(
        divisions
            .all()
            .filter(|d| d.level == Level::City)
            .map(|d| (d.code.clone(), d.name.clone())),
    );
    let mut formats: Vec<(String, String)> = FORMATS
        .iter()
        .map(|f| (f.to_ascii_lowercase(), f.to_string()))
        .collect();
    formats.push(("other".into(), "其他".into()));
    let dim = |name: &str, label: &str, values, multi| FacetDim {
        name: name.into(),
        label: label.into(),
        values,
        multi,
    };
    vec![
        dim(
            "domain",
            "数据领域",
            config
                .domains
                .iter()
                .map(|d| (d.slug.clone(), d.name.clone()))
                .collect(),
            false,
        ),
        dim(
            "level",
            "层级",
            vocabulary(Level::ALL.iter().copied()),
            false,
        ),
        dim(
            "open",
            "开放类型",
            vocabulary(
                OpenType::ALL
                    .iter()
                    .copied()
                    .filter(|o| *o != OpenType::NotOpen),
            ),
            false,
        ),
        dim(
            "frequency",
            "更新频率",
            vocabulary(UpdateFrequency::ALL.iter().copied()),
            false,
        ),
        dim("city", "地区", cities, false),
        dim("format", "资源格式", formats, true),
    ]
}

/// The index input for the public catalog.
pub fn index_input(
    catalog: &PublicCatalog,
    config: &SiteConfig,
    divisions: &Divisions,
) -> IndexInput {
    let facets = facet_dims(config, divisions);
    let labels = Labels::new(catalog, config);
    let docs = catalog
        .datasets
        .par_iter()
        .map(|d| Arc::new(search_doc(d, &labels, &facets)))
        .collect();
    IndexInput {
        docs,
        dictionary: Arc::new(dictionary(catalog, config, divisions)),
        facets,
    }
}

/// The search index kept current between builds of a long-running process: the live index,
/// each dataset's search document with what it was made from (so an unchanged dataset keeps
/// the very same document, which the live index then skips), and the dataset words of the
/// segmenter dictionary, counted, so the dictionary is not gathered from every dataset again.
#[derive(Default)]
pub struct LiveSearch {
    index: search_index::LiveIndex,
    /// The documents of the last update, in catalog order.
    kept: Vec<Kept>,
    /// Field names and keywords of the kept documents, with how many documents carry each.
    words: HashMap<String, u32>,
    /// Division codes of the kept datasets, counted.
    regions: HashMap<String, u32>,
    /// The last dictionary, with a hash of its inputs besides the counted words.
    dictionary: Option<(u64, Arc<Vec<String>>)>,
    /// A hash of the configuration the kept documents were made with (domains, facets).
    made_with: u64,
    /// Department names by code, as the kept documents show them.
    names: BTreeMap<String, String>,
}

/// A search document and what it was made from.
struct Kept {
    /// The dataset it was made from: the same allocation means the same dataset (the check
    /// keeps unchanged departments' datasets between builds).
    dataset: Arc<Dataset>,
    digest: u64,
    doc: Arc<SearchDoc>,
}

impl LiveSearch {
    /// Brings the index to the public catalog and exports it (the files a full build gives).
    pub fn update(
        &mut self,
        catalog: &PublicCatalog,
        config: &SiteConfig,
        divisions: &Divisions,
    ) -> Result<search_index::ExportedIndex, search_index::IndexError> {
        let (input, in_place) = self.input(catalog, config, divisions);
        self.index
            .update_in_place(&input, in_place.as_deref())
            .map(|(index, _)| index)
    }

    /// The index input for the catalog, equal to [`index_input`], made from the documents
    /// and words kept since the last update; with it, when every dataset kept its place, the
    /// places whose document was made again (see [`search_index::LiveIndex::update_in_place`]).
    fn input(
        &mut self,
        catalog: &PublicCatalog,
        config: &SiteConfig,
        divisions: &Divisions,
    ) -> (IndexInput, Option<Vec<usize>>) {
        let facets = facet_dims(config, divisions);
        let made_with = hash_of(&format!("{facets:?}{:?}", config.domains));
        if made_with != self.made_with {
            *self = LiveSearch {
                index: std::mem::take(&mut self.index),
                made_with,
                ..LiveSearch::default()
            };
        }
        let datasets = &catalog.datasets;
        // A department's name is shown in its datasets' documents.
        let names: BTreeMap<String, String> = catalog
            .departments
            .iter()
            .map(|(code, d)| (code.0.clone(), d.name.clone()))
            .collect();
        let renamed: BTreeSet<&str> = names
            .iter()
            .filter(|(code, name)| self.names.get(*code) != Some(*name))
            .map(|(code, _)| code.as_str())
            .collect();
        let unchanged = |kept: &Kept, d: &Arc<Dataset>| {
            (Arc::ptr_eq(&kept.dataset, d)
                && (renamed.is_empty() || !renamed.contains(d.department.0.as_str())))
                || kept.digest == d.digest
                    && kept.doc.id == d.id.0
                    && *kept.doc.department_name == *department_name(catalog, d)
        };
        // The same dataset at the same place (the usual case), else by id.
        let mut old: Vec<Option<Kept>> = std::mem::take(&mut self.kept)
            .into_iter()
            .map(Some)
            .collect();
        let mut found: Vec<Option<Kept>> = datasets
            .iter()
            .enumerate()
            .map(|(i, d)| match old.get_mut(i) {
                Some(slot) if slot.as_ref().is_some_and(|k| unchanged(k, d)) => slot.take(),
                _ => None,
            })
            .collect();
        // Looked for elsewhere only when a dataset is not where it was: one edited in place
        // (the usual change) is simply made again.
        let moved = found.iter().enumerate().any(|(i, k)| {
            k.is_none()
                && old
                    .get(i)
                    .and_then(Option::as_ref)
                    .is_none_or(|kept| kept.doc.id != datasets[i].id.0)
        });
        if moved {
            let wanted: foldhash::HashMap<&str, usize> = datasets
                .iter()
                .enumerate()
                .filter(|(i, _)| found[*i].is_none())
                .map(|(i, d)| (d.id.0.as_str(), i))
                .collect();
            for slot in &mut old {
                if let Some(kept) = slot
                    && let Some(&i) = wanted.get(kept.doc.id.as_str())
                    && found[i].is_none()
                    && unchanged(kept, &datasets[i])
                {
                    found[i] = slot.take();
                }
            }
        }
        let kept_places = !moved && old.len() == datasets.len();
        // Documents that go take their words with them; new ones bring theirs.
        let mut words_moved = false;
        for gone in old.into_iter().flatten() {
            words_moved |= self.count(&gone, -1);
        }
        let labels = Labels::new(catalog, config);
        let made: Vec<(usize, Kept)> = found
            .iter()
            .enumerate()
            .filter(|(_, k)| k.is_none())
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|i| {
                let d = &datasets[i];
                let doc = search_doc(d, &labels, &facets);
                (
                    i,
                    Kept {
                        dataset: Arc::clone(d),
                        digest: d.digest,
                        doc: Arc::new(doc),
                    },
                )
            })
            .collect();
        let in_place = kept_places.then(|| made.iter().map(|(i, _)| *i).collect());
        for (i, kept) in made {
            words_moved |= self.count(&kept, 1);
            found[i] = Some(kept);
        }
        self.kept = found.into_iter().flatten().collect();
        self.names = names;

        // The dictionary is gathered again only when a counted word came or went, or what
        // else it holds changed.
        let others = hash_of(
            &catalog
                .departments
                .values()
                .map(|d| (&d.name, &d.region.0))
                .collect::<Vec<_>>(),
        );
        let dictionary = match &self.dictionary {
            Some((hash, words)) if *hash == others && !words_moved => Arc::clone(words),
            _ => {
                let words = Arc::new(dictionary_of(
                    catalog,
                    config,
                    divisions,
                    self.regions.keys().map(String::as_str),
                    self.words.keys().map(String::as_str),
                ));
                self.dictionary = Some((others, Arc::clone(&words)));
                words
            }
        };
        let input = IndexInput {
            docs: self.kept.iter().map(|k| Arc::clone(&k.doc)).collect(),
            dictionary,
            facets,
        };
        (input, in_place)
    }

    /// Adds (`by` 1) or takes away (`by` -1) a document's dictionary words; true when a word
    /// appeared or disappeared.
    fn count(&mut self, kept: &Kept, by: i32) -> bool {
        let doc = &kept.doc;
        let mut moved = false;
        for word in doc.fields.iter().chain(&doc.keywords) {
            moved |= count_in(&mut self.words, word, by);
        }
        moved | count_in(&mut self.regions, &kept.dataset.region.0, by)
    }
}

/// Adds `by` to the count of `word`, dropping it at zero; true when the word appeared or
/// disappeared. A word a document names twice is counted twice, and taken away twice.
fn count_in(counts: &mut HashMap<String, u32>, word: &str, by: i32) -> bool {
    match counts.get_mut(word) {
        Some(n) => {
            *n = n.saturating_add_signed(by);
            if *n == 0 {
                counts.remove(word);
                return true;
            }
            false
        }
        None if by > 0 => {
            counts.insert(word.to_string(), 1);
            true
        }
        None => false,
    }
}

fn department_name<'a>(catalog: &'a PublicCatalog, d: &Dataset) -> &'a str {
    catalog
        .departments
        .get(&d.department)
        .map(|x| x.name.as_str())
        .unwrap_or_default()
}

/// The labels search documents show, one allocation each, shared by the documents that
/// show them: department codes and names, domain names.
struct Labels<'a> {
    departments: HashMap<&'a str, (Arc<str>, Arc<str>)>,
    domains: HashMap<&'a str, Arc<str>>,
}

impl<'a> Labels<'a> {
    fn new(catalog: &'a PublicCatalog, config: &'a SiteConfig) -> Labels<'a> {
        Labels {
            departments: catalog
                .departments
                .iter()
                .map(|(code, d)| {
                    (
                        code.0.as_str(),
                        (code.0.as_str().into(), d.name.as_str().into()),
                    )
                })
                .collect(),
            domains: config
                .domains
                .iter()
                .map(|d| (d.slug.as_str(), d.name.as_str().into()))
                .collect(),
        }
    }

    /// The code and name of a dataset's department.
    fn department(&self, d: &Dataset) -> (Arc<str>, Arc<str>) {
        match self.departments.get(d.department.0.as_str()) {
            Some((code, name)) => (Arc::clone(code), Arc::clone(name)),
            None => (d.department.0.as_str().into(), "".into()),
        }
    }

    /// The name of a dataset's domain (empty when the site does not list it).
    fn domain(&self, d: &Dataset) -> Arc<str> {
        self.domains
            .get(d.domain.as_str())
            .map_or_else(|| "".into(), Arc::clone)
    }
}

/// The search document of one dataset.
fn search_doc(d: &Dataset, labels: &Labels<'_>, facets: &[FacetDim]) -> SearchDoc {
    let position = |dim: u8, value: &str| -> Option<(u8, u16)> {
        facets[usize::from(dim)]
            .values
            .iter()
            .position(|(v, _)| v == value)
            .map(|i| (dim, i as u16))
    };
    let mut formats: Vec<u16> = d
        .formats()
        .iter()
        .map(|f| {
            FORMATS
                .iter()
                .position(|known| known.eq_ignore_ascii_case(f))
                .unwrap_or(FORMATS.len()) as u16
        })
        .collect();
    formats.sort_unstable();
    formats.dedup();
    let mut facets = Vec::with_capacity(5 + formats.len());
    facets.extend(
        [
            position(0, &d.domain),
            position(1, d.level.slug()),
            position(2, d.open_type.slug()),
            position(3, d.update_frequency.slug()),
            position(4, city_code(&d.region.0)),
        ]
        .into_iter()
        .flatten(),
    );
    facets.extend(formats.into_iter().map(|f| (5, f)));
    let (department_code, department_name) = labels.department(d);
    SearchDoc {
        id: d.id.0.clone(),
        title: d.title.clone(),
        summary: Arc::clone(&d.summary_text),
        department_code,
        department_name,
        fields: d.fields.iter().map(|f| f.name.clone()).collect(),
        keywords: d.keywords.clone(),
        domain: labels.domain(d),
        facets,
    }
}

/// The catalog's own words: department, domain and place names, field names and keywords.
fn dictionary(catalog: &PublicCatalog, config: &SiteConfig, divisions: &Divisions) -> Vec<String> {
    let regions: BTreeSet<&str> = catalog
        .datasets
        .iter()
        .map(|d| d.region.0.as_str())
        .collect();
    let named: std::collections::HashSet<&str> = catalog
        .datasets
        .iter()
        .flat_map(|d| {
            d.fields
                .iter()
                .map(|f| f.name.as_str())
                .chain(d.keywords.iter().map(String::as_str))
        })
        .collect();
    dictionary_of(
        catalog,
        config,
        divisions,
        regions.into_iter(),
        named.into_iter(),
    )
}

/// The dictionary from the datasets' division codes and words (field names and keywords).
fn dictionary_of<'a>(
    catalog: &'a PublicCatalog,
    config: &SiteConfig,
    divisions: &Divisions,
    regions: impl Iterator<Item = &'a str>,
    named: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    words.extend(catalog.departments.values().map(|d| d.name.clone()));
    words.extend(config.domains.iter().map(|d| d.name.clone()));
    // Places: every region and county, and every division a record or department names.
    words.extend(
        divisions
            .all()
            .filter(|d| matches!(d.level, Level::Region | Level::City | Level::County))
            .map(|d| d.name.clone()),
    );
    let used: BTreeSet<&str> = regions
        .chain(catalog.departments.values().map(|d| d.region.0.as_str()))
        .collect();
    for code in used {
        words.extend(divisions.ancestry(code).into_iter().map(|d| d.name.clone()));
    }
    words.extend(named.map(str::to_string));
    words.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteConfig;
    use search_index::{IndexFile, LiveIndex};

    fn files(list: Vec<IndexFile>) -> std::collections::BTreeMap<String, Vec<u8>> {
        list.into_iter()
            .map(|f| (f.path, f.bytes.to_vec()))
            .collect()
    }

    /// Paths whose bytes differ between two sets of index files (or that one lacks).
    fn differing<'a>(
        got: &'a std::collections::BTreeMap<String, Vec<u8>>,
        want: &'a std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Vec<&'a String> {
        want.keys()
            .chain(got.keys())
            .filter(|p| got.get(*p) != want.get(*p))
            .collect()
    }

    /// Changes dataset `i` of `catalog` and seals it again.
    fn edit(catalog: &mut PublicCatalog, i: usize, change: &dyn Fn(&mut crate::model::Dataset)) {
        let d = Arc::make_mut(&mut catalog.datasets[i]);
        change(d);
        d.seal();
    }

    /// A checked synthetic catalog of `n` records (the folder lives as long as the guard).
    fn synthetic(n: usize) -> (tempfile::TempDir, SiteConfig, Divisions, crate::Checked) {
        let dir = tempfile::tempdir().unwrap();
        crate::synthetic::write_catalog(dir.path(), n).unwrap();
        let config = SiteConfig::load(&dir.path().join("site.toml")).unwrap();
        let divisions = Divisions::guangxi();
        let checked = crate::check(&dir.path().join("content"), &config, &divisions, None);
        (dir, config, divisions, checked)
    }

    /// The documents and dictionary kept between updates must equal what a fresh input gives.
    #[test]
    fn kept_input_matches_a_fresh_one_after_edits() {
        let (_dir, config, divisions, checked) = synthetic(400);
        let mut catalog = checked.catalog.clone();
        let mut live = LiveSearch::default();
        let mut agree = |catalog: &PublicCatalog, what: &str| {
            let (got, _) = live.input(catalog, &config, &divisions);
            let want = index_input(catalog, &config, &divisions);
            assert_eq!(got.dictionary, want.dictionary, "{what}");
            let got: Vec<&SearchDoc> = got.docs.iter().map(|d| &**d).collect();
            let want: Vec<&SearchDoc> = want.docs.iter().map(|d| &**d).collect();
            assert!(got == want, "{what}");
            got.iter().filter(|d| d.id.starts_with("new-")).count()
        };
        agree(&catalog, "first");
        edit(&mut catalog, 3, &|d| d.keywords.push("全新关键词".into()));
        agree(&catalog, "new keyword");
        edit(&mut catalog, 3, &|d| d.keywords.clear());
        edit(&mut catalog, 4, &|d| d.title.push_str("修订"));
        agree(&catalog, "keywords gone, retitled");
        let mut added = (*catalog.datasets[9]).clone();
        added.id = crate::model::DatasetId("new-one".into());
        added.region = crate::model::DivisionCode("450203".into());
        added.fields.clear();
        added.seal();
        catalog.datasets.insert(0, Arc::new(added));
        assert_eq!(agree(&catalog, "added at the front"), 1);
        catalog.datasets.remove(0);
        catalog.datasets.remove(20);
        agree(&catalog, "removed");
        let first = catalog.departments.keys().next().unwrap().clone();
        catalog.departments.get_mut(&first).unwrap().name = "改名后的部门".into();
        agree(&catalog, "department renamed");
    }

    /// Edits that keep every dataset in its place reach the index as the places that changed;
    /// whatever the edit, the index exports what a full build of the catalog gives.
    #[test]
    fn in_place_edits_give_the_files_of_a_full_build() {
        let (_dir, config, divisions, checked) = synthetic(600);
        let mut catalog = checked.catalog.clone();
        let mut live = LiveSearch::default();
        let mut agree = |catalog: &PublicCatalog, what: &str| -> Option<Vec<usize>> {
            let (input, in_place) = live.input(catalog, &config, &divisions);
            let (exported, _) = live
                .index
                .update_in_place(&input, in_place.as_deref())
                .unwrap();
            let full = search_index::build(&index_input(catalog, &config, &divisions)).unwrap();
            let (got, want) = (files(exported.files), files(full.files));
            let differing = differing(&got, &want);
            assert!(differing.is_empty(), "{what}: {differing:?}");
            in_place
        };
        assert_eq!(agree(&catalog, "first"), None);
        edit(&mut catalog, 3, &|d| d.title.push_str("修订"));
        assert_eq!(agree(&catalog, "retitled"), Some(vec![3]));
        assert_eq!(agree(&catalog, "unchanged"), Some(vec![]));
        let other = catalog.datasets[40].domain.clone();
        edit(&mut catalog, 5, &|d| d.domain = other.clone());
        edit(&mut catalog, 6, &|d| {
            use crate::model::OpenType;
            d.open_type = match d.open_type {
                OpenType::Conditional => OpenType::Unconditional,
                _ => OpenType::Conditional,
            }
        });
        assert_eq!(agree(&catalog, "facets changed"), Some(vec![5, 6]));
        edit(&mut catalog, 7, &|d| d.keywords.push("全新关键词".into()));
        assert_eq!(agree(&catalog, "a new dictionary word"), Some(vec![7]));
        let first = catalog.departments.keys().next().unwrap().clone();
        catalog.departments.get_mut(&first).unwrap().name = "改名后的部门".into();
        assert!(agree(&catalog, "department renamed").is_some_and(|c| c.len() > 1));
        catalog.datasets.remove(9);
        assert_eq!(agree(&catalog, "removed"), None);
        assert_eq!(agree(&catalog, "after a removal"), Some(vec![]));
    }

    /// The live index must export exactly what a full tantivy build of the same input gives,
    /// after every kind of change.
    #[test]
    fn live_index_matches_a_full_build_after_edits() {
        let (_dir, config, divisions, checked) = synthetic(1500);
        let mut input = index_input(&checked.catalog, &config, &divisions);
        let mut live = LiveIndex::new();
        let agree = |live: &mut LiveIndex, input: &IndexInput, what: &str| {
            let (exported, update) = live.update(input).unwrap();
            let full = search_index::build(input).unwrap();
            let (got, want) = (files(exported.files), files(full.files));
            let differing = differing(&got, &want);
            assert!(differing.is_empty(), "{what}: {differing:?}");
            assert!(want.len() > 100, "{what}: a real index");
            (update, want.len())
        };
        agree(&mut live, &input, "first update");
        let (_, again) = live.update(&input).unwrap();
        assert_eq!((again.analysed, again.encoded > 10), (0, false));

        Arc::make_mut(&mut input.docs[7])
            .title
            .push_str("第二次修订");
        let (update, total) = agree(&mut live, &input, "retitle");
        assert!(!update.rebuilt && update.analysed == 1, "{update:?}");
        assert!(update.encoded <= 30, "{update:?} of {total}");
        Arc::make_mut(&mut input.docs[3]).summary = "公交 站点 实时 数据 更新".repeat(40).into();
        agree(&mut live, &input, "longer summary");
        let gone = input.docs.remove(11);
        agree(&mut live, &input, "removal");
        let mut added = (*gone).clone();
        added.id = "new-record".into();
        added.keywords.push("新增关键字".into());
        input.docs.push(Arc::new(added));
        agree(&mut live, &input, "addition");
        let facets = input.docs[21].facets.clone();
        let doc = Arc::make_mut(&mut input.docs[20]);
        doc.facets = facets;
        doc.department_name = "另一个部门名称".into();
        agree(&mut live, &input, "facets and department");
        // Same count, one key replaced: complements list the datasets without a term.
        Arc::make_mut(&mut input.docs[5]).id = "renamed-record".into();
        agree(&mut live, &input, "id renamed");
        // A word that joins or leaves the dictionary: only datasets whose text holds it are
        // analysed again.
        Arc::make_mut(&mut input.dictionary).push("实时公交".into());
        let (update, _) = agree(&mut live, &input, "new dictionary word");
        assert!(
            !update.rebuilt && update.analysed < input.docs.len() / 2,
            "{update:?}"
        );
        Arc::make_mut(&mut input.dictionary).push("站点信息".into());
        let (update, _) = agree(&mut live, &input, "a word many datasets hold");
        assert!(update.analysed > 0, "{update:?}");
        Arc::make_mut(&mut input.dictionary).retain(|w| w != "站点信息");
        agree(&mut live, &input, "word gone");
        input.docs.truncate(700);
        agree(&mut live, &input, "half the catalog gone");
    }
}
