//! Conditional GET: every page is a function of the log position the index
//! has reached, the signed checkpoint it cites, the calendar day in China
//! (what is pending turns in force at midnight there) and the build's
//! assets. The entity tag names all four; `Last-Modified` is the later of
//! the last record time and the start of that day.

use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};

/// The validators of one answer.
#[derive(Debug, Clone)]
pub struct Validators {
    etag: String,
    last_modified: SystemTime,
}

impl Validators {
    pub fn new(
        indexed: u64,
        checkpoint_size: Option<u64>,
        today: NaiveDate,
        recorded_up_to: Option<DateTime<Utc>>,
    ) -> Self {
        let checkpoint = checkpoint_size.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let etag = format!(
            "W/\"{indexed}.{checkpoint}.{}.{}\"",
            today.format("%Y%m%d"),
            crate::assets::version()
        );
        // Midnight in China (UTC+8) is 16:00 UTC the day before.
        let day_start = today
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - chrono::Duration::hours(8));
        let last = recorded_up_to.max(day_start).unwrap_or_default();
        let last_modified = SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(last.timestamp()).unwrap_or(0));
        Self {
            etag,
            last_modified,
        }
    }

    /// True when the client's copy is current (RFC 9110 §13.2.2: `If-None-Match`
    /// wins over `If-Modified-Since`).
    pub fn fresh(&self, headers: &HeaderMap) -> bool {
        if headers.contains_key(header::IF_NONE_MATCH) {
            return matches(headers, &self.etag);
        }
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| since >= self.last_modified)
    }

    pub fn not_modified(&self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.apply(&mut response);
        response
    }

    pub fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, value);
        }
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(self.last_modified)) {
            headers.insert(header::LAST_MODIFIED, value);
        }
        // Revalidate every time: a new revision may be recorded at any moment.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
}

/// Whether `If-None-Match` names `tag` (weak comparison) or is `*`.
pub fn matches(headers: &HeaderMap, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(tag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || opaque(t) == wanted)
}
