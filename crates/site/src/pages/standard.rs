//! `/{jurisdiction}` (redirects to today), `/{jurisdiction}/{date}` (the
//! consolidated standard in force that day) and its downloads
//! `/{jurisdiction}/{date}.csv` and `.json`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use registry::page::EditionPage;
use registry::query::Point;

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "standard.html")]
struct StandardPage {
    chrome: Chrome,
    view: EditionPage,
    path: String,
    keep: String,
    name: String,
}

/// `GET /{jurisdiction}`: the standard in force today (China's calendar), keeping `known_at`.
pub async fn today(
    State(site): State<SiteState>,
    Path(jurisdiction): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let jurisdiction = params::jurisdiction(&jurisdiction)?;
    let ask = Ask::new(&site, &headers, &query)?;
    let day = match query.date.as_deref().filter(|d| !d.is_empty()) {
        Some(date) => params::date(date)?,
        None => ask.today,
    };
    Ok(Redirect::to(&format!("/{jurisdiction}/{day}{}", ask.keep())).into_response())
}

/// `GET /{jurisdiction}/{date}`, `…/{date}.csv`, `…/{date}.json`.
pub async fn page(
    State(site): State<SiteState>,
    Path((jurisdiction, date)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let jurisdiction = params::jurisdiction(&jurisdiction)?;
    let (date, format) = match date.rsplit_once('.') {
        Some((date, "csv")) => (date, Format::Csv),
        Some((date, "json")) => (date, Format::Json),
        _ => (date.as_str(), Format::Html),
    };
    let valid_at = params::date(date)?;
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let at = Point::new(valid_at, ask.known_at);
    let view = ask.registry.edition_page(&jurisdiction, at, ask.today)?;
    match format {
        Format::Csv => Ok(ask.bytes(
            "text/csv; charset=utf-8",
            crate::download::edition_csv(&view.edition)?,
        )),
        Format::Json => Ok(ask.bytes(
            "application/json; charset=utf-8",
            serde_json::to_vec_pretty(&view.edition).unwrap_or_default(),
        )),
        Format::Html => {
            let path = format!("/{jurisdiction}/{valid_at}");
            let name = super::standard_name(&jurisdiction);
            let mut chrome = ask.chrome(
                format!("{name} · {valid_at}"),
                vec![Link::new(path.clone(), format!("{name} · {valid_at}"))],
            );
            chrome.times = Some(ask.times(&path, Some(valid_at)));
            chrome.feeds.push(Link::new(
                format!("/{jurisdiction}/feed.atom"),
                format!("{name}的修订 (revisions of {jurisdiction})"),
            ));
            // A day on which no text was in force is not found, and says what exists.
            let status = if view.edition.in_force {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            ask.html(
                status,
                &StandardPage {
                    chrome,
                    view,
                    path,
                    keep: ask.keep(),
                    name,
                },
            )
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Html,
    Csv,
    Json,
}
