//! Policy: THE one place that decides what may be public.
//!
//! A 不予开放 record, a record without a passed security review (第二十九条), and a suspended or
//! withdrawn record (第二十二条) are withheld here; render only ever receives the public part.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::model::{
    Catalog, Dataset, Department, DeptCode, OpenType, ResourceLocation, Status, Takedown,
    TakedownState,
};
use crate::validate::RejectedRecord;
use crate::workflows::takedowns::Takedowns;

/// Why a dataset is kept out of every public file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WithholdReason {
    /// 不予开放 (第十九条).
    NotOpen,
    /// No passed security review (第二十九条).
    NoSecurityReview,
    /// Suspended while an objection is verified (第二十二条).
    Suspended,
    /// Withdrawn (第二十二条).
    Withdrawn,
    /// The record was rejected by validation: nothing of it is published either.
    Rejected,
}

impl WithholdReason {
    /// A short Chinese explanation for reports.
    pub fn describe(self) -> &'static str {
        match self {
            WithholdReason::NotOpen => "不予开放",
            WithholdReason::NoSecurityReview => "未通过安全审查",
            WithholdReason::Suspended => "已暂停",
            WithholdReason::Withdrawn => "已撤回",
            WithholdReason::Rejected => "记录有误",
        }
    }
}

/// A dataset that must not appear in any public file.
#[derive(Debug, Clone, Serialize)]
pub struct Withheld {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The record file.
    pub record_path: String,
    /// Why.
    pub reason: WithholdReason,
}

/// What the public may see: every department, the public datasets, and (for the audit only)
/// what was withheld.
#[derive(Debug, Clone, Default)]
pub struct PublicCatalog {
    /// Departments by code.
    pub departments: BTreeMap<DeptCode, Department>,
    /// Public datasets, sorted by id.
    pub datasets: Vec<std::sync::Arc<Dataset>>,
    /// Withheld datasets; never given to render.
    pub withheld: Vec<Withheld>,
    /// SHA-256 of every file that belongs to a withheld dataset.
    pub withheld_hashes: std::collections::BTreeSet<String>,
    /// The takedowns the public notice lists, latest change first.
    pub takedowns: Vec<AnnouncedTakedown>,
    /// Ids of withheld datasets that the takedown notice and the withdrawals feed may name
    /// (by id and title, nothing else): see [`crate::audit::ANNOUNCING_FILES`].
    pub announced: std::collections::BTreeSet<String>,
}

impl PublicCatalog {
    /// The position of the public dataset `id` among [`PublicCatalog::datasets`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.datasets
            .binary_search_by(|d| d.id.0.as_str().cmp(id))
            .ok()
    }

    /// The public dataset `id`, if it is one.
    pub fn dataset(&self, id: &str) -> Option<&Dataset> {
        self.position(id).map(|i| &*self.datasets[i])
    }

    /// What a public text written by the platform (a notice, a showcase entry, a demand, a
    /// plan) must not name: the titles and ids of withheld datasets that no public dataset
    /// shares, looked for as the build's audit looks for them.
    pub fn unnameable(&self) -> Unnameable<'_> {
        // The withheld titles are few: one pass over the public datasets finds the shared ones.
        let mut shared: std::collections::HashMap<&str, bool> = self
            .withheld
            .iter()
            .filter(|w| !w.title.is_empty())
            .map(|w| (w.title.as_str(), false))
            .collect();
        if !shared.is_empty() {
            for d in &self.datasets {
                if let Some(seen) = shared.get_mut(d.title.as_str()) {
                    *seen = true;
                }
            }
        }
        let titled: Vec<&Withheld> = self
            .withheld
            .iter()
            .filter(|w| shared.get(w.title.as_str()) == Some(&false))
            .collect();
        Unnameable {
            titles: aho_corasick::AhoCorasick::new(titled.iter().map(|w| w.title.as_str())).ok(),
            title_ids: titled.iter().map(|w| w.id.as_str()).collect(),
            ids: self
                .withheld
                .iter()
                .filter(|w| !w.id.is_empty() && self.position(&w.id).is_none())
                .map(|w| w.id.as_str())
                .collect(),
        }
    }
}

/// The withheld titles and ids a public text must not carry ([`PublicCatalog::unnameable`]).
#[derive(Debug)]
pub struct Unnameable<'a> {
    /// The titles no public dataset shares, and the id of each (by pattern number).
    titles: Option<aho_corasick::AhoCorasick>,
    title_ids: Vec<&'a str>,
    /// The withheld ids no public dataset shares.
    ids: std::collections::HashSet<&'a str>,
}

impl<'a> Unnameable<'a> {
    /// The id of a withheld dataset one of `texts` names, by title or by a link to its page
    /// or documents ([`crate::audit::linked_ids`]).
    pub fn named_in(&self, texts: &[&str]) -> Option<&'a str> {
        texts.iter().find_map(|text| {
            let by_title = self
                .titles
                .as_ref()
                .and_then(|titles| titles.find(*text))
                .map(|m| self.title_ids[m.pattern().as_usize()]);
            by_title
                .or_else(|| crate::audit::linked_ids(text).find_map(|id| self.ids.get(id).copied()))
        })
    }

    /// Whether `id` is a withheld dataset's that no public dataset shares.
    pub fn is_withheld_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
}

/// A takedown as the public sees it (第二十二条): the dataset's id and title, the grounds,
/// the state and its dates; never who objected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AnnouncedTakedown {
    /// The takedown.
    pub takedown: Takedown,
    /// The dataset's title.
    pub title: String,
    /// Whether the dataset is published now (its page exists).
    pub published: bool,
}

/// Decides whether one dataset may be public, by its own record.
pub fn withhold_reason(dataset: &Dataset) -> Option<WithholdReason> {
    if dataset.open_type == OpenType::NotOpen {
        Some(WithholdReason::NotOpen)
    } else if dataset.status == Status::Suspended {
        Some(WithholdReason::Suspended)
    } else if dataset.status == Status::Withdrawn {
        Some(WithholdReason::Withdrawn)
    } else if !dataset.security_reviewed() {
        Some(WithholdReason::NoSecurityReview)
    } else {
        None
    }
}

/// As [`withhold_reason`], with the takedowns: a takedown that keeps a dataset offline
/// decides over the dataset's own `status`.
fn withhold_reason_with(dataset: &Dataset, takedowns: &Takedowns) -> Option<WithholdReason> {
    let own = withhold_reason(dataset);
    if matches!(own, Some(WithholdReason::NotOpen)) {
        return own;
    }
    match takedowns.state_of(&dataset.id.0) {
        Some(TakedownState::Withdrawn) => Some(WithholdReason::Withdrawn),
        Some(_) => Some(WithholdReason::Suspended),
        None => own,
    }
}

/// Whether the takedown notice may name a dataset: only one the public could see before the
/// objection (not a 不予开放 or unreviewed one, whose title was never public).
fn may_announce(dataset: &Dataset) -> bool {
    dataset.open_type != OpenType::NotOpen && dataset.security_reviewed()
}

/// Splits a catalog into its public part and the withheld list.
///
/// A file that is a resource of a withheld dataset is withheld with it, even when a public
/// record lists the same file (by path or by content): such resources are dropped from the
/// public record, with a warning returned for its department.
///
/// Rejected records count as withheld too: a 不予开放 record with a typo must not lose its
/// protection (its id, title and files stay out of every public file).
pub fn apply(
    catalog: Catalog,
    rejected: &[RejectedRecord],
    takedowns: &Takedowns,
) -> (PublicCatalog, Vec<Diagnostic>) {
    let mut public = PublicCatalog {
        departments: catalog.departments,
        ..PublicCatalog::default()
    };
    // Files of withheld datasets, by path and by content (owned: few, and the catalog is
    // consumed below without copying the public datasets).
    // Looked up for every public file resource: a fast hasher (keyed per process).
    let mut withheld_files: foldhash::HashSet<std::path::PathBuf> = Default::default();
    let mut withheld_hashes: foldhash::HashSet<String> = Default::default();
    // Each dataset's reason, found once and in parallel: on a large catalog this pass is
    // bound by reading every record from memory.
    let reasons: Vec<Option<WithholdReason>> = catalog
        .datasets
        .par_iter()
        .map(|d| withhold_reason_with(d, takedowns))
        .collect();
    let withheld = catalog
        .datasets
        .iter()
        .zip(&reasons)
        .filter_map(|(d, reason)| reason.map(|_| d));
    for dataset in withheld {
        for resource in &dataset.resources {
            if let ResourceLocation::File { source, sha256, .. } = &resource.location {
                withheld_files.insert(source.clone());
                withheld_hashes.insert(sha256.clone());
            }
        }
    }
    for record in rejected {
        for file in &record.files {
            withheld_files.insert(file.clone());
            if let Ok((_, sha256)) = crate::digest::hash_file(file) {
                withheld_hashes.insert(sha256);
            }
        }
        public.withheld.push(Withheld {
            id: record.id.clone(),
            title: record.title.clone().unwrap_or_default(),
            record_path: record.rel.clone(),
            reason: WithholdReason::Rejected,
        });
    }
    let mut warnings = Vec::new();
    let any_withheld_file = !withheld_files.is_empty() || !withheld_hashes.is_empty();
    for (mut dataset, reason) in catalog.datasets.into_iter().zip(reasons) {
        if takedowns.touches(&dataset.id.0) && may_announce(&dataset) {
            let withheld = reason.is_some();
            let before = public.takedowns.len();
            for takedown in takedowns.valid.iter().filter(|t| t.dataset == dataset.id) {
                public.takedowns.push(AnnouncedTakedown {
                    takedown: takedown.clone(),
                    title: dataset.title.clone(),
                    published: !withheld,
                });
            }
            if withheld && public.takedowns.len() > before {
                public.announced.insert(dataset.id.0.clone());
            }
        }
        if let Some(reason) = reason {
            public.withheld.push(Withheld {
                id: dataset.id.0.clone(),
                title: dataset.title.clone(),
                record_path: dataset.record_path.clone(),
                reason,
            });
            continue;
        }
        let withheld_file = |resource: &crate::model::Resource| {
            matches!(&resource.location, ResourceLocation::File { source, sha256, .. }
                if withheld_files.contains(source) || withheld_hashes.contains(sha256))
        };
        if any_withheld_file && dataset.resources.iter().any(withheld_file) {
            let copy = std::sync::Arc::make_mut(&mut dataset);
            for resource in copy.resources.iter().filter(|r| withheld_file(r)) {
                if let ResourceLocation::File { relative, .. } = &resource.location {
                    warnings.push(
                        Diagnostic::warning(
                            "withheld-resource",
                            &copy.record_path,
                            format!("resource `{relative}` is also a resource of a dataset that is not published; it is left out"),
                        )
                        .help("a file of a 不予开放, suspended, withdrawn or unreviewed dataset stays unpublished; use a separate, de-sensitised file"),
                    );
                }
            }
            copy.resources.retain(|r| !withheld_file(r));
            copy.seal();
        }
        public.datasets.push(dataset);
    }
    public.withheld_hashes = withheld_hashes.into_iter().collect();
    public.takedowns.sort_by(|a, b| {
        (b.takedown.updated(), &b.takedown.id).cmp(&(a.takedown.updated(), &a.takedown.id))
    });
    (public, warnings)
}
