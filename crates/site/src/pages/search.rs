//! `/search?q=`: words and phrases in item names and fields, in force on a
//! day (today by default) or over all of valid time (`date=all`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registry::search::{SEARCH_PAGE_DEFAULT, SearchRequest, SearchResults};
use search::{Scope, When};

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    date: String,
    jurisdiction: String,
    results: Option<SearchResults>,
    next: Option<String>,
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
    let q = query.q.clone().unwrap_or_default().trim().to_owned();
    let date = query.date.clone().unwrap_or_default().trim().to_owned();
    let jurisdiction = query
        .jurisdiction
        .clone()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let when = match date.as_str() {
        "all" => When::History {
            known_at: ask.known_at,
        },
        "" => When::At {
            valid_at: ask.today,
            known_at: ask.known_at,
        },
        day => When::At {
            valid_at: params::date(day)?,
            known_at: ask.known_at,
        },
    };
    let scope = match jurisdiction.as_str() {
        "" => None,
        code => Some((params::jurisdiction(code)?, Scope::WithLocalities)),
    };
    let results = if q.is_empty() {
        None
    } else {
        Some(
            ask.registry
                .search(&SearchRequest {
                    query: q.clone(),
                    jurisdiction: scope,
                    aspect: None,
                    category: None,
                    fields: Vec::new(),
                    when,
                    first: SEARCH_PAGE_DEFAULT,
                    after: query.after.clone().filter(|a| !a.is_empty()),
                })
                .map_err(|e| SiteError::Query {
                    status: StatusCode::BAD_REQUEST,
                    message: e.to_string(),
                })?,
        )
    };
    let next = results
        .as_ref()
        .and_then(|r| r.next_cursor.as_ref())
        .map(|cursor| {
            let mut pairs = vec![
                ("q", q.as_str()),
                ("date", date.as_str()),
                ("after", cursor.as_str()),
            ];
            if !jurisdiction.is_empty() {
                pairs.push(("jurisdiction", jurisdiction.as_str()));
            }
            let known;
            if let Some(t) = ask.known_at {
                known = params::instant(t);
                pairs.push(("known_at", known.as_str()));
            }
            format!("/search?{}", serde_urlencoded_pairs(&pairs))
        });
    let mut chrome = ask.chrome(
        if q.is_empty() {
            "检索".to_owned()
        } else {
            format!("检索:{q}")
        },
        vec![Link::new("/search", "检索 (search)")],
    );
    chrome.times = Some(ask.times("/search", None));
    ask.html(
        StatusCode::OK,
        &SearchPage {
            chrome,
            q,
            date,
            jurisdiction,
            results,
            next,
        },
    )
}

/// `k=v&…`, each part percent-encoded.
fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
