//! `/compliance/{code}/{date}` (one locality) and
//! `/compliance/summary/{parent}/{date}` (every locality below a division).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use compliance::{ComplianceReport, ComplianceSummary, Severity};
use registry::query::Point;

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "compliance.html")]
struct LocalityPage {
    chrome: Chrome,
    view: ComplianceReport,
    keep: String,
    violations: u32,
    undetermined: u32,
    notices: u32,
}

#[derive(Template)]
#[template(path = "compliance_summary.html")]
struct SummaryPage {
    chrome: Chrome,
    view: ComplianceSummary,
    keep: String,
}

pub async fn locality(
    State(site): State<SiteState>,
    Path((code, date)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let code = params::jurisdiction(&code)?;
    let valid_at = params::date(&date)?;
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let view = ask
        .registry
        .compliance(&code, Point::new(valid_at, ask.known_at))?;
    let path = format!("/compliance/{code}/{valid_at}");
    let label = view.name.clone().unwrap_or_else(|| code.to_string());
    let mut chrome = ask.chrome(
        format!("{label} 达标情况 · {valid_at}"),
        vec![
            Link::new(
                format!("/compliance/summary/CN/{valid_at}{}", ask.keep()),
                "地方达标",
            ),
            Link::new(path.clone(), format!("{label} · {valid_at}")),
        ],
    );
    chrome.times = Some(ask.times(&path, Some(valid_at)));
    ask.html(
        StatusCode::OK,
        &LocalityPage {
            chrome,
            violations: view.count(Severity::Violation),
            undetermined: view.count(Severity::Undetermined),
            notices: view.count(Severity::Notice),
            view,
            keep: ask.keep(),
        },
    )
}

pub async fn summary(
    State(site): State<SiteState>,
    Path((parent, date)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let parent = params::jurisdiction(&parent)?;
    let valid_at = params::date(&date)?;
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let view = ask
        .registry
        .compliance_summary(&parent, Point::new(valid_at, ask.known_at))?;
    let path = format!("/compliance/summary/{parent}/{valid_at}");
    let mut chrome = ask.chrome(
        format!("地方达标 · {valid_at}"),
        vec![Link::new(path.clone(), format!("地方达标 · {valid_at}"))],
    );
    chrome.times = Some(ask.times(&path, Some(valid_at)));
    ask.html(
        StatusCode::OK,
        &SummaryPage {
            chrome,
            view,
            keep: ask.keep(),
        },
    )
}
