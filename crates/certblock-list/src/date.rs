//! Calendar dates (`added`) and UTC instants (certificate validity), checked on parse.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date, `YYYY-MM-DD`, as incidents record when they were added.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Date {
    /// Year, 1000 to 9999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to the length of that month.
    pub day: u8,
}

/// A UTC instant to the second, `YYYY-MM-DDTHH:MM:SSZ` (certificate notBefore and notAfter).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp {
    /// The day.
    pub date: Date,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 60 (a leap second is allowed, as X.509 GeneralizedTime allows it).
    pub second: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        _ => 28,
    }
}

fn digits(s: &str, what: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} {s:?} is not a number"));
    }
    s.parse()
        .map_err(|_| format!("{what} {s:?} is not a number"))
}

impl Date {
    /// Checks the ranges and builds a date.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, String> {
        if !(1000..=9999).contains(&year) {
            return Err(format!("year {year} is out of range 1000-9999"));
        }
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} is out of range 1-12"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(format!("day {day} does not exist in {year:04}-{month:02}"));
        }
        Ok(Date { year, month, day })
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || format!("{s:?} is not a date of the form YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(shape());
        }
        let year = digits(&s[0..4], "year").map_err(|_| shape())?;
        let month = digits(&s[5..7], "month").map_err(|_| shape())?;
        let day = digits(&s[8..10], "day").map_err(|_| shape())?;
        Date::new(year as u16, month as u8, day as u8).map_err(|why| format!("{s:?}: {why}"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Timestamp {
    /// Checks the ranges and builds an instant.
    pub fn new(date: Date, hour: u8, minute: u8, second: u8) -> Result<Self, String> {
        if hour > 23 || minute > 59 || second > 60 {
            return Err(format!(
                "time {hour:02}:{minute:02}:{second:02} is out of range"
            ));
        }
        Ok(Timestamp {
            date,
            hour,
            minute,
            second,
        })
    }
}

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (Unix time, UTC, no leap seconds; negative before
    /// 1970). A leap second (`:60`) counts as the first second of the next minute.
    pub fn to_unix_seconds(&self) -> i64 {
        days_from_civil(self.date.year, self.date.month, self.date.day) * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: u16, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl FromStr for Timestamp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || format!("{s:?} is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ");
        let b = s.as_bytes();
        if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return Err(shape());
        }
        let date: Date = s[0..10].parse()?;
        let hour = digits(&s[11..13], "hour").map_err(|_| shape())?;
        let minute = digits(&s[14..16], "minute").map_err(|_| shape())?;
        let second = digits(&s[17..19], "second").map_err(|_| shape())?;
        Timestamp::new(date, hour as u8, minute as u8, second as u8)
            .map_err(|why| format!("{s:?}: {why}"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date, self.hour, self.minute, self.second
        )
    }
}

macro_rules! serde_via_str {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

serde_via_str!(Date);
serde_via_str!(Timestamp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_print_and_order() {
        let d: Date = "2019-08-21".parse().unwrap();
        assert_eq!(d.to_string(), "2019-08-21");
        assert!(d < "2019-08-22".parse().unwrap());
        assert!("2020-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn impossible_dates_are_refused_with_a_reason() {
        assert!(
            "2019-02-29"
                .parse::<Date>()
                .unwrap_err()
                .contains("does not exist")
        );
        assert!("1900-02-29".parse::<Date>().is_err());
        assert!(
            "2019-13-01"
                .parse::<Date>()
                .unwrap_err()
                .contains("month 13")
        );
        assert!(
            "2019-8-21"
                .parse::<Date>()
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!("2019-08-2x".parse::<Date>().is_err());
    }

    #[test]
    fn unix_seconds_match_known_instants() {
        let secs = |s: &str| s.parse::<Timestamp>().unwrap().to_unix_seconds();
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("1969-12-31T23:59:59Z"), -1);
        assert_eq!(secs("2000-03-01T00:00:00Z"), 951_868_800);
        assert_eq!(secs("2016-02-02T05:41:00Z"), 1_454_391_660);
        assert_eq!(secs("2038-01-19T03:14:07Z"), 2_147_483_647);
        assert_eq!(secs("2024-02-29T12:00:00Z"), 1_709_208_000);
        assert_eq!(secs("2016-12-31T23:59:60Z"), secs("2017-01-01T00:00:00Z"));
    }

    #[test]
    fn timestamps_parse_and_print() {
        let t: Timestamp = "2016-02-02T05:41:00Z".parse().unwrap();
        assert_eq!(t.to_string(), "2016-02-02T05:41:00Z");
        assert!("2016-02-02T24:00:00Z".parse::<Timestamp>().is_err());
        assert!("2016-02-02 05:41:00".parse::<Timestamp>().is_err());
    }
}
