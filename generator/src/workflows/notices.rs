//! Maintenance notices (第十三条), `content/notices/<id>.yaml`: the platform stops serving
//! between two times, announced at least two working days ahead. Current and upcoming
//! notices show as a banner on every page; all of them are listed at `/notices/` and in a
//! feed.

use std::path::Path;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_each, checked_time, load_kind, read_time};
use crate::calendar::WorkCalendar;
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, Text};
use crate::model::Notice;
use crate::policy::Unnameable;
use crate::validate::Checker;

/// The folder of notice records under the content folder.
pub const FOLDER: &str = "notices";

/// Whole working days that must pass between a notice and the start of its window.
pub const NOTICE_WORKING_DAYS: i64 = 2;

/// A maintenance notice as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "维护通知 Maintenance notice")]
pub struct RawNotice {
    /// 标题 Headline.
    #[schemars(with = "String")]
    pub title: Text,
    /// 发布时间 When the notice was published (YYYY-MM-DD HH:MM, China time).
    #[schemars(with = "String")]
    pub published: Text,
    /// 开始时间 When the maintenance starts (YYYY-MM-DD HH:MM).
    #[schemars(with = "String")]
    pub start: Text,
    /// 结束时间 When it ends (YYYY-MM-DD HH:MM).
    #[schemars(with = "String")]
    pub end: Text,
    /// 正文 The notice, Markdown.
    #[schemars(with = "String")]
    pub text: Text,
}

/// Reads and checks `content/notices/`, newest window first. `calendar` decides whether each
/// was published early enough; `today`, when known, is the latest date `published` may be.
pub fn load(
    content: &Path,
    limits: &Limits,
    calendar: &WorkCalendar,
    today: Option<NaiveDate>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Notice> {
    let (loaded, _) = load_kind::<RawNotice>(content, FOLDER, limits, diagnostics);
    let mut notices = check_each(&loaded, today, diagnostics, |check, id, record| {
        notice(check, id, record, calendar)
    });
    notices.sort_by(|a, b| (b.start, &b.id).cmp(&(a.start, &a.id)));
    notices
}

/// Notices that would name a withheld dataset (its title, or a link to its page) are left
/// out with an error: a notice's title is on every page, and the audit would refuse them all.
pub fn without_withheld(
    notices: Vec<Notice>,
    unnameable: &Unnameable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Notice> {
    notices
        .into_iter()
        .filter(|notice| {
            let named = unnameable.named_in(&[&notice.title, &notice.text]);
            if let Some(id) = named {
                diagnostics.push(
                    Diagnostic::error(
                        "notice-names-withheld",
                        &notice.record_path,
                        format!(
                            "the notice names a dataset that is not published (`{id}`); it is left out"
                        ),
                    )
                    .help("a notice is shown on every page: describe the maintenance without naming unpublished data"),
                );
            }
            named.is_none()
        })
        .collect()
}

/// Longest maintenance window accepted without a warning.
const LONGEST_WINDOW_DAYS: i64 = 7;

fn notice(
    check: &mut Checker<'_>,
    id: &str,
    record: &Loaded<RawNotice>,
    calendar: &WorkCalendar,
) -> Option<Notice> {
    let raw = &record.value;
    for (key, value) in [("title", &raw.title), ("text", &raw.text)] {
        check.not_empty(key, value, "notice");
    }
    let published = checked_time(check, "published", &raw.published);
    let start = read_time(check, "start", &raw.start);
    let end = read_time(check, "end", &raw.end);
    if let (Some(start), Some(end)) = (start, end)
        && end - start > chrono::Duration::days(LONGEST_WINDOW_DAYS)
    {
        check.warn(
            "window-long",
            format!("the window lasts from {start} to {end}, more than {LONGEST_WINDOW_DAYS} days; its banner shows on every page until it ends"),
            "check the dates of `start` and `end`".into(),
        );
    }
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        check.error(
            "window-order",
            &raw.end,
            format!("the window ends ({end}) before it starts ({start})"),
            "not after `start`",
            "give the time the service is back as `end`".into(),
        );
    }
    if let (Some(published), Some(start)) = (published, start) {
        if published > start {
            check.error(
                "published-after-start",
                &raw.published,
                format!("the notice is published ({published}) after the window starts ({start})"),
                "after `start`",
                "a notice announces maintenance ahead of it; check the dates".into(),
            );
        } else {
            warn_if_late(check, published.date(), start.date(), calendar);
        }
    }
    Some(Notice {
        id: id.to_string(),
        record_path: record.rel.clone(),
        title: raw.title.value.trim().to_string(),
        published: published?,
        start: start?,
        end: end?,
        text: raw.text.value.clone(),
    })
}

/// Warns when fewer than [`NOTICE_WORKING_DAYS`] whole working days lie between the day of
/// publishing and the day the window starts (第十三条: 应提前 2 个工作日发布通知).
fn warn_if_late(
    check: &mut Checker<'_>,
    published: NaiveDate,
    start: NaiveDate,
    calendar: &WorkCalendar,
) {
    let Some(before_start) = start.pred_opt() else {
        return;
    };
    match calendar.working_days_between(published, before_start.max(published)) {
        Ok(days) if days < NOTICE_WORKING_DAYS => check.warn(
            "notice-late",
            format!(
                "published {published}, {days} whole working day(s) before the window starts on {start}; 第十三条 asks for {NOTICE_WORKING_DAYS}"
            ),
            "publish maintenance notices at least 2 working days ahead, and prefer holidays or weekends for the work".into(),
        ),
        Ok(_) => {}
        Err(err) => check.warn(
            "calendar-unpublished",
            format!("cannot count the working days before this notice's window: {err}"),
            "add the year's holiday arrangement to data/holidays/ once the State Council publishes it".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> (Vec<Notice>, Vec<Diagnostic>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(FOLDER)).unwrap();
        std::fs::write(dir.path().join(FOLDER).join("upgrade.yaml"), text).unwrap();
        let mut found = Vec::new();
        let notices = load(
            dir.path(),
            &Limits::default(),
            WorkCalendar::official(),
            None,
            &mut found,
        );
        (notices, found)
    }

    fn record(published: &str, start: &str, end: &str) -> String {
        format!(
            "title: 平台升级维护\npublished: {published}\nstart: {start}\nend: {end}\ntext: |\n  维护期间暂停服务。\n"
        )
    }

    #[test]
    fn a_notice_two_working_days_ahead_passes() {
        // Monday 2026-11-23, window from Thursday night: Tuesday and Wednesday lie between.
        let (notices, found) = load_one(&record(
            "2026-11-23 10:00",
            "2026-11-26 22:00",
            "2026-11-27 02:00",
        ));
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(notices[0].title, "平台升级维护");
        assert_eq!(notices[0].start.to_string(), "2026-11-26 22:00:00");
    }

    #[test]
    fn a_late_notice_is_warned_about_counting_holidays() {
        // Published the Friday before National Day 2025: the holiday block (10-01..10-08)
        // holds no working day, so a window on 10-09 is announced 0 working days ahead.
        let (notices, found) = load_one(&record(
            "2025-09-30 10:00",
            "2025-10-09 22:00",
            "2025-10-10 02:00",
        ));
        assert_eq!(notices.len(), 1);
        let late = found.iter().find(|d| d.code == "notice-late").unwrap();
        assert!(!late.is_error());
        assert!(
            late.message.contains("0 whole working day"),
            "{}",
            late.message
        );
        // The make-up working day (Saturday 2025-09-28) counts.
        let (_, found) = load_one(&record(
            "2025-09-26 10:00",
            "2025-09-30 22:00",
            "2025-10-01 02:00",
        ));
        assert!(!found.iter().any(|d| d.code == "notice-late"), "{found:?}");
    }

    #[test]
    fn bad_times_and_windows_are_errors_at_their_place() {
        let (notices, found) = load_one(&record(
            "2026-11-23",
            "2026-11-26 22:00",
            "2026-11-26 21:00",
        ));
        assert!(notices.is_empty());
        let codes: Vec<(&str, usize)> = found
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.location.as_ref().unwrap().line))
            .collect();
        assert_eq!(codes, vec![("bad-time", 2), ("window-order", 4)]);
    }

    #[test]
    fn a_year_without_an_arrangement_is_said_not_guessed() {
        let (_, found) = load_one(&record(
            "2031-03-02 10:00",
            "2031-03-09 22:00",
            "2031-03-10 02:00",
        ));
        assert!(
            found.iter().any(|d| d.code == "calendar-unpublished"),
            "{found:?}"
        );
    }
}
