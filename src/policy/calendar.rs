//! The business calendar and its pure time math: adding a policy span to an
//! instant and measuring business time between two instants, across weekends,
//! holidays and daylight-saving changes.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::span::{Counting, Span};
use crate::time::local_to_utc;

/// How far ahead the calendar looks for working time before giving up.
const HORIZON_DAYS: i64 = 3 * 366;

/// How far ahead business time is counted, in words, for messages.
pub const HORIZON_WORDS: &str = "3 years";

#[derive(Debug, Clone)]
pub struct Calendar {
    pub tz: Tz,
    /// Monday first.
    pub working_days: [bool; 7],
    /// Minutes after local midnight; `end_min` may be 1440 (end of day).
    pub start_min: u32,
    pub end_min: u32,
    pub holidays: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            tz: chrono_tz::UTC,
            working_days: [true, true, true, true, true, false, false],
            start_min: 9 * 60,
            end_min: 17 * 60,
            holidays: BTreeSet::new(),
        }
    }
}

impl Calendar {
    pub fn is_working_date(&self, d: NaiveDate) -> bool {
        self.working_days[d.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&d)
    }

    /// The working interval of local date `d`, in UTC, if it is a working day.
    pub fn interval(&self, d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_date(d) {
            return None;
        }
        let at = |min: u32| {
            let midnight = d.and_hms_opt(0, 0, 0)?;
            local_to_utc(self.tz, midnight + Duration::minutes(i64::from(min)))
        };
        let (s, e) = (at(self.start_min)?, at(self.end_min)?);
        (s < e).then_some((s, e))
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// `start` plus `span`; None when business time never accrues (no working days ahead).
    pub fn add(&self, start: DateTime<Utc>, span: Span) -> Option<DateTime<Utc>> {
        match span.counting {
            Counting::Clock => start.checked_add_signed(Duration::minutes(span.minutes)),
            Counting::Business => self.add_business(start, Duration::minutes(span.minutes)),
        }
    }

    /// The instant at which `amount` of business time has passed since `start`.
    pub fn add_business(&self, start: DateTime<Utc>, amount: Duration) -> Option<DateTime<Utc>> {
        if amount <= Duration::zero() {
            return Some(start);
        }
        let mut remaining = amount;
        // The day before too: its interval may end after `start` in UTC terms.
        let mut day = self.local_date(start).pred_opt()?;
        for _ in 0..HORIZON_DAYS {
            if let Some((s, e)) = self.interval(day) {
                let from = s.max(start);
                if from < e {
                    let available = e - from;
                    if remaining <= available {
                        return Some(from + remaining);
                    }
                    remaining -= available;
                }
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// Business time within [a, b); zero when b <= a.
    pub fn business_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if b <= a {
            return total;
        }
        let Some(mut day) = self.local_date(a).pred_opt() else {
            return total;
        };
        let last = self.local_date(b);
        while day <= last {
            if let Some((s, e)) = self.interval(day) {
                let (from, to) = (s.max(a), e.min(b));
                if from < to {
                    total += to - from;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }

    /// Time elapsed between `a` and `b` as `counting` counts it.
    pub fn elapsed(&self, a: DateTime<Utc>, b: DateTime<Utc>, counting: Counting) -> Duration {
        match counting {
            Counting::Clock => (b - a).max(Duration::zero()),
            Counting::Business => self.business_between(a, b),
        }
    }

    /// Whether any working time exists at all (some day is a working day).
    pub fn has_working_time(&self) -> bool {
        self.working_days.iter().any(|d| *d) && self.start_min < self.end_min
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{rfc3339, utc};
    use proptest::prelude::*;

    fn berlin() -> Calendar {
        Calendar { tz: "Europe/Berlin".parse().unwrap(), ..Calendar::default() }
    }

    #[test]
    fn four_business_hours_from_friday_afternoon_land_on_monday() {
        let cal = Calendar::default();
        let fri_16 = utc(2026, 11, 20, 16, 0).unwrap();
        let due = cal.add(fri_16, Span::business_minutes(240)).unwrap();
        assert_eq!(rfc3339(due), "2026-11-23T12:00:00Z");
    }

    #[test]
    fn holidays_are_skipped() {
        let mut cal = Calendar::default();
        cal.holidays.insert(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let fri_16 = utc(2026, 11, 20, 16, 0).unwrap();
        let due = cal.add(fri_16, Span::business_minutes(240)).unwrap();
        assert_eq!(rfc3339(due), "2026-11-24T12:00:00Z");
    }

    #[test]
    fn outside_hours_start_at_next_opening() {
        let cal = Calendar::default();
        let sat = utc(2026, 11, 21, 3, 0).unwrap();
        assert_eq!(rfc3339(cal.add(sat, Span::business_minutes(30)).unwrap()), "2026-11-23T09:30:00Z");
        let clock = cal.add(sat, Span::clock_minutes(30)).unwrap();
        assert_eq!(rfc3339(clock), "2026-11-21T03:30:00Z");
    }

    #[test]
    fn working_hours_follow_daylight_saving() {
        let cal = berlin();
        // Friday 2026-03-27 16:00 CET = 15:00Z; Monday 2026-03-30 is CEST (UTC+2).
        let fri = utc(2026, 3, 27, 15, 0).unwrap();
        let due = cal.add(fri, Span::business_minutes(120)).unwrap();
        assert_eq!(rfc3339(due), "2026-03-30T08:00:00Z"); // 10:00 CEST
    }

    #[test]
    fn no_working_days_means_never() {
        let cal = Calendar { working_days: [false; 7], ..Calendar::default() };
        assert!(!cal.has_working_time());
        assert_eq!(cal.add(utc(2026, 1, 1, 0, 0).unwrap(), Span::business_minutes(1)), None);
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop_oneof![
            Just(chrono_tz::UTC),
            Just(chrono_tz::Europe::Berlin),
            Just(chrono_tz::America::New_York),
            Just(chrono_tz::Australia::Lord_Howe),
            Just(chrono_tz::Asia::Kolkata),
        ]
    }

    prop_compose! {
        fn calendars()(tz in zones(), days in prop::array::uniform7(any::<bool>()),
                       start in 0u32..(20 * 60), len in 30u32..(4 * 60),
                       holiday_offsets in prop::collection::vec(0i64..400, 0..8)) -> Calendar {
            let mut days = days;
            days[2] = true; // at least one working day
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            Calendar {
                tz,
                working_days: days,
                start_min: start,
                end_min: (start + len).min(1440),
                holidays: holiday_offsets.into_iter().map(|o| base + Duration::days(o)).collect(),
            }
        }
    }

    proptest! {
        #[test]
        fn adding_then_measuring_gives_the_amount_back(
            cal in calendars(),
            start_min in 0i64..(400 * 24 * 60),
            amount in 0i64..(60 * 60),
        ) {
            let start = utc(2026, 1, 1, 0, 0).unwrap() + Duration::minutes(start_min);
            let end = cal.add_business(start, Duration::minutes(amount)).unwrap();
            prop_assert!(end >= start);
            prop_assert_eq!(cal.business_between(start, end), Duration::minutes(amount));
        }

        #[test]
        fn a_deadline_never_lands_outside_working_time(
            cal in calendars(),
            start_min in 0i64..(400 * 24 * 60),
            amount in 1i64..(60 * 60),
        ) {
            let start = utc(2026, 1, 1, 0, 0).unwrap() + Duration::minutes(start_min);
            let end = cal.add_business(start, Duration::minutes(amount)).unwrap();
            let local = end.with_timezone(&cal.tz).date_naive();
            let inside = [local.pred_opt().unwrap(), local].iter().any(|d| {
                cal.interval(*d).is_some_and(|(s, e)| s < end && end <= e)
            });
            prop_assert!(inside, "{} is outside working time", rfc3339(end));
        }

        #[test]
        fn more_time_never_ends_earlier(
            cal in calendars(),
            start_min in 0i64..(400 * 24 * 60),
            a in 0i64..(40 * 60),
            b in 0i64..(40 * 60),
        ) {
            let start = utc(2026, 1, 1, 0, 0).unwrap() + Duration::minutes(start_min);
            let (lo, hi) = (a.min(b), a.max(b));
            let e1 = cal.add_business(start, Duration::minutes(lo)).unwrap();
            let e2 = cal.add_business(start, Duration::minutes(hi)).unwrap();
            prop_assert!(e1 <= e2);
        }

        #[test]
        fn business_time_is_additive(
            cal in calendars(),
            a in 0i64..(200 * 24 * 60),
            b in 0i64..(200 * 24 * 60),
            c in 0i64..(200 * 24 * 60),
        ) {
            let base = utc(2026, 1, 1, 0, 0).unwrap();
            let mut v = [a, b, c];
            v.sort();
            let [x, y, z] = v.map(|m| base + Duration::minutes(m));
            prop_assert_eq!(cal.business_between(x, y) + cal.business_between(y, z), cal.business_between(x, z));
        }
    }
}
