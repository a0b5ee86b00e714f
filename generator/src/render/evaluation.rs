//! Per-department scorecards and a regional ranking (第二十一条, 第三十三条), computed from
//! the public records alone and published with their formula, as a page and as JSON for
//! anyone to recompute.
//!
//! Every figure is read from the render's dataset summaries (never from the datasets
//! themselves, which a catalog of 100,000 would make slow) and from the applications.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Site;
use super::summary::Summaries;
use crate::model::{Application, DeptCode, Vocabulary};

/// The site path of the scorecards page.
pub(super) const PAGE: &str = "evaluation/index.html";
/// The site path of the same figures as JSON.
pub(super) const JSON: &str = "evaluation/scorecards.json";

/// The components of the total score with their weights, in the order the page lists them.
const WEIGHTS: [(&str, f64); 5] = [
    ("metadata_completeness", 30.0),
    ("timely_share", 30.0),
    ("high_value_share", 10.0),
    ("on_time_share", 15.0),
    ("rating_score", 15.0),
];

/// How the figures and the score are computed, as the page and the JSON state it.
const METHOD: &str = "只统计公开的数据集（不予开放、暂停、下架和未经审核的数据不在其中）。元数据完整度：每个数据集按八项计（有数据项、数据项均注明类型、有摘要、有关键词、有资源、有联系人、有许可、有发布和更新日期），取部门内平均，百分制。更新及时率 = 1 −（可能未及时更新的数据集 + 没有发布和更新日期的数据集）÷ 有固定更新频率的数据集（最近更新早于更新频率允许的时间即为未及时更新：实时和每日 3 天、每周 14 天、每月 45 天、每季度 120 天、每半年 220 天、每年 400 天，均含宽限）。高价值占比 = 高价值数据集 ÷ 数据集。时限达标率 = 按期完成的申请环节 ÷（已完成的有期限环节 + 已超期未完成的环节）。评价得分 = 申请人六个维度评分的总平均 ÷ 5 × 100（均分另保留两位小数列出）。申请相关的两项计入部门的全部申请，包括对已不公开数据集的申请。综合得分 = 各项百分制数值（保留一位小数后）按权重加权平均：元数据完整度 30、更新及时率 30、高价值占比 10、时限达标率 15、评价得分 15；部门没有某项数据（没有固定更新频率的数据集、没有申请或没有评价）时，该项不计，其余权重按比例放大。综合得分保留一位小数；得分相同的名次相同，按部门代码排列。地区排名：自治区本级部门为一组，其余按所在设区市分组，地区得分为组内各部门综合得分按数据集数加权的平均。";

/// A component of the score and its weight.
#[derive(Debug, Serialize)]
pub(super) struct Weight {
    score_component: &'static str,
    component_weight: f64,
}

/// One department's scorecard. Every key of the JSON holds an underscore (see
/// [`super::applications::StageFigures`]).
#[derive(Debug, Serialize)]
pub(super) struct Scorecard {
    department_code: String,
    department_name: String,
    /// Site path of its page.
    page_path: String,
    level_name: &'static str,
    region_name: String,
    dataset_count: u32,
    unconditional_count: u32,
    conditional_count: u32,
    high_value_count: u32,
    /// Percent, one decimal; as are the other shares.
    high_value_share: Option<f64>,
    /// Datasets with a regular update frequency; of those the stale ones, and the ones
    /// without a date (which cannot show they are current, and count as not timely).
    regular_count: u32,
    stale_count: u32,
    undated_count: u32,
    timely_share: Option<f64>,
    metadata_completeness: Option<f64>,
    /// Application steps with a deadline that are done or overdue, and of those the ones
    /// done in time.
    timed_steps: u32,
    on_time_steps: u32,
    on_time_share: Option<f64>,
    rating_count: u32,
    /// Mean of every dimension of every rating, two decimals; and as a percent of 5.
    rating_mean: Option<f64>,
    rating_score: Option<f64>,
    /// The weighted score, one decimal; `None` for a department without public datasets.
    total_score: Option<f64>,
    /// 1 for the best score; `None` when not scored.
    score_rank: Option<u32>,
}

/// One region's place in the ranking.
#[derive(Debug, Serialize)]
pub(super) struct RegionScore {
    region_code: String,
    region_name: String,
    department_count: u32,
    dataset_count: u32,
    total_score: f64,
    score_rank: u32,
}

/// Every figure the page and the JSON show.
#[derive(Debug, Serialize)]
pub(super) struct Evaluation {
    /// The day the figures describe.
    as_of: String,
    computation_method: &'static str,
    score_weights: Vec<Weight>,
    department_scores: Vec<Scorecard>,
    region_scores: Vec<RegionScore>,
}

/// Counts of one department's public datasets, from the summaries.
#[derive(Default)]
struct Counts {
    datasets: u32,
    unconditional: u32,
    conditional: u32,
    high_value: u32,
    regular: u32,
    stale: u32,
    undated: u32,
    completeness: f64,
}

/// The scorecards of every department and the regional ranking, as of the build date.
pub(super) fn evaluation(site: &Site<'_>, summaries: &Summaries) -> Evaluation {
    let codes = summaries.department_codes();
    let mut counts: Vec<Counts> = std::iter::repeat_with(Counts::default)
        .take(codes.len())
        .collect();
    for (i, summary) in summaries.iter().enumerate() {
        let c = &mut counts[summaries.department_of(i) as usize];
        c.datasets += 1;
        match summaries.open_type_of(i) {
            "unconditional" => c.unconditional += 1,
            "conditional" => c.conditional += 1,
            _ => {}
        }
        c.high_value += u32::from(summary.high_value);
        let regular = summary.allowed_age_days.is_some();
        c.regular += u32::from(regular);
        c.stale += u32::from(summary.is_stale(site.build_date));
        c.undated += u32::from(regular && summary.recency.0.is_none());
        c.completeness += summary.completeness;
    }
    let by_code: BTreeMap<&str, &Counts> = codes
        .iter()
        .map(String::as_str)
        .zip(counts.iter())
        .collect();
    let as_of = site
        .build_date
        .and_hms_opt(23, 59, 59)
        .expect("a valid time");
    let mut applications: BTreeMap<&DeptCode, Vec<&Application>> = BTreeMap::new();
    for application in site.applications {
        applications
            .entry(&application.department)
            .or_default()
            .push(application);
    }
    let none = Counts::default();
    let mut cards: Vec<Scorecard> = site
        .catalog
        .departments
        .values()
        .map(|dept| {
            let c = by_code.get(dept.code.0.as_str()).copied().unwrap_or(&none);
            let apps = applications.get(&dept.code).map_or(&[][..], Vec::as_slice);
            scorecard(site, &dept.code, c, apps, as_of)
        })
        .collect();
    rank(&mut cards);
    let regions = regions(site, &cards);
    Evaluation {
        as_of: format!("{}", as_of.format("%Y-%m-%dT%H:%M:%S+08:00")),
        computation_method: METHOD,
        score_weights: WEIGHTS
            .iter()
            .map(|&(score_component, component_weight)| Weight {
                score_component,
                component_weight,
            })
            .collect(),
        department_scores: cards,
        region_scores: regions,
    }
}

/// A share in percent with one decimal, `None` of nothing.
fn percent(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| one_decimal(part * 100.0 / whole))
}

fn one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn scorecard(
    site: &Site<'_>,
    code: &DeptCode,
    c: &Counts,
    apps: &[&Application],
    as_of: chrono::NaiveDateTime,
) -> Scorecard {
    let dept = &site.catalog.departments[code];
    let steps = apps.iter().flat_map(|a| &a.steps);
    let timed: Vec<_> = steps
        .filter(|s| s.deadline.is_some() && (s.done.is_some() || s.overdue(as_of)))
        .collect();
    let on_time = timed.iter().filter(|s| !s.overdue(as_of)).count() as u32;
    let ratings: Vec<&[u8; 6]> = apps.iter().filter_map(|a| a.rating.as_ref()).collect();
    let rating_mean = (!ratings.is_empty()).then(|| {
        let sum: u32 = ratings
            .iter()
            .flat_map(|r| r.iter())
            .map(|&v| u32::from(v))
            .sum();
        f64::from(sum) / (ratings.len() * 6) as f64
    });
    let datasets = f64::from(c.datasets);
    let mut card = Scorecard {
        department_code: code.0.clone(),
        department_name: dept.name.clone(),
        page_path: format!("departments/{}/", code.0),
        level_name: dept.level.label(),
        region_name: site.divisions.full_name(&dept.region.0),
        dataset_count: c.datasets,
        unconditional_count: c.unconditional,
        conditional_count: c.conditional,
        high_value_count: c.high_value,
        high_value_share: percent(f64::from(c.high_value), datasets),
        regular_count: c.regular,
        stale_count: c.stale,
        undated_count: c.undated,
        timely_share: percent(
            f64::from(c.regular - c.stale - c.undated),
            f64::from(c.regular),
        ),
        metadata_completeness: percent(c.completeness, datasets),
        timed_steps: timed.len() as u32,
        on_time_steps: on_time,
        on_time_share: percent(f64::from(on_time), timed.len() as f64),
        rating_count: ratings.len() as u32,
        rating_mean: rating_mean.map(|m| (m * 100.0).round() / 100.0),
        rating_score: rating_mean.map(|m| one_decimal(m / 5.0 * 100.0)),
        total_score: None,
        score_rank: None,
    };
    if c.datasets > 0 {
        card.total_score = total_score(&card);
    }
    card
}

/// The weighted mean of the components a scorecard has, one decimal.
fn total_score(card: &Scorecard) -> Option<f64> {
    let values = [
        card.metadata_completeness,
        card.timely_share,
        card.high_value_share,
        card.on_time_share,
        card.rating_score,
    ];
    let (sum, weights) = values
        .iter()
        .zip(WEIGHTS)
        .filter_map(|(value, (_, weight))| value.map(|v| (v * weight, weight)))
        .fold((0.0, 0.0), |(s, w), (v, weight)| (s + v, w + weight));
    (weights > 0.0).then(|| one_decimal(sum / weights))
}

/// Orders scorecards best first (then by code) and numbers the scored ones; departments
/// without public datasets come last, unranked.
fn rank(cards: &mut [Scorecard]) {
    cards.sort_by(|a, b| {
        let score = |c: &Scorecard| c.total_score.unwrap_or(-1.0);
        score(b)
            .total_cmp(&score(a))
            .then_with(|| a.department_code.cmp(&b.department_code))
    });
    let ranks = competition_ranks(cards.iter().map(|c| c.total_score));
    for (card, rank) in cards.iter_mut().zip(ranks) {
        card.score_rank = rank;
    }
}

/// Ranks of scores sorted best first, equal scores sharing a rank (1, 1, 3); `None` stays
/// unranked.
fn competition_ranks(scores: impl Iterator<Item = Option<f64>>) -> Vec<Option<u32>> {
    let mut ranks = Vec::new();
    let mut previous: Option<(f64, u32)> = None;
    for (n, score) in scores.enumerate() {
        let rank = score.map(|score| match previous {
            Some((last, rank)) if last == score => rank,
            _ => n as u32 + 1,
        });
        if let (Some(score), Some(rank)) = (score, rank) {
            previous = Some((score, rank));
        }
        ranks.push(rank);
    }
    ranks
}

/// The regional ranking: the region-level departments as one group, every other department
/// under its prefecture; a group's score is the mean of its departments' scores weighted by
/// their datasets.
fn regions(site: &Site<'_>, cards: &[Scorecard]) -> Vec<RegionScore> {
    // code -> (weighted sum, datasets, departments)
    let mut groups: BTreeMap<(String, String), (f64, u32, u32)> = BTreeMap::new();
    for card in cards {
        let Some(score) = card.total_score else {
            continue;
        };
        let dept = &site.catalog.departments[&DeptCode(card.department_code.clone())];
        let group = groups
            .entry(region_group(site, &dept.region.0))
            .or_default();
        group.0 += score * f64::from(card.dataset_count);
        group.1 += card.dataset_count;
        group.2 += 1;
    }
    let mut regions: Vec<RegionScore> = groups
        .into_iter()
        .map(|((code, name), (sum, datasets, departments))| RegionScore {
            region_name: name,
            region_code: code,
            department_count: departments,
            dataset_count: datasets,
            total_score: one_decimal(sum / f64::from(datasets)),
            score_rank: 0,
        })
        .collect();
    regions.sort_by(|a, b| {
        b.total_score
            .total_cmp(&a.total_score)
            .then_with(|| a.region_code.cmp(&b.region_code))
    });
    let ranks = competition_ranks(regions.iter().map(|r| Some(r.total_score)));
    for (region, rank) in regions.iter_mut().zip(ranks) {
        region.score_rank = rank.unwrap_or_default();
    }
    regions
}

/// The group a department's region ranks in: its prefecture (the second level of the
/// division chain), or the region itself for the region's own departments. A code the
/// division list does not know stands for itself.
fn region_group(site: &Site<'_>, code: &str) -> (String, String) {
    let chain = site.divisions.ancestry(code);
    match chain.as_slice() {
        [] => (code.to_string(), code.to_string()),
        [region] => (region.code.clone(), format!("{}本级", region.name)),
        [_, prefecture, ..] => (prefecture.code.clone(), prefecture.name.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_components_leave_the_weights_of_the_others() {
        let mut card = Scorecard {
            department_code: "d".into(),
            department_name: String::new(),
            page_path: String::new(),
            level_name: "",
            region_name: String::new(),
            dataset_count: 2,
            unconditional_count: 2,
            conditional_count: 0,
            high_value_count: 1,
            high_value_share: Some(50.0),
            regular_count: 0,
            stale_count: 0,
            undated_count: 0,
            timely_share: None,
            metadata_completeness: Some(80.0),
            timed_steps: 0,
            on_time_steps: 0,
            on_time_share: None,
            rating_count: 0,
            rating_mean: None,
            rating_score: None,
            total_score: None,
            score_rank: None,
        };
        // (80 × 30 + 50 × 10) / 40
        assert_eq!(total_score(&card), Some(72.5));
        card.on_time_share = Some(100.0);
        // (2400 + 500 + 1500) / 55 = 80.0
        assert_eq!(total_score(&card), Some(80.0));
    }

    #[test]
    fn equal_scores_share_a_rank() {
        let ranks = competition_ranks([Some(90.0), Some(90.0), Some(80.0), None].into_iter());
        assert_eq!(ranks, [Some(1), Some(1), Some(3), None]);
    }
}
