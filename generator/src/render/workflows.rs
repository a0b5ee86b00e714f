//! Views of the workflow records the public sees: the maintenance banner and notices page
//! (第十三条), the takedown notice (第二十二条), the showcase (第二十五条), the demands for
//! data (第十五条) and the annual plans (第十八条).

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

use super::Site;
use super::views::Link;
use crate::metadata::atom::china_timestamp;
use crate::model::{Demand, Notice, ShowcaseApp, Vocabulary};
use crate::policy::AnnouncedTakedown;

/// The site path of the notices page.
pub(super) const NOTICES_PAGE: &str = "notices/index.html";
/// The site path of the takedown notice.
pub(super) const TAKEDOWNS_PAGE: &str = "takedowns/index.html";
/// The site path of the showcase.
pub(super) const SHOWCASE_PAGE: &str = "apps/index.html";
/// The site path of the annual plans.
pub(super) const PLANS_PAGE: &str = "plans/index.html";
/// The site path of the list of demands.
pub(super) const DEMANDS_PAGE: &str = "demands/index.html";

/// The site path of one demand's page.
pub(super) fn demand_page(demand: &Demand) -> String {
    format!("demands/{}/index.html", demand.id)
}

/// A date and time as the portal prints it: `2026年12月5日 22:00`.
pub(super) fn chinese_time(time: NaiveDateTime) -> String {
    format!(
        "{} {:02}:{:02}",
        chinese_date(time.date()),
        time.hour(),
        time.minute()
    )
}

/// A date as the portal prints it: `2026年12月5日`.
pub(super) fn chinese_date(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// A notice in the banner every page shows while it is current or upcoming.
#[derive(Debug, Serialize)]
pub(super) struct Banner {
    id: String,
    title: String,
    window: String,
    /// When the window ends, RFC 3339: the page's script hides the banner after it.
    end: String,
}

/// The banners of the notices whose window has not ended by `today`.
pub(super) fn banners(notices: &[Notice], today: NaiveDate) -> Vec<Banner> {
    notices
        .iter()
        .filter(|n| n.end.date() >= today)
        .map(|n| Banner {
            id: n.id.clone(),
            title: n.title.clone(),
            window: window(n),
            end: china_timestamp(n.end),
        })
        .collect()
}

fn window(notice: &Notice) -> String {
    let end = if notice.end.date() == notice.start.date() {
        format!("{:02}:{:02}", notice.end.hour(), notice.end.minute())
    } else {
        chinese_time(notice.end)
    };
    format!("{} 至 {end}", chinese_time(notice.start))
}

/// A notice on the notices page.
#[derive(Debug, Serialize)]
pub(super) struct NoticeView<'a> {
    id: &'a str,
    title: &'a str,
    window: String,
    published: String,
    published_iso: String,
    text: &'a str,
    /// Whether its window ended before the build date.
    past: bool,
}

/// The notices page's entries, newest window first.
pub(super) fn notice_views(notices: &[Notice], today: NaiveDate) -> Vec<NoticeView<'_>> {
    notices
        .iter()
        .map(|n| NoticeView {
            id: &n.id,
            title: &n.title,
            window: window(n),
            published: chinese_time(n.published),
            published_iso: china_timestamp(n.published),
            text: &n.text,
            past: n.end.date() < today,
        })
        .collect()
}

/// A row of the takedown notice: what the public may know, and nothing of the complainant.
#[derive(Debug, Serialize)]
pub(super) struct TakedownRow<'a> {
    id: &'a str,
    dataset: &'a str,
    title: &'a str,
    /// Whether the dataset's page exists (it was restored or reopened).
    published: bool,
    grounds: &'static str,
    state: &'static str,
    state_slug: &'static str,
    received: String,
    /// Each step and its date, in order.
    steps: Vec<(&'static str, String)>,
}

/// The rows of the takedown notice, latest change first.
pub(super) fn takedown_rows(takedowns: &[AnnouncedTakedown]) -> Vec<TakedownRow<'_>> {
    takedowns
        .iter()
        .map(|a| {
            let t = &a.takedown;
            TakedownRow {
                id: &t.id,
                dataset: &t.dataset.0,
                title: &a.title,
                published: a.published,
                grounds: t.grounds.label(),
                state: t.state.describe(),
                state_slug: t.state.slug(),
                received: chinese_date(t.received),
                steps: t
                    .history
                    .iter()
                    .map(|(state, date)| (state.describe(), chinese_date(*date)))
                    .collect(),
            }
        })
        .collect()
}

/// A link to the page of `id`, by its title, when it is a public dataset.
fn dataset_link(site: &Site<'_>, id: &crate::model::DatasetId) -> Option<Link> {
    site.catalog.dataset(&id.0).map(|d| Link {
        name: d.title.clone(),
        url: format!("datasets/{id}/"),
    })
}

/// An application on the showcase page.
#[derive(Debug, Serialize)]
pub(super) struct AppView<'a> {
    id: &'a str,
    title: &'a str,
    developer: &'a str,
    /// Markdown, rendered by the template's sanitising filter.
    summary: &'a str,
    url: Option<&'a str>,
    published: String,
    published_iso: String,
    /// The public datasets it uses, by title.
    datasets: Vec<Link>,
}

/// The showcase entries, newest first.
pub(super) fn app_views<'a>(site: &'a Site<'_>) -> Vec<AppView<'a>> {
    site.apps
        .iter()
        .map(|app| AppView {
            id: &app.id,
            title: &app.title,
            developer: &app.developer,
            summary: &app.summary,
            url: app.url.as_deref(),
            published: chinese_date(app.published),
            published_iso: app.published.to_string(),
            datasets: app
                .datasets
                .iter()
                .filter_map(|id| dataset_link(site, id))
                .collect(),
        })
        .collect()
}

/// An application as the page of a dataset it uses names it.
#[derive(Debug, Serialize)]
pub(super) struct AppLink<'a> {
    title: &'a str,
    developer: &'a str,
    /// Its entry on the showcase page.
    url: String,
}

/// The applications that use a dataset, as its page links them.
pub(super) fn app_links<'a>(apps: impl Iterator<Item = &'a ShowcaseApp>) -> Vec<AppLink<'a>> {
    apps.map(|app| AppLink {
        title: &app.title,
        developer: &app.developer,
        url: format!("apps/#app-{}", app.id),
    })
    .collect()
}

/// Per public dataset (by catalog index), the showcase applications that use it (indices
/// into `site.apps`, newest first).
pub(super) fn apps_by_dataset(site: &Site<'_>) -> foldhash::HashMap<usize, Vec<usize>> {
    let mut by_dataset: foldhash::HashMap<usize, Vec<usize>> = Default::default();
    for (n, app) in site.apps.iter().enumerate() {
        for id in &app.datasets {
            if let Some(i) = site.catalog.position(&id.0) {
                by_dataset.entry(i).or_default().push(n);
            }
        }
    }
    by_dataset
}

/// A demand for data as its page and the list show it.
#[derive(Debug, Serialize)]
pub(super) struct DemandView<'a> {
    id: &'a str,
    title: &'a str,
    /// Markdown, rendered by the template's sanitising filter.
    summary: &'a str,
    /// Its page, relative to the site root.
    url: String,
    department: Link,
    department_code: &'a str,
    received: String,
    received_iso: String,
    status: &'static str,
    status_slug: &'static str,
    answered: Option<String>,
    answered_iso: Option<String>,
    /// Markdown.
    answer: Option<&'a str>,
    /// Working days from receipt to answer, or waited so far while pending.
    working_days: Option<i64>,
    dataset: Option<Link>,
}

impl DemandView<'_> {
    /// The code of the department asked.
    pub(super) fn department_code(&self) -> &str {
        self.department_code
    }

    /// The name of the department asked.
    pub(super) fn department_name(&self) -> &str {
        &self.department.name
    }
}

/// `demands` as the public sees them; `calendar` counts the working days.
pub(super) fn demand_views<'a>(
    demands: &'a [Demand],
    site: &Site<'_>,
    calendar: &crate::calendar::WorkCalendar,
) -> Vec<DemandView<'a>> {
    demands
        .iter()
        .map(|d| {
            let department = site.catalog.departments.get(&d.department);
            let until = d.answer.as_ref().map_or(site.build_date, |(date, _)| *date);
            DemandView {
                id: &d.id,
                title: &d.title,
                summary: &d.summary,
                url: format!("demands/{}/", d.id),
                department: Link {
                    name: department.map_or(d.department.0.clone(), |x| x.name.clone()),
                    url: format!("departments/{}/", d.department.0),
                },
                department_code: &d.department.0,
                received: chinese_date(d.received),
                received_iso: d.received.to_string(),
                status: d.status.label(),
                status_slug: d.status.slug(),
                answered: d.answer.as_ref().map(|(date, _)| chinese_date(*date)),
                answered_iso: d.answer.as_ref().map(|(date, _)| date.to_string()),
                answer: d.answer.as_ref().map(|(_, text)| text.as_str()),
                working_days: calendar.working_days_between(d.received, until).ok(),
                dataset: d.dataset.as_ref().and_then(|id| dataset_link(site, id)),
            }
        })
        .collect()
}

/// One year of plans, planned against delivered.
#[derive(Debug, Serialize)]
pub(super) struct PlanYear {
    year: i32,
    planned_count: usize,
    delivered_count: usize,
    departments: Vec<PlanView>,
}

/// One department's plan for a year.
#[derive(Debug, Serialize)]
pub(super) struct PlanView {
    department: Link,
    department_code: String,
    planned_count: usize,
    delivered_count: usize,
    /// Delivered of planned, in percent (whole).
    delivered_share: usize,
    items: Vec<PlannedView>,
}

/// One planned dataset, and whether it is delivered.
#[derive(Debug, Serialize)]
pub(super) struct PlannedView {
    id: String,
    title: String,
    due: Option<String>,
    /// Its page, once it is a public dataset.
    url: Option<String>,
    /// Past its due date on the build date and not delivered.
    overdue: bool,
}

/// The plans by year, newest first: a planned id that is a public dataset now counts as
/// delivered.
pub(super) fn plan_years(site: &Site<'_>) -> Vec<PlanYear> {
    let mut years: Vec<PlanYear> = Vec::new();
    for plan in site.plans {
        let items: Vec<PlannedView> = plan
            .items
            .iter()
            .map(|item| {
                let delivered = site.catalog.position(&item.id.0).is_some();
                PlannedView {
                    id: item.id.0.clone(),
                    title: item.title.clone(),
                    due: item.due.map(chinese_date),
                    url: delivered.then(|| format!("datasets/{}/", item.id)),
                    overdue: !delivered && item.due.is_some_and(|due| due < site.build_date),
                }
            })
            .collect();
        let delivered = items.iter().filter(|i| i.url.is_some()).count();
        let view = PlanView {
            department: Link {
                name: site
                    .catalog
                    .departments
                    .get(&plan.department)
                    .map_or(plan.department.0.clone(), |d| d.name.clone()),
                url: format!("departments/{}/", plan.department.0),
            },
            department_code: plan.department.0.clone(),
            planned_count: items.len(),
            delivered_count: delivered,
            delivered_share: (delivered * 100).checked_div(items.len()).unwrap_or(0),
            items,
        };
        match years.last_mut() {
            Some(year) if year.year == plan.year => {
                year.planned_count += view.planned_count;
                year.delivered_count += view.delivered_count;
                year.departments.push(view);
            }
            _ => years.push(PlanYear {
                year: plan.year,
                planned_count: view.planned_count,
                delivered_count: view.delivered_count,
                departments: vec![view],
            }),
        }
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn notice(start: &str, end: &str) -> Notice {
        Notice {
            id: "upgrade".into(),
            record_path: "notices/upgrade.yaml".into(),
            title: "升级".into(),
            published: at("2026-11-20 09:00"),
            start: at(start),
            end: at(end),
            text: "停止服务".into(),
        }
    }

    #[test]
    fn banners_show_until_the_window_ends() {
        let notices = [notice("2026-12-05 22:00", "2026-12-06 02:00")];
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(banners(&notices, day("2026-12-01")).len(), 1);
        assert_eq!(banners(&notices, day("2026-12-06")).len(), 1);
        assert!(banners(&notices, day("2026-12-07")).is_empty());
        let banner = &banners(&notices, day("2026-12-01"))[0];
        assert_eq!(banner.window, "2026年12月5日 22:00 至 2026年12月6日 02:00");
        assert_eq!(banner.end, "2026-12-06T02:00:00+08:00");
        let same_day = notice("2026-12-05 08:00", "2026-12-05 12:30");
        assert_eq!(window(&same_day), "2026年12月5日 08:00 至 12:30");
    }
}
