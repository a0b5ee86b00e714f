//! Views: small serialisable shapes that templates read. Built once per build from the
//! public catalog; a page's context holds a few of them, never the whole catalog.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::summary::{FACETS, Summaries};
use super::{Site, is_stale, markdown};
use crate::model::{
    Dataset, Department, Level, OpenType, ResourceLocation, UpdateFrequency, Vocabulary,
};

/// A named link, URL relative to the site root.
#[derive(Debug, Clone, Hash, Serialize)]
pub(super) struct Link {
    pub(super) name: String,
    pub(super) url: String,
}

/// A value of a facet with its count.
#[derive(Debug, Clone, Hash, Serialize)]
pub(super) struct FacetEntry {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) count: usize,
    pub(super) note: String,
}

/// A dataset as a listing shows it.
#[derive(Debug, Serialize)]
pub(super) struct Card {
    id: String,
    url: String,
    title: String,
    snippet: String,
    department: Link,
    domain: Link,
    modified: String,
    open_type: &'static str,
    open_type_slug: &'static str,
    formats: Vec<String>,
    high_value: bool,
    stale: bool,
}

impl Card {
    fn new(d: &Dataset, site: &Site<'_>) -> Card {
        let domain_name = site
            .config
            .domain_by_slug(&d.domain)
            .map_or(d.domain.clone(), |x| x.name.clone());
        let department_name = site
            .catalog
            .departments
            .get(&d.department)
            .map_or(d.department.0.clone(), |x| x.name.clone());
        Card {
            id: d.id.0.clone(),
            url: format!("datasets/{}/", d.id),
            title: d.title.clone(),
            snippet: markdown::shorten(&d.summary_text, 110),
            department: Link {
                name: department_name,
                url: format!("departments/{}/", d.department.0),
            },
            domain: Link {
                name: domain_name,
                url: format!("domains/{}/", d.domain),
            },
            modified: d.last_change().map(|m| m.to_string()).unwrap_or_default(),
            open_type: d.open_type.label(),
            open_type_slug: d.open_type.slug(),
            formats: d.formats(),
            high_value: d.high_value,
            stale: is_stale(d, site.build_date),
        }
    }
}

/// The site-wide facts every page shows.
#[derive(Debug, Serialize)]
pub(super) struct SiteView {
    title: String,
    description: String,
    operator: String,
    pages: Vec<Link>,
    /// Maintenance notices current or upcoming on the build date.
    banners: Vec<super::workflows::Banner>,
}

/// A department card.
#[derive(Debug, Serialize)]
pub(super) struct DepartmentView {
    code: String,
    name: String,
    url: String,
    level: &'static str,
    region: String,
    contacts: Vec<crate::model::Contact>,
    officials: Vec<crate::model::Official>,
    description: String,
    datasets: usize,
    completeness: u32,
    /// Its datasets not updated as often as their update frequency says (第二十一条).
    stale: usize,
}

impl DepartmentView {
    /// What a dataset page shows of its department (not its counts, which change with
    /// every dataset of the department): a change here rewrites the department's pages.
    pub(super) fn seen_from_dataset_pages(&self) -> impl std::fmt::Debug + '_ {
        (
            &self.code,
            &self.name,
            &self.url,
            self.level,
            &self.region,
            &self.contacts,
        )
    }
}

/// One group of a facet: a value and the datasets that carry it.
pub(super) struct Group {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) intro: String,
    pub(super) note: String,
    pub(super) items: Vec<usize>,
    pub(super) department: Option<String>,
}

impl Group {
    pub(super) fn entry(&self) -> FacetEntry {
        FacetEntry {
            name: self.name.clone(),
            url: self.url.clone(),
            count: self.items.len(),
            note: self.note.clone(),
        }
    }
}

/// A facet: how the catalog can be browsed (by domain, department, level …).
pub(super) struct Facet {
    pub(super) title: &'static str,
    pub(super) intro: &'static str,
    pub(super) base: &'static str,
    pub(super) section: &'static str,
    pub(super) groups: Vec<Group>,
}

/// A region that has data, with its descendants' datasets.
pub(super) struct RegionGroup {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) full_name: String,
    pub(super) trail: Vec<(String, String)>,
    pub(super) items: Vec<usize>,
    pub(super) children: Vec<FacetEntry>,
}

/// A row of the region tree page.
#[derive(Debug, Serialize)]
pub(super) struct RegionRow {
    name: String,
    url: String,
    count: usize,
    depth: usize,
    level: &'static str,
    /// Whether the next rows are this region's children (a nested list opens).
    opens: bool,
    /// How many nested lists close after this row.
    closes: usize,
}

/// What the home page shows besides dataset cards.
#[derive(Debug, Serialize)]
pub(super) struct HomeView {
    counts: BTreeMap<&'static str, usize>,
    domains: Vec<FacetEntry>,
    levels: Vec<FacetEntry>,
    cities: Vec<FacetEntry>,
    departments: Vec<FacetEntry>,
}

/// Everything derived once from the public catalog.
pub(super) struct SiteModel<'a> {
    pub(super) site: SiteView,
    /// The portal's public addresses, for the machine-readable files and embedded JSON-LD.
    pub(super) addresses: crate::metadata::dcat::Addresses,
    /// One card per dataset, made when first shown (boxed: an incremental build shows few,
    /// and a slot per dataset stays small).
    cards: Vec<std::sync::OnceLock<Box<Card>>>,
    pub(super) recent: Vec<usize>,
    pub(super) high_value: Vec<usize>,
    pub(super) facets: Vec<Facet>,
    pub(super) regions: Vec<RegionGroup>,
    pub(super) region_rows: Vec<RegionRow>,
    pub(super) departments: BTreeMap<String, DepartmentView>,
    /// Per dataset index, the showcase applications that use it (indices into `site.apps`).
    pub(super) apps_by_dataset: foldhash::HashMap<usize, Vec<usize>>,
    pub(super) home: HomeView,
    /// Where each dataset sits in its department's and in its domain's group: which group of
    /// `neighbours` and at which position, for picking neighbours without looking groups up.
    place: Vec<[(u32, u32); 2]>,
    /// The department groups, then the domain groups, each in recency order.
    neighbours: Vec<Vec<usize>>,
    /// What the render reads of every dataset, so fingerprints need not visit them.
    pub(super) summaries: &'a Summaries,
}

impl<'a> SiteModel<'a> {
    pub(super) fn new(site: &Site<'_>, summaries: &'a Summaries) -> SiteModel<'a> {
        let datasets = &site.catalog.datasets;
        let config = site.config;
        // The summaries hold what the model groups and sorts datasets by: the groups are
        // filled in recency order from them, without visiting the datasets.
        // Newest first, then by id: the catalog is in id order, so by index.
        let mut by_recency: Vec<_> = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.recency, i))
            .collect();
        by_recency.sort_unstable();
        let recent: Vec<usize> = by_recency.into_iter().map(|(_, i)| i).collect();

        // Cards are made when a page first shows them: an incremental build shows few.
        let cards = std::iter::repeat_with(std::sync::OnceLock::new)
            .take(datasets.len())
            .collect();

        let [
            mut by_department,
            by_domain,
            by_level,
            by_open_type,
            by_frequency,
            by_format,
            by_region,
        ] = facet_groups(summaries, &recent);
        let high_value = recent
            .iter()
            .copied()
            .filter(|&i| summaries.get(i).high_value)
            .collect();
        for code in site.catalog.departments.keys() {
            by_department.entry(code.0.clone()).or_default();
        }
        let mut place = vec![[(u32::MAX, 0); 2]; datasets.len()];
        let neighbours: Vec<Vec<usize>> = by_department
            .values()
            .chain(by_domain.values())
            .cloned()
            .collect();
        for (g, group) in neighbours.iter().enumerate() {
            let which = usize::from(g >= by_department.len());
            for (position, &i) in group.iter().enumerate() {
                place[i][which] = (g as u32, position as u32);
            }
        }

        let departments: BTreeMap<String, DepartmentView> = site
            .catalog
            .departments
            .values()
            .map(|dept| {
                let items = by_department
                    .get(&dept.code.0)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                (
                    dept.code.0.clone(),
                    department_view(dept, items, summaries, site),
                )
            })
            .collect();

        // Domains in the order site.toml lists them; only those with data.
        let domain_groups: Vec<Group> = config
            .domains
            .iter()
            .filter_map(|d| {
                by_domain.get(&d.slug).map(|items| Group {
                    name: d.name.clone(),
                    url: format!("domains/{}/", d.slug),
                    intro: format!("数据领域「{}」的数据集。", d.name),
                    note: String::new(),
                    items: items.clone(),
                    department: None,
                })
            })
            .collect();
        let department_groups: Vec<Group> = by_department
            .iter()
            .map(|(code, items)| {
                let view = &departments[code];
                Group {
                    name: view.name.clone(),
                    url: format!("departments/{code}/"),
                    intro: String::new(),
                    note: match view.stale {
                        0 => format!(
                            "{} · {} · 元数据完整度 {}%",
                            view.level, view.region, view.completeness
                        ),
                        stale => format!(
                            "{} · {} · 元数据完整度 {}% · {stale} 个可能未及时更新",
                            view.level, view.region, view.completeness
                        ),
                    },
                    items: items.clone(),
                    department: Some(code.clone()),
                }
            })
            .collect();
        let format_groups: Vec<Group> = by_format
            .iter()
            .map(|(slug, items)| Group {
                name: slug.to_ascii_uppercase(),
                url: format!("formats/{slug}/"),
                intro: format!("提供 {} 格式资源的数据集。", slug.to_ascii_uppercase()),
                note: String::new(),
                items: items.clone(),
                department: None,
            })
            .collect();

        let facets = vec![
            Facet {
                title: "数据领域",
                intro: "按数据领域浏览（第十六条）。",
                base: "domains/",
                section: "domains",
                groups: domain_groups,
            },
            Facet {
                title: "数据提供部门",
                intro: "各地各部门的开放目录。",
                base: "departments/",
                section: "departments",
                groups: department_groups,
            },
            Facet {
                title: "层级",
                intro: "自治区、市、县、乡、村五级（第十条）。",
                base: "levels/",
                section: "levels",
                groups: vocabulary_groups::<Level>(&by_level, "levels/", "层级"),
            },
            Facet {
                title: "开放类型",
                intro: "无条件开放与有条件开放（第十九条）。",
                base: "open-types/",
                section: "open-types",
                groups: vocabulary_groups::<OpenType>(&by_open_type, "open-types/", "开放类型"),
            },
            Facet {
                title: "数据格式",
                intro: "按资源格式浏览。",
                base: "formats/",
                section: "formats",
                groups: format_groups,
            },
            Facet {
                title: "更新频率",
                intro: "按更新频率浏览。",
                base: "frequencies/",
                section: "frequencies",
                groups: vocabulary_groups::<UpdateFrequency>(
                    &by_frequency,
                    "frequencies/",
                    "更新频率",
                ),
            },
        ];

        let (regions, region_rows) = regions(site, by_region);

        let home = HomeView {
            counts: BTreeMap::from([
                ("datasets", datasets.len()),
                ("departments", site.catalog.departments.len()),
                ("domains", by_domain.len()),
                ("formats", facets[4].groups.len()),
            ]),
            domains: facets[0].groups.iter().map(Group::entry).collect(),
            levels: facets[2].groups.iter().map(Group::entry).collect(),
            cities: regions
                .iter()
                .filter(|r| r.code.len() == 4)
                .map(|r| FacetEntry {
                    name: r.name.clone(),
                    url: format!("regions/{}/", r.code),
                    count: r.items.len(),
                    note: String::new(),
                })
                .collect(),
            departments: {
                let mut top: Vec<FacetEntry> = facets[1]
                    .groups
                    .iter()
                    .map(Group::entry)
                    .filter(|e| e.count > 0)
                    .collect();
                top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
                top.truncate(12);
                top
            },
        };

        SiteModel {
            addresses: crate::metadata::dcat::Addresses::new(config),
            site: SiteView {
                title: config.title.clone(),
                description: config.description.clone(),
                operator: config.operator.clone(),
                pages: site
                    .pages
                    .iter()
                    .map(|p| Link {
                        name: p.title.clone(),
                        url: format!("{}/", p.slug),
                    })
                    .collect(),
                banners: super::workflows::banners(site.notices, site.build_date),
            },
            cards,
            apps_by_dataset: super::workflows::apps_by_dataset(site),
            recent,
            high_value,
            facets,
            regions,
            region_rows,
            departments,
            home,
            place,
            neighbours,
            summaries,
        }
    }

    /// The cards of these datasets, in order.
    pub(super) fn cards_of(
        &self,
        site: &Site<'_>,
        indices: impl IntoIterator<Item = usize>,
    ) -> Vec<&Card> {
        indices
            .into_iter()
            .map(|i| {
                let card = self.cards[i]
                    .get_or_init(|| Box::new(Card::new(&site.catalog.datasets[i], site)));
                &**card
            })
            .collect()
    }

    /// The showcase applications (indices into `site.apps`) that use dataset `i`.
    pub(super) fn apps_of(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.apps_by_dataset.get(&i).into_iter().flatten().copied()
    }

    /// Up to six related datasets: the nearest in time from the same department, then domain.
    /// (Read for every dataset page's fingerprint, so it allocates nothing.)
    pub(super) fn related(&self, i: usize) -> impl Iterator<Item = usize> + use<> {
        const MOST: usize = 6;
        let mut chosen = [0; MOST];
        let mut len = 0;
        for (which, want) in [(0, 3), (1, MOST)] {
            let (g, here) = self.place[i][which];
            let Some(group) = self.neighbours.get(g as usize) else {
                continue;
            };
            let here = here as usize;
            let mut offset = 1;
            while len < want && (offset <= here || here + offset < group.len()) {
                for j in [
                    here.checked_sub(offset).map(|p| group[p]),
                    group.get(here + offset).copied(),
                ]
                .into_iter()
                .flatten()
                {
                    if j != i && !chosen[..len].contains(&j) && len < want {
                        chosen[len] = j;
                        len += 1;
                    }
                }
                offset += 1;
            }
        }
        chosen.into_iter().take(len)
    }
}

/// One group per value of a vocabulary that has data, in the vocabulary's order.
fn vocabulary_groups<V: Vocabulary>(
    groups: &BTreeMap<String, Vec<usize>>,
    base: &str,
    what: &str,
) -> Vec<Group> {
    V::ALL
        .iter()
        .filter_map(|value| {
            let (slug, label) = (value.slug(), value.label());
            groups.get(slug).map(|items| Group {
                name: label.to_string(),
                url: format!("{base}{slug}/"),
                intro: format!("{what}为「{label}」的数据集。"),
                note: String::new(),
                items: items.clone(),
                department: None,
            })
        })
        .collect()
}

fn department_view(
    dept: &Department,
    items: &[usize],
    summaries: &Summaries,
    site: &Site<'_>,
) -> DepartmentView {
    let completeness = if items.is_empty() {
        0
    } else {
        let total: f64 = items.iter().map(|&i| summaries.get(i).completeness).sum();
        (total / items.len() as f64 * 100.0).round() as u32
    };
    DepartmentView {
        code: dept.code.0.clone(),
        name: dept.name.clone(),
        url: format!("departments/{}/", dept.code.0),
        level: dept.level.label(),
        region: site.divisions.full_name(&dept.region.0),
        contacts: dept.contacts.clone(),
        officials: dept.officials.clone(),
        description: dept.description.clone(),
        datasets: items.len(),
        completeness,
        stale: items
            .iter()
            .filter(|&&i| summaries.get(i).is_stale(site.build_date))
            .count(),
    }
}

/// Share of the optional catalog fields a record fills (数据项 counts double: 第十六条 names it).
pub(super) fn completeness(d: &Dataset) -> f64 {
    let checks = [
        !d.fields.is_empty(),
        !d.fields.is_empty() && d.fields.iter().all(|f| f.kind.is_some()),
        d.summary != d.title,
        !d.keywords.is_empty(),
        !d.resources.is_empty(),
        d.contact.is_some(),
        d.license.is_some(),
        d.issued.is_some() && d.modified.is_some(),
    ];
    checks.iter().filter(|&&c| c).count() as f64 / checks.len() as f64
}

/// Dataset indices by the keys of each facet, each group in the order of `order`; only keys
/// some dataset has. One pass over `order` fills every facet, so each summary is fetched once.
fn facet_groups(summaries: &Summaries, order: &[usize]) -> [BTreeMap<String, Vec<usize>>; FACETS] {
    let mut groups: [Vec<Vec<usize>>; FACETS] =
        std::array::from_fn(|facet| vec![Vec::new(); summaries.names(facet).len()]);
    for &i in order {
        for (facet, groups) in groups.iter_mut().enumerate() {
            for &key in summaries.keys_of(i, facet) {
                groups[key as usize].push(i);
            }
        }
    }
    let mut facet = 0;
    groups.map(|groups| {
        let named = summaries
            .names(facet)
            .iter()
            .zip(groups)
            .filter(|(_, items)| !items.is_empty())
            .map(|(name, items)| (name.clone(), items))
            .collect();
        facet += 1;
        named
    })
}

/// The region groups and the rows of the regions page, from the datasets of each division.
fn regions(
    site: &Site<'_>,
    items: BTreeMap<String, Vec<usize>>,
) -> (Vec<RegionGroup>, Vec<RegionRow>) {
    let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for code in items.keys() {
        if let Some(parent) = site.divisions.get(code).and_then(|d| d.parent.clone()) {
            children.entry(parent).or_default().insert(code.clone());
        }
    }
    let entry = |code: &str| FacetEntry {
        name: site
            .divisions
            .get(code)
            .map_or(code.to_string(), |d| d.name.clone()),
        url: format!("regions/{code}/"),
        count: items.get(code).map_or(0, Vec::len),
        note: String::new(),
    };
    let groups = items
        .iter()
        .map(|(code, list)| {
            let ancestry = site.divisions.ancestry(code);
            RegionGroup {
                code: code.clone(),
                name: ancestry.last().map_or(code.clone(), |d| d.name.clone()),
                full_name: site.divisions.full_name(code),
                trail: ancestry[..ancestry.len().saturating_sub(1)]
                    .iter()
                    .map(|d| (d.code.clone(), d.name.clone()))
                    .collect(),
                items: list.clone(),
                children: children
                    .get(code)
                    .map(|c| c.iter().map(|c| entry(c)).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    // Depth-first rows of the tree, for the regions page.
    let mut rows = Vec::new();
    let mut stack: Vec<(String, usize)> = items
        .keys()
        .filter(|c| c.len() == 2)
        .map(|c| (c.clone(), 0))
        .collect();
    while let Some((code, depth)) = stack.pop() {
        let e = entry(&code);
        rows.push(RegionRow {
            name: e.name,
            url: e.url,
            count: e.count,
            depth,
            level: Level::from_code_length(code.len()).map_or("", |l| l.label()),
            opens: false,
            closes: 0,
        });
        if let Some(kids) = children.get(&code) {
            for kid in kids.iter().rev() {
                stack.push((kid.clone(), depth + 1));
            }
        }
    }
    // Nesting for the template: a row opens a list when the next row is deeper, and closes
    // as many lists as the next row is shallower.
    for i in 0..rows.len() {
        let next = rows.get(i + 1).map_or(0, |r| r.depth);
        rows[i].opens = next > rows[i].depth;
        rows[i].closes = rows[i].depth.saturating_sub(next);
    }
    (groups, rows)
}

/// A dataset page's view of one dataset.
#[derive(Debug, Serialize)]
pub(super) struct DatasetView<'a> {
    id: &'a str,
    title: &'a str,
    summary: &'a str,
    domain: Link,
    keywords: &'a [String],
    level: &'static str,
    level_url: String,
    region: String,
    region_url: String,
    open_type: &'static str,
    open_type_slug: &'static str,
    open_conditions: Option<&'a str>,
    update_frequency: &'static str,
    frequency_url: String,
    formats: Vec<String>,
    fields: &'a [crate::model::Field],
    resources: Vec<ResourceView<'a>>,
    license: Option<&'a str>,
    issued: String,
    modified: String,
    contact: Option<&'a crate::model::Contact>,
    high_value: bool,
    stale: bool,
    reviews: Vec<ReviewView>,
    desensitized: Option<bool>,
    source_url: Option<&'a str>,
    apply_url: &'a str,
}

#[derive(Debug, Serialize)]
struct ResourceView<'a> {
    title: &'a str,
    format: &'a str,
    url: String,
    external: bool,
    size: Option<String>,
    sha256: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct ReviewView {
    kind: &'static str,
    passed: bool,
    date: String,
    by: Option<String>,
    note: Option<String>,
}

impl<'a> DatasetView<'a> {
    pub(super) fn new(d: &'a Dataset, site: &'a Site<'_>) -> DatasetView<'a> {
        let domain_name = site
            .config
            .domain_by_slug(&d.domain)
            .map_or(d.domain.clone(), |x| x.name.clone());
        DatasetView {
            id: &d.id.0,
            title: &d.title,
            summary: &d.summary,
            domain: Link {
                name: domain_name,
                url: format!("domains/{}/", d.domain),
            },
            keywords: &d.keywords,
            level: d.level.label(),
            level_url: format!("levels/{}/", d.level.slug()),
            region: site.divisions.full_name(&d.region.0),
            region_url: format!("regions/{}/", d.region.0),
            open_type: d.open_type.label(),
            open_type_slug: d.open_type.slug(),
            open_conditions: d.open_conditions.as_deref(),
            update_frequency: d.update_frequency.label(),
            frequency_url: format!("frequencies/{}/", d.update_frequency.slug()),
            formats: d.formats(),
            fields: &d.fields,
            resources: d
                .resources
                .iter()
                .map(|r| match &r.location {
                    ResourceLocation::File { size, sha256, .. } => ResourceView {
                        title: &r.title,
                        format: &r.format,
                        url: format!(
                            "datasets/{}/{}",
                            d.id,
                            percent_encode_path(&r.published_path().unwrap_or_default())
                        ),
                        external: false,
                        size: Some(human_size(*size)),
                        sha256: Some(sha256),
                    },
                    ResourceLocation::Url { url } => ResourceView {
                        title: &r.title,
                        format: &r.format,
                        url: url.clone(),
                        external: true,
                        size: None,
                        sha256: None,
                    },
                })
                .collect(),
            license: d.license.as_deref(),
            issued: d.issued.map(|x| x.to_string()).unwrap_or_default(),
            modified: d.modified.map(|x| x.to_string()).unwrap_or_default(),
            contact: d.contact.as_ref(),
            high_value: d.high_value,
            stale: is_stale(d, site.build_date),
            reviews: d
                .reviews
                .iter()
                .map(|r| ReviewView {
                    kind: r.kind.label(),
                    passed: r.passed,
                    date: r.date.to_string(),
                    by: r.by.clone(),
                    note: r.note.clone(),
                })
                .collect(),
            desensitized: d.desensitized,
            source_url: d.source_url.as_deref(),
            apply_url: &site.config.apply_url,
        }
    }
}

/// Percent-encodes each segment of a relative path, so names with spaces, `#`, `?`, `%` or
/// Chinese characters still link to their file.
/// A site path with every byte but unreserved ones and `/` percent-encoded, for links.
pub(crate) fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Bytes in human units (KB = 1024 bytes).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_links_are_percent_encoded() {
        assert_eq!(
            percent_encode_path("files/50% #1?.csv"),
            "files/50%25%20%231%3F.csv"
        );
        assert_eq!(
            percent_encode_path("files/站点.csv"),
            "files/%E7%AB%99%E7%82%B9.csv"
        );
    }
}
