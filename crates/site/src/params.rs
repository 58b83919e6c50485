//! Parsing what a path or query string carries; each failure says what was
//! expected.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use serde::Deserialize;

use crate::error::SiteError;

/// The query parameters pages take.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// Record time (RFC 3339): the page as the registry stood then.
    pub known_at: Option<String>,
    /// A page of a feed, from 1.
    pub page: Option<String>,
    /// The date a form asks for (`/{jurisdiction}?date=`), redirected to its path.
    pub date: Option<String>,
    /// The two dates a comparison form asks for (`/{jurisdiction}/compare?from=&to=`).
    pub from: Option<String>,
    pub to: Option<String>,
    /// A search's words (`/search?q=`), the standard it is limited to (`only`:
    /// without those below it), its aspect and category filters, and its page
    /// cursor. The fields searched come as repeated `field=` pairs, which this
    /// struct cannot hold: [`repeated`] reads them.
    pub q: Option<String>,
    pub jurisdiction: Option<String>,
    pub only: Option<String>,
    pub aspect: Option<String>,
    pub category: Option<String>,
    pub after: Option<String>,
}

impl PageQuery {
    pub fn known_at(&self) -> Result<Option<DateTime<Utc>>, SiteError> {
        match self.known_at.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => DateTime::parse_from_rfc3339(text)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| SiteError::BadKnownAt(text.to_owned())),
        }
    }

    /// The feed page asked for; 1 without one.
    pub fn page(&self) -> Result<usize, SiteError> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| SiteError::BadPage(text.to_owned())),
        }
    }
}

/// Every value of `key` in a query string, in order, empty ones left out.
pub fn repeated(raw: Option<&str>, key: &str) -> Vec<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

pub fn date(text: &str) -> Result<NaiveDate, SiteError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| SiteError::BadDate(text.to_owned()))
}

pub fn jurisdiction(text: &str) -> Result<Jurisdiction, SiteError> {
    Jurisdiction::parse(text).map_err(|_| SiteError::BadJurisdiction(text.to_owned()))
}

pub fn item(text: &str) -> Result<ItemId, SiteError> {
    ItemId::parse(text).map_err(|_| SiteError::BadItem(text.to_owned()))
}

pub fn revision(text: &str) -> Result<RevisionId, SiteError> {
    RevisionId::parse(text).map_err(|_| SiteError::BadRevision(text.to_owned()))
}

/// Record time as it appears in links: UTC, microseconds, `Z` (no `+` to escape).
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
