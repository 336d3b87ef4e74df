//! Named time intervals (`time_intervals:`) used to mute routes or make them active only at
//! certain times: times of day, weekdays, days of month, months, years, in a location.

use chrono::{DateTime, Datelike, Local, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Deserializer};

/// A named list of intervals; a time is inside when any interval contains it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeIntervalSet {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub time_intervals: Vec<TimeInterval>,
}

impl TimeIntervalSet {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.time_intervals.iter().any(|i| i.contains(t))
    }
}

/// One interval; an empty field places no restriction.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeInterval {
    #[serde(default)]
    pub times: Vec<TimeRange>,
    #[serde(default, deserialize_with = "de_weekdays")]
    pub weekdays: Vec<(i32, i32)>,
    #[serde(default, deserialize_with = "de_days_of_month")]
    pub days_of_month: Vec<(i32, i32)>,
    #[serde(default, deserialize_with = "de_months")]
    pub months: Vec<(i32, i32)>,
    #[serde(default, deserialize_with = "de_years")]
    pub years: Vec<(i32, i32)>,
    #[serde(default)]
    pub location: Option<Location>,
}

/// Minutes since midnight, start inclusive, end exclusive (`end_time` may be `24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start_minute: u32,
    pub end_minute: u32,
}

/// Where the interval's calendar is read. Only `UTC` and `Local` are available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Utc,
    Local,
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "UTC" | "" => Ok(Location::Utc),
            "Local" => Ok(Location::Local),
            other => Err(serde::de::Error::custom(format!(
                "unsupported location {other:?}: only \"UTC\" and \"Local\" are available"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start_time: String,
            end_time: String,
        }
        let raw = Raw::deserialize(d)?;
        let start = parse_clock(&raw.start_time).map_err(serde::de::Error::custom)?;
        let end = parse_clock(&raw.end_time).map_err(serde::de::Error::custom)?;
        if start >= end {
            return Err(serde::de::Error::custom(
                "start time cannot be equal or greater than end time",
            ));
        }
        Ok(TimeRange {
            start_minute: start,
            end_minute: end,
        })
    }
}

fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("couldn't parse timestamp {s}, invalid format");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(format!("timestamp {s} out of range"));
    }
    Ok(h * 60 + m)
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Parses `a` or `a:b` items, each end through `one`.
fn ranges(items: &[String], one: impl Fn(&str) -> Result<i32, String>) -> Result<Vec<(i32, i32)>, String> {
    items
        .iter()
        .map(|item| {
            let (a, b) = item.split_once(':').unwrap_or((item, item));
            Ok((one(a.trim())?, one(b.trim())?))
        })
        .collect()
}

fn de_weekdays<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(i32, i32)>, D::Error> {
    let items = Vec::<String>::deserialize(d)?;
    let rs = ranges(&items, |s| {
        let l = s.to_lowercase();
        WEEKDAYS
            .iter()
            .position(|w| *w == l)
            .map(|i| i as i32)
            .ok_or_else(|| format!("{s} is not a valid weekday"))
    })
    .map_err(serde::de::Error::custom)?;
    if rs.iter().any(|(a, b)| a > b) {
        return Err(serde::de::Error::custom("start day cannot be before end day"));
    }
    Ok(rs)
}

fn de_days_of_month<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(i32, i32)>, D::Error> {
    let items = Vec::<String>::deserialize(d)?;
    let rs = ranges(&items, |s| {
        let n: i32 = s.parse().map_err(|_| format!("invalid day of month {s}"))?;
        if n == 0 || !(-31..=31).contains(&n) {
            return Err(format!("{n} is not a valid day of the month: out of range"));
        }
        Ok(n)
    })
    .map_err(serde::de::Error::custom)?;
    for &(a, b) in &rs {
        if (a > 0) == (b > 0) && a > b {
            return Err(serde::de::Error::custom("end day must be greater than start day"));
        }
        if a > 0 && b < 0 {
            // Positive start with a negative end is allowed; it is resolved per month.
            continue;
        }
        if a < 0 && b > 0 {
            return Err(serde::de::Error::custom(
                "end day must be negative if start day is negative",
            ));
        }
    }
    Ok(rs)
}

fn de_months<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(i32, i32)>, D::Error> {
    let items = Vec::<String>::deserialize(d)?;
    let rs = ranges(&items, |s| {
        if let Ok(n) = s.parse::<i32>() {
            return if (1..=12).contains(&n) {
                Ok(n)
            } else {
                Err(format!("{n} is not a valid month"))
            };
        }
        let l = s.to_lowercase();
        MONTHS
            .iter()
            .position(|m| *m == l)
            .map(|i| i as i32 + 1)
            .ok_or_else(|| format!("{s} is not a valid month"))
    })
    .map_err(serde::de::Error::custom)?;
    if rs.iter().any(|(a, b)| a > b) {
        return Err(serde::de::Error::custom(
            "end month must be greater than start month",
        ));
    }
    Ok(rs)
}

fn de_years<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(i32, i32)>, D::Error> {
    let items = Vec::<String>::deserialize(d)?;
    let rs = ranges(&items, |s| {
        s.parse::<i32>().map_err(|_| format!("invalid year {s}"))
    })
    .map_err(serde::de::Error::custom)?;
    if rs.iter().any(|(a, b)| a > b) {
        return Err(serde::de::Error::custom(
            "end year must be greater than start year",
        ));
    }
    Ok(rs)
}

fn days_in_month(year: i32, month: u32) -> i32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(ny, nm, 1),
        NaiveDate::from_ymd_opt(year, month, 1),
    ) {
        (Some(a), Some(b)) => (a - b).num_days() as i32,
        _ => 31,
    }
}

/// Calendar fields of an instant in the interval's location.
struct Civil {
    minute_of_day: u32,
    weekday: i32,
    day: i32,
    month: i32,
    year: i32,
}

fn civil<T: Datelike + Timelike>(t: &T) -> Civil {
    Civil {
        minute_of_day: t.hour() * 60 + t.minute(),
        weekday: t.weekday().num_days_from_sunday() as i32,
        day: t.day() as i32,
        month: t.month() as i32,
        year: t.year(),
    }
}

impl TimeInterval {
    /// Is the instant inside this interval (read in its location)?
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let c = match self.location {
            Some(Location::Local) => civil(&t.with_timezone(&Local)),
            _ => civil(&t),
        };
        if !self.times.is_empty()
            && !self
                .times
                .iter()
                .any(|r| c.minute_of_day >= r.start_minute && c.minute_of_day < r.end_minute)
        {
            return false;
        }
        let within = |rs: &[(i32, i32)], v: i32| rs.is_empty() || rs.iter().any(|&(a, b)| v >= a && v <= b);
        if !within(&self.weekdays, c.weekday)
            || !within(&self.months, c.month)
            || !within(&self.years, c.year)
        {
            return false;
        }
        if !self.days_of_month.is_empty() {
            let n = days_in_month(c.year, c.month as u32);
            let abs = |d: i32| if d < 0 { n + d + 1 } else { d.min(n) };
            if !self
                .days_of_month
                .iter()
                .any(|&(a, b)| c.day >= abs(a) && c.day <= abs(b))
            {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn interval(yaml: &str) -> TimeInterval {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn business_hours() {
        let i = interval(
            "times: [{start_time: '09:00', end_time: '17:00'}]\nweekdays: ['monday:friday']\nlocation: UTC",
        );
        // 2024-01-01 was a Monday.
        assert!(i.contains(at(2024, 1, 1, 9, 0)));
        assert!(i.contains(at(2024, 1, 5, 16, 59)));
        assert!(!i.contains(at(2024, 1, 1, 17, 0)));
        assert!(!i.contains(at(2024, 1, 6, 10, 0)));
    }

    #[test]
    fn days_months_years() {
        let i = interval("days_of_month: ['-1']\nmonths: ['february', '12']\nyears: ['2024:2025']");
        assert!(i.contains(at(2024, 2, 29, 0, 0)));
        assert!(!i.contains(at(2024, 2, 28, 0, 0)));
        assert!(i.contains(at(2025, 12, 31, 23, 59)));
        assert!(!i.contains(at(2026, 12, 31, 0, 0)));
        assert!(!i.contains(at(2024, 3, 31, 0, 0)));
        let all_day = interval("times: [{start_time: '00:00', end_time: '24:00'}]");
        assert!(all_day.contains(at(2024, 1, 1, 23, 59)));
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            "weekdays: [funday]",
            "weekdays: ['friday:monday']",
            "days_of_month: ['0']",
            "days_of_month: ['32']",
            "months: ['13']",
            "times: [{start_time: '10:00', end_time: '09:00'}]",
            "times: [{start_time: '10:60', end_time: '11:00'}]",
            "location: Mars/Base",
            "hours: [1]",
        ] {
            assert!(serde_saphyr::from_str::<TimeInterval>(bad).is_err(), "{bad}");
        }
    }
}
