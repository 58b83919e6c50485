//! `/search?q=`: words and phrases in item names and fields, in force on a
//! day (today by default) or over all of valid time (`date=all`).

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use domain::ids::{AspectId, CategoryId, Jurisdiction};
use registry::query::Point;
use registry::search::{SEARCH_PAGE_DEFAULT, SearchRequest, SearchResults};
use search::{Field, Scope, When};

use super::{Ask, Chrome, Link};
use crate::SiteState;
use crate::error::SiteError;
use crate::format::field_label;
use crate::params::{self, PageQuery};

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    form: SearchForm,
    results: Option<SearchResults>,
    next: Option<String>,
}

/// What the reader asked, as the form shows it again.
struct SearchForm {
    q: String,
    date: String,
    jurisdiction: String,
    only: bool,
    aspect: String,
    category: String,
    /// The aspects and categories to choose from: `(code, label)`, those of
    /// the national standard on the date searched (today with `date=all`).
    aspects: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    /// The fields asked for (`field=`, repeated), as written.
    asked_fields: Vec<String>,
    /// Each searchable field: its stored name, its label, whether it is ticked.
    fields: Vec<(&'static str, &'static str, bool)>,
}

impl SearchForm {
    fn read(query: &PageQuery, raw: Option<&str>) -> Self {
        let text = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_owned();
        let asked_fields = params::repeated(raw, "field");
        Self {
            q: text(&query.q),
            date: text(&query.date),
            jurisdiction: text(&query.jurisdiction),
            only: query.only.as_deref().is_some_and(|v| !v.is_empty()),
            aspect: text(&query.aspect),
            category: text(&query.category),
            aspects: Vec::new(),
            categories: Vec::new(),
            fields: Field::ALL
                .iter()
                .map(|f| {
                    let name = f.as_str();
                    (
                        name,
                        field_label(name),
                        asked_fields.iter().any(|t| t == name),
                    )
                })
                .collect(),
            asked_fields,
        }
    }

    /// Offers the national standard's aspects and categories on `day`, and
    /// keeps a code asked for that is not among them (the search says
    /// whether it exists).
    fn offer(&mut self, ask: &Ask, day: NaiveDate) {
        if let Ok(edition) = ask
            .registry
            .edition(&Jurisdiction::national(), Point::new(day, ask.known_at))
        {
            for aspect in &edition.aspects {
                self.aspects
                    .push((aspect.id.clone(), format!("{} {}", aspect.id, aspect.name)));
                for category in &aspect.categories {
                    self.categories.push((
                        category.id.clone(),
                        format!("{} {}", category.id, category.name),
                    ));
                }
            }
        }
        for (asked, offered) in [
            (&self.aspect, &mut self.aspects),
            (&self.category, &mut self.categories),
        ] {
            if !asked.is_empty() && !offered.iter().any(|(code, _)| code == asked) {
                offered.push((asked.clone(), asked.clone()));
            }
        }
    }

    /// Whether a filter beyond the first row is set (the form shows them open).
    fn narrowed(&self) -> bool {
        self.only
            || !self.aspect.is_empty()
            || !self.category.is_empty()
            || !self.asked_fields.is_empty()
    }

    /// The request the form describes; every front end builds the same one.
    fn request(&self, ask: &Ask, after: Option<String>) -> Result<SearchRequest, SiteError> {
        let when = match self.date.as_str() {
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
        let scope = if self.only {
            Scope::Only
        } else {
            Scope::WithLocalities
        };
        let jurisdiction = match self.jurisdiction.as_str() {
            "" => None,
            code => Some((params::jurisdiction(code)?, scope)),
        };
        let bad = |e: &dyn std::fmt::Display| SiteError::Query {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
        };
        fn optional(text: &str) -> Option<&str> {
            (!text.is_empty()).then_some(text)
        }
        Ok(SearchRequest {
            query: self.q.clone(),
            jurisdiction,
            aspect: optional(&self.aspect)
                .map(AspectId::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            category: optional(&self.category)
                .map(CategoryId::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            fields: self
                .asked_fields
                .iter()
                .map(|f| f.parse::<Field>())
                .collect::<Result<_, _>>()
                .map_err(|e| bad(&e))?,
            when,
            first: SEARCH_PAGE_DEFAULT,
            after,
        })
    }

    /// The link to the page after `cursor`, with every filter kept.
    fn next(&self, ask: &Ask, cursor: &str) -> String {
        let mut link = form_urlencoded::Serializer::new(String::new());
        link.append_pair("q", &self.q)
            .append_pair("date", &self.date);
        for (key, value) in [
            ("jurisdiction", &self.jurisdiction),
            ("aspect", &self.aspect),
            ("category", &self.category),
        ] {
            if !value.is_empty() {
                link.append_pair(key, value);
            }
        }
        if self.only {
            link.append_pair("only", "1");
        }
        for name in &self.asked_fields {
            link.append_pair("field", name);
        }
        if let Some(t) = ask.known_at {
            link.append_pair("known_at", &params::instant(t));
        }
        link.append_pair("after", cursor);
        format!("/search?{}", link.finish())
    }
}

pub async fn page(
    State(site): State<SiteState>,
    Query(query): Query<PageQuery>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let ask = Ask::new(&site, &headers, &query)?;
    if let Some(unchanged) = ask.unchanged(&headers) {
        return Ok(unchanged);
    }
    let mut form = SearchForm::read(&query, raw.as_deref());
    form.offer(&ask, params::date(&form.date).unwrap_or(ask.today));
    let results = if form.q.is_empty() {
        None
    } else {
        let request = form.request(&ask, query.after.clone().filter(|a| !a.is_empty()))?;
        Some(
            ask.registry
                .search(&request)
                .map_err(|e| SiteError::Query {
                    status: StatusCode::BAD_REQUEST,
                    message: e.to_string(),
                })?,
        )
    };
    let next = results
        .as_ref()
        .and_then(|r| r.next_cursor.as_deref())
        .map(|cursor| form.next(&ask, cursor));
    let mut chrome = ask.chrome(
        if form.q.is_empty() {
            "检索".to_owned()
        } else {
            format!("检索:{}", form.q)
        },
        vec![Link::new("/search", "检索 (search)")],
    );
    chrome.times = Some(ask.times("/search", None));
    ask.html(
        StatusCode::OK,
        &SearchPage {
            chrome,
            form,
            results,
            next,
        },
    )
}
