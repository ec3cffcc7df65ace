//! Parsing user-supplied times, and formatting instants and durations for people and JSON.

use chrono::Datelike as _;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error;

/// RFC 3339 in UTC with second precision: the one format stored and emitted as JSON.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(20);
    push_rfc3339(&mut out, t);
    // Every byte is an ASCII digit or separator, or chrono's text.
    String::from_utf8(out).unwrap_or_default()
}

/// `rfc3339`, written at the end of `out`.
pub fn push_rfc3339(out: &mut Vec<u8>, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let (date, time) = (t.date_naive(), t.time());
    // Four-digit years and no leap second: written here, digit by digit (an import
    // writes millions); anything else as chrono writes it.
    if !(0..=9999).contains(&date.year()) || time.nanosecond() >= 1_000_000_000 {
        return out.extend_from_slice(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).as_bytes());
    }
    let digit = |v: u32| b'0' + (v % 10) as u8;
    let two = |v: u32| [digit(v / 10), digit(v)];
    let year = date.year().unsigned_abs();
    let [m0, m1] = two(date.month());
    let [d0, d1] = two(date.day());
    let [h0, h1] = two(time.hour());
    let [n0, n1] = two(time.minute());
    let [s0, s1] = two(time.second());
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        m0,
        m1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        n0,
        n1,
        b':',
        s0,
        s1,
        b'Z',
    ];
    out.extend_from_slice(&text);
}

/// Parse a stored RFC 3339 timestamp.
pub fn parse_stored(s: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| error::ledger(format!("ledger holds a malformed time {s:?}: {e}")))
}

/// Parse a time typed by a user for `flag`. Accepted: RFC 3339 with an offset,
/// or a local date-time / date in the policy's zone.
pub fn parse_user(flag: &str, input: &str, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    // With its offset a time is what it says (the common case of a bulk import: checked first).
    if let Ok(t) = DateTime::parse_from_rfc3339(input.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    // A local time that a daylight-saving jump skips never happened: say so, not guess.
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        let Ok(naive) = NaiveDateTime::parse_from_str(input.trim(), fmt) else { continue };
        // A local time the clocks going back repeat happened twice: which is asked.
        if let LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&naive) {
            return Err(error::bad_input(format!(
                "invalid {flag} {input:?}: that local time happens twice in {tz} (the clocks go back): \
                 give its offset, {} (the first) or {} (the second)",
                first.fixed_offset().to_rfc3339(),
                second.fixed_offset().to_rfc3339()
            )));
        }
        if matches!(tz.from_local_datetime(&naive), LocalResult::None) {
            // The example: this very time, with the offset in force before the jump.
            let before = tz.from_local_datetime(&(naive - chrono::Duration::hours(3))).earliest();
            let example = before.map_or(String::new(), |b| {
                let offset = chrono::Offset::fix(b.offset());
                naive
                    .and_local_timezone(offset)
                    .single()
                    .map_or(String::new(), |t| format!(", like {}", t.to_rfc3339()))
            });
            return Err(error::bad_input(format!(
                "invalid {flag} {input:?}: that local time does not exist in {tz} (the clocks jump over it); \
                     give a later time or an offset{example}"
            )));
        }
    }
    parse_user_inner(input.trim(), tz).ok_or_else(|| {
        error::bad_input(format!(
            "invalid {flag} {input:?}: expected a time like 2026-11-23T09:30:00Z, \
             2026-11-23T09:30:00+01:00, or \"2026-11-23 09:30\" (in the policy's zone, {tz})"
        ))
    })
}

fn parse_user_inner(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return local_to_utc(tz, naive);
        }
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    local_to_utc(tz, date.and_hms_opt(0, 0, 0)?)
}

/// A local wall-clock time in `tz` as UTC. A time skipped by a daylight-saving
/// jump resolves to the first valid instant after it; an ambiguous one to the earlier.
pub fn local_to_utc(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => {
            // Walk forward minute by minute out of the gap (gaps are at most a few hours).
            let mut probe = naive;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return Some(t.with_timezone(&Utc));
                }
            }
            None
        }
    }
}

/// An instant for people: in the policy's zone, with the zone's abbreviation.
pub fn human(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// A span for people: "2h 13m", "3d 4h", "45m", "0m".
pub fn span(d: Duration) -> String {
    spoken(d, false)
}

/// A duration to the minute, days included: "2d 17h 45m" (figures a report gives).
pub fn span_exact(d: Duration) -> String {
    spoken(d, true)
}

fn spoken(d: Duration, exact: bool) -> String {
    let total_min = d.num_minutes().abs();
    let (days, hours, mins) = (total_min / 1440, (total_min % 1440) / 60, total_min % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if mins > 0 && (days == 0 || exact) {
        parts.push(format!("{mins}m"));
    }
    if parts.is_empty() {
        // Under a minute: say so rather than "0m".
        return if d.num_seconds().abs() > 0 { "<1m".into() } else { "0m".into() };
    }
    parts.join(" ")
}

/// A compact instant for table cells: "11-23 14:00" in the zone (name it in the
/// header), with the year when it is not the year of `now`: "2025-12-28 12:00".
pub fn short(t: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> String {
    let (local, this_year) = (t.with_timezone(&tz), now.with_timezone(&tz).year());
    if local.year() == this_year {
        local.format("%m-%d %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// "in 2h 13m" / "2h 13m ago" / "now" relative to `now`.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = t - now;
    if d.num_seconds() == 0 {
        "now".into()
    } else if d > Duration::zero() {
        format!("in {}", span(d))
    } else {
        format!("{} ago", span(d))
    }
}

/// "2026-11-23 14:00 UTC (in 2h 13m)".
pub fn human_relative(t: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> String {
    format!("{} ({})", human(t, tz), relative(t, now))
}

pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// Truncate to whole seconds, the precision the ledger stores.
pub fn trunc_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The digit-by-digit form is chrono's, for any instant to the nanosecond,
        /// from before year 0 to after 9999, leap seconds included.
        #[test]
        fn rfc3339_writes_what_chrono_writes(secs in -70_000_000_000i64..300_000_000_000, nanos in 0u32..2_000_000_000) {
            if let Some(t) = DateTime::from_timestamp(secs, nanos) {
                prop_assert_eq!(rfc3339(t), t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            }
        }
    }

    #[test]
    fn rfc3339_pads_every_field() {
        let t = DateTime::from_timestamp(-62_135_596_800 + 86_400 * 40 + 3_661, 0).unwrap();
        assert_eq!(rfc3339(t), "0001-02-10T01:01:01Z");
        assert_eq!(rfc3339(crate::ledger::last_storable()), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn parses_the_documented_forms() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let z = parse_user("--now", "2026-11-23T09:30:00Z", tz).unwrap();
        assert_eq!(rfc3339(z), "2026-11-23T09:30:00Z");
        let local = parse_user("--now", "2026-11-23 10:30", tz).unwrap();
        assert_eq!(local, z);
        let date = parse_user("--now", "2026-11-23", tz).unwrap();
        assert_eq!(rfc3339(date), "2026-11-22T23:00:00Z");
        assert!(parse_user("--now", "yesterday", tz).is_err());
        assert!(parse_user("--now", "2026-13-01", tz).is_err());
    }

    #[test]
    fn gap_times_are_refused_when_typed_and_move_forward_in_the_calendar() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29 02:30 does not exist in Berlin.
        let err = parse_user("--now", "2026-03-29 02:30", tz).unwrap_err();
        assert!(format!("{err:#}").contains("does not exist in Europe/Berlin"), "{err:#}");
        assert!(
            format!("{err:#}").ends_with("give a later time or an offset, like 2026-03-29T02:30:00+01:00"),
            "{err:#}"
        );
        let ny: Tz = "America/New_York".parse().unwrap();
        let err = parse_user("--now", "2027-03-14 02:30", ny).unwrap_err();
        assert!(format!("{err:#}").ends_with("like 2027-03-14T02:30:00-05:00"), "{err:#}");
        let naive = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(rfc3339(local_to_utc(tz, naive).unwrap()), "2026-03-29T01:00:00Z");
        // 2026-10-25 02:30 happens twice in Berlin: its offset is asked for.
        let err = parse_user("--opened-at", "2026-10-25 02:30", tz).unwrap_err();
        assert!(
            format!("{err:#}").ends_with(
                "happens twice in Europe/Berlin (the clocks go back): give its offset, \
                 2026-10-25T02:30:00+02:00 (the first) or 2026-10-25T02:30:00+01:00 (the second)"
            ),
            "{err:#}"
        );
        assert_eq!(rfc3339(parse_user("--now", "2026-10-25T02:30:00+01:00", tz).unwrap()), "2026-10-25T01:30:00Z");
    }

    #[test]
    fn spans_read_well() {
        assert_eq!(span(Duration::minutes(133)), "2h 13m");
        assert_eq!(span(Duration::minutes(60 * 24 * 3 + 65)), "3d 1h");
        assert_eq!(span(Duration::zero()), "0m");
        assert_eq!(span(Duration::seconds(20)), "<1m");
        assert_eq!(span_exact(Duration::minutes(3945)), "2d 17h 45m");
        assert_eq!(span_exact(Duration::minutes(133)), "2h 13m");
        let now = utc(2026, 1, 1, 0, 0).unwrap();
        assert_eq!(relative(now + Duration::minutes(5), now), "in 5m");
        assert_eq!(relative(now - Duration::minutes(5), now), "5m ago");
    }
}
