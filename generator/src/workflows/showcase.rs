//! The showcase of applications built on open data (第二十五条), `content/apps/<id>.yaml`:
//! each names the datasets it uses; the showcase page lists them all, and each dataset page
//! lists the applications that use it.

use std::path::Path;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_each, load_kind, unknown_dataset};
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, Text};
use crate::model::{DatasetId, ShowcaseApp};
use crate::policy::{PublicCatalog, Unnameable};
use crate::validate::Checker;

/// The folder of showcase records under the content folder.
pub const FOLDER: &str = "apps";

/// A showcase record as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "应用案例 Showcase application")]
pub struct RawShowcaseApp {
    /// 应用名称 The application's name.
    #[schemars(with = "String")]
    pub title: Text,
    /// 开发单位 The organisation that built it (not a person's name).
    #[schemars(with = "String")]
    pub developer: Text,
    /// 简介 What it does and for whom, Markdown.
    #[schemars(with = "String")]
    pub summary: Text,
    /// 访问地址 Where to use it (http or https).
    #[schemars(with = "Option<String>")]
    pub url: Option<Text>,
    /// 收录日期 When it joined the showcase (YYYY-MM-DD).
    #[schemars(with = "String")]
    pub published: Text,
    /// 使用的数据集 Ids of the datasets it uses.
    #[schemars(with = "Vec<String>")]
    pub datasets: Vec<Text>,
}

/// Reads and checks `content/apps/`, newest first. `known` says whether a dataset id exists
/// (public or not: the policy decides later what may be named); `ids` lists the ids for
/// suggestions.
pub fn load<'a>(
    content: &Path,
    limits: &Limits,
    today: Option<NaiveDate>,
    known: &dyn Fn(&str) -> bool,
    ids: &dyn Fn() -> Vec<&'a str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ShowcaseApp> {
    let (loaded, _) = load_kind::<RawShowcaseApp>(content, FOLDER, limits, diagnostics);
    let mut apps = check_each(&loaded, today, diagnostics, |check, id, record| {
        app(check, id, record, known, ids)
    });
    apps.sort_by(|a, b| (b.published, &a.id).cmp(&(a.published, &b.id)));
    apps
}

fn app<'a>(
    check: &mut Checker<'_>,
    id: &str,
    record: &Loaded<RawShowcaseApp>,
    known: &dyn Fn(&str) -> bool,
    ids: &dyn Fn() -> Vec<&'a str>,
) -> Option<ShowcaseApp> {
    let raw = &record.value;
    for (key, value) in [
        ("title", &raw.title),
        ("developer", &raw.developer),
        ("summary", &raw.summary),
    ] {
        check.not_empty(key, value, "application");
    }
    if let Some(url) = &raw.url
        && !crate::validate::is_http_url(&url.value)
    {
        check.error(
            "bad-url",
            url,
            format!("`{}` is not a web address", url.value.trim()),
            "expected http:// or https://",
            "give the full address where the public can use the application".into(),
        );
    }
    let published = check.date("published", &Some(raw.published.clone()));
    if raw.datasets.is_empty() {
        check.error(
            "no-datasets",
            &raw.title,
            "the application names no dataset".into(),
            "which open data does it use?",
            "list the ids of the datasets it uses under `datasets:`".into(),
        );
    }
    let mut datasets = Vec::new();
    for value in &raw.datasets {
        let dataset = value.value.trim();
        if !known(dataset) {
            unknown_dataset(check, value, ids());
        } else if !datasets.iter().any(|d: &DatasetId| d.0 == dataset) {
            datasets.push(DatasetId(dataset.to_string()));
        }
    }
    Some(ShowcaseApp {
        id: id.to_string(),
        record_path: record.rel.clone(),
        title: raw.title.value.trim().to_string(),
        developer: raw.developer.value.trim().to_string(),
        summary: raw.summary.value.clone(),
        url: raw.url.as_ref().map(|u| u.value.trim().to_string()),
        published: published?,
        datasets,
    })
}

/// Keeps only the public datasets of each application (a warning names the others to the
/// operator, never to the public); an application whose own text names a withheld dataset
/// is left out with an error, as the audit would refuse the showcase page.
pub fn public_only(
    apps: Vec<ShowcaseApp>,
    catalog: &PublicCatalog,
    unnameable: &Unnameable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ShowcaseApp> {
    apps.into_iter()
        .filter_map(|mut app| {
            let url = app.url.as_deref().unwrap_or_default();
            if let Some(named) =
                unnameable.named_in(&[&app.title, &app.summary, &app.developer, url])
            {
                diagnostics.push(
                    Diagnostic::error(
                        "app-names-withheld",
                        &app.record_path,
                        format!(
                            "the application's text names a dataset that is not published (`{named}`); it is left out of the showcase"
                        ),
                    )
                    .help("describe the application without naming unpublished data"),
                );
                return None;
            }
            let (kept, hidden): (Vec<DatasetId>, Vec<DatasetId>) =
                app.datasets.into_iter().partition(|d| catalog.position(&d.0).is_some());
            for dataset in hidden {
                diagnostics.push(
                    Diagnostic::warning(
                        "app-uses-unpublished",
                        &app.record_path,
                        format!(
                            "`{dataset}` is not published; the showcase does not name it"
                        ),
                    )
                    .help("the application is shown with its public datasets only"),
                );
            }
            app.datasets = kept;
            Some(app)
        })
        .collect()
}
