//! `/revisions/{id}`: the document, its status, and its effects table:
//! every item it touched, before and after.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registry::view::RevisionDetail;

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::cite::Citation;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "revision.html")]
struct RevisionPage {
    chrome: Chrome,
    view: RevisionDetail,
    keep: String,
    cite: Citation,
}

pub async fn page(
    State(site): State<SiteState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let id = params::revision(&id)?;
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let view = ask.registry.revision(&id, ask.known_at, ask.today)?;
    let path = format!("/revisions/{id}");
    let jurisdiction = view.jurisdiction.clone();
    let name = super::standard_name(&jurisdiction);
    let mut chrome = ask.chrome(
        view.revision.info.title.clone(),
        vec![
            Link::new(format!("/{jurisdiction}{}", ask.keep()), name.clone()),
            Link::new(path.clone(), view.revision.info.title.clone()),
        ],
    );
    let times = ask.times(&path, None);
    let cite = Citation::of_revision(&view, &times.permalink, &ask);
    chrome.times = Some(times);
    chrome.feeds.push(Link::new(
        format!("/{jurisdiction}/feed.atom"),
        format!("{name}的修订 (revisions of {jurisdiction})"),
    ));
    ask.html(
        StatusCode::OK,
        &RevisionPage {
            chrome,
            view,
            keep: ask.keep(),
            cite,
        },
    )
}
