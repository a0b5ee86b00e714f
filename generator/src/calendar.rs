//! The official working-day calendar (工作日): weekends off, statutory holidays off, and the
//! adjusted working days (调休上班) the State Council announces each year on.
//!
//! The data are the State Council's yearly arrangements as published by holiday-cn
//! (`data/holidays/<year>.json`, MIT). A year's file is named by the year of its notice, so a
//! late-December date can sit in the next year's file (2018-12-29 to 31 in 2019's, 2022-12-31
//! in 2023's). A date the published arrangements do not settle is an error
//! ([`CalendarError::Unpublished`]), never a guess: every date of a year whose arrangement is
//! not published, and 25 to 31 December of the last published year until the next one is.
//!
//! Deadlines count as government offices do: "N working days" from a moment ends at the close
//! of the Nth working day after the day it falls on; "N hours" runs on the clock, stopped
//! while it is not a working day.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Deserialize;

/// The arrangements embedded in the binary: one file per year of notice.
const OFFICIAL: &[(i32, &str)] = &[
    (2019, include_str!("../../data/holidays/2019.json")),
    (2020, include_str!("../../data/holidays/2020.json")),
    (2021, include_str!("../../data/holidays/2021.json")),
    (2022, include_str!("../../data/holidays/2022.json")),
    (2023, include_str!("../../data/holidays/2023.json")),
    (2024, include_str!("../../data/holidays/2024.json")),
    (2025, include_str!("../../data/holidays/2025.json")),
    (2026, include_str!("../../data/holidays/2026.json")),
    (2027, include_str!("../../data/holidays/2027.json")),
];

/// Why the calendar cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date's working-day arrangement is not published yet (or predates the data).
    #[error(
        "{date}: the official holiday arrangement for this date is not in the calendar (it \
         covers {first} to {last}); add the State Council's notice for {year} to \
         data/holidays/ and rebuild"
    )]
    Unpublished {
        /// The date asked about.
        date: NaiveDate,
        /// The first date the calendar settles.
        first: NaiveDate,
        /// The last date it settles.
        last: NaiveDate,
        /// The year whose arrangement is missing.
        year: i32,
    },
    /// A year's file does not parse.
    #[error("the holiday arrangement of {year}: {reason}")]
    Data {
        /// The file's year.
        year: i32,
        /// Why.
        reason: String,
    },
}

#[derive(Deserialize)]
struct YearFile {
    year: i32,
    days: Vec<DayEntry>,
}

#[derive(Deserialize)]
struct DayEntry {
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// The working-day calendar: which dates are working days.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    /// Dates the arrangements list: `true` off (a holiday), `false` an adjusted working day.
    listed: BTreeMap<NaiveDate, bool>,
    /// The first date settled.
    first: NaiveDate,
    /// The last date settled.
    last: NaiveDate,
}

impl WorkCalendar {
    /// The official calendar embedded in the binary (parsed once).
    pub fn official() -> &'static WorkCalendar {
        static OFFICIAL_CALENDAR: std::sync::OnceLock<WorkCalendar> = std::sync::OnceLock::new();
        OFFICIAL_CALENDAR.get_or_init(|| {
            WorkCalendar::from_files(OFFICIAL).expect("the embedded holiday data parse")
        })
    }

    /// A calendar from year files (`(year of notice, JSON)`) in holiday-cn's shape. A year
    /// whose file lists no day is not published. The years with files must follow each
    /// other from the first.
    pub fn from_files(files: &[(i32, &str)]) -> Result<WorkCalendar, CalendarError> {
        let mut listed = BTreeMap::new();
        let mut published = Vec::new();
        for &(year, text) in files {
            let file: YearFile = serde_json::from_str(text).map_err(|e| CalendarError::Data {
                year,
                reason: e.to_string(),
            })?;
            if file.year != year {
                return Err(CalendarError::Data {
                    year,
                    reason: format!("the file says it is the arrangement of {}", file.year),
                });
            }
            if file.days.is_empty() {
                continue;
            }
            published.push(year);
            for day in file.days {
                listed.insert(day.date, day.is_off_day);
            }
        }
        published.sort_unstable();
        let (Some(&from), Some(&to)) = (published.first(), published.last()) else {
            return Err(CalendarError::Data {
                year: 0,
                reason: "no year's arrangement is published".into(),
            });
        };
        if let Some(gap) = (from..=to).find(|y| !published.contains(y)) {
            return Err(CalendarError::Data {
                year: gap,
                reason: "the arrangement of this year is missing between published ones".into(),
            });
        }
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
        Ok(WorkCalendar {
            listed,
            first: date(from, 1, 1),
            // The next year's notice may still set the last days of December.
            last: date(to, 12, 24),
        })
    }

    /// The last date the calendar settles.
    pub fn last_date(&self) -> NaiveDate {
        self.last
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if date < self.first || date > self.last {
            // Past the data, the first missing notice is the next year's (late December of
            // the last published year waits for it too).
            let year = if date > self.last {
                self.last.year() + 1
            } else {
                date.year()
            };
            return Err(CalendarError::Unpublished {
                date,
                first: self.first,
                last: self.last,
                year,
            });
        }
        Ok(match self.listed.get(&date) {
            Some(&off) => !off,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The `n`th working day after `date` (not counting `date` itself).
    pub fn nth_working_day_after(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().expect("dates stay in range");
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The deadline of "`n` working days" from `start`: the last second (23:59:59) of the
    /// `n`th working day after the day of `start`, inclusive. With `n = 0`, the end of the
    /// start day itself.
    pub fn working_days_deadline(
        &self,
        start: NaiveDateTime,
        n: u32,
    ) -> Result<NaiveDateTime, CalendarError> {
        let day = self.nth_working_day_after(start.date(), n)?;
        Ok(day.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time")))
    }

    /// The deadline of "`hours` hours" from `start`, the clock stopped on days that are not
    /// working days.
    pub fn working_hours_deadline(
        &self,
        start: NaiveDateTime,
        hours: u32,
    ) -> Result<NaiveDateTime, CalendarError> {
        let mut left = Duration::hours(i64::from(hours));
        let mut at = start;
        // A start on a rest day waits for the next working day's beginning.
        while !self.is_working_day(at.date())? {
            at = at
                .date()
                .succ_opt()
                .expect("dates stay in range")
                .and_time(NaiveTime::MIN);
        }
        loop {
            let day_end = at
                .date()
                .succ_opt()
                .expect("dates stay in range")
                .and_time(NaiveTime::MIN);
            let today = day_end - at;
            if left <= today {
                return Ok(at + left);
            }
            left -= today;
            at = day_end;
            while !self.is_working_day(at.date())? {
                at += Duration::days(1);
            }
        }
    }

    /// Working days from `from` to `to`: those after `from`, up to and including `to`
    /// (negative when `to` comes first). How late a stage finished against its deadline is
    /// this count between the deadline's day and the day it finished.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        let (a, b, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0;
        let mut day = a;
        while day < b {
            day = day.succ_opt().expect("dates stay in range");
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn working(calendar: &WorkCalendar, text: &str) -> bool {
        calendar.is_working_day(date(text)).unwrap()
    }

    #[test]
    fn spring_festival_2024_with_its_two_sunday_make_up_days() {
        // 国办发明电〔2023〕7号: 2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。
        let c = WorkCalendar::official();
        assert!(working(c, "2024-02-04"), "Sunday, a make-up working day");
        assert!(working(c, "2024-02-09"), "除夕 fell on a working Friday");
        for day in 10..=17 {
            assert!(!working(c, &format!("2024-02-{day:02}")), "02-{day} off");
        }
        assert!(working(c, "2024-02-18"), "Sunday, a make-up working day");
        assert!(!working(c, "2024-02-24"), "an ordinary Saturday");
    }

    #[test]
    fn national_day_blocks_of_2023_and_2025() {
        let c = WorkCalendar::official();
        // 2023: 9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。
        assert!(!working(c, "2023-09-29"));
        assert!(!working(c, "2023-10-06"));
        assert!(working(c, "2023-10-07") && working(c, "2023-10-08"));
        // 2025: 10月1日至8日放假调休，共8天。9月28日（星期日）、10月11日（星期六）上班。
        assert!(working(c, "2025-09-28") && working(c, "2025-10-11"));
        assert!((1..=8).all(|d| !working(c, &format!("2025-10-{d:02}"))));
        assert!(working(c, "2025-10-09"), "an ordinary Thursday");
    }

    #[test]
    fn a_december_date_can_come_from_the_next_years_notice() {
        // As 2019's notice made Saturday 2018-12-29 a working day.
        let notice =
            |y: i32, days: &str| format!(r#"{{"year": {y}, "papers": [], "days": [{days}]}}"#);
        let this = notice(
            2029,
            r#"{"name": "元旦", "date": "2029-01-01", "isOffDay": true}"#,
        );
        let next = notice(
            2030,
            r#"{"name": "元旦", "date": "2029-12-29", "isOffDay": false}"#,
        );
        let c = &WorkCalendar::from_files(&[(2029, &this), (2030, &next)]).unwrap();
        assert!(working(c, "2029-12-29"), "a Saturday worked");
        assert!(!working(c, "2029-12-30"), "an ordinary Sunday");
        // The official data: 2022-12-31 is in 2023's notice.
        let official = WorkCalendar::official();
        assert!(!working(official, "2022-12-31"));
        assert!(working(official, "2019-12-31"), "an ordinary Tuesday");
    }

    #[test]
    fn deadlines_in_working_days_skip_holidays_and_count_make_up_days() {
        let c = WorkCalendar::official();
        // Submitted Thursday 2024-02-08: Friday the 9th is day 1, Sunday the 18th (a make-up
        // working day) is day 2.
        assert_eq!(
            c.working_days_deadline(at("2024-02-08 16:30"), 2).unwrap(),
            at("2024-02-18 23:59") + Duration::seconds(59)
        );
        // Five working days from the eve of National Day 2025 end on Monday 10-13:
        // 09-30 is day 1, then 10-09, 10-10, 10-11 (Saturday, worked), 10-13.
        assert_eq!(
            c.nth_working_day_after(date("2025-09-29"), 5).unwrap(),
            date("2025-10-13")
        );
        assert_eq!(
            c.working_days_between(date("2025-09-29"), date("2025-10-13"))
                .unwrap(),
            5
        );
        assert_eq!(
            c.working_days_between(date("2025-10-13"), date("2025-09-29"))
                .unwrap(),
            -5
        );
    }

    #[test]
    fn hours_run_only_on_working_days() {
        let c = WorkCalendar::official();
        // 特急, 12 hours, from Friday 2024-02-09 18:00: six hours that day, then the clock
        // stops from the 10th to the 17th and runs again on Sunday the 18th.
        assert_eq!(
            c.working_hours_deadline(at("2024-02-09 18:00"), 12)
                .unwrap(),
            at("2024-02-18 06:00")
        );
        // From a holiday, the clock starts with the next working day.
        assert_eq!(
            c.working_hours_deadline(at("2025-10-03 10:00"), 12)
                .unwrap(),
            at("2025-10-09 12:00")
        );
        assert_eq!(
            c.working_hours_deadline(at("2025-10-09 08:00"), 12)
                .unwrap(),
            at("2025-10-09 20:00")
        );
    }

    #[test]
    fn dates_the_notices_do_not_settle_are_errors() {
        let c = WorkCalendar::official();
        // 2027's arrangement is not published: the end of December 2026 is not settled either.
        assert!(working(c, "2026-12-24"));
        let err = c.is_working_day(date("2026-12-28")).unwrap_err();
        assert!(
            matches!(err, CalendarError::Unpublished { year: 2027, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2026-12-28"), "{err}");
        let err = c.is_working_day(date("2028-03-01")).unwrap_err();
        assert!(
            matches!(err, CalendarError::Unpublished { year: 2027, .. }),
            "the first missing notice: {err}"
        );
        assert!(
            c.is_working_day(date("2026-12-25")).is_err(),
            "the first day held back"
        );
        assert!(c.is_working_day(date("2018-06-01")).is_err());
        // A deadline that runs into them is an error too, not a guess.
        assert!(c.working_days_deadline(at("2026-12-22 09:00"), 5).is_err());
    }

    #[test]
    fn a_gap_between_published_years_is_refused() {
        let year = |y: i32| {
            format!(
                r#"{{"year": {y}, "papers": [], "days": [{{"name": "元旦", "date": "{y}-01-01", "isOffDay": true}}]}}"#
            )
        };
        let (a, c) = (year(2020), year(2022));
        let err = WorkCalendar::from_files(&[(2020, &a), (2022, &c)]).unwrap_err();
        assert!(
            matches!(err, CalendarError::Data { year: 2021, .. }),
            "{err}"
        );
        let err = WorkCalendar::from_files(&[(2021, &a)]).unwrap_err();
        assert!(err.to_string().contains("2020"), "{err}");
    }
}
