//! `/{jurisdiction}/{date}/items/{item}`: the item's text that day, its
//! timeline to the documents, its lineage, and how to cite it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registry::page::ItemPage;
use registry::query::Point;

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::cite::Citation;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "item.html")]
struct ItemTemplate {
    chrome: Chrome,
    view: ItemPage,
    keep: String,
    cite: Citation,
}

pub async fn page(
    State(site): State<SiteState>,
    Path((jurisdiction, date, item)): Path<(String, String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let jurisdiction = params::jurisdiction(&jurisdiction)?;
    let valid_at = params::date(&date)?;
    let item = params::item(&item)?;
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let at = Point::new(valid_at, ask.known_at);
    let view = ask
        .registry
        .item_page(&jurisdiction, &item, at, ask.today)?;
    let path = format!("/{jurisdiction}/{valid_at}/items/{item}");
    let name = super::standard_name(&jurisdiction);
    let item_name = view
        .item
        .item
        .as_ref()
        .and_then(|i| i.item.name.as_known().map(|n| n.to_string()))
        .unwrap_or_else(|| item.to_string());
    let mut chrome = ask.chrome(
        format!("{item_name} · {valid_at}"),
        vec![
            Link::new(
                format!("/{jurisdiction}/{valid_at}{}", ask.keep()),
                format!("{name} · {valid_at}"),
            ),
            Link::new(path.clone(), item_name.clone()),
        ],
    );
    let times = ask.times(&path, Some(valid_at));
    let cite = Citation::of_item(&view, &item_name, &times.permalink, &ask);
    chrome.times = Some(times);
    chrome.feeds.push(Link::new(
        format!("/{jurisdiction}/feed.atom"),
        format!("{name}的修订 (revisions of {jurisdiction})"),
    ));
    let status = if view.item.item.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    ask.html(
        status,
        &ItemTemplate {
            chrome,
            view,
            keep: ask.keep(),
            cite,
        },
    )
}
