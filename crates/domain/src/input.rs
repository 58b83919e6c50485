//! What every entry point (import files, the command line, GraphQL) shares
//! about raw input: how errors quote it, and the one date format.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer};

use crate::model::Known;

/// Most characters of an input an error message quotes; the rest is elided.
pub const QUOTE_CHARS_MAX: usize = 200;

/// Earliest year a date may have.
pub const YEAR_MIN: i32 = 1900;
/// Latest year a date may have.
pub const YEAR_MAX: i32 = 2999;

/// An input as an error message quotes it: whole if it is short, otherwise
/// as much as fits in [`QUOTE_CHARS_MAX`] characters and its length, so that
/// an error never echoes an unbounded input. Control characters are escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for (at, c) in text.char_indices() {
        let escaped: String = if c.is_control() {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        count += escaped.chars().count();
        if count > QUOTE_CHARS_MAX {
            out.push_str(&format!("… ({} bytes in all)", text.len()));
            debug_assert!(at < text.len());
            return out;
        }
        out.push_str(&escaped);
    }
    out
}

/// A date that is not exactly `YYYY-MM-DD` within [`YEAR_MIN`]..=[`YEAR_MAX`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{quoted}' is not a date: use YYYY-MM-DD with a year from {YEAR_MIN} to {YEAR_MAX}, e.g. 2022-06-01"
)]
pub struct DateError {
    quoted: String,
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, no
/// sign, no spaces) of a real day between [`YEAR_MIN`] and [`YEAR_MAX`]: the
/// only form in which dates are read and written everywhere.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let error = || DateError {
        quoted: quote(text),
    };
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(error());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| error());
    let year = number(0..4)? as i32;
    let date = NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?).ok_or_else(error)?;
    if !(YEAR_MIN..=YEAR_MAX).contains(&date.year()) {
        return Err(error());
    }
    Ok(date)
}

/// `deserialize_with` for a date field: [`parse_date`].
pub fn deserialize_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    parse_date(&text).map_err(serde::de::Error::custom)
}

/// `deserialize_with` for a date that may not be on record (`null`).
pub fn deserialize_known_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Known<NaiveDate>, D::Error> {
    let text = Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    match text {
        None => Ok(Known::Unknown),
        Some(text) => parse_date(&text)
            .map(Known::Known)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exactly_yyyy_mm_dd_within_the_years() {
        let accepted = [
            ("2022-06-01", (2022, 6, 1)),
            ("1900-01-01", (1900, 1, 1)),
            ("2999-12-31", (2999, 12, 31)),
            ("2024-02-29", (2024, 2, 29)),
        ];
        for (text, (y, m, d)) in accepted {
            assert_eq!(
                parse_date(text),
                Ok(NaiveDate::from_ymd_opt(y, m, d).unwrap())
            );
        }
        let refused = [
            "+262142-12-31",
            "2023-2-3",
            "2023-02-3",
            " 2023-02-03",
            "2023-02-03 ",
            "1899-12-31",
            "3000-01-01",
            "2023-02-30",
            "2023-13-01",
            "2023/02/03",
            "-2023-02-03",
            "２０２３-02-03",
            "",
            "2023-02-03T00:00:00Z",
        ];
        for text in refused {
            let error = parse_date(text).unwrap_err().to_string();
            assert!(error.contains("YYYY-MM-DD"), "{text}: {error}");
        }
    }

    #[test]
    fn quotes_are_bounded_and_escaped() {
        assert_eq!(quote("510100"), "510100");
        assert_eq!(quote("a\nb"), "a\\nb");
        let long = "9".repeat(1_000_000);
        let quoted = quote(&long);
        assert!(quoted.len() < 300, "{}", quoted.len());
        assert!(quoted.ends_with("… (1000000 bytes in all)"), "{quoted}");
        let chinese = "国".repeat(QUOTE_CHARS_MAX + 1);
        assert!(quote(&chinese).starts_with(&"国".repeat(QUOTE_CHARS_MAX)));
        let controls = "\u{1}".repeat(QUOTE_CHARS_MAX);
        assert!(quote(&controls).chars().count() < QUOTE_CHARS_MAX + 30);
    }
}
