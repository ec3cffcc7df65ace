//! Policy durations: an amount of time and whether it counts clock or business time.

use std::fmt;

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Counting {
    Clock,
    Business,
}

/// A duration from the policy, such as "4h clock" or "90m business".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub minutes: i64,
    pub counting: Counting,
}

impl Span {
    pub fn clock_minutes(minutes: i64) -> Self {
        Span { minutes, counting: Counting::Clock }
    }

    pub fn business_minutes(minutes: i64) -> Self {
        Span { minutes, counting: Counting::Business }
    }

    pub fn parse(s: &str) -> Result<Span, String> {
        let expected = "expected an amount and how it counts, like \"4h clock\", \"1h30m business\" or \"2d clock\"";
        let mut words = s.split_whitespace();
        let (Some(amount), Some(how), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("invalid duration {s:?}: {expected}"));
        };
        let counting = match how {
            "clock" => Counting::Clock,
            "business" => Counting::Business,
            _ => {
                return Err(format!("invalid duration {s:?}: it counts \"clock\" or \"business\" time, not {how:?}"));
            }
        };
        let minutes = parse_amount(amount, counting).map_err(|why| format!("invalid duration {s:?}: {why}"))?;
        Ok(Span { minutes, counting })
    }
}

/// "1h30m" → 90. Units w, d (clock only), h, m; each at most once, largest first.
pub fn parse_amount(amount: &str, counting: Counting) -> Result<i64, String> {
    if amount.starts_with('-') {
        return Err("a duration is not negative: give it like \"2h\"".into());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut last_rank = usize::MAX;
    for ch in amount.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let (rank, per) = match ch {
            'w' => (3, 7 * 24 * 60),
            'd' => (2, 24 * 60),
            'h' => (1, 60),
            'm' => (0, 1),
            _ => return Err(format!("unknown unit {ch:?} (use w, d, h or m)")),
        };
        if counting == Counting::Business && rank >= 2 {
            return Err(
                "business time is given in hours and minutes (a business day's length depends on the calendar)".into(),
            );
        }
        if digits.is_empty() {
            return Err(format!("unit {ch:?} has no number before it"));
        }
        if rank >= last_rank {
            return Err("units go largest first, each once (like 1h30m)".into());
        }
        last_rank = rank;
        let n: i64 = digits.parse().map_err(|_| "the number is too large".to_string())?;
        total = n
            .checked_mul(per)
            .and_then(|m| total.checked_add(m))
            .filter(|t| *t <= 100 * 365 * 24 * 60)
            .ok_or("the duration is longer than 100 years")?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("{digits:?} has no unit (use w, d, h or m)"));
    }
    if last_rank == usize::MAX {
        return Err("no amount given".into());
    }
    Ok(total)
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        let mut out = String::new();
        let mut rest = m;
        if self.counting == Counting::Clock && rest >= 2 * 1440 && rest % 60 == 0 {
            out.push_str(&format!("{}d", rest / 1440));
            rest %= 1440;
        }
        if rest >= 60 {
            out.push_str(&format!("{}h", rest / 60));
            rest %= 60;
        }
        if rest > 0 || out.is_empty() {
            out.push_str(&format!("{rest}m"));
        }
        let how = match self.counting {
            Counting::Clock => "clock",
            Counting::Business => "business",
        };
        write!(f, "{out} {how}")
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Span::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(Span::parse("4h clock"), Ok(Span::clock_minutes(240)));
        assert_eq!(Span::parse("1h30m business"), Ok(Span::business_minutes(90)));
        assert_eq!(Span::parse("2d clock"), Ok(Span::clock_minutes(2880)));
        assert_eq!(Span::parse("0m clock"), Ok(Span::clock_minutes(0)));
        assert_eq!(Span::clock_minutes(2880).to_string(), "2d clock");
        assert_eq!(Span::business_minutes(90).to_string(), "1h30m business");
        assert_eq!(Span::clock_minutes(24 * 60).to_string(), "24h clock");
    }

    #[test]
    fn refuses_nonsense() {
        for bad in ["4h", "4 hours", "4h later", "2d business", "h clock", "4x clock", "30m1h clock", "4 clock", ""] {
            assert!(Span::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Span::parse("99999999999999999999h clock").is_err());
    }
}
