//! Demands for data from the public (第十五条), `content/demands/<id>.yaml`: what was asked of
//! which department, and the answer. Each is published on a page of its own and in a list
//! that filters by status and department; who asked is never recorded.

use std::path::Path;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_each, load_kind, unknown_dataset};
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, Text};
use crate::model::{DatasetId, Demand, DemandStatus, DeptCode};
use crate::policy::{PublicCatalog, Unnameable};
use crate::validate::Checker;

/// The folder of demand records under the content folder.
pub const FOLDER: &str = "demands";

/// A demand record as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "数据开放需求 Demand for data")]
pub struct RawDemand {
    /// 需求数据 The data asked for.
    #[schemars(with = "String")]
    pub title: Text,
    /// 需求说明 What is asked and why, Markdown (never who asked).
    #[schemars(with = "String")]
    pub summary: Text,
    /// 被征求部门 Code of the department asked.
    #[schemars(with = "String")]
    pub department: Text,
    /// 收到日期 When it was received (YYYY-MM-DD).
    #[schemars(with = "String")]
    pub received: Text,
    /// 状态 办理中 | 已开放 | 列入计划 | 暂不开放.
    #[schemars(with = "String")]
    pub status: Text,
    /// 答复日期 When it was answered (YYYY-MM-DD); with every status but 办理中.
    #[schemars(with = "Option<String>")]
    pub answered: Option<Text>,
    /// 答复 The answer, Markdown; with every status but 办理中.
    #[schemars(with = "Option<String>")]
    pub answer: Option<Text>,
    /// 对应数据集 The id of the dataset that answers it; with 已开放.
    #[schemars(with = "Option<String>")]
    pub dataset: Option<Text>,
}

/// What demands are checked against: the catalog's departments and datasets.
pub struct Lookup<'l, 'a> {
    /// Whether a department code exists.
    pub department: &'l dyn Fn(&str) -> bool,
    /// Every department code, for suggestions.
    pub departments: &'l dyn Fn() -> Vec<&'a str>,
    /// Whether a dataset id exists (public or not).
    pub dataset: &'l dyn Fn(&str) -> bool,
    /// Every dataset id, for suggestions.
    pub datasets: &'l dyn Fn() -> Vec<&'a str>,
}

/// Reads and checks `content/demands/`, newest first.
pub fn load(
    content: &Path,
    limits: &Limits,
    today: Option<NaiveDate>,
    lookup: &Lookup<'_, '_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Demand> {
    let (loaded, _) = load_kind::<RawDemand>(content, FOLDER, limits, diagnostics);
    let mut demands = check_each(&loaded, today, diagnostics, |check, id, record| {
        demand(check, id, record, lookup)
    });
    demands.sort_by(|a, b| (b.received, &a.id).cmp(&(a.received, &b.id)));
    demands
}

fn demand(
    check: &mut Checker<'_>,
    id: &str,
    record: &Loaded<RawDemand>,
    lookup: &Lookup<'_, '_>,
) -> Option<Demand> {
    let raw = &record.value;
    for (key, value) in [("title", &raw.title), ("summary", &raw.summary)] {
        check.not_empty(key, value, "demand");
    }
    let department = raw.department.value.trim();
    if !(lookup.department)(department) {
        let help = match crate::diagnostics::nearest(department, (lookup.departments)()) {
            Some(near) => format!("did you mean `{near}`? name the code of a department"),
            None => "name the code of a department in content/departments/".into(),
        };
        check.error(
            "unknown-department",
            &raw.department,
            format!("no department has the code `{department}`"),
            "not a department of the catalog",
            help,
        );
    }
    let received = check.date("received", &Some(raw.received.clone()));
    let status = check.vocabulary::<DemandStatus>("status", &raw.status);
    let answered = check.date("answered", &raw.answered);
    if let (Some(received), Some(answered), Some(value)) = (received, answered, &raw.answered)
        && answered < received
    {
        check.error(
            "date-order",
            value,
            format!("answered on {answered}, before it was received ({received})"),
            "before `received`",
            "check both dates".into(),
        );
    }
    let answer = raw.answer.as_ref().filter(|a| !a.value.trim().is_empty());
    match status {
        Some(DemandStatus::Pending) => {
            if let Some(value) = raw.answered.as_ref().or(raw.answer.as_ref()) {
                check.error(
                    "answered-pending",
                    value,
                    "a demand still 办理中 carries an answer".into(),
                    "with status 办理中",
                    "set `status` to the outcome (已开放, 列入计划 or 暂不开放), or remove the answer".into(),
                );
            }
        }
        Some(_) if answer.is_none() || raw.answered.is_none() => {
            check.error(
                "unanswered",
                &raw.status,
                format!(
                    "status `{}` needs the answer and its date",
                    raw.status.value.trim()
                ),
                "no `answer` or `answered`",
                "write `answered: YYYY-MM-DD` and the department's `answer` (第十五条: the public sees both)".into(),
            );
        }
        _ => {}
    }
    let dataset = match (&raw.dataset, status) {
        (Some(value), _) if !(lookup.dataset)(value.value.trim()) => {
            unknown_dataset(check, value, (lookup.datasets)());
            None
        }
        (Some(value), _) => Some(DatasetId(value.value.trim().to_string())),
        (None, Some(DemandStatus::Opened)) => {
            check.error(
                "no-dataset",
                &raw.status,
                "status 已开放 names no dataset".into(),
                "which dataset opened it?",
                "write `dataset:` with the id of the dataset that answers the demand".into(),
            );
            None
        }
        (None, _) => None,
    };
    Some(Demand {
        id: id.to_string(),
        record_path: record.rel.clone(),
        title: raw.title.value.trim().to_string(),
        summary: raw.summary.value.clone(),
        department: DeptCode(department.to_string()),
        received: received?,
        status: status?,
        answer: answered.zip(answer.map(|a| a.value.clone())),
        dataset,
    })
}

/// The demands the public may see. A demand whose text names an unpublished dataset is
/// left out with an error (the audit would refuse its pages); one that links a dataset
/// that is not public keeps its text but not the link, with a warning.
pub fn public_only(
    demands: Vec<Demand>,
    catalog: &PublicCatalog,
    unnameable: &Unnameable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Demand> {
    demands
        .into_iter()
        .filter_map(|mut demand| {
            let answer = demand.answer.as_ref().map_or("", |(_, a)| a.as_str());
            if let Some(id) = unnameable.named_in(&[&demand.title, &demand.summary, answer]) {
                diagnostics.push(
                    Diagnostic::error(
                        "demand-names-withheld",
                        &demand.record_path,
                        format!("the demand names a dataset that is not published (`{id}`); it is left out"),
                    )
                    .help("describe the data asked for without the title or link of unpublished data"),
                );
                return None;
            }
            // A dataset taken offline after it answered a demand must not undo the record.
            if let Some(dataset) = demand.dataset.take_if(|d| catalog.position(&d.0).is_none()) {
                let found = if demand.status == DemandStatus::Opened {
                    Diagnostic::warning(
                        "opened-not-public",
                        &demand.record_path,
                        format!("status 已开放, but `{dataset}` is not published now; the demand's page does not link it"),
                    )
                    .help("publish the dataset, or set the status to what holds now")
                } else {
                    Diagnostic::warning(
                        "demand-links-unpublished",
                        &demand.record_path,
                        format!("`{dataset}` is not published; the demand's page does not link it"),
                    )
                    .help("the link appears once the dataset is public")
                };
                diagnostics.push(found);
            }
            Some(demand)
        })
        .collect()
}
