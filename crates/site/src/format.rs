//! How times and absent values read on a page.

use chrono::{DateTime, SecondsFormat, Utc};

/// Machine form of a record time (`datetime` attributes, links): RFC 3339, UTC.
pub fn instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reading form of a record time: to the second, UTC said.
pub fn instant_text(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
