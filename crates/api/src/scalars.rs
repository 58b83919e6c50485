//! The scalars of the schema: `Date` (valid time) and `DateTime` (record time).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// A calendar date in the calendar the standards are published in (China
/// Standard Time), written `YYYY-MM-DD`, e.g. `2022-06-01`. Valid time: the
/// day a text is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
/// A calendar date in the calendar the standards are published in (China
/// Standard Time), written `YYYY-MM-DD`, e.g. `2022-06-01`. Valid time: the
/// day a text is in force.
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => domain::input::parse_date(text)
                .map(Date)
                .map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An instant in RFC 3339, e.g. `2023-01-01T00:00:00Z` or
/// `2023-01-01T08:00:00+08:00`; answers are in UTC with as many fractional
/// digits as needed (record time is kept to the microsecond). Record time: when
/// the registry learned something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
/// An instant in RFC 3339, e.g. `2023-01-01T00:00:00Z` or
/// `2023-01-01T08:00:00+08:00`; answers are in UTC with as many fractional
/// digits as needed (record time is kept to the microsecond). Record time: when
/// the registry learned something.
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text.trim())
                .map(|t| DateTime(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "'{}' is not an instant: use RFC 3339, e.g. 2023-01-01T00:00:00Z",
                        domain::input::quote(text)
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<NaiveDate> for Date {
    fn from(value: NaiveDate) -> Self {
        Date(value)
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(value: chrono::DateTime<Utc>) -> Self {
        DateTime(value)
    }
}

/// Written as the import format writes dates, for the typed inputs that are
/// turned into its shape.
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.format("%Y-%m-%d"))
    }
}
