//! The search index's view of the public catalog: what each dataset contributes to the
//! index, its facet values, and the catalog's own words for the segmenter.
//!
//! Only [`PublicCatalog::datasets`] are read, so 不予开放, suspended, withdrawn, unreviewed
//! and rejected records can never enter the index.

use std::collections::BTreeSet;

use search_index::{FacetDim, IndexInput, SearchDoc};

use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Level, OpenType, UpdateFrequency, Vocabulary};
use crate::policy::PublicCatalog;
use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::render::markdown::shorten;

/// Formats with a facet value of their own; any other format counts as `other`.
pub const FORMATS: &[&str] = &["CSV", "XLSX", "XLS", "JSON", "XML", "API", "RDF", "PDF"];

/// Characters of summary shown under a result.
const SNIPPET_CHARS: usize = 60;

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
    index_input_kept(catalog, config, divisions, &HashMap::new())
}

/// The search index kept current between builds of a long-running process: the live index,
/// and each dataset's search document with the digest and department name it was made from,
/// so an unchanged dataset keeps the very same document (which the live index then skips).
#[derive(Default)]
pub struct LiveSearch {
    index: search_index::LiveIndex,
    docs: KeptDocs,
}

/// Search documents by dataset id, with the dataset digest and department name they show.
type KeptDocs = HashMap<String, (u64, String, Arc<SearchDoc>)>;

impl LiveSearch {
    /// Brings the index to the public catalog and exports it (the files a full build gives).
    pub fn update(
        &mut self,
        catalog: &PublicCatalog,
        config: &SiteConfig,
        divisions: &Divisions,
    ) -> Result<search_index::ExportedIndex, search_index::IndexError> {
        let input = index_input_kept(catalog, config, divisions, &self.docs);
        self.docs = catalog
            .datasets
            .iter()
            .zip(&input.docs)
            .map(|(d, doc)| {
                (
                    d.id.0.clone(),
                    (d.digest, doc.department_name.clone(), Arc::clone(doc)),
                )
            })
            .collect();
        self.index.update(&input).map(|(index, _)| index)
    }
}

fn index_input_kept(
    catalog: &PublicCatalog,
    config: &SiteConfig,
    divisions: &Divisions,
    kept: &KeptDocs,
) -> IndexInput {
    let facets = facet_dims(config, divisions);
    let position = |dim: usize, value: &str| -> Vec<u16> {
        facets[dim]
            .values
            .iter()
            .position(|(v, _)| v == value)
            .map(|i| vec![i as u16])
            .unwrap_or_default()
    };
    let docs = catalog
        .datasets
        .par_iter()
        .map(|d| {
            let department = catalog.departments.get(&d.department);
            let department_name = department.map(|x| x.name.as_str()).unwrap_or_default();
            if let Some((digest, name, doc)) = kept.get(&d.id.0)
                && *digest == d.digest
                && name == department_name
            {
                return Arc::clone(doc);
            }
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
            Arc::new(SearchDoc {
                id: d.id.0.clone(),
                title: d.title.clone(),
                summary: d.summary_text.clone(),
                department_code: d.department.0.clone(),
                department_name: department.map(|x| x.name.clone()).unwrap_or_default(),
                fields: d.fields.iter().map(|f| f.name.clone()).collect(),
                keywords: d.keywords.clone(),
                domain: config
                    .domains
                    .iter()
                    .find(|x| x.slug == d.domain)
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                snippet: shorten(&d.summary_text, SNIPPET_CHARS),
                facets: vec![
                    position(0, &d.domain),
                    position(1, d.level.slug()),
                    position(2, d.open_type.slug()),
                    position(3, d.update_frequency.slug()),
                    position(4, city_code(&d.region.0)),
                    formats,
                ],
            })
        })
        .collect();
    IndexInput {
        docs,
        dictionary: dictionary(catalog, config, divisions),
        facets,
    }
}

/// The catalog's own words: department, domain and place names, field names and keywords.
fn dictionary(catalog: &PublicCatalog, config: &SiteConfig, divisions: &Divisions) -> Vec<String> {
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
    let used: BTreeSet<&str> = catalog
        .datasets
        .iter()
        .map(|d| d.region.0.as_str())
        .chain(catalog.departments.values().map(|d| d.region.0.as_str()))
        .collect();
    for code in used {
        words.extend(divisions.ancestry(code).into_iter().map(|d| d.name.clone()));
    }
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
    words.extend(named.into_iter().map(str::to_string));
    words.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteConfig;
    use search_index::{IndexFile, LiveIndex};

    fn files(list: Vec<IndexFile>) -> std::collections::BTreeMap<String, Vec<u8>> {
        list.into_iter().map(|f| (f.path, f.bytes)).collect()
    }

    /// The live index must export exactly what a full tantivy build of the same input gives,
    /// after every kind of change.
    #[test]
    fn live_index_matches_a_full_build_after_edits() {
        let dir = tempfile::tempdir().unwrap();
        crate::synthetic::write_catalog(dir.path(), 1500).unwrap();
        let config = SiteConfig::load(&dir.path().join("site.toml")).unwrap();
        let divisions = Divisions::guangxi();
        let checked = crate::check(&dir.path().join("content"), &config, &divisions, None);
        let mut input = index_input(&checked.catalog, &config, &divisions);
        let mut live = LiveIndex::new();
        let agree = |live: &mut LiveIndex, input: &IndexInput, what: &str| {
            let (exported, update) = live.update(input).unwrap();
            let full = search_index::build(input).unwrap();
            let (got, want) = (files(exported.files), files(full.files));
            let differing: Vec<&String> = want
                .keys()
                .chain(got.keys())
                .filter(|p| got.get(*p) != want.get(*p))
                .collect();
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
        Arc::make_mut(&mut input.docs[3]).summary = "公交 站点 实时 数据 更新".repeat(40);
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
        input.dictionary.push("实时公交".into());
        agree(&mut live, &input, "new dictionary word");
        input.docs.truncate(700);
        agree(&mut live, &input, "half the catalog gone");
    }
}
