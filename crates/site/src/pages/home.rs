//! `/`: the standards on record, what is in force today, their latest
//! revisions and what is pending.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registry::view::StandardSummary;

use super::{Ask, Chrome};
use crate::SiteState;
use crate::error::SiteError;
use crate::params::PageQuery;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    standards: Vec<StandardSummary>,
    keep: String,
}

pub async fn page(
    State(site): State<SiteState>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let standards = ask.registry.standards(ask.today, ask.known_at);
    let mut chrome = ask.chrome("首页", Vec::new());
    chrome.times = Some(ask.times("/", Some(ask.today)));
    ask.html(
        StatusCode::OK,
        &HomePage {
            chrome,
            standards,
            keep: ask.keep(),
        },
    )
}
