//! What a page answers when it cannot show what was asked: a page of its own
//! with the status, one line saying what is wrong and what exists, and the
//! ways on.

use askama::Template;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// No page at this path.
    #[error("nothing is published at {0}: the site's paths are listed on its home page")]
    NoSuchPath(String),
    #[error("no file {0} is served under /assets/")]
    NoSuchAsset(String),
    #[error("'{0}' is not a date: write YYYY-MM-DD, e.g. 2022-06-01")]
    BadDate(String),
    #[error(
        "'{0}' is not a record time: write an RFC 3339 instant, e.g. known_at=2026-01-01T00:00:00Z"
    )]
    BadKnownAt(String),
    #[error("'{0}' is not a feed page: pages are numbered from 1")]
    BadPage(String),
    #[error(
        "'{0}' is not a jurisdiction: use CN for the national standard or a six-digit division code such as 310000"
    )]
    BadJurisdiction(String),
    #[error("'{0}' is not an item id: item ids are lowercase words joined by hyphens")]
    BadItem(String),
    #[error("'{0}' is not a revision id")]
    BadRevision(String),
    /// The read model cannot answer (unknown standard, item or revision, a reversed comparison, …).
    #[error("{message}")]
    Query { status: StatusCode, message: String },
    /// A download could not be written: a fault of this program.
    #[error("the download could not be written: {0}")]
    Download(String),
    /// A template failed to render: a fault of this program, not of the request.
    #[error("the page could not be rendered")]
    Render(#[from] askama::Error),
}

impl SiteError {
    pub fn status(&self) -> StatusCode {
        match self {
            SiteError::NoSuchPath(_)
            | SiteError::NoSuchAsset(_)
            | SiteError::BadDate(_)
            | SiteError::BadJurisdiction(_)
            | SiteError::BadItem(_)
            | SiteError::BadRevision(_) => StatusCode::NOT_FOUND,
            SiteError::BadKnownAt(_) | SiteError::BadPage(_) => StatusCode::BAD_REQUEST,
            SiteError::Query { status, .. } => *status,
            SiteError::Render(_) | SiteError::Download(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: crate::pages::Chrome,
    status: u16,
    heading: &'a str,
    message: String,
}

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let SiteError::Render(e) = &self {
            tracing::error!(error = %e, "rendering a page failed");
        }
        let heading = match status {
            StatusCode::NOT_FOUND => "未找到 (not found)",
            StatusCode::BAD_REQUEST => "请求有误 (bad request)",
            _ => "服务器内部错误 (internal error)",
        };
        let page = ErrorPage {
            chrome: crate::pages::Chrome::plain(heading),
            status: status.as_u16(),
            heading,
            message: self.to_string(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                self.to_string(),
            )
                .into_response(),
        }
    }
}

/// Any path the site does not publish.
pub async fn fallback(uri: Uri) -> SiteError {
    SiteError::NoSuchPath(uri.path().to_owned())
}

impl From<registry::query::QueryError> for SiteError {
    fn from(error: registry::query::QueryError) -> Self {
        use registry::query::QueryError;
        let status = match &error {
            QueryError::ReversedDiff { .. } | QueryError::AmbiguousItem { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::NOT_FOUND,
        };
        SiteError::Query {
            status,
            message: error.to_string(),
        }
    }
}
