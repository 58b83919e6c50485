//! Full-text search: the one owner of the question. The command line, GraphQL
//! and the site render [`SearchResults`] and nothing else, so they give the same hits.
//!
//! The index (`search::SearchIndex`) is a projection like the timeline: it is
//! updated after every append the timeline ingests, under the timeline's write
//! lock, and rebuilt from the log on every start.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::event::RecordedEvent;
use domain::ids::{AspectId, CategoryId, Jurisdiction};
use domain::state::{ItemState, Snapshot};
use search::{Cursor, Field, Filter, Query, Request, Scope, SearchError, SearchIndex, When};
use serde::Serialize;
use timeline::Timeline;

use crate::Registry;

/// Hits on a page when the caller does not say.
pub const SEARCH_PAGE_DEFAULT: usize = 20;

/// One search, as a front end received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub query: String,
    /// Only this standard (and, with [`Scope::WithLocalities`], those below it).
    pub jurisdiction: Option<(Jurisdiction, Scope)>,
    pub aspect: Option<AspectId>,
    pub category: Option<CategoryId>,
    /// Fields searched; empty for all.
    pub fields: Vec<Field>,
    pub when: When,
    pub first: usize,
    /// A hit's `cursor` from an earlier page of the same search.
    pub after: Option<String>,
}

/// Why a search was refused. Nothing about the registry changes either way.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchRequestError {
    #[error(transparent)]
    Query(#[from] SearchError),
    /// The jurisdiction filter names no recorded standard (nor, with localities, any below it).
    #[error("no standard is recorded for {code}; recorded: {recorded}")]
    UnknownJurisdiction {
        code: Jurisdiction,
        recorded: String,
    },
}

/// One page of hits and how it was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    /// The valid date searched; `None` with history.
    pub valid_at: Option<NaiveDate>,
    pub known_at: Option<DateTime<Utc>>,
    pub history: bool,
    pub hits: Vec<SearchHit>,
    /// Pass as `after` for the next page; `None` when nothing is left.
    pub next_cursor: Option<String>,
    /// Items looked at for this page (bounded by `search::ITEMS_EXAMINED_MAX`).
    pub examined: usize,
}

/// One item version whose text holds the words.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub jurisdiction: Jurisdiction,
    /// The item as it stood in this version.
    #[serde(serialize_with = "item_id")]
    pub item: Arc<ItemState>,
    /// The standard as it stood on `valid_from` (or on the date searched).
    #[serde(skip)]
    pub snapshot: Arc<Snapshot>,
    pub name: Option<String>,
    pub aspect: Option<AspectId>,
    pub category: Option<CategoryId>,
    /// First day this text of the item was in force.
    pub valid_from: NaiveDate,
    /// First day it no longer was; `None` while it still is.
    pub valid_until: Option<NaiveDate>,
    pub snippets: Vec<SnippetView>,
    /// The site's page of the item at this point: `/{jurisdiction}/{date}/items/{item}`,
    /// with `?known_at=` when the search named a record time.
    pub permalink: String,
    pub cursor: String,
}

fn item_id<S: serde::Serializer>(item: &Arc<ItemState>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(item.id.as_str())
}

/// A field holding a searched word, shortened around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetView {
    pub field: &'static str,
    pub fragments: Vec<FragmentView>,
}

impl SnippetView {
    /// The snippet as text with the searched words between `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        self.fragments
            .iter()
            .map(|f| {
                if f.highlighted {
                    format!("{open}{}{close}", f.text)
                } else {
                    f.text.clone()
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FragmentView {
    pub text: String,
    pub highlighted: bool,
}

/// The site's path of an item at a point.
pub fn permalink(
    jurisdiction: &Jurisdiction,
    valid_at: NaiveDate,
    item: &str,
    known_at: Option<DateTime<Utc>>,
) -> String {
    let path = format!("/{jurisdiction}/{valid_at}/items/{item}");
    match known_at {
        Some(t) => format!(
            "{path}?known_at={}",
            t.to_rfc3339_opts(SecondsFormat::Micros, true)
        ),
        None => path,
    }
}

/// Ingests the appends of a page into the timeline, standards on up to
/// `workers` threads, each thread also working out what its appends bring to
/// the search index; the index then takes them in log order.
pub(crate) fn ingest_all(
    timeline: &mut Timeline,
    index: &mut SearchIndex,
    batches: Vec<(Jurisdiction, Vec<RecordedEvent>)>,
    workers: usize,
) {
    let reading: &SearchIndex = index;
    let changes = timeline.ingest_all(batches, workers, |standard| {
        (standard.jurisdiction().clone(), reading.changes(standard))
    });
    for (jurisdiction, changes) in changes {
        if let Some(standard) = timeline.standard(&jurisdiction) {
            index.apply(changes, standard);
        }
    }
}

impl Registry {
    /// Sizes of the search index, for the benchmark.
    pub fn search_stats(&self) -> search::IndexStats {
        self.search_index().stats()
    }

    /// One page of hits: words and phrases in item names and the five fields of
    /// every standard, in force at a point or over all of valid time.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchRequestError> {
        let query = Query::parse(&request.query)?;
        let after = request
            .after
            .as_deref()
            .map(str::parse::<Cursor>)
            .transpose()?;
        let filter = Filter {
            jurisdiction: request.jurisdiction.clone(),
            aspect: request.aspect.clone(),
            category: request.category.clone(),
            fields: request.fields.clone(),
        };
        let timeline = self.timeline();
        let index = self.search_index();
        if let Some((code, scope)) = &request.jurisdiction {
            let covered = timeline.standards().any(|s| {
                let j = s.jurisdiction();
                j == code || (*scope == Scope::WithLocalities && j.ancestors().contains(code))
            });
            if !covered {
                let recorded: Vec<String> = timeline
                    .standards()
                    .map(|s| s.jurisdiction().to_string())
                    .collect();
                return Err(SearchRequestError::UnknownJurisdiction {
                    code: code.clone(),
                    recorded: recorded.join(", "),
                });
            }
        }
        let page = index.search(
            &timeline,
            &Request {
                query: &query,
                filter: &filter,
                when: request.when,
                first: request.first,
                after,
            },
        )?;
        let (valid_at, history) = match request.when {
            When::At { valid_at, .. } => (Some(valid_at), false),
            When::History { .. } => (None, true),
        };
        let known_at = request.when.known_at();
        let hits = page
            .hits
            .into_iter()
            .map(|hit| {
                let link_date = valid_at.unwrap_or(hit.valid_from);
                SearchHit {
                    permalink: permalink(
                        &hit.jurisdiction,
                        link_date,
                        hit.item.id.as_str(),
                        known_at,
                    ),
                    name: hit.item.name.as_known().map(|n| n.to_string()),
                    snippets: hit
                        .snippets
                        .iter()
                        .map(|s| SnippetView {
                            field: s.field.as_str(),
                            fragments: s
                                .fragments
                                .iter()
                                .map(|f| FragmentView {
                                    text: f.text.clone(),
                                    highlighted: f.highlighted,
                                })
                                .collect(),
                        })
                        .collect(),
                    cursor: hit.cursor.to_string(),
                    jurisdiction: hit.jurisdiction,
                    item: hit.item,
                    snapshot: hit.snapshot,
                    aspect: hit.aspect,
                    category: hit.category,
                    valid_from: hit.valid_from,
                    valid_until: hit.valid_until,
                }
            })
            .collect();
        Ok(SearchResults {
            query: request.query.clone(),
            valid_at,
            known_at,
            history,
            hits,
            next_cursor: page.next.map(|c| c.to_string()),
            examined: page.examined,
        })
    }
}
