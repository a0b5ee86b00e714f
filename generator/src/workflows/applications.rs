//! Applications for conditionally open data (第二十条), `content/applications/<year>/<id>.yaml`:
//! who applied (a kind, never a name), for what, how urgently, and when each step was done.
//! Each step's deadline is computed on the working-day calendar; overdue steps and refusals
//! without a reason are flagged, and `check` warns about steps due within a day.
//!
//! Deadlines (第二十条): normative review by the information centre 2 working days (加急 1,
//! 特急 12 working hours) from submission; the owner's review 5 (加急 2, 特急 1) working days
//! from the normative review; approval 2 working days from the owner's review; a quality
//! objection is raised within 2 working days of delivery and answered within 3.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_each, checked_time, load_kind, unknown_dataset};
use crate::calendar::WorkCalendar;
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, Text};
use crate::model::{
    ApplicantKind, Application, DatasetId, Decision, Delivery, DeptCode, OpenType, Stage, Step,
    Urgency,
};
use crate::validate::Checker;

/// The folder of application records under the content folder.
pub const FOLDER: &str = "applications";

/// Working days a user has to raise a quality objection after delivery.
pub const OBJECTION_WINDOW_DAYS: u32 = 2;

/// An application record as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "有条件开放申请 Conditional-open application")]
pub struct RawApplication {
    /// 数据集 The id of the 有条件开放 dataset applied for.
    #[schemars(with = "String")]
    pub dataset: Text,
    /// 申请主体 自然人, 法人 or 其他组织; never a name or contact.
    #[schemars(with = "ApplicantKind")]
    pub applicant: Text,
    /// 用途 What the data is for (not published).
    #[schemars(with = "String")]
    pub purpose: Text,
    /// 申请数据项 The data items requested.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fields: Vec<Text>,
    /// 紧急程度 普通, 加急 or 特急.
    #[schemars(with = "Urgency")]
    pub urgency: Text,
    /// 提交时间 When it was submitted (YYYY-MM-DD HH:MM).
    #[schemars(with = "String")]
    pub submitted: Text,
    /// 规范性审核 The information centre's review.
    pub normative_review: Option<RawStep>,
    /// 提供部门审核 The owning department's review.
    pub owner_review: Option<RawStep>,
    /// 审批 The big data development bureau's approval.
    pub approval: Option<RawStep>,
    /// 签署协议 When the usage agreement was signed.
    #[schemars(with = "Option<String>")]
    pub agreement_signed: Option<Text>,
    /// 交付 When and how the data was delivered.
    pub delivered: Option<RawDelivery>,
    /// 质量异议 A quality objection and its answer.
    pub objection: Option<RawObjection>,
    /// 评价 Ratings 1–5 on the six dimensions.
    pub rating: Option<RawRating>,
}

/// A review step as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// 完成时间 When it was done (YYYY-MM-DD HH:MM).
    #[schemars(with = "String")]
    pub done: Text,
    /// 结果 通过 or 不通过.
    #[schemars(with = "Decision")]
    pub result: Text,
    /// 理由 Why it was refused; a refusal must say (第二十条(三)).
    #[schemars(with = "Option<String>")]
    pub reason: Option<Text>,
}

/// The delivery as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    /// 时间 When (YYYY-MM-DD HH:MM).
    #[schemars(with = "String")]
    pub at: Text,
    /// 方式 下载 or 接口.
    #[schemars(with = "Delivery")]
    pub by: Text,
}

/// A quality objection as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawObjection {
    /// 提出时间 When the user raised it.
    #[schemars(with = "String")]
    pub raised: Text,
    /// 答复时间 When the owner answered it.
    #[schemars(with = "Option<String>")]
    pub answered: Option<Text>,
}

/// Ratings as written, 1–5 each.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRating {
    #[serde(rename = "规范性")]
    #[schemars(with = "u8", range(min = 1, max = 5))]
    pub normative: serde_saphyr::Spanned<i64>,
    #[serde(rename = "完整性")]
    #[schemars(with = "u8", range(min = 1, max = 5))]
    pub complete: serde_saphyr::Spanned<i64>,
    #[serde(rename = "准确性")]
    #[schemars(with = "u8", range(min = 1, max = 5))]
    pub accurate: serde_saphyr::Spanned<i64>,
    #[serde(rename = "一致性")]
    #[schemars(with = "u8", range(min = 1, max = 5))]
    pub consistent: serde_saphyr::Spanned<i64>,
    #[serde(rename = "时效性")]
    #[schemars(with = "u8", range(min = 1, max = 5))]
    pub timely: serde_saphyr::Spanned<i64>,
    #[serde(rename = "可用性")]
    #[schemars(with = "u8", range(min = 1, max = 5))]
    pub usable: serde_saphyr::Spanned<i64>,
}

/// What an application needs to know of the dataset it names.
pub struct DatasetFacts {
    /// Its department.
    pub department: DeptCode,
    /// Its open type.
    pub open_type: OpenType,
    /// The names of its data items.
    pub fields: Vec<String>,
}

/// Where the catalog is looked up from: the dataset of an id, whether an id belongs to a
/// rejected record, and every id (for suggestions).
pub struct Lookup<'a> {
    /// The facts of an accepted dataset.
    pub dataset: &'a dyn Fn(&str) -> Option<DatasetFacts>,
    /// Whether a rejected record claims the id.
    pub rejected: &'a dyn Fn(&str) -> bool,
    /// Every dataset id.
    pub ids: &'a dyn Fn() -> Vec<&'a str>,
}

/// Reads and checks `content/applications/`. `today`, when known, is when `check` looks
/// for steps overdue or due within a day.
pub fn load(
    content: &Path,
    limits: &Limits,
    calendar: &WorkCalendar,
    today: Option<NaiveDate>,
    lookup: &Lookup<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Application> {
    let (loaded, _) = load_kind::<RawApplication>(content, FOLDER, limits, diagnostics);
    check_each(&loaded, today, diagnostics, |check, id, record| {
        let application = application(check, id, record, calendar, lookup);
        if let (Some(application), Some(today)) = (&application, today) {
            warn_when_due(check, application, today);
        }
        application
    })
}

/// The deadline of `stage` begun at `start` for an application of `urgency`.
pub fn deadline(
    calendar: &WorkCalendar,
    stage: Stage,
    urgency: Urgency,
    start: NaiveDateTime,
) -> Result<NaiveDateTime, crate::calendar::CalendarError> {
    let days = |n| calendar.working_days_deadline(start, n);
    match (stage, urgency) {
        (Stage::NormativeReview, Urgency::Normal) => days(2),
        (Stage::NormativeReview, Urgency::Urgent) => days(1),
        (Stage::NormativeReview, Urgency::Critical) => calendar.working_hours_deadline(start, 12),
        (Stage::OwnerReview, Urgency::Normal) => days(5),
        (Stage::OwnerReview, Urgency::Urgent) => days(2),
        (Stage::OwnerReview, Urgency::Critical) => days(1),
        (Stage::Approval, _) => days(2),
        (Stage::ObjectionAnswer, _) => days(3),
    }
}

fn application(
    check: &mut Checker<'_>,
    id: &str,
    record: &Loaded<RawApplication>,
    calendar: &WorkCalendar,
    lookup: &Lookup<'_>,
) -> Option<Application> {
    let raw = &record.value;
    let dataset_id = raw.dataset.value.trim();
    let facts = (lookup.dataset)(dataset_id);
    match &facts {
        Some(facts) if facts.open_type == OpenType::NotOpen => check.error(
            "not-open",
            &raw.dataset,
            format!("dataset `{dataset_id}` is 不予开放: no application can be made for it"),
            "不予开放",
            "applications are for 有条件开放 datasets (第二十条); 不予开放 data is not opened at all (第十九条)".into(),
        ),
        Some(facts) if facts.open_type != OpenType::Conditional => check.warn(
            "not-conditional",
            format!(
                "dataset `{dataset_id}` is {}, not 有条件开放; the application is counted anyway",
                crate::model::Vocabulary::label(facts.open_type)
            ),
            "applications are for 有条件开放 datasets (第二十条)".into(),
        ),
        Some(facts) => {
            for field in &raw.fields {
                let name = field.value.trim();
                if !facts.fields.is_empty() && !facts.fields.iter().any(|f| f == name) {
                    check.warn(
                        "unknown-field",
                        format!("`{name}` is not a data item of dataset `{dataset_id}`"),
                        format!(
                            "request data items the dataset lists: {}",
                            facts.fields.join("、")
                        ),
                    );
                }
            }
        }
        None if (lookup.rejected)(dataset_id) => check.warn(
            "dataset-rejected",
            format!("dataset `{dataset_id}` is rejected by validation; this application is not counted until it is fixed"),
            "fix the dataset's record".into(),
        ),
        None => unknown_dataset(check, &raw.dataset, (lookup.ids)()),
    }
    check.not_empty("purpose", &raw.purpose, "application");
    let applicant = check.vocabulary::<ApplicantKind>("applicant", &raw.applicant);
    let urgency = check.vocabulary::<Urgency>("urgency", &raw.urgency);
    let submitted = checked_time(check, "submitted", &raw.submitted);
    let (Some(urgency), Some(submitted)) = (urgency, submitted) else {
        return None;
    };

    let mut steps: Vec<Step> = Vec::new();
    let mut at = submitted;
    let mut refused = false;
    let mut open = false;
    let reviews = [
        (
            Stage::NormativeReview,
            "normative_review",
            &raw.normative_review,
        ),
        (Stage::OwnerReview, "owner_review", &raw.owner_review),
        (Stage::Approval, "approval", &raw.approval),
    ];
    let deadline_of = |check: &mut Checker<'_>, stage: Stage, start: NaiveDateTime| {
        deadline(calendar, stage, urgency, start)
            .map_err(|err| {
                check.warn(
                    "calendar-unpublished",
                    format!("cannot compute the deadline of {}: {err}", stage.describe()),
                    "add the year's holiday arrangement to data/holidays/ once it is published"
                        .into(),
                );
            })
            .ok()
    };
    for (stage, key, raw_step) in reviews {
        match raw_step {
            None if refused || open => {}
            None => {
                open = true;
                let deadline = deadline_of(check, stage, at);
                steps.push(Step {
                    stage,
                    started: at,
                    deadline,
                    done: None,
                    decision: None,
                    reason_given: false,
                });
            }
            Some(step) if refused || open => {
                let why = if refused {
                    "comes after a refusal"
                } else {
                    "comes before the step ahead of it was done"
                };
                check.error(
                    "step-order",
                    &step.done,
                    format!("`{key}` {why}"),
                    "out of order",
                    "an application is reviewed by the information centre, then the department, then approved; remove the later step or add the earlier one".into(),
                );
            }
            Some(step) => {
                let done = checked_time(check, &format!("{key}.done"), &step.done);
                let decision = check.vocabulary::<Decision>("result", &step.result);
                let reason_given = step
                    .reason
                    .as_ref()
                    .is_some_and(|r| !r.value.trim().is_empty());
                if decision == Some(Decision::Refused) && !reason_given {
                    check.warn(
                        "refused-without-reason",
                        format!("`{key}` refused the application without a reason (第二十条(三))"),
                        "a refusal must tell the applicant why: add `reason:`".into(),
                    );
                }
                let done = done?;
                if done < at {
                    check.error(
                        "date-order",
                        &step.done,
                        format!("`{key}` is done at {done}, before the step it follows ({at})"),
                        "too early",
                        "check the date and time".into(),
                    );
                }
                let deadline = deadline_of(check, stage, at);
                steps.push(Step {
                    stage,
                    started: at,
                    deadline,
                    done: Some(done),
                    decision,
                    reason_given,
                });
                refused = decision == Some(Decision::Refused);
                at = done;
            }
        }
    }
    let approved = !refused && !open;
    let mut later =
        |key: &str, value: Option<&Text>, after: NaiveDateTime| -> Option<NaiveDateTime> {
            let value = value?;
            if !approved {
                check.error(
                    "step-order",
                    value,
                    format!("`{key}` is given but the application was not approved"),
                    "not approved",
                    "record the review steps and the approval first".into(),
                );
                return None;
            }
            let t = checked_time(check, key, value)?;
            if t < after {
                check.error(
                    "date-order",
                    value,
                    format!("`{key}` {t} comes before the step it follows ({after})"),
                    "too early",
                    "check the date and time".into(),
                );
            }
            Some(t)
        };
    let agreement = later("agreement_signed", raw.agreement_signed.as_ref(), at);
    let delivered_at = match (&raw.delivered, agreement) {
        (Some(delivery), None) if approved => {
            check.error(
                "step-order",
                &delivery.at,
                "data was delivered without a signed agreement".into(),
                "no agreement",
                "record `agreement_signed` first: data is delivered once the usage agreement is signed".into(),
            );
            None
        }
        (Some(delivery), _) => later("delivered.at", Some(&delivery.at), agreement.unwrap_or(at)),
        (None, _) => None,
    };
    let delivery = match (&raw.delivered, delivered_at) {
        (Some(d), Some(at)) => check.vocabulary::<Delivery>("by", &d.by).map(|by| (at, by)),
        _ => None,
    };
    if let Some(objection) = &raw.objection {
        match delivered_at {
            None => check.error(
                "step-order",
                &objection.raised,
                "a quality objection is recorded but no delivery".into(),
                "nothing delivered",
                "record `delivered` first".into(),
            ),
            Some(delivered) => {
                if let Some(raised) = checked_time(check, "objection.raised", &objection.raised) {
                    if raised < delivered {
                        check.error(
                            "date-order",
                            &objection.raised,
                            format!(
                                "the objection ({raised}) comes before the delivery ({delivered})"
                            ),
                            "too early",
                            "check the date and time".into(),
                        );
                    } else if calendar
                        .working_days_deadline(delivered, OBJECTION_WINDOW_DAYS)
                        .is_ok_and(|window| raised > window)
                    {
                        check.warn(
                            "objection-late",
                            format!("the objection was raised {raised}, after the {OBJECTION_WINDOW_DAYS} working days after delivery that 第二十条 allows"),
                            "it is still answered and counted".into(),
                        );
                    }
                    let answered = objection
                        .answered
                        .as_ref()
                        .and_then(|a| checked_time(check, "objection.answered", a));
                    if let (Some(answered), Some(text)) = (answered, &objection.answered)
                        && answered < raised
                    {
                        check.error(
                            "date-order",
                            text,
                            format!(
                                "the answer ({answered}) comes before the objection ({raised})"
                            ),
                            "too early",
                            "check the date and time".into(),
                        );
                    }
                    let deadline = deadline_of(check, Stage::ObjectionAnswer, raised);
                    steps.push(Step {
                        stage: Stage::ObjectionAnswer,
                        started: raised,
                        deadline,
                        done: answered,
                        decision: None,
                        reason_given: false,
                    });
                }
            }
        }
    }
    let rating = raw.rating.as_ref().and_then(|r| {
        if delivered_at.is_none() {
            check.error(
                "step-order",
                &r.normative,
                "a rating is recorded but no delivery".into(),
                "nothing delivered",
                "users rate data they received; record `delivered` first".into(),
            );
            return None;
        }
        let values = [
            &r.normative,
            &r.complete,
            &r.accurate,
            &r.consistent,
            &r.timely,
            &r.usable,
        ];
        let mut rating = [0u8; 6];
        for (slot, (value, name)) in rating
            .iter_mut()
            .zip(values.iter().zip(crate::model::RATING_DIMENSIONS))
        {
            match u8::try_from(value.value) {
                Ok(v @ 1..=5) => *slot = v,
                _ => {
                    check.error(
                        "bad-rating",
                        value,
                        format!("{name} is rated {}, not 1 to 5", value.value),
                        "1 to 5",
                        "rate each dimension with a whole number from 1 (poor) to 5 (good)".into(),
                    );
                    return None;
                }
            }
        }
        Some(rating)
    });
    Some(Application {
        id: id.to_string(),
        record_path: record.rel.clone(),
        dataset: DatasetId(dataset_id.to_string()),
        department: facts?.department,
        applicant: applicant?,
        urgency,
        submitted,
        steps,
        agreement,
        delivered: delivery,
        rating,
    })
}

/// `check`'s reminders: a step still open whose deadline has passed, or falls within a day.
/// `latest` is the latest date a record may carry, which the command line sets to tomorrow in
/// China: the current day is the one before it.
fn warn_when_due(check: &mut Checker<'_>, application: &Application, latest: NaiveDate) {
    let today = latest - chrono::Days::new(1);
    let start_of_today = today.and_time(chrono::NaiveTime::MIN);
    for step in application.steps.iter().filter(|s| s.done.is_none()) {
        let Some(deadline) = step.deadline else {
            continue;
        };
        if deadline < start_of_today {
            check.warn(
                "application-overdue",
                format!(
                    "{} was due by {deadline} and is not done",
                    step.stage.describe()
                ),
                "finish the step and record its time; overdue steps are counted on the public statistics".into(),
            );
        } else if deadline.date() <= today + chrono::Days::new(1) {
            check.warn(
                "application-due",
                format!("{} is due by {deadline}", step.stage.describe()),
                "finish the step before its deadline (第二十条)".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::parse_time;

    fn at(text: &str) -> NaiveDateTime {
        parse_time(text).unwrap()
    }

    /// Loads one record against a catalog holding the conditional dataset `freight` (data
    /// items 企业名称, 车辆数) and the unconditional `stops`; `latest` as the command line gives it.
    fn load_one(text: &str, latest: &str) -> (Vec<Application>, Vec<Diagnostic>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(FOLDER).join("2025")).unwrap();
        std::fs::write(dir.path().join(FOLDER).join("2025/a-1.yaml"), text).unwrap();
        let dataset = |id: &str| {
            let open_type = match id {
                "freight" => OpenType::Conditional,
                "stops" => OpenType::Unconditional,
                "roster" => OpenType::NotOpen,
                _ => return None,
            };
            Some(DatasetFacts {
                department: DeptCode("nn-transport".into()),
                open_type,
                fields: vec!["企业名称".into(), "车辆数".into()],
            })
        };
        let rejected = |id: &str| id == "broken";
        let ids = || vec!["freight", "stops"];
        let mut found = Vec::new();
        let apps = load(
            dir.path(),
            &Limits::default(),
            WorkCalendar::official(),
            NaiveDate::parse_from_str(latest, "%Y-%m-%d").ok(),
            &Lookup {
                dataset: &dataset,
                rejected: &rejected,
                ids: &ids,
            },
            &mut found,
        );
        (apps, found)
    }

    const FULL: &str = "dataset: freight\napplicant: 法人\npurpose: 物流研究\nfields: [企业名称]\nurgency: 普通\nsubmitted: 2025-09-29 10:00\nnormative_review: { done: 2025-09-30 16:00, result: 通过 }\nowner_review: { done: 2025-10-13 10:00, result: 通过 }\napproval: { done: 2025-10-14 11:00, result: 通过 }\nagreement_signed: 2025-10-15 10:00\ndelivered: { at: 2025-10-16 15:00, by: 接口 }\nobjection: { raised: 2025-10-17 09:00, answered: 2025-10-22 17:00 }\nrating: { 规范性: 5, 完整性: 4, 准确性: 4, 一致性: 5, 时效性: 3, 可用性: 4 }\n";

    #[test]
    fn a_full_application_has_every_step_and_its_deadline() {
        let (apps, found) = load_one(FULL, "2025-12-01");
        assert!(found.is_empty(), "{found:?}");
        let app = &apps[0];
        assert_eq!(app.approved(), Some(true));
        assert_eq!(app.rating, Some([5, 4, 4, 5, 3, 4]));
        let steps: Vec<(Stage, NaiveDateTime, bool)> = app
            .steps
            .iter()
            .map(|s| {
                (
                    s.stage,
                    s.deadline.unwrap(),
                    s.overdue(at("2025-12-01 00:00")),
                )
            })
            .collect();
        assert_eq!(
            steps,
            vec![
                (Stage::NormativeReview, at("2025-10-09 23:59:59"), false),
                // From 09-30 16:00: 10-09, 10-10, 10-11 (make-up Saturday), 10-13, 10-14.
                (Stage::OwnerReview, at("2025-10-14 23:59:59"), false),
                (Stage::Approval, at("2025-10-15 23:59:59"), false),
                // Three working days from Friday 10-17: 10-20, 10-21, 10-22.
                (Stage::ObjectionAnswer, at("2025-10-22 23:59:59"), false),
            ]
        );
    }

    #[test]
    fn refusals_without_reason_and_open_steps_are_flagged() {
        let refused = "dataset: freight\napplicant: 自然人\npurpose: 论文\nurgency: 特急\nsubmitted: 2025-09-30 20:00\nnormative_review: { done: 2025-10-09 10:00, result: 不通过 }\n";
        let (apps, found) = load_one(refused, "2025-12-01");
        assert_eq!(apps[0].approved(), Some(false));
        // 12 working hours from the evening before National Day end at 08:00 after it.
        assert!(apps[0].steps[0].overdue(at("2025-12-01 00:00")));
        let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["refused-without-reason"]);

        // Waiting for the owner: due the next day, then overdue.
        let open = "dataset: freight\napplicant: 法人\npurpose: 研究\nurgency: 加急\nsubmitted: 2025-10-13 09:00\nnormative_review: { done: 2025-10-14 09:00, result: 通过 }\n";
        // The command line gives tomorrow; the day is 10-15, the owner's deadline 10-16.
        let (_, found) = load_one(open, "2025-10-16");
        assert_eq!(
            found.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["application-due"]
        );
        assert!(
            found[0].message.contains("2025-10-16 23:59:59"),
            "{}",
            found[0].message
        );
        let (_, found) = load_one(open, "2025-10-20");
        assert_eq!(
            found.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["application-overdue"]
        );
        let (_, found) = load_one(open, "2025-10-14");
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn wrong_records_are_errors_at_their_place() {
        let cases = [
            ("dataset: fright\n", "unknown-dataset", 1),
            ("urgency: 很急\n", "not-in-list", 6),
            (
                "normative_review: { done: 2025-09-30 16:00, result: 不通过, reason: 用途不明 }\nowner_review: { done: 2025-10-13 10:00, result: 通过 }\n",
                "step-order",
                8,
            ),
            (
                "owner_review: { done: 2025-10-13 10:00, result: 通过 }\n",
                "step-order",
                7,
            ),
            (
                "normative_review: { done: 2025-09-28 16:00, result: 通过 }\n",
                "date-order",
                7,
            ),
            ("submitted: 2025-09-29\n", "bad-time", 5),
            ("applicant_name: 张三\n", "unknown-key", 7),
            ("dataset: roster\n", "not-open", 1),
        ];
        let base = "dataset: freight\napplicant: 法人\npurpose: 研究\nfields: [企业名称]\nsubmitted: 2025-09-29 10:00\nurgency: 普通\n";
        for (change, code, line) in cases {
            let key = change.split(':').next().unwrap();
            let mut text: String = base
                .lines()
                .map(|l| {
                    if l.starts_with(&format!("{key}:")) {
                        change.trim_end().to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            text.push('\n');
            if !text.contains(change.trim_end()) {
                text.push_str(change);
            }
            let (apps, found) = load_one(&text, "2025-12-01");
            let error = found
                .iter()
                .find(|d| d.is_error())
                .unwrap_or_else(|| panic!("no error for {change}: {found:?}"));
            assert_eq!(
                (error.code, error.location.as_ref().map_or(1, |l| l.line)),
                (code, line),
                "{change}"
            );
            assert!(apps.is_empty(), "{change}");
        }
        // Ratings after delivery only, 1 to 5.
        let (apps, found) = load_one(&FULL.replace("时效性: 3", "时效性: 6"), "2025-12-01");
        assert!(apps.is_empty());
        assert!(
            found
                .iter()
                .any(|d| d.code == "bad-rating" && d.location.as_ref().unwrap().line == 13)
        );
        // Asking for a data item the dataset does not list, or a dataset that is not
        // conditional, is a warning.
        let (apps, found) = load_one(
            &FULL
                .replace("[企业名称]", "[车主电话]")
                .replace("freight", "stops"),
            "2025-12-01",
        );
        assert_eq!(apps.len(), 1);
        assert_eq!(
            found.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["not-conditional"]
        );
    }

    #[test]
    fn deadlines_follow_the_urgency_and_skip_holidays() {
        let calendar = WorkCalendar::official();
        // Submitted Monday 2025-09-29 10:00, just before the National Day block
        // (10-01 to 10-08 off; Saturday 10-11 a make-up working day).
        let submitted = at("2025-09-29 10:00");
        let d = |stage, urgency| deadline(calendar, stage, urgency, submitted).unwrap();
        assert_eq!(
            d(Stage::NormativeReview, Urgency::Normal),
            at("2025-10-09 23:59:59")
        );
        assert_eq!(
            d(Stage::NormativeReview, Urgency::Urgent),
            at("2025-09-30 23:59:59")
        );
        // 12 working hours: the 14 hours left of Monday cover them.
        assert_eq!(
            d(Stage::NormativeReview, Urgency::Critical),
            at("2025-09-29 22:00")
        );
        // Five working days: 09-30, 10-09, 10-10, 10-11 (make-up Saturday), 10-13.
        assert_eq!(
            d(Stage::OwnerReview, Urgency::Normal),
            at("2025-10-13 23:59:59")
        );
        // 12 working hours from the evening before the block run into the day after it.
        let evening = at("2025-09-30 20:00");
        assert_eq!(
            deadline(calendar, Stage::NormativeReview, Urgency::Critical, evening).unwrap(),
            at("2025-10-09 08:00")
        );
        // Spring Festival 2026 (02-15 to 02-23 off; 02-14 and 02-28 make-up Saturdays).
        let before = at("2026-02-13 16:00");
        assert_eq!(
            deadline(calendar, Stage::Approval, Urgency::Normal, before).unwrap(),
            at("2026-02-24 23:59:59")
        );
    }
}
