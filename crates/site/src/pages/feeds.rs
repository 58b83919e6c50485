//! `/feed.atom` (every standard) and `/{jurisdiction}/feed.atom`.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::Ask;
use crate::SiteState;
use crate::atom;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

const ATOM: &str = "application/atom+xml; charset=utf-8";

pub async fn all(
    State(site): State<SiteState>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let ask = Ask::new(&site, &headers, &query)?;
    let page = query.page()?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let feed = ask.registry.feed(None, ask.today, page, atom::PAGE_SIZE)?;
    let body = atom::write(
        &feed,
        "国家基本公共服务标准登记簿:全部修订",
        &ask.base,
        "/feed.atom",
        "/",
    )?;
    Ok(ask.bytes(ATOM, body))
}

pub async fn standard(
    State(site): State<SiteState>,
    Path(jurisdiction): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let jurisdiction = params::jurisdiction(&jurisdiction)?;
    let ask = Ask::new(&site, &headers, &query)?;
    let page = query.page()?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let feed = ask
        .registry
        .feed(Some(&jurisdiction), ask.today, page, atom::PAGE_SIZE)?;
    let title = format!("{}的修订", super::standard_name(&jurisdiction));
    let body = atom::write(
        &feed,
        &title,
        &ask.base,
        &format!("/{jurisdiction}/feed.atom"),
        &format!("/{jurisdiction}"),
    )?;
    Ok(ask.bytes(ATOM, body))
}
