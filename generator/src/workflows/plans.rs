//! Annual opening plans (第十八条), `content/plans/<year>/<department>.yaml`: the datasets a
//! department means to open in a year. The portal shows planned against delivered: a planned
//! id that is now a public dataset counts as delivered.

use std::path::Path;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{RecordKey, check_each, load_records};
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, Text};
use crate::model::{DatasetId, DeptCode, Plan, PlannedDataset};
use crate::policy::Unnameable;
use crate::validate::Checker;

/// The folder of plan records under the content folder.
pub const FOLDER: &str = "plans";

/// A plan record as written: the file is named after the department, in a folder named
/// after the year.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "年度开放计划 Annual opening plan")]
pub struct RawPlan {
    /// 计划开放的数据集 The datasets planned.
    pub datasets: Vec<RawPlannedDataset>,
}

/// One planned dataset as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlannedDataset {
    /// 数据集 id The id it will be published under.
    #[schemars(with = "String")]
    pub id: Text,
    /// 名称 Its title.
    #[schemars(with = "String")]
    pub title: Text,
    /// 计划完成日期 The date promised (YYYY-MM-DD), within the plan's year.
    #[schemars(with = "Option<String>")]
    pub due: Option<Text>,
}

/// Reads and checks `content/plans/`, by year then department. `department` says whether a
/// department code exists; `departments` lists the codes for suggestions.
pub fn load<'a>(
    content: &Path,
    limits: &Limits,
    department: &dyn Fn(&str) -> bool,
    departments: &dyn Fn() -> Vec<&'a str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Plan> {
    let (loaded, _) =
        load_records::<RawPlan>(content, FOLDER, RecordKey::Path, limits, diagnostics);
    // Plans are not checked against today: a plan is written ahead.
    let mut plans = check_each(&loaded, None, diagnostics, |check, id, record| {
        plan(check, id, record, department, departments)
    });
    plans.sort_by(|a, b| (b.year, &a.department).cmp(&(a.year, &b.department)));
    plans
}

fn plan<'a>(
    check: &mut Checker<'_>,
    id: &str,
    record: &Loaded<RawPlan>,
    known: &dyn Fn(&str) -> bool,
    departments: &dyn Fn() -> Vec<&'a str>,
) -> Option<Plan> {
    let (year, code) = match id.split_once('/') {
        // The folder is the year as written, four digits (not `02024`).
        Some((year, code)) if !code.contains('/') => (
            year.parse::<i32>().ok().filter(|y| y.to_string() == year),
            code,
        ),
        _ => (None, id),
    };
    let Some(year) = year.filter(|y| (2000..=2100).contains(y)) else {
        check.found.push(
            Diagnostic::error(
                "plan-place",
                &record.rel,
                format!("`{id}` is not `<year>/<department>`"),
            )
            .help("put the plan at content/plans/<year>/<department-code>.yaml, e.g. plans/2025/nn-jtysj.yaml"),
        );
        return None;
    };
    if !known(code) {
        let help = match crate::diagnostics::nearest(code, departments()) {
            Some(near) => format!("did you mean `{near}`? name the file after a department code"),
            None => "name the file after a department code of content/departments/".into(),
        };
        check.found.push(
            Diagnostic::error(
                "unknown-department",
                &record.rel,
                format!("no department has the code `{code}`"),
            )
            .help(help),
        );
    }
    if record.value.datasets.is_empty() {
        check.found.push(
            Diagnostic::warning("empty-plan", &record.rel, "the plan lists no dataset")
                .help("list the datasets the department plans to open under `datasets:`"),
        );
    }
    let mut items: Vec<PlannedDataset> = Vec::new();
    for raw in &record.value.datasets {
        let dataset = raw.id.value.trim();
        if !crate::model::is_slug(dataset) {
            check.error(
                "bad-id",
                &raw.id,
                format!("`{dataset}` is not a valid dataset id"),
                "not an id",
                "use the id the dataset will be published under: lowercase letters, digits and hyphens".into(),
            );
        } else if items.iter().any(|i| i.id.0 == dataset) {
            check.error(
                "duplicate-id",
                &raw.id,
                format!("`{dataset}` is planned twice"),
                "already in this plan",
                "list each dataset once".into(),
            );
        }
        check.not_empty("title", &raw.title, "planned dataset");
        let due = parse_due(check, raw.due.as_ref(), year);
        items.push(PlannedDataset {
            id: DatasetId(dataset.to_string()),
            title: raw.title.value.trim().to_string(),
            due,
        });
    }
    Some(Plan {
        year,
        department: DeptCode(code.to_string()),
        record_path: record.rel.clone(),
        items,
    })
}

/// The due date of a planned dataset, which must fall in the plan's year.
fn parse_due(check: &mut Checker<'_>, value: Option<&Text>, year: i32) -> Option<NaiveDate> {
    let value = value?;
    let due = check.date("due", &Some(value.clone()))?;
    if chrono::Datelike::year(&due) != year {
        check.error(
            "due-outside-year",
            value,
            format!("{due} is not in {year}, the plan's year"),
            "outside the plan's year",
            format!(
                "move the dataset to the plan of {}, or correct the date",
                chrono::Datelike::year(&due)
            ),
        );
    }
    Some(due)
}

/// The plans the public may see: a planned dataset whose id or title is that of a withheld
/// dataset is left out of the public plan, with a warning to the operator.
pub fn public_only(
    mut plans: Vec<Plan>,
    unnameable: &Unnameable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Plan> {
    for plan in &mut plans {
        plan.items.retain(|item| {
            let hidden = unnameable.is_withheld_id(&item.id.0)
                || unnameable.named_in(&[&item.title]).is_some();
            if hidden {
                diagnostics.push(
                    Diagnostic::warning(
                        "plan-names-withheld",
                        &plan.record_path,
                        format!(
                            "`{}` is a dataset that is not published; the public plan leaves it out",
                            item.id
                        ),
                    )
                    .help("it shows once the dataset is public"),
                );
            }
            !hidden
        });
    }
    plans
}
