//! `/{jurisdiction}/compare/{from}/{to}`: what changed between two dates,
//! each item's fields with insertions and deletions marked.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use registry::query::Point;
use registry::view::DiffView;

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    chrome: Chrome,
    view: DiffView,
    jurisdiction: String,
    name: String,
    keep: String,
}

/// `GET /{jurisdiction}/compare?from=&to=`: the form's answer, redirected to the path.
pub async fn form(
    Path(jurisdiction): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, SiteError> {
    let jurisdiction = params::jurisdiction(&jurisdiction)?;
    let from = params::date(query.from.as_deref().unwrap_or_default())?;
    let to = params::date(query.to.as_deref().unwrap_or_default())?;
    let keep = query
        .known_at()?
        .map(|t| format!("?known_at={}", params::instant(t)))
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/{jurisdiction}/compare/{from}/{to}{keep}")).into_response())
}

pub async fn page(
    State(site): State<SiteState>,
    Path((jurisdiction, from, to)): Path<(String, String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let jurisdiction = params::jurisdiction(&jurisdiction)?;
    let from = params::date(&from)?;
    let to = params::date(&to)?;
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let view = ask.registry.diff(
        &jurisdiction,
        Point::new(from, ask.known_at),
        Point::new(to, ask.known_at),
    )?;
    let path = format!("/{jurisdiction}/compare/{from}/{to}");
    let name = super::standard_name(&jurisdiction);
    let mut chrome = ask.chrome(
        format!("{name} · {from} → {to}"),
        vec![
            Link::new(
                format!("/{jurisdiction}/{to}{}", ask.keep()),
                format!("{name} · {to}"),
            ),
            Link::new(path.clone(), format!("比较 {from} → {to}")),
        ],
    );
    chrome.times = Some(ask.times(&path, None));
    ask.html(
        StatusCode::OK,
        &ComparePage {
            chrome,
            view,
            jurisdiction: jurisdiction.to_string(),
            name,
            keep: ask.keep(),
        },
    )
}
