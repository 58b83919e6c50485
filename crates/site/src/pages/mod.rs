//! The pages. Each handler parses its path, asks the read model one question
//! and renders the view it gets inside the shared chrome (`base.html`).

pub mod compare;
pub mod compliance;
pub mod feeds;
pub mod home;
pub mod item;
pub mod revision;
pub mod search;
pub mod standard;

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use registry::Registry;
use transparency::SignedCheckpoint;

use crate::SiteState;
use crate::conditional::Validators;
use crate::error::SiteError;
use crate::params::{self, PageQuery};

/// A link with its text.
#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn new(href: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// The two times a page states, and its permanent link.
#[derive(Debug, Clone)]
pub struct Times {
    /// The date in force the page shows; `None` for pages not about one date.
    pub valid_at: Option<NaiveDate>,
    /// The record time asked for; `None`: as the registry stands now.
    pub known_at: Option<DateTime<Utc>>,
    /// Record time of the latest event the registry has indexed.
    pub recorded_up_to: Option<DateTime<Utc>>,
    /// The same page with the record time pinned: its content never changes.
    pub permalink: String,
    /// The same page as the registry stands now, when `known_at` was asked.
    pub now_link: Option<String>,
}

/// What every page shares: title, feeds, breadcrumbs, times.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub version: &'static str,
    pub today: NaiveDate,
    pub feeds: Vec<Link>,
    pub breadcrumbs: Vec<Link>,
    pub times: Option<Times>,
}

impl Chrome {
    /// The chrome of a page that shows no data (errors).
    pub fn plain(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            version: crate::assets::version(),
            today: registry::today(Utc::now()),
            feeds: vec![all_feed()],
            breadcrumbs: Vec::new(),
            times: None,
        }
    }
}

fn all_feed() -> Link {
    Link::new("/feed.atom", "全部修订 (all revisions)")
}

/// One request to the site: the times it is about, what the answer depends on
/// (for conditional GET), and the absolute base of its links.
#[derive(Debug)]
pub struct Ask {
    pub registry: std::sync::Arc<Registry>,
    pub today: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
    pub recorded_up_to: Option<DateTime<Utc>>,
    pub checkpoint: Option<SignedCheckpoint>,
    /// `http://host`, from the request's `Host`.
    pub base: String,
    validators: Validators,
}

impl Ask {
    pub fn new(
        site: &SiteState,
        headers: &HeaderMap,
        query: &PageQuery,
    ) -> Result<Self, SiteError> {
        let known_at = query.known_at()?;
        let today = registry::today(Utc::now());
        let indexed = *site.registry.indexed().borrow();
        let checkpoint = site.checkpoints.as_ref().and_then(|c| c.latest());
        let recorded_up_to = site.registry.recorded_up_to();
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
            .unwrap_or("localhost");
        Ok(Self {
            registry: std::sync::Arc::clone(&site.registry),
            today,
            known_at,
            recorded_up_to,
            validators: Validators::new(
                indexed,
                checkpoint.as_ref().map(|c| c.checkpoint.size),
                today,
                recorded_up_to,
            ),
            checkpoint,
            base: format!("http://{host}"),
        })
    }

    /// `Some(304)` when the client's copy is current.
    pub fn unchanged(&self, headers: &HeaderMap) -> Option<Response> {
        self.validators
            .fresh(headers)
            .then(|| self.validators.not_modified())
    }

    /// The record time a permanent link pins: the one asked, else the latest on record.
    pub fn pinned(&self) -> Option<DateTime<Utc>> {
        self.known_at.or(self.recorded_up_to)
    }

    /// `?known_at=…` for links that keep the record time asked (empty when none).
    pub fn keep(&self) -> String {
        self.known_at
            .map(|t| format!("?known_at={}", params::instant(t)))
            .unwrap_or_default()
    }

    /// The times of a page at `path` (without query).
    pub fn times(&self, path: &str, valid_at: Option<NaiveDate>) -> Times {
        let permalink = match self.pinned() {
            Some(t) => format!("{}{path}?known_at={}", self.base, params::instant(t)),
            None => format!("{}{path}", self.base),
        };
        Times {
            valid_at,
            known_at: self.known_at,
            recorded_up_to: self.recorded_up_to,
            permalink,
            now_link: self.known_at.map(|_| path.to_owned()),
        }
    }

    pub fn chrome(&self, title: impl Into<String>, breadcrumbs: Vec<Link>) -> Chrome {
        Chrome {
            title: title.into(),
            version: crate::assets::version(),
            today: self.today,
            feeds: vec![all_feed()],
            breadcrumbs,
            times: None,
        }
    }

    /// Renders a page with this answer's validators.
    pub fn html(&self, status: StatusCode, page: &impl Template) -> Result<Response, SiteError> {
        let body = page.render()?;
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response();
        self.validators.apply(&mut response);
        Ok(response)
    }

    /// A download or feed with this answer's validators.
    pub fn bytes(&self, content_type: &'static str, body: Vec<u8>) -> Response {
        let mut response = (
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body,
        )
            .into_response();
        self.validators.apply(&mut response);
        response
    }
}

/// What a standard is called: the national one, or a locality's by its name where on record.
pub fn standard_name(jurisdiction: &domain::ids::Jurisdiction) -> String {
    if jurisdiction.is_national() {
        return "国家基本公共服务标准".to_owned();
    }
    match ::compliance::divisions::name(jurisdiction) {
        Some(name) => format!("{name}基本公共服务实施标准"),
        None => format!("{jurisdiction} 基本公共服务实施标准"),
    }
}
