//! The public statistics of conditional-open applications (第二十条): aggregates only, per
//! department and per public dataset, never an application itself.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::Site;
use crate::calendar::WorkCalendar;
use std::collections::BTreeMap;

use crate::model::{Application, DeptCode, RATING_DIMENSIONS, Stage};

/// The site path of the statistics page.
pub(super) const PAGE: &str = "applications/index.html";
/// The site path of the same figures as JSON.
pub(super) const JSON: &str = "applications/statistics.json";

/// How the figures are computed, as the page and the JSON state it.
const METHOD: &str = "申请数：该部门（数据集）收到的申请记录数。通过率 = 审批通过的申请数 ÷ 已有结论（任一环节不通过，或审批通过）的申请数。各环节用时 = 从上一环节完成（或提交申请、提出异议）到本环节完成所经过的工作日数，按国务院公布的节假日安排计算（含调休）；中位数和第 90 百分位数按最近秩法取值。超期 = 完成时间晚于期限，或截至统计日仍未完成且已过期限；期限：规范性审核 2 个工作日（加急 1 个工作日，特急 12 小时），提供部门审核 5 个工作日（加急 2 个，特急 1 个），审批 2 个工作日，质量异议答复 3 个工作日。评价为六个维度各自的算术平均（1–5 分）。";

/// Figures of one stage over a group of applications.
///
/// Every key of the JSON holds an underscore, and no value is a bare word: a dataset id is a
/// slug, and the audit refuses a file holding the id of a withheld dataset as a JSON string
/// (a withheld dataset may be called `datasets` or `approval`).
#[derive(Debug, Serialize)]
pub(super) struct StageFigures {
    stage_name: &'static str,
    /// Steps done.
    done_count: u32,
    /// Of those, done by the deadline.
    on_time: u32,
    /// Done late, or open past the deadline.
    overdue_count: u32,
    /// Still open.
    open_count: u32,
    /// Working days taken, median and 90th percentile (nearest rank).
    median_days: Option<i64>,
    p90_days: Option<i64>,
}

/// Figures of a group of applications: a department's, or a dataset's.
#[derive(Debug, Serialize)]
pub(super) struct GroupFigures {
    /// Department code or dataset id.
    group_id: String,
    group_name: String,
    /// Site path of its page.
    page_path: String,
    application_count: u32,
    decided_count: u32,
    approved_count: u32,
    /// Approved of decided, in percent with one decimal.
    approval_rate: Option<f64>,
    overdue_count: u32,
    refused_without_reason: u32,
    stage_figures: Vec<StageFigures>,
    /// Ratings received, and the mean of each dimension.
    rating_count: u32,
    rating_means: Vec<RatingMean>,
}

/// The mean rating of one dimension, to two decimals.
#[derive(Debug, Serialize)]
pub(super) struct RatingMean {
    rating_dimension: &'static str,
    mean_score: f64,
}

/// Every figure the page and the JSON show.
#[derive(Debug, Serialize)]
pub(super) struct Statistics {
    /// The end of the day the statistics describe.
    as_of: String,
    computation_method: &'static str,
    application_count: u32,
    by_department: Vec<GroupFigures>,
    by_dataset: Vec<GroupFigures>,
}

/// The statistics of the site's applications as of the end of its build date. Datasets are
/// named only when public; a department counts the applications for all its datasets.
pub(super) fn statistics(site: &Site<'_>, calendar: &WorkCalendar) -> Statistics {
    let as_of = site
        .build_date
        .and_hms_opt(23, 59, 59)
        .expect("a valid time");
    // One pass groups the applications; the catalog is then visited only where it has some.
    let mut by_department: BTreeMap<&DeptCode, Vec<&Application>> = BTreeMap::new();
    let mut by_dataset: BTreeMap<&str, Vec<&Application>> = BTreeMap::new();
    for application in site.applications {
        by_department
            .entry(&application.department)
            .or_default()
            .push(application);
        by_dataset
            .entry(application.dataset.0.as_str())
            .or_default()
            .push(application);
    }
    let mut departments = Vec::new();
    for (code, apps) in by_department {
        if let Some(department) = site.catalog.departments.get(code) {
            departments.push(figures(
                code.0.clone(),
                department.name.clone(),
                format!("departments/{}/", code.0),
                &apps,
                as_of,
                calendar,
            ));
        }
    }
    let mut datasets = Vec::new();
    for (id, apps) in by_dataset {
        // Only public datasets are named.
        if let Some(dataset) = site.catalog.dataset(id) {
            datasets.push(figures(
                dataset.id.0.clone(),
                dataset.title.clone(),
                format!("datasets/{}/", dataset.id.0),
                &apps,
                as_of,
                calendar,
            ));
        }
    }
    Statistics {
        as_of: format!("{}", as_of.format("%Y-%m-%dT%H:%M:%S+08:00")),
        computation_method: METHOD,
        application_count: site.applications.len() as u32,
        by_department: departments,
        by_dataset: datasets,
    }
}

fn figures(
    id: String,
    name: String,
    url: String,
    apps: &[&Application],
    as_of: NaiveDateTime,
    calendar: &WorkCalendar,
) -> GroupFigures {
    let decided: Vec<bool> = apps.iter().filter_map(|a| a.approved()).collect();
    let approved = decided.iter().filter(|&&a| a).count() as u32;
    let stages = Stage::ALL
        .iter()
        .map(|&stage| {
            let steps: Vec<_> = apps
                .iter()
                .flat_map(|a| a.steps.iter().filter(move |s| s.stage == stage))
                .collect();
            let mut days: Vec<i64> = steps
                .iter()
                .filter_map(|s| {
                    let done = s.done?;
                    calendar
                        .working_days_between(s.started.date(), done.date())
                        .ok()
                })
                .collect();
            days.sort_unstable();
            StageFigures {
                stage_name: stage.describe(),
                done_count: steps.iter().filter(|s| s.done.is_some()).count() as u32,
                on_time: steps
                    .iter()
                    .filter(|s| s.done.is_some() && s.deadline.is_some() && !s.overdue(as_of))
                    .count() as u32,
                overdue_count: steps.iter().filter(|s| s.overdue(as_of)).count() as u32,
                open_count: steps.iter().filter(|s| s.done.is_none()).count() as u32,
                median_days: nearest_rank(&days, 0.5),
                p90_days: nearest_rank(&days, 0.9),
            }
        })
        .collect();
    let ratings: Vec<[u8; 6]> = apps.iter().filter_map(|a| a.rating).collect();
    let rating_means = if ratings.is_empty() {
        Vec::new()
    } else {
        RATING_DIMENSIONS
            .iter()
            .enumerate()
            .map(|(i, &dimension)| {
                let sum: u32 = ratings.iter().map(|r| u32::from(r[i])).sum();
                let mean = f64::from(sum) / ratings.len() as f64;
                RatingMean {
                    rating_dimension: dimension,
                    mean_score: (mean * 100.0).round() / 100.0,
                }
            })
            .collect()
    };
    GroupFigures {
        group_id: id,
        group_name: name,
        page_path: url,
        application_count: apps.len() as u32,
        decided_count: decided.len() as u32,
        approved_count: approved,
        approval_rate: (!decided.is_empty())
            .then(|| (f64::from(approved) * 1000.0 / decided.len() as f64).round() / 10.0),
        overdue_count: apps
            .iter()
            .filter(|a| a.steps.iter().any(|s| s.overdue(as_of)))
            .count() as u32,
        refused_without_reason: apps
            .iter()
            .filter(|a| {
                a.steps
                    .iter()
                    .any(|s| s.decision == Some(crate::model::Decision::Refused) && !s.reason_given)
            })
            .count() as u32,
        stage_figures: stages,
        rating_count: ratings.len() as u32,
        rating_means,
    }
}

/// The nearest-rank percentile `p` (0–1) of sorted `values`.
fn nearest_rank(values: &[i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[3], 0.9), Some(3));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 0.5), Some(5));
        assert_eq!(nearest_rank(&ten, 0.9), Some(9));
        assert_eq!(nearest_rank(&[1, 2, 3], 0.9), Some(3));
    }
}
